//! JSON `$batch`: ≤ 20 items per HTTP request (larger inputs are split), per-item results,
//! per-item 429 retried after that item's own Retry-After (decimal seconds accepted) while
//! the items that succeeded are never re-sent.

use std::collections::{BTreeMap, HashMap, HashSet};
use tokio::time::Instant;

use crate::classify::{classify, mailbox_of};
use crate::client::{GraphClient, Request, error_from};
use crate::error::{Api, GraphError, Result};
use crate::models::{BatchRequestBody, BatchRequestItem, BatchResponseBody, BatchResponseItem};
use crate::throttle::parse_retry_after;

/// Microsoft's limit.
pub const MAX_BATCH: usize = 20;

/// Outcome of one batch item: the item's response (2xx/3xx) or its typed error.
pub type BatchResult = Result<BatchResponseItem>;

fn idempotent_method(m: &str) -> bool {
    !m.eq_ignore_ascii_case("POST")
}

impl GraphError {
    /// A copy of this error for another recipient (`GraphError` is not `Clone`: some sources
    /// are not). Microsoft's answers (API errors, throttling, resync, status) keep their type;
    /// anything else becomes a `Decode` error carrying the message.
    pub fn duplicate(&self) -> GraphError {
        clone_err(self)
    }
}

fn clone_err(e: &GraphError) -> GraphError {
    match e {
        GraphError::Api {
            api,
            status,
            code,
            message,
            request_id,
            resource,
            retry_after,
        } => GraphError::Api {
            api: *api,
            status: *status,
            code: code.clone(),
            message: message.clone(),
            request_id: request_id.clone(),
            resource: resource.clone(),
            retry_after: *retry_after,
        },
        GraphError::DeltaResync {
            resource,
            code,
            location,
        } => GraphError::DeltaResync {
            resource: resource.clone(),
            code: code.clone(),
            location: location.clone(),
        },
        GraphError::Status {
            api,
            status,
            resource,
            snippet,
        } => GraphError::Status {
            api: *api,
            status: *status,
            resource: resource.clone(),
            snippet: snippet.clone(),
        },
        other => GraphError::Decode {
            api: Api::Graph,
            resource: "a batch request".into(),
            detail: other.to_string(),
        },
    }
}

impl GraphClient {
    /// Runs `items` as JSON batches. Returns one result per input item, in input order,
    /// paired with its id. Ids must be unique (case-insensitive).
    pub async fn batch(&self, items: Vec<BatchRequestItem>) -> Result<Vec<(String, BatchResult)>> {
        let mut seen = HashSet::new();
        for it in &items {
            if !seen.insert(it.id.to_ascii_lowercase()) {
                return Err(GraphError::Config(format!(
                    "duplicate batch item id {:?}",
                    it.id
                )));
            }
        }
        let order: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        let mut results: HashMap<String, BatchResult> = HashMap::new();
        for chunk in items.chunks(MAX_BATCH) {
            self.run_chunk(chunk.to_vec(), &mut results).await;
        }
        Ok(order
            .into_iter()
            .map(|id| {
                let r = results.remove(&id).unwrap_or_else(|| {
                    Err(GraphError::Decode {
                        api: Api::Graph,
                        resource: "a batch request".into(),
                        detail: format!("no response for item {id}"),
                    })
                });
                (id, r)
            })
            .collect())
    }

