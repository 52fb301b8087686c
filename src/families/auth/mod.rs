//! Authentication checks (item 2) beyond tokens: anonymous and broken-credential replay
//! of requests that returned private data, logout revocation on a separate fresh login,
//! session fixation, credentials in URLs, passwords echoed back, and account enumeration.

pub mod cookies;
pub mod jwt;
pub mod secret_guesses;
pub mod secret_search;

use std::collections::BTreeSet;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use regex::Regex;

use crate::auth::Identity;
use crate::auth::attempt;
use crate::auth::flow::{self, Prepared};
use crate::config::{ConfigRequest, IdentityConfig, Login};
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response, Session, StoredCookie};
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::{Confidence, Finding, Location, Severity};

/// At most this many private routes are replayed per identity.
const MAX_REPLAYS: usize = 25;

/// What the `auth` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "auth",
    items: &[Item::Authentication],
    ids: &[
        "auth.account-enumeration",
        "auth.anonymous-replay",
        "auth.credentials-in-url",
        "auth.logout-not-revoked",
        "auth.password-echoed",
        "auth.session-fixation",
    ],
    runs_last: false,
};

/// The `auth` family.
pub struct AuthFamily;

impl Family for AuthFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move {
            let part = || ProbeRun::new(DESCRIPTOR.name, Item::Authentication);
            if ctx.identities.authenticated().next().is_none() {
                return Ok(vec![ProbeRun::not_run(
                    DESCRIPTOR.name,
                    Item::Authentication,
                    "no identity to log in as",
                    Some("identities.a"),
                )]);
            }
            // The checks are independent (each logs in its own throwaway sessions).
            let (mut run, mut logout, mut fixation, mut enumerated) =
                (part(), part(), part(), part());
            tokio::join!(
                anonymous_replay(ctx, &mut run),
                logout_revocation(ctx, &mut logout),
                fixation_and_echo(ctx, &mut fixation),
                enumeration(ctx, &mut enumerated),
            );
            for p in [logout, fixation, enumerated] {
                run.absorb(p);
            }
            Ok(vec![run])
        })
    }
}

fn location(ctx: &Context, resp: &Response) -> Location {
    Location {
        method: resp.sent.method.clone(),
        url: ctx.http.redactor().url(&resp.sent.url),
    }
}

/// A credential that is no longer (or never was) valid but keeps its shape: a JWT with
/// its signature damaged, anything else reversed.
fn broken(value: &str) -> String {
    if value.matches('.').count() == 2 && value.len() > 20 {
        let cut = value.len() - 6;
        let tail = if &value[cut..] == "AAAAAA" {
            "BBBBBB"
        } else {
            "AAAAAA"
        };
        format!("{}{tail}", &value[..cut])
    } else {
        let r: String = value.chars().rev().collect();
        if r == value { format!("{value}x") } else { r }
    }
}

