//! Entra ID objects in Graph's shapes: users, sign-ins, authentication methods, registration
//! details, conditional access policies, applications and service principals, directory audits,
//! and Management Activity API records.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::company::{Company, Person, Role};
use crate::rng::Rng;
pub(crate) use crate::signin::{INTERACTIVE_APPS, Mfa, SignIn, sign_in_json};

pub(crate) fn iso(t: DateTime<Utc>) -> String {
    // Graph writes 7 fractional digits (100 ns ticks); chrono has no %.7f.
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

pub(crate) fn iso_z(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Management Activity API `CreationTime`: UTC, no `Z`.
pub(crate) fn ual_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A GUID that depends only on `name`, for well-known third-party apps that have the same
/// appId in every tenant.
pub(crate) fn name_guid(name: &str) -> String {
    let d = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!(
        "{}-{}-{}-{}-{}",
        hex::encode(&b[0..4]),
        hex::encode(&b[4..6]),
        hex::encode(&b[6..8]),
        hex::encode(&b[8..10]),
        hex::encode(&b[10..16])
    )
}

pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub(crate) const EXO_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";
pub(crate) const MSFT_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
pub(crate) const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";
pub(crate) const MOBILE_PHONE_METHOD_ID: &str = "3179e48a-750b-4051-897c-87b9720928f7";

/// Tenant-level identity furniture shared by generators.
pub(crate) struct Directory {
    pub mfa_policy_id: String,
    pub legacy_policy_id: String,
    pub graph_sp_id: String,
    pub exo_sp_id: String,
}

impl Directory {
    pub(crate) fn new(rng: &mut Rng) -> Self {
        Directory {
            mfa_policy_id: rng.guid(),
            legacy_policy_id: rng.guid(),
            graph_sp_id: rng.guid(),
            exo_sp_id: rng.guid(),
        }
    }
}

pub(crate) fn user_json(
    c: &Company,
    i: usize,
    last_sign_in: Option<DateTime<Utc>>,
    rng: &mut Rng,
) -> Value {
    let p = &c.people[i];
    let local = p.upn.split('@').next().unwrap_or("");
    let mut proxies = vec![
        format!("SMTP:{}", p.upn),
        format!("smtp:{local}@{}", c.initial_domain),
    ];
    if p.role == Role::Ceo || p.role == Role::Cfo {
        proxies.push(format!(
            "smtp:{}{}@{}",
            &p.given[..1].to_ascii_lowercase(),
            p.surname.to_ascii_lowercase(),
            c.domain
        ));
    }
    let office = &c.offices[p.office];
    let mut u = json!({
        "id": p.id,
        "businessPhones": [p.phone],
        "displayName": p.display,
        "givenName": p.given,
        "surname": p.surname,
        "jobTitle": p.job_title,
        "mail": p.upn,
        "mobilePhone": p.phone,
        "officeLocation": office.name,
        "preferredLanguage": c.country.locale,
        "userPrincipalName": p.upn,
        "accountEnabled": p.enabled,
        "department": p.department,
        "companyName": c.name,
        "city": office.city.name,
        "state": office.city.state,
        "country": c.country.name,
        "usageLocation": c.country.code,
        "userType": "Member",
        "createdDateTime": iso_z(p.created),
        "creationType": null,
        "lastPasswordChangeDateTime": iso_z(p.password_changed),
        "passwordPolicies": "None",
        "onPremisesSyncEnabled": null,
        "proxyAddresses": proxies,
        "otherMails": [],
        "mailNickname": local.replace('.', ""),
        "employeeId": format!("{}", 10000 + i),
        "signInSessionsValidFromDateTime": iso_z(p.password_changed),
        "assignedLicenses": [
            {"disabledPlans": [], "skuId": "06ebc4ee-1bb5-47dd-8120-11324bc54e06"}
        ],
    });
    if let Some(mi) = p.manager {
        let m = &c.people[mi];
        u["manager"] = json!({"@odata.type": "#microsoft.graph.user", "id": m.id, "displayName": m.display, "userPrincipalName": m.upn, "mail": m.upn});
    }
    if let Some(t) = last_sign_in {
        u["signInActivity"] = json!({
            "lastSignInDateTime": iso_z(t),
            "lastSignInRequestId": rng.guid(),
            "lastNonInteractiveSignInDateTime": iso_z(t + Duration::minutes(rng.range(5, 300) as i64)),
            "lastNonInteractiveSignInRequestId": rng.guid(),
            "lastSuccessfulSignInDateTime": iso_z(t),
            "lastSuccessfulSignInRequestId": rng.guid(),
        });
    }
    u
}

pub(crate) fn auth_methods(p: &Person, rng: &mut Rng) -> Vec<Value> {
    let mut v = vec![json!({
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": PASSWORD_METHOD_ID,
        "password": null,
        "createdDateTime": iso_z(p.password_changed),
    })];
    let reg = p.created + Duration::hours(rng.range(1, 48) as i64);
    if p.has_authenticator {
        v.push(json!({
            "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
            "id": rng.guid(),
            "displayName": p.phone_model,
            "deviceTag": "SoftwareTokenActivated",
            "phoneAppVersion": format!("6.{}.{}", 7 + rng.below(2), rng.below(30)),
            "createdDateTime": iso_z(reg),
        }));
    }
    if p.has_phone_method {
        v.push(phone_method(&p.phone, MOBILE_PHONE_METHOD_ID, "mobile"));
    }
    v
}

pub(crate) fn phone_method(number: &str, id: &str, kind: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
        "id": id,
        "phoneNumber": number,
        "phoneType": kind,
        "smsSignInState": "notAllowedByPolicy",
    })
}

