//! Collection paging: `$top`, `$skip`/`$skiptoken`, `Prefer: odata.maxpagesize`, absolute
//! `@odata.nextLink`s that clients must follow verbatim.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::GReq;
use super::resp::GResp;

#[derive(Clone, Copy)]
pub struct PageSpec {
    pub default: usize,
    pub max: usize,
    /// Messages page with `$skip` in nextLinks; directory objects with an opaque `$skiptoken`.
    pub use_skip: bool,
    /// Over-max `$top` → 400 instead of clamping. Directory collections answer
    /// `Request_UnsupportedQuery`; Outlook collections (`use_skip`) answer as for `$top=0`.
    pub reject_over_max: bool,
    /// Hard cap on total results (`$search`: 1,000).
    pub cap: Option<usize>,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Build an absolute link to the same resource with different paging options.
pub fn link(base: &str, g: &GReq, extra: &[(&str, String)]) -> String {
    let mut q: Vec<String> = g
        .query
        .iter()
        .filter(|(k, _)| {
            let k = k.trim_start_matches('$').to_ascii_lowercase();
            k != "skip" && k != "skiptoken" && k != "deltatoken"
        })
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    for (k, v) in extra {
        q.push(format!("{}={}", enc(k), enc(v)));
    }
    let path = g.raw_path.trim_end_matches('/');
    if q.is_empty() {
        format!("{base}/{}{path}", g.version())
    } else {
        format!("{base}/{}{path}?{}", g.version(), q.join("&"))
    }
}

pub fn context(base: &str, g: &GReq, fragment: &str) -> String {
    format!("{base}/{}/$metadata#{fragment}", g.version())
}

/// An entity set or collection fragment with the `$select`ion OData writes into
/// `@odata.context`: `users('x')/messages` + `subject,from` → `users('x')/messages(subject,from)`.
pub fn selected(fragment: &str, select: &[String]) -> String {
    if select.is_empty() {
        fragment.to_string()
    } else {
        format!("{fragment}({})", select.join(","))
    }
}

/// The page size a `Prefer: odata.maxpagesize=N` set, when it is the one applied (no `$top`
/// overrides it): the `Preference-Applied` header echoes it.
pub fn applied_max_page(g: &GReq, spec: PageSpec) -> Option<usize> {
    if g.q("$top").is_some() {
        return None;
    }
    g.prefer_value("odata.maxpagesize")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .map(|m| m.min(spec.max))
}

/// The `(offset, page size)` a request asks for, or the 400 Graph gives for bad paging options.
pub fn window(g: &GReq, spec: PageSpec) -> Result<(usize, usize), GResp> {
    let bad_size = |t: &str, code: &str| {
        GResp::error(
            StatusCode::BAD_REQUEST,
            code,
            format!(
                "Invalid page size specified: '{t}'. Must be between 1 and {} inclusive.",
                spec.max
            ),
        )
    };
    let top = match g.q("$top") {
        None => None,
        Some(t) => match t.trim().parse::<usize>() {
            Ok(0) | Err(_) => return Err(bad_size(t, "BadRequest")),
            Ok(n) if n > spec.max && spec.reject_over_max => {
                let code = if spec.use_skip {
                    "BadRequest"
                } else {
                    "Request_UnsupportedQuery"
                };
                return Err(bad_size(t, code));
            }
            Ok(n) => Some(n.min(spec.max)),
        },
    };
    let offset = if let Some(tok) = g.q("$skiptoken") {
        crate::util::b64url_decode(tok)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse::<usize>().ok()))
            .ok_or_else(|| {
                GResp::error(
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    "The specified page token value has expired and can no longer be included in your request.",
                )
            })?
    } else if let Some(s) = g.q("$skip") {
        s.parse::<usize>()
            .map_err(|_| GResp::bad_request(format!("Invalid $skip value '{s}'.")))?
    } else {
        0
    };
    let max_page = g
        .prefer_value("odata.maxpagesize")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0);
    let size = top
        .or(max_page.map(|m| m.min(spec.max)))
        .unwrap_or(spec.default)
        .max(1);
    Ok((offset, size))
}

/// Page a fully filtered and ordered collection. Items outside the requested window may be
/// placeholders (callers that render lazily pass `Value::Null` there).
pub fn page(
    base: &str,
    g: &GReq,
    mut items: Vec<Value>,
    ctx_fragment: &str,
    spec: PageSpec,
    extra: Map<String, Value>,
) -> GResp {
    let (offset, size) = match window(g, spec) {
        Ok(w) => w,
        Err(r) => return r,
    };
    if let Some(cap) = spec.cap {
        items.truncate(cap);
    }
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(size).collect();
    let next = offset + page.len();
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(context(base, g, ctx_fragment)),
    );
    if g.q("$count")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"))
    {
        out.insert("@odata.count".into(), json!(total));
    }
    for (k, v) in extra {
        out.insert(k, v);
    }
    if next < total {
        let l = if spec.use_skip {
            link(base, g, &[("$skip", next.to_string())])
        } else {
            link(
                base,
                g,
                &[(
                    "$skiptoken",
                    crate::util::b64url(format!("o:{next}").as_bytes()),
                )],
            )
        };
        out.insert("@odata.nextLink".into(), json!(l));
    }
    out.insert("value".into(), Value::Array(page));
    let r = GResp::ok(Value::Object(out));
    match applied_max_page(g, spec) {
        Some(n) => r.prefer_applied(&format!("odata.maxpagesize={n}")),
        None => r,
    }
}
