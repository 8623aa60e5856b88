//! What the URLs in Notion-flavoured Markdown say: the page or block they
//! point to (the Markdown has no ids, only `url` attributes), whether a file
//! URL is signed (and so must never be written), and a file's name.

/// The id in a Notion URL, with dashes: the fragment's when it has one
/// (`https://www.notion.so/Page-abc…#def…` → the block `def…`), else the
/// one ending the path (`…/Page-abc…` → the page `abc…`), else the id after
/// a scheme (`user://…`, `collection://…`).
pub(crate) fn id_in_url(url: &str) -> Option<String> {
    let (before, fragment) = match url.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (url, None),
    };
    if let Some(id) = fragment.and_then(trailing_id) {
        return Some(id);
    }
    let path = before.split('?').next().unwrap_or_default();
    trailing_id(path.trim_end_matches('/'))
}

/// The page id of a Notion URL, ignoring any fragment.
pub(crate) fn page_id_in_url(url: &str) -> Option<String> {
    id_in_url(url.split('#').next().unwrap_or_default())
}

/// An id (32 hex digits, with or without dashes) at the end of `text`, dashed.
fn trailing_id(text: &str) -> Option<String> {
    let mut hex = String::with_capacity(32);
    for c in text.chars().rev() {
        if c == '-' {
            continue;
        }
        if !c.is_ascii_hexdigit() || hex.len() == 32 {
            break;
        }
        hex.push(c.to_ascii_lowercase());
    }
    if hex.len() != 32 {
        return None;
    }
    let hex: String = hex.chars().rev().collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// Whether `url` is a signed, expiring file URL (Notion's S3 files): it must
/// never reach the output.
pub(crate) fn is_signed(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.contains("x-amz-") || lower.contains("prod-files-secure") || lower.contains("signature=")
}

/// `url` without its query and fragment (what stays of a signed URL).
pub(crate) fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or_default()
}

/// The last segment of a URL's path, percent-decoded, when it looks like a
/// file name (`…/diagram%20v2.png?X-Amz-…` → `diagram v2.png`).
pub(crate) fn file_name(url: &str) -> Option<String> {
    let path = without_query(url);
    let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
    let (_, path) = after_scheme.split_once('/')?;
    let name = path.rsplit('/').next()?;
    let name = percent_decode(name);
    (name.contains('.') && !name.trim().is_empty()).then_some(name)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_fragments_then_paths() {
        let page = "034ed4ca7ab151cb83996ea3f2d74850";
        let block = "490ab070-3487-5152-8c71-761fcdfe901f";
        assert_eq!(
            id_in_url(&format!(
                "https://www.notion.so/Kitchen-Sink-{page}#{}",
                block.replace('-', "")
            ))
            .as_deref(),
            Some(block)
        );
        assert_eq!(
            page_id_in_url(&format!("https://www.notion.so/Kitchen-Sink-{page}#x")).as_deref(),
            Some("034ed4ca-7ab1-51cb-8399-6ea3f2d74850")
        );
        assert_eq!(
            id_in_url(&format!("user://{block}")).as_deref(),
            Some(block)
        );
        assert_eq!(id_in_url("https://www.notion.so/help"), None);
        assert_eq!(
            id_in_url("https://x.so/ff034ed4ca7ab151cb83996ea3f2d74850").as_deref(),
            Some("034ed4ca-7ab1-51cb-8399-6ea3f2d74850")
        );
    }

    #[test]
    fn signed_urls_and_file_names() {
        let signed = "https://prod-files-secure.s3.us-west-2.amazonaws.com/w/f/diagram%20v2.png?X-Amz-Signature=abc";
        assert!(is_signed(signed));
        assert!(!is_signed("https://images.example.com/lake.jpg"));
        assert_eq!(file_name(signed).as_deref(), Some("diagram v2.png"));
        assert_eq!(file_name("https://www.notion.so/Page-abc"), None);
        assert_eq!(
            without_query(signed),
            "https://prod-files-secure.s3.us-west-2.amazonaws.com/w/f/diagram%20v2.png"
        );
    }
}
