//! `ward serve --preview`: the pipeline of `ward watch`, and beside it a JSON API over the store
//! on one port — the first slice of the console (issue 15): incidents, actions, metrics, and
//! the analyst's approve and reject. No dashboard, sign-in or roles yet, so it is behind
//! `--preview`, listens on loopback by default, and answers nothing but `/healthz` without the
//! bearer token from `WARD_API_TOKEN_FILE` (one token, one role: the administrator).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use ward_pipeline::watch::{WatchEvent, WatchOptions};
use ward_respond::{RespondError, Responder};
use ward_store::{ActionStatus, IncidentStatus, Store};

use crate::config::Config;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Required while the console is a preview: the API only, no dashboard, sign-in or roles.
    #[arg(long)]
    pub preview: bool,
    /// Configuration file (default: ./ward.toml, or $WARD_CONFIG).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Store: a SQLite file path or a postgres:// URL.
    #[arg(long, env = "WARD_DATABASE")]
    pub database: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8920")]
    pub listen: SocketAddr,
    /// Seconds between pipeline passes.
    #[arg(long, default_value_t = 30.0)]
    pub interval: f64,
    /// Serve the store only: no sync, detection or response.
    #[arg(long)]
    pub no_pipeline: bool,
}

/// What the API and `/metrics` read.
struct App {
    store: Store,
    responder: Responder,
    /// Shared with the pipeline's respond stage: one decision at a time runs actions.
    respond_lock: Arc<tokio::sync::Mutex<()>>,
    tenant: String,
    token: SecretString,
    passes: AtomicU64,
    messages: AtomicU64,
    incidents_changed: AtomicU64,
    pipeline_failed: AtomicBool,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    if !args.preview {
        bail!(
            "`ward serve` is a preview (a read-only API, no dashboard, sign-in or roles yet): \
             run it with --preview to accept that"
        );
    }
    let token = read_token()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(serve(args, token))
}

/// The API token: the first line of the file `WARD_API_TOKEN_FILE` names, at least 32
/// characters, readable by its owner only.
fn read_token() -> Result<SecretString> {
    let Some(path) = std::env::var_os("WARD_API_TOKEN_FILE") else {
        bail!(
            "set WARD_API_TOKEN_FILE to a file holding the API token (32 characters or more, \
             mode 600), e.g. `openssl rand -hex 32 > token && chmod 600 token`"
        );
    };
    let path = PathBuf::from(path);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} is readable by others (mode {:o}): chmod 600 it",
                path.display(),
                mode & 0o777
            );
        }
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    if token.len() < 32 {
        bail!(
            "the API token in {} is shorter than 32 characters",
            path.display()
        );
    }
    Ok(SecretString::from(token))
}

