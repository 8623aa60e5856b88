//! Blocks written as Notion-flavoured Markdown, v2 or v1, one block at a
//! time, children included, within a block budget: past it, a block is
//! written as an `<unknown>` placeholder and its subtree left out (child
//! pages and databases are only tags and are always written).
//!
//! v2: blank lines between blocks; children inside their parent's tag
//! (`<toggle>`, `<callout>`, `<p>`...), except list items' children, which
//! are tab-indented. v1: one line per block, children tab-indented under
//! their parent's line, colours as `{color="…"}` suffixes.

use serde_json::Value;

use super::inline::{self, Place, attribute, color_name, destination, escape};
use super::{Placeholder, Reason, Syntax};
use crate::workspace::{Node, Workspace, synced_from};

/// Block types the endpoint writes only as a placeholder.
const PLACEHOLDER_TYPES: &[&str] = &[
    "bookmark",
    "embed",
    "link_preview",
    "link_to_page",
    "breadcrumb",
    "template",
    "unsupported",
];

/// Whether the endpoint writes blocks of this type out (else only as a placeholder).
pub(crate) fn writes(type_name: &str) -> bool {
    crate::dataset::is_known_block_type(type_name) && !PLACEHOLDER_TYPES.contains(&type_name)
}

/// Writes blocks of one page.
pub(crate) struct Writer<'w> {
    pub(crate) ws: &'w Workspace,
    pub(crate) syntax: Syntax,
    /// Blocks that may still be written before truncation.
    pub(crate) budget: usize,
    /// The page the blocks are on (for placeholder URLs).
    pub(crate) page: String,
    pub(crate) truncated: bool,
    pub(crate) placeholders: Vec<Placeholder>,
}

