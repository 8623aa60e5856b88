//! [`ChunkRecord`]: one row of the `chunks` table, a token-bounded piece of a
//! page ready to embed, with the page's metadata repeated on every row so a
//! vector store needs no join.

use arrow_array::ArrayRef;
use arrow_array::RecordBatch;
use arrow_schema::Schema;
use chrono::{DateTime, Utc};

use super::{optional_len, require_int32, require_json, require_non_empty, sealed::RecordType};
use crate::columns::{
    self, ColumnSpec,
    ColumnType::{Int32, Text, TextList, TimestampUtc},
    Values::{Distinct, Repeated},
};

/// One chunk of a page. Field names are the column names of `chunks`, in
/// order: its serde shape is both the state store's JSON and, through
/// `serde_arrow`, the arrow arrays.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChunkRecord {
    /// [`crate::chunk_id`] of `page_id` and `chunk_index`.
    pub chunk_id: String,
    /// The page the chunk comes from.
    pub page_id: String,
    /// Position of the chunk in its page, from 0.
    pub chunk_index: u32,
    /// The chunk's Markdown.
    pub text: String,
    /// The text to embed: `text`, with the contextual header when configured.
    pub embed_text: String,
    /// Tokens of `embed_text` under `tokenizer`.
    pub token_count: u32,
    /// The tokenizer that counted, e.g. `cl100k_base`.
    pub tokenizer: String,
    /// The headings above the chunk, outermost first.
    pub heading_path: Vec<String>,
    /// The Notion blocks the chunk covers, in order.
    pub block_ids: Vec<String>,
    /// Deep link to the chunk's first block.
    pub url: String,
    /// The page's title.
    pub page_title: String,
    /// The page's URL, id-only (`https://www.notion.so/<id>`), stable across renames.
    pub page_url: String,
    /// The page's parent (page, data source, database or block); none for a
    /// workspace parent.
    pub parent_id: Option<String>,
    /// The parent's type, as Notion names it (`page_id`, `data_source_id`,
    /// `database_id`, `block_id`, `workspace`).
    pub parent_type: String,
    /// The data source the page is a row of, if any.
    pub data_source_id: Option<String>,
    /// The page's properties as JSON text.
    pub properties: String,
    /// When the page was created.
    pub created_time: DateTime<Utc>,
    /// When the page was last edited.
    pub last_edited_time: DateTime<Utc>,
    /// [`crate::content_hash`] of `embed_text`.
    pub content_hash: String,
    /// The run that produced the chunk.
    pub run_id: String,
    /// When the run wrote the chunk.
    pub ingested_at: DateTime<Utc>,
}

/// The columns of `chunks`, in file order.
const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required("chunk_id", Text, Distinct),
    ColumnSpec::required("page_id", Text, Repeated),
    ColumnSpec::required("chunk_index", Int32, Repeated),
    ColumnSpec::required("text", Text, Distinct),
    ColumnSpec::required("embed_text", Text, Distinct),
    ColumnSpec::required("token_count", Int32, Repeated),
    ColumnSpec::required("tokenizer", Text, Repeated),
    ColumnSpec::required("heading_path", TextList, Repeated),
    ColumnSpec::required("block_ids", TextList, Distinct),
    ColumnSpec::required("url", Text, Distinct),
    ColumnSpec::required("page_title", Text, Repeated),
    ColumnSpec::required("page_url", Text, Repeated),
    ColumnSpec::optional("parent_id", Text, Repeated),
    ColumnSpec::required("parent_type", Text, Repeated),
    ColumnSpec::optional("data_source_id", Text, Repeated),
    ColumnSpec::required("properties", Text, Repeated),
    ColumnSpec::required("created_time", TimestampUtc, Repeated),
    ColumnSpec::required("last_edited_time", TimestampUtc, Repeated),
    ColumnSpec::required("content_hash", Text, Distinct),
    ColumnSpec::required("run_id", Text, Repeated),
    ColumnSpec::required("ingested_at", TimestampUtc, Repeated),
];

impl RecordType for ChunkRecord {
    const KIND: &'static str = "chunks";
    const COLUMNS: &'static [ColumnSpec] = COLUMNS;

    fn id(&self) -> &str {
        &self.chunk_id
    }

    fn validate(&self) -> Result<(), String> {
        require_non_empty("chunk_id", &self.chunk_id)?;
        require_non_empty("page_id", &self.page_id)?;
        require_non_empty("run_id", &self.run_id)?;
        require_int32("chunk_index", self.chunk_index)?;
        require_int32("token_count", self.token_count)?;
        require_json("properties", &self.properties)
    }

    fn approx_bytes(&self) -> usize {
        let strings = [
            &self.chunk_id,
            &self.page_id,
            &self.text,
            &self.embed_text,
            &self.tokenizer,
            &self.url,
            &self.page_title,
            &self.page_url,
            &self.parent_type,
            &self.properties,
            &self.content_hash,
            &self.run_id,
        ];
        let lists = self.heading_path.iter().chain(&self.block_ids);
        // Each value also costs an offset or a fixed-width slot: count 8 bytes.
        strings.iter().map(|s| s.len() + 8).sum::<usize>()
            + lists.map(|s| s.len() + 8).sum::<usize>()
            + optional_len(&self.parent_id)
            + optional_len(&self.data_source_id)
            + 8 * 8
    }

    fn to_columns(schema: &Schema, rows: &[Self]) -> Result<Vec<ArrayRef>, String> {
        columns::to_arrays(schema, rows)
    }

    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>, String> {
        columns::from_batch(batch)
    }
}
