//! Signing in through the app's own sign-in form (`discovery.browser_sign_in`): the
//! test app's help desk (`spa_memory_session`) keeps its session in memory, so only a
//! browser that types the identity's credentials into the form the app renders reaches
//! the API its signed-in UI calls; the sign-in's own POSTs are the only writes sent.

use std::collections::BTreeSet;

use prodready::auth::Identities;
use prodready::config::{Login, ScanConfig, Secret};
use prodready::discover::{Inventory, Origin};
use prodready::model::IdentityId;
use testserver::{Options, Server};

use crate::browser::chromium_present;
use crate::common;

const SIGN_IN: &str = "/api/desk/auth/sign-in";
const REFRESH: &str = "/api/desk/auth/refresh";

async fn desk_app() -> Server {
    testserver::spawn(Options {
        spa_memory_session: true,
        require_origin: true,
        ..Default::default()
    })
    .await
    .expect("test app starts")
}

fn desk_config(server: &Server, sign_in: bool) -> ScanConfig {
    let mut config = common::config(server);
    let base = url::Url::parse(&server.base_url()).expect("base URL");
    config.start = vec![base.join("/desk").expect("route")];
    config.browser.enabled = true;
    config.browser.max_pages = 6;
    config.browser.sign_in = sign_in;
    config
}

/// The desk API (its sign-in and renewal aside) that answered `id` with 2xx, found by
/// the browser.
fn desk_api(inventory: &Inventory, id: IdentityId) -> BTreeSet<String> {
    inventory
        .endpoints()
        .filter(|e| e.pattern.starts_with("/api/desk/") && !e.pattern.starts_with("/api/desk/auth"))
        .filter(|e| e.origins.contains(&Origin::Browser))
        .filter(|e| {
            e.observations
                .iter()
                .any(|o| o.identity == id && (200..300).contains(&o.status))
        })
        .map(|e| format!("{} {}", e.method, e.pattern))
        .collect()
}

