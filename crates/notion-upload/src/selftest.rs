//! The self-test: uploads the bundled kitchen sink under a page of a real
//! workspace, waits until Notion serves it, crawls exactly that subtree
//! back, renders and chunks it the way a run does, and compares it with the
//! dataset, then moves the upload to the trash.
//!
//! What the dataset should read like once uploaded is a crawl of the dataset
//! itself (served by an in-process mock, no request to Notion) rewritten by
//! the upload's documented rules ([`crate::expected`]). Against it, every
//! page must be found, every text string of a page present in that page's
//! chunks, every block type present as often and rendered (no
//! `<!-- unsupported -->` marker the dataset does not have), and every
//! property a page can be given (not those Notion computes) rendered the
//! same, relations included. Those are the failures. What Notion itself
//! changes (new ids, its own timestamps and URLs, rich text it splits or
//! joins, so the Markdown differs although every text is there) is listed
//! apart ([`NotionDifference`]) and does not fail the test.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chunker::{ChunkConfig, Chunker};
use futures::TryStreamExt;
use notion_markdown::{RenderContext, RenderedPage, render_page};
use notion_mock::{COMPUTED_PROPERTY_TYPES, MockConfig, MockServer, Workspace};
use notion_source::client::{ClientConfig, ClientError, NotionClient, RateLimit, SecretToken};
use notion_source::crawler::{CrawlConfig, CrawlError, CrawlEvent, Crawler, Root, normalize_id};
use notion_source::model::{Block, BlockKind, PageTree, PropertyKind};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::expected::{DatasetFacts, expected_upload};
use crate::{DifferenceKind, UploadError, UploadOptions, UploadReport, trash_uploaded, upload};

/// How to run the self-test.
#[derive(Debug, Clone)]
pub struct SelftestOptions {
    /// Leave the uploaded pages in place instead of moving them to the trash.
    pub keep: bool,
    /// How long to wait for the uploaded pages to become readable.
    pub readable_timeout: Duration,
    /// How pages are chunked (a run's defaults).
    pub chunk: ChunkConfig,
    /// How the kitchen sink is uploaded.
    pub upload: UploadOptions,
}

impl Default for SelftestOptions {
    fn default() -> Self {
        SelftestOptions {
            keep: false,
            readable_timeout: Duration::from_secs(120),
            chunk: ChunkConfig::default(),
            upload: UploadOptions::default(),
        }
    }
}

/// Why the self-test could not reach a verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelftestError {
    /// The parent given is not a page id or URL (nothing was sent).
    #[error("{given:?} is not a Notion page id or URL")]
    ParentId {
        /// What was given.
        given: String,
    },
    /// The upload stopped; what it created is recorded in `state`, and
    /// `notion-ingest upload --state` with it resumes the upload.
    #[error("the upload of the kitchen sink failed: {source} (its state file, to resume with `upload --state`: {})", .state.display())]
    Upload {
        /// The upload's error.
        source: Box<UploadError>,
        /// The state file, kept.
        state: PathBuf,
    },
    /// The uploaded pages did not become readable in time.
    #[error("the uploaded page {page} was not readable within {seconds} s: {source}")]
    NotReadable {
        /// The Notion id of the page.
        page: String,
        /// How long the test waited.
        seconds: u64,
        /// Notion's last answer.
        source: ClientError,
    },
    /// The crawl of the upload stopped.
    #[error("crawling the upload back failed: {0}")]
    Crawl(CrawlError),
    /// The reference crawl of the bundled dataset (in process) failed.
    #[error("reading the bundled dataset failed: {0}")]
    Reference(String),
    /// The chunker could not be set up (its tokenizer).
    #[error("cannot set up the chunker: {0}")]
    Chunker(#[from] chunker::ChunkError),
    /// A temporary directory for the upload's state file.
    #[error("cannot create a temporary directory: {0}")]
    TempDir(std::io::Error),
}

