//! Page trees of any depth without recursion: built from a flat list of
//! blocks with their depths (the corpus form of a tree), walked with a
//! stack, and taken apart level by level (the derived drop of a `Block`
//! recurses once per level of nesting).

use notion_source::model::{Block, PageTree};

/// Builds the block forest that `flat` lists in document order, each block
/// with its depth (0 for top level). A depth more than one below the
/// previous block's is taken as one below.
pub fn build(flat: Vec<(usize, Block)>) -> Vec<Block> {
    let mut roots = Vec::new();
    // The path from a root to the last block, each still open for children.
    let mut open: Vec<Block> = Vec::new();
    for (depth, block) in flat {
        while open.len() > depth {
            close(&mut open, &mut roots);
        }
        open.push(block);
    }
    while !open.is_empty() {
        close(&mut open, &mut roots);
    }
    roots
}

/// Closes the innermost open block: it becomes its parent's last child.
fn close(open: &mut Vec<Block>, roots: &mut Vec<Block>) {
    if let Some(done) = open.pop() {
        match open.last_mut() {
            Some(parent) => parent.children.push(done),
            None => roots.push(done),
        }
    }
}

/// Every block of `blocks` and their descendants, in document order, with depths.
pub fn flatten(blocks: &[Block]) -> Vec<(usize, &Block)> {
    let mut out = Vec::new();
    let mut stack: Vec<(usize, &Block)> = blocks.iter().rev().map(|b| (0, b)).collect();
    while let Some((depth, block)) = stack.pop() {
        out.push((depth, block));
        stack.extend(block.children.iter().rev().map(|c| (depth + 1, c)));
    }
    out
}

/// Drops `blocks` one level at a time, however deep they nest.
pub fn dismantle(blocks: Vec<Block>) {
    let mut stack = blocks;
    while let Some(mut block) = stack.pop() {
        stack.append(&mut block.children);
    }
}

/// A page tree that is taken apart level by level when dropped.
#[derive(Debug)]
pub struct OwnedTree(pub PageTree);

impl Drop for OwnedTree {
    fn drop(&mut self) {
        dismantle(std::mem::take(&mut self.0.blocks));
    }
}

#[cfg(test)]
mod tests {
    use notion_source::model::{BlockKind, TextBlock};

    use super::*;

    fn block(id: &str) -> Block {
        Block::new(id, BlockKind::Paragraph(TextBlock::default()))
    }

    #[test]
    fn flat_lists_become_trees_and_back() {
        let flat = vec![
            (0, block("a")),
            (1, block("b")),
            (5, block("c")),
            (1, block("d")),
            (0, block("e")),
        ];
        let roots = build(flat);
        let ids: Vec<(usize, &str)> = flatten(&roots)
            .into_iter()
            .map(|(d, b)| (d, b.id.as_str()))
            .collect();
        assert_eq!(ids, [(0, "a"), (1, "b"), (2, "c"), (1, "d"), (0, "e")]);
        dismantle(roots);
    }

    #[test]
    fn a_million_levels_build_walk_and_drop_on_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                let roots = build((0..1_000_000).map(|d| (d, block("x"))).collect());
                assert_eq!(flatten(&roots).len(), 1_000_000);
                dismantle(roots);
            })
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
    }
}
