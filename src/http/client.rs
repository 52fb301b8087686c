//! The HTTP layer: every request of every probe goes through [`HttpLayer::send`].
//!
//! It owns the rate limiter (one budget per host), the scope guard (every request and
//! every redirect hop), timeouts, the streaming body cap, retries on transport errors
//! only, per-identity sessions, request counting and redacted evidence capture.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;
use url::Url;

use super::jar::CookieJar;
use super::message::{Request, Response, SentRequest};
use super::redact::Redactor;
use super::tls::{self, TlsProblem};
use crate::model::IdentityId;
use crate::model::{Evidence, RequestExcerpt, ResponseExcerpt};
use crate::model::{Scope, ScopeError};

/// Why a request produced no response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// Never sent: out of scope. The message names the fix for its reason.
    #[error("refused to send: {0} (to allow it: {fix})", fix = .0.fix())]
    OutOfScope(#[from] ScopeError),
    #[error("{method} {url}: no response within {secs:.1}s")]
    Timeout {
        method: String,
        url: String,
        secs: f64,
    },
    #[error("{method} {url}: {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
    },
    #[error("invalid request {method} {url}: {message}")]
    Invalid {
        method: String,
        url: String,
        message: String,
    },
    /// The TLS handshake failed on a certificate: the server's (not trusted, expired,
    /// wrong name) or the client's (required, refused). Not retried.
    #[error("{method} {url}: {message}")]
    Tls {
        method: String,
        url: String,
        problem: TlsProblem,
        message: String,
    },
}

/// The politeness and resource bounds of the layer.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub rate: NonZeroU32,
    pub burst: NonZeroU32,
    pub concurrency: usize,
    pub timeout: Duration,
    pub body_cap: usize,
    /// Transport-error retries per request.
    pub retries: u32,
    /// Which server certificates to trust and which client certificate to present.
    pub tls: crate::config::TlsConfig,
}

impl From<&crate::config::Limits> for HttpSettings {
    fn from(l: &crate::config::Limits) -> Self {
        HttpSettings {
            rate: l.rate,
            burst: l.burst,
            concurrency: l.concurrency,
            timeout: l.timeout,
            body_cap: l.body_cap,
            retries: 2,
            tls: Default::default(),
        }
    }
}

/// Something that wants to see every response (passive signature scanning).
pub trait Observer: Send + Sync {
    fn observe(&self, response: &Response);
}

/// The credentials of one identity: its cookie jar and the headers it adds.
#[derive(Debug, Default)]
pub struct Session {
    id: IdentityId,
    /// Why a probe made this session apart from the identity's own (`logout test`...).
    purpose: Option<&'static str>,
    jar: Mutex<CookieJar>,
    headers: RwLock<Vec<(String, String)>>,
    /// Header and token sent on unsafe methods of a cookie session.
    csrf: RwLock<Option<(String, CsrfToken)>>,
}

/// Where a session's CSRF token comes from.
#[derive(Debug, Clone)]
enum CsrfToken {
    /// A value read once (a meta tag, a form field).
    Fixed(String),
    /// The current value of a cookie: frameworks rotate it (Django at login), so it
    /// is read from the jar at every send.
    Cookie(String),
}

impl Session {
    pub fn new(id: IdentityId) -> Session {
        Session {
            id,
            ..Session::default()
        }
    }

    /// A fresh session acting for `id` (anonymous until a probe logs it in), kept
    /// apart from the identity's own so a probe can end or corrupt it safely.
    pub fn scratch(id: IdentityId, purpose: &'static str) -> Session {
        Session {
            id,
            purpose: Some(purpose),
            ..Session::default()
        }
    }

    pub fn id(&self) -> IdentityId {
        self.id
    }

