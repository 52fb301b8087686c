//! Error values, their safe rendering, and the debug renderings the
//! `stack-trace`, `sql-error` and `login-sql-error` flaws switch on.
//!
//! Handlers return [`ApiError`]. Its `IntoResponse` produces the safe JSON body
//! and attaches an [`ErrorReport`] to the response; the [`render_errors`]
//! middleware, which knows the path and the flaws, turns the report into the
//! final body (HTML outside `/api`, the internals when a flaw says so).

use std::backtrace::Backtrace;
use std::panic::Location;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{StatusCode, response::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::flaws::Flaw;
use crate::hardening::retry_after_secs;
use crate::html;
use crate::state::SharedState;

/// What went wrong underneath a failure: the error chain, where it was raised
/// and a backtrace. Only the `stack-trace` flaw ever shows it to a client.
/// Shared behind an `Arc`, so error values stay small.
#[derive(Clone)]
pub(crate) struct Cause(Arc<CauseDetail>);

pub(crate) struct CauseDetail {
    pub kind: String,
    pub chain: Vec<String>,
    pub location: String,
    pub backtrace: Backtrace,
}

impl std::ops::Deref for Cause {
    type Target = CauseDetail;

    fn deref(&self) -> &CauseDetail {
        &self.0
    }
}

impl Cause {
    /// Capture a cause for `err`, raised at the caller's location.
    #[track_caller]
    pub(crate) fn of<E: std::error::Error + ?Sized>(kind: &str, err: &E) -> Cause {
        let mut chain = vec![err.to_string()];
        let mut source = err.source();
        while let Some(e) = source {
            chain.push(e.to_string());
            source = e.source();
        }
        Cause::new(kind, chain, Location::caller().to_string())
    }

    pub(crate) fn new(kind: &str, chain: Vec<String>, location: String) -> Cause {
        Cause(Arc::new(CauseDetail {
            kind: kind.to_string(),
            chain,
            location,
            backtrace: Backtrace::force_capture(),
        }))
    }

    /// The backtrace as lines, starting below the frames that captured it.
    fn backtrace_lines(&self) -> Vec<String> {
        let lines: Vec<String> = self
            .backtrace
            .to_string()
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let capture_frames = lines
            .iter()
            .take(40)
            .rposition(|l| {
                l.contains("testserver::errors::Cause::") || l.contains("install_panic_hook")
            })
            .map_or(0, |i| i + 1);
        let start = match lines.get(capture_frames) {
            Some(l) if l.starts_with("at ") => capture_frames + 1,
            _ => capture_frames,
        };
        lines.into_iter().skip(start).take(120).collect()
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cause")
            .field("kind", &self.kind)
            .field("chain", &self.chain)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// The error type of every handler and extractor.
#[derive(Debug)]
pub(crate) enum ApiError {
    BadRequest {
        message: String,
        field: Option<String>,
        cause: Option<Cause>,
    },
    Unprocessable {
        message: String,
        field: Option<String>,
        cause: Option<Cause>,
    },
    Unauthorized,
    Forbidden(&'static str),
    NotFound,
    MethodNotAllowed,
    Conflict(String),
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited(Duration),
    Internal(Cause),
    /// A failed statement that a flaw built by concatenation; `query` is the SQL text
    /// that ran. Only flawed code paths raise it, and its rendering shows the query (and,
    /// with `with_trace`, the backtrace: a handler that forwards the whole error).
    Sql {
        cause: Cause,
        query: String,
        with_trace: bool,
    },
}

impl ApiError {
    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            field: None,
            cause: None,
        }
    }

    /// A well-formed body whose `field` has an unacceptable value.
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable {
            message: message.into(),
            field: Some(field.to_string()),
            cause: None,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) | ApiError::Sql { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    #[track_caller]
    fn from(err: rusqlite::Error) -> Self {
        ApiError::Internal(Cause::of("rusqlite::Error", &err))
    }
}

impl From<anyhow::Error> for ApiError {
    #[track_caller]
    fn from(err: anyhow::Error) -> Self {
        let chain = err.chain().map(|e| e.to_string()).collect();
        ApiError::Internal(Cause::new(
            "anyhow::Error",
            chain,
            Location::caller().to_string(),
        ))
    }
}

/// The details of an error response, attached to the response for [`render_errors`].
#[derive(Debug)]
pub(crate) struct ErrorReport {
    pub message: String,
    pub field: Option<String>,
    pub cause: Option<Cause>,
    pub sql_query: Option<String>,
    /// The backtrace goes out with the query whatever the `stack-trace` flaw says.
    pub sql_trace: bool,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut extra_headers: Vec<(header::HeaderName, HeaderValue)> = Vec::new();
        let mut sql_trace = false;
        let (message, field, cause, sql_query) = match self {
            ApiError::BadRequest {
                message,
                field,
                cause,
            }
            | ApiError::Unprocessable {
                message,
                field,
                cause,
            } => (message, field, cause, None),
            ApiError::Unauthorized => {
                extra_headers.push((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"api\""),
                ));
                ("authentication required".to_string(), None, None, None)
            }
            ApiError::Forbidden(why) => (why.to_string(), None, None, None),
            ApiError::NotFound => ("not found".to_string(), None, None, None),
            ApiError::MethodNotAllowed => ("method not allowed".to_string(), None, None, None),
            ApiError::Conflict(why) => (why, None, None, None),
            ApiError::PayloadTooLarge => ("request body too large".to_string(), None, None, None),
            ApiError::UnsupportedMediaType => (
                "expected a JSON body (Content-Type: application/json)".to_string(),
                None,
                None,
                None,
            ),
            ApiError::RateLimited(wait) => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs(wait).to_string()) {
                    extra_headers.push((header::RETRY_AFTER, v));
                }
                ("too many requests, slow down".to_string(), None, None, None)
            }
            ApiError::Internal(cause) => {
                tracing::error!(kind = %cause.kind, chain = ?cause.chain, at = %cause.location, "internal error");
                ("internal server error".to_string(), None, Some(cause), None)
            }
            ApiError::Sql {
                cause,
                query,
                with_trace,
            } => {
                tracing::error!(chain = ?cause.chain, "query failed");
                sql_trace = with_trace;
                ("query failed".to_string(), None, Some(cause), Some(query))
            }
        };
        let report = ErrorReport {
            message,
            field,
            cause,
            sql_query,
            sql_trace,
        };
        let mut resp = (status, axum::Json(safe_json(&report))).into_response();
        resp.headers_mut().extend(extra_headers);
        resp.extensions_mut().insert(Arc::new(report));
        resp
    }
}

