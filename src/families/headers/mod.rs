//! Item 6: security headers of a representative response set, judged per kind.
//!
//! The set: the start pages, authenticated HTML pages, authenticated API (JSON)
//! responses, error pages (HTML and JSON) and a redirect. Documents need CSP and frame
//! protection; API responses need `nosniff` and, when they carry a user's data,
//! `Cache-Control: no-store`; every response is checked for HSTS (over https) and
//! version banners. Findings are per route pattern (the finding id hashes it), and the
//! start page gets an Observatory-compatible grade in the item's headline.
//!
//! Documents whose CSP trusts a nonce are fetched a second time in another session: a
//! nonce that comes back unchanged is known to every attacker. Session and CSRF cookies are judged
//! under item 2 (the `cookies` family); the grade counts every cookie the start page sets.

pub mod cors;
pub mod csp;
pub mod grade;

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use url::Url;

use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::path_pattern;
use crate::model::{Confidence, Finding, Location, Severity};

/// Bounds on the response set.
const MAX_PAGES: usize = 4;
const MAX_API: usize = 6;
const EVIDENCE_PER_FINDING: usize = 2;
/// Sent on the graded start page, as the Observatory does, to see whether it is reflected.
const GRADING_ORIGIN: &str = "https://observatory-check.prodready.invalid";

/// What the `headers` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "headers",
    items: &[Item::SecurityHeaders],
    ids: &[
        "headers.csp-unsafe-eval",
        "headers.csp-strict-dynamic",
        "headers.csp-object-src",
        "headers.csp-base-uri",
        "headers.cacheable-private-response",
        "headers.stack-banner",
        "headers.coop",
        "headers.corp",
        "headers.csp-broad-source",
        "headers.csp-insecure-scheme",
        "headers.csp-invalid",
        "headers.csp-missing",
        "headers.csp-report-only",
        "headers.csp-static-nonce",
        "headers.csp-unsafe-inline",
        "headers.framing-unprotected",
        "headers.hsts-invalid",
        "headers.hsts-missing",
        "headers.hsts-short",
        "headers.hsts-subdomains",
        "headers.no-https",
        "headers.nosniff-missing",
        "headers.permissions-policy",
        "headers.referrer-policy",
        "headers.version-banner",
    ],
    runs_last: false,
};

/// The `headers` family.
pub struct HeadersFamily;

impl Family for HeadersFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await?]) })
    }
}

/// What a response is, which decides what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Document,
    Api,
    Redirect,
}

/// Why a request is in the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The first start page: graded.
    Graded,
    Page,
    Error,
    Redirect,
}

/// Whether a host is loopback: a test deploy where https cannot be expected.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn plan(ctx: &Context) -> Vec<(Role, IdentityId, Request)> {
    let mut out = Vec::new();
    let html = |u: Url| Request::get(u).header("Accept", "text/html,application/xhtml+xml");
    let json = |u: Url| Request::get(u).header("Accept", "application/json");
    let first_auth = ctx.identities.authenticated().next().map(|i| i.id);
    for (i, u) in ctx.config.start.iter().enumerate() {
        if i == 0 {
            out.push((
                Role::Graded,
                IdentityId::Anonymous,
                html(u.clone()).header("Origin", GRADING_ORIGIN),
            ));
        } else {
            out.push((Role::Page, IdentityId::Anonymous, html(u.clone())));
        }
    }
    // Pages seen by discovery, as an authenticated identity (they may be private).
    let start: BTreeSet<String> = ctx
        .config
        .start
        .iter()
        .map(|u| path_pattern(u.path()))
        .collect();
    let mut seen = start.clone();
    let mut redirect_from: Option<Url> = None;
    for p in &ctx.inventory.pages {
        let Ok(u) = Url::parse(p) else { continue };
        if !seen.insert(path_pattern(u.path())) || seen.len() - start.len() > MAX_PAGES {
            continue;
        }
        if redirect_from.is_none() {
            redirect_from = Some(u.clone());
        }
        let req = html(u.clone());
        let who = page_reached_by(ctx, &u, &req)
            .or(first_auth)
            .unwrap_or(IdentityId::Anonymous);
        out.push((Role::Page, who, req));
    }
    // Authenticated API responses: one example per GET route pattern seen with success.
    let mut api = 0;
    for ep in ctx.inventory.endpoints() {
        if api >= MAX_API || ep.method != "GET" {
            continue;
        }
        let ok = ep.observations.iter().find(|o| {
            o.status < 300
                && o.identity != IdentityId::Anonymous
                && o.content_type
                    .as_deref()
                    .is_some_and(|c| c.contains("json"))
        });
        let (Some(obs), Some(u)) = (ok, ep.examples.first()) else {
            continue;
        };
        api += 1;
        out.push((Role::Page, obs.identity, json(u.clone())));
    }
    // Error pages, both kinds.
    let token = format!("prodready-{:08x}", rand::random::<u32>());
    if let Ok(u) = ctx.config.target.join(&format!("/{token}")) {
        out.push((Role::Error, IdentityId::Anonymous, html(u.clone())));
        if let Some(who) = first_auth {
            out.push((Role::Error, who, json(u)));
        }
    }
    // A redirect: a private page asked for anonymously usually redirects to a login.
    if let Some(u) = redirect_from {
        out.push((
            Role::Redirect,
            IdentityId::Anonymous,
            html(u).no_redirects(),
        ));
    }
    out
}

