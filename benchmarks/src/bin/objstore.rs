//! Benchmark: the overhead of publishing to object storage against a local
//! directory, on the same snapshot.
//!
//! One synthetic workspace is served by an unlimited mock; `engine::run`
//! crawls it twice from scratch, once into a local directory and once into
//! `s3://bench/out` on a moto S3 server started here (`$MOTO_SERVER`, or
//! `moto_server` on PATH), and the export phase's wall time is compared.
//! moto is a Python server, so the S3 figure is an upper bound of what a
//! real S3 endpoint costs for the same requests (uploads, one conditional
//! pointer write, state store up- and download).
//!
//! `cargo run --release -p benchmarks --bin objstore [-- --pages 1000]`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use notion_mock::{MockConfig, MockServer, SyntheticConfig, Workspace};

fn start_moto() -> anyhow::Result<(std::process::Child, String)> {
    let binary = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = std::process::Command::new(binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("cannot start moto_server (pip install 'moto[server]', or set MOTO_SERVER)")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let request = format!(
                "PUT /bench HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes())?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer)?;
            return Ok((child, format!("http://127.0.0.1:{port}")));
        }
        if Instant::now() > deadline {
            bail!("moto_server did not start");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut pages = 1000usize;
    for (flag, value) in benchmarks::flag_pairs()? {
        match flag.as_str() {
            "--pages" => pages = value.parse().context("--pages N")?,
            other => bail!("unknown flag {other} (flags: --pages N)"),
        }
    }
    let ws = Workspace::synthetic(&SyntheticConfig {
        pages,
        seed: 7,
        ..SyntheticConfig::default()
    });
    let mock = MockConfig::unlimited();
    let token = mock.token.clone();
    let server = MockServer::start(ws, mock).await?;
    let fast = notion_source::client::RateLimit::PerSecond {
        per_second: 100_000.0,
        burst: 1_000,
    };
    let (mut moto, endpoint) = start_moto()?;
    let dir = tempfile::tempdir()?;

    let mut results = Vec::new();
    for target in ["local", "s3"] {
        let mut config = engine::EngineConfig::local(dir.path().join(target));
        if target == "s3" {
            let options = [
                ("aws_access_key_id", "bench"),
                ("aws_secret_access_key", "bench"),
                ("aws_region", "us-east-1"),
                ("aws_endpoint", endpoint.as_str()),
                ("aws_allow_http", "true"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
            config.publisher = Arc::new(sink::ObjectOutput::open_with_options(
                "s3://bench/out",
                options,
                dir.path().join("s3-staging"),
                2,
            )?);
        }
        let client = benchmarks::mock_client(&server, &token, fast.clone())?;
        let watch = engine::Watch::default();
        let started = Instant::now();
        let report = engine::run(
            client,
            config,
            engine::RunOptions {
                watch: watch.clone(),
                ..engine::RunOptions::default()
            },
        )
        .await?;
        let export = report.export.context("a snapshot")?;
        results.push((
            target,
            started.elapsed().as_secs_f64(),
            export.snapshot_chunks,
        ));
    }
    let _ = moto.kill();
    let _ = moto.wait();
    server.stop().await;
    println!("one run from scratch, {pages} synthetic pages, unlimited mock:");
    for (target, seconds, chunks) in &results {
        println!("  {target:<5} {seconds:>7.2} s  ({chunks} chunks)");
    }
    let (local, s3) = (results[0].1, results[1].1);
    println!(
        "object storage overhead: {:+.2} s ({:+.0}%) on the same snapshot (moto S3 on localhost)",
        s3 - local,
        100.0 * (s3 - local) / local
    );
    Ok(())
}
