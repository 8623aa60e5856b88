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

    /// Every child of a page or block, read 100 at a time.
    pub async fn children(&self, id: &str) -> Vec<Value> {
        self.collect(
            "GET",
            &format!("/v1/blocks/{id}/children"),
            Value::Null,
            100,
        )
        .await
        .0
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

/// What a straightforward crawl over HTTP found: every page's tree in the
/// form `Workspace::page_tree_json` gives, and the server's request counts.
pub struct Crawl {
    pub trees: std::collections::BTreeMap<String, Value>,
    pub stats: notion_mock::Stats,
}

fn removed(page: &Value) -> bool {
    page["in_trash"] == true || page["archived"] == true || page["is_archived"] == true
}

/// Crawls the server from search with page size 100, reading each block's
/// children once (a synced copy's from its original) — the minimal crawl.
pub async fn crawl(h: &Harness) -> Crawl {
    use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
    h.server.reset_stats();
    let (found, _) = h
        .collect("POST", "/v1/search", serde_json::json!({}), 100)
        .await;
    let mut queue: VecDeque<(String, Option<Value>)> = VecDeque::new();
    let mut sources: VecDeque<String> = VecDeque::new();
    for item in found {
        match item["object"].as_str() {
            Some("page") => queue.push_back((item["id"].as_str().unwrap().to_string(), Some(item))),
            _ => sources.push_back(item["id"].as_str().unwrap().to_string()),
        }
    }
    let mut trees = BTreeMap::new();
    let mut seen_sources = HashSet::new();
    let mut children_cache: HashMap<String, Vec<Value>> = HashMap::new();
    loop {
        if let Some((id, page)) = queue.pop_front() {
            if trees.contains_key(&id) {
                continue;
            }
            let page = match page {
                Some(p) => p,
                None => h.get(&format!("/v1/pages/{id}")).await.body,
            };
            if removed(&page) {
                continue;
            }
            let mut found_pages = Vec::new();
            let mut found_dbs = Vec::new();
            let blocks = read_tree(
                h,
                &id,
                &mut children_cache,
                &mut found_pages,
                &mut found_dbs,
            )
            .await;
            for p in found_pages {
                queue.push_back((p, None));
            }
            for db in found_dbs {
                let a = h.get(&format!("/v1/databases/{db}")).await;
                for ds in a.body["data_sources"].as_array().into_iter().flatten() {
                    sources.push_back(ds["id"].as_str().unwrap().to_string());
                }
            }
            // Long relation lists are read in full through the property endpoint.
            for prop in page["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, p)| p)
            {
                if prop["has_more"] == true {
                    let path =
                        format!("/v1/pages/{id}/properties/{}", prop["id"].as_str().unwrap());
                    let (items, _) = h.collect("GET", &path, Value::Null, 100).await;
                    assert!(items.len() > 25);
                }
            }
            let mut page = page;
            page.as_object_mut().unwrap().remove("request_id");
            trees.insert(id, serde_json::json!({"page": page, "blocks": blocks}));
        } else if let Some(ds) = sources.pop_front() {
            if !seen_sources.insert(ds.clone()) {
                continue;
            }
            let (rows, _) = h
                .collect(
                    "POST",
                    &format!("/v1/data_sources/{ds}/query"),
                    serde_json::json!({}),
                    100,
                )
                .await;
            for row in rows {
                queue.push_back((row["id"].as_str().unwrap().to_string(), Some(row)));
            }
        } else {
            break;
        }
    }
    Crawl {
        trees,
        stats: h.server.stats(),
    }
}

/// A page's or block's children with their own children filled.
fn read_tree<'a>(
    h: &'a Harness,
    id: &'a str,
    cache: &'a mut std::collections::HashMap<String, Vec<Value>>,
    pages: &'a mut Vec<String>,
    dbs: &'a mut Vec<String>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<Value>> + 'a>> {
    Box::pin(async move {
        if let Some(done) = cache.get(id) {
            return done.clone();
        }
        let children = h.children(id).await;
        let mut out = Vec::new();
        for mut block in children {
            let bid = block["id"].as_str().unwrap().to_string();
            let kind = block["type"].as_str().unwrap().to_string();
            let nested = match kind.as_str() {
                "child_page" => {
                    pages.push(bid);
                    Vec::new()
                }
                "child_database" => {
                    dbs.push(bid);
                    Vec::new()
                }
                _ if block["has_children"] == true => {
                    let source = block["synced_block"]["synced_from"]["block_id"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or(bid);
                    read_tree(h, &source, cache, pages, dbs).await
                }
                _ => Vec::new(),
            };
            block["children"] = Value::Array(nested);
            out.push(block);
        }
        cache.insert(id.to_string(), out.clone());
        out
    })
}

/// Replaces signed file URLs and expiry times (they change on every answer).
pub fn without_signatures(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, x) in map {
                let x = match (k.as_str(), x) {
                    ("url", Value::String(s)) if s.contains("X-Amz-Signature") => {
                        Value::String(s.split('?').next().unwrap().to_string())
                    }
                    ("expiry_time", _) => Value::Null,
                    _ => without_signatures(x),
                };
                out.insert(k.clone(), x);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(without_signatures).collect()),
        other => other.clone(),
    }
}

/// The id of the page search finds under this exact title.
pub async fn page_by_title(h: &Harness, title: &str) -> String {
    let a = h
        .post(
            "/v1/search",
            serde_json::json!({"query": title, "filter": {"property": "object", "value": "page"}}),
        )
        .await;
    let results = a.body["results"].as_array().unwrap();
    let hit = results
        .iter()
        .find(|p| {
            p["properties"].as_object().unwrap().values().any(|v| {
                v["type"] == "title"
                    && v["title"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["plain_text"].as_str().unwrap())
                        .collect::<String>()
                        == title
            })
        })
        .unwrap_or_else(|| panic!("no page titled {title}"));
    hit["id"].as_str().unwrap().to_string()
}

/// The id of the data source search finds under this name.
pub async fn data_source_by_name(h: &Harness, name: &str) -> String {
    let a = h.post("/v1/search", serde_json::json!({"query": name, "filter": {"property": "object", "value": "data_source"}})).await;
    a.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"][0]["plain_text"] == name)
        .unwrap_or_else(|| panic!("no data source {name}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}
