//! The JSON API under `/api/`. Every handler is described for the OpenAPI document by its
//! `#[utoipa::path]`; statuses common to all operations (400, 401, 429, …) are added in one
//! place ([`crate::openapi`]).

use std::str::FromStr;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use duluan_model::{Alert, AlertState, AuditEvent, Item, Priority, ReasonCode, Role, Source, Verdict};
use duluan_store::{AlertFilter, Muted, SourceState, TokenInfo, TokenKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{CSRF_HEADER, Caller, new_secret, secret_hash};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

mod audit;
mod reports;
mod rules;
mod saved;
mod search;
mod silences;
mod triage;

pub use audit::*;
pub use reports::*;
pub use rules::*;
pub use saved::*;
pub use search::*;
pub use silences::*;
pub use triage::*;

pub(crate) fn list(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .map(|s| s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

/// An integer parameter within bounds, or a 400 naming it.
pub(crate) fn bounded(name: &str, value: Option<i64>, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    let v = value.unwrap_or(default);
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::bad_request(format!("`{name}` must be between {min} and {max}")))
    }
}

/// Parse a date bound: a day (`2021-12-01`, Vietnam time) or RFC 3339. `end` moves a plain day
/// to the start of the next day, so `to=2021-12-31` includes that day.
pub fn date_bound(s: &str, end: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("bad date `{s}`: use YYYY-MM-DD or RFC 3339")))?;
    let day = if end { day.succ_opt().unwrap_or(day) } else { day };
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Ok(DateTime::<Utc>::from_naive_utc_and_offset(midnight, Utc) - chrono::Duration::hours(7))
}

/// `GET /api/items/{id}` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemResponse {
    /// The item with its flags and their spans.
    #[serde(flatten)]
    pub item: Item,
    /// Ids of other items of its story.
    pub story_items: Vec<String>,
    /// Ids of alerts it belongs to.
    pub alerts: Vec<i64>,
}

