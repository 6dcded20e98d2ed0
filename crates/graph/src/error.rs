//! Typed errors. Callers branch on [`GraphError`] helpers (`is_throttled`, `is_not_found`,
//! `is_access_denied`, `is_resync`, ...), never on message text. `Display` names the
//! mailbox/resource and says what the operator can do about it.

use std::fmt;

/// Which API answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    Graph,
    Management,
    Identity,
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Api::Graph => "Microsoft Graph",
            Api::Management => "the Office 365 Management Activity API",
            Api::Identity => "the Microsoft identity platform",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// A Graph or Management API error body (`{"error":{"code","message"}}`).
    #[error("{}", api_display(.api, *.status, .code, .message, .resource, .request_id))]
    Api {
        api: Api,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
        /// What was being accessed, in words: `mailbox alice@contoso.com`, `sign-in logs`...
        resource: String,
        /// `Retry-After` (seconds) when the server sent one.
        retry_after: Option<f64>,
    },
    /// A delta/sync token is no longer valid (410 Gone, `SyncStateNotFound`, `resyncRequired`):
    /// discard the stored cursor and start a full sync from the initial delta URL.
    #[error(
        "the change-tracking state for {resource} expired ({code}); Ward will re-read it in full"
    )]
    DeltaResync {
        resource: String,
        code: String,
        /// `Location` header of a 410 (fresh initial URL), if sent.
        location: Option<String>,
    },
    /// The token endpoint refused (AADSTS error).
    #[error("{}", auth_display(*.status, .error, .description, .codes))]
    Auth {
        status: u16,
        error: String,
        description: String,
        codes: Vec<i64>,
        trace_id: Option<String>,
        correlation_id: Option<String>,
    },
    /// Could not reach the service (DNS, TLS, connection, timeout). Made by
    /// [`GraphError::transport`], which names the cause.
    #[error("cannot reach {api} at {origin} (for {resource}): {cause} ({root})")]
    Transport {
        api: Api,
        resource: String,
        /// `scheme://host[:port]`, the URL named once.
        origin: String,
        cause: crate::reach::Unreachable,
        /// The innermost error's words.
        root: String,
        /// reqwest's error, kept out of the `source()` chain: its message repeats the whole
        /// URL (path and query included) and the cause already said above.
        error: reqwest::Error,
    },
    /// The response was not the JSON we expected.
    #[error("unexpected response from {api} for {resource}: {detail}")]
    Decode {
        api: Api,
        resource: String,
        detail: String,
    },
    /// An unexpected HTTP status without a parseable error body.
    #[error("{api} answered HTTP {status} for {resource}: {snippet}")]
    Status {
        api: Api,
        status: u16,
        resource: String,
        snippet: String,
    },
    /// The response exceeded the configured size cap.
    #[error("response for {resource} exceeded the {limit}-byte limit")]
    TooLarge { resource: String, limit: usize },
    /// Bad configuration or credential material (PEM, ids).
    #[error("configuration error: {0}")]
    Config(String),
    /// A `$batch` item that failed; carried per item, not for the whole batch.
    #[error("batch item {id}: {source}")]
    BatchItem {
        id: String,
        #[source]
        source: Box<GraphError>,
    },
}

