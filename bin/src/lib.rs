//! The `notion-ingest` command line: flags and the configuration file
//! ([`cli`], [`config`]), the subcommands ([`commands`]), progress while a
//! run goes ([`progress`]), choosing what to crawl ([`tree`]), what a run
//! says at the end ([`summary`], [`exit`]), and logs with secrets kept out
//! ([`logging`]). Everything else is the [`engine`] crate; `main.rs` is a thin
//! shell over [`commands`].

pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod logging;
pub mod progress;
#[cfg(feature = "upload")]
pub mod selftest;
pub mod serve;
pub mod summary;
pub mod tree;
#[cfg(feature = "upload")]
pub mod upload;
pub mod workspaces;
