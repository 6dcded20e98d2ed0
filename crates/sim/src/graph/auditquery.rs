//! Purview audit log query API (graph-api.md §7): an asynchronous job over the same unified
//! audit store the Management Activity API serves, so both APIs agree.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::GReq;
use super::paging::{PageSpec, context, page};
use super::resp::GResp;
use crate::server::Sim;
use crate::util::{graph_time, parse_time};

/// `auditLogRecordType` names and the Management API `RecordType` numbers they stand for.
const RECORD_TYPES: [(&str, i64); 16] = [
    ("exchangeAdmin", 1),
    ("exchangeItem", 2),
    ("exchangeItemGroup", 3),
    ("sharePoint", 4),
    ("sharePointFileOperation", 6),
    ("azureActiveDirectory", 8),
    ("azureActiveDirectoryAccountLogon", 9),
    ("dataCenterSecurityCmdlet", 10),
    ("complianceDLPSharePoint", 11),
    ("azureActiveDirectoryStsLogon", 15),
    ("securityComplianceCenterEOPCmdlet", 18),
    ("threatIntelligence", 28),
    ("mailSubmission", 29),
    ("threatIntelligenceUrl", 41),
    ("exchangeItemAggregated", 50),
    ("quarantine", 65),
];

const MAX_OPEN_QUERIES: usize = 50;

