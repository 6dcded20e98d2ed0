//! Access tokens: one cache entry per (tenant, resource) — Graph and the Management API are
//! separate tokens. Refreshed ~5 minutes before expiry (at half-life for short lifetimes), on
//! a 401 `InvalidAuthenticationToken`, and single-flight: concurrent callers wait for the one
//! refresh in progress instead of each asking the token endpoint.

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Api, GraphError, Result};
use crate::models::{AccessTokenClaims, TokenErrorBody, TokenResponse};

/// Which API a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `https://graph.microsoft.com/.default`
    Graph,
    /// `https://manage.office.com/.default`
    Management,
}

#[derive(Clone)]
pub(crate) struct CachedToken {
    pub token: SecretString,
    pub refresh_at: Instant,
    pub expires_at: Instant,
}

/// When to refresh a token that lives `lifetime`: 5 minutes early, or at half-life if the
/// lifetime is shorter than 10 minutes (simulators and tests use short lifetimes).
pub fn refresh_margin(lifetime: Duration) -> Duration {
    let five = Duration::from_secs(300);
    if lifetime >= five * 2 {
        five
    } else {
        lifetime / 2
    }
}

#[derive(Default)]
pub(crate) struct TokenCache {
    slots: parking_lot::Mutex<HashMap<Resource, Arc<tokio::sync::Mutex<Option<CachedToken>>>>>,
}

impl TokenCache {
    pub fn slot(&self, r: Resource) -> Arc<tokio::sync::Mutex<Option<CachedToken>>> {
        self.slots.lock().entry(r).or_default().clone()
    }
}

/// Parses a token endpoint answer. Success needs a non-empty `access_token`.
pub(crate) fn parse_token_response(status: u16, body: &[u8]) -> Result<(SecretString, Duration)> {
    if (200..300).contains(&status) {
        let t: TokenResponse = serde_json::from_slice(body).map_err(|e| GraphError::Decode {
            api: Api::Identity,
            resource: "the token endpoint".into(),
            detail: format!("token response is not JSON: {e}"),
        })?;
        if t.access_token.is_empty() {
            return Err(GraphError::Decode {
                api: Api::Identity,
                resource: "the token endpoint".into(),
                detail: "token response has no access_token".into(),
            });
        }
        // Guard against absurd values; default to Microsoft's usual ~1 h.
        let secs = t.expires_in.unwrap_or(3599).clamp(1, 24 * 3600) as u64;
        return Ok((
            SecretString::from(t.access_token),
            Duration::from_secs(secs),
        ));
    }
    let e: TokenErrorBody = serde_json::from_slice(body).unwrap_or_default();
    Err(GraphError::Auth {
        status,
        error: e.error.unwrap_or_else(|| "unknown_error".into()),
        description: e.error_description.unwrap_or_default(),
        codes: e.error_codes,
        trace_id: e.trace_id,
        correlation_id: e.correlation_id,
    })
}

/// Decodes an access token's payload without verifying it (Ward reads what it was granted;
/// the resource server does the verification).
pub fn decode_claims(token: &str) -> Result<AccessTokenClaims> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| GraphError::Config("access token is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| GraphError::Config(format!("access token payload is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| GraphError::Config(format!("access token payload is not JSON: {e}")))
}

pub(crate) fn expose(t: &SecretString) -> &str {
    t.expose_secret()
}
