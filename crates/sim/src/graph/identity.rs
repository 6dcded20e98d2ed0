//! Authentication methods (graph-api.md §13): generic list, typed collections, typed DELETE with
//! Microsoft's rules (no generic DELETE, no password DELETE, default method last).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::GReq;
use super::mail::actor_of;
use super::paging::{PageSpec, context, page};
use super::resp::GResp;
use crate::server::Sim;
use crate::state::Tenant;
use crate::state::audit::DirChange;

/// Typed collection segment → `@odata.type` suffix and `methodsRegistered` name.
const TYPED: [(&str, &str, &str); 9] = [
    ("phonemethods", "phoneAuthenticationMethod", "mobilePhone"),
    ("emailmethods", "emailAuthenticationMethod", "email"),
    ("fido2methods", "fido2AuthenticationMethod", "fido2"),
    (
        "microsoftauthenticatormethods",
        "microsoftAuthenticatorAuthenticationMethod",
        "microsoftAuthenticatorPush",
    ),
    (
        "softwareoathmethods",
        "softwareOathAuthenticationMethod",
        "softwareOneTimePasscode",
    ),
    (
        "temporaryaccesspassmethods",
        "temporaryAccessPassAuthenticationMethod",
        "temporaryAccessPass",
    ),
    (
        "windowshelloforbusinessmethods",
        "windowsHelloForBusinessAuthenticationMethod",
        "windowsHelloForBusiness",
    ),
    (
        "passwordmethods",
        "passwordAuthenticationMethod",
        "password",
    ),
    (
        "platformcredentialmethods",
        "platformCredentialAuthenticationMethod",
        "platformCredential",
    ),
];

fn type_of(m: &Value) -> &str {
    m["@odata.type"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("#microsoft.graph.")
}

fn denied() -> GResp {
    GResp::error(
        StatusCode::FORBIDDEN,
        "accessDenied",
        "Request Authorization failed",
    )
}

pub fn auth_methods(sim: &Arc<Sim>, g: &GReq) -> GResp {
    let read = g.method == Method::GET;
    if !(g
        .claims
        .has_role(&["UserAuthenticationMethod.ReadWrite.All"])
        || (read && g.claims.has_role(&["UserAuthenticationMethod.Read.All"])))
    {
        return denied();
    }
    let actor = actor_of(g);
    sim.mutate(|t| {
        let Some(uid) = t.user_id(&g.segs[1]) else { return GResp::user_not_found(&g.segs[1]) };
        let coll = g.lc(3);
        let item = g.segs.get(4).cloned();
        let tail = g.lc(5);
        let methods = t.auth_methods.get(&uid).cloned().unwrap_or_default();
        let ctx_base = format!("users('{uid}')/authentication/{}", g.segs.get(3).map(String::as_str).unwrap_or("methods"));
        if coll == "methods" {
            return match (&g.method, item.as_deref(), tail.as_str()) {
                (&Method::GET, None, _) => {
                    let spec = PageSpec { default: 1000, max: 1000, use_skip: false, reject_over_max: false, cap: None };
                    page(&sim.base, g, methods, &ctx_base, spec, Map::new())
                }
                (&Method::GET, Some(id), "") => match methods.iter().find(|m| m["id"].as_str() == Some(id)) {
                    Some(m) => entity(sim, g, m, &format!("{ctx_base}/$entity")),
                    None => not_found(),
                },
                (&Method::POST, Some(_), "resetpassword") => {
                    GResp::error(StatusCode::FORBIDDEN, "accessDenied", "Request Authorization failed: resetPassword is not supported with application permissions.")
                }
                (&Method::DELETE, Some(_), "") => GResp::error(StatusCode::METHOD_NOT_ALLOWED, "badRequest", "Specified HTTP method is not allowed for the request target. Delete the method through its typed collection."),
                _ => GResp::method_not_allowed(),
            };
        }
        let Some((_, odata_type, registered_name)) = TYPED.iter().find(|(seg, _, _)| *seg == coll) else {
            return GResp::unknown_segment(g.segs.get(3).map(String::as_str).unwrap_or(""));
        };
        let typed: Vec<Value> = methods.iter().filter(|m| type_of(m) == *odata_type).cloned().collect();
        match (&g.method, item.as_deref()) {
            (&Method::GET, None) => {
                let spec = PageSpec { default: 1000, max: 1000, use_skip: false, reject_over_max: false, cap: None };
                page(&sim.base, g, typed, &ctx_base, spec, Map::new())
            }
            (&Method::GET, Some(id)) => match typed.iter().find(|m| m["id"].as_str() == Some(id)) {
                Some(m) => entity(sim, g, m, &format!("{ctx_base}/$entity")),
                None => not_found(),
            },
            (&Method::POST, None) if matches!(*odata_type, "phoneAuthenticationMethod" | "emailAuthenticationMethod") => {
                match add_method(t, &uid, odata_type, registered_name, g.body.as_ref(), &actor) {
                    Ok(m) => {
                        let mut r = entity(sim, g, &m, &format!("{ctx_base}/$entity"));
                        r.status = StatusCode::CREATED;
                        r
                    }
                    Err(resp) => resp,
                }
            }
            (&Method::DELETE, Some(id)) => {
                if !typed.iter().any(|m| m["id"].as_str() == Some(id)) {
                    return not_found();
                }
                if *odata_type == "passwordAuthenticationMethod" {
                    return GResp::error(StatusCode::BAD_REQUEST, "badRequest", "The password authentication method cannot be deleted.");
                }
                let others = methods.iter().filter(|m| type_of(m) != "passwordAuthenticationMethod" && m["id"].as_str() != Some(id)).count();
                if t.default_method.get(&uid).is_some_and(|d| d == id) && others > 0 {
                    return GResp::error(StatusCode::BAD_REQUEST, "badRequest", "Cannot delete default method with other methods configured. Please change default method before deletion.");
                }
                delete_method(t, &uid, id, registered_name, &actor);
                GResp::no_content()
            }
            _ => GResp::method_not_allowed(),
        }
    })
}

fn entity(sim: &Sim, g: &GReq, m: &Value, ctx: &str) -> GResp {
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(context(&sim.base, g, ctx)));
    if let Value::Object(o) = m {
        out.extend(o.clone());
    }
    GResp::ok(Value::Object(out))
}

