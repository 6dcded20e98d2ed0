//! `user` (User.Read.All). Most properties only come back when `$select`ed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub given_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub surname: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub mail: Option<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub other_mails: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub proxy_addresses: Vec<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub business_phones: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub mobile_phone: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub job_title: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub department: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub company_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub office_location: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub preferred_language: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub account_enabled: Option<bool>,
    /// `Member` | `Guest`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub user_type: Option<String>,
    #[serde(default)]
    pub assigned_licenses: Vec<AssignedLicense>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub on_premises_sync_enabled: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub last_password_change_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub sign_in_sessions_valid_from_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub password_policies: Option<String>,
    #[serde(default)]
    pub sign_in_activity: Option<SignInActivity>,
    /// `manager@delta` and other annotations / unselected extras.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub sku_id: Option<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub disabled_plans: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInActivity {
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub last_sign_in_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub last_non_interactive_sign_in_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub last_successful_sign_in_date_time: Option<DateTime<Utc>>,
}

/// Body of `PATCH /users/{id}` with a `passwordProfile` (User-PasswordProfile.ReadWrite.All).
/// `Debug` never prints the password.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_change_password_next_sign_in: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_change_password_next_sign_in_with_mfa: Option<bool>,
    /// Never logged; only sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl std::fmt::Debug for PasswordProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordProfile")
            .field(
                "force_change_password_next_sign_in",
                &self.force_change_password_next_sign_in,
            )
            .field(
                "force_change_password_next_sign_in_with_mfa",
                &self.force_change_password_next_sign_in_with_mfa,
            )
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}
