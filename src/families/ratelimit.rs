//! Rate limits (item 4): a bounded burst at login, signup, password reset and one write
//! endpoint. Success is a 429 (or 503 with `Retry-After`), announced `RateLimit`
//! headers, a lockout or challenge, or a clear progressive slowdown. Where a limit
//! shows, a changed `X-Forwarded-For`/`X-Real-IP` must not reset it.
//!
//! Safety: the family runs last; bursts stop at the first sign of a limit; login bursts
//! use an account that does not exist (or the sacrificial one the config names), never a
//! tenant's password; signup, reset and write bodies are chosen so that a limiter sees
//! them but nothing gets created (an invalid email and a one-letter password for signup,
//! an address under the reserved `.invalid` domain for reset, an empty object for
//! writes). Should the app create something anyway, the burst stops at once.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use url::Url;

use crate::auth::attempt;
use crate::auth::flow::{self, Prepared};
use crate::discover::inventory::Endpoint;
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response, Session};
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::RunState;
use crate::model::{Confidence, Finding, Location, Severity};

/// What a burst targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    Signup,
    Reset,
    Write,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Signup => "signup",
            Kind::Reset => "password reset",
            Kind::Write => "write",
        }
    }

    fn config_key(self) -> &'static str {
        match self {
            Kind::Login => "rate_limit.login",
            Kind::Signup => "rate_limit.signup",
            Kind::Reset => "rate_limit.reset",
            Kind::Write => "rate_limit.write",
        }
    }

    fn probe_id(self) -> &'static str {
        match self {
            Kind::Login => "ratelimit.no-login-limit",
            Kind::Signup => "ratelimit.no-signup-limit",
            Kind::Reset => "ratelimit.no-reset-limit",
            Kind::Write => "ratelimit.no-write-limit",
        }
    }
}

/// How one request of a burst is made.
#[derive(Debug, Clone)]
enum Shot {
    /// Through a login flow with a throwaway username.
    Login {
        prepared: Prepared,
        username: String,
    },
    /// A JSON (or form) body to an endpoint.
    Body {
        method: String,
        url: Url,
        body: Value,
        form: bool,
    },
}

/// What one response says about a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// 429, or 503 with `Retry-After`.
    Throttled,
    /// A lockout or challenge page.
    Lockout,
    /// Standard or common rate-limit headers announce a quota.
    Announced(String),
    None,
}

const ANNOUNCING: &[&str] = &[
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
];

const LOCKOUT_WORDS: &[&str] = &[
    "too many",
    "rate limit",
    "captcha",
    "account is locked",
    "account locked",
    "temporarily locked",
    "temporarily blocked",
    "try again later",
];

/// Classifies one response of a burst.
pub fn classify(resp: &Response) -> Signal {
    if resp.status == 429 || (resp.status == 503 && resp.header("retry-after").is_some()) {
        return Signal::Throttled;
    }
    if resp.status >= 400 {
        let text = resp.text().to_ascii_lowercase();
        if LOCKOUT_WORDS.iter().any(|w| text.contains(w)) {
            return Signal::Lockout;
        }
    }
    let announced: Vec<String> = ANNOUNCING
        .iter()
        .filter_map(|h| resp.header(h).map(|v| format!("{h}: {v}")))
        .collect();
    if !announced.is_empty() {
        return Signal::Announced(announced.join("; "));
    }
    Signal::None
}

/// `Retry-After` as a duration (seconds form; an HTTP date counts as unknown).
pub fn retry_after(resp: &Response) -> Option<Duration> {
    resp.header("retry-after")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// A clear progressive slowdown: the last answers take several times as long as the first.
pub fn slowed_down(latencies: &[Duration]) -> bool {
    if latencies.len() < 10 {
        return false;
    }
    let median = |s: &[Duration]| {
        let mut v = s.to_vec();
        v.sort();
        v[v.len() / 2]
    };
    let first = median(&latencies[..5]);
    let last = median(&latencies[latencies.len() - 5..]);
    last > first * 3 && last > first + Duration::from_millis(500)
}

/// What the `ratelimit` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "ratelimit",
    items: &[Item::RateLimiting],
    ids: &[
        "ratelimit.forwarded-for-bypass",
        "ratelimit.no-login-limit",
        "ratelimit.no-reset-limit",
        "ratelimit.no-signup-limit",
        "ratelimit.no-write-limit",
    ],
    runs_last: true,
};

