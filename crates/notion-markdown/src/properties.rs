//! Page properties, readable: as JSON for the Parquet sink, and as the
//! `Name: value` list written under a data source row's title.
//!
//! Both come from one [`Readable`] form of each value, so the list and the
//! JSON always agree: selects by name, people by name, relations by title
//! when the context knows it, formulas and rollups by their result, unique
//! ids as `PREFIX-N`, files by name (never by their signed URL).

use std::borrow::Cow;

use notion_source::model::{
    DateValue, FileSource, FormulaValue, Page, PropertyKind, RichText, RollupValue, UniqueId,
    plain_text,
};
use serde_json::{Map, Value};

use crate::RenderContext;
use crate::inline::InlineRun;
use crate::links::page_url;
use crate::rich_text::{date_text, inline_runs, user_name};

/// A property value in a form both outputs can be made from.
enum Readable<'a> {
    Empty,
    RichText(&'a [RichText]),
    Text(Cow<'a, str>),
    Number(f64),
    Bool(bool),
    Date(&'a DateValue),
    /// A related page, by id.
    Page(&'a str),
    List(Vec<Readable<'a>>),
    /// A value with no better form (a place, a type this crate does not know).
    Json(&'a Value),
}

/// The page's properties as JSON (by name, title included, in Notion's
/// order), and the inline runs of the `Name: value` lines to show: every
/// property but the title, empty ones left out.
pub(crate) fn page_properties<'a>(
    page: &'a Page,
    ctx: &'a RenderContext,
) -> (Value, Vec<Vec<InlineRun<'a>>>) {
    let mut json = Map::with_capacity(page.properties.len());
    let mut lines = Vec::new();
    for (name, property) in &page.properties {
        let value = readable(&property.value, ctx);
        json.insert(name.clone(), to_json(&value, ctx));
        if matches!(property.value, PropertyKind::Title(_)) {
            continue;
        }
        let mut line = vec![InlineRun::text(name.as_str()), InlineRun::text(": ")];
        let before = line.len();
        push_runs(&value, ctx, &mut line);
        if line.len() > before {
            if property.has_more == Some(true) {
                line.push(InlineRun::text(", and more"));
            }
            lines.push(line);
        }
    }
    (Value::Object(json), lines)
}

fn readable<'a>(value: &'a PropertyKind, ctx: &'a RenderContext) -> Readable<'a> {
    let text = |s: &'a Option<String>| match s.as_deref() {
        Some(s) if !s.is_empty() => Readable::Text(Cow::Borrowed(s)),
        _ => Readable::Empty,
    };
    let user = |u: &'a notion_source::model::User| {
        Readable::Text(Cow::Borrowed(user_name(u, ctx).unwrap_or(u.id.as_str())))
    };
    match value {
        PropertyKind::Title(runs) | PropertyKind::RichText(runs) if runs.is_empty() => {
            Readable::Empty
        }
        PropertyKind::Title(runs) | PropertyKind::RichText(runs) => Readable::RichText(runs),
        PropertyKind::Number(n) => n.map_or(Readable::Empty, Readable::Number),
        PropertyKind::Select(option) | PropertyKind::Status(option) => match option {
            Some(option) => Readable::Text(Cow::Borrowed(&option.name)),
            None => Readable::Empty,
        },
        PropertyKind::MultiSelect(options) => Readable::List(
            options
                .iter()
                .map(|o| Readable::Text(Cow::Borrowed(&o.name)))
                .collect(),
        ),
        PropertyKind::Date(date) => date.as_ref().map_or(Readable::Empty, Readable::Date),
        PropertyKind::People(people) => Readable::List(people.iter().map(user).collect()),
        PropertyKind::Files(files) => Readable::List(
            files
                .iter()
                .map(|f| match (&f.source, f.name.is_empty()) {
                    (_, false) => Readable::Text(Cow::Borrowed(&f.name)),
                    (FileSource::External(external), true) => {
                        Readable::Text(Cow::Borrowed(&external.url))
                    }
                    _ => Readable::Text(Cow::Borrowed("file")),
                })
                .collect(),
        ),
        PropertyKind::Checkbox(checked) => Readable::Bool(*checked),
        PropertyKind::Url(s) | PropertyKind::Email(s) | PropertyKind::PhoneNumber(s) => text(s),
        PropertyKind::Formula(formula) => match formula {
            FormulaValue::String(s) => text(s),
            FormulaValue::Number(n) => n.map_or(Readable::Empty, Readable::Number),
            FormulaValue::Boolean(b) => b.map_or(Readable::Empty, Readable::Bool),
            FormulaValue::Date(d) => d.as_ref().map_or(Readable::Empty, Readable::Date),
            FormulaValue::Unknown(u) => Readable::Json(&u.raw),
        },
        PropertyKind::Relation(pages) => {
            Readable::List(pages.iter().map(|p| Readable::Page(&p.id)).collect())
        }
        PropertyKind::Rollup(rollup) => match &rollup.value {
            RollupValue::Number(n) => n.map_or(Readable::Empty, Readable::Number),
            RollupValue::Date(d) => d.as_ref().map_or(Readable::Empty, Readable::Date),
            RollupValue::Array(values) => {
                Readable::List(values.iter().map(|v| readable(v, ctx)).collect())
            }
            RollupValue::Unsupported(_) | RollupValue::Incomplete(_) => Readable::Empty,
            RollupValue::Unknown(u) => Readable::Json(&u.raw),
        },
        PropertyKind::CreatedTime(time) | PropertyKind::LastEditedTime(time) => {
            Readable::Text(Cow::Borrowed(time))
        }
        PropertyKind::CreatedBy(u) | PropertyKind::LastEditedBy(u) => user(u),
        PropertyKind::UniqueId(id) => {
            unique_id(id).map_or(Readable::Empty, |s| Readable::Text(Cow::Owned(s)))
        }
        PropertyKind::Verification(v) if v.state.is_empty() => Readable::Empty,
        PropertyKind::Verification(v) => Readable::Text(Cow::Borrowed(&v.state)),
        PropertyKind::Button(_) | PropertyKind::Place(None) => Readable::Empty,
        PropertyKind::Place(Some(place)) => Readable::Json(place),
        PropertyKind::Unknown(u) => Readable::Json(&u.raw),
    }
}

/// `PREFIX-N`, or `N` without a prefix.
fn unique_id(id: &UniqueId) -> Option<String> {
    let number = id.number?;
    Some(match id.prefix.as_deref().filter(|p| !p.is_empty()) {
        Some(prefix) => format!("{prefix}-{number}"),
        None => number.to_string(),
    })
}

fn to_json(value: &Readable<'_>, ctx: &RenderContext) -> Value {
    match value {
        Readable::Empty => Value::Null,
        Readable::RichText(runs) => Value::String(plain_text(runs)),
        Readable::Text(s) => Value::String(s.to_string()),
        Readable::Number(n) => number_json(*n),
        Readable::Bool(b) => Value::Bool(*b),
        // ISO 8601: a date, or an interval `start/end`.
        Readable::Date(date) => Value::String(match &date.end {
            Some(end) => format!("{}/{end}", date.start),
            None => date.start.clone(),
        }),
        Readable::Page(id) => Value::String(
            ctx.page_titles
                .get(*id)
                .map_or(*id, String::as_str)
                .to_string(),
        ),
        Readable::List(items) => {
            Value::Array(items.iter().map(|item| to_json(item, ctx)).collect())
        }
        Readable::Json(raw) => (*raw).clone(),
    }
}

/// Integers as JSON integers, other numbers as floats, non-finite as null.
fn number_json(n: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if n.fract() == 0.0 && n.abs() < EXACT {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// Appends the value's inline runs (nothing when empty).
fn push_runs<'a>(value: &Readable<'a>, ctx: &'a RenderContext, line: &mut Vec<InlineRun<'a>>) {
    match value {
        Readable::Empty => {}
        Readable::RichText(runs) => line.extend(inline_runs(runs, ctx)),
        Readable::Text(s) => line.push(InlineRun::text(s.clone())),
        Readable::Number(n) => line.push(InlineRun::text(n.to_string())),
        Readable::Bool(b) => line.push(InlineRun::text(if *b { "Yes" } else { "No" })),
        Readable::Date(date) => line.push(InlineRun::text(date_text(date))),
        Readable::Page(id) => match ctx.page_titles.get(*id) {
            Some(title) => line.push(InlineRun::link(title.clone(), page_url(id, ctx))),
            None => line.push(InlineRun::link(*id, page_url(id, ctx))),
        },
        Readable::List(items) => {
            let mut first = true;
            for item in items {
                let before = line.len();
                if !first {
                    line.push(InlineRun::text(", "));
                }
                let after_comma = line.len();
                push_runs(item, ctx, line);
                if line.len() == after_comma {
                    line.truncate(before);
                } else {
                    first = false;
                }
            }
        }
        Readable::Json(raw) => line.push(InlineRun::text(json_text(raw))),
    }
}

/// A raw value as text: a place by its name and address, anything else as compact JSON.
fn json_text(raw: &Value) -> String {
    let field = |key: &str| {
        raw.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match (field("name"), field("address")) {
        (Some(name), Some(address)) => format!("{name}, {address}"),
        (Some(one), None) | (None, Some(one)) => one.to_string(),
        (None, None) => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_kind() {
        assert_eq!(number_json(3.0), Value::from(3));
        assert_eq!(number_json(2.5), Value::from(2.5));
        assert_eq!(number_json(f64::NAN), Value::Null);
    }

    #[test]
    fn unique_ids_read_like_notion() {
        let id = UniqueId {
            prefix: Some("TASK".into()),
            number: Some(42),
        };
        assert_eq!(unique_id(&id).as_deref(), Some("TASK-42"));
        let bare = UniqueId {
            prefix: None,
            number: Some(7),
        };
        assert_eq!(unique_id(&bare).as_deref(), Some("7"));
    }
}
