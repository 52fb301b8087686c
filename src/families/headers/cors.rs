//! Item 6: the CORS origin matrix on authenticated API endpoints.
//!
//! For a bounded sample of authenticated JSON endpoints (one example per route
//! pattern), a simple GET and a preflight are sent with the identity's credentials and
//! each origin of a matrix: an arbitrary attacker origin, `null`, and for the target
//! (in both schemes) and every trusted origin (`target.trusted_origins`, in its own),
//! the origins a sloppy allowlist lets through: the trusted host as the end of an attacker host
//! (suffix match), as its start (prefix match), with a dot replaced (a regex with an
//! unescaped dot), a subdomain and a sibling subdomain, and the `http:` scheme of an
//! https origin; and for the target, origins with special characters. Origins the
//! config trusts and the target's own origins are never reported.
//!
//! CORS is mostly one middleware, so the whole matrix is sent once per policy, not per
//! endpoint: every endpoint gets the arbitrary and `null` origins and a trusted one,
//! and the answers' CORS headers fingerprint its policy; the first endpoint of each
//! distinct fingerprint gets the rest of the matrix. The rest goes as simple requests
//! only when the first origins' preflights were judged as their simple requests were:
//! the preflight then answers by the same allowlist, and asking it again per origin
//! learns nothing. A preflight answered otherwise (a proxy's own CORS, a separate
//! OPTIONS handler) gets the whole matrix too.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use url::Url;

use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::{Confidence, Finding, Location, Severity};

const MAX_ENDPOINTS: usize = 5;
/// The origins every endpoint gets (the arbitrary origin and `null`, which any
/// misconfiguration lets through); the rest of the matrix goes once per distinct policy.
const FIRST_ORIGINS: usize = 2;
const ATTACKER: &str = "prodready-evil.example";

/// What the `cors` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "cors",
    items: &[Item::SecurityHeaders],
    ids: &[
        "cors.null-origin-with-credentials",
        "cors.reflected-origin",
        "cors.reflected-origin-with-credentials",
        "cors.wildcard-on-authenticated-api",
    ],
    runs_last: false,
};

/// The `cors` family.
pub struct CorsFamily;

impl Family for CorsFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await?]) })
    }
}

/// Trusted origins the matrix derives tricks from, at most (besides the target).
const MAX_TRUSTED_BASES: usize = 4;
/// Dots of one host replaced in turn for the unescaped-dot trick, at most.
const MAX_DOT_TRICKS: usize = 3;

/// The origins to try against `target`, each with the trick it tests (a label that
/// names the origin it was derived from). The first two are the arbitrary origin and
/// `null`; origins in `trusted` are left out.
pub fn origin_matrix(target: &Url, trusted: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("arbitrary".into(), format!("https://{ATTACKER}")),
        ("null".into(), "null".to_string()),
    ];
    let mut bases = vec![target.clone()];
    for t in trusted {
        let Ok(u) = Url::parse(t) else { continue };
        if bases.len() > MAX_TRUSTED_BASES
            || bases.iter().any(|b| b.origin() == u.origin())
            || u.host_str().is_none()
        {
            continue;
        }
        bases.push(u);
    }
    for (i, base) in bases.iter().enumerate() {
        out.extend(derived_origins(base, i == 0));
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|(_, origin)| {
        seen.insert(origin.to_ascii_lowercase())
            && !trusted.iter().any(|t| t.eq_ignore_ascii_case(origin))
    });
    out
}

