//! `[alerts]`: grouping, routing, SLA targets, receivers and delivery.

use std::collections::BTreeSet;

use duluan_model::Severity;
use serde::Deserialize;

/// `[alerts]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct AlertsConfig {
    pub default_team: String,
    pub lease_minutes: i64,
    pub group_window_hours: i64,
    pub renotify_hours: i64,
    pub receivers: Vec<String>,
    pub sla: SlaConfig,
    pub notify: NotifyConfig,
    #[serde(default)]
    pub route: Vec<Route>,
    #[serde(default)]
    pub receiver: Vec<Receiver>,
}

/// `[alerts.sla]`: target minutes to first claim per severity (0: none).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SlaConfig {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub info: i64,
}

impl SlaConfig {
    /// The target for a severity, in minutes (0: none).
    pub fn minutes(&self, severity: Severity) -> i64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// Every severity with its target.
    pub fn targets(&self) -> Vec<(Severity, i64)> {
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info]
            .into_iter()
            .map(|s| (s, self.minutes(s)))
            .collect()
    }
}

/// `[alerts.notify]`: how notifications are delivered.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct NotifyConfig {
    pub max_attempts: i64,
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    pub timeout_secs: u64,
    pub poll_secs: u64,
}

/// One `[[alerts.route]]`: matchers that send an alert to a team queue and its receivers.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Team queue receiving matching alerts.
    pub team: String,
    /// Matches when the rule has any of these tags (empty: any rule).
    #[serde(default)]
    pub rule_tags: Vec<String>,
    /// Matches when the flag is at least this severe.
    #[serde(default)]
    pub min_severity: Option<Severity>,
    /// Matches when the item's source has any of these tags (empty: any source).
    #[serde(default)]
    pub source_tags: Vec<String>,
    /// Matches when the item's source has this region.
    #[serde(default)]
    pub region: Option<String>,
    /// Receivers notified of the alerts this route takes (empty: `alerts.receivers`).
    #[serde(default)]
    pub receivers: Vec<String>,
}

/// What kind of endpoint a receiver is.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReceiverKind {
    /// Generic JSON webhook, signed with HMAC-SHA256 when a secret is set.
    Webhook,
    /// Slack-compatible incoming webhook (Mattermost and Rocket.Chat accept it too).
    Slack,
    /// Telegram Bot API `sendMessage`.
    Telegram,
    /// E-mail through an SMTP relay.
    Email,
}

impl ReceiverKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiverKind::Webhook => "webhook",
            ReceiverKind::Slack => "slack",
            ReceiverKind::Telegram => "telegram",
            ReceiverKind::Email => "email",
        }
    }
}

/// A secret from the configuration: written literally or as `env:NAME`; never printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret holding this value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, to use (never to log).
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn resolve(&mut self, lookup: &impl Fn(&str) -> Option<String>) -> std::result::Result<(), String> {
        if let Some(name) = self.0.strip_prefix("env:") {
            self.0 = lookup(name).ok_or_else(|| format!("environment variable {name} is not set"))?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One `[[alerts.receiver]]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    /// Name routes refer to.
    pub name: String,
    /// Kind of endpoint.
    pub kind: ReceiverKind,
    /// Webhook/Slack endpoint, Telegram API base, or SMTP relay (`smtp://`, `smtps://`).
    #[serde(default)]
    pub url: String,
    /// HMAC key (webhook), bot token (Telegram) or SMTP password (email).
    #[serde(default)]
    pub secret: Option<Secret>,
    /// Telegram chat.
    #[serde(default)]
    pub chat_id: Option<String>,
    /// E-mail sender.
    #[serde(default)]
    pub from: Option<String>,
    /// E-mail recipients.
    #[serde(default)]
    pub to: Vec<String>,
    /// SMTP user name.
    #[serde(default)]
    pub username: Option<String>,
    /// Allow private and loopback addresses (an intranet relay).
    #[serde(default)]
    pub allow_private: bool,
}

impl AlertsConfig {
    /// Receivers for a route (or the default route when `None`).
    pub fn receivers_for(&self, route: Option<&Route>) -> Vec<String> {
        match route {
            Some(r) if !r.receivers.is_empty() => r.receivers.clone(),
            _ => self.receivers.clone(),
        }
    }

    /// A receiver by name.
    pub fn receiver(&self, name: &str) -> Option<&Receiver> {
        self.receiver.iter().find(|r| r.name == name)
    }

    pub(crate) fn resolve_secrets(
        &mut self,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), String> {
        for r in &mut self.receiver {
            if let Some(secret) = &mut r.secret {
                secret.resolve(lookup).map_err(|e| format!("alerts.receiver `{}`: {e}", r.name))?;
            }
        }
        Ok(())
    }

    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        if self.lease_minutes <= 0 {
            return Err("alerts.lease_minutes must be positive".into());
        }
        if self.default_team.trim().is_empty() {
            return Err("alerts.default_team must not be empty".into());
        }
        if self.group_window_hours < 0 || self.renotify_hours < 1 {
            return Err("alerts.group_window_hours must be >= 0 and alerts.renotify_hours >= 1".into());
        }
        if self.notify.max_attempts < 1 || self.notify.poll_secs == 0 || self.notify.timeout_secs == 0 {
            return Err("alerts.notify.max_attempts, poll_secs and timeout_secs must be at least 1".into());
        }
        let mut names = BTreeSet::new();
        for r in &self.receiver {
            if !names.insert(r.name.as_str()) {
                return Err(format!("alerts.receiver `{}` appears twice", r.name));
            }
            r.validate()?;
        }
        let routes = self.route.iter().map(|r| (format!("route to `{}`", r.team), &r.receivers));
        for (origin, list) in std::iter::once(("alerts.receivers".to_string(), &self.receivers)).chain(routes) {
            if let Some(missing) = list.iter().find(|n| !names.contains(n.as_str())) {
                return Err(format!("{origin} names receiver `{missing}`, which no [[alerts.receiver]] defines"));
            }
        }
        Ok(())
    }
}

