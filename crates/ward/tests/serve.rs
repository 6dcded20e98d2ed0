//! `ward serve --preview`: the pipeline runs and a read-only API answers over the store it
//! fills, only with the bearer token (issue 15, first slice).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 GET; (status, body).
fn get(port: u16, path: &str, token: Option<&str>) -> Option<(u16, String)> {
    request("GET", port, path, token, "")
}

fn post(port: u16, path: &str, token: Option<&str>, body: &str) -> Option<(u16, String)> {
    request("POST", port, path, token, body)
}

fn request(
    method: &str,
    port: u16,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|b| b.1).unwrap_or("");
    Some((status, body.to_owned()))
}

fn ward(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ward"));
    c.current_dir(dir)
        .env_remove("WARD_DATABASE")
        .env_remove("WARD_API_TOKEN_FILE");
    c
}

#[test]
fn serve_runs_the_pipeline_and_answers_only_with_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _sim = Proc(
        ward(dir.path())
            .args([
                "sim",
                "--users",
                "12",
                "--history-days",
                "2",
                "--speed",
                "20",
            ])
            .args(["--audit-lag", "1", "--write-config", "."])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ward sim"),
    );
    let config = dir.path().join("ward.toml");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !config.exists() {
        assert!(Instant::now() < deadline, "ward sim did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));

    // Refused: without --preview, without a token, with a token others can read.
    let o = ward(dir.path())
        .args(["serve", "--config", "ward.toml"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--preview"));
    let o = ward(dir.path())
        .args(["serve", "--preview", "--config", "ward.toml"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("WARD_API_TOKEN_FILE"));
    let token = "7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a";
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).expect("token");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let o = ward(dir.path())
        .args(["serve", "--preview", "--config", "ward.toml"])
        .env("WARD_API_TOKEN_FILE", &token_file)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("chmod 600"));
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut serve = Proc(
        ward(dir.path())
            .args([
                "serve",
                "--preview",
                "--config",
                "ward.toml",
                "--interval",
                "2",
            ])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database", "serve.db"])
            .env("WARD_API_TOKEN_FILE", &token_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ward serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(port, "/healthz", None).is_none_or(|(s, _)| s != 200) {
        assert!(
            Instant::now() < deadline,
            "ward serve did not answer /healthz"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Nothing else without the token, or with a wrong one.
    for path in ["/api/v1/incidents", "/api/v1/actions", "/metrics"] {
        assert_eq!(get(port, path, None).map(|r| r.0), Some(401), "{path}");
        let wrong = "0".repeat(token.len());
        assert_eq!(
            get(port, path, Some(&wrong)).map(|r| r.0),
            Some(401),
            "{path}"
        );
    }
    // The pipeline files incidents; the API lists them and shows one with its actions.
    let deadline = Instant::now() + Duration::from_secs(180);
    let listed = loop {
        assert!(Instant::now() < deadline, "no incident served");
        if let Some((200, body)) = get(port, "/api/v1/incidents?status=all", Some(token)) {
            let v: serde_json::Value = serde_json::from_str(&body).expect("json");
            if v["value"].as_array().is_some_and(|a| !a.is_empty()) {
                break v;
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let first = &listed["value"][0];
    let id = first["id"].as_str().expect("id");
    assert!(
        first["status"].is_string() && first["kind"].is_string(),
        "{first}"
    );
    let (status, body) = get(port, &format!("/api/v1/incidents/{id}"), Some(token)).expect("get");
    assert_eq!(status, 200, "{body}");
    let one: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(one["incident"]["id"], id);
    assert!(one["actions"].is_array(), "{one}");
    assert_eq!(
        get(port, "/api/v1/incidents/INC-none", Some(token)).map(|r| r.0),
        Some(404)
    );
    assert_eq!(
        get(port, "/api/v1/incidents?status=sideways", Some(token)).map(|r| r.0),
        Some(400)
    );
    // Incidents are filed during a pass; the counter moves when it ends.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, metrics) = get(port, "/metrics", Some(token)).expect("metrics");
        assert_eq!(status, 200);
        assert!(metrics.contains("ward_incidents_open "), "{metrics}");
        let passes: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("ward_pipeline_passes_total "))
            .and_then(|v| v.trim().parse().ok())
            .expect("passes metric");
        if passes >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no pass finished: {metrics}");
        std::thread::sleep(Duration::from_millis(500));
    }

    // The analyst's buttons: the playbooks queued the incidents' actions (approve mode, the
    // default); one is approved and runs, one is rejected, neither can be decided twice.
    let deadline = Instant::now() + Duration::from_secs(120);
    let pending = loop {
        let (status, body) = get(port, "/api/v1/actions?status=pending", Some(token)).expect("get");
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        let ids: Vec<String> = v["value"]
            .as_array()
            .expect("value")
            .iter()
            .filter(|a| a["status"] == "pending")
            .filter_map(|a| a["id"].as_str().map(str::to_owned))
            .collect();
        if ids.len() >= 2 {
            break ids;
        }
        assert!(Instant::now() < deadline, "no actions queued: {v}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let approve = format!("/api/v1/actions/{}/approve", pending[0]);
    assert_eq!(post(port, &approve, None, "").map(|r| r.0), Some(401));
    let (status, body) = post(port, &approve, Some(token), "").expect("approve");
    assert_eq!(status, 200, "{body}");
    let out: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(out["outcome"]["action_id"], pending[0].as_str(), "{out}");
    // A false positive: the approved action is undone from the console too (when it is
    // reversible; a password reset or session revocation is not, and says so).
    let undo = format!("/api/v1/actions/{}/undo", pending[0]);
    let (status, body) = post(port, &undo, Some(token), r#"{"reason":"test"}"#).expect("undo");
    assert!(status == 200 || status == 409, "{status} {body}");
    if status == 200 {
        let out: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert!(out["outcome"]["outcome"].is_string(), "{out}");
    }
    let reject = format!("/api/v1/actions/{}/reject", pending[1]);
    let (status, body) = post(port, &reject, Some(token), r#"{"note":"a test"}"#).expect("reject");
    assert_eq!(status, 200, "{body}");
    assert_eq!(post(port, &reject, Some(token), "").map(|r| r.0), Some(409));
    assert_eq!(
        post(port, &reject, Some(token), "not json").map(|r| r.0),
        Some(400)
    );
    assert_eq!(
        post(port, "/api/v1/actions/act-none/approve", Some(token), "").map(|r| r.0),
        Some(404)
    );

    // SIGTERM: the pass under way finishes, then it stops cleanly.
    unsafe { libc::kill(serve.0.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = serve.0.try_wait().expect("poll") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "ward serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
}
