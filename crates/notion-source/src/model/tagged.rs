//! Notion's "tagged object" shape, `{"type": "x", "x": {...}}`, as Rust enums.
//!
//! Notion encodes most variant types (blocks, rich text, mentions, property
//! values, file sources, icons) as an object whose `type` names a sibling key
//! holding the variant's content. [`notion_tagged!`] turns a list of
//! `Variant(Content) = "tag"` lines into an enum with an `Unknown` fallback, so
//! a type Notion adds tomorrow deserializes today and keeps its raw JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A variant this crate does not know (or whose content did not parse), kept as
/// raw JSON so nothing is lost and later stages can mark it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnknownType {
    /// The `type` string Notion sent.
    pub type_name: String,
    /// The content under the `type` key, as sent (`null` when absent).
    pub raw: Value,
    /// Why a known type fell back here: the parse error of its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Declares a Notion tagged enum with serde support and an `Unknown` variant.
///
/// Deserializes from a JSON object with a `type` field and the content under
/// the key of that name; other keys are ignored (so the enum can be
/// `#[serde(flatten)]`ed into a struct that reads its sibling fields).
macro_rules! notion_tagged {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($content:ty) = $tag:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant($content), )*
            /// A type this crate does not know, or whose content did not parse.
            Unknown($crate::model::tagged::UnknownType),
        }

        impl $name {
            /// Every `type` string this enum knows, in declaration order.
            pub const TYPE_NAMES: &[&str] = &[$( $tag, )*];

            /// The `type` string of this value, as Notion names it.
            pub fn type_name(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $tag, )*
                    Self::Unknown(u) => &u.type_name,
                }
            }

            /// Builds the value from its `type` string and the content under it.
            pub fn from_parts(type_name: &str, content: serde_json::Value) -> Self {
                match type_name {
                    $( $tag => match <$content as serde::Deserialize>::deserialize(&content) {
                        Ok(c) => Self::$variant(c),
                        Err(e) => Self::Unknown($crate::model::tagged::UnknownType {
                            type_name: type_name.to_string(),
                            raw: content,
                            error: Some(e.to_string()),
                        }),
                    }, )*
                    other => Self::Unknown($crate::model::tagged::UnknownType {
                        type_name: other.to_string(),
                        raw: content,
                        error: None,
                    }),
                }
            }

            /// The `type` string and the content, as Notion would send them.
            pub fn to_parts(&self) -> (String, serde_json::Value) {
                match self {
                    $( Self::$variant(c) => ($tag.to_string(), serde_json::to_value(c).unwrap_or(serde_json::Value::Null)), )*
                    Self::Unknown(u) => (u.type_name.clone(), u.raw.clone()),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let mut map = <serde_json::Map<String, serde_json::Value> as serde::Deserialize>::deserialize(deserializer)?;
                let type_name = match map.get("type") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    _ => return Err(<D::Error as serde::de::Error>::missing_field("type")),
                };
                let content = map.remove(&type_name).unwrap_or(serde_json::Value::Null);
                Ok(Self::from_parts(&type_name, content))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let (type_name, content) = self.to_parts();
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", &type_name)?;
                map.serialize_entry(&type_name, &content)?;
                map.end()
            }
        }
    };
}
pub(crate) use notion_tagged;

/// Deserializes `null` as the type's default (Notion sends `null` for many
/// empty lists and strings).
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
