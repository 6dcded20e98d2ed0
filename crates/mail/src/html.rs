//! What an HTML body or attachment contains: visible text, links with their text, forms,
//! `<meta refresh>`, `<base>`, scripts, hidden text and images. Used by the content,
//! HTML-trick, link and attachment families.
//!
//! A tokenizer of our own rather than a general HTML library: Ward reads a handful of tags and
//! attributes and never rewrites or renders, and the general tokenizers (`lol_html` was used
//! first) spent most of their time lexing and re-serializing what nobody reads: about 40 % of
//! the whole analysis. This one follows the WHATWG tokenizer where it decides what is text and
//! what is markup — tag open and close rules, quoted attribute values (which may hold `>`),
//! comments including `<!-->` and `--!>`, bogus comments, raw-text elements (`script`,
//! `style`, `title`, `textarea`, `xmp`, `iframe`, `noembed`, `noframes`, `plaintext`) — and
//! skips the tree-building stage: an element is open from its start tag until its own end tag
//! or that of an element around it (`</td>` closes a link left open inside the cell), which is
//! what hidden-text and link-text tracking need. The work is linear in the input: every byte
//! is read a bounded number of times, and the open-element stack (searched at each end tag)
//! and the attributes kept per tag are capped.

use memchr::{memchr, memmem};

use crate::limits::MAX_HTML_BYTES;
use crate::text::{decode_entities, decode_entities_cow};

/// A link as the reader sees it.
#[derive(Debug, Clone, Default)]
pub struct Anchor {
    pub href: String,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Form {
    pub action: String,
    pub has_password: bool,
}

/// Facts extracted from one HTML document.
#[derive(Debug, Clone, Default)]
pub struct HtmlFacts {
    pub visible_text: String,
    pub hidden_text: String,
    pub anchors: Vec<Anchor>,
    pub forms: Vec<Form>,
    pub password_inputs: usize,
    pub meta_refresh: Option<String>,
    pub base_href: Option<String>,
    pub scripts: usize,
    pub script_text: String,
    pub iframes: Vec<String>,
    pub images: Vec<String>,
    pub data_images: Vec<String>,
    /// What was not read in full, in words (each becomes part of `mime.limits_exceeded`).
    pub limits: Vec<String>,
}

/// Visible text kept per document: all of it, as long as the HTML read in full (entities can
/// lengthen it a little). Phrase search reads it whole, wherever the attacker put the lure.
const MAX_VISIBLE: usize = MAX_HTML_BYTES + MAX_HTML_BYTES / 8;
/// Hidden text and script text kept per document (they are measured and searched, not read).
const MAX_TEXT: usize = 256 * 1024;
/// Links kept per document: far more than the text bound, so that hundreds of harmless links
/// put before a lure cannot push its own out (the link family judges each host once).
const MAX_ANCHORS: usize = 16 * 1024;
/// Forms, pictures and frames kept per document.
const MAX_ITEMS: usize = 512;
/// Attributes kept per tag (the rest are skipped, still tokenized).
const MAX_ATTRS: usize = 64;
/// Depth of the open-element stack; deeper elements are read but not tracked.
const MAX_OPEN: usize = 256;

/// Whether an inline style hides the element: `display: none`, `visibility: hidden`,
/// `opacity: 0`, a font size of 0 or 1px, a zero (max-)height, or a zero height of any kind
/// with `overflow: hidden`. Read declaration by declaration, without copying: mail HTML puts a
/// style on most tags.
fn hidden_style(style: &str) -> bool {
    /// A length or number that starts with zero, as `0`, `0px`, `0.0em` (and `0.9em`, as the
    /// first version of this check read it: barely readable text counts as hidden too).
    fn zero(v: &str) -> bool {
        v.starts_with('0')
    }
    let (mut zero_height, mut overflow_hidden) = (false, false);
    // Split on bytes: styles are short, and the `char` searches of `str::split` cost more
    // than the comparisons (both separators are ASCII, so the pieces are whole characters).
    let mut rest = Some(style);
    let decls = std::iter::from_fn(|| {
        let r = rest?;
        let end = r.bytes().position(|b| b == b';');
        rest = end.map(|i| &r[i + 1..]);
        Some(&r[..end.unwrap_or(r.len())])
    });
    for decl in decls {
        let Some(colon) = decl.bytes().position(|b| b == b':') else {
            continue;
        };
        let (prop, value) = (&decl[..colon], &decl[colon + 1..]);
        let prop = prop.trim();
        let value = value.trim();
        let value = value
            .strip_suffix("!important")
            .map_or(value, str::trim_end);
        let is = |p: &str| prop.eq_ignore_ascii_case(p);
        let hides = (is("display") && value.eq_ignore_ascii_case("none"))
            || (is("visibility") && value.eq_ignore_ascii_case("hidden"))
            || (is("font-size") && (zero(value) || value.eq_ignore_ascii_case("1px")))
            || (is("max-height") && zero(value))
            || (is("opacity") && zero(value) && value.trim_start_matches(['0', '.']).is_empty());
        if hides {
            return true;
        }
        if prop.len() >= 6
            && prop.as_bytes()[prop.len() - 6..].eq_ignore_ascii_case(b"height")
            && zero(value)
        {
            zero_height = true;
        }
        if is("overflow") && value.eq_ignore_ascii_case("hidden") {
            overflow_hidden = true;
        }
    }
    zero_height && overflow_hidden
}

/// Appends `s` unless `dst` would pass `max`; says whether it was kept.
fn push_bounded(dst: &mut String, s: &str, max: usize) -> bool {
    let fits = dst.len() + s.len() <= max;
    if fits {
        dst.push_str(s);
    }
    fits
}

/// HTML whitespace, which ends tag and attribute names.
#[inline]
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Elements that never have content.
fn is_void(tag: &[u8]) -> bool {
    matches!(
        tag,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"keygen"
    )
}

/// An element open from its start tag until its end tag or an ancestor's.
struct Open<'a> {
    name: &'a str,
    hidden: bool,
    /// Index in `anchors` when the element is a link.
    anchor: Option<usize>,
}

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    facts: HtmlFacts,
    open: Vec<Open<'a>>,
    hidden_depth: usize,
    /// The innermost open link.
    anchor: Option<usize>,
    /// Attributes of the tag being read: (name, raw value).
    attrs: Vec<(&'a str, &'a str)>,
    /// Whether visible text or links were dropped past their bounds.
    visible_cut: bool,
    anchors: AnchorRoom,
}

