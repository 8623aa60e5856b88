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
    pub const ALL: [Endpoint; 16] = [
        Endpoint::Search,
        Endpoint::RetrievePage,
        Endpoint::PageProperty,
        Endpoint::RetrieveBlock,
        Endpoint::BlockChildren,
        Endpoint::RetrieveDatabase,
        Endpoint::RetrieveDataSource,
        Endpoint::QueryDataSource,
        Endpoint::ListUsers,
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
            Endpoint::CreatePage => "POST /v1/pages",
            Endpoint::UpdatePage => "PATCH /v1/pages/{id}",
            Endpoint::AppendBlockChildren => "PATCH /v1/blocks/{id}/children",
            Endpoint::UpdateBlock => "PATCH /v1/blocks/{id}",
            Endpoint::CreateDatabase => "POST /v1/databases",
            Endpoint::CreateDataSource => "POST /v1/data_sources",
            Endpoint::UpdateDataSource => "PATCH /v1/data_sources/{id}",
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

    /// The path segments after `/v1/`, with `ids` put in place of the
    /// template's `{...}` parts in order.
    pub(crate) fn segments<'a>(self, ids: &[&'a str]) -> Vec<&'a str> {
        let path = self.template().split_once(" /v1/").map_or("", |(_, p)| p);
        let mut ids = ids.iter();
        path.split('/')
            .map(|part| {
                if part.starts_with('{') {
                    ids.next().copied().unwrap_or("")
                } else {
                    part
                }
            })
            .collect()
    }

    /// Position in [`Endpoint::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
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
    fn all_is_in_index_order() {
        for (i, endpoint) in Endpoint::ALL.iter().enumerate() {
            assert_eq!(endpoint.index(), i);
        }
    }

    #[test]
    fn segments_fill_ids_in_order() {
        assert_eq!(
            Endpoint::PageProperty.segments(&["p1", "title"]),
            ["pages", "p1", "properties", "title"]
        );
        assert_eq!(
            Endpoint::QueryDataSource.segments(&["ds"]),
            ["data_sources", "ds", "query"]
        );
        assert_eq!(Endpoint::Search.segments(&[]), ["search"]);
        assert_eq!(Endpoint::Search.method(), Method::POST);
        assert_eq!(Endpoint::BlockChildren.method(), Method::GET);
        assert_eq!(Endpoint::AppendBlockChildren.method(), Method::PATCH);
        assert_eq!(
            Endpoint::AppendBlockChildren.segments(&["b"]),
            ["blocks", "b", "children"]
        );
        assert_eq!(Endpoint::CreatePage.segments(&[]), ["pages"]);
        assert!(Endpoint::CreatePage.is_write() && !Endpoint::QueryDataSource.is_write());
    }
}
