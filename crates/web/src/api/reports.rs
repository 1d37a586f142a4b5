//! Scheduled reports: the runs recorded by the scheduler and their stored outputs.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use duluan_store::{ReportDelivery, ReportRun};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{bounded, cursor, next_page};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};

/// `GET /api/reports` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Page size.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/reports` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportList {
    /// Newest first.
    pub reports: Vec<ReportRun>,
    /// Cursor of the next page.
    pub next: Option<String>,
}

/// Report runs, newest first: when each ran, for which period, and whether it succeeded.
#[utoipa::path(get, path = "/api/reports", tag = "reports", params(ReportParams),
    responses((status = 200, description = "Report runs", body = ReportList)),
    security(("bearer" = []), ("session" = [])))]
pub async fn reports(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<ReportList>, ApiError> {
    let limit = bounded("limit", params.limit, 50, 1, 200)?;
    let page = state.store.report_runs(limit + 1, cursor(&params.cursor)?).await?;
    let (reports, next) = next_page(page, limit, |r| r.id);
    Ok(Json(ReportList { reports, next }))
}

/// A report run with the addresses of its downloads.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportResponse {
    /// The run.
    #[serde(flatten)]
    pub run: ReportRun,
    /// One download per stored format.
    pub downloads: Vec<Download>,
    /// Its deliveries to the schedule's receivers, with their outcomes.
    pub deliveries: Vec<ReportDelivery>,
}

/// Where to fetch one format of a report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Download {
    /// `html`, `json` or `md`.
    pub format: String,
    /// Path of the download.
    pub url: String,
}

/// One report run.
#[utoipa::path(get, path = "/api/reports/{id}", tag = "reports",
    params(("id" = i64, Path, description = "Run id", minimum = 1)),
    responses((status = 200, description = "The run", body = ReportResponse),
              (status = 404, description = "No such run", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn report(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReportResponse>, ApiError> {
    let run = state.store.report_run(id).await?.ok_or_else(|| ApiError::not_found(format!("report {id} not found")))?;
    let downloads =
        run.formats.iter().map(|f| Download { format: f.clone(), url: format!("/api/reports/{id}/{f}") }).collect();
    let deliveries = state.store.report_deliveries(id).await?;
    Ok(Json(ReportResponse { run, downloads, deliveries }))
}

/// A stored report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// Self-contained page with SVG charts.
    Html,
    /// Every number.
    Json,
    /// Markdown.
    Md,
    /// The HTML page printed by headless Chromium.
    Pdf,
}

impl ReportFormat {
    fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Json => "json",
            ReportFormat::Md => "md",
            ReportFormat::Pdf => "pdf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Json => "application/json",
            ReportFormat::Md => "text/markdown; charset=utf-8",
            ReportFormat::Pdf => "application/pdf",
        }
    }
}

/// The report page may style itself inline but run nothing and load nothing.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

/// Download one format of a report run.
#[utoipa::path(get, path = "/api/reports/{id}/{format}", tag = "reports",
    params(("id" = i64, Path, description = "Run id", minimum = 1),
           ("format" = inline(ReportFormat), Path, description = "Format")),
    responses((status = 200, description = "The report",
                content((String = "text/html"), (String = "text/markdown"), (Object = "application/json"),
                        (String = "application/pdf"))),
              (status = 404, description = "No such run or format", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn report_file(
    State(state): State<AppState>,
    _caller: Caller,
    ApiPath((id, format)): ApiPath<(i64, ReportFormat)>,
) -> Result<Response, ApiError> {
    let content = state
        .store
        .report_file(id, format.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("report {id} has no {} output", format.as_str())))?;
    let mut response = match format {
        // Kept base64-encoded in the store's text column.
        ReportFormat::Pdf => base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|e| ApiError::internal(format!("stored PDF of report {id} is not base64: {e}")))?
            .into_response(),
        _ => content.into_response(),
    };
    let headers = response.headers_mut();
    if format == ReportFormat::Pdf
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"duluan-report-{id}.pdf\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(REPORT_CSP));
    Ok(response)
}
