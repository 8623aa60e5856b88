//! Helpers both test binaries (`render`, `nfm`) use on dataset pages.

use notion_markdown::RenderContext;
use notion_source::model::{Block, BlockKind, PageTree, PropertyKind};

/// What the runner knows while rendering: every crawled page's title and
/// URL, database titles (from `child_database` blocks), and user names (here
/// gathered from people properties; the runner lists the workspace's users).
pub fn context<'a>(trees: impl IntoIterator<Item = &'a PageTree>) -> RenderContext {
    let mut ctx = RenderContext::default();
    for tree in trees {
        ctx.page_titles
            .insert(tree.page.id.clone(), tree.page.title());
        ctx.page_urls
            .insert(tree.page.id.clone(), tree.page.url.clone());
        for block in &tree.blocks {
            block.walk(&mut |b: &Block| {
                if let BlockKind::ChildDatabase(db) = &b.kind {
                    ctx.page_titles.insert(b.id.clone(), db.title.clone());
                }
            });
        }
        for property in tree.page.properties.values() {
            if let PropertyKind::People(people) = &property.value {
                for user in people {
                    if let Some(name) = &user.name {
                        ctx.user_names.insert(user.id.clone(), name.clone());
                    }
                }
            }
        }
    }
    ctx
}

/// A snapshot name: a readable slug of the page's title and the start of
/// its id (stable: the dataset derives ids from keys).
pub fn snapshot_name(id: &str, title: &str) -> String {
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug: Vec<&str> = slug.split('-').filter(|s| !s.is_empty()).collect();
    format!("{}-{}", slug.join("-"), &id[..8])
}
