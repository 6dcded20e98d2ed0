//! The actions journal (append-only, hash-chained) and the action approval queue.
//!
//! Each journal entry's hash is SHA-256 over the canonical JSON of the entry, which includes
//! its sequence number and the previous entry's hash. JSON fields are stored as the exact
//! canonical text that was hashed, so verification re-hashes stored text and never depends on
//! re-serialising parsed JSON. A one-row head table records the newest (seq, hash): appenders
//! lock it, and verification compares it with the last entry so a deleted tail shows.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::canonical::{canonical_json, clean, clean_json, json_string, sha256_hex, ts, ts_text};
use crate::db::{Conn, exec, on_conn};
use crate::error::{StoreError, q};
use crate::model::{Action, ActionStatus, JournalEntry, JournalRecord, JournalStatus, NewAction};

/// Hash of the (empty) chain's predecessor.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A journal row as stored: JSON columns are canonical text.
#[derive(sqlx::FromRow)]
struct JournalRow {
    seq: i64,
    tenant_id: String,
    action_id: String,
    kind: String,
    target: String,
    requested_by: String,
    reason: String,
    mode: String,
    before_state: String,
    result: String,
    undo: String,
    status: String,
    time: DateTime<Utc>,
    prev_hash: String,
    hash: String,
}

impl JournalRow {
    /// The canonical JSON document the hash covers (keys in byte order).
    fn canonical(&self) -> String {
        format!(
            "{{\"action_id\":{},\"before_state\":{},\"kind\":{},\"mode\":{},\"prev_hash\":{},\
             \"reason\":{},\"requested_by\":{},\"result\":{},\"seq\":{},\"status\":{},\
             \"target\":{},\"tenant_id\":{},\"time\":{},\"undo\":{}}}",
            json_string(&self.action_id),
            self.before_state,
            json_string(&self.kind),
            json_string(&self.mode),
            json_string(&self.prev_hash),
            self.reason,
            json_string(&self.requested_by),
            self.result,
            self.seq,
            json_string(&self.status),
            json_string(&self.target),
            json_string(&self.tenant_id),
            json_string(&ts_text(self.time)),
            self.undo,
        )
    }

    fn compute_hash(&self) -> String {
        sha256_hex(self.canonical().as_bytes())
    }

