//! App credentials: client secret or certificate (signed JWT client assertion), plus helpers
//! to create a self-signed certificate and compute the thumbprints Entra shows.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha1::Digest as _;

use crate::error::{GraphError, Result};

/// How the app proves its identity to the token endpoint.
#[derive(Clone)]
pub enum Credential {
    Secret(SecretString),
    Certificate(CertificateCredential),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Secret(_) => f.write_str("Credential::Secret(<redacted>)"),
            Credential::Certificate(c) => {
                f.debug_tuple("Credential::Certificate").field(c).finish()
            }
        }
    }
}

impl Credential {
    pub fn secret(s: impl Into<String>) -> Self {
        Credential::Secret(SecretString::from(s.into()))
    }
}

/// Which client-assertion header variant to send (both documented by Microsoft).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssertionAlg {
    /// `{"alg":"RS256","x5t":base64url(SHA-1(cert DER))}` — classic, what MSAL sends.
    #[default]
    Rs256X5t,
    /// `{"alg":"PS256","x5t#S256":base64url(SHA-256(cert DER))}` — current English docs.
    Ps256X5tS256,
}

/// Certificate credential: an RSA private key (PEM, PKCS#1 or PKCS#8) and its certificate.
#[derive(Clone)]
pub struct CertificateCredential {
    key: EncodingKey,
    pub thumbprints: CertThumbprints,
    pub alg: AssertionAlg,
}

impl std::fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("x5t", &self.thumbprints.x5t)
            .field("alg", &self.alg)
            .field("key", &"<redacted>")
            .finish()
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

/// Lifetime of a client assertion ("keep it short").
pub const ASSERTION_LIFETIME_SECS: i64 = 600;

impl CertificateCredential {
    pub fn from_pem(key_pem: &SecretString, cert_pem: &str, alg: AssertionAlg) -> Result<Self> {
        let key = EncodingKey::from_rsa_pem(key_pem.expose_secret().as_bytes()).map_err(|e| {
            GraphError::Config(format!("private key is not a usable RSA PEM key: {e}"))
        })?;
        let thumbprints = cert_thumbprints(cert_pem)?;
        Ok(Self {
            key,
            thumbprints,
            alg,
        })
    }

    /// Signs a fresh client assertion for `client_id` with audience `aud` (the token URL).
    pub fn assertion(&self, client_id: &str, aud: &str) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = AssertionClaims {
            aud,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        let header = match self.alg {
            AssertionAlg::Rs256X5t => {
                let mut h = Header::new(Algorithm::RS256);
                h.x5t = Some(self.thumbprints.x5t.clone());
                h
            }
            AssertionAlg::Ps256X5tS256 => {
                let mut h = Header::new(Algorithm::PS256);
                h.x5t_s256 = Some(self.thumbprints.x5t_s256.clone());
                h
            }
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| GraphError::Config(format!("could not sign the client assertion: {e}")))
    }
}

/// Thumbprints of a certificate, as the various Microsoft surfaces show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertThumbprints {
    /// base64url(SHA-1(DER)) — JWT `x5t`.
    pub x5t: String,
    /// base64url(SHA-256(DER)) — JWT `x5t#S256`.
    pub x5t_s256: String,
    /// Upper-case hex SHA-1 — the "Thumbprint" column of the Entra portal.
    pub sha1_hex: String,
    /// base64(SHA-1(DER)) — `keyCredentials.customKeyIdentifier`.
    pub custom_key_identifier: String,
    pub der: Vec<u8>,
}

/// Decodes the first `CERTIFICATE` block of a PEM string.
pub fn cert_der_from_pem(cert_pem: &str) -> Result<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = cert_pem
        .find(BEGIN)
        .ok_or_else(|| GraphError::Config("no -----BEGIN CERTIFICATE----- block found".into()))?
        + BEGIN.len();
    let len = cert_pem[start..]
        .find(END)
        .ok_or_else(|| GraphError::Config("unterminated CERTIFICATE block".into()))?;
    let b64: String = cert_pem[start..start + len]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD
        .decode(b64)
        .map_err(|e| GraphError::Config(format!("certificate PEM is not valid base64: {e}")))
}

pub fn cert_thumbprints(cert_pem: &str) -> Result<CertThumbprints> {
    let der = cert_der_from_pem(cert_pem)?;
    Ok(thumbprints_of_der(der))
}

pub fn thumbprints_of_der(der: Vec<u8>) -> CertThumbprints {
    let sha1 = sha1::Sha1::digest(&der);
    let sha256 = sha2::Sha256::digest(&der);
    CertThumbprints {
        x5t: URL_SAFE_NO_PAD.encode(sha1),
        x5t_s256: URL_SAFE_NO_PAD.encode(sha256),
        sha1_hex: sha1.iter().map(|b| format!("{b:02X}")).collect(),
        custom_key_identifier: STANDARD.encode(sha1),
        der,
    }
}

/// A generated self-signed certificate and its private key.
pub struct GeneratedCert {
    pub cert_pem: String,
    /// PKCS#8 PEM.
    pub key_pem: SecretString,
    pub thumbprints: CertThumbprints,
}

impl std::fmt::Debug for GeneratedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedCert")
            .field("x5t", &self.thumbprints.x5t)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Generates a 2048-bit RSA key and a self-signed certificate for `common_name`, valid for
/// `days` days — what an admin would upload to the app registration.
pub fn generate_self_signed_cert(common_name: &str, days: i64) -> Result<GeneratedCert> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
        .map_err(|e| GraphError::Config(format!("RSA key generation failed: {e}")))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| GraphError::Config(format!("certificate parameters: {e}")))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let ymd = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    let today = chrono::Utc::now().date_naive();
    // Start yesterday: tolerate clock skew between Ward and Entra.
    params.not_before = ymd(today - chrono::Days::new(1));
    params.not_after = ymd(today + chrono::Days::new(days.clamp(1, 3650) as u64));
    let cert = params
        .self_signed(&key)
        .map_err(|e| GraphError::Config(format!("self-signing failed: {e}")))?;
    let der = cert.der().to_vec();
    Ok(GeneratedCert {
        cert_pem: cert.pem(),
        key_pem: SecretString::from(key.serialize_pem()),
        thumbprints: thumbprints_of_der(der),
    })
}
