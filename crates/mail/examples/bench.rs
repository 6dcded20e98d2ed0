//! Throughput of MIME parsing alone versus full analysis, on one thread, over every `.eml`
//! under the given folders (read into memory first). Used by `scripts/bench-scan`.
//!
//! `cargo run --release -p ward-mail --example bench -- DIR [ROUNDS]`
//!
//! Each round times one parse-only pass and one analysis pass over all messages, back to back,
//! so that both see the same machine load; the figures are the medians over the rounds (and the
//! best round). Then as many rounds time the two message by message, interleaved
//! (`interleaved_ratio`): on a machine whose load changes from one pass to the next, that ratio
//! moves far less. With `--features phase-timing`, the time per analysis phase is printed too.
//!
//! The analyzer remembers the QR codes of the pictures it has decoded (`PictureMemo`); it is
//! made to forget them before each timed pass, so that every pass is one fresh scan of the
//! corpus, where only the pictures repeated within the corpus are decoded once.
//!
//! Environment: `WARD_BENCH_DUMP=FILE` writes each message's verdict, score and signals (to
//! check that two builds judge every message the same); `WARD_BENCH_SLOWEST=N` lists the N
//! costliest messages, with their costliest phases under `phase-timing`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ward_mail::{Analyzer, AnalyzerConfig};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "eml") {
            out.push(p);
        }
    }
}

/// One pass of parsing alone over `msgs`: the MIME parts found. Not inlined, so that
/// `callgrind --toggle-collect=*parse_pass*` counts its instructions alone (`scripts/bench-scan`).
#[inline(never)]
fn parse_pass(parser: &mail_parser::MessageParser, msgs: &[Vec<u8>]) -> usize {
    msgs.iter()
        .map(|m| parser.parse(m).map(|p| p.parts.len()).unwrap_or(0))
        .sum()
}

