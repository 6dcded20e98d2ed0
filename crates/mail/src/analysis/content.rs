//! Content: what the words ask for. Credential requests, account threats, urgency, payment and
//! bank-detail changes (IBANs), gift cards, invoices and wires, call-back numbers, prizes,
//! crypto, advance-fee stories, parcel lures, BEC openers — in six languages (see
//! [`crate::lexicon`]) — plus disguised subjects and personalisation with the victim's address.

use std::sync::LazyLock;

use regex::Regex;

use crate::context::Ctx;
use crate::lexicon::Topic;
use crate::text::{fold, quote};

static IBAN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?(?-u:\b)").ok()
});
static GLUED_TOKEN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[a-z][A-Z0-9]{8,16}|[A-Z0-9]{8,16}[a-z]").ok());
static PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:\+?[0-9]{1,3}[ .\-]?)?\(?[0-9]{3}\)?[ .\-][0-9]{3}[ .\-][0-9]{4}(?-u:\b)|\+[0-9]{2,3}[ 0-9]{8,14}[0-9]")
        .ok()
});

/// Whether `text` has two capital letters followed by two digits, as every IBAN starts: a
/// byte scan that lets most messages skip the IBAN expression.
fn may_hold_iban(text: &[u8]) -> bool {
    text.windows(4).any(|w| {
        w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
            && w[0].is_ascii_uppercase()
            && w[1].is_ascii_uppercase()
    })
}

