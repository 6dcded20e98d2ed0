//! The detect stage: turns what a sync stored into findings and incidents.
//!
//! Mail: every new message was analysed on its way in; flagged ones become findings, grouped
//! by `internetMessageId` into campaigns. Identity: new sign-in and audit events go through the
//! identity detector in time order, and changed snapshots (inbox rules, MFA methods, apps)
//! through the state-diff sensors; the correlator groups both into one incident per user.
//!
//! Both are also filed in the store ([`persist`]) under ids derived from their content, so a
//! new process that re-reads every stored event files nothing twice.

mod persist;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use ward_identity::{Correlator, Detector, DetectorConfig, GeoConfig, Incident};
use ward_ingest::SyncSummary;
use ward_store::{EventKind, MessageKey, Snapshot, SnapshotKind, Store};

/// A flagged message, first time Ward saw it flagged.
#[derive(Debug, Clone)]
pub struct FlaggedMail {
    pub internet_message_id: String,
    pub mailboxes: Vec<String>,
    pub verdict: String,
    pub first_flagged: DateTime<Utc>,
}

/// Closed identity incidents kept in memory (all are filed in the store); older ones are
/// forgotten, so that a long-running `ward watch` neither grows nor slows pass after pass.
const CLOSED_INCIDENTS_KEPT: usize = 1_000;
/// Days a flagged message is remembered in [`DetectStage::flagged`] (the store keeps them all).
const FLAGGED_KEPT_DAYS: i64 = 7;

/// How many stored versions of one object a pass diffs at most (the sync stores one per pass,
/// the response stage one more where it read the object before acting).
const DIFF_DEPTH: usize = 8;

pub struct DetectStage {
    store: Store,
    tenant: String,
    detector: Detector,
    correlator: Correlator,
    /// Events already observed, with their times; kept only as far back as the re-read window
    /// (a long-running `ward watch` would otherwise grow it forever).
    seen_events: HashMap<String, DateTime<Utc>>,
    watermark: Option<DateTime<Utc>>,
    /// User id → UPN (lower-case), the key incidents are filed under.
    upn_of: HashMap<String, String>,
    /// Flagged mail by internetMessageId, first flagged in the last [`FLAGGED_KEPT_DAYS`].
    pub flagged: BTreeMap<String, FlaggedMail>,
    /// When Ward first saw each (user, signal) pair in an incident (wall clock).
    pub signal_seen: BTreeMap<(String, String), DateTime<Utc>>,
    /// When Ward first learned of a (user, signal) from its own state diffs, and from the
    /// unified audit stream (Management Activity API, 60–90 min behind in production) — wall
    /// clock — to show which came first.
    pub state_seen: BTreeMap<(String, String), DateTime<Utc>>,
    pub audit_seen: BTreeMap<(String, String), DateTime<Utc>>,
    /// (snapshot kind, object) → the newest version diffed: a later pass diffs every version
    /// stored since, not only the last two (the response stage stores its own reads too).
    diffed: HashMap<(&'static str, String), i64>,
    /// When this stage was made: versions stored since are this process's to diff.
    started: DateTime<Utc>,
    /// Correlator incident id → the store incident it is filed under (this process only).
    filed: HashMap<String, String>,
    /// Correlator incident id → (steps, kind, severity) when last filed: unchanged ones are
    /// not written again.
    persisted: HashMap<String, (usize, String, String)>,
}

/// Where GeoIP data is looked for: the config, `$WARD_GEOIP_DIR`, then `./.ward/geoip`.
fn geoip_dir(configured: Option<&PathBuf>) -> Option<PathBuf> {
    configured
        .cloned()
        .or_else(|| std::env::var_os("WARD_GEOIP_DIR").map(PathBuf::from))
        .or_else(|| Some(PathBuf::from(".ward/geoip")))
        .filter(|d| d.join("country.mmdb").exists())
}

impl DetectStage {
    /// `own_app_id` is Ward's client id: what that application did is Ward's containment, not
    /// attack evidence. `geoip` is the configured data directory (`[geoip] dir`); see
    /// [`geoip_dir`] for the fallbacks.
    pub async fn new(
        store: Store,
        tenant: &str,
        own_app_id: &str,
        geoip: Option<&PathBuf>,
    ) -> Result<Self> {
        let users = store
            .list_users(tenant)
            .await
            .context("cannot read the directory")?;
        let domains = crate::analyze::tenant_domains(&users);
        let detector = Detector::new(DetectorConfig {
            geoip: geoip_dir(geoip).map(|d| GeoConfig::from_dir(&d)),
            internal_domains: domains,
            own_app_ids: vec![own_app_id.to_ascii_lowercase()],
            ..DetectorConfig::default()
        })
        .context("cannot start the identity detector")?;
        Ok(Self {
            store,
            tenant: tenant.to_owned(),
            detector,
            correlator: Correlator::default(),
            seen_events: HashMap::new(),
            watermark: None,
            upn_of: users
                .into_iter()
                .map(|u| (u.id, u.upn.to_ascii_lowercase()))
                .collect(),
            flagged: BTreeMap::new(),
            signal_seen: BTreeMap::new(),
            state_seen: BTreeMap::new(),
            audit_seen: BTreeMap::new(),
            diffed: HashMap::new(),
            started: Utc::now(),
            filed: HashMap::new(),
            persisted: HashMap::new(),
        })
    }

