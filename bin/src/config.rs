//! The configuration a command runs with: the `--config` TOML file
//! ([`engine::Settings`], which holds the one set of defaults), with the
//! command-line flags applied over it. Validation is the engine's
//! ([`engine::Settings::validate`]), before any request.

use engine::{Settings, SettingsError};

use crate::cli::PipelineArgs;

/// Reads `--config` if given, then applies the flags over it.
pub fn resolve(args: &PipelineArgs) -> Result<Settings, SettingsError> {
    let mut settings = match &args.config {
        Some(path) => Settings::load(path)?,
        None => Settings::default(),
    };
    apply(&mut settings, args);
    Ok(settings)
}

/// Applies command-line flags over `settings`.
pub fn apply(settings: &mut Settings, args: &PipelineArgs) {
    if let Some(out) = &args.out {
        settings.out = Some(out.clone());
    }
    if !args.roots.is_empty() {
        settings.crawl.roots = args.roots.clone();
    }
    if !args.exclude.is_empty() {
        settings.crawl.exclude = args.exclude.clone();
    }
    set(&mut settings.chunk.max_tokens, args.max_tokens);
    set(&mut settings.chunk.overlap, args.overlap);
    if args.min_tokens.is_some() {
        settings.chunk.min_tokens = args.min_tokens;
    }
    set(&mut settings.chunk.tokenizer, args.tokenizer.clone());
    set(
        &mut settings.chunk.contextual_header,
        args.contextual_header,
    );
    set(&mut settings.notion.rate, args.rate);
    if args.window_budget.is_some() {
        settings.notion.window_budget = args.window_budget;
    }
    set(&mut settings.crawl.concurrency, args.concurrency);
    set(&mut settings.crawl.fetch, args.fetch);
    set(&mut settings.crawl.anchors, args.anchors);
    set(&mut settings.output.shard_mb, args.shard_mb);
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let mut settings = Settings::from_toml(
            r#"
            out = "from-file"
            [chunk]
            max_tokens = 300
            overlap = 20
            [notion]
            rate = 2.5
            [[crawl.data_sources]]
            id = "ds1"
            filter = { property = "Status", status = { equals = "Done" } }
            "#,
        )
        .unwrap();
        let args = PipelineArgs {
            max_tokens: Some(400),
            fetch: Some(engine::settings::FetchStrategy::Markdown),
            ..Default::default()
        };
        apply(&mut settings, &args);
        assert_eq!(settings.chunk.max_tokens, 400, "flag wins");
        assert_eq!(
            settings.crawl.fetch,
            engine::settings::FetchStrategy::Markdown
        );
        assert_eq!(settings.chunk.overlap, 20, "file wins over default");
        assert_eq!(settings.notion.rate, 2.5);
        assert_eq!(settings.chunk.tokenizer, "o200k_base", "default");
        assert_eq!(settings.out_dir(), PathBuf::from("from-file"));
        assert_eq!(
            settings.crawl.data_sources[0].filter.as_ref().unwrap()["status"]["equals"],
            "Done"
        );
    }
}
