//! Mail (Mail.ReadWrite), inbox rules and mailbox settings (MailboxSettings.ReadWrite),
//! change-notification subscriptions.

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{GraphClient, Request};
use crate::error::{Api, GraphError, Result};
use crate::models::{
    Attachment, DeltaItem, MailFolder, MailboxSettings, Message, MessageQuery, MessageRule,
    Subscription,
};
use crate::paging::Page;
use crate::url::{seg, with_query};

/// Options for a message delta round's first call.
#[derive(Debug, Clone, Default)]
pub struct DeltaOptions {
    pub select: Option<String>,
    /// Only `receivedDateTime ge|gt {value}` is supported by Exchange.
    pub filter: Option<String>,
    /// `created`, `updated` or `deleted` (encoded into later links by Graph).
    pub change_type: Option<String>,
}

impl GraphClient {
    fn user_base(&self, user: &str) -> String {
        format!("{}/users/{}", self.v1(), seg(user))
    }

    fn msg_url(&self, user: &str, message_id: &str) -> String {
        format!("{}/messages/{}", self.user_base(user), seg(message_id))
    }

    // ------------------------------------------------------------ folders

    /// Top-level mail folders, hidden ones included (`includeHiddenFolders=true`), all pages.
    pub async fn list_mail_folders(&self, user: &str) -> Result<Vec<MailFolder>> {
        let url = with_query(
            &format!("{}/mailFolders", self.user_base(user)),
            &[
                ("includeHiddenFolders", "true".into()),
                ("$top", "250".into()),
            ],
        );
        self.collect_all(&url).await
    }

    /// Child folders of `folder_id` (hidden included).
    pub async fn list_child_folders(&self, user: &str, folder_id: &str) -> Result<Vec<MailFolder>> {
        let url = with_query(
            &format!(
                "{}/mailFolders/{}/childFolders",
                self.user_base(user),
                seg(folder_id)
            ),
            &[
                ("includeHiddenFolders", "true".into()),
                ("$top", "250".into()),
            ],
        );
        self.collect_all(&url).await
    }

    /// A folder by id or well-known name (`inbox`, `junkemail`, ...).
    pub async fn get_mail_folder(&self, user: &str, folder: &str) -> Result<MailFolder> {
        self.get_json(Request::get(format!(
            "{}/mailFolders/{}",
            self.user_base(user),
            seg(folder)
        )))
        .await
    }

    /// Creates a folder (under `parent` or the root). `409 ErrorFolderExists` → `is_conflict()`.
    pub async fn create_mail_folder(
        &self,
        user: &str,
        parent: Option<&str>,
        display_name: &str,
        hidden: bool,
    ) -> Result<MailFolder> {
        let url = match parent {
            Some(p) => format!(
                "{}/mailFolders/{}/childFolders",
                self.user_base(user),
                seg(p)
            ),
            None => format!("{}/mailFolders", self.user_base(user)),
        };
        let req = Request::new(Method::POST, url)
            .json(&json!({"displayName": display_name, "isHidden": hidden}))?;
        self.get_json(req).await
    }

    // ------------------------------------------------------------ messages

    fn message_list_url(&self, user: &str, folder: Option<&str>, q: &MessageQuery) -> String {
        let base = match folder {
            Some(f) => format!("{}/mailFolders/{}/messages", self.user_base(user), seg(f)),
            None => format!("{}/messages", self.user_base(user)),
        };
        let mut pairs = Vec::new();
        if let Some(v) = &q.filter {
            pairs.push(("$filter", v.clone()));
        }
        if let Some(v) = &q.select {
            pairs.push(("$select", v.clone()));
        }
        if let Some(v) = q.top {
            pairs.push(("$top", v.min(1000).to_string()));
        }
        if let Some(v) = &q.orderby {
            pairs.push(("$orderby", v.clone()));
        }
        if let Some(v) = &q.search {
            pairs.push(("$search", format!("\"{}\"", v.replace('"', ""))));
        }
        if let Some(v) = &q.expand {
            pairs.push(("$expand", v.clone()));
        }
        with_query(&base, &pairs)
    }

