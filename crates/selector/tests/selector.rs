//! The selector driven key by key on ratatui's `TestBackend`: what the
//! screen shows after expanding, filtering and toggling (insta snapshots),
//! what Enter returns, and the config file it writes.

use std::collections::VecDeque;
use std::io;

use notion_source::crawler::Root;
use notion_source::hierarchy::{
    Entry, Hierarchy, Listing, Mark, NodeInfo, NodeInfos, NodeKind, ParentRef, RunCostModel,
    Selection,
};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use selector::{App, Check, Key, Outcome};

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// Handbook (Onboarding > First week, Roadmap 2026, Projects database with
/// its data source and two rows), Engineering (Runbooks, Postmortems),
/// Personal notes.
fn workspace() -> Hierarchy {
    let doc = |n: u32| ParentRef::Document(id(n));
    let page =
        |n: u32, title: &str, parent: ParentRef| Entry::new(&id(n), NodeKind::Page, title, parent);
    let listing = Listing {
        entries: vec![
            page(1, "Handbook", ParentRef::Workspace),
            page(2, "Onboarding", doc(1)),
            page(3, "First week", doc(2)),
            page(4, "Roadmap 2026", doc(1)),
            Entry::new(&id(5), NodeKind::Database, "Projects", doc(1)),
            Entry::new(&id(6), NodeKind::DataSource, "Projects", doc(5)),
            page(7, "Atlas", doc(6)),
            page(8, "Beacon", doc(6)),
            page(10, "Engineering", ParentRef::Workspace),
            page(11, "Runbooks", doc(10)),
            page(12, "Postmortems", doc(10)),
            page(20, "Personal notes", ParentRef::Workspace),
        ],
        ..Listing::default()
    };
    Hierarchy::build(&listing)
}

fn press(app: &mut App<'_>, keys: &[Key]) -> Option<Outcome> {
    keys.iter().fold(None, |_, k| app.handle(*k))
}

fn typed(app: &mut App<'_>, text: &str) {
    text.chars().for_each(|c| {
        app.handle(Key::Char(c));
    });
}

fn screen(app: &mut App<'_>) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(110, 14)).unwrap();
    terminal.draw(|f| selector::draw(f, app)).unwrap();
    terminal
}

fn node(tree: &Hierarchy, title: &str) -> usize {
    (0..tree.len())
        .find(|&i| tree.node(i).title == title)
        .unwrap()
}

fn model() -> RunCostModel {
    RunCostModel::default()
}

#[test]
fn expand_and_collapse() {
    let tree = workspace();
    let mut app = App::new(&tree, &Selection::default(), model(), None);
    insta::assert_snapshot!("start", screen(&mut app).backend());
    assert_eq!(app.rows().len(), 3, "the top level only");
    let text = selector::render_text(&mut app, 110, 14);
    assert_eq!(text.lines().count(), 14);
    assert!(text.contains("  ▸ [x] Engineering  · 2 pages\n"), "{text}");

    // Top level by title: Engineering, Handbook, Personal notes. Open
    // Handbook, step into it, open Onboarding.
    press(&mut app, &[Key::Down, Key::Right, Key::Right, Key::Right]);
    assert_eq!(app.cursor_node(), Some(node(&tree, "Onboarding")));
    insta::assert_snapshot!("expanded", screen(&mut app).backend());

    // Left closes Onboarding, then steps to Handbook, then closes it.
    press(&mut app, &[Key::Left, Key::Left, Key::Left]);
    assert_eq!(app.cursor_node(), Some(node(&tree, "Handbook")));
    assert_eq!(app.rows().len(), 3);
}

#[test]
fn filter_shows_matches_with_their_ancestors_highlighted() {
    let tree = workspace();
    let mut app = App::new(&tree, &Selection::default(), model(), None);
    typed(&mut app, "rdmp");
    assert_eq!(app.match_count(), Some(1));
    assert_eq!(
        app.cursor_node(),
        Some(node(&tree, "Roadmap 2026")),
        "the cursor lands on the match"
    );
    let terminal = screen(&mut app);
    insta::assert_snapshot!("filtered", terminal.backend());

    // The matched letters of "Roadmap 2026" are highlighted: R, d, m, p.
    let buffer = terminal.backend().buffer();
    let row = (0..buffer.area.height)
        .find(|&y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("Roadmap")
        })
        .unwrap();
    let line: String = (0..buffer.area.width)
        .map(|x| buffer[(x, row)].symbol())
        .collect();
    let start = line.find("Roadmap").unwrap() as u16;
    let lit: Vec<bool> = (0..7)
        .map(|i| {
            let cell = &buffer[(start + i, row)];
            cell.fg == Color::Yellow && cell.modifier.contains(Modifier::BOLD)
        })
        .collect();
    assert_eq!(
        lit,
        [true, false, false, true, true, false, true],
        "R o a d m a p"
    );

    // Backspace widens the filter; Ctrl-U clears it and the tree comes back.
    press(&mut app, &[Key::Backspace, Key::Backspace, Key::Backspace]);
    assert_eq!(app.filter(), "r");
    app.handle(Key::ClearFilter);
    assert_eq!(app.match_count(), None);
    typed(&mut app, "zzzz");
    assert_eq!(app.rows().len(), 0);
    insta::assert_snapshot!("no_match", screen(&mut app).backend());
}

