//! What `tree` and `select` keep in the state store: the last listing of
//! the shared hierarchy (so `select` opens without listing again), and what
//! the crawl knows of each page that a listing does not say: its place when
//! only the walk of its parent found it, and how many blocks it holds.

use chrono::{DateTime, Utc};
use notion_source::hierarchy::{KnownPage, Listing};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, format_time, parse_time};

/// zstd level of the cached listing (JSON compresses about 8×).
const LEVEL: i32 = 3;

/// A listing kept in the store, with when it was made.
#[derive(Debug, Clone)]
pub struct CachedListing {
    /// When the listing ended, on the local clock.
    pub listed_at: DateTime<Utc>,
    /// The listing.
    pub listing: Listing,
}

impl Store {
    /// Keeps `listing` as the workspace's last listing (replacing the one
    /// before).
    pub fn save_listing(
        &mut self,
        listing: &Listing,
        listed_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_vec(listing)?;
        let bytes = zstd::bulk::compress(&json, LEVEL).map_err(|e| StoreError::Corrupt {
            what: format!("listing (compression failed: {e})"),
        })?;
        self.conn.execute(
            "INSERT INTO listing (id, listed_at, listing) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET listed_at = excluded.listed_at, listing = excluded.listing",
            params![format_time(listed_at), bytes],
        )?;
        Ok(())
    }

    /// The last listing saved, if any.
    pub fn cached_listing(&self) -> Result<Option<CachedListing>, StoreError> {
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT listed_at, listing FROM listing WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((listed_at, bytes)) = row else {
            return Ok(None);
        };
        let json = zstd::stream::decode_all(bytes.as_slice()).map_err(|e| StoreError::Corrupt {
            what: format!("cached listing ({e})"),
        })?;
        Ok(Some(CachedListing {
            listed_at: parse_time(&listed_at)?,
            listing: serde_json::from_slice(&json)?,
        }))
    }

    /// Every page with content (ok or failed), in id order, with the
    /// document it sits in as the store knows it (the page whose content
    /// lists it, else its own parent) and its stored block count.
    pub fn known_pages(&self) -> Result<Vec<KnownPage>, StoreError> {
        // The page whose walk found each child page: the document that
        // holds it even when its own parent is a block.
        let mut holder: std::collections::HashMap<String, String> = Default::default();
        let mut stmt = self
            .conn
            .prepare("SELECT page_id, children FROM pages WHERE status IN ('ok', 'failed')")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let page_id: String = r.get(0)?;
            let children: serde_json::Value = serde_json::from_str(&r.get::<_, String>(1)?)?;
            for child in children["pages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["id"].as_str())
            {
                holder
                    .entry(child.to_string())
                    .or_insert_with(|| page_id.clone());
            }
        }
        drop(rows);
        drop(stmt);
        let mut stmt = self.conn.prepare(
            "SELECT page_id, title, containers, blocks FROM pages
             WHERE status IN ('ok', 'failed') ORDER BY page_id",
        )?;
        let mut rows = stmt.query([])?;
        let mut pages = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let containers: Vec<String> = r
                .get::<_, Option<String>>(2)?
                .map(|json| serde_json::from_str(&json))
                .transpose()?
                .unwrap_or_default();
            let parent = holder
                .get(&id)
                .cloned()
                .or_else(|| containers.into_iter().next());
            pages.push(KnownPage {
                title: r.get(1)?,
                parent,
                stored_blocks: r.get::<_, Option<i64>>(3)?.map(|b| b.max(0) as u64),
                id,
            });
        }
        Ok(pages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notion_source::hierarchy::{Entry, NodeKind, ParentRef};

    #[test]
    fn the_last_listing_is_kept_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert!(store.cached_listing().unwrap().is_none());
        let mut listing = Listing::default();
        listing.entries.push(Entry::new(
            "a",
            NodeKind::Page,
            "Handbook",
            ParentRef::Workspace,
        ));
        listing.requests.search = 1;
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        store.save_listing(&listing, at).unwrap();
        listing.requests.search = 2;
        store.save_listing(&listing, at).unwrap();
        drop(store);
        let cached = Store::open(dir.path())
            .unwrap()
            .cached_listing()
            .unwrap()
            .unwrap();
        assert_eq!(cached.listing, listing);
        assert_eq!(cached.listed_at, at);
    }
}
