//! Filing what the detect stage found in the store, so `ward incidents` and the respond stage
//! can read it and a later process does not file it twice.
//!
//! Every id is derived from content, never from a counter or the clock: a finding from its
//! tenant, subject, signal, detail and the record it rests on; an identity incident from its
//! subject and first time; a mail incident from the internetMessageId. A process that starts
//! over and re-reads every stored event therefore produces the same ids, and the store's
//! insert-if-absent writes make the repeat a no-op. Each incident is written in one
//! transaction with its findings, so a crash never leaves a finding that belongs nowhere.

use std::collections::BTreeSet;

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use ward_identity::{Incident as Correlated, Step};
use ward_store::{Analysis, Finding, Incident, IncidentStatus, Message, Tx, sha256_hex};

use super::DetectStage;

/// A user's earlier incident takes new findings while it was active this recently.
const MERGE_WINDOW_HOURS: i64 = 24;

pub use ward_respond::config::severity_rank;

/// Kind order for merged identity incidents, weakest first: a merged incident is named after
/// the strongest story its steps tell.
fn kind_rank(k: &str) -> u8 {
    match k {
        "account_takeover" => 8,
        "persistence" => 7,
        "mailbox_abuse" => 6,
        "privilege_change" => 5,
        "credential_attack" => 4,
        "suspicious_sign_in" => 3,
        "provider_alert" => 2,
        "suspicious_activity" => 1,
        _ => 0,
    }
}

fn stronger<'a>(a: &'a str, b: &'a str, rank: fn(&str) -> u8) -> &'a str {
    if rank(b) > rank(a) { b } else { a }
}

fn short_hash(parts: &[&str]) -> String {
    let h = sha256_hex(parts.join("|").as_bytes());
    h[..12].to_owned()
}

/// `INC-` + 12 hex of sha256(tenant|subject|first_seen).
pub fn identity_incident_id(
    tenant: &str,
    subject: &str,
    first_seen: Option<DateTime<Utc>>,
) -> String {
    let t = first_seen.map(|t| t.to_rfc3339()).unwrap_or_default();
    format!("INC-{}", short_hash(&[tenant, subject, &t]))
}

/// `MAIL-` + 12 hex of sha256(tenant|internetMessageId).
pub fn mail_incident_id(tenant: &str, imid: &str) -> String {
    format!("MAIL-{}", short_hash(&[tenant, imid]))
}

/// The step's record: the event's record id, else the step's time, else its evidence.
fn anchor(step: &Step) -> String {
    match step.evidence.get("record_id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => match step.time {
            Some(t) => t.to_rfc3339(),
            None => ward_store::canonical_json(&step.evidence),
        },
    }
}