impl Writer<'_> {
    /// Sibling blocks, numbered lists numbered, joined as the version separates blocks.
    pub(crate) fn blocks(&mut self, ids: &[String]) -> String {
        let parts = self.block_list(ids);
        parts.join(self.separator())
    }

    fn separator(&self) -> &'static str {
        match self.syntax {
            Syntax::V2 => "\n\n",
            Syntax::V1 => "\n",
        }
    }

    /// Each sibling's Markdown, in order.
    fn block_list(&mut self, ids: &[String]) -> Vec<String> {
        let mut parts = Vec::with_capacity(ids.len());
        let mut number: Option<u64> = None;
        for id in ids {
            let Some(node) = self.ws.node(id) else {
                continue;
            };
            let obj = self.ws.render_block(&node);
            let kind = obj["type"].as_str().unwrap_or_default().to_string();
            if obj["in_trash"].as_bool() == Some(true) || obj["archived"].as_bool() == Some(true) {
                continue;
            }
            number = match (kind.as_str(), number) {
                ("numbered_list_item", Some(n)) => Some(n + 1),
                ("numbered_list_item", None) => {
                    Some(obj[&kind]["list_start_index"].as_u64().unwrap_or(1))
                }
                _ => None,
            };
            if let Some(text) = self.block(id, &node, obj, number.unwrap_or(1)) {
                parts.push(text);
            }
        }
        parts
    }

    /// One block and its children.
    fn block(&mut self, id: &str, node: &Node<'_>, mut obj: Value, number: u64) -> Option<String> {
        crate::files::resign_all(&mut obj);
        let kind = obj["type"].as_str().unwrap_or_default().to_string();
        let content = obj[&kind].clone();
        match node {
            Node::Page(page) => {
                self.budget = self.budget.saturating_sub(1);
                if !page.shared {
                    return Some(self.placeholder(id, "child_page", Reason::Unshared));
                }
                let url = page.object.value()["url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                return Some(format!(
                    "<page url=\"{}\">{}</page>",
                    attribute(&url),
                    escape(&page.object.title, self.syntax, Place::Block, false)
                ));
            }
            Node::Database(db) => {
                self.budget = self.budget.saturating_sub(1);
                if !db.shared {
                    return Some(self.placeholder(id, "child_database", Reason::Unshared));
                }
                let title = content["title"].as_str().unwrap_or_default();
                return Some(format!(
                    "<database url=\"https://www.notion.so/{}\" inline=\"{}\">{}</database>",
                    id.replace('-', ""),
                    db.object["is_inline"].as_bool().unwrap_or(false),
                    escape(title, self.syntax, Place::Block, false)
                ));
            }
            Node::Block(_) => {}
        }
        if self.budget == 0 {
            self.truncated = true;
            return Some(self.placeholder(id, &kind, Reason::Truncated));
        }
        self.budget -= 1;
        if !writes(&kind) {
            let alt = match content["block_type"].as_str() {
                Some(real) if kind == "unsupported" => real.to_string(),
                _ => kind.clone(),
            };
            return Some(self.placeholder(id, &alt, Reason::Unsupported));
        }
        let children = self.ws.child_ids(node);
        let v2 = self.syntax == Syntax::V2;
        let text = |w: &Self, key: &str| inline::write(&content[key], w.syntax, Place::Block);
        let color = content["color"]
            .as_str()
            .filter(|c| *c != "default")
            .map(color_name);
        Some(match kind.as_str() {
            "paragraph" => {
                let t = text(self, "rich_text");
                match (v2, children.is_empty()) {
                    (true, true) => match (&color, t.is_empty()) {
                        (_, true) => "<p />".to_string(),
                        (Some(c), false) => format!("<p color=\"{c}\">{t}</p>"),
                        (None, false) => t,
                    },
                    (true, false) => {
                        self.titled("p", attrs(&[("color", color.as_deref())]), &t, &children)
                    }
                    (false, _) => {
                        let line = if t.is_empty() {
                            "<empty-block/>".to_string()
                        } else {
                            suffixed(t, color.as_deref())
                        };
                        self.with_indented(line, &children)
                    }
                }
            }
            "heading_1" | "heading_2" | "heading_3" | "heading_4" => {
                let level = kind[8..].parse::<usize>().unwrap_or(1);
                let t = text(self, "rich_text");
                let toggleable =
                    content["is_toggleable"].as_bool() == Some(true) || !children.is_empty();
                match (v2, toggleable) {
                    (true, true) => self.titled(
                        "toggle",
                        attrs(&[
                            ("heading", Some(&format!("h{level}"))),
                            ("color", color.as_deref()),
                        ]),
                        &t,
                        &children,
                    ),
                    (true, false) => match &color {
                        Some(c) => format!("<h{level} color=\"{c}\">{t}</h{level}>"),
                        None => format!("{} {t}", "#".repeat(level)),
                    },
                    (false, _) => {
                        let mut line = format!("{} {t}", "#".repeat(level));
                        if toggleable {
                            line.push_str(" {toggle=\"true\"}");
                        }
                        let line = suffixed(line, color.as_deref());
                        self.with_indented(line, &children)
                    }
                }
            }
            "bulleted_list_item" | "numbered_list_item" | "to_do" => {
                let marker = match kind.as_str() {
                    "numbered_list_item" => format!("{number}. "),
                    "to_do" if content["checked"].as_bool() == Some(true) => "- [x] ".to_string(),
                    "to_do" => "- [ ] ".to_string(),
                    _ => "- ".to_string(),
                };
                let t = text(self, "rich_text");
                let line = format!("{marker}{t}");
                let line = if v2 {
                    line
                } else {
                    suffixed(line, color.as_deref())
                };
                self.with_indented(line, &children)
            }
            "toggle" => {
                let t = text(self, "rich_text");
                if v2 {
                    self.titled(
                        "toggle",
                        attrs(&[("color", color.as_deref())]),
                        &t,
                        &children,
                    )
                } else {
                    let body = self.indented_children(&children);
                    let mut out = format!(
                        "<details{}>\n<summary>{t}</summary>",
                        attrs(&[("color", color.as_deref())])
                    );
                    if !body.is_empty() {
                        out.push('\n');
                        out.push_str(&body);
                    }
                    out.push_str("\n</details>");
                    out
                }
            }
            "quote" => {
                let t = text(self, "rich_text");
                if v2 && (!children.is_empty() || color.is_some()) {
                    self.titled(
                        "quote",
                        attrs(&[("color", color.as_deref())]),
                        &t,
                        &children,
                    )
                } else {
                    let quoted: Vec<String> = t.split('\n').map(|l| format!("> {l}")).collect();
                    let line = quoted.join("\n");
                    let line = if v2 {
                        line
                    } else {
                        suffixed(line, color.as_deref())
                    };
                    self.with_indented(line, &children)
                }
            }
            "callout" => {
                let t = text(self, "rich_text");
                let icon = match content["icon"]["type"].as_str() {
                    Some("emoji") => content["icon"]["emoji"].as_str().map(str::to_string),
                    Some("custom_emoji") => content["icon"]["custom_emoji"]["name"]
                        .as_str()
                        .map(|n| format!(":{n}:")),
                    _ => None,
                };
                let attributes = attrs(&[("icon", icon.as_deref()), ("color", color.as_deref())]);
                if v2 {
                    self.titled("callout", attributes, &t, &children)
                } else {
                    let mut body = vec![format!("\t{t}")];
                    let children = self.indented_children(&children);
                    if !children.is_empty() {
                        body.push(children);
                    }
                    format!("<callout{attributes}>\n{}\n</callout>", body.join("\n"))
                }
            }
            "code" => {
                let code = inline::plain(&content["rich_text"]);
                let fence = "`".repeat((inline::longest_run(&code, '`') + 1).max(3));
                let language = content["language"].as_str().unwrap_or_default();
                format!("{fence}{language}\n{code}\n{fence}")
            }
            "equation" => {
                let expression = content["expression"].as_str().unwrap_or_default().trim();
                format!("$$\n{expression}\n$$")
            }
            "divider" => "---".to_string(),
            "table_of_contents" => match self.syntax {
                Syntax::V2 => format!(
                    "<table-of-contents{} />",
                    attrs(&[("color", color.as_deref())])
                ),
                Syntax::V1 => "<table_of_contents/>".to_string(),
            },
            "column_list" => self.wrapped("columns", String::new(), &children),
            "column" => {
                let ratio = content["width_ratio"]
                    .as_f64()
                    .map(|r| format!("{}", (r * 100.0).round()));
                self.wrapped("column", attrs(&[("ratio", ratio.as_deref())]), &children)
            }
            "tab" => self.tabs(&children),
            "synced_block" => {
                let (tag, target) = match synced_from(&obj) {
                    Some(original) => (
                        if v2 {
                            "synced-block-reference"
                        } else {
                            "synced_block_reference"
                        },
                        original,
                    ),
                    None => (
                        if v2 { "synced-block" } else { "synced_block" },
                        id.to_string(),
                    ),
                };
                let url = self.block_url(&target);
                self.wrapped(tag, attrs(&[("url", Some(&url))]), &children)
            }
            "table" => self.table(&content, &children),
            "image" | "video" | "audio" | "file" | "pdf" => {
                let source = content["type"].as_str().unwrap_or_default();
                let url = content[source]["url"].as_str().unwrap_or_default();
                let caption = text(self, "caption");
                let media = match (kind.as_str(), self.syntax) {
                    ("image", _) => format!("![{caption}]({})", destination(url)),
                    (tag, Syntax::V2) => {
                        format!("<{tag} source=\"{}\">{caption}</{tag}>", attribute(url))
                    }
                    (tag, Syntax::V1) => {
                        format!("<{tag} src=\"{}\">{caption}</{tag}>", attribute(url))
                    }
                };
                self.with_indented(media, &children)
            }
            // Meeting notes: the title, then the summary, notes and
            // transcript blocks (v2 marks which is which).
            "meeting_notes" | "transcription" => {
                let title = text(self, "title");
                if v2 {
                    let sections = ["summary", "notes", "transcript"].map(|s| {
                        content["children"][format!("{s}_block_id")]
                            .as_str()
                            .map(str::to_string)
                    });
                    let mut parts = vec![format!("<meeting-notes>\n{}", or_empty(&title))];
                    for child in &children {
                        let part = self.blocks(std::slice::from_ref(child));
                        if part.is_empty() {
                            continue;
                        }
                        match sections
                            .iter()
                            .position(|s| s.as_deref() == Some(child.as_str()))
                        {
                            Some(at) => {
                                let name = ["summary", "notes", "transcript"][at];
                                parts.push(format!(
                                    "<meeting-notes-section-{name}>\n{part}\n</meeting-notes-section-{name}>"
                                ));
                            }
                            None => parts.push(part),
                        }
                    }
                    format!("{}\n</meeting-notes>", parts.join("\n\n"))
                } else {
                    let mut body = vec![format!("\t{title}")];
                    let children = self.indented_children(&children);
                    if !children.is_empty() {
                        body.push(children);
                    }
                    format!("<meeting-notes>\n{}\n</meeting-notes>", body.join("\n"))
                }
            }
            // A table row outside a table, and anything else: not written.
            _ => self.placeholder(id, &kind, Reason::Unsupported),
        })
    }

    /// `<unknown url="…" alt="type"/>`, recorded.
    fn placeholder(&mut self, id: &str, type_name: &str, reason: Reason) -> String {
        if reason != Reason::Unsupported {
            self.truncated = true;
        }
        self.placeholders.push(Placeholder {
            id: id.to_string(),
            type_name: type_name.to_string(),
            reason,
        });
        format!(
            "<unknown url=\"{}\" alt=\"{}\"/>",
            attribute(&self.block_url(id)),
            attribute(type_name)
        )
    }

    /// `https://www.notion.so/{page}#{block}` (the page the block is on, when known).
    fn block_url(&self, id: &str) -> String {
        let page = match self.ws.node(id) {
            Some(Node::Block(b)) => b.page.clone(),
            _ => self.page.clone(),
        };
        format!(
            "https://www.notion.so/{}#{}",
            page.replace('-', ""),
            id.replace('-', "")
        )
    }

    /// v2 container with a title: `<tag attrs>`, the title (`<p />` when
    /// empty and children follow), a blank line, the children, `</tag>`.
    fn titled(
        &mut self,
        tag: &str,
        attributes: String,
        title: &str,
        children: &[String],
    ) -> String {
        let body = self.blocks(children);
        let mut out = format!("<{tag}{attributes}>");
        match (title.is_empty(), body.is_empty()) {
            (true, true) => {}
            (true, false) => out.push_str(&format!("\n<p />\n\n{body}")),
            (false, true) => out.push_str(&format!("\n{title}")),
            (false, false) => out.push_str(&format!("\n{title}\n\n{body}")),
        }
        out.push_str(&format!("\n</{tag}>"));
        out
    }

    /// A container without a title: `<tag attrs>`, the children, `</tag>`
    /// (v1: the children tab-indented).
    fn wrapped(&mut self, tag: &str, attributes: String, children: &[String]) -> String {
        let body = match self.syntax {
            Syntax::V2 => self.blocks(children),
            Syntax::V1 => self.indented_children(children),
        };
        if body.is_empty() {
            format!("<{tag}{attributes}>\n</{tag}>")
        } else {
            format!("<{tag}{attributes}>\n{body}\n</{tag}>")
        }
    }

    /// A block's line with its children tab-indented beneath (list items in
    /// v2, every block in v1).
    fn with_indented(&mut self, line: String, children: &[String]) -> String {
        let body = self.indented_children(children);
        if body.is_empty() {
            return line;
        }
        let first_is_item = children
            .first()
            .and_then(|id| self.ws.node(id))
            .is_some_and(|n| {
                let kind = &self.ws.render_block(&n)["type"];
                kind == "bulleted_list_item" || kind == "numbered_list_item" || kind == "to_do"
            });
        // A nested list follows its item's line; other children a blank line later.
        let gap = if self.syntax == Syntax::V1 || first_is_item {
            "\n"
        } else {
            "\n\n"
        };
        format!("{line}{gap}{body}")
    }

    /// Children, each line indented by a tab.
    fn indented_children(&mut self, children: &[String]) -> String {
        let body = self.blocks(children);
        body.split('\n')
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("\t{l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A tab block: v2 `<tabs>` with a `<tab>` per item (its label and
    /// content); v1 has no syntax for tabs: their blocks, in order.
    fn tabs(&mut self, children: &[String]) -> String {
        if self.syntax == Syntax::V1 {
            return self.blocks(children);
        }
        let mut parts = Vec::new();
        for child in children {
            let Some(node) = self.ws.node(child) else {
                continue;
            };
            let obj = self.ws.render_block(&node);
            if obj["type"] != "paragraph" {
                parts.extend(self.block_list(std::slice::from_ref(child)));
                continue;
            }
            self.budget = self.budget.saturating_sub(1);
            let label = inline::write(&obj["paragraph"]["rich_text"], self.syntax, Place::Block);
            let icon = obj["paragraph"]["icon"]["emoji"]
                .as_str()
                .map(str::to_string);
            let grandchildren = self.ws.child_ids(&node);
            parts.push(self.titled(
                "tab",
                attrs(&[("icon", icon.as_deref())]),
                &label,
                &grandchildren,
            ));
        }
        format!("<tabs>\n{}\n</tabs>", parts.join("\n"))
    }

    /// A table: a pipe table when its first row is a header and nothing
    /// else is styled, else `<table>` rows (v1: always).
    fn table(&mut self, content: &Value, rows: &[String]) -> String {
        let header_row = content["has_column_header"].as_bool() == Some(true);
        let header_column = content["has_row_header"].as_bool() == Some(true);
        let cells: Vec<Vec<Value>> = rows
            .iter()
            .filter_map(|id| self.ws.node(id).map(|n| self.ws.render_block(&n)))
            .filter(|row| row["type"] == "table_row")
            .map(|row| {
                row["table_row"]["cells"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        self.budget = self.budget.saturating_sub(cells.len());
        let width = cells
            .iter()
            .map(Vec::len)
            .chain([content["table_width"].as_u64().unwrap_or(1) as usize, 1])
            .max()
            .unwrap_or(1);
        if self.syntax == Syntax::V2 && header_row && !header_column {
            let line = |cells: &[Value]| {
                let mut out = String::from("|");
                for i in 0..width {
                    let cell = cells
                        .get(i)
                        .map(|c| inline::write(c, Syntax::V2, Place::PipeCell))
                        .unwrap_or_default();
                    out.push_str(&format!(" {cell} |"));
                }
                out
            };
            let mut lines = vec![line(cells.first().map_or(&[][..], Vec::as_slice))];
            lines.push(format!("|{}", " --- |".repeat(width)));
            lines.extend(cells.iter().skip(1).map(|row| line(row)));
            return lines.join("\n");
        }
        let (row_indent, cell_indent) = match self.syntax {
            Syntax::V2 => ("", ""),
            Syntax::V1 => ("\t", "\t\t"),
        };
        let mut out =
            format!("<table header-row=\"{header_row}\" header-column=\"{header_column}\">");
        for row in &cells {
            out.push_str(&format!("\n{row_indent}<tr>"));
            for i in 0..width {
                let cell = row
                    .get(i)
                    .map(|c| inline::write(c, self.syntax, Place::TagCell))
                    .unwrap_or_default();
                out.push_str(&format!("\n{cell_indent}<td>{cell}</td>"));
            }
            out.push_str(&format!("\n{row_indent}</tr>"));
        }
        out.push_str("\n</table>");
        out
    }
}

/// ` name="value"` for each attribute that has a value.
fn attrs(pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!(" {name}=\"{}\"", attribute(v))))
        .collect()
}

/// A v1 line with its colour as a `{color="…"}` suffix.
fn suffixed(line: String, color: Option<&str>) -> String {
    match color {
        Some(c) => format!("{line} {{color=\"{c}\"}}"),
        None => line,
    }
}

fn or_empty(title: &str) -> &str {
    if title.is_empty() { "<p />" } else { title }
}
