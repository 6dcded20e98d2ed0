//! Our bodies carry every key of Microsoft's example bodies (graph-examples), with only
//! documented extras. Skips when the examples are not beside the repository.

mod common;

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use ward_sim::testkit::upn;

fn example(path: &str) -> Option<Value> {
    let beside_repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let roots = [
        std::env::var("WARD_SHARED_DIR")
            .ok()
            .map(std::path::PathBuf::from),
        Some(beside_repo),
        Some("/work/shared".into()),
    ];
    roots
        .into_iter()
        .flatten()
        .map(|r| r.join("graph-examples").join(path))
        .find_map(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| serde_json::from_str(&s).ok())
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every example key is present; extras must be in `allowed`.
fn same_shape(name: &str, ours: &Value, ex: &Value, allowed: &[&str]) {
    let (o, e) = (keys(ours), keys(ex));
    let missing: Vec<_> = e.difference(&o).collect();
    assert!(missing.is_empty(), "{name}: missing {missing:?}");
    let extra: Vec<_> = o
        .difference(&e)
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    assert!(extra.is_empty(), "{name}: unexpected {extra:?}");
}

#[tokio::test]
async fn bodies_match_microsofts_examples() {
    let Some(folder_ex) = example("mail/mailfolder-create.response.json") else {
        eprintln!("skipping: graph-examples not found");
        return;
    };
    let sim = common::start(common::fast(), 2, 2).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    let (_, f) = g
        .req(
            Method::POST,
            &format!("/users/{u}/mailFolders"),
            Some(json!({"displayName": "Clutter", "isHidden": true})),
            &[],
        )
        .await;
    same_shape("mailFolder", &f, &folder_ex, &["@odata.context"]);
    let rule_req = example("rules/messagerule-create.request.json").unwrap();
    let (st, r) = g
        .req(
            Method::POST,
            &format!("/users/{u}/mailFolders/inbox/messageRules"),
            Some(rule_req),
            &[],
        )
        .await;
    assert_eq!(st, 201);
    same_shape(
        "messageRule",
        &r,
        &example("rules/messagerule-create.response.json").unwrap(),
        &["@odata.context"],
    );
    assert_eq!(
        r["actions"]["forwardTo"][0]["emailAddress"]["address"],
        "AlexW@contoso.onmicrosoft.com"
    );
    let (_, list) = g.get(&format!("/users/{u}/messages?$top=1")).await;
    let id = list["value"][0]["id"].as_str().unwrap();
    let (_, moved) = g
        .req(
            Method::POST,
            &format!("/users/{u}/messages/{id}/move"),
            Some(json!({"destinationId": "deleteditems"})),
            &[],
        )
        .await;
    same_shape(
        "move",
        &moved,
        &example("mail/message-move.response.json").unwrap(),
        &["conversationIndex"],
    );
    let (_, user) = g.get(&format!("/users/{u}")).await;
    same_shape(
        "user",
        &user,
        &example("users/user-get.response.json").unwrap(),
        &["@odata.context"],
    );
    let (_, ul) = g.get("/users").await;
    same_shape(
        "user list",
        &ul,
        &example("users/user-list.response.json").unwrap(),
        &[],
    );
    let (_, ra) = g
        .get("/servicePrincipals/b0a3a2c4-1b1e-4f2e-9a38-2b7e0d6c1e01/appRoleAssignedTo")
        .await;
    same_shape(
        "appRoleAssignment",
        &ra["value"][0],
        &example("apps/serviceprincipal-list-approleassignedto.response.json").unwrap()["value"][0],
        &[],
    );
    let (_, rv) = g
        .req(
            Method::POST,
            &format!("/users/{u}/revokeSignInSessions"),
            None,
            &[],
        )
        .await;
    same_shape(
        "revoke",
        &rv,
        &example("users/user-revokesigninsessions.response.json").unwrap(),
        &[],
    );
    // token response
    let tok: Value = reqwest::Client::new()
        .post(sim.token_url())
        .form(&[
            ("client_id", ward_sim::testkit::CLIENT_ID),
            ("client_secret", ward_sim::testkit::CLIENT_SECRET),
            ("scope", ward_sim::testkit::GRAPH_SCOPE),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    same_shape(
        "token",
        &tok,
        &example("identity/v2-client-credentials-token.response.json").unwrap(),
        &["ext_expires_in"],
    );
    // subscription
    let sub_ex = example("subscriptions/subscription-create.response.json").unwrap();
    let s = sim.with_state_mut(|t| {
        let s = ward_sim::state::Subscription {
            id: "x".into(),
            resource: "users/x/messages".into(),
            user_id: "x".into(),
            folder_id: None,
            change_types: vec!["created".into()],
            notification_url: "http://127.0.0.1:1/".into(),
            lifecycle_url: None,
            client_state: None,
            expiration: chrono::Utc::now(),
            application_id: "a".into(),
            creator_id: "c".into(),
            latest_tls: "v1_2".into(),
            include_resource_data: false,
            immutable_ids: false,
        };
        let _ = t;
        s.to_json("http://sim")
    });
    same_shape(
        "subscription",
        &s,
        &sub_ex,
        &[
            "lifecycleNotificationUrl",
            "includeResourceData",
            "encryptionCertificate",
            "encryptionCertificateId",
            "notificationUrlAppId",
            "notificationQueryOptions",
        ],
    );
    sim.shutdown().await;
}
