//! Error-triggering values in request bodies: one string field at a time of a login
//! request, a discovered HTML form or a JSON body carries a quote (or another of the
//! [`Bad`] values) while the other fields keep valid values. A response that leaks a
//! stack trace, a SQL or database error or a debug page (the catalog's `errors.*`
//! signatures), where the same request with the plain value does not, is a finding that
//! names the endpoint, the field and the value.
//!
//! What gets such bodies (the same with and without `safety.safe_mode`: nothing is
//! changed or created, so nothing needs cleaning up):
//! - each configured password login (JSON and form), once per login route, in a scratch
//!   session, with a made-up account shaped like the identity's own
//!   (`prnouser123'@acme.test`, a quote an email validator accepts) and a wrong password.
//!   One attempt per route: apps count failed logins per client address, and the
//!   tenants' own logins share that allowance;
//! - forms the crawl found that submit with GET, or whose route reads as a search or
//!   lookup, as the identity that saw them (their page is fetched again, so hidden
//!   values such as CSRF tokens belong to the sending session). Forms with a password
//!   input (sign-up, other logins, password changes) and logout, delete or reset-like
//!   routes or routes of one object (`{id}`) are left alone;
//! - JSON bodies of search and lookup routes (OpenAPI examples or known body fields).
//!
//! Creates get none: apps limit writes per user, the probes that must write (tenant
//! replay, input validation, transactions) already spend most of that allowance, and
//! the input family's mutated creates reach the same INSERTs, their answers judged by
//! the same signatures.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt;
use serde_json::{Map, Value};
use url::Url;

use crate::auth::attempt;
use crate::auth::flow::{self, Prepared};
use crate::catalog::passive;
use crate::config::Login;
use crate::discover::{Endpoint, SeenForm, is_unsafe_path};
use crate::engine::Context;
use crate::html::Form;
use crate::http::{Request, Response, Session};
use crate::model::path_pattern;
use crate::model::{Confidence, EndpointKey, Finding, IdentityId, Item, Location, Severity};

/// The probe id of a leak a body field's value provoked.
pub const BODY_FIELD_ID: &str = "errors.body-field-leak";

/// Requests with a varied field, at most, per scan.
const MAX_REQUESTS: usize = 48;
/// Routes of each kind that get bodies.
const MAX_FORMS: usize = 6;
const MAX_JSON: usize = 4;
/// String fields varied per route.
const MAX_FIELDS: usize = 4;
/// Same requests with plain values, sent only to confirm a leak.
const MAX_CONTRASTS: usize = 8;
/// The signature kinds a value can provoke (banners and paths show on any answer).
const LEAK_KINDS: &[&str] = &["stack-trace", "sql-error", "database-error", "debug-page"];
/// Last path segments of a route that only reads: a body sent there changes nothing.
/// Whole segments only (`/projects/search`, `/_search`): `/saved-searches` or
/// `/api/queries` are collections a POST adds to.
const READ_WORDS: &[&str] = &[
    "search",
    "find",
    "lookup",
    "query",
    "filter",
    "autocomplete",
    "suggest",
];
/// Form inputs that take free text (hidden inputs carry tokens and state, not input).
const TEXT_INPUTS: &[&str] = &[
    "text", "search", "email", "tel", "url", "textarea", "select", "number",
];

/// The values sent, one field at a time. The quote goes into every field; the others
/// take turns across fields (error handling is mostly app-wide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bad {
    /// A single quote inside a valid-looking value: ends a SQL string literal.
    Quote,
    /// A double quote and a backslash: end double-quoted literals and hand-built JSON,
    /// and trip escape handling.
    DoubleQuote,
    /// 8 KiB of text: longer than the columns and buffers a form field is sized for.
    Long,
    /// The value inside an array (JSON) or as `field[]` (forms): code calling string
    /// methods on it fails.
    WrongType,
}

const ROTATING: &[Bad] = &[Bad::DoubleQuote, Bad::Long, Bad::WrongType];

