//! The normalized event: one shape for every source (Graph `signIn` / `directoryAudit`, Entra
//! diagnostic logs, Management Activity records, Log Analytics rows, provider alerts), so every
//! detection is written once.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where an event came from (its wire shape), kept for explanations and for source-specific rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Graph `GET /auditLogs/signIns` (v1.0 or beta).
    GraphSignIn,
    /// Graph `GET /auditLogs/directoryAudits`.
    GraphDirectoryAudit,
    /// Entra diagnostic settings export (`time`, `category`, `operationName`, `properties`).
    EntraDiagnostic,
    /// Office 365 Management Activity API / Purview `auditData` record (any key casing).
    ManagementActivity,
    /// A Log Analytics export row (`SigninLogs`, `AuditLogs`, `OfficeActivity`).
    LogAnalytics,
    /// A security alert raised by a Microsoft product (Graph `alert_v2`, Defender, Intune).
    ProviderAlert,
    /// Intune audit or operational logs.
    Intune,
}

/// What happened, coarsely: decides which detectors look at the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An interactive or non-interactive user sign-in.
    SignIn,
    /// A service-principal or managed-identity sign-in.
    ServicePrincipalSignIn,
    /// A directory change (users, roles, apps, policies, domains).
    DirectoryAudit,
    /// An Exchange admin cmdlet or mailbox item operation.
    Mailbox,
    /// SharePoint / OneDrive file and sharing activity.
    Files,
    /// An alert raised by another product.
    Alert,
    /// Device management (Intune).
    Device,
    /// Recognised shape, nothing Ward models.
    Other,
}

/// One property changed by a directory operation; values as logged (often JSON-encoded strings).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Modified {
    pub name: String,
    pub old: String,
    pub new: String,
}

/// An object an audited operation acted on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Target {
    pub id: Option<String>,
    pub name: Option<String>,
    pub upn: Option<String>,
    /// `User`, `ServicePrincipal`, `Application`, `Policy`, `Domain`, `Role`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub modified: Vec<Modified>,
}

/// An alert raised by another product, passed through with its own severity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AlertInfo {
    pub title: String,
    pub severity: String,
    pub status: String,
    pub category: String,
    pub product: String,
}

/// The normalized event. Strings are as logged except `user`, `actor` (lower-cased) and `country`
/// (ISO 3166 alpha-2, upper-case).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub time: Option<DateTime<Utc>>,
    pub source: Source,
    pub kind: Kind,
    /// The record's own id when it has one (used to drop duplicates).
    pub id: Option<String>,
    /// The account the event is about: who signed in, whose mailbox, whose MFA changed.
    pub user: Option<String>,
    /// Who performed the operation, when different from `user` (admin, service, app).
    pub actor: Option<String>,
    /// Ids of the application that performed the operation, when an application did (Entra:
    /// `initiatedBy.app.appId` / `servicePrincipalId`; unified audit: `AppId` of a
    /// service-principal actor, `Actor[].ID`): how Ward recognises its own actions.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub actor_app_ids: Vec<String>,
    pub ip: Option<IpAddr>,
    pub country: Option<String>,
    pub city: Option<String>,
    /// Latitude / longitude from the source (Graph `geoCoordinates`) or GeoIP.
    pub coords: Option<(f64, f64)>,
    /// `coords` is a country's centre, not the sign-in's place (travel checks allow for it).
    pub coords_approx: bool,
    pub asn: Option<u32>,
    pub asn_org: Option<String>,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub resource: Option<String>,
    pub resource_id: Option<String>,
    /// `clientAppUsed`: `Browser`, `IMAP`, `Authenticated SMTP`, `Other clients`, ...
    pub client_app: Option<String>,
    /// `authenticationProtocol`: `deviceCode`, `ropc`, `oAuth2`, ...
    pub protocol: Option<String>,
    pub user_agent: Option<String>,
    pub interactive: Option<bool>,
    /// Did the operation / sign-in succeed (`None` when the record does not say).
    pub success: Option<bool>,
    /// AADSTS error code for sign-ins (0 = success).
    pub error_code: Option<i64>,
    pub failure_reason: Option<String>,
    /// The operation as named by the source (`New-InboxRule`, `Consent to application`, ...),
    /// trailing period removed.
    pub operation: Option<String>,
    pub category: Option<String>,
    pub workload: Option<String>,
    pub session_id: Option<String>,
    pub correlation_id: Option<String>,
    pub auth_requirement: Option<String>,
    pub risk_level_during: Option<String>,
    pub risk_level_aggregated: Option<String>,
    pub risk_state: Option<String>,
    pub risk_detail: Option<String>,
    pub risk_event_types: Vec<String>,
    pub device_id: Option<String>,
    pub device_os: Option<String>,
    pub targets: Vec<Target>,
    /// Exchange cmdlet parameters / operation properties (`Name`, `Value`).
    pub parameters: Vec<(String, String)>,
    /// `additionalDetails` / `ExtendedProperties` (`key`, `value`).
    pub details: Vec<(String, String)>,
    pub alert: Option<AlertInfo>,
    /// Number of items a mailbox access record covers (`OperationCount` or folder items).
    pub item_count: u64,
    /// The record as read.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

impl Event {
    pub(crate) fn new(source: Source, kind: Kind, raw: serde_json::Value) -> Self {
        Event {
            time: None,
            source,
            kind,
            id: None,
            user: None,
            actor: None,
            actor_app_ids: Vec::new(),
            ip: None,
            country: None,
            city: None,
            coords: None,
            coords_approx: false,
            asn: None,
            asn_org: None,
            app_id: None,
            app_name: None,
            resource: None,
            resource_id: None,
            client_app: None,
            protocol: None,
            user_agent: None,
            interactive: None,
            success: None,
            error_code: None,
            failure_reason: None,
            operation: None,
            category: None,
            workload: None,
            session_id: None,
            correlation_id: None,
            auth_requirement: None,
            risk_level_during: None,
            risk_level_aggregated: None,
            risk_state: None,
            risk_detail: None,
            risk_event_types: Vec::new(),
            device_id: None,
            device_os: None,
            targets: Vec::new(),
            parameters: Vec::new(),
            details: Vec::new(),
            alert: None,
            item_count: 0,
            raw,
        }
    }

    /// The value of an Exchange parameter (case-insensitive name).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of an additional detail / extended property (case-insensitive key).
    pub fn detail(&self, name: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The operation lower-cased, for matching.
    pub fn op_lower(&self) -> String {
        self.operation.as_deref().unwrap_or("").to_ascii_lowercase()
    }

    /// All modified properties of all targets.
    pub fn modified(&self) -> impl Iterator<Item = &Modified> {
        self.targets.iter().flat_map(|t| t.modified.iter())
    }

    /// Whether this is a sign-in of any kind.
    pub fn is_sign_in(&self) -> bool {
        matches!(self.kind, Kind::SignIn | Kind::ServicePrincipalSignIn)
    }
}