fn not_found() -> GResp {
    GResp::error(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The requested authentication method was not found.",
    )
}

/// Fixed method ids Microsoft uses per phone type, and for the email method.
fn fixed_method_id(odata_type: &str, phone_type: &str) -> &'static str {
    match (odata_type, phone_type) {
        ("emailAuthenticationMethod", _) => "3ddfcfc8-9383-446f-83cc-3ab9be4be18f",
        (_, "alternateMobile") => "b6332ec1-7057-4abe-9331-3d72feddfe41",
        (_, "office") => "e37fc753-ff3b-4958-9484-eaa9425c82bc",
        _ => "3179e48a-750b-4051-897c-87b9720928f7",
    }
}

/// `POST .../phoneMethods` (`phoneNumber`, `phoneType`) or `.../emailMethods` (`emailAddress`):
/// the method kinds an administrator may register for a user.
fn add_method(
    t: &mut Tenant,
    uid: &str,
    odata_type: &str,
    registered_name: &str,
    body: Option<&Value>,
    actor: &crate::state::audit::Actor,
) -> Result<Value, GResp> {
    let bad = |m: &str| GResp::error(StatusCode::BAD_REQUEST, "badRequest", m);
    let body = body.ok_or_else(|| bad("Empty Payload. JSON content expected."))?;
    let mut m = serde_json::Map::new();
    m.insert(
        "@odata.type".into(),
        json!(format!("#microsoft.graph.{odata_type}")),
    );
    let phone_type = if odata_type == "phoneAuthenticationMethod" {
        let number = body["phoneNumber"]
            .as_str()
            .filter(|n| n.starts_with('+') && n.len() >= 8)
            .ok_or_else(|| bad("Invalid phone number. Use the format +{country code} {number}."))?;
        let pt = body["phoneType"].as_str().unwrap_or("mobile");
        if !matches!(pt, "mobile" | "alternateMobile" | "office") {
            return Err(bad("Invalid phoneType."));
        }
        m.insert("phoneNumber".into(), json!(number));
        m.insert("phoneType".into(), json!(pt));
        m.insert("smsSignInState".into(), json!("notSupported"));
        pt
    } else {
        let addr = body["emailAddress"]
            .as_str()
            .filter(|a| a.contains('@'))
            .ok_or_else(|| bad("Invalid email address."))?;
        m.insert("emailAddress".into(), json!(addr));
        ""
    };
    let id = fixed_method_id(odata_type, phone_type);
    let methods = t.auth_methods.entry(uid.to_owned()).or_default();
    if methods.iter().any(|x| x["id"].as_str() == Some(id)) {
        return Err(bad(
            "A method of this type is already registered for the user.",
        ));
    }
    m.insert("id".into(), json!(id));
    let v = Value::Object(m);
    methods.push(v.clone());
    let now = Utc::now();
    for r in t
        .registration_details
        .iter_mut()
        .filter(|r| r["id"].as_str() == Some(uid))
    {
        if let Some(list) = r["methodsRegistered"].as_array_mut()
            && !list.iter().any(|x| x.as_str() == Some(registered_name))
        {
            list.push(json!(registered_name));
        }
        r["lastUpdatedDateTime"] = json!(crate::util::graph_time(now));
    }
    let upn = t.upn_of(uid);
    t.audit_directory(
        actor,
        DirChange {
            activity: "Admin registered security info",
            category: "UserManagement",
            service: "Authentication Methods",
            operation_type: "Add",
            target_id: uid,
            target_upn: Some(&upn),
            target_type: "User",
            target_name: None,
            modified: vec![(
                "StrongAuthenticationMethod",
                "[]".to_string(),
                format!("[\"{odata_type}\"]"),
            )],
        },
        now,
    );
    Ok(v)
}