impl Bad {
    /// The value as it goes into a field whose valid value is `plain`: quotes go before
    /// an email's `@`, so the value still looks like an address.
    pub fn text(self, plain: &str) -> String {
        let inside = |s: &str| match plain.split_once('@') {
            Some((local, domain)) => format!("{local}{s}@{domain}"),
            None => format!("{plain}{s}"),
        };
        match self {
            Bad::Quote | Bad::WrongType => inside("'"),
            Bad::DoubleQuote => inside("\"\\"),
            Bad::Long => "A".repeat(super::OVERSIZED),
        }
    }

    /// What was sent, for a reader.
    pub fn describe(self, plain: &str) -> String {
        match self {
            Bad::Quote => format!("a single quote (`{}`)", self.text(plain)),
            Bad::DoubleQuote => format!("a double quote and a backslash (`{}`)", self.text(plain)),
            Bad::Long => format!("{} characters of `A`", super::OVERSIZED),
            Bad::WrongType => format!("an array or `[]` field (`[{}]`)", self.text(plain)),
        }
    }
}

/// A request body: JSON, or form fields (a query string for GET forms).
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Map<String, Value>),
    Form(Vec<(String, String)>),
}

impl Body {
    /// The body with `bad` in `field`, every other field unchanged.
    pub fn with(&self, field: &str, plain: &str, bad: Bad) -> Body {
        let text = bad.text(plain);
        match self {
            Body::Json(m) => {
                let mut m = m.clone();
                let value = match bad {
                    Bad::WrongType => Value::Array(vec![Value::String(text)]),
                    _ => Value::String(text),
                };
                m.insert(field.to_string(), value);
                Body::Json(m)
            }
            Body::Form(fields) => {
                let name = match bad {
                    Bad::WrongType => format!("{field}[]"),
                    _ => field.to_string(),
                };
                let mut out: Vec<(String, String)> =
                    fields.iter().filter(|(n, _)| n != field).cloned().collect();
                out.push((name, text));
                Body::Form(out)
            }
        }
    }
}

/// Who sends a target's requests.
enum Sender {
    /// An identity, in its own session.
    As(IdentityId),
    /// A login attempt, in a scratch session the login flow was readied in.
    Scratch(Session),
}

/// One body-taking route and the fields that get the values.
struct Target {
    method: String,
    url: Url,
    body: Body,
    /// The varied fields, with their valid values.
    fields: Vec<(String, String)>,
    sender: Sender,
    /// The page a form was on (browsers send it as `Referer`).
    page: Option<Url>,
    /// Logins get the quote only (failed logins are counted per client).
    quote_only: bool,
}

impl Target {
    fn key(&self) -> EndpointKey {
        EndpointKey::new(&self.method, path_pattern(self.url.path()))
    }

    fn request(&self, body: &Body) -> Request {
        let req = match body {
            Body::Json(m) => Request::new(&self.method, self.url.clone())
                .json(&Value::Object(m.clone()))
                .header("Accept", "application/json"),
            Body::Form(fields) if self.method == "GET" => {
                let mut u = self.url.clone();
                u.set_query(None);
                u.query_pairs_mut().extend_pairs(fields);
                Request::get(u)
            }
            Body::Form(fields) => Request::new(&self.method, self.url.clone()).form(fields),
        };
        let req = match &self.page {
            Some(page) => req.header("Referer", page.as_str()),
            None => req,
        };
        // A login's own answer is what leaks, not the page it redirects to.
        if matches!(self.sender, Sender::Scratch(_)) {
            req.no_redirects()
        } else {
            req
        }
    }
}

/// What the body probe did.
#[derive(Default)]
pub struct Outcome {
    /// Requests that got an answer.
    pub answered: u32,
    pub errors: Vec<String>,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

/// One request to send: a target and the field and value it varies (`None`: the
/// contrast, every field plain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shot {
    target: usize,
    field: Option<(usize, Bad)>,
}

