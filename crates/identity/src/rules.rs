//! User rules: the same small format as mail rules — YAML or TOML files with `id`, `description`,
//! `severity`, `category`, `when` (a CEL expression) and `samples` — evaluated over the normalized
//! event. CEL is side-effect free and not Turing-complete, so a rule cannot hang the pipeline.
//!
//! Variables: `event` (the normalized [`Event`] as JSON, plus `params` and `details` maps and
//! `raw`, the record as read) and `signals` (ids of the signals that already fired on it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::event::Event;
use crate::signals::SignalHit;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read rule file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("rule file {path} is not valid: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("rule {id}: `when` does not compile: {reason}")]
    Compile { id: String, reason: String },
}

/// A rule as written.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleSpec {
    pub id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_severity")]
    pub severity: String,
    #[serde(default)]
    pub category: String,
    pub when: String,
    #[serde(default)]
    pub samples: Vec<Sample>,
}

/// A record with the verdict the rule must give on it.
#[derive(Debug, Clone, Deserialize)]
pub struct Sample {
    pub event: Value,
    #[serde(rename = "match", alias = "expect", default = "yes")]
    pub matches: bool,
}

fn default_severity() -> String {
    "medium".into()
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RuleFile {
    Many { rules: Vec<RuleSpec> },
    One(RuleSpec),
}

/// Score of a severity name.
pub fn severity_score(s: &str) -> u8 {
    match s.to_ascii_lowercase().as_str() {
        "critical" => 90,
        "high" => 70,
        "medium" => 50,
        "low" => 30,
        _ => 10,
    }
}

struct Compiled {
    spec: RuleSpec,
    program: cel::Program,
}

/// Compiled user rules.
#[derive(Default)]
pub struct RuleSet {
    env: Option<Arc<cel::Env>>,
    rules: Vec<Compiled>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .finish()
    }
}

fn env() -> Arc<cel::Env> {
    let mut env = cel::Env::stdlib();
    // Without the strings extension `lowerAscii()` and friends are undeclared.
    let _ = env.add_extension(cel::extensions::strings);
    Arc::new(env)
}

impl RuleSet {
    pub fn new() -> RuleSet {
        RuleSet {
            env: Some(env()),
            rules: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn add(&mut self, spec: RuleSpec) -> Result<(), RuleError> {
        let env = self.env.get_or_insert_with(env).clone();
        let program = env.compile(&spec.when).map_err(|e| RuleError::Compile {
            id: spec.id.clone(),
            reason: e.to_string(),
        })?;
        self.rules.push(Compiled { spec, program });
        Ok(())
    }

    /// Loads one `.yaml`/`.yml`/`.toml` file or every such file in a folder (not recursive).
    pub fn load_path(&mut self, path: &Path) -> Result<(), RuleError> {
        let io = |source| RuleError::Io {
            path: path.to_path_buf(),
            source,
        };
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|x| x.to_str()),
                        Some("yaml" | "yml" | "toml")
                    )
                })
                .collect();
            files.sort();
            for f in files {
                self.load_path(&f)?;
            }
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let fmt = |reason: String| RuleError::Format {
            path: path.to_path_buf(),
            reason,
        };
        let file: RuleFile = if path.extension().and_then(|x| x.to_str()) == Some("toml") {
            toml::from_str(&text).map_err(|e| fmt(e.to_string()))?
        } else {
            serde_yaml::from_str(&text).map_err(|e| fmt(e.to_string()))?
        };
        match file {
            RuleFile::Many { rules } => rules.into_iter().try_for_each(|r| self.add(r)),
            RuleFile::One(r) => self.add(r),
        }
    }

    /// Runs every rule on the event.
    pub fn evaluate(&self, e: &Event, prior: &[SignalHit], out: &mut Vec<SignalHit>) {
        if self.rules.is_empty() {
            return;
        }
        let Some(env) = &self.env else { return };
        let view = event_view(e);
        let Ok(event) = cel::to_value(&view) else {
            return;
        };
        let signals: Vec<String> = prior.iter().map(|h| h.id.clone()).collect();
        let mut ctx = cel::Context::with_env(env.clone());
        ctx.add_variable_from_value("event", event);
        ctx.add_variable_from_value(
            "signals",
            cel::Value::List(Arc::new(signals.into_iter().map(Into::into).collect())),
        );
        for r in &self.rules {
            if let Ok(cel::Value::Bool(true)) = r.program.execute(&ctx) {
                let why = if r.spec.description.is_empty() {
                    r.spec.id.clone()
                } else {
                    r.spec.description.clone()
                };
                out.push(SignalHit::new(
                    format!("rule.{}", r.spec.id),
                    severity_score(&r.spec.severity),
                    why,
                ));
            }
        }
    }

    /// Checks every rule against its samples; returns one message per failing sample.
    pub fn self_test(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for r in &self.rules {
            let single = RuleSet {
                env: self.env.clone(),
                rules: Vec::new(),
            };
            let mut single = single;
            if single.add(r.spec.clone()).is_err() {
                continue;
            }
            for (i, s) in r.spec.samples.iter().enumerate() {
                let e = match crate::adapters::parse_value(&s.event) {
                    Ok(e) => e,
                    Err(err) => {
                        failures.push(format!("{} sample {i}: {err}", r.spec.id));
                        continue;
                    }
                };
                let mut out = Vec::new();
                single.evaluate(&e, &[], &mut out);
                if out.is_empty() == s.matches {
                    failures.push(format!(
                        "{} sample {i}: expected match={}",
                        r.spec.id, s.matches
                    ));
                }
            }
        }
        failures
    }
}

