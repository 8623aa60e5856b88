//! The receiver over real HTTP: a router on 127.0.0.1:0, requests from reqwest.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use webhooks::{
    MemoryStore, Notice, Receiver, ReceiverConfig, Rejection, Secret, WEBHOOK_PATH, sign,
};

const TOKEN: &str = "secret_test_verification_token_123";

/// A receiver served on a free port, with what it stored and printed.
struct Harness {
    url: String,
    store: Arc<MemoryStore>,
    receiver: Arc<Receiver<MemoryStore>>,
    notices: Arc<Mutex<Vec<Notice>>>,
    token_file: std::path::PathBuf,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Harness {
    async fn start(secret: Option<Secret>, store: Arc<MemoryStore>) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("webhook-token");
        let notices = Arc::new(Mutex::new(Vec::new()));
        let seen = notices.clone();
        let config = ReceiverConfig {
            secret,
            notify: Arc::new(move |n: &Notice| seen.lock().unwrap().push(n.clone())),
            ..ReceiverConfig::new(&token_file)
        };
        let receiver = Receiver::new(store.clone(), config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = receiver.router();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Harness {
            url: format!("http://{addr}"),
            store,
            receiver,
            notices,
            token_file,
            client: reqwest::Client::new(),
            _dir: dir,
            server,
        }
    }

    /// A receiver that already knows the token (from a secret file).
    async fn verified() -> Harness {
        Harness::start(Some(Secret::new(TOKEN)), Arc::default()).await
    }

    async fn post(&self, body: Vec<u8>, signature: Option<&str>) -> StatusCode {
        let mut request = self
            .client
            .post(format!("{}{WEBHOOK_PATH}", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("X-Notion-Signature", signature);
        }
        request.send().await.unwrap().status()
    }

    async fn post_signed(&self, body: &[u8]) -> StatusCode {
        let signature = sign(&Secret::new(TOKEN), body);
        self.post(body.to_vec(), Some(&signature)).await
    }

    async fn metrics(&self) -> String {
        let response = self
            .client
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    /// Checks that `/metrics` has this sample line.
    async fn assert_metric(&self, line: &str) {
        let metrics = self.metrics().await;
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} not in\n{metrics}"
        );
    }

    fn stored_ids(&self) -> Vec<String> {
        self.store.events().into_iter().map(|(e, _)| e.id).collect()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn event_body(id: &str, kind: &str, page: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id,
        "timestamp": "2026-01-05T09:00:00.123Z",
        "workspace_id": "13950b26-c203-4f3b-b97d-93ec06319565",
        "workspace_name": "Tests",
        "subscription_id": "29d75c0d-5546-4414-8459-7b7a92f1fc4b",
        "integration_id": "0ef2e755-4912-8096-91c1-00376a88a5ca",
        "type": kind,
        "authors": [{"id": "c7c11cca-1d73-471d-9b6e-bdef51470190", "type": "person"}],
        "attempt_number": 1,
        "entity": {"id": page, "type": "page"},
        "data": {"parent": {"id": "0ef104cd-477e-80e1-8571-cfd10e92339a", "type": "page"}}
    }))
    .unwrap()
}

#[tokio::test]
async fn a_well_signed_event_is_persisted_with_its_raw_body_before_the_answer() {
    let h = Harness::verified().await;
    let body = event_body("e1", "page.content_updated", "p1");
    assert_eq!(h.post_signed(&body).await, StatusCode::OK);
    let stored = h.store.events();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0.id, "e1");
    assert_eq!(stored[0].0.entity.id, "p1");
    assert_eq!(stored[0].1, body, "the raw body is kept byte for byte");
    assert_eq!(h.receiver.counts().received, 1);
    h.assert_metric("notion_webhook_events_received_total 1")
        .await;
}

