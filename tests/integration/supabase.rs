//! The `supabase` family against the test app's Supabase mode: the backend joins the
//! scope only when the client names it (and never when forbidden), writes touch only the
//! scanner's own rows, keys and tokens stay out of the report, and the report shows per
//! table what each identity read and wrote.

use std::collections::HashMap;

use prodready::config::{MapSource, Overrides, ProcessSource, ScanConfig};
use prodready::model::{IdentityId, Item, Status};
use testserver::{Backend, Server};

use crate::common;

/// The bundled Supabase config pointed at `server`, with `extra` TOML appended to its
/// `[target]` table.
fn config_with(server: &Server, target_extra: &str) -> Result<ScanConfig, String> {
    let (text, _) = prodready::demo::config_text(Some(Backend::Supabase));
    let text = text.replacen(
        "[target]\nurl = \"http://127.0.0.1:8080\"\n",
        &format!(
            "[target]\nurl = \"{}\"\n{target_extra}\n",
            server.base_url()
        ),
        1,
    );
    let vars: HashMap<String, String> = prodready::demo::env_for(server);
    let source = MapSource {
        vars,
        fallback: &ProcessSource,
    };
    prodready::config::from_text(&text, "scan-supabase.toml", &source, &Overrides::default())
        .map_err(|e| e.to_string())
}

