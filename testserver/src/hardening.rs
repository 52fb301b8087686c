//! Response hardening (security headers, CORS allowlist, cache policy) and the
//! in-memory rate limiters.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};

use crate::flaws::Flaw;
use crate::state::SharedState;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Origins allowed to call the API from a browser with credentials.
pub(crate) const ALLOWED_ORIGINS: &[&str] = &["https://app.ledgerline.example"];

pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The `weak-csp` flaw's policy: inline scripts, eval and any https: script run.
const WEAK_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' https:; frame-ancestors 'none'";

/// The `static-csp-nonce` flaw's nonce, written once into the config (for an inline
/// analytics snippet) instead of drawn per response.
const STATIC_NONCE: &str = "bGVkZ2VybGluZS1hbmFseXRpY3M";

/// The `rolling-session-cookie` flaw's lifetime of a re-issued session cookie.
const ROLLED_SESSION_MAX_AGE: u64 = 12 * 60 * 60;

const STATIC_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CSP),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

/// Adds the security headers to every response and decides its cache policy.
pub(crate) async fn security_headers(
    State(state): State<SharedState>,
    req: Request,
    next: Next,
) -> Response {
    let private = is_private(req.uri().path(), req.headers());
    let session = crate::auth::cookie(req.headers(), crate::auth::SESSION_COOKIE)
        .filter(|_| state.flaw(Flaw::RollingSessionCookie));
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if !state.flaw(Flaw::NoSecurityHeaders) {
        for (name, value) in STATIC_HEADERS {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let mut csp = if state.flaw(Flaw::WeakCsp) {
            WEAK_CSP
        } else {
            CSP
        }
        .to_string();
        if state.flaw(Flaw::StaticCspNonce) {
            csp = csp.replacen(
                "script-src 'self'",
                &format!("script-src 'self' 'nonce-{STATIC_NONCE}'"),
                1,
            );
        }
        if let Ok(v) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if let Some(sid) = session {
        roll_session(&state, headers, &sid);
    }
    // A page its handler marks `public` (the same for everyone) keeps its policy, as
    // CDN-cached public pages do; anything else answered to a session is `no-store`.
    let declared_public = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|d| d.trim() == "public"));
    if (private && !declared_public) || !headers.contains_key(header::CACHE_CONTROL) {
        let policy = if private { "no-store" } else { "no-cache" };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    headers.remove(header::SERVER);
    headers.remove("x-powered-by");
    resp
}

/// The `rolling-session-cookie` flaw: a live session's cookie is set again, its expiry
/// pushed back, without the flags the login gave it (unless the answer sets it itself).
fn roll_session(state: &SharedState, headers: &mut HeaderMap, sid: &str) {
    let prefix = format!("{}=", crate::auth::SESSION_COOKIE);
    let sets_session = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(&prefix)));
    if sets_session || state.sessions.user(sid).is_none() {
        return;
    }
    let cookie = format!("{prefix}{sid}; Path=/; Max-Age={ROLLED_SESSION_MAX_AGE}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// Responses that may carry a user's data, or that carry a CSRF token, are never stored.
fn is_private(path: &str, headers: &HeaderMap) -> bool {
    let authenticated = headers.contains_key(header::AUTHORIZATION)
        || crate::auth::cookie(headers, "session").is_some();
    authenticated
        || path.starts_with("/api/")
        || path == "/app"
        || path.starts_with("/app/")
        || path == "/admin"
        || path == "/login"
        || path == "/signup"
        || path == "/logout"
        || path.starts_with("/debug/")
}

/// CORS with an allowlist: only listed origins are reflected, with credentials.
/// Preflights from other origins are refused and never echo the origin.
pub(crate) async fn cors(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let allowed = origin
        .as_deref()
        .filter(|o| {
            ALLOWED_ORIGINS.contains(o)
                || state.flaw(Flaw::CorsReflectOrigin)
                || (state.flaw(Flaw::CorsNullOrigin) && *o == "null")
                // Meant for the company's own subdomains.
                || (state.flaw(Flaw::CorsSuffixMatch) && o.ends_with("ledgerline.example"))
        })
        .map(str::to_owned);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    let mut resp = if preflight {
        match allowed {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => (StatusCode::FORBIDDEN, "CORS origin not allowed").into_response(),
        }
    } else {
        next.run(req).await
    };
    let headers = resp.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed.and_then(|o| HeaderValue::from_str(&o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if preflight {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, x-csrf-token"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
    }
    resp
}

/// A sliding-window rate limiter: at most `limit` events per `window` per key.
pub(crate) struct RateLimiter {
    limit: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Past this many keys, idle keys are dropped on the next insert.
const MAX_KEYS: usize = 10_000;

impl RateLimiter {
    pub(crate) fn new(limit: usize, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Count one event for `key`; `Err(wait)` when the key is over its limit.
    pub(crate) fn hit(&self, key: &str) -> Result<(), Duration> {
        self.check(key, true)
    }

    /// Whether `key` is over its limit, without counting an event.
    pub(crate) fn peek(&self, key: &str) -> Result<(), Duration> {
        self.check(key, false)
    }

    /// The limit, what is left of it for `key`, and when its oldest event expires.
    pub(crate) fn quota(&self, key: &str) -> (usize, usize, Duration) {
        let now = Instant::now();
        let hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let live: Vec<Instant> = hits
            .get(key)
            .map(|q| {
                q.iter()
                    .copied()
                    .filter(|t| now.duration_since(*t) < self.window)
                    .collect()
            })
            .unwrap_or_default();
        let reset = live.first().map_or(self.window, |t| {
            self.window.saturating_sub(now.duration_since(*t))
        });
        (self.limit, self.limit.saturating_sub(live.len()), reset)
    }

    /// The window, for `RateLimit-Policy`.
    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    fn check(&self, key: &str, count: bool) -> Result<(), Duration> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() >= MAX_KEYS && !hits.contains_key(key) {
            let window = self.window;
            hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let queue = hits.entry(key.to_owned()).or_default();
        while queue
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            queue.pop_front();
        }
        if queue.len() >= self.limit {
            let oldest = queue.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now.duration_since(oldest)));
        }
        if count {
            queue.push_back(now);
        }
        Ok(())
    }
}

/// Every limiter of the app. Limits are per client IP (the TCP peer; forwarding
/// headers are ignored) and, where a request names an account, per account.
pub(crate) struct Limits {
    /// Every login attempt (JSON and form) per IP.
    pub login_ip: RateLimiter,
    /// Failed logins per IP.
    pub login_failures_ip: RateLimiter,
    /// Failed logins per email address (known or not, so the limit says nothing
    /// about which accounts exist).
    pub login_failures_account: RateLimiter,
    pub signup_ip: RateLimiter,
    pub reset_ip: RateLimiter,
    pub reset_account: RateLimiter,
    /// Writes (POST/PUT/PATCH/DELETE on the API) per user.
    pub writes_user: RateLimiter,
}

impl Limits {
    /// `minute` is the base window (a real minute outside tests).
    pub(crate) fn new(minute: Duration) -> Self {
        Limits {
            login_ip: RateLimiter::new(30, minute),
            login_failures_ip: RateLimiter::new(10, minute),
            login_failures_account: RateLimiter::new(10, 15 * minute),
            signup_ip: RateLimiter::new(10, 10 * minute),
            reset_ip: RateLimiter::new(10, 10 * minute),
            reset_account: RateLimiter::new(5, 60 * minute),
            writes_user: RateLimiter::new(60, minute),
        }
    }
}

/// Where the API's write limiter leaves the caller's quota for [`write_quota`] to announce.
#[derive(Clone, Default)]
pub(crate) struct WriteQuota(pub std::sync::Arc<Mutex<Option<Quota>>>);

/// A limiter's state for one key, as announced.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Quota {
    pub limit: usize,
    pub remaining: usize,
    /// Until the oldest counted event leaves the window.
    pub reset: Duration,
    pub window: Duration,
}

/// Announces the write quota on API writes with the IETF `RateLimit-Policy` and
/// `RateLimit` headers, so clients (and scanners) see the limit before they hit it.
pub(crate) async fn write_quota(mut req: Request, next: Next) -> Response {
    let slot = WriteQuota::default();
    if !req.method().is_safe() {
        req.extensions_mut().insert(slot.clone());
    }
    let mut resp = next.run(req).await;
    let quota = *slot.0.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(Quota {
        limit,
        remaining,
        reset,
        window,
    }) = quota
    {
        let policy = format!("\"writes\";q={limit};w={}", window.as_secs().max(1));
        let state = format!("\"writes\";r={remaining};t={}", retry_after_secs(reset));
        for (name, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(HeaderName::from_static(name), v);
            }
        }
    }
    resp
}

/// `Retry-After` in whole seconds, never zero.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_per_key_and_reports_the_wait() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.peek("a").is_ok());
        assert!(limiter.hit("a").is_ok());
        let wait = limiter.hit("a").unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(58));
        assert!(limiter.peek("a").is_err());
        assert!(limiter.hit("b").is_ok());
    }

    #[test]
    fn window_expiry_frees_the_key() {
        let limiter = RateLimiter::new(1, Duration::from_millis(20));
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(limiter.hit("a").is_ok());
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(5)), 5);
        assert_eq!(retry_after_secs(Duration::from_millis(5_200)), 6);
    }
}
