//! Reading an OpenAPI (3.x) or Swagger (2.0) JSON document into operations.
//!
//! Paths are resolved as the document says: against its `servers` (relative to the
//! document's own URL, absolute, `{variables}` filled with their defaults) or Swagger
//! 2's `host` + `basePath`. A server that names the app under another host
//! (`localhost:8000`, an internal name, the same host on another port) is mapped onto
//! the origin that served the document: documents are often written where the app was
//! developed, not where it runs.

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
/// Servers of one document looked at.
const MAX_SERVERS: usize = 10;

/// One operation of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub method: String,
    /// The URL with `{param}` placeholders kept (the route's pattern).
    pub url: Url,
    /// The URL with every path placeholder filled from the document's examples,
    /// defaults or enums; `None` when one cannot be filled (it is never sent as is).
    pub example_url: Option<Url>,
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
        let item = resolve_ref(doc, item);
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
            let Some(url) = under(&base, path) else {
                continue;
            };
            let op_params = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            // An operation's parameter overrides the path item's of the same name and place.
            let mut resolved: Vec<Value> = Vec::new();
            for p in op_params.iter().chain(shared_params.iter()) {
                let p = resolve_ref(doc, p);
                let same = |q: &Value| q.get("name") == p.get("name") && q.get("in") == p.get("in");
                if !resolved.iter().any(same) {
                    resolved.push(p);
                }
            }
            let mut params = Vec::new();
            let mut filled: Vec<(String, String)> = Vec::new();
            for p in &resolved {
                let (Some(name), Some(location)) = (
                    p.get("name").and_then(Value::as_str),
                    p.get("in").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if location == "body" {
                    continue;
                }
                if location == "path"
                    && let Some(v) = param_example(doc, p)
                {
                    filled.push((name.to_string(), v));
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
            let example_url = fill_path(path, &filled).and_then(|p| under(&base, &p));
            let schema = json_body_schema(op)
                .or_else(|| {
                    resolved
                        .iter()
                        .find(|p| p.get("in").and_then(Value::as_str) == Some("body"))
                        .and_then(|p| p.get("schema"))
                })
                .map(|s| resolve_ref(doc, s));
            let body_example = schema.as_ref().map(|s| example(doc, s, 0));
            if let Some(Value::Object(props)) = schema.as_ref().map(|s| merged_properties(doc, s)) {
                let required = required_of(doc, schema.as_ref().unwrap_or(&Value::Null));
                for name in props.keys() {
                    params.push(Param {
                        name: name.clone(),
                        location: "body".into(),
                        required: required.contains(name),
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
                example_url,
                params,
                body_example,
                requires_auth,
            });
        }
    }
    ops
}

/// `path` (as the document writes it) under the server's base path.
fn under(base: &Url, path: &str) -> Option<Url> {
    let mut u = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    u.set_path(&joined);
    u.set_query(None);
    u.set_fragment(None);
    Some(u)
}

/// The operation's JSON request body schema: `application/json`, or any JSON media
/// type (`application/vnd.api+json`, `application/json; charset=utf-8`).
fn json_body_schema(op: &Value) -> Option<&Value> {
    let content = op.pointer("/requestBody/content")?.as_object()?;
    content
        .get("application/json")
        .or_else(|| {
            content
                .iter()
                .find(|(t, _)| t.contains("json"))
                .map(|(_, v)| v)
        })?
        .get("schema")
}

/// `path` with every `{name}` replaced by its value; `None` when one has none.
fn fill_path(path: &str, values: &[(String, String)]) -> Option<String> {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}')? + start;
        let name = &rest[start + 1..end];
        let value = values.iter().find(|(n, _)| n == name)?;
        out.push_str(&rest[..start]);
        out.push_str(&crate::model::path_segment(&value.1));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// A path parameter's value as the document gives it: `example`, the first of
/// `examples`, the schema's `example`, `default` or first `enum` value (Swagger 2 keeps
/// `default`, `enum` and `x-example` on the parameter itself).
fn param_example(doc: &Value, p: &Value) -> Option<String> {
    let schema = p.get("schema").map(|s| resolve_ref(doc, s));
    let from_examples = p.get("examples").and_then(|e| match e {
        Value::Object(m) => m
            .values()
            .next()
            .map(|x| resolve_ref(doc, x))
            .and_then(|x| x.get("value").cloned()),
        Value::Array(a) => a.first().cloned(),
        _ => None,
    });
    let candidates = [
        p.get("example").cloned(),
        from_examples,
        p.get("x-example").cloned(),
        schema.as_ref().and_then(|s| s.get("example").cloned()),
        schema.as_ref().and_then(|s| s.get("default").cloned()),
        p.get("default").cloned(),
        schema
            .as_ref()
            .and_then(|s| s.get("enum")?.as_array()?.first().cloned()),
        p.get("enum").and_then(|e| e.as_array()?.first().cloned()),
    ];
    candidates.into_iter().flatten().find_map(|v| match v {
        Value::String(s) if !s.is_empty() && s.len() <= 256 => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// Where the document's paths live. OpenAPI 3: the first server that names the app
/// (see [`onto_app`]), else the first server, else `/` (the spec's default). Swagger 2:
/// `schemes`, `host` (default: the document's) and `basePath`.
fn server_base(doc_url: &Url, doc: &Value) -> Url {
    let root = doc_url.join("/").unwrap_or_else(|_| doc_url.clone());
    if let Some(servers) = doc.get("servers").and_then(Value::as_array) {
        let bases: Vec<Url> = servers
            .iter()
            .take(MAX_SERVERS)
            .filter_map(|s| server_url(s).and_then(|text| doc_url.join(&text).ok()))
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| onto_app(doc_url, u))
            .collect();
        return bases
            .iter()
            .find(|u| u.origin() == doc_url.origin())
            .or(bases.first())
            .cloned()
            .unwrap_or(root);
    }
    if doc.get("swagger").is_some() {
        let base_path = doc.get("basePath").and_then(Value::as_str).unwrap_or("/");
        let base_path = format!("/{}", base_path.trim_start_matches('/'));
        let Some(host) = doc.get("host").and_then(Value::as_str) else {
            return root.join(&base_path).unwrap_or(root);
        };
        let schemes: Vec<&str> = doc
            .get("schemes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let scheme = if schemes.contains(&doc_url.scheme()) || schemes.is_empty() {
            doc_url.scheme()
        } else {
            schemes[0]
        };
        if let Ok(u) = Url::parse(&format!("{scheme}://{host}{base_path}")) {
            return onto_app(doc_url, u);
        }
    }
    root
}

/// A server object's URL with its `{variables}` replaced by their defaults (or first
/// enum value); `None` when one has neither.
fn server_url(server: &Value) -> Option<String> {
    let text = server.get("url")?.as_str()?;
    let vars = server.get("variables").and_then(Value::as_object);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}')? + start;
        let name = &rest[start + 1..end];
        let var = vars?.get(name)?;
        let value = var
            .get("default")
            .and_then(Value::as_str)
            .or_else(|| var.get("enum")?.as_array()?.first()?.as_str())?;
        out.push_str(&rest[..start]);
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(if out.is_empty() { "/".into() } else { out })
}

/// `server` moved onto the origin that served the document when it names the same app
/// under a development or internal name: a loopback or unspecified address,
/// `localhost`, a name without dots (a container or service name), or the document's
/// own host on another port. Another public host stays as written (the scope decides).
fn onto_app(doc_url: &Url, server: Url) -> Url {
    if server.origin() == doc_url.origin() {
        return server;
    }
    let same_app = match server.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost"
                || name.ends_with(".localhost")
                || !name.contains('.')
                || Some(name.as_str()) == doc_url.host_str()
        }
        None => false,
    };
    if !same_app {
        return server;
    }
    let mut u = doc_url.clone();
    u.set_path(server.path());
    u.set_query(None);
    u.set_fragment(None);
    u
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

/// The properties of a schema, its `allOf` parts' merged in.
fn merged_properties(doc: &Value, schema: &Value) -> Value {
    let mut out = Map::new();
    collect_properties(doc, schema, &mut out, 0);
    Value::Object(out)
}

fn collect_properties(doc: &Value, schema: &Value, out: &mut Map<String, Value>, depth: usize) {
    if depth > 6 {
        return;
    }
    let schema = resolve_ref(doc, schema);
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_properties(doc, part, out, depth + 1);
    }
}

/// The required property names of a schema and its `allOf` parts.
fn required_of(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve_ref(doc, schema);
    let mut out: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(20)
    {
        let part = resolve_ref(doc, part);
        out.extend(
            part.get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from),
        );
    }
    out
}