/// Reads `html` and returns what it contains. Up to [`MAX_HTML_BYTES`] it is read in full.
/// Past that, its first and last halves of that bound are read in full and, between them, a
/// quick pass picks up every link and form target and password field: an attacker who pads a
/// lure with harmless markup chooses where it sits, so no one end is enough. What was not read
/// in full is said in [`HtmlFacts::limits`].
pub fn analyze_html(html: &str) -> HtmlFacts {
    if html.len() <= MAX_HTML_BYTES {
        return Scanner::new(html, HtmlFacts::default()).run();
    }
    let half = MAX_HTML_BYTES / 2;
    let head = crate::text::truncate(html, half);
    // The tail starts at a tag, so that it is not read from the middle of one.
    let mut from = html.len() - half;
    while !html.is_char_boundary(from) {
        from += 1;
    }
    let tail_start = memchr(b'<', &html.as_bytes()[from..]).map_or(html.len(), |i| from + i);
    let mut facts = Scanner::new(head, HtmlFacts::default()).run();
    quick_pass(&html[head.len()..tail_start], &mut facts);
    let mut facts = Scanner::new(&html[tail_start..], facts).run();
    facts.limits.push(format!(
        "an HTML body of {} MB: its first and last {} MB were read in full, and only the links, \
         forms and password fields of the {} MB between them",
        mb(html.len()),
        mb(half),
        mb(tail_start - head.len())
    ));
    facts
}

/// Bytes as megabytes, rounded up, for the limits notes.
fn mb(n: usize) -> usize {
    n.div_ceil(1024 * 1024)
}

/// `href`, `action` and password `type` attributes anywhere in a stretch of HTML, read
/// without tokenizing it (linear: one automaton pass).
static QUICK_ATTR: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(?i)[\s"'/](href|action|type)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#)
        .ok()
});

