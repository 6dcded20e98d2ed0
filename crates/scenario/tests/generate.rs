//! Behaviour of the generator: determinism, shapes, real MIME, scenario contents.

use std::collections::BTreeSet;
use std::time::Instant;

use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;
use ward_scenario::{
    ScenarioConfig, TenantSeed, TimedAction, export_ground_truth, generate, live_events,
};

fn cfg(seed: u64) -> ScenarioConfig {
    ScenarioConfig {
        seed,
        ..Default::default()
    }
}

fn all_mimes(s: &TenantSeed) -> Vec<(String, bool, Vec<u8>)> {
    // (where, inbound?, mime)
    let mut v = Vec::new();
    for (uid, mb) in &s.mailboxes {
        for m in &mb.messages {
            v.push((
                format!("{uid}/{}", m.folder),
                m.folder != "sentitems",
                m.mime.clone(),
            ));
        }
    }
    for e in &s.timeline {
        match &e.action {
            TimedAction::DeliverMessage { mime, .. } => {
                v.push((format!("timeline@{}", e.offset_ms), true, mime.clone()))
            }
            TimedAction::SendMessage { mime, .. } => {
                v.push((format!("timeline-send@{}", e.offset_ms), true, mime.clone()))
            }
            _ => {}
        }
    }
    v
}

#[test]
fn same_seed_same_bytes_different_seed_different_company() {
    let a = serde_json::to_vec(&generate(&cfg(7))).unwrap_or_default();
    let b = serde_json::to_vec(&generate(&cfg(7))).unwrap_or_default();
    assert!(a.len() > 10_000);
    assert_eq!(a, b, "same seed must give byte-identical output");
    let s1 = generate(&cfg(7));
    let s2 = generate(&cfg(8));
    assert_ne!(s1.tenant_id, s2.tenant_id);
    assert_ne!(
        s1.users[0]["userPrincipalName"],
        s2.users[0]["userPrincipalName"]
    );
    let live1 = serde_json::to_vec(&live_events(&cfg(7), 60_000, 30, 20)).unwrap_or_default();
    let live2 = serde_json::to_vec(&live_events(&cfg(7), 60_000, 30, 20)).unwrap_or_default();
    assert_eq!(live1, live2);
}

