//! The pipeline, continuously — sync, analyse, detect, respond — one pass after another until
//! stopped. `ward watch` runs it and prints each pass; the console will run the same loop.
//!
//! Detection keeps its state between passes (baselines, the correlator, what it has seen), so a
//! pass costs what is new, not the whole history. Every pass commits as it goes: stopping or
//! killing the process loses nothing, and the next start picks up from the store.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use ward_ingest::{Progress, SyncSummary, Syncer};
use ward_respond::{Disposition, Responder};

use crate::config::Config;
use crate::detect::DetectStage;
use crate::notify::Notifications;

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Time between the start of one timer pass and the next.
    pub interval: Duration,
    /// Stop after this many passes (default: until stopped).
    pub passes: Option<u64>,
    /// Detect only: do not apply the response playbooks.
    pub respond: bool,
    /// Held while the respond stage runs, so that decisions made elsewhere in the process (the
    /// console's approve and reject) never run an action at the same time as the stage.
    pub respond_lock: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// What the loop tells whoever runs it.
#[derive(Debug)]
pub enum WatchEvent<'a> {
    /// Change notifications are set up: `created` subscriptions at `url`; `refused` mailboxes
    /// are polled every pass instead.
    Subscribed {
        url: &'a str,
        created: usize,
        refused: usize,
    },
    /// One pass finished.
    Pass(&'a PassReport),
}

/// One pass: what was synced, which incidents changed, what the playbooks did.
#[derive(Debug)]
pub struct PassReport {
    pub pass: u64,
    /// `full` (every mailbox), `timer` (the notified mailboxes plus state and logs) or
    /// `notified` (mail of the mailboxes Microsoft named).
    pub kind: &'static str,
    pub notified_mailboxes: usize,
    pub summary: SyncSummary,
    pub incidents_changed: Vec<String>,
    /// Response actions per disposition (`done`, `failed`, `queued`, `observed`, ...).
    pub actions: BTreeMap<String, usize>,
}

/// Runs passes until `stop` is set (the pass under way finishes first) or `opts.passes` ran;
/// returns the number of passes. The first pass syncs the directory before the analyzer is
/// built from it, and detects over the stored backlog too.
pub async fn run(
    config: &Config,
    opts: &WatchOptions,
    stop: Arc<AtomicBool>,
    progress: Arc<dyn Progress>,
    mut on: impl FnMut(WatchEvent<'_>),
) -> Result<u64> {
    let tenant = config.tenant()?;
    let client = crate::tenant::client(&tenant, &config.file.sync)?;
    let store = crate::tenant::store(&config.database).await?;
    let sync_opts = crate::sync::sync_options(config, &tenant.tenant_id);
    let interval = opts.interval.max(Duration::from_millis(100));
    if config.file.notifications.is_some() && interval < Duration::from_secs(1) {
        anyhow::bail!("the interval must be at least 1 s with change notifications");
    }

    let first = crate::sync::sync_tenant(
        client.clone(),
        store.clone(),
        sync_opts.clone(),
        &config.file.analysis,
        progress,
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
    let responder = opts.respond.then(|| {
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
            on(WatchEvent::Subscribed {
                url: n.url(),
                created: rep.created,
                refused: rep.failed.len(),
            });
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
        let mut actions = BTreeMap::<String, usize>::new();
        if let Some(r) = &responder {
            let _held = match &opts.respond_lock {
                Some(l) => Some(l.lock().await),
                None => None,
            };
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
        let report = PassReport {
            pass,
            kind,
            notified_mailboxes: notified,
            summary,
            incidents_changed: changed,
            actions,
        };
        on(WatchEvent::Pass(&report));
        if stop.load(Ordering::SeqCst) || opts.passes.is_some_and(|n| pass >= n) {
            break;
        }
        // Wait for the next timer pass — or, with notifications, for new mail — waking early
        // to stop.
        let mut users = BTreeSet::new();
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
        let mut opts = sync_opts.clone();
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
            .context("sync failed; the watch can be restarted and resumes where it stopped")?;
    }
    if let Some((n, _, _)) = notes {
        n.close(&client).await;
    }
    store.close().await;
    Ok(pass)
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
