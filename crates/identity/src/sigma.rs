//! Import of SigmaHQ rules for Microsoft 365 and Azure sign-in / audit logs (`sigma-rust`),
//! evaluated over the record as read, with its `properties` lifted to the top and the normalized
//! fields added under the names Sigma rules use (`ResultType`, `Operation`, `UserPrincipalName`...).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::event::Event;
use crate::rules::severity_score;
use crate::signals::SignalHit;

#[derive(Debug, thiserror::Error)]
pub enum SigmaError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Products / services whose rules describe the events Ward reads.
const PRODUCTS: &[&str] = &[
    "azure",
    "m365",
    "microsoft365",
    "office365",
    "entra",
    "entra_id",
];

/// Loaded Sigma rules, plus what was skipped and why.
#[derive(Default)]
pub struct SigmaSet {
    rules: Vec<(String, sigma_rust::Rule)>,
    /// `(file, reason)` for rules not loaded: other products, unsupported syntax.
    pub skipped: Vec<(PathBuf, String)>,
}

impl std::fmt::Debug for SigmaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigmaSet")
            .field("rules", &self.rules.len())
            .field("skipped", &self.skipped.len())
            .finish()
    }
}

impl SigmaSet {
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Adds one rule from YAML text; `Err` with the reason when it is not for these logs or does
    /// not parse.
    pub fn add_yaml(&mut self, text: &str) -> Result<(), String> {
        let rule = sigma_rust::rule_from_yaml(text).map_err(|e| e.to_string())?;
        let product = rule
            .logsource
            .product
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !PRODUCTS.contains(&product.as_str()) {
            return Err(format!(
                "logsource product '{product}' is not Microsoft 365 / Azure"
            ));
        }
        let id = rule.id.clone().unwrap_or_else(|| rule.title.clone());
        self.rules.push((id, rule));
        Ok(())
    }

    /// Loads every `.yml` / `.yaml` file under `dir` (recursively, bounded depth).
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), SigmaError> {
        self.walk(dir, 0)
    }

    fn walk(&mut self, dir: &Path, depth: usize) -> Result<(), SigmaError> {
        let io = |source| SigmaError::Io {
            path: dir.to_path_buf(),
            source,
        };
        if dir.is_file() {
            let text = std::fs::read_to_string(dir).map_err(io)?;
            if let Err(reason) = self.add_yaml(&text) {
                self.skipped.push((dir.to_path_buf(), reason));
            }
            return Ok(());
        }
        if depth > 8 {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() || matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml"))
            {
                self.walk(&p, depth + 1)?;
            }
        }
        Ok(())
    }

    pub fn evaluate(&self, e: &Event, out: &mut Vec<SignalHit>) {
        if self.rules.is_empty() {
            return;
        }
        let Ok(ev) = sigma_rust::Event::try_from(sigma_view(e)) else {
            return;
        };
        for (id, rule) in &self.rules {
            if rule.is_match(&ev) {
                let level = rule
                    .level
                    .as_ref()
                    .map(|l| format!("{l:?}"))
                    .unwrap_or_default();
                out.push(SignalHit::new(
                    format!("sigma.{id}"),
                    severity_score(&level),
                    format!("Sigma: {}", rule.title),
                ));
            }
        }
    }
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.entry(k.to_string()).or_insert(v);
    }
}

fn s(x: &Option<String>) -> Option<Value> {
    x.as_ref().map(|v| Value::String(v.clone()))
}

