//! The search index: a tantivy index derived from the store.
//!
//! Takes stored [`Item`](duluan_model::Item)s and makes them searchable: exact and folded views of
//! title and body (Vietnamese syllable analyzers from `duluan-text`), filters and facets on
//! source, language, sentiment, rules, tags and dates. Each commit records the store's outbox
//! sequence number it covers, so after a crash the index catches up from the store and re-indexing
//! is idempotent (documents are upserted by item id). The index is never the source of truth: a
//! missing, corrupt or outdated index is rebuilt from the store.

mod cursor;
mod export;
mod histogram;
mod merge;
mod rule_hits;
mod schema;
mod search;
mod snippet;
mod stats;
pub mod syntax;
mod writer;

pub use export::{ExportFormat, ExportRow, ExportWriter, csv_cell};
pub use histogram::{Bucket, Interval};
pub use rule_hits::RuleHits;
pub use schema::SCHEMA_VERSION;
pub use search::{Facet, Hit, Query, SearchResults, Sort};
pub use snippet::{Fragment, QueryTerms, snippet};
pub use stats::{Aggregate, DayCounts, STORIES_PER_SEGMENT, Sample, SampleText, StoryCount, StorySummary};
pub use writer::{IndexWriterHandle, WriterOptions};

use std::path::{Path, PathBuf};

use tantivy::{Index, IndexReader, ReloadPolicy};

use crate::schema::Fields;

/// Errors from the index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Tantivy failed (I/O, corruption, lock).
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Filesystem problem around the index directory.
    #[error("index directory {}: {source}", path.display())]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The query could not be understood.
    #[error("{message}")]
    Query {
        /// Byte offset in the query, when known.
        offset: Option<usize>,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl From<syntax::SyntaxError> for Error {
    fn from(e: syntax::SyntaxError) -> Error {
        Error::Query { offset: Some(e.offset), message: e.to_string() }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// How the index directory was found when opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenState {
    /// It existed with the current schema.
    Existing,
    /// There was none: it is new and empty.
    Created,
    /// It was missing pieces, corrupt or of another schema version: it was wiped and is empty.
    Reset(String),
}

/// An open index: schema, reader, and the means to search it.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    pins: std::sync::Arc<cursor::Pins>,
    fields: Fields,
    dir: PathBuf,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("dir", &self.dir).finish()
    }
}

const VERSION_FILE: &str = "duluan-index.json";

impl SearchIndex {
    /// Open the index in `dir`, creating it if absent and resetting it if it is unreadable or of
    /// another schema version (the caller then rebuilds it from the store).
    pub fn open(dir: &Path) -> Result<(SearchIndex, OpenState)> {
        let io = |source| Error::Io { path: dir.to_path_buf(), source };
        let version_path = dir.join(VERSION_FILE);
        let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(true);
        let state = if !dir.join("meta.json").exists() {
            // An empty directory (made by hand, or a mount point) is a new index, not a broken one.
            if empty { OpenState::Created } else { OpenState::Reset("index files missing".into()) }
        } else {
            match std::fs::read_to_string(&version_path) {
                Ok(v) if v.trim() == schema::version_json() => OpenState::Existing,
                Ok(v) => OpenState::Reset(format!("schema changed ({} → {})", v.trim(), schema::version_json())),
                Err(_) => OpenState::Reset("schema version unknown".into()),
            }
        };
        if let OpenState::Existing = state {
            match SearchIndex::open_existing(dir) {
                Ok(index) => return Ok((index, state)),
                Err(e) => {
                    tracing::warn!(error = %e, dir = %dir.display(), "index unreadable, rebuilding");
                    // The unreadable files must go first: tantivy refuses to create over them.
                    std::fs::remove_dir_all(dir).map_err(io)?;
                    return SearchIndex::create(dir, OpenState::Reset(format!("unreadable: {e}")));
                }
            }
        }
        if matches!(state, OpenState::Reset(_)) {
            std::fs::remove_dir_all(dir).map_err(io)?;
        }
        SearchIndex::create(dir, state)
    }

    /// Open an existing index for reading only; never creates or resets it.
    pub fn open_read_only(dir: &Path) -> Result<SearchIndex> {
        match std::fs::read_to_string(dir.join(VERSION_FILE)) {
            Ok(v) if v.trim() == schema::version_json() => SearchIndex::open_existing(dir),
            Ok(_) => Err(Error::Io {
                path: dir.to_path_buf(),
                source: std::io::Error::other("the index has another schema version; run `duluan reindex`"),
            }),
            Err(source) => Err(Error::Io { path: dir.to_path_buf(), source }),
        }
    }

