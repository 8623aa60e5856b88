//! The listing as a tree: nodes stored in depth-first order (siblings sorted
//! by title, then id), so a node's subtree is the contiguous range
//! `index..node.end`, and every walk is a loop, never a recursion (a deep or
//! cyclic listing cannot overflow the stack).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use super::NodeKind;
use super::listing::{Listing, ParentRef};

/// Counts under a node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Pages below the node, at any depth (the node itself not included).
    pub pages: u64,
}

/// One page, database or data source of the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its id, with dashes.
    pub id: String,
    /// What it is.
    pub kind: NodeKind,
    /// Its title (may be empty).
    pub title: String,
    /// Its URL in Notion.
    pub url: String,
    /// Index of its parent in the hierarchy; `None` at the top level.
    pub parent: Option<usize>,
    /// 0 at the top level.
    pub depth: usize,
    /// One past the last index of its subtree.
    pub end: usize,
    /// What lies under it.
    pub counts: Counts,
}

/// The shared hierarchy (see the module docs of [`hierarchy`](super)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hierarchy {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
}

impl Hierarchy {
    /// Builds the tree. A block parent is followed up to the document that
    /// holds it; a parent that is not in the listing makes a top-level
    /// entry; a cycle of parents (which Notion should never answer) is cut
    /// at its smallest id, which becomes top-level.
    pub fn build(listing: &Listing) -> Hierarchy {
        let entries = &listing.entries;
        let mut position: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            position.entry(entry.id.as_str()).or_insert(i);
        }
        let kept: Vec<bool> = (0..entries.len())
            .map(|i| position[entries[i].id.as_str()] == i)
            .collect();
        let mut parent: Vec<Option<usize>> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let id = document_of(&e.parent, listing)?;
                position.get(id).copied().filter(|&p| p != i && kept[i])
            })
            .collect();
        cut_cycles(&mut parent, |i| entries[i].id.as_str());

        let mut children: Vec<Vec<usize>> = vec![Vec::new(); entries.len()];
        let mut top = Vec::new();
        for i in (0..entries.len()).filter(|&i| kept[i]) {
            match parent[i] {
                Some(p) => children[p].push(i),
                None => top.push(i),
            }
        }
        let keys: Vec<(String, &str, &str)> = entries
            .iter()
            .map(|e| (e.title.to_lowercase(), e.title.as_str(), e.id.as_str()))
            .collect();
        let by_title = |a: &usize, b: &usize| -> Ordering { keys[*a].cmp(&keys[*b]) };
        top.sort_by(by_title);
        children.iter_mut().for_each(|c| c.sort_by(by_title));

        // Depth-first order, with an explicit stack of (entry, parent index, depth).
        let mut nodes: Vec<Node> = Vec::with_capacity(top.len());
        let mut stack: Vec<(usize, Option<usize>, usize)> =
            top.iter().rev().map(|&i| (i, None, 0)).collect();
        while let Some((i, parent, depth)) = stack.pop() {
            let here = nodes.len();
            let e = &entries[i];
            nodes.push(Node {
                id: e.id.clone(),
                kind: e.kind,
                title: e.title.clone(),
                url: e.url.clone(),
                parent,
                depth,
                end: here + 1,
                counts: Counts::default(),
            });
            stack.extend(
                children[i]
                    .iter()
                    .rev()
                    .map(|&c| (c, Some(here), depth + 1)),
            );
        }
        // Ends and counts, children before parents.
        for i in (0..nodes.len()).rev() {
            if let Some(p) = nodes[i].parent {
                let (end, pages) = (nodes[i].end, nodes[i].counts.pages);
                let own = u64::from(nodes[i].kind == NodeKind::Page);
                let parent = &mut nodes[p];
                parent.end = parent.end.max(end);
                parent.counts.pages += pages + own;
            }
        }
        let index = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        Hierarchy { nodes, index }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is shared.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every node, in depth-first order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node at `index` (panics when out of range, like a slice).
    pub fn node(&self, index: usize) -> &Node {
        &self.nodes[index]
    }

    /// The index of the node with this id (dashed, as Notion returns it).
    pub fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The indices of a node's subtree, the node first.
    pub fn subtree(&self, index: usize) -> Range<usize> {
        index..self.nodes[index].end
    }

    /// The node's children, in order.
    pub fn children(&self, index: usize) -> Siblings<'_> {
        Siblings {
            nodes: &self.nodes,
            next: index + 1,
            end: self.nodes[index].end,
        }
    }

    /// The top-level nodes, in order.
    pub fn top_level(&self) -> Siblings<'_> {
        Siblings {
            nodes: &self.nodes,
            next: 0,
            end: self.nodes.len(),
        }
    }

    /// Pages in the whole hierarchy.
    pub fn page_count(&self) -> u64 {
        self.nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Page)
            .count() as u64
    }
}

/// Sibling nodes, in order (see [`Hierarchy::children`]).
#[derive(Debug, Clone)]
pub struct Siblings<'a> {
    nodes: &'a [Node],
    next: usize,
    end: usize,
}

