//! Page-at-a-time collection reads (so callers commit a cursor per page), `@odata.nextLink`
//! followed verbatim, and delta pages with `@removed` entries.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::classify::classify;
use crate::client::{GraphClient, Request};
use crate::error::{Api, GraphError, Result};
use crate::models::{Collection, DeltaItem};

/// One page of a collection.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Absolute URL of the next page; pass it back verbatim.
    pub next_link: Option<String>,
    /// Delta queries: the URL to call next time (end of a round).
    pub delta_link: Option<String>,
    pub count: Option<i64>,
}

/// Upper bound on pages followed by the collect-all helpers (hostile/looping nextLinks).
pub const MAX_PAGES: usize = 100_000;

impl GraphClient {
    pub(crate) async fn page_raw(&self, req: Request) -> Result<Page<Value>> {
        let desc = req
            .context
            .clone()
            .unwrap_or_else(|| classify(&req.url).context);
        let c: Collection<Value> = self.get_json(req).await?;
        let _ = desc;
        Ok(Page {
            items: c.value,
            next_link: c.next_link,
            delta_link: c.delta_link,
            count: c.count,
        })
    }

    pub(crate) async fn page_typed<T: DeserializeOwned>(&self, req: Request) -> Result<Page<T>> {
        let desc = req
            .context
            .clone()
            .unwrap_or_else(|| classify(&req.url).context);
        let p = self.page_raw(req).await?;
        let items = p
            .items
            .into_iter()
            .map(|v| serde_json::from_value(v))
            .collect::<std::result::Result<Vec<T>, _>>()
            .map_err(|e| GraphError::Decode {
                api: Api::Graph,
                resource: desc,
                detail: e.to_string(),
            })?;
        Ok(Page {
            items,
            next_link: p.next_link,
            delta_link: p.delta_link,
            count: p.count,
        })
    }

    /// GETs any Graph URL and returns the JSON (for calls without a typed method).
    pub async fn get_value(&self, url: &str) -> Result<Value> {
        self.get_json(Request::get(url)).await
    }

    /// GETs one page of any Graph collection at `url` (a first-page URL or a `nextLink`).
    pub async fn get_page<T: DeserializeOwned>(&self, url: &str) -> Result<Page<T>> {
        self.page_typed(Request::get(url)).await
    }

    /// Follows `nextLink`s from `first_url` and returns every item.
    pub async fn collect_all<T: DeserializeOwned>(&self, first_url: &str) -> Result<Vec<T>> {
        self.collect_from(Request::get(first_url), |u| Request::get(u))
            .await
    }

    /// Collect-all with a request template (headers such as `ConsistencyLevel`).
    pub(crate) async fn collect_from<T: DeserializeOwned>(
        &self,
        first: Request,
        next: impl Fn(&str) -> Request,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let desc = classify(&first.url).context;
        let mut seen = std::collections::HashSet::new();
        let mut page = self.page_typed::<T>(first).await?;
        for _ in 0..MAX_PAGES {
            out.append(&mut page.items);
            match page.next_link.take() {
                // Microsoft's SDKs stop at an empty page even with a nextLink; we follow it
                // (Exchange can return empty intermediate pages), but a link seen before would
                // loop forever: that is a server fault, reported as such.
                Some(link) => {
                    if !seen.insert(link.clone()) {
                        return Err(GraphError::Decode {
                            api: Api::Graph,
                            resource: desc,
                            detail:
                                "the server returned the same @odata.nextLink twice (paging loop)"
                                    .into(),
                        });
                    }
                    page = self.page_typed::<T>(next(&link)).await?
                }
                None => return Ok(out),
            }
        }
        Err(GraphError::Decode {
            api: Api::Graph,
            resource: desc,
            detail: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// One page of a delta query (`@removed` entries surfaced as [`DeltaItem::Removed`]).
    /// `url` is the initial delta URL, a `nextLink` or a stored `deltaLink`. A 410 or
    /// `SyncStateNotFound`/`resyncRequired` answer is [`GraphError::DeltaResync`].
    pub async fn delta_page<T: DeserializeOwned>(
        &self,
        url: &str,
        max_page_size: Option<u32>,
    ) -> Result<Page<DeltaItem<T>>> {
        let mut req = Request::get(url);
        if let Some(n) = max_page_size {
            req = req.prefer(format!("odata.maxpagesize={n}"));
        }
        let desc = classify(url).context;
        let p = self.page_raw(req).await?;
        let items = p
            .items
            .into_iter()
            .map(DeltaItem::from_value)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| GraphError::Decode {
                api: Api::Graph,
                resource: desc,
                detail: e.to_string(),
            })?;
        Ok(Page {
            items,
            next_link: p.next_link,
            delta_link: p.delta_link,
            count: p.count,
        })
    }
}
