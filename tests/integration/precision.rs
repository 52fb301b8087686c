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

/// A scan of `url` with extra `[target]` lines and one token identity per
/// `(name, token)` (the token through the environment, as users pass it), each with
/// `check = /api/me` when `check` is set.
async fn scan_with_tokens(
    url: &str,
    target_extra: &str,
    identities: &[(&str, &str)],
    check: bool,
) -> Report {
    let var = |name: &str| format!("PRECISION_{}", name.to_ascii_uppercase());
    let env = MapSource {
        vars: identities
            .iter()
            .map(|(name, token)| (var(name), token.to_string()))
            .collect(),
        fallback: &ProcessSource,
    };
    let mut text =
        format!("[target]\nurl = \"{url}\"\n{target_extra}[limits]\nrate = 2000\nmax_pages = 10\n");
    for (name, _) in identities {
        if check {
            text.push_str(&format!(
                "[identities.{name}]\ncheck = {{ url = \"/api/me\" }}\n"
            ));
        }
        text.push_str(&format!(
            "[identities.{name}.login]\nkind = \"token\"\ntoken = \"${{{}}}\"\n",
            var(name)
        ));
    }
    let config = prodready::config::from_text(&text, "precision.toml", &env, &Overrides::default())
        .expect("config resolves");
    crate::common::scan(config).await
}

/// A role scan of `url` with an admin (`token-admin`) and a member (`token-member`).
async fn scan_roles(url: &str) -> Report {
    scan_with_tokens(
        url,
        "start = [\"/home\"]\n",
        &[("admin", "token-admin"), ("member", "token-member")],
        false,
    )
    .await
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

/// A server-rendered app whose navigation is rendered per role: only the admin's nav
/// links `/rules`, and the member may read it (a permission the app grants), shown
/// with the member's own navigation.
fn per_role_nav_app() -> Router {
    fn nav(who: &str) -> &'static str {
        if who == "admin" {
            "<nav><a href=\"/home\">Home</a> <a href=\"/rules\">Rules</a> \
             <a href=\"/settings\">Settings</a></nav>"
        } else {
            "<nav><a href=\"/home\">Home</a></nav>"
        }
    }
    let caller =
        |headers: &HeaderMap| match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer token-admin") => Some("admin"),
            Some("Bearer token-member") => Some("member"),
            _ => None,
        };
    let page = move |title: &'static str, body: &'static str| {
        move |headers: HeaderMap| async move {
            let Some(who) = caller(&headers) else {
                return axum::http::StatusCode::UNAUTHORIZED.into_response();
            };
            if title == "Settings" && who != "admin" {
                return axum::http::StatusCode::FORBIDDEN.into_response();
            }
            axum::response::Html(format!(
                "<html><head><title>{title}</title></head><body>{}<h1>{title}</h1>{body}\
                 </body></html>",
                nav(who)
            ))
            .into_response()
        }
    };
    Router::new()
        .route("/home", get(page("Home", "<p>Welcome back.</p>")))
        .route(
            "/rules",
            get(page(
                "Scheduled rules",
                "<p>Emails sent automatically to attendees, by the rules below. Each rule \
                 names its trigger, its audience and its subject; rules run once per order \
                 and are skipped for cancelled orders.</p><table>\
                 <tr><td>Reminder 3 days before</td><td>all attendees</td><td>active</td></tr>\
                 <tr><td>Thank-you after the event</td><td>paid orders</td><td>active</td></tr>\
                 <tr><td>Survey a week later</td><td>checked-in attendees</td><td>paused</td></tr>\
                 <tr><td>Payment reminder</td><td>pending orders</td><td>active</td></tr>\
                 </table>",
            )),
        )
        .route(
            "/settings",
            get(page("Settings", "<form method=\"post\"></form>")),
        )
}

/// A page only the admin's navigation links, which the member reads with its own
/// navigation (the server rendered it for the member's role), is no role finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_rendered_for_the_members_role_is_no_role_finding() {
    use prodready::model::{Item, Status};
    let (url, task) = serve(per_role_nav_app()).await;
    let report = scan_roles(&url).await;
    task.abort();
    assert!(
        !probes(&report).iter().any(|(p, _)| p.starts_with("roles.")),
        "{:#?}",
        report.findings
    );
    let item = report.item(Item::Authorization).expect("item 3");
    assert!(
        !matches!(item.status, Status::Fail | Status::Warn),
        "{item:#?}"
    );
}

