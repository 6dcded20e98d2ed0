//! OData the way Microsoft's service speaks it, beyond the documentation's examples: action
//! parameters bound case-insensitively (the SDKs send `DestinationId`), `$select` of a property
//! the entity lacks, `$top` out of range, the selection in `@odata.context`,
//! `Preference-Applied` for `odata.maxpagesize`, and HTTPS-only notification URLs.

mod common;

use reqwest::Method;
use serde_json::{Value, json};
use ward_sim::testkit::{upn, user_id};

/// GET with extra headers, answering status, headers and JSON body.
async fn get_with(
    g: &common::G,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = g.http.get(g.url(path)).bearer_auth(&g.token);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let resp = r.send().await.expect("request");
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    let v = resp.json().await.unwrap_or(Value::Null);
    (status, h, v)
}

fn applied(h: &reqwest::header::HeaderMap) -> Vec<String> {
    h.get_all("preference-applied")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .collect()
}

async fn first_message_id(g: &common::G) -> String {
    let (st, v) = g
        .get(&format!("/users/{}/messages?$top=1&$select=id", upn(0)))
        .await;
    assert_eq!(st, 200, "{v}");
    v["value"][0]["id"].as_str().expect("a message").to_string()
}

#[tokio::test]
async fn move_and_copy_bind_destination_id_case_insensitively() {
    let sim = common::start(common::fast(), 1, 3).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    // msgraph-sdk (Python) sends the $metadata spelling.
    let id = first_message_id(&g).await;
    let (st, moved) = g
        .req(
            Method::POST,
            &format!("/users/{u}/messages/{id}/move"),
            Some(json!({"DestinationId": "junkemail"})),
            &[],
        )
        .await;
    assert_eq!(st, 201, "{moved}");
    let junk = sim
        .messages(&u)
        .into_iter()
        .filter(|m| m.folder == "junkemail")
        .count();
    assert_eq!(junk, 1);
    let moved_id = moved["id"].as_str().unwrap();
    let (st, copied) = g
        .req(
            Method::POST,
            &format!("/users/{u}/messages/{moved_id}/copy"),
            Some(json!({"DESTINATIONID": "inbox"})),
            &[],
        )
        .await;
    assert_eq!(st, 201, "{copied}");
    // The documented spelling still works, and a missing parameter is still a 400.
    let (st, v) = g
        .req(
            Method::POST,
            &format!("/users/{u}/messages/{moved_id}/move"),
            Some(json!({"destinationId": "inbox"})),
            &[],
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let moved_back = v["id"].as_str().unwrap();
    let (st, v) = g
        .req(
            Method::POST,
            &format!("/users/{u}/messages/{moved_back}/move"),
            Some(json!({"folder": "inbox"})),
            &[],
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "ErrorInvalidParameter");
    sim.shutdown().await;
}

#[tokio::test]
async fn select_of_a_property_a_message_lacks_is_400() {
    let sim = common::start(common::fast(), 1, 3).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    let id = first_message_id(&g).await;
    let want = "Could not find a property named 'meetingMessageType' on type 'Microsoft.OutlookServices.Message'.";
    for path in [
        format!("/users/{u}/messages?$select=subject,meetingMessageType"),
        format!("/users/{u}/messages/{id}?$select=subject,meetingMessageType"),
        format!("/users/{u}/mailFolders/inbox/messages?$select=subject,meetingMessageType"),
        format!(
            "/users/{u}/mailFolders('inbox')/messages/delta()?$select=subject,meetingMessageType"
        ),
    ] {
        let (st, v) = g.get(&path).await;
        assert_eq!(st, 400, "{path}: {v}");
        assert_eq!(v["error"]["code"], "RequestBroker--ParseUri", "{path}");
        assert_eq!(v["error"]["message"], want, "{path}");
    }
    // Names match case-insensitively; relationships are selectable.
    for path in [
        format!("/users/{u}/messages?$select=Subject,FROM,internetmessageid"),
        format!("/users/{u}/messages/{id}?$select=Subject,attachments"),
        format!("/users/{u}/mailFolders/inbox/messages/delta?$select=SUBJECT"),
    ] {
        let (st, v) = g.get(&path).await;
        assert_eq!(st, 200, "{path}: {v}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn select_of_a_property_a_user_lacks_is_400() {
    let sim = common::start(common::fast(), 2, 0).await;
    let g = common::G::new(&sim).await;
    let want = "Could not find a property named 'favouriteColour' on type 'Microsoft.DirectoryServices.User'.";
    for path in [
        "/users?$select=id,favouriteColour".to_string(),
        format!("/users/{}?$select=id,favouriteColour", upn(0)),
        "/users/delta?$select=id,favouriteColour".to_string(),
        "/users/delta()?$select=favouriteColour&$deltatoken=latest".to_string(),
    ] {
        let (st, v) = g.get(&path).await;
        assert_eq!(st, 400, "{path}: {v}");
        assert_eq!(v["error"]["code"], "Request_BadRequest", "{path}");
        assert_eq!(v["error"]["message"], want, "{path}");
    }
    // `manager` is selectable on users delta (manager@delta), not as a user property.
    let (st, v) = g
        .get("/users/delta?$select=id,displayName,userPrincipalName,accountEnabled,manager")
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = g.get("/users?$select=id,manager").await;
    assert_eq!(st, 400, "{v}");
    let (st, v) = g
        .get("/users?$select=ID,DisplayName,signInSessionsValidFromDateTime,onPremisesImmutableId")
        .await;
    assert_eq!(st, 200, "{v}");
    sim.shutdown().await;
}

/// The string constant `name` in a Rust source file (`const NAME: &str = "…";`).
fn rust_const(src: &str, name: &str) -> String {
    let at = src
        .find(&format!("const {name}: &str ="))
        .unwrap_or_else(|| panic!("const {name} not found"));
    let rest = &src[at..];
    let open = rest.find('"').unwrap() + 1;
    let close = open + rest[open..].find('"').unwrap();
    rest[open..close].to_string()
}

#[tokio::test]
async fn every_select_ward_sends_is_known() {
    let sim = common::start(common::fast(), 1, 2).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    let id = first_message_id(&g).await;
    // Read from Ward's sources so a new property there shows up here.
    let user_select = rust_const(
        include_str!("../../graph/src/api/directory.rs"),
        "USER_SELECT",
    );
    let delta_select = rust_const(include_str!("../../ingest/src/mail.rs"), "SELECT");
    for path in [
        format!("/users?$select={user_select}&$top=999"),
        format!("/users/{u}?$select={user_select}"),
        format!("/users/delta?$select={user_select}"),
        format!("/users/delta?$select={user_select}&$deltatoken=latest"),
        format!("/users/{u}?$select=signInActivity"),
        format!("/users/{u}/mailFolders/inbox/messages/delta?$select={delta_select}"),
        // crates/graph/src/api/mail.rs find_by_internet_message_id
        format!(
            "/users/{u}/messages?$select=id,parentFolderId,subject,internetMessageId,receivedDateTime"
        ),
        // crates/graph/src/models/batch.rs, crates/respond/src/ops/mail.rs
        format!("/users/{u}/messages?$select=id,parentFolderId,internetMessageId"),
        // crates/graph/src/api/mail.rs get_message docs
        format!("/users/{u}/messages/{id}?$select=internetMessageHeaders,subject,from"),
    ] {
        let (st, v) = g.get(&path).await;
        assert_eq!(st, 200, "{path}: {v}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn message_top_outside_1_to_1000_is_400() {
    let sim = common::start(common::fast(), 1, 2).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    for top in ["0", "1001", "5000"] {
        for path in [
            format!("/users/{u}/messages?$top={top}"),
            format!("/users/{u}/mailFolders/inbox/messages?$top={top}"),
        ] {
            let (st, v) = g.get(&path).await;
            assert_eq!(st, 400, "{path}: {v}");
            assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Must be between 1 and 1000 inclusive"),
                "{v}"
            );
        }
    }
    let (st, v) = g.get(&format!("/users/{u}/messages?$top=1000")).await;
    assert_eq!(st, 200, "{v}");
    // Directory collections keep their own limit (999 → 400 above).
    let (st, _) = g.get("/users?$top=1000").await;
    assert_eq!(st, 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn odata_context_carries_the_selection() {
    let sim = common::start(common::fast(), 1, 2).await;
    let g = common::G::new(&sim).await;
    let (u, uid) = (upn(0), user_id(0));
    let id = first_message_id(&g).await;
    let meta = format!("{}/v1.0/$metadata#", sim.base_url());
    let (_, v) = g
        .get(&format!("/users/{u}/messages/{id}?$select=subject,from"))
        .await;
    assert_eq!(
        v["@odata.context"],
        format!("{meta}users('{uid}')/messages(subject,from)/$entity")
    );
    let (_, v) = g
        .get(&format!("/users/{u}/messages?$select=subject,from"))
        .await;
    assert_eq!(
        v["@odata.context"],
        format!("{meta}users('{uid}')/messages(subject,from)")
    );
    let (_, v) = g.get(&format!("/users/{u}/messages/{id}")).await;
    assert_eq!(
        v["@odata.context"],
        format!("{meta}users('{uid}')/messages/$entity")
    );
    let (_, v) = g.get("/users?$select=id,displayName").await;
    assert_eq!(v["@odata.context"], format!("{meta}users(id,displayName)"));
    let (_, v) = g.get(&format!("/users/{u}?$select=id, displayName")).await;
    assert_eq!(
        v["@odata.context"],
        format!("{meta}users(id,displayName)/$entity")
    );
    let (_, v) = g.get(&format!("/users/{u}")).await;
    assert_eq!(v["@odata.context"], format!("{meta}users/$entity"));
    sim.shutdown().await;
}

#[tokio::test]
async fn honoured_maxpagesize_is_echoed_in_preference_applied() {
    let sim = common::start(common::fast(), 2, 5).await;
    let g = common::G::new(&sim).await;
    let u = upn(0);
    let (st, h, v) = get_with(
        &g,
        &format!("/users/{u}/messages"),
        &[("Prefer", "odata.maxpagesize=2")],
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["value"].as_array().unwrap().len(), 2);
    assert_eq!(applied(&h), ["odata.maxpagesize=2"]);
    // With immutable ids too: both preferences in the one header.
    let (_, h, _) = get_with(
        &g,
        &format!("/users/{u}/mailFolders/inbox/messages"),
        &[
            ("Prefer", "odata.maxpagesize=2"),
            ("Prefer", "IdType=\"ImmutableId\""),
        ],
    )
    .await;
    assert_eq!(h.get_all("preference-applied").iter().count(), 1);
    let a = applied(&h);
    assert!(a.contains(&"odata.maxpagesize=2".to_string()), "{a:?}");
    assert!(a.contains(&"IdType=\"ImmutableId\"".to_string()), "{a:?}");
    // `$top` wins over the preference, which then is not applied.
    let (_, h, v) = get_with(
        &g,
        &format!("/users/{u}/messages?$top=3"),
        &[("Prefer", "odata.maxpagesize=2")],
    )
    .await;
    assert_eq!(v["value"].as_array().unwrap().len(), 3);
    assert!(applied(&h).is_empty(), "{:?}", applied(&h));
    // Message delta pages and directory collections say so too.
    let (_, h, v) = get_with(
        &g,
        &format!("/users/{u}/mailFolders/inbox/messages/delta"),
        &[("Prefer", "odata.maxpagesize=2")],
    )
    .await;
    assert_eq!(v["value"].as_array().unwrap().len(), 2);
    assert_eq!(applied(&h), ["odata.maxpagesize=2"]);
    let next = v["@odata.nextLink"].as_str().unwrap().to_string();
    let (_, h, v) = get_with(&g, &next, &[("Prefer", "odata.maxpagesize=2")]).await;
    assert!(v["value"].as_array().unwrap().len() <= 2);
    assert_eq!(applied(&h), ["odata.maxpagesize=2"]);
    let (_, h, v) = get_with(&g, "/users", &[("Prefer", "odata.maxpagesize=1")]).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    assert_eq!(applied(&h), ["odata.maxpagesize=1"]);
    // Without the preference, no header.
    let (_, h, _) = get_with(&g, &format!("/users/{u}/messages"), &[]).await;
    assert!(applied(&h).is_empty());
    sim.shutdown().await;
}

/// A receiver that answers the validation handshake (and accepts notifications).
async fn echo_receiver() -> String {
    use axum::extract::Query;
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            |Query(q): Query<std::collections::HashMap<String, String>>| async move {
                match q.get("validationToken") {
                    Some(t) => (axum::http::StatusCode::OK, t.clone()),
                    None => (axum::http::StatusCode::ACCEPTED, String::new()),
                }
            },
        ),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    format!("http://{addr}/hook")
}

fn subscription(url: &str, lifecycle: Option<&str>) -> Value {
    let exp = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let mut b = json!({"changeType": "created", "notificationUrl": url,
        "resource": format!("/users/{}/messages", upn(0)), "expirationDateTime": exp});
    if let Some(l) = lifecycle {
        b["lifecycleNotificationUrl"] = json!(l);
    }
    b
}

#[tokio::test]
async fn http_notification_urls_are_refused_unless_loopback_http_is_allowed() {
    let hook = echo_receiver().await;
    // Microsoft's behaviour: HTTPS only, even on loopback.
    let sim = common::start(common::fast(), 1, 0).await;
    let g = common::G::new(&sim).await;
    let (st, v) = g
        .req(
            Method::POST,
            "/subscriptions",
            Some(subscription(&hook, None)),
            &[],
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "InvalidRequest");
    assert_eq!(
        v["error"]["message"],
        "NotificationUrl scheme='http' is not supported."
    );
    let (st, v) = g
        .req(
            Method::POST,
            "/subscriptions",
            Some(subscription("https://127.0.0.1:1/hook", Some(&hook))),
            &[],
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(
        v["error"]["message"],
        "LifecycleNotificationUrl scheme='http' is not supported."
    );
    assert_eq!(sim.subscription_count(), 0);
    sim.shutdown().await;

    // Opted in: plain HTTP to loopback passes, anything else is still refused.
    let sim = common::start(common::fast_loopback_hooks(), 1, 0).await;
    let g = common::G::new(&sim).await;
    let (st, v) = g
        .req(
            Method::POST,
            "/subscriptions",
            Some(subscription(&hook, Some(&hook))),
            &[],
        )
        .await;
    assert_eq!(st, 201, "{v}");
    for bad in [
        "http://hooks.example.com/graph",
        "http://127.0.0.2:9/hook",
        "ftp://127.0.0.1/hook",
    ] {
        let (st, v) = g
            .req(
                Method::POST,
                "/subscriptions",
                Some(subscription(bad, None)),
                &[],
            )
            .await;
        assert_eq!(st, 400, "{bad}: {v}");
        assert_eq!(v["error"]["code"], "InvalidRequest", "{bad}");
    }
    assert_eq!(sim.subscription_count(), 1);
    sim.shutdown().await;
}
