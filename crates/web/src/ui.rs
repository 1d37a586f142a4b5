//! The web UI: server-rendered pages, Vietnamese first. Forms post with the session's CSRF token.

use std::net::SocketAddr;
use std::str::FromStr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Utc};
use duluan_model::{AlertState, Field, NotificationState, ReasonCode, Role, User, Verdict};
use serde::Deserialize;

use crate::AppState;
use crate::api::{self, Action, AlertParams, SearchParams};
use crate::auth::{self, Caller, SESSION_COOKIE, Via};
use crate::error::ApiError;
use crate::i18n::{Tr, label, tr};
use crate::views::{Segment, local_time, paragraphs, safe_href, segments, spans_of};

mod manage;
mod rules;

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(|| async { Redirect::to("/alerts") }))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/alerts", get(alerts_page))
        .route("/alerts/{id}", get(alert_page))
        .route("/alerts/bulk", post(manage::bulk_action))
        .route("/alerts/{id}/{action}", post(alert_action))
        .route("/silences", get(manage::silences_page).post(manage::create_silence))
        .route("/silences/{id}/expire", post(manage::expire_silence))
        .route("/receivers", get(manage::receivers_page))
        .route("/search", get(search_page))
        .route("/search/save", post(manage::save_search))
        .route("/searches/{id}/rule", get(manage::saved_search_rule))
        .route("/items/{id}", get(item_page))
        .route("/sources", get(sources_page))
        .route("/rules", get(rules::rules_page))
        .route("/reports", get(reports_page))
        .route("/dashboard", get(dashboard_page))
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/app.css"),
    )
        .into_response()
}

/// Keyboard shortcuts for the queue and alert pages (served from our origin: the CSP allows
/// scripts from 'self' only, never inline).
async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/app.js"),
    )
        .into_response()
}

/// What every page's layout needs.
pub(crate) struct PageBase {
    tr: &'static Tr,
    user: Option<User>,
    csrf: String,
    nav: &'static str,
}

impl PageBase {
    /// Interface text added with triage management.
    fn t(&self, key: &str) -> &'static str {
        crate::i18n::text(self.tr, key)
    }

    /// Whether the visitor is a lead or admin.
    fn is_lead(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.at_least(Role::Lead))
    }
}

/// The language of a request: `?lang=` wins, then the `lang` cookie, then Vietnamese.
fn lang_of(parts: &Parts) -> &'static str {
    let query_lang = parts.uri.query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")));
    match query_lang.or_else(|| auth::cookie(parts, "lang")) {
        Some(l) if l.eq_ignore_ascii_case("en") => "en",
        _ => "vi",
    }
}

/// A logged-in UI visitor; anyone else is sent to the login page.
pub(crate) struct Visitor {
    caller: Caller,
    tr: &'static Tr,
}

impl Visitor {
    fn page(&self, nav: &'static str) -> PageBase {
        PageBase { tr: self.tr, user: Some(self.caller.user.clone()), csrf: self.caller.csrf().to_string(), nav }
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let tr = tr(lang_of(parts));
        match auth::identify(parts, state).await {
            Ok(Some(caller)) => Ok(Visitor { caller, tr }),
            Ok(None) => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                Err(Redirect::to(&format!("/login?next={}", encode(next))).into_response())
            }
            Err(e) => Err(error_page(tr, None, e)),
        }
    }
}

/// Percent-encode for a query parameter.
fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template error: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: PageBase,
    message: String,
}

fn error_page(tr: &'static Tr, user: Option<&Caller>, e: ApiError) -> Response {
    let page = PageBase {
        tr,
        user: user.map(|c| c.user.clone()),
        csrf: user.map(|c| c.csrf().to_string()).unwrap_or_default(),
        nav: "",
    };
    let status = e.status;
    let mut response = (status, render(ErrorPage { page, message: e.message.clone() })).into_response();
    if status == StatusCode::FORBIDDEN {
        response.extensions_mut().insert(crate::error::Refusal(e.message));
    }
    response
}

pub(crate) async fn not_found(parts: Parts) -> Response {
    if parts.uri.path().starts_with("/api/") {
        return ApiError::not_found(format!("no route for {}", parts.uri.path())).into_response();
    }
    error_page(tr(lang_of(&parts)), None, ApiError::not_found("Không tìm thấy trang / Page not found"))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: PageBase,
    message: Option<String>,
    next: String,
}

