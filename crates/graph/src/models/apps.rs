//! Applications, service principals and app role assignments (Application.Read.All).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub key_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub end_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredential {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub key_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub r#type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub usage: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub end_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub custom_key_identifier: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredResourceAccess {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub resource_app_id: Option<String>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub resource_access: Vec<ResourceAccess>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ResourceAccess {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    /// `Scope` | `Role`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub r#type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub app_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub sign_in_audience: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub publisher_domain: Option<String>,
    #[serde(default)]
    pub verified_publisher: Option<Value>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub required_resource_access: Vec<RequiredResourceAccess>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub password_credentials: Vec<PasswordCredential>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub key_credentials: Vec<KeyCredential>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub allowed_member_types: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub app_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub app_owner_organization_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub service_principal_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub account_enabled: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub publisher_name: Option<String>,
    #[serde(default)]
    pub verified_publisher: Option<Value>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub app_roles: Vec<AppRole>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub password_credentials: Vec<PasswordCredential>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub key_credentials: Vec<KeyCredential>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub sign_in_audience: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignment {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub app_role_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub principal_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub principal_display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub principal_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub resource_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub resource_display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub deleted_date_time: Option<DateTime<Utc>>,
}
