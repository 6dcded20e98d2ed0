//! The tenant's server-side state: everything Microsoft stores, plus the bookkeeping the
//! simulator needs (change logs for delta, sync states, logs of containment actions).
//!
//! All mutation goes through methods that apply Microsoft's side effects (delta changes, audit
//! rows, unified audit records, analyzed-email updates) and queue change notifications in
//! [`Tenant::outbox`], which the server drains after releasing the lock.

pub mod audit;
mod load;
pub mod mail;
pub mod mailops;
mod rules;

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use ward_scenario::GroundTruth;

pub use load::merge;
pub use mail::{Folder, Mailbox, MsgChange, StoredMessage};

/// A unified audit record with the moment it becomes visible to the Management API.
#[derive(Debug, Clone)]
pub struct UnifiedRecord {
    pub record: Value,
    pub content_type: &'static str,
    pub available_at: DateTime<Utc>,
}

/// A Management Activity API feed subscription (one per content type).
#[derive(Debug, Clone)]
pub struct FeedSubscription {
    pub content_type: String,
    pub enabled: bool,
    pub webhook: Option<Value>,
    /// Periods during which the subscription was enabled: content outside them is lost.
    pub periods: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    pub last_start: DateTime<Utc>,
    /// Consecutive failed webhook notifications; past the limit the webhook is disabled.
    pub webhook_failures: u32,
    /// Blob ids already announced to the webhook.
    pub notified: std::collections::HashSet<String>,
}

/// A Graph change-notification subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub resource: String,
    pub user_id: String,
    /// `None` = every folder of the mailbox.
    pub folder_id: Option<String>,
    pub change_types: Vec<String>,
    pub notification_url: String,
    pub lifecycle_url: Option<String>,
    pub client_state: Option<String>,
    pub expiration: DateTime<Utc>,
    pub application_id: String,
    pub creator_id: String,
    pub latest_tls: String,
    pub include_resource_data: bool,
    pub immutable_ids: bool,
}

impl Subscription {
    pub fn to_json(&self, base: &str) -> Value {
        serde_json::json!({
            "@odata.context": format!("{base}/v1.0/$metadata#subscriptions/$entity"),
            "id": self.id,
            "resource": self.resource,
            "applicationId": self.application_id,
            "changeType": self.change_types.join(","),
            "clientState": self.client_state,
            "notificationUrl": self.notification_url,
            "notificationQueryOptions": null,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "expirationDateTime": crate::util::graph_time_7(self.expiration),
            "creatorId": self.creator_id,
            "includeResourceData": self.include_resource_data,
            "latestSupportedTlsVersion": self.latest_tls,
            "encryptionCertificate": null,
            "encryptionCertificateId": null,
            "notificationUrlAppId": null,
            "notificationContentType": "application/json",
        })
    }
}

/// A change to announce to subscribers, queued while the state lock is held.
#[derive(Debug, Clone)]
pub struct MessageEvent {
    pub user_id: String,
    pub folder_id: String,
    pub rest_id: String,
    pub immutable_id: String,
    pub change_type: &'static str,
    pub change_key: String,
}

/// `revokeSignInSessions` as recorded by the simulator.
#[derive(Debug, Clone, Serialize)]
pub struct RevokeRecord {
    pub user_id: String,
    pub at: DateTime<Utc>,
    pub app_id: String,
}

/// A message forwarded out of a mailbox by a rule or by mailbox-level forwarding.
#[derive(Debug, Clone, Serialize)]
pub struct ForwardRecord {
    pub user_id: String,
    pub to: Vec<String>,
    pub internet_message_id: String,
    /// `rule:<displayName>` or `mailbox` (Set-Mailbox forwarding).
    pub via: String,
    pub at: DateTime<Utc>,
}

/// A password reset through `PATCH /users/{id}` `passwordProfile`.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordChange {
    pub user_id: String,
    pub at: DateTime<Utc>,
    pub force_change_next_sign_in: bool,
    pub app_id: String,
}

