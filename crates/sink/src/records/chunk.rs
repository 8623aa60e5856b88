//! [`ChunkRecord`]: one row of the `chunks` table, a token-bounded piece of a
//! page ready to embed, with the page's metadata repeated on every row so a
//! vector store needs no join.

use arrow::array::ArrayRef;
use chrono::{DateTime, Utc};

use super::{optional_len, require_int32, require_json, require_non_empty, sealed::RecordType};
use crate::columns::{
    self, BatchColumns, ColumnSpec,
    ColumnType::{Int32, Text, TextList, TimestampUtc},
    Values::{Distinct, Repeated},
};

/// One chunk of a page. Field names are the column names of `chunks`.
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

    fn to_columns(rows: &[Self]) -> Vec<ArrayRef> {
        vec![
            columns::text(rows, |r| &r.chunk_id),
            columns::text(rows, |r| &r.page_id),
            columns::int32(rows, |r| r.chunk_index),
            columns::text(rows, |r| &r.text),
            columns::text(rows, |r| &r.embed_text),
            columns::int32(rows, |r| r.token_count),
            columns::text(rows, |r| &r.tokenizer),
            columns::text_list(rows, |r| &r.heading_path),
            columns::text_list(rows, |r| &r.block_ids),
            columns::text(rows, |r| &r.url),
            columns::text(rows, |r| &r.page_title),
            columns::text(rows, |r| &r.page_url),
            columns::optional_text(rows, |r| r.parent_id.as_deref()),
            columns::text(rows, |r| &r.parent_type),
            columns::optional_text(rows, |r| r.data_source_id.as_deref()),
            columns::text(rows, |r| &r.properties),
            columns::timestamp(rows, |r| Some(r.created_time)),
            columns::timestamp(rows, |r| Some(r.last_edited_time)),
            columns::text(rows, |r| &r.content_hash),
            columns::text(rows, |r| &r.run_id),
            columns::timestamp(rows, |r| Some(r.ingested_at)),
        ]
    }

    fn from_columns(c: &BatchColumns<'_>, rows: usize) -> Result<Vec<Self>, String> {
        let (chunk_id, page_id, chunk_index) = (
            c.text("chunk_id")?,
            c.text("page_id")?,
            c.int32("chunk_index")?,
        );
        let (text, embed_text, token_count) = (
            c.text("text")?,
            c.text("embed_text")?,
            c.int32("token_count")?,
        );
        let (tokenizer, heading_path, block_ids) = (
            c.text("tokenizer")?,
            c.text_list("heading_path")?,
            c.text_list("block_ids")?,
        );
        let (url, page_title, page_url) =
            (c.text("url")?, c.text("page_title")?, c.text("page_url")?);
        let (parent_id, parent_type, data_source_id) = (
            c.text("parent_id")?,
            c.text("parent_type")?,
            c.text("data_source_id")?,
        );
        let (properties, created_time, last_edited_time) = (
            c.text("properties")?,
            c.timestamp("created_time")?,
            c.timestamp("last_edited_time")?,
        );
        let (content_hash, run_id, ingested_at) = (
            c.text("content_hash")?,
            c.text("run_id")?,
            c.timestamp("ingested_at")?,
        );
        (0..rows)
            .map(|i| {
                Ok(ChunkRecord {
                    chunk_id: columns::required_string(chunk_id, i, "chunk_id")?,
                    page_id: columns::required_string(page_id, i, "page_id")?,
                    chunk_index: columns::unsigned(chunk_index, i, "chunk_index")?,
                    text: columns::required_string(text, i, "text")?,
                    embed_text: columns::required_string(embed_text, i, "embed_text")?,
                    token_count: columns::unsigned(token_count, i, "token_count")?,
                    tokenizer: columns::required_string(tokenizer, i, "tokenizer")?,
                    heading_path: columns::string_list(heading_path, i),
                    block_ids: columns::string_list(block_ids, i),
                    url: columns::required_string(url, i, "url")?,
                    page_title: columns::required_string(page_title, i, "page_title")?,
                    page_url: columns::required_string(page_url, i, "page_url")?,
                    parent_id: columns::optional_string(parent_id, i),
                    parent_type: columns::required_string(parent_type, i, "parent_type")?,
                    data_source_id: columns::optional_string(data_source_id, i),
                    properties: columns::required_string(properties, i, "properties")?,
                    created_time: columns::required_time(created_time, i, "created_time")?,
                    last_edited_time: columns::required_time(
                        last_edited_time,
                        i,
                        "last_edited_time",
                    )?,
                    content_hash: columns::required_string(content_hash, i, "content_hash")?,
                    run_id: columns::required_string(run_id, i, "run_id")?,
                    ingested_at: columns::required_time(ingested_at, i, "ingested_at")?,
                })
            })
            .collect()
    }
}