/// Sends the bounded variants of every target, confirms leaks by contrast, and turns
/// them into findings.
pub async fn probe(ctx: &Context) -> Outcome {
    let mut out = Outcome::default();
    let targets = targets(ctx, &mut out.notes).await;
    let shots = plan(
        &targets
            .iter()
            .map(|t| (t.fields.len(), t.quote_only))
            .collect::<Vec<_>>(),
    );
    let answers = send_all(ctx, &targets, shots).await;
    let mut hits: BTreeMap<(usize, usize), Vec<(Bad, Response)>> = BTreeMap::new();
    for (shot, answer) in answers {
        match answer {
            Ok(resp) => {
                out.answered += 1;
                if let Some((field, bad)) = shot.field
                    && !leak_ids(ctx, &resp).is_empty()
                {
                    hits.entry((shot.target, field))
                        .or_default()
                        .push((bad, resp));
                }
            }
            Err(e) => out.errors.push(e),
        }
    }
    let hit_targets: BTreeSet<usize> = hits.keys().map(|(t, _)| *t).collect();
    let contrasts: Vec<Shot> = hit_targets
        .into_iter()
        .take(MAX_CONTRASTS)
        .map(|target| Shot {
            target,
            field: None,
        })
        .collect();
    let contrasts: BTreeMap<usize, Response> = send_all(ctx, &targets, contrasts)
        .await
        .into_iter()
        .filter_map(|(shot, r)| Some((shot.target, r.ok()?)))
        .collect();
    out.answered += contrasts.len() as u32;
    for ((t, f), mut leaked) in hits {
        leaked.sort_by_key(|(bad, _)| *bad);
        match finding(ctx, &targets[t], f, &leaked, contrasts.get(&t)) {
            Some(found) => out.findings.push(found),
            None => out.notes.push(format!(
                "{} {} leaked error details with and without the value in `{}`; the \
                 leak is reported on the route, not on the field",
                targets[t].method,
                ctx.http.redactor().url(&targets[t].url),
                targets[t].fields[f].0
            )),
        }
    }
    out.notes.push(format!(
        "{} body variants to {} routes (logins, forms, JSON); {} leaked",
        out.answered,
        targets.len(),
        out.findings.len()
    ));
    out
}

/// The shots for targets given as (fields, quote only): the quote in every field of
/// every target first, then the other values in turn, within [`MAX_REQUESTS`].
fn plan(targets: &[(usize, bool)]) -> Vec<Shot> {
    let mut shots = Vec::new();
    for (target, &(fields, _)) in targets.iter().enumerate() {
        for field in 0..fields {
            shots.push(Shot {
                target,
                field: Some((field, Bad::Quote)),
            });
        }
    }
    let mut turn = 0;
    for (target, &(fields, quote_only)) in targets.iter().enumerate() {
        if quote_only {
            continue;
        }
        for field in 0..fields {
            let bad = ROTATING[turn % ROTATING.len()];
            turn += 1;
            shots.push(Shot {
                target,
                field: Some((field, bad)),
            });
        }
    }
    shots.truncate(MAX_REQUESTS);
    shots
}

async fn send_all(
    ctx: &Context,
    targets: &[Target],
    shots: Vec<Shot>,
) -> Vec<(Shot, Result<Response, String>)> {
    let parallel = ctx.http.settings().concurrency.max(1);
    futures_util::stream::iter(shots)
        .map(|shot| async move {
            let target = &targets[shot.target];
            let body = match shot.field {
                Some((f, bad)) => {
                    let (name, plain) = &target.fields[f];
                    target.body.with(name, plain, bad)
                }
                None => target.body.clone(),
            };
            (shot, send(ctx, target, &body).await)
        })
        .buffer_unordered(parallel)
        .collect()
        .await
}

