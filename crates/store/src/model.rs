//! Typed rows. The same structs are written and read back; JSON columns are `serde_json::Value`
//! and times are UTC (stored to the microsecond).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::StoreError;

/// A protected Microsoft 365 tenant. Only a fingerprint of its configuration is kept, never a
/// client secret or certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub config_fingerprint: String,
}

/// A directory user (snapshot of the latest sync).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct User {
    pub tenant_id: String,
    pub id: String,
    pub upn: String,
    pub display_name: Option<String>,
    pub mail: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub enabled: bool,
    #[sqlx(json)]
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Mailbox {
    pub tenant_id: String,
    pub id: String,
    pub user_id: Option<String>,
    pub address: String,
    pub display_name: Option<String>,
}

/// Identifies one message copy: one mailbox's copy of a mail.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageKey {
    pub tenant_id: String,
    pub mailbox_id: String,
    pub graph_id: String,
}

/// Message metadata. `body` stays `None` unless the operator opted into keeping bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Message {
    pub tenant_id: String,
    pub mailbox_id: String,
    pub graph_id: String,
    pub internet_message_id: Option<String>,
    pub folder: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub received_at: DateTime<Utc>,
    pub size_bytes: i64,
    pub mime_sha256: Option<String>,
    #[serde(skip)]
    pub body: Option<Vec<u8>>,
}

impl Message {
    pub fn key(&self) -> MessageKey {
        MessageKey {
            tenant_id: self.tenant_id.clone(),
            mailbox_id: self.mailbox_id.clone(),
            graph_id: self.graph_id.clone(),
        }
    }
}

/// The latest analysis of one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Analysis {
    pub tenant_id: String,
    pub mailbox_id: String,
    pub graph_id: String,
    pub verdict: String,
    pub score: i64,
    #[sqlx(json)]
    pub categories: Vec<String>,
    #[sqlx(json)]
    pub signals: Value,
    pub analyzed_at: DateTime<Utc>,
}

/// What a snapshot is of; together with `object_id` (user id, app id) it names one history.
/// Serialized as [`Self::as_str`] says (one lower-case vocabulary in every JSON output);
/// the old capitalised names are still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotKind {
    /// A mailbox's inbox rules (object: user id).
    #[serde(alias = "InboxRules")]
    InboxRules,
    /// A user's registered authentication methods (object: user id).
    #[serde(alias = "AuthMethods")]
    AuthMethods,
    /// An application / service principal with its credentials and grants (object: app id).
    #[serde(alias = "App")]
    App,
}

impl SnapshotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotKind::InboxRules => "inbox_rules",
            SnapshotKind::AuthMethods => "auth_methods",
            SnapshotKind::App => "app",
        }
    }
}

impl TryFrom<String> for SnapshotKind {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, StoreError> {
        match s.as_str() {
            "inbox_rules" => Ok(SnapshotKind::InboxRules),
            "auth_methods" => Ok(SnapshotKind::AuthMethods),
            "app" => Ok(SnapshotKind::App),
            _ => Err(StoreError::Corrupt {
                table: "snapshots",
                detail: format!("unknown snapshot kind {s:?}"),
            }),
        }
    }
}

/// One stored state of an object; versions count up from 1 per (tenant, kind, object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Snapshot {
    pub tenant_id: String,
    #[sqlx(try_from = "String")]
    pub kind: SnapshotKind,
    pub object_id: String,
    pub version: i64,
    pub content_sha256: String,
    #[sqlx(json)]
    pub data: Value,
    pub taken_at: DateTime<Utc>,
}

/// Result of [`crate::Store::put_snapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPut {
    /// The version now latest (the new one, or the unchanged existing one).
    pub version: i64,
    /// False when the content equals the latest snapshot (nothing was written).
    pub changed: bool,
}

/// Serialized as [`Self::as_str`] says (one lower-case vocabulary in every JSON output);
/// the old capitalised names are still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    #[serde(rename = "signin", alias = "SignIn")]
    SignIn,
    #[serde(alias = "Audit")]
    Audit,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignIn => "signin",
            EventKind::Audit => "audit",
        }
    }
}

impl TryFrom<String> for EventKind {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, StoreError> {
        match s.as_str() {
            "signin" => Ok(EventKind::SignIn),
            "audit" => Ok(EventKind::Audit),
            _ => Err(StoreError::Corrupt {
                table: "events",
                detail: format!("unknown event kind {s:?}"),
            }),
        }
    }
}

/// A sign-in or audit record. `id` is unique per (tenant, kind); `source` says where it came
/// from (e.g. `graph`, `mgmt:Audit.Exchange`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Event {
    pub tenant_id: String,
    #[sqlx(try_from = "String")]
    pub kind: EventKind,
    pub id: String,
    pub time: DateTime<Utc>,
    pub user_id: Option<String>,
    pub source: String,
    #[sqlx(json)]
    pub raw: Value,
}

/// A signal hit about a user and/or a message. Ids are chosen by the caller (stable, so
/// re-running the analysis is a no-op).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Finding {
    pub tenant_id: String,
    pub id: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub mailbox_id: Option<String>,
    pub graph_id: Option<String>,
    pub score: i64,
    #[sqlx(json)]
    pub evidence: Value,
    pub time: DateTime<Utc>,
}

