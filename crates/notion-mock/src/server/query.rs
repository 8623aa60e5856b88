//! Data source query filters and sorts, evaluated on page objects.
//!
//! Supported: property filters for title, rich_text, url, email,
//! phone_number (`equals`, `does_not_equal`, `contains`, `does_not_contain`,
//! `starts_with`, `ends_with`; text comparisons ignore case), number and
//! unique_id (`equals`, `does_not_equal`, `greater_than`, `less_than`,
//! `greater_than_or_equal_to`, `less_than_or_equal_to`), checkbox (`equals`,
//! `does_not_equal`), select and status (`equals`, `does_not_equal`),
//! multi_select, people and relation (`contains`, `does_not_contain`), date
//! (`equals`, `before`, `after`, `on_or_before`, `on_or_after`), files; every
//! type takes `is_empty`/`is_not_empty`. Timestamp filters on `created_time`
//! and `last_edited_time`, and `and`/`or` compounds nested at most two deep.
//! Anything else is a 400 `validation_error`, as Notion answers.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::error::ApiError;

/// A checked filter.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    /// A condition on a property (by name) or on a page timestamp.
    Condition {
        /// Property name, or `created_time`/`last_edited_time` for timestamps.
        target: Target,
        /// The condition name (`contains`, `after`...).
        condition: String,
        /// The operand.
        operand: Value,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Property { name: String, kind: String },
    Timestamp(String),
}

const TEXT_KINDS: &[&str] = &["title", "rich_text", "url", "email", "phone_number"];

/// Checks a filter against a data source schema.
pub(crate) fn compile(filter: &Value, schema: &Map<String, Value>) -> Result<Filter, ApiError> {
    compile_at(filter, schema, 0)
}

fn compile_at(
    filter: &Value,
    schema: &Map<String, Value>,
    depth: usize,
) -> Result<Filter, ApiError> {
    let obj = filter.as_object().ok_or_else(|| {
        ApiError::validation("body failed validation: body.filter should be an object.")
    })?;
    for (key, make) in [
        ("and", Filter::And as fn(Vec<Filter>) -> Filter),
        ("or", Filter::Or),
    ] {
        if let Some(list) = obj.get(key) {
            if depth >= 2 {
                return Err(ApiError::validation(
                    "body failed validation: compound filters may be nested at most two levels deep.",
                ));
            }
            let list = list.as_array().ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: body.filter.{key} should be an array."
                ))
            })?;
            return list
                .iter()
                .map(|f| compile_at(f, schema, depth + 1))
                .collect::<Result<_, _>>()
                .map(make);
        }
    }
    if let Some(ts) = obj.get("timestamp") {
        let ts = ts.as_str().unwrap_or_default();
        if ts != "created_time" && ts != "last_edited_time" {
            return Err(ApiError::validation(format!(
                "body failed validation: body.filter.timestamp should be `created_time` or `last_edited_time`, instead was `{ts}`."
            )));
        }
        let (condition, operand) = single_condition(&obj[ts], ts)?;
        check_condition("date", &condition, &operand)?;
        return Ok(Filter::Condition {
            target: Target::Timestamp(ts.to_string()),
            condition,
            operand,
        });
    }
    let Some(prop) = obj.get("property").and_then(Value::as_str) else {
        return Err(ApiError::validation(
            "body failed validation: body.filter should define `property`, `timestamp`, `and` or `or`.",
        ));
    };
    let (name, config) = schema
        .iter()
        .find(|(name, c)| {
            *name == prop
                || c["id"] == prop
                || crate::ids::percent_decode(c["id"].as_str().unwrap_or_default()) == prop
        })
        .ok_or_else(|| {
            ApiError::validation(format!("Could not find property with name or id: {prop}"))
        })?;
    let kind = config["type"].as_str().unwrap_or_default().to_string();
    let filter_type = obj
        .keys()
        .find(|k| *k != "property" && *k != "type")
        .ok_or_else(|| {
            ApiError::validation("body failed validation: body.filter needs a condition.")
        })?;
    let compatible = filter_type == &kind
        || (TEXT_KINDS.contains(&filter_type.as_str()) && TEXT_KINDS.contains(&kind.as_str()))
        || (filter_type == "number" && kind == "unique_id")
        || (filter_type == "date" && (kind == "created_time" || kind == "last_edited_time"));
    if !compatible {
        return Err(ApiError::validation(format!(
            "body failed validation: filter type `{filter_type}` does not match property `{name}` of type `{kind}`."
        )));
    }
    let (condition, operand) = single_condition(&obj[filter_type], filter_type)?;
    check_condition(family(&kind), &condition, &operand)?;
    Ok(Filter::Condition {
        target: Target::Property {
            name: name.clone(),
            kind,
        },
        condition,
        operand,
    })
}

