//! Envelopes: paginated lists, search results and error objects.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::page::{DataSource, Database, Page};

/// A page of a paginated list (`object: "list"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListResponse<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// Cursor for the next page; present exactly when `has_more`.
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// Whether more pages follow.
    #[serde(default)]
    pub has_more: bool,
    /// Kind of items (`block`, `page_or_data_source`, `user`, ...).
    #[serde(default, rename = "type")]
    pub list_type: Option<String>,
    /// Notion's id for the request.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Set on search and query; `incomplete` when a query hit its result cap.
    #[serde(default)]
    pub request_status: Option<RequestStatus>,
}

/// Whether a query returned everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestStatus {
    /// `complete` or `incomplete`.
    #[serde(rename = "type")]
    pub status: String,
    /// Why incomplete (`query_result_limit_reached`).
    #[serde(default)]
    pub incomplete_reason: Option<String>,
}

impl RequestStatus {
    /// True when the query stopped before the end of its results.
    pub fn is_incomplete(&self) -> bool {
        self.status == "incomplete"
    }
}

/// One search result: a page, a data source or (old API versions) a database.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchResult {
    /// A page.
    Page(Box<Page>),
    /// A data source.
    DataSource(Box<DataSource>),
    /// A database (API versions before 2025-09-03).
    Database(Box<Database>),
    /// Another object, or one that did not parse, kept raw.
    Unknown(Value),
}

impl<'de> Deserialize<'de> for SearchResult {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let parsed = match value.get("object").and_then(Value::as_str) {
            Some("page") => Page::deserialize(&value).map(|p| SearchResult::Page(Box::new(p))),
            Some("data_source") => {
                DataSource::deserialize(&value).map(|d| SearchResult::DataSource(Box::new(d)))
            }
            Some("database") => {
                Database::deserialize(&value).map(|d| SearchResult::Database(Box::new(d)))
            }
            _ => return Ok(SearchResult::Unknown(value)),
        };
        Ok(parsed.unwrap_or(SearchResult::Unknown(value)))
    }
}

impl Serialize for SearchResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SearchResult::Page(p) => p.serialize(serializer),
            SearchResult::DataSource(d) => d.serialize(serializer),
            SearchResult::Database(d) => d.serialize(serializer),
            SearchResult::Unknown(v) => v.serialize(serializer),
        }
    }
}

/// Notion's error object (`object: "error"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// HTTP status.
    #[serde(default)]
    pub status: u16,
    /// Machine-readable code (`object_not_found`, `rate_limited`, ...).
    #[serde(default)]
    pub code: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Notion's id for the request.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Extra detail (e.g. `rate_limit_reason`).
    #[serde(default)]
    pub additional_data: Option<Value>,
}
