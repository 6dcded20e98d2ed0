//! Content fingerprints of a message, for finding variants of a campaign: the same payload or
//! the same lure sent under other Message-IDs, from other senders, with reworded subjects.
//!
//! - `att:<sha256>` — an attachment's decoded content (not small images: logos and signature
//!   pictures repeat across unrelated mail);
//! - `url:<host><path>` — a link without its query or fragment (per-recipient tokens live
//!   there), host lower-cased.
//!
//! A fingerprint alone does not make two messages one campaign: a lure often carries genuine
//! links too (a privacy page, a logo). The campaign pull combines them with sender and subject.

use std::collections::BTreeSet;

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// Fingerprints kept per message.
pub const MAX_FINGERPRINTS: usize = 64;
/// Images smaller than this are not fingerprinted (logos, tracking pixels, signatures).
const MIN_IMAGE_BYTES: usize = 20_000;
/// Other attachments smaller than this are not fingerprinted either.
const MIN_ATTACHMENT_BYTES: usize = 256;
/// Text scanned for links, per body part.
const MAX_SCAN_BYTES: usize = 512 * 1024;

/// The fingerprints of a raw message (empty when it cannot be parsed). Bounded: at most
/// [`MAX_FINGERPRINTS`], text scanned up to 512 KiB per part.
pub fn fingerprints(mime: &[u8]) -> Vec<String> {
    let Some(msg) = MessageParser::default().parse(mime) else {
        return Vec::new();
    };
    let mut out = BTreeSet::new();
    for part in msg.attachments() {
        let body = part.contents();
        let image = part
            .content_type()
            .is_some_and(|ct| ct.c_type.eq_ignore_ascii_case("image"));
        let min = if image {
            MIN_IMAGE_BYTES
        } else {
            MIN_ATTACHMENT_BYTES
        };
        if body.len() >= min {
            out.insert(format!("att:{}", hex::encode(Sha256::digest(body))));
        }
    }
    let finder = linkify::LinkFinder::new();
    let mut texts: Vec<String> = Vec::new();
    for i in 0..4 {
        if let Some(t) = msg.body_html(i) {
            texts.push(t.into_owned());
        }
        if let Some(t) = msg.body_text(i) {
            texts.push(t.into_owned());
        }
    }
    for text in &texts {
        let text = crate::text::truncate(text, MAX_SCAN_BYTES);
        for link in finder.links(text) {
            if *link.kind() != linkify::LinkKind::Url {
                continue;
            }
            if let Some(fp) = url_fingerprint(link.as_str()) {
                out.insert(fp);
            }
            if out.len() >= MAX_FINGERPRINTS {
                break;
            }
        }
    }
    out.into_iter().take(MAX_FINGERPRINTS).collect()
}

/// `url:<host><path>` for http(s) links with a host.
fn url_fingerprint(link: &str) -> Option<String> {
    let u = url::Url::parse(link).ok()?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return None;
    }
    let host = u.host_str()?.to_ascii_lowercase();
    let path = u.path().trim_end_matches('/');
    Some(format!("url:{host}{path}"))
}

/// Whether a fingerprint names an attachment payload (strong) rather than a link.
pub fn is_attachment(fp: &str) -> bool {
    fp.starts_with("att:")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(body: &str, attachment: Option<&[u8]>) -> Vec<u8> {
        let mut m = String::from(
            "From: a@b.example\r\nTo: c@d.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n",
        );
        match attachment {
            None => m.push_str(&format!(
                "Content-Type: text/html; charset=utf-8\r\n\r\n{body}\r\n"
            )),
            Some(bytes) => {
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                m.push_str(&format!(
                    "Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n{body}\r\n--x\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--x--\r\n"
                ));
            }
        }
        m.into_bytes()
    }

    #[test]
    fn links_lose_their_tokens_and_attachments_hash_their_content() {
        let a = fingerprints(&mail(
            "<a href=\"https://Evil.example/login/?u=alice&t=123\">x</a>",
            Some(&[7u8; 4000]),
        ));
        let b = fingerprints(&mail(
            "Go to https://evil.example/login?u=bob#top now",
            Some(&[7u8; 4000]),
        ));
        assert!(a.contains(&"url:evil.example/login".to_string()), "{a:?}");
        assert!(b.contains(&"url:evil.example/login".to_string()), "{b:?}");
        let att: Vec<&String> = a.iter().filter(|f| is_attachment(f)).collect();
        assert_eq!(att.len(), 1);
        assert!(b.contains(att[0]));
        let c = fingerprints(&mail("nothing", Some(&[8u8; 4000])));
        assert!(!c.contains(att[0]));
    }

    #[test]
    fn junk_gives_nothing_and_output_is_bounded() {
        assert!(fingerprints(b"").is_empty());
        let many: String = (0..500)
            .map(|i| format!("https://h{i}.example/p "))
            .collect();
        assert_eq!(fingerprints(&mail(&many, None)).len(), MAX_FINGERPRINTS);
    }
}
