//! `ward`: the one binary. Each subcommand lives in its own module; this file only dispatches.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod connect;
mod contain;
mod demo;
mod eval;
mod hunt;
mod incidents;
mod journal;
mod progress;
mod respond;
mod scan;
mod serve;
mod sim;
mod sync;
mod watch;
mod words;

// The pipeline's modules, where the commands have always found them.
use ward_pipeline::{analyze, config, detect, tenant};

/// Ward protects Microsoft 365 tenants from phishing, business email compromise and account
/// takeover, through Microsoft's APIs only.
#[derive(Parser)]
#[command(name = "ward", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run Ward end to end against the simulated tenant and report what it caught.
    Demo(demo::DemoArgs),
    /// Check the credentials and show which of the 14 permissions are granted.
    Connect(connect::ConnectArgs),
    /// Sync the configured tenant into the store (first or incremental; resumable).
    Sync(sync::SyncArgs),
    /// Run the pipeline continuously: sync, analyse, detect, respond, every --interval seconds.
    Watch(watch::WatchArgs),
    /// Preview of the console: the pipeline plus a read-only JSON API (needs --preview).
    Serve(serve::ServeArgs),
    /// Run the simulated Microsoft 365 tenant on loopback.
    Sim(sim::SimArgs),
    /// Analyze .eml files or folders of them offline and print a verdict per message.
    Scan(scan::ScanArgs),
    /// Measure mail detection on a labelled corpus: recall at 0.25 % and 1 % of legitimate
    /// mail flagged, ROC AUC, as-is and content-only, earlier and later phishing.
    Eval(eval::EvalArgs),
    /// Fit the learned layer on a labelled corpus's earlier mail and judge it on the later.
    Train(eval::TrainArgs),
    /// Analyze audit and sign-in event files offline and print alerts and incidents.
    Hunt(hunt::HuntArgs),
    /// Incidents Ward filed: list, show, export an evidence bundle, close.
    #[command(subcommand)]
    Incidents(incidents::IncidentsCommand),
    /// The hash-chained journal of response actions: verify, show.
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// Detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Containment: the action queue, explicit actions, campaign pull, playbooks.
    Respond(respond::RespondArgs),
    /// Revert an action Ward took (or every reversible action of an incident).
    Undo(respond::UndoArgs),
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Run every mail rule's samples (built-in pack plus the given rule files or folders).
    Test(scan::RulesTestArgs),
}

fn main() -> ExitCode {
    // Like any Unix filter: when the reader goes away (`ward … | head`), stop quietly instead
    // of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; resets a signal disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // `WARD_LOG` first, then `RUST_LOG`, else errors only; colour only on a terminal.
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARD_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("RUST_LOG"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Connect(args) => connect::run(args),
        Command::Sync(args) => sync::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Train(args) => eval::run_train(args),
        Command::Hunt(args) => hunt::run(args),
        Command::Incidents(cmd) => incidents::run(cmd),
        Command::Journal(cmd) => journal::run(cmd),
        Command::Rules(RulesCommand::Test(args)) => scan::run_rules_test(args),
        Command::Respond(args) => respond::run(args),
        Command::Undo(args) => respond::run_undo(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", explain(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each said once: a cause whose words its parent already carries
/// (a library error that shows its source in its own message) is not repeated.
fn explain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
