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

/// A scan of `url` as one token identity (`Authorization: Bearer token-a`).
async fn scan_as_token(url: &str) -> Report {
    let env = MapSource {
        vars: [("PRECISION_TOKEN_A".to_string(), "token-a".to_string())]
            .into_iter()
            .collect(),
        fallback: &ProcessSource,
    };
    let text = format!(
        "[target]\nurl = \"{url}\"\nstart = [\"/\"]\n[limits]\nrate = 2000\nmax_pages = 10\n\
         [identities.a.login]\nkind = \"token\"\ntoken = \"${{PRECISION_TOKEN_A}}\"\n"
    );
    let config = prodready::config::from_text(&text, "precision.toml", &env, &Overrides::default())
        .expect("config resolves");
    crate::common::scan(config).await
}

fn probes(report: &Report) -> Vec<(String, String)> {
    report
        .findings
        .iter()
        .map(|f| (f.probe.clone(), f.location.url.clone()))
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
    let report = scan_as_token(&url).await;
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
    let env = MapSource {
        vars: [("PRECISION_TOKEN_A".to_string(), "token-a".to_string())]
            .into_iter()
            .collect(),
        fallback: &ProcessSource,
    };
    let text = format!(
        "[target]\nurl = \"{url}\"\n[limits]\nrate = 2000\nmax_pages = 10\n\
         [identities.a]\ncheck = {{ url = \"/api/me\" }}\n\
         [identities.a.login]\nkind = \"token\"\ntoken = \"${{PRECISION_TOKEN_A}}\"\n"
    );
    let config = prodready::config::from_text(&text, "p.toml", &env, &Overrides::default())
        .expect("config resolves");
    let report = crate::common::scan(config).await;
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
