//! Notion's read endpoints: routing, request checks (token, version, ids,
//! page sizes, cursors) and the answers, built from the workspace.

use axum::body::Body;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::State;
use super::error::ApiError;
use super::query;
use crate::ids::{parse_id, percent_decode};
use crate::workspace::{Node, Workspace};

/// Largest `page_size` Notion accepts.
const MAX_PAGE_SIZE: usize = 100;

/// Largest request body read.
const MAX_BODY: usize = 1 << 20;

/// The endpoint name used in statistics: method and path with ids replaced.
pub(crate) fn endpoint_label(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let named: Vec<&str> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| match (i, segments.first()) {
            (2, Some(&"v1")) => "{id}",
            (4, Some(&"v1")) if segments.get(3) == Some(&"properties") => "{property_id}",
            _ => s,
        })
        .collect();
    format!("{method} /{}", named.join("/"))
}

/// `GET /__mock/stats`: the statistics as JSON (not counted in them).
pub(crate) fn mock_admin(state: &State, path: &str) -> Response<Body> {
    match path {
        "/__mock/stats" => {
            let stats = state.stats.lock().expect("stats lock").snapshot();
            json_response(
                StatusCode::OK,
                &serde_json::to_value(stats).unwrap_or(Value::Null),
                None,
            )
        }
        _ => error_response(&ApiError::invalid_url()),
    }
}

/// Checks the headers, routes and answers an API request.
pub(crate) async fn handle(state: &State, req: Request<Body>) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let result = match check_headers(state, &parts.headers) {
        Err(e) => Err(e),
        Ok(()) => match axum::body::to_bytes(body, MAX_BODY).await {
            Err(_) => Err(ApiError::invalid_json()),
            Ok(bytes) => {
                match super::write::route(state, parts.method.as_str(), parts.uri.path(), &bytes) {
                    Some(written) => written,
                    None => {
                        let ws = state.ws.read().expect("workspace lock");
                        let request = ApiRequest {
                            notion_version: parts
                                .headers
                                .get("notion-version")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default(),
                            method: parts.method.as_str(),
                            path: parts.uri.path(),
                            query: parse_query(parts.uri.query().unwrap_or("")),
                            body: &bytes,
                        };
                        route(&ws, state, &request)
                    }
                }
            }
        },
    };
    match result {
        Ok(mut value) => {
            crate::files::resign_all(&mut value);
            value["request_id"] = json!(request_id);
            json_response(StatusCode::OK, &value, Some(&request_id))
        }
        Err(e) => error_response_with_id(&e, &request_id),
    }
}

fn check_headers(state: &State, headers: &hyper::HeaderMap) -> Result<(), ApiError> {
    let expected = format!("Bearer {}", state.cfg.token);
    let authorized = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if !authorized {
        return Err(ApiError::unauthorized());
    }
    if headers.get("notion-version").is_none() {
        return Err(ApiError::missing_version());
    }
    Ok(())
}

/// A request as the handlers see it.
struct ApiRequest<'a> {
    notion_version: &'a str,
    method: &'a str,
    path: &'a str,
    query: Vec<(String, String)>,
    body: &'a [u8],
}

