//! `/users`: list/get (default property set), delta, manager, password reset through
//! `passwordProfile`, `revokeSignInSessions` — with their audit trail (§12, §14, §15).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::GReq;
use super::directory::{USER_DEFAULT, dir_list, dir_spec, entity};
use super::mail::actor_of;
use super::paging::{PageSpec, context, selected};
use super::resp::GResp;
use crate::odata;
use crate::server::Sim;
use crate::state::audit::DirChange;
use crate::state::{DeltaItem, DeltaKind, DeltaState, PasswordChange, Pending, RevokeRecord};
use crate::util::graph_time;

fn user_view(u: &Value, g: &GReq) -> Value {
    let mut v = u.clone();
    if g.q("$select").is_none()
        && let Some(o) = v.as_object_mut()
    {
        o.retain(|k, _| USER_DEFAULT.contains(&k.as_str()));
        for k in USER_DEFAULT {
            o.entry(k).or_insert(if k == "businessPhones" {
                json!([])
            } else {
                Value::Null
            });
        }
    }
    v
}

pub fn users(sim: &Arc<Sim>, g: &GReq) -> GResp {
    let read_ok = g.claims.has_role(&[
        "User.Read.All",
        "User.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ]);
    let segs: Vec<String> = g.segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (&g.method, s.as_slice()) {
        (&Method::PATCH, ["users", _]) => return patch_user(sim, g),
        (&Method::POST, ["users", _, "revokesigninsessions"]) => return revoke(sim, g),
        _ => {}
    }
    if !read_ok {
        return GResp::directory_denied();
    }
    let select = odata::parse_select(g.q("$select"));
    if matches!(s.as_slice(), ["users"] | ["users", _])
        && let Err(r) = super::schema::check_user_select(&select, s.get(1) == Some(&"delta"))
    {
        return r;
    }
    let selects_activity = g
        .q("$select")
        .is_some_and(|x| x.to_ascii_lowercase().contains("signinactivity"))
        || g.q("$filter")
            .is_some_and(|x| x.to_ascii_lowercase().contains("signinactivity"));
    if selects_activity && !g.claims.has_role(&["AuditLog.Read.All"]) {
        return GResp::directory_denied();
    }
    let t = sim.state.lock();
    match (&g.method, s.as_slice()) {
        (&Method::GET, ["users"]) => {
            if (g.q("$search").is_some() || g.q("$count").is_some())
                && g.header("ConsistencyLevel")
                    .is_none_or(|c| !c.eq_ignore_ascii_case("eventual"))
            {
                return GResp::error(
                    StatusCode::BAD_REQUEST,
                    "Request_UnsupportedQuery",
                    "$count and $search require the 'ConsistencyLevel: eventual' request header.",
                );
            }
            let items: Vec<Value> = t.users.iter().map(|u| user_view(u, g)).collect();
            let mut spec = PageSpec {
                default: sim.cfg.pages.users_default,
                max: sim.cfg.pages.users_max,
                ..dir_spec(sim)
            };
            if selects_activity {
                spec.max = sim.cfg.pages.users_sign_in_activity_max;
                spec.default = spec.default.min(spec.max);
                spec.reject_over_max = false;
            }
            let ctx = selected("users", &select);
            let mut items = items;
            if let Some(q) = g.q("$search") {
                let q = q.trim_matches('"').to_lowercase();
                let (field, val) = q.split_once(':').unwrap_or(("displayname", q.as_str()));
                items.retain(|u| {
                    odata::resolve(u, field)
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.to_lowercase().contains(val))
                });
            }
            dir_list(sim, g, items, &ctx, spec, None)
        }
        (&Method::GET, ["users", "delta"]) => {
            drop(t);
            users_delta(sim, g)
        }
        (&Method::GET, ["users", _]) => match t.user(&g.segs[1]) {
            Some(u) => entity(
                sim,
                g,
                user_view(u, g),
                &format!("{}/$entity", selected("users", &select)),
            ),
            None => GResp::user_not_found(&g.segs[1]),
        },
        (&Method::GET, ["users", _, "manager"]) => {
            let Some(u) = t.user(&g.segs[1]) else {
                return GResp::user_not_found(&g.segs[1]);
            };
            let mgr = u["manager"]["id"]
                .as_str()
                .or(u["manager"].as_str())
                .or(u["managerId"].as_str());
            match mgr.and_then(|m| t.user(m)) {
                Some(m) => {
                    let mut v = user_view(m, g);
                    v["@odata.type"] = json!("#microsoft.graph.user");
                    entity(sim, g, v, "directoryObjects/$entity")
                }
                None => GResp::error(
                    StatusCode::NOT_FOUND,
                    "Request_ResourceNotFound",
                    "Resource 'manager' does not exist or one of its queried reference-property objects are not present.",
                ),
            }
        }
        (_, ["users", _, seg, ..]) => GResp::unknown_segment(seg),
        _ => GResp::method_not_allowed(),
    }
}

fn users_delta(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if g.q("$top").is_some() || g.q("$orderby").is_some() || g.q("$expand").is_some() {
        return GResp::error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Unsupported query option for delta.",
        );
    }
    let mut t = sim.state.lock();
    let epoch = t.delta_epoch_users;
    let base_link = format!("{}/{}{}", sim.base, g.version(), g.raw_path);
    let mut st = if let Some(tok) = g
        .q("$deltatoken")
        .filter(|d| d.eq_ignore_ascii_case("latest"))
    {
        let _ = tok;
        let st = DeltaState {
            kind: DeltaKind::Users,
            epoch,
            watermark: t.seq,
            pending: Pending::default(),
            page_size: 100,
            select: odata::parse_select(g.q("$select")),
            immutable: false,
            change_types: vec![],
            created_seq: t.seq,
        };
        let tok = t.put_delta_state(st);
        return GResp::ok(
            json!({"@odata.context": context(&sim.base, g, "users"), "@odata.deltaLink": format!("{base_link}?$deltatoken={tok}"), "value": []}),
        );
    } else if let Some((tok, is_delta)) = g
        .q("$skiptoken")
        .map(|s| (s, false))
        .or_else(|| g.q("$deltatoken").map(|s| (s, true)))
    {
        let Some(mut st) = t
            .delta_states
            .get(tok)
            .cloned()
            .filter(|s| s.kind == DeltaKind::Users && s.epoch == epoch)
        else {
            return GResp::error(
                StatusCode::GONE,
                "Request_ResourceNotFound",
                "The delta token is expired or invalid; restart the sync.",
            )
            .header("Location", base_link);
        };
        if is_delta {
            let w = st.watermark;
            let mut ids: Vec<String> = Vec::new();
            for (seq, id) in &t.user_changes {
                if *seq > w && !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            st.pending = ids.into_iter().map(DeltaItem::Present).collect();
            st.watermark = t.seq;
        }
        st
    } else {
        let pending = t
            .users
            .iter()
            .filter_map(|u| u["id"].as_str().map(|s| DeltaItem::Present(s.to_string())))
            .collect();
        DeltaState {
            kind: DeltaKind::Users,
            epoch,
            watermark: t.seq,
            pending,
            page_size: sim.cfg.pages.users_default,
            select: odata::parse_select(g.q("$select")),
            immutable: false,
            change_types: vec![],
            created_seq: t.seq,
        }
    };
    let mut value = Vec::new();
    while value.len() < st.page_size {
        let Some(DeltaItem::Present(id) | DeltaItem::Removed(id)) = st.pending.pop_front() else {
            break;
        };
        if let Some(u) = t.user(&id) {
            let mut v = u.clone();
            let sel = if st.select.is_empty() {
                USER_DEFAULT.iter().map(|s| s.to_string()).collect()
            } else {
                st.select.clone()
            };
            odata::apply_select(&mut v, &sel);
            value.push(v);
        }
    }
    let more = !st.pending.is_empty();
    let tok = t.put_delta_state(st);
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(context(&sim.base, g, "users")),
    );
    if more {
        out.insert(
            "@odata.nextLink".into(),
            json!(format!("{base_link}?$skiptoken={tok}")),
        );
    } else {
        out.insert(
            "@odata.deltaLink".into(),
            json!(format!("{base_link}?$deltatoken={tok}")),
        );
    }
    out.insert("value".into(), Value::Array(value));
    GResp::ok(Value::Object(out))
}

