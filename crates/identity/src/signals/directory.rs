//! Identity and application signals from directory audits (Graph, Entra diagnostics, Management
//! Activity `AzureActiveDirectory` records), Intune and provider alerts.

use super::{SignalHit, domain_of, same_org};
use crate::event::{Event, Kind};

/// Delegated / application permissions that reach mail, files or the directory.
const RISKY_SCOPES: &[&str] = &[
    "mail.",
    "mailboxsettings.",
    "full_access_as_app",
    "ews.accessasuser.all",
    "files.",
    "sites.",
    "directory.",
    "user.readwrite",
    "contacts.",
    "notes.",
    "application.readwrite",
    "approleassignment.readwrite",
    "rolemanagement.readwrite",
    "userauthenticationmethod.",
];

/// Roles that can take over the tenant or its apps.
const PRIVILEGED_ROLES: &[&str] = &[
    "global administrator",
    "company administrator",
    "privileged role administrator",
    "privileged authentication administrator",
    "application administrator",
    "cloud application administrator",
    "exchange administrator",
    "security administrator",
    "user administrator",
    "authentication administrator",
    "conditional access administrator",
    "sharepoint administrator",
    "hybrid identity administrator",
    "intune administrator",
    "domain name administrator",
    "external identity provider administrator",
];

/// Extra context the detector provides (it holds the history).
pub(crate) struct Context<'a> {
    pub configured_domains: &'a [String],
    /// The user had a risky sign-in shortly before this event.
    pub recent_risky_signin: bool,
    /// Whether the actor has reset passwords before (`None`: not a reset).
    pub known_reset_actor: bool,
}

fn contains_any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// Number of entries in a JSON list held in a string (`[{...},{...}]`), 0 when not a list.
fn json_len(s: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .and_then(|v| v.as_array().map(Vec::len))
        .unwrap_or(0)
}

pub(crate) fn check(e: &Event, ctx: &Context<'_>, out: &mut Vec<SignalHit>) {
    match e.kind {
        Kind::DirectoryAudit if e.success != Some(false) => {
            directory(e, ctx, out);
        }
        Kind::Alert => alert(e, out),
        Kind::Device => intune(e, out),
        Kind::Files => files(e, ctx, out),
        _ => {}
    }
}

