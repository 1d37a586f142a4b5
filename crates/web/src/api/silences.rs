//! Silences, receivers with their delivery figures and the notification log.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use duluan_model::{Notification, NotificationState, Role, Silence, SilenceMatchers};
use duluan_store::{NewSilence, ReceiverStats};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bounded, csrf_header, cursor, next_page};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// Longest silence: 90 days.
pub const MAX_SILENCE_HOURS: i64 = 24 * 90;
/// Longest reason kept, in characters.
const MAX_REASON: usize = 500;
/// Longest matcher value.
const MAX_MATCHER: usize = 200;

/// A mandatory reason, trimmed and bounded.
pub(crate) fn checked_reason(reason: Option<&str>) -> Result<String, ApiError> {
    let sent = reason.unwrap_or_default();
    let reason = sent.trim();
    if reason.is_empty() {
        return Err(ApiError::bad_request("a silence needs a reason (`reason`)"));
    }
    // The limit applies to the reason as sent, as the schema's maxLength does.
    if sent.chars().count() > MAX_REASON {
        return Err(ApiError::bad_request(format!("the reason is over {MAX_REASON} characters")));
    }
    Ok(reason.to_string())
}

/// `GET /api/silences` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SilenceParams {
    /// Also list silences that ended.
    pub all: Option<bool>,
}

/// `GET /api/silences` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SilenceList {
    /// Newest first.
    pub silences: Vec<Silence>,
    /// Always absent: the list fits one page.
    pub next: Option<String>,
}

/// Silences: live ones, or all with `all=true`.
#[utoipa::path(get, path = "/api/silences", tag = "silences", params(SilenceParams),
    responses((status = 200, description = "Silences", body = SilenceList)),
    security(("bearer" = []), ("session" = [])))]
pub async fn silences(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(params): ApiQuery<SilenceParams>,
) -> Result<Json<SilenceList>, ApiError> {
    let silences = state.store.silences(params.all.unwrap_or(false), Utc::now()).await?;
    Ok(Json(SilenceList { silences, next: None }))
}

/// `POST /api/silences` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSilenceBody {
    /// What to mute: every matcher given must hold; at least one.
    pub matchers: SilenceMatchers,
    /// Why (mandatory, shown in the list).
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// For how many hours from now (default 24).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2160)]
    pub hours: Option<i64>,
    /// Or until this time (RFC 3339); overrides `hours`.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Also end once a muted story has been quiet this many hours and speaks again.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2160)]
    pub quiet_hours: Option<i64>,
}

fn checked_matchers(m: SilenceMatchers) -> Result<SilenceMatchers, ApiError> {
    let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let m = SilenceMatchers {
        rule: clean(m.rule),
        tag: clean(m.tag),
        source: clean(m.source),
        story: clean(m.story),
        team: clean(m.team),
    };
    if m.is_empty() {
        return Err(ApiError::bad_request("a silence needs at least one matcher: rule, tag, source, story or team"));
    }
    let long = [&m.rule, &m.tag, &m.source, &m.story, &m.team].into_iter().flatten().any(|v| v.len() > MAX_MATCHER);
    if long {
        return Err(ApiError::bad_request(format!("matcher values are at most {MAX_MATCHER} bytes")));
    }
    Ok(m)
}