/// Every GET that showed an identity its own private data, replayed without credentials
/// and with a broken credential; the data must not come back.
async fn anonymous_replay(ctx: &Context, run: &mut ProbeRun) {
    let http = &ctx.http;
    let anon = ctx.identities.anonymous();
    let mut replayed = 0;
    // Whether a route checks the session does not depend on whose data it holds: each
    // route is replayed once without credentials, and once per kind of broken
    // credential (a bearer token and a session cookie are checked by different code).
    let mut done: BTreeSet<(String, Vec<String>)> = BTreeSet::new();
    for identity in ctx.identities.authenticated() {
        let Some(markers) = ctx.inventory.markers.get(&identity.id) else {
            continue;
        };
        let urls: Vec<(String, String)> = ctx
            .inventory
            .endpoints()
            .filter(|e| e.method == "GET")
            .filter_map(|e| {
                e.observations
                    .iter()
                    .find(|o| {
                        o.identity == identity.id
                            && (200..300).contains(&o.status)
                            && o.markers_of.contains(&identity.id)
                    })
                    .map(|o| (e.pattern.clone(), o.url.clone()))
            })
            .take(MAX_REPLAYS)
            .collect();
        let creds = broken_credentials(ctx, identity);
        let cred_names: Vec<String> = creds.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        for (pattern, url) in urls {
            let Ok(url) = url::Url::parse(&url) else {
                continue;
            };
            let base = Request::get(url).header("Accept", "application/json, text/html;q=0.9");
            let mut attempts = Vec::new();
            if done.insert((pattern.clone(), Vec::new())) {
                attempts.push(("no credentials", base.clone()));
            }
            if !creds.is_empty() && done.insert((pattern.clone(), cred_names.clone())) {
                let mut req = base.clone().anonymous();
                for (n, v) in &creds {
                    req = req.header(n, v.clone());
                }
                attempts.push(("a broken credential", req));
            }
            for (how, req) in attempts {
                run.checks += 1;
                replayed += 1;
                // A redirect elsewhere (to the sign-in page) is the refusal itself; only
                // one to the same route (a trailing slash) is followed to its answer.
                // Discovery's visitor may have asked this already, the same way.
                let Ok(first) = ctx.answer(anon, req.clone().no_redirects()).await else {
                    continue;
                };
                let resp = if first.is_redirect() && redirects_to_same_route(&first) {
                    match http.send(&anon.session, req).await {
                        Ok(r) => r,
                        Err(_) => continue,
                    }
                } else {
                    first
                };
                if !resp.is_success() {
                    continue;
                }
                if let Some(m) = markers.found_in(&resp.text()) {
                    run.findings.push(
                        Finding::builder(Item::Authentication, "auth.anonymous-replay")
                            .rated(Severity::High, Confidence::Confirmed)
                            .title(format!("Private data served with {how}"))
                            .detail(format!(
                                "{pattern} returned identity `{}`'s private data when replayed with {how}: the route does not check the session.",
                                identity.id
                            ))
                            .at(location(ctx, &resp))
                            .discriminator(how)
                            .build()
                        .with_evidence(http.evidence(&format!("replayed with {how}"), &resp, Some(m)))
                        .with_remediation("Require a valid, server-verified session on every route that returns user data."),
                    );
                }
            }
        }
    }
    run.notes.push(format!(
        "replayed {replayed} private requests without or with broken credentials"
    ));
}

/// Whether a redirect leads to the route it answered for (`/app/x` -> `/app/x/`, the
/// same path over HTTPS or with a query), not somewhere else.
fn redirects_to_same_route(resp: &Response) -> bool {
    let Some(to) = resp.header("location").and_then(|l| resp.url.join(l).ok()) else {
        return false;
    };
    let trim = |p: &str| p.trim_end_matches('/').to_ascii_lowercase();
    trim(to.path()) == trim(resp.url.path())
}

/// The identity's credentials (Authorization-like headers, cookies) with every value
/// broken; HTTP Basic credentials keep the username and get a wrong password.
fn broken_credentials(ctx: &Context, identity: &Identity) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, value) in identity.session.headers() {
        let b = match value.split_once(' ') {
            Some((scheme, v)) if scheme.eq_ignore_ascii_case("basic") => {
                wrong_basic(v).unwrap_or_else(|| format!("{scheme} {}", broken(v)))
            }
            Some((scheme, v)) => format!("{scheme} {}", broken(v)),
            None => broken(&value),
        };
        ctx.http.redactor().add(&b);
        out.push((name, b));
    }
    let cookies: Vec<String> = identity
        .session
        .with_jar(|j| j.cookies().to_vec())
        .iter()
        .map(|c| {
            let b = broken(&c.value);
            ctx.http.redactor().add(&b);
            format!("{}={b}", c.name)
        })
        .collect();
    if !cookies.is_empty() {
        out.push(("Cookie".to_string(), cookies.join("; ")));
    }
    out
}

/// `Basic base64(user:wrong-password)` for the user of `encoded` (`base64(user:pw)`).
fn wrong_basic(encoded: &str) -> Option<String> {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, _) = text.split_once(':')?;
    Some(crate::config::basic_authorization(
        user,
        &attempt::wrong_password(),
    ))
}