/// An API that takes `tenant_id` from a create's body, and (as Directus does) answers
/// 204 when the caller cannot read what it just created.
fn tenant_field_app() -> Router {
    use axum::extract::{Path, State};
    use serde_json::{Value, json};
    use std::sync::{Arc, Mutex};
    type Things = Arc<Mutex<Vec<Value>>>;
    fn caller(headers: &HeaderMap) -> Option<(&'static str, &'static str)> {
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer token-a") => Some(("u-a-7f3e", "t-a-19c2")),
            Some("Bearer token-b") => Some(("u-b-4d81", "t-b-55e0")),
            _ => None,
        }
    }
    let things: Things = Arc::new(Mutex::new(vec![
        json!({"id": 1, "title": "Roadmap", "tenant_id": "t-a-19c2", "user_created": "u-a-7f3e"}),
        json!({"id": 2, "title": "Budget", "tenant_id": "t-b-55e0", "user_created": "u-b-4d81"}),
    ]));
    fn unauthorized() -> axum::response::Response {
        axum::http::StatusCode::UNAUTHORIZED.into_response()
    }
    fn not_found() -> axum::response::Response {
        axum::http::StatusCode::NOT_FOUND.into_response()
    }
    Router::new()
        .route(
            "/api/me",
            get(move |headers: HeaderMap| async move {
                let Some((user, tenant)) = caller(&headers) else {
                    return unauthorized();
                };
                axum::Json(json!({"id": user, "email": format!("{user}@acme.example"), "tenant_id": tenant}))
                    .into_response()
            }),
        )
        .route(
            "/api/things",
            get(move |State(t): State<Things>, headers: HeaderMap| async move {
                let Some((_, tenant)) = caller(&headers) else {
                    return unauthorized();
                };
                let rows: Vec<Value> = t.lock().unwrap().iter().filter(|r| r["tenant_id"] == tenant).cloned().collect();
                axum::Json(json!({"data": rows})).into_response()
            })
            .post(move |State(t): State<Things>, headers: HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                let Some((user, tenant)) = caller(&headers) else {
                    return unauthorized();
                };
                let Some(title) = body["title"].as_str() else {
                    return axum::http::StatusCode::BAD_REQUEST.into_response();
                };
                let placed = body["tenant_id"].as_str().unwrap_or(tenant).to_string();
                let mut rows = t.lock().unwrap();
                let id = rows.len() as u64 + 1;
                let row = json!({"id": id, "title": title, "tenant_id": placed, "user_created": user});
                rows.push(row.clone());
                if placed == tenant {
                    (axum::http::StatusCode::CREATED, axum::Json(json!({"data": row}))).into_response()
                } else {
                    axum::http::StatusCode::NO_CONTENT.into_response()
                }
            }),
        )
        .route(
            "/api/things/{id}",
            get(move |State(t): State<Things>, headers: HeaderMap, Path(id): Path<u64>| async move {
                let Some((_, tenant)) = caller(&headers) else {
                    return unauthorized();
                };
                let rows = t.lock().unwrap();
                match rows.iter().find(|r| r["id"] == id && r["tenant_id"] == tenant) {
                    Some(r) => axum::Json(json!({"data": r})).into_response(),
                    None => not_found(),
                }
            })
            .delete(move |State(t): State<Things>, headers: HeaderMap, Path(id): Path<u64>| async move {
                let Some((_, tenant)) = caller(&headers) else {
                    return unauthorized();
                };
                let mut rows = t.lock().unwrap();
                let before = rows.len();
                rows.retain(|r| !(r["id"] == id && r["tenant_id"] == tenant));
                if rows.len() < before {
                    axum::http::StatusCode::NO_CONTENT.into_response()
                } else {
                    not_found()
                }
            }),
        )
        .with_state(things)
}

