//! The HTTP core: authentication, limits, retries, error mapping. Every call goes through
//! [`GraphClient::execute`].
//!
//! Retry safety: a 429 (or Management `AF429`) means the request was rejected before it ran, so
//! every request — POSTs included — is retried after Retry-After. 503/504/`AF50000` and
//! transport failures may hide an executed request, so only idempotent requests are retried on
//! them: GET/PUT/DELETE/PATCH, and the POSTs marked idempotent by their method here
//! (`revokeSignInSessions`, `permanentDelete`, Management `subscriptions/start`, `$batch` of
//! idempotent items). `move`, `copy`, folder/rule/subscription creation are not re-sent on
//! 5xx: the caller re-locates the message by `internetMessageId` (or lists) and decides.

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;
use std::sync::Arc;
use std::time::Duration;

use crate::classify::classify;
use crate::credentials::Credential;
use crate::endpoints::Endpoints;
use crate::error::{Api, GraphError, Result};
use crate::models::ErrorBody;
use crate::stats::{Stats, StatsSnapshot};
use crate::throttle::{Limiter, Limits, RetryPolicy, parse_retry_after};
use crate::token::{Resource, TokenCache, expose};

/// Everything needed to build a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Customer tenant GUID (or verified domain for the token endpoint).
    pub tenant_id: String,
    /// Ward's application (client) id.
    pub client_id: String,
    pub credential: Credential,
    pub endpoints: Endpoints,
    /// Vendor tenant GUID sent as `PublisherIdentifier` to the Management API (own throttling
    /// pool). Defaults to `tenant_id` when `None`.
    pub publisher_identifier: Option<String>,
    pub limits: Limits,
    pub retry: RetryPolicy,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Cap on a JSON response body.
    pub max_response_bytes: usize,
    /// Cap on a MIME (`/$value`) or attachment download.
    pub max_mime_bytes: usize,
    pub user_agent: String,
}

impl ClientConfig {
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        credential: Credential,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            credential,
            endpoints: Endpoints::microsoft(),
            publisher_identifier: None,
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(100),
            max_response_bytes: 64 * 1024 * 1024,
            max_mime_bytes: 160 * 1024 * 1024,
            user_agent: concat!("Ward/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    pub fn with_endpoints(mut self, e: Endpoints) -> Self {
        self.endpoints = e;
        self
    }
}

/// Microsoft Graph + Management Activity API client. Cheap to clone (shared state).
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("tenant_id", &self.inner.cfg.tenant_id)
            .field("client_id", &self.inner.cfg.client_id)
            .field("endpoints", &self.inner.cfg.endpoints)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub cfg: ClientConfig,
    pub http: reqwest::Client,
    pub tokens: TokenCache,
    pub limiter: Limiter,
    pub stats: Stats,
}

/// Body of an outgoing request.
pub(crate) enum Body {
    None,
    Json(Vec<u8>),
}

/// An outgoing request, before auth and limits.
pub(crate) struct Request {
    pub method: Method,
    pub url: String,
    pub resource: Resource,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
    /// Extra `Prefer` values (joined with `IdType="ImmutableId"` on mail calls).
    pub prefer: Vec<String>,
    pub idempotent: bool,
    pub max_bytes: Option<usize>,
    /// Override for the error-message resource description.
    pub context: Option<String>,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        let idempotent = method != Method::POST;
        Self {
            method,
            url: url.into(),
            resource: Resource::Graph,
            body: Body::None,
            headers: Vec::new(),
            prefer: Vec::new(),
            idempotent,
            max_bytes: None,
            context: None,
        }
    }
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::GET, url)
    }
    pub fn json<T: serde::Serialize>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| GraphError::Config(format!("cannot encode request body: {e}")))?;
        self.body = Body::Json(bytes);
        Ok(self)
    }
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }
    pub fn management(mut self) -> Self {
        self.resource = Resource::Management;
        self
    }
    pub fn prefer(mut self, p: impl Into<String>) -> Self {
        self.prefer.push(p.into());
        self
    }
    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = Some(n);
        self
    }
    pub fn context(mut self, c: impl Into<String>) -> Self {
        self.context = Some(c.into());
        self
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    pub fn json<T: serde::de::DeserializeOwned>(&self, api: Api, resource: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| GraphError::Decode {
            api,
            resource: resource.to_owned(),
            detail: e.to_string(),
        })
    }
}

pub(crate) fn api_of(r: Resource) -> Api {
    match r {
        Resource::Graph => Api::Graph,
        Resource::Management => Api::Management,
    }
}

/// Reads a body up to `cap` bytes.
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
    resource: &str,
) -> std::result::Result<Bytes, ReadErr> {
    if let Some(len) = resp.content_length()
        && len as usize > cap
    {
        return Err(ReadErr::TooLarge(GraphError::TooLarge {
            resource: resource.to_owned(),
            limit: cap,
        }));
    }
    let mut buf = bytes::BytesMut::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if buf.len() + c.len() > cap {
                    return Err(ReadErr::TooLarge(GraphError::TooLarge {
                        resource: resource.to_owned(),
                        limit: cap,
                    }));
                }
                buf.extend_from_slice(&c);
            }
            Ok(None) => return Ok(buf.freeze()),
            Err(e) => return Err(ReadErr::Transport(e)),
        }
    }
}

