//! `ward hunt` on the labelled Panther events of the corpus: ≥ 90 % of attacks alert, ≤ 15 % of
//! benign events do. The labels are read only here, never by the product.

use std::path::PathBuf;
use std::process::Command;

fn corpus() -> Option<PathBuf> {
    let candidates = [
        std::env::var("WARD_CORPUS").ok().map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")),
        Some(PathBuf::from("/work/shared/corpus")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("audit/panther_m365_entra.jsonl").is_file())
}

#[test]
fn panther_attacks_alert_and_benign_stay_clean() {
    let Some(corpus) = corpus() else {
        eprintln!(
            "SKIP panther test: corpus not found (set WARD_CORPUS or provide ../shared/corpus)"
        );
        return;
    };
    let file = corpus.join("audit/panther_m365_entra.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["hunt", "--format", "jsonl"])
        .arg(&file)
        .env_remove("WARD_GEOIP_DIR")
        .output()
        .expect("run ward hunt");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "ward hunt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let labels: Vec<String> = std::fs::read_to_string(&file)
        .expect("read corpus")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("corpus line");
            v["label"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    let (mut attack, mut attack_alert, mut benign, mut benign_alert, mut incidents) =
        (0, 0, 0, 0, 0);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("jsonl output");
        if v.get("incident").is_some() {
            incidents += 1;
            continue;
        }
        assert_eq!(v["path"].as_str(), Some(file.to_str().unwrap_or_default()));
        let index = v["index"].as_u64().expect("index") as usize;
        let alert = v["verdict"] == "alert";
        if alert {
            assert!(!v["signals"].as_array().expect("signals").is_empty());
        }
        match labels.get(index).map(String::as_str) {
            Some("attack") => {
                attack += 1;
                attack_alert += usize::from(alert);
            }
            Some("benign") => {
                benign += 1;
                benign_alert += usize::from(alert);
            }
            other => panic!("unexpected label {other:?} at {index}"),
        }
    }
    assert_eq!(
        attack + benign,
        labels.len(),
        "one output line per input event"
    );
    eprintln!(
        "attack alerts {attack_alert}/{attack}, benign alerts {benign_alert}/{benign}, incidents {incidents}"
    );
    assert!(
        attack_alert * 100 >= attack * 90,
        "attack recall {attack_alert}/{attack} below 90 %"
    );
    assert!(
        benign_alert * 100 <= benign * 15,
        "benign alert rate {benign_alert}/{benign} above 15 %"
    );
    assert!(incidents > 0);
}

#[test]
fn unreadable_records_get_a_line_and_do_not_stop_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("mixed.jsonl");
    std::fs::write(
        &p,
        "{\"createdDateTime\":\"2025-01-01T00:00:00Z\",\"userPrincipalName\":\"a@x.com\",\"ipAddress\":\"1.2.3.4\",\"status\":{\"errorCode\":0},\"clientAppUsed\":\"IMAP4\"}\n\
         garbage\n{\"nothing\":\"known\"}\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["hunt", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .expect("run");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let verdicts: Vec<&str> = lines.iter().filter_map(|l| l["verdict"].as_str()).collect();
    assert_eq!(verdicts, vec!["alert", "error", "error"]);
    assert_eq!(lines[0]["signals"][0]["id"], "signin.legacy_protocol");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn user_rules_and_sigma_rules_apply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    let sigma = dir.path().join("sigma");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::create_dir_all(&sigma).expect("mkdir");
    std::fs::write(
        rules.join("vip.yaml"),
        "id: vip_legacy\nseverity: critical\nwhen: '\"signin.legacy_protocol\" in signals && event.user == \"ceo@contoso.com\"'\n",
    )
    .expect("write");
    std::fs::write(
        sigma.join("imap.yml"),
        "title: IMAP sign-in\nid: imap-1\nlogsource:\n  product: azure\n  service: signinlogs\ndetection:\n  sel:\n    ClientAppUsed: IMAP4\n  condition: sel\nlevel: low\n",
    )
    .expect("write");
    let events = dir.path().join("signins.json");
    std::fs::write(
        &events,
        r#"[{"createdDateTime":"2025-01-01T00:00:00Z","userPrincipalName":"ceo@contoso.com","ipAddress":"1.2.3.4","status":{"errorCode":0},"clientAppUsed":"IMAP4"},
            {"createdDateTime":"2025-01-01T00:00:00Z","userPrincipalName":"bob@contoso.com","ipAddress":"1.2.3.4","status":{"errorCode":0},"clientAppUsed":"Browser"}]"#,
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["hunt", "--format", "jsonl", "--rules"])
        .arg(&rules)
        .arg("--sigma")
        .arg(&sigma)
        .arg(&events)
        .output()
        .expect("run");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let ids: Vec<&str> = lines[0]["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"rule.vip_legacy") && ids.contains(&"sigma.imap-1"),
        "{ids:?}"
    );
    assert_eq!(lines[1]["verdict"], "clean");
    assert_eq!(lines[1]["index"], 1);
}
