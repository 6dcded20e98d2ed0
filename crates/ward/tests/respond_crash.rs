//! Crash safety of containment: `ward respond pull` SIGKILLed in the middle of a campaign pull,
//! then run again, ends with every copy quarantined once, no action done twice, and the journal
//! intact.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ward_sim::testkit::{self, SeedBuilder};
use ward_sim::{RegisteredApp, SimConfig, Simulator};
use ward_store::JournalStatus;

const USERS: usize = 60;

fn ward() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ward"))
}

fn pull(config: &Path, imid: &str) -> Child {
    ward()
        .args([
            "respond",
            "pull",
            imid,
            "--incident",
            "INC-crash",
            "--config",
        ])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ward respond pull")
}

fn write_config(dir: &Path, base: &str, tenant: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let app = RegisteredApp::ward_default();
    let secret = dir.join("secret");
    std::fs::write(&secret, app.secret.unwrap_or_default()).expect("secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let config = dir.join("ward.toml");
    std::fs::write(
        &config,
        format!(
            "[tenant]\nid = \"{tenant}\"\nclient_id = \"{}\"\nclient_secret_file = {:?}\n\n\
             [endpoints]\nlogin = \"{base}\"\ngraph = \"{base}\"\nmanage = \"{base}\"\n\n\
             [store]\ndatabase = {:?}\n",
            app.client_id,
            secret,
            dir.join("ward.db")
        ),
    )
    .expect("config");
    config
}

#[test]
fn sigkilled_campaign_pull_ends_with_each_copy_quarantined_once() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let cfg = SimConfig {
        // Slow mailboxes, so that a batched pull of 60 (search, folders, moves: a few round
        // trips) takes seconds and can be killed in each phase.
        mailbox_latency: Duration::from_millis(900),
        ..SimConfig::default()
    };
    let sim = rt
        .block_on(Simulator::start(cfg, SeedBuilder::new(USERS, 2).build()))
        .expect("sim");
    let dir = tempfile::tempdir().expect("tmp");
    let config = write_config(dir.path(), sim.base_url(), sim.tenant_id());
    let status = ward()
        // The directory only: the pull finds the copies through Defender's records.
        .args(["sync", "--no-mail", "--no-events", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("sync");
    assert!(status.success(), "ward sync failed");

    let imid = "<campaign-crash@evil.example>";
    let upns: Vec<String> = (0..USERS).map(testkit::upn).collect();
    let to: Vec<&str> = upns.iter().map(String::as_str).collect();
    let mime = testkit::mime(
        "billing@evil.example",
        to[0],
        "Invoice overdue",
        "Pay now at https://evil.example/pay",
        imid,
        chrono::Utc::now(),
        false,
    );
    sim.inject_message(&to, "inbox", &mime);

    let mut kills = 0;
    for delay_ms in [600u64, 1400, 2200, 3000, 3800] {
        let mut child = pull(&config, imid);
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().expect("poll").is_none() {
            child.kill().expect("SIGKILL ward respond pull");
            kills += 1;
        }
        let _ = child.wait();
    }
    assert!(
        kills >= 2,
        "the pull finished before it could be killed ({kills} kills)"
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut child = pull(&config, imid);
    let status = loop {
        if let Some(s) = child.try_wait().expect("poll") {
            break s;
        }
        assert!(Instant::now() < deadline, "the final pull hangs");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the pull after the kills failed");

    // Every copy quarantined, each mailbox with one quarantine folder.
    for upn in &upns {
        assert_eq!(
            sim.message_folder(upn, imid).as_deref(),
            Some("Ward Quarantine"),
            "{upn}"
        );
        let folders = sim.with_state(|t| {
            let uid = t.user_id(upn).expect("user");
            t.mailboxes[&uid]
                .folders
                .iter()
                .filter(|f| f.display_name == "Ward Quarantine")
                .count()
        });
        assert_eq!(
            folders, 1,
            "{upn}: quarantine folder created more than once"
        );
    }
    // No copy moved twice: Microsoft's own audit has one Move per mailbox.
    let mut moves: BTreeMap<String, usize> = BTreeMap::new();
    for rec in sim.unified_audit() {
        if rec["Operation"] == "Move" && rec.to_string().contains("campaign-crash@evil.example") {
            *moves
                .entry(
                    rec["MailboxOwnerUPN"]
                        .as_str()
                        .unwrap_or_default()
                        .to_lowercase(),
                )
                .or_default() += 1;
        }
    }
    assert_eq!(moves.len(), USERS, "{moves:?}");
    assert!(
        moves.values().all(|&n| n == 1),
        "a copy was moved twice: {moves:?}"
    );

    // The journal is intact and each action finished exactly once.
    rt.block_on(async {
        let store = ward_store::Store::connect(&dir.path().join("ward.db").to_string_lossy())
            .await
            .expect("store");
        match store.verify_journal().await.expect("verify") {
            JournalStatus::Intact { .. } => {}
            JournalStatus::Broken { seq, reason } => panic!("journal broken at {seq}: {reason}"),
        }
        let entries = store.journal_entries(0, 1_000_000).await.expect("journal");
        let mut done: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &entries {
            if e.entry.status == "done" {
                *done.entry(e.entry.action_id.as_str()).or_default() += 1;
            }
        }
        assert_eq!(done.len(), USERS, "{done:?}");
        assert!(done.values().all(|&n| n == 1), "{done:?}");
        store.close().await;
    });

    // A false positive, restored in one command: every copy back in its inbox.
    let status = ward()
        .args(["undo", "--incident", "INC-crash", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("ward undo");
    assert!(status.success(), "ward undo --incident failed");
    for upn in &upns {
        assert_eq!(
            sim.message_folder(upn, imid).as_deref(),
            Some("inbox"),
            "{upn}"
        );
    }
    // The queue shows both: the quarantines and their undos, done.
    let out = ward()
        .args(["respond", "list", "--status", "done", "--json", "--config"])
        .arg(&config)
        .output()
        .expect("ward respond list");
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let count = |kind: &str| lines.iter().filter(|a| a["kind"] == kind).count();
    assert!(
        lines
            .iter()
            .all(|a| a["status"] == "done" && a["id"].is_string()),
        "{lines:#?}"
    );
    assert_eq!(count("quarantine_message"), USERS);
    assert_eq!(count("undo"), USERS);
    rt.block_on(sim.shutdown());
}
