//! A deterministic dump of every business row, for comparing two stores.
//!
//! Processing times (ingested_at, analyzed_at, taken_at, updated_at, journal time and hashes)
//! and the sync-run counters are left out: two runs that ingested the same tenant must dump the
//! same text whether or not one of them crashed and resumed half-way. Each line is
//! `<table> <canonical JSON>`, tables in a fixed order and rows by primary key, so a test can
//! also filter by table prefix.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::canonical::{canonical_json, sha256_hex, ts_text};
use crate::db::{Conn, on_conn};
use crate::error::{StoreError, q};
use crate::model::{Analysis, Event, Finding, Incident, Mailbox, Message, Snapshot, Tenant, User};

fn line(out: &mut String, table: &str, v: Value) {
    out.push_str(table);
    out.push(' ');
    out.push_str(&canonical_json(&v));
    out.push('\n');
}

fn t(x: DateTime<Utc>) -> String {
    ts_text(x)
}

pub(crate) async fn dump_canonical(c: &mut Conn<'_>) -> Result<String, StoreError> {
    let mut out = String::new();

    let rows = on_conn!(c, |x| sqlx::query_as::<_, Tenant>(
        "SELECT id, name, config_fingerprint FROM tenants ORDER BY id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("tenants", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "tenants",
            json!({"id": r.id, "name": r.name, "config_fingerprint": r.config_fingerprint}),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, (String, String, String)>(
        "SELECT tenant_id, stream, value FROM cursors ORDER BY tenant_id, stream"
    )
    .fetch_all(x)
    .await)
    .map_err(q("cursors", "dump"))?;
    for (tenant, stream, value) in rows {
        line(
            &mut out,
            "cursors",
            json!({"tenant_id": tenant, "stream": stream, "value": value}),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, User>(
        "SELECT tenant_id, id, upn, display_name, mail, department, job_title, enabled, raw
         FROM users ORDER BY tenant_id, id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("users", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "users",
            json!({
                "tenant_id": r.tenant_id, "id": r.id, "upn": r.upn, "display_name": r.display_name,
                "mail": r.mail, "department": r.department, "job_title": r.job_title,
                "enabled": r.enabled, "raw": r.raw,
            }),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, Mailbox>(
        "SELECT tenant_id, id, user_id, address, display_name FROM mailboxes
         ORDER BY tenant_id, id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("mailboxes", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "mailboxes",
            json!({
                "tenant_id": r.tenant_id, "id": r.id, "user_id": r.user_id, "address": r.address,
                "display_name": r.display_name,
            }),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, Message>(
        "SELECT tenant_id, mailbox_id, graph_id, internet_message_id, folder, sender, subject,
             received_at, size_bytes, mime_sha256, body
         FROM messages ORDER BY tenant_id, mailbox_id, graph_id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("messages", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "messages",
            json!({
                "tenant_id": r.tenant_id, "mailbox_id": r.mailbox_id, "graph_id": r.graph_id,
                "internet_message_id": r.internet_message_id, "folder": r.folder,
                "sender": r.sender, "subject": r.subject, "received_at": t(r.received_at),
                "size_bytes": r.size_bytes, "mime_sha256": r.mime_sha256,
                "body_sha256": r.body.as_deref().map(sha256_hex),
            }),
        );
    }

    let rows = on_conn!(c, |x| {
        sqlx::query_as::<_, Analysis>(
        "SELECT tenant_id, mailbox_id, graph_id, verdict, score, categories, signals, analyzed_at
         FROM analyses ORDER BY tenant_id, mailbox_id, graph_id"
    )
    .fetch_all(x)
    .await
    })
    .map_err(q("analyses", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "analyses",
            json!({
                "tenant_id": r.tenant_id, "mailbox_id": r.mailbox_id, "graph_id": r.graph_id,
                "verdict": r.verdict, "score": r.score, "categories": r.categories,
                "signals": r.signals,
            }),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, Snapshot>(
        "SELECT tenant_id, kind, object_id, version, content_sha256, data, taken_at
         FROM snapshots ORDER BY tenant_id, kind, object_id, version"
    )
    .fetch_all(x)
    .await)
    .map_err(q("snapshots", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "snapshots",
            json!({
                "tenant_id": r.tenant_id, "kind": r.kind.as_str(), "object_id": r.object_id,
                "version": r.version, "content_sha256": r.content_sha256, "data": r.data,
            }),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, Event>(
        "SELECT tenant_id, kind, id, time, user_id, source, raw FROM events
         ORDER BY tenant_id, kind, id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("events", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "events",
            json!({
                "tenant_id": r.tenant_id, "kind": r.kind.as_str(), "id": r.id, "time": t(r.time),
                "user_id": r.user_id, "source": r.source, "raw": r.raw,
            }),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, Finding>(
        "SELECT tenant_id, id, kind, user_id, mailbox_id, graph_id, score, evidence, time
         FROM findings ORDER BY tenant_id, id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("findings", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "findings",
            json!({
                "tenant_id": r.tenant_id, "id": r.id, "kind": r.kind, "user_id": r.user_id,
                "mailbox_id": r.mailbox_id, "graph_id": r.graph_id, "score": r.score,
                "evidence": r.evidence, "time": t(r.time),
            }),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, Incident>(
        "SELECT tenant_id, id, kind, subject_key, severity, status, timeline, first_seen,
             last_seen FROM incidents ORDER BY tenant_id, id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("incidents", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "incidents",
            json!({
                "tenant_id": r.tenant_id, "id": r.id, "kind": r.kind, "subject_key": r.subject_key,
                "severity": r.severity, "status": r.status.as_str(), "timeline": r.timeline,
                "first_seen": t(r.first_seen), "last_seen": t(r.last_seen),
            }),
        );
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, (String, String, String)>(
        "SELECT tenant_id, incident_id, finding_id FROM incident_findings
         ORDER BY tenant_id, incident_id, finding_id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("incident_findings", "dump"))?;
    for (tenant, incident, finding) in rows {
        line(
            &mut out,
            "incident_findings",
            json!({
                "tenant_id": tenant, "incident_id": incident, "finding_id": finding,
            }),
        );
    }

    let mut after = 0i64;
    loop {
        let page = super::journal_entries(c, after, 1000).await?;
        let done = page.len() < 1000;
        for r in page {
            after = r.seq;
            let e = r.entry;
            line(
                &mut out,
                "journal",
                json!({
                    "seq": r.seq, "tenant_id": e.tenant_id, "action_id": e.action_id,
                    "kind": e.kind, "target": e.target, "requested_by": e.requested_by,
                    "reason": e.reason, "mode": e.mode, "before_state": e.before_state,
                    "result": e.result, "undo": e.undo, "status": e.status,
                }),
            );
        }
        if done {
            break;
        }
    }

    let rows = on_conn!(c, |x| sqlx::query_as::<_, crate::model::Action>(
        "SELECT action_id, tenant_id, kind, target, params, mode, status, requested_by, reason,
             incident_id, decided_by, result, created_at, updated_at
         FROM actions ORDER BY action_id"
    )
    .fetch_all(x)
    .await)
    .map_err(q("actions", "dump"))?;
    for r in rows {
        line(
            &mut out,
            "actions",
            json!({
                "action_id": r.action_id, "tenant_id": r.tenant_id, "kind": r.kind,
                "target": r.target, "params": r.params, "mode": r.mode,
                "status": r.status.as_str(), "requested_by": r.requested_by, "reason": r.reason,
                "incident_id": r.incident_id, "decided_by": r.decided_by, "result": r.result,
            }),
        );
    }

    Ok(out)
}
