//! What the simulator observed, counted on the server side. Integration tests assert on these
//! (not on client counters): a client that ignores `Retry-After` shows up as violations here.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SimStats {
    /// Every HTTP request the server received (token, Graph, Management, `_sim`).
    pub total_requests: u64,
    pub token_requests: u64,
    /// Graph requests including each `$batch` item.
    pub graph_requests: u64,
    pub batch_requests: u64,
    pub batch_items: u64,
    pub management_requests: u64,
    /// Requests per mailbox (user id), batch items included.
    pub per_mailbox_requests: BTreeMap<String, u64>,
    /// Highest number of requests in flight at once, per mailbox.
    pub max_concurrent_per_mailbox: BTreeMap<String, usize>,
    pub max_concurrent_any_mailbox: usize,
    /// 429 responses sent (top-level and per batch item, throttling and injected).
    pub throttled_429: u64,
    /// Injected faults of any kind.
    pub faults_injected: u64,
    /// Requests that arrived for a mailbox before the `Retry-After` it was given had passed.
    pub violations: u64,
    pub violations_per_mailbox: BTreeMap<String, u64>,
    pub webhook_deliveries: u64,
    pub webhook_failures: u64,
    pub webhook_lost: u64,
    pub lifecycle_notifications: u64,
    pub management_webhook_notifications: u64,
    /// When each scenario's first timeline event was applied.
    pub scenario_started_at: BTreeMap<String, DateTime<Utc>>,
    pub timeline_events_applied: u64,
    pub timeline_events_total: u64,
}

#[derive(Default)]
struct Gate {
    in_flight: usize,
    window: VecDeque<Instant>,
    retry_not_before: Option<Instant>,
    /// When that Retry-After was given: only requests that arrived after it can violate it.
    retry_issued: Option<Instant>,
}

/// Recent (time, cost) entries and their sum.
type CostWindow = (VecDeque<(Instant, u32)>, u64);

/// Counters plus the throttling gates (they share what they observe).
#[derive(Default)]
pub struct Stats {
    inner: Mutex<SimStats>,
    gates: Mutex<HashMap<String, Gate>>,
    windows: Mutex<HashMap<&'static str, VecDeque<Instant>>>,
    cost_windows: Mutex<HashMap<&'static str, CostWindow>>,
}

/// Released when a mailbox request finishes.
pub struct MailboxSlot<'a> {
    stats: &'a Stats,
    key: String,
}

impl Drop for MailboxSlot<'_> {
    fn drop(&mut self) {
        if let Some(g) = self.stats.gates.lock().get_mut(&self.key) {
            g.in_flight = g.in_flight.saturating_sub(1);
        }
    }
}

/// Which Outlook limit a request hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxLimit {
    Concurrency,
    Requests,
}

pub struct MailboxLimits {
    pub concurrency: usize,
    pub requests: usize,
    pub window: Duration,
    pub retry_after: f64,
}

impl Stats {
    pub fn snapshot(&self) -> SimStats {
        self.inner.lock().clone()
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut SimStats) -> R) -> R {
        f(&mut self.inner.lock())
    }

    /// Enter a mailbox request. `Err((retry_after, limit))` = answer 429.
    pub fn enter_mailbox<'a>(
        &'a self,
        mailbox: &str,
        app: &str,
        l: &MailboxLimits,
        arrived: Instant,
    ) -> Result<MailboxSlot<'a>, (f64, MailboxLimit)> {
        let key = format!("{app}/{}", mailbox.to_ascii_lowercase());
        let now = Instant::now();
        let mut gates = self.gates.lock();
        let g = gates.entry(key.clone()).or_default();
        let mut s = self.inner.lock();
        *s.per_mailbox_requests
            .entry(mailbox.to_string())
            .or_default() += 1;
        if g.retry_issued.is_some_and(|issued| issued <= arrived)
            && g.retry_not_before.is_some_and(|t| arrived < t)
        {
            s.violations += 1;
            *s.violations_per_mailbox
                .entry(mailbox.to_string())
                .or_default() += 1;
        }
        let throttle = |g: &mut Gate, s: &mut SimStats, secs: f64, which: MailboxLimit| {
            let secs = if secs.is_finite() {
                secs.clamp(0.0, 86_400.0)
            } else {
                1.0
            };
            g.retry_not_before = Some(now + Duration::from_secs_f64(secs));
            g.retry_issued = Some(now);
            s.throttled_429 += 1;
            Err((secs, which))
        };
        if l.concurrency > 0 && g.in_flight >= l.concurrency {
            return throttle(g, &mut s, l.retry_after, MailboxLimit::Concurrency);
        }
        if l.requests > 0 {
            while g
                .window
                .front()
                .is_some_and(|t| now.duration_since(*t) > l.window)
            {
                g.window.pop_front();
            }
            if g.window.len() >= l.requests {
                let oldest = g.window.front().copied().unwrap_or(now);
                let wait = l
                    .window
                    .saturating_sub(now.duration_since(oldest))
                    .as_secs_f64()
                    .ceil()
                    .max(1.0);
                return throttle(g, &mut s, wait, MailboxLimit::Requests);
            }
            g.window.push_back(now);
        }
        g.in_flight += 1;
        let m = s
            .max_concurrent_per_mailbox
            .entry(mailbox.to_string())
            .or_default();
        *m = (*m).max(g.in_flight);
        s.max_concurrent_any_mailbox = s.max_concurrent_any_mailbox.max(g.in_flight);
        Ok(MailboxSlot { stats: self, key })
    }

    /// A cost-weighted sliding window (identity resource units). Returns the share of the limit
    /// used, or `Err(secs)` when the request would exceed it.
    pub fn window_cost(
        &self,
        name: &'static str,
        limit: u64,
        window: Duration,
        cost: u32,
    ) -> Result<f64, f64> {
        if limit == 0 {
            return Ok(0.0);
        }
        let now = Instant::now();
        let mut w = self.cost_windows.lock();
        let (q, sum) = w.entry(name).or_default();
        while let Some((t, c)) = q.front().copied() {
            if now.duration_since(t) <= window {
                break;
            }
            q.pop_front();
            *sum -= u64::from(c);
        }
        if *sum + u64::from(cost) > limit {
            let oldest = q.front().map(|(t, _)| *t).unwrap_or(now);
            self.inner.lock().throttled_429 += 1;
            return Err(window
                .saturating_sub(now.duration_since(oldest))
                .as_secs_f64()
                .ceil()
                .max(1.0));
        }
        q.push_back((now, cost));
        *sum += u64::from(cost);
        Ok(*sum as f64 / limit as f64)
    }

    /// A simple sliding-window limiter for non-mailbox limits. `Err(secs)` = throttled.
    pub fn window_limit(
        &self,
        name: &'static str,
        limit: usize,
        window: Duration,
    ) -> Result<(), f64> {
        if limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut w = self.windows.lock();
        let q = w.entry(name).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) > window) {
            q.pop_front();
        }
        if q.len() >= limit {
            let oldest = q.front().copied().unwrap_or(now);
            self.inner.lock().throttled_429 += 1;
            return Err(window
                .saturating_sub(now.duration_since(oldest))
                .as_secs_f64()
                .ceil()
                .max(1.0));
        }
        q.push_back(now);
        Ok(())
    }
}
