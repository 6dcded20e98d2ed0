//! Request counters for the demo report and benchmarks. Cheap atomics; `snapshot()` copies.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Stats {
    http_requests: AtomicU64,
    status_429: AtomicU64,
    status_503: AtomicU64,
    status_504: AtomicU64,
    /// Management API `AF429` answered with a status other than 429 (docs show 403).
    af429: AtomicU64,
    retries: AtomicU64,
    token_requests: AtomicU64,
    token_refresh_on_401: AtomicU64,
    batch_requests: AtomicU64,
    batch_items: AtomicU64,
    batch_item_429: AtomicU64,
    by_kind: Mutex<BTreeMap<&'static str, u64>>,
}

/// A copy of the counters at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    /// Every HTTP request sent to Graph, the Management API or the token endpoint.
    pub http_requests: u64,
    pub status_429: u64,
    pub status_503: u64,
    pub status_504: u64,
    pub af429: u64,
    /// Requests re-sent after a throttle/transient failure (incl. batch item re-sends).
    pub retries: u64,
    pub token_requests: u64,
    pub token_refresh_on_401: u64,
    pub batch_requests: u64,
    pub batch_items: u64,
    pub batch_item_429: u64,
    /// Requests per kind (`messages.list`, `token`, `batch`, ...).
    pub by_kind: BTreeMap<String, u64>,
}

impl StatsSnapshot {
    /// Throttled answers of any kind (429s, AF429, per-item 429s in batches).
    pub fn throttled_responses(&self) -> u64 {
        self.status_429 + self.af429 + self.batch_item_429
    }
}

impl Stats {
    pub(crate) fn request(&self, kind: &'static str) {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
        *self.by_kind.lock().entry(kind).or_insert(0) += 1;
    }
    pub(crate) fn status(&self, status: u16) {
        match status {
            429 => self.status_429.fetch_add(1, Ordering::Relaxed),
            503 => self.status_503.fetch_add(1, Ordering::Relaxed),
            504 => self.status_504.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }
    pub(crate) fn af429(&self) {
        self.af429.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn refresh_on_401(&self) {
        self.token_refresh_on_401.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn batch(&self, items: usize) {
        self.batch_requests.fetch_add(1, Ordering::Relaxed);
        self.batch_items.fetch_add(items as u64, Ordering::Relaxed);
    }
    pub(crate) fn batch_item_429(&self) {
        self.batch_item_429.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            http_requests: l(&self.http_requests),
            status_429: l(&self.status_429),
            status_503: l(&self.status_503),
            status_504: l(&self.status_504),
            af429: l(&self.af429),
            retries: l(&self.retries),
            token_requests: l(&self.token_requests),
            token_refresh_on_401: l(&self.token_refresh_on_401),
            batch_requests: l(&self.batch_requests),
            batch_items: l(&self.batch_items),
            batch_item_429: l(&self.batch_item_429),
            by_kind: self
                .by_kind
                .lock()
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
        }
    }
}
