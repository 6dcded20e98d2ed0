//! Messages, attachments and mail folders (Mail.ReadWrite).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;
use crate::models::common::{ItemBody, Recipient};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct InternetMessageHeader {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowupFlag {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub flag_status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(default)]
    pub id: String,
    #[serde(
        rename = "@odata.etag",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub etag: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub internet_message_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub body_preview: Option<String>,
    #[serde(default)]
    pub body: Option<ItemBody>,
    #[serde(default)]
    pub unique_body: Option<ItemBody>,
    #[serde(default)]
    pub from: Option<Recipient>,
    #[serde(default)]
    pub sender: Option<Recipient>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub to_recipients: Vec<Recipient>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub cc_recipients: Vec<Recipient>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub bcc_recipients: Vec<Recipient>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub reply_to: Vec<Recipient>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub received_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub sent_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub last_modified_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub has_attachments: Option<bool>,
    /// Only present when `$select=internetMessageHeaders` and mostly only for received mail.
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub internet_message_headers: Vec<InternetMessageHeader>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub parent_folder_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub conversation_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_read: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_draft: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub importance: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub inference_classification: Option<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub categories: Vec<String>,
    #[serde(default)]
    pub flag: Option<FollowupFlag>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub web_link: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub change_key: Option<String>,
    /// Present with `$expand=attachments`.
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub attachments: Vec<Attachment>,
}

/// Attachment, typed by `@odata.type` (`#microsoft.graph.fileAttachment`, with or without `#`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub size: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_inline: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub last_modified_date_time: Option<DateTime<Utc>>,
    /// fileAttachment: base64 bytes.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content_bytes: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content_location: Option<String>,
    /// itemAttachment with `$expand=microsoft.graph.itemattachment/item`.
    #[serde(default)]
    pub item: Option<Value>,
    /// referenceAttachment and other extras (`sourceUrl`, `providerType`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    File,
    Item,
    Reference,
    Unknown,
}

impl Attachment {
    pub fn kind(&self) -> AttachmentKind {
        let t = self
            .odata_type
            .as_deref()
            .unwrap_or("")
            .trim_start_matches('#')
            .to_ascii_lowercase();
        match t.as_str() {
            "microsoft.graph.fileattachment" => AttachmentKind::File,
            "microsoft.graph.itemattachment" => AttachmentKind::Item,
            "microsoft.graph.referenceattachment" => AttachmentKind::Reference,
            _ => AttachmentKind::Unknown,
        }
    }

    /// Decoded bytes of a fileAttachment (`None` if absent or not valid base64).
    pub fn decoded_bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        let b = self.content_bytes.as_deref()?;
        base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .ok()
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailFolder {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub parent_folder_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub child_folder_count: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub unread_item_count: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub total_item_count: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_hidden: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub well_known_name: Option<String>,
}

/// Query options for listing messages. Unset fields are not sent.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub filter: Option<String>,
    pub select: Option<String>,
    pub top: Option<u32>,
    pub orderby: Option<String>,
    pub search: Option<String>,
    pub expand: Option<String>,
}
