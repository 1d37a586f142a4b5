//! What a report delivery says. The report's own stored outputs are the content: e-mail carries
//! the self-contained HTML page with the Markdown as its plain-text part, a webhook the run, its
//! download links and the JSON with every number, and chat channels a summary line with the link.

use chrono::{DateTime, Utc};
use duluan_store::{ReportDelivery, ReportRun};
use serde::Serialize;

use super::message::{Outgoing, html_escape, one_line, slack_escape};

/// One delivery of one finished report run, ready to render.
#[derive(Debug, Clone)]
pub struct ReportMessage {
    /// The delivery being attempted.
    pub delivery: ReportDelivery,
    /// The run.
    pub run: ReportRun,
    /// The stored HTML page, when the schedule keeps one.
    pub html: Option<String>,
    /// The stored Markdown, when the schedule keeps it.
    pub markdown: Option<String>,
    /// The stored JSON, when the schedule keeps it.
    pub json: Option<serde_json::Value>,
    /// The printed PDF, when the schedule keeps it (attached to e-mails).
    pub pdf: Option<Vec<u8>>,
    /// The server's public address (`server.public_url`), for links.
    pub base_url: String,
}

/// The JSON body of a report webhook (version 1; fields are only ever added).
#[derive(Debug, Serialize)]
pub struct ReportPayload<'a> {
    /// Payload format version.
    pub version: u32,
    /// Always `report`.
    pub event: &'static str,
    /// The delivery id: the same on every retry.
    pub delivery_id: i64,
    /// When this attempt was made.
    pub sent_at: DateTime<Utc>,
    /// The run.
    pub report: PayloadReport<'a>,
    /// The report's JSON output with every number (absent when the schedule does not keep JSON).
    pub data: Option<&'a serde_json::Value>,
}

/// The run as a webhook sees it.
#[derive(Debug, Serialize)]
pub struct PayloadReport<'a> {
    /// Run id.
    pub id: i64,
    /// Schedule id.
    pub schedule: &'a str,
    /// Period label (`2021-12`, `2021-W51`, …).
    pub label: &'a str,
    /// First day covered.
    pub from: &'a str,
    /// Last day covered.
    pub to: &'a str,
    /// Items covered.
    pub items: Option<i64>,
    /// When it was made.
    pub finished_at: Option<DateTime<Utc>>,
    /// Download links by format, and `page` for the Reports page.
    pub links: std::collections::BTreeMap<String, String>,
}

impl ReportMessage {
    fn links(&self) -> std::collections::BTreeMap<String, String> {
        let base = self.base_url.trim_end_matches('/');
        let mut links: std::collections::BTreeMap<String, String> =
            self.run.formats.iter().map(|f| (f.clone(), format!("{base}/api/reports/{}/{f}", self.run.id))).collect();
        links.insert("page".into(), format!("{base}/reports"));
        links
    }

    /// The link a reader follows: the HTML page when kept, else the Reports page.
    fn link(&self) -> String {
        let mut links = self.links();
        links.remove("html").or_else(|| links.remove("page")).unwrap_or_default()
    }

    fn headline(&self) -> String {
        format!("Báo cáo / Report {} ({})", one_line(&self.run.label, 40), one_line(&self.run.schedule_id, 60))
    }

    fn facts(&self) -> String {
        let items = self.run.items.map_or_else(|| "?".to_string(), |n| n.to_string());
        format!("{} → {} · {items} bài/items", self.run.period_from, self.run.period_to)
    }
}

impl Outgoing for ReportMessage {
    fn event(&self) -> &str {
        "report"
    }

    fn idempotency_key(&self) -> String {
        format!("duluan-report-delivery-{}", self.delivery.id)
    }

    fn webhook_body(&self, now: DateTime<Utc>) -> serde_json::Result<Vec<u8>> {
        let r = &self.run;
        serde_json::to_vec(&ReportPayload {
            version: 1,
            event: "report",
            delivery_id: self.delivery.id,
            sent_at: now,
            report: PayloadReport {
                id: r.id,
                schedule: &r.schedule_id,
                label: &r.label,
                from: &r.period_from,
                to: &r.period_to,
                items: r.items,
                finished_at: r.finished_at,
                links: self.links(),
            },
            data: self.json.as_ref(),
        })
    }

