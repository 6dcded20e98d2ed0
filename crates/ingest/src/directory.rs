//! The directory: `/users/delta`, one committed page at a time.

use ward_graph::models::{DeltaItem, User};
use ward_store::{Mailbox, User as StoredUser};

use crate::{IngestError, Result, Run, bump, with_resync};

const STREAM: &str = "users";

/// A user whose mailbox Ward watches.
#[derive(Debug, Clone)]
pub(crate) struct DirUser {
    pub id: String,
    pub address: String,
}

/// Brings the stored directory up to date and returns every user with a mailbox.
pub(crate) async fn sync_users(run: &Run) -> Result<Vec<DirUser>> {
    run.progress.stage("directory", None);
    with_resync(run, STREAM, || users_round(run)).await?;
    run.progress.finish("directory");
    let users = run
        .store
        .list_users(&run.opts.tenant_id)
        .await
        .map_err(IngestError::store(STREAM))?;
    Ok(users
        .into_iter()
        .filter(|u| u.enabled || u.mail.is_some())
        .filter_map(|u| {
            u.mail.clone().map(|address| DirUser {
                id: u.id.clone(),
                address,
            })
        })
        .collect())
}

/// Follows the delta from the stored cursor to a fresh delta link.
async fn users_round(run: &Run) -> Result<()> {
    let tenant = &run.opts.tenant_id;
    let mut url = match run
        .store
        .get_cursor(tenant, STREAM)
        .await
        .map_err(IngestError::store(STREAM))?
    {
        Some(link) => link,
        None => run.client.users_delta_url(None, false),
    };
    loop {
        let page = run
            .client
            .users_delta_page(&url)
            .await
            .map_err(IngestError::graph(STREAM))?;
        let mut tx = run
            .store
            .transaction()
            .await
            .map_err(IngestError::store(STREAM))?;
        for item in page.items {
            match item {
                DeltaItem::Upsert(user) => {
                    if user.id.is_empty() {
                        continue;
                    }
                    let (row, mailbox) = stored_user(tenant, &user);
                    // A delta entry may carry only the changed properties: merge over what we had.
                    let row = match tx
                        .get_user(tenant, &row.id)
                        .await
                        .map_err(IngestError::store(STREAM))?
                    {
                        Some(old) => merge_user(old, row),
                        None => row,
                    };
                    tx.upsert_user(&row)
                        .await
                        .map_err(IngestError::store(STREAM))?;
                    if let Some(mailbox) = mailbox {
                        tx.upsert_mailbox(&mailbox)
                            .await
                            .map_err(IngestError::store(STREAM))?;
                    }
                    bump(&run.counters.users, 1);
                }
                DeltaItem::Removed { id, .. } => {
                    if tx
                        .delete_user(tenant, &id)
                        .await
                        .map_err(IngestError::store(STREAM))?
                    {
                        bump(&run.counters.users_removed, 1);
                    }
                }
            }
        }
        let next = page.next_link.clone().or(page.delta_link.clone());
        if let Some(next) = &next {
            tx.set_cursor(tenant, STREAM, next)
                .await
                .map_err(IngestError::store(STREAM))?;
        }
        tx.commit().await.map_err(IngestError::store(STREAM))?;
        run.progress.advance("directory", 1);
        match (page.next_link, page.delta_link) {
            (Some(next), _) => url = next,
            _ => return Ok(()),
        }
    }
}

fn stored_user(tenant: &str, u: &User) -> (StoredUser, Option<Mailbox>) {
    let raw = serde_json::to_value(u).unwrap_or(serde_json::Value::Null);
    let upn = u
        .user_principal_name
        .clone()
        .or_else(|| u.mail.clone())
        .unwrap_or_else(|| u.id.clone());
    let row = StoredUser {
        tenant_id: tenant.to_owned(),
        id: u.id.clone(),
        upn,
        display_name: u.display_name.clone(),
        mail: u.mail.clone(),
        department: u.department.clone(),
        job_title: u.job_title.clone(),
        enabled: u.account_enabled.unwrap_or(true),
        raw,
    };
    let mailbox = u.mail.as_ref().map(|address| Mailbox {
        tenant_id: tenant.to_owned(),
        id: u.id.clone(),
        user_id: Some(u.id.clone()),
        address: address.clone(),
        display_name: u.display_name.clone(),
    });
    (row, mailbox)
}

/// Properties absent from a delta entry keep their stored value.
fn merge_user(old: StoredUser, new: StoredUser) -> StoredUser {
    let mut raw = old.raw.clone();
    if let (Some(dst), Some(src)) = (raw.as_object_mut(), new.raw.as_object()) {
        for (k, v) in src {
            if !v.is_null() {
                dst.insert(k.clone(), v.clone());
            }
        }
    }
    StoredUser {
        upn: if new.upn == new.id { old.upn } else { new.upn },
        display_name: new.display_name.or(old.display_name),
        mail: new.mail.or(old.mail),
        department: new.department.or(old.department),
        job_title: new.job_title.or(old.job_title),
        enabled: new
            .raw
            .get("accountEnabled")
            .and_then(|v| v.as_bool())
            .unwrap_or(old.enabled),
        raw,
        ..new
    }
}
