//! `ward journal`: check and read the hash-chained journal of response actions.
//!
//! `verify` re-hashes every entry and exits 1 on the first modified, missing or reordered one,
//! so a cron job or a monitoring check can alert on tampering. Publishing the head hash it
//! prints somewhere else also catches a rewrite of the whole chain.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use ward_store::{JournalRecord, JournalStatus};

use crate::incidents::StoreArgs;

#[derive(clap::Subcommand)]
pub enum JournalCommand {
    /// Re-hash the journal: exit 0 when intact, 1 naming the first broken entry.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List journal entries (all, or one action's).
    Show {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this action's entries.
        #[arg(long)]
        action: Option<String>,
        /// JSON lines `{seq, prev_hash, hash, entry}` instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: JournalCommand) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        match cmd {
            JournalCommand::Verify { store } => {
                let (_, store) = store.open().await?;
                let status = store.verify_journal().await;
                store.close().await;
                match status? {
                    JournalStatus::Intact { entries, head_hash } => {
                        println!("journal intact: {entries} entries, head hash {head_hash}");
                        Ok(ExitCode::SUCCESS)
                    }
                    JournalStatus::Broken { seq, reason } => {
                        println!("journal BROKEN at entry {seq}: {reason}");
                        Ok(ExitCode::from(1))
                    }
                }
            }
            JournalCommand::Show {
                store,
                action,
                json,
            } => {
                let (_, store) = store.open().await?;
                let records = read(&store, action.as_deref()).await;
                store.close().await;
                print(&records?, json)?;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn read(store: &ward_store::Store, action: Option<&str>) -> Result<Vec<JournalRecord>> {
    if let Some(a) = action {
        return Ok(store.journal_for_action(a).await?);
    }
    const PAGE: i64 = 1000;
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |r: &JournalRecord| r.seq);
        let page = store.journal_entries(after, PAGE).await?;
        let done = (page.len() as i64) < PAGE;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

fn print(records: &[JournalRecord], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for r in records {
            writeln!(out, "{}", serde_json::to_string(r)?)?;
        }
        return Ok(());
    }
    if records.is_empty() {
        writeln!(out, "the journal is empty")?;
        return Ok(());
    }
    let mut t = crate::words::table([
        "seq", "time", "tenant", "action", "kind", "target", "mode", "status", "hash",
    ]);
    for r in records {
        let e = &r.entry;
        t.add_row([
            r.seq.to_string(),
            e.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.tenant_id.clone(),
            e.action_id.clone(),
            e.kind.clone(),
            e.target.clone(),
            e.mode.clone(),
            e.status.clone(),
            r.hash[..r.hash.len().min(16)].to_owned(),
        ]);
    }
    writeln!(out, "{t}")?;
    Ok(())
}
