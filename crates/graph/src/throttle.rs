//! Client-side throttling so Ward stays inside Exchange's limits instead of provoking 429s:
//! - at most N (4) requests in flight per mailbox (Outlook's MailboxConcurrency limit);
//! - a per-mailbox request budget (10,000 per 10 minutes), GCRA via `governor`: callers wait;
//! - a global in-flight cap;
//! - after a 429 on a key (mailbox or service), a shared "not before" instant that every task
//!   honours until Retry-After has passed.
//!
//! Retries are hand-written rather than `backon`: the delay must come from the response
//! (`Retry-After`, decimal seconds, per batch item) and be shared across tasks through the
//! not-before map, which a per-call retry combinator cannot express.

use governor::{Quota, RateLimiter, clock::DefaultClock, state::keyed::DefaultKeyedStateStore};
use parking_lot::Mutex;
use rand::Rng;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Limits. Defaults follow Microsoft's documented Outlook limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Concurrent requests per mailbox (Outlook: 4).
    pub per_mailbox_concurrency: usize,
    /// Requests per mailbox per `mailbox_budget_window` (Outlook: 10,000 / 10 min).
    pub mailbox_budget: u32,
    pub mailbox_budget_window: Duration,
    /// Requests in flight across the whole client.
    pub global_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_mailbox_concurrency: 4,
            mailbox_budget: 10_000,
            mailbox_budget_window: Duration::from_secs(600),
            global_in_flight: 64,
        }
    }
}

/// Retry policy for throttled / transient answers.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total attempts per request including the first (so 6 = up to 5 retries).
    pub max_attempts: u32,
    /// First backoff when no Retry-After is given; doubles each attempt, with jitter.
    pub backoff_base: Duration,
    /// Never wait less than this when no Retry-After is given.
    pub backoff_floor: Duration,
    pub backoff_max: Duration,
    /// Upper bound on an honoured Retry-After (hostile / absurd values).
    pub retry_after_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            backoff_base: Duration::from_secs(2),
            backoff_floor: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            retry_after_max: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter in [d/2, d], clamped to [floor, max].
    /// `attempt` is 1 for the first retry.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.backoff_max);
        let half = capped / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
        (half + Duration::from_millis(jitter))
            .max(self.backoff_floor)
            .min(self.backoff_max.max(self.backoff_floor))
    }

    /// Delay before retry number `attempt` given the server's Retry-After (if any).
    /// Retry-After is honoured exactly the first time; when the server keeps throttling
    /// (some 429s always say `1`), our own growing backoff becomes the floor.
    pub fn delay(&self, attempt: u32, retry_after: Option<f64>) -> Duration {
        match retry_after {
            Some(s) => {
                let ra = Duration::from_secs_f64(s.clamp(0.0, self.retry_after_max.as_secs_f64()));
                if attempt <= 1 {
                    ra
                } else {
                    ra.max(self.backoff(attempt - 1))
                }
            }
            None => self.backoff(attempt),
        }
    }
}

