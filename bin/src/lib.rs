//! The `notion-ingest` command line: flags and the configuration file
//! ([`cli`], [`config`]), the subcommands ([`commands`]), progress while a
//! run goes ([`progress`]), and what a run says at the end ([`summary`],
//! [`exit`]). Everything else is the [`engine`] crate; `main.rs` is a thin
//! shell over [`commands`].

pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod progress;
pub mod summary;
pub mod workspaces;
