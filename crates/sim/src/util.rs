//! Small helpers: Microsoft's timestamp spellings, id shapes, seed time rebasing.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::Value;

/// Graph's `DateTimeOffset` spelling: `2018-09-09T03:15:05Z`.
pub fn graph_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Graph's 7-digit fractional spelling used on subscriptions: `2016-11-20T18:23:45.9356913Z`.
pub fn graph_time_7(t: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

/// The Management API's `CreationTime` spelling: UTC without `Z`.
pub fn mgmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `contentCreated` spelling: `2015-05-23T17:35:00.000Z`.
pub fn mgmt_content_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parse any timestamp Microsoft writes or a client sends (RFC 3339, or naive = UTC, or a date).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    None
}

/// An OData action parameter from a JSON request body. Graph binds action parameters by name
/// case-insensitively: the docs write `destinationId`, the SDKs send `DestinationId` (the
/// spelling in `$metadata`). An exact match wins over a case-insensitive one.
pub fn action_param<'a>(body: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    let o = body?.as_object()?;
    o.get(name).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

pub fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// An Exchange-looking REST id (`AAMkAD...=`): URL-safe base64 with padding, like the ids Graph
/// returns. `kind` distinguishes messages (`AAMkAD`), folders (`AQMkAD`), immutable ids (`AAkALg`).
pub fn exchange_id(kind: &str, entropy: &[u8]) -> String {
    let mut s = String::from(kind);
    s.push_str(&base64::engine::general_purpose::URL_SAFE.encode(entropy));
    s
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    for chunk in b.chunks_mut(16) {
        let u = uuid::Uuid::new_v4();
        let n = chunk.len();
        chunk.copy_from_slice(&u.as_bytes()[..n]);
    }
    b
}

/// Shift every timestamp-looking string inside `v` by `delta`, keeping each one's spelling
/// (with or without `Z`, fractional digits). Used to rebase a seed onto the wall clock.
pub fn shift_timestamps(v: &mut Value, delta: TimeDelta) {
    match v {
        Value::String(s) => {
            if let Some(shifted) = shift_one(s, delta) {
                *s = shifted;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift_timestamps(x, delta)),
        Value::Object(o) => o.values_mut().for_each(|x| shift_timestamps(x, delta)),
        _ => {}
    }
}

fn shift_one(s: &str, delta: TimeDelta) -> Option<String> {
    // Cheap pre-check: YYYY-MM-DDTHH:MM
    let b = s.as_bytes();
    if b.len() < 16
        || b.len() > 40
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
    {
        return None;
    }
    if !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        let t = t.with_timezone(&Utc) + delta;
        let frac = s
            .find('.')
            .map(|i| s[i + 1..].chars().take_while(char::is_ascii_digit).count());
        return Some(match frac {
            None | Some(0) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
            Some(1..=3) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
            Some(7) => graph_time_7(t),
            Some(_) => t.to_rfc3339_opts(SecondsFormat::Micros, true),
        });
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        let t = t.and_utc() + delta;
        return Some(if s.contains('.') {
            t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
        } else {
            mgmt_time(t)
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_keep_spelling() {
        let mut v = serde_json::json!({"a":"2025-01-01T00:00:00Z","b":"2025-01-01T00:00:00","c":["2025-01-01T00:00:00.1234567Z"],"d":"hello"});
        shift_timestamps(&mut v, TimeDelta::hours(1));
        assert_eq!(v["a"], "2025-01-01T01:00:00Z");
        assert_eq!(v["b"], "2025-01-01T01:00:00");
        assert_eq!(v["c"][0], "2025-01-01T01:00:00.1234567Z");
        assert_eq!(v["d"], "hello");
    }

    #[test]
    fn action_parameters_match_case_insensitively() {
        let sdk = serde_json::json!({"DestinationId": "junkemail"});
        let docs = serde_json::json!({"destinationId": "inbox"});
        assert_eq!(
            action_param(Some(&sdk), "destinationId"),
            Some(&serde_json::json!("junkemail"))
        );
        assert_eq!(
            action_param(Some(&docs), "DESTINATIONID"),
            Some(&serde_json::json!("inbox"))
        );
        assert_eq!(action_param(Some(&docs), "destination"), None);
        assert_eq!(action_param(None, "destinationId"), None);
        assert_eq!(
            action_param(Some(&serde_json::json!([1])), "destinationId"),
            None
        );
    }
}