/// The authenticated identity (tenant A first) that discovery's own request showed
/// `page` to as a page, not redirected elsewhere: another identity may be sent to a
/// sign-in page instead, whose headers are not the page's.
fn page_reached_by(ctx: &Context, page: &Url, req: &Request) -> Option<IdentityId> {
    ctx.identities.authenticated().map(|i| i.id).find(|&id| {
        ctx.inventory.answers.answer(id, req).is_some_and(|r| {
            (200..300).contains(&r.status) && r.is_html() && r.url.path() == page.path()
        })
    })
}

/// The kind of a response: by status, then content type.
pub fn kind_of(resp: &Response) -> Kind {
    if resp.is_redirect() {
        Kind::Redirect
    } else if resp.is_html() {
        Kind::Document
    } else {
        Kind::Api
    }
}

/// `<meta http-equiv="Content-Security-Policy">` contents of an HTML body's head
/// (browsers ignore the tag anywhere else).
pub fn meta_policies(resp: &Response) -> Vec<String> {
    if !resp.is_html() {
        return Vec::new();
    }
    // The head (meta tags, scripts) comes first; a bounded prefix keeps hostile pages cheap.
    let (doc, _) = crate::discover::html::parse_bounded(&resp.text());
    let Ok(sel) = scraper::Selector::parse("head meta[http-equiv]") else {
        return Vec::new();
    };
    doc.select(&sel)
        .filter(|e| {
            e.value()
                .attr("http-equiv")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("content-security-policy"))
        })
        .filter_map(|e| e.value().attr("content").map(str::to_string))
        .collect()
}

/// Every CSP of one response: headers, report-only headers and `<meta>`.
pub fn policies_of(resp: &Response) -> Vec<csp::Policy> {
    let headers: Vec<&str> = resp.headers_named("content-security-policy").collect();
    let report_only: Vec<&str> = resp
        .headers_named("content-security-policy-report-only")
        .collect();
    let metas = meta_policies(resp);
    csp::collect(&headers, &report_only, &metas)
}

/// Evaluates the CSP of one response (headers and `<meta>`).
pub fn csp_of(resp: &Response) -> csp::Evaluation {
    csp_with(resp, &BTreeSet::new())
}

/// [`csp_of`], knowing which nonces came back unchanged on a second response.
pub fn csp_with(resp: &Response, static_nonces: &BTreeSet<String>) -> csp::Evaluation {
    csp::evaluate_with(
        &policies_of(resp),
        resp.url.scheme() == "https",
        static_nonces,
    )
}

/// One judged problem: probe id, severity, confidence, title, detail, remediation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub check: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    pub title: String,
    pub detail: String,
    pub remediation: &'static str,
}

fn issue(
    check: &'static str,
    severity: Severity,
    title: impl Into<String>,
    detail: impl Into<String>,
    remediation: &'static str,
) -> Issue {
    Issue {
        check,
        severity,
        confidence: Confidence::Firm,
        title: title.into(),
        detail: detail.into(),
        remediation,
    }
}

fn csp_severity(check: &str) -> Severity {
    match check {
        "headers.csp-missing"
        | "headers.csp-report-only"
        | "headers.csp-unsafe-inline"
        | "headers.csp-static-nonce"
        | "headers.csp-broad-source"
        | "headers.csp-insecure-scheme"
        | "headers.csp-invalid" => Severity::Medium,
        _ => Severity::Low,
    }
}

