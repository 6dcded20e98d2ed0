//! The shipped learned layer (`model/phish-lr.json`, written by `ward train` from
//! `corpus/email-train`) on `corpus/email`, which it was not fitted on: phishing caught at a
//! fixed false-positive rate, as-is and content-only, and no more legitimate mail flagged at
//! the default verdict than the named signals flag alone (issue 20, item 2).

mod common;

use common::corpus;
use std::sync::Arc;

use ward_mail::eval::{content_only, read_labels, recall_at_fpr};
use ward_mail::model::Model;
use ward_mail::{Analyzer, AnalyzerConfig};

fn shipped() -> Arc<Model> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/model/phish-lr.json");
    let text = std::fs::read_to_string(path).expect("the shipped model");
    Arc::new(Model::from_json(&text).expect("a model file"))
}

#[test]
fn the_model_explains_itself() {
    let a = Analyzer::new(AnalyzerConfig {
        model: Some(shipped()),
        ..AnalyzerConfig::default()
    })
    .expect("analyzer");
    let phish = b"From: Microsoft account team <no-reply@usual-assist.com>\r\nTo: bob@contoso.com\r\nSubject: Your account password expires today\r\nContent-Type: text/html\r\n\r\n<p>Dear user, your email account password expires today. Verify your account below to keep receiving emails:</p><a href=\"http://usual-assist.com/login\">Verify account</a>\r\n";
    let v = a.analyze(phish).expect("verdict");
    let hit = v
        .signals
        .iter()
        .find(|s| s.id == "model.phishing")
        .unwrap_or_else(|| panic!("no model signal: {}", v.explain()));
    assert!(
        hit.score > 0 && hit.detail.contains("phishing-like"),
        "{hit:?}"
    );
    assert!(
        hit.detail.contains("the word") || hit.detail.contains("signal"),
        "{hit:?}"
    );
    let ham = b"From: Alice <alice@contoso.com>\r\nTo: bob@contoso.com\r\nSubject: minutes of the planning meeting\r\n\r\nHi Bob, the notes from Tuesday's planning meeting are in the shared folder. We agreed to move the review to Thursday; let me know if that does not work for you.\r\nAlice\r\n";
    let v = a.analyze(ham).expect("verdict");
    assert!(
        !v.signals.iter().any(|s| s.id == "model.phishing"),
        "{}",
        v.explain()
    );
}

#[test]
fn shipped_model_on_mail_it_was_not_fitted_on() {
    let Some(root) = corpus() else {
        eprintln!("!!! corpus not found: SKIPPING the shipped model's corpus test");
        return;
    };
    let (rows, _) = read_labels(&root.join("email")).expect("labels");
    let rules = Analyzer::new(AnalyzerConfig::default()).expect("analyzer");
    let model = Analyzer::new(AnalyzerConfig {
        model: Some(shipped()),
        ..AnalyzerConfig::default()
    })
    .expect("analyzer");
    for (mode, name) in [(0, "as-is"), (1, "content-only")] {
        let mut scores: [(Vec<f64>, Vec<f64>); 2] = Default::default();
        let mut flagged_ham = [0usize; 2];
        for r in &rows {
            let raw = std::fs::read(&r.path).expect("corpus file");
            let bytes = if mode == 0 { raw } else { content_only(&raw) };
            for (i, a) in [&rules, &model].into_iter().enumerate() {
                let v = a.analyze(&bytes).expect("verdict");
                let s = f64::from(v.score);
                if r.phish {
                    scores[i].0.push(s);
                } else {
                    scores[i].1.push(s);
                    flagged_ham[i] += usize::from(v.is_flagged());
                }
            }
        }
        let strict = recall_at_fpr(&scores[1].0, &scores[1].1, 0.0025);
        let baseline = recall_at_fpr(&scores[0].0, &scores[0].1, 0.0025);
        eprintln!(
            "{name}: recall at <= 0.25 % FP {:.1} % with the model, {:.1} % without; ham flagged {} vs {}",
            strict.recall * 100.0,
            baseline.recall * 100.0,
            flagged_ham[1],
            flagged_ham[0]
        );
        assert!(strict.recall >= 0.95, "{name}: {strict:?}");
        assert!(
            strict.recall > baseline.recall,
            "{name}: no better than the signals"
        );
        assert!(
            flagged_ham[1] <= flagged_ham[0],
            "{name}: the model flags more legitimate mail ({} vs {})",
            flagged_ham[1],
            flagged_ham[0]
        );
    }
}
