//! The detector: enriches events (GeoIP), keeps per-user and per-source baselines in memory
//! (bounded), runs the built-in signals, user CEL rules and imported Sigma rules.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};

use crate::bounded::BoundedMap;
use crate::countries;
use crate::event::{Event, Kind};
use crate::geo::{GeoConfig, GeoError, GeoIp, NetworkClass, classify};
use crate::rules::{RuleError, RuleSet};
use crate::sigma::{SigmaError, SigmaSet};
use crate::signals::{SignalHit, directory, mailbox, signin};

#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    #[error(transparent)]
    Geo(#[from] GeoError),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Sigma(#[from] SigmaError),
}

/// Detector settings. `Default` gives the built-in detections without GeoIP.
#[derive(Debug, Clone)]
pub struct DetectorConfig {
    pub geoip: Option<GeoConfig>,
    /// User rule files or folders (YAML / TOML, CEL `when`).
    pub rule_paths: Vec<PathBuf>,
    /// Sigma rule files or folders.
    pub sigma_paths: Vec<PathBuf>,
    /// The organisation's mail domains (forwarding and guest checks also use the domains visible
    /// in each record).
    pub internal_domains: Vec<String>,
    /// Countries whose successful sign-ins are a signal on their own.
    pub high_risk_countries: Vec<String>,
    /// Successful sign-ins a user needs before "new country / network" means anything.
    pub baseline_min_signins: u32,
    /// Distinct users one source must fail against within `window` to be a password spray.
    pub spray_users: usize,
    /// Failures on one user within `window` to be brute force.
    pub brute_force_failures: usize,
    /// MFA denials on one user within `window` to be MFA fatigue.
    pub mfa_denials: usize,
    pub window: Duration,
    /// Speed above which two sign-ins are impossible travel.
    pub max_speed_kmh: f64,
    /// Mail items one user may access within 10 minutes before it is a burst.
    pub mail_access_burst: u64,
    /// Upper bound on tracked users and source addresses (memory bound).
    pub max_tracked: usize,
    /// Ward's own application (client) id, and its service principal's object id when known:
    /// what it does (password resets, MFA methods removed) is its containment, recorded in its
    /// journal, and never a signal. Matched on ids, never on a display name an attacker's
    /// application could copy.
    pub own_app_ids: Vec<String>,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            geoip: None,
            rule_paths: Vec::new(),
            sigma_paths: Vec::new(),
            internal_domains: Vec::new(),
            high_risk_countries: ["RU", "KP", "IR", "BY", "SY", "CU"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            baseline_min_signins: 3,
            spray_users: 5,
            brute_force_failures: 10,
            mfa_denials: 3,
            window: Duration::hours(1),
            max_speed_kmh: 900.0,
            mail_access_burst: 500,
            max_tracked: 200_000,
            own_app_ids: Vec::new(),
        }
    }
}

/// What Ward knows of a user before reading events (from the store or earlier runs).
#[derive(Debug, Clone, Default)]
pub struct UserHistory {
    pub countries: Vec<String>,
    pub asns: Vec<u32>,
    pub devices: Vec<String>,
    pub signins: u32,
}

/// Where and when a user last signed in: time, coordinates, country, coordinates approximate.
type LastPlace = (DateTime<Utc>, (f64, f64), String, bool);

