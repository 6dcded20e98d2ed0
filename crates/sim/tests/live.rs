//! Live mode: the seed timeline is applied at its (scaled) offsets with real side effects.

mod common;

use std::time::Duration;

use serde_json::json;
use ward_scenario::{TimedAction, TimedEvent};
use ward_sim::testkit::{self, upn, user_id};
use ward_sim::{SimConfig, Simulator};

#[tokio::test]
async fn timeline_is_played_with_side_effects_and_scenario_start_times() {
    let mut seed = testkit::SeedBuilder::new(3, 1).build();
    let phish = testkit::mime(
        "ceo@evil.example",
        &upn(1),
        "Urgent wire",
        "Please wire today",
        "<phish-1@evil.example>",
        chrono::Utc::now(),
        true,
    );
    seed.timeline = vec![
        TimedEvent {
            offset_ms: 200,
            scenario: Some("phish-1".into()),
            action: TimedAction::DeliverMessage {
                recipients: vec![user_id(1), upn(2)],
                folder: "inbox".into(),
                mime: phish,
            },
        },
        TimedEvent {
            offset_ms: 400,
            scenario: Some("ato-1".into()),
            action: TimedAction::SignIn {
                sign_in: json!({"userId": user_id(2), "userPrincipalName": upn(2), "ipAddress": "203.0.113.66", "status": {"errorCode": 0}, "isInteractive": true, "location": {"countryOrRegion": "NG"}}),
            },
        },
        TimedEvent {
            offset_ms: 500,
            scenario: Some("ato-1".into()),
            action: TimedAction::CreateInboxRule {
                user_id: user_id(2),
                rule: json!({"displayName": ".", "sequence": 1, "isEnabled": true, "conditions": {"subjectContains": ["invoice"]}, "actions": {"moveToFolder": "Archive", "markAsRead": true}}),
            },
        },
        TimedEvent {
            offset_ms: 600,
            scenario: Some("ato-1".into()),
            action: TimedAction::AddAuthMethod {
                user_id: user_id(2),
                method: json!({"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "phoneNumber": "+234 8000000000", "phoneType": "alternateMobile"}),
            },
        },
        TimedEvent {
            offset_ms: 700,
            scenario: Some("ato-1".into()),
            action: TimedAction::ConsentApp {
                user_id: user_id(2),
                service_principal: json!({"appId": "99999999-0000-4000-8000-000000000099", "displayName": "PDF Viewer Pro"}),
                scopes: vec!["Mail.Read".into(), "offline_access".into()],
            },
        },
        TimedEvent {
            offset_ms: 800,
            scenario: None,
            action: TimedAction::SendMessage {
                user_id: user_id(0),
                recipients: vec![upn(1)],
                mime: testkit::mime(
                    &upn(0),
                    &upn(1),
                    "lunch?",
                    "12:30",
                    "<lunch@contoso.com>",
                    chrono::Utc::now(),
                    false,
                ),
            },
        },
    ];
    let cfg = SimConfig {
        live_speed: 2.0,
        play_timeline: true,
        ..common::fast()
    };
    let sim = Simulator::start(cfg, seed).await.unwrap();
    let t0 = sim.started_at();
    for _ in 0..60 {
        if sim.stats().timeline_events_applied == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let s = sim.stats();
    assert_eq!((s.timeline_events_applied, s.timeline_events_total), (6, 6));
    let phish_at = s.scenario_started_at["phish-1"];
    let ato_at = s.scenario_started_at["ato-1"];
    let ms = |t: chrono::DateTime<chrono::Utc>| (t - t0).num_milliseconds();
    assert!(
        (90..1500).contains(&ms(phish_at)),
        "offset 200 ms at 2x ≈ 100 ms, got {}",
        ms(phish_at)
    );
    assert!(ms(ato_at) >= 190 && ato_at > phish_at, "{}", ms(ato_at));
    // delivery: both recipients, analyzedEmails
    assert_eq!(
        sim.message_folder(&upn(1), "<phish-1@evil.example>")
            .as_deref(),
        Some("inbox")
    );
    assert_eq!(
        sim.message_folder(&upn(2), "<phish-1@evil.example>")
            .as_deref(),
        Some("inbox")
    );
    assert_eq!(
        sim.messages(&upn(1))
            .iter()
            .find(|m| m.internet_message_id == "<phish-1@evil.example>")
            .unwrap()
            .scenario
            .as_deref(),
        Some("phish-1")
    );
    assert_eq!(
        sim.analyzed_emails()
            .iter()
            .filter(|a| a["internetMessageId"] == "<phish-1@evil.example>")
            .count(),
        2
    );
    // send: sender's sent items + recipient's inbox
    assert_eq!(
        sim.message_folder(&upn(0), "<lunch@contoso.com>")
            .as_deref(),
        Some("sentitems")
    );
    assert_eq!(
        sim.message_folder(&upn(1), "<lunch@contoso.com>")
            .as_deref(),
        Some("inbox")
    );
    // rule, method, consent with their audit trails
    assert_eq!(sim.inbox_rules(&upn(2)).len(), 1);
    assert_eq!(sim.auth_methods(&upn(2)).len(), 4);
    let acts: Vec<String> = sim
        .directory_audits()
        .iter()
        .filter_map(|a| a["activityDisplayName"].as_str().map(str::to_string))
        .collect();
    for a in [
        "User registered security info",
        "Consent to application",
        "Add service principal",
    ] {
        assert!(acts.contains(&a.to_string()), "{a} in {acts:?}");
    }
    let ops: Vec<String> = sim
        .unified_audit()
        .iter()
        .filter_map(|a| a["Operation"].as_str().map(str::to_string))
        .collect();
    for o in ["New-InboxRule", "UserLoggedIn", "Consent to application."] {
        assert!(ops.contains(&o.to_string()), "{o} in {ops:?}");
    }
    let rule_rec = sim
        .unified_audit()
        .into_iter()
        .find(|r| r["Operation"] == "New-InboxRule")
        .unwrap();
    assert_eq!(
        rule_rec["ClientIP"], "203.0.113.66:0",
        "acts from the attacker's sign-in IP"
    );
    // the sign-in over Graph, stamped
    let g = common::G::new(&sim).await;
    let (_, v) = g
        .get(&format!(
            "/auditLogs/signIns?$filter=userId eq '{}'",
            user_id(2)
        ))
        .await;
    let newest = &v["value"][0];
    assert_eq!(newest["ipAddress"], "203.0.113.66");
    assert!(newest["id"].as_str().unwrap().len() == 36);
    let created =
        chrono::DateTime::parse_from_rfc3339(newest["createdDateTime"].as_str().unwrap()).unwrap();
    assert!(
        (created.with_timezone(&chrono::Utc) - t0)
            .num_seconds()
            .abs()
            < 5
    );
    // ground truth endpoint
    let gt: serde_json::Value = reqwest::get(format!("{}/_sim/ground-truth", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(gt["benign_users"].as_array().unwrap().len() == 3);
    let st: serde_json::Value = reqwest::get(format!("{}/_sim/stats", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["timeline_events_applied"], 6);
    sim.shutdown().await;
}

#[tokio::test]
async fn seed_history_is_rebased_onto_the_wall_clock() {
    let mut b = testkit::SeedBuilder::new(1, 2);
    b.anchor = chrono::Utc::now() - chrono::TimeDelta::days(400);
    let sim = Simulator::start(common::fast(), b.build()).await.unwrap();
    assert!(sim.seed_shift() > chrono::TimeDelta::days(399));
    let g = common::G::new(&sim).await;
    // without rebasing these sign-ins would be outside the 30-day retention
    let (_, v) = g.get("/auditLogs/signIns").await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let (_, m) = g
        .get(&format!(
            "/users/{}/messages?$select=receivedDateTime,sentDateTime",
            upn(0)
        ))
        .await;
    let r =
        chrono::DateTime::parse_from_rfc3339(m["value"][0]["receivedDateTime"].as_str().unwrap())
            .unwrap();
    let s = chrono::DateTime::parse_from_rfc3339(m["value"][0]["sentDateTime"].as_str().unwrap())
        .unwrap();
    assert!((chrono::Utc::now() - r.with_timezone(&chrono::Utc)).num_hours() < 2);
    assert!(s <= r);
    sim.shutdown().await;
}

#[tokio::test]
async fn attacker_rules_and_forwarding_act_on_new_mail_until_removed() {
    let sim = Simulator::start(common::fast(), testkit::SeedBuilder::new(2, 0).build())
        .await
        .unwrap();
    let u = upn(1);
    sim.apply(&TimedAction::CreateInboxRule { user_id: user_id(1), rule: json!({"displayName": "..", "sequence": 1, "isEnabled": true, "conditions": {"bodyOrSubjectContains": ["invoice"]}, "actions": {"moveToFolder": "Archive", "markAsRead": true, "forwardTo": [{"emailAddress": {"address": "x@evil.example"}}], "stopProcessingRules": true}}) }, Some("bec"));
    sim.apply(
        &TimedAction::SetHiddenForwarding {
            user_id: user_id(1),
            address: "y@evil.example".into(),
        },
        Some("bec"),
    );
    let now = chrono::Utc::now();
    sim.inject_message(
        &[&u],
        "inbox",
        &testkit::mime(
            "v@vendor.example",
            &u,
            "Invoice 42",
            "pay",
            "<inv-42@vendor.example>",
            now,
            false,
        ),
    );
    sim.inject_message(
        &[&u],
        "inbox",
        &testkit::mime(
            "v@vendor.example",
            &u,
            "Lunch",
            "food",
            "<lunch-1@vendor.example>",
            now,
            false,
        ),
    );
    let msgs = sim.messages(&u);
    let inv = msgs
        .iter()
        .find(|m| m.internet_message_id == "<inv-42@vendor.example>")
        .unwrap();
    assert_eq!(inv.folder, "archive");
    assert!(inv.is_read);
    assert_eq!(
        sim.message_folder(&u, "<lunch-1@vendor.example>")
            .as_deref(),
        Some("inbox")
    );
    let f = sim.forwards();
    assert!(f.iter().any(|r| r.via == "rule:.."
        && r.to == vec!["x@evil.example".to_string()]
        && r.internet_message_id == "<inv-42@vendor.example>"));
    assert_eq!(f.iter().filter(|r| r.via == "mailbox").count(), 2);
    // Ward removes the rule: the next invoice stays in the inbox.
    let g = common::G::new(&sim).await;
    let rid = sim.inbox_rules(&u)[0]["id"].as_str().unwrap().to_string();
    let (st, _) = g
        .req(
            reqwest::Method::DELETE,
            &format!("/users/{u}/mailFolders/inbox/messageRules/{rid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 204);
    sim.inject_message(
        &[&u],
        "inbox",
        &testkit::mime(
            "v@vendor.example",
            &u,
            "Invoice 43",
            "pay",
            "<inv-43@vendor.example>",
            now,
            false,
        ),
    );
    assert_eq!(
        sim.message_folder(&u, "<inv-43@vendor.example>").as_deref(),
        Some("inbox")
    );
    sim.shutdown().await;
}