fn directory(e: &Event, ctx: &Context<'_>, out: &mut Vec<SignalHit>) {
    let op = e.op_lower();
    let user = e.user.as_deref().unwrap_or("unknown user");
    let actor = e.actor.as_deref().unwrap_or("unknown actor");
    mfa_methods(e, ctx, &op, user, out);
    if (op.starts_with("reset user password") || op.starts_with("reset password (by admin)"))
        && e.actor.is_some()
        && e.actor != e.user
    {
        let app = actor.starts_with("app:");
        let score = if app {
            50
        } else if ctx.known_reset_actor {
            10
        } else {
            40
        };
        out.push(SignalHit::new(
            "identity.password_reset_by_other",
            score,
            format!(
                "password of {user} reset by {actor}{}",
                if ctx.known_reset_actor {
                    ""
                } else {
                    ", who has not reset passwords before"
                }
            ),
        ));
    }
    if op.starts_with("consent to application") {
        consent(e, user, out);
    }
    if op.starts_with("add service principal credentials")
        || op.starts_with("update application") && op.contains("certificates and secrets")
    {
        let name = e
            .targets
            .first()
            .and_then(|t| t.name.as_deref())
            .unwrap_or("an application");
        out.push(SignalHit::new(
            "app.credentials_added",
            70,
            format!("{actor} added a secret or certificate to {name}: anyone holding it signs in as the app"),
        ));
    }
    if op.starts_with("add owner to application")
        || op.starts_with("add owner to service principal")
    {
        out.push(SignalHit::new(
            "app.owner_added",
            30,
            format!("{actor} added an owner to an application"),
        ));
    }
    if op.starts_with("add app role assignment to service principal")
        || op.starts_with("add delegated permission grant")
    {
        let text = e
            .modified()
            .map(|m| m.new.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let risky = contains_any(&text, RISKY_SCOPES);
        out.push(SignalHit::new(
            "app.permission_granted",
            if risky { 55 } else { 25 },
            format!(
                "{actor} granted an application permission{}",
                if risky {
                    " that reaches mail, files or the directory"
                } else {
                    ""
                }
            ),
        ));
    }
    federation(e, &op, actor, out);
    policies(e, &op, actor, out);
    roles(e, &op, actor, out);
    if op == "invite external user" {
        let invited = e
            .detail("invitedUserEmailAddress")
            .map(str::to_string)
            .or_else(|| e.targets.iter().find_map(|t| t.upn.clone()));
        if let (Some(invited), Some(inviter_domain)) =
            (invited, e.actor.as_deref().and_then(domain_of))
        {
            let mut own = ctx.configured_domains.to_vec();
            own.push(inviter_domain);
            if domain_of(&invited).is_some_and(|d| !same_org(&d, &own)) {
                out.push(SignalHit::new(
                    "identity.guest_invited",
                    50,
                    format!("{actor} invited external guest {invited} into the directory"),
                ));
            }
        }
    }
}

fn mfa_methods(e: &Event, ctx: &Context<'_>, op: &str, user: &str, out: &mut Vec<SignalHit>) {
    let mut added = op.contains("registered security info")
        || op.contains("registered all required security info");
    let mut removed = op.contains("deleted security info");
    let mut disabled = op.starts_with("disable strong authentication");
    for m in e.modified() {
        let name = m.name.to_ascii_lowercase();
        if name == "strongauthenticationmethod" {
            let (old, new) = (json_len(&m.old), json_len(&m.new));
            added |= new > old;
            removed |= new < old;
        }
        if name == "strongauthenticationrequirement" && json_len(&m.old) > json_len(&m.new) {
            disabled = true;
        }
    }
    if added {
        let (score, when) = if ctx.recent_risky_signin {
            (70, " right after a risky sign-in")
        } else {
            (30, "")
        };
        out.push(SignalHit::new(
            "identity.mfa_method_added",
            score,
            format!("an MFA method was added to {user}{when}"),
        ));
    }
    if removed {
        out.push(SignalHit::new(
            "identity.mfa_method_removed",
            60,
            format!("an MFA method was removed from {user}"),
        ));
    }
    if disabled {
        out.push(SignalHit::new(
            "identity.mfa_disabled",
            75,
            format!("per-user MFA was disabled for {user}"),
        ));
    }
}

fn consent(e: &Event, user: &str, out: &mut Vec<SignalHit>) {
    let text = e
        .modified()
        .map(|m| format!("{} {}", m.name, m.new))
        .chain(e.details.iter().map(|(k, v)| format!("{k} {v}")))
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let mut score: u8 = 40;
    let mut why = Vec::new();
    if contains_any(&text, RISKY_SCOPES) {
        score += 30;
        why.push("mail, file or directory permissions");
    }
    if text.contains("offline_access") {
        score += 10;
        why.push("offline access (long-lived refresh tokens)");
    }
    if text.contains("isadminconsent") && text.contains("isadminconsent true")
        || text.contains("\"isadminconsent\":true")
    {
        score += 10;
        why.push("admin consent for the whole organisation");
    }
    let app = e
        .targets
        .iter()
        .find_map(|t| t.name.as_deref())
        .unwrap_or("an application");
    out.push(SignalHit::new(
        "app.consent",
        score,
        format!(
            "{user} consented to {app}{}{}",
            if why.is_empty() { "" } else { " with " },
            why.join(", ")
        ),
    ));
}

fn federation(e: &Event, op: &str, actor: &str, out: &mut Vec<SignalHit>) {
    let props = e
        .modified()
        .map(|m| format!("{} {} {}", m.name, m.old, m.new))
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let fed_words = [
        "federat",
        "issueruri",
        "passivesigninuri",
        "signingcertificate",
        "livetype",
        "authentication\"",
        "preferredauthenticationprotocol",
    ];
    let domain_auth = op.starts_with("set domain authentication")
        || op.starts_with("set federation settings on domain");
    if op.starts_with("set federation settings on domain")
        || op.starts_with("set domain authentication")
            && (props.is_empty() || contains_any(&props, &fed_words))
        || !domain_auth
            && contains_any(
                &props,
                &["issueruri", "passivesigninuri", "federationsettings"],
            )
    {
        out.push(SignalHit::new(
            "identity.federation_change",
            80,
            format!("{actor} changed how a domain authenticates (federation): a foreign identity provider can then sign in as any user"),
        ));
    } else if domain_auth
        || op.starts_with("verify domain")
        || op.starts_with("add unverified domain")
    {
        out.push(SignalHit::new(
            "identity.domain_change",
            25,
            format!("{actor}: {}", e.operation.as_deref().unwrap_or("")),
        ));
    }
    if op.contains("authentication methods policy") {
        if contains_any(
            &props,
            &[
                "openidconnect",
                "discoveryurl",
                "externalauthenticationmethod",
                "oidc",
            ],
        ) {
            out.push(SignalHit::new(
                "identity.external_idp_trusted",
                80,
                format!("{actor} pointed the authentication methods policy at an external identity provider"),
            ));
        } else {
            out.push(SignalHit::new(
                "identity.auth_methods_policy_change",
                20,
                format!("{actor} changed the authentication methods policy"),
            ));
        }
    }
}

/// Whether a conditional-access policy (Graph JSON) requires MFA or an authentication strength.
fn requires_mfa(policy: &str) -> bool {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let Some(grant) = v.get("grantControls").filter(|g| !g.is_null()) else {
        return false;
    };
    let controls = grant.get("builtInControls").and_then(|c| c.as_array());
    controls
        .into_iter()
        .flatten()
        .any(|c| c.as_str().is_some_and(|c| c.eq_ignore_ascii_case("mfa")))
        || grant
            .get("authenticationStrength")
            .is_some_and(|a| !a.is_null())
}

fn policy_state(policy: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(policy).ok()?;
    v.get("state")
        .and_then(|s| s.as_str())
        .map(str::to_ascii_lowercase)
}

fn policies(e: &Event, op: &str, actor: &str, out: &mut Vec<SignalHit>) {
    let name = e
        .targets
        .first()
        .and_then(|t| t.name.as_deref())
        .unwrap_or("a policy");
    if op.contains("conditional access policy") {
        if op.starts_with("delete") {
            out.push(SignalHit::new(
                "identity.ca_policy_deleted",
                70,
                format!("{actor} deleted conditional access policy '{name}'"),
            ));
            return;
        }
        if op.starts_with("update") {
            let ca = e
                .modified()
                .find(|m| m.name.eq_ignore_ascii_case("ConditionalAccessPolicy"));
            let (weakened, why) = match ca {
                Some(m) if requires_mfa(&m.old) && !requires_mfa(&m.new) => {
                    (true, "no longer requires MFA")
                }
                Some(m)
                    if policy_state(&m.old).as_deref() == Some("enabled")
                        && policy_state(&m.new).is_some_and(|s| s != "enabled") =>
                {
                    (true, "is no longer enforced")
                }
                _ => (false, ""),
            };
            if weakened {
                out.push(SignalHit::new(
                    "identity.ca_policy_weakened",
                    75,
                    format!("{actor} weakened conditional access policy '{name}': it {why}"),
                ));
            } else {
                out.push(SignalHit::new(
                    "identity.ca_policy_changed",
                    25,
                    format!("{actor} changed conditional access policy '{name}'"),
                ));
            }
        }
        return;
    }
    if op == "delete policy" {
        let lname = name.to_ascii_lowercase();
        let mfa = lname.contains("mfa")
            || lname.contains("multifactor")
            || lname.contains("multi-factor");
        out.push(SignalHit::new(
            "identity.policy_deleted",
            if mfa { 70 } else { 40 },
            format!("{actor} deleted policy '{name}'"),
        ));
    }
}

fn roles(e: &Event, op: &str, actor: &str, out: &mut Vec<SignalHit>) {
    if op.contains("elevated their access to user access administrator")
        || e.detail("Action")
            .is_some_and(|a| a.eq_ignore_ascii_case("Microsoft.Authorization/elevateAccess/action"))
    {
        out.push(SignalHit::new(
            "identity.elevate_access",
            75,
            format!("{actor} elevated to User Access Administrator over all Azure subscriptions"),
        ));
        return;
    }
    let assign = op == "add member to role"
        || op.starts_with("add member to role in pim completed")
        || op.starts_with("add eligible member to role in pim completed")
        || op == "add scoped member to role";
    if !assign {
        return;
    }
    let role = e
        .modified()
        .find(|m| m.name.eq_ignore_ascii_case("Role.DisplayName"))
        .map(|m| m.new.trim_matches('"').to_string())
        .or_else(|| {
            e.targets
                .iter()
                .find(|t| {
                    t.kind
                        .as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case("role"))
                })
                .or_else(|| e.targets.iter().find(|t| t.upn.is_none()))
                .and_then(|t| t.name.clone())
        })
        .unwrap_or_default();
    let privileged = PRIVILEGED_ROLES
        .iter()
        .any(|r| role.eq_ignore_ascii_case(r));
    let top = role.eq_ignore_ascii_case("global administrator")
        || role.eq_ignore_ascii_case("company administrator");
    out.push(SignalHit::new(
        "identity.privileged_role_added",
        if top {
            75
        } else if privileged {
            60
        } else {
            20
        },
        format!("{actor} assigned role '{role}'"),
    ));
}

