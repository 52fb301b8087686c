//! Items 1, 3, 5, 9 and 10: the scanner writes only to what it created, cleans up, and says
//! `not-tested` (naming the key) when the identities it needs are missing.

use std::collections::BTreeSet;

use prodready::model::{Item, Status};
use serde_json::Value;

use crate::common;

/// Logs in through the app's JSON API and returns a bearer token.
async fn token(client: &reqwest::Client, server: &testserver::Server, key: &str) -> String {
    let account = server.account(key).unwrap();
    let resp: Value = client
        .post(format!("{}/api/auth/login", server.base_url()))
        .json(&serde_json::json!({"email": account.email, "password": account.password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    resp["access_token"].as_str().unwrap().to_string()
}

/// Every object of the tenant, as `collection/id -> body`.
async fn objects(
    client: &reqwest::Client,
    server: &testserver::Server,
    token: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (collection, key) in [
        ("projects", "id"),
        ("invoices", "id"),
        ("documents", "slug"),
    ] {
        let list: Value = client
            .get(format!("{}/api/{collection}?limit=100", server.base_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = list
            .as_object()
            .and_then(|o| o.values().find_map(Value::as_array))
            .cloned()
            .unwrap_or_default();
        for item in items {
            let id = match &item[key] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let mut stable = item.clone();
            if let Some(o) = stable.as_object_mut() {
                o.remove("updated_at");
            }
            out.push((format!("/api/{collection}/{id}"), stable.to_string()));
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scan_writes_only_to_its_own_objects_and_removes_them() {
    let server = common::app("none").await;
    let client = reqwest::Client::new();
    let (ta, tb) = (
        token(&client, &server, "a-admin").await,
        token(&client, &server, "b-admin").await,
    );
    let before_a = objects(&client, &server, &ta).await;
    let before_b = objects(&client, &server, &tb).await;
    let seeded: BTreeSet<String> = before_a
        .iter()
        .chain(&before_b)
        .map(|(path, _)| path.clone())
        .collect();

    let report = common::scan(common::config(&server)).await;
    assert!(report.gate.passed, "{:?}", report.gate);

    // No delete ever reached a seeded object, and the only writes to one were no-op
    // replays (the object sent back as read), which the checks below prove changed
    // nothing. The scanner's own user accounts may get no-op role writes too.
    let writes: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE"))
        .map(|r| (r.method, r.path_and_query))
        .collect();
    assert!(
        !writes.is_empty(),
        "the scan should have exercised write replays"
    );
    for (method, path) in &writes {
        let path = path.split('?').next().unwrap();
        assert!(
            method != "DELETE" || !seeded.contains(path),
            "the scanner deleted {path}, which it did not create"
        );
    }
    assert!(
        writes
            .iter()
            .any(|(_, p)| seeded.contains(p.split('?').next().unwrap())),
        "no-op write replays should have reached seeded objects: {writes:?}"
    );
    // Nothing changed, nothing was left behind.
    assert_eq!(
        objects(&client, &server, &ta).await,
        before_a,
        "tenant a's objects changed"
    );
    assert_eq!(
        objects(&client, &server, &tb).await,
        before_b,
        "tenant b's objects changed"
    );
    // Both tenants made their canaries, the form-login one too: the app refuses
    // cookie-session writes without an Origin or Referer, as Django does over HTTPS.
    assert!(
        report.warnings.iter().all(|w| !w.starts_with("canary as")),
        "{:?}",
        report.warnings
    );
    assert!(
        report.warnings.iter().all(|w| !w.contains("not removed")),
        "{:?}",
        report.warnings
    );
    // The pass is earned: the report says what was replayed.
    let tenant = report
        .probes
        .iter()
        .find(|p| p.probe == "tenant")
        .expect("tenant probe ran");
    assert!(
        tenant.notes.iter().any(|n| n.contains("replayed")),
        "{:?}",
        tenant.notes
    );
    assert!(tenant.checks >= 10, "only {} replays", tenant.checks);
    // Per direction, in numbers: reads, no-op writes and canary writes, and the ids' sources.
    for (owner, caller) in [("a", "b"), ("b", "a")] {
        let pair = tenant
            .replays
            .iter()
            .find(|r| r.owner.as_str() == owner && r.caller.as_str() == caller)
            .unwrap_or_else(|| panic!("no replay {caller} -> {owner}: {:?}", tenant.replays));
        assert!(pair.reads > 0, "{pair:?}");
        assert!(pair.noop_writes > 0, "{pair:?}");
        assert!(pair.canary_writes > 0, "{pair:?}");
        assert!(pair.id_sources.values().sum::<u32>() > 0, "{pair:?}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_noop_writes_nothing_the_scanner_did_not_create_is_written() {
    let server = common::app("none").await;
    let client = reqwest::Client::new();
    let (ta, tb) = (
        token(&client, &server, "a-admin").await,
        token(&client, &server, "b-admin").await,
    );
    let seeded: BTreeSet<String> = objects(&client, &server, &ta)
        .await
        .into_iter()
        .chain(objects(&client, &server, &tb).await)
        .map(|(path, _)| path)
        .collect();
    let mut config = common::config(&server);
    config.noop_writes = false;
    let report = common::scan(config).await;
    assert!(report.gate.passed, "{:?}", report.gate);
    for r in server.requests() {
        let path = r.path_and_query.split('?').next().unwrap().to_string();
        assert!(
            !matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE") || !seeded.contains(&path),
            "the scanner sent {} to {path}, which it did not create",
            r.method
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_identities_make_items_not_tested_naming_the_key() {
    let server = common::app("all").await;
    let mut raw = prodready::config::parse(prodready::demo::CONFIG, "scan.toml").unwrap();
    raw.target.url = server.base_url();
    for name in ["b", "admin", "member"] {
        raw.identities.remove(name);
    }
    raw.transactions = Default::default();
    raw.audit = None;
    let source = prodready::config::MapSource {
        vars: prodready::demo::env_for(&server),
        fallback: &prodready::config::ProcessSource,
    };
    let config = prodready::config::resolve(&raw, &source).unwrap();
    let report = common::scan(config).await;
    server.shutdown().await;
    for (item, key) in [
        (Item::TenantIsolation, "identities.b"),
        (Item::ServerSideFiltering, "identities.b"),
        (Item::Authorization, "identities.admin"),
    ] {
        let r = report.item(item).unwrap();
        assert_eq!(r.status, Status::NotTested, "{item}: {r:?}");
        assert!(r.summary.contains(key), "{item}: {}", r.summary);
    }
}

/// A resource with no JSON API (pages and forms only): canaries are made through its
/// "new" form, replayed through its page, edit form and delete form as the other
/// tenant, and removed through the owner's delete form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_only_objects_are_replayed_through_their_forms_both_ways() {
    let server = common::app("idor-form").await;
    let report = common::scan(common::config(&server)).await;
    let requests = server.requests();
    server.shutdown().await;
    let on_notes: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.location.url.contains("/app/notes/"))
        .map(|f| f.probe.as_str())
        .collect();
    for probe in [
        "tenant.read-replay",
        "tenant.write-replay",
        "tenant.delete-replay",
    ] {
        assert!(on_notes.contains(&probe), "{probe} missing: {on_notes:?}");
    }
    assert!(
        requests
            .iter()
            .any(|r| r.method == "POST" && r.path_and_query == "/app/notes"),
        "no note was created through the form"
    );

    let server = common::app("none").await;
    let report = common::scan(common::config(&server)).await;
    let requests = server.requests();
    server.shutdown().await;
    assert_eq!(
        report.item(Item::TenantIsolation).map(|i| i.status),
        Some(Status::Pass)
    );
    let tenant = report
        .probes
        .iter()
        .find(|p| p.probe == "tenant")
        .expect("tenant probe ran");
    for pair in &tenant.replays {
        assert!(
            pair.id_sources.get("form canary").copied().unwrap_or(0) > 0,
            "{pair:?}"
        );
    }
    // Every note the scan made was deleted through its delete form (the cleanup reads
    // each back and lists what it could not remove).
    let created = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path_and_query == "/app/notes")
        .count();
    assert!(created >= 2, "{created} notes created");
    assert!(
        report.warnings.iter().all(|w| !w.contains("not removed")),
        "{:?}",
        report.warnings
    );
}
