//! `ward.toml` plus environment variables.
//!
//! Secrets (the client secret, the certificate's private key) are never written in `ward.toml`
//! itself: the file names a file that holds them, or they come from an environment variable.
//! They are read into [`SecretString`]s, which never print.
//!
//! Precedence, highest first: command-line flags, `WARD_*` environment variables, `ward.toml`,
//! built-in defaults (Microsoft's endpoints, `ward.db` next to the config).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use secrecy::SecretString;
use serde::Deserialize;

/// The file as written by the user. Every field is optional so the environment can complete it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub tenant: TenantSection,
    #[serde(default)]
    pub endpoints: EndpointsSection,
    #[serde(default)]
    pub store: StoreSection,
    #[serde(default)]
    pub sync: SyncSection,
    #[serde(default)]
    pub geoip: GeoipSection,
    #[serde(default)]
    pub analysis: AnalysisSection,
    /// Containment: modes per action, quarantine target, password channel, playbooks
    /// (`ward_respond::RespondConfig`; every key optional).
    #[serde(default)]
    pub respond: ward_respond::RespondConfig,
    /// Change notifications for `ward watch` (absent: mail is polled by delta every pass).
    pub notifications: Option<crate::notify::NotificationsSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSection {
    /// Domains of partners and vendors: lookalikes of them are vendor-fraud signals.
    #[serde(default)]
    pub partner_domains: Vec<String>,
    /// Folders of user rules (same format as the built-in pack).
    #[serde(default)]
    pub rule_paths: Vec<PathBuf>,
    /// The learned layer: a model file `ward train` wrote (relative to this file). Off when
    /// absent: the named signals alone decide.
    #[serde(default)]
    pub model: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSection {
    /// Tenant GUID or verified domain (`contoso.onmicrosoft.com`).
    pub id: Option<String>,
    /// The application (client) id of Ward's app registration.
    pub client_id: Option<String>,
    /// File holding the client secret (first line). Or `WARD_CLIENT_SECRET`.
    pub client_secret_file: Option<PathBuf>,
    /// PEM certificate registered on the app (public part).
    pub certificate: Option<PathBuf>,
    /// PEM private key of that certificate. Or `WARD_PRIVATE_KEY` (the PEM text).
    pub private_key_file: Option<PathBuf>,
    /// `rs256` (header `x5t`, the classic form) or `ps256` (header `x5t#S256`).
    pub assertion: Option<String>,
    /// Identifier sent as `PublisherIdentifier` to the Management Activity API (defaults to the
    /// tenant id, which keeps Ward out of the shared throttling pool).
    pub publisher_identifier: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointsSection {
    pub login: Option<String>,
    pub graph: Option<String>,
    pub manage: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// A path (SQLite) or a `postgres://` URL. Or `WARD_DATABASE`.
    pub database: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSection {
    /// Requests in flight per mailbox (Microsoft allows 4).
    pub mailbox_concurrency: Option<usize>,
    /// Requests in flight in total.
    pub global_concurrency: Option<usize>,
    /// Mailboxes synced at once.
    pub parallel_mailboxes: Option<usize>,
    /// Days of sign-ins, directory audits and unified audit fetched on the first sync (mail:
    /// the watched folders whole).
    pub backfill_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoipSection {
    /// A folder with `country.mmdb` (any MMDB mapping IPs to countries: GeoLite2, DB-IP Lite,
    /// ip-location-db…) and optionally `asn-ipv4.csv` / `asn-ipv6.csv` (range, AS number,
    /// organisation). `scripts/fetch-geoip` fills one. Or `WARD_GEOIP_DIR`.
    pub dir: Option<PathBuf>,
}

/// How Ward proves who it is to the identity platform.
pub enum CredentialConfig {
    Secret(SecretString),
    Certificate {
        certificate_pem: String,
        private_key_pem: SecretString,
        pss: bool,
    },
}

impl std::fmt::Debug for CredentialConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("Secret([redacted])"),
            Self::Certificate { pss, .. } => {
                write!(f, "Certificate {{ pss: {pss}, private key: [redacted] }}")
            }
        }
    }
}

/// Everything needed to reach a tenant, resolved and checked.
#[derive(Debug)]
pub struct TenantConfig {
    pub tenant_id: String,
    pub client_id: String,
    pub credential: CredentialConfig,
    pub publisher_identifier: String,
    pub login: String,
    pub graph: String,
    pub manage: String,
}

/// The resolved configuration.
#[derive(Debug)]
pub struct Config {
    pub file: FileConfig,
    pub path: Option<PathBuf>,
    pub database: String,
}

/// Where `ward.toml` is looked for when `--config` is not given.
pub fn default_config_path() -> PathBuf {
    std::env::var_os("WARD_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ward.toml"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// Loads `path` (or the default path, which may be absent) and applies the environment.
    pub fn load(path: Option<&Path>, database_flag: Option<&str>) -> Result<Self> {
        let explicit = path.is_some();
        let path = path
            .map(Path::to_path_buf)
            .unwrap_or_else(default_config_path);
        let (file, found) = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: FileConfig = toml::from_str(&text).with_context(|| {
                    format!("{} is not a valid Ward configuration", path.display())
                })?;
                (file, Some(path))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                (FileConfig::default(), None)
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        let mut file = file;
        // A relative password-channel folder is relative to the configuration file.
        if let (ward_respond::PasswordChannel::Directory { path: dir }, Some(cfg)) =
            (&mut file.respond.password_channel, &found)
            && dir.is_relative()
            && let Some(parent) = cfg.parent()
        {
            *dir = parent.join(&*dir);
        }
        if let (Some(model), Some(cfg)) = (&mut file.analysis.model, &found)
            && model.is_relative()
            && let Some(parent) = cfg.parent()
        {
            *model = parent.join(&*model);
        }
        let database = database_flag
            .map(str::to_owned)
            .or_else(|| env("WARD_DATABASE"))
            .or_else(|| file.store.database.clone())
            .unwrap_or_else(|| "ward.db".to_owned());
        Ok(Self {
            file,
            path: found,
            database,
        })
    }

    /// The tenant connection, with secrets read from their files or variables.
    pub fn tenant(&self) -> Result<TenantConfig> {
        let t = &self.file.tenant;
        let where_ = match &self.path {
            Some(p) => format!("[tenant] in {}", p.display()),
            None => "ward.toml (not found) or the environment".to_owned(),
        };
        let tenant_id = env("WARD_TENANT_ID")
            .or_else(|| t.id.clone())
            .with_context(|| format!("no tenant id: set `id` in {where_} or WARD_TENANT_ID"))?;
        let client_id = env("WARD_CLIENT_ID")
            .or_else(|| t.client_id.clone())
            .with_context(|| {
                format!("no client id: set `client_id` in {where_} or WARD_CLIENT_ID")
            })?;
        let certificate = env("WARD_CERTIFICATE")
            .map(PathBuf::from)
            .or_else(|| t.certificate.clone());
        let credential = if let Some(cert_path) = certificate {
            let certificate_pem = std::fs::read_to_string(&cert_path)
                .with_context(|| format!("cannot read the certificate {}", cert_path.display()))?;
            let private_key_pem = match env("WARD_PRIVATE_KEY") {
                Some(pem) => pem,
                None => {
                    let key_path = env("WARD_PRIVATE_KEY_FILE")
                        .map(PathBuf::from)
                        .or_else(|| t.private_key_file.clone())
                        .with_context(|| {
                            format!(
                                "a certificate is configured but no private key: set \
                                 `private_key_file` in {where_}, WARD_PRIVATE_KEY_FILE or \
                                 WARD_PRIVATE_KEY"
                            )
                        })?;
                    read_secret_file(&key_path, "private key")?
                }
            };
            let pss = match t.assertion.as_deref().unwrap_or("rs256") {
                "rs256" => false,
                "ps256" => true,
                other => bail!("`assertion = \"{other}\"` in {where_}: use \"rs256\" or \"ps256\""),
            };
            CredentialConfig::Certificate {
                certificate_pem,
                private_key_pem: SecretString::from(private_key_pem),
                pss,
            }
        } else {
            let secret = match env("WARD_CLIENT_SECRET") {
                Some(s) => s,
                None => {
                    let path = env("WARD_CLIENT_SECRET_FILE")
                        .map(PathBuf::from)
                        .or_else(|| t.client_secret_file.clone())
                        .with_context(|| {
                            format!(
                                "no credential: configure `certificate` + `private_key_file`, or \
                                 `client_secret_file`, in {where_} (or WARD_CLIENT_SECRET)"
                            )
                        })?;
                    let text = read_secret_file(&path, "client secret")?;
                    text.lines().next().unwrap_or_default().trim().to_owned()
                }
            };
            if secret.is_empty() {
                bail!("the client secret is empty");
            }
            CredentialConfig::Secret(SecretString::from(secret))
        };
        let e = &self.file.endpoints;
        Ok(TenantConfig {
            publisher_identifier: t
                .publisher_identifier
                .clone()
                .unwrap_or_else(|| tenant_id.clone()),
            tenant_id,
            client_id,
            credential,
            login: e
                .login
                .clone()
                .unwrap_or_else(|| "https://login.microsoftonline.com".into()),
            graph: e
                .graph
                .clone()
                .unwrap_or_else(|| "https://graph.microsoft.com".into()),
            manage: e
                .manage
                .clone()
                .unwrap_or_else(|| "https://manage.office.com".into()),
        })
    }
}

/// Reads a file holding a secret, refusing files other users can read (on Unix) the way ssh does
/// with keys: a secret that leaked through file permissions is a secret leaked.
fn read_secret_file(path: &Path, what: &str) -> Result<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            bail!(
                "the {what} file {} is readable by other users: run `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        p
    }

    #[test]
    fn secret_from_file_and_redacted_debug() {
        let dir = tempfile::tempdir().unwrap();
        let secret = write(dir.path(), "secret", "s3cr3t-value\n", 0o600);
        let cfg = write(
            dir.path(),
            "ward.toml",
            &format!(
                "[tenant]\nid = \"t\"\nclient_id = \"c\"\nclient_secret_file = {:?}\n",
                secret
            ),
            0o644,
        );
        let config = Config::load(Some(&cfg), None).unwrap();
        let tenant = config.tenant().unwrap();
        match &tenant.credential {
            CredentialConfig::Secret(s) => assert_eq!(s.expose_secret(), "s3cr3t-value"),
            other => panic!("unexpected {other:?}"),
        }
        let printed = format!("{tenant:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert_eq!(tenant.graph, "https://graph.microsoft.com");
    }

    #[test]
    fn world_readable_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let secret = write(dir.path(), "secret", "x", 0o644);
        let cfg = write(
            dir.path(),
            "ward.toml",
            &format!(
                "[tenant]\nid = \"t\"\nclient_id = \"c\"\nclient_secret_file = {:?}\n",
                secret
            ),
            0o644,
        );
        let err = Config::load(Some(&cfg), None)
            .unwrap()
            .tenant()
            .unwrap_err();
        assert!(format!("{err:#}").contains("chmod 600"), "{err:#}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = write(
            dir.path(),
            "ward.toml",
            "[tenant]\nclient_secret = \"x\"\n",
            0o644,
        );
        let err = Config::load(Some(&cfg), None).unwrap_err();
        assert!(format!("{err:#}").contains("not a valid Ward configuration"));
    }
}
