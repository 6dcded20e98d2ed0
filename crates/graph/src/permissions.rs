//! The 14 permissions Ward asks for, in words an IT admin understands (`ward connect`).

use crate::token::Resource;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionType {
    /// Application permission (token `roles`).
    Application,
    /// Delegated (token `scp`) — only for admins signing in to the dashboard.
    Delegated,
}

#[derive(Debug, Clone, Copy)]
pub struct Permission {
    pub identifier: &'static str,
    pub resource: Resource,
    pub kind: PermissionType,
    /// As shown in the Entra admin center.
    pub display: &'static str,
    /// What stops working without it.
    pub without_it: &'static str,
}

pub const PERMISSIONS: &[Permission] = &[
    Permission {
        identifier: "AuditLog.Read.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read all audit log data",
        without_it: "Ward cannot read sign-ins or directory audits, so it will not see account takeovers (impossible travel, password spray, MFA changes) or the MFA registration report.",
    },
    Permission {
        identifier: "AuditLogsQuery.Read.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read audit logs data from all services",
        without_it: "Ward cannot search the Purview audit log, so it cannot backfill older events or show which mails an attacker read.",
    },
    Permission {
        identifier: "Mail.ReadWrite",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read and write mail in all mailboxes",
        without_it: "Ward cannot read new mail to analyse it, and cannot quarantine, restore or purge malicious messages.",
    },
    Permission {
        identifier: "MailboxSettings.ReadWrite",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read and write all user mailbox settings",
        without_it: "Ward cannot see or remove malicious inbox rules (hidden forwarding, auto-delete) or attacker auto-replies.",
    },
    Permission {
        identifier: "Policy.Read.ConditionalAccess",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read your organization's conditional access policies",
        without_it: "Ward cannot check whether MFA is enforced or legacy sign-in is blocked.",
    },
    Permission {
        identifier: "Reports.Read.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read all usage reports",
        without_it: "Ward cannot read mailbox usage, so it has no activity baselines (e.g. a sudden spike of sent mail).",
    },
    Permission {
        identifier: "SecurityAnalyzedMessage.Read.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read metadata and detection details for all emails in your organization",
        without_it: "Ward cannot see Defender's verdicts or quickly find every recipient of a phishing campaign (it falls back to searching mailbox by mailbox).",
    },
    Permission {
        identifier: "User.Read.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read all users' full profiles",
        without_it: "Ward cannot list your users and mailboxes, so it protects nobody.",
    },
    Permission {
        identifier: "UserAuthenticationMethod.ReadWrite.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read and write all users' authentication methods",
        without_it: "Ward cannot see MFA methods an attacker added, nor remove them during containment.",
    },
    Permission {
        identifier: "User.Read",
        resource: Resource::Graph,
        kind: PermissionType::Delegated,
        display: "Sign in and read user profile",
        without_it: "Admins cannot sign in to Ward's dashboard with their Microsoft 365 account.",
    },
    Permission {
        identifier: "User-PasswordProfile.ReadWrite.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read and write all password profiles and reset user passwords",
        without_it: "Ward cannot force a password reset on a compromised account.",
    },
    Permission {
        identifier: "User.RevokeSessions.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Revoke all sign in sessions for a user",
        without_it: "Ward cannot sign an attacker out of a compromised account.",
    },
    Permission {
        identifier: "ActivityFeed.Read",
        resource: Resource::Management,
        kind: PermissionType::Application,
        display: "Read activity data for your organization",
        without_it: "Ward cannot read the unified audit stream, so it misses mailbox forwarding set by admins or attackers, rules created in Outlook, and app consents.",
    },
    Permission {
        identifier: "Application.Read.All",
        resource: Resource::Graph,
        kind: PermissionType::Application,
        display: "Read all applications",
        without_it: "Ward cannot see third-party apps that can read your mail, or new credentials added to apps.",
    },
];

/// Application permissions of `resource` missing from a token's `roles`.
pub fn missing_roles(resource: Resource, roles: &[String]) -> Vec<&'static Permission> {
    PERMISSIONS
        .iter()
        .filter(|p| p.resource == resource && p.kind == PermissionType::Application)
        .filter(|p| !roles.iter().any(|r| r.eq_ignore_ascii_case(p.identifier)))
        .collect()
}
