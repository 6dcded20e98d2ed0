//! Loopback test servers: a token endpoint that checks secrets and verifies client
//! assertions with the certificate's public key, plus helpers for Graph-like handlers.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::Mutex;
use serde_json::{Value, json};
use sha1::Digest as _;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use ward_graph::{ClientConfig, Credential, Endpoints, GraphClient, Limits, RetryPolicy};

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
pub const SECRET: &str = "s3cret~value";

/// How the fake token endpoint authenticates the app.
pub enum AppCred {
    Secret(String),
    /// Registered certificate PEM.
    Cert(String),
}

pub struct TokenServer {
    pub cred: AppCred,
    pub expires_in: AtomicU64,
    pub issued: AtomicUsize,
    pub scopes: Mutex<Vec<String>>,
    pub roles: Vec<String>,
    pub jtis: Mutex<HashSet<String>>,
    /// Set by the handler: base URL it is served on (for the assertion `aud`).
    pub base: Mutex<String>,
    /// Header algorithms seen (`RS256`/`PS256`) and which thumbprint header was present.
    pub seen_headers: Mutex<Vec<(String, bool, bool)>>,
}

impl TokenServer {
    pub fn new(cred: AppCred) -> Arc<Self> {
        Arc::new(Self {
            cred,
            expires_in: AtomicU64::new(3599),
            issued: AtomicUsize::new(0),
            scopes: Mutex::new(Vec::new()),
            roles: vec![
                "Mail.ReadWrite".into(),
                "User.Read.All".into(),
                "AuditLog.Read.All".into(),
            ],
            jtis: Mutex::new(HashSet::new()),
            base: Mutex::new(String::new()),
            seen_headers: Mutex::new(Vec::new()),
        })
    }
}

/// An unsigned JWT-shaped access token carrying `roles`, unique per issue.
pub fn fake_access_token(n: usize, aud: &str, roles: &[String]) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"none"}"#);
    let p = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(
            &json!({"aud": aud, "tid": TENANT, "appid": CLIENT_ID, "roles": roles, "n": n}),
        )
        .unwrap(),
    );
    format!("{h}.{p}.sig{n}")
}

fn aadsts(status: StatusCode, error: &str, code: i64, text: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {text}\r\nTrace ID: x\r\nCorrelation ID: y"),
            "error_codes": [code],
            "trace_id": "t", "correlation_id": "c"
        })),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct AssertionClaims {
    aud: String,
    iss: String,
    sub: String,
    jti: String,
    nbf: i64,
    exp: i64,
}

async fn token_handler(
    State(s): State<Arc<TokenServer>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if tenant != TENANT {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            "Tenant not found.",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
    {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application not found.",
        );
    }
    let scope = form.get("scope").cloned().unwrap_or_default();
    if !scope.ends_with("/.default") {
        return aadsts(StatusCode::BAD_REQUEST, "invalid_scope", 70011, "bad scope");
    }
    match &s.cred {
        AppCred::Secret(expected) => {
            if form.get("client_secret") != Some(expected) {
                return aadsts(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided.",
                );
            }
        }
        AppCred::Cert(cert_pem) => {
            if form.get("client_assertion_type").map(String::as_str)
                != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            {
                return aadsts(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    900144,
                    "no assertion",
                );
            }
            let assertion = form.get("client_assertion").cloned().unwrap_or_default();
            if let Err(why) = verify_assertion(&s, cert_pem, &assertion) {
                return aadsts(StatusCode::UNAUTHORIZED, "invalid_client", 700027, &why);
            }
        }
    }
    let n = s.issued.fetch_add(1, Ordering::SeqCst) + 1;
    s.scopes.lock().push(scope.clone());
    let aud = scope.trim_end_matches("/.default").to_owned();
    let roles = if aud.contains("manage.office.com") {
        vec!["ActivityFeed.Read".to_owned()]
    } else {
        s.roles.clone()
    };
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": s.expires_in.load(Ordering::SeqCst),
        "ext_expires_in": 3599,
        "access_token": fake_access_token(n, &aud, &roles),
    }))
    .into_response()
}

