//! Mail over Graph: message shapes vs Microsoft's example, paging, MIME, attachments, move/copy
//! ids, delete semantics, filters, delta, rules, mailbox settings.

mod common;

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use ward_sim::testkit::{self, upn, user_id};

/// Microsoft's example bodies live in `shared/` beside the repository (`WARD_SHARED_DIR`
/// overrides; `/work/shared` is the fallback for worktrees).
fn example(path: &str) -> Option<Value> {
    let beside_repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let roots = [
        std::env::var("WARD_SHARED_DIR")
            .ok()
            .map(std::path::PathBuf::from),
        Some(beside_repo),
        Some("/work/shared".into()),
    ];
    roots
        .into_iter()
        .flatten()
        .map(|r| r.join("graph-examples").join(path))
        .find_map(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| serde_json::from_str(&s).ok())
}

#[tokio::test]
async fn message_shape_matches_microsofts_example_key_set() {
    let sim = common::start(common::fast(), 1, 3).await;
    let g = common::G::new(&sim).await;
    let (st, list) = g.get(&format!("/users/{}/messages?$top=1", upn(0))).await;
    assert_eq!(st, 200);
    let id = list["value"][0]["id"].as_str().unwrap().to_string();
    let (st, msg) = g.get(&format!("/users/{}/messages/{id}", upn(0))).await;
    assert_eq!(st, 200, "{msg}");
    let ours: BTreeSet<String> = msg.as_object().unwrap().keys().cloned().collect();
    let Some(ex) = example("mail/message-get.response.json") else {
        eprintln!("skipping key-set comparison: /work/shared/graph-examples not present");
        return;
    };
    let theirs: BTreeSet<String> = ex.as_object().unwrap().keys().cloned().collect();
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "missing keys vs Microsoft example: {missing:?}"
    );
    // Extra keys must be documented v1.0 message properties returned by default.
    let extra: Vec<_> = ours
        .difference(&theirs)
        .filter(|k| *k != "conversationIndex")
        .collect();
    assert!(extra.is_empty(), "unexpected extra keys: {extra:?}");
    // Types of the shared fields match the example's.
    for k in &theirs {
        let kind = |v: &Value| {
            std::mem::discriminant(&match v {
                Value::Null => Value::Null,
                Value::Number(_) => json!(0),
                other => other.clone(),
            })
        };
        if !ex[k].is_null() && !msg[k].is_null() {
            assert!(kind(&ex[k]) == kind(&msg[k]), "type of {k}");
        }
    }
    assert_eq!(msg["body"]["contentType"], "html");
    assert!(
        msg["internetMessageId"]
            .as_str()
            .unwrap()
            .starts_with("<seed-0-")
    );
    assert!(
        msg["internetMessageHeaders"].is_null(),
        "headers only when selected"
    );
    assert_eq!(msg["from"]["emailAddress"]["name"], "Sender");
    // $select=internetMessageHeaders
    let (_, h) = g
        .get(&format!(
            "/users/{}/messages/{id}?$select=internetMessageHeaders,subject",
            upn(0)
        ))
        .await;
    let hs = h["internetMessageHeaders"]
        .as_array()
        .expect("headers selected");
    assert!(hs.iter().any(|x| x["name"] == "Authentication-Results"));
    assert!(h.get("body").is_none());
    // text body preference
    let (_, tb) = g
        .req(
            Method::GET,
            &format!("/users/{}/messages/{id}?$select=body", upn(0)),
            None,
            &[("Prefer", "outlook.body-content-type=\"text\"")],
        )
        .await;
    assert_eq!(tb["body"]["contentType"], "text");
    sim.shutdown().await;
}