pub(crate) fn registration_details(c: &Company, p: &Person, updated: DateTime<Utc>) -> Value {
    let mut methods = Vec::new();
    if p.has_phone_method {
        methods.push("mobilePhone");
    }
    if p.has_authenticator {
        methods.push("microsoftAuthenticatorPush");
        methods.push("softwareOneTimePasscode");
    }
    let preferred = if p.has_authenticator { "push" } else { "sms" };
    json!({
        "id": p.id,
        "userPrincipalName": p.upn,
        "userDisplayName": p.display,
        "userType": "member",
        "isAdmin": p.role == Role::ItAdmin,
        "isSsprRegistered": p.has_phone_method,
        "isSsprEnabled": true,
        "isSsprCapable": p.has_phone_method,
        "isMfaRegistered": true,
        "isMfaCapable": true,
        "isPasswordlessCapable": false,
        "methodsRegistered": methods,
        "isSystemPreferredAuthenticationMethodEnabled": true,
        "systemPreferredAuthenticationMethods": [preferred],
        "userPreferredMethodForSecondaryAuthentication": preferred,
        "lastUpdatedDateTime": iso(updated.max(c.tenant_created)),
    })
}

pub(crate) fn ca_policies(c: &Company, dir: &Directory) -> Vec<Value> {
    let admin = &c.people[c.it_admin];
    let t0 = c.tenant_created + Duration::days(30);
    vec![
        json!({
            "id": dir.mfa_policy_id,
            "templateId": null,
            "displayName": "Require MFA for all users",
            "createdDateTime": iso(t0),
            "modifiedDateTime": iso(t0 + Duration::days(200)),
            "state": "enabled",
            "sessionControls": null,
            "conditions": {
                "userRiskLevels": [], "signInRiskLevels": [], "servicePrincipalRiskLevels": [],
                "clientAppTypes": ["browser", "mobileAppsAndDesktopClients"],
                "platforms": null, "locations": null, "devices": null, "clientApplications": null,
                "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": [], "includeAuthenticationContextClassReferences": [], "applicationFilter": null},
                "users": {"includeUsers": ["All"], "excludeUsers": [admin.id.clone()], "includeGroups": [], "excludeGroups": [], "includeRoles": [], "excludeRoles": [], "includeGuestsOrExternalUsers": null, "excludeGuestsOrExternalUsers": null},
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [], "termsOfUse": [], "authenticationStrength": null},
        }),
        json!({
            "id": dir.legacy_policy_id,
            "templateId": "0b2282f9-2862-4178-88b5-d79340b36cb8",
            "displayName": "Block legacy authentication",
            "createdDateTime": iso(t0 + Duration::days(300)),
            "modifiedDateTime": iso(t0 + Duration::days(301)),
            "state": "enabledForReportingButNotEnforced",
            "sessionControls": null,
            "conditions": {
                "userRiskLevels": [], "signInRiskLevels": [], "servicePrincipalRiskLevels": [],
                "clientAppTypes": ["exchangeActiveSync", "other"],
                "platforms": null, "locations": null, "devices": null, "clientApplications": null,
                "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": [], "includeAuthenticationContextClassReferences": [], "applicationFilter": null},
                "users": {"includeUsers": ["All"], "excludeUsers": [], "includeGroups": [], "excludeGroups": [], "includeRoles": [], "excludeRoles": [], "includeGuestsOrExternalUsers": null, "excludeGuestsOrExternalUsers": null},
            },
            "grantControls": {"operator": "OR", "builtInControls": ["block"], "customAuthenticationFactors": [], "termsOfUse": [], "authenticationStrength": null},
        }),
    ]
}

