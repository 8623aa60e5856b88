//! Deletion by absence, after a complete run: pages that left the output's
//! scope or the workspace.
//!
//! - A page under an excluded id, or (with configured roots) under none of
//!   the roots, as far as the store knows its ancestors, left the scope:
//!   it is tombstoned as `excluded`, without a request, found in this run or
//!   not (search lists pages under an excluded page too, in any order).
//! - A page the run did not find is retrieved once: 404 means deleted or unshared
//!   (`not_found`), a trashed or archived page says so; a page that is still
//!   there was only missed by the listing (search does not promise to return
//!   everything) and is kept — unless roots are configured, whose listing is
//!   complete: then it left the scope.

use std::collections::HashSet;

use notion_source::NotionClient;
use notion_source::crawler::Root;
use serde::Serialize;

use crate::store::{DeleteReason, RunInfo, Store, StoreError};

/// What deletion detection found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RemovalReport {
    /// Pages tombstoned because they left the configured scope.
    pub excluded: u64,
    /// Pages tombstoned because Notion says they are gone, trashed or archived.
    pub gone: u64,
    /// Pages still there that the listing missed (kept).
    pub kept: u64,
    /// Pages whose state could not be checked (kept; checked again next run).
    pub unknown: u64,
}

/// The scope a complete run covers: the configured roots and exclusions.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScopeRules {
    /// Ids of the configured roots (pages, databases, data sources).
    pub roots: HashSet<String>,
    /// Ids never crawled, with what lies under them.
    pub exclude: HashSet<String>,
}

impl ScopeRules {
    /// The rules of a crawl configuration.
    pub(crate) fn of(roots: &[Root], exclude: &HashSet<String>) -> ScopeRules {
        ScopeRules {
            roots: roots
                .iter()
                .map(|root| match root {
                    Root::Page(id) | Root::Database(id) | Root::DataSource(id) | Root::Any(id) => {
                        id.clone()
                    }
                })
                .collect(),
            exclude: exclude.clone(),
        }
    }
}

/// Tombstones what a complete run's listing shows is gone.
pub(crate) async fn remove_unseen(
    client: &NotionClient,
    store: &mut Store,
    run: &RunInfo,
    rules: &ScopeRules,
) -> Result<RemovalReport, StoreError> {
    let mut report = RemovalReport::default();
    for page in store.live_pages(&run.run_id)? {
        let lineage = || std::iter::once(&page.page_id).chain(&page.ancestors);
        // A page found in this run is in the roots' scope by construction.
        let excluded = lineage().any(|id| rules.exclude.contains(id))
            || (!page.seen
                && !rules.roots.is_empty()
                && !lineage().any(|id| rules.roots.contains(id)));
        if excluded {
            store.tombstone(run, &page.page_id, DeleteReason::Excluded)?;
            report.excluded += 1;
            continue;
        }
        if page.seen {
            continue;
        }
        let reason = match client.retrieve_page(&page.page_id, &["title"]).await {
            Ok(found) if found.in_trash || found.archived => DeleteReason::Trashed,
            Ok(found) if found.is_archived => DeleteReason::Archived,
            Ok(_) if !rules.roots.is_empty() => DeleteReason::Excluded,
            Ok(_) => {
                store.mark_seen(&run.run_id, &page.page_id)?;
                report.kept += 1;
                continue;
            }
            Err(error) if error.is_not_found() => DeleteReason::NotFound,
            Err(error) => {
                tracing::warn!(page_id = %page.page_id, %error, "cannot tell whether a page was deleted; keeping it");
                report.unknown += 1;
                continue;
            }
        };
        store.tombstone(run, &page.page_id, reason)?;
        if reason == DeleteReason::Excluded {
            report.excluded += 1;
        } else {
            report.gone += 1;
        }
    }
    Ok(report)
}