impl ApiRequest<'_> {
    fn json_body(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        let v: Value = serde_json::from_slice(self.body).map_err(|_| ApiError::invalid_json())?;
        if v.is_object() {
            Ok(v)
        } else {
            Err(ApiError::validation(
                "body failed validation: body should be an object.",
            ))
        }
    }

    fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Repeated `filter_properties` (also `filter_properties[]`) values.
    fn filter_properties(&self) -> Option<Vec<String>> {
        let list: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| k == "filter_properties" || k == "filter_properties[]")
            .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
            .collect();
        (!list.is_empty()).then_some(list)
    }

    /// `start_cursor` and `page_size` from the query string (GET) or body (POST).
    fn paging(&self, body: Option<&Value>) -> Result<(Option<String>, usize), ApiError> {
        let (cursor, size, place) = match body {
            Some(b) => (
                b.get("start_cursor")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                b.get("page_size").cloned().filter(|v| !v.is_null()),
                "body",
            ),
            None => (
                self.query_param("start_cursor").map(str::to_string),
                self.query_param("page_size")
                    .map(|s| s.parse::<i64>().map(Value::from).unwrap_or(json!(s))),
                "query",
            ),
        };
        let size = match size {
            None => MAX_PAGE_SIZE,
            Some(v) => match v.as_i64() {
                Some(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => n as usize,
                Some(n) if n > MAX_PAGE_SIZE as i64 => {
                    return Err(ApiError::validation(format!(
                        "{place} failed validation: {place}.page_size should be less than or equal to `100`, instead was `{n}`."
                    )));
                }
                _ => {
                    return Err(ApiError::validation(format!(
                        "{place} failed validation: {place}.page_size should be a positive integer, instead was `{v}`."
                    )));
                }
            },
        };
        Ok((cursor, size))
    }
}

fn route(ws: &Workspace, state: &State, req: &ApiRequest<'_>) -> Result<Value, ApiError> {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method, segments.as_slice()) {
        ("POST", ["v1", "search"]) => search(ws, state, req),
        ("GET", ["v1", "pages", id]) => retrieve_page(ws, req, id),
        ("GET", ["v1", "pages", id, "properties", prop]) => property_item(ws, state, req, id, prop),
        ("GET", ["v1", "pages", id, "markdown"]) => super::markdown::page_markdown(
            ws,
            &state.cfg,
            &path_id(id, "page_id")?,
            req.notion_version,
            req.query_param("markdown_version"),
        ),
        ("GET", ["v1", "blocks", id]) => retrieve_block(ws, id),
        ("GET", ["v1", "blocks", id, "children"]) => block_children(ws, state, req, id),
        ("GET", ["v1", "databases", id]) => retrieve_database(ws, id),
        ("GET", ["v1", "data_sources", id]) => retrieve_data_source(ws, id),
        ("POST", ["v1", "data_sources", id, "query"]) => query_data_source(ws, state, req, id),
        ("POST", ["v1", "databases", id, "query"]) => query_database(ws, state, req, id),
        ("GET", ["v1", "users"]) => list_users(ws, req),
        ("GET", ["v1", "users", "me"]) => Ok(bot_user(ws)),
        ("GET", ["v1", "users", id]) => retrieve_user(ws, id),
        ("GET", ["v1", "comments"]) => Ok(list(Vec::new(), None, "comment")),
        _ => Err(ApiError::invalid_url()),
    }
}

/// A path id as Notion checks it: a uuid, or 400.
fn path_id(raw: &str, param: &str) -> Result<String, ApiError> {
    let raw = percent_decode(raw);
    parse_id(&raw).ok_or_else(|| ApiError::bad_path_id(param, &raw))
}

/// The list envelope.
fn list(results: Vec<Value>, next_cursor: Option<String>, kind: &str) -> Value {
    let mut v = json!({
        "object": "list", "results": results, "has_more": next_cursor.is_some(),
        "next_cursor": next_cursor, "type": kind,
    });
    v[kind] = json!({});
    v
}

/// One page of `items` from `cursor` (the key of the first item to return),
/// and the cursor of the page after it.
fn paginate<T, K: AsRef<str>>(
    items: Vec<T>,
    key: impl Fn(&T) -> K,
    cursor: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match cursor {
        None => 0,
        Some(c) => items
            .iter()
            .position(|item| key(item).as_ref() == c)
            .ok_or_else(|| {
                ApiError::validation(format!("start_cursor provided is invalid: {c}"))
            })?,
    };
    let next = items
        .get(start + size)
        .map(|item| key(item).as_ref().to_string());
    let page = items.into_iter().skip(start).take(size).collect();
    Ok((page, next))
}

