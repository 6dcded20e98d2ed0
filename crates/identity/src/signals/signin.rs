//! Sign-in signals that need only the event itself: legacy protocols, ROPC, device code, abused
//! first-party clients, scripted clients, Entra's own risk verdict, lockouts, risky countries.
//! Baseline signals (new country, impossible travel, spray, brute force, MFA fatigue) are in the
//! detector, which keeps the history.

use super::SignalHit;
use crate::event::{Event, Kind};

/// `clientAppUsed` values of protocols that cannot do modern authentication (no MFA).
const LEGACY_CLIENTS: &[&str] = &[
    "imap",
    "imap4",
    "pop",
    "pop3",
    "smtp",
    "authenticated smtp",
    "exchange activesync",
    "exchange web services",
    "other clients",
    "mapi over http",
    "offline address book",
    "outlook anywhere (rpc over http)",
    "autodiscover",
    "reporting web services",
    "exchange online powershell",
];

/// Developer tools whose normal use includes device code and HTTP-library user agents.
const DEV_TOOL_APPS: &[&str] = &[
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46", // Microsoft Azure CLI
    "1950a258-227b-4e31-a9cf-717495945fc2", // Microsoft Azure PowerShell
    "872cd9fa-d31f-45e0-9eab-6e460a02d1f1", // Visual Studio
];

/// First-party public clients attackers ask victims to authorise in device-code and OAuth
/// phishing (Storm-2372, "ConsentFix"-style lures): their tokens reach mail and files.
const PHISHED_FIRST_PARTY: &[(&str, &str)] = &[
    (
        "29d9ed98-a469-4536-ade2-f981bc1d605e",
        "Microsoft Authentication Broker",
    ),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    ("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile"),
];

/// First-party developer clients abused to mint Microsoft Graph tokens (VS Code OAuth phishing).
const GRAPH_ABUSED_CLIENTS: &[(&str, &str)] =
    &[("aebc6443-996d-45c2-90f0-388ff96faa56", "Visual Studio Code")];

/// User agents of HTTP libraries and command-line tools, not people.
const SCRIPTED_AGENTS: &[&str] = &[
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "curl/",
    "wget/",
    "go-http-client",
    "okhttp",
    "axios/",
    "node-fetch",
    "libwww-perl",
    "java/",
    "apache-httpclient",
    "postmanruntime",
    "insomnia",
    "httpie",
];

/// AADSTS codes of a wrong password or a locked account: what guessing produces.
pub(crate) const PASSWORD_FAILURE_CODES: &[i64] = &[50126, 50053, 50055, 50056, 50034, 50057];

fn is_graph(e: &Event) -> bool {
    e.resource
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("Microsoft Graph"))
        || e.resource_id
            .as_deref()
            .is_some_and(|r| r.starts_with("00000003-0000-0000-c000-"))
}

fn is_mail_or_graph(e: &Event) -> bool {
    is_graph(e)
        || e.resource.as_deref().is_some_and(|r| {
            let r = r.to_ascii_lowercase();
            r.contains("exchange") || r.contains("sharepoint") || r.contains("microsoft 365")
        })
}

fn app_is(e: &Event, list: &[&str]) -> bool {
    e.app_id
        .as_deref()
        .is_some_and(|a| list.iter().any(|x| x.eq_ignore_ascii_case(a)))
}

fn app_name_of<'a>(e: &Event, list: &'a [(&str, &str)]) -> Option<&'a str> {
    let id = e.app_id.as_deref()?;
    list.iter()
        .find(|(x, _)| x.eq_ignore_ascii_case(id))
        .map(|(_, n)| *n)
}

fn who(e: &Event) -> &str {
    e.user.as_deref().unwrap_or("unknown user")
}

pub(crate) fn is_scripted(ua: &str) -> bool {
    let ua = ua.to_ascii_lowercase();
    SCRIPTED_AGENTS
        .iter()
        .any(|s| ua.starts_with(s) || ua.contains(&format!(" {s}")))
}

