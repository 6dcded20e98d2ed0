//! Live mode: the seed's timeline played against the tenant, each action with the side effects
//! a real tenant would produce.

use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use ward_scenario::{TimedAction, TimedEvent};

use crate::server::Sim;
use crate::state::Tenant;
use crate::state::audit::{Actor, DirChange};
use crate::state::mailops::{NewMessage, network_message_id};
use crate::util::{graph_time, new_guid};

/// Play `events` (sorted by offset) from `start`, scaled by the configured speed.
pub async fn play(
    sim: Weak<Sim>,
    mut events: Vec<TimedEvent>,
    start: tokio::time::Instant,
    speed: f64,
) {
    events.sort_by_key(|e| e.offset_ms);
    let speed = if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        1.0
    };
    for ev in events {
        let at = start + Duration::from_secs_f64(ev.offset_ms as f64 / 1000.0 / speed);
        tokio::time::sleep_until(at).await;
        let Some(sim) = sim.upgrade() else { return };
        apply(&sim, &ev.action, ev.scenario.as_deref());
    }
}

/// Move the timestamps inside an action's JSON payload by the seed's rebase shift.
pub fn shift_action(action: &mut TimedAction, delta: chrono::TimeDelta) {
    if delta.is_zero() {
        return;
    }
    let shift = |v: &mut Value| crate::util::shift_timestamps(v, delta);
    match action {
        TimedAction::SignIn { sign_in } => shift(sign_in),
        TimedAction::DirectoryAudit { audit } => shift(audit),
        TimedAction::UnifiedAudit { record } => shift(record),
        TimedAction::CreateInboxRule { rule, .. } => shift(rule),
        TimedAction::AddAuthMethod { method, .. } => shift(method),
        TimedAction::ConsentApp {
            service_principal, ..
        } => shift(service_principal),
        TimedAction::DeliverMessage { .. }
        | TimedAction::SendMessage { .. }
        | TimedAction::SetHiddenForwarding { .. } => {}
    }
}

/// Apply one action now.
pub fn apply(sim: &Arc<Sim>, action: &TimedAction, scenario: Option<&str>) {
    let now = Utc::now();
    sim.mutate(|t| apply_to(t, action, scenario));
    sim.stats.with(|s| {
        s.timeline_events_applied += 1;
        if let Some(sc) = scenario {
            s.scenario_started_at.entry(sc.to_string()).or_insert(now);
        }
    });
}

fn user_actor(t: &Tenant, user_id: &str) -> Actor {
    let uid = t.user_id(user_id).unwrap_or_else(|| user_id.to_string());
    // The IP of the user's latest sign-in: where "they" act from.
    let ip = t
        .sign_ins
        .iter()
        .rev()
        .find(|s| s["userId"].as_str() == Some(uid.as_str()))
        .and_then(|s| s["ipAddress"].as_str())
        .map(str::to_string);
    Actor::User {
        upn: t.upn_of(&uid),
        id: uid,
        ip,
    }
}

fn deliver(
    t: &mut Tenant,
    recipients: &[String],
    folder: &str,
    mime: &[u8],
    scenario: Option<&str>,
    analyzed: bool,
) -> Vec<(String, String)> {
    let mail = Arc::new(crate::mime::parse(mime));
    let mime = Arc::new(mime.to_vec());
    let nmid = network_message_id();
    let mut out = Vec::new();
    for r in recipients {
        let Some(uid) = t.user_id(r) else { continue };
        if let Some(ids) = t.add_message(
            &uid,
            NewMessage {
                folder_key: folder.to_string(),
                mime: mime.clone(),
                mail: mail.clone(),
                received: Utc::now(),
                is_read: false,
                scenario: scenario.map(str::to_string),
                network_message_id: nmid.clone(),
                analyzed,
                sent_shift: chrono::TimeDelta::zero(),
            },
        ) {
            t.apply_inbox_rules(&uid, &ids.1);
            out.push(ids);
        }
    }
    out
}

/// Deliver a message now (also used by `SimHandle::inject_message`). Returns (REST id, immutable id) per copy.
pub fn deliver_now(
    sim: &Arc<Sim>,
    recipients: &[String],
    folder: &str,
    mime: &[u8],
    scenario: Option<&str>,
) -> Vec<(String, String)> {
    sim.mutate(|t| deliver(t, recipients, folder, mime, scenario, true))
}