/// Graph delegated scopes and app roles used by the generated apps: (value, scope id, role id).
pub(crate) const GRAPH_PERMS: &[(&str, &str, &str)] = &[
    (
        "Mail.ReadWrite",
        "024d486e-b451-40bb-833d-3e66d98c5c73",
        "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
    ),
    (
        "Mail.Read",
        "570282fd-fa5c-430d-a7fd-fc8dc98a9dca",
        "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
    ),
    (
        "Mail.Send",
        "e383f46e-2787-4529-855e-0e479a3ffac0",
        "b633e1c5-b582-4048-a93e-9f11b44c7e96",
    ),
    ("User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d", ""),
    (
        "User.Read.All",
        "a154be20-db9c-4678-8ab7-66f6cc099a59",
        "df021288-bdef-4463-88db-98f22de89214",
    ),
    (
        "Calendars.ReadWrite",
        "1ec239c2-d7c9-4623-a91a-a9775856bb36",
        "ef54d2bf-783f-4e0f-bca1-3210c0444d99",
    ),
    (
        "Files.Read.All",
        "df85f4d6-205c-4ac5-a5ea-6bf408dba283",
        "01d4889c-1287-42c6-ac1f-5d1e02578ef6",
    ),
    ("offline_access", "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", ""),
    ("openid", "37f7f235-527c-4136-accd-4a02d197296e", ""),
    ("profile", "14dad69e-099b-42c9-810b-d002981feec1", ""),
    ("email", "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", ""),
];

pub(crate) fn graph_sp(dir: &Directory, c: &Company) -> Value {
    let roles: Vec<Value> = GRAPH_PERMS
        .iter()
        .filter(|p| !p.2.is_empty())
        .map(|(v, _, r)| json!({"id": r, "value": v, "displayName": format!("{v} (application)"), "description": format!("Allows the app to use {v} without a signed-in user."), "allowedMemberTypes": ["Application"], "isEnabled": true, "origin": "Application"}))
        .collect();
    let scopes: Vec<Value> = GRAPH_PERMS
        .iter()
        .map(|(v, s, _)| json!({"id": s, "value": v, "type": "User", "isEnabled": true, "adminConsentDisplayName": v, "userConsentDisplayName": v}))
        .collect();
    json!({
        "id": dir.graph_sp_id,
        "appId": GRAPH_APP_ID,
        "displayName": "Microsoft Graph",
        "appDisplayName": "Microsoft Graph",
        "appOwnerOrganizationId": MSFT_TENANT,
        "servicePrincipalType": "Application",
        "accountEnabled": true,
        "appRoleAssignmentRequired": false,
        "publisherName": "Microsoft Services",
        "signInAudience": "AzureADMultipleOrgs",
        "createdDateTime": iso_z(c.tenant_created),
        "tags": [],
        "appRoles": roles,
        "oauth2PermissionScopes": scopes,
        "passwordCredentials": [], "keyCredentials": [], "replyUrls": [],
        "servicePrincipalNames": [GRAPH_APP_ID, "https://graph.microsoft.com"],
        "verifiedPublisher": {"displayName": null, "verifiedPublisherId": null, "addedDateTime": null},
    })
}

