//! Message metadata and per-message analysis results.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::canonical::{clean, clean_json, clean_opt, ts};
use crate::db::{Conn, exec, on_conn};
use crate::error::{StoreError, q};
use crate::model::{Analysis, Message, MessageKey};

/// Stores a message's metadata; true when it was new. Re-ingesting the same (tenant, mailbox,
/// graph id) is a no-op that returns false, so a replayed page after a crash adds nothing.
pub(crate) async fn insert_message(c: &mut Conn<'_>, m: &Message) -> Result<bool, StoreError> {
    let now = ts(Utc::now());
    let n = exec!(
        c,
        sqlx::query(
            "INSERT INTO messages (tenant_id, mailbox_id, graph_id, internet_message_id, folder,
                 sender, subject, received_at, size_bytes, mime_sha256, body, ingested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (tenant_id, mailbox_id, graph_id) DO NOTHING"
        )
        .bind(clean(&m.tenant_id))
        .bind(clean(&m.mailbox_id))
        .bind(clean(&m.graph_id))
        .bind(clean_opt(m.internet_message_id.as_deref()))
        .bind(clean(&m.folder))
        .bind(clean_opt(m.sender.as_deref()))
        .bind(clean_opt(m.subject.as_deref()))
        .bind(ts(m.received_at))
        .bind(m.size_bytes)
        .bind(clean_opt(m.mime_sha256.as_deref()))
        .bind(m.body.as_deref())
        .bind(now)
    )
    .map_err(q("messages", "insert"))?;
    Ok(n == 1)
}

/// Rows per multi-row INSERT: 12 binds each stays far below both engines' parameter limits.
const BULK_ROWS: usize = 1000;

/// [`insert_message`] for many messages with one statement per thousand rows (a Graph page at
/// a time). Returns, in input order, whether each message was new; a key repeated inside the
/// batch counts as new only the first time.
pub(crate) async fn insert_messages(
    c: &mut Conn<'_>,
    msgs: &[Message],
) -> Result<Vec<bool>, StoreError> {
    let now = ts(Utc::now());
    let mut out = Vec::with_capacity(msgs.len());
    for chunk in msgs.chunks(BULK_ROWS) {
        let inserted: Vec<(String, String, String)> = on_conn!(c, |x, Db| {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO messages (tenant_id, mailbox_id, graph_id, internet_message_id, \
                 folder, sender, subject, received_at, size_bytes, mime_sha256, body, ingested_at) ",
            );
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(clean(&m.tenant_id))
                    .push_bind(clean(&m.mailbox_id))
                    .push_bind(clean(&m.graph_id))
                    .push_bind(clean_opt(m.internet_message_id.as_deref()))
                    .push_bind(clean(&m.folder))
                    .push_bind(clean_opt(m.sender.as_deref()))
                    .push_bind(clean_opt(m.subject.as_deref()))
                    .push_bind(ts(m.received_at))
                    .push_bind(m.size_bytes)
                    .push_bind(clean_opt(m.mime_sha256.as_deref()))
                    .push_bind(m.body.as_deref())
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (tenant_id, mailbox_id, graph_id) DO NOTHING \
                 RETURNING tenant_id, mailbox_id, graph_id",
            );
            qb.build_query_as::<(String, String, String)>()
                .fetch_all(x)
                .await
        })
        .map_err(q("messages", "insert many"))?;
        let mut new: HashSet<(String, String, String)> = inserted.into_iter().collect();
        for m in chunk {
            let k = (
                clean(&m.tenant_id).into_owned(),
                clean(&m.mailbox_id).into_owned(),
                clean(&m.graph_id).into_owned(),
            );
            out.push(new.remove(&k));
        }
    }
    Ok(out)
}

/// Records that a message moved to another folder; true when the message exists.
pub(crate) async fn set_message_folder(
    c: &mut Conn<'_>,
    key: &MessageKey,
    folder: &str,
) -> Result<bool, StoreError> {
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE messages SET folder = $4
             WHERE tenant_id = $1 AND mailbox_id = $2 AND graph_id = $3"
        )
        .bind(&key.tenant_id)
        .bind(&key.mailbox_id)
        .bind(&key.graph_id)
        .bind(clean(folder))
    )
    .map_err(q("messages", "update folder"))?;
    Ok(n > 0)
}

pub(crate) async fn get_message(
    c: &mut Conn<'_>,
    key: &MessageKey,
) -> Result<Option<Message>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Message>(
        "SELECT tenant_id, mailbox_id, graph_id, internet_message_id, folder, sender, subject,
             received_at, size_bytes, mime_sha256, body
         FROM messages WHERE tenant_id = $1 AND mailbox_id = $2 AND graph_id = $3"
    )
    .bind(&key.tenant_id)
    .bind(&key.mailbox_id)
    .bind(&key.graph_id)
    .fetch_optional(x)
    .await)
    .map_err(q("messages", "select"))
}

