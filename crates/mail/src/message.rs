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
    /// Top-level headers in order (name, raw value), for authentication results. The values
    /// are the message's bytes, not yet checked to be UTF-8: most are never read (a message
    /// carries dozens of long `Received` and `ARC` headers); see [`Mail::header_text`].
    pub headers: Vec<(&'a str, &'a [u8])>,
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
/// One pass over the message, 64 bytes at a time: masks of the colons, of the `e`s, `8`s and
/// `2`s give the places where `e:` or `822` end, and only there are the words before them
/// compared. Both are rare in base64 attachments and in HTML, where a colon alone (styles,
/// URLs) or a `2` alone (base64) is common: a stop at each of those was most of this scan's
/// time, and the scan reads every message's every byte before the parser does.
fn count_markers(raw: &[u8], cap_nested: usize, cap_parts: usize) -> (usize, usize) {
    const NESTED: &[u8] = b"message/rfc822";
    const PART: &[u8] = b"content-type:";
    let (mut nested, mut parts) = (0, 0);
    // The previous block's masks, for the patterns that straddle two blocks.
    let (mut prev_e, mut prev_8, mut prev_2) = (0u64, 0u64, 0u64);
    for (k, chunk) in raw.chunks(64).enumerate() {
        let mut pad = [0u8; 64];
        let block: &[u8; 64] = match chunk.try_into() {
            Ok(b) => b,
            Err(_) => {
                pad[..chunk.len()].copy_from_slice(chunk);
                &pad
            }
        };
        let [colon, e, eight, two] = marker_masks(block);
        let mut part_ends = colon & ((e << 1) | (prev_e >> 63));
        let mut nested_ends = two & ((two << 1) | (prev_2 >> 63)) & ((eight << 2) | (prev_8 >> 62));
        (prev_e, prev_8, prev_2) = (e, eight, two);
        if nested >= cap_nested {
            nested_ends = 0;
        }
        if parts >= cap_parts {
            part_ends = 0;
        }
        while nested_ends != 0 {
            let end = k * 64 + nested_ends.trailing_zeros() as usize + 1;
            nested_ends &= nested_ends - 1;
            if end >= NESTED.len() && raw[end - NESTED.len()..end].eq_ignore_ascii_case(NESTED) {
                nested += 1;
                if nested >= cap_nested {
                    break;
                }
            }
        }
        while part_ends != 0 {
            let i = k * 64 + part_ends.trailing_zeros() as usize;
            part_ends &= part_ends - 1;
            if i >= 12 && raw[i - 12..=i].eq_ignore_ascii_case(PART) {
                parts += 1;
                if parts >= cap_parts {
                    break;
                }
            }
        }
        if nested >= cap_nested && parts >= cap_parts {
            break;
        }
    }
    (nested, parts)
}

/// For [`count_markers`]: bit `i` of each mask set where byte `i` of the block is `:`, `e` or
/// `E`, `8`, `2`.
#[inline(always)]
fn marker_masks(block: &[u8; 64]) -> [u64; 4] {
    let mut out = [0u64; 4];
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        for (j, b) in block.as_chunks::<16>().0.iter().enumerate() {
            // SAFETY: SSE2 is part of x86_64, and `b` is sixteen bytes.
            unsafe {
                let v = _mm_loadu_si128(b.as_ptr().cast());
                let is = |x: __m128i, c: u8| {
                    _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c as i8))) as u32 as u64
                };
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                out[0] |= is(v, b':') << (16 * j);
                out[1] |= is(folded, b'e') << (16 * j);
                out[2] |= is(v, b'8') << (16 * j);
                out[3] |= is(v, b'2') << (16 * j);
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for (i, &b) in block.iter().enumerate() {
        out[0] |= ((b == b':') as u64) << i;
        out[1] |= ((b | 0x20 == b'e') as u64) << i;
        out[2] |= ((b == b'8') as u64) << i;
        out[3] |= ((b == b'2') as u64) << i;
    }
    out
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

/// Header names that any real message carries at least one of.
const USUAL_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "content-type",
    "sender",
    "reply-to",
    "delivered-to",
    "x-ms-exchange-organization-authas",
];

