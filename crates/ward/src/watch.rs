//! `ward watch`: the pipeline, continuously — sync, analyse, detect, respond — one pass after
//! another until stopped (Ctrl-C or SIGTERM finish the pass under way, then stop).
//!
//! Detection keeps its state between passes (baselines, the correlator, what it has seen), so a
//! pass costs what is new, not the whole history. Every pass commits as it goes: stopping or
//! killing `ward watch` loses nothing, and the next start picks up from the store.

use crate::words::plural;
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
use crate::notify::Notifications;

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
    if config.file.notifications.is_some() && args.interval < 1.0 {
        anyhow::bail!("--interval must be at least 1 s with change notifications");
    }

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
        &tenant.client_id,
        config.file.geoip.dir.as_ref(),
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
    // Change notifications, when configured: new mail is fetched when Microsoft says it came.
    let mut notes = match &config.file.notifications {
        Some(section) => {
            let mut n = Notifications::start(section).await?;
            let users = mailbox_users(&store, &tenant.tenant_id).await?;
            let rep = n.subscribe(&client, &users).await;
            if !args.json {
                eprintln!(
                    "change notifications at {}: {} subscriptions{}",
                    n.url(),
                    rep.created,
                    if rep.failed.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; {} refused, polled every pass instead",
                            plural(rep.failed.len() as u64, "mailbox", "mailboxes")
                        )
                    }
                );
            }
            Some((n, rep.failed, section.full_sync_every.max(1)))
        }
        None => None,
    };

    let mut summary = first;
    let mut pass = 1u64;
    let mut kind = "full";
    let mut notified = 0usize;
    let mut next_timer = Instant::now() + interval;
    let mut timer_passes = 0u64;
    loop {
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
        report(&args, pass, kind, notified, &summary, &changed, &actions)?;
        if stop.load(Ordering::SeqCst) || args.passes.is_some_and(|n| pass >= n) {
            break;
        }
        // Wait for the next timer pass — or, with notifications, for new mail — waking early
        // to stop.
        let mut users = std::collections::BTreeSet::new();
        let mut resync = false;
        while Instant::now() < next_timer && !stop.load(Ordering::SeqCst) {
            let slice = (Instant::now() + Duration::from_millis(200)).min(next_timer);
            match &mut notes {
                Some((n, _, _)) => {
                    let (u, r) = n.wait(slice).await;
                    users.extend(u);
                    resync |= r;
                    if !users.is_empty() || resync {
                        break;
                    }
                }
                None => tokio::time::sleep(slice - Instant::now()).await,
            }
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // What arrived while the last pass ran (a long pass leaves no time to wait).
        if let Some((n, _, _)) = &mut notes {
            let (u, r) = n.drain();
            users.extend(u);
            resync |= r;
        }
        pass += 1;
        let timer = Instant::now() >= next_timer;
        let mut opts = opts.clone();
        notified = users.len();
        kind = match &mut notes {
            None => "full",
            Some((n, failed, full_every)) => {
                if timer {
                    timer_passes += 1;
                    n.renew_due(&client).await;
                }
                if resync {
                    let all = mailbox_users(&store, &tenant.tenant_id).await?;
                    n.subscribe(&client, &all).await;
                }
                if resync || (timer && timer_passes.is_multiple_of(*full_every)) {
                    "full"
                } else {
                    // Only the mailboxes Microsoft named, plus those it would not notify for.
                    users.extend(failed.iter().cloned());
                    opts.only_mailboxes = Some(users.iter().cloned().collect());
                    if timer {
                        "timer"
                    } else {
                        // Mail only: rules, methods and logs wait for the timer.
                        opts.state = false;
                        opts.events = false;
                        "notified"
                    }
                }
            }
        };
        if timer {
            next_timer = Instant::now() + interval;
        }
        summary = Syncer::new(client.clone(), store.clone())
            .with_analyzer(analyzer.clone())
            .sync(&opts)
            .await
            .context("sync failed; `ward watch` can be restarted and resumes where it stopped")?;
    }
    if let Some((n, _, _)) = notes {
        n.close(&client).await;
    }
    store.close().await;
    if !args.json {
        eprintln!("stopped after {}", plural(pass, "pass", "passes"));
    }
    Ok(ExitCode::SUCCESS)
}

/// The users whose mailboxes Ward syncs.
async fn mailbox_users(store: &ward_store::Store, tenant: &str) -> Result<Vec<String>> {
    Ok(store
        .list_mailboxes(tenant)
        .await?
        .into_iter()
        .map(|m| m.user_id.unwrap_or(m.id))
        .collect())
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
    kind: &str,
    notified: usize,
    s: &ward_ingest::SyncSummary,
    changed: &[String],
    actions: &std::collections::BTreeMap<String, usize>,
) -> Result<()> {
    if args.json {
        println!(
            "{}",
            json!({
                "pass": pass,
                "kind": kind,
                "notified_mailboxes": notified,
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
            "pass {pass} ({kind}): {}, {}, {}, {}; {} changed{}",
            plural(s.messages_new, "new message", "new messages"),
            plural(s.sign_ins, "sign-in", "sign-ins"),
            plural(s.audits + s.unified_audit, "audit", "audits"),
            plural(s.graph_requests, "Graph request", "Graph requests"),
            plural(changed.len() as u64, "incident", "incidents"),
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
