//! Sign-ins, directory audits and the unified audit stream (Management Activity API).
//!
//! These logs have no delta: Ward reads a time window from its cursor (minus an overlap, since
//! Microsoft writes late events) to now, stores every record keyed by its id (so the overlap
//! costs nothing), and commits the new cursor after the window is stored.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use ward_graph::{GraphClient, SignInStream};
use ward_store::{Event, EventKind};

use crate::{IngestError, Result, Run, bump};

/// Sources in the unified audit stream that carry the events Ward detects on.
const CONTENT_TYPES: &[&str] = &[
    "Audit.Exchange",
    "Audit.AzureActiveDirectory",
    "Audit.General",
];

/// Re-read this much before the cursor: Entra and the audit stream deliver late.
fn overlap() -> Duration {
    Duration::minutes(10)
}

/// The Management Activity API keeps 7 days and lists at most 24 hours per call.
fn mgmt_retention() -> Duration {
    Duration::days(7) - Duration::minutes(5)
}

pub(crate) async fn sync_events(run: &Run) -> Result<()> {
    run.progress.stage("sign-ins and audits", None);
    let now = Utc::now();
    // Each log is independent: one failing (e.g. no Entra P1 licence for sign-ins) must not
    // keep the others from being read.
    let signins = graph_log(
        run,
        "signins",
        EventKind::SignIn,
        "createdDateTime",
        now,
        |c, from, to| c.sign_ins_url(SignInStream::Interactive, from, Some(to)),
    );
    if let Err(e) = signins.await {
        soft(run, "sign-ins", e)?;
    }
    let audits = graph_log(
        run,
        "audits",
        EventKind::Audit,
        "activityDateTime",
        now,
        |c, from, to| c.directory_audits_url(from, Some(to)),
    );
    if let Err(e) = audits.await {
        soft(run, "directory audits", e)?;
    }
    // Start only the feeds that are not enabled yet (a start on an enabled feed is AF20024).
    let enabled: Vec<String> = match run.client.list_management_subscriptions().await {
        Ok(subs) => subs
            .into_iter()
            .filter(|s| {
                s.status
                    .as_deref()
                    .is_some_and(|st| st.eq_ignore_ascii_case("enabled"))
            })
            .filter_map(|s| s.content_type)
            .collect(),
        Err(e) => {
            run.warn(format!(
                "unified audit: cannot list feed subscriptions: {e}"
            ));
            Vec::new()
        }
    };
    for ct in CONTENT_TYPES {
        let start = !enabled.iter().any(|e| e.eq_ignore_ascii_case(ct));
        if let Err(e) = unified(run, ct, start, now).await {
            soft(run, &format!("unified audit {ct}"), e)?;
        }
    }
    run.progress.finish("sign-ins and audits");
    Ok(())
}

/// A Graph failure becomes a warning; a store failure stays an error.
fn soft(run: &Run, what: &str, e: IngestError) -> Result<()> {
    match e {
        IngestError::Store { .. } => Err(e),
        other => {
            run.warn(format!("{what}: {other}"));
            Ok(())
        }
    }
}

async fn window_start(run: &Run, stream: &str, floor: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let cursor = run
        .store
        .get_cursor(&run.opts.tenant_id, stream)
        .await
        .map_err(IngestError::store(stream))?;
    let from = cursor
        .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
        .map(|t| t.with_timezone(&Utc) - overlap())
        .unwrap_or(floor);
    Ok(from.max(floor))
}

