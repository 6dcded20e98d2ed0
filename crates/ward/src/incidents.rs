//! `ward incidents`: the incidents the detect stage filed — a list, one incident explained
//! (timeline, findings, actions and their journal, what must be done by hand), an evidence
//! bundle for an insurer or a court, and closing one.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use ward_store::{
    Action, ActionStatus, Finding, Incident, IncidentStatus, JournalRecord, JournalStatus, Store,
    canonical_json, sha256_hex,
};

use crate::config::Config;

/// Where the store is, shared by every `ward incidents` and `ward journal` command.
#[derive(clap::Args, Clone)]
pub struct StoreArgs {
    /// Configuration file (default: ./ward.toml, or $WARD_CONFIG).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Store: a SQLite file path or a postgres:// URL (default: [store] database, or ward.db).
    #[arg(long, env = "WARD_DATABASE")]
    pub database: Option<String>,
}

impl StoreArgs {
    pub async fn open(&self) -> Result<(Config, Store)> {
        let config = Config::load(self.config.as_deref(), self.database.as_deref())?;
        let store = crate::tenant::existing_store(&config.database).await?;
        Ok((config, store))
    }
}

#[derive(clap::Args, Clone)]
pub struct TenantArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Tenant (default: $WARD_TENANT_ID, [tenant] id, or the store's only tenant).
    #[arg(long)]
    pub tenant: Option<String>,
}

#[derive(clap::Subcommand)]
pub enum IncidentsCommand {
    /// List incidents: a table, or JSON lines with --json.
    List {
        #[command(flatten)]
        at: TenantArgs,
        /// `open` (default), `contained`, `closed` or `all`.
        #[arg(long, default_value = "open")]
        status: String,
        #[arg(long)]
        json: bool,
    },
    /// One incident: timeline, findings, actions with their journal, manual steps.
    Show {
        #[command(flatten)]
        at: TenantArgs,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Evidence bundle (one JSON document, `ward-evidence/1`) for an insurer or a court.
    Export {
        #[command(flatten)]
        at: TenantArgs,
        id: String,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Close an incident (with a timeline note).
    Close {
        #[command(flatten)]
        at: TenantArgs,
        id: String,
        /// Why it is closed (goes into the timeline).
        #[arg(long, default_value = "closed by an operator")]
        note: String,
        /// Who closes it (default: cli:$USER); recorded on the actions it withdraws.
        #[arg(long)]
        by: Option<String>,
    },
}

pub fn run(cmd: IncidentsCommand) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let at = match &cmd {
            IncidentsCommand::List { at, .. }
            | IncidentsCommand::Show { at, .. }
            | IncidentsCommand::Export { at, .. }
            | IncidentsCommand::Close { at, .. } => at.clone(),
        };
        let (config, store) = at.store.open().await?;
        let tenant = crate::tenant::tenant_id(at.tenant.as_deref(), &config, &store).await?;
        let out = match cmd {
            IncidentsCommand::List { status, json, .. } => {
                list(&store, &tenant, &status, json).await
            }
            IncidentsCommand::Show { id, json, .. } => show(&store, &tenant, &id, json).await,
            IncidentsCommand::Export { id, out, .. } => {
                export(&store, &tenant, &id, out.as_deref()).await
            }
            IncidentsCommand::Close { id, note, by, .. } => {
                close(&store, &tenant, &id, &note, &crate::respond::who(by)).await
            }
        };
        store.close().await;
        out
    })
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn finding_steps(i: &Incident) -> usize {
    i.timeline
        .as_array()
        .map(|a| a.iter().filter(|e| e["event"] == "finding").count())
        .unwrap_or(0)
}

/// (pending or approved, done, other) actions.
fn action_counts(actions: &[Action]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for a in actions {
        match a.status {
            ActionStatus::Pending | ActionStatus::Approved => c.0 += 1,
            ActionStatus::Done => c.1 += 1,
            ActionStatus::Rejected | ActionStatus::Failed | ActionStatus::Observed => c.2 += 1,
        }
    }
    c
}

