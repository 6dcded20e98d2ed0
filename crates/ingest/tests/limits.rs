//! Ward's client and sync against the simulator's own accounting: Microsoft's limits, counted by
//! the simulated tenant (not by the client), token expiry, and a faulty network.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ward_graph::models::BatchRequestItem;
use ward_graph::{ClientConfig, Credential, Endpoints, GraphClient};
use ward_ingest::{AnalysisOutcome, MessageAnalyzer, SyncOptions, Syncer};
use ward_sim::testkit::{SeedBuilder, upn, user_id};
use ward_sim::{RegisteredApp, SimConfig, SimHandle, Simulator};
use ward_store::testing::TestDb;

fn client_for(sim: &SimHandle) -> GraphClient {
    let app = RegisteredApp::ward_default();
    let cfg = ClientConfig::new(
        sim.tenant_id(),
        app.client_id,
        Credential::secret(app.secret.unwrap_or_default()),
    )
    .with_endpoints(Endpoints::single(sim.base_url()));
    GraphClient::new(cfg).expect("client")
}

#[derive(Default)]
struct Count(std::sync::atomic::AtomicU64);
impl MessageAnalyzer for Count {
    fn analyze(&self, _mime: &[u8]) -> AnalysisOutcome {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        AnalysisOutcome {
            verdict: "clean".into(),
            score: 0,
            categories: vec![],
            signals: serde_json::json!([]),
            fingerprints: vec![],
        }
    }
}

/// A `$batch` of 20 reads on one mailbox: the simulator answers 429 for items past its 4
/// concurrent ones; the client retries each after its own Retry-After; the simulator never sees
/// a request arrive early and never more than 4 in flight on the mailbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_and_concurrency_within_limits_counted_by_the_simulator() {
    let sim = Simulator::start(SimConfig::fast_test(), SeedBuilder::new(2, 30).build())
        .await
        .expect("sim");
    let client = client_for(&sim);
    let uid = user_id(0);
    let items: Vec<BatchRequestItem> = (0..20)
        .map(|i| {
            BatchRequestItem::get(
                format!("{i}"),
                format!("/users/{uid}/messages?$top=1&$skip={i}"),
            )
        })
        .collect();
    let results = client.batch(items).await.expect("batch");
    assert_eq!(results.len(), 20);
    for (id, r) in &results {
        let r = r.as_ref().unwrap_or_else(|e| panic!("item {id}: {e}"));
        assert_eq!(r.status, 200, "item {id}");
    }
    let stats = sim.stats();
    assert!(
        stats.throttled_429 > 0,
        "the simulator should have throttled the batch: {stats:?}"
    );
    assert_eq!(
        stats.violations, 0,
        "requests arrived before Retry-After: {stats:?}"
    );

    // A whole sync with many pages: still never more than 4 in flight per mailbox.
    let db = TestDb::sqlite().await;
    let summary = Syncer::new(client.clone(), db.open().await)
        .sync(&SyncOptions {
            page_size: 3,
            ..SyncOptions::new(sim.tenant_id())
        })
        .await
        .expect("sync");
    assert!(summary.pages > 15, "{summary:?}");
    let stats = sim.stats();
    assert!(stats.max_concurrent_any_mailbox <= 4, "{stats:?}");
    assert_eq!(stats.violations, 0, "{stats:?}");
    sim.shutdown().await;
}

/// Tokens that expire every 2 seconds: the client refreshes and the sync never fails on a 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_refresh_on_expiry() {
    let cfg = SimConfig {
        token_lifetime: Duration::from_secs(2),
        ..SimConfig::fast_test()
    };
    let sim = Simulator::start(cfg, SeedBuilder::new(2, 4).build())
        .await
        .expect("sim");
    let client = client_for(&sim);
    let db = TestDb::sqlite().await;
    let store = db.open().await;
    Syncer::new(client.clone(), store.clone())
        .sync(&SyncOptions::new(sim.tenant_id()))
        .await
        .expect("first");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let s = Syncer::new(client.clone(), store)
        .sync(&SyncOptions::new(sim.tenant_id()))
        .await
        .expect("after expiry");
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert!(
        client.stats().token_requests >= 3,
        "graph + management tokens, then at least one refresh"
    );
    sim.shutdown().await;
}

/// 429 storms, 5xx, truncated JSON and dropped connections: syncs may fail (with errors that
/// name the stream and resource), but rerun until one completes cleanly they lose nothing and
/// store every message and its analysis exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_nothing() {
    let mut cfg = SimConfig::fast_test();
    cfg.faults.p_429 = 0.08;
    cfg.faults.p_503 = 0.03;
    cfg.faults.p_504 = 0.02;
    cfg.faults.p_truncated_json = 0.03;
    cfg.faults.p_drop_connection = 0.02;
    cfg.faults.retry_after_choices = vec![0.05, 0.249];
    let sim = Simulator::start(cfg, SeedBuilder::new(4, 25).build())
        .await
        .expect("sim");
    let db = TestDb::sqlite().await;
    let store = db.open().await;
    let analyzer = Arc::new(Count::default());
    let mut clean = false;
    let mut errors = Vec::new();
    for _ in 0..30 {
        let syncer = Syncer::new(client_for(&sim), store.clone()).with_analyzer(analyzer.clone());
        match syncer
            .sync(&SyncOptions {
                page_size: 5,
                events: false,
                ..SyncOptions::new(sim.tenant_id())
            })
            .await
        {
            Ok(s) if s.warnings.is_empty() => {
                clean = true;
                break;
            }
            Ok(s) => errors.extend(s.warnings),
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert!(clean, "never completed a clean sync: {errors:#?}");
    assert!(sim.stats().faults_injected > 0);
    // Every failure starts by naming what failed: the stream, mailbox or resource.
    let names = [
        "mailbox",
        "users",
        "messages:",
        "applications",
        "service principals",
        " of ",
        "sign-ins",
        "audit",
        "state",
    ];
    for e in &errors {
        let head = e.split(": ").next().unwrap_or_default();
        assert!(
            names
                .iter()
                .any(|n| head.contains(n.trim_end_matches(':')) || e.starts_with(n)),
            "error does not say what failed: {e}"
        );
    }
    let tenant = sim.tenant_id().to_owned();
    for i in 0..4 {
        let expected: BTreeSet<String> = sim
            .messages(&upn(i))
            .into_iter()
            .filter(|m| m.folder == "inbox" || m.folder == "junkemail")
            .map(|m| m.internet_message_id)
            .collect();
        assert_eq!(expected.len(), 25);
        for imid in &expected {
            let stored = store
                .messages_by_internet_id(&tenant, imid)
                .await
                .expect("query");
            assert_eq!(stored.len(), 1, "{imid} lost or duplicated");
        }
    }
    assert_eq!(store.count_messages(&tenant).await.expect("count"), 100);
    // Every stored message has exactly one stored analysis. (A page that failed mid-way is
    // fetched again, so its messages may have been analysed in memory before: that work was
    // never committed, nothing acted on it.)
    assert_eq!(store.count_analyzed(&tenant).await.expect("count"), 100);
    assert!(analyzer.0.load(std::sync::atomic::Ordering::SeqCst) >= 100);
    sim.shutdown().await;
}
