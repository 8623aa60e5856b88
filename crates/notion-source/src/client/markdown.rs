//! `GET /v1/pages/{id}/markdown`: a page, or the subtree of a block an
//! earlier answer listed in `unknown_block_ids`, as Notion-flavoured Markdown.

use crate::model::{MarkdownVersion, PageMarkdown};

use super::NotionClient;
use super::endpoint::Endpoint;
use super::error::ClientError;

impl NotionClient {
    /// A page (or a block's subtree) as Notion-flavoured Markdown in
    /// `version`, sent explicitly as `markdown_version` so the answer does
    /// not depend on the `Notion-Version` header's default.
    ///
    /// A page or block the integration may not see answers 404
    /// (`ClientError::Api` with status 404), like every other endpoint.
    pub async fn page_markdown(
        &self,
        id: &str,
        version: MarkdownVersion,
    ) -> Result<PageMarkdown, ClientError> {
        let query = [("markdown_version", version.as_str().to_string())];
        self.get(Endpoint::PageMarkdown, &[id], &query).await
    }
}
