//! Derives Graph `message` properties from raw MIME (mail-parser), the way Exchange does when it
//! stores a delivered message.

use chrono::{DateTime, Utc};
use mail_parser::{Address, MessageParser, MimeHeaders};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One attachment as Exchange stores it.
#[derive(Debug, Clone)]
pub struct ParsedAttachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub is_inline: bool,
    pub content_id: Option<String>,
    /// An attached message (`message/rfc822`) becomes an `itemAttachment`.
    pub is_item: bool,
}

/// The Graph-visible properties of a MIME message.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    pub subject: String,
    pub from: Option<Value>,
    pub sender: Option<Value>,
    pub to: Vec<Value>,
    pub cc: Vec<Value>,
    pub bcc: Vec<Value>,
    pub reply_to: Vec<Value>,
    pub internet_message_id: String,
    pub headers: Vec<(String, String)>,
    pub sent: Option<DateTime<Utc>>,
    pub body_html: String,
    pub body_text: String,
    pub preview: String,
    pub importance: &'static str,
    pub read_receipt: bool,
    pub attachments: Vec<ParsedAttachment>,
    pub conversation_id: String,
    pub conversation_index: String,
    pub size: usize,
}

impl ParsedMail {
    /// `hasAttachments`: Exchange counts non-inline attachments only.
    pub fn has_attachments(&self) -> bool {
        self.attachments.iter().any(|a| !a.is_inline)
    }

    /// All recipient addresses (to, cc, bcc), lower-cased.
    pub fn recipient_addresses(&self) -> Vec<String> {
        self.to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .filter_map(|r| {
                r["emailAddress"]["address"]
                    .as_str()
                    .map(str::to_ascii_lowercase)
            })
            .collect()
    }

    pub fn sender_address(&self) -> Option<String> {
        self.from
            .as_ref()
            .and_then(|f| f["emailAddress"]["address"].as_str())
            .map(str::to_string)
    }
}

fn recipient(name: Option<&str>, address: &str) -> Value {
    let name = name.filter(|n| !n.trim().is_empty()).unwrap_or(address);
    json!({"emailAddress": {"name": name, "address": address}})
}

fn recipients(a: Option<&Address<'_>>) -> Vec<Value> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| x.address().map(|addr| recipient(x.name(), addr)))
            .collect()
    })
    .unwrap_or_default()
}

fn preview_of(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(255).collect()
}

