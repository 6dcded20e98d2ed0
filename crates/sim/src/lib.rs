//! A simulated Microsoft 365 tenant that speaks Microsoft's HTTP: identity platform, Graph,
//! Management Activity API — all on one loopback base URL.
//!
//! ```text
//! {base}/{tenant}/oauth2/v2.0/token        client credentials (secret or certificate assertion)
//! {base}/{tenant}/oauth2/token             v1 endpoint (resource=https://manage.office.com)
//! {base}/v1.0/...  {base}/beta/...         Microsoft Graph
//! {base}/api/v1.0/{tid}/activity/feed/...  Office 365 Management Activity API
//! {base}/_sim/stats  {base}/_sim/ground-truth
//! ```
//!
//! The simulator is Microsoft: it follows the documented behaviour and limits (throttling,
//! paging, delta, batch, errors) and counts on the server side what a client did
//! ([`SimStats`]), so tests can assert that a client behaved (e.g. never ignored `Retry-After`).

mod auth;
pub mod config;
mod graph;
mod live;
mod management;
mod mime;
mod odata;
mod server;
pub mod state;
pub mod stats;
pub mod testkit;
mod util;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rand::SeedableRng;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use ward_scenario::{TenantSeed, TimedAction};

pub use config::{
    ClockMode, DEFAULT_APP_ROLES, FaultConfig, PageConfig, RegisteredApp, SimConfig, ThrottleConfig,
};
pub use state::{PasswordChange, RevokeRecord, Tenant};
pub use stats::SimStats;

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot bind {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("cannot create the token-signing key")]
    SigningKey,
    #[error("loading the seed failed")]
    Load,
    #[error("http client: {0}")]
    Http(String),
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Bind, load the seed, start the server, the webhook worker and (if configured) the live
    /// timeline. Returns once the server accepts connections.
    pub async fn start(config: SimConfig, seed: TenantSeed) -> Result<SimHandle, SimError> {
        // RSA key generation is slow: do it once, off the async workers.
        tokio::task::spawn_blocking(auth::signing_key)
            .await
            .ok()
            .flatten()
            .ok_or(SimError::SigningKey)?;
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|e| SimError::Bind(config.bind, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| SimError::Bind(config.bind, e))?;
        let base = config
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        let start = Utc::now();
        // Loading parses every message: keep it off the async workers.
        let ((tenant, shift), mut seed, config) = tokio::task::spawn_blocking(move || {
            let loaded = Tenant::from_seed(&seed, &config, start);
            (loaded, seed, config)
        })
        .await
        .map_err(|_| SimError::Load)?;
        for ev in &mut seed.timeline {
            live::shift_action(&mut ev.action, shift);
        }
        let mut tenant_names = vec![seed.initial_domain.clone()];
        tenant_names.extend(seed.accepted_domains.iter().cloned());
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| SimError::Http(e.to_string()))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let sim = Arc::new(server::Sim {
            rng: Mutex::new(rand_chacha::ChaCha8Rng::seed_from_u64(config.faults.seed)),
            apps: Mutex::new(config.apps.clone()),
            verified: Mutex::new(Default::default()),
            cfg: config,
            base,
            state: Mutex::new(tenant),
            stats: Default::default(),
            used_jti: Mutex::new(Default::default()),
            tenant_names,
            tenant_id: seed.tenant_id.clone(),
            http,
            webhook_tx: tx,
            start,
            seed_shift: shift,
        });
        sim.stats
            .with(|s| s.timeline_events_total = seed.timeline.len() as u64);
        let mut tasks = vec![tokio::spawn(webhooks::run(Arc::downgrade(&sim), rx))];
        if sim.cfg.play_timeline && !seed.timeline.is_empty() {
            tasks.push(tokio::spawn(live::play(
                Arc::downgrade(&sim),
                seed.timeline.clone(),
                tokio::time::Instant::now(),
                sim.cfg.live_speed,
            )));
        }
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let app = server::router(sim.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
        });
        Ok(SimHandle {
            sim,
            addr,
            stop: Some(stop_tx),
            server: Some(server),
            tasks,
            timeline: seed.timeline,
        })
    }
}

