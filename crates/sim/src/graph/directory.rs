//! Directory-side Graph: users (+ delta, password reset, session revocation), audit logs,
//! conditional access, registration details, analyzed emails, applications and service principals.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::GReq;
use super::mail::actor_of;
use super::paging::{PageSpec, context, page};
use super::resp::GResp;
use crate::odata;
use crate::server::Sim;
use crate::state::audit::DirChange;
use crate::state::{
    DeltaItem, DeltaKind, DeltaState, PasswordChange, Pending, RevokeRecord, Tenant,
};
use crate::util::graph_time;

const USER_DEFAULT: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

fn dir_spec(sim: &Sim) -> PageSpec {
    PageSpec {
        default: sim.cfg.pages.directory_default,
        max: sim.cfg.pages.directory_max,
        use_skip: false,
        reject_over_max: true,
        cap: None,
    }
}

fn invalid_filter() -> GResp {
    GResp::error(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "Invalid filter clause",
    )
}

/// `$filter`, `$orderby`, `$select` over a directory collection, then page.
fn dir_list(
    sim: &Sim,
    g: &GReq,
    mut items: Vec<Value>,
    ctx: &str,
    spec: PageSpec,
    default_select: Option<&[&str]>,
) -> GResp {
    if let Some(f) = g.q("$filter") {
        match odata::parse_filter(f) {
            Ok(e) => items.retain(|v| odata::eval(&e, v)),
            Err(_) => return invalid_filter(),
        }
    }
    if let Some(o) = g.q("$orderby") {
        odata::sort_by(&mut items, &odata::parse_orderby(o));
    }
    let select = odata::parse_select(g.q("$select"));
    let select: Vec<String> = if select.is_empty() {
        default_select
            .map(|d| d.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    } else {
        select
    };
    items
        .iter_mut()
        .for_each(|v| odata::apply_select(v, &select));
    page(&sim.base, g, items, ctx, spec, Map::new())
}

fn entity(sim: &Sim, g: &GReq, mut v: Value, ctx: &str) -> GResp {
    let select = odata::parse_select(g.q("$select"));
    odata::apply_select(&mut v, &select);
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(context(&sim.base, g, ctx)));
    if let Value::Object(o) = v {
        out.extend(o);
    }
    GResp::ok(Value::Object(out))
}

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
            let ctx = match g.q("$select") {
                Some(sel) => format!("users({sel})"),
                None => "users".to_string(),
            };
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
            Some(u) => entity(sim, g, user_view(u, g), "users/$entity"),
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

const BETA_ONLY_SIGNIN: [&str; 13] = [
    "authenticationRequirement",
    "authenticationDetails",
    "mfaDetail",
    "signInEventTypes",
    "authenticationProtocol",
    "clientCredentialType",
    "originalTransferMethod",
    "servicePrincipalId",
    "homeTenantId",
    "resourceTenantId",
    "uniqueTokenIdentifier",
    "sessionId",
    "userAgent",
];

