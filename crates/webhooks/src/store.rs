//! Where accepted events go: the [`EventStore`] trait the receiver persists
//! through (the engine implements it on its SQLite state store), and
//! [`MemoryStore`], an in-memory implementation for tests and benchmarks.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::event::Event;
use crate::secret::Secret;

/// What persisting an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persisted {
    /// The event was new and is now stored durably.
    New,
    /// An event with the same id was already stored; nothing changed.
    Duplicate,
}

/// Durable storage of webhook events and of the verification token.
///
/// The receiver calls these methods on a blocking thread, so they may do
/// synchronous I/O (SQLite, fsync). [`EventStore::persist`] must have
/// stored the event durably when it returns [`Persisted::New`]: the receiver
/// answers 200 right after, and Notion will not send the event again.
pub trait EventStore: Send + Sync + 'static {
    /// The store's error (its message must not contain the token).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The verification token stored by an earlier handshake, if any.
    fn verification_token(&self) -> Result<Option<Secret>, Self::Error>;

    /// Stores the verification token of a new subscription.
    fn save_verification_token(&self, token: &Secret) -> Result<(), Self::Error>;

    /// Stores an accepted event with its raw body, unless an event with the
    /// same `id` is already stored.
    fn persist(&self, event: &Event, raw: &[u8]) -> Result<Persisted, Self::Error>;
}

/// An in-memory [`EventStore`], for tests and benchmarks only: nothing
/// survives the process.
///
/// ```
/// use webhooks::{EventStore, MemoryStore, Persisted};
/// # let event: webhooks::Event = serde_json::from_value(serde_json::json!({
/// #     "id": "e1", "timestamp": "2026-01-05T09:00:00Z",
/// #     "type": "page.created", "entity": {"id": "p1", "type": "page"}})).unwrap();
/// let store = MemoryStore::default();
/// assert_eq!(store.persist(&event, b"{}")?, Persisted::New);
/// assert_eq!(store.persist(&event, b"{}")?, Persisted::Duplicate);
/// assert_eq!(store.events().len(), 1);
/// # Ok::<(), webhooks::MemoryStoreError>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    token: Option<Secret>,
    events: Vec<(Event, Vec<u8>)>,
    ids: HashSet<String>,
    failing: bool,
}

/// The error of a [`MemoryStore`] told to fail.
#[derive(Debug, thiserror::Error)]
#[error("the in-memory store was told to fail")]
pub struct MemoryStoreError;

impl MemoryStore {
    /// The stored events with their raw bodies, in the order they were stored.
    pub fn events(&self) -> Vec<(Event, Vec<u8>)> {
        self.lock().events.clone()
    }

    /// Makes every later call fail (or succeed again), to test error paths.
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn usable(&self) -> Result<std::sync::MutexGuard<'_, Inner>, MemoryStoreError> {
        let inner = self.lock();
        if inner.failing {
            return Err(MemoryStoreError);
        }
        Ok(inner)
    }
}

impl EventStore for MemoryStore {
    type Error = MemoryStoreError;

    fn verification_token(&self) -> Result<Option<Secret>, MemoryStoreError> {
        Ok(self.usable()?.token.clone())
    }

    fn save_verification_token(&self, token: &Secret) -> Result<(), MemoryStoreError> {
        self.usable()?.token = Some(token.clone());
        Ok(())
    }

    fn persist(&self, event: &Event, raw: &[u8]) -> Result<Persisted, MemoryStoreError> {
        let mut inner = self.usable()?;
        if !inner.ids.insert(event.id.clone()) {
            return Ok(Persisted::Duplicate);
        }
        inner.events.push((event.clone(), raw.to_vec()));
        Ok(Persisted::New)
    }
}
