//! `ward demo --headless --report json`, run the way a user runs it.

use std::process::Command;

#[test]
fn headless_demo_prints_one_report_and_detects_every_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.db");
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args([
            "demo",
            "--headless",
            "--report",
            "json",
            "--users",
            "20",
            "--speed",
            "3",
            "--history-days",
            "2",
            "--database",
        ])
        .arg(&db)
        .output()
        .expect("run ward demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ward demo failed: {stderr}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    // Only the JSON object on stdout.
    let report: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(stdout.trim().lines().count(), 1);
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 7, "{report}");
    for s in scenarios {
        for key in [
            "id",
            "kind",
            "detected",
            "contained",
            "detect_ms",
            "contain_ms",
        ] {
            assert!(s.get(key).is_some(), "{key} missing in {s}");
        }
        assert_eq!(s["detected"], true, "not detected: {s}\n{report:#}");
        // Auto mode contains every scenario, judged from the simulated tenant's state.
        assert_eq!(s["contained"], true, "not contained: {s}\n{report:#}");
        let (d, c) = (s["detect_ms"].as_i64(), s["contain_ms"].as_i64());
        assert!(c.is_some() && c >= d, "contain_ms before detection: {s}");
    }
    assert_eq!(
        report["benign_touched"],
        serde_json::json!([]),
        "{report:#}"
    );
    assert_eq!(report["actions_failed"], 0, "{report:#}");
    // The state-diff sensors see the attacker's inbox rule and MFA method before the unified
    // audit stream delivers them.
    let diffs = report["state_diff"].as_array().expect("state_diff");
    assert_eq!(diffs.len(), 2, "{report:#}");
    for d in diffs {
        let state = d["state_ms"]
            .as_i64()
            .unwrap_or_else(|| panic!("not seen by state diff: {d}"));
        if let Some(audit) = d["audit_ms"].as_i64() {
            assert!(state < audit, "audit stream first: {d}");
        }
    }
    // One incident per user: a compromise chain is one story, not one incident per signal.
    let mut per_subject = std::collections::BTreeMap::<&str, usize>::new();
    for i in report["incidents"].as_array().expect("incidents") {
        *per_subject
            .entry(i["subject"].as_str().unwrap_or_default())
            .or_default() += 1;
    }
    assert!(per_subject.values().all(|&n| n == 1), "{per_subject:?}");
    // Low-severity correlations are alerts, listed apart.
    for a in report["alerts"].as_array().expect("alerts") {
        assert_eq!(a["severity"], "low", "{a}");
    }
    for key in [
        "false_incidents",
        "messages_analyzed",
        "graph_requests",
        "throttled_responses",
    ] {
        assert!(report[key].is_u64(), "{key} in {report}");
    }
    assert_eq!(report["false_incidents"], 0, "{report:#}");
    assert!(
        report["messages_analyzed"].as_u64().unwrap_or(0) > 100,
        "{report}"
    );

    // The demo's store reads back with no --tenant: it records its one tenant (issue 21, 7).
    let ward = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_ward"))
            .args(args)
            .arg("--database")
            .arg(&db)
            .env_remove("WARD_TENANT_ID")
            .env_remove("WARD_CONFIG")
            .current_dir(dir.path())
            .output()
            .expect("run ward");
        assert!(o.status.success(), "{args:?}: {o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let list = ward(&["incidents", "list", "--status", "all", "--json"]);
    let ids: Vec<String> = list
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["id"].as_str().expect("id").to_string()
        })
        .collect();
    assert!(ids.len() >= 7, "{list}");
    // Ward's own containment is never a finding (issue 21, 3): no password reset by Ward's
    // app, no MFA method removal, in any incident's evidence.
    for id in &ids {
        let shown = ward(&["incidents", "show", id, "--json"]);
        for own in [
            "reset by app:",
            "identity.mfa_method_removed",
            "state.mfa_method_removed",
        ] {
            assert!(!shown.contains(own), "{id} shows {own}: {shown}");
        }
    }
}

/// Without `--headless` the demo says each detection and containment as it happens, with the
/// time since the attack began, then where its store is (issue 21, item 6).
#[test]
fn demo_says_what_happens_as_it_happens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("walk.db");
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args([
            "demo",
            "--users",
            "10",
            "--speed",
            "4",
            "--history-days",
            "1",
            "--database",
        ])
        .arg(&db)
        .output()
        .expect("run ward demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ward demo failed: {stderr}");
    let live: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" s  detected") || l.contains(" s  contained"))
        .collect();
    // Seven scenarios, each detected and contained, each said once.
    assert_eq!(live.len(), 14, "{stderr}");
    let watching = stderr.find("watching the tenant").expect("watching line");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.find(live[0]).is_some_and(|at| at > watching),
        "{stderr}"
    );
    assert!(!table.trim().is_empty(), "no report table");
    let db = db.display().to_string();
    assert!(
        stderr.contains(&format!("ward incidents list --database {db}")),
        "{stderr}"
    );
}

#[test]
fn demo_refuses_a_company_too_small_for_its_scenarios() {
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["demo", "--users", "0"])
        .output()
        .expect("run ward demo");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("10 to 100000"), "{stderr}");
}
