//! Inbox rules (`messageRule`, MailboxSettings.ReadWrite).
//!
//! Rules are journaled before Ward changes them, so besides the typed view each rule read
//! through the client keeps the exact JSON Microsoft returned in [`MessageRule::raw`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;
use crate::models::common::Recipient;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRule {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub sequence: Option<i64>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_enabled: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub has_error: Option<bool>,
    /// Rule not manageable through REST (unsupported conditions); conditions/actions absent.
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<MessageRulePredicates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceptions: Option<MessageRulePredicates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<MessageRuleActions>,
    /// Properties this model does not name (kept so a journaled rule can be restored).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// The exact JSON as received (set by [`MessageRule::from_value`]); never sent.
    #[serde(skip)]
    pub raw: Option<Value>,
}

impl MessageRule {
    /// Parses a rule and keeps the original JSON in `raw`.
    pub fn from_value(v: Value) -> Result<Self, serde_json::Error> {
        let mut rule: MessageRule = serde_json::from_value(v.clone())?;
        rule.raw = Some(v);
        Ok(rule)
    }

    /// Every recipient the rule forwards, forwards-as-attachment or redirects to.
    pub fn forwarding_targets(&self) -> Vec<&Recipient> {
        match &self.actions {
            Some(a) => a
                .forward_to
                .iter()
                .chain(&a.forward_as_attachment_to)
                .chain(&a.redirect_to)
                .collect(),
            None => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRuleActions {
    #[serde(
        default,
        deserialize_with = "de::vec_string",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub assign_categories: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub copy_to_folder: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub delete: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::vec_or_one",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub forward_as_attachment_to: Vec<Recipient>,
    #[serde(
        default,
        deserialize_with = "de::vec_or_one",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub forward_to: Vec<Recipient>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub mark_as_read: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub mark_importance: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub move_to_folder: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub permanent_delete: Option<bool>,
    /// Documented as one recipient, sent as a collection in practice: both accepted.
    #[serde(
        default,
        deserialize_with = "de::vec_or_one",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub redirect_to: Vec<Recipient>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub stop_processing_rules: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SizeRange {
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub minimum_size: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub maximum_size: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRulePredicates {
    #[serde(
        default,
        deserialize_with = "de::vec_string",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub body_contains: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de::vec_string",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub body_or_subject_contains: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de::vec_string",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub categories: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de::vec_or_one",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub from_addresses: Vec<Recipient>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub has_attachments: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::vec_string",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub header_contains: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub importance: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_automatic_forward: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_automatic_reply: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_sent_to_me: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::vec_string",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub recipient_contains: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de::vec_string",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sender_contains: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sensitivity: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub sent_cc_me: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub sent_only_to_me: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::vec_or_one",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sent_to_addresses: Vec<Recipient>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub sent_to_me: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub sent_to_or_cc_me: Option<bool>,
    #[serde(
        default,
        deserialize_with = "de::vec_string",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subject_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_size_range: Option<SizeRange>,
    /// The many rarely used booleans (`isEncrypted`, `isMeetingRequest`, ...) and future ones.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
