//! Item 2: flags of the cookies that carry a session or a CSRF token.
//!
//! Each configured login flow that works with credentials is replayed once in a fresh,
//! throwaway session (never logged out: some apps end every session of a user on
//! logout, which would end the scan's own), which then visits a few ordinary pages (the
//! start pages and pages discovery found); a throwaway anonymous session visits them
//! too. Every `Set-Cookie` seen on the way (the login page, the submission, its
//! redirects and the ordinary pages, where apps start anonymous sessions or re-issue
//! the login's cookie) is judged: Secure, HttpOnly, SameSite, Domain scope and
//! lifetime. A cookie is judged by what it is (a session or CSRF name, or a session-
//! shaped value); other cookies (a language, a theme) are not judged.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use url::Url;

use crate::config::{IdentityConfig, Login};
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::families::headers::grade::{
    SetCookie, is_csrf_name, is_session_name, is_session_value, names_something_else,
    parse_set_cookie,
};
use crate::families::headers::is_loopback;
use crate::http::{Observer, Request, Response, Session, StoredCookie};
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::{Confidence, Finding, Location, Severity};

/// Session names of the throwaway sessions start with this, so the observer keeps only theirs.
const COOKIE_AUDIT: &str = "cookie audit";
/// Responses with cookies kept at most.
const MAX_KEPT: usize = 40;
/// A session cookie living longer than this is flagged.
const MAX_LIFETIME_SECS: i64 = 30 * 24 * 3600;
/// Ordinary pages each throwaway session visits, at most.
const MAX_ORDINARY: usize = 4;

/// What the `cookies` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "cookies",
    items: &[Item::Authentication],
    ids: &[
        "cookies.domain-broad",
        "cookies.long-lived-session",
        "cookies.samesite-invalid",
        "cookies.samesite-missing",
        "cookies.samesite-none",
        "cookies.session-over-http",
        "cookies.session-without-httponly",
        "cookies.without-secure",
    ],
    runs_last: false,
};

/// The `cookies` family.
pub struct CookiesFamily;

impl Family for CookiesFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await?]) })
    }
}

/// Keeps the responses of the throwaway sessions that set cookies.
#[derive(Default)]
struct SetCookieRecorder {
    seen: Mutex<Vec<Response>>,
}

impl Observer for SetCookieRecorder {
    fn observe(&self, response: &Response) {
        if response.sent.purpose != Some(COOKIE_AUDIT)
            || response.headers_named("set-cookie").next().is_none()
        {
            return;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() < MAX_KEPT {
            let mut kept = response.clone();
            kept.body = bytes::Bytes::new(); // Only headers matter here.
            seen.push(kept);
        }
    }
}

/// Why a cookie matters: it carries a session or a CSRF token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Session,
    Csrf,
}

/// Whether a cookie carries a session or CSRF token: by name, by a session-shaped value
/// (a JWT, a framework's signed session), or because the login submission set it with
/// a token-sized value; never when its name says it holds a URL, a time or a preference.
pub fn role_of(c: &SetCookie, set_by_login_submit: bool) -> Option<Role> {
    if is_csrf_name(&c.name) {
        Some(Role::Csrf)
    } else if names_something_else(&c.name) {
        None
    } else if is_session_name(&c.name)
        || c.session_value
        || (set_by_login_submit && c.value_len >= 16)
    {
        Some(Role::Session)
    } else {
        None
    }
}