/// A summary of a stored message, for tests.
#[derive(Debug, Clone)]
pub struct MessageInfo {
    pub id: String,
    pub immutable_id: String,
    pub internet_message_id: String,
    pub subject: String,
    pub folder_id: String,
    /// Well-known name when the folder has one, else its display name.
    pub folder: String,
    pub is_read: bool,
    pub categories: Vec<String>,
    pub scenario: Option<String>,
}

/// A running simulator.
pub struct SimHandle {
    sim: Arc<server::Sim>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    tasks: Vec<JoinHandle<()>>,
    timeline: Vec<ward_scenario::TimedEvent>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT` (or the configured override).
    pub fn base_url(&self) -> &str {
        &self.sim.base
    }
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn tenant_id(&self) -> &str {
        &self.sim.tenant_id
    }
    /// `{base}/{tenant}/oauth2/v2.0/token`
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.sim.base, self.sim.tenant_id)
    }
    /// `{base}/v1.0`
    pub fn graph_url(&self) -> String {
        format!("{}/v1.0", self.sim.base)
    }
    /// `{base}/api/v1.0/{tid}/activity/feed`
    pub fn management_url(&self) -> String {
        format!(
            "{}/api/v1.0/{}/activity/feed",
            self.sim.base, self.sim.tenant_id
        )
    }
    /// How far seed timestamps were moved (start − anchor) under [`ClockMode::Rebase`].
    pub fn seed_shift(&self) -> chrono::TimeDelta {
        self.sim.seed_shift
    }
    pub fn started_at(&self) -> DateTime<Utc> {
        self.sim.start
    }

    pub fn stats(&self) -> SimStats {
        self.sim.stats.snapshot()
    }

    /// Stop serving and stop background tasks.
    pub async fn shutdown(mut self) {
        self.stop_inner().await;
    }

    async fn stop_inner(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
        if let Some(s) = self.server.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s).await;
        }
    }

    /// Read the tenant state directly (ground truth for assertions).
    pub fn with_state<R>(&self, f: impl FnOnce(&Tenant) -> R) -> R {
        f(&self.sim.state.lock())
    }

    /// Mutate the tenant state directly; change notifications are still sent.
    pub fn with_state_mut<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> R {
        self.sim.mutate(f)
    }

    /// Every message in a user's mailbox.
    pub fn messages(&self, user: &str) -> Vec<MessageInfo> {
        self.with_state(|t| {
            let Some(uid) = t.user_id(user) else {
                return vec![];
            };
            let Some(mb) = t.mailboxes.get(&uid) else {
                return vec![];
            };
            mb.messages
                .values()
                .map(|m| MessageInfo {
                    id: m.rest_id.clone(),
                    immutable_id: m.immutable_id.clone(),
                    internet_message_id: m.mail.internet_message_id.clone(),
                    subject: m.mail.subject.clone(),
                    folder_id: m.folder_id.clone(),
                    folder: mb.folder_label(&m.folder_id),
                    is_read: m.is_read,
                    categories: m.categories.clone(),
                    scenario: m.scenario.clone(),
                })
                .collect()
        })
    }

    /// The folder (well-known name or display name) holding a message, by Internet Message-ID;
    /// `None` when the message is not (or no longer) in the mailbox.
    pub fn message_folder(&self, user: &str, internet_message_id: &str) -> Option<String> {
        self.messages(user)
            .into_iter()
            .find(|m| m.internet_message_id == internet_message_id)
            .map(|m| m.folder)
    }

    /// Where every copy of a message is, across all mailboxes (folder labels as in
    /// [`SimHandle::messages`]).
    pub fn copies(&self, internet_message_id: &str) -> Vec<String> {
        self.with_state(|t| {
            t.mailboxes
                .values()
                .flat_map(|mb| {
                    mb.messages
                        .values()
                        .filter(|m| m.mail.internet_message_id == internet_message_id)
                        .map(|m| mb.folder_label(&m.folder_id))
                })
                .collect()
        })
    }

    pub fn inbox_rules(&self, user: &str) -> Vec<Value> {
        self.with_state(|t| {
            t.user_id(user)
                .and_then(|u| t.mailboxes.get(&u))
                .map(|m| m.rules.clone())
                .unwrap_or_default()
        })
    }

    pub fn hidden_forwarding(&self, user: &str) -> Option<String> {
        self.with_state(|t| {
            t.user_id(user)
                .and_then(|u| t.mailboxes.get(&u))
                .and_then(|m| m.hidden_forwarding.clone())
        })
    }

    pub fn auth_methods(&self, user: &str) -> Vec<Value> {
        self.with_state(|t| {
            t.user_id(user)
                .and_then(|u| t.auth_methods.get(&u).cloned())
                .unwrap_or_default()
        })
    }

    pub fn revoked_sessions(&self) -> Vec<RevokeRecord> {
        self.with_state(|t| t.revoked_sessions.clone())
    }

    /// Mail forwarded out of the tenant by inbox rules or mailbox forwarding.
    pub fn forwards(&self) -> Vec<state::ForwardRecord> {
        self.with_state(|t| t.forwards.clone())
    }

    pub fn password_changes(&self) -> Vec<PasswordChange> {
        self.with_state(|t| t.password_changes.clone())
    }

    pub fn last_password_change(&self, user: &str) -> Option<DateTime<Utc>> {
        self.with_state(|t| {
            t.user(user)
                .and_then(|u| u["lastPasswordChangeDateTime"].as_str())
                .and_then(util::parse_time)
        })
    }

    pub fn directory_audits(&self) -> Vec<Value> {
        self.with_state(|t| t.directory_audits.clone())
    }

    /// Every unified audit record, visible yet or not.
    pub fn unified_audit(&self) -> Vec<Value> {
        self.with_state(|t| t.unified.iter().map(|r| r.record.clone()).collect())
    }

    pub fn analyzed_emails(&self) -> Vec<Value> {
        self.with_state(|t| t.analyzed_emails.clone())
    }

    pub fn subscription_count(&self) -> usize {
        self.with_state(|t| t.subscriptions.len())
    }

    /// Deliver a message now to each recipient (ids, UPNs or addresses); returns each copy's
    /// (REST id, immutable id). Side effects as a real delivery (delta, notifications,
    /// analyzedEmail).
    pub fn inject_message(
        &self,
        recipients: &[&str],
        folder: &str,
        mime: &[u8],
    ) -> Vec<(String, String)> {
        let r: Vec<String> = recipients.iter().map(|s| s.to_string()).collect();
        live::deliver_now(&self.sim, &r, folder, mime, None)
    }

    /// Apply a timeline action now, with its side effects.
    pub fn apply(&self, action: &TimedAction, scenario: Option<&str>) {
        live::apply(&self.sim, action, scenario);
    }

    /// Play the seed's timeline now (when started with `play_timeline: false`).
    pub fn play_timeline(&mut self) {
        let events = self.timeline.clone();
        self.tasks.push(tokio::spawn(live::play(
            Arc::downgrade(&self.sim),
            events,
            tokio::time::Instant::now(),
            self.sim.cfg.live_speed,
        )));
    }

    /// Invalidate every outstanding delta token: next use answers `410 SyncStateNotFound`.
    pub fn expire_delta_tokens(&self) {
        self.sim.state.lock().expire_delta_tokens();
    }

    /// Replace an app's granted roles; tokens issued from now on carry them.
    pub fn set_roles(&self, client_id: &str, roles: &[&str]) {
        let mut apps = self.sim.apps.lock();
        if let Some(a) = apps
            .iter_mut()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
        {
            a.roles = roles.iter().map(|r| r.to_string()).collect();
        }
    }

    /// Send a lifecycle notification (`reauthorizationRequired`, `missed`, `subscriptionRemoved`).
    pub fn send_lifecycle(&self, subscription_id: &str, event: &str) {
        let _ = self.sim.webhook_tx.send(webhooks::WebhookJob::Lifecycle {
            subscription_id: subscription_id.into(),
            event: event.into(),
        });
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}
