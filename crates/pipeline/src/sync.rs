//! The sync stage: the directory first, then mail (analysed on the way in), state and events.

use std::sync::Arc;

use anyhow::Result;
use ward_ingest::{Progress, SyncOptions, SyncSummary, Syncer};

use crate::config::Config;

/// Snapshot changes older than this are not diffed again by a fresh process.
pub const STATE_BACKLOG_DAYS: i64 = 7;

/// Sync options from the `[sync]` section.
pub fn sync_options(config: &Config, tenant_id: &str) -> SyncOptions {
    let mut opts = SyncOptions::new(tenant_id);
    let s = &config.file.sync;
    if let Some(n) = s.parallel_mailboxes {
        opts.parallel_mailboxes = n;
    }
    if let Some(days) = s.backfill_days {
        opts.backfill = chrono::Duration::days(i64::from(days));
    }
    opts
}

/// The directory first (the analyzer needs the tenant's domains and executives), then
/// everything with every new message analysed on the way in.
pub async fn sync_tenant(
    client: ward_graph::GraphClient,
    store: ward_store::Store,
    opts: SyncOptions,
    analysis: &crate::config::AnalysisSection,
    progress: Arc<dyn Progress>,
) -> Result<SyncSummary> {
    let directory_only = SyncOptions {
        mail: false,
        state: false,
        events: false,
        ..opts.clone()
    };
    let directory = Syncer::new(client.clone(), store.clone())
        .with_progress(progress.clone())
        .sync(&directory_only)
        .await
        .map_err(sync_error)?;
    let analyzer = crate::analyze::for_tenant(&store, &opts.tenant_id, analysis).await?;
    let mut summary = Syncer::new(client, store)
        .with_analyzer(analyzer)
        .with_progress(progress)
        .sync(&opts)
        .await
        .map_err(sync_error)?;
    // The directory changes were read by the first pass: count them in the summary.
    summary.users += directory.users;
    summary.users_removed += directory.users_removed;
    summary.graph_requests += directory.graph_requests;
    summary.throttled_responses += directory.throttled_responses;
    summary.warnings.extend(directory.warnings);
    Ok(summary)
}

/// A sync that stopped on the way resumes where it stopped — unless the tenant cannot be
/// reached or refuses Ward's sign-in, which running again will not change.
pub fn sync_error(e: ward_ingest::IngestError) -> anyhow::Error {
    let setup = e
        .graph_error()
        .is_some_and(ward_graph::GraphError::is_setup_problem);
    let e = anyhow::Error::new(e);
    if setup {
        e.context("sync failed, and running it again will not help until this is fixed")
    } else {
        e.context("sync failed; run `ward sync` again to resume where it stopped")
    }
}
