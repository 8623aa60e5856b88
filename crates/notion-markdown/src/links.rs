//! Stable Notion URLs: deep links to blocks, links to pages by id, and
//! absolute forms of Notion's relative links.

use crate::RenderContext;

/// Notion's web origin, for links Notion gives as ids or relative paths.
const NOTION_ORIGIN: &str = "https://www.notion.so";

/// A deep link to a block: the page's URL, `#`, and the block id without dashes.
///
/// Any fragment already on `page_url` is replaced.
///
/// ```
/// use notion_markdown::block_url;
/// assert_eq!(
///     block_url("https://www.notion.so/Plan-1a2b", "0f0e-0d0c"),
///     "https://www.notion.so/Plan-1a2b#0f0e0d0c"
/// );
/// ```
pub fn block_url(page_url: &str, block_id: &str) -> String {
    let base = page_url.split('#').next().unwrap_or_default();
    let mut url = String::with_capacity(base.len() + 1 + block_id.len());
    url.push_str(base);
    url.push('#');
    url.extend(block_id.chars().filter(|&c| c != '-'));
    url
}

/// The URL of a page (or database) by id: the one the context knows, else
/// Notion's id-only URL, which Notion redirects to the page.
pub(crate) fn page_url(id: &str, ctx: &RenderContext) -> String {
    match ctx.page_urls.get(id) {
        Some(url) => url.clone(),
        None => id_url(id),
    }
}

/// `https://www.notion.so/<id without dashes>`.
pub(crate) fn id_url(id: &str) -> String {
    let mut url = String::with_capacity(NOTION_ORIGIN.len() + 33);
    url.push_str(NOTION_ORIGIN);
    url.push('/');
    url.extend(id.chars().filter(|&c| c != '-'));
    url
}

/// Makes Notion's relative links (`/0123abcd...`) absolute; other URLs are kept as they are.
pub(crate) fn absolute(url: &str) -> String {
    if url.starts_with('/') && !url.starts_with("//") {
        format!("{NOTION_ORIGIN}{url}")
    } else {
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_url_replaces_fragments_and_drops_dashes() {
        assert_eq!(
            block_url("https://x.so/p#old", "a-b-c"),
            "https://x.so/p#abc"
        );
    }

    #[test]
    fn page_urls_prefer_the_context() {
        let mut ctx = RenderContext::default();
        ctx.page_urls.insert("1-2".into(), "https://known".into());
        assert_eq!(page_url("1-2", &ctx), "https://known");
        assert_eq!(page_url("3-4", &ctx), "https://www.notion.so/34");
        assert_eq!(absolute("/abc"), "https://www.notion.so/abc");
        assert_eq!(absolute("https://a.b/c"), "https://a.b/c");
    }
}
