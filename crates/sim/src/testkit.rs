//! Hand-built seeds and helpers for tests (the simulator's own and anyone else's): a tenant with
//! N users and M messages each, realistic MIME, auth methods, sign-ins, a Graph service
//! principal, and a token helper.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use ward_scenario::{GroundTruth, MailboxSeed, MessageSeed, TenantSeed};

pub const TENANT_ID: &str = "84bd8158-6d4d-4958-8b9f-9d6445542f95";
pub const DOMAIN: &str = "contoso.com";
pub const INITIAL_DOMAIN: &str = "contoso.onmicrosoft.com";
/// The default registered app (see [`crate::RegisteredApp::ward_default`]).
pub const CLIENT_ID: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
pub const CLIENT_SECRET: &str = "ward-sim-secret";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const MANAGE_SCOPE: &str = "https://manage.office.com/.default";

/// Deterministic user id for user number `i`.
pub fn user_id(i: usize) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("ward-sim-user-{i}").as_bytes(),
    )
    .to_string()
}

pub fn upn(i: usize) -> String {
    format!("user{i}@{DOMAIN}")
}

/// A Graph `user` object as Graph stores it (all properties; `$select` narrows them).
pub fn user(i: usize, anchor: DateTime<Utc>) -> Value {
    let id = user_id(i);
    json!({
        "id": id,
        "displayName": format!("User {i}"),
        "givenName": "User",
        "surname": format!("{i}"),
        "userPrincipalName": upn(i),
        "mail": upn(i),
        "otherMails": [],
        "proxyAddresses": [format!("SMTP:{}", upn(i)), format!("smtp:user{i}@{INITIAL_DOMAIN}")],
        "jobTitle": if i == 0 { "Chief Financial Officer" } else { "Analyst" },
        "department": if i == 0 { "Finance" } else { "Operations" },
        "companyName": "Contoso",
        "businessPhones": ["+1 425 555 0100"],
        "mobilePhone": null,
        "officeLocation": "18/2111",
        "preferredLanguage": "en-US",
        "accountEnabled": true,
        "userType": "Member",
        "assignedLicenses": [{"skuId": "06ebc4ee-1bb5-47dd-8120-11324bc54e06", "disabledPlans": []}],
        "onPremisesSyncEnabled": null,
        "createdDateTime": crate::util::graph_time(anchor - TimeDelta::days(400)),
        "lastPasswordChangeDateTime": crate::util::graph_time(anchor - TimeDelta::days(90)),
        "passwordPolicies": null,
        "signInSessionsValidFromDateTime": crate::util::graph_time(anchor - TimeDelta::days(90)),
        "signInActivity": {
            "lastSignInDateTime": crate::util::graph_time(anchor - TimeDelta::hours(3)),
            "lastSignInRequestId": uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, id.as_bytes()).to_string(),
            "lastNonInteractiveSignInDateTime": null,
            "lastNonInteractiveSignInRequestId": null,
            "lastSuccessfulSignInDateTime": crate::util::graph_time(anchor - TimeDelta::hours(3)),
            "lastSuccessfulSignInRequestId": null
        }
    })
}

