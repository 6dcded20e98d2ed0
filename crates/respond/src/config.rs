//! How Ward responds: the mode of each action, where quarantined mail goes, where reset
//! passwords are delivered, and the playbooks that map incidents to actions. All of it is data
//! (the `[respond]` section of `ward.toml`), with defaults that act only when a person says so.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What happens when Ward decides an action is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Record what would be done (journal), do nothing.
    Observe,
    /// Queue for a person (`ward respond approve`).
    Approve,
    /// Act at once when the incident's severity reaches `auto_min_severity`; below it, queue.
    Auto,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Observe => "observe",
            Mode::Approve => "approve",
            Mode::Auto => "auto",
        }
    }
}

/// Where quarantined messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum QuarantineTarget {
    /// A hidden folder Ward creates in each mailbox (users do not see it in Outlook).
    #[default]
    Folder,
    /// The user's Junk Email folder (visible to the user).
    Junk,
}

/// Where a generated password goes. Never a log, never the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PasswordChannel {
    /// No channel configured: password resets are refused (they would lock the user out with
    /// a password nobody knows).
    None,
    /// One file per reset in this directory, readable by its owner only (0600), for the help
    /// desk to hand over out of band.
    Directory { path: PathBuf },
}

/// One playbook: when an incident of `incident` kind (and at least `min_severity`, and when
/// `any_signal` is set, with at least one of those signals in its timeline) opens or changes,
/// request these steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Playbook {
    /// Incident kind (`mail_campaign`, `account_takeover`, ...), or `*` for any.
    pub incident: String,
    #[serde(default = "default_min_severity")]
    pub min_severity: String,
    /// Signal ids (e.g. `signin.mfa_fatigue_success`); empty = no signal condition.
    #[serde(default)]
    pub any_signal: Vec<String>,
    pub steps: Vec<Step>,
}

impl Playbook {
    /// Whether this playbook applies to an incident of `kind` and `severity` whose timeline
    /// holds `signals`.
    pub fn applies(&self, kind: &str, severity: &str, signals: &[String]) -> bool {
        (self.incident == "*" || self.incident == kind)
            && severity_rank(severity) >= severity_rank(&self.min_severity)
            && (self.any_signal.is_empty() || self.any_signal.iter().any(|s| signals.contains(s)))
    }
}

fn default_min_severity() -> String {
    "medium".into()
}

/// A playbook step; each expands into concrete actions for the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Quarantine every copy of the campaign's message (and its variants) in every mailbox.
    Pull,
    /// Purge every copy instead (irreversible).
    Purge,
    RevokeSessions,
    ResetPassword,
    /// Delete the suspicious inbox rules created during the compromise (definitions kept).
    RemoveNewRules,
    /// Disable them instead of deleting.
    DisableNewRules,
    /// Remove MFA methods added during the compromise, keeping the known-good ones.
    RemoveNewMfa,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RespondConfig {
    /// Mode of every action kind not listed in `modes`.
    pub default_mode: Mode,
    /// Per action kind (`quarantine_message`, `reset_password`, ...).
    pub modes: BTreeMap<String, Mode>,
    /// In auto mode, act without a person only on incidents at least this severe.
    pub auto_min_severity: String,
    pub quarantine: QuarantineTarget,
    /// Display name of the hidden quarantine folder.
    pub quarantine_folder: String,
    pub password_channel: PasswordChannel,
    /// Also require MFA re-registration at the next sign-in after a reset.
    pub reset_requires_mfa: bool,
    /// Mailboxes worked on at once during a campaign pull: with `$batch` (20 mailboxes to a
    /// request), 100 means five batches in flight. Outlook's limits are per mailbox (4 requests
    /// at once), so this bounds Ward's load on Microsoft 365, not the risk of throttling.
    pub parallel_mailboxes: usize,
    pub playbooks: Vec<Playbook>,
}

impl Default for RespondConfig {
    fn default() -> Self {
        RespondConfig {
            default_mode: Mode::Approve,
            modes: BTreeMap::new(),
            auto_min_severity: "high".into(),
            quarantine: QuarantineTarget::Folder,
            quarantine_folder: "Ward Quarantine".into(),
            password_channel: PasswordChannel::None,
            reset_requires_mfa: false,
            parallel_mailboxes: 100,
            playbooks: default_playbooks(),
        }
    }
}

impl RespondConfig {
    pub fn mode_of(&self, kind: &str) -> Mode {
        self.modes.get(kind).copied().unwrap_or(self.default_mode)
    }
}

/// The built-in playbooks: pull confirmed phishing everywhere; contain a takeover by cutting
/// sessions, resetting the password and removing the attacker's persistence.
pub fn default_playbooks() -> Vec<Playbook> {
    let takeover = vec![
        Step::RevokeSessions,
        Step::ResetPassword,
        Step::RemoveNewRules,
        Step::RemoveNewMfa,
    ];
    vec![
        Playbook {
            incident: "mail_campaign".into(),
            min_severity: "medium".into(),
            any_signal: vec![],
            steps: vec![Step::Pull],
        },
        Playbook {
            incident: "account_takeover".into(),
            min_severity: "medium".into(),
            any_signal: vec![],
            steps: takeover.clone(),
        },
        Playbook {
            incident: "mailbox_abuse".into(),
            min_severity: "medium".into(),
            any_signal: vec![],
            steps: takeover,
        },
        Playbook {
            // A user approved a push after a fatigue storm: the attacker holds the password and
            // a session. Whatever the incident is called, cut both.
            incident: "*".into(),
            min_severity: "high".into(),
            any_signal: vec!["signin.mfa_fatigue_success".into()],
            steps: vec![Step::ResetPassword, Step::RevokeSessions],
        },
    ]
}

/// Severity rank for comparisons (`low` < `medium` < `high` < `critical`).
pub fn severity_rank(s: &str) -> u8 {
    match s.to_ascii_lowercase().as_str() {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_from_toml_shape() {
        let v: RespondConfig = serde_json::from_value(serde_json::json!({
            "default_mode": "observe",
            "modes": {"quarantine_message": "auto"},
            "quarantine": "junk",
            "password_channel": {"kind": "directory", "path": "/secure"},
        }))
        .unwrap();
        assert_eq!(v.mode_of("quarantine_message"), Mode::Auto);
        assert_eq!(v.mode_of("reset_password"), Mode::Observe);
        assert_eq!(v.quarantine, QuarantineTarget::Junk);
        assert!(!v.playbooks.is_empty());
        assert!(severity_rank("high") > severity_rank("medium"));
        let fatigue = default_playbooks()
            .into_iter()
            .find(|p| !p.any_signal.is_empty())
            .unwrap();
        let sig = |s: &str| vec![s.to_string()];
        assert!(fatigue.applies(
            "suspicious_sign_in",
            "critical",
            &sig("signin.mfa_fatigue_success")
        ));
        assert!(!fatigue.applies(
            "suspicious_sign_in",
            "critical",
            &sig("signin.password_spray")
        ));
        assert!(!fatigue.applies(
            "suspicious_sign_in",
            "medium",
            &sig("signin.mfa_fatigue_success")
        ));
    }
}
