//! The `notion-ingest` binary: exit codes, secrets, interruption.

use std::process::{Command, Stdio};
use std::time::Duration;

use notion_mock::{MockConfig, MockServer, RateLimit, SyntheticConfig, Workspace};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_exits_with_the_authentication_code_and_is_never_shown() {
    let server = mock(Workspace::kitchen_sink()).await;
    let out = tempfile::tempdir().unwrap();
    let token = "ntn_THIS-TOKEN-MUST-NEVER-BE-SHOWN-4f2a";
    let result = Command::new(binary())
        .args([
            "run",
            "--no-progress",
            "-vv",
            "--api-url",
            &server.url(),
            "--out",
        ])
        .arg(out.path())
        .env("NOTION_TOKEN", token)
        .output()
        .unwrap();
    server.stop().await;
    let stderr = String::from_utf8_lossy(&result.stderr);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert_eq!(result.status.code(), Some(3), "stderr: {stderr}");
    assert!(stderr.contains("refused the integration token"), "{stderr}");
    assert!(
        !stderr.contains(token) && !stdout.contains(token),
        "the token leaked into the output"
    );
    for entry in walk(out.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token leaked into {}",
            entry.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_shared_has_its_own_exit_code() {
    let empty = Workspace::from_json(serde_json::json!({"pages": []})).unwrap();
    let server = mock(empty).await;
    let out = tempfile::tempdir().unwrap();
    let result = Command::new(binary())
        .args(["run", "--no-progress", "--api-url", &server.url(), "--out"])
        .arg(out.path())
        .env("NOTION_TOKEN", TOKEN)
        .output()
        .unwrap();
    server.stop().await;
    assert_eq!(
        result.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_leaves_only_complete_shards_and_the_next_run_finishes() {
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 120,
        seed: 9,
        ..SyntheticConfig::default()
    });
    let expected_pages = ws.page_ids().len();
    let config = MockConfig {
        rate: RateLimit::TokenBucket {
            per_second: 60.0,
            burst: 10,
        },
        ..MockConfig::default()
    };
    let server = MockServer::start(ws, config).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = |json: bool| {
        let mut cmd = Command::new(binary());
        cmd.args([
            "run",
            "--no-progress",
            "--rate",
            "50",
            "--api-url",
            &server.url(),
            "--out",
        ])
        .arg(out.path())
        .env("NOTION_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        if json {
            cmd.arg("--json");
        }
        cmd
    };
    let child = run(false).spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let result = child.wait_with_output().unwrap();
    assert_eq!(
        result.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    // Nothing half-written is visible: every Parquet file a reader would
    // pick up opens, and no snapshot was published by the interrupted run.
    for file in walk(out.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
    {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with('.')
                || sink::read_records::<sink::ChunkRecord>([file.clone()], 64).all(|b| b.is_ok())
                || name.contains("pages"),
            "{name}"
        );
    }
    assert!(
        sink::Snapshot::open_published(out.path())
            .unwrap()
            .is_none(),
        "an interrupted first run publishes nothing"
    );

    // The next run resumes and completes.
    let result = run(true).output().unwrap();
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(summary["resumed"], true);
    let pages = pages(out.path());
    assert_eq!(
        pages
            .iter()
            .filter(|p| p.status == sink::PageStatus::Ok)
            .count(),
        expected_pages
    );
    server.stop().await;
}

/// Every file under `dir`, following no symlinks.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                files.push(path);
            }
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_shared_is_listed_in_the_summary_and_inspect_and_fails_nothing() {
    // Every database answers 404, as Notion does for a linked view of a
    // database that is not shared with the integration.
    let config = MockConfig {
        hostile: vec![notion_mock::HostileRule {
            method: Some("GET".into()),
            path: "/v1/databases/*".into(),
            times: None,
            answer: notion_mock::HostileAnswer::Canned {
                status: 404,
                headers: Vec::new(),
                body: r#"{"object":"error","status":404,"code":"object_not_found","message":"Could not find database."}"#.into(),
            },
        }],
        ..MockConfig::unlimited()
    };
    let server = MockServer::start(Workspace::kitchen_sink(), config)
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let result = Command::new(binary())
        .args([
            "run",
            "--no-progress",
            "--json",
            "--rate",
            "200",
            "--api-url",
            &server.url(),
            "--out",
        ])
        .arg(out.path())
        .env("NOTION_TOKEN", TOKEN)
        .output()
        .unwrap();
    server.stop().await;
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(0), "nothing failed: {stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    let listed = summary["not_shared"].as_array().unwrap();
    assert!(!listed.is_empty(), "{summary}");
    for item in listed {
        assert_eq!(item["kind"], "database", "{item}");
        assert!(
            !item["referenced_from"].as_array().unwrap().is_empty(),
            "{item}"
        );
    }
    let inspect = Command::new(binary())
        .args(["inspect", "--json"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(inspect.status.success());
    let inspected: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(&inspected["not_shared"], &summary["not_shared"]);
    let text = Command::new(binary())
        .arg("inspect")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("not shared: database"));
}