    /// The key incidents are filed under for a user id (its lower-case UPN), or the id itself.
    pub fn subject_of(&self, user_id: &str) -> String {
        self.upn_of
            .get(user_id)
            .cloned()
            .unwrap_or_else(|| user_id.to_ascii_lowercase())
    }

    pub fn incidents(&self) -> Vec<Incident> {
        self.correlator.incidents()
    }

    /// The store incident a correlator incident was filed under by this process (none while it
    /// is low severity: those are alerts, not filed).
    pub fn filed_as(&self, correlator_id: &str) -> Option<String> {
        self.filed.get(correlator_id).cloned()
    }

    /// The store incident a flagged message is filed under.
    pub fn mail_filed_as(&self, internet_message_id: &str) -> String {
        persist::mail_incident_id(&self.tenant, internet_message_id)
    }

    /// Processes what one sync run added; returns the ids of the store incidents this call
    /// opened or changed (new findings attached, kind or severity raised, reopened), sorted.
    pub async fn process(&mut self, summary: &SyncSummary) -> Result<Vec<String>> {
        let mut changed = BTreeSet::new();
        self.mail(summary, &mut changed).await?;
        self.events().await?;
        self.state(summary).await?;
        let now = Utc::now();
        for inc in self.correlator.incidents() {
            for step in &inc.steps {
                self.signal_seen
                    .entry((inc.user.clone(), step.signal.clone()))
                    .or_insert(now);
            }
        }
        self.persist_identity(&mut changed)
            .await
            .context("cannot file identity incidents in the store")?;
        self.forget_old(now);
        Ok(changed.into_iter().collect())
    }

    /// Forgets what only a long run would pile up: closed incidents past the newest
    /// [`CLOSED_INCIDENTS_KEPT`] (already filed), with what this process knew of where and how
    /// it filed them, and flagged mail older than [`FLAGGED_KEPT_DAYS`].
    fn forget_old(&mut self, now: DateTime<Utc>) {
        self.correlator.forget_closed(CLOSED_INCIDENTS_KEPT);
        let held: HashSet<&str> = self.correlator.ids().collect();
        self.persisted.retain(|id, _| held.contains(id.as_str()));
        self.filed.retain(|id, _| held.contains(id.as_str()));
        let cutoff = now - Duration::days(FLAGGED_KEPT_DAYS);
        self.flagged.retain(|_, f| f.first_flagged >= cutoff);
    }

