//! Behaviour of the store, on SQLite and (with WARD_TEST_POSTGRES) on PostgreSQL.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{TestDb, each};
use serde_json::json;
use ward_store::*;

const T: &str = "contoso";

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + secs, 123_456_789)
        .unwrap()
}

fn msg(mailbox: &str, id: &str, imid: &str) -> Message {
    Message {
        tenant_id: T.into(),
        mailbox_id: mailbox.into(),
        graph_id: id.into(),
        internet_message_id: Some(imid.into()),
        folder: "inbox".into(),
        sender: Some("ceo@contoso-pay.com".into()),
        subject: Some("Urgent wire".into()),
        received_at: at(10),
        size_bytes: 2048,
        mime_sha256: Some(sha256_hex(id.as_bytes())),
        body: None,
    }
}

fn finding(id: &str, secs: i64) -> Finding {
    Finding {
        tenant_id: T.into(),
        id: id.into(),
        kind: "mfa_method_added".into(),
        user_id: Some("u1".into()),
        mailbox_id: None,
        graph_id: None,
        score: 60,
        evidence: json!({"ip": "203.0.113.9", "n": secs}),
        time: at(secs),
    }
}

fn entry(action: &str, n: i64) -> JournalEntry {
    JournalEntry {
        tenant_id: T.into(),
        action_id: action.into(),
        kind: "revoke_sessions".into(),
        target: "u1".into(),
        requested_by: "engine".into(),
        reason: json!({"incident": "inc-1", "signals": ["impossible_travel"]}),
        mode: "auto".into(),
        before_state: json!({"sessions": n, "z": 1, "a": [1.5, "x"]}),
        result: json!({"ok": true}),
        undo: serde_json::Value::Null,
        status: "done".into(),
        time: at(n),
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_reopen_keeps_data() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        s.upsert_tenant(&Tenant {
            id: T.into(),
            name: "Contoso".into(),
            config_fingerprint: "fp1".into(),
        })
        .await
        .unwrap();
        s.migrate().await.unwrap();
        s.migrate().await.unwrap();
        if db.backend == Backend::Sqlite {
            // The file is in WAL mode: readers do not block the writer.
            assert!(std::path::Path::new(&format!("{}-wal", db.location)).exists());
        }
        s.close().await;
        // Opening again runs the migrator again: nothing to do, data intact.
        let s2 = db.open().await;
        let t = s2.get_tenant(T).await.unwrap().unwrap();
        assert_eq!(t.config_fingerprint, "fp1");
        assert_eq!(
            db.raw("DELETE FROM _sqlx_migrations WHERE version = -1")
                .await,
            0
        );
        s2.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn cursor_and_data_commit_or_roll_back_together() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        // Rolled back explicitly.
        let mut tx = s.transaction().await.unwrap();
        assert!(tx.insert_message(&msg("mb1", "m1", "<a@x>")).await.unwrap());
        tx.set_cursor(T, "messages:u1:inbox", "delta-1")
            .await
            .unwrap();
        assert_eq!(
            tx.get_cursor(T, "messages:u1:inbox")
                .await
                .unwrap()
                .as_deref(),
            Some("delta-1")
        );
        tx.rollback().await.unwrap();
        assert_eq!(s.count_messages(T).await.unwrap(), 0);
        assert_eq!(s.get_cursor(T, "messages:u1:inbox").await.unwrap(), None);

        // Dropped without commit (what a crash does).
        {
            let mut tx = s.transaction().await.unwrap();
            tx.insert_message(&msg("mb1", "m1", "<a@x>")).await.unwrap();
            tx.set_cursor(T, "messages:u1:inbox", "delta-1")
                .await
                .unwrap();
        }
        assert_eq!(s.count_messages(T).await.unwrap(), 0);
        assert_eq!(s.get_cursor(T, "messages:u1:inbox").await.unwrap(), None);

        // Committed: both.
        let mut tx = s.transaction().await.unwrap();
        tx.insert_message(&msg("mb1", "m1", "<a@x>")).await.unwrap();
        tx.set_cursor(T, "messages:u1:inbox", "delta-1")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(s.count_messages(T).await.unwrap(), 1);
        assert_eq!(
            s.get_cursor(T, "messages:u1:inbox")
                .await
                .unwrap()
                .as_deref(),
            Some("delta-1")
        );

        // A failing statement inside the transaction leaves the earlier state untouched.
        let mut tx = s.transaction().await.unwrap();
        tx.set_cursor(T, "messages:u1:inbox", "delta-2")
            .await
            .unwrap();
        assert!(tx.attach_finding(T, "no-such-incident", "f").await.is_err());
        drop(tx);
        assert_eq!(
            s.get_cursor(T, "messages:u1:inbox")
                .await
                .unwrap()
                .as_deref(),
            Some("delta-1")
        );
        assert!(s.delete_cursor(T, "messages:u1:inbox").await.unwrap());
        assert!(!s.delete_cursor(T, "messages:u1:inbox").await.unwrap());
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn message_insert_is_idempotent() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        let m = msg("mb1", "m1", "<camp@evil>");
        assert!(s.insert_message(&m).await.unwrap());
        assert!(!s.insert_message(&m).await.unwrap());
        let mut changed = m.clone();
        changed.subject = Some("different".into());
        assert!(!s.insert_message(&changed).await.unwrap());
        assert_eq!(s.get_message(&m.key()).await.unwrap().unwrap(), {
            let mut e = m.clone();
            e.received_at = at(10) - Duration::nanoseconds(789); // stored to the microsecond
            e
        });
        // Same internet message in another mailbox is another copy.
        assert!(
            s.insert_message(&msg("mb2", "m9", "<camp@evil>"))
                .await
                .unwrap()
        );
        let copies = s.messages_by_internet_id(T, "<camp@evil>").await.unwrap();
        assert_eq!(
            copies
                .iter()
                .map(|m| m.mailbox_id.as_str())
                .collect::<Vec<_>>(),
            ["mb1", "mb2"]
        );
        assert_eq!(s.count_messages(T).await.unwrap(), 2);

        // Hostile text: NUL is not storable in PostgreSQL; both backends keep U+FFFD instead.
        let mut nul = msg("mb1", "m-nul", "<n@x>");
        nul.subject = Some("a\0b".into());
        assert!(s.insert_message(&nul).await.unwrap());
        let got = s.get_message(&nul.key()).await.unwrap().unwrap();
        assert_eq!(got.subject.as_deref(), Some("a\u{FFFD}b"));

        // Analyses and report counts.
        assert_eq!(s.unanalyzed_messages(T, 10).await.unwrap().len(), 3);
        let a = Analysis {
            tenant_id: T.into(),
            mailbox_id: "mb1".into(),
            graph_id: "m1".into(),
            verdict: "malicious".into(),
            score: 91,
            categories: vec!["bec".into()],
            signals: json!([{"id": "reply_to_mismatch", "score": 30}]),
            analyzed_at: at(20),
        };
        assert!(s.put_analysis(&a).await.unwrap());
        assert!(
            !s.put_analysis(&Analysis {
                score: 95,
                ..a.clone()
            })
            .await
            .unwrap()
        );
        assert_eq!(s.get_analysis(&m.key()).await.unwrap().unwrap().score, 95);
        let mut clean = a.clone();
        clean.graph_id = "m-nul".into();
        clean.verdict = "clean".into();
        s.put_analysis(&clean).await.unwrap();
        assert_eq!(s.count_analyzed(T).await.unwrap(), 2);
        assert_eq!(
            s.verdict_counts(T).await.unwrap(),
            vec![("clean".to_string(), 1), ("malicious".to_string(), 1)]
        );
        assert_eq!(s.unanalyzed_messages(T, 10).await.unwrap().len(), 1);
        // An analysis of a message that was never stored is refused.
        let mut orphan = a.clone();
        orphan.graph_id = "ghost".into();
        assert!(s.put_analysis(&orphan).await.is_err());
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn users_mailboxes_events() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        let mut u = User {
            tenant_id: T.into(),
            id: "u1".into(),
            upn: "Alice@Contoso.com".into(),
            display_name: Some("Alice".into()),
            mail: Some("alice@contoso.com".into()),
            department: Some("Finance".into()),
            job_title: None,
            enabled: true,
            raw: json!({"id": "u1", "accountEnabled": true}),
        };
        assert!(s.upsert_user(&u).await.unwrap());
        u.job_title = Some("CFO".into());
        assert!(!s.upsert_user(&u).await.unwrap());
        assert_eq!(s.get_user(T, "u1").await.unwrap().unwrap(), u);
        assert_eq!(
            s.find_user_by_upn(T, "alice@contoso.com")
                .await
                .unwrap()
                .unwrap()
                .id,
            "u1"
        );
        assert!(
            s.upsert_mailbox(&Mailbox {
                tenant_id: T.into(),
                id: "mb1".into(),
                user_id: Some("u1".into()),
                address: "alice@contoso.com".into(),
                display_name: None,
            })
            .await
            .unwrap()
        );
        assert_eq!(s.list_mailboxes(T).await.unwrap().len(), 1);
        assert!(s.delete_user(T, "u1").await.unwrap());
        assert!(s.list_users(T).await.unwrap().is_empty());

        let ev = Event {
            tenant_id: T.into(),
            kind: EventKind::SignIn,
            id: "s1".into(),
            time: at(100),
            user_id: Some("u1".into()),
            source: "graph".into(),
            raw: json!({"ipAddress": "203.0.113.9"}),
        };
        assert!(s.insert_event(&ev).await.unwrap());
        assert!(!s.insert_event(&ev).await.unwrap());
        // The same id in another kind is another event.
        assert!(
            s.insert_event(&Event {
                kind: EventKind::Audit,
                ..ev.clone()
            })
            .await
            .unwrap()
        );
        let got = s.events_for_user(T, "u1", at(0), 10).await.unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].raw, ev.raw);
        assert_eq!(
            s.events_between(T, EventKind::SignIn, at(100), at(101), 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            s.events_between(T, EventKind::SignIn, at(101), at(200), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.count_events(T, EventKind::Audit).await.unwrap(), 1);

        let id = s
            .record_run(&Run {
                tenant_id: T.into(),
                stream: "signins".into(),
                started_at: at(0),
                duration_ms: 1200,
                items: 50,
                requests: 3,
                throttled: 1,
                errors: 0,
            })
            .await
            .unwrap();
        assert!(id > 0);
        assert_eq!(s.run_totals(T, at(-1)).await.unwrap(), (1, 50, 3, 1));
        assert_eq!(s.list_runs(T, 10).await.unwrap()[0].items, 50);
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn snapshots_keep_history_and_latest() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        let k = SnapshotKind::InboxRules;
        let v1 = json!([{"id": "r1", "displayName": "x", "actions": {"delete": true}}]);
        let p = s.put_snapshot(T, k, "u1", &v1, at(0)).await.unwrap();
        assert_eq!(
            p,
            SnapshotPut {
                version: 1,
                changed: true
            }
        );
        // Same content with keys in another order: no new version.
        let v1b: serde_json::Value =
            serde_json::from_str(r#"[{"actions":{"delete":true},"displayName":"x","id":"r1"}]"#)
                .unwrap();
        let p = s.put_snapshot(T, k, "u1", &v1b, at(5)).await.unwrap();
        assert_eq!(
            p,
            SnapshotPut {
                version: 1,
                changed: false
            }
        );
        let v2 = json!([{"id": "r1"}, {"id": "r2", "forwardTo": "evil@x"}]);
        let p = s.put_snapshot(T, k, "u1", &v2, at(10)).await.unwrap();
        assert_eq!(
            p,
            SnapshotPut {
                version: 2,
                changed: true
            }
        );
        s.put_snapshot(T, k, "u2", &json!([]), at(10))
            .await
            .unwrap();
        s.put_snapshot(T, SnapshotKind::AuthMethods, "u1", &json!([]), at(10))
            .await
            .unwrap();

        let latest = s.latest_snapshot(T, k, "u1").await.unwrap().unwrap();
        assert_eq!((latest.version, &latest.data), (2, &v2));
        assert_eq!(latest.taken_at, at(10) - Duration::nanoseconds(789));
        let recent = s.recent_snapshots(T, k, "u1", 5).await.unwrap();
        assert_eq!(recent.iter().map(|x| x.version).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(recent[1].data, v1);
        let all = s.latest_snapshots(T, k).await.unwrap();
        assert_eq!(
            all.iter()
                .map(|x| (x.object_id.as_str(), x.version))
                .collect::<Vec<_>>(),
            [("u1", 2), ("u2", 1)]
        );
        assert!(s.latest_snapshot(T, k, "nobody").await.unwrap().is_none());
        s.close().await;
        db
    })
    .await;
}

async fn journal_of(db: &TestDb, n: i64) -> Store {
    let s = db.open().await;
    for i in 1..=n {
        let r = s.append_journal(&entry(&format!("a{i}"), i)).await.unwrap();
        assert_eq!(r.seq, i);
    }
    s
}

#[tokio::test]
async fn journal_chain_verifies_and_detects_tampering() {
    each(|db: TestDb| async move {
        let s = journal_of(&db, 5).await;
        let JournalStatus::Intact { entries, head_hash } = s.verify_journal().await.unwrap() else {
            panic!("fresh journal must verify")
        };
        assert_eq!(entries, 5);
        let recs = s.journal_entries(0, 100).await.unwrap();
        assert_eq!(recs.len(), 5);
        assert_eq!(recs[4].hash, head_hash);
        assert_eq!(recs[1].prev_hash, recs[0].hash);
        assert_eq!(recs[0].prev_hash, "0".repeat(64));
        assert_eq!(recs[2].entry, {
            let mut e = entry("a3", 3);
            e.time = at(3) - Duration::nanoseconds(789);
            e
        });
        assert_eq!(s.journal_for_action("a2").await.unwrap().len(), 1);

        // Modify a JSON field of entry 3.
        db.raw("UPDATE journal SET before_state = '{\"sessions\":0}' WHERE seq = 3")
            .await;
        assert!(matches!(
            s.verify_journal().await.unwrap(),
            JournalStatus::Broken { seq: 3, .. }
        ));
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn journal_detects_other_tampering() {
    let cases: &[(&str, i64)] = &[
        ("UPDATE journal SET status = 'undone' WHERE seq = 2", 2),
        ("UPDATE journal SET target = 'u2' WHERE seq = 5", 5),
        ("DELETE FROM journal WHERE seq = 3", 3),
        ("DELETE FROM journal WHERE seq = 5", 5),
        ("UPDATE journal SET seq = 7 WHERE seq = 5", 5),
    ];
    for &(sql, bad) in cases {
        each(move |db: TestDb| async move {
            let s = journal_of(&db, 5).await;
            assert_eq!(db.raw(sql).await, 1, "{sql}");
            match s.verify_journal().await.unwrap() {
                JournalStatus::Broken { seq, reason } => {
                    assert_eq!(seq, bad, "{sql}: {reason}")
                }
                other => panic!("{sql}: tampering not detected: {other:?}"),
            }
            s.close().await;
            db
        })
        .await;
    }
    // A time change is tampering too (SQLite keeps text, PostgreSQL a timestamp).
    each(|db: TestDb| async move {
        let s = journal_of(&db, 3).await;
        let sql = match db.backend {
            Backend::Sqlite => {
                "UPDATE journal SET time = '2020-01-01T00:00:00+00:00' WHERE seq = 2"
            }
            Backend::Postgres => {
                "UPDATE journal SET time = time + interval '1 second' WHERE seq = 2"
            }
        };
        db.raw(sql).await;
        assert!(matches!(
            s.verify_journal().await.unwrap(),
            JournalStatus::Broken { seq: 2, .. }
        ));
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_journal_appends_keep_one_chain() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        let mut tasks = Vec::new();
        for w in 0..4 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    s.append_journal(&entry(&format!("w{w}-{i}"), i))
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert!(matches!(
            s.verify_journal().await.unwrap(),
            JournalStatus::Intact { entries: 40, .. }
        ));
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn incidents_attach_findings() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        let inc = Incident {
            tenant_id: T.into(),
            id: "inc-1".into(),
            kind: "ato".into(),
            subject_key: "u1".into(),
            severity: "high".into(),
            status: IncidentStatus::Open,
            timeline: json!([]),
            first_seen: at(100),
            last_seen: at(100),
        };
        assert!(s.open_incident(&inc).await.unwrap());
        assert!(!s.open_incident(&inc).await.unwrap());
        for (id, t) in [("f-late", 300), ("f-early", 50)] {
            assert!(s.insert_finding(&finding(id, t)).await.unwrap());
        }
        assert!(!s.insert_finding(&finding("f-late", 300)).await.unwrap());
        assert!(s.attach_finding(T, "inc-1", "f-late").await.unwrap());
        assert!(s.attach_finding(T, "inc-1", "f-early").await.unwrap());
        assert!(!s.attach_finding(T, "inc-1", "f-early").await.unwrap());
        assert!(matches!(
            s.attach_finding(T, "inc-1", "missing").await,
            Err(StoreError::NotFound {
                table: "findings",
                ..
            })
        ));

        let got = s.get_incident(T, "inc-1").await.unwrap().unwrap();
        assert_eq!(got.first_seen, at(50) - Duration::nanoseconds(789));
        assert_eq!(got.last_seen, at(300) - Duration::nanoseconds(789));
        let tl = got.timeline.as_array().unwrap();
        assert_eq!(tl.len(), 2);
        assert_eq!(tl[0]["finding_id"], "f-early"); // sorted by time, not by attach order
        let fs = s.findings_for_incident(T, "inc-1").await.unwrap();
        assert_eq!(
            fs.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["f-early", "f-late"]
        );
        assert_eq!(fs[0].evidence, finding("f-early", 50).evidence);
        assert_eq!(
            s.findings_for_user(T, "u1", at(100)).await.unwrap().len(),
            1
        );

        assert_eq!(
            s.find_active_incident(T, "ato", "u1")
                .await
                .unwrap()
                .unwrap()
                .id,
            "inc-1"
        );
        assert_eq!(
            s.incidents_with_status(T, IncidentStatus::Open)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            s.set_incident_status(T, "inc-1", IncidentStatus::Contained, at(400), "revoked")
                .await
                .unwrap()
        );
        assert!(
            !s.set_incident_status(T, "inc-1", IncidentStatus::Contained, at(401), "again")
                .await
                .unwrap()
        );
        assert!(
            s.set_incident_severity(T, "inc-1", "critical")
                .await
                .unwrap()
        );
        assert_eq!(
            s.find_active_incident(T, "ato", "u1")
                .await
                .unwrap()
                .unwrap()
                .severity,
            "critical"
        );
        s.set_incident_status(T, "inc-1", IncidentStatus::Closed, at(500), "done")
            .await
            .unwrap();
        assert!(
            s.find_active_incident(T, "ato", "u1")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.incident_counts(T).await.unwrap(),
            vec![("closed".to_string(), 1)]
        );
        let tl = s.get_incident(T, "inc-1").await.unwrap().unwrap().timeline;
        assert_eq!(tl.as_array().unwrap().len(), 4);
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn action_queue_workflow() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        let a = NewAction {
            action_id: "act-1".into(),
            tenant_id: T.into(),
            kind: "delete_inbox_rule".into(),
            target: "u1/r2".into(),
            params: json!({"rule": "r2"}),
            mode: "approve".into(),
            requested_by: "engine".into(),
            reason: json!({"incident": "inc-1"}),
            incident_id: Some("inc-1".into()),
            created_at: at(0),
        };
        assert!(s.enqueue_action(&a).await.unwrap());
        assert!(!s.enqueue_action(&a).await.unwrap());
        assert_eq!(
            s.actions_with_status(ActionStatus::Pending, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(matches!(
            s.transition_action("act-1", ActionStatus::Pending, None, None)
                .await,
            Err(StoreError::InvalidTransition { .. })
        ));
        let x = s
            .transition_action(
                "act-1",
                ActionStatus::Approved,
                Some("admin@contoso.com"),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            (x.status, x.decided_by.as_deref()),
            (ActionStatus::Approved, Some("admin@contoso.com"))
        );
        let x = s
            .transition_action(
                "act-1",
                ActionStatus::Done,
                None,
                Some(&json!({"deleted": true})),
            )
            .await
            .unwrap();
        assert_eq!(x.status, ActionStatus::Done);
        assert_eq!(x.decided_by.as_deref(), Some("admin@contoso.com"));
        assert_eq!(x.result, Some(json!({"deleted": true})));
        assert!(matches!(
            s.transition_action("act-1", ActionStatus::Rejected, None, None)
                .await,
            Err(StoreError::InvalidTransition { .. })
        ));
        assert!(matches!(
            s.transition_action("nope", ActionStatus::Done, None, None)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        s.close().await;
        db
    })
    .await;
}

/// Fills a store with one of everything; `reverse` changes the order of writes only.
async fn fill(s: &Store, reverse: bool) {
    let mut ids: Vec<i64> = (0..6).collect();
    if reverse {
        ids.reverse();
    }
    for &i in &ids {
        let mut tx = s.transaction().await.unwrap();
        tx.insert_message(&msg("mb1", &format!("m{i}"), &format!("<{i}@x>")))
            .await
            .unwrap();
        tx.set_cursor(T, "messages:u1:inbox", "delta-final")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        s.insert_finding(&finding(&format!("f{i}"), i * 10))
            .await
            .unwrap();
        s.insert_event(&Event {
            tenant_id: T.into(),
            kind: EventKind::SignIn,
            id: format!("s{i}"),
            time: at(i),
            user_id: Some("u1".into()),
            source: "graph".into(),
            raw: json!({"b": i, "a": [i, {"y": 1, "x": 2}]}),
        })
        .await
        .unwrap();
    }
    s.open_incident(&Incident {
        tenant_id: T.into(),
        id: "inc".into(),
        kind: "ato".into(),
        subject_key: "u1".into(),
        severity: "high".into(),
        status: IncidentStatus::Open,
        timeline: json!([]),
        first_seen: at(0),
        last_seen: at(0),
    })
    .await
    .unwrap();
    for &i in &ids {
        s.attach_finding(T, "inc", &format!("f{i}")).await.unwrap();
    }
    s.put_snapshot(
        T,
        SnapshotKind::App,
        "app1",
        &json!({"creds": 1}),
        Utc::now(),
    )
    .await
    .unwrap();
    s.append_journal(&JournalEntry {
        time: Utc::now(),
        ..entry("a1", 1)
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn canonical_dump_ignores_order_and_processing_times() {
    let mut dumps = Vec::new();
    // Two stores per backend, filled in opposite orders, at different times.
    for db in common::dbs().await {
        let other = match db.backend {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await.unwrap(),
        };
        let (a, b) = (db.open().await, other.open().await);
        fill(&a, false).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        fill(&b, true).await;
        let (da, db_) = (
            a.dump_canonical().await.unwrap(),
            b.dump_canonical().await.unwrap(),
        );
        assert_eq!(da, db_, "{:?}", db.backend);
        assert!(da.lines().any(|l| l.starts_with("cursors ")));
        assert_eq!(da.lines().filter(|l| l.starts_with("messages ")).count(), 6);
        // One more row is a difference.
        b.insert_message(&msg("mb2", "extra", "<e@x>"))
            .await
            .unwrap();
        assert_ne!(da, b.dump_canonical().await.unwrap());
        dumps.push(da);
        a.close().await;
        b.close().await;
        db.cleanup().await;
        other.cleanup().await;
    }
    // With PostgreSQL configured, both engines hold exactly the same business data.
    if dumps.len() == 2 {
        assert_eq!(dumps[0], dumps[1], "SQLite and PostgreSQL dumps differ");
    }
}

#[tokio::test]
async fn errors_say_what_to_do() {
    let e = Store::connect("/nonexistent-dir-ward/sub/ward.db")
        .await
        .err()
        .unwrap();
    let text = e.to_string();
    assert!(matches!(e, StoreError::Open { .. }), "{text}");
    assert!(
        text.contains("/nonexistent-dir-ward/sub/ward.db") && text.contains("--database"),
        "{text}"
    );
    let e = Store::connect("mysql://localhost/x").await.err().unwrap();
    assert!(matches!(e, StoreError::InvalidLocation { .. }), "{e}");
    let e = Store::connect("").await.err().unwrap();
    assert!(matches!(e, StoreError::InvalidLocation { .. }), "{e}");
    // The password of a URL never shows in messages.
    let e = Store::connect("postgres://ward:hunter2@127.0.0.1:1/x")
        .await
        .err()
        .unwrap();
    assert!(!e.to_string().contains("hunter2"), "{e}");

    // In-memory SQLite works (for `ward scan` style throw-away use).
    let s = Store::connect("sqlite::memory:").await.unwrap();
    assert!(s.insert_message(&msg("mb1", "m1", "<a@x>")).await.unwrap());
    assert_eq!(s.count_messages(T).await.unwrap(), 1);
}

#[tokio::test]
async fn bulk_message_insert_reports_new_ones_in_order() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        assert!(s.insert_message(&msg("mb1", "m2", "<2@x>")).await.unwrap());
        let batch = vec![
            msg("mb1", "m1", "<1@x>"),
            msg("mb1", "m2", "<2@x>"), // already stored
            msg("mb1", "m3", "<3@x>"),
            msg("mb1", "m1", "<1@x>"), // repeated within the batch
            msg("mb2", "m2", "<2@x>"), // same graph id, other mailbox
        ];
        assert_eq!(
            s.insert_messages(&batch).await.unwrap(),
            [true, false, true, false, true]
        );
        assert!(s.insert_messages(&[]).await.unwrap().is_empty());
        let big: Vec<Message> = (0..2500)
            .map(|i| msg("mb3", &format!("b{i}"), "<b@x>"))
            .collect();
        let new = s.insert_messages(&big).await.unwrap();
        assert_eq!(new.len(), 2500);
        assert!(new.iter().all(|&n| n));
        assert_eq!(s.count_messages(T).await.unwrap(), 2504);
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_attach_keeps_every_timeline_entry() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        s.open_incident(&Incident {
            tenant_id: T.into(),
            id: "camp".into(),
            kind: "campaign".into(),
            subject_key: "<camp@evil>".into(),
            severity: "high".into(),
            status: IncidentStatus::Open,
            timeline: json!([]),
            first_seen: at(0),
            last_seen: at(0),
        })
        .await
        .unwrap();
        for i in 0..20 {
            s.insert_finding(&finding(&format!("f{i}"), i))
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for w in 0..4 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for i in (w..20).step_by(4) {
                    assert!(s.attach_finding(T, "camp", &format!("f{i}")).await.unwrap());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let inc = s.get_incident(T, "camp").await.unwrap().unwrap();
        assert_eq!(inc.timeline.as_array().unwrap().len(), 20);
        assert_eq!(s.findings_for_incident(T, "camp").await.unwrap().len(), 20);
        s.close().await;
        db
    })
    .await;
}
