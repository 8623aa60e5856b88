//! Integration tests of notion-markdown, one binary with a module per concern:
//! blocks and rich text on hand-written trees, spans and headings, properties,
//! property-based tests over generated trees and runs, and the golden and
//! fidelity tests over the kitchen-sink dataset.

mod blocks;
mod depth;
mod escaping;
mod generated;
mod kitchen_sink;
mod properties;
mod rich_text;
#[path = "../shared/mod.rs"]
mod shared;
mod spans;
mod support;