async fn send(ctx: &Context, target: &Target, body: &Body) -> Result<Response, String> {
    let req = target.request(body);
    let identity = |id: IdentityId| {
        ctx.identities
            .get(id)
            .unwrap_or_else(|| ctx.identities.anonymous())
    };
    match &target.sender {
        Sender::As(id) => identity(*id).send(&ctx.http, req).await,
        Sender::Scratch(session) => ctx.http.send(session, req).await,
    }
    .map_err(|e| e.to_string())
}

/// The ids of the leak signatures `resp` matches.
fn leak_ids(ctx: &Context, resp: &Response) -> BTreeSet<String> {
    passive::matches(&ctx.catalog.signatures, resp)
        .into_iter()
        .filter(|m| LEAK_KINDS.contains(&m.signature.kind.as_str()))
        .map(|m| m.signature.id.clone())
        .collect()
}

/// The finding for one field whose values leaked, unless the contrast (the same
/// request with the plain value) leaked the same way.
fn finding(
    ctx: &Context,
    target: &Target,
    field: usize,
    leaked: &[(Bad, Response)],
    contrast: Option<&Response>,
) -> Option<Finding> {
    let plain_leaks = contrast.map(|c| leak_ids(ctx, c)).unwrap_or_default();
    let (name, plain) = &target.fields[field];
    let r = ctx.http.redactor();
    let mut evidence = Vec::new();
    let mut sent = Vec::new();
    let mut shown = Vec::new();
    let mut severity = Severity::Low;
    for (bad, resp) in leaked {
        let fresh: Vec<_> = passive::matches(&ctx.catalog.signatures, resp)
            .into_iter()
            .filter(|m| {
                LEAK_KINDS.contains(&m.signature.kind.as_str())
                    && !plain_leaks.contains(&m.signature.id)
            })
            .collect();
        let Some(first) = fresh.first() else {
            continue;
        };
        severity = fresh
            .iter()
            .map(|m| m.signature.severity)
            .fold(severity, Ord::max);
        sent.push(format!(
            "{} (status {})",
            r.text(&bad.describe(plain)),
            resp.status
        ));
        for m in &fresh {
            let line = format!("{}: {}", m.signature.id, r.text(&m.excerpt));
            if !shown.contains(&line) {
                shown.push(line);
            }
        }
        let label = r.text(&format!("`{name}` = {}", bad.describe(plain)));
        evidence.push(ctx.http.evidence(&label, resp, Some(&first.excerpt)));
    }
    if evidence.is_empty() {
        return None;
    }
    let location = Location {
        method: target.method.clone(),
        url: r.url(&target.url),
    };
    let confirmed = match contrast {
        Some(c) => {
            evidence.push(ctx.http.evidence(
                &format!("the same request with `{name}` = `{}`", r.text(plain)),
                c,
                None,
            ));
            format!(
                "; the same request with `{}` there answered {} without it",
                r.text(plain),
                c.status
            )
        }
        None => String::new(),
    };
    let detail = format!(
        "{} {} leaked error details when its body field `{name}` carried {}, the other \
         fields valid: {}{confirmed}. The value reaches code that fails on it (a query \
         built by string concatenation, for a quote) and the failure is shown to the client.",
        target.method,
        location.url,
        sent.join(" or "),
        shown.join("; "),
    );
    let confidence = if contrast.is_some() {
        Confidence::Confirmed
    } else {
        Confidence::Firm
    };
    let mut built = Finding::builder(Item::ErrorHandling, BODY_FIELD_ID)
        .rated(severity, confidence)
        .title("An error-triggering value in a body field leaks error details")
        .detail(detail)
        .at(location)
        .discriminator(name.as_str())
        .build();
    for e in evidence {
        built = built.with_evidence(e);
    }
    Some(built.with_remediation(
        "Pass every request value to the database as a bound parameter (or through the \
         ORM), validate fields before use, and answer failures with a generic message; \
         log the details server-side.",
    ))
}