#[test]
fn company_users_and_mailboxes_have_graph_shapes() {
    let s = generate(&cfg(42));
    assert_eq!(s.users.len(), 50);
    assert!(s.initial_domain.ends_with(".onmicrosoft.com"));
    assert_eq!(
        s.accepted_domains[0],
        s.users[0]["userPrincipalName"]
            .as_str()
            .unwrap_or("")
            .split('@')
            .nth(1)
            .unwrap_or("x")
    );
    let mut upns = BTreeSet::new();
    for u in &s.users {
        let id = u["id"].as_str().unwrap_or("");
        assert_eq!(id.len(), 36, "GUID id");
        assert!(
            upns.insert(u["userPrincipalName"].as_str().unwrap_or("").to_string()),
            "unique UPN"
        );
        for k in [
            "displayName",
            "givenName",
            "surname",
            "jobTitle",
            "department",
            "officeLocation",
            "usageLocation",
            "createdDateTime",
            "mail",
        ] {
            assert!(u[k].is_string(), "user.{k}");
        }
        assert!(
            u["proxyAddresses"][0]
                .as_str()
                .unwrap_or("")
                .starts_with("SMTP:")
        );
        assert!(s.mailboxes.contains_key(id), "every user has a mailbox");
        assert!(
            s.auth_methods.get(id).is_some_and(|m| m.len() >= 2),
            "password + MFA method"
        );
    }
    let titles: BTreeSet<&str> = s
        .users
        .iter()
        .filter_map(|u| u["jobTitle"].as_str())
        .collect();
    assert!(
        titles.contains("Chief Executive Officer")
            && titles.contains("Chief Financial Officer")
            && titles.contains("Accounts Payable Clerk")
    );
    assert!(
        s.users
            .iter()
            .skip(1)
            .all(|u| u["manager"]["id"].is_string())
    );
    let total: usize = s.mailboxes.values().map(|m| m.messages.len()).sum();
    // ~6 received per user per day for 7 days, plus sent items.
    assert!(
        total > 50 * 7 * 4 && total < 50 * 7 * 20,
        "message volume {total}"
    );
    assert!(
        s.mailboxes
            .values()
            .filter(|m| m.messages.is_empty())
            .count()
            < 3
    );
    assert!(s.sign_ins.len() > 200);
    assert!(
        s.sign_ins.iter().any(|x| x["status"]["errorCode"] == 50126),
        "occasional wrong password"
    );
    assert!(
        s.mailboxes
            .values()
            .any(|m| m.inbox_rules.iter().any(|r| r["displayName"] == "Vendors"))
    );
    assert!(s.mailboxes.values().any(|m| {
        m.inbox_rules
            .iter()
            .any(|r| r["displayName"] == "Newsletters")
    }));
    assert_eq!(s.conditional_access_policies.len(), 2);
    assert!(
        s.conditional_access_policies
            .iter()
            .any(|p| p["state"] == "enabledForReportingButNotEnforced")
    );
    assert_eq!(s.registration_details.len(), 50);
    assert!(
        s.service_principals
            .iter()
            .any(|p| p["displayName"] == "Zoom")
    );
    assert!(
        s.service_principals
            .iter()
            .any(|p| p["appId"] == "00000003-0000-0000-c000-000000000000")
    );
    assert!(!s.app_role_assigned_to.is_empty());
    assert!(!s.analyzed_emails.is_empty());
    assert!(
        s.unified_audit
            .iter()
            .any(|r| r["Operation"] == "UserLoggedIn")
    );
    for r in &s.unified_audit {
        let t = r["CreationTime"].as_str().unwrap_or("Z");
        assert!(!t.ends_with('Z') && t.len() == 19, "CreationTime {t}");
    }
    let anchor = s.anchor.format("%Y-%m-%dT%H:%M:%S").to_string();
    assert!(
        s.sign_ins
            .iter()
            .all(|x| x["createdDateTime"].as_str().unwrap_or("") < anchor.as_str())
    );
    for mb in s.mailboxes.values() {
        assert!(mb.messages.iter().all(|m| m.received < s.anchor));
    }
}

#[test]
fn every_message_is_real_mime_with_exchange_headers() {
    let s = generate(&cfg(3));
    let mimes = all_mimes(&s);
    assert!(mimes.len() > 1000);
    let mut with_attachments = 0;
    let mut replies = 0;
    let mut calendars = 0;
    let mut newsletters = 0;
    for (where_, inbound, mime) in &mimes {
        let text = std::str::from_utf8(mime).unwrap_or_else(|_| panic!("{where_}: not UTF-8"));
        assert!(text.is_ascii(), "{where_}: MIME is 7-bit");
        let msg = MessageParser::default()
            .parse(mime.as_slice())
            .unwrap_or_else(|| panic!("{where_}: unparsable"));
        assert!(msg.message_id().is_some(), "{where_}: Message-ID");
        assert!(msg.from().is_some(), "{where_}: From");
        assert!(msg.date().is_some(), "{where_}: Date");
        if *inbound {
            let ar = msg
                .header_raw("Authentication-Results")
                .unwrap_or_else(|| panic!("{where_}: Authentication-Results"));
            assert!(ar.contains("dmarc="), "{where_}");
            let auth_as = msg
                .header_raw("X-MS-Exchange-Organization-AuthAs")
                .unwrap_or("")
                .trim()
                .to_string();
            if text.contains("X-MS-Exchange-Organization-MessageDirectionality: Incoming") {
                assert_eq!(auth_as, "Anonymous");
                assert!(ar.contains("compauth="), "{where_}");
                assert!(msg.header_raw("Received-SPF").is_some(), "{where_}");
                assert!(text.contains(".mail.protection.outlook.com"), "{where_}");
            } else {
                assert_eq!(auth_as, "Internal");
            }
            assert!(msg.header_raw("X-MS-Exchange-CrossTenant-Id").is_some());
            assert!(msg.header_raw("X-MS-Has-Attach").is_some());
        }
        if msg.attachments().next().is_some() {
            with_attachments += 1;
        }
        if msg.header_raw("In-Reply-To").is_some() {
            replies += 1;
        }
        if text.contains("text/calendar") {
            calendars += 1;
        }
        if msg.header_raw("List-Unsubscribe").is_some() {
            newsletters += 1;
        }
    }
    assert!(
        with_attachments > 5 && replies > 20 && calendars > 10 && newsletters > 10,
        "{with_attachments} {replies} {calendars} {newsletters}"
    );

    // A vendor invoice carries a structurally valid PDF.
    let (_, _, inv) = mimes
        .iter()
        .find(|(_, _, m)| String::from_utf8_lossy(m).contains("application/pdf"))
        .cloned()
        .unwrap_or_default();
    let msg = MessageParser::default()
        .parse(inv.as_slice())
        .unwrap_or_default();
    let att = msg
        .attachments()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".pdf")))
        .map(|a| a.contents().to_vec())
        .unwrap_or_default();
    assert!(att.starts_with(b"%PDF-1.4") && att.ends_with(b"%%EOF\n"));
}

