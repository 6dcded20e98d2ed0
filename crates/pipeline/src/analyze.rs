//! The analyze stage of the pipeline: Ward's mail analyzer fed with what the store knows about
//! the tenant (its domains, its executives).

use std::sync::Arc;

use anyhow::{Context, Result};
use ward_ingest::{AnalysisOutcome, MessageAnalyzer};
use ward_mail::{Analyzer, AnalyzerConfig, Vip};
use ward_store::User;

use crate::config::AnalysisSection;

/// Job titles whose holders are worth impersonating (CEO fraud targets their names).
const VIP_TITLES: &[&str] = &[
    "chief",
    "ceo",
    "cfo",
    "coo",
    "cto",
    "ciso",
    "president",
    "founder",
    "owner",
    "managing director",
    "director",
    "treasurer",
    "controller",
    "head of",
];

/// The tenant's own domains, as its users' mail addresses and UPNs show them (lower-case,
/// sorted, once each).
pub fn tenant_domains(users: &[User]) -> Vec<String> {
    let mut domains: Vec<String> = users
        .iter()
        .flat_map(|u| {
            u.mail
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(u.upn.as_str()))
        })
        .filter_map(|m| m.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()))
        .collect();
    domains.sort();
    domains.dedup();
    domains
}

/// Builds the analyzer context from the directory: accepted domains (the users' mail domains)
/// and VIPs (executives and finance leaders by job title).
pub fn analyzer_config(users: &[User], analysis: &AnalysisSection) -> AnalyzerConfig {
    let domains = tenant_domains(users);
    let vips = users
        .iter()
        .filter(|u| {
            u.job_title.as_deref().is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                VIP_TITLES.iter().any(|v| t.contains(v))
            })
        })
        .filter_map(|u| {
            Some(Vip {
                name: u.display_name.clone()?,
                addresses: u
                    .mail
                    .iter()
                    .cloned()
                    .chain(std::iter::once(u.upn.clone()))
                    .collect(),
            })
        })
        .collect();
    AnalyzerConfig {
        accepted_domains: domains,
        partner_domains: analysis.partner_domains.clone(),
        rule_paths: analysis.rule_paths.clone(),
        vips,
        ..AnalyzerConfig::default()
    }
}

/// Adapts `ward_mail::Analyzer` to the ingest stage.
pub struct MailStage(pub Analyzer);

impl MessageAnalyzer for MailStage {
    fn analyze(&self, mime: &[u8]) -> AnalysisOutcome {
        let fingerprints = ward_mail::fingerprint::fingerprints(mime);
        match self.0.analyze(mime) {
            Ok(v) => AnalysisOutcome {
                verdict: v.verdict.as_str().to_owned(),
                score: i64::from(v.score),
                categories: v.categories,
                signals: serde_json::to_value(&v.signals).unwrap_or_default(),
                fingerprints,
            },
            Err(e) => AnalysisOutcome {
                verdict: "error".into(),
                score: 0,
                categories: vec![],
                signals: serde_json::json!([{"id": "ANALYSIS_ERROR", "score": 0, "detail": e.to_string()}]),
                fingerprints,
            },
        }
    }
}

/// The analyzer for a tenant whose directory is in `store`.
pub async fn for_tenant(
    store: &ward_store::Store,
    tenant_id: &str,
    analysis: &AnalysisSection,
) -> Result<Arc<MailStage>> {
    let users = store
        .list_users(tenant_id)
        .await
        .context("cannot read the directory from the store")?;
    let mut config = analyzer_config(&users, analysis);
    config.model = analysis.model.as_deref().map(load_model).transpose()?;
    let analyzer = Analyzer::new(config).context("cannot load the mail analysis rules")?;
    Ok(Arc::new(MailStage(analyzer)))
}

/// Reads a model file `ward train` wrote.
pub fn load_model(path: &std::path::Path) -> Result<Arc<ward_mail::model::Model>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the model {}", path.display()))?;
    let model = ward_mail::model::Model::from_json(&text)
        .with_context(|| format!("{} is not a model `ward train` wrote", path.display()))?;
    Ok(Arc::new(model))
}
