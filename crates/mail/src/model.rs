//! The learned layer beside the named signals (issue 20, item 2): a logistic regression over
//! what a message shows — its visible words, its subject's words, its links' shape, its
//! attachments' types, and the named signals that fired — trained by `ward train` from a
//! labelled corpus and shipped as a small JSON file of feature weights.
//!
//! Why this shape: sparse binary features and a linear model are cheap (a few hash lookups per
//! word), deterministic, and explainable — every verdict names the features that moved it.
//! Written here rather than taken from a crate: the dense-matrix ML crates (linfa, smartcore)
//! would cost far more to build than the forty lines of sparse gradient descent below, and
//! would not read the features as names.
//!
//! Nothing here reads a transport header: no Received, no dates, no mailer, no authentication
//! results (the `auth.*` signals are left out), so the model cannot learn a corpus's era or
//! route instead of its content.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::verdict::SignalHit;

/// Words read per message (the start of the visible text: what the reader sees first).
const MAX_WORDS: usize = 3000;

/// A trained model: `p(phish) = sigmoid(bias + Σ weight[f])` over the features present.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Model {
    pub version: u32,
    /// What it was trained on, in words (corpus, split, counts).
    pub trained_on: String,
    pub bias: f64,
    /// Sorted, so that the same training writes the same file.
    pub weights: BTreeMap<String, f64>,
}

/// A model's reading of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub probability: f64,
    /// The present features that pushed hardest toward phishing, strongest first.
    pub top: Vec<(String, f64)>,
}

impl Model {
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn read(&self, features: &[String]) -> Reading {
        let mut z = self.bias;
        let mut present: Vec<(String, f64)> = Vec::new();
        for f in features {
            if let Some(w) = self.weights.get(f) {
                z += w;
                present.push((f.clone(), *w));
            }
        }
        present.sort_by(|a, b| b.1.total_cmp(&a.1));
        present.retain(|(_, w)| *w > 0.0);
        present.truncate(4);
        Reading {
            probability: sigmoid(z),
            top: present,
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z.clamp(-40.0, 40.0)).exp())
}

/// A feature in words, for the verdict's explanation.
pub fn describe(feature: &str) -> String {
    match feature.split_once(':') {
        Some(("w", w)) => format!("the word “{w}”"),
        Some(("s", w)) => format!("“{w}” in the subject"),
        Some(("sig", s)) => format!("signal {s}"),
        Some(("tld", t)) => format!("a link to a .{t} site"),
        Some(("hosts", n)) => format!("links to {n} sites"),
        Some(("att", e)) => format!("a .{e} attachment"),
        Some(("shape", s)) => s.replace('_', " "),
        _ => feature.to_owned(),
    }
}

/// The features of an analysed message (deduplicated, in a stable order).
pub fn features(ctx: &Ctx<'_>, signals: &[SignalHit]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |f: String| {
        if seen.insert(f.clone()) {
            out.push(f);
        }
    };
    for w in words(&ctx.mail.subject.to_lowercase()) {
        push(format!("s:{w}"));
    }
    for w in words(&ctx.folded).take(MAX_WORDS) {
        push(format!("w:{w}"));
    }
    for s in signals.iter().filter(|s| !s.id.starts_with("auth.")) {
        push(format!("sig:{}", s.id));
    }
    let mut hosts = HashSet::new();
    for l in &ctx.links {
        if let Some(h) = crate::analysis::links::host_of(&l.url) {
            if let Some(tld) = h
                .rsplit('.')
                .next()
                .filter(|t| t.chars().all(char::is_alphabetic))
            {
                push(format!("tld:{tld}"));
            }
            hosts.insert(h);
        }
    }
    push(format!(
        "hosts:{}",
        match hosts.len() {
            0 => "0",
            1 => "1",
            2..=5 => "2-5",
            6..=20 => "6-20",
            _ => "over-20",
        }
    ));
    for a in &ctx.mail.attachments {
        if let Some((_, ext)) = a.name.rsplit_once('.') {
            let ext = ext.to_ascii_lowercase();
            if ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()) {
                push(format!("att:{ext}"));
            }
        }
    }
    // Not whether the mail is HTML-only: that says which software sent it (and, in the public
    // corpora, which decade), and modern legitimate newsletters are HTML-only too.
    let visible = ctx.text.len();
    push(format!(
        "shape:visible_text_{}",
        match visible {
            0..=200 => "under_200_chars",
            201..=1000 => "200_to_1000_chars",
            1001..=5000 => "1000_to_5000_chars",
            _ => "over_5000_chars",
        }
    ));
    out
}

