//! The webhooks the mock sends, received over HTTP by the `webhooks` crate's
//! receiver: the handshake stores the token, the events the edits cause
//! verify with the receiver's code and have Notion's shapes, and the
//! delivery options (aggregation, retries, shuffling, duplicates) behave.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use notion_mock::{MockConfig, MockServer, WebhookConfig, WebhookError, WebhookSender, Workspace};
use serde_json::Value;
use webhooks::{
    EventStore as _, EventType, MemoryStore, PendingEvent, PlannerConfig, Receiver, ReceiverConfig,
    RefreshPlanner, Rejection, Secret, WEBHOOK_PATH,
};

const WEBHOOK_TOKEN: &str = "secret_webhook_verification_token";

/// A mock server and a webhook receiver it sends to.
struct Setup {
    server: MockServer,
    store: Arc<MemoryStore>,
    receiver: Arc<Receiver<MemoryStore>>,
    url: String,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Setup {
    /// The kitchen sink served, and a receiver (that knows no token yet, or
    /// the given one) on a free port.
    async fn start(secret: Option<&str>) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryStore::default());
        let config = ReceiverConfig {
            secret: secret.map(Secret::new),
            notify: Arc::new(|_| {}),
            ..ReceiverConfig::new(dir.path().join("token"))
        };
        let receiver = Receiver::new(store.clone(), config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}{WEBHOOK_PATH}", listener.local_addr().unwrap());
        let router = receiver.router();
        let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let server = MockServer::start(Workspace::kitchen_sink(), MockConfig::unlimited())
            .await
            .unwrap();
        Setup {
            server,
            store,
            receiver,
            url,
            _dir: dir,
            task,
        }
    }

    async fn webhooks(&self, edit: impl FnOnce(&mut WebhookConfig)) -> WebhookSender {
        let mut cfg = WebhookConfig::new(&self.url, WEBHOOK_TOKEN);
        cfg.aggregation = Duration::from_millis(150);
        cfg.retry_backoff = Duration::from_millis(20);
        edit(&mut cfg);
        self.server.start_webhooks(cfg).await.unwrap()
    }

    /// The stored events as (type, entity id), sorted.
    fn stored(&self) -> BTreeSet<(String, String)> {
        self.store
            .events()
            .into_iter()
            .map(|(e, _)| (e.kind.as_str().to_string(), e.entity.id))
            .collect()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A page that is a data source row, and a top-level page with no parent page.
fn row_and_page(ws: &Workspace) -> (String, String, String) {
    let tree = |id: &String| ws.page_tree_json(id).unwrap();
    let ids = ws.page_ids();
    let row = ids
        .iter()
        .find(|id| tree(id)["page"]["parent"]["type"] == "data_source_id")
        .unwrap()
        .clone();
    let data_source = tree(&row)["page"]["parent"]["data_source_id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = ids
        .iter()
        .find(|id| tree(id)["page"]["parent"]["type"] == "workspace")
        .unwrap()
        .clone();
    (row, data_source, page)
}

fn pair(kind: &str, id: &str) -> (String, String) {
    (kind.to_string(), id.to_string())
}

#[tokio::test]
async fn the_handshake_stores_the_token_and_edits_send_signed_notion_events() {
    let s = Setup::start(None).await;
    let hooks = s.webhooks(|_| {}).await;
    assert_eq!(
        s.store.verification_token().unwrap().unwrap().expose(),
        WEBHOOK_TOKEN
    );
    let (row, data_source, page) = row_and_page(&s.server.workspace());

    // Two edits of one page within the aggregation window: one event.
    s.server
        .edit(|ws| ws.append_paragraph(&page, "First."))
        .unwrap();
    s.server
        .edit(|ws| ws.append_paragraph(&page, "Second."))
        .unwrap();
    s.server
        .edit(|ws| ws.set_title(&row, "Renamed row"))
        .unwrap();
    let texts = s.server.workspace().plain_texts(&row);
    assert_eq!(texts.first().map(String::as_str), Some("Renamed row"));
    let child = s
        .server
        .edit(|ws| ws.add_page(Some(&page), "New child", serde_json::json!([])))
        .unwrap();
    hooks.settled().await;

    let expected: BTreeSet<_> = [
        pair("page.content_updated", &page),
        pair("page.properties_updated", &row),
        pair("data_source.content_updated", &data_source),
        pair("page.created", &child),
    ]
    .into();
    assert_eq!(s.stored(), expected);
    assert_eq!(s.receiver.counts().received, 4);
    assert_eq!(s.receiver.counts().rejected_total(), 0);

    // Every body verifies with the receiver's code, and has Notion's shape.
    for (event, raw) in s.store.events() {
        let body: Value = serde_json::from_slice(&raw).unwrap();
        for key in [
            "id",
            "timestamp",
            "workspace_id",
            "workspace_name",
            "subscription_id",
            "integration_id",
            "type",
            "authors",
            "attempt_number",
            "entity",
            "data",
        ] {
            assert!(body.get(key).is_some(), "{key} missing in {body}");
        }
        assert_eq!(event.attempt_number, 1);
        assert!(body["data"]["parent"]["id"].is_string(), "{body}");
        let signed = webhooks::sign(&Secret::new(WEBHOOK_TOKEN), &raw);
        assert!(webhooks::verify(&Secret::new(WEBHOOK_TOKEN), Some(&signed), &raw).is_ok());
        match event.kind {
            EventType::PageContentUpdated => {
                // Both appended paragraphs, and the new child page's block.
                assert_eq!(body["data"]["updated_blocks"].as_array().unwrap().len(), 3);
            }
            EventType::PagePropertiesUpdated => {
                assert_eq!(
                    body["data"]["updated_properties"].as_array().unwrap().len(),
                    1
                );
                assert_eq!(
                    body["data"]["parent"]["data_source_id"],
                    data_source.as_str()
                );
            }
            EventType::DataSourceContentUpdated => {
                assert_eq!(body["api_version"], "2025-09-03");
                assert_eq!(body["data"]["updated_blocks"][0]["id"], row.as_str());
            }
            EventType::PageCreated => assert_eq!(body["data"]["parent"]["id"], page.as_str()),
            ref other => panic!("unexpected {other}"),
        }
    }
    let deliveries = hooks.deliveries();
    assert_eq!(deliveries.len(), 4);
    assert!(
        deliveries
            .iter()
            .all(|d| d.accepted() && d.attempt_number == 1)
    );
}

#[tokio::test]
async fn trashing_and_deleting_send_page_deleted_and_a_quick_create_then_trash_sends_nothing() {
    let s = Setup::start(None).await;
    let hooks = s.webhooks(|_| {}).await;
    let (row, data_source, page) = row_and_page(&s.server.workspace());
    let fleeting = s
        .server
        .edit(|ws| ws.add_page(None, "Fleeting", serde_json::json!([])))
        .unwrap();
    s.server.edit(|ws| ws.trash_page(&fleeting)).unwrap();
    s.server.edit(|ws| ws.trash_page(&page)).unwrap();
    s.server.edit(|ws| ws.delete_page(&row)).unwrap();
    hooks.settled().await;
    let expected: BTreeSet<_> = [
        pair("page.deleted", &page),
        pair("page.deleted", &row),
        pair("data_source.content_updated", &data_source),
    ]
    .into();
    assert_eq!(s.stored(), expected);

    // The planner makes them deletes, and a query of the row's data source.
    let pending: Vec<PendingEvent> = s
        .store
        .events()
        .into_iter()
        .map(|(event, _)| PendingEvent {
            event,
            received_at: chrono::Utc::now(),
        })
        .collect();
    let later = chrono::Utc::now() + chrono::Duration::minutes(1);
    let batch = RefreshPlanner::new(PlannerConfig::default())
        .plan(&pending, later)
        .batch;
    assert_eq!(batch.pages_to_delete, [page, row].into());
    assert_eq!(batch.data_sources_to_query, [data_source].into());
    assert!(batch.pages_to_read.is_empty());
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_growing_attempt_numbers() {
    let s = Setup::start(None).await;
    let hooks = s.webhooks(|_| {}).await;
    let page = s.server.workspace().page_ids()[0].clone();
    s.store.set_failing(true); // the receiver answers 500
    s.server
        .edit(|ws| ws.append_paragraph(&page, "Edited."))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.store.set_failing(false);
    hooks.settled().await;

    let deliveries = hooks.deliveries();
    let last = deliveries.last().unwrap();
    assert!(last.accepted());
    assert!(last.attempt_number > 1, "{deliveries:?}");
    let attempts: Vec<u32> = deliveries.iter().map(|d| d.attempt_number).collect();
    assert_eq!(attempts, (1..=last.attempt_number).collect::<Vec<_>>());
    assert!(deliveries.iter().all(|d| d.event_id == last.event_id));
    assert!(
        deliveries[..deliveries.len() - 1]
            .iter()
            .all(|d| d.status == Some(500))
    );
    let stored = s.store.events();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0.attempt_number, last.attempt_number);
    assert_eq!(
        s.receiver.counts().store_errors,
        u64::from(last.attempt_number) - 1
    );
}

#[tokio::test]
async fn another_token_is_refused_in_the_handshake_and_in_signatures() {
    // The receiver was given its token by a secret file.
    let s = Setup::start(Some("secret_other_token")).await;
    let mut cfg = WebhookConfig::new(&s.url, WEBHOOK_TOKEN);
    cfg.retry_backoff = Duration::from_millis(5);
    cfg.max_attempts = 3;
    let refused = s.server.start_webhooks(cfg.clone()).await;
    assert!(matches!(refused, Err(WebhookError::Handshake { .. })));
    assert_eq!(
        s.receiver.counts().rejected_for(Rejection::TokenConflict),
        1
    );

    // Without a handshake, events signed with the wrong token: 401 at each
    // attempt, then given up; nothing stored.
    cfg.handshake = false;
    let hooks = s.server.start_webhooks(cfg).await.unwrap();
    let page = s.server.workspace().page_ids()[0].clone();
    s.server
        .edit(|ws| ws.append_paragraph(&page, "Edited."))
        .unwrap();
    hooks.settled().await;
    let deliveries = hooks.deliveries();
    let attempts: Vec<(u32, Option<u16>)> = deliveries
        .iter()
        .map(|d| (d.attempt_number, d.status))
        .collect();
    assert_eq!(attempts, [(1, Some(401)), (2, Some(401)), (3, Some(401))]);
    assert!(s.store.events().is_empty());
    assert_eq!(s.receiver.counts().rejected_for(Rejection::BadSignature), 3);
}

#[tokio::test]
async fn shuffled_and_duplicated_deliveries_store_the_same_events_once() {
    let ordered = Setup::start(None).await;
    let noisy = Setup::start(None).await;
    let plain = ordered.webhooks(|_| {}).await;
    let shaken = noisy
        .webhooks(|c| {
            c.shuffle = true;
            c.duplicate_rate = 0.5;
            c.seed = 11;
        })
        .await;
    let pages = ordered.server.workspace().page_ids();
    for setup in [&ordered, &noisy] {
        for (i, page) in pages.iter().take(12).enumerate() {
            setup
                .server
                .edit(|ws| ws.append_paragraph(page, &format!("Edit {i}.")))
                .unwrap();
        }
    }
    plain.settled().await;
    shaken.settled().await;
    assert_eq!(ordered.stored().len(), 12);
    assert_eq!(noisy.stored(), ordered.stored());
    let counts = noisy.receiver.counts();
    let deliveries = shaken.deliveries();
    assert!(
        counts.deduplicated > 0,
        "seed 11 duplicates some of 12 events"
    );
    assert_eq!(
        counts.received + counts.deduplicated,
        deliveries.len() as u64
    );
    let order: Vec<&str> = deliveries.iter().map(|d| d.entity_id.as_str()).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_ne!(order, sorted, "shuffled");
}
