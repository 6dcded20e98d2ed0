//! Change notifications: Ward's endpoint for Microsoft Graph webhooks, and the subscriptions
//! that point Graph at it — so new mail is fetched when Microsoft says it arrived instead of
//! by polling every mailbox.
//!
//! - The endpoint answers Graph's validation handshake (`?validationToken=` echoed as
//!   text/plain), acknowledges every POST with 202 at once, and trusts a notification only when
//!   its `clientState` equals the secret Ward gave when subscribing (compared in constant time).
//!   Bodies are capped at 1 MiB; anything that does not parse is refused with 400.
//! - One subscription per mailbox and watched folder (`created` messages), with a lifecycle URL:
//!   `missed` and `subscriptionRemoved` make the next pass a full delta catch-up and re-subscribe.
//! - Notifications only say *which* mailbox changed; the mail itself still comes through delta,
//!   so a lost or duplicated notification loses or duplicates nothing.
//!
//! Against the real service the endpoint must be reachable over HTTPS from Microsoft: set
//! `[notifications] public_url` to the address your reverse proxy serves it at.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::mpsc;
use ward_graph::GraphClient;
use ward_graph::models::subscriptions::{ChangeNotificationCollection, Subscription};

/// `[notifications]` in ward.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsSection {
    /// Where Ward listens for Graph's POSTs (port 0: any free port).
    pub listen: SocketAddr,
    /// The HTTPS address Microsoft posts to (your reverse proxy), if not `http://{listen}`.
    pub public_url: Option<String>,
    /// Every this many passes, every mailbox is caught up by delta anyway (lost notifications).
    #[serde(default = "default_full_every")]
    pub full_sync_every: u64,
}

fn default_full_every() -> u64 {
    20
}

/// What the endpoint heard.
#[derive(Debug)]
enum Signal {
    /// New mail in this user's mailbox.
    Mailbox(String),
    /// Notifications were missed or a subscription was removed: catch up everything.
    Resync,
}

struct Shared {
    client_state: String,
    tx: mpsc::UnboundedSender<Signal>,
}

/// Folders watched per mailbox, as Graph resource segments.
const FOLDERS: &[&str] = &["inbox", "junkemail"];
/// Subscriptions live this long and are renewed when less than half is left.
const LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(48);
/// Longest validation token echoed back (Graph's are a few hundred characters).
const MAX_TOKEN: usize = 2048;

pub struct Notifications {
    url: String,
    client_state: String,
    rx: mpsc::UnboundedReceiver<Signal>,
    server: tokio::task::JoinHandle<()>,
    /// Subscription id → (user id, expiration).
    subs: HashMap<String, (String, DateTime<Utc>)>,
}

/// What a round of subscribing did.
#[derive(Debug, Default)]
pub struct SubscribeReport {
    pub created: usize,
    /// Mailboxes Microsoft refused (application access policy) or that failed otherwise.
    pub failed: Vec<String>,
}

