//! Canonical JSON (object keys sorted recursively, no whitespace) and SHA-256 helpers.
//!
//! Hashes must not depend on the key order a caller or a database (PostgreSQL `JSONB` reorders
//! keys) happened to produce, nor on whether serde_json's `preserve_order` feature is on.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Serialises `v` with object keys in byte order at every level.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(k));
                out.push(':');
                if let Some(x) = m.get(k) {
                    write_canonical(x, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        // Scalars have exactly one serde_json rendering.
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON string literal for `s`.
pub(crate) fn json_string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Times are kept to the microsecond, PostgreSQL's precision, so both backends store and return
/// exactly the same instant and dumps of the two compare equal.
pub(crate) fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The one textual form of a time used in hashes and dumps.
pub(crate) fn ts_text(t: DateTime<Utc>) -> String {
    ts(t).to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// PostgreSQL rejects NUL in `TEXT` and in `JSONB` strings; hostile input may carry one. Both
/// backends replace it with U+FFFD so they store the same thing.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

pub(crate) fn clean_opt(s: Option<&str>) -> Option<Cow<'_, str>> {
    s.map(clean)
}

/// [`clean`] applied to every string and key inside a JSON value.
pub(crate) fn clean_json(v: &Value) -> Cow<'_, Value> {
    fn has_nul(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(a) => a.iter().any(has_nul),
            Value::Object(m) => m.iter().any(|(k, x)| k.contains('\0') || has_nul(x)),
            _ => false,
        }
    }
    fn fix(v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(clean(s).into_owned()),
            Value::Array(a) => Value::Array(a.iter().map(fix).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (clean(k).into_owned(), fix(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    if has_nul(v) {
        Cow::Owned(fix(v))
    } else {
        Cow::Borrowed(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_sorted_at_every_level() {
        let a = json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 1}], "c": null}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":null,"z":[1,{"x":1,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn nul_is_replaced_everywhere() {
        let v = json!({"a\u{0}": ["x\u{0}y"]});
        assert_eq!(
            canonical_json(&clean_json(&v)),
            "{\"a\u{FFFD}\":[\"x\u{FFFD}y\"]}"
        );
    }
}
