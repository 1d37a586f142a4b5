//! What a notification says: a JSON payload for webhooks and short bilingual texts for chat and
//! e-mail. Titles come from crawled pages, so every text form is cleaned and escaped for its
//! channel here, in one place.

use chrono::{DateTime, Utc};
use duluan_model::{Alert, Notification, Severity};
use serde::Serialize;

/// One notification about one alert, ready to render.
#[derive(Debug, Clone)]
pub struct Message {
    /// The notification being delivered.
    pub notification: Notification,
    /// The alert, as it is now.
    pub alert: Alert,
    /// Link to the alert page.
    pub link: String,
}

/// The JSON body of a webhook (version 1; fields are only ever added).
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    /// Payload format version.
    pub version: u32,
    /// `raised`, `renotify` or `overdue`.
    pub event: &'a str,
    /// The notification id: the same on every retry, so receivers can drop duplicates.
    pub notification_id: i64,
    /// When this attempt was made.
    pub sent_at: DateTime<Utc>,
    /// The alert.
    pub alert: PayloadAlert<'a>,
}

/// The alert as a webhook sees it: content only, never people.
#[derive(Debug, Serialize)]
pub struct PayloadAlert<'a> {
    /// Alert id.
    pub id: i64,
    /// Rule id.
    pub rule: &'a str,
    /// Severity.
    pub severity: &'a str,
    /// Priority.
    pub priority: &'a str,
    /// Triage state.
    pub state: &'a str,
    /// Team queue.
    pub team: &'a str,
    /// Story id.
    pub story: &'a str,
    /// Title of the first item (plain text, as crawled).
    pub title: &'a str,
    /// Items grouped so far.
    pub item_count: i64,
    /// When raised.
    pub created_at: DateTime<Utc>,
    /// Latest item.
    pub last_seen_at: DateTime<Utc>,
    /// Rule tags.
    pub tags: &'a [String],
    /// Source of the first item.
    pub source: Option<&'a str>,
    /// Region of that source.
    pub region: Option<&'a str>,
    /// The alert page.
    pub url: &'a str,
}

impl Message {
    /// The webhook payload.
    pub fn payload(&self, now: DateTime<Utc>) -> Payload<'_> {
        let a = &self.alert;
        Payload {
            version: 1,
            event: &self.notification.event,
            notification_id: self.notification.id,
            sent_at: now,
            alert: PayloadAlert {
                id: a.id,
                rule: &a.rule,
                severity: a.severity.as_str(),
                priority: a.priority.as_str(),
                state: a.state.as_str(),
                team: &a.team,
                story: &a.story,
                title: &a.title,
                item_count: a.item_count,
                created_at: a.created_at,
                last_seen_at: a.last_seen_at,
                tags: &a.labels.tags,
                source: a.labels.source.as_deref(),
                region: a.labels.region.as_deref(),
                url: &self.link,
            },
        }
    }

    /// The title as one clean line of at most 200 characters.
    pub fn title(&self) -> String {
        one_line(&self.alert.title, 200)
    }

    /// "Cảnh báo mới / New alert" and so on.
    pub fn headline(&self) -> String {
        let (vi, en) = match self.notification.event.as_str() {
            "renotify" => ("Câu chuyện đang lan rộng", "Story still growing"),
            "overdue" => ("Quá hạn, chưa ai nhận", "Overdue, unclaimed"),
            _ => ("Cảnh báo mới", "New alert"),
        };
        format!("{vi} / {en}")
    }

    /// "[CAO/HIGH]".
    pub fn severity_tag(&self) -> String {
        let vi = match self.alert.severity {
            Severity::Info => "THÔNG TIN",
            Severity::Low => "THẤP",
            Severity::Medium => "TRUNG BÌNH",
            Severity::High => "CAO",
            Severity::Critical => "NGHIÊM TRỌNG",
        };
        format!("[{vi}/{}]", self.alert.severity.as_str().to_uppercase())
    }

    /// The facts line: rule, team, item count.
    pub fn facts(&self) -> String {
        let a = &self.alert;
        format!("Quy tắc/rule: {} · Nhóm/team: {} · {} bài/items · #{}", a.rule, a.team, a.item_count, a.id)
    }

    /// Plain text (e-mail body).
    pub fn plain_text(&self) -> String {
        format!("{} {}\n\n{}\n{}\n\n{}\n", self.severity_tag(), self.headline(), self.title(), self.facts(), self.link)
    }

    /// E-mail subject.
    pub fn subject(&self) -> String {
        format!(
            "[duluan] {} {} #{}: {}",
            self.severity_tag(),
            self.headline(),
            self.alert.id,
            one_line(&self.alert.title, 120)
        )
    }

    /// Slack mrkdwn text (`&`, `<`, `>` escaped as Slack requires).
    pub fn slack_text(&self) -> String {
        format!(
            "*{} {}*\n{}\n{}\n<{}|#{}>",
            slack_escape(&self.severity_tag()),
            slack_escape(&self.headline()),
            slack_escape(&self.title()),
            slack_escape(&self.facts()),
            slack_escape(&self.link),
            self.alert.id
        )
    }

    /// Telegram text for `parse_mode = HTML`.
    pub fn telegram_html(&self) -> String {
        let link = if self.link.starts_with("http") {
            format!("<a href=\"{}\">#{}</a>", html_escape(&self.link), self.alert.id)
        } else {
            html_escape(&self.link)
        };
        format!(
            "<b>{} {}</b>\n{}\n{}\n{}",
            html_escape(&self.severity_tag()),
            html_escape(&self.headline()),
            html_escape(&self.title()),
            html_escape(&self.facts()),
            link
        )
    }
}

