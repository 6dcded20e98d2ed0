//! Decision as data: the generic rule-file format ([`mod@format`]), the CEL engine that evaluates
//! rules over a message's signals ([`engine`]), and the signal weights and verdict thresholds
//! ([`weights`]).

pub mod engine;
pub mod format;
mod native;
pub mod weights;

/// The built-in mail rule pack and weights, compiled into the binary.
pub const BUILTIN_RULES: &str = include_str!("../../rules/builtin.yaml");
pub const BUILTIN_WEIGHTS: &str = include_str!("../../rules/signals.yaml");
