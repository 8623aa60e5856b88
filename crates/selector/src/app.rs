//! The selector's state and what each key does to it, with no terminal in
//! sight: the rows shown (the tree with its expanded nodes, or the nodes a
//! filter matched with their ancestors), the cursor, the selected set with
//! the tri-state counts of every subtree, and the footer's figures.
//!
//! Rows are indices into the hierarchy, which stores nodes depth first, so
//! a subtree is a contiguous range and every update is a loop over it.

use notion_source::hierarchy::{
    Estimate, Hierarchy, Mark, NodeInfos, NodeKind, RunCostModel, Selection,
};

use crate::Outcome;
use crate::filter::Filter;

/// What a key asks of the selector (the terminal's keys are mapped to
/// these by [`run_app`](crate::run_app); see the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// One row up.
    Up,
    /// One row down.
    Down,
    /// One screen up.
    PageUp,
    /// One screen down.
    PageDown,
    /// The first row.
    Home,
    /// The last row.
    End,
    /// Open the node, or step onto its first child when open.
    Right,
    /// Close the node, or step onto its parent when closed.
    Left,
    /// Include or exclude the subtree under the cursor.
    Toggle,
    /// Accept the selection.
    Enter,
    /// Leave without a selection.
    Cancel,
    /// Remove the filter's last character.
    Backspace,
    /// Clear the filter.
    ClearFilter,
    /// Add a character to the filter.
    Char(char),
}

/// A node's checkbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The node and everything under it are selected.
    Full,
    /// Some of its subtree is selected.
    Partial,
    /// Nothing in its subtree is selected.
    Empty,
}

/// The selector's state (see the module docs).
pub struct App<'t> {
    tree: &'t Hierarchy,
    selected: Vec<bool>,
    /// Selected nodes in each node's subtree, the node included.
    selected_under: Vec<u32>,
    expanded: Vec<bool>,
    filter: Filter,
    /// Nodes shown while a filter is set: matches and their ancestors.
    kept: Vec<bool>,
    /// Nodes collapsed by hand while a filter is set (reset when it changes).
    collapsed_in_filter: Vec<bool>,
    rows: Vec<u32>,
    cursor: usize,
    offset: usize,
    height: usize,
    model: RunCostModel,
    per_node: Vec<f64>,
    pages_selected: u64,
    estimate: Estimate,
    /// Roots and excludes of the starting selection that name no node:
    /// kept as they were.
    foreign: Selection,
    message: Option<String>,
}

