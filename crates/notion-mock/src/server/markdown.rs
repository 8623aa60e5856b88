//! `GET /v1/pages/{id}/markdown`: which version of the format to answer in
//! (the `markdown_version` parameter, else the `Notion-Version` header's
//! default: v2 from 2026-12-01, which rejects v1), and the answer.

use serde_json::Value;

use super::error::ApiError;
use crate::config::MockConfig;
use crate::markdown::{Syntax, answer};
use crate::workspace::Workspace;

/// The first API version whose default is v2, and which rejects v1.
const V2_VERSION: &str = "2026-12-01";

/// Answers a page-as-Markdown request for the (already checked) `id`.
pub(crate) fn page_markdown(
    ws: &Workspace,
    cfg: &MockConfig,
    id: &str,
    notion_version: &str,
    markdown_version: Option<&str>,
) -> Result<Value, ApiError> {
    let v2_era = notion_version.trim() >= V2_VERSION;
    let syntax = match markdown_version {
        None if v2_era => Syntax::V2,
        None => Syntax::V1,
        Some("v2") => Syntax::V2,
        Some("v1") if !v2_era => Syntax::V1,
        Some("v1") => {
            return Err(ApiError::validation(format!(
                "markdown_version `v1` is not supported in Notion-Version {V2_VERSION} and later. Use `v2`."
            )));
        }
        Some(other) => {
            return Err(ApiError::validation(format!(
                "query failed validation: query.markdown_version should be `\"v1\"` or `\"v2\"`, instead was `\"{other}\"`."
            )));
        }
    };
    answer(ws, id, syntax, cfg.markdown_block_limit)
        .map(|a| a.to_json())
        .ok_or_else(|| ApiError::not_found("page", id))
}
