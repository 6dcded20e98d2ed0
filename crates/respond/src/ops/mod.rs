//! The operations behind each action: read the state before, act, say how to undo.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use ward_graph::GraphError;
use ward_store::Action;

use crate::ActionSpec;
use crate::engine::Responder;

pub(crate) mod account;
pub(crate) mod mail;

pub use account::same_definition;

/// What one operation did.
pub(crate) struct Applied {
    pub outcome: &'static str,
    pub detail: String,
    pub result: Value,
    /// The undo step (data for [`apply`] of an `Undo`), or null.
    pub undo: Value,
}

impl Applied {
    pub fn new(outcome: &'static str, detail: String, result: Value, undo: Value) -> Self {
        Applied {
            outcome,
            detail,
            result,
            undo,
        }
    }
}

/// The state of the target before acting, as journaled.
pub(crate) async fn before(r: &Responder, spec: &ActionSpec) -> Result<Value, GraphError> {
    match spec {
        ActionSpec::QuarantineMessage {
            user_id,
            internet_message_id,
        }
        | ActionSpec::SoftDeleteMessage {
            user_id,
            internet_message_id,
        }
        | ActionSpec::PurgeMessage {
            user_id,
            internet_message_id,
        } => mail::before(r, user_id, internet_message_id).await,
        ActionSpec::DisableInboxRule { user_id, rule_id }
        | ActionSpec::DeleteInboxRule { user_id, rule_id } => {
            account::rule_before(r, user_id, rule_id).await
        }
        ActionSpec::RemoveAuthMethod { user_id, .. } => account::methods_before(r, user_id).await,
        ActionSpec::RevokeSessions { user_id } | ActionSpec::ResetPassword { user_id } => {
            account::user_before(r, user_id).await
        }
        ActionSpec::Undo { action_id } => Ok(json!({"undo_of": action_id})),
    }
}

/// Acts. `since` is the time of the intent entry when resuming an interrupted run.
pub(crate) async fn apply(
    r: &Responder,
    a: &Action,
    spec: &ActionSpec,
    before: &Value,
    since: Option<DateTime<Utc>>,
) -> Result<Applied, GraphError> {
    match spec {
        ActionSpec::QuarantineMessage {
            user_id,
            internet_message_id,
        } => {
            // `since` is set only when resuming: then the copies must be read again.
            mail::quarantine(r, user_id, internet_message_id, before, since.is_none()).await
        }
        ActionSpec::SoftDeleteMessage {
            user_id,
            internet_message_id,
        } => mail::soft_delete(r, user_id, internet_message_id, before).await,
        ActionSpec::PurgeMessage {
            user_id,
            internet_message_id,
        } => mail::purge(r, user_id, internet_message_id).await,
        ActionSpec::DisableInboxRule { user_id, rule_id } => {
            account::disable_rule(r, user_id, rule_id).await
        }
        ActionSpec::DeleteInboxRule { user_id, rule_id } => {
            account::delete_rule(r, user_id, rule_id, before).await
        }
        ActionSpec::RemoveAuthMethod {
            user_id,
            method_id,
            method_type,
        } => account::remove_method(r, user_id, method_id, method_type, before).await,
        ActionSpec::RevokeSessions { user_id } => account::revoke(r, user_id, since).await,
        ActionSpec::ResetPassword { user_id } => {
            account::reset_password(r, &a.action_id, user_id, before, since).await
        }
        ActionSpec::Undo { action_id } => {
            let undo = r
                .undo_step(action_id)
                .await
                .map_err(|e| GraphError::Config(e.to_string()))?;
            match undo["op"].as_str() {
                Some("move_back" | "restore_deleted") => mail::restore(r, &undo).await,
                Some("enable_rule" | "recreate_rule") => account::restore_rule(r, &undo).await,
                Some("add_method") => account::restore_method(r, &undo).await,
                other => Err(GraphError::Config(format!(
                    "unknown undo step {other:?} in the journal of {action_id}"
                ))),
            }
        }
    }
}

/// Outcome and plain words for an error Microsoft returned to an action of `kind`, with the
/// step a person can take.
pub(crate) fn explain_error(kind: &str, e: &GraphError) -> (&'static str, String) {
    const RETRY: &str = "then retry with `ward respond approve <id>`";
    if e.is_access_denied() {
        let why = match kind {
            "reset_password" => {
                "Resetting an administrator's password needs a privileged directory role \
                 (Privileged Authentication Administrator) on Ward's app, which its permission set \
                 does not give: reset it by hand in the Entra admin center"
            }
            "revoke_sessions" | "remove_auth_method" => {
                "The account is probably an administrator Ward's app holds no role over: do it by \
                 hand in the Entra admin center"
            }
            _ => {
                "For a mailbox this usually means an Exchange application access policy leaves it \
                 out of Ward's scope: add the mailbox to the policy's group, or act by hand"
            }
        };
        (
            "denied",
            format!("Microsoft 365 refused access ({e}). {why}; {RETRY}."),
        )
    } else if kind == "remove_auth_method"
        && e.status() == Some(400)
        && e.to_string().to_ascii_lowercase().contains("default")
    {
        (
            "failed",
            format!(
                "Microsoft will not remove the user's default sign-in method while others remain \
                 ({e}): make another method the default (Entra admin center → the user → \
                 Authentication methods), {RETRY}."
            ),
        )
    } else if e.is_throttled() {
        (
            "failed",
            format!("still throttled after the retry budget ({e}); {RETRY} later."),
        )
    } else if e.is_transient() {
        (
            "failed",
            format!("Microsoft 365 answered with a temporary error ({e}); {RETRY} later."),
        )
    } else {
        ("failed", e.to_string())
    }
}

pub(crate) fn why_irreversible(spec: &ActionSpec) -> String {
    match spec {
        ActionSpec::PurgeMessage { .. } => "a purged message cannot be brought back through Microsoft Graph".into(),
        ActionSpec::RevokeSessions { .. } => "revoked sessions cannot be restored; the user simply signs in again".into(),
        ActionSpec::ResetPassword { .. } => "the old password is not known to anyone and cannot be set back; the user picks a new one at next sign-in".into(),
        ActionSpec::Undo { .. } => "an undo is not itself undone; run the original action again".into(),
        _ => "not reversible".into(),
    }
}