/// Only local paths are followed after login (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/alerts".to_string(),
    }
}

async fn login_page(parts: Parts) -> Response {
    let tr = tr(lang_of(&parts));
    let next = parts.uri.query().and_then(serde_urlencoded_next);
    render(LoginPage {
        page: PageBase { tr, user: None, csrf: String::new(), nav: "" },
        message: None,
        next: safe_next(next.as_deref()),
    })
}

fn serde_urlencoded_next(q: &str) -> Option<String> {
    url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "next").map(|(_, v)| v.into_owned())
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    parts: Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let tr = tr(lang_of(&parts));
    let ip = Some(addr.ip());
    let again = |message: &str, status: StatusCode| {
        let page = LoginPage {
            page: PageBase { tr, user: None, csrf: String::new(), nav: "" },
            message: Some(message.to_string()),
            next: safe_next(form.next.as_deref()),
        };
        (status, render(page)).into_response()
    };
    if let Some(wait) = state.throttle.blocked(&form.username, ip) {
        let mut r = again(tr.too_many_attempts, StatusCode::TOO_MANY_REQUESTS);
        if let Ok(v) = header::HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let user = match state.store.user_by_name(&form.username).await {
        Ok(u) => u,
        Err(e) => return error_page(tr, None, e.into()),
    };
    let password = form.password.clone();
    let verified = match user {
        // Hashing is deliberately slow: keep it off the async workers.
        Some((user, hash)) => {
            tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash).then_some(user))
                .await
                .ok()
                .flatten()
        }
        None => None,
    };
    let Some(user) = verified else {
        state.throttle.failed(&form.username, ip);
        tracing::warn!(user = %form.username, ip = %addr.ip(), "login failed");
        return again(tr.login_failed, StatusCode::UNAUTHORIZED);
    };
    state.throttle.succeeded(&form.username);
    let session = auth::new_secret("s_");
    let csrf = auth::new_secret("c_");
    let now = Utc::now();
    let expires = now + chrono::Duration::hours(state.config.server.session_hours.max(1));
    if let Err(e) = state.store.create_session(&auth::secret_hash(&session), user.id, &csrf, now, expires).await {
        return error_page(tr, None, e.into());
    }
    let secure = if state.config.server.secure_cookies { "; Secure" } else { "" };
    let max_age = state.config.server.session_hours.max(1) * 3600;
    let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    let mut response = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(State(state): State<AppState>, visitor: Visitor, Form(form): Form<CsrfForm>) -> Response {
    if let Err(e) = visitor.caller.check_csrf(form.csrf.as_deref()) {
        return error_page(visitor.tr, Some(&visitor.caller), e);
    }
    if let Via::Session { id_hash, .. } = &visitor.caller.via
        && let Err(e) = state.store.delete_session(id_hash).await
    {
        return error_page(visitor.tr, Some(&visitor.caller), e.into());
    }
    let mut response = Redirect::to("/login").into_response();
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(v) = header::HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let code = if code == "en" { "en" } else { "vi" };
    // Go back to the page the switch was clicked on, if it is ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| format!("{}{}", u.path(), u.query().map(|q| format!("?{q}")).unwrap_or_default()))
        .map(|p| safe_next(Some(&p)))
        .unwrap_or_else(|| "/alerts".into());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&format!("lang={code}; Path=/; SameSite=Lax; Max-Age=31536000")) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

struct AlertRow {
    id: i64,
    severity: String,
    severity_label: &'static str,
    title: String,
    rule_title: String,
    item_count: i64,
    team: String,
    state: String,
    state_label: &'static str,
    claimed_by: String,
    created: String,
    priority: String,
    priority_label: &'static str,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    page: PageBase,
    tabs: Vec<(&'static str, &'static str)>,
    view: String,
    team: Option<String>,
    rows: Vec<AlertRow>,
    next: Option<String>,
    colleagues: Vec<String>,
}

#[derive(Deserialize)]
struct QueueParams {
    view: Option<String>,
    cursor: Option<String>,
}

