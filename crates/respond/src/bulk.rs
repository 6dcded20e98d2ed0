//! A campaign's quarantine actions run together: one journaled action per mailbox, as when run
//! one by one, but each step of all of them goes out as `$batch` requests (20 items, at most 4
//! per mailbox — Outlook's concurrency) instead of one request per mailbox and step.
//!
//! The journal protocol is unchanged: every action's `started` entry (with its before-state) is
//! committed before any of them acts, and each `done`/`failed` entry is committed in the same
//! transaction as its action's final status. A crash in between leaves approved actions with a
//! `started` entry, which [`Responder::resume`] runs one by one, re-reading the copies first.
//!
//! Per action, in order:
//! 1. before-state: the copies of the message in the mailbox (one batched query per mailbox);
//!    meanwhile the mailboxes' quarantine folders are found (cached; otherwise listed, and
//!    created where missing) — preparing a destination moves no message, so it needs no intent;
//! 2. `started` entries, all in one transaction;
//! 3. the moves, batched; the copies found in step 1 are moved without a second query — they
//!    were read moments ago, and a copy moved meanwhile answers 404 and is skipped, as one by one;
//! 4. `done`/`failed` entries and statuses, in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::StreamExt;
use serde_json::{Value, json};
use ward_graph::models::batch::BatchRequestItem;
use ward_graph::url::{seg, with_query};
use ward_graph::{BatchResult, GraphError, MAX_BATCH};
use ward_store::Action;

use crate::config::QuarantineTarget;
use crate::engine::{Outcome, Responder};
use crate::ops::mail::{self, Copy};
use crate::{ActionSpec, Result};

/// Items for one mailbox in one `$batch` (Outlook runs them in parallel; 4 is its limit).
const PER_MAILBOX: usize = 4;

/// One action of the run and what is known of it so far.
struct Job {
    action: Action,
    user: String,
    imid: String,
    before: Value,
    copies: Vec<Copy>,
    /// Set when a step failed: the action ends `failed` with it.
    error: Option<GraphError>,
}

/// Packs items into batches of at most [`MAX_BATCH`], at most [`PER_MAILBOX`] per mailbox.
fn pack(items: Vec<(String, BatchRequestItem)>) -> Vec<Vec<BatchRequestItem>> {
    let mut chunks: Vec<(Vec<BatchRequestItem>, HashMap<String, usize>)> = Vec::new();
    for (mailbox, item) in items {
        let fits = |c: &(Vec<BatchRequestItem>, HashMap<String, usize>)| {
            c.0.len() < MAX_BATCH && c.1.get(&mailbox).copied().unwrap_or(0) < PER_MAILBOX
        };
        let i = match chunks.iter().position(fits) {
            Some(i) => i,
            None => {
                chunks.push((Vec::new(), HashMap::new()));
                chunks.len() - 1
            }
        };
        chunks[i].0.push(item);
        *chunks[i].1.entry(mailbox).or_insert(0) += 1;
    }
    chunks.into_iter().map(|c| c.0).collect()
}

/// The body of a batch item's answer, or its error (which becomes the action's result as is,
/// so it is not boxed).
#[allow(clippy::result_large_err)]
fn value_of(res: Option<BatchResult>) -> Result<Value, GraphError> {
    match res {
        Some(Ok(resp)) => Ok(resp.body.unwrap_or(Value::Null)),
        Some(Err(e)) => Err(e),
        None => Err(GraphError::Config("no answer for a batch item".into())),
    }
}