fn truth<'a>(s: &'a TenantSeed, kind: &str) -> &'a ward_scenario::ScenarioTruth {
    s.ground_truth
        .scenarios
        .iter()
        .find(|t| t.kind == kind)
        .unwrap_or_else(|| panic!("missing scenario {kind}"))
}

fn scenario_mime(s: &TenantSeed, id: &str) -> Vec<u8> {
    s.timeline
        .iter()
        .filter(|e| e.scenario.as_deref() == Some(id))
        .find_map(|e| match &e.action {
            TimedAction::DeliverMessage { mime, .. } | TimedAction::SendMessage { mime, .. } => {
                Some(mime.clone())
            }
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn every_scenario_has_events_and_truth() {
    let s = generate(&cfg(42));
    let kinds = [
        "credential_phishing",
        "ceo_fraud",
        "vendor_fraud",
        "qr_phishing",
        "html_smuggling",
        "account_takeover",
        "mfa_fatigue",
    ];
    assert_eq!(s.ground_truth.scenarios.len(), kinds.len());
    let user_ids: BTreeSet<&str> = s.users.iter().filter_map(|u| u["id"].as_str()).collect();
    let mut targeted = BTreeSet::new();
    for k in kinds {
        let t = truth(&s, k);
        let events: Vec<_> = s
            .timeline
            .iter()
            .filter(|e| e.scenario.as_deref() == Some(t.id.as_str()))
            .collect();
        assert!(!events.is_empty(), "{k}: events");
        assert_eq!(
            events.iter().map(|e| e.offset_ms).min(),
            Some(t.start_offset_ms),
            "{k}: start offset"
        );
        assert!(
            events.iter().all(|e| e.offset_ms <= 60_000),
            "{k}: within 60 s"
        );
        assert!(!t.target_users.is_empty(), "{k}: targets");
        assert!(t.target_users.iter().all(|u| user_ids.contains(u.as_str())));
        for mid in &t.internet_message_ids {
            let found = events.iter().any(|e| match &e.action {
                TimedAction::DeliverMessage { mime, .. }
                | TimedAction::SendMessage { mime, .. } => {
                    String::from_utf8_lossy(mime).contains(&format!("Message-ID: {mid}"))
                }
                _ => false,
            });
            assert!(found, "{k}: message {mid} in the timeline");
        }
        targeted.extend(t.target_users.iter().cloned());
    }
    let benign: BTreeSet<String> = s.ground_truth.benign_users.iter().cloned().collect();
    assert!(benign.is_disjoint(&targeted));
    assert_eq!(benign.len() + targeted.len(), 50);
    assert!(benign.len() >= 25, "enough benign users: {}", benign.len());
    assert!(truth(&s, "credential_phishing").target_users.len() >= 10);
    // The timeline is sorted and mixes in background traffic.
    assert!(
        s.timeline
            .windows(2)
            .all(|w| w[0].offset_ms <= w[1].offset_ms)
    );
    assert!(s.timeline.iter().filter(|e| e.scenario.is_none()).count() >= 10);

    // Credential phishing: lookalike, Microsoft-branded name, failing compauth.
    let cp = String::from_utf8_lossy(&scenario_mime(&s, &truth(&s, "credential_phishing").id))
        .to_string();
    assert!(cp.contains("From: Microsoft 365 Security <no-reply@"));
    assert!(cp.contains("compauth=fail") && cp.contains("dmarc=none"));
    assert!(cp.contains(&truth(&s, "credential_phishing").artifacts["urls"][0][..40]));

    // CEO fraud: CEO's name on a freemail address, Reply-To to another freemail, no link.
    let ceo = s.users[0]["displayName"].as_str().unwrap_or("?");
    let cf = scenario_mime(&s, "ceo-fraud-1");
    let msg = MessageParser::default()
        .parse(cf.as_slice())
        .unwrap_or_default();
    let from = msg.from().and_then(|a| a.first());
    assert_eq!(from.and_then(|f| f.name.as_deref()), Some(ceo));
    assert!(
        from.and_then(|f| f.address.as_deref())
            .unwrap_or("")
            .ends_with("@gmail.com")
    );
    let rt = msg
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address.clone())
        .unwrap_or_default();
    assert!(rt.ends_with("@outlook.com"));
    assert!(!String::from_utf8_lossy(&cf).contains("https://"));

    // Vendor fraud: one-edit lookalike of a real vendor domain, thread reply, valid IBAN.
    let vf = truth(&s, "vendor_fraud");
    let fake = &vf.artifacts["sender_domains"][0];
    let real = &vf.artifacts["impersonated_domains"][0];
    assert_ne!(fake, real);
    assert!(edit_distance(fake, real) <= 2, "{fake} vs {real}");
    let iban = &vf.artifacts["iban"][0];
    assert!(iban_valid(iban), "IBAN {iban}");
    let vm = String::from_utf8_lossy(&scenario_mime(&s, "vendor-fraud-1")).to_string();
    assert!(vm.contains("In-Reply-To: <") && vm.contains(iban.as_str()));

    // ATO: spray, legacy sign-in abroad on hosting, rule, MFA method, internal phish, consent.
    let ato = truth(&s, "account_takeover");
    let ev: Vec<_> = s
        .timeline
        .iter()
        .filter(|e| e.scenario.as_deref() == Some("ato-1"))
        .collect();
    let sprays = ev.iter().filter(|e| matches!(&e.action, TimedAction::SignIn { sign_in } if sign_in["status"]["errorCode"] == 50126)).count();
    assert!(sprays >= 9);
    let spray_ips: BTreeSet<&str> = ev
        .iter()
        .filter_map(|e| match &e.action {
            TimedAction::SignIn { sign_in } if sign_in["status"]["errorCode"] == 50126 => {
                sign_in["ipAddress"].as_str()
            }
            _ => None,
        })
        .collect();
    assert_eq!(spray_ips.len(), 1, "one spray IP");
    let imap = ev
        .iter()
        .find_map(|e| match &e.action {
            TimedAction::SignIn { sign_in } if sign_in["clientAppUsed"] == "IMAP4" => {
                Some(sign_in.clone())
            }
            _ => None,
        })
        .unwrap_or(Value::Null);
    assert_eq!(imap["status"]["errorCode"], 0);
    assert_eq!(imap["authenticationProtocol"], "ropc");
    assert_ne!(
        imap["location"]["countryOrRegion"],
        s.users[0]["usageLocation"]
    );
    assert!(ev.iter().any(|e| matches!(&e.action, TimedAction::CreateInboxRule { rule, .. } if rule["displayName"] == "." && rule["actions"]["forwardTo"][0]["emailAddress"]["address"].is_string())));
    assert!(ev.iter().any(|e| matches!(&e.action, TimedAction::AddAuthMethod { method, .. } if method["@odata.type"] == "#microsoft.graph.phoneAuthenticationMethod")));
    assert!(ev.iter().any(|e| matches!(&e.action, TimedAction::ConsentApp { scopes, .. } if scopes.iter().any(|x| x == "Mail.ReadWrite") && scopes.iter().any(|x| x == "offline_access"))));
    assert!(
        ev.iter()
            .any(|e| matches!(&e.action, TimedAction::SendMessage { .. }))
    );
    let ops: BTreeSet<String> = ev
        .iter()
        .filter_map(|e| match &e.action {
            TimedAction::UnifiedAudit { record } => record["Operation"].as_str().map(String::from),
            _ => None,
        })
        .collect();
    for op in [
        "New-InboxRule",
        "Consent to application.",
        "UserLoginFailed",
        "UserLoggedIn",
        "MailItemsAccessed",
    ] {
        assert!(ops.contains(op), "ATO unified audit {op}");
    }
    let acts: BTreeSet<String> = ev
        .iter()
        .filter_map(|e| match &e.action {
            TimedAction::DirectoryAudit { audit } => {
                audit["activityDisplayName"].as_str().map(String::from)
            }
            _ => None,
        })
        .collect();
    assert!(
        acts.contains("Consent to application") && acts.contains("User registered security info")
    );
    for k in [
        "attacker_ips",
        "inbox_rules",
        "auth_method_ids",
        "app_ids",
        "forwarding_addresses",
        "compromised_users",
    ] {
        assert!(
            ato.artifacts.get(k).is_some_and(|v| !v.is_empty()),
            "ato artifact {k}"
        );
    }
    let nu = ev
        .iter()
        .find_map(|e| match &e.action {
            TimedAction::UnifiedAudit { record } if record["Operation"] == "New-InboxRule" => {
                Some(record.clone())
            }
            _ => None,
        })
        .unwrap_or(Value::Null);
    let params: BTreeSet<&str> = nu["Parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["Name"].as_str()).collect())
        .unwrap_or_default();
    assert!(params.contains("ForwardTo") && params.contains("DeleteMessage"));

    // MFA fatigue: repeated 500121 denials then success.
    let mf: Vec<i64> = s
        .timeline
        .iter()
        .filter(|e| e.scenario.as_deref() == Some("mfa-fatigue-1"))
        .filter_map(|e| match &e.action {
            TimedAction::SignIn { sign_in } => sign_in["status"]["errorCode"].as_i64(),
            _ => None,
        })
        .collect();
    assert!(mf.iter().filter(|&&c| c == 500121).count() >= 5);
    assert_eq!(mf.last(), Some(&0));

    // Ground truth exports as JSON and reads back.
    let json = export_ground_truth(&s.ground_truth);
    let back: ward_scenario::GroundTruth = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(back.scenarios.len(), 7);
}

#[test]
fn qr_code_decodes_to_the_phishing_url() {
    let s = generate(&cfg(5));
    let t = truth(&s, "qr_phishing");
    let mime = scenario_mime(&s, &t.id);
    let msg = MessageParser::default()
        .parse(mime.as_slice())
        .unwrap_or_default();
    let png = msg
        .attachments()
        .find(|a| a.attachment_name() == Some("image001.png"))
        .map(|a| a.contents().to_vec())
        .unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "inline PNG present");
    let img = image::load_from_memory(&png)
        .map(|i| i.to_luma8())
        .unwrap_or_default();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        img.get_pixel(x as u32, y as u32).0[0]
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let content = grids[0].decode().map(|(_, c)| c).unwrap_or_default();
    assert_eq!(content, t.artifacts["urls"][0]);
    assert!(content.starts_with("https://"));
    let text = String::from_utf8_lossy(&mime);
    assert!(text.contains("Scan to re-validate your MFA"));
}

#[test]
fn html_smuggling_attachment_assembles_a_blob() {
    let s = generate(&cfg(5));
    let t = truth(&s, "html_smuggling");
    let mime = scenario_mime(&s, &t.id);
    let msg = MessageParser::default()
        .parse(mime.as_slice())
        .unwrap_or_default();
    let html = msg
        .attachments()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".html")))
        .map(|a| String::from_utf8_lossy(a.contents()).to_string())
        .unwrap_or_default();
    assert!(html.contains("atob(") && html.contains("new Blob(") && html.contains(".download"));
    assert!(html.contains(&format!("action=\"{}\"", t.artifacts["urls"][0])));
}