#[tokio::test]
async fn paging_value_and_attachments() {
    let sim = common::start(common::fast(), 1, 7).await;
    let g = common::G::new(&sim).await;
    let mut url = format!(
        "/users/{}/messages?$top=3&$select=subject,hasAttachments",
        upn(0)
    );
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let (st, v) = g.get(&url).await;
        assert_eq!(st, 200, "{v}");
        assert!(
            v["@odata.context"]
                .as_str()
                .unwrap()
                .contains("$metadata#users")
        );
        seen += v["value"].as_array().unwrap().len();
        pages += 1;
        match v["@odata.nextLink"].as_str() {
            Some(n) => {
                assert!(n.starts_with(sim.base_url()), "absolute nextLink");
                assert!(n.contains("%24skip=") || n.contains("$skip="));
                url = n.to_string();
            }
            None => break,
        }
    }
    assert_eq!((seen, pages), (7, 3));
    // Default page is 10, $top over 1000 is clamped, $top=0 rejected.
    let (st, _) = g.get(&format!("/users/{}/messages?$top=0", upn(0))).await;
    assert_eq!(st, 400);
    // Attachments and MIME
    let (_, v) = g
        .get(&format!(
            "/users/{}/messages?$filter=hasAttachments eq true&$select=id",
            upn(0)
        ))
        .await;
    let with = v["value"].as_array().unwrap();
    assert_eq!(with.len(), 4);
    let mid = with[0]["id"].as_str().unwrap();
    let (st, atts) = g
        .get(&format!("/users/{}/messages/{mid}/attachments", upn(0)))
        .await;
    assert_eq!(st, 200);
    let a = &atts["value"][0];
    assert_eq!(a["@odata.type"], "#microsoft.graph.fileAttachment");
    assert_eq!(a["name"], "invoice.pdf");
    assert_eq!(a["contentType"], "application/pdf");
    assert!(a["contentBytes"].as_str().unwrap().starts_with("JVBERi0"));
    let raw = reqwest::Client::new()
        .get(g.url(&format!(
            "/users/{}/messages/{mid}/attachments/{}/$value",
            upn(0),
            a["id"].as_str().unwrap()
        )))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert!(raw.bytes().await.unwrap().starts_with(b"%PDF-1.4"));
    let mime = reqwest::Client::new()
        .get(g.url(&format!("/users/{}/messages/{mid}/$value", upn(0))))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(mime.status(), 200);
    let text = mime.text().await.unwrap();
    assert!(text.contains("Authentication-Results:") && text.contains("Message-ID: <seed-0-"));
    sim.shutdown().await;
}

