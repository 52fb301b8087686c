//! Discovery through a real browser (`discovery.browser`): the test app's single-page
//! workspace calls its API only from script, so only the browser finds it; every
//! request the browser makes goes through the scanner's HTTP layer.

use std::collections::BTreeSet;

use prodready::config::ScanConfig;
use prodready::discover::{Inventory, Origin};
use prodready::model::IdentityId;
use testserver::{Options, Server};

use crate::common;

/// Whether Chromium is installed; says how to get it when not.
pub(crate) fn chromium_present(test: &str) -> bool {
    let path = std::env::var("PATH").ok();
    match prodready::discover::browser::find_chromium(None, path.as_deref()) {
        Ok(_) => true,
        Err(why) => {
            eprintln!(
                "skipping {test}: {why} (apt-get install chromium runs it; .ci/run installs it)"
            );
            false
        }
    }
}

async fn spa_app() -> Server {
    testserver::spawn(Options {
        spa: true,
        require_origin: true,
        ..Default::default()
    })
    .await
    .expect("test app starts")
}

fn spa_config(server: &Server, browser: bool) -> ScanConfig {
    let mut config = common::config(server);
    let base = url::Url::parse(&server.base_url()).expect("base URL");
    config.start = vec![base.clone(), base.join("/work").expect("route")];
    config.browser.max_pages = 10;
    config.browser.enabled = browser;
    config
}

async fn discover(config: &ScanConfig) -> (Inventory, u64) {
    let (http, identities) = common::logged_in(config).await;
    let inventory = prodready::discover::discover(&http, &identities, config).await;
    (inventory, http.requests_sent())
}

