//! Error bodies: Graph / Management API `{"error":{...}}` and identity-platform AADSTS errors.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::de;

/// `{"error":{"code","message","innerError"}}` (Graph) or `{"error":{"code","message"}}`
/// (Management API, `AF*` codes). Some services spell it `innererror`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ErrorDetail {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub message: Option<String>,
    #[serde(rename = "innerError", alias = "innererror", default)]
    pub inner_error: Option<Value>,
}

impl ErrorDetail {
    /// `request-id` from the inner error, if any.
    pub fn request_id(&self) -> Option<String> {
        self.inner_error
            .as_ref()?
            .get("request-id")?
            .as_str()
            .map(str::to_owned)
    }
}

/// Token endpoint error: `{"error":"invalid_client","error_description":"AADSTS7000215: ...",...}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TokenErrorBody {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub timestamp: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub trace_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub correlation_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub error_uri: Option<String>,
}
