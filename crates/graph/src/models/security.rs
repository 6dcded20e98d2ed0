//! Defender `analyzedEmail` (SecurityAnalyzedMessage.Read.All). Sub-objects vary by version
//! and Microsoft only publishes type templates, so they stay JSON except the ones Ward reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzedEmail {
    #[serde(default)]
    pub id: String,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    pub logged_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub network_message_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub internet_message_id: Option<String>,
    #[serde(default)]
    pub sender_detail: Option<AnalyzedEmailSenderDetail>,
    /// v1.0: one recipient per record.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub recipient_email_address: Option<String>,
    /// beta: array.
    #[serde(default, deserialize_with = "de::vec_string")]
    pub recipient_email_addresses: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub distribution_list: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub return_path: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub directionality: Option<String>,
    #[serde(default)]
    pub original_delivery: Option<AnalyzedEmailDeliveryDetail>,
    #[serde(default)]
    pub latest_delivery: Option<AnalyzedEmailDeliveryDetail>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub attachments_count: Option<i64>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub attachments: Vec<Value>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub urls_count: Option<i64>,
    #[serde(default, deserialize_with = "de::vec_or_one")]
    pub urls: Vec<Value>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub size_in_bytes: Option<i64>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub threat_types: Vec<String>,
    /// beta singular form.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub threat_type: Option<String>,
    #[serde(default, deserialize_with = "de::vec_string")]
    pub detection_methods: Vec<String>,
    #[serde(default)]
    pub authentication_details: Option<AnalyzedEmailAuthenticationDetail>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub phish_confidence_level: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub spam_confidence_level: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub bulk_complaint_level: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email_cluster_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub policy: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub policy_action: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzedEmailSenderDetail {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub from_address: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub mail_from_address: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub ipv4: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub domain_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AnalyzedEmailDeliveryDetail {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub action: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzedEmailAuthenticationDetail {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub sender_policy_framework: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub dkim: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub dmarc: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub composite_authentication: Option<String>,
}