/// One problem of one cookie: check, severity, detail.
pub fn judge(
    c: &SetCookie,
    role: Role,
    url: &Url,
) -> (Vec<(&'static str, Severity, String)>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let what = match role {
        Role::Session => "session cookie",
        Role::Csrf => "CSRF cookie",
    };
    let name = &c.name;
    if role == Role::Session && !c.http_only {
        out.push((
            "cookies.session-without-httponly",
            Severity::Medium,
            format!("{what} `{name}` lacks HttpOnly: any injected script can read and steal it"),
        ));
    }
    if !c.secure {
        if url.scheme() == "https" {
            out.push((
                "cookies.without-secure",
                if role == Role::Session {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                format!(
                    "{what} `{name}` lacks Secure: it is sent over plain http to anyone on the path"
                ),
            ));
        } else if is_loopback(url) {
            notes.push(format!(
                "Secure flag of `{name}` not judged: plain http on loopback"
            ));
        } else if role == Role::Session {
            out.push((
                "cookies.session-over-http",
                Severity::Medium,
                format!("{what} `{name}` is set over plain http"),
            ));
        }
    }
    match c.same_site.as_deref() {
        Some("unknown") => notes.push(format!(
            "SameSite of `{name}` not judged: it was set on a redirect hop the scanner only saw in its jar"
        )),
        None => out.push((
            "cookies.samesite-missing",
            Severity::Low,
            format!("{what} `{name}` has no SameSite: older browsers send it on cross-site requests (CSRF)"),
        )),
        Some("strict") | Some("lax") => {}
        Some("none") => out.push((
            "cookies.samesite-none",
            Severity::Low,
            format!("{what} `{name}` is SameSite=None: sent on every cross-site request (CSRF)"),
        )),
        Some(other) => out.push((
            "cookies.samesite-invalid",
            Severity::Low,
            format!("{what} `{name}` has SameSite=`{other}`, which browsers do not recognise"),
        )),
    }
    if let (Some(domain), Some(host)) = (&c.domain, url.host_str())
        && !domain.eq_ignore_ascii_case(host)
    {
        out.push((
            "cookies.domain-broad",
            Severity::Low,
            format!("{what} `{name}` is scoped to Domain={domain}: every subdomain receives it"),
        ));
    }
    if role == Role::Session && c.max_age.is_some_and(|a| a > MAX_LIFETIME_SECS) {
        out.push((
            "cookies.long-lived-session",
            Severity::Low,
            format!(
                "{what} `{name}` lives {} days (Max-Age): a stolen one stays useful",
                c.max_age.unwrap_or(0) / 86_400
            ),
        ));
    }
    (out, notes)
}

/// What replaying the logins in throwaway sessions gave.
struct FreshLogins {
    logged_in: u32,
    /// The throwaway jars' cookies: set on redirect hops, which the observer does not see.
    jar_cookies: Vec<StoredCookie>,
    /// The first login's proof response, the evidence for cookies only a jar saw.
    proof: Option<Response>,
    errors: Vec<String>,
}

/// The cookies judged so far: each way a cookie is set (name and attributes) judged
/// once, so a cookie re-issued with weaker flags than the login gave it is judged
/// again; one finding per check and cookie name.
#[derive(Default)]
struct Verdicts {
    checks: u32,
    findings: BTreeMap<String, Finding>,
    /// Names of the cookies judged.
    judged: BTreeSet<String>,
    /// Each judged way of setting a cookie.
    variants: BTreeSet<String>,
    /// (check, cookie name) already reported.
    reported: BTreeSet<(&'static str, String)>,
    notes: BTreeSet<String>,
}

/// A cookie's name and attributes, without its value.
fn variant(c: &SetCookie) -> String {
    format!(
        "{}|{}|{}|{:?}|{:?}|{:?}",
        c.name, c.secure, c.http_only, c.same_site, c.domain, c.max_age
    )
}

async fn run(ctx: &Context) -> Result<ProbeRun, String> {
    let ordinary = ordinary_pages(ctx);
    let logins: Vec<&IdentityConfig> = ctx
        .config
        .identities
        .iter()
        // HTTP Basic sends its credentials on every request: no session cookie to judge.
        .filter(|i| {
            !matches!(
                i.login,
                Login::Token { .. }
                    | Login::Cookie { .. }
                    | Login::Basic { .. }
                    | Login::Supabase { .. }
                    | Login::Firebase { .. }
            )
        })
        .collect();
    // Cookies are set by the login route's code, whoever logs in: one fresh login per
    // route (and kind) judges them all.
    let mut routes = BTreeSet::new();
    let logins: Vec<&IdentityConfig> = logins
        .into_iter()
        .filter(|i| match &i.login {
            Login::Json { url, .. } => routes.insert(("json", url.clone())),
            Login::Form { page, .. } => routes.insert(("form", page.clone())),
            _ => true,
        })
        .collect();
    let recorder = Arc::new(SetCookieRecorder::default());
    ctx.http.add_observer(recorder.clone());
    // An anonymous visitor first: apps start sessions and set CSRF cookies for visitors.
    let anonymous = Session::scratch(crate::model::IdentityId::Anonymous, COOKIE_AUDIT);
    let visited = visit(ctx, &anonymous, &ordinary).await;
    let fresh = fresh_logins(ctx, &logins, &ordinary).await;
    let seen = recorder
        .seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut verdicts = Verdicts::default();
    verdicts.judge_responses(ctx, &seen);
    if logins.is_empty() && verdicts.findings.is_empty() {
        // Cookie flags alone do not make item 2 pass when no login could be judged.
        let pages = if verdicts.judged.is_empty() {
            "the pages visited set no session or CSRF cookie".to_string()
        } else {
            format!(
                "the session/CSRF cookies the pages visited set ({}) have sound flags",
                verdicts
                    .judged
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Ok(ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::Authentication,
            format!(
                "no identity logs in through a JSON or form login, so no login's session cookie could be judged (token, cookie and HTTP Basic identities carry fixed credentials); {pages}"
            ),
            Some("identities.a.login"),
        ));
    }
    if !logins.is_empty() && fresh.logged_in == 0 {
        return Err(format!(
            "no fresh login succeeded: {}",
            fresh.errors.join("; ")
        ));
    }
    verdicts.judge_jar(ctx, &fresh.jar_cookies, fresh.proof.as_ref());
    let mut run = report(verdicts, &fresh);
    run.notes.push(format!(
        "{visited} ordinary pages visited anonymously (and again after each fresh login) for the cookies they set"
    ));
    Ok(run)
}

/// The ordinary pages the throwaway sessions visit: the start pages, then pages
/// discovery found (never one that could end a session or destroy something).
fn ordinary_pages(ctx: &Context) -> Vec<Url> {
    let logouts: Vec<&str> = ctx
        .config
        .identities
        .iter()
        .filter_map(|i| i.logout.as_ref().map(|l| l.url.path()))
        .collect();
    let mut seen = BTreeSet::new();
    ctx.config
        .start
        .iter()
        .cloned()
        .chain(
            ctx.inventory
                .pages
                .iter()
                .filter_map(|p| Url::parse(p).ok()),
        )
        .filter(|u| !crate::discover::is_unsafe_path(u.path()) && !logouts.contains(&u.path()))
        .filter(|u| seen.insert(crate::model::path_pattern(u.path())))
        .take(MAX_ORDINARY)
        .collect()
}

/// GETs `pages` in `session` (the observer records what they set); returns how many
/// answered.
async fn visit(ctx: &Context, session: &Session, pages: &[Url]) -> usize {
    let mut answered = 0;
    for u in pages {
        let req = Request::get(u.clone())
            .header("Accept", "text/html,application/xhtml+xml")
            .no_redirects();
        if ctx.http.send(session, req).await.is_ok() {
            answered += 1;
        }
    }
    answered
}

/// Logs each identity in once more in a throwaway session, then visits the ordinary
/// pages (some apps set CSRF cookies only there, others re-issue the session cookie on
/// every page); the observer records what they set.
async fn fresh_logins(ctx: &Context, logins: &[&IdentityConfig], ordinary: &[Url]) -> FreshLogins {
    let mut fresh = FreshLogins {
        logged_in: 0,
        jar_cookies: Vec::new(),
        proof: None,
        errors: Vec::new(),
    };
    for cfg in logins {
        let session = Session::scratch(cfg.id, COOKIE_AUDIT);
        match crate::auth::login::login(&ctx.http, &session, cfg).await {
            Ok(proof) => {
                fresh.logged_in += 1;
                if fresh.proof.is_none() {
                    fresh.proof = proof;
                }
                // Cookies set on redirect hops reach the jar but not the observer.
                fresh
                    .jar_cookies
                    .extend(session.with_jar(|j| j.cookies().to_vec()));
                visit(ctx, &session, ordinary).await;
            }
            Err(e) => fresh.errors.push(format!("{}: {e}", cfg.id)),
        }
    }
    fresh
}

impl Verdicts {
    /// Judges the session and CSRF cookies of the responses the observer kept, each
    /// with the response that set it as evidence.
    fn judge_responses(&mut self, ctx: &Context, seen: &[Response]) {
        for resp in seen {
            let submit = resp.sent.method == "POST";
            for c in resp
                .headers_named("set-cookie")
                .filter_map(parse_set_cookie)
            {
                // Cookies being cleared carry nothing.
                if c.clears() {
                    continue;
                }
                let Some(role) = role_of(&c, submit) else {
                    continue;
                };
                if !self.variants.insert(variant(&c)) {
                    continue;
                }
                self.judged.insert(c.name.clone());
                self.checks += 1;
                let (problems, n) = judge(&c, role, &resp.url);
                self.notes.extend(n);
                for (check, severity, detail) in problems {
                    if !self.reported.insert((check, c.name.clone())) {
                        continue;
                    }
                    let location = Location {
                        method: resp.sent.method.clone(),
                        url: resp.url.to_string(),
                    };
                    let f = cookie_finding(check, severity, &detail, location, &c.name)
                        .with_evidence(ctx.http.evidence(&detail, resp, None));
                    self.findings.entry(f.id.clone()).or_insert(f);
                }
            }
        }
    }

    /// Judges the jar's cookies not seen in a response (set on a redirect hop): their
    /// SameSite is unknown, and the login's proof response stands in as evidence.
    fn judge_jar(&mut self, ctx: &Context, jar_cookies: &[StoredCookie], proof: Option<&Response>) {
        let base = ctx.config.target.clone();
        for sc in jar_cookies {
            if self.judged.contains(&sc.name) || sc.value.is_empty() {
                continue;
            }
            let c = SetCookie {
                name: sc.name.clone(),
                value_len: sc.value.len(),
                session_value: is_session_value(&sc.value),
                secure: sc.secure,
                http_only: sc.http_only,
                same_site: Some("unknown".into()),
                domain: sc.domain_wide.then(|| sc.domain.clone()),
                path: Some(sc.path.clone()),
                max_age: None,
                expires: None,
            };
            let Some(role) = role_of(&c, true) else {
                continue;
            };
            self.judged.insert(c.name.clone());
            self.checks += 1;
            let (problems, n) = judge(&c, role, &base);
            self.notes.extend(n);
            for (check, severity, detail) in problems {
                if !self.reported.insert((check, c.name.clone())) {
                    continue;
                }
                let location = Location {
                    method: "POST".into(),
                    url: base.to_string(),
                };
                let f = cookie_finding(check, severity, &detail, location, &c.name);
                let f = match proof {
                    Some(r) => f.with_evidence(ctx.http.evidence(
                        &format!("{detail} (attributes as stored from the login's redirect hop)"),
                        r,
                        None,
                    )),
                    None => f,
                };
                self.findings.entry(f.id.clone()).or_insert(f);
            }
        }
    }
}

/// The run: the findings, which cookies were judged from how many logins, and why some
/// could not be.
fn report(verdicts: Verdicts, fresh: &FreshLogins) -> ProbeRun {
    let logged_in = fresh.logged_in;
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::Authentication);
    run.checks = verdicts.checks;
    run.findings = verdicts.findings.into_values().collect();
    if verdicts.judged.is_empty() {
        // The logins worked without any cookie: sessions ride on tokens.
        run.checks = logged_in;
        run.notes.push(format!(
            "{logged_in} fresh logins set no session or CSRF cookie"
        ));
    } else {
        run.notes.push(format!(
            "{} session/CSRF cookies judged from {logged_in} fresh logins and the ordinary pages: {}",
            verdicts.judged.len(),
            verdicts.judged.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    run.notes.extend(verdicts.notes);
    if !fresh.errors.is_empty() {
        run.notes
            .push(format!("fresh logins failed: {}", fresh.errors.join("; ")));
    }
    run
}

/// A cookie-flag finding on `name` (evidence is added by the caller).
fn cookie_finding(
    check: &'static str,
    severity: Severity,
    detail: &str,
    location: Location,
    name: &str,
) -> Finding {
    Finding::builder(Item::Authentication, check)
        .rated(severity, Confidence::Firm)
        .title(format!("Cookie flags: {check}"))
        .detail(detail.to_string())
        .at(location)
        .discriminator(format!("{check}:{name}"))
        .build()
        .with_remediation(
            "Set session cookies with Secure; HttpOnly; SameSite=Lax (or Strict); \
         Path=/; no Domain attribute; and a lifetime no longer than the session.",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(h: &str) -> SetCookie {
        parse_set_cookie(h).unwrap()
    }

    fn checks(h: &str, url: &str) -> Vec<&'static str> {
        let c = cookie(h);
        let role = role_of(&c, true).unwrap();
        judge(&c, role, &Url::parse(url).unwrap())
            .0
            .into_iter()
            .map(|x| x.0)
            .collect()
    }

    #[test]
    fn a_hardened_session_cookie_passes() {
        assert!(
            checks(
                "sid=0123456789abcdef0123; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=43200",
                "https://a.example/login"
            )
            .is_empty()
        );
        // Over http on loopback, Secure cannot be judged; the rest still is.
        assert!(
            checks(
                "session=abc; HttpOnly; SameSite=Strict; Path=/",
                "http://127.0.0.1:8080/login"
            )
            .is_empty()
        );
    }

    #[test]
    fn weak_flags_are_reported() {
        let c = checks(
            "session=abc; SameSite=None; Domain=.example.com; Max-Age=31536000",
            "https://app.example.com/login",
        );
        for want in [
            "cookies.session-without-httponly",
            "cookies.without-secure",
            "cookies.samesite-none",
            "cookies.domain-broad",
            "cookies.long-lived-session",
        ] {
            assert!(c.contains(&want), "{want}: {c:?}");
        }
        assert_eq!(
            checks(
                "session=abc; HttpOnly; SameSite=Lax",
                "http://app.example.com/"
            ),
            ["cookies.session-over-http"]
        );
    }

    #[test]
    fn a_cookie_re_issued_with_weaker_flags_is_a_new_variant() {
        let login = cookie("session=abc; HttpOnly; SameSite=Lax; Path=/");
        let rolled = cookie("session=abd; Path=/");
        assert_ne!(variant(&login), variant(&rolled));
        assert_eq!(
            variant(&login),
            variant(&cookie("session=xyz; HttpOnly; SameSite=Lax; Path=/"))
        );
    }

    #[test]
    fn roles_by_name_or_by_login() {
        // A CSRF cookie readable by scripts is the double-submit pattern: fine.
        assert!(checks("XSRF-TOKEN=abc; Secure; SameSite=Lax", "https://a.example/").is_empty());
        assert_eq!(role_of(&cookie("theme=dark"), true), None);
        assert_eq!(
            role_of(&cookie("x=0123456789abcdef0123"), true),
            Some(Role::Session)
        );
        assert_eq!(role_of(&cookie("x=0123456789abcdef0123"), false), None);
        assert_eq!(
            role_of(&cookie("connect.sid=s%3Aabc"), false),
            Some(Role::Session)
        );
        // On an ordinary page: a session-shaped value makes a session whatever the name,
        // and a preference is not one, whatever its flags.
        assert_eq!(
            role_of(
                &cookie("u=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl; Path=/"),
                false
            ),
            Some(Role::Session)
        );
        assert_eq!(role_of(&cookie("sidebar=collapsed; Path=/"), false), None);
        assert_eq!(role_of(&cookie("lang=en; Path=/"), false), None);
        // A name that says what else it holds wins over the value's shape or the login.
        assert_eq!(
            role_of(
                &cookie("ui_prefs=eyJ0aGVtZSI6ImRhcmsifQ.ZmFrZQ.c2lnbmF0dXJl"),
                false
            ),
            None
        );
        assert_eq!(
            role_of(&cookie("last_login_at=2026-12-03T12:00:00Z"), true),
            None
        );
        // Clearing a cookie sets nothing to judge.
        for cleared in [
            "session=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/",
            "session=x; Max-Age=-1",
            "session=; Path=/",
        ] {
            assert!(cookie(cleared).clears(), "{cleared}");
        }
        assert!(!cookie("session=x; Expires=Fri, 01 Jan 2100 00:00:00 GMT").clears());
    }
}
