//! Conditional Access policies (Policy.Read.ConditionalAccess). Conditions and controls are
//! typed where posture checks read them; the rest stays JSON.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessPolicy {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub modified_date_time: Option<DateTime<Utc>>,
    /// `enabled|disabled|enabledForReportingButNotEnforced`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub state: Option<String>,
    #[serde(default)]
    pub conditions: Option<ConditionalAccessConditionSet>,
    #[serde(default)]
    pub grant_controls: Option<GrantControls>,
    #[serde(default)]
    pub session_controls: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessConditionSet {
    #[serde(default)]
    pub users: Option<ConditionalAccessUsers>,
    #[serde(default)]
    pub applications: Option<Value>,
    #[serde(default)]
    pub client_applications: Option<Value>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub client_app_types: Vec<String>,
    #[serde(default)]
    pub locations: Option<Value>,
    #[serde(default)]
    pub platforms: Option<Value>,
    #[serde(default)]
    pub devices: Option<Value>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub sign_in_risk_levels: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub user_risk_levels: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessUsers {
    #[serde(default, deserialize_with = "de::vec_string")]
    pub include_users: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub exclude_users: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub include_groups: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub exclude_groups: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub include_roles: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub exclude_roles: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantControls {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub operator: Option<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub built_in_controls: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub custom_authentication_factors: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub terms_of_use: Vec<String>,
    #[serde(default)]
    pub authentication_strength: Option<Value>,
}
