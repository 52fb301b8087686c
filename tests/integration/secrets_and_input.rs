//! Items 7 and 8 against the test app: planted secrets are found and shown only
//! redacted in every report format; bad bodies and privileged fields are caught; the
//! hardened app passes both with its publishable key reported as info.

use prodready::model::Severity;
use prodready::model::{Item, Status};
use prodready::report::{Format, Report, Style, render};

use crate::common;

fn probes_of(report: &Report, item: Item) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.item == item && f.severity >= Severity::Medium)
        .map(|f| f.probe.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_are_found_and_never_shown_in_full() {
    let server =
        common::app("secret-in-bundle,secret-in-lazy-chunk,source-map-exposed,dotenv-exposed")
            .await;
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    let found = probes_of(&report, Item::Secrets);
    for probe in [
        "secrets.stripe-live-secret-key",
        "secrets.openai-api-key",
        "secrets.gitlab-token",
        "secrets.database-url",
        "exposed.dotenv",
    ] {
        assert!(found.iter().any(|p| p == probe), "{probe} not in {found:?}");
    }
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.probe == "bundle.source-map-exposed"),
        "the source map itself is reported"
    );
    let stripe = report
        .findings
        .iter()
        .find(|f| f.probe == "secrets.stripe-live-secret-key")
        .expect("stripe finding");
    assert!(
        stripe.detail.contains("sk_live_…[redacted sha256:"),
        "{}",
        stripe.detail
    );
    let matched = stripe.evidence[0].matched.as_deref().unwrap_or("");
    assert!(matched.contains("[redacted sha256:"), "{matched}");
    // The evidence excerpt shows the same redacted form where the key stood.
    let body = &stripe.evidence[0].response.as_ref().expect("response").body;
    assert!(body.contains("sk_live_…[redacted sha256:"), "{body}");
    for format in [Format::Json, Format::Table] {
        let text = render(&report, format, &Style::plain());
        for secret in testserver::planted_secrets() {
            assert!(
                !text.contains(secret),
                "{format} report shows a planted secret in full"
            );
            // Not even a recognisable piece of it.
            let mid = secret.len() / 2;
            assert!(
                !text.contains(&secret[mid - 4..mid + 4]),
                "{format} report shows part of a planted secret"
            );
        }
    }
    assert_eq!(
        report.item(Item::Secrets).map(|i| i.status),
        Some(Status::Fail)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_app_passes_items_7_and_8_with_its_publishable_key_as_info() {
    let server = common::app("none").await;
    let report = common::scan(common::config(&server)).await;
    let requests = server.requests();
    server.shutdown().await;
    let pk = report
        .findings
        .iter()
        .find(|f| f.probe == "secrets.stripe-publishable-key")
        .expect("the publishable key is reported");
    assert_eq!(pk.severity, Severity::Info);
    assert!(pk.detail.contains("public by design") || pk.title.contains("public by design"));
    for item in [Item::Secrets, Item::InputValidation] {
        assert_eq!(
            report.item(item).map(|i| i.status),
            Some(Status::Pass),
            "{item}: {:?}",
            report.item(item)
        );
    }
    // Malformed bodies were sent, and the lazily loaded reports chunk was read.
    assert!(
        requests
            .iter()
            .any(|r| r.path_and_query.starts_with("/static/chunks/reports.")),
        "the webpack chunk map was followed"
    );
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.contains("was not removed")),
        "{:?}",
        report.warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_and_privileged_fields_fail_item_8() {
    let server = common::app("no-input-validation").await;
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    let found = probes_of(&report, Item::InputValidation);
    assert!(found.iter().any(|p| p == "input.server-error"), "{found:?}");
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.contains("was not removed")),
        "{:?}",
        report.warnings
    );

    let server = common::app("mass-assignment").await;
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    let mass = report
        .findings
        .iter()
        .find(|f| f.probe == "mass.privileged-field-accepted")
        .unwrap_or_else(|| {
            panic!(
                "mass assignment not found: {:#?} {:#?}",
                report.item(Item::InputValidation),
                report.warnings
            )
        });
    assert!(mass.detail.contains("owner_id"), "{}", mass.detail);
    assert_eq!(mass.confidence, prodready::model::Confidence::Confirmed);
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.contains("was not removed")),
        "{:?}",
        report.warnings
    );
}

