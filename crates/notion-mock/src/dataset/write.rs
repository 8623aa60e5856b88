//! Writes a workspace back in the dataset file form, every object with its
//! id and times, so that loading the result gives the same workspace (a
//! synthetic one included, its generated content written out in full).

use serde_json::{Map, Value, json};

use crate::workspace::{DatabaseRec, Node, PageRec, Workspace, title_runs};

/// The workspace as a dataset document.
pub(crate) fn write(ws: &Workspace) -> Value {
    let pages: Vec<Value> = ws
        .pages
        .values()
        .filter(|p| p.object.parent_type == "workspace")
        .map(|p| page_spec(ws, p))
        .collect();
    json!({"name": ws.name, "users": ws.users, "pages": pages})
}

fn user_id(v: &Value) -> Value {
    v["id"].clone()
}

fn page_spec(ws: &Workspace, page: &PageRec) -> Value {
    let o = &page.object.value();
    let mut spec = Map::new();
    spec.insert("id".into(), o["id"].clone());
    let is_row = o["parent"]["type"] == "data_source_id";
    if is_row {
        spec.insert("properties".into(), o["properties"].clone());
    } else {
        spec.insert("title".into(), Value::Array(title_runs(o)));
    }
    for key in [
        "created_time",
        "last_edited_time",
        "icon",
        "cover",
        "in_trash",
    ] {
        spec.insert(key.into(), o[key].clone());
    }
    spec.insert("created_by".into(), user_id(&o["created_by"]));
    spec.insert("last_edited_by".into(), user_id(&o["last_edited_by"]));
    spec.insert("archived".into(), o["is_archived"].clone());
    spec.insert("locked".into(), o["is_locked"].clone());
    spec.insert("shared".into(), json!(page.shared));
    spec.insert("in_search".into(), json!(page.in_search));
    spec.insert(
        "blocks".into(),
        Value::Array(blocks(ws, &ws.top_level_ids(page))),
    );
    Value::Object(spec)
}

fn blocks(ws: &Workspace, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .filter_map(|id| {
            Some(match ws.node(id)? {
                Node::Page(p) => json!({"child_page": page_spec(ws, p)}),
                Node::Database(d) => json!({"child_database": database_spec(ws, d)}),
                Node::Block(b) => {
                    let mut spec = Value::clone(&b.object);
                    let map = spec.as_object_mut().expect("block object");
                    for key in ["parent", "has_children", "archived", "in_trash"] {
                        map.remove(key);
                    }
                    map["created_by"] = user_id(&map["created_by"]);
                    map.remove("last_edited_by");
                    map.insert("children".into(), Value::Array(blocks(ws, &b.children)));
                    spec
                }
            })
        })
        .collect()
}

fn database_spec(ws: &Workspace, db: &DatabaseRec) -> Value {
    let o = &db.object;
    let sources: Vec<Value> = db
        .data_sources
        .iter()
        .filter_map(|id| ws.data_sources.get(id))
        .map(|ds| {
            let d = &ds.object;
            let rows: Vec<Value> = ds.rows.iter().filter_map(|r| ws.pages.get(r)).map(|p| page_spec(ws, p)).collect();
            json!({
                "id": d["id"], "name": crate::dataset::rich_text::plain_text(d["title"].as_array().map_or(&[][..], Vec::as_slice)),
                "created_time": d["created_time"], "last_edited_time": d["last_edited_time"],
                "in_search": ds.in_search, "schema": d["properties"], "rows": rows,
            })
        })
        .collect();
    json!({
        "id": o["id"], "title": o["title"], "inline": o["is_inline"], "icon": o["icon"],
        "created_time": o["created_time"], "last_edited_time": o["last_edited_time"],
        "created_by": user_id(&o["created_by"]), "shared": db.shared, "data_sources": sources,
    })
}
