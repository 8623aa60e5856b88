//! The typed endpoint calls of [`NotionClient`]: request shapes
//! ([`SearchQuery`], [`DataSourceQuery`]), one-page calls and `*_all`
//! streams.

use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use url::Url;

use crate::model::{
    Block, DataSource, Database, ListResponse, Page, PropertyKind, PropertyValue, SearchResult,
    User,
};

use super::NotionClient;
use super::endpoint::Endpoint;
use super::error::ClientError;
use super::paginate::paginate;
use super::request::Call;

/// Which objects a search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchFilter {
    /// Pages only.
    Pages,
    /// Data sources only (API 2025-09-03 and later).
    DataSources,
    /// Databases only (API versions before 2025-09-03).
    Databases,
}

/// Order of results by `last_edited_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    /// Oldest edit first.
    Ascending,
    /// Newest edit first.
    Descending,
}

/// A search request. The default finds everything shared with the
/// integration, in Notion's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Text to match in titles.
    pub query: Option<String>,
    /// Restrict to one kind of object.
    pub filter: Option<SearchFilter>,
    /// Sort by `last_edited_time`.
    pub sort: Option<SortDirection>,
}

impl SearchQuery {
    fn to_body(&self) -> Map<String, Value> {
        let filter = self.filter.map(|filter| match filter {
            SearchFilter::Pages => "page",
            SearchFilter::DataSources => "data_source",
            SearchFilter::Databases => "database",
        });
        let direction = self.sort.map(|direction| match direction {
            SortDirection::Ascending => "ascending",
            SortDirection::Descending => "descending",
        });
        json_object([
            ("query", self.query.clone().map(Value::String)),
            (
                "filter",
                filter.map(|f| json!({"property": "object", "value": f})),
            ),
            (
                "sort",
                direction.map(|d| json!({"timestamp": "last_edited_time", "direction": d})),
            ),
        ])
    }
}

/// A JSON object of the fields that are set.
fn json_object<const N: usize>(fields: [(&str, Option<Value>); N]) -> Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value?)))
        .collect()
}

/// What a data source query returns (wikis hold both pages and data sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryResultType {
    /// Pages (rows) only.
    Page,
    /// Data sources only.
    DataSource,
}

/// A data source query. `filter` and `sorts` are Notion's JSON, passed
/// through untouched. The default returns every row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataSourceQuery {
    /// Notion's filter object (property, timestamp or `and`/`or` compound).
    pub filter: Option<Value>,
    /// Notion's sorts array.
    pub sorts: Option<Value>,
    /// Only return these properties (ids or names), as repeated
    /// `filter_properties` query parameters.
    pub filter_properties: Vec<String>,
    /// Query the trash instead.
    pub in_trash: Option<bool>,
    /// Only pages, or only data sources.
    pub result_type: Option<QueryResultType>,
}

impl DataSourceQuery {
    fn to_body(&self) -> Map<String, Value> {
        json_object([
            ("filter", self.filter.clone()),
            ("sorts", self.sorts.clone()),
            ("in_trash", self.in_trash.map(Value::Bool)),
            ("result_type", self.result_type.map(|t| json!(t))),
        ])
    }
}

/// One item of a page property, from `GET /v1/pages/{id}/properties/{id}`.
///
/// List-valued types (`title`, `rich_text`, `relation`, `people`) come one
/// element per item; `value` holds it as a one-element list of the usual
/// [`PropertyKind`], so concatenating the items' lists gives the whole value.
/// A simple type (`number`, `select`...) comes as a single item.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyItem {
    /// The property's id.
    pub id: String,
    /// The item's value.
    pub value: PropertyKind,
}

impl<'de> Deserialize<'de> for PropertyItem {
    /// Never fails: an item without a type keeps its JSON in
    /// [`PropertyKind::Unknown`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let id = match value.get("id") {
            Some(Value::String(id)) => id.clone(),
            _ => String::new(),
        };
        let Value::Object(mut map) = value else {
            return Ok(PropertyItem {
                id,
                value: PropertyValue::from_value(value).value,
            });
        };
        let Some(Value::String(type_name)) = map.get("type").cloned() else {
            return Ok(PropertyItem {
                id,
                value: PropertyValue::from_value(Value::Object(map)).value,
            });
        };
        let content = map.remove(&type_name).unwrap_or(Value::Null);
        let content = match (type_name.as_str(), content) {
            ("title" | "rich_text" | "relation" | "people", item @ Value::Object(_)) => {
                Value::Array(vec![item])
            }
            (_, content) => content,
        };
        Ok(PropertyItem {
            id,
            value: PropertyKind::from_parts(&type_name, content),
        })
    }
}

