//! [`ShardWriter`]: streams records of one type into size-rotated ZSTD Parquet
//! files in one directory, each written under a hidden temporary name,
//! fsynced, then renamed to `<prefix>-<nnnnn>.parquet`.
//!
//! Memory stays bounded whatever the number of rows: records wait in a small
//! batch (at most [`BATCH_MAX_ROWS`] rows or [`BATCH_MAX_BYTES`] bytes), are
//! encoded into the open row group, and the row group goes to disk when it
//! reaches `row_group_max_rows` rows or `row_group_max_bytes` bytes of
//! decoded data; so a reader never has to hold more than that either. The
//! shard is closed and a new one begun when the file reaches `target_bytes`.
//!
//! The writer knows nothing of snapshots: [`crate::SnapshotWriter`] runs one
//! per table, and other layouts (e.g. a run's change set) can use it directly.

use std::fs::{self, File};
use std::marker::PhantomData;
use std::path::PathBuf;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::atomic;
use crate::columns::{Values, schema_of};
use crate::error::{IoResultExt, SinkError};
use crate::records::Record;

/// The version of the `chunks` and `pages` schemas, stored in every file's
/// key-value metadata under [`METADATA_SCHEMA_VERSION`]. Bumped on any change
/// of a column's name, type or meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// Metadata key of the schema version.
pub const METADATA_SCHEMA_VERSION: &str = "notion_ingest.schema_version";
/// Metadata key of the record type (`chunks` or `pages`).
pub const METADATA_RECORD_TYPE: &str = "notion_ingest.record_type";
/// Metadata key of the run id.
pub const METADATA_RUN_ID: &str = "notion_ingest.run_id";
/// Prefix of the metadata keys the sink writes itself; callers' keys may not
/// use it.
pub const RESERVED_METADATA_PREFIX: &str = "notion_ingest.";

/// At most this many records wait before being encoded.
pub(crate) const BATCH_MAX_ROWS: usize = 1024;
/// At most this many bytes of records wait before being encoded.
pub(crate) const BATCH_MAX_BYTES: usize = 4 << 20;

/// How shards and their row groups are sized and compressed.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardSettings {
    /// Close a shard and begin the next once its file reaches this size.
    pub target_bytes: u64,
    /// End a row group after this many rows.
    pub row_group_max_rows: usize,
    /// End a row group after this many bytes of decoded data.
    pub row_group_max_bytes: usize,
    /// ZSTD level, 1 (fast) to 22 (small).
    pub zstd_level: i32,
}

impl Default for ShardSettings {
    /// 128 MiB shards of row groups of at most 20,000 rows or 64 MiB, ZSTD 3.
    fn default() -> Self {
        Self {
            target_bytes: 128 << 20,
            row_group_max_rows: 20_000,
            row_group_max_bytes: 64 << 20,
            zstd_level: 3,
        }
    }
}

impl ShardSettings {
    fn validate(&self) -> Result<ZstdLevel, SinkError> {
        let invalid = |reason: &str| Err(SinkError::InvalidConfig(reason.into()));
        if self.target_bytes == 0 {
            return invalid("shard target_bytes must be positive");
        }
        if self.row_group_max_rows == 0 || self.row_group_max_bytes == 0 {
            return invalid("row_group_max_rows and row_group_max_bytes must be positive");
        }
        ZstdLevel::try_new(self.zstd_level)
            .map_err(|error| SinkError::InvalidConfig(format!("zstd_level: {error}")))
    }
}

/// A shard the writer finished: its final path, rows and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenShard {
    /// Where the shard is, under its final name.
    pub path: PathBuf,
    /// How many records it holds.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Writes records of type `R` into `dir/<prefix>-00000.parquet`, `-00001`, …