fn status_of(sim: &Sim, created: DateTime<Utc>) -> &'static str {
    let delay = TimeDelta::from_std(sim.cfg.audit_query_delay).unwrap_or_default();
    let age = Utc::now() - created;
    if age >= delay {
        "succeeded"
    } else if age >= delay / 5 {
        "running"
    } else {
        "notStarted"
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn view(sim: &Sim, g: &GReq, q: &Value, created: DateTime<Utc>, entity: bool) -> Value {
    let mut v = q.clone();
    v["status"] = json!(status_of(sim, created));
    if entity {
        v["@odata.context"] = json!(context(&sim.base, g, "security/auditLog/queries/$entity"));
    }
    v
}

pub fn handle(sim: &Arc<Sim>, g: &GReq) -> GResp {
    if g.lc(2) != "queries" {
        return GResp::unknown_segment(g.segs.get(2).map(String::as_str).unwrap_or(""));
    }
    let allowed = g
        .claims
        .roles
        .iter()
        .any(|r| r.starts_with("AuditLogsQuery") && r.ends_with(".Read.All"));
    if !allowed {
        return GResp::error(
            StatusCode::FORBIDDEN,
            "accessDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    let id = g.segs.get(3).cloned();
    match (&g.method, id.as_deref(), g.lc(4).as_str()) {
        (&Method::POST, None, _) => create(sim, g),
        (&Method::GET, None, _) => {
            let t = sim.state.lock();
            let items: Vec<Value> = t
                .audit_queries
                .values()
                .map(|(q, c)| view(sim, g, q, *c, false))
                .collect();
            drop(t);
            page(
                &sim.base,
                g,
                items,
                "security/auditLog/queries",
                PageSpec {
                    default: 100,
                    max: 1000,
                    use_skip: false,
                    reject_over_max: false,
                    cap: None,
                },
                Map::new(),
            )
        }
        (&Method::GET, Some(id), "") => match sim.state.lock().audit_queries.get(id) {
            Some((q, c)) => GResp::ok(view(sim, g, q, *c, true)),
            None => GResp::error(
                StatusCode::NOT_FOUND,
                "itemNotFound",
                "The requested audit log query was not found.",
            ),
        },
        (&Method::GET, Some(id), "records") => records(sim, g, id),
        _ => GResp::method_not_allowed(),
    }
}

fn create(sim: &Arc<Sim>, g: &GReq) -> GResp {
    let Some(b) = g.body.as_ref().filter(|b| b.is_object()) else {
        return GResp::bad_request("Empty Payload. JSON content expected.");
    };
    let (Some(start), Some(end)) = (
        b["filterStartDateTime"].as_str().and_then(parse_time),
        b["filterEndDateTime"].as_str().and_then(parse_time),
    ) else {
        return GResp::bad_request("filterStartDateTime and filterEndDateTime are required.");
    };
    if end <= start {
        return GResp::bad_request("filterEndDateTime must be after filterStartDateTime.");
    }
    let types = strings(&b["recordTypeFilters"]);
    if let Some(bad) = types
        .iter()
        .find(|t| !RECORD_TYPES.iter().any(|(n, _)| n == t))
    {
        return GResp::bad_request(format!(
            "The request is invalid: the value '{bad}' is not valid for recordTypeFilters."
        ));
    }
    let mut t = sim.state.lock();
    let open = t
        .audit_queries
        .values()
        .filter(|(_, c)| status_of(sim, *c) != "succeeded")
        .count();
    if open >= MAX_OPEN_QUERIES {
        return GResp::too_many(Some(60.0));
    }
    let id = crate::util::new_guid();
    let mut services = strings(&b["serviceFilters"]);
    if let Some(s) = b["serviceFilter"].as_str() {
        services.push(s.to_string());
    }
    let q = json!({
        "@odata.type": "#microsoft.graph.security.auditLogQuery",
        "id": id,
        "displayName": b["displayName"],
        "filterStartDateTime": graph_time(start),
        "filterEndDateTime": graph_time(end),
        "recordTypeFilters": types,
        "keywordFilter": b["keywordFilter"].as_str().unwrap_or_default(),
        "serviceFilters": services,
        "operationFilters": strings(&b["operationFilters"]),
        "userPrincipalNameFilters": strings(&b["userPrincipalNameFilters"]),
        "ipAddressFilters": strings(&b["ipAddressFilters"]),
        "objectIdFilters": strings(&b["objectIdFilters"]),
        "administrativeUnitIdFilters": strings(&b["administrativeUnitIdFilters"]),
        "status": "notStarted",
    });
    let now = Utc::now();
    t.audit_queries.insert(id, (q.clone(), now));
    drop(t);
    let mut v = view(sim, g, &q, now, true);
    v["status"] = json!("notStarted");
    GResp::created(v)
}

fn records(sim: &Arc<Sim>, g: &GReq, id: &str) -> GResp {
    let t = sim.state.lock();
    let Some((q, created)) = t.audit_queries.get(id).cloned() else {
        return GResp::error(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            "The requested audit log query was not found.",
        );
    };
    if status_of(sim, created) != "succeeded" {
        return GResp::error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The audit log query has not completed; poll its status until it has succeeded.",
        );
    }
    let start = q["filterStartDateTime"]
        .as_str()
        .and_then(parse_time)
        .unwrap_or_default();
    let end = q["filterEndDateTime"]
        .as_str()
        .and_then(parse_time)
        .unwrap_or_default();
    let types: Vec<i64> = strings(&q["recordTypeFilters"])
        .iter()
        .filter_map(|n| RECORD_TYPES.iter().find(|(x, _)| x == n).map(|(_, k)| *k))
        .collect();
    let ops: Vec<String> = strings(&q["operationFilters"])
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let upns: Vec<String> = strings(&q["userPrincipalNameFilters"])
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let ips = strings(&q["ipAddressFilters"]);
    let objs = strings(&q["objectIdFilters"]);
    let services: Vec<String> = strings(&q["serviceFilters"])
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let kw = q["keywordFilter"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    let items: Vec<Value> = t
        .unified
        .iter()
        .filter(|r| r.available_at <= created + TimeDelta::from_std(sim.cfg.audit_query_delay).unwrap_or_default())
        .map(|r| &r.record)
        .filter(|r| r["CreationTime"].as_str().and_then(parse_time).is_some_and(|c| c >= start && c <= end))
        .filter(|r| types.is_empty() || r["RecordType"].as_i64().is_some_and(|k| types.contains(&k)))
        .filter(|r| ops.is_empty() || r["Operation"].as_str().is_some_and(|o| ops.contains(&o.to_lowercase())))
        .filter(|r| upns.is_empty() || r["UserId"].as_str().is_some_and(|u| upns.contains(&u.to_lowercase())))
        .filter(|r| ips.is_empty() || r["ClientIP"].as_str().is_some_and(|c| ips.iter().any(|ip| c.starts_with(ip.as_str()))))
        .filter(|r| objs.is_empty() || r["ObjectId"].as_str().is_some_and(|o| objs.iter().any(|x| x == o)))
        .filter(|r| services.is_empty() || r["Workload"].as_str().is_some_and(|w| services.contains(&w.to_lowercase())))
        .filter(|r| kw.is_empty() || r.to_string().to_lowercase().contains(&kw))
        .map(|r| {
            let rt = r["RecordType"].as_i64().unwrap_or(0);
            json!({
                "id": r["Id"],
                "createdDateTime": r["CreationTime"].as_str().and_then(parse_time).map(graph_time),
                "auditLogRecordType": RECORD_TYPES.iter().find(|(_, k)| *k == rt).map(|(n, _)| *n).unwrap_or("unknownFutureValue"),
                "operation": r["Operation"],
                "organizationId": r["OrganizationId"],
                "userType": match r["UserType"].as_i64() { Some(2) => "admin", Some(4) => "system", Some(5) => "application", Some(6) => "servicePrincipal", _ => "regular" },
                "userId": r["UserKey"],
                "userPrincipalName": r["UserId"],
                "service": r["Workload"],
                "objectId": r["ObjectId"],
                "clientIp": r["ClientIP"],
                "administrativeUnits": [],
                "auditData": r,
            })
        })
        .collect();
    drop(t);
    page(
        &sim.base,
        g,
        items,
        &format!("security/auditLog/queries('{id}')/records"),
        PageSpec {
            default: 150,
            max: 1000,
            use_skip: false,
            reject_over_max: false,
            cap: None,
        },
        Map::new(),
    )
}
