//! `ward watch` the way a user runs it: against `ward sim` with its attacks playing, in auto
//! mode, then stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ward() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ward"))
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn incidents(config: &Path) -> Vec<serde_json::Value> {
    let out = ward()
        .args(["incidents", "list", "--status", "all", "--json", "--config"])
        .arg(config)
        .output()
        .expect("ward incidents list");
    assert!(out.status.success());
    json_lines(&out.stdout)
}

#[test]
fn watch_detects_and_contains_while_attacks_play_then_stops_on_sigterm() {
    watch_run(false);
}

/// The same with change notifications: new mail comes in on Microsoft's word, not by polling.
#[test]
fn watch_with_change_notifications() {
    let passes = watch_run(true);
    let notified: Vec<&serde_json::Value> =
        passes.iter().filter(|p| p["kind"] == "notified").collect();
    assert!(!notified.is_empty(), "no notified pass: {passes:#?}");
    assert!(
        notified
            .iter()
            .any(|p| p["messages_new"].as_u64() > Some(0)),
        "{notified:#?}"
    );
    // A notified pass reads the named mailboxes only: the directory delta, each named
    // mailbox's two folders, one MIME per new message — not every mailbox of the tenant.
    for p in &notified {
        let mailboxes = p["notified_mailboxes"].as_u64().unwrap_or(0);
        let new = p["messages_new"].as_u64().unwrap_or(0);
        let requests = p["graph_requests"].as_u64().unwrap_or(u64::MAX);
        assert!(requests <= 1 + 3 * mailboxes + new, "{p}");
    }
}

fn watch_run(notifications: bool) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sim = ward();
    sim.args([
        "sim",
        "--users",
        "20",
        "--history-days",
        "1",
        "--speed",
        "6",
    ]);
    if notifications {
        // Ward's endpoint below is plain HTTP on 127.0.0.1; Microsoft would want HTTPS.
        sim.arg("--allow-http-loopback-notifications");
    }
    let _sim = Kill(
        sim.arg("--write-config")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ward sim"),
    );
    let config = dir.path().join("ward.toml");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !config.exists() {
        assert!(
            Instant::now() < deadline,
            "ward sim did not write its config"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut toml = std::fs::read_to_string(&config).expect("config");
    // Auto mode, in the [respond] table the simulator wrote (with its password folder).
    assert!(toml.contains("\n[respond]\n"), "{toml}");
    toml = toml.replace(
        "\n[respond]\n",
        "\n[respond]\ndefault_mode = \"auto\"\nauto_min_severity = \"medium\"\n",
    );
    // A store of its own (the default, ./ward.db, is shared with whatever else runs here).
    toml.push_str(&format!(
        "\n[store]\ndatabase = {:?}\n",
        dir.path().join("ward.db")
    ));
    if notifications {
        toml.push_str("\n[notifications]\nlisten = \"127.0.0.1:0\"\n");
    }
    std::fs::write(&config, toml).expect("config");

    let mut watch = Kill(
        ward()
            // With notifications, timer passes (rules, methods, logs — the sign-in log allows
            // 5 requests per 10 s) are spaced out; mail comes in between, when notified.
            .args([
                "watch",
                "--interval",
                if notifications { "8" } else { "1" },
                "--json",
                "--config",
            ])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ward watch"),
    );
    let stdout = watch.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<serde_json::Value>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let mut passes: Vec<serde_json::Value> = Vec::new();

    // Until the takeover and a campaign are contained — and, with notifications, until mail
    // came in on a notification — or a generous deadline.
    let deadline = Instant::now() + Duration::from_secs(90);
    let contained = loop {
        std::thread::sleep(Duration::from_secs(2));
        passes.extend(rx.try_iter());
        let incs = incidents(&config);
        let ato = incs
            .iter()
            .any(|i| i["kind"] == "account_takeover" && i["status"] == "contained");
        let mail = incs
            .iter()
            .any(|i| i["kind"] == "mail_campaign" && i["status"] == "contained");
        let heard = !notifications
            || passes
                .iter()
                .any(|p| p["kind"] == "notified" && p["messages_new"].as_u64() > Some(0));
        if ato && mail && heard {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
    };
    assert!(
        contained,
        "not contained (or nothing notified): {:#?}\n{passes:#?}",
        incidents(&config)
    );

    // SIGTERM: the pass under way finishes, then Ward exits cleanly.
    let pid = watch.0.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let exit = loop {
        if let Some(s) = watch.0.try_wait().expect("poll") {
            break s;
        }
        assert!(Instant::now() < deadline, "ward watch ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "ward watch exited with {exit}");
    reader.join().expect("reader");
    passes.extend(rx.try_iter());
    assert!(passes.len() >= 2, "{passes:?}");
    for (i, p) in passes.iter().enumerate() {
        assert_eq!(p["pass"], (i + 1) as u64, "{p}");
    }
    let journal = ward()
        .args(["journal", "verify", "--config"])
        .arg(&config)
        .status()
        .expect("journal verify");
    assert!(journal.success());
    // Reset passwords went to the channel, one file per reset, owner-only.
    let channel = dir.path().join("passwords");
    let files: Vec<_> = std::fs::read_dir(&channel)
        .expect("channel")
        .flatten()
        .collect();
    assert!(!files.is_empty());
    for f in files {
        use std::os::unix::fs::PermissionsExt;
        let mode = f.metadata().expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", f.path());
    }
    passes
}