#[tokio::test]
async fn refused_requests_change_nothing() {
    let h = Harness::verified().await;
    let body = event_body("e1", "page.content_updated", "p1");
    let forged = sign(&Secret::new("secret_guessed"), &body);
    // A valid body replayed with a forged signature, then no signature,
    // then a malformed header, then a body edited after signing.
    assert_eq!(
        h.post(body.clone(), Some(&forged)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h.post(body.clone(), None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h.post(body.clone(), Some("sha256=nothex")).await,
        StatusCode::UNAUTHORIZED
    );
    let signature = sign(&Secret::new(TOKEN), &body);
    let tampered = event_body("e1", "page.deleted", "p1");
    assert_eq!(
        h.post(tampered, Some(&signature)).await,
        StatusCode::UNAUTHORIZED
    );
    // Signed but not an event.
    assert_eq!(h.post_signed(b"{not json").await, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.post_signed(br#"{"id":"e9","type":"page.created"}"#).await,
        StatusCode::BAD_REQUEST
    );

    assert!(h.store.events().is_empty());
    let counts = h.receiver.counts();
    assert_eq!(counts.received, 0);
    assert_eq!(counts.rejected_for(Rejection::BadSignature), 3);
    assert_eq!(counts.rejected_for(Rejection::MissingSignature), 1);
    assert_eq!(counts.rejected_for(Rejection::Malformed), 2);
    h.assert_metric("notion_webhook_events_rejected_total{reason=\"bad_signature\"} 3")
        .await;
    // The body signed correctly is still accepted afterwards.
    assert_eq!(h.post_signed(&body).await, StatusCode::OK);
    assert_eq!(h.stored_ids(), ["e1"]);
}

#[tokio::test]
async fn a_5_mib_body_is_refused_before_being_read_whole() {
    let h = Harness::verified().await;
    let big = vec![b' '; 5 << 20];
    let signature = sign(&Secret::new(TOKEN), &big);
    // Declared length over the limit: refused at once.
    let declared = h
        .client
        .post(format!("{}{WEBHOOK_PATH}", h.url))
        .header("X-Notion-Signature", &signature)
        .body(big.clone())
        .send()
        .await;
    // The server answers before reading the body; the client may see the
    // answer or the connection closed under its upload.
    if let Ok(response) = declared {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    // Streamed in chunks without a length: cut at the limit while reading.
    let status = post_chunked(&h.url, &signature, 64 << 10, 80).await;
    assert!(
        matches!(status.as_deref(), None | Some("413")),
        "{status:?}"
    );
    assert_eq!(h.receiver.counts().rejected_for(Rejection::TooLarge), 2);
    assert!(h.store.events().is_empty());
    // Just under the limit is read (and refused only for its signature).
    let under = vec![b' '; (1 << 20) - 1];
    assert_eq!(
        h.post(under, Some(&signature)).await,
        StatusCode::UNAUTHORIZED
    );
}

/// POSTs `count` chunks of `size` bytes with `Transfer-Encoding: chunked`
/// over a raw connection, and returns the answer's status code, if the
/// server answered before closing.
async fn post_chunked(url: &str, signature: &str, size: usize, count: usize) -> Option<String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {WEBHOOK_PATH} HTTP/1.1\r\nhost: {addr}\r\nx-notion-signature: {signature}\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; size];
    for _ in 0..count {
        let frame = [format!("{size:x}\r\n").as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&frame).await.is_err() {
            break; // the server stopped reading
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer.split_whitespace().nth(1).map(str::to_string)
}

#[tokio::test]
async fn duplicates_are_dropped_and_counted() {
    let h = Harness::verified().await;
    let body = event_body("e1", "page.created", "p1");
    for _ in 0..3 {
        assert_eq!(h.post_signed(&body).await, StatusCode::OK);
    }
    // Notion's retry: same id, another attempt number, so another body.
    let mut retry: Value = serde_json::from_slice(&body).unwrap();
    retry["attempt_number"] = json!(2);
    let retry = serde_json::to_vec(&retry).unwrap();
    assert_eq!(h.post_signed(&retry).await, StatusCode::OK);
    assert_eq!(h.stored_ids(), ["e1"]);
    let counts = h.receiver.counts();
    assert_eq!((counts.received, counts.deduplicated), (1, 3));
    h.assert_metric("notion_webhook_events_deduplicated_total 3")
        .await;
}

#[tokio::test]
async fn the_first_handshake_stores_the_token_and_tells_where_it_is_without_printing_it() {
    let h = Harness::start(None, Arc::default()).await;
    let body = event_body("e1", "page.created", "p1");
    // Before any handshake, events cannot be verified.
    assert_eq!(h.post_signed(&body).await, StatusCode::UNAUTHORIZED);
    assert_eq!(h.receiver.counts().rejected_for(Rejection::NotVerified), 1);

    let handshake = serde_json::to_vec(&json!({"verification_token": TOKEN})).unwrap();
    assert_eq!(h.post(handshake.clone(), None).await, StatusCode::OK);
    use webhooks::EventStore as _;
    let stored = h.store.verification_token().unwrap().unwrap();
    assert_eq!(stored.expose(), TOKEN);
    assert_eq!(
        std::fs::read_to_string(&h.token_file).unwrap().trim(),
        TOKEN
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&h.token_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let notices = h.notices.lock().unwrap().clone();
    assert_eq!(
        notices,
        [Notice::TokenReceived {
            file: h.token_file.clone()
        }]
    );
    let text = notices[0].to_string();
    assert!(text.contains("Verify") && text.contains(&h.token_file.display().to_string()));
    assert!(!text.contains(TOKEN));

    // Events signed with it are now accepted.
    assert_eq!(h.post_signed(&body).await, StatusCode::OK);
    // "Resend token" sends the same one: fine. Another token: refused.
    assert_eq!(h.post(handshake, None).await, StatusCode::OK);
    let other = serde_json::to_vec(&json!({"verification_token": "secret_attacker"})).unwrap();
    assert_eq!(h.post(other, None).await, StatusCode::CONFLICT);
    assert_eq!(
        h.store.verification_token().unwrap().unwrap().expose(),
        TOKEN
    );
    assert_eq!(h.receiver.counts().handshakes, 2);
    assert_eq!(
        h.receiver.counts().rejected_for(Rejection::TokenConflict),
        1
    );
    assert_eq!(h.stored_ids(), ["e1"]);
}

#[tokio::test]
async fn a_restarted_receiver_uses_the_stored_token() {
    let store = Arc::new(MemoryStore::default());
    use webhooks::EventStore as _;
    store.save_verification_token(&Secret::new(TOKEN)).unwrap();
    let h = Harness::start(None, store).await;
    assert!(h.receiver.is_verified());
    assert_eq!(
        h.post_signed(&event_body("e1", "page.created", "p1")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_store_failure_answers_500_so_notion_retries() {
    let h = Harness::verified().await;
    let body = event_body("e1", "page.created", "p1");
    h.store.set_failing(true);
    assert_eq!(
        h.post_signed(&body).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(h.receiver.counts().store_errors, 1);
    h.store.set_failing(false);
    assert_eq!(h.post_signed(&body).await, StatusCode::OK);
    assert_eq!(h.stored_ids(), ["e1"]);
}

#[tokio::test]
async fn healthz_and_metrics_answer() {
    let h = Harness::verified().await;
    let health: Value = h
        .client
        .get(format!("{}/healthz", h.url))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "ok", "verified": true}));
    let metrics = h.metrics().await;
    for name in [
        "notion_webhook_events_received_total",
        "notion_webhook_events_rejected_total",
        "notion_webhook_events_deduplicated_total",
        "notion_webhook_events_pending",
        "notion_webhook_refreshes_total",
        "notion_webhook_refresh_requests_total",
        "notion_webhook_last_publish_timestamp_seconds",
    ] {
        assert!(metrics.contains(&format!("# TYPE {name} ")), "{name}");
    }
}
