//! Playbooks: from a stored incident to concrete actions.
//!
//! A mail incident (`mail_campaign`, subject = the `internetMessageId`) is pulled everywhere.
//! An identity incident (subject = the user's UPN) gets the takeover steps, made surgical by the
//! snapshots Ward keeps: only the inbox rules and MFA methods that appeared since the last
//! snapshot taken before the compromise began — the user's known-good baseline — are removed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use ward_store::{Incident, SnapshotKind};

use crate::config::Step;
use crate::engine::{Disposition, Request, Responder};
use crate::{ActionSpec, Result};

/// What responding to one incident did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Response {
    pub incident_id: String,
    pub actions: Vec<(String, Disposition)>,
    /// Things Ward left alone or cannot do, in words (shown in the incident).
    pub notes: Vec<String>,
}

/// Steps Microsoft's granted permissions do not allow, with what to do by hand.
pub const MANUAL_STEPS: &[&str] = &[
    "Block sign-in for the account (Entra admin center → Users → the user → Edit properties → \
     uncheck 'Account enabled'): Ward's permissions cannot disable an account.",
    "Review delegated OAuth grants the user gave (Entra admin center → Enterprise applications → \
     User consent): Ward cannot list delegated grants with its permissions.",
    "Check mailbox forwarding (Exchange admin center → Mailboxes → Mail flow settings): Graph does \
     not expose it; Ward sees it only through the audit stream.",
    "Tell the user and their manager through your own channels: Ward cannot send mail.",
];

impl Responder {
    /// Applies the configured playbooks to an incident. Safe to call on every change of the
    /// incident: actions already requested are not requested again.
    pub async fn respond_to(&self, inc: &Incident) -> Result<Response> {
        let mut out = Response {
            incident_id: inc.id.clone(),
            ..Default::default()
        };
        let signals = signals_of(&inc.timeline);
        let steps: Vec<Step> = self
            .cfg
            .playbooks
            .iter()
            .filter(|p| p.applies(&inc.kind, &inc.severity, &signals))
            .flat_map(|p| p.steps.iter().copied())
            .collect();
        if steps.is_empty() {
            return Ok(out);
        }
        let reason = json!({
            "incident": inc.id,
            "kind": inc.kind,
            "severity": inc.severity,
            "signals": signals,
        });
        let by = format!("playbook:{}", inc.kind);
        let mut requests = Vec::new();
        for step in dedup(steps) {
            match step {
                Step::Pull => {
                    let r = self
                        .pull(
                            &inc.subject_key,
                            Some(&inc.id),
                            Some(&inc.severity),
                            &by,
                            reason.clone(),
                        )
                        .await?;
                    out.notes.extend(r.notes);
                    out.actions.extend(r.actions);
                }
                Step::Purge => {
                    let mut notes = Vec::new();
                    for t in self.campaign_targets(&inc.subject_key, &mut notes).await? {
                        requests.push(ActionSpec::PurgeMessage {
                            user_id: t.user_id,
                            internet_message_id: t.internet_message_id,
                        });
                    }
                    out.notes.extend(notes);
                }
                _ => {
                    let Some(user) = self
                        .store
                        .find_user_by_upn(&self.tenant, &inc.subject_key)
                        .await?
                    else {
                        out.notes.push(format!(
                            "{} is not a user in the directory Ward synced: account steps skipped",
                            inc.subject_key
                        ));
                        continue;
                    };
                    let uid = user.id.clone();
                    match step {
                        Step::RevokeSessions => {
                            requests.push(ActionSpec::RevokeSessions { user_id: uid })
                        }
                        Step::ResetPassword => {
                            requests.push(ActionSpec::ResetPassword { user_id: uid })
                        }
                        Step::RemoveNewRules | Step::DisableNewRules => {
                            for rule_id in self
                                .new_suspicious_rules(
                                    &uid,
                                    &inc.subject_key,
                                    inc.first_seen,
                                    &mut out.notes,
                                )
                                .await?
                            {
                                requests.push(if step == Step::RemoveNewRules {
                                    ActionSpec::DeleteInboxRule {
                                        user_id: uid.clone(),
                                        rule_id,
                                    }
                                } else {
                                    ActionSpec::DisableInboxRule {
                                        user_id: uid.clone(),
                                        rule_id,
                                    }
                                });
                            }
                        }
                        Step::RemoveNewMfa => {
                            for (method_id, method_type) in self
                                .new_methods(&uid, inc.first_seen, &mut out.notes)
                                .await?
                            {
                                requests.push(ActionSpec::RemoveAuthMethod {
                                    user_id: uid.clone(),
                                    method_id,
                                    method_type,
                                });
                            }
                        }
                        Step::Pull | Step::Purge => {}
                    }
                }
            }
        }
        for spec in requests {
            let d = self
                .request(Request {
                    spec,
                    requested_by: by.clone(),
                    reason: reason.clone(),
                    incident_id: Some(inc.id.clone()),
                    severity: Some(inc.severity.clone()),
                })
                .await?;
            out.actions.push(d);
        }
        Ok(out)
    }

