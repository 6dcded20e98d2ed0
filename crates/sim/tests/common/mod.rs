#![allow(dead_code)]

use serde_json::Value;
use ward_sim::testkit::{self, GRAPH_SCOPE};
use ward_sim::{SimConfig, SimHandle, Simulator};

pub async fn start(cfg: SimConfig, users: usize, msgs: usize) -> SimHandle {
    let seed = testkit::SeedBuilder::new(users, msgs).build();
    Simulator::start(cfg, seed).await.expect("simulator starts")
}

pub fn fast() -> SimConfig {
    SimConfig {
        mailbox_latency: std::time::Duration::from_millis(5),
        other_latency: std::time::Duration::ZERO,
        ..SimConfig::fast_test()
    }
}

/// [`fast`] for tests that subscribe a receiver on `http://127.0.0.1`: Microsoft wants HTTPS,
/// the simulator lets loopback HTTP through only when asked.
pub fn fast_loopback_hooks() -> SimConfig {
    SimConfig {
        allow_http_loopback_notifications: true,
        ..fast()
    }
}

pub struct G {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl G {
    pub async fn new(sim: &SimHandle) -> Self {
        let token = testkit::token(sim.base_url(), GRAPH_SCOPE)
            .await
            .expect("token");
        assert!(!token.is_empty(), "token issued");
        Self {
            http: reqwest::Client::new(),
            base: sim.base_url().to_string(),
            token,
        }
    }
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}/v1.0{}", self.base, path)
        }
    }
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.req(reqwest::Method::GET, path, None, &[]).await
    }
    pub async fn req(
        &self,
        m: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut r = self
            .http
            .request(m, self.url(path))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}
