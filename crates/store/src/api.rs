//! The public methods of [`Store`] and [`Tx`], generated from one list so the two never drift.
//!
//! On `Store`, `write` methods run in their own short transaction and `read` methods on a
//! pooled connection. On `Tx`, all of them run inside the caller's transaction.

use chrono::{DateTime, Utc};

use crate::db::{Store, Tx};
use crate::error::StoreError;
use crate::model::*;
use crate::ops;

macro_rules! store_api {
    ($(
        $(#[$meta:meta])*
        $mode:ident fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;
    )*) => {
        impl Store {
            $(
                $(#[$meta])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret, StoreError> {
                    store_api!(@$mode self, $name, $($arg),*)
                }
            )*
        }
        impl Tx {
            $(
                $(#[$meta])*
                pub async fn $name(&mut self, $($arg: $ty),*) -> Result<$ret, StoreError> {
                    ops::$name(&mut self.conn(), $($arg),*).await
                }
            )*
        }
    };
    (@write $s:ident, $name:ident, $($arg:ident),*) => {{
        let mut tx = $s.transaction().await?;
        let out = ops::$name(&mut tx.conn(), $($arg),*).await?;
        tx.commit().await?;
        Ok(out)
    }};
    (@read $s:ident, $name:ident, $($arg:ident),*) => {{
        let mut pc = $s.acquire().await?;
        ops::$name(&mut pc.conn(), $($arg),*).await
    }};
}

store_api! {
    /// Inserts or updates a tenant; true when it was new.
    write fn upsert_tenant(t: &Tenant) -> bool;
    read fn get_tenant(id: &str) -> Option<Tenant>;
    read fn list_tenants() -> Vec<Tenant>;

    /// The saved position of one sync stream (`users`, `messages:{user}:{folder}`, `signins`,
    /// `audits`, `mgmt:{contentType}`): a delta link, timestamp or page token.
    read fn get_cursor(tenant_id: &str, stream: &str) -> Option<String>;
    /// Saves a stream position. For crash safety call it on a [`Tx`] that also holds the data
    /// the position covers, so both commit or neither does.
    write fn set_cursor(tenant_id: &str, stream: &str, value: &str) -> ();
    /// Forgets a stream position (the stream resyncs from scratch); true when one existed.
    write fn delete_cursor(tenant_id: &str, stream: &str) -> bool;

    /// Records the counters of one sync run; returns its id.
    write fn record_run(run: &Run) -> i64;
    /// A tenant's newest runs, newest first.
    read fn list_runs(tenant_id: &str, limit: i64) -> Vec<Run>;
    /// Totals over a tenant's runs started at or after `since`: (runs, items, requests, throttled).
    read fn run_totals(tenant_id: &str, since: DateTime<Utc>) -> (i64, i64, i64, i64);
}

store_api! {
    /// Inserts or refreshes a directory user; true when new.
    write fn upsert_user(user: &User) -> bool;
    read fn get_user(tenant_id: &str, id: &str) -> Option<User>;
    /// Case-insensitive UPN lookup.
    read fn find_user_by_upn(tenant_id: &str, upn: &str) -> Option<User>;
    read fn list_users(tenant_id: &str) -> Vec<User>;
    /// Removes a user that left the directory; true when it existed.
    write fn delete_user(tenant_id: &str, id: &str) -> bool;
    /// Inserts or refreshes a mailbox; true when new.
    write fn upsert_mailbox(mailbox: &Mailbox) -> bool;
    read fn list_mailboxes(tenant_id: &str) -> Vec<Mailbox>;

    /// Stores message metadata; true when new, false (and nothing written) when the same
    /// (tenant, mailbox, graph id) is already stored.
    write fn insert_message(message: &Message) -> bool;
    /// Many messages at once (one statement per 1000); per message, in order, whether it was
    /// new. Much faster than one call per message, above all on PostgreSQL.
    write fn insert_messages(messages: &[Message]) -> Vec<bool>;
    /// Records a folder move; true when the message exists.
    write fn set_message_folder(key: &MessageKey, folder: &str) -> bool;
    read fn get_message(key: &MessageKey) -> Option<Message>;
    /// Every stored copy of one internet message id (campaign pull).
    read fn messages_by_internet_id(tenant_id: &str, internet_message_id: &str) -> Vec<Message>;
    /// Records a stored message's content fingerprints (attachment hashes, lure URLs).
    write fn put_fingerprints(key: &MessageKey, received_at: DateTime<Utc>, fingerprints: &[String]) -> ();
    read fn fingerprints_of(key: &MessageKey) -> Vec<String>;
    /// Messages carrying a fingerprint, received in `[from, to]` (campaign variants).
    read fn messages_with_fingerprint(
        tenant_id: &str,
        fingerprint: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Message>;
    /// Messages from one sender received in `[from, to]` (campaign variants).
    read fn messages_from_sender(
        tenant_id: &str,
        sender: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Message>;
    /// Messages not analysed yet, oldest first.
    read fn unanalyzed_messages(tenant_id: &str, limit: i64) -> Vec<Message>;
    /// Stores or replaces the analysis of a stored message; true when it is the first.
    write fn put_analysis(analysis: &Analysis) -> bool;
    read fn get_analysis(key: &MessageKey) -> Option<Analysis>;
    /// Analyses with this verdict (`malicious`, `suspicious`), by mailbox and message id.
    read fn analyses_with_verdict(tenant_id: &str, verdict: &str) -> Vec<Analysis>;
    read fn count_messages(tenant_id: &str) -> i64;
    read fn count_analyzed(tenant_id: &str) -> i64;
    /// (verdict, messages) pairs, by verdict.
    read fn verdict_counts(tenant_id: &str) -> Vec<(String, i64)>;

    /// Stores a new state of an object unless it equals the latest (then `changed` is false).
    write fn put_snapshot(
        tenant_id: &str,
        kind: SnapshotKind,
        object_id: &str,
        data: &serde_json::Value,
        taken_at: DateTime<Utc>,
    ) -> SnapshotPut;
    read fn latest_snapshot(tenant_id: &str, kind: SnapshotKind, object_id: &str) -> Option<Snapshot>;
    /// Up to `n` newest snapshots, newest first (`[latest, previous]` to diff).
    read fn recent_snapshots(
        tenant_id: &str,
        kind: SnapshotKind,
        object_id: &str,
        n: i64,
    ) -> Vec<Snapshot>;
    /// The latest snapshot of every object of a kind, by object id.
    read fn latest_snapshots(tenant_id: &str, kind: SnapshotKind) -> Vec<Snapshot>;

    /// Stores a sign-in or audit event; true when its id is new.
    write fn insert_event(event: &Event) -> bool;
    read fn events_for_user(
        tenant_id: &str,
        user_id: &str,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Vec<Event>;
    /// Events of one kind in `[from, to)`, oldest first.
    read fn events_between(
        tenant_id: &str,
        kind: EventKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Vec<Event>;
    read fn count_events(tenant_id: &str, kind: EventKind) -> i64;

    /// Stores a finding; true when new.
    write fn insert_finding(finding: &Finding) -> bool;
    read fn get_finding(tenant_id: &str, id: &str) -> Option<Finding>;
    read fn findings_for_user(tenant_id: &str, user_id: &str, since: DateTime<Utc>) -> Vec<Finding>;
    read fn findings_for_incident(tenant_id: &str, incident_id: &str) -> Vec<Finding>;
    /// Creates an incident; true when new (an existing id is left as is).
    write fn open_incident(incident: &Incident) -> bool;
    read fn get_incident(tenant_id: &str, id: &str) -> Option<Incident>;
    /// The most recently active, not closed incident of this kind and subject.
    read fn find_active_incident(tenant_id: &str, kind: &str, subject_key: &str) -> Option<Incident>;
    /// The most recently active, not closed incident about this subject, of any kind.
    read fn find_open_incident_for_subject(tenant_id: &str, subject_key: &str) -> Option<Incident>;
    read fn incidents_with_status(tenant_id: &str, status: IncidentStatus) -> Vec<Incident>;
    /// (status, incidents) pairs, by status.
    read fn incident_counts(tenant_id: &str) -> Vec<(String, i64)>;
    /// Attaches a finding to an incident (widens first/last seen, adds a timeline entry);
    /// true when newly attached.
    write fn attach_finding(tenant_id: &str, incident_id: &str, finding_id: &str) -> bool;
    /// Changes status with a timeline note; false when absent or unchanged.
    write fn set_incident_status(
        tenant_id: &str,
        incident_id: &str,
        status: IncidentStatus,
        at: DateTime<Utc>,
        note: &str,
    ) -> bool;
    /// Adds a note to an incident's timeline; false when absent or already noted.
    write fn add_incident_note(tenant_id: &str, incident_id: &str, at: DateTime<Utc>, note: &str) -> bool;
    write fn set_incident_severity(tenant_id: &str, incident_id: &str, severity: &str) -> bool;
    /// Sets kind and severity together; false when absent or unchanged.
    write fn update_incident(
        tenant_id: &str,
        incident_id: &str,
        kind: &str,
        severity: &str,
    ) -> bool;

    /// Appends to the hash-chained actions journal.
    write fn append_journal(entry: &JournalEntry) -> JournalRecord;
    /// Re-hashes the journal; reports the first modified, missing or reordered entry.
    read fn verify_journal() -> JournalStatus;
    read fn journal_for_action(action_id: &str) -> Vec<JournalRecord>;
    /// Up to `limit` entries after `after_seq`, in order.
    read fn journal_entries(after_seq: i64, limit: i64) -> Vec<JournalRecord>;
    /// Queues an action as pending; true when new (same action id again is a no-op).
    write fn enqueue_action(action: &NewAction) -> bool;
    read fn get_action(action_id: &str) -> Option<Action>;
    /// The actions linked to an incident, oldest first.
    read fn actions_for_incident(tenant_id: &str, incident_id: &str) -> Vec<Action>;
    /// Actions with a status across tenants, oldest first.
    read fn actions_with_status(status: ActionStatus, limit: i64) -> Vec<Action>;
    /// Compare-and-set move along the approval workflow; `InvalidTransition` otherwise.
    write fn transition_action(
        action_id: &str,
        to: ActionStatus,
        by: Option<&str>,
        result: Option<&serde_json::Value>,
    ) -> Action;

    /// Deterministic dump of all business rows (no processing times), one
    /// `<table> <canonical JSON>` line per row, for comparing two stores.
    read fn dump_canonical() -> String;
}
