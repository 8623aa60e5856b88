#![allow(dead_code)]
//! Test helpers: a server on a free port and a reqwest client that speaks to it.

use notion_mock::{MockConfig, MockServer, Workspace};
use serde_json::Value;

pub const TOKEN: &str = "secret_mock_token";
pub const VERSION: &str = "2025-09-03";

/// A running server and a client for it.
pub struct Harness {
    pub server: MockServer,
    pub http: reqwest::Client,
}

/// An answer: status, headers and JSON body (`Null` when not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Harness {
    pub async fn start(ws: Workspace, cfg: MockConfig) -> Harness {
        let server = MockServer::start(ws, cfg).await.expect("server starts");
        Harness {
            server,
            http: reqwest::Client::new(),
        }
    }

    pub async fn kitchen_sink() -> Harness {
        Self::start(Workspace::kitchen_sink(), MockConfig::unlimited()).await
    }

    /// Sends a request with the token and version headers.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.call_with(method, path, body, Some(TOKEN), Some(VERSION))
            .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, Some(body)).await
    }

    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
        version: Option<&str>,
    ) -> Answer {
        let url = format!("{}{}", self.server.url(), path);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(v) = version {
            req = req.header("Notion-Version", v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// Follows a list endpoint to the end; returns every result and the number of requests.
    pub async fn collect(
        &self,
        method: &str,
        path: &str,
        body: Value,
        page_size: usize,
    ) -> (Vec<Value>, usize) {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        let mut requests = 0;
        loop {
            requests += 1;
            let answer = if method == "GET" {
                let sep = if path.contains('?') { '&' } else { '?' };
                let mut p = format!("{path}{sep}page_size={page_size}");
                if let Some(c) = &cursor {
                    p.push_str(&format!("&start_cursor={c}"));
                }
                self.get(&p).await
            } else {
                let mut b = body.clone();
                b["page_size"] = page_size.into();
                if let Some(c) = &cursor {
                    b["start_cursor"] = c.clone().into();
                }
                self.post(path, b).await
            };
            assert_eq!(answer.status, 200, "{path}: {}", answer.body);
            let b = answer.body;
            assert_eq!(b["object"], "list");
            let results = b["results"].as_array().expect("results").clone();
            assert!(results.len() <= page_size);
            out.extend(results);
            assert_eq!(
                b["has_more"].as_bool().unwrap(),
                !b["next_cursor"].is_null()
            );
            match b["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return (out, requests),
            }
        }
    }
}

/// A page's or block's id in the dataset, by key: looked up through search.
pub fn ids(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}
