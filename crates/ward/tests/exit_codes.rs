//! The exit codes the README promises for the offline commands: 0 clean, 1 found something,
//! 2 an input that could not be read or is not what the command reads (issue 21, items 4, 8).

use std::path::Path;
use std::process::{Command, Output};

fn ward(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .current_dir(dir)
        .env_remove("WARD_GEOIP_DIR")
        .output()
        .expect("run ward")
}

const CLEAN: &str = "From: Alice <alice@contoso.com>\r\nTo: bob@contoso.com\r\nSubject: lunch\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@contoso.com>\r\n\r\nShall we meet at noon?\r\n";

const PHISH: &str = "From: Microsoft account team <no-reply@usual-assist.com>\r\nTo: bob@contoso.com\r\nSubject: Your password expires today\r\nContent-Type: text/html\r\n\r\n<p>Your Microsoft 365 password expires today. Verify your account now to keep your mail:</p><a href=\"http://usual-assist.com/login/microsoft\">Keep my password</a><form action=\"http://usual-assist.com/p\"><input type=\"password\" name=\"p\"></form>\r\n";

#[test]
fn scan_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("clean.eml"), CLEAN).expect("write");
    std::fs::write(dir.path().join("phish.eml"), PHISH).expect("write");
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join("random.eml"), random).expect("write");

    let o = ward(&["scan", "clean.eml"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = ward(&["scan", "phish.eml"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{o:?}");

    let o = ward(&["scan", "missing.eml"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("\"verdict\":\"error\""), "{out}");
    assert!(out.contains("no such file"), "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.eml"));

    let o = ward(&["scan", "random.eml"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("not an email message"), "{out}");

    // An error wins over a finding, as with grep: the run did not see everything.
    let o = ward(&["scan", "phish.eml", "missing.eml"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
}

#[test]
fn hunt_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let benign = r#"{"id":"1","createdDateTime":"2024-01-01T10:00:00Z","userPrincipalName":"bob@contoso.com","userId":"u1","appDisplayName":"Office 365 Exchange Online","ipAddress":"10.0.0.1","status":{"errorCode":0},"clientAppUsed":"Browser","isInteractive":true}"#;
    std::fs::write(dir.path().join("signins.jsonl"), format!("{benign}\n")).expect("write");

    let o = ward(&["hunt", "--format", "jsonl", "signins.jsonl"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{o:?}");

    let o = ward(&["hunt", "--format", "jsonl", "missing.jsonl"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing.jsonl: no such file"), "{err}");

    let o = ward(
        &[
            "hunt",
            "--format",
            "jsonl",
            "signins.jsonl",
            "missing.jsonl",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Writes `dir/name`: a tenant whose every endpoint is `base`, with a client secret (mode 600)
/// beside it.
fn tenant_at(dir: &Path, name: &str, base: &str) {
    let secret = dir.join("secret");
    std::fs::write(&secret, "not-a-real-secret").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    std::fs::write(
        dir.join(name),
        format!(
            "[tenant]\nid = \"00000000-0000-0000-0000-000000000001\"\n\
             client_id = \"00000000-0000-0000-0000-000000000002\"\n\
             client_secret_file = \"secret\"\n\n[endpoints]\nlogin = \"{base}\"\n\
             graph = \"{base}\"\nmanage = \"{base}\"\n\n[store]\ndatabase = \"w.db\"\n"
        ),
    )
    .expect("config");
}

/// A tenant that cannot be reached fails at once, says what it tried and why it failed, and
/// does not blame the credential or suggest running again (issue 21, item 5).
#[test]
fn unreachable_tenant_fails_fast_with_its_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = closed_port();
    for (name, base, cause) in [
        (
            "refused.toml",
            format!("http://127.0.0.1:{port}"),
            "refused",
        ),
        (
            "dns.toml",
            "https://login.ward-test.invalid".to_owned(),
            "DNS",
        ),
    ] {
        tenant_at(dir.path(), name, &base);
        for cmd in ["connect", "sync"] {
            let started = std::time::Instant::now();
            let o = ward(&[cmd, "--config", name], dir.path());
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{cmd} {name}: {err}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{cmd} {name} took {:?}",
                started.elapsed()
            );
            assert!(
                err.contains(&base),
                "{cmd} {name}: does not say what it tried: {err}"
            );
            assert!(err.contains(cause), "{cmd} {name}: {err}");
            assert!(!err.contains("tenant id, client id"), "{cmd} {name}: {err}");
            assert!(!err.contains("resume"), "{cmd} {name}: {err}");
            let error_line = err.lines().find(|l| l.starts_with("error:")).unwrap_or("");
            assert_eq!(error_line.matches(&base).count(), 1, "{error_line}");
        }
    }
}

/// `WARD_LOG`, else `RUST_LOG`, sets the log filter; off a terminal no colour codes are written
/// (issue 21, item 11).
#[test]
fn logging_reads_ward_log_then_rust_log_without_colour_off_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = closed_port();
    tenant_at(dir.path(), "ward.toml", &format!("http://127.0.0.1:{port}"));
    let run = |vars: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ward"));
        c.args(["connect", "--config", "ward.toml"])
            .current_dir(dir.path())
            .env_remove("WARD_LOG")
            .env_remove("RUST_LOG");
        for (k, v) in vars {
            c.env(k, v);
        }
        String::from_utf8_lossy(&c.output().expect("run ward").stderr).into_owned()
    };
    let quiet = run(&[]);
    assert!(!quiet.contains("DEBUG"), "{quiet}");
    let rust = run(&[("RUST_LOG", "debug")]);
    assert!(rust.contains("DEBUG"), "RUST_LOG ignored: {rust}");
    assert!(
        !rust.contains('\u{1b}'),
        "colour codes off a terminal: {rust:?}"
    );
    let ward = run(&[("RUST_LOG", "debug"), ("WARD_LOG", "off")]);
    assert!(!ward.contains("DEBUG"), "WARD_LOG does not win: {ward}");
    assert!(!rust.contains("not-a-real-secret"), "the secret is logged");
}
