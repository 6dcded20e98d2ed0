//! Why a request never got an HTTP answer, in the words a person can act on.
//!
//! reqwest reports DNS failures, refused connections, TLS failures and timeouts as one error
//! type with the cause several `source()` levels down. Ward tells them apart because they call
//! for different fixes — and because some of them will not cure themselves in the next few
//! seconds: retrying a name that does not resolve or a port nothing listens on only makes the
//! user wait (issue 21: 40–54 s of silence, then the wrong culprit).

use std::error::Error as StdError;
use std::fmt;

/// The cause of a transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens on that host and port (TCP RST).
    Refused,
    /// The TLS handshake failed: untrusted or wrong certificate, or not HTTPS at all.
    Tls,
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// Connected, but the answer did not come within the request timeout.
    Timeout,
    /// Any other failure to connect (network unreachable, reset during connect).
    Connect,
    /// The connection broke while the request or its answer was on the way.
    Interrupted,
}

impl Unreachable {
    /// Classifies a reqwest error by walking its sources.
    pub fn of(e: &reqwest::Error) -> Self {
        let mut texts = Vec::new();
        let mut refused = false;
        let mut timed_out = false;
        let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
        while let Some(err) = cur {
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => refused = true,
                    std::io::ErrorKind::TimedOut => timed_out = true,
                    _ => {}
                }
            }
            texts.push(err.to_string().to_ascii_lowercase());
            cur = err.source();
        }
        let any = |needles: &[&str]| texts.iter().any(|t| needles.iter().any(|n| t.contains(n)));
        if any(&[
            "dns error",
            "failed to lookup address",
            "name or service not known",
            "nodename nor servname",
            "no address associated",
            "temporary failure in name resolution",
        ]) {
            Unreachable::Dns
        } else if refused || any(&["connection refused"]) {
            Unreachable::Refused
        } else if any(&[
            "certificate",
            "tls handshake",
            "handshakefailure",
            "received corrupt message",
            "invalid peer certificate",
            "peer is incompatible",
            "invalidcontenttype",
        ]) {
            Unreachable::Tls
        } else if e.is_timeout() || timed_out {
            if e.is_connect() {
                Unreachable::ConnectTimeout
            } else {
                Unreachable::Timeout
            }
        } else if e.is_connect() {
            Unreachable::Connect
        } else {
            Unreachable::Interrupted
        }
    }

    /// Whether retrying within seconds can help. A name that does not resolve, a closed port, a
    /// certificate that is not trusted and a host that does not answer at all are settings or
    /// network problems: Ward says so at once instead of backing off for a minute. A
    /// connection that broke mid-answer or a slow answer is retried.
    pub fn retry_helps(self) -> bool {
        matches!(self, Unreachable::Timeout | Unreachable::Interrupted)
    }

    /// What to check, in words.
    pub fn advice(self) -> &'static str {
        match self {
            Unreachable::Dns => {
                "the host name does not resolve (DNS): check the endpoint's spelling in \
                 [endpoints] and this machine's DNS"
            }
            Unreachable::Refused => {
                "the connection was refused: nothing listens on that host and port (check the \
                 endpoint's port, a proxy or a firewall)"
            }
            Unreachable::Tls => {
                "the TLS handshake failed: the server's certificate is not trusted or not for \
                 that name, or the endpoint does not speak HTTPS (a TLS-inspecting proxy needs \
                 its CA in the system trust store)"
            }
            Unreachable::ConnectTimeout => {
                "no connection within the connect timeout: a firewall may drop the traffic, or \
                 the host is down"
            }
            Unreachable::Timeout => "no answer within the request timeout",
            Unreachable::Connect => "the connection could not be made",
            Unreachable::Interrupted => "the connection broke before the answer was complete",
        }
    }
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.advice())
    }
}

/// `scheme://host[:port]` of the request's URL, never its path or query (which may carry
/// ids); `the service` when reqwest did not keep the URL.
pub fn origin(e: &reqwest::Error) -> String {
    match e.url() {
        Some(u) => {
            let host = u.host_str().unwrap_or("");
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        None => "the service".into(),
    }
}

/// The innermost cause's words (`Connection refused (os error 111)`), which reqwest's own
/// message hides behind "error sending request for url (…)".
pub fn root_cause(e: &reqwest::Error) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        last = err.to_string();
        cur = err.source();
    }
    last
}
