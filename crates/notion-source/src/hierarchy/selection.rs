//! What a configuration selects: `crawl.roots` and `crawl.exclude` read
//! against the hierarchy, node by node, and back: the fewest roots and
//! excludes that select a given set of nodes.
//!
//! The rule: a node is selected when the nearest of itself and its
//! ancestors that is named in the roots or the excludes is a root; with no
//! roots at all, everything is (the crawl then starts from search), less
//! what the excludes take out. A root inside an excluded subtree selects
//! its own subtree again.

use std::collections::HashSet;

use serde::Serialize;

use crate::crawler::Root;

use super::tree::Hierarchy;
use super::{HierarchyError, NodeKind};

/// What a selection does to one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Crawled.
    Selected,
    /// Taken out by an exclude (on the node or an ancestor).
    Excluded,
    /// Under no root.
    NotSelected,
}

impl Mark {
    /// `selected`, `excluded` or `not_selected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Selected => "selected",
            Mark::Excluded => "excluded",
            Mark::NotSelected => "not_selected",
        }
    }
}

/// The roots and excludes of a crawl configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Start points; empty means everything search finds.
    pub roots: Vec<Root>,
    /// Ids taken out, with everything under them.
    pub exclude: Vec<String>,
}

impl Selection {
    /// Reads `crawl.roots` and `crawl.exclude` as written in a config: ids
    /// with or without dashes, typed ids (`page:ID`), or Notion URLs.
    ///
    /// ```
    /// use notion_source::hierarchy::Selection;
    /// let s = Selection::parse(&["page:0123456789abcdef0123456789abcdef"], &["https://www.notion.so/Old-fedcba9876543210fedcba9876543210"]).unwrap();
    /// assert_eq!(s.exclude, ["fedcba98-7654-3210-fedc-ba9876543210"]);
    /// assert!(Selection::parse(&["not an id"], &[] as &[&str]).is_err());
    /// ```
    pub fn parse(
        roots: &[impl AsRef<str>],
        exclude: &[impl AsRef<str>],
    ) -> Result<Selection, HierarchyError> {
        let parse = |s: &str| Root::parse(s).ok_or_else(|| HierarchyError::BadId(s.to_string()));
        Ok(Selection {
            roots: roots
                .iter()
                .map(|r| parse(r.as_ref()))
                .collect::<Result<_, _>>()?,
            exclude: exclude
                .iter()
                .map(|e| parse(e.as_ref()).map(|r| r.id().to_string()))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The mark of every node, in the hierarchy's order.
    pub fn marks(&self, tree: &Hierarchy) -> Vec<Mark> {
        let roots: HashSet<&str> = self.roots.iter().map(Root::id).collect();
        let exclude: HashSet<&str> = self.exclude.iter().map(String::as_str).collect();
        let mut marks: Vec<Mark> = Vec::with_capacity(tree.len());
        for node in tree.nodes() {
            let mark = if exclude.contains(node.id.as_str()) {
                Mark::Excluded
            } else if roots.contains(node.id.as_str()) {
                Mark::Selected
            } else {
                match node.parent {
                    Some(p) => marks[p],
                    None if roots.is_empty() => Mark::Selected,
                    None => Mark::NotSelected,
                }
            };
            marks.push(mark);
        }
        marks
    }

    /// The fewest roots and excludes that select exactly the nodes for
    /// which `selected` is true (indexed like the hierarchy): a root where
    /// a selected node's parent is not selected, an exclude where an
    /// unselected node's parent is selected. When every top-level node is
    /// selected, the roots are left empty (everything, from search).
    /// `None` when nothing is selected, which no configuration can say.
    ///
    /// Roots carry their kind (`page:ID`, `database:ID`, `data_source:ID`),
    /// which spares the crawl a lookup.
    pub fn from_selected(tree: &Hierarchy, selected: &[bool]) -> Option<Selection> {
        assert_eq!(selected.len(), tree.len(), "one flag per node");
        if !selected.iter().any(|s| *s) {
            return None;
        }
        let mut selection = Selection::default();
        for (i, node) in tree.nodes().iter().enumerate() {
            let parent = node.parent.is_some_and(|p| selected[p]);
            match (selected[i], parent) {
                (true, false) => selection.roots.push(match node.kind {
                    NodeKind::Page => Root::Page(node.id.clone()),
                    NodeKind::Database => Root::Database(node.id.clone()),
                    NodeKind::DataSource => Root::DataSource(node.id.clone()),
                }),
                (false, true) => selection.exclude.push(node.id.clone()),
                _ => {}
            }
        }
        if tree.top_level().all(|i| selected[i]) {
            selection.roots.clear();
        }
        Some(selection)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::hierarchy::{Entry, Listing, ParentRef};

    /// A random forest: node i hangs under a node before it, or at the top.
    fn forest(parents: &[Option<usize>]) -> Hierarchy {
        let mut listing = Listing::default();
        for (i, p) in parents.iter().enumerate() {
            let parent = match p {
                Some(p) if *p < i => ParentRef::Document(format!("n{p:03}")),
                _ => ParentRef::Workspace,
            };
            let kind = [NodeKind::Page, NodeKind::Database, NodeKind::DataSource][i % 3];
            listing.entries.push(Entry::new(
                &format!("n{i:03}"),
                kind,
                &format!("t{}", i % 7),
                parent,
            ));
        }
        Hierarchy::build(&listing)
    }

    proptest! {
        #[test]
        fn minimal_lists_select_exactly_the_chosen_nodes(
            parents in prop::collection::vec(prop::option::of(0usize..60), 1..60),
            flags in prop::collection::vec(any::<bool>(), 60),
        ) {
            let tree = forest(&parents);
            let selected = &flags[..tree.len()];
            match Selection::from_selected(&tree, selected) {
                None => prop_assert!(selected.iter().all(|s| !s)),
                Some(selection) => {
                    let marks = selection.marks(&tree);
                    let got: Vec<bool> = marks.iter().map(|m| *m == Mark::Selected).collect();
                    prop_assert_eq!(got, selected.to_vec());
                    // Minimal: every root and exclude changes the mark of its own node.
                    for root in &selection.roots {
                        let i = tree.find(root.id()).unwrap();
                        prop_assert!(tree.node(i).parent.is_none_or(|p| !selected[p]));
                    }
                }
            }
        }
    }

    #[test]
    fn roots_under_an_exclude_select_again_and_unknown_ids_change_nothing() {
        let tree = forest(&[None, Some(0), Some(1), Some(2)]);
        let unknown = Selection::parse(
            &["page:11111111111111111111111111111111"],
            &["22222222-2222-2222-2222-222222222222"],
        )
        .unwrap();
        // Ids that are not in the tree mark nothing.
        assert!(unknown.marks(&tree).iter().all(|m| *m == Mark::NotSelected));
        let selection = Selection {
            roots: vec![Root::Page("n000".into()), Root::Any("n002".into())],
            exclude: vec!["n001".into()],
        };
        assert_eq!(
            selection.marks(&tree),
            [
                Mark::Selected,
                Mark::Excluded,
                Mark::Selected,
                Mark::Selected
            ]
        );
    }
}
