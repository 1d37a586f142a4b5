//! Request limits: per-token and per-address rate limits, a query-string cap, and one error body
//! for every failure under `/api/` — including the ones axum and tower produce themselves
//! (405, 408, 413, …).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::{SESSION_COOKIE, secret_hash};
use crate::error::ApiError;

/// Longest query string accepted, in bytes.
pub const MAX_QUERY_STRING: usize = 8192;

/// Token buckets per caller key (token, session or address).
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` sustained requests with bursts of `burst`, per key.
    pub fn new(per_second: f64, burst: f64) -> RateLimiter {
        RateLimiter { per_second: per_second.max(0.1), burst: burst.max(1.0), buckets: Mutex::new(HashMap::new()) }
    }

    /// Take one request from `key`'s bucket, or say how many seconds to wait.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget idle keys rather than grow without bound.
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + at.elapsed().as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// Whose bucket a request draws from: its token, else its session, else its address.
fn caller_key(req: &Request) -> String {
    if let Some(auth) = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return format!("token:{}", &secret_hash(auth)[..16]);
    }
    let cookie = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string());
    if let Some(session) = cookie {
        return format!("session:{}", &secret_hash(&session)[..16]);
    }
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    format!("addr:{addr}")
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/metrics" || path == "/healthz" || path == "/readyz"
}

/// Rate-limit API calls and refuse oversized query strings.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if req.uri().query().is_some_and(|q| q.len() > MAX_QUERY_STRING) {
        return ApiError::bad_request(format!("query string longer than {MAX_QUERY_STRING} bytes")).into_response();
    }
    if (path.starts_with("/api/") && path != "/api/openapi.json" && path != "/api/docs" || path == "/metrics")
        && let Err(wait) = state.limiter.check(&caller_key(&req))
    {
        return ApiError::too_many(wait).into_response();
    }
    next.run(req).await
}

/// Give every API error the uniform JSON body, whoever produced it.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let response = next.run(req).await;
    let status = response.status();
    if !api || status.as_u16() < 400 {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this route does not take that method"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send the body as application/json"),
        s if s.is_client_error() => ("bad_request", "bad request"),
        _ => ("internal", "internal error; see the server log"),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut mapped = ApiError::with_status(status, code, message).into_response();
    if let Some(allow) = allow {
        mapped.headers_mut().insert(header::ALLOW, allow);
    }
    mapped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_and_refuse() {
        let l = RateLimiter::new(2.0, 3.0);
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        assert_eq!(l.check("a"), Err(1));
        assert!(l.check("b").is_ok(), "keys are independent");
    }
}
