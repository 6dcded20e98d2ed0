//! What happens to mail in a tenant: delivery (with the analyzedEmail record), move/copy,
//! soft and hard delete, PATCH, and inbox-rule changes — each with its delta entries, change
//! notifications and audit records.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::audit::Actor;
use super::mail::{Mailbox, StoredMessage};
use super::{MessageEvent, Tenant};
use crate::mime::ParsedMail;
use crate::util::{exchange_id, graph_time, new_guid, random_bytes};

/// Where a folder is, in analyzedEmail `latestDelivery.location` terms.
fn delivery_location(mb: &Mailbox, folder_id: &str) -> &'static str {
    if mb.is_folder(folder_id, "inbox") {
        "inbox_folder"
    } else if mb.is_folder(folder_id, "junkemail") {
        "junkFolder"
    } else if mb.is_folder(folder_id, "deleteditems")
        || mb.is_folder(folder_id, "recoverableitemsdeletions")
    {
        "deletedFolder"
    } else {
        "others"
    }
}

fn auth_result(headers: &[(String, String)], key: &str) -> String {
    for (n, v) in headers {
        if n.eq_ignore_ascii_case("Authentication-Results") {
            let lower = v.to_ascii_lowercase();
            if let Some(pos) = lower.find(&format!("{key}=")) {
                let rest = &lower[pos + key.len() + 1..];
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if !word.is_empty() {
                    return word;
                }
            }
        }
    }
    "none".into()
}

/// What a new message should look like in a folder.
pub struct NewMessage {
    pub folder_key: String,
    pub mime: Arc<Vec<u8>>,
    pub mail: Arc<ParsedMail>,
    pub received: DateTime<Utc>,
    pub is_read: bool,
    pub scenario: Option<String>,
    pub network_message_id: String,
    /// Create the analyzedEmail record for this copy (inbound delivery).
    pub analyzed: bool,
    /// Sent-date shift applied when the seed was rebased.
    pub sent_shift: chrono::TimeDelta,
}