#[test]
fn live_events_are_background_traffic() {
    let c = cfg(9);
    let ev = live_events(&c, 120_000, 60, 50);
    assert_eq!(ev.len(), 50);
    assert!(
        ev.iter()
            .all(|e| e.scenario.is_none() && e.offset_ms >= 120_000)
    );
    assert!(ev.windows(2).all(|w| w[0].offset_ms <= w[1].offset_ms));
    assert!(
        ev.iter()
            .any(|e| matches!(e.action, TimedAction::DeliverMessage { .. }))
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e.action, TimedAction::SignIn { .. }))
    );
    let other = live_events(&c, 180_000, 60, 50);
    assert_ne!(
        serde_json::to_vec(&ev).unwrap_or_default(),
        serde_json::to_vec(&other).unwrap_or_default()
    );
}

#[test]
fn small_and_quiet_configs_work() {
    let s = generate(&ScenarioConfig {
        seed: 1,
        users: 3,
        history_days: 1,
        ..Default::default()
    });
    assert_eq!(s.users.len(), 10);
    assert_eq!(s.ground_truth.scenarios.len(), 7);
    assert!(!s.ground_truth.benign_users.is_empty());
    let q = generate(&ScenarioConfig {
        seed: 1,
        attacks: false,
        background_events_per_min: 0,
        ..Default::default()
    });
    assert!(q.timeline.is_empty() && q.ground_truth.scenarios.is_empty());
    assert_eq!(q.ground_truth.benign_users.len(), 50);
    let bare = generate(&ScenarioConfig {
        seed: 1,
        explicit_audit_events: false,
        ..Default::default()
    });
    assert!(!bare.timeline.iter().any(|e| matches!(
        e.action,
        TimedAction::DirectoryAudit { .. } | TimedAction::UnifiedAudit { .. }
    )));
    assert!(
        bare.timeline
            .iter()
            .any(|e| matches!(e.action, TimedAction::CreateInboxRule { .. }))
    );
    let slow = generate(&ScenarioConfig {
        seed: 1,
        attack_time_scale: 10.0,
        background_events_per_min: 0,
        ..Default::default()
    });
    assert!(slow.timeline.iter().map(|e| e.offset_ms).max().unwrap_or(0) > 400_000);
}