/// The tricks derived from one base origin: the target (`is_target`) in both schemes,
/// since the pages calling an API need not share its scheme (an http staging API
/// called from https pages); a trusted origin in its own scheme, since an allowlist
/// written for it matches that scheme or none (a scheme-blind one is caught there and
/// by the http downgrade).
fn derived_origins(base: &Url, is_target: bool) -> Vec<(String, String)> {
    let host = base.host_str().unwrap_or("localhost");
    let scheme = base.scheme();
    let port = base.port().map(|p| format!(":{p}")).unwrap_or_default();
    let of = base.origin().ascii_serialization();
    let mut out = Vec::new();
    let mut push = |trick: &str, origin: String| out.push((format!("{trick} of {of}"), origin));
    let other = if scheme == "https" { "http" } else { "https" };
    let schemes: &[&str] = if is_target {
        &[scheme, other]
    } else {
        &[scheme]
    };
    let domain = base.domain().is_some();
    for &s in schemes {
        // `endsWith("trusted.example")` or an unanchored regex.
        push("suffix match", format!("{s}://prodready-evil-{host}{port}"));
        // `startsWith("https://trusted.example")`.
        push("prefix match", format!("{s}://{host}.{ATTACKER}"));
        if !domain {
            continue;
        }
        // `^https://trusted.example$` with the dot unescaped.
        for (i, _) in host.match_indices('.').take(MAX_DOT_TRICKS) {
            let mut h = host.to_string();
            h.replace_range(i..=i, "x");
            push("unescaped-dot regex", format!("{s}://{h}{port}"));
        }
        // `*.trusted.example`: any subdomain, some of which an attacker may take over.
        push("subdomain", format!("{s}://prodready-evil.{host}{port}"));
        if let Some((_, parent)) = host.split_once('.')
            && parent.contains('.')
        {
            push(
                "sibling subdomain",
                format!("{s}://prodready-evil.{parent}{port}"),
            );
        }
    }
    if scheme == "https" {
        // An allowlist that ignores the scheme trusts what a network attacker serves.
        push("http scheme", format!("http://{host}{port}"));
    }
    if is_target {
        for special in ["_", "`", "%60"] {
            push(
                "special characters",
                format!("{scheme}://{host}{special}.{ATTACKER}"),
            );
        }
    }
    out
}

/// What a CORS response grants to the origin that asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// No `Access-Control-Allow-Origin`, or one naming another origin.
    Denied,
    /// The origin is trusted (config) or the target's own: never reported.
    Trusted,
    /// `*`: any site may read responses sent without credentials. With
    /// `Access-Control-Allow-Credentials: true` browsers refuse the response to a
    /// credentialed request, so it exposes no session: a misconfiguration.
    Wildcard { credentials: bool },
    /// The origin (or `null`) was echoed back.
    Reflected { null: bool, credentials: bool },
}

/// Classifies one response to a request sent with `Origin: origin`.
pub fn classify(origin: &str, resp_headers: &[(String, String)], trusted: &[String]) -> Grant {
    let get = |n: &str| {
        resp_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.trim())
    };
    let Some(acao) = get("access-control-allow-origin") else {
        return Grant::Denied;
    };
    let credentials =
        get("access-control-allow-credentials").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if acao == "*" {
        return Grant::Wildcard { credentials };
    }
    if !acao.eq_ignore_ascii_case(origin) {
        return Grant::Denied;
    }
    if trusted.iter().any(|t| t.eq_ignore_ascii_case(origin)) {
        return Grant::Trusted;
    }
    Grant::Reflected {
        null: origin == "null",
        credentials,
    }
}

/// The finding a grant deserves: (check, severity, title), or none.
pub fn verdict(grant: &Grant) -> Option<(&'static str, Severity, &'static str)> {
    match grant {
        Grant::Denied | Grant::Trusted => None,
        Grant::Reflected {
            null: true,
            credentials: true,
        } => Some((
            "cors.null-origin-with-credentials",
            Severity::High,
            "CORS allows the `null` origin with credentials",
        )),
        Grant::Reflected {
            null: false,
            credentials: true,
        } => Some((
            "cors.reflected-origin-with-credentials",
            Severity::High,
            "CORS reflects an untrusted origin with credentials",
        )),
        Grant::Reflected {
            credentials: false, ..
        } => Some((
            "cors.reflected-origin",
            Severity::Low,
            "CORS reflects an untrusted origin (without credentials)",
        )),
        Grant::Wildcard { credentials: false } => Some((
            "cors.wildcard-on-authenticated-api",
            Severity::Low,
            "`Access-Control-Allow-Origin: *` on an authenticated API",
        )),
        Grant::Wildcard { credentials: true } => Some((
            "cors.wildcard-on-authenticated-api",
            Severity::Low,
            "`Access-Control-Allow-Origin: *` with credentials on an authenticated API (browsers refuse it)",
        )),
    }
}