/// The `ratelimit` family.
pub struct RatelimitFamily;

impl Family for RatelimitFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move {
            let mut runs = Vec::new();
            let mut wait = Duration::ZERO;
            // Login last: its limiter is the one the tenants' own logins share.
            for kind in [Kind::Write, Kind::Reset, Kind::Signup, Kind::Login] {
                match target(ctx, kind).await {
                    Err(reason) => runs.push(ProbeRun::not_run(
                        DESCRIPTOR.name,
                        Item::RateLimiting,
                        reason,
                        Some(kind.config_key()),
                    )),
                    Ok((shot, session, via_identity)) => {
                        let (run, w) = burst(ctx, kind, &shot, &session, via_identity).await;
                        // Only a login limit keeps the test accounts out after the scan;
                        // the others (and the cleanup, done before) need no wait.
                        if kind == Kind::Login {
                            wait = wait.max(w);
                        }
                        runs.push(run);
                    }
                }
            }
            // Wait out the login limit the burst tripped (bounded), so the test accounts
            // can log in again when the scan returns (a CI job may use them next).
            let wait = wait.min(ctx.config.rate_limit.max_wait);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
                if let Some(r) = runs.iter_mut().find(|r| r.checks > 0) {
                    r.notes.push(format!(
                        "waited {} s for the limits to reset",
                        wait.as_secs_f32()
                    ));
                }
            }
            Ok(runs)
        })
    }
}

fn has_word(pattern: &str, words: &[&str]) -> bool {
    let p = pattern.to_ascii_lowercase();
    words.iter().any(|w| p.contains(w))
}

const SIGNUP_WORDS: &[&str] = &[
    "signup",
    "sign-up",
    "sign_up",
    "register",
    "registration",
    "create-account",
    "create_account",
];
const RESET_WORDS: &[&str] = &[
    "password-reset",
    "password_reset",
    "reset-password",
    "reset_password",
    "passwordreset",
    "password/reset",
    "forgot",
    "recover",
];
const AUTH_WORDS: &[&str] = &[
    "login", "logout", "signin", "sign-in", "signup", "register", "password", "session", "auth",
    "token", "oauth",
];
const FOLLOW_UP_WORDS: &[&str] = &["confirm", "verify", "callback"];

/// Body field names an endpoint is known to take, and whether they are form fields.
pub(crate) fn field_names(e: &Endpoint) -> (Vec<String>, bool) {
    if let Some(Value::Object(m)) = &e.body_example {
        return (m.keys().cloned().collect(), false);
    }
    let body: Vec<String> = e
        .params
        .iter()
        .filter(|p| p.location == "body")
        .map(|p| p.name.clone())
        .collect();
    if !body.is_empty() {
        return (body, false);
    }
    let form: Vec<String> = e
        .params
        .iter()
        .filter(|p| p.location == "form")
        .map(|p| p.name.clone())
        .collect();
    let is_form = !form.is_empty();
    (form, is_form)
}

/// The POST endpoint discovery found whose path has one of `words` (JSON first: a form
/// usually needs a CSRF token the burst would not have), with a URL for it.
fn discovered_endpoint<'c>(ctx: &'c Context, words: &[&str]) -> Option<(&'c Endpoint, Url)> {
    let mut found: Vec<&Endpoint> = ctx
        .inventory
        .endpoints()
        .filter(|e| {
            e.method == "POST"
                && has_word(&e.pattern, words)
                && !has_word(&e.pattern, FOLLOW_UP_WORDS)
                && !e.has_path_id()
        })
        .collect();
    found.sort_by_key(|e| field_names(e).1);
    let e = found.first()?;
    let url = e
        .examples
        .first()
        .cloned()
        .or_else(|| ctx.config.target.join(&e.pattern).ok())?;
    Some((e, url))
}

