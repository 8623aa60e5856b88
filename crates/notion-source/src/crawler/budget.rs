//! A bound on pages held in memory, shared by everything that holds a clone
//! of one [`PageBudget`]: the crawls of many workspaces in one process, and
//! whatever later stage keeps a page until it is stored.
//!
//! A page task takes a [`PageHold`] before its first request and hands it
//! downstream inside [`CrawlEvent::Page`](super::CrawlEvent::Page); the
//! page's place is given back when the consumer drops the hold (once the
//! page is stored). So however many crawls share a budget of N pages, no
//! more than N pages are being read or waiting to be stored at any moment,
//! and a crawl whose consumer is slow stops taking places that others could
//! use. Places are handed out first come, first served.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use notion_source::crawler::PageBudget;
//!
//! let budget = PageBudget::new(2);
//! let first = budget.hold().await;
//! let _second = budget.hold().await;
//! assert_eq!(budget.held(), 2);
//! assert!(budget.try_hold().is_none(), "a third page waits");
//! drop(first);
//! assert!(budget.try_hold().is_some());
//! # }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A number of pages that may be in memory at once, shared by its clones.
#[derive(Debug, Clone)]
pub struct PageBudget {
    places: Arc<Semaphore>,
    pages: usize,
    peak: Arc<AtomicUsize>,
}

/// One page's place in a [`PageBudget`] (or no budget at all), given back
/// when dropped.
#[derive(Debug, Default)]
pub struct PageHold(
    /// Held only to be dropped: dropping it gives the place back.
    #[allow(dead_code)]
    Option<OwnedSemaphorePermit>,
);

impl PageBudget {
    /// A budget of `pages` pages (at least one).
    pub fn new(pages: usize) -> PageBudget {
        let pages = pages.max(1);
        PageBudget {
            places: Arc::new(Semaphore::new(pages)),
            pages,
            peak: Arc::default(),
        }
    }

    /// How many pages the budget allows.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// How many places are taken now.
    pub fn held(&self) -> usize {
        self.pages - self.places.available_permits()
    }

    /// The most places taken at once so far (to size the budget: a peak
    /// well below it means memory to spare, at it that pages waited).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Waits for a place (first come, first served).
    pub async fn hold(&self) -> PageHold {
        let permit = self
            .places
            .clone()
            .acquire_owned()
            .await
            .expect("a page budget's semaphore is never closed");
        self.taken(permit)
    }

    /// A place if one is free now.
    pub fn try_hold(&self) -> Option<PageHold> {
        let permit = self.places.clone().try_acquire_owned().ok()?;
        Some(self.taken(permit))
    }

    fn taken(&self, permit: OwnedSemaphorePermit) -> PageHold {
        self.peak.fetch_max(self.held(), Ordering::Relaxed);
        PageHold(Some(permit))
    }
}

impl PageHold {
    /// A hold on no budget (nothing to give back).
    pub fn unbounded() -> PageHold {
        PageHold(None)
    }

    /// A place in `budget`, or no hold without one.
    pub async fn of(budget: Option<&PageBudget>) -> PageHold {
        match budget {
            Some(budget) => budget.hold().await,
            None => PageHold::unbounded(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn places_are_shared_by_clones_and_given_back_on_drop() {
        let budget = PageBudget::new(3);
        let other = budget.clone();
        let holds = vec![budget.hold().await, other.hold().await, budget.hold().await];
        assert_eq!(budget.held(), 3);
        assert!(other.try_hold().is_none());
        let waiter = tokio::spawn({
            let other = other.clone();
            async move { other.hold().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "waits while the budget is spent");
        drop(holds);
        let _late = waiter.await.unwrap();
        assert_eq!(budget.held(), 1);
        assert_eq!(
            other.peak(),
            3,
            "the most taken at once, seen by every clone"
        );
    }

    #[tokio::test]
    async fn no_budget_never_waits() {
        let holds: Vec<PageHold> =
            futures::future::join_all((0..1000).map(|_| PageHold::of(None))).await;
        assert_eq!(holds.len(), 1000);
        assert_eq!(
            PageBudget::new(0).pages(),
            1,
            "a budget allows at least one page"
        );
    }
}
