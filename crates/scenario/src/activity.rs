//! Normal identity and admin activity before the anchor: interactive sign-ins from usual places
//! and devices (with the odd wrong password and a few travellers), directory audits and unified
//! audit records for routine administration, and benign consented apps.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::company::{Company, Person};
use crate::geo::{InfraKind, foreign};
use crate::identity::{
    self, Directory, INTERACTIVE_APPS, Mfa, SignIn, directory_audit, iso_z, modified, target_user,
    ual, ual_logon, user_actor,
};
use crate::mail::work_time;
use crate::rng::Rng;

pub(crate) struct Activity {
    pub sign_ins: Vec<Value>,
    pub directory_audits: Vec<Value>,
    pub unified_audit: Vec<Value>,
    pub last_sign_in: Vec<Option<DateTime<Utc>>>,
    pub applications: Vec<Value>,
    pub service_principals: Vec<Value>,
    pub app_role_assigned_to: BTreeMap<String, Vec<Value>>,
}

/// One normal interactive sign-in for `p` at `when` (from the office or home).
pub(crate) fn usual_sign_in(
    c: &Company,
    dir: &Directory,
    p: &Person,
    when: DateTime<Utc>,
    rng: &mut Rng,
    mfa: Mfa,
    error: Option<(i64, &str)>,
) -> Value {
    let office = &c.offices[p.office];
    let local_hour = (when + Duration::minutes(i64::from(office.city.tz_min)))
        .format("%H")
        .to_string()
        .parse::<u32>()
        .unwrap_or(12);
    let at_office = (8..18).contains(&local_hour) && rng.chance(0.7);
    let (ip, asn) = if at_office {
        (office.ip.clone(), office.block.asn)
    } else {
        (p.home_ip.clone(), p.home_block.asn)
    };
    let device = &p.devices[rng.below(p.devices.len())];
    let app = *rng.pick(INTERACTIVE_APPS);
    let s = SignIn {
        when,
        ip,
        asn,
        city: &office.city,
        country: c.country.code,
        app,
        device: Some(device),
        user_agent: device.user_agent,
        error_code: error.map(|e| e.0).unwrap_or(0),
        failure_reason: error.map(|e| e.1),
        additional: if error.is_some() {
            Some(
                "The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes.",
            )
        } else {
            None
        },
        mfa,
        protocol: "none",
        risk: "none",
    };
    identity::sign_in_json(p, &s, dir, rng)
}

