//! The id of an object in an app's JSON answer (a create answer, a row of a listing):
//! where a scan that made the object looks for its id when the config names none.
//!
//! The rules are generic conventions, tried in order, never any app's field names:
//! `id`, `uuid`, `_id`, `pk`, `guid`; then `<resource>_id`, `<resource>Id`,
//! `<resource>_uuid` for the collection the object belongs to (`experiment_id` in
//! `/experiments/create`); then, weaker, `slug`, `key` and `code` (text values only),
//! and a lone `*_id` key when the resource is unknown. Strong keys are tried at
//! the top level and one level down (`data.id`, `{"order": {...}}`) before weak ones,
//! so an envelope's `{"code": 0, "data": {"id": 5}}` yields 5.

use serde_json::{Map, Value};

/// Keys that name an object's own id in every convention.
const STRONG: &[&str] = &["id", "uuid", "_id", "pk", "guid"];
/// Keys that often are an object's id, but also other things: accepted as text only.
const WEAK: &[&str] = &["slug", "key", "code"];
/// Path segments that name an action or a version, not a collection.
const NOT_A_RESOURCE: &[&str] = &[
    "create", "new", "add", "insert", "post", "get", "read", "show", "update", "delete", "remove",
    "search", "list", "api", "rest", "rpc", "v1", "v2", "v3", "v4",
];

/// Where an id was found: its JSON pointer in the answer and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundId {
    pub pointer: String,
    pub value: String,
}

/// The collection an URL path creates or lists objects of, singular: `experiment` for
/// `/api/2.0/mlflow/experiments/create`, `order` for `/api/orders/`.
pub fn resource_of(path: &str) -> Option<String> {
    let seg = path
        .split('/')
        .rev()
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .find(|s| {
            !NOT_A_RESOURCE.contains(&s.as_str())
                && s.chars().any(|c| c.is_ascii_alphabetic())
                && !s
                    .chars()
                    .any(|c| c.is_ascii_digit() || c == '{' || c == '%')
        })?;
    let seg = seg.replace('-', "_");
    Some(singular(&seg))
}

fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if word.ends_with("sses") || word.ends_with("xes") || word.ends_with("ches") {
        word[..word.len() - 2].to_string()
    } else if let Some(stem) = word.strip_suffix('s')
        && !word.ends_with("ss")
    {
        stem.to_string()
    } else {
        word.to_string()
    }
}

/// The keys tried in `resource`'s objects, strong ones first, for error messages.
pub fn keys_tried(resource: Option<&str>) -> Vec<String> {
    let mut keys: Vec<String> = STRONG.iter().map(|k| k.to_string()).collect();
    keys.extend(resource_keys(resource));
    keys.extend(WEAK.iter().map(|k| k.to_string()));
    if resource.is_none() {
        keys.push("a lone *_id key".into());
    }
    keys
}

fn resource_keys(resource: Option<&str>) -> Vec<String> {
    let Some(r) = resource else {
        return Vec::new();
    };
    let camel = r
        .split('_')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_string()
            } else {
                let mut c = part.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        })
        .collect::<String>();
    vec![format!("{r}_id"), format!("{camel}Id"), format!("{r}_uuid")]
}

/// A scalar usable as an id: a non-empty short string or a number.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s.len() <= 200 => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The object's own id among its keys (this level only), strong keys only or all rules.
fn id_here(o: &Map<String, Value>, resource: Option<&str>, weak: bool) -> Option<(String, String)> {
    let strong = STRONG
        .iter()
        .map(|k| k.to_string())
        .chain(resource_keys(resource));
    for k in strong {
        if let Some(v) = o.get(&k).and_then(scalar) {
            return Some((k, v));
        }
    }
    if !weak {
        return None;
    }
    for k in WEAK {
        if let Some(Value::String(s)) = o.get(*k)
            && let Some(v) = scalar(&Value::String(s.clone()))
        {
            return Some((k.to_string(), v));
        }
    }
    if resource.is_some() {
        return None;
    }
    // With no collection name to go by, a single `*_id` key is the object's own id
    // (`{"experiment_id": "1"}`); with several (`org_id`, `user_id`) none is.
    let mut ids = o
        .iter()
        .filter(|(k, v)| is_id_key(k) && scalar(v).is_some());
    match (ids.next(), ids.next()) {
        (Some((k, v)), None) => Some((k.clone(), scalar(v)?)),
        _ => None,
    }
}

fn is_id_key(k: &str) -> bool {
    k.ends_with("_id")
        || k.ends_with("_uuid")
        || (k.ends_with("Id")
            && k.len() > 2
            && k[..k.len() - 2].ends_with(|c: char| c.is_ascii_lowercase()))
}

/// The id of the object a JSON answer describes, by the rules above.
pub fn find(answer: &Value, resource: Option<&str>) -> Option<FoundId> {
    find_with(answer, resource, true)
}

