//! Directory-side Graph, permissions, throttling and `$batch`.

mod common;

use reqwest::Method;
use serde_json::{Value, json};
use ward_sim::testkit::{self, CLIENT_ID, upn, user_id};
use ward_sim::{SimConfig, ThrottleConfig};

#[tokio::test]
async fn missing_role_gets_microsofts_403_bodies() {
    let sim = common::start(common::fast(), 2, 1).await;
    sim.set_roles(CLIENT_ID, &["User.Read.All"]);
    let g = common::G::new(&sim).await;
    let (st, v) = g.get(&format!("/users/{}/messages", upn(0))).await;
    assert_eq!(st, 403);
    assert_eq!(v["error"]["code"], "ErrorAccessDenied");
    assert!(v["error"]["innerError"]["request-id"].is_string());
    assert!(v["error"]["innerError"]["date"].is_string());
    let (st, v) = g.get("/auditLogs/signIns").await;
    assert_eq!(st, 403);
    assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        v["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
    let (st, v) = g
        .req(
            Method::POST,
            &format!("/users/{}/revokeSignInSessions", upn(0)),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 403);
    assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
    let (st, _) = g.get("/users").await;
    assert_eq!(st, 200);
    let (st, v) = g.get("/me").await;
    assert_eq!(st, 400);
    assert_eq!(v["error"]["code"], "BadRequest");
    sim.shutdown().await;
}

#[tokio::test]
async fn users_default_properties_select_upn_lookup_and_delta() {
    let sim = common::start(common::fast(), 5, 0).await;
    let g = common::G::new(&sim).await;
    let (st, v) = g.get("/users?$top=2").await;
    assert_eq!(st, 200);
    let u0 = &v["value"][0];
    assert!(u0.get("department").is_none(), "not in the default set");
    assert!(u0.get("businessPhones").is_some());
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("skiptoken"));
    let (st, v) = g.get("/users?$top=1000").await;
    assert_eq!(st, 400);
    assert_eq!(v["error"]["code"], "Request_UnsupportedQuery");
    let (st, v) = g
        .get("/users/user1%40contoso.com?$select=department,accountEnabled")
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["department"], "Operations");
    assert!(v.get("displayName").is_none());
    let (st, v) = g.get("/users/nobody@contoso.com").await;
    assert_eq!(st, 404);
    assert_eq!(v["error"]["code"], "Request_ResourceNotFound");
    // delta: initial round then a change shows up
    let (_, d) = g
        .get("/users/delta()?$select=displayName,accountEnabled")
        .await;
    assert_eq!(d["value"].as_array().unwrap().len(), 5);
    let link = d["@odata.deltaLink"].as_str().unwrap().to_string();
    let (st, _) = g
        .req(
            Method::POST,
            &format!("/users/{}/revokeSignInSessions", upn(3)),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 200);
    let (_, d2) = g.get(&link).await;
    let ids: Vec<&str> = d2["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, vec![user_id(3).as_str()]);
    sim.shutdown().await;
}

