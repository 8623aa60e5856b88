//! The interactive page selector: a terminal UI (ratatui and crossterm)
//! over the shared [`Hierarchy`] that returns a [`Selection`] as the fewest
//! `crawl.roots` and `crawl.exclude`, and [`write_selection`] to put it into
//! a config file without disturbing the rest of it.
//!
//! - [`App`]: the state machine: rows, cursor, expand and collapse, a fuzzy
//!   title filter, tri-state checkboxes, the footer's figures. Pure: keys in,
//!   state out, so tests drive it without a terminal.
//! - `view`: draws an [`App`] into a ratatui frame (only the rows that fit).
//! - [`run`]: the event loop on any ratatui terminal; [`run_in_terminal`]
//!   sets up the real one (raw mode, alternate screen) and always restores it.
//!
//! Keys: ↑/↓ (Ctrl-P/N), PageUp/PageDown, Home/End move; → opens a node (or
//! steps into it), ← closes it (or steps to its parent); space includes or
//! excludes the subtree under the cursor; letters filter by title,
//! Backspace and Ctrl-U edit the filter; Enter accepts, Esc or Ctrl-C leaves.
//!
//! ratatui and crossterm stay inside this crate: callers see [`Outcome`],
//! [`Selection`] and plain errors.

mod app;
mod config_file;
mod filter;
mod view;

use std::io::{self, IsTerminal};

use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use notion_source::hierarchy::{Hierarchy, NodeInfos, RunCostModel, Selection};

pub use app::{App, Check, Key};
pub use config_file::{WriteError, write_selection, write_selection_titled};
pub use view::draw;

/// How the selector ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Enter: the selection to write.
    Accepted(Selection),
    /// Esc: leave everything as it was.
    Cancelled,
}

/// Why the selector could not run.
#[derive(Debug, thiserror::Error)]
pub enum SelectorError {
    /// Reading keys or drawing failed.
    #[error("terminal error: {0}")]
    Terminal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Whether standard input and output are a terminal (the selector needs
/// both; without them a caller should refuse and point to `tree --json`).
pub fn is_interactive() -> bool {
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// Runs the selector on the real terminal: raw mode and the alternate
/// screen for its duration, restored afterwards, also on error or panic.
pub fn run_in_terminal(
    tree: &Hierarchy,
    selection: &Selection,
    model: RunCostModel,
    info: Option<&NodeInfos>,
) -> Result<Outcome, SelectorError> {
    let mut terminal = ratatui::try_init().map_err(|e| SelectorError::Terminal(Box::new(e)))?;
    let outcome = run(&mut terminal, tree, selection, model, info);
    ratatui::restore();
    outcome
}

/// Runs the selector on `terminal`, reading keys from the terminal's input
/// (crossterm), until Enter or Esc.
pub fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    tree: &Hierarchy,
    selection: &Selection,
    model: RunCostModel,
    info: Option<&NodeInfos>,
) -> Result<Outcome, SelectorError>
where
    B::Error: Send + Sync + 'static,
{
    let mut app = App::new(tree, selection, model, info);
    run_app(terminal, &mut app, event::read)
}

/// The event loop: draws `app`, hands it each key from `next_event`, and
/// returns its outcome. Tests pass a list of events here.
pub fn run_app<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App<'_>,
    mut next_event: impl FnMut() -> io::Result<Event>,
) -> Result<Outcome, SelectorError>
where
    B::Error: Send + Sync + 'static,
{
    loop {
        terminal
            .draw(|frame| draw(frame, app))
            .map_err(|e| SelectorError::Terminal(Box::new(e)))?;
        let event = next_event().map_err(|e| SelectorError::Terminal(Box::new(e)))?;
        if let Event::Key(key) = event
            && let Some(key) = key_of(key)
            && let Some(outcome) = app.handle(key)
        {
            return Ok(outcome);
        }
    }
}

/// The selector's meaning of a terminal key, if any.
fn key_of(event: KeyEvent) -> Option<Key> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    let alt = event.modifiers.contains(KeyModifiers::ALT);
    Some(match event.code {
        KeyCode::Esc => Key::Cancel,
        KeyCode::Char('c') if ctrl => Key::Cancel,
        KeyCode::Enter => Key::Enter,
        KeyCode::Up => Key::Up,
        KeyCode::Char('p') if ctrl => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Char('n') if ctrl => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Right => Key::Right,
        KeyCode::Left => Key::Left,
        KeyCode::Char(' ') => Key::Toggle,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Char('u') if ctrl => Key::ClearFilter,
        KeyCode::Char(c) if !ctrl && !alt => Key::Char(c),
        _ => return None,
    })
}

/// The screen as text, drawn off-screen at `width` x `height` (for
/// captures, documentation and benchmarks; styles are not kept).
pub fn render_text(app: &mut App<'_>, width: u16, height: u16) -> String {
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|never| match never {});
    terminal
        .draw(|frame| draw(frame, app))
        .unwrap_or_else(|never| match never {});
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}
