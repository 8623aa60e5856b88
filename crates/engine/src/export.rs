//! The end of a run: the change set (every chunk no published change set
//! holds yet, and every pending delete), then the snapshot (every live page
//! and chunk), each built in a staging directory and published through the
//! output's [`Publisher`].
//!
//! The contract a consumer relies on — apply every change set in order and
//! you hold the current snapshot — is kept by construction: a chunk stays
//! pending in the store until a published change set holds it, whichever run
//! wrote it (a run stopped by a 401 midway, a crash between publishing and
//! noting it); a published change set is never written again; and when the
//! published snapshot is not the one the store last published (the store was
//! lost or replaced), the store reconciles with it first: every chunk the
//! snapshot holds that the store does not becomes a delete, and every live
//! chunk is upserted again.

use serde::Serialize;
use sink::{ChangeSet, ChangesBuilder, Publisher, SinkConfig, SinkError, SnapshotBuilder, Staged};

use crate::store::{RunInfo, Store, StoreError};

/// The `meta` key holding the run id of the snapshot the store last published.
pub(crate) const PUBLISHED_SNAPSHOT: &str = "published_snapshot";

/// Why the export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing or publishing the Parquet output failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// What the export wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportReport {
    /// Chunks in the published snapshot.
    pub snapshot_chunks: u64,
    /// Pages in the published snapshot.
    pub snapshot_pages: u64,
    /// Chunks in this run's change set.
    pub upserts: u64,
    /// Chunk ids this run's change set deletes.
    pub deletes: u64,
    /// Pages whose chunks this run deletes because they went away (trashed,
    /// archived, unshared, deleted, excluded).
    pub deleted_pages: u64,
    /// Deletes added by reconciling with a snapshot the store did not know.
    pub reconciled: u64,
    /// The published change set.
    pub change_set: Option<ChangeSet>,
    /// Whether the snapshot was published (a partial run may skip it).
    pub snapshot_published: bool,
}

/// Exports run `run`'s change set and, when `publish_snapshot`, its snapshot.
pub(crate) fn export(
    store: &mut Store,
    run: &RunInfo,
    publisher: &dyn Publisher,
    config: &SinkConfig,
    summary: serde_json::Value,
    publish_snapshot: bool,
) -> Result<ExportReport, ExportError> {
    let mut report = ExportReport::default();
    let known = store.meta(PUBLISHED_SNAPSHOT)?;
    let (current, dangling) = match publisher.current() {
        Ok(current) => (current.map(|m| m.run_id), false),
        Err(SinkError::DanglingCurrent { run_id, .. }) => (Some(run_id), true),
        Err(error) => return Err(error.into()),
    };
    if current != known {
        let published = if dangling {
            tracing::warn!(
                "the published snapshot {} is missing and is not the one this state store published; \
                 its chunks cannot be listed, so consumers may keep chunks this run cannot delete",
                current.as_deref().unwrap_or("")
            );
            Vec::new()
        } else {
            publisher.current_chunk_ids()?
        };
        if current.is_some() {
            tracing::warn!(
                store = known.as_deref().unwrap_or("(none)"),
                published = current.as_deref().unwrap_or("(none)"),
                "the state store did not publish the current snapshot: reconciling (every chunk is upserted again, chunks only the snapshot holds are deleted)"
            );
        }
        report.reconciled = store.reconcile(run, &published)?;
    } else if dangling {
        tracing::warn!(
            "the published snapshot {} is missing; publishing it again from the state store",
            current.as_deref().unwrap_or("")
        );
    }

    let (_, _, deleted_pages) = store.pending_counts()?;
    report.deleted_pages = deleted_pages;

    // The change set first, so the snapshot's manifest can name it.
    let staged = publisher.stage(Staged::ChangeSet, &run.run_id)?;
    let mut changes = ChangesBuilder::new(&staged, &run.run_id, config)?;
    store.for_each_chunk(true, |chunk| {
        report.upserts += 1;
        changes.push_upsert(chunk).map_err(ExportError::from)
    })?;
    store.for_each_delete(|delete| {
        report.deletes += 1;
        changes.push_delete(delete).map_err(ExportError::from)
    })?;
    let change_set = changes.finish()?;
    publisher.publish_change_set(&staged, &change_set)?;
    store.mark_published()?;
    report.change_set = Some(change_set.clone());

    if publish_snapshot {
        let mut summary = summary;
        summary["changes"] = serde_json::to_value(&change_set).unwrap_or_default();
        let staged = publisher.stage(Staged::Snapshot, &run.run_id)?;
        let mut snapshot = SnapshotBuilder::new(&staged, &run.run_id, config)?;
        store.for_each_chunk(false, |chunk| {
            report.snapshot_chunks += 1;
            snapshot.push_chunk(chunk).map_err(ExportError::from)
        })?;
        store.for_each_page(|page| {
            report.snapshot_pages += 1;
            snapshot.push_page(page).map_err(ExportError::from)
        })?;
        let manifest = snapshot.finish(summary)?;
        publisher.publish_snapshot(&staged, &manifest, current.as_deref())?;
        store.set_meta(PUBLISHED_SNAPSHOT, &run.run_id)?;
        report.snapshot_published = true;
    }
    Ok(report)
}
