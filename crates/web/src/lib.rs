//! The HTTP API and the server-rendered web UI.
//!
//! Takes the store, the search index and the configuration and serves: the JSON API under `/api/`
//! (one error shape, Bearer tokens or session + CSRF, role checks in one place), the Vietnamese /
//! English web UI (alert queue, alert page with highlighted matches and triage actions, search with
//! facets and snippets, item page, source health), and `/healthz` and `/readyz`. Crawled text is
//! always rendered escaped and links only to http(s); every response carries a strict
//! Content-Security-Policy. It never writes outside the store.

pub mod access;
pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
mod feed;
pub mod i18n;
pub mod limits;
pub mod metrics;
mod openapi;
mod ui;
pub mod views;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::routing::get;
use duluan_config::Config;
use duluan_index::SearchIndex;
use duluan_model::Source;
use duluan_store::Store;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The search index.
    pub index: SearchIndex,
    /// Configuration.
    pub config: Arc<Config>,
    /// Configured sources (for the health page).
    pub sources: Arc<Vec<Source>>,
    /// The rules in force (following reloads of the rule files): titles for display, the rules the
    /// review list covers, and whether the last reload failed.
    pub rules: Arc<duluan_rules::review::RulesInForce>,
    /// Failed-login counting.
    pub throttle: Arc<auth::LoginThrottle>,
    /// API rate limits.
    pub limiter: Arc<limits::RateLimiter>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("index", &self.index).finish()
    }
}

impl AppState {
    /// Display title of a rule in a language, falling back to its title in the other language,
    /// then to its id.
    pub fn rule_title(&self, id: &str, lang: &str) -> String {
        match self.rules.catalog().get(id) {
            Some(rule) => rule.title.in_language(lang).unwrap_or(id).to_string(),
            None => match id.strip_prefix(duluan_rules::CLAIM_RULE_PREFIX) {
                // Known claims are not pack rules: name what kind of flag it is.
                Some(claim) if lang == "en" => format!("Known claim: {claim}"),
                Some(claim) => format!("Tin đồn đã biết: {claim}"),
                None => id.to_string(),
            },
        }
    }
}

/// Request ids: a per-process random prefix and a counter, cheap and unique enough for logs.
#[derive(Clone, Debug)]
struct CounterId {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for CounterId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix)).ok().map(RequestId::new)
    }
}

/// Content-Security-Policy: our own stylesheet and shortcut script only; no inline script, so
/// crawled text that slipped through escaping still could not run.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The full application router: the documented API, the OpenAPI document and its reference
/// page, and the web UI.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let ids = CounterId {
        prefix: auth::new_secret("").chars().take(8).collect::<String>().into(),
        next: Arc::new(AtomicU64::new(1)),
    };
    let body_limit = state.config.server.max_body_bytes;
    let timeout = Duration::from_secs(state.config.server.request_timeout_secs.max(1));
    let (api, doc) = openapi::api_router().split_for_parts();
    let doc = Arc::new(openapi::document(doc));
    let roles = access::RouteRoles::from_document(&doc);
    let json_doc = doc.clone();
    let page_doc = doc;
    api.route("/api/openapi.json", get(move || async move { axum::Json(json_doc.as_ref().clone()) }))
        .route("/api/docs", get(move || async move { openapi::docs_page(&page_doc) }))
        .route("/feeds/{team}", get(feed::team_feed))
        .merge(ui::routes())
        .route_layer(axum::middleware::from_fn_with_state((state.clone(), roles), access::guard))
        .fallback(ui::not_found)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::guard))
        .with_state(state)
        .layer(axum::middleware::from_fn(limits::json_errors))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, ids))
}

/// The OpenAPI document the router serves (for tests and tools).
pub fn openapi_document() -> serde_json::Value {
    let (_, doc) = openapi::api_router().split_for_parts();
    openapi::document(doc)
}

/// Serve the application on a bound listener until `shutdown` completes.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
