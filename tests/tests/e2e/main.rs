//! End to end: the `notion-ingest` pipeline and binary against the mock
//! Notion server over real HTTP, with the Parquet output read back.

mod support;

mod cli;
mod contract;
mod hardening;
mod incremental;
mod pipeline;
mod readme;
mod selftest;
