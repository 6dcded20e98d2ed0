//! Identity analysis: sign-in and audit events from every source, signals, rules, incidents.
//!
//! - [`adapters::parse_value`] turns any supported record (Graph `signIn` / `directoryAudit`,
//!   Entra diagnostic logs, Management Activity records, Log Analytics rows, provider alerts) into
//!   one [`Event`];
//! - [`reader::read_file`] streams the events of a JSON, JSON-lines or CSV file;
//! - [`Detector`] enriches (GeoIP), keeps baselines and returns named [`SignalHit`]s;
//! - [`statediff`] compares snapshots Ward reads itself (rules, MFA methods, apps);
//! - [`Correlator`] groups hits into per-user [`Incident`]s.

pub mod adapters;
mod bounded;
pub mod correlate;
pub mod countries;
pub mod detector;
pub mod event;
pub mod geo;
pub mod reader;
pub mod rules;
pub mod sigma;
pub mod signals;
pub mod statediff;

pub use adapters::{AdapterError, parse_value};
pub use correlate::{Correlator, Incident, Step};
pub use detector::{Detector, DetectorConfig, DetectorError, UserHistory};
pub use event::{Event, Kind, Source};
pub use geo::{GeoConfig, GeoIp};
pub use signals::{ALERT_THRESHOLD, SignalHit, is_alert, total_score};
pub use statediff::{diff_apps, diff_auth_methods, diff_inbox_rules};
