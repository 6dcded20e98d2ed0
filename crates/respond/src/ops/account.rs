//! Account actions: inbox rules, MFA methods, sessions, password.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use ward_graph::GraphError;
use ward_graph::models::authmethods::{AuthMethodKind, AuthenticationMethod};
use ward_graph::models::rules::MessageRule;

use super::Applied;
use crate::engine::Responder;
use crate::password;

/// The rule as Graph returns it (its full definition), or null when it does not exist.
pub(crate) async fn rule_before(
    r: &Responder,
    user: &str,
    rule_id: &str,
) -> Result<Value, GraphError> {
    match r.client.get_inbox_rule(user, rule_id).await {
        Ok(rule) => Ok(json!({"rule": rule_json(&rule)})),
        Err(e) if e.is_not_found() => Ok(json!({"rule": null})),
        Err(e) => Err(e),
    }
}

fn rule_json(rule: &MessageRule) -> Value {
    rule.raw
        .clone()
        .unwrap_or_else(|| serde_json::to_value(rule).unwrap_or(Value::Null))
}

pub(crate) async fn disable_rule(
    r: &Responder,
    user: &str,
    rule_id: &str,
) -> Result<Applied, GraphError> {
    let rule = match r.client.get_inbox_rule(user, rule_id).await {
        Ok(rule) => rule,
        Err(e) if e.is_not_found() => {
            return Ok(Applied::new(
                "gone",
                "the rule no longer exists".into(),
                json!({}),
                Value::Null,
            ));
        }
        Err(e) => return Err(e),
    };
    let undo = json!({"op": "enable_rule", "user_id": user, "rule_id": rule_id});
    if rule.is_enabled == Some(false) {
        return Ok(Applied::new(
            "already",
            "the rule was already disabled".into(),
            json!({}),
            undo,
        ));
    }
    r.client
        .update_inbox_rule(user, rule_id, &json!({"isEnabled": false}))
        .await?;
    Ok(Applied::new(
        "done",
        "rule disabled".into(),
        json!({}),
        undo,
    ))
}

pub(crate) async fn delete_rule(
    r: &Responder,
    user: &str,
    rule_id: &str,
    before: &Value,
) -> Result<Applied, GraphError> {
    let definition = before["rule"].clone();
    let undo = if definition.is_null() {
        Value::Null
    } else {
        json!({"op": "recreate_rule", "user_id": user, "rule": definition})
    };
    match r.client.delete_inbox_rule(user, rule_id).await {
        Ok(()) => Ok(Applied::new(
            "done",
            "rule deleted; its definition is in the journal".into(),
            json!({}),
            undo,
        )),
        Err(e) if e.is_not_found() => {
            // Deleted by an earlier, interrupted run (then the before-state has it) or by someone else.
            let outcome = if definition.is_null() {
                "gone"
            } else {
                "already"
            };
            Ok(Applied::new(
                outcome,
                "the rule no longer exists".into(),
                json!({}),
                undo,
            ))
        }
        Err(e) => Err(e),
    }
}

/// Undo of disable/delete: enable it again, or recreate it from its journaled definition.
pub(crate) async fn restore_rule(r: &Responder, undo: &Value) -> Result<Applied, GraphError> {
    let user = undo["user_id"].as_str().unwrap_or_default();
    if undo["op"] == "enable_rule" {
        let id = undo["rule_id"].as_str().unwrap_or_default();
        r.client
            .update_inbox_rule(user, id, &json!({"isEnabled": true}))
            .await?;
        return Ok(Applied::new(
            "done",
            "rule enabled again".into(),
            json!({}),
            Value::Null,
        ));
    }
    let def = &undo["rule"];
    let name = def["displayName"].as_str().unwrap_or_default();
    // Already recreated by an interrupted earlier run? Same definition under a new id.
    let existing = r.client.list_inbox_rules(user).await?;
    if let Some(same) = existing
        .iter()
        .find(|x| same_definition(&rule_json(x), def))
    {
        return Ok(Applied::new(
            "already",
            format!("rule '{name}' already exists with the same definition"),
            json!({"rule_id": same.id}),
            Value::Null,
        ));
    }
    let rule = MessageRule::from_value(def.clone()).map_err(|e| {
        GraphError::Config(format!(
            "the journaled rule definition cannot be read back: {e}"
        ))
    })?;
    let created = r.client.create_inbox_rule(user, &rule).await?;
    Ok(Applied::new(
        "done",
        format!(
            "rule '{name}' recreated with its original definition (new id {})",
            created.id
        ),
        json!({"rule_id": created.id}),
        Value::Null,
    ))
}