/// What the self-test found.
#[derive(Debug, Clone, Serialize)]
pub struct SelftestReport {
    /// Full fidelity: no failure.
    pub faithful: bool,
    /// The page the kitchen sink was uploaded under.
    pub parent: String,
    /// The uploaded page at the top of the test's subtree.
    pub top_page: Option<String>,
    /// Pages the dataset should read as once uploaded.
    pub pages_expected: usize,
    /// Of those, the pages the crawl read back.
    pub pages_found: usize,
    /// Text strings checked, each in its own page's chunks.
    pub texts_checked: usize,
    /// Of those, the ones found.
    pub texts_found: usize,
    /// Per block type: how many blocks expected and found.
    pub block_types: BTreeMap<String, TypeCount>,
    /// Property values compared.
    pub properties_checked: usize,
    /// Pages whose Markdown is the dataset's, ids and URLs aside.
    pub markdown_identical: usize,
    /// Everything that came back wrong or not at all.
    pub failures: Vec<Failure>,
    /// What Notion itself changed (not failures).
    pub notion_differences: Vec<NotionDifference>,
    /// What the upload wrote differently by its documented rules, per rule
    /// (the expected reading already accounts for them).
    pub upload_differences: BTreeMap<DifferenceKind, usize>,
    /// Requests sent to Notion, per phase.
    pub requests: PhaseRequests,
    /// What became of the uploaded pages.
    pub cleanup: Cleanup,
    /// Wall-clock time of the whole test, in seconds.
    pub seconds: f64,
}

/// Blocks of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TypeCount {
    /// In the expected reading.
    pub expected: usize,
    /// Read back.
    pub found: usize,
    /// Read back but rendered only as an `unsupported` marker.
    pub unrendered: usize,
}

/// Something that came back wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// What kind of loss.
    pub kind: FailureKind,
    /// The dataset page concerned (its title), or empty for the whole upload.
    pub page: String,
    /// What exactly (the type, the text, the property and both values).
    pub detail: String,
}

/// The kinds of [`Failure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// An uploaded page was not read back.
    MissingPage,
    /// A page could not be read.
    PageFailed,
    /// Fewer (or more) blocks of a type than uploaded.
    BlockType,
    /// A block read back renders only as an `unsupported` marker.
    NotRendered,
    /// A text string is not in its page's chunks.
    MissingText,
    /// A property renders differently.
    Property,
}

/// A difference Notion introduces, which does not fail the test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotionDifference {
    /// What differs.
    pub kind: NotionDifferenceKind,
    /// How many pages (or blocks, for ids) it concerns.
    pub count: usize,
    /// A few examples.
    pub examples: Vec<String>,
}

/// The kinds of [`NotionDifference`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotionDifferenceKind {
    /// Every page and block has a new id.
    Ids,
    /// Creation and edit times are the upload's.
    Timestamps,
    /// Pages have new URLs.
    Urls,
    /// The Markdown differs beyond ids and URLs although every text is
    /// there: rich text split, joined or annotated differently by Notion.
    RichText,
}

/// Requests sent to Notion, per phase of the test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PhaseRequests {
    /// The upload (writes, and the reads it needs).
    pub upload: u64,
    /// Waiting until the upload is readable.
    pub wait: u64,
    /// The crawl of the upload (and the list of users).
    pub crawl: u64,
    /// Moving the upload to the trash.
    pub trash: u64,
    /// All of them.
    pub total: u64,
    /// Answers 429 or 529 among them.
    pub rate_limited: u64,
}

/// What became of the uploaded pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Cleanup {
    /// Left in place (`--keep`).
    Kept,
    /// Moved to the trash: this many top-level pages, with everything under them.
    Trashed {
        /// Top-level pages trashed.
        pages: usize,
    },
    /// Moving them to the trash failed: delete them by hand.
    Failed {
        /// Notion's error.
        error: String,
    },
}

