//! Search, coverage over time and exports: `/api/search`, `/api/search/histogram`,
//! `/api/search/export`. The three share the query text and filters; the query language is
//! described in [`duluan_index::syntax`].

use std::convert::Infallible;
use std::io::Write;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use duluan_index::{Bucket, ExportFormat, ExportWriter, Interval, Query, Sort};
use duluan_model::{AuditEvent, Label};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc};
use utoipa::{IntoParams, ToSchema};

use super::{bounded, date_bound, list};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

/// Longest accepted query text, in bytes.
pub const MAX_QUERY_BYTES: usize = 2000;

/// Most queries compared on one histogram.
pub const MAX_COMPARED: usize = 5;

/// Exports running at once; more wait for [`EXPORT_WAIT`] and are then refused with 429.
static EXPORTS: Semaphore = Semaphore::const_new(4);
const EXPORT_WAIT: Duration = Duration::from_secs(5);

/// Bytes gathered before a piece of an export is sent.
const EXPORT_CHUNK: usize = 64 * 1024;

/// A parameter struct with the query text and filters every search operation takes, plus its
/// own fields (one list of filters, documented once).
macro_rules! with_filters {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Query: words, "phrases", AND/OR/NOT (VÀ/HOẶC/KHÔNG), parentheses, -word, `title:`
            /// and `text:` scopes, filters (`source:`, `lang:`, `rule:`, `tag:`, `region:`,
            /// `sentiment:`, `severity:`, `story:`), dates (`date:2021-12-01..2021-12-31`,
            /// `date:7d`), trailing wildcards (`vắc*`). Words without diacritics also match text
            /// written with them.
            #[param(max_length = 2000)]
            pub q: Option<String>,
            /// From date (`YYYY-MM-DD`, Vietnam time, or RFC 3339), inclusive.
            pub from: Option<String>,
            /// To date: a `YYYY-MM-DD` day is included; an RFC 3339 time is exclusive.
            pub to: Option<String>,
            /// Source id (comma-separated for several).
            pub source: Option<String>,
            /// Language code(s), comma-separated.
            pub lang: Option<String>,
            /// Rule id(s), comma-separated.
            pub rule: Option<String>,
            /// Source tag(s), comma-separated.
            pub tag: Option<String>,
            /// Region(s) of the sources, comma-separated.
            pub region: Option<String>,
            /// Only this sentiment.
            #[param(inline)]
            pub sentiment: Option<Label>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// The query text and filters as an index query (first page, default order).
            fn filtered(&self, text: Option<&str>) -> Result<Query, ApiError> {
                filtered(text.or(self.q.as_deref()), &Filters {
                    from: &self.from,
                    to: &self.to,
                    source: &self.source,
                    lang: &self.lang,
                    rule: &self.rule,
                    tag: &self.tag,
                    region: &self.region,
                    sentiment: self.sentiment,
                })
            }
        }
    };
}

with_filters!(
    /// `GET /api/search` parameters.
    SearchParams {
        /// Order: `relevance` (default) or `date` (newest first).
        #[param(inline)]
        sort: Option<Sort>,
        /// Page size.
        #[param(minimum = 1, maximum = 100)]
        limit: Option<i64>,
        /// Hits (rows, when collapsed) to skip; `cursor` is the stable way to page.
        #[param(minimum = 0, maximum = 10000)]
        offset: Option<i64>,
        /// The `next` value of the previous page: the same snapshot of the index, so pages neither
        /// repeat nor skip items while new ones arrive.
        #[param(max_length = 200)]
        cursor: Option<String>,
        /// One row per story (its best hit, with how many similar items matched too).
        collapse: Option<bool>,
        /// Also return facets and a daily histogram.
        facets: Option<bool>,
    }
);

