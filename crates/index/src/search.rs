//! Searching: query text plus filters in, ranked hits, total count, facets and a date histogram out.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use duluan_text::{Analysis, View};
use serde::Serialize;
use tantivy::aggregation::AggregationCollector;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query as TQuery, RangeQuery, RegexQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use crate::snippet::QueryTerms;
use crate::syntax::{self, Expr, Filter, Scope};
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
    /// Hits skipped (rows, when collapsed).
    pub offset: usize,
    /// Continue from the `next` cursor of an earlier page (overrides `offset`).
    pub cursor: Option<String>,
    /// One row per story: its best hit, with the number of other matching items of the story.
    pub collapse: bool,
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
    /// Other items of the story that match too (collapsed searches only).
    pub similar: u64,
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
    /// Cursor of the next page, when there is one.
    pub next: Option<String>,
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
        let expr = syntax::parse(q.text.trim(), Utc::now())?;
        let query = self.build(&expr, q)?;
        let (searcher, offset) = match q.cursor.as_deref() {
            Some(cursor) => self.pins.resume(cursor, q, &self.reader)?,
            None => (self.reader.searcher(), q.offset),
        };
        if offset > MAX_OFFSET {
            // Also guards against forged cursors: tantivy sizes its heap by offset + limit.
            return Err(Error::Query {
                offset: None,
                message: format!("pages reach the first {MAX_OFFSET} results; narrow the search or export it"),
            });
        }
        let limit = q.limit.clamp(1, 1000);
        let by_relevance = q.sort == Sort::Relevance && !q.text.trim().is_empty();
        let (total, (rows, more)) = if q.collapse {
            (searcher.search(&query, &Count)?, self.collapsed(&searcher, &query, by_relevance, offset, limit)?)
        } else {
            let (total, mut rows) = if by_relevance && prunable(&expr) {
                (searcher.search(&query, &Count)?, ranked(&searcher, &query, by_relevance, limit + 1, offset)?)
            } else {
                counted_and_ranked(&searcher, &query, by_relevance, limit + 1, offset)?
            };
            let more = rows.len() > limit;
            rows.truncate(limit);
            (total, (rows, more))
        };
        let mut hits = Vec::with_capacity(rows.len());
        for (score, address) in rows {
            let mut hit = self.hit(&searcher, address, score)?;
            if q.collapse {
                hit.similar = self.story_matches(&searcher, &query, &hit.story)?.saturating_sub(1);
            }
            hits.push(hit);
        }
        let next = (more && offset + limit <= MAX_OFFSET).then(|| self.pins.cursor(&searcher, offset + limit, q));
        let (facets, histogram) = if q.facets { self.facets(&searcher, &query)? } else { (Vec::new(), Vec::new()) };
        Ok(SearchResults { total, hits, next, facets, histogram, terms: QueryTerms::from_expr(&expr) })
    }

    /// Rows `offset..offset + limit` with one row per story, and whether more follow. Reads the
    /// ranking in growing windows until enough distinct stories have been seen.
    fn collapsed(
        &self,
        searcher: &Searcher,
        query: &dyn TQuery,
        by_relevance: bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<(f32, DocAddress)>, bool)> {
        let want = offset + limit + 1;
        let mut window = want * 4;
        loop {
            let ranked = ranked(searcher, query, by_relevance, window, 0)?;
            let mut stories = StoryReader::new(searcher);
            let mut seen = std::collections::HashSet::new();
            let mut rows = Vec::with_capacity(want);
            for &(score, address) in &ranked {
                if seen.insert(stories.story(address)?) {
                    rows.push((score, address));
                    if rows.len() == want {
                        break;
                    }
                }
            }
            if rows.len() == want || ranked.len() < window || window >= MAX_COLLAPSE_WINDOW {
                let more = rows.len() == want;
                rows.truncate(offset + limit);
                return Ok((rows.split_off(offset.min(rows.len())), more));
            }
            window = (window * 4).min(MAX_COLLAPSE_WINDOW);
        }
    }

    /// Matching items of one story.
    fn story_matches(&self, searcher: &Searcher, query: &dyn TQuery, story: &str) -> Result<u64> {
        let in_story = TermQuery::new(Term::from_field_text(self.fields.story, story), IndexRecordOption::Basic);
        let both = BooleanQuery::new(vec![(Occur::Must, query.box_clone()), (Occur::Must, Box::new(in_story))]);
        Ok(searcher.search(&both, &Count)? as u64)
    }

    /// The tantivy query for a request: its text and its filters.
    pub(crate) fn build_query(&self, q: &Query) -> Result<Box<dyn TQuery>> {
        let expr = syntax::parse(q.text.trim(), Utc::now())?;
        self.build(&expr, q)
    }

    pub(crate) fn build(&self, expr: &Expr, q: &Query) -> Result<Box<dyn TQuery>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn TQuery>)> = Vec::new();
        if let Some(text) = self.compile(expr)? {
            clauses.push((Occur::Must, text));
        }
        let any_of = |field, values: &[String]| -> Option<Box<dyn TQuery>> {
            if values.is_empty() {
                return None;
            }
            let terms: Vec<(Occur, Box<dyn TQuery>)> = values
                .iter()
                .map(|v| {
                    let q: Box<dyn TQuery> =
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
            clauses.push((Occur::Must, self.date_range(q.from, q.to)));
        }
        Ok(boolean(clauses).unwrap_or_else(|| Box::new(AllQuery)))
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
            similar: 0,
        })
    }

    #[allow(clippy::type_complexity)]
    fn facets(
        &self,
        searcher: &Searcher,
        query: &dyn TQuery,
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

impl SearchIndex {
    /// The tantivy query for a parsed expression; `None` when it constrains nothing (the empty
    /// query, or a word that is only punctuation).
    fn compile(&self, e: &Expr) -> Result<Option<Box<dyn TQuery>>> {
        Ok(match e {
            Expr::All => None,
            Expr::Text { text, scope, prefix } => self.text_query(text, *scope, *prefix)?,
            Expr::Filter { filter, value } => Some(Box::new(TermQuery::new(
                Term::from_field_text(self.filter_field(*filter), value),
                IndexRecordOption::Basic,
            ))),
            Expr::Date { from, to } => Some(self.date_range(*from, *to)),
            Expr::And(items) => {
                let mut clauses = Vec::new();
                for item in items {
                    let (occur, inner) = match item {
                        Expr::Not(inner) => (Occur::MustNot, inner.as_ref()),
                        other => (Occur::Must, other),
                    };
                    if let Some(q) = self.compile(inner)? {
                        clauses.push((occur, q));
                    }
                }
                boolean(clauses)
            }
            Expr::Or(items) => {
                let mut clauses = Vec::new();
                for item in items {
                    if let Some(q) = self.compile(item)? {
                        clauses.push((Occur::Should, q));
                    }
                }
                boolean(clauses)
            }
            Expr::Not(inner) => self.compile(inner)?.and_then(|q| boolean(vec![(Occur::MustNot, q)])),
        })
    }

    /// A word or phrase in the view its spelling asks for: with diacritics, exact; without,
    /// folded (so `khau trang` finds `khẩu trang`, while `"khẩu trang"` does not find `khau trang`).
    fn text_query(&self, text: &str, scope: Scope, prefix: bool) -> Result<Option<Box<dyn TQuery>>> {
        let f = &self.fields;
        let view = syntax::view_of(text);
        let a = Analysis::new(text);
        let tokens: Vec<&str> = (0..a.len()).map(|i| a.token(view, i)).collect();
        if tokens.is_empty() {
            return Ok(None);
        }
        let (title, body) = match view {
            View::Exact => (f.title_exact, f.body_exact),
            _ => (f.title_folded, f.body_folded),
        };
        let fields: &[(Field, f32)] = match scope {
            Scope::Any => &[(title, TITLE_BOOST), (body, 1.0)],
            Scope::Title => &[(title, 1.0)],
            Scope::Body => &[(body, 1.0)],
        };
        let mut clauses = Vec::new();
        for &(field, boost) in fields {
            let q = field_query(field, &tokens, prefix)?;
            let q: Box<dyn TQuery> = if boost == 1.0 { q } else { Box::new(BoostQuery::new(q, boost)) };
            clauses.push((Occur::Should, q));
        }
        Ok(boolean(clauses))
    }

    fn filter_field(&self, filter: Filter) -> Field {
        let f = &self.fields;
        match filter {
            Filter::Source => f.source,
            Filter::Lang => f.lang,
            Filter::Rule => f.rules,
            Filter::Tag => f.tags,
            Filter::Region => f.region,
            Filter::Sentiment => f.sentiment,
            Filter::Severity => f.severity,
            Filter::Story => f.story,
        }
    }

    pub(crate) fn date_range(&self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Box<dyn TQuery> {
        let field = self.fields.published;
        let bound = |t: Option<DateTime<Utc>>, inclusive: bool| match t {
            Some(t) => {
                let term = Term::from_field_date_for_search(
                    field,
                    tantivy::DateTime::from_timestamp_millis(t.timestamp_millis()),
                );
                if inclusive { Bound::Included(term) } else { Bound::Excluded(term) }
            }
            None => Bound::Unbounded,
        };
        Box::new(RangeQuery::new(bound(from, true), bound(to, false)))
    }
}

/// Deepest result reachable by paging; exports reach everything.
const MAX_OFFSET: usize = 10_000;

/// Most ranked items read to find a page of distinct stories.
const MAX_COLLAPSE_WINDOW: usize = 100_000;

/// The top `limit` items after `offset`, by relevance or newest first.
fn ranked(
    searcher: &Searcher,
    query: &dyn TQuery,
    by_relevance: bool,
    limit: usize,
    offset: usize,
) -> Result<Vec<(f32, DocAddress)>> {
    Ok(if by_relevance {
        searcher.search(query, &TopDocs::with_limit(limit).and_offset(offset).order_by_score())?
    } else {
        searcher.search(query, &newest_first(limit, offset))?.into_iter().map(|(_, a)| (0.0, a)).collect()
    })
}

/// The top `limit` after `offset`, newest first.
fn newest_first(
    limit: usize,
    offset: usize,
) -> impl tantivy::collector::Collector<Fruit = Vec<(Option<tantivy::DateTime>, DocAddress)>> {
    TopDocs::with_limit(limit).and_offset(offset).order_by_fast_field::<tantivy::DateTime>("published", Order::Desc)
}

/// Whether ranking by relevance can skip most matches (tantivy's block-max WAND works on unions
/// of terms: one word, or words joined by OR). Then counting apart and ranking apart is cheapest;
/// otherwise (intersections, phrases, date order) every match is visited to rank it, and one pass
/// that counts while it ranks halves the work.
fn prunable(expr: &Expr) -> bool {
    match expr {
        Expr::Text { text, prefix: false, .. } => Analysis::new(text).len() <= 1,
        Expr::Or(items) => items.iter().all(prunable),
        _ => false,
    }
}

/// The total and the top `limit` after `offset`, in one pass over the matches.
fn counted_and_ranked(
    searcher: &Searcher,
    query: &dyn TQuery,
    by_relevance: bool,
    limit: usize,
    offset: usize,
) -> Result<(usize, Vec<(f32, DocAddress)>)> {
    Ok(if by_relevance {
        searcher.search(query, &(Count, TopDocs::with_limit(limit).and_offset(offset).order_by_score()))?
    } else {
        let (total, top) = searcher.search(query, &(Count, newest_first(limit, offset)))?;
        (total, top.into_iter().map(|(_, a)| (0.0, a)).collect())
    })
}

/// Story ids of hits, read from the fast field (one column per segment, opened once).
struct StoryReader<'a> {
    searcher: &'a Searcher,
    columns: std::collections::HashMap<u32, Option<tantivy::columnar::StrColumn>>,
}

impl<'a> StoryReader<'a> {
    fn new(searcher: &'a Searcher) -> StoryReader<'a> {
        StoryReader { searcher, columns: Default::default() }
    }

    fn story(&mut self, address: DocAddress) -> Result<String> {
        let column = match self.columns.entry(address.segment_ord) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let reader = self.searcher.segment_reader(address.segment_ord);
                e.insert(reader.fast_fields().str("story")?)
            }
        };
        let mut story = String::new();
        if let Some(column) = column
            && let Some(ord) = column.term_ords(address.doc_id).next()
        {
            column.ord_to_str(ord, &mut story).map_err(tantivy::TantivyError::from)?;
        }
        Ok(story)
    }
}

