//! Webhooks the mock sends, as Notion's integration webhooks do, so a
//! receiver can be tested end to end against edits.
//!
//! [`MockServer::start_webhooks`](crate::MockServer::start_webhooks) POSTs
//! the handshake (`{"verification_token": ...}`, unsigned) to the target
//! once. From then on every edit made through
//! [`MockServer::edit`](crate::MockServer::edit) becomes events shaped like
//! Notion's, signed with `X-Notion-Signature: sha256=<hex>` (HMAC-SHA256 of
//! the body keyed with the token, computed here with its own code: the mock
//! is an independent oracle for the receiver):
//!
//! | edit | events |
//! |---|---|
//! | `set_block_text`, `set_page_text`, `append_paragraph` | `page.content_updated` |
//! | `set_title` | `page.properties_updated` |
//! | `add_page` | `page.created` for it and every page under it, `database.created` and `data_source.created` for databases under it, `page.content_updated` for its parent page |
//! | `trash_page`, `delete_page` | `page.deleted`, `page.content_updated` for the page that held it |
//! | `archive_page` | `page.content_updated` for it and for the page that held it |
//! | `unshare_page` | none (Notion does not tell an integration it lost access) |
//!
//! A row's creation, property edit or removal also sends
//! `data_source.content_updated` for its data source. Events are
//! aggregated per entity and type over [`WebhookConfig::aggregation`] (one
//! event with every updated block), and a page created then removed within
//! that window sends nothing, as Notion may do. Each event is delivered
//! until a 2xx answer, at most [`WebhookConfig::max_attempts`] times, with
//! `attempt_number` counting and a doubling backoff. Deliveries can be
//! shuffled and duplicated (seeded), as Notion does not promise order nor
//! exactly-once delivery.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};

use crate::ids::{derive_id, parse_id};
use crate::workspace::Workspace;

/// Where and how the mock sends webhooks.
#[derive(Clone)]
pub struct WebhookConfig {
    /// The receiver's URL (`http://127.0.0.1:PORT/webhooks/notion`).
    pub url: String,
    /// The verification token: sent in the handshake, and the signing key.
    pub verification_token: String,
    /// How long changes to one entity are gathered into one event (Notion:
    /// typically under a minute).
    pub aggregation: Duration,
    /// Delay before the second attempt of a failed delivery; it doubles at
    /// each further attempt.
    pub retry_backoff: Duration,
    /// Attempts per event, the first included (Notion: 8).
    pub max_attempts: u32,
    /// Deliver the events of one aggregation window in a random order.
    pub shuffle: bool,
    /// Share of events delivered twice (same id), as a retry after a lost
    /// answer would be.
    pub duplicate_rate: f64,
    /// Seed of event ids, shuffling and duplicates.
    pub seed: u64,
    /// POST the handshake first (`false`: the receiver got the token
    /// another way, as from a secret file).
    pub handshake: bool,
}

impl WebhookConfig {
    /// Sends to `url` with `verification_token`: 200 ms aggregation,
    /// 8 attempts from a 100 ms backoff, in order, no duplicates.
    pub fn new(url: impl Into<String>, verification_token: impl Into<String>) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            verification_token: verification_token.into(),
            aggregation: Duration::from_millis(200),
            retry_backoff: Duration::from_millis(100),
            max_attempts: 8,
            shuffle: false,
            duplicate_rate: 0.0,
            seed: 0,
            handshake: true,
        }
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("verification_token", &"<redacted>")
            .field("aggregation", &self.aggregation)
            .field("retry_backoff", &self.retry_backoff)
            .field("max_attempts", &self.max_attempts)
            .field("shuffle", &self.shuffle)
            .field("duplicate_rate", &self.duplicate_rate)
            .field("seed", &self.seed)
            .field("handshake", &self.handshake)
            .finish()
    }
}

/// Why webhooks could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// This server already sends webhooks.
    #[error("webhooks are already started on this mock server")]
    AlreadyStarted,
    /// The handshake could not be delivered.
    #[error("the webhook handshake to {url} failed: {reason}")]
    Handshake {
        /// The target.
        url: String,
        /// The HTTP status or the connection error.
        reason: String,
    },
}

