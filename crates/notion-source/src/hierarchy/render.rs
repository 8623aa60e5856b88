//! The hierarchy as text: an indented tree for people, and JSON lines (one
//! object per node) for programs. Both list nodes in the hierarchy's order
//! (depth first, siblings by title then id), so the same listing always
//! gives the same bytes.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;

use serde::Serialize;

use crate::crawler::Root;

use super::selection::{Mark, Selection};
use super::tree::{Counts, Hierarchy, Node};
use super::{HierarchyError, NodeKind};

/// What the caller knows about a node beyond the listing (from a previous
/// crawl's state).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    /// Search does not list it: only a crawl's walk of its parent found it.
    pub walked_only: bool,
    /// Blocks the last crawl stored for it.
    pub stored_blocks: Option<u64>,
}

/// [`NodeInfo`] by node id.
pub type NodeInfos = HashMap<String, NodeInfo>;

/// What to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions<'a> {
    /// Levels shown, counted from the start (1: the start level only).
    pub depth: Option<usize>,
    /// Start at this node (an id or URL) instead of the top level.
    pub from: Option<&'a str>,
    /// Mark what this selection selects.
    pub selection: Option<&'a Selection>,
    /// Extra facts per node.
    pub info: Option<&'a NodeInfos>,
}

/// Writes the indented tree: one line per node, two spaces per level,
/// `[+]` selected, `[-]` excluded, `[ ]` not selected (when a selection is
/// given), then the title, what the node is and holds, and its id.
///
/// ```text
/// [+] Handbook  (page, 2 pages)  0f1e2d3c-…
///   [-] Archive  (page)  1a2b3c4d-…
/// ```
pub fn write_text(
    tree: &Hierarchy,
    options: &RenderOptions<'_>,
    out: &mut impl Write,
) -> Result<(), HierarchyError> {
    let view = View::new(tree, options)?;
    for i in view.indices() {
        let node = tree.node(i);
        let indent = "  ".repeat(node.depth - view.base_depth);
        let mark = match view.mark(i) {
            Some(Mark::Selected) => "[+] ",
            Some(Mark::Excluded) => "[-] ",
            Some(Mark::NotSelected) => "[ ] ",
            None => "",
        };
        let mut facts = vec![match node.kind {
            NodeKind::Page => "page".to_string(),
            NodeKind::Database => "database".to_string(),
            NodeKind::DataSource => "data source".to_string(),
        }];
        match node.counts.pages {
            0 => {}
            1 => facts.push("1 page".into()),
            n => facts.push(format!("{n} pages")),
        }
        if let Some(info) = view.info(i) {
            if info.walked_only {
                facts.push("walked only".into());
            }
            match info.stored_blocks {
                Some(1) => facts.push("1 block stored".into()),
                Some(blocks) => facts.push(format!("{blocks} blocks stored")),
                None => {}
            }
        }
        writeln!(
            out,
            "{indent}{mark}{}  ({})  {}",
            display_title(&node.title),
            facts.join(", "),
            node.id
        )?;
    }
    Ok(())
}

/// Writes one JSON object per node and line: `id`, `kind`, `title`,
/// `parent` (the parent node's id, `null` at the top level), `url`,
/// `counts` (`pages` under it), then `mark` when a selection is given and
/// `walked_only` / `stored_blocks` when known.
pub fn write_json_lines(
    tree: &Hierarchy,
    options: &RenderOptions<'_>,
    out: &mut impl Write,
) -> Result<(), HierarchyError> {
    #[derive(Serialize)]
    struct Line<'a> {
        id: &'a str,
        kind: NodeKind,
        title: &'a str,
        parent: Option<&'a str>,
        url: &'a str,
        counts: Counts,
        #[serde(skip_serializing_if = "Option::is_none")]
        mark: Option<Mark>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        walked_only: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        stored_blocks: Option<u64>,
    }
    let view = View::new(tree, options)?;
    for i in view.indices() {
        let node: &Node = tree.node(i);
        let info = view.info(i).copied().unwrap_or_default();
        let line = Line {
            id: &node.id,
            kind: node.kind,
            title: &node.title,
            parent: node.parent.map(|p| tree.node(p).id.as_str()),
            url: &node.url,
            counts: node.counts,
            mark: view.mark(i),
            walked_only: info.walked_only,
            stored_blocks: info.stored_blocks,
        };
        serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A title on one line: control characters become spaces, and an empty
/// title reads `Untitled`, as in Notion.
pub fn display_title(title: &str) -> String {
    if title.trim().is_empty() {
        return "Untitled".into();
    }
    title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The part of the tree to render, with its marks and facts.
struct View<'a> {
    tree: &'a Hierarchy,
    range: Range<usize>,
    base_depth: usize,
    depth: Option<usize>,
    marks: Option<Vec<Mark>>,
    info: Option<&'a NodeInfos>,
}

impl<'a> View<'a> {
    fn new(tree: &'a Hierarchy, options: &RenderOptions<'a>) -> Result<View<'a>, HierarchyError> {
        let (range, base_depth) = match options.from {
            None => (0..tree.len(), 0),
            Some(from) => {
                let unknown = || HierarchyError::UnknownNode(from.to_string());
                let root = Root::parse(from).ok_or_else(unknown)?;
                let id = root.id();
                let i = tree.find(id).ok_or_else(unknown)?;
                (tree.subtree(i), tree.node(i).depth)
            }
        };
        Ok(View {
            tree,
            range,
            base_depth,
            depth: options.depth,
            marks: options.selection.map(|s| s.marks(tree)),
            info: options.info,
        })
    }

    /// The nodes shown, in order.
    fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.range.clone().filter(|&i| {
            self.depth
                .is_none_or(|d| self.tree.node(i).depth - self.base_depth < d)
        })
    }

    fn mark(&self, i: usize) -> Option<Mark> {
        self.marks.as_ref().map(|m| m[i])
    }

    fn info(&self, i: usize) -> Option<&NodeInfo> {
        self.info?.get(&self.tree.node(i).id)
    }
}