/// How much more a title match weighs than a text match.
const TITLE_BOOST: f32 = 2.0;

/// Most index terms a trailing wildcard expands to.
const MAX_EXPANSIONS: u32 = 200;

/// One field: a term, a prefix, a phrase or a phrase ending in a prefix.
fn field_query(field: Field, tokens: &[&str], prefix: bool) -> Result<Box<dyn TQuery>> {
    let terms: Vec<Term> = tokens.iter().map(|t| Term::from_field_text(field, t)).collect();
    Ok(match (terms.len(), prefix) {
        (1, false) => Box::new(TermQuery::new(terms[0].clone(), IndexRecordOption::WithFreqs)),
        (1, true) => Box::new(RegexQuery::from_pattern(&format!("{}.*", regex_escape(tokens[0])), field)?),
        (_, false) => Box::new(PhraseQuery::new(terms)),
        (_, true) => {
            let mut q = PhrasePrefixQuery::new(terms);
            q.set_max_expansions(MAX_EXPANSIONS);
            Box::new(q)
        }
    })
}

fn regex_escape(token: &str) -> String {
    let mut out = String::with_capacity(token.len() + 4);
    for c in token.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A boolean query of `clauses`, `None` when there are none; only exclusions get "everything" to
/// exclude from.
fn boolean(mut clauses: Vec<(Occur, Box<dyn TQuery>)>) -> Option<Box<dyn TQuery>> {
    if clauses.is_empty() {
        return None;
    }
    if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    if clauses.len() == 1 && clauses[0].0 != Occur::MustNot {
        return clauses.pop().map(|(_, q)| q);
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}
