//! Apps shaped unlike the bundled test app, the way real frameworks shape them: DRF-style
//! routes that need their trailing slash, an RPC-style API (create, get by query, delete
//! by POST body) whose ids are called `experiment_id`, a create answer with no id at
//! all, orders keyed by a `code`, and an activity log that is an HTML page.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::Request as AxumRequest;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use prodready::catalog::ProbeCatalog;
use prodready::config::{MapSource, Overrides, ProcessSource, ScanConfig};
use prodready::engine::canaries::{self, OwnedObjects};
use prodready::engine::{Context, Family};
use serde_json::{Value, json};

/// What the foreign app holds: objects per kind (owner tenant, JSON), what it logged.
#[derive(Default)]
struct State {
    next: u64,
    /// `things`, `experiments`, `notes`, `orders`: id (or code) -> (tenant, object).
    objects: BTreeMap<(String, String), (String, Value)>,
    /// The HTML activity log's rows.
    events: Vec<String>,
    /// `METHOD /path?query` of every request, in order.
    requests: Vec<String>,
    /// How the activity log answers: `html`, `text`, `forbidden`.
    feed: String,
    /// Whether deletes reach the activity log.
    log_deletes: bool,
}

type Shared = Arc<Mutex<State>>;

/// The foreign app on 127.0.0.1:0 and its state.
async fn spawn(feed: &str) -> (String, Shared) {
    let state: Shared = Arc::new(Mutex::new(State {
        feed: feed.to_string(),
        log_deletes: true,
        ..State::default()
    }));
    let shared = state.clone();
    let app = Router::new().fallback(move |req: AxumRequest| {
        let state = shared.clone();
        async move { handle(state, req).await }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

fn tenant(headers: &HeaderMap) -> Option<String> {
    match headers.get("authorization")?.to_str().ok()? {
        "Bearer foreign-token-a" => Some("a".into()),
        "Bearer foreign-token-b" => Some("b".into()),
        _ => None,
    }
}

fn json_answer(status: StatusCode, v: Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

async fn handle(state: Shared, req: AxumRequest) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    s.requests.push(format!(
        "{} {}{}",
        parts.method,
        path,
        if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        }
    ));
    let Some(who) = tenant(&parts.headers) else {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "not authenticated"}),
        );
    };
    let segs: Vec<&str> = path.split('/').collect();
    match (&parts.method, segs.as_slice()) {
        (&Method::GET, ["", "api", "me"]) => json_answer(StatusCode::OK, json!({"user": who})),
        (m, ["", "drf", "things", rest @ ..]) => drf(&mut s, &who, m, rest, body),
        (m, ["", "rpc", "experiments", action]) => rpc(&mut s, &who, m, action, &query, body),
        (&Method::POST, ["", "noid", "notes"]) => {
            s.next += 1;
            json_answer(StatusCode::CREATED, json!({"ok": true, "created": true}))
        }
        (m, ["", "shop", "orders"]) => orders(&mut s, &who, m, body),
        // A create answer whose only id-like value names an object that is not the new one.
        (&Method::POST, ["", "guess", "items"]) => {
            json_answer(StatusCode::CREATED, json!({"slug": "shared"}))
        }
        (&Method::GET, ["", "guess", "items", "shared"]) => {
            json_answer(StatusCode::OK, json!({"name": "a real user's item"}))
        }
        (&Method::GET, ["", "activity"]) => activity(&s),
        _ => json_answer(StatusCode::NOT_FOUND, json!({"detail": "Not found."})),
    }
}

/// Django REST framework: `/drf/things/` and `/drf/things/<id>/`, nothing without the slash.
fn drf(s: &mut State, who: &str, m: &Method, rest: &[&str], body: Value) -> Response {
    match (m, rest) {
        (&Method::POST, [""]) => {
            s.next += 1;
            let id = s.next.to_string();
            let obj = json!({"id": s.next, "name": body["name"]});
            s.objects
                .insert(("things".into(), id), (who.into(), obj.clone()));
            json_answer(StatusCode::CREATED, obj)
        }
        (m, [id, ""]) => {
            let key = ("things".to_string(), id.to_string());
            match s.objects.get(&key) {
                Some((owner, obj)) if owner == who => {
                    if m == Method::DELETE {
                        s.objects.remove(&key);
                        StatusCode::NO_CONTENT.into_response()
                    } else {
                        json_answer(StatusCode::OK, obj.clone())
                    }
                }
                _ => json_answer(StatusCode::NOT_FOUND, json!({"detail": "Not found."})),
            }
        }
        _ => json_answer(StatusCode::NOT_FOUND, json!({"detail": "Not found."})),
    }
}

