//! Every response action against the simulated tenant, with the tenant's state read back
//! through Graph after the action and after its undo.

use chrono::Utc;
use serde_json::{Value, json};
use ward_graph::models::rules::MessageRule;
use ward_graph::{ClientConfig, Credential, Endpoints, GraphClient};
use ward_ingest::{SyncOptions, Syncer};
use ward_respond::{
    ActionSpec, Disposition, Mode, PasswordChannel, Request, RespondConfig, Responder,
};
use ward_sim::testkit::{self, SeedBuilder};
use ward_sim::{RegisteredApp, SimConfig, SimHandle, Simulator};
use ward_store::testing::{TestDb, dbs};
use ward_store::{ActionStatus, JournalStatus, Store};

fn sim_config() -> SimConfig {
    SimConfig {
        mailbox_latency: std::time::Duration::from_millis(1),
        ..SimConfig::default()
    }
}

fn client_for(sim: &SimHandle) -> GraphClient {
    let app = RegisteredApp::ward_default();
    let cfg = ClientConfig::new(
        sim.tenant_id(),
        app.client_id,
        Credential::secret(app.secret.unwrap_or_default()),
    )
    .with_endpoints(Endpoints::single(sim.base_url()));
    GraphClient::new(cfg).expect("client")
}

fn auto_config(pw_dir: &std::path::Path) -> RespondConfig {
    RespondConfig {
        default_mode: Mode::Auto,
        auto_min_severity: "medium".into(),
        password_channel: PasswordChannel::Directory {
            path: pw_dir.to_path_buf(),
        },
        ..RespondConfig::default()
    }
}

struct Bed {
    sim: SimHandle,
    store: Store,
    client: GraphClient,
    pw: tempfile::TempDir,
}

impl Bed {
    async fn new(db: &TestDb, cfg: SimConfig, users: usize) -> Bed {
        let sim = Simulator::start(cfg, SeedBuilder::new(users, 3).build())
            .await
            .expect("sim");
        let store = db.open().await;
        let client = client_for(&sim);
        Syncer::new(client.clone(), store.clone())
            .sync(&SyncOptions::new(sim.tenant_id()))
            .await
            .expect("sync");
        Bed {
            sim,
            store,
            client,
            pw: tempfile::tempdir().expect("tmp"),
        }
    }

    fn responder(&self) -> Responder {
        self.responder_with(auto_config(self.pw.path()))
    }

    fn responder_with(&self, cfg: RespondConfig) -> Responder {
        Responder::new(
            self.client.clone(),
            self.store.clone(),
            self.sim.tenant_id(),
            cfg,
        )
    }

    /// Delivers one phishing message to `recipients` (indices); returns its Message-ID.
    fn phish(&self, recipients: &[usize], tag: &str) -> String {
        let imid = format!("<phish-{tag}@evil.example>");
        let to: Vec<String> = recipients.iter().map(|&i| testkit::upn(i)).collect();
        let to_refs: Vec<&str> = to.iter().map(String::as_str).collect();
        let mime = testkit::mime(
            "it-support@evil.example",
            &to[0],
            "Your mailbox is full",
            "Sign in at https://evil.example/login to keep your mail.",
            &imid,
            Utc::now(),
            false,
        );
        self.sim.inject_message(&to_refs, "inbox", &mime);
        imid
    }

    /// The folders holding copies of `imid` in user `i`'s mailbox, read through Graph.
    async fn folders_of(&self, i: usize, imid: &str) -> Vec<String> {
        self.client
            .find_by_internet_message_id(&testkit::user_id(i), imid)
            .await
            .expect("find")
            .into_iter()
            .map(|m| m.parent_folder_id.unwrap_or_default())
            .collect()
    }

    async fn folder_id(&self, i: usize, name: &str) -> String {
        self.client
            .get_mail_folder(&testkit::user_id(i), name)
            .await
            .expect("folder")
            .id
    }

    async fn journal_intact(&self) -> u64 {
        match self.store.verify_journal().await.expect("verify") {
            JournalStatus::Intact { entries, .. } => entries,
            JournalStatus::Broken { seq, reason } => panic!("journal broken at {seq}: {reason}"),
        }
    }
}

fn req(spec: ActionSpec) -> Request {
    Request {
        spec,
        requested_by: "test".into(),
        reason: json!({"why": "test"}),
        incident_id: Some("INC-test".into()),
        severity: Some("high".into()),
    }
}

