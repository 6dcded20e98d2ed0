//! Every store operation, written once against [`crate::db::Conn`]. `api.rs` exposes each of
//! them on both `Store` and `Tx`.

mod tenancy;

pub(crate) use tenancy::*;
