//! Webhook, Slack and Telegram delivery over HTTP. No redirects are followed, private addresses
//! are refused unless the receiver allows them, and errors never carry the URL (a Telegram URL
//! holds the bot token).

use std::time::Duration;

use chrono::{DateTime, Utc};
use duluan_config::{Receiver, ReceiverKind};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use sha2::Sha256;
use url::Url;

use super::Failure;
use super::message::Outgoing;

/// Header with the HMAC-SHA256 signature of `timestamp + "." + body`.
pub const SIGNATURE_HEADER: &str = "x-duluan-signature";
/// Header with the Unix time the signature covers (receivers reject old ones to stop replays).
pub const TIMESTAMP_HEADER: &str = "x-duluan-timestamp";

/// Two clients: one behind the SSRF guard, one for receivers that allow private addresses.
#[derive(Debug, Clone)]
pub(crate) struct Clients {
    guarded: reqwest::Client,
    open: reqwest::Client,
}

impl Clients {
    pub(crate) fn new(user_agent: &str, timeout: Duration) -> reqwest::Result<Clients> {
        let base = || {
            reqwest::Client::builder()
                .user_agent(user_agent)
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .redirect(reqwest::redirect::Policy::none())
        };
        Ok(Clients {
            guarded: base().dns_resolver(duluan_net::GuardedResolver::new(false)).build()?,
            open: base().build()?,
        })
    }

    fn for_receiver(&self, receiver: &Receiver, url: &Url) -> Result<&reqwest::Client, Failure> {
        if receiver.allow_private {
            return Ok(&self.open);
        }
        match duluan_net::refuse_url(url, false) {
            Some(reason) => Err(Failure::Permanent(format!("{reason} (set allow_private for an intranet receiver)"))),
            None => Ok(&self.guarded),
        }
    }
}

/// HMAC-SHA256 of `timestamp.body`, hex encoded, as sent in [`SIGNATURE_HEADER`] (`sha256=…`).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Deliver over HTTP according to the receiver's kind.
pub(crate) async fn deliver(
    clients: &Clients,
    receiver: &Receiver,
    message: &dyn Outgoing,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let (url, body, headers) = match receiver.kind {
        ReceiverKind::Webhook => webhook_request(receiver, message, now)?,
        ReceiverKind::Slack => {
            let body = serde_json::json!({ "text": message.slack_text(), "unfurl_links": false });
            (parse(&receiver.url)?, body.to_string().into_bytes(), HeaderMap::new())
        }
        ReceiverKind::Telegram => telegram_request(receiver, message)?,
        ReceiverKind::Email => return Err(Failure::Permanent("not an HTTP receiver".into())),
    };
    let client = clients.for_receiver(receiver, &url)?;
    let response = client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .header("idempotency-key", message.idempotency_key())
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|e| Failure::Retry { error: describe(e), after: None })?;
    judge(receiver.kind, response).await
}

fn parse(url: &str) -> Result<Url, Failure> {
    Url::parse(url).map_err(|e| Failure::Permanent(format!("bad receiver url: {e}")))
}

fn webhook_request(
    receiver: &Receiver,
    message: &dyn Outgoing,
    now: DateTime<Utc>,
) -> Result<(Url, Vec<u8>, HeaderMap), Failure> {
    let body = message.webhook_body(now).map_err(|e| Failure::Permanent(e.to_string()))?;
    let mut headers = HeaderMap::new();
    headers.insert("x-duluan-event", header_value(message.event())?);
    if let Some(secret) = &receiver.secret {
        let ts = now.timestamp();
        let signature = sign(secret.expose().as_bytes(), ts, &body);
        headers.insert(SIGNATURE_HEADER, header_value(&format!("sha256={signature}"))?);
        headers.insert(TIMESTAMP_HEADER, header_value(&ts.to_string())?);
    }
    Ok((parse(&receiver.url)?, body, headers))
}

fn telegram_request(receiver: &Receiver, message: &dyn Outgoing) -> Result<(Url, Vec<u8>, HeaderMap), Failure> {
    let token = receiver.secret.as_ref().map(|s| s.expose()).unwrap_or_default();
    if token.is_empty() || token.contains('/') || token.contains('?') || token.contains('#') {
        return Err(Failure::Permanent("the bot token is empty or malformed".into()));
    }
    let base = if receiver.url.is_empty() { "https://api.telegram.org" } else { receiver.url.trim_end_matches('/') };
    let url = parse(&format!("{base}/bot{token}/sendMessage"))
        .map_err(|_| Failure::Permanent("bad Telegram API url".into()))?;
    let body = serde_json::json!({
        "chat_id": receiver.chat_id,
        "text": message.telegram_html(),
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    });
    Ok((url, body.to_string().into_bytes(), HeaderMap::new()))
}

fn header_value(s: &str) -> Result<reqwest::header::HeaderValue, Failure> {
    reqwest::header::HeaderValue::from_str(s).map_err(|e| Failure::Permanent(e.to_string()))
}

/// A transport error without its URL (which may hold a token), with its causes.
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let e = e.without_url();
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Sort a response into delivered, retry later, or give up.
async fn judge(kind: ReceiverKind, response: reqwest::Response) -> Result<(), Failure> {
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body: String = response.text().await.unwrap_or_default().chars().take(300).collect();
    if status.is_success() {
        if kind == ReceiverKind::Telegram {
            return telegram_ok(&body);
        }
        return Ok(());
    }
    let telegram_wait = (kind == ReceiverKind::Telegram).then(|| telegram_retry_after(&body)).flatten();
    let error = format!(
        "HTTP {}{}",
        status.as_u16(),
        if body.trim().is_empty() { String::new() } else { format!(": {}", body.trim()) }
    );
    if retryable(status) {
        Err(Failure::Retry { error, after: retry_after.or(telegram_wait) })
    } else if status.is_redirection() {
        Err(Failure::Permanent(format!("{error} (redirects are not followed; use the final URL)")))
    } else {
        Err(Failure::Permanent(error))
    }
}

fn retryable(status: StatusCode) -> bool {
    status.is_server_error() || matches!(status.as_u16(), 408 | 409 | 425 | 429)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn telegram_ok(body: &str) -> Result<(), Failure> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    if v["ok"].as_bool() == Some(true) {
        Ok(())
    } else {
        let d = v["description"].as_str().unwrap_or("no `ok: true` in the answer");
        Err(Failure::Permanent(format!("Telegram: {d}")))
    }
}

fn telegram_retry_after(body: &str) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v["parameters"]["retry_after"].as_u64().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Expected value from Python: hmac.new(b'key', b'1700000000.{}', hashlib.sha256).hexdigest()
        let sig = sign(b"key", 1700000000, b"{}");
        assert_eq!(sig, "9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae");
        assert_eq!(sig, sign(b"key", 1700000000, b"{}"));
        assert_ne!(sig, sign(b"key", 1700000001, b"{}"));
        assert_ne!(sig, sign(b"other", 1700000000, b"{}"));
    }

    #[test]
    fn statuses_are_sorted() {
        assert!(retryable(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!retryable(StatusCode::NOT_FOUND));
        assert!(!retryable(StatusCode::UNAUTHORIZED));
        assert_eq!(
            telegram_retry_after(r#"{"ok":false,"parameters":{"retry_after":7}}"#),
            Some(Duration::from_secs(7))
        );
        assert!(telegram_ok(r#"{"ok":true,"result":{}}"#).is_ok());
        assert!(telegram_ok(r#"{"ok":false,"description":"chat not found"}"#).is_err());
    }
}