fn check_request(check: &ConfigRequest) -> Request {
    Request::new(&check.method, check.url.clone())
        .header("Accept", "application/json, text/html;q=0.9")
        .no_redirects()
}

fn check_ok(check: &ConfigRequest, resp: &Response) -> bool {
    if check.expect_status.is_empty() {
        resp.is_success()
    } else {
        check.expect_status.contains(&resp.status)
    }
}

/// A session holding exactly `headers` and `cookies`.
fn session_with(
    id: IdentityId,
    url: &url::Url,
    headers: &[(String, String)],
    cookies: &[StoredCookie],
) -> Session {
    let s = Session::scratch(id, "broken credentials");
    for (n, v) in headers {
        s.set_header(n, v);
    }
    s.with_jar(|j| {
        for c in cookies {
            j.insert(url, &c.name, &c.value);
        }
    });
    s
}

/// Logs in on a fresh, throwaway session (never an identity's own), logs out as the
/// config says, and replays the old credentials: they must no longer work.
async fn logout_revocation(ctx: &Context, run: &mut ProbeRun) {
    let http = &ctx.http;
    let mut tried = false;
    for identity in ctx.identities.authenticated() {
        let Some(cfg) = identity.config.as_ref() else {
            continue;
        };
        let (Some(logout), Some(check)) = (&cfg.logout, &cfg.check) else {
            continue;
        };
        if matches!(cfg.login, Login::Basic { .. }) {
            // The credentials travel with every request: there is no session a logout
            // could end, so replaying them afterwards proves nothing.
            run.notes.push(format!(
                "{}: HTTP Basic has no session to revoke; logout not tested",
                identity.id
            ));
            continue;
        }
        tried = true;
        let fresh = Session::scratch(identity.id, "logout test");
        if let Err(e) = crate::auth::login::login(http, &fresh, cfg).await {
            run.notes.push(format!(
                "{}: fresh login for the logout test failed: {}",
                identity.id,
                http.redactor().text(&e.to_string())
            ));
            continue;
        }
        let Ok(before) = http.send(&fresh, check_request(check)).await else {
            continue;
        };
        if !check_ok(check, &before) {
            run.notes.push(format!(
                "{}: the fresh session failed its check; logout not tested",
                identity.id
            ));
            continue;
        }
        let headers = fresh.headers();
        let cookies = fresh.with_jar(|j| j.cookies().to_vec());
        let logout_req = Request::new(&logout.method, logout.url.clone()).no_redirects();
        let Ok(out) = http.send(&fresh, logout_req).await else {
            continue;
        };
        if out.status >= 400 {
            run.notes.push(format!(
                "{}: logout answered {}; revocation not tested",
                identity.id, out.status
            ));
            continue;
        }
        let replay = session_with(identity.id, &check.url, &headers, &cookies);
        let Ok(after) = http.send(&replay, check_request(check)).await else {
            continue;
        };
        run.checks += 1;
        if check_ok(check, &after) {
            run.findings.push(
                Finding::builder(Item::Authentication, "auth.logout-not-revoked")
                    .rated(Severity::High, Confidence::Confirmed)
                    .title("Session still valid after logout")
                    .detail(format!(
                        "After identity `{}` logged out ({} {}), its old credentials still passed the check request: logout does not end the session on the server.",
                        identity.id, logout.method, http.redactor().url(&logout.url)
                    ))
                    .at(location(ctx, &after))
                    .discriminator(cfg.login.kind())
                    .build()
                .with_evidence(http.evidence("logout", &out, None))
                .with_evidence(http.evidence("old credentials after logout", &after, None))
                .with_remediation("Revoke the session or token on the server at logout (delete the session; keep a denylist of token ids until they expire)."),
            );
        }
    }
    if !tried {
        run.notes.push("no identity has a logout request; logout revocation not tested (set identities.a.logout)".into());
    }
}

/// Session-like cookie names (not CSRF or preference cookies).
fn sessionish(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !n.contains("csrf")
        && !n.contains("xsrf")
        && ["sess", "sid", "auth", "token", "login", "connect"]
            .iter()
            .any(|k| n.contains(k))
}

