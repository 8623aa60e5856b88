//! Change detection: which pages an incremental run must read again.
//!
//! A page is read when the store does not hold it, when it failed or was
//! skipped last time, when its `last_edited_time` moved, or when it was
//! edited within [`SAFETY_WINDOW`] before the previous run started: Notion
//! cuts `last_edited_time` to the minute, so an edit made in the same minute
//! as the previous read does not move it. Re-reading such a page costs its
//! requests; the content hash then avoids rewriting it if nothing changed.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use notion_source::crawler::{ChildDocuments, PagePlanner, Plan};
use notion_source::model::Page;

use crate::state::{RunInfo, State, parse_ts};

/// Pages edited this long before the previous run's start are read again.
pub const SAFETY_WINDOW: Duration = Duration::minutes(2);

/// A [`PagePlanner`] backed by the state store.
pub struct StatePlanner {
    state: Mutex<State>,
    run: RunInfo,
    /// Pages edited at or after this instant are read again.
    recheck_after: Option<DateTime<Utc>>,
}

impl StatePlanner {
    /// A planner over a read connection to the store, for `run`.
    pub fn new(state: State, run: &RunInfo) -> StatePlanner {
        StatePlanner {
            state: Mutex::new(state),
            run: run.clone(),
            recheck_after: run
                .previous
                .as_ref()
                .map(|(_, started)| *started - SAFETY_WINDOW),
        }
    }

    fn decide(&self, page: &Page) -> Option<ChildDocuments> {
        if self.run.full {
            return None;
        }
        let entry = self.state.lock().ok()?.page(&page.id).ok()??;
        if entry.status != "ok" {
            return None;
        }
        let children = || serde_json::from_str::<ChildDocuments>(&entry.children).ok();
        // Written earlier in this same run (it was interrupted and resumed).
        if entry.written_run == self.run.run_id {
            return children();
        }
        let stored = parse_ts(&entry.last_edited_time).ok()?;
        if page.last_edited_time > stored {
            return None;
        }
        if self
            .recheck_after
            .is_some_and(|after| page.last_edited_time >= after)
        {
            return None;
        }
        children()
    }
}

impl PagePlanner for StatePlanner {
    fn plan(&self, page: &Page) -> Plan {
        match self.decide(page) {
            Some(children) => Plan::Unchanged(children),
            None => Plan::Read,
        }
    }
}
