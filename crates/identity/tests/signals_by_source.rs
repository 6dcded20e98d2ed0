//! Every signal, fed through every source shape it can arrive in: Graph JSON, Entra diagnostic
//! logs, Log Analytics CSV rows, Management Activity records (PascalCase, lower-cased, Purview
//! `auditData`).

use serde_json::{Map, Value, json};
use ward_identity::adapters::{parse_row, parse_value};
use ward_identity::{Detector, DetectorConfig, Event, SignalHit};

/// A sign-in described once, rendered in each shape.
#[derive(Clone, Default)]
struct S {
    t: &'static str,
    user: &'static str,
    ip: &'static str,
    code: i64,
    country: &'static str,
    client: &'static str,
    protocol: &'static str,
    ua: &'static str,
    app_id: &'static str,
    app: &'static str,
    resource: &'static str,
    interactive: bool,
    risk: &'static str,
    risk_state: &'static str,
    risk_types: &'static [&'static str],
    session: &'static str,
    sp: bool,
}

fn s(t: &'static str, user: &'static str, ip: &'static str) -> S {
    S {
        t,
        user,
        ip,
        country: "US",
        client: "Browser",
        interactive: true,
        ..S::default()
    }
}

fn graph(x: &S) -> Value {
    let mut v = json!({
        "id": format!("{}-{}-{}", x.t, x.user, x.ip), "createdDateTime": x.t, "ipAddress": x.ip,
        "status": {"errorCode": x.code, "additionalDetails": if x.code == 500121 { "MFA denied; user declined the authentication" } else { "" }},
        "location": {"countryOrRegion": x.country, "city": ""}, "clientAppUsed": x.client,
        "authenticationProtocol": x.protocol, "userAgent": x.ua, "appId": x.app_id, "appDisplayName": x.app,
        "resourceDisplayName": x.resource, "isInteractive": x.interactive, "riskLevelDuringSignIn": x.risk,
        "riskState": x.risk_state, "riskEventTypes_v2": x.risk_types, "sessionId": x.session,
    });
    if x.sp {
        v["servicePrincipalName"] = json!(x.user);
        v["servicePrincipalId"] = json!("sp-id");
        v["signInEventTypes"] = json!(["servicePrincipal"]);
    } else {
        v["userPrincipalName"] = json!(x.user);
    }
    v
}

fn diagnostic(x: &S) -> Value {
    json!({"time": x.t, "category": if x.sp { "ServicePrincipalSignInLogs" } else { "SignInLogs" },
        "operationName": "Sign-in activity", "callerIpAddress": x.ip, "resultType": x.code.to_string(), "properties": graph(x)})
}

/// A Log Analytics `SigninLogs` export row: PascalCase columns, objects as JSON text.
fn la_row(x: &S) -> Value {
    let g = graph(x);
    let mut m = Map::new();
    let mut put = |k: &str, v: String| {
        if !v.is_empty() {
            m.insert(k.to_string(), Value::String(v));
        }
    };
    put("TimeGenerated [UTC]", x.t.to_string());
    put("Id", g["id"].as_str().unwrap_or_default().to_string());
    put(
        "UserPrincipalName",
        if x.sp {
            String::new()
        } else {
            x.user.to_string()
        },
    );
    put(
        "ServicePrincipalName",
        if x.sp {
            x.user.to_string()
        } else {
            String::new()
        },
    );
    put(
        "Category",
        if x.sp {
            "ServicePrincipalSignInLogs".into()
        } else {
            "SignInLogs".into()
        },
    );
    put("IPAddress", x.ip.to_string());
    put("ResultType", x.code.to_string());
    put("Status_dynamic", g["status"].to_string());
    put("LocationDetails_dynamic", g["location"].to_string());
    put("ClientAppUsed", x.client.to_string());
    put("AuthenticationProtocol", x.protocol.to_string());
    put("UserAgent", x.ua.to_string());
    put("AppId", x.app_id.to_string());
    put("AppDisplayName", x.app.to_string());
    put("ResourceDisplayName", x.resource.to_string());
    put(
        "IsInteractive",
        if x.interactive {
            "True".into()
        } else {
            "False".into()
        },
    );
    put("RiskLevelDuringSignIn", x.risk.to_string());
    put("RiskState", x.risk_state.to_string());
    put(
        "RiskEventTypes_V2",
        serde_json::to_string(x.risk_types).unwrap_or_default(),
    );
    put("SessionId", x.session.to_string());
    Value::Object(m)
}

/// A Management Activity `UserLoggedIn` / `UserLoginFailed` record.
fn mgmt_logon(x: &S) -> Value {
    json!({"CreationTime": x.t, "Id": format!("{}-{}-{}", x.t, x.user, x.ip), "Operation": if x.code == 0 { "UserLoggedIn" } else { "UserLoginFailed" },
        "RecordType": 15, "Workload": "AzureActiveDirectory", "UserId": x.user, "ClientIP": x.ip, "ErrorCode": x.code.to_string(),
        "ExtendedProperties": [{"Name": "UserAgent", "Value": x.ua}], "ResultStatus": "Success"})
}