/// One item with its flags, matched spans and story.
#[utoipa::path(get, path = "/api/items/{id}", tag = "items",
    params(("id" = String, Path, description = "Item id")),
    responses((status = 200, description = "The item", body = ItemResponse), (status = 404, description = "No such item", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn item(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ItemResponse>, ApiError> {
    let item = state.store.item(&id).await?.ok_or_else(|| ApiError::not_found(format!("item {id} not found")))?;
    let story_items = state
        .store
        .story_items(&item.story_id, 50)
        .await?
        .into_iter()
        .map(|i| i.id)
        .filter(|i| *i != item.id)
        .collect();
    let alerts = state.store.alerts_for_item(&item.id).await?.into_iter().map(|a| a.id).collect();
    Ok(Json(ItemResponse { item, story_items, alerts }))
}

/// `GET /api/alerts` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    /// State(s), comma-separated: new, claimed, confirmed, dismissed, escalated, closed.
    pub state: Option<String>,
    /// Team queue (leads and viewers may pick one; collaborators see their own).
    pub team: Option<String>,
    /// Only alerts I hold.
    pub mine: Option<bool>,
    /// Only this rule.
    pub rule: Option<String>,
    /// Alerts muted by a live silence: `hide` (default), `only` or `include`.
    #[param(inline)]
    pub muted: Option<MutedParam>,
    /// Page size.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// Whether a listing shows alerts muted by a silence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MutedParam {
    /// Hide them (the working queue).
    #[default]
    Hide,
    /// Only them.
    Only,
    /// Everything.
    Include,
}

impl From<MutedParam> for Muted {
    fn from(m: MutedParam) -> Muted {
        match m {
            MutedParam::Hide => Muted::Hide,
            MutedParam::Only => Muted::Only,
            MutedParam::Include => Muted::Include,
        }
    }
}

/// `GET /api/alerts` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertList {
    /// This page, newest first.
    pub alerts: Vec<Alert>,
    /// Cursor of the next page; absent on the last page.
    pub next: Option<String>,
}

/// The team a caller may see: collaborators only their own (or the default) queue.
pub fn visible_team(state: &AppState, caller: &Caller, asked: Option<String>) -> Result<Option<String>, ApiError> {
    if caller.user.role.at_least(Role::Lead) || caller.user.role == Role::Viewer {
        return Ok(asked);
    }
    let own = caller.user.team.clone().unwrap_or_else(|| state.config.alerts.default_team.clone());
    match asked {
        Some(t) if t != own => Err(ApiError::forbidden(format!("you work the `{own}` queue"))),
        _ => Ok(Some(own)),
    }
}

/// Build a store filter from API parameters.
pub fn alert_filter(state: &AppState, caller: &Caller, p: &AlertParams) -> Result<AlertFilter, ApiError> {
    let states = list(&p.state)
        .iter()
        .map(|s| AlertState::from_str(s).map_err(|e| ApiError::bad_request(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let before_id = cursor(&p.cursor)?;
    Ok(AlertFilter {
        states,
        team: visible_team(state, caller, p.team.clone())?,
        claimed_by: p.mine.unwrap_or(false).then(|| caller.user.name.clone()),
        rule: p.rule.clone(),
        limit: bounded("limit", p.limit, 50, 1, 200)?,
        before_id,
        muted: p.muted.unwrap_or_default().into(),
        ..AlertFilter::default()
    })
}

/// The alert queue: newest first, paged by cursor.
#[utoipa::path(get, path = "/api/alerts", tag = "alerts", params(AlertParams),
    responses((status = 200, description = "A page of alerts", body = AlertList),
              (status = 403, description = "Not your team's queue", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn alerts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AlertParams>,
) -> Result<Json<AlertList>, ApiError> {
    let filter = alert_filter(&state, &caller, &params)?;
    let page = state.store.alerts(&AlertFilter { limit: filter.limit + 1, ..filter.clone() }).await?;
    let (alerts, next) = next_page(page, filter.limit, |a| a.id);
    Ok(Json(AlertList { alerts, next }))
}

/// The id a `cursor` parameter names (the `next` of the previous page).
pub(crate) fn cursor(c: &Option<String>) -> Result<Option<i64>, ApiError> {
    match c {
        Some(c) => {
            Ok(Some(c.parse::<i64>().ok().filter(|c| *c > 0).ok_or_else(|| ApiError::bad_request("bad cursor"))?))
        }
        None => Ok(None),
    }
}

/// Cut a listing fetched with `limit + 1` rows down to `limit`, and the cursor of the next page
/// when there was one more row.
pub(crate) fn next_page<T>(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(|r| id(r).to_string());
    (rows, next)
}

/// An alert the caller may see, or 404.
pub async fn visible_alert(state: &AppState, caller: &Caller, id: i64) -> Result<Alert, ApiError> {
    let alert = state.store.alert(id).await?.ok_or_else(|| ApiError::not_found(format!("alert {id} not found")))?;
    if let Some(team) = visible_team(state, caller, None)?
        && alert.team != team
    {
        return Err(ApiError::not_found(format!("alert {id} not found")));
    }
    Ok(alert)
}

/// An alert with its items and audit trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertDetail {
    /// The alert.
    #[serde(flatten)]
    pub alert: Alert,
    /// Its items with flags and spans (newest first, at most 100).
    pub items: Vec<Item>,
    /// Its audit trail, oldest first.
    pub audit: Vec<AuditEvent>,
}

/// The alert with its items and audit trail.
pub async fn alert_detail(state: &AppState, caller: &Caller, id: i64) -> Result<AlertDetail, ApiError> {
    let alert = visible_alert(state, caller, id).await?;
    let mut items = Vec::new();
    for item_id in state.store.alert_item_ids(id).await?.into_iter().take(100) {
        if let Some(item) = state.store.item(&item_id).await? {
            items.push(item);
        }
    }
    let audit = state.store.audit(id).await?;
    Ok(AlertDetail { alert, items, audit })
}

/// One alert, its items with matched spans, and its audit trail.
#[utoipa::path(get, path = "/api/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, description = "The alert", body = AlertDetail), (status = 404, description = "No such alert", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn alert(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AlertDetail>, ApiError> {
    Ok(Json(alert_detail(&state, &caller, id).await?))
}

/// A triage action, as the API and the UI forms both describe it.
#[derive(Debug, Clone)]
pub enum Action {
    /// Take the lease.
    Claim,
    /// Give it back.
    Release,
    /// Put a decided alert back in the queue.
    Reopen,
    /// Pass it to a colleague.
    Handoff(String),
    /// Decide.
    Verdict(Verdict, ReasonCode, Option<String>),
    /// A lead gives it to a collaborator.
    Assign(String),
    /// Close a decided alert.
    Close,
    /// Set its priority.
    Priority(Priority),
}

impl Action {
    /// The least role that may perform it.
    pub fn needs(&self) -> Role {
        match self {
            Action::Reopen | Action::Assign(_) | Action::Close | Action::Priority(_) => Role::Lead,
            _ => Role::Collaborator,
        }
    }
}

/// Most characters kept of a verdict note.
const MAX_NOTE: usize = 4000;

/// Perform a triage action with role, team and CSRF checks.
pub async fn triage(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: Action,
    csrf: Option<&str>,
) -> Result<Alert, ApiError> {
    caller.check_csrf(csrf)?;
    if let Action::Verdict(_, _, Some(note)) = &action
        && note.chars().count() > MAX_NOTE
    {
        return Err(ApiError::bad_request(format!("the note is over {MAX_NOTE} characters")));
    }
    let alert = visible_alert(state, caller, id).await?;
    // The access guard audits the refusal.
    caller.require(action.needs())?;
    let now = Utc::now();
    let lease_until = now + chrono::Duration::minutes(state.config.alerts.lease_minutes);
    let user = &caller.user.name;
    let result = match action {
        Action::Claim => state.store.claim(id, user, now, lease_until).await,
        Action::Release => state.store.release(id, user, now).await,
        Action::Reopen => state.store.reopen(id, user, now).await,
        Action::Handoff(to) => {
            check_assignee(state, &alert, &to).await?;
            state.store.handoff(id, user, &to, now, lease_until).await
        }
        Action::Assign(to) => {
            check_assignee(state, &alert, &to).await?;
            state.store.assign(id, user, &to, now, lease_until).await
        }
        Action::Close => state.store.close(id, user, now).await,
        Action::Priority(p) => state.store.set_priority(id, user, p, now).await,
        Action::Verdict(verdict, reason, note) => {
            state.store.verdict(id, user, verdict, reason, note.as_deref(), now).await
        }
    };
    Ok(result?)
}

/// Someone who can take over an alert: an existing collaborator (or higher) who may see its queue.
async fn check_assignee(state: &AppState, alert: &Alert, to: &str) -> Result<(), ApiError> {
    let Some((user, _)) = state.store.user_by_name(to).await? else {
        return Err(ApiError::bad_request(format!("no user named `{to}`")));
    };
    if !user.role.at_least(Role::Collaborator) {
        return Err(ApiError::bad_request(format!("`{to}` is a {} and cannot triage", user.role)));
    }
    let their_team = user.team.clone().unwrap_or_else(|| state.config.alerts.default_team.clone());
    if !user.role.at_least(Role::Lead) && their_team != alert.team {
        return Err(ApiError::bad_request(format!("`{to}` works the `{their_team}` queue, not `{}`", alert.team)));
    }
    Ok(())
}

pub(crate) fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

/// Claim an alert: take its lease. Only one person can hold it.
#[utoipa::path(post, path = "/api/alerts/{id}/claim", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, description = "Claimed; the lease is in `lease_expires_at`", body = Alert),
              (status = 403, description = "Role or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such alert", body = ErrorBody),
              (status = 409, description = "Held by someone else, or already decided", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn claim(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(triage(&state, &caller, id, Action::Claim, csrf_header(&headers)).await?))
}

/// Release a claimed alert back to its queue (only its holder).
#[utoipa::path(post, path = "/api/alerts/{id}/release", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, description = "Back in the queue", body = Alert),
              (status = 403, description = "Role or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such alert", body = ErrorBody),
              (status = 409, description = "Not held by you", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(triage(&state, &caller, id, Action::Release, csrf_header(&headers)).await?))
}

/// Reopen a decided alert (leads and admins).
#[utoipa::path(post, path = "/api/alerts/{id}/reopen", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, description = "Back in the queue", body = Alert),
              (status = 403, description = "Needs the lead role, or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such alert", body = ErrorBody),
              (status = 409, description = "Not decided", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(triage(&state, &caller, id, Action::Reopen, csrf_header(&headers)).await?))
}

/// `POST /api/alerts/{id}/handoff` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffBody {
    /// User name of the colleague who takes over.
    #[schema(min_length = 1, max_length = 64)]
    pub to: String,
}

