//! Properties on arbitrary input: the converter never panics, and every
//! word of text in the input is in the output, whatever the tags, nesting,
//! line endings and escapes around it.

use notion_markdown::nfm::{self, ConvertOptions, MarkdownVersion};
use proptest::prelude::*;

use crate::support::page;

fn convert(markdown: &str, version: MarkdownVersion) -> String {
    let options = ConvertOptions {
        version,
        ..ConvertOptions::default()
    };
    nfm::convert(markdown, &page(), &options).page.markdown
}

/// Syntax around the words: Notion's tags (known, unknown, unbalanced),
/// Markdown punctuation, line endings, indentation and escapes. Attribute
/// values are upper case, so no word of text is ever an attribute.
#[rustfmt::skip]
const SYNTAX: &[&str] = &[
    "\n", "\n\n", "\r\n", "\r", "\t", " ", "\\", "\\\n", "<toggle>", "</toggle>",
    "<toggle heading=\"h2\">", "<callout icon=\"X\">", "</callout>", "<quote>", "</quote>", "<p>",
    "</p>", "<p />", "<columns>", "</columns>", "<column>", "</column>", "<table>",
    "<table header-row=\"true\">", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "</th>",
    "<colgroup>", "<col/>", "<tabs>", "<tab>", "</tab>", "</tabs>", "<synced-block url=\"U\">",
    "</synced-block>", "<meeting-notes>", "</meeting-notes>", "<meeting-notes-section-notes>",
    "<ul>", "</ul>", "<ol>", "</ol>", "<li>", "</li>", "<details>", "</details>", "<summary>",
    "</summary>", "<unknown url=\"U\" alt=\"A\"/>",
    "<unknown url=\"https://www.notion.so/P#0123456789ABCDEF0123456789ABCDEF\" alt=\"T\"/>",
    "<page url=\"U\">", "<page url=\"https://www.notion.so/0123456789ABCDEF0123456789ABCDEF\">",
    "</page>", "<database url=\"U\">", "</database>", "<image source=\"U\">", "</image>",
    "<video src=\"U\">", "</video>", "<equation>", "</equation>", "<todo checked=\"true\">",
    "</todo>", "<h2>", "</h2>", "<mention url=\"user://U\">",
    "<mention url=\"https://www.notion.so/0123456789ABCDEF0123456789ABCDEF\">", "</mention>",
    "<mention-page url=\"U\">", "</mention-page>", "<date start=\"D\" />",
    "<mention-date start=\"D\"/>", "<u>", "</u>", "<b>", "</b>", "<i>", "</i>", "<s>", "</s>",
    "<span color=\"R\">", "<span underline=\"true\">", "</span>", "<br />", "<br>",
    "<empty-block/>", "<table-of-contents/>", "<hologram X=\"Y\">", "</hologram>", "<", ">", "/>",
    "</", "=\"", "\"", "**", "*", "_", "~~", "~", "`", "``", "```", "~~~", "$", "$$", "|", "| ",
    " |", "| --- |", "|---|", "]: ", " \"", "\" ", "- ", "* ", "+ ", "1. ", "2) ", "- [ ] ",
    "- [x] ", "> ", ">", "# ", "###### ", "---", "===", "[", "]", "(", ")", "![", "](", "&amp;",
    "&lt;", "&#", "&", "{color=\"X\"}", " {toggle=\"true\"}", "::: callout {icon=\"X\"}", ":::",
    "[^U]", "    ", "\u{a0}", "é", "👍🏽",
];

/// How lines start: block syntax, container tags, fences.
#[rustfmt::skip]
const LINE_STARTS: &[&str] = &[
    "", "", "", "[", "- ", "* ", "1. ", "12) ", "- [x] ", "> ", "> > ", "## ", "|", "| ", "[",
    "  [", "<toggle>", "</toggle>", "<toggle heading=\"h1\">", "<callout icon=\"X\">", "</callout>",
    "<quote>", "</quote>", "<p>", "</p>", "<columns>", "</columns>", "<column>", "</column>",
    "<table>", "</table>", "<tr><td>", "<details>", "</details>", "<summary>", "<page url=\"U\">",
    "<unknown url=\"U\" alt=\"A\"/>", "<image source=\"U\">", "```", "~~~", "$$", "---", "===",
    "::: callout", ":::", "<p />", "<meeting-notes>", "</meeting-notes>",
    "<synced-block url=\"U\">", "</synced-block>", "<ul>", "</ul>", "<li>", "<tabs>", "<tab>",
    "</tab>",
];

/// How lines end.
#[rustfmt::skip]
const LINE_ENDS: &[&str] = &[
    "", "", "", " |", " | ", "]: ", "]:", "]: X", "]: <U>", "]: X \"T\"", "](U \"", "\"", "</page>",
    "</td></tr>", "</summary>", " {color=\"X\"}", " {toggle=\"true\"}", "\\", "</image>", "</li>",
    "</p>", "</toggle>", "$$", "```",
];

/// What comes between lines.
#[rustfmt::skip]
const BREAKS: &[&str] = &["\n", "\n", "\n\n", "\r\n", "\r", "\n\t", "\n\n\t\t"];

