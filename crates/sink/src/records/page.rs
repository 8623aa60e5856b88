//! [`PageRecord`]: one row of the `pages` table, one per page the run met,
//! with its full Markdown and what became of it ([`PageStatus`]).

use std::borrow::Cow;

use arrow_array::ArrayRef;
use arrow_array::RecordBatch;
use arrow_schema::Schema;
use chrono::{DateTime, Utc};

use super::{optional_len, require_int32, require_json, require_non_empty, sealed::RecordType};
use crate::columns::{
    self, ColumnSpec,
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

impl PageRecord {
    /// A page known only by its id (one that failed before its metadata
    /// was read): no metadata, no Markdown, no chunks.
    pub fn id_only(
        page_id: impl Into<String>,
        status: PageStatus,
        run_id: impl Into<String>,
        ingested_at: DateTime<Utc>,
    ) -> PageRecord {
        PageRecord {
            page_id: page_id.into(),
            title: None,
            url: None,
            parent_id: None,
            parent_type: None,
            data_source_id: None,
            properties: None,
            created_time: None,
            last_edited_time: None,
            markdown: None,
            markdown_hash: None,
            chunk_count: 0,
            status,
            run_id: run_id.into(),
            ingested_at,
        }
    }
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

    fn to_columns(schema: &Schema, rows: &[Self]) -> Result<Vec<ArrayRef>, String> {
        let rows: Vec<PageRow<'_>> = rows.iter().map(PageRow::from).collect();
        columns::to_arrays(schema, &rows)
    }

    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>, String> {
        columns::from_batch::<PageRow<'_>>(batch)?
            .into_iter()
            .map(PageRow::into_record)
            .collect()
    }
}

/// A page as the columns of `pages` hold it, in file order: the record with
/// its [`PageStatus`] spread over `status` and the columns that explain it.
/// `serde_arrow` derives the arrays from this shape (the record's own serde
/// shape, kept for the state store's JSON, nests the status). Text is
/// borrowed: from the record when writing, from the arrays when reading.
#[derive(serde::Serialize, serde::Deserialize)]
struct PageRow<'a> {
    #[serde(borrow)]
    page_id: Cow<'a, str>,
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    parent_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    parent_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data_source_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    properties: Option<Cow<'a, str>>,
    created_time: Option<DateTime<Utc>>,
    last_edited_time: Option<DateTime<Utc>>,
    #[serde(borrow)]
    markdown: Option<Cow<'a, str>>,
    #[serde(borrow)]
    markdown_hash: Option<Cow<'a, str>>,
    chunk_count: u32,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error_message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    skip_reason: Option<Cow<'a, str>>,
    #[serde(borrow)]
    run_id: Cow<'a, str>,
    ingested_at: DateTime<Utc>,
}

impl<'a> From<&'a PageRecord> for PageRow<'a> {
    fn from(page: &'a PageRecord) -> Self {
        let text = |value: &'a Option<String>| value.as_deref().map(Cow::Borrowed);
        PageRow {
            page_id: Cow::Borrowed(&page.page_id),
            title: text(&page.title),
            url: text(&page.url),
            parent_id: text(&page.parent_id),
            parent_type: text(&page.parent_type),
            data_source_id: text(&page.data_source_id),
            properties: text(&page.properties),
            created_time: page.created_time,
            last_edited_time: page.last_edited_time,
            markdown: text(&page.markdown),
            markdown_hash: text(&page.markdown_hash),
            chunk_count: page.chunk_count,
            status: Cow::Borrowed(page.status.as_str()),
            error_code: page.status.error_code().map(Cow::Borrowed),
            error_message: page.status.error_message().map(Cow::Borrowed),
            request_id: page.status.request_id().map(Cow::Borrowed),
            skip_reason: page.status.skip_reason().map(Cow::Borrowed),
            run_id: Cow::Borrowed(&page.run_id),
            ingested_at: page.ingested_at,
        }
    }
}

