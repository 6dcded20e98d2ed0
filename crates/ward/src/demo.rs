//! `ward demo`: the whole pipeline against the simulated tenant.
//!
//! The simulator starts on loopback with a generated company and its injected attacks; Ward is
//! configured against it exactly like a real deployment (a `ward.toml`, a certificate and its
//! private key), syncs the history, then keeps syncing while the attacks play out, analysing
//! every new message and every sign-in and audit event, and contains what it finds with the
//! built-in playbooks in auto mode (reset passwords go to a password-channel folder in the demo's
//! temporary directory). The report says, per injected scenario, whether and how fast Ward
//! detected it and contained it — containment judged from the simulated tenant's own state
//! against the ground truth, not from what Ward believes it did.

use crate::words::plural;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use ward_ingest::SyncOptions;
use ward_scenario::{GroundTruth, ScenarioTruth};
use ward_sim::{SimConfig, Simulator};

use crate::config::Config;
use crate::contain::ContainCheck;
use crate::detect::DetectStage;
use crate::sim::SimArgs;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Run to the end without interaction and print only the report.
    #[arg(long)]
    pub headless: bool,
    /// Report format: `json` (the contract: one JSON object on stdout) or `text`.
    #[arg(long)]
    pub report: Option<String>,
    /// Users (mailboxes) in the simulated company (10 to 100000).
    #[arg(long, default_value_t = 50, value_parser = crate::sim::users_arg)]
    pub users: usize,
    /// Scenario seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Days of normal history synced first.
    #[arg(long, default_value_t = 3)]
    pub history_days: u32,
    /// Live timeline speed (the attacks take about a minute at speed 1).
    #[arg(long, default_value_t = 2.0)]
    pub speed: f64,
    /// Store: a SQLite file or postgres:// URL (default: a fresh SQLite file in a temp folder).
    #[arg(long)]
    pub database: Option<String>,
    /// Give up waiting for the scenarios after this many seconds of live time.
    #[arg(long, default_value_t = 100)]
    pub max_live_secs: u64,
}

