//! The analyzer's output: a verdict, a 0–100 score, categories and the signals behind them.

use serde::Serialize;

/// One named signal that fired, with its weight and the evidence in plain words.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SignalHit {
    pub id: String,
    pub score: i32,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    Clean,
    Suspicious,
    Malicious,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Clean => "clean",
            VerdictKind::Suspicious => "suspicious",
            VerdictKind::Malicious => "malicious",
        }
    }
}

/// Category names used by the built-in pack. User rules may add others (free text).
pub type Category = String;

/// The verdict of one message.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub score: u8,
    pub categories: Vec<Category>,
    pub signals: Vec<SignalHit>,
}

impl Verdict {
    /// Suspicious or malicious.
    pub fn is_flagged(&self) -> bool {
        self.verdict != VerdictKind::Clean
    }

    /// The signals in plain words, one per line, strongest first.
    pub fn explain(&self) -> String {
        let mut s: Vec<&SignalHit> = self.signals.iter().collect();
        s.sort_by_key(|h| std::cmp::Reverse(h.score));
        s.iter()
            .map(|h| format!("{:+} {}: {}", h.score, h.id, h.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