pub fn audit_logs(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if !g.claims.has_role(&["AuditLog.Read.All"]) {
        return GResp::directory_denied();
    }
    if !sim.cfg.premium_license {
        return GResp::error(
            StatusCode::FORBIDDEN,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        );
    }
    if g.method != Method::GET {
        return GResp::method_not_allowed();
    }
    let which = g.lc(1);
    let (date_field, ctx) = match which.as_str() {
        "signins" => ("createdDateTime", "auditLogs/signIns"),
        "directoryaudits" => ("activityDateTime", "auditLogs/directoryAudits"),
        "provisioning" => {
            return GResp::ok(
                json!({"@odata.context": context(&sim.base, g, "auditLogs/provisioning"), "value": []}),
            );
        }
        other => return GResp::unknown_segment(other),
    };
    // Filter validation: only ge/le (and eq) on the right date field.
    let expr = match g.q("$filter").map(odata::parse_filter) {
        None => None,
        Some(Err(_)) => return invalid_filter(),
        Some(Ok(e)) => {
            for (p, op) in odata::comparisons(&e) {
                let lp = p.to_ascii_lowercase();
                if (lp == "createddatetime" || lp == "activitydatetime")
                    && (!lp.eq_ignore_ascii_case(date_field)
                        || matches!(op, odata::Op::Gt | odata::Op::Lt))
                {
                    return invalid_filter();
                }
            }
            Some(e)
        }
    };
    let t = sim.state.lock();
    let source = if which == "signins" {
        &t.sign_ins
    } else {
        &t.directory_audits
    };
    let retention = Utc::now() - TimeDelta::days(30);
    let with_ca = g
        .claims
        .has_role(&["Policy.Read.ConditionalAccess", "Policy.Read.All"]);
    let shape = |v: &Value| -> Value {
        let mut v = v.clone();
        if which == "signins"
            && let Some(o) = v.as_object_mut()
        {
            if !g.beta {
                o.retain(|k, _| !BETA_ONLY_SIGNIN.contains(&k.as_str()));
            }
            if !with_ca {
                o.insert("appliedConditionalAccessPolicies".into(), json!([]));
            }
        }
        v
    };
    if let Some(id) = g.segs.get(2) {
        return match source
            .iter()
            .find(|x| x["id"].as_str() == Some(id.as_str()))
        {
            Some(v) => entity(sim, g, shape(v), &format!("{ctx}/$entity")),
            None => GResp::error(
                StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                format!(
                    "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                ),
            ),
        };
    }
    let mut items: Vec<Value> = source
        .iter()
        .filter(|v| {
            v[date_field]
                .as_str()
                .and_then(crate::util::parse_time)
                .is_none_or(|d| d >= retention)
        })
        .filter(|v| which != "signins" || g.beta || v["isInteractive"].as_bool() != Some(false))
        .filter(|v| {
            // beta without a signInEventTypes filter: interactive only, like v1.0
            which != "signins"
                || !g.beta
                || g.q("$filter")
                    .is_some_and(|f| f.contains("signInEventTypes"))
                || v["isInteractive"].as_bool() != Some(false)
        })
        .filter(|v| expr.as_ref().is_none_or(|e| odata::eval(e, v)))
        .map(shape)
        .collect();
    drop(t);
    let order = g
        .q("$orderby")
        .map(odata::parse_orderby)
        .unwrap_or_else(|| vec![(date_field.to_string(), true)]);
    odata::sort_by(&mut items, &order);
    let select = odata::parse_select(g.q("$select"));
    items
        .iter_mut()
        .for_each(|v| odata::apply_select(v, &select));
    let spec = PageSpec {
        default: sim.cfg.pages.audit_default,
        max: sim.cfg.pages.audit_max,
        use_skip: false,
        reject_over_max: true,
        cap: None,
    };
    page(&sim.base, g, items, ctx, spec, Map::new())
}

pub fn conditional_access(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if g.lc(1) != "conditionalaccess" {
        return GResp::unknown_segment(g.segs.get(1).map(String::as_str).unwrap_or(""));
    }
    if !g
        .claims
        .has_role(&["Policy.Read.ConditionalAccess", "Policy.Read.All"])
    {
        return GResp::directory_denied();
    }
    let t = sim.state.lock();
    match (g.lc(2).as_str(), g.segs.get(3)) {
        ("policies", None) => {
            let items = t.ca_policies.clone();
            drop(t);
            dir_list(
                sim,
                g,
                items,
                "identity/conditionalAccess/policies",
                dir_spec(sim),
                None,
            )
        }
        ("policies", Some(id)) => match t
            .ca_policies
            .iter()
            .find(|p| p["id"].as_str() == Some(id.as_str()))
        {
            Some(p) => entity(
                sim,
                g,
                p.clone(),
                "identity/conditionalAccess/policies/$entity",
            ),
            None => GResp::error(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                "Could not find policy.",
            ),
        },
        ("namedlocations", None) => {
            drop(t);
            dir_list(
                sim,
                g,
                vec![],
                "identity/conditionalAccess/namedLocations",
                dir_spec(sim),
                None,
            )
        }
        (other, _) => GResp::unknown_segment(other),
    }
}

pub fn reports(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if g.lc(1) == "authenticationmethods" && g.lc(2) == "userregistrationdetails" {
        if !g.claims.has_role(&["AuditLog.Read.All"]) {
            return GResp::directory_denied();
        }
        if !sim.cfg.premium_license {
            return GResp::error(
                StatusCode::FORBIDDEN,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Neither tenant is B2C or tenant doesn't have premium license",
            );
        }
        let t = sim.state.lock();
        if let Some(id) = g.segs.get(3) {
            return match t
                .registration_details
                .iter()
                .find(|r| r["id"].as_str() == Some(id.as_str()))
            {
                Some(r) => entity(
                    sim,
                    g,
                    r.clone(),
                    "reports/authenticationMethods/userRegistrationDetails/$entity",
                ),
                None => GResp::user_not_found(id),
            };
        }
        let items = t.registration_details.clone();
        drop(t);
        return dir_list(
            sim,
            g,
            items,
            "reports/authenticationMethods/userRegistrationDetails",
            PageSpec {
                default: 1000,
                max: 1000,
                ..dir_spec(sim)
            },
            None,
        );
    }
    super::reports::usage_report(sim, g)
}

pub fn security(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if !(g.lc(1) == "collaboration" && g.lc(2) == "analyzedemails") {
        return GResp::unknown_segment(g.segs.get(1).map(String::as_str).unwrap_or(""));
    }
    if g.method == Method::POST && g.lc(3) == "remediate" {
        if !g
            .claims
            .has_role(&["SecurityAnalyzedMessage.ReadWrite.All"])
        {
            return GResp::error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "Missing role permissions on the request. API requires one of 'SecurityAnalyzedMessage.ReadWrite.All'.",
            );
        }
        return GResp {
            status: StatusCode::ACCEPTED,
            headers: vec![(
                "Location".into(),
                "https://security.microsoft.com/action-center/history".into(),
            )],
            body: super::resp::GBody::Empty,
        };
    }
    if !g.claims.has_role(&[
        "SecurityAnalyzedMessage.Read.All",
        "SecurityAnalyzedMessage.ReadWrite.All",
    ]) {
        return GResp::error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Missing role permissions on the request. API requires one of 'SecurityAnalyzedMessage.Read.All'.",
        );
    }
    if !sim.cfg.defender_license {
        return GResp::error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Invalid subscription: Microsoft Defender for Office 365 is required.",
        );
    }
    let t = sim.state.lock();
    if let Some(id) = g.segs.get(3) {
        return match t
            .analyzed_emails
            .iter()
            .find(|a| a["id"].as_str() == Some(id.as_str()))
        {
            Some(a) => entity(
                sim,
                g,
                a.clone(),
                "security/collaboration/analyzedEmails/$entity",
            ),
            None => GResp::error(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                "The requested analyzed email was not found.",
            ),
        };
    }
    let start = g.q("startTime").and_then(crate::util::parse_time);
    let end = g.q("endTime").and_then(crate::util::parse_time);
    let mut items: Vec<Value> = t
        .analyzed_emails
        .iter()
        .filter(|a| {
            let at = a["loggedDateTime"]
                .as_str()
                .and_then(crate::util::parse_time);
            start.is_none_or(|s| at.is_some_and(|x| x >= s))
                && end.is_none_or(|e| at.is_some_and(|x| x <= e))
        })
        .cloned()
        .collect();
    drop(t);
    odata::sort_by(&mut items, &[("loggedDateTime".into(), true)]);
    dir_list(
        sim,
        g,
        items,
        "security/collaboration/analyzedEmails",
        PageSpec {
            default: 100,
            max: 1000,
            ..dir_spec(sim)
        },
        None,
    )
}

