//! The public methods of [`Store`] and [`Tx`], generated from one list so the two never drift.
//!
//! On `Store`, `write` methods run in their own short transaction and `read` methods on a
//! pooled connection. On `Tx`, all of them run inside the caller's transaction.

use chrono::{DateTime, Utc};

use crate::db::{Store, Tx};
use crate::error::StoreError;
use crate::model::*;
use crate::ops;

macro_rules! store_api {
    ($(
        $(#[$meta:meta])*
        $mode:ident fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;
    )*) => {
        impl Store {
            $(
                $(#[$meta])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret, StoreError> {
                    store_api!(@$mode self, $name, $($arg),*)
                }
            )*
        }
        impl Tx {
            $(
                $(#[$meta])*
                pub async fn $name(&mut self, $($arg: $ty),*) -> Result<$ret, StoreError> {
                    ops::$name(&mut self.conn(), $($arg),*).await
                }
            )*
        }
    };
    (@write $s:ident, $name:ident, $($arg:ident),*) => {{
        let mut tx = $s.transaction().await?;
        let out = ops::$name(&mut tx.conn(), $($arg),*).await?;
        tx.commit().await?;
        Ok(out)
    }};
    (@read $s:ident, $name:ident, $($arg:ident),*) => {{
        let mut pc = $s.acquire().await?;
        ops::$name(&mut pc.conn(), $($arg),*).await
    }};
}

store_api! {
    /// Inserts or updates a tenant; true when it was new.
    write fn upsert_tenant(t: &Tenant) -> bool;
    read fn get_tenant(id: &str) -> Option<Tenant>;
    read fn list_tenants() -> Vec<Tenant>;

    /// The saved position of one sync stream (`users`, `messages:{user}:{folder}`, `signins`,
    /// `audits`, `mgmt:{contentType}`): a delta link, timestamp or page token.
    read fn get_cursor(tenant_id: &str, stream: &str) -> Option<String>;
    /// Saves a stream position. For crash safety call it on a [`Tx`] that also holds the data
    /// the position covers, so both commit or neither does.
    write fn set_cursor(tenant_id: &str, stream: &str, value: &str) -> ();
    /// Forgets a stream position (the stream resyncs from scratch); true when one existed.
    write fn delete_cursor(tenant_id: &str, stream: &str) -> bool;

    /// Records the counters of one sync run; returns its id.
    write fn record_run(run: &Run) -> i64;
    /// A tenant's newest runs, newest first.
    read fn list_runs(tenant_id: &str, limit: i64) -> Vec<Run>;
    /// Totals over a tenant's runs started at or after `since`: (runs, items, requests, throttled).
    read fn run_totals(tenant_id: &str, since: DateTime<Utc>) -> (i64, i64, i64, i64);
}
