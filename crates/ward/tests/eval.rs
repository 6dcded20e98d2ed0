//! `ward eval` on a small labelled corpus made here: recall at fixed false-positive rates, AUC,
//! both modes and the split by sample number, in JSON (issue 20, item 1).

use std::process::Command;

const HAM: &str = "From: Alice <alice@contoso.com>\r\nTo: bob@contoso.com\r\nSubject: lunch {n}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <{n}@contoso.com>\r\n\r\nShall we meet at noon? {n}\r\n";

const PHISH: &str = "From: Microsoft account team <no-reply@usual-assist.com>\r\nTo: bob@contoso.com\r\nSubject: Your password expires today\r\nReceived: from mx.usual-assist.com\r\nContent-Type: text/html\r\n\r\n<p>Your Microsoft 365 password expires today. Verify your account now to keep your mail:</p><a href=\"http://usual-assist.com/login/microsoft\">Keep my password</a><form action=\"http://usual-assist.com/p\"><input type=\"password\" name=\"p\"></form>\r\n";

#[test]
fn eval_reports_recall_at_fixed_false_positive_rates() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("phish")).expect("dir");
    std::fs::create_dir_all(dir.path().join("ham")).expect("dir");
    let mut labels = String::from("path,label\n");
    for n in 1..=6 {
        let p = format!("phish/sample-{n}.eml");
        // The last two are not phishing in content: Ward must miss them.
        let body = if n <= 4 {
            PHISH.to_owned()
        } else {
            HAM.replace("{n}", &format!("p{n}"))
        };
        std::fs::write(dir.path().join(&p), body).expect("write");
        labels.push_str(&format!("{p},phish\n"));
    }
    for n in 1..=10 {
        let p = format!("ham/{n:05}.eml");
        std::fs::write(dir.path().join(&p), HAM.replace("{n}", &n.to_string())).expect("write");
        labels.push_str(&format!("{p},ham\n"));
    }
    labels.push_str("../outside.eml,ham\n");
    std::fs::write(dir.path().join("labels.csv"), labels).expect("labels");

    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["eval", "--json", "--split-at", "3"])
        .arg(dir.path())
        .output()
        .expect("run ward eval");
    assert!(out.status.success(), "{out:?}");
    let r: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(r["phish"], 6);
    assert_eq!(r["ham"], 10, "the row outside the corpus is skipped: {r}");
    for mode in ["as_is", "content_only"] {
        let all = &r["modes"][mode]["all"];
        assert_eq!(all["recall_default"], 4.0 / 6.0, "{mode}: {all}");
        assert_eq!(all["fpr_default"], 0.0, "{mode}: {all}");
        let strict = &all["at_fpr"][0];
        assert_eq!(strict["max_fpr"], 0.0025);
        assert_eq!(strict["recall"], 4.0 / 6.0, "{mode}: {strict}");
        let auc = all["roc_auc"].as_f64().expect("auc");
        assert!(auc > 0.6 && auc < 1.0, "{mode}: {auc}");
        // Earlier: samples 1-3 (all phishing in content); later: 4-6 (one of three).
        assert_eq!(r["modes"][mode]["earlier"]["recall_default"], 1.0);
        assert_eq!(r["modes"][mode]["later"]["recall_default"], 1.0 / 3.0);
    }
}

/// `ward train` fits on the earlier part, writes a model file, and judges it on the later part
/// against the named signals alone; `ward scan --model` then uses it (issue 20, item 2).
#[test]
fn train_writes_a_model_that_scan_and_eval_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("phish")).expect("dir");
    std::fs::create_dir_all(dir.path().join("ham")).expect("dir");
    let mut labels = String::new();
    for n in 1..=12 {
        let p = format!("phish/sample-{n}.eml");
        std::fs::write(dir.path().join(&p), PHISH).expect("write");
        labels.push_str(&format!("{p},phish\n"));
    }
    for n in 1..=12 {
        let p = format!("ham/{n:05}.eml");
        std::fs::write(dir.path().join(&p), HAM.replace("{n}", &n.to_string())).expect("write");
        labels.push_str(&format!("{p},ham\n"));
    }
    std::fs::write(dir.path().join("labels.csv"), labels).expect("labels");
    let model = dir.path().join("model.json");
    let out = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args([
            "train",
            "--fit-until",
            "8",
            "--generated-ham",
            "40",
            "--out",
        ])
        .arg(&model)
        .arg(dir.path())
        .output()
        .expect("run ward train");
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("with the model") && table.contains("named signals"),
        "{table}"
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).expect("model")).expect("json");
    assert_eq!(m["version"], 1);
    assert!(
        m["weights"].as_object().is_some_and(|w| !w.is_empty()),
        "{m}"
    );
    assert!(
        m["trained_on"].as_str().is_some_and(|t| t.contains("<= 8")),
        "{m}"
    );

    let scan = Command::new(env!("CARGO_BIN_EXE_ward"))
        .arg("scan")
        .arg("--model")
        .arg(&model)
        .arg(dir.path().join("phish/sample-11.eml"))
        .output()
        .expect("run ward scan");
    let line = String::from_utf8_lossy(&scan.stdout);
    assert!(line.contains("\"model.phishing\""), "{line}");
    let bad = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["scan", "--model"])
        .arg(dir.path().join("labels.csv"))
        .arg(dir.path().join("phish/sample-11.eml"))
        .output()
        .expect("run ward scan");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a model"));
}
