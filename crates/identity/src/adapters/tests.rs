//! Field extraction per source shape.

use serde_json::json;

use super::*;
use crate::event::Kind;

#[test]
fn entra_diagnostic_sign_in_lowercase_envelope() {
    let v = json!({"calleripaddress": "12.12.12.12", "category": "ServicePrincipalSignInLogs", "location": "IE",
        "operationname": "Sign-in activity", "resulttype": 7000215, "time": "2023-07-26 23:00:20.889",
        "properties": {"servicePrincipalName": "svc", "ipAddress": "12.12.12.12", "status": {"errorCode": 7000215},
            "location": {"countryOrRegion": "IE", "geoCoordinates": {"latitude": 51.3, "longitude": -5.2}}, "id": "abc"}});
    let e = parse_value(&v).expect("parse");
    assert_eq!(e.source, Source::EntraDiagnostic);
    assert_eq!(e.kind, Kind::ServicePrincipalSignIn);
    assert_eq!(e.user.as_deref(), Some("svc"));
    assert_eq!(e.success, Some(false));
    assert_eq!(e.country.as_deref(), Some("IE"));
    assert_eq!(e.coords, Some((51.3, -5.2)));
    assert!(e.time.is_some());
}

#[test]
fn management_activity_lowercase_exchange() {
    let v = json!({"clientip": "1.2.3.4:10736", "creationtime": "2025-07-07 09:11:11.000000000", "operation": "New-InboxRule",
        "organizationname": "simpsons.onmicrosoft.com", "parameters": [{"Name": "MoveToFolder", "Value": "MYFolder"}],
        "recordtype": 1, "resultstatus": "True", "userid": "Homer@Simpsons.com", "workload": "Exchange"});
    let e = parse_value(&v).expect("parse");
    assert_eq!(e.kind, Kind::Mailbox);
    assert_eq!(e.user.as_deref(), Some("homer@simpsons.com"));
    assert_eq!(e.ip, "1.2.3.4".parse().ok());
    assert_eq!(e.param("movetofolder"), Some("MYFolder"));
    assert_eq!(e.success, Some(true));
}

#[test]
fn purview_wrapper_and_envelopes() {
    let inner = json!({"CreationTime": "2025-01-01T00:00:00", "Operation": "Set-Mailbox", "RecordType": 1, "Workload": "Exchange", "UserId": "a@x.com"});
    let e = parse_value(&json!({"id": "1", "auditData": inner})).expect("purview");
    assert_eq!(e.operation.as_deref(), Some("Set-Mailbox"));
    let e = parse_value(&json!({"label": "ignored", "event": inner})).expect("envelope");
    assert_eq!(e.source, Source::ManagementActivity);
}

#[test]
fn graph_directory_audit_fields() {
    let v = json!({"id": "d1", "activityDateTime": "2025-01-01T00:00:00Z", "activityDisplayName": "Add member to role",
        "loggedByService": "Core Directory", "result": "success",
        "initiatedBy": {"app": {"displayName": "Automation"}},
        "targetResources": [{"type": "User", "userPrincipalName": "B@x.com"}, {"type": "Role", "displayName": "Global Administrator"}]});
    let e = parse_value(&v).expect("parse");
    assert_eq!(e.source, Source::GraphDirectoryAudit);
    assert_eq!(e.actor.as_deref(), Some("app:Automation"));
    assert_eq!(e.user.as_deref(), Some("b@x.com"));
    assert_eq!(e.targets.len(), 2);
}

#[test]
fn panther_enrichment_geolocation_wins() {
    let v = json!({"category": "SignInLogs", "operationName": "Sign-in activity", "time": "2025-01-01 00:00:00",
        "properties": {"userPrincipalName": "a@x.com", "location": {"countryOrRegion": "US"}, "status": {"errorCode": 0}},
        "p_enrichment": {"ipinfo_location": {"properties.ipAddress": {"country": "RU", "lat": "55.75", "lng": "37.61"}}}});
    let e = parse_value(&v).expect("parse");
    assert_eq!(e.country.as_deref(), Some("RU"));
    assert_eq!(e.coords, Some((55.75, 37.61)));
}
