//! E-mail delivery through an SMTP relay (lettre). The relay's address is resolved and checked by
//! the SSRF guard first, and lettre connects to that checked address, so DNS cannot point the
//! connection somewhere else between check and use.

use std::net::SocketAddr;
use std::time::Duration;

use duluan_config::Receiver;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message as Mail, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use url::Url;

use super::Failure;
use super::message::Outgoing;

/// How to talk TLS to the relay, from the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// `smtps://`: TLS from the first byte.
    Wrapper,
    /// `smtp://` (default): STARTTLS, required.
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS when offered.
    Opportunistic,
    /// `smtp://…?tls=none`: plain text (a relay on the same host or a test).
    None,
}

#[derive(Debug, PartialEq, Eq)]
struct Relay {
    host: String,
    port: u16,
    security: Security,
}

fn relay(url: &str) -> Result<Relay, Failure> {
    let url = Url::parse(url).map_err(|e| Failure::Permanent(format!("bad SMTP url: {e}")))?;
    let host = url.host_str().ok_or_else(|| Failure::Permanent("SMTP url has no host".into()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.to_string());
    let security = match (url.scheme(), tls.as_deref()) {
        ("smtps", _) => Security::Wrapper,
        ("smtp", None | Some("required")) => Security::StartTls,
        ("smtp", Some("opportunistic")) => Security::Opportunistic,
        ("smtp", Some("none")) => Security::None,
        (_, Some(other)) => {
            return Err(Failure::Permanent(format!("unknown tls={other}: use required, opportunistic or none")));
        }
        (scheme, None) => return Err(Failure::Permanent(format!("scheme {scheme} is not smtp or smtps"))),
    };
    let default_port = match security {
        Security::Wrapper => 465,
        Security::StartTls | Security::Opportunistic => 587,
        Security::None => 25,
    };
    Ok(Relay { host, port: url.port().unwrap_or(default_port), security })
}

async fn checked_address(relay: &Relay, allow_private: bool) -> Result<SocketAddr, Failure> {
    let addrs = tokio::net::lookup_host((relay.host.as_str(), relay.port))
        .await
        .map_err(|e| Failure::Retry { error: format!("cannot resolve {}: {e}", relay.host), after: None })?;
    let mut refused = None;
    for addr in addrs {
        match duluan_net::refuse_ip(addr.ip(), false) {
            Some(reason) if !allow_private => {
                refused = Some(format!("{} resolves to a {reason} ({})", relay.host, addr.ip()))
            }
            _ => return Ok(addr),
        }
    }
    Err(Failure::Permanent(match refused {
        Some(r) => format!("refused: {r} (set allow_private for an intranet relay)"),
        None => format!("{} has no address", relay.host),
    }))
}

fn mail(receiver: &Receiver, message: &dyn Outgoing) -> Result<Mail, Failure> {
    let bad = |what: &str, e: &dyn std::fmt::Display| Failure::Permanent(format!("bad {what} address: {e}"));
    let from: Mailbox = receiver.from.as_deref().unwrap_or_default().parse().map_err(|e| bad("from", &e))?;
    let mut builder = Mail::builder().from(from).subject(message.subject());
    for to in &receiver.to {
        builder = builder.to(to.parse::<Mailbox>().map_err(|e| bad("to", &e))?);
    }
    let built = match (message.html(), message.attachment()) {
        (Some(html), None) => {
            builder.multipart(MultiPart::alternative_plain_html(message.plain_text(), html.to_string()))
        }
        (None, None) => builder.header(ContentType::TEXT_PLAIN).body(message.plain_text()),
        (html, Some((name, content_type, bytes))) => {
            let content_type = ContentType::parse(content_type)
                .map_err(|e| Failure::Permanent(format!("bad attachment content type: {e}")))?;
            let file = Attachment::new(name).body(bytes.to_vec(), content_type);
            let mixed = match html {
                Some(html) => MultiPart::mixed()
                    .multipart(MultiPart::alternative_plain_html(message.plain_text(), html.to_string())),
                None => MultiPart::mixed().singlepart(SinglePart::plain(message.plain_text())),
            };
            builder.multipart(mixed.singlepart(file))
        }
    };
    built.map_err(|e| Failure::Permanent(format!("cannot build the e-mail: {e}")))
}

/// Send the message to the receiver's recipients.
pub(crate) async fn deliver(receiver: &Receiver, message: &dyn Outgoing, timeout: Duration) -> Result<(), Failure> {
    let relay = relay(&receiver.url)?;
    let email = mail(receiver, message)?;
    let addr = checked_address(&relay, receiver.allow_private).await?;
    let tls = |host: &str| {
        TlsParameters::new(host.to_string()).map_err(|e| Failure::Permanent(format!("TLS setup failed: {e}")))
    };
    let tls = match relay.security {
        Security::Wrapper => Tls::Wrapper(tls(&relay.host)?),
        Security::StartTls => Tls::Required(tls(&relay.host)?),
        Security::Opportunistic => Tls::Opportunistic(tls(&relay.host)?),
        Security::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(user) = &receiver.username {
        let password = receiver.secret.as_ref().map(|s| s.expose().to_string()).unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    let transport = builder.build();
    match transport.send(email).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(Failure::Permanent(format!("SMTP: {e}"))),
        Err(e) => Err(Failure::Retry { error: format!("SMTP: {e}"), after: None }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls() {
        let r = |u: &str| relay(u).map_err(|e| format!("{e:?}"));
        assert_eq!(
            r("smtp://relay.example"),
            Ok(Relay { host: "relay.example".into(), port: 587, security: Security::StartTls })
        );
        assert_eq!(
            r("smtps://relay.example"),
            Ok(Relay { host: "relay.example".into(), port: 465, security: Security::Wrapper })
        );
        assert_eq!(
            r("smtp://127.0.0.1:2525?tls=none"),
            Ok(Relay { host: "127.0.0.1".into(), port: 2525, security: Security::None })
        );
        assert!(r("smtp://relay.example?tls=maybe").is_err());
        assert!(r("http://relay.example").is_err());
    }

    #[tokio::test]
    async fn private_relays_are_refused_unless_allowed() {
        let relay = relay("smtp://127.0.0.1:2525?tls=none").unwrap_or_else(|_| unreachable!());
        assert!(matches!(checked_address(&relay, false).await, Err(Failure::Permanent(m)) if m.contains("loopback")));
        assert!(checked_address(&relay, true).await.is_ok());
    }
}