/// Mute matching alerts for a while (leads). Muted alerts are still recorded, just neither
/// queued nor notified; open alerts that match are muted at once.
#[utoipa::path(post, path = "/api/silences", tag = "silences", request_body = NewSilenceBody,
    responses((status = 201, description = "Created", body = Silence),
              (status = 403, description = "Needs the lead role, or CSRF check failed", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_silence(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewSilenceBody>,
) -> Result<(StatusCode, Json<Silence>), ApiError> {
    caller.check_csrf(csrf_header(&headers))?;
    caller.require(Role::Lead)?;
    let silence = new_silence(&caller, body, Utc::now())?;
    let created = state.store.create_silence(&silence, silence.starts_at).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Check a silence request and turn it into the store's form.
pub fn new_silence(caller: &Caller, body: NewSilenceBody, now: DateTime<Utc>) -> Result<NewSilence, ApiError> {
    let matchers = checked_matchers(body.matchers)?;
    let reason = checked_reason(Some(&body.reason))?;
    let ends_at = match body.ends_at {
        Some(t) if t <= now => return Err(ApiError::bad_request("`ends_at` is in the past")),
        Some(t) if t > now + chrono::Duration::hours(MAX_SILENCE_HOURS) => {
            return Err(ApiError::bad_request("a silence lasts at most 90 days"));
        }
        Some(t) => t,
        None => {
            let hours = bounded("hours", body.hours, 24, 1, MAX_SILENCE_HOURS)?;
            now + chrono::Duration::hours(hours)
        }
    };
    let quiet_hours = match body.quiet_hours {
        Some(h) => Some(bounded("quiet_hours", Some(h), 1, 1, MAX_SILENCE_HOURS)?),
        None => None,
    };
    Ok(NewSilence { matchers, starts_at: now, ends_at, quiet_hours, creator: caller.user.name.clone(), reason })
}

/// End a silence now (leads); the alerts it muted show in the queue again.
#[utoipa::path(delete, path = "/api/silences/{id}", tag = "silences",
    params(("id" = i64, Path, description = "Silence id")),
    responses((status = 200, description = "Ended", body = Silence),
              (status = 403, description = "Needs the lead role, or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such silence", body = ErrorBody),
              (status = 409, description = "The silence has already ended", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn expire_silence(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Silence>, ApiError> {
    caller.check_csrf(csrf_header(&headers))?;
    caller.require(Role::Lead)?;
    Ok(Json(state.store.expire_silence(id, &caller.user.name, Utc::now()).await?))
}

/// A configured receiver as the UI and API show it: no secrets, no token-bearing URL parts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiverView {
    /// Name used in routes.
    pub name: String,
    /// `webhook`, `slack`, `telegram` or `email`.
    pub kind: String,
    /// Where it delivers: scheme and host only.
    pub target: String,
    /// Whether payloads are signed (webhook with a secret).
    pub signed: bool,
    /// Delivery figures.
    pub stats: ReceiverStats,
}

/// `GET /api/receivers` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiverList {
    /// Configured receivers, plus any that still have notifications but left the configuration.
    pub receivers: Vec<ReceiverView>,
    /// Always absent: the list fits one page.
    pub next: Option<String>,
}

/// Scheme and host of a receiver URL: paths can carry tokens (Telegram's bot token, Slack's
/// webhook key), so they are never shown.
pub fn redacted_target(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?")),
        Err(_) => "(invalid URL)".into(),
    }
}

/// Receivers and their delivery figures.
pub async fn receiver_views(state: &AppState) -> Result<Vec<ReceiverView>, ApiError> {
    let mut stats = state.store.receiver_stats().await?;
    let mut views: Vec<ReceiverView> = state
        .config
        .alerts
        .receiver
        .iter()
        .map(|r| {
            let at = stats.iter().position(|s| s.receiver == r.name);
            let stats = at
                .map(|i| stats.remove(i))
                .unwrap_or_else(|| ReceiverStats { receiver: r.name.clone(), ..ReceiverStats::default() });
            ReceiverView {
                name: r.name.clone(),
                kind: r.kind.as_str().into(),
                target: redacted_target(&r.url),
                signed: r.secret.is_some(),
                stats,
            }
        })
        .collect();
    views.extend(stats.into_iter().map(|s| ReceiverView {
        name: s.receiver.clone(),
        kind: "removed".into(),
        target: String::new(),
        signed: false,
        stats: s,
    }));
    Ok(views)
}

/// Configured receivers with delivery figures and the last error (leads).
#[utoipa::path(get, path = "/api/receivers", tag = "notifications",
    responses((status = 200, description = "Receivers", body = ReceiverList),
              (status = 403, description = "Needs the lead role", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn receivers(State(state): State<AppState>, caller: Caller) -> Result<Json<ReceiverList>, ApiError> {
    caller.require(Role::Lead)?;
    Ok(Json(ReceiverList { receivers: receiver_views(&state).await?, next: None }))
}

/// `GET /api/notifications` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// Only this delivery state.
    #[param(inline)]
    pub state: Option<NotificationState>,
    /// Page size.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/notifications` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationList {
    /// Newest first.
    pub notifications: Vec<Notification>,
    /// Cursor of the next page.
    pub next: Option<String>,
}

/// The notification log: every delivery, retry and give-up (leads).
#[utoipa::path(get, path = "/api/notifications", tag = "notifications", params(NotificationParams),
    responses((status = 200, description = "Notifications", body = NotificationList),
              (status = 403, description = "Needs the lead role", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn notifications(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<NotificationParams>,
) -> Result<Json<NotificationList>, ApiError> {
    caller.require(Role::Lead)?;
    let limit = bounded("limit", params.limit, 50, 1, 200)?;
    let page = state.store.notifications(params.state, limit + 1, cursor(&params.cursor)?).await?;
    let (notifications, next) = next_page(page, limit, |n| n.id);
    Ok(Json(NotificationList { notifications, next }))
}