/// What every channel needs from a message, so alerts and reports share one delivery path.
pub trait Outgoing: Send + Sync {
    /// `raised`, `renotify`, `overdue` or `report` (the `X-Duluan-Event` header).
    fn event(&self) -> &str;
    /// The same on every retry, so receivers can drop duplicates.
    fn idempotency_key(&self) -> String;
    /// The webhook's JSON body.
    fn webhook_body(&self, now: DateTime<Utc>) -> serde_json::Result<Vec<u8>>;
    /// E-mail subject.
    fn subject(&self) -> String;
    /// Plain-text e-mail body.
    fn plain_text(&self) -> String;
    /// An HTML e-mail body sent beside the plain text, when the message has one.
    fn html(&self) -> Option<&str> {
        None
    }
    /// A file attached to the e-mail: name, content type and bytes.
    fn attachment(&self) -> Option<(String, &'static str, &[u8])> {
        None
    }
    /// Slack mrkdwn text.
    fn slack_text(&self) -> String;
    /// Telegram text for `parse_mode = HTML`.
    fn telegram_html(&self) -> String;
}

impl Outgoing for Message {
    fn event(&self) -> &str {
        &self.notification.event
    }

    fn idempotency_key(&self) -> String {
        format!("duluan-notification-{}", self.notification.id)
    }

    fn webhook_body(&self, now: DateTime<Utc>) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&self.payload(now))
    }

    fn subject(&self) -> String {
        Message::subject(self)
    }

    fn plain_text(&self) -> String {
        Message::plain_text(self)
    }

    fn slack_text(&self) -> String {
        Message::slack_text(self)
    }

    fn telegram_html(&self) -> String {
        Message::telegram_html(self)
    }
}

/// Collapse whitespace and control characters to single spaces; cut at `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let words: Vec<&str> = s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let cut: String = joined.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

pub(crate) fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use duluan_model::{AlertLabels, AlertState, NotificationState, Priority};

    pub(crate) fn message(title: &str, event: &str) -> Message {
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).single().unwrap_or_default();
        Message {
            notification: Notification {
                id: 7,
                alert_id: 12,
                receiver: "hook".into(),
                event: event.into(),
                state: NotificationState::Pending,
                attempts: 0,
                next_attempt_at: t,
                last_error: None,
                created_at: t,
                sent_at: None,
            },
            alert: Alert {
                id: 12,
                state: AlertState::New,
                rule: "tin-don-vaccine".into(),
                severity: Severity::High,
                story: "s1".into(),
                team: "y-te".into(),
                title: title.into(),
                item_count: 3,
                created_at: t,
                last_seen_at: t,
                claimed_by: None,
                lease_expires_at: None,
                verdict: None,
                reason: None,
                note: None,
                version: 1,
                priority: Priority::Normal,
                labels: AlertLabels { tags: vec!["health".into()], ..AlertLabels::default() },
                silence_id: None,
                first_claimed_at: None,
                decided_at: None,
            },
            link: "https://duluan.example/alerts/12".into(),
        }
    }

    #[test]
    fn crawled_titles_are_escaped_for_each_channel() {
        let m = message("<script>alert(1)</script> & \"x\"\n\tline", "raised");
        assert_eq!(m.title(), "<script>alert(1)</script> & \"x\" line");
        assert!(m.slack_text().contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"x\" line"));
        assert!(m.telegram_html().contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; line"));
        assert!(!m.subject().contains('\n'));
        assert!(m.telegram_html().contains("<a href=\"https://duluan.example/alerts/12\">#12</a>"));
    }

    #[test]
    fn payload_has_content_but_no_people() {
        let m = message("Tin đồn", "overdue");
        let json = serde_json::to_value(m.payload(m.alert.created_at)).unwrap_or_default();
        assert_eq!(json["event"], "overdue");
        assert_eq!(json["alert"]["rule"], "tin-don-vaccine");
        assert_eq!(json["alert"]["url"], "https://duluan.example/alerts/12");
        assert!(json["alert"].get("claimed_by").is_none() && json["alert"].get("note").is_none());
        assert!(m.headline().starts_with("Quá hạn"));
    }

    #[test]
    fn long_titles_are_cut_on_characters() {
        let long = "ắ".repeat(500);
        let cut = one_line(&long, 200);
        assert_eq!(cut.chars().count(), 200);
        assert!(cut.ends_with('…'));
    }
}