with_filters!(
    /// `GET /api/search/histogram` parameters: `q` and up to four more queries to compare.
    HistogramParams {
        /// A second query to compare (same filters).
        #[param(max_length = 2000)]
        q2: Option<String>,
        /// A third query to compare.
        #[param(max_length = 2000)]
        q3: Option<String>,
        /// A fourth query to compare.
        #[param(max_length = 2000)]
        q4: Option<String>,
        /// A fifth query to compare.
        #[param(max_length = 2000)]
        q5: Option<String>,
        /// Bucket width: `day` (default), `week` (from Monday) or `month`, in Vietnam time.
        #[param(inline)]
        interval: Option<Interval>,
    }
);

with_filters!(
    /// `GET /api/search/export` parameters.
    ExportParams {
        /// `csv` (default; UTF-8 with BOM for Excel), `json` (one array) or `ndjson`.
        #[param(inline)]
        format: Option<ExportFormat>,
    }
);

/// The filters shared by every search operation, borrowed from its parameters.
struct Filters<'a> {
    from: &'a Option<String>,
    to: &'a Option<String>,
    source: &'a Option<String>,
    lang: &'a Option<String>,
    rule: &'a Option<String>,
    tag: &'a Option<String>,
    region: &'a Option<String>,
    sentiment: Option<Label>,
}

fn filtered(text: Option<&str>, f: &Filters<'_>) -> Result<Query, ApiError> {
    let text = text.unwrap_or_default().to_string();
    if text.len() > MAX_QUERY_BYTES {
        return Err(ApiError::bad_request(format!("a query is longer than {MAX_QUERY_BYTES} bytes")));
    }
    Ok(Query {
        text,
        sources: list(f.source),
        langs: list(f.lang),
        rules: list(f.rule),
        tags: list(f.tag),
        regions: list(f.region),
        sentiment: f.sentiment.map(|l| l.as_str().to_string()),
        from: f.from.as_deref().map(|d| date_bound(d, false)).transpose()?,
        to: f.to.as_deref().map(|d| date_bound(d, true)).transpose()?,
        ..Query::default()
    })
}

impl SearchParams {
    /// The index query these parameters describe; out-of-range values are refused, not clamped.
    pub fn to_query(&self) -> Result<Query, ApiError> {
        Ok(Query {
            sort: self.sort.unwrap_or_default(),
            limit: bounded("limit", self.limit, 20, 1, 100)? as usize,
            offset: bounded("offset", self.offset, 0, 0, 10_000)? as usize,
            cursor: self.cursor.clone().filter(|c| !c.is_empty()),
            collapse: self.collapse.unwrap_or(false),
            facets: self.facets.unwrap_or(false),
            ..self.filtered(None)?
        })
    }
}

/// One search hit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// Item id.
    pub id: String,
    /// URL.
    pub url: String,
    /// Title.
    pub title: String,
    /// Text around the matches (plain text).
    pub snippet: String,
    /// The snippet cut into highlighted and plain parts.
    pub snippet_parts: Vec<duluan_index::Fragment>,
    /// Source id.
    pub source: String,
    /// Publication (or fetch) time.
    pub published_at: Option<DateTime<Utc>>,
    /// Language.
    pub lang: String,
    /// Sentiment label.
    pub sentiment: String,
    /// Rules that flagged it.
    pub rules: Vec<String>,
    /// Story id.
    pub story: String,
    /// Other items of its story that match too (when collapsed; 0 otherwise).
    pub similar: u64,
}

/// Counts of one facet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetGroup {
    /// Facet name: `source`, `lang`, `sentiment`, `rule`, `tag`.
    pub name: String,
    /// Values with their counts, most frequent first.
    pub values: Vec<duluan_index::Facet>,
}

/// Matching items on one day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayCount {
    /// Start of the day (UTC).
    pub day: DateTime<Utc>,
    /// Matching items.
    pub count: u64,
}

/// `GET /api/search` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Matching items in total.
    pub total: u64,
    /// This page.
    pub hits: Vec<SearchHit>,
    /// Cursor of the next page (pass it as `cursor`), absent on the last page.
    pub next: Option<String>,
    /// Facets (empty unless `facets=true`).
    pub facets: Vec<FacetGroup>,
    /// Items per day (empty unless `facets=true`).
    pub histogram: Vec<DayCount>,
}