pub(crate) fn exo_sp(dir: &Directory, c: &Company) -> Value {
    json!({
        "id": dir.exo_sp_id,
        "appId": EXO_APP_ID,
        "displayName": "Office 365 Exchange Online",
        "appDisplayName": "Office 365 Exchange Online",
        "appOwnerOrganizationId": MSFT_TENANT,
        "servicePrincipalType": "Application",
        "accountEnabled": true,
        "appRoleAssignmentRequired": false,
        "publisherName": "Microsoft Services",
        "signInAudience": "AzureADMultipleOrgs",
        "createdDateTime": iso_z(c.tenant_created),
        "tags": [],
        "appRoles": [
            {"id": "dc890d15-9560-4a4c-9b7f-a736ec74ec40", "value": "full_access_as_app", "displayName": "Use Exchange Web Services with full access to all mailboxes", "allowedMemberTypes": ["Application"], "isEnabled": true, "origin": "Application"},
            {"id": "dc50a0fb-09a3-484d-be87-e023b12c6440", "value": "Exchange.ManageAsApp", "displayName": "Manage Exchange As Application", "allowedMemberTypes": ["Application"], "isEnabled": true, "origin": "Application"},
        ],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [], "keyCredentials": [], "replyUrls": [],
        "servicePrincipalNames": [EXO_APP_ID, "https://outlook.office365.com"],
        "verifiedPublisher": {"displayName": null, "verifiedPublisherId": null, "addedDateTime": null},
    })
}

/// A third-party multi-tenant app's service principal as it appears after consent.
pub(crate) fn third_party_sp(
    id: &str,
    app_id: &str,
    name: &str,
    publisher: Option<&str>,
    owner_tenant: &str,
    created: DateTime<Utc>,
    reply: &str,
) -> Value {
    json!({
        "id": id,
        "appId": app_id,
        "displayName": name,
        "appDisplayName": name,
        "appOwnerOrganizationId": owner_tenant,
        "servicePrincipalType": "Application",
        "accountEnabled": true,
        "appRoleAssignmentRequired": false,
        "publisherName": publisher.unwrap_or(name),
        "signInAudience": "AzureADMultipleOrgs",
        "createdDateTime": iso_z(created),
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        "appRoles": [], "oauth2PermissionScopes": [],
        "passwordCredentials": [], "keyCredentials": [],
        "replyUrls": [reply],
        "servicePrincipalNames": [app_id],
        "verifiedPublisher": match publisher {
            Some(p) => json!({"displayName": p, "verifiedPublisherId": format!("{}", 5_000_000 + p.len() * 7919), "addedDateTime": iso_z(created - Duration::days(400))}),
            None => json!({"displayName": null, "verifiedPublisherId": null, "addedDateTime": null}),
        },
    })
}

pub(crate) fn user_actor(p: &Person, ip: Option<&str>) -> Value {
    json!({"user": {"id": p.id, "displayName": null, "userPrincipalName": p.upn, "ipAddress": ip.unwrap_or(""), "userType": null, "homeTenantId": null, "homeTenantName": null}, "app": null})
}

pub(crate) fn target_user(p: &Person, modified: Vec<Value>) -> Value {
    json!({"id": p.id, "displayName": null, "type": "User", "userPrincipalName": p.upn, "groupType": null, "modifiedProperties": modified})
}

