//! Tenants, sync cursors and sync-run counters.

use crate::canonical::{clean, ts};
use crate::db::{Conn, exec, on_conn};
use crate::error::{StoreError, q};
use crate::model::{Run, Tenant};
use chrono::{DateTime, Utc};

/// Inserts or updates a tenant; true when it was new.
pub(crate) async fn upsert_tenant(c: &mut Conn<'_>, t: &Tenant) -> Result<bool, StoreError> {
    let existed = on_conn!(c, |x| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM tenants WHERE id = $1"
    )
    .bind(clean(&t.id))
    .fetch_one(x)
    .await)
    .map_err(q("tenants", "select"))?
        > 0;
    let now = ts(Utc::now());
    exec!(
        c,
        sqlx::query(
            "INSERT INTO tenants (id, name, config_fingerprint, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name,
             config_fingerprint = excluded.config_fingerprint, updated_at = excluded.updated_at"
        )
        .bind(clean(&t.id))
        .bind(clean(&t.name))
        .bind(clean(&t.config_fingerprint))
        .bind(now)
    )
    .map_err(q("tenants", "upsert"))?;
    Ok(!existed)
}

pub(crate) async fn get_tenant(c: &mut Conn<'_>, id: &str) -> Result<Option<Tenant>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Tenant>(
        "SELECT id, name, config_fingerprint FROM tenants WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(x)
    .await)
    .map_err(q("tenants", "select"))
}

pub(crate) async fn list_tenants(c: &mut Conn<'_>) -> Result<Vec<Tenant>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Tenant>(
        "SELECT id, name, config_fingerprint FROM tenants ORDER BY id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("tenants", "list"))
}

/// The saved position of one sync stream (`users`, `messages:{user}:{folder}`, `signins`, …).
pub(crate) async fn get_cursor(
    c: &mut Conn<'_>,
    tenant_id: &str,
    stream: &str,
) -> Result<Option<String>, StoreError> {
    on_conn!(c, |x| sqlx::query_scalar::<_, String>(
        "SELECT value FROM cursors WHERE tenant_id = $1 AND stream = $2"
    )
    .bind(tenant_id)
    .bind(stream)
    .fetch_optional(x)
    .await)
    .map_err(q("cursors", "select"))
}

/// Saves a stream position. Call it on a [`crate::Tx`] together with the data it covers.
pub(crate) async fn set_cursor(
    c: &mut Conn<'_>,
    tenant_id: &str,
    stream: &str,
    value: &str,
) -> Result<(), StoreError> {
    let now = ts(Utc::now());
    exec!(
        c,
        sqlx::query(
            "INSERT INTO cursors (tenant_id, stream, value, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, stream) DO UPDATE
             SET value = excluded.value, updated_at = excluded.updated_at"
        )
        .bind(clean(tenant_id))
        .bind(clean(stream))
        .bind(clean(value))
        .bind(now)
    )
    .map_err(q("cursors", "upsert"))?;
    Ok(())
}

/// Forgets a stream position (forces a full resync of that stream); true when one existed.
pub(crate) async fn delete_cursor(
    c: &mut Conn<'_>,
    tenant_id: &str,
    stream: &str,
) -> Result<bool, StoreError> {
    let n = exec!(
        c,
        sqlx::query("DELETE FROM cursors WHERE tenant_id = $1 AND stream = $2")
            .bind(tenant_id)
            .bind(stream)
    )
    .map_err(q("cursors", "delete"))?;
    Ok(n > 0)
}

/// Records the counters of one sync run; returns its id.
pub(crate) async fn record_run(c: &mut Conn<'_>, r: &Run) -> Result<i64, StoreError> {
    on_conn!(c, |x| sqlx::query_scalar::<_, i64>(
        "INSERT INTO runs (tenant_id, stream, started_at, duration_ms, items, requests, throttled,
             errors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(clean(&r.tenant_id))
    .bind(clean(&r.stream))
    .bind(ts(r.started_at))
    .bind(r.duration_ms)
    .bind(r.items)
    .bind(r.requests)
    .bind(r.throttled)
    .bind(r.errors)
    .fetch_one(x)
    .await)
    .map_err(q("runs", "insert"))
}

/// The newest runs of a tenant, newest first.
pub(crate) async fn list_runs(
    c: &mut Conn<'_>,
    tenant_id: &str,
    limit: i64,
) -> Result<Vec<Run>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Run>(
        "SELECT tenant_id, stream, started_at, duration_ms, items, requests, throttled, errors
         FROM runs WHERE tenant_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
    )
    .bind(tenant_id)
    .bind(limit.max(0))
    .fetch_all(x)
    .await)
    .map_err(q("runs", "list"))
}

/// Totals over a tenant's runs since `since`: (runs, items, requests, throttled).
pub(crate) async fn run_totals(
    c: &mut Conn<'_>,
    tenant_id: &str,
    since: DateTime<Utc>,
) -> Result<(i64, i64, i64, i64), StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, (i64, i64, i64, i64)>(
        "SELECT COUNT(*), CAST(COALESCE(SUM(items), 0) AS BIGINT),
             CAST(COALESCE(SUM(requests), 0) AS BIGINT), CAST(COALESCE(SUM(throttled), 0) AS BIGINT)
         FROM runs WHERE tenant_id = $1 AND started_at >= $2"
    )
    .bind(tenant_id)
    .bind(ts(since))
    .fetch_one(x)
    .await)
    .map_err(q("runs", "sum"))
}
