//! Campaign pull: every copy of a malicious message across the tenant, quarantined.
//!
//! Finding the copies, cheapest source first:
//! 1. the store: every copy Ward's sync has seen (`internetMessageId`);
//! 2. Defender's `analyzedEmails` (one record per recipient) when the tenant has it;
//! 3. otherwise a sweep: one `internetMessageId` query per remaining mailbox, 20 to a `$batch`,
//!    several batches in flight (`parallel_mailboxes`); the client keeps within the per-mailbox
//!    limits and honours `Retry-After`.
//!
//! Variants — the same lure under other Message-IDs: reworded subjects, per-recipient links,
//! rotated senders — come from the store: messages within three days of the original from the
//! same sender or sharing a content fingerprint (attachment hash, lure link recorded at ingest),
//! kept by [`is_variant`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use ward_graph::models::batch::BatchRequestItem;
use ward_store::Message;

use ward_store::ActionStatus;

use crate::config::Mode;
use crate::engine::{Disposition, Outcome, Request, Responder};
use crate::{ActionSpec, Result};

/// One copy to quarantine, and how Ward knows of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Target {
    pub user_id: String,
    pub internet_message_id: String,
    /// `store`, `analyzed_emails`, `sweep` or `variant`.
    pub found_by: String,
}

/// What a pull did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PullReport {
    pub internet_message_id: String,
    pub targets: Vec<Target>,
    /// Action id → what happened.
    pub actions: BTreeMap<String, Disposition>,
    /// How recipients were found and what could not be used.
    pub notes: Vec<String>,
}

impl PullReport {
    /// Copies now in quarantine or already gone.
    pub fn contained(&self) -> usize {
        self.actions
            .values()
            .filter(|d| match d {
                Disposition::Executed(o) => o.succeeded(),
                Disposition::Existing { status } => status == "done",
                _ => false,
            })
            .count()
    }

    pub fn failed(&self) -> Vec<&Outcome> {
        self.actions
            .values()
            .filter_map(|d| match d {
                Disposition::Executed(o) if !o.succeeded() => Some(o),
                _ => None,
            })
            .collect()
    }
}

/// Whether `m` is a variant of the campaign's original `orig`, given the content fingerprints
/// they share and whether `m`'s own analysis flagged it:
/// - from the same sender: the same lure reworded — same subject, a shared fingerprint, or
///   flagged on its own;
/// - from another sender: the same attachment payload, or the same subject with the same lure
///   link. A shared link alone is not enough: lures carry genuine links too.
pub fn is_variant(orig: &Message, m: &Message, shared: &[String], flagged: bool) -> bool {
    let same_sender = match (orig.sender.as_deref(), m.sender.as_deref()) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
    let subject = normalize_subject(orig.subject.as_deref().unwrap_or_default());
    let same_subject = !subject.is_empty()
        && normalize_subject(m.subject.as_deref().unwrap_or_default()) == subject;
    if same_sender {
        return same_subject || flagged || !shared.is_empty();
    }
    shared.iter().any(|f| is_attachment(f)) || (same_subject && !shared.is_empty())
}

/// An attachment-payload fingerprint (`att:<sha256>`, see `ward_mail::fingerprint`).
fn is_attachment(fp: &str) -> bool {
    fp.starts_with("att:")
}

