//! Throughput of MIME parsing alone versus full analysis, on one thread, over every `.eml`
//! under the given folders (read into memory first). Used by `scripts/bench-scan`.
//!
//! `cargo run --release -p ward-mail --example bench -- DIR [ROUNDS]`

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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: bench DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut files = Vec::new();
    walk(Path::new(dir), &mut files);
    let msgs: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    let n = (msgs.len() * rounds) as f64;

    let parser = mail_parser::MessageParser::default();
    let t = Instant::now();
    let mut parts = 0usize;
    for _ in 0..rounds {
        for m in &msgs {
            parts += parser.parse(m).map(|p| p.parts.len()).unwrap_or(0);
        }
    }
    let parse = t.elapsed().as_secs_f64();

    let analyzer = match Analyzer::new(AnalyzerConfig::default()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("analyzer: {e}");
            std::process::exit(1);
        }
    };
    let t = Instant::now();
    let mut flagged = 0usize;
    for _ in 0..rounds {
        for m in &msgs {
            flagged += analyzer
                .analyze(m)
                .map(|v| v.is_flagged() as usize)
                .unwrap_or(0);
        }
    }
    let analyze = t.elapsed().as_secs_f64();
    println!(
        "{{\"messages\": {}, \"rounds\": {rounds}, \"parse_msgs_per_s\": {:.0}, \"analyze_msgs_per_s\": {:.0}, \"analysis_over_parse\": {:.2}, \"parts\": {parts}, \"flagged\": {flagged}}}",
        msgs.len(),
        n / parse,
        n / analyze,
        analyze / parse
    );
}
