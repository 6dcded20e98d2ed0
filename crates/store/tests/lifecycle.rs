//! Store lifecycle: migrations, errors, canonical dumps.

mod common;

use chrono::Utc;
use common::fixtures::*;
use common::{TestDb, each};
use serde_json::json;
use ward_store::*;

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