///
/// ```
/// # fn main() -> Result<(), sink::SinkError> {
/// # let dir = tempfile::tempdir().unwrap();
/// use sink::{PageRecord, PageStatus, ShardSettings, ShardWriter};
///
/// let mut writer = ShardWriter::<PageRecord>::new(dir.path(), "part", &ShardSettings::default(), "run-1", &[])?;
/// writer.push(PageRecord {
///     page_id: "p1".into(), title: Some("Hello".into()), url: None, parent_id: None,
///     parent_type: Some("workspace".into()), data_source_id: None, properties: Some("{}".into()),
///     created_time: None, last_edited_time: None, markdown: Some("# Hello".into()),
///     markdown_hash: Some(sink::content_hash("# Hello")), chunk_count: 1, status: PageStatus::Ok,
///     run_id: "run-1".into(), ingested_at: chrono::Utc::now(),
/// })?;
/// let shards = writer.finish()?;
/// assert_eq!(shards.len(), 1);
/// assert_eq!(shards[0].rows, 1);
/// assert!(shards[0].path.ends_with("part-00000.parquet"));
/// # Ok(()) }
/// ```
pub struct ShardWriter<R: Record> {
    dir: PathBuf,
    prefix: String,
    settings: ShardSettings,
    schema: SchemaRef,
    properties: WriterProperties,
    /// Records waiting to be encoded, and their approximate size.
    pending: Vec<R>,
    pending_bytes: usize,
    open: Option<OpenShard>,
    written: Vec<WrittenShard>,
    /// Set by the first failed write; every later call reports it.
    failure: Option<String>,
    _record: PhantomData<R>,
}

/// The shard being written, under its temporary name.
struct OpenShard {
    writer: ArrowWriter<File>,
    temp: PathBuf,
    path: PathBuf,
    rows: u64,
    row_group_rows: usize,
    row_group_bytes: usize,
}

impl<R: Record> ShardWriter<R> {
    /// A writer into `dir` (created if missing). Every file's key-value
    /// metadata holds the schema version, the record type, `run_id` and
    /// `metadata`, whose keys may not start with [`RESERVED_METADATA_PREFIX`].
    /// Files are created on the first write.
    pub fn new(
        dir: impl Into<PathBuf>,
        prefix: &str,
        settings: &ShardSettings,
        run_id: &str,
        metadata: &[(String, String)],
    ) -> Result<Self, SinkError> {
        check_name_part("file prefix", prefix)?;
        check_name_part("run id", run_id)?;
        let zstd = settings.validate()?;
        let dir = dir.into();
        fs::create_dir_all(&dir).at(&dir)?;
        let schema = schema_of(R::COLUMNS);
        let properties = writer_properties::<R>(
            &schema,
            settings,
            zstd,
            file_metadata::<R>(run_id, metadata)?,
        )?;
        Ok(Self {
            dir,
            prefix: prefix.to_owned(),
            settings: settings.clone(),
            schema,
            properties,
            pending: Vec::new(),
            pending_bytes: 0,
            open: None,
            written: Vec::new(),
            failure: None,
            _record: PhantomData,
        })
    }

    /// Adds one record. An invalid record is rejected with
    /// [`SinkError::InvalidRecord`] and the writer stays usable; a failed
    /// write makes every later call fail with [`SinkError::WriterFailed`].
    pub fn push(&mut self, record: R) -> Result<(), SinkError> {
        self.check_not_failed()?;
        record
            .validate()
            .map_err(|reason| SinkError::InvalidRecord {
                kind: R::KIND,
                id: record.id().to_owned(),
                reason,
            })?;
        self.pending_bytes += record.approx_bytes();
        self.pending.push(record);
        if self.batch_is_due() {
            self.guarded(Self::write_pending)?;
        }
        Ok(())
    }

    /// Records pushed so far.
    pub fn rows(&self) -> u64 {
        self.written.iter().map(|s| s.rows).sum::<u64>()
            + self.open.as_ref().map_or(0, |s| s.rows)
            + self.pending.len() as u64
    }

    /// Bytes held in memory: waiting records plus the encoded, unflushed row
    /// group.
    pub fn buffered_bytes(&self) -> usize {
        self.pending_bytes + self.open.as_ref().map_or(0, |s| s.writer.memory_size())
    }

    /// Writes what is buffered, closes the last shard and returns every shard
    /// written, in order. A writer that received no record writes one empty
    /// shard, so readers of the directory find the schema.
    pub fn finish(mut self) -> Result<Vec<WrittenShard>, SinkError> {
        self.guarded(|writer| {
            writer.write_pending()?;
            if writer.written.is_empty() && writer.open.is_none() {
                writer.open_shard()?;
            }
            writer.close_shard()
        })?;
        Ok(std::mem::take(&mut self.written))
    }

    fn check_not_failed(&self) -> Result<(), SinkError> {
        match &self.failure {
            Some(failure) => Err(SinkError::WriterFailed(failure.clone())),
            None => Ok(()),
        }
    }