/// One delivery attempt, as the sender logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The event's id.
    pub event_id: String,
    /// Its type (`page.created`...).
    pub kind: String,
    /// The entity's id.
    pub entity_id: String,
    /// The attempt's `attempt_number`.
    pub attempt_number: u32,
    /// The answer's status (`None`: no answer).
    pub status: Option<u16>,
}

impl Delivery {
    /// Whether the receiver took it (2xx).
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A handle on a running webhook sender.
#[derive(Clone)]
pub struct WebhookSender {
    changes: mpsc::UnboundedSender<Vec<Change>>,
    /// Changes and deliveries not finished yet.
    outstanding: Arc<watch::Sender<u64>>,
    log: Arc<Mutex<Vec<Delivery>>>,
}

impl WebhookSender {
    /// Every delivery attempt so far, in the order they were answered.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log.lock().expect("delivery log").clone()
    }

    /// Waits until every change made so far was delivered (or given up
    /// after the last attempt).
    pub async fn settled(&self) {
        let mut rx = self.outstanding.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// Hands an edit's changes to the aggregator.
    pub(crate) fn push(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        let n = changes.len() as u64;
        self.outstanding.send_modify(|o| *o += n);
        if self.changes.send(changes).is_err() {
            self.outstanding.send_modify(|o| *o -= n);
        }
    }
}

/// What an event is about, in the mock's words (not the receiver's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum EventKind {
    PageCreated,
    PageContentUpdated,
    PagePropertiesUpdated,
    PageDeleted,
    DatabaseCreated,
    DataSourceCreated,
    DataSourceContentUpdated,
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            EventKind::PageCreated => "page.created",
            EventKind::PageContentUpdated => "page.content_updated",
            EventKind::PagePropertiesUpdated => "page.properties_updated",
            EventKind::PageDeleted => "page.deleted",
            EventKind::DatabaseCreated => "database.created",
            EventKind::DataSourceCreated => "data_source.created",
            EventKind::DataSourceContentUpdated => "data_source.content_updated",
        }
    }

    fn entity_type(self) -> &'static str {
        match self {
            EventKind::PageCreated
            | EventKind::PageContentUpdated
            | EventKind::PagePropertiesUpdated
            | EventKind::PageDeleted => "page",
            EventKind::DatabaseCreated => "database",
            EventKind::DataSourceCreated | EventKind::DataSourceContentUpdated => "data_source",
        }
    }
}

/// One change an edit made, recorded by the edit methods.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    kind: EventKind,
    entity: String,
    /// `data.parent` as Notion sends it.
    parent: Value,
    /// Blocks (or rows) the change touched: `data.updated_blocks`.
    blocks: Vec<String>,
    /// Property ids: `data.updated_properties`.
    properties: Vec<String>,
    at: DateTime<Utc>,
}

impl Workspace {
    /// Records that a page's content changed (`blocks`: the blocks touched).
    pub(crate) fn record_content(&mut self, page: &str, blocks: &[String]) {
        self.record(EventKind::PageContentUpdated, page, blocks, &[]);
    }

    /// Records that a page's properties changed.
    pub(crate) fn record_properties(&mut self, page: &str, properties: &[String]) {
        self.record(EventKind::PagePropertiesUpdated, page, &[], properties);
        self.record_row_change(page);
    }

    /// Records a new page (and what was created under it), and the change
    /// of the page that holds it.
    pub(crate) fn record_created(
        &mut self,
        page: &str,
        pages_under: &[String],
        databases: &[String],
        data_sources: &[String],
    ) {
        for p in std::iter::once(page).chain(pages_under.iter().map(String::as_str)) {
            self.record(EventKind::PageCreated, p, &[], &[]);
            self.record_row_change(p);
        }
        for db in databases {
            self.record(EventKind::DatabaseCreated, db, &[], &[]);
        }
        for ds in data_sources {
            self.record(EventKind::DataSourceCreated, ds, &[], &[]);
        }
        self.record_host_change(page);
    }

    /// Records that a page left its place: trashed or deleted (`gone`), or
    /// archived. Call it before a deleted page is removed.
    pub(crate) fn record_removed(&mut self, page: &str, gone: bool) {
        let kind = match gone {
            true => EventKind::PageDeleted,
            false => EventKind::PageContentUpdated,
        };
        self.record(kind, page, &[], &[]);
        self.record_row_change(page);
        self.record_host_change(page);
    }