/// A create that takes the tenant from its body put the scanner's object into tenant
/// b: that is item 8's finding (the tenant field), not a list of b leaking a's rows,
/// and the object is deleted as b.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_moved_by_a_tenant_field_is_no_list_leak_and_is_cleaned_up() {
    use prodready::model::{Item, Status};
    let (url, task) = serve(tenant_field_app()).await;
    let report = scan_with_tokens(
        &url,
        "start = [\"/api/things\"]\n\
         [[canaries]]\ncreate = \"/api/things\"\nbody = { title = \"{canary}\" }\n",
        &[("a", "token-a"), ("b", "token-b")],
        true,
    )
    .await;
    let left: Vec<String> = {
        let client = reqwest::Client::new();
        let mut left = Vec::new();
        for token in ["token-a", "token-b"] {
            let body: serde_json::Value = client
                .get(format!("{url}/api/things"))
                .bearer_auth(token)
                .send()
                .await
                .expect("list")
                .json()
                .await
                .expect("json");
            left.extend(
                body["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r["title"].as_str())
                    .filter(|t| t.starts_with("prodready"))
                    .map(String::from),
            );
        }
        left
    };
    task.abort();
    let found = probes(&report);
    assert!(
        found.iter().any(|(p, _)| p == "mass.tenant-field-accepted"),
        "{:#?}",
        report.findings
    );
    assert!(
        !found
            .iter()
            .any(|(p, _)| p == "filtering.cross-tenant-rows"),
        "the scanner's own moved object counted as a leak: {:#?}",
        report.findings
    );
    assert_eq!(
        report.item(Item::InputValidation).map(|i| i.status),
        Some(Status::Fail)
    );
    assert!(left.is_empty(), "left in the app: {left:?}");
}

/// Items of two tenants, each row naming its owner's e-mail; anonymous visitors get
/// every row when `open`, else only what a tenant chose to showcase (one row of a).
fn anonymous_list_app(open: bool) -> Router {
    use serde_json::json;
    fn caller(headers: &HeaderMap) -> Option<&'static str> {
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer token-a") => Some("ana.torres@acme.example"),
            Some("Bearer token-b") => Some("bo.lindqvist@globex.example"),
            _ => None,
        }
    }
    let rows = || {
        vec![
            json!({"id": 1, "title": "Q3 plan", "owner": "ana.torres@acme.example"}),
            json!({"id": 2, "title": "Payroll", "owner": "bo.lindqvist@globex.example"}),
        ]
    };
    Router::new()
        .route(
            "/api/me",
            get(|headers: HeaderMap| async move {
                match caller(&headers) {
                    Some(email) => axum::Json(json!({"email": email})).into_response(),
                    None => axum::http::StatusCode::UNAUTHORIZED.into_response(),
                }
            }),
        )
        .route(
            "/api/items",
            get(move |headers: HeaderMap| async move {
                let all = rows();
                let shown: Vec<_> = match caller(&headers) {
                    Some(email) => all.into_iter().filter(|r| r["owner"] == email).collect(),
                    None if open => all,
                    None => all.into_iter().take(1).collect(),
                };
                axum::Json(json!({"items": shown})).into_response()
            }),
        )
}

/// Every tenant's rows in an anonymous list fail item 5; one tenant's showcased row
/// does not (a public profile is item 2's question at most).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_list_of_every_tenants_rows_fails_item_5() {
    let scan = |url: String| async move {
        scan_with_tokens(
            &url,
            "start = [\"/api/items\"]\n",
            &[("a", "token-a"), ("b", "token-b")],
            true,
        )
        .await
    };
    let (url, task) = serve(anonymous_list_app(true)).await;
    let open = scan(url).await;
    task.abort();
    assert!(
        probes(&open)
            .iter()
            .any(|(p, u)| p == "filtering.anonymous-list-rows" && u.ends_with("/api/items")),
        "{:#?}",
        open.findings
    );
    let (url, task) = serve(anonymous_list_app(false)).await;
    let showcase = scan(url).await;
    task.abort();
    assert!(
        !probes(&showcase)
            .iter()
            .any(|(p, _)| p.starts_with("filtering.")),
        "{:#?}",
        showcase.findings
    );
}

