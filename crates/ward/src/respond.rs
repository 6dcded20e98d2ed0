//! `ward respond` and `ward undo`: the action queue, explicit actions, campaign pull, and the
//! respond stage of the pipeline (playbooks applied to new or changed incidents).

use crate::words::plural;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use serde_json::json;
use ward_respond::{
    ActionSpec, Disposition, Mode, Outcome, Request, RespondConfig, Responder, playbook::Response,
};
use ward_store::{ActionStatus, Store};

use crate::config::Config;

#[derive(clap::Args)]
pub struct RespondArgs {
    /// Configuration file (default: ./ward.toml, or $WARD_CONFIG).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Store: a SQLite file path or a postgres:// URL.
    #[arg(long, env = "WARD_DATABASE", global = true)]
    pub database: Option<String>,
    /// Print JSON lines instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Who is acting (recorded in the journal). Default: cli:$USER.
    #[arg(long, global = true)]
    pub by: Option<String>,
    #[command(subcommand)]
    pub command: RespondCommand,
}

#[derive(clap::Subcommand)]
pub enum RespondCommand {
    /// List actions (default: those waiting for approval).
    List {
        /// pending, approved, done, failed, observed, rejected or all.
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Approve queued (or failed) actions: they run at once.
    Approve {
        #[arg(required_unless_present = "incident")]
        action_ids: Vec<String>,
        /// Approve every action of this incident that waits for approval.
        #[arg(long, conflicts_with = "action_ids")]
        incident: Option<String>,
    },
    /// Reject queued actions.
    Reject {
        #[arg(required = true)]
        action_ids: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Run one action now (you are the approver).
    Run {
        /// quarantine, soft-delete, purge, disable-rule, delete-rule, remove-method,
        /// revoke-sessions or reset-password.
        action: String,
        /// The user: UPN or object id.
        #[arg(long)]
        user: String,
        /// The message's internetMessageId (message actions).
        #[arg(long)]
        message: Option<String>,
        /// Inbox rule id (rule actions).
        #[arg(long)]
        rule: Option<String>,
        /// Authentication method id (remove-method).
        #[arg(long)]
        method: Option<String>,
        /// Its `@odata.type`, e.g. `#microsoft.graph.phoneAuthenticationMethod`.
        #[arg(long)]
        method_type: Option<String>,
    },
    /// Quarantine every copy of a message (and its variants) across the tenant, now.
    Pull {
        /// internetMessageId, with its angle brackets.
        internet_message_id: String,
        /// Incident to file the actions under.
        #[arg(long)]
        incident: Option<String>,
    },
    /// Apply the configured playbooks to a stored incident (in each action's mode).
    Incident { incident_id: String },
    /// Finish actions a crash or a stop left half-way.
    Resume,
}

#[derive(clap::Args)]
pub struct UndoArgs {
    /// Configuration file (default: ./ward.toml, or $WARD_CONFIG).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Store: a SQLite file path or a postgres:// URL.
    #[arg(long, env = "WARD_DATABASE")]
    pub database: Option<String>,
    /// Who is undoing (recorded in the journal). Default: cli:$USER.
    #[arg(long)]
    pub by: Option<String>,
    /// Why (recorded in the journal).
    #[arg(long, default_value = "false positive")]
    pub reason: String,
    /// Undo every reversible action of this incident instead.
    #[arg(long, conflicts_with = "action_id")]
    pub incident: Option<String>,
    /// The action to undo.
    #[arg(required_unless_present = "incident")]
    pub action_id: Option<String>,
}

pub(crate) fn who(by: Option<String>) -> String {
    by.unwrap_or_else(|| {
        format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        )
    })
}

async fn open(
    config: Option<&std::path::Path>,
    database: Option<&str>,
    explicit: bool,
) -> Result<(Responder, Config)> {
    let config = Config::load(config, database)?;
    let tenant = config.tenant()?;
    let client = crate::tenant::client(&tenant, &config.file.sync)?;
    let store = crate::tenant::store(&config.database).await?;
    let mut cfg = config.file.respond.clone();
    if explicit {
        // A person asking on the command line is the approval.
        cfg = RespondConfig {
            default_mode: Mode::Auto,
            modes: Default::default(),
            auto_min_severity: "low".into(),
            ..cfg
        };
    }
    Ok((
        Responder::new(client, store, &tenant.tenant_id, cfg),
        config,
    ))
}

pub fn run(args: RespondArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run_async(args))
}