/// One real login per password flow on a throwaway session: the session cookie must
/// change at login, the login must not travel in a URL, and no response may echo the password.
async fn fixation_and_echo(ctx: &Context, run: &mut ProbeRun) {
    let http = &ctx.http;
    let mut done_kinds: Vec<&str> = Vec::new();
    for identity in ctx.identities.authenticated() {
        let Some(cfg) = identity.config.as_ref() else {
            continue;
        };
        if !flow::has_password_flow(cfg) || done_kinds.contains(&cfg.login.kind()) {
            continue;
        }
        done_kinds.push(cfg.login.kind());
        let session = Session::scratch(identity.id, "fixation test");
        let prepared = match attempt::prepare(http, &session, cfg).await {
            Ok(p) => p,
            Err(e) => {
                run.notes.push(format!("{}: {e}", identity.id));
                continue;
            }
        };
        let (Some(user), Some(pass)) = (flow::username(cfg), flow::password(cfg)) else {
            continue;
        };
        if let Prepared::Form { method, .. } = &prepared
            && method == "GET"
        {
            run.checks += 1;
            run.findings.push(Finding::builder(Item::Authentication, "auth.credentials-in-url")
                    .rated(Severity::Medium, Confidence::Firm)
                    .title("Login form sends the password in the URL")
                    .detail(format!("Identity `{}`'s login form submits with GET, so the password lands in browser history, proxy and server logs.", identity.id))
                    .at(Location { method: "GET".into(), url: http.redactor().url(prepared.url()) })
                    .discriminator("form-get")
                    .build().with_remediation("Submit credentials with POST in the body, never in a query string."));
            continue;
        }
        let before = session.with_jar(|j| j.cookies().to_vec());
        let Ok(resp) = attempt::attempt(http, &session, &prepared, user, pass).await else {
            continue;
        };
        run.checks += 1;
        echo_check(ctx, run, &resp, pass, "the login response");
        if resp.status >= 400 {
            run.notes.push(format!(
                "{}: test login answered {}; fixation not judged",
                identity.id, resp.status
            ));
            continue;
        }
        let after = session.with_jar(|j| j.cookies().to_vec());
        run.checks += 1;
        if let Some(fixed) = before.iter().find(|c| {
            sessionish(&c.name) && after.iter().any(|a| a.name == c.name && a.value == c.value)
        }) {
            run.findings.push(
                Finding::builder(Item::Authentication, "auth.session-fixation")
                    .rated(Severity::Medium, Confidence::Firm)
                    .title("Session id does not change at login")
                    .detail(format!("Cookie `{}` kept the value it had before login: an attacker who plants a session id can ride the victim's login.", fixed.name))
                    .at(location(ctx, &resp))
                    .discriminator(&fixed.name)
                    .build()
                .with_evidence(http.evidence("login keeps the pre-login session cookie", &resp, None))
                .with_remediation("Issue a new session id at every login and discard the old one."),
            );
        }
        // Where the login lands must not echo the password either.
        if let Some(check) = &cfg.check
            && let Ok(r) = http.send(&session, check_request(check)).await
        {
            echo_check(ctx, run, &r, pass, "the check request");
        }
    }
}

/// A password echoed back in a response fails (evidence redacts it).
fn echo_check(ctx: &Context, run: &mut ProbeRun, resp: &Response, password: &str, what: &str) {
    if password.len() < 6 || !resp.text().contains(password) {
        return;
    }
    ctx.http.redactor().add(password);
    run.findings.push(
        Finding::builder(Item::Authentication, "auth.password-echoed")
            .rated(Severity::High, Confidence::Confirmed)
            .title("Password echoed back in a response")
            .detail(format!("The password submitted at login appears in {what}: it can end up in caches, logs and browser history."))
            .at(location(ctx, resp))
            .discriminator(what)
            .build()
        .with_evidence(ctx.http.evidence("password in the response (redacted)", resp, Some(password)))
        .with_remediation("Never render or return a submitted password, not even in a re-filled form."),
    );
}

