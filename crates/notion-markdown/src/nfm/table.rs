//! `<table>` elements: rows of `<td>`/`<th>` cells holding inline
//! Markdown, with `header-row`/`header-column` attributes (v2 writes a
//! table this way when a pipe table cannot say it: no header row, a header
//! column, colours; v1 always). `<colgroup>`/`<col>` carry only widths and
//! colours. Text outside any cell is kept in a paragraph after the table.

use notion_source::model::{Block, RichText};

use super::Document;
use super::build;
use super::inline::parse_inline;
use super::markdown::table;
use super::tags::{self, Tag, TagKind};

/// The blocks of a `<table>` whose opening tag is `tag` and whose content is `body`.
pub(crate) fn parse(tag: &Tag, body: &str, doc: &mut Document) -> Vec<Block> {
    let mut rows: Vec<Vec<Vec<RichText>>> = Vec::new();
    let mut row: Option<Vec<Vec<RichText>>> = None;
    let mut all_th = true;
    let mut stray = String::new();
    let mut rest = body;
    while !rest.is_empty() {
        let Some(at) = rest.find('<') else {
            stray.push_str(rest);
            break;
        };
        stray.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(cell_tag) = tags::scan(rest) else {
            stray.push('<');
            rest = &rest[1..];
            continue;
        };
        let raw = &rest[..cell_tag.len];
        rest = &rest[cell_tag.len..];
        match (cell_tag.name.as_str(), cell_tag.kind) {
            ("tr", TagKind::Open) => {
                if let Some(done) = row.replace(Vec::new()) {
                    rows.push(done);
                }
            }
            ("tr", TagKind::Close) => {
                if let Some(done) = row.take() {
                    rows.push(done);
                }
            }
            (name @ ("td" | "th"), TagKind::Open) => {
                let close = format!("</{name}>");
                let end = find_closing(rest, &close).unwrap_or(rest.len());
                let cell = parse_inline(rest[..end].trim(), doc);
                rest = rest[end..]
                    .strip_prefix(close.as_str())
                    .unwrap_or(&rest[end..]);
                if rows.is_empty() && name == "td" {
                    all_th = false;
                }
                row.get_or_insert_with(Vec::new).push(cell);
            }
            (name @ ("td" | "th"), TagKind::SelfClosing) => {
                if rows.is_empty() && name == "td" {
                    all_th = false;
                }
                row.get_or_insert_with(Vec::new).push(Vec::new());
            }
            ("colgroup" | "col" | "thead" | "tbody", _) => {}
            // Kept as text (and counted when the text is read).
            _ => stray.push_str(raw),
        }
    }
    if let Some(done) = row {
        rows.push(done);
    }
    let column_header = match tag.attr("header-row") {
        Some(_) => tag.flag("header-row"),
        None => all_th && !rows.is_empty() && rows[0].iter().len() > 0,
    };
    let mut blocks = Vec::new();
    if !rows.is_empty() {
        blocks.push(table(rows, column_header, tag.flag("header-column")));
    }
    if !stray.trim().is_empty() {
        blocks.push(build::paragraph(parse_inline(stray.trim(), doc)));
    }
    blocks
}

/// Where `closing` (`</td>`) is in `text`, skipping escaped `\<`.
fn find_closing(text: &str, closing: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(closing) {
        let at = from + at;
        let backslashes = text[..at].bytes().rev().take_while(|&b| b == b'\\').count();
        if backslashes % 2 == 0 {
            return Some(at);
        }
        from = at + closing.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use notion_source::model::{BlockKind, plain_text};

    #[test]
    fn rows_and_cells_in_any_layout() {
        let tag = tags::scan("<table header-row=\"true\">").unwrap();
        let body = "<colgroup><col width=\"80\"/></colgroup>\n<tr>\n<th>Name</th>\n<th>Role</th>\n</tr>\n<tr><td>**Ada**</td><td>a \\</td> b<br />c</td></tr>";
        let mut doc = Document::default();
        let blocks = parse(&tag, body, &mut doc);
        assert_eq!(blocks.len(), 1);
        let BlockKind::Table(table) = &blocks[0].kind else {
            panic!("{:?}", blocks[0])
        };
        assert!(table.has_column_header);
        assert_eq!(table.table_width, 2);
        let cells: Vec<Vec<String>> = blocks[0]
            .children
            .iter()
            .map(|row| match &row.kind {
                BlockKind::TableRow(r) => r.cells.iter().map(|c| plain_text(c)).collect(),
                _ => panic!(),
            })
            .collect();
        assert_eq!(cells, [["Name", "Role"], ["Ada", "a </td> b\nc"]]);
    }

    #[test]
    fn stray_text_is_kept() {
        let tag = tags::scan("<table>").unwrap();
        let mut doc = Document::default();
        let blocks = parse(&tag, "<tr><td>a</td></tr> lost? <blink>", &mut doc);
        assert_eq!(blocks.len(), 2);
        assert_eq!(doc.unrecognised.tags.get("blink"), Some(&1));
    }
}
