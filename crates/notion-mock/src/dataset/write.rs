//! Writes a workspace back in the dataset file form (placeholder).

use serde_json::{Value, json};

use crate::workspace::Workspace;

pub(crate) fn write(ws: &Workspace) -> Value {
    json!({"name": ws.name})
}