pub(crate) enum ReadErr {
    TooLarge(GraphError),
    Transport(reqwest::Error),
}

/// Builds the typed error for a non-success answer.
pub(crate) fn error_from(
    api: Api,
    status: u16,
    headers: Option<&HeaderMap>,
    body: &[u8],
    resource: &str,
) -> GraphError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let header = |n: &str| {
        headers
            .and_then(|h| h.get(n))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v));
    match parsed.filter(|p| p.error.code.is_some() || p.error.message.is_some()) {
        Some(p) => {
            let code = p.error.code.clone().unwrap_or_default();
            let lc = code.to_ascii_lowercase();
            if status == 410
                || matches!(
                    lc.as_str(),
                    "syncstatenotfound" | "resyncrequired" | "syncstateinvalid"
                )
            {
                return GraphError::DeltaResync {
                    resource: resource.to_owned(),
                    code: if code.is_empty() { "Gone".into() } else { code },
                    location: header("location"),
                };
            }
            GraphError::Api {
                api,
                status,
                request_id: header("request-id").or_else(|| p.error.request_id()),
                message: p.error.message.unwrap_or_default(),
                code,
                resource: resource.to_owned(),
                retry_after,
            }
        }
        None if status == 410 => GraphError::DeltaResync {
            resource: resource.to_owned(),
            code: "Gone".into(),
            location: header("location"),
        },
        None => {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            GraphError::Status {
                api,
                status,
                resource: resource.to_owned(),
                snippet: text,
            }
        }
    }
}

fn origin_of(u: &str) -> Option<String> {
    let u = url::Url::parse(u).ok()?;
    Some(format!(
        "{}://{}:{}",
        u.scheme(),
        u.host_str()?.to_ascii_lowercase(),
        u.port_or_known_default()?
    ))
}

/// Same scheme, host and port.
pub(crate) fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin_of(a), origin_of(b)), (Some(x), Some(y)) if x == y)
}

