//! Notion ids and URLs: turning what a user writes in a config (a URL copied
//! from the browser, an id with or without dashes, a typed prefix) into a
//! crawl root.

use std::fmt;

/// A start point of a crawl.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Root {
    /// A page (its metadata costs one retrieve-page request).
    Page(String),
    /// A database: its data sources are queried.
    Database(String),
    /// A data source: its rows are queried.
    DataSource(String),
    /// An id of unknown kind: tried as a page, then a database, then a data source.
    Any(String),
}

impl Root {
    /// Parses `page:ID`, `database:ID`, `data_source:ID`, a bare id (with or
    /// without dashes) or a Notion URL. Returns `None` when no id is found.
    ///
    /// ```
    /// use notion_source::crawler::Root;
    /// let root = Root::parse("https://www.notion.so/acme/Roadmap-0123456789abcdef0123456789abcdef?pvs=4").unwrap();
    /// assert_eq!(root, Root::Any("01234567-89ab-cdef-0123-456789abcdef".into()));
    /// assert_eq!(Root::parse("database:0123456789abcdef0123456789abcdef").unwrap().id(), "01234567-89ab-cdef-0123-456789abcdef");
    /// ```
    pub fn parse(text: &str) -> Option<Root> {
        let text = text.trim();
        let (kind, rest) = match text.split_once(':') {
            Some((k @ ("page" | "database" | "data_source"), rest)) => (Some(k), rest),
            _ => (None, text),
        };
        let id = normalize_id(rest)?;
        Some(match kind {
            Some("page") => Root::Page(id),
            Some("database") => Root::Database(id),
            Some("data_source") => Root::DataSource(id),
            _ => Root::Any(id),
        })
    }

    /// The root's id, with dashes.
    pub fn id(&self) -> &str {
        match self {
            Root::Page(id) | Root::Database(id) | Root::DataSource(id) | Root::Any(id) => id,
        }
    }
}

impl fmt::Display for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Root::Page(id) => write!(f, "page:{id}"),
            Root::Database(id) => write!(f, "database:{id}"),
            Root::DataSource(id) => write!(f, "data_source:{id}"),
            Root::Any(id) => write!(f, "{id}"),
        }
    }
}

/// Finds a Notion id in an id or URL and returns it in the dashed form the
/// API returns (`8-4-4-4-12` lowercase hex). In a URL, the id is the last 32
/// hex digits of the path (query and fragment ignored).
pub fn normalize_id(text: &str) -> Option<String> {
    let text = text.trim();
    let path = text.split(['?', '#']).next().unwrap_or(text);
    let hex: Vec<char> = path.chars().filter(|c| *c != '-').collect();
    // A bare id: exactly 32 hex digits once dashes are gone.
    let digits: String = if hex.len() == 32 && hex.iter().all(char::is_ascii_hexdigit) {
        hex.into_iter().collect()
    } else {
        // A URL or slug: the last run of 32 hex digits at the end of a segment.
        let last = path.trim_end_matches('/').rsplit('/').next()?;
        let compact: String = last.chars().filter(|c| *c != '-').collect();
        let tail = compact.get(compact.len().checked_sub(32)?..)?;
        if !tail.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        tail.to_string()
    };
    let d = digits.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &d[..8],
        &d[8..12],
        &d[12..16],
        &d[16..20],
        &d[20..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_urls_normalize() {
        let dashed = "59833787-2cf9-4fdf-8782-e53db20768a5";
        assert_eq!(normalize_id(dashed).unwrap(), dashed);
        assert_eq!(
            normalize_id("598337872CF94FDF8782E53DB20768A5").unwrap(),
            dashed
        );
        assert_eq!(
            normalize_id("https://www.notion.so/Tuscan-kale-598337872cf94fdf8782e53db20768a5")
                .unwrap(),
            dashed
        );
        assert_eq!(
            normalize_id("https://app.notion.com/p/598337872cf94fdf8782e53db20768a5?v=abc#frag")
                .unwrap(),
            dashed
        );
        assert!(normalize_id("not-an-id").is_none());
        assert!(normalize_id("").is_none());
        assert!(normalize_id("https://www.notion.so/").is_none());
    }

    #[test]
    fn typed_roots() {
        assert_eq!(
            Root::parse("data_source:598337872cf94fdf8782e53db20768a5"),
            Some(Root::DataSource(
                "59833787-2cf9-4fdf-8782-e53db20768a5".into()
            ))
        );
        assert_eq!(Root::parse("page:nope"), None);
    }
}