/// Whether `raw` starts like an RFC 5322 message: (after an optional byte-order mark, blank
/// lines and an mbox `From ` line) a run of header fields — a name of printable ASCII without
/// a colon, then `:` — with at least one header every message has. Random bytes, a text file
/// or a binary fail here, and are reported as not a message instead of being judged clean.
pub fn check_is_message(raw: &[u8]) -> Result<(), &'static str> {
    let mut rest = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    while let Some(r) = rest
        .strip_prefix(b"\r\n")
        .or_else(|| rest.strip_prefix(b"\n"))
    {
        rest = r;
    }
    if rest.starts_with(b"From ") {
        rest = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(&[][..], |i| &rest[i + 1..]);
    }
    let mut fields = 0usize;
    let mut usual = false;
    for line in rest.split(|&b| b == b'\n').take(512) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if fields == 0 {
                return Err("it starts with a continuation line, not a header field");
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            if fields == 0 {
                return Err("it does not start with header fields");
            }
            break;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| (33..=126).contains(&b)) {
            if fields == 0 {
                return Err("it does not start with header fields");
            }
            break;
        }
        fields += 1;
        usual |= std::str::from_utf8(name)
            .is_ok_and(|n| USUAL_HEADERS.iter().any(|u| n.eq_ignore_ascii_case(u)));
    }
    if usual {
        Ok(())
    } else if fields == 0 {
        Err("it has no header fields")
    } else {
        Err("none of its header fields is one a message carries (From, To, Subject, Date, …)")
    }
}

impl<'a> Mail<'a> {
    /// A raw header value ([`Mail::headers`]) as text; `None` when it is not UTF-8 (such a
    /// header is read as absent, as `mail-parser`'s `headers_raw` leaves it out).
    pub fn header_text(value: &[u8]) -> Option<&str> {
        std::str::from_utf8(value).ok()
    }

    pub fn from_message(msg: &'a Message<'a>, headers_only: bool) -> Self {
        let mut m = Mail {
            from: mailboxes(msg.from()).into_iter().next(),
            sender: mailboxes(msg.sender()).into_iter().next(),
            reply_to: mailboxes(msg.reply_to()),
            return_path: msg.return_address().map(|s| s.trim().to_ascii_lowercase()),
            to: mailboxes(msg.to()),
            cc: mailboxes(msg.cc()),
            subject: msg.subject().unwrap_or_default().to_string(),
            headers: msg
                .parts
                .first()
                .map(|p| {
                    p.headers
                        .iter()
                        .take(256)
                        .filter_map(|h| {
                            let value = msg
                                .raw_message
                                .get(h.offset_start as usize..h.offset_end as usize)?;
                            Some((h.name.as_str(), value))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            ..Default::default()
        };
        if m.from.as_ref().is_none_or(|f| {
            f.address.is_empty() || f.domain.is_empty() || !valid_address(&f.address)
        }) && let Some(raw) = m
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("From"))
            .find_map(|&(_, v)| Mail::header_text(v))
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
            m.walk(msg, 0);
        }
        m
    }

    fn walk(&mut self, msg: &'a Message<'a>, depth: usize) {
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
                    self.walk(inner, depth + 1);
                }
                // Bodies are kept whole (they are borrowed): the analysis decides what it reads.
                PartType::Text(t) if !named && !ct.starts_with("text/calendar") => {
                    self.text_bodies.push(Cow::Borrowed(t.as_ref()));
                }
                PartType::Html(h) if !named => self.html_bodies.push(h.as_ref()),
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

    /// The block-wise scan counts what a plain search finds: markers at every offset (across
    /// the 64-byte blocks and at the very end), among colons, `e`s, `8`s and `2`s.
    #[test]
    fn markers_are_found_wherever_they_fall() {
        fn plain(raw: &[u8], cap_nested: usize, cap_parts: usize) -> (usize, usize) {
            let count = |word: &[u8], cap: usize| {
                let n = raw
                    .windows(word.len())
                    .filter(|w| w.eq_ignore_ascii_case(word))
                    .count();
                n.min(cap)
            };
            (
                count(b"message/rfc822", cap_nested),
                count(b"content-type:", cap_parts),
            )
        }
        let pieces: [&[u8]; 9] = [
            b"message/rfc822",
            b"MESSAGE/RFC822",
            b"Content-Type:",
            b"content-TYPE:",
            b"e:",
            b"822",
            b"2",
            b":",
            b"xe8",
        ];
        let mut rng = crate::test_rng::XorShift::new(0x5eed);
        for _ in 0..2_000 {
            let mut raw = Vec::new();
            while raw.len() < rng.below(300) {
                raw.extend_from_slice(pieces[rng.below(pieces.len())]);
                raw.extend(std::iter::repeat_n(b'a', rng.below(70)));
            }
            let (cn, cp) = (1 + rng.below(6), 1 + rng.below(6));
            assert_eq!(count_markers(&raw, cn, cp), plain(&raw, cn, cp), "{raw:?}");
            assert_eq!(count_markers(&raw, 99, 99), plain(&raw, 99, 99), "{raw:?}");
        }
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
