//! `serve` end to end: the mock edits pages and sends its signed webhooks
//! over HTTP to a real server (in-process [`engine::Server`], or the
//! `notion-ingest serve` binary), which refreshes exactly those pages and
//! publishes change sets read back from Parquet.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use engine::{ServeConfig, Server};
use notion_mock::{MockServer, SyntheticConfig, WebhookConfig, WebhookSender, Workspace};
use tokio_util::sync::CancellationToken;
use webhooks::{PlannerConfig, Secret, sign};

use crate::contract::assert_read_exactly;
use crate::support::{TOKEN, binary, change_sets, chunks, config, fast_client, mock, run_pipeline};

const HOOK_TOKEN: &str = "secret_webhook_verification_e2e";
const QUERY_DATA_SOURCE: &str = "POST /v1/data_sources/{id}/query";

/// A `serve` running in-process on a free port.
struct Serving {
    addr: SocketAddr,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<engine::ServeReport, engine::ServeError>>,
}

impl Serving {
    /// Starts serving `out` against `server`, with a short quiet period and
    /// no complete runs.
    async fn start(server: &MockServer, out: &Path, secret: Option<&str>) -> Serving {
        let mut cfg = ServeConfig::new(config(out), "127.0.0.1:0".parse().unwrap());
        cfg.secret = secret.map(Secret::new);
        cfg.planner = PlannerConfig {
            quiet: Duration::from_millis(300),
            max_wait: Duration::from_secs(5),
        };
        cfg.reconcile_every = None;
        cfg.notify = std::sync::Arc::new(|_| {});
        let serving = Server::start(fast_client(server), cfg).await.unwrap();
        let addr = serving.local_addr();
        let stop = CancellationToken::new();
        let task = tokio::spawn(serving.run(stop.clone()));
        Serving { addr, stop, task }
    }

    fn url(&self) -> String {
        format!("http://{}{}", self.addr, webhooks::WEBHOOK_PATH)
    }

    async fn stop(self) -> engine::ServeReport {
        self.stop.cancel();
        self.task.await.unwrap().unwrap()
    }
}

/// `/metrics` as name (with labels) → value.
async fn metrics(addr: SocketAddr) -> BTreeMap<String, f64> {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(name, value)| (name.to_string(), value.parse().unwrap()))
        .collect()
}