type Shape = (&'static str, fn(&S) -> Option<Event>);

fn shapes() -> Vec<Shape> {
    vec![
        ("graph", |x| parse_value(&graph(x)).ok()),
        ("diagnostic", |x| parse_value(&diagnostic(x)).ok()),
        ("log_analytics", |x| parse_row(&la_row(x)).ok()),
    ]
}

fn run(events: impl IntoIterator<Item = Event>) -> Vec<Vec<SignalHit>> {
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    events.into_iter().map(|e| d.observe(&e)).collect()
}

fn fired(hits: &[SignalHit], id: &str) -> bool {
    hits.iter().any(|h| h.id == id)
}

/// Asserts that the last of `seq` fires `id` in every sign-in shape (and Management Activity
/// when `mgmt`), and that `control` (same sequence, benign last event) does not.
fn sign_in_case(id: &str, seq: &[S], control: Option<&[S]>, mgmt: bool) {
    let mut all = shapes();
    if mgmt {
        all.push(("management_activity", |x| parse_value(&mgmt_logon(x)).ok()));
    }
    for (name, f) in all {
        let events: Vec<Event> = seq
            .iter()
            .map(|x| f(x).unwrap_or_else(|| panic!("{name}: parse")))
            .collect();
        let hits = run(events);
        let last = hits.last().expect("hits");
        assert!(fired(last, id), "{id} not fired for {name}: {last:?}");
        if let Some(control) = control {
            let events: Vec<Event> = control
                .iter()
                .map(|x| f(x).unwrap_or_else(|| panic!("{name}: parse")))
                .collect();
            let hits = run(events);
            assert!(
                !fired(hits.last().expect("hits"), id),
                "{id} fired on the control for {name}"
            );
        }
    }
}

const T: &str = "2025-03-01T10:00:00Z";

#[test]
fn legacy_protocol_and_ropc() {
    let bad = S {
        client: "IMAP4",
        ..s(T, "a@contoso.com", "198.51.100.7")
    };
    sign_in_case(
        "signin.legacy_protocol",
        std::slice::from_ref(&bad),
        Some(&[s(T, "a@contoso.com", "198.51.100.7")]),
        false,
    );
    let failed = S { code: 50126, ..bad };
    sign_in_case(
        "signin.legacy_protocol",
        &[S {
            client: "Authenticated SMTP",
            ..s(T, "a@contoso.com", "1.1.1.1")
        }],
        Some(&[failed]),
        false,
    );
    let ropc = S {
        protocol: "ropc",
        client: "Other clients",
        ua: "BAV2ROPC",
        ..s(T, "a@contoso.com", "1.1.1.1")
    };
    sign_in_case(
        "signin.ropc",
        &[ropc],
        Some(&[s(T, "a@contoso.com", "1.1.1.1")]),
        false,
    );
}

#[test]
fn device_code_and_first_party_oauth_phishing() {
    let dc = S {
        protocol: "deviceCode",
        app_id: "29d9ed98-a469-4536-ade2-f981bc1d605e",
        app: "Microsoft Authentication Broker",
        resource: "Microsoft Graph",
        ..s(T, "a@contoso.com", "1.1.1.1")
    };
    sign_in_case(
        "signin.device_code",
        &[dc],
        Some(&[s(T, "a@contoso.com", "1.1.1.1")]),
        false,
    );
    let vsc = S {
        app_id: "aebc6443-996d-45c2-90f0-388ff96faa56",
        app: "Visual Studio Code",
        resource: "Microsoft Graph",
        interactive: false,
        ..s(T, "a@contoso.com", "1.1.1.1")
    };
    let devops = S {
        resource: "Azure DevOps",
        ..vsc.clone()
    };
    sign_in_case(
        "signin.oauth_first_party_client",
        &[vsc],
        Some(&[devops]),
        false,
    );
}

#[test]
fn scripted_client_lockout_risk_and_countries() {
    let py = S {
        ua: "python-requests/2.31.0",
        ..s(T, "a@contoso.com", "1.1.1.1")
    };
    let browser = S {
        ua: "Mozilla/5.0 (Windows NT 10.0)",
        ..py.clone()
    };
    sign_in_case("signin.scripted_client", &[py], Some(&[browser]), true);
    let locked = S {
        code: 50053,
        ..s(T, "a@contoso.com", "1.1.1.1")
    };
    sign_in_case(
        "signin.account_locked",
        &[locked],
        Some(&[S {
            code: 50126,
            ..s(T, "a@contoso.com", "1.1.1.1")
        }]),
        true,
    );
    let risky = S {
        risk: "high",
        risk_state: "atRisk",
        risk_types: &["anonymizedIPAddress"],
        ..s(T, "a@contoso.com", "1.1.1.1")
    };
    let dismissed = S {
        risk_state: "dismissed",
        ..risky.clone()
    };
    sign_in_case(
        "signin.entra_risk",
        std::slice::from_ref(&risky),
        Some(std::slice::from_ref(&dismissed)),
        false,
    );
    sign_in_case("signin.anonymizer", &[risky], Some(&[dismissed]), false);
    let ru = S {
        country: "RU",
        ..s(T, "a@contoso.com", "1.1.1.1")
    };
    sign_in_case(
        "signin.high_risk_country",
        &[ru],
        Some(&[s(T, "a@contoso.com", "1.1.1.1")]),
        false,
    );
    let sp = S {
        sp: true,
        code: 7000215,
        ..s(T, "payroll-sync", "1.1.1.1")
    };
    sign_in_case(
        "signin.sp_invalid_credential",
        &[sp],
        Some(&[S {
            sp: true,
            ..s(T, "payroll-sync", "1.1.1.1")
        }]),
        false,
    );
}

#[test]
fn baselines_new_country_and_impossible_travel() {
    let home = |t| s(t, "a@contoso.com", "1.1.1.1");
    let base = [
        home("2025-03-01T08:00:00Z"),
        home("2025-03-01T09:00:00Z"),
        home("2025-03-01T10:00:00Z"),
    ];
    let mut away = base.to_vec();
    away.push(S {
        country: "FR",
        ..s("2025-03-03T10:00:00Z", "a@contoso.com", "2.2.2.2")
    });
    let mut stay = base.to_vec();
    stay.push(home("2025-03-03T10:00:00Z"));
    sign_in_case("signin.new_country", &away, Some(&stay), false);
    let mut jump = base.to_vec();
    jump.push(S {
        country: "JP",
        ..s("2025-03-01T11:00:00Z", "a@contoso.com", "3.3.3.3")
    });
    let mut slow = base.to_vec();
    slow.push(S {
        country: "JP",
        ..s("2025-03-03T11:00:00Z", "a@contoso.com", "3.3.3.3")
    });
    sign_in_case("signin.impossible_travel", &jump, Some(&slow), false);
    let sess = |ip, country| S {
        session: "sess-1",
        country,
        ..s("2025-03-01T11:00:00Z", "a@contoso.com", ip)
    };
    sign_in_case(
        "signin.session_ip_change",
        &[sess("1.1.1.1", "US"), sess("5.5.5.5", "NL")],
        Some(&[sess("1.1.1.1", "US")]),
        false,
    );
}

#[test]
fn spray_brute_force_and_mfa_fatigue() {
    let users = ["a@c.com", "b@c.com", "c@c.com", "d@c.com", "e@c.com"];
    let spray: Vec<S> = users
        .iter()
        .map(|u| S {
            code: 50126,
            ..s(T, u, "203.0.113.9")
        })
        .collect();
    sign_in_case("signin.password_spray", &spray, Some(&spray[..4]), true);
    let mut then_in = spray.clone();
    then_in.push(s("2025-03-01T10:10:00Z", "f@c.com", "203.0.113.9"));
    sign_in_case("signin.password_spray_success", &then_in, None, true);
    let brute: Vec<S> = (0..10)
        .map(|_| S {
            code: 50126,
            ..s(T, "a@c.com", "203.0.113.9")
        })
        .collect();
    // Identical records are duplicates; vary the time so each is its own failure.
    const TIMES: [&str; 11] = [
        "2025-03-01T10:00:00Z",
        "2025-03-01T10:01:00Z",
        "2025-03-01T10:02:00Z",
        "2025-03-01T10:03:00Z",
        "2025-03-01T10:04:00Z",
        "2025-03-01T10:05:00Z",
        "2025-03-01T10:06:00Z",
        "2025-03-01T10:07:00Z",
        "2025-03-01T10:08:00Z",
        "2025-03-01T10:09:00Z",
        "2025-03-01T10:10:00Z",
    ];
    let brute: Vec<S> = brute
        .into_iter()
        .enumerate()
        .map(|(i, x)| S { t: TIMES[i], ..x })
        .collect();
    sign_in_case("signin.brute_force", &brute, Some(&brute[..9]), true);
    let mut brute_in = brute.clone();
    brute_in.push(s(TIMES[10], "a@c.com", "203.0.113.9"));
    sign_in_case("signin.success_after_failures", &brute_in, None, true);
    let denials: Vec<S> = (0..3)
        .map(|i| S {
            code: 500121,
            ..s(TIMES[i], "a@c.com", "1.1.1.1")
        })
        .collect();
    sign_in_case("signin.mfa_fatigue", &denials, Some(&denials[..2]), false);
    let mut approved = denials.clone();
    approved.push(s(TIMES[4], "a@c.com", "1.1.1.1"));
    sign_in_case("signin.mfa_fatigue_success", &approved, None, false);
}

// ---- directory audits ----------------------------------------------------------------------

fn graph_audit(
    op: &str,
    actor: &str,
    target_upn: &str,
    target_type: &str,
    target_name: &str,
    modified: Value,
    details: Value,
) -> Value {
    json!({"id": format!("{op}-{target_upn}"), "activityDateTime": T, "activityDisplayName": op, "category": "UserManagement",
        "loggedByService": "Core Directory", "operationType": "Update", "result": "success",
        "initiatedBy": {"user": {"userPrincipalName": actor, "ipAddress": "1.2.3.4"}},
        "targetResources": [{"id": "t1", "displayName": target_name, "type": target_type, "userPrincipalName": target_upn, "modifiedProperties": modified}],
        "additionalDetails": details})
}

fn diag_audit(g: &Value) -> Value {
    json!({"time": T, "category": "AuditLogs", "operationName": g["activityDisplayName"], "callerIpAddress": "1.2.3.4", "properties": g})
}

fn la_audit(g: &Value) -> Value {
    json!({"TimeGenerated [UTC]": T, "OperationName": g["activityDisplayName"], "Result": "success", "Category": g["category"],
        "InitiatedBy": g["initiatedBy"].to_string(), "TargetResources": g["targetResources"].to_string(),
        "AdditionalDetails": g["additionalDetails"].to_string()})
}

fn mgmt_aad(op: &str, actor: &str, target_upn: &str, modified: Value) -> Value {
    json!({"CreationTime": "2025-03-01T10:00:00", "Id": format!("m-{op}"), "Operation": format!("{op}."), "RecordType": 8,
        "Workload": "AzureActiveDirectory", "UserId": actor, "ObjectId": target_upn, "ResultStatus": "Success",
        "Target": [{"ID": target_upn, "Type": 5}], "ModifiedProperties": modified})
}

fn lowercase_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        ),
        _ => v.clone(),
    }
}