#[derive(Debug, Default)]
struct UserState {
    countries: HashSet<String>,
    asns: HashSet<u32>,
    devices: HashSet<String>,
    signins: u32,
    last: Option<LastPlace>,
    /// How often a risky-looking but habitual way of signing in succeeded (`signal|country|client`).
    habits: HashMap<String, u32>,
    failures: VecDeque<DateTime<Utc>>,
    denials: VecDeque<DateTime<Utc>>,
    mail: VecDeque<(DateTime<Utc>, u64)>,
    last_risky: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
struct SourceState {
    failed_users: HashMap<String, DateTime<Utc>>,
}

const MAX_SET: usize = 256;
const MAX_SEEN_IDS: usize = 100_000;

/// Stateful analysis. Feed events in time order with [`Detector::observe`].
#[derive(Debug)]
pub struct Detector {
    cfg: DetectorConfig,
    geo: Option<GeoIp>,
    rules: RuleSet,
    sigma: SigmaSet,
    users: BoundedMap<String, UserState>,
    sources: BoundedMap<IpAddr, SourceState>,
    sessions: BoundedMap<String, (Option<IpAddr>, Option<String>)>,
    reset_actors: HashSet<String>,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
}

fn prune(q: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>, window: Duration) {
    while q
        .front()
        .is_some_and(|t| now - *t > window || *t - now > window)
    {
        q.pop_front();
    }
}

fn bounded_insert<T: std::hash::Hash + Eq>(set: &mut HashSet<T>, v: T) {
    if set.len() < MAX_SET {
        set.insert(v);
    }
}

impl Detector {
    pub fn new(cfg: DetectorConfig) -> Result<Detector, DetectorError> {
        let geo = match &cfg.geoip {
            Some(g) => Some(GeoIp::open(g)?),
            None => None,
        };
        let mut rules = RuleSet::new();
        for p in &cfg.rule_paths {
            rules.load_path(p)?;
        }
        let mut sigma = SigmaSet::default();
        for p in &cfg.sigma_paths {
            sigma.load_dir(p)?;
        }
        let cap = cfg.max_tracked;
        Ok(Detector {
            cfg,
            geo,
            rules,
            sigma,
            users: BoundedMap::new(cap),
            sources: BoundedMap::new(cap),
            sessions: BoundedMap::new(cap),
            reset_actors: HashSet::new(),
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
        })
    }

    /// Number of user rules and Sigma rules loaded, and Sigma files skipped.
    pub fn rule_counts(&self) -> (usize, usize, usize) {
        (self.rules.len(), self.sigma.len(), self.sigma.skipped.len())
    }

    /// Runs every user rule on its `samples`; one message per sample that disagrees.
    pub fn rule_self_test(&self) -> Vec<String> {
        self.rules.self_test()
    }

    /// Users, source addresses and sessions currently tracked (each capped by `max_tracked`).
    pub fn tracked(&self) -> (usize, usize, usize) {
        (self.users.len(), self.sources.len(), self.sessions.len())
    }

    /// Whether GeoIP data is loaded.
    pub fn has_geoip(&self) -> bool {
        self.geo.as_ref().is_some_and(|g| !g.is_empty())
    }

    /// Seeds a user's baseline from history.
    pub fn preload_user(&mut self, user: &str, h: &UserHistory) {
        let st = self.users.entry(user.to_ascii_lowercase());
        for c in &h.countries {
            if let Some(c) = countries::normalize(c) {
                bounded_insert(&mut st.countries, c);
            }
        }
        for a in &h.asns {
            bounded_insert(&mut st.asns, *a);
        }
        for d in &h.devices {
            bounded_insert(&mut st.devices, d.clone());
        }
        st.signins = st.signins.saturating_add(h.signins);
    }

    /// Fills country / network from GeoIP and coordinates from the country when missing.
    pub fn enrich(&self, e: &mut Event) {
        if let (Some(geo), Some(ip)) = (&self.geo, e.ip) {
            let info = geo.lookup(ip);
            if e.country.is_none() {
                e.country = info.country;
            }
            // The record's own AS number wins; GeoIP's organisation only when it is the same AS.
            if e.asn.is_none() {
                e.asn = info.asn;
            }
            if e.asn_org.is_none() && e.asn == info.asn {
                e.asn_org = info.asn_org;
            }
        }
        if e.coords.is_none() {
            e.coords = e.country.as_deref().and_then(countries::centroid);
            e.coords_approx = e.coords.is_some();
        }
    }

    fn user_state(&mut self, user: &str) -> &mut UserState {
        self.users.entry(user.to_string())
    }

    /// True the first time a record id is seen (duplicates do not count twice in baselines).
    fn first_time(&mut self, e: &Event) -> bool {
        let Some(id) = &e.id else { return true };
        let key = format!("{:?}:{id}", e.source);
        if self.seen.contains(&key) {
            return false;
        }
        if self.seen_order.len() >= MAX_SEEN_IDS
            && let Some(old) = self.seen_order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.seen.insert(key.clone());
        self.seen_order.push_back(key);
        true
    }

