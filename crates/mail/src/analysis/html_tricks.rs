//! HTML tricks in the message body: text that shows one address and links another, forms,
//! meta refresh, `<base>`, scripts, hidden text, image-only bodies, `javascript:`/`data:` links.

use std::sync::LazyLock;

use regex::Regex;

use super::links::{host_of, unwrap_url};
use crate::context::Ctx;
use crate::text::{fold, quote, registrable_domain};

static DOMAIN_IN_TEXT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:https?://)?((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?:[/:?#]\S*)?\s*$").ok()
});

/// The domain a link's visible text displays, if the text looks like a URL or host name.
pub fn displayed_domain(text: &str) -> Option<String> {
    let t = text.trim();
    if t.len() > 300 || t.contains('@') {
        return None;
    }
    // What the expression needs, checked first: a dot, and (the text being trimmed) no
    // white space at all. Most link texts ("Read more", "Unsubscribe") fail here.
    if !t.contains('.') || t.chars().any(char::is_whitespace) {
        return None;
    }
    domain_matched(t)
}

/// The host [`DOMAIN_IN_TEXT`] finds in the trimmed text `t`, lower-cased, when it ends in a
/// public suffix of letters.
fn domain_matched(t: &str) -> Option<String> {
    let c = DOMAIN_IN_TEXT.as_ref()?.captures(t)?;
    let host = c.get(1)?.as_str().to_ascii_lowercase();
    // Plain words with a dot ("e.g.") are not domains: require a public suffix.
    psl::suffix_str(&host).filter(|s| s.contains('.') || host.contains('.'))?;
    let tld = host.rsplit('.').next().unwrap_or_default();
    tld.chars().all(|c| c.is_ascii_alphabetic()).then_some(host)
}

pub fn analyze(ctx: &mut Ctx<'_>) {
    let facts = std::mem::take(&mut ctx.html);
    for h in &facts {
        // Shows one address, links another.
        for a in &h.anchors {
            let Some(shown) = displayed_domain(&a.text) else {
                continue;
            };
            let target = unwrap_url(&a.href);
            let Some(host) = host_of(&target) else {
                continue;
            };
            let (sr, tr) = (registrable_domain(&shown), registrable_domain(&host));
            if sr != tr {
                ctx.add(
                    "html.link_text_mismatch",
                    format!(
                        "a link shows {} but leads to {}",
                        quote(&shown),
                        quote(&host)
                    ),
                );
                break;
            }
        }
        for a in &h.anchors {
            let l = a.href.trim_start().to_ascii_lowercase();
            if l.starts_with("javascript:") || l.starts_with("data:") || l.starts_with("vbscript:")
            {
                ctx.add(
                    "html.script_link",
                    format!("a link runs code or embeds a document ({})", quote(&l)),
                );
                break;
            }
        }
        if let Some(f) = h.forms.first() {
            if h.password_inputs > 0 || f.has_password {
                ctx.add(
                    "html.password_form",
                    format!(
                        "the message contains a form asking for a password (posts to {})",
                        quote(&f.action)
                    ),
                );
            } else {
                ctx.add(
                    "html.form",
                    format!(
                        "the message contains a form (posts to {})",
                        quote(&f.action)
                    ),
                );
            }
        }
        if let Some(r) = &h.meta_refresh {
            ctx.add(
                "html.meta_refresh",
                format!("the body redirects by itself ({})", quote(r)),
            );
        }
        if let Some(b) = &h.base_href {
            ctx.add(
                "html.base_tag",
                format!("a <base> tag rewrites every relative link to {}", quote(b)),
            );
        }
        if h.scripts > 0 {
            ctx.add(
                "html.script",
                format!("the body carries {} script(s)", h.scripts),
            );
        }
        let hidden = fold(&h.hidden_text);
        if hidden.len() >= 300 {
            ctx.add(
                "html.hidden_text",
                format!(
                    "{} characters of text are hidden from the reader",
                    hidden.len()
                ),
            );
        }
        // Fewer than 40 characters once whitespace is collapsed (counting stops past 40).
        let mut collapsed = 0;
        for w in h.visible_text.split_whitespace() {
            collapsed += w.chars().count() + usize::from(collapsed > 0);
            if collapsed >= 40 {
                break;
            }
        }
        if collapsed < 40
            && (!h.images.is_empty() || !h.data_images.is_empty())
            && !h.anchors.is_empty()
        {
            ctx.add(
                "html.image_only",
                "the message is a linked picture with almost no text",
            );
        }
    }
    ctx.html = facts;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::XorShift;

    /// [`displayed_domain`] without the cheap checks before the expression.
    fn by_expression_only(text: &str) -> Option<String> {
        let t = text.trim();
        if t.len() > 300 || t.contains('@') {
            return None;
        }
        domain_matched(t)
    }

    #[test]
    fn the_checks_before_the_expression_reject_only_what_it_rejects() {
        for t in [
            "www.example.com",
            " https://Login.Example.co.uk/path?x=1 ",
            "\u{2003}paypal.com\u{00a0}",
            "example.com and more",
            "Read more",
            "e.g.",
            "ſecure.example.com",
        ] {
            assert_eq!(displayed_domain(t), by_expression_only(t), "{t:?}");
        }
        let alphabet: Vec<char> = "ab.-/:? \u{a0}\u{2003}\tK\u{212a}ſ9é@#".chars().collect();
        let mut rng = XorShift::new(0x5eed_d0e5);
        for _ in 0..20_000 {
            let len = rng.below(24);
            let t: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            assert_eq!(displayed_domain(&t), by_expression_only(&t), "{t:?}");
        }
    }
}
