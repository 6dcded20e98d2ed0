//! `ward sync`: the first and the incremental sync of the configured tenant into the store.

use crate::words::plural;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use ward_ingest::SyncSummary;
use ward_pipeline::sync::{STATE_BACKLOG_DAYS, sync_options, sync_tenant};

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
    /// Do not run detection after the sync (no findings or incidents are filed).
    #[arg(long)]
    pub no_detect: bool,
    /// Do not apply the response playbooks to the incidents detection filed.
    #[arg(long)]
    pub no_respond: bool,
}

/// What detection filed after a sync.
#[derive(serde::Serialize)]
struct DetectOutcome {
    /// Store incidents opened or changed by this run.
    changed: Vec<String>,
    /// Incidents open (not contained, not closed) after this run.
    open: usize,
    /// Response actions per disposition (`executed`, `queued`, `observed`, `existing`, ...).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    actions: std::collections::BTreeMap<String, usize>,
}

pub fn run(args: SyncArgs) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref(), args.database.as_deref())?;
    let tenant = config.tenant()?;
    eprintln!(
        "syncing tenant {} from {} (signing in at {})…",
        tenant.tenant_id, tenant.graph, tenant.login
    );
    let rt = tokio::runtime::Runtime::new()?;
    let (summary, detected) = rt.block_on(async {
        let client = crate::tenant::client(&tenant, &config.file.sync)?;
        let store = crate::tenant::store(&config.database).await?;
        let mut opts = sync_options(&config, &tenant.tenant_id);
        opts.mail = !args.no_mail;
        opts.events = !args.no_events;
        let progress = Arc::new(crate::progress::Bars::new());
        let summary = sync_tenant(
            client.clone(),
            store.clone(),
            opts,
            &config.file.analysis,
            progress,
        )
        .await?;
        let detected = if args.no_detect {
            None
        } else {
            let mut d = detect(&store, &tenant, &config, &summary).await?;
            if !args.no_respond {
                let r = ward_respond::Responder::new(
                    client,
                    store.clone(),
                    &tenant.tenant_id,
                    config.file.respond.clone(),
                );
                // Actions a crash left half-way first, then the playbooks.
                let resumed = r.resume().await.context("cannot resume actions")?;
                if !resumed.is_empty() {
                    d.actions.insert("resumed".into(), resumed.len());
                }
                for resp in ward_pipeline::respond::respond_stage(&r, &d.changed).await? {
                    for (_, disp) in resp.actions {
                        let key = serde_json::to_value(&disp)?["disposition"]
                            .as_str()
                            .unwrap_or("other")
                            .to_owned();
                        *d.actions.entry(key).or_default() += 1;
                    }
                }
                d.open = store
                    .incidents_with_status(&tenant.tenant_id, ward_store::IncidentStatus::Open)
                    .await?
                    .len();
            }
            Some(d)
        };
        store.close().await;
        anyhow::Ok((summary, detected))
    })?;
    if args.json {
        let mut v = serde_json::to_value(&summary)?;
        if let (Some(d), Some(obj)) = (&detected, v.as_object_mut()) {
            obj.insert("detect".into(), serde_json::to_value(d)?);
        }
        println!("{}", serde_json::to_string(&v)?);
    } else {
        print_summary(&summary);
        if let Some(d) = &detected {
            eprintln!(
                "detection: {} opened or updated, {} open — `ward incidents list`",
                plural(d.changed.len() as u64, "incident", "incidents"),
                d.open
            );
            if !d.actions.is_empty() {
                let parts: Vec<String> =
                    d.actions.iter().map(|(k, n)| format!("{n} {k}")).collect();
                eprintln!(
                    "response: {} — `ward respond list` shows what waits for approval",
                    parts.join(", ")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a fresh detect stage over what this sync added and over the stored backlog (a new
/// process re-reads every stored event; stable ids make that idempotent).
async fn detect(
    store: &ward_store::Store,
    tenant_config: &crate::config::TenantConfig,
    config: &Config,
    summary: &SyncSummary,
) -> Result<DetectOutcome> {
    let tenant = tenant_config.tenant_id.as_str();
    let mut stage = crate::detect::DetectStage::new(
        store.clone(),
        tenant,
        &tenant_config.client_id,
        config.file.geoip.dir.as_ref(),
    )
    .await?;
    let work = stage.backlog(summary, STATE_BACKLOG_DAYS).await?;
    let changed = stage.process(&work).await.context("detection failed")?;
    let open = store
        .incidents_with_status(tenant, ward_store::IncidentStatus::Open)
        .await
        .context("cannot count open incidents")?
        .len();
    Ok(DetectOutcome {
        changed,
        open,
        actions: Default::default(),
    })
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
