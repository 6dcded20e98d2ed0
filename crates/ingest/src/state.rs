//! State Ward reads itself — inbox rules, authentication methods, applications — stored as
//! snapshots so the detect stage can diff each one with the last, minutes before the audit
//! stream reports the same change.
//!
//! Rules and methods are read with JSON `$batch` (20 reads per HTTP request): a tenant of 200
//! mailboxes costs 20 requests per pass instead of 400.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::{Value, json};
use ward_graph::models::BatchRequestItem;
use ward_store::SnapshotKind;

use crate::directory::DirUser;
use crate::{IngestError, Result, Run, bump};

const STREAM: &str = "state";

pub(crate) async fn sync_state(run: &Run, users: &[DirUser]) -> Result<()> {
    run.progress
        .stage("rules and MFA methods", Some(users.len() as u64));
    let mut items = Vec::with_capacity(users.len() * 2);
    for u in users {
        items.push(get_item(
            format!("r{}", items.len()),
            format!("/users/{}/mailFolders/inbox/messageRules", u.id),
        ));
        items.push(get_item(
            format!("m{}", items.len()),
            format!("/users/{}/authentication/methods", u.id),
        ));
    }
    let targets: Vec<(SnapshotKind, &DirUser)> = users
        .iter()
        .flat_map(|u| {
            [
                (SnapshotKind::InboxRules, u),
                (SnapshotKind::AuthMethods, u),
            ]
        })
        .collect();
    let results = run
        .client
        .batch(items)
        .await
        .map_err(IngestError::graph(STREAM))?;
    let now = Utc::now();
    for ((kind, user), (_, result)) in targets.into_iter().zip(results) {
        let what = match kind {
            SnapshotKind::InboxRules => "inbox rules",
            _ => "authentication methods",
        };
        let value = match result {
            Ok(resp) => {
                let body = resp.body.unwrap_or(Value::Null);
                if body.get("@odata.nextLink").is_some() {
                    // More than one page (rare): read the whole collection directly.
                    match collect(run, kind, &user.id).await {
                        Ok(v) => v,
                        Err(e) => {
                            run.warn(format!("{what} of {}: {e}", user.address));
                            continue;
                        }
                    }
                } else {
                    body.get("value").cloned().unwrap_or_else(|| json!([]))
                }
            }
            Err(e) => {
                run.warn(format!("{what} of {}: {e}", user.address));
                continue;
            }
        };
        put(run, kind, &user.id, &value, now).await?;
        if kind == SnapshotKind::AuthMethods {
            run.progress.advance("rules and MFA methods", 1);
        }
    }
    run.progress.finish("rules and MFA methods");

    run.progress.stage("applications", None);
    match run.client.list_service_principals().await {
        Ok(sps) => {
            for sp in sps {
                let v = serde_json::to_value(&sp).unwrap_or(Value::Null);
                put(run, SnapshotKind::App, &format!("sp:{}", sp.id), &v, now).await?;
            }
        }
        Err(e) => run.warn(format!("service principals: {e}")),
    }
    match run.client.list_applications().await {
        Ok(apps) => {
            for app in apps {
                let v = serde_json::to_value(&app).unwrap_or(Value::Null);
                put(run, SnapshotKind::App, &format!("app:{}", app.id), &v, now).await?;
            }
        }
        Err(e) => run.warn(format!("applications: {e}")),
    }
    run.progress.finish("applications");
    Ok(())
}

fn get_item(id: String, url: String) -> BatchRequestItem {
    BatchRequestItem {
        id,
        method: "GET".into(),
        url,
        headers: BTreeMap::new(),
        body: None,
        depends_on: vec![],
    }
}

async fn collect(run: &Run, kind: SnapshotKind, user: &str) -> ward_graph::Result<Value> {
    Ok(match kind {
        SnapshotKind::InboxRules => serde_json::to_value(run.client.list_inbox_rules(user).await?),
        _ => serde_json::to_value(run.client.list_auth_methods(user).await?),
    }
    .unwrap_or(Value::Null))
}

async fn put(
    run: &Run,
    kind: SnapshotKind,
    object: &str,
    value: &Value,
    at: chrono::DateTime<Utc>,
) -> Result<()> {
    let put = run
        .store
        .put_snapshot(&run.opts.tenant_id, kind, object, value, at)
        .await
        .map_err(IngestError::store(STREAM))?;
    if put.changed {
        bump(&run.counters.snapshots_changed, 1);
        if put.version > 1 {
            run.changed
                .lock()
                .entry(kind.as_str().to_owned())
                .or_default()
                .push(object.to_owned());
        }
    }
    Ok(())
}