    /// Analyses one event (enriching a copy) and returns the signals that fired.
    pub fn observe(&mut self, event: &Event) -> Vec<SignalHit> {
        let needs_geo = self.geo.is_some() && event.ip.is_some();
        let needs_centroid = event.coords.is_none() && event.country.is_some();
        if !needs_geo && !needs_centroid {
            return self.observe_enriched(event);
        }
        let mut e = event.clone();
        self.enrich(&mut e);
        self.observe_enriched(&e)
    }

    /// Whether Ward itself performed the operation (see [`DetectorConfig::own_app_ids`]).
    pub fn is_own_action(&self, e: &Event) -> bool {
        !e.actor_app_ids.is_empty()
            && self.cfg.own_app_ids.iter().any(|own| {
                e.actor_app_ids
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(own.trim()))
            })
    }

    /// Like [`Detector::observe`] for an event already passed through [`Detector::enrich`].
    /// Ward's own actions raise nothing ([`Detector::is_own_action`]).
    pub fn observe_enriched(&mut self, e: &Event) -> Vec<SignalHit> {
        if self.is_own_action(e) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let fresh = self.first_time(e);
        if e.is_sign_in() {
            signin::check(e, &self.cfg.high_risk_countries, &mut out);
            self.network(e, &mut out);
            if fresh {
                self.sign_in_history(e, &mut out);
            }
        }
        mailbox::check(e, &self.cfg.internal_domains, &mut out);
        if fresh && e.kind == Kind::Mailbox && e.op_lower() == "mailitemsaccessed" {
            self.mail_access(e, &mut out);
        }
        let user = e.user.clone().unwrap_or_default();
        let recent_risky = self
            .users
            .get(&user)
            .and_then(|u| u.last_risky)
            .zip(e.time)
            .is_some_and(|(r, t)| (t - r).abs() <= Duration::hours(24));
        let op = e.op_lower();
        let reset =
            op.starts_with("reset user password") || op.starts_with("reset password (by admin)");
        let known_reset_actor = reset
            && e.actor
                .as_ref()
                .is_some_and(|a| self.reset_actors.contains(a));
        directory::check(
            e,
            &directory::Context {
                configured_domains: &self.cfg.internal_domains,
                recent_risky_signin: recent_risky,
                known_reset_actor,
            },
            &mut out,
        );
        if reset
            && let Some(a) = &e.actor
            && self.reset_actors.len() < 10_000
        {
            self.reset_actors.insert(a.clone());
        }
        self.sigma.evaluate(e, &mut out);
        let prior = out.clone();
        self.rules.evaluate(e, &prior, &mut out);
        // A risky sign-in makes what follows (new MFA method) worse.
        if e.is_sign_in()
            && e.success == Some(true)
            && crate::signals::is_alert(&out)
            && let (Some(u), Some(t)) = (&e.user, e.time)
        {
            let u = u.clone();
            self.user_state(&u).last_risky = Some(t);
        }
        out
    }

    fn network(&self, e: &Event, out: &mut Vec<SignalHit>) {
        if e.kind != Kind::SignIn {
            return;
        }
        let Some(class) = classify(e.asn, e.asn_org.as_deref()) else {
            return;
        };
        let ok = e.success == Some(true);
        let org = e.asn_org.as_deref().unwrap_or("");
        let asn = e.asn.map(|a| format!("AS{a} ")).unwrap_or_default();
        let (id, score, what) = match class {
            NetworkClass::Anonymizer => (
                "signin.anonymizer",
                if ok { 45 } else { 20 },
                "a VPN / anonymizer network",
            ),
            NetworkClass::Hosting => (
                "signin.hosting_network",
                if ok { 30 } else { 15 },
                "a hosting provider's network",
            ),
        };
        if !out.iter().any(|h| h.id == id) {
            out.push(SignalHit::new(
                id,
                score,
                format!("sign-in from {what} ({asn}{org})"),
            ));
        }
    }

