//! JSON `$batch` (graph-api.md §3.4, §18 items 6–7): ≤20 items, relative or absolute URLs,
//! `dependsOn` with 424 on failed prerequisites, per-item status/headers/body, and per-item
//! throttling — items run in parallel through the same mailbox gates as top-level requests, so
//! a 20-item batch to one mailbox gets 429s beyond its concurrency of 4. The batch itself is 200.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value, json};

use super::GReq;
use super::resp::{GBody, GResp};
use crate::server::Sim;

const MAX_ITEMS: usize = 20;

struct Item {
    id: String,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    depends_on: Vec<String>,
    has_body_without_ct: bool,
}

/// Turn `/users/x?$top=1`, `users/x`, or `https://host/v1.0/users/x` into (path, query).
fn split_url(url: &str) -> (String, String) {
    let mut u = url.trim();
    if let Some(pos) = u.find("://") {
        let after = &u[pos + 3..];
        u = after.find('/').map(|i| &after[i..]).unwrap_or("/");
    }
    let (path, query) = u.split_once('?').unwrap_or((u, ""));
    let mut path = path.to_string();
    for v in ["/v1.0", "/beta"] {
        if let Some(rest) = path.strip_prefix(v) {
            path = rest.to_string();
        }
    }
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    (path, query.to_string())
}

fn batch_error(msg: &str) -> GResp {
    GResp::error(StatusCode::BAD_REQUEST, "BadRequest", msg)
}

pub async fn handle(sim: &Arc<Sim>, g: GReq) -> GResp {
    if g.method != Method::POST {
        return GResp::method_not_allowed();
    }
    let Some(reqs) = g.body.as_ref().and_then(|b| b["requests"].as_array()) else {
        return batch_error("Invalid batch payload format.");
    };
    if reqs.len() > MAX_ITEMS {
        return batch_error(
            "Invalid batch payload format: the number of requests in the batch exceeds the limit of 20.",
        );
    }
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for r in reqs {
        let Some(id) = r["id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| r["id"].as_i64().map(|n| n.to_string()))
        else {
            return batch_error("Invalid batch payload format: every request needs an 'id'.");
        };
        if !seen.insert(id.to_ascii_lowercase()) {
            return batch_error(&format!(
                "Invalid batch payload format: duplicate request id '{id}'."
            ));
        }
        let (Some(method), Some(url)) = (r["method"].as_str(), r["url"].as_str()) else {
            return batch_error(
                "Invalid batch payload format: every request needs 'method' and 'url'.",
            );
        };
        let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
            return batch_error("Invalid HTTP method in batch request.");
        };
        let (path, query) = split_url(url);
        let mut headers = HeaderMap::new();
        if let Some(h) = r["headers"].as_object() {
            for (k, v) in h {
                if let (Ok(k), Some(Ok(v))) = (
                    HeaderName::from_bytes(k.as_bytes()),
                    v.as_str().map(HeaderValue::from_str),
                ) {
                    headers.append(k, v);
                }
            }
        }
        let body = match r.get("body") {
            None | Some(Value::Null) => vec![],
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            Some(v) => serde_json::to_vec(v).unwrap_or_default(),
        };
        let has_body_without_ct = !body.is_empty() && !headers.contains_key("content-type");
        let depends_on = r["dependsOn"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        items.push(Item {
            id,
            method,
            path,
            query,
            headers,
            body,
            depends_on,
            has_body_without_ct,
        });
    }
    let ids: HashSet<String> = items.iter().map(|i| i.id.clone()).collect();
    if items
        .iter()
        .any(|i| i.depends_on.iter().any(|d| !ids.contains(d)))
    {
        return batch_error(
            "Invalid batch payload format: dependsOn refers to an unknown request id.",
        );
    }
    sim.stats.with(|s| s.batch_items += items.len() as u64);
    let mut results: HashMap<String, GResp> = HashMap::new();
    let mut remaining: Vec<Item> = items;
    let order: Vec<String> = remaining.iter().map(|i| i.id.clone()).collect();
    while !remaining.is_empty() {
        let (ready, waiting): (Vec<Item>, Vec<Item>) = remaining
            .into_iter()
            .partition(|i| i.depends_on.iter().all(|d| results.contains_key(d)));
        if ready.is_empty() {
            for i in waiting {
                results.insert(i.id.clone(), batch_error("Circular dependsOn."));
            }
            break;
        }
        remaining = waiting;
        let futs = ready.into_iter().map(|item| {
            let failed_dep = item
                .depends_on
                .iter()
                .any(|d| results.get(d).is_some_and(|r| !r.is_success()));
            let claims = g.claims.clone();
            let beta = g.beta;
            let arrived = g.arrived;
            async move {
                if failed_dep {
                    return (
                        item.id,
                        GResp::error(
                            StatusCode::FAILED_DEPENDENCY,
                            "FailedDependency",
                            "The request failed because of a failed dependency.",
                        ),
                    );
                }
                if item.has_body_without_ct {
                    return (
                        item.id,
                        GResp::bad_request(
                            "Content-Type header must be specified for a request with a body.",
                        ),
                    );
                }
                if item.path.trim_matches('/').eq_ignore_ascii_case("$batch") {
                    return (
                        item.id,
                        GResp::bad_request("Nested batch requests are not supported."),
                    );
                }
                let mut req = GReq::new(
                    item.method,
                    beta,
                    &item.path,
                    &item.query,
                    item.headers,
                    &item.body,
                    claims,
                );
                // Items of one batch arrive together, with the batch.
                req.arrived = arrived;
                let r = super::dispatch(sim, req).await;
                (item.id, r)
            }
        });
        for (id, r) in futures::future::join_all(futs).await {
            results.insert(id, r);
        }
    }
    let mut responses = Vec::new();
    for id in order {
        let Some(r) = results.remove(&id) else {
            continue;
        };
        let mut headers = Map::new();
        for (k, v) in &r.headers {
            headers.insert(k.clone(), json!(v));
        }
        let mut item = json!({"id": id, "status": r.status.as_u16()});
        match r.body {
            GBody::Empty => {}
            GBody::Json(mut v) => {
                crate::server::finish_error_body(&mut v, &crate::util::new_guid(), None);
                headers.insert("Content-Type".into(), json!("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"));
                item["body"] = v;
            }
            GBody::Bytes {
                content_type,
                bytes,
            } => {
                headers.insert("Content-Type".into(), json!(content_type));
                item["body"] = json!(crate::util::b64(&bytes));
            }
        }
        headers.insert("Cache-Control".into(), json!("no-cache"));
        item["headers"] = Value::Object(headers);
        responses.push(item);
    }
    // Microsoft does not guarantee response order; neither does the simulator (seeded).
    {
        use rand::seq::SliceRandom;
        responses.shuffle(&mut *sim.rng.lock());
    }
    GResp::ok(json!({"responses": responses}))
}
