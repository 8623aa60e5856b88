//! Mock server capacity: how fast synthetic workspaces are built, how much
//! memory they hold, and how many requests per second the mock answers with
//! no rate limit (so it never is the bottleneck of a crawl benchmark).
//!
//! `cargo run --release -p benchmarks --bin mock_serve` (optional argument:
//! requests per pass, default 4000).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use notion_mock::{MockConfig, MockServer, SyntheticConfig, Workspace};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Concurrent connections of the load generator.
const CONNECTIONS: usize = 8;

/// One keep-alive HTTP/1.1 connection sending GETs and reading whole answers.
struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    async fn open(addr: std::net::SocketAddr) -> Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream: BufReader::new(stream),
            host: addr.to_string(),
        })
    }

    /// Sends a GET and returns the status and body length.
    async fn get(&mut self, path: &str) -> Result<(u16, usize)> {
        Ok(self.send("GET", path, "").await?.0)
    }

    /// Sends a request; returns the status, body length, and the body.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<((u16, usize), Vec<u8>)> {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer secret_mock_token\r\nNotion-Version: 2025-09-03\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .context("status line")?
            .parse()?;
        let mut length = None;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = Some(value.trim().parse::<usize>()?);
            }
        }
        let Some(length) = length else {
            bail!("answer without content-length")
        };
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(((status, length), body))
    }
}

/// Sends `paths` over `CONNECTIONS` connections; returns (wall time, sorted latencies, bytes).
async fn load(server: &MockServer, paths: Vec<String>) -> Result<(Duration, Vec<Duration>, usize)> {
    let addr = server.addr();
    let chunks: Vec<Vec<String>> = (0..CONNECTIONS)
        .map(|c| paths.iter().skip(c).step_by(CONNECTIONS).cloned().collect())
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            tokio::spawn(async move {
                let mut conn = Connection::open(addr).await?;
                let mut latencies = Vec::with_capacity(chunk.len());
                let mut bytes = 0;
                for path in chunk {
                    let t = Instant::now();
                    let (status, len) = conn.get(&path).await?;
                    if status != 200 {
                        bail!("{path}: status {status}");
                    }
                    latencies.push(t.elapsed());
                    bytes += len;
                }
                Ok::<_, anyhow::Error>((latencies, bytes))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut bytes = 0;
    for task in tasks {
        let (l, b) = task.await??;
        latencies.extend(l);
        bytes += b;
    }
    let wall = started.elapsed();
    latencies.sort();
    Ok((wall, latencies, bytes))
}

fn report(name: &str, (wall, latencies, bytes): &(Duration, Vec<Duration>, usize)) {
    let n = latencies.len();
    let pct = |p: f64| latencies[((n as f64 * p) as usize).min(n - 1)].as_secs_f64() * 1000.0;
    println!(
        "{name}: {n} requests in {:.2} s = {:.0} req/s, {:.1} MB/s, latency p50 {:.2} ms, p99 {:.2} ms",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        *bytes as f64 / 1e6 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
    );
}

/// Lists every search result, 100 at a time, over one connection.
async fn list_search(server: &MockServer) -> Result<(usize, usize, Duration)> {
    let mut conn = Connection::open(server.addr()).await?;
    let started = Instant::now();
    let (mut requests, mut listed) = (0, 0);
    let mut cursor: Option<String> = None;
    loop {
        let body = match &cursor {
            Some(c) => format!(r#"{{"page_size":100,"start_cursor":"{c}"}}"#),
            None => r#"{"page_size":100}"#.to_string(),
        };
        let ((status, _), bytes) = conn.send("POST", "/v1/search", &body).await?;
        if status != 200 {
            bail!("search: status {status}");
        }
        requests += 1;
        let answer: serde_json::Value = serde_json::from_slice(&bytes)?;
        listed += answer["results"].as_array().map_or(0, Vec::len);
        match answer["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return Ok((requests, listed, started.elapsed())),
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let requests: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(4000);
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()?.get()
    );

    for pages in [1_000, 10_000, 100_000] {
        let before = benchmarks::proc_status_mb("VmRSS");
        let t = Instant::now();
        let ws = Workspace::synthetic(&SyntheticConfig {
            pages,
            seed: 7,
            ..Default::default()
        });
        let built = t.elapsed();
        let after = benchmarks::proc_status_mb("VmRSS");
        let t = Instant::now();
        let min = ws.min_requests();
        let min_took = t.elapsed();
        let server = MockServer::start(ws.clone(), MockConfig::unlimited()).await?;
        let (requests, listed, took) = list_search(&server).await?;
        server.stop().await;
        println!(
            "synthetic {pages} pages: search lists {listed} results in {requests} requests, {:.2} s ({:.1} ms per request)",
            took.as_secs_f64(),
            took.as_secs_f64() * 1000.0 / requests as f64
        );
        println!(
            "synthetic {pages} pages: built in {:.2} s, resident +{:.0} MB (process {:.0} MB), min_requests {} in {:.0} ms",
            built.as_secs_f64(),
            after - before,
            after,
            min.total,
            min_took.as_secs_f64() * 1000.0
        );
    }

    let ws = Workspace::synthetic(&SyntheticConfig {
        pages: 10_000,
        seed: 7,
        ..Default::default()
    });
    let ids = ws.page_ids();
    let server = MockServer::start(ws, MockConfig::unlimited()).await?;
    // Cold: every request is a different page, generated on first use.
    let cold: Vec<String> = ids
        .iter()
        .cycle()
        .take(requests)
        .map(|id| format!("/v1/blocks/{id}/children?page_size=100"))
        .collect();
    report(
        "block children, a new page each time",
        &load(&server, cold).await?,
    );
    // Warm: a few pages, served from the generator's cache.
    let warm: Vec<String> = ids
        .iter()
        .take(CONNECTIONS)
        .cycle()
        .take(requests)
        .map(|id| format!("/v1/blocks/{id}/children?page_size=100"))
        .collect();
    report("block children, cached pages", &load(&server, warm).await?);
    let pages: Vec<String> = ids
        .iter()
        .cycle()
        .take(requests)
        .map(|id| format!("/v1/pages/{id}"))
        .collect();
    report("retrieve page", &load(&server, pages).await?);
    println!("server total: {} requests", server.stats().total);
    server.stop().await;
    Ok(())
}