/// One injected scenario in the report (the contract in the product brief).
#[derive(Debug, Serialize)]
pub struct ScenarioReport {
    pub id: String,
    pub kind: String,
    pub detected: bool,
    pub contained: bool,
    pub detect_ms: Option<i64>,
    pub contain_ms: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct DemoReport {
    pub scenarios: Vec<ScenarioReport>,
    pub false_incidents: usize,
    /// Actions that changed a message no scenario sent or an account no scenario touched.
    pub benign_touched: Vec<String>,
    /// For each compromised account: when Ward saw the attacker's inbox rule and MFA method from
    /// its own state diffs, and when from the unified audit stream (ms from the scenario's
    /// start; null = the audit record had not arrived by the end).
    pub state_diff: Vec<StateDiffLine>,
    /// Response actions done / queued / failed.
    pub actions_done: usize,
    pub actions_failed: usize,
    /// Low-severity alerts on users no scenario touched (not counted as incidents).
    pub false_low_alerts: usize,
    pub messages_analyzed: i64,
    pub graph_requests: u64,
    pub throttled_responses: u64,
    /// Incidents (medium severity and above; filed in the store).
    pub incidents: Vec<IncidentLine>,
    /// Low-severity correlations: alerts for the queue, not incidents (not filed).
    pub alerts: Vec<IncidentLine>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct StateDiffLine {
    pub scenario: String,
    pub user: String,
    /// `inbox_rule` or `mfa_method`.
    pub step: String,
    pub state_ms: Option<i64>,
    pub audit_ms: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct IncidentLine {
    /// The store's incident id (`ward incidents show ID`); none for a low-severity alert, which
    /// is not filed.
    pub id: Option<String>,
    pub subject: String,
    /// The store's incident kind (`mail_campaign`, `account_takeover`, ...).
    pub kind: String,
    /// For a `mail_campaign`: the message's verdict (`malicious`, `suspicious`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    pub severity: String,
    pub steps: Vec<String>,
    pub false_positive: bool,
}

const MAIL_KINDS: &[&str] = &[
    "credential_phishing",
    "ceo_fraud",
    "vendor_fraud",
    "qr_phishing",
    "html_smuggling",
];

pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let json = args.report.as_deref() == Some("json");
    if let Some(r) = args.report.as_deref()
        && r != "json"
        && r != "text"
    {
        anyhow::bail!("--report {r}: use `json` or `text`");
    }
    let rt = tokio::runtime::Runtime::new()?;
    let report = rt.block_on(demo(&args))?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_text(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn say(args: &DemoArgs, msg: &str) {
    if !args.headless || args.report.as_deref() != Some("json") {
        eprintln!("{msg}");
    }
}

async fn demo(args: &DemoArgs) -> Result<DemoReport> {
    let started = Instant::now();
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let sim_args = SimArgs {
        listen: "127.0.0.1:0".parse().context("listen address")?,
        users: args.users,
        seed: args.seed,
        history_days: args.history_days,
        messages_per_day: 6.0,
        no_attacks: false,
        no_live: false,
        rate: 0,
        live_minutes: 0,
        speed: args.speed,
        audit_lag: 5.0,
        write_config: None,
        ground_truth: None,
        fault_429: 0.0,
        fault_5xx: 0.0,
        fault_drop: 0.0,
        fault_truncate: 0.0,
        fault_delta_expiry: 0.0,
        // The demo polls by delta; it subscribes to no change notifications.
        allow_http_loopback_notifications: false,
    };
    let reg = crate::sim::registration()?;
    let seed = ward_scenario::generate(&crate::sim::scenario_config(&sim_args));
    let truth = seed.ground_truth.clone();
    let mut sim_cfg = SimConfig {
        apps: vec![reg.app.clone()],
        live_speed: args.speed,
        ..SimConfig::demo()
    };
    sim_cfg.bind = sim_args.listen;
    let sim = Simulator::start(sim_cfg, seed)
        .await
        .context("cannot start the simulated tenant")?;
    say(
        args,
        &format!(
            "simulated tenant {} ({} users) at {}",
            sim.tenant_id(),
            args.users,
            sim.base_url()
        ),
    );

    let database = args
        .database
        .clone()
        .unwrap_or_else(|| dir.path().join("ward.db").to_string_lossy().into_owned());
    let config_path = crate::sim::write_config(dir.path(), &sim, &reg, Some(&database))?;
    let config = Config::load(Some(&config_path), None)?;
    let tenant = config.tenant()?;
    let client = crate::tenant::client(&tenant, &config.file.sync)?;
    let store = crate::tenant::store(&config.database).await?;
    let opts = SyncOptions {
        backfill: chrono::Duration::days(i64::from(args.history_days) + 1),
        ..SyncOptions::new(&tenant.tenant_id)
    };

    say(args, "first sync (history)…");
    let first = ward_pipeline::sync::sync_tenant(
        client.clone(),
        store.clone(),
        opts.clone(),
        &config.file.analysis,
        std::sync::Arc::new(crate::progress::Bars::new()),
    )
    .await?;
    say(
        args,
        &format!(
            "  {} messages analysed, {} sign-ins, {} audits",
            first.messages_analyzed, first.sign_ins, first.audits
        ),
    );
    let analyzer =
        crate::analyze::for_tenant(&store, &tenant.tenant_id, &config.file.analysis).await?;
    let mut detect = DetectStage::new(
        store.clone(),
        &tenant.tenant_id,
        &tenant.client_id,
        config.file.geoip.dir.as_ref(),
    )
    .await?;
    let respond_cfg = ward_respond::RespondConfig {
        default_mode: ward_respond::Mode::Auto,
        auto_min_severity: "medium".into(),
        password_channel: ward_respond::PasswordChannel::Directory {
            path: dir.path().join("passwords"),
        },
        ..config.file.respond.clone()
    };
    let responder = ward_respond::Responder::new(
        client.clone(),
        store.clone(),
        &tenant.tenant_id,
        respond_cfg,
    );
    let mut check = ContainCheck::new(&truth);
    let changed = detect.process(&first).await?;
    ward_pipeline::respond::respond_stage(&responder, &changed).await?;

    say(args, "watching the tenant while the attacks play…");
    let live_deadline = Instant::now() + Duration::from_secs(args.max_live_secs);
    let mut settled_at: Option<Instant> = None;
    let mut announced = std::collections::HashSet::new();
    loop {
        let summary = ward_ingest::Syncer::new(client.clone(), store.clone())
            .with_analyzer(analyzer.clone())
            .sync(&opts)
            .await
            .context("sync failed during the demo")?;
        let changed = detect.process(&summary).await?;
        ward_pipeline::respond::respond_stage(&responder, &changed).await?;
        let stats = sim.stats();
        check.update(&sim, &stats.scenario_started_at);
        let all_played = stats.timeline_events_applied >= stats.timeline_events_total;
        if all_played && settled_at.is_none() {
            settled_at = Some(Instant::now());
        }
        let scenarios = score(&truth, &detect, &check, &stats.scenario_started_at);
        announce(args, &scenarios, &mut announced);
        let all_detected = scenarios.iter().all(|s| s.detected && s.contained);
        // After the last event, wait for the audit stream's lag before calling it done.
        let grace_over = settled_at.is_some_and(|t| t.elapsed() > Duration::from_secs(15));
        if (all_played && all_detected) || grace_over || Instant::now() > live_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let stats = sim.stats();
    check.update(&sim, &stats.scenario_started_at);
    let scenarios = score(&truth, &detect, &check, &stats.scenario_started_at);
    let (benign_touched, actions_done, actions_failed) =
        crate::contain::touched(&store, &truth).await?;
    // A low-severity sign-in anomaly (a traveller's first sign-in abroad) is an alert in the
    // queue, not an incident: it is listed and counted apart.
    let (alerts, incidents): (Vec<IncidentLine>, Vec<IncidentLine>) =
        incident_lines(&truth, &detect)
            .into_iter()
            .partition(|i| i.severity == "low");
    let false_incidents = incidents.iter().filter(|i| i.false_positive).count();
    let false_low_alerts = alerts.iter().filter(|i| i.false_positive).count();
    let client_stats = client.stats();
    let report = DemoReport {
        scenarios,
        false_incidents,
        benign_touched,
        state_diff: state_diff_lines(&truth, &detect, &stats.scenario_started_at),
        actions_done,
        actions_failed,
        false_low_alerts,
        messages_analyzed: store.count_analyzed(&tenant.tenant_id).await?,
        graph_requests: client_stats.http_requests,
        throttled_responses: client_stats.throttled_responses(),
        incidents,
        alerts,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    store.close().await;
    sim.shutdown().await;
    match &args.database {
        Some(db) => say(
            args,
            &format!("the store is {db}: look at it with `ward incidents list --database {db}`"),
        ),
        None => say(
            args,
            "the store was a temporary file and is gone; to keep one, run \
             `ward demo --database demo.db`, then `ward incidents list --database demo.db`",
        ),
    }
    Ok(report)
}

/// One line per detection and per containment as it happens, with the time since that
/// scenario's attack began.
fn announce(
    args: &DemoArgs,
    scenarios: &[ScenarioReport],
    announced: &mut std::collections::HashSet<(String, &'static str)>,
) {
    for s in scenarios {
        for (what, ms) in [("detected", s.detect_ms), ("contained", s.contain_ms)] {
            let Some(ms) = ms else { continue };
            if announced.insert((s.id.clone(), what)) {
                say(
                    args,
                    &format!(
                        "  {:>6.1} s  {what:<9}  {} ({})",
                        ms as f64 / 1000.0,
                        s.id,
                        s.kind
                    ),
                );
            }
        }
    }
}

fn ms_since(start: Option<&DateTime<Utc>>, t: DateTime<Utc>) -> Option<i64> {
    start.map(|s| (t - *s).num_milliseconds().max(0))
}

/// Compares what Ward found with the ground truth.
fn score(
    truth: &GroundTruth,
    detect: &DetectStage,
    check: &ContainCheck,
    started: &std::collections::BTreeMap<String, DateTime<Utc>>,
) -> Vec<ScenarioReport> {
    truth
        .scenarios
        .iter()
        .map(|s| {
            let start = started.get(&s.id);
            let first = detection_time(s, detect, start);
            let contained = check.contained_at(&s.id);
            ScenarioReport {
                id: s.id.clone(),
                kind: s.kind.clone(),
                detected: first.is_some(),
                contained: contained.is_some(),
                detect_ms: first.and_then(|t| ms_since(start, t)),
                contain_ms: contained.and_then(|t| ms_since(start, t)),
            }
        })
        .collect()
}

/// When Ward first flagged this scenario: a flagged copy of its mail for mail attacks; for
/// identity attacks, the first incident step about a targeted user that Ward saw after the
/// scenario began (an incident already open from an earlier attack does not count).
fn detection_time(
    s: &ScenarioTruth,
    detect: &DetectStage,
    start: Option<&DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if MAIL_KINDS.contains(&s.kind.as_str()) {
        s.internet_message_ids
            .iter()
            .filter_map(|id| detect.flagged.get(id))
            .map(|f| f.first_flagged)
            .min()
    } else {
        let users: Vec<String> = compromised(s)
            .iter()
            .map(|u| detect.subject_of(u))
            .collect();
        detect
            .signal_seen
            .iter()
            .filter(|((u, _), t)| users.contains(u) && start.is_none_or(|s| *t >= s))
            .map(|(_, t)| *t)
            .min()
    }
}

/// State diffs against audit streams, per compromised account of each identity scenario.
fn state_diff_lines(
    truth: &GroundTruth,
    detect: &DetectStage,
    started: &std::collections::BTreeMap<String, DateTime<Utc>>,
) -> Vec<StateDiffLine> {
    let mut out = Vec::new();
    for s in &truth.scenarios {
        if MAIL_KINDS.contains(&s.kind.as_str()) || !s.artifacts.contains_key("inbox_rules") {
            continue;
        }
        let start = started.get(&s.id);
        for u in compromised(s) {
            let user = detect.subject_of(&u);
            let first = |m: &std::collections::BTreeMap<(String, String), DateTime<Utc>>,
                         f: &dyn Fn(&str) -> bool| {
                m.iter()
                    .filter(|((who, sig), _)| *who == user && f(sig))
                    .map(|(_, t)| *t)
                    .min()
                    .and_then(|t| ms_since(start, t))
            };
            out.push(StateDiffLine {
                scenario: s.id.clone(),
                user: user.clone(),
                step: "inbox_rule".into(),
                state_ms: first(&detect.state_seen, &|sig| sig == "state.inbox_rule_created"),
                audit_ms: first(&detect.audit_seen, &|sig| {
                    sig.starts_with("mailbox.rule_") || sig == "mailbox.outlook_rule_change"
                }),
            });
            out.push(StateDiffLine {
                scenario: s.id.clone(),
                user: user.clone(),
                step: "mfa_method".into(),
                state_ms: first(&detect.state_seen, &|sig| sig == "state.mfa_method_added"),
                audit_ms: first(&detect.audit_seen, &|sig| {
                    sig == "identity.mfa_method_added"
                }),
            });
        }
    }
    out
}

/// The accounts an identity scenario compromises or attacks (lower-case UPNs and ids).
fn compromised(s: &ScenarioTruth) -> Vec<String> {
    s.artifacts
        .get("compromised_users")
        .cloned()
        .unwrap_or_else(|| s.target_users.clone())
        .into_iter()
        .map(|u| u.to_ascii_lowercase())
        .collect()
}

/// Every incident Ward opened, marked false when it is about a user no scenario touched or mail
/// no scenario sent.
fn incident_lines(truth: &GroundTruth, detect: &DetectStage) -> Vec<IncidentLine> {
    let benign: Vec<String> = truth
        .benign_users
        .iter()
        .map(|u| detect.subject_of(u))
        .collect();
    let malicious_ids: Vec<&String> = truth
        .scenarios
        .iter()
        .flat_map(|s| s.internet_message_ids.iter())
        .collect();
    let mut out: Vec<IncidentLine> = detect
        .incidents()
        .into_iter()
        .map(|inc| IncidentLine {
            id: detect.filed_as(&inc.id),
            false_positive: benign.contains(&inc.user),
            subject: inc.user.clone(),
            kind: inc.kind.clone(),
            verdict: None,
            severity: inc.severity.clone(),
            steps: inc.steps.iter().map(|s| s.signal.clone()).collect(),
        })
        .collect();
    for f in detect.flagged.values() {
        out.push(IncidentLine {
            id: Some(detect.mail_filed_as(&f.internet_message_id)),
            false_positive: !malicious_ids.contains(&&f.internet_message_id),
            subject: f.internet_message_id.clone(),
            kind: "mail_campaign".into(),
            verdict: Some(f.verdict.clone()),
            severity: if f.verdict == "malicious" {
                "high".into()
            } else {
                "medium".into()
            },
            steps: vec![plural(f.mailboxes.len() as u64, "mailbox", "mailboxes")],
        });
    }
    out
}

fn print_text(r: &DemoReport) {
    println!(
        "\nScenario                 Kind                   Detected  In (ms)   Contained  In (ms)"
    );
    let ms = |m: Option<i64>| m.map(|m| m.to_string()).unwrap_or_else(|| "-".into());
    for s in &r.scenarios {
        println!(
            "{:<24} {:<22} {:<9} {:<9} {:<10} {}",
            s.id,
            s.kind,
            if s.detected { "yes" } else { "NO" },
            ms(s.detect_ms),
            if s.contained { "yes" } else { "NO" },
            ms(s.contain_ms),
        );
    }
    println!(
        "\n{} response actions done, {} failed; benign messages or users touched: {}",
        r.actions_done,
        r.actions_failed,
        if r.benign_touched.is_empty() {
            "none".to_string()
        } else {
            r.benign_touched.join(", ")
        }
    );
    println!(
        "\n{} messages analysed, {} incidents ({} false), {} low alerts ({} on users no scenario touched), {} Graph requests, {} throttled, {:.1} s",
        r.messages_analyzed,
        r.incidents.len(),
        r.false_incidents,
        r.alerts.len(),
        r.false_low_alerts,
        r.graph_requests,
        r.throttled_responses,
        r.elapsed_ms as f64 / 1000.0
    );
    for i in r.incidents.iter().filter(|i| i.false_positive) {
        println!(
            "  false incident: {} ({}, {}): {}",
            i.subject,
            i.kind,
            i.severity,
            i.steps.join(", ")
        );
    }
}
