//! Fuzzing on the stable toolchain: time-bounded runs of seeded random
//! inputs against the response parsers (`notion-source`'s models), the
//! renderer (`notion-markdown`) and the chunker, with a corpus replayed
//! before each run and every failing input saved into it.
//!
//! `cargo run --release -p fuzz -- --seconds 60 [--target renderer|chunker|parsers]`
//! (see `fuzz/README.md`). A failure is a panic, a stack overflow, a case
//! that does not end, or a broken invariant (each target's module says
//! which). Modules: [`targets`] (what is generated and checked),
//! [`runner`] (worker and supervisor processes), [`corpus`] (the saved
//! inputs), [`notion_json`] and `text` (the generators), [`tree`] (page
//! trees of any depth without recursion), [`rng`] (the seeded generator).

// `*rng.pick(&[..])` reads a `&str` out of a `&&str`; without the `*`
// the generic `pick` infers `str` and does not compile.
#![allow(clippy::explicit_auto_deref)]

pub mod corpus;
pub mod notion_json;
pub mod rng;
pub mod runner;
pub mod targets;
mod text;
pub mod tree;

pub use runner::{
    Failure, FailureKind, RunError, RunOptions, TargetReport, replay, supervise, work,
};
pub use targets::{Broken, Target};

/// The corpus in the repository (`fuzz/corpus`).
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