/// Server-side state of a delta round (the opaque token names one of these).
#[derive(Debug, Clone)]
pub struct DeltaState {
    pub kind: DeltaKind,
    pub epoch: u64,
    pub watermark: u64,
    /// Items still to page out in this round (ids; resolved at page time).
    pub pending: Pending,
    pub page_size: usize,
    pub select: Vec<String>,
    pub immutable: bool,
    pub change_types: Vec<String>,
    pub created_seq: u64,
}

/// The items of one delta round, shared by every page token of the round (a cursor each), so
/// page tokens cost a few bytes, not a copy of the round.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    items: std::sync::Arc<Vec<DeltaItem>>,
    cursor: usize,
}

impl Pending {
    pub fn pop_front(&mut self) -> Option<DeltaItem> {
        let item = self.items.get(self.cursor).cloned();
        if item.is_some() {
            self.cursor += 1;
        }
        item
    }
    pub fn is_empty(&self) -> bool {
        self.cursor >= self.items.len()
    }
}

impl FromIterator<DeltaItem> for Pending {
    fn from_iter<I: IntoIterator<Item = DeltaItem>>(iter: I) -> Self {
        Self {
            items: std::sync::Arc::new(iter.into_iter().collect()),
            cursor: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaKind {
    Messages { user_id: String, folder_id: String },
    Users,
}

#[derive(Debug, Clone)]
pub enum DeltaItem {
    Present(String),
    Removed(String),
}

/// The simulated tenant.
pub struct Tenant {
    pub tenant_id: String,
    pub display_name: String,
    pub initial_domain: String,
    pub domains: Vec<String>,
    pub users: Vec<Value>,
    /// Lower-cased id/UPN/mail/proxy address → index in `users`.
    pub user_lookup: HashMap<String, usize>,
    pub mailboxes: BTreeMap<String, Mailbox>,
    pub sign_ins: Vec<Value>,
    pub directory_audits: Vec<Value>,
    pub unified: Vec<UnifiedRecord>,
    pub auth_methods: BTreeMap<String, Vec<Value>>,
    pub default_method: BTreeMap<String, String>,
    pub applications: Vec<Value>,
    pub service_principals: Vec<Value>,
    pub app_role_assigned_to: BTreeMap<String, Vec<Value>>,
    pub ca_policies: Vec<Value>,
    pub registration_details: Vec<Value>,
    pub analyzed_emails: Vec<Value>,
    /// (internetMessageId, lower-cased recipient) → index in `analyzed_emails`.
    pub analyzed_index: HashMap<(String, String), Vec<usize>>,
    pub subscriptions: BTreeMap<String, Subscription>,
    pub feed: BTreeMap<String, FeedSubscription>,
    pub user_changes: Vec<(u64, String)>,
    pub seq: u64,
    pub revoked_sessions: Vec<RevokeRecord>,
    pub password_changes: Vec<PasswordChange>,
    /// Mail that left the tenant through inbox rules or mailbox forwarding (ground truth for
    /// "did the attacker's forwarding work").
    pub forwards: Vec<ForwardRecord>,
    pub delta_states: HashMap<String, DeltaState>,
    pub delta_order: VecDeque<String>,
    pub delta_epoch_users: u64,
    pub ground_truth: GroundTruth,
    /// Purview audit log queries by id: (query JSON, created at).
    pub audit_queries: BTreeMap<String, (Value, DateTime<Utc>)>,
    pub outbox: Vec<MessageEvent>,
    /// Unified-audit lag parameters (copied from config at load).
    pub audit_lag: chrono::TimeDelta,
    pub audit_lag_jitter_ms: i64,
    pub lag_counter: u64,
}

/// Upper bound on stored delta states; the oldest are evicted (and then answer 410), as
/// Exchange's sync-state cache does.
pub const MAX_DELTA_STATES: usize = 20_000;

impl Tenant {
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Find a user by id, UPN, mail or proxy address (case-insensitive).
    /// Rebuild the id/UPN/mail/proxy-address lookup (after load or a user PATCH).
    pub fn reindex_users(&mut self) {
        let mut ix = HashMap::new();
        for (i, u) in self.users.iter().enumerate() {
            for k in ["id", "userPrincipalName", "mail"] {
                if let Some(v) = u[k].as_str() {
                    ix.entry(v.to_lowercase()).or_insert(i);
                }
            }
            for p in u["proxyAddresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if let Some((_, addr)) = p.split_once(':') {
                    ix.entry(addr.to_lowercase()).or_insert(i);
                }
            }
        }
        self.user_lookup = ix;
    }

    pub fn user_index(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        if let Some(i) = self.user_lookup.get(&key.to_lowercase()) {
            return Some(*i);
        }
        self.users.iter().position(|u| {
            ["id", "userPrincipalName", "mail"]
                .iter()
                .any(|k| u[*k].as_str().is_some_and(|v| v.eq_ignore_ascii_case(key)))
                || u["proxyAddresses"].as_array().is_some_and(|a| {
                    a.iter().filter_map(Value::as_str).any(|p| {
                        p.split_once(':')
                            .is_some_and(|(_, addr)| addr.eq_ignore_ascii_case(key))
                    })
                })
        })
    }

    pub fn user(&self, key: &str) -> Option<&Value> {
        self.user_index(key).map(|i| &self.users[i])
    }

    pub fn user_id(&self, key: &str) -> Option<String> {
        self.user(key)
            .and_then(|u| u["id"].as_str())
            .map(str::to_string)
    }

    pub fn upn_of(&self, user_id: &str) -> String {
        self.user(user_id)
            .and_then(|u| u["userPrincipalName"].as_str())
            .unwrap_or(user_id)
            .to_string()
    }

    pub fn display_name_of(&self, user_id: &str) -> String {
        self.user(user_id)
            .and_then(|u| u["displayName"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    pub fn mailbox_mut(&mut self, user_id: &str) -> Option<&mut Mailbox> {
        self.mailboxes.get_mut(user_id)
    }

    pub fn touch_user(&mut self, user_id: &str) {
        let s = self.next_seq();
        self.user_changes.push((s, user_id.to_string()));
    }

    /// Store a delta state and return its token, evicting the oldest beyond the cap.
    pub fn put_delta_state(&mut self, st: DeltaState) -> String {
        let token = crate::util::b64url(&crate::util::random_bytes::<18>());
        self.delta_states.insert(token.clone(), st);
        self.delta_order.push_back(token.clone());
        while self.delta_order.len() > MAX_DELTA_STATES {
            if let Some(old) = self.delta_order.pop_front() {
                self.delta_states.remove(&old);
            }
        }
        token
    }

    /// Invalidate every outstanding message and user delta token (forced expiry).
    pub fn expire_delta_tokens(&mut self) {
        for mb in self.mailboxes.values_mut() {
            mb.delta_epoch += 1;
        }
        self.delta_epoch_users += 1;
    }

    /// Time a unified-audit record created now becomes visible.
    pub fn audit_available_at(&mut self, created: DateTime<Utc>) -> DateTime<Utc> {
        self.lag_counter = self.lag_counter.wrapping_add(1);
        let jitter = if self.audit_lag_jitter_ms > 0 {
            // Deterministic spread without an RNG in the state: golden-ratio sequence.
            let frac = (self.lag_counter as f64 * 0.618_033_988_75).fract();
            (frac * self.audit_lag_jitter_ms as f64) as i64
        } else {
            0
        };
        created + self.audit_lag + chrono::TimeDelta::milliseconds(jitter)
    }

    /// Append an analyzedEmail record, keeping the lookup index.
    pub fn push_analyzed(&mut self, a: Value) {
        let key = (
            a["internetMessageId"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            a["recipientEmailAddress"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        );
        self.analyzed_index
            .entry(key)
            .or_default()
            .push(self.analyzed_emails.len());
        self.analyzed_emails.push(a);
    }

    /// Add a unified audit record (Management API schema) with the audit lag applied.
    pub fn push_unified(&mut self, record: Value, created: DateTime<Utc>) {
        let available_at = self.audit_available_at(created);
        let content_type = audit::content_type_of(&record);
        self.unified.push(UnifiedRecord {
            record,
            content_type,
            available_at,
        });
    }
}
