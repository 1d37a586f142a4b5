//! Searching: query text plus filters in, ranked hits, total count, facets and a date histogram out.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::aggregation::AggregationCollector;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use crate::snippet::QueryTerms;
use crate::{Error, Result, SearchIndex};

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

/// A search request.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// What the analyst typed; empty means everything.
    pub text: String,
    /// Only these sources.
    pub sources: Vec<String>,
    /// Only these languages.
    pub langs: Vec<String>,
    /// Only items flagged by these rules.
    pub rules: Vec<String>,
    /// Only items from sources with one of these tags.
    pub tags: Vec<String>,
    /// Only items from sources in one of these regions.
    pub regions: Vec<String>,
    /// Only this sentiment label.
    pub sentiment: Option<String>,
    /// Published at or after.
    pub from: Option<DateTime<Utc>>,
    /// Published before.
    pub to: Option<DateTime<Utc>>,
    /// Order.
    pub sort: Sort,
    /// Page size.
    pub limit: usize,
    /// Hits skipped.
    pub offset: usize,
    /// Also compute facets and a daily histogram.
    pub facets: bool,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Item id.
    pub id: String,
    /// Relevance score (0 when sorted by date).
    pub score: f32,
    /// Title.
    pub title: String,
    /// URL.
    pub url: String,
    /// Source id.
    pub source: String,
    /// Language.
    pub lang: String,
    /// Published (or fetched) time.
    pub published_at: Option<DateTime<Utc>>,
    /// Sentiment label.
    pub sentiment: String,
    /// Rules that flagged it.
    pub rules: Vec<String>,
    /// Story id.
    pub story: String,
}

/// A facet value and its count.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Facet {
    /// Value.
    pub value: String,
    /// Matching items with it.
    pub count: u64,
}

/// What a search found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResults {
    /// Items matching in total.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<Hit>,
    /// Facet name → values (when asked).
    pub facets: Vec<(String, Vec<Facet>)>,
    /// Day (start, UTC) → matching items (when asked).
    pub histogram: Vec<(DateTime<Utc>, u64)>,
    /// The words to highlight.
    #[serde(skip)]
    pub terms: QueryTerms,
}

/// Longest query accepted, in bytes.
const MAX_QUERY_BYTES: usize = 2000;

impl SearchIndex {
    /// Run a search.
    pub fn search(&self, q: &Query) -> Result<SearchResults> {
        check_length(q)?;
        let searcher = self.reader.searcher();
        let terms = QueryTerms::from_query(&q.text);
        let query = self.build_query(q)?;
        let limit = q.limit.clamp(1, 1000);
        let total = searcher.search(&query, &Count)?;
        let by_relevance = q.sort == Sort::Relevance && !q.text.trim().is_empty();
        let ranked: Vec<(f32, DocAddress)> = if by_relevance {
            searcher.search(&query, &TopDocs::with_limit(limit).and_offset(q.offset).order_by_score())?
        } else {
            let top = TopDocs::with_limit(limit)
                .and_offset(q.offset)
                .order_by_fast_field::<tantivy::DateTime>("published", Order::Desc);
            searcher.search(&query, &top)?.into_iter().map(|(_, a)| (0.0, a)).collect()
        };
        let mut hits = Vec::with_capacity(ranked.len());
        for (score, address) in ranked {
            hits.push(self.hit(&searcher, address, score)?);
        }
        let (facets, histogram) = if q.facets { self.facets(&searcher, &query)? } else { (Vec::new(), Vec::new()) };
        Ok(SearchResults { total, hits, facets, histogram, terms })
    }

