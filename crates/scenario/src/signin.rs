//! Graph `signIn` objects (v1.0 plus the beta fields detectors use).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::company::{Device, Person};
use crate::geo::{City, location_json};
use crate::identity::{Directory, EXO_APP_ID, GRAPH_APP_ID, iso_z};
use crate::rng::Rng;

/// (appId, displayName, resourceId, resourceDisplayName, clientAppUsed)
pub(crate) const INTERACTIVE_APPS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "9199bf20-a13f-4107-85dc-02114787ef48",
        "One Outlook Web",
        EXO_APP_ID,
        "Office 365 Exchange Online",
        "Browser",
    ),
    (
        "4765445b-32c6-49b0-83e6-1d93765276ca",
        "OfficeHome",
        "00000003-0000-0ff1-ce00-000000000000",
        "Office 365 SharePoint Online",
        "Browser",
    ),
    (
        "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        "Microsoft Teams",
        "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
        "Microsoft Teams Services",
        "Mobile Apps and Desktop clients",
    ),
    (
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        "Microsoft Office",
        GRAPH_APP_ID,
        "Microsoft Graph",
        "Mobile Apps and Desktop clients",
    ),
];

/// Second-factor outcome of a sign-in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mfa {
    /// MFA performed now with the Authenticator push (or SMS when no app).
    Performed,
    /// Satisfied by a claim in the token (the common case after the first sign-in of the day).
    Claim,
    /// Single-factor (legacy protocol, or failed before MFA).
    None,
    /// Push denied by the user (500121).
    Denied,
}

pub(crate) struct SignIn<'a> {
    pub when: DateTime<Utc>,
    pub ip: String,
    pub asn: u32,
    pub city: &'a City,
    pub country: &'a str,
    pub app: (&'a str, &'a str, &'a str, &'a str, &'a str),
    pub device: Option<&'a Device>,
    pub user_agent: &'a str,
    pub error_code: i64,
    pub failure_reason: Option<&'a str>,
    pub additional: Option<&'a str>,
    pub mfa: Mfa,
    pub protocol: &'a str,
    pub risk: &'a str,
}

pub(crate) fn sign_in_json(p: &Person, s: &SignIn, dir: &Directory, rng: &mut Rng) -> Value {
    let legacy = matches!(
        s.app.4,
        "IMAP4" | "POP3" | "Authenticated SMTP" | "Exchange ActiveSync" | "Other clients"
    );
    let primary_ok = s.error_code == 0 || s.error_code == 500121;
    let (ca_status, mfa_result, legacy_result) = if !primary_ok {
        ("notApplied", "notApplied", "notApplied")
    } else if legacy {
        ("notApplied", "notApplied", "reportOnlyFailure")
    } else if s.mfa == Mfa::Denied {
        ("failure", "failure", "reportOnlyNotApplied")
    } else {
        ("success", "success", "reportOnlyNotApplied")
    };
    let mut details = vec![json!({
        "authenticationStepDateTime": iso_z(s.when),
        "authenticationMethod": "Password",
        "authenticationMethodDetail": "Password in the cloud",
        "succeeded": primary_ok,
        "authenticationStepResultDetail": if primary_ok { "Correct password" } else { "Invalid username or password or Invalid on-premise username or password." },
        "authenticationStepRequirement": "Primary authentication",
    })];
    let method = if p.has_authenticator {
        "Mobile app notification"
    } else {
        "Text message"
    };
    match s.mfa {
        Mfa::Performed => details.push(json!({
            "authenticationStepDateTime": iso_z(s.when + Duration::seconds(9)),
            "authenticationMethod": method,
            "authenticationMethodDetail": null,
            "succeeded": true,
            "authenticationStepResultDetail": "MFA successfully completed",
            "authenticationStepRequirement": "Multi-factor authentication",
        })),
        Mfa::Claim => details.push(json!({
            "authenticationStepDateTime": iso_z(s.when),
            "authenticationMethod": "Previously satisfied",
            "authenticationMethodDetail": null,
            "succeeded": true,
            "authenticationStepResultDetail": "MFA requirement satisfied by claim in the token",
            "authenticationStepRequirement": "Multi-factor authentication",
        })),
        Mfa::Denied => details.push(json!({
            "authenticationStepDateTime": iso_z(s.when + Duration::seconds(14)),
            "authenticationMethod": "Mobile app notification",
            "authenticationMethodDetail": null,
            "succeeded": false,
            "authenticationStepResultDetail": "MFA denied; user declined the authentication",
            "authenticationStepRequirement": "Multi-factor authentication",
        })),
        Mfa::None => {}
    }
    let requirement = if matches!(s.mfa, Mfa::None) {
        "singleFactorAuthentication"
    } else {
        "multiFactorAuthentication"
    };
    let device = match s.device {
        Some(d) => json!({
            "deviceId": d.device_id,
            "displayName": d.display_name,
            "operatingSystem": d.os,
            "browser": d.browser,
            "isCompliant": d.managed,
            "isManaged": d.managed,
            "trustType": if d.managed { Value::from("Azure AD joined") } else { Value::Null },
        }),
        None => {
            json!({"deviceId": "", "displayName": null, "operatingSystem": null, "browser": null, "isCompliant": false, "isManaged": false, "trustType": null})
        }
    };
    let correlation = rng.guid();
    json!({
        "id": rng.guid(),
        "createdDateTime": iso_z(s.when),
        "userDisplayName": p.display,
        "userPrincipalName": p.upn,
        "userId": p.id,
        "appId": s.app.0,
        "appDisplayName": s.app.1,
        "ipAddress": s.ip,
        "clientAppUsed": s.app.4,
        "userAgent": s.user_agent,
        "correlationId": correlation,
        "conditionalAccessStatus": ca_status,
        "isInteractive": true,
        "riskDetail": "none",
        "riskLevelAggregated": s.risk,
        "riskLevelDuringSignIn": s.risk,
        "riskState": if s.risk == "none" { "none" } else { "atRisk" },
        "riskEventTypes": [],
        "riskEventTypes_v2": [],
        "resourceDisplayName": s.app.3,
        "resourceId": s.app.2,
        "status": {
            "errorCode": s.error_code,
            "failureReason": s.failure_reason.unwrap_or(if s.error_code == 0 { "Other." } else { "" }),
            "additionalDetails": s.additional,
        },
        "deviceDetail": device,
        "location": location_json(s.city, s.country, rng),
        "appliedConditionalAccessPolicies": [
            {"id": dir.mfa_policy_id, "displayName": "Require MFA for all users", "enforcedGrantControls": if mfa_result == "notApplied" { json!([]) } else { json!(["Mfa"]) }, "enforcedSessionControls": [], "result": mfa_result},
            {"id": dir.legacy_policy_id, "displayName": "Block legacy authentication", "enforcedGrantControls": if legacy_result == "reportOnlyFailure" { json!(["Block"]) } else { json!([]) }, "enforcedSessionControls": [], "result": legacy_result},
        ],
        // beta-only fields
        "authenticationRequirement": requirement,
        "authenticationDetails": details,
        "authenticationProtocol": s.protocol,
        "signInEventTypes": ["interactiveUser"],
        "autonomousSystemNumber": s.asn,
        "isTenantRestricted": false,
        "uniqueTokenIdentifier": rng.alnum(22),
        "sessionId": if primary_ok { Value::from(rng.guid()) } else { Value::Null },
        "homeTenantId": null,
        "resourceTenantId": null,
    })
}