/// Whether a header value names a version (`nginx/1.25.3`, `PHP/8.2`, `Express 4`).
fn has_version(v: &str) -> bool {
    v.split(|c: char| c == '/' || c.is_whitespace())
        .skip(1)
        .any(|t| t.starts_with(|c: char| c.is_ascii_digit()))
}

/// Judges one response by its kind. `authenticated` says whether an identity sent it.
pub fn judge(resp: &Response, authenticated: bool) -> Vec<Issue> {
    judge_with(resp, authenticated, &BTreeSet::new())
}

/// [`judge`], knowing which CSP nonces came back unchanged on a second response.
pub fn judge_with(
    resp: &Response,
    authenticated: bool,
    static_nonces: &BTreeSet<String>,
) -> Vec<Issue> {
    let mut out = Vec::new();
    let kind = kind_of(resp);
    if kind == Kind::Document {
        out.extend(document_issues(resp, static_nonces));
    }
    if kind != Kind::Redirect {
        out.extend(content_type_issues(resp, kind));
    }
    // Private data must not be stored by shared or browser caches.
    if authenticated && (200..300).contains(&resp.status) {
        out.extend(cache_issue(resp));
    }
    if resp.url.scheme() == "https" {
        out.extend(hsts_issue(resp));
    }
    out.extend(banner_issues(resp));
    out
}

/// What a document needs: a strong CSP, frame protection, a referrer policy, a
/// permissions policy and an opener policy.
fn document_issues(resp: &Response, static_nonces: &BTreeSet<String>) -> Vec<Issue> {
    let mut out = Vec::new();
    let ev = csp_with(resp, static_nonces);
    for w in &ev.weaknesses {
        let (check, detail) = w.describe();
        out.push(issue(
            check,
            csp_severity(check),
            format!("Weak Content-Security-Policy: {check}"),
            detail,
            "Send a Content-Security-Policy header with script-src restricted to 'self' or \
             nonces/hashes (no 'unsafe-inline', no broad sources), object-src 'none' and \
             base-uri 'none' or 'self'.",
        ));
    }
    let xfo = resp
        .header("x-frame-options")
        .map(|v| v.trim().to_ascii_uppercase());
    let xfo_ok = xfo
        .as_deref()
        .is_some_and(|v| v == "DENY" || v == "SAMEORIGIN");
    // Browsers ignore X-Frame-Options once an enforced policy has frame-ancestors.
    let framing_ok = if ev.frame_ancestors_set {
        ev.frame_ancestors_protect
    } else {
        xfo_ok
    };
    if !framing_ok {
        let detail = if ev.frame_ancestors_set {
            format!(
                "CSP frame-ancestors lets any site frame the page{}",
                if xfo.is_some() {
                    ", and browsers ignore X-Frame-Options when frame-ancestors is present"
                } else {
                    ""
                }
            )
        } else {
            format!(
                "no CSP frame-ancestors in a header and X-Frame-Options is {}",
                xfo.map_or("missing".into(), |v| format!("`{v}`"))
            )
        };
        out.push(issue(
            "headers.framing-unprotected",
            Severity::Medium,
            "Page can be framed by any site (clickjacking)",
            detail,
            "Send `Content-Security-Policy: frame-ancestors 'none'` (or 'self') and \
             `X-Frame-Options: DENY` for older browsers.",
        ));
    }
    out.extend(referrer_issue(resp));
    if resp.header("permissions-policy").is_none() {
        out.push(issue(
            "headers.permissions-policy",
            Severity::Info,
            "No Permissions-Policy",
            "powerful features (camera, geolocation...) are not switched off for this page",
            "Send a Permissions-Policy that disables features the app does not use.",
        ));
    }
    if resp.header("cross-origin-opener-policy").is_none() {
        out.push(issue(
            "headers.coop",
            Severity::Info,
            "No Cross-Origin-Opener-Policy",
            "pages opened by other sites keep a handle to this window",
            "Send `Cross-Origin-Opener-Policy: same-origin`.",
        ));
    }
    out
}