impl Receiver {
    fn validate(&self) -> std::result::Result<(), String> {
        let fail = |what: &str| Err(format!("alerts.receiver `{}`: {what}", self.name));
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return fail("name must be non-empty ascii letters, digits, '-', '_' or '.'");
        }
        let scheme = self.url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match self.kind {
            ReceiverKind::Webhook | ReceiverKind::Slack if !matches!(scheme.as_deref(), Some("http" | "https")) => {
                fail("url must be an http(s) URL")
            }
            ReceiverKind::Telegram if self.secret.is_none() || self.chat_id.is_none() => {
                fail("telegram needs secret (the bot token) and chat_id")
            }
            ReceiverKind::Telegram if !self.url.is_empty() && !matches!(scheme.as_deref(), Some("http" | "https")) => {
                fail("url (the Bot API base) must be an http(s) URL")
            }
            ReceiverKind::Email if !matches!(scheme.as_deref(), Some("smtp" | "smtps")) => {
                fail("url must be smtp://host[:port] or smtps://host[:port]")
            }
            ReceiverKind::Email if self.from.is_none() || self.to.is_empty() => fail("email needs from and to"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    fn with(extra: &str) -> crate::Result<Config> {
        Config::from_layers(Some(("t.toml".into(), extra.into())), std::iter::empty())
    }

    #[test]
    fn receivers_are_checked_and_routes_must_name_known_ones() {
        let ok = with(
            "[alerts]\nreceivers = [\"hook\"]\n[[alerts.receiver]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"https://x.example/h\"\nsecret = \"k\"\n",
        )
        .expect("valid");
        assert_eq!(ok.alerts.receivers_for(None), ["hook"]);
        assert_eq!(format!("{:?}", ok.alerts.receiver[0].secret), "Some(Secret(***))");
        let unknown = with("[alerts]\nreceivers = [\"nope\"]\n").unwrap_err().to_string();
        assert!(unknown.contains("`nope`"), "{unknown}");
        let route = with("[[alerts.route]]\nteam = \"y-te\"\nreceivers = [\"nope\"]\n").unwrap_err().to_string();
        assert!(route.contains("route to `y-te`"), "{route}");
        let bad_url = with("[[alerts.receiver]]\nname = \"h\"\nkind = \"webhook\"\nurl = \"file:///etc/passwd\"\n");
        assert!(bad_url.is_err());
        let telegram = with("[[alerts.receiver]]\nname = \"t\"\nkind = \"telegram\"\n").unwrap_err().to_string();
        assert!(telegram.contains("bot token"), "{telegram}");
        let email = with("[[alerts.receiver]]\nname = \"m\"\nkind = \"email\"\nurl = \"smtp://relay.example\"\n");
        assert!(email.unwrap_err().to_string().contains("from and to"));
    }

    #[test]
    fn secrets_come_from_the_environment_when_asked() {
        let text =
            "[[alerts.receiver]]\nname = \"t\"\nkind = \"telegram\"\nchat_id = \"1\"\nsecret = \"env:TG_TOKEN\"\n";
        let env = vec![("TG_TOKEN".to_string(), "123:abc".to_string())];
        let c = Config::from_layers(Some(("t.toml".into(), text.into())), env.into_iter()).expect("valid");
        assert_eq!(c.alerts.receiver[0].secret.as_ref().map(|s| s.expose()), Some("123:abc"));
        let missing = Config::from_layers(Some(("t.toml".into(), text.into())), std::iter::empty());
        assert!(missing.unwrap_err().to_string().contains("TG_TOKEN is not set"));
    }

    #[test]
    fn sla_targets_cover_every_severity() {
        let c = Config::defaults();
        assert_eq!(c.alerts.sla.targets().len(), 5);
        assert!(
            c.alerts.sla.minutes(duluan_model::Severity::Critical) < c.alerts.sla.minutes(duluan_model::Severity::Low)
        );
    }
}