/// Whether `text` could hold three glued tokens ([`GLUED_TOKEN`] matches): they do not overlap
/// and each holds at least eight capitals or digits from a run next to a lower-case letter, so
/// such runs must hold 24 of them together. Every run of eight or more covers a multiple of
/// eight, so only every eighth byte is looked at until one falls in a run, which is then read
/// whole: most messages skip the expression after a scan of an eighth of their text.
fn may_glue_tokens(text: &[u8]) -> bool {
    let in_run = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let lower_at = |i: usize| text.get(i).is_some_and(u8::is_ascii_lowercase);
    let (mut total, mut i) = (0usize, 0usize);
    while i < text.len() {
        if !in_run(text[i]) {
            i += 8;
            continue;
        }
        let mut start = i;
        while start > 0 && in_run(text[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < text.len() && in_run(text[end]) {
            end += 1;
        }
        if end - start >= 8 && ((start > 0 && lower_at(start - 1)) || lower_at(end)) {
            total += end - start;
            if total >= 24 {
                return true;
            }
        }
        // The next multiple of eight past the run.
        i = (end + 8) & !7;
    }
    false
}

/// ISO 13616 check digits (mod 97).
pub fn iban_valid(iban: &str) -> bool {
    if iban.len() < 15 || !iban.is_ascii() {
        return false;
    }
    let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn list(ctx: &Ctx<'_>, t: Topic) -> String {
    ctx.topics
        .get(t)
        .iter()
        .take(4)
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn analyze(ctx: &mut Ctx<'_>) {
    let n = |ctx: &Ctx<'_>, t: Topic| ctx.topics.count(t);

    let cred = n(ctx, Topic::Credential);
    if cred >= 3 {
        ctx.add(
            "content.credential_request_strong",
            format!(
                "asks repeatedly for sign-in or account details: {}",
                list(ctx, Topic::Credential)
            ),
        );
    } else if cred >= 1 {
        ctx.add(
            "content.credential_request",
            format!(
                "asks for sign-in or account details: {}",
                list(ctx, Topic::Credential)
            ),
        );
    }
    if n(ctx, Topic::AccountThreat) >= 1 {
        ctx.add(
            "content.account_threat",
            format!("threatens the account: {}", list(ctx, Topic::AccountThreat)),
        );
    }
    let urg = n(ctx, Topic::Urgency);
    if urg >= 2 {
        ctx.add(
            "content.urgency_strong",
            format!("presses for time: {}", list(ctx, Topic::Urgency)),
        );
    } else if urg == 1 {
        ctx.add(
            "content.urgency",
            format!("presses for time: {}", list(ctx, Topic::Urgency)),
        );
    }
    if n(ctx, Topic::PaymentChange) >= 1 {
        ctx.add(
            "content.payment_change",
            format!(
                "announces new or changed bank details: {}",
                list(ctx, Topic::PaymentChange)
            ),
        );
    }
    if let Some(re) = IBAN.as_ref()
        && may_hold_iban(ctx.text.as_bytes())
        && let Some(m) = re.find(&ctx.text)
    {
        let compact: String = m.as_str().chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() >= 15 && compact.len() <= 34 && iban_valid(&compact) {
            ctx.add(
                "content.iban",
                format!(
                    "gives a bank account number (IBAN {}…)",
                    &compact[..8.min(compact.len())]
                ),
            );
        }
    }
    if n(ctx, Topic::GiftCard) >= 1 {
        ctx.add(
            "content.gift_card",
            format!(
                "talks about buying gift cards: {}",
                list(ctx, Topic::GiftCard)
            ),
        );
    }
    if n(ctx, Topic::InvoiceWire) >= 1 {
        ctx.add(
            "content.invoice_wire",
            format!(
                "talks about invoices or transfers: {}",
                list(ctx, Topic::InvoiceWire)
            ),
        );
    }
    if n(ctx, Topic::Billing) >= 1 {
        ctx.add(
            "content.billing_problem",
            format!(
                "claims a billing or subscription problem: {}",
                list(ctx, Topic::Billing)
            ),
        );
    }
    if n(ctx, Topic::Callback) >= 1
        && let Some(p) = PHONE.as_ref().and_then(|re| re.find(&ctx.text))
    {
        ctx.add(
            "content.callback_number",
            format!(
                "asks the reader to call {} ({})",
                p.as_str().trim(),
                list(ctx, Topic::Callback)
            ),
        );
    }
    let prize = n(ctx, Topic::Prize);
    if prize >= 4 {
        ctx.add(
            "content.prize_strong",
            format!("promises prizes or rewards: {}", list(ctx, Topic::Prize)),
        );
    } else if prize >= 2 {
        ctx.add(
            "content.prize",
            format!("promises prizes or rewards: {}", list(ctx, Topic::Prize)),
        );
    }
    if n(ctx, Topic::Crypto) >= 2 {
        ctx.add(
            "content.crypto",
            format!(
                "is about crypto wallets or tokens: {}",
                list(ctx, Topic::Crypto)
            ),
        );
    }
    let af = n(ctx, Topic::AdvanceFee);
    if af >= 3 {
        ctx.add(
            "content.advance_fee",
            format!(
                "tells an advance-fee story: {}",
                list(ctx, Topic::AdvanceFee)
            ),
        );
    }
    if n(ctx, Topic::Delivery) >= 2 {
        ctx.add(
            "content.delivery_lure",
            format!("is about a parcel delivery: {}", list(ctx, Topic::Delivery)),
        );
    }
    if n(ctx, Topic::MoneyOffer) >= 2 {
        ctx.add(
            "content.money_offer",
            format!(
                "offers loans or easy money: {}",
                list(ctx, Topic::MoneyOffer)
            ),
        );
    }
    if n(ctx, Topic::HealthProduct) >= 2 {
        ctx.add(
            "content.health_product",
            format!(
                "sells a miracle health product: {}",
                list(ctx, Topic::HealthProduct)
            ),
        );
    }
    if n(ctx, Topic::Legal) >= 2 {
        ctx.add(
            "content.legal_threat",
            format!(
                "threatens court or collection action: {}",
                list(ctx, Topic::Legal)
            ),
        );
    }
    if n(ctx, Topic::Adult) >= 2 {
        ctx.add(
            "content.adult",
            format!(
                "is about dating or adult content: {}",
                list(ctx, Topic::Adult)
            ),
        );
    }
    if n(ctx, Topic::BecRequest) >= 1 && ctx.links.is_empty() && ctx.mail.attachments.is_empty() {
        ctx.add(
            "content.bec_request",
            format!(
                "a short, link-less request: {}",
                list(ctx, Topic::BecRequest)
            ),
        );
    }
    if n(ctx, Topic::Secrecy) >= 1 {
        ctx.add(
            "content.secrecy",
            format!("asks for discretion: {}", list(ctx, Topic::Secrecy)),
        );
    }

    let visible: usize = ctx.text.len().saturating_sub(ctx.mail.subject.len());
    let docs = ctx
        .mail
        .attachments
        .iter()
        .filter(|a| !a.content_type.starts_with("image/") && !a.inline)
        .count();
    if docs > 0 && visible < 80 {
        ctx.add(
            "content.attachment_only",
            "the message is an attachment with almost no text to explain it",
        );
    }
    if ctx.mail.subject.trim().is_empty() {
        ctx.add("content.no_subject", "the message has no subject");
    }
    if ctx.mail.top_content_type == "multipart/form-data" {
        ctx.add(
            "content.odd_structure",
            "the message is built as a web form upload (multipart/form-data), not as mail",
        );
    }

    // Disguised subject: styled letters, invisible characters or mixed alphabets.
    let subject = ctx.mail.subject.clone();
    if subject.chars().any(crate::text::is_math_alnum)
        || subject
            .chars()
            .filter(|c| crate::text::is_invisible(*c))
            .count()
            >= 2
    {
        ctx.add(
            "content.subject_obfuscated",
            format!(
                "the subject is written with styled or invisible characters (\"{}\")",
                quote(&fold(&subject))
            ),
        );
    } else if let Some(w) = super::identity::mixed_script_word(&subject) {
        ctx.add(
            "content.subject_obfuscated",
            format!(
                "the subject mixes alphabets to look like another word (\"{}\")",
                quote(&w)
            ),
        );
    }

    // Personalised with the victim's address.
    let subj_l = subject.to_ascii_lowercase();
    let rcpt = ctx
        .mail
        .recipients()
        .map(|r| r.address.clone())
        .find(|a| a.len() > 5 && subj_l.contains(a.as_str()));
    if let Some(a) = rcpt {
        ctx.add(
            "content.recipient_in_subject",
            format!("the subject quotes the recipient's address ({a})"),
        );
    }

    // The same random token inserted again and again ("MemIJMXD2EVWLbership"), to break
    // keyword filters.
    if let Some(re) = GLUED_TOKEN.as_ref() {
        let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let plain: String = ctx
            .mail
            .text_bodies
            .iter()
            .map(|t| crate::text::truncate(t, 100_000))
            .collect::<Vec<_>>()
            .join("\n");
        let hay = format!("{}\n{plain}", crate::text::truncate(&ctx.text, 100_000));
        // The token is the match without its lowercase letter: the first one when the match
        // starts with it (the first alternative; the second starts with `[A-Z0-9]`), else the
        // last. Plain matches run on the lazy DFA, several times faster than captures.
        let matches = may_glue_tokens(hay.as_bytes())
            .then(|| re.find_iter(&hay))
            .into_iter()
            .flatten();
        for m in matches.take(10_000) {
            let m = m.as_str();
            let t = if m.starts_with(|c: char| c.is_ascii_lowercase()) {
                &m[1..]
            } else {
                &m[..m.len() - 1]
            };
            let digits = t.bytes().filter(|c| c.is_ascii_digit()).count();
            if digits >= 1 && digits <= t.len() - 4 {
                *counts.entry(t.to_string()).or_default() += 1;
            }
        }
        if let Some((t, n)) = counts
            .into_iter()
            .filter(|(_, n)| *n >= 3)
            .max_by_key(|(_, n)| *n)
        {
            let d = format!(
                "the junk token \"{t}\" is glued inside words {n} times to break keyword filters"
            );
            ctx.add("content.keyword_breaking", d);
        }
    }

    let broken = broken_words(&ctx.text);
    if broken >= 3 {
        ctx.add(
            "content.invisible_characters",
            format!("{broken} words are broken up with invisible characters to dodge filters"),
        );
    }
}

/// Words broken up by invisible characters: how many invisible characters sit between two
/// letters in the first 200,000 characters of `text`. Invisible characters are never ASCII,
/// so only the non-ASCII characters are decoded, found eight bytes at a time (most mail text
/// is ASCII with a few typographic quotes or non-breaking spaces).
fn broken_words(text: &str) -> usize {
    const LIMIT: usize = 200_000;
    let end = if text.len() > LIMIT {
        text.char_indices()
            .nth(LIMIT)
            .map_or(text.len(), |(i, _)| i)
    } else {
        text.len()
    };
    let s = &text[..end];
    let b = s.as_bytes();
    let next_non_ascii = |mut i: usize| -> Option<usize> {
        while let Some(w) = b.get(i..).and_then(|r| r.first_chunk::<8>()) {
            let high = u64::from_le_bytes(*w) & 0x8080_8080_8080_8080;
            if high != 0 {
                return Some(i + high.trailing_zeros() as usize / 8);
            }
            i += 8;
        }
        b.get(i..)?
            .iter()
            .position(|c| !c.is_ascii())
            .map(|p| i + p)
    };
    let mut broken = 0;
    let mut i = 0;
    while let Some(p) = next_non_ascii(i) {
        let Some(c) = s.get(p..).and_then(|r| r.chars().next()) else {
            break;
        };
        let next = p + c.len_utf8();
        if crate::text::is_invisible(c)
            && s[..p].chars().next_back().is_some_and(char::is_alphabetic)
            && s[next..].chars().next().is_some_and(char::is_alphabetic)
        {
            broken += 1;
        }
        i = next;
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_words_counts_as_the_character_walk_does() {
        let walk = |text: &str| {
            let (mut a, mut b, mut n) = ('\0', '\0', 0);
            for c in text.chars().take(200_000) {
                if crate::text::is_invisible(b) && a.is_alphabetic() && c.is_alphabetic() {
                    n += 1;
                }
                (a, b) = (b, c);
            }
            n
        };
        let alphabet: Vec<char> = "ab é\u{200b}\u{00ad}\u{feff}\u{a0}’1.Ж".chars().collect();
        let mut rng = crate::test_rng::XorShift::new(0xb20c);
        for _ in 0..5000 {
            let t: String = (0..rng.below(40))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            assert_eq!(broken_words(&t), walk(&t), "{t:?}");
        }
        // Past the limit, counted in characters, not bytes.
        let long = "é\u{200b}a".repeat(70_000);
        assert_eq!(broken_words(&long), walk(&long));
    }

    #[test]
    fn quick_scans_never_skip_a_match() {
        assert!(may_hold_iban(b"pay to DE89 3704 0044 0532 0130 00 now"));
        assert!(may_hold_iban(b"GB29NWBK60161331926819"));
        assert!(!may_hold_iban(b"no account number here, only 12 and AB"));
        let glued = "MemIJMXD2EVWLbership acIJMXD2EVWLcount veIJMXD2EVWLrify";
        assert!(may_glue_tokens(glued.as_bytes()));
        assert!(may_glue_tokens(b"aABCDEFGH1 bABCDEFGH2 cABCDEFGH3"));
        assert!(may_glue_tokens(b"x aABCDEFGH1 bABCDEFGH2 ABCDEFGH3b"));
        assert!(!may_glue_tokens(
            b"SHOUTING IN CAPITALS 12345678 IS NOT GLUED"
        ));
        assert!(!may_glue_tokens(b"only aABCDEFGH1 twice bABCDEFGH2"));
        // Whatever the expression finds three times or more, the scan lets through.
        let re = GLUED_TOKEN.as_ref().expect("pattern compiles");
        let (mut seed, mut checked) = (3u32, 0);
        for _ in 0..2000 {
            let text: String = (0..120)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    match (seed >> 16) % 10 {
                        0 => ' ',
                        1 => (b'a' + (seed >> 20) as u8 % 3) as char,
                        _ => (b'A' + (seed >> 20) as u8 % 3) as char,
                    }
                })
                .collect();
            if re.find_iter(&text).count() >= 3 {
                checked += 1;
                assert!(may_glue_tokens(text.as_bytes()), "{text}");
            }
        }
        assert!(checked > 50, "{checked}");
    }
}
