//! What an upload did: which dataset object became which Notion object,
//! what could only be written differently (and why), which pages were not
//! uploaded (and why), and the requests it took.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The outcome of [`upload`](crate::upload).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UploadReport {
    /// The page the upload went under.
    pub parent: String,
    /// Dataset id → Notion id, for every page, database and data source, and
    /// for the blocks whose ids the upload learned (top-level blocks of an
    /// append, blocks it read back; blocks created nested in a request and
    /// never read keep no entry). Keys of objects the upload added are
    /// derived from a dataset id: `<id>/2` continues a block whose text
    /// needed several blocks, `<id>/link` links to a lifted page, and
    /// `<copy>/<id>` is an unsynced copy's content.
    pub ids: BTreeMap<String, String>,
    /// The pages created, in creation order.
    pub pages: Vec<UploadedPage>,
    /// Everything written differently from the dataset, and why.
    pub differences: Vec<Difference>,
    /// Dataset pages not uploaded, and why.
    pub skipped: Vec<SkippedPage>,
    /// Steps the upload plan has.
    pub steps: usize,
    /// The step a resumed upload started from (`None`: a fresh upload).
    pub resumed_at: Option<usize>,
    /// Requests this run sent (retries included), from the client's
    /// counters: requests other tasks send through the same client count too.
    pub requests: RequestCounts,
}

/// A page the upload created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedPage {
    /// Its id in the dataset.
    pub dataset_id: String,
    /// Its id in Notion.
    pub notion_id: String,
    /// Its title.
    pub title: String,
    /// Created directly under the upload's parent page.
    pub top_level: bool,
}

/// Something written differently from the dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// What changed.
    pub kind: DifferenceKind,
    /// The dataset object concerned (a block, page, database or data source id).
    pub object: String,
    /// The dataset page it is on (a database's or data source's own id for a schema).
    pub page: String,
    /// A word on the object (the URL, type, property or text concerned).
    pub detail: String,
}

/// Why something is written differently. Each has a fixed rule, so a reader
/// of the upload (a self-test) can expect exactly these differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// A Notion-hosted file (a signed URL that expires, which Notion does not
    /// take back) is written as an external file: the URL without its signature.
    HostedFileAsExternal,
    /// A `link_preview` block (the API cannot create one) is written as a
    /// `bookmark` of the same URL.
    LinkPreviewAsBookmark,
    /// A `meeting_notes` (or `transcription`) block is written as a `toggle`
    /// holding its title and content.
    MeetingNotesAsToggle,
    /// A block the API cannot create (`unsupported`, an unknown type) is left out.
    BlockNotCreatable,
    /// A data source mention is written as a mention of its database.
    DataSourceMentionAsDatabase,
    /// A link preview or link mention is written as linked text (its title, or the URL).
    LinkMentionAsText,
    /// A custom emoji mention is written as `:name:` text (the emoji exists
    /// only in the source workspace).
    CustomEmojiAsText,
    /// A user the workspace does not have: a mention is written as `@Name`
    /// text, a people value leaves the user out.
    UserNotInWorkspace,
    /// A mention of, link to or relation with a page or database that is not
    /// uploaded: a mention becomes its text, a link or relation is left out.
    TargetNotUploaded,
    /// A page or database inside a block (the API creates them on pages
    /// only) is created on its page right after that block; a link to it
    /// stands in the block.
    DocumentLiftedFromBlock,
    /// A numbered list item's `list_start_index` or `list_format`, which the
    /// API does not write, is left out.
    ListFormatDropped,
    /// A rich text of more than 100 runs is written over several blocks of
    /// the same type (captions, cells and titles keep their first 100 runs).
    RichTextSplit,
    /// An equation longer than 1,000 characters is written as inline code
    /// (or a `latex` code block).
    EquationAsCode,
    /// A link URL longer than 2,000 characters is left out (its text stays).
    LinkDropped,
    /// Values Notion computes (formula, rollup, unique id, created and edited
    /// time and by, button) are not written: Notion computes its own.
    ComputedProperty,
    /// A synced block copy whose original is not uploaded, or comes later, is
    /// written as an original holding the same content.
    SyncedCopyUnsynced,
    /// A tab item that is not a paragraph (the API's tabs hold paragraphs) is
    /// wrapped in an empty paragraph.
    TabItemWrapped,
    /// An icon the API cannot take (a custom emoji of the source workspace) is left out.
    IconDropped,
    /// A relation, people or multi-select value of more than 100 items keeps its first 100.
    ItemsTruncated,
    /// A page search does not return in the dataset is, once uploaded, found
    /// by search (the API cannot hide a page from it).
    FoundBySearch,
}

/// A dataset page that was not uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedPage {
    /// Its id in the dataset.
    pub dataset_id: String,
    /// Its title.
    pub title: String,
    /// Why.
    pub reason: SkipReason,
}

/// Why a page is not uploaded: the upload writes what a crawl of the
/// dataset reads, and a crawl skips these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// In the trash.
    InTrash,
    /// Archived.
    Archived,
    /// Not shared with the integration.
    NotShared,
    /// Shared, but nothing a crawl starts from leads to it.
    NotReachable,
}

/// Requests one upload run sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Writes (creates, appends, updates).
    pub writes: u64,
    /// Reads (ids of nested blocks, users, checks after a lost answer).
    pub reads: u64,
    /// Answers 429 or 529 among them.
    pub rate_limited: u64,
}
