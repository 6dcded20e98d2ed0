//! Test data shared by the store tests.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use ward_store::*;

pub const T: &str = "contoso";

pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + secs, 123_456_789)
        .unwrap()
}

pub fn msg(mailbox: &str, id: &str, imid: &str) -> Message {
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

pub fn finding(id: &str, secs: i64) -> Finding {
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

pub fn entry(action: &str, n: i64) -> JournalEntry {
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
