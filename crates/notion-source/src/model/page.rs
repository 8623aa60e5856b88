//! Pages, databases and data sources, and the `PageTree` a crawler produces.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::block::Block;
use super::common::{FileSource, Icon, Parent, User};
use super::property::{PropertyKind, PropertySchema, PropertyValue};
use super::rich_text::{RichText, plain_text};
use super::tagged::null_as_default;

/// A page object (a standalone page or a data source row).
///
/// Parsing is lenient: only `id`, `created_time`, `last_edited_time` and
/// `parent` are required. An optional field that does not parse (a `"cover":
/// {}`, a bad `icon`) is left unset and kept, as sent, in
/// [`malformed`](Self::malformed); a property value that does not parse
/// becomes [`PropertyKind::Unknown`] with its raw JSON. One bad value never
/// costs the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    /// Page id.
    pub id: String,
    /// Creation time.
    pub created_time: DateTime<Utc>,
    /// Last edit time, cut to the minute.
    pub last_edited_time: DateTime<Utc>,
    /// Creator.
    pub created_by: Option<User>,
    /// Last editor.
    pub last_edited_by: Option<User>,
    /// Where the page lives.
    pub parent: Parent,
    /// In the trash.
    pub in_trash: bool,
    /// Archived (deprecated name for trashed before 2026-03-11).
    pub archived: bool,
    /// Archived (API 2026-03-11: distinct from trashed).
    pub is_archived: bool,
    /// Locked against edits.
    pub is_locked: bool,
    /// Property values by name, in Notion's order.
    pub properties: IndexMap<String, PropertyValue>,
    /// The page's URL in Notion (`www.notion.so` or `app.notion.com`).
    pub url: String,
    /// Public URL, when published.
    pub public_url: Option<String>,
    /// Icon.
    pub icon: Option<Icon>,
    /// Cover image.
    pub cover: Option<FileSource>,
    /// Optional fields that did not parse, by name, as Notion sent them
    /// (their typed field above is unset).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub malformed: Map<String, Value>,
}

/// The key [`Page::malformed`] is written under.
const MALFORMED: &str = "malformed";

impl<'de> Deserialize<'de> for Page {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        let mut malformed = match map.remove(MALFORMED) {
            Some(Value::Object(kept)) => kept,
            _ => Map::new(),
        };
        let required = |map: &mut Map<String, Value>, key: &str| {
            map.remove(key)
                .ok_or_else(|| D::Error::missing_field_owned(key))
        };
        let id = match required(&mut map, "id")? {
            Value::String(id) if !id.is_empty() => id,
            other => {
                return Err(D::Error::custom(format!(
                    "page id is not a string: {other}"
                )));
            }
        };
        let time = |value: Value, key: &str| {
            DateTime::<Utc>::deserialize(&value)
                .map_err(|e| D::Error::custom(format!("page {key}: {e}")))
        };
        let created_time = time(required(&mut map, "created_time")?, "created_time")?;
        let last_edited_time = time(required(&mut map, "last_edited_time")?, "last_edited_time")?;
        let parent = Parent::deserialize(&required(&mut map, "parent")?)
            .map_err(|e| D::Error::custom(format!("page parent: {e}")))?;
        let mut lenient = Lenient {
            map: &mut map,
            malformed: &mut malformed,
        };
        let properties = lenient
            .take::<IndexMap<String, PropertyValue>>("properties")
            .unwrap_or_default();
        Ok(Page {
            id,
            created_time,
            last_edited_time,
            created_by: lenient.take("created_by"),
            last_edited_by: lenient.take("last_edited_by"),
            parent,
            in_trash: lenient.take("in_trash").unwrap_or_default(),
            archived: lenient.take("archived").unwrap_or_default(),
            is_archived: lenient.take("is_archived").unwrap_or_default(),
            is_locked: lenient.take("is_locked").unwrap_or_default(),
            properties,
            url: lenient.take("url").unwrap_or_default(),
            public_url: lenient.take("public_url"),
            icon: lenient.take("icon"),
            cover: lenient.take("cover"),
            malformed,
        })
    }
}

/// Takes optional fields out of an object: absent or `null` is `None`; a
/// value that does not parse is `None` too and goes to `malformed` as sent.
struct Lenient<'a> {
    map: &'a mut Map<String, Value>,
    malformed: &'a mut Map<String, Value>,
}

impl Lenient<'_> {
    fn take<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let value = self.map.remove(key).filter(|v| !v.is_null())?;
        match T::deserialize(&value) {
            Ok(parsed) => Some(parsed),
            Err(_) => {
                self.malformed.insert(key.to_string(), value);
                None
            }
        }
    }
}

/// `missing_field` with a key known only at run time.
trait MissingField: serde::de::Error {
    fn missing_field_owned(key: &str) -> Self {
        Self::custom(format_args!("missing field `{key}`"))
    }
}

impl<E: serde::de::Error> MissingField for E {}

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
