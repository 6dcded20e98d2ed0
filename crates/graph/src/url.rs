//! URL helpers: path-segment encoding and OData query strings (`$filter=a eq 'b'` → `%20`, keeps
//! `$`, `'`, `,`, `(`, `)` and `:` readable, which Graph accepts and logs read better).

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters escaped in a path segment (ids may hold `/`, `+`, `=`; UPNs hold `@`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']')
    .add(b'+');

/// Characters escaped in a query value.
const QUERY_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'>')
    .add(b'=')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']')
    .add(b'?');

/// Percent-encodes one path segment.
pub fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Appends `k=v` pairs (values encoded) to `base`, using `?` or `&` as appropriate.
pub fn with_query(base: &str, pairs: &[(&str, String)]) -> String {
    let mut out = base.to_owned();
    for (k, v) in pairs {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(k);
        out.push('=');
        out.push_str(&utf8_percent_encode(v, QUERY_VALUE).to_string());
    }
    out
}

/// Percent-decodes (lossy UTF-8).
pub fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// OData string literal: `'` doubled.
pub fn odata_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn query_and_segments() {
        assert_eq!(seg("a@b.com"), "a@b.com");
        assert_eq!(seg("AA/B+="), "AA%2FB%2B=");
        let u = with_query(
            "https://x/v1.0/users",
            &[("$filter", "createdDateTime ge 2024-01-01T00:00:00Z".into())],
        );
        assert_eq!(
            u,
            "https://x/v1.0/users?$filter=createdDateTime%20ge%202024-01-01T00:00:00Z"
        );
        let u = with_query(&u, &[("$top", "5".into())]);
        assert!(u.ends_with("&$top=5"));
    }
}
