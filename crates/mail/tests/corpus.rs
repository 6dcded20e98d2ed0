//! The corpus bar of issue #3: phishing flagged ≥ 95 % as the files are and ≥ 90 % on a
//! content-only copy (every header but From, Sender, Reply-To, To, Cc, Subject, MIME-Version and
//! Content-* removed, built in memory), legitimate mail flagged ≤ 2 % in both.
//!
//! The corpus is read in place: `$WARD_CORPUS`, else `<repo>/../shared/corpus`, else
//! `/work/shared/corpus`. When none exists the test says so loudly and passes.

mod common;

use common::corpus;

use ward_mail::eval::content_only;
use ward_mail::{Analyzer, AnalyzerConfig};

#[test]
fn corpus_detection_rates() {
    let Some(root) = corpus() else {
        eprintln!(
            "!!! corpus not found ($WARD_CORPUS, ../shared/corpus, /work/shared/corpus): SKIPPING the corpus detection test"
        );
        return;
    };
    let email = root.join("email");
    let labels = std::fs::read_to_string(email.join("labels.csv")).expect("labels.csv readable");
    let analyzer = Analyzer::new(AnalyzerConfig::default()).expect("built-in rules load");
    let mut counts = [[0usize; 2]; 2]; // [mode][phish?] flagged
    let mut totals = [0usize; 2]; // ham, phish
    let mut misses: Vec<String> = Vec::new();
    for line in labels.lines() {
        let Some((path, label)) = line.split_once(',') else {
            continue;
        };
        let phish = match label.trim() {
            "phish" => 1,
            "ham" => 0,
            _ => continue,
        };
        let raw = std::fs::read(email.join(path)).expect("corpus file readable");
        totals[phish] += 1;
        for (mode, bytes) in [raw.clone(), content_only(&raw)].into_iter().enumerate() {
            let flagged = match analyzer.analyze(&bytes) {
                Ok(v) => v.is_flagged(),
                Err(e) => panic!("{path}: analysis failed: {e}"),
            };
            if flagged {
                counts[mode][phish] += 1;
            } else if phish == 1 && mode == 1 {
                misses.push(path.to_string());
            }
        }
    }
    let rate = |n: usize, d: usize| 100.0 * n as f64 / d.max(1) as f64;
    for (mode, name, bar) in [(0, "as-is", 95.0), (1, "content-only", 90.0)] {
        let p = rate(counts[mode][1], totals[1]);
        let h = rate(counts[mode][0], totals[0]);
        eprintln!(
            "{name}: phishing flagged {p:.1}% ({}/{}), legitimate flagged {h:.1}% ({}/{})",
            counts[mode][1], totals[1], counts[mode][0], totals[0]
        );
        assert!(
            p >= bar,
            "{name}: phishing flagged {p:.1}% < {bar}% (content-only misses: {misses:?})"
        );
        assert!(h <= 2.0, "{name}: legitimate mail flagged {h:.1}% > 2%");
    }
}
