//! Golden and fidelity tests over the datasets: every kitchen-sink page's
//! Markdown checked in as a snapshot, every plain-text string of the kitchen
//! sink and of a synthetic workspace found in the Markdown as pulldown-cmark
//! reads it, and no signed file URL written anywhere.

use std::sync::OnceLock;

use notion_markdown::{RenderContext, RenderedPage, render_page};
use notion_mock::{SyntheticConfig, Workspace};
use notion_source::model::{Block, BlockKind, FileSource, PageTree};

use crate::shared::{context, snapshot_name};
use crate::support::*;

/// Every crawlable page of the kitchen sink, as the crawler would hand it over.
fn kitchen_sink() -> (Workspace, Vec<(String, PageTree)>) {
    let workspace = Workspace::kitchen_sink();
    let pages = workspace
        .page_ids()
        .into_iter()
        .map(|id| {
            let json = workspace
                .page_tree_json(&id)
                .expect("listed pages have trees");
            let tree: PageTree = serde_json::from_value(json).expect("page trees deserialize");
            (id, tree)
        })
        .collect();
    (workspace, pages)
}

/// One kitchen-sink page and its rendering.
struct Rendered {
    id: String,
    tree: PageTree,
    page: RenderedPage,
}

/// The kitchen sink, rendered once for all tests.
fn render_all() -> &'static (Workspace, Vec<Rendered>) {
    static RENDERED: OnceLock<(Workspace, Vec<Rendered>)> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let (workspace, pages) = kitchen_sink();
        let ctx = context(pages.iter().map(|(_, tree)| tree));
        let rendered = pages
            .into_iter()
            .map(|(id, tree)| {
                let page = render_page(&tree, &ctx);
                Rendered { id, tree, page }
            })
            .collect();
        (workspace, rendered)
    })
}

#[test]
fn every_page_matches_its_golden_markdown() {
    let (_, rendered) = render_all();
    assert!(rendered.len() > 5, "the kitchen sink has pages");
    for Rendered { id, page, .. } in rendered {
        insta::assert_snapshot!(snapshot_name(id, &page.title), page.markdown);
    }
}

#[test]
fn every_plain_text_of_the_dataset_is_read_back() {
    let (workspace, rendered) = render_all();
    for Rendered { id, page, .. } in rendered {
        let texts = workspace.plain_texts(id);
        assert!(!texts.is_empty(), "page {id} has text");
        let content = squash(&text_content(&page.markdown));
        for text in &texts {
            assert!(
                content.contains(&squash(text)),
                "{text:?} missing from page {id}:\n{}",
                page.markdown
            );
        }
    }
}

#[test]
fn no_signed_file_url_is_written() {
    let (_, rendered) = render_all();
    let mut hosted = 0;
    for Rendered { tree, page, .. } in rendered {
        let mut signed = Vec::new();
        for block in &tree.blocks {
            block.walk(&mut |b: &Block| {
                let source = match &b.kind {
                    BlockKind::Image(m)
                    | BlockKind::Video(m)
                    | BlockKind::Pdf(m)
                    | BlockKind::File(m)
                    | BlockKind::Audio(m) => &m.source,
                    _ => return,
                };
                if let FileSource::File(file) = source {
                    signed.push((b.id.clone(), file.url.clone()));
                }
            });
        }
        for (block_id, url) in signed {
            hosted += 1;
            let path = url.split('?').next().unwrap_or_default();
            assert!(
                !page.markdown.contains(path),
                "{path} written on {}",
                page.title
            );
            let deep_link = notion_markdown::block_url(&tree.page.url, &block_id);
            assert!(
                page.markdown.contains(&deep_link),
                "{block_id} not linked on {}",
                page.title
            );
        }
    }
    assert!(hosted > 0, "the kitchen sink has Notion-hosted files");
}

#[test]
fn spans_and_headings_hold_on_every_page() {
    let (_, rendered) = render_all();
    for Rendered { tree, page, .. } in rendered {
        let md = &page.markdown;
        for span in &page.blocks {
            assert!(span.range.start < span.range.end && span.range.end <= md.len());
            assert!(md.is_char_boundary(span.range.start) && md.is_char_boundary(span.range.end));
        }
        assert_eq!(
            page.headings[0].text,
            if tree.page.title().is_empty() {
                "Untitled".into()
            } else {
                squash(&tree.page.title())
            }
        );
        for heading in &page.headings {
            let marker = "#".repeat(heading.level as usize) + " ";
            assert!(
                md[heading.offset..].starts_with(&marker),
                "heading {heading:?}"
            );
        }
    }
}

#[test]
fn synthetic_pages_keep_every_plain_text() {
    let workspace = Workspace::synthetic(&SyntheticConfig {
        pages: 60,
        seed: 3,
        ..SyntheticConfig::default()
    });
    let ids = workspace.page_ids();
    assert!(ids.len() > 30);
    for id in ids {
        let tree: PageTree = serde_json::from_value(workspace.page_tree_json(&id).expect("tree"))
            .expect("deserializes");
        let page = render_page(&tree, &RenderContext::default());
        let content = squash(&text_content(&page.markdown));
        for text in workspace.plain_texts(&id) {
            assert!(
                content.contains(&squash(&text)),
                "{text:?} missing from page {id}:\n{}",
                page.markdown
            );
        }
    }
}
