//! Records every request the server receives, for tests and the demo.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::RecordedRequest;
use crate::state::SharedState;

/// At most this many requests are kept; later ones are counted but not stored.
pub(crate) const MAX_RECORDED: usize = 1_000_000;

pub(crate) struct Recorder {
    entries: Mutex<Vec<RecordedRequest>>,
}

impl Recorder {
    pub(crate) fn new() -> Self {
        Recorder {
            entries: Mutex::new(Vec::new()),
        }
    }

    fn push(&self, entry: RecordedRequest) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() < MAX_RECORDED {
            entries.push(entry);
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The outermost middleware: record the request as received, count the response.
pub(crate) async fn record(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    state.recorder.push(recorded(&req));
    let resp = next.run(req).await;
    state.metrics.count(resp.status().as_u16());
    resp
}

/// [`record`] for the listeners of a backend mode, which keep their own recorder.
pub(crate) async fn record_into(
    State(recorder): State<std::sync::Arc<Recorder>>,
    req: Request,
    next: Next,
) -> Response {
    recorder.push(recorded(&req));
    next.run(req).await
}

fn recorded(req: &Request) -> RecordedRequest {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0)
        .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    RecordedRequest {
        at: Instant::now(),
        method: req.method().as_str().to_string(),
        path_and_query: req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_else(|| req.uri().path().to_string()),
        headers,
        peer,
    }
}
