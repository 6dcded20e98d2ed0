//! The analyzer: parse, run the signal families, weigh, apply the rules, decide.

use std::collections::HashMap;

use std::sync::Arc;

use cel::Value;
use cel::objects::{Key, Map};
use serde::Serialize;

use crate::analysis;
use crate::analysis::qr::PictureMemo;
use crate::config::AnalyzerConfig;
use crate::context::Ctx;
use crate::error::{AnalysisError, ConfigError};
use crate::limits::MAX_MESSAGE_BYTES;
use crate::message::{Mail, parse};
use crate::rules::engine::RuleEngine;
use crate::rules::format::{RuleDef, Severity, load_path, parse_rules};
use crate::rules::weights::Weights;
use crate::rules::{BUILTIN_RULES, BUILTIN_WEIGHTS};
use crate::timing::{Phase, time};
use crate::verdict::{SignalHit, Verdict, VerdictKind};

/// The learned model's signal id (its full weight is in `signals.yaml`).
pub const MODEL_SIGNAL: &str = "model.phishing";

/// The model's probability below which it adds nothing: a linear model over words is sure of
/// most phishing, and legitimate mail it finds merely "likely" must not be pushed over the
/// suspicious threshold by it alone.
const MODEL_FLOOR: f64 = 0.9;

/// Builds verdicts for raw messages. Cheap to call, `Send + Sync`, does no I/O after `new`.
pub struct Analyzer {
    cfg: AnalyzerConfig,
    engine: RuleEngine,
    weights: Weights,
    pictures: PictureMemo,
}

/// What rules see: CEL variables `signals` (map of fired signal id to its weight), `score`
/// (sum of the weights), `sender` (`address`, `domain`, `name`), `subject`, `links` (hosts),
/// `attachments` (file names) and `topics` (phrase families found in the text). Each is built
/// as a CEL value directly, and only when a rule that runs reads it.
fn fact(ctx: &Ctx<'_>, signals: &[SignalHit], sum: i32, name: &str) -> Option<Value> {
    let text = |s: &str| Value::String(Arc::new(s.to_string()));
    let list = |v: Vec<Value>| Value::List(Arc::new(v));
    Some(match name {
        "signals" => Value::Map(Map {
            map: Arc::new(
                signals
                    .iter()
                    .map(|s| {
                        (
                            Key::String(Arc::new(s.id.clone())),
                            Value::Int(s.score as i64),
                        )
                    })
                    .collect(),
            ),
        }),
        "score" => Value::Int(sum as i64),
        "sender" => {
            let from = ctx.mail.from.clone().unwrap_or_default();
            let fields = [
                ("address", from.address),
                ("domain", from.domain),
                ("name", from.name),
            ];
            Value::Map(Map {
                map: Arc::new(
                    fields
                        .into_iter()
                        .map(|(k, v)| (Key::String(Arc::new(k.to_string())), text(&v)))
                        .collect::<HashMap<_, _>>(),
                ),
            })
        }
        "subject" => text(&ctx.mail.subject),
        // Each host once, so that a flood of links to one site cannot push the others out.
        "links" => {
            let mut seen = std::collections::HashSet::new();
            list(
                ctx.links
                    .iter()
                    .filter_map(|l| crate::analysis::links::host_of(&l.url))
                    .filter(|h| seen.insert(h.clone()))
                    .take(RULE_LINK_HOSTS)
                    .map(|h| text(&h))
                    .collect(),
            )
        }
        "attachments" => list(
            ctx.mail
                .attachments
                .iter()
                .take(100)
                .map(|a| text(&a.name))
                .collect(),
        ),
        "topics" => list(
            ctx.topics
                .hits
                .iter()
                .map(|(t, _)| text(&format!("{t:?}").to_ascii_lowercase()))
                .collect(),
        ),
        _ => return None,
    })
}

/// Hosts a rule's `links` list holds (each distinct host once, in the order found).
const RULE_LINK_HOSTS: usize = 1000;

/// The outcome of one rule sample in [`Analyzer::test_rules`].
#[derive(Debug, Clone, Serialize)]
pub struct SampleResult {
    pub rule: String,
    pub expected_match: bool,
    pub matched: bool,
    pub index: usize,
    pub error: Option<String>,
}

