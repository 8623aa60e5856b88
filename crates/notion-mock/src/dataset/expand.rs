//! The `repeat` construct of the dataset format: an array element
//! `{"repeat": N, "each": X}` becomes N copies of X, and
//! `{"repeat": N, "items": [X, Y]}` N copies of the whole list, spliced in.
//! Inside the copies every `{i}` in a string becomes the copy's number
//! (1-based); `"as": "j"` names the variable `{j}` instead, for nesting.

use serde_json::Value;

use super::DatasetError;

/// Expands every `repeat` element in `value`, outermost first.
pub(crate) fn expand_repeats(value: Value) -> Result<Value, DatasetError> {
    Ok(match value {
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match repeat_spec(&item)? {
                    Some((count, var, body, splice)) => {
                        for n in 1..=count {
                            let copy = substitute(body, &var, n);
                            let copy = expand_repeats(copy)?;
                            match (splice, copy) {
                                (true, Value::Array(list)) => out.extend(list),
                                (_, one) => out.push(one),
                            }
                        }
                    }
                    None => out.push(expand_repeats(item)?),
                }
            }
            Value::Array(out)
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, expand_repeats(v)?)))
                .collect::<Result<_, DatasetError>>()?,
        ),
        other => other,
    })
}

/// `(count, variable, body, splice)` when `item` is a repeat element.
fn repeat_spec(item: &Value) -> Result<Option<(u64, String, &Value, bool)>, DatasetError> {
    let Some(obj) = item.as_object() else {
        return Ok(None);
    };
    let Some(count) = obj.get("repeat") else {
        return Ok(None);
    };
    let count = count
        .as_u64()
        .ok_or_else(|| DatasetError::invalid("repeat", "`repeat` must be a count"))?;
    let var = obj
        .get("as")
        .and_then(Value::as_str)
        .unwrap_or("i")
        .to_string();
    match (obj.get("each"), obj.get("items")) {
        (Some(body), None) => Ok(Some((count, var, body, false))),
        (None, Some(body @ Value::Array(_))) => Ok(Some((count, var, body, true))),
        _ => Err(DatasetError::invalid(
            "repeat",
            "a repeat needs exactly one of `each` (an item) or `items` (a list)",
        )),
    }
}

/// Replaces `{var}` with `n` in every string (keys included) of `value`.
fn substitute(value: &Value, var: &str, n: u64) -> Value {
    let pattern = format!("{{{var}}}");
    let text = n.to_string();
    let sub = |s: &str| s.replace(&pattern, &text);
    match value {
        Value::String(s) => Value::String(sub(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, var, n)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (sub(k), substitute(v, var, n)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeats_expand_nested_and_spliced() {
        let doc = json!([
            "first",
            {"repeat": 2, "each": {"toggle": "T{i}", "children": [
                {"repeat": 3, "as": "j", "each": {"paragraph": "P{i}.{j}"}}
            ]}},
            {"repeat": 2, "items": ["a{i}", "b{i}"]}
        ]);
        let out = expand_repeats(doc).unwrap();
        let arr = out.as_array().unwrap();
        assert_eq!(arr.len(), 1 + 2 + 4);
        assert_eq!(arr[2]["toggle"], "T2");
        assert_eq!(arr[2]["children"].as_array().unwrap().len(), 3);
        assert_eq!(arr[2]["children"][2]["paragraph"], "P2.3");
        assert_eq!(arr[3], "a1");
        assert_eq!(arr[6], "b2");
    }

    #[test]
    fn malformed_repeat_is_an_error() {
        assert!(expand_repeats(json!([{"repeat": "x", "each": 1}])).is_err());
        assert!(expand_repeats(json!([{"repeat": 2}])).is_err());
    }
}