    fn subject(&self) -> String {
        format!("[duluan] {}", self.headline())
    }

    fn plain_text(&self) -> String {
        let body = self.markdown.as_deref().unwrap_or_default();
        format!("{}\n{}\n{}\n\n{body}", self.headline(), self.facts(), self.link())
    }

    fn html(&self) -> Option<&str> {
        self.html.as_deref()
    }

    fn attachment(&self) -> Option<(String, &'static str, &[u8])> {
        let name = format!("duluan-bao-cao-{}.pdf", self.run.label.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
        self.pdf.as_deref().map(|bytes| (name, "application/pdf", bytes))
    }

    fn slack_text(&self) -> String {
        format!(
            "*{}*\n{}\n<{}|{}>",
            slack_escape(&self.headline()),
            slack_escape(&self.facts()),
            slack_escape(&self.link()),
            slack_escape(&self.run.label)
        )
    }

    fn telegram_html(&self) -> String {
        let link = self.link();
        let link = if link.starts_with("http") {
            format!("<a href=\"{}\">{}</a>", html_escape(&link), html_escape(&self.run.label))
        } else {
            html_escape(&link)
        };
        format!("<b>{}</b>\n{}\n{link}", html_escape(&self.headline()), html_escape(&self.facts()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use duluan_model::NotificationState;

    fn message() -> ReportMessage {
        let at = Utc.with_ymd_and_hms(2022, 1, 25, 0, 0, 0).single().unwrap_or_default();
        ReportMessage {
            delivery: ReportDelivery {
                id: 9,
                run_id: 4,
                receiver: "hook".into(),
                state: NotificationState::Pending,
                attempts: 0,
                next_attempt_at: at,
                last_error: None,
                created_at: at,
                sent_at: None,
            },
            run: ReportRun {
                id: 4,
                schedule_id: "monthly<b>".into(),
                due_at: at,
                label: "2021-12".into(),
                period_from: "2021-12-01".into(),
                period_to: "2021-12-31".into(),
                status: "done".into(),
                error: None,
                items: Some(1234),
                started_at: at,
                finished_at: Some(at),
                formats: vec!["html".into(), "json".into()],
            },
            html: Some("<html>…</html>".into()),
            markdown: Some("# Báo cáo".into()),
            json: Some(serde_json::json!({"volume": {"total": 1234}})),
            pdf: Some(b"%PDF-1.4".to_vec()),
            base_url: "https://duluan.example/".into(),
        }
    }

    #[test]
    fn the_webhook_carries_links_and_every_number() {
        let m = message();
        let body: serde_json::Value =
            serde_json::from_slice(&m.webhook_body(Utc::now()).unwrap_or_default()).unwrap_or_default();
        assert_eq!(body["event"], "report");
        assert_eq!(body["delivery_id"], 9);
        assert_eq!(body["report"]["links"]["html"], "https://duluan.example/api/reports/4/html");
        assert_eq!(body["report"]["links"]["page"], "https://duluan.example/reports");
        assert_eq!(body["data"]["volume"]["total"], 1234);
        assert_eq!(m.idempotency_key(), "duluan-report-delivery-9");
    }

    #[test]
    fn texts_are_escaped_for_their_channel() {
        let m = message();
        assert!(m.telegram_html().contains("monthly&lt;b&gt;"));
        assert!(m.slack_text().contains("monthly&lt;b&gt;"));
        assert!(m.plain_text().contains("1234 bài/items") && m.plain_text().contains("# Báo cáo"));
        assert!(m.subject().starts_with("[duluan] Báo cáo / Report 2021-12"));
        assert_eq!(m.html(), Some("<html>…</html>"));
        assert_eq!(m.attachment().map(|(name, _, _)| name).as_deref(), Some("duluan-bao-cao-2021-12.pdf"));
    }
}