impl SampleResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.expected_match == self.matched
    }
}

impl Analyzer {
    /// Built-in rules and weights plus the rule files in `config.rule_paths`.
    pub fn new(config: AnalyzerConfig) -> Result<Self, ConfigError> {
        let weights = Weights::parse(BUILTIN_WEIGHTS)?;
        let mut defs: Vec<RuleDef> =
            parse_rules(BUILTIN_RULES, "builtin.yaml").map_err(|e| ConfigError::RuleFile {
                file: "builtin.yaml".into(),
                reason: e.to_string(),
            })?;
        for p in &config.rule_paths {
            defs.extend(load_path(p).map_err(|e| ConfigError::RuleFile {
                file: p.display().to_string(),
                reason: e.to_string(),
            })?);
        }
        let engine = RuleEngine::new(defs).map_err(|e| match e {
            crate::rules::engine::EngineError::Duplicate(id) => ConfigError::DuplicateRule(id),
            other => ConfigError::RuleExpression {
                id: String::new(),
                reason: other.to_string(),
            },
        })?;
        Ok(Self {
            cfg: config,
            engine,
            weights,
            pictures: PictureMemo::default(),
        })
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleDef> {
        self.engine.rules()
    }

    /// Forgets the pictures seen so far (see [`PictureMemo`]): the next messages' pictures
    /// are decoded again. For benchmarks that time the same messages pass after pass.
    pub fn forget_pictures(&self) {
        self.pictures.clear();
    }

    /// Analyzes one raw RFC 5322 message.
    pub fn analyze(&self, raw: &[u8]) -> Result<Verdict, AnalysisError> {
        self.analyze_inner(raw).map(|(v, _)| v)
    }

    /// The learned model's features of a message (what `ward train` fits on), from the named
    /// signals alone: the model's own signal is not among them.
    pub fn features(&self, raw: &[u8]) -> Result<Vec<String>, AnalysisError> {
        self.with_signals(raw, |ctx, signals, _| crate::model::features(ctx, &signals))
    }

    /// Parses and runs every signal family, then hands the context and the weighed signals
    /// (with their sum) to `f`.
    fn with_signals<R>(
        &self,
        raw: &[u8],
        f: impl FnOnce(&Ctx<'_>, Vec<SignalHit>, i32) -> R,
    ) -> Result<R, AnalysisError> {
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(AnalysisError::Empty);
        }
        if raw.len() > MAX_MESSAGE_BYTES {
            return Err(AnalysisError::TooLarge {
                size: raw.len(),
                limit: MAX_MESSAGE_BYTES,
            });
        }
        crate::message::check_is_message(raw).map_err(AnalysisError::NotAMessage)?;
        let (msg, headers_only) =
            time(Phase::Parse, || parse(raw)).ok_or(AnalysisError::Unparseable)?;
        let mail = time(Phase::Parse, || Mail::from_message(&msg, headers_only));
        let mut ctx = Ctx::new(&self.cfg, &self.pictures, mail);
        analysis::run_all(&mut ctx);
        let (signals, sum) = time(Phase::Facts, || self.signals(&ctx));
        Ok(f(&ctx, signals, sum))
    }

    fn analyze_inner(&self, raw: &[u8]) -> Result<(Verdict, Vec<String>), AnalysisError> {
        self.with_signals(raw, |ctx, signals, sum| self.decide(ctx, signals, sum))
    }

    /// The learned model's signal, when a model is configured: its points grow from 0 at
    /// [`MODEL_FLOOR`] to the signal's full weight at certainty, and its evidence names the
    /// features that moved it.
    fn model_signal(&self, ctx: &Ctx<'_>, signals: &[SignalHit]) -> Option<SignalHit> {
        let model = self.cfg.model.as_ref()?;
        let reading = model.read(&crate::model::features(ctx, signals));
        let full = f64::from(self.weights.of(MODEL_SIGNAL));
        let score = (full
            * ((reading.probability - MODEL_FLOOR) / (1.0 - MODEL_FLOOR)).clamp(0.0, 1.0))
        .round() as i32;
        (score > 0).then(|| SignalHit {
            id: MODEL_SIGNAL.into(),
            score,
            detail: format!(
                "a statistical model trained on labelled mail rates this {:.0} % phishing-like; most telling: {}",
                reading.probability * 100.0,
                reading
                    .top
                    .iter()
                    .map(|(f, _)| crate::model::describe(f))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    fn decide(
        &self,
        ctx: &Ctx<'_>,
        mut signals: Vec<SignalHit>,
        mut sum: i32,
    ) -> (Verdict, Vec<String>) {
        if let Some(hit) = self.model_signal(ctx, &signals) {
            sum += hit.score;
            signals.push(hit);
        }
        let (matched, errors) = time(Phase::Rules, || {
            self.engine
                .evaluate_with(signals.iter().map(|s| s.id.as_str()), |name| {
                    fact(ctx, &signals, sum, name)
                })
        });
        let matched_ids: Vec<String> = matched.iter().map(|r| r.id.clone()).collect();

        let points = |r: &RuleDef| self.weights.severity_points.of(r.severity);
        // The strongest matched rule's points count once (at its first), on top of the signals.
        let rule_points = matched.iter().map(|r| points(r)).max().unwrap_or(0);
        let top = matched.iter().position(|r| points(r) == rule_points);
        let mut max_sev = None;
        let mut cats: Vec<(Severity, String)> = Vec::new();
        for (i, r) in matched.iter().enumerate() {
            max_sev = max_sev.max(Some(r.severity));
            if !cats.iter().any(|(_, c)| *c == r.category) {
                cats.push((r.severity, r.category.clone()));
            }
            signals.push(SignalHit {
                id: format!("rule.{}", r.id),
                score: if top == Some(i) { rule_points } else { 0 },
                detail: r.description.clone(),
            });
        }
        let total = (sum + rule_points).clamp(0, 100);
        let t = &self.weights.thresholds;
        let mut verdict = if total >= t.malicious {
            VerdictKind::Malicious
        } else if total >= t.suspicious {
            VerdictKind::Suspicious
        } else {
            VerdictKind::Clean
        };
        match max_sev {
            Some(Severity::Critical) => verdict = VerdictKind::Malicious,
            Some(Severity::High) if verdict == VerdictKind::Clean => {
                verdict = VerdictKind::Suspicious
            }
            _ => {}
        }
        cats.sort_by_key(|c| std::cmp::Reverse(c.0));
        let mut categories: Vec<String> = cats.into_iter().map(|(_, c)| c).collect();
        if verdict != VerdictKind::Clean && categories.is_empty() {
            categories.push("unclassified".into());
        }
        if verdict == VerdictKind::Clean {
            categories.clear();
        }
        let _ = errors;
        (
            Verdict {
                verdict,
                score: total as u8,
                categories,
                signals,
            },
            matched_ids,
        )
    }

    /// The signals with their weights and their sum.
    fn signals(&self, ctx: &Ctx<'_>) -> (Vec<SignalHit>, i32) {
        let signals: Vec<SignalHit> = ctx
            .hits
            .iter()
            .map(|h| SignalHit {
                id: h.id.to_string(),
                score: self.weights.of(h.id),
                detail: h.detail.clone(),
            })
            .collect();
        let sum: i32 = signals.iter().map(|s| s.score).sum::<i32>().max(0);
        (signals, sum)
    }

    /// Runs every rule's samples: each `match` sample must make the rule fire, each `no_match`
    /// sample must not. Samples are raw messages.
    pub fn test_rules(&self) -> Vec<SampleResult> {
        let mut out = Vec::new();
        for r in self.engine.rules() {
            let cases = r
                .samples
                .must_match
                .iter()
                .map(|s| (true, s))
                .chain(r.samples.no_match.iter().map(|s| (false, s)));
            for (index, (expected, sample)) in cases.enumerate() {
                let res = self.analyze_inner(sample.as_bytes());
                let (matched, error) = match res {
                    Ok((_, ids)) => (ids.contains(&r.id), None),
                    Err(e) => (false, Some(e.to_string())),
                };
                out.push(SampleResult {
                    rule: r.id.clone(),
                    expected_match: expected,
                    matched,
                    index,
                    error,
                });
            }
        }
        out
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Analyzer>();
}
