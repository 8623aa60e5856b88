//! `notion-ingest selftest`: uploads the kitchen sink under a page, crawls
//! it back and compares ([`notion_upload::selftest`]); exit 0 only on full
//! fidelity, [`Outcome::NotFaithful`] otherwise.

use anyhow::Result;
use clap::Args;

use crate::exit::Outcome;
use crate::upload::NotionArgs;

/// Flags of `selftest`.
#[derive(Debug, Args)]
pub struct SelftestArgs {
    /// Where to reach Notion and what to write under.
    #[command(flatten)]
    pub notion: NotionArgs,
    /// Leave the uploaded pages in place (they go to the trash otherwise).
    #[arg(long)]
    pub keep: bool,
}

/// `notion-ingest selftest --parent PAGE`.
pub async fn selftest(args: SelftestArgs) -> Result<Outcome> {
    let (parent, client) = args.notion.connect()?;
    let options = notion_upload::SelftestOptions {
        keep: args.keep,
        ..notion_upload::SelftestOptions::default()
    };
    eprintln!("Uploading the kitchen sink under {parent}, then crawling it back...");
    let report = notion_upload::selftest(&client, &parent, &options).await?;
    if args.notion.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(if report.faithful {
        Outcome::Success
    } else {
        Outcome::NotFaithful
    })
}
