//! Simulator configuration. `Default` is Microsoft's documented behaviour and limits; every knob
//! that tests, the demo or benchmarks need to bend is a field here.

use std::net::SocketAddr;
use std::time::Duration;

/// The 13 application permissions Ward is granted (graph-api.md §1; `User.Read` is delegated and
/// never appears in an app-only token).
pub const DEFAULT_APP_ROLES: [&str; 13] = [
    "AuditLog.Read.All",
    "AuditLogsQuery.Read.All",
    "Mail.ReadWrite",
    "MailboxSettings.ReadWrite",
    "Policy.Read.ConditionalAccess",
    "Reports.Read.All",
    "SecurityAnalyzedMessage.Read.All",
    "User.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "User-PasswordProfile.ReadWrite.All",
    "User.RevokeSessions.All",
    "ActivityFeed.Read",
    "Application.Read.All",
];

/// Roles that belong to the Office 365 Management APIs resource rather than Graph.
pub const MANAGEMENT_ROLES: [&str; 3] = [
    "ActivityFeed.Read",
    "ActivityFeed.ReadDlp",
    "ServiceHealth.Read",
];

/// An application registered in the simulated tenant (and consented there).
#[derive(Debug, Clone)]
pub struct RegisteredApp {
    pub client_id: String,
    /// Client secret, if the app authenticates with one.
    pub secret: Option<String>,
    /// Certificate (PEM or DER) whose public key verifies client assertions.
    pub certificate: Option<Vec<u8>>,
    /// Granted application roles (Graph and Management API alike; split per resource at issue).
    pub roles: Vec<String>,
}

impl RegisteredApp {
    /// The default Ward app: a fixed client id, a secret, every default role.
    pub fn ward_default() -> Self {
        Self {
            client_id: "6731de76-14a6-49ae-97bc-6eba6914391e".into(),
            secret: Some("ward-sim-secret".into()),
            certificate: None,
            roles: DEFAULT_APP_ROLES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Throttling limits (graph-api.md §3.6). Zero disables a limit.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Concurrent requests per (app, mailbox). Microsoft: 4.
    pub mailbox_concurrency: usize,
    /// Requests per (app, mailbox) per `mailbox_window`. Microsoft: 10,000 / 10 min.
    pub mailbox_requests: usize,
    pub mailbox_window: Duration,
    /// `Retry-After` given on mailbox throttling (seconds, may be fractional).
    pub mailbox_retry_after: f64,
    /// Identity and access (users, applications, servicePrincipals): resource units per 10 s per
    /// app and tenant. `None` = by tenant size as documented (S <50 users 3,500; M ≤500 5,000;
    /// L 8,000); `Some(0)` disables.
    pub identity_resource_units: Option<u64>,
    /// Identity reports (signIns, directoryAudits): requests per window per app. Microsoft: 5 / 10 s.
    pub reports_requests: usize,
    pub reports_window: Duration,
    /// Conditional access: requests per second per tenant, 429 without `Retry-After`. Microsoft: 1.
    pub ca_requests_per_second: usize,
    /// Management Activity API: requests per minute per tenant. Microsoft: 2,000.
    pub management_requests_per_minute: usize,
    /// HTTP status used for `AF429` (documented as 403; 429 optional).
    pub management_throttle_status: u16,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            mailbox_concurrency: 4,
            mailbox_requests: 10_000,
            mailbox_window: Duration::from_secs(600),
            mailbox_retry_after: 1.0,
            identity_resource_units: None,
            reports_requests: 5,
            reports_window: Duration::from_secs(10),
            ca_requests_per_second: 1,
            management_requests_per_minute: 2_000,
            management_throttle_status: 403,
        }
    }
}

impl ThrottleConfig {
    /// No limits at all (load generation without throttling noise).
    pub fn unlimited() -> Self {
        Self {
            mailbox_concurrency: 0,
            mailbox_requests: 0,
            identity_resource_units: Some(0),
            reports_requests: 0,
            ca_requests_per_second: 0,
            management_requests_per_minute: 0,
            ..Self::default()
        }
    }
}

