//! The shared analysis context: the message view, derived facts every family reuses (HTML facts,
//! folded text, phrase hits, links), and the signals raised so far.

use std::time::Instant;

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
    pub fn new(cfg: &'a AnalyzerConfig, pictures: &'a PictureMemo, mail: Mail<'a>) -> Self {
        let html: Vec<HtmlFacts> = time(Phase::Html, || {
            mail.html_bodies.iter().map(|h| analyze_html(h)).collect()
        });
        let (text, folded) = time(Phase::Text, || Self::gather_text(&mail, &html));
        let topics = time(Phase::Lexicon, || lexicon::scan(&folded));
        let links = time(Phase::LinkExtract, || Self::gather_links(&mail, &html));
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

    /// Subject and visible text, unfolded and folded.
    fn gather_text(mail: &Mail<'_>, html: &[HtmlFacts]) -> (String, String) {
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
        let kept = truncate(&text, MAX_TEXT_BYTES).len();
        text.truncate(kept);
        let folded = fold(&text);
        (text, folded)
    }

    /// Links from HTML anchors and forms, then URLs written in the text.
    fn gather_links(mail: &Mail<'_>, html: &[HtmlFacts]) -> Vec<Link> {
        let mut links = Vec::new();
        for h in html {
            for a in &h.anchors {
                links.push(Link {
                    url: a.href.clone(),
                    text: Some(a.text.clone()),
                    source: LinkSource::Html,
                });
            }
            for f in &h.forms {
                if !f.action.is_empty() {
                    links.push(Link {
                        url: f.action.clone(),
                        text: None,
                        source: LinkSource::Html,
                    });
                }
            }
        }
        let finder = linkify::LinkFinder::new();
        let plain: Vec<&str> = if html.is_empty() {
            mail.text_bodies.iter().map(|t| t.as_ref()).collect()
        } else {
            html.iter().map(|h| h.visible_text.as_str()).collect()
        };
        for t in plain {
            for l in finder
                .links(t)
                .filter(|l| *l.kind() == linkify::LinkKind::Url)
            {
                if links.len() >= MAX_LINKS {
                    break;
                }
                if !links.iter().any(|x| x.url == l.as_str()) {
                    links.push(Link {
                        url: l.as_str().to_string(),
                        text: None,
                        source: LinkSource::Text,
                    });
                }
            }
        }
        links.truncate(MAX_LINKS);
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

    pub fn add_link(&mut self, url: String, text: Option<String>, source: LinkSource) {
        if self.links.len() < MAX_LINKS && !self.links.iter().any(|l| l.url == url) {
            self.links.push(Link { url, text, source });
        }
    }

    /// True once the per-message time budget is spent; later stages are then skipped.
    pub fn over_budget(&self) -> bool {
        self.started.elapsed().as_millis() > TIME_BUDGET_MS
    }
}
