//! Shapes shared by many resources: collections, recipients, bodies, `@removed` delta entries.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::de;

/// An OData collection page: `{"value":[...],"@odata.nextLink":...,"@odata.deltaLink":...}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Collection<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
    #[serde(
        rename = "@odata.deltaLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delta_link: Option<String>,
    #[serde(
        rename = "@odata.count",
        default,
        deserialize_with = "de::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub count: Option<i64>,
    #[serde(
        rename = "@odata.context",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<String>,
}

/// `{"value": <T>}` wrapper, e.g. the `Edm.Boolean` answer of `revokeSignInSessions`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ODataValue<T> {
    pub value: T,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct EmailAddress {
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub address: Option<String>,
}

/// `{"emailAddress":{"name":..,"address":..}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    #[serde(default)]
    pub email_address: EmailAddress,
}

impl Recipient {
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            email_address: EmailAddress {
                name: None,
                address: Some(address.into()),
            },
        }
    }
    /// The address, lower-cased, if present.
    pub fn address_lower(&self) -> Option<String> {
        self.email_address
            .address
            .as_ref()
            .map(|a| a.to_ascii_lowercase())
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    /// `html` or `text`.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub content: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeTimeZone {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub date_time: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub time_zone: Option<String>,
}

/// `@removed` annotation of a delta entry: `{"reason":"deleted"|"changed"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Removed {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub reason: Option<String>,
}

/// One entry of a delta page: either the (possibly partial) object, or a removal.
#[derive(Debug, Clone)]
pub enum DeltaItem<T> {
    Upsert(T),
    Removed { id: String, reason: Option<String> },
}

impl<T: serde::de::DeserializeOwned> DeltaItem<T> {
    /// Classifies a raw delta entry: `@removed` present → `Removed`, else the object.
    pub fn from_value(v: Value) -> Result<Self, serde_json::Error> {
        if let Some(removed) = v.get("@removed") {
            let reason = removed
                .get("reason")
                .and_then(|r| r.as_str())
                .map(str::to_owned);
            let id = v
                .get("id")
                .and_then(|i| i.as_str())
                .unwrap_or_default()
                .to_owned();
            return Ok(DeltaItem::Removed { id, reason });
        }
        serde_json::from_value(v).map(DeltaItem::Upsert)
    }
}

/// `{"key":..,"value":..}` pairs (`additionalDetails`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct KeyValue {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub value: Option<String>,
}
