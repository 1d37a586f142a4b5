//! The audit log of every action taken through duluan, refused ones included (admins).

use axum::Json;
use axum::extract::State;
use duluan_model::AuditEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bounded, cursor, next_page};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// Longest action name accepted as a filter.
const MAX_ACTION: usize = 64;

/// `GET /api/audit` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this action: `denied` (refused requests), `claim`, `verdict`, `raised`, ...
    pub action: Option<String>,
    /// Entries per page (1–200, default 50).
    pub limit: Option<i64>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/audit` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditList {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// Cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// The audit log, newest first: triage actions, silences, and every refused request with who
/// tried what and why it was refused.
#[utoipa::path(get, path = "/api/audit", tag = "operations", params(AuditParams),
    responses((status = 200, description = "Audit entries", body = AuditList),
              (status = 403, description = "Needs the admin role", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditList>, ApiError> {
    let limit = bounded("limit", params.limit, 50, 1, 200)?;
    let action = params.action.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if action.is_some_and(|a| a.len() > MAX_ACTION) {
        return Err(ApiError::bad_request(format!("`action` is at most {MAX_ACTION} bytes")));
    }
    let fetch = u32::try_from(limit + 1).unwrap_or(201);
    let page = state.store.audit_log(cursor(&params.cursor)?, action, fetch).await?;
    let (entries, next) = next_page(page, limit, |e| e.id);
    Ok(Json(AuditList { entries, next }))
}
