//! Entra sign-ins and directory audits, whichever way they arrive: Graph JSON (v1.0 and beta),
//! the `properties` of a diagnostic-settings record, or a Log Analytics `SigninLogs` /
//! `AuditLogs` row (same names in PascalCase, nested objects as JSON strings).

use serde_json::Value;

use super::util::*;
use crate::event::{Event, Kind, Modified, Source, Target};

/// Fills a sign-in event from `p` (the sign-in object) and `outer` (the diagnostic envelope, or
/// `p` itself).
pub(crate) fn sign_in(source: Source, p: &Value, outer: &Value, raw: Value) -> Event {
    let category = get_str(outer, &["category"]).unwrap_or_default();
    let event_types = get_json(p, &["signInEventTypes"])
        .map(|v| v.to_string().to_ascii_lowercase())
        .unwrap_or_default();
    let upn = lower(get_str(p, &["userPrincipalName", "UserPrincipalName"]));
    let sp_name = get_str(p, &["servicePrincipalName", "ServicePrincipalName"])
        .or_else(|| get_str(p, &["servicePrincipalId", "ServicePrincipalId"]));
    let is_sp = category.contains("ServicePrincipal")
        || category.contains("ManagedIdentity")
        || event_types.contains("serviceprincipal")
        || event_types.contains("managedidentity")
        || (upn.is_none() && sp_name.is_some());
    let mut e = Event::new(
        source,
        if is_sp {
            Kind::ServicePrincipalSignIn
        } else {
            Kind::SignIn
        },
        raw,
    );
    e.time = get_time(p, &["createdDateTime", "CreatedDateTime", "TimeGenerated"])
        .or_else(|| get_time(outer, &["time", "TimeGenerated"]));
    e.id = get_str(p, &["id", "Id"]);
    e.user = if is_sp { lower(sp_name) } else { upn };
    e.ip = get_str(p, &["ipAddress", "IPAddress"])
        .or_else(|| get_str(outer, &["callerIpAddress"]))
        .and_then(|s| parse_ip(&s));
    let loc = get_json(
        p,
        &[
            "location",
            "LocationDetails_dynamic",
            "LocationDetails_string",
            "LocationDetails",
        ],
    );
    if let Some(loc) = loc.as_deref().filter(|l| l.is_object()) {
        e.country = get_str(loc, &["countryOrRegion"]);
        e.city = get_str(loc, &["city"]);
        let lat = path(loc, &["geoCoordinates", "latitude"]).and_then(Value::as_f64);
        let lon = path(loc, &["geoCoordinates", "longitude"]).and_then(Value::as_f64);
        if let (Some(lat), Some(lon)) = (lat, lon) {
            e.coords = Some((lat, lon));
        }
    }
    if e.country.is_none() {
        // Log Analytics' `Location` column and the diagnostic envelope's `location` hold the
        // country code as a plain string.
        e.country = get(p, &["Location"])
            .or_else(|| get(outer, &["location"]))
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    e.asn = get_i64(p, &["autonomousSystemNumber", "AutonomousSystemNumber"])
        .and_then(|n| u32::try_from(n).ok());
    e.app_id = get_str(p, &["appId", "AppId"]);
    e.app_name = get_str(p, &["appDisplayName", "AppDisplayName"]);
    e.resource = get_str(p, &["resourceDisplayName", "ResourceDisplayName"]);
    e.resource_id = get_str(p, &["resourceId", "ResourceIdentity"]).filter(|r| !r.starts_with('/'));
    e.client_app = get_str(p, &["clientAppUsed", "ClientAppUsed"]);
    e.protocol = get_str(p, &["authenticationProtocol", "AuthenticationProtocol"])
        .or_else(|| get_str(p, &["originalTransferMethod"]));
    e.user_agent = get_str(p, &["userAgent", "UserAgent"]);
    e.interactive = get_bool(p, &["isInteractive", "IsInteractive"]);
    e.session_id = get_str(p, &["sessionId", "SessionId"]);
    e.correlation_id = get_str(p, &["correlationId", "CorrelationId"]);
    e.auth_requirement = get_str(
        p,
        &["authenticationRequirement", "AuthenticationRequirement"],
    );
    e.risk_level_during = get_str(p, &["riskLevelDuringSignIn", "RiskLevelDuringSignIn"]);
    e.risk_level_aggregated = get_str(p, &["riskLevelAggregated", "RiskLevelAggregated"]);
    e.risk_state = get_str(p, &["riskState", "RiskState"]);
    e.risk_detail = get_str(p, &["riskDetail", "RiskDetail"]);
    for key in [
        "riskEventTypes_v2",
        "riskEventTypes",
        "RiskEventTypes_V2",
        "RiskEventTypes",
    ] {
        if let Some(list) = get_json(p, &[key]) {
            for t in list.as_array().into_iter().flatten().take(64) {
                if let Some(t) = t.as_str()
                    && !e.risk_event_types.iter().any(|x| x.eq_ignore_ascii_case(t))
                {
                    e.risk_event_types.push(t.to_string());
                }
            }
        }
    }
    if let Some(dev) = get_json(
        p,
        &[
            "deviceDetail",
            "DeviceDetail_dynamic",
            "DeviceDetail_string",
            "DeviceDetail",
        ],
    ) {
        e.device_id = get_str(&dev, &["deviceId"]);
        e.device_os = get_str(&dev, &["operatingSystem"]);
    }
    let status = get_json(p, &["status", "Status_dynamic", "Status_string", "Status"]);
    let status = status.as_deref().filter(|s| s.is_object());
    e.error_code = status
        .and_then(|s| get_i64(s, &["errorCode"]))
        .or_else(|| get_i64(p, &["ResultType", "errorCode"]))
        .or_else(|| get_i64(outer, &["resultType"]));
    e.failure_reason = status
        .and_then(|s| get_str(s, &["failureReason"]))
        .or_else(|| get_str(p, &["ResultDescription"]));
    if let Some(more) = status.and_then(|s| get_str(s, &["additionalDetails"])) {
        e.details.push(("statusDetail".into(), more));
    }
    e.success = match e.error_code {
        Some(code) => Some(code == 0),
        None => get_str(outer, &["resultType", "resultSignature"]).map(|r| {
            let r = r.to_ascii_lowercase();
            r == "success" || r == "0"
        }),
    };
    if let Some(steps) = get_json(p, &["authenticationDetails", "AuthenticationDetails"]) {
        for step in steps.as_array().into_iter().flatten().take(32) {
            if let Some(d) = get_str(step, &["authenticationStepResultDetail"]) {
                e.details.push(("authenticationStepResultDetail".into(), d));
            }
            if let Some(m) = get_str(step, &["authenticationMethod"]) {
                e.details.push(("authenticationMethod".into(), m));
            }
        }
    }
    if let Some(t) = get_str(p, &["clientCredentialType"]) {
        e.details.push(("clientCredentialType".into(), t));
    }
    e.category = Some(category).filter(|c| !c.is_empty());
    e
}

/// Fills a directory-audit event from `p` (the directoryAudit object) and `outer`.
pub(crate) fn directory_audit(source: Source, p: &Value, outer: &Value, raw: Value) -> Event {
    let mut e = Event::new(source, Kind::DirectoryAudit, raw);
    e.time = get_time(p, &["activityDateTime", "ActivityDateTime"])
        .or_else(|| get_time(outer, &["time", "TimeGenerated"]));
    e.id = get_str(p, &["id", "Id"]);
    e.operation = get_str(p, &["activityDisplayName", "ActivityDisplayName"])
        .or_else(|| get_str(p, &["operationName", "OperationName"]))
        .or_else(|| get_str(outer, &["operationName"]))
        .map(|s| clean_operation(&s));
    e.category = get_str(p, &["category", "Category"]).or_else(|| get_str(outer, &["category"]));
    e.workload = get_str(p, &["loggedByService", "LoggedByService"]);
    if let Some(t) = get_str(p, &["operationType", "OperationType"]) {
        e.details.push(("operationType".into(), t));
    }
    e.success = get_str(p, &["result", "Result"])
        .or_else(|| get_str(outer, &["result", "resultType"]))
        .map(|r| {
            let r = r.to_ascii_lowercase();
            r == "success" || r == "0"
        });
    e.correlation_id = get_str(p, &["correlationId", "CorrelationId"]);
    if let Some(init) = get_json(p, &["initiatedBy", "InitiatedBy"]) {
        if let Some(u) = get(&init, &["user"]) {
            e.actor = lower(get_str(u, &["userPrincipalName"]));
            e.ip = get_str(u, &["ipAddress"]).and_then(|s| parse_ip(&s));
        }
        if e.actor.is_none()
            && let Some(a) = get(&init, &["app"])
        {
            e.actor = get_str(a, &["displayName", "servicePrincipalName", "appId"])
                .map(|n| format!("app:{n}"));
        }
        if let Some(a) = get(&init, &["app"]) {
            for k in ["appId", "servicePrincipalId"] {
                if let Some(id) = get_str(a, &[k]) {
                    e.actor_app_ids.push(id.to_ascii_lowercase());
                }
            }
        }
    }
    if e.ip.is_none() {
        e.ip = get_str(outer, &["callerIpAddress", "ipAddress"]).and_then(|s| parse_ip(&s));
    }
    e.user_agent = get_str(p, &["userAgent"]);
    if let Some(targets) = get_json(p, &["targetResources", "TargetResources"]) {
        for t in targets.as_array().into_iter().flatten().take(64) {
            let mut target = Target {
                id: get_str(t, &["id"]),
                name: get_str(t, &["displayName"]),
                upn: lower(get_str(t, &["userPrincipalName"])),
                kind: get_str(t, &["type"]),
                modified: Vec::new(),
            };
            for m in get(t, &["modifiedProperties"])
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .take(256)
            {
                target.modified.push(Modified {
                    name: get_str(m, &["displayName"]).unwrap_or_default(),
                    old: get(m, &["oldValue"])
                        .and_then(scalar_string)
                        .unwrap_or_default(),
                    new: get(m, &["newValue"])
                        .and_then(scalar_string)
                        .unwrap_or_default(),
                });
            }
            e.targets.push(target);
        }
    }
    e.details.extend(name_value_list(get_json(
        p,
        &["additionalDetails", "AdditionalDetails"],
    )));
    e.user = e
        .targets
        .iter()
        .find(|t| {
            t.kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("user"))
                && t.upn.is_some()
        })
        .and_then(|t| t.upn.clone())
        .or_else(|| e.actor.clone());
    e
}
