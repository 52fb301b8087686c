//! Discovery of apps unlike the test app: API descriptions written for another host,
//! relative servers, Swagger 2 base paths, `{id}` placeholders, endpoints only scripts
//! and event handlers name. Each app here is a small axum server that records what it
//! was asked, so the tests prove what discovery requested and what it never did.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request as AxumRequest;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prodready::auth::Identities;
use prodready::config::{Overrides, ProcessSource, ScanConfig};
use prodready::discover::{Inventory, Origin};
use prodready::http::{HttpLayer, HttpSettings, Redactor};
use serde_json::{Value, json};

type Seen = Arc<Mutex<Vec<String>>>;

/// What the app serves: its API description (at `doc_path`) and its pages.
#[derive(Clone)]
struct App {
    doc_path: &'static str,
    doc: Value,
}

fn html(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!doctype html><html><head><title>Varied</title></head><body>{body}</body></html>"
        ),
    )
        .into_response()
}

fn answer(app: &App, method: &str, path: &str) -> Response {
    let json_ok = |v: Value| (StatusCode::OK, axum::Json(v)).into_response();
    match (method, path) {
        ("GET", "/") => html(
            r#"<a href="/docs">API docs</a>
            <button onclick="location.href='/reports/weekly'">Reports</button>
            <div data-href="/board"></div>
            <script src="/main.js"></script>"#,
        ),
        ("GET", "/docs") => html(&format!(r#"<a href="{}">spec</a>"#, app.doc_path)),
        ("GET", "/reports/weekly") | ("GET", "/board") | ("GET", "/dashboard") => {
            html("<p>a page</p>")
        }
        ("GET", "/main.js") => (
            [(header::CONTENT_TYPE, "application/javascript")],
            r#"const API_ROOT="/svc";
               const routes=[{path:"/dashboard",component:D}];
               export const team=(id)=>fetch(`${API_ROOT}/teams/${id}`);
               export const save=(b)=>axios.put("/svc/profile",b);"#,
        )
            .into_response(),
        ("GET", p) if p == app.doc_path => json_ok(app.doc.clone()),
        ("GET", p) if p.ends_with("/users/7") => json_ok(json!({"id": 7, "name": "Seven"})),
        ("GET", p) if p.ends_with("/users") => json_ok(json!([{"id": 7, "name": "Seven"}])),
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

async fn spawn(app: App) -> (String, Seen) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let router = Router::new().fallback(move |req: AxumRequest| {
        let (app, log) = (app.clone(), log.clone());
        async move {
            let method = req.method().to_string();
            let path = req.uri().path().to_string();
            log.lock().expect("log").push(format!("{method} {path}"));
            answer(&app, &method, &path)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}"), seen)
}

fn config(base: &str) -> ScanConfig {
    let text = format!("[target]\nurl = \"{base}\"\n[limits]\nrate = 500\n");
    prodready::config::from_text(&text, "varied.toml", &ProcessSource, &Overrides::default())
        .expect("config resolves")
}

/// Discovery as the anonymous identity; the inventory and every request the app saw.
async fn discover(app: App) -> (Inventory, Vec<String>) {
    let (base, seen) = spawn(app).await;
    let config = config(&base);
    let http = HttpLayer::new(
        HttpSettings::from(&config.limits),
        config.scope.clone(),
        Redactor::new(),
    )
    .expect("client");
    let identities = Identities::from_config(&config);
    let inventory = prodready::discover::discover(&http, &identities, &config).await;
    let seen = seen.lock().expect("log").clone();
    (inventory, seen)
}

fn has(inv: &Inventory, method: &str, pattern: &str) -> bool {
    inv.endpoints()
        .any(|e| e.method == method && e.pattern == pattern)
}

/// No placeholder, encoded or not, ever reached the app, and no path was appended to
/// the document's own URL.
fn assert_sent_nothing_literal(seen: &[String], doc_path: &str) {
    for line in seen {
        let lower = line.to_ascii_lowercase();
        assert!(
            !lower.contains('{') && !lower.contains("%7b"),
            "a placeholder was sent: {line}"
        );
        assert!(
            !line.contains(&format!("{doc_path}/")),
            "a path was put under the document's URL: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_servers_entry_on_a_development_host_maps_onto_the_target() {
    let doc = json!({
        "openapi": "3.0.3",
        "servers": [{"url": "http://localhost:8000/api/v1"}],
        "paths": {
            "/users": {"get": {}, "post": {"requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "required": ["email"],
                "properties": {"email": {"type": "string", "format": "email"}, "id": {"type": "integer", "readOnly": true}}
            }}}}}},
            "/users/{userId}": {"get": {"parameters": [{"name": "userId", "in": "path", "required": true, "example": 7}]}},
            "/users/{userId}/keys/{keyId}": {"get": {"parameters": [
                {"name": "userId", "in": "path", "example": 7}, {"name": "keyId", "in": "path", "schema": {"type": "string"}}
            ]}}
        }
    });
    let doc_path = "/openapi.json";
    let (inv, seen) = discover(App { doc_path, doc }).await;
    assert!(
        has(&inv, "GET", "/api/v1/users"),
        "{:?}",
        inv.endpoints.keys()
    );
    assert!(has(&inv, "GET", "/api/v1/users/{id}"));
    assert!(has(&inv, "GET", "/api/v1/users/{id}/keys/{id}"));
    let post = inv
        .endpoints()
        .find(|e| e.method == "POST" && e.pattern == "/api/v1/users")
        .expect("POST /api/v1/users");
    assert_eq!(
        post.body_example,
        Some(json!({"email": "prodready@example.invalid"}))
    );
    // The example fills the placeholder; the one nothing fills is never requested.
    assert!(
        seen.contains(&"GET /api/v1/users/7".to_string()),
        "{seen:?}"
    );
    assert!(seen.contains(&"GET /api/v1/users".to_string()), "{seen:?}");
    assert_sent_nothing_literal(&seen, doc_path);
    // The document was read once, though the crawl met it and well-known paths exist.
    assert_eq!(seen.iter().filter(|l| l.ends_with(doc_path)).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relative_server_resolves_against_the_documents_url() {
    let doc = json!({
        "openapi": "3.1.0",
        "servers": [{"url": "../v2"}],
        "paths": {"/users/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "schema": {"type": "integer", "default": 7}}]}}}
    });
    let doc_path = "/specs/current/openapi.json";
    let (inv, seen) = discover(App { doc_path, doc }).await;
    assert_eq!(
        inv.openapi.as_deref().map(|u| u.ends_with(doc_path)),
        Some(true)
    );
    assert!(
        has(&inv, "GET", "/specs/v2/users/{id}"),
        "{:?}",
        inv.endpoints.keys()
    );
    assert!(
        seen.contains(&"GET /specs/v2/users/7".to_string()),
        "{seen:?}"
    );
    assert_sent_nothing_literal(&seen, doc_path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swagger_2_base_path_on_an_internal_host_is_used() {
    let doc = json!({
        "swagger": "2.0", "host": "backend:3000", "basePath": "/internal/api",
        "paths": {
            "/users/{userId}": {"get": {"parameters": [{"name": "userId", "in": "path", "type": "integer", "x-example": 7}]}},
            "/users": {"post": {"parameters": [{"name": "body", "in": "body", "schema": {"$ref": "#/definitions/NewUser"}}]}}
        },
        "definitions": {"NewUser": {"type": "object", "properties": {"role": {"type": "string", "enum": ["viewer", "editor"]}}}}
    });
    let doc_path = "/swagger.json";
    let (inv, seen) = discover(App { doc_path, doc }).await;
    assert!(
        has(&inv, "GET", "/internal/api/users/{id}"),
        "{:?}",
        inv.endpoints.keys()
    );
    let post = inv
        .endpoints()
        .find(|e| e.method == "POST" && e.pattern == "/internal/api/users")
        .expect("POST /internal/api/users");
    assert_eq!(post.body_example, Some(json!({"role": "viewer"})));
    assert!(
        seen.contains(&"GET /internal/api/users/7".to_string()),
        "{seen:?}"
    );
    assert_sent_nothing_literal(&seen, doc_path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_and_handlers_reveal_what_links_do_not() {
    let doc = json!({"openapi": "3.0.0", "paths": {}});
    let (inv, seen) = discover(App {
        doc_path: "/openapi.json",
        doc,
    })
    .await;
    // Pages reached only through onclick, data-href and the client-side router.
    for page in ["/reports/weekly", "/board", "/dashboard"] {
        assert!(seen.contains(&format!("GET {page}")), "{page}: {seen:?}");
    }
    // API calls built on the bundle's base constant, and a call site's method.
    let script = |m: &str, p: &str| {
        inv.endpoints()
            .any(|e| e.method == m && e.pattern == p && e.origins.contains(&Origin::Script))
    };
    assert!(
        script("GET", "/svc/teams/{id}"),
        "{:?}",
        inv.endpoints.keys()
    );
    assert!(script("PUT", "/svc/profile"), "{:?}", inv.endpoints.keys());
    assert_sent_nothing_literal(&seen, "/openapi.json");
}

/// A Rails- or Laravel-style form posts with a hidden `_method`: the edit form is a
/// PATCH, the delete form a DELETE, recorded as such (with how they are sent), so no
/// family takes the delete form for a POST it may send at will.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_a_method_field_is_the_method_it_names() {
    let server = testserver::spawn(testserver::Options {
        method_override_forms: true,
        ..Default::default()
    })
    .await
    .expect("test app starts");
    let config = crate::common::config(&server);
    let (http, identities) = crate::common::logged_in(&config).await;
    let inv = prodready::discover::discover(&http, &identities, &config).await;

    let key =
        |method: &str| prodready::model::EndpointKey::new(method, "/app/notes/{id}".to_string());
    for method in ["PATCH", "DELETE"] {
        let ep = inv.endpoints.get(&key(method)).unwrap_or_else(|| {
            panic!(
                "{method} /app/notes/{{id}} not in {:#?}",
                inv.endpoints.keys()
            )
        });
        assert!(ep.origins.contains(&Origin::Form), "{ep:?}");
        let sent_as = ep.sent_as.as_ref().expect("how the form sends it");
        assert_eq!(
            (sent_as.method.as_str(), sent_as.field.as_str()),
            ("POST", "_method")
        );
        assert!(
            ep.params.iter().all(|p| p.name != "_method"),
            "{:?}",
            ep.params
        );
    }
    assert!(
        inv.endpoints
            .get(&key("POST"))
            .is_none_or(|e| !e.origins.contains(&Origin::Form)),
        "the forms were taken for POSTs: {:?}",
        inv.endpoints.get(&key("POST"))
    );
    assert!(
        inv.forms.iter().any(|f| f.key() == key("DELETE")),
        "{:?}",
        inv.forms.iter().map(|f| f.key()).collect::<Vec<_>>()
    );
    server.shutdown().await;
}

/// The whole scan on the same app: the delete and edit forms are used on the notes the
/// scanner made (and removed) itself, never on the notes each organisation started with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_field_delete_form_is_sent_only_for_the_scanners_own_notes() {
    let server = testserver::spawn(testserver::Options {
        method_override_forms: true,
        ..Default::default()
    })
    .await
    .expect("test app starts");
    let _report = crate::common::scan(crate::common::config(&server)).await;
    // The pinned notes are the first rows: ids 1 and 2.
    let writes: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path_and_query.starts_with("/app/notes/"))
        .map(|r| r.path_and_query)
        .collect();
    for pinned in ["/app/notes/1", "/app/notes/2"] {
        assert!(
            !writes.iter().any(|w| w.starts_with(pinned)
                && w[pinned.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == '/' || c == '?')),
            "a form was sent for a note the scanner did not make: {writes:?}"
        );
    }
    assert!(
        !writes.is_empty(),
        "the scanner used the forms on its own notes"
    );
    server.shutdown().await;
}