    /// What a fresh process should look at besides a sync's own additions: every flagged
    /// message in the store and every inbox-rule, MFA-method or app snapshot that changed in
    /// the last `days`. A sync killed after storing data but before detecting it loses
    /// nothing this way; stable ids make the repeat a no-op.
    pub async fn backlog(&self, summary: &SyncSummary, days: i64) -> Result<SyncSummary> {
        let mut out = SyncSummary {
            new_messages: summary.new_messages.clone(),
            changed: summary.changed.clone(),
            ..SyncSummary::default()
        };
        let mut seen: HashSet<(String, String)> = out.new_messages.iter().cloned().collect();
        for verdict in ["malicious", "suspicious"] {
            for a in self
                .store
                .analyses_with_verdict(&self.tenant, verdict)
                .await?
            {
                let key = (a.mailbox_id, a.graph_id);
                if seen.insert(key.clone()) {
                    out.new_messages.push(key);
                }
            }
        }
        let since = Utc::now() - Duration::days(days);
        for kind in [
            SnapshotKind::InboxRules,
            SnapshotKind::AuthMethods,
            SnapshotKind::App,
        ] {
            let objects = out.changed.entry(kind.as_str().to_owned()).or_default();
            for snap in self.store.latest_snapshots(&self.tenant, kind).await? {
                if snap.version >= 2 && snap.taken_at >= since && !objects.contains(&snap.object_id)
                {
                    objects.push(snap.object_id);
                }
            }
        }
        Ok(out)
    }

    async fn mail(&mut self, summary: &SyncSummary, changed: &mut BTreeSet<String>) -> Result<()> {
        let now = Utc::now();
        for (mailbox, graph_id) in &summary.new_messages {
            let key = MessageKey {
                tenant_id: self.tenant.clone(),
                mailbox_id: mailbox.clone(),
                graph_id: graph_id.clone(),
            };
            let Some(analysis) = self.store.get_analysis(&key).await? else {
                continue;
            };
            if analysis.verdict != "malicious" && analysis.verdict != "suspicious" {
                continue;
            }
            let Some(message) = self.store.get_message(&key).await? else {
                continue;
            };
            let imid = message
                .internet_message_id
                .clone()
                .unwrap_or_else(|| graph_id.clone());
            if let Some(id) = self
                .file_mail(&message, &analysis, &imid)
                .await
                .context("cannot file a mail incident in the store")?
            {
                changed.insert(id);
            }
            let entry = self
                .flagged
                .entry(imid.clone())
                .or_insert_with(|| FlaggedMail {
                    internet_message_id: imid,
                    mailboxes: vec![],
                    verdict: analysis.verdict.clone(),
                    first_flagged: now,
                });
            if !entry.mailboxes.contains(mailbox) {
                entry.mailboxes.push(mailbox.clone());
            }
            if analysis.verdict == "malicious" {
                entry.verdict = analysis.verdict.clone();
            }
        }
        Ok(())
    }

    /// New sign-ins and audit events, oldest first. The audit stream delivers late, so the
    /// window reaches back two hours behind the newest event seen; ids already seen are skipped.
    async fn events(&mut self) -> Result<()> {
        let from = self
            .watermark
            .map(|w| w - Duration::hours(2))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let to = Utc::now() + Duration::days(1);
        let mut batch = Vec::new();
        for kind in [EventKind::SignIn, EventKind::Audit] {
            batch.extend(
                self.store
                    .events_between(&self.tenant, kind, from, to, 1_000_000)
                    .await?,
            );
        }
        self.seen_events.retain(|_, t| *t >= from);
        batch.retain(|e| {
            self.seen_events
                .insert(format!("{}:{}", e.kind.as_str(), e.id), e.time)
                .is_none()
        });
        batch.sort_by_key(|e| e.time);
        for stored in batch {
            self.watermark = self.watermark.max(Some(stored.time));
            let Ok(event) = ward_identity::parse_value(&stored.raw) else {
                continue;
            };
            let hits = self.detector.observe(&event);
            if !hits.is_empty() {
                if event.source == ward_identity::Source::ManagementActivity {
                    let user = event
                        .user
                        .clone()
                        .or_else(|| event.actor.clone())
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    let now = Utc::now();
                    for h in &hits {
                        self.audit_seen
                            .entry((user.clone(), h.id.clone()))
                            .or_insert(now);
                    }
                }
                self.correlator.add(&event, &hits);
            }
        }
        Ok(())
    }

