//! Hand-written serde models for the Graph and Management Activity API resources Ward touches.
//!
//! All models are lenient: unknown fields are ignored (or kept in `extra` where the full JSON
//! matters, e.g. inbox rules and audit records for before-state journaling), missing fields
//! default, enums are plain strings (Microsoft adds members; see `unknownFutureValue`).

pub mod apps;
pub mod auditlogs;
pub mod authmethods;
pub mod batch;
pub mod common;
pub mod conditional_access;
pub mod errors;
pub mod mail;
pub mod management;
pub mod reports;
pub mod rules;
pub mod security;
pub mod settings;
pub mod subscriptions;
pub mod token;
pub mod users;

pub use apps::*;
pub use auditlogs::*;
pub use authmethods::*;
pub use batch::*;
pub use common::*;
pub use conditional_access::*;
pub use errors::*;
pub use mail::*;
pub use management::*;
pub use reports::*;
pub use rules::*;
pub use security::*;
pub use settings::*;
pub use subscriptions::*;
pub use token::*;
pub use users::*;
