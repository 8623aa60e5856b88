//! notion-upload: writes a dataset (the mock's format, `datasets/README.md`)
//! into a Notion workspace under a parent page, within Notion's write limits,
//! and resumes a killed upload without creating anything twice.
//!
//! What it writes is what a crawl of the dataset reads, so a crawl of the
//! upload can be compared with it (the self-test): every page a crawl of
//! the dataset yields, with its blocks, child pages, databases (their data
//! sources, schemas and rows), synced blocks (originals first, then copies
//! pointing at the new original), relations and mentions pointing at the new
//! ids. What the API cannot write as it is (a Notion-hosted file, a link
//! preview, a block type it cannot create...) is written the closest way it
//! can, and each such case is listed in the report with its rule
//! ([`DifferenceKind`]); pages a crawl skips (trashed, archived, unshared)
//! are listed as skipped.
//!
//! How (modules, in the order data flows):
//!
//! - `convert`: the dataset as request JSON (the upload tree), text split
//!   to 2,000 characters per run and 100 runs per array ([`text`]).
//! - `plan`: every request, in order, from the dataset's shape and the
//!   [`WriteLimits`] alone: pages created with as much content as one
//!   request takes, deeper levels appended once their parent's id is known
//!   (a read of children learns ids the answers do not list), references to
//!   later objects set at the end. `bound`: the fewest requests the limits
//!   allow, to measure the plan against ([`min_requests`]).
//! - `execute`: the steps through [`NotionClient`] (its rate limiter and
//!   429/529 handling), each recorded in the state file (`state`: JSON
//!   Lines, a line appended and flushed per step) as soon as Notion
//!   answers; after a lost answer, a read tells whether the write landed
//!   before it is sent again.
//! - `selftest`: the kitchen sink uploaded, crawled back, rendered, chunked
//!   and compared with what a crawl of the dataset reads ([`expected`]:
//!   that crawl rewritten by the rules above), then trashed.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use notion_mock::Workspace;
//! use notion_source::client::{ClientConfig, NotionClient, SecretToken};
//! use notion_upload::{UploadOptions, upload};
//!
//! let client = NotionClient::new(SecretToken::new("secret_..."), ClientConfig::default())?;
//! let dataset = Workspace::kitchen_sink();
//! let report = upload(
//!     &client,
//!     &dataset,
//!     "https://www.notion.so/Selftest-0123456789abcdef0123456789abcdef",
//!     std::path::Path::new("upload-state.jsonl"),
//!     &UploadOptions::default(),
//! )
//! .await?;
//! println!("{} pages, {} differences", report.pages.len(), report.differences.len());
//! # Ok(()) }
//! ```

mod body;
mod bound;
mod convert;
mod error;
mod execute;
pub mod expected;
mod limits;
mod plan;
mod report;
pub mod selftest;
mod state;
pub mod text;

use std::collections::BTreeMap;
use std::path::Path;

use futures::TryStreamExt;
use notion_mock::Workspace;
use notion_source::client::{ClientStats, NotionClient};
use notion_source::crawler::normalize_id;
use serde::Serialize;

pub use bound::MinRequests;
pub use error::UploadError;
pub use limits::WriteLimits;
pub use report::{
    Difference, DifferenceKind, RequestCounts, SkipReason, SkippedPage, UploadReport, UploadedPage,
};
pub use selftest::{SelftestError, SelftestOptions, SelftestReport, selftest};

use convert::UserMap;
use plan::Step;
use state::State;

/// How to upload.
#[derive(Debug, Clone, Default)]
pub struct UploadOptions {
    /// The write limits every request stays within (Notion's by default).
    pub limits: WriteLimits,
}

/// Uploads `dataset` under the page `parent` (an id, with or without
/// dashes, or its URL), recording progress in `state_file`.
///
/// Run it again with the same state file after a failure or a kill: it
/// resumes after the last step recorded, first checking whether the write
/// in flight when it stopped was made. A state file of another dataset,
/// parent or limits is refused. The state file is kept when the upload
/// completes (running again then does nothing); remove it to upload anew.
pub async fn upload(
    client: &NotionClient,
    dataset: &Workspace,
    parent: &str,
    state_file: &Path,
    options: &UploadOptions,
) -> Result<UploadReport, UploadError> {
    let parent = normalize_id(parent).ok_or_else(|| UploadError::ParentId {
        given: parent.to_string(),
    })?;
    let doc = dataset.to_json();
    let fingerprint = state::fingerprint(&doc, &parent, &options.limits);
    let stats_before = client.stats();
    let (state, resumed) = match State::load(state_file)? {
        Some(state) if state.header.fingerprint != fingerprint => {
            return Err(UploadError::StateMismatch {
                path: state_file.to_path_buf(),
            });
        }
        Some(state) => (state, true),
        None => (
            fresh_state(client, &doc, &parent, fingerprint, state_file).await?,
            false,
        ),
    };
    let tree = convert::convert(
        &doc,
        &dataset.page_ids(),
        &options.limits,
        &state.header.users,
    );
    let plan = plan::plan(&tree, &options.limits)?;
    let resumed_at = resumed.then_some(state.done);
    let mut executor = execute::Executor {
        client,
        tree: &tree,
        plan: &plan,
        state,
    };
    executor.run(resumed).await?;
    let state = executor.state;
    let pages = plan
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::CreatePage { page, parent, .. } => Some(UploadedPage {
                dataset_id: page.clone(),
                notion_id: state.ids.get(page).cloned().unwrap_or_default(),
                title: tree.pages[page].title.clone(),
                top_level: *parent == convert::Parent::Root,
            }),
            _ => None,
        })
        .collect();
    let mut differences = tree.differences.clone();
    differences.extend(plan.differences.iter().cloned());
    Ok(UploadReport {
        parent,
        ids: state.ids.clone(),
        pages,
        differences,
        skipped: tree.skipped.clone(),
        steps: plan.steps.len(),
        resumed_at,
        requests: request_counts(&stats_before, &client.stats()),
    })
}