/// Parse a message. Never fails: garbage MIME gives an empty-ish message, like Exchange storing
/// whatever arrived.
pub fn parse(mime: &[u8]) -> ParsedMail {
    let Some(msg) = MessageParser::default().parse(mime) else {
        let body = String::from_utf8_lossy(mime).into_owned();
        return ParsedMail {
            subject: String::new(),
            from: None,
            sender: None,
            to: vec![],
            cc: vec![],
            bcc: vec![],
            reply_to: vec![],
            internet_message_id: format!("<{}@sim.invalid>", uuid::Uuid::new_v4().simple()),
            headers: vec![],
            sent: None,
            body_html: format!("<html><body>{}</body></html>", html_escape(&body)),
            preview: preview_of(&body),
            body_text: body,
            importance: "normal",
            read_receipt: false,
            attachments: vec![],
            conversation_id: String::new(),
            conversation_index: String::new(),
            size: mime.len(),
        };
    };
    let subject = msg.subject().unwrap_or_default().to_string();
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|x| x.address().map(|ad| recipient(x.name(), ad)));
    let sender = msg
        .sender()
        .and_then(|a| a.first())
        .and_then(|x| x.address().map(|ad| recipient(x.name(), ad)))
        .or_else(|| from.clone());
    let internet_message_id = msg
        .message_id()
        .map(|m| format!("<{m}>"))
        .unwrap_or_else(|| format!("<{}@sim.invalid>", uuid::Uuid::new_v4().simple()));
    let headers = msg
        .headers_raw()
        .map(|(n, v)| (n.to_string(), unfold(v)))
        .collect::<Vec<_>>();
    let sent = msg
        .date()
        .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
    let body_html = msg.body_html(0).map(|c| c.into_owned()).unwrap_or_default();
    let body_text = msg.body_text(0).map(|c| c.into_owned()).unwrap_or_default();
    let preview = preview_of(&body_text);
    let importance = importance_of(&headers);
    let read_receipt = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("Disposition-Notification-To"));
    let attachments = msg
        .attachments()
        .map(|p| {
            let ct = p
                .content_type()
                .map(|c| match c.subtype() {
                    Some(s) => format!("{}/{}", c.ctype(), s),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            let is_item = p.is_message();
            let name = p
                .attachment_name()
                .map(str::to_string)
                .or_else(|| p.message().and_then(|m| m.subject()).map(str::to_string))
                .unwrap_or_else(|| "attachment".into());
            let inline_disp = p
                .content_disposition()
                .map(|d| d.ctype().eq_ignore_ascii_case("inline"))
                .unwrap_or(false);
            ParsedAttachment {
                name,
                content_type: ct,
                bytes: p.contents().to_vec(),
                is_inline: inline_disp && p.content_id().is_some(),
                content_id: p.content_id().map(str::to_string),
                is_item,
            }
        })
        .collect();
    let thread = msg.thread_name().unwrap_or(&subject).to_ascii_lowercase();
    let digest = Sha256::digest(thread.as_bytes());
    let conversation_id = crate::util::exchange_id("AAQkAD", &digest[..16]);
    let mut idx = vec![0x01u8];
    idx.extend_from_slice(&digest[..21]);
    ParsedMail {
        subject,
        sender,
        from,
        to: recipients(msg.to()),
        cc: recipients(msg.cc()),
        bcc: recipients(msg.bcc()),
        reply_to: recipients(msg.reply_to()),
        internet_message_id,
        headers,
        sent,
        body_html,
        body_text,
        preview,
        importance,
        read_receipt,
        attachments,
        conversation_id,
        conversation_index: crate::util::b64(&idx),
        size: mime.len(),
    }
}

fn unfold(v: &str) -> String {
    v.replace("\r\n", "").replace('\n', "").trim().to_string()
}

fn importance_of(headers: &[(String, String)]) -> &'static str {
    for (n, v) in headers {
        let v = v.to_ascii_lowercase();
        if n.eq_ignore_ascii_case("Importance") {
            if v.contains("high") {
                return "high";
            }
            if v.contains("low") {
                return "low";
            }
        }
        if n.eq_ignore_ascii_case("X-Priority") {
            if v.starts_with('1') || v.starts_with('2') {
                return "high";
            }
            if v.starts_with('4') || v.starts_with('5') {
                return "low";
            }
        }
    }
    "normal"
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_core_properties() {
        let mime = b"From: \"Adele Vance\" <adele@contoso.com>\r\nTo: Alex <alex@contoso.com>, bob@contoso.com\r\nCc: carol@contoso.com\r\nSubject: Hello\r\nMessage-ID: <abc@mail.contoso.com>\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nImportance: high\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHi   there\r\n--b\r\nContent-Type: application/pdf; name=\"inv.pdf\"\r\nContent-Disposition: attachment; filename=\"inv.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";
        let p = parse(mime);
        assert_eq!(p.subject, "Hello");
        assert_eq!(p.internet_message_id, "<abc@mail.contoso.com>");
        assert_eq!(
            p.from.as_ref().unwrap()["emailAddress"]["name"],
            "Adele Vance"
        );
        assert_eq!(p.to.len(), 2);
        assert_eq!(p.to[1]["emailAddress"]["name"], "bob@contoso.com");
        assert_eq!(p.cc.len(), 1);
        assert_eq!(p.importance, "high");
        assert!(p.has_attachments());
        assert_eq!(p.attachments[0].name, "inv.pdf");
        assert_eq!(p.attachments[0].bytes, b"%PDF-");
        assert_eq!(p.preview, "Hi there");
        assert!(p.sent.is_some());
    }
}
