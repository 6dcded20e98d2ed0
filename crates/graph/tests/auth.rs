//! Credentials and tokens: client secret, certificate assertions (RS256+x5t and
//! PS256+x5t#S256, verified by the test server with the certificate's public key), refresh
//! before expiry, refresh + single retry on 401, single-flight, separate Graph/Management
//! tokens, roles claim, AADSTS errors.

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use common::*;
use parking_lot::Mutex;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use ward_graph::{
    AssertionAlg, CertificateCredential, Credential, GraphClient, Resource,
    generate_self_signed_cert,
};

#[derive(Default)]
struct Seen {
    tokens: Mutex<Vec<String>>,
    /// Reject the first token ever presented with 401 InvalidAuthenticationToken.
    reject_first: AtomicBool,
    /// Reject every token.
    reject_all: AtomicBool,
}

async fn users(State(s): State<Arc<Seen>>, h: HeaderMap) -> Response {
    let t = bearer(&h);
    let first = {
        let mut v = s.tokens.lock();
        let first = v.first().map(|f| f == &t).unwrap_or(true);
        v.push(t.clone());
        first
    };
    if s.reject_all.load(Ordering::SeqCst) || (s.reject_first.load(Ordering::SeqCst) && first) {
        return graph_error(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        );
    }
    json_response(
        200,
        json!({"value": [{"id": "u1", "userPrincipalName": "a@x.com"}]}),
    )
}

async fn setup(cred: AppCred) -> (Arc<TokenServer>, Arc<Seen>, String) {
    let tok = TokenServer::new(cred);
    let seen = Arc::new(Seen::default());
    let graph = Router::new()
        .route("/v1.0/users", axum::routing::get(users))
        .with_state(seen.clone());
    let base = start(tok.clone(), graph).await;
    (tok, seen, base)
}

#[tokio::test]
async fn client_secret_and_roles_claim() {
    let (tok, _seen, base) = setup(AppCred::Secret(SECRET.into())).await;
    let c = client(&base);
    assert_eq!(c.list_users(None).await.unwrap().len(), 1);
    let roles = c.token_roles(Resource::Graph).await.unwrap();
    assert_eq!(
        roles,
        vec!["Mail.ReadWrite", "User.Read.All", "AuditLog.Read.All"]
    );
    let mroles = c.token_roles(Resource::Management).await.unwrap();
    assert_eq!(mroles, vec!["ActivityFeed.Read"]);
    // Separate tokens per resource, cached.
    assert_eq!(tok.issued.load(Ordering::SeqCst), 2);
    assert_eq!(
        *tok.scopes.lock(),
        vec![
            "https://graph.microsoft.com/.default".to_owned(),
            "https://manage.office.com/.default".to_owned()
        ]
    );
    let missing = ward_graph::missing_roles(Resource::Graph, &roles);
    assert!(
        missing
            .iter()
            .any(|p| p.identifier == "User.RevokeSessions.All")
    );
    assert!(!missing.iter().any(|p| p.identifier == "Mail.ReadWrite"));
    assert_eq!(ward_graph::PERMISSIONS.len(), 14);
    assert_eq!(c.stats().token_requests, 2);
}

#[tokio::test]
async fn wrong_secret_is_a_typed_auth_error() {
    let (_tok, _seen, base) = setup(AppCred::Secret("other".into())).await;
    let c = client(&base);
    let err = c.list_users(None).await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("client secret is wrong") && text.contains("AADSTS7000215"),
        "{text}"
    );
    assert!(!text.contains(SECRET));
    assert!(
        !format!("{:?}", c.config()).contains(SECRET),
        "Debug must not print secrets"
    );
}

#[tokio::test]
async fn token_refreshed_before_expiry() {
    let (tok, seen, base) = setup(AppCred::Secret(SECRET.into())).await;
    tok.expires_in.store(2, Ordering::SeqCst); // refresh at half-life: 1 s
    let c = client(&base);
    c.list_users(None).await.unwrap();
    c.list_users(None).await.unwrap();
    assert_eq!(tok.issued.load(Ordering::SeqCst), 1, "cached while fresh");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.list_users(None).await.unwrap();
    assert_eq!(
        tok.issued.load(Ordering::SeqCst),
        2,
        "refreshed ahead of expiry"
    );
    let t = seen.tokens.lock().clone();
    assert_eq!(t[0], t[1]);
    assert_ne!(t[1], t[2]);
}