/// Whether two rules say the same thing (ids, read-only flags and errors aside).
pub fn same_definition(a: &Value, b: &Value) -> bool {
    [
        "displayName",
        "sequence",
        "isEnabled",
        "conditions",
        "actions",
        "exceptions",
    ]
    .iter()
    .all(|k| norm(&a[k]) == norm(&b[k]))
}

/// Empty objects/arrays and nulls are the same absence; `@odata` annotations are ignored.
fn norm(v: &Value) -> Value {
    let out = match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| !k.starts_with('@'))
                .map(|(k, v)| (k.clone(), norm(v)))
                .filter(|(_, v)| !v.is_null())
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(norm).collect()),
        other => other.clone(),
    };
    match &out {
        Value::Object(o) if o.is_empty() => Value::Null,
        Value::Array(a) if a.is_empty() => Value::Null,
        _ => out,
    }
}

pub(crate) async fn methods_before(r: &Responder, user: &str) -> Result<Value, GraphError> {
    let methods = r.client.list_auth_methods(user).await?;
    Ok(json!({"methods": methods.iter().map(|m| m.raw.clone()).collect::<Vec<_>>()}))
}

pub(crate) async fn remove_method(
    r: &Responder,
    user: &str,
    method_id: &str,
    method_type: &str,
    before: &Value,
) -> Result<Applied, GraphError> {
    let raw = before["methods"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["id"].as_str() == Some(method_id)))
        .cloned();
    let undo = raw.as_ref().and_then(re_add_step).map_or(Value::Null, |(coll, body)| {
        json!({"op": "add_method", "user_id": user, "collection": coll, "body": body})
    });
    let kind = AuthMethodKind::from_odata_type(method_type);
    match r
        .client
        .delete_auth_method_by_kind(user, &kind, method_id)
        .await
    {
        Ok(()) => {
            let note = if undo.is_null() {
                "method removed (the user must register it again to get it back)"
            } else {
                "method removed"
            };
            Ok(Applied::new(
                "done",
                note.into(),
                json!({"method": redact_method(raw.as_ref())}),
                undo,
            ))
        }
        Err(e) if e.is_not_found() => {
            let outcome = if raw.is_some() { "already" } else { "gone" };
            Ok(Applied::new(
                outcome,
                "the method is no longer registered".into(),
                json!({}),
                undo,
            ))
        }
        Err(e) => Err(e),
    }
}

/// How an administrator can register this method again: phone and email only (Microsoft lets
/// no one but the user register an authenticator app, a FIDO2 key or Windows Hello).
fn re_add_step(raw: &Value) -> Option<(&'static str, Value)> {
    let t = raw["@odata.type"].as_str().unwrap_or_default();
    if t.ends_with("phoneAuthenticationMethod") {
        Some((
            "phoneMethods",
            json!({"phoneNumber": raw["phoneNumber"], "phoneType": raw["phoneType"]}),
        ))
    } else if t.ends_with("emailAuthenticationMethod") {
        Some(("emailMethods", json!({"emailAddress": raw["emailAddress"]})))
    } else {
        None
    }
}

/// What the journal's result keeps of a removed method: its type and name, not its number.
fn redact_method(raw: Option<&Value>) -> Value {
    raw.map_or(
        Value::Null,
        |m| json!({"type": m["@odata.type"], "displayName": m["displayName"], "id": m["id"]}),
    )
}

