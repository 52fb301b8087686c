//! Items 2 and 4 against the test app: the hardened app passes both, bursts stay within
//! their bounds and the scanner's rate (counted at the server), and nobody is locked out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use prodready::auth::Identities;
use prodready::catalog::ProbeCatalog;
use prodready::engine::Context;
use prodready::engine::Family;
use prodready::http::{HttpLayer, HttpSettings, Redactor};
use prodready::model::Item;

use crate::common;

fn verdict(report: &prodready::report::Report, item: Item) -> String {
    let i = report.item(item).expect("item present");
    let findings: Vec<String> = i
        .findings
        .iter()
        .filter_map(|id| report.finding(id))
        .map(|f| {
            format!(
                "{} {:?}/{:?}: {}",
                f.probe, f.severity, f.confidence, f.detail
            )
        })
        .collect();
    format!("{:?}: {} {:#?}", i.status, i.summary, findings)
}

/// Logs in with the account's real password over the JSON API.
async fn can_log_in(server: &testserver::Server, key: &str) -> u16 {
    let account = server.account(key).expect("account");
    reqwest::Client::new()
        .post(format!("{}/api/auth/login", server.base_url()))
        .json(&serde_json::json!({ "email": account.email, "password": account.password }))
        .send()
        .await
        .expect("login request")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_app_passes_items_2_and_4_and_tenants_can_still_log_in() {
    let server = common::app("none").await;
    let mut config = common::config(&server);
    // The demo config does not wait; the default does (bounded), so tenants can log in.
    config.rate_limit.max_wait = Duration::from_secs(10);
    let report = common::scan(config).await;
    let auth = verdict(&report, Item::Authentication);
    let rate = verdict(&report, Item::RateLimiting);
    eprintln!("authentication: {auth}\nrate-limiting: {rate}");
    for key in ["a-member", "a-admin", "b-member", "b-admin"] {
        assert_eq!(
            can_log_in(&server, key).await,
            200,
            "{key} is locked out after the scan"
        );
    }
    server.shutdown().await;
    assert!(auth.starts_with("Pass"), "authentication: {auth}");
    assert!(rate.starts_with("Pass"), "rate-limiting: {rate}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_burst_is_bounded_and_paced_as_counted_at_the_server() {
    let server = common::app("none").await;
    let mut config = common::config(&server);
    let rate = 20;
    config.limits.rate = std::num::NonZeroU32::new(rate).expect("non-zero");
    config.rate_limit.burst = 12;
    config.rate_limit.max_wait = Duration::ZERO;
    let http = HttpLayer::new(
        HttpSettings::from(&config.limits),
        config.scope.clone(),
        Redactor::new(),
    )
    .expect("client");
    let identities = Identities::from_config(&config);
    identities.login_all(&http).await.expect("logins");
    let inventory = prodready::discover::discover(&http, &identities, &config).await;
    let burst = config.rate_limit.burst as usize;
    let ctx = Context {
        http,
        identities: Arc::new(identities),
        inventory: Arc::new(inventory),
        config: Arc::new(config),
        catalog: Arc::new(ProbeCatalog::builtin().expect("catalog")),
        owned: Arc::new(prodready::engine::canaries::OwnedObjects::new()),
    };
    let start = Instant::now();
    let runs = prodready::families::ratelimit::RatelimitFamily
        .run(&ctx)
        .await
        .expect("probe runs");
    let end = Instant::now();
    assert_eq!(runs.len(), 4, "{runs:#?}");
    assert!(
        runs.iter().all(|r| r.checks > 0 && r.findings.is_empty()),
        "{runs:#?}"
    );

    let sent: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.at >= start && r.at <= end)
        .collect();
    assert!(!sent.is_empty());
    let mut per_route = std::collections::BTreeMap::<String, usize>::new();
    for r in &sent {
        let path = r.path_and_query.split('?').next().unwrap_or("").to_string();
        *per_route.entry(format!("{} {path}", r.method)).or_default() += 1;
    }
    // A burst, plus at most four requests of the X-Forwarded-For check, per endpoint.
    for (route, n) in &per_route {
        assert!(
            *n <= burst + 4,
            "{route} got {n} requests (burst {burst}): {per_route:?}"
        );
    }
    // The scanner's own rate holds: no one-second window holds more than rate + its burst allowance.
    for (i, r) in sent.iter().enumerate() {
        let in_window = sent[i..]
            .iter()
            .take_while(|o| o.at.duration_since(r.at) < Duration::from_secs(1))
            .count();
        assert!(
            in_window <= rate as usize + 2,
            "{in_window} requests within one second at rate {rate}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_weak_tokens_fail_without_printing_the_secret() {
    let server = common::app("weak-jwt-secret,jwt-alg-none").await;
    let report = common::scan(common::config(&server)).await;
    let passwords = common::passwords(&server);
    server.shutdown().await;
    let probes: Vec<&str> = report.findings.iter().map(|f| f.probe.as_str()).collect();
    assert!(probes.contains(&"jwt.weak-secret"), "{probes:?}");
    assert!(probes.contains(&"jwt.alg-none-accepted"), "{probes:?}");
    let json = serde_json::to_string(&report).expect("report serialises");
    assert!(
        !json.contains("your-256-bit-secret"),
        "the cracked secret leaked"
    );
    for p in passwords {
        assert!(!json.contains(&p), "a password leaked");
    }
}

/// A token secret that is on no list but that the app gives away: its name (in every
/// page title) and a year. The hardened app otherwise, so nothing else fails item 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_made_of_the_apps_name_and_a_year_is_guessed_and_never_printed() {
    let secret = "Ledgerline2024";
    let server = common::app_with_jwt_secret("none", secret.as_bytes()).await;
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    let weak: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.probe == "jwt.weak-secret")
        .collect();
    assert_eq!(weak.len(), 1, "{:?}", report.findings);
    assert!(
        weak[0].detail.contains("a word taken from the app itself"),
        "{}",
        weak[0].detail
    );
    let json = serde_json::to_string(&report).expect("report serialises");
    for shown in [secret, "ledgerline2024", "LEDGERLINE2024"] {
        assert!(!json.contains(shown), "the cracked secret leaked");
    }
    let auth = verdict(&report, Item::Authentication);
    assert!(auth.starts_with("Fail"), "{auth}");
}

/// An app whose signup takes any body, even an address without `@`.
async fn permissive_signup_app() -> (String, tokio::task::JoinHandle<()>) {
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route("/", get(|| async { "<html><body>home</body></html>" }))
        .route(
            "/register",
            post(|| async { (axum::http::StatusCode::CREATED, "{\"ok\":true}") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_a_signup_burst_could_create_is_listed_as_left_behind() {
    let (url, server) = permissive_signup_app().await;
    let text = format!(
        "[target]\nurl = \"{url}\"\n[limits]\nrate = 2000\nmax_pages = 3\n[rate_limit]\nburst = 5\nsignup = \"/register\"\n"
    );
    let config = prodready::config::from_text(
        &text,
        "signup.toml",
        &prodready::config::ProcessSource,
        &prodready::config::Overrides::default(),
    )
    .expect("config resolves");
    let report = common::scan(config).await;
    server.abort();
    let left: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("was not removed"))
        .collect();
    assert!(
        left.iter()
            .any(|w| w.contains("account prodready-not-an-email") && w.contains("/register")),
        "{:?} {:#?}",
        report.warnings,
        report.probes
    );
    // The scorecard lists it for removal by hand.
    let card = prodready::report::render(
        &report,
        prodready::report::Format::Table,
        &prodready::report::Style::plain(),
    );
    assert!(card.contains("Left in the app by the scan"), "{card}");
}
