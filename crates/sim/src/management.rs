//! Office 365 Management Activity API (graph-api.md §8): feed subscriptions, content listing
//! with `NextPageUri`, content blobs built from the unified audit store after the audit lag,
//! and webhooks.

use std::sync::Arc;

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::auth::{AccessClaims, TokenProblem};
use crate::server::Sim;
use crate::state::{FeedSubscription, Tenant};
use crate::util::{mgmt_content_time, parse_time};

pub const CONTENT_TYPES: [(&str, &str); 5] = [
    ("Audit.AzureActiveDirectory", "aad"),
    ("Audit.Exchange", "exchange"),
    ("Audit.SharePoint", "spo"),
    ("Audit.General", "general"),
    ("DLP.All", "dlp"),
];

fn err(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

/// One content blob: every record of a content type that became available in one interval.
#[derive(Debug, Clone)]
pub struct Blob {
    pub content_type: &'static str,
    pub bucket: i64,
    pub created: DateTime<Utc>,
}

impl Blob {
    pub fn content_id(&self, tenant_id: &str) -> String {
        let code = CONTENT_TYPES
            .iter()
            .find(|(c, _)| *c == self.content_type)
            .map(|(_, k)| *k)
            .unwrap_or("general");
        let tid = tenant_id.replace('-', "");
        let hash = hex::encode(
            &<sha2::Sha256 as sha2::Digest>::digest(
                format!("{tid}{code}{}", self.bucket).as_bytes(),
            )[..16],
        );
        format!(
            "{b}${b}${tid}{code}{}${hash}$04",
            self.created.format("%Y%m%d%H"),
            b = self.bucket
        )
    }

    pub fn parse(content_id: &str) -> Option<(i64, &'static str)> {
        let parts: Vec<&str> = content_id.split('$').collect();
        if parts.len() != 5 {
            return None;
        }
        let bucket = parts[0].parse::<i64>().ok()?;
        let mid = parts[2];
        if !mid.is_ascii() || mid.len() < 32 + 10 {
            return None;
        }
        let code = &mid[32..mid.len() - 10];
        let ct = CONTENT_TYPES
            .iter()
            .find(|(_, k)| *k == code)
            .map(|(c, _)| *c)?;
        Some((bucket, ct))
    }

    pub fn to_json(&self, base: &str, tenant_id: &str) -> Value {
        let id = self.content_id(tenant_id);
        json!({
            "contentType": self.content_type,
            "contentId": id,
            "contentUri": format!("{base}/api/v1.0/{tenant_id}/activity/feed/audit/{id}"),
            "contentCreated": mgmt_content_time(self.created),
            "contentExpiration": mgmt_content_time(self.created + TimeDelta::days(7)),
        })
    }
}

fn interval_ms(sim: &Sim) -> i64 {
    (sim.cfg.blob_interval.as_millis() as i64).max(1)
}

fn visible(sim: &Sim, sub: Option<&FeedSubscription>, at: DateTime<Utc>) -> bool {
    if sim.cfg.management_history_before_start {
        return true;
    }
    sub.is_some_and(|s| {
        s.periods
            .iter()
            .any(|(from, to)| at >= *from && to.is_none_or(|t| at < t))
    })
}

/// Complete blobs of a content type whose `contentCreated` lies in `[from, to)`.
pub fn blobs(
    sim: &Sim,
    t: &Tenant,
    ct: &'static str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Blob> {
    let now = Utc::now();
    let iv = interval_ms(sim);
    let sub = t.feed.get(ct);
    let mut buckets: Vec<i64> = t
        .unified
        .iter()
        .filter(|r| {
            r.content_type == ct && r.available_at <= now && visible(sim, sub, r.available_at)
        })
        .flat_map(|r| {
            let b = r.available_at.timestamp_millis().div_euclid(iv);
            // A duplicated record shows up again in the next blob.
            let again = duplicated(sim, &r.record).then_some(b + 1);
            std::iter::once(b).chain(again)
        })
        .filter(|b| (b + 1) * iv <= now.timestamp_millis())
        .collect();
    buckets.sort_unstable();
    buckets.dedup();
    buckets
        .into_iter()
        .filter_map(|b| {
            let created = DateTime::from_timestamp_millis((b + 1) * iv)?;
            (created >= from && created < to).then_some(Blob {
                content_type: ct,
                bucket: b,
                created,
            })
        })
        .collect()
}

/// Whether the duplicate-records fault picks this record (deterministic per record `Id`).
fn duplicated(sim: &Sim, r: &Value) -> bool {
    let p = sim.cfg.faults.p_duplicate_audit_record;
    if p <= 0.0 {
        return false;
    }
    let h = <sha2::Sha256 as sha2::Digest>::digest(r["Id"].to_string().as_bytes());
    let x = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    (x as f64 / u64::MAX as f64) < p
}

/// Records of one blob, in no particular order (as Microsoft's blobs are).
fn records_of(sim: &Sim, t: &Tenant, ct: &str, bucket: i64) -> Vec<Value> {
    let iv = interval_ms(sim);
    let sub = t.feed.get(ct);
    let mut recs: Vec<Value> = t
        .unified
        .iter()
        .filter(|r| {
            let b = r.available_at.timestamp_millis().div_euclid(iv);
            r.content_type == ct
                && (b == bucket || (b + 1 == bucket && duplicated(sim, &r.record)))
                && visible(sim, sub, r.available_at)
        })
        .map(|r| r.record.clone())
        .collect();
    recs.sort_by_key(|r| {
        <sha2::Sha256 as sha2::Digest>::digest(r["Id"].to_string().as_bytes()).to_vec()
    });
    recs
}

fn q<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub async fn handle(
    sim: &Arc<Sim>,
    tid: &str,
    rest: &str,
    method: Method,
    query: &str,
    body: &[u8],
    claims: Result<AccessClaims, TokenProblem>,
) -> Response {
    let claims = match claims {
        Ok(c) => c,
        Err(_) => {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"Message": "Authorization has been denied for this request."})),
            )
                .into_response();
        }
    };
    if uuid::Uuid::parse_str(tid).is_err() {
        return err(
            StatusCode::BAD_REQUEST,
            "AF20013",
            format!("Tenant ID passed in the URL ({tid}) is not a valid GUID."),
        );
    }
    if !claims.tid.eq_ignore_ascii_case(tid) {
        return err(
            StatusCode::UNAUTHORIZED,
            "AF20010",
            format!(
                "The tenant ID passed in the URL ({tid}) does not match the tenant ID passed in the access token ({}).",
                claims.tid
            ),
        );
    }
    if !claims.has_role(&["ActivityFeed.Read", "ActivityFeed.ReadDlp"]) {
        return err(
            StatusCode::UNAUTHORIZED,
            "AF10001",
            format!(
                "The permission set ({}) sent in the request does not include the expected permission.",
                claims.roles.join(",")
            ),
        );
    }
    let lim = sim.cfg.throttle.management_requests_per_minute;
    if sim
        .stats
        .window_limit("management", lim, std::time::Duration::from_secs(60))
        .is_err()
    {
        let st = StatusCode::from_u16(sim.cfg.throttle.management_throttle_status)
            .unwrap_or(StatusCode::FORBIDDEN);
        return err(
            st,
            "AF429",
            format!(
                "Too many requests. Method=GetBlob, PublisherId={}",
                uuid::Uuid::nil()
            ),
        );
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let content_type = q(&pairs, "contentType");
    let check_ct = |ct: Option<&str>| -> Result<&'static str, Box<Response>> {
        match ct {
            None => Err(Box::new(err(
                StatusCode::BAD_REQUEST,
                "AF20001",
                "A required parameter is missing: contentType.",
            ))),
            Some(c) => CONTENT_TYPES
                .iter()
                .find(|(x, _)| x.eq_ignore_ascii_case(c))
                .map(|(x, _)| *x)
                .ok_or_else(|| {
                    Box::new(err(
                        StatusCode::BAD_REQUEST,
                        "AF20020",
                        "The specified content type is not valid.",
                    ))
                }),
        }
    };
    match (method.clone(), segs.as_slice()) {
        (Method::POST, ["subscriptions", "start"]) => {
            let ct = match check_ct(content_type) {
                Ok(c) => c,
                Err(r) => return *r,
            };
            let webhook = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|b| b.get("webhook").cloned())
                .filter(Value::is_object);
            start(sim, ct, webhook).await
        }
        (Method::POST, ["subscriptions", "stop"]) => {
            let ct = match check_ct(content_type) {
                Ok(c) => c,
                Err(r) => return *r,
            };
            let mut t = sim.state.lock();
            match t.feed.get_mut(ct) {
                Some(s) if s.enabled => {
                    s.enabled = false;
                    if let Some(p) = s.periods.last_mut() {
                        p.1 = Some(Utc::now());
                    }
                    StatusCode::OK.into_response()
                }
                _ => err(
                    StatusCode::BAD_REQUEST,
                    "AF20022",
                    "No subscription found for the specified content type.",
                ),
            }
        }
        (Method::GET, ["subscriptions", "list"]) => {
            let t = sim.state.lock();
            let v: Vec<Value> = t
                .feed
                .values()
                .map(|s| json!({"contentType": s.content_type, "status": if s.enabled { "enabled" } else { "disabled" }, "webhook": s.webhook}))
                .collect();
            axum::Json(Value::Array(v)).into_response()
        }
        (Method::GET, ["subscriptions", "content"]) => {
            let ct = match check_ct(content_type) {
                Ok(c) => c,
                Err(r) => return *r,
            };
            list_content(sim, tid, ct, &pairs)
        }
        (Method::GET, ["subscriptions", "notifications"]) => {
            if let Err(r) = check_ct(content_type) {
                return *r;
            }
            axum::Json(json!([])).into_response()
        }
        (Method::GET, ["audit", content_id]) => {
            let Some((bucket, ct)) = Blob::parse(content_id) else {
                return err(
                    StatusCode::BAD_REQUEST,
                    "AF20052",
                    "Content ID in the URL is invalid.",
                );
            };
            let iv = interval_ms(sim);
            let created = DateTime::from_timestamp_millis((bucket + 1) * iv).unwrap_or_default();
            if Utc::now() - created > TimeDelta::days(7) {
                return err(
                    StatusCode::BAD_REQUEST,
                    "AF20051",
                    "Content requested with the key has already expired. Content older than 7 days cannot be retrieved.",
                );
            }
            let t = sim.state.lock();
            let recs = records_of(sim, &t, ct, bucket);
            if recs.is_empty() || created > Utc::now() {
                return err(
                    StatusCode::NOT_FOUND,
                    "AF20050",
                    "The specified content does not exist.",
                );
            }
            axum::Json(Value::Array(recs)).into_response()
        }
        (Method::GET, ["resources", "dlpSensitiveTypes"]) => axum::Json(json!([])).into_response(),
        _ => err(
            StatusCode::NOT_FOUND,
            "AF20031",
            "The requested operation is not supported.",
        ),
    }
}