fn single_condition(v: &Value, at: &str) -> Result<(String, Value), ApiError> {
    match v
        .as_object()
        .map(|o| o.iter().collect::<Vec<_>>())
        .as_deref()
    {
        Some([(cond, operand)]) => Ok(((*cond).clone(), (*operand).clone())),
        _ => Err(ApiError::validation(format!(
            "body failed validation: body.filter.{at} should hold exactly one condition."
        ))),
    }
}

/// The comparison family of a property type.
fn family(kind: &str) -> &'static str {
    match kind {
        k if TEXT_KINDS.contains(&k) => "text",
        "number" | "unique_id" => "number",
        "checkbox" => "checkbox",
        "select" | "status" => "select",
        "multi_select" | "people" | "relation" => "list",
        "date" | "created_time" | "last_edited_time" => "date",
        _ => "other",
    }
}

fn check_condition(family: &str, condition: &str, operand: &Value) -> Result<(), ApiError> {
    let allowed: &[&str] = match family {
        "text" => &[
            "equals",
            "does_not_equal",
            "contains",
            "does_not_contain",
            "starts_with",
            "ends_with",
        ],
        "number" => &[
            "equals",
            "does_not_equal",
            "greater_than",
            "less_than",
            "greater_than_or_equal_to",
            "less_than_or_equal_to",
        ],
        "checkbox" => &["equals", "does_not_equal"],
        "select" => &["equals", "does_not_equal"],
        "list" => &["contains", "does_not_contain"],
        "date" => &["equals", "before", "after", "on_or_before", "on_or_after"],
        _ => &[],
    };
    let ok_operand = match condition {
        "is_empty" | "is_not_empty" => operand == &Value::Bool(true),
        _ if !allowed.contains(&condition) => false,
        _ => match family {
            "text" | "select" | "list" => operand.is_string(),
            "number" => operand.is_number(),
            "checkbox" => operand.is_boolean(),
            "date" => parse_instant(operand.as_str().unwrap_or_default()).is_some(),
            _ => false,
        },
    };
    if ok_operand {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "body failed validation: `{condition}` with `{operand}` is not a valid {family} filter condition."
        )))
    }
}

impl Filter {
    /// Whether a page object passes the filter.
    pub(crate) fn matches(&self, page: &Value) -> bool {
        match self {
            Filter::And(list) => list.iter().all(|f| f.matches(page)),
            Filter::Or(list) => list.iter().any(|f| f.matches(page)),
            Filter::Condition {
                target,
                condition,
                operand,
            } => {
                let (kind, value) = match target {
                    Target::Property { name, kind } => {
                        (kind.as_str(), &page["properties"][name][kind.as_str()])
                    }
                    Target::Timestamp(ts) => (ts.as_str(), &page[ts.as_str()]),
                };
                let items = values_of(kind, value);
                match condition.as_str() {
                    "is_empty" => items.is_empty(),
                    "is_not_empty" => !items.is_empty(),
                    _ => test(family(kind), condition, &items, operand),
                }
            }
        }
    }
}

/// The comparable values of a property: one for scalars, several for lists,
/// none when empty.
fn values_of(kind: &str, v: &Value) -> Vec<Value> {
    let text = |runs: &Value| -> String {
        runs.as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["plain_text"].as_str())
            .collect()
    };
    let out = match kind {
        "title" | "rich_text" => Value::String(text(v)),
        "select" | "status" => v["name"].clone(),
        "multi_select" => Value::Array(
            v.as_array()
                .into_iter()
                .flatten()
                .map(|o| o["name"].clone())
                .collect(),
        ),
        "people" | "relation" => Value::Array(
            v.as_array()
                .into_iter()
                .flatten()
                .map(|o| o["id"].clone())
                .collect(),
        ),
        "date" => v["start"].clone(),
        "unique_id" => v["number"].clone(),
        _ => v.clone(),
    };
    match out {
        Value::Null => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        Value::Array(list) => list,
        other => vec![other],
    }
}