fn executed(d: &Disposition) -> &ward_respond::Outcome {
    match d {
        Disposition::Executed(o) => o,
        other => panic!("expected an execution, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_pull_quarantines_every_copy_and_undo_restores_them() {
    for db in dbs().await {
        pull_and_undo(&db, sim_config(), "analyzed_emails").await;
        db.cleanup().await;
    }
    // Without Defender for Office 365 there are no analyzedEmails: Ward sweeps the mailboxes.
    let db = TestDb::sqlite().await;
    let cfg = SimConfig {
        defender_license: false,
        ..sim_config()
    };
    pull_and_undo(&db, cfg, "sweep").await;
}

async fn pull_and_undo(db: &TestDb, cfg: SimConfig, found_by: &str) {
    {
        let bed = Bed::new(db, cfg, 6).await;
        // Delivered after Ward's last sync: the store knows no copy; Defender's records or the
        // sweep must find them all.
        let imid = bed.phish(&[0, 2, 3, 5], "pull");
        let r = bed.responder();
        let report = r
            .pull(&imid, Some("INC-1"), Some("high"), "test", json!({}))
            .await
            .expect("pull");
        assert_eq!(report.targets.len(), 4, "{report:?}");
        assert!(
            report.targets.iter().all(|t| t.found_by == found_by),
            "{report:?}"
        );
        assert_eq!(report.contained(), 4, "{report:?}");
        for i in [0, 2, 3, 5] {
            let inbox = bed.folder_id(i, "inbox").await;
            let folders = bed.folders_of(i, &imid).await;
            assert_eq!(folders.len(), 1, "user {i}");
            assert_ne!(folders[0], inbox, "user {i}: still in the inbox");
            // The quarantine is Ward's hidden folder, not a visible one.
            assert_eq!(
                bed.sim.message_folder(&testkit::upn(i), &imid).as_deref(),
                Some("Ward Quarantine")
            );
        }
        // Benign mail untouched: every seed message is where it was.
        for i in 0..6 {
            for m in bed.sim.messages(&testkit::upn(i)) {
                if m.internet_message_id != imid {
                    assert!(m.folder == "inbox" || m.folder == "junkemail", "{m:?}");
                }
            }
        }
        let entries = bed.journal_intact().await;

        // The same pull again: nothing done twice, nothing journaled.
        let again = r
            .pull(&imid, Some("INC-1"), Some("high"), "test", json!({}))
            .await
            .expect("pull");
        assert!(
            again
                .actions
                .values()
                .all(|d| matches!(d, Disposition::Existing { status } if status == "done")),
            "{again:?}"
        );
        assert_eq!(bed.journal_intact().await, entries);

        // Undo each: back in the inbox.
        for id in report.actions.keys() {
            let out = r.undo(id, "analyst", "false positive").await.expect("undo");
            assert_eq!(out.outcome, "done", "{out:?}");
            // Undoing twice is a no-op.
            assert_eq!(
                r.undo(id, "analyst", "again").await.expect("undo").outcome,
                "already"
            );
        }
        for i in [0, 2, 3, 5] {
            let inbox = bed.folder_id(i, "inbox").await;
            assert_eq!(bed.folders_of(i, &imid).await, vec![inbox], "user {i}");
        }
        bed.journal_intact().await;
        bed.sim.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_is_removed_and_restored_with_the_same_definition() {
    let db = TestDb::sqlite().await;
    let bed = Bed::new(&db, sim_config(), 2).await;
    let user = testkit::user_id(1);
    let rule: MessageRule = MessageRule::from_value(json!({
        "displayName": ".",
        "sequence": 1,
        "isEnabled": true,
        "conditions": {"subjectContains": ["invoice", "payment"]},
        "actions": {"forwardTo": [{"emailAddress": {"name": "x", "address": "drop@evil.example"}}],
                    "markAsRead": true, "stopProcessingRules": true}
    }))
    .expect("rule");
    let created = bed
        .client
        .create_inbox_rule(&user, &rule)
        .await
        .expect("create");
    let definition = created.raw.clone().expect("raw");
    let r = bed.responder();

    // Disable, then undo.
    let (id, d) = r
        .request(req(ActionSpec::DisableInboxRule {
            user_id: user.clone(),
            rule_id: created.id.clone(),
        }))
        .await
        .expect("disable");
    assert_eq!(executed(&d).outcome, "done");
    let now = bed
        .client
        .get_inbox_rule(&user, &created.id)
        .await
        .expect("get");
    assert_eq!(now.is_enabled, Some(false));
    r.undo(&id, "analyst", "fp").await.expect("undo");
    assert_eq!(
        bed.client
            .get_inbox_rule(&user, &created.id)
            .await
            .expect("get")
            .is_enabled,
        Some(true)
    );

    // Delete, then undo: the same definition comes back.
    let (id, d) = r
        .request(req(ActionSpec::DeleteInboxRule {
            user_id: user.clone(),
            rule_id: created.id.clone(),
        }))
        .await
        .expect("delete");
    assert_eq!(executed(&d).outcome, "done");
    let rules = bed.client.list_inbox_rules(&user).await.expect("list");
    assert!(rules.iter().all(|x| x.id != created.id), "rule still there");
    let out = r.undo(&id, "analyst", "fp").await.expect("undo");
    assert_eq!(out.outcome, "done", "{out:?}");
    let rules = bed.client.list_inbox_rules(&user).await.expect("list");
    assert_eq!(rules.len(), 1);
    let back = rules[0].raw.clone().expect("raw");
    assert!(
        ward_respond::same_definition(&back, &definition),
        "{back} vs {definition}"
    );
    // The journal holds the full definition as the before-state.
    let j = bed.store.journal_for_action(&id).await.expect("journal");
    assert!(
        j.iter()
            .any(|e| e.entry.before_state["rule"]["actions"]["forwardTo"].is_array())
    );
    bed.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takeover_playbook_is_surgical_and_journaled() {
    let db = TestDb::sqlite().await;
    let bed = Bed::new(&db, sim_config(), 3).await;
    let uid = testkit::user_id(1);
    let upn = testkit::upn(1);
    let before_methods = bed.client.list_auth_methods(&uid).await.expect("methods");
    let t0 = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // The attacker: an email method (the seed user has a phone already) and a forwarding rule.
    let added = bed
        .client
        .add_auth_method(
            &uid,
            "emailMethods",
            &json!({"emailAddress": "backup@evil.example"}),
        )
        .await
        .expect("add method");
    let benign_rule = MessageRule::from_value(
        json!({"displayName": "Newsletters", "sequence": 2, "isEnabled": true,
        "conditions": {"senderContains": ["news@"]}, "actions": {"moveToFolder": "inbox"}}),
    )
    .expect("rule");
    bed.client
        .create_inbox_rule(&uid, &benign_rule)
        .await
        .expect("benign rule");
    let evil = MessageRule::from_value(json!({"displayName": "..", "sequence": 1, "isEnabled": true,
        "actions": {"forwardTo": [{"emailAddress": {"address": "drop@evil.example"}}], "delete": true}})).expect("rule");
    let evil = bed
        .client
        .create_inbox_rule(&uid, &evil)
        .await
        .expect("evil rule");
    Syncer::new(bed.client.clone(), bed.store.clone())
        .sync(&SyncOptions::new(bed.sim.tenant_id()))
        .await
        .expect("sync");

    let incident = ward_store::Incident {
        tenant_id: bed.sim.tenant_id().into(),
        id: "INC-ato".into(),
        kind: "account_takeover".into(),
        subject_key: upn.clone(),
        severity: "high".into(),
        status: ward_store::IncidentStatus::Open,
        timeline: json!([{"at": t0, "signal": "signin.new_country"}]),
        first_seen: t0,
        last_seen: t0,
    };
    bed.store.open_incident(&incident).await.expect("incident");
    let r = bed.responder();
    let resp = r.respond_to(&incident).await.expect("respond");
    let kinds: Vec<String> = resp
        .actions
        .iter()
        .map(|(id, d)| format!("{id}:{}", executed(d).outcome))
        .collect();
    assert_eq!(resp.actions.len(), 4, "{kinds:?} {:?}", resp.notes);
    assert!(
        resp.actions.iter().all(|(_, d)| executed(d).succeeded()),
        "{kinds:?}"
    );

    // Only the attacker's method is gone; the user's own are all there.
    let after: Vec<String> = bed
        .client
        .list_auth_methods(&uid)
        .await
        .expect("m")
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert!(!after.contains(&added.id));
    for m in &before_methods {
        assert!(after.contains(&m.id), "known-good method {} removed", m.id);
    }
    // Only the evil rule is gone.
    let rules = bed.client.list_inbox_rules(&uid).await.expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].display_name.as_deref(), Some("Newsletters"));
    assert!(rules.iter().all(|x| x.id != evil.id));
    // Sessions revoked and password changed, as the simulated tenant recorded.
    assert!(bed.sim.revoked_sessions().iter().any(|x| x.user_id == uid));
    let pw = bed.sim.password_changes();
    assert!(
        pw.iter()
            .any(|p| p.user_id == uid && p.force_change_next_sign_in)
    );
    // The password went to the channel, and nowhere in the journal.
    let files: Vec<_> = std::fs::read_dir(bed.pw.path()).expect("dir").collect();
    assert_eq!(files.len(), 1);
    let secret = std::fs::read_to_string(files[0].as_ref().expect("f").path()).expect("read");
    let dump = serde_json::to_string(&bed.store.journal_entries(0, 10_000).await.expect("j"))
        .expect("json");
    assert!(
        !dump.contains(secret.trim()),
        "password leaked into the journal"
    );

    // Responding again does nothing new.
    let n = bed.journal_intact().await;
    let again = r.respond_to(&incident).await.expect("again");
    assert!(
        again
            .actions
            .iter()
            .all(|(_, d)| matches!(d, Disposition::Existing { .. })),
        "{again:?}"
    );
    assert_eq!(bed.journal_intact().await, n);
    assert_eq!(bed.sim.password_changes().len(), pw.len());

    // Undo of the method removal puts the email method back; revoke and reset cannot be undone.
    let rm = resp
        .actions
        .iter()
        .find(|(id, _)| id.starts_with("rm-"))
        .expect("rm")
        .0
        .clone();
    assert_eq!(
        r.undo(&rm, "analyst", "fp").await.expect("undo").outcome,
        "done"
    );
    let methods = bed.client.list_auth_methods(&uid).await.expect("m");
    assert!(
        methods
            .iter()
            .any(|m| m.raw["emailAddress"] == "backup@evil.example")
    );
    let rs = resp
        .actions
        .iter()
        .find(|(id, _)| id.starts_with("rs-"))
        .expect("rs")
        .0
        .clone();
    let err = r
        .undo(&rs, "analyst", "fp")
        .await
        .expect_err("irreversible");
    assert!(err.to_string().contains("cannot be undone"), "{err}");
    bed.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_observe_and_approve() {
    let db = TestDb::sqlite().await;
    let bed = Bed::new(&db, sim_config(), 2).await;
    let imid = bed.phish(&[0], "modes");
    let spec = ActionSpec::QuarantineMessage {
        user_id: testkit::user_id(0),
        internet_message_id: imid.clone(),
    };

    let observe = bed.responder_with(RespondConfig {
        default_mode: Mode::Observe,
        ..auto_config(bed.pw.path())
    });
    let (id, d) = observe.request(req(spec.clone())).await.expect("observe");
    assert_eq!(d, Disposition::Observed);
    assert_eq!(
        bed.store.get_action(&id).await.unwrap().unwrap().status,
        ActionStatus::Observed
    );
    let inbox = bed.folder_id(0, "inbox").await;
    assert_eq!(
        bed.folders_of(0, &imid).await,
        vec![inbox.clone()],
        "observe mode moved mail"
    );
    let j = bed.store.journal_for_action(&id).await.unwrap();
    assert_eq!(j.len(), 1);
    assert_eq!(j[0].entry.status, "observed");
    assert!(
        j[0].entry.before_state["copies"]
            .as_array()
            .is_some_and(|c| c.len() == 1)
    );

    // Approve mode on another tenant store row: a fresh message.
    let imid2 = bed.phish(&[1], "approve");
    let spec2 = ActionSpec::QuarantineMessage {
        user_id: testkit::user_id(1),
        internet_message_id: imid2.clone(),
    };
    let approve = bed.responder_with(RespondConfig {
        default_mode: Mode::Approve,
        ..auto_config(bed.pw.path())
    });
    let (id2, d) = approve.request(req(spec2.clone())).await.expect("queue");
    assert_eq!(d, Disposition::Queued);
    let inbox1 = bed.folder_id(1, "inbox").await;
    assert_eq!(bed.folders_of(1, &imid2).await, vec![inbox1.clone()]);
    let out = approve.approve(&id2, "alice").await.expect("approve");
    assert_eq!(out.outcome, "done");
    assert_ne!(bed.folders_of(1, &imid2).await, vec![inbox1]);
    let last = bed.store.journal_for_action(&id2).await.unwrap();
    assert!(last.last().unwrap().entry.requested_by.contains("alice"));

    // Auto mode below the severity bar queues instead of acting.
    let imid3 = bed.phish(&[1], "low");
    let spec3 = ActionSpec::QuarantineMessage {
        user_id: testkit::user_id(1),
        internet_message_id: imid3,
    };
    let auto = bed.responder_with(RespondConfig {
        auto_min_severity: "high".into(),
        ..auto_config(bed.pw.path())
    });
    let (_, d) = auto
        .request(Request {
            severity: Some("medium".into()),
            ..req(spec3)
        })
        .await
        .expect("auto");
    assert_eq!(d, Disposition::Queued);
    bed.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_ends_in_clear_journaled_results() {
    let db = TestDb::sqlite().await;
    // User 2's mailbox is outside the application access policy.
    let cfg = SimConfig {
        mailbox_access_scope: Some(vec![testkit::user_id(0), testkit::user_id(1)]),
        ..sim_config()
    };
    let bed = Bed::new(&db, cfg, 3).await;
    let r = bed.responder();

    // A message that never existed (or was purged): gone, done, journaled.
    let (id, d) = r
        .request(req(ActionSpec::QuarantineMessage {
            user_id: testkit::user_id(0),
            internet_message_id: "<nope@x>".into(),
        }))
        .await
        .expect("gone");
    assert_eq!(executed(&d).outcome, "gone");
    assert_eq!(
        bed.store.get_action(&id).await.unwrap().unwrap().status,
        ActionStatus::Done
    );

    // A message the user already moved to Deleted Items: found there and quarantined.
    let imid = bed.phish(&[1], "moved");
    let copy = bed
        .client
        .find_by_internet_message_id(&testkit::user_id(1), &imid)
        .await
        .unwrap();
    bed.client
        .move_message(&testkit::user_id(1), &copy[0].id, "deleteditems")
        .await
        .unwrap();
    let (_, d) = r
        .request(req(ActionSpec::QuarantineMessage {
            user_id: testkit::user_id(1),
            internet_message_id: imid.clone(),
        }))
        .await
        .expect("moved");
    assert_eq!(executed(&d).outcome, "done");
    assert_eq!(
        bed.sim.message_folder(&testkit::upn(1), &imid).as_deref(),
        Some("Ward Quarantine")
    );

    // A mailbox Microsoft refuses (403): denied, failed, journaled with what to do.
    let (id, d) = r
        .request(req(ActionSpec::QuarantineMessage {
            user_id: testkit::user_id(2),
            internet_message_id: "<any@x>".into(),
        }))
        .await
        .expect("denied");
    let o = executed(&d);
    assert_eq!(o.outcome, "denied", "{o:?}");
    assert!(
        o.detail.contains("application access policy"),
        "{}",
        o.detail
    );
    assert_eq!(
        bed.store.get_action(&id).await.unwrap().unwrap().status,
        ActionStatus::Failed
    );
    let j = bed.store.journal_for_action(&id).await.unwrap();
    assert_eq!(j.last().unwrap().entry.status, "failed");

    // Resetting an administrator's password: Microsoft refuses (no privileged role); the
    // journal says what to do, and no password is left in the channel.
    let (_, d) = r
        .request(req(ActionSpec::ResetPassword {
            user_id: testkit::user_id(0),
        }))
        .await
        .expect("admin");
    let o = executed(&d);
    assert_eq!(o.outcome, "denied", "{o:?}");
    assert!(
        o.detail.contains("Privileged Authentication Administrator"),
        "{}",
        o.detail
    );
    assert_eq!(
        std::fs::read_dir(bed.pw.path())
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );

    // Reset without a password channel: refused, nothing changed.
    let none = bed.responder_with(RespondConfig {
        password_channel: PasswordChannel::None,
        ..auto_config(bed.pw.path())
    });
    let (_, d) = none
        .request(req(ActionSpec::ResetPassword {
            user_id: testkit::user_id(1),
        }))
        .await
        .expect("refused");
    let o = executed(&d);
    assert!(
        !o.succeeded() && o.detail.contains("password channel"),
        "{o:?}"
    );
    assert!(bed.sim.password_changes().is_empty());
    bed.journal_intact().await;
    bed.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_pull_survives_a_429_storm() {
    let db = TestDb::sqlite().await;
    let cfg = SimConfig {
        faults: ward_sim::FaultConfig {
            p_429: 0.3,
            retry_after_choices: vec![0.2, 0.5, 1.0],
            ..Default::default()
        },
        ..sim_config()
    };
    let bed = Bed::new(&db, cfg, 8).await;
    let imid = bed.phish(&[0, 1, 2, 3, 4, 5, 6, 7], "storm");
    let r = bed.responder();
    let report = r
        .pull(&imid, None, Some("high"), "test", json!({}))
        .await
        .expect("pull");
    assert_eq!(report.targets.len(), 8, "{report:?}");
    let failed: Vec<Value> = report.failed().iter().map(|o| o.result.clone()).collect();
    assert_eq!(report.contained(), 8, "failed: {failed:?}");
    for i in 0..8 {
        assert_eq!(
            bed.sim.message_folder(&testkit::upn(i), &imid).as_deref(),
            Some("Ward Quarantine")
        );
    }
    assert!(
        bed.sim.stats().throttled_429 > 0,
        "the storm did not happen"
    );
    assert_eq!(bed.sim.stats().violations, 0, "Ward ignored Retry-After");
    bed.journal_intact().await;
    bed.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_delete_is_undone_and_purge_is_final() {
    let db = TestDb::sqlite().await;
    let bed = Bed::new(&db, sim_config(), 2).await;
    let r = bed.responder();
    let imid = bed.phish(&[0], "delete");
    let (id, d) = r
        .request(req(ActionSpec::SoftDeleteMessage {
            user_id: testkit::user_id(0),
            internet_message_id: imid.clone(),
        }))
        .await
        .expect("delete");
    assert_eq!(executed(&d).outcome, "done");
    assert!(bed.folders_of(0, &imid).await.is_empty(), "still visible");
    assert_eq!(
        bed.sim.message_folder(&testkit::upn(0), &imid).as_deref(),
        Some("recoverableitemsdeletions")
    );
    let out = r.undo(&id, "analyst", "fp").await.expect("undo");
    assert_eq!(out.outcome, "done", "{out:?}");
    let inbox = bed.folder_id(0, "inbox").await;
    assert_eq!(bed.folders_of(0, &imid).await, vec![inbox]);

    let (id, d) = r
        .request(req(ActionSpec::PurgeMessage {
            user_id: testkit::user_id(0),
            internet_message_id: imid.clone(),
        }))
        .await
        .expect("purge");
    assert_eq!(executed(&d).outcome, "done");
    assert!(bed.folders_of(0, &imid).await.is_empty());
    assert_eq!(bed.sim.message_folder(&testkit::upn(0), &imid), None);
    let err = r
        .undo(&id, "analyst", "fp")
        .await
        .expect_err("purge is final");
    assert!(err.to_string().contains("cannot be undone"), "{err}");
    // Quarantining what was purged: gone, journaled, not an error.
    let (_, d) = r
        .request(req(ActionSpec::QuarantineMessage {
            user_id: testkit::user_id(0),
            internet_message_id: imid,
        }))
        .await
        .expect("gone");
    assert_eq!(executed(&d).outcome, "gone");
    bed.journal_intact().await;
    bed.sim.shutdown().await;
}

/// Records fingerprints like Ward's own mail stage; every message clean (so only content links
/// a variant, not its own verdict).
struct Fingerprinter;

impl ward_ingest::MessageAnalyzer for Fingerprinter {
    fn analyze(&self, mime: &[u8]) -> ward_ingest::AnalysisOutcome {
        ward_ingest::AnalysisOutcome {
            verdict: "clean".into(),
            score: 0,
            categories: vec![],
            signals: json!([]),
            fingerprints: ward_mail::fingerprint::fingerprints(mime),
        }
    }
}

fn mime_with_pdf(
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    imid: &str,
    pdf: &[u8],
) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(pdf);
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: {imid}\r\n\
         Date: {}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/html\r\n\r\n\
         <p>{body}</p>\r\n--m\r\nContent-Type: application/pdf; name=\"inv.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"inv.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--m--\r\n",
        Utc::now().format("%a, %d %b %Y %H:%M:%S +0000")
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_pull_takes_variants_and_leaves_lookalike_benign_mail() {
    let db = TestDb::sqlite().await;
    let bed = Bed::new(&db, sim_config(), 5).await;
    let payload = vec![0x25u8; 6000];
    let u = |i: usize| testkit::upn(i);
    // The original, to users 0 and 1.
    let orig = "<orig@evil.example>";
    bed.sim.inject_message(
        &[&u(0), &u(1)],
        "inbox",
        &mime_with_pdf(
            "billing@evil.example",
            &u(0),
            "Invoice overdue",
            "Pay at https://pay.evil.example/inv?id=1 — privacy: https://www.microsoft.com/privacy",
            orig,
            &payload,
        ),
    );
    // Same payload from a rotated sender, other subject (user 2): a variant.
    bed.sim.inject_message(
        &[&u(2)],
        "inbox",
        &mime_with_pdf(
            "accounts@evil2.example",
            &u(2),
            "Payment reminder",
            "See attached",
            "<v1@evil2.example>",
            &payload,
        ),
    );
    // Same sender, reworded, same lure link with another token (user 3): a variant.
    bed.sim.inject_message(
        &[&u(3)],
        "inbox",
        &testkit::mime(
            "billing@evil.example",
            &u(3),
            "Final notice",
            "Pay at https://pay.evil.example/inv?id=9",
            "<v2@evil.example>",
            Utc::now(),
            false,
        ),
    );
    // A genuine newsletter linking the same privacy page (user 4): not a variant.
    bed.sim.inject_message(
        &[&u(4)],
        "inbox",
        &testkit::mime(
            "news@microsoft.com",
            &u(4),
            "Your monthly update",
            "Read https://www.microsoft.com/privacy",
            "<news@microsoft.com>",
            Utc::now(),
            false,
        ),
    );
    Syncer::new(bed.client.clone(), bed.store.clone())
        .with_analyzer(std::sync::Arc::new(Fingerprinter))
        .sync(&SyncOptions::new(bed.sim.tenant_id()))
        .await
        .expect("sync");

    let report = bed
        .responder()
        .pull(orig, None, Some("high"), "test", json!({}))
        .await
        .expect("pull");
    let mut ids: Vec<&str> = report
        .targets
        .iter()
        .map(|t| t.internet_message_id.as_str())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "<orig@evil.example>",
            "<orig@evil.example>",
            "<v1@evil2.example>",
            "<v2@evil.example>"
        ],
        "{report:?}"
    );
    assert_eq!(report.contained(), 4, "{report:?}");
    assert_eq!(
        bed.sim
            .message_folder(&u(2), "<v1@evil2.example>")
            .as_deref(),
        Some("Ward Quarantine")
    );
    assert_eq!(
        bed.sim
            .message_folder(&u(3), "<v2@evil.example>")
            .as_deref(),
        Some("Ward Quarantine")
    );
    assert_eq!(
        bed.sim
            .message_folder(&u(4), "<news@microsoft.com>")
            .as_deref(),
        Some("inbox")
    );
    bed.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_pull_handles_moved_and_refused_copies_per_mailbox() {
    for db in dbs().await {
        // User 3's mailbox is outside the application access policy.
        let cfg = SimConfig {
            mailbox_access_scope: Some((0..3).map(testkit::user_id).collect()),
            ..sim_config()
        };
        let bed = Bed::new(&db, cfg, 4).await;
        let imid = bed.phish(&[0, 1, 2, 3], "mixed");
        // User 1 already moved the copy to Deleted Items: it is quarantined from there, and the
        // undo step remembers Deleted Items.
        let copy = bed
            .client
            .find_by_internet_message_id(&testkit::user_id(1), &imid)
            .await
            .unwrap();
        bed.client
            .move_message(&testkit::user_id(1), &copy[0].id, "deleteditems")
            .await
            .unwrap();
        let r = bed.responder();
        let report = r
            .pull(&imid, None, Some("high"), "test", json!({}))
            .await
            .expect("pull");
        assert_eq!(report.targets.len(), 4, "{report:?}");
        assert_eq!(report.contained(), 3, "{report:?}");
        let failed = report.failed();
        assert_eq!(failed.len(), 1, "{report:?}");
        assert_eq!(failed[0].outcome, "denied", "{:?}", failed[0]);
        for i in 0..3 {
            assert_eq!(
                bed.sim.message_folder(&testkit::upn(i), &imid).as_deref(),
                Some("Ward Quarantine"),
                "user {i}"
            );
        }
        // Every action has its intent before its result, and the chain holds.
        for id in report.actions.keys() {
            let j = bed.store.journal_for_action(id).await.unwrap();
            let statuses: Vec<&str> = j.iter().map(|e| e.entry.status.as_str()).collect();
            assert!(
                statuses == ["started", "done"] || statuses == ["failed"],
                "{id}: {statuses:?}"
            );
        }
        bed.journal_intact().await;
        // Undo puts user 1's copy back where the user had put it.
        let ids: Vec<String> = report
            .actions
            .iter()
            .filter(|(_, d)| matches!(d, Disposition::Executed(o) if o.succeeded()))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &ids {
            assert_eq!(r.undo(id, "analyst", "test").await.unwrap().outcome, "done");
        }
        assert_eq!(
            bed.sim.message_folder(&testkit::upn(1), &imid).as_deref(),
            Some("deleteditems")
        );
        bed.sim.shutdown().await;
        db.cleanup().await;
    }
}

/// An incident for `req`'s actions, open.
async fn open_incident(store: &Store, tenant: &str, id: &str) {
    store
        .open_incident(&ward_store::Incident {
            tenant_id: tenant.into(),
            id: id.into(),
            kind: "mail_campaign".into(),
            subject_key: id.into(),
            severity: "high".into(),
            status: ward_store::IncidentStatus::Open,
            timeline: json!([]),
            first_seen: Utc::now(),
            last_seen: Utc::now(),
        })
        .await
        .expect("incident");
}

async fn status_of(store: &Store, tenant: &str, id: &str) -> ward_store::IncidentStatus {
    store
        .get_incident(tenant, id)
        .await
        .expect("read")
        .expect("incident")
        .status
}

/// Issue 21, item 2: in approve mode the incident becomes `contained` once its last action is
/// approved and done (as in auto mode), and closing an incident withdraws what still waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_mode_contains_and_closing_withdraws() {
    use ward_respond::lifecycle;
    use ward_store::IncidentStatus;
    let db = TestDb::sqlite().await;
    let bed = Bed::new(&db, sim_config(), 3).await;
    let tenant = bed.sim.tenant_id().to_string();
    let approve = bed.responder_with(RespondConfig {
        default_mode: Mode::Approve,
        ..auto_config(bed.pw.path())
    });
    let queue = |inc: &str, users: &[usize], imid: &str| {
        users
            .iter()
            .map(|&u| Request {
                incident_id: Some(inc.into()),
                ..req(ActionSpec::QuarantineMessage {
                    user_id: testkit::user_id(u),
                    internet_message_id: imid.to_string(),
                })
            })
            .collect::<Vec<_>>()
    };

    // Two actions queued; one approved leaves the incident open, both approved contain it.
    open_incident(&bed.store, &tenant, "INC-approve").await;
    let imid = bed.phish(&[0, 1], "contain");
    let mut ids = Vec::new();
    for r in queue("INC-approve", &[0, 1], &imid) {
        let (id, d) = approve.request(r).await.expect("queue");
        assert_eq!(d, Disposition::Queued);
        ids.push(id);
    }
    approve.approve(&ids[0], "alice").await.expect("approve");
    assert_eq!(
        status_of(&bed.store, &tenant, "INC-approve").await,
        IncidentStatus::Open
    );
    approve.approve(&ids[1], "alice").await.expect("approve");
    assert_eq!(
        status_of(&bed.store, &tenant, "INC-approve").await,
        IncidentStatus::Contained
    );

    // Closing withdraws the pending action: rejected, journaled, the incident closed.
    open_incident(&bed.store, &tenant, "INC-close").await;
    let imid = bed.phish(&[2], "close");
    let (pending, _) = approve
        .request(queue("INC-close", &[2], &imid).remove(0))
        .await
        .expect("queue");
    let withdrawn = lifecycle::close(&bed.store, &tenant, "INC-close", "bob", "false positive")
        .await
        .expect("close");
    assert_eq!(withdrawn, vec![pending.clone()]);
    let a = bed.store.get_action(&pending).await.unwrap().unwrap();
    assert_eq!(a.status, ActionStatus::Rejected);
    let j = bed.store.journal_for_action(&pending).await.unwrap();
    assert_eq!(j.last().unwrap().entry.status, "rejected");
    assert!(
        j.last().unwrap().entry.result["note"]
            .as_str()
            .is_some_and(|n| n.contains("closed"))
    );
    assert_eq!(
        status_of(&bed.store, &tenant, "INC-close").await,
        IncidentStatus::Closed
    );
    let inbox = bed.folder_id(2, "inbox").await;
    assert_eq!(
        bed.folders_of(2, &imid).await,
        vec![inbox],
        "a withdrawn action ran"
    );
    bed.journal_intact().await;
    bed.sim.shutdown().await;
}
