//! The notifier: delivers the notifications the store queued with each alert (the outbox is
//! written in the same transaction that raises the alert, so a crash never loses one) and the
//! reports queued with each finished scheduled run, retries with exponential backoff and jitter,
//! records give-ups, and queues `overdue` notifications for alerts nobody claimed within their
//! severity's target.

mod email;
mod http;
pub mod message;
pub mod report;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use duluan_config::{AlertsConfig, Config, Receiver, ReceiverKind};
use duluan_model::{Notification, Silence};
use duluan_store::{DeliveryOutcome, ReportDelivery, Store};
use futures::StreamExt;
use rand::Rng;
use tokio::sync::watch;
use tracing::Instrument;

pub use http::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
pub use message::{Message, Outgoing};
pub use report::ReportMessage;

/// Errors of the notifier itself (delivery failures are recorded, not returned).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] duluan_store::Error),
}

/// Why one delivery attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// Worth trying again (network, 5xx, 429), optionally not before `after`.
    Retry { error: String, after: Option<Duration> },
    /// Trying again will not help (4xx, bad address, refused by the SSRF guard).
    Permanent(String),
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    /// Alerts that just became overdue.
    pub overdue: usize,
    /// Delivered.
    pub sent: usize,
    /// Failed, to be retried.
    pub retried: usize,
    /// Failed for good.
    pub failed: usize,
    /// Not sent on purpose.
    pub skipped: usize,
}

/// Most notifications leased per pass, and delivered at once.
const BATCH: i64 = 64;
const CONCURRENCY: usize = 8;

/// Delivers queued notifications to the configured receivers.
#[derive(Debug, Clone)]
pub struct Notifier {
    store: Arc<dyn Store>,
    config: Arc<AlertsConfig>,
    public_url: String,
    clients: http::Clients,
}

impl Notifier {
    /// A notifier for the store and configuration; the crawler's User-Agent names it.
    pub fn new(store: Arc<dyn Store>, config: &Config) -> Result<Notifier, Error> {
        let timeout = Duration::from_secs(config.alerts.notify.timeout_secs.max(1));
        let user_agent = format!("{} notifier", config.crawl.user_agent);
        Ok(Notifier {
            store,
            config: Arc::new(config.alerts.clone()),
            public_url: config.server.public_url.trim_end_matches('/').to_string(),
            clients: http::Clients::new(&user_agent, timeout)?,
        })
    }

