//! `userRegistrationDetails` (AuditLog.Read.All, Entra ID P1/P2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::de;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRegistrationDetails {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_admin: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_mfa_registered: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_mfa_capable: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_passwordless_capable: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_sspr_registered: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_sspr_enabled: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_sspr_capable: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_system_preferred_authentication_method_enabled: Option<bool>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub methods_registered: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub system_preferred_authentication_methods: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_preferred_method_for_secondary_authentication: Option<String>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub last_updated_date_time: Option<DateTime<Utc>>,
}
