//! The engine's contract, over HTTP against the mock: the output is a pure
//! function of the workspace and the settings (whatever the concurrency,
//! the listing order, or the path of full and incremental runs that led
//! there); new chunk settings rebuild from the store with listing requests
//! only; what leaves the scope is deleted; a partial run costs exactly its
//! pages' requests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use engine::{PartialScope, RunOptions, Scope};
use notion_mock::{MockConfig, MockServer, SyntheticConfig, Workspace};
use serde_json::Value;

use crate::support::*;

const SEARCH: &str = "POST /v1/search";
const USERS: &str = "GET /v1/users";
const RETRIEVE_PAGE: &str = "GET /v1/pages/{id}";
const BLOCK_CHILDREN: &str = "GET /v1/blocks/{id}/children";

/// What may not depend on how the output was made: every page's Markdown,
/// and every chunk's id, page and content hash.
#[derive(Debug, PartialEq, Eq)]
struct Output {
    markdown: BTreeMap<String, Option<String>>,
    chunks: BTreeMap<String, (String, String)>,
}

fn output(out: &Path) -> Output {
    Output {
        markdown: pages(out)
            .into_iter()
            .map(|p| (p.page_id, p.markdown))
            .collect(),
        chunks: chunks(out)
            .into_iter()
            .map(|c| (c.chunk_id, (c.page_id, c.content_hash)))
            .collect(),
    }
}

/// A synthetic workspace whose pages mention and link to each other and
/// whose rows relate to each other.
fn referencing(pages: usize, seed: u64) -> Workspace {
    Workspace::synthetic(&SyntheticConfig {
        pages,
        seed,
        reference_share: 0.3,
        ..SyntheticConfig::default()
    })
}