#[tokio::test]
async fn refresh_and_retry_once_on_401() {
    let (tok, seen, base) = setup(AppCred::Secret(SECRET.into())).await;
    seen.reject_first.store(true, Ordering::SeqCst);
    let c = client(&base);
    assert_eq!(c.list_users(None).await.unwrap().len(), 1);
    assert_eq!(tok.issued.load(Ordering::SeqCst), 2);
    assert_eq!(seen.tokens.lock().len(), 2);
    assert_eq!(c.stats().token_refresh_on_401, 1);

    // A server that rejects every token: exactly one retry, then the typed error.
    seen.reject_all.store(true, Ordering::SeqCst);
    let before = seen.tokens.lock().len();
    let err = c.list_users(None).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(seen.tokens.lock().len() - before, 2);
}

#[tokio::test]
async fn single_flight_token_refresh() {
    let (tok, _seen, base) = setup(AppCred::Secret(SECRET.into())).await;
    let c = client(&base);
    let mut tasks = Vec::new();
    for _ in 0..25 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { c.list_users(None).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(tok.issued.load(Ordering::SeqCst), 1);
}

async fn cert_round_trip(alg: AssertionAlg) {
    let cert = generate_self_signed_cert("Ward test", 30).unwrap();
    let (tok, _seen, base) = setup(AppCred::Cert(cert.cert_pem.clone())).await;
    let cred = CertificateCredential::from_pem(&cert.key_pem, &cert.cert_pem, alg).unwrap();
    let c = GraphClient::new(config(&base, Credential::Certificate(cred))).unwrap();
    assert_eq!(c.list_users(None).await.unwrap().len(), 1);
    // Second resource → a second, freshly signed assertion (new jti accepted).
    c.token_roles(Resource::Management).await.unwrap();
    assert_eq!(tok.issued.load(Ordering::SeqCst), 2);
    let seen = tok.seen_headers.lock().clone();
    let expect = match alg {
        AssertionAlg::Rs256X5t => ("RS256".to_owned(), true, false),
        AssertionAlg::Ps256X5tS256 => ("PS256".to_owned(), false, true),
    };
    assert!(seen.iter().all(|h| *h == expect), "{seen:?}");
    assert!(!format!("{c:?}").contains("PRIVATE KEY"));
}

#[tokio::test]
async fn certificate_rs256_x5t() {
    cert_round_trip(AssertionAlg::Rs256X5t).await;
}

#[tokio::test]
async fn certificate_ps256_x5t_s256() {
    cert_round_trip(AssertionAlg::Ps256X5tS256).await;
}

#[tokio::test]
async fn unregistered_certificate_rejected() {
    let registered = generate_self_signed_cert("registered", 30).unwrap();
    let other = generate_self_signed_cert("other", 30).unwrap();
    let (_tok, _seen, base) = setup(AppCred::Cert(registered.cert_pem.clone())).await;
    let cred =
        CertificateCredential::from_pem(&other.key_pem, &other.cert_pem, AssertionAlg::Rs256X5t)
            .unwrap();
    let c = GraphClient::new(config(&base, Credential::Certificate(cred))).unwrap();
    let err = c.list_users(None).await.unwrap_err();
    assert!(err.is_auth());
    assert!(
        err.to_string().contains("certificate is not registered"),
        "{err}"
    );
    // Right thumbprint, wrong key: the signature check must catch it.
    let forged = CertificateCredential::from_pem(
        &other.key_pem,
        &registered.cert_pem,
        AssertionAlg::Ps256X5tS256,
    )
    .unwrap();
    let c = GraphClient::new(config(&base, Credential::Certificate(forged))).unwrap();
    assert!(c.list_users(None).await.unwrap_err().is_auth());
}

#[test]
fn thumbprints_match_independent_computation() {
    use base64::Engine;
    use sha1::Digest;
    let cert = generate_self_signed_cert("thumb", 1).unwrap();
    let tp = ward_graph::cert_thumbprints(&cert.cert_pem).unwrap();
    let b64: String = cert
        .cert_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(tp.der, der);
    assert_eq!(
        tp.x5t,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der))
    );
    assert_eq!(
        tp.x5t_s256,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&der))
    );
    assert_eq!(tp.sha1_hex.len(), 40);
    assert_eq!(tp, cert.thumbprints);
}