fn apply_to(t: &mut Tenant, action: &TimedAction, scenario: Option<&str>) {
    let now = Utc::now();
    match action {
        TimedAction::DeliverMessage {
            recipients,
            folder,
            mime,
        } => {
            deliver(t, recipients, folder, mime, scenario, true);
        }
        TimedAction::SendMessage {
            user_id,
            recipients,
            mime,
        } => {
            if let Some(uid) = t.user_id(user_id) {
                deliver(t, &[uid], "sentitems", mime, scenario, false);
            }
            deliver(t, recipients, "inbox", mime, scenario, true);
        }
        TimedAction::SignIn { sign_in } => {
            let mut s = sign_in.clone();
            s["id"] = json!(new_guid());
            s["createdDateTime"] = json!(graph_time(now));
            if s["correlationId"].as_str().is_none() {
                s["correlationId"] = json!(new_guid());
            }
            if let Some(idx) = s["userId"].as_str().and_then(|u| t.user_index(u)) {
                let ok = s["status"]["errorCode"].as_i64().unwrap_or(0) == 0;
                let u = &mut t.users[idx];
                if !u["signInActivity"].is_object() {
                    u["signInActivity"] = json!({});
                }
                u["signInActivity"]["lastSignInDateTime"] = json!(graph_time(now));
                u["signInActivity"]["lastSignInRequestId"] = s["id"].clone();
                if ok {
                    u["signInActivity"]["lastSuccessfulSignInDateTime"] = json!(graph_time(now));
                    u["signInActivity"]["lastSuccessfulSignInRequestId"] = s["id"].clone();
                }
            }
            t.audit_sign_in(&s, now);
            t.sign_ins.push(s);
        }
        TimedAction::DirectoryAudit { audit } => {
            let mut a = audit.clone();
            if a["id"].as_str().is_none_or(str::is_empty) {
                a["id"] = json!(format!("Directory_{}", new_guid()));
            }
            a["activityDateTime"] = json!(graph_time(now));
            let unified = unified_from_directory_audit(&t.tenant_id, &a, now);
            t.directory_audits.push(a);
            t.push_unified(unified, now);
        }
        TimedAction::UnifiedAudit { record } => {
            let mut r = record.clone();
            r["CreationTime"] = json!(crate::util::mgmt_time(now));
            if r["Id"].as_str().is_none_or(str::is_empty) {
                r["Id"] = json!(new_guid());
            }
            if r["OrganizationId"].is_null() {
                r["OrganizationId"] = json!(t.tenant_id);
            }
            t.push_unified(r, now);
        }
        TimedAction::CreateInboxRule { user_id, rule } => {
            let actor = user_actor(t, user_id);
            if let Some(uid) = t.user_id(user_id) {
                t.create_rule(&uid, rule.clone(), &actor);
            }
        }
        TimedAction::AddAuthMethod { user_id, method } => {
            let Some(uid) = t.user_id(user_id) else {
                return;
            };
            let actor = user_actor(t, &uid);
            let mut m = method.clone();
            if m["id"].as_str().is_none_or(str::is_empty) {
                m["id"] = json!(new_guid());
            }
            if m["createdDateTime"].is_null()
                && !m["@odata.type"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("phone")
            {
                m["createdDateTime"] = json!(graph_time(now));
            }
            let id = m["id"].as_str().unwrap_or_default().to_string();
            let ty = m["@odata.type"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("#microsoft.graph.")
                .to_string();
            t.auth_methods.entry(uid.clone()).or_default().push(m);
            if !ty.contains("password") {
                t.default_method.entry(uid.clone()).or_insert(id);
            }
            let name = registered_name(&ty);
            for r in t
                .registration_details
                .iter_mut()
                .filter(|r| r["id"].as_str() == Some(uid.as_str()))
            {
                if let Some(list) = r["methodsRegistered"].as_array_mut()
                    && !list.iter().any(|x| x.as_str() == Some(name))
                {
                    list.push(json!(name));
                }
                r["isMfaRegistered"] = json!(true);
                r["lastUpdatedDateTime"] = json!(graph_time(now));
            }
            let upn = t.upn_of(&uid);
            t.audit_directory(
                &actor,
                DirChange {
                    activity: "User registered security info",
                    category: "UserManagement",
                    service: "Authentication Methods",
                    operation_type: "Add",
                    target_id: &uid,
                    target_upn: Some(&upn),
                    target_type: "User",
                    target_name: None,
                    modified: vec![(
                        "StrongAuthenticationMethod",
                        "[]".into(),
                        format!("[\"{ty}\"]"),
                    )],
                },
                now,
            );
        }
        TimedAction::ConsentApp {
            user_id,
            service_principal,
            scopes,
        } => {
            let Some(uid) = t.user_id(user_id) else {
                return;
            };
            let actor = user_actor(t, &uid);
            let app_id = service_principal["appId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let existing = t
                .service_principals
                .iter()
                .find(|s| s["appId"].as_str() == Some(app_id.as_str()))
                .cloned();
            let sp = match existing {
                Some(sp) => sp,
                None => {
                    let mut sp = service_principal.clone();
                    if sp["id"].as_str().is_none_or(str::is_empty) {
                        sp["id"] = json!(new_guid());
                    }
                    t.service_principals.push(sp.clone());
                    let (id, name) = (
                        sp["id"].as_str().unwrap_or_default().to_string(),
                        sp["displayName"].as_str().map(str::to_string),
                    );
                    t.audit_directory(
                        &actor,
                        DirChange {
                            activity: "Add service principal",
                            category: "ApplicationManagement",
                            service: "Core Directory",
                            operation_type: "Add",
                            target_id: &id,
                            target_upn: None,
                            target_type: "ServicePrincipal",
                            target_name: name.as_deref(),
                            modified: vec![("AppAddress", "[]".into(), "[]".into())],
                        },
                        now,
                    );
                    sp
                }
            };
            let sp_id = sp["id"].as_str().unwrap_or_default().to_string();
            let name = sp["displayName"].as_str().map(str::to_string);
            let scope_str = scopes.join(" ");
            t.audit_directory(
                &actor,
                DirChange {
                    activity: "Consent to application",
                    category: "ApplicationManagement",
                    service: "Core Directory",
                    operation_type: "Assign",
                    target_id: &sp_id,
                    target_upn: None,
                    target_type: "ServicePrincipal",
                    target_name: name.as_deref(),
                    modified: vec![
                        ("ConsentContext.IsAdminConsent", "".into(), "\"False\"".into()),
                        ("ConsentContext.OnBehalfOfAll", "".into(), "\"False\"".into()),
                        ("ConsentAction.Permissions", "".into(), format!("\"[] => [[Id: {sp_id}, ClientId: {sp_id}, PrincipalId: {uid}, ResourceId: graph, ConsentType: Principal, Scope: {scope_str}]]; \"")),
                    ],
                },
                now,
            );
            t.audit_directory(
                &actor,
                DirChange {
                    activity: "Add delegated permission grant",
                    category: "ApplicationManagement",
                    service: "Core Directory",
                    operation_type: "Assign",
                    target_id: &sp_id,
                    target_upn: None,
                    target_type: "ServicePrincipal",
                    target_name: name.as_deref(),
                    modified: vec![(
                        "DelegatedPermissionGrant.Scope",
                        "\"\"".into(),
                        format!("\"{scope_str}\""),
                    )],
                },
                now,
            );
        }
        TimedAction::SetHiddenForwarding { user_id, address } => {
            let Some(uid) = t.user_id(user_id) else {
                return;
            };
            let actor = user_actor(t, &uid);
            let upn = t.upn_of(&uid);
            if let Some(mb) = t.mailboxes.get_mut(&uid) {
                mb.hidden_forwarding = Some(address.clone());
            }
            t.audit_exchange_cmdlet(
                &actor,
                "Set-Mailbox",
                &upn,
                vec![
                    ("Identity".into(), upn.clone()),
                    ("ForwardingSmtpAddress".into(), format!("smtp:{address}")),
                    ("DeliverToMailboxAndForward".into(), "True".into()),
                ],
                now,
            );
        }
    }
}

fn registered_name(ty: &str) -> &'static str {
    match ty {
        "phoneAuthenticationMethod" => "mobilePhone",
        "emailAuthenticationMethod" => "email",
        "fido2AuthenticationMethod" => "fido2",
        "microsoftAuthenticatorAuthenticationMethod" => "microsoftAuthenticatorPush",
        "softwareOathAuthenticationMethod" => "softwareOneTimePasscode",
        "windowsHelloForBusinessAuthenticationMethod" => "windowsHelloForBusiness",
        "temporaryAccessPassAuthenticationMethod" => "temporaryAccessPass",
        _ => "unknown",
    }
}

/// The Management API twin of a directoryAudit row.
fn unified_from_directory_audit(tenant_id: &str, a: &Value, now: chrono::DateTime<Utc>) -> Value {
    let actor = if a["initiatedBy"]["user"].is_object() {
        a["initiatedBy"]["user"]["userPrincipalName"].clone()
    } else {
        a["initiatedBy"]["app"]["displayName"].clone()
    };
    let target = &a["targetResources"][0];
    let modified: Vec<Value> = target["modifiedProperties"]
        .as_array()
        .map(|m| m.iter().map(|p| json!({"Name": p["displayName"], "OldValue": p["oldValue"], "NewValue": p["newValue"]})).collect())
        .unwrap_or_default();
    json!({
        "Id": new_guid(),
        "RecordType": 8,
        "CreationTime": crate::util::mgmt_time(now),
        "Operation": format!("{}.", a["activityDisplayName"].as_str().unwrap_or_default()),
        "OrganizationId": tenant_id,
        "UserType": if a["initiatedBy"]["user"].is_object() { 0 } else { 5 },
        "UserKey": actor,
        "Workload": "AzureActiveDirectory",
        "ResultStatus": if a["result"].as_str() == Some("failure") { "Failure" } else { "Success" },
        "ObjectId": target["userPrincipalName"].as_str().or(target["id"].as_str()),
        "UserId": actor,
        "ClientIP": a["initiatedBy"]["user"]["ipAddress"],
        "AzureActiveDirectoryEventType": 1,
        "ModifiedProperties": modified,
        // A user's UPN (type 5), or an application's name (1) and its app id (2).
        "Actor": if a["initiatedBy"]["user"].is_object() {
            json!([{"ID": actor, "Type": 5}])
        } else {
            json!([{"ID": actor, "Type": 1}, {"ID": a["initiatedBy"]["app"]["appId"], "Type": 2}])
        },
        "ActorContextId": tenant_id,
        "InterSystemsId": a["correlationId"],
        "IntraSystemId": a["id"],
        "Target": [{"ID": target["id"], "Type": 2}],
        "TargetContextId": tenant_id,
    })
}
