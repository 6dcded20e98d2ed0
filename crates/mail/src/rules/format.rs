//! The rule file format, independent of mail: any analysis that exposes its facts to CEL can use
//! it (the identity analysis does, for sign-in and audit events). A file is YAML: either a list
//! of rules or `{rules: [...]}`; each rule is
//!
//! ```yaml
//! - id: cred-phish-brand
//!   description: A brand's name on a stranger's address, asking for credentials.
//!   severity: high            # info | low | medium | high | critical
//!   category: credential_phishing
//!   when: "has('identity.brand_name_mismatch') && has('content.credential_request')"
//!   samples:
//!     match: ["<an input that must match>"]
//!     no_match: ["<an input that must not>"]
//! ```
//!
//! Samples are inputs in the domain's own format (raw MIME for mail, JSON for events).

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Samples {
    #[serde(default, rename = "match")]
    pub must_match: Vec<String>,
    #[serde(default)]
    pub no_match: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    pub description: String,
    pub severity: Severity,
    pub category: String,
    pub when: String,
    #[serde(default)]
    pub samples: Samples,
    /// Where the rule was read from (file name), for messages.
    #[serde(skip)]
    pub origin: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{origin}: {reason}")]
    Parse { origin: String, reason: String },
    #[error("{origin}: rule {id}: {reason}")]
    Invalid {
        origin: String,
        id: String,
        reason: String,
    },
    #[error("{origin}: {source}")]
    Io {
        origin: String,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FileShape {
    List(Vec<RuleDef>),
    Map { rules: Vec<RuleDef> },
}

/// Parses one rule file's text.
pub fn parse_rules(text: &str, origin: &str) -> Result<Vec<RuleDef>, FormatError> {
    let shape: FileShape = serde_yaml::from_str(text).map_err(|e| FormatError::Parse {
        origin: origin.to_string(),
        reason: e.to_string(),
    })?;
    let mut rules = match shape {
        FileShape::List(r) => r,
        FileShape::Map { rules } => rules,
    };
    for r in &mut rules {
        r.origin = origin.to_string();
        let bad = |reason: &str| FormatError::Invalid {
            origin: origin.to_string(),
            id: r.id.clone(),
            reason: reason.to_string(),
        };
        if r.id.trim().is_empty()
            || !r
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(bad(
                "the id must be non-empty letters, digits, '-', '_' or '.'",
            ));
        }
        if r.when.trim().is_empty() {
            return Err(bad("`when` is empty"));
        }
        if r.category.trim().is_empty() {
            return Err(bad("`category` is empty"));
        }
    }
    Ok(rules)
}

/// Reads a rule file, or every `.yaml`/`.yml` file of a folder (sorted, not recursive).
pub fn load_path(path: &Path) -> Result<Vec<RuleDef>, FormatError> {
    let io = |e| FormatError::Io {
        origin: path.display().to_string(),
        source: e,
    };
    let mut out = Vec::new();
    if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        files.sort();
        for f in files {
            out.extend(load_path(&f)?);
        }
    } else {
        let text = std::fs::read_to_string(path).map_err(io)?;
        out.extend(parse_rules(&text, &path.display().to_string())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_shapes_and_rejects_bad_rules() {
        let a = "- id: a\n  description: d\n  severity: high\n  category: c\n  when: \"true\"\n";
        assert_eq!(parse_rules(a, "t").unwrap().len(), 1);
        let b = "rules:\n  - id: b\n    description: d\n    severity: low\n    category: c\n    when: \"x\"\n    samples: {match: [\"m\"], no_match: [\"n\"]}\n";
        let r = parse_rules(b, "t").unwrap();
        assert_eq!(r[0].samples.must_match, vec!["m"]);
        assert!(
            parse_rules(
                "- id: ''\n  description: d\n  severity: low\n  category: c\n  when: x\n",
                "t"
            )
            .is_err()
        );
        assert!(
            parse_rules(
                "- id: a\n  description: d\n  severity: huge\n  category: c\n  when: x\n",
                "t"
            )
            .is_err()
        );
        assert!(parse_rules("- id: a\n  description: d\n  severity: low\n  category: c\n  when: x\n  extra: 1\n", "t").is_err());
    }
}