fn search(ws: &Workspace, state: &State, req: &ApiRequest<'_>) -> Result<Value, ApiError> {
    let body = req.json_body()?;
    let (cursor, size) = req.paging(Some(&body))?;
    let want = match &body["filter"] {
        Value::Null => None,
        f if f["property"] == "object" => match f["value"].as_str() {
            Some("page") => Some(true),
            Some("data_source") => Some(false),
            other => {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.filter.value should be `\"page\"` or `\"data_source\"`, instead was `{}`.",
                    other.map_or("undefined".to_string(), |s| format!("\"{s}\""))
                )));
            }
        },
        _ => {
            return Err(ApiError::validation(
                "body failed validation: body.filter.property should be `\"object\"`.",
            ));
        }
    };
    let ascending = match &body["sort"] {
        Value::Null => false,
        s if s["timestamp"] == "last_edited_time" => match s["direction"].as_str() {
            Some("ascending") => true,
            Some("descending") => false,
            _ => {
                return Err(ApiError::validation(
                    "body failed validation: body.sort.direction should be `\"ascending\"` or `\"descending\"`.",
                ));
            }
        },
        _ => {
            return Err(ApiError::validation(
                "body failed validation: body.sort.timestamp should be `\"last_edited_time\"`.",
            ));
        }
    };
    let needle = body["query"].as_str().unwrap_or("").to_lowercase();
    let matches = |e: &&crate::workspace::SearchEntry| {
        want.is_none_or(|w| w == e.is_page)
            && (needle.is_empty() || e.title_lower.contains(&needle))
    };
    let index = ws.search_index();
    let mut hits: Vec<&crate::workspace::SearchEntry> = if ascending {
        index.iter().filter(matches).collect()
    } else {
        index.iter().rev().filter(matches).collect()
    };
    if let Some(seed) = state.cfg.listing_order_seed {
        hits.sort_by_key(|e| crate::ids::stable_hash(&[&seed.to_le_bytes(), e.id.as_bytes()]));
    }
    let (page, next) = paginate(hits, |e| e.id.as_str(), cursor.as_deref(), size)?;
    let results = page
        .into_iter()
        .filter_map(|e| {
            if e.is_page {
                ws.pages.get(&e.id).map(|p| ws.render_page(p, None))
            } else {
                ws.data_sources.get(&e.id).map(|d| d.object.clone())
            }
        })
        .collect();
    Ok(list(results, next, "page_or_data_source"))
}

fn retrieve_page(ws: &Workspace, req: &ApiRequest<'_>, raw: &str) -> Result<Value, ApiError> {
    let id = path_id(raw, "page_id")?;
    let page = ws
        .shared_page(&id)
        .ok_or_else(|| ApiError::not_found("page", &id))?;
    Ok(ws.render_page(page, req.filter_properties().as_deref()))
}

/// Property types answered as a paginated list of property items.
const LIST_PROPERTIES: &[&str] = &["title", "rich_text", "relation", "people"];

