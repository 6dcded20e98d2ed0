//! Ward's pipeline as a library, so that `ward watch`, `ward sync`, the demo and the console
//! run one pipeline, not copies of it (ingest → analyse → detect → respond, in the shape of
//! Vector's sources → transforms → sinks):
//!
//! - [`config`]: `ward.toml` and the environment, validated;
//! - [`tenant`]: the Graph client and the store a configuration names;
//! - [`sync`]: the sync stage (directory first, then mail analysed on the way in, state, logs);
//! - [`analyze`]: the tenant-aware mail analyzer the sync stage runs;
//! - [`detect`]: identity and mail detection over what a sync added, filed in the store;
//! - [`respond`]: the playbooks applied to the incidents detection opened or changed;
//! - [`notify`]: Microsoft Graph change notifications (receiver, subscriptions, renewals);
//! - [`watch`]: all of it, pass after pass, until stopped.
//!
//! Presentation (progress bars, tables, the words of each command) stays in the binary.

pub mod analyze;
pub mod config;
pub mod detect;
pub mod notify;
pub mod respond;
pub mod sync;
pub mod tenant;
pub mod watch;

/// "1 file", "2 files": a count with the right form of its noun.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
