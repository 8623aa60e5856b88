//! Hand-written Notion-flavoured Markdown, each construct of both versions,
//! converted, against the Markdown the block renderer writes for it.

use crate::support::{PAGE_URL, page};
use notion_markdown::nfm::{self, ConvertOptions, Converted, MarkdownVersion, Refetch};

fn convert_as(markdown: &str, version: MarkdownVersion) -> Converted {
    nfm::convert(
        markdown,
        &page(),
        &ConvertOptions {
            version,
            ..ConvertOptions::default()
        },
    )
}

/// The converted Markdown after the title.
fn body(markdown: &str, version: MarkdownVersion) -> String {
    let converted = convert_as(markdown, version);
    converted
        .page
        .markdown
        .strip_prefix("# Test\n")
        .expect("title first")
        .trim_start_matches('\n')
        .to_string()
}

fn v2(markdown: &str) -> String {
    body(markdown, MarkdownVersion::V2)
}

fn v1(markdown: &str) -> String {
    body(markdown, MarkdownVersion::V1)
}

#[test]
fn v2_containers_hold_their_title_and_children() {
    // The spec's own example.
    let quote = "<quote color=\"purple_bg\">\nQuoted line\n\n- child bullet\n\n\
                 <callout icon=\"💡\" color=\"yellow_bg\">\nNested callout\n</callout>\n</quote>";
    assert_eq!(
        v2(quote),
        "> Quoted line\n>\n> - child bullet\n>\n> > 💡 Nested callout\n"
    );
    assert_eq!(
        v2("<toggle>\nMore\n\nHidden **text**\n</toggle>"),
        "More\n\nHidden **text**\n"
    );
    assert_eq!(
        v2("<toggle heading=\"h2\">\nSection\n\nBody\n</toggle>"),
        "### Section\n\nBody\n"
    );
    assert_eq!(
        v2("<callout>\n<p />\n\nOnly a child\n</callout>"),
        "> Only a child\n"
    );
    assert_eq!(
        v2("<p color=\"red\">\nParent\n\nChild\n</p>"),
        "Parent\n\nChild\n"
    );
}

#[test]
fn v2_lists_nest_by_tabs_and_keep_their_numbers() {
    assert_eq!(
        v2("- a\n\t- b\n\t\t- c\n- d\n\n3. three\n4. four\n\n- [x] done\n\n\tA note."),
        "- a\n  - b\n    - c\n- d\n\n3. three\n4. four\n\n- [x] done\n\n  A note.\n"
    );
    assert_eq!(
        v2(
            "<ol start=\"2\">\n<li>two</li>\n<li>three</li>\n</ol>\n\n<todo checked=\"true\">ok</todo>"
        ),
        "2. two\n3. three\n\n- [x] ok\n"
    );
}

#[test]
fn v2_leaves_and_layout() {
    assert_eq!(
        v2(
            "<columns>\n<column ratio=\"50\">\nLeft\n</column>\n<column>\nRight\n</column>\n</columns>"
        ),
        "Left\n\nRight\n"
    );
    assert_eq!(
        v2("<tabs>\n<tab icon=\"📌\">\nFirst\n\nInside\n</tab>\n</tabs>"),
        "First\n\nInside\n"
    );
    assert_eq!(
        v2("$$\nE = mc^2\n$$\n\n<equation color=\"red\">x</equation>"),
        "$$ E = mc^2 $$\n\n$$ x $$\n"
    );
    assert_eq!(v2("```plain text\na <b>\n```"), "```\na <b>\n```\n");
    assert_eq!(
        v2("<h3 color=\"blue\">Blue</h3>\n\n<p />\n\n<table-of-contents />\n\n---"),
        "#### Blue\n\n---\n"
    );
    assert_eq!(
        v2(
            "<bookmark source=\"https://a.example/x\">A site</bookmark>\n\n<embed source=\"https://b.example/y\"></embed>"
        ),
        "[A site](https://a.example/x)\n\n[https://b.example/y](https://b.example/y)\n"
    );
}

#[test]
fn v2_tables_as_pipes_or_tags() {
    assert_eq!(
        v2("| a | b \\| c |\n| --- | --- |\n| 1 | 2<br />3 |"),
        "| a | b \\| c |\n| --- | --- |\n| 1 | 2<br>3 |\n"
    );
    assert_eq!(
        v2("<table header-row=\"false\">\n<tr>\n<td>x</td>\n<td>*y*</td>\n</tr>\n</table>"),
        "|  |  |\n| --- | --- |\n| x | *y* |\n"
    );
}

#[test]
fn v2_inline_tags_mentions_and_dates() {
    assert_eq!(
        v2("<b> spaced </b>and <u>under</u> <span color=\"red\">red</span> ~~gone~~ $x^2$"),
        "**spaced** and under red ~~gone~~ $x^2$\n"
    );
    assert_eq!(
        v2(
            "<mention url=\"user://11111111-1111-1111-1111-111111111111\">Ada</mention> met \
            <mention url=\"https://www.notion.so/22222222222222222222222222222222\">Plan</mention> on \
            <date start=\"2026-07-04\" end=\"2026-07-06\" />."
        ),
        "@Ada met [Plan](https://www.notion.so/22222222222222222222222222222222) on 2026-07-04 → 2026-07-06.\n"
    );
    assert_eq!(v2("a\\\nb"), "a\\\nb\n");
}

