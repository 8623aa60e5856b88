//! Nightly incremental sync against the mock, edited between runs through
//! its edit API: a run with nothing changed only lists; edited pages are
//! read again, and only they, and become exact upserts and deletes;
//! trashed, unshared and deleted pages become deletes; a consumer that
//! applies every change set holds the snapshot; ten `kill -9` with restarts
//! end where an uninterrupted run does.
//!
//! Edits go to pages that search lists. A page search misses is reached
//! through its parent's stored child list while the parent is unchanged, so
//! an edit to it waits for a run that reads the parent (or a `--full` run):
//! the listing an incremental run can afford does not see it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use engine::RunReport as PipelineReport;
use notion_mock::{MockServer, SyntheticConfig, Workspace};
use notion_source::client::SearchQuery;
use notion_source::model::SearchResult;
use serde_json::json;
use sink::{ChunkRecord, DeleteRecord, PageRecord};

use crate::support::*;

const BLOCK_CHILDREN: &str = "GET /v1/blocks/{id}/children";
const SEARCH: &str = "POST /v1/search";
const USERS: &str = "GET /v1/users";
const RETRIEVE_PAGE: &str = "GET /v1/pages/{id}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_nothing_changed_only_lists_and_writes_no_upserts() {
    let pages_total = 300;
    let ws = synthetic(pages_total, 31);
    let min = ws.min_requests();
    let crawled = ws.page_ids().len() as u64;
    let server = mock(ws).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let (first_chunks, first_pages) = (chunks(out.path()), pages(out.path()));

    server.reset_stats();
    let report = run_pipeline(&server, config(out.path())).await;
    let stats = server.stats();
    server.stop().await;

    let endpoints: Vec<&str> = stats.per_endpoint.keys().map(String::as_str).collect();
    assert_eq!(endpoints, [USERS, SEARCH], "{:?}", stats.per_endpoint);
    let searches = stats.per_endpoint[SEARCH];
    assert_eq!(searches, min.search);
    assert!(searches <= pages_total.div_ceil(100) as u64 + 1);
    assert_eq!(stats.per_endpoint[USERS], min.users);
    assert_eq!(report.crawl.progress.unchanged, crawled);
    assert_eq!(report.build.pages_written, 0);
    let export = report.export.as_ref().unwrap();
    assert_eq!((export.upserts, export.deletes), (0, 0));

    // The run's change set is published, and empty.
    let sets = change_sets(out.path());
    assert_eq!(sets.len(), 2);
    let last = &sets[1];
    assert_eq!(last.run_id, report.run_id);
    assert!(last.upserts.is_empty() && last.deletes.is_empty());
    // The snapshot is the previous one, row for row.
    assert_eq!(by_chunk_id(chunks(out.path())), by_chunk_id(first_chunks));
    assert_eq!(by_page_id(pages(out.path())), by_page_id(first_pages));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_percent_edited_is_refetched_alone_with_exact_upserts_and_deletes() {
    let ws = synthetic(400, 21);
    let server = mock(ws).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let before = by_chunk_id(chunks(out.path()));
    let pages_before = by_page_id(pages(out.path()));

    let edits = nightly_edits(&server, &before, &mut Seeded(5)).await;
    server.reset_stats();
    let report = run_pipeline(&server, config(out.path())).await;
    let stats = server.stats();
    let ws = server.workspace();
    server.stop().await;

    // Exactly the edited pages (and the parent that gained a child page)
    // were read: every block-children request reads one of them, and each
    // of them was read. Nothing else but the listing.
    let mut read = BTreeSet::new();
    for event in stats
        .timeline
        .iter()
        .filter(|e| e.endpoint == BLOCK_CHILDREN)
    {
        let id = event.path.split('/').nth(3).unwrap();
        read.insert(ws.page_of(id).expect("a block of a known page"));
    }
    assert_eq!(read, edits.touched(), "pages read again");
    let endpoints: BTreeSet<&str> = stats.per_endpoint.keys().map(String::as_str).collect();
    assert_eq!(endpoints, BTreeSet::from([USERS, SEARCH, BLOCK_CHILDREN]));

    let after = by_chunk_id(chunks(out.path()));
    let pages_after = by_page_id(pages(out.path()));
    // Pages whose Markdown changed: the edited ones at least.
    let changed: BTreeSet<String> = edits
        .touched()
        .into_iter()
        .filter(|p| {
            pages_before.get(p).map(|r| &r.markdown_hash) != Some(&pages_after[p].markdown_hash)
        })
        .collect();
    for page in edits.content_edited() {
        assert!(
            changed.contains(&page),
            "edited page {page} was not rewritten"
        );
    }
    assert_eq!(report.build.pages_written, changed.len() as u64);

    // Upserts: every chunk of the changed pages, as the snapshot has it.
    let set = change_sets(out.path()).pop().unwrap();
    assert_eq!(set.run_id, report.run_id);
    let upserts = unique_by_chunk_id(set.upserts);
    let expected: BTreeMap<&String, &ChunkRecord> = after
        .iter()
        .filter(|(_, c)| changed.contains(&c.page_id))
        .collect();
    assert_eq!(upserts.iter().collect::<BTreeMap<_, _>>(), expected);
    // Deletes: the chunks those pages no longer have (the shortened page's).
    let deletes = unique_deletes(&set.deletes);
    let gone: BTreeSet<String> = before
        .iter()
        .filter(|(id, c)| changed.contains(&c.page_id) && !after.contains_key(*id))
        .map(|(id, _)| id.clone())
        .collect();
    assert!(!gone.is_empty(), "the shortened page lost no chunk");
    assert_eq!(deletes.keys().cloned().collect::<BTreeSet<_>>(), gone);
    assert!(deletes.values().all(|d| d.reason == "chunk_removed"));
    // Every other chunk is untouched, row for row.
    for (id, chunk) in &before {
        if !changed.contains(&chunk.page_id) {
            assert_eq!(after.get(id), Some(chunk));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trashed_unshared_and_deleted_pages_become_deletes_of_all_their_chunks() {
    let ws = synthetic(300, 17);
    let server = mock(ws).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let before = by_chunk_id(chunks(out.path()));

    let removed = removals(&server, &before, &mut Seeded(9));
    server.reset_stats();
    let report = run_pipeline(&server, config(out.path())).await;
    let stats = server.stats();
    server.stop().await;

    let set = change_sets(out.path()).pop().unwrap();
    let deletes = unique_deletes(&set.deletes);
    let after = by_chunk_id(chunks(out.path()));
    for (pages, reason) in [
        (&removed.trashed, "trashed"),
        (&removed.unshared, "not_found"),
        (&removed.deleted, "not_found"),
    ] {
        let chunks_of: BTreeSet<&String> = before
            .iter()
            .filter(|(_, c)| pages.contains(&c.page_id))
            .map(|(id, _)| id)
            .collect();
        assert!(
            !chunks_of.is_empty(),
            "{reason}: the removed pages had no chunks"
        );
        for id in &chunks_of {
            let delete = deletes
                .get(*id)
                .unwrap_or_else(|| panic!("{reason}: chunk {id} is not deleted"));
            assert_eq!(delete.reason, reason, "chunk {id}");
            assert!(
                !after.contains_key(*id),
                "chunk {id} is still in the snapshot"
            );
        }
    }
    // Any other delete is a chunk a rewritten parent page no longer has.
    let removed_pages: HashSet<&String> = removed.all().collect();
    for delete in deletes.values() {
        if !removed_pages.contains(&delete.page_id) {
            assert_eq!(delete.reason, "chunk_removed", "{delete:?}");
            assert!(removed.hosts.contains(&delete.page_id), "{delete:?}");
        }
    }
    // Removed pages hold no chunk and are not `ok` in the snapshot.
    let page_rows = by_page_id(pages(out.path()));
    for page in &removed_pages {
        assert!(
            page_rows
                .get(*page)
                .is_none_or(|r| r.status != sink::PageStatus::Ok),
            "page {page}"
        );
    }
    // One retrieve per page the listing no longer found, at most.
    let retrieves = stats.per_endpoint.get(RETRIEVE_PAGE).copied().unwrap_or(0);
    assert!(
        retrieves <= removed.all().count() as u64,
        "{retrieves} retrieves"
    );
    let export = report.export.as_ref().unwrap();
    assert_eq!(export.deletes, deletes.len() as u64);
    let removed_with_chunks: HashSet<&String> = before
        .values()
        .map(|c| &c.page_id)
        .filter(|p| removed_pages.contains(p))
        .collect();
    assert_eq!(export.deleted_pages, removed_with_chunks.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_applying_every_change_set_holds_the_snapshot_and_a_full_crawl() {
    let ws = synthetic(250, 13);
    let server = mock(ws).await;
    let out = tempfile::tempdir().unwrap();
    let mut rng = Seeded(77);

    let check = |label: &str, report: &PipelineReport| {
        let snapshot: BTreeMap<String, (String, String)> = chunks(out.path())
            .into_iter()
            .map(|c| (c.chunk_id, (c.content_hash, c.text)))
            .collect();
        let consumer = replay(&change_sets(out.path()));
        assert_eq!(consumer.len(), snapshot.len(), "{label}: table size");
        assert!(
            consumer == snapshot,
            "{label}: the consumer's table differs from the snapshot"
        );
        assert!(
            report.crawl.failures.is_empty(),
            "{label}: {:?}",
            report.crawl.failures
        );
    };

    let report = run_pipeline(&server, config(out.path())).await;
    check("first run", &report);
    let before = by_chunk_id(chunks(out.path()));
    nightly_edits(&server, &before, &mut rng).await;
    let report = run_pipeline(&server, config(out.path())).await;
    check("after edits", &report);
    let before = by_chunk_id(chunks(out.path()));
    removals(&server, &before, &mut rng);
    nightly_edits(&server, &before, &mut rng).await;
    let report = run_pipeline(&server, config(out.path())).await;
    check("after removals and edits", &report);
    let report = run_pipeline(&server, config(out.path())).await;
    check("with nothing changed", &report);
    assert_eq!(change_sets(out.path()).len(), 4);

    // And the incremental result is what a full crawl of the edited
    // workspace gives.
    let full = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(full.path())).await;
    server.stop().await;
    assert_same_output(out.path(), full.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_kills_and_restarts_end_where_an_uninterrupted_run_does() {
    let ws = synthetic(150, 41);
    let server = mock(ws).await;
    let steady = tempfile::tempdir().unwrap();
    let killed = tempfile::tempdir().unwrap();
    let mut rng = Seeded(2026);
    let mut kills: Vec<Kill> = Vec::new();
    let mut attempts = 0;

    // The first run, a complete crawl, killed six times at random moments.
    run_to_end(&server, steady.path(), FAST).await;
    while kills.len() < 6 && attempts < 20 {
        attempts += 1;
        match attempt(
            &server,
            killed.path(),
            FIRST_RUN_RATE,
            KillPlan::Anytime,
            &mut rng,
        )
        .await
        {
            Some(kill) => kills.push(kill),
            None => break, // it finished before the kill
        }
    }
    run_to_end(&server, killed.path(), FIRST_RUN_RATE).await;

    // A night of edits, then the incremental run, killed until ten kills
    // landed, two of them while the export was writing.
    let before = by_chunk_id(chunks(steady.path()));
    removals(&server, &before, &mut rng);
    nightly_edits(&server, &before, &mut rng).await;
    run_to_end(&server, steady.path(), FAST).await;
    let in_export = |kills: &[Kill]| kills.iter().filter(|k| k.in_export).count();
    while (kills.len() < 10 || in_export(&kills) < 2) && attempts < 40 {
        attempts += 1;
        let plan = if in_export(&kills) >= 2 || kills.len() % 2 == 1 {
            KillPlan::Anytime
        } else {
            KillPlan::DuringExport
        };
        if let Some(kill) = attempt(&server, killed.path(), NIGHT_RATE, plan, &mut rng).await {
            kills.push(kill);
        }
    }
    run_to_end(&server, killed.path(), NIGHT_RATE).await;
    server.stop().await;
    eprintln!("{attempts} attempts, kills: {kills:?}");
    assert!(kills.len() >= 10, "only {} kills landed", kills.len());
    assert!(in_export(&kills) >= 2, "no kill landed during an export");

    assert_same_output(killed.path(), steady.path());
    // Nothing duplicated or lost across the attempts: each run published one
    // change set with every chunk id once, the same as the uninterrupted
    // runs' (a run that finished before a kill adds an empty one), and
    // applying them gives the snapshot.
    let steady_sets = change_sets(steady.path());
    let killed_sets: Vec<ChangeSetRead> = change_sets(killed.path())
        .into_iter()
        .filter(|s| !s.upserts.is_empty() || !s.deletes.is_empty())
        .collect();
    assert_eq!(killed_sets.len(), steady_sets.len());
    for (k, s) in killed_sets.iter().zip(&steady_sets) {
        let strip = |set: &ChangeSetRead| {
            let upserts: BTreeMap<String, ChunkRecord> = unique_by_chunk_id(set.upserts.clone())
                .into_iter()
                .map(|(id, c)| (id, without_run(c)))
                .collect();
            let deletes: BTreeMap<String, (String, String)> = unique_deletes(&set.deletes)
                .into_iter()
                .map(|(id, d)| (id, (d.page_id.clone(), d.reason.clone())))
                .collect();
            (upserts, deletes)
        };
        assert!(
            strip(k) == strip(s),
            "change set {} differs from {}",
            k.run_id,
            s.run_id
        );
    }
    let snapshot: BTreeMap<String, (String, String)> = chunks(killed.path())
        .into_iter()
        .map(|c| (c.chunk_id, (c.content_hash, c.text)))
        .collect();
    assert!(replay(&change_sets(killed.path())) == snapshot);
}

// ---------------------------------------------------------------------------
// Edits

/// What [`nightly_edits`] did.
struct Edits {
    /// Rewritten to one short paragraph (it had three chunks or more).
    shortened: String,
    /// A paragraph appended.
    extended: String,
    /// One block's text changed.
    block_edited: String,
    /// A page added under `host`.
    added: String,
    /// The page that gained the added page.
    host: String,
}

impl Edits {
    /// Pages whose text changed.
    fn content_edited(&self) -> [String; 4] {
        [
            self.shortened.clone(),
            self.extended.clone(),
            self.block_edited.clone(),
            self.added.clone(),
        ]
    }

    /// Every page whose `last_edited_time` moved.
    fn touched(&self) -> BTreeSet<String> {
        self.content_edited()
            .into_iter()
            .chain([self.host.clone()])
            .collect()
    }
}

/// A night's edits of about 1% of a few hundred pages, each on a different
/// page search lists: one page shortened, one extended, one block changed,
/// one page added under another.
async fn nightly_edits(
    server: &MockServer,
    chunks: &BTreeMap<String, ChunkRecord>,
    rng: &mut Seeded,
) -> Edits {
    let ws = server.workspace();
    let listed = searchable_pages(server).await;
    let mut per_page: HashMap<&str, usize> = HashMap::new();
    for c in chunks.values() {
        *per_page.entry(c.page_id.as_str()).or_default() += 1;
    }
    let mut candidates: Vec<String> = ws
        .page_ids()
        .into_iter()
        .filter(|p| listed.contains(p) && per_page.contains_key(p.as_str()))
        .collect();
    let mut take = |rng: &mut Seeded, fits: &dyn Fn(&str) -> bool| {
        let fitting: Vec<usize> = (0..candidates.len())
            .filter(|i| fits(&candidates[*i]))
            .collect();
        assert!(!fitting.is_empty(), "no page fits an edit");
        candidates.remove(fitting[rng.below(fitting.len())])
    };
    let shortened = take(rng, &|p| per_page[p] >= 3);
    let block = |p: &str| {
        ws.page_tree_json(p).and_then(|tree| {
            tree["blocks"]
                .as_array()?
                .iter()
                .find(|b| b["type"] == "paragraph")
                .and_then(|b| b["id"].as_str().map(str::to_string))
        })
    };
    let block_edited = take(rng, &|p| block(p).is_some());
    let extended = take(rng, &|_| true);
    let host = take(rng, &|_| true);
    let n = rng.next();
    server
        .edit(|ws| -> Result<String, notion_mock::EditError> {
            ws.set_page_text(&shortened, &[&format!("Shortened tonight ({n}).")])?;
            ws.set_block_text(
                &block(&block_edited).unwrap(),
                &format!("Changed tonight ({n})."),
            )?;
            ws.append_paragraph(&extended, &format!("Added tonight ({n})."))?;
            ws.add_page(
                Some(&host),
                &format!("Notes of night {n}"),
                json!([{"heading_2": "Decisions"}, {"paragraph": format!("Ship release {n}.")}]),
            )
        })
        .map(|added| Edits {
            shortened,
            extended,
            block_edited,
            added,
            host,
        })
        .unwrap()
}

/// What [`removals`] took out of the crawl.
struct Removed {
    trashed: Vec<String>,
    unshared: Vec<String>,
    deleted: Vec<String>,
    /// Pages whose content lost a child page (their time moved).
    hosts: Vec<String>,
}

impl Removed {
    fn all(&self) -> impl Iterator<Item = &String> {
        self.trashed
            .iter()
            .chain(&self.unshared)
            .chain(&self.deleted)
    }
}

/// Trashes a child page that has child pages of its own, stops sharing a
/// top-level page (with everything under it) and deletes a leaf page; each
/// held chunks.
fn removals(
    server: &MockServer,
    chunks: &BTreeMap<String, ChunkRecord>,
    rng: &mut Seeded,
) -> Removed {
    let ws = server.workspace();
    let with_chunks: HashSet<&str> = chunks.values().map(|c| c.page_id.as_str()).collect();
    let tree = |p: &str| ws.page_tree_json(p).unwrap();
    let has_child_page = |p: &str| {
        tree(p)["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["type"] == "child_page")
    };
    let parent_type = |p: &str| {
        tree(p)["page"]["parent"]["type"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let pick = |rng: &mut Seeded, fits: &dyn Fn(&str) -> bool, taken: &[String]| {
        let fitting: Vec<String> = ws
            .page_ids()
            .into_iter()
            .filter(|p| with_chunks.contains(p.as_str()) && fits(p) && !taken.contains(p))
            .collect();
        assert!(!fitting.is_empty(), "no page fits a removal");
        fitting[rng.below(fitting.len())].clone()
    };
    let to_trash = pick(
        rng,
        &|p| parent_type(p) == "page_id" && has_child_page(p),
        &[],
    );
    let trash_host = tree(&to_trash)["page"]["parent"]["page_id"]
        .as_str()
        .unwrap()
        .to_string();
    let trashed = server.edit(|ws| ws.trash_page(&to_trash)).unwrap();
    // The top-level page above the trashed one stays shared.
    let mut top = to_trash.clone();
    while let Some(parent) = tree(&top)["page"]["parent"]["page_id"].as_str() {
        top = parent.to_string();
    }
    let to_unshare = pick(
        rng,
        &|p| parent_type(p) == "workspace" && has_child_page(p) && p != top,
        &trashed,
    );
    let unshared = server.edit(|ws| ws.unshare_page(&to_unshare)).unwrap();
    let taken: Vec<String> = trashed.iter().chain(&unshared).cloned().collect();
    let to_delete = pick(
        rng,
        &|p| parent_type(p) == "page_id" && !has_child_page(p),
        &taken,
    );
    let delete_host = tree(&to_delete)["page"]["parent"]["page_id"]
        .as_str()
        .unwrap()
        .to_string();
    let deleted = server.edit(|ws| ws.delete_page(&to_delete)).unwrap();
    Removed {
        trashed,
        unshared,
        deleted,
        hosts: vec![trash_host, delete_host],
    }
}

/// Ids of the pages search returns: what an incremental run lists.
async fn searchable_pages(server: &MockServer) -> HashSet<String> {
    let client = fast_client(server);
    let mut ids = HashSet::new();
    let mut cursor = None;
    loop {
        let page = client
            .search(&SearchQuery::default(), cursor.as_deref())
            .await
            .unwrap();
        for result in page.results {
            if let SearchResult::Page(p) = result {
                ids.insert(p.id);
            }
        }
        match page.next_cursor {
            Some(next) if page.has_more => cursor = Some(next),
            _ => break,
        }
    }
    ids
}

// ---------------------------------------------------------------------------
// Killing the binary

/// The client's pace (requests per second) for runs that are not killed,
/// and for killed ones: slow enough for a kill to land mid-crawl.
const FAST: &str = "1000";
const FIRST_RUN_RATE: &str = "40";
const NIGHT_RATE: &str = "15";

/// Where a kill is aimed.
#[derive(Debug, Clone, Copy)]
enum KillPlan {
    /// At a random moment of the run.
    Anytime,
    /// Shortly after the export started writing the change set.
    DuringExport,
}

/// Where a kill landed.
#[derive(Debug)]
#[allow(dead_code)] // `plan` and `after_ms` are for the log
struct Kill {
    plan: KillPlan,
    after_ms: u64,
    /// The export had started writing when the kill was sent.
    in_export: bool,
}

fn start(server: &MockServer, out: &Path, rate: &str) -> Child {
    Command::new(binary())
        .args([
            "run",
            "--no-progress",
            "--json",
            "--rate",
            rate,
            "--api-url",
            &server.url(),
            "--out",
        ])
        .arg(out)
        .env("NOTION_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `notion-ingest run` to the end; it must succeed.
async fn run_to_end(server: &MockServer, out: &Path, rate: &str) {
    let child = start(server, out, rate);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether the export has begun: a change set is being staged.
fn export_started(out: &Path) -> bool {
    std::fs::read_dir(out.join(sink::CHANGES_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with('.'))
}

/// Starts a run and kills it with SIGKILL as `plan` says. `None` when
/// the run finished before the kill.
async fn attempt(
    server: &MockServer,
    out: &Path,
    rate: &str,
    plan: KillPlan,
    rng: &mut Seeded,
) -> Option<Kill> {
    let mut child = start(server, out, rate);
    let started = std::time::Instant::now();
    let mut in_export = false;
    match plan {
        KillPlan::Anytime => {
            let delay = Duration::from_millis(100 + rng.below(1400) as u64);
            tokio::time::sleep(delay).await;
        }
        KillPlan::DuringExport => {
            while child.try_wait().unwrap().is_none() {
                if export_started(out) {
                    in_export = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let delay = Duration::from_millis(rng.below(40) as u64);
            tokio::time::sleep(delay).await;
        }
    }
    if child.try_wait().unwrap().is_some() {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    Some(Kill {
        plan,
        after_ms: started.elapsed().as_millis() as u64,
        in_export,
    })
}

// ---------------------------------------------------------------------------
// Reading the output back

/// A consumer's table after applying every change set in order (upserts,
/// then deletes): chunk id to content hash and text.
fn replay(sets: &[ChangeSetRead]) -> BTreeMap<String, (String, String)> {
    let mut table = BTreeMap::new();
    for set in sets {
        for c in &set.upserts {
            table.insert(c.chunk_id.clone(), (c.content_hash.clone(), c.text.clone()));
        }
        for d in &set.deletes {
            table.remove(&d.chunk_id);
        }
    }
    table
}

fn by_chunk_id(chunks: Vec<ChunkRecord>) -> BTreeMap<String, ChunkRecord> {
    unique_by_chunk_id(chunks)
}

/// Chunks by id; a chunk id present twice fails the test.
fn unique_by_chunk_id(chunks: Vec<ChunkRecord>) -> BTreeMap<String, ChunkRecord> {
    let mut map = BTreeMap::new();
    for c in chunks {
        let id = c.chunk_id.clone();
        assert!(map.insert(id.clone(), c).is_none(), "chunk {id} twice");
    }
    map
}

/// Deletes by chunk id; a chunk id present twice fails the test.
fn unique_deletes(deletes: &[DeleteRecord]) -> BTreeMap<String, &DeleteRecord> {
    let mut map = BTreeMap::new();
    for d in deletes {
        assert!(
            map.insert(d.chunk_id.clone(), d).is_none(),
            "delete of {} twice",
            d.chunk_id
        );
    }
    map
}

fn by_page_id(pages: Vec<PageRecord>) -> BTreeMap<String, PageRecord> {
    let mut map = BTreeMap::new();
    for p in pages {
        let id = p.page_id.clone();
        assert!(map.insert(id.clone(), p).is_none(), "page {id} twice");
    }
    map
}

/// A chunk without what names the run that wrote it.
fn without_run(c: ChunkRecord) -> ChunkRecord {
    ChunkRecord {
        run_id: String::new(),
        ingested_at: Default::default(),
        ..c
    }
}

/// Checks that two output directories publish the same snapshot: chunk
/// and page rows by id, except the run id and ingestion time.
fn assert_same_output(a: &Path, b: &Path) {
    let chunks_of = |out: &Path| -> BTreeMap<String, ChunkRecord> {
        by_chunk_id(chunks(out))
            .into_iter()
            .map(|(id, c)| (id, without_run(c)))
            .collect()
    };
    let pages_of = |out: &Path| -> BTreeMap<String, PageRecord> {
        by_page_id(pages(out))
            .into_iter()
            .map(|(id, p)| {
                let p = PageRecord {
                    run_id: String::new(),
                    ingested_at: Default::default(),
                    ..p
                };
                (id, p)
            })
            .collect()
    };
    let (ca, cb) = (chunks_of(a), chunks_of(b));
    let only_a: Vec<&String> = ca.keys().filter(|k| !cb.contains_key(*k)).collect();
    let only_b: Vec<&String> = cb.keys().filter(|k| !ca.contains_key(*k)).collect();
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "chunks only in one output: {only_a:?} / {only_b:?}"
    );
    for (id, chunk) in &ca {
        assert_eq!(chunk, &cb[id], "chunk {id}");
    }
    let (pa, pb) = (pages_of(a), pages_of(b));
    assert_eq!(
        pa.keys().collect::<Vec<_>>(),
        pb.keys().collect::<Vec<_>>(),
        "page ids"
    );
    for (id, page) in &pa {
        assert_eq!(page, &pb[id], "page {id}");
    }
}

// ---------------------------------------------------------------------------
// Setup

fn synthetic(pages: usize, seed: u64) -> Workspace {
    Workspace::synthetic(&SyntheticConfig {
        pages,
        seed,
        ..SyntheticConfig::default()
    })
}

/// The tests' seeded choices (splitmix64).
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
