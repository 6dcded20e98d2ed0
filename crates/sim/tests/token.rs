//! Token endpoint: client secret, both certificate-assertion header variants, AADSTS errors,
//! per-resource audiences, expiry.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::{Value, json};
use sha1::Digest;
use ward_sim::testkit::{self, CLIENT_ID, GRAPH_SCOPE, MANAGE_SCOPE, TENANT_ID};
use ward_sim::{RegisteredApp, SimConfig};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("jwt payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json")
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .form(form)
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.json().await.expect("json"))
}

#[tokio::test]
async fn secret_grants_per_resource_tokens_and_wrong_secret_is_aadsts_7000215() {
    let sim = common::start(common::fast(), 2, 1).await;
    let url = sim.token_url();
    let (st, v) = post_form(
        &url,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", "ward-sim-secret"),
            ("scope", GRAPH_SCOPE),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3599);
    let c = claims_of(v["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["tid"], TENANT_ID);
    assert_eq!(c["appid"], CLIENT_ID);
    let roles: Vec<&str> = c["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(roles.contains(&"Mail.ReadWrite"));
    assert!(
        !roles.contains(&"ActivityFeed.Read"),
        "management role not in a Graph token"
    );
    assert!(!roles.contains(&"User.Read"));
    assert_eq!(roles.len(), 12);

    let (st, v) = post_form(
        &url,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", "ward-sim-secret"),
            ("scope", MANAGE_SCOPE),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(st, 200);
    let c = claims_of(v["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], "https://manage.office.com");
    assert_eq!(c["roles"], json!(["ActivityFeed.Read"]));

    let (st, v) = post_form(
        &url,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", "wrong"),
            ("scope", GRAPH_SCOPE),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(st, 401);
    assert_eq!(v["error"], "invalid_client");
    assert_eq!(v["error_codes"], json!([7000215]));
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215")
    );
    for k in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(v.get(k).is_some(), "{k}");
    }

    let (st, v) = post_form(
        &url,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", "ward-sim-secret"),
            ("scope", "https://graph.microsoft.com/Mail.Read"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(v["error"], "invalid_scope");
    let (st, v) = post_form(
        &url,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", "ward-sim-secret"),
            (
                "scope",
                "https://graph.microsoft.com/.default https://manage.office.com/.default",
            ),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(v["error"], "invalid_scope");
    let (st, v) = post_form(
        &format!("{}/nope.example/oauth2/v2.0/token", sim.base_url()),
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", "ward-sim-secret"),
            ("scope", GRAPH_SCOPE),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(v["error_codes"], json!([90002]));
    // v1 endpoint for the Management API
    let (st, v) = post_form(
        &format!("{}/{TENANT_ID}/oauth2/token", sim.base_url()),
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", "ward-sim-secret"),
            ("resource", "https://manage.office.com"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(v["expires_in"], "3599");
    assert_eq!(v["resource"], "https://manage.office.com");
    sim.shutdown().await;
}

struct Cert {
    der: Vec<u8>,
    pem: String,
    key_pem: String,
}

fn make_cert() -> Cert {
    let mut rng = rsa::rand_core::OsRng;
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("rsa key");
    let key_pem = key.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string();
    let kp = rcgen::KeyPair::from_pem(&key_pem).expect("rcgen key");
    let cert = rcgen::CertificateParams::new(vec!["ward.example".to_string()])
        .expect("params")
        .self_signed(&kp)
        .expect("self-signed");
    Cert {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key_pem,
    }
}

fn assertion(
    cert: &Cert,
    alg: Algorithm,
    s256: bool,
    aud: &str,
    jti: &str,
    exp_offset: i64,
) -> String {
    let mut h = Header::new(alg);
    h.typ = Some("JWT".into());
    if s256 {
        h.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&cert.der)));
    } else {
        h.x5t = Some(URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&cert.der)));
    }
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"aud": aud, "iss": CLIENT_ID, "sub": CLIENT_ID, "jti": jti, "nbf": now, "iat": now, "exp": now + exp_offset});
    jsonwebtoken::encode(
        &h,
        &claims,
        &EncodingKey::from_rsa_pem(cert.key_pem.as_bytes()).expect("enc key"),
    )
    .expect("sign")
}

#[tokio::test]
async fn certificate_assertions_rs256_x5t_and_ps256_x5t_s256() {
    let cert = make_cert();
    let other = make_cert();
    let mut cfg = common::fast();
    cfg.apps = vec![RegisteredApp {
        certificate: Some(cert.pem.clone().into_bytes()),
        ..RegisteredApp::ward_default()
    }];
    let sim = ward_sim::Simulator::start(cfg, testkit::SeedBuilder::new(1, 0).build())
        .await
        .expect("start");
    let url = sim.token_url();
    let aud = format!("https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token");
    let ty = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let post = |a: String| {
        let url = url.clone();
        async move {
            post_form(
                &url,
                &[
                    ("client_id", CLIENT_ID),
                    ("client_assertion_type", ty),
                    ("client_assertion", &a),
                    ("scope", GRAPH_SCOPE),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await
        }
    };
    let (st, v) = post(assertion(&cert, Algorithm::RS256, false, &aud, "j1", 600)).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        claims_of(v["access_token"].as_str().unwrap())["appidacr"],
        "2"
    );
    let (st, v) = post(assertion(&cert, Algorithm::PS256, true, &aud, "j2", 600)).await;
    assert_eq!(st, 200, "{v}");
    // replayed jti
    let (st, v) = post(assertion(&cert, Algorithm::RS256, false, &aud, "j1", 600)).await;
    assert_eq!(st, 401, "{v}");
    // signed by another key but claiming our thumbprint
    let forged = {
        let mut a = assertion(&other, Algorithm::RS256, false, &aud, "j3", 600);
        let good_header = assertion(&cert, Algorithm::RS256, false, &aud, "j3", 600);
        let hdr = good_header.split('.').next().unwrap().to_string();
        let rest: Vec<&str> = a.split('.').collect();
        a = format!("{hdr}.{}.{}", rest[1], rest[2]);
        a
    };
    let (st, v) = post(forged).await;
    assert_eq!(st, 401, "{v}");
    assert_eq!(v["error_codes"], json!([7000274]));
    // unregistered certificate thumbprint
    let (st, v) = post(assertion(&other, Algorithm::RS256, false, &aud, "j4", 600)).await;
    assert_eq!(st, 401);
    assert_eq!(v["error_codes"], json!([700027]));
    // wrong audience, expired
    let (st, _) = post(assertion(
        &cert,
        Algorithm::RS256,
        false,
        "https://example.com/token",
        "j5",
        600,
    ))
    .await;
    assert_eq!(st, 401);
    let (st, v) = post(assertion(&cert, Algorithm::RS256, false, &aud, "j6", -900)).await;
    assert_eq!(st, 401);
    assert_eq!(v["error_codes"], json!([700024]));
    sim.shutdown().await;
}

#[tokio::test]
async fn expired_and_wrong_audience_tokens_are_401_invalid_authentication_token() {
    let mut cfg = common::fast();
    cfg.token_lifetime = std::time::Duration::from_secs(1);
    let sim = common::start(cfg, 1, 1).await;
    let g = common::G::new(&sim).await;
    let (st, _) = g.get("/users").await;
    assert_eq!(st, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (st, v) = g.get("/users").await;
    assert_eq!(st, 401);
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");
    // a Management token on Graph
    let manage = testkit::token(sim.base_url(), MANAGE_SCOPE).await.unwrap();
    let g2 = common::G { token: manage, ..g };
    let (st, v) = g2.get("/users").await;
    assert_eq!(st, 401);
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");
    let _ = SimConfig::default();
    sim.shutdown().await;
}
