//! Message actions: quarantine, soft delete, purge, and putting messages back.
//!
//! A message is addressed by its `internetMessageId` in one mailbox, not by a Graph id: the
//! user (or a rule) may have moved it since Ward saw it, and there may be several copies. Each
//! operation first finds the copies where they are now (one filtered query), so a repeated or
//! resumed operation sees what is already done.

use serde_json::{Value, json};
use ward_graph::models::mail::MessageQuery;
use ward_graph::{GraphError, url::odata_string};

use super::Applied;
use crate::config::QuarantineTarget;
use crate::engine::Responder;

/// A copy of the message: its id and the folder it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Copy {
    pub id: String,
    pub folder_id: String,
}

fn copies_json(copies: &[Copy]) -> Value {
    Value::Array(
        copies
            .iter()
            .map(|c| json!({"id": c.id, "folder_id": c.folder_id}))
            .collect(),
    )
}

pub(crate) fn copies_from(v: &Value) -> Vec<Copy> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some(Copy {
                        id: c["id"].as_str()?.to_owned(),
                        folder_id: c["folder_id"].as_str().unwrap_or_default().to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

impl From<ward_graph::models::mail::Message> for Copy {
    fn from(m: ward_graph::models::mail::Message) -> Self {
        Copy {
            id: m.id,
            folder_id: m.parent_folder_id.unwrap_or_default(),
        }
    }
}

/// Copies of the message in the mailbox's visible folders (and Ward's hidden quarantine).
pub(crate) async fn locate(r: &Responder, user: &str, imid: &str) -> Result<Vec<Copy>, GraphError> {
    Ok(r.client
        .find_by_internet_message_id(user, imid)
        .await?
        .into_iter()
        .map(Copy::from)
        .collect())
}

/// Copies in Recoverable Items\Deletions (where a soft delete puts them).
async fn locate_deleted(r: &Responder, user: &str, imid: &str) -> Result<Vec<Copy>, GraphError> {
    let q = MessageQuery {
        filter: Some(format!("internetMessageId eq {}", odata_string(imid))),
        select: Some("id,parentFolderId,internetMessageId".into()),
        ..Default::default()
    };
    Ok(r.client
        .list_messages(user, Some("recoverableitemsdeletions"), &q)
        .await?
        .into_iter()
        .map(Copy::from)
        .collect())
}

pub(crate) async fn before(r: &Responder, user: &str, imid: &str) -> Result<Value, GraphError> {
    let copies = locate(r, user, imid).await?;
    Ok(before_value(imid, &copies))
}

/// The before-state of a message action, as journaled.
pub(crate) fn before_value(imid: &str, copies: &[Copy]) -> Value {
    json!({"internet_message_id": imid, "copies": copies_json(copies)})
}

/// The quarantine folder's id in this mailbox: Ward's hidden folder (found or created once,
/// then cached) or Junk Email.
pub(crate) async fn quarantine_folder(r: &Responder, user: &str) -> Result<String, GraphError> {
    if let Some(id) = r.folders.lock().await.get(user) {
        return Ok(id.clone());
    }
    let id = match r.cfg.quarantine {
        QuarantineTarget::Junk => r.client.get_mail_folder(user, "junkemail").await?.id,
        QuarantineTarget::Folder => {
            let name = r.cfg.quarantine_folder.as_str();
            let find = |folders: Vec<ward_graph::models::mail::MailFolder>| {
                folders
                    .into_iter()
                    .find(|f| f.display_name.as_deref() == Some(name))
                    .map(|f| f.id)
            };
            match find(r.client.list_mail_folders(user).await?) {
                Some(id) => id,
                None => match r.client.create_mail_folder(user, None, name, true).await {
                    Ok(f) => f.id,
                    // Created meanwhile (another worker, or a run that died after creating it).
                    Err(e) if e.is_conflict() => {
                        find(r.client.list_mail_folders(user).await?).ok_or(e)?
                    }
                    Err(e) => return Err(e),
                },
            }
        }
    };
    r.folders.lock().await.insert(user.to_owned(), id.clone());
    Ok(id)
}

/// Moves every copy to the quarantine; undo moves each back to the folder it was in before.
///
/// `fresh`: the before-state was read just now, in this run (not a resumed action), so its
/// copies are where the messages are and serve the move without a second query. A resumed
/// action reads them again: the interrupted run may have moved some already.
pub(crate) async fn quarantine(
    r: &Responder,
    user: &str,
    imid: &str,
    before: &Value,
    fresh: bool,
) -> Result<Applied, GraphError> {
    let origin = copies_from(&before["copies"]);
    if fresh && origin.is_empty() {
        return Ok(gone(&origin));
    }
    let dest = quarantine_folder(r, user).await?;
    let now = if fresh {
        origin.clone()
    } else {
        locate(r, user, imid).await?
    };
    if now.is_empty() {
        return Ok(gone(&origin));
    }
    let mut moved = Vec::new();
    for c in &now {
        if c.folder_id == dest {
            continue;
        }
        match r.client.move_message(user, &c.id, &dest).await {
            Ok(m) => moved.push(Copy {
                id: m.id,
                folder_id: c.folder_id.clone(),
            }),
            // Moved or deleted by the user between our query and the move.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(quarantined(user, imid, &origin, &now, &dest, moved.len()))
}

/// The outcome of a quarantine that found no copy.
pub(crate) fn gone(origin: &[Copy]) -> Applied {
    Applied::new(
        "gone",
        if origin.is_empty() {
            "no copy of the message in this mailbox".into()
        } else {
            "the message is no longer in this mailbox (deleted or moved out of reach since)".into()
        },
        json!({"moved": 0}),
        Value::Null,
    )
}

/// The outcome of a quarantine: `now` the copies found before moving, `moved` how many moves
/// succeeded. The undo step sends each copy back where the before-state (recorded before any
/// move) saw it, else where it was found.
pub(crate) fn quarantined(
    user: &str,
    imid: &str,
    origin: &[Copy],
    now: &[Copy],
    dest: &str,
    moved: usize,
) -> Applied {
    let already = now.iter().filter(|c| c.folder_id == dest).count();
    let back: Vec<Copy> = now
        .iter()
        .map(|c| {
            let from = origin
                .iter()
                .find(|o| o.id == c.id && o.folder_id != dest)
                .map(|o| o.folder_id.clone())
                .unwrap_or_else(|| c.folder_id.clone());
            Copy {
                id: c.id.clone(),
                folder_id: from,
            }
        })
        .filter(|c| c.folder_id != dest)
        .collect();
    let outcome = if moved == 0 { "already" } else { "done" };
    let detail = format!(
        "{moved} cop{} moved to quarantine, {already} already there",
        if moved == 1 { "y" } else { "ies" }
    );
    let undo = if back.is_empty() {
        Value::Null
    } else {
        json!({"op": "move_back", "user_id": user, "internet_message_id": imid,
               "from_folder": dest, "copies": copies_json(&back)})
    };
    Applied::new(
        outcome,
        detail,
        json!({"moved": moved, "already": already, "quarantine_folder": dest}),
        undo,
    )
}

/// Soft delete every copy; undo moves them back out of Recoverable Items.
pub(crate) async fn soft_delete(
    r: &Responder,
    user: &str,
    imid: &str,
    before: &Value,
) -> Result<Applied, GraphError> {
    let origin = copies_from(&before["copies"]);
    let now = locate(r, user, imid).await?;
    let mut deleted = 0;
    for c in &now {
        match r.client.delete_message(user, &c.id).await {
            Ok(()) => deleted += 1,
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    let outcome = match (deleted, origin.is_empty()) {
        (0, true) => "gone",
        (0, false) => "already",
        _ => "done",
    };
    let undo = if origin.is_empty() {
        Value::Null
    } else {
        json!({"op": "restore_deleted", "user_id": user, "internet_message_id": imid,
               "copies": copies_json(&origin)})
    };
    Ok(Applied::new(
        outcome,
        format!("{deleted} cop(ies) deleted (recoverable)"),
        json!({"deleted": deleted}),
        undo,
    ))
}

/// Permanent delete of every copy, wherever it is (visible folders and Recoverable Items).
pub(crate) async fn purge(r: &Responder, user: &str, imid: &str) -> Result<Applied, GraphError> {
    let mut copies = locate(r, user, imid).await?;
    copies.extend(locate_deleted(r, user, imid).await?);
    let mut purged = 0;
    for c in &copies {
        match r.client.permanent_delete_message(user, &c.id).await {
            Ok(()) => purged += 1,
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Applied::new(
        if purged == 0 { "gone" } else { "done" },
        format!("{purged} cop(ies) purged"),
        json!({"purged": purged}),
        Value::Null,
    ))
}

/// Undo of quarantine and soft delete: each copy back to the folder it was in. A copy that is no
/// longer where Ward put it (the user moved or deleted it) is left alone and reported.
pub(crate) async fn restore(r: &Responder, undo: &Value) -> Result<Applied, GraphError> {
    let user = undo["user_id"].as_str().unwrap_or_default();
    let imid = undo["internet_message_id"].as_str().unwrap_or_default();
    let wanted = copies_from(&undo["copies"]);
    let mut found = if undo["op"] == "restore_deleted" {
        locate_deleted(r, user, imid).await?
    } else {
        locate(r, user, imid).await?
    };
    if let Some(q) = undo["from_folder"].as_str() {
        // Only what is still in the quarantine: a copy the user moved elsewhere stays there.
        found.retain(|c| c.folder_id == q);
    }
    let mut restored = 0;
    let mut missing = Vec::new();
    for w in &wanted {
        // Ids survive moves (immutable ids); a soft delete may give a new one, so then any
        // deleted copy left stands in.
        let copy = found
            .iter()
            .position(|c| c.id == w.id)
            .or_else(|| (undo["op"] == "restore_deleted" && !found.is_empty()).then_some(0));
        let Some(pos) = copy else {
            missing.push(w.id.clone());
            continue;
        };
        let c = found.remove(pos);
        let dest = if w.folder_id.is_empty() {
            "inbox"
        } else {
            &w.folder_id
        };
        match r.client.move_message(user, &c.id, dest).await {
            Ok(_) => restored += 1,
            // The original folder is gone: the inbox is the safe place.
            Err(e) if e.is_not_found() && dest != "inbox" => {
                r.client.move_message(user, &c.id, "inbox").await?;
                restored += 1;
            }
            Err(e) => return Err(e),
        }
    }
    let outcome = if restored > 0 {
        "done"
    } else if missing.is_empty() {
        "already"
    } else {
        "gone"
    };
    Ok(Applied::new(
        outcome,
        format!(
            "{restored} cop(ies) put back{}",
            if missing.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} no longer where Ward left them (moved or deleted since)",
                    missing.len()
                )
            }
        ),
        json!({"restored": restored, "missing": missing}),
        Value::Null,
    ))
}
