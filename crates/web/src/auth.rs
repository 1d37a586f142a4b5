//! Who is calling: passwords (argon2), API tokens (random, stored as SHA-256), login sessions
//! with a CSRF token, and a login throttle. Role checks happen in one place ([`Caller::require`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::Utc;
use duluan_model::{Role, User};
use duluan_store::TokenKind;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "duluan_session";
/// Header carrying the CSRF token for cookie-authenticated API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Hash a password for storage (Argon2id with a random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Check a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A fresh random secret, hex encoded, with a prefix that makes leaked tokens recognisable.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// SHA-256 of a secret: tokens and session ids are stored only in this form.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer`: no CSRF needed.
    Token {
        /// Id of the token used.
        id: i64,
    },
    /// Session cookie; state changes need this CSRF token.
    Session {
        /// The session's CSRF token.
        csrf: String,
        /// The session id hash (for logout).
        id_hash: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub user: User,
    /// How they authenticated.
    pub via: Via,
}

impl Caller {
    /// 403 unless the caller's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.user.role.at_least(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("this needs the {role} role; you are {}", self.user.role)))
        }
    }

    /// For state changes: a session caller must present its CSRF token.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), ApiError> {
        match &self.via {
            Via::Token { .. } => Ok(()),
            Via::Session { csrf, .. } => match presented {
                Some(p) if constant_time_eq(p.as_bytes(), csrf.as_bytes()) => Ok(()),
                _ => Err(ApiError::forbidden("missing or wrong CSRF token")),
            },
        }
    }

    /// The CSRF token to put in forms (empty for token callers).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Token { .. } => "",
            Via::Session { csrf, .. } => csrf,
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of a cookie in the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Resolve the caller from a Bearer token or the session cookie; `None` if neither is valid.
pub async fn identify(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    // The access guard already looked the caller up for this request.
    if let Some(caller) = parts.extensions.get::<Caller>() {
        return Ok(Some(caller.clone()));
    }
    let now = Utc::now();
    if let Some(value) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let Some(token) = value.strip_prefix("Bearer ").map(str::trim) else {
            return Ok(None);
        };
        let user = state.store.token_user(&secret_hash(token), TokenKind::Api, now).await?;
        return Ok(user.map(|(user, id)| Caller { user, via: Via::Token { id } }));
    }
    if let Some(session) = cookie(parts, SESSION_COOKIE) {
        let id_hash = secret_hash(session);
        if let Some((user, csrf)) = state.store.session(&id_hash, now).await? {
            return Ok(Some(Caller { user, via: Via::Session { csrf, id_hash } }));
        }
    }
    Ok(None)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        identify(parts, state).await?.ok_or_else(ApiError::unauthorized)
    }
}

/// Failed-login counting per account and per address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Failures allowed per window before logins are refused.
const MAX_FAILURES: u32 = 10;
const WINDOW: Duration = Duration::from_secs(15 * 60);

impl LoginThrottle {
    fn keys(user: &str, ip: Option<IpAddr>) -> Vec<String> {
        let mut keys = vec![format!("user:{}", user.to_lowercase())];
        if let Some(ip) = ip {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    /// Seconds to wait if this account or address is locked out.
    pub fn blocked(&self, user: &str, ip: Option<IpAddr>) -> Option<u64> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(user, ip).iter().filter_map(|k| failures.get(k)).find_map(|(n, since)| {
            (*n >= MAX_FAILURES && since.elapsed() < WINDOW).then(|| (WINDOW - since.elapsed()).as_secs().max(1))
        })
    }

    /// Count a failed attempt.
    pub fn failed(&self, user: &str, ip: Option<IpAddr>) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        for key in Self::keys(user, ip) {
            let entry = failures.entry(key).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    /// Forget failures of an account after a successful login.
    pub fn succeeded(&self, user: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("user:{}", user.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_secrets() {
        let h = hash_password("mật khẩu dài").unwrap_or_else(|e| panic!("{e}"));
        assert!(verify_password("mật khẩu dài", &h));
        assert!(!verify_password("sai", &h));
        assert!(!verify_password("x", "not a hash"));
        let t = new_secret("dl_");
        assert!(t.starts_with("dl_") && t.len() == 51);
        assert_ne!(secret_hash(&t), t);
    }

    #[test]
    fn throttle_locks_after_failures() {
        let t = LoginThrottle::default();
        let ip: Option<IpAddr> = "127.0.0.1".parse().ok();
        for _ in 0..MAX_FAILURES {
            assert!(t.blocked("lan", ip).is_none());
            t.failed("lan", ip);
        }
        assert!(t.blocked("lan", ip).is_some());
        assert!(t.blocked("LAN", None).is_some(), "per account, any address");
        assert!(t.blocked("minh", ip).is_some(), "per address, any account");
    }
}
