//! The Microsoft identity platform's client-credentials token endpoint, and verification of the
//! access tokens it mints when they come back on Graph and Management API calls.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::StatusCode;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::config::{MANAGEMENT_ROLES, RegisteredApp};
use crate::util::{b64url, new_guid};

pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub const MANAGE_RESOURCE: &str = "https://manage.office.com";
pub const MANAGE_APP_ID: &str = "c5393580-f805-4401-95e8-94b7a6ef2fc2";

/// The simulator's token-signing key (one per process: RSA key generation is slow).
pub struct SigningKey {
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub kid: String,
    pub n: String,
    pub e: String,
}

static KEY: OnceLock<Option<SigningKey>> = OnceLock::new();

pub fn signing_key() -> Option<&'static SigningKey> {
    KEY.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048).ok()?;
        let der = key.to_pkcs1_der().ok()?;
        let n = key.n().to_bytes_be();
        let e = key.e().to_bytes_be();
        let kid = b64url(&Sha1::digest(&n));
        Some(SigningKey {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding: DecodingKey::from_rsa_raw_components(&n, &e),
            kid,
            n: b64url(&n),
            e: b64url(&e),
        })
    })
    .as_ref()
}

/// Claims of an access token minted by the simulator (v1.0 app-only shape).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub app_displayname: String,
    pub appid: String,
    pub appidacr: String,
    pub idp: String,
    pub idtyp: String,
    pub oid: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: String,
}

impl AccessClaims {
    pub fn has_role(&self, any_of: &[&str]) -> bool {
        any_of.iter().any(|r| self.roles.iter().any(|x| x == r))
    }
}

/// An AADSTS error response (§2.4).
#[derive(Debug)]
pub struct AadError {
    pub status: StatusCode,
    pub error: &'static str,
    pub code: u32,
    pub description: String,
}

impl AadError {
    fn new(
        status: StatusCode,
        error: &'static str,
        code: u32,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            code,
            description: description.into(),
        }
    }

    pub fn body(&self) -> Value {
        let trace = new_guid();
        let corr = new_guid();
        let ts = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        json!({
            "error": self.error,
            "error_description": format!("AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {ts}", self.code, self.description),
            "error_codes": [self.code],
            "timestamp": ts,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        })
    }
}

/// What the token endpoint needs from the simulator.
pub struct TokenContext<'a> {
    pub tenant_id: &'a str,
    pub tenant_names: &'a [String],
    pub apps: &'a [RegisteredApp],
    pub base_url: &'a str,
    pub lifetime_secs: i64,
    pub used_jti: &'a parking_lot::Mutex<HashMap<String, i64>>,
    pub reject_replay: bool,
}

/// Registered certificate → (SHA-1 thumbprint, SHA-256 thumbprint, RSA public key).
fn cert_material(pem_or_der: &[u8]) -> Option<(String, String, DecodingKey)> {
    use x509_cert::der::{Decode, DecodePem, Encode};
    let cert = x509_cert::Certificate::from_pem(pem_or_der)
        .or_else(|_| x509_cert::Certificate::from_der(pem_or_der))
        .ok()?;
    let der = cert.to_der().ok()?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let pk = rsa::pkcs1::RsaPublicKey::from_der(spki.subject_public_key.raw_bytes()).ok()?;
    let key =
        DecodingKey::from_rsa_raw_components(pk.modulus.as_bytes(), pk.public_exponent.as_bytes());
    Some((
        b64url(&Sha1::digest(&der)),
        b64url(&Sha256::digest(&der)),
        key,
    ))
}

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    #[allow(dead_code)]
    aud: Value,
    #[allow(dead_code)]
    iss: String,
    #[allow(dead_code)]
    sub: String,
    jti: Option<String>,
    exp: i64,
}

