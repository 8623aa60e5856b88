//! notion-source's integration tests, in one test binary (one link of the
//! mock, the client and tokio instead of one per file): the client and the
//! crawler over real HTTP against the mock, hostile servers, the shared
//! hierarchy, the API model, and property-based fuzzing of the parsers.

#![recursion_limit = "256"]

mod common;

mod client;
mod crawler;
mod fuzz;
mod hierarchy;
mod hostile;
mod model;
