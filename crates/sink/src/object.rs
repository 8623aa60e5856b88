//! [`ObjectOutput`]: the [`Publisher`] for object storage (`s3://`, `gs://`,
//! `az://`), through the `object_store` crate, and the remote state store
//! ([`RemoteState`]) next to the output.
//!
//! Object storage has no symlink and no rename, so publication is a
//! protocol:
//!
//! ```text
//! PREFIX/
//!   current.json                      the pointer: {run_id, snapshot, manifest}; replaced last,
//!                                     with a conditional write (If-Match on the ETag read at the start)
//!   manifest.json                     a copy of the current manifest, written after the pointer
//!   snapshots/<run_id>/               chunks/*.parquet, pages/*.parquet, then manifest.json
//!   changes/run=<run_id>/             upserts-*.parquet, deletes.parquet, then changes.json
//!                                     (create-only: a change set is published once)
//!   state/state.sqlite                the state store, replaced with the same conditional write
//!   lease.json                        who runs on this output until when: created with
//!                                     If-None-Match, renewed and taken over with If-Match
//! ```
//!
//! A reader follows `current.json` to a snapshot whose every shard was
//! uploaded before the pointer moved, so it never sees a partial run; two
//! writers that read the same pointer cannot both replace it (the second
//! gets [`SinkError::Conflict`]); a writer killed before the swap leaves the
//! pointer on the previous snapshot. A worker takes the output's lease
//! before it starts and renews it while it runs (a third of its time, 5
//! minutes by default): a second worker is refused while it holds it
//! ([`SinkError::Leased`]), and a worker killed mid-run leaves a lease
//! that expires, after which the next run takes over (a conditional
//! replace, so of two late comers only one does). Expiry is judged on the
//! clocks of the workers; keep them in sync (NTP) to well under the lease
//! time. Credentials come the standard way for
//! each cloud (`AWS_*` environment, profile, instance metadata;
//! `GOOGLE_*`/`SERVICE_ACCOUNT`; `AZURE_*`) and are never logged: messages
//! name objects only.
//!
//! The trait's methods are blocking; each call runs on the output's own
//! small runtime, so they may be called from any thread.

use std::fs;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::changes::{CHANGES_DIR, CHANGES_FILE, ChangeSet};
use crate::error::{IoResultExt, SinkError};
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::publish::{Publisher, RemoteState, Staged};
use crate::shard::check_name_part;
use crate::snapshot::SNAPSHOTS_DIR;

/// The pointer object's name under the output's prefix.
pub const CURRENT_OBJECT: &str = "current.json";

/// The state store's object under the output's prefix.
pub const STATE_OBJECT: &str = "state/state.sqlite";

/// The lease object under the output's prefix.
pub const LEASE_OBJECT: &str = "lease.json";

/// How long a lease lasts by default unless renewed.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(300);

/// The lease object's content: who runs on the output, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it: host name, process id and a random id.
    pub holder: String,
    /// When the holder took it.
    pub acquired_at: DateTime<Utc>,
    /// When it expires unless renewed.
    pub expires_at: DateTime<Utc>,
}

/// The schemes [`ObjectOutput`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Amazon S3 and S3-compatible stores (`s3://bucket/prefix`; the
    /// endpoint from `AWS_ENDPOINT_URL` or `AWS_ENDPOINT`).
    S3,
    /// Google Cloud Storage (`gs://bucket/prefix`).
    Gcs,
    /// Azure Blob Storage (`az://container/prefix`; the account from
    /// `AZURE_STORAGE_ACCOUNT_NAME`).
    Azure,
}

impl Scheme {
    /// The scheme of `url` if it is an object store URL (`s3://`, `gs://`,
    /// `az://`); `None` for anything else (a local path, `file://`).
    pub fn of(url: &str) -> Option<Scheme> {
        let (scheme, _) = url.split_once("://")?;
        match scheme {
            "s3" | "s3a" => Some(Scheme::S3),
            "gs" => Some(Scheme::Gcs),
            "az" | "abfs" | "abfss" => Some(Scheme::Azure),
            _ => None,
        }
    }
}