/// Every target, in the order the request budget is spent: logins, forms, JSON
/// lookups.
async fn targets(ctx: &Context, notes: &mut Vec<String>) -> Vec<Target> {
    let mut out = login_targets(ctx, notes).await;
    let mut taken: BTreeSet<EndpointKey> = out.iter().map(Target::key).collect();
    for t in form_targets(ctx, &taken).await {
        taken.insert(t.key());
        out.push(t);
    }
    out.extend(json_targets(ctx, &taken));
    out.retain(|t| !t.fields.is_empty());
    out
}

/// One target per configured password login route, readied in a scratch session.
async fn login_targets(ctx: &Context, notes: &mut Vec<String>) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    let mut routes: BTreeSet<String> = BTreeSet::new();
    for cfg in &ctx.config.identities {
        // Identities sharing a login route (one form page, one JSON URL) share a target.
        let route = match &cfg.login {
            Login::Json { url, .. } => format!("json {url}"),
            Login::Form { page, selector, .. } => format!("form {page} {selector:?}"),
            // A Basic login has no body field to put a quote in.
            Login::Token { .. }
            | Login::Cookie { .. }
            | Login::Basic { .. }
            | Login::Supabase { .. }
            | Login::Firebase { .. } => continue,
        };
        if !routes.insert(route) {
            continue;
        }
        let session = Session::scratch(IdentityId::Anonymous, "error probe login");
        let prepared = match attempt::prepare(&ctx.http, &session, cfg).await {
            Ok(p) => p,
            Err(why) => {
                notes.push(format!("login of {} not probed: {why}", cfg.id));
                continue;
            }
        };
        let key = EndpointKey::new(prepared.method(), path_pattern(prepared.url().path()));
        if out.iter().any(|t| t.key() == key) {
            continue;
        }
        if let Prepared::Form { fields, .. } = &prepared {
            hide_tokens(ctx, fields.iter().map(|(_, v)| v.as_str()));
        }
        let username = attempt::unknown_username(flow::username(cfg).unwrap_or_default());
        out.extend(login_target(prepared, username, session));
    }
    out
}

/// A login attempt with a made-up `username` and a wrong password, whose username
/// field gets the quote; none for an HTTP Basic login (no body).
fn login_target(prepared: Prepared, username: String, session: Session) -> Option<Target> {
    let password = attempt::wrong_password();
    let (method, url, body, page, user_field) = match prepared {
        Prepared::Json {
            url,
            mut base,
            username_field,
            password_field,
        } => {
            base.insert(username_field.clone(), Value::String(username.clone()));
            base.insert(password_field, Value::String(password));
            (
                "POST".to_string(),
                url,
                Body::Json(base),
                None,
                username_field,
            )
        }
        Prepared::Form {
            page,
            method,
            action,
            mut fields,
            username_field,
            password_field,
        } => {
            fields.push((username_field.clone(), username.clone()));
            fields.push((password_field, password));
            (
                method,
                action,
                Body::Form(fields),
                Some(page),
                username_field,
            )
        }
        Prepared::Basic { .. } => return None,
    };
    Some(Target {
        method,
        url,
        body,
        fields: vec![(user_field, username)],
        sender: Sender::Scratch(session),
        page,
        quote_only: true,
    })
}

/// Whether a form may be submitted with varied values: GET forms and search or lookup
/// routes, never forms with a password input nor session-ending or destructive routes.
fn form_allowed(form: &Form, logouts: &[&str]) -> bool {
    let path = form.action.path();
    if form.has_password() || is_unsafe_path(path) || logouts.contains(&path) {
        return false;
    }
    // A POST carrying `_method=delete` (Rails, Laravel) is a delete, never junk-tested.
    let method = form.effective_method();
    method == "GET" || (method == "POST" && !path_pattern(path).contains("{id}") && reads(path))
}

fn reads(path: &str) -> bool {
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let stem = last.split('.').next().unwrap_or_default();
    READ_WORDS.iter().any(|w| {
        stem == *w
            || stem
                .strip_suffix(w)
                .is_some_and(|head| head.ends_with(['-', '_']))
    })
}