async fn start(sim: &Arc<Sim>, ct: &'static str, webhook: Option<Value>) -> Response {
    let now = Utc::now();
    {
        let t = sim.state.lock();
        if let Some(s) = t.feed.get(ct) {
            if s.enabled
                && s.webhook.as_ref().map(|w| &w["address"])
                    == webhook.as_ref().map(|w| &w["address"])
            {
                return err(
                    StatusCode::BAD_REQUEST,
                    "AF20024",
                    "The subscription is already enabled. No property change.",
                );
            }
            let cd = TimeDelta::from_std(sim.cfg.management_start_cooldown).unwrap_or_default();
            if !cd.is_zero() && !s.enabled && now - s.last_start < cd {
                let st = StatusCode::from_u16(sim.cfg.throttle.management_throttle_status)
                    .unwrap_or(StatusCode::FORBIDDEN);
                return err(
                    st,
                    "AF429",
                    "Too many requests. Method=StartSubscription, PublisherId=00000000-0000-0000-0000-000000000000",
                );
            }
        }
    }
    let mut hook_json = Value::Null;
    if let Some(w) = webhook {
        let Some(address) = w["address"].as_str().map(str::to_string) else {
            return err(
                StatusCode::BAD_REQUEST,
                "AF20002",
                "Invalid webhook address.",
            );
        };
        let auth_id = w["authId"].as_str().unwrap_or_default().to_string();
        let code = crate::util::new_guid();
        let ok = sim
            .http
            .post(&address)
            .header("Webhook-AuthID", &auth_id)
            .header("Webhook-ValidationCode", &code)
            .json(&json!({"validationCode": code}))
            .timeout(sim.cfg.webhook_validation_timeout)
            .send()
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK);
        if !ok {
            return err(
                StatusCode::BAD_REQUEST,
                "AF20021",
                "The webhook endpoint {{{address}}} could not be validated."
                    .replace("{address}", &address),
            );
        }
        let exp = w["expiration"]
            .as_str()
            .filter(|s| !s.is_empty())
            .and_then(parse_time);
        if exp.is_some_and(|e| e < now) {
            return err(
                StatusCode::BAD_REQUEST,
                "AF20003",
                "Expiration date is in the past.",
            );
        }
        hook_json = json!({"status": "enabled", "address": address, "authId": auth_id, "expiration": exp.map(crate::util::graph_time)});
    }
    let mut t = sim.state.lock();
    let s = t
        .feed
        .entry(ct.to_string())
        .or_insert_with(|| FeedSubscription {
            content_type: ct.to_string(),
            enabled: false,
            webhook: None,
            periods: vec![],
            last_start: now,
            webhook_failures: 0,
            notified: Default::default(),
        });
    if !s.enabled {
        s.periods.push((now, None));
    }
    s.enabled = true;
    s.last_start = now;
    s.webhook_failures = 0;
    s.webhook = if hook_json.is_null() {
        None
    } else {
        Some(hook_json.clone())
    };
    let mut r = axum::Json(json!({"contentType": ct, "status": "enabled", "webhook": hook_json}))
        .into_response();
    *r.status_mut() = StatusCode::OK;
    r
}