/// Like [`find`], with strong keys only: for objects registered without a read-back
/// (a guess here would be deleted at cleanup).
pub fn find_strong(answer: &Value, resource: Option<&str>) -> Option<FoundId> {
    find_with(answer, resource, false)
}

fn find_with(answer: &Value, resource: Option<&str>, weak: bool) -> Option<FoundId> {
    let top = answer.as_object()?;
    let passes: &[bool] = if weak { &[false, true] } else { &[false] };
    for &with_weak in passes {
        if let Some((k, v)) = id_here(top, resource, with_weak) {
            return Some(FoundId {
                pointer: format!("/{}", escape(&k)),
                value: v,
            });
        }
        // One level down: the object under `data`, its resource name, or any key.
        let mut inner: Vec<(&String, &Map<String, Value>)> = top
            .iter()
            .filter_map(|(k, v)| v.as_object().map(|o| (k, o)))
            .collect();
        inner.sort_by_key(|(k, _)| {
            !(k.as_str() == "data" || resource.is_some_and(|r| k.eq_ignore_ascii_case(r)))
        });
        for (outer, o) in inner {
            if let Some((k, v)) = id_here(o, resource, with_weak) {
                return Some(FoundId {
                    pointer: format!("/{}/{}", escape(outer), escape(&k)),
                    value: v,
                });
            }
        }
    }
    None
}

/// The value at a declared place: a JSON pointer (`/data/id`).
pub fn at(answer: &Value, pointer: &str) -> Option<String> {
    answer.pointer(pointer).and_then(scalar)
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The top-level keys of an answer (and of the objects one level down), for an error
/// that says what the answer held instead of an id.
pub fn keys_of(answer: &Value) -> String {
    let Some(top) = answer.as_object() else {
        return match answer {
            Value::Array(_) => "a JSON array".into(),
            _ => "no JSON object".into(),
        };
    };
    let keys: Vec<String> = top
        .iter()
        .take(20)
        .map(|(k, v)| match v.as_object() {
            Some(o) => format!(
                "{k}.{{{}}}",
                o.keys().take(10).cloned().collect::<Vec<_>>().join(", ")
            ),
            None => k.clone(),
        })
        .collect();
    if keys.is_empty() {
        "an empty object".into()
    } else {
        format!("keys {}", keys.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn found(v: Value, resource: Option<&str>) -> Option<(String, String)> {
        find(&v, resource).map(|f| (f.pointer, f.value))
    }

    #[test]
    fn resources_come_from_the_collection_not_the_verb() {
        assert_eq!(
            resource_of("/api/2.0/mlflow/experiments/create").as_deref(),
            Some("experiment")
        );
        assert_eq!(resource_of("/api/orders/").as_deref(), Some("order"));
        assert_eq!(
            resource_of("/api/v1/categories").as_deref(),
            Some("category")
        );
        assert_eq!(resource_of("/api/addresses").as_deref(), Some("address"));
        assert_eq!(resource_of("/api/line-items").as_deref(), Some("line_item"));
        assert_eq!(resource_of("/api/"), None);
    }

    #[test]
    fn ids_are_found_beyond_id() {
        let exp = Some("experiment");
        assert_eq!(
            found(json!({"experiment_id": "1"}), exp),
            Some(("/experiment_id".into(), "1".into()))
        );
        assert_eq!(
            found(json!({"experiment_id": "1"}), None),
            Some(("/experiment_id".into(), "1".into()))
        );
        assert_eq!(
            found(json!({"data": {"id": 7}}), None),
            Some(("/data/id".into(), "7".into()))
        );
        assert_eq!(
            found(json!({"itemId": 3, "name": "x"}), Some("item")),
            Some(("/itemId".into(), "3".into()))
        );
        // An order keyed by its code.
        assert_eq!(
            found(json!({"code": "ORD-9", "org_id": 2}), Some("order")),
            Some(("/code".into(), "ORD-9".into()))
        );
        // An envelope's numeric status code is not an id; the inner id is.
        assert_eq!(
            found(json!({"code": 0, "data": {"id": 5}}), None),
            Some(("/data/id".into(), "5".into()))
        );
        // Foreign keys are not the object's id.
        assert_eq!(found(json!({"org_id": 2, "user_id": 3}), None), None);
        assert_eq!(
            found(json!({"org_id": 2, "name": "x"}), Some("order")),
            None
        );
        assert_eq!(find_strong(&json!({"slug": "q3"}), None), None);
        assert_eq!(found(json!({"slug": "q3"}), None).unwrap().1, "q3");
    }

    #[test]
    fn declared_places_and_keys_read() {
        assert_eq!(
            at(&json!({"data": {"id": 4}}), "/data/id").as_deref(),
            Some("4")
        );
        assert_eq!(
            keys_of(&json!({"ok": true, "data": {"name": "x"}})),
            "keys data.{name}, ok"
        );
    }
}
