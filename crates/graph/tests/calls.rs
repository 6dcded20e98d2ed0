//! Typed calls hit the right paths with the right verbs, and errors read well.

mod common;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use common::*;
use parking_lot::Mutex;
use serde_json::json;
use std::sync::Arc;
use ward_graph::models::MessageRule;
use ward_graph::{GraphError, SignInStream};

#[derive(Default)]
struct Rec {
    calls: Mutex<Vec<String>>,
}

async fn any(State(s): State<Arc<Rec>>, req: Request) -> Response {
    let m = req.method().to_string();
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let path = req.uri().path().to_owned();
    s.calls.lock().push(format!("{m} {pq}"));
    if m == "POST" {
        let cl = req
            .headers()
            .get("content-length")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        s.calls.lock().push(format!("content-length {cl:?}"));
    }
    if path.ends_with("/$value") {
        let accept = req
            .headers()
            .get("accept")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        s.calls.lock().push(format!("accept {accept:?}"));
    }
    match (m.as_str(), path.as_str()) {
        ("GET", "/v1.0/users/alice@contoso.com/messages/AAMk1/$value") => Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .body("From: a@b.c\r\nSubject: hi\r\n\r\nbody".into())
            .unwrap(),
        ("GET", "/v1.0/users/bob@contoso.com/messages") => {
            graph_error(403, "ErrorAccessDenied", "Access to OData is disabled.")
        }
        ("GET", "/v1.0/users/alice@contoso.com/messages/gone") => graph_error(
            404,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        ),
        ("GET", "/v1.0/users/alice@contoso.com/mailFolders/inbox/messageRules") => json_response(
            200,
            json!({"value": [
                {"id": "AQAAAJ5dZqA=", "displayName": "..", "sequence": 1, "isEnabled": true, "hasError": false, "isReadOnly": false,
                 "conditions": {"subjectContains": ["invoice"], "isEncrypted": false},
                 "actions": {"redirectTo": {"emailAddress": {"address": "x@evil.example"}}, "stopProcessingRules": true, "markAsRead": true}}
            ]}),
        ),
        ("GET", "/v1.0/users/alice@contoso.com/authentication/methods") => json_response(
            200,
            json!({"value": [
                {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneNumber": "+1 555", "phoneType": "mobile"},
                {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490"},
                {"@odata.type": "#microsoft.graph.someFutureMethod", "id": "f1"}
            ]}),
        ),
        ("POST", "/v1.0/users/alice@contoso.com/revokeSignInSessions") => json_response(
            200,
            json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", "value": true}),
        ),
        ("PATCH", "/v1.0/users/alice@contoso.com") | ("DELETE", _) => empty(204),
        ("GET", "/v1.0/auditLogs/signIns")
        | ("GET", "/beta/auditLogs/signIns")
        | ("GET", "/v1.0/auditLogs/directoryAudits") => json_response(200, json!({"value": []})),
        ("GET", "/v1.0/auditLogs/directoryAudits/x") => graph_error(
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        ),
        ("GET", "/v1.0/security/collaboration/analyzedEmails") => json_response(
            200,
            json!({"value": [{"id": "ae1", "networkMessageId": "n1", "recipientEmailAddress": "a@x.com", "latestDelivery": {"action": "delivered", "location": "inbox_folder"}}]}),
        ),
        ("GET", p) if p.starts_with("/v1.0/servicePrincipals(appId=") => json_response(
            200,
            json!({"id": "sp1", "appId": "00000003-0000-0000-c000-000000000000", "appRoles": [{"id": "e2a3a72e-5f79-4c64-b1b1-878b674786c9", "value": "Mail.ReadWrite"}]}),
        ),
        ("POST", "/v1.0/subscriptions") => json_response(
            201,
            json!({"id": "sub1", "resource": "/users/alice@contoso.com/messages", "clientState": "hush", "expirationDateTime": "2030-01-01T00:00:00Z"}),
        ),
        ("PATCH", "/v1.0/subscriptions/sub1") => json_response(
            200,
            json!({"id": "sub1", "expirationDateTime": "2030-01-02T00:00:00Z"}),
        ),
        ("POST", "/v1.0/users/alice@contoso.com/mailFolders") => graph_error(
            409,
            "ErrorFolderExists",
            "A folder with the specified name already exists.",
        ),
        _ => graph_error(400, "BadRequest", &format!("unexpected {m} {pq}")),
    }
}

async fn setup() -> (Arc<Rec>, ward_graph::GraphClient) {
    let s = Arc::new(Rec::default());
    let tok = TokenServer::new(AppCred::Secret(SECRET.into()));
    let base = start(tok, Router::new().fallback(any).with_state(s.clone())).await;
    (s, client(&base))
}

#[tokio::test]
async fn mail_calls_and_errors() {
    let (s, c) = setup().await;
    let mime = c.get_mime("alice@contoso.com", "AAMk1").await.unwrap();
    assert!(mime.starts_with(b"From: a@b.c"));

    let err = c
        .list_messages("bob@contoso.com", None, &Default::default())
        .await
        .unwrap_err();
    assert!(err.is_access_denied());
    let text = err.to_string();
    assert!(
        text.starts_with(
            "the app is not allowed to read mailbox bob@contoso.com (an application access policy"
        ),
        "{text}"
    );
    assert!(
        text.contains("ErrorAccessDenied") && text.contains("rid-123"),
        "{text}"
    );

    let err = c
        .get_message("alice@contoso.com", "gone", None)
        .await
        .unwrap_err();
    assert!(err.is_not_found() && !err.is_access_denied());
    assert!(
        err.to_string()
            .contains("mailbox alice@contoso.com was not found"),
        "{err}"
    );

    let err = c
        .create_mail_folder("alice@contoso.com", None, "Quarantine", true)
        .await
        .unwrap_err();
    assert!(err.is_conflict());

    let rules = c.list_inbox_rules("alice@contoso.com").await.unwrap();
    assert_eq!(
        rules[0].forwarding_targets()[0]
            .email_address
            .address
            .as_deref(),
        Some("x@evil.example")
    );
    let raw = rules[0].raw.clone().unwrap();
    assert_eq!(
        raw["conditions"]["isEncrypted"],
        json!(false),
        "full JSON kept for journaling"
    );
    let round: MessageRule =
        serde_json::from_value(serde_json::to_value(&rules[0]).unwrap()).unwrap();
    assert_eq!(round.extra.len(), rules[0].extra.len());
    c.delete_inbox_rule("alice@contoso.com", "AQAAAJ5dZqA=")
        .await
        .unwrap();
    c.delete_message("alice@contoso.com", "AAMk1")
        .await
        .unwrap();

    let calls = s.calls.lock().clone();
    assert!(
        calls.contains(
            &"DELETE /v1.0/users/alice@contoso.com/mailFolders/inbox/messageRules/AQAAAJ5dZqA="
                .to_owned()
        ),
        "{calls:?}"
    );
}

#[tokio::test]
async fn identity_calls_use_documented_paths() {
    let (s, c) = setup().await;
    let methods = c.list_auth_methods("alice@contoso.com").await.unwrap();
    assert_eq!(methods.len(), 3);
    c.delete_auth_method("alice@contoso.com", &methods[0])
        .await
        .unwrap();
    let err = c
        .delete_auth_method("alice@contoso.com", &methods[1])
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::Config(_)),
        "password method has no typed DELETE"
    );
    assert!(
        c.delete_auth_method("alice@contoso.com", &methods[2])
            .await
            .is_err(),
        "unknown kinds kept, not deleted"
    );
    assert!(
        c.revoke_sign_in_sessions("alice@contoso.com")
            .await
            .unwrap()
    );
    c.force_password_change("alice@contoso.com", None, false)
        .await
        .unwrap();

    let from = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    c.list_sign_ins(SignInStream::Interactive, from, None)
        .await
        .unwrap();
    c.list_sign_ins(
        SignInStream::NonInteractive,
        from,
        Some(from + chrono::Duration::hours(1)),
    )
    .await
    .unwrap();
    c.list_directory_audits(from, None).await.unwrap();
    let ae = c
        .list_analyzed_emails(
            from,
            from + chrono::Duration::days(1),
            Some("networkMessageId eq 'n1'"),
        )
        .await
        .unwrap();
    assert_eq!(
        ae[0].latest_delivery.as_ref().unwrap().location.as_deref(),
        Some("inbox_folder")
    );
    let sp = c
        .get_service_principal_by_app_id("00000003-0000-0000-c000-000000000000")
        .await
        .unwrap();
    assert_eq!(sp.app_roles[0].value.as_deref(), Some("Mail.ReadWrite"));

    let sub = ward_graph::models::Subscription {
        change_type: Some("created".into()),
        notification_url: Some("https://hooks.example/graph".into()),
        resource: Some("/users/alice@contoso.com/messages".into()),
        client_state: Some("hush".into()),
        ..Default::default()
    };
    let created = c.create_subscription(&sub).await.unwrap();
    assert!(
        !format!("{created:?}").contains("hush"),
        "clientState redacted in Debug"
    );
    c.renew_subscription("sub1", chrono::Utc::now() + chrono::Duration::days(2))
        .await
        .unwrap();

    let err = c
        .get_json_for_test("/v1.0/auditLogs/directoryAudits/x")
        .await
        .unwrap_err();
    assert!(err.is_license_required());
    assert!(
        err.to_string()
            .contains("needs a Microsoft Entra ID P1 or P2 licence"),
        "{err}"
    );

    let calls = s.calls.lock().clone();
    let has = |needle: &str| calls.iter().any(|c| c == needle);
    assert!(
        has(
            "DELETE /v1.0/users/alice@contoso.com/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7"
        ),
        "{calls:?}"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c.starts_with("DELETE") && c.contains("/authentication/methods/"))
    );
    assert!(has(
        "POST /v1.0/users/alice@contoso.com/revokeSignInSessions"
    ));
    assert!(
        has("GET /v1.0/auditLogs/signIns?$filter=createdDateTime%20ge%202025-01-01T00:00:00Z"),
        "{calls:?}"
    );
    assert!(calls.iter().any(|c| c.starts_with("GET /beta/auditLogs/signIns?$filter=createdDateTime%20ge%202025-01-01T00:00:00Z%20and%20createdDateTime%20le%202025-01-01T01:00:00Z%20and%20signInEventTypes/any(t:%20t%20eq%20%27nonInteractiveUser%27)")), "{calls:?}");
    assert!(has(
        "GET /v1.0/auditLogs/directoryAudits?$filter=activityDateTime%20ge%202025-01-01T00:00:00Z"
    ));
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("%20gt%20") || c.contains("%20lt%20"))
    );
    assert!(calls.iter().any(|c| c.starts_with("GET /v1.0/security/collaboration/analyzedEmails?startTime=2025-01-01T00:00:00Z&endTime=2025-01-02T00:00:00Z&$filter=networkMessageId%20eq%20%27n1%27")), "{calls:?}");
    assert!(
        calls.iter().any(|c| c.starts_with(
            "GET /v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"
        )),
        "{calls:?}"
    );
}