impl GraphClient {
    pub fn new(cfg: ClientConfig) -> Result<Self> {
        if cfg.tenant_id.trim().is_empty() || cfg.client_id.trim().is_empty() {
            return Err(GraphError::Config(
                "tenant id and client id are required".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(Duration::from_secs(15))
            .user_agent(cfg.user_agent.clone())
            .build()
            .map_err(|e| GraphError::Config(format!("HTTP client: {e}")))?;
        let mut cfg = cfg;
        cfg.endpoints = cfg.endpoints.trimmed();
        Ok(Self {
            inner: Arc::new(Inner {
                limiter: Limiter::new(cfg.limits.clone()),
                cfg,
                http,
                tokens: TokenCache::default(),
                stats: Stats::default(),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.cfg.endpoints
    }

    /// Request counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    pub(crate) fn v1(&self) -> String {
        self.inner.cfg.endpoints.graph_v1()
    }

    pub(crate) fn beta(&self) -> String {
        self.inner.cfg.endpoints.graph_beta()
    }

    /// Earliest instant a request to `mailbox` may go out after a 429 (None = now).
    pub fn mailbox_not_before(&self, mailbox: &str) -> Option<tokio::time::Instant> {
        self.inner.limiter.not_before(&mailbox.to_ascii_lowercase())
    }

    // ---------------------------------------------------------------- execute

    /// Sends `req` with auth, limits and retries. 2xx/3xx → `Ok`; anything else → typed error.
    pub(crate) async fn execute(&self, req: Request) -> Result<Response> {
        let class = classify(&req.url);
        // Throttle key: the mailbox, else the service area (a 429 on sign-in logs must not
        // hold up mail, and vice versa).
        let throttle_key = match (&class.mailbox, req.resource) {
            (Some(mb), _) => mb.clone(),
            (None, Resource::Management) => "svc:management".to_owned(),
            (None, Resource::Graph) => format!("svc:{}", class.kind),
        };
        let mailboxes: Vec<(String, u32)> = class.mailbox.iter().map(|m| (m.clone(), 1)).collect();
        self.execute_with(req, vec![throttle_key], mailboxes).await
    }

    /// A `$batch` POST: limits apply to every mailbox its items touch (weight = item count).
    pub(crate) async fn execute_batch(
        &self,
        req: Request,
        mailboxes: &[(String, u32)],
    ) -> Result<Response> {
        let mut keys: Vec<String> = mailboxes.iter().map(|m| m.0.clone()).collect();
        keys.push("svc:batch".to_owned());
        self.execute_with(req, keys, mailboxes.to_vec()).await
    }

    async fn execute_with(
        &self,
        req: Request,
        keys: Vec<String>,
        mailboxes: Vec<(String, u32)>,
    ) -> Result<Response> {
        let cfg = &self.inner.cfg;
        let class = classify(&req.url);
        let resource_desc = req.context.clone().unwrap_or(class.context.clone());
        let api = api_of(req.resource);
        // nextLinks, NextPageUri and contentUri come from the network and are followed
        // verbatim: never send the bearer token to a host other than the configured one.
        let expected = match req.resource {
            Resource::Graph => &cfg.endpoints.graph,
            Resource::Management => &cfg.endpoints.manage,
        };
        if !same_origin(&req.url, expected) {
            return Err(GraphError::Config(format!(
                "refusing to send Ward's access token to {} (not the configured {api} endpoint {expected})",
                origin_of(&req.url).unwrap_or_else(|| "an unparseable URL".into())
            )));
        }
        let throttle_key = keys.last().cloned().unwrap_or_default();
        let mail = class.mailbox.is_some();
        let mut prefer = req.prefer.clone();
        if mail {
            prefer.insert(0, "IdType=\"ImmutableId\"".to_owned());
        }
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let max_bytes = req.max_bytes.unwrap_or(cfg.max_response_bytes);
        // `/$value` returns MIME or file bytes, not JSON.
        let raw_value = req.url.split('?').next().unwrap_or("").ends_with("/$value");

        let mut attempt: u32 = 0;
        let mut refreshed_on_401 = false;
        loop {
            attempt += 1;
            let permits = self.inner.limiter.acquire(&keys, &mailboxes).await;
            let token = self.token(req.resource).await?;
            let mut rb = self
                .inner
                .http
                .request(req.method.clone(), &req.url)
                .bearer_auth(expose(&token))
                .header("client-request-id", &client_request_id)
                .header("Accept", if raw_value { "*/*" } else { "application/json" });
            if !prefer.is_empty() {
                rb = rb.header("Prefer", prefer.join(", "));
            }
            for (k, v) in &req.headers {
                rb = rb.header(*k, v);
            }
            match &req.body {
                Body::None => {
                    // Graph answers 411 to a body-less POST without Content-Length
                    // (revokeSignInSessions, permanentDelete): send an explicit empty body.
                    if req.method == Method::POST {
                        rb = rb.body(Vec::<u8>::new());
                    }
                }
                Body::Json(b) => {
                    rb = rb
                        .header("Content-Type", "application/json")
                        .body(b.clone())
                }
            }
            self.inner.stats.request(class.kind);
            let sent = rb.send().await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    drop(permits);
                    // A name that does not resolve or a closed port is said at once.
                    if req.idempotent
                        && attempt < cfg.retry.max_attempts
                        && crate::reach::Unreachable::of(&e).retry_helps()
                    {
                        self.inner.stats.retry();
                        tokio::time::sleep(cfg.retry.delay(attempt, None)).await;
                        continue;
                    }
                    return Err(GraphError::transport(api, resource_desc, e));
                }
            };
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = match read_capped(resp, max_bytes, &resource_desc).await {
                Ok(b) => b,
                Err(ReadErr::TooLarge(e)) => return Err(e),
                Err(ReadErr::Transport(e)) => {
                    drop(permits);
                    if req.idempotent && attempt < cfg.retry.max_attempts {
                        self.inner.stats.retry();
                        tokio::time::sleep(cfg.retry.delay(attempt, None)).await;
                        continue;
                    }
                    return Err(GraphError::transport(api, resource_desc, e));
                }
            };
            drop(permits);
            self.inner.stats.status(status);
            if (200..400).contains(&status) {
                return Ok(Response {
                    status,
                    headers,
                    body,
                });
            }
            let err = error_from(api, status, Some(&headers), &body, &resource_desc);
            let code = err.code().unwrap_or("").to_ascii_lowercase();

            if status == 401 && !refreshed_on_401 {
                // Expired/revoked token (`InvalidAuthenticationToken`): fetch a new one and
                // try once more; a second 401 is a real error.
                refreshed_on_401 = true;
                self.inner.stats.refresh_on_401();
                self.invalidate(req.resource, &token).await;
                attempt -= 1;
                continue;
            }
            let throttled = status == 429 || code == "af429" || code == "applicationthrottled";
            if code == "af429" && status != 429 {
                self.inner.stats.af429();
            }
            let transient = throttled || matches!(status, 503 | 504) || code == "af50000";
            let retry_after = headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            if transient && (throttled || req.idempotent) && attempt < cfg.retry.max_attempts {
                let delay = cfg.retry.delay(attempt, retry_after);
                if throttled {
                    // Shared: no task sends to this mailbox/service before the delay passed.
                    self.inner.limiter.defer(&throttle_key, delay);
                } else {
                    tokio::time::sleep(delay).await;
                }
                self.inner.stats.retry();
                tracing::debug!(kind = class.kind, status, attempt, ?delay, "retrying");
                continue;
            }
            return Err(err);
        }
    }

    /// GET + JSON decode.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(&self, req: Request) -> Result<T> {
        let desc = req
            .context
            .clone()
            .unwrap_or_else(|| classify(&req.url).context);
        let api = api_of(req.resource);
        let resp = self.execute(req).await?;
        resp.json(api, &desc)
    }
}