/// Run a search and build snippets from the stored text.
pub async fn run_search(state: &AppState, params: &SearchParams) -> Result<SearchResponse, ApiError> {
    let query = params.to_query()?;
    let index = state.index.clone();
    let results = tokio::task::spawn_blocking(move || index.search(&query)).await.map_err(ApiError::internal)??;
    let mut hits = Vec::with_capacity(results.hits.len());
    for hit in results.hits {
        let text = state.store.item(&hit.id).await?.map(|i| i.text).unwrap_or_default();
        let parts = duluan_index::snippet(&text, &results.terms, 220);
        hits.push(SearchHit {
            snippet: parts.iter().map(|p| p.text.as_str()).collect(),
            snippet_parts: parts,
            id: hit.id,
            url: hit.url,
            title: hit.title,
            source: hit.source,
            published_at: hit.published_at,
            lang: hit.lang,
            sentiment: hit.sentiment,
            rules: hit.rules,
            story: hit.story,
            similar: hit.similar,
        });
    }
    Ok(SearchResponse {
        total: results.total as u64,
        hits,
        next: results.next,
        facets: results.facets.into_iter().map(|(name, values)| FacetGroup { name, values }).collect(),
        histogram: results.histogram.into_iter().map(|(day, count)| DayCount { day, count }).collect(),
    })
}

/// Search the collected items.
#[utoipa::path(get, path = "/api/search", tag = "search", params(SearchParams),
    responses((status = 200, description = "Matching items", body = SearchResponse)),
    security(("bearer" = []), ("session" = [])))]
pub async fn search(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    Ok(Json(run_search(&state, &params).await?))
}

/// One bucket of a coverage series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageBucket {
    /// First day of the bucket (Vietnam time).
    pub start: NaiveDate,
    /// Items the query matched.
    pub items: u64,
    /// Items of the collection it is measured against: the same filters without the words.
    pub all: u64,
    /// `items / all` (0 when the collection is empty there).
    pub share: f64,
}

/// One query's coverage over time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageSeries {
    /// The query.
    pub query: String,
    /// Items it matched in all.
    pub total: u64,
    /// One bucket per interval; every series of a response has the same buckets.
    pub buckets: Vec<CoverageBucket>,
}

/// `GET /api/search/histogram` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistogramResponse {
    /// Bucket width.
    pub interval: Interval,
    /// One series per query, in the order asked.
    pub series: Vec<CoverageSeries>,
}

impl HistogramParams {
    /// The queries to chart: `q` (empty: everything) and the non-empty compared ones.
    fn queries(&self) -> Vec<String> {
        let first = self.q.clone().unwrap_or_default();
        let more = [&self.q2, &self.q3, &self.q4, &self.q5].into_iter().flatten().filter(|q| !q.trim().is_empty());
        std::iter::once(first).chain(more.cloned()).take(MAX_COMPARED).collect()
    }
}