impl Notifications {
    /// Binds the endpoint; Graph will be told to post to `public_url` or `http://{bound}`.
    pub async fn start(cfg: &NotificationsSection) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .with_context(|| format!("cannot listen for change notifications on {}", cfg.listen))?;
        let bound = listener.local_addr()?;
        let url = cfg
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}/graph/notify"));
        let client_state = random_secret();
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            client_state: client_state.clone(),
            tx,
        });
        let app = axum::Router::new()
            .route("/graph/notify", axum::routing::post(notify))
            .layer(DefaultBodyLimit::max(1024 * 1024))
            .with_state(shared);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Notifications {
            url,
            client_state,
            rx,
            server,
            subs: HashMap::new(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Subscribes each user's watched folders (skipping users already subscribed).
    pub async fn subscribe(&mut self, client: &GraphClient, users: &[String]) -> SubscribeReport {
        let mut report = SubscribeReport::default();
        let have: BTreeSet<&String> = self.subs.values().map(|(u, _)| u).collect();
        let todo: Vec<String> = users
            .iter()
            .filter(|u| !have.contains(u))
            .cloned()
            .collect();
        for user in todo {
            let mut ok = true;
            for folder in FOLDERS {
                let expiration = Utc::now() + LIFETIME;
                let sub = Subscription {
                    change_type: Some("created".into()),
                    notification_url: Some(self.url.clone()),
                    lifecycle_notification_url: Some(self.url.clone()),
                    resource: Some(format!("users/{user}/mailFolders('{folder}')/messages")),
                    expiration_date_time: Some(
                        expiration.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    ),
                    client_state: Some(self.client_state.clone()),
                    ..Default::default()
                };
                match client.create_subscription(&sub).await {
                    Ok(s) => {
                        report.created += 1;
                        self.subs.insert(s.id, (user.clone(), expiration));
                    }
                    Err(e) => {
                        tracing::warn!(user = %user, error = %e, "cannot subscribe");
                        ok = false;
                    }
                }
            }
            if !ok {
                report.failed.push(user);
            }
        }
        report
    }

    /// Renews the subscriptions past half their life; drops the ones Graph no longer knows
    /// (they are re-created by the next [`Notifications::subscribe`]).
    pub async fn renew_due(&mut self, client: &GraphClient) -> usize {
        let now = Utc::now();
        let due: Vec<String> = self
            .subs
            .iter()
            .filter(|(_, (_, exp))| *exp - now < LIFETIME / 2)
            .map(|(id, _)| id.clone())
            .collect();
        let mut renewed = 0;
        for id in due {
            let exp = now + LIFETIME;
            match client.renew_subscription(&id, exp).await {
                Ok(_) => {
                    renewed += 1;
                    if let Some(entry) = self.subs.get_mut(&id) {
                        entry.1 = exp;
                    }
                }
                Err(e) => {
                    tracing::warn!(subscription = %id, error = %e, "renewal failed");
                    self.subs.remove(&id);
                }
            }
        }
        renewed
    }

    /// Waits until `deadline` or the first notification, whichever comes first; then takes
    /// everything heard so far: (mailboxes with new mail, whether a full catch-up is needed).
    pub async fn wait(&mut self, deadline: Instant) -> (BTreeSet<String>, bool) {
        let mut users = BTreeSet::new();
        let mut resync = false;
        let left = deadline.saturating_duration_since(Instant::now());
        if let Ok(Some(first)) = tokio::time::timeout(left, self.rx.recv()).await {
            // Let a burst of notifications arrive together (one delivery per mailbox).
            tokio::time::sleep(Duration::from_millis(150)).await;
            take(first, &mut users, &mut resync);
        }
        let (more, r) = self.drain();
        users.extend(more);
        (users, resync || r)
    }

    /// Everything heard so far, without waiting.
    pub fn drain(&mut self) -> (BTreeSet<String>, bool) {
        let mut users = BTreeSet::new();
        let mut resync = false;
        while let Ok(s) = self.rx.try_recv() {
            take(s, &mut users, &mut resync);
        }
        (users, resync)
    }

    /// Deletes Ward's subscriptions (on a clean stop) and stops the endpoint.
    pub async fn close(self, client: &GraphClient) {
        for id in self.subs.keys() {
            if let Err(e) = client.delete_subscription(id).await {
                tracing::warn!(subscription = %id, error = %e, "cannot delete subscription");
            }
        }
        self.server.abort();
    }
}

fn take(s: Signal, users: &mut BTreeSet<String>, resync: &mut bool) {
    match s {
        Signal::Mailbox(u) => {
            users.insert(u);
        }
        Signal::Resync => *resync = true,
    }
}

/// 32 random bytes, hex: the `clientState` that proves a notification comes from a
/// subscription Ward made.
fn random_secret() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The user id in a notification's resource (`Users/{id}/Messages/{mid}`).
fn user_of(resource: &str) -> Option<String> {
    let mut parts = resource.trim_start_matches('/').split('/');
    let head = parts.next()?;
    if !head.eq_ignore_ascii_case("users") {
        return None;
    }
    let id = parts.next()?.trim();
    (!id.is_empty() && id.len() <= 256).then(|| id.to_owned())
}

async fn notify(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if let Some(token) = q.get("validationToken") {
        if token.len() > MAX_TOKEN {
            return StatusCode::BAD_REQUEST.into_response();
        }
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            token.clone(),
        )
            .into_response();
    }
    let Ok(coll) = serde_json::from_slice::<ChangeNotificationCollection>(&body) else {
        tracing::warn!(bytes = body.len(), "unreadable change notification refused");
        return StatusCode::BAD_REQUEST.into_response();
    };
    tracing::debug!(
        items = coll.value.len(),
        verified = coll.verified(&shared.client_state).count(),
        "change notifications"
    );
    for n in coll.verified(&shared.client_state) {
        let signal = match n.lifecycle_event.as_deref() {
            Some("missed" | "subscriptionRemoved" | "reauthorizationRequired") => Signal::Resync,
            Some(_) => continue,
            None => match n.resource.as_deref().and_then(user_of) {
                Some(u) => Signal::Mailbox(u),
                None => continue,
            },
        };
        let _ = shared.tx.send(signal);
    }
    StatusCode::ACCEPTED.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_the_user() {
        assert_eq!(
            user_of("Users/0f2c/Messages/AAMk=").as_deref(),
            Some("0f2c")
        );
        assert_eq!(user_of("/users/abc/messages/x").as_deref(), Some("abc"));
        assert_eq!(user_of("groups/abc/threads"), None);
        assert_eq!(user_of("Users/"), None);
    }

    #[tokio::test]
    async fn endpoint_validates_trusts_only_its_client_state_and_refuses_junk() {
        let mut n = Notifications::start(&NotificationsSection {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: None,
            full_sync_every: 20,
        })
        .await
        .unwrap();
        let http = reqwest::Client::new();
        let url = n.url().to_owned();
        // The handshake echoes the token as plain text.
        let r = http
            .post(format!("{url}?validationToken=abc%20123"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "abc 123");
        // A forged notification (wrong clientState) is acknowledged and ignored; a true one
        // names its mailbox.
        let body = |state: &str, user: &str| {
            serde_json::json!({"value": [{"subscriptionId": "s", "changeType": "created",
                "clientState": state, "resource": format!("Users/{user}/Messages/m1")}]})
        };
        let r = http
            .post(&url)
            .json(&body("forged", "evil"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let state = n.client_state.clone();
        let r = http
            .post(&url)
            .json(&body(&state, "u1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let (users, resync) = n.wait(Instant::now() + Duration::from_secs(2)).await;
        assert_eq!(
            users.into_iter().collect::<Vec<_>>(),
            vec!["u1".to_string()]
        );
        assert!(!resync);
        // Junk and oversized bodies are refused.
        let r = http.post(&url).body("not json").send().await.unwrap();
        assert_eq!(r.status(), 400);
        let r = http
            .post(&url)
            .body(vec![b'['; 2 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        // A lifecycle `missed` asks for a full catch-up.
        let r = http
            .post(&url)
            .json(
                &serde_json::json!({"value": [{"subscriptionId": "s", "clientState": state,
                "lifecycleEvent": "missed"}]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let (_, resync) = n.wait(Instant::now() + Duration::from_secs(2)).await;
        assert!(resync);
    }
}

#[cfg(test)]
mod sim_tests {
    use super::*;
    use ward_graph::{ClientConfig, Credential, Endpoints};
    use ward_sim::testkit::{self, SeedBuilder};
    use ward_sim::{RegisteredApp, SimConfig, Simulator};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn new_mail_is_notified_for_its_mailbox() {
        let sim = Simulator::start(
            SimConfig {
                notification_latency: Duration::from_millis(100),
                // The endpoint listens on http://127.0.0.1 (no public_url).
                allow_http_loopback_notifications: true,
                ..SimConfig::default()
            },
            SeedBuilder::new(3, 1).build(),
        )
        .await
        .unwrap();
        let app = RegisteredApp::ward_default();
        let client = GraphClient::new(
            ClientConfig::new(
                sim.tenant_id(),
                app.client_id,
                Credential::secret(app.secret.unwrap_or_default()),
            )
            .with_endpoints(Endpoints::single(sim.base_url())),
        )
        .unwrap();
        let mut n = Notifications::start(&NotificationsSection {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: None,
            full_sync_every: 20,
        })
        .await
        .unwrap();
        let users: Vec<String> = (0..3).map(testkit::user_id).collect();
        let rep = n.subscribe(&client, &users).await;
        assert_eq!(rep.created, 6, "{rep:?}");
        assert!(rep.failed.is_empty());
        let mime = testkit::mime(
            "a@example.net",
            &testkit::upn(1),
            "hello",
            "body",
            "<n1@example.net>",
            Utc::now(),
            false,
        );
        sim.inject_message(&[&testkit::upn(1)], "inbox", &mime);
        let (got, resync) = n.wait(Instant::now() + Duration::from_secs(10)).await;
        assert_eq!(
            got.into_iter().collect::<Vec<_>>(),
            vec![testkit::user_id(1)]
        );
        assert!(!resync);
        n.close(&client).await;
        assert_eq!(sim.subscription_count(), 0);
        sim.shutdown().await;
    }
}
