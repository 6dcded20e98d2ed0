//! Small accessors that make every source's casing and encoding look alike: case-insensitive keys
//! (`ClientIP` / `clientip`), Log Analytics column names (`TimeGenerated [UTC]`), JSON stored in
//! strings (`Parameters` in CSV exports, `modifiedProperties` values), times in many formats.

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

/// Largest JSON text decoded from inside a string value; bigger ones stay strings.
const MAX_EMBEDDED_JSON: usize = 1 << 20;

fn norm_key_eq(key: &str, want: &str) -> bool {
    let key = key.strip_suffix(" [UTC]").unwrap_or(key);
    key.eq_ignore_ascii_case(want)
}

/// Field of an object by any of `names`, ignoring ASCII case and a ` [UTC]` suffix.
pub(crate) fn get<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    let obj = v.as_object()?;
    for name in names {
        if let Some(x) = obj.get(*name)
            && !x.is_null()
        {
            return Some(x);
        }
    }
    for name in names {
        for (k, x) in obj {
            if !x.is_null() && norm_key_eq(k, name) {
                return Some(x);
            }
        }
    }
    None
}

/// Like [`get`], but a string holding a JSON object or array is decoded.
pub(crate) fn get_json<'a>(v: &'a Value, names: &[&str]) -> Option<Cow<'a, Value>> {
    let x = get(v, names)?;
    Some(decode_embedded(x))
}

/// A string that holds a JSON object or array, decoded; anything else unchanged.
pub(crate) fn decode_embedded(x: &Value) -> Cow<'_, Value> {
    if let Value::String(s) = x {
        let t = s.trim_start();
        if (t.starts_with('{') || t.starts_with('['))
            && s.len() <= MAX_EMBEDDED_JSON
            && let Ok(parsed) = serde_json::from_str::<Value>(s)
        {
            return Cow::Owned(parsed);
        }
    }
    Cow::Borrowed(x)
}

/// A scalar field as a non-empty string (numbers and booleans rendered).
pub(crate) fn get_str(v: &Value, names: &[&str]) -> Option<String> {
    get(v, names).and_then(scalar_string)
}

pub(crate) fn scalar_string(x: &Value) -> Option<String> {
    let s = match x {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    if s.is_empty() || s == "<null>" {
        None
    } else {
        Some(s)
    }
}

/// Nested path of object keys, each matched like [`get`].
pub(crate) fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in keys {
        cur = get(cur, &[k])?;
    }
    Some(cur)
}

pub(crate) fn path_str(v: &Value, keys: &[&str]) -> Option<String> {
    path(v, keys).and_then(scalar_string)
}

pub(crate) fn get_bool(v: &Value, names: &[&str]) -> Option<bool> {
    match get(v, names)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    }
}

pub(crate) fn get_i64(v: &Value, names: &[&str]) -> Option<i64> {
    match get(v, names)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses the time formats seen across Microsoft logs and exports.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    const FORMATS: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y, %I:%M:%S%.f %p",
        "%m/%d/%Y %H:%M:%S",
        "%Y-%m-%d",
    ];
    for f in FORMATS {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    None
}

pub(crate) fn get_time(v: &Value, names: &[&str]) -> Option<DateTime<Utc>> {
    get_str(v, names).and_then(|s| parse_time(&s))
}

/// An IP address as logged: plain, with `:port`, `[v6]:port`, or Exchange's `a.b.c.d:port`.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    if let Some((host, port)) = s.rsplit_once(':')
        && port.chars().all(|c| c.is_ascii_digit())
        && host.contains('.')
    {
        return host.parse().ok();
    }
    None
}

/// `[{Name, Value}]` / `[{key, value}]` lists into pairs (values rendered as strings).
pub(crate) fn name_value_list(v: Option<Cow<'_, Value>>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(v) = v else { return out };
    let Some(items) = v.as_array() else {
        return out;
    };
    for item in items.iter().take(1000) {
        let name = get_str(item, &["Name", "key"]);
        let value = get(item, &["Value", "value"])
            .map(|x| scalar_string(x).unwrap_or_else(|| x.to_string()))
            .unwrap_or_default();
        if let Some(name) = name {
            out.push((name, value));
        }
    }
    out
}

/// Removes the trailing period the Management Activity API puts on Entra operation names.
pub(crate) fn clean_operation(s: &str) -> String {
    s.trim().trim_end_matches('.').trim().to_string()
}

pub(crate) fn lower(s: Option<String>) -> Option<String> {
    s.map(|s| s.to_ascii_lowercase())
}

/// An object with every key of `inner` plus those of `outer` it does not have.
pub(crate) fn merged(outer: &Value, inner: &Value) -> Value {
    let mut m: Map<String, Value> = inner.as_object().cloned().unwrap_or_default();
    if let Some(o) = outer.as_object() {
        for (k, v) in o {
            if !m.keys().any(|x| x.eq_ignore_ascii_case(k)) {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_format() {
        for s in [
            "2025-01-15T14:20:35.4567890Z",
            "2025-01-15 14:20:35.456",
            "2023-07-26 22:58:30.983201900",
            "2024-11-27T03:31:26.7088498+00:00",
            "4/25/2025 12:44:00 AM",
            "2022-12-12 15:57:57",
        ] {
            assert!(parse_time(s).is_some(), "{s}");
        }
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn ips_with_ports() {
        assert_eq!(parse_ip("1.2.3.4:10736"), "1.2.3.4".parse().ok());
        assert_eq!(parse_ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("QWERTY"), None);
    }

    #[test]
    fn keys_ignore_case_and_utc_suffix() {
        let v: Value =
            serde_json::json!({"clientip": "1.2.3.4", "TimeGenerated [UTC]": "2025-01-01"});
        assert_eq!(get_str(&v, &["ClientIP"]).as_deref(), Some("1.2.3.4"));
        assert!(get_time(&v, &["TimeGenerated"]).is_some());
    }
}