fn safe_json(report: &ErrorReport) -> Value {
    let mut body = json!({ "error": report.message });
    if let Some(field) = &report.field {
        body["field"] = json!(field);
    }
    body
}

/// Renders the final body of every error response from its [`ErrorReport`].
pub(crate) async fn render_errors(
    State(state): State<SharedState>,
    req: Request,
    next: Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let Some(report) = resp.extensions().get::<Arc<ErrorReport>>().cloned() else {
        return resp;
    };
    let show_trace = report.cause.is_some() && (state.flaw(Flaw::StackTrace) || report.sql_trace);
    // Only a flaw builds statements by concatenation, so only a flaw raises these.
    let show_sql = report.sql_query.is_some();
    if api && !show_trace && !show_sql {
        return resp;
    }
    let (parts, _) = resp.into_parts();
    if api {
        let mut body = safe_json(&report);
        if show_sql {
            add_sql_details(&mut body, &report);
        }
        if show_trace {
            add_trace(&mut body, &report);
        }
        return replace_body(parts, "application/json", body.to_string());
    }
    let page = html_error_page(parts.status, &report, show_trace, show_sql);
    replace_body(parts, "text/html; charset=utf-8", page)
}

/// A flawed statement (`sql-error`, `login-sql-error`): the engine's message and the
/// statement, as a careless handler that forwards `err.to_string()` would.
fn add_sql_details(body: &mut Value, report: &ErrorReport) {
    if let Some(cause) = &report.cause {
        body["error"] = json!(format!("SQLITE_ERROR: {}", cause.chain.join(": ")));
    }
    body["query"] = json!(report.sql_query);
}

