//! Inbox rules and mailbox forwarding applied to newly delivered mail, as Exchange's transport
//! does: an attacker's rule really moves, deletes or forwards the victim's mail until removed.

use chrono::Utc;
use serde_json::Value;

use super::{ForwardRecord, Tenant};

fn words(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_lowercase))
                .collect()
        })
        .unwrap_or_default()
}

fn addresses(v: &Value) -> Vec<String> {
    let list: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![v],
        _ => vec![],
    };
    list.iter()
        .filter_map(|r| r["emailAddress"]["address"].as_str().map(str::to_lowercase))
        .collect()
}

/// Does a message satisfy a rule's conditions? Unknown predicates never match (conservative).
fn matches(rule: &Value, m: &crate::state::StoredMessage, owner: &str) -> bool {
    let c = &rule["conditions"];
    let Some(conds) = c.as_object() else {
        return true;
    };
    let p = &m.mail;
    let subject = p.subject.to_lowercase();
    let body = p.body_text.to_lowercase();
    let from = p.sender_address().unwrap_or_default().to_lowercase();
    let headers = p
        .headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
    let recipients = p.recipient_addresses();
    let any =
        |ws: Vec<String>, hay: &str| ws.is_empty() || ws.iter().any(|w| hay.contains(w.as_str()));
    for (k, v) in conds {
        let ok = match k.as_str() {
            "subjectContains" => any(words(v), &subject),
            "bodyContains" => any(words(v), &body),
            "bodyOrSubjectContains" | "subjectOrBodyContains" => {
                any(words(v), &format!("{subject}\n{body}"))
            }
            "senderContains" => any(words(v), &from),
            "headerContains" => any(words(v), &headers),
            "recipientContains" => any(words(v), &recipients.join(";")),
            "fromAddresses" => addresses(v).contains(&from),
            "sentToAddresses" => addresses(v).iter().any(|a| recipients.contains(a)),
            "hasAttachments" => v.as_bool() == Some(p.has_attachments()),
            "importance" => v.as_str() == Some(m.importance.as_str()),
            "sentToMe" => v.as_bool() != Some(true) || recipients.iter().any(|r| r == owner),
            "sentOnlyToMe" => {
                v.as_bool() != Some(true) || (recipients.len() == 1 && recipients[0] == owner)
            }
            "notSentToMe" => v.as_bool() != Some(true) || !recipients.iter().any(|r| r == owner),
            _ if v.is_null()
                || v == &Value::Bool(false)
                || v.as_array().is_some_and(Vec::is_empty) =>
            {
                true
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

impl Tenant {
    /// Run the mailbox's enabled rules (and mailbox forwarding) on a just-delivered message.
    pub fn apply_inbox_rules(&mut self, user_id: &str, key: &str) {
        let now = Utc::now();
        let Some(mb) = self.mailboxes.get(user_id) else {
            return;
        };
        let Some(m) = mb.messages.get(key).cloned() else {
            return;
        };
        if !mb.is_folder(&m.folder_id, "inbox") {
            return;
        }
        let owner = mb.address.to_lowercase();
        let imid = m.mail.internet_message_id.clone();
        if let Some(fwd) = mb.hidden_forwarding.clone() {
            self.forwards.push(ForwardRecord {
                user_id: user_id.into(),
                to: vec![fwd],
                internet_message_id: imid.clone(),
                via: "mailbox".into(),
                at: now,
            });
        }
        let Some(mb) = self.mailboxes.get(user_id) else {
            return;
        };
        let mut rules: Vec<Value> = mb
            .rules
            .iter()
            .filter(|r| {
                r["isEnabled"].as_bool() != Some(false) && r["isReadOnly"].as_bool() != Some(true)
            })
            .cloned()
            .collect();
        rules.sort_by_key(|r| r["sequence"].as_i64().unwrap_or(i64::MAX));
        let mut current = key.to_string();
        for rule in rules {
            let Some(mb) = self.mailboxes.get(user_id) else {
                return;
            };
            let Some(msg) = mb.messages.get(&current).cloned() else {
                return;
            };
            if !matches(&rule, &msg, &owner) {
                continue;
            }
            let a = &rule["actions"];
            let name = rule["displayName"].as_str().unwrap_or_default().to_string();
            let mut to = addresses(&a["forwardTo"]);
            to.extend(addresses(&a["forwardAsAttachmentTo"]));
            to.extend(addresses(&a["redirectTo"]));
            if !to.is_empty() {
                self.forwards.push(ForwardRecord {
                    user_id: user_id.into(),
                    to,
                    internet_message_id: imid.clone(),
                    via: format!("rule:{name}"),
                    at: now,
                });
            }
            let mut patch = serde_json::Map::new();
            if a["markAsRead"].as_bool() == Some(true) {
                patch.insert("isRead".into(), Value::Bool(true));
            }
            if let Some(i) = a["markImportance"].as_str() {
                patch.insert("importance".into(), Value::String(i.into()));
            }
            if let Some(c) = a["assignCategories"].as_array() {
                patch.insert("categories".into(), Value::Array(c.clone()));
            }
            if !patch.is_empty() {
                let _ = self.patch_message(user_id, &current, &Value::Object(patch));
            }
            if let Some(f) = a["copyToFolder"].as_str() {
                let dest = self
                    .mailboxes
                    .get(user_id)
                    .and_then(|mb| mb.folder_by_name(f).map(|x| x.id.clone()));
                if let Some(dest) = dest {
                    self.move_message(user_id, &current, &dest, true, None);
                }
            }
            if a["permanentDelete"].as_bool() == Some(true) {
                self.delete_message(user_id, &current, true, None);
                return;
            }
            let dest = if a["delete"].as_bool() == Some(true) {
                Some("deleteditems".to_string())
            } else {
                a["moveToFolder"].as_str().map(str::to_string)
            };
            if let Some(d) = dest {
                let dest_id = self
                    .mailboxes
                    .get(user_id)
                    .and_then(|mb| mb.folder_by_name(&d).map(|x| x.id.clone()));
                if let Some(dest_id) = dest_id
                    && let Some(k) = self.move_message(user_id, &current, &dest_id, false, None)
                {
                    current = k;
                }
            }
            if a["stopProcessingRules"].as_bool() == Some(true) {
                return;
            }
        }
    }
}
