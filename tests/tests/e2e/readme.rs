//! The README tells the truth: its exit-code table lists every code the
//! binary returns, and its configuration example and flag table show the
//! defaults the engine uses.

use engine::Settings;
use notion_ingest::exit::Outcome;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md")
}

/// The text of the README's section headed `heading`, up to the next heading.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let rest = &readme[start + heading.len()..];
    let end = ["\n## ", "\n### "]
        .iter()
        .filter_map(|h| rest.find(h))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The cells of the Markdown table rows of `text` (header and rule skipped).
fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .skip(1)
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn exit_code_table_lists_every_code() {
    let readme = readme();
    let listed: Vec<u8> = table_rows(section(&readme, "### Exit codes"))
        .iter()
        .map(|row| row[0].parse().expect("a code"))
        .collect();
    let codes: Vec<u8> = Outcome::ALL.iter().map(|o| o.code()).collect();
    assert_eq!(listed, codes);
}

#[test]
fn configuration_example_shows_the_defaults() {
    let readme = readme();
    let configuration = section(&readme, "## Configuration");
    let start = configuration.find("```toml\n").expect("a TOML example") + 8;
    let end = start + configuration[start..].find("```").expect("its end");
    let mut example = Settings::from_toml(&configuration[start..end]).expect("the example parses");
    example.validate().expect("the example is valid");
    // What the example sets beyond the defaults, on purpose.
    assert!(example.out.take().is_some());
    assert!(example.notion.token_file.take().is_some());
    assert_eq!(example.crawl.data_sources.drain(..).count(), 1);
    // `min_tokens` unset means the chunker's default, which the example shows.
    assert_eq!(
        example.chunk.min_tokens.take(),
        Some(chunker::ChunkConfig::default().min_tokens)
    );
    assert_eq!(example, Settings::default());
}

#[test]
fn flag_table_shows_the_defaults() {
    let readme = readme();
    let defaults = serde_json::to_value(Settings::default()).expect("settings as JSON");
    let mut checked = 0;
    for row in table_rows(section(&readme, "## Configuration")) {
        let [_, key, shown, ..] = row.as_slice() else {
            continue;
        };
        let Some(value) = key
            .split('.')
            .try_fold(&defaults, |v, k| v.get(k))
            .filter(|v| !v.is_null() && !v.is_array() && !v.is_object())
        else {
            continue;
        };
        let expected = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                format!("{}", n.as_f64().unwrap_or_default() as i64)
            }
            other => other.to_string(),
        };
        assert_eq!(shown, &expected, "the README's default of {key}");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} defaults checked");
}
