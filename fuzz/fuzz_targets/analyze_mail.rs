//! Feeds arbitrary bytes to the mail analyzer: it must return a verdict or an error, never panic
//! or hang.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use ward_mail::{Analyzer, AnalyzerConfig};

static ANALYZER: LazyLock<Analyzer> = LazyLock::new(|| {
    let cfg = AnalyzerConfig { accepted_domains: vec!["contoso.com".into()], ..AnalyzerConfig::default() };
    match Analyzer::new(cfg) {
        Ok(a) => a,
        Err(e) => panic!("built-in rules must load: {e}"),
    }
});

fuzz_target!(|data: &[u8]| {
    let _ = ANALYZER.analyze(data);
});
