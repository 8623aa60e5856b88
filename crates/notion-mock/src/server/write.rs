//! Notion's write endpoints: routing, validation (size first, then the
//! JSON, then the shapes and limits of [`crate::write_validation`]), the
//! write itself ([`crate::create`]) under the workspace's write lock, and the
//! answer, rendered like the read endpoints render the same objects.
//!
//! | Endpoint | Answer |
//! |---|---|
//! | `POST /v1/pages` | the new page |
//! | `PATCH /v1/pages/{id}` | the page (properties, icon, cover, `in_trash`) |
//! | `PATCH /v1/blocks/{id}/children` | a list of the new top-level blocks (nested ones are not listed) |
//! | `PATCH /v1/blocks/{id}` | the block |
//! | `POST /v1/databases` | the database, with its first data source |
//! | `POST /v1/data_sources` | the data source |
//! | `PATCH /v1/data_sources/{id}` | the data source |

use serde_json::{Value, json};

use super::State;
use super::error::ApiError;
use crate::create::WriteError;
use crate::workspace::Workspace;
use crate::write_validation::{self as check, Violation};

/// A write operation and its path id.
enum Op<'a> {
    CreatePage,
    UpdatePage(&'a str),
    AppendChildren(&'a str),
    UpdateBlock(&'a str),
    CreateDatabase,
    CreateDataSource,
    UpdateDataSource(&'a str),
}

/// Answers a write request, or `None` when the request is not a write.
pub(crate) fn route(
    state: &State,
    method: &str,
    path: &str,
    body: &[u8],
) -> Option<Result<Value, ApiError>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let op = match (method, segments.as_slice()) {
        ("POST", ["v1", "pages"]) => Op::CreatePage,
        ("PATCH", ["v1", "pages", id]) => Op::UpdatePage(id),
        ("PATCH", ["v1", "blocks", id, "children"]) => Op::AppendChildren(id),
        ("PATCH", ["v1", "blocks", id]) => Op::UpdateBlock(id),
        ("POST", ["v1", "databases"]) => Op::CreateDatabase,
        ("POST", ["v1", "data_sources"]) => Op::CreateDataSource,
        ("PATCH", ["v1", "data_sources", id]) => Op::UpdateDataSource(id),
        _ => return None,
    };
    Some(write(state, &op, body))
}

fn write(state: &State, op: &Op<'_>, bytes: &[u8]) -> Result<Value, ApiError> {
    check::body_size(bytes.len()).map_err(violation)?;
    let body: Value = serde_json::from_slice(bytes).map_err(|_| ApiError::invalid_json())?;
    let checked = match op {
        Op::CreatePage => check::create_page(&body),
        Op::UpdatePage(_) => check::update_page(&body),
        Op::AppendChildren(_) => check::append_children(&body),
        Op::UpdateBlock(_) => check::update_block(&body),
        Op::CreateDatabase => check::create_database(&body),
        Op::CreateDataSource => check::create_data_source(&body),
        Op::UpdateDataSource(_) => check::update_data_source(&body),
    };
    checked.map_err(violation)?;
    let mut ws = state.ws.write().expect("workspace lock");
    apply(&mut ws, op, &body).map_err(|e| match e {
        WriteError::NotFound { kind, id } => ApiError::not_found(kind, &id),
        WriteError::Invalid(message) => ApiError::validation(message),
    })
}

/// Makes the write and renders what it wrote.
fn apply(ws: &mut Workspace, op: &Op<'_>, body: &Value) -> Result<Value, WriteError> {
    let page = |ws: &Workspace, id: &str| ws.render_page(&ws.pages[id], None);
    Ok(match op {
        Op::CreatePage => {
            let id = ws.create_page(body)?;
            page(ws, &id)
        }
        Op::UpdatePage(raw) => {
            let id = ws.update_page_fields(raw, body)?;
            page(ws, &id)
        }
        Op::AppendChildren(raw) => {
            let ids = ws.append_children(raw, body)?;
            let results: Vec<Value> = ids
                .iter()
                .filter_map(|id| ws.node(id))
                .map(|node| ws.render_block(&node))
                .collect();
            json!({"object": "list", "results": results, "next_cursor": null, "has_more": false, "type": "block", "block": {}})
        }
        Op::UpdateBlock(raw) => {
            let id = ws.update_block(raw, body)?;
            let node = ws.node(&id).expect("the block was just written");
            ws.render_block(&node)
        }
        Op::CreateDatabase => {
            let id = ws.create_database(body)?;
            ws.databases[&id].object.clone()
        }
        Op::CreateDataSource => {
            let id = ws.create_data_source(body)?;
            ws.data_sources[&id].object.clone()
        }
        Op::UpdateDataSource(raw) => {
            let id = ws.update_data_source(raw, body)?;
            ws.data_sources[&id].object.clone()
        }
    })
}

fn violation(v: Violation) -> ApiError {
    ApiError::validation(v.0)
}