    /// First page of messages (all folders, or one folder). Continue with [`GraphClient::get_page`].
    pub async fn list_messages_page(
        &self,
        user: &str,
        folder: Option<&str>,
        q: &MessageQuery,
    ) -> Result<Page<Message>> {
        self.get_page(&self.message_list_url(user, folder, q)).await
    }

    /// All messages matching `q` (follows nextLinks).
    pub async fn list_messages(
        &self,
        user: &str,
        folder: Option<&str>,
        q: &MessageQuery,
    ) -> Result<Vec<Message>> {
        self.collect_all(&self.message_list_url(user, folder, q))
            .await
    }

    /// Messages with this RFC 5322 Message-ID (incl. angle brackets) in a mailbox.
    pub async fn find_by_internet_message_id(
        &self,
        user: &str,
        internet_message_id: &str,
    ) -> Result<Vec<Message>> {
        let q = MessageQuery {
            filter: Some(format!(
                "internetMessageId eq {}",
                crate::url::odata_string(internet_message_id)
            )),
            select: Some("id,parentFolderId,subject,internetMessageId,receivedDateTime".into()),
            ..Default::default()
        };
        self.list_messages(user, None, &q).await
    }

    /// One message; `select` e.g. `internetMessageHeaders,subject,from` (headers only come
    /// back when selected).
    pub async fn get_message(
        &self,
        user: &str,
        message_id: &str,
        select: Option<&str>,
    ) -> Result<Message> {
        let mut url = self.msg_url(user, message_id);
        if let Some(s) = select {
            url = with_query(&url, &[("$select", s.to_owned())]);
        }
        self.get_json(Request::get(url)).await
    }

    /// One message with `body`/`uniqueBody` as plain text
    /// (`Prefer: outlook.body-content-type="text"`).
    pub async fn get_message_text(
        &self,
        user: &str,
        message_id: &str,
        select: Option<&str>,
    ) -> Result<Message> {
        let mut url = self.msg_url(user, message_id);
        if let Some(s) = select {
            url = with_query(&url, &[("$select", s.to_owned())]);
        }
        self.get_json(Request::get(url).prefer("outlook.body-content-type=\"text\""))
            .await
    }

    /// Raw MIME (`/$value`), bounded by `max_mime_bytes`.
    pub async fn get_mime(&self, user: &str, message_id: &str) -> Result<Bytes> {
        let max = self.inner.cfg.max_mime_bytes;
        let req = Request::get(format!("{}/$value", self.msg_url(user, message_id))).max_bytes(max);
        Ok(self.execute(req).await?.body)
    }

    /// Attachment metadata (no `contentBytes`).
    pub async fn list_attachments(&self, user: &str, message_id: &str) -> Result<Vec<Attachment>> {
        let url = with_query(
            &format!("{}/attachments", self.msg_url(user, message_id)),
            &[(
                "$select",
                "id,name,contentType,size,isInline,lastModifiedDateTime".into(),
            )],
        );
        self.collect_all(&url).await
    }

    /// One attachment with its content (`contentBytes` for file attachments; item
    /// attachments expanded).
    pub async fn get_attachment(
        &self,
        user: &str,
        message_id: &str,
        attachment_id: &str,
    ) -> Result<Attachment> {
        let url = format!(
            "{}/attachments/{}",
            self.msg_url(user, message_id),
            seg(attachment_id)
        );
        let max = self.inner.cfg.max_mime_bytes;
        self.get_json(Request::get(url).max_bytes(max)).await
    }

    /// Raw bytes of an attachment (`/$value`).
    pub async fn get_attachment_bytes(
        &self,
        user: &str,
        message_id: &str,
        attachment_id: &str,
    ) -> Result<Bytes> {
        let url = format!(
            "{}/attachments/{}/$value",
            self.msg_url(user, message_id),
            seg(attachment_id)
        );
        let max = self.inner.cfg.max_mime_bytes;
        Ok(self.execute(Request::get(url).max_bytes(max)).await?.body)
    }

