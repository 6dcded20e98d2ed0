//! Typed errors of the analyzer.

use thiserror::Error;

/// Why a message could not be analysed. Everything else gets a verdict.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AnalysisError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("the message could not be parsed as MIME")]
    Unparseable,
    /// The bytes do not start with header fields: random data, a text file, a binary.
    #[error("not an email message: {0}")]
    NotAMessage(&'static str),
    #[error("rule evaluation failed: {0}")]
    Rule(String),
}

/// Why an analyzer could not be built from its configuration or rules.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("rule file {file}: {reason}")]
    RuleFile { file: String, reason: String },
    #[error("rule {id}: the expression does not compile: {reason}")]
    RuleExpression { id: String, reason: String },
    #[error("duplicate rule id {0}")]
    DuplicateRule(String),
    #[error("signal weights: {0}")]
    Weights(String),
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
