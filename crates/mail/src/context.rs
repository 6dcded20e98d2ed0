//! The shared analysis context: the message view, derived facts every family reuses (HTML facts,
//! folded text, phrase hits, links), and the signals raised so far.

use std::time::Instant;

use foldhash::HashSetExt;

use crate::analysis::qr::PictureMemo;
use crate::config::AnalyzerConfig;
use crate::html::{HtmlFacts, analyze_html};
use crate::lexicon::{self, TopicHits};
use crate::limits::{MAX_LINKS, MAX_TEXT_BYTES, TIME_BUDGET_MS};
use crate::message::Mail;
use crate::text::{fold, truncate};
use crate::timing::{Phase, time};

/// Where a link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkSource {
    Html,
    Text,
    Qr,
    Pdf,
    Calendar,
    HtmlAttachment,
}

impl LinkSource {
    pub fn words(self) -> &'static str {
        match self {
            LinkSource::Html => "in the message",
            LinkSource::Text => "in the message text",
            LinkSource::Qr => "in a QR code",
            LinkSource::Pdf => "in a PDF attachment",
            LinkSource::Calendar => "in a calendar invite",
            LinkSource::HtmlAttachment => "in an HTML attachment",
        }
    }
}

/// A link found anywhere in the message.
#[derive(Debug, Clone)]
pub struct Link {
    pub url: String,
    /// The anchor text the reader sees, for HTML links.
    pub text: Option<String>,
    pub source: LinkSource,
}

/// A signal raised by a family; its score comes from the weights in data.
#[derive(Debug, Clone)]
pub struct RawHit {
    pub id: &'static str,
    pub detail: String,
}

pub struct Ctx<'a> {
    pub cfg: &'a AnalyzerConfig,
    /// The QR codes of pictures already seen, by this message or earlier ones.
    pub pictures: &'a PictureMemo,
    pub mail: Mail<'a>,
    pub html: Vec<HtmlFacts>,
    /// Subject, plain text and visible HTML text, unfolded (for numbers, IBANs, phones).
    pub text: String,
    /// The same, folded for phrase matching.
    pub folded: String,
    pub topics: TopicHits,
    pub links: Vec<Link>,
    pub hits: Vec<RawHit>,
    started: Instant,
}

