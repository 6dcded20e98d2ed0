//! Turning the configuration into a connected client and store.

use anyhow::{Context, Result};
use ward_graph::{
    AssertionAlg, CertificateCredential, ClientConfig, Credential, Endpoints, GraphClient,
};
use ward_store::Store;

use crate::config::{CredentialConfig, SyncSection, TenantConfig};

/// A Graph + Management Activity API client for the configured tenant.
pub fn client(t: &TenantConfig, sync: &SyncSection) -> Result<GraphClient> {
    let credential = match &t.credential {
        CredentialConfig::Secret(s) => Credential::Secret(s.clone()),
        CredentialConfig::Certificate {
            certificate_pem,
            private_key_pem,
            pss,
        } => {
            let alg = if *pss {
                AssertionAlg::Ps256X5tS256
            } else {
                AssertionAlg::Rs256X5t
            };
            Credential::Certificate(
                CertificateCredential::from_pem(private_key_pem, certificate_pem, alg)
                    .context("the configured certificate or private key cannot be used")?,
            )
        }
    };
    let mut cfg =
        ClientConfig::new(&t.tenant_id, &t.client_id, credential).with_endpoints(Endpoints {
            login: t.login.clone(),
            graph: t.graph.clone(),
            manage: t.manage.clone(),
        });
    cfg.publisher_identifier = Some(t.publisher_identifier.clone());
    if let Some(n) = sync.mailbox_concurrency {
        // Microsoft rejects a fifth concurrent request per mailbox: never go above 4.
        cfg.limits.per_mailbox_concurrency = n.clamp(1, 4);
    }
    if let Some(n) = sync.global_concurrency {
        cfg.limits.global_in_flight = n.max(1);
    }
    GraphClient::new(cfg).context("cannot build the Microsoft 365 client")
}

/// Opens (creating and migrating if needed) the store.
pub async fn store(location: &str) -> Result<Store> {
    Store::connect(location)
        .await
        .with_context(|| format!("cannot open the store {}", redact(location)))
}

/// A database location with any password hidden, for messages.
pub fn redact(location: &str) -> String {
    match url::Url::parse(location) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => location.to_owned(),
    }
}

/// Opens an existing store for reading commands (`ward incidents`, `ward journal`): a SQLite
/// path that does not exist is an error, not a new empty store that would "verify" fine.
pub async fn existing_store(location: &str) -> Result<Store> {
    let is_url = location.contains("://");
    if !is_url && !std::path::Path::new(location).exists() {
        anyhow::bail!(
            "no store at {location}: pass --database, set [store] database in ward.toml or \
             WARD_DATABASE, or run `ward sync` first"
        );
    }
    store(location).await
}

/// The tenant a reading command works on: `--tenant`, `WARD_TENANT_ID`, `[tenant] id`, or the
/// only tenant in the store. No credentials are needed for it.
pub async fn tenant_id(
    flag: Option<&str>,
    config: &crate::config::Config,
    store: &Store,
) -> Result<String> {
    let configured = flag
        .map(str::to_owned)
        .or_else(|| std::env::var("WARD_TENANT_ID").ok())
        .filter(|t| !t.trim().is_empty())
        .or_else(|| config.file.tenant.id.clone());
    if let Some(t) = configured {
        return Ok(t);
    }
    let tenants = store
        .list_tenants()
        .await
        .context("cannot list the store's tenants")?;
    match tenants.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => anyhow::bail!(
            "which tenant? pass --tenant, set WARD_TENANT_ID or [tenant] id in ward.toml"
        ),
        _ => anyhow::bail!(
            "the store holds {} tenants: choose one with --tenant or WARD_TENANT_ID",
            tenants.len()
        ),
    }
}