    pub fn purpose(&self) -> Option<&'static str> {
        self.purpose
    }

    /// Sets (or replaces) a header sent on every request, such as `Authorization`.
    pub fn set_header(&self, name: &str, value: &str) {
        let mut h = self.headers.write().unwrap_or_else(|e| e.into_inner());
        h.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        h.push((name.to_string(), value.to_string()));
    }

    pub fn headers(&self) -> Vec<(String, String)> {
        self.headers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_csrf(&self, header: &str, token: &str) {
        *self.csrf.write().unwrap_or_else(|e| e.into_inner()) =
            Some((header.to_string(), CsrfToken::Fixed(token.to_string())));
    }

    /// Sends the cookie `cookie`'s current value in `header` on unsafe requests (the
    /// double-submit pattern of Django, Angular, Laravel, Rails).
    pub fn set_csrf_cookie(&self, header: &str, cookie: &str) {
        *self.csrf.write().unwrap_or_else(|e| e.into_inner()) =
            Some((header.to_string(), CsrfToken::Cookie(cookie.to_string())));
    }

    /// The CSRF header and its token as of now.
    pub fn csrf(&self) -> Option<(String, String)> {
        let (header, source) = self
            .csrf
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let token = match source {
            CsrfToken::Fixed(t) => t,
            CsrfToken::Cookie(name) => self.with_jar(|j| j.get(&name).map(|c| c.value.clone()))?,
        };
        Some((header, token))
    }

    /// Runs `f` with the jar locked.
    pub fn with_jar<T>(&self, f: impl FnOnce(&mut CookieJar) -> T) -> T {
        f(&mut self.jar.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Forgets every credential (before a fresh login).
    pub fn reset(&self) {
        self.with_jar(CookieJar::clear);
        self.headers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        *self.csrf.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

struct Inner {
    client: reqwest::Client,
    /// Grows only through [`HttpLayer::admit_backend`].
    scope: RwLock<Scope>,
    limiter: DefaultKeyedRateLimiter<String>,
    in_flight: Semaphore,
    settings: HttpSettings,
    sent: AtomicU64,
    tally: super::tally::Tally,
    redactor: Redactor,
    observers: RwLock<Vec<Arc<dyn Observer>>>,
    refused: Mutex<Vec<String>>,
}

/// The one client layer. Cheap to clone.
#[derive(Clone)]
pub struct HttpLayer {
    inner: Arc<Inner>,
}

const MAX_REDIRECTS: usize = 10;
const EXCERPT_BYTES: usize = 2048;
const USER_AGENT: &str = concat!(
    "prodready/",
    env!("CARGO_PKG_VERSION"),
    " (authorised production-readiness scan)"
);

impl HttpLayer {
    pub fn new(
        settings: HttpSettings,
        scope: Scope,
        redactor: Redactor,
    ) -> Result<HttpLayer, HttpError> {
        let setup_error = |e: reqwest::Error| HttpError::Transport {
            method: String::new(),
            url: String::new(),
            message: error_chain(&e),
        };
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // gzip and deflate only: a brotli decoder holds a window of up to 16 MiB per
            // response in flight, which a hostile server can demand at every request.
            .no_brotli()
            .user_agent(USER_AGENT)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(settings.concurrency.max(1));
        let client = tls::configure(builder, &settings.tls)
            .and_then(|b| b.build())
            .map_err(setup_error)?;
        let quota = Quota::per_second(settings.rate).allow_burst(settings.burst);
        Ok(HttpLayer {
            inner: Arc::new(Inner {
                client,
                scope: RwLock::new(scope),
                limiter: RateLimiter::keyed(quota),
                in_flight: Semaphore::new(settings.concurrency.max(1)),
                settings,
                sent: AtomicU64::new(0),
                tally: Default::default(),
                redactor,
                observers: RwLock::new(Vec::new()),
                refused: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The scope as of now (backends join it as they are detected).
    pub fn scope(&self) -> Scope {
        self.inner
            .scope
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Lets requests reach a backend origin the app's client talks to (see
    /// [`Scope::admit_backend`]); the only way the scope grows during a scan.
    pub fn admit_backend(&self, url: &Url) -> Result<bool, ScopeError> {
        self.inner
            .scope
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .admit_backend(url)
    }

    fn check_scope(&self, url: &Url) -> Result<(), ScopeError> {
        self.inner
            .scope
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .check(url)
    }

    pub fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.inner.settings
    }

    /// Requests put on the wire so far (each redirect hop and retry counts).
    pub fn requests_sent(&self) -> u64 {
        self.inner.sent.load(Ordering::Relaxed)
    }

    /// Requests sent so far per label (see [`labelled`](super::labelled)).
    pub fn requests_by_label(&self) -> std::collections::BTreeMap<&'static str, u64> {
        self.inner.tally.snapshot()
    }

    /// Requests and redirect hops refused by the scope guard, redacted.
    pub fn refused(&self) -> Vec<String> {
        self.inner
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn add_observer(&self, observer: Arc<dyn Observer>) {
        self.inner
            .observers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
    }

    fn refuse(&self, err: ScopeError) -> HttpError {
        let mut refused = self.inner.refused.lock().unwrap_or_else(|e| e.into_inner());
        let line = self.inner.redactor.text(&err.to_string());
        if refused.len() < 1000 && !refused.contains(&line) {
            refused.push(line);
        }
        HttpError::OutOfScope(err)
    }

    /// Sends a request as `session`, following in-scope redirects when asked.
    pub async fn send(&self, session: &Session, request: Request) -> Result<Response, HttpError> {
        let started = Instant::now();
        let mut method = request.method.clone();
        let mut url = request.url.clone();
        let mut body = request.body.clone();
        let mut redirects = Vec::new();
        loop {
            self.check_scope(&url).map_err(|e| self.refuse(e))?;
            let mut response = self
                .hop(session, &request, &method, &url, body.as_ref())
                .await?;
            let location = response
                .is_redirect()
                .then(|| response.header("location").and_then(|l| url.join(l).ok()))
                .flatten();
            let Some(next) = location.filter(|_| request.follow_redirects) else {
                response.redirects = redirects;
                response.elapsed = started.elapsed();
                // Report an off-scope Location even when redirects were not followed.
                if let Some(loc) = response.header("location").and_then(|l| url.join(l).ok())
                    && response.is_redirect()
                    && let Err(e) = self.check_scope(&loc)
                {
                    if request.follow_redirects {
                        self.refuse(e);
                    }
                    response.blocked_redirect = Some(loc);
                }
                self.notify(&response);
                return Ok(response);
            };
            if let Err(e) = self.check_scope(&next) {
                self.refuse(e);
                response.blocked_redirect = Some(next);
                response.redirects = redirects;
                response.elapsed = started.elapsed();
                self.notify(&response);
                return Ok(response);
            }
            if redirects.len() >= MAX_REDIRECTS {
                response.redirects = redirects;
                response.elapsed = started.elapsed();
                self.notify(&response);
                return Ok(response);
            }
            // 303, and 301/302 after a POST, turn into a GET without a body, as browsers do.
            if response.status == 303 || (matches!(response.status, 301 | 302) && method == "POST")
            {
                method = "GET".into();
                body = None;
            }
            redirects.push(next.clone());
            url = next;
        }
    }

    fn notify(&self, response: &Response) {
        let observers = self
            .inner
            .observers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for o in observers {
            o.observe(response);
        }
    }

    fn build_headers(
        &self,
        session: &Session,
        request: &Request,
        method: &str,
        url: &Url,
    ) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        let explicit = |name: &str| request.header_value(name).is_some();
        if !request.without_credentials {
            for (n, v) in session.headers() {
                if !explicit(&n) {
                    headers.push((n, v));
                }
            }
            let mut cookie_session = false;
            if !explicit("cookie")
                && let Some(cookie) = session.with_jar(|j| j.header_for(url))
            {
                headers.push(("Cookie".into(), cookie));
                cookie_session = true;
            }
            let unsafe_method = !matches!(method, "GET" | "HEAD" | "OPTIONS");
            // What a browser sends with a same-origin form or fetch: frameworks that
            // check the origin of cookie-authenticated writes (Django, Rails, Express
            // csrf middlewares) refuse them without it.
            if unsafe_method && cookie_session {
                let origin = url.origin().ascii_serialization();
                if !explicit("origin") {
                    headers.push(("Origin".into(), origin.clone()));
                }
                if !explicit("referer") {
                    headers.push(("Referer".into(), format!("{origin}/")));
                }
            }
            if unsafe_method
                && let Some((h, token)) = session.csrf()
                && !explicit(&h)
            {
                headers.push((h, token));
            }
        }
        headers.extend(request.headers.iter().cloned());
        headers
    }

    async fn hop(
        &self,
        session: &Session,
        request: &Request,
        method: &str,
        url: &Url,
        body: Option<&super::message::Body>,
    ) -> Result<Response, HttpError> {
        let headers = self.build_headers(session, request, method, url);
        let settings = &self.inner.settings;
        let mut attempt = 0;
        loop {
            let cap = request.body_cap.unwrap_or(settings.body_cap);
            let result = self.attempt(method, url, &headers, body, cap).await;
            match result {
                Ok((status, resp_headers, body_bytes, truncated)) => {
                    if !request.without_credentials {
                        for (n, v) in &resp_headers {
                            if n == "set-cookie" {
                                session.with_jar(|j| j.store(url, v));
                            }
                        }
                    }
                    return Ok(Response {
                        status,
                        headers: resp_headers,
                        body: body_bytes,
                        truncated,
                        url: url.clone(),
                        elapsed: Duration::ZERO,
                        redirects: Vec::new(),
                        blocked_redirect: None,
                        sent: SentRequest {
                            identity: session.id(),
                            purpose: session.purpose(),
                            method: method.to_string(),
                            url: url.clone(),
                            headers: headers.clone(),
                            body: body.map(|b| b.bytes.clone()),
                        },
                    });
                }
                Err((err, retryable)) => {
                    if !retryable || attempt >= settings.retries {
                        return Err(err);
                    }
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(250 * (1 << attempt))).await;
                }
            }
        }
    }

    /// One request on the wire: wait for the rate budget and a slot, send, read the
    /// body up to the cap or the deadline. Errors say whether a retry is safe.
    async fn attempt(
        &self,
        method: &str,
        url: &Url,
        headers: &[(String, String)],
        body: Option<&super::message::Body>,
        cap: usize,
    ) -> Result<(u16, Vec<(String, String)>, Bytes, bool), (HttpError, bool)> {
        let inner = &self.inner;
        let invalid = |message: String| {
            (
                HttpError::Invalid {
                    method: method.to_string(),
                    url: inner.redactor.url(url),
                    message,
                },
                false,
            )
        };
        let m =
            reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let mut builder = inner.client.request(m, url.clone());
        for (n, v) in headers {
            builder = builder.header(n.as_str(), v.as_str());
        }
        if let Some(b) = body {
            if !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                builder = builder.header("content-type", b.content_type.as_str());
            }
            builder = builder.body(b.bytes.clone());
        }
        let req = builder.build().map_err(|e| invalid(e.to_string()))?;

        let _slot = inner
            .in_flight
            .acquire()
            .await
            .map_err(|e| invalid(e.to_string()))?;
        let host = url.host_str().unwrap_or("").to_string();
        inner.limiter.until_key_ready(&host).await;
        inner.sent.fetch_add(1, Ordering::Relaxed);
        let label = inner.tally.count();
        tracing::trace!(label, method, url = %inner.redactor.url(url), "request");

        let timeout = inner.settings.timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let idempotent = matches!(method, "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE");
        let mut resp = match tokio::time::timeout_at(deadline, inner.client.execute(req)).await {
            Err(_) => {
                let err = HttpError::Timeout {
                    method: method.to_string(),
                    url: inner.redactor.url(url),
                    secs: timeout.as_secs_f64(),
                };
                return Err((err, idempotent));
            }
            Ok(Err(e)) => {
                let client_certificate = inner.settings.tls.client_identity.is_some();
                if let Some((problem, message)) = tls::problem(&e, client_certificate) {
                    // A certificate verdict is the same on every attempt.
                    let err = HttpError::Tls {
                        method: method.to_string(),
                        url: inner.redactor.url(url),
                        problem,
                        message,
                    };
                    return Err((err, false));
                }
                let retryable =
                    e.is_connect() || (idempotent && (e.is_timeout() || e.is_request()));
                let err = HttpError::Transport {
                    method: method.to_string(),
                    url: inner.redactor.url(url),
                    message: error_chain(&e),
                };
                return Err((err, retryable));
            }
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let resp_headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let (body, truncated) = if method == "HEAD" {
            (Bytes::new(), false)
        } else {
            read_capped(&mut resp, cap, deadline).await
        };
        Ok((status, resp_headers, body, truncated))
    }

    /// A redacted evidence record of one exchange.
    pub fn evidence(&self, label: &str, response: &Response, matched: Option<&str>) -> Evidence {
        evidence(&self.inner.redactor, label, response, matched)
    }
}

/// A redacted evidence record of one exchange: the request as sent and an excerpt of
/// the response around `matched` (or its start).
pub fn evidence(r: &Redactor, label: &str, response: &Response, matched: Option<&str>) -> Evidence {
    let sent = &response.sent;
    let excerpt = |bytes: &[u8]| -> (String, bool) {
        let cut = bytes.len() > EXCERPT_BYTES;
        let mut end = bytes.len().min(EXCERPT_BYTES);
        while end > 0 && end < bytes.len() && (bytes[end] & 0xC0) == 0x80 {
            end -= 1; // Do not split a UTF-8 sequence.
        }
        (r.text(&String::from_utf8_lossy(&bytes[..end])), cut)
    };
    let around = matched.and_then(|m| {
        let text = response.text();
        let pos = text.find(m)?;
        let start = floor_char(&text, pos.saturating_sub(EXCERPT_BYTES / 2));
        let end = floor_char(&text, (pos + m.len() + EXCERPT_BYTES / 2).min(text.len()));
        Some((r.text(&text[start..end]), start > 0 || end < text.len()))
    });
    let (body, cut) = around.unwrap_or_else(|| excerpt(&response.body));
    Evidence {
        label: label.to_string(),
        request: RequestExcerpt {
            identity: sent.identity,
            method: sent.method.clone(),
            url: r.url(&sent.url),
            headers: sent
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), r.header(n, v)))
                .collect(),
            body: sent.body.as_ref().map(|b| excerpt(b).0),
        },
        response: Some(ResponseExcerpt {
            status: response.status,
            headers: response
                .headers
                .iter()
                .filter(|(n, _)| {
                    EVIDENCE_HEADERS.contains(&n.as_str()) || n.starts_with("access-control-")
                })
                .map(|(n, v)| (n.clone(), r.header(n, v)))
                .collect(),
            body,
            truncated: cut || response.truncated,
        }),
        matched: matched.map(|m| r.text(m)),
    }
}

/// Response headers worth keeping as evidence.
const EVIDENCE_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "location",
    "server",
    "x-powered-by",
    "set-cookie",
    "www-authenticate",
    "retry-after",
    "content-security-policy",
    "strict-transport-security",
    "x-frame-options",
    "x-content-type-options",
];

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}
/// Reads a body up to `cap` bytes and the deadline; says whether it was cut short.
async fn read_capped(
    resp: &mut reqwest::Response,
    cap: usize,
    deadline: tokio::time::Instant,
) -> (Bytes, bool) {
    // Sized from Content-Length when honest, and never grown past the cap: doubling
    // a capped body would hold twice the cap per response in flight.
    let hint = resp.content_length().unwrap_or(0).min(cap as u64) as usize;
    let mut buf: Vec<u8> = Vec::with_capacity(hint);
    let mut truncated = false;
    loop {
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Err(_) => {
                truncated = true; // A body still trickling in at the deadline is cut.
                break;
            }
            Ok(Err(_)) => {
                truncated = true; // The connection broke mid-body; keep what came.
                break;
            }
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => {
                let room = cap - buf.len();
                let take = chunk.len().min(room);
                let needed = buf.len() + take;
                if needed > buf.capacity() {
                    let target = needed.max(buf.capacity() * 2).min(cap);
                    buf.reserve_exact(target - buf.len());
                }
                buf.extend_from_slice(&chunk[..take]);
                if chunk.len() > room {
                    truncated = true;
                    break;
                }
            }
        }
    }
    (Bytes::from(buf), truncated)
}
