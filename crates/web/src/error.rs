//! One error shape for the API: `{"error": {"code": "...", "message": "..."}}`, with the status
//! chosen in one place from the kind of failure.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Seconds to wait (429).
    pub retry_after: Option<u64>,
}

/// Why a request was refused (403), attached to the response for the audit log.
#[derive(Debug, Clone)]
pub struct Refusal(pub String);

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorInfo,
}

/// Error details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorInfo {
    /// Stable machine-readable code: `bad_request`, `bad_query`, `unauthorized`, `forbidden`,
    /// `not_found`, `method_not_allowed`, `conflict`, `too_large`, `unsupported_media_type`,
    /// `rate_limited`, `timeout`, `unavailable`, `internal`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: who are you?
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "authentication required: send a Bearer token or log in",
        )
    }

    /// 403: known, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409: conflicts with the current state.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413: the body is over the limit.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("request body larger than {limit} bytes"))
    }

    /// 415: the body is not JSON.
    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send the body as application/json")
    }

    /// Any status with a code and message (for mapping responses produced outside handlers).
    pub fn with_status(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(status, code, message)
    }

    /// 429 with Retry-After.
    pub fn too_many(retry_after: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests")
        }
    }

    /// 500: our fault; the detail goes to the log, not the client.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }

    /// 503: a dependency is down.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(ErrorBody { error: ErrorInfo { code: self.code.to_string(), message: self.message.clone() } });
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::FORBIDDEN {
            response.extensions_mut().insert(Refusal(self.message));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<duluan_store::Error> for ApiError {
    fn from(e: duluan_store::Error) -> ApiError {
        match e {
            duluan_store::Error::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            duluan_store::Error::Conflict(why) => ApiError::conflict(why),
            duluan_store::Error::Invalid(why) => ApiError::bad_request(why),
            other => ApiError::internal(other),
        }
    }
}

impl From<duluan_index::Error> for ApiError {
    fn from(e: duluan_index::Error) -> ApiError {
        match e {
            duluan_index::Error::Query { offset, message } => {
                let at = offset.map(|o| format!(" (at {o})")).unwrap_or_default();
                ApiError { code: "bad_query", ..ApiError::bad_request(format!("{message}{at}")) }
            }
            other => ApiError::internal(other),
        }
    }
}
