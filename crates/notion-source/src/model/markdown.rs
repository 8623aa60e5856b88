//! The page-as-Markdown answer (`GET /v1/pages/{id}/markdown`) and the
//! versions of Notion-flavoured Markdown it can be written in.

use serde::{Deserialize, Serialize};

/// A page (or a block's subtree) as Notion-flavoured Markdown
/// (`object: "page_markdown"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMarkdown {
    /// The page or block asked for.
    pub id: String,
    /// The content, in the version the request asked for (no title, no properties).
    #[serde(default)]
    pub markdown: String,
    /// Set when Notion stopped before the end (its record limit) or met
    /// content the integration may not see.
    #[serde(default)]
    pub truncated: bool,
    /// Blocks written only as an `<unknown>` placeholder: ask for each again
    /// (truncated subtrees come back; unshared ones answer 404), or read it
    /// through the block API (types the endpoint cannot show).
    #[serde(default)]
    pub unknown_block_ids: Vec<String>,
    /// Notion's id for the request.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// A version of Notion-flavoured Markdown (the `markdown_version` query parameter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkdownVersion {
    /// "Enhanced Markdown": single line breaks between blocks, tab-indented
    /// children, `{color=...}` suffixes. The default up to API version 2026-03-11.
    V1,
    /// Notion-flavoured Markdown: blank lines between blocks, tag containers
    /// for children. The default from API version 2026-12-01, which rejects `v1`.
    #[default]
    V2,
}

impl MarkdownVersion {
    /// The value of the `markdown_version` query parameter (`v1`, `v2`).
    pub fn as_str(self) -> &'static str {
        match self {
            MarkdownVersion::V1 => "v1",
            MarkdownVersion::V2 => "v2",
        }
    }
}

/// How to read the block a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Refetch {
    /// Ask the Markdown endpoint for the block's id: a truncated subtree
    /// comes back; unshared content answers 404 (leave the placeholder).
    Markdown,
    /// A type the endpoint cannot write (bookmark, embed, link preview, link
    /// to page, breadcrumb, template, unsupported, unknown types): read it
    /// with `GET /v1/blocks/{id}` (and its children, if it has any).
    Block,
    /// The placeholder names no block: nothing to fetch.
    Nothing,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_notions_answer() {
        let answer: PageMarkdown = serde_json::from_value(serde_json::json!({
            "object": "page_markdown", "id": "p", "markdown": "# Hi",
            "truncated": true, "unknown_block_ids": ["b"]
        }))
        .unwrap();
        assert_eq!(answer.markdown, "# Hi");
        assert!(answer.truncated);
        assert_eq!(answer.unknown_block_ids, ["b"]);
        assert_eq!(
            serde_json::to_value(MarkdownVersion::V1).unwrap(),
            serde_json::json!("v1")
        );
    }
}