fn audit_fires(id: &str, records: &[Value], rows: &[Value]) {
    for r in records {
        let e = parse_value(r).unwrap_or_else(|err| panic!("{id}: {err} on {r}"));
        let hits = run([e]);
        assert!(fired(&hits[0], id), "{id} not fired on {r}: {:?}", hits[0]);
    }
    for r in rows {
        let e = parse_row(r).unwrap_or_else(|err| panic!("{id}: {err} on {r}"));
        let hits = run([e]);
        assert!(
            fired(&hits[0], id),
            "{id} not fired on row {r}: {:?}",
            hits[0]
        );
    }
}

fn audit_silent(id: &str, r: &Value) {
    let e = parse_value(r).expect("parse");
    assert!(!fired(&run([e])[0], id), "{id} fired on control {r}");
}

#[test]
fn mfa_methods_added_removed_disabled() {
    let g = graph_audit(
        "User deleted security info",
        "a@c.com",
        "a@c.com",
        "User",
        "a",
        json!([]),
        json!([]),
    );
    let m = mgmt_aad(
        "Update user",
        "ServicePrincipal_x",
        "a@c.com",
        json!([{"Name": "StrongAuthenticationMethod", "OldValue": "[{\"MethodType\":7}]", "NewValue": "[]"}]),
    );
    audit_fires(
        "identity.mfa_method_removed",
        &[g.clone(), diag_audit(&g), m.clone(), lowercase_keys(&m)],
        &[la_audit(&g)],
    );
    let g = graph_audit(
        "User registered security info",
        "a@c.com",
        "a@c.com",
        "User",
        "a",
        json!([]),
        json!([]),
    );
    let m = mgmt_aad(
        "Update user",
        "ServicePrincipal_x",
        "a@c.com",
        json!([{"Name": "StrongAuthenticationMethod", "OldValue": "[]", "NewValue": "[{\"MethodType\":7}]"}]),
    );
    audit_fires(
        "identity.mfa_method_added",
        &[g.clone(), diag_audit(&g), m.clone()],
        &[la_audit(&g)],
    );
    let m = mgmt_aad(
        "Update user",
        "admin@c.com",
        "a@c.com",
        json!([{"Name": "StrongAuthenticationRequirement", "OldValue": "[{\"State\":1}]", "NewValue": "[]"}]),
    );
    audit_fires(
        "identity.mfa_disabled",
        &[
            m,
            mgmt_aad(
                "Disable Strong Authentication",
                "admin@c.com",
                "a@c.com",
                json!([]),
            ),
        ],
        &[],
    );
}