fn copies_of(body: &Value) -> Vec<Copy> {
    body["value"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| {
                    Some(Copy {
                        id: m["id"].as_str()?.to_owned(),
                        folder_id: m["parentFolderId"].as_str().unwrap_or_default().to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Responder {
    /// Runs `items` (mailbox, item) as packed `$batch` requests, several in flight (as many as
    /// cover `parallel_mailboxes` mailboxes). Results by item id.
    pub(crate) async fn batches(
        &self,
        items: Vec<(String, BatchRequestItem)>,
    ) -> HashMap<String, BatchResult> {
        let in_flight = self.cfg.parallel_mailboxes.div_ceil(MAX_BATCH).max(1);
        let runs: Vec<Vec<(String, BatchResult)>> = futures::stream::iter(pack(items))
            .map(|chunk| async move {
                let ids: Vec<String> = chunk.iter().map(|i| i.id.clone()).collect();
                match self.client.batch(chunk).await {
                    Ok(r) => r,
                    // Only a malformed request (duplicate ids) fails as a whole.
                    Err(e) => ids
                        .into_iter()
                        .map(|id| (id, Err(GraphError::Config(e.to_string()))))
                        .collect(),
                }
            })
            .buffer_unordered(in_flight)
            .collect()
            .await;
        runs.into_iter().flatten().collect()
    }

    /// Executes approved quarantine actions that have not started (no `started` entry) together.
    /// Returns one outcome per action, in no particular order.
    pub(crate) async fn quarantine_many(&self, actions: Vec<Action>) -> Result<Vec<Outcome>> {
        let mut jobs = Vec::new();
        for a in actions {
            match crate::engine::spec_of(&a)? {
                ActionSpec::QuarantineMessage {
                    user_id,
                    internet_message_id,
                } => jobs.push(Job {
                    action: a,
                    user: user_id,
                    imid: internet_message_id,
                    before: Value::Null,
                    copies: Vec::new(),
                    error: None,
                }),
                _ => {
                    return Err(crate::RespondError::BadParams(
                        a.action_id,
                        "not a quarantine action".into(),
                    ));
                }
            }
        }
        let mut out = Vec::with_capacity(jobs.len());

        // 1. Before-states.
        let finds = jobs
            .iter()
            .enumerate()
            .map(|(i, j)| {
                let it =
                    BatchRequestItem::find_by_internet_message_id(i.to_string(), &j.user, &j.imid);
                (j.user.clone(), it)
            })
            .collect();
        // The quarantine folders of the same mailboxes are looked up (and created where missing)
        // meanwhile: preparing a destination changes no message, so it needs no intent entry.
        let users: Vec<String> = jobs
            .iter()
            .map(|j| j.user.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let (mut found, folders) =
            futures::join!(self.batches(finds), self.quarantine_folders(users));
        let mut started = Vec::new();
        for (i, mut j) in jobs.into_iter().enumerate() {
            let copies = match value_of(found.remove(&i.to_string())) {
                // More copies than one page holds: read them all the ordinary way.
                Ok(body) if body["@odata.nextLink"].is_string() => {
                    mail::locate(self, &j.user, &j.imid).await
                }
                Ok(body) => Ok(copies_of(&body)),
                Err(e) => Err(e),
            };
            match copies {
                Ok(c) => {
                    j.before = mail::before_value(&j.imid, &c);
                    j.copies = c;
                    started.push(j);
                }
                // As one by one: an unreadable before-state ends the action before it starts.
                Err(e) => out.push(self.finish_one(&j.action, Value::Null, Err(e)).await?),
            }
        }
        let mut jobs = started;

        // 2. The intent, before acting.
        self.journal_started(jobs.iter().map(|j| (&j.action, j.before.clone())).collect())
            .await?;

        // 3. The moves.
        let mut moves = Vec::new();
        for (i, j) in jobs.iter_mut().enumerate() {
            if j.copies.is_empty() {
                continue;
            }
            let dest = match folders.get(&j.user) {
                Some(Ok(d)) => d.clone(),
                Some(Err(e)) => {
                    j.error = Some(e.duplicate());
                    continue;
                }
                None => {
                    j.error = Some(GraphError::Config(format!(
                        "no quarantine folder was found for {}",
                        j.user
                    )));
                    continue;
                }
            };
            for (c, copy) in j.copies.iter().enumerate() {
                if copy.folder_id != dest {
                    let it = BatchRequestItem::move_message(
                        format!("{i}.{c}"),
                        &j.user,
                        &copy.id,
                        &dest,
                    );
                    moves.push((j.user.clone(), it));
                }
            }
        }
        let mut moved = self.batches(moves).await;

        // 4. Results.
        let mut ends = Vec::with_capacity(jobs.len());
        for (i, j) in jobs.into_iter().enumerate() {
            let result = if j.copies.is_empty() {
                Ok(mail::gone(&j.copies))
            } else if let Some(e) = j.error {
                Err(e)
            } else {
                let dest = match folders.get(&j.user) {
                    Some(Ok(d)) => d.clone(),
                    _ => String::new(),
                };
                let mut n = 0;
                let mut err = None;
                for c in 0..j.copies.len() {
                    match moved.remove(&format!("{i}.{c}")) {
                        None => {} // already in the quarantine: not moved
                        Some(Ok(_)) => n += 1,
                        // Moved or deleted by the user between the query and the move.
                        Some(Err(e)) if e.is_not_found() => {}
                        Some(Err(e)) => {
                            err.get_or_insert(e);
                        }
                    }
                }
                match err {
                    Some(e) => Err(e),
                    None => Ok(mail::quarantined(
                        &j.user, &j.imid, &j.copies, &j.copies, &dest, n,
                    )),
                }
            };
            ends.push((j.action, j.before, result));
        }
        out.extend(self.finish_many(ends).await?);
        Ok(out)
    }

    /// The quarantine folder of each mailbox: from the cache, else listed (and created where
    /// missing), batched. A mailbox whose listing pages on, or whose folder appeared meanwhile
    /// (409), is handled the ordinary way.
    async fn quarantine_folders(
        &self,
        users: Vec<String>,
    ) -> BTreeMap<String, Result<String, GraphError>> {
        let mut out = BTreeMap::new();
        let mut todo = Vec::new();
        {
            let cache = self.folders.lock().await;
            for u in users {
                match cache.get(&u) {
                    Some(id) => {
                        out.insert(u, Ok(id.clone()));
                    }
                    None => todo.push(u),
                }
            }
        }
        if todo.is_empty() {
            return out;
        }
        let name = self.cfg.quarantine_folder.as_str();
        let reads = todo
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let base = format!("/users/{}/mailFolders", seg(u));
                let url = match self.cfg.quarantine {
                    QuarantineTarget::Junk => format!("{base}/junkemail"),
                    QuarantineTarget::Folder => with_query(
                        &base,
                        &[
                            ("includeHiddenFolders", "true".into()),
                            ("$top", "250".into()),
                        ],
                    ),
                };
                (u.clone(), BatchRequestItem::get(i.to_string(), url))
            })
            .collect();
        let mut read = self.batches(reads).await;
        let mut create = Vec::new();
        let mut slow = Vec::new();
        for (i, u) in todo.iter().enumerate() {
            let body = match value_of(read.remove(&i.to_string())) {
                Ok(b) => b,
                Err(e) => {
                    out.insert(u.clone(), Err(e));
                    continue;
                }
            };
            if self.cfg.quarantine == QuarantineTarget::Junk {
                match body["id"].as_str() {
                    Some(id) => out.insert(u.clone(), Ok(id.to_owned())),
                    None => out.insert(u.clone(), Err(no_id(u))),
                };
                continue;
            }
            let hit = body["value"].as_array().and_then(|a| {
                a.iter()
                    .find(|f| f["displayName"].as_str() == Some(name))
                    .and_then(|f| f["id"].as_str())
            });
            match hit {
                Some(id) => {
                    out.insert(u.clone(), Ok(id.to_owned()));
                }
                None if body["@odata.nextLink"].is_string() => slow.push(u.clone()),
                None => create.push(u.clone()),
            }
        }
        let posts = create
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let it = BatchRequestItem {
                    id: i.to_string(),
                    method: "POST".into(),
                    url: format!("/users/{}/mailFolders", seg(u)),
                    body: Some(json!({"displayName": name, "isHidden": true})),
                    ..Default::default()
                };
                (u.clone(), it)
            })
            .collect();
        let mut created = self.batches(posts).await;
        for (i, u) in create.into_iter().enumerate() {
            match value_of(created.remove(&i.to_string())) {
                Ok(b) => match b["id"].as_str() {
                    Some(id) => {
                        out.insert(u, Ok(id.to_owned()));
                    }
                    None => {
                        out.insert(u.clone(), Err(no_id(&u)));
                    }
                },
                // Created meanwhile (another worker, or a run that died after creating it).
                Err(e) if e.is_conflict() => slow.push(u),
                Err(e) => {
                    out.insert(u, Err(e));
                }
            }
        }
        for u in slow {
            let r = mail::quarantine_folder(self, &u).await;
            out.insert(u, r);
        }
        let mut cache = self.folders.lock().await;
        for (u, r) in &out {
            if let Ok(id) = r {
                cache.insert(u.clone(), id.clone());
            }
        }
        out
    }
}

fn no_id(user: &str) -> GraphError {
    GraphError::Config(format!(
        "the quarantine folder of {user} came back without an id"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_twenty_per_batch_and_four_per_mailbox() {
        let mut items = Vec::new();
        for i in 0..30 {
            items.push((
                format!("m{}", i % 3),
                BatchRequestItem::get(i.to_string(), "/x"),
            ));
        }
        for i in 30..60 {
            items.push((format!("u{i}"), BatchRequestItem::get(i.to_string(), "/x")));
        }
        let chunks = pack(items);
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 60);
        for c in &chunks {
            assert!(c.len() <= MAX_BATCH);
            for m in ["m0", "m1", "m2"] {
                let n = c
                    .iter()
                    .filter(|it| {
                        it.id
                            .parse::<usize>()
                            .is_ok_and(|i| i < 30 && format!("m{}", i % 3) == m)
                    })
                    .count();
                assert!(n <= PER_MAILBOX, "{n} items of {m} in one batch");
            }
        }
    }
}
