//! Microsoft Graph and Office 365 Management Activity API client: credentials, paging, delta,
//! batch, throttling, typed models.
//!
//! Built to run unchanged against Microsoft's endpoints; tests and the demo point
//! [`Endpoints`] at a simulated tenant on loopback.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ward_graph::GraphError> {
//! use ward_graph::{ClientConfig, Credential, GraphClient};
//! let cfg = ClientConfig::new("tenant-guid", "client-guid", Credential::secret("..."));
//! let client = GraphClient::new(cfg)?;
//! let users = client.list_users(None).await?;
//! # Ok(()) }
//! ```

pub mod api;
mod auth;
mod batch;
mod classify;
mod client;
pub mod credentials;
pub mod de;
pub mod endpoints;
pub mod error;
pub mod models;
mod paging;
pub mod permissions;
pub mod reach;
pub mod stats;
pub mod throttle;
pub mod token;
pub mod url;

pub use api::directory::{SignInStream, USER_SELECT, time_window_filter};
pub use api::mail::DeltaOptions;
pub use api::management::{CONTENT_TYPES, ContentPage};
pub use batch::{BatchResult, MAX_BATCH};
pub use client::{ClientConfig, GraphClient};
pub use credentials::{
    AssertionAlg, CertThumbprints, CertificateCredential, Credential, GeneratedCert,
    cert_thumbprints, generate_self_signed_cert,
};
pub use endpoints::Endpoints;
pub use error::{Api, GraphError, Result};
pub use paging::{MAX_PAGES, Page};
pub use permissions::{PERMISSIONS, Permission, PermissionType, missing_roles};
pub use stats::StatsSnapshot;
pub use throttle::{Limits, RetryPolicy, parse_retry_after};
pub use token::{Resource, decode_claims};