fn delete_method(
    t: &mut Tenant,
    uid: &str,
    id: &str,
    registered_name: &str,
    actor: &crate::state::audit::Actor,
) {
    let now = Utc::now();
    let mut removed_type = String::new();
    if let Some(ms) = t.auth_methods.get_mut(uid)
        && let Some(pos) = ms.iter().position(|m| m["id"].as_str() == Some(id))
    {
        removed_type = type_of(&ms[pos]).to_string();
        ms.remove(pos);
    }
    if t.default_method.get(uid).is_some_and(|d| d == id) {
        t.default_method.remove(uid);
    }
    let remaining: Vec<String> = t
        .auth_methods
        .get(uid)
        .map(|ms| ms.iter().map(|m| type_of(m).to_string()).collect())
        .unwrap_or_default();
    let still_has_type = remaining.contains(&removed_type);
    for r in t
        .registration_details
        .iter_mut()
        .filter(|r| r["id"].as_str() == Some(uid))
    {
        if !still_has_type && let Some(list) = r["methodsRegistered"].as_array_mut() {
            list.retain(|m| m.as_str() != Some(registered_name));
        }
        let mfa = remaining
            .iter()
            .any(|x| x != "passwordAuthenticationMethod" && x != "emailAuthenticationMethod");
        r["isMfaRegistered"] = json!(mfa);
        r["isMfaCapable"] = json!(mfa);
        r["lastUpdatedDateTime"] = json!(crate::util::graph_time(now));
    }
    let upn = t.upn_of(uid);
    t.audit_directory(
        actor,
        DirChange {
            activity: "Admin deleted security info",
            category: "UserManagement",
            service: "Authentication Methods",
            operation_type: "Delete",
            target_id: uid,
            target_upn: Some(&upn),
            target_type: "User",
            target_name: None,
            modified: vec![(
                "StrongAuthenticationMethod",
                format!("[\"{removed_type}\"]"),
                "[]".to_string(),
            )],
        },
        now,
    );
}