/// Random faults, all off by default. Probabilities are per request (0.0–1.0).
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// Seed of the fault RNG, so a failing run can be replayed.
    pub seed: u64,
    pub p_429: f64,
    pub p_503: f64,
    pub p_504: f64,
    /// `Retry-After` values to pick from for injected faults (seconds; fractional allowed, e.g. 0.249).
    pub retry_after_choices: Vec<f64>,
    /// Probability that a response is delayed by `slow_delay`.
    pub p_slow: f64,
    pub slow_delay: Duration,
    /// Probability that the connection is dropped without a response.
    pub p_drop_connection: f64,
    /// Probability that a JSON body is cut in half.
    pub p_truncated_json: f64,
    /// Probability that a message-delta request with a token gets `410 SyncStateNotFound`.
    pub p_delta_expiry: f64,
    /// Probability that a webhook delivery (one POST) is silently lost.
    pub p_lost_webhook: f64,
    /// Probability that a unified audit record is served again in the next content blob
    /// (Microsoft documents duplicates; clients dedupe on `Id`).
    pub p_duplicate_audit_record: f64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            seed: 0x5eed,
            p_429: 0.0,
            p_503: 0.0,
            p_504: 0.0,
            retry_after_choices: vec![1.0, 0.249, 2.0],
            p_slow: 0.0,
            slow_delay: Duration::from_secs(5),
            p_drop_connection: 0.0,
            p_truncated_json: 0.0,
            p_delta_expiry: 0.0,
            p_lost_webhook: 0.0,
            p_duplicate_audit_record: 0.0,
        }
    }
}

/// Page sizes (graph-api.md §3.1: default / max).
#[derive(Debug, Clone)]
pub struct PageConfig {
    pub messages_default: usize,
    pub messages_max: usize,
    pub users_default: usize,
    pub users_max: usize,
    pub users_sign_in_activity_max: usize,
    pub directory_default: usize,
    pub directory_max: usize,
    pub audit_default: usize,
    pub audit_max: usize,
    /// Message delta page size when no `Prefer: odata.maxpagesize` is sent.
    pub delta_default: usize,
    /// `$search` result cap.
    pub search_cap: usize,
    /// Management API `/subscriptions/content` entries per page before `NextPageUri`.
    pub management_content_page: usize,
}

impl Default for PageConfig {
    fn default() -> Self {
        Self {
            messages_default: 10,
            messages_max: 1000,
            users_default: 100,
            users_max: 999,
            users_sign_in_activity_max: 120,
            directory_default: 100,
            directory_max: 999,
            audit_default: 1000,
            audit_max: 1000,
            delta_default: 10,
            search_cap: 1000,
            management_content_page: 200,
        }
    }
}

/// How seed timestamps relate to the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Shift every seed timestamp by (start − anchor) so the anchor is "now" at start: history
    /// lands inside Microsoft's retention windows whatever date the seed was generated for.
    Rebase,
    /// Serve seed timestamps unchanged.
    AsSeeded,
}