/// The small object that names the current snapshot (`current.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentPointer {
    /// The run whose snapshot is current.
    pub run_id: String,
    /// The snapshot's prefix, relative to the output (`snapshots/<run_id>`).
    pub snapshot: String,
    /// The snapshot's manifest, relative to the output.
    pub manifest: String,
    /// When the pointer was written.
    pub published_at: DateTime<Utc>,
}

/// An object's bytes and ETag.
type Fetched = (Vec<u8>, Option<String>);

/// What this process last read or wrote of a conditionally replaced object.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// The pointer: the run it named (`None`: there was none) and its ETag.
    current: Option<(Option<String>, Option<String>)>,
    /// The state store's ETag (`None` inside: there was none).
    state: Option<Option<String>>,
    /// The lease this process holds and its ETag.
    lease: Option<(Lease, Option<String>)>,
}

/// An output on object storage: see the module documentation.
#[derive(Debug)]
pub struct ObjectOutput {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    staging: PathBuf,
    keep_snapshots: usize,
    lease_ttl: Duration,
    runtime: Option<tokio::runtime::Runtime>,
    seen: Mutex<Seen>,
}

impl Drop for ObjectOutput {
    fn drop(&mut self) {
        // Dropping a runtime inside another one's task would panic.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn object_error(location: String) -> impl FnOnce(object_store::Error) -> SinkError {
    move |source| SinkError::Object { location, source }
}

impl ObjectOutput {
    /// The output at `url` (`s3://bucket/prefix`, `gs://…`, `az://…`), with
    /// credentials and endpoint from the environment, staging files in the
    /// local directory `staging` and keeping `keep_snapshots` published
    /// snapshots (at least 1, the current one included).
    pub fn open(
        url: &str,
        staging: impl Into<PathBuf>,
        keep_snapshots: usize,
    ) -> Result<ObjectOutput, SinkError> {
        Self::open_with_options(url, Vec::new(), staging, keep_snapshots)
    }

    /// [`open`](Self::open), with `options` (the `object_store` builders'
    /// keys, e.g. `aws_endpoint`, `aws_allow_http`) over the environment.
    pub fn open_with_options(
        url: &str,
        options: Vec<(String, String)>,
        staging: impl Into<PathBuf>,
        keep_snapshots: usize,
    ) -> Result<ObjectOutput, SinkError> {
        let bad_option = |key: &str, e: object_store::Error| {
            SinkError::InvalidConfig(format!("object store option {key}: {e}"))
        };
        let scheme = Scheme::of(url).ok_or_else(|| {
            SinkError::InvalidConfig(format!(
                "{url:?} is not an object store URL (s3://, gs://, az://)"
            ))
        })?;
        let parsed = url::Url::parse(url)
            .map_err(|e| SinkError::InvalidConfig(format!("{url:?} is not a URL: {e}")))?;
        if parsed.host_str().unwrap_or_default().is_empty() {
            return Err(SinkError::InvalidConfig(format!(
                "{url:?} names no bucket or container"
            )));
        }
        let url = url.trim_end_matches('/').to_owned();
        let location = url.clone();
        let store: Arc<dyn ObjectStore> = match scheme {
            Scheme::S3 => {
                let mut builder = object_store::aws::AmazonS3Builder::from_env().with_url(&url);
                // The endpoint variable the AWS SDKs and CLI read.
                if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
                    builder = builder.with_endpoint(endpoint);
                }
                for (key, value) in &options {
                    let key = key.parse().map_err(|e| bad_option(key, e))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(object_error(location))?)
            }
            Scheme::Gcs => {
                let mut builder =
                    object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(&url);
                for (key, value) in &options {
                    let key = key.parse().map_err(|e| bad_option(key, e))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(object_error(location))?)
            }
            Scheme::Azure => {
                let mut builder =
                    object_store::azure::MicrosoftAzureBuilder::from_env().with_url(&url);
                for (key, value) in &options {
                    let key = key.parse().map_err(|e| bad_option(key, e))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(object_error(location))?)
            }
        };
        let prefix = ObjectPath::from(parsed.path().trim_matches('/'));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("object-store")
            .enable_all()
            .build()
            .map_err(|source| SinkError::Io {
                path: PathBuf::from(&url),
                source,
            })?;
        Ok(ObjectOutput {
            url,
            store,
            prefix,
            staging: staging.into(),
            keep_snapshots: keep_snapshots.max(1),
            lease_ttl: DEFAULT_LEASE_TTL,
            runtime: Some(runtime),
            seen: Mutex::new(Seen::default()),
        })
    }