/// The links, form targets and password fields of HTML not tokenized (see [`analyze_html`]).
fn quick_pass(middle: &str, facts: &mut HtmlFacts) {
    let Some(re) = QUICK_ATTR.as_ref() else {
        return;
    };
    let mut room = AnchorRoom::default();
    for c in re.captures_iter(middle) {
        let (Some(name), Some(value)) = (c.get(1), c.get(2).or(c.get(3)).or(c.get(4))) else {
            continue;
        };
        let value = value.as_str();
        match name.as_str().as_bytes()[0].to_ascii_lowercase() {
            b'h' => {
                let href = decode_entities(value.trim());
                if room.keep(&facts.anchors, &href) {
                    facts.anchors.push(Anchor {
                        href,
                        text: String::new(),
                    });
                }
            }
            b'a' if facts.forms.len() < MAX_ITEMS => facts.forms.push(Form {
                action: decode_entities(value),
                has_password: false,
            }),
            b't' if value.eq_ignore_ascii_case("password") => {
                facts.password_inputs += 1;
                if let Some(f) = facts.forms.last_mut() {
                    f.has_password = true;
                }
            }
            _ => {}
        }
    }
    if room.cut {
        facts.limits.push(anchors_note());
    }
}

/// Links past [`MAX_ANCHORS`] are kept only when they go to a host no kept link goes to, up
/// to this many more hosts: a flood of links to a few harmless sites cannot push out the one
/// to the lure's.
const MAX_LATE_HOSTS: usize = 4096;

/// Decides which links of a document are kept (see [`MAX_ANCHORS`], [`MAX_LATE_HOSTS`]).
#[derive(Default)]
struct AnchorRoom {
    /// The hosts of the kept links, gathered once the bound is reached.
    hosts: Option<foldhash::HashSet<String>>,
    late: usize,
    cut: bool,
}

impl AnchorRoom {
    fn keep(&mut self, kept: &[Anchor], href: &str) -> bool {
        if kept.len() < MAX_ANCHORS {
            return true;
        }
        let hosts = self
            .hosts
            .get_or_insert_with(|| kept.iter().map(|a| rough_host(&a.href)).collect());
        let fits = self.late < MAX_LATE_HOSTS && hosts.insert(rough_host(href));
        self.late += usize::from(fits);
        self.cut |= !fits;
        fits
    }
}

