//! A tenant that cannot be reached is said at once, with its cause (issue 21, item 5): a name
//! that does not resolve, a closed port and a failed TLS handshake are not retried for a minute
//! and are not blamed on the tenant id or credential; the URL is named once, without its path.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ward_graph::reach::Unreachable;
use ward_graph::{ClientConfig, Credential, Endpoints, GraphClient, GraphError, RetryPolicy};

/// Microsoft's real retry policy: what used to make a refused port take ~43 s.
fn client_at(base: &str) -> GraphClient {
    let mut cfg = ClientConfig::new(TENANT, CLIENT_ID, Credential::secret(SECRET))
        .with_endpoints(Endpoints::single(base));
    cfg.retry = RetryPolicy::default();
    GraphClient::new(cfg).expect("client")
}

async fn fails_fast(base: &str, want: Unreachable) -> String {
    let c = client_at(base);
    let started = Instant::now();
    let err = c.list_users(None).await.expect_err("unreachable");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(c.stats().retries, 0, "retried: {err}");
    let GraphError::Transport { cause, .. } = &err else {
        panic!("not a transport error: {err:?}");
    };
    assert_eq!(*cause, want, "{err}");
    assert!(err.is_setup_problem() && !err.is_transient(), "{err}");
    let text = err.to_string();
    assert!(
        !text.contains("tenant id") && !text.contains("credential"),
        "{text}"
    );
    assert!(!text.contains("oauth2"), "the path is named: {text}");
    assert_eq!(text.matches(base).count(), 1, "{text}");
    text
}

#[tokio::test]
async fn a_closed_port_is_refused_at_once() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let text = fails_fast(&format!("http://127.0.0.1:{port}"), Unreachable::Refused).await;
    assert!(text.contains("refused"), "{text}");
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_dns() {
    // `.invalid` never resolves (RFC 2606).
    let text = fails_fast("https://login.ward-test.invalid", Unreachable::Dns).await;
    assert!(text.contains("DNS"), "{text}");
}

#[tokio::test]
async fn plain_http_behind_an_https_url_is_tls() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let text = fails_fast(&format!("https://127.0.0.1:{port}"), Unreachable::Tls).await;
    assert!(text.contains("TLS"), "{text}");
}

#[tokio::test]
async fn a_refused_credential_is_a_setup_problem_too() {
    let tok = TokenServer::new(AppCred::Secret("other".into()));
    let base = start(tok, axum::Router::new()).await;
    let err = client(&base).list_users(None).await.expect_err("refused");
    assert!(err.is_auth() && err.is_setup_problem(), "{err:?}");
}
