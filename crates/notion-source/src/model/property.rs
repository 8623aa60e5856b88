//! Page property values (the cells of a data source row, a page's title) and
//! data source property schemas.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{DateValue, NamedFile, User};
use super::rich_text::{IdRef, RichText};
use super::tagged::{UnknownType, notion_tagged, null_as_default};

/// A property value on a page: its id and typed value.
///
/// Parsing never fails: a value whose content does not fit its type, or
/// that has no `type` at all, becomes [`PropertyKind::Unknown`] with the
/// raw JSON and the parse error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyValue {
    /// Property id (`title` for the title property).
    pub id: String,
    /// The type and value.
    #[serde(flatten)]
    pub value: PropertyKind,
    /// Relations and people list at most 25 references; `true` when there are more
    /// (read them with the page-property endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
}

impl<'de> Deserialize<'de> for PropertyValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(PropertyValue::from_value(Value::deserialize(deserializer)?))
    }
}

impl PropertyValue {
    /// Builds a property value from its JSON, whatever it holds.
    pub fn from_value(value: Value) -> PropertyValue {
        let Value::Object(mut map) = value else {
            return PropertyValue {
                id: String::new(),
                value: PropertyKind::Unknown(UnknownType {
                    type_name: String::new(),
                    raw: value,
                    error: Some("a property value is not an object".into()),
                }),
                has_more: None,
            };
        };
        let id = match map.get("id") {
            Some(Value::String(id)) => id.clone(),
            _ => String::new(),
        };
        let has_more = map.get("has_more").and_then(Value::as_bool);
        let value = match map.get("type") {
            Some(Value::String(type_name)) => {
                let type_name = type_name.clone();
                let content = map.remove(&type_name).unwrap_or(Value::Null);
                PropertyKind::from_parts(&type_name, content)
            }
            _ => PropertyKind::Unknown(UnknownType {
                type_name: String::new(),
                raw: Value::Object(map),
                error: Some("a property value without a type".into()),
            }),
        };
        PropertyValue {
            id,
            value,
            has_more,
        }
    }
}

notion_tagged! {
    /// A property's type and value.
    pub enum PropertyKind {
        /// The page title.
        Title(Vec<RichText>) = "title",
        /// Rich text.
        RichText(Vec<RichText>) = "rich_text",
        /// A number.
        Number(Option<f64>) = "number",
        /// One option.
        Select(Option<SelectOption>) = "select",
        /// Several options.
        MultiSelect(Vec<SelectOption>) = "multi_select",
        /// A status.
        Status(Option<SelectOption>) = "status",
        /// A date or range.
        Date(Option<DateValue>) = "date",
        /// People or groups.
        People(Vec<User>) = "people",
        /// Files.
        Files(Vec<NamedFile>) = "files",
        /// A checkbox.
        Checkbox(bool) = "checkbox",
        /// A URL.
        Url(Option<String>) = "url",
        /// An e-mail address.
        Email(Option<String>) = "email",
        /// A phone number.
        PhoneNumber(Option<String>) = "phone_number",
        /// A formula's result.
        Formula(FormulaValue) = "formula",
        /// Related pages.
        Relation(Vec<IdRef>) = "relation",
        /// A rollup's result.
        Rollup(Rollup) = "rollup",
        /// Creation time.
        CreatedTime(String) = "created_time",
        /// Creator.
        CreatedBy(User) = "created_by",
        /// Last edit time.
        LastEditedTime(String) = "last_edited_time",
        /// Last editor.
        LastEditedBy(User) = "last_edited_by",
        /// An auto-incremented id such as `TASK-42`.
        UniqueId(UniqueId) = "unique_id",
        /// Wiki verification state.
        Verification(Verification) = "verification",
        /// A button (no value).
        Button(Value) = "button",
        /// A place (location).
        Place(Option<Value>) = "place",
    }
}

/// A select, multi-select or status option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectOption {
    /// Option id.
    #[serde(default)]
    pub id: Option<String>,
    /// Option name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Colour.
    #[serde(default)]
    pub color: Option<String>,
}

notion_tagged! {
    /// A formula's result, by its result type.
    pub enum FormulaValue {
        /// Text.
        String(Option<String>) = "string",
        /// A number.
        Number(Option<f64>) = "number",
        /// A boolean.
        Boolean(Option<bool>) = "boolean",
        /// A date.
        Date(Option<DateValue>) = "date",
    }
}

/// A rollup's result and the function that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollup {
    /// The result.
    #[serde(flatten)]
    pub value: RollupValue,
    /// `sum`, `count`, `show_original`...
    #[serde(default)]
    pub function: Option<String>,
}

notion_tagged! {
    /// A rollup's result, by its result type.
    pub enum RollupValue {
        /// A number.
        Number(Option<f64>) = "number",
        /// A date.
        Date(Option<DateValue>) = "date",
        /// The rolled-up values themselves.
        Array(Vec<PropertyKind>) = "array",
        /// A rollup the API cannot compute.
        Unsupported(Value) = "unsupported",
        /// A rollup over too many relations.
        Incomplete(Value) = "incomplete",
    }
}

/// An auto-incremented id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UniqueId {
    /// Prefix such as `TASK`.
    #[serde(default)]
    pub prefix: Option<String>,
    /// The number.
    #[serde(default)]
    pub number: Option<i64>,
}

/// Wiki verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// `verified`, `unverified` or `expired`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub state: String,
    /// Who verified.
    #[serde(default)]
    pub verified_by: Option<User>,
    /// Validity dates.
    #[serde(default)]
    pub date: Option<DateValue>,
}

/// A property in a data source's schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertySchema {
    /// Property id.
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    /// Property name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Property type (`title`, `select`, ...; unknown types are kept as strings).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Everything else (the type's configuration, options), as sent.
    #[serde(flatten)]
    pub config: serde_json::Map<String, Value>,
}
