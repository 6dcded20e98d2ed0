//! Helpers to build hand-made test messages.
#![allow(dead_code)]

use base64::Engine;
use ward_mail::{Analyzer, AnalyzerConfig, Verdict};

/// The shared corpus, read in place: `$WARD_CORPUS`, else `<repo>/../shared/corpus`, else
/// `/work/shared/corpus`; none when it is absent (the tests that need it say so and pass).
pub fn corpus() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let mut cands = Vec::new();
    if let Ok(p) = std::env::var("WARD_CORPUS") {
        cands.push(PathBuf::from(p));
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    cands.push(repo.join("../shared/corpus"));
    cands.push(PathBuf::from("/work/shared/corpus"));
    cands
        .into_iter()
        .find(|p| p.join("email/labels.csv").is_file())
}

pub fn analyzer() -> Analyzer {
    Analyzer::new(AnalyzerConfig::default()).expect("built-in rules load")
}

pub fn b64(data: &[u8]) -> String {
    let s = base64::engine::general_purpose::STANDARD.encode(data);
    s.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// A message with headers (`Name: value` lines), a text or HTML body and attachments
/// `(file name, content type, bytes)`.
pub fn message(
    headers: &str,
    body_type: &str,
    body: &str,
    atts: &[(&str, &str, Vec<u8>)],
) -> String {
    let headers = headers.trim().replace('\n', "\r\n");
    if atts.is_empty() {
        return format!(
            "{headers}\r\nMIME-Version: 1.0\r\nContent-Type: {body_type}; charset=utf-8\r\n\r\n{body}\r\n"
        );
    }
    let mut m = format!(
        "{headers}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n--BOUNDARY\r\nContent-Type: {body_type}; charset=utf-8\r\n\r\n{body}\r\n"
    );
    for (name, ct, data) in atts {
        m.push_str(&format!(
            "--BOUNDARY\r\nContent-Type: {ct}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            b64(data)
        ));
    }
    m.push_str("--BOUNDARY--\r\n");
    m
}

pub fn ids(v: &Verdict) -> Vec<&str> {
    v.signals.iter().map(|s| s.id.as_str()).collect()
}

pub fn has(v: &Verdict, id: &str) -> bool {
    v.signals.iter().any(|s| s.id == id)
}

pub fn detail<'a>(v: &'a Verdict, id: &str) -> &'a str {
    v.signals
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.detail.as_str())
        .unwrap_or("")
}
