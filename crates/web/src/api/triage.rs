//! Lead actions on one alert (assign, close, priority) and bulk actions on a selection.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::Utc;
use duluan_model::{Alert, AlertState, Priority, ReasonCode, Role, SilenceMatchers, Verdict};
use duluan_store::{AlertFilter, NewSilence};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Action, AlertParams, alert_filter, csrf_header, triage};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

/// `POST /api/alerts/{id}/assign` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// User name of the collaborator who gets it.
    #[schema(min_length = 1, max_length = 64)]
    pub to: String,
}

/// Give an open alert to a collaborator of its team, who holds it under a fresh lease (leads).
#[utoipa::path(post, path = "/api/alerts/{id}/assign", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    request_body = AssignBody,
    responses((status = 200, description = "Assigned", body = Alert),
              (status = 403, description = "Needs the lead role, or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such alert", body = ErrorBody),
              (status = 409, description = "Already decided", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(triage(&state, &caller, id, Action::Assign(body.to), csrf_header(&headers)).await?))
}

/// Close a decided alert (leads).
#[utoipa::path(post, path = "/api/alerts/{id}/close", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, description = "Closed", body = Alert),
              (status = 403, description = "Needs the lead role, or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such alert", body = ErrorBody),
              (status = 409, description = "Not decided yet", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(triage(&state, &caller, id, Action::Close, csrf_header(&headers)).await?))
}

/// `POST /api/alerts/{id}/priority` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityBody {
    /// The new priority.
    pub priority: Priority,
}

/// Set an alert's priority; the queue lists higher priorities first (leads).
#[utoipa::path(post, path = "/api/alerts/{id}/priority", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    request_body = PriorityBody,
    responses((status = 200, description = "Priority set", body = Alert),
              (status = 403, description = "Needs the lead role, or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such alert", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn priority(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PriorityBody>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(triage(&state, &caller, id, Action::Priority(body.priority), csrf_header(&headers)).await?))
}

/// What a bulk request does to each selected alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BulkAction {
    /// Take the lease on each.
    Claim,
    /// Give each back to the queue.
    Release,
    /// Claim if needed, then dismiss with `reason`.
    Dismiss,
    /// Give each to `to` (leads).
    Assign,
    /// Mute each one's story for `hours` with `reason` (leads).
    Silence,
    /// Close each decided alert (leads).
    Close,
    /// Set `priority` on each (leads).
    Priority,
}

/// Most alerts one bulk request may touch.
pub const MAX_BULK: usize = 500;

/// `POST /api/alerts/bulk` body: the action, and either `ids` or a `filter` (not both).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// The action.
    pub action: BulkAction,
    /// These alerts.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub ids: Option<Vec<i64>>,
    /// Or every alert this queue filter lists (first 500).
    #[serde(default)]
    pub filter: Option<BulkFilter>,
    /// `dismiss`: why (default `false_positive`).
    #[serde(default)]
    pub reason: Option<ReasonCode>,
    /// `dismiss`: a note; `silence`: the reason shown in the silences list (required).
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub note: Option<String>,
    /// `assign`: the collaborator.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub to: Option<String>,
    /// `priority`: the priority.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// `silence`: for how many hours (default 24, at most 2160).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2160)]
    pub hours: Option<i64>,
}

/// The queue filter of a bulk request (the same fields as `GET /api/alerts`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// State(s), comma-separated.
    #[serde(default)]
    pub state: Option<String>,
    /// Team queue.
    #[serde(default)]
    pub team: Option<String>,
    /// Only alerts I hold.
    #[serde(default)]
    pub mine: Option<bool>,
    /// Only this rule.
    #[serde(default)]
    pub rule: Option<String>,
}

/// What happened to one alert of a bulk request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkOutcome {
    /// Alert id.
    pub id: i64,
    /// Whether the action was applied.
    pub ok: bool,
    /// The alert after the action.
    pub alert: Option<Alert>,
    /// Why it was not applied.
    pub error: Option<String>,
}

/// `POST /api/alerts/bulk` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkResult {
    /// Alerts the action was applied to.
    pub done: usize,
    /// Alerts it could not be applied to (see `results`).
    pub failed: usize,
    /// Silences created (`silence` only).
    pub silences: Vec<i64>,
    /// One entry per selected alert, in the order given.
    pub results: Vec<BulkOutcome>,
}