impl<'t> App<'t> {
    /// Starts on `tree` with what `selection` selects checked, the top level
    /// shown, and the footer's estimate from `model` (stored block counts
    /// from `info` where known).
    pub fn new(
        tree: &'t Hierarchy,
        selection: &Selection,
        model: RunCostModel,
        info: Option<&NodeInfos>,
    ) -> App<'t> {
        let n = tree.len();
        let selected: Vec<bool> = selection
            .marks(tree)
            .into_iter()
            .map(|m| m == Mark::Selected)
            .collect();
        let foreign = Selection {
            roots: selection
                .roots
                .iter()
                .filter(|r| tree.find(r.id()).is_none())
                .cloned()
                .collect(),
            exclude: selection
                .exclude
                .iter()
                .filter(|id| tree.find(id).is_none())
                .cloned()
                .collect(),
        };
        let mut app = App {
            tree,
            selected_under: vec![0; n],
            selected,
            expanded: vec![false; n],
            filter: Filter::new(tree),
            kept: vec![false; n],
            collapsed_in_filter: vec![false; n],
            rows: Vec::new(),
            cursor: 0,
            offset: 0,
            height: 20,
            per_node: model.per_node(tree, info),
            model,
            pages_selected: 0,
            estimate: Estimate::at_rate(0, model.per_second),
            foreign,
            message: None,
        };
        app.count_selected();
        app.refresh_rows(None);
        app
    }

    /// Handles one key; `Some` when the selector is done.
    pub fn handle(&mut self, key: Key) -> Option<Outcome> {
        self.message = None;
        match key {
            Key::Cancel => return Some(Outcome::Cancelled),
            Key::Enter => return self.accept(),
            Key::Up => self.move_cursor(-1),
            Key::Down => self.move_cursor(1),
            Key::PageUp => self.move_cursor(-(self.height as isize)),
            Key::PageDown => self.move_cursor(self.height as isize),
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = self.rows.len().saturating_sub(1),
            Key::Right => self.expand(),
            Key::Left => self.collapse(),
            Key::Toggle => self.toggle_at_cursor(),
            Key::Backspace => {
                let mut query = self.filter.query().to_string();
                query.pop();
                self.set_filter(&query);
            }
            Key::ClearFilter => self.set_filter(""),
            Key::Char(c) => {
                let query = format!("{}{c}", self.filter.query());
                self.set_filter(&query);
            }
        }
        None
    }

    /// The hierarchy shown.
    pub fn tree(&self) -> &'t Hierarchy {
        self.tree
    }

    /// The rows shown, as node indices, in order.
    pub fn rows(&self) -> &[u32] {
        &self.rows
    }

    /// The row under the cursor.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The node under the cursor, if any row is shown.
    pub fn cursor_node(&self) -> Option<usize> {
        self.rows.get(self.cursor).map(|&i| i as usize)
    }

    /// Whether each node is selected, in the hierarchy's order.
    pub fn selected(&self) -> &[bool] {
        &self.selected
    }

    /// A node's checkbox.
    pub fn check(&self, node: usize) -> Check {
        let size = self.tree.subtree(node).len() as u32;
        match self.selected_under[node] {
            0 => Check::Empty,
            n if n == size => Check::Full,
            _ => Check::Partial,
        }
    }

    /// Whether a node shows its children.
    pub fn is_expanded(&self, node: usize) -> bool {
        if self.filter.is_active() {
            !self.collapsed_in_filter[node]
        } else {
            self.expanded[node]
        }
    }

    /// The filter as typed.
    pub fn filter(&self) -> &str {
        self.filter.query()
    }

    /// Nodes the filter matched (`None` without a filter).
    pub fn match_count(&self) -> Option<usize> {
        self.filter.is_active().then(|| self.filter.matches().len())
    }

    /// Character positions of a node's title the filter matched.
    pub fn highlights(&mut self, node: usize) -> Vec<u32> {
        self.filter.highlights(node)
    }

    /// Pages selected.
    pub fn pages_selected(&self) -> u64 {
        self.pages_selected
    }

    /// What a first run of the selection would cost.
    pub fn estimate(&self) -> Estimate {
        self.estimate
    }

    /// The cost model's rate, requests per second.
    pub fn rate(&self) -> f64 {
        self.model.per_second
    }

    /// A note for the footer (why Enter did nothing, say).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The first row to draw in a viewport `height` rows tall, keeping the
    /// cursor in view (remembered for PageUp/PageDown).
    pub fn scroll(&mut self, height: usize) -> usize {
        self.height = height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + self.height {
            self.offset = self.cursor + 1 - self.height;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(1));
        self.offset
    }

    /// Includes or excludes the subtree under the cursor: a node not fully
    /// selected becomes so with everything under it, else all of it is
    /// cleared.
    pub fn toggle_at_cursor(&mut self) {
        if let Some(node) = self.cursor_node() {
            self.toggle(node);
        }
    }

    fn toggle(&mut self, node: usize) {
        let on = self.check(node) != Check::Full;
        let before = self.selected_under[node];
        for i in self.tree.subtree(node) {
            self.selected[i] = on;
            self.selected_under[i] = if on {
                self.tree.subtree(i).len() as u32
            } else {
                0
            };
        }
        let after = self.selected_under[node];
        let mut at = self.tree.node(node).parent;
        while let Some(p) = at {
            self.selected_under[p] = self.selected_under[p] - before + after;
            at = self.tree.node(p).parent;
        }
        self.count_pages();
    }

    /// The selection as the fewest roots and excludes, with the starting
    /// selection's ids that name no node kept; nothing selected is refused
    /// with a message (a configuration cannot say "nothing").
    fn accept(&mut self) -> Option<Outcome> {
        let Some(mut selection) = Selection::from_selected(self.tree, &self.selected) else {
            self.message =
                Some("Nothing is selected: press space on what to ingest, or Esc to leave.".into());
            return None;
        };
        // With no roots everything is selected, ids this tree lacks included.
        if !selection.roots.is_empty() {
            selection.roots.extend(self.foreign.roots.iter().cloned());
        }
        selection
            .exclude
            .extend(self.foreign.exclude.iter().cloned());
        Some(Outcome::Accepted(selection))
    }

    fn move_cursor(&mut self, by: isize) {
        let last = self.rows.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + by).clamp(0, last.max(0)) as usize;
    }

    fn has_children(&self, node: usize) -> bool {
        if self.filter.is_active() {
            self.tree.children(node).any(|c| self.kept[c])
        } else {
            self.tree.subtree(node).len() > 1
        }
    }

    /// Right: opens the node, or steps onto its first child when open.
    fn expand(&mut self) {
        let Some(node) = self.cursor_node() else {
            return;
        };
        if !self.has_children(node) {
            return;
        }
        if self.is_expanded(node) {
            self.move_cursor(1);
            return;
        }
        if self.filter.is_active() {
            self.collapsed_in_filter[node] = false;
        } else {
            self.expanded[node] = true;
        }
        self.refresh_rows(Some(node));
    }

    /// Left: closes the node, or steps onto its parent when closed.
    fn collapse(&mut self) {
        let Some(node) = self.cursor_node() else {
            return;
        };
        if self.has_children(node) && self.is_expanded(node) {
            if self.filter.is_active() {
                self.collapsed_in_filter[node] = true;
            } else {
                self.expanded[node] = false;
            }
            self.refresh_rows(Some(node));
        } else if let Some(parent) = self.tree.node(node).parent {
            self.refresh_rows(Some(parent));
        }
    }

    fn set_filter(&mut self, query: &str) {
        if query == self.filter.query() {
            return;
        }
        let keep = self.cursor_node();
        self.filter.set_query(query);
        self.kept.iter_mut().for_each(|k| *k = false);
        self.collapsed_in_filter.iter_mut().for_each(|c| *c = false);
        for &m in self.filter.matches() {
            let mut at = Some(m as usize);
            while let Some(i) = at {
                if self.kept[i] {
                    break;
                }
                self.kept[i] = true;
                at = self.tree.node(i).parent;
            }
        }
        let first_match = self.filter.matches().first().map(|&m| m as usize);
        self.refresh_rows(keep);
        // A node the new filter hides gives way to the first match.
        if keep.is_none_or(|k| self.cursor_node() != Some(k))
            && let Some(m) = first_match
        {
            self.refresh_rows(Some(m));
        }
        self.offset = self.offset.min(self.cursor);
    }

    /// Recomputes the rows shown and puts the cursor on `at` when shown
    /// (else where it was, within bounds).
    fn refresh_rows(&mut self, at: Option<usize>) {
        self.rows.clear();
        let n = self.tree.len();
        let mut i = 0;
        while i < n {
            let end = self.tree.node(i).end;
            if self.filter.is_active() {
                if !self.kept[i] {
                    // Nothing under a node that is not kept is kept.
                    i = end;
                    continue;
                }
                self.rows.push(i as u32);
                i = if self.collapsed_in_filter[i] {
                    end
                } else {
                    i + 1
                };
            } else {
                self.rows.push(i as u32);
                i = if self.expanded[i] { i + 1 } else { end };
            }
        }
        if let Some(at) = at
            && let Ok(row) = self.rows.binary_search(&(at as u32))
        {
            self.cursor = row;
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    /// Counts every subtree's selected nodes from the flags, children first.
    fn count_selected(&mut self) {
        for i in (0..self.tree.len()).rev() {
            self.selected_under[i] += u32::from(self.selected[i]);
            if let Some(p) = self.tree.node(i).parent {
                self.selected_under[p] += self.selected_under[i];
            }
        }
        self.count_pages();
    }

    fn count_pages(&mut self) {
        self.pages_selected = self
            .tree
            .nodes()
            .iter()
            .zip(&self.selected)
            .filter(|(n, s)| **s && n.kind == NodeKind::Page)
            .count() as u64;
        self.estimate = self.model.first_run(&self.per_node, &self.selected);
    }
}