    /// Run passes every `poll_secs` until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let every = Duration::from_secs(self.config.notify.poll_secs.max(1));
        loop {
            match self.pass(Utc::now()).await {
                Ok(p) if p != Pass::default() => tracing::info!(?p, "notifier pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notifier pass failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }

    /// One pass: queue overdue notifications, then deliver what is due.
    pub async fn pass(&self, now: DateTime<Utc>) -> Result<Pass, Error> {
        let overdue = self.store.notify_overdue(now, &self.config.sla.targets()).await?;
        let lease = chrono::Duration::seconds(self.config.notify.timeout_secs as i64 * 2 + 30);
        let due = self.store.lease_notifications(now, now + lease, BATCH).await?;
        let silences = if due.is_empty() { Vec::new() } else { self.store.silences(false, now).await? };
        let outcomes: Vec<Result<DeliveryOutcome, Error>> = futures::stream::iter(due)
            .map(|n| {
                let span =
                    tracing::info_span!("notify", notification = n.id, alert = n.alert_id, receiver = %n.receiver);
                self.handle(n, now, &silences).instrument(span)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let reports = self.store.lease_report_deliveries(now, now + lease, BATCH).await?;
        let report_outcomes: Vec<Result<DeliveryOutcome, Error>> = futures::stream::iter(reports)
            .map(|d| {
                let span =
                    tracing::info_span!("deliver_report", delivery = d.id, run = d.run_id, receiver = %d.receiver);
                self.handle_report(d, now).instrument(span)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut pass = Pass { overdue: overdue.len(), ..Pass::default() };
        for outcome in outcomes.into_iter().chain(report_outcomes) {
            match outcome? {
                DeliveryOutcome::Sent => pass.sent += 1,
                DeliveryOutcome::Retry { .. } => pass.retried += 1,
                DeliveryOutcome::GaveUp { .. } => pass.failed += 1,
                DeliveryOutcome::Skipped { .. } => pass.skipped += 1,
            }
        }
        Ok(pass)
    }

    async fn handle(
        &self,
        n: Notification,
        now: DateTime<Utc>,
        silences: &[Silence],
    ) -> Result<DeliveryOutcome, Error> {
        let outcome = match self.prepare(&n, silences).await? {
            Err(outcome) => outcome,
            Ok((receiver, message)) => match self.send(receiver, &message, now).await {
                Ok(()) => DeliveryOutcome::Sent,
                Err(failure) => self.after_failure(n.attempts, failure, now),
            },
        };
        let label = log_outcome(&outcome, n.attempts);
        metrics::counter!("duluan_notifications_total", "receiver" => n.receiver.clone(), "outcome" => label)
            .increment(1);
        self.store.finish_notification(n.id, &outcome, Utc::now()).await?;
        Ok(outcome)
    }

    async fn handle_report(&self, d: ReportDelivery, now: DateTime<Utc>) -> Result<DeliveryOutcome, Error> {
        let outcome = match self.prepare_report(&d).await? {
            Err(outcome) => outcome,
            Ok((receiver, message)) => match self.send(receiver, &message, now).await {
                Ok(()) => DeliveryOutcome::Sent,
                Err(failure) => self.after_failure(d.attempts, failure, now),
            },
        };
        let label = log_outcome(&outcome, d.attempts);
        metrics::counter!("duluan_report_deliveries_total", "receiver" => d.receiver.clone(), "outcome" => label)
            .increment(1);
        self.store.finish_report_delivery(d.id, &outcome, Utc::now()).await?;
        Ok(outcome)
    }

    /// The receiver and the report message, or the outcome that makes sending pointless.
    async fn prepare_report(
        &self,
        d: &ReportDelivery,
    ) -> Result<Result<(&Receiver, ReportMessage), DeliveryOutcome>, Error> {
        let Some(receiver) = self.config.receiver(&d.receiver) else {
            let error = format!("receiver `{}` is no longer configured", d.receiver);
            return Ok(Err(DeliveryOutcome::GaveUp { error }));
        };
        let run = match self.store.report_run(d.run_id).await? {
            Some(run) if run.status == "done" => run,
            _ => return Ok(Err(DeliveryOutcome::GaveUp { error: format!("report run {} is not done", d.run_id) })),
        };
        let html = self.store.report_file(run.id, "html").await?;
        let markdown = self.store.report_file(run.id, "md").await?;
        let json = self.store.report_file(run.id, "json").await?.and_then(|j| serde_json::from_str(&j).ok());
        let pdf = self
            .store
            .report_file(run.id, "pdf")
            .await?
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
        let base_url = self.public_url.clone();
        Ok(Ok((receiver, ReportMessage { delivery: d.clone(), run, html, markdown, json, pdf, base_url })))
    }

    /// The receiver and message, or the outcome that makes sending pointless.
    async fn prepare(
        &self,
        n: &Notification,
        silences: &[Silence],
    ) -> Result<Result<(&Receiver, Message), DeliveryOutcome>, Error> {
        let Some(receiver) = self.config.receiver(&n.receiver) else {
            let error = format!("receiver `{}` is no longer configured", n.receiver);
            return Ok(Err(DeliveryOutcome::GaveUp { error }));
        };
        let Some(alert) = self.store.alert(n.alert_id).await? else {
            return Ok(Err(DeliveryOutcome::GaveUp { error: format!("alert {} no longer exists", n.alert_id) }));
        };
        if let Some(s) = alert.silence_id.and_then(|id| silences.iter().find(|s| s.id == id && s.active)) {
            return Ok(Err(DeliveryOutcome::Skipped {
                reason: format!("silenced by silence {} before delivery", s.id),
            }));
        }
        if n.event != "raised" && !alert.state.is_open() {
            return Ok(Err(DeliveryOutcome::Skipped { reason: format!("alert already {}", alert.state) }));
        }
        let link = format!("{}/alerts/{}", self.public_url, alert.id);
        Ok(Ok((receiver, Message { notification: n.clone(), alert, link })))
    }

    async fn send(&self, receiver: &Receiver, message: &dyn Outgoing, now: DateTime<Utc>) -> Result<(), Failure> {
        let timeout = Duration::from_secs(self.config.notify.timeout_secs.max(1));
        match receiver.kind {
            ReceiverKind::Email => email::deliver(receiver, message, timeout).await,
            _ => http::deliver(&self.clients, receiver, message, now).await,
        }
    }

    fn after_failure(&self, attempts_before: i64, failure: Failure, now: DateTime<Utc>) -> DeliveryOutcome {
        let attempts = attempts_before + 1;
        match failure {
            Failure::Permanent(error) => DeliveryOutcome::GaveUp { error },
            Failure::Retry { error, .. } if attempts >= self.config.notify.max_attempts => {
                DeliveryOutcome::GaveUp { error: format!("{error} (gave up after {attempts} attempts)") }
            }
            Failure::Retry { error, after } => {
                let wait = after.unwrap_or_else(|| backoff(attempts, &self.config)).min(max_wait(&self.config));
                let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(60));
                DeliveryOutcome::Retry { at, error }
            }
        }
    }
}

/// Log a delivery outcome; its metric label.
fn log_outcome(outcome: &DeliveryOutcome, attempts_before: i64) -> &'static str {
    match outcome {
        DeliveryOutcome::Sent => "sent",
        DeliveryOutcome::Retry { error, .. } => {
            tracing::warn!(%error, attempt = attempts_before + 1, "delivery failed, will retry");
            "retry"
        }
        DeliveryOutcome::GaveUp { error } => {
            tracing::error!(%error, attempts = attempts_before + 1, "delivery given up");
            "failed"
        }
        DeliveryOutcome::Skipped { .. } => "skipped",
    }
}

fn max_wait(config: &AlertsConfig) -> Duration {
    Duration::from_secs(config.notify.retry_max_secs.max(1))
}

/// `retry_base · 2^(attempts-1)`, capped, with ±20% jitter so receivers that failed together do
/// not retry together.
fn backoff(attempts: i64, config: &AlertsConfig) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let base = config.notify.retry_base_secs.max(1).saturating_mul(2u64.saturating_pow(exp));
    let capped = base.min(config.notify.retry_max_secs.max(1)) as f64;
    Duration::from_secs_f64(capped * rand::rng().random_range(0.8..1.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let mut c = Config::defaults().alerts;
        c.notify.retry_base_secs = 10;
        c.notify.retry_max_secs = 100;
        let secs = |n| backoff(n, &c).as_secs_f64();
        assert!((8.0..=12.0).contains(&secs(1)));
        assert!((16.0..=24.0).contains(&secs(2)));
        assert!((32.0..=48.0).contains(&secs(3)));
        assert!(secs(10) <= 120.0);
        assert!(secs(1_000) <= 120.0, "no overflow");
    }
}
