//! Paging (nextLink followed verbatim, incl. opaque tokens) and delta (`@removed`, 410).

mod common;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use common::*;
use parking_lot::Mutex;
use serde_json::json;
use std::sync::Arc;
use ward_graph::models::{DeltaItem, Message};
use ward_graph::{DeltaOptions, GraphError};

#[derive(Default)]
struct Paging {
    base: Mutex<String>,
    /// Raw path+query of each request, as received.
    seen: Mutex<Vec<String>>,
    prefer: Mutex<Vec<String>>,
}

const PAGES: usize = 25;
const PER_PAGE: usize = 10;

/// Opaque continuation: percent-escapes, `=`, `~`, `!`, `*` — must come back byte-identical.
fn opaque(page: usize) -> String {
    format!(
        "/v1.0/users/alice%40contoso.com/messages?%24skiptoken=AAMk%2BZ%2F{page}~!*-_.%3D%3D&$top={PER_PAGE}&x=a%20b"
    )
}

async fn handler(State(s): State<Arc<Paging>>, req: Request) -> Response {
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    s.seen.lock().push(pq.clone());
    if let Some(p) = req.headers().get("prefer") {
        s.prefer.lock().push(p.to_str().unwrap_or("").to_owned());
    }
    let base = s.base.lock().clone();
    if pq.contains("/messages/delta") || pq.contains("deltatoken") || pq.contains("deltaskip") {
        return delta(&base, &pq);
    }
    // Page number: first page = 0, continuation pages encoded in the opaque token.
    let page = (1..PAGES).find(|p| pq == opaque(*p)).unwrap_or(0);
    if page == 0 && !pq.starts_with("/v1.0/users/alice@contoso.com/messages") {
        return graph_error(400, "BadRequest", &format!("unexpected url {pq}"));
    }
    let value: Vec<_> = (0..PER_PAGE)
        .map(|i| json!({"id": format!("m{}", page * PER_PAGE + i), "subject": "s", "from": {"emailAddress": {"address": "x@y.z"}}}))
        .collect();
    let mut body = json!({"@odata.context": "ctx", "value": value});
    if page + 1 < PAGES {
        body["@odata.nextLink"] = json!(format!("{base}{}", opaque(page + 1)));
    }
    json_response(200, body)
}

fn delta(base: &str, pq: &str) -> Response {
    if pq.contains("deltatoken=stale") {
        return graph_error(
            410,
            "SyncStateNotFound",
            "The sync state generation is not found; generation=149;[highest=157]",
        );
    }
    if pq.contains("deltaskip=2") {
        return json_response(
            200,
            json!({
                "value": [
                    {"id": "m3", "subject": "updated", "parentFolderId": "inbox"},
                    {"id": "m1", "@removed": {"reason": "deleted"}}
                ],
                "@odata.deltaLink": format!("{base}/v1.0/users/alice%40contoso.com/mailFolders/inbox/messages/delta?$deltatoken=stale")
            }),
        );
    }
    json_response(
        200,
        json!({
            "value": [
                {"id": "m1", "subject": "one", "internetMessageId": "<1@x>"},
                {"id": "m2", "subject": "two"}
            ],
            "@odata.nextLink": format!("{base}/v1.0/users/alice%40contoso.com/mailFolders/inbox/messages/delta?$deltaskip=2")
        }),
    )
}

async fn setup() -> (Arc<Paging>, ward_graph::GraphClient) {
    let s = Arc::new(Paging::default());
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let base = start(tok, Router::new().fallback(handler).with_state(s.clone())).await;
    *s.base.lock() = base.clone();
    (s, client(&base))
}

#[tokio::test]
async fn follows_next_link_verbatim_over_many_pages() {
    let (s, c) = setup().await;
    let q = ward_graph::models::MessageQuery {
        top: Some(PER_PAGE as u32),
        ..Default::default()
    };
    let all = c
        .list_messages("alice@contoso.com", None, &q)
        .await
        .unwrap();
    assert_eq!(all.len(), PAGES * PER_PAGE);
    assert!(
        all.iter().enumerate().all(|(i, m)| m.id == format!("m{i}")),
        "order kept"
    );
    let seen = s.seen.lock().clone();
    assert_eq!(seen.len(), PAGES);
    for (i, pq) in seen.iter().enumerate().skip(1) {
        assert_eq!(pq, &opaque(i), "nextLink must be followed byte for byte");
    }
    // Mail calls ask for immutable ids.
    assert!(
        s.prefer
            .lock()
            .iter()
            .all(|p| p.contains("IdType=\"ImmutableId\""))
    );
}

#[tokio::test]
async fn page_at_a_time_api_exposes_cursor() {
    let (_s, c) = setup().await;
    let q = ward_graph::models::MessageQuery::default();
    let mut page = c
        .list_messages_page("alice@contoso.com", None, &q)
        .await
        .unwrap();
    let mut n = page.items.len();
    let mut pages = 1;
    while let Some(next) = page.next_link.clone() {
        // A caller would commit `next` here before processing.
        page = c.get_page::<Message>(&next).await.unwrap();
        n += page.items.len();
        pages += 1;
    }
    assert_eq!((n, pages), (PAGES * PER_PAGE, PAGES));
    assert!(c.stats().by_kind.get("mail.messages").copied().unwrap_or(0) >= PAGES as u64);
}

#[tokio::test]
async fn delta_surfaces_removed_and_410_is_typed_resync() {
    let (s, c) = setup().await;
    let url = c.message_delta_url("alice@contoso.com", "inbox", &DeltaOptions::default());
    let p1 = c.message_delta_page(&url, Some(2)).await.unwrap();
    assert_eq!(p1.items.len(), 2);
    let p2 = c
        .message_delta_page(p1.next_link.as_deref().unwrap(), Some(2))
        .await
        .unwrap();
    assert!(p2.next_link.is_none());
    let delta_link = p2.delta_link.clone().expect("deltaLink at end of round");
    let removed: Vec<_> = p2
        .items
        .iter()
        .filter_map(|i| match i {
            DeltaItem::Removed { id, reason } => Some((id.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(removed, vec![("m1".to_owned(), Some("deleted".to_owned()))]);
    assert!(
        matches!(&p2.items[0], DeltaItem::Upsert(m) if m.subject.as_deref() == Some("updated"))
    );
    assert!(
        s.prefer
            .lock()
            .iter()
            .any(|p| p.contains("odata.maxpagesize=2") && p.contains("ImmutableId"))
    );

    let err = c
        .message_delta_page(&delta_link, Some(2))
        .await
        .unwrap_err();
    assert!(err.is_resync(), "{err:?}");
    assert!(matches!(err, GraphError::DeltaResync { ref code, .. } if code == "SyncStateNotFound"));
    assert!(
        err.to_string().contains("mailbox alice@contoso.com"),
        "{err}"
    );
}

#[tokio::test]
async fn next_link_to_a_foreign_host_is_refused() {
    let (s, c) = setup().await;
    let err = c
        .get_page::<Message>(
            "http://198.51.100.7:8080/v1.0/users/alice%40contoso.com/messages?$skiptoken=x",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("refusing to send"), "{err}");
    assert!(s.seen.lock().is_empty());
}
