//! `ward hunt`.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct HuntArgs {
    /// Files or folders to analyze.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn run(_args: HuntArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("ward hunt is not built yet")
}