trait GetJson {
    async fn get_json_for_test(&self, path: &str) -> ward_graph::Result<serde_json::Value>;
}
impl GetJson for ward_graph::GraphClient {
    async fn get_json_for_test(&self, path: &str) -> ward_graph::Result<serde_json::Value> {
        let url = format!("{}{}", self.endpoints().graph, path);
        self.get_page::<serde_json::Value>(&url)
            .await
            .map(|p| serde_json::Value::Array(p.items))
    }
}

#[test]
fn change_notifications_verified_by_client_state() {
    let c: ward_graph::models::ChangeNotificationCollection = serde_json::from_value(json!({"value": [
        {"subscriptionId": "s", "clientState": "right", "changeType": "created", "resource": "Users/u/Messages/m1"},
        {"subscriptionId": "s", "clientState": "wrong", "changeType": "created", "resource": "Users/u/Messages/m2"},
        {"subscriptionId": "s", "changeType": "created", "resource": "Users/u/Messages/m3"}
    ]}))
    .unwrap();
    let ok: Vec<_> = c
        .verified("right")
        .map(|n| n.resource.clone().unwrap())
        .collect();
    assert_eq!(ok, vec!["Users/u/Messages/m1"]);
    let p = ward_graph::models::PasswordProfile {
        password: Some("Hunter2!".into()),
        ..Default::default()
    };
    assert!(!format!("{p:?}").contains("Hunter2"));
}
