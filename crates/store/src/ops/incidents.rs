//! Findings (signal hits) and incidents that group them.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::types::Json;

use crate::canonical::{canonical_json, clean, clean_json, clean_opt, ts, ts_text};
use crate::db::{Conn, exec, on_conn};
use crate::error::{StoreError, q};
use crate::model::{Finding, Incident, IncidentStatus};

/// Stores a finding; true when new. Finding ids are stable, so re-analysis is a no-op.
pub(crate) async fn insert_finding(c: &mut Conn<'_>, f: &Finding) -> Result<bool, StoreError> {
    let n = exec!(
        c,
        sqlx::query(
            "INSERT INTO findings (tenant_id, id, kind, user_id, mailbox_id, graph_id, score,
                 evidence, time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (tenant_id, id) DO NOTHING"
        )
        .bind(clean(&f.tenant_id))
        .bind(clean(&f.id))
        .bind(clean(&f.kind))
        .bind(clean_opt(f.user_id.as_deref()))
        .bind(clean_opt(f.mailbox_id.as_deref()))
        .bind(clean_opt(f.graph_id.as_deref()))
        .bind(f.score)
        .bind(Json(clean_json(&f.evidence)))
        .bind(ts(f.time))
    )
    .map_err(q("findings", "insert"))?;
    Ok(n == 1)
}

pub(crate) async fn get_finding(
    c: &mut Conn<'_>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Finding>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Finding>(
        "SELECT tenant_id, id, kind, user_id, mailbox_id, graph_id, score, evidence, time
         FROM findings WHERE tenant_id = $1 AND id = $2"
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(x)
    .await)
    .map_err(q("findings", "select"))
}

/// A user's findings at or after `since`, oldest first.
pub(crate) async fn findings_for_user(
    c: &mut Conn<'_>,
    tenant_id: &str,
    user_id: &str,
    since: DateTime<Utc>,
) -> Result<Vec<Finding>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Finding>(
        "SELECT tenant_id, id, kind, user_id, mailbox_id, graph_id, score, evidence, time
         FROM findings WHERE tenant_id = $1 AND user_id = $2 AND time >= $3 ORDER BY time, id"
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(ts(since))
    .fetch_all(x)
    .await)
    .map_err(q("findings", "select by user"))
}

/// Findings attached to an incident, oldest first.
pub(crate) async fn findings_for_incident(
    c: &mut Conn<'_>,
    tenant_id: &str,
    incident_id: &str,
) -> Result<Vec<Finding>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Finding>(
        "SELECT f.tenant_id, f.id, f.kind, f.user_id, f.mailbox_id, f.graph_id, f.score,
             f.evidence, f.time
         FROM findings f JOIN incident_findings l
             ON l.tenant_id = f.tenant_id AND l.finding_id = f.id
         WHERE l.tenant_id = $1 AND l.incident_id = $2 ORDER BY f.time, f.id"
    )
    .bind(tenant_id)
    .bind(incident_id)
    .fetch_all(x)
    .await)
    .map_err(q("findings", "select by incident"))
}

/// Creates an incident; true when new (an existing id is left untouched).
pub(crate) async fn open_incident(c: &mut Conn<'_>, i: &Incident) -> Result<bool, StoreError> {
    let timeline = if i.timeline.is_array() {
        clean_json(&i.timeline).into_owned()
    } else {
        Value::Array(vec![])
    };
    let n = exec!(
        c,
        sqlx::query(
            "INSERT INTO incidents (tenant_id, id, kind, subject_key, severity, status, timeline,
                 first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (tenant_id, id) DO NOTHING"
        )
        .bind(clean(&i.tenant_id))
        .bind(clean(&i.id))
        .bind(clean(&i.kind))
        .bind(clean(&i.subject_key))
        .bind(clean(&i.severity))
        .bind(i.status.as_str())
        .bind(Json(&timeline))
        .bind(ts(i.first_seen))
        .bind(ts(i.last_seen))
    )
    .map_err(q("incidents", "insert"))?;
    Ok(n == 1)
}

pub(crate) async fn get_incident(
    c: &mut Conn<'_>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Incident>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Incident>(
        "SELECT tenant_id, id, kind, subject_key, severity, status, timeline, first_seen,
             last_seen FROM incidents WHERE tenant_id = $1 AND id = $2"
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(x)
    .await)
    .map_err(q("incidents", "select"))
}