/// Independent check of the client assertion: signature with the CERT's public key,
/// thumbprint header matches the cert, claims per Microsoft's spec.
fn verify_assertion(s: &TokenServer, cert_pem: &str, assertion: &str) -> Result<(), String> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|e| format!("header: {e}"))?;
    let der = pem_der(cert_pem);
    let x5t = URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der));
    let x5t_s256 = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&der));
    s.seen_headers.lock().push((
        format!("{:?}", header.alg),
        header.x5t.is_some(),
        header.x5t_s256.is_some(),
    ));
    match header.alg {
        jsonwebtoken::Algorithm::RS256 => {
            if header.x5t.as_deref() != Some(x5t.as_str()) {
                return Err("x5t does not match a registered certificate".into());
            }
        }
        jsonwebtoken::Algorithm::PS256 => {
            if header.x5t_s256.as_deref() != Some(x5t_s256.as_str()) {
                return Err("x5t#S256 does not match a registered certificate".into());
            }
        }
        other => return Err(format!("unsupported alg {other:?}")),
    }
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(cert_pem.as_bytes())
        .map_err(|e| format!("cert key: {e}"))?;
    let aud = format!("{}/{}/oauth2/v2.0/token", s.base.lock(), TENANT);
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_audience(std::slice::from_ref(&aud));
    v.set_issuer(&[CLIENT_ID]);
    v.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    v.validate_nbf = true;
    let data = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &v)
        .map_err(|e| format!("signature/claims: {e}"))?;
    let c = data.claims;
    if c.sub != CLIENT_ID || c.iss != CLIENT_ID || c.aud != aud {
        return Err("iss/sub/aud".into());
    }
    if c.exp - c.nbf > 600 || c.exp <= c.nbf {
        return Err("lifetime".into());
    }
    if uuid_like(&c.jti).is_none() || !s.jtis.lock().insert(c.jti) {
        return Err("jti missing or replayed".into());
    }
    Ok(())
}

fn uuid_like(s: &str) -> Option<()> {
    (s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4).then_some(())
}

fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

pub fn token_router(s: Arc<TokenServer>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token_handler))
        .with_state(s)
}

/// Serves `app` on 127.0.0.1:0 and returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// Starts token + `graph` routers on one port; returns base URL.
pub async fn start(tok: Arc<TokenServer>, graph: Router) -> String {
    let app = token_router(tok.clone()).merge(graph);
    let base = serve(app).await;
    *tok.base.lock() = base.clone();
    base
}

/// Fast retry policy for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        backoff_base: Duration::from_millis(50),
        backoff_floor: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        retry_after_max: Duration::from_secs(5),
    }
}

pub fn config(base: &str, cred: Credential) -> ClientConfig {
    let mut cfg =
        ClientConfig::new(TENANT, CLIENT_ID, cred).with_endpoints(Endpoints::single(base));
    cfg.retry = fast_retry();
    cfg.limits = Limits::default();
    cfg
}

pub fn client(base: &str) -> GraphClient {
    GraphClient::new(config(base, Credential::secret(SECRET))).unwrap()
}

pub fn json_response(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

pub fn with_headers(mut r: Response, headers: &[(&'static str, String)]) -> Response {
    for (k, v) in headers {
        r.headers_mut().insert(*k, v.parse().unwrap());
    }
    r
}

pub fn graph_error(status: u16, code: &str, message: &str) -> Response {
    json_response(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {"request-id": "rid-123", "date": "2025-01-01T00:00:00"}}}),
    )
}

pub fn bearer(h: &HeaderMap) -> String {
    h.get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim_start_matches("Bearer ")
        .to_owned()
}

pub fn empty(status: u16) -> Response {
    Response::builder()
        .status(status)
        .body(Body::empty())
        .unwrap()
}
