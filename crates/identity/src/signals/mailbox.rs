//! Mailbox signals from Exchange audit records: forwarding out of the organisation, inbox rules
//! that hide or delete mail, rules keyed on payment words, blank-named rules, permission grants,
//! and the shared rule analysis used on Graph `messageRule` snapshots.

use super::{SignalHit, domain_of, same_org};
use crate::event::{Event, Kind};

/// Folders BEC actors move mail to so the victim never sees replies.
pub(crate) const HIDING_FOLDERS: &[&str] = &[
    "rss feeds",
    "rss subscriptions",
    "archive",
    "conversation history",
    "deleted items",
    "junk email",
];

/// Words that rules of invoice-fraud and cover-up actors key on.
pub(crate) const RULE_WORDS: &[&str] = &[
    "invoice",
    "payment",
    "wire",
    "bank",
    "transfer",
    "remittance",
    "swift",
    "iban",
    "ach",
    "payroll",
    "direct deposit",
    "w-2",
    "w2",
    "statement",
    "overdue",
    "hack",
    "phish",
    "suspicious",
    "compromise",
    "security",
    "password",
    "fraud",
    "spam",
];

/// What an inbox rule does, from whichever source described it.
#[derive(Debug, Default)]
pub(crate) struct RuleFacts {
    pub name: Option<String>,
    pub forward_to: Vec<String>,
    pub delete: bool,
    pub mark_read: bool,
    pub stop: bool,
    pub move_to: Option<String>,
    pub words: Vec<String>,
}

/// Signals for one rule. `own` are the organisation's domains as far as the caller knows.
pub(crate) fn rule_signals(user: &str, r: &RuleFacts, own: &[String], out: &mut Vec<SignalHit>) {
    let label = r.name.as_deref().unwrap_or("(unnamed)");
    let external: Vec<&String> = r
        .forward_to
        .iter()
        .filter(|a| domain_of(a).is_none_or(|d| !same_org(&d, own)))
        .collect();
    if !external.is_empty() {
        let list: Vec<&str> = external.iter().map(|s| s.as_str()).collect();
        out.push(SignalHit::new(
            "mailbox.rule_forwards_external",
            75,
            format!(
                "inbox rule '{label}' of {user} forwards mail outside the organisation to {}",
                list.join(", ")
            ),
        ));
    }
    if r.delete {
        out.push(SignalHit::new(
            "mailbox.rule_deletes",
            55,
            format!("inbox rule '{label}' of {user} deletes incoming mail"),
        ));
    }
    if r.mark_read && r.stop {
        out.push(SignalHit::new(
            "mailbox.rule_marks_read_and_stops",
            45,
            format!("inbox rule '{label}' of {user} marks mail read and stops other rules"),
        ));
    }
    if let Some(folder) = &r.move_to {
        let f = folder.to_ascii_lowercase();
        let f = f.trim_start_matches(['\\', '/', ':']);
        if HIDING_FOLDERS
            .iter()
            .any(|h| f == *h || f.ends_with(&format!("\\{h}")) || f.ends_with(&format!("/{h}")))
        {
            out.push(SignalHit::new(
                "mailbox.rule_hides_mail",
                50,
                format!(
                    "inbox rule '{label}' of {user} moves mail to '{folder}', a folder nobody reads"
                ),
            ));
        }
    }
    let hits: Vec<&str> = RULE_WORDS
        .iter()
        .copied()
        .filter(|w| {
            r.words
                .iter()
                .any(|x| contains_word(&x.to_ascii_lowercase(), w))
        })
        .collect();
    if !hits.is_empty() {
        out.push(SignalHit::new(
            "mailbox.rule_payment_words",
            35,
            format!(
                "inbox rule '{label}' of {user} acts on mail mentioning {}",
                hits.join(", ")
            ),
        ));
    }
    let blank = r.name.as_deref().is_none_or(|n| {
        let t = n.trim();
        t.chars().filter(|c| c.is_alphanumeric()).count() < 2
    });
    if blank && (r.delete || r.move_to.is_some() || !r.forward_to.is_empty() || r.mark_read) {
        out.push(SignalHit::new(
            "mailbox.rule_blank_name",
            35,
            format!(
                "inbox rule of {user} has a blank or punctuation-only name ('{}')",
                r.name.as_deref().unwrap_or("")
            ),
        ));
    }
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric())
            && after.is_none_or(|c| !c.is_alphabetic() || c == 's')
    })
}

