//! Turning one-page calls into a stream of items that follows `next_cursor`
//! until `has_more` is false.

use std::collections::HashSet;
use std::future::Future;

use futures::{Stream, TryStreamExt, stream};

use crate::model::ListResponse;

use super::endpoint::Endpoint;
use super::error::ClientError;

/// The pagination contract of one listing (a search, a query, a block's
/// children, a property's items): `has_more` comes with a cursor, and no
/// cursor comes twice. A server that breaks it would otherwise make the
/// listing loop forever.
#[derive(Debug)]
pub(crate) struct Cursors {
    endpoint: Endpoint,
    seen: HashSet<String>,
}

impl Cursors {
    /// The contract of a new listing of `endpoint`.
    pub(crate) fn new(endpoint: Endpoint) -> Cursors {
        Cursors {
            endpoint,
            seen: HashSet::new(),
        }
    }

    /// The cursor to ask for next, after a page that said `has_more` and
    /// `next_cursor`: `None` at the end, [`ClientError::Pagination`] when the
    /// list broke the contract.
    pub(crate) fn next(
        &mut self,
        has_more: bool,
        next_cursor: Option<String>,
    ) -> Result<Option<String>, ClientError> {
        let broken = |detail: String| ClientError::Pagination {
            endpoint: self.endpoint,
            detail,
        };
        match (has_more, next_cursor) {
            (false, _) => Ok(None),
            (true, None) => Err(broken("has_more is true but next_cursor is null".into())),
            (true, Some(next)) if self.seen.contains(&next) => Err(broken(format!(
                "next_cursor {next:?} was already used in this listing ({} cursors so far)",
                self.seen.len()
            ))),
            (true, Some(next)) => {
                self.seen.insert(next.clone());
                Ok(Some(next))
            }
        }
    }
}

/// Where the walk through the pages stands.
enum Position {
    First,
    After(String),
    /// The last page broke the contract: its items were yielded, the error
    /// comes next.
    Broken(ClientError),
    Done,
}

/// Streams every item of a paginated list. `fetch_page(cursor)` fetches one
/// page (`None` for the first). A page may hold fewer items than asked, or
/// none, while `has_more` is true; the stream goes on until it is false. A
/// list that says `has_more` without a cursor, or repeats any cursor it gave
/// before, ends the stream with [`ClientError::Pagination`] (after that
/// page's items) rather than looping.
pub(crate) fn paginate<T, F, Fut>(
    endpoint: Endpoint,
    fetch_page: F,
) -> impl Stream<Item = Result<T, ClientError>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<ListResponse<T>, ClientError>>,
{
    stream::try_unfold(
        (Position::First, fetch_page, Cursors::new(endpoint)),
        move |(position, mut fetch_page, mut cursors)| async move {
            let cursor = match position {
                Position::First => None,
                Position::After(cursor) => Some(cursor),
                Position::Broken(error) => return Err(error),
                Position::Done => return Ok(None),
            };
            let page = fetch_page(cursor).await?;
            let next = match cursors.next(page.has_more, page.next_cursor) {
                Ok(Some(next)) => Position::After(next),
                Ok(None) => Position::Done,
                Err(error) => Position::Broken(error),
            };
            let items = stream::iter(page.results.into_iter().map(Ok));
            Ok(Some((items, (next, fetch_page, cursors))))
        },
    )
    .try_flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn page(items: &[u32], next: Option<&str>) -> ListResponse<u32> {
        ListResponse {
            results: items.to_vec(),
            next_cursor: next.map(str::to_string),
            has_more: next.is_some(),
            list_type: None,
            request_id: None,
            request_status: None,
        }
    }

    /// Serves `pages` in order, checking the cursor each call receives.
    fn fake_list(
        pages: Vec<(Option<&'static str>, ListResponse<u32>)>,
    ) -> impl FnMut(Option<String>) -> std::future::Ready<Result<ListResponse<u32>, ClientError>>
    {
        let mut pages = pages.into_iter();
        move |cursor| {
            let (expected_cursor, page) = pages.next().expect("no request after the last page");
            assert_eq!(cursor.as_deref(), expected_cursor);
            std::future::ready(Ok(page))
        }
    }

    #[tokio::test]
    async fn follows_cursors_through_short_and_empty_pages() {
        let fetch = fake_list(vec![
            (None, page(&[1, 2], Some("a"))),
            (Some("a"), page(&[], Some("b"))),
            (Some("b"), page(&[3], None)),
        ]);
        let items: Vec<u32> = paginate(Endpoint::Search, fetch)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, [1, 2, 3]);
    }

    #[tokio::test]
    async fn broken_cursors_end_the_stream_with_an_error() {
        let mut missing = page(&[1], None);
        missing.has_more = true;
        let fetch = fake_list(vec![(None, missing)]);
        let results: Vec<_> = paginate(Endpoint::Search, fetch).collect().await;
        assert!(matches!(
            results[..],
            [Ok(1), Err(ClientError::Pagination { .. })]
        ));

        let fetch = fake_list(vec![
            (None, page(&[1], Some("a"))),
            (Some("a"), page(&[2], Some("a"))),
        ]);
        let results: Vec<_> = paginate(Endpoint::BlockChildren, fetch).collect().await;
        assert_eq!(results.len(), 3);
        assert!(matches!(results[2], Err(ClientError::Pagination { .. })));

        // A cycle of two cursors is caught too, not only an immediate repeat.
        let fetch = fake_list(vec![
            (None, page(&[1], Some("a"))),
            (Some("a"), page(&[2], Some("b"))),
            (Some("b"), page(&[3], Some("a"))),
        ]);
        let results: Vec<_> = paginate(Endpoint::Search, fetch).collect().await;
        assert_eq!(results.len(), 4);
        match &results[3] {
            Err(error @ ClientError::Pagination { .. }) => {
                assert!(error.to_string().starts_with("POST /v1/search"), "{error}")
            }
            other => panic!("{other:?}"),
        }
    }
}
