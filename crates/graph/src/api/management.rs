//! Office 365 Management Activity API (ActivityFeed.Read): subscriptions, content listings
//! (paged by the `NextPageUri` header), content blobs. Every call carries
//! `PublisherIdentifier` so Ward gets its own throttling pool.

use chrono::{DateTime, Utc};
use reqwest::Method;

use crate::client::{GraphClient, Request};
use crate::error::{Api, GraphError, Result};
use crate::models::{AuditRecord, ContentItem, ManagementSubscription, ManagementWebhook};
use crate::paging::MAX_PAGES;
use crate::url::with_query;

/// Content types of the feed.
pub const CONTENT_TYPES: &[&str] = &[
    "Audit.AzureActiveDirectory",
    "Audit.Exchange",
    "Audit.SharePoint",
    "Audit.General",
    "DLP.All",
];

/// One page of a content listing.
#[derive(Debug, Clone)]
pub struct ContentPage {
    pub items: Vec<ContentItem>,
    /// `NextPageUri` (or `NextPageUrl`) header: absolute URL of the next page.
    pub next_page: Option<String>,
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl GraphClient {
    fn publisher(&self) -> String {
        self.inner
            .cfg
            .publisher_identifier
            .clone()
            .unwrap_or_else(|| self.inner.cfg.tenant_id.clone())
    }

    fn feed(&self) -> String {
        self.inner
            .cfg
            .endpoints
            .activity_feed(&self.inner.cfg.tenant_id)
    }

    /// Appends `PublisherIdentifier` unless the URL already has it.
    fn with_publisher(&self, url: &str) -> String {
        if url.to_ascii_lowercase().contains("publisheridentifier=") {
            url.to_owned()
        } else {
            with_query(url, &[("PublisherIdentifier", self.publisher())])
        }
    }

    /// `POST /subscriptions/start?contentType=..` (optionally with a webhook). Idempotent.
    pub async fn start_subscription(
        &self,
        content_type: &str,
        webhook: Option<&ManagementWebhook>,
    ) -> Result<ManagementSubscription> {
        let url = self.with_publisher(&with_query(
            &format!("{}/subscriptions/start", self.feed()),
            &[("contentType", content_type.to_owned())],
        ));
        let mut req = Request::new(Method::POST, url)
            .management()
            .idempotent(true)
            .context(format!("the {content_type} audit feed"));
        if let Some(w) = webhook {
            req = req.json(&serde_json::json!({"webhook": w}))?;
        }
        self.get_json(req).await
    }

    pub async fn stop_subscription(&self, content_type: &str) -> Result<()> {
        let url = self.with_publisher(&with_query(
            &format!("{}/subscriptions/stop", self.feed()),
            &[("contentType", content_type.to_owned())],
        ));
        let req = Request::new(Method::POST, url)
            .management()
            .idempotent(true)
            .context(format!("the {content_type} audit feed"));
        self.execute(req).await.map(|_| ())
    }

    pub async fn list_management_subscriptions(&self) -> Result<Vec<ManagementSubscription>> {
        let url = self.with_publisher(&format!("{}/subscriptions/list", self.feed()));
        self.get_json(Request::get(url).management()).await
    }

    /// First-page URL of `/subscriptions/content` for `[start, end)` (≤ 24 h, ≤ 7 days ago).
    pub fn content_url(
        &self,
        content_type: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> String {
        self.with_publisher(&with_query(
            &format!("{}/subscriptions/content", self.feed()),
            &[
                ("contentType", content_type.to_owned()),
                ("startTime", fmt_time(start)),
                ("endTime", fmt_time(end)),
            ],
        ))
    }

    /// One page of a content listing; `url` is [`GraphClient::content_url`] or a `next_page`.
    pub async fn list_content_page(&self, url: &str) -> Result<ContentPage> {
        let req = Request::get(self.with_publisher(url)).management();
        let resp = self.execute(req).await?;
        let next_page = resp
            .header("NextPageUri")
            .or_else(|| resp.header("NextPageUrl"))
            .filter(|s| !s.is_empty());
        let items: Vec<ContentItem> = if resp.body.is_empty() {
            Vec::new()
        } else {
            resp.json(Api::Management, "the Office 365 audit feed")?
        };
        Ok(ContentPage { items, next_page })
    }

    /// Every content item for the window (follows `NextPageUri`).
    pub async fn list_content(
        &self,
        content_type: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<ContentItem>> {
        let mut out = Vec::new();
        let mut url = self.content_url(content_type, start, end);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut page = self.list_content_page(&url).await?;
            out.append(&mut page.items);
            match page.next_page {
                Some(n) if seen.insert(n.clone()) => url = n,
                Some(_) => {
                    return Err(GraphError::Decode {
                        api: Api::Management,
                        resource: format!("the {content_type} audit feed"),
                        detail: "the same NextPageUri was returned twice (paging loop)".into(),
                    });
                }
                None => return Ok(out),
            }
        }
        Ok(out)
    }

    /// Fetches a content blob: a JSON array of audit records.
    pub async fn fetch_content(&self, content_uri: &str) -> Result<Vec<AuditRecord>> {
        let req = Request::get(self.with_publisher(content_uri))
            .management()
            .context(format!("audit content {content_uri}"));
        self.get_json(req).await
    }
}