    fn open_existing(dir: &Path) -> Result<SearchIndex> {
        let index = Index::open_in_dir(dir)?;
        let fields = Fields::from_schema(&index.schema())?;
        SearchIndex::finish(index, fields, dir)
    }

    fn create(dir: &Path, state: OpenState) -> Result<(SearchIndex, OpenState)> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        let (schema, fields) = schema::build();
        let index = Index::create_in_dir(dir, schema)?;
        std::fs::write(dir.join(VERSION_FILE), schema::version_json())
            .map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        Ok((SearchIndex::finish(index, fields, dir)?, state))
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        SearchIndex::finish(index, fields, Path::new(":memory:"))
    }

    fn finish(index: Index, fields: Fields, dir: &Path) -> Result<SearchIndex> {
        schema::register_analyzers(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { index, reader, fields, dir: dir.to_path_buf(), pins: Default::default() })
    }

    /// The store outbox sequence number the last commit covers (0 for a new index).
    pub fn committed_seq(&self) -> Result<i64> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.as_deref().and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Make the latest commit visible to searches.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    /// Start the single writer of this index, with `memory_bytes` of buffer and the default
    /// merge cap.
    pub fn writer(&self, memory_bytes: usize) -> Result<IndexWriterHandle> {
        self.writer_with(WriterOptions::with_memory(memory_bytes))
    }

    /// Start the single writer of this index.
    pub fn writer_with(&self, options: WriterOptions) -> Result<IndexWriterHandle> {
        IndexWriterHandle::new(self, options)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use duluan_model::{Item, Label, Sentiment};

    /// An item published on day `day` of November 2026 at 08:00 UTC.
    pub(crate) fn item(id: &str, title: &str, text: &str, source: &str, day: u32) -> Item {
        let at = Utc.with_ymd_and_hms(2026, 11, day, 8, 0, 0).single().unwrap_or_else(Utc::now);
        Item {
            id: id.into(),
            url: format!("https://e.example/{id}"),
            canonical_url: format!("https://e.example/{id}"),
            source_id: source.into(),
            source_tags: vec!["news".into()],
            region: None,
            title: title.into(),
            text: text.into(),
            lang: "vi".into(),
            published_at: Some(at),
            fetched_at: at,
            content_hash: id.into(),
            simhash: 0,
            story_id: id.into(),
            sentiment: Sentiment { score: -0.4, label: Label::Negative, terms: vec![] },
            flags: vec![],
        }
    }

    fn search(index: &SearchIndex, text: &str) -> Vec<String> {
        let q = Query { text: text.into(), limit: 10, ..Query::default() };
        let mut ids: Vec<String> = index.search(&q).expect("search").hits.into_iter().map(|h| h.id).collect();
        ids.sort();
        ids
    }

    #[test]
    fn index_search_filters_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("index");
        let (index, state) = SearchIndex::open(&path).expect("open");
        assert_eq!(state, OpenState::Created);
        let mut w = index.writer(20_000_000).expect("writer");
        w.upsert(&item("a", "Dân đổ xô mua khẩu trang", "Giá khẩu trang tăng mạnh tại Hà Nội.", "vnexpress", 1))
            .expect("add");
        w.upsert(&item("b", "Khau trang het hang", "nghe noi khau trang het roi", "forum", 2)).expect("add");
        w.upsert(&item("c", "Bé bị sốt cao", "Bệnh viện tiếp nhận bé sốt cao.", "vnexpress", 3)).expect("add");
        w.commit(42).expect("commit");
        assert_eq!(index.committed_seq().expect("seq"), 42);
        assert_eq!(index.num_docs(), 3);
        // Folded query finds both accented and unaccented text; accented query is exact.
        assert_eq!(search(&index, "khau trang"), ["a", "b"]);
        assert_eq!(search(&index, "\"khẩu trang\""), ["a"]);
        assert_eq!(search(&index, "sốt"), ["c"]);
        assert!(search(&index, "sót").is_empty());
        // Upsert replaces, it does not duplicate.
        w.upsert(&item("c", "Bé bị sốt cao", "Cập nhật: bé đã khỏe.", "vnexpress", 3)).expect("add");
        w.commit(43).expect("commit");
        assert_eq!(index.num_docs(), 3);
        let q =
            Query { sources: vec!["vnexpress".into()], sort: Sort::Date, limit: 10, facets: true, ..Query::default() };
        let r = index.search(&q).expect("search");
        assert_eq!(r.total, 2);
        assert_eq!(r.hits[0].id, "c", "newest first");
        let sources = &r.facets.iter().find(|(n, _)| n == "source").expect("facet").1;
        assert_eq!(sources, &vec![Facet { value: "vnexpress".into(), count: 2 }]);
        assert_eq!(r.histogram.iter().map(|(_, n)| n).sum::<u64>(), 2);
        let bad = index.search(&Query { text: "(khau".into(), limit: 10, ..Query::default() });
        assert!(matches!(bad, Err(Error::Query { .. })));
        w.finish().expect("finish");
        drop(index);
        let (index, state) = SearchIndex::open(&path).expect("reopen");
        assert_eq!(state, OpenState::Existing);
        assert_eq!(index.committed_seq().expect("seq"), 43);
        std::fs::write(path.join(VERSION_FILE), "{\"schema_version\":0}").expect("write");
        drop(index);
        let (index, state) = SearchIndex::open(&path).expect("reopen");
        assert!(matches!(state, OpenState::Reset(_)), "{state:?}");
        assert_eq!(index.num_docs(), 0);
    }

    #[test]
    fn merges_stop_at_the_segment_cap() {
        let index = SearchIndex::in_memory().expect("index");
        let mut w =
            index.writer_with(WriterOptions { memory_bytes: 20_000_000, max_segment_docs: 25 }).expect("writer");
        for commit in 0..16 {
            for n in 0..10 {
                w.upsert(&item(&format!("{commit}-{n}"), "Mưa lớn", "Mưa lớn kéo dài.", "vnexpress", 1)).expect("add");
            }
            w.commit(commit).expect("commit");
        }
        w.finish().expect("finish");
        index.reload().expect("reload");
        let sizes: Vec<u32> = index.reader.searcher().segment_readers().iter().map(|s| s.num_docs()).collect();
        assert_eq!(sizes.iter().sum::<u32>(), 160);
        assert!(sizes.iter().all(|&n| n <= 25), "{sizes:?}");
        assert!(sizes.iter().any(|&n| n > 10), "nothing merged: {sizes:?}");
    }

    #[test]
    fn aggregate_counts_days_sources_stories_and_sentiment() {
        let index = SearchIndex::in_memory().expect("index");
        let mut w = index.writer(20_000_000).expect("writer");
        let mut a = item("a", "Giá xăng tăng", "Giá xăng tăng mạnh.", "vnexpress", 1);
        a.story_id = "s1".into();
        let mut b = item("b", "Giá xăng lại tăng", "Xăng tăng giá lần hai.", "tuoitre", 2);
        b.story_id = "s1".into();
        b.sentiment = Sentiment { score: 0.5, label: Label::Positive, terms: vec![] };
        let mut c = item("c", "Mưa lớn", "Mưa lớn kéo dài.", "vnexpress", 2);
        c.lang = "en".into();
        for it in [&a, &b, &c] {
            w.upsert(it).expect("add");
        }
        w.commit(1).expect("commit");
        let all = index.aggregate(&Query::default(), 0).expect("aggregate");
        assert_eq!(all.total, 3);
        assert_eq!(all.sources.get("vnexpress"), Some(&2));
        assert_eq!(all.langs.get("en"), Some(&1));
        let s1 = all.stories.get("s1").expect("story");
        assert_eq!(s1.items, 2);
        assert!(s1.first_ms < s1.last_ms);
        let days: Vec<(i64, u64, u64, u64)> =
            all.days.iter().map(|(d, c)| (*d, c.items, c.negative, c.positive)).collect();
        assert_eq!(days.len(), 2, "{days:?}");
        assert_eq!(all.days.values().map(|c| c.items).sum::<u64>(), 3);
        assert_eq!(all.days.values().map(|c| c.positive).sum::<u64>(), 1);
        let mean: f64 = all.days.values().map(|c| c.score_sum).sum::<f64>() / 3.0;
        assert!((mean - (-0.4 - 0.4 + 0.5) / 3.0).abs() < 1e-6, "{mean}");
        let xang = index.aggregate(&Query { text: "xang".into(), ..Query::default() }, 7 * 3600).expect("aggregate");
        assert_eq!(xang.total, 2);
        let sample = index.sample(&Query { text: "xang".into(), ..Query::default() }, 1).expect("sample");
        assert_eq!(sample.matched, 2);
        assert_eq!(sample.texts.len(), 1);
        assert!(sample.texts[0].lead.contains("ăng"), "{:?}", sample.texts[0]);
    }
}
