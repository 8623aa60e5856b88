//! Receiving Notion's integration webhooks (API 2025-09-03 and later).
//!
//! Notion POSTs a signed [`Event`] when a page, database or data source
//! changes; the event names the entity but carries no content. This crate
//! is the part of `notion-ingest serve` that needs no Notion client:
//!
//! - [`event`](Event): the payload types, and the [`VerificationRequest`]
//!   handshake a new subscription starts with;
//! - [`sign`]/[`verify`]: `X-Notion-Signature`, HMAC-SHA256 of the raw body
//!   keyed with the verification token ([`Secret`], which never prints);
//! - [`Receiver`]: the axum routes (`POST /webhooks/notion`, `GET /healthz`,
//!   `GET /metrics`) that verify each request and persist accepted events
//!   through an [`EventStore`] before answering 200;
//! - [`RefreshPlanner`]: pure logic turning persisted events into a
//!   debounced [`RefreshBatch`] (pages to read or delete, data sources to
//!   query...);
//! - [`MemoryStore`]: an in-memory [`EventStore`] for tests and benchmarks
//!   (the durable one lives in the engine's SQLite state store).
//!
//! Notion's facts (payload fields, event types, delivery) are summed up in
//! the "Webhooks" section of the project's notes on the Notion API.

mod event;
mod metrics;
mod planner;
mod receiver;
mod secret;
mod signature;
mod store;

pub use event::{Author, Entity, EntityType, Event, EventType, VerificationRequest};
pub use metrics::{ReceiverCounts, RefreshGauges, Rejection};
pub use planner::{PendingEvent, Plan, PlannerConfig, RefreshBatch, RefreshPlanner};
pub use receiver::{MAX_BODY_BYTES, Notice, Receiver, ReceiverConfig, WEBHOOK_PATH};
pub use secret::{Secret, SecretFileError};
pub use signature::{SIGNATURE_HEADER, SignatureError, sign, verify};
pub use store::{EventStore, MemoryStore, MemoryStoreError, Persisted};