/// Handle `POST /{tenant}/oauth2/v2.0/token` (v2) or `/oauth2/token` (v1). Returns the JSON
/// success body or an AADSTS error.
pub fn issue_token(
    ctx: &TokenContext<'_>,
    tenant: &str,
    v1: bool,
    form: &HashMap<String, String>,
) -> Result<Value, AadError> {
    let bad = StatusCode::BAD_REQUEST;
    let unauth = StatusCode::UNAUTHORIZED;
    if !(tenant.eq_ignore_ascii_case(ctx.tenant_id)
        || ctx
            .tenant_names
            .iter()
            .any(|d| d.eq_ignore_ascii_case(tenant)))
    {
        return Err(AadError::new(
            bad,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(AadError::new(
                bad,
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{other}'."),
            ));
        }
        None => {
            return Err(AadError::new(
                bad,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            ));
        }
    }
    let Some(client_id) = form.get("client_id") else {
        return Err(AadError::new(
            bad,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        ));
    };
    let Some(app) = ctx
        .apps
        .iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    else {
        return Err(AadError::new(
            bad,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
        ));
    };
    // Resource
    let resource = if v1 {
        let Some(r) = form.get("resource") else {
            return Err(AadError::new(
                bad,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'resource'.",
            ));
        };
        r.trim_end_matches('/').to_string()
    } else {
        let Some(scope) = form.get("scope") else {
            return Err(AadError::new(
                bad,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            ));
        };
        let scopes: Vec<&str> = scope.split_whitespace().collect();
        if scopes.len() != 1 {
            return Err(AadError::new(
                bad,
                "invalid_scope",
                70011,
                format!(
                    "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. Only one resource may be requested at a time."
                ),
            ));
        }
        let Some(res) = scopes[0].strip_suffix("/.default") else {
            return Err(AadError::new(
                bad,
                "invalid_scope",
                1002012,
                format!(
                    "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            ));
        };
        res.to_string()
    };
    let aud = match resource.as_str() {
        GRAPH_RESOURCE | GRAPH_APP_ID | "https://graph.microsoft.com/" => GRAPH_RESOURCE,
        MANAGE_RESOURCE | MANAGE_APP_ID => MANAGE_RESOURCE,
        other => {
            return Err(AadError::new(
                bad,
                "invalid_resource",
                500011,
                format!(
                    "The resource principal named {other} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
                ),
            ));
        }
    };
    // Credential
    let appidacr;
    if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return Err(AadError::new(
                bad,
                "invalid_request",
                50027,
                "Invalid client_assertion_type; expected urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            ));
        }
        verify_assertion(ctx, app, tenant, v1, assertion)?;
        appidacr = "2";
    } else if let Some(secret) = form.get("client_secret") {
        if app.secret.as_deref() != Some(secret.as_str()) {
            return Err(AadError::new(
                unauth,
                "invalid_client",
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                    app.client_id
                ),
            ));
        }
        appidacr = "1";
    } else {
        return Err(AadError::new(
            bad,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    }
    let Some(key) = signing_key() else {
        return Err(AadError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable",
            50000,
            "There was an error issuing a token.",
        ));
    };
    let now = Utc::now().timestamp();
    let roles: Vec<String> = app
        .roles
        .iter()
        .filter(|r| (aud == MANAGE_RESOURCE) == MANAGEMENT_ROLES.contains(&r.as_str()))
        .cloned()
        .collect();
    let sp_oid =
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, app.client_id.as_bytes()).to_string();
    let claims = AccessClaims {
        aud: aud.to_string(),
        iss: format!("https://sts.windows.net/{}/", ctx.tenant_id),
        iat: now,
        nbf: now,
        exp: now + ctx.lifetime_secs,
        app_displayname: "Ward".into(),
        appid: app.client_id.clone(),
        appidacr: appidacr.into(),
        idp: format!("https://sts.windows.net/{}/", ctx.tenant_id),
        idtyp: "app".into(),
        oid: sp_oid.clone(),
        roles,
        sub: sp_oid,
        tid: ctx.tenant_id.to_string(),
        uti: b64url(&crate::util::random_bytes::<16>()),
        ver: "1.0".into(),
    };
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("JWT".into());
    header.kid = Some(key.kid.clone());
    header.x5t = Some(key.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(|_| {
        AadError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable",
            50000,
            "There was an error issuing a token.",
        )
    })?;
    Ok(if v1 {
        json!({
            "token_type": "Bearer",
            "expires_in": ctx.lifetime_secs.to_string(),
            "ext_expires_in": ctx.lifetime_secs.to_string(),
            "expires_on": (now + ctx.lifetime_secs).to_string(),
            "not_before": now.to_string(),
            "resource": aud,
            "access_token": token,
        })
    } else {
        json!({"token_type": "Bearer", "expires_in": ctx.lifetime_secs, "ext_expires_in": ctx.lifetime_secs, "access_token": token})
    })
}

fn verify_assertion(
    ctx: &TokenContext<'_>,
    app: &RegisteredApp,
    tenant: &str,
    v1: bool,
    assertion: &str,
) -> Result<(), AadError> {
    let unauth = StatusCode::UNAUTHORIZED;
    let bad = StatusCode::BAD_REQUEST;
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| {
        AadError::new(
            bad,
            "invalid_request",
            50027,
            "JWT token is invalid or is malformed.",
        )
    })?;
    let Some(cert) = app.certificate.as_deref() else {
        return Err(AadError::new(
            unauth,
            "invalid_client",
            700027,
            "The certificate with identifier used to sign the client assertion is not registered on application.",
        ));
    };
    let Some((x5t, x5t256, key)) = cert_material(cert) else {
        return Err(AadError::new(
            unauth,
            "invalid_client",
            700027,
            "The certificate registered on the application could not be read.",
        ));
    };
    let thumb_ok = header.x5t.as_deref() == Some(x5t.as_str())
        || header.x5t_s256.as_deref() == Some(x5t256.as_str());
    if !thumb_ok {
        let shown = header.x5t.or(header.x5t_s256).unwrap_or_default();
        return Err(AadError::new(
            unauth,
            "invalid_client",
            700027,
            format!(
                "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{shown}']"
            ),
        ));
    }
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(AadError::new(
            unauth,
            "invalid_client",
            5002738,
            format!(
                "Invalid JWT token. '{:?}' is not a supported signature algorithm.",
                header.alg
            ),
        ));
    }
    let mut auds: Vec<String> = Vec::new();
    let mut names = vec![ctx.tenant_id.to_string(), tenant.to_string()];
    names.extend(ctx.tenant_names.iter().cloned());
    for t in &names {
        auds.push(format!(
            "https://login.microsoftonline.com/{t}/oauth2/v2.0/token"
        ));
        auds.push(format!("{}/{t}/oauth2/v2.0/token", ctx.base_url));
        if v1 {
            auds.push(format!("https://login.windows.net/{t}/oauth2/token"));
            auds.push(format!(
                "https://login.microsoftonline.com/{t}/oauth2/token"
            ));
            auds.push(format!("{}/{t}/oauth2/token", ctx.base_url));
        }
    }
    let mut v = Validation::new(header.alg);
    v.algorithms = vec![header.alg];
    v.leeway = 300;
    v.set_audience(&auds);
    v.set_issuer(&[app.client_id.as_str()]);
    v.sub = Some(app.client_id.clone());
    v.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    v.validate_nbf = true;
    let data = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => AadError::new(
                unauth,
                "invalid_client",
                7000274,
                "Client assertion failed signature validation.",
            ),
            K::ExpiredSignature | K::ImmatureSignature => AadError::new(
                unauth,
                "invalid_client",
                700024,
                "Client assertion is not within its valid time range.",
            ),
            K::InvalidAudience => AadError::new(
                unauth,
                "invalid_client",
                700212,
                "Client assertion audience claim does not match the token endpoint Realm issuer.",
            ),
            K::InvalidIssuer | K::InvalidSubject => AadError::new(
                unauth,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            ),
            _ => AadError::new(
                bad,
                "invalid_request",
                50027,
                "JWT token is invalid or is malformed.",
            ),
        }
    })?;
    if ctx.reject_replay
        && let Some(jti) = data.claims.jti
    {
        let mut used = ctx.used_jti.lock();
        let now = Utc::now().timestamp();
        used.retain(|_, exp| *exp + 600 > now);
        if used.insert(jti, data.claims.exp).is_some() {
            return Err(AadError::new(
                unauth,
                "invalid_client",
                700025,
                "The client assertion has already been used (replayed 'jti').",
            ));
        }
    }
    Ok(())
}