/// The host part of a link, lower-cased, read without parsing it (empty when it has none):
/// enough to tell links to different sites apart.
fn rough_host(href: &str) -> String {
    let rest = href.trim().split_once("//").map_or("", |(_, r)| r);
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let host = &rest[..end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.to_ascii_lowercase()
}

fn anchors_note() -> String {
    format!("more than {MAX_ANCHORS} links in one HTML body; the rest were not read")
}

impl<'a> Scanner<'a> {
    /// A scanner of `src` that adds to `facts` (those of an earlier stretch, or none).
    fn new(src: &'a str, facts: HtmlFacts) -> Self {
        Scanner {
            src,
            pos: 0,
            facts,
            open: Vec::new(),
            hidden_depth: 0,
            anchor: None,
            attrs: Vec::new(),
            visible_cut: false,
            anchors: AnchorRoom::default(),
        }
    }

    /// Reads the whole stretch and returns the facts, with a note for each bound hit.
    fn run(mut self) -> HtmlFacts {
        self.read();
        if self.visible_cut {
            self.facts.limits.push(format!(
                "more than {} MB of visible text in one HTML body; the rest was not read",
                mb(MAX_VISIBLE)
            ));
        }
        if self.anchors.cut {
            self.facts.limits.push(anchors_note());
        }
        self.facts
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn read(&mut self) {
        let b = self.bytes();
        let n = b.len();
        let mut text_start = 0;
        let mut search = 0;
        while let Some(off) = memchr(b'<', &b[search..]) {
            let lt = search + off;
            let next = b.get(lt + 1).copied();
            let markup = match next {
                Some(c) if c.is_ascii_alphabetic() => true,
                Some(b'/') => b.get(lt + 2).is_some(),
                Some(b'!' | b'?') => true,
                _ => false,
            };
            if !markup {
                // A `<` that opens nothing is text.
                search = lt + 1;
                continue;
            }
            self.text(&self.src[text_start..lt]);
            self.pos = lt;
            match next {
                Some(b'/') => self.end_tag(),
                Some(b'!') => self.markup_declaration(),
                Some(b'?') => self.bogus_comment(lt + 2),
                _ => self.start_tag(),
            }
            if self.pos >= n {
                return;
            }
            text_start = self.pos;
            search = self.pos;
        }
        self.text(&self.src[text_start..]);
    }

    /// A run of character data between two pieces of markup.
    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let (dst, max) = if self.hidden_depth > 0 {
            (&mut self.facts.hidden_text, MAX_TEXT)
        } else {
            (&mut self.facts.visible_text, MAX_VISIBLE)
        };
        let link = self
            .anchor
            .and_then(|i| self.facts.anchors.get_mut(i))
            .map(|a| &mut a.text)
            .filter(|t| t.len() < 1024);
        // Runs are apart: `<td>a</td><td>b</td>` reads "a b", not "ab". A run of white space
        // alone (the indentation of markup: most runs of a newsletter) shows as one space, as a
        // browser draws it, and is not copied.
        if raw.bytes().all(is_space) {
            let space = |t: &String| !t.is_empty() && !t.ends_with(' ');
            if space(dst) {
                self.visible_cut |= !push_bounded(dst, " ", max) && max == MAX_VISIBLE;
            }
            if let Some(t) = link.filter(|t| space(t)) {
                t.push(' ');
            }
            return;
        }
        let txt = decode_entities_cow(raw);
        let kept = push_bounded(dst, &txt, max) && push_bounded(dst, " ", max);
        self.visible_cut |= !kept && max == MAX_VISIBLE;
        if let Some(t) = link {
            t.push_str(&txt);
        }
    }

    /// `<!--…-->`, or any other `<!…>` (doctype, CDATA outside foreign content), read as a
    /// comment.
    fn markup_declaration(&mut self) {
        let b = self.bytes();
        let at = self.pos;
        if !b[at..].starts_with(b"<!--") {
            return self.bogus_comment(at + 2);
        }
        let body = at + 4;
        // `<!-->` and `<!--->` close at once.
        if b.get(body) == Some(&b'>') {
            self.pos = body + 1;
            return;
        }
        if b[body..].starts_with(b"->") {
            self.pos = body + 2;
            return;
        }
        let mut from = body;
        while let Some(off) = memmem::find(&b[from..], b"--") {
            let dash = from + off;
            match b.get(dash + 2) {
                Some(b'>') => {
                    self.pos = dash + 3;
                    return;
                }
                Some(b'!') if b.get(dash + 3) == Some(&b'>') => {
                    self.pos = dash + 4;
                    return;
                }
                _ => from = dash + 1,
            }
        }
        self.pos = b.len();
    }

    /// Everything up to the next `>` is a comment.
    fn bogus_comment(&mut self, from: usize) {
        let b = self.bytes();
        let from = from.min(b.len());
        self.pos = memchr(b'>', &b[from..]).map_or(b.len(), |i| from + i + 1);
    }

    /// Reads a tag's name and attributes from `self.pos + skip` (just past `<` or `</`).
    /// Returns the name and whether the tag closed with `/>`, or `None` when the input ends
    /// inside the tag (which then is dropped, as browsers do).
    fn tag(&mut self, skip: usize) -> Option<(&'a str, bool)> {
        let b = self.bytes();
        let n = b.len();
        let start = self.pos + skip;
        let mut i = start;
        while i < n && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        let name = &self.src[start..i];
        self.attrs.clear();
        loop {
            while i < n && is_space(b[i]) {
                i += 1;
            }
            if i >= n {
                self.pos = n;
                return None;
            }
            match b[i] {
                b'>' => {
                    self.pos = i + 1;
                    return Some((name, false));
                }
                b'/' if b.get(i + 1) == Some(&b'>') => {
                    self.pos = i + 2;
                    return Some((name, true));
                }
                b'/' => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            // An attribute name: its first character may be anything, `=` included.
            let ns = i;
            i += 1;
            while i < n && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
                i += 1;
            }
            let aname = &self.src[ns..i];
            while i < n && is_space(b[i]) {
                i += 1;
            }
            let mut value = "";
            if i < n && b[i] == b'=' {
                i += 1;
                while i < n && is_space(b[i]) {
                    i += 1;
                }
                if i < n && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    let Some(len) = memchr(q, &b[i + 1..]) else {
                        self.pos = n;
                        return None;
                    };
                    value = &self.src[i + 1..i + 1 + len];
                    i += len + 2;
                } else {
                    let vs = i;
                    while i < n && !is_space(b[i]) && b[i] != b'>' {
                        i += 1;
                    }
                    value = &self.src[vs..i];
                }
            }
            // The first of duplicate attributes wins.
            if self.attrs.len() < MAX_ATTRS
                && !self
                    .attrs
                    .iter()
                    .any(|(a, _)| a.eq_ignore_ascii_case(aname))
            {
                self.attrs.push((aname, value));
            }
        }
    }

    fn attr(&self, name: &str) -> Option<&'a str> {
        self.attrs
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    fn has_attr(&self, name: &str) -> bool {
        self.attrs.iter().any(|(a, _)| a.eq_ignore_ascii_case(name))
    }

    fn start_tag(&mut self) {
        let Some((name, self_closing)) = self.tag(1) else {
            return;
        };
        let mut lower = [0u8; 10];
        let tag: &[u8] = if name.len() <= lower.len() {
            lower[..name.len()].copy_from_slice(name.as_bytes());
            lower[..name.len()].make_ascii_lowercase();
            &lower[..name.len()]
        } else {
            b""
        };
        let mut anchor = None;
        match tag {
            b"a" | b"area" => {
                // A link inside a link ends the outer one (its element stays open: only
                // the link text stops).
                if tag == b"a" && self.anchor.take().is_some() {
                    for o in &mut self.open {
                        o.anchor = None;
                    }
                }
                if let Some(href) = self.attr("href").map(|h| decode_entities(h.trim()))
                    && self.anchors.keep(&self.facts.anchors, &href)
                {
                    self.facts.anchors.push(Anchor {
                        href,
                        text: String::new(),
                    });
                    anchor = Some(self.facts.anchors.len() - 1);
                }
            }
            b"form" => {
                let action = decode_entities(self.attr("action").unwrap_or_default());
                if self.facts.forms.len() < MAX_ITEMS {
                    self.facts.forms.push(Form {
                        action,
                        has_password: false,
                    });
                }
            }
            b"input"
                if self
                    .attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("password")) =>
            {
                self.facts.password_inputs += 1;
                if let Some(f) = self.facts.forms.last_mut() {
                    f.has_password = true;
                }
            }
            b"meta"
                if self
                    .attr("http-equiv")
                    .is_some_and(|eq| eq.eq_ignore_ascii_case("refresh")) =>
            {
                let c = decode_entities(self.attr("content").unwrap_or_default());
                self.facts.meta_refresh = Some(c);
            }
            b"base" => {
                if let Some(href) = self.attr("href") {
                    self.facts.base_href = Some(decode_entities(href));
                }
            }
            b"script" => self.facts.scripts += 1,
            b"img" | b"iframe" | b"embed" | b"object" => {
                // `object` counts when it has `data` (its `src`, if any, is taken first).
                let src = if tag != b"object" {
                    self.attr("src")
                } else if self.has_attr("data") {
                    self.attr("src").or_else(|| self.attr("data"))
                } else {
                    None
                };
                if let Some(src) = src {
                    let src = decode_entities(src);
                    if tag == b"img" {
                        if src.starts_with("data:") {
                            if self.facts.data_images.len() < 16 {
                                self.facts.data_images.push(src);
                            }
                        } else if self.facts.images.len() < MAX_ITEMS {
                            self.facts.images.push(src);
                        }
                    } else if self.facts.iframes.len() < MAX_ITEMS {
                        self.facts.iframes.push(src);
                    }
                }
            }
            _ => {}
        }
        if is_void(tag) {
            return;
        }
        // Browsers ignore `/>` on HTML elements: `<script/>` still starts a script.
        match tag {
            b"script" => return self.raw_text(name, true),
            b"style" | b"title" | b"textarea" | b"xmp" | b"iframe" | b"noembed" | b"noframes" => {
                return self.raw_text(name, false);
            }
            b"plaintext" => {
                self.pos = self.src.len();
                return;
            }
            _ => {}
        }
        // `<div … />` is taken as closed (it is in SVG), so that it cannot hide the rest.
        if self_closing {
            return;
        }
        if self.open.len() < MAX_OPEN {
            let hidden = self.hides();
            self.open.push(Open {
                name,
                hidden,
                anchor,
            });
            self.hidden_depth += hidden as usize;
            if anchor.is_some() {
                self.anchor = anchor;
            }
        }
    }

    /// Whether the tag just read hides its content.
    fn hides(&self) -> bool {
        self.has_attr("hidden") || self.attr("style").is_some_and(hidden_style)
    }

    /// Closes the open element at `i` and every one opened inside it.
    fn close_from(&mut self, i: usize) {
        let mut link = false;
        for o in self.open.drain(i..) {
            self.hidden_depth -= o.hidden as usize;
            link |= o.anchor.is_some();
        }
        if link {
            self.anchor = self.open.iter().rev().find_map(|o| o.anchor);
        }
    }

    fn end_tag(&mut self) {
        let b = self.bytes();
        if !b.get(self.pos + 2).is_some_and(u8::is_ascii_alphabetic) {
            // `</>` is dropped; `</` followed by anything else but a letter is a comment.
            return self.bogus_comment(self.pos + 2);
        }
        let Some((name, _)) = self.tag(2) else {
            return;
        };
        if let Some(i) = self
            .open
            .iter()
            .rposition(|o| o.name.eq_ignore_ascii_case(name))
        {
            self.close_from(i);
        }
    }

    /// The content of a raw-text element, up to its end tag (`</name` followed by space,
    /// `/` or `>`), which is then read too. Script text is kept; other raw text is not shown.
    fn raw_text(&mut self, name: &'a str, script: bool) {
        let b = self.bytes();
        let start = self.pos;
        let mut from = start;
        let end = loop {
            let Some(off) = memmem::find(&b[from..], b"</") else {
                break b.len();
            };
            let at = from + off;
            let after = at + 2 + name.len();
            if b.len() >= after
                && b[at + 2..after].eq_ignore_ascii_case(name.as_bytes())
                && b.get(after)
                    .is_some_and(|&c| is_space(c) || c == b'/' || c == b'>')
            {
                break at;
            }
            from = at + 2;
        };
        if script {
            push_bounded(&mut self.facts.script_text, &self.src[start..end], MAX_TEXT);
        }
        self.pos = end;
        if end < b.len() {
            self.end_tag();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rough_hosts_tell_sites_apart() {
        assert_eq!(
            rough_host("https://User@WWW.Example.com:8443/p?q#f"),
            "www.example.com:8443"
        );
        assert_eq!(rough_host(" http://a.example?x"), "a.example");
        assert_eq!(rough_host("mailto:x@y.example"), "");
        assert_eq!(rough_host("/relative"), "");
    }

    /// Past the link bound, links to new hosts are still kept (and the cut is said).
    #[test]
    fn a_new_host_past_the_link_bound_is_kept() {
        let mut html: String = (0..MAX_ANCHORS + 10)
            .map(|i| format!("<a href=\"https://pad.example/{i}\">x</a>"))
            .collect();
        html.push_str("<a href=\"https://lure.example/\">sign in</a>");
        let f = analyze_html(&html);
        assert_eq!(f.anchors.len(), MAX_ANCHORS + 1);
        assert_eq!(f.anchors.last().map(|a| a.text.trim()), Some("sign in"));
        assert!(
            f.limits.iter().any(|l| l.contains("links")),
            "{:?}",
            f.limits
        );
    }

    #[test]
    fn extracts_links_forms_and_tricks() {
        let f = analyze_html(
            r#"<html><head><base href="http://x.example/"><meta http-equiv="refresh" content="0;url=http://evil.example/">
            <style>p{}</style><script>var a=atob('eA==');</script></head>
            <body><p>Hello &amp; welcome</p><a href="http://evil.example/login">https://bank.example</a>
            <div style="display: none">hidden words here</div>
            <form action="http://evil.example/post"><input type="password" name="p"></form>
            <img src="cid:abc"><IMG SRC="data:image/png;base64,AAAA"><iframe src="http://f.example/"></iframe>
            <object data="http://o.example/x"></object><object>no data</object><embed src="http://e.example/">
            <span hidden><a href="http://in.example/">in a hidden span</a></span> after</body></html>"#,
        );
        assert_eq!(f.images, vec!["cid:abc".to_string()]);
        assert_eq!(f.data_images.len(), 1);
        assert_eq!(f.iframes.len(), 3, "{:?}", f.iframes);
        assert_eq!(f.anchors[1].text, "in a hidden span");
        assert!(f.hidden_text.contains("in a hidden span"));
        assert!(f.visible_text.contains("after"));
        assert!(f.visible_text.contains("Hello & welcome"));
        assert!(!f.visible_text.contains("hidden words"));
        assert!(f.hidden_text.contains("hidden words"));
        assert_eq!(f.anchors.len(), 2);
        assert_eq!(f.anchors[0].text, "https://bank.example");
        assert_eq!(f.forms.len(), 1);
        assert!(f.forms[0].has_password);
        assert!(f.meta_refresh.is_some());
        assert_eq!(f.base_href.as_deref(), Some("http://x.example/"));
        assert_eq!(f.scripts, 1);
        assert!(f.script_text.contains("atob"));
        assert!(!f.visible_text.contains("atob"));
    }

    /// The indentation between tags shows as one space, in the text and in link text, and
    /// is not copied (it is most of a newsletter's text runs).
    #[test]
    fn indentation_between_tags_is_one_space() {
        let f = analyze_html(
            "<div>\n  <p>Hello</p>\n  <p>world</p>\n\t<a href=\"https://x.example/\">\n    \
             <b>Sign</b>\n    <b>in</b>\n  </a>\n</div>\n",
        );
        assert_eq!(f.visible_text, "Hello world Sign in ");
        assert_eq!(f.anchors[0].text, "Sign in ");
        // White space inside a run of text is kept as it is.
        assert_eq!(analyze_html("<p>a \n b</p>").visible_text, "a \n b ");
    }

    #[test]
    fn markup_that_is_not_text() {
        let f = analyze_html(
            "a<!-- <a href='http://c.example/'>x</a> -->b<!---->c<!-->d<!--->e<!-- x --!>f\
             <!DOCTYPE html><?xml x?>g</ >h</3>i<style>p{color:red}</style>j\
             <title>t</title>k<textarea>ta</textarea>l",
        );
        assert_eq!(
            f.visible_text.split_whitespace().collect::<String>(),
            "abcdefghijkl"
        );
        assert!(f.anchors.is_empty());
    }

    #[test]
    fn text_that_looks_like_markup() {
        let f = analyze_html("1 < 2 and 3<4, a <= b, <>, < p");
        assert_eq!(
            f.visible_text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            "1 < 2 and 3<4, a <= b, <>, < p"
        );
    }

    #[test]
    fn attribute_values_may_hold_markup() {
        let f = analyze_html(
            r#"<a title="x > y" data-x='<b>' href = "https://t.example/?a=1&amp;b=2" href="https://second.example/">go</a>
            <a href=https://unquoted.example/p>u</a><IMG SRC=cid:one/>"#,
        );
        assert_eq!(f.anchors.len(), 2);
        assert_eq!(f.anchors[0].href, "https://t.example/?a=1&b=2");
        assert_eq!(f.anchors[0].text, "go");
        assert_eq!(f.anchors[1].href, "https://unquoted.example/p");
        assert_eq!(f.images, vec!["cid:one/".to_string()]);
        assert!(!f.visible_text.contains('>'));
    }

    #[test]
    fn script_runs_to_its_own_end_tag() {
        let f = analyze_html(
            "<script>if (a</b) { x = '</scriptx>'; }</SCRIPT >after<script/>var y;</script>",
        );
        assert_eq!(f.scripts, 2);
        assert!(f.script_text.contains("</scriptx>"));
        assert!(f.script_text.contains("var y;"));
        assert_eq!(f.visible_text.trim(), "after");
    }

    #[test]
    fn an_unclosed_link_ends_with_its_cell() {
        let f = analyze_html(
            "<table><tr><td><a href='http://one.example/'><img src='x.png'></td></tr></table>\
             <p>Your account is locked</p><a href='http://two.example/'>outer<a href='http://three.example/'>inner</a>tail</a>",
        );
        assert_eq!(f.anchors[0].text, "");
        assert_eq!(f.anchors[1].text, "outer");
        assert_eq!(f.anchors[2].text, "inner");
        assert!(f.visible_text.contains("tail"));
    }

    #[test]
    fn hidden_text_ends_with_its_element() {
        let f = analyze_html(
            "<div style='DISPLAY : none'>one<div>two</div>three<p>four</div>shown\
             <span style='font-size:0'/>also shown<br hidden>and this<area href='http://a.example/'>not link text",
        );
        let hidden: Vec<_> = f.hidden_text.split_whitespace().collect();
        assert_eq!(
            hidden,
            ["one", "two", "three", "four"],
            "{:?}",
            f.hidden_text
        );
        assert!(f.visible_text.contains("shown"));
        assert!(f.visible_text.contains("also shown"));
        assert!(f.visible_text.contains("and this"));
        assert_eq!(f.anchors[0].text, "");
    }

    #[test]
    fn truncated_input_keeps_what_was_read() {
        for html in [
            "<p>kept</p><a href='http://x.example/",
            "<p>kept</p><a href",
            "<p>kept</p><!-- never closed",
            "<p>kept</p><script>never closed",
            "<p>kept</p><",
            "<p>kept</p></",
        ] {
            let f = analyze_html(html);
            assert!(f.visible_text.contains("kept"), "{html}");
            assert!(f.anchors.is_empty(), "{html}");
        }
    }

    #[test]
    fn hostile_pages_take_bounded_time() {
        let deep = "<div><span style='display:none'>".repeat(100_000) + "x";
        let attrs = format!("<a {}>y</a>", "a=1 ".repeat(200_000));
        let closes = "<p>".repeat(300) + &"</b>".repeat(200_000);
        let unterminated = "<a href='".to_string() + &"x".repeat(1_000_000);
        // Linear work takes milliseconds; quadratic work on these sizes takes minutes. The
        // bound leaves room for an unoptimised build on a loaded machine (tests run side by
        // side).
        let bound = if cfg!(debug_assertions) {
            10_000
        } else {
            1_000
        };
        for html in [deep, attrs, closes, unterminated] {
            let t = std::time::Instant::now();
            let _ = analyze_html(&html);
            assert!(t.elapsed().as_millis() < bound, "{:?}", t.elapsed());
        }
    }

    #[test]
    fn styles_that_hide() {
        for st in [
            "display:none",
            "DISPLAY : None !important",
            "color:red; visibility: hidden",
            "font-size:0px",
            "font-size: 1px",
            "max-height:0",
            "opacity:0",
            "opacity: 0.0;",
            "line-height:0; overflow:hidden",
            "height: 0px; OVERFLOW: hidden",
        ] {
            assert!(hidden_style(st), "{st}");
        }
        for st in [
            "",
            "display:block",
            "opacity:0.5",
            "font-size:14px",
            "height:0",
            "overflow:hidden",
            "margin:0; padding:0",
            "ünïcödé:0; overflow:hidden; x",
            "display",
            ";;:;",
        ] {
            assert!(!hidden_style(st), "{st}");
        }
    }

    #[test]
    fn random_tag_soup_never_panics() {
        const PIECES: &[&str] = &[
            "<",
            ">",
            "</",
            "/>",
            "<!",
            "<!--",
            "-->",
            "--!>",
            "<?",
            "a",
            "A",
            "div",
            "script",
            "SCRIPT",
            "style",
            "title",
            "textarea",
            "plaintext",
            "img",
            "area",
            "form",
            "input",
            " href=",
            " src=",
            " style=",
            " hidden",
            "display:none",
            "type=password",
            "=",
            "\"",
            "'",
            " ",
            "\n",
            "\t",
            "&amp;",
            "&#",
            "&#x",
            ";",
            "é",
            "日本",
            "\u{202E}",
            "x",
            "http://h.example/",
            "data:image/png;base64,AA",
        ];
        let mut seed = 17u64;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let len = (seed >> 58) as usize + 1;
            let mut html = String::new();
            for _ in 0..len * 4 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                html.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
            }
            let f = analyze_html(&html);
            assert!(f.visible_text.len() <= html.len() * 2 + 64, "{html}");
        }
    }
}
