//! The bounded view of a parsed message that every signal family reads: addresses, subject,
//! bodies and attachments, gathered from nested `message/rfc822` parts too, with the limits of
//! [`crate::limits`] applied while walking.

use std::borrow::Cow;

use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};

use crate::limits::*;
use crate::text::address_domain;

/// A parsed address: display name (may be empty), address and its domain, lower-cased.
#[derive(Debug, Clone, Default)]
pub struct Mailbox {
    pub name: String,
    pub address: String,
    pub domain: String,
}

/// A file carried by the message (or a body part named like one).
#[derive(Debug, Clone)]
pub struct Attachment<'a> {
    pub name: String,
    pub content_type: String,
    pub data: &'a [u8],
    pub inline: bool,
}

/// What the signal families read.
#[derive(Debug, Default)]
pub struct Mail<'a> {
    pub from: Option<Mailbox>,
    pub sender: Option<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    pub return_path: Option<String>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    /// Top-level headers in order (name, raw value), for authentication results.
    pub headers: Vec<(&'a str, &'a str)>,
    pub text_bodies: Vec<Cow<'a, str>>,
    pub html_bodies: Vec<&'a str>,
    pub attachments: Vec<Attachment<'a>>,
    pub nested_messages: usize,
    pub parts: usize,
    pub encoding_problems: usize,
    /// The From header did not parse as a clean address; the address was recovered from its text.
    pub from_malformed: bool,
    /// The top-level content type (e.g. "multipart/alternative").
    pub top_content_type: String,
    /// Bounds that were hit while walking, in plain words.
    pub limits_hit: Vec<String>,
}

fn mailboxes(a: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(a) = a else { return Vec::new() };
    a.iter()
        .take(64)
        .map(|x| {
            let address = x.address().unwrap_or_default().trim().to_ascii_lowercase();
            Mailbox {
                name: x
                    .name()
                    .unwrap_or_default()
                    .trim()
                    .trim_matches('"')
                    .trim()
                    .to_string(),
                domain: address_domain(&address).unwrap_or_default(),
                address,
            }
        })
        .collect()
}

fn valid_address(a: &str) -> bool {
    let Some((l, d)) = a.rsplit_once('@') else {
        return false;
    };
    !l.is_empty() && d.contains('.') && !a.contains(char::is_whitespace)
}

/// The last `local@domain.tld` in a raw header value (the one inside angle brackets wins).
fn address_in(raw: &str) -> Option<String> {
    let cands: Vec<String> = raw
        .split(|c: char| c.is_whitespace() || "<>(),;:\"'[]".contains(c))
        .filter(|t| valid_address(t))
        .map(|t| t.trim_matches('.').to_ascii_lowercase())
        .collect();
    if let (Some(s), Some(e)) = (raw.rfind('<'), raw.rfind('>'))
        && s < e
    {
        let inner = raw[s + 1..e].trim().to_ascii_lowercase();
        if valid_address(&inner) {
            return Some(inner);
        }
    }
    cands.last().cloned()
}

/// Counts `message/rfc822` and `Content-Type:` occurrences (case-insensitive), each capped.
/// Finds the digits `822` and the colons with SIMD `memchr`/`memmem` and checks the words
/// before them, instead of running a case-insensitive automaton over every byte: neither
/// `:` nor `822` is common in base64 attachments (a `/` is, every 64 characters or so).
fn count_markers(raw: &[u8], cap_nested: usize, cap_parts: usize) -> (usize, usize) {
    const NESTED: &[u8] = b"message/rfc822";
    const PART: &[u8] = b"content-type:";
    let mut nested = 0;
    for i in memchr::memmem::find_iter(raw, b"822") {
        let end = i + 3;
        if end >= NESTED.len() && raw[end - NESTED.len()..end].eq_ignore_ascii_case(NESTED) {
            nested += 1;
            if nested >= cap_nested {
                break;
            }
        }
    }
    let mut parts = 0;
    for i in memchr::memchr_iter(b':', raw) {
        // Most colons (times, URLs, text) fail on the byte before them.
        if i >= 12 && (raw[i - 1] | 0x20) == b'e' && raw[i - 12..=i].eq_ignore_ascii_case(PART) {
            parts += 1;
            if parts >= cap_parts {
                break;
            }
        }
    }
    (nested, parts)
}

