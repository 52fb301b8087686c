//! Item 6 and CORS (issue 15, point 13): a table of small apps, each hardened but for
//! one header, CORS or cookie behaviour, scanned end to end with the verdict it must
//! get. Every class has a flawed case and a correct one: a false fail on a hardened
//! app is as serious as a missed flaw.
//!
//! Each app serves a start page (`/`), an authenticated JSON endpoint (`/api/me`, bearer
//! `token-a`) the start page links to, and hardened 404 pages; the scan trusts
//! `https://trusted.example` (and, in one case, an http dev origin) for CORS.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use prodready::config::{MapSource, Overrides, ProcessSource};
use prodready::model::{Item, Severity, Status};
use prodready::report::Report;

const TRUSTED: &str = "https://trusted.example";

/// Headers of every hardened answer (over http on loopback HSTS is not judged).
const HARDENED: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("permissions-policy", "camera=(), geolocation=()"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("cache-control", "no-store"),
];

/// Who the API's CORS policy lets in.
#[derive(Clone, Copy)]
enum Cors {
    /// No CORS headers at all.
    Off,
    /// Origins the predicate accepts are echoed back, with or without credentials;
    /// `preflight_status` is the status of an accepted preflight, `simple` says whether
    /// simple requests get the headers too.
    Allow {
        allow: fn(&str) -> bool,
        credentials: bool,
        preflight_status: u16,
        simple: bool,
    },
    /// `Access-Control-Allow-Origin: *`.
    Wildcard { credentials: bool },
}

/// Where `{nonce}` in the start page's headers and head comes from.
#[derive(Clone, Copy, PartialEq)]
enum Nonce {
    /// A fresh random nonce per response.
    Fresh,
    /// The same nonce on every response.
    Static,
    /// One nonce per visitor session (`sid` cookie): repeats only within a session.
    PerSession,
}

/// One app: the hardened app with the start page changed as said.
#[derive(Clone)]
struct Spec {
    /// Start page headers replacing the hardened ones of the same name ("" removes one).
    page: &'static [(&'static str, &'static str)],
    /// Extra HTML in the start page's head, and in its body.
    head: &'static str,
    body: &'static str,
    nonce: Nonce,
    /// `Set-Cookie` values of the start page (`{random}` becomes a fresh token).
    cookies: &'static [&'static str],
    cors: Cors,
    /// The start page answers a CORS preflight by echoing the origin with credentials.
    page_preflight_echo: bool,
}

const HARDENED_APP: Spec = Spec {
    page: &[],
    head: "",
    body: "",
    nonce: Nonce::Fresh,
    cookies: &[],
    cors: Cors::Allow {
        allow: |o| o == TRUSTED,
        credentials: true,
        preflight_status: 204,
        simple: true,
    },
    page_preflight_echo: false,
};