/// Notes with sequential ids from 1, created by each tenant, listed per tenant but read
/// by id without any check; every requested path is recorded in `asked`.
fn sequential_notes_app(asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>) -> Router {
    use axum::extract::{Path, State};
    use serde_json::{Value, json};
    use std::sync::{Arc, Mutex};
    type Notes = Arc<Mutex<Vec<Value>>>;
    fn caller(headers: &HeaderMap) -> Option<&'static str> {
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer token-a") => Some("t-a"),
            Some("Bearer token-b") => Some("t-b"),
            _ => None,
        }
    }
    let notes: Notes = Arc::new(Mutex::new(Vec::new()));
    let unauthorized = || axum::http::StatusCode::UNAUTHORIZED.into_response();
    Router::new()
        .route(
            "/api/me",
            get(move |headers: HeaderMap| async move {
                match caller(&headers) {
                    Some(t) => axum::Json(json!({"id": t, "email": format!("{t}@notes.example")}))
                        .into_response(),
                    None => unauthorized(),
                }
            }),
        )
        .route(
            "/api/notes",
            get(
                move |State(n): State<Notes>, headers: HeaderMap| async move {
                    let Some(t) = caller(&headers) else {
                        return unauthorized();
                    };
                    let rows: Vec<Value> = n
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|r| r["tenant"] == t)
                        .cloned()
                        .collect();
                    axum::Json(json!({"data": rows})).into_response()
                },
            )
            .post(
                move |State(n): State<Notes>,
                      headers: HeaderMap,
                      axum::Json(body): axum::Json<Value>| async move {
                    let Some(t) = caller(&headers) else {
                        return unauthorized();
                    };
                    let mut rows = n.lock().unwrap();
                    let row = json!({"id": rows.len() + 1, "title": body["title"], "tenant": t});
                    rows.push(row.clone());
                    (
                        axum::http::StatusCode::CREATED,
                        axum::Json(json!({"data": row})),
                    )
                        .into_response()
                },
            ),
        )
        .route(
            "/api/notes/{id}",
            get(
                move |State(n): State<Notes>, headers: HeaderMap, Path(id): Path<i64>| async move {
                    if caller(&headers).is_none() {
                        return unauthorized();
                    }
                    // The flaw: any tenant's note by its id.
                    match n.lock().unwrap().iter().find(|r| r["id"] == id) {
                        Some(r) => axum::Json(json!({"data": r})).into_response(),
                        None => axum::http::StatusCode::NOT_FOUND.into_response(),
                    }
                },
            )
            .delete(
                move |State(n): State<Notes>, headers: HeaderMap, Path(id): Path<i64>| async move {
                    let Some(t) = caller(&headers) else {
                        return unauthorized();
                    };
                    let mut rows = n.lock().unwrap();
                    let before = rows.len();
                    rows.retain(|r| !(r["id"] == id && r["tenant"] == t));
                    if rows.len() < before {
                        axum::http::StatusCode::NO_CONTENT.into_response()
                    } else {
                        axum::http::StatusCode::NOT_FOUND.into_response()
                    }
                },
            ),
        )
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let asked = asked.clone();
                async move {
                    asked.lock().unwrap().push(req.uri().path().to_string());
                    next.run(req).await
                }
            },
        ))
        .with_state(notes)
}

/// A tenant that guesses the ids next to its own object's reaches the other tenant's
/// object (`tenant.neighbour-id`); no id below 1 is guessed, as no sequence gives them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_ids_next_to_ones_own_reach_the_other_tenant_and_never_go_below_one() {
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (url, task) = serve(sequential_notes_app(asked.clone())).await;
    let report = scan_with_tokens(
        &url,
        "start = [\"/api/notes\"]\n\
         [[canaries]]\ncreate = \"/api/notes\"\nbody = { title = \"{canary}\" }\n",
        &[("a", "token-a"), ("b", "token-b")],
        true,
    )
    .await;
    task.abort();
    assert!(
        probes(&report)
            .iter()
            .any(|(p, u)| p == "tenant.neighbour-id" && u.contains("/api/notes/")),
        "{:#?}",
        report.findings
    );
    // One canary got id 1 (the app starts empty), whose neighbour below is 0. (The
    // error family's `-1` is an error trigger, asked on purpose: not a neighbour.)
    let asked = asked.lock().unwrap();
    assert!(asked.iter().any(|p| p == "/api/notes/1"), "{asked:?}");
    assert!(!asked.iter().any(|p| p == "/api/notes/0"), "{asked:?}");
}
