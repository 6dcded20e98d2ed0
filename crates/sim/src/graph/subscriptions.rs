//! `/subscriptions`: create (with the validation handshake against `notificationUrl` and
//! `lifecycleNotificationUrl`), list, get, renew, delete, reauthorize (graph-api.md §3.7).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::GReq;
use super::paging::context;
use super::resp::GResp;
use crate::server::Sim;
use crate::state::Subscription;

fn validation_failed() -> GResp {
    GResp::error(
        StatusCode::BAD_REQUEST,
        "ValidationError",
        "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.",
    )
}

/// Microsoft posts change notifications over HTTPS only: an `http://` (or any other scheme)
/// `notificationUrl` / `lifecycleNotificationUrl` is refused before any handshake. With
/// `allow_http_loopback_notifications`, plain HTTP to a loopback receiver is let through.
fn check_scheme(sim: &Sim, field: &str, raw: &str) -> Result<(), GResp> {
    let Ok(u) = url::Url::parse(raw) else {
        // Not a URL at all: the validation request cannot be made and fails as such.
        return Ok(());
    };
    if u.scheme() == "https" {
        return Ok(());
    }
    if u.scheme() == "http" && sim.cfg.allow_http_loopback_notifications && is_loopback(&u) {
        return Ok(());
    }
    Err(GResp::error(
        StatusCode::BAD_REQUEST,
        "InvalidRequest",
        format!("{field} scheme='{}' is not supported.", u.scheme()),
    ))
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Graph's handshake: POST `{url}?validationToken=...`, expect 200 text/plain echoing it.
async fn validate(sim: &Sim, url: &str) -> bool {
    let token = format!(
        "Validation: Testing client application reachability for subscription Request-Id: {}",
        crate::util::new_guid()
    );
    let Ok(mut u) = url::Url::parse(url) else {
        return false;
    };
    u.query_pairs_mut().append_pair("validationToken", &token);
    let res = sim
        .http
        .post(u)
        .header("Content-Type", "text/plain; charset=utf-8")
        .timeout(sim.cfg.webhook_validation_timeout)
        .send()
        .await;
    match res {
        Ok(r) if r.status() == reqwest::StatusCode::OK => r.text().await.is_ok_and(|b| b == token),
        _ => false,
    }
}

/// Parse a message resource: `users/{id}/messages`, `users/{id}/mailFolders('x')/messages`.
fn parse_resource(resource: &str) -> Option<(String, Option<String>)> {
    let path = resource
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_start_matches('/');
    let segs = super::split_segments_pub(path);
    let lc: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    match lc.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["users", _, "messages"] => Some((segs[1].clone(), None)),
        ["users", _, "mailfolders", _, "messages"] => {
            Some((segs[1].clone(), Some(segs[3].clone())))
        }
        _ => None,
    }
}

pub async fn handle(sim: &Arc<Sim>, g: &GReq) -> GResp {
    let app = g.claims.appid.clone();
    let id = g.segs.get(1).cloned();
    match (&g.method, id.as_deref(), g.lc(2).as_str()) {
        (&Method::POST, None, _) => create(sim, g).await,
        (&Method::GET, None, _) => {
            let now = Utc::now();
            let mut t = sim.state.lock();
            t.subscriptions.retain(|_, s| s.expiration > now);
            let v: Vec<Value> = t
                .subscriptions
                .values()
                .filter(|s| s.application_id == app)
                .map(|s| {
                    let mut j = s.to_json(&sim.base);
                    if let Some(o) = j.as_object_mut() {
                        o.remove("@odata.context");
                    }
                    j
                })
                .collect();
            GResp::ok(json!({"@odata.context": context(&sim.base, g, "subscriptions"), "value": v}))
        }
        (m, Some(sid), tail) => {
            let now = Utc::now();
            let mut t = sim.state.lock();
            t.subscriptions.retain(|_, s| s.expiration > now);
            let Some(s) = t
                .subscriptions
                .get_mut(sid)
                .filter(|s| s.application_id == app)
            else {
                return GResp::error(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFound",
                    format!("The object was not found. Subscription Id: {sid}"),
                );
            };
            match (m, tail) {
                (&Method::GET, "") => GResp::ok(s.to_json(&sim.base)),
                (&Method::PATCH, "") => {
                    let Some(body) = g.body.as_ref() else {
                        return GResp::bad_request("Empty Payload. JSON content expected.");
                    };
                    if body.get("lifecycleNotificationUrl").is_some() {
                        return GResp::bad_request(
                            "lifecycleNotificationUrl cannot be updated; create a new subscription.",
                        );
                    }
                    if let Some(exp) = body["expirationDateTime"].as_str() {
                        let Some(e) = crate::util::parse_time(exp) else {
                            return GResp::bad_request("Invalid expirationDateTime.");
                        };
                        if let Err(r) = check_expiration(sim, e) {
                            return r;
                        }
                        s.expiration = e;
                    }
                    GResp::ok(s.to_json(&sim.base))
                }
                (&Method::DELETE, "") => {
                    t.subscriptions.remove(sid);
                    GResp::no_content()
                }
                (&Method::POST, "reauthorize") => GResp::no_content(),
                _ => GResp::method_not_allowed(),
            }
        }
        _ => GResp::method_not_allowed(),
    }
}

fn check_expiration(sim: &Sim, e: chrono::DateTime<Utc>) -> Result<(), GResp> {
    let now = Utc::now();
    let max = sim.cfg.subscription_max_minutes;
    if e <= now || e > now + TimeDelta::minutes(max) + TimeDelta::seconds(60) {
        return Err(GResp::error(
            StatusCode::BAD_REQUEST,
            "ExtensionError",
            format!(
                "Operation: Create; Exception: [Status Code: BadRequest; Reason: Subscription expiration can only be 0-{max} minutes in the future.]"
            ),
        ));
    }
    Ok(())
}