/// Coverage of up to five queries over time.
pub async fn coverage(state: &AppState, params: &HistogramParams) -> Result<HistogramResponse, ApiError> {
    let interval = params.interval.unwrap_or_default();
    let mut queries = Vec::new();
    for text in params.queries() {
        queries.push((text.clone(), params.filtered(Some(&text))?));
    }
    let index = state.index.clone();
    let offset = duluan_text::vietnam().local_minus_utc();
    let histograms = tokio::task::spawn_blocking(move || {
        queries
            .into_iter()
            .map(|(text, q)| index.histogram(&q, interval, offset).map(|b| (text, b)))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HistogramResponse { interval, series: aligned(histograms) })
}

/// Series with the same buckets: the union of every series' buckets, zeros where one had none.
fn aligned(histograms: Vec<(String, Vec<Bucket>)>) -> Vec<CoverageSeries> {
    let starts: std::collections::BTreeSet<NaiveDate> =
        histograms.iter().flat_map(|(_, b)| b.iter().map(|b| b.start)).collect();
    histograms
        .into_iter()
        .map(|(query, buckets)| {
            let by_start: std::collections::HashMap<NaiveDate, Bucket> =
                buckets.into_iter().map(|b| (b.start, b)).collect();
            let buckets: Vec<CoverageBucket> = starts
                .iter()
                .map(|&start| {
                    let b = by_start.get(&start).copied().unwrap_or(Bucket { start, items: 0, all: 0 });
                    CoverageBucket { start, items: b.items, all: b.all, share: b.share() }
                })
                .collect();
            CoverageSeries { query, total: buckets.iter().map(|b| b.items).sum(), buckets }
        })
        .collect()
}

/// Coverage over time: items per day, week or month for up to five queries, each next to the
/// size of its collection (share of coverage), on the same buckets.
#[utoipa::path(get, path = "/api/search/histogram", tag = "search", params(HistogramParams),
    responses((status = 200, description = "One series per query", body = HistogramResponse)),
    security(("bearer" = []), ("session" = [])))]
pub async fn search_histogram(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(params): ApiQuery<HistogramParams>,
) -> Result<Json<HistogramResponse>, ApiError> {
    Ok(Json(coverage(&state, &params).await?))
}

/// Every item a search matches, streamed as CSV, JSON or NDJSON (no size limit; memory stays
/// flat). Rows come in index order (about the order of collection).
#[utoipa::path(get, path = "/api/search/export", tag = "search", params(ExportParams),
    responses(
        (status = 200, description = "The result set as a download",
            content((Vec<duluan_index::ExportRow> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 429, description = "Too many exports running; try again shortly", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn search_export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let query = params.filtered(None)?;
    let format = params.format.unwrap_or_default();
    // Parse now, so a bad query is a 400 rather than a broken download.
    duluan_index::syntax::parse(query.text.trim(), Utc::now()).map_err(duluan_index::Error::from)?;
    let permit = tokio::time::timeout(EXPORT_WAIT, EXPORTS.acquire())
        .await
        .map_err(|_| ApiError::too_many(EXPORT_WAIT.as_secs()))?
        .map_err(ApiError::internal)?;
    let event = AuditEvent {
        who: caller.user.name.clone(),
        at: Utc::now(),
        action: "export".into(),
        before: None,
        after: None,
        detail: Some(format!("{}: {}", format.extension(), query.text)),
    };
    state.store.audit_event(None, &event).await?;
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let index = state.index.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        stream_export(&index, &query, format, tx);
    });
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), rx))
    }));
    let name = format!("duluan-search-{}.{}", Utc::now().format("%Y%m%d-%H%M"), format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}

/// Sends pieces of the export down `tx`; stops when the client goes away (the send fails).
struct Chunks {
    buf: Vec<u8>,
    tx: mpsc::Sender<Bytes>,
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= EXPORT_CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(EXPORT_CHUNK)));
        self.tx.blocking_send(chunk).map_err(|_| std::io::Error::other("the client went away"))
    }
}

fn stream_export(index: &duluan_index::SearchIndex, query: &Query, format: ExportFormat, tx: mpsc::Sender<Bytes>) {
    let span = tracing::info_span!("export", format = format.extension(), query = %query.text);
    let _entered = span.enter();
    let chunks = Chunks { buf: Vec::with_capacity(EXPORT_CHUNK), tx };
    let Ok(mut out) = ExportWriter::new(chunks, format) else { return };
    let result = index.export(query, |row| out.row(&row).is_ok());
    let rows = out.rows();
    match (result, out.finish()) {
        (Ok(_), Ok(_)) => tracing::info!(rows, "export sent"),
        // The body is already under way: all that can be done is to cut it short, which the
        // client sees as an incomplete download, and to log why.
        (Err(e), _) => tracing::error!(error = %e, rows, "export failed"),
        (_, Err(e)) => tracing::info!(error = %e, rows, "export stopped"),
    }
}