/// A delivered message as Exchange Online stores it: Received chain, Authentication-Results,
/// multipart/alternative body, optional PDF attachment.
pub fn mime(
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    message_id: &str,
    date: DateTime<Utc>,
    attachment: bool,
) -> Vec<u8> {
    let date = date.format("%a, %d %b %Y %H:%M:%S +0000");
    let mut m = format!(
        "Received: from mail.example.net (203.0.113.7) by AM0PR01MB0001.eurprd01.prod.exchangelabs.com with Microsoft SMTP Server; {date}\r\n\
Authentication-Results: spf=pass (sender IP is 203.0.113.7) smtp.mailfrom=example.net; dkim=pass (signature was verified) header.d=example.net;dmarc=pass action=none header.from=example.net;compauth=pass reason=100\r\n\
Received-SPF: Pass (protection.outlook.com: domain of example.net designates 203.0.113.7 as permitted sender) receiver=protection.outlook.com; client-ip=203.0.113.7; helo=mail.example.net;\r\n\
From: \"Sender\" <{from}>\r\n\
To: <{to}>\r\n\
Subject: {subject}\r\n\
Date: {date}\r\n\
Message-ID: {message_id}\r\n\
Return-Path: <{from}>\r\n\
MIME-Version: 1.0\r\n\
X-MS-Exchange-Organization-AuthAs: Anonymous\r\n"
    );
    let alt = format!(
        "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{body}</p><a href=\"https://example.net/x\">link</a></body></html>\r\n--alt--\r\n"
    );
    if attachment {
        m.push_str("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\n");
        m.push_str(&alt);
        m.push_str("--mix\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n--mix--\r\n");
    } else {
        m.push_str(&alt);
    }
    m.into_bytes()
}

/// Builder for test tenants.
#[derive(Debug, Clone)]
pub struct SeedBuilder {
    pub users: usize,
    pub messages_per_user: usize,
    pub anchor: DateTime<Utc>,
    /// Every n-th message carries a PDF attachment (0 = none).
    pub attachment_every: usize,
}

impl Default for SeedBuilder {
    fn default() -> Self {
        Self {
            users: 3,
            messages_per_user: 5,
            anchor: Utc::now(),
            attachment_every: 2,
        }
    }
}

/// Message-ID of message `j` for user `i` in a [`SeedBuilder`] seed.
pub fn message_id(i: usize, j: usize) -> String {
    format!("<seed-{i}-{j}@mail.example.net>")
}

impl SeedBuilder {
    pub fn new(users: usize, messages_per_user: usize) -> Self {
        Self {
            users,
            messages_per_user,
            ..Self::default()
        }
    }

