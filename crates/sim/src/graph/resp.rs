//! Graph responses and Microsoft's error bodies.

use axum::http::StatusCode;
use serde_json::{Value, json};

/// A Graph answer before it becomes HTTP (or a `$batch` item).
#[derive(Debug, Clone)]
pub struct GResp {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: GBody,
}

#[derive(Debug, Clone)]
pub enum GBody {
    Empty,
    Json(Value),
    Bytes {
        content_type: String,
        bytes: Vec<u8>,
    },
}

impl GResp {
    pub fn json(status: StatusCode, v: Value) -> Self {
        Self {
            status,
            headers: vec![],
            body: GBody::Json(v),
        }
    }
    pub fn ok(v: Value) -> Self {
        Self::json(StatusCode::OK, v)
    }
    pub fn created(v: Value) -> Self {
        Self::json(StatusCode::CREATED, v)
    }
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            headers: vec![],
            body: GBody::Empty,
        }
    }
    pub fn bytes(content_type: &str, bytes: Vec<u8>) -> Self {
        Self {
            status: StatusCode::OK,
            headers: vec![],
            body: GBody::Bytes {
                content_type: content_type.into(),
                bytes,
            },
        }
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    /// Add a preference to the response's one `Preference-Applied` header (comma-separated,
    /// as RFC 7240 allows), creating it if needed.
    pub fn prefer_applied(mut self, pref: &str) -> Self {
        match self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("Preference-Applied"))
        {
            Some((_, v)) => {
                v.push_str(", ");
                v.push_str(pref);
            }
            None => self
                .headers
                .push(("Preference-Applied".to_string(), pref.to_string())),
        }
        self
    }
    /// Graph error body `{"error":{"code","message","innerError":{...}}}`; `innerError` is
    /// completed with request ids by the server.
    pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self::json(
            status,
            json!({"error": {"code": code, "message": message.into(), "innerError": {}}}),
        )
    }
    pub fn not_found_item() -> Self {
        Self::error(
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        )
    }
    pub fn user_not_found(id: &str) -> Self {
        Self::error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }
    pub fn mailbox_not_enabled() -> Self {
        Self::error(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::error(StatusCode::BAD_REQUEST, "BadRequest", message)
    }
    pub fn directory_denied() -> Self {
        Self::error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }
    pub fn mailbox_denied() -> Self {
        Self::error(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        )
    }
    pub fn generic_denied() -> Self {
        Self::error(
            StatusCode::FORBIDDEN,
            "accessDenied",
            "Insufficient privileges to complete the operation.",
        )
    }
    pub fn method_not_allowed() -> Self {
        Self::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
    }
    pub fn unknown_segment(seg: &str) -> Self {
        Self::error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("Resource not found for the segment '{seg}'."),
        )
    }
    pub fn mailbox_throttled(retry_after: f64, which: crate::stats::MailboxLimit) -> Self {
        let message = match which {
            crate::stats::MailboxLimit::Concurrency => {
                "Application is over its MailboxConcurrency limit."
            }
            crate::stats::MailboxLimit::Requests => {
                "Application is over its MailboxRequests limit."
            }
        };
        Self::error(
            StatusCode::TOO_MANY_REQUESTS,
            "ApplicationThrottled",
            message,
        )
        .header("Retry-After", fmt_retry(retry_after))
    }
    pub fn too_many(retry_after: Option<f64>) -> Self {
        let r = Self::json(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": {"code": "TooManyRequests", "message": "Please retry again later.", "innerError": {"code": "429", "message": "Please retry after", "status": "429"}}}),
        );
        match retry_after {
            Some(s) => r.header("Retry-After", fmt_retry(s)),
            None => r,
        }
    }
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

/// `Retry-After` as Microsoft writes it: an integer when whole, else a decimal like `0.249`.
pub fn fmt_retry(s: f64) -> String {
    if (s - s.round()).abs() < 1e-9 {
        format!("{}", s.round() as i64)
    } else {
        format!("{s:.3}").trim_end_matches('0').to_string()
    }
}
