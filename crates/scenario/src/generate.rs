//! `generate`: company → history (mail, identity, admin) → attacks → timeline → ground truth.

use chrono::Duration;
use serde_json::json;

use crate::company::{self, Company};
use crate::identity::{self, Directory, ual};
use crate::rng::Rng;
use crate::{GroundTruth, ScenarioConfig, TenantSeed, TimedEvent, activity, attacks, live, mail};

/// Build the company for a config (same seed ⇒ same company).
pub(crate) fn company_for(config: &ScenarioConfig) -> Company {
    company::build(config.seed, config.users.max(10), config.anchor)
}

/// Generate a complete simulated tenant. Deterministic: the same config yields byte-identical
/// output; nothing depends on the clock or the OS RNG.
pub fn generate(config: &ScenarioConfig) -> TenantSeed {
    let c = company_for(config);
    let days = config.history_days.max(1);
    let mut rng = Rng::new(config.seed, "directory");
    let dir = Directory::new(&mut rng);
    let hist = mail::history(
        &c,
        config.seed,
        config.anchor,
        days,
        config.messages_per_user_per_day,
    );
    let act = activity::generate(&c, &dir, config.seed, config.anchor, days);

    let mut users = Vec::with_capacity(c.people.len());
    let mut auth_methods = std::collections::BTreeMap::new();
    let mut registration = Vec::with_capacity(c.people.len());
    let mut urng = rng.fork("users");
    for (i, p) in c.people.iter().enumerate() {
        users.push(identity::user_json(&c, i, act.last_sign_in[i], &mut urng));
        auth_methods.insert(p.id.clone(), identity::auth_methods(p, &mut urng));
        registration.push(identity::registration_details(
            &c,
            p,
            config.anchor - Duration::hours(6),
        ));
    }

    let mut unified_audit = act.unified_audit;
    // Benign rules created during the history window leave New-InboxRule records.
    for (u, name, t) in &hist.new_rules {
        let p = &c.people[*u];
        let client_ip = format!("{}:{}", c.offices[p.office].ip, 50_000 + rng.below(10_000));
        let session = rng.guid();
        unified_audit.push(ual(&mut rng, &c, *t, 1, "Exchange", "New-InboxRule", &p.upn, &p.id, 0, Some(&client_ip), &format!("{}\\{name}", p.upn), "True", json!({
            "Parameters": [
                {"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"},
                {"Name": "Force", "Value": "False"},
                {"Name": "MoveToFolder", "Value": mail::NEWSLETTER_FOLDER},
                {"Name": "Name", "Value": name},
                {"Name": "FromAddressContainsWords", "Value": crate::names::NEWSLETTERS.iter().map(|n| n.1).collect::<Vec<_>>().join(";")},
                {"Name": "StopProcessingRules", "Value": "True"},
            ],
            "ExternalAccess": false,
            "OrganizationName": c.initial_domain,
            "OriginatingServer": c.exo.mailbox[0].split('.').next().unwrap_or(""),
            "AppId": "00000002-0000-0ff1-ce00-000000000000",
            "ClientAppId": "",
            "SessionId": session,
        })));
    }
    unified_audit.sort_by(|a, b| a["CreationTime"].as_str().cmp(&b["CreationTime"].as_str()));

    let mut timeline: Vec<TimedEvent> = Vec::new();
    let mut ground_truth = GroundTruth::default();
    if config.attacks {
        let a = attacks::inject(&c, &dir, config, &hist.invoices);
        timeline.extend(a.events);
        ground_truth.scenarios = a.truths;
    }
    // Background traffic across the attack window, so attacks are not alone on the wire.
    if config.background_events_per_min > 0 {
        let window_ms = (60_000.0 * config.attack_time_scale.max(0.01)) as u64;
        let count = (u64::from(config.background_events_per_min) * window_ms / 60_000) as usize;
        timeline.extend(live::live_for(
            &c,
            &dir,
            config,
            0,
            config.background_events_per_min,
            count,
        ));
    }
    timeline.sort_by_key(|e| e.offset_ms);

    let touched: std::collections::BTreeSet<&str> = ground_truth
        .scenarios
        .iter()
        .flat_map(|s| s.target_users.iter().map(String::as_str))
        .collect();
    ground_truth.benign_users = c
        .people
        .iter()
        .filter(|p| !touched.contains(p.id.as_str()))
        .map(|p| p.id.clone())
        .collect();

    let mut accepted = vec![c.domain.clone(), c.initial_domain.clone()];
    accepted.dedup();
    crate::TenantSeed {
        tenant_id: c.tenant_id.clone(),
        display_name: c.name.clone(),
        initial_domain: c.initial_domain.clone(),
        accepted_domains: accepted,
        anchor: config.anchor,
        users,
        mailboxes: hist.mailboxes,
        sign_ins: act.sign_ins,
        directory_audits: act.directory_audits,
        unified_audit,
        auth_methods,
        applications: act.applications,
        service_principals: act.service_principals,
        app_role_assigned_to: act.app_role_assigned_to,
        conditional_access_policies: identity::ca_policies(&c, &dir),
        registration_details: registration,
        analyzed_emails: hist.analyzed,
        timeline,
        ground_truth,
    }
}

/// The ground truth as pretty JSON (for `ward sim --truth out.json` and scoring tools).
pub fn export_ground_truth(truth: &GroundTruth) -> String {
    serde_json::to_string_pretty(truth).unwrap_or_else(|_| "{}".to_string())
}
