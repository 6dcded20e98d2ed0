//! Incidents: per-user correlation of signal hits into one compromise timeline — first signal,
//! chain of steps with their evidence, severity, current state — with duplicates merged and late
//! events (the audit stream lags 60–90 minutes) attached to the incident still open.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::event::Event;
use crate::signals::{ALERT_THRESHOLD, SignalHit, total_score};

/// One step of an incident's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub time: Option<DateTime<Utc>>,
    pub signal: String,
    pub score: u8,
    pub detail: String,
    /// What the step rests on: source, operation, address, record id.
    pub evidence: serde_json::Value,
    /// How many identical hits were merged into this step.
    pub count: u32,
}

/// A user's compromise (or attack on them) as Ward sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: String,
    pub user: String,
    /// `account_takeover` (a sign-in signal plus mailbox or persistence changes), `mailbox_abuse`,
    /// `persistence` (MFA, apps, federation), `privilege_change`, `credential_attack` (failures
    /// only), `suspicious_sign_in`, `provider_alert`, `suspicious_activity`.
    pub kind: String,
    /// `low`, `medium`, `high`, `critical`.
    pub severity: String,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub steps: Vec<Step>,
    /// `open` until the caller closes it.
    pub state: String,
}

/// Groups hits into incidents. An incident opens on an alerting event and stays open for
/// `window` after its last step; weaker hits for the same user join it while it is open.
#[derive(Debug)]
pub struct Correlator {
    window: Duration,
    open: HashMap<String, Incident>,
    closed: Vec<Incident>,
    next: u64,
    max_steps: usize,
}

impl Default for Correlator {
    fn default() -> Self {
        Correlator::new(Duration::hours(24))
    }
}

fn evidence(e: &Event) -> serde_json::Value {
    serde_json::json!({
        "source": e.source,
        "operation": e.operation,
        "ip": e.ip.map(|i| i.to_string()),
        "country": e.country,
        "app": e.app_name.clone().or_else(|| e.app_id.clone()),
        "actor": e.actor,
        "record_id": e.id,
    })
}

impl Correlator {
    pub fn new(window: Duration) -> Correlator {
        Correlator {
            window,
            open: HashMap::new(),
            closed: Vec::new(),
            next: 1,
            max_steps: 500,
        }
    }

    /// Adds an event's hits; returns the id of the incident they joined or opened, if any.
    pub fn add(&mut self, e: &Event, hits: &[SignalHit]) -> Option<String> {
        let user = e
            .user
            .clone()
            .or_else(|| e.actor.clone())
            .unwrap_or_else(|| "unknown".into());
        self.add_hits(&user, e.time, hits, evidence(e))
    }

    /// Adds hits that do not come from an event (state-diff sensors, pipeline checks) for `user`
    /// at time `t`, with the given evidence (e.g. the rule or method as read from Graph).
    pub fn add_hits(
        &mut self,
        user: &str,
        t: Option<DateTime<Utc>>,
        hits: &[SignalHit],
        evidence: serde_json::Value,
    ) -> Option<String> {
        if hits.is_empty() {
            return None;
        }
        let user = user.to_ascii_lowercase();
        // Close the user's incident if this event is well after it.
        if let Some(inc) = self.open.get(&user) {
            let stale = match (inc.last_seen, t) {
                (Some(last), Some(t)) => t - last > self.window,
                _ => false,
            };
            if stale && let Some(inc) = self.open.remove(&user) {
                self.closed.push(inc);
            }
        }
        let alerting = total_score(hits) >= ALERT_THRESHOLD;
        if !self.open.contains_key(&user) {
            if !alerting {
                return None;
            }
            let id = format!("INC-{:05}", self.next);
            self.next += 1;
            self.open.insert(
                user.clone(),
                Incident {
                    id,
                    user: user.clone(),
                    kind: String::new(),
                    severity: String::new(),
                    first_seen: t,
                    last_seen: t,
                    steps: Vec::new(),
                    state: "open".into(),
                },
            );
        }
        let max_steps = self.max_steps;
        let inc = self.open.get_mut(&user)?;
        for h in hits {
            if let Some(s) = inc
                .steps
                .iter_mut()
                .find(|s| s.signal == h.id && s.detail == h.detail)
            {
                s.count += 1;
                continue;
            }
            if inc.steps.len() < max_steps {
                inc.steps.push(Step {
                    time: t,
                    signal: h.id.clone(),
                    score: h.score,
                    detail: h.detail.clone(),
                    evidence: evidence.clone(),
                    count: 1,
                });
            }
        }
        if let Some(t) = t {
            inc.first_seen = Some(inc.first_seen.map_or(t, |f| f.min(t)));
            inc.last_seen = Some(inc.last_seen.map_or(t, |l| l.max(t)));
        }
        // Late events keep the timeline in time order.
        inc.steps.sort_by_key(|s| s.time);
        classify(inc);
        Some(inc.id.clone())
    }

