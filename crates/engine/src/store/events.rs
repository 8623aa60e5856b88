//! The durable [`EventStore`] of `notion-ingest serve`: webhook events and
//! the subscription's verification token, in the state store's
//! `webhook_events` and `webhook_token` tables.
//!
//! An event is committed with `synchronous = FULL` before
//! [`EventStore::persist`] returns, so the receiver's 200 is only sent for an
//! event that survives a crash, a `kill -9` or a power cut. Its raw body is
//! kept as signed; the serve loop reads pending events back
//! ([`EventLog::pending`]) and marks them settled by the run that refreshed
//! them ([`EventLog::settle`]). Settled events are kept a while
//! ([`EventLog::prune_settled`]) so Notion's late retries are still
//! recognised as duplicates.
//!
//! The token lives only in the state database (readable by its owner only);
//! [`webhooks::Secret`] never prints it, and no error here contains it.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::Notify;
use webhooks::{Event, EventStore, PendingEvent, Persisted, Secret};

use super::{Store, StoreError, format_time, parse_time};

/// The webhook side of the state store: its own connection to
/// `state.sqlite`, shared by the receiver and the refresh loop.
pub struct EventLog {
    conn: Mutex<Connection>,
    arrived: Arc<Notify>,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog").finish_non_exhaustive()
    }
}

impl EventLog {
    /// Opens the event log of the state store in `dir` (creating or
    /// upgrading the store as [`Store::open`] does).
    pub fn open(dir: &Path) -> Result<EventLog, StoreError> {
        let store = Store::open(dir)?;
        let conn = store.conn;
        // Every commit reaches the disk before the receiver answers 200.
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        Ok(EventLog {
            conn: Mutex::new(conn),
            arrived: Arc::new(Notify::new()),
        })
    }

