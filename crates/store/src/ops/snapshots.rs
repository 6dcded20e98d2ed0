//! Versioned snapshots of inbox rules, authentication methods and apps, for diffing.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::canonical::{canonical_json, clean, clean_json, sha256_hex, ts};
use crate::db::{Conn, exec, on_conn};
use crate::error::{StoreError, q};
use crate::model::{Snapshot, SnapshotKind, SnapshotPut};

/// Stores `data` as the newest state of (tenant, kind, object) unless it equals the latest one
/// (compared by SHA-256 of its canonical JSON, so key order does not matter).
pub(crate) async fn put_snapshot(
    c: &mut Conn<'_>,
    tenant_id: &str,
    kind: SnapshotKind,
    object_id: &str,
    data: &Value,
    taken_at: DateTime<Utc>,
) -> Result<SnapshotPut, StoreError> {
    let data = clean_json(data);
    let hash = sha256_hex(canonical_json(&data).as_bytes());
    let latest = on_conn!(c, |x| sqlx::query_as::<_, (i64, String)>(
        "SELECT version, content_sha256 FROM snapshots
         WHERE tenant_id = $1 AND kind = $2 AND object_id = $3
         ORDER BY version DESC LIMIT 1"
    )
    .bind(clean(tenant_id))
    .bind(kind.as_str())
    .bind(clean(object_id))
    .fetch_optional(x)
    .await)
    .map_err(q("snapshots", "select latest"))?;
    if let Some((version, h)) = &latest
        && *h == hash
    {
        return Ok(SnapshotPut {
            version: *version,
            changed: false,
        });
    }
    let version = latest.map(|(v, _)| v).unwrap_or(0) + 1;
    let n = exec!(
        c,
        sqlx::query(
            "INSERT INTO snapshots (tenant_id, kind, object_id, version, content_sha256, data,
                 taken_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant_id, kind, object_id, version) DO NOTHING"
        )
        .bind(clean(tenant_id))
        .bind(kind.as_str())
        .bind(clean(object_id))
        .bind(version)
        .bind(&hash)
        .bind(Json(&data))
        .bind(ts(taken_at))
    )
    .map_err(q("snapshots", "insert"))?;
    if n == 0 {
        // Another writer stored this version between our read and our insert (PostgreSQL, no
        // lock on a row that did not exist yet). Its state is as new as ours: report it.
        let winner = latest_snapshot(c, tenant_id, kind, object_id).await?;
        return Ok(SnapshotPut {
            version: winner.map(|w| w.version).unwrap_or(version),
            changed: false,
        });
    }
    Ok(SnapshotPut {
        version,
        changed: true,
    })
}

/// The newest snapshot of one object.
pub(crate) async fn latest_snapshot(
    c: &mut Conn<'_>,
    tenant_id: &str,
    kind: SnapshotKind,
    object_id: &str,
) -> Result<Option<Snapshot>, StoreError> {
    Ok(recent_snapshots(c, tenant_id, kind, object_id, 1)
        .await?
        .into_iter()
        .next())
}

/// Up to `n` newest snapshots of one object, newest first: `[latest, previous, …]` to diff.
pub(crate) async fn recent_snapshots(
    c: &mut Conn<'_>,
    tenant_id: &str,
    kind: SnapshotKind,
    object_id: &str,
    n: i64,
) -> Result<Vec<Snapshot>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Snapshot>(
        "SELECT tenant_id, kind, object_id, version, content_sha256, data, taken_at
         FROM snapshots WHERE tenant_id = $1 AND kind = $2 AND object_id = $3
         ORDER BY version DESC LIMIT $4"
    )
    .bind(tenant_id)
    .bind(kind.as_str())
    .bind(object_id)
    .bind(n.max(0))
    .fetch_all(x)
    .await)
    .map_err(q("snapshots", "select recent"))
}

/// The newest snapshot of every object of one kind in a tenant, by object id.
pub(crate) async fn latest_snapshots(
    c: &mut Conn<'_>,
    tenant_id: &str,
    kind: SnapshotKind,
) -> Result<Vec<Snapshot>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Snapshot>(
        "SELECT s.tenant_id, s.kind, s.object_id, s.version, s.content_sha256, s.data, s.taken_at
         FROM snapshots s
         WHERE s.tenant_id = $1 AND s.kind = $2 AND s.version = (SELECT MAX(t.version)
             FROM snapshots t WHERE t.tenant_id = s.tenant_id AND t.kind = s.kind
               AND t.object_id = s.object_id)
         ORDER BY s.object_id"
    )
    .bind(tenant_id)
    .bind(kind.as_str())
    .fetch_all(x)
    .await)
    .map_err(q("snapshots", "select latest"))
}
