//! Base URLs. Microsoft's public cloud by default; tests and the demo point them at the
//! simulated tenant on loopback. Every URL the client builds starts from one of these.

/// Where the identity platform, Graph and the Management Activity API live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// e.g. `https://login.microsoftonline.com`
    pub login: String,
    /// e.g. `https://graph.microsoft.com` (the client appends `/v1.0` or `/beta`)
    pub graph: String,
    /// e.g. `https://manage.office.com`
    pub manage: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self::microsoft()
    }
}

impl Endpoints {
    /// Microsoft's global cloud.
    pub fn microsoft() -> Self {
        Self {
            login: "https://login.microsoftonline.com".into(),
            graph: "https://graph.microsoft.com".into(),
            manage: "https://manage.office.com".into(),
        }
    }

    /// All three services served from one base URL (the simulated tenant).
    pub fn single(base: &str) -> Self {
        let b = base.trim_end_matches('/').to_owned();
        Self {
            login: b.clone(),
            graph: b.clone(),
            manage: b,
        }
    }

    pub(crate) fn trimmed(&self) -> Self {
        Self {
            login: self.login.trim_end_matches('/').to_owned(),
            graph: self.graph.trim_end_matches('/').to_owned(),
            manage: self.manage.trim_end_matches('/').to_owned(),
        }
    }

    /// `{login}/{tenant}/oauth2/v2.0/token` — also the `aud` of client assertions.
    pub fn token_url(&self, tenant: &str) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.login.trim_end_matches('/'),
            crate::url::seg(tenant)
        )
    }

    /// `{graph}/v1.0`
    pub fn graph_v1(&self) -> String {
        format!("{}/v1.0", self.graph.trim_end_matches('/'))
    }

    /// `{graph}/beta`
    pub fn graph_beta(&self) -> String {
        format!("{}/beta", self.graph.trim_end_matches('/'))
    }

    /// `{manage}/api/v1.0/{tenant}/activity/feed`
    pub fn activity_feed(&self, tenant: &str) -> String {
        format!(
            "{}/api/v1.0/{}/activity/feed",
            self.manage.trim_end_matches('/'),
            crate::url::seg(tenant)
        )
    }

    /// OAuth scope for Graph tokens, derived from the Graph base: on Microsoft's cloud
    /// `https://graph.microsoft.com/.default`. The simulator is expected to accept the real
    /// scope, so the scope does NOT follow a loopback base: it stays Microsoft's resource URI.
    pub fn graph_scope(&self) -> &'static str {
        "https://graph.microsoft.com/.default"
    }

    pub fn manage_scope(&self) -> &'static str {
        "https://manage.office.com/.default"
    }
}
