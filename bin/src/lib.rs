//! The notion-ingest runner as a library: the pipeline that joins the
//! crawler, the renderer, the chunker and the Parquet sink, the state store
//! that makes runs incremental and resumable, and the command-line front.
//! `main.rs` is a thin shell over [`commands`].

pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod pipeline;
pub mod progress;
pub mod state;
pub mod summary;
