//! Directory-side Graph: users (+ delta, password reset, session revocation), audit logs,
//! conditional access, registration details, analyzed emails, applications and service principals.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::GReq;
use super::paging::{PageSpec, context, page};
use super::resp::GResp;
use crate::odata;
use crate::server::Sim;
use crate::state::Tenant;

pub const USER_DEFAULT: [&str; 11] = [
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

pub fn dir_spec(sim: &Sim) -> PageSpec {
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
pub fn dir_list(
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

pub fn entity(sim: &Sim, g: &GReq, mut v: Value, ctx: &str) -> GResp {
    let select = odata::parse_select(g.q("$select"));
    odata::apply_select(&mut v, &select);
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(context(&sim.base, g, ctx)));
    if let Value::Object(o) = v {
        out.extend(o);
    }
    GResp::ok(Value::Object(out))
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