/// Moves the pages an upload created directly under its parent to the
/// trash (everything under them goes with them). Returns how many.
pub async fn trash_uploaded(
    client: &NotionClient,
    report: &UploadReport,
) -> Result<usize, notion_source::ClientError> {
    let mut trashed = 0;
    for page in report.pages.iter().filter(|p| p.top_level) {
        client.trash_page(&page.notion_id).await?;
        trashed += 1;
    }
    Ok(trashed)
}

/// The first run's state: the parent checked, its children counted, the
/// workspace's users matched to the dataset's.
async fn fresh_state(
    client: &NotionClient,
    doc: &serde_json::Value,
    parent: &str,
    fingerprint: String,
    state_file: &Path,
) -> Result<State, UploadError> {
    let parent_error = |source| UploadError::Parent {
        id: parent.to_string(),
        source,
    };
    client
        .retrieve_page(parent, &[])
        .await
        .map_err(parent_error)?;
    let children: Vec<_> = client
        .block_children_all(parent)
        .try_collect()
        .await
        .map_err(parent_error)?;
    let users = match client.list_users_all().try_collect::<Vec<_>>().await {
        Ok(users) => UserMap::matching(doc, &users),
        // Without the user capability no user can be mentioned: all become text.
        Err(e) if e.status() == Some(403) => {
            tracing::warn!(error = %e, "cannot list users: mentions of people are written as text");
            UserMap::default()
        }
        Err(e) => return Err(parent_error(e)),
    };
    State::create(state_file, fingerprint, parent, children.len(), users)
}

/// Writes and reads one run sent, from the client's counters.
fn request_counts(before: &ClientStats, after: &ClientStats) -> RequestCounts {
    let mut counts = RequestCounts::default();
    for (endpoint, stats) in &after.per_endpoint {
        let earlier = before
            .per_endpoint
            .get(endpoint)
            .copied()
            .unwrap_or_default();
        let sent = stats.requests - earlier.requests;
        if endpoint.is_write() {
            counts.writes += sent;
        } else {
            counts.reads += sent;
        }
        counts.rate_limited += stats.rate_limited - earlier.rate_limited;
    }
    counts
}

/// The requests an upload of `dataset` plans, counted without sending any
/// (every dataset user taken as present in the workspace).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    /// Steps of the plan.
    pub steps: usize,
    /// Write requests.
    pub writes: usize,
    /// Read requests (ids of blocks created nested in a request).
    pub reads: usize,
    /// Requests per kind of step.
    pub per_kind: BTreeMap<&'static str, usize>,
}

/// Plans the upload of `dataset` and counts its requests.
///
/// ```
/// let dataset = notion_mock::Workspace::kitchen_sink();
/// let limits = notion_upload::WriteLimits::default();
/// let plan = notion_upload::plan_summary(&dataset, &limits).unwrap();
/// let min = notion_upload::min_requests(&dataset, &limits);
/// assert!(plan.writes >= min.total);
/// ```
pub fn plan_summary(dataset: &Workspace, limits: &WriteLimits) -> Result<PlanSummary, UploadError> {
    let doc = dataset.to_json();
    let tree = convert::convert(&doc, &dataset.page_ids(), limits, &UserMap::identity(&doc));
    let plan = plan::plan(&tree, limits)?;
    let mut summary = PlanSummary {
        steps: plan.steps.len(),
        ..PlanSummary::default()
    };
    for step in &plan.steps {
        let (kind, write) = match step {
            Step::CreatePage { .. } => ("create page", true),
            Step::CreateDatabase { .. } => ("create database", true),
            Step::CreateDataSource { .. } => ("create data source", true),
            Step::RenameDataSource { .. } | Step::AddProperties { .. } => {
                ("update data source", true)
            }
            Step::Append { .. } => ("append children", true),
            Step::ReadChildren { .. } => ("read children", false),
            Step::PatchBlock { .. } => ("update block", true),
            Step::SetRelations { .. } => ("update page", true),
        };
        let requests = step.requests();
        *summary.per_kind.entry(kind).or_default() += requests;
        if write {
            summary.writes += requests;
        } else {
            summary.reads += requests;
        }
    }
    Ok(summary)
}

/// The fewest write requests Notion's limits allow for an upload of
/// `dataset` (see the terms on [`MinRequests`] and in `bound`'s docs).
pub fn min_requests(dataset: &Workspace, limits: &WriteLimits) -> MinRequests {
    let doc = dataset.to_json();
    let tree = convert::convert(&doc, &dataset.page_ids(), limits, &UserMap::identity(&doc));
    bound::min_requests(&tree, limits)
}