impl Iterator for Siblings<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let here = self.next;
        self.next = self.nodes[here].end;
        Some(here)
    }
}

/// The page, database or data source an object hangs under: blocks are
/// followed up through the listing's block lookups (a block chain longer
/// than the number of blocks is a cycle, and resolves to nothing).
fn document_of<'a>(parent: &'a ParentRef, listing: &'a Listing) -> Option<&'a str> {
    let mut at = parent;
    for _ in 0..=listing.blocks.len() {
        match at {
            ParentRef::Document(id) => return Some(id),
            ParentRef::Block(id) => at = listing.blocks.get(id)?,
            ParentRef::Workspace | ParentRef::NotFound => return None,
        }
    }
    None
}

/// Removes the parent link of one node per cycle (the one with the smallest
/// id), so the parent links form a forest.
fn cut_cycles<'a>(parent: &mut [Option<usize>], id: impl Fn(usize) -> &'a str) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    let mut state = vec![State::New; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                State::Done => break,
                State::OnPath => {
                    // The path from `i` on is a cycle.
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    let cut = path[from..]
                        .iter()
                        .copied()
                        .min_by(|&a, &b| id(a).cmp(id(b)))
                        .unwrap_or(i);
                    parent[cut] = None;
                    break;
                }
                State::New => {
                    state[i] = State::OnPath;
                    path.push(i);
                    at = parent[i];
                }
            }
        }
        for &p in &path {
            state[p] = State::Done;
        }
        path.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::Entry;

    fn entry(id: &str, title: &str, parent: ParentRef) -> Entry {
        Entry::new(id, NodeKind::Page, title, parent)
    }

    fn doc(id: &str) -> ParentRef {
        ParentRef::Document(id.into())
    }

    fn block(id: &str) -> ParentRef {
        ParentRef::Block(id.into())
    }

    fn listing(entries: Vec<Entry>, blocks: &[(&str, ParentRef)]) -> Listing {
        Listing {
            entries,
            blocks: blocks
                .iter()
                .map(|(id, parent)| (id.to_string(), parent.clone()))
                .collect(),
            ..Listing::default()
        }
    }

    #[test]
    fn blocks_resolve_to_their_page_and_missing_parents_make_top_level_entries() {
        let listing = listing(
            vec![
                entry("p", "Parent", ParentRef::Workspace),
                entry("t", "In a toggle", block("b2")),
                entry("o", "Orphan", doc("unshared")),
                entry("h", "Under a hidden block", block("gone")),
            ],
            &[
                ("b2", block("b1")),
                ("b1", doc("p")),
                ("gone", ParentRef::NotFound),
            ],
        );
        let tree = Hierarchy::build(&listing);
        let titles: Vec<_> = tree
            .top_level()
            .map(|i| tree.node(i).title.clone())
            .collect();
        assert_eq!(titles, ["Orphan", "Parent", "Under a hidden block"]);
        let p = tree.find("p").unwrap();
        assert_eq!(
            tree.children(p).collect::<Vec<_>>(),
            [tree.find("t").unwrap()]
        );
        assert_eq!(tree.node(p).counts.pages, 1);
    }

    #[test]
    fn cycles_are_cut_at_the_smallest_id_and_block_loops_end() {
        let listing = listing(
            vec![
                entry("b", "B", doc("c")),
                entry("c", "C", doc("a")),
                entry("a", "A", doc("b")),
                entry("x", "X", block("loop1")),
            ],
            &[("loop1", block("loop2")), ("loop2", block("loop1"))],
        );
        let tree = Hierarchy::build(&listing);
        let top: Vec<_> = tree.top_level().map(|i| tree.node(i).id.clone()).collect();
        assert_eq!(top, ["a", "x"]);
        // a <- c <- b: a chain three deep under the cut.
        let a = tree.find("a").unwrap();
        assert_eq!(tree.subtree(a).len(), 3);
        assert_eq!(tree.node(tree.find("b").unwrap()).depth, 2);
    }

    #[test]
    fn a_very_deep_chain_builds_without_recursion() {
        let n = 200_000;
        let entries = (0..n)
            .map(|i| {
                let parent = match i {
                    0 => ParentRef::Workspace,
                    _ => doc(&format!("n{}", i - 1)),
                };
                entry(&format!("n{i}"), "deep", parent)
            })
            .collect();
        let tree = Hierarchy::build(&listing(entries, &[]));
        assert_eq!(tree.node(0).counts.pages, n as u64 - 1);
        assert_eq!(tree.node(n - 1).depth, n - 1);
    }

    #[test]
    fn duplicates_keep_the_first_and_siblings_sort_by_title_then_id() {
        let listing = listing(
            vec![
                entry("2", "beta", ParentRef::Workspace),
                entry("1", "Beta", ParentRef::Workspace),
                entry("0", "alpha", ParentRef::Workspace),
                entry("1", "Duplicate", ParentRef::Workspace),
            ],
            &[],
        );
        let tree = Hierarchy::build(&listing);
        let ids: Vec<_> = tree.nodes().iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2"]);
        assert_eq!(tree.node(1).title, "Beta");
    }
}