async fn list(store: &Store, tenant: &str, status: &str, json: bool) -> Result<ExitCode> {
    let statuses: &[IncidentStatus] = match status {
        "open" => &[IncidentStatus::Open],
        "contained" => &[IncidentStatus::Contained],
        "closed" => &[IncidentStatus::Closed],
        "all" => &[
            IncidentStatus::Open,
            IncidentStatus::Contained,
            IncidentStatus::Closed,
        ],
        other => anyhow::bail!("--status {other}: use open, contained, closed or all"),
    };
    let mut incidents = Vec::new();
    for s in statuses {
        incidents.extend(store.incidents_with_status(tenant, *s).await?);
    }
    incidents.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.id.cmp(&b.id)));
    let mut out = std::io::stdout().lock();
    let mut table = crate::words::table([
        "id",
        "kind",
        "severity",
        "status",
        "subject",
        "first seen",
        "last seen",
        "steps",
        "actions pending/done",
    ]);
    for i in &incidents {
        let actions = store.actions_for_incident(tenant, &i.id).await?;
        let (pending, done, other) = action_counts(&actions);
        if json {
            let line = json!({
                "id": i.id, "kind": i.kind, "severity": i.severity, "status": i.status.as_str(),
                "subject": i.subject_key, "first_seen": i.first_seen, "last_seen": i.last_seen,
                "steps": finding_steps(i),
                "actions": {"pending": pending, "done": done, "other": other},
            });
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            table.add_row([
                i.id.clone(),
                i.kind.clone(),
                i.severity.clone(),
                i.status.as_str().to_owned(),
                i.subject_key.clone(),
                time(i.first_seen),
                time(i.last_seen),
                finding_steps(i).to_string(),
                format!("{pending}/{done}"),
            ]);
        }
    }
    if !json {
        if incidents.is_empty() {
            writeln!(out, "no {status} incidents")?;
        } else {
            writeln!(out, "{table}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An incident with everything linked to it.
struct Loaded {
    incident: Incident,
    findings: Vec<Finding>,
    actions: Vec<(Action, Vec<JournalRecord>)>,
}

async fn load(store: &Store, tenant: &str, id: &str) -> Result<Loaded> {
    let incident = store
        .get_incident(tenant, id)
        .await?
        .with_context(|| format!("no incident {id} in tenant {tenant}"))?;
    let findings = store.findings_for_incident(tenant, id).await?;
    let mut actions = Vec::new();
    for a in store.actions_for_incident(tenant, id).await? {
        let journal = store.journal_for_action(&a.action_id).await?;
        actions.push((a, journal));
    }
    Ok(Loaded {
        incident,
        findings,
        actions,
    })
}

/// What Ward's granted permissions cannot do for a compromised account, and how to do it by
/// hand. Only identity incidents get these; a mail campaign is pulled by Ward itself.
pub fn manual_steps(incident: &Incident) -> Vec<Value> {
    if incident.kind == "mail_campaign" {
        return vec![];
    }
    let user = &incident.subject_key;
    let step = |what: &str, why: &str, how: String| json!({"step": what, "why": why, "how": how});
    vec![
        step(
            "Block sign-in (disable the account)",
            "no permission Ward holds can disable an account",
            format!(
                "Entra admin center → Users → {user} → Block sign-in; or \
                 `Update-MgUser -UserId {user} -AccountEnabled:$false`"
            ),
        ),
        step(
            "Sign the user out of their devices",
            "Ward revokes refresh tokens and sessions (User.RevokeSessions.All); access tokens \
             already issued stay valid up to about an hour, and mobile mail clients keep \
             their device partnership",
            format!(
                "Microsoft 365 admin center → Users → {user} → Sign out of all sessions; remove \
                 mobile device partnerships (`Get-MobileDevice -Mailbox {user} | \
                 Remove-MobileDevice`) and retire or wipe managed devices in Intune"
            ),
        ),
        step(
            "Tell the people who need to know",
            "Ward cannot send mail from the tenant (it holds no Mail.Send)",
            format!(
                "reach {user} by phone or in person (not by mail to the compromised mailbox); \
                 warn the recipients of mail sent from it during the incident"
            ),
        ),
        step(
            "Review delegated OAuth grants",
            "delegated permission grants cannot be listed with Ward's permissions (it relies \
             on consent audit events)",
            format!(
                "Entra admin center → Enterprise applications → filter by user {user}, or \
                 `Get-MgUserOauth2PermissionGrant -UserId {user}`; remove consents the user did \
                 not intend"
            ),
        ),
        step(
            "Check mailbox forwarding and hidden inbox rules",
            "Graph shows neither mailbox-level forwarding nor hidden inbox rules",
            format!(
                "`Get-Mailbox {user} | fl ForwardingSmtpAddress,ForwardingAddress` and \
                 `Get-InboxRule -Mailbox {user} -IncludeHidden` in Exchange Online PowerShell"
            ),
        ),
    ]
}

fn journal_json(r: &JournalRecord) -> Value {
    json!({"seq": r.seq, "prev_hash": r.prev_hash, "hash": r.hash, "entry": r.entry})
}

async fn show(store: &Store, tenant: &str, id: &str, as_json: bool) -> Result<ExitCode> {
    let l = load(store, tenant, id).await?;
    let manual = manual_steps(&l.incident);
    let mut out = std::io::stdout().lock();
    if as_json {
        let doc = json!({
            "incident": l.incident,
            "findings": l.findings,
            "actions": l.actions.iter().map(|(a, j)| json!({
                "action": a,
                "journal": j.iter().map(journal_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "manual_steps": manual,
        });
        writeln!(out, "{}", serde_json::to_string(&doc)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let i = &l.incident;
    writeln!(
        out,
        "{}  {}  severity {}  {}\nsubject: {}\nseen: {} → {} (UTC)",
        i.id,
        i.kind,
        i.severity,
        i.status.as_str(),
        i.subject_key,
        time(i.first_seen),
        time(i.last_seen)
    )?;
    writeln!(out, "\nTimeline")?;
    for e in i.timeline.as_array().into_iter().flatten() {
        writeln!(out, "  {}", timeline_line(e))?;
    }
    writeln!(out, "\nFindings ({})", l.findings.len())?;
    for f in &l.findings {
        writeln!(
            out,
            "  {}  {:<28} {:>3}  {}",
            time(f.time),
            f.kind,
            f.score,
            f.id
        )?;
    }
    writeln!(out, "\nActions ({})", l.actions.len())?;
    if l.actions.is_empty() {
        writeln!(out, "  none yet")?;
    }
    for (a, journal) in &l.actions {
        writeln!(
            out,
            "  {}  {} on {}  mode {}  {}{}",
            a.action_id,
            a.kind,
            a.target,
            a.mode,
            a.status.as_str(),
            a.decided_by
                .as_deref()
                .map(|b| format!(" (by {b})"))
                .unwrap_or_default()
        )?;
        for r in journal {
            writeln!(
                out,
                "    journal #{}  {}  {}  hash {}",
                r.seq,
                time(r.entry.time),
                r.entry.status,
                &r.hash[..r.hash.len().min(16)]
            )?;
        }
    }
    if !manual.is_empty() {
        writeln!(
            out,
            "\nManual steps (Ward's permissions cannot do these; do them by hand)"
        )?;
        for (n, s) in manual.iter().enumerate() {
            writeln!(
                out,
                "  {}. {} — {}.\n     How: {}",
                n + 1,
                s["step"].as_str().unwrap_or_default(),
                s["why"].as_str().unwrap_or_default(),
                s["how"].as_str().unwrap_or_default()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One timeline entry in plain words.
fn timeline_line(e: &Value) -> String {
    let at = e["at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| time(t.with_timezone(&Utc)))
        .unwrap_or_else(|| "-".repeat(19));
    let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
    match e["event"].as_str() {
        Some("status") => format!("{at}  status → {}: {}", s("status"), s("note")),
        Some("note") => format!("{at}  note: {}", s("note")),
        Some("finding") => {
            let signal = e["signal"]
                .as_str()
                .unwrap_or_else(|| e["kind"].as_str().unwrap_or("finding"));
            let detail = e["detail"].as_str().unwrap_or_default();
            format!("{at}  {signal:<36} {:>3}  {detail}", e["score"])
        }
        _ => format!("{at}  {}", canonical_json(e)),
    }
}

/// Builds the `ward-evidence/1` bundle; `content_sha256` covers every other field.
pub async fn evidence_bundle(store: &Store, tenant: &str, id: &str) -> Result<Value> {
    let l = load(store, tenant, id).await?;
    let journal_status = match store.verify_journal().await? {
        JournalStatus::Intact { entries, head_hash } => {
            json!({"intact": true, "entries": entries, "head_hash": head_hash})
        }
        JournalStatus::Broken { seq, reason } => {
            json!({"intact": false, "broken_seq": seq, "reason": reason})
        }
    };
    let mut journal: Vec<&JournalRecord> = l.actions.iter().flat_map(|(_, j)| j).collect();
    journal.sort_by_key(|r| r.seq);
    let mut doc = json!({
        "format": "ward-evidence/1",
        "generated_at": Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        "tenant_id": tenant,
        "incident": l.incident,
        "findings": l.findings,
        "actions": l.actions.iter().map(|(a, _)| a).collect::<Vec<_>>(),
        "journal": journal.into_iter().map(journal_json).collect::<Vec<_>>(),
        "journal_status": journal_status,
    });
    let digest = sha256_hex(canonical_json(&doc).as_bytes());
    if let Value::Object(m) = &mut doc {
        m.insert("content_sha256".into(), Value::String(digest));
    }
    Ok(doc)
}

async fn export(
    store: &Store,
    tenant: &str,
    id: &str,
    out: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let doc = evidence_bundle(store, tenant, id).await?;
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match out {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "wrote {} (content_sha256 {})",
                path.display(),
                doc["content_sha256"].as_str().unwrap_or_default()
            );
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn close(store: &Store, tenant: &str, id: &str, note: &str, by: &str) -> Result<ExitCode> {
    let Some(inc) = store.get_incident(tenant, id).await? else {
        anyhow::bail!("no incident {id} in tenant {tenant}");
    };
    if inc.status == IncidentStatus::Closed {
        println!("{id} is already closed");
        return Ok(ExitCode::SUCCESS);
    }
    let withdrawn = ward_respond::lifecycle::close(store, tenant, id, by, note)
        .await
        .with_context(|| format!("cannot close {id}"))?;
    for a in &withdrawn {
        println!("{a}: rejected (withdrawn with the incident)");
    }
    println!("{id} closed");
    Ok(ExitCode::SUCCESS)
}