/// A missing, leaky or unrecognised Referrer-Policy.
fn referrer_issue(resp: &Response) -> Option<Issue> {
    const REMEDIATION: &str =
        "Send `Referrer-Policy: strict-origin-when-cross-origin` or stricter.";
    const LEAKY: &[&str] = &[
        "origin",
        "origin-when-cross-origin",
        "unsafe-url",
        "no-referrer-when-downgrade",
    ];
    let meta = if grade::meta_referrers(resp).is_empty() {
        ""
    } else {
        " (set by <meta name=\"referrer\">, which the page applies after the header)"
    };
    match grade::referrer_policy(resp) {
        None => Some(issue(
            "headers.referrer-policy",
            Severity::Low,
            "No Referrer-Policy",
            "browsers fall back to their default; older ones leak full URLs to other sites",
            REMEDIATION,
        )),
        Some(Ok(p)) if LEAKY.contains(&p.as_str()) => Some(issue(
            "headers.referrer-policy",
            Severity::Low,
            "Unsafe Referrer-Policy",
            format!("Referrer-Policy `{p}`{meta} sends URLs or origins to other sites"),
            REMEDIATION,
        )),
        Some(Err(v)) => Some(issue(
            "headers.referrer-policy",
            Severity::Low,
            "Unrecognised Referrer-Policy",
            format!("no known policy in `{v}`"),
            REMEDIATION,
        )),
        _ => None,
    }
}

/// What every non-redirect needs: `nosniff`; and an API response, a resource policy.
fn content_type_issues(resp: &Response, kind: Kind) -> Vec<Issue> {
    let mut out = Vec::new();
    let nosniff = resp
        .header("x-content-type-options")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"));
    if !nosniff {
        out.push(issue(
            "headers.nosniff-missing",
            Severity::Low,
            "No X-Content-Type-Options: nosniff",
            "browsers may sniff this response as another content type \
             (e.g. run JSON as script)",
            "Send `X-Content-Type-Options: nosniff` on every response.",
        ));
    }
    if resp.header("cross-origin-resource-policy").is_none() && kind == Kind::Api {
        out.push(issue(
            "headers.corp",
            Severity::Info,
            "No Cross-Origin-Resource-Policy",
            "other sites may embed this response as a no-cors resource",
            "Send `Cross-Origin-Resource-Policy: same-origin`.",
        ));
    }
    out
}

/// An authenticated success that caches may keep: Medium when shared caches may.
fn cache_issue(resp: &Response) -> Option<Issue> {
    let cc = resp
        .header("cache-control")
        .unwrap_or("")
        .to_ascii_lowercase();
    let directives: Vec<&str> = cc.split(',').map(str::trim).collect();
    let private = directives
        .iter()
        .any(|d| *d == "no-store" || *d == "private");
    if private {
        return None;
    }
    let shared =
        directives.contains(&"public") || directives.iter().any(|d| d.starts_with("s-maxage"));
    Some(issue(
        "headers.cacheable-private-response",
        if shared {
            Severity::Medium
        } else {
            Severity::Low
        },
        "Authenticated response may be cached",
        format!(
            "a response sent with credentials has Cache-Control `{}`: {}",
            resp.header("cache-control").unwrap_or("(none)"),
            if shared {
                "shared caches may store it and serve it to another user"
            } else {
                "the browser (and heuristic caches) may keep it after logout"
            }
        ),
        "Send `Cache-Control: no-store` on responses that carry a user's data.",
    ))
}

/// A missing, invalid, short or host-only Strict-Transport-Security (https only).
fn hsts_issue(resp: &Response) -> Option<Issue> {
    const REMEDIATION: &str =
        "Send `Strict-Transport-Security: max-age=31536000; includeSubDomains`.";
    let Some(v) = resp.header("strict-transport-security") else {
        return Some(issue(
            "headers.hsts-missing",
            Severity::Medium,
            "No Strict-Transport-Security",
            "the first plain-http request can be intercepted and downgraded",
            REMEDIATION,
        ));
    };
    match grade::hsts_max_age(v) {
        None => Some(issue(
            "headers.hsts-invalid",
            Severity::Medium,
            "Invalid Strict-Transport-Security",
            format!("`{v}` has no valid max-age, so browsers ignore it"),
            REMEDIATION,
        )),
        Some(age) if age < 15_768_000 => Some(issue(
            "headers.hsts-short",
            Severity::Low,
            "Short HSTS max-age",
            format!("max-age={age} is under six months (15768000)"),
            "Raise max-age to at least 31536000.",
        )),
        Some(_) if !v.to_ascii_lowercase().contains("includesubdomains") => Some(issue(
            "headers.hsts-subdomains",
            Severity::Info,
            "HSTS without includeSubDomains",
            "subdomains can still be reached over plain http \
             (and set cookies for this host)",
            "Add includeSubDomains once every subdomain serves https.",
        )),
        _ => None,
    }
}

