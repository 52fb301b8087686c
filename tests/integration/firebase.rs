//! The Firebase half of issue 16 against the Firebase-style test app: scope, safety of
//! writes, redaction, and login errors that name their fix.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use prodready::config::{MapSource, Overrides, ProcessSource};
use prodready::report::{Format, Style};

use testserver::{Backend, Server};

use crate::common;

/// A backend the bundle names joins the scope as a backend origin (never as the app's),
/// unless `target.forbid_origins` names it: then it gets no request and the report and
/// the family's notes say why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detected_backend_is_scanned_and_a_forbidden_one_gets_no_request() {
    let server = testserver::spawn(testserver::Options {
        backend: Some(Backend::Firebase),
        backend_listen: Some(SocketAddr::new(Ipv4Addr::new(127, 0, 0, 2).into(), 0)),
        ..Default::default()
    })
    .await
    .expect("Firebase app starts");
    let backend = server.backend_url().expect("a backend");
    // Google's hosts, which the detected project and bucket would imply, are pinned to a
    // closed loopback port: the test sends nothing off this machine.
    let config = |extra: &str| {
        let text = format!(
            "[target]\nurl = \"{}\"\n{extra}\n[firebase]\nfirestore_url = \"http://127.0.0.1:9\"\nstorage_url = \"http://127.0.0.1:9\"\n",
            server.base_url()
        );
        prodready::config::from_text(&text, "t", &ProcessSource, &Overrides::default())
            .expect("config resolves")
    };
    let report = common::scan(config(&format!("forbid_origins = [\"{backend}\"]"))).await;
    let requests = server.backend_requests();
    assert!(
        requests.is_empty(),
        "the backend got {} requests: {:?}",
        requests.len(),
        requests
            .iter()
            .map(|r| &r.path_and_query)
            .collect::<Vec<_>>()
    );
    let named = report
        .backends
        .iter()
        .find(|b| b.kind == "firebase")
        .unwrap_or_else(|| panic!("backend not named: {:?}", report.backends));
    assert_eq!(named.origin, backend);
    assert!(
        named
            .note
            .as_deref()
            .is_some_and(|n| n.contains("target.forbid_origins")),
        "{named:?}"
    );
    let notes: Vec<&String> = report
        .probes
        .iter()
        .filter(|p| p.probe == "firebase")
        .flat_map(|p| &p.notes)
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("databaseURL at http://127.0.0.2") && n.contains("not checked")),
        "{notes:?}"
    );

    // Not forbidden: the database the bundle names is read (anonymously: no logins here).
    let report = common::scan(config("")).await;
    assert!(!server.backend_requests().is_empty());
    let named = report.backends.iter().find(|b| b.kind == "firebase");
    assert!(named.is_some_and(|b| b.in_scope), "{:?}", report.backends);
    server.shutdown().await;
}

/// Every write the scan sent is a sign-in or targets a canary it created, and the
/// users' data is exactly as it was, even where the rules let b write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_touch_only_the_scanners_canaries() {
    let server = common::app_in(Some(Backend::Firebase), "firestore-any-user-writes").await;
    let rtdb = server.firebase_rtdb();
    let notes = server.firebase_ids("notes");
    let profiles = server.firebase_ids("profiles");
    let report = common::scan(common::config(&server)).await;
    let requests = server.backend_requests();
    assert_eq!(
        server.firebase_rtdb(),
        rtdb,
        "the Realtime Database changed"
    );
    assert_eq!(server.firebase_ids("notes"), notes);
    assert_eq!(server.firebase_ids("profiles"), profiles);
    server.shutdown().await;
    let writes: Vec<&str> = requests
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.path_and_query.as_str())
        .collect();
    assert!(
        writes.iter().any(|w| w.contains("/documents/notes/")),
        "{writes:?}"
    );
    for w in &writes {
        assert!(
            w.contains("prodready-canary-") || w.contains("accounts:signInWithPassword"),
            "a write outside the scanner's canaries: {w}"
        );
    }
    // The flaw is reported, and the canary b deleted is accounted for.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.probe == "firebase.firestore-foreign-write"),
        "{:?}",
        report.findings.iter().map(|f| &f.probe).collect::<Vec<_>>()
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