impl DetectStage {
    fn user_id_of_subject(&self, subject: &str) -> String {
        self.upn_of
            .iter()
            .find(|(_, upn)| upn.as_str() == subject)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| subject.to_owned())
    }

    fn step_finding(&self, inc: &Correlated, user_id: &str, step: &Step) -> Finding {
        let id = sha256_hex(
            [
                self.tenant.as_str(),
                inc.user.as_str(),
                step.signal.as_str(),
                step.detail.as_str(),
                anchor(step).as_str(),
            ]
            .join("|")
            .as_bytes(),
        );
        Finding {
            tenant_id: self.tenant.clone(),
            id: format!("id:{}", &id[..24]),
            kind: step.signal.clone(),
            user_id: Some(user_id.to_owned()),
            mailbox_id: None,
            graph_id: None,
            score: i64::from(step.score),
            evidence: json!({
                "signal": step.signal,
                "detail": step.detail,
                "evidence": step.evidence,
                "subject": inc.user,
            }),
            // A step without a time (rare: an event without one) is placed at the incident's
            // start; only when there is none either does the clock decide.
            time: step.time.or(inc.first_seen).unwrap_or_else(Utc::now),
        }
    }

    /// Files every correlator incident that changed since it was last filed. A low-severity
    /// correlation (a traveller's first sign-in from a new country) is an alert, not an
    /// incident: it is filed — all its steps at once — only when it rises above low.
    pub(super) async fn persist_identity(&mut self, changed: &mut BTreeSet<String>) -> Result<()> {
        for inc in self.correlator.incidents() {
            if severity_rank(&inc.severity) <= severity_rank("low") {
                continue;
            }
            let fp = (inc.steps.len(), inc.kind.clone(), inc.severity.clone());
            if self.persisted.get(&inc.id) == Some(&fp) {
                continue;
            }
            if let Some(id) = self.file_identity(&inc).await? {
                changed.insert(id);
            }
            self.persisted.insert(inc.id.clone(), fp);
        }
        Ok(())
    }

    /// Files one correlator incident: its steps become findings, attached to the incident this
    /// process already filed it under, else to the subject's incident still active within 24 h
    /// (any kind), else to a new one. Returns the store id when something changed.
    async fn file_identity(&mut self, inc: &Correlated) -> Result<Option<String>> {
        let user_id = self.user_id_of_subject(&inc.user);
        let findings: Vec<Finding> = inc
            .steps
            .iter()
            .map(|s| self.step_finding(inc, &user_id, s))
            .collect();
        let mut tx = self.store.transaction().await?;
        let mut new = Vec::new();
        for f in &findings {
            if tx.insert_finding(f).await? {
                new.push(f);
            }
        }
        let mut target = None;
        if let Some(id) = self.filed.get(&inc.id)
            && let Some(stored) = tx.get_incident(&self.tenant, id).await?
            && stored.status != IncidentStatus::Closed
        {
            target = Some(stored.id);
        }
        let Some(earliest) = new.iter().map(|f| f.time).min() else {
            // Nothing new: every step was filed before (by this process or an earlier one).
            let out = match target {
                Some(id) => self.raise(&mut tx, &id, inc).await?.then_some(id),
                None => None,
            };
            tx.commit().await?;
            return Ok(out);
        };
        let mut opened = false;
        let target = match target {
            Some(id) => id,
            None => {
                let window = Duration::hours(MERGE_WINDOW_HOURS);
                match tx
                    .find_open_incident_for_subject(&self.tenant, &inc.user)
                    .await?
                {
                    Some(open) if open.last_seen >= earliest - window => open.id,
                    _ => {
                        let mut id = identity_incident_id(&self.tenant, &inc.user, inc.first_seen);
                        if tx.get_incident(&self.tenant, &id).await?.is_some() {
                            // That incident was closed (or went quiet): these findings start
                            // a new one.
                            id = identity_incident_id(&self.tenant, &inc.user, Some(earliest));
                        }
                        opened = tx
                            .open_incident(&Incident {
                                tenant_id: self.tenant.clone(),
                                id: id.clone(),
                                kind: inc.kind.clone(),
                                subject_key: inc.user.clone(),
                                severity: inc.severity.clone(),
                                status: IncidentStatus::Open,
                                timeline: json!([]),
                                first_seen: earliest,
                                last_seen: earliest,
                            })
                            .await?;
                        id
                    }
                }
            }
        };
        let mut attached = false;
        for f in new {
            attached |= tx.attach_finding(&self.tenant, &target, &f.id).await?;
        }
        let raised = self.raise(&mut tx, &target, inc).await?;
        tx.commit().await?;
        self.filed.insert(inc.id.clone(), target.clone());
        Ok((opened || attached || raised).then_some(target))
    }

    /// Raises a stored incident's kind and severity to the correlator's when stronger.
    async fn raise(&self, tx: &mut Tx, id: &str, inc: &Correlated) -> Result<bool> {
        let Some(stored) = tx.get_incident(&self.tenant, id).await? else {
            return Ok(false);
        };
        let kind = stronger(&stored.kind, &inc.kind, kind_rank);
        let severity = stronger(&stored.severity, &inc.severity, severity_rank);
        Ok(tx.update_incident(&self.tenant, id, kind, severity).await?)
    }

    /// Files one flagged copy of a message: its finding, attached to the message's campaign
    /// incident (opened on the first copy, raised to `high` by a malicious copy, reopened when
    /// a new copy arrives after it was closed). Returns the incident id when something changed.
    pub(super) async fn file_mail(
        &self,
        message: &Message,
        analysis: &Analysis,
        imid: &str,
    ) -> Result<Option<String>> {
        let signals = top_signals(&analysis.signals, 3);
        let mailbox = self
            .upn_of
            .get(&message.mailbox_id)
            .cloned()
            .unwrap_or_else(|| message.mailbox_id.clone());
        let sender = message.sender.as_deref().unwrap_or("an unknown sender");
        let mut detail = format!(
            "{} message (score {}) from {sender} delivered to {mailbox}",
            analysis.verdict, analysis.score
        );
        if !analysis.categories.is_empty() {
            detail.push_str(&format!(" [{}]", analysis.categories.join(", ")));
        }
        let reasons: Vec<&str> = signals
            .iter()
            .filter_map(|s| s.get("detail").and_then(Value::as_str))
            .map(|d| d.trim_end_matches('.'))
            .collect();
        if !reasons.is_empty() {
            detail.push_str(": ");
            detail.push_str(&reasons.join("; "));
        }
        let finding = Finding {
            tenant_id: self.tenant.clone(),
            id: format!("mail:{}:{}", message.mailbox_id, message.graph_id),
            kind: format!("mail_{}", analysis.verdict),
            user_id: Some(message.mailbox_id.clone()),
            mailbox_id: Some(message.mailbox_id.clone()),
            graph_id: Some(message.graph_id.clone()),
            score: analysis.score,
            evidence: json!({
                "signal": format!("mail.{}", analysis.verdict),
                "detail": detail,
                "evidence": {
                    "internet_message_id": imid,
                    "mailbox": mailbox,
                    "sender": message.sender,
                    "subject": message.subject,
                    "received_at": message.received_at,
                    "verdict": analysis.verdict,
                    "categories": analysis.categories,
                    "top_signals": signals,
                },
                "internet_message_id": imid,
                "verdict": analysis.verdict,
                "categories": analysis.categories,
                "signals": analysis.signals,
            }),
            // Delivery time, not processing time: the same copy files the same way every time.
            time: message.received_at,
        };
        let id = mail_incident_id(&self.tenant, imid);
        let severity = if analysis.verdict == "malicious" {
            "high"
        } else {
            "medium"
        };
        let mut tx = self.store.transaction().await?;
        tx.insert_finding(&finding).await?;
        let opened = tx
            .open_incident(&Incident {
                tenant_id: self.tenant.clone(),
                id: id.clone(),
                kind: "mail_campaign".into(),
                subject_key: imid.to_owned(),
                severity: severity.into(),
                status: IncidentStatus::Open,
                timeline: json!([]),
                first_seen: message.received_at,
                last_seen: message.received_at,
            })
            .await?;
        let attached = tx.attach_finding(&self.tenant, &id, &finding.id).await?;
        let mut raised = false;
        let mut reopened = false;
        if let Some(stored) = tx.get_incident(&self.tenant, &id).await? {
            if severity_rank(severity) > severity_rank(&stored.severity) {
                raised = tx
                    .set_incident_severity(&self.tenant, &id, severity)
                    .await?;
            }
            if attached && !opened && stored.status == IncidentStatus::Closed {
                reopened = tx
                    .set_incident_status(
                        &self.tenant,
                        &id,
                        IncidentStatus::Open,
                        message.received_at,
                        "reopened: another copy was delivered after the incident was closed",
                    )
                    .await?;
            }
        }
        tx.commit().await?;
        Ok((opened || attached || raised || reopened).then_some(id))
    }
}

