//! Pages, databases and data sources, and the `PageTree` a crawler produces.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::block::Block;
use super::common::{FileSource, Icon, Parent, User};
use super::property::{PropertyKind, PropertySchema, PropertyValue};
use super::rich_text::{RichText, plain_text};
use super::tagged::null_as_default;

/// A page object (a standalone page or a data source row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// Page id.
    pub id: String,
    /// Creation time.
    pub created_time: DateTime<Utc>,
    /// Last edit time, cut to the minute.
    pub last_edited_time: DateTime<Utc>,
    /// Creator.
    #[serde(default)]
    pub created_by: Option<User>,
    /// Last editor.
    #[serde(default)]
    pub last_edited_by: Option<User>,
    /// Where the page lives.
    pub parent: Parent,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
    /// Archived (deprecated name for trashed before 2026-03-11).
    #[serde(default)]
    pub archived: bool,
    /// Archived (API 2026-03-11: distinct from trashed).
    #[serde(default)]
    pub is_archived: bool,
    /// Locked against edits.
    #[serde(default)]
    pub is_locked: bool,
    /// Property values by name, in Notion's order.
    #[serde(default)]
    pub properties: IndexMap<String, PropertyValue>,
    /// The page's URL in Notion (`www.notion.so` or `app.notion.com`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub url: String,
    /// Public URL, when published.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Icon.
    #[serde(default)]
    pub icon: Option<Icon>,
    /// Cover image.
    #[serde(default)]
    pub cover: Option<FileSource>,
}

impl Page {
    /// The page's title: the plain text of its `title` property.
    pub fn title(&self) -> String {
        self.properties
            .values()
            .find_map(|p| match &p.value {
                PropertyKind::Title(runs) => Some(plain_text(runs)),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Whether the page is trashed or archived (skipped by ingestion).
    pub fn is_removed(&self) -> bool {
        self.in_trash || self.archived || self.is_archived
    }

    /// The data source this page is a row of, if any.
    pub fn data_source_id(&self) -> Option<&str> {
        match &self.parent {
            Parent::DataSource { data_source_id, .. } => Some(data_source_id),
            _ => None,
        }
    }
}

/// A database: a container of one or more data sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Database {
    /// Database id (also the id of its `child_database` block).
    pub id: String,
    /// Title.
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: Vec<RichText>,
    /// Its data sources.
    #[serde(default, deserialize_with = "null_as_default")]
    pub data_sources: Vec<DataSourceRef>,
    /// Where it lives.
    #[serde(default)]
    pub parent: Option<Parent>,
    /// URL in Notion.
    #[serde(default)]
    pub url: Option<String>,
    /// Inline in a page rather than full page.
    #[serde(default)]
    pub is_inline: bool,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
    /// Archived (old name).
    #[serde(default)]
    pub archived: bool,
    /// Creation time.
    #[serde(default)]
    pub created_time: Option<DateTime<Utc>>,
    /// Last edit time.
    #[serde(default)]
    pub last_edited_time: Option<DateTime<Utc>>,
}

/// A data source as listed by its database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSourceRef {
    /// Data source id.
    pub id: String,
    /// Its name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

/// A data source: a table of rows with a property schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    /// Data source id.
    pub id: String,
    /// Title.
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: Vec<RichText>,
    /// The schema, by property name.
    #[serde(default)]
    pub properties: IndexMap<String, PropertySchema>,
    /// The database it belongs to (`{type: "database_id", ...}`).
    #[serde(default)]
    pub parent: Option<Parent>,
    /// Where the database lives.
    #[serde(default)]
    pub database_parent: Option<Parent>,
    /// URL in Notion.
    #[serde(default)]
    pub url: Option<String>,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
    /// Archived (old name).
    #[serde(default)]
    pub archived: bool,
    /// Creation time.
    #[serde(default)]
    pub created_time: Option<DateTime<Utc>>,
    /// Last edit time.
    #[serde(default)]
    pub last_edited_time: Option<DateTime<Utc>>,
}

impl DataSource {
    /// The data source's title as plain text.
    pub fn title_text(&self) -> String {
        plain_text(&self.title)
    }
}

/// A complete page: its metadata and properties and its whole block tree in
/// document order. What the crawler emits and the Markdown renderer reads.
///
/// Serialized, it is `{"page": <page object>, "blocks": [<block with
/// "children": [...]>, ...]}`, so tests can write trees as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageTree {
    /// The page object, as found by search or a data source query.
    pub page: Page,
    /// Top-level blocks, each with its children filled.
    #[serde(default)]
    pub blocks: Vec<Block>,
}

impl PageTree {
    /// Number of blocks in the tree, at every depth.
    pub fn block_count(&self) -> usize {
        let mut n = 0;
        for b in &self.blocks {
            b.walk(&mut |_| n += 1);
        }
        n
    }
}