    fn sign_in_history(&mut self, e: &Event, out: &mut Vec<SignalHit>) {
        let Some(user) = e.user.clone() else { return };
        let Some(now) = e.time else { return };
        let cfg = self.cfg.clone();
        let ok = e.success == Some(true);
        let code = e.error_code.unwrap_or(0);
        let password_fail = !ok
            && (signin::PASSWORD_FAILURE_CODES.contains(&code)
                || e.op_lower() == "userloginfailed");
        let mfa_denied = !ok
            && (code == 500121
                || e.details.iter().any(|(k, v)| {
                    (k == "authenticationStepResultDetail" || k == "statusDetail") && {
                        let v = v.to_ascii_lowercase();
                        v.contains("denied") || v.contains("declined") || v.contains("fraud")
                    }
                }));
        // Password spray: one source failing against many users.
        if let Some(ip) = e.ip {
            // Only failing sources are worth remembering.
            let src = if password_fail {
                Some(self.sources.entry(ip))
            } else {
                self.sources.get_mut(&ip)
            };
            if let Some(src) = src {
                src.failed_users
                    .retain(|_, t| (now - *t).abs() <= cfg.window);
                if password_fail && src.failed_users.len() < 10_000 {
                    src.failed_users.insert(user.clone(), now);
                }
                let n = src.failed_users.len();
                if n >= cfg.spray_users {
                    if ok {
                        out.push(SignalHit::new(
                        "signin.password_spray_success",
                        85,
                        format!("{user} signed in from {ip}, which failed passwords against {n} users within {} min", cfg.window.num_minutes()),
                    ));
                    } else if password_fail {
                        out.push(SignalHit::new(
                            "signin.password_spray",
                            if n == cfg.spray_users { 70 } else { 50 },
                            format!(
                                "{ip} failed passwords against {n} different users within {} min",
                                cfg.window.num_minutes()
                            ),
                        ));
                    }
                }
            }
        }
        if e.kind != Kind::SignIn {
            return;
        }
        let session = e.session_id.clone();
        let st = self.user_state(&user);
        prune(&mut st.failures, now, cfg.window);
        prune(&mut st.denials, now, cfg.window);
        if password_fail {
            st.failures.push_back(now);
            let n = st.failures.len();
            if n >= cfg.brute_force_failures {
                out.push(SignalHit::new(
                    "signin.brute_force",
                    if n == cfg.brute_force_failures {
                        60
                    } else {
                        40
                    },
                    format!(
                        "{n} failed sign-ins for {user} within {} min",
                        cfg.window.num_minutes()
                    ),
                ));
            }
        }
        if mfa_denied {
            st.denials.push_back(now);
            let n = st.denials.len();
            if n >= cfg.mfa_denials {
                out.push(SignalHit::new(
                    "signin.mfa_fatigue",
                    70,
                    format!("{user} denied or ignored {n} MFA prompts within {} min: someone has the password", cfg.window.num_minutes()),
                ));
            }
        }
        if !ok {
            return;
        }
        if st.failures.len() >= cfg.brute_force_failures {
            out.push(SignalHit::new(
                "signin.success_after_failures",
                80,
                format!(
                    "{user} signed in after {} failed attempts",
                    st.failures.len()
                ),
            ));
        }
        if st.denials.len() >= cfg.mfa_denials {
            out.push(SignalHit::new(
                "signin.mfa_fatigue_success",
                85,
                format!(
                    "{user} approved an MFA prompt after {} denials",
                    st.denials.len()
                ),
            ));
        }
        let baseline = st.signins >= cfg.baseline_min_signins;
        if let Some(c) = &e.country
            && baseline
            && !st.countries.contains(c)
        {
            out.push(SignalHit::new(
                "signin.new_country",
                35,
                format!("first sign-in of {user} from {c}"),
            ));
        }
        if let Some(a) = e.asn
            && baseline
            && !st.asns.contains(&a)
            && !st.asns.is_empty()
        {
            out.push(SignalHit::new(
                "signin.new_network",
                15,
                format!(
                    "first sign-in of {user} from network AS{a} {}",
                    e.asn_org.as_deref().unwrap_or("")
                ),
            ));
        }
        if let Some(d) = e.device_id.as_deref().filter(|d| !d.is_empty())
            && baseline
            && !st.devices.contains(d)
            && !st.devices.is_empty()
        {
            out.push(SignalHit::new(
                "signin.new_device",
                10,
                format!("first sign-in of {user} from device {d}"),
            ));
        }
        if let (Some((t0, c0, k0, approx0)), Some(c1)) = (&st.last, e.coords) {
            let km = countries::distance_km(*c0, c1);
            // Country centres can be far from where people are (US, RU, CA): allow for it.
            let slack = if *approx0 || e.coords_approx {
                800.0
            } else {
                0.0
            };
            let far = km - slack;
            let hours = ((now - *t0).num_seconds().abs() as f64 / 3600.0).max(1.0 / 60.0);
            let same_country = e.country.as_deref() == Some(k0.as_str());
            if far > 500.0 && !same_country && far / hours > cfg.max_speed_kmh {
                out.push(SignalHit::new(
                    "signin.impossible_travel",
                    70,
                    format!(
                        "{user} signed in from {k0} and {} {:.0} km apart within {:.1} h ({:.0} km/h)",
                        e.country.as_deref().unwrap_or("?"),
                        km,
                        hours,
                        km / hours
                    ),
                ));
            }
        }
        // Legacy protocols, ROPC and scripts a user has long used from the same country are
        // habits (a mail client on an old phone), not an attack: keep them visible but quiet.
        for h in out.iter_mut().filter(|h| {
            matches!(
                h.id.as_str(),
                "signin.legacy_protocol" | "signin.ropc" | "signin.scripted_client"
            )
        }) {
            let key = format!(
                "{}|{}|{}",
                h.id,
                e.country.as_deref().unwrap_or(""),
                e.client_app.as_deref().unwrap_or("")
            );
            let n = st.habits.get(&key).copied().unwrap_or(0);
            if n >= cfg.baseline_min_signins {
                h.score = h.score.min(20);
                h.detail
                    .push_str(&format!(" (habitual: {n} earlier sign-ins like it)"));
            }
            if n > 0 || st.habits.len() < 64 {
                st.habits.insert(key, n.saturating_add(1));
            }
        }
        st.signins = st.signins.saturating_add(1);
        if let Some(c) = &e.country {
            bounded_insert(&mut st.countries, c.clone());
        }
        if let Some(a) = e.asn {
            bounded_insert(&mut st.asns, a);
        }
        if let Some(d) = e.device_id.as_deref().filter(|d| !d.is_empty()) {
            bounded_insert(&mut st.devices, d.to_string());
        }
        if let Some(c) = e.coords
            && st.last.as_ref().is_none_or(|(t0, _, _, _)| now >= *t0)
        {
            st.last = Some((
                now,
                c,
                e.country.clone().unwrap_or_default(),
                e.coords_approx,
            ));
        }
        // Token replay: one session, two addresses in different countries.
        if let (Some(sid), Some(ip)) = (session, e.ip) {
            let seen = self.sessions.entry(sid);
            match seen.0 {
                Some(ip0) if ip0 != ip => {
                    let moved = seen.1.is_some() && e.country.is_some() && seen.1 != e.country;
                    out.push(SignalHit::new(
                        "signin.session_ip_change",
                        if moved { 60 } else { 25 },
                        format!(
                            "session of {user} used from {ip0} and {ip}{}",
                            if moved { " in different countries" } else { "" }
                        ),
                    ));
                }
                Some(_) => {}
                None => *seen = (Some(ip), e.country.clone()),
            }
        }
    }

    fn mail_access(&mut self, e: &Event, out: &mut Vec<SignalHit>) {
        let (Some(user), Some(now)) = (e.user.clone(), e.time) else {
            return;
        };
        let limit = self.cfg.mail_access_burst;
        let st = self.user_state(&user);
        while st
            .mail
            .front()
            .is_some_and(|(t, _)| (now - *t).abs() > Duration::minutes(10))
        {
            st.mail.pop_front();
        }
        if st.mail.len() < 10_000 {
            st.mail.push_back((now, e.item_count.max(1)));
        }
        let total: u64 = st
            .mail
            .iter()
            .fold(0u64, |acc, (_, n)| acc.saturating_add(*n));
        let before = total.saturating_sub(e.item_count.max(1));
        if total >= limit && before < limit {
            out.push(SignalHit::new(
                "mailbox.mass_access",
                60,
                format!("{total} mail items of {user} accessed within 10 minutes"),
            ));
        }
        if e.param("MailAccessType")
            .is_some_and(|t| t.eq_ignore_ascii_case("Sync"))
        {
            out.push(SignalHit::new(
                "mailbox.sync_access",
                30,
                format!("a client synced whole folders of {user}'s mailbox"),
            ));
        }
    }
}
