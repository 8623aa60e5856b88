//! The binary under a hostile or busy world: a signal at any moment ends
//! the run within seconds with exit 130; a second run on the same output
//! exits 7 at once; a bad configuration exits 2 before any request; a
//! `Retry-After` beyond the cap exits 8 with the state kept; an unreachable
//! API exits 6; a token file that cannot be read exits 2 before any request.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use notion_mock::{HostileAnswer, HostileRule, MockConfig, MockServer, SyntheticConfig, Workspace};

use crate::support::*;

fn workspace(pages: usize) -> Workspace {
    Workspace::synthetic(&SyntheticConfig {
        pages,
        seed: 5,
        ..SyntheticConfig::default()
    })
}

/// `run` against the mock into `out`, with `extra` flags.
fn run(server: &MockServer, out: &std::path::Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(["run", "--no-progress", "--api-url", &server.url(), "--out"])
        .arg(out)
        .args(extra)
        .env("NOTION_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Sends `signal` to the child, then waits at most `limit` for it to end.
fn signal_and_wait(child: Child, signal: &str, limit: Duration) -> (Output, Duration) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let sent = Instant::now();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    while !waiter.is_finished() {
        if sent.elapsed() > limit {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("the run did not end within {limit:?} of {signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (waiter.join().unwrap(), sent.elapsed())
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An unlimited mock that answers the first block-children request with a
/// 429 asking to wait `retry_after_secs` seconds.
fn throttled_once(retry_after_secs: u64) -> MockConfig {
    MockConfig {
        hostile: vec![HostileRule {
            method: None,
            path: "/v1/blocks/*".into(),
            times: Some(1),
            answer: HostileAnswer::Canned {
                status: 429,
                headers: vec![("retry-after".into(), retry_after_secs.to_string())],
                body:
                    r#"{"object":"error","status":429,"code":"rate_limited","message":"slow down"}"#
                        .into(),
            },
        }],
        ..MockConfig::unlimited()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_in_the_first_moments_ends_the_run_with_130() {
    let server = MockServer::start(workspace(200), MockConfig::unlimited())
        .await
        .unwrap();
    for delay_ms in [50, 400] {
        let out = tempfile::tempdir().unwrap();
        let child = run(&server, out.path(), &["--rate", "20"]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let (output, took) = signal_and_wait(child, "-TERM", Duration::from_secs(10));
        assert_eq!(
            output.status.code(),
            Some(130),
            "after {delay_ms} ms: {}",
            stderr(&output)
        );
        assert!(took < Duration::from_secs(10));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_paused_on_retry_after_ends_the_run_with_130_and_the_next_run_finishes() {
    let config = throttled_once(120);
    let ws = workspace(30);
    let expected = ws.page_ids().len();
    let server = MockServer::start(ws, config).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let child = run(&server, out.path(), &["--rate", "50"]).spawn().unwrap();
    // Wait until the 429 was answered: the run is then paused for 120 s.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.stats().rate_limited == 0 {
        assert!(Instant::now() < deadline, "no 429 was sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (output, _) = signal_and_wait(child, "-TERM", Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let output = run(&server, out.path(), &["--rate", "50", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written = pages(out.path())
        .into_iter()
        .filter(|p| p.status == sink::PageStatus::Ok)
        .count();
    assert_eq!(written, expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_beyond_the_cap_exits_8_and_the_next_run_continues() {
    let config = throttled_once(3600);
    let ws = workspace(30);
    let expected = ws.page_ids().len();
    let server = MockServer::start(ws, config).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = run(&server, out.path(), &["--rate", "50"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(8), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("run again later"),
        "{}",
        stderr(&output)
    );
    let output = run(&server, out.path(), &["--rate", "50", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["resumed"], true, "the stopped run is continued");
    let written = pages(out.path())
        .into_iter()
        .filter(|p| p.status == sink::PageStatus::Ok)
        .count();
    assert_eq!(written, expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_output_exits_7_without_a_request() {
    let server = MockServer::start(workspace(60), MockConfig::unlimited())
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    // The first run is slow (2 requests/s), so it still holds the output.
    let first = run(&server, out.path(), &["--rate", "2"]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.stats().total == 0 {
        assert!(Instant::now() < deadline, "the first run sent nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = server.stats().total;
    let second = run(
        &server,
        out.path(),
        &["--rate", "50", "--max-tokens", "300"],
    )
    .output()
    .unwrap();
    assert_eq!(second.status.code(), Some(7), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("another notion-ingest run"),
        "{}",
        stderr(&second)
    );
    // The first run's own requests go on at 2 per second; the second added
    // none (it would have sent a burst of listing requests at 50 per second).
    let during = server.stats().total - before;
    assert!(
        during <= 4,
        "{during} requests while the second run started"
    );
    let (output, _) = signal_and_wait(first, "-INT", Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_exits_2_before_any_request() {
    let server = MockServer::start(workspace(5), MockConfig::unlimited())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad_toml = dir.path().join("bad.toml");
    std::fs::write(&bad_toml, "[chunk]\nmax_tokens = \"many\"\n").unwrap();
    let unknown_key = dir.path().join("unknown.toml");
    std::fs::write(&unknown_key, "[crawl]\nconcurrancy = 4\n").unwrap();
    let bad_value = dir.path().join("value.toml");
    std::fs::write(&bad_value, "[chunk]\nmax_tokens = 100\noverlap = 100\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--config".into(), bad_toml.display().to_string()],
            "max_tokens",
        ),
        (
            vec!["--config".into(), unknown_key.display().to_string()],
            "concurrancy",
        ),
        (
            vec!["--config".into(), bad_value.display().to_string()],
            "chunk.overlap",
        ),
        (vec!["--rate".into(), "0".into()], "notion.rate"),
        (
            vec!["--concurrency".into(), "0".into()],
            "crawl.concurrency",
        ),
        (vec!["--max-tokens".into(), "3".into()], "chunk.max_tokens"),
    ];
    for (flags, names) in cases {
        let out = dir.path().join("out");
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let output = run(&server, &out, &flags).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(names),
            "{flags:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(
        server.stats().total,
        0,
        "a request was sent before the check"
    );
    server.stop().await;
}

#[test]
fn an_unreachable_api_exits_6_and_says_notion_could_not_be_reached() {
    // A port nothing listens on: bound by the system, then closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[notion]\nmax_retries = 1\n").unwrap();
    let started = Instant::now();
    let output = Command::new(binary())
        .args(["run", "--no-progress", "-vvv", "--api-url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("out"))
        .env("NOTION_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("could not reach Notion"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stderr.contains(TOKEN) && !stdout.contains(TOKEN),
        "the token was printed: {stderr}{stdout}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_token_file_exits_2_before_any_request_and_names_the_file() {
    let server = MockServer::start(workspace(5), MockConfig::unlimited())
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = run(
        &server,
        &out.path().join("out"),
        &["--token-file", "/nonexistent"],
    )
    .output()
    .unwrap();
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent"), "{stderr}");
    assert_eq!(
        server.stats().total,
        0,
        "a request was sent before the token was read"
    );
    server.stop().await;
}
