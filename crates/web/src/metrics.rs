//! Prometheus metrics: the process-wide recorder, request latency by route, and `/metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the process-wide recorder (once; later calls return the same handle).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            PrometheusBuilder::new().set_buckets(&buckets).ok().and_then(|b| b.install_recorder().ok())
        })
        .as_ref()
}

/// Time every request, labelled by its route pattern (not the raw path: ids would explode the
/// label set), method and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("duluan_http_request_duration_seconds", "route" => route.clone(), "method" => method.clone(), "status" => status.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("duluan_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}

/// Metrics in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String)),
    security(("bearer" = []), ("session" = [])))]
pub async fn metrics(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    // Gauges are read at scrape time from the source of truth.
    for (alert_state, n) in state.store.alert_counts().await? {
        metrics::gauge!("duluan_alerts", "state" => alert_state.as_str()).set(n as f64);
    }
    metrics::gauge!("duluan_index_documents").set(state.index.num_docs() as f64);
    let counts = state.store.counts().await?;
    metrics::gauge!("duluan_store_items").set(counts.items as f64);
    let body = install().map(|h| h.render()).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response())
}
