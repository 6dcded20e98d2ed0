//! Defender `analyzedEmails` (v1.0 `/security/collaboration/analyzedEmails`).

use chrono::{DateTime, SecondsFormat, Utc};

use crate::client::{GraphClient, Request};
use crate::error::Result;
use crate::models::AnalyzedEmail;
use crate::paging::Page;
use crate::url::{seg, with_query};

impl GraphClient {
    /// First-page URL: `startTime`/`endTime` narrow the window; `filter` e.g.
    /// `networkMessageId eq '...'` or `recipientEmailAddress eq '...'`.
    pub fn analyzed_emails_url(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        filter: Option<&str>,
    ) -> String {
        let mut pairs = vec![
            (
                "startTime",
                start.to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
            ("endTime", end.to_rfc3339_opts(SecondsFormat::Secs, true)),
        ];
        if let Some(f) = filter {
            pairs.push(("$filter", f.to_owned()));
        }
        with_query(
            &format!("{}/security/collaboration/analyzedEmails", self.v1()),
            &pairs,
        )
    }

    pub async fn analyzed_emails_page(&self, url: &str) -> Result<Page<AnalyzedEmail>> {
        self.get_page(url).await
    }

    pub async fn list_analyzed_emails(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        filter: Option<&str>,
    ) -> Result<Vec<AnalyzedEmail>> {
        self.collect_all(&self.analyzed_emails_url(start, end, filter))
            .await
    }

    pub async fn get_analyzed_email(&self, id: &str) -> Result<AnalyzedEmail> {
        self.get_json(Request::get(format!(
            "{}/security/collaboration/analyzedEmails/{}",
            self.v1(),
            seg(id)
        )))
        .await
    }
}
