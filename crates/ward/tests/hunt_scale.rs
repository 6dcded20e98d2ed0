//! A large generated event file goes through `ward hunt` in bounded memory. 100k lines by
//! default; the 1M-line run is `#[ignore]`d (run with `-- --ignored`, ideally `--release`).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Peak resident set size of a running process (kB), from /proc.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn generate(path: &std::path::Path, lines: usize) {
    let f = std::fs::File::create(path).expect("create");
    let mut w = std::io::BufWriter::new(f);
    for i in 0..lines {
        let user = i % 5000;
        let ip = format!("10.{}.{}.{}", (i / 65536) % 256, (i / 256) % 256, i % 256);
        let secs = i / 10;
        let t = format!(
            "2025-03-{:02}T{:02}:{:02}:{:02}Z",
            1 + (secs / 86400) % 28,
            (secs / 3600) % 24,
            (secs / 60) % 60,
            secs % 60
        );
        let (code, client) = match i % 100 {
            0 => (0, "IMAP4"),
            1..=9 => (50126, "Browser"),
            _ => (0, "Browser"),
        };
        writeln!(
            w,
            r#"{{"id":"{i}","createdDateTime":"{t}","userPrincipalName":"user{user}@contoso.com","ipAddress":"{ip}","clientAppUsed":"{client}","status":{{"errorCode":{code}}},"location":{{"countryOrRegion":"US"}}}}"#
        )
        .expect("write");
    }
    w.flush().expect("flush");
}

fn run_scale(lines: usize, max_rss_mb: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("signins.jsonl");
    generate(&input, lines);
    let size = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["hunt", "--format", "jsonl", "--progress"])
        .arg(&input)
        .env_remove("WARD_GEOIP_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let (mut n, mut alerts) = (0usize, 0usize);
        for line in std::io::BufReader::new(&mut stdout).lines() {
            let line = line.expect("line");
            if line.contains("\"index\"") {
                n += 1;
                alerts += usize::from(line.contains("\"verdict\":\"alert\""));
            }
        }
        (n, alerts)
    });
    let mut peak = 0;
    loop {
        if let Some(kb) = peak_rss_kb(pid) {
            peak = peak.max(kb);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = start.elapsed();
    let (n, alerts) = reader.join().expect("reader");
    eprintln!(
        "{lines} lines ({:.1} MB): {:.2} s, {:.0} events/s, peak RSS {:.1} MB, {alerts} alerts",
        size as f64 / 1e6,
        elapsed.as_secs_f64(),
        lines as f64 / elapsed.as_secs_f64(),
        peak as f64 / 1024.0
    );
    assert_eq!(n, lines, "one output line per event");
    // 50 users sign in over IMAP again and again: the first three times alert, then it is a habit.
    assert!(alerts >= 150, "the IMAP sign-ins alert ({alerts})");
    assert!(
        peak == 0 || peak / 1024 < max_rss_mb,
        "peak RSS {} MB over {max_rss_mb} MB",
        peak / 1024
    );
}

#[test]
fn hundred_thousand_lines_bounded_memory() {
    run_scale(100_000, 150);
}

#[test]
#[ignore = "slow: 1M lines; run with `cargo test --release -p ward --test hunt_scale -- --ignored`"]
fn million_lines_bounded_memory() {
    run_scale(1_000_000, 150);
}
