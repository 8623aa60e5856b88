//! The text splitter: every run within the limit, formatting and links
//! kept, the text unchanged.

use notion_upload::text::{fit, split_long_runs, split_text};
use proptest::prelude::*;
use serde_json::{Value, json};

fn utf16(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Text mixing ASCII, accented letters, CJK, emoji (with joiners and
/// skin tones) and combining marks.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-z ]{1,40}",
            Just("é".to_string()),
            Just("e\u{301}".to_string()),
            Just("漢字".to_string()),
            Just("🚀".to_string()),
            Just("👍🏽".to_string()),
            Just("👨\u{200d}👩\u{200d}👧\u{200d}👦".to_string()),
        ],
        0..400,
    )
    .prop_map(|parts| parts.concat())
}

fn run(content: &str, bold: bool, link: Option<&str>) -> Value {
    let mut run = json!({"type": "text", "text": {"content": content, "link": link.map(|u| json!({"url": u}))}});
    if bold {
        run["annotations"] = json!({"bold": true, "color": "red"});
    }
    run
}

proptest! {
    #[test]
    fn pieces_are_within_the_limit_and_concatenate_to_the_text(s in text(), max in 2usize..300) {
        let pieces = split_text(&s, max);
        prop_assert!(pieces.iter().all(|p| utf16(p) <= max && !p.is_empty()));
        prop_assert_eq!(pieces.concat(), s);
    }

    #[test]
    fn split_runs_keep_formatting_and_text(
        contents in prop::collection::vec(text(), 1..6),
        bold in prop::collection::vec(any::<bool>(), 6),
        max in 8usize..2000,
    ) {
        let runs: Vec<Value> = contents
            .iter()
            .enumerate()
            .map(|(i, c)| run(c, bold[i], (i % 2 == 1).then_some("https://example.com/x")))
            .collect();
        let split = split_long_runs(&runs, max);
        let mut at = 0;
        for original in &runs {
            let content = original["text"]["content"].as_str().unwrap();
            let mut joined = String::new();
            while joined.len() < content.len() {
                let piece = &split[at];
                at += 1;
                prop_assert_eq!(&piece["annotations"], &original["annotations"]);
                prop_assert_eq!(&piece["text"]["link"], &original["text"]["link"]);
                let text = piece["text"]["content"].as_str().unwrap();
                prop_assert!(utf16(text) <= max);
                joined.push_str(text);
            }
            if content.is_empty() {
                at += 1;
            }
            prop_assert_eq!(joined, content);
        }
        prop_assert_eq!(at, split.len());
    }

    #[test]
    fn fitted_arrays_hold_at_most_100_runs_and_the_whole_text(
        contents in prop::collection::vec("[a-z]{0,30}", 0..400),
        bold in any::<bool>(),
    ) {
        let runs: Vec<Value> = contents.iter().enumerate().map(|(i, c)| run(c, bold && i % 3 == 0, None)).collect();
        let arrays = fit(&runs, 2000, 100);
        prop_assert!(arrays.iter().all(|a| a.len() <= 100));
        let text: String = arrays.iter().flatten().map(|r| r["text"]["content"].as_str().unwrap().to_string()).collect();
        prop_assert_eq!(text, contents.concat());
    }
}