#[tokio::test]
async fn containment_actions_are_recorded_with_audit_rows() {
    let sim = common::start(common::fast(), 2, 0).await;
    let g = common::G::new(&sim).await;
    let before = sim.last_password_change(&upn(1)).unwrap();
    let (st, v) = g.req(Method::PATCH, &format!("/users/{}", upn(1)), Some(json!({"passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "weak"}})), &[]).await;
    assert_eq!(st, 400, "{v}");
    let (st, _) = g.req(Method::PATCH, &format!("/users/{}", upn(1)), Some(json!({"passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "Xk7!pq-29-Lm"}})), &[]).await;
    assert_eq!(st, 204);
    assert!(sim.last_password_change(&upn(1)).unwrap() > before);
    assert_eq!(sim.password_changes().len(), 1);
    assert!(sim.password_changes()[0].force_change_next_sign_in);
    // user 0 is an admin: app without a privileged role is refused
    let (st, v) = g
        .req(
            Method::PATCH,
            &format!("/users/{}", upn(0)),
            Some(json!({"passwordProfile": {"password": "Xk7!pq-29-Lm"}})),
            &[],
        )
        .await;
    assert_eq!(st, 403);
    assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
    let (st, v) = g
        .req(
            Method::POST,
            &format!("/users/{}/revokeSignInSessions", upn(1)),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(v["value"], true);
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Edm.Boolean")
    );
    assert_eq!(sim.revoked_sessions()[0].user_id, user_id(1));
    let acts: Vec<String> = sim
        .directory_audits()
        .iter()
        .filter_map(|a| a["activityDisplayName"].as_str().map(str::to_string))
        .collect();
    assert!(
        acts.contains(&"Reset user password".to_string())
            && acts.contains(&"Update user".to_string()),
        "{acts:?}"
    );
    let ops: Vec<String> = sim
        .unified_audit()
        .iter()
        .filter_map(|a| a["Operation"].as_str().map(str::to_string))
        .collect();
    assert!(ops.contains(&"Reset user password.".to_string()), "{ops:?}");
    // auth methods: generic DELETE refused, default first refused, others then default OK
    let u = upn(1);
    let (_, ms) = g.get(&format!("/users/{u}/authentication/methods")).await;
    assert_eq!(ms["value"].as_array().unwrap().len(), 3);
    let phone = "3179e48a-750b-4051-897c-87b9720928f7";
    let (st, _) = g
        .req(
            Method::DELETE,
            &format!("/users/{u}/authentication/methods/{phone}"),
            None,
            &[],
        )
        .await;
    assert!(st == 405 || st == 400);
    let (st, v) = g
        .req(
            Method::DELETE,
            &format!("/users/{u}/authentication/phoneMethods/{phone}"),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("default method")
    );
    let (_, am) = g
        .get(&format!(
            "/users/{u}/authentication/microsoftAuthenticatorMethods"
        ))
        .await;
    let aid = am["value"][0]["id"].as_str().unwrap().to_string();
    let (st, _) = g
        .req(
            Method::DELETE,
            &format!("/users/{u}/authentication/microsoftAuthenticatorMethods/{aid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 204);
    let (st, _) = g
        .req(
            Method::DELETE,
            &format!("/users/{u}/authentication/phoneMethods/{phone}"),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 204);
    let (st, _) = g
        .req(
            Method::DELETE,
            &format!(
                "/users/{u}/authentication/passwordMethods/28c10230-6103-485e-b985-444c60001490"
            ),
            None,
            &[],
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(sim.auth_methods(&u).len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn audit_log_filters_apps_and_analyzed_emails() {
    let sim = common::start(common::fast(), 3, 2).await;
    let g = common::G::new(&sim).await;
    let (st, v) = g
        .get("/auditLogs/signIns?$filter=createdDateTime gt 2020-01-01T00:00:00Z")
        .await;
    assert_eq!(st, 400);
    assert_eq!(v["error"]["message"], "Invalid filter clause");
    let (st, v) = g
        .get(&format!(
            "/auditLogs/signIns?$filter=createdDateTime ge 2020-01-01T00:00:00Z and userId eq '{}'",
            user_id(1)
        ))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    assert!(
        v["value"][0].get("authenticationRequirement").is_none(),
        "beta-only field hidden on v1.0"
    );
    let (_, b) = g
        .get(&format!("{}/beta/auditLogs/signIns", sim.base_url()))
        .await;
    assert!(b["value"][0].get("authenticationRequirement").is_some());
    let (st, _) = g
        .get("/auditLogs/directoryAudits?$filter=createdDateTime ge 2020-01-01T00:00:00Z")
        .await;
    assert_eq!(st, 400);
    let (st, _) = g
        .get("/auditLogs/directoryAudits?$filter=activityDateTime ge 2020-01-01T00:00:00Z")
        .await;
    assert_eq!(st, 200);
    let (st, sp) = g
        .get("/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=id,appRoles")
        .await;
    assert_eq!(st, 200, "{sp}");
    let spid = sp["id"].as_str().unwrap();
    let (_, a) = g
        .get(&format!("/servicePrincipals/{spid}/appRoleAssignedTo"))
        .await;
    assert_eq!(a["value"][0]["principalDisplayName"], "Mail Sync Pro");
    let (_, all) = g.get("/servicePrincipals").await;
    assert!(all["value"].as_array().unwrap().iter().all(|s| {
        s["passwordCredentials"]
            .as_array()
            .is_none_or(|c| c.iter().all(|x| x["secretText"].is_null()))
    }));
    let (st, _) = g.get("/oauth2PermissionGrants").await;
    assert_eq!(st, 403);
    let (st, ae) = g
        .get(&format!(
            "/security/collaboration/analyzedEmails?$filter=recipientEmailAddress eq '{}'",
            upn(2)
        ))
        .await;
    assert_eq!(st, 200, "{ae}");
    assert_eq!(ae["value"].as_array().unwrap().len(), 2);
    assert_eq!(ae["value"][0]["authenticationDetails"]["dmarc"], "pass");
    let (st, ca) = g.get("/identity/conditionalAccess/policies").await;
    assert_eq!(st, 200);
    assert_eq!(
        ca["value"][0]["grantControls"]["builtInControls"],
        json!(["mfa"])
    );
    let (st, rd) = g
        .get("/reports/authenticationMethods/userRegistrationDetails?$filter=isAdmin eq true")
        .await;
    assert_eq!(st, 200);
    assert_eq!(rd["value"].as_array().unwrap().len(), 1);
    sim.shutdown().await;
}

fn slow_mailboxes() -> SimConfig {
    SimConfig {
        mailbox_latency: std::time::Duration::from_millis(500),
        throttle: ThrottleConfig {
            mailbox_retry_after: 5.0,
            ..ThrottleConfig::default()
        },
        ..common::fast()
    }
}

#[tokio::test]
async fn five_concurrent_requests_to_one_mailbox_get_a_429_and_violations_are_counted() {
    let sim = common::start(slow_mailboxes(), 1, 2).await;
    let g = common::G::new(&sim).await;
    let url = format!("/users/{}/messages?$select=id", upn(0));
    let futs = (0..5).map(|_| g.get(&url));
    let results = futures::future::join_all(futs).await;
    let throttled: Vec<&(u16, Value)> = results.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(
        throttled.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert_eq!(throttled[0].1["error"]["code"], "ApplicationThrottled");
    assert_eq!(
        throttled[0].1["error"]["message"],
        "Application is over its MailboxConcurrency limit."
    );
    let s = sim.stats();
    assert_eq!(s.max_concurrent_any_mailbox, 4);
    assert_eq!(s.throttled_429, 1);
    assert_eq!(s.violations, 0);
    // Ignoring Retry-After (1 s) is a violation.
    let (st, _) = g.get(&url).await;
    assert_eq!(st, 200);
    assert_eq!(sim.stats().violations, 1);
    assert_eq!(sim.stats().per_mailbox_requests[&user_id(0)], 6);
    sim.shutdown().await;
}

#[tokio::test]
async fn request_budget_per_mailbox() {
    let cfg = SimConfig {
        throttle: ThrottleConfig {
            mailbox_requests: 3,
            mailbox_window: std::time::Duration::from_secs(60),
            ..ThrottleConfig::default()
        },
        ..common::fast()
    };
    let sim = common::start(cfg, 1, 1).await;
    let g = common::G::new(&sim).await;
    for _ in 0..3 {
        assert_eq!(g.get(&format!("/users/{}/messages", upn(0))).await.0, 200);
    }
    let r = reqwest::Client::new()
        .get(g.url(&format!("/users/{}/messages", upn(0))))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let ra: f64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ra > 1.0 && ra <= 60.0);
    sim.shutdown().await;
}

#[tokio::test]
async fn batch_items_throttled_individually_with_dependson_and_absolute_urls() {
    let sim = common::start(slow_mailboxes(), 2, 2).await;
    let g = common::G::new(&sim).await;
    let mut reqs: Vec<Value> = (0..20).map(|i| json!({"id": format!("{i}"), "method": "GET", "url": format!("/users/{}/messages?$top=1", upn(0))})).collect();
    reqs[19] = json!({"id": "19", "method": "GET", "url": format!("{}/v1.0/users/{}", sim.base_url(), upn(1))});
    let (st, v) = g
        .req(
            Method::POST,
            "/$batch",
            Some(json!({"requests": reqs})),
            &[],
        )
        .await;
    assert_eq!(st, 200, "batch is 200 even with throttled items");
    let resp = v["responses"].as_array().unwrap();
    assert_eq!(resp.len(), 20);
    let n429 = resp.iter().filter(|r| r["status"] == 429).count();
    let n200 = resp.iter().filter(|r| r["status"] == 200).count();
    assert_eq!(
        (n200, n429),
        (5, 15),
        "4 mailbox items + 1 directory item succeed"
    );
    let t = resp.iter().find(|r| r["status"] == 429).unwrap();
    assert!(t["headers"]["Retry-After"].is_string());
    assert_eq!(t["body"]["error"]["code"], "ApplicationThrottled");
    assert_eq!(
        resp.iter().find(|r| r["id"] == "19").unwrap()["body"]["userPrincipalName"],
        upn(1).as_str()
    );
    // dependsOn: failed prerequisite → 424
    let (_, v) = g
        .req(
            Method::POST,
            "/$batch",
            Some(json!({"requests": [
                {"id": "a", "method": "GET", "url": "/users/nobody@contoso.com"},
                {"id": "b", "method": "GET", "url": "/users", "dependsOn": ["a"]},
            ]})),
            &[],
        )
        .await;
    let b = v["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "b")
        .unwrap()
        .clone();
    assert_eq!(b["status"], 424);
    // 21 items, duplicate ids → 400
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": format!("{i}"), "method": "GET", "url": "/users"}))
        .collect();
    assert_eq!(
        g.req(
            Method::POST,
            "/$batch",
            Some(json!({"requests": many})),
            &[]
        )
        .await
        .0,
        400
    );
    let dup = json!({"requests": [{"id": "x", "method": "GET", "url": "/users"}, {"id": "X", "method": "GET", "url": "/users"}]});
    assert_eq!(g.req(Method::POST, "/$batch", Some(dup), &[]).await.0, 400);
    assert!(sim.stats().batch_items >= 22);
    let _ = testkit::GRAPH_SCOPE;
    sim.shutdown().await;
}

#[tokio::test]
async fn purview_audit_query_job_and_usage_reports() {
    let mut cfg = common::fast();
    cfg.audit_query_delay = std::time::Duration::from_millis(300);
    let sim = common::start(cfg, 2, 3).await;
    let g = common::G::new(&sim).await;
    let start = (chrono::Utc::now() - chrono::TimeDelta::days(1)).to_rfc3339();
    let end = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let (st, v) = g.req(Method::POST, "/security/auditLog/queries", Some(json!({"displayName": "x", "filterStartDateTime": start, "filterEndDateTime": end, "recordTypeFilters": ["bogus"]})), &[]).await;
    assert_eq!(st, 400, "{v}");
    let (st, q) = g.req(Method::POST, "/security/auditLog/queries", Some(json!({"displayName": "bec", "filterStartDateTime": start, "filterEndDateTime": end, "recordTypeFilters": ["exchangeAdmin"], "operationFilters": ["Set-Mailbox"]})), &[]).await;
    assert_eq!(st, 201, "{q}");
    assert_eq!(q["status"], "notStarted");
    let id = q["id"].as_str().unwrap().to_string();
    let (st, _) = g
        .get(&format!("/security/auditLog/queries/{id}/records"))
        .await;
    assert_eq!(st, 400, "not finished yet");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (_, q2) = g.get(&format!("/security/auditLog/queries/{id}")).await;
    assert_eq!(q2["status"], "succeeded");
    let (st, recs) = g
        .get(&format!("/security/auditLog/queries/{id}/records"))
        .await;
    assert_eq!(st, 200);
    let r = &recs["value"][0];
    assert_eq!(r["operation"], "Set-Mailbox");
    assert_eq!(r["auditLogRecordType"], "exchangeAdmin");
    assert_eq!(r["auditData"]["Workload"], "Exchange");
    // usage report: 302 to a download that needs no token; names concealed by default
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .get(g.url("/reports/getMailboxUsageDetail(period='D7')"))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let csv = reqwest::get(&loc).await.unwrap().text().await.unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Report Refresh Date,User Principal Name,Display Name,Is Deleted")
    );
    let row = lines.next().unwrap();
    assert!(!row.contains("@contoso.com"), "concealed: {row}");
    assert_eq!(row.split(',').nth(7), Some("3"), "item count");
    sim.shutdown().await;
}

#[tokio::test]
async fn error_bodies_carry_the_response_request_ids() {
    let sim = common::start(common::fast(), 1, 0).await;
    let g = common::G::new(&sim).await;
    let r = reqwest::Client::new()
        .get(g.url("/users/nobody@contoso.com"))
        .bearer_auth(&g.token)
        .header("client-request-id", "c-1")
        .send()
        .await
        .unwrap();
    let rid = r.headers()["request-id"].to_str().unwrap().to_string();
    assert_eq!(r.headers()["client-request-id"], "c-1");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["innerError"]["request-id"], rid.as_str());
    assert_eq!(v["error"]["innerError"]["client-request-id"], "c-1");
    let r = reqwest::Client::new()
        .get(g.url("/users"))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["client-request-id"],
        r.headers()["request-id"],
        "generated when not sent"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn identity_resource_units_are_reported_and_enforced() {
    let mut cfg = common::fast();
    cfg.throttle.identity_resource_units = Some(5);
    let sim = common::start(cfg, 2, 0).await;
    let g = common::G::new(&sim).await;
    let r = reqwest::Client::new()
        .get(g.url("/users"))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-ms-resource-unit"], "2", "GET users costs 2");
    let r = reqwest::Client::new()
        .get(g.url(&format!("/users/{}", upn(0))))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-ms-resource-unit"], "1");
    let _ = reqwest::Client::new()
        .get(g.url("/users"))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .get(g.url("/users"))
        .bearer_auth(&g.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.headers()["x-ms-throttle-information"],
        "ResourceUnitLimitExceeded"
    );
    assert!(
        r.headers()["x-ms-throttle-scope"]
            .to_str()
            .unwrap()
            .starts_with("Tenant_Application/ReadWrite/")
    );
    assert!(r.headers().contains_key("retry-after"));
    sim.shutdown().await;
}