pub type Result<T, E = GraphError> = std::result::Result<T, E>;

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn api_display(
    api: &Api,
    status: u16,
    code: &str,
    message: &str,
    resource: &str,
    rid: &Option<String>,
) -> String {
    let c = lc(code);
    let rid = rid
        .as_ref()
        .map(|r| format!(" (request-id {r})"))
        .unwrap_or_default();
    let mailbox = resource.starts_with("mailbox ");
    let advice = match c.as_str() {
        "erroraccessdenied" | "accessdenied" if mailbox => format!(
            "the app is not allowed to read {resource} (an application access policy or RBAC for Applications may scope it to other mailboxes; add this mailbox to the policy's scope or accept it as not covered)"
        ),
        "erroraccessdenied" | "accessdenied" | "authorization_requestdenied" | "forbidden" => format!(
            "the app is not allowed to access {resource}: a Graph permission is missing or not admin-consented (run `ward connect` to see which)"
        ),
        "authentication_requestfromnonpremiumtenantorb2ctenant" => format!(
            "{resource} needs a Microsoft Entra ID P1 or P2 licence in this tenant"
        ),
        "invalidauthenticationtoken" => format!(
            "{api} rejected the access token for {resource}; check the tenant id and that the app registration still exists"
        ),
        "mailboxnotenabledforrestapi" | "errorinvaliduser" => format!(
            "{resource} has no Exchange Online mailbox (unlicensed, inactive, soft-deleted or on-premises)"
        ),
        "erroritemnotfound" | "itemnotfound" | "request_resourcenotfound" | "resourcenotfound" | "notfound" => format!(
            "{resource} was not found (it may have been moved or deleted since Ward saw it)"
        ),
        "errorfolderexists" | "namealreadyexists" => format!("{resource} already exists"),
        "applicationthrottled" | "toomanyrequests" | "af429" => format!(
            "Microsoft kept throttling requests for {resource}; Ward backed off and gave up for now — it will retry later"
        ),
        "inefficientfilter" => format!("the query for {resource} was too complex for Exchange (InefficientFilter)"),
        "af10001" => "the app lacks the ActivityFeed.Read permission of the Office 365 Management APIs (grant and admin-consent it)".to_owned(),
        "af20022" => format!("no Management Activity API subscription exists for {resource}; Ward starts it on connect (POST /subscriptions/start)"),
        "af20023" => format!("the Management Activity API subscription for {resource} was disabled by an administrator"),
        "af20010" | "af20011" | "af20012" | "af20013" => format!("the Management Activity API does not accept tenant id for {resource} ({code}); check the tenant id and that unified audit logging is enabled"),
        "af20051" => format!("the audit content {resource} has expired (older than 7 days)"),
        "af50000" => format!("the Management Activity API had an internal error for {resource}; it will be retried"),
        _ if status == 403 && mailbox => format!(
            "the app is not allowed to read {resource} (an application access policy may scope it)"
        ),
        _ if status == 403 => format!("access to {resource} was denied (check the app's permissions with `ward connect`)"),
        _ if status == 404 => format!("{resource} was not found"),
        _ => format!("{api} request for {resource} failed"),
    };
    if code.is_empty() {
        format!("{advice}: HTTP {status}: {message}{rid}")
    } else {
        format!("{advice}: HTTP {status} {code}: {message}{rid}")
    }
}

fn auth_display(status: u16, error: &str, description: &str, codes: &[i64]) -> String {
    let first_line = description.lines().next().unwrap_or("");
    let hint = match codes.first().copied() {
        Some(7000215) => {
            "the client secret is wrong; copy the secret's Value (not its ID) from the app registration"
        }
        Some(7000222) => "the client secret has expired; create a new one in the app registration",
        Some(700027) => {
            "the certificate is not registered on the app (or the assertion signature is wrong); upload the certificate shown by `ward connect`"
        }
        Some(700016) => {
            "the application was not found in this tenant; check the client id and that an administrator consented"
        }
        Some(90002) | Some(900023) => "the tenant was not found; check the tenant id or domain",
        Some(500011) => "the resource (Graph or Management API) is not available in this tenant",
        Some(65001) => {
            "admin consent is missing; an administrator must grant the app's permissions"
        }
        Some(700024) => {
            "the client assertion is outside its valid time range; check the machine clock"
        }
        _ => "the identity platform refused to issue a token",
    };
    format!("sign-in as the Ward app failed: {hint} (HTTP {status} {error}: {first_line})")
}

const NOT_FOUND: &[&str] = &[
    "erroritemnotfound",
    "itemnotfound",
    "request_resourcenotfound",
    "resourcenotfound",
    "notfound",
    "mailboxnotenabledforrestapi",
    "errorinvaliduser",
];

