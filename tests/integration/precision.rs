//! Verdicts that need their evidence (issue 15), against small apps built for one rule
//! each: a false fail here is as serious as a missed flaw.

use axum::Router;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use prodready::config::{MapSource, Overrides, ProcessSource};
use prodready::report::Report;

/// Serves `app` on 127.0.0.1:0; returns its URL and the task.
async fn serve(app: Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, task)
}

/// A scan of `url` as one token identity (`Authorization: Bearer token-a`), with extra
/// `[target]` lines and identity tables.
async fn scan_as_token(url: &str, target_extra: &str, identity_extra: &str) -> Report {
    let env = MapSource {
        vars: [("PRECISION_TOKEN_A".to_string(), "token-a".to_string())]
            .into_iter()
            .collect(),
        fallback: &ProcessSource,
    };
    let text = format!(
        "[target]\nurl = \"{url}\"\n{target_extra}[limits]\nrate = 2000\nmax_pages = 10\n\
         {identity_extra}[identities.a.login]\nkind = \"token\"\ntoken = \"${{PRECISION_TOKEN_A}}\"\n"
    );
    let config = prodready::config::from_text(&text, "precision.toml", &env, &Overrides::default())
        .expect("config resolves");
    crate::common::scan(config).await
}

/// Each probe with every route it was seen on (a grouped finding lists several).
fn probes(report: &Report) -> Vec<(String, String)> {
    report
        .findings
        .iter()
        .flat_map(|f| {
            f.occurrences()
                .into_iter()
                .map(|o| (f.probe.clone(), o.url))
        })
        .collect()
}

/// A public page (the same with and without credentials) may be cached; a page with
/// the caller's own data may not. Neither sends Cache-Control.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caching_is_judged_only_on_answers_that_differ_by_caller() {
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                axum::response::Html(
                    "<html><body><h1>Welcome</h1><a href=\"/me\">me</a> <a href=\"/about\">about</a></body></html>",
                )
            }),
        )
        .route(
            "/about",
            get(|| async {
                axum::response::Html(
                    "<html><body><h1>About us</h1><p>We make ledgers for small teams since 2019.</p></body></html>",
                )
            }),
        )
        .route(
            "/me",
            get(|headers: HeaderMap| async move {
                let who = headers
                    .get("authorization")
                    .map(|_| "alice@acme.example, plan gold, balance 1200")
                    .unwrap_or("nobody");
                axum::response::Html(format!("<html><body><p>Signed in: {who}</p></body></html>"))
            }),
        );
    let (url, task) = serve(app).await;
    let report = scan_as_token(&url, "start = [\"/\"]\n", "").await;
    task.abort();
    let cached: Vec<String> = probes(&report)
        .into_iter()
        .filter(|(p, _)| p == "headers.cacheable-private-response")
        .map(|(_, u)| u)
        .collect();
    let runs: Vec<_> = report
        .probes
        .iter()
        .filter(|p| p.probe == "headers")
        .collect();
    assert!(
        cached.iter().any(|u| u.ends_with("/me")),
        "{cached:?} {runs:?}"
    );
    assert!(
        !cached.iter().any(|u| u.ends_with("/about")),
        "the public page was reported: {cached:?}"
    );
    assert!(
        runs.iter()
            .any(|r| r.notes.iter().any(|n| n.contains("public pages"))),
        "{runs:?}"
    );
}

/// A profile value that a public page shows (a member list) is not private data; the
/// caller's e-mail served without credentials still is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_anonymous_visitors_see_is_not_private_data() {
    let profile = || serde_json::json!({ "email": "alice@acme.example", "name": "Alice Example", "plan": "gold" });
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                axum::response::Html(
                    "<html><body><h1>Our members</h1><ul><li>Alice Example</li><li>Bob Builder</li></ul>\
                     <a href=\"/api/team\">team</a></body></html>",
                )
            }),
        )
        .route(
            "/api/me",
            get(move |headers: HeaderMap| async move {
                match headers.get("authorization").and_then(|v| v.to_str().ok()) {
                    Some("Bearer token-a") => axum::Json(profile()).into_response(),
                    _ => axum::http::StatusCode::UNAUTHORIZED.into_response(),
                }
            }),
        )
        // Checks no session: the caller's e-mail reaches anyone.
        .route(
            "/api/team",
            get(|| async { axum::Json(serde_json::json!({ "owner": "alice@acme.example" })) }),
        );
    let (url, task) = serve(app).await;
    let report = scan_as_token(&url, "", "[identities.a]\ncheck = { url = \"/api/me\" }\n").await;
    task.abort();
    let anon: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.probe == "auth.anonymous-replay")
        .map(|f| f.location.url.clone())
        .collect();
    let runs: Vec<_> = report.probes.iter().filter(|p| p.probe == "auth").collect();
    assert!(
        anon.iter().any(|u| u.ends_with("/api/team")),
        "{anon:?} {runs:?} {:?} {:?}",
        report.inventory,
        report.warnings
    );
    assert!(
        anon.iter().all(|u| u.ends_with("/api/team")),
        "a public page was reported: {anon:?}"
    );
}