fn discovered(ctx: &Context, words: &[&str]) -> Option<(Url, Vec<String>, bool)> {
    let (e, url) = discovered_endpoint(ctx, words)?;
    let (fields, form) = field_names(e);
    Some((url, fields, form))
}

/// The address a signup burst sends: no `@`, so every validator refuses it and no
/// account can come of it on an app that validates.
const NOT_AN_EMAIL: &str = "prodready-not-an-email";

/// The app's signup endpoint: the configured `rate_limit.signup`, else the one discovery
/// found; with the inventory's entry for it when discovery saw it (its fields, its
/// example body).
pub(crate) fn signup_endpoint(ctx: &Context) -> Option<(String, Url, Option<Endpoint>)> {
    if let Some(ep) = &ctx.config.rate_limit.signup {
        let pattern = crate::model::path_pattern(ep.url.path());
        let known = ctx
            .inventory
            .endpoints()
            .find(|e| e.method == ep.method && e.pattern == pattern)
            .cloned();
        return Some((ep.method.clone(), ep.url.clone(), known));
    }
    let (e, url) = discovered_endpoint(ctx, SIGNUP_WORDS)?;
    Some(("POST".to_string(), url, Some(e.clone())))
}

/// A body a limiter sees but that cannot create an account or send mail to anyone.
fn harmless_body(kind: Kind, fields: &[String], reset_email: &str) -> Value {
    let defaults = ["email".to_string(), "password".to_string()];
    let fields = if fields.is_empty() {
        &defaults[..]
    } else {
        fields
    };
    let mut m = Map::new();
    for f in fields {
        let n = f.to_ascii_lowercase();
        let v = if n.contains("email") || n.contains("user") || n.contains("login") {
            match kind {
                Kind::Signup => NOT_AN_EMAIL.to_string(),
                _ => reset_email.to_string(),
            }
        } else if n.contains("pass") {
            "x".to_string()
        } else {
            "prodready".to_string()
        };
        m.insert(f.clone(), Value::String(v));
    }
    Value::Object(m)
}

/// The request each kind's burst repeats, the session it is sent in, and whether that
/// session is an identity's own (writes).
async fn target(ctx: &Context, kind: Kind) -> Result<(Shot, Session, bool), String> {
    let session = Session::scratch(IdentityId::Anonymous, "rate-limit burst");
    match kind {
        Kind::Login => {
            let shot = login_shot(ctx, &session).await?;
            Ok((shot, session, false))
        }
        Kind::Signup | Kind::Reset => Ok((refused_body_shot(ctx, kind)?, session, false)),
        Kind::Write => Ok((empty_write_shot(ctx)?, session, true)),
    }
}

/// Login attempts for an account that does not exist (or the configured sacrificial
/// one): through the configured login endpoint, else an identity's own login flow.
async fn login_shot(ctx: &Context, session: &Session) -> Result<Shot, String> {
    let rl = &ctx.config.rate_limit;
    let password_ids: Vec<_> = ctx
        .identities
        .authenticated()
        .filter_map(|i| i.config.as_ref())
        .filter(|c| flow::has_password_flow(c))
        .collect();
    let like = password_ids
        .first()
        .and_then(|c| flow::username(c))
        .unwrap_or("user@example.invalid");
    let username = rl
        .login_username
        .clone()
        .unwrap_or_else(|| attempt::unknown_username(like));
    if let Some(ep) = &rl.login {
        let (uf, pf) = password_ids
            .iter()
            .find_map(|c| match &c.login {
                crate::config::Login::Json {
                    username_field,
                    password_field,
                    ..
                } => Some((username_field.clone(), password_field.clone())),
                _ => None,
            })
            .unwrap_or(("email".into(), "password".into()));
        let prepared = Prepared::Json {
            url: ep.url.clone(),
            base: Map::new(),
            username_field: uf,
            password_field: pf,
        };
        return Ok(Shot::Login { prepared, username });
    }
    // JSON flows first: no page to fetch, no CSRF token to carry.
    let mut sorted = password_ids.clone();
    sorted.sort_by_key(|c| !matches!(c.login, crate::config::Login::Json { .. }));
    let cfg = sorted
        .first()
        .ok_or("no login endpoint: no identity logs in with a password and none is configured")?;
    let prepared = attempt::prepare(&ctx.http, session, cfg).await?;
    Ok(Shot::Login { prepared, username })
}

