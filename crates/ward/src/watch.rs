//! `ward watch`: [`ward_pipeline::watch`] until stopped (Ctrl-C or SIGTERM finish the pass
//! under way, then stop), one line or JSON object per pass.

use crate::words::plural;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use ward_pipeline::watch::{PassReport, WatchEvent, WatchOptions};

use crate::config::Config;

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
    let opts = WatchOptions {
        interval: Duration::from_secs_f64(args.interval.max(0.1)),
        passes: args.passes,
        respond: !args.no_respond,
        respond_lock: None,
    };
    let progress = Arc::new(crate::progress::Bars::new());
    let json = args.json;
    let passes = ward_pipeline::watch::run(&config, &opts, stop, progress, |event| match event {
        WatchEvent::Subscribed {
            url,
            created,
            refused,
        } if !json => eprintln!(
            "change notifications at {url}: {created} subscriptions{}",
            if refused == 0 {
                String::new()
            } else {
                format!(
                    "; {} refused, polled every pass instead",
                    plural(refused as u64, "mailbox", "mailboxes")
                )
            }
        ),
        WatchEvent::Subscribed { .. } => {}
        WatchEvent::Pass(r) => report(json, r),
    })
    .await?;
    if !json {
        eprintln!("stopped after {}", plural(passes, "pass", "passes"));
    }
    Ok(ExitCode::SUCCESS)
}

fn report(json: bool, r: &PassReport) {
    let s = &r.summary;
    if json {
        println!(
            "{}",
            json!({
                "pass": r.pass,
                "kind": r.kind,
                "notified_mailboxes": r.notified_mailboxes,
                "messages_new": s.messages_new,
                "sign_ins": s.sign_ins,
                "audits": s.audits,
                "unified_audit": s.unified_audit,
                "graph_requests": s.graph_requests,
                "throttled_responses": s.throttled_responses,
                "warnings": s.warnings.len(),
                "incidents_changed": r.incidents_changed,
                "actions": r.actions,
            })
        );
    } else {
        let acts: Vec<String> = r.actions.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!(
            "pass {} ({}): {}, {}, {}, {}; {} changed{}",
            r.pass,
            r.kind,
            plural(s.messages_new, "new message", "new messages"),
            plural(s.sign_ins, "sign-in", "sign-ins"),
            plural(s.audits + s.unified_audit, "audit", "audits"),
            plural(s.graph_requests, "Graph request", "Graph requests"),
            plural(r.incidents_changed.len() as u64, "incident", "incidents"),
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
}

/// Ctrl-C, or SIGTERM (a service manager stopping Ward).
pub(crate) async fn shutdown_signal() {
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