    pub fn build(&self) -> TenantSeed {
        let a = self.anchor;
        let users: Vec<Value> = (0..self.users).map(|i| user(i, a)).collect();
        let mut mailboxes = BTreeMap::new();
        let mut auth_methods = BTreeMap::new();
        let mut registration = Vec::new();
        let mut sign_ins = Vec::new();
        for i in 0..self.users {
            let uid = user_id(i);
            let messages = (0..self.messages_per_user)
                .map(|j| {
                    let received = a - TimeDelta::minutes((j as i64 + 1) * 37);
                    MessageSeed {
                        folder: if j % 7 == 6 {
                            "junkemail".into()
                        } else {
                            "inbox".into()
                        },
                        received,
                        is_read: j % 3 == 0,
                        mime: mime(
                            &format!("partner{j}@example.net"),
                            &upn(i),
                            &format!("Quarterly report {j}"),
                            &format!("Please find the quarterly numbers, part {j}."),
                            &message_id(i, j),
                            received - TimeDelta::seconds(20),
                            self.attachment_every > 0 && j % self.attachment_every == 0,
                        ),
                        scenario: None,
                    }
                })
                .collect();
            mailboxes.insert(
                uid.clone(),
                MailboxSeed {
                    messages,
                    mailbox_settings: Value::Null,
                    ..Default::default()
                },
            );
            auth_methods.insert(
                uid.clone(),
                vec![
                    json!({"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490", "password": null, "createdDateTime": crate::util::graph_time(a - TimeDelta::days(90))}),
                    json!({"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneNumber": "+1 2065555555", "phoneType": "mobile", "smsSignInState": "notAllowedByPolicy"}),
                    json!({"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("authn-{i}").as_bytes()).to_string(), "displayName": "iPhone 15", "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.8.1", "createdDateTime": crate::util::graph_time(a - TimeDelta::days(60))}),
                ],
            );
            registration.push(json!({
                "id": uid, "userPrincipalName": upn(i), "userDisplayName": format!("User {i}"), "userType": "member",
                "isAdmin": i == 0, "isSsprRegistered": true, "isSsprEnabled": true, "isSsprCapable": true,
                "isMfaRegistered": true, "isMfaCapable": true, "isPasswordlessCapable": false,
                "isSystemPreferredAuthenticationMethodEnabled": false,
                "methodsRegistered": ["mobilePhone", "microsoftAuthenticatorPush"],
                "systemPreferredAuthenticationMethods": [], "userPreferredMethodForSecondaryAuthentication": "push",
                "lastUpdatedDateTime": crate::util::graph_time(a - TimeDelta::days(1)),
            }));
            sign_ins.push(json!({
                "id": uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("signin-{i}").as_bytes()).to_string(),
                "createdDateTime": crate::util::graph_time(a - TimeDelta::hours(3 + i as i64)),
                "userDisplayName": format!("User {i}"), "userPrincipalName": upn(i), "userId": uid,
                "appId": "00000002-0000-0ff1-ce00-000000000000", "appDisplayName": "Office 365 Exchange Online",
                "ipAddress": "198.51.100.10", "clientAppUsed": "Browser", "correlationId": crate::util::new_guid(),
                "conditionalAccessStatus": "success", "isInteractive": true, "riskDetail": "none",
                "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none", "riskEventTypes": [], "riskEventTypes_v2": [],
                "resourceDisplayName": "Office 365 Exchange Online", "resourceId": "00000002-0000-0ff1-ce00-000000000000",
                "status": {"errorCode": 0, "failureReason": "Other.", "additionalDetails": null},
                "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows 10", "browser": "Edge 120.0.0", "isCompliant": false, "isManaged": false, "trustType": ""},
                "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US", "geoCoordinates": {"altitude": null, "latitude": 47.67, "longitude": -122.12}},
                "appliedConditionalAccessPolicies": [{"id": "6b2c2f1a-2a09-4c8f-8b3b-0ad1a0c6a1d1", "displayName": "Require MFA", "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "success"}],
                "authenticationRequirement": "multiFactorAuthentication",
                "userAgent": "Mozilla/5.0",
            }));
        }
        let graph_sp = json!({
            "id": "b0a3a2c4-1b1e-4f2e-9a38-2b7e0d6c1e01", "appId": "00000003-0000-0000-c000-000000000000", "displayName": "Microsoft Graph",
            "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a", "servicePrincipalType": "Application", "accountEnabled": true,
            "appRoles": [
                {"id": "e2a3a72e-5f79-4c64-b1b1-878b674786c9", "value": "Mail.ReadWrite", "displayName": "Read and write mail in all mailboxes", "allowedMemberTypes": ["Application"], "isEnabled": true},
                {"id": "810c84a8-4a9e-49e6-bf7d-12d183f40d01", "value": "Mail.Read", "displayName": "Read mail in all mailboxes", "allowedMemberTypes": ["Application"], "isEnabled": true}
            ],
            "passwordCredentials": [], "keyCredentials": [], "tags": []
        });
        let shady_sp = json!({
            "id": "c3c1d3f0-8a8b-4d0e-b3c1-1f1f1f1f1f01", "appId": "a1b2c3d4-0000-4000-8000-000000000001", "displayName": "Mail Sync Pro",
            "appOwnerOrganizationId": "11111111-2222-3333-4444-555555555555", "servicePrincipalType": "Application", "accountEnabled": true,
            "publisherName": "Unverified", "verifiedPublisher": {"displayName": null, "verifiedPublisherId": null, "addedDateTime": null},
            "passwordCredentials": [{"keyId": "0b0a1e1e-0000-4000-8000-000000000001", "displayName": "sync", "secretText": "must-not-leak", "hint": "abc", "startDateTime": "2025-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z", "customKeyIdentifier": null}],
            "keyCredentials": [], "tags": ["WindowsAzureActiveDirectoryIntegratedApp"]
        });
        let mut assigned = BTreeMap::new();
        assigned.insert(
            "b0a3a2c4-1b1e-4f2e-9a38-2b7e0d6c1e01".to_string(),
            vec![json!({"id": "assign-1", "appRoleId": "e2a3a72e-5f79-4c64-b1b1-878b674786c9", "principalId": "c3c1d3f0-8a8b-4d0e-b3c1-1f1f1f1f1f01", "principalDisplayName": "Mail Sync Pro", "principalType": "ServicePrincipal", "resourceId": "b0a3a2c4-1b1e-4f2e-9a38-2b7e0d6c1e01", "resourceDisplayName": "Microsoft Graph", "createdDateTime": crate::util::graph_time(a - TimeDelta::days(10)), "deletedDateTime": null})],
        );
        let dir_audit = json!({
            "id": "Directory_seed_1", "category": "UserManagement", "correlationId": crate::util::new_guid(), "result": "success", "resultReason": "",
            "activityDisplayName": "Update user", "activityDateTime": crate::util::graph_time(a - TimeDelta::hours(5)), "loggedByService": "Core Directory", "operationType": "Update",
            "initiatedBy": {"user": {"id": user_id(0), "displayName": null, "userPrincipalName": upn(0), "ipAddress": "198.51.100.10"}, "app": null},
            "targetResources": [{"id": user_id(1 % self.users.max(1)), "displayName": null, "type": "User", "userPrincipalName": upn(1 % self.users.max(1)), "modifiedProperties": []}],
            "additionalDetails": []
        });
        let unified = json!({
            "Id": crate::util::new_guid(), "RecordType": 1, "CreationTime": crate::util::mgmt_time(a - TimeDelta::hours(2)), "Operation": "Set-Mailbox",
            "OrganizationId": TENANT_ID, "UserType": 2, "UserKey": upn(0), "Workload": "Exchange", "ResultStatus": "True", "ObjectId": upn(0), "UserId": upn(0),
            "ClientIP": "198.51.100.10:1234", "Parameters": [{"Name": "Identity", "Value": upn(0)}, {"Name": "AuditEnabled", "Value": "True"}]
        });
        TenantSeed {
            tenant_id: TENANT_ID.into(),
            display_name: "Contoso".into(),
            initial_domain: INITIAL_DOMAIN.into(),
            accepted_domains: vec![DOMAIN.into(), INITIAL_DOMAIN.into()],
            anchor: a,
            users,
            mailboxes,
            sign_ins,
            directory_audits: vec![dir_audit],
            unified_audit: vec![unified],
            auth_methods,
            applications: vec![
                json!({"id": "app-obj-1", "appId": CLIENT_ID, "displayName": "Ward", "signInAudience": "AzureADMyOrg", "passwordCredentials": [{"keyId": "k1", "secretText": "nope", "displayName": "ward"}], "keyCredentials": []}),
            ],
            service_principals: vec![graph_sp, shady_sp],
            app_role_assigned_to: assigned,
            conditional_access_policies: vec![json!({
                "id": "6b2c2f1a-2a09-4c8f-8b3b-0ad1a0c6a1d1", "displayName": "Require MFA", "state": "enabled",
                "createdDateTime": crate::util::graph_time(a - TimeDelta::days(100)), "modifiedDateTime": null,
                "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": []}, "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
                "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}, "sessionControls": null
            })],
            registration_details: registration,
            analyzed_emails: vec![],
            timeline: vec![],
            ground_truth: GroundTruth {
                scenarios: vec![],
                benign_users: (0..self.users).map(user_id).collect(),
            },
        }
    }
}

/// Get an access token with the default app's secret.
pub async fn token(base_url: &str, scope: &str) -> Result<String, reqwest::Error> {
    let v: Value = reqwest::Client::new()
        .post(format!("{base_url}/{TENANT_ID}/oauth2/v2.0/token"))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scope", scope),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(v["access_token"].as_str().unwrap_or_default().to_string())
}