    /// This output with leases lasting `ttl` (at least a second) unless
    /// renewed, instead of [`DEFAULT_LEASE_TTL`].
    pub fn with_lease_ttl(mut self, ttl: Duration) -> ObjectOutput {
        self.lease_ttl = ttl.max(Duration::from_secs(1));
        self
    }

    /// The lease on this output as it is now, if there is one (expired or
    /// not).
    pub fn lease(&self) -> Result<Option<Lease>, SinkError> {
        Ok(self.read_lease()?.map(|(lease, _)| lease))
    }

    /// The lease object and its ETag; an unreadable one reads as expired.
    fn read_lease(&self) -> Result<Option<(Lease, Option<String>)>, SinkError> {
        let Some((bytes, etag)) = self.get(LEASE_OBJECT)? else {
            return Ok(None);
        };
        let lease = serde_json::from_slice(&bytes).unwrap_or_else(|_| Lease {
            holder: "(unreadable lease)".into(),
            acquired_at: DateTime::<Utc>::MIN_UTC,
            expires_at: DateTime::<Utc>::MIN_UTC,
        });
        Ok(Some((lease, etag)))
    }

    /// Writes `lease` in `mode`; `Ok(false)` when the condition failed.
    fn put_lease(&self, lease: &Lease, mode: PutMode) -> Result<bool, SinkError> {
        let bytes = serde_json::to_vec_pretty(lease).expect("a lease serializes");
        match self.put(LEASE_OBJECT, bytes, mode) {
            Ok(etag) => {
                self.seen.lock().expect("seen").lease = Some((lease.clone(), etag));
                Ok(true)
            }
            Err(SinkError::Object { source, .. }) if is_lost_race(&source) => Ok(false),
            Err(error) => Err(error),
        }
    }

    fn leased(&self, lease: &Lease) -> SinkError {
        SinkError::Leased {
            location: self.url_of(LEASE_OBJECT),
            holder: lease.holder.clone(),
            expires_at: lease.expires_at.to_rfc3339(),
        }
    }

    /// The output's URL, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The object store client (for tests and tools).
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// The object at `relative` under the output's prefix.
    pub fn path(&self, relative: &str) -> ObjectPath {
        let mut parts: Vec<String> = self.prefix.parts().map(|p| p.as_ref().to_owned()).collect();
        parts.extend(
            relative
                .split('/')
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        );
        ObjectPath::from_iter(parts)
    }

    /// The URL of the object at `relative`.
    pub fn url_of(&self, relative: &str) -> String {
        format!("{}/{}", self.url, relative.trim_start_matches('/'))
    }

    /// Runs `future` on the output's runtime and waits for it, from any
    /// thread (a blocking wait, like a file system call).
    fn block<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> T {
        let runtime = self.runtime.as_ref().expect("the runtime lives until drop");
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().expect("the object store task ran to completion")
    }