    fn into_record(self) -> Result<JournalRecord, StoreError> {
        let parse = |what: &str, s: &str| {
            serde_json::from_str::<Value>(s).map_err(|e| StoreError::Corrupt {
                table: "journal",
                detail: format!("entry {} field {what}: {e}", self.seq),
            })
        };
        let entry = JournalEntry {
            reason: parse("reason", &self.reason)?,
            before_state: parse("before_state", &self.before_state)?,
            result: parse("result", &self.result)?,
            undo: parse("undo", &self.undo)?,
            tenant_id: self.tenant_id,
            action_id: self.action_id,
            kind: self.kind,
            target: self.target,
            requested_by: self.requested_by,
            mode: self.mode,
            status: self.status,
            time: self.time,
        };
        Ok(JournalRecord {
            seq: self.seq,
            entry,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// Appends an entry to the journal and returns it with its sequence number and hashes.
pub(crate) async fn append_journal(
    c: &mut Conn<'_>,
    e: &JournalEntry,
) -> Result<JournalRecord, StoreError> {
    // Locks the head row until commit: concurrent appenders queue here instead of forking.
    let head = on_conn!(c, |x| sqlx::query_as::<_, (i64, String)>(
        "UPDATE journal_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"
    )
    .fetch_optional(x)
    .await)
    .map_err(q("journal_head", "advance"))?;
    let Some((seq, prev_hash)) = head else {
        return Err(StoreError::Corrupt {
            table: "journal_head",
            detail: "the head row is missing".into(),
        });
    };
    let mut row = JournalRow {
        seq,
        tenant_id: clean(&e.tenant_id).into_owned(),
        action_id: clean(&e.action_id).into_owned(),
        kind: clean(&e.kind).into_owned(),
        target: clean(&e.target).into_owned(),
        requested_by: clean(&e.requested_by).into_owned(),
        reason: canonical_json(&clean_json(&e.reason)),
        mode: clean(&e.mode).into_owned(),
        before_state: canonical_json(&clean_json(&e.before_state)),
        result: canonical_json(&clean_json(&e.result)),
        undo: canonical_json(&clean_json(&e.undo)),
        status: clean(&e.status).into_owned(),
        time: ts(e.time),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.compute_hash();
    exec!(
        c,
        sqlx::query(
            "INSERT INTO journal (seq, tenant_id, action_id, kind, target, requested_by, reason,
                 mode, before_state, result, undo, status, time, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )
        .bind(row.seq)
        .bind(&row.tenant_id)
        .bind(&row.action_id)
        .bind(&row.kind)
        .bind(&row.target)
        .bind(&row.requested_by)
        .bind(&row.reason)
        .bind(&row.mode)
        .bind(&row.before_state)
        .bind(&row.result)
        .bind(&row.undo)
        .bind(&row.status)
        .bind(row.time)
        .bind(&row.prev_hash)
        .bind(&row.hash)
    )
    .map_err(q("journal", "append"))?;
    exec!(
        c,
        sqlx::query("UPDATE journal_head SET hash = $1 WHERE id = 1").bind(&row.hash)
    )
    .map_err(q("journal_head", "update"))?;
    row.into_record()
}

async fn journal_page(
    c: &mut Conn<'_>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<JournalRow>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, JournalRow>(
        "SELECT seq, tenant_id, action_id, kind, target, requested_by, reason, mode,
             before_state, result, undo, status, time, prev_hash, hash
         FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2"
    )
    .bind(after_seq)
    .bind(limit)
    .fetch_all(x)
    .await)
    .map_err(q("journal", "read"))
}

/// Re-hashes the whole journal. Detects a modified entry (its hash no longer matches), a
/// deleted or inserted entry (sequence gap or broken `prev_hash` link) and a deleted tail
/// (head row ahead of the last entry).
pub(crate) async fn verify_journal(c: &mut Conn<'_>) -> Result<JournalStatus, StoreError> {
    const PAGE: i64 = 1000;
    let mut last_seq = 0i64;
    let mut last_hash = GENESIS_HASH.to_string();
    let mut count = 0u64;
    loop {
        let rows = journal_page(c, last_seq, PAGE).await?;
        let done = (rows.len() as i64) < PAGE;
        for r in rows {
            if r.seq != last_seq + 1 {
                return Ok(JournalStatus::Broken {
                    seq: last_seq + 1,
                    reason: format!(
                        "entry {} is missing (next entry is {})",
                        last_seq + 1,
                        r.seq
                    ),
                });
            }
            if r.prev_hash != last_hash {
                return Ok(JournalStatus::Broken {
                    seq: r.seq,
                    reason: "prev_hash does not match the previous entry's hash".into(),
                });
            }
            let h = r.compute_hash();
            if h != r.hash {
                return Ok(JournalStatus::Broken {
                    seq: r.seq,
                    reason: "content does not match its hash (entry modified)".into(),
                });
            }
            last_seq = r.seq;
            last_hash = r.hash;
            count += 1;
        }
        if done {
            break;
        }
    }
    let head = on_conn!(c, |x| sqlx::query_as::<_, (i64, String)>(
        "SELECT seq, hash FROM journal_head WHERE id = 1"
    )
    .fetch_optional(x)
    .await)
    .map_err(q("journal_head", "read"))?;
    match head {
        None => Ok(JournalStatus::Broken {
            seq: last_seq,
            reason: "journal head row is missing".into(),
        }),
        Some((seq, hash)) if seq != last_seq || hash != last_hash => Ok(JournalStatus::Broken {
            seq: last_seq + 1,
            reason: format!(
                "journal head says {seq} entries but the chain ends at {last_seq} \
                 (entries deleted from the end, or head modified)"
            ),
        }),
        Some(_) => Ok(JournalStatus::Intact {
            entries: count,
            head_hash: last_hash,
        }),
    }
}

/// Journal entries of one action, in order.
pub(crate) async fn journal_for_action(
    c: &mut Conn<'_>,
    action_id: &str,
) -> Result<Vec<JournalRecord>, StoreError> {
    let rows = on_conn!(c, |x| sqlx::query_as::<_, JournalRow>(
        "SELECT seq, tenant_id, action_id, kind, target, requested_by, reason, mode,
             before_state, result, undo, status, time, prev_hash, hash
         FROM journal WHERE action_id = $1 ORDER BY seq"
    )
    .bind(action_id)
    .fetch_all(x)
    .await)
    .map_err(q("journal", "read"))?;
    rows.into_iter().map(JournalRow::into_record).collect()
}

/// Up to `limit` journal entries after `after_seq`, in order (for exports and dumps).
pub(crate) async fn journal_entries(
    c: &mut Conn<'_>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<JournalRecord>, StoreError> {
    journal_page(c, after_seq, limit.max(0))
        .await?
        .into_iter()
        .map(JournalRow::into_record)
        .collect()
}

/// Queues an action as pending; true when new. The same action id again is a no-op, which is
/// what makes responding idempotent across restarts.
pub(crate) async fn enqueue_action(c: &mut Conn<'_>, a: &NewAction) -> Result<bool, StoreError> {
    let at = ts(a.created_at);
    let n = exec!(
        c,
        sqlx::query(
            "INSERT INTO actions (action_id, tenant_id, kind, target, params, mode, status,
                 requested_by, reason, incident_id, decided_by, result, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, NULL, NULL, $10, $10)
             ON CONFLICT (action_id) DO NOTHING"
        )
        .bind(clean(&a.action_id))
        .bind(clean(&a.tenant_id))
        .bind(clean(&a.kind))
        .bind(clean(&a.target))
        .bind(Json(clean_json(&a.params)))
        .bind(clean(&a.mode))
        .bind(clean(&a.requested_by))
        .bind(Json(clean_json(&a.reason)))
        .bind(a.incident_id.as_deref().map(clean))
        .bind(at)
    )
    .map_err(q("actions", "enqueue"))?;
    Ok(n == 1)
}

pub(crate) async fn get_action(
    c: &mut Conn<'_>,
    action_id: &str,
) -> Result<Option<Action>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Action>(
        "SELECT action_id, tenant_id, kind, target, params, mode, status, requested_by, reason,
             incident_id, decided_by, result, created_at, updated_at
         FROM actions WHERE action_id = $1"
    )
    .bind(action_id)
    .fetch_optional(x)
    .await)
    .map_err(q("actions", "select"))
}

