//! Uploads a dataset into a Notion workspace (or the mock) under a parent
//! page, resumably: the process the kill tests stop with `kill -9`.
//!
//! ```text
//! cargo run --release -p notion-upload --example upload -- \
//!     --base-url http://127.0.0.1:PORT --parent PAGE_ID --state upload.json [--dataset FILE] [--rate R]
//! ```
//!
//! The token comes from `NOTION_TOKEN`. Without `--dataset` the bundled
//! kitchen sink is uploaded. `--rate` paces requests at R per second
//! (default: Notion's 3). Prints the report as JSON on success.

use std::path::PathBuf;
use std::process::ExitCode;

use notion_mock::Workspace;
use notion_source::client::{ClientConfig, NotionClient, SecretToken};
use notion_upload::{UploadOptions, upload};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut base_url, mut parent, mut state, mut dataset, mut rate) =
        (None, None, None, None, None);
    while let Some(flag) = args.next() {
        let value = args.next();
        match flag.as_str() {
            "--base-url" => base_url = value,
            "--parent" => parent = value,
            "--state" => state = value.map(PathBuf::from),
            "--dataset" => dataset = value.map(PathBuf::from),
            "--rate" => match value.as_deref().map(str::parse::<f64>) {
                Some(Ok(r)) if r > 0.0 => rate = Some(r),
                _ => {
                    eprintln!("--rate takes a positive number of requests per second");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("unknown flag {other}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(parent), Some(state)) = (parent, state) else {
        eprintln!(
            "usage: upload [--base-url URL] --parent PAGE_ID --state FILE [--dataset FILE] [--rate R]"
        );
        return ExitCode::from(2);
    };
    let dataset = match dataset {
        Some(path) => match Workspace::load(&path) {
            Ok(ws) => ws,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        None => Workspace::kitchen_sink(),
    };
    let token = std::env::var("NOTION_TOKEN").unwrap_or_default();
    let mut config = ClientConfig::default();
    if let Some(url) = base_url {
        config.base_url = url;
    }
    if let Some(per_second) = rate {
        config.rate = notion_source::client::RateLimit::PerSecond {
            per_second,
            burst: 2,
        };
    }
    let client = match NotionClient::new(SecretToken::new(token), config) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match upload(
        &client,
        &dataset,
        &parent,
        &state,
        &UploadOptions::default(),
    )
    .await
    {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("upload failed: {e}");
            ExitCode::FAILURE
        }
    }
}
