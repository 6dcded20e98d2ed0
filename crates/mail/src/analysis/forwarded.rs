//! Messages forwarded inline: the original's header block quoted in the body (Outlook's
//! "From: … Sent: … Subject: …", Gmail's "Forwarded message" block, Apple Mail's, in the six
//! languages: "De: … Enviado: …", "Von: … Gesendet: …", "Van: … Verzonden: …"). What the
//! reader acts on is the original, so its sender is judged like a sender: a name claiming a
//! brand whose domain the address is not at raises `identity.brand_name_mismatch`, with
//! evidence saying it is the forwarded message's sender. Part of the identity family.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

use super::identity::{brand_owns, claimed_brand};
use crate::context::Ctx;
use crate::text::{registrable_domain, truncate};

/// The labels of the sender's line in a forwarded header block (before the colon).
const FROM_LABELS: &[&str] = &["from", "de", "von", "van", "da"];

/// The labels that follow it within a few lines.
const DATE_LABELS: &[&str] = &[
    "sent:",
    "date:",
    "enviado:",
    "enviado el:",
    "gesendet:",
    "datum:",
    "verzonden:",
    "envoyé :",
    "envoyé:",
    "fecha:",
    "data:",
];

/// A case-insensitive search for the date labels.
static DATE_LABEL: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(DATE_LABELS)
        .ok()
});

/// Where a sender label's line continues: every colon preceded by one of [`FROM_LABELS`]
/// (and optionally a space, as French writes "De :"), the label starting the text or following a
/// space or a separator ("____ From:", "> De:"). Colons are found with `memchr`: a pass over
/// the text costs far less than an automaton for short labels.
fn sender_labels(text: &str) -> impl Iterator<Item = usize> + '_ {
    let b = text.as_bytes();
    memchr::memchr_iter(b':', b).filter_map(move |colon| {
        let mut end = colon;
        if end > 0 && b[end - 1] == b' ' {
            end -= 1;
        }
        FROM_LABELS.iter().find_map(|l| {
            let start = end.checked_sub(l.len())?;
            let word = &b[start..end];
            let separated = start == 0
                || matches!(
                    b[start - 1],
                    b' ' | b'\t' | b'\n' | b'\r' | b'_' | b'-' | b'*' | b'>'
                );
            (separated && word.eq_ignore_ascii_case(l.as_bytes())).then_some(colon + 1)
        })
    })
}

/// Text read per body for forwarded blocks, and sender lines looked at per body.
const MAX_SCAN: usize = 64 * 1024;
const MAX_BLOCKS: usize = 8;

/// The sender of a forwarded header block whose sender label ends at `at`: `Name <address>`
/// or `Name [mailto:address]` on the rest of the line, with a date label within 200 bytes
/// after it. Returns the name and the lower-cased address.
fn sender_at(text: &str, at: usize, dates: &AhoCorasick) -> Option<(String, String)> {
    let rest = &text[at..];
    let line = truncate(&rest[..rest.find(['\r', '\n']).unwrap_or(rest.len())], 200);
    let open = line.find(['<', '['])?;
    let name = line[..open].trim().trim_matches(['"', '\'']);
    if name.is_empty() || name.len() > 80 || name.contains(':') {
        return None;
    }
    let inner = &line[open + 1..];
    let close = inner.find(['>', ']'])?;
    let address = inner[..close].trim();
    let address = address.strip_prefix("mailto:").unwrap_or(address);
    let (local, domain) = address.rsplit_once('@')?;
    if local.is_empty() || !domain.contains('.') || address.contains(char::is_whitespace) {
        return None;
    }
    let after = open + 1 + close + 1;
    let window = truncate(&rest[after..], 200);
    dates
        .is_match(window)
        .then(|| (name.to_string(), address.to_ascii_lowercase()))
}

pub fn analyze(ctx: &mut Ctx<'_>) {
    let Some(dates) = DATE_LABEL.as_ref() else {
        return;
    };
    // Plain parts keep the block's lines; the HTML's visible text is read too.
    let mut texts: Vec<&str> = ctx
        .mail
        .text_bodies
        .iter()
        .map(|t| truncate(t, MAX_SCAN))
        .collect();
    texts.push(truncate(&ctx.text, MAX_SCAN));
    let mut finding = None;
    'texts: for t in texts {
        for at in sender_labels(t).take(MAX_BLOCKS) {
            let Some((name, address)) = sender_at(t, at, dates) else {
                continue;
            };
            let Some((_, domain)) = address.rsplit_once('@') else {
                continue;
            };
            let reg = registrable_domain(domain);
            if let Some((brand, said)) = claimed_brand(&name)
                && !brand_owns(brand, &reg)
            {
                finding = Some(format!(
                    "the forwarded message's sender name says {} (\"{said}\") but the address \
                     is at {reg}",
                    brand.name
                ));
                break 'texts;
            }
        }
    }
    if let Some(d) = finding {
        ctx.add("identity.brand_name_mismatch", d);
    }
}
