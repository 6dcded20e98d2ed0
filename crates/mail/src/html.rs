//! What an HTML body or attachment contains, read with `lol_html` (streaming, linear time,
//! no DOM): visible text, links with their text, forms, `<meta refresh>`, `<base>`, scripts,
//! hidden text and images. Used by the content, HTML-trick, link and attachment families.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::TextType;
use lol_html::{HtmlRewriter, Settings, doc_text, element};

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
    /// lol_html stopped early (malformed beyond recovery); what was read is kept.
    pub truncated: bool,
}

const MAX_TEXT: usize = 256 * 1024;
const MAX_ITEMS: usize = 512;

#[derive(Default)]
struct State {
    facts: HtmlFacts,
    hidden_depth: usize,
    current_anchor: Option<usize>,
}

fn hidden_style(style: &str) -> bool {
    let s: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    s.contains("display:none")
        || s.contains("visibility:hidden")
        || s.contains("font-size:0")
        || s.contains("font-size:1px")
        || s.contains("max-height:0")
        || s.contains("opacity:0;")
        || s.ends_with("opacity:0")
        || (s.contains("height:0") && s.contains("overflow:hidden"))
}

fn push_bounded(dst: &mut String, s: &str) {
    if dst.len() + s.len() <= MAX_TEXT {
        dst.push_str(s);
    }
}

/// Reads `html` (at most [`MAX_HTML_BYTES`]) and returns what it contains.
pub fn analyze_html(html: &str) -> HtmlFacts {
    let html = crate::text::truncate(html, MAX_HTML_BYTES);
    let st = Rc::new(RefCell::new(State::default()));

    let (s1, s9) = (st.clone(), st.clone());
    // One handler for every element, dispatching on the tag name: lol_html compiles selectors
    // for each document, and one `*` is cheaper to build and to match than eight lists.
    let elements = element!("*", move |el| {
        let tag = el.tag_name();
        let mut s = s1.borrow_mut();
        let mut anchor = false;
        match tag.as_str() {
            "a" | "area" => {
                if let Some(href) = el.get_attribute("href")
                    && s.facts.anchors.len() < MAX_ITEMS
                {
                    s.facts.anchors.push(Anchor {
                        href: decode_entities(href.trim()),
                        text: String::new(),
                    });
                    s.current_anchor = Some(s.facts.anchors.len() - 1);
                    anchor = el.can_have_content();
                }
            }
            "form" => {
                let action = decode_entities(&el.get_attribute("action").unwrap_or_default());
                if s.facts.forms.len() < MAX_ITEMS {
                    s.facts.forms.push(Form {
                        action,
                        has_password: false,
                    });
                }
            }
            "input"
                if el
                    .get_attribute("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("password")) =>
            {
                s.facts.password_inputs += 1;
                if let Some(f) = s.facts.forms.last_mut() {
                    f.has_password = true;
                }
            }
            "meta"
                if el
                    .get_attribute("http-equiv")
                    .is_some_and(|eq| eq.eq_ignore_ascii_case("refresh")) =>
            {
                let c = decode_entities(&el.get_attribute("content").unwrap_or_default());
                s.facts.meta_refresh = Some(c);
            }
            "base" => {
                if let Some(href) = el.get_attribute("href") {
                    s.facts.base_href = Some(decode_entities(&href));
                }
            }
            "script" => s.facts.scripts += 1,
            "img" | "iframe" | "embed" | "object" => {
                // `object` counts when it has `data` (its `src`, if any, is taken first).
                let src = if tag != "object" {
                    el.get_attribute("src")
                } else if el.has_attribute("data") {
                    el.get_attribute("src").or_else(|| el.get_attribute("data"))
                } else {
                    None
                };
                if let Some(src) = src {
                    let src = decode_entities(&src);
                    if tag == "img" {
                        if src.starts_with("data:") {
                            if s.facts.data_images.len() < 16 {
                                s.facts.data_images.push(src);
                            }
                        } else if s.facts.images.len() < MAX_ITEMS {
                            s.facts.images.push(src);
                        }
                    } else if s.facts.iframes.len() < MAX_ITEMS {
                        s.facts.iframes.push(src);
                    }
                }
            }
            _ => {}
        }
        let hidden = el.can_have_content()
            && (el.has_attribute("hidden")
                || el.get_attribute("style").is_some_and(|s| hidden_style(&s)));
        if hidden {
            s.hidden_depth += 1;
        }
        drop(s);
        if anchor || hidden {
            let s_end = s1.clone();
            let _ = el.on_end_tag(lol_html::end_tag!(move |_| {
                let mut s = s_end.borrow_mut();
                if anchor {
                    s.current_anchor = None;
                }
                if hidden {
                    s.hidden_depth = s.hidden_depth.saturating_sub(1);
                }
                Ok(())
            }));
        }
        Ok(())
    });
    let doc = doc_text!(move |t| {
        let mut s = s9.borrow_mut();
        match t.text_type() {
            TextType::Data => {
                let txt = decode_entities_cow(t.as_str());
                if s.hidden_depth > 0 {
                    push_bounded(&mut s.facts.hidden_text, &txt);
                } else {
                    push_bounded(&mut s.facts.visible_text, &txt);
                    if t.last_in_text_node() {
                        push_bounded(&mut s.facts.visible_text, " ");
                    }
                }
                if let Some(i) = s.current_anchor
                    && let Some(a) = s.facts.anchors.get_mut(i)
                    && a.text.len() < 1024
                {
                    a.text.push_str(&txt);
                }
            }
            TextType::ScriptData => {
                let txt = t.as_str().to_string();
                push_bounded(&mut s.facts.script_text, &txt);
            }
            _ => {}
        }
        Ok(())
    });
    let settings = Settings::new()
        .append_document_content_handler(doc)
        .append_element_content_handler(elements);

    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    let mut truncated = rewriter.write(html.as_bytes()).is_err();
    if !truncated {
        truncated = rewriter.end().is_err();
    }
    let mut facts = std::mem::take(&mut st.borrow_mut().facts);
    facts.truncated = truncated;
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