/// A signup or reset body the endpoint must refuse: to the configured endpoint, else
/// to the one discovery found.
fn refused_body_shot(ctx: &Context, kind: Kind) -> Result<Shot, String> {
    let rl = &ctx.config.rate_limit;
    let reset_email = format!("prodready-{}@example.invalid", rand::random::<u32>());
    let (configured, words) = if kind == Kind::Signup {
        (&rl.signup, SIGNUP_WORDS)
    } else {
        (&rl.reset, RESET_WORDS)
    };
    let (method, url, fields, form) = match configured {
        Some(ep) => (ep.method.clone(), ep.url.clone(), Vec::new(), false),
        None => {
            let (url, fields, form) = discovered(ctx, words)
                .ok_or_else(|| format!("no {} endpoint found by discovery", kind.name()))?;
            ("POST".to_string(), url, fields, form)
        }
    };
    let body = harmless_body(kind, &fields, &reset_email);
    Ok(Shot::Body {
        method,
        url,
        body,
        form,
    })
}

/// An empty object to the configured write endpoint, else to a create endpoint
/// discovery found.
fn empty_write_shot(ctx: &Context) -> Result<Shot, String> {
    let (method, url) = match &ctx.config.rate_limit.write {
        Some(ep) => (ep.method.clone(), ep.url.clone()),
        None => ("POST".to_string(), discovered_write(ctx)?),
    };
    Ok(Shot::Body {
        method,
        url,
        body: Value::Object(Map::new()),
        form: false,
    })
}

/// A create endpoint of a collection some identity could list.
fn discovered_write(ctx: &Context) -> Result<Url, String> {
    let listed = |pattern: &str| {
        ctx.inventory.endpoints().any(|g| {
            g.method == "GET"
                && g.pattern == pattern
                && g.observations
                    .iter()
                    .any(|o| o.identity != IdentityId::Anonymous && (200..300).contains(&o.status))
        })
    };
    let e = ctx
        .inventory
        .endpoints()
        .find(|e| {
            e.method == "POST"
                && !e.has_path_id()
                && !has_word(&e.pattern, AUTH_WORDS)
                && e.requires_auth != Some(false)
                && listed(&e.pattern)
        })
        .ok_or("no write endpoint found by discovery")?;
    e.examples
        .first()
        .cloned()
        .or_else(|| ctx.config.target.join(&e.pattern).ok())
        .ok_or_else(|| "no URL for the write endpoint".to_string())
}

fn request(shot: &Shot, fresh_user: bool) -> Request {
    match shot {
        Shot::Login { prepared, username } => {
            let user = if fresh_user {
                attempt::unknown_username(username)
            } else {
                username.clone()
            };
            attempt::request(prepared, &user, &attempt::wrong_password())
        }
        Shot::Body {
            method,
            url,
            body,
            form,
        } => {
            let req = Request::new(method, url.clone()).no_redirects();
            if *form {
                let fields: Vec<(String, String)> = body
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                req.form(&fields)
            } else {
                req.json(body).header("Accept", "application/json")
            }
        }
    }
}

async fn send(
    ctx: &Context,
    kind: Kind,
    session: &Session,
    via_identity: bool,
    req: Request,
) -> Option<Response> {
    if via_identity {
        // Writes go out as the first tenant identity (re-login handled by it).
        let id = ctx
            .identities
            .authenticated()
            .find(|i| i.tenant().is_some())
            .or_else(|| ctx.identities.authenticated().next())?;
        return id.send(&ctx.http, req).await.ok();
    }
    let _ = kind;
    ctx.http.send(session, req).await.ok()
}

fn limited(s: &Signal) -> bool {
    matches!(s, Signal::Throttled | Signal::Lockout)
}