pub(crate) fn generate(
    c: &Company,
    dir: &Directory,
    seed: u64,
    anchor: DateTime<Utc>,
    days: u32,
) -> Activity {
    let mut rng = Rng::new(seed, "activity");
    let mut sign_ins = Vec::new();
    let mut ual_recs = Vec::new();
    let mut last = vec![None; c.people.len()];
    for (i, p) in c.people.iter().enumerate() {
        let mut r = rng.fork("signins");
        if !p.enabled {
            continue;
        }
        let first_day = if p.created > anchor - Duration::days(i64::from(days)) {
            days.saturating_sub(((anchor - p.created).num_days() as u32).min(days))
        } else {
            0
        };
        for day in first_day..days {
            let weekday = (anchor - Duration::days(i64::from(days - day)))
                .format("%u")
                .to_string()
                .parse::<u32>()
                .unwrap_or(1);
            if weekday >= 6 && !r.chance(0.2) {
                continue;
            }
            let n = 1 + r.below(3);
            let mut first = true;
            for _ in 0..n {
                let when = work_time(&mut r, anchor, days, day, c.tz_min(p));
                if when <= p.created {
                    continue;
                }
                if r.chance(0.04) {
                    // Fat-fingered password, then success a few seconds later.
                    let si = usual_sign_in(
                        c,
                        dir,
                        p,
                        when - Duration::seconds(r.range(8, 40) as i64),
                        &mut r,
                        Mfa::None,
                        Some((
                            50126,
                            "Error validating credentials due to invalid username or password.",
                        )),
                    );
                    ual_recs.push(ual_logon(&mut r, c, p, &si, when - Duration::seconds(20)));
                    sign_ins.push(si);
                }
                let travel = p.traveller && day + 3 >= days && day + 1 < days;
                let si = if travel {
                    let places = foreign(InfraKind::Residential, c.country.code);
                    let place = places[i % places.len().max(1)];
                    let device = &p.devices[0];
                    let s = SignIn {
                        when,
                        ip: place.block.host(&mut r),
                        asn: place.block.asn,
                        city: &place.city,
                        country: place.country,
                        app: INTERACTIVE_APPS[0],
                        device: Some(device),
                        user_agent: device.user_agent,
                        error_code: 0,
                        failure_reason: None,
                        additional: None,
                        mfa: Mfa::Performed,
                        protocol: "none",
                        risk: "none",
                    };
                    identity::sign_in_json(p, &s, dir, &mut r)
                } else {
                    usual_sign_in(
                        c,
                        dir,
                        p,
                        when,
                        &mut r,
                        if first { Mfa::Performed } else { Mfa::Claim },
                        None,
                    )
                };
                first = false;
                ual_recs.push(ual_logon(&mut r, c, p, &si, when));
                last[i] = Some(last[i].map_or(when, |l: DateTime<Utc>| l.max(when)));
                sign_ins.push(si);
            }
        }
    }
    sign_ins.sort_by(|a, b| {
        a["createdDateTime"]
            .as_str()
            .cmp(&b["createdDateTime"].as_str())
    });

    let mut audits = Vec::new();
    let admin = &c.people[c.it_admin];
    let admin_ip = c.offices[admin.office].ip.clone();
    // New starters: account creation, license, security info registration.
    for p in c
        .people
        .iter()
        .filter(|p| p.created > anchor - Duration::days(i64::from(days)))
    {
        let t = p.created;
        audits.push(directory_audit(
            &mut rng,
            t,
            "Add user",
            "UserManagement",
            "Core Directory",
            "Add",
            user_actor(admin, Some(&admin_ip)),
            vec![target_user(
                p,
                vec![
                    modified("AccountEnabled", Value::Null, json!([true])),
                    modified("DisplayName", Value::Null, json!([p.display])),
                ],
            )],
            &[("UserType", "Member".to_string())],
        ));
        ual_recs.push(ual(&mut rng, c, t, 8, "AzureActiveDirectory", "Add user.", &admin.upn, &admin.id, 0, None, &p.upn, "Success", json!({"AzureActiveDirectoryEventType": 1, "Actor": [{"ID": admin.upn, "Type": 5}], "Target": [{"ID": p.upn, "Type": 5}], "ModifiedProperties": [], "ExtendedProperties": []})));
        let tr = t + Duration::hours(2);
        audits.push(directory_audit(
            &mut rng,
            tr,
            "User registered security info",
            "UserManagement",
            "Authentication Methods",
            "Add",
            user_actor(p, Some(&c.offices[p.office].ip)),
            vec![target_user(p, vec![])],
            &[],
        ));
    }
    // Routine admin: profile updates and the occasional password reset.
    let n_routine = 2 + c.people.len() / 15;
    for _ in 0..n_routine {
        let p = &c.people[rng.below(c.people.len())];
        let day = rng.below(days as usize) as u32;
        let t = work_time(&mut rng, anchor, days, day, c.tz_min(admin));
        if rng.chance(0.7) {
            audits.push(directory_audit(
                &mut rng,
                t,
                "Update user",
                "UserManagement",
                "Core Directory",
                "Update",
                user_actor(admin, Some(&admin_ip)),
                vec![target_user(
                    p,
                    vec![
                        modified("JobTitle", json!([p.job_title]), json!([p.job_title])),
                        modified(
                            "Included Updated Properties",
                            Value::Null,
                            Value::from("JobTitle"),
                        ),
                    ],
                )],
                &[("UserType", "Member".to_string())],
            ));
            ual_recs.push(ual(&mut rng, c, t, 8, "AzureActiveDirectory", "Update user.", &admin.upn, &admin.id, 0, None, &p.upn, "Success", json!({"AzureActiveDirectoryEventType": 1, "Actor": [{"ID": admin.upn, "Type": 5}], "Target": [{"ID": p.upn, "Type": 5}], "ModifiedProperties": [{"Name": "JobTitle", "NewValue": p.job_title, "OldValue": p.job_title}], "ExtendedProperties": []})));
        } else {
            audits.push(directory_audit(
                &mut rng,
                t,
                "Reset user password",
                "UserManagement",
                "Core Directory",
                "Update",
                user_actor(admin, Some(&admin_ip)),
                vec![target_user(p, vec![])],
                &[],
            ));
            ual_recs.push(ual(&mut rng, c, t, 8, "AzureActiveDirectory", "Reset user password.", &admin.upn, &admin.id, 0, None, &p.upn, "Success", json!({"AzureActiveDirectoryEventType": 1, "Actor": [{"ID": admin.upn, "Type": 5}], "Target": [{"ID": p.upn, "Type": 5}], "ModifiedProperties": [], "ExtendedProperties": []})));
        }
    }
    // Exchange admin: a benign Set-Mailbox (retention), the kind of record that must not alarm.
    {
        let p = &c.people[rng.below(c.people.len())];
        let t = work_time(
            &mut rng,
            anchor,
            days,
            days.saturating_sub(2),
            c.tz_min(admin),
        );
        ual_recs.push(ual(&mut rng, c, t, 1, "Exchange", "Set-Mailbox", &admin.upn, &admin.id, 2, Some(&admin_ip), &p.display, "True", json!({
            "Parameters": [{"Name": "Identity", "Value": p.upn}, {"Name": "RetainDeletedItemsFor", "Value": "30.00:00:00"}],
            "ExternalAccess": false,
            "OrganizationName": c.initial_domain,
            "OriginatingServer": c.exo.mailbox[0].split('.').next().unwrap_or(""),
            "AppId": "fb78d390-0c51-40cd-8e17-fdbfab77341b",
        })));
    }

    // Apps: Graph and Exchange Online, benign third-party SPs, one tenant-owned app.
    let mut sps = vec![identity::graph_sp(dir, c), identity::exo_sp(dir, c)];
    let mut assigned: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    // (name, verified publisher, reply URL, delegated scopes, Graph app roles)
    type BenignApp<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        &'a [&'a str],
        &'a [&'a str],
    );
    let benign: &[BenignApp] = &[
        (
            "Zoom",
            Some("Zoom Video Communications, Inc."),
            "https://zoom.us/signin/oauth",
            &["User.Read", "Calendars.ReadWrite", "offline_access"],
            &[],
        ),
        (
            "Adobe Acrobat Sign",
            Some("Adobe Inc."),
            "https://secure.echosign.com/public/oauth",
            &["User.Read", "Files.Read.All", "offline_access"],
            &[],
        ),
        (
            "DocuSign",
            Some("DocuSign Inc."),
            "https://account.docusign.com/oauth",
            &["User.Read", "openid", "email", "profile"],
            &[],
        ),
        (
            "CloudAlly Backup",
            Some("CloudAlly Ltd"),
            "https://app.cloudally.com/msauth",
            &[],
            &["Mail.ReadWrite", "User.Read.All"],
        ),
    ];
    for (k, (name, publisher, reply, _scopes, roles)) in benign.iter().enumerate() {
        let sp_id = rng.guid();
        let created = c.tenant_created + Duration::days(60 + 90 * k as i64);
        let owner = identity::name_guid(&format!("tenant:{name}"));
        sps.push(identity::third_party_sp(
            &sp_id,
            &identity::name_guid(&format!("app:{name}")),
            name,
            *publisher,
            &owner,
            created,
            reply,
        ));
        for r in roles.iter() {
            if let Some(perm) = identity::GRAPH_PERMS.iter().find(|p| p.0 == *r) {
                assigned
                    .entry(dir.graph_sp_id.clone())
                    .or_default()
                    .push(json!({
                        "id": rng.alnum(43),
                        "deletedDateTime": null,
                        "appRoleId": perm.2,
                        "createdDateTime": identity::iso(created),
                        "principalDisplayName": name,
                        "principalId": sp_id,
                        "principalType": "ServicePrincipal",
                        "resourceDisplayName": "Microsoft Graph",
                        "resourceId": dir.graph_sp_id,
                    }));
            }
        }
    }
    // Users assigned to Zoom (enterprise app assignment).
    let zoom_sp = sps[2]["id"].as_str().unwrap_or("").to_string();
    for p in c.people.iter().take(c.people.len().min(8)) {
        assigned.entry(zoom_sp.clone()).or_default().push(json!({
            "id": rng.alnum(43),
            "deletedDateTime": null,
            "appRoleId": "00000000-0000-0000-0000-000000000000",
            "createdDateTime": identity::iso(p.created),
            "principalDisplayName": p.display,
            "principalId": p.id,
            "principalType": "User",
            "resourceDisplayName": "Zoom",
            "resourceId": zoom_sp,
        }));
    }
    let own_app_id = rng.guid();
    let own_created = c.tenant_created + Duration::days(200);
    let applications = vec![json!({
        "id": rng.guid(),
        "appId": own_app_id,
        "displayName": "Expense Report Sync",
        "createdDateTime": iso_z(own_created),
        "signInAudience": "AzureADMyOrg",
        "publisherDomain": c.domain,
        "verifiedPublisher": {"displayName": null, "verifiedPublisherId": null, "addedDateTime": null},
        "requiredResourceAccess": [{"resourceAppId": identity::GRAPH_APP_ID, "resourceAccess": [{"id": "df021288-bdef-4463-88db-98f22de89214", "type": "Role"}]}],
        "passwordCredentials": [{"keyId": rng.guid(), "displayName": "prod", "startDateTime": iso_z(own_created), "endDateTime": iso_z(own_created + Duration::days(730)), "hint": "Qx7", "customKeyIdentifier": null, "secretText": null}],
        "keyCredentials": [],
        "web": {"redirectUris": [format!("https://expenses.{}/auth", c.domain)]},
    })];
    let own_sp_id = rng.guid();
    sps.push(identity::third_party_sp(
        &own_sp_id,
        &own_app_id,
        "Expense Report Sync",
        None,
        &c.tenant_id,
        own_created,
        &format!("https://expenses.{}/auth", c.domain),
    ));
    assigned.entry(dir.graph_sp_id.clone()).or_default().push(json!({
        "id": rng.alnum(43), "deletedDateTime": null, "appRoleId": "df021288-bdef-4463-88db-98f22de89214",
        "createdDateTime": identity::iso(own_created), "principalDisplayName": "Expense Report Sync", "principalId": own_sp_id,
        "principalType": "ServicePrincipal", "resourceDisplayName": "Microsoft Graph", "resourceId": dir.graph_sp_id,
    }));

    audits.sort_by(|a, b| {
        a["activityDateTime"]
            .as_str()
            .cmp(&b["activityDateTime"].as_str())
    });
    ual_recs.sort_by(|a, b| a["CreationTime"].as_str().cmp(&b["CreationTime"].as_str()));
    Activity {
        sign_ins,
        directory_audits: audits,
        unified_audit: ual_recs,
        last_sign_in: last,
        applications,
        service_principals: sps,
        app_role_assigned_to: assigned,
    }
}