/// Whether a preflight answer allows every method and header (noted, not failed).
pub fn preflight_is_open(headers: &[(String, String)]) -> bool {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.trim().to_string())
    };
    get("access-control-allow-methods").is_some_and(|v| v == "*")
        && get("access-control-allow-headers").is_some_and(|v| v == "*")
}

/// One CORS request of the plan: who sends it where, with which origin, and whether it
/// is a preflight.
struct Attempt {
    /// Index of the endpoint in the sample.
    target: usize,
    who: IdentityId,
    trick: String,
    origin: String,
    preflight: bool,
    url: Url,
}

/// An attempt's answer, with what the judge needs to describe it.
struct Answer {
    target: usize,
    trick: String,
    origin: String,
    preflight: bool,
    result: Result<Response, String>,
}

async fn run(ctx: &Context) -> Result<ProbeRun, String> {
    let mut trusted = ctx.config.trusted_origins.clone();
    trusted.extend(ctx.config.scope.origins());
    let targets = authenticated_json_endpoints(ctx);
    if targets.is_empty() {
        return Ok(ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::SecurityHeaders,
            "no authenticated JSON endpoint was discovered to test CORS on",
            Some("identities.a"),
        ));
    }
    let matrix = origin_matrix(&ctx.config.target, &trusted);
    let (first, rest) = matrix.split_at(FIRST_ORIGINS.min(matrix.len()));
    let all: Vec<usize> = (0..targets.len()).collect();
    let mut planned = plan(&targets, &all, first, &all);
    // A trusted origin tells apart allowlists that refuse both untrusted origins alike.
    let reference = ctx
        .config
        .trusted_origins
        .first()
        .cloned()
        .unwrap_or_else(|| ctx.config.target.origin().ascii_serialization());
    for (i, (who, url)) in targets.iter().enumerate() {
        planned.push(Attempt {
            target: i,
            who: *who,
            trick: "trusted origin, for the policy's fingerprint".into(),
            origin: reference.clone(),
            preflight: false,
            url: url.clone(),
        });
    }
    let mut answers = send(ctx, planned).await;
    let full = distinct_policies(&answers, targets.len());
    let own_preflight_policy: Vec<usize> = full
        .iter()
        .copied()
        .filter(|&i| !preflights_follow_gets(&answers, i, &trusted))
        .collect();
    answers.extend(send(ctx, plan(&targets, &full, rest, &own_preflight_policy)).await);
    let total = answers.len();
    let failed = answers.iter().filter(|a| a.result.is_err()).count();
    if failed == total {
        return Err(format!(
            "no CORS request got a response, e.g. {}",
            answers
                .iter()
                .find_map(|a| a.result.as_ref().err().cloned())
                .unwrap_or_default()
        ));
    }
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::SecurityHeaders);
    let mut findings: BTreeMap<String, Finding> = BTreeMap::new();
    let mut open_preflights = 0;
    for answer in &answers {
        let Ok(resp) = &answer.result else { continue };
        run.checks += 1;
        if answer.preflight && preflight_is_open(&resp.headers) {
            open_preflights += 1;
        }
        let Some((f, detail)) = judge(answer, resp, &trusted) else {
            continue;
        };
        let entry = findings.entry(f.id.clone()).or_insert(f);
        if entry.evidence.len() < 2 {
            entry.evidence.push(ctx.http.evidence(&detail, resp, None));
        }
    }
    run.findings = findings.into_values().collect();
    run.notes.push(format!(
        "{} CORS requests ({} origins, simple and preflight) on {} authenticated API route \
         patterns; the whole matrix on {} of them (one per distinct CORS policy), the \
         arbitrary and `null` origins on the others; {} of the {} answered preflights by \
         the simple requests' allowlist, so the rest of the matrix went to them as simple \
         requests only",
        run.checks,
        matrix.len(),
        targets.len(),
        full.len(),
        full.len() - own_preflight_policy.len(),
        full.len()
    ));
    if open_preflights > 0 {
        run.notes.push(format!(
            "{open_preflights} preflights allow every method and header (`*`)"
        ));
    }
    Ok(run)
}