fn token() -> String {
    format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

fn set(headers: &mut HeaderMap, name: &str, value: &str) {
    let name = HeaderName::from_bytes(name.as_bytes()).expect("header name");
    if value.is_empty() {
        headers.remove(&name);
    } else {
        headers.insert(name, HeaderValue::from_str(value).expect("header value"));
    }
}

fn hardened(mut resp: Response) -> Response {
    for (k, v) in HARDENED {
        set(resp.headers_mut(), k, v);
    }
    resp
}

fn html(body: String) -> Response {
    ([("content-type", "text/html; charset=utf-8")], body).into_response()
}

/// CORS headers for an answer to `origin` under `cors`.
fn cors_headers(cors: Cors, origin: Option<&str>, preflight: bool, resp: &mut Response) {
    let h = resp.headers_mut();
    match (cors, origin) {
        (Cors::Wildcard { credentials }, _) => {
            set(h, "access-control-allow-origin", "*");
            if credentials {
                set(h, "access-control-allow-credentials", "true");
            }
        }
        (
            Cors::Allow {
                allow,
                credentials,
                simple,
                ..
            },
            Some(o),
        ) if allow(o) && (preflight || simple) => {
            set(h, "access-control-allow-origin", o);
            if credentials {
                set(h, "access-control-allow-credentials", "true");
            }
            set(h, "vary", "Origin");
        }
        _ => {}
    }
}

async fn handle(State(spec): State<Arc<Spec>>, req: Request<Body>) -> Response {
    let origin = req
        .headers()
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let path = req.uri().path().to_string();
    if req.method() == Method::OPTIONS {
        let mut resp = StatusCode::FORBIDDEN.into_response();
        if path == "/" && spec.page_preflight_echo {
            resp = StatusCode::NO_CONTENT.into_response();
            if let Some(o) = &origin {
                set(resp.headers_mut(), "access-control-allow-origin", o);
                set(
                    resp.headers_mut(),
                    "access-control-allow-credentials",
                    "true",
                );
            }
        } else if path == "/api/me" {
            let accepted = match spec.cors {
                Cors::Off => false,
                Cors::Wildcard { .. } => true,
                Cors::Allow { allow, .. } => origin.as_deref().is_some_and(allow),
            };
            if accepted {
                let status = match spec.cors {
                    Cors::Allow {
                        preflight_status, ..
                    } => preflight_status,
                    _ => 204,
                };
                resp = StatusCode::from_u16(status)
                    .expect("status")
                    .into_response();
                cors_headers(spec.cors, origin.as_deref(), true, &mut resp);
                set(
                    resp.headers_mut(),
                    "access-control-allow-methods",
                    "GET, PUT",
                );
                set(
                    resp.headers_mut(),
                    "access-control-allow-headers",
                    "authorization, content-type",
                );
            }
        }
        return hardened(resp);
    }
    let sid = req
        .headers()
        .get("cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').find_map(|p| p.trim().strip_prefix("sid=")))
        .map(str::to_string);
    match path.as_str() {
        "/" => start_page(&spec, sid),
        "/api/me" => {
            let authorized = req
                .headers()
                .get("authorization")
                .is_some_and(|v| v == "Bearer token-a");
            let mut resp = if authorized {
                axum::Json(serde_json::json!({"email": "alice@acme.example", "plan": "gold"}))
                    .into_response()
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({"error": "unauthorized"})),
                )
                    .into_response()
            };
            cors_headers(spec.cors, origin.as_deref(), false, &mut resp);
            hardened(resp)
        }
        _ => {
            let mut resp = html("<!doctype html><title>Not found</title><p>Not found</p>".into());
            *resp.status_mut() = StatusCode::NOT_FOUND;
            hardened(resp)
        }
    }
}

fn start_page(spec: &Spec, sid: Option<String>) -> Response {
    let new_sid = sid.is_none().then(token);
    let nonce = match spec.nonce {
        Nonce::Fresh => token(),
        Nonce::Static => "c3RhdGljLW5vbmNlLTIwMjY".to_string(),
        Nonce::PerSession => sid.clone().or(new_sid.clone()).unwrap_or_default(),
    };
    let head = spec.head.replace("{nonce}", &nonce);
    let mut resp = hardened(html(format!(
        "<!doctype html><html><head><title>Home</title>{head}</head><body>\
         <h1>Welcome</h1><a href=\"/api/me\">my account</a>{}</body></html>",
        spec.body
    )));
    for (k, v) in spec.page {
        set(resp.headers_mut(), k, &v.replace("{nonce}", &nonce));
    }
    if let (Nonce::PerSession, Some(sid)) = (spec.nonce, new_sid) {
        let c = format!("sid={sid}; Path=/; HttpOnly; SameSite=Lax");
        resp.headers_mut()
            .append("set-cookie", HeaderValue::from_str(&c).expect("cookie"));
    }
    for c in spec.cookies {
        let value = HeaderValue::from_str(&c.replace("{random}", &token())).expect("cookie");
        resp.headers_mut().append("set-cookie", value);
    }
    resp
}

