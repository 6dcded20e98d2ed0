//! Throughput figure for the simulator as a load generator (ignored by default; run with
//! `cargo test -p ward-sim --test load -- --ignored --nocapture`).

mod common;

use std::time::{Duration, Instant};

use futures::StreamExt;
use ward_sim::testkit::upn;
use ward_sim::{SimConfig, ThrottleConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput() {
    let t0 = Instant::now();
    let cfg = SimConfig {
        throttle: ThrottleConfig::unlimited(),
        mailbox_latency: Duration::ZERO,
        other_latency: Duration::ZERO,
        ..SimConfig::fast_test()
    };
    let sim = common::start(cfg, 50, 100).await;
    let load = t0.elapsed();
    let g = common::G::new(&sim).await;
    let n = 4000;
    let t1 = Instant::now();
    let ok = futures::stream::iter(0..n)
        .map(|i| {
            let url = format!(
                "/users/{}/messages?$top=10&$select=subject,from,receivedDateTime",
                upn(i % 50)
            );
            let g = &g;
            async move { g.get(&url).await.0 == 200 }
        })
        .buffer_unordered(32)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let list = t1.elapsed();
    let t2 = Instant::now();
    let m = 1000;
    let ok2 = futures::stream::iter(0..m)
        .map(|i| {
            let url = format!("/users/{}/messages?$filter=internetMessageId eq '%3Cseed-{}-{}%40mail.example.net%3E'&$select=id", upn(i % 50), i % 50, i % 100);
            let g = &g;
            async move { g.get(&url).await.1["value"].as_array().map(|a| a.len()) == Some(1) }
        })
        .buffer_unordered(32)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let filt = t2.elapsed();
    println!("seed load (50 users x 100 msgs): {:?}", load);
    println!(
        "list pages: {ok}/{n} in {:?} = {:.0} req/s",
        list,
        n as f64 / list.as_secs_f64()
    );
    println!(
        "internetMessageId filter: {ok2}/{m} in {:?} = {:.0} req/s",
        filt,
        m as f64 / filt.as_secs_f64()
    );
    assert_eq!(ok, n);
    assert_eq!(ok2, m);
    sim.shutdown().await;
}
