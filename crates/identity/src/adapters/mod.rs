//! Adapters: any supported record → [`Event`]. [`parse_value`] recognises the shape from the keys
//! present, so files mixing sources work, and an unknown record is an error for that record only.

mod alerts;
mod entra;
mod mgmt;
pub(crate) mod util;

use serde_json::Value;

use crate::countries;
use crate::event::{Event, Source};
use util::{get, get_str, path};

/// Why a record could not be turned into an event.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdapterError {
    #[error("record is not a JSON object")]
    NotAnObject,
    #[error("unrecognised record shape (keys: {0})")]
    UnknownShape(String),
}

/// Detects the shape of `v` and normalizes it.
pub fn parse_value(v: &Value) -> Result<Event, AdapterError> {
    parse(v.clone(), false)
}

/// Like [`parse_value`], keeping `v` as the event's `raw` without copying it.
pub fn parse_owned(v: Value) -> Result<Event, AdapterError> {
    parse(v, false)
}

/// A Log Analytics export row (all values strings, nested objects as JSON text).
pub fn parse_row(v: &Value) -> Result<Event, AdapterError> {
    parse(v.clone(), true)
}

/// Like [`parse_row`], without copying.
pub fn parse_row_owned(v: Value) -> Result<Event, AdapterError> {
    parse(v, true)
}

fn parse(v: Value, row: bool) -> Result<Event, AdapterError> {
    if !v.is_object() {
        return Err(AdapterError::NotAnObject);
    }
    let mut e = detect(&v, row)?;
    if row {
        e.source = Source::LogAnalytics;
    }
    enrich_from_record(&mut e, &v);
    if let Some(inner) = get(&v, &["event"]).filter(|x| x.is_object()) {
        enrich_from_record(&mut e, inner);
    }
    e.raw = v;
    Ok(e)
}

fn has(v: &Value, k: &str) -> bool {
    get(v, &[k]).is_some()
}

fn detect(v: &Value, row: bool) -> Result<Event, AdapterError> {
    // The caller stores the record itself once detection is done.
    let raw = Value::Null;
    // Purview audit search record: the Management Activity record is in `auditData`.
    if let Some(inner) = get(v, &["auditData"]).filter(|x| x.is_object()) {
        return Ok(mgmt::record(Source::ManagementActivity, inner, raw));
    }
    // Entra / Intune / Defender diagnostic-settings envelope.
    if let Some(props) = get(v, &["properties"]).filter(|p| p.is_object())
        && (has(v, "operationName") || has(v, "category"))
    {
        let category = get_str(v, &["category"]).unwrap_or_default();
        let cat = category.to_ascii_lowercase();
        if cat.contains("signin") || has(props, "authenticationProtocol") && has(props, "appId") {
            return Ok(entra::sign_in(Source::EntraDiagnostic, props, v, raw));
        }
        if cat.starts_with("advancedhunting") {
            return Ok(alerts::defender(&category, props, v, raw));
        }
        if has(props, "Actor") && has(props, "ActivityType")
            || cat == "operationallogs"
            || has(props, "IntuneDeviceId")
        {
            return Ok(alerts::intune(&category, props, v, raw));
        }
        if has(props, "activityDisplayName") || has(props, "initiatedBy") || cat.contains("audit") {
            let inner = util::merged(v, props);
            return Ok(entra::directory_audit(
                Source::EntraDiagnostic,
                &inner,
                v,
                raw,
            ));
        }
    }
    if has(v, "Operation")
        && (has(v, "RecordType")
            || has(v, "Workload")
            || has(v, "OfficeWorkload")
            || has(v, "CreationTime"))
    {
        return Ok(mgmt::record(Source::ManagementActivity, v, raw));
    }
    if has(v, "activityDisplayName") && (has(v, "initiatedBy") || has(v, "targetResources")) {
        return Ok(entra::directory_audit(
            Source::GraphDirectoryAudit,
            v,
            v,
            raw,
        ));
    }
    let row_sign_in =
        row && get_str(v, &["Category"]).is_some_and(|c| c.to_ascii_lowercase().contains("signin"));
    if row
        && !row_sign_in
        && has(v, "OperationName")
        && (has(v, "InitiatedBy") || has(v, "TargetResources"))
    {
        return Ok(entra::directory_audit(Source::LogAnalytics, v, v, raw));
    }
    let sign_in_keys = has(v, "userPrincipalName")
        || has(v, "appId")
        || has(v, "servicePrincipalId")
        || has(v, "servicePrincipalName");
    if sign_in_keys
        && (has(v, "status")
            || has(v, "ipAddress")
            || has(v, "ResultType")
            || has(v, "clientAppUsed"))
        && (has(v, "createdDateTime") || has(v, "TimeGenerated") || has(v, "CreatedDateTime"))
    {
        return Ok(entra::sign_in(Source::GraphSignIn, v, v, raw));
    }
    if has(v, "severity") && has(v, "title") && (has(v, "status") || has(v, "category")) {
        return Ok(alerts::graph_alert(v, raw));
    }
    // Envelopes of SIEM exports and test corpora: `{..., "event": {record}}`.
    if let Some(inner) = get(v, &["event", "record"]).filter(|x| x.is_object())
        && get(inner, &["event", "record"]).is_none()
    {
        return detect(inner, row);
    }
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().take(8).map(String::as_str).collect())
        .unwrap_or_default();
    Err(AdapterError::UnknownShape(keys.join(",")))
}

/// Source-independent clean-up: ISO country codes, and a geolocation that an upstream pipeline
/// already attached to the record (Panther's `p_enrichment.ipinfo_location`), which is a
/// dedicated IP lookup and wins over the source's own guess.
fn enrich_from_record(e: &mut Event, v: &Value) {
    if let Some(enr) = path(v, &["p_enrichment", "ipinfo_location"]).and_then(Value::as_object)
        && let Some(loc) = enr.values().find(|x| x.is_object())
        && let Some(c) = get_str(loc, &["country"])
    {
        e.country = Some(c);
        e.city = get_str(loc, &["city"]);
        let lat = get_str(loc, &["lat"]).and_then(|s| s.parse::<f64>().ok());
        let lon = get_str(loc, &["lng"]).and_then(|s| s.parse::<f64>().ok());
        e.coords = lat.zip(lon);
    }
    e.country = e.country.take().and_then(|c| countries::normalize(&c));
}

#[cfg(test)]
mod tests;
