//! `notion-ingest upload`: writes a dataset (the bundled kitchen sink by
//! default) under a page of a workspace, within Notion's write limits, with
//! a state file that resumes a killed upload ([`notion_upload::upload`]).
//! Also the flags `upload` and `selftest` share to reach Notion.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use engine::Settings;
use notion_source::client::NotionClient;
use notion_source::crawler::normalize_id;

use crate::cli::ConnectionArgs;
use crate::commands::{read_token, usage, with_connection};
use crate::exit::Outcome;

/// How `upload` and `selftest` reach Notion.
#[derive(Debug, Args, Clone, Default)]
pub struct NotionArgs {
    /// The page to write under: its id or URL (share it with the integration first).
    #[arg(long, value_name = "PAGE_ID_OR_URL")]
    pub parent: String,
    /// TOML configuration file (its [notion] section is used); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where Notion is and the token.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Average requests per second to Notion [default: 3].
    #[arg(long, value_name = "RPS")]
    pub rate: Option<f64>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

impl NotionArgs {
    /// The parent page's id and a client, every value checked before any
    /// request (a bad one is a usage error, exit 2).
    pub fn connect(&self) -> Result<(String, NotionClient)> {
        let parent = normalize_id(&self.parent).ok_or_else(|| {
            usage(format!(
                "--parent {:?} is not a Notion page id or URL",
                self.parent
            ))
        })?;
        let mut settings = with_connection(
            match &self.config {
                Some(path) => Settings::load(path).map_err(|e| usage(e.to_string()))?,
                None => Settings::default(),
            },
            &self.connection,
        );
        if let Some(rate) = self.rate {
            settings.notion.rate = rate;
        }
        let valid = settings.validate().map_err(|e| usage(e.to_string()))?;
        let token = read_token(valid.token_file.as_deref())?;
        let client = NotionClient::new(token, valid.client).map_err(|e| usage(e.to_string()))?;
        Ok((parent, client))
    }
}

/// Flags of `upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Dataset file to upload (the mock's format, datasets/README.md)
    /// [default: the bundled kitchen-sink workspace].
    #[arg(value_name = "DATASET")]
    pub dataset: Option<PathBuf>,
    /// Where to reach Notion and what to write under.
    #[command(flatten)]
    pub notion: NotionArgs,
    /// State file: which dataset object became which Notion object. Run again
    /// with the same file to resume a stopped upload.
    #[arg(long, value_name = "FILE", default_value = "notion-upload-state.jsonl")]
    pub state: PathBuf,
}

/// `notion-ingest upload [DATASET] --parent PAGE`.
pub async fn upload(args: UploadArgs) -> Result<Outcome> {
    let dataset = match &args.dataset {
        Some(path) => notion_mock::Workspace::load(path)
            .map_err(|e| usage(format!("cannot load the dataset {}: {e}", path.display())))?,
        None => notion_mock::Workspace::kitchen_sink(),
    };
    let (parent, client) = args.notion.connect()?;
    let report = notion_upload::upload(
        &client,
        &dataset,
        &parent,
        &args.state,
        &notion_upload::UploadOptions::default(),
    )
    .await
    .with_context(|| {
        format!(
            "upload stopped; run the same command again to resume (state file {})",
            args.state.display()
        )
    })?;
    if args.notion.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let top: Vec<&str> = report
            .pages
            .iter()
            .filter(|p| p.top_level)
            .map(|p| p.notion_id.as_str())
            .collect();
        println!(
            "Uploaded {} pages under {} ({} steps{}): {} writes, {} reads, {} rate-limited.",
            report.pages.len(),
            report.parent,
            report.steps,
            report
                .resumed_at
                .map(|s| format!(", resumed at step {s}"))
                .unwrap_or_default(),
            report.requests.writes,
            report.requests.reads,
            report.requests.rate_limited,
        );
        println!("Top-level pages: {}", top.join(", "));
        println!(
            "{} objects written differently by the upload's rules, {} dataset pages not uploaded (--json lists them).",
            report.differences.len(),
            report.skipped.len()
        );
    }
    Ok(Outcome::Success)
}
