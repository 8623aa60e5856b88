//! What runs in one process share so that memory does not grow with how
//! many run at once (`run` over many `[[workspace]]` entries): one budget
//! of pages in memory and a number of exports at once.
//!
//! A run's own pipeline already bounds its pages (pages being read, the
//! crawl channel, the build steps); [`SharedBounds`] puts one bound over all
//! runs holding a clone:
//!
//! - [`SharedBounds::pages`]: a page takes a place before its first request
//!   and gives it back once stored; the build stage takes a place per page
//!   it loads and gives it back once the page's chunks are written. So the
//!   pages held by every workspace together never pass the budget.
//! - exports at once: the export encodes Parquet row groups (up
//!   to a row group of buffered rows per file being written) and is CPU
//!   bound; more exports at once than cores only add memory.
//!
//! What stays per run (a client, the state store's connections and page
//! cache, the channels' fixed parts) is the documented per-workspace cost.

use std::sync::Arc;

use notion_source::crawler::{PageBudget, PageHold};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Bounds shared by the runs holding a clone.
#[derive(Debug, Clone)]
pub struct SharedBounds {
    /// Pages being read, waiting to be stored, or being built, across runs.
    pub pages: PageBudget,
    exports: Arc<Semaphore>,
}

impl SharedBounds {
    /// At most `pages` pages in memory and `exports` exports at once (each
    /// at least one).
    pub fn new(pages: usize, exports: usize) -> SharedBounds {
        SharedBounds {
            pages: PageBudget::new(pages),
            exports: Arc::new(Semaphore::new(exports.max(1))),
        }
    }

    /// Waits for an export's turn; `None` when cancelled first.
    pub(crate) async fn export_turn(
        &self,
        cancel: &CancellationToken,
    ) -> Option<OwnedSemaphorePermit> {
        tokio::select! {
            permit = self.exports.clone().acquire_owned() => permit.ok(),
            () = cancel.cancelled() => None,
        }
    }
}

/// A place for one page in `budget` (none needed without a budget), waited
/// for on a blocking thread (the build stage's); `None` when cancelled first.
pub(crate) fn hold_blocking(
    budget: Option<&PageBudget>,
    cancel: &CancellationToken,
) -> Option<PageHold> {
    let Some(budget) = budget else {
        return Some(PageHold::unbounded());
    };
    if let Some(hold) = budget.try_hold() {
        return Some(hold);
    }
    futures::executor::block_on(async {
        tokio::select! {
            biased;
            () = cancel.cancelled() => None,
            hold = budget.hold() => Some(hold),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_build_wait_ends_when_cancelled() {
        let budget = PageBudget::new(1);
        let cancel = CancellationToken::new();
        let first = hold_blocking(Some(&budget), &cancel).expect("a free place");
        let waiter = std::thread::spawn({
            let (budget, cancel) = (budget.clone(), cancel.clone());
            move || hold_blocking(Some(&budget), &cancel).is_some()
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "waits while the only place is held");
        cancel.cancel();
        assert!(!waiter.join().unwrap(), "cancelled, not holding");
        drop(first);
        assert_eq!(budget.held(), 0);
    }

    #[tokio::test]
    async fn exports_take_turns() {
        let bounds = SharedBounds::new(10, 1);
        let cancel = CancellationToken::new();
        let turn = bounds.export_turn(&cancel).await.expect("first turn");
        let second = tokio::spawn({
            let (bounds, cancel) = (bounds.clone(), cancel.clone());
            async move { bounds.export_turn(&cancel).await.is_some() }
        });
        tokio::task::yield_now().await;
        assert!(!second.is_finished());
        drop(turn);
        assert!(second.await.unwrap());
    }
}