/// Parses `Retry-After`: integer or decimal seconds (`0.249` seen on batch items), or an
/// HTTP date. Negative / NaN values are ignored.
pub fn parse_retry_after(v: &str) -> Option<f64> {
    let v = v.trim();
    if let Ok(s) = v.parse::<f64>() {
        return (s.is_finite() && s >= 0.0).then_some(s);
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs =
        (when.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_milliseconds() as f64 / 1000.0;
    Some(secs.max(0.0))
}

type KeyedLimiter = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

pub(crate) struct Limiter {
    limits: Limits,
    global: Arc<Semaphore>,
    mailboxes: Mutex<HashMap<String, Arc<Semaphore>>>,
    not_before: Mutex<HashMap<String, Instant>>,
    budget: KeyedLimiter,
    acquisitions: std::sync::atomic::AtomicU64,
}

/// Held while a request is in flight.
pub(crate) struct Permits {
    _global: Option<OwnedSemaphorePermit>,
    _mailbox: Vec<OwnedSemaphorePermit>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        let budget = limits.mailbox_budget.max(1);
        let per = limits
            .mailbox_budget_window
            .checked_div(budget)
            .unwrap_or(Duration::from_millis(1));
        let quota = Quota::with_period(per.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(budget).unwrap_or(NonZeroU32::MIN));
        Self {
            global: Arc::new(Semaphore::new(limits.global_in_flight.max(1))),
            mailboxes: Mutex::new(HashMap::new()),
            not_before: Mutex::new(HashMap::new()),
            budget: RateLimiter::keyed(quota),
            acquisitions: std::sync::atomic::AtomicU64::new(0),
            limits,
        }
    }

    fn mailbox_sem(&self, key: &str) -> Arc<Semaphore> {
        self.mailboxes
            .lock()
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_mailbox_concurrency.max(1))))
            .clone()
    }

    /// Earliest instant a request for `key` may be sent.
    pub fn not_before(&self, key: &str) -> Option<Instant> {
        self.not_before
            .lock()
            .get(key)
            .copied()
            .filter(|t| *t > Instant::now())
    }

    /// Pushes `key`'s not-before out to `now + d` (never earlier than an existing one).
    pub fn defer(&self, key: &str, d: Duration) {
        let until = Instant::now() + d;
        let mut m = self.not_before.lock();
        let e = m.entry(key.to_owned()).or_insert(until);
        if *e < until {
            *e = until;
        }
    }

    async fn wait_not_before(&self, keys: &[String]) {
        loop {
            let latest = keys.iter().filter_map(|k| self.not_before(k)).max();
            match latest {
                Some(t) => tokio::time::sleep_until(t).await,
                None => return,
            }
        }
    }

    /// Waits until a request touching `throttle_keys` may go out, and takes its permits.
    /// `mailboxes` are (key, weight): a batch with several items for one mailbox takes up to
    /// `per_mailbox_concurrency` of its slots, because Outlook runs them in parallel.
    pub async fn acquire(&self, throttle_keys: &[String], mailboxes: &[(String, u32)]) -> Permits {
        // Keep the keyed state small on long runs over many mailboxes.
        if self
            .acquisitions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % 10_000
            == 9_999
        {
            self.budget.retain_recent();
            self.not_before.lock().retain(|_, t| *t > Instant::now());
        }
        // Budget first (it can wait long; hold no permit while waiting).
        for (mb, weight) in mailboxes {
            for _ in 0..*weight {
                self.budget.until_key_ready(mb).await;
            }
        }
        loop {
            self.wait_not_before(throttle_keys).await;
            let mut held = Vec::new();
            let mut sorted: Vec<&(String, u32)> = mailboxes.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0)); // fixed order: no deadlock between batches
            for (mb, weight) in sorted {
                let n = (*weight).clamp(1, self.limits.per_mailbox_concurrency.max(1) as u32);
                let sem = self.mailbox_sem(mb);
                if let Ok(p) = sem.acquire_many_owned(n).await {
                    held.push(p);
                }
            }
            // The semaphore is never closed; `ok()` only avoids a panic path.
            let global = self.global.clone().acquire_owned().await.ok();
            // A 429 may have arrived for one of our keys while we waited for permits.
            if throttle_keys.iter().any(|k| self.not_before(k).is_some()) {
                drop(held);
                drop(global);
                continue;
            }
            return Permits {
                _global: global,
                _mailbox: held,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("5"), Some(5.0));
        assert_eq!(parse_retry_after("0.249"), Some(0.249));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(0.0)
        );
    }

    #[test]
    fn delays() {
        let p = RetryPolicy::default();
        // First retry honours Retry-After exactly, even below our floor.
        assert_eq!(p.delay(1, Some(0.249)), Duration::from_millis(249));
        // A server that keeps saying "1": our backoff becomes the floor.
        assert!(p.delay(4, Some(1.0)) >= Duration::from_secs(4));
        // Absurd values are capped.
        assert_eq!(p.delay(1, Some(1e9)), p.retry_after_max);
        for a in 1..10 {
            let d = p.delay(a, None);
            assert!(d >= p.backoff_floor && d <= p.backoff_max, "{a}: {d:?}");
        }
    }
}
