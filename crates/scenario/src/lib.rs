//! Seeded, deterministic Microsoft 365 tenant scenarios with injected attacks and ground truth.
//!
//! A [`TenantSeed`] is what a simulated tenant is made of, written in Microsoft's own shapes:
//! directory objects, sign-ins and audits are Graph JSON exactly as Graph returns them, unified
//! audit records are Management Activity API records (PascalCase), and mail is real MIME. The
//! simulator (`ward-sim`) loads a seed, assigns server-side state (ids, change keys, delta
//! generations) and serves it; it then plays the seed's [`TimedEvent`]s at their offsets, which is
//! how attacks "happen" while Ward watches.
//!
//! The contract between this crate and the simulator is the types in this file.
//!
//! Entry points: [`generate`] (a whole tenant from a [`ScenarioConfig`]), [`live_events`] (more
//! background traffic for any stretch of live time) and [`export_ground_truth`].
//!
//! Conventions the simulator should know:
//! - Generated inbox rules name their target folder in `actions.moveToFolder` by the folder's
//!   `displayName` (an entry of `extra_folders`, e.g. `Newsletters`, `Vendors`) because folder
//!   ids are the simulator's to assign; rules carry no `id`.
//! - Each user object embeds its manager as `manager: {"@odata.type", id, displayName, ...}`
//!   (the `$expand=manager` shape); strip it from plain `GET /users` responses.
//! - Timed `SignIn`s carry `id` and `createdDateTime` already (anchor + offset); the simulator
//!   may restamp them.
//! - With `explicit_audit_events` (default) every attack step comes with its own
//!   `DirectoryAudit` / `UnifiedAudit` events (including `UserLoggedIn`/`UserLoginFailed` for
//!   attack sign-ins); background events carry none. A simulator that synthesises audit side
//!   effects itself should set it to `false` to avoid duplicates.
//! - `analyzed_emails` covers inbound internet mail of the history (one per recipient); internal
//!   mail has none.
//! - All MIME is 7-bit ASCII with CRLF line ends.

mod activity;
mod attacks;
mod company;
mod docs;
mod generate;
mod geo;
mod identity;
mod live;
mod mail;
mod mime;
mod names;
mod rng;
mod signin;
mod transport;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use generate::{export_ground_truth, generate};
pub use live::live_events;

/// For tests that check the generator's address table against GeoIP data.
#[doc(hidden)]
pub use geo::all_sign_in_prefixes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything a simulated tenant starts with, plus what will happen to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantSeed {
    /// Tenant GUID (the `tid` claim, the `{tenant}` in Microsoft's URLs).
    pub tenant_id: String,
    /// Company display name.
    pub display_name: String,
    /// The initial `*.onmicrosoft.com` domain.
    pub initial_domain: String,
    /// Verified/accepted domains, the primary one first.
    pub accepted_domains: Vec<String>,
    /// The instant the history ends and live time begins. Every timestamp in the baseline is
    /// before it; timed events are placed after it by their offset.
    pub anchor: DateTime<Utc>,
    /// Graph `user` objects (all properties Graph can return; `id` set).
    pub users: Vec<Value>,
    /// Mailbox content by user id.
    pub mailboxes: BTreeMap<String, MailboxSeed>,
    /// Graph `signIn` objects (v1.0 fields plus beta-only fields where relevant).
    pub sign_ins: Vec<Value>,
    /// Graph `directoryAudit` objects.
    pub directory_audits: Vec<Value>,
    /// Office 365 Management Activity API records (PascalCase, `Workload`, `Operation`, ...).
    pub unified_audit: Vec<Value>,
    /// Graph `authenticationMethod` objects by user id (with `@odata.type`).
    pub auth_methods: BTreeMap<String, Vec<Value>>,
    /// Graph `application` objects.
    pub applications: Vec<Value>,
    /// Graph `servicePrincipal` objects.
    pub service_principals: Vec<Value>,
    /// Graph `appRoleAssignment` objects by resource service principal id (`appRoleAssignedTo`).
    pub app_role_assigned_to: BTreeMap<String, Vec<Value>>,
    /// Graph `conditionalAccessPolicy` objects.
    pub conditional_access_policies: Vec<Value>,
    /// Graph `userRegistrationDetails` objects.
    pub registration_details: Vec<Value>,
    /// Graph `security.analyzedEmail` objects.
    pub analyzed_emails: Vec<Value>,
    /// What happens after the anchor, in offset order.
    pub timeline: Vec<TimedEvent>,
    /// The injected attacks and what a perfect defender would report.
    pub ground_truth: GroundTruth,
}

/// One mailbox: folders (well-known ones always present) and their messages.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MailboxSeed {
    /// Extra folders beyond the well-known ones, as Graph `mailFolder` objects (no `id` needed).
    pub extra_folders: Vec<Value>,
    /// Messages already in the mailbox at the anchor.
    pub messages: Vec<MessageSeed>,
    /// Graph `messageRule` objects on the inbox.
    pub inbox_rules: Vec<Value>,
    /// Graph `mailboxSettings`.
    pub mailbox_settings: Value,
    /// Forwarding set by an admin (`Set-Mailbox -ForwardingSmtpAddress`): invisible to Graph,
    /// visible only through the audit stream — kept so the simulator can model that gap.
    pub hidden_forwarding_smtp_address: Option<String>,
}

/// A message in a mailbox. The simulator derives every Graph `message` property from the MIME.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageSeed {
    /// Well-known folder name (`inbox`, `sentitems`, `deleteditems`, `junkemail`, `archive`, ...)
    /// or the `displayName` of an extra folder.
    pub folder: String,
    pub received: DateTime<Utc>,
    pub is_read: bool,
    /// The full RFC 5322 message as delivered, with the headers Exchange Online writes.
    #[serde(with = "mime_as_string")]
    pub mime: Vec<u8>,
    /// Scenario id when this message is part of an injected attack.
    pub scenario: Option<String>,
}

