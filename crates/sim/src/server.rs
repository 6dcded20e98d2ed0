//! The HTTP server: one loopback base URL serving the token endpoint, Graph (`/v1.0`, `/beta`),
//! the Management Activity API (`/api/v1.0/{tid}/activity/feed`) and `/_sim` introspection.
//! Common response headers and fault injection live here.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::auth::{self, AccessClaims, TokenContext, TokenProblem};
use crate::config::SimConfig;
use crate::graph::{self, GReq, resp::GBody, resp::GResp, resp::fmt_retry};
use crate::state::Tenant;
use crate::stats::Stats;
use crate::webhooks::WebhookJob;

/// The `request-id` of the request being served (header and error bodies agree).
#[derive(Clone)]
pub struct RequestId(pub String);

/// Shared simulator internals.
pub struct Sim {
    pub cfg: SimConfig,
    pub base: String,
    pub state: Mutex<Tenant>,
    pub stats: Stats,
    pub rng: Mutex<ChaCha8Rng>,
    pub used_jti: Mutex<HashMap<String, i64>>,
    pub apps: Mutex<Vec<crate::config::RegisteredApp>>,
    /// Tokens whose signature was already verified (RSA verification dominates request cost).
    pub verified: Mutex<HashMap<String, AccessClaims>>,
    pub tenant_names: Vec<String>,
    pub tenant_id: String,
    pub http: reqwest::Client,
    pub webhook_tx: mpsc::UnboundedSender<WebhookJob>,
    pub start: DateTime<Utc>,
    pub seed_shift: chrono::TimeDelta,
}

impl Sim {
    /// Verify a bearer token for `aud`, remembering good signatures; lifetime, audience and
    /// tenant are checked on every call.
    pub fn verify(
        &self,
        auth_header: Option<&str>,
        aud: &str,
    ) -> Result<AccessClaims, TokenProblem> {
        let tok = auth_header
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim);
        if let Some(tok) = tok
            && let Some(c) = self.verified.lock().get(tok).cloned()
        {
            if c.exp <= Utc::now().timestamp() {
                return Err(TokenProblem::Expired);
            }
            let aud_ok = c.aud == aud
                || (aud == auth::GRAPH_RESOURCE && c.aud == auth::GRAPH_APP_ID)
                || (aud == auth::MANAGE_RESOURCE && c.aud == auth::MANAGE_APP_ID);
            if !aud_ok {
                return Err(TokenProblem::WrongAudience);
            }
            return Ok(c);
        }
        let c = auth::verify_bearer(auth_header, aud, &self.tenant_id)?;
        if let Some(tok) = tok {
            let mut v = self.verified.lock();
            if v.len() > 10_000 {
                v.clear();
            }
            v.insert(tok.to_string(), c.clone());
        }
        Ok(c)
    }

    /// Run `f` on the state and then hand queued change events to the webhook worker.
    pub fn mutate<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> R {
        let (r, events) = {
            let mut t = self.state.lock();
            let r = f(&mut t);
            let ev = std::mem::take(&mut t.outbox);
            (r, ev)
        };
        if !events.is_empty() {
            let _ = self.webhook_tx.send(WebhookJob::MessageEvents(events));
        }
        r
    }

    pub fn chance(&self, p: f64) -> bool {
        p > 0.0 && self.rng.lock().random::<f64>() < p
    }

    pub fn pick_retry_after(&self) -> f64 {
        let c = &self.cfg.faults.retry_after_choices;
        if c.is_empty() {
            return 1.0;
        }
        let i = self.rng.lock().random_range(0..c.len());
        c[i]
    }
}

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token_v2))
        .route("/{tenant}/oauth2/token", post(token_v1))
        .route("/{tenant}/discovery/v2.0/keys", get(keys))
        .route("/{tenant}/discovery/keys", get(keys))
        .route("/v1.0/{*rest}", any(graph_v1))
        .route("/beta/{*rest}", any(graph_beta))
        .route("/api/v1.0/{tid}/activity/feed/{*rest}", any(management))
        .route("/_sim/stats", get(sim_stats))
        .route("/_sim/ground-truth", get(sim_ground_truth))
        .route("/_sim/reports/download", get(report_download))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            common_layer,
        ))
        .with_state(sim)
}