#[test]
fn mfa_method_after_risky_sign_in_is_worse() {
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    let risky = S {
        risk: "high",
        risk_state: "atRisk",
        ..s("2025-03-01T09:00:00Z", "a@c.com", "1.1.1.1")
    };
    d.observe(&parse_value(&graph(&risky)).expect("parse"));
    let g = graph_audit(
        "User registered security info",
        "a@c.com",
        "a@c.com",
        "User",
        "a",
        json!([]),
        json!([]),
    );
    let hits = d.observe(&parse_value(&g).expect("parse"));
    assert!(
        hits.iter()
            .any(|h| h.id == "identity.mfa_method_added" && h.score >= 70),
        "{hits:?}"
    );
}

#[test]
fn consent_credentials_federation_policies_roles_resets_guests() {
    let perms = json!([{"displayName": "ConsentAction.Permissions", "oldValue": "", "newValue": "[] => [[Scope: Mail.Read offline_access User.Read]]"}]);
    let g = graph_audit(
        "Consent to application",
        "a@c.com",
        "",
        "ServicePrincipal",
        "Mail Helper",
        perms,
        json!([]),
    );
    let m = mgmt_aad(
        "Consent to application",
        "a@c.com",
        "a@c.com",
        json!([{"Name": "ConsentAction.Permissions", "NewValue": "Scope: Mail.ReadWrite offline_access", "OldValue": ""}]),
    );
    audit_fires(
        "app.consent",
        &[g.clone(), diag_audit(&g), m],
        &[la_audit(&g)],
    );
    let hits = run([parse_value(&g).expect("parse")]);
    assert!(
        hits[0]
            .iter()
            .any(|h| h.id == "app.consent" && h.score >= 80),
        "{hits:?}"
    );

    let grant = graph_audit(
        "Add delegated permission grant",
        "a@c.com",
        "",
        "ServicePrincipal",
        "Microsoft Graph",
        json!([{"displayName": "DelegatedPermissionGrant.Scope", "oldValue": "", "newValue": "\" Mail.ReadWrite offline_access\""}]),
        json!([]),
    );
    let m = mgmt_aad(
        "Add delegated permission grant",
        "a@c.com",
        "",
        json!([{"Name": "DelegatedPermissionGrant.Scope", "NewValue": "Mail.ReadWrite", "OldValue": ""}]),
    );
    audit_fires(
        "app.permission_granted",
        &[grant.clone(), diag_audit(&grant), m],
        &[la_audit(&grant)],
    );

    let g = graph_audit(
        "Add service principal credentials",
        "admin@c.com",
        "",
        "ServicePrincipal",
        "Payroll",
        json!([]),
        json!([]),
    );
    let m = mgmt_aad(
        "Add service principal credentials",
        "admin@c.com",
        "",
        json!([]),
    );
    audit_fires(
        "app.credentials_added",
        &[
            g.clone(),
            diag_audit(&g),
            m,
            lowercase_keys(&mgmt_aad(
                "Update application – Certificates and secrets management ",
                "admin@c.com",
                "",
                json!([]),
            )),
        ],
        &[la_audit(&g)],
    );
    audit_silent(
        "app.credentials_added",
        &graph_audit(
            "Add service principal",
            "admin@c.com",
            "",
            "ServicePrincipal",
            "x",
            json!([]),
            json!([]),
        ),
    );

    let g = graph_audit(
        "Set federation settings on domain",
        "admin@c.com",
        "",
        "Domain",
        "c.com",
        json!([]),
        json!([]),
    );
    audit_fires(
        "identity.federation_change",
        &[
            g.clone(),
            diag_audit(&g),
            mgmt_aad(
                "Set federation settings on domain",
                "admin@c.com",
                "",
                json!([]),
            ),
        ],
        &[la_audit(&g)],
    );

    let g = graph_audit(
        "Delete conditional access policy",
        "admin@c.com",
        "",
        "Policy",
        "Require MFA",
        json!([]),
        json!([]),
    );
    audit_fires(
        "identity.ca_policy_deleted",
        &[g.clone(), diag_audit(&g)],
        &[la_audit(&g)],
    );
    let old =
        json!({"state": "enabled", "grantControls": {"builtInControls": ["mfa"]}}).to_string();
    let new = json!({"state": "enabled", "displayName": "MFA", "grantControls": null}).to_string();
    let weak = graph_audit(
        "Update conditional access policy",
        "admin@c.com",
        "",
        "Policy",
        "MFA",
        json!([{"displayName": "ConditionalAccessPolicy", "oldValue": old, "newValue": new}]),
        json!([]),
    );
    audit_fires(
        "identity.ca_policy_weakened",
        &[weak.clone(), diag_audit(&weak)],
        &[la_audit(&weak)],
    );
    let stronger = graph_audit(
        "Update conditional access policy",
        "admin@c.com",
        "",
        "Policy",
        "MFA",
        json!([{"displayName": "ConditionalAccessPolicy", "oldValue": new, "newValue": old}]),
        json!([]),
    );
    audit_silent("identity.ca_policy_weakened", &stronger);

    let g = graph_audit(
        "Add member to role",
        "admin@c.com",
        "",
        "Role",
        "Global Administrator",
        json!([]),
        json!([]),
    );
    let m = mgmt_aad(
        "Add member to role",
        "admin@c.com",
        "b@c.com",
        json!([{"Name": "Role.DisplayName", "NewValue": "Global Administrator", "OldValue": ""}]),
    );
    audit_fires(
        "identity.privileged_role_added",
        &[g.clone(), diag_audit(&g), m],
        &[la_audit(&g)],
    );

    let g = graph_audit(
        "Reset user password",
        "helpdesk@c.com",
        "a@c.com",
        "User",
        "a",
        json!([]),
        json!([]),
    );
    audit_fires(
        "identity.password_reset_by_other",
        &[
            g.clone(),
            diag_audit(&g),
            mgmt_aad(
                "Reset user password",
                "helpdesk@c.com",
                "a@c.com",
                json!([]),
            ),
        ],
        &[la_audit(&g)],
    );

    let g = graph_audit(
        "Invite external user",
        "a@c.com",
        "",
        "User",
        "x",
        json!([]),
        json!([{"key": "invitedUserEmailAddress", "value": "x@evil.example"}]),
    );
    audit_fires(
        "identity.guest_invited",
        &[g.clone(), diag_audit(&g)],
        &[la_audit(&g)],
    );
    audit_silent(
        "identity.guest_invited",
        &graph_audit(
            "Invite external user",
            "a@c.com",
            "",
            "User",
            "x",
            json!([]),
            json!([{"key": "invitedUserEmailAddress", "value": "y@c.com"}]),
        ),
    );
}