/// The stateless sign-in checks.
pub(crate) fn check(e: &Event, high_risk_countries: &[String], out: &mut Vec<SignalHit>) {
    let ok = e.success == Some(true);
    let user_signin = e.kind == Kind::SignIn;
    risk(e, out);
    let client = e.client_app.as_deref().unwrap_or("").to_ascii_lowercase();
    let ua = e.user_agent.as_deref().unwrap_or("");
    let protocol = e.protocol.as_deref().unwrap_or("").to_ascii_lowercase();
    let ropc = protocol == "ropc" || ua.eq_ignore_ascii_case("BAV2ROPC");
    if ok && user_signin && LEGACY_CLIENTS.contains(&client.as_str()) {
        out.push(SignalHit::new(
            "signin.legacy_protocol",
            60,
            format!(
                "{} signed in with a legacy protocol ({}) that bypasses MFA",
                who(e),
                e.client_app.as_deref().unwrap_or("")
            ),
        ));
    }
    if ok && user_signin && ropc {
        out.push(SignalHit::new(
            "signin.ropc",
            50,
            format!("{} signed in with the resource-owner password flow: password only, no MFA possible", who(e)),
        ));
    }
    if ok && (protocol == "devicecode" || protocol == "devicecodeflow") {
        let (score, why) = if app_is(e, DEV_TOOL_APPS) {
            (30, "a developer tool")
        } else if app_name_of(e, PHISHED_FIRST_PARTY).is_some() || is_mail_or_graph(e) {
            (70, "a client used in device-code phishing")
        } else {
            (45, "an application")
        };
        out.push(SignalHit::new(
            "signin.device_code",
            score,
            format!(
                "{} completed a device-code sign-in for {} ({}): someone else's device may hold the token",
                who(e),
                e.app_name.as_deref().unwrap_or("an app"),
                why
            ),
        ));
    }
    if ok
        && is_graph(e)
        && let Some(name) = app_name_of(e, GRAPH_ABUSED_CLIENTS)
    {
        out.push(SignalHit::new(
                "signin.oauth_first_party_client",
                65,
                format!("{} gave {name} (a first-party client abused in OAuth phishing) a Microsoft Graph token", who(e)),
            ));
    }
    if user_signin && !ua.is_empty() && is_scripted(ua) && !app_is(e, DEV_TOOL_APPS) && !ropc {
        let score = match (ok, e.interactive) {
            (true, Some(true)) => 55,
            (true, _) => 30,
            _ => 20,
        };
        out.push(SignalHit::new(
            "signin.scripted_client",
            score,
            format!(
                "{} sign-in {} from a script or HTTP library ({ua})",
                who(e),
                if ok { "succeeded" } else { "attempted" }
            ),
        ));
    }
    if e.error_code == Some(50053) {
        out.push(SignalHit::new(
            "signin.account_locked",
            40,
            format!(
                "{} was locked out by Entra smart lockout after repeated wrong passwords",
                who(e)
            ),
        ));
    }
    if e.kind == Kind::ServicePrincipalSignIn && matches!(e.error_code, Some(7000215 | 700027)) {
        out.push(SignalHit::new(
            "signin.sp_invalid_credential",
            30,
            format!(
                "service principal {} presented an invalid secret or certificate",
                who(e)
            ),
        ));
    }
    if let Some(c) = e.country.as_deref()
        && high_risk_countries
            .iter()
            .any(|h| h.eq_ignore_ascii_case(c))
    {
        out.push(SignalHit::new(
            "signin.high_risk_country",
            if ok { 50 } else { 20 },
            format!(
                "{} sign-in {} from {c}, a country on the high-risk list",
                who(e),
                if ok { "succeeded" } else { "attempted" }
            ),
        ));
    }
}

fn level(s: Option<&str>) -> u8 {
    match s.unwrap_or("").to_ascii_lowercase().as_str() {
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// Entra ID Protection's verdict, unless an admin or the user already cleared it.
fn risk(e: &Event, out: &mut Vec<SignalHit>) {
    let state = e.risk_state.as_deref().unwrap_or("").to_ascii_lowercase();
    if matches!(state.as_str(), "dismissed" | "remediated" | "confirmedsafe") {
        return;
    }
    let lvl = level(e.risk_level_during.as_deref()).max(level(e.risk_level_aggregated.as_deref()));
    let types = if e.risk_event_types.is_empty() {
        String::new()
    } else {
        format!(" ({})", e.risk_event_types.join(", "))
    };
    let (score, what) = if state == "confirmedcompromised" {
        (90, "confirmed compromised".to_string())
    } else {
        match lvl {
            3 => (70, "high".to_string()),
            2 => (50, "medium".to_string()),
            1 => (25, "low".to_string()),
            _ => (0, String::new()),
        }
    };
    if score > 0 {
        out.push(SignalHit::new(
            "signin.entra_risk",
            score,
            format!(
                "Entra ID Protection rates this sign-in by {} {what}{types}",
                who(e)
            ),
        ));
    }
    if e.risk_event_types.iter().any(|t| {
        let t = t.to_ascii_lowercase();
        t == "anonymizedipaddress" || t == "tor" || t.contains("anonymous")
    }) {
        out.push(SignalHit::new(
            "signin.anonymizer",
            40,
            format!(
                "{} signed in through an anonymizing network (Tor / VPN), per Entra",
                who(e)
            ),
        ));
    }
}
