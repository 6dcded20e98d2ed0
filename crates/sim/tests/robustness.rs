//! Hostile or odd input never panics the simulator and gets Microsoft-shaped errors; folder-
//! scoped message paths; Application Access Policy scoping.

mod common;

use reqwest::Method;
use serde_json::{Value, json};
use ward_sim::testkit::upn;

#[tokio::test]
async fn hostile_requests_get_4xx_not_crashes() {
    let sim = common::start(common::fast(), 2, 2).await;
    let g = common::G::new(&sim).await;
    let deep = format!("{}a eq 1{}", "(".repeat(200), ")".repeat(200));
    let paths = vec![
        format!("/users/{}/messages?$filter={}", upn(0), deep),
        format!("/users/{}/messages?$filter=%27unterminated", upn(0)),
        format!("/users/{}/messages?$top=-1", upn(0)),
        format!("/users/{}/messages?$skiptoken=%FF%FE", upn(0)),
        "/users?$skiptoken=bm90LWEtdG9rZW4".to_string(),
        format!("/users/{}/messages/%E2%98%83%E2%98%83", upn(0)),
        format!(
            "/users/{}/messages/AAMkADzzzzzzzzzzzzzzzzzzzzzz/attachments/x/$value",
            upn(0)
        ),
        format!("/users/{}/mailFolders('nope')/messages", upn(0)),
        format!(
            "/users/{}/mailFolders/inbox/messages/delta?$deltatoken=garbage",
            upn(0)
        ),
        "/users/delta?$deltatoken=garbage".to_string(),
        "/auditLogs/signIns?$filter=createdDateTime ge".to_string(),
        "/servicePrincipals(appId='')".to_string(),
        "/nothing/here".to_string(),
        "/users/%00/messages".to_string(),
    ];
    for p in &paths {
        let (st, v) = g.get(p).await;
        assert!((400..500).contains(&st), "{p} → {st} {v}");
        assert!(v["error"]["code"].is_string(), "{p} → {v}");
    }
    let bodies = vec![
        json!("not an object"),
        json!({"requests": "x"}),
        json!({"requests": [{"id": "1"}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/$batch"}]}),
    ];
    for b in bodies {
        let (st, _) = g.req(Method::POST, "/$batch", Some(b), &[]).await;
        assert!(st == 400 || st == 200);
    }
    let r = reqwest::Client::new()
        .post(g.url("/subscriptions"))
        .bearer_auth(&g.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = reqwest::Client::new()
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            sim.base_url(),
            sim.tenant_id()
        ))
        .body("%%%&&&===")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let feed = sim.management_url();
    let mt = ward_sim::testkit::token(sim.base_url(), ward_sim::testkit::MANAGE_SCOPE)
        .await
        .unwrap();
    let r = reqwest::Client::new().get(format!("{feed}/audit/%E2%98%83$%E2%98%83$%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83$x$04")).bearer_auth(&mt).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // still serving
    assert_eq!(g.get("/users").await.0, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn folder_scoped_message_paths_and_access_policy_scope() {
    let mut cfg = common::fast();
    cfg.mailbox_access_scope = Some(vec![upn(0)]);
    let sim = common::start(cfg, 2, 2).await;
    let g = common::G::new(&sim).await;
    let (st, v) = g
        .get(&format!(
            "/users/{}/mailFolders/inbox/messages?$select=id,subject",
            upn(0)
        ))
        .await;
    assert_eq!(st, 200);
    let id = v["value"][0]["id"].as_str().unwrap().to_string();
    let (st, m) = g
        .get(&format!(
            "/users/{}/mailFolders/inbox/messages/{id}",
            upn(0)
        ))
        .await;
    assert_eq!(st, 200, "{m}");
    let (st, _) = g
        .req(
            Method::POST,
            &format!(
                "/users/{}/mailFolders/inbox/messages/{id}/permanentDelete",
                upn(0)
            ),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 204);
    let (st, e) = g.get(&format!("/users/{}/messages", upn(1))).await;
    assert_eq!(st, 403);
    assert_eq!(e["error"]["code"], "ErrorAccessDenied");
    assert_eq!(e["error"]["message"], "Access to OData is disabled.");
    let _: Value = e;
    sim.shutdown().await;
}
