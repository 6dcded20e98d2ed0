//! `ward hunt`: analyse audit and sign-in event files offline. One JSON object per input event
//! (`{path, index, verdict, signals}`), then one per incident (`{incident: {...}}`); or a readable
//! table of alerts and incident timelines.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use crate::words::plural;
use ward_identity::reader::read_file;
use ward_identity::{
    Correlator, Detector, DetectorConfig, GeoConfig, Incident, SignalHit, is_alert, total_score,
};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Table,
}

#[derive(clap::Args)]
pub struct HuntArgs {
    /// Event files or folders of them (JSON, JSON lines, CSV).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format; default `table` on a terminal, `jsonl` otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Folder (or file) of SigmaHQ rules for Microsoft 365 / Azure logs to apply too.
    #[arg(long)]
    pub sigma: Vec<PathBuf>,
    /// User rule files or folders (YAML / TOML with a CEL `when`).
    #[arg(long)]
    pub rules: Vec<PathBuf>,
    /// Folder with `country.mmdb`, `asn-ipv4.csv`, `asn-ipv6.csv` (default: $WARD_GEOIP_DIR,
    /// else ./.ward/geoip when present).
    #[arg(long, env = "WARD_GEOIP_DIR")]
    pub geoip: Option<PathBuf>,
    /// The organisation's mail domains (forwarding to them is internal).
    #[arg(long = "domain")]
    pub domains: Vec<String>,
    /// Show a progress bar on stderr (default: when stderr is a terminal).
    #[arg(long)]
    pub progress: bool,
}

const EXTENSIONS: &[&str] = &["json", "jsonl", "ndjson", "csv", "log"];

