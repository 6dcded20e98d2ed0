//! Tenant context given to the analyzer: who the organisation is, whom it trusts, who matters.

use std::path::PathBuf;
use std::sync::Arc;

/// "Have we seen this sender before?" — the pipeline backs it with the store; `None` in
/// [`AnalyzerConfig`] means unknown, and the first-contact signal is not raised.
pub trait KnownSenders: Send + Sync {
    /// `address` is lower-cased.
    fn is_known(&self, address: &str) -> bool;
}

/// A person whose name is worth impersonating (executives, finance, directory staff).
#[derive(Debug, Clone, Default)]
pub struct Vip {
    pub name: String,
    /// Their real addresses; mail under their name from anywhere else is impersonation.
    pub addresses: Vec<String>,
}

/// Everything the analyzer knows about the tenant. All fields are optional; `ward scan` uses
/// the default.
#[derive(Clone)]
pub struct AnalyzerConfig {
    /// Domains the tenant receives mail for (its own domains).
    pub accepted_domains: Vec<String>,
    /// Partner and vendor domains (lookalikes of these are vendor-fraud signals).
    pub partner_domains: Vec<String>,
    /// Executives and staff whose names are checked for impersonation.
    pub vips: Vec<Vip>,
    /// Authentication-Results `authserv-id`s stamped by the receiving organisation. A leading
    /// `*.` matches any subdomain. Only the topmost Authentication-Results header is read, and
    /// only when its authserv-id is one of these.
    pub trusted_authserv_ids: Vec<String>,
    /// Known-sender set for first-contact detection.
    pub known_senders: Option<Arc<dyn KnownSenders>>,
    /// Extra rule files or folders (same format as the built-in pack).
    pub rule_paths: Vec<PathBuf>,
    /// The learned layer ([`crate::model`]); none: the named signals alone decide.
    pub model: Option<Arc<crate::model::Model>>,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            accepted_domains: Vec::new(),
            partner_domains: Vec::new(),
            vips: Vec::new(),
            trusted_authserv_ids: vec![
                "*.prod.outlook.com".into(),
                "*.protection.outlook.com".into(),
                // Exchange Online's internal front-end hops.
                "*.outlook.office365.com".into(),
            ],
            known_senders: None,
            rule_paths: Vec::new(),
            model: None,
        }
    }
}

impl std::fmt::Debug for AnalyzerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalyzerConfig")
            .field("accepted_domains", &self.accepted_domains)
            .field("partner_domains", &self.partner_domains)
            .field("vips", &self.vips.len())
            .field("trusted_authserv_ids", &self.trusted_authserv_ids)
            .field("known_senders", &self.known_senders.is_some())
            .field("rule_paths", &self.rule_paths)
            .finish()
    }
}

impl AnalyzerConfig {
    /// True when `id` (an authserv-id) is one the receiving organisation stamps.
    pub fn trusts_authserv_id(&self, id: &str) -> bool {
        // Case-insensitive, without allocating: this runs for every Received header.
        let id = id.trim().trim_end_matches('.').as_bytes();
        self.trusted_authserv_ids
            .iter()
            .chain(&self.accepted_domains)
            .any(|p| match p.strip_prefix("*.") {
                // `id` ends with "." + suffix.
                Some(suffix) => {
                    let n = suffix.len() + 1;
                    id.len() >= n
                        && id[id.len() - n] == b'.'
                        && id[id.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
                }
                None => id.eq_ignore_ascii_case(p.as_bytes()),
            })
    }
}