/// The parser, reading only the headers analysis uses with their structured parsers (MIME,
/// addresses, Subject, Return-Path). Every other header is only skipped over: analysis reads
/// them from the message bytes ([`Message::headers_raw`], by the offsets the parser keeps),
/// so a decoded copy of each (`default_header_raw`) would be work for nothing. `Received`
/// chains in particular are long and only read raw (see [`crate::analysis::auth`]).
static PARSER: std::sync::LazyLock<MessageParser> = std::sync::LazyLock::new(|| {
    MessageParser::new()
        .with_mime_headers()
        .with_address_headers()
        .header_text(mail_parser::HeaderName::Subject)
        .header_id(mail_parser::HeaderName::ReturnPath)
        .default_header_ignore()
});

/// Parses `raw`. Messages whose structure is beyond the bounds (thousands of parts, deep
/// `message/rfc822` nesting) are parsed for headers only; the returned flag says so.
pub fn parse(raw: &[u8]) -> Option<(Message<'_>, bool)> {
    let (nested, parts) = count_markers(raw, MAX_MESSAGE_DEPTH * 8 + 1, MAX_RAW_PART_MARKERS + 1);
    if nested > MAX_MESSAGE_DEPTH * 8 || parts > MAX_RAW_PART_MARKERS {
        return PARSER.parse_headers(raw).map(|m| (m, true));
    }
    PARSER.parse(raw).map(|m| (m, false))
}

