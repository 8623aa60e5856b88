//! Webhook receiver capacity: signed events per second the `webhooks`
//! receiver verifies, persists and answers 200, and how long each answer
//! takes, with three stores: in memory, SQLite as the state store opens it
//! (WAL, `synchronous = NORMAL`: a commit survives a kill, not a power
//! loss), and SQLite with `synchronous = FULL` (an fsync per event).
//!
//! `cargo run --release -p benchmarks --bin webhook_receiver` (optional:
//! `--events N`, default 20000; `--concurrency N`, default 16). The load
//! generator (reqwest, keep-alive) runs in the same process and shares the
//! machine's cores with the receiver, so the figures are a lower bound.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benchmarks::flag_pairs;
use rusqlite::{Connection, params};
use webhooks::{
    Event, EventStore, MemoryStore, Persisted, Receiver, ReceiverConfig, Secret, WEBHOOK_PATH, sign,
};

const TOKEN: &str = "secret_benchmark_verification_token";

/// Events persisted in SQLite, the way the engine's state store would.
struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    fn open(path: &Path, synchronous: &str) -> Result<SqliteStore> {
        let conn = Connection::open(path)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = {synchronous};
             CREATE TABLE webhook_events (
                 id TEXT PRIMARY KEY,
                 received_at TEXT NOT NULL,
                 raw BLOB NOT NULL
             );"
        ))?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn count(&self) -> Result<u64> {
        let conn = self.conn.lock().expect("sqlite lock");
        let n: i64 = conn.query_row("SELECT count(*) FROM webhook_events", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }
}

impl EventStore for SqliteStore {
    type Error = rusqlite::Error;

    fn verification_token(&self) -> Result<Option<Secret>, rusqlite::Error> {
        Ok(None)
    }

    fn save_verification_token(&self, _: &Secret) -> Result<(), rusqlite::Error> {
        Ok(())
    }

    fn persist(&self, event: &Event, raw: &[u8]) -> Result<Persisted, rusqlite::Error> {
        let conn = self.conn.lock().expect("sqlite lock");
        let inserted = conn.execute(
            "INSERT OR IGNORE INTO webhook_events (id, received_at, raw) VALUES (?1, ?2, ?3)",
            params![event.id, chrono::Utc::now().to_rfc3339(), raw],
        )?;
        Ok(if inserted == 1 {
            Persisted::New
        } else {
            Persisted::Duplicate
        })
    }
}

/// A `page.content_updated` event as Notion sends it (about 700 bytes).
fn event_body(i: usize) -> Vec<u8> {
    let id = |n: usize| format!("{:08x}-0000-4000-8000-{:012x}", n, i);
    serde_json::to_vec(&serde_json::json!({
        "id": id(1),
        "timestamp": "2026-01-05T09:00:00.123Z",
        "workspace_id": "13950b26-c203-4f3b-b97d-93ec06319565",
        "workspace_name": "Benchmark",
        "subscription_id": "29d75c0d-5546-4414-8459-7b7a92f1fc4b",
        "integration_id": "0ef2e755-4912-8096-91c1-00376a88a5ca",
        "type": "page.content_updated",
        "authors": [{"id": "c7c11cca-1d73-471d-9b6e-bdef51470190", "type": "person"}],
        "accessible_by": [{"id": "556a1abf-4f08-40c6-878a-75890d2a88ba", "type": "person"}],
        "attempt_number": 1,
        "entity": {"id": id(2), "type": "page"},
        "data": {
            "updated_blocks": [{"id": id(3), "type": "block"}, {"id": id(4), "type": "block"}],
            "parent": {"id": "0ef104cd-477e-80e1-8571-cfd10e92339a", "type": "page"}
        }
    }))
    .expect("JSON")
}

/// What one pass measured.
struct Pass {
    wall: Duration,
    latencies: Vec<Duration>,
}

/// Serves a receiver over `store` and sends every body, `concurrency` at a time.
async fn pass<S: EventStore>(
    store: Arc<S>,
    bodies: &Arc<Vec<(Vec<u8>, String)>>,
    concurrency: usize,
) -> Result<Pass> {
    let dir = tempfile::tempdir()?;
    let config = ReceiverConfig {
        secret: Some(Secret::new(TOKEN)),
        ..ReceiverConfig::new(dir.path().join("token"))
    };
    let receiver = Receiver::new(store, config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{WEBHOOK_PATH}", listener.local_addr()?);
    let router = receiver.router();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, bodies, next) =
            (client.clone(), url.clone(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((body, signature)) = bodies.get(i) else {
                    return Ok::<_, anyhow::Error>(latencies);
                };
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-notion-signature", signature)
                    .body(body.clone())
                    .send()
                    .await?;
                if response.status() != reqwest::StatusCode::OK {
                    bail!("event {i} answered {}", response.status());
                }
                response.bytes().await?;
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let wall = started.elapsed();
    let counts = receiver.counts();
    server.abort();
    if counts.received != bodies.len() as u64 || counts.rejected_total() != 0 {
        bail!("received {} of {} events", counts.received, bodies.len());
    }
    latencies.sort();
    Ok(Pass { wall, latencies })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut events = 20_000usize;
    let mut concurrency = 16usize;
    for (flag, value) in flag_pairs()? {
        match flag.as_str() {
            "--events" => events = value.parse().context("--events")?,
            "--concurrency" => concurrency = value.parse().context("--concurrency")?,
            _ => bail!("unknown flag {flag}"),
        }
    }
    let token = Secret::new(TOKEN);
    let bodies: Arc<Vec<(Vec<u8>, String)>> = Arc::new(
        (0..events)
            .map(|i| {
                let body = event_body(i);
                let signature = sign(&token, &body);
                (body, signature)
            })
            .collect(),
    );
    let body_bytes = bodies.iter().map(|(b, _)| b.len()).sum::<usize>() / events.max(1);
    println!(
        "{events} signed page.content_updated events (~{body_bytes} bytes each), \
         {concurrency} concurrent keep-alive connections, loader in the same process"
    );
    println!("| store | events/s | p50 | p95 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    let dir = tempfile::tempdir()?;
    for name in ["memory", "sqlite-normal", "sqlite-full"] {
        let result = match name {
            "memory" => {
                let store = Arc::new(MemoryStore::default());
                let result = pass(store.clone(), &bodies, concurrency).await?;
                if store.events().len() != events {
                    bail!("memory store holds {} events", store.events().len());
                }
                result
            }
            _ => {
                let sync = if name == "sqlite-full" {
                    "FULL"
                } else {
                    "NORMAL"
                };
                let path = dir.path().join(format!("{name}.sqlite"));
                let store = Arc::new(SqliteStore::open(&path, sync)?);
                let result = pass(store.clone(), &bodies, concurrency).await?;
                if store.count()? != events as u64 {
                    bail!("{name} holds {} events", store.count()?);
                }
                result
            }
        };
        let l = &result.latencies;
        println!(
            "| {name} | {:.0} | {} | {} | {} | {} |",
            events as f64 / result.wall.as_secs_f64(),
            ms(percentile(l, 0.5)),
            ms(percentile(l, 0.95)),
            ms(percentile(l, 0.99)),
            ms(l.last().copied().unwrap_or_default()),
        );
    }
    Ok(())
}