    /// Diffs every snapshot that changed in this run against the one before it, and every
    /// version stored since the last one diffed (at most [`DIFF_DEPTH`] back).
    async fn state(&mut self, summary: &SyncSummary) -> Result<()> {
        let removed_by_ward = if summary.changed.contains_key("auth_methods") {
            self.methods_removed_by_ward().await?
        } else {
            HashSet::new()
        };
        for (kind_name, objects) in &summary.changed {
            let kind = match kind_name.as_str() {
                "inbox_rules" => SnapshotKind::InboxRules,
                "auth_methods" => SnapshotKind::AuthMethods,
                _ => SnapshotKind::App,
            };
            for object in objects {
                let snaps = self
                    .store
                    .recent_snapshots(&self.tenant, kind, object, DIFF_DEPTH as i64)
                    .await?;
                let Some(newest) = snaps.first().map(|s| s.version) else {
                    continue;
                };
                let key = (kind.as_str(), object.clone());
                let last = self.diffed.insert(key, newest);
                // Newest first: each version against the one before it, oldest pair first. For
                // an object this stage has not diffed yet, the versions stored since it started
                // (a response may have stored one before the sync's next read) and at least the
                // newest pair.
                let started = self.started;
                let pairs: Vec<(&Snapshot, &Snapshot)> = snaps
                    .windows(2)
                    .map(|w| (&w[1], &w[0]))
                    .enumerate()
                    .take_while(|(i, (_, after))| match last {
                        Some(l) => after.version > l,
                        None => *i == 0 || after.taken_at >= started,
                    })
                    .map(|(_, pair)| pair)
                    .collect();
                let user = self
                    .upn_of
                    .get(object)
                    .cloned()
                    .unwrap_or_else(|| object.clone());
                for (before, after) in pairs.into_iter().rev() {
                    self.diff_pair(kind, object, &user, before, after, &removed_by_ward);
                }
            }
        }
        Ok(())
    }

    /// (user id, method id) of every MFA method Ward's own `remove_auth_method` actions
    /// removed: its containment, shown as its actions, not as a state change to judge.
    async fn methods_removed_by_ward(&self) -> Result<HashSet<(String, String)>> {
        let done = self
            .store
            .actions_with_status(ward_store::ActionStatus::Done, 100_000)
            .await
            .context("cannot read the action queue")?;
        Ok(done
            .into_iter()
            .filter(|a| a.tenant_id == self.tenant && a.kind == "remove_auth_method")
            .filter_map(|a| {
                let user = a.params.get("user_id")?.as_str()?.to_owned();
                let method = a.params.get("method_id")?.as_str()?.to_owned();
                Some((user, method))
            })
            .collect())
    }

