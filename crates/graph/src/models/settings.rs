//! `mailboxSettings` (MailboxSettings.ReadWrite). No forwarding property exists in Graph.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;
use crate::models::common::DateTimeTimeZone;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxSettings {
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub archive_folder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic_replies_setting: Option<AutomaticRepliesSetting>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_hours: Option<WorkingHours>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub date_format: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_format: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub delegate_meeting_message_delivery_options: Option<String>,
    /// String in the schema, `{"value":"user"}` in Microsoft's example: kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_purpose: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomaticRepliesSetting {
    /// `disabled|alwaysEnabled|scheduled` (examples also show `Scheduled`).
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
    pub external_audience: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub internal_reply_message: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_reply_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_start_date_time: Option<DateTimeTimeZone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_end_date_time: Option<DateTimeTimeZone>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkingHours {
    #[serde(default, deserialize_with = "de::vec_string")]
    pub days_of_week: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub start_time: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub end_time: Option<String>,
    #[serde(default)]
    pub time_zone: Option<Value>,
}
