//! Sync of a Microsoft 365 tenant into Ward's store.
//!
//! One [`Syncer`] keeps the store's picture of one tenant current: the directory (users delta),
//! every mailbox's new mail (per-folder message delta, MIME fetched once per new message and
//! analysed on the way in), inbox rules, authentication methods and applications (snapshots, so
//! changes can be diffed without waiting for the audit stream), sign-ins, directory audits and
//! the Management Activity API's unified audit stream.
//!
//! Crash safety is the design rule: every page of data is written in **one transaction together
//! with the cursor that points past it**. Killed at any instant, a sync restarts from the last
//! committed cursor; the page in flight is fetched again and its items, being keyed by their
//! Microsoft ids, are inserted once. A message is analysed only when it is not in the store yet,
//! and its analysis is committed with it, so no message is processed twice.

mod directory;
mod events;
mod mail;
mod state;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;
use ward_graph::{GraphClient, GraphError};
use ward_store::{Store, StoreError};

pub use mail::DEFAULT_FOLDERS;

/// What a sync run can fail with. Each names the stream and, through its source, the resource.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{stream}: {source}")]
    Graph {
        stream: String,
        #[source]
        source: Box<GraphError>,
    },
    #[error("{stream}: {source}")]
    Store {
        stream: String,
        #[source]
        source: StoreError,
    },
    #[error(
        "{stream}: the delta cursor expired twice in a row; Microsoft keeps resetting it — retry later"
    )]
    ResyncLoop { stream: String },
}

impl IngestError {
    /// The Microsoft error underneath, when there is one.
    pub fn graph_error(&self) -> Option<&GraphError> {
        match self {
            IngestError::Graph { source, .. } => Some(source),
            _ => None,
        }
    }

    pub(crate) fn graph(stream: &str) -> impl FnOnce(GraphError) -> IngestError + '_ {
        move |source| IngestError::Graph {
            stream: stream.to_owned(),
            source: Box::new(source),
        }
    }
    pub(crate) fn store(stream: &str) -> impl FnOnce(StoreError) -> IngestError + '_ {
        move |source| IngestError::Store {
            stream: stream.to_owned(),
            source,
        }
    }
}

pub type Result<T, E = IngestError> = std::result::Result<T, E>;

/// The analysis a message gets on its way into the store (the pipeline's analyze stage).
pub trait MessageAnalyzer: Send + Sync {
    /// Analyses one raw RFC 5322 message. Errors are verdicts too (`verdict: "error"`).
    fn analyze(&self, mime: &[u8]) -> AnalysisOutcome;
}

/// What [`MessageAnalyzer::analyze`] returns: the fields of a stored analysis.
#[derive(Debug, Clone, Serialize)]
pub struct AnalysisOutcome {
    pub verdict: String,
    pub score: i64,
    pub categories: Vec<String>,
    pub signals: serde_json::Value,
    /// Content fingerprints (attachment hashes, lure URLs) kept for finding campaign variants.
    pub fingerprints: Vec<String>,
}

/// Receives progress of a sync; the CLI draws bars, tests ignore it.
pub trait Progress: Send + Sync {
    /// A stage begins, with the number of units when known (mailboxes, pages…).
    fn stage(&self, _name: &str, _total: Option<u64>) {}
    /// `n` more units of the current stage are done.
    fn advance(&self, _name: &str, _n: u64) {}
    /// A stage is finished.
    fn finish(&self, _name: &str) {}
    /// Something went wrong on one resource but the sync goes on.
    fn warn(&self, _message: &str) {}
}

/// A [`Progress`] that reports nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// Which parts of the tenant a run syncs, and how hard it may push.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub tenant_id: String,
    /// Mail folders tracked per mailbox (well-known names).
    pub folders: Vec<String>,
    /// Mailboxes synced concurrently (each one is also capped at 4 requests by the client).
    pub parallel_mailboxes: usize,
    /// On a first sync, how far back sign-ins, audits and the audit stream are read.
    pub backfill: chrono::Duration,
    /// `Prefer: odata.maxpagesize` for message delta.
    pub page_size: u32,
    /// Sync mail (delta + MIME + analysis).
    pub mail: bool,
    /// Snapshot inbox rules, authentication methods and applications.
    pub state: bool,
    /// Read sign-ins, directory audits and the Management Activity API.
    pub events: bool,
    /// Stop (as if killed) after this many committed message pages that changed the store —
    /// used by crash tests.
    pub stop_after_pages: Option<u64>,
    /// Sync mail only for these users (ids) — the mailboxes change notifications named. `None`
    /// = every mailbox.
    pub only_mailboxes: Option<Vec<String>>,
}