#[tokio::test]
async fn filters_search_and_inefficient_filter() {
    let sim = common::start(common::fast(), 1, 6).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    let imid = testkit::message_id(0, 2);
    let enc = imid
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace('@', "%40");
    let (st, v) = g.get(&format!("/users/{u}/messages?$filter=internetMessageId eq '{enc}'&$select=id,parentFolderId,subject")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    assert_eq!(v["value"][0]["subject"], "Quarterly report 2");
    let (st, v) = g
        .get(&format!(
            "/users/{u}/messages?$filter=isRead eq false&$orderby=receivedDateTime desc"
        ))
        .await;
    assert_eq!(st, 400);
    assert_eq!(v["error"]["code"], "InefficientFilter");
    let (st, _) = g.get(&format!("/users/{u}/messages?$filter=receivedDateTime ge 2000-01-01T00:00:00Z and isRead eq false&$orderby=receivedDateTime desc")).await;
    assert_eq!(st, 200);
    let (st, v) = g
        .get(&format!("/users/{u}/messages?$search=\"subject:report 3\""))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let (st, _) = g
        .get(&format!(
            "/users/{u}/messages?$search=\"report\"&$filter=isRead eq true"
        ))
        .await;
    assert_eq!(st, 400);
    let (st, v) = g
        .get(&format!("/users/{u}/messages?$filter=subject eq"))
        .await;
    assert_eq!(st, 400, "{v}");
    sim.shutdown().await;
}

#[tokio::test]
async fn move_copy_delete_permanent_delete_and_side_effects() {
    let sim = common::start(common::fast(), 1, 3).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    let imid = testkit::message_id(0, 0);
    let enc = imid
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace('@', "%40");
    let (_, v) = g
        .get(&format!(
            "/users/{u}/messages?$filter=internetMessageId eq '{enc}'&$select=id"
        ))
        .await;
    let id = v["value"][0]["id"].as_str().unwrap().to_string();
    // move to junk: 201, new id, old id 404
    let (st, moved) = g
        .req(
            Method::POST,
            &format!("/users/{u}/messages/{id}/move"),
            Some(json!({"destinationId": "junkemail"})),
            &[],
        )
        .await;
    assert_eq!(st, 201, "{moved}");
    let new_id = moved["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, id);
    let (st, e) = g.get(&format!("/users/{u}/messages/{id}")).await;
    assert_eq!(st, 404);
    assert_eq!(e["error"]["code"], "ErrorItemNotFound");
    assert!(e["error"]["innerError"]["request-id"].is_string());
    assert_eq!(sim.message_folder(&u, &imid).as_deref(), Some("junkemail"));
    let ae = sim.analyzed_emails();
    let rec = ae
        .iter()
        .find(|a| a["internetMessageId"] == imid.as_str())
        .expect("analyzedEmail for the copy");
    assert_eq!(rec["latestDelivery"]["location"], "junkFolder");
    assert_eq!(rec["originalDelivery"]["location"], "inbox_folder");
    // immutable ids survive a move
    let (st, im) = g
        .req(
            Method::GET,
            &format!("/users/{u}/messages/{new_id}?$select=id"),
            None,
            &[("Prefer", "IdType=\"ImmutableId\"")],
        )
        .await;
    assert_eq!(st, 200);
    let imm = im["id"].as_str().unwrap().to_string();
    let (st, moved2) = g
        .req(
            Method::POST,
            &format!("/users/{u}/messages/{imm}/move"),
            Some(json!({"destinationId": "inbox"})),
            &[("Prefer", "IdType=\"ImmutableId\"")],
        )
        .await;
    assert_eq!(st, 201);
    assert_eq!(moved2["id"], imm.as_str());
    // folder create + duplicate
    let (st, f) = g
        .req(
            Method::POST,
            &format!("/users/{u}/mailFolders"),
            Some(json!({"displayName": "Quarantine", "isHidden": true})),
            &[],
        )
        .await;
    assert_eq!(st, 201, "{f}");
    assert_eq!(f["isHidden"], true);
    let (st, e) = g
        .req(
            Method::POST,
            &format!("/users/{u}/mailFolders"),
            Some(json!({"displayName": "quarantine"})),
            &[],
        )
        .await;
    assert_eq!(st, 409);
    assert_eq!(e["error"]["code"], "ErrorFolderExists");
    let (_, fl) = g.get(&format!("/users/{u}/mailFolders")).await;
    assert!(
        !fl["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["displayName"] == "Quarantine"),
        "hidden folder not listed by default"
    );
    let (_, fl) = g
        .get(&format!("/users/{u}/mailFolders?includeHiddenFolders=true"))
        .await;
    assert!(
        fl["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["displayName"] == "Quarantine")
    );
    // copy, PATCH categories
    let (st, c) = g
        .req(
            Method::POST,
            &format!("/users/{u}/messages/{imm}/copy"),
            Some(json!({"destinationId": f["id"]})),
            &[],
        )
        .await;
    assert_eq!(st, 201);
    let (st, p) = g
        .req(
            Method::PATCH,
            &format!("/users/{u}/messages/{}", c["id"].as_str().unwrap()),
            Some(json!({"categories": ["Phish-Suspected"], "isRead": true})),
            &[],
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(p["categories"], json!(["Phish-Suspected"]));
    // soft delete → recoverable items, not listed; permanentDelete → gone
    let (st, _) = g
        .req(
            Method::DELETE,
            &format!("/users/{u}/messages/{imm}"),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 204);
    let copies: Vec<String> = sim
        .messages(&u)
        .into_iter()
        .filter(|m| m.internet_message_id == imid)
        .map(|m| m.folder)
        .collect();
    assert!(
        copies.contains(&"Quarantine".to_string())
            && copies.contains(&"recoverableitemsdeletions".to_string()),
        "{copies:?}"
    );
    let (_, all) = g
        .get(&format!(
            "/users/{u}/messages?$top=50&$select=internetMessageId"
        ))
        .await;
    assert_eq!(
        all["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["internetMessageId"] == imid.as_str())
            .count(),
        1
    );
    let (st, _) = g
        .req(
            Method::POST,
            &format!(
                "/users/{u}/messages/{}/permanentDelete",
                c["id"].as_str().unwrap()
            ),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 204);
    assert!(
        sim.messages(&u)
            .iter()
            .all(|m| m.internet_message_id != imid || m.folder == "recoverableitemsdeletions")
    );
    let ops: Vec<String> = sim
        .unified_audit()
        .iter()
        .filter_map(|r| r["Operation"].as_str().map(str::to_string))
        .collect();
    for op in ["Move", "Copy", "SoftDelete", "HardDelete"] {
        assert!(
            ops.iter().any(|o| o == op),
            "unified audit has {op}: {ops:?}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn message_delta_removed_and_410_after_forced_expiry() {
    let sim = common::start(common::fast(), 1, 5).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    let pref = [("Prefer", "odata.maxpagesize=2")];
    let mut url = format!(
        "/users/{u}/mailFolders('inbox')/messages/delta()?$select=subject,internetMessageId"
    );
    let mut ids = Vec::new();
    let delta_link;
    loop {
        let (st, v) = g.req(Method::GET, &url, None, &pref).await;
        assert_eq!(st, 200, "{v}");
        assert!(v["value"].as_array().unwrap().len() <= 2);
        ids.extend(
            v["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string()),
        );
        if let Some(n) = v["@odata.nextLink"].as_str() {
            assert!(n.contains("$skiptoken="));
            url = n.to_string();
        } else {
            delta_link = v["@odata.deltaLink"]
                .as_str()
                .expect("deltaLink at end")
                .to_string();
            break;
        }
    }
    assert_eq!(ids.len(), 5);
    // nothing changed
    let (_, v) = g.get(&delta_link).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 0);
    let dl2 = v["@odata.deltaLink"].as_str().unwrap().to_string();
    // delete one, deliver one
    let (st, _) = g
        .req(
            Method::DELETE,
            &format!("/users/{u}/messages/{}", ids[0]),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 204);
    let now = chrono::Utc::now();
    sim.inject_message(
        &[&u],
        "inbox",
        &testkit::mime(
            "x@example.net",
            &u,
            "fresh",
            "hello",
            "<fresh@example.net>",
            now,
            false,
        ),
    );
    let (_, v) = g.get(&dl2).await;
    let vals = v["value"].as_array().unwrap();
    let removed: Vec<&Value> = vals
        .iter()
        .filter(|m| m.get("@removed").is_some())
        .collect();
    assert_eq!(removed.len(), 1, "{v}");
    assert_eq!(removed[0]["id"], ids[0].as_str());
    assert_eq!(removed[0]["@removed"]["reason"], "deleted");
    assert!(
        vals.iter().any(|m| m["subject"] == "fresh"),
        "$select carried in the token: {v}"
    );
    let dl3 = v["@odata.deltaLink"].as_str().unwrap().to_string();
    sim.expire_delta_tokens();
    let (st, e) = g.get(&dl3).await;
    assert_eq!(st, 410);
    assert_eq!(e["error"]["code"], "SyncStateNotFound");
    sim.shutdown().await;
}

#[tokio::test]
async fn inbox_rules_crud_with_unified_audit_and_mailbox_settings() {
    let sim = common::start(common::fast(), 1, 0).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    let rule = json!({"displayName": "From partner", "sequence": 2, "isEnabled": true,
        "conditions": {"senderContains": ["adele"]},
        "actions": {"forwardTo": [{"emailAddress": {"name": "Alex", "address": "alex@evil.example"}}], "stopProcessingRules": true}});
    let (st, r) = g
        .req(
            Method::POST,
            &format!("/users/{u}/mailFolders/inbox/messageRules"),
            Some(rule),
            &[],
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let rid = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["hasError"], false);
    let (_, l) = g
        .get(&format!("/users/{u}/mailFolders/inbox/messageRules"))
        .await;
    assert_eq!(l["value"].as_array().unwrap().len(), 1);
    let (st, _) = g
        .req(
            Method::DELETE,
            &format!("/users/{u}/mailFolders/inbox/messageRules/{rid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 204);
    assert!(sim.inbox_rules(&u).is_empty());
    let recs = sim.unified_audit();
    let new = recs
        .iter()
        .find(|r| r["Operation"] == "New-InboxRule")
        .expect("New-InboxRule");
    assert!(
        new["Parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["Name"] == "ForwardTo" && p["Value"] == "alex@evil.example")
    );
    assert!(recs.iter().any(|r| r["Operation"] == "Remove-InboxRule"));
    // mailbox settings PATCH merges and returns the full object
    let (st, s) = g
        .req(
            Method::PATCH,
            &format!("/users/{u}/mailboxSettings"),
            Some(json!({"automaticRepliesSetting": {"status": "alwaysEnabled"}})),
            &[],
        )
        .await;
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["automaticRepliesSetting"]["status"], "alwaysEnabled");
    assert_eq!(s["automaticRepliesSetting"]["externalAudience"], "all");
    assert!(s["timeZone"].is_string());
    let (_, ar) = g
        .get(&format!(
            "/users/{u}/mailboxSettings/automaticRepliesSetting"
        ))
        .await;
    assert_eq!(ar["status"], "alwaysEnabled");
    let _ = user_id(0);
    sim.shutdown().await;
}
