//! The shapes Notion POSTs to a webhook endpoint: an [`Event`] (a signal
//! that an entity changed, without its content) and, once per subscription,
//! the [`VerificationRequest`] handshake.
//!
//! Only what the receiver and the planner rely on is strict: `id`,
//! `timestamp`, `type` and `entity`. The rest is kept leniently (defaults
//! when absent, `data` as raw JSON), because refusing a real event Notion
//! reshaped a little would lose it after its retries run out.
//!
//! ```
//! use webhooks::{Event, EventType};
//!
//! let event: Event = serde_json::from_str(r#"{
//!     "id": "367cba44-b6f3-4c92-81e7-6a2e9659efd4",
//!     "timestamp": "2024-12-05T23:55:34.285Z",
//!     "workspace_id": "13950b26-c203-4f3b-b97d-93ec06319565",
//!     "subscription_id": "29d75c0d-5546-4414-8459-7b7a92f1fc4b",
//!     "integration_id": "0ef2e755-4912-8096-91c1-00376a88a5ca",
//!     "type": "page.created",
//!     "authors": [{"id": "c7c11cca-1d73-471d-9b6e-bdef51470190", "type": "person"}],
//!     "attempt_number": 1,
//!     "entity": {"id": "153104cd-477e-809d-8dc4-ff2d96ae3090", "type": "page"},
//!     "data": {"parent": {"id": "0ef104cd-477e-80e1-8571-cfd10e92339a", "type": "page"}}
//! }"#)?;
//! assert_eq!(event.kind, EventType::PageCreated);
//! assert_eq!(event.entity.id, "153104cd-477e-809d-8dc4-ff2d96ae3090");
//! # Ok::<(), serde_json::Error>(())
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::secret::Secret;

/// One webhook event as Notion sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The event's id: the same across Notion's retries, so the key of deduplication.
    pub id: String,
    /// When the change happened (order events by this, not by arrival).
    pub timestamp: DateTime<Utc>,
    /// The workspace the change happened in.
    #[serde(default)]
    pub workspace_id: String,
    /// The workspace's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_name: Option<String>,
    /// The webhook subscription that delivered the event.
    #[serde(default)]
    pub subscription_id: String,
    /// The integration the subscription belongs to.
    #[serde(default)]
    pub integration_id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// Who made the change (more than one for an aggregated event).
    #[serde(default)]
    pub authors: Vec<Author>,
    /// Delivery attempt, 1 to 8.
    #[serde(default = "first_attempt")]
    pub attempt_number: u32,
    /// The page, database, data source, comment... that changed.
    pub entity: Entity,
    /// Event-specific details (`parent`, `updated_blocks`,
    /// `updated_properties`...), kept as sent.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
    /// The API version whose shapes the event uses (data source events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
}

fn first_attempt() -> u32 {
    1
}

/// The object an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// Its id, as Notion sends it (lowercase with dashes).
    pub id: String,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: EntityType,
}

/// The kind of object an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum EntityType {
    /// A page (standalone or a data source row).
    Page,
    /// A block (for example a linked database's `child_database` block).
    Block,
    /// A database (a container of data sources).
    Database,
    /// A data source (the rows and schema of a database).
    DataSource,
    /// A comment.
    Comment,
    /// A view of a database.
    View,
    /// A file upload.
    FileUpload,
    /// A kind this crate does not know, kept as sent.
    Unknown(String),
}

impl EntityType {
    /// The name Notion uses.
    pub fn as_str(&self) -> &str {
        match self {
            EntityType::Page => "page",
            EntityType::Block => "block",
            EntityType::Database => "database",
            EntityType::DataSource => "data_source",
            EntityType::Comment => "comment",
            EntityType::View => "view",
            EntityType::FileUpload => "file_upload",
            EntityType::Unknown(s) => s,
        }
    }
}

impl From<String> for EntityType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "page" => EntityType::Page,
            "block" => EntityType::Block,
            "database" => EntityType::Database,
            "data_source" => EntityType::DataSource,
            "comment" => EntityType::Comment,
            "view" => EntityType::View,
            "file_upload" => EntityType::FileUpload,
            _ => EntityType::Unknown(s),
        }
    }
}

impl From<EntityType> for String {
    fn from(t: EntityType) -> Self {
        t.as_str().to_string()
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The user's or bot's id.
    pub id: String,
    /// `person`, `bot` or `agent`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

macro_rules! event_types {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// The `type` of an event. Types Notion adds later arrive as
        /// [`EventType::Unknown`] with their name.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum EventType {
            $($(#[$doc])* $variant,)*
            /// A type this crate does not know, kept as sent.
            Unknown(String),
        }

        impl EventType {
            /// Every type this crate knows, in declaration order.
            pub const KNOWN: &'static [EventType] = &[$(EventType::$variant,)*];

            /// The name Notion uses (`page.created`...).
            pub fn as_str(&self) -> &str {
                match self {
                    $(EventType::$variant => $name,)*
                    EventType::Unknown(s) => s,
                }
            }
        }

        impl From<String> for EventType {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($name => EventType::$variant,)*
                    _ => EventType::Unknown(s),
                }
            }
        }
    };
}