async fn alerts_page(State(state): State<AppState>, visitor: Visitor, Query(q): Query<QueueParams>) -> Response {
    let tr = visitor.tr;
    let view = q.view.unwrap_or_else(|| "new".into());
    let (states, mine) = match view.as_str() {
        "claimed" => ("claimed", false),
        "mine" => ("claimed", true),
        "decided" => ("confirmed,dismissed,escalated,closed", false),
        "all" | "muted" => ("", false),
        _ => ("new", false),
    };
    let muted = if view == "muted" { api::MutedParam::Only } else { api::MutedParam::Hide };
    let params = AlertParams {
        state: (!states.is_empty()).then(|| states.to_string()),
        mine: Some(mine),
        muted: Some(muted),
        cursor: q.cursor,
        limit: Some(50),
        ..AlertParams::default()
    };
    let filter = match api::alert_filter(&state, &visitor.caller, &params) {
        Ok(f) => f,
        Err(e) => return error_page(tr, Some(&visitor.caller), e),
    };
    let fetched =
        match state.store.alerts(&duluan_store::AlertFilter { limit: filter.limit + 1, ..filter.clone() }).await {
            Ok(a) => a,
            Err(e) => return error_page(tr, Some(&visitor.caller), e.into()),
        };
    let (alerts, next) = api::next_page(fetched, filter.limit, |a| a.id);
    let now = Utc::now();
    let sla = &state.config.alerts.sla;
    let rows = alerts
        .into_iter()
        .map(|a| AlertRow {
            overdue: a.state == AlertState::New
                && sla.minutes(a.severity) > 0
                && now - a.created_at > chrono::Duration::minutes(sla.minutes(a.severity)),
            priority: a.priority.to_string(),
            priority_label: label(tr, a.priority.as_str()),
            id: a.id,
            severity: a.severity.to_string(),
            severity_label: label(tr, a.severity.as_str()),
            rule_title: state.rule_title(&a.rule, tr.code),
            title: a.title,
            item_count: a.item_count,
            team: a.team,
            state: a.state.to_string(),
            state_label: label(tr, a.state.as_str()),
            claimed_by: a.claimed_by.unwrap_or_default(),
            created: local_time(a.created_at),
        })
        .collect();
    let tabs = vec![
        ("new", tr.state_new),
        ("claimed", tr.state_claimed),
        ("mine", tr.state_mine),
        ("decided", tr.state_decided),
        ("muted", crate::i18n::text(tr, "state_muted")),
        ("all", tr.state_all),
    ];
    let colleagues = manage::colleagues(&state, &visitor.caller, filter.team.as_deref()).await;
    render(AlertsPage { page: visitor.page("alerts"), tabs, view, team: filter.team, rows, next, colleagues })
}

