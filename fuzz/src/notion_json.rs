//! Notion-shaped JSON, generated: rich text with every annotation, link and
//! mention, every block type (and unknown ones, and malformed content),
//! pages with every property type. Shapes follow Notion's API reference;
//! values are odd on purpose (see [`crate::text`]).

use serde_json::{Map, Value, json};

use crate::rng::Rng;
use crate::text::{odd_text, odd_url, signed_url};

/// Generates Notion JSON from one random stream, reusing a few ids so that
/// mentions, relations and the render context refer to each other.
pub struct NotionJson<'r> {
    rng: &'r mut Rng,
    /// Longest text of one rich-text run.
    pub max_text: usize,
    /// Most runs in one rich-text array.
    pub max_runs: usize,
    /// Bytes of text left to generate; past it, texts are short (keeps a
    /// page's size within what a case can check in seconds).
    pub budget: usize,
}

/// Ids the generator draws from (users, pages, blocks).
pub const IDS: &[&str] = &[
    "11111111-1111-1111-1111-111111111111",
    "22222222-2222-2222-2222-222222222222",
    "33333333-3333-3333-3333-333333333333",
    "not-a-uuid",
    "",
];

/// Block types no API reference names, beside [`notion_mock::BLOCK_TYPES`]:
/// they parse as unknown blocks.
const UNKNOWN_BLOCK_TYPES: &[&str] = &["synced_block_not_shared", "ai_block", "heading_9"];

/// Block types that hold other blocks in Notion.
pub const CONTAINER_TYPES: &[&str] = &[
    "paragraph",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
    "heading_2",
    "column_list",
    "column",
    "synced_block",
    "tab",
    "template",
    "table",
    "meeting_notes",
];

impl<'r> NotionJson<'r> {
    /// A generator drawing from `rng`.
    pub fn new(rng: &'r mut Rng) -> Self {
        NotionJson {
            rng,
            max_text: 200,
            max_runs: 6,
            budget: 2 << 20,
        }
    }

    /// The random stream.
    pub fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    fn id(&mut self) -> String {
        if self.rng.chance(70) {
            (*self.rng.pick(IDS)).to_string()
        } else {
            format!(
                "{:08x}-0000-4000-8000-{:012x}",
                self.rng.below(1 << 30),
                self.rng.next_u64() >> 16
            )
        }
    }

    fn text(&mut self) -> String {
        let max = self.max_text.min(self.budget).max(8);
        let text = odd_text(self.rng, max);
        self.budget = self.budget.saturating_sub(text.len());
        text
    }

    fn bool(&mut self) -> bool {
        self.rng.chance(50)
    }

    /// A rich-text array: text runs with annotations and links, mentions of
    /// every kind, equations.
    pub fn rich_text(&mut self) -> Value {
        let runs = self.rng.size(self.max_runs);
        Value::Array((0..runs).map(|_| self.rich_text_run()).collect())
    }

    fn annotations(&mut self) -> Value {
        json!({
            "bold": self.rng.chance(30), "italic": self.rng.chance(30),
            "strikethrough": self.rng.chance(15), "underline": self.rng.chance(10),
            "code": self.rng.chance(10), "color": "default",
        })
    }

    fn rich_text_run(&mut self) -> Value {
        let annotations = self.annotations();
        match self.rng.below(12) {
            0..=6 => {
                let content = self.text();
                let link = self.rng.chance(15).then(|| odd_url(self.rng));
                let plain = if self.rng.chance(5) {
                    String::new()
                } else {
                    content.clone()
                };
                json!({"type": "text", "text": {"content": content, "link": link.as_ref().map(|u| json!({"url": u}))},
                       "annotations": annotations, "plain_text": plain, "href": link})
            }
            7 => {
                let expression = self.text();
                json!({"type": "equation", "equation": {"expression": expression},
                       "annotations": annotations, "plain_text": expression, "href": null})
            }
            8..=10 => {
                let mention = self.mention();
                let plain = self.text();
                json!({"type": "mention", "mention": mention, "annotations": annotations,
                       "plain_text": plain, "href": null})
            }
            _ => json!({"type": "future_kind", "future_kind": {}, "plain_text": self.text(),
                        "annotations": annotations}),
        }
    }