fn test(family: &str, condition: &str, items: &[Value], operand: &Value) -> bool {
    let negative = matches!(condition, "does_not_equal" | "does_not_contain");
    let first = items.first();
    match family {
        "text" => {
            let value = first
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase();
            let op = operand.as_str().unwrap_or_default().to_lowercase();
            match condition {
                "equals" => value == op,
                "does_not_equal" => value != op,
                "contains" => value.contains(&op),
                "does_not_contain" => !value.contains(&op),
                "starts_with" => value.starts_with(&op),
                _ => value.ends_with(&op),
            }
        }
        "number" => {
            let (Some(value), Some(op)) = (first.and_then(Value::as_f64), operand.as_f64()) else {
                return negative;
            };
            match condition {
                "equals" => value == op,
                "does_not_equal" => value != op,
                "greater_than" => value > op,
                "less_than" => value < op,
                "greater_than_or_equal_to" => value >= op,
                _ => value <= op,
            }
        }
        "checkbox" | "select" => (first == Some(operand)) != negative,
        "list" => {
            let found = items.iter().any(|v| {
                v.as_str().map(str::to_lowercase) == operand.as_str().map(str::to_lowercase)
            });
            found != negative
        }
        "date" => {
            let (Some(value), Some(op)) = (
                first.and_then(Value::as_str).and_then(parse_instant),
                operand.as_str().and_then(parse_instant),
            ) else {
                return false;
            };
            let date_only = operand.as_str().is_some_and(|s| s.len() == 10);
            let ord = if date_only {
                value.date_naive().cmp(&op.date_naive())
            } else {
                value.cmp(&op)
            };
            match condition {
                "equals" => ord == Ordering::Equal,
                "before" => ord == Ordering::Less,
                "after" => ord == Ordering::Greater,
                "on_or_before" => ord != Ordering::Greater,
                _ => ord != Ordering::Less,
            }
        }
        _ => false,
    }
}

/// An ISO 8601 date or datetime as an instant (dates at midnight UTC).
fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// One sort criterion.
#[derive(Debug, Clone)]
pub(crate) struct Sort {
    target: Target,
    descending: bool,
}

/// Checks the `sorts` of a query.
pub(crate) fn compile_sorts(
    sorts: &Value,
    schema: &Map<String, Value>,
) -> Result<Vec<Sort>, ApiError> {
    let Some(list) = sorts.as_array() else {
        return if sorts.is_null() {
            Ok(Vec::new())
        } else {
            Err(ApiError::validation(
                "body failed validation: body.sorts should be an array.",
            ))
        };
    };
    list.iter()
        .map(|s| {
            let descending = match s["direction"].as_str() {
                Some("ascending") => false,
                Some("descending") => true,
                _ => return Err(ApiError::validation("body failed validation: sort direction should be `ascending` or `descending`.")),
            };
            let target = if let Some(ts) = s["timestamp"].as_str() {
                if ts != "created_time" && ts != "last_edited_time" {
                    return Err(ApiError::validation(format!("body failed validation: cannot sort by timestamp `{ts}`.")));
                }
                Target::Timestamp(ts.to_string())
            } else {
                let prop = s["property"].as_str().unwrap_or_default();
                let (name, config) = schema
                    .iter()
                    .find(|(name, c)| *name == prop || c["id"] == prop)
                    .ok_or_else(|| ApiError::validation(format!("Could not find sort property with name or id: {prop}")))?;
                Target::Property { name: name.clone(), kind: config["type"].as_str().unwrap_or_default().to_string() }
            };
            Ok(Sort { target, descending })
        })
        .collect()
}

/// Orders page objects by the sorts; equal pages keep their order. Empty
/// values sort last either way.
pub(crate) fn sort_pages(pages: &mut [&Value], sorts: &[Sort]) {
    pages.sort_by(|a, b| {
        for s in sorts {
            let (ka, kb) = (sort_key(&s.target, a), sort_key(&s.target, b));
            let ord = match (&ka, &kb) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => {
                    let o = compare(x, y);
                    if s.descending { o.reverse() } else { o }
                }
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    });
}

fn sort_key(target: &Target, page: &Value) -> Option<Value> {
    let (kind, value) = match target {
        Target::Property { name, kind } => {
            (kind.as_str(), &page["properties"][name][kind.as_str()])
        }
        Target::Timestamp(ts) => (ts.as_str(), &page[ts.as_str()]),
    };
    let items = values_of(kind, value);
    match items.len() {
        0 => None,
        1 => items.into_iter().next(),
        _ => Some(Value::String(
            items
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )),
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        _ => a.to_string().cmp(&b.to_string()),
    }
}