    /// Runs a write step; a failure poisons the writer.
    fn guarded(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<(), SinkError>,
    ) -> Result<(), SinkError> {
        self.check_not_failed()?;
        let result = step(self);
        if let Err(error) = &result {
            self.failure = Some(error.to_string());
        }
        result
    }

    /// Whether the waiting records should be encoded now: the batch is full,
    /// or they complete the open row group.
    fn batch_is_due(&self) -> bool {
        let (group_rows, group_bytes) = self
            .open
            .as_ref()
            .map_or((0, 0), |s| (s.row_group_rows, s.row_group_bytes));
        self.pending.len() >= BATCH_MAX_ROWS
            || self.pending_bytes >= BATCH_MAX_BYTES
            || group_rows + self.pending.len() >= self.settings.row_group_max_rows
            || group_bytes + self.pending_bytes >= self.settings.row_group_max_bytes
    }

    /// Encodes the waiting records into the open shard (opening one if
    /// needed), ends the row group if it is full, and closes the shard if it
    /// reached its target size.
    fn write_pending(&mut self) -> Result<(), SinkError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let building = |error: String| {
            SinkError::WriterFailed(format!("building a {} batch: {error}", R::KIND))
        };
        let columns = R::to_columns(&self.schema, &self.pending).map_err(building)?;
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|error| building(error.to_string()))?;
        let (rows, bytes) = (self.pending.len(), self.pending_bytes);
        self.pending.clear();
        self.pending_bytes = 0;

        if self.open.is_none() {
            self.open_shard()?;
        }
        let settings = &self.settings;
        let shard = self.open.as_mut().expect("a shard is open");
        let parquet_error = |source| SinkError::Parquet {
            path: shard.temp.clone(),
            source,
        };
        shard.writer.write(&batch).map_err(parquet_error)?;
        shard.rows += rows as u64;
        shard.row_group_rows += rows;
        shard.row_group_bytes += bytes;
        if shard.row_group_rows >= settings.row_group_max_rows
            || shard.row_group_bytes >= settings.row_group_max_bytes
        {
            shard.writer.flush().map_err(|source| SinkError::Parquet {
                path: shard.temp.clone(),
                source,
            })?;
            shard.row_group_rows = 0;
            shard.row_group_bytes = 0;
        }
        let size = shard.writer.bytes_written() + shard.writer.in_progress_size();
        if size as u64 >= settings.target_bytes {
            self.close_shard()?;
        }
        Ok(())
    }

    /// Begins the next shard under its temporary name.
    fn open_shard(&mut self) -> Result<(), SinkError> {
        let path = self
            .dir
            .join(format!("{}-{:05}.parquet", self.prefix, self.written.len()));
        let temp = atomic::temp_path(&path);
        let file = File::create(&temp).at(&temp)?;
        let writer = ArrowWriter::try_new(file, self.schema.clone(), Some(self.properties.clone()))
            .map_err(|source| SinkError::Parquet {
                path: temp.clone(),
                source,
            })?;
        self.open = Some(OpenShard {
            writer,
            temp,
            path,
            rows: 0,
            row_group_rows: 0,
            row_group_bytes: 0,
        });
        Ok(())
    }

    /// Writes the open shard's footer, fsyncs it and renames it to its final
    /// name.
    fn close_shard(&mut self) -> Result<(), SinkError> {
        let Some(shard) = self.open.take() else {
            return Ok(());
        };
        let file = shard
            .writer
            .into_inner()
            .map_err(|source| SinkError::Parquet {
                path: shard.temp.clone(),
                source,
            })?;
        file.sync_all().at(&shard.temp)?;
        let bytes = file.metadata().at(&shard.temp)?.len();
        drop(file);
        atomic::publish_file(&shard.temp, &shard.path)?;
        self.written.push(WrittenShard {
            path: shard.path,
            rows: shard.rows,
            bytes,
        });
        Ok(())
    }
}

impl<R: Record> Drop for ShardWriter<R> {
    /// An unfinished shard's temporary file is removed (best effort); a
    /// process killed outright leaves it to [`crate::clean_leftovers`].
    fn drop(&mut self) {
        if let Some(shard) = self.open.take() {
            drop(shard.writer);
            let _ = fs::remove_file(&shard.temp);
        }
    }
}

