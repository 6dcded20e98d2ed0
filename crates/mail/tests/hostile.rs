//! Hostile input: each malformed message gets a verdict or a clear error, within bounded time.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::*;
use ward_mail::AnalysisError;

/// Debug builds are slow; the bound is generous but still catches hangs and blow-ups.
const BOUND: Duration = Duration::from_secs(20);

fn timed(raw: &[u8]) -> (Result<ward_mail::Verdict, AnalysisError>, Duration) {
    let a = analyzer();
    let t = Instant::now();
    let r = a.analyze(raw);
    (r, t.elapsed())
}

#[test]
fn truncated_base64() {
    let mut m = message(
        "From: a@example.net\nTo: b@contoso.com\nSubject: t",
        "text/plain",
        "x",
        &[("a.pdf", "application/pdf", vec![7u8; 5000])],
    );
    m.truncate(m.len() - 3000);
    m.push_str("QUJD=\r\n=Q");
    let (r, d) = timed(m.as_bytes());
    assert!(r.is_ok(), "{r:?}");
    assert!(d < BOUND);
}

#[test]
fn thousands_of_nested_parts() {
    let mut m = String::from(
        "From: a@example.net\r\nTo: b@contoso.com\r\nSubject: nest\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n",
    );
    for i in 0..5000 {
        m.push_str(&format!(
            "--b{i}\r\nContent-Type: multipart/mixed; boundary=\"b{}\"\r\n\r\n",
            i + 1
        ));
    }
    m.push_str("--b5000\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
    let (r, d) = timed(m.as_bytes());
    let v = r.expect("a verdict");
    assert!(has(&v, "mime.limits_exceeded"), "{:?}", ids(&v));
    assert!(d < BOUND);

    // Deeply nested message/rfc822.
    let mut inner = String::from("From: x@example.net\r\nSubject: core\r\n\r\nhi\r\n");
    for _ in 0..2000 {
        inner = format!(
            "From: x@example.net\r\nSubject: wrap\r\nContent-Type: message/rfc822\r\n\r\n{inner}"
        );
    }
    let (r, d) = timed(inner.as_bytes());
    assert!(r.is_ok(), "{r:?}");
    assert!(d < BOUND);
}

#[test]
fn zip_bomb() {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..4 {
            z.start_file(format!("part{i}.bin"), opts).unwrap();
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..64 {
                z.write_all(&chunk).unwrap();
            }
        }
        z.finish().unwrap();
    }
    let bomb = buf.into_inner();
    assert!(bomb.len() < 2 * 1024 * 1024);
    let m = message(
        "From: a@example.net\nTo: b@contoso.com\nSubject: z",
        "text/plain",
        "see zip",
        &[("data.zip", "application/zip", bomb)],
    );
    let (r, d) = timed(m.as_bytes());
    let v = r.expect("a verdict");
    assert!(has(&v, "att.archive_bomb"), "{:?}", ids(&v));
    assert!(v.is_flagged());
    assert!(d < BOUND);
}

#[test]
fn fifty_megabyte_attachment() {
    let big = vec![0x41u8; 50 * 1024 * 1024];
    let m = message(
        "From: a@example.net\nTo: b@contoso.com\nSubject: big",
        "text/plain",
        "big file",
        &[("big.bin", "application/octet-stream", big)],
    );
    let (r, d) = timed(m.as_bytes());
    assert!(r.is_ok(), "{r:?}");
    assert!(d < BOUND * 3, "{d:?}");
}

#[test]
fn over_the_size_limit_is_a_clear_error() {
    let raw = vec![b'a'; ward_mail::limits::MAX_MESSAGE_BYTES + 1];
    let (r, _) = timed(&raw);
    assert!(matches!(r, Err(AnalysisError::TooLarge { .. })), "{r:?}");
    assert!(matches!(analyzer().analyze(b""), Err(AnalysisError::Empty)));
}

#[test]
fn pathological_html() {
    let mut html = String::new();
    html.push_str(&"<div>".repeat(200_000));
    html.push_str(&"<a href=\"http://x.example/\">".repeat(20_000));
    html.push_str(&"&#x200b;&amp;&".repeat(50_000));
    html.push_str("<p style=\"");
    html.push_str(&"display:none;".repeat(50_000));
    html.push_str("\">");
    let m = message(
        "From: a@example.net\nTo: b@contoso.com\nSubject: h",
        "text/html",
        &html,
        &[],
    );
    let (r, d) = timed(m.as_bytes());
    assert!(r.is_ok(), "{r:?}");
    assert!(d < BOUND, "{d:?}");
}

#[test]
fn garbage_bytes_never_panic() {
    let a = analyzer();
    let mut seed: u64 = 0x9E3779B97F4A7C15;
    for len in [1usize, 7, 64, 1000, 20_000] {
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed & 0xff) as u8
                })
                .collect();
            let _ = a.analyze(&bytes);
        }
    }
}

/// Issue 21, item 4: random bytes, a text file or a binary are not messages; they were judged
/// `clean` (score 20) before.
#[test]
fn what_is_not_a_message_says_so() {
    let a = analyzer();
    let mut seed: u64 = 0x2545F4914F6CDD1D;
    for round in 0..50 {
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xff) as u8
            })
            .collect();
        let r = a.analyze(&bytes);
        assert!(
            matches!(r, Err(AnalysisError::NotAMessage(_))),
            "random 4 KB #{round}: {r:?}"
        );
    }
    for not_mail in [
        &b"Dear team,\nthe minutes of today's meeting are below.\n"[..],
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        b"key: value\nother: thing\n\nbody",
    ] {
        let r = a.analyze(not_mail);
        assert!(matches!(r, Err(AnalysisError::NotAMessage(_))), "{r:?}");
    }
    // What real messages start with still passes: an mbox line, a BOM, blank lines, Received.
    for mail in [
        "From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nFrom: a@example.net\nSubject: x\n\nhi",
        "\u{feff}Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\nSubject: x\n\nhi",
        "\r\n\r\nX-Spam: no\r\nFrom: a@example.net\r\n\r\nhi",
        "Subject: folded\n  on two lines\nTo: b@contoso.com\n\nhi",
    ] {
        let r = a.analyze(mail.as_bytes());
        assert!(r.is_ok(), "{mail:?}: {r:?}");
    }
}
