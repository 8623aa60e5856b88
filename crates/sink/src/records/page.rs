//! [`PageRecord`]: one row of the `pages` table, one per page the run met,
//! with its full Markdown and what became of it ([`PageStatus`]).

use arrow::array::ArrayRef;
use chrono::{DateTime, Utc};

use super::{optional_len, require_int32, require_json, require_non_empty, sealed::RecordType};
use crate::columns::{
    self, BatchColumns, ColumnSpec,
    ColumnType::{Int32, Text, TimestampUtc},
    Values::{Distinct, Repeated},
};

/// What became of a page in a run: the `status` column and the columns that
/// explain it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PageStatus {
    /// Fetched, rendered and chunked.
    Ok,
    /// Fetching or rendering failed.
    Failed {
        /// A short machine-readable code, e.g. Notion's `object_not_found`.
        code: String,
        /// The human-readable message.
        message: String,
        /// Notion's `request_id` of the failed request, if there was one.
        request_id: Option<String>,
    },
    /// Deliberately left out.
    Skipped {
        /// Why, e.g. `archived` or `excluded by filter`.
        reason: String,
    },
}

impl PageStatus {
    /// The value of the `status` column: `ok`, `failed` or `skipped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PageStatus::Ok => "ok",
            PageStatus::Failed { .. } => "failed",
            PageStatus::Skipped { .. } => "skipped",
        }
    }

    fn error_code(&self) -> Option<&str> {
        match self {
            PageStatus::Failed { code, .. } => Some(code),
            _ => None,
        }
    }

    fn error_message(&self) -> Option<&str> {
        match self {
            PageStatus::Failed { message, .. } => Some(message),
            _ => None,
        }
    }

    fn request_id(&self) -> Option<&str> {
        match self {
            PageStatus::Failed { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    fn skip_reason(&self) -> Option<&str> {
        match self {
            PageStatus::Skipped { reason } => Some(reason),
            _ => None,
        }
    }

    /// Rebuilds a status from its columns' values.
    fn from_columns(
        status: &str,
        code: Option<String>,
        message: Option<String>,
        request_id: Option<String>,
        reason: Option<String>,
    ) -> Result<Self, String> {
        match (status, code, reason) {
            ("ok", None, None) => Ok(PageStatus::Ok),
            ("failed", Some(code), None) => Ok(PageStatus::Failed {
                code,
                message: message.unwrap_or_default(),
                request_id,
            }),
            ("skipped", None, Some(reason)) => Ok(PageStatus::Skipped { reason }),
            (status, code, reason) => Err(format!(
                "status {status:?} does not fit error_code {code:?} and skip_reason {reason:?}"
            )),
        }
    }
}

/// One page met by a run. Field names are the column names of `pages`; the
/// page's metadata is optional because a page that failed may be known only
/// by its id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PageRecord {
    /// The page's id.
    pub page_id: String,
    /// The page's title.
    pub title: Option<String>,
    /// The page's URL, id-only (`https://www.notion.so/<id>`), stable across renames.
    pub url: Option<String>,
    /// The page's parent; none for a workspace parent.
    pub parent_id: Option<String>,
    /// The parent's type, as Notion names it.
    pub parent_type: Option<String>,
    /// The data source the page is a row of, if any.
    pub data_source_id: Option<String>,
    /// The page's properties as JSON text.
    pub properties: Option<String>,
    /// When the page was created.
    pub created_time: Option<DateTime<Utc>>,
    /// When the page was last edited.
    pub last_edited_time: Option<DateTime<Utc>>,
    /// The page's full Markdown (required when `status` is `ok`).
    pub markdown: Option<String>,
    /// [`crate::content_hash`] of `markdown`.
    pub markdown_hash: Option<String>,
    /// How many chunks the page gave.
    pub chunk_count: u32,
    /// What became of the page.
    pub status: PageStatus,
    /// The run that met the page.
    pub run_id: String,
    /// When the run wrote the row.
    pub ingested_at: DateTime<Utc>,
}

/// The columns of `pages`, in file order.
const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required("page_id", Text, Distinct),
    ColumnSpec::optional("title", Text, Distinct),
    ColumnSpec::optional("url", Text, Distinct),
    ColumnSpec::optional("parent_id", Text, Repeated),
    ColumnSpec::optional("parent_type", Text, Repeated),
    ColumnSpec::optional("data_source_id", Text, Repeated),
    ColumnSpec::optional("properties", Text, Distinct),
    ColumnSpec::optional("created_time", TimestampUtc, Repeated),
    ColumnSpec::optional("last_edited_time", TimestampUtc, Repeated),
    ColumnSpec::optional("markdown", Text, Distinct),
    ColumnSpec::optional("markdown_hash", Text, Distinct),
    ColumnSpec::required("chunk_count", Int32, Repeated),
    ColumnSpec::required("status", Text, Repeated),
    ColumnSpec::optional("error_code", Text, Repeated),
    ColumnSpec::optional("error_message", Text, Distinct),
    ColumnSpec::optional("request_id", Text, Distinct),
    ColumnSpec::optional("skip_reason", Text, Repeated),
    ColumnSpec::required("run_id", Text, Repeated),
    ColumnSpec::required("ingested_at", TimestampUtc, Repeated),
];

