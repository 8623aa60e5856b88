//! `tree` and `select`: what is shared with the integration, as a tree, and
//! choosing from it what to crawl. Thin wiring: the listing and the tree are
//! `notion_source::hierarchy`'s, the cache and the stored facts the state
//! store's (`engine::store`), the interactive part the `selector` crate's.

use std::path::Path;

use anyhow::{Context as _, Result};
use chrono::Utc;
use engine::store::Store;
use engine::{Settings, ValidSettings};
use notion_source::client::{ClientError, NotionClient};
use notion_source::hierarchy::{
    self, Hierarchy, HierarchyError, Listing, ListingCost, NodeInfos, RenderOptions, RunCostModel,
    Selection, with_known_pages,
};

use crate::cli::{ListingArgs, PipelineArgs, SelectArgs, TreeArgs};
use crate::commands::{read_token, usage};
use crate::exit::Outcome;

/// What `select` says when there is no terminal to draw on.
pub const NO_TERMINAL: &str = "select needs an interactive terminal (stdin and stdout). Without one, list the hierarchy with `notion-ingest tree --json` (one JSON object per node: id, kind, title, parent) and put the ids into the config file's `crawl.roots` (where to start: \"page:ID\", \"database:ID\", \"data_source:ID\"; empty = everything shared) and `crawl.exclude` (ids never crawled, with what is under them)";

/// `notion-ingest tree`: list (always afresh), cache, print.
pub async fn tree(args: TreeArgs) -> Result<Outcome> {
    let mut context = Context::resolve(&args.listing, args.config.as_deref())?;
    let Some((tree, info)) = context.hierarchy(false).await? else {
        return Ok(Outcome::Unauthorized);
    };
    let selection = context.selection()?;
    let depth = args.depth.map(|d| usize::try_from(d).unwrap_or(usize::MAX));
    let options = RenderOptions {
        depth,
        from: args.from.as_deref(),
        selection: Some(&selection),
        info: Some(&info),
    };
    let mut text = Vec::new();
    let written = if args.json {
        hierarchy::write_json_lines(&tree, &options, &mut text)
    } else {
        hierarchy::write_text(&tree, &options, &mut text)
    };
    match written {
        Ok(()) => {}
        Err(e @ HierarchyError::UnknownNode(_)) => {
            return Err(usage(format!("--from: {e}")));
        }
        Err(e) => return Err(e.into()),
    }
    crate::summary::write_stdout(&String::from_utf8_lossy(&text))?;
    Ok(if tree.is_empty() {
        eprintln!("{}", nothing_shared());
        Outcome::NothingShared
    } else {
        Outcome::Success
    })
}

/// `notion-ingest select`: the selector on the cached (or a fresh)
/// listing; Enter writes `crawl.roots` and `crawl.exclude` into the config
/// file, Esc leaves it as it was.
pub async fn select(args: SelectArgs) -> Result<Outcome> {
    if !selector::is_interactive() {
        return Err(usage(NO_TERMINAL));
    }
    let config = args.config.exists().then_some(args.config.as_path());
    let mut context = Context::resolve(&args.listing, config)?;
    let Some((tree, info)) = context.hierarchy(!args.refresh).await? else {
        return Ok(Outcome::Unauthorized);
    };
    if tree.is_empty() {
        eprintln!("{}", nothing_shared());
        return Ok(Outcome::NothingShared);
    }
    let selection = context.selection()?;
    let model = RunCostModel {
        per_second: context.per_second,
        ..RunCostModel::default()
    };
    let outcome = selector::run_in_terminal(&tree, &selection, model, Some(&info))?;
    match outcome {
        selector::Outcome::Accepted(chosen) => {
            selector::write_selection_titled(&args.config, &chosen, Some(&tree))?;
            eprintln!(
                "Wrote crawl.roots ({} ids) and crawl.exclude ({} ids) into {}.\nNext: notion-ingest run --config {}",
                chosen.roots.len(),
                chosen.exclude.len(),
                args.config.display(),
                args.config.display()
            );
        }
        selector::Outcome::Cancelled => {
            eprintln!("Nothing written: {} is as it was.", args.config.display());
        }
    }
    Ok(Outcome::Success)
}

/// The resolved settings of `tree` or `select`, and the state store.
struct Context {
    settings: Settings,
    valid: ValidSettings,
    store: Store,
    per_second: f64,
}