fn collect_files(arg: &Path, out: &mut Vec<PathBuf>, depth: usize) -> anyhow::Result<()> {
    if arg.is_dir() {
        if depth > 32 {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(arg)
            .with_context(|| format!("cannot read folder {}", arg.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                collect_files(&p, out, depth + 1)?;
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
            {
                out.push(p);
            }
        }
    } else {
        out.push(arg.to_path_buf());
    }
    Ok(())
}

struct Alert {
    path: String,
    index: usize,
    time: String,
    user: String,
    hits: Vec<SignalHit>,
}

pub fn run(args: HuntArgs) -> anyhow::Result<ExitCode> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let geo_dir = args.geoip.clone().or_else(|| {
        let d = PathBuf::from(".ward/geoip");
        d.is_dir().then_some(d)
    });
    let cfg = DetectorConfig {
        geoip: geo_dir.as_deref().map(GeoConfig::from_dir),
        rule_paths: args.rules.clone(),
        sigma_paths: args.sigma.clone(),
        internal_domains: args
            .domains
            .iter()
            .map(|d| d.to_ascii_lowercase())
            .collect(),
        ..DetectorConfig::default()
    };
    let mut detector = Detector::new(cfg).context("cannot set up the detector")?;
    let (rules, sigma, skipped) = detector.rule_counts();
    if sigma + skipped > 0 || rules > 0 {
        eprintln!(
            "ward hunt: {rules} user rules, {sigma} Sigma rules loaded ({skipped} Sigma files skipped: other products or unsupported)"
        );
    }
    for failure in detector.rule_self_test() {
        eprintln!("ward hunt: rule sample failed: {failure}");
    }
    let mut files = Vec::new();
    for p in &args.paths {
        collect_files(p, &mut files, 0)?;
    }
    let show_progress = args.progress || std::io::stderr().is_terminal();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut correlator = Correlator::default();
    let mut alerts: Vec<Alert> = Vec::new();
    let (mut events, mut alerted, mut errors, mut unreadable) = (0u64, 0u64, 0u64, 0u64);
    for file in &files {
        let path = file.display().to_string();
        let reader = match read_file(file) {
            Ok(r) => r,
            Err(err) => {
                if file.exists() {
                    eprintln!("ward hunt: cannot read {path}: {err}");
                } else {
                    eprintln!("ward hunt: {path}: no such file or folder");
                }
                unreadable += 1;
                continue;
            }
        };
        let bar = show_progress.then(|| {
            let b = indicatif::ProgressBar::new(reader.progress().1);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {bytes}/{total_bytes} {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_message(path.clone());
            b
        });
        let mut reader = reader;
        let mut n = 0u64;
        while let Some((index, item)) = reader.next() {
            n += 1;
            if let Some(b) = &bar
                && n.is_multiple_of(4096)
            {
                b.set_position(reader.progress().0);
            }
            events += 1;
            let mut event = match item {
                Ok(e) => e,
                Err(err) => {
                    errors += 1;
                    if format == Format::Jsonl {
                        serde_json::to_writer(
                            &mut out,
                            &json!({"path": path, "index": index, "verdict": "error", "error": err.to_string(), "signals": []}),
                        )?;
                        out.write_all(b"\n")?;
                    }
                    continue;
                }
            };
            detector.enrich(&mut event);
            let hits = detector.observe_enriched(&event);
            let alert = is_alert(&hits);
            correlator.add(&event, &hits);
            if alert {
                alerted += 1;
            }
            match format {
                Format::Jsonl => {
                    serde_json::to_writer(
                        &mut out,
                        &json!({"path": path, "index": index, "verdict": if alert { "alert" } else { "clean" }, "signals": hits}),
                    )?;
                    out.write_all(b"\n")?;
                }
                Format::Table if alert && alerts.len() < 10_000 => alerts.push(Alert {
                    path: path.clone(),
                    index,
                    time: event
                        .time
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_default(),
                    user: event.user.clone().unwrap_or_default(),
                    hits,
                }),
                Format::Table => {}
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    }
    let incidents = correlator.finish();
    match format {
        Format::Jsonl => {
            for inc in &incidents {
                serde_json::to_writer(&mut out, &json!({ "incident": inc }))?;
                out.write_all(b"\n")?;
            }
        }
        Format::Table => print_table(&mut out, &alerts, &incidents)?,
    }
    out.flush()?;
    eprintln!(
        "ward hunt: {}, {}, {}, {errors} unrecognised, {}",
        plural(files.len() as u64, "file", "files"),
        plural(events, "event", "events"),
        plural(alerted, "alert", "alerts"),
        plural(incidents.len() as u64, "incident", "incidents"),
    );
    // 2 when an input could not be read at all (what it would have shown is unknown), else 1
    // when anything alerted, else 0. Unrecognised lines inside a readable file are counted and
    // shown, not fatal: real exports carry headers and other products' rows.
    Ok(if unreadable > 0 {
        eprintln!(
            "ward hunt: {} could not be read",
            plural(unreadable, "input", "inputs")
        );
        ExitCode::from(2)
    } else if alerted > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_table(
    out: &mut impl Write,
    alerts: &[Alert],
    incidents: &[Incident],
) -> anyhow::Result<()> {
    let mut t = crate::words::table(["time", "user", "score", "signals", "where"]);
    for a in alerts {
        let sig = a
            .hits
            .iter()
            .map(|h| format!("{} ({}): {}", h.id, h.score, h.detail))
            .collect::<Vec<_>>()
            .join("\n");
        t.add_row([
            a.time.clone(),
            a.user.clone(),
            total_score(&a.hits).to_string(),
            sig,
            format!("{}:{}", a.path, a.index),
        ]);
    }
    writeln!(out, "{t}")?;
    for inc in incidents {
        writeln!(
            out,
            "\n{} [{}] {} — {} — {} → {}",
            inc.id,
            inc.severity,
            inc.user,
            inc.kind,
            inc.first_seen.map(|t| t.to_rfc3339()).unwrap_or_default(),
            inc.last_seen.map(|t| t.to_rfc3339()).unwrap_or_default()
        )?;
        for s in &inc.steps {
            let times = if s.count > 1 {
                format!(" ×{}", s.count)
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {}  {:<36} {:>3}  {}{times}",
                s.time
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_else(|| "-".repeat(19)),
                s.signal,
                s.score,
                s.detail
            )?;
        }
    }
    Ok(())
}