/// Subject without reply/forward prefixes, case and spacing.
pub fn normalize_subject(s: &str) -> String {
    let mut t = s.trim().to_lowercase();
    loop {
        let before = t.len();
        for p in ["re:", "fw:", "fwd:", "aw:", "wg:", "tr:", "rv:", "sv:"] {
            if let Some(rest) = t.strip_prefix(p) {
                t = rest.trim_start().to_owned();
            }
        }
        if t.len() == before {
            break;
        }
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Responder {
    /// Messages within three days of `orig` from the same sender or sharing a content
    /// fingerprint with it, each with the fingerprints they share.
    async fn variant_candidates(&self, orig: &Message) -> Result<Vec<(Message, Vec<String>)>> {
        let from = orig.received_at - chrono::Duration::days(3);
        let to = orig.received_at + chrono::Duration::days(3);
        let mut out: BTreeMap<(String, String), (Message, Vec<String>)> = BTreeMap::new();
        if let Some(sender) = orig.sender.as_deref() {
            for m in self
                .store
                .messages_from_sender(&self.tenant, sender, from, to)
                .await?
            {
                out.insert((m.mailbox_id.clone(), m.graph_id.clone()), (m, Vec::new()));
            }
        }
        for fp in self.store.fingerprints_of(&orig.key()).await? {
            for m in self
                .store
                .messages_with_fingerprint(&self.tenant, &fp, from, to)
                .await?
            {
                out.entry((m.mailbox_id.clone(), m.graph_id.clone()))
                    .or_insert_with(|| (m, Vec::new()))
                    .1
                    .push(fp.clone());
            }
        }
        Ok(out.into_values().collect())
    }

    /// Every (mailbox, message id) holding the campaign: the message itself and its variants.
    pub async fn campaign_targets(
        &self,
        imid: &str,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Target>> {
        let mut found: BTreeMap<(String, String), String> = BTreeMap::new();
        fn add(found: &mut BTreeMap<(String, String), String>, user: &str, id: &str, how: &str) {
            found
                .entry((user.to_owned(), id.to_owned()))
                .or_insert_with(|| how.to_owned());
        }
        let known = self
            .store
            .messages_by_internet_id(&self.tenant, imid)
            .await?;
        for m in &known {
            add(&mut found, &m.mailbox_id, imid, "store");
        }

        // Defender's per-recipient records, when the tenant has them.
        let (start, end) = match known.iter().map(|m| m.received_at).min() {
            Some(t) => (t - chrono::Duration::days(2), t + chrono::Duration::days(2)),
            None => (Utc::now() - chrono::Duration::days(30), Utc::now()),
        };
        let filter = format!(
            "internetMessageId eq {}",
            ward_graph::url::odata_string(imid)
        );
        let url = self.client.analyzed_emails_url(start, end, Some(&filter));
        let mut analyzed_ok = false;
        match self
            .client
            .collect_all::<ward_graph::models::security::AnalyzedEmail>(&url)
            .await
        {
            Ok(records) => {
                analyzed_ok = true;
                let addrs = records.into_iter().flat_map(|r| {
                    r.recipient_email_address
                        .into_iter()
                        .chain(r.recipient_email_addresses)
                });
                for addr in addrs {
                    let addr = addr.as_str();
                    match self.store.find_user_by_upn(&self.tenant, addr).await? {
                        Some(u) => add(&mut found, &u.id, imid, "analyzed_emails"),
                        None => notes.push(format!("recipient {addr} is not a user Ward knows")),
                    }
                }
            }
            Err(e) => notes.push(format!(
                "Defender's analyzedEmails not usable ({}); sweeping the mailboxes instead",
                e.code().unwrap_or("error")
            )),
        }

        if !analyzed_ok {
            let covered: BTreeSet<String> = found.keys().map(|(u, _)| u.clone()).collect();
            let mailboxes: Vec<String> = self
                .store
                .list_mailboxes(&self.tenant)
                .await?
                .into_iter()
                .map(|m| m.user_id.unwrap_or(m.id))
                .filter(|u| !covered.contains(u))
                .collect();
            let items: Vec<(String, BatchRequestItem)> = mailboxes
                .iter()
                .enumerate()
                .map(|(i, u)| {
                    let it = BatchRequestItem::find_by_internet_message_id(i.to_string(), u, imid);
                    (u.clone(), it)
                })
                .collect();
            let mut unreadable = 0;
            for (id, res) in self.batches(items).await {
                let Some(user) = id.parse::<usize>().ok().and_then(|i| mailboxes.get(i)) else {
                    continue;
                };
                match res {
                    Ok(resp) if resp.status == 200 => {
                        let hits = resp
                            .body
                            .as_ref()
                            .and_then(|b| b["value"].as_array())
                            .is_some_and(|v| !v.is_empty());
                        if hits {
                            add(&mut found, user, imid, "sweep");
                        }
                    }
                    _ => unreadable += 1,
                }
            }
            if unreadable > 0 {
                notes.push(format!(
                    "{unreadable} mailbox(es) could not be searched (access policy or errors)"
                ));
            }
        }

        // Variants around the same time (see `is_variant`).
        if let Some(orig) = known.first() {
            for (m, shared) in self.variant_candidates(orig).await? {
                let Some(vid) = m.internet_message_id.as_deref() else {
                    continue;
                };
                if vid == imid {
                    continue;
                }
                let flagged = self
                    .store
                    .get_analysis(&m.key())
                    .await?
                    .is_some_and(|a| a.verdict == "malicious" || a.verdict == "suspicious");
                if is_variant(orig, &m, &shared, flagged) {
                    add(&mut found, &m.mailbox_id, vid, "variant");
                }
            }
        }

        Ok(found
            .into_iter()
            .map(|((user_id, internet_message_id), found_by)| Target {
                user_id,
                internet_message_id,
                found_by,
            })
            .collect())
    }

    /// Quarantines every copy of a campaign (in each action's mode). Copies that fail on a
    /// throttle or a transient error are retried in up to three later rounds; what still fails
    /// is journaled as failed and reported.
    pub async fn pull(
        &self,
        imid: &str,
        incident_id: Option<&str>,
        severity: Option<&str>,
        requested_by: &str,
        reason: Value,
    ) -> Result<PullReport> {
        let mut report = PullReport {
            internet_message_id: imid.to_owned(),
            ..Default::default()
        };
        report.targets = self.campaign_targets(imid, &mut report.notes).await?;
        let requests: Vec<Request> = report
            .targets
            .iter()
            .map(|t| Request {
                spec: ActionSpec::QuarantineMessage {
                    user_id: t.user_id.clone(),
                    internet_message_id: t.internet_message_id.clone(),
                },
                requested_by: requested_by.to_owned(),
                reason: {
                    let mut r = reason.clone();
                    if let Some(o) = r.as_object_mut() {
                        o.insert("found_by".into(), json!(t.found_by));
                        o.insert("campaign".into(), json!(imid));
                    }
                    r
                },
                incident_id: incident_id.map(str::to_owned),
                severity: severity.map(str::to_owned),
            })
            .collect();
        let parallel = self.cfg.parallel_mailboxes.max(1);
        // File every request; those auto mode runs now go together (crate::bulk), the rest
        // (queued, observed, asked for before) are handled one by one as usual.
        let filed = self.file_all(&requests).await?;
        let mut now = Vec::new();
        let mut other = Vec::new();
        for (f, r) in filed.into_iter().zip(requests) {
            if f.action.status == ActionStatus::Pending && f.mode == Mode::Auto && f.auto_ok {
                now.push(f.action);
            } else {
                other.push((f, r));
            }
        }
        let approved = self.approve_auto(now).await?;
        let singles = futures::stream::iter(other)
            .map(|(f, r)| async move { self.dispatch(f, &r.spec).await })
            .buffer_unordered(parallel)
            .collect::<Vec<Result<(String, Disposition)>>>();
        let (results, bulk) = futures::join!(singles, self.quarantine_many(approved));
        for out in bulk? {
            report
                .actions
                .insert(out.action_id.clone(), Disposition::Executed(out));
        }
        for r in results {
            let (id, d) = r?;
            report.actions.insert(id, d);
        }
        for round in 1..=3u64 {
            let retry: Vec<String> = report
                .actions
                .iter()
                .filter_map(|(id, d)| match d {
                    Disposition::Executed(o)
                        if !o.succeeded() && o.result["retryable"] == json!(true) =>
                    {
                        Some(id.clone())
                    }
                    _ => None,
                })
                .collect();
            if retry.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(2 * round)).await;
            let results: Vec<(String, Result<Outcome>)> = futures::stream::iter(retry)
                .map(|id| async move {
                    let out = self.approve(&id, "retry").await;
                    (id, out)
                })
                .buffer_unordered(parallel)
                .collect()
                .await;
            for (id, out) in results {
                report.actions.insert(id, Disposition::Executed(out?));
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_subject;

    fn msg(sender: &str, subject: &str) -> ward_store::Message {
        ward_store::Message {
            tenant_id: "t".into(),
            mailbox_id: "u".into(),
            graph_id: format!("{sender}{subject}"),
            internet_message_id: None,
            folder: "inbox".into(),
            sender: Some(sender.into()),
            subject: Some(subject.into()),
            received_at: chrono::Utc::now(),
            size_bytes: 1,
            mime_sha256: None,
            body: None,
        }
    }

    #[test]
    fn variants_need_more_than_a_shared_link() {
        use super::is_variant;
        let orig = msg("billing@evil.example", "Invoice overdue");
        let link = vec!["url:www.microsoft.com/privacy".to_string()];
        let att = vec!["att:00ff".to_string()];
        // Same sender: reworded subject with a shared lure, or same subject.
        assert!(is_variant(
            &orig,
            &msg("BILLING@evil.example", "Final notice"),
            &link,
            false
        ));
        assert!(is_variant(
            &orig,
            &msg("billing@evil.example", "RE: invoice  overdue"),
            &[],
            false
        ));
        assert!(!is_variant(
            &orig,
            &msg("billing@evil.example", "Lunch?"),
            &[],
            false
        ));
        // Another sender: the same payload, or the same subject and lure link.
        assert!(is_variant(
            &orig,
            &msg("x@other.example", "Hello"),
            &att,
            false
        ));
        assert!(is_variant(
            &orig,
            &msg("x@other.example", "Invoice overdue"),
            &link,
            false
        ));
        // A genuine newsletter that links the same privacy page is not a variant.
        assert!(!is_variant(
            &orig,
            &msg("news@microsoft.com", "Your update"),
            &link,
            false
        ));
    }

    #[test]
    fn subjects_normalise() {
        assert_eq!(
            normalize_subject("RE: Fwd:  Invoice   overdue"),
            normalize_subject("invoice overdue")
        );
        assert_ne!(
            normalize_subject("Invoice 1"),
            normalize_subject("Invoice 2")
        );
    }
}
