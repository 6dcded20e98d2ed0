//! `ward eval`: how well mail detection holds, measured honestly (issue 20, item 1); and
//! `ward train`: the learned layer fitted on earlier mail and judged on later mail in the same
//! run, against the named signals alone (item 2).
//!
//! Reads a corpus (`DIR/labels.csv`: `path,label`), analyses every message as it is and as a
//! content-only copy (transport headers removed, so era and route cannot separate the sets),
//! and reports, for all of the phishing and for its earlier and later halves by sample number:
//! recall at the default verdict, recall with at most 0.25 % and 1 % of legitimate mail
//! flagged (the threshold chosen from the legitimate mail's own scores), and ROC AUC.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde_json::json;
use ward_mail::eval::{AtFpr, Labelled, content_only, read_labels, recall_at_fpr, roc_auc};
use ward_mail::{Analyzer, AnalyzerConfig};

use crate::words::plural;

/// The false-positive ceilings every figure is given at.
const CEILINGS: [f64; 2] = [0.0025, 0.01];

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Corpus folders, each with a `labels.csv` (`path,label`; phish/ham).
    #[arg(required = true)]
    pub corpora: Vec<PathBuf>,
    /// Phishing with a sample number above this is the "later" part (default: the median
    /// sample number of the corpus's phishing).
    #[arg(long)]
    pub split_at: Option<u64>,
    /// One JSON object per corpus on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Extra rule files or folders, as for `ward scan`.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// The learned layer to use, a file `ward train` wrote (default: none, the named signals
    /// alone).
    #[arg(long)]
    pub model: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct TrainArgs {
    /// The corpus to fit on (a folder with labels.csv).
    pub corpus: PathBuf,
    /// Fit on phishing up to this sample number; the later phishing is held out.
    #[arg(long, default_value_t = 4000)]
    pub fit_until: u64,
    /// Share of the legitimate mail (by sample number) fitted on; the rest is held out.
    #[arg(long, default_value_t = 0.7)]
    pub ham_fit: f64,
    /// Where to write the model.
    #[arg(long, default_value = "crates/mail/model/phish-lr.json")]
    pub out: PathBuf,
    /// Legitimate mail of a simulated company (its newsletters, SaaS notices, invoices,
    /// invites, internal threads) added to the fit, at most this many messages: the public ham
    /// is from 2002, and without modern legitimate mail a model learns "modern means phishing".
    /// Another company, generated with another seed, is held out to measure that.
    #[arg(long, default_value_t = 1500)]
    pub generated_ham: usize,
}

/// The distinct legitimate messages of a simulated company (no attacks).
fn generated_ham(seed: u64, max: usize) -> Vec<Vec<u8>> {
    let company = ward_scenario::generate(&ward_scenario::ScenarioConfig {
        seed,
        users: 40,
        history_days: 10,
        attacks: false,
        ..ward_scenario::ScenarioConfig::default()
    });
    let mut seen = std::collections::HashSet::new();
    company
        .mailboxes
        .values()
        .flat_map(|m| m.messages.iter())
        .filter(|m| seen.insert(m.mime.clone()))
        .map(|m| m.mime.clone())
        .take(max)
        .collect()
}

/// One message's scores: as it is and content-only; `None` where analysis failed.
struct Scored<'a> {
    row: &'a Labelled,
    scores: [Option<(f64, bool)>; 2],
}

pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let analyzer = Analyzer::new(AnalyzerConfig {
        rule_paths: args.rules.clone(),
        model: args
            .model
            .as_deref()
            .map(crate::analyze::load_model)
            .transpose()?,
        ..AnalyzerConfig::default()
    })?;
    for dir in &args.corpora {
        let (rows, skipped) = read_labels(dir).with_context(|| {
            format!(
                "cannot read {}: a corpus folder holds labels.csv (path,label)",
                dir.join("labels.csv").display()
            )
        })?;
        if !args.json {
            eprintln!(
                "{}: {} ({} skipped), analysing each as it is and content-only…",
                dir.display(),
                plural(rows.len() as u64, "labelled message", "labelled messages"),
                skipped
            );
        }
        let scored: Vec<Scored> = rows
            .par_iter()
            .map(|row| {
                let raw = std::fs::read(&row.path).ok();
                let score = |bytes: &[u8]| {
                    analyzer
                        .analyze(bytes)
                        .ok()
                        .map(|v| (f64::from(v.score), v.is_flagged()))
                };
                Scored {
                    row,
                    scores: match raw {
                        Some(raw) => [score(&raw), score(&content_only(&raw))],
                        None => [None, None],
                    },
                }
            })
            .collect();
        let failed = scored.iter().filter(|s| s.scores[0].is_none()).count();
        let split = args.split_at.or_else(|| median_phish_number(&rows));
        let report = report(dir, &scored, split, failed);
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print_table(&report);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn median_phish_number(rows: &[Labelled]) -> Option<u64> {
    let mut n: Vec<u64> = rows
        .iter()
        .filter(|r| r.phish)
        .filter_map(|r| r.number)
        .collect();
    n.sort_unstable();
    n.get(n.len() / 2).copied()
}

fn report(
    dir: &std::path::Path,
    scored: &[Scored],
    split: Option<u64>,
    failed: usize,
) -> serde_json::Value {
    let mut modes = serde_json::Map::new();
    for (m, mode) in ["as_is", "content_only"].into_iter().enumerate() {
        let ham: Vec<(f64, bool)> = scored
            .iter()
            .filter(|s| !s.row.phish)
            .filter_map(|s| s.scores[m])
            .collect();
        let mut parts = serde_json::Map::new();
        for (part, keep) in [
            ("all", None),
            ("earlier", Some(false)),
            ("later", Some(true)),
        ] {
            let phish: Vec<(f64, bool)> = scored
                .iter()
                .filter(|s| s.row.phish)
                .filter(|s| match (keep, split, s.row.number) {
                    (None, _, _) => true,
                    (Some(later), Some(at), Some(n)) => (n > at) == later,
                    _ => false,
                })
                .filter_map(|s| s.scores[m])
                .collect();
            if phish.is_empty() {
                continue;
            }
            parts.insert(part.into(), figures(&phish, &ham));
        }
        modes.insert(mode.into(), serde_json::Value::Object(parts));
    }
    json!({
        "corpus": dir.display().to_string(),
        "phish": scored.iter().filter(|s| s.row.phish).count(),
        "ham": scored.iter().filter(|s| !s.row.phish).count(),
        "unreadable_or_failed": failed,
        "split_at": split,
        "modes": modes,
    })
}

fn figures(phish: &[(f64, bool)], ham: &[(f64, bool)]) -> serde_json::Value {
    let p: Vec<f64> = phish.iter().map(|s| s.0).collect();
    let h: Vec<f64> = ham.iter().map(|s| s.0).collect();
    let share = |xs: &[(f64, bool)], f: fn(&(f64, bool)) -> bool| {
        xs.iter().filter(|x| f(x)).count() as f64 / xs.len().max(1) as f64
    };
    let at: Vec<AtFpr> = CEILINGS.iter().map(|c| recall_at_fpr(&p, &h, *c)).collect();
    json!({
        "phish": phish.len(),
        "recall_default": share(phish, |s| s.1),
        "fpr_default": share(ham, |s| s.1),
        "no_signal_misses": share(phish, |s| s.0 == 0.0),
        "at_fpr": at.iter().map(|a| json!({
            "max_fpr": a.max_fpr, "threshold": a.threshold, "recall": a.recall, "fpr": a.fpr,
        })).collect::<Vec<_>>(),
        "roc_auc": roc_auc(&p, &h),
    })
}

fn print_table(r: &serde_json::Value) {
    println!(
        "\n{} — {} phishing, {} legitimate{}; later = phishing sample number > {}",
        r["corpus"].as_str().unwrap_or(""),
        r["phish"],
        r["ham"],
        match r["unreadable_or_failed"].as_u64() {
            Some(0) | None => String::new(),
            Some(n) => format!(", {n} unreadable"),
        },
        r["split_at"]
    );
    let mut t = crate::words::table([
        "mode",
        "phishing",
        "n",
        "flagged (default)",
        "legit flagged",
        "recall @ ≤0.25 % FP",
        "recall @ ≤1 % FP",
        "ROC AUC",
        "no signal",
    ]);
    let pct = |v: &serde_json::Value| format!("{:.1} %", v.as_f64().unwrap_or(0.0) * 100.0);
    for mode in ["as_is", "content_only"] {
        let Some(parts) = r["modes"][mode].as_object() else {
            continue;
        };
        for (part, f) in parts {
            t.add_row([
                mode.replace('_', "-"),
                part.clone(),
                f["phish"].to_string(),
                pct(&f["recall_default"]),
                pct(&f["fpr_default"]),
                pct(&f["at_fpr"][0]["recall"]),
                pct(&f["at_fpr"][1]["recall"]),
                format!("{:.3}", f["roc_auc"].as_f64().unwrap_or(f64::NAN)),
                pct(&f["no_signal_misses"]),
            ]);
        }
    }
    println!("{t}");
}

pub fn run_train(args: TrainArgs) -> Result<ExitCode> {
    use ward_mail::model::{TrainOptions, train};
    let (rows, _) = read_labels(&args.corpus).with_context(|| {
        format!(
            "cannot read {}: a corpus folder holds labels.csv (path,label)",
            args.corpus.join("labels.csv").display()
        )
    })?;
    // Legitimate mail has no campaign dates: its earlier share (by sample number) is fitted.
    let mut ham_numbers: Vec<u64> = rows
        .iter()
        .filter(|r| !r.phish)
        .filter_map(|r| r.number)
        .collect();
    ham_numbers.sort_unstable();
    let ham_cut = ham_numbers
        .get(((ham_numbers.len() as f64) * args.ham_fit.clamp(0.0, 1.0)) as usize)
        .copied()
        .unwrap_or(u64::MAX);
    let fitted = |r: &Labelled| match (r.phish, r.number) {
        (true, Some(n)) => n <= args.fit_until,
        (false, Some(n)) => n < ham_cut,
        _ => false,
    };
    let rules_only = Analyzer::new(AnalyzerConfig::default())?;
    eprintln!(
        "{}: reading the features of {} (as they are and content-only)…",
        args.corpus.display(),
        plural(rows.len() as u64, "message", "messages")
    );
    // Each fitted message is seen as it is and content-only, so the model does not lean on
    // what a content-only copy lacks.
    let docs: Vec<(Vec<String>, bool)> = rows
        .par_iter()
        .filter(|r| fitted(r))
        .flat_map_iter(|r| {
            let raw = std::fs::read(&r.path).unwrap_or_default();
            [raw.clone(), content_only(&raw)]
                .into_iter()
                .filter_map(|b| rules_only.features(&b).ok())
                .map(|f| (f, r.phish))
                .collect::<Vec<_>>()
        })
        .collect();
    let modern: Vec<(Vec<String>, bool)> = generated_ham(1, args.generated_ham)
        .par_iter()
        .filter_map(|m| rules_only.features(m).ok())
        .map(|f| (f, false))
        .collect();
    let generated = modern.len();
    let mut docs = docs;
    docs.extend(modern);
    let fit_phish = rows.iter().filter(|r| r.phish && fitted(r)).count();
    let fit_ham = rows.iter().filter(|r| !r.phish && fitted(r)).count();
    let trained_on = format!(
        "{}: {fit_phish} phishing with sample number <= {}, {fit_ham} legitimate with sample number < {ham_cut}, each as-is and content-only; {generated} legitimate messages of a simulated company (seed 1)",
        args.corpus
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        args.fit_until
    );
    let model = train(&docs, &TrainOptions::default(), trained_on);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&model)? + "\n")
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "wrote {} ({} features)",
        args.out.display(),
        model.weights.len()
    );

    // Judged on what it never saw — later phishing, the held-out legitimate mail — against
    // the named signals alone, in this same run.
    let with_model = Analyzer::new(AnalyzerConfig {
        model: Some(std::sync::Arc::new(model)),
        ..AnalyzerConfig::default()
    })?;
    let held: Vec<&Labelled> = rows.iter().filter(|r| !fitted(r)).collect();
    let scores: Vec<(bool, [Option<f64>; 4])> = held
        .par_iter()
        .map(|r| {
            let raw = std::fs::read(&r.path).unwrap_or_default();
            let co = content_only(&raw);
            let s = |a: &Analyzer, b: &[u8]| a.analyze(b).ok().map(|v| f64::from(v.score));
            (
                r.phish,
                [
                    s(&rules_only, &raw),
                    s(&with_model, &raw),
                    s(&rules_only, &co),
                    s(&with_model, &co),
                ],
            )
        })
        .collect();
    // Modern legitimate mail the fit never saw: another simulated company.
    let other: Vec<[Option<f64>; 2]> = generated_ham(2, args.generated_ham)
        .par_iter()
        .map(|m| {
            let s = |a: &Analyzer| a.analyze(m).ok().map(|v| f64::from(v.score));
            [s(&rules_only), s(&with_model)]
        })
        .collect();
    let mut t = crate::words::table([
        "held out",
        "phishing",
        "legit",
        "recall @ ≤0.25 % FP",
        "recall @ ≤1 % FP",
        "ROC AUC",
        "modern legit over the ≤0.25 % threshold",
    ]);
    for (i, name) in [
        "as-is, named signals",
        "as-is, with the model",
        "content-only, named signals",
        "content-only, with the model",
    ]
    .into_iter()
    .enumerate()
    {
        let p: Vec<f64> = scores
            .iter()
            .filter(|s| s.0)
            .filter_map(|s| s.1[i])
            .collect();
        let h: Vec<f64> = scores
            .iter()
            .filter(|s| !s.0)
            .filter_map(|s| s.1[i])
            .collect();
        let at: Vec<AtFpr> = CEILINGS.iter().map(|c| recall_at_fpr(&p, &h, *c)).collect();
        let modern_over = match (i, at[0].threshold) {
            (0 | 1, Some(t)) => {
                let over = other
                    .iter()
                    .filter(|o| o[i].is_some_and(|s| s >= t))
                    .count();
                format!("{over} of {}", other.len())
            }
            _ => "-".into(),
        };
        t.add_row([
            name.to_owned(),
            p.len().to_string(),
            h.len().to_string(),
            format!("{:.1} %", at[0].recall * 100.0),
            format!("{:.1} %", at[1].recall * 100.0),
            format!("{:.3}", roc_auc(&p, &h)),
            modern_over,
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}