    /// Signalled each time a new event is persisted (the refresh loop waits on it).
    pub fn arrivals(&self) -> Arc<Notify> {
        self.arrived.clone()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every event not settled yet, in the order they were received.
    pub fn pending(&self) -> Result<Vec<PendingEvent>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT body, received_at FROM webhook_events WHERE settled_run IS NULL
             ORDER BY received_at, event_id",
        )?;
        let mut rows = stmt.query([])?;
        let mut events = Vec::new();
        while let Some(r) = rows.next()? {
            let body: Vec<u8> = r.get(0)?;
            let received: String = r.get(1)?;
            events.push(PendingEvent {
                event: serde_json::from_slice(&body)?,
                received_at: parse_time(&received)?,
            });
        }
        Ok(events)
    }

    /// How many events are not settled yet.
    pub fn pending_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM webhook_events WHERE settled_run IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Marks events settled by `run_id` (the run that refreshed them, or
    /// [`IGNORED`] for events that needed no refresh).
    pub fn settle<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a String>,
        run_id: &str,
    ) -> Result<u64, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let now = format_time(Utc::now());
        let mut settled = 0;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE webhook_events SET settled_run = ?2, settled_at = ?3
                 WHERE event_id = ?1 AND settled_run IS NULL",
            )?;
            for id in ids {
                settled += stmt.execute(params![id, run_id, now])? as u64;
            }
        }
        tx.commit()?;
        Ok(settled)
    }

    /// Forgets events settled before `before` (Notion retries for about a
    /// day; keep them longer than that). Returns how many were removed.
    pub fn prune_settled(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = self.conn().execute(
            "DELETE FROM webhook_events WHERE settled_run IS NOT NULL AND settled_at < ?1",
            params![format_time(before)],
        )?;
        Ok(n as u64)
    }

    /// Forgets the stored verification token (to accept a new subscription's handshake).
    pub fn clear_verification_token(&self) -> Result<(), StoreError> {
        self.conn().execute("DELETE FROM webhook_token", [])?;
        Ok(())
    }

    /// Whether the published snapshot is older than the last completed run
    /// (a partial run published only its change set).
    pub fn snapshot_behind(&self) -> Result<bool, StoreError> {
        let (published, last): (Option<String>, Option<String>) = self.conn().query_row(
            "SELECT (SELECT value FROM meta WHERE key = ?1),
                    (SELECT run_id FROM runs WHERE status = 'completed'
                     ORDER BY ended_at DESC, run_id DESC LIMIT 1)",
            params![crate::export::PUBLISHED_SNAPSHOT],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(last.is_some() && published != last)
    }

    /// When the last completed complete-scope run started (local clock).
    pub fn last_complete_run(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<String> = self
            .conn()
            .query_row(
                "SELECT started_at FROM runs WHERE status = 'completed' AND scope = 'complete'
                 ORDER BY started_at DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        at.as_deref().map(parse_time).transpose()
    }
}

/// The `settled_run` of events that needed no refresh.
pub const IGNORED: &str = "ignored";

impl EventStore for EventLog {
    type Error = StoreError;

    fn verification_token(&self) -> Result<Option<Secret>, StoreError> {
        let token: Option<String> = self
            .conn()
            .query_row("SELECT token FROM webhook_token WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(token.map(Secret::new))
    }

    fn save_verification_token(&self, token: &Secret) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO webhook_token (id, token) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET token = excluded.token",
            params![token.expose()],
        )?;
        Ok(())
    }

    fn persist(&self, event: &Event, raw: &[u8]) -> Result<Persisted, StoreError> {
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO webhook_events (event_id, happened_at, received_at, body)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                event.id,
                format_time(event.timestamp),
                format_time(Utc::now()),
                raw
            ],
        )?;
        if inserted == 0 {
            return Ok(Persisted::Duplicate);
        }
        self.arrived.notify_one();
        Ok(Persisted::New)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SCHEMA_VERSION, STATE_FILE};

    fn event(id: &str, page: &str) -> (Event, Vec<u8>) {
        let raw = serde_json::to_vec(&serde_json::json!({
            "id": id, "timestamp": "2026-01-05T09:00:00.000Z",
            "type": "page.content_updated", "entity": {"id": page, "type": "page"}
        }))
        .unwrap();
        (serde_json::from_slice(&raw).unwrap(), raw)
    }

    #[test]
    fn events_survive_reopening_and_duplicates_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path()).unwrap();
        let (e1, raw1) = event("e1", "p1");
        let (e2, raw2) = event("e2", "p2");
        assert_eq!(log.persist(&e1, &raw1).unwrap(), Persisted::New);
        assert_eq!(log.persist(&e1, &raw1).unwrap(), Persisted::Duplicate);
        assert_eq!(log.persist(&e2, &raw2).unwrap(), Persisted::New);
        drop(log);

        let log = EventLog::open(dir.path()).unwrap();
        let pending = log.pending().unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[0].event, e1);
        assert_eq!(log.settle([&"e1".to_string()], "run-1").unwrap(), 1);
        assert_eq!(log.pending_count().unwrap(), 1);
        // A settled event's retry is still a duplicate.
        assert_eq!(log.persist(&e1, &raw1).unwrap(), Persisted::Duplicate);
        let earlier = Utc::now() - chrono::Duration::seconds(60);
        assert_eq!(log.prune_settled(earlier).unwrap(), 0);
        let later = Utc::now() + chrono::Duration::seconds(5);
        assert_eq!(log.prune_settled(later).unwrap(), 1);
        assert_eq!(log.pending_count().unwrap(), 1);
    }

    #[test]
    fn the_token_is_stored_in_the_private_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path()).unwrap();
        assert!(log.verification_token().unwrap().is_none());
        log.save_verification_token(&Secret::new("secret_hook"))
            .unwrap();
        drop(log);
        let log = EventLog::open(dir.path()).unwrap();
        let token = log.verification_token().unwrap().unwrap();
        assert_eq!(token.expose(), "secret_hook");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(STATE_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        log.clear_verification_token().unwrap();
        assert!(log.verification_token().unwrap().is_none());
    }

    #[test]
    fn a_version_2_store_gains_the_webhook_tables() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        // Make it what version 2 wrote: no webhook tables.
        Connection::open(dir.path().join(STATE_FILE))
            .unwrap()
            .execute_batch(
                "DROP TABLE webhook_events; DROP TABLE webhook_token;
                 UPDATE meta SET value = '2' WHERE key = 'schema_version';",
            )
            .unwrap();
        let log = EventLog::open(dir.path()).unwrap();
        let (e1, raw1) = event("e1", "p1");
        assert_eq!(log.persist(&e1, &raw1).unwrap(), Persisted::New);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.meta("schema_version").unwrap(),
            Some(SCHEMA_VERSION.to_string())
        );
        assert_eq!(SCHEMA_VERSION, 3);
    }
}
