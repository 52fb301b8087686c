//! The shared application state every handler sees.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rusqlite::Connection;

use crate::auth::jwt::Jwt;
use crate::auth::password::Passwords;
use crate::auth::session::{CsrfKey, Sessions};
use crate::bundle::Assets;
use crate::flaws::{Flaw, FlawSet};
use crate::hardening::Limits;
use crate::recorder::Recorder;
use crate::routes::RouteInfo;

pub(crate) type SharedState = Arc<AppState>;

pub(crate) struct AppState {
    pub flaws: FlawSet,
    pub partner_url: String,
    db: Mutex<Connection>,
    pub passwords: Passwords,
    pub jwt: Jwt,
    pub sessions: Sessions,
    pub csrf: CsrfKey,
    pub limits: Limits,
    pub assets: Assets,
    pub routes: Vec<RouteInfo>,
    pub metrics: Metrics,
    pub recorder: Arc<Recorder>,
    pub started: Instant,
    /// `Options::size`: generated endpoint families (see `scale`).
    pub size: usize,
    /// `Options::require_origin`.
    pub require_origin: bool,
    /// `Options::method_override_forms`.
    pub method_override_forms: bool,
}

/// Everything `AppState::new` needs that is made before the state exists.
pub(crate) struct StateParts {
    pub flaws: FlawSet,
    pub partner_url: String,
    pub db: Connection,
    pub passwords: Passwords,
    pub jwt: Jwt,
    pub csrf: CsrfKey,
    pub routes: Vec<RouteInfo>,
    pub recorder: Arc<Recorder>,
    pub limit_window: std::time::Duration,
    pub size: usize,
    pub require_origin: bool,
    pub method_override_forms: bool,
}

impl AppState {
    pub(crate) fn new(parts: StateParts) -> AppState {
        AppState {
            flaws: parts.flaws,
            partner_url: parts.partner_url,
            db: Mutex::new(parts.db),
            passwords: parts.passwords,
            jwt: parts.jwt,
            sessions: Sessions::default(),
            csrf: parts.csrf,
            limits: Limits::new(parts.limit_window),
            assets: Assets::build(parts.flaws),
            routes: parts.routes,
            metrics: Metrics::default(),
            recorder: parts.recorder,
            started: Instant::now(),
            size: parts.size,
            require_origin: parts.require_origin,
            method_override_forms: parts.method_override_forms,
        }
    }

    /// Whether the process runs with flaw `f`.
    pub(crate) fn flaw(&self, f: Flaw) -> bool {
        self.flaws.contains(f)
    }

    /// The database. Never hold the guard across an `.await`.
    pub(crate) fn db(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held leaves the connection itself usable.
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Request counters, fed by the recording middleware.
#[derive(Default)]
pub(crate) struct Metrics {
    pub total: AtomicU64,
    /// Responses by status class: 1xx .. 5xx.
    pub by_class: [AtomicU64; 5],
}

impl Metrics {
    pub(crate) fn count(&self, status: u16) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }
}

/// Now, as an RFC 3339 timestamp in UTC.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Now, as seconds since the Unix epoch.
pub(crate) fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
