//! Mailboxes: folders, messages, rules, settings, and the per-mailbox change log that feeds
//! delta queries and change notifications.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::mime::ParsedMail;
use crate::util::{b64, exchange_id, graph_time, random_bytes};

/// Well-known folders: (name, displayName, visible in the top-level listing).
pub const WELL_KNOWN: [(&str, &str, bool); 10] = [
    ("archive", "Archive", true),
    ("conversationhistory", "Conversation History", true),
    ("deleteditems", "Deleted Items", true),
    ("drafts", "Drafts", true),
    ("inbox", "Inbox", true),
    ("junkemail", "Junk Email", true),
    ("outbox", "Outbox", true),
    ("sentitems", "Sent Items", true),
    ("msgfolderroot", "Top of Information Store", false),
    ("recoverableitemsdeletions", "Deletions", false),
];

#[derive(Debug, Clone)]
pub struct Folder {
    pub id: String,
    pub well_known: Option<String>,
    pub display_name: String,
    pub parent_id: String,
    pub is_hidden: bool,
}

#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub immutable_id: String,
    pub rest_id: String,
    pub folder_id: String,
    pub mime: Arc<Vec<u8>>,
    pub mail: Arc<ParsedMail>,
    pub received: DateTime<Utc>,
    pub sent: DateTime<Utc>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub is_read: bool,
    pub is_draft: bool,
    pub categories: Vec<String>,
    pub flag: Value,
    pub importance: String,
    pub inference: String,
    pub version: u64,
    pub scenario: Option<String>,
    pub attachment_ids: Vec<String>,
    pub network_message_id: String,
}

impl StoredMessage {
    pub fn change_key(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.immutable_id.as_bytes());
        h.update(self.version.to_le_bytes());
        format!("CQAAABYAAA{}", &b64(&h.finalize()[..12]))
    }
}

#[derive(Debug, Clone)]
pub struct MsgChange {
    pub seq: u64,
    pub folder_id: String,
    pub immutable_id: String,
    pub rest_id: String,
    pub removed: bool,
}

#[derive(Debug, Clone)]
pub struct Mailbox {
    pub user_id: String,
    pub address: String,
    pub folders: Vec<Folder>,
    pub messages: BTreeMap<String, StoredMessage>,
    pub rest_index: HashMap<String, String>,
    pub rules: Vec<Value>,
    pub settings: Value,
    pub hidden_forwarding: Option<String>,
    pub changes: Vec<MsgChange>,
    pub delta_epoch: u64,
    pub rule_counter: u32,
}

/// Rendering options for a message.
#[derive(Debug, Clone, Default)]
pub struct RenderOpts {
    pub immutable: bool,
    pub text_body: bool,
    pub select: Vec<String>,
    pub expand_attachments: bool,
    /// Skip body content (used when rendering only to evaluate `$filter`/`$orderby`).
    pub no_body: bool,
}

fn folder_id_for(user_id: &str, name: &str) -> String {
    let d = Sha256::digest(format!("{user_id}/{name}").as_bytes());
    exchange_id("AQMkAD", &d[..18])
}

pub fn default_mailbox_settings() -> Value {
    json!({
        "archiveFolder": null,
        "timeZone": "UTC",
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "internalReplyMessage": "",
            "externalReplyMessage": "",
            "scheduledStartDateTime": {"dateTime": "2025-01-01T00:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2025-01-02T00:00:00.0000000", "timeZone": "UTC"}
        },
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "workingHours": {
            "daysOfWeek": ["monday","tuesday","wednesday","thursday","friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": "UTC"}
        },
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "userPurpose": "user"
    })
}

impl Mailbox {
    pub fn new(user_id: &str, address: &str) -> Self {
        let root = folder_id_for(user_id, "msgfolderroot");
        let folders = WELL_KNOWN
            .iter()
            .map(|(wk, name, _)| Folder {
                id: folder_id_for(user_id, wk),
                well_known: Some(wk.to_string()),
                display_name: name.to_string(),
                parent_id: if *wk == "msgfolderroot" || *wk == "recoverableitemsdeletions" {
                    folder_id_for(user_id, "root")
                } else {
                    root.clone()
                },
                is_hidden: false,
            })
            .collect();
        Self {
            user_id: user_id.to_string(),
            address: address.to_string(),
            folders,
            messages: BTreeMap::new(),
            rest_index: HashMap::new(),
            rules: vec![],
            settings: default_mailbox_settings(),
            hidden_forwarding: None,
            changes: vec![],
            delta_epoch: 0,
            rule_counter: 0,
        }
    }

    /// Resolve a folder by id, well-known name or (case-insensitive) display name.
    /// How tests name a folder: its well-known name, else its display name ("" if unknown).
    pub fn folder_label(&self, folder_id: &str) -> String {
        self.folders
            .iter()
            .find(|f| f.id == folder_id)
            .map(|f| {
                f.well_known
                    .clone()
                    .unwrap_or_else(|| f.display_name.clone())
            })
            .unwrap_or_default()
    }

    pub fn folder(&self, key: &str) -> Option<&Folder> {
        let k = key.trim_matches('\'');
        self.folders.iter().find(|f| f.id == k).or_else(|| {
            self.folders.iter().find(|f| {
                f.well_known
                    .as_deref()
                    .is_some_and(|w| w.eq_ignore_ascii_case(k))
            })
        })
    }

    pub fn folder_by_name(&self, name: &str) -> Option<&Folder> {
        self.folder(name).or_else(|| {
            self.folders
                .iter()
                .find(|f| f.display_name.eq_ignore_ascii_case(name))
        })
    }

    pub fn well_known_id(&self, wk: &str) -> String {
        self.folder(wk).map(|f| f.id.clone()).unwrap_or_default()
    }