/// Passwords, ID tokens (as bearer tokens and as `?auth=`) and the API key never reach
/// a report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_keys_and_passwords_never_reach_a_report() {
    let server = common::app_in(
        Some(Backend::Firebase),
        "rtdb-any-user-reads,firestore-any-user-writes",
    )
    .await;
    let report = common::scan(common::config(&server)).await;
    let mut secrets: Vec<String> = server
        .accounts()
        .iter()
        .map(|a| a.password.clone())
        .collect();
    secrets.push(server.firebase_api_key().expect("an API key"));
    for r in server.backend_requests() {
        if let Some((_, token)) = r.path_and_query.split_once("auth=") {
            secrets.push(token.split('&').next().unwrap_or_default().to_string());
        }
        for (name, value) in &r.headers {
            if name == "authorization" {
                secrets.push(value.trim_start_matches("Bearer ").to_string());
            }
        }
    }
    server.shutdown().await;
    assert!(secrets.len() > 4, "no token was seen: {}", secrets.len());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.probe == "firebase.rtdb-cross-tenant-read"),
        "the flaw should give evidence with ?auth= URLs"
    );
    // The per-target tables validate against the committed schema.
    let json = prodready::report::render(&report, Format::Json, &Style::plain());
    let instance: serde_json::Value = serde_json::from_str(&json).expect("report is JSON");
    let errors = common::schema_errors(&instance);
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(
        instance["probes"].as_array().is_some_and(|p| p
            .iter()
            .any(|r| r["probe"] == "firebase" && r["tables"].is_array())),
        "no firebase probe run carries tables"
    );
    for format in [Format::Json, Format::Markdown, Format::Html, Format::Sarif] {
        let text = prodready::report::render(&report, format, &Style::plain());
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{format:?} report shows a secret"
            );
        }
    }
}

/// A login the backend refuses names the config key that fixes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_api_key_or_password_names_its_fix() {
    let server = common::app_in(Some(Backend::Firebase), "none").await;
    let mut vars: HashMap<String, String> = prodready::demo::env_for(&server);
    vars.insert(
        "PRODREADY_FIREBASE_API_KEY".into(),
        "AIzaNotTheKeyOfThisProject000000000000".into(),
    );
    let config = config_with(&server, vars.clone());
    let err = prodready::engine::scan(config, None)
        .await
        .err()
        .expect("login fails")
        .to_string();
    assert!(err.contains("firebase.api_key"), "{err}");
    vars = prodready::demo::env_for(&server);
    vars.insert("PRODREADY_B_PASSWORD".into(), "wrong-password".into());
    let err = prodready::engine::scan(config_with(&server, vars), None)
        .await
        .err()
        .expect("login fails")
        .to_string();
    assert!(err.contains("identities.b.login.email"), "{err}");
    assert!(!err.contains("wrong-password"), "{err}");
    server.shutdown().await;

    // Without [firebase] api_key, the config itself is refused, naming the key.
    let text = "[target]\nurl = \"http://127.0.0.1:9\"\n[identities.a.login]\nkind = \"firebase\"\nemail = \"a@x.test\"\npassword = \"${PW}\"\n";
    let source = MapSource {
        vars: [("PW".to_string(), "pw".to_string())].into_iter().collect(),
        fallback: &ProcessSource,
    };
    let err = prodready::config::from_text(text, "t", &source, &Overrides::default())
        .expect_err("config refused")
        .to_string();
    assert!(err.contains("firebase.api_key"), "{err}");
}

/// A Firebase login whose Auth host the config forbids stops the scan before any
/// request reaches it, naming the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_at_a_forbidden_auth_host_names_the_key_and_sends_nothing() {
    let server = common::app_in(Some(Backend::Firebase), "none").await;
    let mut config = config_with(&server, prodready::demo::env_for(&server));
    let backend = url::Url::parse(&server.backend_url().expect("a backend")).unwrap();
    config.scope = config.scope.clone().forbidding(&[backend]);
    let err = prodready::engine::scan(config, None)
        .await
        .err()
        .expect("the scan stops")
        .to_string();
    assert!(err.contains("target.forbid_origins"), "{err}");
    assert_eq!(server.backend_requests().len(), 0);
    server.shutdown().await;
}

fn config_with(server: &Server, vars: HashMap<String, String>) -> prodready::config::ScanConfig {
    let mut raw = prodready::config::parse(prodready::demo::FIREBASE_CONFIG, "scan-firebase.toml")
        .expect("bundled config parses");
    raw.target.url = server.base_url();
    let backend = server.backend_url().expect("a backend");
    let f = raw.firebase.get_or_insert_with(Default::default);
    f.auth_url = Some(format!("{backend}/identitytoolkit.googleapis.com"));
    f.firestore_url = Some(backend.clone());
    f.storage_url = Some(backend);
    let source = MapSource {
        vars,
        fallback: &ProcessSource,
    };
    prodready::config::resolve(&raw, &source).expect("config resolves")
}
