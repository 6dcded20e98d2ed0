//! Ward's store: SQLite by default, PostgreSQL for scale, one schema and one code path.
//!
//! ```no_run
//! # async fn f() -> Result<(), ward_store::StoreError> {
//! let store = ward_store::Store::connect("ward.db").await?;
//! let mut tx = store.transaction().await?;
//! // ... write the page of data ...
//! tx.set_cursor("tenant", "users", "https://graph.microsoft.com/...deltatoken=...").await?;
//! tx.commit().await?; // data and cursor together, or neither
//! # Ok(()) }
//! ```
//!
//! Secrets (client secrets, certificates, tokens) are never stored; message bodies only when a
//! caller passes one explicitly.

mod api;
mod canonical;
mod db;
mod error;
mod model;
mod ops;
#[allow(clippy::expect_used, clippy::panic)]
pub mod testing;

pub use canonical::{canonical_json, sha256_hex};
pub use db::{Backend, Store, StoreOptions, Tx};
pub use error::{Hint, StoreError};
pub use model::*;