pub(crate) async fn restore_method(r: &Responder, undo: &Value) -> Result<Applied, GraphError> {
    let user = undo["user_id"].as_str().unwrap_or_default();
    let coll = undo["collection"].as_str().unwrap_or_default();
    let body = &undo["body"];
    let existing = r.client.list_auth_methods(user).await?;
    let present = existing.iter().any(|m: &AuthenticationMethod| {
        (coll == "phoneMethods"
            && m.phone_number.is_some()
            && m.raw["phoneNumber"] == body["phoneNumber"])
            || (coll == "emailMethods" && m.raw["emailAddress"] == body["emailAddress"])
    });
    if present {
        return Ok(Applied::new(
            "already",
            "the method is registered".into(),
            json!({}),
            Value::Null,
        ));
    }
    let m = r.client.add_auth_method(user, coll, body).await?;
    Ok(Applied::new(
        "done",
        "method registered again".into(),
        json!({"method_id": m.id}),
        Value::Null,
    ))
}

pub(crate) async fn user_before(r: &Responder, user: &str) -> Result<Value, GraphError> {
    let u = r
        .client
        .get_user(
            user,
            Some("id,userPrincipalName,lastPasswordChangeDateTime,signInSessionsValidFromDateTime"),
        )
        .await?;
    Ok(json!({
        "userPrincipalName": u.user_principal_name,
        "lastPasswordChangeDateTime": u.last_password_change_date_time,
        "signInSessionsValidFromDateTime": u.sign_in_sessions_valid_from_date_time,
    }))
}

/// Revokes sessions, then reads `signInSessionsValidFromDateTime` back as the proof (the
/// boolean Graph answers is always true). A resumed run whose revocation already landed (the
/// time moved past the intent) does not revoke again.
pub(crate) async fn revoke(
    r: &Responder,
    user: &str,
    since: Option<DateTime<Utc>>,
) -> Result<Applied, GraphError> {
    if let Some(t) = since {
        let now = r
            .client
            .get_user(user, Some("id,signInSessionsValidFromDateTime"))
            .await?;
        if now
            .sign_in_sessions_valid_from_date_time
            .is_some_and(|v| v >= t - chrono::Duration::seconds(1))
        {
            return Ok(Applied::new(
                "already",
                "sessions were revoked by the interrupted run".into(),
                json!({"sessions_valid_from": now.sign_in_sessions_valid_from_date_time}),
                Value::Null,
            ));
        }
    }
    r.client.revoke_sign_in_sessions(user).await?;
    let after = r
        .client
        .get_user(user, Some("id,signInSessionsValidFromDateTime"))
        .await?;
    Ok(Applied::new(
        "done",
        "refresh tokens and sessions revoked; the user signs in again everywhere".into(),
        json!({"sessions_valid_from": after.sign_in_sessions_valid_from_date_time}),
        Value::Null,
    ))
}

/// Sets a generated password with change-at-next-sign-in. The password is written to the
/// configured channel BEFORE Microsoft gets it, so a crash cannot leave a password nobody has;
/// it never reaches the journal or a log.
pub(crate) async fn reset_password(
    r: &Responder,
    action_id: &str,
    user: &str,
    before: &Value,
    since: Option<DateTime<Utc>>,
) -> Result<Applied, GraphError> {
    if let Some(t) = since {
        let now = r
            .client
            .get_user(user, Some("id,lastPasswordChangeDateTime"))
            .await?;
        if now
            .last_password_change_date_time
            .is_some_and(|v| v >= t - chrono::Duration::seconds(1))
        {
            return Ok(Applied::new(
                "already",
                "the password was reset by the interrupted run; it is in the channel".into(),
                json!({"password_changed_at": now.last_password_change_date_time}),
                Value::Null,
            ));
        }
    }
    let upn = before["userPrincipalName"].as_str().unwrap_or(user);
    let secret = password::generate();
    let delivered = password::deliver(&r.cfg.password_channel, upn, action_id, &secret)
        .map_err(|e| GraphError::Config(e.to_string()))?;
    if let Err(e) = r
        .client
        .force_password_change(user, Some(secret.expose()), r.cfg.reset_requires_mfa)
        .await
    {
        password::withdraw(&r.cfg.password_channel, upn, action_id);
        return Err(e);
    }
    let after = r
        .client
        .get_user(user, Some("id,lastPasswordChangeDateTime"))
        .await?;
    Ok(Applied::new(
        "done",
        format!(
            "password reset, change required at next sign-in; the new password is in {delivered}"
        ),
        json!({"password_changed_at": after.last_password_change_date_time, "delivered_to": delivered}),
        Value::Null,
    ))
}
