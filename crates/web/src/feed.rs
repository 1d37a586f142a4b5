//! The Atom feed of a team queue, for RSS readers: `GET /feeds/{team}.atom?token=…` (or without
//! the `.atom`) with a read-only feed token (`POST /api/tokens {"kind": "feed"}`), since feed
//! readers cannot log in.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use duluan_model::{Alert, AlertState, Role};
use duluan_store::{AlertFilter, TokenKind};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Caller, Via, secret_hash};
use crate::error::ApiError;

/// Entries in the feed.
const ENTRIES: i64 = 50;

/// `?token=` of the feed.
#[derive(Debug, Deserialize)]
pub(crate) struct FeedParams {
    token: Option<String>,
}

/// The open alerts of a team queue as Atom.
pub(crate) async fn team_feed(
    State(state): State<AppState>,
    Path(team): Path<String>,
    Query(params): Query<FeedParams>,
) -> Result<Response, ApiError> {
    let token = params.token.filter(|t| !t.is_empty() && t.len() <= 200).ok_or_else(ApiError::unauthorized)?;
    let (user, id) = state
        .store
        .token_user(&secret_hash(&token), TokenKind::Feed, Utc::now())
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let caller = Caller { user, via: Via::Token { id } };
    if !caller.user.role.at_least(Role::Viewer) {
        return Err(ApiError::forbidden("this account cannot read queues"));
    }
    // `chung.atom` is the `chung` queue: the address the API documents, which read as a team
    // named `chung.atom` and gave an empty feed.
    let team = team.strip_suffix(".atom").map(str::to_string).unwrap_or(team);
    let team = crate::api::visible_team(&state, &caller, Some(team))?.unwrap_or_default();
    let filter = AlertFilter {
        states: vec![AlertState::New, AlertState::Claimed],
        team: Some(team.clone()),
        limit: ENTRIES,
        ..AlertFilter::default()
    };
    let alerts = state.store.alerts(&filter).await?;
    let body = atom(&state, &team, &alerts);
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response())
}

/// Escape text for XML element content and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn atom(state: &AppState, team: &str, alerts: &[Alert]) -> String {
    let base = state.config.server.public_url.trim_end_matches('/');
    let updated = alerts.iter().map(|a| a.last_seen_at).max().unwrap_or_else(Utc::now);
    let mut out = String::with_capacity(1024 + alerts.len() * 512);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "<title>duluan — {}</title>", xml(team));
    // Atom ids must be absolute IRIs; without a configured public URL, use a URN.
    let id_base = if base.is_empty() { "urn:duluan".to_string() } else { xml(base) };
    let _ = writeln!(out, "<id>{id_base}/feeds/{}</id>", xml(team));
    let _ = writeln!(out, "<link rel=\"alternate\" href=\"{}/alerts?team={}\"/>", xml(base), xml(team));
    let _ = writeln!(out, "<updated>{}</updated>", updated.to_rfc3339());
    out.push_str("<generator>duluan</generator>\n");
    for a in alerts {
        let title = format!("[{}] {} — {}", a.severity, a.title, state.rule_title(&a.rule, "vi"));
        let summary = format!(
            "{} · {} · {} item(s) · {}",
            a.rule,
            a.state,
            a.item_count,
            a.claimed_by.as_deref().map(|c| format!("claimed by {c}")).unwrap_or_else(|| "unclaimed".into())
        );
        out.push_str("<entry>\n");
        let _ = writeln!(out, "<id>{id_base}/alerts/{}</id>", a.id);
        let _ = writeln!(out, "<title>{}</title>", xml(&title));
        let _ = writeln!(out, "<link rel=\"alternate\" href=\"{}/alerts/{}\"/>", xml(base), a.id);
        let _ = writeln!(out, "<published>{}</published>", a.created_at.to_rfc3339());
        let _ = writeln!(out, "<updated>{}</updated>", a.last_seen_at.to_rfc3339());
        let _ = writeln!(out, "<category term=\"{}\"/>", xml(&a.rule));
        let _ = writeln!(out, "<summary>{}</summary>", xml(&summary));
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(xml("<b>\"a\" & 'b'</b>"), "&lt;b&gt;&quot;a&quot; &amp; &apos;b&apos;&lt;/b&gt;");
        assert_eq!(xml("a\u{1}b\nc"), "a\u{FFFD}b\nc");
    }
}