    /// All incidents, open and closed, in order of opening.
    pub fn incidents(&self) -> Vec<Incident> {
        let mut all: Vec<Incident> = self
            .closed
            .iter()
            .chain(self.open.values())
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// Ends correlation and returns all incidents.
    pub fn finish(self) -> Vec<Incident> {
        self.incidents()
    }

    /// Forgets all but the newest `keep` closed incidents, for a long-running process that has
    /// filed them in its store: kept in memory they would grow without end, and every pass
    /// goes through them. [`Self::incidents`] then lists only those kept.
    pub fn forget_closed(&mut self, keep: usize) {
        let excess = self.closed.len().saturating_sub(keep);
        self.closed.drain(..excess);
    }

    /// The ids of the incidents held, open and closed.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.closed
            .iter()
            .chain(self.open.values())
            .map(|i| i.id.as_str())
    }
}

fn has(inc: &Incident, prefix: &str) -> bool {
    inc.steps.iter().any(|s| s.signal.starts_with(prefix))
}

fn classify(inc: &mut Incident) {
    let signin = has(inc, "signin.");
    let success_signin = inc.steps.iter().any(|s| {
        s.signal.starts_with("signin.")
            && !matches!(
                s.signal.as_str(),
                "signin.password_spray"
                    | "signin.brute_force"
                    | "signin.account_locked"
                    | "signin.mfa_fatigue"
            )
    });
    let mailbox = has(inc, "mailbox.");
    let persistence = has(inc, "identity.mfa")
        || has(inc, "app.")
        || has(inc, "identity.federation")
        || has(inc, "identity.external_idp");
    let privilege = has(inc, "identity.privileged_role")
        || has(inc, "identity.elevate")
        || has(inc, "identity.ca_")
        || has(inc, "identity.policy");
    inc.kind = if success_signin && (mailbox || persistence) {
        "account_takeover"
    } else if mailbox {
        "mailbox_abuse"
    } else if persistence {
        "persistence"
    } else if privilege {
        "privilege_change"
    } else if signin && !success_signin {
        "credential_attack"
    } else if signin {
        "suspicious_sign_in"
    } else if has(inc, "alert.") {
        "provider_alert"
    } else {
        "suspicious_activity"
    }
    .into();
    let max = inc.steps.iter().map(|s| s.score).max().unwrap_or(0);
    let distinct = {
        let mut ids: Vec<&str> = inc
            .steps
            .iter()
            .filter(|s| s.score >= 30)
            .map(|s| s.signal.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    inc.severity = if inc.kind == "account_takeover" || max >= 85 || distinct >= 4 {
        "critical"
    } else if max >= 70 || distinct >= 2 {
        "high"
    } else if max >= 50 {
        "medium"
    } else {
        "low"
    }
    .into();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::parse_value;

    fn ev(time: &str, user: &str) -> Event {
        parse_value(&serde_json::json!({"createdDateTime": time, "userPrincipalName": user, "ipAddress": "1.2.3.4", "status": {"errorCode": 0}}))
            .expect("event")
    }

    /// Past the number kept, the oldest closed incidents are forgotten; open ones never are.
    #[test]
    fn only_the_newest_closed_incidents_are_kept_when_asked() {
        let mut c = Correlator::default();
        let risky = SignalHit::new("signin.entra_risk", 70, "high risk");
        for i in 0..12 {
            let user = format!("u{i}@x.com");
            c.add(
                &ev("2025-01-01T10:00:00Z", &user),
                std::slice::from_ref(&risky),
            );
            // A day and more later: the first incident closes, a second opens.
            c.add(
                &ev("2025-01-02T11:00:00Z", &user),
                std::slice::from_ref(&risky),
            );
        }
        assert_eq!(c.ids().count(), 24);
        c.forget_closed(5);
        let kept: Vec<Incident> = c.incidents();
        assert_eq!(kept.len(), 5 + 12);
        // The twelve open ones began on the second day; the five closed ones kept are the
        // last five closed (users u7 to u11).
        let day2 = ev("2025-01-02T00:00:00Z", "x").time;
        assert_eq!(kept.iter().filter(|i| i.first_seen > day2).count(), 12);
        let closed: Vec<&str> = kept
            .iter()
            .filter(|i| i.first_seen < day2)
            .map(|i| i.user.as_str())
            .collect();
        assert_eq!(
            closed,
            ["u7@x.com", "u8@x.com", "u9@x.com", "u10@x.com", "u11@x.com"]
        );
        c.forget_closed(5);
        assert_eq!(c.ids().count(), 17);
    }

    #[test]
    fn chain_merges_duplicates_and_attaches_late_events() {
        let mut c = Correlator::default();
        let risky = SignalHit::new("signin.entra_risk", 70, "high risk");
        let id = c.add(
            &ev("2025-01-01T10:00:00Z", "a@x.com"),
            std::slice::from_ref(&risky),
        );
        assert!(id.is_some());
        // Same hit again: merged.
        c.add(
            &ev("2025-01-01T10:05:00Z", "a@x.com"),
            std::slice::from_ref(&risky),
        );
        // A weak hit that arrives late (earlier timestamp) joins the open incident.
        let late = c.add(
            &ev("2025-01-01T09:50:00Z", "a@x.com"),
            &[SignalHit::new("signin.new_network", 15, "new AS")],
        );
        assert_eq!(late, id);
        let rule = SignalHit::new("mailbox.rule_forwards_external", 75, "forwards out");
        c.add(&ev("2025-01-01T11:30:00Z", "a@x.com"), &[rule]);
        // A weak hit for another user opens nothing.
        assert!(
            c.add(
                &ev("2025-01-01T10:00:00Z", "b@x.com"),
                &[SignalHit::new("signin.new_network", 15, "x")]
            )
            .is_none()
        );
        let incs = c.finish();
        assert_eq!(incs.len(), 1);
        let inc = &incs[0];
        assert_eq!(inc.steps.len(), 3);
        assert_eq!(inc.steps[0].signal, "signin.new_network");
        assert_eq!(
            inc.steps
                .iter()
                .find(|s| s.signal == "signin.entra_risk")
                .map(|s| s.count),
            Some(2)
        );
        assert_eq!(inc.kind, "account_takeover");
        assert_eq!(inc.severity, "critical");
    }

    #[test]
    fn state_diff_hits_join_the_users_incident() {
        let mut c = Correlator::default();
        let id = c.add(
            &ev("2025-01-01T10:00:00Z", "a@x.com"),
            &[SignalHit::new("signin.impossible_travel", 70, "far")],
        );
        let rules = vec![
            serde_json::json!({"id": "r", "displayName": ".", "actions": {"forwardTo": [{"emailAddress": {"address": "x@evil.example"}}]}}),
        ];
        let hits = crate::statediff::diff_inbox_rules("a@x.com", &[], &rules);
        let t = crate::adapters::util::parse_time("2025-01-01T10:20:00Z");
        let joined = c.add_hits("A@x.com", t, &hits, rules[0].clone());
        assert_eq!(joined, id);
        let inc = &c.finish()[0];
        assert_eq!(inc.kind, "account_takeover");
        assert!(
            inc.steps
                .iter()
                .any(|s| s.signal == "mailbox.rule_forwards_external")
        );
    }

    #[test]
    fn quiet_gap_opens_a_new_incident() {
        let mut c = Correlator::new(Duration::hours(1));
        let h = [SignalHit::new("signin.entra_risk", 70, "high risk")];
        let a = c.add(&ev("2025-01-01T10:00:00Z", "a@x.com"), &h);
        let b = c.add(&ev("2025-01-02T10:00:00Z", "a@x.com"), &h);
        assert_ne!(a, b);
        assert_eq!(c.finish().len(), 2);
    }
}