event_types! {
    /// A page was created.
    PageCreated = "page.created",
    /// A page's content (its blocks) changed.
    PageContentUpdated = "page.content_updated",
    /// A page's properties (title included) changed.
    PagePropertiesUpdated = "page.properties_updated",
    /// A page moved to another parent.
    PageMoved = "page.moved",
    /// A page was moved to the trash.
    PageDeleted = "page.deleted",
    /// A page came back from the trash.
    PageUndeleted = "page.undeleted",
    /// A page was locked against editing.
    PageLocked = "page.locked",
    /// A page was unlocked.
    PageUnlocked = "page.unlocked",
    /// A database was created.
    DatabaseCreated = "database.created",
    /// A database's content changed (deprecated in API 2025-09-03).
    DatabaseContentUpdated = "database.content_updated",
    /// A database's schema changed (deprecated in API 2025-09-03).
    DatabaseSchemaUpdated = "database.schema_updated",
    /// A database moved.
    DatabaseMoved = "database.moved",
    /// A database was moved to the trash.
    DatabaseDeleted = "database.deleted",
    /// A database came back from the trash.
    DatabaseUndeleted = "database.undeleted",
    /// A data source was created in a database.
    DataSourceCreated = "data_source.created",
    /// A data source's rows changed (added, removed, edited).
    DataSourceContentUpdated = "data_source.content_updated",
    /// A data source's schema changed.
    DataSourceSchemaUpdated = "data_source.schema_updated",
    /// A data source moved to another database.
    DataSourceMoved = "data_source.moved",
    /// A data source was moved to the trash.
    DataSourceDeleted = "data_source.deleted",
    /// A data source came back from the trash.
    DataSourceUndeleted = "data_source.undeleted",
    /// A comment was added.
    CommentCreated = "comment.created",
    /// A comment was edited.
    CommentUpdated = "comment.updated",
    /// A comment was deleted.
    CommentDeleted = "comment.deleted",
    /// A database view was created.
    ViewCreated = "view.created",
    /// A database view changed.
    ViewUpdated = "view.updated",
    /// A database view was deleted.
    ViewDeleted = "view.deleted",
    /// A file upload was created.
    FileUploadCreated = "file_upload.created",
    /// A file upload completed.
    FileUploadCompleted = "file_upload.completed",
    /// A file upload expired.
    FileUploadExpired = "file_upload.expired",
    /// A file upload failed.
    FileUploadFailed = "file_upload.upload_failed",
}

impl From<EventType> for String {
    fn from(t: EventType) -> Self {
        t.as_str().to_string()
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The handshake body Notion POSTs once when a subscription is created (and
/// again on "Resend token"). It carries no signature: the token in it is the
/// key every later event is signed with.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationRequest {
    /// The token to paste into the Verify form, and the signing key.
    pub verification_token: Secret,
}

impl std::fmt::Debug for VerificationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationRequest")
            .field("verification_token", &self.verification_token)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_round_trip_through_their_names() {
        for t in EventType::KNOWN {
            assert_eq!(&EventType::from(t.as_str().to_string()), t);
        }
        let odd = EventType::from("page.transcribed".to_string());
        assert_eq!(odd, EventType::Unknown("page.transcribed".into()));
        assert_eq!(odd.as_str(), "page.transcribed");
    }

    #[test]
    fn an_event_keeps_unknown_types_and_data_through_serde() {
        let raw = serde_json::json!({
            "id": "e1", "timestamp": "2026-01-05T09:00:00.123Z",
            "type": "view.renamed", "entity": {"id": "v1", "type": "view_thing"},
            "data": {"parent": {"id": "p", "type": "page"}}
        });
        let event: Event = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(event.kind, EventType::Unknown("view.renamed".into()));
        assert_eq!(event.entity.kind, EntityType::Unknown("view_thing".into()));
        assert_eq!(event.attempt_number, 1);
        let back = serde_json::to_value(&event).unwrap();
        assert_eq!(back["type"], "view.renamed");
        assert_eq!(back["data"], raw["data"]);
    }

    #[test]
    fn an_event_without_id_timestamp_or_entity_is_refused() {
        for missing in ["id", "timestamp", "type", "entity"] {
            let mut raw = serde_json::json!({
                "id": "e1", "timestamp": "2026-01-05T09:00:00Z",
                "type": "page.created", "entity": {"id": "p", "type": "page"}
            });
            raw.as_object_mut().unwrap().remove(missing);
            assert!(serde_json::from_value::<Event>(raw).is_err(), "{missing}");
        }
    }

    #[test]
    fn the_handshake_body_is_exactly_one_token() {
        let ok: VerificationRequest =
            serde_json::from_str(r#"{"verification_token":"secret_abc"}"#).unwrap();
        assert_eq!(ok.verification_token.expose(), "secret_abc");
        assert!(!format!("{ok:?}").contains("secret_abc"));
        assert!(
            serde_json::from_str::<VerificationRequest>(r#"{"verification_token":"a","x":1}"#)
                .is_err()
        );
    }
}
