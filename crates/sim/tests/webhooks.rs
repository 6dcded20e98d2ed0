//! Change notifications: validation handshake, delivery with clientState, lifecycle events;
//! Management Activity API feed with its webhook.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::post;
use parking_lot::Mutex;
use reqwest::Method;
use serde_json::{Value, json};
use ward_scenario::TimedAction;
use ward_sim::testkit::{self, MANAGE_SCOPE, TENANT_ID, upn};

#[derive(Default)]
struct Seen {
    validations: usize,
    bodies: Vec<Value>,
    lifecycle: Vec<Value>,
    mgmt: Vec<(HeaderMap, Value)>,
}

type S = Arc<Mutex<Seen>>;

async fn receiver(
    State(s): State<S>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    body: String,
) -> (axum::http::StatusCode, String) {
    if let Some(tok) = q.get("validationToken") {
        s.lock().validations += 1;
        return (axum::http::StatusCode::OK, tok.clone());
    }
    if let Ok(v) = serde_json::from_str::<Value>(&body) {
        s.lock().bodies.push(v);
    }
    (axum::http::StatusCode::ACCEPTED, String::new())
}

async fn lifecycle(
    State(s): State<S>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    body: String,
) -> (axum::http::StatusCode, String) {
    if let Some(tok) = q.get("validationToken") {
        return (axum::http::StatusCode::OK, tok.clone());
    }
    if let Ok(v) = serde_json::from_str::<Value>(&body) {
        s.lock().lifecycle.push(v);
    }
    (axum::http::StatusCode::ACCEPTED, String::new())
}

async fn mgmt(State(s): State<S>, headers: HeaderMap, body: String) -> axum::http::StatusCode {
    if let Ok(v) = serde_json::from_str::<Value>(&body) {
        s.lock().mgmt.push((headers, v));
    }
    axum::http::StatusCode::OK
}

async fn failing(
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> (axum::http::StatusCode, String) {
    match q.get("validationToken") {
        Some(tok) => (axum::http::StatusCode::OK, tok.clone()),
        None => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new()),
    }
}

async fn bad(_: String) -> axum::http::StatusCode {
    axum::http::StatusCode::OK
}