/// Waits until every accepted event is settled and at least `refreshes`
/// refreshes were published.
async fn settled(addr: SocketAddr, refreshes: f64) -> BTreeMap<String, f64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let m = metrics(addr).await;
        if m["notion_webhook_events_pending"] == 0.0
            && m["notion_webhook_refreshes_total"] >= refreshes
        {
            return m;
        }
        assert!(Instant::now() < deadline, "not settled: {m:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends the mock's webhooks to `url`, plain or shuffled with duplicates.
async fn hooks(server: &MockServer, url: &str, messy: bool, handshake: bool) -> WebhookSender {
    let mut cfg = WebhookConfig::new(url, HOOK_TOKEN);
    cfg.aggregation = Duration::from_millis(100);
    cfg.handshake = handshake;
    if messy {
        cfg.shuffle = true;
        cfg.duplicate_rate = 0.5;
        cfg.seed = 7;
    }
    server.start_webhooks(cfg).await.unwrap()
}

fn synthetic(pages: usize, seed: u64) -> Workspace {
    Workspace::synthetic(&SyntheticConfig {
        pages,
        seed,
        ..SyntheticConfig::default()
    })
}

/// Pages whose parent has this type (`page_id`, `data_source_id`...).
fn pages_with_parent(ws: &Workspace, kind: &str) -> Vec<String> {
    ws.page_ids()
        .into_iter()
        .filter(|id| {
            ws.page_tree_json(id)
                .is_some_and(|t| t["page"]["parent"]["type"] == kind)
        })
        .collect()
}

fn upserted_pages(set: &crate::support::ChangeSetRead) -> BTreeSet<String> {
    set.upserts.iter().map(|c| c.page_id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_edits_in_a_thousand_pages_refresh_exactly_those_pages() {
    let ws = synthetic(1000, 12);
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let serving = Serving::start(&server, out.path(), None).await;
    let sender = hooks(&server, &serving.url(), false, true).await;
    // The handshake's token is in the private token file.
    let token_file = out.path().join(engine::TOKEN_FILE);
    assert_eq!(
        std::fs::read_to_string(&token_file).unwrap().trim(),
        HOOK_TOKEN
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let chosen: Vec<String> = pages_with_parent(&ws, "page_id")
        .into_iter()
        .step_by(97)
        .take(3)
        .collect();
    server.reset_stats();
    let sets_before = change_sets(out.path()).len();
    for id in &chosen {
        server.edit(|ws| ws.append_paragraph(id, "Edited for a webhook.").unwrap());
    }
    let edited = server.workspace();
    sender.settled().await;
    let m = settled(serving.addr, 1.0).await;
    let stats = server.stats();

    // Exactly those pages' requests, no listing.
    assert_read_exactly(&stats, &edited, &chosen);
    assert_eq!(
        m["notion_webhook_refresh_requests_total"],
        stats.total as f64
    );
    // One change set per refresh, holding exactly those pages' upserts.
    let sets = change_sets(out.path());
    let new: Vec<_> = sets[sets_before..].to_vec();
    let upserted: BTreeSet<String> = new.iter().flat_map(upserted_pages).collect();
    assert_eq!(upserted, chosen.iter().cloned().collect());
    assert!(new.iter().all(|s| s.deletes.is_empty()));
    for chunk in new.iter().flat_map(|s| &s.upserts) {
        assert!(chosen.contains(&chunk.page_id));
    }
    assert!(m["notion_webhook_last_publish_timestamp_seconds"] > 0.0);
    let report = serving.stop().await;
    assert_eq!(report.events_pending, 0);
    server.stop().await;
}

/// The final state after trashing a page and editing a row, as a map of
/// chunk id to text, and the pages each change set touched.
async fn trash_and_row_edit(
    messy: bool,
) -> (BTreeMap<String, String>, BTreeSet<String>, BTreeSet<String>) {
    let ws = synthetic(150, 5);
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let serving = Serving::start(&server, out.path(), Some(HOOK_TOKEN)).await;
    let sender = hooks(&server, &serving.url(), messy, false).await;

    let trashed = pages_with_parent(&ws, "page_id")
        .into_iter()
        .find(|id| chunks(out.path()).iter().any(|c| &c.page_id == id))
        .unwrap();
    let row = pages_with_parent(&ws, "data_source_id")[0].clone();
    let sets_before = change_sets(out.path()).len();
    server.reset_stats();
    server.edit(|ws| {
        ws.trash_page(&trashed).unwrap();
        ws.set_title(&row, "A row renamed by a webhook test")
            .unwrap();
    });
    sender.settled().await;
    settled(serving.addr, 1.0).await;
    let stats = server.stats();
    assert!(
        stats
            .per_endpoint
            .get(QUERY_DATA_SOURCE)
            .is_some_and(|n| *n >= 1),
        "the row's data source is queried: {:?}",
        stats.per_endpoint
    );
    assert!(!stats.per_endpoint.contains_key("POST /v1/search"));
    serving.stop().await;
    server.stop().await;

    let sets = change_sets(out.path());
    let new = &sets[sets_before..];
    let deleted: BTreeSet<String> = new
        .iter()
        .flat_map(|s| s.deletes.iter().map(|d| d.page_id.clone()))
        .collect();
    let upserted: BTreeSet<String> = new.iter().flat_map(upserted_pages).collect();
    assert_eq!(
        deleted,
        BTreeSet::from([trashed.clone()]),
        "the trashed page becomes deletes"
    );
    assert!(
        upserted.contains(&row),
        "the row is refreshed: {upserted:?}"
    );
    let row_chunks: Vec<_> = new
        .iter()
        .flat_map(|s| &s.upserts)
        .filter(|c| c.page_id == row)
        .collect();
    assert!(
        row_chunks
            .iter()
            .any(|c| c.page_title == "A row renamed by a webhook test")
    );
    // Apply the change sets to the snapshot from before.
    let mut table: BTreeMap<String, String> = BTreeMap::new();
    for set in &sets {
        for c in &set.upserts {
            table.insert(c.chunk_id.clone(), c.text.clone());
        }
        for d in &set.deletes {
            table.remove(&d.chunk_id);
        }
    }
    (table, upserted, deleted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trashed_page_and_a_row_edit_give_the_same_result_however_delivered() {
    let plain = trash_and_row_edit(false).await;
    let messy = trash_and_row_edit(true).await;
    assert_eq!(plain.1, messy.1, "the same pages upserted");
    assert_eq!(plain.2, messy.2, "the same pages deleted");
    assert_eq!(plain.0, messy.0, "the same table once applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unsigned_and_oversized_requests_are_refused_and_change_nothing() {
    let ws = synthetic(30, 3);
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let serving = Serving::start(&server, out.path(), Some(HOOK_TOKEN)).await;
    let sets_before = change_sets(out.path()).len();
    server.reset_stats();
    let page = ws.page_ids()[0].clone();
    let body = serde_json::to_vec(&serde_json::json!({
        "id": "a4f0c0de-0000-4000-8000-000000000001",
        "timestamp": "2026-01-05T09:00:00.000Z",
        "type": "page.content_updated",
        "entity": {"id": page, "type": "page"},
    }))
    .unwrap();
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>, signature: Option<String>| {
        let mut request = client.post(serving.url()).body(body);
        if let Some(s) = signature {
            request = request.header("X-Notion-Signature", s);
        }
        request.send()
    };
    let forged = sign(&Secret::new("secret_someone_else"), &body);
    let cases: [(&str, Vec<u8>, Option<String>, u16); 5] = [
        ("missing signature", body.clone(), None, 401),
        ("bad signature", body.clone(), Some("sha256=00".into()), 401),
        ("forged replay", body.clone(), Some(forged), 401),
        (
            "malformed",
            b"{not json".to_vec(),
            Some(sign(&Secret::new(HOOK_TOKEN), b"{not json")),
            400,
        ),
        (
            "5 MiB",
            vec![b' '; 5 << 20],
            Some(sign(&Secret::new(HOOK_TOKEN), &[b' '; 16])),
            413,
        ),
    ];
    for (what, body, signature, status) in cases {
        let answer = post(body, signature).await;
        match answer {
            Ok(answer) => assert_eq!(answer.status().as_u16(), status, "{what}"),
            // A server may close the connection on a body it refuses to read.
            Err(error) => assert!(what == "5 MiB", "{what}: {error}"),
        }
    }
    // Give a wrongly accepted event time to be refreshed.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let m = metrics(serving.addr).await;
    assert_eq!(m["notion_webhook_events_received_total"], 0.0);
    assert_eq!(m["notion_webhook_events_pending"], 0.0);
    assert_eq!(m["notion_webhook_refreshes_total"], 0.0);
    assert_eq!(
        m["notion_webhook_events_rejected_total{reason=\"too_large\"}"],
        1.0
    );
    assert_eq!(server.stats().total, 0, "no request to Notion");
    assert_eq!(change_sets(out.path()).len(), sets_before);

    // The same body, signed with the right token, is accepted once.
    let good = sign(&Secret::new(HOOK_TOKEN), &body);
    for _ in 0..2 {
        let answer = post(body.clone(), Some(good.clone())).await.unwrap();
        assert_eq!(answer.status().as_u16(), 200);
    }
    let m = settled(serving.addr, 1.0).await;
    assert_eq!(m["notion_webhook_events_received_total"], 1.0);
    assert_eq!(m["notion_webhook_events_deduplicated_total"], 1.0);
    serving.stop().await;
    server.stop().await;
}

/// `notion-ingest serve` as a process, and the address it listens on.
fn spawn_serve(server: &MockServer, out: &Path, secret: &Path, quiet: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--reconcile-every",
            "off",
        ])
        .args([
            "--quiet-period",
            quiet,
            "--api-url",
            &server.url(),
            "--rate",
            "1000",
        ])
        .arg("--webhook-secret-file")
        .arg(secret)
        .arg("--out")
        .arg(out)
        .env("NOTION_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "serve exited");
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    // Keep draining stderr so the process never blocks on it.
    std::thread::spawn(move || for _ in stderr.lines() {});
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_events_pending_then_a_restart_refreshes_every_accepted_event() {
    let ws = synthetic(60, 9);
    let server = mock(ws.clone()).await;
    let out = tempfile::tempdir().unwrap();
    run_pipeline(&server, config(out.path())).await;
    let secret = out.path().join("hook-secret");
    std::fs::write(&secret, format!("{HOOK_TOKEN}\n")).unwrap();

    // A long quiet period: the events are accepted, not yet refreshed.
    let (mut child, addr) = spawn_serve(&server, out.path(), &secret, "10m");
    let url = format!("http://{addr}{}", webhooks::WEBHOOK_PATH);
    let sender = hooks(&server, &url, true, false).await;
    let chosen: Vec<String> = pages_with_parent(&ws, "page_id")
        .into_iter()
        .take(3)
        .collect();
    let sets_before = change_sets(out.path()).len();
    for id in &chosen {
        server.edit(|ws| ws.append_paragraph(id, "Written before the kill.").unwrap());
    }
    sender.settled().await;
    let deliveries = sender.deliveries();
    assert!(deliveries.iter().all(|d| d.accepted()), "{deliveries:?}");
    // One event per edited page, each delivered (some twice) before `settled`.
    let events: BTreeSet<&str> = deliveries.iter().map(|d| d.event_id.as_str()).collect();
    assert_eq!(events.len(), chosen.len(), "{deliveries:?}");
    let m = metrics(addr).await;
    assert_eq!(m["notion_webhook_events_pending"], 3.0, "{m:?}");
    // A nightly run on the same output is refused while serve holds it.
    let busy = Command::new(binary())
        .args(["run", "--no-progress", "--api-url", &server.url(), "--out"])
        .arg(out.path())
        .env("NOTION_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(
        busy.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        change_sets(out.path()).len(),
        sets_before,
        "nothing refreshed before the kill"
    );

    let (mut child, addr) = spawn_serve(&server, out.path(), &secret, "100ms");
    settled(addr, 1.0).await;
    let sets = change_sets(out.path());
    let upserted: BTreeSet<String> = sets[sets_before..]
        .iter()
        .flat_map(upserted_pages)
        .collect();
    assert_eq!(upserted, chosen.iter().cloned().collect());
    // SIGTERM: a graceful stop, exit 0.
    let pid = child.id() as i32;
    // SAFETY: kill(2) on our own child's pid, with a valid signal number.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    server.stop().await;
}