    /// The newest snapshot of `kind` for `user` taken before `t`: the known-good baseline.
    async fn baseline(
        &self,
        kind: SnapshotKind,
        user: &str,
        t: DateTime<Utc>,
    ) -> Result<Option<Vec<Value>>> {
        let snaps = self
            .store
            .recent_snapshots(&self.tenant, kind, user, 1000)
            .await?;
        Ok(snaps
            .into_iter()
            .find(|s| s.taken_at < t)
            .map(|s| s.data.as_array().cloned().unwrap_or_default()))
    }

    /// Keeps what the playbook just read of a user's rules or methods as a snapshot, as the
    /// sync's own reads are: a change made after the sync read them (an attacker's MFA phone
    /// added a moment before containment removes it) is then still diffed by the state-diff
    /// sensor, from this read, instead of being undone unseen.
    async fn record_state(&self, kind: SnapshotKind, uid: &str, items: Vec<Value>) -> Result<()> {
        self.store
            .put_snapshot(&self.tenant, kind, uid, &Value::Array(items), Utc::now())
            .await?;
        Ok(())
    }

    /// Inbox rules that are suspicious (forwarding out, deleting, hiding, ...) and were not in
    /// the baseline. Suspicious rules that were already there are reported, not touched.
    async fn new_suspicious_rules(
        &self,
        uid: &str,
        upn: &str,
        since: DateTime<Utc>,
        notes: &mut Vec<String>,
    ) -> Result<Vec<String>> {
        let rules = self.client.list_inbox_rules(uid).await?;
        let baseline = self.baseline(SnapshotKind::InboxRules, uid, since).await?;
        let raw: Vec<Value> = rules
            .iter()
            .map(|r| r.raw.clone().unwrap_or(Value::Null))
            .collect();
        self.record_state(SnapshotKind::InboxRules, uid, raw)
            .await?;
        if baseline.is_none() {
            notes.push(format!("no inbox-rule snapshot of {upn} before the incident: only suspicious rules are removed"));
        }
        let mut out = Vec::new();
        for rule in rules {
            let raw = rule.raw.clone().unwrap_or(Value::Null);
            let suspicious = ward_identity::diff_inbox_rules(upn, &[], std::slice::from_ref(&raw))
                .iter()
                .any(|h| h.id != "state.inbox_rule_created");
            let known = baseline
                .as_ref()
                .is_some_and(|b| b.iter().any(|x| x["id"].as_str() == Some(rule.id.as_str())));
            if suspicious && !known {
                out.push(rule.id);
            } else if suspicious {
                notes.push(format!(
                    "inbox rule '{}' of {upn} looks suspicious but predates the incident: left for review",
                    rule.display_name.unwrap_or_default()
                ));
            }
        }
        Ok(out)
    }

    /// MFA methods registered since the baseline (or, without one, created after `since`);
    /// never the password.
    async fn new_methods(
        &self,
        uid: &str,
        since: DateTime<Utc>,
        notes: &mut Vec<String>,
    ) -> Result<Vec<(String, String)>> {
        let methods = self.client.list_auth_methods(uid).await?;
        let baseline = self.baseline(SnapshotKind::AuthMethods, uid, since).await?;
        let raw: Vec<Value> = methods.iter().map(|m| m.raw.clone()).collect();
        self.record_state(SnapshotKind::AuthMethods, uid, raw)
            .await?;
        let mut out = Vec::new();
        for m in methods {
            if m.kind.collection().is_none() {
                continue;
            }
            let new = match &baseline {
                Some(b) => !b.iter().any(|x| x["id"].as_str() == Some(m.id.as_str())),
                None => match m.created_date_time {
                    Some(c) => c >= since,
                    None => {
                        notes.push(format!(
                            "cannot tell when {} method {} was added (no earlier snapshot): review it by hand",
                            m.odata_type.as_deref().unwrap_or("an"),
                            m.id
                        ));
                        false
                    }
                },
            };
            if new {
                out.push((m.id, m.odata_type.unwrap_or_default()));
            }
        }
        Ok(out)
    }
}

fn dedup(steps: Vec<Step>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for s in steps {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Signal names from an incident timeline (for the journal's "why").
fn signals_of(timeline: &Value) -> Vec<String> {
    let mut out: Vec<String> = timeline
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    e["signal"]
                        .as_str()
                        .or_else(|| e["kind"].as_str())
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}
