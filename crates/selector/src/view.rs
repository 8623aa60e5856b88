//! Drawing the selector: a header with the keys, the filter line, the rows
//! that fit (only those are built), and a footer with the pages selected and
//! what a first run would cost.
//!
//! ```text
//!  Select what to ingest   ↑↓ move  →← open/close  space include/exclude  type to filter  enter save  esc leave
//!  Filter: roadm   (3 matches)
//!  ▾ [~] Handbook  · 12 pages
//!      [x] Roadmap
//!  12 of 40 pages selected · first run ≈ 74 requests, 25 s at 3 requests/s
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use notion_source::hierarchy::{NodeKind, display_title, thousands};

use crate::app::{App, Check};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &mut App<'_>) {
    let [header, filter, body, footer, note] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());

    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::from(" Select what to ingest ").bold().reversed(),
            Span::from(
                "  ↑↓ move  →← open/close  space include/exclude  type to filter  enter save  esc leave",
            )
            .dim(),
        ])),
        header,
    );

    let mut filter_line = vec![Span::from(" Filter: ").bold()];
    match app.match_count() {
        None => filter_line.push(Span::from("type to search titles").dim()),
        Some(n) => {
            filter_line.push(Span::from(app.filter().to_string()).yellow());
            let noun = if n == 1 { "match" } else { "matches" };
            filter_line.push(Span::from(format!("   ({n} {noun})")).dim());
        }
    }
    frame.render_widget(Paragraph::new(Line::from(filter_line)), filter);

    let height = body.height as usize;
    let first = app.scroll(height);
    let shown: Vec<usize> = app
        .rows()
        .iter()
        .skip(first)
        .take(height)
        .map(|&i| i as usize)
        .collect();
    let cursor = app.cursor_node();
    let lines: Vec<Line<'_>> = shown
        .into_iter()
        .map(|node| {
            let line = row(app, node);
            if Some(node) == cursor {
                line.patch_style(Style::new().add_modifier(Modifier::REVERSED))
            } else {
                line
            }
        })
        .collect();
    if lines.is_empty() {
        let empty = if app.match_count().is_some() {
            " No title matches the filter (Backspace edits it, Ctrl-U clears it)."
        } else {
            " Nothing is shared with the integration."
        };
        frame.render_widget(Paragraph::new(empty).dim(), body);
    } else {
        frame.render_widget(Paragraph::new(lines), body);
    }

    let tree = app.tree();
    let estimate = app.estimate();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::from(format!(
                " {} of {} pages selected",
                thousands(app.pages_selected()),
                thousands(tree.page_count())
            ))
            .bold(),
            Span::from(format!(
                " · first run ≈ {estimate} at {} requests/s",
                app.rate()
            )),
        ])),
        footer,
    );
    if let Some(message) = app.message() {
        frame.render_widget(Paragraph::new(format!(" {message}")).yellow().bold(), note);
    }
}

/// One tree row: indent, open/closed arrow, checkbox, title with the
/// filter's matches highlighted, and what the node is and holds.
fn row<'a>(app: &mut App<'_>, node: usize) -> Line<'a> {
    let tree = app.tree();
    let n = tree.node(node);
    let mut spans = vec![Span::from("  ".repeat(n.depth + 1))];
    let has_children = tree.children(node).next().is_some();
    spans.push(Span::from(match (has_children, app.is_expanded(node)) {
        (false, _) => "  ",
        (true, true) => "▾ ",
        (true, false) => "▸ ",
    }));
    spans.push(match app.check(node) {
        Check::Full => Span::from("[x] ").green(),
        Check::Partial => Span::from("[~] ").yellow(),
        Check::Empty => Span::from("[ ] "),
    });
    let title = display_title(&n.title);
    let marked = app.highlights(node);
    let mut next = marked.iter().peekable();
    let mut plain = String::new();
    for (at, c) in title.chars().enumerate() {
        if next.peek().is_some_and(|&&m| m as usize == at) {
            next.next();
            if !plain.is_empty() {
                spans.push(Span::from(std::mem::take(&mut plain)));
            }
            spans.push(Span::from(c.to_string()).yellow().bold().underlined());
        } else {
            plain.push(c);
        }
    }
    if !plain.is_empty() {
        spans.push(Span::from(plain));
    }
    let mut facts = Vec::new();
    match n.kind {
        NodeKind::Page => {}
        NodeKind::Database => facts.push("database".to_string()),
        NodeKind::DataSource => facts.push("data source".to_string()),
    }
    match n.counts.pages {
        0 => {}
        1 => facts.push("1 page".into()),
        p => facts.push(format!("{} pages", thousands(p))),
    }
    if !facts.is_empty() {
        spans.push(Span::from(format!("  · {}", facts.join(", "))).dim());
    }
    Line::from(spans)
}