fn alert(e: &Event, out: &mut Vec<SignalHit>) {
    let Some(a) = &e.alert else { return };
    if matches!(a.status.as_str(), "resolved" | "dismissed" | "closed") {
        return;
    }
    let score = match a.severity.as_str() {
        "high" | "critical" => 75,
        "medium" => 55,
        "low" => 30,
        "" => 50,
        _ => 0,
    };
    if score > 0 {
        out.push(SignalHit::new(
            "alert.provider",
            score,
            format!(
                "{} raised '{}'{}",
                if a.product.is_empty() {
                    "a Microsoft product"
                } else {
                    &a.product
                },
                a.title,
                if a.severity.is_empty() {
                    String::new()
                } else {
                    format!(" ({} severity)", a.severity)
                }
            ),
        ));
    }
}

fn intune(e: &Event, out: &mut Vec<SignalHit>) {
    if e.success == Some(false) {
        return;
    }
    let op = e.op_lower();
    let actor = e.actor.as_deref().unwrap_or("unknown actor");
    let name = e
        .targets
        .iter()
        .find_map(|t| t.name.as_deref())
        .unwrap_or("");
    if op.contains("devicemanagementscript")
        || op.contains("devicecompliancescript")
        || op.contains("devicehealthscript")
        || op.contains("shellscript")
    {
        out.push(SignalHit::new(
            "device.intune_script",
            60,
            format!(
                "{actor} created or assigned an Intune script that runs on managed devices ({})",
                e.operation.as_deref().unwrap_or("")
            ),
        ));
    }
    if op.contains("mobileapp")
        && (op.starts_with("create") || op.starts_with("patch") || op.starts_with("assign"))
    {
        let cmd = e.modified().map(|m| m.new.to_ascii_lowercase()).any(|v| {
            contains_any(
                &v,
                &[
                    "powershell",
                    "cmd.exe",
                    ".ps1",
                    "iex ",
                    "invoke-",
                    "bitsadmin",
                    "certutil",
                    "mshta",
                    "rundll32",
                ],
            )
        });
        out.push(SignalHit::new(
            "device.intune_app",
            if cmd { 80 } else { 50 },
            format!(
                "{actor} deployed or changed Intune app '{name}'{}",
                if cmd { " to run a shell command" } else { "" }
            ),
        ));
    }
}

fn files(e: &Event, ctx: &Context<'_>, out: &mut Vec<SignalHit>) {
    let op = e.op_lower();
    if !matches!(
        op.as_str(),
        "addedtosecurelink" | "sharinginvitationcreated" | "anonymouslinkcreated" | "sharingset"
    ) {
        return;
    }
    let target = e.param("TargetUserOrGroupName").unwrap_or("");
    let guest = e
        .param("TargetUserOrGroupType")
        .is_some_and(|t| t.eq_ignore_ascii_case("guest"));
    let mut own = ctx.configured_domains.to_vec();
    own.extend(e.user.as_deref().and_then(domain_of));
    let external = domain_of(target).is_some_and(|d| !same_org(&d.to_ascii_lowercase(), &own));
    if op == "anonymouslinkcreated" || guest && external {
        out.push(SignalHit::new(
            "files.shared_external",
            25,
            format!(
                "{} shared {} with {}",
                e.user.as_deref().unwrap_or("someone"),
                e.param("ObjectId").unwrap_or("a file"),
                if target.is_empty() {
                    "anyone with the link"
                } else {
                    target
                }
            ),
        ));
    }
}
