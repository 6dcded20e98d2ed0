//! Mail analysis: MIME parsing, named explainable signals, rules as data, verdicts.
//!
//! The shape follows Stalwart's spam filter: the message is parsed once into a bounded
//! [`message::Mail`] view, then one module per signal family (`analysis/*`) adds named
//! [`SignalHit`]s with plain-words evidence to a shared [`context::Ctx`]. Signal weights and the
//! composite rules that turn signals into verdicts and categories live in data
//! (`rules/signals.yaml`, `rules/builtin.yaml`), evaluated with CEL.

pub mod analysis;
pub mod config;
pub mod context;
pub mod error;
pub mod eval;
pub mod fingerprint;
pub mod html;
pub mod lexicon;
pub mod limits;
pub mod message;
pub mod model;
pub mod rules;
pub mod text;
pub mod timing;
pub mod verdict;

mod analyzer;
#[cfg(test)]
mod test_rng;

pub use analyzer::Analyzer;
pub use config::{AnalyzerConfig, KnownSenders, Vip};
pub use error::{AnalysisError, ConfigError};
pub use verdict::{Category, SignalHit, Verdict, VerdictKind};
