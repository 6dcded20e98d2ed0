//! Building the tenant from a [`TenantSeed`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use ward_scenario::TenantSeed;

use super::mail::Mailbox;
use super::mailops::{NewMessage, network_message_id};
use super::{Tenant, UnifiedRecord, audit};
use crate::config::{ClockMode, SimConfig};
use crate::util::{parse_time, shift_timestamps};

impl Tenant {
    /// Load a seed. `start` is the wall-clock start of the simulator; with [`ClockMode::Rebase`]
    /// every seed timestamp moves by `start - anchor`.
    pub fn from_seed(
        seed: &TenantSeed,
        cfg: &SimConfig,
        start: DateTime<Utc>,
    ) -> (Tenant, TimeDelta) {
        let delta = match cfg.clock {
            ClockMode::Rebase => start - seed.anchor,
            ClockMode::AsSeeded => TimeDelta::zero(),
        };
        let shift = |v: &Value| {
            let mut v = v.clone();
            if !delta.is_zero() {
                shift_timestamps(&mut v, delta);
            }
            v
        };
        let shift_all = |vs: &[Value]| vs.iter().map(shift).collect::<Vec<_>>();
        let mut t = Tenant {
            tenant_id: seed.tenant_id.clone(),
            display_name: seed.display_name.clone(),
            initial_domain: seed.initial_domain.clone(),
            domains: seed.accepted_domains.clone(),
            users: shift_all(&seed.users),
            user_lookup: HashMap::new(),
            mailboxes: BTreeMap::new(),
            sign_ins: shift_all(&seed.sign_ins),
            directory_audits: shift_all(&seed.directory_audits),
            unified: vec![],
            auth_methods: seed
                .auth_methods
                .iter()
                .map(|(k, v)| (k.clone(), shift_all(v)))
                .collect(),
            default_method: BTreeMap::new(),
            applications: shift_all(&seed.applications),
            service_principals: shift_all(&seed.service_principals),
            app_role_assigned_to: seed
                .app_role_assigned_to
                .iter()
                .map(|(k, v)| (k.clone(), shift_all(v)))
                .collect(),
            ca_policies: shift_all(&seed.conditional_access_policies),
            registration_details: shift_all(&seed.registration_details),
            analyzed_emails: vec![],
            analyzed_index: HashMap::new(),
            subscriptions: BTreeMap::new(),
            feed: BTreeMap::new(),
            user_changes: vec![],
            seq: 0,
            revoked_sessions: vec![],
            password_changes: vec![],
            forwards: vec![],
            delta_states: HashMap::new(),
            delta_order: VecDeque::new(),
            delta_epoch_users: 0,
            ground_truth: seed.ground_truth.clone(),
            audit_queries: BTreeMap::new(),
            outbox: vec![],
            audit_lag: TimeDelta::from_std(cfg.audit_lag).unwrap_or(TimeDelta::zero()),
            audit_lag_jitter_ms: cfg.audit_lag_jitter.as_millis() as i64,
            lag_counter: 0,
        };
        for a in shift_all(&seed.analyzed_emails) {
            t.push_analyzed(a);
        }
        for u in &mut t.users {
            if u["id"].as_str().is_none() {
                u["id"] = json!(crate::util::new_guid());
            }
        }
        t.reindex_users();
        // Historic unified records: visible once their creation time + lag has passed.
        for r in &seed.unified_audit {
            let r = shift(r);
            let created = r["CreationTime"]
                .as_str()
                .and_then(parse_time)
                .unwrap_or(start);
            let available_at = t.audit_available_at(created);
            t.unified.push(UnifiedRecord {
                content_type: audit::content_type_of(&r),
                record: r,
                available_at,
            });
        }
        // Default MFA method: the first non-password method, per user.
        for (uid, methods) in &t.auth_methods {
            if let Some(m) = methods.iter().find(|m| {
                !m["@odata.type"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("password")
                    && m.get("isDefault").and_then(Value::as_bool) != Some(false)
            }) && let Some(id) = m["id"].as_str()
            {
                t.default_method.insert(uid.clone(), id.to_string());
            }
        }
        // Mailboxes: every user with a mailbox seed or a mail address.
        let users = t.users.clone();
        for u in &users {
            let (Some(id), mail) = (u["id"].as_str(), u["mail"].as_str()) else {
                continue;
            };
            if seed.mailboxes.contains_key(id) || mail.is_some() {
                let addr = mail.or(u["userPrincipalName"].as_str()).unwrap_or(id);
                t.mailboxes.insert(id.to_string(), Mailbox::new(id, addr));
            }
        }
        for (uid, ms) in &seed.mailboxes {
            let Some(user_id) = t.user_id(uid) else {
                continue;
            };
            let Some(mb) = t.mailboxes.get_mut(&user_id) else {
                continue;
            };
            for f in &ms.extra_folders {
                let name = f["displayName"].as_str().unwrap_or("Folder");
                let parent = f["parentFolderId"]
                    .as_str()
                    .and_then(|p| mb.folder_by_name(p).map(|x| x.id.clone()))
                    .unwrap_or_else(|| mb.well_known_id("msgfolderroot"));
                let _ = mb.create_folder(&parent, name, f["isHidden"].as_bool().unwrap_or(false));
            }
            mb.rules = ms.inbox_rules.iter().map(shift).collect();
            for (i, r) in mb.rules.iter_mut().enumerate() {
                if r["id"].as_str().is_none() {
                    let mut raw = [1u8, 0, 0, 0, 0, 0, 0, 0];
                    raw[4..].copy_from_slice(&(i as u32 + 1).to_be_bytes());
                    r["id"] = json!(base64::Engine::encode(
                        &base64::engine::general_purpose::URL_SAFE,
                        raw
                    ));
                }
            }
            mb.rule_counter = mb.rules.len() as u32;
            if ms.mailbox_settings.is_object() {
                let mut s = mb.settings.clone();
                merge(&mut s, &shift(&ms.mailbox_settings));
                mb.settings = s;
            }
            mb.hidden_forwarding = ms.hidden_forwarding_smtp_address.clone();
            // MIME parsing dominates loading: do it on every core.
            let parsed: Vec<Arc<crate::mime::ParsedMail>> = {
                use rayon::prelude::*;
                ms.messages
                    .par_iter()
                    .map(|m| Arc::new(crate::mime::parse(&m.mime)))
                    .collect()
            };
            for (m, mail) in ms.messages.iter().zip(parsed) {
                let inbound = !m.folder.eq_ignore_ascii_case("sentitems")
                    && !m.folder.eq_ignore_ascii_case("drafts");
                t.add_message(
                    &user_id,
                    NewMessage {
                        folder_key: m.folder.clone(),
                        mime: Arc::new(m.mime.clone()),
                        mail,
                        received: m.received + delta,
                        is_read: m.is_read,
                        scenario: m.scenario.clone(),
                        network_message_id: network_message_id(),
                        analyzed: inbound,
                        sent_shift: delta,
                    },
                );
            }
        }
        // Loading is not a change anyone is notified of.
        t.outbox.clear();
        (t, delta)
    }
}

/// Merge `patch` into `base` recursively (PATCH semantics for complex properties).
pub fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}
