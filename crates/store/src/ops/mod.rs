//! Every store operation, written once against [`crate::db::Conn`]. `api.rs` exposes each of
//! them on both `Store` and `Tx`.

mod directory;
mod dump;
mod events;
mod incidents;
mod journal;
mod messages;
mod snapshots;
mod tenancy;

pub(crate) use directory::*;
pub(crate) use dump::*;
pub(crate) use events::*;
pub(crate) use incidents::*;
pub(crate) use journal::*;
pub(crate) use messages::*;
pub(crate) use snapshots::*;
pub(crate) use tenancy::*;