/// An anonymous scan of the front end (no identities), with `target_extra` in `[target]`.
fn anonymous_config(server: &Server, target_extra: &str) -> ScanConfig {
    let text = format!(
        "[target]\nurl = \"{}\"\n{target_extra}\n[limits]\nrate = 2000\nconcurrency = 16\n",
        server.base_url()
    );
    prodready::config::from_text(&text, "t", &ProcessSource, &Overrides::default())
        .expect("config resolves")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_the_client_names_is_scanned_and_a_forbidden_one_gets_no_request() {
    let server = common::app_in(Some(Backend::Supabase), "none").await;
    let backend = server.backend_url().expect("a backend");

    // Forbidden: not one request reaches it, and the report says why.
    let config = anonymous_config(&server, &format!("forbid_origins = [\"{backend}\"]"));
    let report = common::scan(config).await;
    assert_eq!(
        server.backend_requests().len(),
        0,
        "a forbidden backend was requested"
    );
    let named = report.backends.iter().find(|b| b.origin == backend);
    let named = named.unwrap_or_else(|| panic!("backend not named: {:?}", report.backends));
    assert!(!named.in_scope);
    assert!(
        named
            .note
            .as_deref()
            .is_some_and(|n| n.contains("target.forbid_origins")),
        "{named:?}"
    );

    // Detected in the bundle: it joins the scope and is named with where it was found.
    let report = common::scan(anonymous_config(&server, "")).await;
    let named = report.backends.iter().find(|b| b.origin == backend);
    let named = named.unwrap_or_else(|| panic!("backend not named: {:?}", report.backends));
    assert!(named.in_scope, "{named:?}");
    assert!(named.found_in.contains("/assets/"), "{named:?}");
    assert_eq!(named.key.as_deref(), Some("anon key (JWT, role anon)"));
    assert!(!server.backend_requests().is_empty());

    // A supabase login cannot reach a forbidden project: the scan stops, naming the key.
    let config = config_with(&server, &format!("forbid_origins = [\"{backend}\"]")).unwrap();
    let before = server.backend_requests().len();
    let err = match prodready::engine::scan(config, None).await {
        Ok(_) => panic!("the scan ran against a forbidden project"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("target.forbid_origins"), "{err}");
    assert_eq!(server.backend_requests().len(), before);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_goes_to_a_backend_no_client_names() {
    // The Ledgerline app's client names no backend; a Supabase backend runs next to it.
    let app = common::app("none").await;
    let other = common::app_in(Some(Backend::Supabase), "none").await;
    let report = common::scan(common::config(&app)).await;
    assert!(report.backends.is_empty(), "{:?}", report.backends);
    assert_eq!(other.backend_requests().len(), 0);
    assert!(
        report.probes.iter().all(|p| p.probe != "supabase"),
        "the supabase family reported on an app without Supabase"
    );
    app.shutdown().await;
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_touch_only_the_scanners_rows_and_every_canary_is_removed() {
    // With RLS off, every write the scanner tries succeeds: what it changed must be its own.
    let server = common::app_in(Some(Backend::Supabase), "rls-off-notes").await;
    let notes = server.supabase_rows("notes");
    let profiles = server.supabase_rows("profiles");
    let objects = server.supabase_objects();
    let report = common::scan(common::config(&server)).await;
    assert_eq!(
        report.item(Item::TenantIsolation).map(|i| i.status),
        Some(Status::Fail)
    );
    assert_eq!(
        server.supabase_rows("notes"),
        notes,
        "a row the scanner did not create changed, or a canary stayed"
    );
    assert_eq!(server.supabase_rows("profiles"), profiles);
    assert_eq!(server.supabase_objects(), objects);
    // Every write names one row by its key or by the scanner's marker.
    for r in server.backend_requests() {
        if matches!(r.method.as_str(), "PATCH" | "DELETE")
            && r.path_and_query.starts_with("/rest/v1/")
        {
            let q = r.path_and_query.split_once('?').map_or("", |(_, q)| q);
            assert!(
                q.contains("=eq."),
                "an unfiltered write: {} {}",
                r.method,
                r.path_and_query
            );
            let seeded = notes.iter().chain(&profiles).any(|row| {
                row.get("id")
                    .map(|id| id.to_string().trim_matches('"').to_string())
                    .is_some_and(|id| q.ends_with(&format!("=eq.{id}")))
            });
            assert!(
                !seeded,
                "a write aimed at a seeded row: {}",
                r.path_and_query
            );
        }
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_shows_tables_per_identity_and_hides_every_key() {
    let server = common::app_in(Some(Backend::Supabase), "service-role-key-in-bundle").await;
    let (anon, service) = server.supabase_keys().expect("keys");
    let report = common::scan(common::config(&server)).await;
    assert_eq!(
        report.item(Item::Secrets).map(|i| i.status),
        Some(Status::Fail)
    );
    let json = prodready::report::render(
        &report,
        prodready::report::Format::Json,
        &prodready::report::Style::plain(),
    );
    for secret in [anon.as_str(), service.as_str()]
        .into_iter()
        .chain(server.accounts().iter().map(|a| a.password.as_str()))
    {
        assert!(
            !json.contains(secret),
            "a key or password leaked into the report"
        );
    }
    assert!(!json.contains("eyJ"), "a JWT leaked into the report");

    let instance: serde_json::Value = serde_json::from_str(&json).unwrap();
    let errors = common::schema_errors(&instance);
    assert!(errors.is_empty(), "{errors:#?}");

    let notes = report
        .probes
        .iter()
        .flat_map(|p| &p.tables)
        .find(|t| t.name == "notes")
        .expect("notes checked");
    let read_by = |id: IdentityId| {
        notes
            .reads
            .iter()
            .find(|r| r.identity == id)
            .and_then(|r| r.rows)
    };
    assert_eq!(read_by(IdentityId::Anonymous), Some(0));
    assert_eq!(read_by(IdentityId::A), Some(2));
    assert_eq!(read_by(IdentityId::B), Some(2));
    assert!(
        notes
            .writes
            .iter()
            .any(|w| w.identity == IdentityId::B && !w.changed)
    );
    assert!(
        notes.cleanup.iter().any(|c| c.contains("deleted by a")),
        "{:?}",
        notes.cleanup
    );
    let markdown = prodready::report::render(
        &report,
        prodready::report::Format::Markdown,
        &prodready::report::Style::plain(),
    );
    assert!(markdown.contains("### Backends"), "{markdown}");
    assert!(markdown.contains("table `notes`"), "{markdown}");
    server.shutdown().await;
}
