//! `$batch`: per-item 429 retried after its own (decimal) Retry-After, other items not
//! re-sent, per-item errors, splitting at 20.

mod common;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use common::*;
use parking_lot::Mutex;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use ward_graph::models::BatchRequestItem;

#[derive(Default)]
struct B {
    /// item id → arrival instants
    arrivals: Mutex<HashMap<String, Vec<Instant>>>,
    batch_sizes: Mutex<Vec<usize>>,
}

async fn batch(State(s): State<Arc<B>>, axum::Json(body): axum::Json<Value>) -> Response {
    let reqs = body["requests"].as_array().cloned().unwrap_or_default();
    s.batch_sizes.lock().push(reqs.len());
    if reqs.len() > 20 {
        return graph_error(400, "BadRequest", "too many requests in batch");
    }
    let now = Instant::now();
    let mut out = Vec::new();
    for r in reqs.iter().rev() {
        // out of order on purpose
        let id = r["id"].as_str().unwrap_or("").to_owned();
        let n = {
            let mut a = s.arrivals.lock();
            let v = a.entry(id.clone()).or_default();
            v.push(now);
            v.len()
        };
        let url = r["url"].as_str().unwrap_or("");
        let has_prefer = r["headers"]["Prefer"]
            .as_str()
            .map(|p| p.contains("ImmutableId"))
            .unwrap_or(false);
        let resp = match id.as_str() {
            "slow-a" if n == 1 => {
                json!({"id": id, "status": 429, "headers": {"Retry-After": "0.3"},
                "body": {"error": {"code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency limit."}}})
            }
            "slow-b" if n == 1 => {
                json!({"id": id, "status": 429, "headers": {"Retry-After": "0.7"},
                "body": {"error": {"code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency limit."}}})
            }
            "missing" => {
                json!({"id": id, "status": 404, "headers": {"Content-Type": "application/json"},
                "body": {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}})
            }
            _ => {
                json!({"id": id, "status": 201, "headers": {}, "body": {"id": format!("moved-{id}"), "url": url, "prefer": has_prefer}})
            }
        };
        out.push(resp);
    }
    json_response(200, json!({"responses": out}))
}

fn item(id: &str, user: &str) -> BatchRequestItem {
    BatchRequestItem::move_message(id, user, &format!("AAMk{id}"), "junkemail")
}

async fn setup() -> (Arc<B>, ward_graph::GraphClient) {
    let s = Arc::new(B::default());
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let graph = Router::new()
        .route("/v1.0/$batch", axum::routing::post(batch))
        .with_state(s.clone());
    let base = start(tok, graph).await;
    (s, client(&base))
}

#[tokio::test]
async fn per_item_429_retried_after_its_own_retry_after_only() {
    let (s, c) = setup().await;
    let items = vec![
        item("ok-1", "a@x.com"),
        item("slow-a", "a@x.com"),
        item("slow-b", "b@x.com"),
        item("missing", "c@x.com"),
        item("ok-2", "c@x.com"),
    ];
    let results = c.batch(items).await.unwrap();
    let ids: Vec<_> = results.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        ids,
        ["ok-1", "slow-a", "slow-b", "missing", "ok-2"],
        "input order"
    );
    for (id, r) in &results {
        match id.as_str() {
            "missing" => {
                let e = r.as_ref().unwrap_err();
                assert!(e.is_not_found(), "{e:?}");
                assert!(e.to_string().contains("mailbox c@x.com"), "{e}");
            }
            _ => {
                let ok = r.as_ref().unwrap();
                assert_eq!(ok.status, 201);
                assert_eq!(
                    ok.body.as_ref().unwrap()["prefer"],
                    json!(true),
                    "immutable ids on mail items"
                );
            }
        }
    }
    let a = s.arrivals.lock();
    assert_eq!(a["ok-1"].len(), 1, "successful items are never re-sent");
    assert_eq!(a["ok-2"].len(), 1);
    assert_eq!(a["missing"].len(), 1, "404 is final, not retried");
    assert_eq!(a["slow-a"].len(), 2);
    assert_eq!(a["slow-b"].len(), 2);
    let gap_a = a["slow-a"][1] - a["slow-a"][0];
    let gap_b = a["slow-b"][1] - a["slow-b"][0];
    assert!(
        gap_a.as_secs_f64() >= 0.29,
        "slow-a retried after {gap_a:?} < Retry-After 0.3"
    );
    assert!(
        gap_b.as_secs_f64() >= 0.69,
        "slow-b retried after {gap_b:?} < Retry-After 0.7"
    );
    // slow-a is not held back to slow-b's longer delay.
    assert!(gap_a.as_secs_f64() < 0.65, "slow-a waited {gap_a:?}");
    let st = c.stats();
    assert_eq!(st.batch_item_429, 2);
    assert_eq!(st.retries, 2);
}

#[tokio::test]
async fn large_batches_are_split_at_twenty() {
    let (s, c) = setup().await;
    let items: Vec<_> = (0..45)
        .map(|i| item(&format!("i{i}"), &format!("u{}@x.com", i % 7)))
        .collect();
    let results = c.batch(items).await.unwrap();
    assert_eq!(results.len(), 45);
    assert!(results.iter().all(|r| r.1.is_ok()));
    let mut sizes = s.batch_sizes.lock().clone();
    sizes.sort();
    assert_eq!(sizes, vec![5, 20, 20]);
}

#[tokio::test]
async fn duplicate_ids_rejected_client_side() {
    let (_s, c) = setup().await;
    let err = c
        .batch(vec![item("X", "a@x.com"), item("x", "a@x.com")])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("duplicate"));
}