/// Authenticated JSON endpoints: seen with success by an identity, not anonymously; one
/// example each, with the identity that reached it.
fn authenticated_json_endpoints(ctx: &Context) -> Vec<(IdentityId, Url)> {
    let mut targets: Vec<(IdentityId, Url)> = Vec::new();
    for ep in ctx.inventory.endpoints() {
        if targets.len() >= MAX_ENDPOINTS || ep.method != "GET" {
            continue;
        }
        let authed = ep.observations.iter().find(|o| {
            o.identity != IdentityId::Anonymous
                && o.status < 300
                && o.content_type
                    .as_deref()
                    .is_some_and(|c| c.contains("json"))
        });
        let anon_ok = ep
            .observations
            .iter()
            .any(|o| o.identity == IdentityId::Anonymous && o.status < 300);
        if let (Some(o), Some(u), false) = (authed, ep.examples.first(), anon_ok) {
            targets.push((o.identity, u.clone()));
        }
    }
    targets
}

/// A simple request per endpoint of `chosen` (indices into `targets`) and origin, and a
/// preflight too on the endpoints of `preflighted`.
fn plan(
    targets: &[(IdentityId, Url)],
    chosen: &[usize],
    origins: &[(String, String)],
    preflighted: &[usize],
) -> Vec<Attempt> {
    let mut planned = Vec::new();
    for &i in chosen {
        let (who, u) = &targets[i];
        let kinds: &[bool] = if preflighted.contains(&i) {
            &[false, true]
        } else {
            &[false]
        };
        for (trick, origin) in origins {
            for &preflight in kinds {
                planned.push(Attempt {
                    target: i,
                    who: *who,
                    trick: trick.clone(),
                    origin: origin.clone(),
                    preflight,
                    url: u.clone(),
                });
            }
        }
    }
    planned
}

/// The CORS headers of one answer, with the asking origin replaced, so answers of one
/// policy compare equal whichever endpoint gave them.
fn policy_of(answer: &Answer) -> String {
    let Ok(resp) = &answer.result else {
        return "no answer".into();
    };
    let mut parts = vec![format!(
        "{} {}",
        if answer.preflight { "preflight" } else { "get" },
        resp.status / 100
    )];
    for name in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "vary",
    ] {
        let value = resp.header(name).unwrap_or("").trim();
        let value = if value.eq_ignore_ascii_case(&answer.origin) {
            "(the origin)"
        } else {
            value
        };
        parts.push(format!("{name}: {}", value.to_ascii_lowercase()));
    }
    parts.join("\n")
}

/// The endpoints that get the whole matrix: the first of each distinct policy, as the
/// answers so far fingerprint it.
fn distinct_policies(answers: &[Answer], targets: usize) -> Vec<usize> {
    let mut chosen = Vec::new();
    let mut seen: Vec<Vec<String>> = Vec::new();
    for i in 0..targets {
        let mut fingerprint: Vec<String> = answers
            .iter()
            .filter(|a| a.target == i)
            .map(|a| format!("{} {}\n{}", a.trick, a.preflight, policy_of(a)))
            .collect();
        fingerprint.sort();
        if !seen.contains(&fingerprint) {
            seen.push(fingerprint);
            chosen.push(i);
        }
    }
    chosen
}