async fn discover(config: &ScanConfig, identities: &Identities) -> Inventory {
    let http = prodready::http::HttpLayer::new(
        prodready::http::HttpSettings::from(&config.limits),
        config.scope.clone(),
        prodready::http::Redactor::new(),
    )
    .expect("client");
    // Identities whose login fails (a wrong password on purpose) carry on logged out.
    let _ = identities.login_all(&http).await;
    prodready::discover::discover(&http, identities, config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_signs_in_through_the_apps_form_and_finds_the_signed_in_api() {
    if !chromium_present("the_browser_signs_in_through_the_apps_form_and_finds_the_signed_in_api") {
        return;
    }
    let server = desk_app().await;
    let config = desk_config(&server, true);
    let identities = Identities::from_config(&config);
    let before = server.requests().len();
    let inventory = discover(&config, &identities).await;

    for id in [IdentityId::A, IdentityId::B] {
        let found = desk_api(&inventory, id);
        // The reports view is a plain link: a page load, where the app renews its
        // in-memory session from the refresh cookie the sign-in set.
        for want in [
            "GET /api/desk/inbox",
            "GET /api/desk/tickets",
            "GET /api/desk/tickets/{id}",
            "GET /api/desk/reports",
        ] {
            assert!(found.contains(want), "{id}: {want} not in {found:#?}");
        }
    }
    assert!(
        desk_api(&inventory, IdentityId::Anonymous).is_empty(),
        "anonymous has no password to sign in with"
    );
    let summary = inventory.browser.summary.clone().expect("browser summary");
    assert!(
        summary.signed_in.contains(&IdentityId::A) && summary.signed_in.contains(&IdentityId::B),
        "{summary:?}"
    );
    assert!(!summary.signed_in.contains(&IdentityId::Anonymous));
    // The page's "Mark all read" button (and the anonymous page's sign-in) are held.
    assert!(summary.held_writes > 0, "{summary:?}");

    // The only writes the server saw from the scan: the logins, the sign-ins through
    // the form and the renewals. A renewal carried the refresh cookie the sign-in's
    // answer set.
    let received: Vec<_> = server.requests().into_iter().skip(before).collect();
    let posts: Vec<&str> = received
        .iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD" && r.method != "OPTIONS")
        .map(|r| r.path_and_query.as_str())
        .collect();
    for path in &posts {
        assert!(
            [SIGN_IN, REFRESH, "/api/auth/login", "/login"].contains(path),
            "a write the page attempted was sent: {path} (all: {posts:?})"
        );
    }
    assert!(posts.contains(&SIGN_IN), "{posts:?}");
    let renewed_with_cookie = received.iter().any(|r| {
        r.path_and_query == REFRESH
            && r.headers
                .iter()
                .any(|(n, v)| n == "cookie" && v.contains("desk_refresh="))
    });
    assert!(renewed_with_cookie, "no renewal carried the refresh cookie");
    // The app's session stays the browser's: nothing of it reaches the identities'
    // own sessions, which the probes use.
    for identity in identities.all() {
        let leaked = identity
            .session
            .with_jar(|j| j.get("desk_refresh").is_some());
        assert!(
            !leaked,
            "{}'s session got the browser's cookie",
            identity.id
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_browser_sign_in_or_with_a_wrong_password_the_signed_in_api_stays_hidden() {
    if !chromium_present(
        "without_browser_sign_in_or_with_a_wrong_password_the_signed_in_api_stays_hidden",
    ) {
        return;
    }
    let server = desk_app().await;
    let config = desk_config(&server, false);
    let before = server.requests().len();
    let inventory = discover(&config, &Identities::from_config(&config)).await;
    for id in [IdentityId::A, IdentityId::B] {
        let found = desk_api(&inventory, id);
        assert!(found.is_empty(), "{id} without signing in: {found:#?}");
    }
    let summary = inventory.browser.summary.clone().expect("browser summary");
    assert!(summary.signed_in.is_empty(), "{summary:?}");
    let signed: Vec<_> = server
        .requests()
        .into_iter()
        .skip(before)
        .filter(|r| r.path_and_query == SIGN_IN)
        .collect();
    assert!(signed.is_empty(), "browser_sign_in = false still signed in");

    // Tenant B's password is wrong for the browser: its sign-in fails once, is named
    // in the inventory's notes, and the walk carries on; A still signs in.
    let mut config = desk_config(&server, true);
    for identity in &mut config.identities {
        if identity.id == IdentityId::B
            && let Login::Form { password, .. } = &mut identity.login
        {
            *password = Secret::new("not-b-s-password-1");
        }
    }
    let inventory = discover(&config, &Identities::from_config(&config)).await;
    assert!(desk_api(&inventory, IdentityId::B).is_empty());
    assert!(desk_api(&inventory, IdentityId::A).contains("GET /api/desk/inbox"));
    let note = inventory
        .truncated
        .iter()
        .find(|t| t.contains("browser as b: signing in through the app's sign-in form failed"));
    let note = note.unwrap_or_else(|| panic!("no note in {:#?}", inventory.truncated));
    assert!(note.contains("401"), "{note}");
    assert!(!note.contains("not-b-s-password-1"), "{note}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_that_signs_in_never_reports_the_password() {
    if !chromium_present("a_scan_that_signs_in_never_reports_the_password") {
        return;
    }
    let server = desk_app().await;
    let report = common::scan(desk_config(&server, true)).await;
    let browser = report.inventory.browser.clone().expect("browser section");
    assert!(browser.signed_in.contains(&IdentityId::A), "{browser:?}");
    let json = prodready::report::render(
        &report,
        prodready::report::Format::Json,
        &prodready::report::Style::plain(),
    );
    for password in common::passwords(&server) {
        assert!(
            !json.contains(&password),
            "a password is in the JSON report"
        );
    }
    let instance: serde_json::Value = serde_json::from_str(&json).expect("report is JSON");
    let errors = common::schema_errors(&instance);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(instance["inventory"]["browser"]["signed_in"][0], "a");
    let table = prodready::report::render(
        &report,
        prodready::report::Format::Table,
        &prodready::report::Style::plain(),
    );
    assert!(
        table.contains("signed in through the app's form as a, b"),
        "{table}"
    );
    for password in common::passwords(&server) {
        assert!(!table.contains(&password), "a password is in the table");
    }
    server.shutdown().await;
}