/// A schema's type: the first non-null one of OpenAPI 3.1's type lists.
fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// A value for a schema the app should accept: its example (or first of 3.1's
/// `examples`), default or first enum value, else one built from its type, format and
/// bounds; objects get their properties except `readOnly` ones (the server sets those).
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve_ref(doc, schema);
    if depth > 6 {
        return Value::Null;
    }
    let given = schema
        .get("example")
        .or_else(|| schema.get("examples").and_then(|e| e.as_array()?.first()))
        .or_else(|| schema.get("default"))
        .or_else(|| schema.get("enum").and_then(|e| e.as_array()?.first()))
        .or_else(|| schema.get("const"));
    if let Some(e) = given {
        return e.clone();
    }
    if schema.get("allOf").is_some() {
        let mut merged = Map::new();
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Value::Object(m) = example(doc, part, depth + 1) {
                merged.extend(m);
            }
        }
        if let Value::Object(m) = object_example(doc, &schema, depth) {
            merged.extend(m);
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
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    match type_of(&schema) {
        Some("object") | None if schema.get("properties").is_some() => {
            object_example(doc, &schema, depth)
        }
        Some("array") => {
            let item = schema
                .get("items")
                .map(|i| example(doc, i, depth + 1))
                .unwrap_or(Value::String("prodready".into()));
            let n = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 5);
            Value::Array(vec![item; n as usize])
        }
        Some("integer") => {
            let low = number("minimum")
                .map(|m| m.ceil())
                .or(number("exclusiveMinimum").map(|m| m.floor() + 1.0))
                .unwrap_or(1.0)
                .max(1.0);
            let high = number("maximum").unwrap_or(f64::MAX);
            Value::from(low.min(high) as i64)
        }
        Some("number") => {
            let low = number("minimum").unwrap_or(1.0).max(1.0);
            let high = number("maximum").unwrap_or(f64::MAX);
            Value::from(low.min(high))
        }
        Some("boolean") => Value::Bool(false),
        Some("string") => Value::String(string_example(&schema)),
        _ => Value::Object(Map::new()),
    }
}

