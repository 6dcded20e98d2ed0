//! Sign-in and audit events.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::canonical::{clean, clean_json, clean_opt, ts};
use crate::db::{Conn, exec, on_conn};
use crate::error::{StoreError, q};
use crate::model::{Event, EventKind};

/// Stores an event; true when new (its id was not seen before for this tenant and kind).
pub(crate) async fn insert_event(c: &mut Conn<'_>, e: &Event) -> Result<bool, StoreError> {
    let now = ts(Utc::now());
    let n = exec!(
        c,
        sqlx::query(
            "INSERT INTO events (tenant_id, kind, id, time, user_id, source, raw, ingested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id, kind, id) DO NOTHING"
        )
        .bind(clean(&e.tenant_id))
        .bind(e.kind.as_str())
        .bind(clean(&e.id))
        .bind(ts(e.time))
        .bind(clean_opt(e.user_id.as_deref()))
        .bind(clean(&e.source))
        .bind(Json(clean_json(&e.raw)))
        .bind(now)
    )
    .map_err(q("events", "insert"))?;
    Ok(n == 1)
}

/// A user's events at or after `since`, oldest first.
pub(crate) async fn events_for_user(
    c: &mut Conn<'_>,
    tenant_id: &str,
    user_id: &str,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Event>(
        "SELECT tenant_id, kind, id, time, user_id, source, raw FROM events
         WHERE tenant_id = $1 AND user_id = $2 AND time >= $3
         ORDER BY time, kind, id LIMIT $4"
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(ts(since))
    .bind(limit.max(0))
    .fetch_all(x)
    .await)
    .map_err(q("events", "select by user"))
}

/// A tenant's events of one kind in `[from, to)`, oldest first.
pub(crate) async fn events_between(
    c: &mut Conn<'_>,
    tenant_id: &str,
    kind: EventKind,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Event>(
        "SELECT tenant_id, kind, id, time, user_id, source, raw FROM events
         WHERE tenant_id = $1 AND kind = $2 AND time >= $3 AND time < $4
         ORDER BY time, id LIMIT $5"
    )
    .bind(tenant_id)
    .bind(kind.as_str())
    .bind(ts(from))
    .bind(ts(to))
    .bind(limit.max(0))
    .fetch_all(x)
    .await)
    .map_err(q("events", "select range"))
}

/// Number of events of one kind stored for a tenant.
pub(crate) async fn count_events(
    c: &mut Conn<'_>,
    tenant_id: &str,
    kind: EventKind,
) -> Result<i64, StoreError> {
    on_conn!(c, |x| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM events WHERE tenant_id = $1 AND kind = $2"
    )
    .bind(tenant_id)
    .bind(kind.as_str())
    .fetch_one(x)
    .await)
    .map_err(q("events", "count"))
}