/// Something that happens to the tenant after the anchor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimedEvent {
    /// Milliseconds after the simulator's start (live mode scales this by its speed).
    pub offset_ms: u64,
    /// The injected scenario this belongs to (`None` for background traffic).
    pub scenario: Option<String>,
    pub action: TimedAction,
}

/// The changes a timed event makes. Each has the side effects real Microsoft 365 would produce
/// (delta changes, change notifications, directory-audit rows, unified-audit records after the
/// audit lag) — the simulator applies those; the seed carries only what the actor did.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimedAction {
    /// A message arrives in one or more mailboxes (same MIME, one copy each).
    DeliverMessage {
        recipients: Vec<String>,
        folder: String,
        #[serde(with = "mime_as_string")]
        mime: Vec<u8>,
    },
    /// A Graph `signIn` happens (the simulator stamps `createdDateTime` and `id`).
    SignIn { sign_in: Value },
    /// A Graph `directoryAudit` row is written.
    DirectoryAudit { audit: Value },
    /// A Management Activity API record is written (visible after the audit lag).
    UnifiedAudit { record: Value },
    /// A user (or attacker as that user) creates an inbox rule.
    CreateInboxRule { user_id: String, rule: Value },
    /// An authentication method is registered for a user.
    AddAuthMethod { user_id: String, method: Value },
    /// A user consents to an application (service principal created if absent).
    ConsentApp {
        user_id: String,
        service_principal: Value,
        scopes: Vec<String>,
    },
    /// A user sends a message (appears in their Sent Items and the recipients' inboxes).
    SendMessage {
        user_id: String,
        recipients: Vec<String>,
        #[serde(with = "mime_as_string")]
        mime: Vec<u8>,
    },
    /// Mailbox forwarding set outside Graph's view (`Set-Mailbox`).
    SetHiddenForwarding { user_id: String, address: String },
}

/// The injected attacks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroundTruth {
    pub scenarios: Vec<ScenarioTruth>,
    /// Users that no scenario touches: an incident on one of them is a false incident.
    pub benign_users: Vec<String>,
}

/// One injected attack and the objects it consists of.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioTruth {
    /// Stable id, e.g. `cred-phish-1`.
    pub id: String,
    /// `credential_phishing`, `ceo_fraud`, `vendor_fraud`, `qr_phishing`, `html_smuggling`,
    /// `account_takeover`, `mfa_fatigue`.
    pub kind: String,
    pub description: String,
    /// Users attacked or compromised (ids).
    pub target_users: Vec<String>,
    /// `Message-ID`s of the malicious messages (every copy shares it).
    pub internet_message_ids: Vec<String>,
    /// Offset of the first timed event of this scenario (detect/contain times count from here).
    pub start_offset_ms: u64,
    /// What a defender should undo: rule names, auth method ids, app ids, attacker IPs...
    pub artifacts: BTreeMap<String, Vec<String>>,
}

/// Generator settings.
///
/// Fields after `attacks` were added with serde defaults; build configs with
/// `ScenarioConfig { seed, users, ..Default::default() }` so future fields don't break callers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioConfig {
    pub seed: u64,
    /// Number of users (mailboxes). Values below 10 are raised to 10 (the company needs its
    /// leadership, finance and IT roles).
    pub users: usize,
    /// Days of normal history before the anchor.
    pub history_days: u32,
    /// Where live time begins.
    pub anchor: DateTime<Utc>,
    /// Inject the attack scenarios (off for pure load generation).
    pub attacks: bool,
    /// Mean number of messages each mailbox receives per day of history (internal, vendor,
    /// newsletter, SaaS, invites). Senders also get Sent Items copies.
    #[serde(default = "default_messages_per_user_per_day")]
    pub messages_per_user_per_day: f64,
    /// Multiplies every attack offset. At 1.0 the attacks play out within ~60 s of the anchor
    /// (first event at 2 s, last at ~58 s); 10.0 spreads them over ~10 minutes.
    #[serde(default = "default_attack_time_scale")]
    pub attack_time_scale: f64,
    /// Background traffic (mail deliveries, sign-ins, internal sends) mixed into the seed's
    /// timeline over the attack window, per minute. 0 disables it. More can be had from
    /// [`live_events`].
    #[serde(default = "default_background_events_per_min")]
    pub background_events_per_min: u32,
    /// Attack steps carry their own `DirectoryAudit` / `UnifiedAudit` timed events (e.g.
    /// `New-InboxRule`, `Consent to application.`, `User registered security info`). Turn off if
    /// the simulator synthesises those side effects itself, to avoid duplicates.
    #[serde(default = "default_true")]
    pub explicit_audit_events: bool,
}

fn default_messages_per_user_per_day() -> f64 {
    6.0
}
fn default_attack_time_scale() -> f64 {
    1.0
}
fn default_background_events_per_min() -> u32 {
    20
}
fn default_true() -> bool {
    true
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            users: 50,
            history_days: 7,
            anchor: DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default(),
            attacks: true,
            messages_per_user_per_day: default_messages_per_user_per_day(),
            attack_time_scale: default_attack_time_scale(),
            background_events_per_min: default_background_events_per_min(),
            explicit_audit_events: true,
        }
    }
}

/// Serialize MIME as a string (lossy for non-UTF-8, which the generator never writes) so seeds
/// and ground truth stay readable JSON.
mod mime_as_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(mime: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(mime))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}