/// Headers that name the server's software with its version.
fn banner_issues(resp: &Response) -> Vec<Issue> {
    let mut out = Vec::new();
    for name in [
        "server",
        "x-powered-by",
        "x-aspnet-version",
        "x-aspnetmvc-version",
    ] {
        if let Some(v) = resp.header(name)
            && (has_version(v) || name.starts_with("x-aspnet"))
        {
            out.push(issue(
                "headers.version-banner",
                Severity::Low,
                "Version banner in response headers",
                format!("`{name}: {v}` tells attackers which versions (and CVEs) to try"),
                "Remove the header or strip its version.",
            ));
        } else if name == "x-powered-by"
            && let Some(v) = resp.header(name).filter(|v| !v.trim().is_empty())
        {
            // No version, but the header exists only to name the stack (`Express`, `PHP`).
            out.push(issue(
                "headers.stack-banner",
                Severity::Low,
                "X-Powered-By names the server's framework",
                format!("`X-Powered-By: {v}` tells attackers which stack (and its known flaws) to try"),
                "Remove the header (Express: `app.disable('x-powered-by')`; PHP: `expose_php = Off`).",
            ));
        }
    }
    out
}

/// One planned request's outcome: why it was sent, whether an identity sent it, and
/// the response or the error.
type Sent = (Role, bool, Result<Response, String>);

async fn run(ctx: &Context) -> Result<ProbeRun, String> {
    let planned = plan(ctx);
    let total = planned.len();
    let results = send(ctx, planned).await;
    let failed = results.iter().filter(|r| r.2.is_err()).count();
    if total == 0 || failed == total {
        let why = results
            .iter()
            .find_map(|r| r.2.as_ref().err().cloned())
            .unwrap_or_else(|| "nothing to request".into());
        return Err(format!("no response to judge headers on: {why}"));
    }
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::SecurityHeaders);
    let mut findings: BTreeMap<String, Finding> = BTreeMap::new();
    let mut patterns: BTreeSet<(Kind, String)> = BTreeSet::new();
    let target = &ctx.config.target;
    let loopback_http = target.scheme() == "http" && is_loopback(target);
    let mut graded = None;
    let static_nonces = static_nonces(ctx, &results).await;
    if !static_nonces.checked.is_empty() {
        run.notes.push(format!(
            "CSP nonces compared across two responses on {} route patterns: {}",
            static_nonces.checked.len(),
            if static_nonces.repeated.is_empty() {
                "each response had its own"
            } else {
                "some came back unchanged"
            }
        ));
    }
    let public = public_pages(ctx, &results).await;
    if !public.is_empty() {
        run.notes.push(format!(
            "{} authenticated answers are public pages (the same without credentials): their caching is not judged",
            public.len()
        ));
    }
    for (role, authenticated, r) in &results {
        let Ok(resp) = r else { continue };
        run.checks += 1;
        patterns.insert((kind_of(resp), path_pattern(resp.url.path())));
        let mut issues = judge_with(
            resp,
            *authenticated && !public.contains(&resp.url),
            &static_nonces.repeated,
        );
        if *role == Role::Graded {
            graded = Some(resp);
            // Over http (not loopback), the start page must send users to https.
            if target.scheme() == "http" && !loopback_http {
                issues.extend(https_redirect_issue(resp));
            }
        }
        record(ctx, &mut findings, resp, issues);
    }
    run.findings = findings.into_values().collect();
    let count = |k: Kind| patterns.iter().filter(|(x, _)| *x == k).count();
    run.notes.push(format!(
        "{} responses judged across {} route patterns ({} document, {} API, {} redirect)",
        run.checks,
        patterns.len(),
        count(Kind::Document),
        count(Kind::Api),
        count(Kind::Redirect)
    ));
    if target.scheme() == "http" && loopback_http {
        run.notes.push(
            "HSTS and the http->https redirect not judged: plain http on a loopback host".into(),
        );
    }
    match graded {
        Some(resp) => {
            let preflight = grading_preflight(ctx, resp).await;
            if preflight.is_none() {
                run.notes.push(
                    "the grade's CORS preflight got no answer: CORS graded from the page".into(),
                );
            }
            run.headline = Some(grade_headline(
                resp,
                loopback_http,
                preflight,
                &static_nonces.repeated,
            ));
            run.notes.extend(cookie_note(resp));
        }
        None => run
            .notes
            .push("the start page gave no response: no grade".into()),
    }
    Ok(run)
}