    /// One state change: the hits of `before` → `after`, filed as the state-diff sensor's.
    fn diff_pair(
        &mut self,
        kind: SnapshotKind,
        object: &str,
        user: &str,
        before: &Snapshot,
        after: &Snapshot,
        removed_by_ward: &HashSet<(String, String)>,
    ) {
        let list = |v: &Value| v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
        let (mut b, a) = (list(&before.data), list(&after.data));
        if kind == SnapshotKind::AuthMethods {
            // A method Ward removed is gone by Ward's hand: not a removal to judge.
            b.retain(|m| {
                m.get("id").and_then(Value::as_str).is_none_or(|id| {
                    // Actions name the user by id or by UPN.
                    [object, user]
                        .iter()
                        .all(|u| !removed_by_ward.contains(&(u.to_string(), id.to_owned())))
                })
            });
        }
        let hits = match kind {
            SnapshotKind::InboxRules => ward_identity::diff_inbox_rules(user, &b, &a),
            SnapshotKind::AuthMethods => ward_identity::diff_auth_methods(user, &b, &a),
            SnapshotKind::App => ward_identity::diff_apps(&b, &a),
        };
        if hits.is_empty() {
            return;
        }
        let evidence = serde_json::json!({"source": "state-diff", "snapshot": kind.as_str(), "object": object,
            "versions": [before.version, after.version]});
        // App changes are not a user's: file them under the app.
        let subject = if kind == SnapshotKind::App {
            object
        } else {
            user
        };
        let now = Utc::now();
        for h in &hits {
            self.state_seen
                .entry((subject.to_ascii_lowercase(), h.id.clone()))
                .or_insert(now);
        }
        // When the change was read, not when it is diffed: the same change diffed again by a
        // later process files under the same finding id.
        self.correlator
            .add_hits(subject, Some(after.taken_at), &hits, evidence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A detection stage for tenant "t1" on a fresh SQLite store (kept while the directory is).
    async fn stage() -> (tempfile::TempDir, Store, DetectStage) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("ward.db");
        let store = Store::connect(&db.to_string_lossy()).await.expect("store");
        let detect = DetectStage::new(store.clone(), "t1", "ward-app", None)
            .await
            .expect("detect stage");
        (dir, store, detect)
    }

    /// A pass forgets flagged mail older than the days kept; newer stays.
    #[tokio::test]
    async fn a_pass_forgets_flagged_mail_older_than_a_week() {
        let (_dir, _, mut detect) = stage().await;
        let flagged = |id: &str, days_ago: i64| FlaggedMail {
            internet_message_id: id.to_string(),
            mailboxes: vec!["a@contoso.com".to_string()],
            verdict: "malicious".to_string(),
            first_flagged: Utc::now() - Duration::days(days_ago),
        };
        for (id, days) in [("<old@x>", FLAGGED_KEPT_DAYS + 1), ("<new@x>", 1)] {
            detect.flagged.insert(id.to_string(), flagged(id, days));
        }
        detect.process(&SyncSummary::default()).await.expect("pass");
        assert_eq!(detect.flagged.keys().collect::<Vec<_>>(), ["<new@x>"]);
    }

    /// An MFA phone that Ward's response read and removed between two of the sync's reads is
    /// still diffed: every version stored since the last one diffed is, not only the newest
    /// two (which here show the phone gone, not added).
    #[tokio::test]
    async fn every_version_stored_since_the_last_diffed_is_diffed() {
        let (_dir, store, mut detect) = stage().await;
        let password = serde_json::json!({"@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
            "id": "28c10230-6103-485e-b985-444c60001490"});
        let phone = serde_json::json!({"@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
            "id": "b6332ec1-7057-4abe-9331-3d72feddfe41", "phoneNumber": "+234 8012345678",
            "phoneType": "alternateMobile"});
        // The sync reports one object's methods changed; was a phone seen added to it?
        let changed = |object: &str| SyncSummary {
            changed: BTreeMap::from([("auth_methods".to_string(), vec![object.to_string()])]),
            ..Default::default()
        };
        let added = |object: &str| (object.to_string(), "state.mfa_method_added".to_string());
        let t0 = Utc::now();
        let put = |object: &'static str, data: Value, secs: i64| {
            let store = store.clone();
            async move {
                store
                    .put_snapshot(
                        "t1",
                        SnapshotKind::AuthMethods,
                        object,
                        &data,
                        t0 + Duration::seconds(secs),
                    )
                    .await
                    .expect("snapshot")
            }
        };
        put("u1", serde_json::json!([password.clone()]), 0).await;
        put(
            "u1",
            serde_json::json!([password.clone(), password.clone()]),
            1,
        )
        .await;
        detect.state(&changed("u1")).await.expect("first pass");
        assert!(detect.state_seen.is_empty());
        // The response stage's read (the phone there), then the sync's (the phone removed).
        put(
            "u1",
            serde_json::json!([password.clone(), phone.clone()]),
            2,
        )
        .await;
        put("u1", serde_json::json!([password.clone()]), 3).await;
        detect.state(&changed("u1")).await.expect("second pass");
        assert!(
            detect.state_seen.contains_key(&added("u1")),
            "{:?}",
            detect.state_seen
        );
        // Diffed once: a third pass with nothing new adds nothing.
        detect.state_seen.clear();
        detect.state(&changed("u1")).await.expect("third pass");
        assert!(detect.state_seen.is_empty());
        // An object first diffed after the response's read: every version since the stage
        // started is diffed, not only the newest pair.
        put("u2", serde_json::json!([password.clone()]), 4).await;
        put("u2", serde_json::json!([password.clone(), phone]), 5).await;
        put("u2", serde_json::json!([password]), 6).await;
        detect.state(&changed("u2")).await.expect("fourth pass");
        assert!(
            detect.state_seen.contains_key(&added("u2")),
            "{:?}",
            detect.state_seen
        );
    }
}