/// The page-property endpoint answers a list or, for simple types, one item;
/// both become a list.
struct PropertyItems(ListResponse<PropertyItem>);

impl<'de> Deserialize<'de> for PropertyItems {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let list = if value.get("object").and_then(Value::as_str) == Some("list") {
            ListResponse::deserialize(value).map_err(serde::de::Error::custom)?
        } else {
            let request_id = value
                .get("request_id")
                .and_then(Value::as_str)
                .map(str::to_string);
            ListResponse {
                results: vec![PropertyItem::deserialize(value).map_err(serde::de::Error::custom)?],
                next_cursor: None,
                has_more: false,
                list_type: Some("property_item".into()),
                request_id,
                request_status: None,
            }
        };
        Ok(PropertyItems(list))
    }
}

impl NotionClient {
    /// One page of search results (`POST /v1/search`).
    pub async fn search(
        &self,
        query: &SearchQuery,
        cursor: Option<&str>,
    ) -> Result<ListResponse<SearchResult>, ClientError> {
        let body = self.paged_body(query.to_body(), cursor);
        self.post(Endpoint::Search, &[], &[], body).await
    }

    /// Every search result, page after page.
    pub fn search_all(
        &self,
        query: SearchQuery,
    ) -> impl Stream<Item = Result<SearchResult, ClientError>> + Send + 'static {
        let client = self.clone();
        paginate(Endpoint::Search, move |cursor| {
            let (client, query) = (client.clone(), query.clone());
            async move { client.search(&query, cursor.as_deref()).await }
        })
    }

    /// One page of a block's (or page's) direct children
    /// (`GET /v1/blocks/{id}/children`).
    pub async fn block_children(
        &self,
        block_id: &str,
        cursor: Option<&str>,
    ) -> Result<ListResponse<Block>, ClientError> {
        let query = self.paged_query(cursor);
        self.get(Endpoint::BlockChildren, &[block_id], &query).await
    }

    /// Every direct child of a block, page after page.
    pub fn block_children_all(
        &self,
        block_id: &str,
    ) -> impl Stream<Item = Result<Block, ClientError>> + Send + 'static {
        let (client, block_id) = (self.clone(), block_id.to_string());
        paginate(Endpoint::BlockChildren, move |cursor| {
            let (client, block_id) = (client.clone(), block_id.clone());
            async move { client.block_children(&block_id, cursor.as_deref()).await }
        })
    }

    /// A block (`GET /v1/blocks/{id}`).
    pub async fn retrieve_block(&self, block_id: &str) -> Result<Block, ClientError> {
        self.get(Endpoint::RetrieveBlock, &[block_id], &[]).await
    }

    /// A page (`GET /v1/pages/{id}`); `filter_properties` (ids) limits the
    /// properties returned, empty for all.
    pub async fn retrieve_page(
        &self,
        page_id: &str,
        filter_properties: &[&str],
    ) -> Result<Page, ClientError> {
        let query: Vec<_> = filter_properties
            .iter()
            .map(|p| ("filter_properties", p.to_string()))
            .collect();
        self.get(Endpoint::RetrievePage, &[page_id], &query).await
    }

    /// One page of a page property's items
    /// (`GET /v1/pages/{id}/properties/{property_id}`), for relations and
    /// people beyond the 25 a page object lists.
    pub async fn page_property(
        &self,
        page_id: &str,
        property_id: &str,
        cursor: Option<&str>,
    ) -> Result<ListResponse<PropertyItem>, ClientError> {
        let query = self.paged_query(cursor);
        // Property ids come percent-encoded (`%3AUPp`); the URL encodes the
        // path once, so the id goes in decoded (not as `%253AUPp`).
        let property_id = percent_decode(property_id);
        let items: PropertyItems = self
            .get(Endpoint::PageProperty, &[page_id, &property_id], &query)
            .await?;
        Ok(items.0)
    }

    /// Every item of a page property, page after page.
    pub fn page_property_all(
        &self,
        page_id: &str,
        property_id: &str,
    ) -> impl Stream<Item = Result<PropertyItem, ClientError>> + Send + 'static {
        let client = self.clone();
        let (page_id, property_id) = (page_id.to_string(), property_id.to_string());
        paginate(Endpoint::PageProperty, move |cursor| {
            let (client, page_id, property_id) =
                (client.clone(), page_id.clone(), property_id.clone());
            async move {
                client
                    .page_property(&page_id, &property_id, cursor.as_deref())
                    .await
            }
        })
    }

    /// A database and the list of its data sources (`GET /v1/databases/{id}`).
    pub async fn retrieve_database(&self, database_id: &str) -> Result<Database, ClientError> {
        self.get(Endpoint::RetrieveDatabase, &[database_id], &[])
            .await
    }

    /// A data source and its schema (`GET /v1/data_sources/{id}`).
    pub async fn retrieve_data_source(
        &self,
        data_source_id: &str,
    ) -> Result<DataSource, ClientError> {
        self.get(Endpoint::RetrieveDataSource, &[data_source_id], &[])
            .await
    }

    /// One page of a data source's rows (`POST /v1/data_sources/{id}/query`).
    /// Results are pages, or data sources in a wiki; check
    /// `request_status` for a query cut at Notion's 10,000-result cap.
    pub async fn query_data_source(
        &self,
        data_source_id: &str,
        query: &DataSourceQuery,
        cursor: Option<&str>,
    ) -> Result<ListResponse<SearchResult>, ClientError> {
        let params: Vec<_> = query
            .filter_properties
            .iter()
            .map(|p| ("filter_properties", p.clone()))
            .collect();
        let body = self.paged_body(query.to_body(), cursor);
        self.post(Endpoint::QueryDataSource, &[data_source_id], &params, body)
            .await
    }

    /// Every row of a data source query, page after page.
    pub fn query_data_source_all(
        &self,
        data_source_id: &str,
        query: DataSourceQuery,
    ) -> impl Stream<Item = Result<SearchResult, ClientError>> + Send + 'static {
        let (client, id) = (self.clone(), data_source_id.to_string());
        paginate(Endpoint::QueryDataSource, move |cursor| {
            let (client, id, query) = (client.clone(), id.clone(), query.clone());
            async move {
                client
                    .query_data_source(&id, &query, cursor.as_deref())
                    .await
            }
        })
    }

    /// One page of the workspace's users (`GET /v1/users`).
    pub async fn list_users(
        &self,
        cursor: Option<&str>,
    ) -> Result<ListResponse<User>, ClientError> {
        let query = self.paged_query(cursor);
        self.get(Endpoint::ListUsers, &[], &query).await
    }

    /// Every user of the workspace, page after page.
    pub fn list_users_all(&self) -> impl Stream<Item = Result<User, ClientError>> + Send + 'static {
        let client = self.clone();
        paginate(Endpoint::ListUsers, move |cursor| {
            let client = client.clone();
            async move { client.list_users(cursor.as_deref()).await }
        })
    }

    /// `start_cursor` and `page_size` as query parameters (GET lists).
    fn paged_query(&self, cursor: Option<&str>) -> Vec<(&'static str, String)> {
        let mut query = vec![("page_size", self.shared.config.page_size.to_string())];
        if let Some(cursor) = cursor {
            query.push(("start_cursor", cursor.to_string()));
        }
        query
    }

    /// `start_cursor` and `page_size` added to a JSON body (POST lists).
    fn paged_body(&self, mut body: Map<String, Value>, cursor: Option<&str>) -> Value {
        body.insert("page_size".into(), self.shared.config.page_size.into());
        if let Some(cursor) = cursor {
            body.insert("start_cursor".into(), cursor.into());
        }
        Value::Object(body)
    }

    pub(super) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        ids: &[&str],
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let url = self.url(endpoint, ids, query)?;
        self.shared
            .execute(
                Call {
                    endpoint,
                    url,
                    body: None,
                },
                &self.cancel,
            )
            .await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        ids: &[&str],
        query: &[(&str, String)],
        body: Value,
    ) -> Result<T, ClientError> {
        let url = self.url(endpoint, ids, query)?;
        self.shared
            .execute(
                Call {
                    endpoint,
                    url,
                    body: Some(body),
                },
                &self.cancel,
            )
            .await
    }

    /// The endpoint's URL with the ids in place (percent-encoded: an id can
    /// never reach another path; a property id keeps Notion's own escapes)
    /// and the query parameters.
    pub(super) fn url(
        &self,
        endpoint: Endpoint,
        ids: &[&str],
        query: &[(&str, String)],
    ) -> Result<Url, ClientError> {
        if let Some(bad) = ids.iter().find(|id| id.trim().is_empty()) {
            let error = ClientError::InvalidInput {
                endpoint,
                detail: format!("empty id {bad:?}"),
            };
            self.shared
                .counters
                .record(endpoint, super::stats::Event::Failed);
            return Err(error);
        }
        let mut url = self.shared.base_url.clone();
        if url.cannot_be_a_base() {
            return Err(ClientError::Config(
                "the base URL cannot take a path".into(),
            ));
        }
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}/v1/{}", endpoint.path(ids)));
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (k, v)));
        }
        Ok(url)
    }
}

