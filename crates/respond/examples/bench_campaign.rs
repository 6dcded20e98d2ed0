//! Campaign pull benchmark: time from delivery to quarantine in every recipient's mailbox.
//!
//! Starts the simulated tenant with Microsoft's default limits and latencies
//! (`SimConfig::default()`: 4 concurrent requests per mailbox, 25 ms per mailbox request), syncs
//! it into a fresh SQLite store, then, in the same run:
//!
//! 1. **Ward**: delivers one phishing message to N recipients and calls `Responder::pull` in
//!    auto mode. A watcher polls the simulator's own state (not Graph) and records when the last
//!    copy reached the quarantine folder. Then once more with a new `Responder` and a new
//!    Message-ID, as a new process would: the hidden quarantine folders exist but are not cached.
//! 2. **Baseline**: delivers another copy of the campaign (new Message-ID) and does what a
//!    script would: for every mailbox of the tenant, one `internetMessageId` query, then one
//!    move per hit, one request after another (to Junk Email: no folder to set up).
//!
//! Graph requests come from the client's counters (HTTP requests; a `$batch` counts once, its
//! items are shown apart), 429s and Retry-After violations from the simulator's.
//!
//! `cargo run --release -p ward-respond --example bench_campaign -- [--recipients 100]
//!  [--users 120] [--parallel N] [--no-defender] [--skip-baseline]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use ward_graph::stats::StatsSnapshot;
use ward_graph::{ClientConfig, Credential, Endpoints, GraphClient};
use ward_ingest::{SyncOptions, Syncer};
use ward_respond::{Mode, RespondConfig, Responder};
use ward_sim::stats::SimStats;
use ward_sim::testkit::{self, SeedBuilder};
use ward_sim::{RegisteredApp, SimConfig, SimHandle, Simulator};
use ward_store::Store;

