//! Change detection: which pages a run must read again.
//!
//! A page is read when the store does not hold its content, when it failed
//! or was skipped last time, when it was read with another fetch strategy,
//! when its `last_edited_time` moved, or when it was edited within
//! [`SAFETY_WINDOW`] before the previous complete run started. Notion cuts
//! `last_edited_time` to the minute, so an edit made in the same minute as
//! the previous read does not move it. That window is measured on Notion's
//! clock (the `Date` of its answers when the previous run started), so a
//! local clock minutes ahead or behind neither misses an edit nor reads the
//! workspace again. Reading such a page costs its requests; its content hash
//! then avoids rebuilding it if nothing changed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use notion_source::crawler::{ChildDocuments, PagePlanner, Plan};
use notion_source::model::Page;

use crate::store::{PageStatus, RunInfo, Store, StoreError};

/// Pages edited this long before the previous complete run's start (on
/// Notion's clock) are read again.
pub const SAFETY_WINDOW: Duration = Duration::minutes(2);

/// A [`PagePlanner`] backed by the state store.
pub(crate) struct StatePlanner {
    store: Mutex<Store>,
    run: RunInfo,
    /// Pages edited at or after this instant are read again.
    recheck_after: Option<DateTime<Utc>>,
    /// Store errors met while planning (each logged; the page is read).
    pub(crate) store_errors: AtomicU64,
}

impl StatePlanner {
    /// A planner over its own connection to the store, for `run`.
    pub(crate) fn new(store: Store, run: &RunInfo) -> StatePlanner {
        StatePlanner {
            store: Mutex::new(store),
            run: run.clone(),
            recheck_after: run.previous.as_ref().map(|previous| {
                previous.notion_started_at.unwrap_or(previous.started_at) - SAFETY_WINDOW
            }),
            store_errors: AtomicU64::new(0),
        }
    }

    fn decide(&self, page: &Page) -> Result<Option<ChildDocuments>, StoreError> {
        if self.run.full {
            return Ok(None);
        }
        let store = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(entry) = store.plan_entry(&page.id)? else {
            return Ok(None);
        };
        if entry.status != PageStatus::Ok
            || entry.fetch_fingerprint.as_deref() != Some(self.run.fetch_fingerprint.as_str())
            || store.needs_read_to_build(&page.id, &self.run.build_fingerprint)?
        {
            return Ok(None);
        }
        let children = serde_json::from_str::<ChildDocuments>(&entry.children)?;
        // Read earlier in this same run (it was interrupted and resumed).
        if entry.read_run.as_deref() == Some(self.run.run_id.as_str()) {
            return Ok(Some(children));
        }
        if page.last_edited_time > entry.last_edited_time {
            return Ok(None);
        }
        if self
            .recheck_after
            .is_some_and(|after| page.last_edited_time >= after)
        {
            return Ok(None);
        }
        Ok(Some(children))
    }
}

impl PagePlanner for StatePlanner {
    fn plan(&self, page: &Page) -> Plan {
        match self.decide(page) {
            Ok(Some(children)) => Plan::Unchanged(children),
            Ok(None) => Plan::Read,
            Err(error) => {
                self.store_errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(page_id = %page.id, %error, "the state store could not say whether a page changed; reading it");
                Plan::Read
            }
        }
    }
}
