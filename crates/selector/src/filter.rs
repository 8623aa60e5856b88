//! Fuzzy matching of titles (nucleo's matcher, case-insensitive): which
//! nodes a typed filter matches, and which characters of a title to
//! highlight.
//!
//! A keystroke that extends the filter only re-checks the nodes the shorter
//! filter matched (a fuzzy match of `abc` is a match of `ab`), so typing
//! gets cheaper as the filter narrows.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32String};

use notion_source::hierarchy::Hierarchy;

/// The titles, ready for matching, and the current filter's matches.
pub(crate) struct Filter {
    matcher: Matcher,
    titles: Vec<Utf32String>,
    query: String,
    atom: Option<Atom>,
    /// Indices of matching nodes, ascending (every node when the query is empty).
    matches: Vec<u32>,
}

impl Filter {
    pub(crate) fn new(tree: &Hierarchy) -> Filter {
        Filter {
            matcher: Matcher::new(Config::DEFAULT),
            titles: tree
                .nodes()
                .iter()
                .map(|n| Utf32String::from(n.title.as_str()))
                .collect(),
            query: String::new(),
            atom: None,
            matches: Vec::new(),
        }
    }

    /// The filter as typed.
    pub(crate) fn query(&self) -> &str {
        &self.query
    }

    /// Whether a filter is set.
    pub(crate) fn is_active(&self) -> bool {
        self.atom.is_some()
    }

    /// Sets the filter and finds its matches.
    pub(crate) fn set_query(&mut self, query: &str) {
        let narrowing = self.atom.is_some() && query.starts_with(self.query.as_str());
        self.query = query.to_string();
        if query.is_empty() {
            self.atom = None;
            self.matches.clear();
            return;
        }
        let atom = Atom::new(
            query,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Fuzzy,
            false,
        );
        let candidates: Box<dyn Iterator<Item = u32>> = if narrowing {
            Box::new(std::mem::take(&mut self.matches).into_iter())
        } else {
            Box::new(0..self.titles.len() as u32)
        };
        let (titles, matcher) = (&self.titles, &mut self.matcher);
        self.matches = candidates
            .filter(|&i| atom.score(titles[i as usize].slice(..), matcher).is_some())
            .collect();
        self.atom = Some(atom);
    }

    /// The matching nodes, ascending.
    pub(crate) fn matches(&self) -> &[u32] {
        &self.matches
    }

    /// The character positions of a node's title that the filter matched.
    pub(crate) fn highlights(&mut self, node: usize) -> Vec<u32> {
        let mut at = Vec::new();
        if let Some(atom) = &self.atom {
            atom.indices(self.titles[node].slice(..), &mut self.matcher, &mut at);
            at.sort_unstable();
            at.dedup();
        }
        at
    }
}
