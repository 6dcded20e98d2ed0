//! Mail: one message delta per (mailbox, folder); MIME fetched once per new message, analysed,
//! and committed with the cursor of the page it came in.

use std::sync::Arc;

use chrono::Utc;
use futures::{StreamExt, TryStreamExt, stream};
use ward_graph::DeltaOptions;
use ward_graph::models::{DeltaItem, Message as GraphMessage};
use ward_store::{Analysis, Message, MessageKey, sha256_hex};

use crate::directory::DirUser;
use crate::{IngestError, Result, Run, bump, with_resync};

/// Folders Ward watches by default: where delivered mail lands.
pub const DEFAULT_FOLDERS: &[&str] = &["inbox", "junkemail"];

/// The message properties a delta page carries (the MIME brings the rest).
const SELECT: &str =
    "id,internetMessageId,subject,from,sender,receivedDateTime,parentFolderId,isRead";

/// MIME downloads in flight per mailbox (Microsoft allows 4 concurrent requests per mailbox;
/// the client enforces that cap too).
const MIME_CONCURRENCY: usize = 4;

/// Marker folder for a message that left every tracked folder (deleted, or moved elsewhere).
pub(crate) const GONE: &str = "(removed)";

pub(crate) async fn sync_mailboxes(run: &Arc<Run>, users: &[DirUser]) -> Result<()> {
    run.progress.stage("mailboxes", Some(users.len() as u64));
    let parallel = run.opts.parallel_mailboxes.max(1);
    stream::iter(users.iter().cloned())
        .map(|user| {
            let run = run.clone();
            async move {
                if run.stopped() {
                    return Ok(());
                }
                for folder in &run.opts.folders {
                    let stream = format!("messages:{}:{}", user.id, folder);
                    let res = with_resync(&run, &stream, || folder_round(&run, &user, folder, &stream)).await;
                    match res {
                        Ok(()) => {}
                        // A store failure is fatal: continuing would lose data.
                        Err(e @ IngestError::Store { .. }) => return Err(e),
                        Err(IngestError::Graph { source, .. }) if source.is_access_denied() => {
                            run.warn(format!(
                                "mailbox {}: {source} — Ward skips this mailbox until access is granted",
                                user.address
                            ));
                            break;
                        }
                        Err(e) => {
                            run.warn(format!("mailbox {} ({folder}): {e} — retried on the next sync", user.address));
                        }
                    }
                    if run.stopped() {
                        return Ok(());
                    }
                }
                bump(&run.counters.mailboxes, 1);
                run.progress.advance("mailboxes", 1);
                Ok(())
            }
        })
        .buffer_unordered(parallel)
        .try_collect::<Vec<()>>()
        .await?;
    run.progress.finish("mailboxes");
    Ok(())
}