/// What the requests of one burst got back.
struct Volley {
    latencies: Vec<Duration>,
    statuses: Vec<u16>,
    first: Option<Response>,
    last: Option<Response>,
    /// The request that showed a limit, and the sign it showed.
    outcome: Option<(u32, Signal)>,
}

/// One bounded burst; returns its run and how long its limit asks to wait.
async fn burst(
    ctx: &Context,
    kind: Kind,
    shot: &Shot,
    session: &Session,
    via_identity: bool,
) -> (ProbeRun, Duration) {
    let http = &ctx.http;
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::RateLimiting);
    let Some(volley) = fire(ctx, kind, shot, session, via_identity, &mut run).await else {
        return (run, Duration::ZERO);
    };
    let Some(last) = &volley.last else {
        run.state = RunState::Inconclusive {
            reason: format!("no {} request of the burst got an answer", kind.name()),
        };
        return (run, Duration::ZERO);
    };
    let location = Location {
        method: last.sent.method.clone(),
        url: http.redactor().url(&last.sent.url),
    };
    match &volley.outcome {
        Some((i, Signal::Announced(headers))) => {
            run.notes.push(format!(
                "{}: a quota is announced at request {i} ({})",
                kind.name(),
                http.redactor().text(headers)
            ));
            (run, Duration::ZERO)
        }
        Some((i, signal)) => {
            let wait = retry_after(last).unwrap_or(Duration::from_secs(5));
            run.notes.push(format!(
                "{}: limited at request {i} ({}, status {}{}) after {} allowed",
                kind.name(),
                if *signal == Signal::Throttled {
                    "throttled"
                } else {
                    "lockout or challenge"
                },
                last.status,
                retry_after(last)
                    .map(|d| format!(", Retry-After {} s", d.as_secs()))
                    .unwrap_or_default(),
                i - 1
            ));
            forwarded_for_check(ctx, kind, shot, session, via_identity, &location, &mut run).await;
            (run, wait)
        }
        None if slowed_down(&volley.latencies) => {
            run.notes.push(format!(
                "{}: answers slowed down progressively over {} requests",
                kind.name(),
                volley.latencies.len()
            ));
            (run, Duration::ZERO)
        }
        None if volley.statuses.iter().all(|s| matches!(s, 403 | 419))
            || (kind != Kind::Login && volley.statuses.iter().all(|s| *s == 401)) =>
        {
            run.state = RunState::Inconclusive {
                reason: format!(
                    "every {} request was refused ({}) before any limiter could count it (CSRF or authentication); set {}",
                    kind.name(),
                    last.status,
                    kind.config_key()
                ),
            };
            (run, Duration::ZERO)
        }
        None => {
            let finding = no_limit_finding(ctx, kind, run.checks, location, &volley, last);
            run.findings.push(finding);
            (run, Duration::ZERO)
        }
    }
}

/// Sends the burst's requests until one shows a limit or the bound is reached. `None`
/// when the endpoint accepted a body meant to be refused: the burst stopped at once and
/// `run` says why.
async fn fire(
    ctx: &Context,
    kind: Kind,
    shot: &Shot,
    session: &Session,
    via_identity: bool,
    run: &mut ProbeRun,
) -> Option<Volley> {
    let mut volley = Volley {
        latencies: Vec::new(),
        statuses: Vec::new(),
        first: None,
        last: None,
        outcome: None,
    };
    for i in 1..=ctx.config.rate_limit.burst {
        let Some(resp) = send(ctx, kind, session, via_identity, request(shot, false)).await else {
            continue;
        };
        run.checks += 1;
        volley.latencies.push(resp.elapsed);
        volley.statuses.push(resp.status);
        let created = matches!(kind, Kind::Signup | Kind::Write)
            && (resp.is_success() || (kind == Kind::Signup && resp.is_redirect()));
        if created {
            let note = cleanup(ctx, kind, &resp, via_identity).await;
            run.state = RunState::Inconclusive {
                reason: format!(
                    "the {} endpoint accepted a body meant to be refused ({}); the burst stopped after {i} request(s) so nothing more gets created{note}",
                    kind.name(),
                    resp.status
                ),
            };
            return None;
        }
        let signal = classify(&resp);
        if volley.first.is_none() {
            volley.first = Some(resp.clone());
        }
        volley.last = Some(resp);
        if signal != Signal::None {
            volley.outcome = Some((i, signal));
            break;
        }
    }
    Some(volley)
}

