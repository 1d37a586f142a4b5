//! The SSRF guard: which addresses the crawler, webhooks and mail relays may connect to.
//!
//! Checked three times: on the URL's host when it is an IP literal (a custom resolver is never
//! consulted for those), on every address DNS returns (the resolver drops refused ones, and reqwest
//! connects only to what the resolver returned — so a rebinding answer cannot slip in between check
//! and connect), and on every redirect target.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why an address is refused, or `None` if it is a public address.
pub fn refuse_ip(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refuse_v4(v4, allow_loopback),
        IpAddr::V6(v6) => refuse_v6(v6, allow_loopback),
    }
}

fn refuse_v4(ip: Ipv4Addr, allow_loopback: bool) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        return (!allow_loopback).then_some("loopback address");
    }
    Some(match (a, b, c) {
        (0, _, _) => "unspecified address (0.0.0.0/8)",
        (10, _, _) => "private address (10.0.0.0/8)",
        (100, 64..=127, _) => "shared address space (100.64.0.0/10)",
        (169, 254, _) => "link-local or cloud metadata address (169.254.0.0/16)",
        (172, 16..=31, _) => "private address (172.16.0.0/12)",
        (192, 0, 0) => "IETF protocol assignment (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation address",
        (192, 168, _) => "private address (192.168.0.0/16)",
        (198, 18..=19, _) => "benchmarking address (198.18.0.0/15)",
        (224..=239, _, _) => "multicast address",
        (240..=255, _, _) => "reserved or broadcast address",
        _ => return None,
    })
}

fn refuse_v6(ip: Ipv6Addr, allow_loopback: bool) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refuse_v4(v4, allow_loopback);
    }
    let segments = ip.segments();
    if ip.is_loopback() {
        return (!allow_loopback).then_some("loopback address");
    }
    if ip.is_unspecified() {
        return Some("unspecified address (::)");
    }
    Some(match segments[0] {
        0xfc00..=0xfdff => "unique local address (fc00::/7)",
        0xfe80..=0xfebf => "link-local address (fe80::/10)",
        0xfec0..=0xfeff => "site-local address (fec0::/10)",
        0xff00..=0xffff => "multicast address",
        0x2001 if segments[1] == 0x0db8 => "documentation address (2001:db8::/32)",
        // NAT64 (64:ff9b::/96) and IPv4-compatible (::/96) forms carry an IPv4 address: judge that.
        0x0064 if segments[1] == 0xff9b && segments[2..6] == [0, 0, 0, 0] => {
            let v4 =
                Ipv4Addr::new((segments[6] >> 8) as u8, segments[6] as u8, (segments[7] >> 8) as u8, segments[7] as u8);
            return refuse_v4(v4, false).map(|_| "NAT64 address of a refused IPv4 address");
        }
        0 if segments[1..6] == [0, 0, 0, 0, 0] => "IPv4-compatible address (::/96)",
        _ => return None,
    })
}

/// Why a URL is refused before any connection: scheme, credentials, or an IP-literal host.
pub fn refuse_url(url: &Url, allow_loopback: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("scheme `{}` is not allowed (only http and https)", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("URLs with credentials are not fetched".into());
    }
    match url.host() {
        None => Some("URL has no host".into()),
        Some(Host::Ipv4(ip)) => refuse_ip(IpAddr::V4(ip), allow_loopback).map(|r| format!("refused: {r} {ip}")),
        Some(Host::Ipv6(ip)) => refuse_ip(IpAddr::V6(ip), allow_loopback).map(|r| format!("refused: {r} [{ip}]")),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            let local =
                d == "localhost" || d.ends_with(".localhost") || d.ends_with(".local") || d.ends_with(".internal");
            (local && !(allow_loopback && (d == "localhost" || d.ends_with(".localhost"))))
                .then(|| format!("refused: local host name `{d}`"))
        }
    }
}

/// A DNS resolver that drops refused addresses, so no connection to them is ever opened.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow_loopback: bool,
}

impl GuardedResolver {
    /// A resolver; `allow_loopback` lets 127.0.0.0/8 and ::1 through (tests and the demo only).
    pub fn new(allow_loopback: bool) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { allow_loopback })
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match refuse_ip(a.ip(), allow_loopback) {
                    Some(reason) => {
                        refused = Some(format!("refused: {host} resolves to a {reason} ({})", a.ip()));
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let msg = refused.unwrap_or_else(|| format!("{host} has no address"));
                return Err(msg.into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(u: &str) -> bool {
        refuse_url(&Url::parse(u).unwrap_or_else(|e| panic!("{u}: {e}")), false).is_some()
    }

    #[test]
    fn private_targets_in_every_spelling_are_refused() {
        for u in [
            "http://127.0.0.1/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://167772161/",
            "http://0x0a000001/",
            "http://0.0.0.0/",
            "http://100.64.1.1/",
            "http://[fc00::1]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://[64:ff9b::a00:1]/",
            "http://192.168.1.1:8080/",
            "http://localhost/",
            "http://metadata.internal/",
            "ftp://example.com/",
            "file:///etc/passwd",
            "http://user:pw@example.com/",
        ] {
            assert!(refused(u), "{u} should be refused");
        }
    }

    #[test]
    fn public_targets_pass() {
        for u in [
            "https://vnexpress.net/rss",
            "http://8.8.8.8/",
            "http://[2606:4700::1111]/",
            "https://e.vnexpress.net:443/a",
        ] {
            assert!(!refused(u), "{u} should pass");
        }
    }

    #[test]
    fn loopback_only_when_allowed() {
        let u = Url::parse("http://127.0.0.1:8080/").unwrap_or_else(|_| unreachable!());
        assert!(refuse_url(&u, true).is_none());
        let u = Url::parse("http://10.1.1.1/").unwrap_or_else(|_| unreachable!());
        assert!(refuse_url(&u, true).is_some());
        assert!(refuse_ip("::1".parse().unwrap_or_else(|_| unreachable!()), true).is_none());
    }
}