/// Serialized as [`Self::as_str`] says (one lower-case vocabulary in every JSON output);
/// the old capitalised names are still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    #[serde(alias = "Open")]
    Open,
    #[serde(alias = "Contained")]
    Contained,
    #[serde(alias = "Closed")]
    Closed,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Contained => "contained",
            IncidentStatus::Closed => "closed",
        }
    }
}

impl TryFrom<String> for IncidentStatus {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, StoreError> {
        match s.as_str() {
            "open" => Ok(IncidentStatus::Open),
            "contained" => Ok(IncidentStatus::Contained),
            "closed" => Ok(IncidentStatus::Closed),
            _ => Err(StoreError::Corrupt {
                table: "incidents",
                detail: format!("unknown incident status {s:?}"),
            }),
        }
    }
}

/// An incident: one user's compromise chain or one campaign. `subject_key` is the user id or
/// the campaign key. `timeline` is a JSON array of entries, each with an `at` time, kept sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Incident {
    pub tenant_id: String,
    pub id: String,
    pub kind: String,
    pub subject_key: String,
    pub severity: String,
    #[sqlx(try_from = "String")]
    pub status: IncidentStatus,
    #[sqlx(json)]
    pub timeline: Value,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// A journal entry as submitted; the store assigns `seq` and the hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub tenant_id: String,
    /// Stable action id (the idempotency key shared with the `actions` table).
    pub action_id: String,
    pub kind: String,
    pub target: String,
    pub requested_by: String,
    /// Why: e.g. `{"incident": "...", "signals": ["..."]}`.
    pub reason: Value,
    /// observe / approve / auto.
    pub mode: String,
    pub before_state: Value,
    pub result: Value,
    /// How to revert, or `null` when the action cannot be undone.
    pub undo: Value,
    pub status: String,
    pub time: DateTime<Utc>,
}

/// A stored journal entry with its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalRecord {
    pub seq: i64,
    pub entry: JournalEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// Outcome of [`crate::Store::verify_journal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalStatus {
    /// Every entry hashes correctly, links to its predecessor, and the head matches. `head_hash`
    /// can be published elsewhere so that a rewrite of the whole chain is also detectable.
    Intact { entries: u64, head_hash: String },
    /// The first inconsistency found.
    Broken { seq: i64, reason: String },
}

/// Serialized as [`Self::as_str`] says (one lower-case vocabulary in every JSON output);
/// the old capitalised names are still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    #[serde(alias = "Pending")]
    Pending,
    #[serde(alias = "Approved")]
    Approved,
    #[serde(alias = "Rejected")]
    Rejected,
    #[serde(alias = "Done")]
    Done,
    #[serde(alias = "Failed")]
    Failed,
    /// Observe mode: recorded what would have been done, did nothing (terminal).
    #[serde(alias = "Observed")]
    Observed,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Pending => "pending",
            ActionStatus::Approved => "approved",
            ActionStatus::Rejected => "rejected",
            ActionStatus::Done => "done",
            ActionStatus::Failed => "failed",
            ActionStatus::Observed => "observed",
        }
    }

    /// The approval workflow: pending → approved | rejected | done | failed | observed (auto
    /// mode runs without approval; observe mode only records); approved → done | failed;
    /// failed → approved (retry) | rejected (not retried: withdrawn, or a person's no).
    pub fn can_become(self, to: ActionStatus) -> bool {
        use ActionStatus::*;
        matches!(
            (self, to),
            (Pending, Approved | Rejected | Done | Failed | Observed)
                | (Approved, Done | Failed)
                | (Failed, Approved | Rejected)
        )
    }
}

impl TryFrom<String> for ActionStatus {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, StoreError> {
        match s.as_str() {
            "pending" => Ok(ActionStatus::Pending),
            "approved" => Ok(ActionStatus::Approved),
            "rejected" => Ok(ActionStatus::Rejected),
            "done" => Ok(ActionStatus::Done),
            "failed" => Ok(ActionStatus::Failed),
            "observed" => Ok(ActionStatus::Observed),
            _ => Err(StoreError::Corrupt {
                table: "actions",
                detail: format!("unknown action status {s:?}"),
            }),
        }
    }
}

/// A requested response action and where it stands in the approval workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Action {
    /// `id` in JSON, as every record's own id is; other records name it `action_id`.
    #[serde(rename = "id", alias = "action_id")]
    pub action_id: String,
    pub tenant_id: String,
    pub kind: String,
    pub target: String,
    #[sqlx(json)]
    pub params: Value,
    pub mode: String,
    #[sqlx(try_from = "String")]
    pub status: ActionStatus,
    pub requested_by: String,
    #[sqlx(json)]
    pub reason: Value,
    pub incident_id: Option<String>,
    pub decided_by: Option<String>,
    #[sqlx(json(nullable))]
    pub result: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Counters of one sync run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Run {
    pub tenant_id: String,
    pub stream: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub items: i64,
    pub requests: i64,
    pub throttled: i64,
    pub errors: i64,
}

/// A response action as requested; it enters the queue as `pending`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAction {
    /// Stable id derived from what the action does (idempotency key).
    pub action_id: String,
    pub tenant_id: String,
    pub kind: String,
    pub target: String,
    pub params: Value,
    pub mode: String,
    pub requested_by: String,
    pub reason: Value,
    pub incident_id: Option<String>,
    pub created_at: DateTime<Utc>,
}
