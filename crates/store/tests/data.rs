//! Ingested data: cursors in transactions, messages, directory, events, snapshots.

mod common;

use chrono::Duration;
use common::fixtures::*;
use common::{TestDb, each};
use serde_json::json;
use ward_store::*;

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
async fn analysis_of_unknown_message_explains_itself() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        let e = s
            .put_analysis(&Analysis {
                tenant_id: T.into(),
                mailbox_id: "mb".into(),
                graph_id: "ghost".into(),
                verdict: "clean".into(),
                score: 0,
                categories: vec![],
                signals: json!([]),
                analyzed_at: at(0),
            })
            .await
            .err()
            .unwrap();
        let text = e.to_string();
        assert!(
            text.contains("analyses") && text.contains("store that first"),
            "{text}"
        );
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn concurrent_snapshots_never_fail_and_stay_contiguous() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        let mut tasks = Vec::new();
        for w in 0..4 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..5 {
                    let data = json!({"writer": w, "i": i});
                    s.put_snapshot(T, SnapshotKind::AuthMethods, "u1", &data, at(i))
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let all = s
            .recent_snapshots(T, SnapshotKind::AuthMethods, "u1", 100)
            .await
            .unwrap();
        let versions: Vec<i64> = all.iter().rev().map(|x| x.version).collect();
        assert_eq!(versions, (1..=all.len() as i64).collect::<Vec<_>>());
        assert!(!all.is_empty());
        s.close().await;
        db
    })
    .await;
}