/// The `stack-trace` flaw: the error chain, where it was raised, and the backtrace.
fn add_trace(body: &mut Value, report: &ErrorReport) {
    if let Some(cause) = &report.cause {
        body["exception"] = json!({
            "type": cause.kind,
            "message": cause.chain.first(),
            "causes": cause.chain.iter().skip(1).collect::<Vec<_>>(),
            "location": cause.location,
        });
        body["backtrace"] = json!(cause.backtrace_lines());
    }
}

fn html_error_page(status: StatusCode, report: &ErrorReport, trace: bool, sql: bool) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut main = format!(
        "<h1>{} {}</h1>\n<p>{}</p>\n",
        status.as_u16(),
        html::esc(reason),
        html::esc(&capitalise(&report.message))
    );
    if let (true, Some(cause), Some(query)) = (sql, &report.cause, &report.sql_query) {
        main.push_str(&format!(
            "<h2>SQLITE_ERROR: {}</h2>\n<pre>{}</pre>\n",
            html::esc(&cause.chain.join(": ")),
            html::esc(query)
        ));
    }
    if let (true, Some(cause)) = (trace, &report.cause) {
        main.push_str(&format!(
            "<h2>{}: {}</h2>\n<p>at {}</p>\n<pre>{}</pre>\n",
            html::esc(&cause.kind),
            html::esc(&cause.chain.join(": caused by: ")),
            html::esc(&cause.location),
            html::esc(&cause.backtrace_lines().join("\n"))
        ));
    } else {
        main.push_str("<p><a href=\"/\">Back to the home page</a></p>\n");
    }
    html::bare_page(reason, &main)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn replace_body(mut parts: Parts, content_type: &'static str, body: String) -> Response {
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Unknown routes: a safe 404, or the developer page in debug mode.
pub(crate) async fn not_found(State(state): State<SharedState>, req: Request) -> Response {
    if state.flaw(Flaw::DebugPage) {
        return crate::debug::not_found_page(&state, &req);
    }
    ApiError::NotFound.into_response()
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

// Panics inside request handling are caught by tower-http's CatchPanic. The
// payload it hands over has no location or backtrace, so a panic hook stores
// them in a slot scoped to the request's task, where the CatchPanic handler
// (running in the same task) picks them up.
tokio::task_local! {
    static PANIC_SLOT: Arc<Mutex<Option<Cause>>>;
}

/// Middleware (outside CatchPanic) that gives each request a panic slot.
pub(crate) async fn panic_scope(req: Request, next: Next) -> Response {
    PANIC_SLOT
        .scope(Arc::new(Mutex::new(None)), next.run(req))
        .await
}

/// Install, once per process, a panic hook that records panics raised while a
/// request is handled. Panics elsewhere go to the previous hook unchanged.
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let recorded = PANIC_SLOT.try_with(|slot| {
                let location = info
                    .location()
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "<unknown>".to_string());
                // The same first line as Rust's default panic message.
                let thread = std::thread::current();
                let message = format!(
                    "thread '{}' panicked at {location}: {}",
                    thread.name().unwrap_or("<unnamed>"),
                    panic_message(info.payload())
                );
                let cause = Cause::new("panic", vec![message], location);
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(cause);
            });
            if recorded.is_err() {
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_string()
    }
}

/// CatchPanic's handler: a 500 whose report carries what the hook recorded.
#[derive(Clone, Copy)]
pub(crate) struct PanicResponder;

impl tower_http::catch_panic::ResponseForPanic for PanicResponder {
    type ResponseBody = Body;

    fn response_for_panic(
        &mut self,
        err: Box<dyn std::any::Any + Send + 'static>,
    ) -> axum::http::Response<Body> {
        let recorded = PANIC_SLOT
            .try_with(|slot| slot.lock().unwrap_or_else(|e| e.into_inner()).take())
            .ok()
            .flatten();
        let cause = recorded.unwrap_or_else(|| {
            Cause::new(
                "panic",
                vec![panic_message(err.as_ref())],
                "<unknown>".to_string(),
            )
        });
        ApiError::Internal(cause).into_response()
    }
}