/// The Observatory grades CORS from a preflight to the start page (after redirects):
/// `OPTIONS` with `Access-Control-Request-Method: GET` and its own `Origin`.
async fn grading_preflight(ctx: &Context, graded: &Response) -> Option<Vec<(String, String)>> {
    let req = Request::new("OPTIONS", graded.url.clone())
        .header("Access-Control-Request-Method", "GET")
        .header("Origin", GRADING_ORIGIN)
        .no_redirects()
        .anonymous();
    ctx.identities
        .anonymous()
        .send(&ctx.http, req)
        .await
        .ok()
        .map(|r| r.headers)
}

/// The cookies the graded page sets, which the grade counts: session and CSRF cookies
/// among them are judged under item 2.
fn cookie_note(resp: &Response) -> Option<String> {
    let names: Vec<String> = resp
        .headers_named("set-cookie")
        .filter_map(grade::parse_set_cookie)
        .filter(|c| !c.clears())
        .map(|c| c.name)
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "the graded page sets cookies ({}); the grade counts their flags, and session and \
             CSRF cookies are judged under authentication",
            names.join(", ")
        )
    })
}

/// Documents whose CSP nonces were compared, at most.
const MAX_NONCE_CHECKS: usize = 4;

/// What fetching nonce-protected documents twice showed.
#[derive(Default)]
struct NonceCheck {
    /// Route patterns fetched twice.
    checked: BTreeSet<String>,
    /// Nonces both fetches carried.
    repeated: BTreeSet<String>,
}

/// Fetches documents whose CSP names a nonce a second time in another session: without
/// any cookie or credential, or, for a page only an identity sees, as another identity.
/// A nonce both answers carry is the same for everyone, so an attacker knows it. (A
/// nonce kept per session is not flagged: another session gets its own.)
async fn static_nonces(ctx: &Context, results: &[Sent]) -> NonceCheck {
    let mut check = NonceCheck::default();
    for (_, _, r) in results {
        let Ok(first) = r else { continue };
        if kind_of(first) != Kind::Document || check.checked.len() >= MAX_NONCE_CHECKS {
            continue;
        }
        let nonces = csp::nonces(&policies_of(first));
        if nonces.is_empty() || check.checked.contains(&path_pattern(first.url.path())) {
            continue;
        }
        let req = || {
            Request::get(first.url.clone())
                .header("Accept", "text/html,application/xhtml+xml")
                .no_redirects()
        };
        let mut again = match ctx
            .identities
            .anonymous()
            .send(&ctx.http, req().anonymous())
            .await
        {
            Ok(second) => csp::nonces(&policies_of(&second)),
            Err(_) => BTreeSet::new(),
        };
        if again.is_empty() {
            let other = ctx
                .identities
                .authenticated()
                .find(|i| i.id != first.sent.identity);
            if let Some(other) = other
                && let Ok(second) = other.send(&ctx.http, req()).await
            {
                again = csp::nonces(&policies_of(&second));
            }
        }
        if again.is_empty() {
            continue;
        }
        check.checked.insert(path_pattern(first.url.path()));
        check.repeated.extend(nonces.intersection(&again).cloned());
    }
    check
}

/// Route patterns whose cacheable authenticated answers are checked against an
/// anonymous request, at most.
const MAX_PUBLIC_CHECKS: usize = 8;

