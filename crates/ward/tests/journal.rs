//! `ward journal verify` on a real store file: exit 0 while intact, exit 1 naming the entry
//! once a row is modified behind the store's back or deleted.

use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use serde_json::json;
use ward_store::JournalEntry;
use ward_store::testing::TestDb;

fn ward(args: &[&str], db: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .arg("--database")
        .arg(db)
        // No ward.toml in the test's folder is needed, and none from the environment leaks in.
        .env_remove("WARD_CONFIG")
        .env_remove("WARD_DATABASE")
        .output()
        .expect("run ward")
}

fn entry(n: i64) -> JournalEntry {
    JournalEntry {
        tenant_id: "contoso".into(),
        action_id: format!("act-{n}"),
        kind: "revoke_sessions".into(),
        target: "alice@contoso.com".into(),
        requested_by: "engine".into(),
        reason: json!({"incident": "INC-000000000001"}),
        mode: "auto".into(),
        before_state: json!({"sessions": n}),
        result: json!({"ok": true}),
        undo: serde_json::Value::Null,
        status: "done".into(),
        time: Utc
            .timestamp_opt(1_780_000_000 + n, 0)
            .single()
            .expect("time"),
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn journal_verify_exit_codes_follow_tampering() {
    let db = TestDb::sqlite().await;
    let store = db.open().await;
    let mut head = String::new();
    for n in 1..=5 {
        head = store.append_journal(&entry(n)).await.expect("append").hash;
    }
    store.close().await;

    let ok = ward(&["journal", "verify"], &db.location);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("5 entries"), "{}", stdout(&ok));
    assert!(
        stdout(&ok).contains(&head),
        "head hash printed: {}",
        stdout(&ok)
    );

    let shown = ward(&["journal", "show", "--json"], &db.location);
    assert_eq!(shown.status.code(), Some(0));
    assert_eq!(stdout(&shown).lines().count(), 5);
    let one = ward(
        &["journal", "show", "--action", "act-2", "--json"],
        &db.location,
    );
    let line: serde_json::Value = serde_json::from_str(stdout(&one).trim()).expect("one JSON line");
    assert_eq!(line["seq"], 2);

    // One column of entry 3 changed with plain SQL.
    assert_eq!(
        db.raw("UPDATE journal SET target = 'mallory@contoso.com' WHERE seq = 3")
            .await,
        1
    );
    let bad = ward(&["journal", "verify"], &db.location);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("entry 3"), "{}", stdout(&bad));
    db.raw("UPDATE journal SET target = 'alice@contoso.com' WHERE seq = 3")
        .await;
    let restored = ward(&["journal", "verify"], &db.location);
    assert_eq!(restored.status.code(), Some(0), "{}", stdout(&restored));

    // An entry deleted.
    assert_eq!(db.raw("DELETE FROM journal WHERE seq = 4").await, 1);
    let gone = ward(&["journal", "verify"], &db.location);
    assert_eq!(gone.status.code(), Some(1), "{}", stdout(&gone));
    assert!(stdout(&gone).contains("entry 4"), "{}", stdout(&gone));
    db.cleanup().await;
}

#[test]
fn journal_verify_refuses_a_store_that_does_not_exist() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope.db");
    let out = ward(&["journal", "verify"], &missing.to_string_lossy());
    assert_eq!(out.status.code(), Some(2));
    assert!(!missing.exists(), "verify must not create a store");
}