impl<'a> Mail<'a> {
    pub fn from_message(msg: &'a Message<'a>, headers_only: bool) -> Self {
        let mut m = Mail {
            from: mailboxes(msg.from()).into_iter().next(),
            sender: mailboxes(msg.sender()).into_iter().next(),
            reply_to: mailboxes(msg.reply_to()),
            return_path: msg.return_address().map(|s| s.trim().to_ascii_lowercase()),
            to: mailboxes(msg.to()),
            cc: mailboxes(msg.cc()),
            subject: msg.subject().unwrap_or_default().to_string(),
            headers: msg.headers_raw().take(256).collect(),
            ..Default::default()
        };
        if m.from.as_ref().is_none_or(|f| {
            f.address.is_empty() || f.domain.is_empty() || !valid_address(&f.address)
        }) && let Some(raw) = m
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("From"))
            .map(|(_, v)| *v)
            && let Some(addr) = address_in(raw)
        {
            let name = m.from.as_ref().map(|f| f.name.clone()).unwrap_or_default();
            m.from = Some(Mailbox {
                name,
                domain: address_domain(&addr).unwrap_or_default(),
                address: addr,
            });
            m.from_malformed = true;
        }
        m.top_content_type = msg
            .parts
            .first()
            .and_then(|p| p.content_type())
            .map(|c| {
                format!(
                    "{}/{}",
                    c.c_type,
                    c.c_subtype.as_deref().unwrap_or_default()
                )
                .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if headers_only {
            m.limits_hit.push(format!(
                "the MIME structure is beyond the bounds (over {MAX_RAW_PART_MARKERS} parts or \
                 deeply nested messages); only the headers were read"
            ));
        } else {
            let mut text_budget = MAX_TEXT_BYTES;
            m.walk(msg, 0, &mut text_budget);
        }
        m
    }

    fn walk(&mut self, msg: &'a Message<'a>, depth: usize, text_budget: &mut usize) {
        for part in &msg.parts {
            self.parts += 1;
            if self.parts > MAX_PARTS {
                if !self.limits_hit.iter().any(|l| l.contains("parts")) {
                    self.limits_hit.push(format!(
                        "more than {MAX_PARTS} MIME parts; the rest was not read"
                    ));
                }
                return;
            }
            if part.is_encoding_problem {
                self.encoding_problems += 1;
            }
            let name = part.attachment_name().map(str::to_string);
            let ct = part
                .content_type()
                .map(|c| {
                    format!(
                        "{}/{}",
                        c.c_type,
                        c.c_subtype.as_deref().unwrap_or_default()
                    )
                    .to_ascii_lowercase()
                })
                .unwrap_or_default();
            let is_attachment_disp = part
                .content_disposition()
                .is_some_and(|d| d.c_type.eq_ignore_ascii_case("attachment"));
            let named = name.is_some() || is_attachment_disp;
            match &part.body {
                PartType::Multipart(_) => {}
                PartType::Message(inner) => {
                    self.nested_messages += 1;
                    if depth + 1 > MAX_MESSAGE_DEPTH {
                        self.limits_hit.push(format!(
                            "messages nested more than {MAX_MESSAGE_DEPTH} deep; the inner ones \
                             were not read"
                        ));
                        continue;
                    }
                    self.walk(inner, depth + 1, text_budget);
                }
                PartType::Text(t) if !named && !ct.starts_with("text/calendar") => {
                    if *text_budget > 0 {
                        let t = crate::text::truncate(t, *text_budget);
                        *text_budget -= t.len();
                        self.text_bodies.push(Cow::Borrowed(t));
                    }
                }
                PartType::Html(h) if !named => {
                    self.html_bodies
                        .push(crate::text::truncate(h, MAX_HTML_BYTES));
                }
                PartType::Text(_)
                | PartType::Html(_)
                | PartType::Binary(_)
                | PartType::InlineBinary(_) => {
                    let data = part.contents();
                    self.attachments.push(Attachment {
                        name: name.unwrap_or_default(),
                        content_type: ct,
                        data,
                        inline: matches!(part.body, PartType::InlineBinary(_)),
                    });
                }
            }
        }
    }

    /// The recipient addresses (To and Cc).
    pub fn recipients(&self) -> impl Iterator<Item = &Mailbox> {
        self.to.iter().chain(self.cc.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_counted_in_any_case_and_capped() {
        let raw = b"Content-Type: message/RFC822\r\ncontent-TYPE:x\n/ : message/rfc82 \
                    Message/Rfc822:content-type:";
        assert_eq!(count_markers(raw, 100, 100), (2, 3));
        assert_eq!(count_markers(raw, 1, 100), (1, 3));
        assert_eq!(count_markers(raw, 100, 2), (2, 2));
        assert_eq!(count_markers(b"/:", 9, 9), (0, 0));
    }

    #[test]
    fn the_lean_parser_reads_what_analysis_uses() {
        let raw = b"Received: from a.example by b.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n\
            Return-Path: <bounce@c.example>\r\nFrom: \"A\" <a@b.example>\r\nTo: x@y.example\r\n\
            Subject: =?utf-8?q?Caf=C3=A9?=\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
        let (m, headers_only) = parse(raw).unwrap();
        assert!(!headers_only);
        let mail = Mail::from_message(&m, false);
        assert_eq!(mail.subject, "Café");
        assert_eq!(mail.return_path.as_deref(), Some("bounce@c.example"));
        assert_eq!(mail.from.map(|f| f.address), Some("a@b.example".into()));
        assert_eq!(mail.headers[0].0, "Received");
        assert!(mail.text_bodies[0].contains("hello"));
    }

    /// Skipped headers still come out of `headers_raw` whole, as they do when the parser keeps
    /// a decoded copy of each: folded, with CRLF or LF, empty, last before the body.
    #[test]
    fn skipped_headers_read_raw_as_kept_ones() {
        let kept = MessageParser::new()
            .with_mime_headers()
            .with_address_headers()
            .default_header_raw();
        for raw in [
            &b"Authentication-Results: mx.example;\r\n\tspf=pass smtp.mailfrom=a.example;\r\n dkim=fail\r\nX-Empty:\r\nFrom: a@b.example\r\nX-Last: v\r\n\r\nbody"[..],
            b"Received: from a\n by b; Mon, 1 Jan 2024\nARC-Seal: i=1; a=rsa\nSubject: s\n\nbody",
            b"X-Only: one",
        ] {
            let (ours, _) = parse(raw).unwrap();
            let theirs = kept.parse(raw).unwrap();
            let a: Vec<_> = ours.headers_raw().collect();
            let b: Vec<_> = theirs.headers_raw().collect();
            assert_eq!(a, b);
            assert!(!a.is_empty());
        }
    }
}