fn object_example(doc: &Value, schema: &Value, depth: usize) -> Value {
    let mut m = Map::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let v = resolve_ref(doc, v);
            if v.get("readOnly").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            m.insert(k.clone(), example(doc, &v, depth + 1));
        }
    }
    Value::Object(m)
}

/// A string of the schema's format, within its length bounds.
fn string_example(schema: &Value) -> String {
    let text: String = match schema.get("format").and_then(Value::as_str) {
        Some("email") | Some("idn-email") => "prodready@example.invalid".into(),
        Some("uuid") => "00000000-0000-4000-8000-000000000000".into(),
        Some("date-time") => "2026-01-01T00:00:00Z".into(),
        Some("date") => "2026-01-01".into(),
        Some("time") => "12:00:00Z".into(),
        Some("uri") | Some("url") | Some("iri") => "https://example.invalid/".into(),
        Some("hostname") | Some("idn-hostname") => "example.invalid".into(),
        Some("ipv4") => "192.0.2.1".into(),
        Some("ipv6") => "2001:db8::1".into(),
        Some("byte") => "cHJvZHJlYWR5".into(),
        Some("password") => "Prodready-Passw0rd!".into(),
        Some("phone") => "+15555550100".into(),
        _ => "prodready".into(),
    };
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |m| m as usize);
    let mut text = text;
    while text.len() < min.min(1024) {
        text.push('x');
    }
    if text.len() > max {
        text.truncate(max.max(1));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc_url() -> Url {
        Url::parse("http://127.0.0.1:1/openapi.json").unwrap()
    }

    fn paths_of(ops: &[Operation]) -> Vec<(String, String)> {
        ops.iter()
            .map(|o| (o.method.clone(), o.url.path().to_string()))
            .collect()
    }

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
        assert!(is_openapi(&doc));
        let ops = operations(&doc_url(), &doc);
        let get = ops.iter().find(|o| o.method == "GET").unwrap();
        assert_eq!(get.url.path(), "/api/items/%7Bid%7D");
        assert_eq!(
            get.example_url, None,
            "an unfillable placeholder is no example"
        );
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

    #[test]
    fn servers_on_development_hosts_map_onto_the_documents_origin() {
        let paths = json!({"/users/register": {"post": {}}});
        for server in [
            "http://localhost:8000/api/v1",
            "http://127.0.0.1:5000/api/v1",
            "http://backend:8080/api/v1",
            "http://127.0.0.1:9/api/v1",
            "/api/v1",
            "/api/v1/",
        ] {
            let doc = json!({"openapi": "3.0.0", "servers": [{"url": server}], "paths": paths});
            let ops = operations(&doc_url(), &doc);
            assert_eq!(
                ops[0].url.as_str(),
                "http://127.0.0.1:1/api/v1/users/register",
                "server {server}"
            );
        }
        // A public host of its own stays as written: the scope decides about it.
        let doc = json!({"openapi": "3.0.0", "servers": [{"url": "https://api.example.com/v2"}], "paths": paths});
        assert_eq!(
            operations(&doc_url(), &doc)[0].url.as_str(),
            "https://api.example.com/v2/users/register"
        );
        // Unless another server names the app itself.
        let doc = json!({"openapi": "3.0.0", "servers": [{"url": "https://api.example.com/v2"}, {"url": "http://localhost:3000/v2"}], "paths": paths});
        assert_eq!(
            operations(&doc_url(), &doc)[0].url.as_str(),
            "http://127.0.0.1:1/v2/users/register"
        );
    }

    #[test]
    fn relative_servers_and_variables_resolve_against_the_document() {
        let nested = Url::parse("http://127.0.0.1:1/docs/api/openapi.json").unwrap();
        let paths = json!({"/ping": {"get": {}}});
        let relative = json!({"openapi": "3.1.0", "servers": [{"url": "v1"}], "paths": paths});
        assert_eq!(
            operations(&nested, &relative)[0].url.path(),
            "/docs/api/v1/ping"
        );
        let none = json!({"openapi": "3.1.0", "paths": paths});
        assert_eq!(operations(&nested, &none)[0].url.path(), "/ping");
        let vars = json!({"openapi": "3.0.0", "servers": [{
            "url": "{scheme}://{host}:{port}/{base}",
            "variables": {"scheme": {"default": "http"}, "host": {"default": "localhost"},
                          "port": {"enum": ["8443"], "default": "8443"}, "base": {"enum": ["api", "beta"]}}
        }], "paths": paths});
        assert_eq!(
            operations(&doc_url(), &vars)[0].url.as_str(),
            "http://127.0.0.1:1/api/ping"
        );
        let undefined =
            json!({"openapi": "3.0.0", "servers": [{"url": "/{tenant}/api"}], "paths": paths});
        assert_eq!(operations(&doc_url(), &undefined)[0].url.path(), "/ping");
    }

    #[test]
    fn swagger_2_uses_host_and_base_path() {
        let doc = json!({
            "swagger": "2.0", "host": "localhost:8000", "basePath": "/api/v2", "schemes": ["https"],
            "paths": {"/pets/{petId}": {"get": {"parameters": [
                {"name": "petId", "in": "path", "required": true, "type": "integer", "x-example": 12}
            ]}}, "/pets": {"post": {"parameters": [{"name": "body", "in": "body", "schema": {"$ref": "#/definitions/Pet"}}]}}},
            "definitions": {"Pet": {"type": "object", "required": ["name"], "properties": {
                "id": {"type": "integer", "readOnly": true}, "name": {"type": "string", "minLength": 12},
                "status": {"type": "string", "enum": ["available", "sold"]}}}}
        });
        let mut ops = operations(&doc_url(), &doc);
        ops.sort_by(|a, b| a.method.cmp(&b.method));
        assert_eq!(
            paths_of(&ops),
            [
                ("GET".into(), "/api/v2/pets/%7BpetId%7D".into()),
                ("POST".into(), "/api/v2/pets".into())
            ]
        );
        assert_eq!(
            ops[0].example_url.as_ref().map(Url::as_str),
            Some("http://127.0.0.1:1/api/v2/pets/12")
        );
        assert_eq!(
            ops[1].body_example,
            Some(json!({"name": "prodreadyxxx", "status": "available"}))
        );
        let no_host = json!({"swagger": "2.0", "basePath": "/v1", "paths": {"/a": {"get": {}}}});
        assert_eq!(
            operations(&doc_url(), &no_host)[0].url.as_str(),
            "http://127.0.0.1:1/v1/a"
        );
    }

    #[test]
    fn path_placeholders_are_filled_from_examples_defaults_and_enums() {
        let doc = json!({
            "openapi": "3.0.0",
            "paths": {
                "/orgs/{org}/projects/{projectId}": {
                    "parameters": [{"$ref": "#/components/parameters/Org"}],
                    "get": {"parameters": [{"name": "projectId", "in": "path", "required": true,
                        "examples": {"first": {"value": "3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b"}}}]}
                },
                "/reports/{kind}": {"get": {"parameters": [{"name": "kind", "in": "path",
                    "schema": {"type": "string", "enum": ["daily", "weekly"]}}]}},
                "/files/{name}": {"get": {"parameters": [{"name": "name", "in": "path",
                    "schema": {"type": "string", "default": "read me.txt"}}]}}
            },
            "components": {"parameters": {"Org": {"name": "org", "in": "path", "required": true, "example": "acme"}}}
        });
        let examples: Vec<String> = operations(&doc_url(), &doc)
            .into_iter()
            .filter_map(|o| o.example_url.map(|u| u.path().to_string()))
            .collect();
        assert_eq!(
            examples,
            [
                "/files/read%20me.txt",
                "/orgs/acme/projects/3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b",
                "/reports/daily"
            ]
        );
    }

    #[test]
    fn bodies_follow_the_schema() {
        let doc = json!({
            "openapi": "3.0.0",
            "paths": {"/signup": {"post": {"requestBody": {"content": {"application/json; charset=utf-8": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "required": ["email"], "properties": {
                    "email": {"type": "string", "format": "email"},
                    "born": {"type": "string", "format": "date"},
                    "age": {"type": "integer", "minimum": 18, "maximum": 130},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "address": {"type": "object", "properties": {"zip": {"type": "string", "maxLength": 5}}},
                    "nick": {"type": ["string", "null"]}
                }}]
            }}}}}}},
            "components": {"schemas": {"Base": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string", "format": "uuid"}, "plan": {"type": "string", "enum": ["free", "pro"]}}}}}
        });
        let op = &operations(&doc_url(), &doc)[0];
        assert_eq!(
            op.body_example,
            Some(json!({
                "id": "00000000-0000-4000-8000-000000000000", "plan": "free",
                "email": "prodready@example.invalid", "born": "2026-01-01", "age": 18,
                "tags": ["prodready"], "address": {"zip": "prodr"}, "nick": "prodready"
            }))
        );
        let required: Vec<&str> = op
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(required, ["email", "id"]);
    }
}