    async fn run_chunk(
        &self,
        chunk: Vec<BatchRequestItem>,
        results: &mut HashMap<String, BatchResult>,
    ) {
        let max_attempts = self.inner.cfg.retry.max_attempts;
        // (item, attempts so far, ready at)
        let mut pending: Vec<(BatchRequestItem, u32, Instant)> = chunk
            .into_iter()
            .map(|mut it| {
                prepare_item(&mut it);
                (it, 0, Instant::now())
            })
            .collect();
        while !pending.is_empty() {
            let now = Instant::now();
            let earliest = pending.iter().map(|p| p.2).min().unwrap_or(now);
            if earliest > now {
                tokio::time::sleep_until(earliest).await;
            }
            let now = Instant::now();
            let (ready, later): (Vec<_>, Vec<_>) = pending.into_iter().partition(|p| p.2 <= now);
            pending = later;
            let attempts: HashMap<String, u32> =
                ready.iter().map(|p| (p.0.id.clone(), p.1 + 1)).collect();
            let sent_items: Vec<BatchRequestItem> = ready.into_iter().map(|p| p.0).collect();
            if attempts.values().any(|a| *a > 1) {
                for _ in attempts.values().filter(|a| **a > 1) {
                    self.inner.stats.retry();
                }
            }
            match self.send_batch(&sent_items).await {
                Err(e) => {
                    for it in &sent_items {
                        results.insert(
                            it.id.clone(),
                            Err(GraphError::BatchItem {
                                id: it.id.clone(),
                                source: Box::new(clone_err(&e)),
                            }),
                        );
                    }
                }
                Ok(body) => {
                    let by_id: HashMap<String, BatchResponseItem> = body
                        .responses
                        .into_iter()
                        .filter_map(|r| r.id.clone().map(|id| (id.to_ascii_lowercase(), r)))
                        .collect();
                    let mut by_id = by_id;
                    for it in sent_items {
                        let attempt = attempts.get(&it.id).copied().unwrap_or(1);
                        let Some(resp) = by_id.remove(&it.id.to_ascii_lowercase()) else {
                            results.insert(
                                it.id.clone(),
                                Err(GraphError::Decode {
                                    api: Api::Graph,
                                    resource: classify(&it.url).context,
                                    detail: format!("batch response has no item {}", it.id),
                                }),
                            );
                            continue;
                        };
                        let status = resp.status;
                        if (200..400).contains(&status) {
                            results.insert(it.id.clone(), Ok(resp));
                            continue;
                        }
                        let err = item_error(&it, &resp);
                        let code = err.code().unwrap_or("").to_ascii_lowercase();
                        let throttled = status == 429 || code == "applicationthrottled";
                        if status == 429 {
                            self.inner.stats.status(429);
                            self.inner.stats.batch_item_429();
                        }
                        let transient = throttled || matches!(status, 503 | 504);
                        if transient
                            && (throttled || idempotent_method(&it.method))
                            && attempt < max_attempts
                        {
                            let ra = resp
                                .header("retry-after")
                                .and_then(|v| parse_retry_after(&v));
                            let delay = self.inner.cfg.retry.delay(attempt, ra);
                            if throttled && let Some(mb) = mailbox_of(&it.url) {
                                self.inner.limiter.defer(&mb, delay);
                            }
                            pending.push((it, attempt, Instant::now() + delay));
                        } else {
                            results.insert(it.id.clone(), Err(err));
                        }
                    }
                }
            }
        }
    }

    async fn send_batch(&self, items: &[BatchRequestItem]) -> Result<BatchResponseBody> {
        let mut per_mailbox: BTreeMap<String, u32> = BTreeMap::new();
        for it in items {
            if let Some(mb) = mailbox_of(&it.url) {
                *per_mailbox.entry(mb).or_insert(0) += 1;
            }
        }
        self.inner.stats.batch(items.len());
        let idempotent = items.iter().all(|i| idempotent_method(&i.method));
        let body = BatchRequestBody {
            requests: items.to_vec(),
        };
        let req = Request::new(reqwest::Method::POST, format!("{}/$batch", self.v1()))
            .json(&body)?
            .idempotent(idempotent);
        let mailboxes: Vec<(String, u32)> = per_mailbox.into_iter().collect();
        let resp = self.execute_batch(req, &mailboxes).await?;
        resp.json(Api::Graph, "a batch request")
    }
}

/// Sub-requests carry their own headers: immutable ids for mail, JSON content type for bodies.
fn prepare_item(it: &mut BatchRequestItem) {
    if it.body.is_some()
        && !it
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
    {
        it.headers
            .insert("Content-Type".into(), "application/json".into());
    }
    if mailbox_of(&it.url).is_some() && !it.headers.keys().any(|k| k.eq_ignore_ascii_case("prefer"))
    {
        it.headers
            .insert("Prefer".into(), "IdType=\"ImmutableId\"".into());
    }
}

fn item_error(it: &BatchRequestItem, resp: &BatchResponseItem) -> GraphError {
    let body = resp
        .body
        .as_ref()
        .map(|b| serde_json::to_vec(b).unwrap_or_default())
        .unwrap_or_default();
    let mut e = error_from(
        Api::Graph,
        resp.status,
        None,
        &body,
        &classify(&it.url).context,
    );
    if let GraphError::Api { retry_after, .. } = &mut e {
        *retry_after = resp
            .header("retry-after")
            .and_then(|v| parse_retry_after(&v));
    }
    if let GraphError::Api { request_id, .. } = &mut e
        && request_id.is_none()
    {
        *request_id = resp.header("request-id");
    }
    e
}