/// The record with `properties` lifted and the common Sigma field names filled in.
fn sigma_view(e: &Event) -> Value {
    let mut m = e.raw.as_object().cloned().unwrap_or_default();
    if let Some(Value::Object(p)) = m.get("properties").cloned() {
        for (k, v) in p {
            m.entry(k).or_insert(v);
        }
    }
    put(&mut m, "ResultType", e.error_code.map(Value::from));
    put(&mut m, "ResultDescription", s(&e.failure_reason));
    put(&mut m, "Operation", s(&e.operation));
    put(&mut m, "OperationName", s(&e.operation));
    put(&mut m, "ActivityDisplayName", s(&e.operation));
    put(&mut m, "UserPrincipalName", s(&e.user));
    put(
        &mut m,
        "IPAddress",
        e.ip.map(|i| Value::String(i.to_string())),
    );
    put(&mut m, "AppId", s(&e.app_id));
    put(&mut m, "AppDisplayName", s(&e.app_name));
    put(&mut m, "ClientAppUsed", s(&e.client_app));
    put(&mut m, "AuthenticationProtocol", s(&e.protocol));
    put(&mut m, "UserAgent", s(&e.user_agent));
    put(&mut m, "RiskLevelDuringSignIn", s(&e.risk_level_during));
    put(&mut m, "RiskState", s(&e.risk_state));
    put(&mut m, "Location", s(&e.country));
    put(&mut m, "Category", s(&e.category));
    put(&mut m, "AuthenticationRequirement", s(&e.auth_requirement));
    if let Some(status) = e.error_code {
        put(
            &mut m,
            "Status",
            Some(Value::String(if status == 0 {
                "Success".into()
            } else {
                "Failure".into()
            })),
        );
    }
    put(&mut m, "ClientApp", s(&e.client_app));
    put(&mut m, "Username", s(&e.user));
    // Sigma's M365 rules treat `Parameters` as text (as Log Analytics stores it).
    for key in ["Parameters", "parameters"] {
        if let Some(Value::Array(list)) = m.get(key) {
            let text = Value::String(Value::Array(list.clone()).to_string());
            m.insert(key.to_string(), text);
        }
    }
    if !e.parameters.is_empty() {
        let list: Vec<Value> = e
            .parameters
            .iter()
            .map(|(k, v)| serde_json::json!({"Name": k, "Value": v}))
            .collect();
        put(
            &mut m,
            "Parameters",
            Some(Value::String(Value::Array(list).to_string())),
        );
    }
    for (k, v) in &e.parameters {
        m.entry(k.clone())
            .or_insert_with(|| Value::String(v.clone()));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
title: Sign-in Failure Due to Account Lockout
id: 2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a
status: test
logsource:
    product: azure
    service: signinlogs
detection:
    selection:
        ResultType: 50053
    condition: selection
level: medium
"#;

    #[test]
    fn sigma_rule_matches_normalized_fields() {
        let mut set = SigmaSet::default();
        set.add_yaml(RULE).expect("rule");
        let locked = crate::adapters::parse_value(&serde_json::json!({
            "time": "2025-01-15 08:15:23.456", "category": "SignInLogs", "operationName": "Sign-in activity",
            "properties": {"userPrincipalName": "a@x.com", "ipAddress": "4.4.4.4", "status": {"errorCode": 50053}}}))
        .expect("parse");
        let mut out = Vec::new();
        set.evaluate(&locked, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].score, 50);
        let fine = crate::adapters::parse_value(&serde_json::json!({
            "createdDateTime": "2025-01-15T08:15:23Z", "userPrincipalName": "a@x.com", "ipAddress": "4.4.4.4",
            "status": {"errorCode": 0}})).expect("parse");
        out.clear();
        set.evaluate(&fine, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn m365_rules_see_parameters_as_text_in_any_casing() {
        let mut set = SigmaSet::default();
        set.add_yaml(
            "title: Inbox rule forwarding\nid: t1\nlogsource:\n  product: m365\n  service: exchange\ndetection:\n  op:\n    Operation:\n      - New-InboxRule\n  fwd:\n    Parameters|contains: ForwardTo\n  condition: op and fwd\nlevel: high\n",
        )
        .expect("rule");
        for rec in [
            serde_json::json!({"CreationTime": "2025-01-01T00:00:00", "Operation": "New-InboxRule", "RecordType": 1, "Workload": "Exchange",
                "UserId": "a@x.com", "Parameters": [{"Name": "ForwardTo", "Value": "b@evil.example"}]}),
            serde_json::json!({"creationtime": "2025-01-01T00:00:00", "operation": "New-InboxRule", "recordtype": 1, "workload": "Exchange",
                "userid": "a@x.com", "parameters": [{"Name": "ForwardTo", "Value": "b@evil.example"}]}),
        ] {
            let e = crate::adapters::parse_value(&rec).expect("parse");
            let mut out = Vec::new();
            set.evaluate(&e, &mut out);
            assert_eq!(out.len(), 1, "{rec}");
            assert_eq!(out[0].score, 70);
        }
    }

    #[test]
    fn other_products_are_skipped() {
        let mut set = SigmaSet::default();
        let r = RULE.replace("product: azure", "product: windows");
        assert!(set.add_yaml(&r).is_err());
    }
}