    fn mention(&mut self) -> Value {
        let id = self.id();
        match self.rng.below(10) {
            0 => {
                let name = self.rng.chance(50).then(|| self.text());
                json!({"type": "user", "user": {"object": "user", "id": id, "name": name}})
            }
            1 => json!({"type": "page", "page": {"id": id}}),
            2 => json!({"type": "database", "database": {"id": id}}),
            3 => json!({"type": "data_source", "data_source": {"id": id}}),
            4 => {
                let zone = self.rng.chance(30).then(|| self.text());
                json!({"type": "date", "date": {"start": self.text(), "end": self.rng.chance(30).then_some("2026-07-10"), "time_zone": zone}})
            }
            5 => json!({"type": "link_preview", "link_preview": {"url": odd_url(self.rng)}}),
            6 => {
                json!({"type": "link_mention", "link_mention": {"href": odd_url(self.rng), "title": self.rng.chance(50).then(|| self.text())}})
            }
            7 => {
                json!({"type": "custom_emoji", "custom_emoji": {"id": id, "name": self.rng.chance(70).then(|| self.text())}})
            }
            8 => {
                json!({"type": "template_mention", "template_mention": {"type": "template_mention_date", "template_mention_date": "today"}})
            }
            _ => json!({"type": "future_mention", "future_mention": {"x": 1}}),
        }
    }

    fn file_source(&mut self) -> (String, Value) {
        match self.rng.below(5) {
            0 | 1 => (
                "file".into(),
                json!({"url": signed_url(self.rng), "expiry_time": "2026-07-04T10:00:00.000Z"}),
            ),
            2 => ("external".into(), json!({"url": odd_url(self.rng)})),
            3 => ("file_upload".into(), json!({"id": self.id()})),
            _ => ("future_storage".into(), json!({"where": "elsewhere"})),
        }
    }

    fn icon(&mut self) -> Value {
        match self.rng.below(5) {
            0 => json!({"type": "emoji", "emoji": self.text()}),
            1 => json!({"type": "external", "external": {"url": odd_url(self.rng)}}),
            2 => json!({"type": "file", "file": {"url": signed_url(self.rng)}}),
            3 => json!({"type": "custom_emoji", "custom_emoji": {"id": "e", "name": self.text()}}),
            _ => Value::Null,
        }
    }

