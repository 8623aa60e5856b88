//! The mock server over real HTTP: envelopes and errors, pagination, rate
//! limiting, faults, query filters, and the crawl minimum of the kitchen sink.

mod common;

mod dataset;
mod edits;
mod envelopes;
mod hostile;
mod limits;
mod markdown;
mod pagination;
mod query;
mod tenants;
mod webhooks;
mod writes;