/// Error signatures judge what the server computed, not string constants of a static
/// script; credential signatures judge what ships to the client, not API data (a
/// password hash there is item 5's). Each is checked both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_judge_only_their_kind_of_response() {
    let js = |body: &'static str| {
        (
            [(axum::http::header::CONTENT_TYPE, "application/javascript")],
            body,
        )
    };
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                axum::response::Html(
                    "<html><head><script src=\"/static/help.js\"></script><script src=\"/static/app.js\"></script></head>\
                     <body><a href=\"/report\">report</a> <a href=\"/api/users\">users</a></body></html>",
                )
            }),
        )
        // A help text quoting an error, in a static script.
        .route(
            "/static/help.js",
            get(move || async move {
                js("const HELP = 'If you see sqlite3.OperationalError: no such table: users, run the migrations first.';")
            }),
        )
        // Test credentials left in the main bundle.
        .route(
            "/static/app.js",
            get(move || async move {
                js("const TEST_USER_EMAIL = \"qa@acme.io\"; const TEST_USER_PASSWORD = \"Qa-Passw0rd!\"; export default {};")
            }),
        )
        // A dynamic page that leaks the same error.
        .route(
            "/report",
            get(|| async {
                (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "sqlite3.OperationalError: no such table: users",
                )
            }),
        )
        // API data carrying a password hash next to a user name.
        .route(
            "/api/users",
            get(|| async {
                axum::Json(serde_json::json!([
                    { "username": "alice", "password": "$2b$12$Kix9cQ0bVq1y3wq9f0Zr5uQ9N2mY7m3hB3E8y6c1oXw3lG0rV1a2e" }
                ]))
            }),
        );
    let (url, task) = serve(app).await;
    let config = prodready::config::from_text(
        &format!("[target]\nurl = \"{url}\"\n[limits]\nrate = 2000\nmax_pages = 10\n"),
        "p.toml",
        &ProcessSource,
        &Overrides::default(),
    )
    .expect("config resolves");
    let report = crate::common::scan(config).await;
    task.abort();
    let found = probes(&report);
    let at = |prefix: &str, path: &str| {
        found
            .iter()
            .any(|(p, u)| p.starts_with(prefix) && u.ends_with(path))
    };
    assert!(at("errors.", "/report"), "{found:?}");
    assert!(!at("errors.", "/static/help.js"), "{found:?}");
    assert!(
        at("secrets.hardcoded-credentials", "/static/app.js"),
        "{found:?}"
    );
    assert!(
        !at("secrets.hardcoded-credentials", "/api/users"),
        "{found:?}"
    );
}

/// A role scan of `url` with an admin (`token-admin`) and a member (`token-member`).
async fn scan_roles(url: &str) -> Report {
    let env = MapSource {
        vars: [
            ("PRECISION_ADMIN".to_string(), "token-admin".to_string()),
            ("PRECISION_MEMBER".to_string(), "token-member".to_string()),
        ]
        .into_iter()
        .collect(),
        fallback: &ProcessSource,
    };
    let text = format!(
        "[target]\nurl = \"{url}\"\nstart = [\"/home\"]\n[limits]\nrate = 2000\nmax_pages = 10\n\
         [identities.admin.login]\nkind = \"token\"\ntoken = \"${{PRECISION_ADMIN}}\"\n\
         [identities.member.login]\nkind = \"token\"\ntoken = \"${{PRECISION_MEMBER}}\"\n"
    );
    let config = prodready::config::from_text(&text, "precision.toml", &env, &Overrides::default())
        .expect("config resolves");
    crate::common::scan(config).await
}

/// A home page per caller that links `/reports` for the admin only; `/reports` serves
/// any logged-in caller. `member_sees_link` puts the link on the member's page too.
fn reports_app(member_sees_link: bool) -> Router {
    let caller =
        |headers: &HeaderMap| match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer token-admin") => Some("admin"),
            Some("Bearer token-member") => Some("member"),
            _ => None,
        };
    Router::new()
        .route(
            "/home",
            get(move |headers: HeaderMap| async move {
                let Some(who) = caller(&headers) else {
                    return axum::http::StatusCode::UNAUTHORIZED.into_response();
                };
                let link = if who == "admin" || member_sees_link {
                    "<a href=\"/reports\">Reports</a>"
                } else {
                    ""
                };
                axum::response::Html(format!(
                    "<html><body><h1>Home of {who}</h1><a href=\"/home\">Home</a> {link}</body></html>"
                ))
                .into_response()
            }),
        )
        .route(
            "/reports",
            get(move |headers: HeaderMap| async move {
                if caller(&headers).is_none() {
                    return axum::http::StatusCode::UNAUTHORIZED.into_response();
                }
                axum::Json(serde_json::json!({
                    "quarter": "Q3", "revenue": 48210, "signups": 412, "churn": 0.04
                }))
                .into_response()
            }),
        )
}

/// What only the admin's own UI offers, served to the member as the admin sees it, is
/// a warning on item 3 (evidence, not proof); offered to both, it is nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_only_the_admins_ui_offers_warns_when_the_member_reads_it() {
    use prodready::model::{Item, Status};
    let (url, task) = serve(reports_app(false)).await;
    let hidden = scan_roles(&url).await;
    task.abort();
    let item = hidden.item(Item::Authorization).expect("item 3");
    assert_eq!(item.status, Status::Warn, "{item:#?}");
    assert!(
        probes(&hidden)
            .iter()
            .any(|(p, u)| p == "roles.member-reads-admin" && u.ends_with("/reports")),
        "{:#?}",
        hidden.findings
    );

    let (url, task) = serve(reports_app(true)).await;
    let shared = scan_roles(&url).await;
    task.abort();
    assert!(
        !probes(&shared).iter().any(|(p, _)| p.starts_with("roles.")),
        "a route both UIs offer is no role finding: {:#?}",
        shared.findings
    );
}
