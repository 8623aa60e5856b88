//! Pages, databases and data sources of the dataset format.

use serde_json::{Map, Value, json};

use super::properties::RowContext;
use super::rich_text::plain_text;
use super::{DatasetError, Loader};
use crate::ids::compact;
use crate::workspace::{Content, DataSourceRec, DatabaseRec, PageRec};

impl Loader {
    /// Loads a page spec (and, recursively, its blocks and child pages) and
    /// returns its id. `row` is set for a data source row.
    pub(crate) fn load_page(
        &mut self,
        spec: &Value,
        parent: Value,
        parent_shared: bool,
        row: Option<&mut RowContext>,
        at: &str,
    ) -> Result<String, DatasetError> {
        if !spec.is_object() {
            return Err(DatasetError::invalid(at, "a page must be an object"));
        }
        let id = self.object_id(spec, at)?;
        let (created, edited) = self.times(spec, at)?;
        let created_by = self.user_ref(spec["created_by"].as_str());
        let edited_by = match spec["last_edited_by"].as_str() {
            Some(r) => self.user_ref(Some(r)),
            None => created_by.clone(),
        };
        let shared = spec["shared"].as_bool().unwrap_or(parent_shared);
        let trashed = spec["in_trash"].as_bool().unwrap_or(false);
        let archived = spec["archived"].as_bool().unwrap_or(false);
        let properties = match row {
            Some(row) => {
                let times = (created.as_str(), edited.as_str());
                self.row_properties(spec, row, times, (&created_by, &edited_by), at)?
            }
            None => {
                let title = self.runs(&spec["title"], &format!("{at}/title"))?;
                let mut props = Map::new();
                props.insert(
                    "title".into(),
                    json!({"id": "title", "type": "title", "title": title}),
                );
                props
            }
        };
        let title = properties
            .values()
            .find(|p| p["type"] == "title")
            .and_then(|p| p["title"].as_array())
            .map(|runs| plain_text(runs))
            .unwrap_or_default();
        let icon = self.icon(&spec["icon"], &id, at)?;
        let cover = match &spec["cover"] {
            Value::Null => Value::Null,
            c => self.file_object(c, &id, at)?,
        };
        let object = json!({
            "object": "page", "id": id, "created_time": created, "last_edited_time": edited,
            "created_by": created_by, "last_edited_by": edited_by, "cover": cover, "icon": icon,
            "parent": parent, "archived": trashed, "in_trash": trashed, "is_archived": archived,
            "is_locked": spec["locked"].as_bool().unwrap_or(false),
            "properties": properties, "url": page_url(&title, &id), "public_url": null,
        });
        let in_search = spec["in_search"].as_bool().unwrap_or(true);
        let rec = PageRec {
            object: crate::workspace::StoredObject::new(&object),
            shared,
            in_search,
            content: Content::Blocks(Vec::new()),
        };
        self.ws.pages.insert(id.clone(), rec);
        let block_parent = json!({"type": "page_id", "page_id": id});
        let blocks = self.load_blocks(
            &spec["blocks"],
            &block_parent,
            &id,
            shared,
            &format!("{at}/blocks"),
        )?;
        if let Some(page) = self.ws.pages.get_mut(&id) {
            page.content = Content::Blocks(blocks);
        }
        Ok(id)
    }