/// Serves `spec` on 127.0.0.1:0.
async fn serve(spec: Spec) -> (String, tokio::task::JoinHandle<()>) {
    let app = Router::new().fallback(handle).with_state(Arc::new(spec));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

/// A scan of `url` as one token identity, trusting `trusted` for CORS.
async fn scan(url: &str, trusted: &[&str]) -> Report {
    let config = config(url, trusted);
    crate::common::scan(config).await
}

fn config(url: &str, trusted: &[&str]) -> prodready::config::ScanConfig {
    let env = MapSource {
        vars: [("TABLE_TOKEN_A".to_string(), "token-a".to_string())]
            .into_iter()
            .collect(),
        fallback: &ProcessSource,
    };
    let trusted: Vec<String> = trusted.iter().map(|t| format!("\"{t}\"")).collect();
    let text = format!(
        "[target]\nurl = \"{url}\"\nstart = [\"/\"]\ntrusted_origins = [{}]\n\
         [limits]\nrate = 2000\nmax_pages = 10\n\
         [identities.a]\ncheck = {{ url = \"/api/me\" }}\n\
         [identities.a.login]\nkind = \"token\"\ntoken = \"${{TABLE_TOKEN_A}}\"\n",
        trusted.join(", ")
    );
    prodready::config::from_text(&text, "table.toml", &env, &Overrides::default())
        .expect("config resolves")
}

/// What a case must get for its item.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    /// The item passes: no finding of it above info.
    Pass,
    /// The item warns, through this probe (a low finding).
    Warn(&'static str),
    /// The item fails, through this probe (a medium or worse finding).
    Fail(&'static str),
}

struct Case {
    name: &'static str,
    class: &'static str,
    spec: Spec,
    trusted: &'static [&'static str],
    item: Item,
    want: Verdict,
    /// A phrase the detail of the deciding finding must hold, if any.
    detail: Option<&'static str>,
}

fn case(name: &'static str, class: &'static str, spec: Spec, want: Verdict) -> Case {
    Case {
        name,
        class,
        spec,
        trusted: &[TRUSTED],
        item: Item::SecurityHeaders,
        want,
        detail: None,
    }
}

fn cors(allow: fn(&str) -> bool, credentials: bool) -> Spec {
    Spec {
        cors: Cors::Allow {
            allow,
            credentials,
            preflight_status: 204,
            simple: true,
        },
        ..HARDENED_APP
    }
}

fn dot_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^https://trusted.example$").expect("regex"))
}

fn https_suffix_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^https://[a-z0-9.-]*trusted\.example$").expect("regex"))
}

/// The host of an origin, scheme and port dropped.
fn host_of(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, r)| r);
    rest.split(':').next().unwrap_or(rest)
}

/// The origin parsed and compared whole: scheme, host and (no) port.
fn parsed_exact(o: &str) -> bool {
    url::Url::parse(o).is_ok_and(|u| {
        u.scheme() == "https" && u.host_str() == Some("trusted.example") && u.port().is_none()
    })
}

