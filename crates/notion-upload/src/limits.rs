//! Notion's limits on write requests, which every request the uploader
//! builds stays within.

/// The limits of one write request (defaults: Notion's, from its
/// request-limits reference and the official SDK's request types).
///
/// ```
/// let limits = notion_upload::WriteLimits::default();
/// assert_eq!((limits.children, limits.nesting, limits.blocks), (100, 2, 1000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteLimits {
    /// Blocks in one `children` array.
    pub children: usize,
    /// Levels of children below the blocks of a request's `children` array
    /// (a column adds none).
    pub nesting: usize,
    /// Block objects in one request, at every level.
    pub blocks: usize,
    /// Bytes of one request body (Notion says "500KB": 500,000 is safe either way).
    pub bytes: usize,
    /// UTF-16 code units (JavaScript's `length`) of one `text.content` or link URL.
    pub text: usize,
    /// Runs in one rich-text array.
    pub rich_text: usize,
    /// UTF-16 code units of an equation's expression.
    pub equation: usize,
    /// Items of one relation, people or multi-select value.
    pub items: usize,
}

impl Default for WriteLimits {
    fn default() -> Self {
        WriteLimits {
            children: 100,
            nesting: 2,
            blocks: 1000,
            bytes: 500_000,
            text: 2000,
            rich_text: 100,
            equation: 1000,
            items: 100,
        }
    }
}

/// A string's length as Notion counts it: UTF-16 code units.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}
