//! Client-side limits: ≤ 4 in flight per mailbox, global cap, no request to a mailbox
//! before a 429's Retry-After has passed (shared by all tasks), backoff floor without
//! Retry-After, Management AF429 with HTTP 403 treated as throttling.

mod common;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use common::*;
use parking_lot::Mutex;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use ward_graph::GraphClient;

#[derive(Default)]
struct Conc {
    in_flight: Mutex<HashMap<String, usize>>,
    max: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
    total_max: AtomicUsize,
}

async fn slow_message(
    State(s): State<Arc<Conc>>,
    Path((user, id)): Path<(String, String)>,
) -> Response {
    let user = user.to_ascii_lowercase();
    {
        let mut f = s.in_flight.lock();
        let n = f.entry(user.clone()).or_insert(0);
        *n += 1;
        let mut m = s.max.lock();
        let e = m.entry(user.clone()).or_insert(0);
        *e = (*e).max(*n);
    }
    let t = s.total.fetch_add(1, Ordering::SeqCst) + 1;
    s.total_max.fetch_max(t, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(40)).await;
    s.total.fetch_sub(1, Ordering::SeqCst);
    *s.in_flight.lock().get_mut(&user).unwrap() -= 1;
    json_response(200, json!({"id": id, "subject": "x"}))
}

async fn conc_setup(global: usize) -> (Arc<Conc>, GraphClient) {
    let s = Arc::new(Conc::default());
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let graph = Router::new()
        .route(
            "/v1.0/users/{user}/messages/{id}",
            axum::routing::get(slow_message),
        )
        .with_state(s.clone());
    let base = start(tok, graph).await;
    let mut cfg = config(&base, ward_graph::Credential::secret(SECRET));
    cfg.limits.global_in_flight = global;
    (s, GraphClient::new(cfg).unwrap())
}

