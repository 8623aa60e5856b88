//! Listing requests: the calls that find pages and data sources (search,
//! data source queries, database and root lookups), one request per job.
//!
//! Each job returns what it found and the job that continues it (the next
//! cursor, the next `created_time` window), so the crawler decides when to
//! issue it: listing runs only as far ahead of the page crawls as needed,
//! which keeps memory flat however large the workspace is.

use serde_json::{Value, json};

use crate::client::{ClientError, Cursors, DataSourceQuery, Endpoint, NotionClient, SearchQuery};
use crate::model::{DataSource, Page, SearchResult};

/// One listing request to make.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Listing {
    /// A page of search results.
    Search { cursor: Option<String> },
    /// A page of a data source's rows. `since` is the lower bound of the
    /// `created_time` window once a query hit Notion's 10,000-result cap.
    Query {
        data_source_id: String,
        cursor: Option<String>,
        since: Option<String>,
    },
    /// A database, for the list of its data sources.
    Database { id: String },
    /// A configured root page (its metadata needs a retrieve).
    RootPage { id: String },
    /// A configured id of unknown kind: page, then database, then data source.
    RootAny { id: String },
}

impl Listing {
    /// The listing a job continues (a key naming it), its cursor and the
    /// endpoint, for spotting a cursor that comes back; `None` for a job
    /// that starts a listing.
    pub(crate) fn cursor(&self) -> Option<(String, &str, Endpoint)> {
        match self {
            Listing::Search {
                cursor: Some(cursor),
            } => Some(("search".into(), cursor, Endpoint::Search)),
            Listing::Query {
                data_source_id,
                cursor: Some(cursor),
                since,
            } => Some((
                format!("query {data_source_id} since {since:?}"),
                cursor,
                Endpoint::QueryDataSource,
            )),
            _ => None,
        }
    }
}

/// What a listing request found.
#[derive(Debug)]
pub(crate) enum Found {
    /// Pages, data sources and whatever else the listing returned.
    Results(Vec<SearchResult>),
    /// A database's data source ids.
    DataSources(Vec<String>),
}

/// A finished listing request: what it found and what continues it (an
/// error when the answer broke the pagination contract: its results still
/// count).
#[derive(Debug)]
pub(crate) struct ListingOutcome {
    pub found: Found,
    pub next: Result<Option<Listing>, ClientError>,
}

/// Runs one listing request.
pub(crate) async fn run(
    client: &NotionClient,
    job: &Listing,
    query_for: impl Fn(&str) -> DataSourceQuery,
) -> Result<ListingOutcome, ClientError> {
    match job {
        Listing::Search { cursor } => {
            let page = client
                .search(&SearchQuery::default(), cursor.as_deref())
                .await?;
            let next = Cursors::new(Endpoint::Search)
                .next(page.has_more, page.next_cursor)
                .map(|next| {
                    next.map(|cursor| Listing::Search {
                        cursor: Some(cursor),
                    })
                });
            Ok(ListingOutcome {
                found: Found::Results(page.results),
                next,
            })
        }
        Listing::Query {
            data_source_id,
            cursor,
            since,
        } => {
            let configured = query_for(data_source_id);
            let windowed = configured.sorts.is_none();
            let query = windowed_query(configured, since.as_deref());
            let page = client
                .query_data_source(data_source_id, &query, cursor.as_deref())
                .await?;
            let capped = page
                .request_status
                .as_ref()
                .is_some_and(|s| s.is_incomplete());
            let next = match Cursors::new(Endpoint::QueryDataSource)
                .next(page.has_more, page.next_cursor)
            {
                Ok(Some(cursor)) => Ok(Some(Listing::Query {
                    data_source_id: data_source_id.clone(),
                    cursor: Some(cursor),
                    since: since.clone(),
                })),
                Ok(None) if capped => Ok(next_window(
                    data_source_id,
                    since.as_deref(),
                    &page.results,
                    windowed,
                )),
                other => other.map(|_| None),
            };
            Ok(ListingOutcome {
                found: Found::Results(page.results),
                next,
            })
        }
        Listing::Database { id } => {
            let database = client.retrieve_database(id).await?;
            let ids = database.data_sources.into_iter().map(|d| d.id).collect();
            Ok(ListingOutcome {
                found: Found::DataSources(ids),
                next: Ok(None),
            })
        }
        Listing::RootPage { id } => {
            let page = client.retrieve_page(id, &[]).await?;
            Ok(ListingOutcome {
                found: Found::Results(vec![SearchResult::Page(Box::new(page))]),
                next: Ok(None),
            })
        }
        Listing::RootAny { id } => root_any(client, id).await,
    }
}