fn property_item(
    ws: &Workspace,
    state: &State,
    req: &ApiRequest<'_>,
    raw: &str,
    prop: &str,
) -> Result<Value, ApiError> {
    let id = path_id(raw, "page_id")?;
    let page = ws
        .shared_page(&id)
        .ok_or_else(|| ApiError::not_found("page", &id))?;
    let wanted = percent_decode(prop);
    let object = page.object.value();
    let value = object["properties"]
        .as_object()
        .and_then(|props| {
            props
                .values()
                .find(|p| percent_decode(p["id"].as_str().unwrap_or_default()) == wanted)
        })
        .ok_or_else(|| ApiError::not_found("property", &wanted))?;
    let kind = value["type"].as_str().unwrap_or_default();
    let prop_id = value["id"].clone();
    if !LIST_PROPERTIES.contains(&kind) {
        let mut item = Map::new();
        item.insert("object".into(), json!("property_item"));
        item.insert("id".into(), prop_id);
        item.insert("type".into(), json!(kind));
        item.insert(kind.into(), value[kind].clone());
        return Ok(Value::Object(item));
    }
    let (cursor, size) = req.paging(None)?;
    let items: Vec<(usize, Value)> = value[kind]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .collect();
    let (page_items, next) = paginate(items, |(i, _)| format!("{i:08x}"), cursor.as_deref(), size)?;
    let results = page_items
        .into_iter()
        .map(|(_, v)| json!({"object": "property_item", "id": prop_id, "type": kind, kind: v}))
        .collect();
    let next_url = next.as_ref().map(|c| {
        format!(
            "{}/v1/pages/{id}/properties/{prop}?start_cursor={c}",
            state.base_url
        )
    });
    let mut out = list(results, next, "property_item");
    out["property_item"] = json!({"id": prop_id, "next_url": next_url, "type": kind, kind: {}});
    Ok(out)
}

fn shared_node<'a>(ws: &'a Workspace, id: &str) -> Result<Node<'a>, ApiError> {
    ws.node(id)
        .filter(|n| ws.node_shared(n))
        .ok_or_else(|| ApiError::not_found("block", id))
}

fn retrieve_block(ws: &Workspace, raw: &str) -> Result<Value, ApiError> {
    let id = path_id(raw, "block_id")?;
    Ok(ws.render_block(&shared_node(ws, &id)?))
}

fn block_children(
    ws: &Workspace,
    state: &State,
    req: &ApiRequest<'_>,
    raw: &str,
) -> Result<Value, ApiError> {
    let id = path_id(raw, "block_id")?;
    let node = shared_node(ws, &id)?;
    let (cursor, size) = req.paging(None)?;
    let (ids, next) = paginate(ws.child_ids(&node), String::clone, cursor.as_deref(), size)?;
    let results = ids
        .iter()
        .filter_map(|c| ws.node(c))
        .map(|n| ws.render_block(&n))
        .map(|block| drop_type(state, block))
        .collect();
    Ok(list(results, next, "block"))
}

/// A block of a type the configuration drops, answered as Notion answers a
/// type its API cannot show: `unsupported`, same id and place, content lost.
fn drop_type(state: &State, mut block: Value) -> Value {
    let kind = block["type"].as_str().unwrap_or_default().to_string();
    if state.cfg.drop_block_types.contains(&kind)
        && let Some(map) = block.as_object_mut()
    {
        map.remove(&kind);
        map.insert("type".into(), json!("unsupported"));
        map.insert("unsupported".into(), json!({}));
    }
    block
}

fn retrieve_database(ws: &Workspace, raw: &str) -> Result<Value, ApiError> {
    let id = path_id(raw, "database_id")?;
    let db = ws
        .shared_database(&id)
        .ok_or_else(|| ApiError::not_found("database", &id))?;
    Ok(db.object.clone())
}

fn retrieve_data_source(ws: &Workspace, raw: &str) -> Result<Value, ApiError> {
    let id = path_id(raw, "data_source_id")?;
    let ds = ws
        .shared_data_source(&id)
        .ok_or_else(|| ApiError::not_found("data source", &id))?;
    Ok(ds.object.clone())
}

fn query_data_source(
    ws: &Workspace,
    state: &State,
    req: &ApiRequest<'_>,
    raw: &str,
) -> Result<Value, ApiError> {
    let id = path_id(raw, "data_source_id")?;
    run_query(ws, state, req, &id)
}

/// The pre-2025-09-03 query by database: works while it has one data source.
fn query_database(
    ws: &Workspace,
    state: &State,
    req: &ApiRequest<'_>,
    raw: &str,
) -> Result<Value, ApiError> {
    let id = path_id(raw, "database_id")?;
    let db = ws
        .shared_database(&id)
        .ok_or_else(|| ApiError::not_found("database", &id))?;
    match db.data_sources.as_slice() {
        [only] => run_query(ws, state, req, only),
        _ => Err(ApiError::validation(
            "Databases with multiple data sources are not supported in this API version. Use the data sources endpoints.",
        )),
    }
}