/// A document: lines of words of text (lower-case letters) and syntax,
/// starting and ending with block syntax, indented by tabs.
fn document() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[a-z]{1,8}".prop_map(|w| format!(" {w} ")),
        2 => "[a-z]{1,8}",
        2 => prop::sample::select(SYNTAX).prop_map(str::to_string),
    ];
    let line = (
        0usize..3,
        prop::sample::select(LINE_STARTS),
        prop::collection::vec(piece, 0..6),
        prop::sample::select(LINE_ENDS),
        prop::sample::select(BREAKS),
    )
        .prop_map(|(tabs, start, body, end, line_break)| {
            format!(
                "{}{start}{}{end}{line_break}",
                "\t".repeat(tabs),
                body.concat()
            )
        });
    prop::collection::vec(line, 0..40).prop_map(|lines| lines.concat())
}

/// How often `needle` occurs in `haystack`.
fn occurrences(haystack: &str, needle: &str) -> usize {
    haystack.match_indices(needle).count()
}

/// The words of text in a generated document: maximal runs of lower-case
/// ASCII letters that are not part of a syntax piece's name.
fn words(markdown: &str) -> Vec<&str> {
    markdown
        .split(|c: char| !c.is_ascii_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Every word of text occurs in the output at least as often as in the input.
fn assert_keeps_words(input: &str, version: MarkdownVersion) -> Result<(), TestCaseError> {
    let output = convert(input, version);
    // Lower-case letters inside the syntax pieces (tag and attribute
    // names, `callout`, `true`...) are not text: count them out.
    let mut syntax_free = input.to_string();
    for s in SYNTAX.iter().chain(LINE_STARTS).chain(LINE_ENDS) {
        if s.bytes().any(|b| b.is_ascii_lowercase()) {
            syntax_free = syntax_free.replace(s, " ");
        }
    }
    for word in words(&syntax_free) {
        let want = occurrences(&syntax_free, word);
        prop_assert!(
            occurrences(&output, word) >= want,
            "{version:?}: {word:?} occurs {want} times in\n{input:?}\nbut not in\n{output}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(input in "\\PC*", v1 in any::<bool>()) {
        let version = if v1 { MarkdownVersion::V1 } else { MarkdownVersion::V2 };
        let _ = convert(&input, version);
    }

    #[test]
    fn no_word_is_lost_in_v2(input in document()) {
        assert_keeps_words(&input, MarkdownVersion::V2)?;
    }

    #[test]
    fn no_word_is_lost_in_v1(input in document()) {
        assert_keeps_words(&input, MarkdownVersion::V1)?;
    }

}

proptest! {
    // Inputs of megabytes (a quote 3,000 levels deep holds 4.5 million `>`): few cases.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn deep_nesting_keeps_its_words(kind in 0usize..6, depth in 1usize..3000, closed in any::<bool>()) {
        let mut input = String::new();
        let (opener, closer) = [
            ("<toggle>\n", "</toggle>\n"),
            ("<callout>\n", "</callout>\n"),
            ("<columns>\n<column>\n", "</column>\n</columns>\n"),
            ("<quote>\nq\n\n", "</quote>\n"),
            ("", ""),
            ("", ""),
        ][kind];
        for i in 0..depth {
            let word = format!("word{}", letters(i));
            match kind {
                // A list nested by tabs, a quote nested by `>`.
                4 => input.push_str(&format!("{}- {word}\n", "\t".repeat(i))),
                5 => input.push_str(&format!("{} {word}\n\n", ">".repeat(i + 1))),
                _ => input.push_str(&format!("{opener}{word}\n\n")),
            }
        }
        if closed {
            input.push_str(&closer.repeat(depth));
        }
        for version in [MarkdownVersion::V2, MarkdownVersion::V1] {
            let output = convert(&input, version);
            let written: std::collections::HashSet<&str> =
                output.split(|c: char| !c.is_ascii_alphanumeric()).collect();
            for i in 0..depth {
                let word = format!("word{}", letters(i));
                prop_assert!(written.contains(word.as_str()), "{version:?} lost {word} at depth {depth}");
            }
        }
    }
}

/// `i` written in letters (`a`, `b`, … `ba`…), so numbered words stay words.
fn letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (i % 26) as u8);
        i /= 26;
        if i == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[test]
fn huge_lines_and_many_tags_keep_their_text() {
    // A line of a megabyte; a hundred thousand tags, open and unmatched;
    // a hundred thousand lines that open containers, fences and math.
    let line = "lorem ipsum ".repeat(90_000);
    let tags = "<b>x</i><toggle><u>".repeat(25_000);
    let lines = "<toggle>\n$$\n<callout>\n```\n".repeat(25_000);
    for version in [MarkdownVersion::V2, MarkdownVersion::V1] {
        assert_eq!(occurrences(&convert(&line, version), "lorem ipsum"), 90_000);
        assert!(occurrences(&convert(&tags, version), "x") >= 25_000);
        assert!(occurrences(&convert(&lines, version), "toggle") >= 25_000);
    }
}