impl Tenant {
    /// Put a message into a mailbox folder (delivery, seed load, copy).
    pub fn add_message(&mut self, user_id: &str, n: NewMessage) -> Option<(String, String)> {
        let seq = self.next_seq();
        let now = Utc::now();
        let mb = self.mailboxes.get_mut(user_id)?;
        let folder = mb
            .folder_by_name(&n.folder_key)
            .or_else(|| mb.folder("inbox"))?
            .id
            .clone();
        let imm = exchange_id("AAkALg", &random_bytes::<33>());
        let rest = exchange_id("AAMkAD", &random_bytes::<36>());
        let attachment_ids = (0..n.mail.attachments.len())
            .map(|_| exchange_id("AAMkAD", &random_bytes::<42>()))
            .collect();
        let m = StoredMessage {
            immutable_id: imm.clone(),
            rest_id: rest.clone(),
            folder_id: folder.clone(),
            sent: n.mail.sent.map(|s| s + n.sent_shift).unwrap_or(n.received),
            mime: n.mime,
            mail: n.mail,
            received: n.received,
            created: n.received.min(now),
            last_modified: n.received.min(now),
            is_read: n.is_read,
            is_draft: false,
            categories: vec![],
            flag: json!({"flagStatus": "notFlagged"}),
            importance: String::new(),
            inference: "focused".into(),
            version: 1,
            scenario: n.scenario,
            attachment_ids,
            network_message_id: n.network_message_id,
        };
        let mut m = m;
        m.importance = m.mail.importance.to_string();
        mb.record(seq, &folder, &m, false);
        mb.rest_index.insert(rest.clone(), imm.clone());
        let address = mb.address.clone();
        let location = delivery_location(mb, &folder);
        let event = MessageEvent {
            user_id: user_id.to_string(),
            folder_id: folder.clone(),
            rest_id: rest.clone(),
            immutable_id: imm.clone(),
            change_type: "created",
            change_key: m.change_key(),
        };
        let analyzed = n.analyzed.then(|| {
            let p = &m.mail;
            let urls = count_urls(&p.body_html) + count_urls(&p.body_text);
            json!({
                "id": new_guid(),
                "loggedDateTime": graph_time(m.received),
                "networkMessageId": m.network_message_id,
                "internetMessageId": p.internet_message_id,
                "senderDetail": {
                    "fromAddress": p.sender_address(),
                    "mailFromAddress": return_path(&p.headers).or_else(|| p.sender_address()),
                    "displayName": p.from.as_ref().and_then(|f| f["emailAddress"]["name"].as_str()),
                    "ipv4": sender_ip(&p.headers),
                },
                "recipientEmailAddress": address,
                "distributionList": null,
                "subject": p.subject,
                "returnPath": return_path(&p.headers),
                "directionality": "inbound",
                "originalDelivery": {"action": if location == "junkFolder" { "deliveredToJunk" } else { "delivered" }, "location": location},
                "latestDelivery": {"action": if location == "junkFolder" { "deliveredToJunk" } else { "delivered" }, "location": location},
                "attachmentsCount": p.attachments.iter().filter(|a| !a.is_inline).count(),
                "urlsCount": urls,
                "language": "en",
                "sizeInBytes": p.size,
                "threatTypes": [],
                "detectionMethods": [],
                "authenticationDetails": {
                    "senderPolicyFramework": auth_result(&p.headers, "spf"),
                    "dkim": auth_result(&p.headers, "dkim"),
                    "dmarc": auth_result(&p.headers, "dmarc"),
                    "compositeAuthentication": auth_result(&p.headers, "compauth"),
                },
                "policy": null,
                "policyAction": null,
                "clientType": null,
            })
        });
        mb.messages.insert(imm.clone(), m);
        if let Some(a) = analyzed {
            // Keep a seeded record for the same (message, recipient) instead of duplicating it.
            let key = (
                a["internetMessageId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                address.to_ascii_lowercase(),
            );
            if !self.analyzed_index.contains_key(&key) {
                self.push_analyzed(a);
            }
        }
        self.outbox.push(event);
        Some((rest, imm))
    }

    /// Move (or copy) a message; returns the new message's immutable id.
    pub fn move_message(
        &mut self,
        user_id: &str,
        key: &str,
        dest_folder: &str,
        copy: bool,
        actor: Option<Actor>,
    ) -> Option<String> {
        let seq = self.next_seq();
        let now = Utc::now();
        let mb = self.mailboxes.get_mut(user_id)?;
        let mut m = mb.messages.get(key)?.clone();
        let src = m.folder_id.clone();
        let owner = mb.address.clone();
        let new_imm;
        if copy {
            new_imm = exchange_id("AAkALg", &random_bytes::<33>());
            m.immutable_id = new_imm.clone();
            m.rest_id = exchange_id("AAMkAD", &random_bytes::<36>());
            m.folder_id = dest_folder.to_string();
            m.created = now;
            m.last_modified = now;
            m.version = 1;
            mb.record(seq, dest_folder, &m, false);
            mb.rest_index.insert(m.rest_id.clone(), new_imm.clone());
        } else {
            new_imm = m.immutable_id.clone();
            mb.record(seq, &src, &m, true);
            mb.rest_index.remove(&m.rest_id);
            self.outbox.push(MessageEvent {
                user_id: user_id.to_string(),
                folder_id: src.clone(),
                rest_id: m.rest_id.clone(),
                immutable_id: m.immutable_id.clone(),
                change_type: "deleted",
                change_key: m.change_key(),
            });
            // A move gives the message a new REST id (immutable id stays).
            m.rest_id = exchange_id("AAMkAD", &random_bytes::<36>());
            m.folder_id = dest_folder.to_string();
            m.last_modified = now;
            m.version += 1;
            let seq2 = self.next_seq();
            let mb = self.mailboxes.get_mut(user_id)?;
            mb.record(seq2, dest_folder, &m, false);
            mb.rest_index.insert(m.rest_id.clone(), new_imm.clone());
        }
        let mb = self.mailboxes.get_mut(user_id)?;
        let location = delivery_location(mb, dest_folder);
        let dest_name = mb
            .folders
            .iter()
            .find(|f| f.id == dest_folder)
            .map(|f| f.display_name.clone());
        self.outbox.push(MessageEvent {
            user_id: user_id.to_string(),
            folder_id: dest_folder.to_string(),
            rest_id: m.rest_id.clone(),
            immutable_id: m.immutable_id.clone(),
            change_type: "created",
            change_key: m.change_key(),
        });
        let imid = m.mail.internet_message_id.clone();
        let subject = m.mail.subject.clone();
        mb.messages.insert(new_imm.clone(), m);
        if !copy {
            self.update_latest_delivery(&imid, &owner, location);
        }
        if let Some(actor) = actor {
            let op = if copy {
                "Copy"
            } else if location == "deletedFolder" {
                "MoveToDeletedItems"
            } else {
                "Move"
            };
            self.audit_mailbox_item(
                &actor,
                op,
                &owner,
                vec![(new_imm.clone(), subject, imid)],
                dest_name.as_deref(),
                now,
            );
        }
        Some(new_imm)
    }

    /// `DELETE` = soft delete into Recoverable Items\Deletions; `permanentDelete` = purge.
    pub fn delete_message(
        &mut self,
        user_id: &str,
        key: &str,
        permanent: bool,
        actor: Option<Actor>,
    ) -> Option<()> {
        let now = Utc::now();
        let mb = self.mailboxes.get(user_id)?;
        let recoverable = mb.well_known_id("recoverableitemsdeletions");
        let m = mb.messages.get(key)?.clone();
        let owner = mb.address.clone();
        if permanent {
            let seq = self.next_seq();
            let mb = self.mailboxes.get_mut(user_id)?;
            mb.record(seq, &m.folder_id, &m, true);
            mb.rest_index.remove(&m.rest_id);
            mb.messages.remove(key);
            self.outbox.push(MessageEvent {
                user_id: user_id.to_string(),
                folder_id: m.folder_id.clone(),
                rest_id: m.rest_id.clone(),
                immutable_id: m.immutable_id.clone(),
                change_type: "deleted",
                change_key: m.change_key(),
            });
            self.update_latest_delivery(&m.mail.internet_message_id, &owner, "deletedFolder");
        } else {
            self.move_message(user_id, key, &recoverable, false, None)?;
        }
        if let Some(actor) = actor {
            let op = if permanent {
                "HardDelete"
            } else {
                "SoftDelete"
            };
            self.audit_mailbox_item(
                &actor,
                op,
                &owner,
                vec![(
                    m.immutable_id.clone(),
                    m.mail.subject.clone(),
                    m.mail.internet_message_id.clone(),
                )],
                None,
                now,
            );
        }
        Some(())
    }

    /// Apply a PATCH to a message's writable properties.
    pub fn patch_message(&mut self, user_id: &str, key: &str, patch: &Value) -> Result<(), String> {
        let seq = self.next_seq();
        let mb = self.mailboxes.get_mut(user_id).ok_or("no mailbox")?;
        let m = mb.messages.get_mut(key).ok_or("not found")?;
        let Some(o) = patch.as_object() else {
            return Err("body must be an object".into());
        };
        for (k, v) in o {
            match k.as_str() {
                "isRead" => m.is_read = v.as_bool().ok_or("isRead must be boolean")?,
                "categories" => {
                    m.categories = v
                        .as_array()
                        .ok_or("categories must be an array")?
                        .iter()
                        .filter_map(|c| c.as_str().map(str::to_string))
                        .collect()
                }
                "flag" => {
                    let mut f = m.flag.clone();
                    if let (Some(dst), Some(src)) = (f.as_object_mut(), v.as_object()) {
                        for (a, b) in src {
                            dst.insert(a.clone(), b.clone());
                        }
                    }
                    m.flag = f;
                }
                "importance" => {
                    let s = v.as_str().ok_or("importance must be a string")?;
                    if !["low", "normal", "high"].contains(&s) {
                        return Err(format!("invalid importance {s}"));
                    }
                    m.importance = s.into()
                }
                "inferenceClassification" => {
                    let s = v
                        .as_str()
                        .ok_or("inferenceClassification must be a string")?;
                    if !["focused", "other"].contains(&s) {
                        return Err(format!("invalid inferenceClassification {s}"));
                    }
                    m.inference = s.into()
                }
                "subject" | "body" | "toRecipients" | "ccRecipients" | "bccRecipients" | "from"
                | "replyTo"
                    if !m.is_draft =>
                {
                    // Exchange silently ignores these on non-drafts.
                }
                k if k.starts_with('@') => {}
                _ => {}
            }
        }
        m.version += 1;
        m.last_modified = Utc::now();
        let m = m.clone();
        mb.record(seq, &m.folder_id, &m, false);
        self.outbox.push(MessageEvent {
            user_id: user_id.to_string(),
            folder_id: m.folder_id.clone(),
            rest_id: m.rest_id.clone(),
            immutable_id: m.immutable_id.clone(),
            change_type: "updated",
            change_key: m.change_key(),
        });
        Ok(())
    }

    pub fn update_latest_delivery(
        &mut self,
        internet_message_id: &str,
        recipient: &str,
        location: &str,
    ) {
        let key = (
            internet_message_id.to_string(),
            recipient.to_ascii_lowercase(),
        );
        let Some(idx) = self.analyzed_index.get(&key).cloned() else {
            return;
        };
        let action = if location == "junkFolder" {
            "deliveredToJunk"
        } else {
            "delivered"
        };
        for i in idx {
            if let Some(a) = self.analyzed_emails.get_mut(i) {
                a["latestDelivery"] = json!({"action": action, "location": location});
            }
        }
    }

    /// Create an inbox rule (server assigns `id`), with its unified-audit record.
    pub fn create_rule(&mut self, user_id: &str, mut rule: Value, actor: &Actor) -> Option<Value> {
        let now = Utc::now();
        let mb = self.mailboxes.get_mut(user_id)?;
        mb.rule_counter += 1;
        let mut raw = [0u8; 8];
        raw[..4].copy_from_slice(&[1, 0, 0, 0]);
        raw[4..].copy_from_slice(&random_bytes::<4>());
        let id = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE, raw);
        let o = rule.as_object_mut()?;
        o.insert("id".into(), json!(id));
        o.entry("isEnabled").or_insert(json!(true));
        o.entry("hasError").or_insert(json!(false));
        o.entry("isReadOnly").or_insert(json!(false));
        let seq = mb.rules.len() as i64 + 1;
        o.entry("sequence").or_insert(json!(seq));
        o.remove("@odata.context");
        mb.rules.push(rule.clone());
        mb.rules
            .sort_by_key(|r| r["sequence"].as_i64().unwrap_or(i64::MAX));
        let owner = mb.address.clone();
        let params = rule_parameters(&rule);
        self.audit_exchange_cmdlet(
            actor,
            "New-InboxRule",
            &format!(
                "{owner}\\{}",
                rule["displayName"].as_str().unwrap_or_default()
            ),
            params,
            now,
        );
        Some(rule)
    }

