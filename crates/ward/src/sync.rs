//! `ward sync`: the first and the incremental sync of the configured tenant into the store.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use ward_ingest::{SyncOptions, SyncSummary, Syncer};

use crate::config::Config;

#[derive(clap::Args)]
pub struct SyncArgs {
    /// Configuration file (default: ./ward.toml, or $WARD_CONFIG).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Store: a SQLite file path or a postgres:// URL (default: [store] database, or ward.db).
    #[arg(long, env = "WARD_DATABASE")]
    pub database: Option<String>,
    /// Print the closing summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Skip mail (directory, state and events only).
    #[arg(long)]
    pub no_mail: bool,
    /// Skip sign-ins, audits and the unified audit stream.
    #[arg(long)]
    pub no_events: bool,
}

pub fn run(args: SyncArgs) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref(), args.database.as_deref())?;
    let tenant = config.tenant()?;
    let rt = tokio::runtime::Runtime::new()?;
    let summary = rt.block_on(async {
        let client = crate::tenant::client(&tenant, &config.file.sync)?;
        let store = crate::tenant::store(&config.database).await?;
        let mut opts = SyncOptions::new(&tenant.tenant_id);
        let s = &config.file.sync;
        if let Some(n) = s.parallel_mailboxes {
            opts.parallel_mailboxes = n;
        }
        if let Some(days) = s.backfill_days {
            opts.backfill = chrono::Duration::days(i64::from(days));
        }
        opts.mail = !args.no_mail;
        opts.events = !args.no_events;
        sync_tenant(client, store, opts, &config.file.analysis).await
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// The directory first (the analyzer needs the tenant's domains and executives), then
/// everything with every new message analysed on the way in.
pub async fn sync_tenant(
    client: ward_graph::GraphClient,
    store: ward_store::Store,
    opts: SyncOptions,
    analysis: &crate::config::AnalysisSection,
) -> Result<SyncSummary> {
    let progress = Arc::new(crate::progress::Bars::new());
    let directory_only = SyncOptions {
        mail: false,
        state: false,
        events: false,
        ..opts.clone()
    };
    let resume = "sync failed; run `ward sync` again to resume where it stopped";
    Syncer::new(client.clone(), store.clone())
        .with_progress(progress.clone())
        .sync(&directory_only)
        .await
        .context(resume)?;
    let analyzer = crate::analyze::for_tenant(&store, &opts.tenant_id, analysis).await?;
    Syncer::new(client, store)
        .with_analyzer(analyzer)
        .with_progress(progress)
        .sync(&opts)
        .await
        .context(resume)
}

pub fn print_summary(s: &SyncSummary) {
    eprintln!(
        "synced {} users, {} mailboxes: {} new messages ({} analysed, {} moved, {} removed), \
         {} sign-ins, {} directory audits, {} unified audit records, {} changed snapshots",
        s.users,
        s.mailboxes,
        s.messages_new,
        s.messages_analyzed,
        s.messages_moved,
        s.messages_removed,
        s.sign_ins,
        s.audits,
        s.unified_audit,
        s.snapshots_changed
    );
    eprintln!(
        "{} Graph requests, {} throttled responses, {} delta resyncs, {:.1} s",
        s.graph_requests,
        s.throttled_responses,
        s.resyncs,
        s.elapsed_ms as f64 / 1000.0
    );
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
}