/// Headers every Microsoft response carries, request counting, and transport-level faults.
async fn common_layer(
    State(sim): State<Arc<Sim>>,
    mut req: Request,
    next: axum::middleware::Next,
) -> Response {
    sim.stats.with(|s| s.total_requests += 1);
    let path = req.uri().path().to_string();
    let client_request_id = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let request_id = crate::util::new_guid();
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let api = path.starts_with("/v1.0/") || path.starts_with("/beta/") || path.starts_with("/api/");
    let f = &sim.cfg.faults;
    let mut injected: Option<Response> = None;
    if api {
        if sim.chance(f.p_slow) {
            sim.stats.with(|s| s.faults_injected += 1);
            tokio::time::sleep(f.slow_delay).await;
        }
        for (p, status) in [(f.p_429, 429u16), (f.p_503, 503), (f.p_504, 504)] {
            if injected.is_none() && sim.chance(p) {
                let ra = sim.pick_retry_after();
                sim.stats.with(|s| {
                    s.faults_injected += 1;
                    if status == 429 {
                        s.throttled_429 += 1;
                    }
                });
                let (code, msg) = match status {
                    429 => ("TooManyRequests", "Please retry again later."),
                    503 => (
                        "serviceNotAvailable",
                        "The service is temporarily unavailable. Please retry later.",
                    ),
                    _ => (
                        "UnknownError",
                        "The gateway did not receive a response in time.",
                    ),
                };
                let body = if path.starts_with("/api/") {
                    json!({"error": {"code": if status == 429 { "AF429" } else { "AF50000" }, "message": msg}})
                } else {
                    json!({"error": {"code": code, "message": msg, "innerError": {"date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(), "request-id": request_id, "client-request-id": client_request_id}}})
                };
                let mut r = (
                    StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                    axum::Json(body),
                )
                    .into_response();
                if let Ok(v) = HeaderValue::from_str(&fmt_retry(ra)) {
                    r.headers_mut().insert("Retry-After", v);
                }
                injected = Some(r);
            }
        }
    }
    let mut resp = match injected {
        Some(r) => r,
        None => next.run(req).await,
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("request-id", v);
    }
    // Echoed when sent; Microsoft generates one otherwise.
    if let Ok(c) = HeaderValue::from_str(client_request_id.as_deref().unwrap_or(&request_id)) {
        h.insert("client-request-id", c);
    }
    if let Ok(v) =
        HeaderValue::from_str(&Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string())
    {
        h.insert("Date", v);
    }
    if !path.starts_with("/api/")
        && let Ok(v) = HeaderValue::from_str(
            r#"{"ServerInfo":{"DataCenter":"Sim Loopback","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"SIM01","ADSiteName":"LOO"}}"#,
        )
    {
        h.insert("x-ms-ags-diagnostic", v);
    }
    if api && sim.chance(f.p_drop_connection) {
        sim.stats.with(|s| s.faults_injected += 1);
        // Abort mid-body: the client sees the connection die.
        let (parts, _) = resp.into_parts();
        let stream = futures::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by simulator"))
        });
        return Response::from_parts(parts, Body::from_stream(stream));
    }
    if api
        && sim.chance(f.p_truncated_json)
        && resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.contains("json"))
    {
        sim.stats.with(|s| s.faults_injected += 1);
        let (mut parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
            .await
            .unwrap_or_default();
        let cut = bytes.slice(..bytes.len() / 2);
        parts.headers.remove("content-length");
        return Response::from_parts(parts, Body::from(cut));
    }
    resp
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"error": {"code": "BadRequest", "message": "Invalid version."}})),
    )
        .into_response()
}

