//! Entra sign-ins and directory audits (AuditLog.Read.All). v1.0 fields plus the beta-only
//! fields Ward uses for device-code / non-interactive detection.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;
use crate::models::common::KeyValue;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub app_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub app_display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub ip_address: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub client_app_used: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub correlation_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub conditional_access_status: Option<String>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub applied_conditional_access_policies: Vec<AppliedConditionalAccessPolicy>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_interactive: Option<bool>,
    #[serde(default)]
    pub device_detail: Option<DeviceDetail>,
    #[serde(default)]
    pub location: Option<SignInLocation>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub risk_detail: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub risk_level_aggregated: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub risk_level_during_sign_in: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub risk_state: Option<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub risk_event_types: Vec<String>,
    #[serde(
        default,
        rename = "riskEventTypes_v2",
        deserialize_with = "de::vec_string"
    )]
    pub risk_event_types_v2: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub resource_display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub status: Option<SignInStatus>,
    // ---- beta-only ----
    #[serde(default, deserialize_with = "de::opt_string")]
    pub authentication_requirement: Option<String>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub authentication_details: Vec<Value>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub sign_in_event_types: Vec<String>,
    /// `deviceCode`, `ropc`, ...
    #[serde(default, deserialize_with = "de::opt_string")]
    pub authentication_protocol: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub original_transfer_method: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub client_credential_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub autonomous_system_number: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_agent: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub service_principal_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub session_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub unique_token_identifier: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInStatus {
    /// 0 = success, else an AADSTS number (50126 bad password, 50074 MFA required, ...).
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub error_code: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub failure_reason: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub additional_details: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetail {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub device_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub operating_system: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub browser: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_compliant: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_managed: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub trust_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInLocation {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub country_or_region: Option<String>,
    #[serde(default)]
    pub geo_coordinates: Option<GeoCoordinates>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GeoCoordinates {
    #[serde(default)]
    pub altitude: Option<f64>,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedConditionalAccessPolicy {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub enforced_grant_controls: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub enforced_session_controls: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub result: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryAudit {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub activity_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub activity_display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub correlation_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub logged_by_service: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub operation_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub result: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub result_reason: Option<String>,
    #[serde(default)]
    pub initiated_by: Option<AuditActivityInitiator>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub target_resources: Vec<TargetResource>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub additional_details: Vec<KeyValue>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuditActivityInitiator {
    #[serde(default)]
    pub user: Option<AuditUserIdentity>,
    #[serde(default)]
    pub app: Option<AuditAppIdentity>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditUserIdentity {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub ip_address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditAppIdentity {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub app_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub service_principal_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub service_principal_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResource {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    /// `User`, `ServicePrincipal`, ... (Microsoft's examples also spell it `Type`).
    #[serde(default, alias = "Type", deserialize_with = "de::opt_string")]
    pub r#type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub group_type: Option<String>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub modified_properties: Vec<ModifiedProperty>,
}

/// `oldValue`/`newValue` are JSON-encoded strings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedProperty {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub old_value: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub new_value: Option<String>,
}