fn list_content(
    sim: &Arc<Sim>,
    tid: &str,
    ct: &'static str,
    pairs: &[(String, String)],
) -> Response {
    let now = Utc::now();
    let (st, et) = (q(pairs, "startTime"), q(pairs, "endTime"));
    let (from, to) = match (st, et) {
        (None, None) => (now - TimeDelta::hours(24), now),
        (Some(a), Some(b)) => match (parse_time(a), parse_time(b)) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                return err(
                    StatusCode::BAD_REQUEST,
                    "AF20030",
                    "Start time and end time must both be specified (or both omitted) and must be in a valid format (YYYY-MM-DDTHH:MM:SS).",
                );
            }
        },
        _ => {
            return err(
                StatusCode::BAD_REQUEST,
                "AF20030",
                "Start time and end time must both be specified (or both omitted).",
            );
        }
    };
    if to <= from || to - from > TimeDelta::hours(24) {
        return err(
            StatusCode::BAD_REQUEST,
            "AF20055",
            "Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time prior to end time.",
        );
    }
    if from < now - TimeDelta::days(7) {
        return err(
            StatusCode::BAD_REQUEST,
            "AF20055",
            "Start time cannot be more than 7 days in the past.",
        );
    }
    let t = sim.state.lock();
    if !t.feed.get(ct).is_some_and(|s| s.enabled) {
        return err(
            StatusCode::BAD_REQUEST,
            "AF20022",
            "No subscription found for the specified content type.",
        );
    }
    let all = blobs(sim, &t, ct, from, to);
    drop(t);
    let offset = match q(pairs, "nextPage") {
        None => 0,
        Some(p) => match p.strip_prefix("sim").and_then(|n| n.parse::<usize>().ok()) {
            Some(o) => o,
            None => {
                return err(
                    StatusCode::BAD_REQUEST,
                    "AF20031",
                    "Invalid nextPage input.",
                );
            }
        },
    };
    let size = sim.cfg.pages.management_content_page.max(1);
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(size)
        .map(|b| b.to_json(&sim.base, tid))
        .collect();
    let mut r = axum::Json(Value::Array(page)).into_response();
    if offset + size < all.len() {
        let mut params: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("nextPage"))
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    k,
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                )
            })
            .collect();
        params.push(format!("nextPage=sim{}", offset + size));
        let next = format!(
            "{}/api/v1.0/{tid}/activity/feed/subscriptions/content?{}",
            sim.base,
            params.join("&")
        );
        if let Ok(v) = HeaderValue::from_str(&next) {
            r.headers_mut().insert("NextPageUri", v);
        }
    }
    r
}