/// What a browser makes of one answer: a preflight that fails (not 2xx) grants nothing,
/// whatever its headers say.
fn effective_grant(answer: &Answer, trusted: &[String]) -> Option<Grant> {
    let resp = answer.result.as_ref().ok()?;
    if answer.preflight && !(200..300).contains(&resp.status) {
        return Some(Grant::Denied);
    }
    Some(classify(&answer.origin, &resp.headers, trusted))
}

/// Whether endpoint `target`'s preflights were judged as its simple requests were, for
/// every origin sent both ways so far (the first origins): then the preflight answers
/// by the same allowlist. An unanswered request proves nothing, so it says no.
fn preflights_follow_gets(answers: &[Answer], target: usize, trusted: &[String]) -> bool {
    let mine: Vec<&Answer> = answers.iter().filter(|a| a.target == target).collect();
    let mut compared = 0;
    for pre in mine.iter().filter(|a| a.preflight) {
        let Some(get) = mine.iter().find(|a| !a.preflight && a.origin == pre.origin) else {
            continue;
        };
        match (effective_grant(pre, trusted), effective_grant(get, trusted)) {
            (Some(p), Some(g)) if p == g => compared += 1,
            _ => return false,
        }
    }
    compared > 0
}

/// Sends the attempts with their identity's credentials, redirects not followed.
async fn send(ctx: &Context, planned: Vec<Attempt>) -> Vec<Answer> {
    let parallel = ctx.http.settings().concurrency.max(1);
    futures_util::stream::iter(planned)
        .map(|a| async move {
            let identity = ctx
                .identities
                .get(a.who)
                .unwrap_or_else(|| ctx.identities.anonymous());
            let req = if a.preflight {
                Request::new("OPTIONS", a.url)
                    .header("Access-Control-Request-Method", "PUT")
                    .header(
                        "Access-Control-Request-Headers",
                        "authorization, content-type, x-prodready",
                    )
            } else {
                Request::get(a.url).header("Accept", "application/json")
            };
            let result = identity
                .send(
                    &ctx.http,
                    req.header("Origin", a.origin.clone()).no_redirects(),
                )
                .await
                .map_err(|e| e.to_string());
            Answer {
                target: a.target,
                trick: a.trick,
                origin: a.origin,
                preflight: a.preflight,
                result,
            }
        })
        .buffered(parallel)
        .collect()
        .await
}

/// What a grant lets the asking origin do, for the finding's detail.
pub fn consequence(grant: &Grant) -> &'static str {
    match grant {
        Grant::Reflected {
            credentials: true, ..
        } => {
            " and Access-Control-Allow-Credentials `true`: any page on that origin can read \
             this authenticated response with the victim's session"
        }
        Grant::Reflected {
            credentials: false, ..
        } => {
            ": pages on that origin can read the response to requests sent without \
             credentials (no session is exposed)"
        }
        Grant::Wildcard { credentials: true } => {
            " and Access-Control-Allow-Credentials `true`: browsers refuse to hand a \
             credentialed response with `*` to any page, so no session is exposed; the pair \
             is a misconfiguration (often a server that would echo origins if asked), and \
             any site can read what the endpoint answers without credentials"
        }
        Grant::Wildcard { credentials: false } => {
            ": any site can read what the endpoint answers without credentials (browsers \
             send no cookies with `*`)"
        }
        Grant::Denied | Grant::Trusted => "",
    }
}