/// Hand a claimed alert to a colleague, who gets a fresh lease.
#[utoipa::path(post, path = "/api/alerts/{id}/handoff", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    request_body = HandoffBody,
    responses((status = 200, description = "Handed off", body = Alert),
              (status = 403, description = "Role or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such alert", body = ErrorBody),
              (status = 409, description = "Not held by you", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn handoff(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<HandoffBody>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(triage(&state, &caller, id, Action::Handoff(body.to), csrf_header(&headers)).await?))
}

/// `POST /api/alerts/{id}/verdict` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictBody {
    /// The decision.
    pub verdict: Verdict,
    /// Why.
    pub reason: ReasonCode,
    /// Free note, at most 4000 characters.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
}

/// Decide a claimed alert (only the holder of a live lease).
#[utoipa::path(post, path = "/api/alerts/{id}/verdict", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    request_body = VerdictBody,
    responses((status = 200, description = "Decided", body = Alert),
              (status = 403, description = "Role or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such alert", body = ErrorBody),
              (status = 409, description = "You do not hold a live lease on it", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn verdict(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<VerdictBody>,
) -> Result<Json<Alert>, ApiError> {
    let action = Action::Verdict(body.verdict, body.reason, body.note);
    Ok(Json(triage(&state, &caller, id, action, csrf_header(&headers)).await?))
}

/// A configured source with its crawl health.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceView {
    /// The configuration.
    pub source: Source,
    /// Crawl state.
    pub state: SourceState,
}

/// `GET /api/sources` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceList {
    /// Every configured source.
    pub sources: Vec<SourceView>,
    /// Always absent: the list fits one page.
    pub next: Option<String>,
}

