//! `ward scan`.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ScanArgs {
    /// Files or folders to analyze.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn run(_args: ScanArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("ward scan is not built yet")
}