/// A signup that binds `role` and the platform `staff` flag from its body: the scanner
/// learns `staff` from the identities' own profiles, signs up with it, reads it back
/// on the new account, and compares with a plain signup (every signup is the admin of
/// its new organisation, so `role` is no finding). Both accounts are listed as left
/// behind, and the new account's password appears nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_privilege_taken_at_signup_is_found_and_its_accounts_listed() {
    let server = common::app("signup-role").await;
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    let mass = report.probes.iter().find(|p| p.probe == "mass");
    let signup = report
        .findings
        .iter()
        .find(|f| f.probe == "mass.privileged-field-accepted" && f.detail.contains("signed up"))
        .unwrap_or_else(|| panic!("signup mass assignment not found: {mass:#?}"));
    assert!(signup.detail.contains("staff = true"), "{}", signup.detail);
    assert!(!signup.detail.contains("role ="), "{}", signup.detail);
    assert_eq!(signup.severity, Severity::High);
    assert_eq!(signup.confidence, prodready::model::Confidence::Confirmed);
    assert_eq!(signup.evidence.len(), 2, "{:#?}", signup.evidence);
    assert_eq!(
        report.item(Item::InputValidation).map(|i| i.status),
        Some(Status::Fail)
    );
    let left: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("was not removed") && w.contains("prodready-signup-"))
        .collect();
    assert_eq!(left.len(), 2, "{:#?}", report.warnings);
    let table = render(&report, Format::Table, &Style::plain());
    assert!(table.contains("prodready-signup-"), "{table}");
    let json = serde_json::to_string(&report).expect("serializes");
    assert!(!json.contains("Pr0d!"), "a signup password leaked");
}

/// The hardened app refuses unknown signup and profile fields by name: item 8 passes
/// without a single account made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_signup_is_judged_without_making_an_account() {
    let server = common::app("none").await;
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    let mass = report
        .probes
        .iter()
        .find(|p| p.probe == "mass")
        .expect("mass ran");
    assert!(
        mass.notes
            .iter()
            .any(|n| n.starts_with("signup: refused") && n.contains("by name")),
        "{mass:#?}"
    );
    assert!(
        mass.notes
            .iter()
            .any(|n| n.contains("learned") && n.contains("staff")),
        "{mass:#?}"
    );
    assert!(mass.findings.is_empty(), "{mass:#?}");
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.contains("was not removed")),
        "{:?}",
        report.warnings
    );
}

/// A 3 MiB bundle with an AWS key pair only at its end: over the 1 MiB body cap, under
/// the 8 MiB script cap, so it is read and scanned whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_over_the_body_cap_is_read_whole_up_to_the_script_cap() {
    use axum::Router;
    use axum::routing::get;
    let filler = format!("var filler = \"{}\";\n", "f".repeat(1000)).repeat(3 * 1100);
    let script = format!(
        "{filler}\nconst s3 = {{accessKeyId:\"AKIA1DHODZDOC9IS0J8H\",secretAccessKey:\"NxnyVmihA+2O76UMFxFkM+R5Kjp1vRt/1fjORS+6\"}};\n"
    );
    assert!(script.len() > 3 << 20);
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                axum::response::Html(
                    "<!doctype html><html><head><script src=\"/static/app.js\"></script></head><body>app</body></html>",
                )
            }),
        )
        .route(
            "/static/app.js",
            get(move || {
                let s = script.clone();
                async move { ([("content-type", "application/javascript")], s) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = prodready::config::for_url(
        &format!("http://{addr}/"),
        &prodready::config::Overrides::default(),
    )
    .expect("config");
    assert_eq!(config.limits.body_cap, 1 << 20);
    let report = common::scan(config).await;
    let secrets = report.item(Item::Secrets).expect("item 7");
    assert_eq!(secrets.status, Status::Fail, "{}", secrets.summary);
    assert!(
        probes_of(&report, Item::Secrets)
            .iter()
            .any(|p| p.starts_with("secrets.aws")),
        "{:?}",
        probes_of(&report, Item::Secrets)
    );
    let json = serde_json::to_string(&report).expect("report serialises");
    assert!(!json.contains("NxnyVmihA+2O76UMFxFkM+R5Kjp1vRt/1fjORS+6"));
}
