//! The one writer of an index.

use duluan_model::Item;
use tantivy::{DateTime, IndexWriter, TantivyDocument, Term};

use crate::merge::{CappedMergePolicy, DEFAULT_MAX_SEGMENT_DOCS};
use crate::schema::Fields;
use crate::{Result, SearchIndex};

/// How the writer uses memory.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Budget for documents buffered between commits (at least 15 MB).
    pub memory_bytes: usize,
    /// Most documents one merge may produce: it bounds the memory a merge maps.
    pub max_segment_docs: u32,
}

impl WriterOptions {
    /// `memory_bytes` of buffer and the default merge cap.
    pub fn with_memory(memory_bytes: usize) -> WriterOptions {
        WriterOptions { memory_bytes, max_segment_docs: DEFAULT_MAX_SEGMENT_DOCS }
    }
}

/// Owns the index's single `IndexWriter`. Blocking: run it on a dedicated thread.
pub struct IndexWriterHandle {
    writer: IndexWriter,
    fields: Fields,
    index: SearchIndex,
    pending: usize,
}

impl std::fmt::Debug for IndexWriterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexWriterHandle").field("pending", &self.pending).finish()
    }
}

/// Characters of the text kept as the stored lead.
const LEAD_CHARS: usize = 400;

fn lead(text: &str) -> &str {
    match text.char_indices().nth(LEAD_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn date(t: chrono::DateTime<chrono::Utc>) -> DateTime {
    DateTime::from_timestamp_millis(t.timestamp_millis())
}

impl IndexWriterHandle {
    pub(crate) fn new(index: &SearchIndex, options: WriterOptions) -> Result<IndexWriterHandle> {
        let writer = index.index.writer_with_num_threads(1, options.memory_bytes.max(15_000_000))?;
        writer.set_merge_policy(Box::new(CappedMergePolicy::new(options.max_segment_docs)));
        Ok(IndexWriterHandle { writer, fields: index.fields, index: index.clone(), pending: 0 })
    }

    /// Add or replace an item's document (by item id).
    pub fn upsert(&mut self, item: &Item) -> Result<()> {
        let f = &self.fields;
        self.writer.delete_term(Term::from_field_text(f.id, &item.id));
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &item.id);
        doc.add_text(f.url, &item.url);
        doc.add_text(f.title_exact, &item.title);
        doc.add_text(f.title_folded, &item.title);
        doc.add_text(f.body_exact, &item.text);
        doc.add_text(f.body_folded, &item.text);
        doc.add_text(f.source, &item.source_id);
        for tag in &item.source_tags {
            doc.add_text(f.tags, tag);
        }
        if let Some(region) = &item.region {
            doc.add_text(f.region, region);
        }
        doc.add_text(f.lang, &item.lang);
        doc.add_date(f.published, date(item.effective_time()));
        doc.add_date(f.fetched, date(item.fetched_at));
        doc.add_text(f.sentiment, item.sentiment.label.as_str());
        doc.add_f64(f.sentiment_score, f64::from(item.sentiment.score));
        for flag in &item.flags {
            doc.add_text(f.rules, &flag.rule);
        }
        if let Some(sev) = item.max_severity() {
            doc.add_text(f.severity, sev.as_str());
        }
        doc.add_text(f.story, &item.story_id);
        doc.add_text(f.lead, lead(&item.text));
        self.writer.add_document(doc)?;
        self.pending += 1;
        Ok(())
    }

    /// Documents added since the last commit.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Commit everything added so far, recording the store outbox sequence it covers, and make it
    /// visible to searches.
    pub fn commit(&mut self, seq: i64) -> Result<()> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&seq.to_string());
        prepared.commit()?;
        self.pending = 0;
        self.index.reload()?;
        Ok(())
    }

    /// Drop everything added since the last commit (after a failed commit, so the same items
    /// can be added again once the cause, such as a full disk, is gone).
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback()?;
        self.pending = 0;
        Ok(())
    }

    /// Remove every document (before a rebuild).
    pub fn clear(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Wait for merges and release the writer lock.
    pub fn finish(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}
