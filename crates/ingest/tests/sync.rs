//! Ward's sync against the simulated tenant, over real HTTP on loopback, on SQLite and (when
//! `WARD_TEST_POSTGRES` is set) PostgreSQL.

use std::sync::Arc;

use ward_graph::{ClientConfig, Credential, Endpoints, GraphClient};
use ward_ingest::{AnalysisOutcome, MessageAnalyzer, SyncOptions, Syncer};
use ward_sim::testkit::SeedBuilder;
use ward_sim::{RegisteredApp, SimConfig, SimHandle, Simulator};
use ward_store::testing::{TestDb, dbs};

/// Counts calls so a test can prove each message was analysed once.
#[derive(Default)]
struct CountingAnalyzer(std::sync::atomic::AtomicU64);

impl MessageAnalyzer for CountingAnalyzer {
    fn analyze(&self, mime: &[u8]) -> AnalysisOutcome {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        AnalysisOutcome {
            verdict: if mime.windows(9).any(|w| w == b"Quarterly") {
                "clean"
            } else {
                "suspicious"
            }
            .into(),
            score: 1,
            categories: vec![],
            signals: serde_json::json!([]),
            fingerprints: vec![],
        }
    }
}

fn fast_sim_config() -> SimConfig {
    SimConfig {
        mailbox_latency: std::time::Duration::from_millis(1),
        management_history_before_start: true,
        ..SimConfig::default()
    }
}

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

fn options(sim: &SimHandle) -> SyncOptions {
    SyncOptions {
        page_size: 7,
        ..SyncOptions::new(sim.tenant_id())
    }
}

async fn cleanup(db: TestDb) {
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_and_incremental_sync() {
    for db in dbs().await {
        let sim = Simulator::start(fast_sim_config(), SeedBuilder::new(6, 20).build())
            .await
            .expect("sim");
        let store = db.open().await;
        let analyzer = Arc::new(CountingAnalyzer::default());
        let syncer = Syncer::new(client_for(&sim), store.clone()).with_analyzer(analyzer.clone());
        let opts = options(&sim);

        let first = syncer.sync(&opts).await.expect("first sync");
        assert!(first.warnings.is_empty(), "{:?}", first.warnings);
        assert_eq!(first.users, 6);
        assert_eq!(first.messages_new, 6 * 20, "{first:?}");
        assert_eq!(store.count_messages(sim.tenant_id()).await.unwrap(), 120);
        assert_eq!(store.count_analyzed(sim.tenant_id()).await.unwrap(), 120);
        assert_eq!(analyzer.0.load(std::sync::atomic::Ordering::SeqCst), 120);
        // Every message page of 7 is its own commit: more pages than mailboxes × folders.
        assert!(first.pages > 12, "{first:?}");

        // Nothing changed: the incremental run fetches no MIME and analyses nothing.
        let second = syncer.sync(&opts).await.expect("second sync");
        assert_eq!(second.messages_new, 0);
        assert_eq!(analyzer.0.load(std::sync::atomic::Ordering::SeqCst), 120);
        let mime_requests = second.graph_requests;
        assert!(
            mime_requests < first.graph_requests / 2,
            "{second:?} vs {first:?}"
        );

        // A new message arrives: one more analysed, nothing else.
        let uid = ward_sim::testkit::user_id(2);
        let mime = ward_sim::testkit::mime(
            "new.sender@example.org",
            &ward_sim::testkit::upn(2),
            "Fresh",
            "hello",
            "<fresh-1@example.org>",
            chrono::Utc::now(),
            false,
        );
        sim.inject_message(&[uid.as_str()], "inbox", &mime);
        let third = syncer.sync(&opts).await.expect("third sync");
        assert_eq!(third.messages_new, 1, "{third:?}");
        assert_eq!(analyzer.0.load(std::sync::atomic::Ordering::SeqCst), 121);
        let stored = store
            .messages_by_internet_id(sim.tenant_id(), "<fresh-1@example.org>")
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].folder, "inbox");
        let analysis = store
            .get_analysis(&stored[0].key())
            .await
            .unwrap()
            .expect("analysis");
        assert_eq!(analysis.verdict, "suspicious");

        // The user deletes it (moves it to Deleted Items, through Graph): the inbox delta reports
        // it `@removed`, and the store says it left the watched folders.
        let client = client_for(&sim);
        client
            .move_message(&uid, &stored[0].graph_id, "deleteditems")
            .await
            .expect("move");
        let fourth = syncer.sync(&opts).await.expect("fourth sync");
        assert_eq!(fourth.messages_removed, 1, "{fourth:?}");
        let after = store
            .get_message(&stored[0].key())
            .await
            .unwrap()
            .expect("still recorded");
        assert_eq!(after.folder, "(removed)");
        assert_eq!(analyzer.0.load(std::sync::atomic::Ordering::SeqCst), 121);
        sim.shutdown().await;
        cleanup(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_delta_token_resyncs_without_duplicates() {
    for db in dbs().await {
        let sim = Simulator::start(fast_sim_config(), SeedBuilder::new(3, 15).build())
            .await
            .expect("sim");
        let store = db.open().await;
        let analyzer = Arc::new(CountingAnalyzer::default());
        let syncer = Syncer::new(client_for(&sim), store.clone()).with_analyzer(analyzer.clone());
        let opts = options(&sim);
        syncer.sync(&opts).await.expect("first sync");
        sim.expire_delta_tokens();
        let again = syncer.sync(&opts).await.expect("sync after expiry");
        assert!(again.resyncs >= 1, "{again:?}");
        assert_eq!(again.messages_new, 0);
        assert_eq!(store.count_messages(sim.tenant_id()).await.unwrap(), 45);
        assert_eq!(analyzer.0.load(std::sync::atomic::Ordering::SeqCst), 45);
        sim.shutdown().await;
        cleanup(db).await;
    }
}

/// Stopping after every page, again and again, ends in the same store as one uninterrupted run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_syncs_converge_to_the_uninterrupted_result() {
    let seed = SeedBuilder::new(4, 18).build();
    for (db_a, db_b) in dbs().await.into_iter().zip(dbs().await) {
        let sim = Simulator::start(fast_sim_config(), seed.clone())
            .await
            .expect("sim");
        let reference = db_a.open().await;
        Syncer::new(client_for(&sim), reference.clone())
            .with_analyzer(Arc::new(CountingAnalyzer::default()))
            .sync(&SyncOptions {
                events: false,
                ..options(&sim)
            })
            .await
            .expect("reference sync");

        let store = db_b.open().await;
        let analyzer = Arc::new(CountingAnalyzer::default());
        let mut runs = 0;
        loop {
            runs += 1;
            assert!(runs < 200, "never converged");
            let syncer =
                Syncer::new(client_for(&sim), store.clone()).with_analyzer(analyzer.clone());
            let opts = SyncOptions {
                stop_after_pages: Some(1),
                parallel_mailboxes: 1,
                events: false,
                ..options(&sim)
            };
            let s = syncer.sync(&opts).await.expect("partial sync");
            if !s.interrupted {
                break;
            }
        }
        assert!(
            runs > 8,
            "the sync should have been cut many times, ran {runs}"
        );
        assert_eq!(
            analyzer.0.load(std::sync::atomic::Ordering::SeqCst),
            72,
            "each message analysed once"
        );
        let strip = |d: String| {
            d.lines()
                .filter(|l| !l.starts_with("cursors "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            strip(store.dump_canonical().await.unwrap()),
            strip(reference.dump_canonical().await.unwrap())
        );
        sim.shutdown().await;
        cleanup(db_a).await;
        cleanup(db_b).await;
    }
}