fn logout_paths(ctx: &Context) -> Vec<&str> {
    ctx.config
        .identities
        .iter()
        .filter_map(|i| i.logout.as_ref().map(|l| l.url.path()))
        .collect()
}

/// Forms the crawl found, refreshed from their page as the identity that saw them.
async fn form_targets(ctx: &Context, taken: &BTreeSet<EndpointKey>) -> Vec<Target> {
    let logouts = logout_paths(ctx);
    let seen: Vec<&SeenForm> = ctx
        .inventory
        .forms
        .iter()
        .filter(|s| form_allowed(&s.form, &logouts) && !taken.contains(&s.key()))
        .take(MAX_FORMS)
        .collect();
    let mut out = Vec::new();
    for s in seen {
        let form = refreshed(ctx, s).await.unwrap_or_else(|| s.form.clone());
        let hidden = form.inputs.iter().filter(|i| i.kind == "hidden");
        hide_tokens(ctx, hidden.map(|i| i.value.as_str()));
        let (body, fields) = form_body(&form);
        out.push(Target {
            method: form.method.clone(),
            url: form.action.clone(),
            body,
            fields,
            sender: Sender::As(s.identity),
            page: Some(s.page.clone()),
            quote_only: false,
        });
    }
    out
}

/// Registers the token-like values a submitted form carries (CSRF tokens, state) as
/// secrets: the pages answering it show them again, and evidence must not.
fn hide_tokens<'a>(ctx: &Context, values: impl Iterator<Item = &'a str>) {
    for v in values.filter(|v| looks_like_token(v)) {
        ctx.http.redactor().add(v);
    }
}

/// Long and without spaces: a token, not a label or a default text.
fn looks_like_token(value: &str) -> bool {
    value.len() >= 16 && !value.contains(char::is_whitespace)
}

/// The form as its page shows it now to the identity that saw it (fresh CSRF values).
async fn refreshed(ctx: &Context, seen: &SeenForm) -> Option<Form> {
    let identity = ctx.identities.get(seen.identity)?;
    let req = Request::get(seen.page.clone()).header("Accept", "text/html");
    let resp = identity.send(&ctx.http, req).await.ok()?;
    if !resp.is_success() {
        return None;
    }
    let key = seen.key();
    crate::discover::html::parse_page(&resp.url, &resp.text())
        .forms
        .into_iter()
        .find(|f| EndpointKey::new(&f.method, path_pattern(f.action.path())) == key)
}

/// A form's fields as a browser submits them, empty text inputs filled with valid-looking
/// values, and the text inputs that get the values.
pub fn form_body(form: &Form) -> (Body, Vec<(String, String)>) {
    let mut fields = Vec::new();
    let mut varied = Vec::new();
    for input in &form.inputs {
        let text = TEXT_INPUTS.contains(&input.kind.as_str());
        let value = if text && input.value.is_empty() {
            plain_value(&input.name, &input.kind)
        } else {
            input.value.clone()
        };
        if text
            && varied.len() < MAX_FIELDS
            && !varied
                .iter()
                .any(|(n, _): &(String, String)| *n == input.name)
        {
            varied.push((input.name.clone(), value.clone()));
        }
        fields.push((input.name.clone(), value));
    }
    (Body::Form(fields), varied)
}

/// A valid-looking value for an empty field.
fn plain_value(name: &str, kind: &str) -> String {
    let n = name.to_ascii_lowercase();
    if kind == "email" || n.contains("email") {
        "prodready@example.com".to_string()
    } else if kind == "number" {
        "1".to_string()
    } else {
        "prodready".to_string()
    }
}

/// A JSON body's string fields (top level), with their values (empty ones filled).
pub fn json_fields(body: &mut Map<String, Value>) -> Vec<(String, String)> {
    let mut varied = Vec::new();
    for (name, value) in body.iter_mut() {
        let Value::String(s) = value else { continue };
        if s.is_empty() {
            *s = plain_value(name, "text");
        }
        if varied.len() < MAX_FIELDS {
            varied.push((name.clone(), s.clone()));
        }
    }
    varied
}

