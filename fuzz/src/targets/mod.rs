//! The fuzz targets: what each generates and what each checks.
//!
//! Every input is generated as the bytes of its corpus file, and checked
//! from those bytes, so a saved input replays exactly what failed. A check
//! returns the broken invariant as an error; a panic, a stack overflow or a
//! case that never ends is caught by the runner around it.

mod chunker;
mod parsers;
mod renderer;
mod selftest;

use std::fmt;

use crate::rng::Rng;

/// A fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Notion's response bodies parsed into `notion-source`'s models.
    Parsers,
    /// Page trees rendered to Markdown, then chunked.
    Renderer,
    /// Markdown chunked under every configuration.
    Chunker,
    /// Fails by panicking (tests the runner).
    SelftestPanic,
    /// Fails by overflowing the stack (tests the runner).
    SelftestOverflow,
    /// Fails by never ending (tests the runner).
    SelftestHang,
    /// Fails by breaking an invariant (tests the runner).
    SelftestInvariant,
}

impl Target {
    /// The targets a run covers by default.
    pub const ALL: [Target; 3] = [Target::Parsers, Target::Renderer, Target::Chunker];

    /// Every target, the runner's self-tests included.
    const EVERY: [Target; 7] = [
        Target::Parsers,
        Target::Renderer,
        Target::Chunker,
        Target::SelftestPanic,
        Target::SelftestOverflow,
        Target::SelftestHang,
        Target::SelftestInvariant,
    ];

    /// The target's name (also its corpus directory).
    pub fn name(self) -> &'static str {
        match self {
            Target::Parsers => "parsers",
            Target::Renderer => "renderer",
            Target::Chunker => "chunker",
            Target::SelftestPanic => "selftest-panic",
            Target::SelftestOverflow => "selftest-overflow",
            Target::SelftestHang => "selftest-hang",
            Target::SelftestInvariant => "selftest-invariant",
        }
    }

    /// The target called `name`.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::EVERY.into_iter().find(|t| t.name() == name)
    }

    /// The input generated from `seed`, as corpus file bytes.
    pub fn generate(self, seed: u64) -> Vec<u8> {
        let mut rng = Rng::new(seed);
        match self {
            Target::Parsers => parsers::generate(&mut rng),
            Target::Renderer => renderer::generate(&mut rng),
            Target::Chunker => chunker::generate(&mut rng),
            _ => selftest::generate(&mut rng),
        }
    }

    /// Runs one input; an error names the invariant it broke.
    pub fn check(self, input: &[u8]) -> Result<(), Broken> {
        match self {
            Target::Parsers => parsers::check(input),
            Target::Renderer => renderer::check(input),
            Target::Chunker => chunker::check(input),
            Target::SelftestPanic => selftest::panics(input),
            Target::SelftestOverflow => selftest::overflows(input),
            Target::SelftestHang => selftest::hangs(input),
            Target::SelftestInvariant => selftest::breaks(input),
        }
    }
}

impl Target {
    /// What the code under test made of `input`, to look at when it fails:
    /// the rendered Markdown (renderer), the chunks (chunker), or which
    /// models parsed (parsers).
    pub fn show(self, input: &[u8]) -> String {
        match self {
            Target::Parsers => parsers::show(input),
            Target::Renderer => renderer::show(input),
            Target::Chunker => chunker::show(input),
            _ => String::from_utf8_lossy(input).into_owned(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An invariant an input broke, or an input that is not valid for its target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// The input does not decode (a corpus file out of date, or a generator bug).
    #[error("input does not decode: {0}")]
    Decode(String),
    /// An invariant of the code under test does not hold.
    #[error("{0}")]
    Invariant(String),
}

/// `Err(Broken::Invariant)` with the message unless `holds`.
fn ensure(holds: bool, message: impl FnOnce() -> String) -> Result<(), Broken> {
    if holds {
        Ok(())
    } else {
        Err(Broken::Invariant(message()))
    }
}