    /// Moves a message (201 + the moved message; id kept thanks to ImmutableId). Not re-sent
    /// on 5xx — re-locate by `internetMessageId` instead.
    pub async fn move_message(
        &self,
        user: &str,
        message_id: &str,
        destination: &str,
    ) -> Result<Message> {
        let req = Request::new(
            Method::POST,
            format!("{}/move", self.msg_url(user, message_id)),
        )
        .json(&json!({"destinationId": destination}))?;
        self.get_json(req).await
    }

    pub async fn copy_message(
        &self,
        user: &str,
        message_id: &str,
        destination: &str,
    ) -> Result<Message> {
        let req = Request::new(
            Method::POST,
            format!("{}/copy", self.msg_url(user, message_id)),
        )
        .json(&json!({"destinationId": destination}))?;
        self.get_json(req).await
    }

    /// `DELETE` — a soft delete (Recoverable Items\Deletions), user-recoverable.
    pub async fn delete_message(&self, user: &str, message_id: &str) -> Result<()> {
        self.execute(Request::new(Method::DELETE, self.msg_url(user, message_id)))
            .await
            .map(|_| ())
    }

    /// `permanentDelete` — purge (Recoverable Items\Purges). Idempotent in effect.
    pub async fn permanent_delete_message(&self, user: &str, message_id: &str) -> Result<()> {
        let req = Request::new(
            Method::POST,
            format!("{}/permanentDelete", self.msg_url(user, message_id)),
        )
        .idempotent(true);
        self.execute(req).await.map(|_| ())
    }

    /// PATCH a message (`categories`, `flag`, `isRead`, ...). Returns the updated message.
    pub async fn update_message(
        &self,
        user: &str,
        message_id: &str,
        patch: &Value,
    ) -> Result<Message> {
        let req = Request::new(Method::PATCH, self.msg_url(user, message_id)).json(patch)?;
        let resp = self.execute(req).await?;
        if resp.status == 204 || resp.body.is_empty() {
            return Ok(Message {
                id: message_id.to_owned(),
                ..Default::default()
            });
        }
        resp.json(Api::Graph, &format!("mailbox {user}"))
    }

    // ------------------------------------------------------------ delta

    /// Initial delta URL for one folder (`/users/{id}/mailFolders/{folder}/messages/delta`).
    /// Store the `deltaLink` from the last page and call [`GraphClient::message_delta_page`]
    /// with it next time.
    pub fn message_delta_url(&self, user: &str, folder: &str, opts: &DeltaOptions) -> String {
        let base = format!(
            "{}/mailFolders/{}/messages/delta",
            self.user_base(user),
            seg(folder)
        );
        let mut pairs = Vec::new();
        if let Some(v) = &opts.select {
            pairs.push(("$select", v.clone()));
        }
        if let Some(v) = &opts.filter {
            pairs.push(("$filter", v.clone()));
        }
        if let Some(v) = &opts.change_type {
            pairs.push(("changeType", v.clone()));
        }
        with_query(&base, &pairs)
    }

    /// One page of a folder's message delta. `Prefer: odata.maxpagesize` = `page_size`.
    /// Expired state → [`GraphError::DeltaResync`]: restart from [`GraphClient::message_delta_url`].
    pub async fn message_delta_page(
        &self,
        url: &str,
        page_size: Option<u32>,
    ) -> Result<Page<DeltaItem<Message>>> {
        self.delta_page(url, page_size).await
    }

    // ------------------------------------------------------------ rules

    fn rules_url(&self, user: &str) -> String {
        format!("{}/mailFolders/inbox/messageRules", self.user_base(user))
    }

