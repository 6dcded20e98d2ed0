//! Graph change-notification subscriptions and the notifications Microsoft POSTs back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;

/// `Debug` omits `clientState` (a shared secret).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub change_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub notification_url: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub lifecycle_notification_url: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub resource: Option<String>,
    /// Sent as given (RFC 3339); parse with [`crate::de::parse_datetime`].
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration_date_time: Option<String>,
    /// Secret shared with the webhook; never logged.
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_state: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub application_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub creator_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub include_resource_data: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub latest_supported_tls_version: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("resource", &self.resource)
            .field("change_type", &self.change_type)
            .field("notification_url", &self.notification_url)
            .field("expiration_date_time", &self.expiration_date_time)
            .field(
                "client_state",
                &self.client_state.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ChangeNotificationCollection {
    #[serde(default)]
    pub value: Vec<ChangeNotification>,
    #[serde(
        rename = "validationTokens",
        default,
        deserialize_with = "de::vec_string"
    )]
    pub validation_tokens: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeNotification {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub subscription_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub subscription_expiration_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub client_state: Option<String>,
    /// `created|updated|deleted`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub change_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub resource: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub resource_data: Option<Value>,
    /// Lifecycle notifications: `reauthorizationRequired|subscriptionRemoved|missed`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub lifecycle_event: Option<String>,
    #[serde(default)]
    pub encrypted_content: Option<Value>,
}

impl ChangeNotificationCollection {
    /// Notifications whose `clientState` equals `expected` (constant-time compare). Others
    /// must be ignored (and still acknowledged with 202).
    pub fn verified<'a>(
        &'a self,
        expected: &'a str,
    ) -> impl Iterator<Item = &'a ChangeNotification> + 'a {
        self.value.iter().filter(move |n| {
            n.client_state
                .as_deref()
                .map(|c| ct_eq(c.as_bytes(), expected.as_bytes()))
                .unwrap_or(false)
        })
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