/// Pieces of written-out addresses, not words: the links' own features say what links do, and
/// whether a corpus writes its URLs out in the text says when it was written, not what it is.
const URL_SYNTAX: &[&str] = &[
    "http", "https", "www", "com", "net", "org", "html", "htm", "php", "asp", "aspx", "mailto",
];

/// Alphabetic words of 3 to 24 letters.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| (3..=24).contains(&w.chars().count()) && !URL_SYNTAX.contains(w))
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// A feature is kept when it appears in at least this many training messages.
    pub min_docs: usize,
    pub epochs: usize,
    pub learning_rate: f64,
    /// L2 penalty per feature.
    pub l2: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            min_docs: 4,
            epochs: 40,
            learning_rate: 0.2,
            l2: 1e-4,
        }
    }
}

/// Fits the model by stochastic gradient descent in a fixed order (reproducible), the two
/// classes weighted equally whatever their counts. Weights too small to matter are dropped.
pub fn train(docs: &[(Vec<String>, bool)], opts: &TrainOptions, trained_on: String) -> Model {
    let mut df: HashMap<&str, usize> = HashMap::new();
    for (f, _) in docs {
        for x in f {
            *df.entry(x.as_str()).or_default() += 1;
        }
    }
    let mut names: Vec<&str> = df
        .iter()
        .filter(|(_, n)| **n >= opts.min_docs)
        .map(|(k, _)| *k)
        .collect();
    names.sort_unstable();
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let rows: Vec<(Vec<usize>, bool)> = docs
        .iter()
        .map(|(f, y)| {
            (
                f.iter()
                    .filter_map(|x| index.get(x.as_str()).copied())
                    .collect(),
                *y,
            )
        })
        .collect();
    let pos = rows.iter().filter(|r| r.1).count().max(1) as f64;
    let neg = rows.iter().filter(|r| !r.1).count().max(1) as f64;
    let total = pos + neg;
    let (wp, wn) = (total / (2.0 * pos), total / (2.0 * neg));
    let mut w = vec![0.0f64; names.len()];
    let mut bias = 0.0f64;
    // Interleave the classes in a fixed order so no epoch ends on one class.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|i| (i.wrapping_mul(2_654_435_761) % 1_000_003, *i));
    for epoch in 0..opts.epochs {
        let lr = opts.learning_rate / (1.0 + epoch as f64 * 0.2);
        for &i in &order {
            let (x, y) = &rows[i];
            let z = bias + x.iter().map(|j| w[*j]).sum::<f64>();
            let target = if *y { 1.0 } else { 0.0 };
            let g = (sigmoid(z) - target) * if *y { wp } else { wn };
            bias -= lr * g;
            for j in x {
                w[*j] -= lr * (g + opts.l2 * w[*j]);
            }
        }
    }
    let weights = names
        .iter()
        .zip(w)
        .filter(|(_, v)| v.abs() >= 0.01)
        .map(|(n, v)| ((*n).to_owned(), (v * 1e4).round() / 1e4))
        .collect();
    Model {
        version: 1,
        trained_on,
        bias: (bias * 1e4).round() / 1e4,
        weights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(words: &[&str], y: bool) -> (Vec<String>, bool) {
        (words.iter().map(|w| format!("w:{w}")).collect(), y)
    }

    #[test]
    fn learns_which_words_mean_phishing_and_says_so() {
        let mut docs = Vec::new();
        for i in 0..40 {
            docs.push(doc(
                &["verify", "account", "password", &format!("n{i}")],
                true,
            ));
            docs.push(doc(
                &["lunch", "meeting", "agenda", &format!("m{i}")],
                false,
            ));
        }
        let opts = TrainOptions {
            min_docs: 2,
            ..TrainOptions::default()
        };
        let m = train(&docs, &opts, "test".into());
        let phish = m.read(&["w:verify".into(), "w:password".into()]);
        let ham = m.read(&["w:lunch".into(), "w:agenda".into()]);
        assert!(phish.probability > 0.9, "{phish:?}");
        assert!(ham.probability < 0.1, "{ham:?}");
        assert!(phish.top.iter().any(|(f, _)| f == "w:verify"), "{phish:?}");
        // Words seen once are not kept: the model does not memorise single messages.
        assert!(!m.weights.contains_key("w:n1"));
        // Reproducible.
        assert_eq!(m, train(&docs, &opts, "test".into()));
        assert_eq!(describe("w:verify"), "the word “verify”");
    }
}