async fn run_async(args: RespondArgs) -> Result<ExitCode> {
    let by = who(args.by.clone());
    let explicit = matches!(
        args.command,
        RespondCommand::Run { .. } | RespondCommand::Pull { .. }
    );
    let (r, _config) = open(args.config.as_deref(), args.database.as_deref(), explicit).await?;
    let mut ok = true;
    match args.command {
        RespondCommand::List { status } => list(r.store(), r.tenant(), &status, args.json).await?,
        RespondCommand::Approve {
            action_ids,
            incident,
        } => {
            let action_ids = match incident {
                None => action_ids,
                Some(inc) => {
                    if r.store().get_incident(r.tenant(), &inc).await?.is_none() {
                        anyhow::bail!("no incident {inc} (see `ward incidents list`)");
                    }
                    let waiting: Vec<String> = r
                        .store()
                        .actions_for_incident(r.tenant(), &inc)
                        .await?
                        .into_iter()
                        .filter(|a| a.status == ActionStatus::Pending)
                        .map(|a| a.action_id)
                        .collect();
                    if waiting.is_empty() {
                        eprintln!("{inc}: no action waits for approval");
                    }
                    waiting
                }
            };
            for id in action_ids {
                let out = r
                    .approve(&id, &by)
                    .await
                    .with_context(|| format!("cannot approve {id}"))?;
                ok &= out.succeeded();
                print_outcome(&out, args.json);
            }
        }
        RespondCommand::Reject { action_ids, note } => {
            for id in action_ids {
                r.reject(&id, &by, &note)
                    .await
                    .with_context(|| format!("cannot reject {id}"))?;
                println!("{id}: rejected");
            }
        }
        RespondCommand::Run {
            action,
            user,
            message,
            rule,
            method,
            method_type,
        } => {
            let user_id = resolve_user(r.store(), r.tenant(), &user).await?;
            let need = |v: Option<String>, flag: &str| {
                v.with_context(|| format!("`{action}` needs --{flag}"))
            };
            let spec = match action.as_str() {
                "quarantine" => ActionSpec::QuarantineMessage {
                    user_id,
                    internet_message_id: need(message, "message")?,
                },
                "soft-delete" => ActionSpec::SoftDeleteMessage {
                    user_id,
                    internet_message_id: need(message, "message")?,
                },
                "purge" => ActionSpec::PurgeMessage {
                    user_id,
                    internet_message_id: need(message, "message")?,
                },
                "disable-rule" => ActionSpec::DisableInboxRule {
                    user_id,
                    rule_id: need(rule, "rule")?,
                },
                "delete-rule" => ActionSpec::DeleteInboxRule {
                    user_id,
                    rule_id: need(rule, "rule")?,
                },
                "remove-method" => ActionSpec::RemoveAuthMethod {
                    user_id,
                    method_id: need(method, "method")?,
                    method_type: need(method_type, "method-type")?,
                },
                "revoke-sessions" => ActionSpec::RevokeSessions { user_id },
                "reset-password" => ActionSpec::ResetPassword { user_id },
                other => bail!("unknown action `{other}`: see `ward respond run --help`"),
            };
            let (id, d) = r
                .request(Request {
                    spec,
                    requested_by: by.clone(),
                    reason: json!({"note": "requested on the command line"}),
                    incident_id: None,
                    severity: Some("high".into()),
                })
                .await?;
            ok &= print_disposition(&id, &d, args.json);
        }
        RespondCommand::Pull {
            internet_message_id,
            incident,
        } => {
            let report = r
                .pull(
                    &internet_message_id,
                    incident.as_deref(),
                    Some("high"),
                    &by,
                    json!({"note": "campaign pull on the command line"}),
                )
                .await?;
            for n in &report.notes {
                eprintln!("note: {n}");
            }
            for (id, d) in &report.actions {
                ok &= print_disposition(id, d, args.json);
            }
            eprintln!(
                "{} found in {}; {} contained, {} failed",
                plural(report.targets.len() as u64, "copy", "copies"),
                report
                    .targets
                    .iter()
                    .map(|t| &t.user_id)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                report.contained(),
                report.failed().len()
            );
        }
        RespondCommand::Incident { incident_id } => {
            let inc = r
                .store()
                .get_incident(r.tenant(), &incident_id)
                .await?
                .with_context(|| {
                    format!("no incident {incident_id} (see `ward incidents list`)")
                })?;
            let resp = r.respond_to(&inc).await?;
            ok &= print_response(&resp, args.json);
        }
        RespondCommand::Resume => {
            let outs = r.resume().await?;
            if outs.is_empty() && !args.json {
                println!("nothing to resume");
            }
            for o in &outs {
                ok &= o.succeeded();
                print_outcome(o, args.json);
            }
        }
    }
    r.store().close().await;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn run_undo(args: UndoArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let by = who(args.by.clone());
        let (r, _) = open(args.config.as_deref(), args.database.as_deref(), false).await?;
        let ids: Vec<String> = match (&args.action_id, &args.incident) {
            (Some(id), _) => vec![id.clone()],
            (None, Some(inc)) => {
                let actions = r.store().actions_for_incident(r.tenant(), inc).await?;
                let mut ids: Vec<String> = actions
                    .into_iter()
                    .filter(|a| a.status == ActionStatus::Done)
                    .filter(|a| {
                        serde_json::from_value::<ActionSpec>(a.params.clone())
                            .is_ok_and(|s| s.reversible())
                    })
                    .map(|a| a.action_id)
                    .collect();
                ids.sort();
                if ids.is_empty() {
                    bail!("incident {inc} has no done, reversible action to undo");
                }
                ids
            }
            (None, None) => bail!("give an action id or --incident"),
        };
        let mut ok = true;
        // Different mailboxes in parallel; the client keeps each mailbox within its limits.
        let parallel = r.config().parallel_mailboxes.clamp(1, 32);
        let results: Vec<(String, ward_respond::Result<Outcome>)> = futures::stream::iter(ids)
            .map(|id| {
                let (r, by, reason) = (&r, &by, &args.reason);
                async move {
                    let out = r.undo(&id, by, reason).await;
                    (id, out)
                }
            })
            .buffered(parallel)
            .collect()
            .await;
        for (id, result) in results {
            match result {
                Ok(out) => {
                    ok &= out.succeeded();
                    println!("{id}: undo {} — {}", out.outcome, out.detail);
                }
                Err(e) => {
                    ok = false;
                    eprintln!("{id}: {e}");
                }
            }
        }
        r.store().close().await;
        Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

/// A UPN or an object id → the object id.
async fn resolve_user(store: &Store, tenant: &str, user: &str) -> Result<String> {
    if user.contains('@') {
        Ok(store
            .find_user_by_upn(tenant, user)
            .await?
            .with_context(|| {
                format!("no user {user} in the synced directory (run `ward sync` first)")
            })?
            .id)
    } else {
        Ok(user.to_owned())
    }
}

async fn list(store: &Store, tenant: &str, status: &str, json: bool) -> Result<()> {
    // Actions name users by object id; people read UPNs.
    let upns: std::collections::HashMap<String, String> = store
        .list_users(tenant)
        .await?
        .into_iter()
        .map(|u| (u.id, u.upn))
        .collect();
    let readable = |spec: &ActionSpec| {
        let mut text = spec.describe();
        if let Some(upn) = spec.user_id().and_then(|u| upns.get(u)) {
            text = text.replace(spec.user_id().unwrap_or_default(), upn);
        }
        text
    };
    let statuses: Vec<ActionStatus> = match status {
        "all" => vec![
            ActionStatus::Pending,
            ActionStatus::Approved,
            ActionStatus::Failed,
            ActionStatus::Done,
            ActionStatus::Observed,
            ActionStatus::Rejected,
        ],
        s => vec![ActionStatus::try_from(s.to_owned()).map_err(|_| {
            anyhow::anyhow!(
                "--status {s}: use pending, approved, done, failed, observed, rejected or all"
            )
        })?],
    };
    let mut n = 0;
    for st in statuses {
        for a in store.actions_with_status(st, 100_000).await? {
            n += 1;
            if json {
                println!("{}", serde_json::to_string(&a)?);
                continue;
            }
            let what = serde_json::from_value::<ActionSpec>(a.params.clone())
                .map(|s| readable(&s))
                .unwrap_or_else(|_| a.kind.clone());
            println!(
                "{:<22} {:<9} {:<8} {:<14} {}",
                a.action_id,
                a.status.as_str(),
                a.mode,
                a.incident_id.as_deref().unwrap_or("-"),
                what
            );
        }
    }
    if n == 0 && !json {
        println!("no {status} actions");
    }
    Ok(())
}

fn print_outcome(o: &Outcome, json: bool) {
    if json {
        println!("{}", serde_json::to_string(o).unwrap_or_default());
    } else {
        println!("{}: {} — {}", o.action_id, o.outcome, o.detail);
    }
}

/// Prints one line; false when the action failed.
fn print_disposition(id: &str, d: &Disposition, json: bool) -> bool {
    if json {
        println!("{}", json!({"action_id": id, "disposition": d}));
    } else {
        match d {
            Disposition::Executed(o) => println!("{id}: {} — {}", o.outcome, o.detail),
            Disposition::Queued => {
                println!("{id}: queued for approval (`ward respond approve {id}`)")
            }
            Disposition::Observed => println!("{id}: observed (observe mode: not done)"),
            Disposition::Existing { status } => println!("{id}: already {status}, not run again"),
            Disposition::Rejected => println!("{id}: rejected earlier"),
        }
    }
    !matches!(d, Disposition::Executed(o) if !o.succeeded())
}

fn print_response(resp: &Response, json: bool) -> bool {
    let mut ok = true;
    for n in &resp.notes {
        eprintln!("note: {n}");
    }
    for (id, d) in &resp.actions {
        ok &= print_disposition(id, d, json);
    }
    if resp.actions.is_empty() && !json {
        println!("no playbook step applies to incident {}", resp.incident_id);
    }
    ok
}
