//! Any bytes → JSON → adapters → detector → correlator, and the streaming file readers: must
//! never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_identity::{Correlator, Detector, DetectorConfig, adapters};

fuzz_target!(|data: &[u8]| {
    let mut detector = match Detector::new(DetectorConfig::default()) {
        Ok(d) => d,
        Err(_) => return,
    };
    let mut correlator = Correlator::default();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        for (_, item) in ward_identity::reader::events_from_value(&v) {
            if let Ok(e) = item {
                let hits = detector.observe(&e);
                correlator.add(&e, &hits);
            }
        }
        let _ = adapters::parse_row(&v);
    }
    // The same bytes as a file in each format.
    let Ok(dir) = tempfile_dir() else { return };
    for name in ["f.jsonl", "f.json", "f.csv"] {
        let p = dir.join(name);
        if std::fs::write(&p, data).is_ok() {
            if let Ok(r) = ward_identity::reader::read_file(&p) {
                for (_, item) in r.take(10_000) {
                    if let Ok(e) = item {
                        let _ = detector.observe(&e);
                    }
                }
            }
        }
    }
});

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("ward-identity-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
