//! The endpoints the client calls, named as templates with the ids taken
//! out (`GET /v1/blocks/{id}/children`), for counters, logs and errors.

use std::fmt;

use reqwest::Method;
use serde::Serialize;

/// One of the Notion API endpoints this client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `POST /v1/search`
    Search,
    /// `GET /v1/pages/{id}`
    RetrievePage,
    /// `GET /v1/pages/{id}/properties/{property_id}`
    PageProperty,
    /// `GET /v1/blocks/{id}`
    RetrieveBlock,
    /// `GET /v1/blocks/{id}/children`
    BlockChildren,
    /// `GET /v1/databases/{id}`
    RetrieveDatabase,
    /// `GET /v1/data_sources/{id}`
    RetrieveDataSource,
    /// `POST /v1/data_sources/{id}/query`
    QueryDataSource,
    /// `GET /v1/users`
    ListUsers,
    /// `GET /v1/pages/{id}/markdown`
    PageMarkdown,
    /// `POST /v1/pages`
    CreatePage,
    /// `PATCH /v1/pages/{id}`
    UpdatePage,
    /// `PATCH /v1/blocks/{id}/children`
    AppendBlockChildren,
    /// `PATCH /v1/blocks/{id}`
    UpdateBlock,
    /// `POST /v1/databases`
    CreateDatabase,
    /// `POST /v1/data_sources`
    CreateDataSource,
    /// `PATCH /v1/data_sources/{id}`
    UpdateDataSource,
}

impl Endpoint {
    /// Every endpoint, in a fixed order.
    pub const ALL: [Endpoint; 17] = [
        Endpoint::Search,
        Endpoint::RetrievePage,
        Endpoint::PageProperty,
        Endpoint::RetrieveBlock,
        Endpoint::BlockChildren,
        Endpoint::RetrieveDatabase,
        Endpoint::RetrieveDataSource,
        Endpoint::QueryDataSource,
        Endpoint::ListUsers,
        Endpoint::PageMarkdown,
        Endpoint::CreatePage,
        Endpoint::UpdatePage,
        Endpoint::AppendBlockChildren,
        Endpoint::UpdateBlock,
        Endpoint::CreateDatabase,
        Endpoint::CreateDataSource,
        Endpoint::UpdateDataSource,
    ];

    /// Method and path template, e.g. `GET /v1/blocks/{id}/children`.
    pub fn template(self) -> &'static str {
        match self {
            Endpoint::Search => "POST /v1/search",
            Endpoint::RetrievePage => "GET /v1/pages/{id}",
            Endpoint::PageProperty => "GET /v1/pages/{id}/properties/{property_id}",
            Endpoint::RetrieveBlock => "GET /v1/blocks/{id}",
            Endpoint::BlockChildren => "GET /v1/blocks/{id}/children",
            Endpoint::RetrieveDatabase => "GET /v1/databases/{id}",
            Endpoint::RetrieveDataSource => "GET /v1/data_sources/{id}",
            Endpoint::QueryDataSource => "POST /v1/data_sources/{id}/query",
            Endpoint::ListUsers => "GET /v1/users",
            Endpoint::PageMarkdown => "GET /v1/pages/{id}/markdown",
            Endpoint::CreatePage => "POST /v1/pages",
            Endpoint::UpdatePage => "PATCH /v1/pages/{id}",
            Endpoint::AppendBlockChildren => "PATCH /v1/blocks/{id}/children",
            Endpoint::UpdateBlock => "PATCH /v1/blocks/{id}",
            Endpoint::CreateDatabase => "POST /v1/databases",
            Endpoint::CreateDataSource => "POST /v1/data_sources",
            Endpoint::UpdateDataSource => "PATCH /v1/data_sources/{id}",
        }
    }

    /// The `object` values a successful answer of the endpoint may hold.
    pub(crate) fn objects(self) -> &'static [&'static str] {
        match self {
            Endpoint::Search
            | Endpoint::BlockChildren
            | Endpoint::QueryDataSource
            | Endpoint::ListUsers
            | Endpoint::AppendBlockChildren => &["list"],
            Endpoint::RetrievePage | Endpoint::CreatePage | Endpoint::UpdatePage => &["page"],
            Endpoint::PageProperty => &["list", "property_item"],
            Endpoint::RetrieveBlock | Endpoint::UpdateBlock => &["block"],
            Endpoint::RetrieveDatabase | Endpoint::CreateDatabase => &["database"],
            Endpoint::RetrieveDataSource
            | Endpoint::CreateDataSource
            | Endpoint::UpdateDataSource => &["data_source"],
            Endpoint::PageMarkdown => &["page_markdown"],
        }
    }

    /// The HTTP method.
    pub(crate) fn method(self) -> Method {
        match self.template().split_once(' ').map_or("GET", |(m, _)| m) {
            "POST" => Method::POST,
            "PATCH" => Method::PATCH,
            _ => Method::GET,
        }
    }

    /// Whether the endpoint changes the workspace. A write whose answer was
    /// lost (a 5xx, a dropped connection) may still have been made, so the
    /// client does not send it again; 429/529 answers are retried (Notion
    /// did not take the request).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Endpoint::CreatePage
                | Endpoint::UpdatePage
                | Endpoint::AppendBlockChildren
                | Endpoint::UpdateBlock
                | Endpoint::CreateDatabase
                | Endpoint::CreateDataSource
                | Endpoint::UpdateDataSource
        )
    }

    /// The path after `/v1/`, with `ids` put in place of the template's
    /// `{...}` parts in order, each percent-encoded so that it stays one
    /// segment whatever it holds. A property id goes in as Notion returns it
    /// (already percent-encoded, like `%3AUPp`), as the official SDK does:
    /// its `%XX` escapes are kept; in every other id `%` is encoded too.
    pub(crate) fn path(self, ids: &[&str]) -> String {
        let template = self.template().split_once(" /v1/").map_or("", |(_, p)| p);
        let mut ids = ids.iter();
        let mut path = String::new();
        for (i, part) in template.split('/').enumerate() {
            if i > 0 {
                path.push('/');
            }
            if part.starts_with('{') {
                let id = ids.next().copied().unwrap_or("");
                encode_segment(id, part == "{property_id}", &mut path);
            } else {
                path.push_str(part);
            }
        }
        path
    }

    /// Position in [`Endpoint::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Appends `id` as one path segment: unreserved characters and sub-delims
