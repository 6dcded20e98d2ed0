//! Office 365 Management Activity API: subscriptions, content listings, audit records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::de;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagementSubscription {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content_type: Option<String>,
    /// `enabled` | `disabled`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub status: Option<String>,
    #[serde(default)]
    pub webhook: Option<ManagementWebhook>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagementWebhook {
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub address: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration: Option<String>,
}

/// One entry of `/subscriptions/content` (and of webhook / notifications bodies).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentItem {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content_type: Option<String>,
    #[serde(default)]
    pub content_id: String,
    #[serde(default)]
    pub content_uri: String,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub content_created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub content_expiration: Option<DateTime<Utc>>,
    /// Webhook notification bodies only.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub tenant_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub client_id: Option<String>,
    /// `/subscriptions/notifications` only.
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub notification_sent: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub notification_status: Option<String>,
}

/// Webhook validation POST body.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookValidation {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub validation_code: Option<String>,
}

/// `/resources/dlpSensitiveTypes` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DlpSensitiveType {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
}

/// An audit record: the common schema fields typed, the whole record kept as JSON in `raw`
/// (workload-specific fields, journaling, `ward hunt`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditRecord {
    /// Dedupe key.
    pub id: String,
    pub record_type: Option<i64>,
    pub creation_time: Option<DateTime<Utc>>,
    pub operation: Option<String>,
    pub organization_id: Option<String>,
    pub user_type: Option<i64>,
    pub user_key: Option<String>,
    pub workload: Option<String>,
    pub result_status: Option<String>,
    pub object_id: Option<String>,
    pub user_id: Option<String>,
    pub client_ip: Option<String>,
    pub raw: Value,
}

impl AuditRecord {
    pub fn from_value(raw: Value) -> Self {
        let s = |k: &str| match raw.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        };
        let i = |k: &str| match raw.get(k) {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        AuditRecord {
            id: s("Id").unwrap_or_default(),
            record_type: i("RecordType"),
            creation_time: s("CreationTime").and_then(|t| de::parse_datetime(&t)),
            operation: s("Operation"),
            organization_id: s("OrganizationId"),
            user_type: i("UserType"),
            user_key: s("UserKey"),
            workload: s("Workload"),
            result_status: s("ResultStatus"),
            object_id: s("ObjectId"),
            user_id: s("UserId"),
            client_ip: s("ClientIP"),
            raw,
        }
    }
}

impl<'de> Deserialize<'de> for AuditRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        if !raw.is_object() {
            return Err(serde::de::Error::custom(
                "audit record is not a JSON object",
            ));
        }
        Ok(AuditRecord::from_value(raw))
    }
}