/// Decodes `%XX` escapes (a property id as Notion returns it); anything
/// else, malformed escapes included, is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ClientConfig, SecretToken};

    #[test]
    fn search_body_speaks_notions_json() {
        let query = SearchQuery {
            query: Some("roadmap".into()),
            filter: Some(SearchFilter::DataSources),
            sort: Some(SortDirection::Descending),
        };
        assert_eq!(
            Value::Object(query.to_body()),
            json!({
                "query": "roadmap",
                "filter": {"property": "object", "value": "data_source"},
                "sort": {"timestamp": "last_edited_time", "direction": "descending"},
            })
        );
        assert_eq!(SearchQuery::default().to_body(), Map::new());
    }

    #[test]
    fn query_body_passes_filter_and_sorts_through() {
        let filter = json!({"and": [{"property": "Done", "checkbox": {"equals": true}}]});
        let query = DataSourceQuery {
            filter: Some(filter.clone()),
            sorts: Some(json!([{"timestamp": "created_time", "direction": "ascending"}])),
            in_trash: Some(false),
            result_type: Some(QueryResultType::DataSource),
            filter_properties: vec!["title".into()],
        };
        let body = Value::Object(query.to_body());
        assert_eq!(body["filter"], filter);
        assert_eq!(body["result_type"], "data_source");
        assert_eq!(body["in_trash"], false);
        assert!(
            body.get("filter_properties").is_none(),
            "sent as query parameters"
        );
    }

    #[test]
    fn urls_encode_ids_and_repeat_query_parameters() {
        let config = ClientConfig {
            base_url: "http://127.0.0.1:9/proxy/".into(),
            ..ClientConfig::default()
        };
        let client = NotionClient::new(SecretToken::new("t"), config).unwrap();
        let url = client
            .url(
                Endpoint::RetrievePage,
                &["a/b?c"],
                &[
                    ("filter_properties", "x".into()),
                    ("filter_properties", "y z".into()),
                ],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/proxy/v1/pages/a%2Fb%3Fc?filter_properties=x&filter_properties=y+z"
        );
        let err = client
            .url(Endpoint::RetrieveBlock, &[" "], &[])
            .unwrap_err();
        assert!(matches!(err, ClientError::InvalidInput { .. }), "{err}");
    }

    #[test]
    fn property_ids_are_encoded_once_in_the_path() {
        assert_eq!(percent_decode("%3AUPp"), ":UPp");
        assert_eq!(percent_decode("YL%3Fp"), "YL?p");
        assert_eq!(percent_decode("a%2"), "a%2");
        let client = NotionClient::new(SecretToken::new("t"), ClientConfig::default()).unwrap();
        let url = client
            .url(
                Endpoint::PageProperty,
                &["p", &percent_decode("YL%3Fp")],
                &[],
            )
            .unwrap();
        assert!(
            url.as_str().ends_with("/v1/pages/p/properties/YL%3Fp"),
            "{url}"
        );
    }

    #[test]
    fn property_items_become_one_element_lists() {
        let relation: PropertyItem = serde_json::from_value(json!({
            "object": "property_item", "id": "rel", "type": "relation", "relation": {"id": "p-1"}
        }))
        .unwrap();
        match &relation.value {
            PropertyKind::Relation(refs) => assert_eq!(refs[0].id, "p-1"),
            other => panic!("{other:?}"),
        }
        let single: PropertyItems = serde_json::from_value(json!({
            "object": "property_item", "id": "n", "type": "number", "number": 4.5, "request_id": "r"
        }))
        .unwrap();
        assert_eq!(single.0.results[0].value, PropertyKind::Number(Some(4.5)));
        assert_eq!(single.0.request_id.as_deref(), Some("r"));
        assert!(!single.0.has_more);
    }
}