impl PageRow<'_> {
    /// The record this row holds; a status that does not fit its columns is
    /// an error.
    fn into_record(self) -> Result<PageRecord, String> {
        let owned = |value: Option<Cow<'_, str>>| value.map(Cow::into_owned);
        Ok(PageRecord {
            status: PageStatus::from_columns(
                &self.status,
                owned(self.error_code),
                owned(self.error_message),
                owned(self.request_id),
                owned(self.skip_reason),
            )?,
            page_id: self.page_id.into_owned(),
            title: owned(self.title),
            url: owned(self.url),
            parent_id: owned(self.parent_id),
            parent_type: owned(self.parent_type),
            data_source_id: owned(self.data_source_id),
            properties: owned(self.properties),
            created_time: self.created_time,
            last_edited_time: self.last_edited_time,
            markdown: owned(self.markdown),
            markdown_hash: owned(self.markdown_hash),
            chunk_count: self.chunk_count,
            run_id: self.run_id.into_owned(),
            ingested_at: self.ingested_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow_schema::SchemaRef;

    use super::*;

    /// The serde field names of a value, in order.
    fn field_names(value: &impl serde::Serialize) -> Vec<String> {
        match serde_json::to_value(value).unwrap() {
            serde_json::Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("not a struct: {other}"),
        }
    }

    fn column_names<R: RecordType>() -> Vec<String> {
        R::COLUMNS.iter().map(|c| c.name.to_owned()).collect()
    }

    fn failed_page() -> PageRecord {
        let status = PageStatus::Failed {
            code: "c".into(),
            message: "m".into(),
            request_id: None,
        };
        PageRecord::id_only(
            "p",
            status,
            "r",
            DateTime::from_timestamp_micros(0).unwrap(),
        )
    }

    /// The records a batch of these columns reads back as.
    fn read_back(schema: &SchemaRef, columns: Vec<ArrayRef>) -> Result<Vec<PageRecord>, String> {
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        PageRecord::from_batch(&batch)
    }

    /// serde_arrow matches columns to fields by name: every record type's
    /// serde fields are its table's columns, in file order.
    #[test]
    fn serde_fields_are_the_columns_in_order() {
        let page = failed_page();
        assert_eq!(
            field_names(&PageRow::from(&page)),
            column_names::<PageRecord>()
        );
        let delete = crate::DeleteRecord {
            chunk_id: "c".into(),
            page_id: "p".into(),
            reason: "not_found".into(),
            run_id: "r".into(),
        };
        assert_eq!(field_names(&delete), column_names::<crate::DeleteRecord>());
        let time = page.ingested_at;
        let chunk = crate::ChunkRecord {
            chunk_id: "c".into(),
            page_id: "p".into(),
            chunk_index: 0,
            text: String::new(),
            embed_text: String::new(),
            token_count: 0,
            tokenizer: "t".into(),
            heading_path: vec![],
            block_ids: vec![],
            url: "u".into(),
            page_title: "t".into(),
            page_url: "u".into(),
            parent_id: None,
            parent_type: "workspace".into(),
            data_source_id: None,
            properties: "{}".into(),
            created_time: time,
            last_edited_time: time,
            content_hash: "h".into(),
            run_id: "r".into(),
            ingested_at: time,
        };
        assert_eq!(field_names(&chunk), column_names::<crate::ChunkRecord>());
    }

    #[test]
    fn a_status_that_does_not_fit_its_columns_is_refused() {
        let mut page = failed_page();
        let schema = crate::columns::schema_of(COLUMNS);
        let mut row = PageRow::from(&page);
        row.skip_reason = Some(Cow::Borrowed("archived"));
        let columns = crate::columns::to_arrays(&schema, std::slice::from_ref(&row)).unwrap();
        let error = read_back(&schema, columns).unwrap_err();
        assert!(error.contains("does not fit"), "{error}");
        page.status = PageStatus::Skipped {
            reason: "archived".into(),
        };
        let columns = PageRecord::to_columns(&schema, std::slice::from_ref(&page)).unwrap();
        assert_eq!(read_back(&schema, columns).unwrap(), vec![page]);
    }
}
