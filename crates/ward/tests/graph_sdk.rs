//! The simulated tenant driven by Microsoft's own Python Graph SDK (PyPI `msgraph-sdk`), for
//! every Graph call Ward itself makes, so the simulator is checked by a client no one here
//! wrote (issue 21, item 16). `./scripts/test` makes the venv and sets `WARD_TEST_PYTHON`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn microsofts_python_sdk_makes_every_call_ward_makes() {
    let Some(python) = std::env::var_os("WARD_TEST_PYTHON") else {
        eprintln!(
            "!!! WARD_TEST_PYTHON is not set: the msgraph-sdk check is SKIPPED (run ./scripts/test)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let _sim = Sim(Command::new(env!("CARGO_BIN_EXE_ward"))
        .args([
            "sim",
            "--users",
            "12",
            "--history-days",
            "2",
            "--allow-http-loopback-notifications",
            "--write-config",
        ])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ward sim"));
    let config = dir.path().join("ward.toml");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !config.exists() {
        assert!(Instant::now() < deadline, "ward sim did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/sdk/graph_sdk_check.py"
    );
    let out = Command::new(python)
        .arg(script)
        .arg(&config)
        .output()
        .expect("run the SDK check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let failed: Vec<&serde_json::Value> = results.iter().filter(|r| r["ok"] != true).collect();
    assert!(
        out.status.success() && failed.is_empty(),
        "the SDK check failed ({} of {} calls):\n{failed:#?}\nstderr: {}",
        failed.len(),
        results.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every family of Ward's Graph calls was made.
    for call in [
        "GET /users/delta",
        "authentication/phoneMethods",
        "revokeSignInSessions",
        "/auditLogs/signIns",
        "/auditLogs/directoryAudits",
        "/identity/conditionalAccess/policies",
        "userRegistrationDetails",
        "/servicePrincipals",
        "/messages/{id}/$value",
        "attachments/{id}",
        "/move",
        "/copy",
        "permanentDelete",
        "messages/delta",
        "messageRules/{id}",
        "mailboxSettings",
        "PATCH /subscriptions/{id}",
        "analyzedEmails",
        "/$batch",
    ] {
        assert!(
            results
                .iter()
                .any(|r| r["call"].as_str().is_some_and(|c| c.contains(call))),
            "no call {call}: {results:#?}"
        );
    }
}