impl<'a> Ctx<'a> {
    pub fn new(cfg: &'a AnalyzerConfig, pictures: &'a PictureMemo, mut mail: Mail<'a>) -> Self {
        let html: Vec<HtmlFacts> = time(Phase::Html, || {
            mail.html_bodies.iter().map(|h| analyze_html(h)).collect()
        });
        for note in html.iter().flat_map(|h| &h.limits) {
            if !mail.limits_hit.contains(note) {
                mail.limits_hit.push(note.clone());
            }
        }
        let (text, folded) = time(Phase::Text, || {
            let text = Self::gather_text(&mail, &html);
            let folded = fold(&text);
            (text, folded)
        });
        let topics = time(Phase::Lexicon, || lexicon::scan(&folded));
        let mut notes = Vec::new();
        let links = time(Phase::LinkExtract, || {
            Self::gather_links(&mail, &html, &text, &mut notes)
        });
        mail.limits_hit.append(&mut notes);
        // Phrases and links were found in all of the text; the checks that read it as a whole
        // read its ends.
        if text.len() > MAX_TEXT_BYTES {
            mail.limits_hit.push(format!(
                "more than {} KB of text: phrases and links were looked for in all of it, the \
                 other text checks read its first and last {} KB",
                MAX_TEXT_BYTES / 1024,
                MAX_TEXT_BYTES / 2048
            ));
        }
        let (text, folded) = (head_and_tail(text), head_and_tail(folded));
        Ctx {
            cfg,
            pictures,
            mail,
            html,
            text,
            folded,
            topics,
            links,
            hits: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Subject and visible text, whole.
    fn gather_text(mail: &Mail<'_>, html: &[HtmlFacts]) -> String {
        let mut text = String::new();
        text.push_str(&mail.subject);
        text.push('\n');
        // Prefer the HTML's visible text; fall back to plain text when there is no HTML.
        if html.is_empty() {
            for t in &mail.text_bodies {
                text.push_str(t);
                text.push('\n');
            }
        } else {
            for h in html {
                text.push_str(&h.visible_text);
                text.push('\n');
            }
            // Plain parts that are not alternatives of the HTML (short ones) are still read.
            if text.len() < 200 {
                for t in &mail.text_bodies {
                    text.push_str(t);
                    text.push('\n');
                }
            }
        }
        text
    }

    /// Links from HTML anchors and forms, then URLs written in the text (`text`, whole: the
    /// subject and the body text [`Self::gather_text`] read), each distinct URL once. Past
    /// [`MAX_LINKS`], every host keeps its first link before any keeps a second, and so on
    /// (a note says links were dropped): the link family judges hosts, and a lure's host then
    /// stays among them however many harmless links come before it.
    fn gather_links(
        mail: &Mail<'_>,
        html: &[HtmlFacts],
        text: &str,
        limits: &mut Vec<String>,
    ) -> Vec<Link> {
        let mut links = Vec::new();
        for h in html {
            for a in &h.anchors {
                links.push(Link {
                    url: a.href.clone(),
                    text: Some(a.text.clone()),
                    source: LinkSource::Html,
                });
            }
            for f in h.forms.iter().filter(|f| !f.action.is_empty()) {
                links.push(Link {
                    url: f.action.clone(),
                    text: None,
                    source: LinkSource::Html,
                });
            }
        }
        let finder = linkify::LinkFinder::new();
        // The text after the subject is the body's.
        let body = text.get(mail.subject.len() + 1..).unwrap_or_default();
        for l in finder
            .links(body)
            .filter(|l| *l.kind() == linkify::LinkKind::Url)
        {
            links.push(Link {
                url: l.as_str().to_string(),
                text: None,
                source: LinkSource::Text,
            });
        }
        let mut seen = foldhash::HashSet::with_capacity(links.len());
        links.retain(|l| seen.insert(l.url.clone()));
        if links.len() > MAX_LINKS {
            links = spread_over_hosts(links, MAX_LINKS);
            limits.push(format!(
                "more than {MAX_LINKS} distinct links; every host kept its first ones, the rest \
                 were not read"
            ));
        }
        links
    }

    /// Raises signal `id` with plain-words evidence. A signal is raised once per message.
    pub fn add(&mut self, id: &'static str, detail: impl Into<String>) {
        if !self.has(id) {
            self.hits.push(RawHit {
                id,
                detail: detail.into(),
            });
        }
    }

    pub fn has(&self, id: &str) -> bool {
        self.hits.iter().any(|h| h.id == id)
    }

    /// Adds a link found by a later family (QR codes, PDFs, invites, HTML attachments).
    pub fn add_link(&mut self, url: String, text: Option<String>, source: LinkSource) {
        if self.links.len() < MAX_LINKS + MAX_LATE_LINKS && !self.links.iter().any(|l| l.url == url)
        {
            self.links.push(Link { url, text, source });
        }
    }

    /// True once the per-message time budget is spent; later stages are then skipped.
    pub fn over_budget(&self) -> bool {
        self.started.elapsed().as_millis() > TIME_BUDGET_MS
    }
}

/// Links later families may add past [`MAX_LINKS`] (those of attachments and QR codes count
/// apart from the body's: a body full of links must not hide them).
const MAX_LATE_LINKS: usize = 512;

/// The first and last halves of [`MAX_TEXT_BYTES`] of `s` (all of it when shorter), joined by
/// a line break.
fn head_and_tail(s: String) -> String {
    if s.len() <= MAX_TEXT_BYTES {
        return s;
    }
    let half = MAX_TEXT_BYTES / 2;
    let head = truncate(&s, half).len();
    let mut tail = s.len() - half;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    let mut out = String::with_capacity(head + 1 + s.len() - tail);
    out.push_str(&s[..head]);
    out.push('\n');
    out.push_str(&s[tail..]);
    out
}

/// At most `max` of `links`, in their order, taken host by host: every host's first link,
/// then every host's second, and so on.
fn spread_over_hosts(links: Vec<Link>, max: usize) -> Vec<Link> {
    let mut per_host: foldhash::HashMap<String, usize> = foldhash::HashMap::default();
    let ranks: Vec<usize> = links
        .iter()
        .map(|l| {
            let host = crate::analysis::links::host_of(&l.url).unwrap_or_default();
            let n = per_host.entry(host).or_default();
            *n += 1;
            *n
        })
        .collect();
    // The smallest rank that keeps at most `max` links, then the first links of that rank.
    let mut by_rank = vec![0usize; ranks.iter().copied().max().unwrap_or(0) + 1];
    for &r in &ranks {
        by_rank[r] += 1;
    }
    let (mut rank, mut kept) = (0, 0);
    while rank + 1 < by_rank.len() && kept + by_rank[rank + 1] <= max {
        rank += 1;
        kept += by_rank[rank];
    }
    let mut room = max - kept;
    links
        .into_iter()
        .zip(ranks)
        .filter(|&(_, r)| {
            r <= rank
                || (r == rank + 1 && room > 0 && {
                    room -= 1;
                    true
                })
        })
        .map(|(l, _)| l)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str) -> Link {
        Link {
            url: url.into(),
            text: None,
            source: LinkSource::Html,
        }
    }

    /// Past the bound, every host keeps its first link before any host keeps a second, and the
    /// links keep their order.
    #[test]
    fn links_past_the_bound_are_spread_over_hosts() {
        let mut links: Vec<Link> = (0..10)
            .map(|i| link(&format!("https://a.example/{i}")))
            .collect();
        links.push(link("https://lure.example/x"));
        links.push(link("https://b.example/1"));
        links.push(link("https://lure.example/y"));
        let kept: Vec<String> = spread_over_hosts(links.clone(), 4)
            .into_iter()
            .map(|l| l.url)
            .collect();
        assert_eq!(
            kept,
            [
                "https://a.example/0",
                "https://a.example/1",
                "https://lure.example/x",
                "https://b.example/1"
            ]
        );
        assert_eq!(spread_over_hosts(links.clone(), 3).len(), 3);
        assert!(
            spread_over_hosts(links.clone(), 3)
                .iter()
                .any(|l| l.url.contains("lure"))
        );
        assert_eq!(spread_over_hosts(links.clone(), 100).len(), links.len());
    }

    #[test]
    fn long_text_keeps_its_head_and_tail() {
        let s = format!(
            "{}é{}",
            "a".repeat(MAX_TEXT_BYTES),
            "z".repeat(MAX_TEXT_BYTES)
        );
        let t = head_and_tail(s);
        assert!(t.len() <= MAX_TEXT_BYTES + 2);
        assert!(t.starts_with('a') && t.ends_with('z'));
        assert_eq!(head_and_tail("short".into()), "short");
    }
}