/// Replaces what differs between two otherwise equal answers (the username, tokens,
/// numbers) so that only the message itself is compared.
pub fn normalize(text: &str, username: &str, password: &str) -> String {
    static TOKENS: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let tokens =
        TOKENS.get_or_init(|| Regex::new(r"[A-Za-z0-9_\-+/=]{20,}|\d+").expect("valid regex"));
    let text = text
        .replace(username, "{user}")
        .replace(password, "{password}");
    let escaped = username.replace('@', "&#64;");
    let text = text.replace(&escaped, "{user}");
    tokens.replace_all(&text, "{t}").trim().to_string()
}

/// A known account with a wrong password and an unknown account, one attempt each: the
/// answers must not differ. A different status is machine-readable enumeration (fails);
/// only a different message warns.
async fn enumeration(ctx: &Context, run: &mut ProbeRun) {
    let http = &ctx.http;
    let Some((identity, cfg)) = pick_password_identity(ctx) else {
        run.notes
            .push("no identity logs in with a password; account enumeration not tested".into());
        return;
    };
    let Some(known) = flow::username(cfg) else {
        return;
    };
    let session = Session::scratch(identity.id, "enumeration test");
    let prepared = match attempt::prepare(http, &session, cfg).await {
        Ok(p) => p,
        Err(e) => {
            run.notes.push(format!("enumeration: {e}"));
            return;
        }
    };
    let unknown = attempt::unknown_username(known);
    let wrong = attempt::wrong_password();
    let Ok(r_known) = attempt::attempt(http, &session, &prepared, known, &wrong).await else {
        return;
    };
    let Ok(r_unknown) = attempt::attempt(http, &session, &prepared, &unknown, &wrong).await else {
        return;
    };
    run.checks += 1;
    echo_check(ctx, run, &r_known, &wrong, "a failed login response");
    let verdict = compare(
        r_known.status,
        &normalize(&r_known.text(), known, &wrong),
        r_unknown.status,
        &normalize(&r_unknown.text(), &unknown, &wrong),
    );
    let (severity, what) = match verdict {
        Compared::Same => {
            run.notes
                .push("a wrong password and an unknown account get the same answer".into());
            return;
        }
        Compared::Throttled => {
            run.state = crate::model::RunState::Inconclusive {
                reason: "a login was throttled during the account-enumeration check".into(),
            };
            return;
        }
        Compared::Rejected(status) => {
            run.state = crate::model::RunState::Inconclusive {
                reason: format!(
                    "the unknown account was refused as malformed ({status}) before any account lookup, so account enumeration was not decided"
                ),
            };
            return;
        }
        Compared::Differs { severity, what } => (severity, what),
    };
    run.findings.push(
        Finding::builder(Item::Authentication, "auth.account-enumeration")
            .rated(severity, Confidence::Firm)
            .title("Login tells which accounts exist")
            .detail(format!("A known account with a wrong password and an unknown account get {what}: anyone can test which emails have accounts."))
            .at(location(ctx, &r_known))
            .discriminator("login")
            .build()
        .with_evidence(http.evidence("known account, wrong password", &r_known, None))
        .with_evidence(http.evidence("unknown account", &r_unknown, None))
        .with_remediation("Answer every failed login with the same status and message (and similar timing)."),
    );
}

/// How the answers to a wrong password and to an unknown account compare.
#[derive(Debug, PartialEq, Eq)]
enum Compared {
    Same,
    Throttled,
    /// The unknown account was refused with a validation status (400, 422) while the
    /// known one was not: the input was judged, not the account's existence.
    Rejected(u16),
    /// A different status (machine-readable, medium) or only a different message (low).
    Differs {
        severity: Severity,
        what: String,
    },
}

/// Compares the known account's answer with the unknown account's (bodies normalized).
fn compare(known: u16, known_body: &str, unknown: u16, unknown_body: &str) -> Compared {
    if [known, unknown].iter().any(|s| *s == 429 || *s == 503) {
        return Compared::Throttled;
    }
    if known == unknown {
        return if known_body == unknown_body {
            Compared::Same
        } else {
            Compared::Differs {
                severity: Severity::Low,
                what: "a different message".into(),
            }
        };
    }
    if unknown == 400 || unknown == 422 {
        return Compared::Rejected(unknown);
    }
    // A different status is machine-readable: enumeration scripts need nothing more.
    Compared::Differs {
        severity: Severity::Medium,
        what: format!("status {known} vs {unknown}"),
    }
}