/// JSON search and lookup routes of the inventory, with their example body.
fn json_targets(ctx: &Context, taken: &BTreeSet<EndpointKey>) -> Vec<Target> {
    let readers = ctx.inventory.endpoints().filter(|e| {
        e.method == "POST"
            && !e.has_path_id()
            && reads(&e.pattern)
            && !is_unsafe_path(&e.pattern)
            && !taken.contains(&EndpointKey::new(&e.method, e.pattern.clone()))
    });
    let mut out = Vec::new();
    for ep in readers {
        if out.len() >= MAX_JSON {
            break;
        }
        let (Some(mut body), Some(url)) = (json_example(ep), endpoint_url(ctx, ep)) else {
            continue;
        };
        let fields = json_fields(&mut body);
        out.push(Target {
            method: ep.method.clone(),
            url,
            body: Body::Json(body),
            fields,
            sender: Sender::As(super::sender(ctx, ep).id),
            page: None,
            quote_only: false,
        });
    }
    out
}

/// The example body of an endpoint, else one built from its known body fields.
fn json_example(ep: &Endpoint) -> Option<Map<String, Value>> {
    if let Some(Value::Object(m)) = &ep.body_example {
        return Some(m.clone());
    }
    let names: Map<String, Value> = ep
        .params
        .iter()
        .filter(|p| p.location == "body")
        .map(|p| (p.name.clone(), Value::String(String::new())))
        .collect();
    (!names.is_empty()).then_some(names)
}

