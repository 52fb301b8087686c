//! Drives a real server on an ephemeral loopback port through HTTP.

use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode, redirect};
use serde_json::{Value, json};
use testserver::{Flaw, FlawSet, Options, Server};

struct App {
    server: Server,
    http: reqwest::Client,
}

async fn start(flaws: &str) -> App {
    start_with(Options {
        flaws: FlawSet::parse(flaws).unwrap(),
        ..Options::default()
    })
    .await
}

async fn start_with(opts: Options) -> App {
    let server = testserver::spawn(opts).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    App { server, http }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }
}

/// How a request authenticates.
enum As<'a> {
    Anonymous,
    Bearer(&'a str),
    Cookie(&'a str, Option<&'a str>),
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    async fn send(&self, method: Method, path: &str, who: As<'_>, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        match who {
            As::Anonymous => {}
            As::Bearer(token) => req = req.bearer_auth(token),
            As::Cookie(cookie, csrf) => {
                req = req.header("cookie", cookie);
                if let Some(csrf) = csrf {
                    req = req.header("x-csrf-token", csrf);
                }
            }
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req).await
    }

    async fn get(&self, path: &str, who: As<'_>) -> Reply {
        self.send(Method::GET, path, who, None).await
    }

    async fn token(&self, key: &str) -> String {
        let account = self.server.account(key).unwrap();
        let r = self
            .send(
                Method::POST,
                "/api/auth/login",
                As::Anonymous,
                Some(json!({ "email": account.email, "password": account.password })),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["access_token"].as_str().unwrap().to_string()
    }

    /// Log in through the HTML form; returns the `session=...` cookie pair.
    async fn form_login(&self, key: &str) -> String {
        let account = self.server.account(key).unwrap();
        let page = self.get("/login", As::Anonymous).await;
        let pre = cookie_pair(&page.cookie("presession").unwrap());
        let csrf = attr_after(&page.body, "name=\"csrf_token\" value=\"");
        let r = reply(
            self.http
                .post(self.url("/login"))
                .header("cookie", &pre)
                .form(&[
                    ("email", account.email.as_str()),
                    ("password", account.password.as_str()),
                    ("csrf_token", csrf.as_str()),
                ]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.header("location"), Some("/app"));
        cookie_pair(&r.cookie("session").unwrap())
    }

    /// The CSRF token of a session, from the app shell's meta tag.
    async fn session_csrf(&self, cookie: &str) -> String {
        let shell = self.get("/app", As::Cookie(cookie, None)).await;
        assert_eq!(shell.status, 200);
        attr_after(&shell.body, "<meta name=\"csrf-token\" content=\"")
    }
}

async fn reply(req: reqwest::RequestBuilder) -> Reply {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

fn attr_after(html: &str, prefix: &str) -> String {
    let start = html
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} not in {html}"))
        + prefix.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Markers of leaked internals that a hardened response must never carry.
const LEAKS: &[&str] = &[
    "backtrace",
    "panicked",
    ".rs:",
    "SQLITE",
    "SELECT ",
    "syntax error",
    "rustc",
    "/work/",
    "testserver::",
    "route table",
];

fn assert_no_leak(what: &str, r: &Reply) {
    for marker in LEAKS {
        assert!(
            !r.body.contains(marker),
            "{what}: hardened response leaks {marker:?}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn both_login_styles_reach_the_same_api() {
    let app = start("none").await;
    let token = app.token("a-admin").await;
    let by_token = app.get("/api/me", As::Bearer(&token)).await;
    assert_eq!(by_token.status, 200);
    let me = by_token.json();
    assert_eq!(me["email"], app.server.account("a-admin").unwrap().email);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["organization"]["slug"], "acme");
    assert!(me.get("password_hash").is_none());

    let cookie = app.form_login("a-admin").await;
    let by_cookie = app.get("/api/me", As::Cookie(&cookie, None)).await;
    assert_eq!(by_cookie.status, 200);
    assert_eq!(by_cookie.json(), me);
    assert_eq!(by_cookie.header("cache-control"), Some("no-store"));

    let anonymous = app.get("/api/me", As::Anonymous).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.json()["error"], "authentication required");
    app.server.shutdown().await;
}

#[tokio::test]
async fn jwt_has_the_documented_claims() {
    use base64::Engine;
    let app = start("none").await;
    let account = app.server.account("b-member").unwrap();
    let r = app
        .send(
            Method::POST,
            "/api/auth/login",
            As::Anonymous,
            Some(json!({ "email": account.email, "password": account.password })),
        )
        .await;
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |s: &str| -> Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(decode(parts[0])["alg"], "HS256");
    let claims = decode(parts[1]);
    assert_eq!(claims["org"], 2);
    assert_eq!(claims["role"], "member");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert!(claims["jti"].is_string() && claims["sub"].is_string());
    app.server.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_look_the_same_for_known_and_unknown_users() {
    let app = start("none").await;
    let account = app.server.account("a-member").unwrap();
    let wrong_password = app
        .send(
            Method::POST,
            "/api/auth/login",
            As::Anonymous,
            Some(json!({ "email": account.email, "password": "not-the-password" })),
        )
        .await;
    let unknown_user = app
        .send(
            Method::POST,
            "/api/auth/login",
            As::Anonymous,
            Some(json!({ "email": "nobody@acme.example", "password": "not-the-password" })),
        )
        .await;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(unknown_user.status, 401);
    assert_eq!(wrong_password.body, unknown_user.body);
    assert_eq!(wrong_password.json()["error"], "invalid email or password");
    app.server.shutdown().await;
}

#[tokio::test]
async fn form_login_requires_the_csrf_token_of_its_pre_session() {
    let app = start("none").await;
    let account = app.server.account("a-member").unwrap();
    let page = app.get("/login", As::Anonymous).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"email\"") && page.body.contains("name=\"password\""));
    let pre_cookie = page.cookie("presession").unwrap();
    assert!(pre_cookie.contains("HttpOnly") && pre_cookie.contains("SameSite=Lax"));
    let pre = cookie_pair(&pre_cookie);
    let csrf = attr_after(&page.body, "name=\"csrf_token\" value=\"");
    let form = |csrf: &str, cookie: Option<&str>| {
        let mut req = app.http.post(app.url("/login")).form(&[
            ("email", account.email.as_str()),
            ("password", account.password.as_str()),
            ("csrf_token", csrf),
        ]);
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req
    };
    for (what, req) in [
        ("no token", form("", Some(&pre))),
        (
            "forged token",
            form("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Some(&pre)),
        ),
        ("no pre-session", form(&csrf, None)),
    ] {
        let r = reply(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
        assert!(r.cookie("session").is_none(), "{what}");
    }
    let r = reply(form(&csrf, Some(&pre))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let session = r.cookie("session").unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/")
    );
    assert!(
        !session.contains("Secure"),
        "plain http must not get Secure cookies"
    );

    // Behind a TLS proxy the cookie is Secure.
    let r = reply(form(&csrf, Some(&pre)).header("x-forwarded-proto", "https")).await;
    assert!(r.cookie("session").unwrap().contains("Secure"));

    // A wrong password re-renders the form with a generic message.
    let r = reply(
        app.http
            .post(app.url("/login"))
            .header("cookie", &pre)
            .form(&[
                ("email", account.email.as_str()),
                ("password", "wrong password"),
                ("csrf_token", csrf.as_str()),
            ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Invalid email or password."));
    app.server.shutdown().await;
}

#[tokio::test]
async fn sessions_rotate_at_login_and_die_at_logout() {
    let app = start("none").await;
    let first = app.form_login("a-member").await;
    let second = app.form_login("a-member").await;
    assert_ne!(first, second);
    let csrf = app.session_csrf(&second).await;
    let logout = reply(
        app.http
            .post(app.url("/logout"))
            .header("cookie", &second)
            .form(&[("csrf_token", csrf.as_str())]),
    )
    .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert!(logout.cookie("session").unwrap().contains("Max-Age=0"));
    assert_eq!(
        app.get("/api/me", As::Cookie(&second, None)).await.status,
        401
    );
    let page = app.get("/app", As::Cookie(&second, None)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.header("location"), Some("/login"));

    let token = app.token("b-member").await;
    let out = app
        .send(Method::POST, "/api/auth/logout", As::Bearer(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/me", As::Bearer(&token)).await.status, 401);
    app.server.shutdown().await;
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_header() {
    let app = start("none").await;
    let cookie = app.form_login("a-member").await;
    let body = json!({ "name": "Cookie project" });
    let without = app
        .send(
            Method::POST,
            "/api/projects",
            As::Cookie(&cookie, None),
            Some(body.clone()),
        )
        .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    let csrf = app.session_csrf(&cookie).await;
    let with = app
        .send(
            Method::POST,
            "/api/projects",
            As::Cookie(&cookie, Some(&csrf)),
            Some(body),
        )
        .await;
    assert_eq!(with.status, StatusCode::CREATED, "{}", with.body);
    app.server.shutdown().await;
}

#[tokio::test]
async fn the_api_is_scoped_to_the_callers_tenant() {
    let app = start("none").await;
    let a = app.token("a-admin").await;
    let b = app.token("b-admin").await;

    let created = app
        .send(
            Method::POST,
            "/api/projects",
            As::Bearer(&a),
            Some(json!({ "name": "Acme canary", "description": "acme-only" })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json()["id"].as_i64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/projects/{id}").as_str())
    );
    let path = format!("/api/projects/{id}");
    assert_eq!(app.get(&path, As::Bearer(&a)).await.status, 200);
    assert_eq!(app.get(&path, As::Bearer(&b)).await.status, 404);
    let put = app
        .send(
            Method::PUT,
            &path,
            As::Bearer(&b),
            Some(json!({ "name": "hijacked", "description": "" })),
        )
        .await;
    assert_eq!(put.status, 404);
    assert_eq!(
        app.send(Method::DELETE, &path, As::Bearer(&b), None)
            .await
            .status,
        404
    );
    let b_list = app.get("/api/projects?limit=100", As::Bearer(&b)).await;
    assert!(!b_list.body.contains("acme-only"));
    let b_search = app
        .get("/api/projects/search?q=canary", As::Bearer(&b))
        .await;
    assert_eq!(b_search.json()["projects"], json!([]));
    assert_eq!(
        app.get(&path, As::Bearer(&a)).await.json()["name"],
        "Acme canary"
    );

    let invoice = app
        .send(
            Method::POST,
            "/api/invoices",
            As::Bearer(&a),
            Some(json!({ "customer": "Initech", "amount_cents": 1200, "currency": "USD", "memo": "m" })),
        )
        .await;
    assert_eq!(invoice.status, StatusCode::CREATED, "{}", invoice.body);
    let invoice_id = invoice.json()["id"].as_str().unwrap().to_string();
    let by_query = app
        .get(&format!("/api/invoice?id={invoice_id}"), As::Bearer(&a))
        .await;
    assert_eq!(by_query.json()["id"], invoice_id.as_str());
    assert_eq!(
        app.get(&format!("/api/invoices/{invoice_id}"), As::Bearer(&b))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/api/invoice?id={invoice_id}"), As::Bearer(&b))
            .await
            .status,
        404
    );

    let doc = app
        .send(
            Method::POST,
            "/api/documents",
            As::Bearer(&a),
            Some(json!({ "title": "Board memo: Q4", "body": "acme secret plans" })),
        )
        .await;
    assert_eq!(doc.json()["slug"], "board-memo-q4");
    let lookup = |who| {
        app.send(
            Method::POST,
            "/api/documents/lookup",
            who,
            Some(json!({ "slug": "board-memo-q4" })),
        )
    };
    assert_eq!(lookup(As::Bearer(&a)).await.status, 200);
    assert_eq!(lookup(As::Bearer(&b)).await.status, 404);
    app.server.shutdown().await;
}

#[tokio::test]
async fn admin_endpoints_are_for_admins_only() {
    let app = start("none").await;
    let admin = app.token("a-admin").await;
    let member = app.token("a-member").await;
    let users = app.get("/api/admin/users", As::Bearer(&admin)).await;
    assert_eq!(users.status, 200);
    assert!(!users.body.contains("password") && !users.body.contains("argon2"));
    assert!(!users.body.contains("globex"));
    assert_eq!(
        app.get("/api/admin/users", As::Bearer(&member))
            .await
            .status,
        403
    );
    assert_eq!(app.get("/api/audit", As::Bearer(&member)).await.status, 403);
    let member_id = app.get("/api/me", As::Bearer(&member)).await.json()["id"].clone();
    let role_path = format!("/api/admin/users/{member_id}/role");
    let promote = |who| {
        app.send(
            Method::POST,
            &role_path,
            who,
            Some(json!({ "role": "admin" })),
        )
    };
    assert_eq!(promote(As::Bearer(&member)).await.status, 403);
    let other_admin = app.token("b-admin").await;
    assert_eq!(promote(As::Bearer(&other_admin)).await.status, 404);
    let done = promote(As::Bearer(&admin)).await;
    assert_eq!(done.status, 200);
    assert_eq!(done.json()["role"], "admin");
    // The role comes from the database, not from the token.
    assert_eq!(
        app.get("/api/admin/users", As::Bearer(&member))
            .await
            .status,
        200
    );

    let audit = app.get("/api/audit", As::Bearer(&admin)).await.json();
    let actions: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"user.role_change") && actions.contains(&"auth.login"),
        "{actions:?}"
    );
    let event = &audit["events"][0];
    for field in ["id", "actor", "action", "target", "at", "ip"] {
        assert!(!event[field].is_null(), "{field}");
    }

    let cookie_member = app.form_login("b-member").await;
    let shell = app.get("/app", As::Cookie(&cookie_member, None)).await;
    assert!(!shell.body.contains("/admin"));
    assert_eq!(
        app.get("/admin", As::Cookie(&cookie_member, None))
            .await
            .status,
        403
    );
    let cookie_admin = app.form_login("b-admin").await;
    let shell = app.get("/app", As::Cookie(&cookie_admin, None)).await;
    assert!(shell.body.contains("href=\"/admin\""));
    app.server.shutdown().await;
}

#[tokio::test]
async fn orders_are_atomic_and_coupons_single_use() {
    let app = start("none").await;
    let token = app.token("b-member").await;
    let count = || async {
        app.get("/api/orders", As::Bearer(&token)).await.json()["orders"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count().await, 0);
    for items in [
        json!([{ "sku": "SEAT-STD", "quantity": 2 }, { "sku": "NO-SUCH-SKU", "quantity": 1 }]),
        json!([{ "sku": "SEAT-STD", "quantity": 2 }, { "sku": "ADDON-SSO", "quantity": 0 }]),
    ] {
        let r = app
            .send(
                Method::POST,
                "/api/orders",
                As::Bearer(&token),
                Some(json!({ "items": items })),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(count().await, 0, "a failed order left a partial record");
    }
    let ok = app
        .send(
            Method::POST,
            "/api/orders",
            As::Bearer(&token),
            Some(json!({ "items": [{ "sku": "SEAT-STD", "quantity": 2 }, { "sku": "ADDON-SSO", "quantity": 1 }] })),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    assert_eq!(ok.json()["total_cents"], 2 * 1_500 + 9_900);
    assert_eq!(count().await, 1);

    let coupons = app.get("/api/coupons", As::Bearer(&token)).await.json();
    let code = coupons["coupons"][0]["code"].as_str().unwrap().to_string();
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = app
            .http
            .post(app.url("/api/coupons/redeem"))
            .bearer_auth(&token)
            .json(&json!({ "code": code }));
        attempts.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses: Vec<u16> = attempts.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    app.server.shutdown().await;
}

#[tokio::test]
async fn hardened_errors_are_safe() {
    let app = start("none").await;
    let token = app.token("a-member").await;
    let bad = [
        (Method::GET, "/api/projects/abc", None, 400),
        (Method::GET, "/api/projects/99999", None, 404),
        (Method::GET, "/api/invoices/not-a-uuid", None, 400),
        (Method::GET, "/api/invoice?id=zzz", None, 400),
        (
            Method::GET,
            "/api/projects/search?q=O'Brien%22--",
            None,
            200,
        ),
        (
            Method::GET,
            "/api/documents?q=%27%29%20OR%201%3D1--",
            None,
            200,
        ),
        (Method::GET, "/api/projects?limit=lots", None, 400),
        (Method::GET, "/api/nope", None, 404),
        (Method::GET, "/debug/vars", None, 404),
        (Method::GET, "/debug/routes", None, 404),
        (Method::DELETE, "/api/me", None, 405),
        (
            Method::POST,
            "/api/projects",
            Some(json!({ "name": 42 })),
            422,
        ),
        (
            Method::POST,
            "/api/projects",
            Some(json!({ "name": "x", "is_admin": true })),
            422,
        ),
        (
            Method::POST,
            "/api/projects",
            Some(json!({ "name": "x".repeat(10_001) })),
            422,
        ),
        (
            Method::POST,
            "/api/invoices",
            Some(json!({ "customer": "c", "amount_cents": "10", "currency": "USD" })),
            422,
        ),
        (
            Method::POST,
            "/api/invoices",
            Some(json!({ "customer": "c", "amount_cents": 1e300, "currency": "USD" })),
            422,
        ),
    ];
    for (method, path, body, status) in bad {
        let r = app
            .send(method.clone(), path, As::Bearer(&token), body)
            .await;
        assert_eq!(r.status.as_u16(), status, "{method} {path}: {}", r.body);
        assert_no_leak(&format!("{method} {path}"), &r);
    }
    let malformed = reply(
        app.http
            .post(app.url("/api/projects"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"name\": "),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["error"], "malformed JSON body");
    assert_no_leak("malformed JSON", &malformed);
    let page = app.get("/no/such/page", As::Anonymous).await;
    assert_eq!(page.status, 404);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_no_leak("unknown page", &page);
    app.server.shutdown().await;
}

#[tokio::test]
async fn stack_trace_flaw_renders_backtraces() {
    let app = start("stack-trace").await;
    let token = app.token("a-member").await;

    let project = app.get("/api/projects/abc", As::Bearer(&token)).await;
    assert_eq!(project.status, 500);
    let body = project.json();
    assert!(
        body["exception"]["message"]
            .as_str()
            .unwrap()
            .contains("parsing project id")
    );
    assert!(
        body["exception"]["causes"][0]
            .as_str()
            .unwrap()
            .contains("invalid digit")
    );
    assert!(
        project.body.contains("resources/projects.rs"),
        "{}",
        project.body
    );
    assert!(body["backtrace"].as_array().unwrap().len() > 3);

    let invoice = app
        .get("/api/invoices/not-a-uuid", As::Bearer(&token))
        .await;
    assert_eq!(invoice.status, 500);
    let body = invoice.json();
    assert_eq!(body["exception"]["type"], "panic");
    let message = body["exception"]["message"].as_str().unwrap();
    assert!(
        message.contains("panicked at") && message.contains("invoice id is a valid UUID"),
        "{message}"
    );
    let frames = body["backtrace"].as_array().unwrap();
    assert!(
        !frames[0].as_str().unwrap().contains("Cause::new"),
        "the trace starts below the capture"
    );
    assert!(
        body["exception"]["location"]
            .as_str()
            .unwrap()
            .contains("invoices.rs")
    );
    assert!(invoice.body.contains("testserver::resources::invoices"));

    let malformed = reply(
        app.http
            .post(app.url("/api/projects"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"name\": "),
    )
    .await;
    assert_eq!(malformed.status, 400, "status stays a 4xx");
    assert!(malformed.body.contains("backtrace") && malformed.body.contains("serde_json"));

    // The server keeps serving after a panic.
    assert_eq!(app.get("/api/me", As::Bearer(&token)).await.status, 200);
    // Only this item's leak: no debug page, no SQL text, headers intact.
    let unknown = app.get("/api/nope", As::Bearer(&token)).await;
    assert_no_leak("unknown route", &unknown);
    let search = app
        .get("/api/projects/search?q=O'Brien", As::Bearer(&token))
        .await;
    assert_eq!(search.status, 200);
    assert!(project.header("content-security-policy").is_some());
    app.server.shutdown().await;
}

#[tokio::test]
async fn debug_page_flaw_lists_routes_and_versions() {
    let app = start("debug-page").await;
    let page = app.get("/no/such/page", As::Anonymous).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("/api/projects/{id}"));
    assert!(page.body.contains("rustc 1."));
    assert!(page.body.contains("testserver 0.1.0"));
    let api = app.get("/api/nope", As::Anonymous).await;
    assert_eq!(api.status, 404);
    assert!(api.json()["debug"]["routes"].as_array().unwrap().len() > 30);
    let vars = app.get("/debug/vars", As::Anonymous).await;
    assert_eq!(vars.status, 200);
    let vars = vars.json();
    assert!(vars["uptime_seconds"].as_f64().is_some());
    assert!(vars["cmdline"].is_array() && vars["memstats"].is_object());
    assert!(vars["requests"]["total"].as_u64().unwrap() >= 2);
    let text = vars.to_string();
    for account in app.server.accounts() {
        assert!(
            !text.contains(&account.password),
            "debug vars leak a password"
        );
    }
    assert!(
        !text.contains("PATH") && !text.contains("HOME"),
        "no environment variables"
    );
    assert_eq!(app.get("/debug/routes", As::Anonymous).await.status, 200);
    // Errors stay safe under this flaw alone.
    let token = app.token("a-member").await;
    let bad = app.get("/api/projects/abc", As::Bearer(&token)).await;
    assert_eq!(bad.status, 400);
    assert_no_leak("bad id", &bad);
    app.server.shutdown().await;
}

#[tokio::test]
async fn sql_error_flaw_returns_the_database_error_and_query() {
    let app = start("sql-error").await;
    let token = app.token("a-member").await;
    let fine = app
        .get("/api/projects/search?q=churn", As::Bearer(&token))
        .await;
    assert_eq!(fine.status, 200);
    assert_eq!(fine.json()["projects"].as_array().unwrap().len(), 1);
    for path in [
        "/api/projects/search?q=O'Brien",
        "/api/projects?q=it's",
        "/api/invoices?q=%27",
        "/api/documents?q=a%27b",
    ] {
        let r = app.get(path, As::Bearer(&token)).await;
        assert_eq!(r.status, 500, "{path}");
        let body = r.json();
        assert!(
            body["error"].as_str().unwrap().contains("SQLITE_ERROR"),
            "{path}: {}",
            r.body
        );
        assert!(
            body["query"].as_str().unwrap().starts_with("SELECT"),
            "{path}"
        );
        assert!(!r.body.contains("backtrace"));
    }
    let hardened = start("none").await;
    let token = hardened.token("a-member").await;
    let r = hardened
        .get("/api/projects/search?q=O'Brien", As::Bearer(&token))
        .await;
    assert_eq!(r.status, 200);
    hardened.server.shutdown().await;
    app.server.shutdown().await;
}

#[tokio::test]
async fn login_sql_error_flaw_leaks_the_query_and_a_backtrace() {
    let app = start("login-sql-error").await;
    // Accounts without a quote still log in, through both styles.
    app.token("a-member").await;
    app.form_login("b-member").await;
    let quoted = "o'brien@acme.test";
    let api = app
        .send(
            Method::POST,
            "/api/auth/login",
            As::Anonymous,
            Some(json!({ "email": quoted, "password": "wrong-password" })),
        )
        .await;
    assert_eq!(api.status, 500, "{}", api.body);
    let body = api.json();
    assert!(
        body["error"].as_str().unwrap().contains("SQLITE_ERROR"),
        "{body}"
    );
    assert!(
        body["query"]
            .as_str()
            .unwrap()
            .contains("WHERE email = 'o'brien")
    );
    assert!(body["backtrace"].as_array().is_some_and(|b| !b.is_empty()));

    let page = app.get("/login", As::Anonymous).await;
    let pre = cookie_pair(&page.cookie("presession").unwrap());
    let csrf = attr_after(&page.body, "name=\"csrf_token\" value=\"");
    let form = reply(
        app.http
            .post(app.url("/login"))
            .header("cookie", &pre)
            .form(&[
                ("email", quoted),
                ("password", "wrong"),
                ("csrf_token", &csrf),
            ]),
    )
    .await;
    assert_eq!(form.status, 500, "{}", form.body);
    assert!(
        form.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(form.body.contains("SQLITE_ERROR") && form.body.contains("rusqlite::Error"));
    app.server.shutdown().await;

    let hardened = start("none").await;
    let r = hardened
        .send(
            Method::POST,
            "/api/auth/login",
            As::Anonymous,
            Some(json!({ "email": quoted, "password": "wrong-password" })),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_no_leak("quoted login", &r);
    hardened.server.shutdown().await;
}

#[tokio::test]
async fn projects_search_form_takes_browser_form_posts_only() {
    for flaws in ["none", "sql-error"] {
        let app = start(flaws).await;
        let cookie = app.form_login("a-member").await;
        let page = app.get("/app/projects", As::Cookie(&cookie, None)).await;
        assert!(page.body.contains("action=\"/app/projects/search\""));
        let csrf = attr_after(&page.body, "name=\"csrf_token\" value=\"");
        let search = |fields: Vec<(&'static str, String)>| {
            reply(
                app.http
                    .post(app.url("/app/projects/search"))
                    .header("cookie", &cookie)
                    .form(&fields),
            )
        };
        let found = search(vec![("q", "churn".into()), ("csrf_token", csrf.clone())]).await;
        assert_eq!(found.status, 200, "{flaws}: {}", found.body);
        assert_eq!(found.body.matches("<tr><td>").count(), 1, "{}", found.body);
        let forged = search(vec![("q", "churn".into())]).await;
        assert_eq!(forged.status, 403);
        let json = app
            .send(
                Method::POST,
                "/app/projects/search",
                As::Cookie(&cookie, Some(&csrf)),
                Some(json!({ "q": "churn", "csrf_token": csrf })),
            )
            .await;
        assert_eq!(json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let quoted = search(vec![("q", "O'Brien".into()), ("csrf_token", csrf.clone())]).await;
        if flaws == "none" {
            assert_eq!(quoted.status, 200);
            assert_no_leak("quoted search form", &quoted);
        } else {
            assert_eq!(quoted.status, 500);
            assert!(quoted.body.contains("SQLITE_ERROR"), "{}", quoted.body);
        }
        app.server.shutdown().await;
    }
}

#[tokio::test]
async fn headers_and_cors_are_locked_down() {
    let app = start("none").await;
    let token = app.token("a-admin").await;
    for path in ["/", "/api/catalog", "/nope", "/api/projects/abc"] {
        let r = app.get(path, As::Bearer(&token)).await;
        for header in [
            "content-security-policy",
            "strict-transport-security",
            "x-content-type-options",
            "x-frame-options",
            "referrer-policy",
            "permissions-policy",
            "cross-origin-opener-policy",
            "cross-origin-resource-policy",
        ] {
            assert!(r.header(header).is_some(), "{path} lacks {header}");
        }
        assert!(r.header("server").is_none() && r.header("x-powered-by").is_none());
    }
    let cors = |origin: &'static str| {
        reply(
            app.http
                .get(app.url("/api/me"))
                .bearer_auth(&token)
                .header("origin", origin),
        )
    };
    for evil in [
        "https://evil.example",
        "null",
        "https://app.ledgerline.example.evil.example",
    ] {
        let r = cors(evil).await;
        assert!(
            r.header("access-control-allow-origin").is_none(),
            "{evil} reflected"
        );
    }
    let good = cors("https://app.ledgerline.example").await;
    assert_eq!(
        good.header("access-control-allow-origin"),
        Some("https://app.ledgerline.example")
    );
    app.server.shutdown().await;
}

#[tokio::test]
async fn login_is_rate_limited_per_ip() {
    let app = start("none").await;
    let mut limited = None;
    for n in 0..15 {
        let r = reply(
            app.http
                .post(app.url("/api/auth/login"))
                .header("x-forwarded-for", format!("10.0.0.{n}"))
                .json(&json!({ "email": format!("nobody{n}@example.com"), "password": "guess-guess" })),
        )
        .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((n, r));
            break;
        }
        assert_eq!(r.status, 401);
    }
    let (n, r) = limited.expect("no 429 within 15 failed logins");
    assert_eq!(n, 10);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    app.server.shutdown().await;
}

#[tokio::test]
async fn public_pages_bundle_and_openapi() {
    let app = start_with(Options {
        partner_url: "http://127.0.0.2:9/".to_string(),
        ..Options::default()
    })
    .await;
    let landing = app.get("/", As::Anonymous).await;
    for link in [
        "/login",
        "/pricing",
        "/catalog",
        "/docs",
        "/signup",
        "http://127.0.0.2:9/",
        "/go/partner",
    ] {
        assert!(landing.body.contains(&format!("href=\"{link}\"")), "{link}");
    }
    let go = app.get("/go/partner", As::Anonymous).await;
    assert_eq!(go.status, StatusCode::FOUND);
    assert_eq!(go.headers.get(LOCATION).unwrap(), "http://127.0.0.2:9/");
    let anon = app.get("/api/catalog", As::Anonymous).await;
    let token = app.token("b-member").await;
    assert_eq!(
        anon.body,
        app.get("/api/catalog", As::Bearer(&token)).await.body
    );
    for path in [
        "/robots.txt",
        "/healthz",
        "/catalog",
        "/docs",
        "/pricing",
        "/signup",
    ] {
        assert_eq!(app.get(path, As::Anonymous).await.status, 200, "{path}");
    }

    let cookie = app.form_login("a-admin").await;
    let shell = app.get("/app", As::Cookie(&cookie, None)).await;
    let script = attr_after(&shell.body, "<script src=\"");
    let bundle = app.get(&script, As::Anonymous).await;
    assert_eq!(bundle.status, 200);
    assert!(bundle.body.contains("fetch(") && bundle.body.contains("\"/api/invoices/\" + id"));
    assert!(bundle.body.contains("pk_test_"));
    let chunk = attr_after(&bundle.body, "import(\"./");
    let chunk = app.get(&format!("/static/{chunk}"), As::Anonymous).await;
    assert_eq!(chunk.status, 200);
    assert!(chunk.body.contains("/api/admin/users"));
    for page in ["/app/projects", "/app/invoices", "/app/settings", "/admin"] {
        assert_eq!(
            app.get(page, As::Cookie(&cookie, None)).await.status,
            200,
            "{page}"
        );
    }

    let spec = app.get("/openapi.json", As::Anonymous).await.json();
    assert_eq!(spec["openapi"], "3.0.3");
    assert!(spec["paths"]["/api/projects/{id}"]["patch"].is_object());
    assert_eq!(
        spec["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    app.server.shutdown().await;
}

#[tokio::test]
async fn signup_and_password_reset() {
    let app = start("none").await;
    let signup = app
        .send(
            Method::POST,
            "/api/auth/signup",
            As::Anonymous,
            Some(json!({ "organization": "Initech", "name": "Bill L", "email": "bill@initech.example", "password": "correct horse battery" })),
        )
        .await;
    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.body);
    assert_eq!(signup.json()["user"]["role"], "admin");
    let again = app
        .send(
            Method::POST,
            "/api/auth/signup",
            As::Anonymous,
            Some(json!({ "organization": "Initech", "name": "Bill L", "email": "bill@initech.example", "password": "correct horse battery" })),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let reset = |email: &str| {
        app.send(
            Method::POST,
            "/api/auth/password-reset",
            As::Anonymous,
            Some(json!({ "email": email })),
        )
    };
    let known = reset("bill@initech.example").await;
    let unknown = reset("nobody@initech.example").await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!(known.body, unknown.body);
    app.server.shutdown().await;
}

#[tokio::test]
async fn requests_are_recorded_in_order() {
    let app = start("none").await;
    let _ = reply(
        app.http
            .get(app.url("/healthz?probe=1"))
            .header("x-probe", "first"),
    )
    .await;
    let _ = app.get("/robots.txt", As::Anonymous).await;
    let seen = app.server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path_and_query, "/healthz?probe=1");
    assert!(
        seen[0]
            .headers
            .contains(&("x-probe".to_string(), "first".to_string()))
    );
    assert!(seen[0].peer.ip().is_loopback());
    assert!(seen[0].at <= seen[1].at);
    assert_eq!(seen[1].path_and_query, "/robots.txt");
    app.server.shutdown().await;
}

#[tokio::test]
async fn accounts_are_seeded_with_random_passwords() {
    let one = start("none").await;
    let two = start("none").await;
    let keys: Vec<&str> = one.server.accounts().iter().map(|a| a.key).collect();
    assert_eq!(keys, ["a-admin", "a-member", "b-admin", "b-member"]);
    for account in one.server.accounts() {
        assert_eq!(account.password.len(), 20);
        assert!(account.password.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(
            account.password,
            two.server.account(account.key).unwrap().password
        );
    }
    assert_eq!(one.server.account("a-admin").unwrap().org_slug, "acme");
    assert_eq!(one.server.account("b-member").unwrap().role, "member");
    one.server.shutdown().await;
    two.server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_the_listener() {
    let app = start("none").await;
    let addr = app.server.addr();
    assert_eq!(app.get("/healthz", As::Anonymous).await.status, 200);
    app.server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[test]
fn list_flaws_prints_name_and_item() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_testserver"))
        .arg("--list-flaws")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), Flaw::ALL.len());
    for (line, flaw) in lines.iter().zip(Flaw::ALL) {
        assert_eq!(*line, format!("{} {}", flaw.name(), flaw.item().key()));
    }
    assert!(lines.contains(&"stack-trace error-handling"));

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_testserver"))
        .args(["--flaws", "stack-trace,no-such-flaw"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(
        err.contains("no-such-flaw") && err.contains("sql-error"),
        "{err}"
    );
}

#[tokio::test]
async fn item_8_flaws_crash_safely_and_bind_owner_id() {
    let hardened = start("none").await;
    let token = hardened.token("a-member").await;
    let r = hardened
        .send(
            Method::POST,
            "/api/projects",
            As::Bearer(&token),
            Some(json!({"name": "x", "owner_id": 1})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = hardened
        .send(
            Method::POST,
            "/api/projects",
            As::Bearer(&token),
            Some(json!({"name": 5})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    hardened.server.shutdown().await;

    let lax = start("no-input-validation").await;
    let token = lax.token("a-member").await;
    let r = lax
        .send(
            Method::POST,
            "/api/invoices",
            As::Bearer(&token),
            Some(json!({"customer": 5})),
        )
        .await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_no_leak("no-input-validation 500", &r);
    lax.server.shutdown().await;

    let mass = start("mass-assignment").await;
    let token = mass.token("a-member").await;
    let me = mass.get("/api/me", As::Bearer(&token)).await.json();
    let other_token = mass.token("b-member").await;
    let other = mass.get("/api/me", As::Bearer(&other_token)).await.json();
    let created = mass
        .send(
            Method::POST,
            "/api/projects",
            As::Bearer(&token),
            Some(json!({"name": "x", "role": "admin", "owner_id": other["id"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let project = created.json();
    assert_eq!(project["owner_id"], other["id"]);
    assert_ne!(project["owner_id"], me["id"]);
    mass.server.shutdown().await;
}

/// Signs up `email` with `extra` fields and returns the answer.
async fn signup_with(app: &App, email: &str, extra: Value) -> Reply {
    let mut body = json!({ "organization": "Initech", "name": "Bill L", "email": email,
        "password": "correct horse battery" });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.send(Method::POST, "/api/auth/signup", As::Anonymous, Some(body))
        .await
}

#[tokio::test]
async fn signup_role_flaw_binds_privileges_from_the_body() {
    let hardened = start("none").await;
    let r = signup_with(&hardened, "bill@initech.example", json!({"staff": true})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("staff"), "{}", r.body);
    hardened.server.shutdown().await;

    let flawed = start("signup-role").await;
    let extra = json!({"staff": true, "role": "admin", "is_admin": true});
    let r = signup_with(&flawed, "bill@initech.example", extra).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["user"]["staff"], true);
    let login = flawed
        .send(
            Method::POST,
            "/api/auth/login",
            As::Anonymous,
            Some(json!({"email": "bill@initech.example", "password": "correct horse battery"})),
        )
        .await
        .json();
    assert_eq!(login["staff"], true);
    assert_eq!(login["role"], "admin");
    let token = login["access_token"].as_str().unwrap();
    let claims = token.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["staff"], true);
    let me = flawed.get("/api/me", As::Bearer(token)).await.json();
    assert_eq!(me["staff"], true);
    // A plain signup stays ordinary, and a role outside the app's own is refused.
    let plain = signup_with(&flawed, "peter@initech.example", json!({})).await;
    assert_eq!(plain.json()["user"]["staff"], false);
    let bad = signup_with(&flawed, "milton@initech.example", json!({"role": "root"})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    flawed.server.shutdown().await;
}

#[tokio::test]
async fn item_7_flaws_plant_their_secrets() {
    let app = start("secret-in-bundle,source-map-exposed,dotenv-exposed").await;
    let env = app.get("/.env", As::Anonymous).await;
    assert_eq!(env.status, 200);
    assert!(env.body.contains("DATABASE_URL=postgres://"));
    let map = app.get("/static/app.js.map", As::Anonymous).await;
    assert_eq!(map.status, 200);
    assert!(
        map.json()["sourcesContent"][0]
            .as_str()
            .unwrap()
            .contains("glpat-")
    );
    app.server.shutdown().await;

    let hardened = start("none").await;
    assert_eq!(hardened.get("/.env", As::Anonymous).await.status, 404);
    assert_eq!(
        hardened
            .get("/static/app.js.map", As::Anonymous)
            .await
            .status,
        404
    );
    hardened.server.shutdown().await;
}

#[tokio::test]
async fn size_adds_tenant_scoped_families_listed_in_openapi() {
    let app = start_with(Options {
        size: 10,
        ..Options::default()
    })
    .await;
    let doc = app.get("/openapi.json", As::Anonymous).await.json();
    assert!(doc["paths"]["/api/t/r4/items"]["get"].is_object());
    assert!(doc["paths"]["/api/t/r4/items/{id}"]["get"].is_object());
    assert!(
        doc["paths"]["/api/t/r5/items"].is_null(),
        "size 10 is 5 families"
    );
    assert_eq!(app.get("/api/t/r4/items", As::Anonymous).await.status, 401);
    let a = app.token("a-member").await;
    let b = app.token("b-member").await;
    let listed = app.get("/api/t/r4/items", As::Bearer(&a)).await.json();
    let id = listed["items"][0]["id"].as_i64().unwrap();
    let own = app
        .get(&format!("/api/t/r4/items/{id}"), As::Bearer(&a))
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.json()["id"], id);
    let other = app
        .get(&format!("/api/t/r4/items/{id}"), As::Bearer(&b))
        .await;
    assert_eq!(other.status, 404, "another tenant's item");
    let wrong_family = app
        .get(&format!("/api/t/r3/items/{id}"), As::Bearer(&a))
        .await;
    assert_eq!(wrong_family.status, 404);
    assert_eq!(app.get("/api/t/r5/items", As::Bearer(&a)).await.status, 404);
    app.server.shutdown().await;
}

#[tokio::test]
async fn the_internal_api_takes_http_basic_and_limits_only_its_failures() {
    let app = start("none").await;
    let a = app.server.account("a-member").unwrap().clone();
    let whoami = |user: &str, pw: &str| {
        app.http
            .get(app.url("/internal/api/whoami"))
            .basic_auth(user, Some(pw))
    };
    // Every request carries the password; using the API is not a login burst.
    for _ in 0..12 {
        let r = reply(whoami(&a.email, &a.password)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["email"], a.email.as_str());
    }
    let projects = reply(
        app.http
            .get(app.url("/internal/api/projects"))
            .basic_auth(&a.email, Some(&a.password)),
    )
    .await;
    assert_eq!(projects.status, 200);
    assert!(projects.json()["projects"].is_array());
    let none = reply(app.http.get(app.url("/internal/api/whoami"))).await;
    assert_eq!(none.status, 401);
    assert!(
        none.header("www-authenticate")
            .unwrap()
            .starts_with("Basic ")
    );
    // A wrong password and an unknown account get the same answer.
    let wrong = reply(whoami(&a.email, "wrong-password-1")).await;
    let unknown = reply(whoami("nobody@example.com", "wrong-password-1")).await;
    assert_eq!((wrong.status.as_u16(), unknown.status.as_u16()), (401, 401));
    assert_eq!(wrong.body, unknown.body);
    // Failures are limited per IP.
    let mut limited = false;
    for n in 0..12 {
        let r = reply(whoami(&format!("nobody{n}@example.com"), "guess-guess")).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "no 429 within 14 failed Basic attempts");
    app.server.shutdown().await;

    // The login flaws reach HTTP Basic too.
    let app = start("user-enumeration,no-login-rate-limit").await;
    let unknown = reply(
        app.http
            .get(app.url("/internal/api/whoami"))
            .basic_auth("nobody@example.com", Some("wrong-password-1")),
    )
    .await;
    assert_eq!(unknown.status, 404);
    for n in 0..15 {
        let r = reply(
            app.http
                .get(app.url("/internal/api/whoami"))
                .basic_auth(format!("nobody{n}@example.com"), Some("guess")),
        )
        .await;
        assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
    app.server.shutdown().await;
}
