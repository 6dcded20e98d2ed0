//! Ward's own containment (issue 21, item 3): a password reset or an MFA method removed by
//! Ward's application is not attack evidence, in either log that records it. Recognised by
//! the application's id, never by the display name another application could take.

use serde_json::{Value, json};
use ward_identity::adapters::parse_value;
use ward_identity::{Detector, DetectorConfig, SignalHit};

const WARD: &str = "6f1c2d3e-0000-4000-8000-00000000ward";

fn detector() -> Detector {
    Detector::new(DetectorConfig {
        own_app_ids: vec![WARD.to_string()],
        ..DetectorConfig::default()
    })
    .expect("detector")
}

fn entra(activity: &str, app_id: &str, modified: Value) -> Value {
    json!({"id": format!("{activity}-{app_id}"), "activityDateTime": "2026-12-01T10:00:00Z",
        "activityDisplayName": activity, "category": "UserManagement", "loggedByService": "Core Directory",
        "result": "success",
        "initiatedBy": {"user": null, "app": {"appId": app_id, "displayName": "Ward", "servicePrincipalId": null, "servicePrincipalName": null}},
        "targetResources": [{"id": "u1", "type": "User", "userPrincipalName": "bob@contoso.com", "modifiedProperties": modified}]})
}

fn unified(operation: &str, app_id: &str) -> Value {
    json!({"Id": format!("{operation}-{app_id}"), "RecordType": 8, "CreationTime": "2026-12-01T10:00:00",
        "Operation": operation, "OrganizationId": "t1", "UserType": 5, "UserKey": "Ward",
        "Workload": "AzureActiveDirectory", "ResultStatus": "Success", "ObjectId": "bob@contoso.com",
        "UserId": "Ward", "ModifiedProperties": [],
        "Actor": [{"ID": "Ward", "Type": 1}, {"ID": app_id, "Type": 2}],
        "Target": [{"ID": "bob@contoso.com", "Type": 5}]})
}

fn hits(raw: &Value) -> Vec<SignalHit> {
    let e = parse_value(raw).expect("parse");
    detector().observe(&e)
}

fn ids(h: &[SignalHit]) -> Vec<&str> {
    h.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn a_password_reset_by_ward_is_no_signal() {
    let other = "11111111-2222-4333-8444-555555555555";
    let ward = hits(&entra("Reset user password", WARD, json!([])));
    assert!(ward.is_empty(), "{:?}", ids(&ward));
    // The same record from another application named "Ward" is what an attacker's app does.
    let impostor = hits(&entra("Reset user password", other, json!([])));
    assert!(
        ids(&impostor).contains(&"identity.password_reset_by_other"),
        "{:?}",
        ids(&impostor)
    );
    let ward = hits(&unified("Reset user password.", WARD));
    assert!(ward.is_empty(), "{:?}", ids(&ward));
    let impostor = hits(&unified("Reset user password.", other));
    assert!(!impostor.is_empty());
}

#[test]
fn an_mfa_method_removed_by_ward_is_no_signal() {
    let modified = json!([{"displayName": "StrongAuthenticationMethod",
        "oldValue": "[{\"MethodType\":6},{\"MethodType\":7}]", "newValue": "[{\"MethodType\":6}]"}]);
    let ward = hits(&entra("Update user", WARD, modified.clone()));
    assert!(ward.is_empty(), "{:?}", ids(&ward));
    let other = hits(&entra(
        "Update user",
        "11111111-2222-4333-8444-555555555555",
        modified,
    ));
    assert!(
        ids(&other).contains(&"identity.mfa_method_removed"),
        "{:?}",
        ids(&other)
    );
}