/// Authenticated answers that caches may keep but that are public pages: the same URL
/// without credentials answers alike (same status, nearly the same body) and the
/// answer carries no identity's private marker. Caching those leaks nothing.
async fn public_pages(ctx: &Context, results: &[Sent]) -> BTreeSet<Url> {
    let mut seen = BTreeSet::new();
    let candidates: Vec<&Response> = results
        .iter()
        .filter_map(|(_, authenticated, r)| r.as_ref().ok().filter(|_| *authenticated))
        .filter(|r| (200..300).contains(&r.status) && cache_issue(r).is_some())
        .filter(|r| seen.insert(path_pattern(r.url.path())))
        .take(MAX_PUBLIC_CHECKS)
        .collect();
    let private = |text: &str| {
        ctx.inventory
            .markers
            .values()
            .flat_map(|m| &m.values)
            .any(|m| text.contains(m.as_str()))
    };
    let mut public = BTreeSet::new();
    for resp in candidates {
        let text = resp.text();
        if private(&text) {
            continue;
        }
        let anon = ctx
            .answer(
                ctx.identities.anonymous(),
                Request::get(resp.url.clone())
                    .header("Accept", resp.sent.header("accept").unwrap_or("*/*"))
                    .anonymous(),
            )
            .await;
        if let Ok(anon) = anon
            && anon.status == resp.status
            && anon.url == resp.url
            && crate::families::similarity::similarity(&text, &anon.text()) >= 0.9
        {
            public.insert(resp.url.clone());
        }
    }
    public
}

/// Sends the planned requests, each as its identity (anonymous when it is not logged in).
async fn send(ctx: &Context, planned: Vec<(Role, IdentityId, Request)>) -> Vec<Sent> {
    let parallel = ctx.http.settings().concurrency.max(1);
    futures_util::stream::iter(planned)
        .map(|(role, who, req)| async move {
            let identity = ctx
                .identities
                .get(who)
                .unwrap_or_else(|| ctx.identities.anonymous());
            // A page's headers as discovery got them: the same request, nothing to learn
            // from sending it again (the nonce check sends its own second request).
            let r = ctx.answer(identity, req).await.map_err(|e| e.to_string());
            (role, !identity.is_anonymous(), r)
        })
        .buffer_unordered(parallel)
        .collect()
        .await
}

/// The graded start page over plain http must redirect to https.
fn https_redirect_issue(resp: &Response) -> Option<Issue> {
    let to_https = resp
        .redirects
        .first()
        .is_some_and(|u| u.scheme() == "https")
        || resp
            .blocked_redirect
            .as_ref()
            .is_some_and(|u| u.scheme() == "https");
    (!to_https).then(|| {
        issue(
            "headers.no-https",
            Severity::Medium,
            "Served over plain http without a redirect to https",
            "the start page answers over http and does not redirect to https, so \
             sessions and data travel in clear text",
            "Serve the app over https and redirect every http request to it.",
        )
    })
}

/// Turns one response's issues into findings, one per route pattern and check (the
/// finding id hashes both), each with up to `EVIDENCE_PER_FINDING` responses.
fn record(
    ctx: &Context,
    findings: &mut BTreeMap<String, Finding>,
    resp: &Response,
    issues: Vec<Issue>,
) {
    for i in issues {
        let location = Location {
            method: resp.sent.method.clone(),
            url: resp.url.to_string(),
        };
        let f = Finding::builder(Item::SecurityHeaders, i.check)
            .rated(i.severity, i.confidence)
            .title(i.title.clone())
            .detail(i.detail.clone())
            .at(location)
            .discriminator(i.check)
            .remediation(i.remediation)
            .build();
        let entry = findings.entry(f.id.clone()).or_insert(f);
        if entry.evidence.len() < EVIDENCE_PER_FINDING {
            entry
                .evidence
                .push(ctx.http.evidence(&i.detail, resp, None));
        }
    }
}

