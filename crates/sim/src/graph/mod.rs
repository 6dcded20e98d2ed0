//! Graph request routing. Routing is by hand over decoded path segments (not axum routes) so
//! `$batch` items run through exactly the same code as top-level requests, throttling included.

pub mod auditquery;
pub mod batch;
pub mod delta;
pub mod directory;
pub mod identity;
pub mod mail;
pub mod paging;
pub mod reports;
pub mod resp;
pub mod rules;
pub mod schema;
pub mod subscriptions;
pub mod users;

use std::sync::Arc;

use axum::http::{HeaderMap, Method};
use serde_json::Value;

use crate::auth::AccessClaims;
use crate::server::Sim;
use resp::GResp;

/// A parsed Graph request (top-level or batch item).
#[derive(Debug, Clone)]
pub struct GReq {
    pub method: Method,
    pub beta: bool,
    /// Decoded path segments after the version (`mailFolders('inbox')` split into two).
    pub segs: Vec<String>,
    /// The path as sent (after the version), for `@odata.nextLink`.
    pub raw_path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Option<Value>,
    pub body_invalid: bool,
    pub claims: AccessClaims,
    /// When the HTTP request carrying this one arrived (a `$batch` item: the batch's arrival).
    /// Throttling accounting compares it with the Retry-After the simulator gave out.
    pub arrived: std::time::Instant,
}

pub fn split_segments_pub(path: &str) -> Vec<String> {
    split_segments(path)
}

fn split_segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let s = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        // `name(...)` key syntax: mailFolders('inbox'), servicePrincipals(appId='x'), delta()
        if let (Some(open), true) = (s.find('('), s.ends_with(')')) {
            let name = &s[..open];
            let inner = &s[open + 1..s.len() - 1];
            if !name.is_empty() {
                out.push(name.to_string());
            }
            if !inner.is_empty() {
                let inner = inner.trim();
                if let Some((k, v)) = inner.split_once('=') {
                    out.push(format!("{}={}", k.trim(), v.trim().trim_matches('\'')));
                } else {
                    out.push(inner.trim_matches('\'').to_string());
                }
            }
        } else {
            out.push(s);
        }
    }
    out
}

