//! The demo's judge of containment: the simulated tenant's own state compared with the ground
//! truth of each injected scenario. Ward's journal says what Ward believes it did; this says
//! whether the tenant is actually clean.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{DateTime, Utc};
use ward_respond::ActionSpec;
use ward_scenario::{GroundTruth, ScenarioTruth};
use ward_sim::SimHandle;
use ward_store::{ActionStatus, Store};

/// Folders where a copy of a scenario's mail may stay: Ward's quarantine, and the sender's own
/// Sent Items (an internal phish sent from a compromised mailbox).
const CLEAN_FOLDERS: &[&str] = &["Ward Quarantine", "sentitems"];

pub struct ContainCheck {
    scenarios: Vec<ScenarioTruth>,
    at: BTreeMap<String, DateTime<Utc>>,
}

impl ContainCheck {
    pub fn new(truth: &GroundTruth) -> Self {
        ContainCheck {
            scenarios: truth.scenarios.clone(),
            at: BTreeMap::new(),
        }
    }

    /// Records, for each scenario that has started and is not yet contained, whether it is now.
    pub fn update(&mut self, sim: &SimHandle, started: &BTreeMap<String, DateTime<Utc>>) {
        for s in &self.scenarios {
            if self.at.contains_key(&s.id) {
                continue;
            }
            if let Some(start) = started.get(&s.id)
                && contained(sim, s, *start)
            {
                self.at.insert(s.id.clone(), Utc::now());
            }
        }
    }

    pub fn contained_at(&self, id: &str) -> Option<DateTime<Utc>> {
        self.at.get(id).copied()
    }
}

fn artifact<'a>(s: &'a ScenarioTruth, key: &str) -> &'a [String] {
    s.artifacts.get(key).map(Vec::as_slice).unwrap_or_default()
}

/// Every delivered copy of the scenario's mail is out of the users' reach, and every
/// compromised account has had its sessions revoked and password reset since the scenario
/// began, with the attacker's inbox rules and MFA phone gone.
fn contained(sim: &SimHandle, s: &ScenarioTruth, start: DateTime<Utc>) -> bool {
    for imid in &s.internet_message_ids {
        let folders = sim.copies(imid);
        let in_quarantine = folders.iter().filter(|f| *f == CLEAN_FOLDERS[0]).count();
        if in_quarantine == 0 || !folders.iter().all(|f| CLEAN_FOLDERS.contains(&f.as_str())) {
            return false;
        }
    }
    let revoked = sim.revoked_sessions();
    let resets = sim.password_changes();
    for user in artifact(s, "compromised_users") {
        if !revoked.iter().any(|r| &r.user_id == user && r.at >= start)
            || !resets.iter().any(|p| &p.user_id == user && p.at >= start)
        {
            return false;
        }
        let rules = sim.inbox_rules(user);
        if rules.iter().any(|r| {
            artifact(s, "inbox_rules")
                .iter()
                .any(|n| r["displayName"].as_str() == Some(n.as_str()))
        }) {
            return false;
        }
        let methods = sim.auth_methods(user);
        if methods.iter().any(|m| {
            artifact(s, "auth_method_phone_numbers")
                .iter()
                .any(|p| m["phoneNumber"].as_str() == Some(p.as_str()))
        }) {
            return false;
        }
    }
    true
}

/// Actions that touched a message no scenario sent or an account no scenario involved, plus
/// counts of done and failed actions.
pub async fn touched(store: &Store, truth: &GroundTruth) -> Result<(Vec<String>, usize, usize)> {
    let scenario_mail: Vec<&String> = truth
        .scenarios
        .iter()
        .flat_map(|s| s.internet_message_ids.iter())
        .collect();
    let done = store
        .actions_with_status(ActionStatus::Done, 1_000_000)
        .await?;
    let failed = store
        .actions_with_status(ActionStatus::Failed, 1_000_000)
        .await?
        .len();
    let mut out = Vec::new();
    for a in &done {
        let changed = a.result.as_ref().is_some_and(|r| r["outcome"] == "done");
        let Ok(spec) = serde_json::from_value::<ActionSpec>(a.params.clone()) else {
            continue;
        };
        if !changed {
            continue;
        }
        match &spec {
            ActionSpec::QuarantineMessage {
                internet_message_id,
                ..
            }
            | ActionSpec::SoftDeleteMessage {
                internet_message_id,
                ..
            }
            | ActionSpec::PurgeMessage {
                internet_message_id,
                ..
            } => {
                if !scenario_mail.contains(&internet_message_id) {
                    out.push(spec.describe());
                }
            }
            ActionSpec::Undo { .. } => {}
            _ => {
                if spec
                    .user_id()
                    .is_some_and(|u| truth.benign_users.iter().any(|b| b == u))
                {
                    out.push(spec.describe());
                }
            }
        }
    }
    Ok((out, done.len(), failed))
}
