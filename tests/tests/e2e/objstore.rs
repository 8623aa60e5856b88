//! Object storage output against a real S3 server: moto in server mode,
//! started by each test (`moto_server` from CI's `.venv`, `$MOTO_SERVER`, or
//! PATH). The conditional writes the publication protocol relies on (If-Match,
//! If-None-Match) are exercised against it, not mocked.
//!
//! Without moto a test prints a loud SKIP, except under CI (`CI` set), where
//! a missing moto fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::EngineConfig;
use notion_mock::Workspace;
use sink::{
    ChunkRecord, ObjectOutput, Publisher, RemoteState, SinkConfig, SnapshotBuilder, Staged,
};

use crate::support::{self, mock, run_pipeline};

/// A moto S3 server on a free local port, stopped on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
    if venv.exists() {
        return Some(venv);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.exists())
}

impl Moto {
    /// Starts moto with bucket `bucket`, or `None` (after a loud message)
    /// when moto is not installed outside CI.
    fn start(bucket: &str) -> Option<Moto> {
        let Some(binary) = moto_binary() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "moto_server is missing: CI must install moto[server] into .venv"
            );
            eprintln!(
                "\n*** SKIPPED: moto_server not found (pip install 'moto[server]'); object storage is NOT tested ***\n"
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = http(port, "PUT", &format!("/{bucket}")) {
                assert_eq!(status, 200, "moto creates the bucket");
                return Some(moto);
            }
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `object_store` options that reach this server.
    fn options(&self) -> Vec<(String, String)> {
        [
            ("aws_access_key_id", "testing"),
            ("aws_secret_access_key", "testing"),
            ("aws_region", "us-east-1"),
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_allow_http", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// The environment the binary reads the same settings from.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
        ]
    }

    fn output(&self, url: &str, staging: &Path) -> ObjectOutput {
        ObjectOutput::open_with_options(url, self.options(), staging, 2).unwrap()
    }
}

/// A bare HTTP/1.1 request with no body; the status, or `None` if nothing
/// listens yet.
fn http(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// Every chunk of `output`'s current snapshot, read back from S3.
fn s3_chunks(output: &ObjectOutput, scratch: &Path) -> Vec<ChunkRecord> {
    let manifest = output.current().unwrap().expect("a published snapshot");
    let mut files = Vec::new();
    for (i, shard) in manifest.chunks.shards.iter().enumerate() {
        let file = scratch.join(format!("chunk-{i}.parquet"));
        let relative = format!("{}/{}", manifest.snapshot, shard.path);
        assert!(output.download(&relative, &file).unwrap(), "{relative}");
        files.push(file);
    }
    sink::read_records::<ChunkRecord>(files, 1024)
        .flat_map(|b| b.unwrap())
        .collect()
}

/// What a chunk says, without the run that wrote it.
fn content(chunks: &[ChunkRecord]) -> Vec<(String, String, String)> {
    let mut rows: Vec<_> = chunks
        .iter()
        .map(|c| (c.chunk_id.clone(), c.content_hash.clone(), c.text.clone()))
        .collect();
    rows.sort();
    rows
}

fn s3_config(moto: &Moto, url: &str, state_dir: &Path) -> EngineConfig {
    let mut config = support::config(state_dir);
    config.publisher = Arc::new(moto.output(url, &state_dir.join("staging")));
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_output_holds_what_a_local_one_does_and_a_fresh_machine_continues() {
    let Some(moto) = Moto::start("out-one") else {
        return;
    };
    let url = "s3://out-one/notion/nightly";
    let server = mock(Workspace::kitchen_sink()).await;
    let local = tempfile::tempdir().unwrap();
    run_pipeline(&server, support::config(local.path())).await;

    let machine_a = tempfile::tempdir().unwrap();
    let first = run_pipeline(&server, s3_config(&moto, url, machine_a.path())).await;
    assert!(first.export.as_ref().unwrap().snapshot_published);
    let scratch = tempfile::tempdir().unwrap();
    let reader = moto.output(url, &scratch.path().join("staging"));
    assert_eq!(
        content(&s3_chunks(&reader, scratch.path())),
        content(&support::chunks(local.path())),
        "the S3 snapshot holds the chunks a local run writes"
    );
    let urls = reader.shard_urls().unwrap();
    assert!(!urls.is_empty());
    assert!(
        urls.iter()
            .all(|u| u.starts_with(&format!("{url}/snapshots/{}/", first.run_id))),
        "{urls:?}"
    );

    // A fresh machine (an empty state directory) continues from the state
    // store next to the output: nothing is read again, and it publishes.
    let machine_b = tempfile::tempdir().unwrap();
    let second = run_pipeline(&server, s3_config(&moto, url, machine_b.path())).await;
    assert!(!second.resumed);
    assert!(first.stored.pages_changed > 0);
    assert_eq!(
        second.stored.pages_changed, 0,
        "the state store came along: nothing is new to it"
    );
    assert_eq!(
        reader.current().unwrap().unwrap().run_id,
        second.run_id,
        "the second run replaced the pointer (If-Match on the first's ETag)"
    );
    assert_eq!(
        content(&s3_chunks(&reader, scratch.path())),
        content(&support::chunks(local.path()))
    );
    assert!(
        reader.change_set(&second.run_id).unwrap().is_some(),
        "its change set is published"
    );
    server.stop().await;
}

/// A staged snapshot of one chunk for `run_id`, ready to publish.
fn staged_snapshot(output: &ObjectOutput, run_id: &str) -> (PathBuf, sink::Manifest) {
    let dir = output.stage(Staged::Snapshot, run_id).unwrap();
    let config = SinkConfig::new(&dir);
    let mut builder = SnapshotBuilder::new(&dir, run_id, &config).unwrap();
    let embed_text = format!("text of {run_id}");
    builder
        .push_chunk(ChunkRecord {
            chunk_id: sink::chunk_id("2f1b6d3e8a4c4b7e9d0f1a2b3c4d5e6f", 0),
            page_id: "2f1b6d3e-8a4c-4b7e-9d0f-1a2b3c4d5e6f".into(),
            chunk_index: 0,
            text: embed_text.clone(),
            content_hash: sink::content_hash(&embed_text),
            embed_text,
            token_count: 3,
            tokenizer: "o200k_base".into(),
            heading_path: vec![],
            block_ids: vec![],
            url: "https://www.notion.so/2f1b6d3e8a4c4b7e9d0f1a2b3c4d5e6f".into(),
            page_title: "Page".into(),
            page_url: "https://www.notion.so/2f1b6d3e8a4c4b7e9d0f1a2b3c4d5e6f".into(),
            parent_id: None,
            parent_type: "workspace".into(),
            data_source_id: None,
            properties: "{}".into(),
            created_time: chrono_now(),
            last_edited_time: chrono_now(),
            run_id: run_id.into(),
            ingested_at: chrono_now(),
        })
        .unwrap();
    let manifest = builder.finish(serde_json::json!({})).unwrap();
    (dir, manifest)
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

#[test]
fn two_publishers_that_read_the_same_pointer_exactly_one_wins() {
    let Some(moto) = Moto::start("race") else {
        return;
    };
    let url = "s3://race/out";
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = moto.output(url, dirs[0].path());
    let b = moto.output(url, dirs[1].path());

    // Nothing published yet: both read "none", both try to create the pointer.
    assert!(a.current().unwrap().is_none());
    assert!(b.current().unwrap().is_none());
    let (staged_a, manifest_a) = staged_snapshot(&a, "20260101T000000000Z-aaaaaa");
    let (staged_b, manifest_b) = staged_snapshot(&b, "20260101T000000001Z-bbbbbb");
    a.publish_snapshot(&staged_a, &manifest_a, None).unwrap();
    let lost = b
        .publish_snapshot(&staged_b, &manifest_b, None)
        .unwrap_err();
    assert!(matches!(lost, sink::SinkError::Conflict(_)), "{lost}");
    assert!(lost.to_string().contains("current.json"), "{lost}");
    assert_eq!(b.current().unwrap().unwrap().run_id, manifest_a.run_id);

    // Both read A's pointer; both try to replace it (If-Match on its ETag).
    assert_eq!(a.current().unwrap().unwrap().run_id, manifest_a.run_id);
    assert_eq!(b.current().unwrap().unwrap().run_id, manifest_a.run_id);
    let (staged_b, manifest_b) = staged_snapshot(&b, "20260101T000000002Z-bbbbbb");
    let (staged_a, manifest_a2) = staged_snapshot(&a, "20260101T000000003Z-aaaaaa");
    b.publish_snapshot(&staged_b, &manifest_b, Some(&manifest_a.run_id))
        .unwrap();
    let lost = a
        .publish_snapshot(&staged_a, &manifest_a2, Some(&manifest_a.run_id))
        .unwrap_err();
    assert!(matches!(lost, sink::SinkError::Conflict(_)), "{lost}");
    let reader = moto.output(url, dirs[0].path());
    assert_eq!(
        reader.current().unwrap().unwrap().run_id,
        manifest_b.run_id,
        "the winner's snapshot is current"
    );

    // A change set is published once, even by two writers.
    let set = sink::ChangeSet {
        run_id: "20260101T000000004Z-cccccc".into(),
        dir: "changes/run=20260101T000000004Z-cccccc".into(),
        upserts: sink::TableManifest::default(),
        deletes: sink::TableManifest::default(),
    };
    for (output, expect_ok) in [(&a, true), (&b, false)] {
        let staged = output.stage(Staged::ChangeSet, &set.run_id).unwrap();
        std::fs::write(
            staged.join(sink::CHANGES_FILE),
            serde_json::to_vec(&set).unwrap(),
        )
        .unwrap();
        let published = output.publish_change_set(&staged, &set);
        assert_eq!(published.is_ok(), expect_ok, "{published:?}");
    }
}

#[test]
fn a_state_store_replaced_by_another_worker_is_a_conflict() {
    let Some(moto) = Moto::start("state") else {
        return;
    };
    let url = "s3://state/out";
    let dir = tempfile::tempdir().unwrap();
    let a = moto.output(url, &dir.path().join("a"));
    let b = moto.output(url, &dir.path().join("b"));
    let (file_a, file_b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    assert!(!a.download_state(&file_a).unwrap(), "no state yet");
    assert!(!b.download_state(&file_b).unwrap());
    std::fs::write(&file_a, b"state of a").unwrap();
    std::fs::write(&file_b, b"state of b").unwrap();
    a.upload_state(&file_a).unwrap();
    let lost = b.upload_state(&file_b).unwrap_err();
    assert!(matches!(lost, sink::SinkError::Conflict(_)), "{lost}");
    // A's next checkpoint goes through (If-Match on its own last ETag).
    a.upload_state(&file_a).unwrap();
    assert!(b.download_state(&file_b).unwrap());
    assert_eq!(std::fs::read(&file_b).unwrap(), b"state of a");
    b.upload_state(&file_b).unwrap();
}

/// `demo` runs of the binary into `url` on moto, with a lease of
/// `lease_seconds` (in a config file in `cache`, which is also their cache
/// directory).
struct DemoRuns<'a> {
    moto: &'a Moto,
    url: &'a str,
    cache: &'a Path,
    config: PathBuf,
}

impl<'a> DemoRuns<'a> {
    fn new(moto: &'a Moto, url: &'a str, cache: &'a Path, lease_seconds: u64) -> Self {
        let config = cache.join("lease.toml");
        std::fs::write(
            &config,
            format!("[output]\nlease_seconds = {lease_seconds}\n"),
        )
        .unwrap();
        DemoRuns {
            moto,
            url,
            cache,
            config,
        }
    }

    /// One run's command (stderr piped).
    fn command(&self) -> Command {
        let mut command = Command::new(support::binary());
        command
            .args([
                "demo",
                "--no-progress",
                "--rate",
                "1000",
                "--out",
                self.url,
                "--config",
            ])
            .arg(&self.config)
            .env("XDG_CACHE_HOME", self.cache)
            .envs(self.moto.env())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    /// Starts a run and waits until it has uploaded its snapshot and paused
    /// before swapping the pointer.
    fn spawn_paused_before_pointer(&self) -> Child {
        let marker = self.cache.join("uploaded");
        let mut run = self
            .command()
            .env("NOTION_INGEST_TEST_PAUSE_BEFORE_POINTER", &marker)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        while !marker.exists() {
            assert!(
                run.try_wait().unwrap().is_none(),
                "the run ended before uploading its snapshot"
            );
            assert!(
                Instant::now() < deadline,
                "the run never uploaded its snapshot"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        run
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_between_upload_and_pointer_swap_leaves_readers_on_the_previous_snapshot() {
    let Some(moto) = Moto::start("killed") else {
        return;
    };
    let url = "s3://killed/out";
    let cache = tempfile::tempdir().unwrap();
    // A short lease: the killed worker's expires soon after the kill.
    let runs = DemoRuns::new(&moto, url, cache.path(), 2);
    let ls = || {
        let out = Command::new(support::binary())
            .args(["ls", url])
            .envs(moto.env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = runs.command().output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = ls();
    assert!(before.lines().count() >= 2, "chunks and pages: {before}");
    assert!(
        before
            .lines()
            .all(|l| l.starts_with(&format!("{url}/snapshots/")))
    );

    let mut killed = runs.spawn_paused_before_pointer();
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    assert_eq!(ls(), before, "readers still see the previous snapshot");

    let reader = moto.output(url, &cache.path().join("reader"));
    wait_until(reader.lease().unwrap().unwrap().expires_at);
    let next = runs.command().output().unwrap();
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    let after = ls();
    assert_ne!(after, before, "the next run published");
    assert_eq!(after.lines().count(), before.lines().count());
}

#[test]
fn a_lease_keeps_a_second_worker_out_until_it_expires_then_one_takes_over() {
    let Some(moto) = Moto::start("lease") else {
        return;
    };
    let url = "s3://lease/out/workspace=acme";
    let dir = tempfile::tempdir().unwrap();
    let ttl = Duration::from_secs(2);
    let worker = |name: &str| moto.output(url, &dir.path().join(name)).with_lease_ttl(ttl);
    let (a, b, c) = (worker("a"), worker("b"), worker("c"));

    a.acquire_lease("worker a").unwrap();
    let refused = b.acquire_lease("worker b").unwrap_err();
    assert!(
        matches!(refused, sink::SinkError::Leased { .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains("worker a"), "{refused}");
    assert!(refused.to_string().contains("lease.json"), "{refused}");
    a.renew_lease().unwrap();
    assert!(b.acquire_lease("worker b").is_err(), "renewed: still a's");

    // A stops renewing (killed): once its lease expired, b takes over,
    // and a's next renewal finds it lost.
    let expires = a.lease().unwrap().unwrap().expires_at;
    wait_until(expires);
    b.acquire_lease("worker b").unwrap();
    assert_eq!(a.lease().unwrap().unwrap().holder, "worker b");
    let lost = a.renew_lease().unwrap_err();
    assert!(matches!(lost, sink::SinkError::Conflict(_)), "{lost}");
    assert!(c.acquire_lease("worker c").is_err());

    // Given up, the lease is free at once (and a's stale release changes nothing).
    a.release_lease().unwrap();
    b.release_lease().unwrap();
    c.acquire_lease("worker c").unwrap();
    assert_eq!(c.lease().unwrap().unwrap().holder, "worker c");
}

/// Sleeps until just after `when`.
fn wait_until(when: chrono::DateTime<chrono::Utc>) {
    let left = (when - chrono::Utc::now()).to_std().unwrap_or_default();
    std::thread::sleep(left + Duration::from_millis(100));
}

#[test]
fn a_worker_killed_holding_a_lease_is_taken_over_after_it_expires() {
    let Some(moto) = Moto::start("takeover") else {
        return;
    };
    let url = "s3://takeover/out";
    let cache = tempfile::tempdir().unwrap();
    // Long enough that the next run, started on a loaded machine, still
    // finds it held; renewed every 4 s.
    let runs = DemoRuns::new(&moto, url, cache.path(), 12);
    let mut killed = runs.spawn_paused_before_pointer();
    // Paused past a third of the lease: renewed meanwhile, still held.
    std::thread::sleep(Duration::from_secs(5));
    let reader = moto.output(url, &cache.path().join("reader"));
    let held = reader.lease().unwrap().expect("the worker holds a lease");
    assert!(held.expires_at > chrono::Utc::now(), "still held");
    assert!(
        held.expires_at - held.acquired_at > chrono::TimeDelta::seconds(12),
        "renewed while running: {held:?}"
    );
    killed.kill().unwrap(); // SIGKILL: the lease is neither renewed nor given up
    killed.wait().unwrap();

    let busy = runs.command().output().unwrap();
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert_eq!(busy.status.code(), Some(7), "busy while leased: {stderr}");
    assert!(stderr.contains("leased by another worker"), "{stderr}");
    assert!(reader.current().unwrap().is_none(), "nothing was published");

    wait_until(reader.lease().unwrap().unwrap().expires_at);
    let next = runs.command().output().unwrap();
    assert!(
        next.status.success(),
        "after expiry the next run takes over: {}",
        String::from_utf8_lossy(&next.stderr)
    );
    assert!(reader.current().unwrap().is_some(), "and publishes");
    let after = reader.lease().unwrap().unwrap();
    assert!(
        after.expires_at <= chrono::Utc::now(),
        "given up at the end"
    );
    assert_ne!(after.holder, held.holder);
}

#[test]
fn ls_over_a_many_workspace_root_lists_every_partitions_current_shards() {
    let Some(moto) = Moto::start("parts") else {
        return;
    };
    let root = "s3://parts/nightly";
    let dir = tempfile::tempdir().unwrap();
    let ls = |url: &str| {
        let out = Command::new(support::binary())
            .args(["ls", url])
            .envs(moto.env())
            .output()
            .unwrap();
        let lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        (
            out.status.code(),
            lines,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Two workspaces published, a third not yet.
    let mut expected = Vec::new();
    for (name, run_id) in [
        ("acme", "20260101T000000000Z-aaaaaa"),
        ("globex", "20260101T000000001Z-bbbbbb"),
    ] {
        let url = format!("{root}/workspace={name}");
        let output = moto.output(&url, &dir.path().join(name));
        let (staged, manifest) = staged_snapshot(&output, run_id);
        output.publish_snapshot(&staged, &manifest, None).unwrap();
        let (code, lines, stderr) = ls(&url);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with(&format!("{url}/snapshots/")))
        );
        expected.extend(lines);
    }
    // A workspace on its first night: leased, nothing published yet.
    let pending = moto.output(&format!("{root}/workspace=initech"), &dir.path().join("i"));
    pending.acquire_lease("worker").unwrap();

    let (code, lines, stderr) = ls(root);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        lines, expected,
        "every partition's shards, partition by partition"
    );
    assert!(
        stderr.contains("workspace=initech"),
        "the unpublished one is named: {stderr}"
    );
    let (code, lines, _) = ls("s3://parts/elsewhere");
    assert_eq!((code, lines.len()), (Some(1), 0), "nothing published there");
}