    /// The bytes and ETag of the object at `relative`, `None` if absent.
    fn get(&self, relative: &str) -> Result<Option<Fetched>, SinkError> {
        let store = self.store.clone();
        let path = self.path(relative);
        let result = self.block(async move {
            let got = store.get(&path).await?;
            let etag = got.meta.e_tag.clone();
            let bytes = got.bytes().await?;
            Ok::<_, object_store::Error>((bytes.to_vec(), etag))
        });
        match result {
            Ok(found) => Ok(Some(found)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(SinkError::Object {
                location: self.url_of(relative),
                source,
            }),
        }
    }

    /// Writes `bytes` at `relative` in `mode`; returns the new ETag.
    fn put(
        &self,
        relative: &str,
        bytes: Vec<u8>,
        mode: PutMode,
    ) -> Result<Option<String>, SinkError> {
        let store = self.store.clone();
        let path = self.path(relative);
        self.block(async move {
            store
                .put_opts(&path, PutPayload::from(bytes), PutOptions::from(mode))
                .await
                .map(|r| r.e_tag)
        })
        .map_err(object_error(self.url_of(relative)))
    }

    /// Uploads the local file `file` to `relative` (multipart when large,
    /// so memory stays bounded by the part size).
    fn upload_file(&self, file: &Path, relative: &str) -> Result<(), SinkError> {
        let store = self.store.clone();
        let path = self.path(relative);
        let local = file.to_path_buf();
        let location = self.url_of(relative);
        self.block(async move {
            let mut source = tokio::fs::File::open(&local).await.at(&local)?;
            let mut writer = object_store::buffered::BufWriter::with_capacity(store, path, 8 << 20);
            let copied = tokio::io::copy(&mut source, &mut writer).await;
            let shut = match copied {
                Ok(_) => writer.shutdown().await,
                Err(error) => {
                    let _ = writer.abort().await;
                    Err(error)
                }
            };
            shut.map_err(|source| SinkError::Io {
                path: PathBuf::from(location),
                source,
            })
        })
    }

    /// Uploads every file under `dir` to `relative`/…, the file named `last`
    /// (at the top of `dir`) after all the others.
    fn upload_dir(&self, dir: &Path, relative: &str, last: &str) -> Result<(), SinkError> {
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        files.sort();
        let (last_files, others): (Vec<_>, Vec<_>) =
            files.into_iter().partition(|name| name == last);
        for name in others.iter().chain(&last_files) {
            self.upload_file(&dir.join(name), &format!("{relative}/{name}"))?;
        }
        Ok(())
    }

    /// The pointer and its ETag, fresh from the store.
    fn read_pointer(&self) -> Result<Option<(CurrentPointer, Option<String>)>, SinkError> {
        let Some((bytes, etag)) = self.get(CURRENT_OBJECT)? else {
            return Ok(None);
        };
        let pointer = serde_json::from_slice(&bytes).map_err(|source| SinkError::Manifest {
            path: PathBuf::from(self.url_of(CURRENT_OBJECT)),
            source,
        })?;
        Ok(Some((pointer, etag)))
    }

    /// Downloads the object at `relative` into the local file `to`;
    /// `false` if there is no such object.
    pub fn download(&self, relative: &str, to: &Path) -> Result<bool, SinkError> {
        match self.get(relative)? {
            Some((bytes, _)) => {
                fs::write(to, bytes).at(to)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The URLs of the current snapshot's shards (chunks, then pages).
    pub fn current_shard_urls(&self) -> Result<Vec<String>, SinkError> {
        let Some(manifest) = self.current()? else {
            return Ok(Vec::new());
        };
        Ok(manifest
            .chunks
            .shards
            .iter()
            .chain(&manifest.pages.shards)
            .map(|s| self.url_of(&format!("{}/{}", manifest.snapshot, s.path)))
            .collect())
    }

    /// Removes published snapshots older than the newest `keep_snapshots`
    /// (never one newer than `current`: a writer may be uploading it).
    fn prune(&self, current: &str) -> Result<(), SinkError> {
        let store = self.store.clone();
        let prefix = self.path(SNAPSHOTS_DIR);
        let listed = self
            .block(async move { store.list_with_delimiter(Some(&prefix)).await })
            .map_err(object_error(self.url_of(SNAPSHOTS_DIR)))?;
        let mut older: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .filter(|run| run.as_str() < current)
            .collect();
        older.sort_unstable_by(|a, b| b.cmp(a));
        for run in older.into_iter().skip(self.keep_snapshots - 1) {
            let store = self.store.clone();
            let prefix = self.path(&format!("{SNAPSHOTS_DIR}/{run}"));
            self.block(async move {
                let paths = store.list(Some(&prefix)).map_ok(|m| m.location).boxed();
                store
                    .delete_stream(paths)
                    .try_collect::<Vec<_>>()
                    .await
                    .map(|_| ())
            })
            .map_err(object_error(self.url_of(&format!("{SNAPSHOTS_DIR}/{run}"))))?;
        }
        Ok(())
    }

    fn staging_dir(&self, kind: Staged, run_id: &str) -> PathBuf {
        let kind = match kind {
            Staged::Snapshot => "snapshot",
            Staged::ChangeSet => "changes",
        };
        self.staging.join(format!("{kind}-{run_id}"))
    }

    fn conflict(&self, what: impl std::fmt::Display) -> SinkError {
        SinkError::Conflict(format!("{}: {what}", self.url))
    }
}

/// The files under `dir`, as `/`-separated paths relative to `root`.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), SinkError> {
    for entry in fs::read_dir(dir).at(dir)? {
        let entry = entry.at(dir)?;
        let path = entry.path();
        if entry.file_type().at(&path)?.is_dir() {
            collect_files(root, &path, out)?;
        } else {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

fn is_lost_race(error: &object_store::Error) -> bool {
    matches!(
        error,
        object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. }
    )
}

impl Publisher for ObjectOutput {
    fn stage(&self, kind: Staged, run_id: &str) -> Result<PathBuf, SinkError> {
        check_name_part("run id", run_id)?;
        if kind == Staged::Snapshot
            && let Some((pointer, _)) = self.read_pointer()?
            && pointer.run_id == run_id
        {
            return Err(SinkError::RunExists {
                run_id: run_id.to_owned(),
                out_dir: PathBuf::from(&self.url),
            });
        }
        let dir = self.staging_dir(kind, run_id);
        if fs::symlink_metadata(&dir).is_ok() {
            fs::remove_dir_all(&dir).at(&dir)?;
        }
        fs::create_dir_all(&dir).at(&dir)?;
        Ok(dir)
    }

    fn publish_change_set(&self, staged: &Path, set: &ChangeSet) -> Result<(), SinkError> {
        let relative = format!("{CHANGES_DIR}/run={}", set.run_id);
        let marker = format!("{relative}/{CHANGES_FILE}");
        if self.get(&marker)?.is_some() {
            let _ = fs::remove_dir_all(staged);
            return Err(self.conflict(format_args!(
                "the change set of run {} is already published",
                set.run_id
            )));
        }
        let mut files = Vec::new();
        collect_files(staged, staged, &mut files)?;
        for name in files.iter().filter(|n| n.as_str() != CHANGES_FILE) {
            self.upload_file(&staged.join(name), &format!("{relative}/{name}"))?;
        }
        let bytes = fs::read(staged.join(CHANGES_FILE)).at(&staged.join(CHANGES_FILE))?;
        match self.put(&marker, bytes, PutMode::Create) {
            Ok(_) => {}
            Err(SinkError::Object { source, .. }) if is_lost_race(&source) => {
                let _ = fs::remove_dir_all(staged);
                return Err(self.conflict(format_args!(
                    "the change set of run {} was published by another writer",
                    set.run_id
                )));
            }
            Err(error) => return Err(error),
        }
        fs::remove_dir_all(staged).at(staged)
    }

    fn publish_snapshot(
        &self,
        staged: &Path,
        manifest: &Manifest,
        expected: Option<&str>,
    ) -> Result<(), SinkError> {
        // The pointer as this run read it (at the start of its export), or
        // as it is now if this process never read it.
        let seen = self.seen.lock().expect("seen").current.clone();
        let (found, etag) = match seen {
            Some(seen) => seen,
            None => match self.read_pointer()? {
                Some((pointer, etag)) => (Some(pointer.run_id), etag),
                None => (None, None),
            },
        };
        if found.as_deref() != expected {
            return Err(self.conflict(format_args!(
                "published by run {} while this run expected {}",
                found.as_deref().unwrap_or("(none)"),
                expected.unwrap_or("(none)")
            )));
        }
        let snapshot = format!("{SNAPSHOTS_DIR}/{}", manifest.run_id);
        if manifest.snapshot != snapshot {
            return Err(SinkError::InvalidConfig(format!(
                "the manifest names snapshot {:?}, expected {snapshot:?}",
                manifest.snapshot
            )));
        }
        self.upload_dir(staged, &snapshot, MANIFEST_FILE)?;
        pause_before_pointer();
        let pointer = CurrentPointer {
            run_id: manifest.run_id.clone(),
            snapshot: snapshot.clone(),
            manifest: format!("{snapshot}/{MANIFEST_FILE}"),
            published_at: Utc::now(),
        };
        let bytes = serde_json::to_vec_pretty(&pointer).expect("a pointer serializes");
        let mode = match (&found, etag) {
            (None, _) => PutMode::Create,
            (Some(_), e_tag) => PutMode::Update(UpdateVersion {
                e_tag,
                version: None,
            }),
        };
        let new_etag = match self.put(CURRENT_OBJECT, bytes, mode) {
            Ok(etag) => etag,
            Err(SinkError::Object { source, .. }) if is_lost_race(&source) => {
                return Err(self.conflict(format_args!(
                    "another run replaced {CURRENT_OBJECT} after this run read it (expected {}); \
                     this run's snapshot {} is uploaded but not published",
                    expected.unwrap_or("none"),
                    manifest.run_id
                )));
            }
            Err(error) => return Err(error),
        };
        self.seen.lock().expect("seen").current = Some((Some(manifest.run_id.clone()), new_etag));
        let copy = serde_json::to_vec_pretty(manifest).expect("a manifest serializes");
        self.put(MANIFEST_FILE, copy, PutMode::Overwrite)?;
        let _ = fs::remove_dir_all(staged);
        if let Err(error) = self.prune(&manifest.run_id) {
            tracing::warn!(%error, "cannot remove old snapshots; they stay");
        }
        Ok(())
    }

    fn current(&self) -> Result<Option<Manifest>, SinkError> {
        let Some((pointer, etag)) = self.read_pointer()? else {
            self.seen.lock().expect("seen").current = Some((None, None));
            return Ok(None);
        };
        self.seen.lock().expect("seen").current = Some((Some(pointer.run_id.clone()), etag));
        let Some((bytes, _)) = self.get(&pointer.manifest)? else {
            return Err(SinkError::DanglingCurrent {
                link: PathBuf::from(self.url_of(CURRENT_OBJECT)),
                run_id: pointer.run_id,
            });
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| SinkError::Manifest {
                path: PathBuf::from(self.url_of(&pointer.manifest)),
                source,
            })
    }

    fn change_set(&self, run_id: &str) -> Result<Option<ChangeSet>, SinkError> {
        let relative = format!("{CHANGES_DIR}/run={run_id}/{CHANGES_FILE}");
        match self.get(&relative)? {
            Some((bytes, _)) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|source| SinkError::Manifest {
                        path: PathBuf::from(self.url_of(&relative)),
                        source,
                    })
            }
            None => Ok(None),
        }
    }

    fn current_chunk_ids(&self) -> Result<Vec<(String, String)>, SinkError> {
        let Some(manifest) = self.current()? else {
            return Ok(Vec::new());
        };
        fs::create_dir_all(&self.staging).at(&self.staging)?;
        let mut ids = Vec::new();
        for shard in &manifest.chunks.shards {
            let relative = format!("{}/{}", manifest.snapshot, shard.path);
            let Some((bytes, _)) = self.get(&relative)? else {
                continue;
            };
            let local = self.staging.join("reconcile.parquet");
            fs::write(&local, bytes).at(&local)?;
            let read = crate::reader::chunk_ids_in(&local);
            let _ = fs::remove_file(&local);
            ids.extend(read?);
        }
        Ok(ids)
    }

    fn clean(&self) -> Result<(), SinkError> {
        if self.staging.is_dir() {
            fs::remove_dir_all(&self.staging).at(&self.staging)?;
        }
        Ok(())
    }

    fn location(&self) -> String {
        self.url.clone()
    }

    fn remote_state(&self) -> Option<&dyn RemoteState> {
        Some(self)
    }

    fn shard_urls(&self) -> Result<Vec<String>, SinkError> {
        self.current_shard_urls()
    }

    fn partitions(&self) -> Result<Vec<String>, SinkError> {
        let store = self.store.clone();
        let prefix = self.prefix.clone();
        let listed = self
            .block(async move { store.list_with_delimiter(Some(&prefix)).await })
            .map_err(object_error(self.url.clone()))?;
        let mut names: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .filter(|name| crate::publish::is_partition(name))
            .collect();
        names.sort();
        Ok(names)
    }
}

impl RemoteState for ObjectOutput {
    fn download_state(&self, local: &Path) -> Result<bool, SinkError> {
        let found = self.get(STATE_OBJECT)?;
        let dir = local.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).at(dir)?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", local.display()));
            let _ = fs::remove_file(side);
        }
        match found {
            Some((bytes, etag)) => {
                let partial = local.with_extension("download");
                fs::write(&partial, bytes).at(&partial)?;
                fs::rename(&partial, local).at(local)?;
                self.seen.lock().expect("seen").state = Some(etag);
                Ok(true)
            }
            None => {
                if local.exists() {
                    fs::remove_file(local).at(local)?;
                }
                self.seen.lock().expect("seen").state = Some(None);
                Ok(false)
            }
        }
    }

    fn upload_state(&self, local: &Path) -> Result<(), SinkError> {
        let bytes = fs::read(local).at(local)?;
        let seen = self.seen.lock().expect("seen").state.clone();
        let mode = match seen {
            Some(Some(e_tag)) => PutMode::Update(UpdateVersion {
                e_tag: Some(e_tag),
                version: None,
            }),
            Some(None) => PutMode::Create,
            None => PutMode::Overwrite,
        };
        match self.put(STATE_OBJECT, bytes, mode) {
            Ok(etag) => {
                self.seen.lock().expect("seen").state = Some(etag);
                Ok(())
            }
            Err(SinkError::Object { source, .. }) if is_lost_race(&source) => {
                Err(self.conflict(format_args!(
                    "another worker replaced {STATE_OBJECT} since this one downloaded it; \
                     two runs were writing the same output"
                )))
            }
            Err(error) => Err(error),
        }
    }

    fn lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    fn acquire_lease(&self, holder: &str) -> Result<(), SinkError> {
        let now = Utc::now();
        let lease = Lease {
            holder: holder.to_owned(),
            acquired_at: now,
            expires_at: now + self.lease_ttl,
        };
        let mode = match self.read_lease()? {
            None => PutMode::Create,
            Some((old, _)) if old.expires_at > now && old.holder != holder => {
                return Err(self.leased(&old));
            }
            // Expired (its holder was killed or gave it up): take it over,
            // provided nobody else did first.
            Some((_, etag)) => Self::update_mode(etag),
        };
        if self.put_lease(&lease, mode)? {
            return Ok(());
        }
        // Another worker got there first: name it.
        match self.read_lease()? {
            Some((winner, _)) => Err(self.leased(&winner)),
            None => Err(self.conflict(format_args!(
                "{LEASE_OBJECT} changed while this worker took it; run again"
            ))),
        }
    }

    fn renew_lease(&self) -> Result<(), SinkError> {
        let Some((mut lease, etag)) = self.seen.lock().expect("seen").lease.clone() else {
            return Err(self.conflict(format_args!(
                "this worker holds no lease on {LEASE_OBJECT} to renew"
            )));
        };
        lease.expires_at = Utc::now() + self.lease_ttl;
        if self.put_lease(&lease, Self::update_mode(etag))? {
            return Ok(());
        }
        Err(self.conflict(format_args!(
            "another worker took over {LEASE_OBJECT} (this worker's lease had expired); \
             this run stops without publishing"
        )))
    }

    fn release_lease(&self) -> Result<(), SinkError> {
        let Some((mut lease, etag)) = self.seen.lock().expect("seen").lease.take() else {
            return Ok(());
        };
        lease.expires_at = Utc::now();
        // A lost condition means another worker took it over: nothing to give up.
        self.put_lease(&lease, Self::update_mode(etag))?;
        self.seen.lock().expect("seen").lease = None;
        Ok(())
    }
}

impl ObjectOutput {
    fn update_mode(etag: Option<String>) -> PutMode {
        PutMode::Update(UpdateVersion {
            e_tag: etag,
            version: None,
        })
    }
}

/// Test hook: with `NOTION_INGEST_TEST_PAUSE_BEFORE_POINTER=FILE` set, the
/// publisher creates FILE once the snapshot is uploaded and sleeps before
/// replacing the pointer, so a test can `kill -9` the process there.
fn pause_before_pointer() {
    if let Some(marker) = std::env::var_os("NOTION_INGEST_TEST_PAUSE_BEFORE_POINTER") {
        let _ = fs::write(&marker, b"uploaded");
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
}