/// The JSON the rule languages see: the normalized event, `params`/`details` as maps, `raw`.
pub(crate) fn event_view(e: &Event) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        let to_map = |pairs: &[(String, String)]| {
            let mut out = Map::new();
            for (k, val) in pairs {
                out.entry(k.clone())
                    .or_insert_with(|| Value::String(val.clone()));
            }
            Value::Object(out)
        };
        m.insert("params".into(), to_map(&e.parameters));
        m.insert("details".into(), to_map(&e.details));
        m.insert("raw".into(), e.raw.clone());
        m.insert(
            "ip".into(),
            e.ip.map(|i| Value::String(i.to_string()))
                .unwrap_or(Value::String(String::new())),
        );
        for k in [
            "user",
            "operation",
            "country",
            "app_id",
            "client_app",
            "protocol",
            "user_agent",
        ] {
            if m.get(k).is_some_and(Value::is_null) {
                m.insert(k.into(), Value::String(String::new()));
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
id: forward_to_freemail
description: Inbox rule forwarding to a free mail provider
severity: high
category: mailbox
when: 'event.operation == "New-InboxRule" && "ForwardTo" in event.params && event.params.ForwardTo.lowerAscii().endsWith("@gmail.com")'
samples:
  - match: true
    event: {"Operation": "New-InboxRule", "Workload": "Exchange", "RecordType": 1, "UserId": "a@contoso.com",
            "Parameters": [{"Name": "ForwardTo", "Value": "Thief@Gmail.com"}]}
  - match: false
    event: {"Operation": "New-InboxRule", "Workload": "Exchange", "RecordType": 1, "UserId": "a@contoso.com",
            "Parameters": [{"Name": "MoveToFolder", "Value": "Receipts"}]}
"#;

    #[test]
    fn yaml_rule_matches_its_samples() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("r.yaml");
        std::fs::write(&p, RULE).expect("write");
        let mut rs = RuleSet::new();
        rs.load_path(dir.path()).expect("load");
        assert_eq!(rs.len(), 1);
        assert!(rs.self_test().is_empty(), "{:?}", rs.self_test());
    }

    #[test]
    fn toml_rule_sees_signals() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("r.toml");
        std::fs::write(
            &p,
            "id = \"legacy_admin\"\nseverity = \"critical\"\nwhen = '\"signin.legacy_protocol\" in signals && event.user.startsWith(\"admin\")'\n",
        )
        .expect("write");
        let mut rs = RuleSet::new();
        rs.load_path(&p).expect("load");
        let e = crate::adapters::parse_value(&serde_json::json!({
            "createdDateTime": "2025-01-01T00:00:00Z", "userPrincipalName": "admin@x.com", "ipAddress": "1.2.3.4",
            "status": {"errorCode": 0}, "clientAppUsed": "IMAP"})).expect("parse");
        let mut out = Vec::new();
        rs.evaluate(
            &e,
            &[SignalHit::new("signin.legacy_protocol", 60, "x")],
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].score, 90);
        out.clear();
        rs.evaluate(&e, &[], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn bad_expression_is_an_error() {
        let mut rs = RuleSet::new();
        let spec: RuleSpec = serde_yaml::from_str("id: x\nwhen: 'event.user ==== '").expect("yaml");
        assert!(matches!(rs.add(spec), Err(RuleError::Compile { .. })));
    }
}
