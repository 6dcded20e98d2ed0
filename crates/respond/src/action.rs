//! What Ward can do to a tenant: the response actions, their stable ids and their words.
//!
//! An action is plain data ([`ActionSpec`]): it is stored in the action queue as JSON, shown to
//! the person approving it, and executed by [`crate::Responder`]. Its id is a hash of what it
//! does, so asking for the same thing twice is the same action — the store's queue ignores the
//! second request, which is what makes containment idempotent across retries and restarts.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One response action, with the target it acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionSpec {
    /// Move every copy of a message in one mailbox to the quarantine (Ward's hidden folder or
    /// Junk, per configuration). Undo moves each copy back to where it was.
    QuarantineMessage {
        user_id: String,
        internet_message_id: String,
    },
    /// Soft delete (Recoverable Items); undo moves the copies back.
    SoftDeleteMessage {
        user_id: String,
        internet_message_id: String,
    },
    /// Purge: permanent delete. Cannot be undone.
    PurgeMessage {
        user_id: String,
        internet_message_id: String,
    },
    /// Disable an inbox rule; undo enables it again.
    DisableInboxRule { user_id: String, rule_id: String },
    /// Delete an inbox rule, keeping its full definition; undo recreates it.
    DeleteInboxRule { user_id: String, rule_id: String },
    /// Remove one authentication (MFA) method.
    RemoveAuthMethod {
        user_id: String,
        method_id: String,
        /// The `@odata.type`, e.g. `#microsoft.graph.phoneAuthenticationMethod`.
        method_type: String,
    },
    /// Revoke refresh tokens and session cookies. Cannot be undone.
    RevokeSessions { user_id: String },
    /// Set a strong generated password with change-at-next-sign-in; the password goes only to
    /// the configured secure channel. Cannot be undone.
    ResetPassword { user_id: String },
    /// Revert a done action (its id), from what the journal recorded.
    Undo { action_id: String },
}