// ---- mailbox ---------------------------------------------------------------------------------

fn exo(op: &str, user: &str, params: Value) -> Value {
    json!({"CreationTime": "2025-03-01T10:00:00", "Id": format!("x-{op}-{params}"), "Operation": op, "RecordType": 1, "Workload": "Exchange",
        "UserId": user, "ClientIP": "1.2.3.4:5555", "ResultStatus": "True", "Parameters": params})
}

fn office_activity_row(v: &Value) -> Value {
    json!({"TimeGenerated [UTC]": "3/1/2025, 10:00:00.000 AM", "Operation": v["Operation"], "OfficeWorkload": "Exchange", "RecordType": "ExchangeAdmin",
        "UserId": v["UserId"], "ClientIP": "1.2.3.4", "ResultStatus": "True", "Parameters": v["Parameters"].to_string()})
}

fn purview(v: &Value) -> Value {
    json!({"id": "p1", "createdDateTime": T, "auditLogRecordType": "exchangeAdmin", "operation": v["Operation"], "auditData": v})
}

fn mailbox_fires(id: &str, rec: Value, control: Option<Value>) {
    audit_fires(
        id,
        &[rec.clone(), lowercase_keys(&rec), purview(&rec)],
        &[office_activity_row(&rec)],
    );
    if let Some(c) = control {
        audit_silent(id, &c);
    }
}

fn p(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(n, v)| json!({"Name": n, "Value": v}))
            .collect(),
    )
}