/// as they are, everything else percent-encoded (`%XX` escapes kept when
/// `keep_escapes`), and an id of only dots (`..`) encoded whole so it cannot
/// climb the path.
fn encode_segment(id: &str, keep_escapes: bool, out: &mut String) {
    let bytes = id.as_bytes();
    let only_dots = bytes.iter().all(|&b| b == b'.');
    for (i, &b) in bytes.iter().enumerate() {
        let escape = b == b'%'
            && bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        let keep = (b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b))
            && !(only_dots && b == b'.')
            || (keep_escapes && escape);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.template())
    }
}

impl Serialize for Endpoint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.template())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_ids_keep_their_escapes_and_other_ids_do_not() {
        assert_eq!(
            Endpoint::PageProperty.path(&["a%3A/b", "%60%5B%3E%7B"]),
            "pages/a%253A%2Fb/properties/%60%5B%3E%7B"
        );
        assert_eq!(
            Endpoint::PageProperty.path(&["p", "a/b?c%zz %"]),
            "pages/p/properties/a%2Fb%3Fc%25zz%20%25"
        );
        assert_eq!(Endpoint::RetrieveBlock.path(&[".."]), "blocks/%2E%2E");
        assert_eq!(Endpoint::RetrieveBlock.path(&["a.b"]), "blocks/a.b");
    }

    #[test]
    fn all_is_in_index_order() {
        for (i, endpoint) in Endpoint::ALL.iter().enumerate() {
            assert_eq!(endpoint.index(), i);
        }
    }

    #[test]
    fn paths_fill_ids_in_order() {
        assert_eq!(
            Endpoint::PageProperty.path(&["p1", "title"]),
            "pages/p1/properties/title"
        );
        assert_eq!(
            Endpoint::QueryDataSource.path(&["ds"]),
            "data_sources/ds/query"
        );
        assert_eq!(Endpoint::Search.path(&[]), "search");
        assert_eq!(Endpoint::Search.method(), Method::POST);
        assert_eq!(Endpoint::BlockChildren.method(), Method::GET);
        assert_eq!(Endpoint::AppendBlockChildren.method(), Method::PATCH);
        assert_eq!(
            Endpoint::AppendBlockChildren.path(&["b"]),
            "blocks/b/children"
        );
        assert_eq!(Endpoint::CreatePage.path(&[]), "pages");
        assert!(Endpoint::CreatePage.is_write() && !Endpoint::QueryDataSource.is_write());
    }
}
