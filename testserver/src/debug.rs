//! Debug mode, switched on by the `debug-page` flaw: a developer 404 page
//! listing the route table and build versions, and runtime internals at
//! `/debug/vars` (in the layout of Go's expvar: `cmdline`, `memstats`, ...)
//! and `/debug/routes`. None of it shows environment variables
//! or secrets; it leaks the app's structure and versions, not credentials.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::html;
use crate::state::{AppState, SharedState};

const CRATE: &str = env!("CARGO_PKG_NAME");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const RUSTC: &str = env!("TESTSERVER_RUSTC_VERSION");

fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

fn build_info() -> Value {
    json!({
        "crate": CRATE,
        "version": VERSION,
        "rustc": RUSTC,
        "profile": profile(),
        "framework": "axum 0.8 / tokio 1 / rusqlite (SQLite)",
        "debug": true,
    })
}

fn route_list(state: &AppState) -> Vec<Value> {
    state
        .routes
        .iter()
        .map(|r| json!({ "methods": r.methods, "path": r.path, "handler": r.handler }))
        .collect()
}

/// The 404 for an unknown route, Django/Rails style.
pub(crate) fn not_found_page(state: &AppState, req: &Request) -> Response {
    let method = req.method().as_str();
    let uri = req.uri().to_string();
    if req.uri().path().starts_with("/api/") {
        let body = json!({
            "error": "not found",
            "debug": {
                "request": format!("{method} {uri}"),
                "message": "no route matched; the router tried these routes, in this order",
                "routes": route_list(state),
                "app": build_info(),
            }
        });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    let rows: String = state
        .routes
        .iter()
        .map(|r| {
            format!(
                "<li><code>{}</code> {} <span>→ {}</span></li>\n",
                html::esc(r.methods),
                html::esc(r.path),
                html::esc(r.handler)
            )
        })
        .collect();
    let main = format!(
        "<h1>Page not found <span>(404)</span></h1>\n\
         <table>\n<tr><th>Request Method:</th><td>{}</td></tr>\n<tr><th>Request URL:</th><td>{}</td></tr>\n\
         <tr><th>Application:</th><td>{CRATE} {VERSION} ({} build)</td></tr>\n<tr><th>Rust version:</th><td>{}</td></tr>\n</table>\n\
         <p>Using the route table defined in <code>{CRATE}::routes</code>, the router tried these routes, in this order:</p>\n\
         <ol>\n{rows}</ol>\n<p>The current path, <code>{}</code>, didn't match any of these.</p>\n\
         <p>You're seeing this error because the app runs in debug mode. Turn it off for production and \
         a standard 404 page will be shown.</p>\n",
        html::esc(method),
        html::esc(&uri),
        profile(),
        html::esc(RUSTC),
        html::esc(req.uri().path()),
    );
    (
        StatusCode::NOT_FOUND,
        Html(html::bare_page(
            &format!("Page not found at {}", req.uri().path()),
            &main,
        )),
    )
        .into_response()
}

/// `GET /debug/vars`: runtime internals, laid out like Go's expvar.
pub(crate) async fn vars(State(state): State<SharedState>) -> Json<Value> {
    let metrics = &state.metrics;
    let classes: Vec<u64> = metrics
        .by_class
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    let runtime = tokio::runtime::Handle::current().metrics();
    let counts = {
        let conn = state.db();
        let mut counts = serde_json::Map::new();
        for table in [
            "organizations",
            "users",
            "projects",
            "invoices",
            "documents",
            "orders",
            "audit_events",
        ] {
            let n: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .unwrap_or(-1);
            counts.insert(table.to_string(), json!(n));
        }
        counts
    };
    Json(json!({
        "cmdline": std::env::args().collect::<Vec<_>>(),
        "memstats": memstats(),
        "app": build_info(),
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "pid": std::process::id(),
        "requests": {
            "total": metrics.total.load(Ordering::Relaxed),
            "by_status": { "1xx": classes[0], "2xx": classes[1], "3xx": classes[2], "4xx": classes[3], "5xx": classes[4] },
        },
        "runtime": {
            "worker_threads": runtime.num_workers(),
            "alive_tasks": runtime.num_alive_tasks(),
            "available_parallelism": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "current_thread": std::thread::current().name().unwrap_or("unnamed").to_string(),
        },
        "database": {
            "engine": "sqlite",
            "sqlite_version": rusqlite::version(),
            "location": ":memory:",
            "rows": counts,
        },
        "sessions": { "active": state.sessions.active() },
        "routes": route_list(&state),
    }))
}

/// Process memory and thread counts from `/proc/self/status` (empty elsewhere).
fn memstats() -> Value {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mut stats = serde_json::Map::new();
    for line in status.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let name = match key {
            "VmRSS" => "rss_bytes",
            "VmHWM" => "peak_rss_bytes",
            "VmSize" => "virtual_bytes",
            "VmData" => "data_bytes",
            "Threads" => "threads",
            _ => continue,
        };
        let mut parts = value.split_whitespace();
        let Some(n) = parts.next().and_then(|n| n.parse::<u64>().ok()) else {
            continue;
        };
        let n = if parts.next() == Some("kB") {
            n * 1024
        } else {
            n
        };
        stats.insert(name.to_string(), json!(n));
    }
    Value::Object(stats)
}

/// `GET /debug/routes`: the route table.
pub(crate) async fn routes(State(state): State<SharedState>) -> Json<Value> {
    Json(json!({ "app": build_info(), "routes": route_list(&state) }))
}