/// The most recently active incident of this kind and subject that is not closed: where a new
/// finding about the same user or campaign belongs.
pub(crate) async fn find_active_incident(
    c: &mut Conn<'_>,
    tenant_id: &str,
    kind: &str,
    subject_key: &str,
) -> Result<Option<Incident>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Incident>(
        "SELECT tenant_id, id, kind, subject_key, severity, status, timeline, first_seen,
             last_seen FROM incidents
         WHERE tenant_id = $1 AND kind = $2 AND subject_key = $3 AND status <> 'closed'
         ORDER BY last_seen DESC, id LIMIT 1"
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(subject_key)
    .fetch_optional(x)
    .await)
    .map_err(q("incidents", "select active"))
}

/// The most recently active incident about `subject_key` (a user's lower-case UPN, a campaign
/// key) that is not closed, whatever its kind: a user's mailbox abuse and their later
/// persistence are one compromise, so the caller merges them.
pub(crate) async fn find_open_incident_for_subject(
    c: &mut Conn<'_>,
    tenant_id: &str,
    subject_key: &str,
) -> Result<Option<Incident>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Incident>(
        "SELECT tenant_id, id, kind, subject_key, severity, status, timeline, first_seen,
             last_seen FROM incidents
         WHERE tenant_id = $1 AND subject_key = $2 AND status <> 'closed'
         ORDER BY last_seen DESC, id LIMIT 1"
    )
    .bind(tenant_id)
    .bind(subject_key)
    .fetch_optional(x)
    .await)
    .map_err(q("incidents", "select open by subject"))
}

/// A tenant's incidents with the given status, most recently active first.
pub(crate) async fn incidents_with_status(
    c: &mut Conn<'_>,
    tenant_id: &str,
    status: IncidentStatus,
) -> Result<Vec<Incident>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Incident>(
        "SELECT tenant_id, id, kind, subject_key, severity, status, timeline, first_seen,
             last_seen FROM incidents WHERE tenant_id = $1 AND status = $2
         ORDER BY last_seen DESC, id"
    )
    .bind(tenant_id)
    .bind(status.as_str())
    .fetch_all(x)
    .await)
    .map_err(q("incidents", "select by status"))
}

/// (status, number of incidents) for a tenant.
pub(crate) async fn incident_counts(
    c: &mut Conn<'_>,
    tenant_id: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM incidents WHERE tenant_id = $1
         GROUP BY status ORDER BY status"
    )
    .bind(tenant_id)
    .fetch_all(x)
    .await)
    .map_err(q("incidents", "count by status"))
}

/// Adds an entry to a timeline and keeps it ordered by time, then content, so the result does
/// not depend on the order events were processed in.
fn push_sorted(timeline: &mut Value, entry: Value) {
    if !timeline.is_array() {
        *timeline = Value::Array(vec![]);
    }
    if let Value::Array(a) = timeline {
        a.push(entry);
        a.sort_by_cached_key(|e| {
            let at = e
                .get("at")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (at, canonical_json(e))
        });
    }
}

