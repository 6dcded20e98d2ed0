//! Response side: the hash-chained journal, the action queue, incidents and findings.

mod common;

use chrono::Duration;
use common::fixtures::*;
use common::{TestDb, each};
use serde_json::json;
use ward_store::*;

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