impl SyncOptions {
    pub fn new(tenant_id: impl Into<String>) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            folders: DEFAULT_FOLDERS.iter().map(|s| s.to_string()).collect(),
            parallel_mailboxes: 8,
            backfill: chrono::Duration::days(7),
            page_size: 50,
            mail: true,
            state: true,
            events: true,
            stop_after_pages: None,
            only_mailboxes: None,
        }
    }
}

/// Counters of one run, for the closing summary and `runs` table.
#[derive(Debug, Default, Serialize)]
pub struct SyncSummary {
    pub users: u64,
    pub users_removed: u64,
    pub mailboxes: u64,
    pub messages_new: u64,
    pub messages_moved: u64,
    pub messages_removed: u64,
    pub messages_analyzed: u64,
    pub pages: u64,
    pub resyncs: u64,
    pub snapshots_changed: u64,
    pub sign_ins: u64,
    pub audits: u64,
    pub unified_audit: u64,
    /// Resources that failed but did not stop the run ("mailbox x: access denied …").
    pub warnings: Vec<String>,
    pub graph_requests: u64,
    pub throttled_responses: u64,
    pub elapsed_ms: u64,
    /// Objects whose snapshot changed in this run, by kind (`inbox_rules`, `auth_methods`,
    /// `app`): the detect stage diffs these.
    pub changed: BTreeMap<String, Vec<String>>,
    /// Message keys (mailbox, graph id) added in this run.
    #[serde(skip)]
    pub new_messages: Vec<(String, String)>,
    /// True when the run stopped early on purpose (`stop_after_pages`).
    pub interrupted: bool,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub users: AtomicU64,
    pub users_removed: AtomicU64,
    pub mailboxes: AtomicU64,
    pub messages_new: AtomicU64,
    pub messages_moved: AtomicU64,
    pub messages_removed: AtomicU64,
    pub messages_analyzed: AtomicU64,
    pub pages: AtomicU64,
    pub resyncs: AtomicU64,
    pub snapshots_changed: AtomicU64,
    pub sign_ins: AtomicU64,
    pub audits: AtomicU64,
    pub unified_audit: AtomicU64,
}

pub(crate) fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// Shared state of one run.
pub(crate) struct Run {
    pub client: GraphClient,
    pub store: Store,
    pub opts: SyncOptions,
    pub analyzer: Option<Arc<dyn MessageAnalyzer>>,
    pub progress: Arc<dyn Progress>,
    pub counters: Counters,
    pub warnings: parking_lot::Mutex<Vec<String>>,
    pub changed: parking_lot::Mutex<BTreeMap<String, Vec<String>>>,
    pub new_messages: parking_lot::Mutex<Vec<(String, String)>>,
    pub stop: std::sync::atomic::AtomicBool,
    pub changed_pages: AtomicU64,
}

impl Run {
    pub fn warn(&self, message: String) {
        tracing::warn!("{message}");
        self.progress.warn(&message);
        self.warnings.lock().push(message);
    }