async fn keys() -> Response {
    axum::Json(auth::jwks()).into_response()
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

async fn token_v2(
    State(sim): State<Arc<Sim>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    token(sim, tenant, false, body).await
}

async fn token_v1(
    State(sim): State<Arc<Sim>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    token(sim, tenant, true, body).await
}

async fn token(sim: Arc<Sim>, tenant: String, v1: bool, body: Bytes) -> Response {
    sim.stats.with(|s| s.token_requests += 1);
    let form = parse_form(&body);
    let s2 = sim.clone();
    // RSA signing/verification is CPU work: keep it off the async workers.
    let res = tokio::task::spawn_blocking(move || {
        let apps = s2.apps.lock().clone();
        let ctx = TokenContext {
            tenant_id: &s2.tenant_id,
            tenant_names: &s2.tenant_names,
            apps: &apps,
            base_url: &s2.base,
            lifetime_secs: s2.cfg.token_lifetime.as_secs() as i64,
            used_jti: &s2.used_jti,
            reject_replay: s2.cfg.reject_replayed_jti,
        };
        auth::issue_token(&ctx, &tenant, v1, &form)
    })
    .await;
    match res {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err(e)) => (e.status, axum::Json(e.body())).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn sim_stats(State(sim): State<Arc<Sim>>) -> Response {
    axum::Json(serde_json::to_value(sim.stats.snapshot()).unwrap_or(Value::Null)).into_response()
}

async fn sim_ground_truth(State(sim): State<Arc<Sim>>) -> Response {
    let gt = sim.state.lock().ground_truth.clone();
    axum::Json(serde_json::to_value(gt).unwrap_or(Value::Null)).into_response()
}

/// The pre-authenticated download a usage-report `302` points at (no Authorization needed).
async fn report_download(
    State(sim): State<Arc<Sim>>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let report = q.get("report").map(String::as_str).unwrap_or_default();
    let period = q.get("period").map(String::as_str).unwrap_or("D7");
    match crate::graph::reports::csv(&sim, report, period) {
        Some(body) => {
            let mut r = Response::new(Body::from(body));
            r.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("application/octet-stream"),
            );
            r
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn graph_v1(State(sim): State<Arc<Sim>>, req: Request) -> Response {
    graph_entry(sim, req, false).await
}

async fn graph_beta(State(sim): State<Arc<Sim>>, req: Request) -> Response {
    graph_entry(sim, req, true).await
}

/// 401 for a missing/bad/expired Graph token.
fn graph_unauthorized(p: TokenProblem) -> GResp {
    let msg = match p {
        TokenProblem::Missing => "Access token is empty.",
        TokenProblem::Invalid => "IDX14100: JWT is not well formed, there are no dots (.).",
        TokenProblem::Expired => "Lifetime validation failed, the token is expired.",
        TokenProblem::WrongAudience => "Invalid audience.",
        TokenProblem::WrongTenant => "Access token validation failure. Invalid audience.",
    };
    GResp::error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", msg)
        .header("WWW-Authenticate", r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#)
}

async fn graph_entry(sim: Arc<Sim>, req: Request, beta: bool) -> Response {
    let (parts, body) = req.into_parts();
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(crate::util::new_guid);
    let client_request_id = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let auth_h = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let claims = match sim.verify(auth_h, auth::GRAPH_RESOURCE) {
        Ok(c) => c,
        Err(p) => {
            sim.stats.with(|s| s.graph_requests += 1);
            return to_http(
                graph_unauthorized(p),
                &request_id,
                client_request_id.as_deref(),
            );
        }
    };
    let bytes = axum::body::to_bytes(body, 35 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let prefix = if beta { "/beta" } else { "/v1.0" };
    let raw_path = parts
        .uri
        .path()
        .strip_prefix(prefix)
        .unwrap_or("")
        .to_string();
    let g = GReq::new(
        parts.method.clone(),
        beta,
        &raw_path,
        parts.uri.query().unwrap_or(""),
        parts.headers.clone(),
        &bytes,
        claims,
    );
    let resp = graph::dispatch_top(&sim, g).await;
    to_http(resp, &request_id, client_request_id.as_deref())
}

/// Fill `innerError` and turn a [`GResp`] into an HTTP response.
pub fn finish_error_body(v: &mut Value, request_id: &str, client_request_id: Option<&str>) {
    if let Some(inner) = v
        .get_mut("error")
        .and_then(|e| e.get_mut("innerError"))
        .and_then(Value::as_object_mut)
    {
        inner.insert(
            "date".into(),
            json!(Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()),
        );
        inner.insert("request-id".into(), json!(request_id));
        inner.insert(
            "client-request-id".into(),
            json!(client_request_id.unwrap_or(request_id)),
        );
    }
}

pub fn to_http(r: GResp, request_id: &str, client_request_id: Option<&str>) -> Response {
    let mut resp = match r.body {
        GBody::Empty => Response::new(Body::empty()),
        GBody::Json(mut v) => {
            finish_error_body(&mut v, request_id, client_request_id);
            let mut resp = Response::new(Body::from(serde_json::to_vec(&v).unwrap_or_default()));
            resp.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
            );
            resp
        }
        GBody::Bytes {
            content_type,
            bytes,
        } => {
            let mut resp = Response::new(Body::from(bytes));
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                resp.headers_mut().insert("content-type", v);
            }
            resp
        }
    };
    *resp.status_mut() = r.status;
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().append(k, v);
        }
    }
    resp
}

async fn management(
    State(sim): State<Arc<Sim>>,
    Path((tid, rest)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    req: Request,
) -> Response {
    sim.stats.with(|s| s.management_requests += 1);
    let query = req.uri().query().unwrap_or("").to_string();
    let body = axum::body::to_bytes(req.into_body(), 1024 * 1024)
        .await
        .unwrap_or_default();
    let auth_h = headers.get("authorization").and_then(|v| v.to_str().ok());
    let claims: Result<AccessClaims, TokenProblem> = sim.verify(auth_h, auth::MANAGE_RESOURCE);
    crate::management::handle(&sim, &tid, &rest, method, &query, &body, claims).await
}
