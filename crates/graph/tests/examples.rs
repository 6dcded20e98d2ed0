//! Parses every JSON file under Microsoft's example bodies into its model.
//! Directory: $WARD_GRAPH_EXAMPLES, else <repo>/../shared/graph-examples, else
//! /work/shared/graph-examples. Skips (with a message) when none exists.

use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};
use ward_graph::models::*;

fn examples_dir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("WARD_GRAPH_EXAMPLES") {
        candidates.push(PathBuf::from(p));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    candidates.push(root.join("../shared/graph-examples"));
    candidates.push(PathBuf::from("/work/shared/graph-examples"));
    candidates.into_iter().find(|p| p.is_dir())
}

/// Microsoft sometimes wraps a single entity in `{"value": {...}}`: unwrap that.
fn entity(v: Value) -> Value {
    match v {
        Value::Object(ref m)
            if m.len() == 1 && m.get("value").map(Value::is_object).unwrap_or(false) =>
        {
            m["value"].clone()
        }
        other => other,
    }
}

fn parse<T: DeserializeOwned>(v: Value, file: &str) -> T {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Parses one file; returns a short description of what it became.
fn check(rel: &str, v: Value) -> String {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let folder = rel.split('/').next().unwrap_or("");
    let coll = |v: Value| -> usize { parse::<Collection<Value>>(v, rel).value.len() };
    match (folder, name) {
        ("apps", n) if n.starts_with("application-list") => {
            let c: Collection<Application> = parse(v, rel);
            assert!(!c.value.is_empty(), "{rel}");
            format!("{} applications", c.value.len())
        }
        ("apps", "serviceprincipal-list-approleassignedto.response.json") => {
            let c: Collection<AppRoleAssignment> = parse(v, rel);
            assert!(c.value.iter().all(|a| a.app_role_id.is_some()), "{rel}");
            format!("{} appRoleAssignments", c.value.len())
        }
        ("apps", "serviceprincipal-list.response.json") => {
            let c: Collection<ServicePrincipal> = parse(v, rel);
            format!("{} servicePrincipals", c.value.len())
        }
        ("auditlogs", n) if n.starts_with("directoryaudit") => {
            let c: Collection<DirectoryAudit> = parse(v, rel);
            assert!(
                c.value.iter().all(|a| a.activity_display_name.is_some()),
                "{rel}"
            );
            format!("{} directoryAudits", c.value.len())
        }
        ("auditlogs", n) if n.starts_with("signin") => {
            let c: Collection<SignIn> = parse(v, rel);
            let s = &c.value[0];
            assert_eq!(
                s.status.as_ref().and_then(|s| s.error_code),
                Some(0),
                "{rel}"
            );
            assert!(
                s.location
                    .as_ref()
                    .and_then(|l| l.country_or_region.clone())
                    .is_some(),
                "{rel}"
            );
            assert!(c.next_link.is_some(), "{rel}");
            format!("{} signIns", c.value.len())
        }
        ("authmethods", "authentication-methods-list.response.json") => {
            let c: Collection<AuthenticationMethod> = parse(v, rel);
            assert_eq!(c.value[0].kind, AuthMethodKind::Fido2);
            assert_eq!(c.value[1].kind, AuthMethodKind::WindowsHelloForBusiness);
            assert_eq!(
                c.value[1].kind.collection(),
                Some("windowsHelloForBusinessMethods")
            );
            format!("{} authentication methods", c.value.len())
        }
        ("authmethods", n) => {
            let m: AuthenticationMethod = parse(entity(v), rel);
            let expected = if n.starts_with("phone") {
                AuthMethodKind::Phone
            } else {
                AuthMethodKind::MicrosoftAuthenticator
            };
            assert_eq!(m.kind, expected, "{rel}");
            format!("{:?} method", m.kind)
        }
        ("batch", "batch.request.json") => {
            let b: BatchRequestBody = parse(v, rel);
            format!("batch of {}", b.requests.len())
        }
        ("batch", "batch.response.json") => {
            let b: BatchResponseBody = parse(v, rel);
            assert!(b.responses.iter().any(|r| r.status == 403), "{rel}");
            format!("batch response of {}", b.responses.len())
        }
        ("conditionalaccess", _) => {
            let c: Collection<ConditionalAccessPolicy> = parse(v, rel);
            assert!(c.value.iter().all(|p| p.state.is_some()), "{rel}");
            format!("{} CA policies", c.value.len())
        }
        ("errors", _) => {
            let e: ErrorBody = parse(v, rel);
            assert!(e.error.code.is_some(), "{rel}");
            format!("error {}", e.error.code.unwrap_or_default())
        }
        ("identity", n) if n.ends_with("-claims.json") => {
            let c: AccessTokenClaims = parse(v, rel);
            assert_eq!(c.aud.as_deref(), Some("https://manage.office.com"));
            format!("claims roles={:?} scp={:?}", c.roles, c.scp)
        }
        ("identity", n) if n.contains("error") => {
            let e: TokenErrorBody = parse(v, rel);
            assert_eq!(e.error_codes.first().copied(), Some(70011));
            format!("token error {}", e.error.unwrap_or_default())
        }
        ("identity", _) => {
            let t: TokenResponse = parse(v, rel);
            assert_eq!(t.expires_in, Some(3599), "{rel}");
            assert!(!t.access_token.is_empty());
            "token response".into()
        }
        ("mail", n) if n.starts_with("attachment-list") => {
            let c: Collection<Attachment> = parse(v, rel);
            assert_eq!(
                c.value[0].kind(),
                AttachmentKind::File,
                "{rel} (@odata.type without #)"
            );
            format!("{} attachments", c.value.len())
        }
        ("mail", n) if n.starts_with("attachment-get") => {
            let a: Attachment = parse(v, rel);
            let expected = if n.contains("file") {
                AttachmentKind::File
            } else {
                AttachmentKind::Item
            };
            assert_eq!(a.kind(), expected, "{rel}");
            if expected == AttachmentKind::File {
                assert!(a.decoded_bytes().is_some(), "{rel}");
            }
            format!("{:?} attachment", a.kind())
        }
        ("mail", n) if n.starts_with("mailfolder-list") => {
            let c: Collection<MailFolder> = parse(v, rel);
            format!("{} folders", c.value.len())
        }
        ("mail", n) if n.starts_with("mailfolder-create") => {
            let f: MailFolder = parse(v, rel);
            assert_eq!(f.is_hidden, Some(true));
            "folder".into()
        }
        ("mail", "message-delta.response.json") => {
            let c: Collection<Value> = parse(v, rel);
            let items: Vec<DeltaItem<Message>> = c
                .value
                .into_iter()
                .map(|i| DeltaItem::from_value(i).unwrap())
                .collect();
            assert!(c.next_link.is_some());
            format!("{} delta items", items.len())
        }
        ("mail", "message-list.response.json") => {
            let c: Collection<Message> = parse(v, rel);
            assert!(c.value.iter().all(|m| m.sender.is_some()), "{rel}");
            format!("{} messages", c.value.len())
        }
        ("mail", n) if n.starts_with("message-") => {
            let m: Message = parse(v, rel);
            if n.contains("internetmessageheaders") {
                assert!(!m.internet_message_headers.is_empty(), "{rel}");
            }
            if n == "message-get.response.json" {
                assert!(
                    m.internet_message_id.is_some()
                        && m.from.is_some()
                        && !m.to_recipients.is_empty()
                );
                assert!(m.parent_folder_id.is_some() && m.body.is_some());
            }
            "message".into()
        }
        ("managementapi", "content-blob-azureactivedirectory.response.json") => {
            let recs: Vec<AuditRecord> = parse(v, rel);
            assert!(
                recs.iter().all(|r| !r.id.is_empty()
                    && r.creation_time.is_some()
                    && r.record_type.is_some())
            );
            assert!(recs.iter().all(|r| r.raw.get("Workload").is_some()));
            format!("{} audit records", recs.len())
        }
        ("managementapi", "error.response.json") => {
            let e: ErrorBody = parse(v, rel);
            assert_eq!(e.error.code.as_deref(), Some("AF50000"));
            "AF error".into()
        }
        ("managementapi", "resources-dlpsensitivetypes.response.json") => {
            let t: Vec<DlpSensitiveType> = parse(v, rel);
            format!("{} DLP types", t.len())
        }
        ("managementapi", "subscriptions-list.response.json") => {
            let s: Vec<ManagementSubscription> = parse(v, rel);
            assert!(s[1].webhook.is_none());
            format!("{} subscriptions", s.len())
        }
        ("managementapi", "subscriptions-start.response.json") => {
            let s: ManagementSubscription = parse(v, rel);
            assert!(s.content_type.is_some());
            "subscription".into()
        }
        ("managementapi", "subscriptions-content-troubleshooting.response.json") => {
            // The troubleshooting page shows one content item as a bare object.
            let items: Vec<ContentItem> = match v {
                Value::Array(_) => parse(v, rel),
                other => vec![parse(other, rel)],
            };
            assert!(items.iter().all(|i| !i.content_uri.is_empty()), "{rel}");
            format!("{} content items", items.len())
        }
        ("managementapi", n)
            if n.starts_with("subscriptions-") || n.starts_with("webhook-notification") =>
        {
            let items: Vec<ContentItem> = parse(v, rel);
            assert!(
                items
                    .iter()
                    .all(|i| !i.content_uri.is_empty() && !i.content_id.is_empty()),
                "{rel}"
            );
            format!("{} content items", items.len())
        }
        ("managementapi", "webhook-validation.request.json") => {
            let w: WebhookValidation = parse(v, rel);
            assert!(w.validation_code.is_some());
            "validation".into()
        }
        ("reports", _) => {
            let c: Collection<UserRegistrationDetails> = parse(v, rel);
            assert!(
                c.value.iter().all(|u| u.is_mfa_registered.is_some()),
                "{rel}"
            );
            format!("{} registration details", c.value.len())
        }
        ("rules", "messagerule-list.response.json") => {
            let c: Collection<Value> = parse(v, rel);
            let rules: Vec<MessageRule> = c
                .value
                .into_iter()
                .map(|r| MessageRule::from_value(r).unwrap())
                .collect();
            assert_eq!(rules[1].forwarding_targets().len(), 1);
            assert!(rules.iter().all(|r| r.raw.is_some()));
            format!("{} rules", rules.len())
        }
        ("rules", _) => {
            let r = MessageRule::from_value(v).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert!(r.display_name.is_some(), "{rel}");
            "rule".into()
        }
        ("security", n) if n.contains("list") => {
            let c: Collection<AnalyzedEmail> = parse(v, rel);
            format!("{} analyzed emails", c.value.len())
        }
        ("security", _) => {
            let e: AnalyzedEmail = parse(entity(v), rel);
            assert!(!e.id.is_empty());
            "analyzed email".into()
        }
        ("settings", "mailboxsettings-get.response.json") => {
            let s: MailboxSettings = parse(v, rel);
            assert!(s.automatic_replies_setting.is_some());
            "mailbox settings".into()
        }
        ("settings", "mailboxsettings-automaticrepliessetting.response.json") => {
            let _: AutomaticRepliesSetting = parse(v, rel);
            "auto replies".into()
        }
        ("settings", _) => {
            let _: WorkingHours = parse(v, rel);
            "working hours".into()
        }
        ("subscriptions", "change-notification-collection.request.json") => {
            let c: ChangeNotificationCollection = parse(v, rel);
            assert_eq!(c.value[0].change_type.as_deref(), Some("created"));
            format!("{} notifications", c.value.len())
        }
        ("subscriptions", _) => {
            let s: Subscription = parse(v, rel);
            assert!(s.expiration_date_time.is_some(), "{rel}");
            "subscription".into()
        }
        ("users", n) if n.starts_with("user-delta") => {
            let c: Collection<Value> = parse(v, rel);
            let n = c.value.len();
            for i in c.value {
                DeltaItem::<User>::from_value(i).unwrap();
            }
            format!("{n} user delta items")
        }
        ("users", n) if n.starts_with("user-list") => {
            let c: Collection<User> = parse(v, rel);
            format!("{} users", c.value.len())
        }
        ("users", "user-revokesigninsessions.response.json") => {
            let b: ODataValue<bool> = parse(v, rel);
            assert!(b.value);
            "revoke".into()
        }
        ("users", _) => {
            let _: User = parse(v, rel);
            let _ = coll;
            "user".into()
        }
        _ => panic!("no model mapped for {rel}"),
    }
}

#[test]
fn every_example_parses_into_its_model() {
    let Some(dir) = examples_dir() else {
        eprintln!("SKIP: graph-examples directory not found (set WARD_GRAPH_EXAMPLES)");
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().map(|x| x == "json").unwrap_or(false) {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 60,
        "expected Microsoft's ~69 examples, found {}",
        files.len()
    );
    for f in &files {
        let rel = f
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap();
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: not JSON: {e}"));
        let what = check(&rel, v);
        eprintln!("{rel}: {what}");
    }
}
