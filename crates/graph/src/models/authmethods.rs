//! Authentication methods (UserAuthenticationMethod.ReadWrite.All), typed by `@odata.type`.
//!
//! Deletion must go through the typed collection (`/authentication/phoneMethods/{id}`, ...);
//! the generic `/authentication/methods/{id}` path rejects DELETE. [`AuthMethodKind::collection`]
//! gives the right segment, and `None` for kinds that cannot be deleted that way (password).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::de;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum AuthMethodKind {
    Phone,
    MicrosoftAuthenticator,
    Fido2,
    Email,
    SoftwareOath,
    TemporaryAccessPass,
    WindowsHelloForBusiness,
    Password,
    PlatformCredential,
    /// Any other `@odata.type` (kept verbatim), e.g. `externalAuthenticationMethod`.
    Unknown(String),
}

impl AuthMethodKind {
    /// From `#microsoft.graph.phoneAuthenticationMethod` (with or without `#`, any case).
    pub fn from_odata_type(t: &str) -> Self {
        let short = t
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.")
            .to_ascii_lowercase();
        match short.as_str() {
            "phoneauthenticationmethod" => Self::Phone,
            "microsoftauthenticatorauthenticationmethod" => Self::MicrosoftAuthenticator,
            "fido2authenticationmethod" => Self::Fido2,
            "emailauthenticationmethod" => Self::Email,
            "softwareoathauthenticationmethod" => Self::SoftwareOath,
            "temporaryaccesspassauthenticationmethod" => Self::TemporaryAccessPass,
            "windowshelloforbusinessauthenticationmethod" => Self::WindowsHelloForBusiness,
            "passwordauthenticationmethod" => Self::Password,
            "platformcredentialauthenticationmethod" => Self::PlatformCredential,
            _ => Self::Unknown(t.to_owned()),
        }
    }

    /// Typed collection segment under `/users/{id}/authentication/`. `None` = no typed DELETE
    /// (password: use a password reset instead; unknown kinds: not supported by Ward).
    pub fn collection(&self) -> Option<&'static str> {
        Some(match self {
            Self::Phone => "phoneMethods",
            Self::MicrosoftAuthenticator => "microsoftAuthenticatorMethods",
            Self::Fido2 => "fido2Methods",
            Self::Email => "emailMethods",
            Self::SoftwareOath => "softwareOathMethods",
            Self::TemporaryAccessPass => "temporaryAccessPassMethods",
            Self::WindowsHelloForBusiness => "windowsHelloForBusinessMethods",
            Self::PlatformCredential => "platformCredentialMethods",
            Self::Password | Self::Unknown(_) => return None,
        })
    }
}

/// One authentication method. Common fields are typed; type-specific fields are typed where
/// Ward reads them, everything else stays in `extra`. `raw` is the JSON as received.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationMethod {
    pub kind: AuthMethodKind,
    pub odata_type: Option<String>,
    pub id: String,
    pub display_name: Option<String>,
    pub created_date_time: Option<DateTime<Utc>>,
    /// phone
    pub phone_number: Option<String>,
    pub phone_type: Option<String>,
    pub sms_sign_in_state: Option<String>,
    /// email
    pub email_address: Option<String>,
    /// microsoftAuthenticator
    pub device_tag: Option<String>,
    pub phone_app_version: Option<String>,
    /// fido2
    pub aa_guid: Option<String>,
    pub model: Option<String>,
    pub attestation_level: Option<String>,
    /// windowsHelloForBusiness / platformCredential
    pub key_strength: Option<String>,
    /// temporaryAccessPass
    pub start_date_time: Option<DateTime<Utc>>,
    pub lifetime_in_minutes: Option<i64>,
    pub is_usable_once: Option<bool>,
    pub is_usable: Option<bool>,
    pub raw: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    display_name: Option<String>,
    #[serde(
        default,
        alias = "creationDateTime",
        deserialize_with = "de::opt_datetime"
    )]
    created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_string")]
    phone_number: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    phone_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    sms_sign_in_state: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    email_address: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    device_tag: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    phone_app_version: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    aa_guid: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    model: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    attestation_level: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    key_strength: Option<String>,
    #[serde(default, deserialize_with = "de::opt_datetime")]
    start_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    lifetime_in_minutes: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    is_usable_once: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    is_usable: Option<bool>,
    #[serde(flatten)]
    _extra: Map<String, Value>,
}

impl AuthenticationMethod {
    pub fn from_value(raw: Value) -> Result<Self, serde_json::Error> {
        let w: Wire = serde_json::from_value(raw.clone())?;
        let kind = match &w.odata_type {
            Some(t) => AuthMethodKind::from_odata_type(t),
            // Typed-collection GETs may omit `@odata.type`: infer from the fields present.
            None if w.phone_number.is_some() => AuthMethodKind::Phone,
            None if w.email_address.is_some() => AuthMethodKind::Email,
            None if w.phone_app_version.is_some() => AuthMethodKind::MicrosoftAuthenticator,
            None if w.aa_guid.is_some() => AuthMethodKind::Fido2,
            None => AuthMethodKind::Unknown(String::new()),
        };
        Ok(Self {
            kind,
            odata_type: w.odata_type,
            id: w.id.unwrap_or_default(),
            display_name: w.display_name,
            created_date_time: w.created_date_time,
            phone_number: w.phone_number,
            phone_type: w.phone_type,
            sms_sign_in_state: w.sms_sign_in_state,
            email_address: w.email_address,
            device_tag: w.device_tag,
            phone_app_version: w.phone_app_version,
            aa_guid: w.aa_guid,
            model: w.model,
            attestation_level: w.attestation_level,
            key_strength: w.key_strength,
            start_date_time: w.start_date_time,
            lifetime_in_minutes: w.lifetime_in_minutes,
            is_usable_once: w.is_usable_once,
            is_usable: w.is_usable,
            raw,
        })
    }
}

impl<'de> Deserialize<'de> for AuthenticationMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        AuthenticationMethod::from_value(raw).map_err(serde::de::Error::custom)
    }
}
