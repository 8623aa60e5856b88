//! Integration tests of the sink: everything is written to a temporary
//! directory and read back with the parquet crate's own reader.
//!
//! - `round_trip`: every column of both tables, raw and as records.
//! - `publish`: snapshots, symlinks, manifest, pruning, cleaning.
//! - `crash`: a dropped writer and a SIGKILLed child process mid-shard.
//! - `bounds`: row groups, shard rotation and memory stay within the settings.
//! - `validation`: bad input is refused clearly and loses nothing.

mod bounds;
mod changes;
mod crash;
mod fixtures;
mod publish;
mod round_trip;
mod validation;
