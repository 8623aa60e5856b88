//! `notion-ingest tree`, the real binary against the mock over HTTP: golden
//! text and JSON of the kitchen sink (a page under a toggle, a data source
//! with rows, a page whose parent is not shared, a trashed page absent),
//! the marks of a configuration, what a previous run's state adds (pages
//! only the walk found, stored block counts), and the listing cached for
//! `select`. Golden files live in `tests/tests/e2e/golden/`; set
//! `UPDATE_GOLDEN=1` to rewrite them after a deliberate change.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use notion_mock::{MockServer, Workspace};
use serde_json::Value;

use crate::support::*;

/// Runs `notion-ingest tree` against `server` with `args`.
fn tree(server: &MockServer, out: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .args(["tree", "--api-url", &server.url(), "--out"])
        .arg(out)
        .args(args)
        .env("NOTION_TOKEN", TOKEN)
        .output()
        .unwrap()
}

fn stdout_of(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e/golden")
        .join(name)
}

/// Compares `actual` with the golden file `name` (or rewrites it when
/// `UPDATE_GOLDEN` is set).
fn assert_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert!(
        expected == actual,
        "{} differs (UPDATE_GOLDEN=1 rewrites it after a deliberate change):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn by_title<'a>(nodes: &'a [Value], title: &str) -> Option<&'a Value> {
    nodes.iter().find(|n| n["title"] == title)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tree_of_the_kitchen_sink_matches_the_golden_text_and_json() {
    let server = mock(Workspace::kitchen_sink()).await;
    let out = tempfile::tempdir().unwrap();
    let text = stdout_of(&tree(&server, out.path(), &[]));
    let json = stdout_of(&tree(&server, out.path(), &["--json"]));
    server.stop().await;

    // The hard cases, by name, before the golden files.
    let nodes = json_lines(&json);
    let level_2 = by_title(&nodes, "Level 2").unwrap();
    let level_3 = by_title(&nodes, "Level 3").expect("a page under a toggle is listed");
    assert_eq!(
        level_3["parent"], level_2["id"],
        "the toggle resolves to its page"
    );
    let orphan = by_title(&nodes, "Shared below a private page").unwrap();
    assert_eq!(
        orphan["parent"],
        Value::Null,
        "an unshared parent: top level"
    );
    let tasks = nodes
        .iter()
        .find(|n| n["kind"] == "data_source" && n["title"] == "Tasks")
        .expect("the Tasks data source");
    assert_eq!(
        tasks["counts"]["pages"], 3,
        "three rows, the trashed one absent"
    );
    let rows = nodes.iter().filter(|n| n["parent"] == tasks["id"]).count();
    assert_eq!(rows, 3);
    for absent in ["A trashed page", "Private parent", "An archived page"] {
        assert!(by_title(&nodes, absent).is_none(), "{absent} is listed");
    }
    // No configuration: everything is selected.
    assert!(nodes.iter().all(|n| n["mark"] == "selected"));
    assert!(
        text.contains("[+] Kitchen Sink  (page, 51 pages)"),
        "{text}"
    );

    assert_golden("tree_kitchen_sink.txt", &text);
    assert_golden("tree_kitchen_sink.jsonl", &json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tree_marks_the_configuration_and_adds_what_a_run_stored() {
    let server = mock(Workspace::kitchen_sink()).await;
    let out = tempfile::tempdir().unwrap();
    // A run first: its state knows the page search does not return, and
    // the block count of every page it read.
    run_pipeline(&server, config(out.path())).await;
    let fresh = stdout_of(&tree(&server, out.path(), &["--json"]));
    let nodes = json_lines(&fresh);
    let level_1 = by_title(&nodes, "Level 1").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let level_2 = by_title(&nodes, "Level 2").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hidden = by_title(&nodes, "Hidden from search").expect("the walked page is shown");
    assert_eq!(hidden["walked_only"], true);
    assert_eq!(hidden["parent"], level_1.as_str());
    assert!(hidden["stored_blocks"].as_u64().is_some_and(|b| b > 0));
    assert!(
        nodes
            .iter()
            .filter(|n| n["kind"] == "page")
            .all(|n| n["stored_blocks"].as_u64().is_some()),
        "every page read has a block count"
    );
    assert_eq!(nodes.iter().filter(|n| n["walked_only"] == true).count(), 1);

    // A configuration: Level 1 in, Level 2 out; shown from the home page,
    // three levels deep.
    let config_file = out.path().join("notion-ingest.toml");
    std::fs::write(
        &config_file,
        format!("[crawl]\nroots = [\"page:{level_1}\"]\nexclude = [\"{level_2}\"]\n"),
    )
    .unwrap();
    let home = by_title(&nodes, "Kitchen Sink").unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let config_arg = config_file.to_str().unwrap();
    let marked = stdout_of(&tree(
        &server,
        out.path(),
        &["--config", config_arg, "--from", &home, "--depth", "3"],
    ));
    assert_golden("tree_kitchen_sink_marked.txt", &marked);
    let marked_json = stdout_of(&tree(
        &server,
        out.path(),
        &["--config", config_arg, "--json"],
    ));
    let marks: Vec<Value> = json_lines(&marked_json);
    let mark = |title: &str| by_title(&marks, title).unwrap()["mark"].clone();
    assert_eq!(mark("Level 1"), "selected");
    assert_eq!(mark("Catalog"), "selected");
    assert_eq!(mark("Level 2"), "excluded");
    assert_eq!(mark("Deep child"), "excluded");
    assert_eq!(mark("Kitchen Sink"), "not_selected");

    // The listing is cached for `select`.
    let store = engine::store::Store::open(out.path()).unwrap();
    let cached = store.cached_listing().unwrap().expect("a cached listing");
    assert!(cached.listing.entries.len() > 50);

    // An id that is not in the hierarchy is a usage error.
    let unknown = tree(
        &server,
        out.path(),
        &["--from", "00000000-0000-0000-0000-000000000000"],
    );
    server.stop().await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("not in the shared hierarchy"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_without_a_terminal_exits_2_and_points_to_tree_json() {
    let out = tempfile::tempdir().unwrap();
    let config_file = out.path().join("notion-ingest.toml");
    std::fs::write(&config_file, "# mine\n[crawl]\nroots = []\n").unwrap();
    let output = Command::new(binary())
        .args(["select", "--config"])
        .arg(&config_file)
        .arg("--out")
        .arg(out.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for needle in ["tree --json", "crawl.roots", "crawl.exclude"] {
        assert!(stderr.contains(needle), "{needle} missing: {stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(&config_file).unwrap(),
        "# mine\n[crawl]\nroots = []\n",
        "the config is untouched"
    );
}
