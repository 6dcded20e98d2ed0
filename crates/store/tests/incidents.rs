//! What the detect stage and `ward incidents` need from the store: an open incident per
//! subject whatever its kind, kind and severity updates, timeline entries that explain
//! themselves, the actions of an incident, and the flagged-mail backlog.

mod common;

use common::fixtures::*;
use common::{TestDb, each};
use serde_json::json;
use ward_store::*;

fn incident(id: &str, kind: &str, subject: &str, secs: i64) -> Incident {
    Incident {
        tenant_id: T.into(),
        id: id.into(),
        kind: kind.into(),
        subject_key: subject.into(),
        severity: "medium".into(),
        status: IncidentStatus::Open,
        timeline: json!([]),
        first_seen: at(secs),
        last_seen: at(secs),
    }
}

fn action(id: &str, incident: Option<&str>, tenant: &str, secs: i64) -> NewAction {
    NewAction {
        action_id: id.into(),
        tenant_id: tenant.into(),
        kind: "revoke_sessions".into(),
        target: "u1".into(),
        params: json!({}),
        mode: "auto".into(),
        requested_by: "engine".into(),
        reason: json!({"incident": incident}),
        incident_id: incident.map(str::to_owned),
        created_at: at(secs),
    }
}

#[tokio::test]
async fn open_incident_for_subject_ignores_kind_and_closed_ones() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        assert!(
            s.find_open_incident_for_subject(T, "alice@contoso.com")
                .await
                .unwrap()
                .is_none()
        );
        s.open_incident(&incident(
            "old",
            "suspicious_sign_in",
            "alice@contoso.com",
            10,
        ))
        .await
        .unwrap();
        s.open_incident(&incident("new", "mailbox_abuse", "alice@contoso.com", 500))
            .await
            .unwrap();
        s.open_incident(&incident("bob", "persistence", "bob@contoso.com", 900))
            .await
            .unwrap();
        let got = s
            .find_open_incident_for_subject(T, "alice@contoso.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, "new", "the most recently active one");
        s.set_incident_status(T, "new", IncidentStatus::Closed, at(600), "fp")
            .await
            .unwrap();
        let got = s
            .find_open_incident_for_subject(T, "alice@contoso.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, "old", "closed incidents are skipped");
        s.set_incident_status(T, "old", IncidentStatus::Contained, at(700), "revoked")
            .await
            .unwrap();
        assert_eq!(
            s.find_open_incident_for_subject(T, "alice@contoso.com")
                .await
                .unwrap()
                .unwrap()
                .id,
            "old",
            "contained is not closed"
        );
        assert!(
            s.find_open_incident_for_subject("other-tenant", "alice@contoso.com")
                .await
                .unwrap()
                .is_none()
        );
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn update_incident_sets_kind_and_severity() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        s.open_incident(&incident("i1", "suspicious_sign_in", "u1", 0))
            .await
            .unwrap();
        assert!(
            s.update_incident(T, "i1", "account_takeover", "critical")
                .await
                .unwrap()
        );
        assert!(
            !s.update_incident(T, "i1", "account_takeover", "critical")
                .await
                .unwrap(),
            "unchanged"
        );
        assert!(!s.update_incident(T, "absent", "x", "low").await.unwrap());
        let got = s.get_incident(T, "i1").await.unwrap().unwrap();
        assert_eq!(
            (got.kind.as_str(), got.severity.as_str()),
            ("account_takeover", "critical")
        );
        assert!(
            s.update_incident(T, "i1", "account_takeover", "high")
                .await
                .unwrap()
        );
        assert_eq!(
            s.get_incident(T, "i1").await.unwrap().unwrap().severity,
            "high"
        );
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn timeline_entries_carry_signal_detail_and_evidence() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        s.open_incident(&incident("i1", "account_takeover", "u1", 0))
            .await
            .unwrap();
        let mut f = finding("f-explained", 5);
        f.evidence = json!({
            "signal": "signin.impossible_travel",
            "detail": "sign-in from Lagos 40 minutes after one from Paris",
            "evidence": {"record_id": "r-1", "ip": "203.0.113.9"},
            "other": "kept on the finding only",
        });
        s.insert_finding(&f).await.unwrap();
        s.insert_finding(&finding("f-plain", 6)).await.unwrap();
        s.attach_finding(T, "i1", "f-explained").await.unwrap();
        s.attach_finding(T, "i1", "f-plain").await.unwrap();
        let tl = s.get_incident(T, "i1").await.unwrap().unwrap().timeline;
        let tl = tl.as_array().unwrap();
        assert_eq!(tl[0]["signal"], "signin.impossible_travel");
        assert_eq!(
            tl[0]["detail"],
            "sign-in from Lagos 40 minutes after one from Paris"
        );
        assert_eq!(tl[0]["evidence"]["record_id"], "r-1");
        assert!(tl[0].get("other").is_none());
        assert_eq!(tl[1]["finding_id"], "f-plain");
        assert!(tl[1].get("signal").is_none());
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn actions_for_incident_lists_only_that_incident() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        s.enqueue_action(&action("a-late", Some("i1"), T, 20))
            .await
            .unwrap();
        s.enqueue_action(&action("a-early", Some("i1"), T, 10))
            .await
            .unwrap();
        s.enqueue_action(&action("a-other", Some("i2"), T, 5))
            .await
            .unwrap();
        s.enqueue_action(&action("a-none", None, T, 5))
            .await
            .unwrap();
        s.enqueue_action(&action("a-tenant", Some("i1"), "fabrikam", 5))
            .await
            .unwrap();
        s.transition_action("a-early", ActionStatus::Done, Some("engine"), None)
            .await
            .unwrap();
        let got = s.actions_for_incident(T, "i1").await.unwrap();
        assert_eq!(
            got.iter()
                .map(|a| (a.action_id.as_str(), a.status))
                .collect::<Vec<_>>(),
            [
                ("a-early", ActionStatus::Done),
                ("a-late", ActionStatus::Pending)
            ]
        );
        assert!(s.actions_for_incident(T, "i9").await.unwrap().is_empty());
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn analyses_with_verdict_is_the_flagged_backlog() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        for (mb, id, verdict) in [
            ("mb2", "m1", "malicious"),
            ("mb1", "m2", "malicious"),
            ("mb1", "m3", "suspicious"),
            ("mb1", "m4", "clean"),
        ] {
            s.insert_message(&msg(mb, id, "<x@evil>")).await.unwrap();
            s.put_analysis(&Analysis {
                tenant_id: T.into(),
                mailbox_id: mb.into(),
                graph_id: id.into(),
                verdict: verdict.into(),
                score: 80,
                categories: vec!["phishing".into()],
                signals: json!([]),
                analyzed_at: at(1),
            })
            .await
            .unwrap();
        }
        let keys = |v: Vec<Analysis>| {
            v.into_iter()
                .map(|a| format!("{}/{}", a.mailbox_id, a.graph_id))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(s.analyses_with_verdict(T, "malicious").await.unwrap()),
            ["mb1/m2", "mb2/m1"]
        );
        assert_eq!(
            keys(s.analyses_with_verdict(T, "suspicious").await.unwrap()),
            ["mb1/m3"]
        );
        assert!(
            s.analyses_with_verdict("fabrikam", "malicious")
                .await
                .unwrap()
                .is_empty()
        );
        s.close().await;
        db
    })
    .await;
}

#[tokio::test]
async fn incident_notes_are_added_once() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        s.open_incident(&incident("n", "account_takeover", "u@contoso.com", 10))
            .await
            .unwrap();
        assert!(
            s.add_incident_note(T, "n", at(20), "review the phone")
                .await
                .unwrap()
        );
        assert!(
            !s.add_incident_note(T, "n", at(30), "review the phone")
                .await
                .unwrap()
        );
        assert!(!s.add_incident_note(T, "absent", at(30), "x").await.unwrap());
        let got = s.get_incident(T, "n").await.unwrap().unwrap();
        let notes: Vec<&serde_json::Value> = got
            .timeline
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "note")
            .collect();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0]["note"], "review the phone");
        db
    })
    .await;
}