#[test]
fn mailbox_forwarding_and_rules() {
    let u = "cfo@contoso.com";
    mailbox_fires(
        "mailbox.forwarding_external",
        exo(
            "Set-Mailbox",
            u,
            p(&[
                ("Identity", u),
                ("ForwardingSmtpAddress", "smtp:drop@evil.example"),
                ("DeliverToMailboxAndForward", "False"),
            ]),
        ),
        Some(exo(
            "Set-Mailbox",
            u,
            p(&[
                ("Identity", u),
                ("ForwardingSmtpAddress", "smtp:ceo@eu.contoso.com"),
            ]),
        )),
    );
    mailbox_fires(
        "mailbox.rule_forwards_external",
        exo(
            "New-InboxRule",
            u,
            p(&[
                ("Name", "x"),
                ("ForwardTo", "a@contoso.com;drop@evil.example"),
            ]),
        ),
        Some(exo(
            "New-InboxRule",
            u,
            p(&[("Name", "x"), ("ForwardTo", "a@contoso.com")]),
        )),
    );
    mailbox_fires(
        "mailbox.rule_deletes",
        exo(
            "New-InboxRule",
            u,
            p(&[("Name", "x"), ("DeleteMessage", "True")]),
        ),
        None,
    );
    mailbox_fires(
        "mailbox.rule_hides_mail",
        exo(
            "Set-InboxRule",
            u,
            p(&[("Identity", "x"), ("MoveToFolder", "RSS Feeds")]),
        ),
        Some(exo(
            "Set-InboxRule",
            u,
            p(&[("Identity", "x"), ("MoveToFolder", "Newsletters")]),
        )),
    );
    mailbox_fires(
        "mailbox.rule_marks_read_and_stops",
        exo(
            "New-InboxRule",
            u,
            p(&[
                ("Name", "x"),
                ("MarkAsRead", "True"),
                ("StopProcessingRules", "True"),
            ]),
        ),
        Some(exo(
            "New-InboxRule",
            u,
            p(&[("Name", "x"), ("StopProcessingRules", "True")]),
        )),
    );
    mailbox_fires(
        "mailbox.rule_payment_words",
        exo(
            "New-InboxRule",
            u,
            p(&[
                ("Name", "x"),
                ("SubjectOrBodyContainsWords", "Invoice;wire"),
                ("MoveToFolder", "Archive"),
            ]),
        ),
        Some(exo(
            "New-InboxRule",
            u,
            p(&[("Name", "x"), ("SubjectOrBodyContainsWords", "achievement")]),
        )),
    );
    mailbox_fires(
        "mailbox.rule_blank_name",
        exo(
            "New-InboxRule",
            u,
            p(&[("Name", "."), ("DeleteMessage", "True")]),
        ),
        Some(exo(
            "New-InboxRule",
            u,
            p(&[("Name", "Newsletters"), ("DeleteMessage", "True")]),
        )),
    );
    mailbox_fires(
        "mailbox.permission_grant",
        exo(
            "Add-MailboxPermission",
            u,
            p(&[
                ("Identity", u),
                ("User", "x@contoso.com"),
                ("AccessRights", "FullAccess"),
            ]),
        ),
        None,
    );
    let outlook = json!({"CreationTime": "2025-03-01T10:00:00", "Id": "o1", "Operation": "UpdateInboxRules", "RecordType": 2, "Workload": "Exchange",
        "UserId": u, "MailboxOwnerUPN": u, "OperationProperties": [{"Name": "RuleActions", "Value": "Forward"}, {"Name": "RuleName", "Value": "."}]});
    audit_fires(
        "mailbox.outlook_rule_change",
        &[outlook.clone(), lowercase_keys(&outlook)],
        &[],
    );
}

#[test]
fn mail_items_accessed_burst() {
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    let mut fired_at = None;
    for i in 0..6 {
        let rec = json!({"CreationTime": format!("2025-03-01T10:0{i}:00"), "Id": format!("mia-{i}"), "Operation": "MailItemsAccessed",
            "RecordType": 50, "Workload": "Exchange", "UserId": "a@c.com", "MailboxOwnerUPN": "a@c.com", "OperationCount": 100,
            "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}]});
        if d.observe(&parse_value(&rec).expect("parse"))
            .iter()
            .any(|h| h.id == "mailbox.mass_access")
        {
            fired_at.get_or_insert(i);
        }
    }
    assert_eq!(fired_at, Some(4));
}

#[test]
fn provider_alerts_and_intune() {
    let alert = json!({"id": "a1", "title": "Anonymous IP address", "severity": "medium", "status": "new", "category": "InitialAccess",
        "createdDateTime": T, "evidence": [{"@odata.type": "#microsoft.graph.security.userEvidence", "userAccount": {"userPrincipalName": "a@c.com"}}]});
    audit_fires("alert.provider", std::slice::from_ref(&alert), &[]);
    let mut resolved = alert;
    resolved["status"] = json!("resolved");
    audit_silent("alert.provider", &resolved);
    let script = json!({"time": T, "category": "AuditLogs", "operationName": "createDeviceManagementScript DeviceManagementScript", "resultType": "Success",
        "properties": {"Actor": {"UPN": "admin@c.com"}, "ActivityType": 0, "ActivityResultStatus": 1, "Targets": []}});
    audit_fires("device.intune_script", &[script], &[]);
}

#[test]
fn unknown_and_malformed_records_are_errors_not_panics() {
    assert!(parse_value(&json!([1, 2])).is_err());
    assert!(parse_value(&json!({"hello": "world"})).is_err());
    assert!(parse_value(&json!({"Operation": 5, "RecordType": {"x": 1}})).is_ok());
    assert!(parse_value(&json!({"properties": {"a": 1}, "category": ["x"]})).is_err());
}

/// With real GeoIP data (`WARD_GEOIP_DIR`, else `.ward/geoip` from `./scripts/fetch-geoip`),
/// records that carry only an address get a country and coordinates: impossible travel and
/// hosting networks work from IPs alone.
#[test]
fn geoip_drives_travel_and_network_signals() {
    let dir = std::env::var("WARD_GEOIP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ward/geoip")
        });
    let geo = ward_identity::GeoConfig::from_dir(&dir);
    if geo.country_mmdb.is_none() || geo.asn_csv.is_empty() {
        eprintln!(
            "SKIP geoip test: no GeoIP data in {} (run ./scripts/fetch-geoip)",
            dir.display()
        );
        return;
    }
    let mut d = Detector::new(DetectorConfig {
        geoip: Some(geo),
        ..DetectorConfig::default()
    })
    .expect("detector");
    let signin = |t: &str, ip: &str| {
        parse_value(&json!({"createdDateTime": t, "userPrincipalName": "a@contoso.com", "ipAddress": ip, "status": {"errorCode": 0}}))
            .expect("parse")
    };
    let first = signin("2025-03-01T10:00:00Z", "8.8.8.8");
    assert!(!fired(&d.observe(&first), "signin.impossible_travel"));
    // 81.2.69.160 is in GB: ~7,000 km in 30 minutes.
    let hits = d.observe(&signin("2025-03-01T10:30:00Z", "81.2.69.160"));
    assert!(fired(&hits, "signin.impossible_travel"), "{hits:?}");
    // 8.8.8.8 belongs to Google's AS15169, a cloud network.
    let mut e = signin("2025-03-01T12:00:00Z", "8.8.8.8");
    d.enrich(&mut e);
    assert_eq!(e.country.as_deref(), Some("US"));
    assert_eq!(e.asn, Some(15169));
    assert!(fired(&d.observe_enriched(&e), "signin.hosting_network"));
}

