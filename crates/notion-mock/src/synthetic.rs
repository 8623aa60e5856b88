//! Seeded synthetic workspaces (placeholder; generator lands next).

use crate::workspace::{BlockRec, Workspace};

/// Shape of a synthetic workspace.
#[derive(Debug, Clone)]
pub struct SyntheticConfig {
    /// Number of pages (standalone pages and rows).
    pub pages: usize,
    /// Seed: the same config always yields the same workspace.
    pub seed: u64,
}

/// Generates page content lazily.
#[derive(Debug)]
pub(crate) struct Generator;

/// A generated page's blocks.
pub(crate) struct GeneratedPage {
    pub top: Vec<String>,
}

impl Generator {
    pub(crate) fn page_content(&self, _ws: &Workspace, _n: u32) -> std::sync::Arc<GeneratedPage> {
        std::sync::Arc::new(GeneratedPage { top: Vec::new() })
    }
    pub(crate) fn block(&self, _ws: &Workspace, _id: &str) -> Option<BlockRec> {
        None
    }
}

pub(crate) fn generate(cfg: &SyntheticConfig) -> Workspace {
    let _ = cfg;
    Workspace::default()
}