impl GReq {
    pub fn new(
        method: Method,
        beta: bool,
        raw_path: &str,
        query: &str,
        headers: HeaderMap,
        body: &[u8],
        claims: AccessClaims,
    ) -> Self {
        let query: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let (body, body_invalid) = if body.iter().all(u8::is_ascii_whitespace) {
            (None, false)
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(v) => (Some(v), false),
                Err(_) => (None, true),
            }
        };
        Self {
            method,
            beta,
            segs: split_segments(raw_path),
            raw_path: raw_path.to_string(),
            query,
            headers,
            body,
            body_invalid,
            claims,
            arrived: std::time::Instant::now(),
        }
    }

    /// A query option, matched with or without `$`, case-insensitively.
    pub fn q(&self, name: &str) -> Option<&str> {
        let bare = name.trim_start_matches('$');
        self.query
            .iter()
            .find(|(k, _)| k.trim_start_matches('$').eq_ignore_ascii_case(bare))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// True when any `Prefer` header contains `needle` (case-insensitive, quotes ignored).
    pub fn prefers(&self, needle: &str) -> bool {
        let n = needle.to_ascii_lowercase();
        self.headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().replace('"', "").contains(&n))
    }

    pub fn prefer_value(&self, key: &str) -> Option<String> {
        let key = key.to_ascii_lowercase();
        for v in self
            .headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            for part in v.split(',') {
                if let Some((k, val)) = part.split_once('=')
                    && k.trim().to_ascii_lowercase() == key
                {
                    return Some(val.trim().trim_matches('"').to_string());
                }
            }
        }
        None
    }

    pub fn immutable_ids(&self) -> bool {
        self.prefers("idtype=immutableid")
    }

    pub fn version(&self) -> &'static str {
        if self.beta { "beta" } else { "v1.0" }
    }

    pub fn lc(&self, i: usize) -> String {
        self.segs
            .get(i)
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// Outlook resources under `/users/{id}/...` count against that mailbox's limits.
fn mailbox_of(g: &GReq) -> Option<&str> {
    if g.lc(0) == "users" && g.segs.len() >= 3 {
        let r = g.lc(2);
        if matches!(
            r.as_str(),
            "messages" | "mailfolders" | "mailboxsettings" | "inferenceclassification" | "outlook"
        ) {
            return Some(g.segs[1].as_str());
        }
    }
    None
}

/// Top-level entry: `$batch` or a single request.
pub async fn dispatch_top(sim: &Arc<Sim>, g: GReq) -> GResp {
    if g.segs.len() == 1 && g.segs[0] == "$batch" {
        sim.stats.with(|s| s.batch_requests += 1);
        return batch::handle(sim, g).await;
    }
    dispatch(sim, g).await
}

/// Run one Graph request with throttling and service latency.
pub async fn dispatch(sim: &Arc<Sim>, g: GReq) -> GResp {
    sim.stats.with(|s| s.graph_requests += 1);
    let cfg = &sim.cfg;
    if let Some(mb) = mailbox_of(&g) {
        let key = sim
            .state
            .lock()
            .user_id(mb)
            .unwrap_or_else(|| mb.to_ascii_lowercase());
        let limits = crate::stats::MailboxLimits {
            concurrency: cfg.throttle.mailbox_concurrency,
            requests: cfg.throttle.mailbox_requests,
            window: cfg.throttle.mailbox_window,
            retry_after: cfg.throttle.mailbox_retry_after,
        };
        let slot = match sim
            .stats
            .enter_mailbox(&key, &g.claims.appid, &limits, g.arrived)
        {
            Ok(s) => s,
            Err((ra, which)) => return GResp::mailbox_throttled(ra, which),
        };
        if !cfg.mailbox_latency.is_zero() {
            tokio::time::sleep(cfg.mailbox_latency).await;
        }
        let r = route(sim, &g);
        drop(slot);
        return r;
    }
    // Non-mailbox limits.
    let seg0 = g.lc(0);
    if seg0 == "auditlogs"
        && let Err(ra) = sim.stats.window_limit(
            "reports",
            cfg.throttle.reports_requests,
            cfg.throttle.reports_window,
        )
    {
        return GResp::too_many(Some(ra));
    }
    if seg0 == "identity"
        && g.lc(1) == "conditionalaccess"
        && sim
            .stats
            .window_limit(
                "ca",
                cfg.throttle.ca_requests_per_second,
                std::time::Duration::from_secs(1),
            )
            .is_err()
    {
        // Conditional access throttling carries no Retry-After.
        return GResp::too_many(None);
    }
    // Identity & access: a resource-unit budget per app and tenant, reported in headers.
    let mut ru_headers: Vec<(String, String)> = vec![];
    if matches!(
        seg0.as_str(),
        "users" | "applications" | "serviceprincipals"
    ) {
        let mut cost: u32 = match (seg0.as_str(), g.segs.len(), g.lc(2).as_str()) {
            ("users" | "applications", 1, _) => 2,
            ("serviceprincipals", _, "approleassignments") => 2,
            _ => 1,
        };
        if g.q("$select").is_some() && cost > 1 {
            cost -= 1;
        }
        if g.q("$expand").is_some() {
            cost += 1;
        }
        let users = sim.state.lock().users.len();
        let limit = cfg.throttle.identity_resource_units.unwrap_or(match users {
            0..50 => 3_500,
            50..=500 => 5_000,
            _ => 8_000,
        });
        let scope = format!(
            "Tenant_Application/ReadWrite/{}/{}",
            g.claims.appid, sim.tenant_id
        );
        match sim
            .stats
            .window_cost("identity", limit, std::time::Duration::from_secs(10), cost)
        {
            Ok(share) => {
                ru_headers.push(("x-ms-resource-unit".into(), cost.to_string()));
                if limit > 0 && share >= 0.8 {
                    ru_headers.push((
                        "x-ms-throttle-limit-percentage".into(),
                        format!("{:.1}", share),
                    ));
                }
            }
            Err(ra) => {
                return GResp::too_many(Some(ra))
                    .header("x-ms-throttle-scope", scope)
                    .header("x-ms-throttle-information", "ResourceUnitLimitExceeded");
            }
        }
    }
    if !cfg.other_latency.is_zero() {
        tokio::time::sleep(cfg.other_latency).await;
    }
    if seg0 == "subscriptions" {
        return subscriptions::handle(sim, &g).await;
    }
    let mut r = route(sim, &g);
    r.headers.extend(ru_headers);
    r
}

/// Synchronous routing for everything but subscriptions (which call out to webhooks).
fn route(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if g.body_invalid {
        return GResp::bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        );
    }
    match g.lc(0).as_str() {
        "me" => GResp::bad_request("/me request is only valid with delegated authentication flow."),
        "users" => {
            if g.segs.len() >= 3 {
                match g.lc(2).as_str() {
                    "messages" | "mailfolders" | "mailboxsettings" => return mail::route(sim, g),
                    "authentication" => return identity::auth_methods(sim, g),
                    _ => {}
                }
            }
            users::users(sim, g)
        }
        "auditlogs" => directory::audit_logs(sim, g),
        "identity" => directory::conditional_access(sim, g),
        "reports" => directory::reports(sim, g),
        "security" if g.lc(1) == "auditlog" => auditquery::handle(sim, g),
        "security" => directory::security(sim, g),
        "applications" | "serviceprincipals" | "oauth2permissiongrants" => directory::apps(sim, g),
        "" => GResp::bad_request("Invalid request."),
        other => GResp::unknown_segment(other),
    }
}
