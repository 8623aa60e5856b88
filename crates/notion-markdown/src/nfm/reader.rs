//! The crawler's view of this reader: [`Reader`] reads the markdown
//! endpoint's answers for `crawl.fetch = "markdown"`, through the
//! `notion-source` traits (which know no Markdown).

use notion_source::crawler::{MarkdownDocument, MarkdownReader, PlaceholderRef};
use notion_source::model::{Block, MarkdownVersion, Page, PageTree};

use super::{Document, parse};

/// Reads answers with [`parse`], splices with [`Document::splice`] and
/// [`Document::splice_blocks`], hands trees on with [`Document::into_tree`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Reader;

impl MarkdownReader for Reader {
    fn parse(&self, markdown: &str, version: MarkdownVersion) -> Box<dyn MarkdownDocument> {
        Box::new(parse(markdown, version))
    }
}

impl MarkdownDocument for Document {
    fn placeholders(&self) -> Vec<PlaceholderRef> {
        self.placeholders
            .iter()
            .map(|p| PlaceholderRef {
                block_id: p.block_id.clone(),
                type_name: p.type_name.clone(),
                refetch: p.refetch(),
            })
            .collect()
    }

    fn splice_markdown(
        &mut self,
        block_id: &str,
        markdown: &str,
        version: MarkdownVersion,
    ) -> usize {
        self.splice(block_id, parse(markdown, version)).unwrap_or(0)
    }

    fn splice_blocks(&mut self, block_id: &str, blocks: Vec<Block>) -> usize {
        Document::splice_blocks(self, block_id, blocks).unwrap_or(0)
    }

    fn into_tree(self: Box<Self>, page: Page) -> PageTree {
        Document::into_tree(*self, page)
    }
}