impl ActionSpec {
    /// Short kind name, as stored in the queue and used in mode settings.
    pub fn kind(&self) -> &'static str {
        match self {
            ActionSpec::QuarantineMessage { .. } => "quarantine_message",
            ActionSpec::SoftDeleteMessage { .. } => "soft_delete_message",
            ActionSpec::PurgeMessage { .. } => "purge_message",
            ActionSpec::DisableInboxRule { .. } => "disable_inbox_rule",
            ActionSpec::DeleteInboxRule { .. } => "delete_inbox_rule",
            ActionSpec::RemoveAuthMethod { .. } => "remove_auth_method",
            ActionSpec::RevokeSessions { .. } => "revoke_sessions",
            ActionSpec::ResetPassword { .. } => "reset_password",
            ActionSpec::Undo { .. } => "undo",
        }
    }

    /// What it acts on, for listings: `user/thing`.
    pub fn target(&self) -> String {
        match self {
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
            } => format!("{user_id}/{internet_message_id}"),
            ActionSpec::DisableInboxRule { user_id, rule_id }
            | ActionSpec::DeleteInboxRule { user_id, rule_id } => {
                format!("{user_id}/rule/{rule_id}")
            }
            ActionSpec::RemoveAuthMethod {
                user_id, method_id, ..
            } => format!("{user_id}/method/{method_id}"),
            ActionSpec::RevokeSessions { user_id } | ActionSpec::ResetPassword { user_id } => {
                user_id.clone()
            }
            ActionSpec::Undo { action_id } => action_id.clone(),
        }
    }

    /// The user (mailbox or account) the action touches, if any.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            ActionSpec::QuarantineMessage { user_id, .. }
            | ActionSpec::SoftDeleteMessage { user_id, .. }
            | ActionSpec::PurgeMessage { user_id, .. }
            | ActionSpec::DisableInboxRule { user_id, .. }
            | ActionSpec::DeleteInboxRule { user_id, .. }
            | ActionSpec::RemoveAuthMethod { user_id, .. }
            | ActionSpec::RevokeSessions { user_id }
            | ActionSpec::ResetPassword { user_id } => Some(user_id),
            ActionSpec::Undo { .. } => None,
        }
    }

    /// Whether Microsoft's API lets Ward put things back afterwards.
    pub fn reversible(&self) -> bool {
        !matches!(
            self,
            ActionSpec::PurgeMessage { .. }
                | ActionSpec::RevokeSessions { .. }
                | ActionSpec::ResetPassword { .. }
                | ActionSpec::Undo { .. }
        )
    }

    /// One line in plain words.
    pub fn describe(&self) -> String {
        match self {
            ActionSpec::QuarantineMessage {
                user_id,
                internet_message_id,
            } => format!("quarantine message {internet_message_id} in mailbox {user_id}"),
            ActionSpec::SoftDeleteMessage {
                user_id,
                internet_message_id,
            } => format!("delete (recoverable) message {internet_message_id} in mailbox {user_id}"),
            ActionSpec::PurgeMessage {
                user_id,
                internet_message_id,
            } => format!("purge (permanently) message {internet_message_id} in mailbox {user_id}"),
            ActionSpec::DisableInboxRule { user_id, rule_id } => {
                format!("disable inbox rule {rule_id} of {user_id}")
            }
            ActionSpec::DeleteInboxRule { user_id, rule_id } => {
                format!("delete inbox rule {rule_id} of {user_id} (definition kept)")
            }
            ActionSpec::RemoveAuthMethod {
                user_id,
                method_id,
                method_type,
            } => format!(
                "remove {} method {method_id} of {user_id}",
                method_type
                    .trim_start_matches("#microsoft.graph.")
                    .trim_end_matches("AuthenticationMethod")
            ),
            ActionSpec::RevokeSessions { user_id } => {
                format!("revoke sign-in sessions of {user_id}")
            }
            ActionSpec::ResetPassword { user_id } => {
                format!("reset the password of {user_id} (change at next sign-in)")
            }
            ActionSpec::Undo { action_id } => format!("undo action {action_id}"),
        }
    }

    /// Stable id: a prefix naming the kind plus a hash of tenant and spec.
    pub fn id(&self, tenant_id: &str) -> String {
        let mut h = Sha256::new();
        h.update(tenant_id.as_bytes());
        h.update([0]);
        // Serialising an enum of strings cannot fail; fall back to the debug form regardless.
        let body = serde_json::to_string(self).unwrap_or_else(|_| format!("{self:?}"));
        h.update(body.as_bytes());
        let digest = hex::encode(h.finalize());
        match self {
            // Undo ids are readable: `undo-<original>`.
            ActionSpec::Undo { action_id } => format!("undo-{action_id}"),
            _ => format!("{}-{}", self.short(), &digest[..16]),
        }
    }

    fn short(&self) -> &'static str {
        match self {
            ActionSpec::QuarantineMessage { .. } => "qm",
            ActionSpec::SoftDeleteMessage { .. } => "dm",
            ActionSpec::PurgeMessage { .. } => "pm",
            ActionSpec::DisableInboxRule { .. } => "dr",
            ActionSpec::DeleteInboxRule { .. } => "xr",
            ActionSpec::RemoveAuthMethod { .. } => "rm",
            ActionSpec::RevokeSessions { .. } => "rs",
            ActionSpec::ResetPassword { .. } => "pw",
            ActionSpec::Undo { .. } => "un",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = ActionSpec::QuarantineMessage {
            user_id: "u1".into(),
            internet_message_id: "<a@b>".into(),
        };
        let b = ActionSpec::QuarantineMessage {
            user_id: "u2".into(),
            internet_message_id: "<a@b>".into(),
        };
        assert_eq!(a.id("t"), a.clone().id("t"));
        assert_ne!(a.id("t"), b.id("t"));
        assert_ne!(a.id("t"), a.id("t2"));
        assert!(a.id("t").starts_with("qm-"));
        let u = ActionSpec::Undo {
            action_id: a.id("t"),
        };
        assert_eq!(u.id("t"), format!("undo-{}", a.id("t")));
    }

    #[test]
    fn spec_round_trips_through_json() {
        let a = ActionSpec::RemoveAuthMethod {
            user_id: "u".into(),
            method_id: "m".into(),
            method_type: "#microsoft.graph.phoneAuthenticationMethod".into(),
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["action"], "remove_auth_method");
        assert_eq!(serde_json::from_value::<ActionSpec>(v).unwrap(), a);
        assert!(a.describe().contains("phone method m"));
    }
}
