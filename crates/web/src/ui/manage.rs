//! Queue management pages: bulk actions from the queue, silences, receivers.

use std::str::FromStr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use duluan_model::{NotificationState, Priority, ReasonCode, Role, SilenceMatchers};
use serde::Deserialize;

use super::{PageBase, Visitor, error_page, render};
use crate::AppState;
use crate::api::{self, BulkAction, BulkBody, NewSilenceBody, ReceiverView};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::label;
use crate::views::local_time;

/// People who can take over alerts of `team`: collaborators of that team, and leads.
pub(super) async fn colleagues(state: &AppState, caller: &Caller, team: Option<&str>) -> Vec<String> {
    if !caller.user.role.at_least(Role::Collaborator) {
        return Vec::new();
    }
    let default_team = state.config.alerts.default_team.as_str();
    let mut names: Vec<String> = state
        .store
        .users()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.role.at_least(Role::Collaborator))
        .filter(|u| u.role.at_least(Role::Lead) || team.is_none_or(|t| u.team.as_deref().unwrap_or(default_team) == t))
        .map(|u| u.name)
        .collect();
    names.sort();
    names
}

/// Fields of a form body; `ids` may repeat, which serde's form decoding cannot express.
fn form_fields(body: &[u8]) -> (Vec<(String, String)>, Vec<i64>) {
    let mut fields = Vec::new();
    let mut ids = Vec::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if k == "ids" {
            if let Ok(id) = v.parse::<i64>() {
                ids.push(id);
            }
        } else {
            fields.push((k.into_owned(), v.into_owned()));
        }
    }
    (fields, ids)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

/// The queue page's bulk form.
pub(super) async fn bulk_action(State(state): State<AppState>, visitor: Visitor, body: Bytes) -> Response {
    let tr = visitor.tr;
    let (fields, ids) = form_fields(&body);
    let action = match field(&fields, "action").map(|a| serde_json::from_value::<BulkAction>(a.into())) {
        Some(Ok(a)) => a,
        _ => return error_page(tr, Some(&visitor.caller), ApiError::bad_request("choose an action")),
    };
    if ids.is_empty() {
        return error_page(tr, Some(&visitor.caller), ApiError::bad_request("select at least one alert"));
    }
    let request = BulkBody {
        action,
        ids: Some(ids),
        filter: None,
        reason: Some(ReasonCode::FalsePositive),
        note: field(&fields, "note").map(str::to_string),
        to: field(&fields, "to").map(str::to_string),
        priority: field(&fields, "priority").and_then(|p| Priority::from_str(p).ok()),
        hours: field(&fields, "hours").and_then(|h| h.parse().ok()),
    };
    let back = field(&fields, "back").filter(|b| b.starts_with("/alerts")).unwrap_or("/alerts").to_string();
    match api::run_bulk(&state, &visitor.caller, &request, field(&fields, "csrf")).await {
        Ok(r) if r.failed == 0 => Redirect::to(&back).into_response(),
        Ok(r) => {
            let failures: Vec<String> = r
                .results
                .iter()
                .filter(|o| !o.ok)
                .map(|o| format!("#{}: {}", o.id, o.error.clone().unwrap_or_default()))
                .collect();
            let message = format!(
                "{} {} · {} {}: {}",
                crate::i18n::text(tr, "bulk_done"),
                r.done,
                crate::i18n::text(tr, "bulk_failed"),
                r.failed,
                failures.join("; ")
            );
            error_page(tr, Some(&visitor.caller), ApiError::conflict(message))
        }
        Err(e) => error_page(tr, Some(&visitor.caller), e),
    }
}

struct SilenceRow {
    id: i64,
    matchers: String,
    reason: String,
    creator: String,
    starts: String,
    ends: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "silences.html")]
struct SilencesPage {
    page: PageBase,
    rows: Vec<SilenceRow>,
    all: bool,
    prefill: SilenceMatchers,
}