async fn serve(args: ServeArgs, token: SecretString) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref(), args.database.as_deref())?;
    let tenant = config.tenant()?;
    let store = crate::tenant::store(&config.database).await?;
    let client = crate::tenant::client(&tenant, &config.file.sync)?;
    let responder = Responder::new(
        client,
        store.clone(),
        &tenant.tenant_id,
        config.file.respond.clone(),
    );
    let app = Arc::new(App {
        store,
        responder,
        respond_lock: Arc::new(tokio::sync::Mutex::new(())),
        tenant: tenant.tenant_id.clone(),
        token,
        passes: AtomicU64::new(0),
        messages: AtomicU64::new(0),
        incidents_changed: AtomicU64::new(0),
        pipeline_failed: AtomicBool::new(false),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    eprintln!("serving the API at http://{addr}/api/v1/ (preview; bearer token required)");

    let pipeline = (!args.no_pipeline).then(|| {
        let (app, stop) = (app.clone(), stop.clone());
        let opts = WatchOptions {
            interval: Duration::from_secs_f64(args.interval.max(1.0)),
            passes: None,
            respond: true,
            respond_lock: Some(app.respond_lock.clone()),
        };
        tokio::spawn(async move {
            let progress = Arc::new(ward_ingest::Quiet);
            let result = ward_pipeline::watch::run(&config, &opts, stop, progress, |e| {
                if let WatchEvent::Pass(r) = e {
                    app.passes.fetch_add(1, Ordering::Relaxed);
                    app.messages
                        .fetch_add(r.summary.messages_new, Ordering::Relaxed);
                    app.incidents_changed
                        .fetch_add(r.incidents_changed.len() as u64, Ordering::Relaxed);
                }
            })
            .await;
            if let Err(e) = result {
                app.pipeline_failed.store(true, Ordering::SeqCst);
                eprintln!("error: the pipeline stopped: {e:#}");
            }
        })
    });

    // Everything but /healthz needs the token.
    let router = Router::new()
        .route("/metrics", get(metrics))
        .route("/api/v1/incidents", get(incidents))
        .route("/api/v1/incidents/{id}", get(incident))
        .route("/api/v1/actions", get(actions))
        .route("/api/v1/actions/{id}/approve", post(approve))
        .route("/api/v1/actions/{id}/reject", post(reject))
        .route("/api/v1/actions/{id}/undo", post(undo))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            require_token,
        ))
        .route("/healthz", get(healthz))
        .with_state(app.clone());
    let stopping = stop.clone();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            crate::watch::shutdown_signal().await;
            stopping.store(true, Ordering::SeqCst);
        })
        .await
        .context("the API server failed")?;
    if let Some(p) = pipeline {
        let _ = p.await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Constant-time comparison of the presented bearer token with ours.
fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let want = app.token.expose_secret().as_bytes();
    let given = given.trim().as_bytes();
    want.len() == given.len()
        && want
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The bearer token, checked once for every route layered with it.
async fn require_token(
    State(app): State<Arc<App>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if authorized(&app, request.headers()) {
        next.run(request).await
    } else {
        unauthorized()
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn unauthorized() -> Response {
    let mut r = error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "send the API token as `Authorization: Bearer <token>`",
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    r
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "API request failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "store_error",
        "the store could not answer; see the server's log",
    )
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    if app.pipeline_failed.load(Ordering::SeqCst) {
        (StatusCode::SERVICE_UNAVAILABLE, "pipeline stopped\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

/// Prometheus text format.
async fn metrics(State(app): State<Arc<App>>) -> Response {
    let open = match app
        .store
        .incidents_with_status(&app.tenant, IncidentStatus::Open)
        .await
    {
        Ok(v) => v.len(),
        Err(e) => return internal(e),
    };
    let body = format!(
        "# HELP ward_pipeline_passes_total Pipeline passes finished.\n\
         # TYPE ward_pipeline_passes_total counter\nward_pipeline_passes_total {}\n\
         # HELP ward_messages_synced_total New messages synced and analysed.\n\
         # TYPE ward_messages_synced_total counter\nward_messages_synced_total {}\n\
         # HELP ward_incidents_changed_total Incidents opened or changed by detection.\n\
         # TYPE ward_incidents_changed_total counter\nward_incidents_changed_total {}\n\
         # HELP ward_incidents_open Incidents open now.\n\
         # TYPE ward_incidents_open gauge\nward_incidents_open {open}\n",
        app.passes.load(Ordering::Relaxed),
        app.messages.load(Ordering::Relaxed),
        app.incidents_changed.load(Ordering::Relaxed),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

#[derive(serde::Deserialize)]
struct StatusFilter {
    status: Option<String>,
}

async fn incidents(State(app): State<Arc<App>>, Query(q): Query<StatusFilter>) -> Response {
    let wanted = q.status.unwrap_or_else(|| "open".into());
    let statuses = if wanted == "all" {
        vec![
            IncidentStatus::Open,
            IncidentStatus::Contained,
            IncidentStatus::Closed,
        ]
    } else if let Ok(s) = IncidentStatus::try_from(wanted) {
        vec![s]
    } else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_status",
            "status is open, contained, closed or all",
        );
    };
    let mut out = Vec::new();
    for s in statuses {
        match app.store.incidents_with_status(&app.tenant, s).await {
            Ok(v) => out.extend(v),
            Err(e) => return internal(e),
        }
    }
    out.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.id.cmp(&b.id)));
    Json(json!({"value": out})).into_response()
}

async fn incident(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let inc = match app.store.get_incident(&app.tenant, &id).await {
        Ok(Some(i)) => i,
        Ok(None) => return error(StatusCode::NOT_FOUND, "not_found", "no such incident"),
        Err(e) => return internal(e),
    };
    let actions = match app.store.actions_for_incident(&app.tenant, &id).await {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    Json(json!({"incident": inc, "actions": actions})).into_response()
}

async fn actions(State(app): State<Arc<App>>, Query(q): Query<StatusFilter>) -> Response {
    let Ok(status) = ActionStatus::try_from(q.status.unwrap_or_else(|| "pending".into())) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_status",
            "status is pending, approved, done, failed, observed or rejected",
        );
    };
    match app.store.actions_with_status(status, 10_000).await {
        Ok(v) => {
            let mine: Vec<_> = v
                .into_iter()
                .filter(|a| a.tenant_id == app.tenant)
                .collect();
            Json(json!({"value": mine})).into_response()
        }
        Err(e) => internal(e),
    }
}

/// Who the journal says decided: the API's one token.
const API_ACTOR: &str = "api:token";

fn respond_error(e: RespondError) -> Response {
    match &e {
        RespondError::UnknownAction(_) => error(StatusCode::NOT_FOUND, "not_found", &e.to_string()),
        RespondError::WrongState { .. }
        | RespondError::NotReversible { .. }
        | RespondError::Store(ward_store::StoreError::InvalidTransition { .. }) => {
            error(StatusCode::CONFLICT, "wrong_state", &e.to_string())
        }
        RespondError::Graph(_) => error(StatusCode::BAD_GATEWAY, "microsoft_365", &e.to_string()),
        _ => internal(e),
    }
}

/// Approves a queued (or failed) action: it runs at once, and the answer is its outcome.
async fn approve(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let _held = app.respond_lock.lock().await;
    match app.responder.approve(&id, API_ACTOR).await {
        Ok(out) => Json(json!({"outcome": out})).into_response(),
        Err(e) => respond_error(e),
    }
}

/// The body's `field` (`{"note": "…"}`, `{"reason": "…"}`), bounded; empty when there is no
/// body; none when the body is not JSON.
fn body_text(body: &Bytes, field: &str) -> Option<String> {
    if body.is_empty() {
        return Some(String::new());
    }
    let v = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    Some(
        v[field]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(2000)
            .collect(),
    )
}

fn bad_body(field: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "bad_body",
        &format!("the body is JSON, {{\"{field}\": \"…\"}}, or empty"),
    )
}

/// Undoes a done action (a false positive): the answer is the undo's outcome.
async fn undo(State(app): State<Arc<App>>, Path(id): Path<String>, body: Bytes) -> Response {
    let reason = match body_text(&body, "reason") {
        Some(r) if r.is_empty() => "false positive (console)".to_owned(),
        Some(r) => r,
        None => return bad_body("reason"),
    };
    let _held = app.respond_lock.lock().await;
    match app.responder.undo(&id, API_ACTOR, &reason).await {
        Ok(out) => Json(json!({"outcome": out})).into_response(),
        Err(e) => respond_error(e),
    }
}

/// Rejects a queued action; the body may carry `{"note": "why"}`.
async fn reject(State(app): State<Arc<App>>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(note) = body_text(&body, "note") else {
        return bad_body("note");
    };
    let _held = app.respond_lock.lock().await;
    match app.responder.reject(&id, API_ACTOR, &note).await {
        Ok(()) => Json(json!({"id": id, "status": "rejected"})).into_response(),
        Err(e) => respond_error(e),
    }
}
