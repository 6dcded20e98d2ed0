//! Token acquisition for [`GraphClient`]: client-credentials grant with a secret or a signed
//! client assertion, cached per resource, refreshed early and single-flight (see `token.rs`).

use secrecy::SecretString;
use std::time::{Duration, Instant};

use crate::client::{GraphClient, ReadErr, read_capped};
use crate::credentials::Credential;
use crate::error::{Api, GraphError, Result};
use crate::throttle::parse_retry_after;
use crate::token::{CachedToken, Resource, expose, parse_token_response, refresh_margin};

impl GraphClient {
    // ---------------------------------------------------------------- tokens

    /// A valid access token for `r`, refreshing (single-flight) when due.
    pub(crate) async fn token(&self, r: Resource) -> Result<SecretString> {
        let slot = self.inner.tokens.slot(r);
        let mut guard = slot.lock().await;
        let now = Instant::now();
        if let Some(t) = guard.as_ref()
            && now < t.refresh_at
        {
            return Ok(t.token.clone());
        }
        match self.fetch_token(r).await {
            Ok((token, lifetime)) => {
                let now = Instant::now();
                *guard = Some(CachedToken {
                    token: token.clone(),
                    refresh_at: now + lifetime - refresh_margin(lifetime),
                    expires_at: now + lifetime,
                });
                Ok(token)
            }
            Err(e) => match guard.as_ref() {
                // Early refresh failed but the old token still works: use it, retry later.
                Some(t) if Instant::now() < t.expires_at && !e.is_auth() => {
                    tracing::warn!(error = %e, "token refresh failed; using the current token until it expires");
                    Ok(t.token.clone())
                }
                _ => Err(e),
            },
        }
    }

    /// Drops the cached token for `r` if it is still the one that was rejected.
    pub(crate) async fn invalidate(&self, r: Resource, rejected: &SecretString) {
        let slot = self.inner.tokens.slot(r);
        let mut guard = slot.lock().await;
        if guard
            .as_ref()
            .map(|t| expose(&t.token) == expose(rejected))
            .unwrap_or(false)
        {
            *guard = None;
        }
    }

    /// Current access token's `roles` claim (application permissions) for `r`; used by
    /// `ward connect` to show what was granted.
    pub async fn token_roles(&self, r: Resource) -> Result<Vec<String>> {
        let t = self.token(r).await?;
        Ok(crate::token::decode_claims(expose(&t))?.roles)
    }

    /// All decoded claims of the current token for `r`.
    pub async fn token_claims(&self, r: Resource) -> Result<crate::models::AccessTokenClaims> {
        let t = self.token(r).await?;
        crate::token::decode_claims(expose(&t))
    }

    async fn fetch_token(&self, r: Resource) -> Result<(SecretString, Duration)> {
        let cfg = &self.inner.cfg;
        let url = cfg.endpoints.token_url(&cfg.tenant_id);
        let scope = match r {
            Resource::Graph => cfg.endpoints.graph_scope(),
            Resource::Management => cfg.endpoints.manage_scope(),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut form: Vec<(&str, String)> = vec![
                ("client_id", cfg.client_id.clone()),
                ("scope", scope.to_owned()),
                ("grant_type", "client_credentials".to_owned()),
            ];
            match &cfg.credential {
                Credential::Secret(s) => form.push((
                    "client_secret",
                    secrecy::ExposeSecret::expose_secret(s).to_owned(),
                )),
                Credential::Certificate(c) => {
                    form.push((
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                    ));
                    form.push(("client_assertion", c.assertion(&cfg.client_id, &url)?));
                }
            }
            self.inner.stats.request("token");
            self.inner.stats.token_request();
            let sent = self
                .inner
                .http
                .post(&url)
                .header("client-request-id", uuid::Uuid::new_v4().to_string())
                .form(&form)
                .send()
                .await;
            let (status, retry_after, body) = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let ra = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    match read_capped(resp, 1024 * 1024, "the token endpoint").await {
                        Ok(b) => (status, ra, b),
                        Err(ReadErr::TooLarge(e)) => return Err(e),
                        Err(ReadErr::Transport(e)) => {
                            if attempt < cfg.retry.max_attempts {
                                self.inner.stats.retry();
                                tokio::time::sleep(cfg.retry.delay(attempt, None)).await;
                                continue;
                            }
                            return Err(GraphError::transport(
                                Api::Identity,
                                "the token endpoint",
                                e,
                            ));
                        }
                    }
                }
                Err(e) => {
                    if attempt < cfg.retry.max_attempts
                        && crate::reach::Unreachable::of(&e).retry_helps()
                    {
                        self.inner.stats.retry();
                        tokio::time::sleep(cfg.retry.delay(attempt, None)).await;
                        continue;
                    }
                    return Err(GraphError::transport(
                        Api::Identity,
                        "the token endpoint",
                        e,
                    ));
                }
            };
            self.inner.stats.status(status);
            if matches!(status, 429 | 500 | 502 | 503 | 504) && attempt < cfg.retry.max_attempts {
                self.inner.stats.retry();
                tokio::time::sleep(cfg.retry.delay(attempt, retry_after)).await;
                continue;
            }
            return parse_token_response(status, &body);
        }
    }
}