    /// The type name of a block to generate (any container when `container`).
    pub fn block_type(&mut self, container: bool) -> &'static str {
        if container {
            *self.rng.pick(CONTAINER_TYPES)
        } else {
            let known = notion_mock::BLOCK_TYPES;
            let i = self.rng.below(known.len() + UNKNOWN_BLOCK_TYPES.len());
            known
                .get(i)
                .unwrap_or_else(|| &UNKNOWN_BLOCK_TYPES[i - known.len()])
        }
    }

    /// A block of `block_type` without children, its content filled (now
    /// and then malformed, so that it parses as an unknown block).
    pub fn block(&mut self, block_type: &str, id: String) -> Value {
        let content = if self.rng.chance(3) {
            self.junk(3)
        } else {
            self.block_content(block_type)
        };
        let mut block = json!({
            "object": "block", "id": id, "type": block_type, block_type: content,
            "has_children": self.rng.chance(50),
        });
        if self.rng.chance(3) {
            block["in_trash"] = json!(true);
        }
        if self.rng.chance(2) {
            block["archived"] = json!(true);
        }
        block
    }

    fn block_content(&mut self, block_type: &str) -> Value {
        match block_type {
            "paragraph" | "bulleted_list_item" | "toggle" | "quote" | "template" | "heading_9"
            | "ai_block" => json!({"rich_text": self.rich_text(), "color": "default"}),
            "heading_1" | "heading_2" | "heading_3" | "heading_4" => {
                json!({"rich_text": self.rich_text(), "is_toggleable": self.bool()})
            }
            "numbered_list_item" => {
                let start = match self.rng.below(6) {
                    0 => json!(u32::MAX),
                    1 => json!(-1),
                    2 => json!(self.rng.below(20)),
                    _ => Value::Null,
                };
                json!({"rich_text": self.rich_text(), "list_start_index": start, "list_format": "numbers"})
            }
            "to_do" => json!({"rich_text": self.rich_text(), "checked": self.bool()}),
            "callout" => json!({"rich_text": self.rich_text(), "icon": self.icon()}),
            "code" => {
                let language = *self.rng.pick(&[
                    "rust",
                    "plain text",
                    "c++",
                    "java/c/c++/c#",
                    "",
                    "`weird lang`",
                ]);
                json!({"rich_text": self.rich_text(), "caption": self.rich_text(), "language": language})
            }
            "equation" => json!({"expression": self.text()}),
            "divider" | "breadcrumb" | "table_of_contents" | "column_list" | "tab" => json!({}),
            "column" => json!({"width_ratio": 0.5}),
            "table" => json!({
                "table_width": self.rng.size(40),
                "has_column_header": self.bool(),
                "has_row_header": self.bool(),
            }),
            "table_row" => {
                let cells = self.rng.size(8);
                json!({"cells": (0..cells).map(|_| self.rich_text()).collect::<Vec<_>>()})
            }
            "child_page" | "child_database" => json!({"title": self.text()}),
            "synced_block" | "synced_block_not_shared" => {
                if self.bool() {
                    json!({"synced_from": null})
                } else {
                    json!({"synced_from": {"type": "block_id", "block_id": self.id()}})
                }
            }
            "link_to_page" => match self.rng.below(4) {
                0 => json!({"type": "page_id", "page_id": self.id()}),
                1 => json!({"type": "database_id", "database_id": self.id()}),
                2 => json!({"type": "comment_id", "comment_id": self.id()}),
                _ => json!({"type": "future_target", "future_target": "x"}),
            },
            "link_preview" | "bookmark" | "embed" => {
                json!({"url": odd_url(self.rng), "caption": self.rich_text()})
            }
            "image" | "video" | "pdf" | "file" | "audio" => {
                let (kind, source) = self.file_source();
                let mut media =
                    json!({"type": kind, kind.clone(): source, "caption": self.rich_text()});
                if self.rng.chance(50) {
                    media["name"] = json!(self.text());
                }
                media
            }
            "meeting_notes" | "transcription" => {
                json!({"title": self.rich_text(), "status": "notes_ready"})
            }
            "unsupported" => json!({"block_type": self.text()}),
            _ => json!({}),
        }
    }

    /// A JSON value of any shape, nested at most `depth` levels.
    pub fn junk(&mut self, depth: usize) -> Value {
        match self.rng.below(if depth == 0 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => json!(self.bool()),
            2 => json!(self.rng.next_u64()),
            3 => json!(-(self.rng.below(1000) as i64)),
            4 => json!(f64::from_bits(self.rng.next_u64() & 0x7FEF_FFFF_FFFF_FFFF)),
            5 => json!(self.text()),
            6 => Value::Array(
                (0..self.rng.size(4))
                    .map(|_| self.junk(depth - 1))
                    .collect(),
            ),
            _ => {
                let mut map = Map::new();
                for _ in 0..self.rng.size(4) {
                    let key =
                        *self
                            .rng
                            .pick(&["type", "id", "rich_text", "url", "name", "title", "x"]);
                    let value = self.junk(depth - 1);
                    map.insert(key.into(), value);
                }
                Value::Object(map)
            }
        }
    }

    /// A page object with a title and a few properties of every type.
    pub fn page(&mut self) -> Value {
        let mut properties = Map::new();
        if self.rng.chance(95) {
            properties.insert(
                self.text(),
                json!({"id": "title", "type": "title", "title": self.rich_text()}),
            );
        }
        for _ in 0..self.rng.size(12) {
            let name = self.text();
            let value = self.property();
            properties.insert(name, value);
        }
        let parent = if self.bool() {
            json!({"type": "workspace", "workspace": true})
        } else {
            json!({"type": "data_source_id", "data_source_id": self.id(), "database_id": self.id()})
        };
        let url = match self.rng.below(3) {
            0 => String::new(),
            1 => odd_url(self.rng),
            _ => "https://www.notion.so/Page-0000000000000000000000000000000a".into(),
        };
        json!({
            "object": "page", "id": self.id(),
            "created_time": "2026-07-04T09:08:00.000Z", "last_edited_time": "2026-07-04T09:08:00.000Z",
            "parent": parent, "url": url, "properties": properties, "icon": self.icon(),
        })
    }

    fn user(&mut self) -> Value {
        json!({"object": "user", "id": self.id(), "name": self.rng.chance(50).then(|| self.text())})
    }

    /// One page property value, of any type Notion has (and one it may add).
    pub fn property(&mut self) -> Value {
        let (kind, value): (&str, Value) = match self.rng.below(25) {
            0 => ("rich_text", self.rich_text()),
            1 => (
                "number",
                match self.rng.below(3) {
                    0 => json!(self.rng.next_u64() as f64 * 1e290),
                    1 => Value::Null,
                    _ => json!(0.1 + self.rng.below(100) as f64),
                },
            ),
            2 => (
                "select",
                json!({"id": "s", "name": self.text(), "color": "red"}),
            ),
            3 => (
                "multi_select",
                json!([{"name": self.text()}, {"name": self.text()}]),
            ),
            4 => ("status", json!({"name": self.text()})),
            5 => (
                "date",
                json!({"start": self.text(), "end": null, "time_zone": null}),
            ),
            6 => ("people", json!([self.user(), self.user()])),
            7 => {
                let (source, file) = self.file_source();
                (
                    "files",
                    json!([{"name": self.text(), "type": source, source.clone(): file}]),
                )
            }
            8 => ("checkbox", json!(self.bool())),
            9 => ("url", json!(odd_url(self.rng))),
            10 => ("email", json!(self.text())),
            11 => ("phone_number", json!(self.text())),
            12 => (
                "formula",
                match self.rng.below(5) {
                    0 => json!({"type": "string", "string": self.text()}),
                    1 => json!({"type": "number", "number": 1.5}),
                    2 => json!({"type": "boolean", "boolean": true}),
                    3 => json!({"type": "date", "date": {"start": "2026-01-01"}}),
                    _ => json!({"type": "future", "future": self.text()}),
                },
            ),
            13 => ("relation", json!([{"id": self.id()}, {"id": self.id()}])),
            14 => (
                "rollup",
                json!({"type": "array", "function": "show_original", "array": [
                    {"type": "title", "title": self.rich_text()}, {"type": "number", "number": 3}
                ]}),
            ),
            15 => (
                "rollup",
                json!({"type": "number", "number": 30, "function": "sum"}),
            ),
            16 => ("created_time", json!("2026-02-01T08:00:00.000Z")),
            17 => ("created_by", self.user()),
            18 => ("last_edited_by", self.user()),
            19 => (
                "unique_id",
                json!({"prefix": self.text(), "number": self.rng.below(1000)}),
            ),
            20 => ("verification", json!({"state": self.text()})),
            21 => ("button", json!({})),
            22 => (
                "place",
                json!({"lat": 1.5, "lon": 2.5, "name": self.text(), "address": self.text()}),
            ),
            23 => ("title", self.rich_text()),
            _ => ("sentiment", self.junk(2)),
        };
        let mut property = json!({"id": self.text(), "type": kind, kind: value});
        if self.rng.chance(10) {
            property["has_more"] = json!(true);
        }
        property
    }
}