/// Rows shaped like real Log Analytics exports: the column lists of the corpus's
/// `schema_*.header.csv` files, every column present, most empty.
#[test]
fn log_analytics_exports_with_real_headers() {
    let corpus = std::env::var("WARD_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from("/work/shared/corpus"));
    let signin_header = corpus.join("audit/schema_sign-in_adelete.header.csv");
    let office_header = corpus.join("audit/schema_office_activity.header.csv");
    let (Ok(sh), Ok(oh)) = (
        std::fs::read_to_string(&signin_header),
        std::fs::read_to_string(&office_header),
    ) else {
        eprintln!("SKIP log analytics header test: corpus not found (set WARD_CORPUS)");
        return;
    };
    let row = |header: &str, values: &[(&str, &str)]| -> String {
        let cols: Vec<&str> = header
            .trim()
            .trim_start_matches('\u{feff}')
            .split(',')
            .collect();
        let cells: Vec<String> = cols
            .iter()
            .map(|c| {
                let v = values
                    .iter()
                    .find(|(k, _)| k == c)
                    .map(|(_, v)| *v)
                    .unwrap_or("");
                format!("\"{}\"", v.replace('"', "\"\""))
            })
            .collect();
        format!("{}\n{}\n", header.trim(), cells.join(","))
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let signins = dir.path().join("SigninLogs.csv");
    std::fs::write(
        &signins,
        row(
            &sh,
            &[
                ("CreatedDateTime [UTC]", "3/1/2025, 10:00:00.000 AM"),
                ("Category", "SignInLogs"),
                ("OperationName", "Sign-in activity"),
                ("UserPrincipalName", "a@contoso.com"),
                ("IPAddress", "198.51.100.7"),
                ("ResultType", "0"),
                ("ClientAppUsed", "IMAP4"),
                ("Location", "DE"),
                (
                    "LocationDetails_dynamic",
                    "{\"countryOrRegion\":\"DE\",\"city\":\"Berlin\"}",
                ),
                ("RiskLevelDuringSignIn", "high"),
                ("RiskState", "atRisk"),
                ("InitiatedBy", "{}"),
            ],
        ),
    )
    .expect("write");
    let office = dir.path().join("OfficeActivity.csv");
    std::fs::write(
        &office,
        row(&oh, &[
            ("TimeGenerated [UTC]", "3/1/2025, 10:00:00.000 AM"),
            ("Operation", "Set-Mailbox"),
            ("OfficeWorkload", "Exchange"),
            ("RecordType", "ExchangeAdmin"),
            ("UserId", "cfo@contoso.com"),
            ("ClientIP", "1.2.3.4:443"),
            ("ResultStatus", "True"),
            ("Parameters", "[{\"Name\":\"Identity\",\"Value\":\"cfo@contoso.com\"},{\"Name\":\"ForwardingSmtpAddress\",\"Value\":\"smtp:x@evil.example\"}]"),
        ]),
    )
    .expect("write");
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    let e = ward_identity::reader::read_file(&signins)
        .expect("open")
        .next()
        .expect("row")
        .1
        .expect("event");
    assert_eq!(e.source, ward_identity::Source::LogAnalytics);
    assert_eq!(e.kind, ward_identity::Kind::SignIn);
    assert_eq!(e.country.as_deref(), Some("DE"));
    let hits = d.observe(&e);
    assert!(
        fired(&hits, "signin.legacy_protocol") && fired(&hits, "signin.entra_risk"),
        "{hits:?}"
    );
    let e = ward_identity::reader::read_file(&office)
        .expect("open")
        .next()
        .expect("row")
        .1
        .expect("event");
    assert_eq!(e.ip, "1.2.3.4".parse().ok());
    assert!(fired(&d.observe(&e), "mailbox.forwarding_external"));
}

#[test]
fn habitual_legacy_clients_quiet_down_new_places_do_not() {
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    let imap = |t: &'static str, country: &'static str| S {
        client: "IMAP4",
        country,
        ..s(t, "a@contoso.com", "198.51.100.7")
    };
    let mut scores = Vec::new();
    for t in [
        "2025-03-01T08:00:00Z",
        "2025-03-02T08:00:00Z",
        "2025-03-03T08:00:00Z",
        "2025-03-04T08:00:00Z",
    ] {
        let hits = d.observe(&parse_value(&graph(&imap(t, "US"))).expect("parse"));
        scores.push(
            hits.iter()
                .find(|h| h.id == "signin.legacy_protocol")
                .map(|h| h.score),
        );
    }
    assert_eq!(scores, vec![Some(60), Some(60), Some(60), Some(20)]);
    let hits = d.observe(&parse_value(&graph(&imap("2025-03-06T08:00:00Z", "BR"))).expect("parse"));
    assert!(
        hits.iter()
            .any(|h| h.id == "signin.legacy_protocol" && h.score == 60),
        "{hits:?}"
    );
}

#[test]
fn country_centres_do_not_make_neighbours_impossible() {
    // US → CA in two hours: centroids are ~1,900 km apart, but the countries touch.
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    let at = |t: &'static str, c: &'static str| {
        let mut v = graph(&s(t, "a@contoso.com", "1.1.1.1"));
        v["location"] = json!({"countryOrRegion": c});
        parse_value(&v).expect("parse")
    };
    d.observe(&at("2025-03-01T08:00:00Z", "US"));
    assert!(!fired(
        &d.observe(&at("2025-03-01T10:00:00Z", "CA")),
        "signin.impossible_travel"
    ));
    assert!(fired(
        &d.observe(&at("2025-03-01T11:00:00Z", "AU")),
        "signin.impossible_travel"
    ));
}

/// The third-party shapes of the Panther corpus (Entra diagnostics with lower-cased envelopes,
/// lower-cased Management Activity records, Intune, Defender, Graph alerts) reach these signals.
#[test]
fn corpus_shapes_reach_their_signals() {
    let corpus = std::env::var("WARD_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from("/work/shared/corpus"));
    let file = corpus.join("audit/panther_m365_entra.jsonl");
    if !file.is_file() {
        eprintln!(
            "SKIP corpus shapes test: {} not found (set WARD_CORPUS)",
            file.display()
        );
        return;
    }
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    let mut seen = std::collections::BTreeSet::new();
    let mut parsed = 0;
    for (_, item) in ward_identity::reader::read_file(&file).expect("open") {
        let e = item.expect("every corpus record is a known shape");
        parsed += 1;
        seen.extend(d.observe(&e).into_iter().map(|h| h.id));
    }
    assert_eq!(parsed, 79);
    for id in [
        "identity.external_idp_trusted",
        "signin.device_code",
        "identity.federation_change",
        "identity.elevate_access",
        "signin.account_locked",
        "signin.scripted_client",
        "signin.entra_risk",
        "signin.anonymizer",
        "identity.guest_invited",
        "signin.legacy_protocol",
        "signin.ropc",
        "identity.ca_policy_weakened",
        "identity.ca_policy_deleted",
        "identity.policy_deleted",
        "identity.privileged_role_added",
        "app.credentials_added",
        "signin.oauth_first_party_client",
        "device.intune_app",
        "device.intune_script",
        "alert.provider",
        "files.shared_external",
        "identity.mfa_method_removed",
        "identity.mfa_method_added",
        "mailbox.forwarding_external",
        "mailbox.rule_forwards_external",
        "mailbox.rule_deletes",
        "signin.high_risk_country",
    ] {
        assert!(
            seen.contains(id),
            "{id} never fired on the corpus; fired: {seen:?}"
        );
    }
}

#[test]
fn transport_rules_sync_access_devices_and_networks() {
    let rule = exo(
        "New-TransportRule",
        "admin@contoso.com",
        p(&[("Name", "x"), ("BlindCopyTo", "drop@evil.example")]),
    );
    audit_fires(
        "mailbox.transport_rule_external",
        &[rule.clone(), lowercase_keys(&rule)],
        &[office_activity_row(&rule)],
    );
    audit_silent(
        "mailbox.transport_rule_external",
        &exo(
            "New-TransportRule",
            "admin@contoso.com",
            p(&[("Name", "x"), ("BlindCopyTo", "audit@contoso.com")]),
        ),
    );
    let sync = json!({"CreationTime": "2025-03-01T10:00:00", "Id": "s1", "Operation": "MailItemsAccessed", "RecordType": 50, "Workload": "Exchange",
        "UserId": "a@c.com", "MailboxOwnerUPN": "a@c.com", "OperationProperties": [{"Name": "MailAccessType", "Value": "Sync"}]});
    audit_fires("mailbox.sync_access", &[sync], &[]);
    let mut d = Detector::new(DetectorConfig::default()).expect("detector");
    let with = |t: &str, device: &str, asn: u32| {
        let mut v = graph(&s("2025-03-01T08:00:00Z", "a@contoso.com", "1.1.1.1"));
        v["createdDateTime"] = json!(t);
        v["id"] = json!(t);
        v["deviceDetail"] = json!({"deviceId": device});
        v["autonomousSystemNumber"] = json!(asn);
        parse_value(&v).expect("parse")
    };
    for t in [
        "2025-03-01T08:00:00Z",
        "2025-03-02T08:00:00Z",
        "2025-03-03T08:00:00Z",
    ] {
        d.observe(&with(t, "laptop", 3320));
    }
    let hits = d.observe(&with("2025-03-04T08:00:00Z", "unknown-pc", 12345));
    assert!(
        fired(&hits, "signin.new_device") && fired(&hits, "signin.new_network"),
        "{hits:?}"
    );
    assert!(
        !ward_identity::is_alert(&hits),
        "new device and network alone are not an alert"
    );
}
