//! `GET /v1/pages/{id}/markdown`: the version by `Notion-Version` and
//! `markdown_version`, placeholders for what the endpoint cannot write,
//! truncation and re-fetching, unshared content, re-signed files, the rate
//! limit, and the markdown strategy's minimum requests.

use notion_mock::{MockConfig, RateLimit, Workspace};
use serde_json::Value;

use crate::common::{Answer, Harness, TOKEN, page_by_title};

const V2_ERA: &str = "2026-12-01";

async fn markdown(h: &Harness, id: &str, query: &str, version: &str) -> Answer {
    h.call_with(
        "GET",
        &format!("/v1/pages/{id}/markdown{query}"),
        None,
        Some(TOKEN),
        Some(version),
    )
    .await
}

fn text(answer: &Answer) -> &str {
    answer.body["markdown"].as_str().unwrap_or_default()
}

fn unknown_ids(answer: &Answer) -> Vec<String> {
    answer.body["unknown_block_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_version_follows_the_header_unless_asked() {
    let h = Harness::kitchen_sink().await;
    let id = page_by_title(&h, "Kitchen Sink").await;
    let old = markdown(&h, &id, "", "2026-03-11").await;
    assert_eq!(old.status, 200);
    assert_eq!(old.body["object"], "page_markdown");
    assert_eq!(old.body["id"], id.as_str());
    assert!(
        text(&old).contains("<details>\n<summary>A toggle</summary>"),
        "v1 by default before {V2_ERA}"
    );
    let new = markdown(&h, &id, "", V2_ERA).await;
    assert!(
        text(&new).contains("<toggle>\nA toggle\n"),
        "v2 by default from {V2_ERA}"
    );
    let asked = markdown(&h, &id, "?markdown_version=v2", "2026-03-11").await;
    assert_eq!(
        text(&asked).split("X-Amz").next(),
        text(&new).split("X-Amz").next()
    );
    let rejected = markdown(&h, &id, "?markdown_version=v1", V2_ERA).await;
    assert_eq!(
        (rejected.status, rejected.body["code"].as_str()),
        (400, Some("validation_error"))
    );
    let bad = markdown(&h, &id, "?markdown_version=v3", "2026-03-11").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn unwritable_blocks_are_placeholders_that_stay_placeholders() {
    let h = Harness::kitchen_sink().await;
    let id = page_by_title(&h, "Kitchen Sink").await;
    let answer = markdown(&h, &id, "?markdown_version=v2", V2_ERA).await;
    let ids = unknown_ids(&answer);
    // link_to_page ×3, bookmark, embed, link_preview, breadcrumb, template, unsupported, an unknown type.
    assert_eq!(ids.len(), 10, "{ids:?}");
    assert_eq!(answer.body["truncated"], false);
    for kind in [
        "bookmark",
        "embed",
        "link_preview",
        "link_to_page",
        "breadcrumb",
        "template",
        "form",
        "hologram",
    ] {
        assert!(
            text(&answer).contains(&format!("alt=\"{kind}\"/>")),
            "{kind}"
        );
    }
    for block in &ids {
        assert!(text(&answer).contains(&format!("#{}\"", block.replace('-', ""))));
        let again = markdown(&h, block, "?markdown_version=v2", V2_ERA).await;
        assert_eq!(again.status, 200);
        assert_eq!(
            unknown_ids(&again),
            std::slice::from_ref(block),
            "the same placeholder again"
        );
    }
    // The block API reads them.
    let mut types = Vec::new();
    for block in &ids {
        types.push(
            h.get(&format!("/v1/blocks/{block}")).await.body["type"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(
        types,
        [
            "template",
            "breadcrumb",
            "link_to_page",
            "link_to_page",
            "link_to_page",
            "bookmark",
            "embed",
            "link_preview",
            "unsupported",
            "hologram"
        ]
    );
}

#[tokio::test]
async fn truncated_answers_list_the_rest_and_each_id_answers_its_subtree() {
    let cfg = MockConfig {
        markdown_block_limit: 10,
        ..MockConfig::unlimited()
    };
    let h = Harness::start(Workspace::kitchen_sink(), cfg).await;
    let id = page_by_title(&h, "A big page").await;
    let answer = markdown(&h, &id, "", V2_ERA).await;
    assert_eq!(answer.body["truncated"], true);
    let ids = unknown_ids(&answer);
    // Written: section 1's two paragraphs, bullet, heading and toggle with 5
    // of its 150 details; the other 145 details and 245 top-level blocks are placeholders.
    assert_eq!(ids.len(), 145 + 245);
    assert!(text(&answer).starts_with("Section 1, paragraph one.\n\nSection 1, paragraph two."));
    assert!(text(&answer).contains("Detail 1.5\n\n<unknown"));
    // Section 2's toggle, the 10th top-level block, comes back with 9 of its details.
    let toggle = markdown(&h, &ids[145 + 4], "", V2_ERA).await;
    assert!(
        text(&toggle).starts_with("<toggle>\nSection 2 details\n\nDetail 2.1\n\n"),
        "{}",
        text(&toggle)
    );
    assert_eq!(unknown_ids(&toggle).len(), 141);
    assert_eq!(toggle.body["truncated"], true);
}

#[tokio::test]
async fn unshared_content_is_a_placeholder_and_a_404() {
    let h = Harness::kitchen_sink().await;
    let ws = Workspace::kitchen_sink();
    let by_title = |title: &str| {
        ws.page_ids()
            .into_iter()
            .find(|id| {
                ws.page_tree_json(id).unwrap()["page"]["url"]
                    .as_str()
                    .unwrap()
                    .contains(&title.replace(' ', "-"))
            })
            .unwrap()
    };
    let level_1 = by_title("Level 1");
    let hidden = by_title("Hidden from search");
    h.server.edit(|ws| ws.unshare_page(&hidden)).unwrap();
    let answer = markdown(&h, &level_1, "", V2_ERA).await;
    assert_eq!(answer.body["truncated"], true);
    assert_eq!(unknown_ids(&answer), std::slice::from_ref(&hidden));
    assert!(text(&answer).contains("alt=\"child_page\""));
    let again = markdown(&h, &hidden, "", V2_ERA).await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (404, Some("object_not_found"))
    );
    let missing = markdown(&h, "00000000-0000-0000-0000-000000000000", "", V2_ERA).await;
    assert_eq!(missing.status, 404);
    let bad = markdown(&h, "not-an-id", "", V2_ERA).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn hosted_files_are_signed_afresh_in_every_answer() {
    let h = Harness::kitchen_sink().await;
    let id = page_by_title(&h, "Kitchen Sink").await;
    let signatures = |a: &Answer| -> Vec<String> {
        text(a)
            .split("X-Amz-Signature=")
            .skip(1)
            .map(|s| {
                s.split(['&', ')', '"'])
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    let first = markdown(&h, &id, "", V2_ERA).await;
    let second = markdown(&h, &id, "", V2_ERA).await;
    assert_eq!(signatures(&first).len(), 3, "a hosted image, PDF and file");
    for (a, b) in signatures(&first).iter().zip(signatures(&second)) {
        assert_ne!(*a, b);
    }
}

#[tokio::test]
async fn the_endpoint_is_rate_limited_and_counted_like_the_others() {
    let cfg = MockConfig {
        rate: RateLimit::TokenBucket {
            per_second: 1.0,
            burst: 2,
        },
        ..MockConfig::default()
    };
    let h = Harness::start(Workspace::kitchen_sink(), cfg).await;
    let id = Workspace::kitchen_sink().page_ids()[0].clone();
    let statuses: Vec<u16> =
        futures::future::join_all((0..4).map(|_| markdown(&h, &id, "", V2_ERA)))
            .await
            .iter()
            .map(|a| a.status)
            .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let stats = h.server.stats();
    assert_eq!(
        stats.per_endpoint.get("GET /v1/pages/{id}/markdown"),
        Some(&4)
    );
}

#[test]
fn the_markdown_minimum_counts_each_page_and_placeholder() {
    let ws = Workspace::kitchen_sink();
    let blocks = ws.min_requests();
    let min = ws.min_requests_markdown(20_000);
    let pages = ws.page_ids().len() as u64;
    assert_eq!(min.page_markdown, pages);
    assert_eq!(min.refetch_markdown, 0);
    // Ten placeholders read through the block API; the template's to-do is
    // its one child listing.
    assert_eq!((min.retrieve_block, min.block_children), (10, 1));
    assert_eq!(
        (
            min.search,
            min.retrieve_database,
            min.query,
            min.property_items
        ),
        (
            blocks.search,
            blocks.retrieve_database,
            blocks.query,
            blocks.property_items
        )
    );
    assert!(min.total * 2 < blocks.total, "{min:?} against {blocks:?}");
    // With a small limit, truncated subtrees are asked for again.
    let cut = ws.min_requests_markdown(10);
    assert!(cut.refetch_markdown > 240, "{cut:?}");
    let value: Value = serde_json::to_value(min).unwrap();
    assert_eq!(value["total"], min.total);
}