async fn hammer(c: &GraphClient, users: &[&str], per_user: usize) {
    let mut tasks = Vec::new();
    for u in users {
        for i in 0..per_user {
            let c = c.clone();
            let u = u.to_string();
            tasks.push(tokio::spawn(async move {
                c.get_message(&u, &format!("m{i}"), None).await
            }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn at_most_four_in_flight_per_mailbox() {
    let (s, c) = conc_setup(64).await;
    hammer(&c, &["alice@x.com", "bob@x.com", "carol@x.com"], 24).await;
    let max = s.max.lock().clone();
    assert_eq!(max.len(), 3);
    for (u, m) in &max {
        assert!(*m <= 4, "{u}: {m} concurrent requests");
        assert_eq!(*m, 4, "{u}: limiter should still allow 4 ({m})");
    }
    // Different mailboxes proceed in parallel.
    assert!(s.total_max.load(Ordering::SeqCst) > 4);
    assert_eq!(c.stats().by_kind["mail.messages"], 72);
}

#[tokio::test]
async fn global_in_flight_cap() {
    let (s, c) = conc_setup(3).await;
    hammer(&c, &["a@x.com", "b@x.com", "c@x.com", "d@x.com"], 6).await;
    assert!(s.total_max.load(Ordering::SeqCst) <= 3);
}

#[tokio::test]
async fn same_mailbox_different_spelling_shares_the_limit() {
    let (s, c) = conc_setup(64).await;
    // UPN case and percent-encoding variants are one mailbox for the limiter.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = c.clone();
        let u = if i % 2 == 0 {
            "Dave@X.com"
        } else {
            "dave@x.com"
        };
        tasks.push(tokio::spawn(async move {
            c.get_message(u, &format!("m{i}"), None).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let max = s.max.lock().clone();
    assert_eq!(max.len(), 1);
    assert!(max["dave@x.com"] <= 4, "{max:?}");
}

// ------------------------------------------------------------------ Retry-After

#[derive(Default)]
struct Ra {
    arrivals: Mutex<Vec<Instant>>,
    throttled_at: Mutex<Option<Instant>>,
    n: AtomicUsize,
}

async fn throttling(
    State(s): State<Arc<Ra>>,
    Path((_user, id)): Path<(String, String)>,
) -> Response {
    let now = Instant::now();
    s.arrivals.lock().push(now);
    if s.n.fetch_add(1, Ordering::SeqCst) == 0 {
        *s.throttled_at.lock() = Some(now);
        return with_headers(
            graph_error(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
            ),
            &[("retry-after", "0.6".into())],
        );
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    json_response(200, json!({"id": id}))
}

#[tokio::test]
async fn no_request_to_mailbox_before_retry_after() {
    let s = Arc::new(Ra::default());
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let graph = Router::new()
        .route(
            "/v1.0/users/{user}/messages/{id}",
            axum::routing::get(throttling),
        )
        .with_state(s.clone());
    let base = start(tok, graph).await;
    let c = client(&base);
    c.get_user_warmup().await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.get_message("erin@x.com", &format!("m{i}"), None).await
        }));
        if i == 0 {
            // Let the first request be the one that gets throttled.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let t429 = s.throttled_at.lock().unwrap();
    let arrivals = s.arrivals.lock().clone();
    assert_eq!(arrivals.len(), 13, "12 requests + 1 retry");
    // Requests already on the wire when the 429 left the server may land within a few ms;
    // after that, nothing until Retry-After has elapsed.
    for a in &arrivals {
        if *a > t429 + Duration::from_millis(15) {
            assert!(
                *a >= t429 + Duration::from_millis(590),
                "request {:?} after the 429, before Retry-After",
                *a - t429
            );
        }
    }
    let st = c.stats();
    assert_eq!(st.status_429, 1);
    assert_eq!(st.retries, 1);
    assert!(
        c.mailbox_not_before("erin@x.com").is_none(),
        "not-before expired"
    );
}

// ------------------------------------------------------------------ 503 without Retry-After, AF429

#[derive(Default)]
struct Flaky {
    arrivals: Mutex<Vec<Instant>>,
}

async fn flaky(State(s): State<Arc<Flaky>>) -> Response {
    let n = {
        let mut a = s.arrivals.lock();
        a.push(Instant::now());
        a.len()
    };
    if n <= 2 {
        graph_error(503, "serviceNotAvailable", "try later")
    } else {
        json_response(200, json!({"value": []}))
    }
}

#[tokio::test]
async fn backoff_without_retry_after_respects_floor_and_grows() {
    let s = Arc::new(Flaky::default());
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let graph = Router::new()
        .route(
            "/v1.0/identity/conditionalAccess/policies",
            axum::routing::get(flaky),
        )
        .with_state(s.clone());
    let base = start(tok, graph).await;
    let c = client(&base); // floor 50 ms
    c.list_conditional_access_policies().await.unwrap();
    let a = s.arrivals.lock().clone();
    assert_eq!(a.len(), 3);
    assert!(a[1] - a[0] >= Duration::from_millis(50));
    assert!(a[2] - a[1] >= Duration::from_millis(50));
    assert_eq!(c.stats().status_503, 2);
}

#[tokio::test]
async fn non_idempotent_post_not_resent_on_503() {
    let s = Arc::new(Flaky::default());
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let graph = Router::new()
        .route(
            "/v1.0/users/{u}/messages/{m}/move",
            axum::routing::post(|State(s): State<Arc<Flaky>>| async move { flaky(State(s)).await }),
        )
        .with_state(s.clone());
    let base = start(tok, graph).await;
    let c = client(&base);
    let err = c
        .move_message("frank@x.com", "AAMk1", "junkemail")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_transient());
    assert_eq!(
        s.arrivals.lock().len(),
        1,
        "move must not be blindly re-sent"
    );
}

#[derive(Default)]
struct Mgmt {
    n: AtomicUsize,
    publisher: Mutex<Vec<String>>,
}

async fn content(State(s): State<Arc<Mgmt>>, req: axum::extract::Request) -> Response {
    let q = req.uri().query().unwrap_or("").to_owned();
    s.publisher.lock().push(q.clone());
    let n = s.n.fetch_add(1, Ordering::SeqCst);
    if n == 0 {
        // Documented shape: HTTP 403 with code AF429.
        return with_headers(
            json_response(
                403,
                json!({"error": {"code": "AF429", "message": "Too many requests. Method=GetBlob, PublisherId=00000000-0000-0000-0000-000000000000"}}),
            ),
            &[("retry-after", "0.2".into())],
        );
    }
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let page = if q.contains("nextPage=2") { 2 } else { 1 };
    let items = json!([{"contentType": "Audit.Exchange", "contentId": format!("c{page}"),
        "contentUri": format!("http://{host}/api/v1.0/{TENANT}/activity/feed/audit/c{page}"),
        "contentCreated": "2025-01-01T00:00:00.000Z", "contentExpiration": "2025-01-08T00:00:00.000Z"}]);
    let r = json_response(200, items);
    if page == 1 {
        with_headers(
            r,
            &[(
                "NextPageUri",
                format!(
                    "http://{host}/api/v1.0/{TENANT}/activity/feed/subscriptions/content?contentType=Audit.Exchange&startTime=2025-01-01T00:00:00&endTime=2025-01-01T12:00:00&nextPage=2"
                ),
            )],
        )
    } else {
        r
    }
}

async fn blob(State(s): State<Arc<Mgmt>>, req: axum::extract::Request) -> Response {
    s.publisher
        .lock()
        .push(req.uri().query().unwrap_or("").to_owned());
    json_response(
        200,
        json!([{"Id": "r1", "RecordType": 1, "CreationTime": "2025-01-01T00:00:01", "Operation": "New-InboxRule", "Workload": "Exchange", "Parameters": [{"Name": "ForwardTo", "Value": "x@evil.example"}]}]),
    )
}

#[tokio::test]
async fn management_af429_as_403_is_throttling_and_next_page_uri_followed() {
    let s = Arc::new(Mgmt::default());
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let graph = Router::new()
        .route(
            &format!("/api/v1.0/{TENANT}/activity/feed/subscriptions/content"),
            axum::routing::get(content),
        )
        .route(
            &format!("/api/v1.0/{TENANT}/activity/feed/audit/{{id}}"),
            axum::routing::get(blob),
        )
        .with_state(s.clone());
    let base = start(tok.clone(), graph).await;
    let c = client(&base);
    let t0 = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let items = c
        .list_content("Audit.Exchange", t0, t0 + chrono::Duration::hours(12))
        .await
        .unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| i.content_id.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    let recs = c.fetch_content(&items[0].content_uri).await.unwrap();
    assert_eq!(recs[0].operation.as_deref(), Some("New-InboxRule"));
    assert_eq!(recs[0].raw["Parameters"][0]["Value"], "x@evil.example");
    let st = c.stats();
    assert_eq!(st.af429, 1);
    assert_eq!(st.retries, 1);
    assert!(
        s.publisher
            .lock()
            .iter()
            .all(|q| q.contains("PublisherIdentifier=")),
        "{:?}",
        s.publisher.lock()
    );
    assert!(
        tok.scopes
            .lock()
            .iter()
            .all(|sc| sc == "https://manage.office.com/.default")
    );
}

trait Warm {
    async fn get_user_warmup(&self);
}
impl Warm for GraphClient {
    /// Fetch the token first so the timing test measures only the Graph calls.
    async fn get_user_warmup(&self) {
        let _ = self.token_roles(ward_graph::Resource::Graph).await;
    }
}

#[tokio::test]
async fn per_mailbox_budget_waits_instead_of_failing() {
    let (_s, c) = {
        let s = Arc::new(Conc::default());
        let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
        let graph = Router::new()
            .route(
                "/v1.0/users/{user}/messages/{id}",
                axum::routing::get(slow_message),
            )
            .with_state(s.clone());
        let base = start(tok, graph).await;
        let mut cfg = config(&base, ward_graph::Credential::secret(SECRET));
        // 5 requests per second per mailbox (GCRA: burst 5, then one every 200 ms).
        cfg.limits.mailbox_budget = 5;
        cfg.limits.mailbox_budget_window = Duration::from_secs(1);
        (s, GraphClient::new(cfg).unwrap())
    };
    c.get_user_warmup().await;
    let t0 = Instant::now();
    hammer(&c, &["gina@x.com"], 10).await;
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(950),
        "10 requests with a 5/s budget took only {took:?}"
    );
    // Another mailbox has its own budget.
    let t1 = Instant::now();
    hammer(&c, &["hank@x.com"], 5).await;
    assert!(t1.elapsed() < Duration::from_millis(500));
}

/// Rough client overhead on loopback (debug build): `cargo test -p ward-graph --test throttle
/// -- --ignored --nocapture throughput`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput() {
    let s = Arc::new(Ra::default());
    s.n.store(1, Ordering::SeqCst); // never throttle
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let graph = Router::new()
        .route(
            "/v1.0/users/{user}/messages/{id}",
            axum::routing::get(|Path((_u, id)): Path<(String, String)>| async move {
                json_response(200, json!({"id": id}))
            }),
        )
        .with_state(s.clone());
    let base = start(tok, graph).await;
    let c = client(&base);
    c.get_user_warmup().await;
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for m in 0..50 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                c.get_message(&format!("user{m}@x.com"), &format!("m{i}"), None)
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let el = t0.elapsed();
    let st = c.stats();
    eprintln!(
        "{} requests in {:?} = {:.0} req/s",
        st.http_requests,
        el,
        st.http_requests as f64 / el.as_secs_f64()
    );
}
