//! State-diff sensors: compare two snapshots Ward read itself through Graph (inbox rules,
//! authentication methods, applications / service principals) and report what an attacker would
//! have changed — minutes after the change, long before the audit stream (60–90 min lag) says so.

use std::collections::HashSet;

use serde_json::Value;

use crate::adapters::util::{get, get_str};
use crate::signals::SignalHit;
use crate::signals::mailbox::{RuleFacts, rule_signals};

fn id_of(v: &Value) -> Option<String> {
    get_str(v, &["id"])
}

fn addresses(v: Option<&Value>) -> Vec<String> {
    let Some(v) = v else { return Vec::new() };
    // `redirectTo` is documented as one recipient but is a collection in practice: accept both.
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![v],
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|r| get(r, &["emailAddress"]).and_then(|e| get_str(e, &["address"])))
        .collect()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// Facts of a Graph `messageRule`.
fn rule_facts(rule: &Value, folder_names: &dyn Fn(&str) -> String) -> RuleFacts {
    let actions = get(rule, &["actions"]);
    let cond = get(rule, &["conditions"]);
    let flag = |k: &str| {
        actions
            .and_then(|a| get(a, &[k]))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let mut forward_to = Vec::new();
    for k in ["forwardTo", "forwardAsAttachmentTo", "redirectTo"] {
        forward_to.extend(addresses(actions.and_then(|a| get(a, &[k]))));
    }
    let mut words = Vec::new();
    for k in [
        "subjectContains",
        "bodyContains",
        "bodyOrSubjectContains",
        "senderContains",
    ] {
        words.extend(strings(cond.and_then(|c| get(c, &[k]))));
    }
    RuleFacts {
        name: get_str(rule, &["displayName"]),
        forward_to,
        delete: flag("delete") || flag("permanentDelete"),
        mark_read: flag("markAsRead"),
        stop: flag("stopProcessingRules"),
        move_to: actions
            .and_then(|a| get_str(a, &["moveToFolder"]))
            .map(|f| folder_names(&f)),
        words,
    }
}

/// New or changed inbox rules between two `messageRule` lists. `own_domains` are the tenant's
/// accepted domains (the user's own domain is always added).
pub fn diff_inbox_rules(user: &str, before: &[Value], after: &[Value]) -> Vec<SignalHit> {
    diff_inbox_rules_with(user, before, after, &[], &|f| f.to_string())
}

/// [`diff_inbox_rules`] with the tenant's domains and a folder-id → display-name resolver (Graph
/// rules name folders by id).
pub fn diff_inbox_rules_with(
    user: &str,
    before: &[Value],
    after: &[Value],
    own_domains: &[String],
    folder_names: &dyn Fn(&str) -> String,
) -> Vec<SignalHit> {
    let mut own = own_domains.to_vec();
    own.extend(crate::signals::domain_of(user));
    let mut out = Vec::new();
    for rule in after.iter().take(10_000) {
        let id = id_of(rule);
        let old = before.iter().find(|b| id.is_some() && id_of(b) == id);
        if old == Some(rule) {
            continue;
        }
        let mut hits = Vec::new();
        let facts = rule_facts(rule, folder_names);
        rule_signals(user, &facts, &own, &mut hits);
        if let Some(old) = old {
            // Only what the change made worse.
            let mut old_hits = Vec::new();
            rule_signals(user, &rule_facts(old, folder_names), &own, &mut old_hits);
            hits.retain(|h| {
                !old_hits
                    .iter()
                    .any(|o| o.id == h.id && o.detail == h.detail)
            });
        } else {
            out.push(SignalHit::new(
                "state.inbox_rule_created",
                if hits.is_empty() { 10 } else { 20 },
                format!(
                    "new inbox rule '{}' on {user}",
                    facts.name.as_deref().unwrap_or("")
                ),
            ));
        }
        if get(rule, &["isEnabled"]).and_then(Value::as_bool) == Some(false) {
            hits.clear();
        }
        out.extend(hits);
    }
    out
}

/// The method kind from `@odata.type` (`#microsoft.graph.phoneAuthenticationMethod` → `phone`).
fn method_kind(m: &Value) -> String {
    let t = get_str(m, &["@odata.type"]).unwrap_or_default();
    t.trim_start_matches("#microsoft.graph.")
        .trim_end_matches("AuthenticationMethod")
        .to_string()
}

fn method_label(m: &Value) -> String {
    let kind = method_kind(m);
    let extra = get_str(m, &["phoneNumber", "displayName", "emailAddress", "model"])
        .map(|x| format!(" ({x})"))
        .unwrap_or_default();
    format!("{kind}{extra}")
}

/// Methods added and removed between two `authenticationMethod` lists.
pub fn diff_auth_methods(user: &str, before: &[Value], after: &[Value]) -> Vec<SignalHit> {
    let ids = |l: &[Value]| l.iter().filter_map(id_of).collect::<HashSet<_>>();
    let (b, a) = (ids(before), ids(after));
    let mut out = Vec::new();
    for m in after
        .iter()
        .take(1000)
        .filter(|m| id_of(m).is_some_and(|i| !b.contains(&i)))
    {
        let kind = method_kind(m);
        if kind == "password" {
            continue;
        }
        // A temporary access pass or a phone number added are what attackers register.
        let score = match kind.as_str() {
            "temporaryAccessPass" => 60,
            "phone" | "email" | "softwareOath" | "microsoftAuthenticator" => 45,
            _ => 35,
        };
        out.push(SignalHit::new(
            "state.mfa_method_added",
            score,
            format!("MFA method {} added to {user}", method_label(m)),
        ));
    }
    for m in before
        .iter()
        .take(1000)
        .filter(|m| id_of(m).is_some_and(|i| !a.contains(&i)))
    {
        if method_kind(m) == "password" {
            continue;
        }
        out.push(SignalHit::new(
            "state.mfa_method_removed",
            55,
            format!("MFA method {} removed from {user}", method_label(m)),
        ));
    }
    out
}

fn credential_ids(app: &Value) -> HashSet<String> {
    ["passwordCredentials", "keyCredentials"]
        .iter()
        .flat_map(|k| {
            get(app, &[k])
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|c| get_str(c, &["keyId"]))
        .collect()
}

fn app_key(v: &Value) -> Option<String> {
    get_str(v, &["id"]).or_else(|| get_str(v, &["appId"]))
}

/// New credentials on applications / service principals, and new applications, between two
/// snapshots of `/applications` or `/servicePrincipals`.
pub fn diff_apps(before: &[Value], after: &[Value]) -> Vec<SignalHit> {
    let mut out = Vec::new();
    for app in after.iter().take(100_000) {
        let key = app_key(app);
        let name =
            get_str(app, &["displayName"]).unwrap_or_else(|| key.clone().unwrap_or_default());
        match before.iter().find(|b| key.is_some() && app_key(b) == key) {
            None => {
                let creds = credential_ids(app).len();
                out.push(SignalHit::new(
                    "state.app_added",
                    if creds > 0 { 40 } else { 20 },
                    format!(
                        "application '{name}' appeared{}",
                        if creds > 0 { " with credentials" } else { "" }
                    ),
                ));
            }
            Some(old) => {
                let (o, n) = (credential_ids(old), credential_ids(app));
                let added: Vec<&String> = n.difference(&o).collect();
                if !added.is_empty() {
                    out.push(SignalHit::new(
                        "state.app_credentials_added",
                        70,
                        format!("{} new secret(s) or certificate(s) on '{name}': anyone holding one signs in as the app", added.len()),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn new_forwarding_rule_is_seen() {
        let before = vec![
            json!({"id": "r1", "displayName": "Receipts", "actions": {"moveToFolder": "AAMk"}}),
        ];
        let mut after = before.clone();
        after.push(json!({"id": "r2", "displayName": ".", "isEnabled": true,
            "conditions": {"subjectContains": ["Invoice"]},
            "actions": {"forwardTo": [{"emailAddress": {"address": "drop@evil.example"}}], "delete": true, "stopProcessingRules": true}}));
        let hits = diff_inbox_rules("cfo@contoso.com", &before, &after);
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        for want in [
            "state.inbox_rule_created",
            "mailbox.rule_forwards_external",
            "mailbox.rule_deletes",
            "mailbox.rule_payment_words",
            "mailbox.rule_blank_name",
        ] {
            assert!(ids.contains(&want), "{want} missing from {ids:?}");
        }
        // Unchanged snapshot: nothing.
        assert!(diff_inbox_rules("cfo@contoso.com", &after, &after).is_empty());
    }

    #[test]
    fn rule_changed_to_hide_mail_and_redirect_object() {
        let before = vec![
            json!({"id": "r1", "displayName": "news", "actions": {"moveToFolder": "Newsletters"}}),
        ];
        let after = vec![
            json!({"id": "r1", "displayName": "news", "actions": {"moveToFolder": "RSS Feeds",
            "redirectTo": {"emailAddress": {"address": "x@contoso.com"}}}}),
        ];
        let hits = diff_inbox_rules("a@contoso.com", &before, &after);
        assert_eq!(
            hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            vec!["mailbox.rule_hides_mail"]
        );
    }

    #[test]
    fn methods_added_and_removed() {
        let before = vec![
            json!({"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490"}),
            json!({"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "m1", "displayName": "iPhone"}),
        ];
        let after = vec![
            before[0].clone(),
            json!({"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneNumber": "+1 5555550100"}),
        ];
        let hits = diff_auth_methods("a@contoso.com", &before, &after);
        assert_eq!(hits.len(), 2);
        assert!(hits[0].detail.contains("+1 5555550100"));
        assert_eq!(hits[1].id, "state.mfa_method_removed");
    }

    #[test]
    fn app_credentials_added() {
        let before = vec![
            json!({"id": "sp1", "displayName": "Payroll", "passwordCredentials": [{"keyId": "k1"}], "keyCredentials": []}),
        ];
        let after = vec![
            json!({"id": "sp1", "displayName": "Payroll", "passwordCredentials": [{"keyId": "k1"}, {"keyId": "k2"}]}),
            json!({"id": "sp2", "displayName": "New"}),
        ];
        let hits = diff_apps(&before, &after);
        assert_eq!(
            hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            vec!["state.app_credentials_added", "state.app_added"]
        );
        assert!(diff_apps(&after, &after).is_empty());
    }
}