fn cors_cases() -> Vec<Case> {
    const REFLECTED: &str = "cors.reflected-origin-with-credentials";
    vec![
        case(
            "exact allowlist",
            "cors-exact",
            cors(|o| o == TRUSTED, true),
            Verdict::Pass,
        ),
        Case {
            trusted: &[TRUSTED, "http://localhost:3000"],
            ..case(
                "exact allowlist of two origins, both schemes",
                "cors-exact",
                cors(|o| o == TRUSTED || o == "http://localhost:3000", true),
                Verdict::Pass,
            )
        },
        case(
            "exact allowlist, but the `null` origin too",
            "cors-exact",
            cors(|o| o == TRUSTED || o == "null", true),
            Verdict::Fail("cors.null-origin-with-credentials"),
        ),
        case(
            "suffix-matched allowlist",
            "cors-suffix",
            cors(|o| o.ends_with("trusted.example"), true),
            Verdict::Fail(REFLECTED),
        ),
        case(
            "the origin parsed and its host compared whole",
            "cors-suffix",
            cors(parsed_exact, true),
            Verdict::Pass,
        ),
        case(
            "prefix-matched allowlist",
            "cors-prefix",
            cors(|o| o.starts_with(TRUSTED), true),
            Verdict::Fail(REFLECTED),
        ),
        case(
            "allowlist compared whole, not by prefix",
            "cors-prefix",
            cors(|o| [TRUSTED].contains(&o), true),
            Verdict::Pass,
        ),
        case(
            "regex with an unescaped dot",
            "cors-regex-dot",
            cors(|o| dot_regex().is_match(o), true),
            Verdict::Fail(REFLECTED),
        ),
        case(
            "regex with the dot escaped and anchored",
            "cors-regex-dot",
            cors(
                |o| {
                    regex::Regex::new(r"^https://trusted\.example$")
                        .expect("regex")
                        .is_match(o)
                },
                true,
            ),
            Verdict::Pass,
        ),
        case(
            "allowlist that compares the host only, any scheme",
            "cors-scheme",
            cors(|o| host_of(o) == "trusted.example", true),
            Verdict::Fail(REFLECTED),
        ),
        case(
            "allowlist that compares scheme and host",
            "cors-scheme",
            cors(parsed_exact, true),
            Verdict::Pass,
        ),
        case(
            "https-only suffix regex on an http target",
            "cors-both-schemes",
            cors(|o| https_suffix_regex().is_match(o), true),
            Verdict::Fail(REFLECTED),
        ),
        case(
            "http-only suffix check on an http target",
            "cors-both-schemes",
            cors(
                |o| o == TRUSTED || (o.starts_with("http://") && o.ends_with("trusted.example")),
                true,
            ),
            Verdict::Fail(REFLECTED),
        ),
        case(
            "prefix check on the target's host over https (the API is http)",
            "cors-both-schemes",
            cors(|o| o == TRUSTED || o.starts_with("https://127.0.0.1"), true),
            Verdict::Fail(REFLECTED),
        ),
        Case {
            trusted: &[TRUSTED, "http://trusted.example"],
            ..case(
                "both schemes of the trusted host, each listed",
                "cors-both-schemes",
                cors(|o| o == TRUSTED || o == "http://trusted.example", true),
                Verdict::Pass,
            )
        },
        case(
            "any subdomain of the trusted origin",
            "cors-subdomain",
            cors(|o| o == TRUSTED || o.ends_with(".trusted.example"), true),
            Verdict::Fail(REFLECTED),
        ),
        Case {
            trusted: &[TRUSTED, "https://app.trusted.example"],
            ..case(
                "named subdomains, each listed",
                "cors-subdomain",
                cors(|o| o == TRUSTED || o == "https://app.trusted.example", true),
                Verdict::Pass,
            )
        },
        case(
            "every origin reflected",
            "cors-reflect",
            cors(|_| true, true),
            Verdict::Fail(REFLECTED),
        ),
        case(
            "every origin reflected, no credentials",
            "cors-reflect",
            cors(|_| true, false),
            Verdict::Warn("cors.reflected-origin"),
        ),
        case(
            "only the trusted origin, no credentials",
            "cors-reflect",
            cors(|o| o == TRUSTED, false),
            Verdict::Pass,
        ),
        Case {
            detail: Some("browsers refuse"),
            ..case(
                "wildcard with credentials",
                "cors-wildcard",
                Spec {
                    cors: Cors::Wildcard { credentials: true },
                    ..HARDENED_APP
                },
                Verdict::Warn("cors.wildcard-on-authenticated-api"),
            )
        },
        case(
            "wildcard without credentials",
            "cors-wildcard",
            Spec {
                cors: Cors::Wildcard { credentials: false },
                ..HARDENED_APP
            },
            Verdict::Warn("cors.wildcard-on-authenticated-api"),
        ),
        case(
            "no CORS headers at all",
            "cors-wildcard",
            Spec {
                cors: Cors::Off,
                ..HARDENED_APP
            },
            Verdict::Pass,
        ),
        case(
            "reflection on preflights only",
            "cors-preflight",
            Spec {
                cors: Cors::Allow {
                    allow: |_| true,
                    credentials: true,
                    preflight_status: 204,
                    simple: false,
                },
                ..HARDENED_APP
            },
            Verdict::Fail(REFLECTED),
        ),
        case(
            "reflection on failing preflights only (403)",
            "cors-preflight",
            Spec {
                cors: Cors::Allow {
                    allow: |_| true,
                    credentials: true,
                    preflight_status: 403,
                    simple: false,
                },
                ..HARDENED_APP
            },
            Verdict::Pass,
        ),
    ]
}

fn page(page: &'static [(&'static str, &'static str)]) -> Spec {
    Spec {
        page,
        ..HARDENED_APP
    }
}

