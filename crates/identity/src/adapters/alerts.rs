//! Alerts raised by other Microsoft products (Graph security `alert` v2, Defender XDR advanced
//! hunting `AlertInfo`) and Intune logs. Ward passes provider alerts through with their severity
//! so they join the user's incident.

use serde_json::Value;

use super::util::*;
use crate::event::{AlertInfo, Event, Kind, Modified, Source, Target};

/// Graph `security/alerts_v2` (or legacy `security/alerts`).
pub(crate) fn graph_alert(a: &Value, raw: Value) -> Event {
    let mut e = Event::new(Source::ProviderAlert, Kind::Alert, raw);
    e.time = get_time(
        a,
        &["firstActivityDateTime", "createdDateTime", "eventDateTime"],
    );
    e.id = get_str(a, &["id"]);
    e.alert = Some(AlertInfo {
        title: get_str(a, &["title"]).unwrap_or_default(),
        severity: get_str(a, &["severity"])
            .unwrap_or_default()
            .to_ascii_lowercase(),
        status: get_str(a, &["status"])
            .unwrap_or_default()
            .to_ascii_lowercase(),
        category: get_str(a, &["category"]).unwrap_or_default(),
        product: get_str(a, &["productName", "serviceSource", "vendorInformation"])
            .unwrap_or_default(),
    });
    e.operation = e.alert.as_ref().map(|a| a.title.clone());
    for ev in get(a, &["evidence"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(64)
    {
        if e.user.is_none() {
            e.user = lower(path_str(ev, &["userAccount", "userPrincipalName"]));
        }
        if e.ip.is_none() {
            e.ip = get_str(ev, &["ipAddress"]).and_then(|s| parse_ip(&s));
            if e.ip.is_some() {
                e.country = get_str(ev, &["countryLetterCode"]);
            }
        }
    }
    if e.user.is_none() {
        // Legacy alert shape.
        e.user = get(a, &["userStates"])
            .and_then(Value::as_array)
            .and_then(|u| u.first())
            .and_then(|u| lower(get_str(u, &["userPrincipalName"])));
    }
    e
}

/// Defender XDR advanced hunting records (`AdvancedHunting-*` categories).
pub(crate) fn defender(category: &str, p: &Value, outer: &Value, raw: Value) -> Event {
    let is_alert = category.eq_ignore_ascii_case("AdvancedHunting-AlertInfo");
    let mut e = Event::new(
        Source::ProviderAlert,
        if is_alert { Kind::Alert } else { Kind::Other },
        raw,
    );
    e.time = get_time(p, &["Timestamp"]).or_else(|| get_time(outer, &["time"]));
    e.id = get_str(p, &["AlertId"]);
    e.category = Some(category.to_string());
    e.user = lower(get_str(p, &["AccountUpn"]));
    if is_alert {
        e.alert = Some(AlertInfo {
            title: get_str(p, &["Title"]).unwrap_or_default(),
            severity: get_str(p, &["Severity"])
                .unwrap_or_default()
                .to_ascii_lowercase(),
            status: String::new(),
            category: get_str(p, &["Category"]).unwrap_or_default(),
            product: get_str(p, &["ServiceSource", "DetectionSource"]).unwrap_or_default(),
        });
        e.operation = e.alert.as_ref().map(|a| a.title.clone());
    }
    e
}

/// Intune `AuditLogs` (admin changes) and `OperationalLogs` (enrollment, compliance alerts).
pub(crate) fn intune(category: &str, p: &Value, outer: &Value, raw: Value) -> Event {
    let mut e = Event::new(Source::Intune, Kind::Device, raw);
    e.time = get_time(outer, &["time"]).or_else(|| get_time(p, &["ActivityDate", "StartTimeUtc"]));
    e.id = get_str(p, &["AuditEventId", "MessageId"]);
    e.category = Some(category.to_string());
    e.operation = get_str(outer, &["operationName"]);
    e.actor = lower(path_str(p, &["Actor", "UPN"]).or_else(|| get_str(outer, &["identity"])));
    e.user = e.actor.clone().or_else(|| {
        let name = get_str(p, &["UserName"])?;
        Some(match get_str(p, &["UPNSuffix"]) {
            Some(sfx) => format!("{name}@{sfx}").to_ascii_lowercase(),
            None => name.to_ascii_lowercase(),
        })
    });
    e.app_name = path_str(p, &["Actor", "ApplicationName"]);
    e.success = get_i64(p, &["ActivityResultStatus"])
        .map(|s| s == 1)
        .or_else(|| get_str(outer, &["resultType"]).map(|r| r.eq_ignore_ascii_case("success")));
    let names: Vec<String> = get(p, &["TargetDisplayNames"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(scalar_string)
        .collect();
    for (i, t) in get(p, &["Targets"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(64)
        .enumerate()
    {
        let mut target = Target {
            name: names.get(i).cloned(),
            ..Target::default()
        };
        for m in get(t, &["ModifiedProperties"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(512)
        {
            target.modified.push(Modified {
                name: get_str(m, &["Name"]).unwrap_or_default(),
                old: get_str(m, &["Old"]).unwrap_or_default(),
                new: get_str(m, &["New"]).unwrap_or_default(),
            });
        }
        e.targets.push(target);
    }
    if let Some(alert_type) = get_str(p, &["AlertType"]) {
        e.kind = Kind::Alert;
        e.alert = Some(AlertInfo {
            title: get_str(p, &["AlertDisplayName"]).unwrap_or_else(|| alert_type.clone()),
            severity: String::new(),
            status: String::new(),
            category: alert_type,
            product: "Microsoft Intune".into(),
        });
    }
    e
}