fn password_ok(p: &str) -> bool {
    let classes = [
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    p.chars().count() >= 8
        && p.chars().count() <= 256
        && classes.iter().filter(|x| **x).count() >= 3
}

fn patch_user(sim: &Arc<Sim>, g: &GReq) -> GResp {
    let Some(body) = g.body.as_ref().and_then(Value::as_object) else {
        return GResp::bad_request("Empty Payload. JSON content expected.");
    };
    let only_password = body
        .keys()
        .all(|k| k == "passwordProfile" || k.starts_with('@'));
    let allowed = if only_password {
        g.claims.has_role(&[
            "User-PasswordProfile.ReadWrite.All",
            "User.ReadWrite.All",
            "Directory.ReadWrite.All",
        ])
    } else {
        g.claims
            .has_role(&["User.ReadWrite.All", "Directory.ReadWrite.All"])
    };
    if !allowed {
        return GResp::directory_denied();
    }
    let actor = actor_of(g);
    let privileged = sim.cfg.app_has_privileged_role;
    sim.mutate(|t| {
        let Some(idx) = t.user_index(&g.segs[1]) else { return GResp::user_not_found(&g.segs[1]) };
        let uid = t.users[idx]["id"].as_str().unwrap_or_default().to_string();
        let upn = t.users[idx]["userPrincipalName"].as_str().unwrap_or_default().to_string();
        if let Some(pp) = body.get("passwordProfile") {
            let is_admin = t.registration_details.iter().any(|r| r["id"].as_str() == Some(uid.as_str()) && r["isAdmin"].as_bool() == Some(true));
            if is_admin && !privileged {
                return GResp::directory_denied();
            }
            let Some(pw) = pp["password"].as_str() else {
                return GResp::error(StatusCode::BAD_REQUEST, "Request_BadRequest", "Invalid value specified for property 'password' of resource 'PasswordProfile'.");
            };
            if !password_ok(pw) {
                return GResp::error(StatusCode::BAD_REQUEST, "Request_BadRequest", "The specified password does not comply with password complexity requirements. Please provide a different password.");
            }
            let now = Utc::now();
            let force = pp["forceChangePasswordNextSignIn"].as_bool().unwrap_or(false);
            t.users[idx]["lastPasswordChangeDateTime"] = json!(graph_time(now));
            t.password_changes.push(PasswordChange { user_id: uid.clone(), at: now, force_change_next_sign_in: force, app_id: g.claims.appid.clone() });
            t.touch_user(&uid);
            t.audit_directory(
                &actor,
                DirChange { activity: "Reset user password", category: "UserManagement", service: "Core Directory", operation_type: "Update", target_id: &uid, target_upn: Some(&upn), target_type: "User", target_name: None, modified: vec![] },
                now,
            );
        }
        for (k, v) in body {
            if k != "passwordProfile" && !k.starts_with('@') {
                t.users[idx][k.as_str()] = v.clone();
            }
        }
        t.reindex_users();
        if body.keys().any(|k| k != "passwordProfile" && !k.starts_with('@')) {
            t.touch_user(&uid);
            let now = Utc::now();
            let modified = body.iter().filter(|(k, _)| *k != "passwordProfile").map(|(k, v)| (k.as_str(), "[]".to_string(), format!("[{v}]"))).collect();
            t.audit_directory(&actor, DirChange { activity: "Update user", category: "UserManagement", service: "Core Directory", operation_type: "Update", target_id: &uid, target_upn: Some(&upn), target_type: "User", target_name: None, modified }, now);
        }
        GResp::no_content()
    })
}

fn revoke(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if !g.claims.has_role(&[
        "User.RevokeSessions.All",
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
    ]) {
        return GResp::directory_denied();
    }
    let actor = actor_of(g);
    sim.mutate(|t| {
        let Some(idx) = t.user_index(&g.segs[1]) else {
            return GResp::user_not_found(&g.segs[1]);
        };
        let uid = t.users[idx]["id"].as_str().unwrap_or_default().to_string();
        let upn = t.users[idx]["userPrincipalName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let now = Utc::now();
        let old = t.users[idx]["signInSessionsValidFromDateTime"].clone();
        t.users[idx]["signInSessionsValidFromDateTime"] = json!(graph_time(now));
        t.revoked_sessions.push(RevokeRecord {
            user_id: uid.clone(),
            at: now,
            app_id: g.claims.appid.clone(),
        });
        t.touch_user(&uid);
        t.audit_directory(
            &actor,
            DirChange {
                activity: "Update user",
                category: "UserManagement",
                service: "Core Directory",
                operation_type: "Update",
                target_id: &uid,
                target_upn: Some(&upn),
                target_type: "User",
                target_name: None,
                modified: vec![(
                    "StsRefreshTokensValidFrom",
                    format!("[{old}]"),
                    format!("[\"{}\"]", graph_time(now)),
                )],
            },
            now,
        );
        GResp::ok(json!({"@odata.context": context(&sim.base, g, "Edm.Boolean"), "value": true}))
    })
}