    /// Loads a database spec with its data sources and rows; returns its id.
    /// A spec without `data_sources` is a database with one data source
    /// described by the spec itself (`schema`, `rows`).
    pub(crate) fn load_database(
        &mut self,
        spec: &Value,
        parent: Value,
        parent_shared: bool,
        at: &str,
    ) -> Result<String, DatasetError> {
        let id = self.object_id(spec, at)?;
        let (created, edited) = self.times(spec, at)?;
        let title = self.runs(&spec["title"], &format!("{at}/title"))?;
        let shared = spec["shared"].as_bool().unwrap_or(parent_shared);
        let author = self.user_ref(spec["created_by"].as_str());
        let single;
        let sources: Vec<&Value> = match spec["data_sources"].as_array() {
            Some(list) => list.iter().collect(),
            None => {
                single = json!({
                    "key": spec["key"].as_str().map(|k| format!("{k}/data-source")),
                    "name": plain_text(&title), "schema": spec["schema"], "rows": spec["rows"],
                    "in_search": spec["in_search"],
                });
                vec![&single]
            }
        };
        let mut ds_refs = Vec::new();
        let mut ds_ids = Vec::new();
        for (i, ds) in sources.into_iter().enumerate() {
            let ds_at = format!("{at}/data_sources/{i}");
            let (ds_id, name) = self.load_data_source(ds, &id, &parent, shared, &ds_at)?;
            ds_refs.push(json!({"id": ds_id, "name": name}));
            ds_ids.push(ds_id);
        }
        let object = json!({
            "object": "database", "id": id, "title": title, "description": [],
            "icon": self.icon(&spec["icon"], &id, at)?, "cover": null, "parent": parent,
            "is_inline": spec["inline"].as_bool().unwrap_or(true), "in_trash": false,
            "is_locked": false, "created_time": long_time(&created), "last_edited_time": long_time(&edited),
            "created_by": author, "last_edited_by": author,
            "data_sources": ds_refs, "url": page_url("", &id), "public_url": null, "archived": false,
        });
        self.ws.databases.insert(
            id.clone(),
            DatabaseRec {
                object,
                shared,
                data_sources: ds_ids,
            },
        );
        Ok(id)
    }

    fn load_data_source(
        &mut self,
        spec: &Value,
        database_id: &str,
        database_parent: &Value,
        shared: bool,
        at: &str,
    ) -> Result<(String, String), DatasetError> {
        let id = self.object_id(spec, at)?;
        let (created, edited) = self.times(spec, at)?;
        let name = spec["name"]
            .as_str()
            .or(spec["title"].as_str())
            .unwrap_or("Untitled")
            .to_string();
        let schema = self.schema(&spec["schema"], &id, &format!("{at}/schema"))?;
        let mut row_ctx = RowContext {
            schema,
            next_number: 1,
        };
        let row_parent =
            json!({"type": "data_source_id", "data_source_id": id, "database_id": database_id});
        let mut rows = Vec::new();
        for (i, row) in spec["rows"].as_array().into_iter().flatten().enumerate() {
            let row_at = format!("{at}/rows/{i}");
            rows.push(self.load_page(
                row,
                row_parent.clone(),
                shared,
                Some(&mut row_ctx),
                &row_at,
            )?);
        }
        let author = self.user_ref(None);
        let object = json!({
            "object": "data_source", "id": id,
            "created_time": long_time(&created), "last_edited_time": long_time(&edited),
            "created_by": author, "last_edited_by": author,
            "title": [super::rich_text::text_run(&name, super::rich_text::annotations(&Map::new()), None)],
            "description": [], "icon": null, "cover": null,
            "properties": Value::Object(row_ctx.schema),
            "parent": {"type": "database_id", "database_id": database_id},
            "database_parent": database_parent,
            "url": page_url(&name, &id), "public_url": null, "archived": false, "in_trash": false,
        });
        let in_search = spec["in_search"].as_bool().unwrap_or(true);
        self.ws.data_sources.insert(
            id.clone(),
            DataSourceRec {
                object,
                shared,
                in_search,
                rows,
            },
        );
        Ok((id, name))
    }

    /// A page or callout icon: an emoji string, or a file shorthand.
    pub(crate) fn icon(&mut self, v: &Value, owner: &str, at: &str) -> Result<Value, DatasetError> {
        Ok(match v {
            Value::Null => Value::Null,
            Value::String(emoji) => json!({"type": "emoji", "emoji": emoji}),
            Value::Object(o) if o.contains_key("type") => v.clone(),
            other => self.file_object(other, owner, at)?,
        })
    }
}

/// A page's Notion URL: title slug and compact id.
pub(crate) fn page_url(title: &str, id: &str) -> String {
    let slug: String = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        format!("https://www.notion.so/{}", compact(id))
    } else {
        format!("https://www.notion.so/{slug}-{}", compact(id))
    }
}

/// Database and data source times carry milliseconds and an offset.
pub(crate) fn long_time(minute: &str) -> String {
    minute.replace(".000Z", ".000+00:00")
}