#[test]
fn pages_databases_and_placeholders_are_found() {
    let converted = convert_as(
        "<page url=\"https://www.notion.so/Sub-11111111111111111111111111111111\">Sub</page>\n\n\
         <database url=\"https://www.notion.so/22222222222222222222222222222222\" inline=\"true\">Tasks</database>\n\n\
         <unknown url=\"https://www.notion.so/0a#33333333333333333333333333333333\" alt=\"toggle\"/>\n\n\
         <unknown url=\"https://www.notion.so/0a#44444444444444444444444444444444\" alt=\"link_to_page\"/>",
        MarkdownVersion::V2,
    );
    assert_eq!(
        converted.child_pages[0].id,
        "11111111-1111-1111-1111-111111111111"
    );
    assert_eq!(converted.child_databases[0].title, "Tasks");
    let how: Vec<Refetch> = converted.placeholders.iter().map(|p| p.refetch()).collect();
    assert_eq!(how, [Refetch::Markdown, Refetch::Block]);
    let spans: Vec<&str> = converted
        .page
        .blocks
        .iter()
        .map(|b| b.block_id.as_str())
        .collect();
    assert_eq!(spans.len(), 4, "only blocks with ids have spans: {spans:?}");
    assert!(
        converted
            .page
            .markdown
            .contains("<!-- unsupported: link_to_page -->")
    );
}

#[test]
fn signed_file_urls_are_never_written() {
    let signed = "https://prod-files-secure.s3.us-west-2.amazonaws.com/w/f/plan%20v2.pdf?X-Amz-Signature=abc";
    let out = v2(&format!(
        "![Diagram]({signed})\n\n<pdf source=\"{signed}\"></pdf>\n\n<video source=\"https://v.example/a.mp4\">Clip</video>"
    ));
    assert_eq!(
        out,
        format!(
            "[plan v2.pdf]({PAGE_URL})\n\nDiagram\n\n[plan v2.pdf]({PAGE_URL})\n\n[Clip](https://v.example/a.mp4)\n"
        )
    );
}

#[test]
fn v1_enhanced_markdown() {
    assert_eq!(
        v1(
            "First {color=\"red\"}\nSecond\n<empty-block/>\n## Toggled {toggle=\"true\"}\n\tUnder it\n- a\n\t- b\n---"
        ),
        "First\n\nSecond\n\n### Toggled\n\nUnder it\n\n- a\n  - b\n\n---\n"
    );
    assert_eq!(
        v1("<details color=\"gray\">\n<summary>More</summary>\n\tHidden\n\t- item\n</details>"),
        "More\n\nHidden\n\n- item\n"
    );
    assert_eq!(
        v1(
            "<callout icon=\"💡\">\n\tTip\n\tChild\n</callout>\n::: callout {icon=\"⚠️\"}\nWarn\n:::"
        ),
        "> 💡 Tip\n>\n> Child\n\n> ⚠️ Warn\n"
    );
    assert_eq!(
        v1(
            "<table header-row=\"true\">\n\t<tr>\n\t\t<td>a</td>\n\t</tr>\n\t<tr>\n\t\t<td>b<br>c</td>\n\t</tr>\n</table>"
        ),
        "| a |\n| --- |\n| b<br>c |\n"
    );
    assert_eq!(
        v1(
            "<mention-user url=\"user://11111111-1111-1111-1111-111111111111\">Ada</mention-user> on \
            <mention-date start=\"2026-07-04\" startTime=\"09:30\"/>, <span underline=\"true\">u</span>"
        ),
        "@Ada on 2026-07-04T09:30, u\n"
    );
    // v2 reads `<details>` and `{color}` as text, as Notion stores them.
    let converted = convert_as(
        "<details>\n<summary>x</summary>\n</details>",
        MarkdownVersion::V2,
    );
    assert!(converted.page.markdown.contains("\\<details>"));
    assert!(converted.unrecognised.total() > 0);
}

#[test]
fn what_is_not_recognised_stays_and_is_counted() {
    let converted = convert_as(
        "<hologram depth=\"3\">\nseen\n</hologram>\n\n<toggle>\nnever closed\n\na </u> b",
        MarkdownVersion::V2,
    );
    let text = &converted.page.markdown;
    for word in ["hologram", "seen", "toggle", "never closed", "a ", "b"] {
        assert!(text.contains(word), "{word:?} missing from {text}");
    }
    assert_eq!(converted.unrecognised.tags.get("hologram"), Some(&2));
    assert_eq!(converted.unrecognised.unmatched, 1);
}

#[test]
fn line_endings_do_not_matter() {
    let lf = "<toggle>\nT\n\n- a\n\t- b\n</toggle>\n\n| x |\n| --- |\n| y |";
    assert_eq!(v2(&lf.replace('\n', "\r\n")), v2(lf));
    assert_eq!(v2(&lf.replace('\n', "\r")), v2(lf));
}