#[test]
fn thousand_users_generate_quickly() {
    let t0 = Instant::now();
    let s = generate(&ScenarioConfig {
        seed: 11,
        users: 1000,
        ..Default::default()
    });
    let dt = t0.elapsed();
    let msgs: usize = s.mailboxes.values().map(|m| m.messages.len()).sum();
    let bytes: usize = s
        .mailboxes
        .values()
        .flat_map(|m| m.messages.iter().map(|x| x.mime.len()))
        .sum();
    eprintln!(
        "1000 users: {:?}, {msgs} messages, {} MB MIME, {} sign-ins, {} analyzedEmails, {} UAL",
        dt,
        bytes / 1_000_000,
        s.sign_ins.len(),
        s.analyzed_emails.len(),
        s.unified_audit.len()
    );
    assert_eq!(s.mailboxes.len(), 1000);
    // Generous for unoptimised test builds on a shared 2-core box; release is far faster.
    assert!(dt.as_secs() < 60, "took {dt:?}");
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            cur[j] = (prev[j] + 1)
                .min(cur[j - 1] + 1)
                .min(prev[j - 1] + usize::from(a[i - 1] != b[j - 1]));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn iban_valid(iban: &str) -> bool {
    if iban.len() < 15 || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let r = format!("{}{}", &iban[4..], &iban[..4]);
    let mut rem: u64 = 0;
    for c in r.chars() {
        let s = if c.is_ascii_digit() {
            c.to_string()
        } else {
            (c as u64 - 'A' as u64 + 10).to_string()
        };
        for d in s.chars() {
            rem = (rem * 10 + u64::from(d as u8 - b'0')) % 97;
        }
    }
    rem == 1
}

#[test]
fn config_without_new_fields_deserializes_with_defaults() {
    let c: ScenarioConfig = serde_json::from_str(
        r#"{"seed":5,"users":20,"history_days":2,"anchor":"2026-11-18T11:06:40Z","attacks":false}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.users, 20);
    assert!((c.messages_per_user_per_day - 6.0).abs() < f64::EPSILON);
    assert!((c.attack_time_scale - 1.0).abs() < f64::EPSILON);
    assert_eq!(c.background_events_per_min, 20);
    assert!(c.explicit_audit_events);
}
