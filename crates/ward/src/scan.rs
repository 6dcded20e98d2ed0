//! `ward scan`: analyze `.eml` files or folders of them offline, on every core, and print one
//! verdict per message — JSON lines (the contract in the README) or a readable table.
//!
//! Also home of `ward rules test` ([`run_rules_test`]): every rule's samples must (not) match.

use crate::words::plural;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;
use serde::Serialize;
use ward_mail::{Analyzer, AnalyzerConfig, SignalHit};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Table,
}

#[derive(clap::Args)]
pub struct ScanArgs {
    /// Files or folders to analyze (folders: every `.eml` file below them).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format: JSON lines (one object per message) or a table.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Extra rule files or folders, in the same format as the built-in pack.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Domains of the receiving organisation (for lookalike and trust checks).
    #[arg(long = "domain")]
    pub domains: Vec<String>,
    /// The learned layer: a model file `ward train` wrote (default: none, the named signals
    /// alone).
    #[arg(long)]
    pub model: Option<PathBuf>,
}

#[derive(Clone, clap::Args)]
pub struct RulesTestArgs {
    /// Extra rule files or folders to test with the built-in pack.
    pub paths: Vec<PathBuf>,
}

/// One output line.
#[derive(Serialize)]
struct Line {
    path: String,
    verdict: &'static str,
    score: u8,
    categories: Vec<String>,
    signals: Vec<SignalHit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Files to scan, in a stable order: explicit files as given, folders walked recursively for
/// `.eml` files (sorted).
fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out, 0);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 32 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        out.push(dir.to_path_buf());
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk(&e, out, depth + 1);
        } else if e.extension().is_some_and(|x| x.eq_ignore_ascii_case("eml")) {
            out.push(e);
        }
    }
}

fn analyze_file(analyzer: &Analyzer, path: &Path) -> Line {
    let shown = path.display().to_string();
    let err = |e: String| Line {
        path: shown.clone(),
        verdict: "error",
        score: 0,
        categories: Vec::new(),
        signals: Vec::new(),
        error: Some(e),
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return err("is a folder that could not be read".into()),
        Ok(m) if m.len() as usize > ward_mail::limits::MAX_MESSAGE_BYTES => {
            return err(format!(
                "file is {} bytes, over the {}-byte limit",
                m.len(),
                ward_mail::limits::MAX_MESSAGE_BYTES
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return err("no such file or folder".into());
        }
        Err(e) => return err(format!("cannot read: {e}")),
    }
    let raw = match std::fs::read(path) {
        Ok(r) => r,
        Err(e) => return err(format!("cannot read: {e}")),
    };
    match analyzer.analyze(&raw) {
        Ok(v) => Line {
            path: shown,
            verdict: v.verdict.as_str(),
            score: v.score,
            categories: v.categories,
            signals: v.signals,
            error: None,
        },
        Err(e) => err(e.to_string()),
    }
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let config = AnalyzerConfig {
        rule_paths: args.rules.clone(),
        accepted_domains: args.domains.clone(),
        model: args
            .model
            .as_deref()
            .map(crate::analyze::load_model)
            .transpose()?,
        ..AnalyzerConfig::default()
    };
    let analyzer = Analyzer::new(config)?;
    let files = collect(&args.paths);

    let bar = if files.len() >= 200 && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(files.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages {per_sec} eta {eta}",
        ) {
            b.set_style(style);
        }
        Some(b)
    } else {
        None
    };
    let lines: Vec<Line> = files
        .par_iter()
        .map(|p| {
            let l = analyze_file(&analyzer, p);
            if let Some(b) = &bar {
                b.inc(1);
            }
            l
        })
        .collect();
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Jsonl => {
            for l in &lines {
                serde_json::to_writer(&mut out, l)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Table => {
            let mut t = crate::words::table(["path", "verdict", "score", "categories", "why"]);
            for l in &lines {
                let mut s: Vec<&SignalHit> = l.signals.iter().filter(|s| s.score > 0).collect();
                s.sort_by_key(|h| std::cmp::Reverse(h.score));
                let why = match &l.error {
                    Some(e) => e.clone(),
                    None => s
                        .iter()
                        .take(3)
                        .map(|h| h.detail.clone())
                        .collect::<Vec<_>>()
                        .join("\n"),
                };
                t.add_row([
                    l.path.clone(),
                    l.verdict.to_string(),
                    l.score.to_string(),
                    l.categories.join(", "),
                    why,
                ]);
            }
            writeln!(out, "{t}")?;
            let flagged = lines
                .iter()
                .filter(|l| l.verdict == "suspicious" || l.verdict == "malicious")
                .count();
            let errors = lines.iter().filter(|l| l.verdict == "error").count();
            writeln!(
                out,
                "{} messages: {flagged} flagged, {errors} errors",
                lines.len()
            )?;
        }
    }
    out.flush()?;
    Ok(exit_code(&lines))
}

/// Like grep: 2 when any input could not be read or analysed (a missing path, an unreadable
/// file, bytes that are not a message), else 1 when any message is flagged, else 0.
fn exit_code(lines: &[Line]) -> ExitCode {
    let errors: Vec<&Line> = lines.iter().filter(|l| l.verdict == "error").collect();
    if let Some(first) = errors.first() {
        eprintln!(
            "ward scan: {} of {} could not be analysed (first: {}: {})",
            errors.len(),
            plural(lines.len() as u64, "input", "inputs"),
            first.path,
            first.error.as_deref().unwrap_or("error")
        );
        return ExitCode::from(2);
    }
    if lines
        .iter()
        .any(|l| l.verdict == "suspicious" || l.verdict == "malicious")
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `ward rules test [PATH...]`: runs every rule's samples; fails if any sample disagrees.
/// (Dispatched from `main.rs` as `ward rules test`.)
#[allow(dead_code)]
pub fn run_rules_test(args: RulesTestArgs) -> anyhow::Result<ExitCode> {
    let analyzer = Analyzer::new(AnalyzerConfig {
        rule_paths: args.paths,
        ..AnalyzerConfig::default()
    })?;
    let results = analyzer.test_rules();
    let mut failed = 0;
    for r in &results {
        if !r.passed() {
            failed += 1;
            let want = if r.expected_match {
                "match"
            } else {
                "not match"
            };
            match &r.error {
                Some(e) => println!(
                    "FAIL {} sample {}: should {want}; error: {e}",
                    r.rule, r.index
                ),
                None => println!("FAIL {} sample {}: should {want}", r.rule, r.index),
            }
        }
    }
    let rules = analyzer.rules().count();
    println!("{rules} rules, {} samples, {failed} failed", results.len());
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
