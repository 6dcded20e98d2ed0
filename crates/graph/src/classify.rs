//! Derives, from a request URL, the mailbox it touches (for per-mailbox limits), the throttle
//! key, a request kind for the counters, and a human description for error messages.

use crate::url::decode;

/// Sub-resources of `/users/{id}/` that Exchange serves (and throttles per mailbox).
const MAILBOX_SEGMENTS: &[&str] = &[
    "messages",
    "mailfolders",
    "mailboxsettings",
    "inferenceclassification",
    "outlook",
    "events",
    "calendar",
    "contacts",
    "contactfolders",
];

pub(crate) struct Class {
    pub kind: &'static str,
    pub mailbox: Option<String>,
    pub context: String,
}

/// Path segments after the API version root (`/v1.0`, `/beta`) or the Management feed root.
fn segments(url: &str) -> Vec<String> {
    let path = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map(|j| &rest[j..]).unwrap_or("/")
        }
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    // Drop everything up to and including the version segment when present.
    if let Some(pos) = segs.iter().position(|s| s == "v1.0" || s == "beta") {
        segs[pos + 1..].to_vec()
    } else {
        segs
    }
}

/// Normalised mailbox key: the `{id}` after `/users/`, percent-decoded, lower-cased.
pub(crate) fn mailbox_of(url: &str) -> Option<String> {
    let segs = segments(url);
    let i = segs.iter().position(|s| s.eq_ignore_ascii_case("users"))?;
    let id = segs.get(i + 1)?;
    let next = segs.get(i + 2)?.to_ascii_lowercase();
    let next = next.split('(').next().unwrap_or("").to_owned();
    if MAILBOX_SEGMENTS.contains(&next.as_str()) {
        Some(id.to_ascii_lowercase())
    } else {
        None
    }
}

pub(crate) fn classify(url: &str) -> Class {
    let segs = segments(url);
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let has = |s: &str| {
        lower
            .iter()
            .any(|x| x == s || x.starts_with(&format!("{s}(")))
    };
    let mailbox = mailbox_of(url);
    if lower.iter().any(|s| s == "activity") && has("feed") {
        let kind = if has("content") {
            "management.content"
        } else if has("audit") {
            "management.blob"
        } else {
            "management.subscriptions"
        };
        return Class {
            kind,
            mailbox: None,
            context: "the Office 365 audit feed".into(),
        };
    }
    if let Some(mb) = &mailbox {
        let kind = if has("delta") && has("messages") {
            "messages.delta"
        } else if has("messagerules") {
            "mail.rules"
        } else if has("attachments") {
            "mail.attachments"
        } else if lower.last().map(|s| s == "$value").unwrap_or(false) {
            "mail.mime"
        } else if has("move") || has("copy") {
            "mail.move"
        } else if has("permanentdelete") {
            "mail.delete"
        } else if has("messages") {
            "mail.messages"
        } else if has("mailfolders") {
            "mail.folders"
        } else if has("mailboxsettings") {
            "mail.settings"
        } else {
            "mail.other"
        };
        return Class {
            kind,
            mailbox: Some(mb.clone()),
            context: format!("mailbox {}", segs_user(&segs)),
        };
    }
    let first = lower.first().map(String::as_str).unwrap_or("");
    let (kind, context): (&'static str, String) = match first {
        "$batch" => ("batch", "a batch request".into()),
        "users" if has("delta") => ("users.delta", "the user directory".into()),
        "users" if has("authentication") => (
            "users.authMethods",
            format!("the authentication methods of user {}", segs_user(&segs)),
        ),
        "users" if has("revokesigninsessions") => {
            ("users.revokeSessions", format!("user {}", segs_user(&segs)))
        }
        "users" if segs.len() >= 2 => ("users.get", format!("user {}", segs_user(&segs))),
        "users" => ("users.list", "the user directory".into()),
        "auditlogs" if has("signins") => ("auditLogs.signIns", "the sign-in logs".into()),
        "auditlogs" => (
            "auditLogs.directoryAudits",
            "the directory audit logs".into(),
        ),
        "identity" => (
            "conditionalAccess",
            "the Conditional Access policies".into(),
        ),
        "reports" => (
            "reports",
            "the authentication methods registration report".into(),
        ),
        "security" => ("security.analyzedEmails", "Defender analyzed emails".into()),
        "applications" => ("applications", "the app registrations".into()),
        "serviceprincipals" => ("servicePrincipals", "the service principals".into()),
        "subscriptions" => ("subscriptions", "change-notification subscriptions".into()),
        _ => ("other", format!("/{}", segs.join("/"))),
    };
    Class {
        kind,
        mailbox: None,
        context,
    }
}

fn segs_user(segs: &[String]) -> String {
    segs.iter()
        .position(|s| s.eq_ignore_ascii_case("users"))
        .and_then(|i| segs.get(i + 1))
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn mailbox_keys() {
        assert_eq!(
            mailbox_of("https://g/v1.0/users/Alice%40Contoso.com/messages?$top=5").as_deref(),
            Some("alice@contoso.com")
        );
        assert_eq!(
            mailbox_of("/users/abc/mailFolders('inbox')/messages/delta").as_deref(),
            Some("abc")
        );
        assert_eq!(mailbox_of("https://g/v1.0/users/abc"), None);
        assert_eq!(
            mailbox_of("https://g/v1.0/users/abc/authentication/methods"),
            None
        );
        let c = classify("https://g/v1.0/users/a@b.c/mailFolders/inbox/messageRules");
        assert_eq!(c.kind, "mail.rules");
        assert_eq!(c.context, "mailbox a@b.c");
        assert_eq!(
            classify("http://127.0.0.1:1/v1.0/auditLogs/signIns?$filter=x").kind,
            "auditLogs.signIns"
        );
    }
}