struct Args {
    users: usize,
    recipients: usize,
    parallel: Option<usize>,
    defender: bool,
    baseline: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        users: 120,
        recipients: 100,
        parallel: None,
        defender: true,
        baseline: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match flag.as_str() {
            "--users" => a.users = num("--users")?,
            "--recipients" => a.recipients = num("--recipients")?,
            "--parallel" => a.parallel = Some(num("--parallel")?),
            "--no-defender" => a.defender = false,
            "--skip-baseline" => a.baseline = false,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.recipients == 0 || a.recipients > a.users {
        return Err("--recipients must be between 1 and --users".into());
    }
    Ok(a)
}

fn client_for(sim: &SimHandle) -> Result<GraphClient, String> {
    let app = RegisteredApp::ward_default();
    let cfg = ClientConfig::new(
        sim.tenant_id(),
        app.client_id,
        Credential::secret(app.secret.unwrap_or_default()),
    )
    .with_endpoints(Endpoints::single(sim.base_url()));
    GraphClient::new(cfg).map_err(|e| format!("graph client: {e}"))
}

/// Delivers one phishing message to users `0..n`; returns its Message-ID.
fn phish(sim: &SimHandle, n: usize, tag: &str) -> String {
    let imid = format!(
        "<bench-{tag}-{}@evil.example>",
        Utc::now().timestamp_millis()
    );
    let to: Vec<String> = (0..n).map(testkit::upn).collect();
    let refs: Vec<&str> = to.iter().map(String::as_str).collect();
    let mime = testkit::mime(
        "it-support@evil.example",
        &to[0],
        "Your mailbox is full",
        "Sign in at https://evil.example/login to keep your mail.",
        &imid,
        Utc::now(),
        false,
    );
    sim.inject_message(&refs, "inbox", &mime);
    imid
}

/// Recipients whose copy is not (yet) in `folder`, read from the simulator's state.
fn not_in(sim: &SimHandle, n: usize, imid: &str, folder: &str) -> usize {
    (0..n)
        .filter(|&i| sim.message_folder(&testkit::upn(i), imid).as_deref() != Some(folder))
        .count()
}

/// Polls the simulator until every copy is in `folder` (or `stop`); returns when that was.
fn watch(
    sim: Arc<SimHandle>,
    n: usize,
    imid: String,
    folder: &'static str,
    start: Instant,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Option<Duration>> {
    tokio::spawn(async move {
        loop {
            if not_in(&sim, n, &imid, folder) == 0 {
                return Some(start.elapsed());
            }
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
}

struct Row {
    name: String,
    contained: Option<Duration>,
    returned: Duration,
    http: u64,
    batch_items: u64,
    items_total: u64,
    throttled: u64,
    violations: u64,
    missing: usize,
}

fn diff(c0: &StatsSnapshot, c1: &StatsSnapshot, s0: &SimStats, s1: &SimStats) -> [u64; 5] {
    [
        c1.http_requests - c0.http_requests,
        c1.batch_items - c0.batch_items,
        s1.graph_requests - s0.graph_requests,
        s1.throttled_429 - s0.throttled_429,
        s1.violations - s0.violations,
    ]
}

/// One campaign delivered to users `0..n` and pulled by `responder`, timed from delivery.
async fn ward(
    sim: &Arc<SimHandle>,
    client: &GraphClient,
    responder: &Responder,
    n: usize,
    folder: &'static str,
    tag: &str,
    name: String,
) -> Result<Row, String> {
    let (c0, s0) = (client.stats(), sim.stats());
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let imid = phish(sim, n, tag);
    let watcher = watch(sim.clone(), n, imid.clone(), folder, start, stop.clone());
    let report = responder
        .pull(&imid, Some("INC-bench"), Some("high"), "bench", json!({}))
        .await
        .map_err(|e| format!("pull: {e}"))?;
    let returned = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let contained = watcher.await.map_err(|e| format!("watcher: {e}"))?;
    let [http, batch_items, items_total, throttled, violations] =
        diff(&c0, &client.stats(), &s0, &sim.stats());
    eprintln!(
        "{tag}: {} targets, {} contained, {} failed; notes: {:?}",
        report.targets.len(),
        report.contained(),
        report.failed().len(),
        report.notes
    );
    Ok(Row {
        name,
        contained,
        returned,
        http,
        batch_items,
        items_total,
        throttled,
        violations,
        missing: not_in(sim, n, &imid, folder),
    })
}

async fn run(a: Args) -> Result<(), String> {
    let cfg = SimConfig {
        defender_license: a.defender,
        ..SimConfig::default()
    };
    let sim = Arc::new(
        Simulator::start(cfg, SeedBuilder::new(a.users, 3).build())
            .await
            .map_err(|e| format!("simulator: {e}"))?,
    );
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let db = dir.path().join("ward.db");
    let store = Store::connect(&db.to_string_lossy())
        .await
        .map_err(|e| format!("store: {e}"))?;
    let client = client_for(&sim)?;
    let t = Instant::now();
    let opts = SyncOptions {
        events: false,
        ..SyncOptions::new(sim.tenant_id())
    };
    Syncer::new(client.clone(), store.clone())
        .sync(&opts)
        .await
        .map_err(|e| format!("sync: {e}"))?;
    eprintln!(
        "synced {} mailboxes in {:.1} s",
        a.users,
        t.elapsed().as_secs_f64()
    );

    let mut rcfg = RespondConfig {
        default_mode: Mode::Auto,
        auto_min_severity: "medium".into(),
        ..RespondConfig::default()
    };
    if let Some(p) = a.parallel {
        rcfg.parallel_mailboxes = p;
    }
    let parallel = rcfg.parallel_mailboxes;
    let folder = rcfg.quarantine_folder.clone();
    let folder: &'static str = Box::leak(folder.into_boxed_str());
    let mut rows = Vec::new();

    // Ward, first campaign: the quarantine folders do not exist yet.
    let responder = Responder::new(client.clone(), store.clone(), sim.tenant_id(), rcfg.clone());
    let name = format!("Ward pull (auto, parallel {parallel})");
    rows.push(
        ward(
            &sim,
            &client,
            &responder,
            a.recipients,
            folder,
            "ward",
            name,
        )
        .await?,
    );
    // Ward again, as a new process would: folders exist, none cached.
    let responder = Responder::new(client.clone(), store.clone(), sim.tenant_id(), rcfg);
    let name = "  again, folders exist (new Responder)".to_owned();
    rows.push(
        ward(
            &sim,
            &client,
            &responder,
            a.recipients,
            folder,
            "ward2",
            name,
        )
        .await?,
    );

    // Baseline: the naive script, on another copy of the campaign.
    if a.baseline {
        let (c0, s0) = (client.stats(), sim.stats());
        let start = Instant::now();
        let imid = phish(&sim, a.recipients, "baseline");
        for i in 0..a.users {
            let user = testkit::user_id(i);
            let hits = client
                .find_by_internet_message_id(&user, &imid)
                .await
                .map_err(|e| format!("baseline find in {user}: {e}"))?;
            for m in hits {
                client
                    .move_message(&user, &m.id, "junkemail")
                    .await
                    .map_err(|e| format!("baseline move in {user}: {e}"))?;
            }
        }
        let returned = start.elapsed();
        let [http, batch_items, items_total, throttled, violations] =
            diff(&c0, &client.stats(), &s0, &sim.stats());
        let missing = not_in(&sim, a.recipients, &imid, "junkemail");
        rows.push(Row {
            name: "baseline: find + move per mailbox, sequential".into(),
            contained: (missing == 0).then_some(returned),
            returned,
            http,
            batch_items,
            items_total,
            throttled,
            violations,
            missing,
        });
    }

    println!(
        "campaign to {} of {} mailboxes, simulator defaults (4 concurrent / mailbox, 25 ms per \
         mailbox request), Defender analyzedEmails {}, {} cores",
        a.recipients,
        a.users,
        if a.defender { "on" } else { "off" },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<46} {:>14} {:>10} {:>13} {:>11} {:>10} {:>6} {:>10} {:>8}",
        "approach",
        "all contained",
        "returned",
        "HTTP requests",
        "batch items",
        "sim graph",
        "429s",
        "RA violat.",
        "missing"
    );
    for r in &rows {
        println!(
            "{:<46} {:>14} {:>10} {:>13} {:>11} {:>10} {:>6} {:>10} {:>8}",
            r.name,
            r.contained
                .map_or("never".into(), |d| format!("{:.2} s", d.as_secs_f64())),
            format!("{:.2} s", r.returned.as_secs_f64()),
            r.http,
            r.batch_items,
            r.items_total,
            r.throttled,
            r.violations,
            r.missing
        );
    }
    let violations: u64 = rows.iter().map(|r| r.violations).sum();
    let missing: usize = rows.iter().map(|r| r.missing).sum();
    if let Ok(s) = Arc::try_unwrap(sim) {
        s.shutdown().await;
    }
    if violations > 0 || missing > 0 {
        return Err(format!(
            "{violations} Retry-After violation(s), {missing} cop(ies) not contained"
        ));
    }
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_campaign: {e}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_campaign: runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run(args)) {
        eprintln!("bench_campaign: {e}");
        std::process::exit(1);
    }
}