/// Simulator configuration.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen. Default 127.0.0.1:0 (an ephemeral port).
    pub bind: SocketAddr,
    /// Absolute base URL used in `@odata.nextLink`, `contentUri` etc. Default: the bound address.
    pub base_url: Option<String>,
    pub apps: Vec<RegisteredApp>,
    /// Lifetime of issued access tokens. Microsoft: 3599 s.
    pub token_lifetime: Duration,
    /// Reject a client-assertion `jti` seen before.
    pub reject_replayed_jti: bool,
    pub throttle: ThrottleConfig,
    pub faults: FaultConfig,
    pub pages: PageConfig,
    /// Service time of an Outlook (mailbox) request, spent while holding the mailbox concurrency
    /// slot. Real Exchange answers in tens to hundreds of ms; this is what makes concurrency real.
    pub mailbox_latency: Duration,
    /// Service time of any other request.
    pub other_latency: Duration,
    /// Live timeline speed: 1.0 = real time, 10.0 = ten times faster.
    pub live_speed: f64,
    /// Start playing the seed timeline at start.
    pub play_timeline: bool,
    /// Delay between an audited action and its unified-audit record becoming available (docs:
    /// typically 60–90 min), plus up to `audit_lag_jitter` more.
    pub audit_lag: Duration,
    pub audit_lag_jitter: Duration,
    /// Width of one Management API content blob.
    pub blob_interval: Duration,
    /// Serve unified-audit records that became available before the feed subscription started.
    /// Microsoft does not; the demo may want history.
    pub management_history_before_start: bool,
    /// Minimum between two `/subscriptions/start` calls for one content type (docs: 15 min); zero
    /// disables the check.
    pub management_start_cooldown: Duration,
    pub clock: ClockMode,
    /// Max mail subscription lifetime in minutes (docs: 10,080; older 4,230).
    pub subscription_max_minutes: i64,
    /// Accept `http://` change-notification URLs on loopback (`http://127.0.0.1`, `http://[::1]`,
    /// `http://localhost`) for local receivers. Microsoft accepts HTTPS only and answers 400
    /// `InvalidRequest` "NotificationUrl scheme='http' is not supported."; so does the
    /// simulator unless this is on. Default off.
    pub allow_http_loopback_notifications: bool,
    /// Webhook validation timeout (docs: 10 s) and delivery response timeout (docs: 3 s).
    pub webhook_validation_timeout: Duration,
    pub webhook_delivery_timeout: Duration,
    /// Delivery retries before a notification is dropped (docs: retried for up to 4 h).
    pub webhook_retries: u32,
    pub webhook_retry_backoff: Duration,
    /// Time between a change and its notification leaving "Microsoft" (docs: messages average
    /// under 1 min, at most 3 min).
    pub notification_latency: Duration,
    /// Batch notifications destined for one URL that are produced within this window.
    pub webhook_batch_window: Duration,
    /// Purview audit log queries: time from creation to `succeeded` (docs: typically 2–20 min).
    pub audit_query_delay: Duration,
    /// Usage reports with concealed user names (Microsoft's default since 2021-09).
    pub reports_concealed_names: bool,
    /// Whether the tenant has Entra ID P1/P2 (audit logs answer 403 without).
    pub premium_license: bool,
    /// Exchange Application Access Policy: when set, mail/settings access is limited to these
    /// users (ids or UPNs); others get `403 ErrorAccessDenied "Access to OData is disabled."`.
    pub mailbox_access_scope: Option<Vec<String>>,
    /// Whether the tenant has Defender for Office 365 (analyzedEmails needs it).
    pub defender_license: bool,
    /// Whether the app holds a privileged directory role (password reset on admins).
    pub app_has_privileged_role: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: None,
            apps: vec![RegisteredApp::ward_default()],
            token_lifetime: Duration::from_secs(3599),
            reject_replayed_jti: true,
            throttle: ThrottleConfig::default(),
            faults: FaultConfig::default(),
            pages: PageConfig::default(),
            mailbox_latency: Duration::from_millis(25),
            other_latency: Duration::from_millis(2),
            live_speed: 1.0,
            play_timeline: true,
            audit_lag: Duration::from_secs(60 * 60),
            audit_lag_jitter: Duration::from_secs(30 * 60),
            blob_interval: Duration::from_secs(300),
            management_history_before_start: false,
            management_start_cooldown: Duration::from_secs(15 * 60),
            clock: ClockMode::Rebase,
            subscription_max_minutes: 10_080,
            allow_http_loopback_notifications: false,
            webhook_validation_timeout: Duration::from_secs(10),
            webhook_delivery_timeout: Duration::from_secs(3),
            webhook_retries: 4,
            webhook_retry_backoff: Duration::from_secs(60),
            webhook_batch_window: Duration::from_millis(200),
            notification_latency: Duration::from_secs(20),
            premium_license: true,
            app_has_privileged_role: false,
            mailbox_access_scope: None,
            defender_license: true,
            audit_query_delay: Duration::from_secs(5 * 60),
            reports_concealed_names: true,
        }
    }
}

impl SimConfig {
    /// Settings for `ward demo`: audit records in seconds, small blobs, history served.
    pub fn demo() -> Self {
        Self {
            audit_lag: Duration::from_secs(5),
            audit_lag_jitter: Duration::from_secs(5),
            blob_interval: Duration::from_secs(5),
            management_history_before_start: true,
            management_start_cooldown: Duration::ZERO,
            webhook_retry_backoff: Duration::from_secs(2),
            notification_latency: Duration::from_millis(500),
            audit_query_delay: Duration::from_secs(10),
            reports_concealed_names: false,
            ..Self::default()
        }
    }

    /// Settings for fast tests: zero audit lag, 1 s blobs, no start cooldown, short retries.
    pub fn fast_test() -> Self {
        Self {
            audit_lag: Duration::ZERO,
            audit_lag_jitter: Duration::ZERO,
            blob_interval: Duration::from_secs(1),
            management_start_cooldown: Duration::ZERO,
            webhook_retry_backoff: Duration::from_millis(100),
            webhook_batch_window: Duration::from_millis(20),
            notification_latency: Duration::ZERO,
            play_timeline: false,
            audit_query_delay: Duration::ZERO,
            ..Self::default()
        }
    }
}