fn truthy(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Splits a cmdlet's recipient list (`a@x;b@y`, `"Name" [SMTP:a@x]`, `smtp:a@x`).
pub(crate) fn recipients(v: &str) -> Vec<String> {
    v.split([';', ','])
        .map(|s| {
            let s = s.trim();
            match (s.rfind('['), s.rfind(']')) {
                (Some(a), Some(b)) if a < b => s[a + 1..b].to_string(),
                _ => s.to_string(),
            }
        })
        .map(|s| {
            s.trim_start_matches("SMTP:")
                .trim_start_matches("smtp:")
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The organisation's domains visible in one record: the user's, the actor's, the mailbox's,
/// the tenant name, and the configured ones.
pub(crate) fn own_domains(e: &Event, configured: &[String]) -> Vec<String> {
    let mut own: Vec<String> = configured.to_vec();
    for a in [
        e.user.as_deref(),
        e.actor.as_deref(),
        e.param("Mailbox"),
        e.param("Identity"),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(d) = domain_of(a) {
            own.push(d);
        }
    }
    if let Some(org) = crate::adapters::util::get_str(&e.raw, &["OrganizationName"]) {
        own.push(org.to_ascii_lowercase());
    }
    own
}

pub(crate) fn check(e: &Event, configured: &[String], out: &mut Vec<SignalHit>) {
    if e.kind != Kind::Mailbox || e.success == Some(false) {
        return;
    }
    let op = e.op_lower();
    let user = e.user.as_deref().unwrap_or("unknown mailbox");
    let own = own_domains(e, configured);
    match op.as_str() {
        "set-mailbox" => {
            for key in ["ForwardingSmtpAddress", "ForwardingAddress"] {
                let Some(target) = e.param(key).filter(|t| !t.trim().is_empty()) else {
                    continue;
                };
                let external = match domain_of(target) {
                    Some(d) => !same_org(&d, &own),
                    None => false,
                };
                if external {
                    let keep = if truthy(e.param("DeliverToMailboxAndForward")) {
                        ""
                    } else {
                        " and keeps no copy"
                    };
                    out.push(SignalHit::new(
                        "mailbox.forwarding_external",
                        80,
                        format!("mailbox {user} now forwards all mail outside the organisation to {}{keep}", target.trim_start_matches("smtp:").trim_start_matches("SMTP:")),
                    ));
                }
            }
            if e.param("GrantSendOnBehalfTo").is_some() {
                out.push(SignalHit::new(
                    "mailbox.permission_grant",
                    40,
                    format!("send-on-behalf rights on {user} granted"),
                ));
            }
        }
        "new-inboxrule" | "set-inboxrule" | "enable-inboxrule" => {
            let mut r = RuleFacts {
                name: e.param("Name").map(str::to_string).or_else(|| {
                    e.param("Identity")
                        .map(|i| i.rsplit('\\').next().unwrap_or(i).to_string())
                }),
                ..RuleFacts::default()
            };
            for key in ["ForwardTo", "ForwardAsAttachmentTo", "RedirectTo"] {
                if let Some(v) = e.param(key) {
                    r.forward_to.extend(recipients(v));
                }
            }
            r.delete = truthy(e.param("DeleteMessage")) || truthy(e.param("SoftDeleteMessage"));
            r.mark_read = truthy(e.param("MarkAsRead"));
            r.stop = truthy(e.param("StopProcessingRules"));
            r.move_to = e.param("MoveToFolder").map(str::to_string);
            for key in [
                "SubjectContainsWords",
                "SubjectOrBodyContainsWords",
                "BodyContainsWords",
                "FromAddressContainsWords",
            ] {
                if let Some(v) = e.param(key) {
                    r.words.push(v.to_string());
                }
            }
            rule_signals(user, &r, &own, out);
        }
        "updateinboxrules" => {
            let text = e
                .parameters
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_lowercase();
            let forwards = text.contains("forward") || text.contains("redirect");
            out.push(SignalHit::new(
                "mailbox.outlook_rule_change",
                if forwards { 60 } else { 30 },
                format!(
                    "inbox rules of {user} changed from an Outlook client{}",
                    if forwards {
                        " to forward or redirect mail"
                    } else {
                        ""
                    }
                ),
            ));
        }
        "add-mailboxpermission" | "add-recipientpermission" => {
            let rights = e.param("AccessRights").unwrap_or("");
            let grantee = e
                .param("User")
                .or_else(|| e.param("Trustee"))
                .unwrap_or("someone");
            out.push(SignalHit::new(
                "mailbox.permission_grant",
                45,
                format!(
                    "{grantee} was granted {} on mailbox {user}",
                    if rights.is_empty() { "access" } else { rights }
                ),
            ));
        }
        "add-mailboxfolderpermission" | "set-mailboxfolderpermission" => {
            out.push(SignalHit::new(
                "mailbox.permission_grant",
                30,
                format!("folder permission changed on mailbox {user}"),
            ));
        }
        "new-transportrule" | "set-transportrule" => {
            let redirect = [
                "RedirectMessageTo",
                "BlindCopyTo",
                "CopyTo",
                "AddToRecipients",
            ]
            .iter()
            .filter_map(|k| e.param(k))
            .flat_map(recipients)
            .filter(|a| domain_of(a).is_some_and(|d| !same_org(&d, &own)))
            .collect::<Vec<_>>();
            if !redirect.is_empty() {
                out.push(SignalHit::new(
                    "mailbox.transport_rule_external",
                    70,
                    format!(
                        "mail flow rule copies or redirects the organisation's mail to {}",
                        redirect.join(", ")
                    ),
                ));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_forms() {
        assert_eq!(recipients("a@x.com;b@y.com"), vec!["a@x.com", "b@y.com"]);
        assert_eq!(
            recipients("\"Eve\" [SMTP:eve@evil.com]"),
            vec!["eve@evil.com"]
        );
    }

    #[test]
    fn word_boundaries() {
        assert!(contains_word("urgent invoice due", "invoice"));
        assert!(!contains_word("achievement", "ach"));
        assert!(contains_word("invoices", "invoice"));
    }
}