    pub fn is_folder(&self, id: &str, wk: &str) -> bool {
        self.folder(wk).is_some_and(|f| f.id == id)
    }

    /// Look a message up by REST id or immutable id.
    pub fn message_key(&self, id: &str) -> Option<String> {
        if self.messages.contains_key(id) {
            return Some(id.to_string());
        }
        self.rest_index.get(id).cloned()
    }

    pub fn create_folder(
        &mut self,
        parent_id: &str,
        display_name: &str,
        hidden: bool,
    ) -> Option<Folder> {
        if self
            .folders
            .iter()
            .any(|f| f.parent_id == parent_id && f.display_name.eq_ignore_ascii_case(display_name))
        {
            return None;
        }
        let f = Folder {
            id: exchange_id("AAMkAD", &random_bytes::<30>()),
            well_known: None,
            display_name: display_name.to_string(),
            parent_id: parent_id.to_string(),
            is_hidden: hidden,
        };
        self.folders.push(f.clone());
        Some(f)
    }

    pub fn folder_json(&self, f: &Folder) -> Value {
        let in_folder = self.messages.values().filter(|m| m.folder_id == f.id);
        let (total, unread) =
            in_folder.fold((0, 0), |(t, u), m| (t + 1, u + usize::from(!m.is_read)));
        json!({
            "id": f.id,
            "displayName": f.display_name,
            "parentFolderId": f.parent_id,
            "childFolderCount": self.folders.iter().filter(|c| c.parent_id == f.id).count(),
            "unreadItemCount": unread,
            "totalItemCount": total,
                        "isHidden": f.is_hidden,
        })
    }

    pub(crate) fn record(&mut self, seq: u64, folder_id: &str, m: &StoredMessage, removed: bool) {
        self.changes.push(MsgChange {
            seq,
            folder_id: folder_id.to_string(),
            immutable_id: m.immutable_id.clone(),
            rest_id: m.rest_id.clone(),
            removed,
        });
    }

    /// Render a message the way Graph does.
    pub fn message_json(&self, m: &StoredMessage, base: &str, o: &RenderOpts) -> Value {
        let id = if o.immutable {
            &m.immutable_id
        } else {
            &m.rest_id
        };
        let p = &m.mail;
        let (ct, content) = if o.no_body {
            ("html", String::new())
        } else if o.text_body {
            ("text", p.body_text.clone())
        } else {
            ("html", p.body_html.clone())
        };
        let ck = m.change_key();
        let mut v = json!({
            "@odata.etag": format!("W/\"{ck}\""),
            "id": id,
            "createdDateTime": graph_time(m.created),
            "lastModifiedDateTime": graph_time(m.last_modified),
            "changeKey": ck,
            "categories": m.categories,
            "receivedDateTime": graph_time(m.received),
            "sentDateTime": graph_time(m.sent),
            "hasAttachments": p.has_attachments(),
            "internetMessageId": p.internet_message_id,
            "subject": p.subject,
            "bodyPreview": p.preview,
            "importance": m.importance,
            "parentFolderId": m.folder_id,
            "conversationId": p.conversation_id,
            "conversationIndex": p.conversation_index,
            "isDeliveryReceiptRequested": false,
            "isReadReceiptRequested": p.read_receipt,
            "isRead": m.is_read,
            "isDraft": m.is_draft,
            "webLink": format!("https://outlook.office365.com/owa/?ItemID={}&exvsurl=1&viewmodel=ReadMessageItem", percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)),
            "inferenceClassification": m.inference,
            "body": {"contentType": ct, "content": content},
            "sender": p.sender,
            "from": p.from,
            "toRecipients": p.to,
            "ccRecipients": p.cc,
            "bccRecipients": p.bcc,
            "replyTo": p.reply_to,
            "flag": m.flag,
        });
        let selected = |name: &str| o.select.iter().any(|s| s.eq_ignore_ascii_case(name));
        if selected("uniqueBody") {
            v["uniqueBody"] = json!({"contentType": ct, "content": v["body"]["content"].clone()});
        }
        if selected("internetMessageHeaders") {
            // Graph returns headers only when selected, and generally not for Sent Items.
            if !self.is_folder(&m.folder_id, "sentitems") {
                v["internetMessageHeaders"] = Value::Array(
                    p.headers
                        .iter()
                        .map(|(n, val)| json!({"name": n, "value": val}))
                        .collect(),
                );
            }
        }
        crate::odata::apply_select(&mut v, &o.select);
        if o.expand_attachments {
            v["attachments"] = Value::Array(
                (0..p.attachments.len())
                    .map(|i| self.attachment_json(m, i, base, true))
                    .collect(),
            );
        }
        v
    }

    pub fn attachment_json(
        &self,
        m: &StoredMessage,
        i: usize,
        _base: &str,
        with_bytes: bool,
    ) -> Value {
        let a = &m.mail.attachments[i];
        let id = m.attachment_ids.get(i).cloned().unwrap_or_default();
        if a.is_item {
            return json!({
                "@odata.type": "#microsoft.graph.itemAttachment",
                "id": id,
                "lastModifiedDateTime": graph_time(m.last_modified),
                "name": a.name,
                "contentType": null,
                "size": a.bytes.len(),
                "isInline": false,
            });
        }
        let mut v = json!({
            "@odata.type": "#microsoft.graph.fileAttachment",
            "id": id,
            "lastModifiedDateTime": graph_time(m.last_modified),
            "name": a.name,
            "contentType": a.content_type,
            "size": a.bytes.len(),
            "isInline": a.is_inline,
            "contentId": a.content_id,
            "contentLocation": null,
        });
        if with_bytes {
            v["contentBytes"] = json!(b64(&a.bytes));
        }
        v
    }
}
