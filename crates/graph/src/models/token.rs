//! Token endpoint success body and decoded access-token claims.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::de;

/// v2 returns `expires_in` as an integer; v1 (Management API docs) as a string. Both accepted.
#[derive(Deserialize, Serialize, Clone, Default)]
pub struct TokenResponse {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub token_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub expires_in: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub expires_on: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub resource: Option<String>,
    #[serde(default)]
    pub access_token: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

/// The claims of an access token Ward cares about (payload decoded without verification:
/// Ward is the audience's client, not the resource, and only reads what it was granted).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AccessTokenClaims {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub aud: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub iss: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub tid: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub appid: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub exp: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub nbf: Option<i64>,
    /// Application permissions.
    #[serde(default, deserialize_with = "de::vec_string")]
    pub roles: Vec<String>,
    /// Delegated permissions (space separated).
    #[serde(default, deserialize_with = "de::opt_string")]
    pub scp: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
