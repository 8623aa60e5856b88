//! Reading the sink's output back as records: [`Snapshot`] opens a published
//! (or any complete) snapshot through its manifest, and [`read_records`]
//! iterates the records of any set of shard files in batches.
//!
//! Each file's key-value metadata is checked first, so a file of another
//! record type or schema version is refused with a clear error rather than
//! misread.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::error::{IoResultExt, SinkError};
use crate::manifest::Manifest;
use crate::records::{ChunkRecord, PageRecord, Record};
use crate::shard::{METADATA_RECORD_TYPE, METADATA_SCHEMA_VERSION, SCHEMA_VERSION};
use crate::snapshot::CURRENT_LINK;

/// A complete snapshot: its directory and manifest.
#[derive(Debug, Clone)]
pub struct Snapshot {
    dir: PathBuf,
    manifest: Manifest,
}

impl Snapshot {
    /// Opens the snapshot directory `dir` (`OUT/snapshots/<run_id>`), which
    /// must hold a manifest.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, SinkError> {
        let dir = dir.into();
        let manifest = Manifest::read(&dir)?;
        Ok(Self { dir, manifest })
    }

    /// Opens the snapshot published in `out_dir`, or `None` if no run has
    /// published yet. The `current` symlink is resolved once, so the whole
    /// read sees one run even if another run publishes meanwhile.
    pub fn open_published(out_dir: impl AsRef<Path>) -> Result<Option<Self>, SinkError> {
        let link = out_dir.as_ref().join(CURRENT_LINK);
        match fs::read_link(&link) {
            Ok(target) => Self::open(out_dir.as_ref().join(target)).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).at(&link),
        }
    }

    /// The snapshot's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The snapshot's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The chunk shards, in order.
    pub fn chunk_files(&self) -> Vec<PathBuf> {
        self.manifest.chunks.shard_paths(&self.dir)
    }

    /// The page shards, in order.
    pub fn page_files(&self) -> Vec<PathBuf> {
        self.manifest.pages.shard_paths(&self.dir)
    }

    /// The snapshot's chunks, `batch_size` records at a time.
    pub fn chunks(&self, batch_size: usize) -> RecordBatches<ChunkRecord> {
        read_records(self.chunk_files(), batch_size)
    }

    /// The snapshot's pages, `batch_size` records at a time.
    pub fn pages(&self, batch_size: usize) -> RecordBatches<PageRecord> {
        read_records(self.page_files(), batch_size)
    }
}

/// Iterates the records of `files`, in order, `batch_size` (at least 1) at a
/// time. The files must be shards of record type `R`.
///
/// ```no_run
/// # fn main() -> Result<(), sink::SinkError> {
/// for batch in sink::read_records::<sink::ChunkRecord>(["out/chunks/part-r1-00000.parquet"], 1024) {
///     for chunk in batch? {
///         println!("{} {}", chunk.chunk_id, chunk.token_count);
///     }
/// }
/// # Ok(()) }
/// ```
pub fn read_records<R: Record>(
    files: impl IntoIterator<Item = impl Into<PathBuf>>,
    batch_size: usize,
) -> RecordBatches<R> {
    RecordBatches {
        files: files
            .into_iter()
            .map(Into::into)
            .collect::<Vec<_>>()
            .into_iter(),
        batch_size: batch_size.max(1),
        current: None,
        failed: false,
        _record: std::marker::PhantomData,
    }
}

/// The iterator of [`read_records`]: yields `Vec<R>` batches; after the first
/// error it ends.
pub struct RecordBatches<R: Record> {
    files: std::vec::IntoIter<PathBuf>,
    batch_size: usize,
    current: Option<(PathBuf, ParquetRecordBatchReader)>,
    failed: bool,
    _record: std::marker::PhantomData<R>,
}

impl<R: Record> RecordBatches<R> {
    /// Opens a shard after checking its record type and schema version.
    fn open(&self, path: &Path) -> Result<ParquetRecordBatchReader, SinkError> {
        let file = File::open(path).at(path)?;
        let parquet_error = |source| SinkError::Parquet {
            path: path.to_path_buf(),
            source,
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
        let metadata = builder.metadata().file_metadata().key_value_metadata();
        let value = |key: &str| {
            metadata
                .and_then(|kv| kv.iter().find(|entry| entry.key == key))
                .and_then(|entry| entry.value.as_deref())
        };
        let mismatch = |reason: String| SinkError::SchemaMismatch {
            path: path.to_path_buf(),
            expected: R::KIND,
            reason,
        };
        if value(METADATA_RECORD_TYPE) != Some(R::KIND) {
            return Err(mismatch(format!(
                "record type is {:?}",
                value(METADATA_RECORD_TYPE)
            )));
        }
        if value(METADATA_SCHEMA_VERSION) != Some(SCHEMA_VERSION.to_string().as_str()) {
            return Err(mismatch(format!(
                "schema version is {:?}",
                value(METADATA_SCHEMA_VERSION)
            )));
        }
        builder
            .with_batch_size(self.batch_size)
            .build()
            .map_err(parquet_error)
    }

    fn next_batch(&mut self) -> Option<Result<Vec<R>, SinkError>> {
        loop {
            if let Some((path, reader)) = &mut self.current {
                match reader.next() {
                    Some(Ok(batch)) => {
                        return Some(R::from_batch(&batch).map_err(|reason| {
                            SinkError::SchemaMismatch {
                                path: path.clone(),
                                expected: R::KIND,
                                reason,
                            }
                        }));
                    }
                    Some(Err(error)) => {
                        let source = parquet::errors::ParquetError::ArrowError(error.to_string());
                        return Some(Err(SinkError::Parquet {
                            path: path.clone(),
                            source,
                        }));
                    }
                    None => self.current = None,
                }
            }
            let path = self.files.next()?;
            match self.open(&path) {
                Ok(reader) => self.current = Some((path, reader)),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

impl<R: Record> Iterator for RecordBatches<R> {
    type Item = Result<Vec<R>, SinkError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_batch();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

/// The `chunk_id` of every chunk in one chunk shard, in file order.
pub(crate) fn chunk_ids_in(path: &Path) -> Result<Vec<(String, String)>, SinkError> {
    let mut ids = Vec::new();
    for batch in read_records::<ChunkRecord>([path], 4096) {
        ids.extend(
            batch?
                .into_iter()
                .map(|chunk| (chunk.chunk_id, chunk.page_id)),
        );
    }
    Ok(ids)
}