#[test]
fn space_toggles_subtrees_with_tri_state_ancestors() {
    let tree = workspace();
    let mut info = NodeInfos::new();
    info.insert(
        id(2),
        NodeInfo {
            walked_only: false,
            stored_blocks: Some(100),
        },
    );
    // An empty config selects everything: clear Handbook, then include
    // Onboarding alone.
    let mut app = App::new(&tree, &Selection::default(), model(), Some(&info));
    assert_eq!(app.pages_selected(), 10);
    let handbook = node(&tree, "Handbook");
    press(
        &mut app,
        &[Key::Down, Key::Toggle, Key::Right, Key::Down, Key::Toggle],
    );
    assert_eq!(app.check(node(&tree, "Onboarding")), Check::Full);
    assert_eq!(app.check(handbook), Check::Partial);
    assert_eq!(app.check(node(&tree, "Roadmap 2026")), Check::Empty);
    assert_eq!(app.pages_selected(), 6);
    // Five pages at 6.1 requests, Onboarding from its 100 stored blocks
    // (1.05 + 0.12 x 100), First week at 6.1: 43.55, rounded up.
    assert_eq!(app.estimate().requests, 44);
    insta::assert_snapshot!("partial", screen(&mut app).backend());

    // Space on a partial node selects all of it; again clears all of it.
    press(&mut app, &[Key::Up, Key::Toggle]);
    assert_eq!(app.check(handbook), Check::Full);
    assert_eq!(app.pages_selected(), 10);
    press(&mut app, &[Key::Toggle]);
    assert_eq!(app.check(handbook), Check::Empty);
    press(&mut app, &[Key::Home, Key::Toggle, Key::End, Key::Toggle]);
    assert!(app.selected().iter().all(|s| !s));

    // Enter with nothing selected says so and stays.
    assert_eq!(press(&mut app, &[Key::Enter]), None);
    assert!(app.message().unwrap().contains("Nothing is selected"));
    insta::assert_snapshot!("nothing_selected", screen(&mut app).backend());
}

#[test]
fn a_starting_selection_is_checked_and_esc_cancels() {
    let tree = workspace();
    let selection = Selection {
        roots: vec![Root::Page(id(1)), Root::Any(id(99))],
        exclude: vec![id(4), id(98)],
    };
    let mut app = App::new(&tree, &selection, model(), None);
    assert_eq!(app.check(node(&tree, "Handbook")), Check::Partial);
    assert_eq!(app.check(node(&tree, "Roadmap 2026")), Check::Empty);
    assert_eq!(app.check(node(&tree, "Onboarding")), Check::Full);
    assert_eq!(press(&mut app, &[Key::Cancel]), Some(Outcome::Cancelled));

    // Accepting unchanged gives the same lists back, ids this tree lacks kept.
    let mut app = App::new(&tree, &selection, model(), None);
    let Some(Outcome::Accepted(back)) = press(&mut app, &[Key::Enter]) else {
        panic!("accepted")
    };
    assert_eq!(back.roots, [Root::Page(id(1)), Root::Any(id(99))]);
    assert_eq!(back.exclude, [id(4), id(98)]);
}