/// The workspace API's patterns in an inventory (method and pattern).
fn workspace(inventory: &Inventory) -> BTreeSet<String> {
    inventory
        .endpoints()
        .filter(|e| e.pattern.starts_with("/api/workspace"))
        .map(|e| format!("{} {}", e.method, e.pattern))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_finds_the_api_that_only_script_calls() {
    if !chromium_present("the_browser_finds_the_api_that_only_script_calls") {
        return;
    }
    let server = spa_app().await;
    let (crawled, _) = discover(&spa_config(&server, false)).await;
    assert!(
        workspace(&crawled).is_empty(),
        "the link crawl and the bundle reader must not see the script-built API: {:?}",
        workspace(&crawled)
    );

    let before = server.requests().len();
    let (browsed, sent) = discover(&spa_config(&server, true)).await;
    let found = workspace(&browsed);
    for want in [
        "GET /api/workspace/session",
        "GET /api/workspace/summary",
        "GET /api/workspace/projects",
        "GET /api/workspace/projects/{id}/activity",
        "GET /api/workspace/preferences",
        "GET /api/workspace/members",
        "POST /api/workspace/projects/{id}/star",
    ] {
        assert!(found.contains(want), "{want} not in {found:#?}");
    }
    for ep in browsed
        .endpoints()
        .filter(|e| e.pattern.starts_with("/api/workspace"))
    {
        assert!(ep.origins.contains(&Origin::Browser), "{ep:?}");
    }
    let summary = browsed.browser.summary.clone().expect("browser summary");
    assert_eq!(summary.status, "ran", "{summary:?}");
    // Only the admin's navigation shows the members view.
    let members = |id| {
        browsed
            .browser
            .pages
            .get(&id)
            .is_some_and(|p| p.iter().any(|u| u.ends_with("/work/members")))
    };
    assert!(members(IdentityId::Admin), "{:#?}", browsed.browser.pages);
    assert!(!members(IdentityId::Member), "{:#?}", browsed.browser.pages);
    assert!(
        summary.api_calls.get(&IdentityId::Admin) > summary.api_calls.get(&IdentityId::Member),
        "{summary:?}"
    );
    // The token identity's token was handed to the page where it looks for it
    // (localStorage), so the app's own script set Authorization, noted by name.
    let key = prodready::model::EndpointKey::new("GET", "/api/workspace/projects");
    assert!(
        browsed
            .browser
            .headers
            .get(&key)
            .is_some_and(|h| h.contains("authorization")),
        "{:?}",
        browsed.browser.headers
    );
    // The page's Star button POSTs: recorded above, held back here.
    assert!(summary.held_writes > 0, "{summary:?}");

    // Everything the server saw came through the scanner's HTTP layer: counted, with
    // its user agent, and no write the page attempted was sent.
    let received: Vec<_> = server.requests().into_iter().skip(before).collect();
    assert_eq!(received.len() as u64, sent, "requests counted by the layer");
    for r in &received {
        let ua = r
            .headers
            .iter()
            .find(|(n, _)| n == "user-agent")
            .map(|(_, v)| v.as_str());
        assert!(
            ua.is_some_and(|u| u.starts_with("prodready/")),
            "{} {} came from elsewhere ({ua:?})",
            r.method,
            r.path_and_query
        );
        assert!(
            !r.path_and_query.ends_with("/star"),
            "a write the page attempted was sent: {} {}",
            r.method,
            r.path_and_query
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_scripts_the_browser_reached_feed_the_page_and_bundle_scans() {
    if !chromium_present("pages_and_scripts_the_browser_reached_feed_the_page_and_bundle_scans") {
        return;
    }
    let server = spa_app().await;
    let base = url::Url::parse(&server.base_url()).expect("base URL");
    let (crawled, _) = discover(&spa_config(&server, false)).await;
    let (browsed, _) = discover(&spa_config(&server, true)).await;

    // Client-side routes the browser navigated are pages the families that work on
    // pages (headers, cookies) visit: once, without fragment, in scope.
    for route in ["/work/projects", "/work/preferences", "/work/members"] {
        let page = base.join(route).expect("route").to_string();
        assert!(
            !crawled.pages.contains(&page),
            "{page} in {:#?}",
            crawled.pages
        );
        assert!(
            browsed.pages.contains(&page),
            "{page} not in {:#?}",
            browsed.pages
        );
    }
    for page in &browsed.pages {
        let u = url::Url::parse(page).expect("page URL");
        assert_eq!(u.origin(), base.origin(), "{page}");
        assert_eq!(u.fragment(), None, "{page}");
    }

    // The chunk the preferences view loads (every identity, a fresh `?v=` each time)
    // is read once, like the crawl's scripts: in the bundle scan's list, its API path
    // in the inventory.
    let chunk = |inv: &Inventory| -> Vec<String> {
        inv.scripts
            .iter()
            .filter(|s| s.contains("/static/workspace/prefs.js"))
            .cloned()
            .collect()
    };
    assert!(chunk(&crawled).is_empty(), "{:#?}", crawled.scripts);
    assert_eq!(chunk(&browsed).len(), 1, "{:#?}", browsed.scripts);
    let bundle = base
        .join("/static/workspace.js")
        .expect("bundle")
        .to_string();
    assert!(browsed.scripts.contains(&bundle), "{:#?}", browsed.scripts);
    let exports = browsed
        .endpoints()
        .find(|e| e.method == "GET" && e.pattern == "/api/workspace/exports")
        .expect("the chunk's API path is in the inventory");
    assert!(exports.origins.contains(&Origin::Script), "{exports:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_chromium_the_scan_runs_as_before_and_says_why() {
    let server = spa_app().await;
    let mut config = spa_config(&server, true);
    config.browser.path = Some("/nonexistent/chromium".into());
    let report = common::scan(config).await;
    let browser = report.inventory.browser.clone().expect("browser section");
    assert_eq!(browser.status, "off");
    let reason = browser.reason.clone().unwrap_or_default();
    assert!(reason.contains("discovery.browser_path"), "{reason}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("browser discovery was off")),
        "{:?}",
        report.warnings
    );
    assert!(report.inventory.endpoints > 10, "the crawl still ran");

    let json = prodready::report::render(
        &report,
        prodready::report::Format::Json,
        &prodready::report::Style::plain(),
    );
    let instance: serde_json::Value = serde_json::from_str(&json).expect("report is JSON");
    let errors = common::schema_errors(&instance);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(instance["inventory"]["browser"]["status"], "off");
    let table = prodready::report::render(
        &report,
        prodready::report::Format::Table,
        &prodready::report::Style::plain(),
    );
    assert!(table.contains("browser: off ("), "{table}");
    server.shutdown().await;
}
