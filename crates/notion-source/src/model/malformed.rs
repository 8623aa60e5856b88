//! Counting the values that did not parse and were kept raw: a known type
//! whose content did not fit (an `Unknown` variant with an error), an
//! optional page field set aside in [`Page::malformed`]. Crawl reports
//! carry the count so that nothing is lost silently.

use super::block::{Block, BlockKind, LinkToPage};
use super::common::{FileSource, Icon};
use super::marker::Marker;
use super::page::{Page, PageTree};
use super::property::{FormulaValue, PropertyKind, RollupValue};
use super::rich_text::{Mention, RichText, RichTextKind};
use super::tagged::UnknownType;

impl PageTree {
    /// Values of the page and its blocks that did not parse and were kept
    /// raw (crawler markers are not counted: they are not parse failures).
    pub fn malformed_values(&self) -> u64 {
        let mut count = self.page.malformed_values();
        for block in &self.blocks {
            block.walk(&mut |b| count += block_values(b));
        }
        count
    }
}

impl Page {
    /// Values of the page's metadata and properties that did not parse and
    /// were kept raw.
    pub fn malformed_values(&self) -> u64 {
        self.malformed.len() as u64
            + self.icon.as_ref().map_or(0, icon)
            + self.cover.as_ref().map_or(0, file)
            + self
                .properties
                .values()
                .map(|p| property(&p.value))
                .sum::<u64>()
    }
}

/// 1 for a known type that did not parse.
fn unknown(u: &UnknownType) -> u64 {
    u64::from(u.error.is_some() && Marker::from_type_name(&u.type_name).is_none())
}

fn runs(runs: &[RichText]) -> u64 {
    runs.iter()
        .map(|run| match &run.kind {
            RichTextKind::Unknown(u) | RichTextKind::Mention(Mention::Unknown(u)) => unknown(u),
            _ => 0,
        })
        .sum()
}

fn icon(i: &Icon) -> u64 {
    match i {
        Icon::Unknown(u) => unknown(u),
        _ => 0,
    }
}

fn file(f: &FileSource) -> u64 {
    match f {
        FileSource::Unknown(u) => unknown(u),
        _ => 0,
    }
}

fn property(kind: &PropertyKind) -> u64 {
    match kind {
        PropertyKind::Unknown(u) => unknown(u),
        PropertyKind::Title(r) | PropertyKind::RichText(r) => runs(r),
        PropertyKind::Files(files) => files.iter().map(|f| file(&f.source)).sum(),
        PropertyKind::Formula(FormulaValue::Unknown(u)) => unknown(u),
        PropertyKind::Rollup(rollup) => match &rollup.value {
            RollupValue::Unknown(u) => unknown(u),
            RollupValue::Array(items) => items.iter().map(property).sum(),
            _ => 0,
        },
        _ => 0,
    }
}

/// One block's own values (not its children's).
fn block_values(b: &Block) -> u64 {
    let own = match &b.kind {
        BlockKind::Unknown(u) => unknown(u),
        BlockKind::Callout(c) => c.icon.as_ref().map_or(0, icon),
        BlockKind::Code(c) => runs(&c.caption),
        BlockKind::Image(m)
        | BlockKind::Video(m)
        | BlockKind::Pdf(m)
        | BlockKind::File(m)
        | BlockKind::Audio(m) => file(&m.source) + runs(&m.caption),
        BlockKind::Bookmark(u) | BlockKind::Embed(u) | BlockKind::LinkPreview(u) => {
            runs(&u.caption)
        }
        BlockKind::TableRow(row) => row.cells.iter().map(|c| runs(c)).sum(),
        BlockKind::LinkToPage(LinkToPage::Unknown(u)) => unknown(u),
        BlockKind::MeetingNotes(m) | BlockKind::Transcription(m) => runs(&m.title),
        _ => 0,
    };
    own + b.rich_text().map_or(0, runs)
}