    pub fn delete_rule(
        &mut self,
        user_id: &str,
        rule_id: &str,
        actor: &Actor,
    ) -> Result<(), &'static str> {
        let now = Utc::now();
        let mb = self.mailboxes.get_mut(user_id).ok_or("nomailbox")?;
        let pos = mb
            .rules
            .iter()
            .position(|r| r["id"].as_str() == Some(rule_id))
            .ok_or("notfound")?;
        if mb.rules[pos]["isReadOnly"].as_bool() == Some(true) {
            return Err("readonly");
        }
        let rule = mb.rules.remove(pos);
        let owner = mb.address.clone();
        self.audit_exchange_cmdlet(
            actor,
            "Remove-InboxRule",
            &format!(
                "{owner}\\{}",
                rule["displayName"].as_str().unwrap_or_default()
            ),
            vec![
                (
                    "Identity".into(),
                    format!(
                        "{owner}\\{}",
                        rule["displayName"].as_str().unwrap_or_default()
                    ),
                ),
                ("Confirm".into(), "False".into()),
            ],
            now,
        );
        Ok(())
    }

    pub fn patch_rule(
        &mut self,
        user_id: &str,
        rule_id: &str,
        patch: &Value,
        actor: &Actor,
    ) -> Result<Value, &'static str> {
        let now = Utc::now();
        let mb = self.mailboxes.get_mut(user_id).ok_or("nomailbox")?;
        let rule = mb
            .rules
            .iter_mut()
            .find(|r| r["id"].as_str() == Some(rule_id))
            .ok_or("notfound")?;
        if rule["isReadOnly"].as_bool() == Some(true) {
            return Err("readonly");
        }
        if let (Some(dst), Some(src)) = (rule.as_object_mut(), patch.as_object()) {
            for (k, v) in src {
                if k != "id" && !k.starts_with('@') {
                    dst.insert(k.clone(), v.clone());
                }
            }
        }
        let rule = rule.clone();
        let owner = mb.address.clone();
        let op = if patch.get("isEnabled").and_then(Value::as_bool) == Some(false) {
            "Disable-InboxRule"
        } else {
            "Set-InboxRule"
        };
        let mut params = rule_parameters(&rule);
        params.insert(
            0,
            (
                "Identity".into(),
                format!(
                    "{owner}\\{}",
                    rule["displayName"].as_str().unwrap_or_default()
                ),
            ),
        );
        self.audit_exchange_cmdlet(
            actor,
            op,
            &format!(
                "{owner}\\{}",
                rule["displayName"].as_str().unwrap_or_default()
            ),
            params,
            now,
        );
        Ok(rule)
    }
}

