//! JSON `$batch` request/response bodies.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::de;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct BatchRequestBody {
    pub requests: Vec<BatchRequestItem>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRequestItem {
    pub id: String,
    pub method: String,
    /// Relative to the version root (no `/v1.0`), e.g. `/users/{id}/messages/{mid}/move`.
    pub url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl BatchRequestItem {
    fn msg(user: &str, message_id: &str) -> String {
        format!(
            "/users/{}/messages/{}",
            crate::url::seg(user),
            crate::url::seg(message_id)
        )
    }

    pub fn get(id: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            method: "GET".into(),
            url: url.into(),
            ..Default::default()
        }
    }

    /// Move a message (e.g. to `junkemail` or a quarantine folder id).
    pub fn move_message(
        id: impl Into<String>,
        user: &str,
        message_id: &str,
        destination: &str,
    ) -> Self {
        Self {
            id: id.into(),
            method: "POST".into(),
            url: format!("{}/move", Self::msg(user, message_id)),
            body: Some(serde_json::json!({"destinationId": destination})),
            ..Default::default()
        }
    }

    /// Soft delete.
    pub fn delete_message(id: impl Into<String>, user: &str, message_id: &str) -> Self {
        Self {
            id: id.into(),
            method: "DELETE".into(),
            url: Self::msg(user, message_id),
            ..Default::default()
        }
    }

    /// Purge.
    pub fn permanent_delete_message(id: impl Into<String>, user: &str, message_id: &str) -> Self {
        Self {
            id: id.into(),
            method: "POST".into(),
            url: format!("{}/permanentDelete", Self::msg(user, message_id)),
            ..Default::default()
        }
    }

    /// Find a message by RFC 5322 Message-ID in one mailbox.
    pub fn find_by_internet_message_id(
        id: impl Into<String>,
        user: &str,
        internet_message_id: &str,
    ) -> Self {
        let url = crate::url::with_query(
            &format!("/users/{}/messages", crate::url::seg(user)),
            &[
                (
                    "$filter",
                    format!(
                        "internetMessageId eq {}",
                        crate::url::odata_string(internet_message_id)
                    ),
                ),
                ("$select", "id,parentFolderId,internetMessageId".into()),
            ],
        );
        Self::get(id, url)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct BatchResponseBody {
    #[serde(default)]
    pub responses: Vec<BatchResponseItem>,
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct BatchResponseItem {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, Value>,
    #[serde(default)]
    pub body: Option<Value>,
}

impl BatchResponseItem {
    /// Case-insensitive header lookup (values may be strings or numbers).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    }
}