pub(crate) fn modified(name: &str, old: Value, new: Value) -> Value {
    // Graph writes old/new values as JSON-encoded strings.
    let enc = |v: Value| {
        if v.is_null() {
            Value::Null
        } else {
            Value::from(v.to_string())
        }
    };
    json!({"displayName": name, "oldValue": enc(old), "newValue": enc(new)})
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn directory_audit(
    rng: &mut Rng,
    when: DateTime<Utc>,
    activity: &str,
    category: &str,
    service: &str,
    op_type: &str,
    initiated_by: Value,
    targets: Vec<Value>,
    additional: &[(&str, String)],
) -> Value {
    json!({
        "id": format!("Directory_{}_{}", rng.guid().replace('-', "").to_uppercase().get(..5).unwrap_or("00000"), rng.alnum(8)),
        "category": category,
        "correlationId": rng.guid(),
        "result": "success",
        "resultReason": "",
        "activityDisplayName": activity,
        "activityDateTime": iso(when),
        "loggedByService": service,
        "operationType": op_type,
        "initiatedBy": initiated_by,
        "targetResources": targets,
        "additionalDetails": additional.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
    })
}

/// A Management Activity API record: common schema plus workload fields from `extra`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ual(
    rng: &mut Rng,
    c: &Company,
    when: DateTime<Utc>,
    record_type: u32,
    workload: &str,
    operation: &str,
    user_id: &str,
    user_key: &str,
    user_type: u32,
    client_ip: Option<&str>,
    object_id: &str,
    result: &str,
    extra: Value,
) -> Value {
    let mut m = Map::new();
    m.insert("CreationTime".into(), ual_time(when).into());
    m.insert("Id".into(), rng.guid().into());
    m.insert("Operation".into(), operation.into());
    m.insert("OrganizationId".into(), c.tenant_id.clone().into());
    m.insert("RecordType".into(), record_type.into());
    m.insert("ResultStatus".into(), result.into());
    m.insert("UserKey".into(), user_key.into());
    m.insert("UserType".into(), user_type.into());
    m.insert("Version".into(), 1.into());
    m.insert("Workload".into(), workload.into());
    m.insert(
        "ClientIP".into(),
        client_ip.map(Value::from).unwrap_or(Value::Null),
    );
    m.insert("ObjectId".into(), object_id.into());
    m.insert("UserId".into(), user_id.into());
    if let Value::Object(e) = extra {
        for (k, v) in e {
            m.insert(k, v);
        }
    }
    Value::Object(m)
}

/// `UserLoggedIn` / `UserLoginFailed` (Audit.AzureActiveDirectory, RecordType 15) for a signIn.
pub(crate) fn ual_logon(
    rng: &mut Rng,
    c: &Company,
    p: &Person,
    si: &Value,
    when: DateTime<Utc>,
) -> Value {
    let code = si["status"]["errorCode"].as_i64().unwrap_or(0);
    let ok = code == 0;
    let ip = si["ipAddress"].as_str().unwrap_or("");
    let ua = si["userAgent"].as_str().unwrap_or("");
    let app_id = si["appId"].as_str().unwrap_or("");
    let os = si["deviceDetail"]["operatingSystem"].as_str().unwrap_or("");
    let intra = rng.guid();
    let browser = si["deviceDetail"]["browser"].as_str().unwrap_or("");
    ual(
        rng,
        c,
        when,
        15,
        "AzureActiveDirectory",
        if ok {
            "UserLoggedIn"
        } else {
            "UserLoginFailed"
        },
        &p.upn,
        &p.id,
        0,
        Some(ip),
        si["resourceId"].as_str().unwrap_or(""),
        if ok { "Success" } else { "Failed" },
        json!({
            "AzureActiveDirectoryEventType": 1,
            "ExtendedProperties": [
                {"Name": "ResultStatusDetail", "Value": if ok { "Success" } else { "UserError" }},
                {"Name": "UserAgent", "Value": ua},
                {"Name": "RequestType", "Value": "OAuth2:Authorize"},
            ],
            "ModifiedProperties": [],
            "Actor": [{"ID": p.id, "Type": 0}, {"ID": p.upn, "Type": 5}],
            "ActorContextId": c.tenant_id,
            "ActorIpAddress": ip,
            "InterSystemsId": si["correlationId"],
            "IntraSystemId": intra,
            "SupportTicketId": "",
            "Target": [{"ID": si["resourceId"], "Type": 0}],
            "TargetContextId": c.tenant_id,
            "ApplicationId": app_id,
            "DeviceProperties": [{"Name": "OS", "Value": os}, {"Name": "BrowserType", "Value": browser}],
            "ErrorNumber": code.to_string(),
            "LogonError": si["status"]["failureReason"],
        }),
    )
}
