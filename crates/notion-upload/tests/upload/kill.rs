//! `kill -9` at random moments of an upload, then a resume: nothing is
//! created twice and the upload is complete.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use notion_mock::{Latency, MockConfig, Workspace};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::common::*;

/// The crate's `upload` example, which `cargo test` builds beside the tests.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join("upload"))
        .expect("target directory");
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test -p notion-upload`, which builds the examples",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_then_resume_creates_nothing_twice() {
    let dataset = Workspace::kitchen_sink();
    let original = crawl_dataset(&dataset).await;
    let target = target_workspace();
    let root = root_of(&target);
    let cfg = MockConfig {
        latency: Latency::Fixed(Duration::from_millis(4)),
        ..MockConfig::unlimited()
    };
    let server = start(target, cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("upload.json");
    let mut rng = StdRng::seed_from_u64(9);
    let (mut kills, mut runs) = (0, 0);
    let report = loop {
        runs += 1;
        assert!(runs < 40, "the upload does not finish");
        let mut child = Command::new(example())
            // Paced faster than Notion (the mock is unlimited): the kill
            // points are counted in requests, not seconds.
            .args([
                "--base-url",
                &server.url(),
                "--parent",
                &root,
                "--rate",
                "40",
                "--state",
            ])
            .arg(&state)
            .env("NOTION_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the example starts");
        // Read its output as it comes, so a full pipe never blocks it.
        let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let out = tokio::spawn(async move {
            let mut text = String::new();
            stdout.read_to_string(&mut text).await.map(|_| text)
        });
        let err = tokio::spawn(async move {
            let mut text = String::new();
            stderr.read_to_string(&mut text).await.map(|_| text)
        });
        if kills < 12 {
            // Kill once the mock has seen a random number of this run's requests.
            let target = server.stats().total + rng.random_range(2..25);
            let exited = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break Some(status);
                }
                if server.stats().total >= target {
                    break None;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            };
            match exited {
                Some(_) => {}
                None => {
                    child.start_kill().expect("SIGKILL");
                    child.wait().await.unwrap();
                    kills += 1;
                    continue;
                }
            }
        }
        let status = child.wait().await.unwrap();
        let (out, err) = (out.await.unwrap().unwrap(), err.await.unwrap().unwrap());
        assert!(status.success(), "the upload failed: {err}");
        break serde_json::from_str::<serde_json::Value>(&out).expect("a JSON report");
    };
    assert!(kills >= 5, "only {kills} kills landed during the upload");
    assert!(report["resumed_at"].is_u64(), "the last run resumed");
    let report: notion_upload::UploadReport = serde_json::from_value(report).expect("a report");
    assert_eq!(
        refusals(&server),
        vec![],
        "every request passed the mock's validation"
    );
    assert_uploaded_as_crawled(&original, &dataset, &server, &report).await;
    server.stop().await;
}
