//! Identity attacks: the account-takeover chain and MFA fatigue.

use serde_json::{Value, json};

use super::{Ctx, art, mail, sign_in_event};
use crate::geo::{InfraKind, foreign};
use crate::identity::{self, Mfa, SignIn, directory_audit, modified, target_user, ual, user_actor};
use crate::mail::addr_of;
use crate::mime::Transport;
use crate::transport::{outlook_msgid, render_inbound};
use crate::{ScenarioTruth, TimedAction};

/// Spray → legacy IMAP sign-in → forwarding rule → attacker MFA phone → internal phish → consent.
pub(super) fn account_takeover(cx: &mut Ctx, pool: &[usize], cred_n: usize) -> ScenarioTruth {
    let id = "ato-1";
    let c = cx.c;
    let pk = |k: usize| pool[k % pool.len()];
    let victim = pk(1);
    let vp = &c.people[victim];
    let spray_n = (c.people.len() / 5)
        .clamp(10, 40)
        .min(cred_n.max(2))
        .min(pool.len());
    let mut sprayed: Vec<usize> = pool.iter().copied().take(spray_n).collect();
    if !sprayed.contains(&victim) {
        sprayed.push(victim);
    }
    let vpn = foreign(InfraKind::Vpn, c.country.code);
    let spray_place = vpn[cx.rng.below(vpn.len())];
    let spray_ip = spray_place.block.host(&mut cx.rng);
    let hosting = foreign(InfraKind::Hosting, c.country.code);
    let imap_place = hosting[cx.rng.below(hosting.len())];
    let imap_ip = imap_place.block.host(&mut cx.rng);
    let start = cx.at(30_000);

    // Spray: one address, one bad password per user; the victim's password is right (MFA
    // then blocks the interactive flow, so the attacker turns to IMAP).
    let ps_app = (
        "1b730954-1685-4b74-9bfd-dac224a7b894",
        "Azure Active Directory PowerShell",
        "00000002-0000-0000-c000-000000000000",
        "Windows Azure Active Directory",
        "Mobile Apps and Desktop clients",
    );
    for (k, &u) in sprayed.iter().enumerate() {
        let off = start + cx.at(3_400) * k as u64 / sprayed.len() as u64;
        let hit = u == victim;
        let s = SignIn {
            when: cx.when(off),
            ip: spray_ip.clone(),
            asn: spray_place.block.asn,
            city: &spray_place.city,
            country: spray_place.country,
            app: ps_app,
            device: None,
            user_agent: "python-requests/2.31.0",
            error_code: if hit { 50076 } else { 50126 },
            failure_reason: Some(if hit {
                "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access."
            } else {
                "Error validating credentials due to invalid username or password."
            }),
            additional: None,
            mfa: Mfa::None,
            protocol: "ropc",
            risk: "none",
        };
        sign_in_event(cx, off, id, u, &s);
    }

    // Legacy IMAP sign-in from a hosting ASN abroad: single factor, report-only CA.
    let off = cx.at(36_000);
    let exo_app = (
        identity::EXO_APP_ID,
        "Office 365 Exchange Online",
        identity::EXO_APP_ID,
        "Office 365 Exchange Online",
        "IMAP4",
    );
    let s = SignIn {
        when: cx.when(off),
        ip: imap_ip.clone(),
        asn: imap_place.block.asn,
        city: &imap_place.city,
        country: imap_place.country,
        app: exo_app,
        device: None,
        user_agent: "BAV2ROPC",
        error_code: 0,
        failure_reason: None,
        additional: None,
        mfa: Mfa::None,
        protocol: "ropc",
        risk: "none",
    };
    sign_in_event(cx, off, id, victim, &s);
    let session = cx.rng.guid();
    let t = cx.when(cx.at(37_000));
    let mbx_guid = cx.rng.guid();
    let folder_id = cx.rng.hex_upper(46);
    let rec = ual(
        &mut cx.rng,
        c,
        t,
        50,
        "Exchange",
        "MailItemsAccessed",
        &vp.upn,
        &vp.id,
        0,
        Some(&imap_ip),
        &vp.upn,
        "Succeeded",
        json!({
            "LogonType": 0, "InternalLogonType": 0, "MailboxOwnerUPN": vp.upn, "MailboxGuid": mbx_guid,
            "ClientInfoString": "Client=IMAP4;Protocol=IMAP4", "ClientIPAddress": imap_ip, "SessionId": session,
            "OperationProperties": [{"Name": "MailAccessType", "Value": "Sync"}, {"Name": "IsThrottled", "Value": "False"}],
            "OperationCount": 1, "Folders": [{"Id": folder_id, "Path": "\\Inbox"}],
        }),
    );
    cx.audit(cx.at(37_000), id, TimedAction::UnifiedAudit { record: rec });

    // Inbox rule: forward payment mail out, delete it from the inbox, name ".".
    let fwd = format!(
        "{}.{}{}@{}",
        vp.given.to_ascii_lowercase(),
        vp.surname.to_ascii_lowercase(),
        cx.rng.digits(2),
        cx.rng.pick(&["protonmail.com", "gmx.com", "mail.com"])
    );
    let keywords = [
        "invoice",
        "payment",
        "wire",
        "bank",
        "transfer",
        "remittance",
    ];
    let rule = json!({
        "displayName": ".",
        "sequence": 1,
        "isEnabled": true,
        "hasError": false,
        "isReadOnly": false,
        "conditions": {"bodyOrSubjectContains": keywords},
        "actions": {"forwardTo": [{"emailAddress": {"name": fwd, "address": fwd}}], "delete": true, "markAsRead": true, "stopProcessingRules": true},
    });
    let off = cx.at(39_000);
    cx.push(
        off,
        id,
        TimedAction::CreateInboxRule {
            user_id: vp.id.clone(),
            rule,
        },
    );
    let t = cx.when(off);
    let client_ip = format!("{imap_ip}:{}", 40_000 + cx.rng.below(20_000));
    let rec = ual(
        &mut cx.rng,
        c,
        t,
        1,
        "Exchange",
        "New-InboxRule",
        &vp.upn,
        &vp.id,
        0,
        Some(&client_ip),
        &format!("{}\\.", vp.upn),
        "True",
        json!({
            "Parameters": [
                {"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"},
                {"Name": "Force", "Value": "False"},
                {"Name": "Name", "Value": "."},
                {"Name": "SubjectOrBodyContainsWords", "Value": keywords.join(";")},
                {"Name": "ForwardTo", "Value": fwd},
                {"Name": "DeleteMessage", "Value": "True"},
                {"Name": "MarkAsRead", "Value": "True"},
                {"Name": "StopProcessingRules", "Value": "True"},
            ],
            "ExternalAccess": false,
            "OrganizationName": c.initial_domain,
            "OriginatingServer": c.exo.mailbox[0].split('.').next().unwrap_or(""),
            "AppId": "00000002-0000-0ff1-ce00-000000000000",
            "ClientAppId": "",
            "SessionId": session,
        }),
    );
    cx.audit(off + 5, id, TimedAction::UnifiedAudit { record: rec });

    // Attacker-controlled phone added as an MFA method.
    let (method_id, kind) = if vp.has_phone_method {
        ("b6332ec1-7057-4abe-9331-3d72feddfe41", "alternateMobile")
    } else {
        (identity::MOBILE_PHONE_METHOD_ID, "mobile")
    };
    let phone = format!("+234 80{}", cx.rng.digits(8));
    let off = cx.at(42_000);
    cx.push(
        off,
        id,
        TimedAction::AddAuthMethod {
            user_id: vp.id.clone(),
            method: identity::phone_method(&phone, method_id, kind),
        },
    );
    let t = cx.when(off);
    let mut da = directory_audit(
        &mut cx.rng,
        t,
        "User registered security info",
        "UserManagement",
        "Authentication Methods",
        "Add",
        user_actor(vp, Some(&imap_ip)),
        vec![target_user(vp, vec![])],
        &[],
    );
    da["resultReason"] = Value::from("User registered Mobile Phone SMS");
    cx.audit(off + 5, id, TimedAction::DirectoryAudit { audit: da });
    let rec = ual(
        &mut cx.rng,
        c,
        t,
        8,
        "AzureActiveDirectory",
        "User registered security info.",
        &vp.upn,
        &vp.id,
        0,
        Some(&imap_ip),
        &vp.upn,
        "Success",
        json!({
            "AzureActiveDirectoryEventType": 1,
            "Actor": [{"ID": vp.upn, "Type": 5}, {"ID": format!("User_{}", vp.id), "Type": 2}],
            "Target": [{"ID": format!("User_{}", vp.id), "Type": 2}, {"ID": vp.upn, "Type": 5}],
            "ModifiedProperties": [],
            "ExtendedProperties": [{"Name": "resultReason", "Value": "User registered Mobile Phone SMS"}],
        }),
    );
    cx.audit(off + 6, id, TimedAction::UnifiedAudit { record: rec });

    // Internal phishing from the compromised account.
    let stem = c.domain.split('.').next().unwrap_or("corp");
    let share_domain = format!("{stem}-my.sharepoint-files.com");
    let url = format!(
        "https://{share_domain}/:x:/g/personal/{}/Eb{}?e={}",
        vp.upn.replace(['.', '@'], "_"),
        cx.rng.alnum(20),
        cx.rng.alnum(6)
    );
    let mut phish_to: Vec<usize> = pool
        .iter()
        .copied()
        .take(cred_n)
        .filter(|&u| u != victim)
        .collect();
    cx.rng.shuffle(&mut phish_to);
    phish_to.truncate(4);
    let off = cx.at(45_000);
    let when = cx.when(off);
    let text = format!(
        "{} shared a file with you\n\nQ4 Payment Schedule.xlsx\n\nPlease review the updated payment schedule before Friday.\n\nOpen: {url}\n\n{}\n",
        vp.display, vp.display
    );
    let html = format!(
        "<html><body><p>{} shared a file with you</p><p><b>Q4 Payment Schedule.xlsx</b></p><p>Please review the updated payment schedule before Friday.</p><p><a href=\"{url}\">Open</a></p><p>{}</p></body></html>\n",
        vp.display, vp.display
    );
    let mbx = cx.rng.pick(&c.exo.mailbox).clone();
    let msgid = outlook_msgid(&mut cx.rng, &mbx);
    let mut m = mail(
        addr_of(vp),
        phish_to.iter().map(|&u| addr_of(&c.people[u])).collect(),
        format!("{} shared \"Q4 Payment Schedule\" with you", vp.display),
        when,
        msgid.clone(),
        text,
        Some(html),
        cx.rng.guid(),
    );
    m.tz_min = c.tz_min(vp);
    let r = render_inbound(c, &mut cx.rng, &m, &Transport::Internal);
    let recips = cx.ids(&phish_to);
    cx.push(
        off,
        id,
        TimedAction::SendMessage {
            user_id: vp.id.clone(),
            recipients: recips.clone(),
            mime: r.inbound,
        },
    );
    let item_id = cx.rng.hex_upper(40);
    let sent_id = cx.rng.hex_upper(46);
    let rec = ual(
        &mut cx.rng,
        c,
        when,
        2,
        "Exchange",
        "Send",
        &vp.upn,
        &vp.id,
        0,
        Some(&imap_ip),
        &vp.upn,
        "Succeeded",
        json!({
            "LogonType": 0, "InternalLogonType": 0, "MailboxOwnerUPN": vp.upn, "ClientInfoString": "Client=IMAP4;Protocol=IMAP4", "ClientIPAddress": imap_ip, "SessionId": session,
            "Item": {"Id": item_id, "Subject": m.subject, "InternetMessageId": msgid, "ParentFolder": {"Id": sent_id, "Path": "\\Sent Items"}, "SizeInBytes": 4096},
        }),
    );
    cx.audit(off + 5, id, TimedAction::UnifiedAudit { record: rec });

    // Consent to a malicious app with Mail.ReadWrite + offline_access.
    let app_name = cx
        .rng
        .pick(&[
            "Mail Backup Pro",
            "PDF Viewer Online",
            "Secure Docs Sync",
            "Outlook Add-in Manager",
        ])
        .to_string();
    let app_id = cx.rng.guid();
    let sp_id = cx.rng.guid();
    let owner = cx.rng.guid();
    let off = cx.at(48_000);
    let when = cx.when(off);
    let reply = format!(
        "https://{}.herokuapp.com/oauth/callback",
        app_name.to_ascii_lowercase().replace(' ', "-")
    );
    let sp = identity::third_party_sp(&sp_id, &app_id, &app_name, None, &owner, when, &reply);
    let scopes = vec![
        "Mail.ReadWrite".to_string(),
        "offline_access".to_string(),
        "User.Read".to_string(),
    ];
    cx.push(
        off,
        id,
        TimedAction::ConsentApp {
            user_id: vp.id.clone(),
            service_principal: sp,
            scopes: scopes.clone(),
        },
    );
    let perms = format!(
        "[] => [[Id: {}, ClientId: {sp_id}, PrincipalId: {}, ResourceId: {}, ConsentType: Principal, Scope:  {}, CreatedDateTime: , LastModifiedDateTime ]]; ",
        cx.rng.alnum(43),
        vp.id,
        cx.dir.graph_sp_id,
        scopes.join(" ")
    );
    let mods = vec![
        modified("ConsentContext.IsAdminConsent", Value::Null, json!("False")),
        modified("ConsentContext.IsAppOnly", Value::Null, json!("False")),
        modified("ConsentContext.OnBehalfOfAll", Value::Null, json!("False")),
        modified(
            "ConsentContext.Tags",
            Value::Null,
            json!("WindowsAzureActiveDirectoryIntegratedApp"),
        ),
        modified("ConsentAction.Permissions", Value::Null, json!(perms)),
        modified("TargetId.ServicePrincipalNames", Value::Null, json!(app_id)),
    ];
    let target = json!({"id": sp_id, "displayName": app_name, "type": "ServicePrincipal", "userPrincipalName": null, "groupType": null, "modifiedProperties": mods});
    let da = directory_audit(&mut cx.rng, when, "Consent to application", "ApplicationManagement", "Core Directory", "Assign", user_actor(vp, Some(&imap_ip)), vec![target], &[("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".into()), ("AppId", app_id.clone())]);
    cx.audit(off + 5, id, TimedAction::DirectoryAudit { audit: da });
    let ual_mods: Vec<Value> = [
        ("ConsentContext.IsAdminConsent", "False"),
        ("ConsentContext.IsAppOnly", "False"),
        ("ConsentContext.OnBehalfOfAll", "False"),
        ("ConsentAction.Permissions", perms.as_str()),
        ("TargetId.ServicePrincipalNames", app_id.as_str()),
    ]
    .iter()
    .map(|(k, v)| json!({"Name": k, "NewValue": v, "OldValue": ""}))
    .collect();
    let rec = ual(
        &mut cx.rng,
        c,
        when,
        8,
        "AzureActiveDirectory",
        "Consent to application.",
        &vp.upn,
        &vp.id,
        0,
        None,
        &format!("ServicePrincipal_{sp_id}"),
        "Success",
        json!({
            "AzureActiveDirectoryEventType": 1,
            "Actor": [{"ID": vp.upn, "Type": 5}, {"ID": format!("User_{}", vp.id), "Type": 2}],
            "Target": [{"ID": format!("ServicePrincipal_{sp_id}"), "Type": 2}, {"ID": sp_id, "Type": 2}, {"ID": app_name, "Type": 1}, {"ID": app_id, "Type": 2}],
            "ModifiedProperties": ual_mods,
            "ExtendedProperties": [{"Name": "extendedAuditEventCategory", "Value": "ServicePrincipal"}],
        }),
    );
    cx.audit(off + 6, id, TimedAction::UnifiedAudit { record: rec });

    let mut targets: Vec<usize> = sprayed.clone();
    targets.extend(phish_to.iter().copied());
    targets.sort_unstable();
    targets.dedup();
    ScenarioTruth {
        id: id.into(),
        kind: "account_takeover".into(),
        description: format!(
            "Password spray from {spray_ip} against {} users (victim's password right: 50076), legacy IMAP4 sign-in from a hosting ASN abroad, rule '.' forwarding payment mail to {fwd} and deleting it, attacker phone added as MFA, internal phishing to {} colleagues, consent to '{app_name}' with Mail.ReadWrite + offline_access.",
            sprayed.len(),
            phish_to.len()
        ),
        target_users: targets.iter().map(|&u| c.people[u].id.clone()).collect(),
        internet_message_ids: vec![msgid],
        start_offset_ms: start,
        artifacts: art(&[
            ("compromised_users", vec![vp.id.clone()]),
            (
                "sprayed_users",
                sprayed.iter().map(|&u| c.people[u].id.clone()).collect(),
            ),
            ("attacker_ips", vec![spray_ip, imap_ip]),
            ("inbox_rules", vec![".".to_string()]),
            ("forwarding_addresses", vec![fwd]),
            ("auth_method_ids", vec![method_id.to_string()]),
            ("auth_method_phone_numbers", vec![phone]),
            ("app_ids", vec![app_id]),
            ("service_principal_ids", vec![sp_id]),
            ("internal_phish_recipients", recips),
            ("urls", vec![url]),
        ]),
    }
}