async fn crawl(ws: &Workspace, mock: MockConfig, concurrency: usize, out: &Path) {
    let server = MockServer::start(ws.clone(), mock).await.unwrap();
    let mut config = config(out);
    config.crawl.pages_in_flight = concurrency;
    let report = run_pipeline(&server, config).await;
    server.stop().await;
    assert!(
        report.crawl.failures.is_empty(),
        "{:?}",
        report.crawl.failures
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_and_listing_order_change_not_a_byte() {
    for ws in [Workspace::kitchen_sink(), referencing(120, 5)] {
        let base = tempfile::tempdir().unwrap();
        crawl(&ws, MockConfig::unlimited(), 1, base.path()).await;
        let expected = output(base.path());
        let linked = expected
            .markdown
            .values()
            .flatten()
            .filter(|m| m.contains("](https://www.notion.so/"))
            .count();
        assert!(linked > 5, "only {linked} pages link to pages");
        for (seed, concurrency) in [(11, 8), (12, 3)] {
            let out = tempfile::tempdir().unwrap();
            let shuffled = MockConfig {
                listing_order_seed: Some(seed),
                ..MockConfig::unlimited()
            };
            crawl(&ws, shuffled, concurrency, out.path()).await;
            assert_eq!(
                output(out.path()),
                expected,
                "listing order {seed}, concurrency {concurrency}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_runs_after_edits_and_renames_equal_a_full_crawl() {
    let ws = referencing(150, 8);
    let server = mock(ws).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let first = output(out.path());

    // Rename three pages that others link to, and edit two pages' text.
    let linked_to = |id: &str| {
        let url = format!("https://www.notion.so/{}", id.replace('-', ""));
        first
            .markdown
            .iter()
            .filter(|(page, m)| *page != id && m.as_ref().is_some_and(|m| m.contains(&url)))
            .count()
    };
    let mut targets: Vec<String> = first
        .markdown
        .keys()
        .filter(|id| linked_to(id) > 0)
        .cloned()
        .collect();
    targets.truncate(3);
    assert_eq!(targets.len(), 3, "the workspace links to too few pages");
    for (i, id) in targets.iter().enumerate() {
        server.edit(|ws| ws.set_title(id, &format!("Renamed target {i}")).unwrap());
    }
    let edited: Vec<String> = first.markdown.keys().rev().take(2).cloned().collect();
    for id in &edited {
        server.edit(|ws| {
            ws.set_page_text(id, &["A new text after an edit."])
                .unwrap()
        });
    }
    let report = run_pipeline(&server, config(out.path())).await;
    assert!(report.crawl.failures.is_empty());
    let incremental = output(out.path());

    // The pages that link to a renamed page show its new title.
    for (i, id) in targets.iter().enumerate() {
        let url = format!("https://www.notion.so/{}", id.replace('-', ""));
        let title = format!("[Renamed target {i}]({url}");
        let showing = incremental
            .markdown
            .values()
            .flatten()
            .filter(|m| m.contains(&title))
            .count();
        assert!(
            showing >= linked_to(id),
            "{id} renamed: {showing} pages show it"
        );
    }

    // A full crawl of the edited workspace, from scratch, writes the same.
    let edited_ws = server.workspace();
    server.stop().await;
    let fresh = tempfile::tempdir().unwrap();
    crawl(&edited_ws, MockConfig::unlimited(), 8, fresh.path()).await;
    assert_eq!(incremental, output(fresh.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_chunk_settings_rebuild_from_the_store_with_listing_requests_only() {
    let ws = referencing(200, 3);
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let before = chunks(out.path());

    server.reset_stats();
    let mut smaller = config(out.path());
    smaller.chunk.max_tokens = 200;
    smaller.chunk.min_tokens = 32;
    let report = run_pipeline(&server, smaller.clone()).await;
    let stats = server.stats();
    server.stop().await;
    let endpoints: BTreeSet<&str> = stats.per_endpoint.keys().map(String::as_str).collect();
    assert_eq!(
        endpoints,
        BTreeSet::from([SEARCH, USERS]),
        "{:?}",
        stats.per_endpoint
    );
    let ok_pages = pages(out.path())
        .iter()
        .filter(|p| p.status == sink::PageStatus::Ok)
        .count() as u64;
    assert_eq!(report.rebuilt_from_store, ok_pages);
    assert!(
        chunks(out.path()).len() > before.len(),
        "smaller chunks, more of them"
    );

    // Exactly what a full crawl with the new settings writes.
    let fresh = tempfile::tempdir().unwrap();
    let server = mock(ws).await;
    let mut full = smaller;
    full.state_dir = fresh.path().to_path_buf();
    full.publisher = std::sync::Arc::new(sink::LocalDir::new(fresh.path(), 2));
    run_pipeline(&server, full).await;
    server.stop().await;
    assert_eq!(output(out.path()), output(fresh.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluding_a_subtree_deletes_its_pages_as_excluded_without_requests() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 150,
        seed: 4,
        ..SyntheticConfig::default()
    });
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let before = chunks(out.path());
    let page_rows = pages(out.path());

    // A page with child pages, not a top-level one.
    let parent_of: BTreeMap<&str, &str> = page_rows
        .iter()
        .filter_map(|p| Some((p.page_id.as_str(), p.parent_id.as_deref()?)))
        .collect();
    let under = |root: &str| -> BTreeSet<String> {
        page_rows
            .iter()
            .filter(|p| {
                let mut at = p.page_id.as_str();
                loop {
                    if at == root {
                        return true;
                    }
                    match parent_of.get(at) {
                        Some(up) => at = up,
                        None => return false,
                    }
                }
            })
            .map(|p| p.page_id.clone())
            .collect()
    };
    let excluded = page_rows
        .iter()
        .filter(|p| p.parent_type.as_deref() == Some("page_id"))
        .map(|p| p.page_id.clone())
        .find(|id| under(id).len() >= 3)
        .expect("a page with a subtree");
    let subtree = under(&excluded);

    server.reset_stats();
    let mut narrowed = config(out.path());
    narrowed.crawl.exclude.insert(excluded.clone());
    let report = run_pipeline(&server, narrowed).await;
    let stats = server.stats();
    server.stop().await;
    assert_eq!(
        stats.per_endpoint.get(RETRIEVE_PAGE),
        None,
        "{:?}",
        stats.per_endpoint
    );
    let left: BTreeSet<String> = pages(out.path()).into_iter().map(|p| p.page_id).collect();
    assert!(
        left.is_disjoint(&subtree),
        "excluded pages stay in the snapshot"
    );
    let set = change_sets(out.path()).pop().unwrap();
    assert_eq!(set.run_id, report.run_id);
    let expected: BTreeSet<&String> = before
        .iter()
        .filter(|c| subtree.contains(&c.page_id))
        .map(|c| &c.chunk_id)
        .collect();
    let deleted: BTreeSet<&String> = set
        .deletes
        .iter()
        .filter(|d| d.reason == "excluded")
        .map(|d| &d.chunk_id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(deleted, expected);
}

/// The block-children requests one page needs: its own list and every
/// nested container's, 100 children a request.
/// Asserts that the mock answered exactly what reading `pages` again
/// costs: one page retrieve each and their block walks, nothing else (no
/// listing).
pub(crate) fn assert_read_exactly(
    stats: &notion_mock::Stats,
    workspace: &Workspace,
    pages: &[String],
) {
    let expected_children: u64 = pages
        .iter()
        .map(|id| workspace.page_block_requests(id).unwrap())
        .sum();
    let retrieves = pages.len() as u64;
    assert_eq!(
        stats.per_endpoint.get(RETRIEVE_PAGE),
        Some(&retrieves),
        "{:?}",
        stats.per_endpoint
    );
    assert_eq!(
        stats.per_endpoint.get(BLOCK_CHILDREN),
        Some(&expected_children)
    );
    assert_eq!(
        stats.total,
        retrieves + expected_children,
        "{:?}",
        stats.per_endpoint
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_run_over_three_pages_of_a_thousand_costs_exactly_their_requests() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 1000,
        seed: 12,
        ..SyntheticConfig::default()
    });
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let before = output(out.path());

    let chosen: Vec<String> = ws
        .page_ids()
        .into_iter()
        .filter(|id| {
            ws.page_tree_json(id)
                .is_some_and(|t| t["page"]["parent"]["type"] == "page_id")
        })
        .step_by(97)
        .take(3)
        .collect();
    for id in &chosen {
        server.edit(|ws| {
            ws.append_paragraph(id, "Appended by a webhook's edit.")
                .unwrap()
        });
    }
    let edited = server.workspace();
    server.reset_stats();
    let options = RunOptions {
        scope: Scope::Partial(PartialScope {
            pages: chosen.clone(),
            data_sources: Vec::new(),
        }),
        ..RunOptions::default()
    };
    let report = engine::run(fast_client(&server), config(out.path()), options)
        .await
        .unwrap();
    let stats = server.stats();
    server.stop().await;

    assert_read_exactly(&stats, &edited, &chosen);
    for event in &stats.timeline {
        let id = event.path.split('/').nth(3).unwrap_or_default();
        let page = edited.page_of(id).unwrap_or_default();
        assert!(
            chosen.contains(&page),
            "a request outside the chosen pages: {}",
            event.path
        );
    }
    // Only those pages' chunks changed.
    let after = output(out.path());
    for (page, markdown) in &after.markdown {
        if chosen.contains(page) {
            assert!(
                markdown
                    .as_ref()
                    .unwrap()
                    .contains("Appended by a webhook's edit.")
            );
        } else {
            assert_eq!(Some(markdown), before.markdown.get(page), "{page} changed");
        }
    }
    let upserted: BTreeSet<String> = change_sets(out.path())
        .pop()
        .unwrap()
        .upserts
        .into_iter()
        .map(|c| c.page_id)
        .collect();
    assert_eq!(upserted, chosen.iter().cloned().collect());
    assert_eq!(report.scope, "partial");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shrinking_the_roots_deletes_what_they_no_longer_cover() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 120,
        seed: 6,
        ..SyntheticConfig::default()
    });
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let before = pages(out.path());
    let top: Vec<&sink::PageRecord> = before
        .iter()
        .filter(|p| p.parent_type.as_deref() == Some("workspace"))
        .collect();
    assert!(top.len() >= 2, "{} top-level pages", top.len());
    let kept_root = top[0].page_id.clone();

    server.reset_stats();
    let mut narrowed = config(out.path());
    narrowed.crawl.roots = vec![notion_source::crawler::Root::Page(kept_root.clone())];
    let report = run_pipeline(&server, narrowed).await;
    let stats = server.stats();
    server.stop().await;
    // One retrieve: the root's own metadata; nothing retrieved to delete.
    assert_eq!(
        stats.per_endpoint.get(RETRIEVE_PAGE),
        Some(&1),
        "{:?}",
        stats.per_endpoint
    );
    let after = pages(out.path());
    assert!(after.iter().any(|p| p.page_id == kept_root));
    assert!(after.len() < before.len());
    let left: BTreeSet<&str> = after.iter().map(|p| p.page_id.as_str()).collect();
    let gone: BTreeSet<&str> = before
        .iter()
        .map(|p| p.page_id.as_str())
        .filter(|id| !left.contains(id))
        .collect();
    let set = change_sets(out.path()).pop().unwrap();
    assert_eq!(set.run_id, report.run_id);
    let deleted_pages: BTreeSet<&str> = set
        .deletes
        .iter()
        .map(|d| {
            assert_eq!(d.reason, "excluded");
            d.page_id.as_str()
        })
        .collect();
    let gone_with_chunks: BTreeSet<&str> = chunks_before_pages(&before)
        .into_iter()
        .filter(|id| gone.contains(id))
        .collect();
    assert_eq!(deleted_pages, gone_with_chunks);
}

/// The ids of pages that had chunks.
fn chunks_before_pages(pages: &[sink::PageRecord]) -> BTreeSet<&str> {
    pages
        .iter()
        .filter(|p| p.chunk_count > 0)
        .map(|p| p.page_id.as_str())
        .collect()
}

/// Widening the roots reads only what they newly cover: the widening run
/// makes exactly the block requests a fresh crawl of the new root alone
/// makes, upserts only the new pages' chunks and deletes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widening_the_roots_reads_only_the_new_pages() {
    use notion_source::crawler::Root;
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 120,
        seed: 6,
        ..SyntheticConfig::default()
    });
    let server = mock(ws.clone()).await;
    let scratch = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(scratch.path())).await;
    let top: Vec<String> = pages(scratch.path())
        .into_iter()
        .filter(|p| p.parent_type.as_deref() == Some("workspace"))
        .map(|p| p.page_id)
        .collect();
    assert!(top.len() >= 2, "{} top-level pages", top.len());
    let (old_root, new_root) = (Root::Page(top[0].clone()), Root::Page(top[1].clone()));

    // The new root alone, into a fresh output: what its pages cost.
    let alone = tempfile::tempdir().unwrap();
    server.reset_stats();
    let mut only_new = config(alone.path());
    only_new.crawl.roots = vec![new_root.clone()];
    run_pipeline(&server, only_new).await;
    let alone_blocks = server.stats().per_endpoint.get(BLOCK_CHILDREN).copied();
    let new_pages: BTreeSet<String> = chunks(alone.path())
        .into_iter()
        .map(|c| c.page_id)
        .collect();
    assert!(!new_pages.is_empty());

    // The old root, then both.
    let out = tempfile::tempdir().unwrap();
    let mut narrow = config(out.path());
    narrow.crawl.roots = vec![old_root.clone()];
    run_pipeline(&server, narrow).await;
    let old_pages: BTreeSet<String> = chunks(out.path()).into_iter().map(|c| c.page_id).collect();
    assert!(old_pages.is_disjoint(&new_pages));
    server.reset_stats();
    let mut wide = config(out.path());
    wide.crawl.roots = vec![old_root, new_root];
    let report = run_pipeline(&server, wide).await;
    let stats = server.stats();
    server.stop().await;

    assert_eq!(
        stats.per_endpoint.get(BLOCK_CHILDREN).copied(),
        alone_blocks,
        "only the new pages' blocks are read: {:?}",
        stats.per_endpoint
    );
    let set = change_sets(out.path()).pop().unwrap();
    assert_eq!(set.run_id, report.run_id);
    let upserted: BTreeSet<String> = set.upserts.iter().map(|c| c.page_id.clone()).collect();
    assert_eq!(upserted, new_pages, "upserts are the new pages' chunks");
    assert!(set.deletes.is_empty(), "{:?}", set.deletes.len());
    let now: BTreeSet<String> = chunks(out.path()).into_iter().map(|c| c.page_id).collect();
    assert_eq!(now, old_pages.union(&new_pages).cloned().collect());
}

/// Sets `last_edited_time` of the page `id` in a dataset written by
/// [`Workspace::to_json`].
fn set_edit_time(dataset: &mut Value, id: &str, time: &str) {
    let compact = |s: &str| s.replace('-', "");
    match dataset {
        Value::Object(map) => {
            if map.get("id").and_then(Value::as_str).map(compact) == Some(compact(id))
                && map.contains_key("last_edited_time")
            {
                map.insert("last_edited_time".into(), Value::String(time.into()));
            }
            map.values_mut().for_each(|v| set_edit_time(v, id, time));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| set_edit_time(v, id, time)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recheck_window_runs_on_notions_clock_whatever_the_local_one_says() {
    for minutes in [10, -10] {
        let offset = chrono::TimeDelta::minutes(minutes);
        let base = Workspace::synthetic(&SyntheticConfig {
            pages: 40,
            seed: 21,
            ..SyntheticConfig::default()
        });
        let nested: Vec<String> = base
            .page_ids()
            .into_iter()
            .filter(|id| {
                base.page_tree_json(id)
                    .is_some_and(|t| t["page"]["parent"]["type"] == "page_id")
            })
            .collect();
        let (edited_id, recent_id) = (nested[0].clone(), nested[1].clone());
        // One page edited 5 minutes before the first run on Notion's clock:
        // outside the 2-minute window, never read again while unchanged.
        let five_ago = (chrono::Utc::now() + offset - chrono::TimeDelta::minutes(5))
            .format("%Y-%m-%dT%H:%M:00.000Z")
            .to_string();
        let mut dataset = base.to_json();
        set_edit_time(&mut dataset, &recent_id, &five_ago);
        let ws = Workspace::from_json(dataset).unwrap();
        let mock = MockConfig {
            clock_offset: offset,
            ..MockConfig::unlimited()
        };
        let server = MockServer::start(ws, mock).await.unwrap();
        // Edited just before the first run, and again after it, most likely
        // in the same minute: Notion's rounded edit time does not move.
        server.edit(|ws| ws.append_paragraph(&edited_id, "First edit.").unwrap());
        let out = tempfile::tempdir().unwrap();
        run_pipeline(&server, config(out.path())).await;
        server.edit(|ws| {
            ws.append_paragraph(&edited_id, "Second edit, same minute.")
                .unwrap()
        });
        let edited = server.workspace();
        server.reset_stats();
        run_pipeline(&server, config(out.path())).await;
        let stats = server.stats();
        server.stop().await;

        let markdown = pages(out.path())
            .into_iter()
            .find(|p| p.page_id == edited_id)
            .and_then(|p| p.markdown)
            .unwrap();
        assert!(
            markdown.contains("Second edit, same minute."),
            "clock {minutes:+} min: the edit was missed"
        );
        // Only the edited page's content was read again.
        assert_eq!(
            stats.per_endpoint.get(BLOCK_CHILDREN),
            Some(&edited.page_block_requests(&edited_id).unwrap()),
            "clock {minutes:+} min: {:?}",
            stats.per_endpoint
        );
    }
}

/// What a consumer holds after applying every published change set in run
/// order (deletes, then upserts): chunk id → content hash.
fn replayed(out: &Path) -> BTreeMap<String, String> {
    let mut held = BTreeMap::new();
    for set in change_sets(out) {
        for delete in set.deletes {
            held.remove(&delete.chunk_id);
        }
        for chunk in set.upserts {
            held.insert(chunk.chunk_id, chunk.content_hash);
        }
    }
    held
}

/// The published snapshot's chunk ids and content hashes.
fn snapshot_hashes(out: &Path) -> BTreeMap<String, String> {
    chunks(out)
        .into_iter()
        .map(|c| (c.chunk_id, c.content_hash))
        .collect()
}

/// Edits that change content, add and trash pages.
fn edit_some(server: &MockServer, ws: &Workspace, step: usize, salt: &str) -> Vec<String> {
    let ids: Vec<String> = ws
        .page_ids()
        .into_iter()
        .filter(|id| {
            ws.page_tree_json(id)
                .is_some_and(|t| t["page"]["parent"]["type"] == "page_id")
        })
        .step_by(step)
        .take(8)
        .collect();
    for (i, id) in ids.iter().enumerate() {
        server
            .edit(|ws| {
                if i % 4 == 3 {
                    ws.trash_page(id).map(drop)
                } else {
                    ws.set_page_text(
                        id,
                        &[&format!("Rewritten {salt} {i}."), "A second paragraph."],
                    )
                }
            })
            .unwrap();
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_sets_replay_to_the_snapshot_after_a_401_midway() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 80,
        seed: 31,
        ..SyntheticConfig::default()
    });
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let edited = edit_some(&server, &ws, 3, "before the 401");
    let edited_ws = server.workspace();
    server.stop().await;

    // The next run is refused midway: the token is revoked after a few
    // pages were read (every block read of the last edited page answers 401).
    let revoked = &edited[0]; // rewritten (every fourth edit trashes its page)
    let refuse = |path: String| {
        notion_mock::HostileRule {
        method: None,
        path,
        times: None,
        answer: notion_mock::HostileAnswer::Canned {
            status: 401,
            headers: Vec::new(),
            body: r#"{"object":"error","status":401,"code":"unauthorized","message":"API token is invalid."}"#.into(),
        },
    }
    };
    let hostile = MockConfig {
        hostile: vec![
            refuse(format!("/v1/blocks/{revoked}*")),
            refuse(format!("/v1/blocks/{}*", revoked.replace('-', ""))),
        ],
        ..MockConfig::unlimited()
    };
    let server = MockServer::start(edited_ws.clone(), hostile).await.unwrap();
    // Whether the 401 stops the whole run or fails that page, what the run
    // stored must reach a change set.
    let _refused = engine::run(
        fast_client(&server),
        config(out.path()),
        RunOptions::default(),
    )
    .await;
    let refusals = server.stats().per_status.get(&401).copied().unwrap_or(0);
    server.stop().await;
    assert!(refusals > 0, "the 401 was sent");

    // Then the token works again: everything stored is published.
    let server = mock(edited_ws).await;
    run_pipeline(&server, config(out.path())).await;
    server.stop().await;
    assert_eq!(replayed(out.path()), snapshot_hashes(out.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_sets_replay_to_the_snapshot_after_the_state_store_is_deleted() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 80,
        seed: 32,
        ..SyntheticConfig::default()
    });
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    edit_some(&server, &ws, 3, "after the store was lost");
    for file in ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm"] {
        let _ = std::fs::remove_file(out.path().join(file));
    }
    run_pipeline(&server, config(out.path())).await;
    server.stop().await;
    assert_eq!(replayed(out.path()), snapshot_hashes(out.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dangling_current_is_recovered_and_published_change_sets_are_never_rewritten() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 80,
        seed: 33,
        ..SyntheticConfig::default()
    });
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let first_sets: Vec<(String, usize, usize)> = change_sets(out.path())
        .into_iter()
        .map(|s| (s.run_id, s.upserts.len(), s.deletes.len()))
        .collect();
    // The snapshot `current` points to is deleted by hand.
    let current = std::fs::canonicalize(out.path().join("current")).unwrap();
    std::fs::remove_dir_all(&current).unwrap();
    edit_some(&server, &ws, 5, "after the snapshot was lost");
    let report = run_pipeline(&server, config(out.path())).await;
    server.stop().await;
    assert!(report.export.is_some());
    assert!(
        sink::Snapshot::open_published(out.path())
            .unwrap()
            .is_some(),
        "a snapshot is current again"
    );
    let sets = change_sets(out.path());
    for (run_id, upserts, deletes) in &first_sets {
        let set = sets.iter().find(|s| &s.run_id == run_id).unwrap();
        assert_eq!((set.upserts.len(), set.deletes.len()), (*upserts, *deletes));
    }
    assert_eq!(replayed(out.path()), snapshot_hashes(out.path()));
}
