//! Crash safety, the way it happens: `ward sync` killed with SIGKILL mid-way, several times,
//! then run to the end, ends with the same store as one uninterrupted sync.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Sim(Child);
impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ward() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ward"))
}

fn sync(config: &Path, db: &Path) -> Child {
    ward()
        .args(["sync", "--json", "--config"])
        .arg(config)
        .arg("--database")
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ward sync")
}

fn dump(db: &Path) -> String {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = ward_store::Store::connect(&db.to_string_lossy())
            .await
            .expect("open store");
        let d = store.dump_canonical().await.expect("dump");
        store.close().await;
        // Cursors hold opaque delta links (different tokens for the same position).
        d.lines()
            .filter(|l| !l.starts_with("cursors "))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[test]
fn sigkilled_syncs_end_identical_to_an_uninterrupted_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _sim = Sim(ward()
        .args([
            "sim",
            "--users",
            "12",
            "--history-days",
            "2",
            "--no-attacks",
            "--no-live",
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
        assert!(
            Instant::now() < deadline,
            "ward sim did not write its config"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));

    let reference = dir.path().join("reference.db");
    let status = sync(&config, &reference).wait().expect("reference sync");
    assert!(status.success(), "reference sync failed");

    let crashed = dir.path().join("crashed.db");
    let mut kills = 0;
    for delay_ms in [150u64, 300, 450, 600, 800, 1000, 1300] {
        let mut child = sync(&config, &crashed);
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().expect("poll").is_none() {
            child.kill().expect("SIGKILL ward sync");
            kills += 1;
        }
        let _ = child.wait();
    }
    assert!(
        kills >= 3,
        "the sync finished before it could be killed enough times ({kills})"
    );
    let status = sync(&config, &crashed).wait().expect("final sync");
    assert!(status.success(), "the sync after the kills failed");
    let (a, b) = (dump(&reference), dump(&crashed));
    assert!(
        a.lines().filter(|l| l.starts_with("messages ")).count() > 50,
        "too little data to prove anything"
    );
    assert_eq!(
        a, b,
        "the store after SIGKILLs differs from an uninterrupted sync"
    );
}