/// The `n` highest-scoring signals of an analysis (`[{id, score, detail}]`).
fn top_signals(signals: &Value, n: usize) -> Vec<Value> {
    let mut v: Vec<Value> = signals.as_array().cloned().unwrap_or_default();
    v.sort_by_key(|s| std::cmp::Reverse(s.get("score").and_then(Value::as_i64).unwrap_or(0)));
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_shaped() {
        let a = identity_incident_id("t", "alice@contoso.com", None);
        assert_eq!(a, identity_incident_id("t", "alice@contoso.com", None));
        assert!(a.starts_with("INC-") && a.len() == 16, "{a}");
        assert_ne!(a, identity_incident_id("t2", "alice@contoso.com", None));
        let m = mail_incident_id("t", "<x@evil>");
        assert!(m.starts_with("MAIL-") && m.len() == 17, "{m}");
    }

    #[test]
    fn stronger_kind_and_severity_win() {
        assert_eq!(
            stronger("suspicious_sign_in", "account_takeover", kind_rank),
            "account_takeover"
        );
        assert_eq!(
            stronger("account_takeover", "mailbox_abuse", kind_rank),
            "account_takeover"
        );
        assert_eq!(stronger("critical", "high", severity_rank), "critical");
        assert_eq!(stronger("medium", "high", severity_rank), "high");
    }

    #[test]
    fn top_signals_by_score() {
        let s =
            json!([{"id": "a", "score": 10}, {"id": "b", "score": 70}, {"id": "c", "score": 40}]);
        let top: Vec<_> = top_signals(&s, 2)
            .into_iter()
            .map(|v| v["id"].clone())
            .collect();
        assert_eq!(top, [json!("b"), json!("c")]);
    }
}