/// MFA fatigue: repeated push denials, then an approval.
pub(super) fn mfa_fatigue(cx: &mut Ctx, pool: &[usize]) -> ScenarioTruth {
    let c = cx.c;
    let pk = |k: usize| pool[k % pool.len()];
    let id = "mfa-fatigue-1";
    let u = pk(2);
    let infra = foreign(InfraKind::Vpn, c.country.code);
    let place = infra[cx.rng.below(infra.len())];
    let ip = place.block.host(&mut cx.rng);
    let start = cx.at(50_000);
    let denials = 6u64;
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    for k in 0..=denials {
        let off = start + cx.at(1_000) * k;
        let approved = k == denials;
        let s = SignIn {
            when: cx.when(off),
            ip: ip.clone(),
            asn: place.block.asn,
            city: &place.city,
            country: place.country,
            app: identity::INTERACTIVE_APPS[1],
            device: None,
            user_agent: ua,
            error_code: if approved { 0 } else { 500121 },
            failure_reason: if approved {
                None
            } else {
                Some("Authentication failed during strong authentication request.")
            },
            additional: if approved {
                None
            } else {
                Some("MFA denied; user declined the authentication")
            },
            mfa: if approved {
                Mfa::Performed
            } else {
                Mfa::Denied
            },
            protocol: "none",
            risk: if approved { "medium" } else { "none" },
        };
        sign_in_event(cx, off, id, u, &s);
    }
    ScenarioTruth {
        id: id.into(),
        kind: "mfa_fatigue".into(),
        description: format!(
            "{denials} MFA push denials (500121) from a foreign VPN address, then an approval."
        ),
        target_users: cx.ids(&[u]),
        internet_message_ids: vec![],
        start_offset_ms: start,
        artifacts: art(&[
            ("attacker_ips", vec![ip]),
            ("compromised_users", cx.ids(&[u])),
        ]),
    }
}