    /// A row's data source changed with it.
    fn record_row_change(&mut self, page: &str) {
        let parent = self.page_parent(page);
        if parent["type"] != "data_source_id" {
            return;
        }
        let Some(ds) = parent["data_source_id"].as_str().and_then(parse_id) else {
            return;
        };
        let database = self.data_sources.get(&ds).map(|d| {
            d.object["parent"]["database_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        });
        self.changes.push(Change {
            kind: EventKind::DataSourceContentUpdated,
            entity: ds,
            parent: json!({"id": database.unwrap_or_default(), "type": "database"}),
            blocks: vec![page.to_string()],
            properties: Vec::new(),
            at: Utc::now() + self.clock_offset,
        });
    }

    /// The page whose content holds `page`'s `child_page` block changed.
    fn record_host_change(&mut self, page: &str) {
        let parent = self.page_parent(page);
        let host = match parent["type"].as_str() {
            Some("page_id") => parent["page_id"].as_str().and_then(parse_id),
            Some("block_id") => parent["block_id"].as_str().and_then(|b| self.page_of(b)),
            _ => None,
        };
        if let Some(host) = host {
            self.record_content(&host, &[page.to_string()]);
        }
    }

    fn record(&mut self, kind: EventKind, entity: &str, blocks: &[String], properties: &[String]) {
        let parent = match kind.entity_type() {
            "page" => notion_parent(&self.page_parent(entity), &self.name),
            "database" => {
                let parent = self
                    .databases
                    .get(entity)
                    .map(|d| d.object["parent"].clone());
                notion_parent(&parent.unwrap_or(Value::Null), &self.name)
            }
            _ => {
                let db = self
                    .data_sources
                    .get(entity)
                    .map(|d| d.object["parent"].clone());
                let id = db.as_ref().and_then(|p| p["database_id"].as_str());
                json!({"id": id.unwrap_or_default(), "type": "database"})
            }
        };
        self.changes.push(Change {
            kind,
            entity: entity.to_string(),
            parent,
            blocks: blocks.to_vec(),
            properties: properties.to_vec(),
            at: Utc::now() + self.clock_offset,
        });
    }

    fn page_parent(&self, page: &str) -> Value {
        self.pages
            .get(page)
            .map(|p| p.object.value()["parent"].clone())
            .unwrap_or(Value::Null)
    }
}

/// A page's or database's `parent` in a webhook's `data.parent` form.
fn notion_parent(parent: &Value, workspace: &str) -> Value {
    let id = |key: &str| parent[key].clone();
    match parent["type"].as_str() {
        Some("page_id") => json!({"id": id("page_id"), "type": "page"}),
        Some("block_id") => json!({"id": id("block_id"), "type": "block"}),
        Some("data_source_id") => json!({
            "id": id("database_id"), "type": "database", "data_source_id": id("data_source_id")
        }),
        _ => json!({"id": derive_id(workspace, "workspace"), "type": "space"}),
    }
}

/// Who the events say they come from.
pub(crate) struct Origin {
    workspace_id: String,
    workspace_name: String,
    subscription_id: String,
    integration_id: String,
    author: String,
}

impl Origin {
    /// The workspace's ids, and its first user as the author of every edit.
    pub(crate) fn of(ws: &Workspace) -> Origin {
        Origin {
            workspace_id: derive_id(&ws.name, "workspace"),
            workspace_name: ws.name.clone(),
            subscription_id: derive_id(&ws.name, "webhooks/subscription"),
            integration_id: derive_id(&ws.name, "webhooks/integration"),
            author: ws
                .users
                .first()
                .and_then(|u| u["id"].as_str())
                .map_or_else(|| derive_id(&ws.name, "webhooks/author"), str::to_string),
        }
    }
}

/// Starts a sender: the handshake first, then the aggregator task.
pub(crate) async fn start(
    origin: Origin,
    cfg: WebhookConfig,
) -> Result<WebhookSender, WebhookError> {
    let client = reqwest::Client::new();
    if cfg.handshake {
        handshake(&client, &cfg).await?;
    }
    let origin = Arc::new(origin);
    let (tx, rx) = mpsc::unbounded_channel();
    let sender = WebhookSender {
        changes: tx,
        outstanding: Arc::new(watch::channel(0).0),
        log: Arc::default(),
    };
    let delivery = Deliverer {
        client,
        cfg: Arc::new(cfg),
        outstanding: sender.outstanding.clone(),
        log: sender.log.clone(),
    };
    tokio::spawn(aggregate(rx, delivery, origin));
    Ok(sender)
}

/// POSTs `{"verification_token": ...}`, unsigned, once.
async fn handshake(client: &reqwest::Client, cfg: &WebhookConfig) -> Result<(), WebhookError> {
    let body = json!({"verification_token": cfg.verification_token});
    let reason = match client.post(&cfg.url).json(&body).send().await {
        Ok(r) if r.status().is_success() => return Ok(()),
        Ok(r) => format!("HTTP {}", r.status()),
        Err(e) => e.to_string(),
    };
    Err(WebhookError::Handshake {
        url: cfg.url.clone(),
        reason,
    })
}

/// Changes gathered for one (entity, type) until its window closes.
struct Gathered {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    parent: Value,
    blocks: Vec<String>,
    properties: Vec<String>,
    /// Changes folded in (for the outstanding count).
    changes: u64,
}

/// The aggregator: gathers changes per entity and type, and sends each
/// group once its window has passed.
async fn aggregate(
    mut rx: mpsc::UnboundedReceiver<Vec<Change>>,
    delivery: Deliverer,
    origin: Arc<Origin>,
) {
    let window = chrono::Duration::from_std(delivery.cfg.aggregation).unwrap_or_default();
    let mut rng = StdRng::seed_from_u64(delivery.cfg.seed);
    let mut pending: BTreeMap<(String, EventKind), Gathered> = BTreeMap::new();
    let (queue, queued) = mpsc::unbounded_channel::<Value>();
    tokio::spawn(deliver_in_order(queued, delivery.clone()));
    let mut closed = false;
    loop {
        if closed && pending.is_empty() {
            return;
        }
        let next = pending.values().map(|g| g.first + window).min();
        let wait = next.map(|t| (t - Utc::now()).to_std().unwrap_or_default());
        tokio::select! {
            received = rx.recv(), if !closed => match received {
                Some(changes) => gather(&mut pending, changes, &delivery),
                None => closed = true,
            },
            _ = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => {}
        }
        let now = Utc::now();
        let due: Vec<(String, EventKind)> = pending
            .iter()
            .filter(|(_, g)| g.first + window <= now)
            .map(|(k, _)| k.clone())
            .collect();
        if due.is_empty() {
            continue;
        }
        let mut events = Vec::new();
        let mut folded = 0;
        for key in due {
            let Some(g) = pending.remove(&key) else {
                continue;
            };
            let id = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
            events.push(event_json(&origin, &id.to_string(), &key, &g));
            folded += g.changes;
        }
        events.sort_by(|a, b| a["timestamp"].as_str().cmp(&b["timestamp"].as_str()));
        let duplicate_rate = delivery.cfg.duplicate_rate.clamp(0.0, 1.0);
        let copies: Vec<Value> = events
            .iter()
            .filter(|_| duplicate_rate > 0.0 && rng.random_bool(duplicate_rate))
            .cloned()
            .collect();
        events.extend(copies);
        if delivery.cfg.shuffle {
            for i in (1..events.len()).rev() {
                events.swap(i, rng.random_range(0..=i));
            }
        }
        // The events are counted before their changes are settled, so the
        // count never passes through 0 while they wait to be delivered
        // ([`WebhookSender::settled`] would return too early).
        delivery
            .outstanding
            .send_modify(|o| *o += events.len() as u64);
        delivery.settle(folded);
        for event in events {
            if queue.send(event).is_err() {
                delivery.settle(1);
            }
        }
    }
}

/// Folds changes into the pending groups. A page created and then removed
/// within its window cancels everything pending about it.
fn gather(
    pending: &mut BTreeMap<(String, EventKind), Gathered>,
    changes: Vec<Change>,
    delivery: &Deliverer,
) {
    for change in changes {
        let created = (change.entity.clone(), EventKind::PageCreated);
        if change.kind == EventKind::PageDeleted && pending.contains_key(&created) {
            let mut cancelled = 1;
            pending.retain(|(entity, _), g| {
                let keep = *entity != change.entity;
                if !keep {
                    cancelled += g.changes;
                }
                keep
            });
            delivery.settle(cancelled);
            continue;
        }
        let g = pending
            .entry((change.entity.clone(), change.kind))
            .or_insert_with(|| Gathered {
                first: change.at,
                last: change.at,
                parent: change.parent.clone(),
                blocks: Vec::new(),
                properties: Vec::new(),
                changes: 0,
            });
        g.last = g.last.max(change.at);
        g.parent = change.parent;
        g.changes += 1;
        for b in change.blocks {
            if !g.blocks.contains(&b) {
                g.blocks.push(b);
            }
        }
        for p in change.properties {
            if !g.properties.contains(&p) {
                g.properties.push(p);
            }
        }
    }
}

/// The event's JSON body, at its first attempt.
fn event_json(origin: &Origin, id: &str, key: &(String, EventKind), g: &Gathered) -> Value {
    let (entity, kind) = key;
    let mut data = json!({"parent": g.parent});
    match kind {
        EventKind::PageContentUpdated | EventKind::DataSourceContentUpdated => {
            let blocks: Vec<Value> = g
                .blocks
                .iter()
                .map(|b| json!({"id": b, "type": "block"}))
                .collect();
            data["updated_blocks"] = Value::Array(blocks);
        }
        EventKind::PagePropertiesUpdated => data["updated_properties"] = json!(g.properties),
        _ => {}
    }
    let mut event = json!({
        "id": id,
        "timestamp": g.last.to_rfc3339_opts(SecondsFormat::Millis, true),
        "workspace_id": origin.workspace_id,
        "workspace_name": origin.workspace_name,
        "subscription_id": origin.subscription_id,
        "integration_id": origin.integration_id,
        "type": kind.name(),
        "authors": [{"id": origin.author, "type": "person"}],
        "attempt_number": 1,
        "entity": {"id": entity, "type": kind.entity_type()},
        "data": data,
    });
    if kind.entity_type() == "data_source" {
        event["api_version"] = json!("2025-09-03");
    }
    event
}

/// Delivers events: first attempts in order, retries on their own timers.
#[derive(Clone)]
struct Deliverer {
    client: reqwest::Client,
    cfg: Arc<WebhookConfig>,
    outstanding: Arc<watch::Sender<u64>>,
    log: Arc<Mutex<Vec<Delivery>>>,
}

impl Deliverer {
    fn settle(&self, n: u64) {
        self.outstanding.send_modify(|o| *o = o.saturating_sub(n));
    }

    /// One attempt; true when the receiver answered 2xx.
    async fn attempt(&self, event: &Value) -> bool {
        let body = serde_json::to_vec(event).expect("JSON serializes");
        let signature = signature(self.cfg.verification_token.as_bytes(), &body);
        let answer = self
            .client
            .post(&self.cfg.url)
            .header("content-type", "application/json")
            .header("x-notion-signature", signature)
            .body(body)
            .send()
            .await;
        let status = answer.ok().map(|r| r.status().as_u16());
        let delivery = Delivery {
            event_id: event["id"].as_str().unwrap_or_default().to_string(),
            kind: event["type"].as_str().unwrap_or_default().to_string(),
            entity_id: event["entity"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            attempt_number: event["attempt_number"].as_u64().unwrap_or(1) as u32,
            status,
        };
        let accepted = delivery.accepted();
        self.log.lock().expect("delivery log").push(delivery);
        accepted
    }

    /// Retries a failed event with a doubling backoff, then settles it.
    async fn retry(self, mut event: Value) {
        let mut attempt = 1;
        let mut backoff = self.cfg.retry_backoff;
        while attempt < self.cfg.max_attempts {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
            attempt += 1;
            event["attempt_number"] = json!(attempt);
            if self.attempt(&event).await {
                break;
            }
        }
        self.settle(1);
    }
}

async fn deliver_in_order(mut queue: mpsc::UnboundedReceiver<Value>, delivery: Deliverer) {
    while let Some(event) = queue.recv().await {
        if delivery.attempt(&event).await {
            delivery.settle(1);
        } else {
            tokio::spawn(delivery.clone().retry(event));
        }
    }
}

/// `sha256=<hex>`: HMAC-SHA256 (RFC 2104) of `body` keyed with `key`,
/// written out here rather than taken from the receiver's crate.
fn signature(key: &[u8], body: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(body)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    let hex: String = outer.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::signature;

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
    #[test]
    fn the_signature_is_rfc_4231_hmac_sha256() {
        assert_eq!(
            signature(&[0x0b; 20], b"Hi There"),
            "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "sha256=60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