async fn graph_log(
    run: &Run,
    stream: &str,
    kind: EventKind,
    time_field: &str,
    now: DateTime<Utc>,
    first_url: impl Fn(&GraphClient, DateTime<Utc>, DateTime<Utc>) -> String,
) -> Result<()> {
    let tenant = &run.opts.tenant_id;
    let from = window_start(run, stream, now - run.opts.backfill).await?;
    let mut url = first_url(&run.client, from, now);
    let mut newest: Option<DateTime<Utc>> = None;
    loop {
        let page = run
            .client
            .get_page::<Value>(&url)
            .await
            .map_err(IngestError::graph(stream))?;
        let mut tx = run
            .store
            .transaction()
            .await
            .map_err(IngestError::store(stream))?;
        let mut added = 0;
        for raw in page.items {
            let Some(id) = raw.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let time = raw
                .get(time_field)
                .and_then(Value::as_str)
                .and_then(ward_graph::de::parse_datetime)
                .unwrap_or(now);
            newest = newest.max(Some(time));
            let user_id = user_of(kind, &raw);
            let event = Event {
                tenant_id: tenant.clone(),
                kind,
                id,
                time,
                user_id,
                source: format!("graph:{stream}"),
                raw,
            };
            if tx
                .insert_event(&event)
                .await
                .map_err(IngestError::store(stream))?
            {
                added += 1;
            }
        }
        tx.commit().await.map_err(IngestError::store(stream))?;
        let counter = match kind {
            EventKind::SignIn => &run.counters.sign_ins,
            EventKind::Audit => &run.counters.audits,
        };
        bump(counter, added);
        run.progress.advance("sign-ins and audits", added);
        match page.next_link {
            Some(next) => url = next,
            None => break,
        }
    }
    // The window is stored: move the cursor to its end (not past `now`: later events of the
    // same second may still come, the overlap takes them).
    let cursor = newest.unwrap_or(now).min(now);
    run.store
        .set_cursor(tenant, stream, &cursor.to_rfc3339())
        .await
        .map_err(IngestError::store(stream))?;
    Ok(())
}

fn user_of(kind: EventKind, raw: &Value) -> Option<String> {
    let s = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match kind {
        EventKind::SignIn => s(raw.get("userId")),
        EventKind::Audit => s(raw.pointer("/initiatedBy/user/id")).or_else(|| {
            raw.get("targetResources")
                .and_then(Value::as_array)
                .and_then(|t| {
                    t.iter()
                        .find(|r| r.get("type").and_then(Value::as_str) == Some("User"))
                })
                .and_then(|r| s(r.get("id")))
        }),
    }
}

/// One content type of the unified audit stream, from its cursor to now, in ≤ 24 h windows.
async fn unified(
    run: &Run,
    content_type: &str,
    start_feed: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let stream = format!("mgmt:{content_type}");
    let tenant = &run.opts.tenant_id;
    // Without a started subscription the feed answers AF20022.
    if start_feed {
        match run.client.start_subscription(content_type, None).await {
            Ok(_) => {}
            Err(e) if e.code() == Some("AF20024") => {}
            Err(e) => return Err(IngestError::graph(&stream)(e)),
        }
    }
    let floor = now - run.opts.backfill.min(mgmt_retention());
    let mut start = window_start(run, &stream, floor).await?;
    while start < now {
        let end = (start + Duration::hours(24)).min(now);
        let items = run
            .client
            .list_content(content_type, start, end)
            .await
            .map_err(IngestError::graph(&stream))?;
        for item in items {
            let records = match run.client.fetch_content(&item.content_uri).await {
                Ok(r) => r,
                // An expired blob is gone for good: say so, keep going.
                Err(e) if e.is_not_found() => {
                    run.warn(format!(
                        "unified audit blob {} expired before it was read",
                        item.content_id
                    ));
                    continue;
                }
                Err(e) => return Err(IngestError::graph(&stream)(e)),
            };
            let mut tx = run
                .store
                .transaction()
                .await
                .map_err(IngestError::store(&stream))?;
            let mut added = 0;
            for rec in records {
                let user_id = match rec.user_id.as_deref() {
                    Some(upn) if upn.contains('@') => tx
                        .find_user_by_upn(tenant, upn)
                        .await
                        .map_err(IngestError::store(&stream))?
                        .map(|u| u.id),
                    _ => None,
                };
                let event = Event {
                    tenant_id: tenant.clone(),
                    kind: EventKind::Audit,
                    id: rec.id.clone(),
                    time: rec.creation_time.unwrap_or(now),
                    user_id,
                    source: stream.clone(),
                    raw: rec.raw,
                };
                if tx
                    .insert_event(&event)
                    .await
                    .map_err(IngestError::store(&stream))?
                {
                    added += 1;
                }
            }
            tx.commit().await.map_err(IngestError::store(&stream))?;
            bump(&run.counters.unified_audit, added);
        }
        run.store
            .set_cursor(tenant, &stream, &end.to_rfc3339())
            .await
            .map_err(IngestError::store(&stream))?;
        start = end;
    }
    Ok(())
}