fn hide_secrets(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(a) = v["passwordCredentials"].as_array_mut() {
        a.iter_mut().for_each(|c| c["secretText"] = Value::Null);
    }
    if let Some(a) = v["keyCredentials"].as_array_mut() {
        a.iter_mut().for_each(|c| c["key"] = Value::Null);
    }
    v
}

pub fn apps(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if g.method != Method::GET {
        return GResp::method_not_allowed();
    }
    let grants_ok = g
        .claims
        .has_role(&["Directory.Read.All", "DelegatedPermissionGrant.Read.All"]);
    if g.lc(0) == "oauth2permissiongrants" || g.lc(2) == "oauth2permissiongrants" {
        if !grants_ok {
            return GResp::directory_denied();
        }
        return GResp::ok(
            json!({"@odata.context": context(&sim.base, g, "oauth2PermissionGrants"), "value": []}),
        );
    }
    if !g.claims.has_role(&[
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
    ]) {
        return GResp::directory_denied();
    }
    let t: parking_lot::MutexGuard<'_, Tenant> = sim.state.lock();
    let is_apps = g.lc(0) == "applications";
    let coll = if is_apps {
        &t.applications
    } else {
        &t.service_principals
    };
    let name = if is_apps {
        "applications"
    } else {
        "servicePrincipals"
    };
    let Some(key) = g.segs.get(1) else {
        let items: Vec<Value> = coll.iter().map(hide_secrets).collect();
        drop(t);
        return dir_list(sim, g, items, name, dir_spec(sim), None);
    };
    if key.eq_ignore_ascii_case("delta") {
        let items: Vec<Value> = coll.iter().map(hide_secrets).collect();
        drop(t);
        let mut r = dir_list(
            sim,
            g,
            items,
            name,
            PageSpec {
                default: 1000,
                max: 1000,
                ..dir_spec(sim)
            },
            None,
        );
        if let super::resp::GBody::Json(v) = &mut r.body
            && v.get("@odata.nextLink").is_none()
        {
            v["@odata.deltaLink"] = json!(format!(
                "{}/{}{}?$deltatoken={}",
                sim.base,
                g.version(),
                g.raw_path,
                crate::util::b64url(&crate::util::random_bytes::<12>())
            ));
        }
        return r;
    }
    let found = if let Some(app_id) = key.strip_prefix("appId=") {
        coll.iter().find(|x| {
            x["appId"]
                .as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case(app_id))
        })
    } else {
        coll.iter().find(|x| {
            x["id"]
                .as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case(key))
        })
    };
    let Some(obj) = found else {
        return GResp::error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
            ),
        );
    };
    let obj_id = obj["id"].as_str().unwrap_or_default().to_string();
    match (is_apps, g.lc(2).as_str()) {
        (_, "") => entity(sim, g, hide_secrets(obj), &format!("{name}/$entity")),
        (false, "approleassignedto") => {
            let items = t
                .app_role_assigned_to
                .get(&obj_id)
                .cloned()
                .unwrap_or_default();
            drop(t);
            dir_list(
                sim,
                g,
                items,
                &format!("servicePrincipals('{obj_id}')/appRoleAssignedTo"),
                dir_spec(sim),
                None,
            )
        }
        (false, "approleassignments") => {
            let items: Vec<Value> = t
                .app_role_assigned_to
                .values()
                .flatten()
                .filter(|a| a["principalId"].as_str() == Some(obj_id.as_str()))
                .cloned()
                .collect();
            drop(t);
            dir_list(
                sim,
                g,
                items,
                &format!("servicePrincipals('{obj_id}')/appRoleAssignments"),
                dir_spec(sim),
                None,
            )
        }
        (_, other) => GResp::unknown_segment(other),
    }
}