/// One pass of analysis over `msgs`: the messages flagged. Not inlined, as [`parse_pass`].
#[inline(never)]
fn analysis_pass(analyzer: &Analyzer, msgs: &[Vec<u8>]) -> usize {
    msgs.iter()
        .map(|m| {
            analyzer
                .analyze(m)
                .map(|v| v.is_flagged() as usize)
                .unwrap_or(0)
        })
        .sum()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: bench DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let mut files = Vec::new();
    walk(Path::new(dir), &mut files);
    files.sort();
    files.retain(|f| std::fs::metadata(f).is_ok_and(|m| m.is_file()));
    let (files, msgs): (Vec<PathBuf>, Vec<Vec<u8>>) = files
        .into_iter()
        .filter_map(|f| std::fs::read(&f).ok().map(|m| (f, m)))
        .unzip();
    let n = msgs.len() as f64;

    let parser = mail_parser::MessageParser::default();
    let analyzer = match Analyzer::new(AnalyzerConfig::default()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("analyzer: {e}");
            std::process::exit(1);
        }
    };
    // One warm-up pass each (lazy statics, caches, page faults). With `WARD_BENCH_DUMP=FILE`,
    // the warm-up pass writes each message's verdict, score and signal ids there, one line per
    // file, so that two builds can be checked to judge every message the same.
    let mut dump = String::new();
    for (f, m) in files.iter().zip(&msgs) {
        let _ = parser.parse(m);
        let v = analyzer.analyze(m);
        if let Ok(v) = v {
            let ids: Vec<&str> = v.signals.iter().map(|h| h.id.as_str()).collect();
            dump.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                f.display(),
                v.verdict.as_str(),
                v.score,
                ids.join(",")
            ));
        }
    }
    // With `WARD_BENCH_SLOWEST=N`, the N messages whose analysis takes longest (best of three
    // runs each) are listed with their time: where to look first.
    if let Some(k) = std::env::var("WARD_BENCH_SLOWEST")
        .ok()
        .and_then(|k| k.parse::<usize>().ok())
    {
        let _ = ward_mail::timing::take();
        let mut times: Vec<(f64, &PathBuf, String)> = files
            .iter()
            .zip(&msgs)
            .map(|(f, m)| {
                let best = (0..3)
                    .map(|_| {
                        analyzer.forget_pictures();
                        let t = Instant::now();
                        let _ = analyzer.analyze(m);
                        t.elapsed().as_secs_f64()
                    })
                    .fold(f64::INFINITY, f64::min);
                // With phase timing, the three costliest phases (over the three runs).
                let mut phases = ward_mail::timing::take();
                phases.sort_by_key(|p| std::cmp::Reverse(p.1));
                let top: Vec<String> = phases
                    .iter()
                    .take(3)
                    .map(|(p, ns)| format!("{} {:.0}", p.name(), *ns as f64 / 3e3))
                    .collect();
                (best, f, top.join(", "))
            })
            .collect();
        times.sort_by(|a, b| b.0.total_cmp(&a.0));
        let all: f64 = times.iter().map(|t| t.0).sum();
        eprintln!(
            "slowest messages (µs, share of one pass of {:.1} ms):",
            all * 1e3
        );
        for (t, f, top) in times.iter().take(k) {
            eprintln!(
                "{:>9.0}  {:>5.1} %  {}  {top}",
                t * 1e6,
                100.0 * t / all,
                f.display()
            );
        }
    }
    if let Ok(path) = std::env::var("WARD_BENCH_DUMP")
        && let Err(e) = std::fs::write(&path, dump)
    {
        eprintln!("{path}: {e}");
    }
    let _ = ward_mail::timing::take();

    let (mut parse_s, mut analyze_s, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut parts = 0usize;
    let mut flagged = 0usize;
    for _ in 0..rounds {
        let t = Instant::now();
        parts += parse_pass(&parser, &msgs);
        let p = t.elapsed().as_secs_f64();
        analyzer.forget_pictures();
        let t = Instant::now();
        flagged += analysis_pass(&analyzer, &msgs);
        let a = t.elapsed().as_secs_f64();
        parse_s.push(p);
        analyze_s.push(a);
        ratios.push(a / p);
    }
    // The same ratio with the two interleaved message by message (each message parsed, then
    // analysed, or the other way round on odd rounds): both see the same moment of the
    // machine, so a noisy neighbour slows both alike instead of one pass of the two.
    let seconds = |f: &dyn Fn()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    };
    let mut interleaved = Vec::new();
    for round in 0..rounds {
        analyzer.forget_pictures();
        let (mut p, mut a) = (0f64, 0f64);
        for m in &msgs {
            let parse = || {
                std::hint::black_box(parser.parse(m).map(|p| p.parts.len()));
            };
            let analyze = || {
                std::hint::black_box(analyzer.analyze(m).is_ok());
            };
            if round % 2 == 0 {
                p += seconds(&parse);
                a += seconds(&analyze);
            } else {
                a += seconds(&analyze);
                p += seconds(&parse);
            }
        }
        interleaved.push(a / p);
    }
    let phases = ward_mail::timing::take();
    let best_ratio = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let (pm, am, rm, im) = (
        median(&mut parse_s),
        median(&mut analyze_s),
        median(&mut ratios),
        median(&mut interleaved),
    );
    println!(
        "{{\"messages\": {}, \"rounds\": {rounds}, \"parse_msgs_per_s\": {:.0}, \"analyze_msgs_per_s\": {:.0}, \"analysis_over_parse\": {rm:.2}, \"best_round_ratio\": {best_ratio:.2}, \"interleaved_ratio\": {im:.2}, \"parts\": {}, \"flagged\": {}}}",
        msgs.len(),
        n / pm,
        n / am,
        parts / rounds,
        flagged / rounds
    );
    let total: u64 = phases.iter().map(|(_, ns)| ns).sum();
    if total > 0 {
        // The phases ran in both the pass-by-pass and the interleaved rounds.
        let per_msg = |ns: u64| ns as f64 / 1000.0 / (n * 2.0 * rounds as f64);
        eprintln!(
            "phase            µs/msg   share  (nested QR-in-PDF time counts in attachments and qr)"
        );
        for (p, ns) in &phases {
            eprintln!(
                "{:<14} {:>8.1}  {:>5.1} %",
                p.name(),
                per_msg(*ns),
                100.0 * *ns as f64 / total as f64
            );
        }
        eprintln!("parse alone    {:>8.1}", pm * 1e6 / n);
    }
}