/// The finding for a burst that met no limit, with its first and last requests as evidence.
fn no_limit_finding(
    ctx: &Context,
    kind: Kind,
    requests: u32,
    location: Location,
    volley: &Volley,
    last: &Response,
) -> Finding {
    let http = &ctx.http;
    let mut f = Finding::builder(Item::RateLimiting, kind.probe_id())
            .rated(if kind == Kind::Login {
            Severity::High
        } else {
            Severity::Medium
        }, Confidence::Firm)
            .title(format!("No rate limit on {}", kind.name()))
            .detail(format!(
            "{} {} requests in a row at the scanner's rate got no 429, no Retry-After, no RateLimit headers, no lockout and no slowdown: {} can be automated at will.",
            requests,
            kind.name(),
            match kind {
                Kind::Login => "password guessing",
                Kind::Signup => "account creation",
                Kind::Reset => "reset-mail flooding",
                Kind::Write => "writing",
            }
        ))
            .at(location)
            .discriminator(kind.name())
            .build();
    if let Some(first) = &volley.first {
        f = f.with_evidence(http.evidence("first request of the burst", first, None));
    }
    f.with_evidence(http.evidence("last request of the burst", last, None))
        .with_remediation(format!("Throttle {} per client and per account (answer 429 with Retry-After once the limit is reached).", kind.name()))
}

/// With a limit in force: a request claiming another client address (documentation
/// range 203.0.113.0/24) right before a plain one, twice. Let through while the plain
/// request is still limited means the limiter trusts client-supplied headers; a plain
/// request let through too means the limit simply ran out, which proves nothing.
async fn forwarded_for_check(
    ctx: &Context,
    kind: Kind,
    shot: &Shot,
    session: &Session,
    via_identity: bool,
    location: &Location,
    run: &mut ProbeRun,
) {
    let http = &ctx.http;
    let mut evidence = Vec::new();
    for _ in 0..2 {
        let ip = format!("203.0.113.{}", 1 + rand::random::<u8>() % 254);
        let req = request(shot, true)
            .header("X-Forwarded-For", ip.clone())
            .header("X-Real-IP", ip);
        let Some(forged) = send(ctx, kind, session, via_identity, req).await else {
            return;
        };
        run.checks += 1;
        if limited(&classify(&forged)) {
            run.notes.push(format!(
                "{}: the limit holds with a changed X-Forwarded-For",
                kind.name()
            ));
            return;
        }
        let Some(plain) = send(ctx, kind, session, via_identity, request(shot, true)).await else {
            return;
        };
        run.checks += 1;
        if !limited(&classify(&plain)) {
            run.notes.push(format!(
                "{}: the limit ran out before X-Forwarded-For could be judged",
                kind.name()
            ));
            return;
        }
        evidence.push(http.evidence("changed X-Forwarded-For, let through", &forged, None));
        evidence.push(http.evidence("plain request right after, still limited", &plain, None));
    }
    let mut f = Finding::builder(Item::RateLimiting, "ratelimit.forwarded-for-bypass")
            .rated(Severity::Medium, Confidence::Firm)
            .title(format!("{} limit resets with a forged X-Forwarded-For", kind.name()))
            .detail(format!(
            "Once the {} limit was reached, requests claiming another client address in X-Forwarded-For / X-Real-IP went through while plain requests stayed limited: anyone can escape the limit by rotating the header.",
            kind.name()
        ))
            .at(location.clone())
            .discriminator(kind.name())
            .build();
    for e in evidence {
        f = f.with_evidence(e);
    }
    run.findings.push(f.with_remediation("Key limits on the address your own proxy saw (trust X-Forwarded-For only from known proxies, and only its right-most untrusted entry)."));
}

