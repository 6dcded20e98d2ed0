//! Signal weights and verdict thresholds, read from data (`rules/signals.yaml`).

use std::collections::HashMap;

use serde::Deserialize;

use super::format::Severity;
use crate::error::ConfigError;

#[derive(Debug, Clone, Deserialize)]
pub struct Thresholds {
    pub suspicious: i32,
    pub malicious: i32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SeverityPoints {
    pub info: i32,
    pub low: i32,
    pub medium: i32,
    pub high: i32,
    pub critical: i32,
}

impl SeverityPoints {
    pub fn of(&self, s: Severity) -> i32 {
        match s {
            Severity::Info => self.info,
            Severity::Low => self.low,
            Severity::Medium => self.medium,
            Severity::High => self.high,
            Severity::Critical => self.critical,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Weights {
    pub thresholds: Thresholds,
    pub severity_points: SeverityPoints,
    pub signals: HashMap<String, i32>,
}

impl Weights {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let w: Weights =
            serde_yaml::from_str(text).map_err(|e| ConfigError::Weights(e.to_string()))?;
        if w.thresholds.suspicious <= 0 || w.thresholds.malicious <= w.thresholds.suspicious {
            return Err(ConfigError::Weights(
                "thresholds must satisfy 0 < suspicious < malicious".into(),
            ));
        }
        Ok(w)
    }

    pub fn of(&self, id: &str) -> i32 {
        self.signals.get(id).copied().unwrap_or(0)
    }
}