fn count_urls(s: &str) -> usize {
    s.matches("http://").count() + s.matches("https://").count()
}

fn return_path(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Return-Path"))
        .map(|(_, v)| {
            v.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
}

fn sender_ip(headers: &[(String, String)]) -> Option<String> {
    for (n, v) in headers {
        if n.eq_ignore_ascii_case("X-MS-Exchange-Organization-OriginalClientIPAddress")
            || n.eq_ignore_ascii_case("X-Originating-IP")
        {
            return Some(v.trim().trim_matches(['[', ']']).to_string());
        }
    }
    for (n, v) in headers {
        if n.eq_ignore_ascii_case("Received-SPF")
            && let Some(pos) = v.find("client-ip=")
        {
            let ip: String = v[pos + 10..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':')
                .collect();
            return Some(ip);
        }
    }
    None
}

/// Exchange cmdlet parameters equivalent to a Graph rule (for `New-InboxRule` records).
pub fn rule_parameters(rule: &Value) -> Vec<(String, String)> {
    let mut p = vec![(
        "Name".to_string(),
        rule["displayName"].as_str().unwrap_or_default().to_string(),
    )];
    let addrs = |v: &Value| -> String {
        let list: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            Value::Object(_) => vec![v],
            _ => vec![],
        };
        list.iter()
            .filter_map(|r| r["emailAddress"]["address"].as_str())
            .collect::<Vec<_>>()
            .join(";")
    };
    let a = &rule["actions"];
    for (graph, exo) in [
        ("forwardTo", "ForwardTo"),
        ("forwardAsAttachmentTo", "ForwardAsAttachmentTo"),
        ("redirectTo", "RedirectTo"),
    ] {
        if !a[graph].is_null() {
            let s = addrs(&a[graph]);
            if !s.is_empty() {
                p.push((exo.into(), s));
            }
        }
    }
    for (graph, exo) in [
        ("delete", "DeleteMessage"),
        ("markAsRead", "MarkAsRead"),
        ("stopProcessingRules", "StopProcessingRules"),
        ("permanentDelete", "PermanentDelete"),
    ] {
        if a[graph].as_bool() == Some(true) {
            p.push((exo.into(), "True".into()));
        }
    }
    if let Some(f) = a["moveToFolder"].as_str() {
        p.push(("MoveToFolder".into(), f.into()));
    }
    let c = &rule["conditions"];
    for (graph, exo) in [
        ("subjectContains", "SubjectContainsWords"),
        ("bodyContains", "BodyContainsWords"),
        ("subjectOrBodyContains", "SubjectOrBodyContainsWords"),
        ("bodyOrSubjectContains", "SubjectOrBodyContainsWords"),
        ("senderContains", "FromAddressContainsWords"),
    ] {
        if let Some(words) = c[graph].as_array() {
            let w: Vec<&str> = words.iter().filter_map(Value::as_str).collect();
            p.push((exo.into(), w.join(";")));
        }
    }
    if !c["fromAddresses"].is_null() {
        p.push(("From".into(), addrs(&c["fromAddresses"])));
    }
    p
}

/// Raw seed-time message insert used by the loader (no notifications wanted at load).
pub fn network_message_id() -> String {
    new_guid()
}
