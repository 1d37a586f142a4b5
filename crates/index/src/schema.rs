//! The index schema. Bump [`SCHEMA_VERSION`] on any change to fields or analyzers: an index of
//! another version is rebuilt from the store on open.

use duluan_text::analyzer::{SyllableTokenizer, VI_EXACT, VI_FOLDED};
use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Version of fields and analyzers.
pub const SCHEMA_VERSION: u32 = 2;

pub(crate) fn version_json() -> String {
    format!("{{\"schema_version\":{SCHEMA_VERSION}}}")
}

/// Handles of every field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    pub(crate) id: Field,
    pub(crate) url: Field,
    pub(crate) title_exact: Field,
    pub(crate) title_folded: Field,
    pub(crate) body_exact: Field,
    pub(crate) body_folded: Field,
    pub(crate) source: Field,
    pub(crate) tags: Field,
    pub(crate) region: Field,
    pub(crate) lang: Field,
    pub(crate) published: Field,
    pub(crate) fetched: Field,
    pub(crate) sentiment: Field,
    pub(crate) sentiment_score: Field,
    pub(crate) rules: Field,
    pub(crate) severity: Field,
    pub(crate) story: Field,
    pub(crate) lead: Field,
}

fn text(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        url: b.add_text_field("url", STORED),
        title_exact: b.add_text_field("title_exact", text(VI_EXACT).set_stored()),
        title_folded: b.add_text_field("title_folded", text(VI_FOLDED)),
        body_exact: b.add_text_field("body_exact", text(VI_EXACT)),
        body_folded: b.add_text_field("body_folded", text(VI_FOLDED)),
        source: b.add_text_field("source", STRING | FAST | STORED),
        tags: b.add_text_field("tag", STRING | FAST),
        region: b.add_text_field("region", STRING | FAST),
        lang: b.add_text_field("lang", STRING | FAST | STORED),
        published: b.add_date_field("published", INDEXED | FAST | STORED),
        fetched: b.add_date_field("fetched", INDEXED | FAST),
        sentiment: b.add_text_field("sentiment", STRING | FAST | STORED),
        sentiment_score: b.add_f64_field("sentiment_score", FAST | STORED),
        rules: b.add_text_field("rule", STRING | FAST | STORED),
        severity: b.add_text_field("severity", STRING | FAST),
        story: b.add_text_field("story", STRING | FAST | STORED),
        // The opening of the text, stored (not indexed) for trend statistics over samples.
        lead: b.add_text_field("lead", STORED),
    };
    (b.build(), fields)
}

impl Fields {
    pub(crate) fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: f("id")?,
            url: f("url")?,
            title_exact: f("title_exact")?,
            title_folded: f("title_folded")?,
            body_exact: f("body_exact")?,
            body_folded: f("body_folded")?,
            source: f("source")?,
            tags: f("tag")?,
            region: f("region")?,
            lang: f("lang")?,
            published: f("published")?,
            fetched: f("fetched")?,
            sentiment: f("sentiment")?,
            sentiment_score: f("sentiment_score")?,
            rules: f("rule")?,
            severity: f("severity")?,
            story: f("story")?,
            lead: f("lead")?,
        })
    }
}

/// Analyzers live in memory, not in the index: register them on every open.
pub(crate) fn register_analyzers(index: &Index) {
    index.tokenizers().register(VI_EXACT, SyllableTokenizer::exact());
    index.tokenizers().register(VI_FOLDED, SyllableTokenizer::folded());
}