/// Sources and their health.
pub async fn source_views(state: &AppState) -> Result<Vec<SourceView>, ApiError> {
    let mut out = Vec::new();
    for source in state.sources.iter() {
        let s = state.store.source_state(&source.id).await?;
        out.push(SourceView { source: source.clone(), state: s });
    }
    Ok(out)
}

/// Configured sources and their crawl health.
#[utoipa::path(get, path = "/api/sources", tag = "sources",
    responses((status = 200, description = "Sources", body = SourceList)),
    security(("bearer" = []), ("session" = [])))]
pub async fn sources(State(state): State<AppState>, _caller: Caller) -> Result<Json<SourceList>, ApiError> {
    Ok(Json(SourceList { sources: source_views(&state).await?, next: None }))
}

/// `GET /api/tokens` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenList {
    /// Your tokens (never their secrets).
    pub tokens: Vec<TokenInfo>,
    /// Always absent: the list fits one page.
    pub next: Option<String>,
}

/// Your API tokens.
#[utoipa::path(get, path = "/api/tokens", tag = "tokens",
    responses((status = 200, description = "Your tokens", body = TokenList)),
    security(("bearer" = []), ("session" = [])))]
pub async fn tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<TokenList>, ApiError> {
    let tokens = state.store.tokens(Some(caller.user.id)).await?;
    Ok(Json(TokenList { tokens, next: None }))
}

/// `POST /api/tokens` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A label to recognise the token by.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `api` (default): a Bearer token for the API; `feed`: read-only, for the Atom feed of
    /// your queue (`/feeds/{team}.atom?token=…`).
    #[serde(default)]
    pub kind: Option<TokenKind>,
}

/// A token just created: the secret is shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedToken {
    /// Token id (for revoking).
    pub id: i64,
    /// Label.
    pub name: String,
    /// What it is for.
    pub kind: TokenKind,
    /// The secret: send it as `Authorization: Bearer …` (or `?token=` for a feed token).
    pub token: String,
}

/// Create an API token for yourself; the secret is in the response only.
#[utoipa::path(post, path = "/api/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, description = "Created", body = CreatedToken),
              (status = 403, description = "CSRF check failed", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    caller.check_csrf(csrf_header(&headers))?;
    // The limit applies to the name as sent, as the schema's maxLength does.
    let name = body.name.trim();
    if name.is_empty() || body.name.chars().count() > 100 {
        return Err(ApiError::bad_request("`name` must be 1 to 100 characters"));
    }
    let kind = body.kind.unwrap_or(TokenKind::Api);
    let token = new_secret(if kind == TokenKind::Feed { "dlf_" } else { "dl_" });
    let id = state.store.create_token(caller.user.id, name, kind, &secret_hash(&token), Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { id, name: name.to_string(), kind, token })))
}

/// Revoke one of your API tokens.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"),
              (status = 403, description = "CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such token of yours", body = ErrorBody),
              (status = 409, description = "That is the token this request uses: revoke it with another token, the CLI or the UI", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    caller.check_csrf(csrf_header(&headers))?;
    if caller.via == (crate::auth::Via::Token { id }) {
        return Err(ApiError::conflict(
            "this is the token you are using: revoke it with another token, `duluan user revoke` or the UI",
        ));
    }
    state.store.revoke_token(id, Some(caller.user.id), Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /healthz` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)), security(()))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

/// `GET /readyz` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: String,
    /// Documents in the search index.
    pub documents: u64,
}

/// Readiness: the store answers and the index is open.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = Ready), (status = 503, description = "Store unreachable", body = ErrorBody)),
    security(()))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    state.store.ping().await.map_err(|e| ApiError::unavailable(format!("store unreachable: {e}")))?;
    Ok(Json(Ready { status: "ready".into(), documents: state.index.num_docs() }))
}