#[derive(Deserialize, Default)]
pub(super) struct SilencesQuery {
    all: Option<bool>,
    rule: Option<String>,
    story: Option<String>,
    source: Option<String>,
    tag: Option<String>,
    team: Option<String>,
}

fn describe(m: &SilenceMatchers) -> String {
    [("rule", &m.rule), ("tag", &m.tag), ("source", &m.source), ("story", &m.story), ("team", &m.team)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Silences with their creator and reason; leads create and end them here.
pub(super) async fn silences_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<SilencesQuery>,
) -> Response {
    let all = q.all.unwrap_or(false);
    let silences = match state.store.silences(all, Utc::now()).await {
        Ok(s) => s,
        Err(e) => return error_page(visitor.tr, Some(&visitor.caller), e.into()),
    };
    let rows = silences
        .into_iter()
        .map(|s| SilenceRow {
            id: s.id,
            matchers: describe(&s.matchers),
            reason: s.reason,
            creator: s.creator,
            starts: local_time(s.starts_at),
            ends: local_time(s.expired_at.unwrap_or(s.ends_at)),
            active: s.active,
        })
        .collect();
    let prefill = SilenceMatchers { rule: q.rule, tag: q.tag, source: q.source, story: q.story, team: q.team };
    render(SilencesPage { page: visitor.page("silences"), rows, all, prefill })
}

#[derive(Deserialize)]
pub(super) struct SilenceForm {
    csrf: Option<String>,
    rule: Option<String>,
    tag: Option<String>,
    source: Option<String>,
    story: Option<String>,
    team: Option<String>,
    hours: Option<String>,
    quiet_hours: Option<String>,
    reason: Option<String>,
    back: Option<String>,
}

/// Create a silence from the silences page or an alert page.
pub(super) async fn create_silence(
    State(state): State<AppState>,
    visitor: Visitor,
    axum::Form(f): axum::Form<SilenceForm>,
) -> Response {
    let tr = visitor.tr;
    let caller = &visitor.caller;
    let number = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::parse::<i64>);
    let hours = match number(&f.hours).transpose() {
        Ok(h) => h,
        Err(_) => return error_page(tr, Some(caller), ApiError::bad_request("hours must be a whole number")),
    };
    let quiet_hours = match number(&f.quiet_hours).transpose() {
        Ok(h) => h,
        Err(_) => return error_page(tr, Some(caller), ApiError::bad_request("quiet hours must be a whole number")),
    };
    let body = NewSilenceBody {
        matchers: SilenceMatchers { rule: f.rule, tag: f.tag, source: f.source, story: f.story, team: f.team },
        reason: f.reason.unwrap_or_default(),
        hours,
        ends_at: None,
        quiet_hours,
    };
    let created = async {
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Role::Lead)?;
        let silence = api::new_silence(caller, body, Utc::now())?;
        Ok::<_, ApiError>(state.store.create_silence(&silence, silence.starts_at).await?)
    }
    .await;
    let back = f.back.filter(|b| b.starts_with("/alerts/")).unwrap_or_else(|| "/silences".into());
    match created {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => error_page(tr, Some(caller), e),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: Option<String>,
}

