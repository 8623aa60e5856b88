//! End to end: the `notion-ingest` pipeline and binary against the mock
//! Notion server over real HTTP, with the Parquet output read back.

mod support;

mod bounds;
mod cli;
mod contract;
mod fetch;
mod hardening;
mod incremental;
mod objstore;
mod pipeline;
mod readme;
mod select;
mod selftest;
mod serve;
mod tree;
mod workspaces;