/// Deletes what an accepted write created, when the answer says where it lives.
async fn cleanup(ctx: &Context, kind: Kind, resp: &Response, via_identity: bool) -> String {
    if kind != Kind::Write {
        ctx.owned.strand(
            &format!(
                "account {NOT_AN_EMAIL} (the signup burst's request was accepted with {} at {})",
                resp.status,
                ctx.http.redactor().url(&resp.sent.url)
            ),
            "the scanner knows no way to delete an account; delete it by hand",
        );
        return format!("; an account may have been created with the address {NOT_AN_EMAIL}");
    }
    let id = resp.json().and_then(|j| {
        j.get("id")
            .map(|v| v.to_string().trim_matches('"').to_string())
    });
    let url = resp
        .header("location")
        .and_then(|l| resp.url.join(l).ok())
        .or_else(|| {
            id.and_then(|id| {
                resp.sent
                    .url
                    .join(&format!(
                        "{}/{id}",
                        resp.sent.url.path().trim_end_matches('/')
                    ))
                    .ok()
            })
        });
    let what = format!(
        "object created by the write burst ({} {})",
        resp.sent.method,
        ctx.http.redactor().url(&resp.sent.url)
    );
    let Some(url) = url else {
        ctx.owned
            .strand(&what, "its answer named no location or id");
        return "; the created object could not be located for deletion".to_string();
    };
    let session = Session::scratch(IdentityId::Anonymous, "rate-limit cleanup");
    let what = format!("{what} at {}", ctx.http.redactor().url(&url));
    match send(
        ctx,
        kind,
        &session,
        via_identity,
        Request::new("DELETE", url),
    )
    .await
    {
        Some(r) if r.is_success() => "; the created object was deleted".to_string(),
        Some(r) => {
            ctx.owned
                .strand(&what, &format!("DELETE answered {}", r.status));
            "; deleting the created object failed".to_string()
        }
        None => {
            ctx.owned.strand(&what, "the DELETE could not be sent");
            "; deleting the created object failed".to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response::synthetic(
            Url::parse("http://127.0.0.1/").unwrap(),
            status,
            headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body.to_string(),
        )
    }

    #[test]
    fn classifies_limit_signals() {
        assert_eq!(classify(&resp(429, &[], "")), Signal::Throttled);
        assert_eq!(
            classify(&resp(503, &[("Retry-After", "5")], "")),
            Signal::Throttled
        );
        assert_eq!(classify(&resp(503, &[], "down")), Signal::None);
        assert_eq!(
            classify(&resp(401, &[], "Too many failed attempts, please wait")),
            Signal::Lockout
        );
        assert_eq!(classify(&resp(200, &[], "too many cooks")), Signal::None);
        assert!(matches!(
            classify(&resp(422, &[("RateLimit-Policy", "\"w\";q=60;w=60")], "")),
            Signal::Announced(_)
        ));
        assert_eq!(
            classify(&resp(401, &[], "{\"error\":\"invalid\"}")),
            Signal::None
        );
        assert_eq!(
            retry_after(&resp(429, &[("Retry-After", "12")], "")),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            retry_after(&resp(
                429,
                &[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")],
                ""
            )),
            None
        );
    }

    #[test]
    fn detects_progressive_slowdown_only_when_clear() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|m| Duration::from_millis(*m))
                .collect::<Vec<_>>()
        };
        assert!(slowed_down(&ms(&[
            20, 22, 19, 21, 20, 300, 600, 900, 1200, 1500, 1800
        ])));
        assert!(!slowed_down(&ms(&[20, 22, 19, 21, 20, 25, 30, 28, 22, 21])));
        assert!(!slowed_down(&ms(&[20, 30])));
    }

    #[test]
    fn harmless_bodies_cannot_create_accounts() {
        let b = harmless_body(
            Kind::Signup,
            &["email".into(), "password".into(), "name".into()],
            "r@example.invalid",
        );
        assert_eq!(b["email"], "prodready-not-an-email");
        assert_eq!(b["password"], "x");
        let r = harmless_body(Kind::Reset, &[], "r@example.invalid");
        assert_eq!(r["email"], "r@example.invalid");
    }
}