    /// Inbox rules, each with its original JSON in `raw` (for journaling).
    pub async fn list_inbox_rules(&self, user: &str) -> Result<Vec<MessageRule>> {
        let raw: Vec<Value> = self.collect_all(&self.rules_url(user)).await?;
        raw.into_iter()
            .map(|v| {
                MessageRule::from_value(v).map_err(|e| GraphError::Decode {
                    api: Api::Graph,
                    resource: format!("mailbox {user}"),
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    pub async fn get_inbox_rule(&self, user: &str, rule_id: &str) -> Result<MessageRule> {
        let v: Value = self
            .get_json(Request::get(format!(
                "{}/{}",
                self.rules_url(user),
                seg(rule_id)
            )))
            .await?;
        MessageRule::from_value(v).map_err(|e| GraphError::Decode {
            api: Api::Graph,
            resource: format!("mailbox {user}"),
            detail: e.to_string(),
        })
    }

    /// Creates a rule (e.g. restoring a journaled one: send its typed form, id cleared).
    pub async fn create_inbox_rule(&self, user: &str, rule: &MessageRule) -> Result<MessageRule> {
        let mut body = rule.clone();
        body.id.clear();
        body.has_error = None;
        body.is_read_only = None;
        let req = Request::new(Method::POST, self.rules_url(user)).json(&body)?;
        let v: Value = self.get_json(req).await?;
        MessageRule::from_value(v).map_err(|e| GraphError::Decode {
            api: Api::Graph,
            resource: format!("mailbox {user}"),
            detail: e.to_string(),
        })
    }

    /// PATCH a rule with a partial body, e.g. `{"isEnabled": false}`.
    pub async fn update_inbox_rule(
        &self,
        user: &str,
        rule_id: &str,
        patch: &Value,
    ) -> Result<MessageRule> {
        let req = Request::new(
            Method::PATCH,
            format!("{}/{}", self.rules_url(user), seg(rule_id)),
        )
        .json(patch)?;
        let v: Value = self.get_json(req).await?;
        MessageRule::from_value(v).map_err(|e| GraphError::Decode {
            api: Api::Graph,
            resource: format!("mailbox {user}"),
            detail: e.to_string(),
        })
    }

    pub async fn delete_inbox_rule(&self, user: &str, rule_id: &str) -> Result<()> {
        self.execute(Request::new(
            Method::DELETE,
            format!("{}/{}", self.rules_url(user), seg(rule_id)),
        ))
        .await
        .map(|_| ())
    }

    // ------------------------------------------------------------ settings

    pub async fn get_mailbox_settings(&self, user: &str) -> Result<MailboxSettings> {
        self.get_json(Request::get(format!(
            "{}/mailboxSettings",
            self.user_base(user)
        )))
        .await
    }

    /// PATCH mailboxSettings (send only what changes), e.g. disable auto-replies.
    pub async fn update_mailbox_settings(
        &self,
        user: &str,
        patch: &Value,
    ) -> Result<MailboxSettings> {
        let req = Request::new(
            Method::PATCH,
            format!("{}/mailboxSettings", self.user_base(user)),
        )
        .json(patch)?;
        self.get_json(req).await
    }

    // ------------------------------------------------------------ subscriptions

    /// Creates a change-notification subscription (Graph validates `notificationUrl` first).
    pub async fn create_subscription(&self, sub: &Subscription) -> Result<Subscription> {
        let req = Request::new(Method::POST, format!("{}/subscriptions", self.v1())).json(sub)?;
        self.get_json(req).await
    }

    /// Renews: PATCH `expirationDateTime` (RFC 3339).
    pub async fn renew_subscription(
        &self,
        id: &str,
        expiration: chrono::DateTime<chrono::Utc>,
    ) -> Result<Subscription> {
        let body = json!({"expirationDateTime": expiration.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)});
        let req = Request::new(
            Method::PATCH,
            format!("{}/subscriptions/{}", self.v1(), seg(id)),
        )
        .json(&body)?;
        self.get_json(req).await
    }

    pub async fn delete_subscription(&self, id: &str) -> Result<()> {
        self.execute(Request::new(
            Method::DELETE,
            format!("{}/subscriptions/{}", self.v1(), seg(id)),
        ))
        .await
        .map(|_| ())
    }

    pub async fn list_subscriptions(&self) -> Result<Vec<Subscription>> {
        self.collect_all(&format!("{}/subscriptions", self.v1()))
            .await
    }
}