/// The key-value metadata of every file: the sink's keys, then the caller's.
fn file_metadata<R: Record>(
    run_id: &str,
    metadata: &[(String, String)],
) -> Result<Vec<KeyValue>, SinkError> {
    for (index, (key, _)) in metadata.iter().enumerate() {
        if metadata[..index].iter().any(|(earlier, _)| earlier == key) {
            return Err(SinkError::InvalidConfig(format!(
                "metadata key {key:?} is given twice"
            )));
        }
    }
    if let Some((key, _)) = metadata
        .iter()
        .find(|(key, _)| key.starts_with(RESERVED_METADATA_PREFIX))
    {
        return Err(SinkError::InvalidConfig(format!(
            "metadata key {key:?} uses the reserved prefix {RESERVED_METADATA_PREFIX:?}"
        )));
    }
    let own = [
        (METADATA_SCHEMA_VERSION, SCHEMA_VERSION.to_string()),
        (METADATA_RECORD_TYPE, R::KIND.to_owned()),
        (METADATA_RUN_ID, run_id.to_owned()),
    ];
    let own = own
        .into_iter()
        .map(|(key, value)| KeyValue::new(key.to_owned(), value));
    Ok(own
        .chain(
            metadata
                .iter()
                .map(|(key, value)| KeyValue::new(key.clone(), value.clone())),
        )
        .collect())
}

/// ZSTD everywhere; dictionary encoding and statistics on the columns whose
/// values repeat, plain encoding without statistics on the others.
fn writer_properties<R: Record>(
    schema: &SchemaRef,
    settings: &ShardSettings,
    zstd: ZstdLevel,
    metadata: Vec<KeyValue>,
) -> Result<WriterProperties, SinkError> {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(zstd))
        .set_max_row_group_row_count(Some(settings.row_group_max_rows))
        .set_key_value_metadata(Some(metadata));
    let parquet_schema = ArrowSchemaConverter::new()
        .convert(schema)
        .map_err(|error| {
            SinkError::WriterFailed(format!("converting the {} schema: {error}", R::KIND))
        })?;
    for leaf in parquet_schema.columns() {
        let top = &leaf.path().parts()[0];
        let distinct = R::COLUMNS
            .iter()
            .any(|c| c.name == top.as_str() && c.values == Values::Distinct);
        if distinct {
            builder = builder
                .set_column_dictionary_enabled(leaf.path().clone(), false)
                .set_column_statistics_enabled(leaf.path().clone(), EnabledStatistics::None);
        }
    }
    Ok(builder.build())
}

/// Checks that a run id or file prefix is safe in a file name and not hidden
/// from readers: ASCII letters, digits, `-`, `_`, `.`, not starting with `.`
/// or `_`, at most 128 characters.
pub(crate) fn check_name_part(what: &str, value: &str) -> Result<(), SinkError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ok = !value.is_empty()
        && value.len() <= 128
        && !value.starts_with(['.', '_'])
        && value.chars().all(allowed);
    if ok {
        Ok(())
    } else {
        Err(SinkError::InvalidConfig(format!(
            "{what} {value:?} must be 1 to 128 ASCII letters, digits, '-', '_' or '.', not starting with '.' or '_'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_visible_and_safe() {
        for good in ["run-1", "20250101T020000Z", "a.b_c"] {
            check_name_part("run id", good).unwrap();
        }
        for bad in ["", ".hidden", "_meta", "a/b", "a b", "é", &"x".repeat(129)] {
            assert!(check_name_part("run id", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn reserved_metadata_keys_are_refused() {
        let metadata = [("notion_ingest.run_id".to_owned(), "x".to_owned())];
        let error = file_metadata::<crate::PageRecord>("run", &metadata).unwrap_err();
        assert!(error.to_string().contains("reserved prefix"), "{error}");
    }

    #[test]
    fn zero_sizes_are_refused() {
        let settings = ShardSettings {
            row_group_max_rows: 0,
            ..ShardSettings::default()
        };
        assert!(matches!(
            settings.validate(),
            Err(SinkError::InvalidConfig(_))
        ));
        let settings = ShardSettings {
            zstd_level: 99,
            ..ShardSettings::default()
        };
        assert!(matches!(
            settings.validate(),
            Err(SinkError::InvalidConfig(_))
        ));
    }
}
