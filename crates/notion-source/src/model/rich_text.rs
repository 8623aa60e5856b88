//! Rich text: the runs of formatted text inside blocks, titles and properties.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{DateValue, User};
use super::tagged::{notion_tagged, null_as_default};

/// One run of rich text: its content kind, formatting and plain-text form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RichText {
    /// The run's text as Notion renders it (a mention's title, an equation's source).
    #[serde(default, deserialize_with = "null_as_default")]
    pub plain_text: String,
    /// The link target of the run, if any.
    #[serde(default)]
    pub href: Option<String>,
    /// Bold, italic and the rest.
    #[serde(default)]
    pub annotations: Annotations,
    /// What the run is: text, a mention or an inline equation.
    #[serde(flatten)]
    pub kind: RichTextKind,
}

impl RichText {
    /// A plain, unannotated text run (handy in tests and examples).
    pub fn plain(text: &str) -> Self {
        RichText {
            plain_text: text.to_string(),
            href: None,
            annotations: Annotations::default(),
            kind: RichTextKind::Text(TextContent {
                content: text.to_string(),
                link: None,
            }),
        }
    }
}

/// Concatenates the plain text of a rich-text array.
pub fn plain_text(runs: &[RichText]) -> String {
    runs.iter().map(|r| r.plain_text.as_str()).collect()
}

/// Formatting of a rich-text run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Annotations {
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
    /// Struck through.
    pub strikethrough: bool,
    /// Underlined.
    pub underline: bool,
    /// Inline code.
    pub code: bool,
    /// Text or background colour (`default`, `red`, `blue_background`, ...).
    #[serde(deserialize_with = "null_as_default")]
    pub color: String,
}

notion_tagged! {
    /// The content of a rich-text run.
    pub enum RichTextKind {
        /// Literal text, possibly linked.
        Text(TextContent) = "text",
        /// A reference to a user, page, database, date, link and so on.
        Mention(Mention) = "mention",
        /// An inline LaTeX equation.
        Equation(EquationContent) = "equation",
    }
}

/// The content of a `text` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextContent {
    /// The text.
    #[serde(default, deserialize_with = "null_as_default")]
    pub content: String,
    /// Its link, if any.
    #[serde(default)]
    pub link: Option<Link>,
}

/// A hyperlink target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The URL (may be a relative Notion path such as `/0123...`).
    pub url: String,
}

/// The content of an inline or block equation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EquationContent {
    /// The LaTeX source.
    #[serde(default, deserialize_with = "null_as_default")]
    pub expression: String,
}

/// An object reference by id (`{"id": "..."}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdRef {
    /// The referenced object's id.
    pub id: String,
}

notion_tagged! {
    /// What a `mention` run refers to.
    pub enum Mention {
        /// A workspace user (name only when the integration may read users).
        User(User) = "user",
        /// A page; the run's `plain_text` holds its title.
        Page(IdRef) = "page",
        /// A database.
        Database(IdRef) = "database",
        /// A data source.
        DataSource(IdRef) = "data_source",
        /// A date or date range.
        Date(DateValue) = "date",
        /// A link preview (an unfurled URL).
        LinkPreview(UrlRef) = "link_preview",
        /// A link mention (a URL shown with its title).
        LinkMention(LinkMention) = "link_mention",
        /// A template placeholder (`@today`, `@me`).
        TemplateMention(Value) = "template_mention",
        /// A custom emoji.
        CustomEmoji(CustomEmoji) = "custom_emoji",
    }
}

/// An object holding a URL (`{"url": "..."}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrlRef {
    /// The URL.
    pub url: String,
}

/// A `link_mention`: a URL with the metadata Notion fetched for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkMention {
    /// The link target.
    pub href: String,
    /// The linked page's title, when Notion knows it.
    #[serde(default)]
    pub title: Option<String>,
}

/// A workspace's custom emoji.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomEmoji {
    /// Emoji id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its short name, such as `party-parrot`.
    #[serde(default)]
    pub name: Option<String>,
    /// Its image URL.
    #[serde(default)]
    pub url: Option<String>,
}