#[test]
fn the_event_loop_writes_the_selection_into_the_config_keeping_its_layout() {
    let tree = workspace();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notion-ingest.toml");
    let original = "\
# Nightly ingestion of the team wiki.
out = \"./out\"   # where Parquet goes

[notion]
rate = 3.0 # Notion's average

[crawl]
# Pages to start from (written by `notion-ingest select`).
roots = [\"https://www.notion.so/Old-root-0123456789abcdef0123456789abcdef\"]
concurrency = 8

[chunk]
max_tokens = 512
";
    std::fs::write(&path, original).unwrap();

    // Open Handbook and include it; its rows are Onboarding, Projects,
    // Roadmap 2026: exclude the last. Open Engineering (Postmortems,
    // Runbooks) and include Runbooks. Enter.
    let keys = [
        KeyCode::Down,
        KeyCode::Right,
        KeyCode::Char(' '),
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Char(' '),
        KeyCode::Home,
        KeyCode::Right,
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Char(' '),
        KeyCode::Enter,
    ];
    let mut events: VecDeque<Event> = keys
        .iter()
        .map(|k| Event::Key(KeyEvent::new(*k, KeyModifiers::NONE)))
        .collect();
    let mut terminal = Terminal::new(TestBackend::new(110, 14)).unwrap();
    let start = Selection::parse(
        &["https://www.notion.so/Old-root-0123456789abcdef0123456789abcdef"],
        &[] as &[&str],
    )
    .unwrap();
    let mut app = App::new(&tree, &start, model(), None);
    let outcome = selector::run_app(&mut terminal, &mut app, || {
        events
            .pop_front()
            .ok_or_else(|| io::Error::other("no more keys"))
    })
    .unwrap();
    insta::assert_snapshot!("before_enter", terminal.backend());
    let Outcome::Accepted(selection) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        selection.roots,
        [
            Root::Page(id(11)),
            Root::Page(id(1)),
            Root::Any("01234567-89ab-cdef-0123-456789abcdef".into())
        ]
    );
    assert_eq!(selection.exclude, [id(4)]);

    selector::write_selection_titled(&path, &selection, Some(&tree)).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!("written_config", written);
    // Everything but the roots is as it was, and the file is valid TOML.
    let untouched: Vec<&str> = original
        .lines()
        .filter(|l| !l.starts_with("roots"))
        .collect();
    for line in untouched {
        assert!(written.contains(line), "{line:?} kept");
    }
    let parsed: toml::Table = toml::from_str(&written).unwrap();
    let crawl = parsed["crawl"].as_table().unwrap();
    assert_eq!(crawl["roots"].as_array().unwrap().len(), 3);
    assert_eq!(
        crawl["exclude"].as_array().unwrap()[0].as_str(),
        Some(id(4).as_str())
    );

    // Read back, the file selects the same nodes.
    let strings = |key: &str| -> Vec<String> {
        let values = crawl[key].as_array().unwrap().iter();
        values.map(|v| v.as_str().unwrap().to_string()).collect()
    };
    let reread = Selection::parse(&strings("roots"), &strings("exclude")).unwrap();
    let marks: Vec<bool> = reread
        .marks(&tree)
        .iter()
        .map(|m| *m == Mark::Selected)
        .collect();
    assert_eq!(marks, app.selected());

    // Writing again is stable, and a missing file or key is created.
    selector::write_selection_titled(&path, &selection, Some(&tree)).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
    let fresh = dir.path().join("new.toml");
    selector::write_selection(&fresh, &selection).unwrap();
    let parsed: toml::Table = toml::from_str(&std::fs::read_to_string(&fresh).unwrap()).unwrap();
    assert_eq!(parsed["crawl"]["roots"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_config_files_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let selection = Selection {
        roots: vec![Root::Page(id(1))],
        exclude: vec![],
    };
    for (name, text, expected) in [
        ("broken.toml", "[crawl\nroots = 1", "not valid TOML"),
        ("scalar.toml", "crawl = 5\n", "not a table"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let err = selector::write_selection(&path, &selection).unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}

/// A random tree of up to 40 nodes (node i under an earlier one or at the top).
fn random_tree(parents: &[Option<u32>]) -> Hierarchy {
    let entries = parents
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let parent = match p {
                Some(p) if (*p as usize) < i => ParentRef::Document(id(*p)),
                _ => ParentRef::Workspace,
            };
            let kind = [
                NodeKind::Page,
                NodeKind::Page,
                NodeKind::Database,
                NodeKind::DataSource,
            ][i % 4];
            Entry::new(&id(i as u32), kind, &format!("node {}", i % 9), parent)
        })
        .collect();
    Hierarchy::build(&Listing {
        entries,
        ..Listing::default()
    })
}

fn action() -> impl Strategy<Value = Key> {
    prop_oneof![
        3 => Just(Key::Down),
        1 => Just(Key::Up),
        2 => Just(Key::Right),
        1 => Just(Key::Left),
        3 => Just(Key::Toggle),
        1 => Just(Key::Char('1')),
        1 => Just(Key::Backspace),
        1 => Just(Key::End),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever is toggled, Enter's roots and excludes select exactly the
    /// nodes the checkboxes show selected.
    #[test]
    fn the_selection_selects_exactly_the_toggled_set(
        parents in prop::collection::vec(prop::option::of(0u32..40), 1..40),
        keys in prop::collection::vec(action(), 0..60),
    ) {
        let tree = random_tree(&parents);
        let mut app = App::new(&tree, &Selection::default(), RunCostModel::default(), None);
        prop_assert_eq!(press(&mut app, &keys), None);
        let selected = app.selected().to_vec();
        match press(&mut app, &[Key::Enter]) {
            Some(Outcome::Accepted(selection)) => {
                let marks: Vec<bool> = selection.marks(&tree).iter().map(|m| *m == Mark::Selected).collect();
                prop_assert_eq!(&marks, &selected);
            }
            None => prop_assert!(selected.iter().all(|s| !s)),
            Some(Outcome::Cancelled) => prop_assert!(false, "Enter never cancels"),
        }
        // Every checkbox agrees with the flags under it.
        for i in 0..tree.len() {
            let under: Vec<bool> = tree.subtree(i).map(|j| selected[j]).collect();
            let expected = if under.iter().all(|s| *s) { Check::Full } else if under.iter().any(|s| *s) { Check::Partial } else { Check::Empty };
            prop_assert_eq!(app.check(i), expected);
        }
    }
}