/// End a silence now.
pub(super) async fn expire_silence(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Response {
    let caller = &visitor.caller;
    let ended = async {
        caller.check_csrf(f.csrf.as_deref())?;
        caller.require(Role::Lead)?;
        Ok::<_, ApiError>(state.store.expire_silence(id, &caller.user.name, Utc::now()).await?)
    }
    .await;
    match ended {
        Ok(_) => Redirect::to("/silences").into_response(),
        Err(e) => error_page(visitor.tr, Some(caller), e),
    }
}

struct FailureRow {
    alert_id: i64,
    receiver: String,
    event: String,
    attempts: i64,
    error: String,
    at: String,
}

#[derive(Template)]
#[template(path = "receivers.html")]
struct ReceiversPage {
    page: PageBase,
    receivers: Vec<(ReceiverView, String)>,
    failures: Vec<FailureRow>,
}

/// Receivers with delivery figures, and recent give-ups (leads).
pub(super) async fn receivers_page(State(state): State<AppState>, visitor: Visitor) -> Response {
    let caller = &visitor.caller;
    let loaded = async {
        caller.require(Role::Lead)?;
        let receivers = api::receiver_views(&state).await?;
        let failed = state.store.notifications(Some(NotificationState::Failed), 50, None).await?;
        Ok::<_, ApiError>((receivers, failed))
    }
    .await;
    let (receivers, failed) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(visitor.tr, Some(caller), e),
    };
    let receivers = receivers
        .into_iter()
        .map(|r| {
            let last_sent = r.stats.last_sent_at.map(local_time).unwrap_or_default();
            (r, last_sent)
        })
        .collect();
    let failures = failed
        .into_iter()
        .map(|n| FailureRow {
            alert_id: n.alert_id,
            receiver: n.receiver,
            event: match label(visitor.tr, &n.event) {
                "" => n.event.clone(),
                l => l.to_string(),
            },
            attempts: n.attempts,
            error: n.last_error.unwrap_or_default(),
            at: local_time(n.created_at),
        })
        .collect();
    render(ReceiversPage { page: visitor.page("receivers"), receivers, failures })
}

#[cfg(test)]
mod tests {
    use super::form_fields;

    #[test]
    fn repeated_ids_are_collected_and_junk_ignored() {
        let (fields, ids) = form_fields(b"csrf=abc&ids=3&ids=7&ids=x&action=claim&note=a+b");
        assert_eq!(ids, vec![3, 7]);
        assert!(fields.contains(&("note".into(), "a b".into())));
        assert!(fields.contains(&("action".into(), "claim".into())));
    }
}

#[derive(Deserialize)]
pub(super) struct SaveSearchForm {
    csrf: Option<String>,
    name: Option<String>,
    shared: Option<String>,
    q: Option<String>,
    source: Option<String>,
    lang: Option<String>,
    rule: Option<String>,
    tag: Option<String>,
    region: Option<String>,
    sentiment: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Save the search on the page for the team (or everyone), then show it again.
pub(super) async fn save_search(
    State(state): State<AppState>,
    visitor: Visitor,
    axum::Form(f): axum::Form<SaveSearchForm>,
) -> Response {
    let caller = &visitor.caller;
    let sentiment = f.sentiment.as_deref().and_then(|s| duluan_model::Label::from_str(s).ok());
    let body = api::SavedSearchBody {
        name: f.name.unwrap_or_default(),
        q: f.q.unwrap_or_default(),
        shared: f.shared.is_some(),
        source: f.source,
        lang: f.lang,
        rule: f.rule,
        tag: f.tag,
        region: f.region,
        sentiment,
        from: f.from,
        to: f.to,
    };
    let saved = async {
        caller.check_csrf(f.csrf.as_deref())?;
        let search = api::new_saved_search(caller, body)?;
        Ok::<_, ApiError>(state.store.create_saved_search(&search, Utc::now()).await?)
    }
    .await;
    match saved {
        Ok(s) => Redirect::to(&super::saved_search_href(&s)).into_response(),
        Err(e) => error_page(visitor.tr, Some(caller), e),
    }
}

/// A saved search as a rule draft, in plain text to paste into a pack.
pub(super) async fn saved_search_rule(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
) -> Response {
    let caller = &visitor.caller;
    let draft = async { api::rule_draft(&api::visible_search(&state, caller, id).await?) }.await;
    match draft {
        Ok(d) => {
            let notes: String = d.notes.iter().map(|n| format!("# Note: {n}\n")).collect();
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{notes}{}", d.toml)).into_response()
        }
        Err(e) => error_page(visitor.tr, Some(caller), e),
    }
}