impl RecordType for PageRecord {
    const KIND: &'static str = "pages";
    const COLUMNS: &'static [ColumnSpec] = COLUMNS;

    fn id(&self) -> &str {
        &self.page_id
    }

    fn validate(&self) -> Result<(), String> {
        require_non_empty("page_id", &self.page_id)?;
        require_non_empty("run_id", &self.run_id)?;
        require_int32("chunk_count", self.chunk_count)?;
        if let Some(properties) = &self.properties {
            require_json("properties", properties)?;
        }
        match &self.status {
            PageStatus::Ok if self.markdown.is_none() => {
                Err("status is ok but markdown is missing".into())
            }
            PageStatus::Failed { code, .. } => require_non_empty("error code", code),
            PageStatus::Skipped { reason } => require_non_empty("skip reason", reason),
            PageStatus::Ok => Ok(()),
        }
    }

    fn approx_bytes(&self) -> usize {
        let optional = [
            &self.title,
            &self.url,
            &self.parent_id,
            &self.parent_type,
            &self.data_source_id,
            &self.properties,
            &self.markdown,
            &self.markdown_hash,
        ];
        let status = [
            self.status.error_code(),
            self.status.error_message(),
            self.status.request_id(),
            self.status.skip_reason(),
        ];
        // Each value also costs an offset or a fixed-width slot: count 8 bytes.
        optional.iter().map(|s| optional_len(s) + 8).sum::<usize>()
            + status
                .iter()
                .map(|s| s.map_or(0, str::len) + 8)
                .sum::<usize>()
            + self.page_id.len()
            + self.run_id.len()
            + 8 * 8
    }

    fn to_columns(rows: &[Self]) -> Vec<ArrayRef> {
        vec![
            columns::text(rows, |r| &r.page_id),
            columns::optional_text(rows, |r| r.title.as_deref()),
            columns::optional_text(rows, |r| r.url.as_deref()),
            columns::optional_text(rows, |r| r.parent_id.as_deref()),
            columns::optional_text(rows, |r| r.parent_type.as_deref()),
            columns::optional_text(rows, |r| r.data_source_id.as_deref()),
            columns::optional_text(rows, |r| r.properties.as_deref()),
            columns::timestamp(rows, |r| r.created_time),
            columns::timestamp(rows, |r| r.last_edited_time),
            columns::optional_text(rows, |r| r.markdown.as_deref()),
            columns::optional_text(rows, |r| r.markdown_hash.as_deref()),
            columns::int32(rows, |r| r.chunk_count),
            columns::text(rows, |r| r.status.as_str()),
            columns::optional_text(rows, |r| r.status.error_code()),
            columns::optional_text(rows, |r| r.status.error_message()),
            columns::optional_text(rows, |r| r.status.request_id()),
            columns::optional_text(rows, |r| r.status.skip_reason()),
            columns::text(rows, |r| &r.run_id),
            columns::timestamp(rows, |r| Some(r.ingested_at)),
        ]
    }

    fn from_columns(c: &BatchColumns<'_>, rows: usize) -> Result<Vec<Self>, String> {
        let (page_id, title, url) = (c.text("page_id")?, c.text("title")?, c.text("url")?);
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
        let (markdown, markdown_hash, chunk_count) = (
            c.text("markdown")?,
            c.text("markdown_hash")?,
            c.int32("chunk_count")?,
        );
        let (status, error_code, error_message) = (
            c.text("status")?,
            c.text("error_code")?,
            c.text("error_message")?,
        );
        let (request_id, skip_reason) = (c.text("request_id")?, c.text("skip_reason")?);
        let (run_id, ingested_at) = (c.text("run_id")?, c.timestamp("ingested_at")?);
        (0..rows)
            .map(|i| {
                Ok(PageRecord {
                    page_id: columns::required_string(page_id, i, "page_id")?,
                    title: columns::optional_string(title, i),
                    url: columns::optional_string(url, i),
                    parent_id: columns::optional_string(parent_id, i),
                    parent_type: columns::optional_string(parent_type, i),
                    data_source_id: columns::optional_string(data_source_id, i),
                    properties: columns::optional_string(properties, i),
                    created_time: columns::optional_time(created_time, i),
                    last_edited_time: columns::optional_time(last_edited_time, i),
                    markdown: columns::optional_string(markdown, i),
                    markdown_hash: columns::optional_string(markdown_hash, i),
                    chunk_count: columns::unsigned(chunk_count, i, "chunk_count")?,
                    status: PageStatus::from_columns(
                        &columns::required_string(status, i, "status")?,
                        columns::optional_string(error_code, i),
                        columns::optional_string(error_message, i),
                        columns::optional_string(request_id, i),
                        columns::optional_string(skip_reason, i),
                    )?,
                    run_id: columns::required_string(run_id, i, "run_id")?,
                    ingested_at: columns::required_time(ingested_at, i, "ingested_at")?,
                })
            })
            .collect()
    }
}
