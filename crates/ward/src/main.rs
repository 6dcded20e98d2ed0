//! `ward`: the one binary. Each subcommand lives in its own module; this file only dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod hunt;
mod scan;

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
    /// Analyze .eml files or folders of them offline and print a verdict per message.
    Scan(scan::ScanArgs),
    /// Analyze audit and sign-in event files offline and print alerts and incidents.
    Hunt(hunt::HuntArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Hunt(args) => hunt::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
