//! What a caller does with a [`Document`]: splice in the blocks fetched for
//! its placeholders, and render it (or hand its tree on) like a page read
//! through the block API.

use notion_source::model::{Block, BlockKind, ExternalFile, FileSource, Page, PageTree};

use super::build::is_placeholder;
use super::{ChildDocument, Converted, Document};
use crate::RenderContext;
use crate::links::id_url;

/// Why a splice did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpliceError {
    /// No placeholder in the tree has this id.
    #[error("no placeholder for block {block_id} in the document")]
    NotFound {
        /// The id asked for.
        block_id: String,
    },
}

impl Document {
    /// Puts what the Markdown endpoint answered for a placeholder's block
    /// (`replacement`, read with [`super::parse`]) where the placeholder
    /// stood, and takes over its child pages, placeholders and counts.
    /// Returns how many placeholders were replaced (a block can appear
    /// twice, in a synced block and its copy).
    pub fn splice(&mut self, block_id: &str, replacement: Document) -> Result<usize, SpliceError> {
        let Document {
            blocks,
            child_pages,
            child_databases,
            placeholders,
            unrecognised,
        } = replacement;
        let replaced = self.splice_blocks(block_id, blocks)?;
        for child in child_pages {
            push_unique(&mut self.child_pages, child);
        }
        for child in child_databases {
            push_unique(&mut self.child_databases, child);
        }
        self.placeholders.extend(placeholders);
        for (name, count) in unrecognised.tags {
            *self.unrecognised.tags.entry(name).or_default() += count;
        }
        self.unrecognised.unmatched += unrecognised.unmatched;
        self.unrecognised.link_definitions += unrecognised.link_definitions;
        Ok(replaced)
    }

    /// Puts `blocks` (read through the block API, children filled) where
    /// the placeholder of `block_id` stood. Child pages and databases among
    /// them are added to the document's.
    pub fn splice_blocks(
        &mut self,
        block_id: &str,
        blocks: Vec<Block>,
    ) -> Result<usize, SpliceError> {
        let mut replaced = 0;
        replace(&mut self.blocks, block_id, &blocks, &mut replaced);
        if replaced == 0 {
            return Err(SpliceError::NotFound {
                block_id: block_id.to_string(),
            });
        }
        self.placeholders
            .retain(|p| p.block_id.as_deref() != Some(block_id));
        for block in &blocks {
            block.walk(&mut |b: &Block| {
                let (list, title) = match &b.kind {
                    BlockKind::ChildPage(t) => (&mut self.child_pages, &t.title),
                    BlockKind::ChildDatabase(t) => (&mut self.child_databases, &t.title),
                    _ => return,
                };
                push_unique(
                    list,
                    ChildDocument {
                        id: b.id.clone(),
                        title: title.clone(),
                    },
                );
            });
        }
        Ok(replaced)
    }

    /// The page tree the crawler hands on, as from a block walk: `page` (from
    /// the listing) with these blocks. A Notion-hosted file whose block id
    /// the Markdown did not give links to the page.
    pub fn into_tree(self, page: Page) -> PageTree {
        let page_url = if page.url.is_empty() {
            id_url(&page.id)
        } else {
            page.url.clone()
        };
        let mut blocks = self.blocks;
        link_hosted_files(&mut blocks, &page_url);
        PageTree { page, blocks }
    }

    /// Renders the page as [`crate::render_page`] does (which gives spans
    /// only to blocks with ids).
    pub fn render(&self, page: &Page, ctx: &RenderContext) -> Converted {
        let tree = self.clone().into_tree(page.clone());
        let rendered = crate::render_page(&tree, ctx);
        Converted {
            page: rendered,
            child_pages: self.child_pages.clone(),
            child_databases: self.child_databases.clone(),
            placeholders: self.placeholders.clone(),
            unrecognised: self.unrecognised.clone(),
        }
    }
}

fn push_unique(list: &mut Vec<ChildDocument>, child: ChildDocument) {
    if !list.iter().any(|c| c.id == child.id) {
        list.push(child);
    }
}

/// Replaces every placeholder of `id` in `blocks` (at any depth) by `with`.
fn replace(blocks: &mut Vec<Block>, id: &str, with: &[Block], replaced: &mut usize) {
    let mut i = 0;
    while i < blocks.len() {
        if blocks[i].id == id && is_placeholder(&blocks[i]) {
            blocks.splice(i..=i, with.iter().cloned());
            i += with.len();
            *replaced += 1;
        } else {
            replace(&mut blocks[i].children, id, with, replaced);
            i += 1;
        }
    }
}

/// Notion-hosted media without a block id: a link to the page instead.
fn link_hosted_files(blocks: &mut [Block], page_url: &str) {
    for block in blocks {
        if block.id.is_empty()
            && let BlockKind::Image(media)
            | BlockKind::Video(media)
            | BlockKind::Pdf(media)
            | BlockKind::File(media)
            | BlockKind::Audio(media) = &mut block.kind
            && matches!(media.source, FileSource::File(_))
        {
            media.source = FileSource::External(ExternalFile {
                url: page_url.to_string(),
            });
        }
        link_hosted_files(&mut block.children, page_url);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MarkdownVersion, Refetch, parse};
    use super::*;

    const TRUNCATED: &str = "Before\n\n<unknown url=\"https://www.notion.so/p#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" alt=\"toggle\"/>\n\nAfter";

    #[test]
    fn splices_a_refetched_subtree_where_the_placeholder_was() {
        let mut doc = parse(TRUNCATED, MarkdownVersion::V2);
        assert_eq!(doc.placeholders.len(), 1);
        assert_eq!(doc.placeholders[0].refetch(), Refetch::Markdown);
        assert_eq!(
            doc.placeholders[0].offset,
            TRUNCATED.find("<unknown").unwrap()
        );
        let id = doc.placeholders[0].block_id.clone().unwrap();
        let answer = parse(
            "<toggle>\nDetails\n\n<page url=\"https://www.notion.so/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\">Sub</page>\n</toggle>",
            MarkdownVersion::V2,
        );
        assert_eq!(doc.splice(&id, answer), Ok(1));
        assert!(doc.placeholders.is_empty());
        assert_eq!(doc.child_pages[0].title, "Sub");
        let kinds: Vec<&str> = doc.blocks.iter().map(|b| b.kind.type_name()).collect();
        assert_eq!(kinds, ["paragraph", "toggle", "paragraph"]);
        assert_eq!(
            doc.splice(&id, Document::default()),
            Err(SpliceError::NotFound { block_id: id })
        );
    }

    #[test]
    fn unwritable_types_are_read_through_the_block_api() {
        let doc = parse(
            "<unknown url=\"https://www.notion.so/p#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" alt=\"bookmark\"/>\n\n<unknown alt=\"embed\"/>",
            MarkdownVersion::V2,
        );
        let how: Vec<Refetch> = doc.placeholders.iter().map(|p| p.refetch()).collect();
        assert_eq!(how, [Refetch::Block, Refetch::Nothing]);
    }
}
