//! `ward eval`: how well mail detection holds, measured honestly (issue 20, item 1).
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
}

/// One message's scores: as it is and content-only; `None` where analysis failed.
struct Scored<'a> {
    row: &'a Labelled,
    scores: [Option<(f64, bool)>; 2],
}

pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let analyzer = Analyzer::new(AnalyzerConfig {
        rule_paths: args.rules.clone(),
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