async fn create(sim: &Arc<Sim>, g: &GReq) -> GResp {
    let Some(body) = g.body.as_ref().and_then(Value::as_object) else {
        return GResp::bad_request("Empty Payload. JSON content expected.");
    };
    let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(change), Some(url), Some(resource), Some(exp)) = (
        s("changeType"),
        s("notificationUrl"),
        s("resource"),
        s("expirationDateTime"),
    ) else {
        return GResp::bad_request(
            "changeType, notificationUrl, resource and expirationDateTime are required.",
        );
    };
    if let Err(r) = check_scheme(sim, "NotificationUrl", &url) {
        return r;
    }
    if let Some(l) = s("lifecycleNotificationUrl")
        && let Err(r) = check_scheme(sim, "LifecycleNotificationUrl", &l)
    {
        return r;
    }
    let change_types: Vec<String> = change.split(',').map(|c| c.trim().to_string()).collect();
    if change_types.is_empty()
        || change_types
            .iter()
            .any(|c| !matches!(c.as_str(), "created" | "updated" | "deleted"))
    {
        return GResp::bad_request(format!("Invalid changeType '{change}'."));
    }
    let Some(expiration) = crate::util::parse_time(&exp) else {
        return GResp::bad_request("Invalid expirationDateTime.");
    };
    if let Err(r) = check_expiration(sim, expiration) {
        return r;
    }
    if body.get("includeResourceData").and_then(Value::as_bool) == Some(true) {
        if s("encryptionCertificate").is_none() || s("encryptionCertificateId").is_none() {
            return GResp::bad_request(
                "encryptionCertificate and encryptionCertificateId are required when includeResourceData is true.",
            );
        }
        return GResp::error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "Rich notifications (includeResourceData) are not modelled by the simulator.",
        );
    }
    if s("clientState").is_some_and(|c| c.len() > 128) {
        return GResp::bad_request("clientState must be at most 128 characters.");
    }
    let Some((user_key, folder_key)) = parse_resource(&resource) else {
        if resource
            .trim_start_matches('/')
            .to_ascii_lowercase()
            .starts_with("me/")
        {
            return GResp::bad_request(
                "/me request is only valid with delegated authentication flow.",
            );
        }
        return GResp::error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            format!("Resource '{resource}' is not supported by the simulator."),
        );
    };
    if !g.claims.has_role(&[
        "Mail.ReadWrite",
        "Mail.Read",
        "Mail.ReadBasic",
        "Mail.ReadBasic.All",
    ]) {
        return GResp::error(
            StatusCode::FORBIDDEN,
            "ExtensionError",
            "Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied. Check credentials and try again.]",
        );
    }
    let (user_id, folder_id) = {
        let t = sim.state.lock();
        let Some(uid) = t.user_id(&user_key) else {
            return GResp::error(
                StatusCode::NOT_FOUND,
                "ExtensionError",
                "Operation: Create; Exception: [Status Code: NotFound; Reason: The requested user is invalid.]",
            );
        };
        let Some(mb) = t.mailboxes.get(&uid) else {
            return GResp::mailbox_not_enabled();
        };
        if !super::mail::in_scope(sim, &t, &uid) {
            return GResp::error(
                StatusCode::FORBIDDEN,
                "ExtensionError",
                "Operation: Create; Exception: [Status Code: Forbidden; Reason: Access to OData is disabled.]",
            );
        }
        let fid = match folder_key {
            Some(f) => match mb.folder(&f) {
                Some(f) => Some(f.id.clone()),
                None => {
                    return GResp::error(
                        StatusCode::NOT_FOUND,
                        "ExtensionError",
                        "Operation: Create; Exception: [Status Code: NotFound; Reason: The specified folder could not be found in the store.]",
                    );
                }
            },
            None => None,
        };
        let count = t
            .subscriptions
            .values()
            .filter(|s| s.user_id == uid)
            .count();
        if count >= 1000 {
            return GResp::error(
                StatusCode::FORBIDDEN,
                "ExtensionError",
                "Operation: Create; Exception: [Status Code: Forbidden; Reason: The maximum number of subscriptions for this mailbox has been reached.]",
            );
        }
        (uid, fid)
    };
    if !validate(sim, &url).await {
        return validation_failed();
    }
    let lifecycle = s("lifecycleNotificationUrl");
    if let Some(l) = &lifecycle
        && !validate(sim, l).await
    {
        return validation_failed();
    }
    let sub = Subscription {
        id: crate::util::new_guid(),
        resource: resource.clone(),
        user_id,
        folder_id,
        change_types,
        notification_url: url,
        lifecycle_url: lifecycle,
        client_state: s("clientState"),
        expiration,
        application_id: g.claims.appid.clone(),
        creator_id: g.claims.oid.clone(),
        latest_tls: s("latestSupportedTlsVersion").unwrap_or_else(|| "v1_2".into()),
        include_resource_data: body
            .get("includeResourceData")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        immutable_ids: g.immutable_ids(),
    };
    let v = sub.to_json(&sim.base);
    sim.state.lock().subscriptions.insert(sub.id.clone(), sub);
    let _ = Map::<String, Value>::new();
    GResp::created(v)
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_means_the_three_loopback_names_only() {
        let lo = |s: &str| is_loopback(&url::Url::parse(s).unwrap());
        assert!(lo("http://127.0.0.1:8080/graph/notify"));
        assert!(lo("http://[::1]:8080/graph/notify"));
        assert!(lo("http://LOCALHOST/x"));
        assert!(!lo("http://127.0.0.2/x"));
        assert!(!lo("http://localhost.example.com/x"));
        assert!(!lo("http://10.0.0.1/x"));
    }
}