fn header_cases() -> Vec<Case> {
    vec![
        case(
            "fresh nonce per response",
            "csp-nonce",
            Spec {
                page: &[(
                    "content-security-policy",
                    "script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
                )],
                head: "<script nonce=\"{nonce}\">window.ready = true;</script>",
                ..HARDENED_APP
            },
            Verdict::Pass,
        ),
        case(
            "the same nonce on every response",
            "csp-nonce",
            Spec {
                page: &[(
                    "content-security-policy",
                    "script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
                )],
                head: "<script nonce=\"{nonce}\">window.ready = true;</script>",
                nonce: Nonce::Static,
                ..HARDENED_APP
            },
            Verdict::Fail("headers.csp-static-nonce"),
        ),
        case(
            "a nonce kept per visitor session",
            "csp-nonce",
            Spec {
                page: &[(
                    "content-security-policy",
                    "script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
                )],
                nonce: Nonce::PerSession,
                ..HARDENED_APP
            },
            Verdict::Pass,
        ),
        case(
            "the same nonce in a <meta> policy",
            "csp-nonce",
            Spec {
                page: &[("content-security-policy", "")],
                head: "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'nonce-{nonce}'; object-src 'none'; base-uri 'none'\">",
                nonce: Nonce::Static,
                ..HARDENED_APP
            },
            Verdict::Fail("headers.csp-static-nonce"),
        ),
        case(
            "a fresh nonce in a <meta> policy",
            "csp-nonce",
            Spec {
                page: &[("content-security-policy", "")],
                head: "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'nonce-{nonce}'; object-src 'none'; base-uri 'none'\">",
                ..HARDENED_APP
            },
            Verdict::Pass,
        ),
        case(
            "frame-ancestors * overrides X-Frame-Options: DENY",
            "framing",
            page(&[(
                "content-security-policy",
                "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors *",
            )]),
            Verdict::Fail("headers.framing-unprotected"),
        ),
        case(
            "frame-ancestors 'self' beside X-Frame-Options: DENY",
            "framing",
            page(&[(
                "content-security-policy",
                "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'",
            )]),
            Verdict::Pass,
        ),
        case(
            "X-Frame-Options: DENY without frame-ancestors",
            "framing",
            page(&[(
                "content-security-policy",
                "default-src 'self'; object-src 'none'; base-uri 'none'",
            )]),
            Verdict::Pass,
        ),
        case(
            "frame-ancestors only in <meta>, no X-Frame-Options",
            "framing",
            Spec {
                page: &[("content-security-policy", ""), ("x-frame-options", "")],
                head: "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'\">",
                ..HARDENED_APP
            },
            Verdict::Fail("headers.framing-unprotected"),
        ),
        case(
            "<meta name=referrer> unsafe-url over a strict header",
            "meta-referrer",
            Spec {
                head: "<meta name=\"referrer\" content=\"unsafe-url\">",
                ..HARDENED_APP
            },
            Verdict::Warn("headers.referrer-policy"),
        ),
        case(
            "<meta name=referrer> no-referrer without a header",
            "meta-referrer",
            Spec {
                page: &[("referrer-policy", "")],
                head: "<meta name=\"referrer\" content=\"no-referrer\">",
                ..HARDENED_APP
            },
            Verdict::Pass,
        ),
        case(
            "legacy <meta name=referrer> never without a header",
            "meta-referrer",
            Spec {
                page: &[("referrer-policy", "")],
                head: "<meta name=\"referrer\" content=\"never\">",
                ..HARDENED_APP
            },
            Verdict::Pass,
        ),
        case(
            "a strict <meta> CSP and no header",
            "meta-csp",
            Spec {
                page: &[("content-security-policy", "")],
                head: "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; object-src 'none'; base-uri 'none'\">",
                ..HARDENED_APP
            },
            Verdict::Pass,
        ),
        case(
            "a <meta> CSP allowing inline scripts",
            "meta-csp",
            Spec {
                page: &[("content-security-policy", "")],
                head: "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'\">",
                ..HARDENED_APP
            },
            Verdict::Fail("headers.csp-unsafe-inline"),
        ),
        case(
            "a <meta> CSP in the body, which browsers ignore",
            "meta-csp",
            Spec {
                page: &[("content-security-policy", "")],
                body: "<p>hi</p><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; object-src 'none'; base-uri 'none'\">",
                ..HARDENED_APP
            },
            Verdict::Fail("headers.csp-missing"),
        ),
    ]
}

