//! The write calls of [`NotionClient`]: create pages, databases and data
//! sources, append block children, update pages, blocks and data sources.
//!
//! Bodies are Notion's request JSON, passed through as given (the caller
//! builds them within Notion's limits: 100 blocks per array, two levels of
//! nesting, 1,000 blocks and 500 KB per request, 2,000 characters per text).
//! Writes share the client's rate limiter and 429/529 pauses with reads. A
//! write that fails with a 5xx or a transport error is not sent again, since
//! Notion may have made it: the caller decides (read back, then retry).
//!
//! ```no_run
//! # async fn run() -> Result<(), notion_source::client::ClientError> {
//! use notion_source::client::{ClientConfig, NotionClient, SecretToken};
//! use serde_json::json;
//!
//! let client = NotionClient::new(SecretToken::new("secret_..."), ClientConfig::default())?;
//! let page = client
//!     .create_page(&json!({
//!         "parent": {"page_id": "11111111111111111111111111111111"},
//!         "properties": {"title": {"title": [{"text": {"content": "Notes"}}]}},
//!         "children": [{"paragraph": {"rich_text": [{"text": {"content": "Hello"}}]}}],
//!     }))
//!     .await?;
//! let more = client
//!     .append_block_children(&page.id, &json!({"children": [{"divider": {}}]}))
//!     .await?;
//! assert_eq!(more.results.len(), 1);
//! # Ok(()) }
//! ```

use serde_json::Value;

use crate::model::{Block, DataSource, Database, ListResponse, Page};

use super::NotionClient;
use super::endpoint::Endpoint;
use super::error::ClientError;
use super::request::Call;

impl NotionClient {
    /// Creates a page under a page (`parent.page_id`) or a row of a data
    /// source (`parent.data_source_id`), with its content in `children`
    /// (`POST /v1/pages`).
    pub async fn create_page(&self, body: &Value) -> Result<Page, ClientError> {
        self.write(Endpoint::CreatePage, &[], body).await
    }

    /// Updates a page's properties, icon or cover, or moves it to the trash
    /// (`PATCH /v1/pages/{id}`).
    pub async fn update_page(&self, page_id: &str, body: &Value) -> Result<Page, ClientError> {
        self.write(Endpoint::UpdatePage, &[page_id], body).await
    }

    /// Moves a page, and everything under it, to the trash.
    pub async fn trash_page(&self, page_id: &str) -> Result<Page, ClientError> {
        self.update_page(page_id, &serde_json::json!({"in_trash": true}))
            .await
    }

    /// Appends blocks to a page or block (`PATCH /v1/blocks/{id}/children`,
    /// body `{"children": [...], "after"?: id}`). The answer lists the new
    /// top-level blocks; blocks nested in the request are not listed (read
    /// their parent's children to learn their ids).
    pub async fn append_block_children(
        &self,
        block_id: &str,
        body: &Value,
    ) -> Result<ListResponse<Block>, ClientError> {
        self.write(Endpoint::AppendBlockChildren, &[block_id], body)
            .await
    }

    /// Updates a block's content (`{"<type>": {...}}`) or trashes it
    /// (`PATCH /v1/blocks/{id}`).
    pub async fn update_block(&self, block_id: &str, body: &Value) -> Result<Block, ClientError> {
        self.write(Endpoint::UpdateBlock, &[block_id], body).await
    }

    /// Creates a database on a page, with its first data source's schema in
    /// `initial_data_source.properties` (`POST /v1/databases`).
    pub async fn create_database(&self, body: &Value) -> Result<Database, ClientError> {
        self.write(Endpoint::CreateDatabase, &[], body).await
    }

    /// Adds a data source to a database (`POST /v1/data_sources`).
    pub async fn create_data_source(&self, body: &Value) -> Result<DataSource, ClientError> {
        self.write(Endpoint::CreateDataSource, &[], body).await
    }

    /// Renames a data source or adds, changes and removes its properties
    /// (`PATCH /v1/data_sources/{id}`).
    pub async fn update_data_source(
        &self,
        data_source_id: &str,
        body: &Value,
    ) -> Result<DataSource, ClientError> {
        self.write(Endpoint::UpdateDataSource, &[data_source_id], body)
            .await
    }

    async fn write<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        ids: &[&str],
        body: &Value,
    ) -> Result<T, ClientError> {
        let url = self.url(endpoint, ids, &[])?;
        self.shared
            .execute(
                Call {
                    endpoint,
                    url,
                    body: Some(body.clone()),
                },
                &self.cancel,
            )
            .await
    }
}
