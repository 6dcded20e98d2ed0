//! `ward sync` files incidents, and filing them again from scratch (every `ward sync` is a new
//! process that re-reads all stored events) changes nothing; `ward incidents` shows, exports
//! and closes them.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Sim(Child);
impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ward(args: &[&str], config: &Path, db: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .arg("--config")
        .arg(config)
        .arg("--database")
        .arg(db)
        .env_remove("WARD_DATABASE")
        .env_remove("WARD_TENANT_ID")
        .output()
        .expect("run ward");
    assert!(
        out.status.success(),
        "ward {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Incidents, findings and their links: what detection writes.
fn detection_dump(db: &Path) -> String {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = ward_store::Store::connect(&db.to_string_lossy())
            .await
            .expect("open store");
        let d = store.dump_canonical().await.expect("dump");
        store.close().await;
        d.lines()
            .filter(|l| l.starts_with("incident") || l.starts_with("finding"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn upn_of(db: &Path, tenant: &str, user_id: &str) -> String {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = ward_store::Store::connect(&db.to_string_lossy())
            .await
            .expect("open store");
        let u = store.get_user(tenant, user_id).await.expect("user");
        store.close().await;
        u.expect("target user synced").upn.to_ascii_lowercase()
    })
}

fn quiet(sync: &Value) -> bool {
    [
        "messages_new",
        "sign_ins",
        "audits",
        "unified_audit",
        "snapshots_changed",
    ]
    .iter()
    .all(|k| sync[k] == 0)
}

#[test]
fn sync_files_incidents_once_and_incidents_commands_read_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let truth_path = dir.path().join("truth.json");
    let _sim = Sim(Command::new(env!("CARGO_BIN_EXE_ward"))
        .args([
            "sim",
            "--users",
            "12",
            "--history-days",
            "2",
            "--rate",
            "0",
            "--speed",
            "20",
            "--audit-lag",
            "1",
            "--ground-truth",
        ])
        .arg(&truth_path)
        .arg("--write-config")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ward sim"));
    let config = dir.path().join("ward.toml");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(config.exists() && truth_path.exists()) {
        assert!(Instant::now() < deadline, "ward sim did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(&truth_path).expect("truth")).expect("json");
    let cfg: toml::Value =
        toml::from_str(&std::fs::read_to_string(&config).expect("config")).expect("toml");
    let tenant = cfg["tenant"]["id"].as_str().expect("tenant id").to_owned();
    // The written config has a password channel, so the takeover playbook's reset_password
    // works in a walkthrough (issue 21, item 9): a folder beside it only its owner enters.
    let channel = &cfg["respond"]["password_channel"];
    assert_eq!(channel["kind"].as_str(), Some("directory"), "{cfg}");
    let pw_dir = dir
        .path()
        .join(channel["path"].as_str().expect("channel path"));
    assert!(pw_dir.is_dir(), "{}", pw_dir.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pw_dir)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "password folder readable by others: {mode:o}"
        );
    }
    let ato = truth["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|s| s["kind"] == "account_takeover")
        .expect("an account takeover scenario")["target_users"][0]
        .as_str()
        .expect("target")
        .to_owned();
    let db = dir.path().join("ward.db");

    // Sync until the timeline has played out and a sync brings nothing new, then once more.
    let deadline = Instant::now() + Duration::from_secs(240);
    let (before, repeat) = loop {
        assert!(Instant::now() < deadline, "the tenant never went quiet");
        let first = &json_lines(&ward(&["sync", "--json"], &config, &db))[0];
        std::thread::sleep(Duration::from_millis(1500));
        if !quiet(first) {
            continue;
        }
        let before = detection_dump(&db);
        let again = json_lines(&ward(&["sync", "--json"], &config, &db)).remove(0);
        if quiet(&again) {
            break (before, again);
        }
    };
    assert!(
        repeat["detect"]["changed"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "a sync over unchanged data changed incidents: {}",
        repeat["detect"]
    );
    let after = detection_dump(&db);
    assert!(
        after
            .lines()
            .filter(|l| l.starts_with("incidents "))
            .count()
            >= 2,
        "too few incidents to prove anything:\n{after}"
    );
    assert_eq!(before, after, "detection filed something twice");

    // The compromised user has an identity incident; mail campaigns are filed too.
    let listed = json_lines(&ward(
        &["incidents", "list", "--status", "all", "--json"],
        &config,
        &db,
    ));
    let upn = upn_of(&db, &tenant, &ato);
    let inc = listed
        .iter()
        .find(|i| i["subject"] == upn.as_str())
        .unwrap_or_else(|| panic!("no incident for {upn}: {listed:#?}"));
    let id = inc["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("INC-"), "{inc}");
    assert!(inc["steps"].as_u64().unwrap_or(0) >= 2, "{inc}");
    assert!(
        listed.iter().any(|i| i["kind"] == "mail_campaign"
            && i["id"].as_str().is_some_and(|s| s.starts_with("MAIL-"))),
        "{listed:#?}"
    );

    // Show explains it, with the manual steps of an identity incident.
    let shown = &json_lines(&ward(&["incidents", "show", &id, "--json"], &config, &db))[0];
    let timeline = shown["incident"]["timeline"].as_array().expect("timeline");
    assert!(
        timeline
            .iter()
            .any(|e| e["signal"].is_string() && e["detail"].is_string()),
        "{shown:#}"
    );
    assert!(
        shown["manual_steps"]
            .as_array()
            .is_some_and(|m| m.len() >= 4)
    );
    let text = ward(&["incidents", "show", &id], &config, &db);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Manual steps"));

    // The evidence bundle's digest covers everything else.
    let bundle_path = dir.path().join("bundle.json");
    ward(
        &[
            "incidents",
            "export",
            &id,
            "--out",
            &bundle_path.to_string_lossy(),
        ],
        &config,
        &db,
    );
    let mut bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle_path).expect("bundle"))
            .expect("json");
    assert_eq!(bundle["format"], "ward-evidence/1");
    assert_eq!(bundle["journal_status"]["intact"], true);
    assert_eq!(bundle["incident"]["id"], id.as_str());
    let digest = bundle
        .as_object_mut()
        .and_then(|m| m.remove("content_sha256"))
        .expect("content_sha256");
    assert_eq!(
        digest,
        ward_store::sha256_hex(ward_store::canonical_json(&bundle).as_bytes())
    );

    // The playbooks queue the takeover's actions (approve mode, the default); the queue speaks
    // the store's lower-case vocabulary and names each action by `id` (issue 21, item 10).
    ward(&["respond", "incident", &id], &config, &db);
    let pending = json_lines(&ward(
        &["respond", "list", "--status", "pending", "--json"],
        &config,
        &db,
    ));
    let queued: Vec<&Value> = pending
        .iter()
        .filter(|a| a["incident_id"] == id.as_str())
        .collect();
    assert!(queued.len() >= 2, "{pending:#?}");
    for a in &queued {
        assert_eq!(a["status"], "pending", "{a}");
        assert!(a["id"].is_string() && a.get("action_id").is_none(), "{a}");
    }
    assert!(
        queued.iter().any(|a| a["kind"] == "reset_password"),
        "{queued:#?}"
    );
    // One command approves them all (item 12); the password reset works because the written
    // config has a channel (item 9); the incident is contained (item 2).
    let approved = ward(
        &["respond", "approve", "--incident", &id, "--json"],
        &config,
        &db,
    );
    assert!(approved.status.success(), "{approved:?}");
    let outcomes = json_lines(&approved);
    assert_eq!(outcomes.len(), queued.len(), "{outcomes:#?}");
    assert!(
        std::fs::read_dir(&pw_dir).expect("passwords").count() >= 1,
        "no new password delivered"
    );
    let listed = json_lines(&ward(
        &["incidents", "list", "--status", "all", "--json"],
        &config,
        &db,
    ));
    let now = listed
        .iter()
        .find(|i| i["id"] == id.as_str())
        .expect("incident");
    assert_eq!(now["status"], "contained", "{now}");

    // Closing sticks across another detection pass.
    ward(&["incidents", "close", &id], &config, &db);
    let closed = json_lines(&ward(
        &["incidents", "list", "--status", "closed", "--json"],
        &config,
        &db,
    ));
    assert!(closed.iter().any(|i| i["id"] == id.as_str()));
    let open_before = json_lines(&ward(&["incidents", "list", "--json"], &config, &db)).len();
    ward(&["sync", "--json"], &config, &db);
    let open_after = json_lines(&ward(&["incidents", "list", "--json"], &config, &db));
    assert_eq!(open_after.len(), open_before, "{open_after:#?}");
    assert!(!open_after.iter().any(|i| i["subject"] == upn.as_str()));
}