/// Takes the incident's row lock before a read-modify-write of its timeline, so two workers
/// attaching findings to one incident on PostgreSQL cannot lose each other's entry. (A no-op
/// UPDATE is the portable way: SQLite has no `FOR UPDATE`, and its `BEGIN IMMEDIATE`
/// transactions already hold the database write lock.)
async fn lock_incident(c: &mut Conn<'_>, tenant_id: &str, id: &str) -> Result<(), StoreError> {
    exec!(
        c,
        sqlx::query("UPDATE incidents SET status = status WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
    )
    .map_err(q("incidents", "lock"))?;
    Ok(())
}

async fn write_incident_state(c: &mut Conn<'_>, i: &Incident) -> Result<(), StoreError> {
    exec!(
        c,
        sqlx::query(
            "UPDATE incidents SET status = $3, severity = $4, timeline = $5, first_seen = $6,
                 last_seen = $7 WHERE tenant_id = $1 AND id = $2"
        )
        .bind(&i.tenant_id)
        .bind(&i.id)
        .bind(i.status.as_str())
        .bind(clean(&i.severity))
        .bind(Json(clean_json(&i.timeline)))
        .bind(ts(i.first_seen))
        .bind(ts(i.last_seen))
    )
    .map_err(q("incidents", "update"))?;
    Ok(())
}

/// Attaches a stored finding to an incident: widens first/last seen to the finding's time and
/// adds a timeline entry. True when newly attached; attaching twice is a no-op.
pub(crate) async fn attach_finding(
    c: &mut Conn<'_>,
    tenant_id: &str,
    incident_id: &str,
    finding_id: &str,
) -> Result<bool, StoreError> {
    lock_incident(c, tenant_id, incident_id).await?;
    let Some(mut inc) = get_incident(c, tenant_id, incident_id).await? else {
        return Err(StoreError::NotFound {
            table: "incidents",
            key: format!("{tenant_id}/{incident_id}"),
        });
    };
    let Some(f) = get_finding(c, tenant_id, finding_id).await? else {
        return Err(StoreError::NotFound {
            table: "findings",
            key: format!("{tenant_id}/{finding_id}"),
        });
    };
    let n = exec!(
        c,
        sqlx::query(
            "INSERT INTO incident_findings (tenant_id, incident_id, finding_id)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(tenant_id)
        .bind(incident_id)
        .bind(finding_id)
    )
    .map_err(q("incident_findings", "insert"))?;
    if n == 0 {
        return Ok(false);
    }
    inc.first_seen = inc.first_seen.min(f.time);
    inc.last_seen = inc.last_seen.max(f.time);
    let mut entry = json!({
        "at": ts_text(f.time),
        "event": "finding",
        "finding_id": f.id,
        "kind": f.kind,
        "score": f.score,
        "user_id": f.user_id,
        "graph_id": f.graph_id,
    });
    // What the finding says in words travels with the timeline, so an incident reads on its
    // own: the signal, a plain-words detail and the evidence it rests on, when the finding
    // carries them.
    if let (Value::Object(e), Value::Object(src)) = (&mut entry, &f.evidence) {
        for key in ["signal", "detail", "evidence"] {
            if let Some(v) = src.get(key) {
                e.insert(key.to_string(), v.clone());
            }
        }
    }
    push_sorted(&mut inc.timeline, entry);
    write_incident_state(c, &inc).await?;
    Ok(true)
}

/// Moves an incident to `status` (open / contained / closed) with a timeline note; false when
/// the incident does not exist or already has that status.
pub(crate) async fn set_incident_status(
    c: &mut Conn<'_>,
    tenant_id: &str,
    incident_id: &str,
    status: IncidentStatus,
    at: DateTime<Utc>,
    note: &str,
) -> Result<bool, StoreError> {
    lock_incident(c, tenant_id, incident_id).await?;
    let Some(mut inc) = get_incident(c, tenant_id, incident_id).await? else {
        return Ok(false);
    };
    if inc.status == status {
        return Ok(false);
    }
    inc.status = status;
    push_sorted(
        &mut inc.timeline,
        json!({"at": ts_text(at), "event": "status", "status": status.as_str(), "note": note}),
    );
    write_incident_state(c, &inc).await?;
    Ok(true)
}

/// Adds a note to an incident's timeline (what the response could not do, a person's
/// remark); false when the incident is absent or already carries this exact note.
pub(crate) async fn add_incident_note(
    c: &mut Conn<'_>,
    tenant_id: &str,
    incident_id: &str,
    at: DateTime<Utc>,
    note: &str,
) -> Result<bool, StoreError> {
    lock_incident(c, tenant_id, incident_id).await?;
    let Some(mut inc) = get_incident(c, tenant_id, incident_id).await? else {
        return Ok(false);
    };
    let note = clean(note);
    let seen = inc.timeline.as_array().is_some_and(|t| {
        t.iter()
            .any(|e| e["event"] == "note" && e["note"].as_str() == Some(note.as_ref()))
    });
    if seen {
        return Ok(false);
    }
    push_sorted(
        &mut inc.timeline,
        json!({"at": ts_text(at), "event": "note", "note": note}),
    );
    write_incident_state(c, &inc).await?;
    Ok(true)
}

/// Sets an incident's kind and severity (when merged evidence makes it stronger); false when
/// the incident is absent or already has both.
pub(crate) async fn update_incident(
    c: &mut Conn<'_>,
    tenant_id: &str,
    incident_id: &str,
    kind: &str,
    severity: &str,
) -> Result<bool, StoreError> {
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE incidents SET kind = $3, severity = $4
             WHERE tenant_id = $1 AND id = $2 AND (kind <> $3 OR severity <> $4)"
        )
        .bind(tenant_id)
        .bind(incident_id)
        .bind(clean(kind))
        .bind(clean(severity))
    )
    .map_err(q("incidents", "update kind"))?;
    Ok(n > 0)
}

/// Changes an incident's severity (e.g. when a stronger finding arrives); false when absent.
pub(crate) async fn set_incident_severity(
    c: &mut Conn<'_>,
    tenant_id: &str,
    incident_id: &str,
    severity: &str,
) -> Result<bool, StoreError> {
    let n = exec!(
        c,
        sqlx::query("UPDATE incidents SET severity = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(incident_id)
            .bind(clean(severity))
    )
    .map_err(q("incidents", "update severity"))?;
    Ok(n > 0)
}