/// Every stored copy of one internet message (a campaign pull finds all mailboxes).
pub(crate) async fn messages_by_internet_id(
    c: &mut Conn<'_>,
    tenant_id: &str,
    internet_message_id: &str,
) -> Result<Vec<Message>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Message>(
        "SELECT tenant_id, mailbox_id, graph_id, internet_message_id, folder, sender, subject,
             received_at, size_bytes, mime_sha256, body
         FROM messages WHERE tenant_id = $1 AND internet_message_id = $2
         ORDER BY mailbox_id, graph_id"
    )
    .bind(tenant_id)
    .bind(internet_message_id)
    .fetch_all(x)
    .await)
    .map_err(q("messages", "select"))
}

/// Records a stored message's content fingerprints (at most 64 kept; repeats ignored).
pub(crate) async fn put_fingerprints(
    c: &mut Conn<'_>,
    key: &MessageKey,
    received_at: DateTime<Utc>,
    fingerprints: &[String],
) -> Result<(), StoreError> {
    for fp in fingerprints.iter().take(64) {
        exec!(
            c,
            sqlx::query(
                "INSERT INTO message_fingerprints (tenant_id, mailbox_id, graph_id, fingerprint,
                     received_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (tenant_id, mailbox_id, graph_id, fingerprint) DO NOTHING"
            )
            .bind(clean(&key.tenant_id))
            .bind(clean(&key.mailbox_id))
            .bind(clean(&key.graph_id))
            .bind(clean(fp))
            .bind(ts(received_at))
        )
        .map_err(q("message_fingerprints", "insert"))?;
    }
    Ok(())
}

/// A stored message's fingerprints, sorted.
pub(crate) async fn fingerprints_of(
    c: &mut Conn<'_>,
    key: &MessageKey,
) -> Result<Vec<String>, StoreError> {
    on_conn!(c, |x| sqlx::query_scalar::<_, String>(
        "SELECT fingerprint FROM message_fingerprints
         WHERE tenant_id = $1 AND mailbox_id = $2 AND graph_id = $3 ORDER BY fingerprint"
    )
    .bind(&key.tenant_id)
    .bind(&key.mailbox_id)
    .bind(&key.graph_id)
    .fetch_all(x)
    .await)
    .map_err(q("message_fingerprints", "select"))
}

/// Messages carrying `fingerprint`, received in `[from, to]` (at most 10,000).
pub(crate) async fn messages_with_fingerprint(
    c: &mut Conn<'_>,
    tenant_id: &str,
    fingerprint: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Message>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Message>(
        "SELECT m.tenant_id, m.mailbox_id, m.graph_id, m.internet_message_id, m.folder, m.sender,
             m.subject, m.received_at, m.size_bytes, m.mime_sha256, NULL AS body
         FROM message_fingerprints f
         JOIN messages m ON m.tenant_id = f.tenant_id AND m.mailbox_id = f.mailbox_id
             AND m.graph_id = f.graph_id
         WHERE f.tenant_id = $1 AND f.fingerprint = $2 AND f.received_at >= $3
             AND f.received_at <= $4
         ORDER BY m.received_at, m.mailbox_id, m.graph_id LIMIT 10000"
    )
    .bind(tenant_id)
    .bind(fingerprint)
    .bind(ts(from))
    .bind(ts(to))
    .fetch_all(x)
    .await)
    .map_err(q("message_fingerprints", "select messages"))
}

/// Messages from one sender (case-insensitive) received in `[from, to]`: the candidates for
/// variants of a campaign (same sender, reworded subject or new links).
pub(crate) async fn messages_from_sender(
    c: &mut Conn<'_>,
    tenant_id: &str,
    sender: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Message>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Message>(
        "SELECT tenant_id, mailbox_id, graph_id, internet_message_id, folder, sender, subject,
             received_at, size_bytes, mime_sha256, NULL AS body
         FROM messages WHERE tenant_id = $1 AND received_at >= $2 AND received_at <= $3
             AND LOWER(sender) = LOWER($4)
         ORDER BY received_at, mailbox_id, graph_id LIMIT 100000"
    )
    .bind(tenant_id)
    .bind(ts(from))
    .bind(ts(to))
    .bind(sender)
    .fetch_all(x)
    .await)
    .map_err(q("messages", "select by sender"))
}