/// The item's headline: the start page's Observatory-compatible grade.
fn grade_headline(
    resp: &Response,
    loopback_http: bool,
    preflight: Option<Vec<(String, String)>>,
    static_nonces: &BTreeSet<String>,
) -> String {
    let ev = csp_with(resp, static_nonces);
    let g = grade::grade(
        resp,
        &ev,
        &grade::Context {
            loopback_http,
            http_redirect: None,
            origin_sent: Some(GRADING_ORIGIN.into()),
            preflight,
        },
    );
    let mut headline = format!(
        "Observatory-compatible grade {} (score {}) for {}",
        g.grade,
        g.score,
        resp.url.path()
    );
    if !g.not_judged.is_empty() {
        headline.push_str(&format!(", not judged: {}", g.not_judged.join(", ")));
    }
    headline
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(url: &str, ct: &str, headers: &[(&str, &str)]) -> Response {
        let mut h: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        h.push(("content-type".into(), ct.into()));
        Response::synthetic(Url::parse(url).unwrap(), 200, h, "<html></html>")
    }

    fn checks(issues: &[Issue]) -> Vec<&'static str> {
        let mut v: Vec<_> = issues
            .iter()
            .filter(|i| i.severity > Severity::Info)
            .map(|i| i.check)
            .collect();
        v.sort();
        v.dedup();
        v
    }

    const STRICT: &[(&str, &str)] = &[
        (
            "content-security-policy",
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("server", "nginx"),
    ];

    #[test]
    fn documents_and_apis_need_different_things() {
        assert!(
            checks(&judge(
                &resp("https://a.example/", "text/html", STRICT),
                true
            ))
            .is_empty()
        );
        // An API response without CSP is fine; without nosniff or no-store it is not.
        let api = resp(
            "https://a.example/api/me",
            "application/json",
            &[("strict-transport-security", "max-age=63072000")],
        );
        assert_eq!(
            checks(&judge(&api, true)),
            [
                "headers.cacheable-private-response",
                "headers.nosniff-missing"
            ]
        );
        // The same response sent anonymously is not private data.
        assert_eq!(checks(&judge(&api, false)), ["headers.nosniff-missing"]);
        let doc = resp("https://a.example/", "text/html", &[]);
        let c = checks(&judge(&doc, false));
        for want in [
            "headers.csp-missing",
            "headers.framing-unprotected",
            "headers.hsts-missing",
        ] {
            assert!(c.contains(&want), "{c:?}");
        }
    }

    #[test]
    fn banners_with_versions_and_public_caching() {
        let r = resp(
            "https://a.example/api/x",
            "application/json",
            &[
                ("server", "nginx/1.25.3"),
                ("x-content-type-options", "nosniff"),
                ("cache-control", "public, max-age=600"),
                (
                    "strict-transport-security",
                    "max-age=63072000; includeSubDomains",
                ),
            ],
        );
        let issues = judge(&r, true);
        assert!(issues.iter().any(|i| i.check == "headers.version-banner"));
        let cache = issues
            .iter()
            .find(|i| i.check == "headers.cacheable-private-response")
            .unwrap();
        assert_eq!(cache.severity, Severity::Medium);
        assert!(!has_version("nginx") && has_version("Express 4.18") && has_version("PHP/8.2"));
    }

    #[test]
    fn a_bare_x_powered_by_still_names_the_stack() {
        let checks = |headers: &[(&str, &str)]| -> Vec<&'static str> {
            banner_issues(&resp("https://a.example/", "text/html", headers))
                .into_iter()
                .map(|i| i.check)
                .collect()
        };
        assert_eq!(
            checks(&[("x-powered-by", "Express")]),
            ["headers.stack-banner"]
        );
        assert_eq!(
            checks(&[("x-powered-by", "PHP/8.2.1")]),
            ["headers.version-banner"]
        );
        // A bare `Server: nginx` names no version and is left alone.
        assert!(checks(&[("server", "nginx")]).is_empty());
    }

    #[test]
    fn frame_ancestors_overrides_x_frame_options() {
        let framing = |csp: &str| {
            let r = resp(
                "https://a.example/",
                "text/html",
                &[
                    ("content-security-policy", csp),
                    ("x-frame-options", "DENY"),
                ],
            );
            checks(&judge(&r, false)).contains(&"headers.framing-unprotected")
        };
        assert!(framing(
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors *"
        ));
        assert!(framing(
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors https:"
        ));
        assert!(!framing(
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
        ));
        assert!(!framing(
            "default-src 'self'; object-src 'none'; base-uri 'none'"
        ));
    }

    #[test]
    fn a_meta_csp_outside_the_head_is_ignored() {
        let mut r = resp("https://a.example/", "text/html", &[]);
        r.body = "<html><head><title>x</title></head><body><p>hi</p><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'\"></body></html>".into();
        assert!(meta_policies(&r).is_empty());
    }

    #[test]
    fn meta_csp_counts_for_documents() {
        let mut r = resp("https://a.example/", "text/html", &[]);
        r.body = "<html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; object-src 'none'; base-uri 'none'\"></head></html>".into();
        let ev = csp_of(&r);
        assert!(ev.weaknesses.is_empty(), "{:?}", ev.weaknesses);
    }
}