struct ItemBlock {
    id: String,
    title: Vec<Segment>,
    source: String,
    published: String,
    lang: String,
    sentiment: &'static str,
    href: Option<String>,
    terms: Vec<String>,
    paragraphs: Vec<Vec<Segment>>,
    /// The item as stored now carries the alert's rule (an edited item may no longer).
    still_matches: bool,
}

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage {
    page: PageBase,
    alert: duluan_model::Alert,
    severity_label: &'static str,
    state_label: &'static str,
    reason_label: Option<&'static str>,
    rule_title: String,
    lease_until: Option<String>,
    can_claim: bool,
    holds_lease: bool,
    can_reopen: bool,
    verdicts: Vec<(&'static str, &'static str)>,
    reasons: Vec<(&'static str, &'static str)>,
    items: Vec<ItemBlock>,
    audit: Vec<(String, String, &'static str, String)>,
    priority_label: &'static str,
    priorities: Vec<(&'static str, &'static str)>,
    can_close: bool,
    colleagues: Vec<String>,
    story_items: Vec<(String, String, String, String)>,
}

async fn alert_page(State(state): State<AppState>, visitor: Visitor, Path(id): Path<i64>) -> Response {
    let tr = visitor.tr;
    let detail = match api::alert_detail(&state, &visitor.caller, id).await {
        Ok(d) => d,
        Err(e) => return error_page(tr, Some(&visitor.caller), e),
    };
    let alert = detail.alert;
    let me = &visitor.caller.user;
    let now = Utc::now();
    let lease_live = alert.lease_expires_at.is_some_and(|t| t > now);
    let holds_lease =
        alert.state == AlertState::Claimed && alert.claimed_by.as_deref() == Some(me.name.as_str()) && lease_live;
    let can_claim = me.role.at_least(Role::Collaborator)
        && (alert.state == AlertState::New || (alert.state == AlertState::Claimed && !lease_live));
    let can_reopen = me.role.at_least(Role::Lead) && !alert.state.is_open();
    let items = detail
        .items
        .iter()
        .map(|item| {
            let rule_flags: Vec<&duluan_model::Flag> = item.flags.iter().filter(|f| f.rule == alert.rule).collect();
            let text_spans: Vec<(usize, usize)> = rule_flags
                .iter()
                .flat_map(|f| &f.spans)
                .filter(|s| s.field == Field::Text)
                .map(|s| (s.start, s.end))
                .collect();
            let title_spans: Vec<(usize, usize)> = rule_flags
                .iter()
                .flat_map(|f| &f.spans)
                .filter(|s| s.field == Field::Title)
                .map(|s| (s.start, s.end))
                .collect();
            let mut terms: Vec<String> = rule_flags.iter().flat_map(|f| &f.spans).map(|s| s.term.to_string()).collect();
            terms.sort();
            terms.dedup();
            ItemBlock {
                id: item.id.clone(),
                title: segments(&item.title, &title_spans),
                source: item.source_id.clone(),
                published: local_time(item.effective_time()),
                lang: item.lang.clone(),
                sentiment: label(tr, item.sentiment.label.as_str()),
                href: safe_href(&item.url),
                terms,
                paragraphs: paragraphs(&item.text, &text_spans),
                still_matches: !rule_flags.is_empty(),
            }
        })
        .collect();
    let audit = detail
        .audit
        .iter()
        .map(|e| {
            let action = label(tr, &e.action);
            let change = match (&e.before, &e.after) {
                (Some(b), Some(a)) if b != a => format!("{b} → {a}"),
                _ => String::new(),
            };
            let detail = [change, e.detail.clone().unwrap_or_default()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ");
            (local_time(e.at), e.who.clone(), if action.is_empty() { "·" } else { action }, detail)
        })
        .collect();
    let verdicts = Verdict::ALL.iter().map(|v| (v.as_str(), label(tr, v.as_str()))).collect();
    let reasons = ReasonCode::ALL.iter().map(|r| (r.as_str(), label(tr, r.as_str()))).collect();
    let priorities = duluan_model::Priority::ALL.iter().map(|p| (p.as_str(), label(tr, p.as_str()))).collect();
    let in_alert: std::collections::HashSet<&str> = detail.items.iter().map(|i| i.id.as_str()).collect();
    let story_items = state
        .store
        .story_items(&alert.story, 50)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !in_alert.contains(i.id.as_str()))
        .map(|i| (i.id.clone(), i.title.clone(), i.source_id.clone(), local_time(i.effective_time())))
        .collect();
    let colleagues = manage::colleagues(&state, &visitor.caller, Some(&alert.team)).await;
    render(AlertPage {
        priority_label: label(tr, alert.priority.as_str()),
        priorities,
        can_close: me.role.at_least(Role::Lead)
            && alert.decided_at.is_some()
            && !alert.state.is_open()
            && alert.state != AlertState::Closed,
        colleagues,
        story_items,
        page: visitor.page("alerts"),
        severity_label: label(tr, alert.severity.as_str()),
        state_label: label(tr, alert.state.as_str()),
        reason_label: alert.reason.map(|r| label(tr, r.as_str())),
        rule_title: state.rule_title(&alert.rule, tr.code),
        lease_until: alert.lease_expires_at.filter(|_| alert.state == AlertState::Claimed).map(local_time),
        can_claim,
        holds_lease,
        can_reopen,
        verdicts,
        reasons,
        items,
        audit,
        alert,
    })
}

#[derive(Deserialize)]
struct ActionForm {
    csrf: Option<String>,
    verdict: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    to: Option<String>,
    priority: Option<String>,
}

async fn alert_action(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let tr = visitor.tr;
    let parsed = match action.as_str() {
        "claim" => Ok(Action::Claim),
        "release" => Ok(Action::Release),
        "reopen" => Ok(Action::Reopen),
        "close" => Ok(Action::Close),
        "assign" => form
            .to
            .clone()
            .filter(|t| !t.is_empty())
            .map(Action::Assign)
            .ok_or_else(|| ApiError::bad_request("choose a colleague")),
        "priority" => form
            .priority
            .as_deref()
            .and_then(|p| duluan_model::Priority::from_str(p).ok())
            .map(Action::Priority)
            .ok_or_else(|| ApiError::bad_request("choose a priority")),
        "handoff" => form
            .to
            .clone()
            .filter(|t| !t.is_empty())
            .map(Action::Handoff)
            .ok_or_else(|| ApiError::bad_request("choose a colleague")),
        "verdict" => {
            let verdict = form.verdict.as_deref().map(Verdict::from_str).transpose();
            let reason = form.reason.as_deref().map(ReasonCode::from_str).transpose();
            match (verdict, reason) {
                (Ok(Some(v)), Ok(Some(r))) => {
                    Ok(Action::Verdict(v, r, form.note.clone().filter(|n| !n.trim().is_empty())))
                }
                _ => Err(ApiError::bad_request("choose a verdict and a reason")),
            }
        }
        _ => Err(ApiError::not_found("unknown action")),
    };
    let result = match parsed {
        Ok(a) => api::triage(&state, &visitor.caller, id, a, form.csrf.as_deref()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/alerts/{id}")).into_response(),
        Err(e) => error_page(tr, Some(&visitor.caller), e),
    }
}

struct HitView {
    id: String,
    title: String,
    source: String,
    published: String,
    lang: String,
    sentiment: &'static str,
    rules: Vec<String>,
    snippet: Vec<duluan_index::Fragment>,
    similar: u64,
}

struct FacetValue {
    label: String,
    count: u64,
    href: String,
}

struct FacetView {
    title: &'static str,
    values: Vec<FacetValue>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: PageBase,
    q: String,
    q_url: String,
    sort: String,
    hidden: Vec<(&'static str, String)>,
    error: Option<String>,
    total: usize,
    hits: Vec<HitView>,
    facets: Vec<FacetView>,
    collapse: bool,
    interval: String,
    compare: Vec<String>,
    /// Coverage charts (inline SVG built with every text escaped).
    chart_items: String,
    chart_share: String,
    exports: Vec<(&'static str, String)>,
    /// Saved searches the visitor can see: name, link, rule-draft link, shared with everyone.
    saved: Vec<(String, String, String, bool)>,
    more: Option<String>,
}

#[derive(Deserialize, Default)]
struct SearchForm {
    #[serde(default)]
    q: String,
    sort: Option<String>,
    source: Option<String>,
    lang: Option<String>,
    rule: Option<String>,
    sentiment: Option<String>,
    tag: Option<String>,
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<usize>,
    collapse: Option<String>,
    interval: Option<String>,
    q2: Option<String>,
    q3: Option<String>,
    q4: Option<String>,
    q5: Option<String>,
}

async fn search_page(State(state): State<AppState>, visitor: Visitor, Query(form): Query<SearchForm>) -> Response {
    let tr = visitor.tr;
    let sort = if form.sort.as_deref() == Some("date") { "date" } else { "relevance" };
    let filters: Vec<(&'static str, String)> = [
        ("source", &form.source),
        ("lang", &form.lang),
        ("rule", &form.rule),
        ("sentiment", &form.sentiment),
        ("tag", &form.tag),
        ("region", &form.region),
        ("from", &form.from),
        ("to", &form.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect();
    let compare: Vec<String> = [&form.q2, &form.q3, &form.q4, &form.q5]
        .into_iter()
        .map(|q| q.clone().unwrap_or_default().chars().take(api::MAX_QUERY_BYTES).collect())
        .collect();
    let interval = match form.interval.as_deref() {
        Some("week") => duluan_index::Interval::Week,
        Some("month") => duluan_index::Interval::Month,
        _ => duluan_index::Interval::Day,
    };
    let params = SearchParams {
        q: Some(form.q.clone()),
        source: form.source.clone(),
        lang: form.lang.clone(),
        rule: form.rule.clone(),
        tag: form.tag.clone(),
        region: form.region.clone(),
        from: form.from.clone().filter(|v| !v.is_empty()),
        to: form.to.clone().filter(|v| !v.is_empty()),
        sentiment: form.sentiment.as_deref().and_then(|s| duluan_model::Label::from_str(s).ok()),
        sort: Some(if sort == "date" { duluan_index::Sort::Date } else { duluan_index::Sort::Relevance }),
        limit: Some(20),
        offset: form.offset.map(|o| o.min(10_000) as i64),
        cursor: None,
        collapse: Some(form.collapse.is_some()),
        facets: Some(true),
    };
    let base_query = |extra: &[(&str, String)]| {
        let mut pairs: Vec<(String, String)> = vec![("q".into(), form.q.clone()), ("sort".into(), sort.into())];
        pairs.extend(filters.iter().map(|(k, v)| (k.to_string(), v.clone())));
        if form.collapse.is_some() {
            pairs.push(("collapse".into(), "1".into()));
        }
        for (k, v) in extra {
            pairs.retain(|(pk, _)| pk != k);
            pairs.push((k.to_string(), v.clone()));
        }
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(&k, &v);
        }
        format!("/search?{}", s.finish())
    };
    let (result, error) = match api::run_search(&state, &params).await {
        Ok(r) => (Some(r), None),
        Err(e) if e.status == StatusCode::BAD_REQUEST => (None, Some(e.message)),
        Err(e) => return error_page(tr, Some(&visitor.caller), e),
    };
    let mut page = SearchPage {
        page: visitor.page("search"),
        q_url: encode(&form.q),
        q: form.q.clone(),
        sort: sort.to_string(),
        hidden: filters.clone(),
        error,
        total: 0,
        hits: Vec::new(),
        facets: Vec::new(),
        collapse: form.collapse.is_some(),
        interval: serde_json::to_value(interval).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        compare: compare.clone(),
        chart_items: String::new(),
        chart_share: String::new(),
        exports: ["csv", "json", "ndjson"]
            .into_iter()
            .map(|format| (format, export_href(&form.q, &filters, format)))
            .collect(),
        saved: api::visible_searches(&state, &visitor.caller)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.name.clone(), saved_search_href(&s), format!("/searches/{}/rule", s.id), s.team.is_none()))
            .collect(),
        more: None,
    };
    if let Some(r) = result {
        page.total = r.total as usize;
        let offset = form.offset.unwrap_or(0);
        if ((offset + r.hits.len()) as u64) < r.total {
            page.more = Some(base_query(&[("offset", (offset + r.hits.len()).to_string())]));
        }
        page.hits = r
            .hits
            .into_iter()
            .map(|h| HitView {
                id: h.id,
                title: h.title,
                source: h.source,
                published: h.published_at.map(local_time).unwrap_or_default(),
                lang: h.lang,
                sentiment: label(tr, &h.sentiment),
                rules: h.rules.iter().map(|r| state.rule_title(r, tr.code)).collect(),
                snippet: h.snippet_parts,
                similar: h.similar,
            })
            .collect();
        for duluan_facet in r.facets {
            let (name, values) = (duluan_facet.name, duluan_facet.values);
            let title = match name.as_str() {
                "source" => tr.facet_source,
                "lang" => tr.facet_lang,
                "sentiment" => tr.facet_sentiment,
                "rule" => tr.facet_rule,
                _ => tr.facet_tag,
            };
            if name == "tag" || values.is_empty() {
                continue;
            }
            let values = values
                .into_iter()
                .map(|v| FacetValue {
                    label: match name.as_str() {
                        "sentiment" => label(tr, &v.value).to_string(),
                        "rule" => state.rule_title(&v.value, tr.code),
                        _ => v.value.clone(),
                    },
                    count: v.count,
                    href: base_query(&[(name.as_str(), v.value.clone())]),
                })
                .collect();
            page.facets.push(FacetView { title, values });
        }
        let mut more = compare.iter().cloned().map(Some);
        let (q2, q3, q4, q5) =
            (more.next().flatten(), more.next().flatten(), more.next().flatten(), more.next().flatten());
        let coverage = api::HistogramParams {
            q: params.q.clone(),
            from: params.from.clone(),
            to: params.to.clone(),
            source: params.source.clone(),
            lang: params.lang.clone(),
            rule: params.rule.clone(),
            tag: params.tag.clone(),
            region: params.region.clone(),
            sentiment: params.sentiment,
            q2,
            q3,
            q4,
            q5,
            interval: Some(interval),
        };
        match api::coverage(&state, &coverage).await {
            Ok(c) => (page.chart_items, page.chart_share) = coverage_charts(&c, &form.q),
            Err(e) => page.error = Some(e.message),
        }
    }
    render(page)
}

/// The search page showing a saved search.
pub(crate) fn saved_search_href(s: &duluan_model::SavedSearch) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    url.append_pair("q", &s.query);
    for (k, v) in &s.filters {
        url.append_pair(k, v);
    }
    format!("/search?{}", url.finish())
}

/// The `/api/search/export` link for the current query and filters.
fn export_href(q: &str, filters: &[(&'static str, String)], format: &str) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", q);
    for (k, v) in filters {
        s.append_pair(k, v);
    }
    s.append_pair("format", format);
    format!("/api/search/export?{}", s.finish())
}

/// Line charts of items and of share of coverage, one line per query.
fn coverage_charts(c: &api::HistogramResponse, first: &str) -> (String, String) {
    let Some(first_series) = c.series.first() else { return (String::new(), String::new()) };
    if first_series.buckets.is_empty() {
        return (String::new(), String::new());
    }
    let labels: Vec<String> = first_series.buckets.iter().map(|b| b.start.format("%d/%m/%Y").to_string()).collect();
    let name = |q: &str| -> String {
        let q = if q.trim().is_empty() { "*" } else { q.trim() };
        let mut short: String = q.chars().take(24).collect();
        if short.len() < q.len() {
            short.push('…');
        }
        short
    };
    let series = |value: &dyn Fn(&api::CoverageBucket) -> f64| -> Vec<(String, Vec<f64>)> {
        c.series.iter().map(|s| (name(&s.query), s.buckets.iter().map(value).collect())).collect()
    };
    let items = duluan_reports::render::line_chart(first, &labels, &series(&|b| b.items as f64), false);
    let share = duluan_reports::render::line_chart(first, &labels, &series(&|b| b.share), true);
    (items, share)
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    page: PageBase,
    item: duluan_model::Item,
    title_text: String,
    title: Vec<Segment>,
    paragraphs: Vec<Vec<Segment>>,
    href: Option<String>,
    published: String,
    fetched: String,
    sentiment_label: &'static str,
    story_size: usize,
    flags: Vec<(String, &'static str, String, String)>,
    alerts: Vec<i64>,
}

async fn item_page(State(state): State<AppState>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let tr = visitor.tr;
    let item = match state.store.item(&id).await {
        Ok(Some(i)) => i,
        Ok(None) => return error_page(tr, Some(&visitor.caller), ApiError::not_found(format!("item {id} not found"))),
        Err(e) => return error_page(tr, Some(&visitor.caller), e.into()),
    };
    let story_size = state.store.story_items(&item.story_id, 1000).await.map(|v| v.len()).unwrap_or(1);
    let alerts =
        state.store.alerts_for_item(&item.id).await.map(|v| v.into_iter().map(|a| a.id).collect()).unwrap_or_default();
    let flags = item
        .flags
        .iter()
        .map(|f| {
            let terms: Vec<&str> = f.spans.iter().map(|s| s.term.as_str()).collect();
            (
                f.severity.to_string(),
                label(tr, f.severity.as_str()),
                f.rule.to_string(),
                format!("{} — {}", state.rule_title(&f.rule, tr.code), terms.join(", ")),
            )
        })
        .collect();
    render(ItemPage {
        page: visitor.page("search"),
        title_text: item.title.clone(),
        title: segments(&item.title, &spans_of(&item, Field::Title)),
        paragraphs: paragraphs(&item.text, &spans_of(&item, Field::Text)),
        href: safe_href(&item.url),
        published: item.published_at.map(local_time).unwrap_or_else(|| "—".into()),
        fetched: local_time(item.fetched_at),
        sentiment_label: label(tr, item.sentiment.label.as_str()),
        story_size,
        flags,
        alerts,
        item,
    })
}

struct SourceRow {
    id: String,
    kind: String,
    url: String,
    enabled: bool,
    last_poll: String,
    last_success: String,
    found: i64,
    streak: i64,
    error: String,
    failing: bool,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    page: PageBase,
    rows: Vec<SourceRow>,
}

async fn sources_page(State(state): State<AppState>, visitor: Visitor) -> Response {
    let tr = visitor.tr;
    let views = match api::source_views(&state).await {
        Ok(v) => v,
        Err(e) => return error_page(tr, Some(&visitor.caller), e),
    };
    let when = |t: Option<chrono::DateTime<Utc>>| t.map(local_time).unwrap_or_else(|| tr.never.to_string());
    let rows = views
        .into_iter()
        .map(|v| SourceRow {
            id: v.source.id.clone(),
            kind: v.source.kind.to_string(),
            url: v.source.url.clone(),
            enabled: v.source.enabled,
            last_poll: when(v.state.last_polled_at),
            last_success: when(v.state.last_success_at),
            found: v.state.items_found,
            streak: v.state.error_streak,
            failing: v.state.error_streak > 0,
            error: v.state.last_error.unwrap_or_default(),
        })
        .collect();
    render(SourcesPage { page: visitor.page("sources"), rows })
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    page: PageBase,
    rows: Vec<ReportRow>,
    next: Option<String>,
}

struct ReportRow {
    id: i64,
    schedule: String,
    label: String,
    from: String,
    to: String,
    status: String,
    failed: bool,
    error: String,
    items: String,
    ran_at: String,
    formats: Vec<String>,
    /// `receiver: state` per delivery.
    deliveries: Vec<(String, String, bool)>,
}

#[derive(Deserialize)]
struct ReportsForm {
    cursor: Option<i64>,
}

async fn reports_page(State(state): State<AppState>, visitor: Visitor, Query(form): Query<ReportsForm>) -> Response {
    const PAGE: i64 = 50;
    let tr = visitor.tr;
    let runs = match state.store.report_runs(PAGE + 1, form.cursor).await {
        Ok(r) => r,
        Err(e) => return error_page(tr, Some(&visitor.caller), e.into()),
    };
    let (runs, next) = api::next_page(runs, PAGE, |r| r.id);
    let mut deliveries = Vec::with_capacity(runs.len());
    for run in &runs {
        match state.store.report_deliveries(run.id).await {
            Ok(d) => deliveries.push(
                d.into_iter()
                    .map(|d| (d.receiver, d.state.to_string(), d.state == NotificationState::Failed))
                    .collect::<Vec<_>>(),
            ),
            Err(e) => return error_page(tr, Some(&visitor.caller), e.into()),
        }
    }
    let rows = runs
        .into_iter()
        .zip(deliveries)
        .map(|(r, deliveries)| ReportRow {
            id: r.id,
            schedule: r.schedule_id,
            label: r.label,
            from: r.period_from,
            to: r.period_to,
            failed: r.status == "failed",
            status: r.status,
            error: r.error.unwrap_or_default(),
            items: r.items.map(|n| n.to_string()).unwrap_or_default(),
            ran_at: local_time(r.finished_at.unwrap_or(r.started_at)),
            formats: r.formats,
            deliveries,
        })
        .collect();
    render(ReportsPage { page: visitor.page("reports"), rows, next })
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    page: PageBase,
    body: String,
}

/// The current week so far, for all items and every topic, with the report's charts and spike
/// markers.
async fn dashboard_page(State(state): State<AppState>, visitor: Visitor) -> Response {
    let tr = visitor.tr;
    let config = state.config.clone();
    let mut settings = match duluan_reports::Settings::from_config(&config.reports, &config.server.public_url) {
        Ok(s) => s,
        Err(e) => return error_page(tr, Some(&visitor.caller), ApiError::internal(e)),
    };
    settings.lang = tr.code.to_string();
    // A page view, not a report of record: a smaller sample keeps it quick on large indexes.
    settings.sample_size = settings.sample_size.min(10_000);
    let now = Utc::now();
    let today = now.with_timezone(&settings.tz).date_naive();
    let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    let period = match duluan_reports::Period::days(monday, today) {
        Ok(p) => p,
        Err(e) => return error_page(tr, Some(&visitor.caller), ApiError::internal(e)),
    };
    let (index, store) = (state.index.clone(), state.store.clone());
    let built = tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current().block_on(duluan_reports::build(
            &index,
            store.as_ref(),
            &settings,
            &config.reports.topic,
            period,
            now,
        ))
    })
    .await;
    match built {
        Ok(Ok(report)) => {
            render(DashboardPage { page: visitor.page("dashboard"), body: duluan_reports::render::body(&report) })
        }
        Ok(Err(e)) => error_page(tr, Some(&visitor.caller), ApiError::internal(e)),
        Err(e) => error_page(tr, Some(&visitor.caller), ApiError::internal(e)),
    }
}