fn run_query(
    ws: &Workspace,
    state: &State,
    req: &ApiRequest<'_>,
    id: &str,
) -> Result<Value, ApiError> {
    let ds = ws
        .shared_data_source(id)
        .ok_or_else(|| ApiError::not_found("data source", id))?;
    let body = req.json_body()?;
    let (cursor, size) = req.paging(Some(&body))?;
    let schema = ds.object["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let filter = match &body["filter"] {
        Value::Null => None,
        f => Some(query::compile(f, &schema)?),
    };
    let sorts = query::compile_sorts(&body["sorts"], &schema)?;
    let objects: Vec<Value> = ws
        .query_rows(ds)
        .into_iter()
        .map(|(_, p)| p.object.value())
        .filter(|p| filter.as_ref().is_none_or(|f| f.matches(p)))
        .collect();
    let mut rows: Vec<&Value> = objects.iter().collect();
    query::sort_pages(&mut rows, &sorts);
    let limit = state.cfg.query_result_limit;
    let capped = rows.len() > limit;
    rows.truncate(limit);
    let (page, next) = paginate(
        rows,
        |p| p["id"].as_str().unwrap_or_default().to_string(),
        cursor.as_deref(),
        size,
    )?;
    let only = req.filter_properties();
    let results = page
        .into_iter()
        .map(|p| crate::workspace::render_page_object(p.clone(), only.as_deref()))
        .collect();
    let finished = next.is_none();
    let mut out = list(results, next, "page_or_data_source");
    if capped && finished {
        out["request_status"] =
            json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"});
    }
    Ok(out)
}

fn list_users(ws: &Workspace, req: &ApiRequest<'_>) -> Result<Value, ApiError> {
    let (cursor, size) = req.paging(None)?;
    let (users, next) = paginate(
        ws.users.clone(),
        |u| u["id"].as_str().unwrap_or_default().to_string(),
        cursor.as_deref(),
        size,
    )?;
    Ok(list(users, next, "user"))
}

fn retrieve_user(ws: &Workspace, raw: &str) -> Result<Value, ApiError> {
    let id = path_id(raw, "user_id")?;
    ws.users
        .iter()
        .find(|u| u["id"] == id.as_str())
        .cloned()
        .ok_or_else(|| ApiError::not_found("user", &id))
}

/// The integration's own bot user (`/v1/users/me`).
fn bot_user(ws: &Workspace) -> Value {
    json!({
        "object": "user", "id": ws.bot_id(),
        "name": "Mock integration", "avatar_url": null, "type": "bot",
        "bot": {"owner": {"type": "workspace", "workspace": true}, "workspace_name": ws.name},
    })
}

/// Splits a query string into decoded pairs (`+` is a space).
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn json_response(status: StatusCode, body: &Value, request_id: Option<&str>) -> Response<Body> {
    let mut resp = Response::new(Body::from(serde_json::to_vec(body).unwrap_or_default()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        resp.headers_mut().insert("x-notion-request-id", id);
    }
    resp
}

/// A Notion error answer with a new request id.
pub(crate) fn error_response(e: &ApiError) -> Response<Body> {
    error_response_with_id(e, &uuid::Uuid::new_v4().to_string())
}

fn error_response_with_id(e: &ApiError, request_id: &str) -> Response<Body> {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = json_response(status, &e.body(request_id), Some(request_id));
    if let Some(secs) = e.retry_after {
        resp.headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
    }
    resp
}

/// A 502 as Notion's edge sends it: HTML, not JSON.
pub(crate) fn bad_gateway() -> Response<Body> {
    let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
    let mut resp = Response::new(Body::from(html));
    *resp.status_mut() = StatusCode::BAD_GATEWAY;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}