/// The finding one answer deserves, with its detail (the evidence's label), or none.
fn judge(answer: &Answer, resp: &Response, trusted: &[String]) -> Option<(Finding, String)> {
    // A preflight that fails (not 2xx) stops the browser whatever its headers say.
    if answer.preflight && !(200..300).contains(&resp.status) {
        return None;
    }
    let grant = classify(&answer.origin, &resp.headers, trusted);
    let (check, severity, title) = verdict(&grant)?;
    let kind = if answer.preflight {
        "preflight"
    } else {
        "simple request"
    };
    let detail = format!(
        "a {kind} with `Origin: {}` ({}) was answered with \
         Access-Control-Allow-Origin `{}`{}",
        answer.origin,
        answer.trick,
        resp.header("access-control-allow-origin").unwrap_or(""),
        consequence(&grant),
    );
    let location = Location {
        method: "GET".into(),
        url: resp.url.to_string(),
    };
    let f = Finding::builder(Item::SecurityHeaders, check)
        .rated(severity, Confidence::Firm)
        .title(title)
        .detail(detail.clone())
        .at(location)
        .discriminator(check)
        .remediation(
            "Allow only a fixed list of trusted origins (exact string match, never a prefix, \
             suffix or regex without anchors); never allow `null`; send \
             Access-Control-Allow-Credentials only to those origins.",
        )
        .build();
    Some((f, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reflected_and_null_with_credentials_fail() {
        let evil = "https://prodready-evil.example";
        let g = classify(
            evil,
            &h(&[
                ("Access-Control-Allow-Origin", evil),
                ("Access-Control-Allow-Credentials", "true"),
            ]),
            &[],
        );
        assert_eq!(
            verdict(&g).unwrap().0,
            "cors.reflected-origin-with-credentials"
        );
        let g = classify(
            "null",
            &h(&[
                ("access-control-allow-origin", "null"),
                ("access-control-allow-credentials", "TRUE"),
            ]),
            &[],
        );
        assert_eq!(verdict(&g).unwrap().0, "cors.null-origin-with-credentials");
        assert_eq!(verdict(&g).unwrap().1, Severity::High);
    }

    #[test]
    fn wildcard_warns_even_with_credentials() {
        // Browsers refuse `*` with credentials, so it cannot leak a session: a warning.
        let g = classify(
            "https://x.example",
            &h(&[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-credentials", "true"),
            ]),
            &[],
        );
        assert_eq!(g, Grant::Wildcard { credentials: true });
        assert_eq!(verdict(&g).unwrap().1, Severity::Low);
    }

    #[test]
    fn trusted_and_other_origins_are_not_reported() {
        let trusted = vec!["https://app.example.com".to_string()];
        let g = classify(
            "https://app.example.com",
            &h(&[
                ("access-control-allow-origin", "https://app.example.com"),
                ("access-control-allow-credentials", "true"),
            ]),
            &trusted,
        );
        assert_eq!(g, Grant::Trusted);
        // A fixed allowlisted origin answered to an attacker request is a denial.
        let g = classify(
            "https://evil.example",
            &h(&[("access-control-allow-origin", "https://app.example.com")]),
            &trusted,
        );
        assert_eq!(g, Grant::Denied);
        assert_eq!(
            classify("https://evil.example", &[], &trusted),
            Grant::Denied
        );
    }

    #[test]
    fn the_matrix_covers_the_tricks() {
        let m = origin_matrix(&Url::parse("https://app.example.com").unwrap(), &[]);
        let has = |m: &[(String, String)], o: &str| m.iter().any(|(_, x)| x == o);
        // The short matrix of the later endpoints is the first two.
        assert_eq!([m[0].0.as_str(), m[1].0.as_str()], ["arbitrary", "null"]);
        for o in [
            "null",
            "https://app.example.com.prodready-evil.example",
            "https://prodready-evil-app.example.com",
            "https://prodready-evil.example.com",
            "https://prodready-evil.app.example.com",
            "https://appxexample.com",
            "http://app.example.com",
            "http://prodready-evil-app.example.com",
        ] {
            assert!(has(&m, o), "{o}: {m:?}");
        }
        assert!(m.iter().any(|(t, _)| t.starts_with("special characters")));
        let m = origin_matrix(&Url::parse("http://127.0.0.1:8080").unwrap(), &[]);
        assert!(!m.iter().any(|(t, _)| t.starts_with("sibling")
            || t.starts_with("http scheme")
            || t.starts_with("unescaped")));
    }

    #[test]
    fn trusted_origins_give_their_own_tricks() {
        let trusted = vec![
            "https://trusted.example".to_string(),
            "http://localhost:3000".to_string(),
        ];
        let m = origin_matrix(&Url::parse("http://127.0.0.1:8080").unwrap(), &trusted);
        let label = |o: &str| {
            m.iter()
                .find(|(_, x)| x == o)
                .map(|(t, _)| t.as_str())
                .unwrap_or_else(|| panic!("{o} missing: {m:?}"))
        };
        assert_eq!(
            label("https://prodready-evil-trusted.example"),
            "suffix match of https://trusted.example"
        );
        // The target's tricks come in both schemes, a trusted origin's in its own.
        assert_eq!(
            label("https://prodready-evil-127.0.0.1:8080"),
            "suffix match of http://127.0.0.1:8080"
        );
        label("https://127.0.0.1.prodready-evil.example");
        assert!(
            !m.iter()
                .any(|(_, o)| o == "http://prodready-evil-trusted.example")
        );
        label("https://trusted.example.prodready-evil.example");
        label("https://trustedxexample");
        label("https://prodready-evil.trusted.example");
        assert_eq!(
            label("http://trusted.example"),
            "http scheme of https://trusted.example"
        );
        label("http://prodready-evil-localhost:3000");
        // Trusted origins themselves are never tried, whichever trick would make them.
        assert!(!m.iter().any(|(_, o)| trusted.contains(o)));
        let mut origins: Vec<&String> = m.iter().map(|(_, o)| o).collect();
        let n = origins.len();
        origins.sort();
        origins.dedup();
        assert_eq!(origins.len(), n, "no origin twice");
    }

    fn answer(target: usize, origin: &str, preflight: bool, status: u16, acao: &str) -> Answer {
        let url = Url::parse("http://127.0.0.1:1/api/x").unwrap();
        let mut headers = vec![("access-control-allow-credentials".into(), "true".into())];
        if !acao.is_empty() {
            headers.push(("access-control-allow-origin".into(), acao.into()));
        }
        let resp = Response::synthetic(url, status, headers, "");
        Answer {
            target,
            trick: "t".into(),
            origin: origin.into(),
            preflight,
            result: Ok(resp),
        }
    }

    #[test]
    fn preflights_get_the_matrix_only_where_they_answer_otherwise_than_gets() {
        let evil = "https://prodready-evil.example";
        let trusted: Vec<String> = vec![];
        // One allowlist for both: the preflight learns nothing more.
        let same = vec![
            answer(0, evil, false, 200, evil),
            answer(0, evil, true, 204, evil),
            answer(0, "null", false, 200, ""),
            answer(0, "null", true, 403, "null"),
        ];
        assert!(preflights_follow_gets(&same, 0, &trusted));
        // A proxy answers preflights with any origin; the app's GET refuses it.
        let proxy = vec![
            answer(1, evil, false, 200, ""),
            answer(1, evil, true, 204, evil),
        ];
        assert!(!preflights_follow_gets(&proxy, 1, &trusted));
        // Nothing compared (no preflight answered): the matrix goes both ways.
        let mut lost = vec![answer(2, evil, false, 200, evil)];
        lost.push(Answer {
            result: Err("timeout".into()),
            ..answer(2, evil, true, 204, evil)
        });
        assert!(!preflights_follow_gets(&lost, 2, &trusted));
        assert!(!preflights_follow_gets(&[], 3, &trusted));
    }

    #[test]
    fn open_preflights_are_detected() {
        assert!(preflight_is_open(&h(&[
            ("access-control-allow-methods", "*"),
            ("access-control-allow-headers", "*"),
        ])));
        assert!(!preflight_is_open(&h(&[(
            "access-control-allow-methods",
            "GET"
        )])));
    }
}