/// Actions with the given status across tenants, oldest first (a worker's queue).
pub(crate) async fn actions_with_status(
    c: &mut Conn<'_>,
    status: ActionStatus,
    limit: i64,
) -> Result<Vec<Action>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Action>(
        "SELECT action_id, tenant_id, kind, target, params, mode, status, requested_by, reason,
             incident_id, decided_by, result, created_at, updated_at
         FROM actions WHERE status = $1 ORDER BY created_at, action_id LIMIT $2"
    )
    .bind(status.as_str())
    .bind(limit.max(0))
    .fetch_all(x)
    .await)
    .map_err(q("actions", "select by status"))
}

/// The actions taken or requested for one incident, oldest first.
pub(crate) async fn actions_for_incident(
    c: &mut Conn<'_>,
    tenant_id: &str,
    incident_id: &str,
) -> Result<Vec<Action>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Action>(
        "SELECT action_id, tenant_id, kind, target, params, mode, status, requested_by, reason,
             incident_id, decided_by, result, created_at, updated_at
         FROM actions WHERE tenant_id = $1 AND incident_id = $2 ORDER BY created_at, action_id"
    )
    .bind(tenant_id)
    .bind(incident_id)
    .fetch_all(x)
    .await)
    .map_err(q("actions", "select by incident"))
}

/// Moves an action along the approval workflow ([`ActionStatus::can_become`]); `by` is who
/// decided (approver, or the engine), `result` what executing it produced. The update is a
/// compare-and-set on the current status, so two workers cannot both take the same action.
pub(crate) async fn transition_action(
    c: &mut Conn<'_>,
    action_id: &str,
    to: ActionStatus,
    by: Option<&str>,
    result: Option<&Value>,
) -> Result<Action, StoreError> {
    let Some(cur) = get_action(c, action_id).await? else {
        return Err(StoreError::NotFound {
            table: "actions",
            key: action_id.to_string(),
        });
    };
    let invalid = |from: ActionStatus| StoreError::InvalidTransition {
        action_id: action_id.to_string(),
        from: from.as_str().into(),
        to: to.as_str().into(),
    };
    if !cur.status.can_become(to) {
        return Err(invalid(cur.status));
    }
    let result = result.map(|v| clean_json(v).into_owned());
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE actions SET status = $3, decided_by = COALESCE($4, decided_by),
                 result = COALESCE($5, result), updated_at = $6
             WHERE action_id = $1 AND status = $2"
        )
        .bind(action_id)
        .bind(cur.status.as_str())
        .bind(to.as_str())
        .bind(by.map(clean))
        .bind(result.as_ref().map(Json))
        .bind(ts(Utc::now()))
    )
    .map_err(q("actions", "transition"))?;
    if n == 0 {
        // Someone else moved it between our read and our write.
        return Err(invalid(cur.status));
    }
    get_action(c, action_id).await?.ok_or(StoreError::NotFound {
        table: "actions",
        key: action_id.to_string(),
    })
}