impl Context {
    fn resolve(args: &ListingArgs, config: Option<&Path>) -> Result<Context> {
        let pipeline = PipelineArgs {
            out: args.out.clone(),
            config: config.map(Path::to_path_buf),
            rate: args.rate,
            ..PipelineArgs::default()
        };
        let mut settings = crate::config::resolve(&pipeline).map_err(|e| usage(e.to_string()))?;
        if let Some(url) = &args.api_url {
            settings.notion.api_url = url.clone();
        }
        if let Some(file) = &args.token_file {
            settings.notion.token_file = Some(file.clone());
        }
        let valid = settings.validate().map_err(|e| usage(e.to_string()))?;
        let per_second = settings
            .notion
            .window_budget
            .map_or(settings.notion.rate, |b| f64::from(b) / 60.0);
        let store = Store::open(&valid.out_dir).with_context(|| {
            format!("cannot open the state store in {}", valid.out_dir.display())
        })?;
        Ok(Context {
            settings,
            valid,
            store,
            per_second,
        })
    }

    /// What the configuration selects.
    fn selection(&self) -> Result<Selection> {
        Selection::parse(&self.settings.crawl.roots, &self.settings.crawl.exclude)
            .map_err(|e| usage(format!("crawl.roots / crawl.exclude: {e}")))
    }

    /// The hierarchy with what the store knows added: from the cached
    /// listing when `cached` and there is one, else listed now (and
    /// cached). `None` when Notion refused the token (already said).
    async fn hierarchy(&mut self, cached: bool) -> Result<Option<(Hierarchy, NodeInfos)>> {
        let known = self.store.known_pages()?;
        let previous = self.store.cached_listing()?;
        let listing = match previous {
            Some(previous) if cached => {
                eprintln!(
                    "Using the listing of {} ({} objects); --refresh lists again.",
                    previous.listed_at.format("%Y-%m-%d %H:%M UTC"),
                    previous.listing.entries.len()
                );
                previous.listing
            }
            previous => {
                let cost = match &previous {
                    Some(p) => ListingCost::from_previous(&p.listing),
                    None => ListingCost::from_object_count(known.len() as u64),
                };
                if let Some(notice) = listing_notice(&cost, self.per_second) {
                    eprintln!("{notice}");
                }
                let Some(listing) = self.list().await? else {
                    return Ok(None);
                };
                self.store.save_listing(&listing, Utc::now())?;
                listing
            }
        };
        let (listing, info) = with_known_pages(&listing, &known);
        Ok(Some((Hierarchy::build(&listing), info)))
    }

    /// Lists what is shared, now.
    async fn list(&self) -> Result<Option<Listing>> {
        let token = read_token(self.valid.token_file.as_deref())?;
        let client = NotionClient::new(token, self.valid.client.clone())
            .map_err(|e| usage(e.to_string()))?;
        match hierarchy::list(&client).await {
            Ok(listing) => Ok(Some(listing)),
            Err(HierarchyError::Client(e)) if e.status() == Some(401) => {
                eprintln!(
                    "error: Notion refused the integration token ({}). Check NOTION_TOKEN or --token-file.",
                    e.code().unwrap_or("unauthorized")
                );
                Ok(None)
            }
            Err(HierarchyError::Client(e @ ClientError::Transport { .. })) => {
                Err(anyhow::Error::new(e).context("could not reach Notion"))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The notice printed before a listing expected to take longer than
/// [`hierarchy::LISTING_NOTICE_SECONDS`].
pub fn listing_notice(cost: &ListingCost, per_second: f64) -> Option<String> {
    cost.deserves_notice(per_second).then(|| {
        format!(
            "Listing what is shared: {}{} at {per_second} requests/s (search, and one lookup per block holding a page). Ctrl-C stops it.",
            if cost.lower_bound { "at least " } else { "about " },
            cost.estimate(per_second)
        )
    })
}

fn nothing_shared() -> &'static str {
    "nothing is shared with this integration: open a page in Notion, ... menu > Connections, and add the integration"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_listing_is_announced_with_its_cost() {
        let mut listing = Listing::default();
        listing.requests.search = 400;
        listing.requests.blocks = 50;
        let notice = listing_notice(&ListingCost::from_previous(&listing), 3.0).unwrap();
        assert!(
            notice.contains("about 450 requests, 2 min 30 s at 3 requests/s"),
            "{notice}"
        );
        let lower = listing_notice(&ListingCost::from_object_count(40_000), 3.0).unwrap();
        assert!(lower.contains("at least 400 requests"), "{lower}");
        assert_eq!(
            listing_notice(&ListingCost::from_object_count(50), 3.0),
            None
        );
    }
}
