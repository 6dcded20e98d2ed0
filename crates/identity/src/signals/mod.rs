//! Named, explained signals. Each check looks at one event (the stateful ones live in
//! [`crate::Detector`]) and returns [`SignalHit`]s whose scores add up to the event's verdict.

pub(crate) mod directory;
pub(crate) mod mailbox;
pub(crate) mod signin;

use serde::Serialize;

/// An event whose signal scores add up to this or more is an alert.
pub const ALERT_THRESHOLD: u32 = 50;

/// One signal that fired on an event: a stable id, a weight (0–100) and a plain-words reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalHit {
    pub id: String,
    pub score: u8,
    pub detail: String,
}

impl SignalHit {
    pub fn new(id: impl Into<String>, score: u8, detail: impl Into<String>) -> Self {
        SignalHit {
            id: id.into(),
            score: score.min(100),
            detail: detail.into(),
        }
    }
}

/// Sum of the scores, capped at 100.
pub fn total_score(hits: &[SignalHit]) -> u32 {
    hits.iter()
        .map(|h| u32::from(h.score))
        .sum::<u32>()
        .min(100)
}

/// Whether the hits make the event an alert.
pub fn is_alert(hits: &[SignalHit]) -> bool {
    total_score(hits) >= ALERT_THRESHOLD
}

/// Domain part of an address, lower-cased, without `smtp:` prefixes or brackets.
pub(crate) fn domain_of(addr: &str) -> Option<String> {
    let a = addr
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>' || c == '[' || c == ']');
    let a = a
        .strip_prefix("smtp:")
        .or_else(|| a.strip_prefix("SMTP:"))
        .unwrap_or(a);
    let (_, d) = a.rsplit_once('@')?;
    let d = d
        .trim()
        .trim_end_matches(['>', ']', '"', '.'])
        .to_ascii_lowercase();
    (!d.is_empty() && d.contains('.')).then_some(d)
}

/// Registrable domains shared by unrelated tenants or people: never proof of "same organisation".
const SHARED_SUFFIXES: &[&str] = &[
    "onmicrosoft.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "mail.com",
    "aol.com",
];

/// Whether `d` belongs to the same organisation as any of `own`: equal, a subdomain, or the same
/// registrable domain (unless that is a shared one like `onmicrosoft.com`).
pub(crate) fn same_org(d: &str, own: &[String]) -> bool {
    let reg = |x: &str| psl::domain_str(x).map(str::to_string);
    own.iter().any(|o| {
        if d == o || d.ends_with(&format!(".{o}")) || o.ends_with(&format!(".{d}")) {
            return true;
        }
        match (reg(d), reg(o)) {
            (Some(a), Some(b)) => a == b && !SHARED_SUFFIXES.contains(&a.as_str()),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_orgs() {
        assert_eq!(
            domain_of("smtp:Peter@FamilyGuy.com").as_deref(),
            Some("familyguy.com")
        );
        assert_eq!(domain_of("\"Bob\" <bob@x.org>").as_deref(), Some("x.org"));
        let own = vec!["simpsons.com".to_string()];
        assert!(same_org("springfield.simpsons.com", &own));
        assert!(!same_org("simpsons2.com", &own));
        let tenant = vec!["a.onmicrosoft.com".to_string()];
        assert!(!same_org("evil.onmicrosoft.com", &tenant));
    }
}