impl GraphError {
    /// A request that got no HTTP answer, with its cause classified.
    pub fn transport(api: Api, resource: impl Into<String>, source: reqwest::Error) -> Self {
        GraphError::Transport {
            api,
            resource: resource.into(),
            origin: crate::reach::origin(&source),
            cause: crate::reach::Unreachable::of(&source),
            root: crate::reach::root_cause(&source),
            error: source,
        }
    }

    /// A problem of settings or of the network path that retrying will not cure: a host that
    /// does not resolve or refuses, TLS that fails, a credential or tenant the identity
    /// platform refuses, bad configuration. Worth saying as such, not as "try again".
    pub fn is_setup_problem(&self) -> bool {
        match self {
            GraphError::Transport { cause, .. } => !cause.retry_helps(),
            GraphError::Auth { status, .. } => *status != 429 && *status < 500,
            GraphError::Config(_) => true,
            GraphError::BatchItem { source, .. } => source.is_setup_problem(),
            _ => false,
        }
    }

    /// The service error code (`ErrorItemNotFound`, `AF429`, `invalid_client`...).
    pub fn code(&self) -> Option<&str> {
        match self {
            GraphError::Api { code, .. } | GraphError::DeltaResync { code, .. } => Some(code),
            GraphError::Auth { error, .. } => Some(error),
            GraphError::BatchItem { source, .. } => source.code(),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. }
            | GraphError::Auth { status, .. }
            | GraphError::Status { status, .. } => Some(*status),
            GraphError::DeltaResync { .. } => Some(410),
            GraphError::BatchItem { source, .. } => source.status(),
            _ => None,
        }
    }

    fn code_lc(&self) -> String {
        self.code().map(lc).unwrap_or_default()
    }

    /// 429 / 503 / 504, `ApplicationThrottled`, `TooManyRequests`, Management `AF429`.
    pub fn is_throttled(&self) -> bool {
        let c = self.code_lc();
        matches!(self.status(), Some(429))
            || matches!(
                c.as_str(),
                "applicationthrottled" | "toomanyrequests" | "af429"
            )
    }

    /// Worth retrying later (throttling, 5xx, transport failures).
    pub fn is_transient(&self) -> bool {
        self.is_throttled()
            || matches!(self.status(), Some(500..=599))
            || self.code_lc() == "af50000"
            || matches!(self, GraphError::Transport { cause, .. } if cause.retry_helps())
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self.status(), Some(404)) || NOT_FOUND.contains(&self.code_lc().as_str())
    }

    pub fn is_access_denied(&self) -> bool {
        let c = self.code_lc();
        matches!(self.status(), Some(403)) && c != "af429"
            || matches!(
                c.as_str(),
                "erroraccessdenied" | "accessdenied" | "authorization_requestdenied" | "af10001"
            )
    }

    /// The delta token must be dropped and the collection re-read from scratch.
    pub fn is_resync(&self) -> bool {
        matches!(self, GraphError::DeltaResync { .. })
            || matches!(
                self.code_lc().as_str(),
                "syncstatenotfound" | "resyncrequired" | "syncstateinvalid"
            )
            || (matches!(self.status(), Some(410)) && !matches!(self, GraphError::Auth { .. }))
    }

    /// Mailbox exists in the directory but has no usable Exchange Online mailbox.
    pub fn is_mailbox_unavailable(&self) -> bool {
        matches!(
            self.code_lc().as_str(),
            "mailboxnotenabledforrestapi" | "errorinvaliduser"
        )
    }

    /// Audit logs need Entra ID P1/P2.
    pub fn is_license_required(&self) -> bool {
        self.code_lc() == "authentication_requestfromnonpremiumtenantorb2ctenant"
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self.status(), Some(409))
            || matches!(
                self.code_lc().as_str(),
                "errorfolderexists" | "namealreadyexists"
            )
    }

    /// The token endpoint rejected Ward's credentials (not transient).
    pub fn is_auth(&self) -> bool {
        matches!(self, GraphError::Auth { .. })
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}
