//! Containment for Ward: response actions that are idempotent, journaled with the state before
//! them, reversible where Microsoft allows it, and run in the mode the configuration gives
//! (observe, approve, auto).
//!
//! - [`ActionSpec`] says what to do; its id is a hash of that, so the same request twice is
//!   one action.
//! - [`Responder`] runs actions through the Microsoft Graph client: it reads the state before,
//!   writes an intent entry to the hash-chained journal, acts, then journals the result and the
//!   undo step in the same transaction that marks the action done. A crash between the two
//!   entries is resumed from the intent entry's before-state, and every operation first checks
//!   whether the tenant is already in the wanted state, so nothing is done twice.
//! - [`playbook`] turns a stored incident into actions; [`campaign`] finds every copy of a
//!   malicious message across the tenant.

pub mod action;
mod bulk;
pub mod campaign;
pub mod config;
mod engine;
pub mod lifecycle;
mod ops;
pub mod password;
pub mod playbook;

pub use action::ActionSpec;
pub use config::{Mode, PasswordChannel, Playbook, QuarantineTarget, RespondConfig, Step};
pub use engine::{Disposition, Outcome, Request, Responder};
pub use ops::same_definition;

/// What can go wrong around an action (failures of the action itself are outcomes, journaled).
#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    #[error("store: {0}")]
    Store(#[from] ward_store::StoreError),
    #[error("Microsoft 365: {0}")]
    Graph(Box<ward_graph::GraphError>),
    #[error("no action {0} in the queue (see `ward respond list`)")]
    UnknownAction(String),
    #[error("action {id} cannot be undone: {why}")]
    NotReversible { id: String, why: String },
    #[error("action {id} is {status}: {why}")]
    WrongState {
        id: String,
        status: String,
        why: String,
    },
    #[error("action {0} has unreadable parameters: {1}")]
    BadParams(String, String),
}

impl From<ward_graph::GraphError> for RespondError {
    fn from(e: ward_graph::GraphError) -> Self {
        RespondError::Graph(Box::new(e))
    }
}

pub type Result<T, E = RespondError> = std::result::Result<T, E>;