fn endpoint_url(ctx: &Context, ep: &Endpoint) -> Option<Url> {
    ep.examples
        .first()
        .cloned()
        .or_else(|| ctx.config.target.join(&ep.pattern).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_keep_an_email_shaped_like_one() {
        assert_eq!(
            Bad::Quote.text("prnouser7@acme.test"),
            "prnouser7'@acme.test"
        );
        assert_eq!(Bad::Quote.text("open"), "open'");
        assert_eq!(Bad::DoubleQuote.text("x"), "x\"\\");
        assert_eq!(Bad::Long.text("x").len(), super::super::OVERSIZED);
        assert!(
            Bad::Long.describe("x").len() < 40,
            "reports show no 8 KiB value"
        );
    }

    #[test]
    fn one_field_changes_and_the_others_stay_valid() {
        let json = Body::Json(
            json!({"email": "a@b.test", "password": "pw"})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(
            json.with("email", "a@b.test", Bad::Quote),
            Body::Json(
                json!({"email": "a'@b.test", "password": "pw"})
                    .as_object()
                    .unwrap()
                    .clone()
            )
        );
        assert_eq!(
            json.with("email", "a@b.test", Bad::WrongType),
            Body::Json(
                json!({"email": ["a'@b.test"], "password": "pw"})
                    .as_object()
                    .unwrap()
                    .clone()
            )
        );
        let form = Body::Form(vec![("csrf".into(), "t".into()), ("q".into(), "x".into())]);
        assert_eq!(
            form.with("q", "x", Bad::WrongType),
            Body::Form(vec![
                ("csrf".into(), "t".into()),
                ("q[]".into(), "x'".into())
            ])
        );
    }

    #[test]
    fn the_quote_reaches_every_field_before_other_values_and_the_budget_holds() {
        let shots = plan(&[(1, true), (2, false), (1, false)]);
        let quotes: Vec<(usize, usize)> = shots
            .iter()
            .take(4)
            .map(|s| (s.target, s.field.unwrap().0))
            .collect();
        assert_eq!(quotes, [(0, 0), (1, 0), (1, 1), (2, 0)]);
        assert!(shots[..4].iter().all(|s| s.field.unwrap().1 == Bad::Quote));
        let others: Vec<Bad> = shots[4..].iter().map(|s| s.field.unwrap().1).collect();
        assert_eq!(others, [Bad::DoubleQuote, Bad::Long, Bad::WrongType]);
        assert!(
            shots
                .iter()
                .all(|s| s.target != 0 || s.field.unwrap().1 == Bad::Quote)
        );
        let many = plan(&vec![(MAX_FIELDS, false); 20]);
        assert_eq!(many.len(), MAX_REQUESTS);
    }

    #[test]
    fn only_reading_forms_without_passwords_are_submitted() {
        let page = Url::parse("http://127.0.0.1:1/app").unwrap();
        let form = |html: &str| crate::html::login_form(&page, html, Some("form")).unwrap();
        let search = form(
            r#"<form method="post" action="/app/projects/search"><input type="search" name="q"></form>"#,
        );
        let get = form(r#"<form action="/reports"><input name="from"></form>"#);
        let create =
            form(r#"<form method="post" action="/app/projects"><input name="name"></form>"#);
        let signup = form(
            r#"<form method="post" action="/search/signup"><input name="email"><input type="password" name="pw"></form>"#,
        );
        let logout = form(r#"<form method="get" action="/logout"><input name="x"></form>"#);
        let mine = form(r#"<form method="post" action="/session/find"><input name="x"></form>"#);
        assert!(form_allowed(&search, &[]));
        assert!(form_allowed(&get, &[]));
        assert!(!form_allowed(&create, &[]), "a create changes data");
        assert!(!form_allowed(&signup, &[]));
        assert!(!form_allowed(&logout, &[]));
        assert!(
            !form_allowed(&mine, &["/session/find"]),
            "a configured logout"
        );
    }

    #[test]
    fn only_token_like_hidden_values_are_taken_for_secrets() {
        assert!(looks_like_token(
            "SWSsiQ250LsOwEpZHUhJehTsCU9_8wvPRERp6V6EMJc"
        ));
        assert!(!looks_like_token("1"));
        assert!(!looks_like_token("Send me the newsletter"));
    }

    #[test]
    fn reading_routes_are_told_by_their_last_segment() {
        for path in [
            "/api/projects/search",
            "/api/documents/lookup/",
            "/idx/_search",
            "/find.json",
            "/api/2.0/runs/search",
            "/users/quick-find",
        ] {
            assert!(reads(path), "{path}");
        }
        for path in [
            "/saved-searches",
            "/api/queries",
            "/search/save",
            "/filters",
            "/research",
        ] {
            assert!(!reads(path), "{path}");
        }
    }

    #[test]
    fn forms_keep_hidden_values_and_fill_empty_text_inputs() {
        let page = Url::parse("http://127.0.0.1:1/app").unwrap();
        let html = r#"<form method="post" action="/find"><input type="hidden" name="csrf" value="tok">
            <input type="email" name="contact"><input name="q" value="open"><select name="s"><option>a</option></select>
            <input type="checkbox" name="c" value="on" checked></form>"#;
        let form = crate::html::login_form(&page, html, Some("form")).unwrap();
        let (body, varied) = form_body(&form);
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            body,
            Body::Form(pairs(&[
                ("csrf", "tok"),
                ("contact", "prodready@example.com"),
                ("q", "open"),
                ("s", "a"),
                ("c", "on")
            ]))
        );
        assert_eq!(
            varied,
            pairs(&[
                ("contact", "prodready@example.com"),
                ("q", "open"),
                ("s", "a")
            ])
        );
    }

    #[test]
    fn json_bodies_vary_their_string_fields() {
        let mut body = json!({"slug": "", "limit": 10, "email": "", "tags": ["x"]})
            .as_object()
            .unwrap()
            .clone();
        let varied = json_fields(&mut body);
        assert_eq!(
            varied,
            [
                ("email".to_string(), "prodready@example.com".to_string()),
                ("slug".to_string(), "prodready".to_string())
            ]
        );
        assert_eq!(body["limit"], 10);
    }
}
