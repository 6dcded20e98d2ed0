//! Per-phase time counters for profiling the analyzer (feature `phase-timing`).
//!
//! Without the feature, [`time`] is a plain call and costs nothing; with it, every phase adds
//! its wall-clock time to a thread-local counter that [`take`] reads and resets. Used by
//! `examples/bench.rs` to show where the time goes (see BENCHMARKS.md, "Mail analysis").

/// The phases of one analysis, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// MIME parsing and the bounded [`crate::message::Mail`] view.
    Parse,
    /// Reading the HTML bodies (`html::analyze_html`).
    Html,
    /// Assembling and folding the text.
    Text,
    /// Phrase scan over the folded text.
    Lexicon,
    /// Finding links in HTML facts and plain text.
    LinkExtract,
    Auth,
    Identity,
    Content,
    HtmlTricks,
    Attachments,
    Qr,
    Links,
    /// Turning signals into the facts rules read.
    Facts,
    /// CEL rule evaluation.
    Rules,
}

impl Phase {
    pub const ALL: [Phase; 14] = [
        Phase::Parse,
        Phase::Html,
        Phase::Text,
        Phase::Lexicon,
        Phase::LinkExtract,
        Phase::Auth,
        Phase::Identity,
        Phase::Content,
        Phase::HtmlTricks,
        Phase::Attachments,
        Phase::Qr,
        Phase::Links,
        Phase::Facts,
        Phase::Rules,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Parse => "parse",
            Phase::Html => "html",
            Phase::Text => "text",
            Phase::Lexicon => "lexicon",
            Phase::LinkExtract => "link_extract",
            Phase::Auth => "auth",
            Phase::Identity => "identity",
            Phase::Content => "content",
            Phase::HtmlTricks => "html_tricks",
            Phase::Attachments => "attachments",
            Phase::Qr => "qr",
            Phase::Links => "links",
            Phase::Facts => "facts",
            Phase::Rules => "rules",
        }
    }
}

#[cfg(feature = "phase-timing")]
thread_local! {
    static NANOS: std::cell::RefCell<[u64; 14]> = const { std::cell::RefCell::new([0; 14]) };
}

/// Runs `f`, adding its duration to `phase` when the feature is on. Phases may nest (the QR
/// decoding of PDF images runs inside attachments); nested time counts in both.
#[inline(always)]
pub fn time<T>(phase: Phase, f: impl FnOnce() -> T) -> T {
    #[cfg(feature = "phase-timing")]
    {
        let t = std::time::Instant::now();
        let r = f();
        let d = t.elapsed().as_nanos() as u64;
        NANOS.with(|n| n.borrow_mut()[phase as usize] += d);
        r
    }
    #[cfg(not(feature = "phase-timing"))]
    {
        let _ = phase;
        f()
    }
}

/// The nanoseconds spent per phase on this thread since the last call (all zero without the
/// feature), and resets them.
pub fn take() -> Vec<(Phase, u64)> {
    #[cfg(feature = "phase-timing")]
    let v = NANOS.with(|n| std::mem::take(&mut *n.borrow_mut()));
    #[cfg(not(feature = "phase-timing"))]
    let v = [0u64; 14];
    Phase::ALL.iter().map(|p| (*p, v[*p as usize])).collect()
}