/// Why a bearer token was refused.
pub enum TokenProblem {
    Missing,
    Invalid,
    Expired,
    WrongAudience,
    WrongTenant,
}

/// Verify a bearer token for an API whose audience is `aud` (Graph or Management).
pub fn verify_bearer(
    auth_header: Option<&str>,
    aud: &str,
    tenant_id: &str,
) -> Result<AccessClaims, TokenProblem> {
    let Some(h) = auth_header else {
        return Err(TokenProblem::Missing);
    };
    let Some(tok) = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))
    else {
        return Err(TokenProblem::Missing);
    };
    let key = signing_key().ok_or(TokenProblem::Invalid)?;
    let mut v = Validation::new(Algorithm::RS256);
    v.leeway = 0;
    v.validate_aud = false;
    v.set_required_spec_claims(&["exp"]);
    let data =
        jsonwebtoken::decode::<AccessClaims>(tok.trim(), &key.decoding, &v).map_err(|e| match e
            .kind()
        {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenProblem::Expired,
            _ => TokenProblem::Invalid,
        })?;
    let c = data.claims;
    let aud_ok = c.aud == aud
        || (aud == GRAPH_RESOURCE && c.aud == GRAPH_APP_ID)
        || (aud == MANAGE_RESOURCE && c.aud == MANAGE_APP_ID);
    if !aud_ok {
        return Err(TokenProblem::WrongAudience);
    }
    if !c.tid.eq_ignore_ascii_case(tenant_id) {
        return Err(TokenProblem::WrongTenant);
    }
    Ok(c)
}

/// JWKS document for the simulator's signing key.
pub fn jwks() -> Value {
    match signing_key() {
        Some(k) => {
            json!({"keys": [{"kty": "RSA", "use": "sig", "kid": k.kid, "x5t": k.kid, "n": k.n, "e": k.e}]})
        }
        None => json!({"keys": []}),
    }
}
