//! `ward watch`: the pipeline, continuously — sync, analyse, detect, respond — one pass after
//! another until stopped (Ctrl-C or SIGTERM finish the pass under way, then stop).
//!
//! Detection keeps its state between passes (baselines, the correlator, what it has seen), so a
//! pass costs what is new, not the whole history. Every pass commits as it goes: stopping or
//! killing `ward watch` loses nothing, and the next start picks up from the store.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::json;
use ward_ingest::Syncer;
use ward_respond::{Disposition, Responder};

use crate::config::Config;
use crate::detect::DetectStage;

#[derive(clap::Args)]
pub struct WatchArgs {
    /// Configuration file (default: ./ward.toml, or $WARD_CONFIG).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Store: a SQLite file path or a postgres:// URL.
    #[arg(long, env = "WARD_DATABASE")]
    pub database: Option<String>,
    /// Seconds between the start of one pass and the next.
    #[arg(long, default_value_t = 30.0)]
    pub interval: f64,
    /// Stop after this many passes (default: run until stopped).
    #[arg(long)]
    pub passes: Option<u64>,
    /// Detect only: do not apply the response playbooks.
    #[arg(long)]
    pub no_respond: bool,
    /// One JSON object per pass on stdout instead of a line of text on stderr.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: WatchArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(watch(args))
}

async fn watch(args: WatchArgs) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref(), args.database.as_deref())?;
    let tenant = config.tenant()?;
    let client = crate::tenant::client(&tenant, &config.file.sync)?;
    let store = crate::tenant::store(&config.database).await?;
    let opts = crate::sync::sync_options(&config, &tenant.tenant_id);
    let interval = Duration::from_secs_f64(args.interval.max(0.1));

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            stop.store(true, Ordering::SeqCst);
        });
    }

    // The first pass reads the directory before the analyzer is built from it.
    let first = crate::sync::sync_tenant(
        client.clone(),
        store.clone(),
        opts.clone(),
        &config.file.analysis,
    )
    .await?;
    let analyzer =
        crate::analyze::for_tenant(&store, &tenant.tenant_id, &config.file.analysis).await?;
    let mut detect = DetectStage::new(
        store.clone(),
        &tenant.tenant_id,
        crate::detect::geoip_dir(config.file.geoip.dir.as_ref()),
    )
    .await?;
    let responder = (!args.no_respond).then(|| {
        Responder::new(
            client.clone(),
            store.clone(),
            &tenant.tenant_id,
            config.file.respond.clone(),
        )
    });
    let work = detect
        .backlog(&first, crate::sync::STATE_BACKLOG_DAYS)
        .await?;
    let mut summary = first;
    let mut pass = 1u64;
    loop {
        let started = Instant::now();
        // The first pass also detects over the stored backlog (what an earlier run synced but
        // did not get to detect).
        let input = if pass == 1 { &work } else { &summary };
        let changed = detect.process(input).await.context("detection failed")?;
        let mut actions = std::collections::BTreeMap::<String, usize>::new();
        if let Some(r) = &responder {
            let resumed = r.resume().await.context("cannot resume actions")?;
            if !resumed.is_empty() {
                actions.insert("resumed".into(), resumed.len());
            }
            for resp in crate::respond::respond_stage(r, &changed).await? {
                for (_, d) in resp.actions {
                    *actions.entry(disposition_name(&d).into()).or_default() += 1;
                }
            }
        }
        report(&args, pass, &summary, &changed, &actions)?;
        if stop.load(Ordering::SeqCst) || args.passes.is_some_and(|n| pass >= n) {
            break;
        }
        // Wait out the interval, waking early to stop.
        let deadline = started + interval;
        while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(100).min(deadline - Instant::now())).await;
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        pass += 1;
        summary = Syncer::new(client.clone(), store.clone())
            .with_analyzer(analyzer.clone())
            .sync(&opts)
            .await
            .context("sync failed; `ward watch` can be restarted and resumes where it stopped")?;
    }
    store.close().await;
    if !args.json {
        eprintln!("stopped after {pass} pass(es)");
    }
    Ok(ExitCode::SUCCESS)
}

fn disposition_name(d: &Disposition) -> &'static str {
    match d {
        Disposition::Executed(o) if o.succeeded() => "done",
        Disposition::Executed(_) => "failed",
        Disposition::Queued => "queued",
        Disposition::Observed => "observed",
        Disposition::Existing { .. } => "existing",
        Disposition::Rejected => "rejected",
    }
}

fn report(
    args: &WatchArgs,
    pass: u64,
    s: &ward_ingest::SyncSummary,
    changed: &[String],
    actions: &std::collections::BTreeMap<String, usize>,
) -> Result<()> {
    if args.json {
        println!(
            "{}",
            json!({
                "pass": pass,
                "messages_new": s.messages_new,
                "sign_ins": s.sign_ins,
                "audits": s.audits,
                "unified_audit": s.unified_audit,
                "graph_requests": s.graph_requests,
                "throttled_responses": s.throttled_responses,
                "warnings": s.warnings.len(),
                "incidents_changed": changed,
                "actions": actions,
            })
        );
    } else {
        let acts: Vec<String> = actions.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!(
            "pass {pass}: {} new messages, {} sign-ins, {} audits, {} Graph requests; {} incident(s) changed{}",
            s.messages_new,
            s.sign_ins,
            s.audits + s.unified_audit,
            s.graph_requests,
            changed.len(),
            if acts.is_empty() {
                String::new()
            } else {
                format!("; actions: {}", acts.join(", "))
            }
        );
        for w in &s.warnings {
            eprintln!("  warning: {w}");
        }
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM (a service manager stopping Ward).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = async {
            match signal(SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