/// Messages of a tenant not analysed yet, oldest first (the analyser's work list).
pub(crate) async fn unanalyzed_messages(
    c: &mut Conn<'_>,
    tenant_id: &str,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Message>(
        "SELECT m.tenant_id, m.mailbox_id, m.graph_id, m.internet_message_id, m.folder, m.sender,
             m.subject, m.received_at, m.size_bytes, m.mime_sha256, m.body
         FROM messages m
         WHERE m.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM analyses a
             WHERE a.tenant_id = m.tenant_id AND a.mailbox_id = m.mailbox_id
               AND a.graph_id = m.graph_id)
         ORDER BY m.received_at, m.mailbox_id, m.graph_id LIMIT $2"
    )
    .bind(tenant_id)
    .bind(limit.max(0))
    .fetch_all(x)
    .await)
    .map_err(q("messages", "select unanalyzed"))
}

/// Stores (or replaces) the analysis of a stored message; true when it is the first one.
pub(crate) async fn put_analysis(c: &mut Conn<'_>, a: &Analysis) -> Result<bool, StoreError> {
    let existed = on_conn!(c, |x| {
        sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM analyses WHERE tenant_id = $1 AND mailbox_id = $2 AND graph_id = $3"
    )
    .bind(clean(&a.tenant_id))
    .bind(clean(&a.mailbox_id))
    .bind(clean(&a.graph_id))
    .fetch_one(x)
    .await
    })
    .map_err(q("analyses", "select"))?
        > 0;
    let categories: Vec<String> = a.categories.iter().map(|s| clean(s).into_owned()).collect();
    exec!(
        c,
        sqlx::query(
            "INSERT INTO analyses (tenant_id, mailbox_id, graph_id, verdict, score, categories,
                 signals, analyzed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id, mailbox_id, graph_id) DO UPDATE SET
                 verdict = excluded.verdict, score = excluded.score,
                 categories = excluded.categories, signals = excluded.signals,
                 analyzed_at = excluded.analyzed_at"
        )
        .bind(clean(&a.tenant_id))
        .bind(clean(&a.mailbox_id))
        .bind(clean(&a.graph_id))
        .bind(clean(&a.verdict))
        .bind(a.score)
        .bind(Json(&categories))
        .bind(Json(clean_json(&a.signals)))
        .bind(ts(a.analyzed_at))
    )
    .map_err(q("analyses", "upsert"))?;
    Ok(!existed)
}

pub(crate) async fn get_analysis(
    c: &mut Conn<'_>,
    key: &MessageKey,
) -> Result<Option<Analysis>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Analysis>(
        "SELECT tenant_id, mailbox_id, graph_id, verdict, score, categories, signals, analyzed_at
         FROM analyses WHERE tenant_id = $1 AND mailbox_id = $2 AND graph_id = $3"
    )
    .bind(&key.tenant_id)
    .bind(&key.mailbox_id)
    .bind(&key.graph_id)
    .fetch_optional(x)
    .await)
    .map_err(q("analyses", "select"))
}

/// Analyses with the given verdict, by mailbox and message id (the flagged-mail backlog a
/// fresh detect stage starts from).
pub(crate) async fn analyses_with_verdict(
    c: &mut Conn<'_>,
    tenant_id: &str,
    verdict: &str,
) -> Result<Vec<Analysis>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, Analysis>(
        "SELECT tenant_id, mailbox_id, graph_id, verdict, score, categories, signals, analyzed_at
         FROM analyses WHERE tenant_id = $1 AND verdict = $2 ORDER BY mailbox_id, graph_id"
    )
    .bind(tenant_id)
    .bind(verdict)
    .fetch_all(x)
    .await)
    .map_err(q("analyses", "select by verdict"))
}

/// Number of stored messages of a tenant.
pub(crate) async fn count_messages(c: &mut Conn<'_>, tenant_id: &str) -> Result<i64, StoreError> {
    on_conn!(c, |x| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM messages WHERE tenant_id = $1"
    )
    .bind(tenant_id)
    .fetch_one(x)
    .await)
    .map_err(q("messages", "count"))
}

/// Number of analysed messages of a tenant.
pub(crate) async fn count_analyzed(c: &mut Conn<'_>, tenant_id: &str) -> Result<i64, StoreError> {
    on_conn!(c, |x| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM analyses WHERE tenant_id = $1"
    )
    .bind(tenant_id)
    .fetch_one(x)
    .await)
    .map_err(q("analyses", "count"))
}

/// (verdict, number of messages) for a tenant, by verdict name.
pub(crate) async fn verdict_counts(
    c: &mut Conn<'_>,
    tenant_id: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    on_conn!(c, |x| sqlx::query_as::<_, (String, i64)>(
        "SELECT verdict, COUNT(*) FROM analyses WHERE tenant_id = $1
         GROUP BY verdict ORDER BY verdict"
    )
    .bind(tenant_id)
    .fetch_all(x)
    .await)
    .map_err(q("analyses", "count by verdict"))
}
