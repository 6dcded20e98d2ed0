//! Fault injection: random throttling/outages with (decimal) Retry-After, truncated bodies,
//! dropped connections, forced delta expiry — seeded and off by default.

mod common;

use ward_sim::testkit::upn;

#[tokio::test]
async fn injected_429_503_504_carry_retry_after_and_are_counted() {
    let mut cfg = common::fast();
    cfg.faults.p_429 = 0.3;
    cfg.faults.p_503 = 0.2;
    cfg.faults.p_504 = 0.2;
    cfg.faults.retry_after_choices = vec![0.249];
    let sim = common::start(cfg, 1, 1).await;
    let g = common::G::new(&sim).await;
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..60 {
        let r = reqwest::Client::new()
            .get(g.url("/users"))
            .bearer_auth(&g.token)
            .header("client-request-id", "abc-123")
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        assert_eq!(r.headers()["client-request-id"], "abc-123");
        assert!(r.headers().contains_key("request-id"));
        assert!(r.headers().contains_key("date"));
        if st != 200 {
            assert_eq!(r.headers()["retry-after"], "0.249");
            let v: serde_json::Value = r.json().await.unwrap();
            assert!(v["error"]["code"].is_string());
        }
        *seen.entry(st).or_insert(0) += 1;
    }
    for st in [200, 429, 503, 504] {
        assert!(seen.contains_key(&st), "{seen:?}");
    }
    let s = sim.stats();
    assert_eq!(s.faults_injected as usize, 60 - seen[&200]);
    assert_eq!(s.throttled_429 as usize, seen[&429]);
    sim.shutdown().await;
}

#[tokio::test]
async fn truncated_json_and_dropped_connections() {
    let mut cfg = common::fast();
    cfg.faults.p_truncated_json = 1.0;
    let sim = common::start(cfg, 1, 1).await;
    let g = common::G::new(&sim).await;
    let r = reqwest::Client::new()
        .get(g.url("/users"))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "body is cut: {text}"
    );
    sim.shutdown().await;

    let mut cfg = common::fast();
    cfg.faults.p_drop_connection = 1.0;
    let sim = common::start(cfg, 1, 1).await;
    let g = common::G::new(&sim).await;
    let res = reqwest::Client::new()
        .get(g.url(&format!("/users/{}/messages", upn(0))))
        .bearer_auth(&g.token)
        .send()
        .await;
    let failed = match res {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "connection dropped");
    sim.shutdown().await;
}

#[tokio::test]
async fn random_delta_expiry() {
    let mut cfg = common::fast();
    cfg.faults.p_delta_expiry = 1.0;
    let sim = common::start(cfg, 1, 2).await;
    let g = common::G::new(&sim).await;
    let (st, v) = g
        .get(&format!(
            "/users/{}/mailFolders/inbox/messages/delta",
            upn(0)
        ))
        .await;
    assert_eq!(st, 200, "the initial round is never expired");
    let link = v["@odata.deltaLink"].as_str().unwrap().to_string();
    let (st, e) = g.get(&link).await;
    assert_eq!(st, 410);
    assert_eq!(e["error"]["code"], "SyncStateNotFound");
    sim.shutdown().await;
}