    /// Counts a committed page; true when the run must stop now (crash tests count only pages
    /// that changed something, so repeated interrupted runs always make progress).
    pub fn page_committed(&self, changed_data: bool) -> bool {
        self.counters.pages.fetch_add(1, Ordering::SeqCst);
        let changed = if changed_data {
            self.changed_pages.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            self.changed_pages.load(Ordering::SeqCst)
        };
        if let Some(limit) = self.opts.stop_after_pages
            && changed >= limit
        {
            self.stop.store(true, Ordering::SeqCst);
        }
        self.stopped()
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Keeps one tenant's picture in the store current.
pub struct Syncer {
    client: GraphClient,
    store: Store,
    analyzer: Option<Arc<dyn MessageAnalyzer>>,
    progress: Arc<dyn Progress>,
}

impl Syncer {
    pub fn new(client: GraphClient, store: Store) -> Self {
        Self {
            client,
            store,
            analyzer: None,
            progress: Arc::new(Quiet),
        }
    }

    /// Analyse every new message with `analyzer` before it is stored.
    pub fn with_analyzer(mut self, analyzer: Arc<dyn MessageAnalyzer>) -> Self {
        self.analyzer = Some(analyzer);
        self
    }

    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    pub fn client(&self) -> &GraphClient {
        &self.client
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// One sync run: first sync when the store has no cursors for the tenant, incremental after.
    ///
    /// A failure on one mailbox or one event source is recorded as a warning and the run goes
    /// on; only failures that make the whole run meaningless (the directory cannot be read, the
    /// store fails) are errors.
    pub async fn sync(&self, opts: &SyncOptions) -> Result<SyncSummary> {
        let started = Instant::now();
        let before = self.client.stats();
        let run = Arc::new(Run {
            client: self.client.clone(),
            store: self.store.clone(),
            opts: opts.clone(),
            analyzer: self.analyzer.clone(),
            progress: self.progress.clone(),
            counters: Counters::default(),
            warnings: Default::default(),
            changed: Default::default(),
            new_messages: Default::default(),
            stop: Default::default(),
            changed_pages: Default::default(),
        });
        // The store knows which tenants it holds: a reading command on a one-tenant store
        // needs no `--tenant`.
        if self
            .store
            .get_tenant(&opts.tenant_id)
            .await
            .map_err(IngestError::store("tenants"))?
            .is_none()
        {
            self.store
                .upsert_tenant(&ward_store::Tenant {
                    id: opts.tenant_id.clone(),
                    name: opts.tenant_id.clone(),
                    config_fingerprint: String::new(),
                })
                .await
                .map_err(IngestError::store("tenants"))?;
        }
        let users = directory::sync_users(&run).await?;
        if opts.mail && !run.stopped() {
            match &opts.only_mailboxes {
                None => mail::sync_mailboxes(&run, &users).await?,
                Some(only) => {
                    let some: Vec<_> = users
                        .iter()
                        .filter(|u| only.contains(&u.id))
                        .cloned()
                        .collect();
                    mail::sync_mailboxes(&run, &some).await?;
                }
            }
        }
        if opts.state && !run.stopped() {
            state::sync_state(&run, &users).await?;
        }
        if opts.events && !run.stopped() {
            events::sync_events(&run).await?;
        }
        let after = self.client.stats();
        let c = &run.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let summary = SyncSummary {
            users: get(&c.users),
            users_removed: get(&c.users_removed),
            mailboxes: get(&c.mailboxes),
            messages_new: get(&c.messages_new),
            messages_moved: get(&c.messages_moved),
            messages_removed: get(&c.messages_removed),
            messages_analyzed: get(&c.messages_analyzed),
            pages: get(&c.pages),
            resyncs: get(&c.resyncs),
            snapshots_changed: get(&c.snapshots_changed),
            sign_ins: get(&c.sign_ins),
            audits: get(&c.audits),
            unified_audit: get(&c.unified_audit),
            warnings: std::mem::take(&mut *run.warnings.lock()),
            graph_requests: after.http_requests.saturating_sub(before.http_requests),
            throttled_responses: after
                .throttled_responses()
                .saturating_sub(before.throttled_responses()),
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            changed: std::mem::take(&mut *run.changed.lock()),
            new_messages: std::mem::take(&mut *run.new_messages.lock()),
            interrupted: run.stopped(),
        };
        let record = ward_store::Run {
            tenant_id: opts.tenant_id.clone(),
            stream: "sync".to_owned(),
            started_at: chrono::Utc::now()
                - chrono::Duration::milliseconds(i64::try_from(summary.elapsed_ms).unwrap_or(0)),
            duration_ms: i64::try_from(summary.elapsed_ms).unwrap_or(i64::MAX),
            items: i64::try_from(summary.messages_new + summary.sign_ins + summary.audits)
                .unwrap_or(i64::MAX),
            requests: i64::try_from(summary.graph_requests).unwrap_or(i64::MAX),
            throttled: i64::try_from(summary.throttled_responses).unwrap_or(i64::MAX),
            errors: i64::try_from(summary.warnings.len()).unwrap_or(i64::MAX),
        };
        if let Err(e) = self.store.record_run(&record).await {
            tracing::warn!("could not record the sync run: {e}");
        }
        Ok(summary)
    }
}

/// Retries a resync-prone stream: a 410 / `SyncStateNotFound` forgets the cursor and starts the
/// stream again from its initial URL, once; a second expiry in a row is an error.
pub(crate) async fn with_resync<F, Fut>(run: &Run, stream: &str, mut f: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    match f().await {
        Err(IngestError::Graph { source, .. }) if source.is_resync() => {
            bump(&run.counters.resyncs, 1);
            tracing::info!("{stream}: delta state expired, full resync");
            run.store
                .delete_cursor(&run.opts.tenant_id, stream)
                .await
                .map_err(IngestError::store(stream))?;
            match f().await {
                Err(IngestError::Graph { source, .. }) if source.is_resync() => {
                    Err(IngestError::ResyncLoop {
                        stream: stream.to_owned(),
                    })
                }
                other => other,
            }
        }
        other => other,
    }
}