/// Follows one folder's delta from its cursor to a fresh delta link, a page per transaction.
async fn folder_round(run: &Run, user: &DirUser, folder: &str, stream: &str) -> Result<()> {
    let tenant = &run.opts.tenant_id;
    let mut url = match run
        .store
        .get_cursor(tenant, stream)
        .await
        .map_err(IngestError::store(stream))?
    {
        Some(link) => link,
        None => run.client.message_delta_url(
            &user.id,
            folder,
            &DeltaOptions {
                select: Some(SELECT.to_owned()),
                ..Default::default()
            },
        ),
    };
    loop {
        let page = run
            .client
            .message_delta_page(&url, Some(run.opts.page_size))
            .await
            .map_err(IngestError::graph(stream))?;

        // Sort the page out before opening a write transaction: no HTTP inside one.
        let mut fresh = Vec::new();
        let mut moved = Vec::new();
        let mut removed = Vec::new();
        for item in page.items {
            match item {
                DeltaItem::Upsert(m) if !m.id.is_empty() => {
                    let key = key(tenant, &user.id, &m.id);
                    match run
                        .store
                        .get_message(&key)
                        .await
                        .map_err(IngestError::store(stream))?
                    {
                        None => fresh.push(m),
                        Some(stored) if stored.folder != folder => moved.push(key),
                        Some(_) => {}
                    }
                }
                DeltaItem::Upsert(_) => {}
                DeltaItem::Removed { id, .. } => removed.push(key(tenant, &user.id, &id)),
            }
        }
        // Delta may repeat an item within a round; analyse each once.
        fresh.sort_by(|a, b| a.id.cmp(&b.id));
        fresh.dedup_by(|a, b| a.id == b.id);

        let fetched: Vec<Option<Fetched>> = stream::iter(fresh)
            .map(|m| fetch_and_analyze(run, user, folder, m, stream))
            .buffer_unordered(MIME_CONCURRENCY)
            .try_collect()
            .await?;

        let mut tx = run
            .store
            .transaction()
            .await
            .map_err(IngestError::store(stream))?;
        let mut added = Vec::new();
        for (message, analysis, fingerprints) in fetched.into_iter().flatten() {
            if tx
                .insert_message(&message)
                .await
                .map_err(IngestError::store(stream))?
            {
                if let Some(analysis) = &analysis {
                    tx.put_analysis(analysis)
                        .await
                        .map_err(IngestError::store(stream))?;
                }
                if !fingerprints.is_empty() {
                    tx.put_fingerprints(&message.key(), message.received_at, &fingerprints)
                        .await
                        .map_err(IngestError::store(stream))?;
                }
                added.push((
                    message.mailbox_id.clone(),
                    message.graph_id.clone(),
                    analysis.is_some(),
                ));
            }
        }
        for key in &moved {
            tx.set_message_folder(key, folder)
                .await
                .map_err(IngestError::store(stream))?;
        }
        let mut gone = 0;
        for key in &removed {
            // Only if it is still recorded here: a move may already have been seen elsewhere.
            if let Some(stored) = tx
                .get_message(key)
                .await
                .map_err(IngestError::store(stream))?
                && stored.folder == folder
            {
                tx.set_message_folder(key, GONE)
                    .await
                    .map_err(IngestError::store(stream))?;
                gone += 1;
            }
        }
        if let Some(next) = page.next_link.as_ref().or(page.delta_link.as_ref()) {
            tx.set_cursor(tenant, stream, next)
                .await
                .map_err(IngestError::store(stream))?;
        }
        tx.commit().await.map_err(IngestError::store(stream))?;

        let changed = !added.is_empty() || !moved.is_empty() || gone > 0;
        bump(&run.counters.messages_new, added.len() as u64);
        bump(
            &run.counters.messages_analyzed,
            added.iter().filter(|a| a.2).count() as u64,
        );
        bump(&run.counters.messages_moved, moved.len() as u64);
        bump(&run.counters.messages_removed, gone);
        run.new_messages
            .lock()
            .extend(added.into_iter().map(|(mb, id, _)| (mb, id)));
        if run.page_committed(changed) {
            return Ok(());
        }
        match (page.next_link, page.delta_link) {
            (Some(next), _) => url = next,
            _ => return Ok(()),
        }
    }
}

/// Downloads one message's MIME and analyses it. `None` when the message vanished meanwhile
/// (moved or deleted: another folder's delta will report it).
async fn fetch_and_analyze(
    run: &Run,
    user: &DirUser,
    folder: &str,
    m: GraphMessage,
    stream: &str,
) -> Result<Option<Fetched>> {
    let mime = match run.client.get_mime(&user.id, &m.id).await {
        Ok(mime) => mime,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(IngestError::graph(stream)(e)),
    };
    let tenant = &run.opts.tenant_id;
    let mut fingerprints = Vec::new();
    let analysis = match &run.analyzer {
        Some(analyzer) => {
            let analyzer = analyzer.clone();
            let bytes = mime.clone();
            let outcome = tokio::task::spawn_blocking(move || analyzer.analyze(&bytes))
                .await
                .unwrap_or_else(|e| crate::AnalysisOutcome {
                    verdict: "error".into(),
                    score: 0,
                    categories: vec![],
                    signals: serde_json::json!([{"id": "ANALYZER_PANIC", "score": 0, "detail": e.to_string()}]),
                    fingerprints: vec![],
                });
            fingerprints = outcome.fingerprints;
            Some(Analysis {
                tenant_id: tenant.clone(),
                mailbox_id: user.id.clone(),
                graph_id: m.id.clone(),
                verdict: outcome.verdict,
                score: outcome.score,
                categories: outcome.categories,
                signals: outcome.signals,
                analyzed_at: Utc::now(),
            })
        }
        None => None,
    };
    let message = Message {
        tenant_id: tenant.clone(),
        mailbox_id: user.id.clone(),
        graph_id: m.id.clone(),
        internet_message_id: m.internet_message_id.clone(),
        folder: folder.to_owned(),
        sender: m
            .from
            .as_ref()
            .or(m.sender.as_ref())
            .and_then(|r| r.address_lower()),
        subject: m.subject.clone(),
        received_at: m.received_date_time.unwrap_or_else(Utc::now),
        size_bytes: i64::try_from(mime.len()).unwrap_or(i64::MAX),
        mime_sha256: Some(sha256_hex(&mime)),
        body: None,
    };
    Ok(Some((message, analysis, fingerprints)))
}

/// A fetched message with its analysis and content fingerprints, ready to store.
type Fetched = (Message, Option<Analysis>, Vec<String>);

fn key(tenant: &str, mailbox: &str, id: &str) -> MessageKey {
    MessageKey {
        tenant_id: tenant.to_owned(),
        mailbox_id: mailbox.to_owned(),
        graph_id: id.to_owned(),
    }
}