/// Tries an id as a page, a database, then a data source.
async fn root_any(client: &NotionClient, id: &str) -> Result<ListingOutcome, ClientError> {
    match client.retrieve_page(id, &[]).await {
        Ok(page) => {
            return Ok(ListingOutcome {
                found: Found::Results(vec![SearchResult::Page(Box::new(page))]),
                next: Ok(None),
            });
        }
        Err(e) if !e.is_not_found() => return Err(e),
        Err(_) => {}
    }
    match client.retrieve_database(id).await {
        Ok(database) => {
            let ids = database.data_sources.into_iter().map(|d| d.id).collect();
            return Ok(ListingOutcome {
                found: Found::DataSources(ids),
                next: Ok(None),
            });
        }
        Err(e) if !e.is_not_found() => return Err(e),
        Err(_) => {}
    }
    let data_source: DataSource = client.retrieve_data_source(id).await?;
    Ok(ListingOutcome {
        found: Found::DataSources(vec![data_source.id]),
        next: Ok(None),
    })
}

/// The configured query, sorted by `created_time` (so a capped query can go
/// on from where it stopped) and limited to the window starting at `since`.
fn windowed_query(mut query: DataSourceQuery, since: Option<&str>) -> DataSourceQuery {
    if query.sorts.is_none() {
        query.sorts = Some(json!([{"timestamp": "created_time", "direction": "ascending"}]));
    }
    if let Some(since) = since {
        let window = json!({"timestamp": "created_time", "created_time": {"on_or_after": since}});
        query.filter = Some(match query.filter.take() {
            Some(Value::Object(f)) if f.contains_key("and") => {
                let mut all = f["and"].as_array().cloned().unwrap_or_default();
                all.push(window);
                json!({"and": all})
            }
            Some(filter) => json!({"and": [filter, window]}),
            None => window,
        });
    }
    query
}

/// After a query stopped at the result cap: the window that starts at the
/// last row's `created_time` (rows seen twice are deduplicated by the
/// crawler). `None` when the window cannot advance.
fn next_window(
    data_source_id: &str,
    since: Option<&str>,
    results: &[SearchResult],
    windowed: bool,
) -> Option<Listing> {
    let last = results.iter().rev().find_map(|r| match r {
        SearchResult::Page(p) => Some(created(p)),
        _ => None,
    })?;
    if !windowed || since == Some(last.as_str()) {
        tracing::warn!(
            data_source_id,
            "a data source query stopped at Notion's result cap and cannot be split further; some rows may be missing"
        );
        return None;
    }
    Some(Listing::Query {
        data_source_id: data_source_id.to_string(),
        cursor: None,
        since: Some(last),
    })
}

fn created(page: &Page) -> String {
    page.created_time
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_combine_with_the_configured_filter() {
        let user = json!({"property": "Done", "checkbox": {"equals": true}});
        let q = windowed_query(
            DataSourceQuery {
                filter: Some(user.clone()),
                ..Default::default()
            },
            Some("2026-01-01T00:00:00.000Z"),
        );
        assert_eq!(q.filter.unwrap()["and"][0], user);
        assert_eq!(q.sorts.unwrap()[0]["timestamp"], "created_time");
        let q = windowed_query(DataSourceQuery::default(), None);
        assert!(q.filter.is_none());
    }
}