/// Apply one action to many alerts: each is checked and audited as if done one by one, and
/// one refusal does not stop the rest.
#[utoipa::path(post, path = "/api/alerts/bulk", tag = "alerts",
    request_body = BulkBody,
    responses((status = 200, description = "Per-alert outcomes", body = BulkResult),
              (status = 403, description = "Role or CSRF check failed", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<Json<BulkResult>, ApiError> {
    Ok(Json(run_bulk(&state, &caller, &body, csrf_header(&headers)).await?))
}

/// A bulk request as the API and the queue page's form both make it.
pub async fn run_bulk(
    state: &AppState,
    caller: &Caller,
    body: &BulkBody,
    csrf: Option<&str>,
) -> Result<BulkResult, ApiError> {
    caller.check_csrf(csrf)?;
    caller.require(bulk_role(body.action))?;
    if body.note.as_ref().is_some_and(|n| n.chars().count() > 4000) {
        return Err(ApiError::bad_request("`note` is over 4000 characters"));
    }
    let ids = selection(state, caller, body).await?;
    let mut result = BulkResult { done: 0, failed: 0, silences: Vec::new(), results: Vec::with_capacity(ids.len()) };
    if body.action == BulkAction::Silence {
        bulk_silence(state, caller, body, &ids, &mut result).await?;
    } else {
        for id in ids {
            let outcome = match apply(state, caller, body, id, csrf).await {
                Ok(alert) => BulkOutcome { id, ok: true, alert: Some(alert), error: None },
                Err(e) => BulkOutcome { id, ok: false, alert: None, error: Some(e.message.clone()) },
            };
            result.results.push(outcome);
        }
    }
    result.done = result.results.iter().filter(|r| r.ok).count();
    result.failed = result.results.len() - result.done;
    Ok(result)
}

fn bulk_role(action: BulkAction) -> Role {
    match action {
        BulkAction::Claim | BulkAction::Release | BulkAction::Dismiss => Role::Collaborator,
        _ => Role::Lead,
    }
}

/// The alert ids a bulk request names, checked for size and visibility.
async fn selection(state: &AppState, caller: &Caller, body: &BulkBody) -> Result<Vec<i64>, ApiError> {
    match (&body.ids, &body.filter) {
        (Some(ids), None) => {
            if ids.is_empty() || ids.len() > MAX_BULK {
                return Err(ApiError::bad_request(format!("`ids` must hold 1 to {MAX_BULK} alert ids")));
            }
            let mut seen = BTreeSet::new();
            Ok(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
        }
        (None, Some(f)) => {
            let params = AlertParams {
                state: f.state.clone(),
                team: f.team.clone(),
                mine: f.mine,
                rule: f.rule.clone(),
                ..AlertParams::default()
            };
            let filter = AlertFilter { limit: MAX_BULK as i64, ..alert_filter(state, caller, &params)? };
            Ok(state.store.alerts(&filter).await?.into_iter().map(|a| a.id).collect())
        }
        _ => Err(ApiError::bad_request("give either `ids` or `filter`")),
    }
}

/// One alert of a bulk request.
async fn apply(
    state: &AppState,
    caller: &Caller,
    body: &BulkBody,
    id: i64,
    csrf: Option<&str>,
) -> Result<Alert, ApiError> {
    let action = match body.action {
        BulkAction::Claim => Action::Claim,
        BulkAction::Release => Action::Release,
        BulkAction::Close => Action::Close,
        BulkAction::Assign => {
            Action::Assign(body.to.clone().ok_or_else(|| ApiError::bad_request("`assign` needs `to`"))?)
        }
        BulkAction::Priority => {
            Action::Priority(body.priority.ok_or_else(|| ApiError::bad_request("`priority` needs `priority`"))?)
        }
        BulkAction::Dismiss => {
            let alert = super::visible_alert(state, caller, id).await?;
            let mine = alert.state == AlertState::Claimed && alert.claimed_by.as_deref() == Some(&caller.user.name);
            if !mine {
                triage(state, caller, id, Action::Claim, csrf).await?;
            }
            let reason = body.reason.unwrap_or(ReasonCode::FalsePositive);
            Action::Verdict(Verdict::Dismissed, reason, body.note.clone())
        }
        BulkAction::Silence => return Err(ApiError::bad_request("silence is applied per story")),
    };
    triage(state, caller, id, action, csrf).await
}

/// Mute the stories of the selected alerts: one silence per (rule, story).
async fn bulk_silence(
    state: &AppState,
    caller: &Caller,
    body: &BulkBody,
    ids: &[i64],
    result: &mut BulkResult,
) -> Result<(), ApiError> {
    let reason = super::silences::checked_reason(body.note.as_deref())?;
    let hours = body.hours.unwrap_or(24);
    if !(1..=super::silences::MAX_SILENCE_HOURS).contains(&hours) {
        return Err(ApiError::bad_request(format!(
            "`hours` must be between 1 and {}",
            super::silences::MAX_SILENCE_HOURS
        )));
    }
    let now = Utc::now();
    let mut silenced: BTreeSet<(String, String)> = BTreeSet::new();
    for &id in ids {
        let alert = match super::visible_alert(state, caller, id).await {
            Ok(a) => a,
            Err(e) => {
                result.results.push(BulkOutcome { id, ok: false, alert: None, error: Some(e.message.clone()) });
                continue;
            }
        };
        let key = (alert.rule.clone(), alert.story.to_string());
        if !silenced.contains(&key) {
            let silence = NewSilence {
                matchers: SilenceMatchers {
                    rule: Some(key.0.clone()),
                    story: Some(key.1.clone()),
                    ..SilenceMatchers::default()
                },
                starts_at: now,
                ends_at: now + chrono::Duration::hours(hours),
                quiet_hours: None,
                creator: caller.user.name.clone(),
                reason: reason.clone(),
            };
            let created = state.store.create_silence(&silence, now).await?;
            result.silences.push(created.id);
            silenced.insert(key);
        }
        let alert = state.store.alert(id).await?;
        result.results.push(BulkOutcome { id, ok: true, alert, error: None });
    }
    Ok(())
}
