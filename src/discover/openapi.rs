//! Reading an OpenAPI (3.x) or Swagger (2.0) JSON document into operations.

use serde_json::{Map, Value};
use url::Url;

use super::inventory::Param;

/// Paths where apps commonly publish their API description.
pub const WELL_KNOWN: &[&str] = &[
    "/openapi.json",
    "/swagger.json",
    "/api/openapi.json",
    "/api/swagger.json",
    "/v3/api-docs",
    "/v2/api-docs",
    "/api-docs",
    "/swagger/v1/swagger.json",
    "/api/docs/openapi.json",
    "/docs/openapi.json",
];

/// Paths read from one document at most; the body cap bounds the document itself,
/// this bounds the inventory it makes (the scaling benchmark reads 10,000).
const MAX_PATHS: usize = 20_000;

/// One operation of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub method: String,
    /// The concrete URL with `{param}` placeholders kept.
    pub url: Url,
    pub params: Vec<Param>,
    pub body_example: Option<Value>,
    pub requires_auth: Option<bool>,
}

/// Whether a JSON value is an API description.
pub fn is_openapi(v: &Value) -> bool {
    v.get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with('3'))
        || v.get("swagger")
            .and_then(Value::as_str)
            .is_some_and(|s| s.starts_with('2'))
}

/// Reads the operations of a document fetched from `doc_url`.
pub fn operations(doc_url: &Url, doc: &Value) -> Vec<Operation> {
    let base = server_base(doc_url, doc);
    let global_security = doc
        .get("security")
        .and_then(Value::as_array)
        .map(|a| !a.is_empty());
    let mut ops = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    for (path, item) in paths.iter().take(MAX_PATHS) {
        let Some(item) = item.as_object() else {
            continue;
        };
        let shared_params = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (method, op) in item {
            let method = method.to_ascii_uppercase();
            if !matches!(
                method.as_str(),
                "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
            ) {
                continue;
            }
            let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
            let Ok(url) = base.join(&joined) else {
                continue;
            };
            let mut params = Vec::new();
            let op_params = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for p in shared_params.iter().chain(op_params.iter()) {
                let p = resolve_ref(doc, p);
                let (Some(name), Some(location)) = (
                    p.get("name").and_then(Value::as_str),
                    p.get("in").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if location == "body" {
                    continue;
                }
                params.push(Param {
                    name: name.to_string(),
                    location: location.to_string(),
                    required: p
                        .get("required")
                        .and_then(Value::as_bool)
                        .unwrap_or(location == "path"),
                });
            }
            let schema = op
                .pointer("/requestBody/content/application~1json/schema")
                .or_else(|| {
                    op_params
                        .iter()
                        .find(|p| p.get("in").and_then(Value::as_str) == Some("body"))
                        .and_then(|p| p.get("schema"))
                })
                .map(|s| resolve_ref(doc, s));
            let body_example = schema.as_ref().map(|s| example(doc, s, 0));
            if let Some(Value::Object(props)) = schema.as_ref().and_then(|s| s.get("properties")) {
                let required: Vec<&str> = schema
                    .as_ref()
                    .and_then(|s| s.get("required"))
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for name in props.keys() {
                    params.push(Param {
                        name: name.clone(),
                        location: "body".into(),
                        required: required.contains(&name.as_str()),
                    });
                }
            }
            let requires_auth = op
                .get("security")
                .and_then(Value::as_array)
                .map(|a| !a.is_empty())
                .or(global_security);
            ops.push(Operation {
                method,
                url,
                params,
                body_example,
                requires_auth,
            });
        }
    }
    ops
}

fn server_base(doc_url: &Url, doc: &Value) -> Url {
    if let Some(server) = doc.pointer("/servers/0/url").and_then(Value::as_str)
        && let Ok(u) = doc_url.join(server)
    {
        // Only a same-origin server is used; another origin stays out of scope.
        if u.origin() == doc_url.origin() {
            return u;
        }
    }
    if let Some(base_path) = doc.get("basePath").and_then(Value::as_str)
        && let Ok(u) = doc_url.join(base_path)
    {
        return u;
    }
    doc_url.join("/").unwrap_or_else(|_| doc_url.clone())
}

fn resolve_ref(doc: &Value, v: &Value) -> Value {
    let mut current = v.clone();
    for _ in 0..8 {
        let Some(r) = current.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(pointer) = r.strip_prefix('#') else {
            break;
        };
        match doc.pointer(pointer) {
            Some(target) => current = target.clone(),
            None => break,
        }
    }
    current
}

/// A plausible example value for a schema: its example, first enum value, or a typed default.
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve_ref(doc, schema);
    if depth > 6 {
        return Value::Null;
    }
    if let Some(e) = schema.get("example").or_else(|| schema.get("default")) {
        return e.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(m) = example(doc, part, depth + 1) {
                merged.extend(m);
            }
        }
        return Value::Object(merged);
    }
    if let Some(one) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return example(doc, one, depth + 1);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None if schema.get("properties").is_some() => {
            let mut m = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    m.insert(k.clone(), example(doc, v, depth + 1));
                }
            }
            Value::Object(m)
        }
        Some("array") => Value::Array(
            schema
                .get("items")
                .map(|i| vec![example(doc, i, depth + 1)])
                .unwrap_or_default(),
        ),
        Some("integer") => Value::from(
            schema
                .get("minimum")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .max(1),
        ),
        Some("number") => Value::from(1.5),
        Some("boolean") => Value::Bool(false),
        Some("string") => Value::String(match schema.get("format").and_then(Value::as_str) {
            Some("email") => "prodready@example.invalid".into(),
            Some("uuid") => "00000000-0000-4000-8000-000000000000".into(),
            Some("date-time") => "2026-01-01T00:00:00Z".into(),
            Some("date") => "2026-01-01".into(),
            Some("uri") => "https://example.invalid/".into(),
            _ => "prodready".into(),
        }),
        _ => Value::Object(Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_carry_params_bodies_and_security() {
        let doc = json!({
            "openapi": "3.0.3",
            "servers": [{"url": "/api"}],
            "security": [{"bearer": []}],
            "paths": {
                "/items/{id}": {"parameters": [{"name": "id", "in": "path"}], "get": {}, "delete": {"security": []}},
                "/items": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}}
            },
            "components": {"schemas": {"Item": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "qty": {"type": "integer"}}}}}
        });
        let url = Url::parse("http://127.0.0.1:1/openapi.json").unwrap();
        assert!(is_openapi(&doc));
        let ops = operations(&url, &doc);
        let get = ops.iter().find(|o| o.method == "GET").unwrap();
        assert_eq!(get.url.path(), "/api/items/%7Bid%7D");
        assert_eq!(get.requires_auth, Some(true));
        assert_eq!(
            ops.iter()
                .find(|o| o.method == "DELETE")
                .unwrap()
                .requires_auth,
            Some(false)
        );
        let post = ops.iter().find(|o| o.method == "POST").unwrap();
        assert_eq!(
            post.body_example,
            Some(json!({"name": "prodready", "qty": 1}))
        );
        assert!(
            post.params
                .iter()
                .any(|p| p.name == "name" && p.required && p.location == "body")
        );
    }
}
