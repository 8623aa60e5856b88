//! Small shapes shared by pages, blocks and properties: users, dates, parents,
//! icons and file objects.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::rich_text::RichText;
use super::tagged::{notion_tagged, null_as_default};

/// A (possibly partial) user or group. Integrations without user capability
/// see only the id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// User or group id.
    pub id: String,
    /// `user` or `group`.
    #[serde(default)]
    pub object: Option<String>,
    /// Display name, when visible.
    #[serde(default)]
    pub name: Option<String>,
    /// `person` or `bot`.
    #[serde(default, rename = "type")]
    pub user_type: Option<String>,
    /// A person's e-mail, when visible.
    #[serde(default)]
    pub person: Option<Person>,
}

/// The `person` part of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
}

/// A date or a date range. `start` and `end` are ISO 8601 dates or datetimes,
/// kept as Notion wrote them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateValue {
    /// Start, e.g. `2026-07-04` or `2026-07-04T09:00:00.000+02:00`.
    pub start: String,
    /// End of a range.
    #[serde(default)]
    pub end: Option<String>,
    /// IANA time zone, when set.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Where a page, database, data source or block lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    /// The workspace's top level.
    Workspace,
    /// A page.
    Page {
        /// The parent page.
        page_id: String,
    },
    /// A block (a page nested in a column, a toggle, a synced block...).
    Block {
        /// The parent block.
        block_id: String,
    },
    /// A database (old versions, and data sources' parent).
    Database {
        /// The parent database.
        database_id: String,
    },
    /// A data source: the page is one of its rows.
    DataSource {
        /// The data source.
        data_source_id: String,
        /// Its database, when given.
        database_id: Option<String>,
    },
    /// A parent type this crate does not know.
    Unknown {
        /// The `type` string.
        type_name: String,
        /// The whole parent object.
        raw: Value,
    },
}

impl Parent {
    /// The `type` string, as Notion names it.
    pub fn type_name(&self) -> &str {
        match self {
            Parent::Workspace => "workspace",
            Parent::Page { .. } => "page_id",
            Parent::Block { .. } => "block_id",
            Parent::Database { .. } => "database_id",
            Parent::DataSource { .. } => "data_source_id",
            Parent::Unknown { type_name, .. } => type_name,
        }
    }

    /// The parent's id (`None` for the workspace).
    pub fn id(&self) -> Option<&str> {
        match self {
            Parent::Workspace | Parent::Unknown { .. } => None,
            Parent::Page { page_id } => Some(page_id),
            Parent::Block { block_id } => Some(block_id),
            Parent::Database { database_id } => Some(database_id),
            Parent::DataSource { data_source_id, .. } => Some(data_source_id),
        }
    }
}

impl<'de> Deserialize<'de> for Parent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        let type_name = map
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let field = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
        let parent = match (type_name.as_str(), field(&type_name)) {
            ("workspace", _) => Parent::Workspace,
            ("page_id", Some(page_id)) => Parent::Page { page_id },
            ("block_id", Some(block_id)) => Parent::Block { block_id },
            ("database_id", Some(database_id)) => Parent::Database { database_id },
            ("data_source_id", Some(data_source_id)) => Parent::DataSource {
                data_source_id,
                database_id: field("database_id"),
            },
            _ => Parent::Unknown {
                type_name,
                raw: Value::Object(map),
            },
        };
        Ok(parent)
    }
}

impl Serialize for Parent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = Map::new();
        match self {
            Parent::Unknown { raw, .. } => return raw.serialize(serializer),
            Parent::Workspace => {
                map.insert("workspace".into(), Value::Bool(true));
            }
            Parent::DataSource {
                data_source_id,
                database_id,
            } => {
                map.insert("data_source_id".into(), data_source_id.clone().into());
                if let Some(db) = database_id {
                    map.insert("database_id".into(), db.clone().into());
                }
            }
            other => {
                let id = other.id().unwrap_or_default().to_string();
                map.insert(other.type_name().into(), id.into());
            }
        }
        map.insert("type".into(), self.type_name().into());
        map.serialize(serializer)
    }
}

notion_tagged! {
    /// Where a file lives: on Notion (signed, expiring URL), elsewhere, or an upload.
    pub enum FileSource {
        /// Notion-hosted: the URL is signed and expires.
        File(HostedFile) = "file",
        /// An external URL, stable.
        External(ExternalFile) = "external",
        /// A file uploaded through the API, by id.
        FileUpload(FileUploadRef) = "file_upload",
    }
}

impl FileSource {
    /// The file's URL, if it has one (signed for Notion-hosted files).
    pub fn url(&self) -> Option<&str> {
        match self {
            FileSource::File(f) => Some(&f.url),
            FileSource::External(f) => Some(&f.url),
            _ => None,
        }
    }
}

/// A Notion-hosted file: a signed URL valid until `expiry_time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostedFile {
    /// Signed URL; never store it, it dies within an hour.
    pub url: String,
    /// When the URL stops working.
    #[serde(default)]
    pub expiry_time: Option<DateTime<Utc>>,
}

/// An external file URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalFile {
    /// The URL.
    pub url: String,
}

/// A file uploaded through Notion's upload API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileUploadRef {
    /// Upload id.
    pub id: String,
}

/// A file with a name, as in a `files` property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedFile {
    /// The file's name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Where it lives.
    #[serde(flatten)]
    pub source: FileSource,
}

notion_tagged! {
    /// A page or callout icon.
    pub enum Icon {
        /// An emoji character.
        Emoji(String) = "emoji",
        /// An external image.
        External(ExternalFile) = "external",
        /// A Notion-hosted image.
        File(HostedFile) = "file",
        /// A workspace custom emoji.
        CustomEmoji(super::rich_text::CustomEmoji) = "custom_emoji",
        /// One of Notion's built-in icons.
        Icon(Value) = "icon",
    }
}

impl Icon {
    /// The icon as text, when it has a textual form (an emoji, `:name:`).
    pub fn as_text(&self) -> Option<String> {
        match self {
            Icon::Emoji(e) => Some(e.clone()),
            Icon::CustomEmoji(c) => c.name.as_ref().map(|n| format!(":{n}:")),
            _ => None,
        }
    }
}

/// A caption: a rich-text array that may be absent or `null`.
pub type Caption = Vec<RichText>;