/// Runs the self-test under the page `parent` (an id or URL).
///
/// Returns the report whatever it found ([`SelftestReport::faithful`] says
/// whether everything came back); an error when no verdict could be reached.
/// The uploaded pages go to the trash at the end, after an error too, unless
/// [`SelftestOptions::keep`].
pub async fn selftest(
    client: &NotionClient,
    parent: &str,
    options: &SelftestOptions,
) -> Result<SelftestReport, SelftestError> {
    let started = Instant::now();
    let parent_id = normalize_id(parent).ok_or_else(|| SelftestError::ParentId {
        given: parent.to_string(),
    })?;
    let dataset = Workspace::kitchen_sink();
    let chunker = Chunker::new(options.chunk.clone())?;
    let reference = reference(&dataset).await?;

    let dir = tempfile::tempdir().map_err(SelftestError::TempDir)?;
    let state = dir.path().join("selftest-upload.jsonl");
    let mut counter = PhaseCounter::new(client);
    let uploaded = match upload(client, &dataset, &parent_id, &state, &options.upload).await {
        Ok(report) => report,
        Err(source) => {
            let kept = dir.keep();
            return Err(SelftestError::Upload {
                source: Box::new(source),
                state: kept.join("selftest-upload.jsonl"),
            });
        }
    };
    let mut requests = PhaseRequests {
        upload: counter.next(),
        ..PhaseRequests::default()
    };

    let checked = check(
        client,
        &dataset,
        &reference,
        &uploaded,
        &chunker,
        options,
        &mut counter,
        &mut requests,
    )
    .await;

    let cleanup = if options.keep {
        Cleanup::Kept
    } else {
        match trash_uploaded(client, &uploaded).await {
            Ok(pages) => Cleanup::Trashed { pages },
            Err(e) => Cleanup::Failed {
                error: e.to_string(),
            },
        }
    };
    requests.trash = counter.next();
    requests.total = requests.upload + requests.wait + requests.crawl + requests.trash;
    requests.rate_limited = counter.rate_limited();

    let mut report = checked?;
    report.parent = parent_id;
    report.requests = requests;
    report.cleanup = cleanup;
    for d in &uploaded.differences {
        *report.upload_differences.entry(d.kind).or_default() += 1;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The dataset as a crawl of it reads it: by dataset page id, with the
/// names of its users.
struct Reference {
    pages: HashMap<String, PageTree>,
    users: HashMap<String, String>,
}

/// Crawls the dataset served by an in-process mock (no request to Notion).
async fn reference(dataset: &Workspace) -> Result<Reference, SelftestError> {
    let error = |e: &dyn fmt::Display| SelftestError::Reference(e.to_string());
    let server = MockServer::start(dataset.clone(), MockConfig::unlimited())
        .await
        .map_err(|e| error(&e))?;
    let config = ClientConfig {
        base_url: server.url(),
        rate: RateLimit::PerSecond {
            per_second: 100_000.0,
            burst: 1_000,
        },
        ..ClientConfig::default()
    };
    let result = async {
        let client = NotionClient::new(SecretToken::new(MockConfig::default().token), config)
            .map_err(|e| error(&e))?;
        let pages = crawl(&client, Vec::new()).await.map_err(|e| error(&e))?;
        let users = user_names(&client).await;
        let mut by_id = HashMap::new();
        for outcome in pages {
            match outcome {
                Ok(tree) => {
                    by_id.insert(tree.page.id.clone(), tree);
                }
                Err((id, detail)) => return Err(error(&format!("page {id}: {detail}"))),
            }
        }
        Ok(Reference {
            pages: by_id,
            users,
        })
    }
    .await;
    server.stop().await;
    result
}

/// Every page a crawl reads from `roots` (or search, when empty); a page
/// that failed is its id and the error.
async fn crawl(
    client: &NotionClient,
    roots: Vec<Root>,
) -> Result<Vec<Result<PageTree, (String, String)>>, CrawlError> {
    let crawler = Crawler::new(
        client.clone(),
        CrawlConfig {
            roots,
            ..CrawlConfig::default()
        },
    );
    let (tx, mut rx) = mpsc::channel(16);
    let run = tokio::spawn(crawler.run(tx, CancellationToken::new()));
    let mut pages = Vec::new();
    while let Some(event) = rx.recv().await {
        match event {
            CrawlEvent::Page(tree, _) => pages.push(Ok(*tree)),
            CrawlEvent::Failed(f) => pages.push(Err((f.page.id.clone(), format!("{f:?}")))),
            CrawlEvent::Skipped(_) | CrawlEvent::Unchanged(_) => {}
        }
    }
    match run.await {
        Ok(result) => result.map(|_| pages),
        // The crawl task panicked: say so rather than hide it.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// The workspace's users by id (none without the user capability).
async fn user_names(client: &NotionClient) -> HashMap<String, String> {
    match client.list_users_all().try_collect::<Vec<_>>().await {
        Ok(users) => users
            .into_iter()
            .filter_map(|u| u.name.map(|name| (u.id, name)))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list users: people are compared by id");
            HashMap::new()
        }
    }
}

/// Waits for the upload, crawls it and compares.
#[allow(clippy::too_many_arguments)]
async fn check(
    client: &NotionClient,
    dataset: &Workspace,
    reference: &Reference,
    uploaded: &UploadReport,
    chunker: &Chunker,
    options: &SelftestOptions,
    counter: &mut PhaseCounter<'_>,
    requests: &mut PhaseRequests,
) -> Result<SelftestReport, SelftestError> {
    wait_readable(client, uploaded, options.readable_timeout).await?;
    requests.wait = counter.next();
    let roots: Vec<Root> = uploaded
        .pages
        .iter()
        .filter(|p| p.top_level)
        .map(|p| Root::Page(p.notion_id.clone()))
        .collect();
    let crawled = crawl(client, roots).await.map_err(SelftestError::Crawl)?;
    let users = user_names(client).await;
    requests.crawl = counter.next();
    let mut actual = HashMap::new();
    let mut failed = HashMap::new();
    for outcome in crawled {
        match outcome {
            Ok(tree) => {
                actual.insert(tree.page.id.clone(), tree);
            }
            Err((id, detail)) => {
                failed.insert(id, detail);
            }
        }
    }
    let facts = DatasetFacts::of(dataset);
    let mut comparison = Comparison::new(uploaded, reference, &facts, &actual, &users);
    comparison.compare(chunker, &failed);
    let mut report = comparison.report;
    report.top_page = uploaded
        .pages
        .iter()
        .find(|p| p.top_level)
        .map(|p| p.notion_id.clone());
    report.faithful = report.failures.is_empty();
    Ok(report)
}

/// Polls the last page the upload created (and the top-level ones) until
/// Notion serves them, with a doubling pause, at most `timeout` in all.
async fn wait_readable(
    client: &NotionClient,
    uploaded: &UploadReport,
    timeout: Duration,
) -> Result<(), SelftestError> {
    let deadline = Instant::now() + timeout;
    let mut pages: Vec<&str> = uploaded
        .pages
        .iter()
        .filter(|p| p.top_level)
        .map(|p| p.notion_id.as_str())
        .collect();
    if let Some(last) = uploaded.pages.last()
        && !last.top_level
    {
        pages.push(&last.notion_id);
    }
    for page in pages {
        let mut pause = Duration::from_millis(500);
        loop {
            match client.retrieve_page(page, &[]).await {
                Ok(_) => break,
                Err(e) if e.status() == Some(404) && Instant::now() + pause < deadline => {
                    tracing::info!(page, "not readable yet: waiting {pause:?}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(8));
                }
                Err(source) => {
                    return Err(SelftestError::NotReadable {
                        page: page.to_string(),
                        seconds: timeout.as_secs(),
                        source,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Requests sent through a client between two calls of [`PhaseCounter::next`].
struct PhaseCounter<'a> {
    client: &'a NotionClient,
    last: u64,
    rate_limited_at_start: u64,
}

impl<'a> PhaseCounter<'a> {
    fn new(client: &'a NotionClient) -> Self {
        let stats = client.stats();
        PhaseCounter {
            client,
            last: stats.total.requests,
            rate_limited_at_start: stats.total.rate_limited,
        }
    }

    fn next(&mut self) -> u64 {
        let now = self.client.stats().total.requests;
        let sent = now - self.last;
        self.last = now;
        sent
    }

    fn rate_limited(&self) -> u64 {
        self.client.stats().total.rate_limited - self.rate_limited_at_start
    }
}

/// Whether the comparison leaves out values of this property type: the
/// ones Notion computes (never written), and `verification`.
fn not_compared(kind: &str) -> bool {
    COMPUTED_PROPERTY_TYPES.contains(&kind) || kind == "verification"
}

/// Most examples listed per Notion difference.
const EXAMPLES: usize = 3;

/// The comparison of the expected reading with the crawl of the upload.
struct Comparison<'a> {
    uploaded: &'a UploadReport,
    reference: &'a Reference,
    facts: &'a DatasetFacts,
    actual: &'a HashMap<String, PageTree>,
    expected_ctx: RenderContext,
    actual_ctx: RenderContext,
    report: SelftestReport,
    rich_text: Vec<String>,
    timestamps: usize,
    urls: usize,
    blocks: usize,
}

impl<'a> Comparison<'a> {
    fn new(
        uploaded: &'a UploadReport,
        reference: &'a Reference,
        facts: &'a DatasetFacts,
        actual: &'a HashMap<String, PageTree>,
        users: &HashMap<String, String>,
    ) -> Self {
        Comparison {
            uploaded,
            reference,
            facts,
            actual,
            expected_ctx: context(reference.pages.values(), &reference.users),
            actual_ctx: context(actual.values(), users),
            report: SelftestReport {
                faithful: false,
                parent: String::new(),
                top_page: None,
                pages_expected: 0,
                pages_found: 0,
                texts_checked: 0,
                texts_found: 0,
                block_types: BTreeMap::new(),
                properties_checked: 0,
                markdown_identical: 0,
                failures: Vec::new(),
                notion_differences: Vec::new(),
                upload_differences: BTreeMap::new(),
                requests: PhaseRequests::default(),
                cleanup: Cleanup::Kept,
                seconds: 0.0,
            },
            rich_text: Vec::new(),
            timestamps: 0,
            urls: 0,
            blocks: 0,
        }
    }

    fn fail(&mut self, kind: FailureKind, page: &str, detail: String) {
        self.report.failures.push(Failure {
            kind,
            page: page.to_string(),
            detail,
        });
    }

    fn compare(&mut self, chunker: &Chunker, failed: &HashMap<String, String>) {
        let mut ids: Vec<&String> = self
            .reference
            .pages
            .keys()
            .filter(|id| self.uploaded.pages.iter().any(|p| &p.dataset_id == *id))
            .collect();
        ids.sort();
        for id in ids {
            let tree = &self.reference.pages[id];
            let expected = expected_upload(tree, self.facts);
            let title = expected.page.title();
            self.report.pages_expected += 1;
            count_types(&expected.blocks, &mut self.report.block_types, |c| {
                &mut c.expected
            });
            let notion_id = self.uploaded.ids.get(id).cloned().unwrap_or_default();
            let Some(got) = self.actual.get(&notion_id) else {
                match failed.get(&notion_id) {
                    Some(detail) => self.fail(FailureKind::PageFailed, &title, detail.clone()),
                    None => self.fail(
                        FailureKind::MissingPage,
                        &title,
                        format!("{notion_id} was not read back"),
                    ),
                }
                continue;
            };
            self.report.pages_found += 1;
            self.page(id, &title, &expected, got, chunker);
        }
        let types = self.report.block_types.clone();
        for (kind, count) in types {
            if count.found != count.expected {
                self.fail(
                    FailureKind::BlockType,
                    "",
                    format!(
                        "{kind}: {} blocks uploaded, {} read back",
                        count.expected, count.found
                    ),
                );
            }
            if count.unrendered > 0 {
                self.fail(
                    FailureKind::NotRendered,
                    "",
                    format!(
                        "{kind}: {} blocks rendered as unsupported",
                        count.unrendered
                    ),
                );
            }
        }
        self.notion_differences();
    }

    /// Compares one page.
    fn page(
        &mut self,
        id: &str,
        title: &str,
        expected: &PageTree,
        got: &PageTree,
        chunker: &Chunker,
    ) {
        count_types(&got.blocks, &mut self.report.block_types, |c| &mut c.found);
        self.blocks += got.block_count() + 1;
        if got.page.created_time != expected.page.created_time
            || got.page.last_edited_time != expected.page.last_edited_time
        {
            self.timestamps += 1;
        }
        if got.page.url != expected.page.url {
            self.urls += 1;
        }
        // Values Notion computes differ by nature: rendered without them.
        let want = render_page(&without_computed(expected), &self.expected_ctx);
        let have = render_page(&without_computed(got), &self.actual_ctx);
        let expected_unsupported = want.unsupported.len();
        if have.unsupported.len() > expected_unsupported {
            for block in &have.unsupported {
                self.report
                    .block_types
                    .entry(block.type_name.clone())
                    .or_default()
                    .unrendered += 1;
            }
        }
        self.texts(title, expected, &have, chunker);
        self.properties(id, title, expected, &want, &have);
        match first_difference(&mask(&want.markdown), &mask(&have.markdown)) {
            None => self.report.markdown_identical += 1,
            Some((expected_line, found_line)) => self.rich_text.push(format!(
                "{title}: expected {expected_line:?}, found {found_line:?}"
            )),
        }
    }

    /// Every text string of the page in its chunks.
    fn texts(&mut self, title: &str, expected: &PageTree, have: &RenderedPage, chunker: &Chunker) {
        let chunks = chunker.chunk(&chunker::Document {
            markdown: &have.markdown,
            title: None,
            blocks: &[],
        });
        let haystack: String = chunks.iter().map(|c| squeeze(&c.text)).collect();
        let mut strings = vec![expected.page.title()];
        for block in &expected.blocks {
            collect_texts(block, &mut strings);
        }
        for text in strings {
            let needle = squeeze(&text);
            if needle.is_empty() {
                continue;
            }
            self.report.texts_checked += 1;
            if haystack.contains(&needle) {
                self.report.texts_found += 1;
            } else {
                self.fail(FailureKind::MissingText, title, excerpt(&text));
            }
        }
    }

    /// Every property a page can be given renders the same.
    fn properties(
        &mut self,
        id: &str,
        title: &str,
        expected: &PageTree,
        want: &RenderedPage,
        have: &RenderedPage,
    ) {
        for (name, value) in &expected.page.properties {
            if not_compared(value.value.type_name()) || self.written_differently(id, name) {
                continue;
            }
            if matches!(value.value, PropertyKind::Title(_)) {
                continue; // The title is the Markdown's heading, checked as a text.
            }
            self.report.properties_checked += 1;
            let (w, h) = (&want.properties[name], &have.properties[name]);
            if w != h {
                self.fail(
                    FailureKind::Property,
                    title,
                    format!("{name}: expected {w}, found {h}"),
                );
            }
        }
    }

    /// Whether the upload recorded writing this property differently.
    fn written_differently(&self, page: &str, property: &str) -> bool {
        let prefix = format!("{property}:");
        self.uploaded
            .differences
            .iter()
            .any(|d| d.object == page && d.detail.starts_with(&prefix))
    }

    fn notion_differences(&mut self) {
        let mut out = vec![NotionDifference {
            kind: NotionDifferenceKind::Ids,
            count: self.blocks,
            examples: Vec::new(),
        }];
        if self.timestamps > 0 {
            out.push(NotionDifference {
                kind: NotionDifferenceKind::Timestamps,
                count: self.timestamps,
                examples: Vec::new(),
            });
        }
        if self.urls > 0 {
            out.push(NotionDifference {
                kind: NotionDifferenceKind::Urls,
                count: self.urls,
                examples: Vec::new(),
            });
        }
        if !self.rich_text.is_empty() {
            out.push(NotionDifference {
                kind: NotionDifferenceKind::RichText,
                count: self.rich_text.len(),
                examples: self.rich_text.iter().take(EXAMPLES).cloned().collect(),
            });
        }
        self.report.notion_differences = out;
    }
}

/// Page and database titles and user names for rendering, from the pages read.
fn context<'t>(
    trees: impl Iterator<Item = &'t PageTree>,
    users: &HashMap<String, String>,
) -> RenderContext {
    let untitled = |t: String| {
        if t.is_empty() {
            "Untitled".to_string()
        } else {
            t
        }
    };
    let mut titles = HashMap::new();
    for tree in trees {
        titles.insert(tree.page.id.clone(), untitled(tree.page.title()));
        for block in &tree.blocks {
            block.walk(&mut |b| {
                if let BlockKind::ChildDatabase(db) = &b.kind {
                    titles.insert(b.id.clone(), untitled(db.title.clone()));
                }
            });
        }
    }
    RenderContext {
        user_names: users.clone(),
        page_titles: titles,
        ..RenderContext::default()
    }
}

/// The tree without the property values Notion computes.
fn without_computed(tree: &PageTree) -> PageTree {
    let mut tree = tree.clone();
    tree.page
        .properties
        .retain(|_, v| !not_compared(v.value.type_name()));
    tree
}

/// Counts the blocks of each type, at every depth.
fn count_types(
    blocks: &[Block],
    counts: &mut BTreeMap<String, TypeCount>,
    field: impl Fn(&mut TypeCount) -> &mut usize,
) {
    for block in blocks {
        block.walk(&mut |b| {
            *field(counts.entry(b.kind.type_name().to_string()).or_default()) += 1;
        });
    }
}

/// The text strings of a block and its children: every text run, and
/// every equation.
fn collect_texts(block: &Block, out: &mut Vec<String>) {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                match map.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        if let Some(text) = map.get("plain_text").and_then(Value::as_str) {
                            out.push(text.to_string());
                        }
                    }
                    Some("equation") => {
                        if let Some(e) = map
                            .get("equation")
                            .and_then(|e| e.get("expression"))
                            .and_then(Value::as_str)
                        {
                            out.push(e.to_string());
                        }
                    }
                    _ => {}
                }
                map.values().for_each(|x| walk(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    block.walk(&mut |b| {
        let own = serde_json::to_value(&b.kind).unwrap_or_default();
        walk(&own, out);
    });
}

/// Text with Markdown escapes, table line breaks and all whitespace
/// removed: a source string is in a rendering when its squeezed form is in
/// the rendering's.
fn squeeze(text: &str) -> String {
    text.replace("<br>", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\\')
        .collect()
}

/// The first 80 characters of a text.
fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// Markdown with every id (32 hex digits, dashed or not) replaced by `<id>`.
fn mask(markdown: &str) -> String {
    let chars: Vec<char> = markdown.chars().collect();
    let mut out = String::with_capacity(markdown.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(len) = id_at(&chars[i..]) {
            out.push_str("<id>");
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The length of an id starting at `s[0]`, if one does.
fn id_at(s: &[char]) -> Option<usize> {
    let hex = |n: usize, from: usize| -> bool {
        s.len() >= from + n && s[from..from + n].iter().all(char::is_ascii_hexdigit)
    };
    if hex(8, 0)
        && s.get(8) == Some(&'-')
        && hex(4, 9)
        && s.get(13) == Some(&'-')
        && hex(4, 14)
        && s.get(18) == Some(&'-')
        && hex(4, 19)
        && s.get(23) == Some(&'-')
        && hex(12, 24)
    {
        return Some(36);
    }
    if hex(32, 0) && !s.get(32).is_some_and(char::is_ascii_hexdigit) {
        return Some(32);
    }
    None
}

/// The first pair of lines that differ, if any.
fn first_difference(want: &str, have: &str) -> Option<(String, String)> {
    let (mut w, mut h) = (want.lines(), have.lines());
    loop {
        match (w.next(), h.next()) {
            (None, None) => return None,
            (a, b) if a == b => {}
            (a, b) => {
                return Some((
                    excerpt(a.unwrap_or_default()),
                    excerpt(b.unwrap_or_default()),
                ));
            }
        }
    }
}

impl fmt::Display for SelftestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.faithful {
            "FULL FIDELITY: everything uploaded came back"
        } else {
            "NOT FAITHFUL: some of what was uploaded did not come back"
        };
        writeln!(f, "{verdict}")?;
        writeln!(
            f,
            "  pages       {} of {} read back",
            self.pages_found, self.pages_expected
        )?;
        writeln!(
            f,
            "  texts       {} of {} in their page's chunks",
            self.texts_found, self.texts_checked
        )?;
        let types_ok = self
            .block_types
            .values()
            .filter(|c| c.found == c.expected && c.unrendered == 0)
            .count();
        writeln!(
            f,
            "  block types {} of {} read back and rendered",
            types_ok,
            self.block_types.len()
        )?;
        writeln!(f, "  properties  {} compared", self.properties_checked)?;
        writeln!(
            f,
            "  markdown    {} of {} pages identical, ids and URLs aside",
            self.markdown_identical, self.pages_found
        )?;
        if !self.failures.is_empty() {
            writeln!(f, "\nFailures ({}):", self.failures.len())?;
            for failure in &self.failures {
                let page = if failure.page.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", failure.page)
                };
                writeln!(f, "  {:?}{page}: {}", failure.kind, failure.detail)?;
            }
        }
        writeln!(f, "\nWhat Notion changed (not failures):")?;
        for d in &self.notion_differences {
            let what = match d.kind {
                NotionDifferenceKind::Ids => "pages and blocks with new ids",
                NotionDifferenceKind::Timestamps => "pages with Notion's own times",
                NotionDifferenceKind::Urls => "pages with new URLs",
                NotionDifferenceKind::RichText => "pages whose rich text Notion normalised",
            };
            writeln!(f, "  {:>5} {what}", d.count)?;
            for example in &d.examples {
                writeln!(f, "        {example}")?;
            }
        }
        if !self.upload_differences.is_empty() {
            writeln!(
                f,
                "\nWritten differently by the upload's documented rules (expected, see DifferenceKind):"
            )?;
            for (kind, n) in &self.upload_differences {
                writeln!(f, "  {n:>5} {kind:?}")?;
            }
        }
        let r = &self.requests;
        writeln!(
            f,
            "\nRequests: {} (upload {}, wait {}, crawl {}, trash {}; {} rate-limited) in {:.1} s",
            r.total, r.upload, r.wait, r.crawl, r.trash, r.rate_limited, self.seconds
        )?;
        match &self.cleanup {
            Cleanup::Kept => writeln!(
                f,
                "The uploaded pages are kept under the parent page{}.",
                self.top_page
                    .as_deref()
                    .map(|p| format!(" (top page {p})"))
                    .unwrap_or_default()
            ),
            Cleanup::Trashed { pages } => {
                writeln!(f, "Moved {pages} uploaded page(s) to the trash.")
            }
            Cleanup::Failed { error } => writeln!(
                f,
                "Moving the uploaded pages to the trash failed ({error}): delete them by hand."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_masked_dashed_or_not() {
        assert_eq!(
            mask(
                "[a](https://www.notion.so/0123456789abcdef0123456789abcdef#1f2e3d4c-5b6a-7988-0123-456789abcdef) x"
            ),
            "[a](https://www.notion.so/<id>#<id>) x"
        );
        assert_eq!(mask("deadbeef"), "deadbeef");
    }

    #[test]
    fn squeezed_text_ignores_escapes_and_whitespace() {
        assert_eq!(squeeze("a \\*b*\n c<br>d"), "a*b*cd");
    }
}