    pub(crate) fn build_query(&self, q: &Query) -> Result<Box<dyn tantivy::query::Query>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn tantivy::query::Query>)> = Vec::new();
        let text = q.text.trim();
        if !text.is_empty() {
            // Written with diacritics: match them exactly; without: match folded text too.
            let fields = if has_diacritics(text) {
                vec![f.title_exact, f.body_exact]
            } else {
                vec![f.title_folded, f.body_folded]
            };
            let mut parser = QueryParser::for_index(&self.index, fields);
            parser.set_conjunction_by_default();
            parser.set_field_boost(f.title_exact, 2.0);
            parser.set_field_boost(f.title_folded, 2.0);
            let parsed = parser.parse_query(text).map_err(|e| Error::Query { offset: None, message: describe(&e) })?;
            clauses.push((Occur::Must, parsed));
        }
        let any_of = |field, values: &[String]| -> Option<Box<dyn tantivy::query::Query>> {
            if values.is_empty() {
                return None;
            }
            let terms: Vec<(Occur, Box<dyn tantivy::query::Query>)> = values
                .iter()
                .map(|v| {
                    let q: Box<dyn tantivy::query::Query> =
                        Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            Some(Box::new(BooleanQuery::new(terms)))
        };
        for filter in [
            any_of(f.source, &q.sources),
            any_of(f.lang, &q.langs),
            any_of(f.rules, &q.rules),
            any_of(f.tags, &q.tags),
            any_of(f.region, &q.regions),
        ]
        .into_iter()
        .flatten()
        {
            clauses.push((Occur::Must, filter));
        }
        if let Some(label) = &q.sentiment {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(f.sentiment, label), IndexRecordOption::Basic)),
            ));
        }
        if q.from.is_some() || q.to.is_some() {
            let bound = |t: Option<DateTime<Utc>>, inclusive: bool| match t {
                Some(t) => {
                    let term = Term::from_field_date_for_search(
                        f.published,
                        tantivy::DateTime::from_timestamp_millis(t.timestamp_millis()),
                    );
                    if inclusive { Bound::Included(term) } else { Bound::Excluded(term) }
                }
                None => Bound::Unbounded,
            };
            clauses.push((Occur::Must, Box::new(RangeQuery::new(bound(q.from, true), bound(q.to, false)))));
        }
        if clauses.is_empty() {
            return Ok(Box::new(AllQuery));
        }
        if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn hit(&self, searcher: &Searcher, address: DocAddress, score: f32) -> Result<Hit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        Ok(Hit {
            id: text(f.id),
            score,
            title: text(f.title_exact),
            url: text(f.url),
            source: text(f.source),
            lang: text(f.lang),
            published_at: doc
                .get_first(f.published)
                .and_then(|v| v.as_datetime())
                .and_then(|d| DateTime::from_timestamp_millis(d.into_timestamp_millis())),
            sentiment: text(f.sentiment),
            rules: doc.get_all(f.rules).filter_map(|v| v.as_str().map(str::to_string)).collect(),
            story: text(f.story),
        })
    }

    #[allow(clippy::type_complexity)]
    fn facets(
        &self,
        searcher: &Searcher,
        query: &dyn tantivy::query::Query,
    ) -> Result<(Vec<(String, Vec<Facet>)>, Vec<(DateTime<Utc>, u64)>)> {
        let request: Aggregations = serde_json::from_value(serde_json::json!({
            "source": {"terms": {"field": "source", "size": 20}},
            "lang": {"terms": {"field": "lang", "size": 10}},
            "sentiment": {"terms": {"field": "sentiment", "size": 3}},
            "rule": {"terms": {"field": "rule", "size": 20}},
            "tag": {"terms": {"field": "tag", "size": 20}},
            "day": {"date_histogram": {"field": "published", "fixed_interval": "1d"}}
        }))
        .map_err(|e| Error::Query { offset: None, message: format!("internal facet request: {e}") })?;
        let collector = AggregationCollector::from_aggs(request, Default::default());
        let results = searcher.search(query, &collector)?;
        let value = serde_json::to_value(&results).unwrap_or_default();
        let mut facets = Vec::new();
        for name in ["source", "lang", "sentiment", "rule", "tag"] {
            let buckets = value[name]["buckets"].as_array().cloned().unwrap_or_default();
            let values = buckets
                .iter()
                .filter_map(|b| Some(Facet { value: b["key"].as_str()?.to_string(), count: b["doc_count"].as_u64()? }))
                .collect();
            facets.push((name.to_string(), values));
        }
        let histogram = value["day"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|b| {
                let ms = b["key"].as_f64()? as i64;
                Some((DateTime::from_timestamp_millis(ms)?, b["doc_count"].as_u64()?))
            })
            .collect();
        Ok((facets, histogram))
    }
}

pub(crate) fn check_length(q: &Query) -> Result<()> {
    if q.text.len() > MAX_QUERY_BYTES {
        return Err(Error::Query {
            offset: Some(MAX_QUERY_BYTES),
            message: format!("query longer than {MAX_QUERY_BYTES} bytes"),
        });
    }
    Ok(())
}

fn has_diacritics(text: &str) -> bool {
    text.chars().any(|c| c.is_alphabetic() && !c.is_ascii())
}

fn describe(e: &tantivy::query::QueryParserError) -> String {
    use tantivy::query::QueryParserError::*;
    match e {
        SyntaxError(s) => format!("cannot read the query ({s}); check quotes and parentheses"),
        FieldDoesNotExist(f) => format!("unknown field `{f}:` (use source:, lang:, rule:, sentiment:, tag:)"),
        AllButQueryForbidden => "a query cannot consist only of excluded words; add a word to look for".into(),
        other => format!("cannot use this query: {other}"),
    }
}