/// MLflow-style RPC: `create` answers `{"experiment_id": "N"}`, `get?experiment_id=N`,
/// `delete` with `{"experiment_id": "N"}`.
fn rpc(s: &mut State, who: &str, m: &Method, action: &str, query: &str, body: Value) -> Response {
    let missing = || {
        json_answer(
            StatusCode::NOT_FOUND,
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST"}),
        )
    };
    match (m, action) {
        (&Method::POST, "create") => {
            s.next += 1;
            let id = s.next.to_string();
            let name = body["name"].as_str().unwrap_or_default().to_string();
            let obj = json!({"experiment_id": id, "name": name});
            s.objects
                .insert(("experiments".into(), id.clone()), (who.into(), obj));
            s.events.push(format!(
                "{who}@foreign.test created experiment {id} ({name}) from 127.0.0.1"
            ));
            json_answer(StatusCode::OK, json!({"experiment_id": id}))
        }
        (&Method::GET, "get") => {
            let id = query.strip_prefix("experiment_id=").unwrap_or_default();
            match s.objects.get(&("experiments".to_string(), id.to_string())) {
                Some((owner, obj)) if owner == who => {
                    json_answer(StatusCode::OK, json!({"experiment": obj}))
                }
                _ => missing(),
            }
        }
        (&Method::POST, "delete") => {
            let id = body["experiment_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let key = ("experiments".to_string(), id.clone());
            match s.objects.get(&key) {
                Some((owner, _)) if owner == who => {
                    s.objects.remove(&key);
                    if s.log_deletes {
                        s.events.push(format!(
                            "{who}@foreign.test deleted experiment {id} from 127.0.0.1"
                        ));
                    }
                    json_answer(StatusCode::OK, json!({}))
                }
                _ => missing(),
            }
        }
        _ => missing(),
    }
}

/// Orders keyed by a code, written item by item without a transaction: a bad item
/// after a good one leaves the order behind.
fn orders(s: &mut State, who: &str, m: &Method, body: Value) -> Response {
    if m == Method::GET {
        let mine: Vec<Value> = s
            .objects
            .iter()
            .filter(|((kind, _), (owner, _))| kind == "orders" && owner == who)
            .map(|(_, (_, o))| o.clone())
            .collect();
        return json_answer(StatusCode::OK, json!({"orders": mine}));
    }
    s.next += 1;
    let code = format!("ORD-{:04}", s.next);
    let order = json!({"code": code, "note": body["note"], "org_id": 1});
    s.objects
        .insert(("orders".into(), code.clone()), (who.into(), order.clone()));
    let bad = body["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|i| i["sku"] == "NO-SUCH-SKU"));
    if bad {
        return json_answer(StatusCode::BAD_REQUEST, json!({"error": "unknown sku"}));
    }
    json_answer(StatusCode::CREATED, order)
}

/// The activity log: an HTML table, plain text, or refused.
fn activity(s: &State) -> Response {
    match s.feed.as_str() {
        "forbidden" => json_answer(StatusCode::FORBIDDEN, json!({"detail": "forbidden"})),
        "text" => (
            [("content-type", "text/plain")],
            s.events
                .iter()
                .map(|e| format!("2026-12-01T10:00:00Z {e}\n"))
                .collect::<String>(),
        )
            .into_response(),
        _ => {
            let rows: String = s
                .events
                .iter()
                .map(|e| format!("<tr><td>2026-12-01 10:00</td><td>{e}</td></tr>\n"))
                .collect();
            let page = format!(
                "<!doctype html><html><body><h1>Activity</h1><table><tr><th>When</th><th>What</th></tr>\n{rows}</table></body></html>"
            );
            Response::builder()
                .header("content-type", "text/html; charset=utf-8")
                .body(Body::from(page))
                .unwrap_or_default()
        }
    }
}

const IDENTITIES: &str = r#"
[identities.a]
check = { url = "/api/me" }
[identities.a.login]
kind = "token"
token = "${FOREIGN_A}"
[identities.b]
check = { url = "/api/me" }
[identities.b.login]
kind = "token"
token = "${FOREIGN_B}"
"#;

fn config(base: &str, rest: &str) -> ScanConfig {
    let text = format!("[target]\nurl = \"{base}\"\n[limits]\nrate = 500\n{IDENTITIES}\n{rest}");
    let env = MapSource {
        vars: [
            ("FOREIGN_A", "foreign-token-a"),
            ("FOREIGN_B", "foreign-token-b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        fallback: &ProcessSource,
    };
    prodready::config::from_text(&text, "foreign.toml", &env, &Overrides::default())
        .expect("config resolves")
}

/// A probe context over the foreign app, logged in, with an empty inventory.
async fn context(config: ScanConfig) -> Context {
    let (http, identities) = crate::common::logged_in(&config).await;
    Context {
        http,
        identities: Arc::new(identities),
        inventory: Arc::new(Default::default()),
        backends: Arc::new(Default::default()),
        config: Arc::new(config),
        catalog: Arc::new(ProbeCatalog::builtin().expect("catalog")),
        owned: Arc::new(OwnedObjects::new()),
    }
}

/// Creates the canaries of `ctx`'s config for both tenants, then cleans up; returns the
/// warnings of the creation and the leftovers of the cleanup.
async fn create_and_clean(ctx: &Context) -> (Vec<String>, Vec<String>) {
    let mut inventory = (*ctx.inventory).clone();
    let warnings = canaries::create(
        &ctx.http,
        &ctx.identities,
        &ctx.config,
        &mut inventory,
        &ctx.owned,
    )
    .await;
    let leftovers = ctx.owned.cleanup(&ctx.http, &ctx.identities).await;
    (warnings, leftovers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drf_canaries_keep_their_trailing_slash_through_delete() {
    let (base, state) = spawn("html").await;
    let ctx = context(config(
        &base,
        "[[canaries]]\ncreate = \"/drf/things/\"\nbody = { name = \"{canary}\" }\n",
    ))
    .await;
    let (warnings, leftovers) = create_and_clean(&ctx).await;
    let s = state.lock().unwrap();
    assert!(warnings.is_empty(), "{warnings:#?} {:#?}", s.requests);
    assert!(leftovers.is_empty(), "{leftovers:#?} {:#?}", s.requests);
    let deletes: Vec<&String> = s
        .requests
        .iter()
        .filter(|r| r.starts_with("DELETE"))
        .collect();
    assert_eq!(deletes.len(), 2, "{:#?}", s.requests);
    assert!(deletes.iter().all(|r| r.ends_with('/')), "{deletes:#?}");
    assert!(!s.objects.keys().any(|(kind, _)| kind == "things"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_canaries_use_the_declared_read_and_delete_and_find_experiment_id() {
    let (base, state) = spawn("html").await;
    // No `id` key: `experiment_id` is found by convention.
    let ctx = context(config(
        &base,
        r#"
[[canaries]]
create = "/rpc/experiments/create"
body = { name = "{canary}" }
read = "/rpc/experiments/get?experiment_id={id}"
delete = "POST /rpc/experiments/delete"
delete_body = { experiment_id = "{id}" }
"#,
    ))
    .await;
    let (warnings, leftovers) = create_and_clean(&ctx).await;
    let objects = ctx.owned.all();
    let s = state.lock().unwrap();
    assert!(warnings.is_empty(), "{warnings:#?} {:#?}", s.requests);
    assert!(leftovers.is_empty(), "{leftovers:#?} {:#?}", s.requests);
    assert_eq!(objects.len(), 2);
    for o in &objects {
        assert_eq!(
            o.url.query(),
            Some(format!("experiment_id={}", o.id).as_str())
        );
    }
    let deletes = s
        .requests
        .iter()
        .filter(|r| r.as_str() == "POST /rpc/experiments/delete")
        .count();
    assert_eq!(deletes, 2, "{:#?}", s.requests);
    assert!(s.objects.is_empty(), "the canaries were removed");
}

/// Nothing declared but the create route: an RPC-style `.../create` answering
/// `{"experiment_id": ..}` is read through its `get` sibling and deleted through its
/// `delete` sibling, by that API style's convention.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_canaries_use_the_sibling_get_and_delete_when_nothing_is_declared() {
    let (base, state) = spawn("html").await;
    let ctx = context(config(
        &base,
        r#"
[[canaries]]
create = "/rpc/experiments/create"
body = { name = "{canary}" }
"#,
    ))
    .await;
    let (warnings, leftovers) = create_and_clean(&ctx).await;
    let s = state.lock().unwrap();
    assert!(warnings.is_empty(), "{warnings:#?} {:#?}", s.requests);
    assert!(leftovers.is_empty(), "{leftovers:#?} {:#?}", s.requests);
    assert_eq!(
        s.requests
            .iter()
            .filter(|r| r.as_str() == "POST /rpc/experiments/delete")
            .count(),
        2,
        "{:#?}",
        s.requests
    );
    assert!(s.objects.is_empty(), "the canaries were removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answer_without_an_id_names_what_was_tried_and_the_id_key() {
    let (base, _state) = spawn("html").await;
    let ctx = context(config(
        &base,
        "[[canaries]]\ncreate = \"/noid/notes\"\nbody = { text = \"{canary}\" }\n",
    ))
    .await;
    let (warnings, _) = create_and_clean(&ctx).await;
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    let w = &warnings[0];
    for needle in [
        "found no id",
        "keys created, ok",
        "id, uuid, _id, pk, guid, note_id, noteId, note_uuid, slug, key, code",
        "Location header",
        "`canaries[0].id`",
    ] {
        assert!(w.contains(needle), "expected {needle:?} in: {w}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_order_keyed_by_its_code_is_found() {
    let (base, state) = spawn("html").await;
    let ctx = context(config(
        &base,
        r#"
[transactions.atomic]
request = "POST /shop/orders"
valid = { note = "{unique}", items = [{ sku = "A", quantity = 1 }] }
partial = { note = "{unique}", items = [{ sku = "A", quantity = 1 }, { sku = "NO-SUCH-SKU", quantity = 1 }] }
effect = "/shop/orders"
"#,
    ))
    .await;
    let runs = prodready::families::transactions::TransactionsFamily
        .run(&ctx)
        .await
        .expect("probe runs");
    let run = &runs[0];
    let probes: Vec<&str> = run.findings.iter().map(|f| f.probe.as_str()).collect();
    assert_eq!(probes, ["transactions.partial-write"], "{run:#?}");
    assert!(run.findings[0].detail.contains("ORD-"), "{run:#?}");
    // The partial record is the scanner's own now: cleanup removes it by its code.
    let adopted = ctx.owned.all();
    assert_eq!(adopted.len(), 1, "{adopted:#?}");
    assert!(adopted[0].url.path().starts_with("/shop/orders/ORD-"));
    drop(state);
}

const RPC_CANARY: &str = r#"
[[canaries]]
create = "/rpc/experiments/create"
body = { name = "{canary}" }
id = "experiment_id"
read = "/rpc/experiments/get?experiment_id={id}"
delete = "POST /rpc/experiments/delete"
delete_body = { experiment_id = "{id}" }
[audit]
feed = "/activity"
identity = "a"
wait_secs = 0.3
"#;

/// The audit family against the foreign app's activity log, answering as `feed`.
async fn audit_run(feed: &str, log_deletes: bool) -> prodready::model::ProbeRun {
    let (base, state) = spawn(feed).await;
    state.lock().unwrap().log_deletes = log_deletes;
    let ctx = context(config(&base, RPC_CANARY)).await;
    let mut runs = prodready::families::audit::AuditFamily
        .run(&ctx)
        .await
        .expect("a feed problem is a verdict, never a probe error");
    assert_eq!(runs.len(), 1);
    runs.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_or_text_activity_log_is_an_audit_feed() {
    for feed in ["html", "text"] {
        let run = audit_run(feed, true).await;
        assert!(
            matches!(run.state, prodready::model::RunState::Ran),
            "{feed}: {run:#?}"
        );
        assert!(run.findings.is_empty(), "{feed}: {run:#?}");
        assert!(
            run.notes
                .iter()
                .any(|n| n.contains("2 found in the text feed")),
            "{feed}: {run:#?}"
        );
    }
    let run = audit_run("html", false).await;
    let probes: Vec<&str> = run.findings.iter().map(|f| f.probe.as_str()).collect();
    assert_eq!(probes, ["audit.missing-record"], "{run:#?}");
    assert!(run.findings[0].title.contains("deleting"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_audit_feed_is_inconclusive_with_the_reason() {
    let run = audit_run("forbidden", true).await;
    match &run.state {
        prodready::model::RunState::Inconclusive { reason } => {
            assert!(reason.contains("answered 403"), "{reason}");
            assert!(reason.contains("audit.identity"), "{reason}");
        }
        other => panic!("expected inconclusive, got {other:?}: {run:#?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_that_reads_another_object_is_never_deleted() {
    let (base, state) = spawn("html").await;
    let ctx = context(config(
        &base,
        "[[canaries]]\ncreate = \"/guess/items\"\nbody = { name = \"{canary}\" }\n",
    ))
    .await;
    let (warnings, leftovers) = create_and_clean(&ctx).await;
    let s = state.lock().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0].contains("not deleted at cleanup") && warnings[0].contains("`canaries[0].id`"),
        "{warnings:#?}"
    );
    assert!(leftovers.is_empty(), "{leftovers:#?}");
    assert!(
        !s.requests.iter().any(|r| r.starts_with("DELETE")),
        "{:#?}",
        s.requests
    );
}