/// The identity whose login flow account checks use: JSON flows first (their answers compare cleanly).
fn pick_password_identity(ctx: &Context) -> Option<(Arc<Identity>, &IdentityConfig)> {
    let mut ids: Vec<&Arc<Identity>> = ctx
        .identities
        .authenticated()
        .filter(|i| i.config.as_ref().is_some_and(flow::has_password_flow))
        .collect();
    ids.sort_by_key(|i| {
        !matches!(
            i.config.as_ref().map(|c| &c.login),
            Some(Login::Json { .. })
        )
    });
    let id = ids.first()?;
    Some((Arc::clone(id), id.config.as_ref()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_credentials_keep_their_shape() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop";
        let b = broken(jwt);
        assert_ne!(b, jwt);
        assert_eq!(b.len(), jwt.len());
        assert_eq!(b.matches('.').count(), 2);
        assert_eq!(broken("abc"), "cba");
        assert_eq!(broken("aa"), "aax");
    }

    #[test]
    fn a_broken_basic_credential_is_the_right_user_with_a_wrong_password() {
        use base64::Engine;
        let b = wrong_basic("YWxpY2VAYWNtZS50ZXN0OnMzY3JldA==").unwrap();
        let encoded = b.strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let text = String::from_utf8(decoded).unwrap();
        let (user, pw) = text.split_once(':').unwrap();
        assert_eq!(user, "alice@acme.test");
        assert!(pw.starts_with("prodready-wrong-"), "{pw}");
        assert_eq!(wrong_basic("not base64!"), None);
    }

    #[test]
    fn normalizing_hides_usernames_tokens_and_numbers() {
        let a = normalize(
            r#"<p>Invalid email or password.</p><input value="a@x.test"><input name=csrf value="aGVsbG8taGVsbG8taGVsbG8taGVsbG8"> took 12ms"#,
            "a@x.test",
            "pw-1",
        );
        let b = normalize(
            r#"<p>Invalid email or password.</p><input value="zz@y.invalid"><input name=csrf value="d29ybGQtd29ybGQtd29ybGQtd29ybGQ"> took 9ms"#,
            "zz@y.invalid",
            "pw-1",
        );
        assert_eq!(a, b);
        let c = normalize(
            r#"{"error":"no account is registered with this email"}"#,
            "x",
            "y",
        );
        let d = normalize(r#"{"error":"invalid email or password"}"#, "x", "y");
        assert_ne!(c, d);
    }

    #[test]
    fn a_validation_refusal_of_the_unknown_account_is_not_enumeration() {
        let body = r#"{"error":"invalid email or password"}"#;
        let malformed = r#"{"errors":[{"message":"\"email\" must be a valid email"}]}"#;
        assert_eq!(compare(401, body, 400, malformed), Compared::Rejected(400));
        assert_eq!(compare(401, body, 422, malformed), Compared::Rejected(422));
        assert_eq!(compare(401, body, 401, body), Compared::Same);
        assert_eq!(compare(401, body, 429, body), Compared::Throttled);
        let unknown = r#"{"error":"no account is registered with this email"}"#;
        assert!(matches!(
            compare(401, body, 404, unknown),
            Compared::Differs {
                severity: Severity::Medium,
                ..
            }
        ));
        assert!(matches!(
            compare(401, body, 401, unknown),
            Compared::Differs {
                severity: Severity::Low,
                ..
            }
        ));
    }

    #[test]
    fn session_cookie_names() {
        assert!(sessionish("session"));
        assert!(sessionish("PHPSESSID"));
        assert!(sessionish("connect.sid"));
        assert!(!sessionish("csrftoken"));
        assert!(!sessionish("XSRF-TOKEN"));
        assert!(!sessionish("locale"));
    }
}
