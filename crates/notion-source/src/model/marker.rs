//! Markers the crawler leaves where it cut or replaced part of a page's
//! tree, so that the renderer says so instead of dropping content silently.
//!
//! A marker is a block of kind [`BlockKind::Unknown`] whose type name is one
//! of [`Marker`]'s, with a human-readable reason in
//! [`UnknownType::error`]:
//!
//! - [`Marker::TooDeep`] and [`Marker::Cycle`] replace the children of the
//!   block where the crawler stopped descending (the block itself is kept);
//! - [`Marker::SyncedNotShared`] replaces a synced block whose content could
//!   not be read at all (its original is not shared with the integration,
//!   and the copy's own children could not be read either).

use serde_json::{Value, json};

use super::block::{Block, BlockKind};
use super::tagged::UnknownType;

/// Why part of a page's tree is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Marker {
    /// Nested deeper than the crawler reads (see the crawler's depth limit).
    TooDeep,
    /// The block's children lead back to one of its ancestors.
    Cycle,
    /// A synced block whose original is not shared with the integration.
    SyncedNotShared,
}

impl Marker {
    /// Every marker.
    pub const ALL: [Marker; 3] = [Marker::TooDeep, Marker::Cycle, Marker::SyncedNotShared];

    /// The type name of the marker block (`nesting_too_deep`,
    /// `block_cycle`, `synced_block_not_shared`).
    pub const fn type_name(self) -> &'static str {
        match self {
            Marker::TooDeep => "nesting_too_deep",
            Marker::Cycle => "block_cycle",
            Marker::SyncedNotShared => "synced_block_not_shared",
        }
    }

    /// The marker a type name stands for.
    pub fn from_type_name(type_name: &str) -> Option<Marker> {
        Marker::ALL.into_iter().find(|m| m.type_name() == type_name)
    }

    /// The marker `block` is, if it is one.
    pub fn of(block: &Block) -> Option<Marker> {
        match &block.kind {
            BlockKind::Unknown(unknown) => Marker::from_type_name(&unknown.type_name),
            _ => None,
        }
    }

    /// The marker's block content: `raw` says what was cut, `reason` why.
    pub fn kind(self, raw: Value, reason: impl Into<String>) -> BlockKind {
        BlockKind::Unknown(UnknownType {
            type_name: self.type_name().to_string(),
            raw,
            error: Some(reason.into()),
        })
    }

    /// Replaces the children of `block` by one marker block saying why they
    /// are not there. The marker's id is the block's id and the marker's
    /// type name, so the output does not depend on the crawl's order.
    pub fn cut_children(self, block: &mut Block, reason: impl Into<String>) {
        let marker = Block::new(
            format!("{}/{}", block.id, self.type_name()),
            self.kind(json!({"block_id": block.id}), reason),
        );
        block.children = vec![marker];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_through_their_type_names() {
        for marker in Marker::ALL {
            assert_eq!(Marker::from_type_name(marker.type_name()), Some(marker));
        }
        let mut block = Block::new("b", BlockKind::Divider(Default::default()));
        Marker::Cycle.cut_children(&mut block, "b repeats an ancestor");
        assert_eq!(block.children.len(), 1);
        assert_eq!(Marker::of(&block.children[0]), Some(Marker::Cycle));
        assert_eq!(block.children[0].id, "b/block_cycle");
        assert_eq!(Marker::of(&block), None);
    }
}