fn cookie_case(name: &'static str, cookies: &'static [&'static str], want: Verdict) -> Case {
    Case {
        item: Item::Authentication,
        ..case(
            name,
            "ordinary-response-cookie",
            Spec {
                cookies,
                ..HARDENED_APP
            },
            want,
        )
    }
}

fn cookie_cases() -> Vec<Case> {
    vec![
        cookie_case(
            "a session cookie without HttpOnly on the start page",
            &["sessionid={random}; Path=/; SameSite=Lax"],
            Verdict::Fail("cookies.session-without-httponly"),
        ),
        cookie_case(
            "a hardened session cookie on the start page",
            &["sessionid={random}; Path=/; HttpOnly; SameSite=Lax"],
            Verdict::Pass,
        ),
        cookie_case(
            "a JWT in an oddly named cookie, readable by scripts",
            &[
                "u=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ; Path=/; SameSite=Lax",
            ],
            Verdict::Fail("cookies.session-without-httponly"),
        ),
        cookie_case(
            "a language preference and a sidebar state, no flags",
            &["lang=en; Path=/", "sidebar=collapsed; Path=/"],
            Verdict::Pass,
        ),
        cookie_case(
            "a session cookie being cleared (PHP style), and where to go after login",
            &[
                "PHPSESSID=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/",
                "login_redirect=%2Fapp%2Fprojects; Path=/",
            ],
            Verdict::Pass,
        ),
        cookie_case(
            "a CSRF cookie without SameSite",
            &["csrftoken={random}; Path=/"],
            Verdict::Warn("cookies.samesite-missing"),
        ),
        cookie_case(
            "a CSRF cookie readable by scripts, SameSite=Lax (double submit)",
            &["XSRF-TOKEN={random}; Path=/; SameSite=Lax"],
            Verdict::Pass,
        ),
    ]
}

/// The start page's preflight is what the grade's CORS test reads.
fn grade_cases() -> Vec<(&'static str, Spec, &'static str)> {
    vec![
        ("hardened start page", HARDENED_APP, "grade A+"),
        (
            "start page whose preflight echoes any origin with credentials",
            Spec {
                page_preflight_echo: true,
                ..HARDENED_APP
            },
            "grade C ",
        ),
    ]
}

/// Whether `report` gives `case` its verdict; the problem otherwise.
fn check(case: &Case, report: &Report) -> Result<(), String> {
    let item = report.item(case.item).ok_or("item missing")?;
    let findings: Vec<_> = item
        .findings
        .iter()
        .filter_map(|id| report.finding(id))
        .collect();
    let shown: Vec<String> = findings
        .iter()
        .map(|f| format!("{} {:?}: {}", f.probe, f.severity, f.detail))
        .collect();
    let deciding = |probe: &str, low: bool| {
        findings.iter().find(|f| {
            f.probe == probe
                && ((f.severity == Severity::Low) == low)
                && f.severity > Severity::Info
        })
    };
    let found = match case.want {
        Verdict::Pass => {
            if item.status == Status::Fail || item.status == Status::Warn {
                return Err(format!("{:?}, want pass: {shown:#?}", item.status));
            }
            return Ok(());
        }
        Verdict::Warn(p) => (item.status == Status::Warn)
            .then(|| deciding(p, true))
            .flatten(),
        Verdict::Fail(p) => (item.status == Status::Fail)
            .then(|| deciding(p, false))
            .flatten(),
    };
    let Some(f) = found else {
        return Err(format!(
            "{:?}, want {:?}: {shown:#?}",
            item.status, case.want
        ));
    };
    match case.detail {
        Some(phrase) if !f.detail.contains(phrase) => {
            Err(format!("detail lacks `{phrase}`: {}", f.detail))
        }
        _ => Ok(()),
    }
}

/// Scans running at once.
const PARALLEL: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_and_cors_cases_get_their_verdicts() {
    let cases: Vec<Case> = cors_cases()
        .into_iter()
        .chain(header_cases())
        .chain(cookie_cases())
        .collect();
    // Every class is tried both ways.
    let mut classes: Vec<&str> = cases.iter().map(|c| c.class).collect();
    classes.sort();
    classes.dedup();
    for class in &classes {
        let of = |pass: bool| {
            cases
                .iter()
                .any(|c| c.class == *class && (c.want == Verdict::Pass) == pass)
        };
        assert!(
            of(true) && of(false),
            "class {class} needs a flawed and a correct case"
        );
    }
    let semaphore = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut scans = tokio::task::JoinSet::new();
    for (i, c) in cases.iter().enumerate() {
        let semaphore = semaphore.clone();
        let spec = c.spec.clone();
        let trusted = c.trusted;
        scans.spawn(async move {
            let _slot = semaphore.acquire_owned().await.expect("semaphore");
            let (url, task) = serve(spec).await;
            let report = scan(&url, trusted).await;
            task.abort();
            (i, report)
        });
    }
    let mut problems = Vec::new();
    while let Some(joined) = scans.join_next().await {
        let (i, report) = joined.expect("scan task");
        let c = &cases[i];
        if let Err(e) = check(c, &report) {
            problems.push(format!("[{}] {}: {e}", c.class, c.name));
        }
    }
    eprintln!(
        "{} header/CORS cases in {} classes",
        cases.len(),
        classes.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grade_reads_cors_from_a_preflight() {
    for (name, spec, want) in grade_cases() {
        let (url, task) = serve(spec).await;
        let report = scan(&url, &[TRUSTED]).await;
        task.abort();
        let item = report.item(Item::SecurityHeaders).expect("item 6");
        assert!(item.summary.contains(want), "{name}: {}", item.summary);
        assert_eq!(item.status, Status::Pass, "{name}");
    }
}