async fn spawn_receiver() -> (String, S) {
    let s: S = Default::default();
    let app = axum::Router::new()
        .route("/hook", post(receiver))
        .route("/life", post(lifecycle))
        .route("/o365", post(mgmt))
        .route("/bad", post(bad))
        .route("/fail", post(failing))
        .with_state(s.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (format!("http://{addr}"), s)
}

async fn wait_for(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn subscription_handshake_delivery_and_lifecycle() {
    let sim = common::start(common::fast_loopback_hooks(), 2, 1).await;
    let g = common::G::new(&sim).await;
    let (hook, seen) = spawn_receiver().await;
    let exp = (chrono::Utc::now() + chrono::TimeDelta::hours(24)).to_rfc3339();
    // validation failure: endpoint does not echo the token
    let (st, v) = g.req(Method::POST, "/subscriptions", Some(json!({"changeType": "created", "notificationUrl": format!("{hook}/bad"), "resource": format!("/users/{}/messages", upn(0)), "expirationDateTime": exp})), &[]).await;
    assert_eq!(st, 400, "{v}");
    // beyond max lifetime
    let far = (chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339();
    let (st, _) = g.req(Method::POST, "/subscriptions", Some(json!({"changeType": "created", "notificationUrl": format!("{hook}/hook"), "resource": format!("/users/{}/messages", upn(0)), "expirationDateTime": far})), &[]).await;
    assert_eq!(st, 400);
    let body = json!({"changeType": "created,updated,deleted", "notificationUrl": format!("{hook}/hook"), "lifecycleNotificationUrl": format!("{hook}/life"),
        "resource": format!("/users/{}/mailFolders('inbox')/messages", upn(0)), "expirationDateTime": exp, "clientState": "s3cret", "latestSupportedTlsVersion": "v1_2"});
    let (st, sub) = g.req(Method::POST, "/subscriptions", Some(body), &[]).await;
    assert_eq!(st, 201, "{sub}");
    assert_eq!(seen.lock().validations, 1);
    assert_eq!(sub["clientState"], "s3cret");
    assert_eq!(sub["applicationId"], testkit::CLIENT_ID);
    let sid = sub["id"].as_str().unwrap().to_string();
    // a message for user 1 must not notify; one for user 0 must
    let now = chrono::Utc::now();
    sim.inject_message(
        &[&upn(1)],
        "inbox",
        &testkit::mime(
            "a@example.net",
            &upn(1),
            "other",
            "x",
            "<o@example.net>",
            now,
            false,
        ),
    );
    let ids = sim.inject_message(
        &[&upn(0)],
        "inbox",
        &testkit::mime(
            "a@example.net",
            &upn(0),
            "hello",
            "x",
            "<h@example.net>",
            now,
            false,
        ),
    );
    assert!(
        wait_for(|| !seen.lock().bodies.is_empty()).await,
        "notification delivered"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    {
        let s = seen.lock();
        let items: Vec<&Value> = s
            .bodies
            .iter()
            .flat_map(|b| b["value"].as_array().unwrap().iter())
            .collect();
        assert_eq!(items.len(), 1, "{:?}", s.bodies);
        let n = items[0];
        assert_eq!(n["subscriptionId"], sid.as_str());
        assert_eq!(n["clientState"], "s3cret");
        assert_eq!(n["changeType"], "created");
        assert_eq!(n["tenantId"], TENANT_ID);
        assert_eq!(n["resourceData"]["id"], ids[0].0.as_str());
        assert_eq!(n["resourceData"]["@odata.type"], "#Microsoft.Graph.Message");
    }
    // moving it out of the inbox is a "deleted" for this folder subscription
    let (st, _) = g
        .req(
            Method::POST,
            &format!("/users/{}/messages/{}/move", upn(0), ids[0].0),
            Some(json!({"destinationId": "junkemail"})),
            &[],
        )
        .await;
    assert_eq!(st, 201);
    assert!(
        wait_for(|| seen
            .lock()
            .bodies
            .iter()
            .flat_map(|b| b["value"].as_array().unwrap().clone())
            .any(|n| n["changeType"] == "deleted"))
        .await
    );
    // renew, list, lifecycle, delete
    let (st, r) = g.req(Method::PATCH, &format!("/subscriptions/{sid}"), Some(json!({"expirationDateTime": (chrono::Utc::now() + chrono::TimeDelta::hours(48)).to_rfc3339()})), &[]).await;
    assert_eq!(st, 200, "{r}");
    let (_, l) = g.get("/subscriptions").await;
    assert_eq!(l["value"].as_array().unwrap().len(), 1);
    sim.send_lifecycle(&sid, "missed");
    assert!(wait_for(|| !seen.lock().lifecycle.is_empty()).await);
    assert_eq!(
        seen.lock().lifecycle[0]["value"][0]["lifecycleEvent"],
        "missed"
    );
    let (st, _) = g
        .req(Method::DELETE, &format!("/subscriptions/{sid}"), None, &[])
        .await;
    assert_eq!(st, 204);
    assert_eq!(sim.subscription_count(), 0);
    assert!(sim.stats().webhook_deliveries >= 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn lost_deliveries_fault_drops_notifications() {
    let mut cfg = common::fast_loopback_hooks();
    cfg.faults.p_lost_webhook = 1.0;
    let sim = common::start(cfg, 1, 0).await;
    let g = common::G::new(&sim).await;
    let (hook, seen) = spawn_receiver().await;
    let exp = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let (st, _) = g.req(Method::POST, "/subscriptions", Some(json!({"changeType": "created", "notificationUrl": format!("{hook}/hook"), "resource": format!("users/{}/messages", upn(0)), "expirationDateTime": exp})), &[]).await;
    assert_eq!(st, 201);
    sim.inject_message(
        &[&upn(0)],
        "inbox",
        &testkit::mime(
            "a@example.net",
            &upn(0),
            "x",
            "x",
            "<l@example.net>",
            chrono::Utc::now(),
            false,
        ),
    );
    assert!(wait_for(|| sim.stats().webhook_lost == 1).await);
    assert!(seen.lock().bodies.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn management_feed_start_content_blobs_and_webhook() {
    let sim = common::start(common::fast(), 2, 0).await;
    let token = testkit::token(sim.base_url(), MANAGE_SCOPE).await.unwrap();
    let http = reqwest::Client::new();
    let feed = sim.management_url();
    let (hook, seen) = spawn_receiver().await;
    // before start: AF20022
    let r = http
        .get(format!(
            "{feed}/subscriptions/content?contentType=Audit.Exchange"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "AF20022");
    // a Graph token is not a Management token
    let graph_token = testkit::token(sim.base_url(), testkit::GRAPH_SCOPE)
        .await
        .unwrap();
    let r = http
        .get(format!("{feed}/subscriptions/list"))
        .bearer_auth(&graph_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // wrong tenant in the URL
    let r = http
        .get(format!(
            "{}/api/v1.0/00000000-0000-0000-0000-000000000001/activity/feed/subscriptions/list",
            sim.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "AF20010");
    let r = http
        .post(format!("{feed}/subscriptions/start?contentType=Audit.Exchange&PublisherIdentifier={TENANT_ID}"))
        .bearer_auth(&token)
        .json(&json!({"webhook": {"address": format!("{hook}/o365"), "authId": "o365activityapinotification", "expiration": ""}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "enabled");
    assert_eq!(v["webhook"]["status"], "enabled");
    // the seed's history predates the subscription: not served
    sim.apply(
        &TimedAction::SetHiddenForwarding {
            user_id: upn(1),
            address: "drop@evil.example".into(),
        },
        Some("bec-1"),
    );
    assert_eq!(
        sim.hidden_forwarding(&upn(1)).as_deref(),
        Some("drop@evil.example")
    );
    // blob_interval is 1 s: wait for the bucket to close
    let mut blobs = Vec::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let r = http
            .get(format!(
                "{feed}/subscriptions/content?contentType=Audit.Exchange"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        blobs = r.json::<Vec<Value>>().await.unwrap();
        if !blobs.is_empty() {
            break;
        }
    }
    assert_eq!(blobs.len(), 1);
    let uri = blobs[0]["contentUri"].as_str().unwrap();
    let recs: Vec<Value> = http
        .get(uri)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(rec["Operation"], "Set-Mailbox");
    assert_eq!(rec["RecordType"], 1);
    assert!(rec["Parameters"].as_array().unwrap().iter().any(|p| p["Name"] == "ForwardingSmtpAddress" && p["Value"] == "smtp:drop@evil.example"));
    assert!(!rec["CreationTime"].as_str().unwrap().ends_with('Z'));
    assert!(
        wait_for(|| seen.lock().mgmt.iter().any(|(_, b)| b.is_array())).await,
        "webhook notified"
    );
    {
        let s = seen.lock();
        let (vh, vb) = &s.mgmt[0];
        assert!(
            vh.contains_key("webhook-validationcode"),
            "validation first"
        );
        assert_eq!(
            vb["validationCode"],
            vh["webhook-validationcode"].to_str().unwrap()
        );
        let (h, body) = s.mgmt.iter().find(|(_, b)| b.is_array()).unwrap();
        assert_eq!(h["webhook-authid"], "o365activityapinotification");
        assert_eq!(body[0]["contentUri"], uri);
        assert_eq!(body[0]["tenantId"], TENANT_ID);
    }
    // window rules
    let r = http.get(format!("{feed}/subscriptions/content?contentType=Audit.Exchange&startTime=2020-01-01T00:00&endTime=2020-01-03T00:00")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "AF20055");
    let r = http
        .get(format!(
            "{feed}/subscriptions/content?contentType=Audit.Nope"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "AF20020");
    let r = http
        .get(format!("{feed}/subscriptions/list"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let l: Value = r.json().await.unwrap();
    assert_eq!(l[0]["contentType"], "Audit.Exchange");
    sim.shutdown().await;
}

#[tokio::test]
async fn management_content_paging_with_next_page_uri() {
    let mut cfg = common::fast();
    cfg.pages.management_content_page = 2;
    cfg.blob_interval = Duration::from_millis(200);
    cfg.management_history_before_start = true;
    let sim = common::start(cfg, 1, 0).await;
    let token = testkit::token(sim.base_url(), MANAGE_SCOPE).await.unwrap();
    let http = reqwest::Client::new();
    let feed = sim.management_url();
    let r = http
        .post(format!(
            "{feed}/subscriptions/start?contentType=Audit.AzureActiveDirectory"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for i in 0..5 {
        sim.apply(&TimedAction::UnifiedAudit { record: json!({"RecordType": 15, "Workload": "AzureActiveDirectory", "Operation": "UserLoggedIn", "UserId": upn(0), "ClientIP": format!("203.0.113.{i}")}) }, None);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut url = format!("{feed}/subscriptions/content?contentType=Audit.AzureActiveDirectory");
    let mut total = 0;
    let mut pages = 0;
    loop {
        let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
        let next = r
            .headers()
            .get("NextPageUri")
            .map(|v| v.to_str().unwrap().to_string());
        let v: Vec<Value> = r.json().await.unwrap();
        total += v.len();
        pages += 1;
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    assert!(total >= 5, "one blob per closed interval: {total}");
    assert!(pages >= 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn undeliverable_notifications_are_retried_then_reported_missed() {
    let mut cfg = common::fast_loopback_hooks();
    cfg.webhook_retries = 1;
    let sim = common::start(cfg, 1, 0).await;
    let g = common::G::new(&sim).await;
    let (hook, seen) = spawn_receiver().await;
    let exp = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let (st, sub) = g
        .req(
            Method::POST,
            "/subscriptions",
            Some(json!({"changeType": "created", "notificationUrl": format!("{hook}/fail"), "lifecycleNotificationUrl": format!("{hook}/life"), "resource": format!("users/{}/messages", upn(0)), "expirationDateTime": exp})),
            &[],
        )
        .await;
    assert_eq!(st, 201, "{sub}");
    sim.inject_message(
        &[&upn(0)],
        "inbox",
        &testkit::mime(
            "a@example.net",
            &upn(0),
            "x",
            "x",
            "<m@example.net>",
            chrono::Utc::now(),
            false,
        ),
    );
    assert!(
        wait_for(|| !seen.lock().lifecycle.is_empty()).await,
        "missed lifecycle event"
    );
    let l = seen.lock().lifecycle[0].clone();
    assert_eq!(l["value"][0]["lifecycleEvent"], "missed");
    assert_eq!(l["value"][0]["subscriptionId"], sub["id"]);
    assert_eq!(sim.stats().webhook_failures, 2, "first try + one retry");
    sim.shutdown().await;
}

#[tokio::test]
async fn duplicate_audit_records_fault_repeats_records_in_the_next_blob() {
    let mut cfg = common::fast();
    cfg.blob_interval = Duration::from_millis(200);
    cfg.faults.p_duplicate_audit_record = 1.0;
    let sim = common::start(cfg, 1, 0).await;
    let token = testkit::token(sim.base_url(), MANAGE_SCOPE).await.unwrap();
    let http = reqwest::Client::new();
    let feed = sim.management_url();
    assert_eq!(
        http.post(format!(
            "{feed}/subscriptions/start?contentType=Audit.Exchange"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status(),
        200
    );
    sim.apply(
        &TimedAction::SetHiddenForwarding {
            user_id: upn(0),
            address: "z@evil.example".into(),
        },
        None,
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let blobs: Vec<Value> = http
        .get(format!(
            "{feed}/subscriptions/content?contentType=Audit.Exchange"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(blobs.len(), 2);
    let mut ids = Vec::new();
    for b in &blobs {
        let recs: Vec<Value> = http
            .get(b["contentUri"].as_str().unwrap())
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.extend(recs.iter().map(|r| r["Id"].clone()));
    }
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[0], ids[1],
        "same record twice: clients must dedupe on Id"
    );
    sim.shutdown().await;
}
