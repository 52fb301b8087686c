//! Item 11 against the test app: error-triggering values in the fields of login, form
//! and JSON bodies. A quote in the login email (JSON and form) and in a form-only search
//! form is found and reported with the endpoint, the field and the value; the hardened
//! app gets the same bodies and leaks nothing.

use prodready::model::{Finding, Item, Status};
use prodready::report::Report;

use crate::common;

const BODY_FIELD: &str = "errors.body-field-leak";

fn body_field_findings<'a>(report: &'a Report, path: &str) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| {
            f.probe == BODY_FIELD
                && url::Url::parse(&f.location.url).is_ok_and(|u| u.path() == path)
        })
        .collect()
}

fn request_bodies(f: &Finding) -> Vec<&str> {
    f.evidence
        .iter()
        .filter_map(|e| e.request.body.as_deref())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_in_the_login_email_is_reported_for_both_login_styles() {
    let server = common::app("login-sql-error").await;
    let passwords = common::passwords(&server);
    let emails: Vec<String> = server.accounts().iter().map(|a| a.email.clone()).collect();
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    assert_eq!(
        report.item(Item::ErrorHandling).map(|i| i.status),
        Some(Status::Fail)
    );
    for (path, quoted) in [("/api/auth/login", "'@"), ("/login", "%27%40")] {
        let found = body_field_findings(&report, path);
        assert_eq!(found.len(), 1, "{path}: {found:#?}");
        let f = found[0];
        assert_eq!(f.location.method, "POST");
        assert!(
            f.detail.contains("`email`") && f.detail.contains("single quote"),
            "{}",
            f.detail
        );
        assert!(f.detail.contains("SQLITE_ERROR"), "{}", f.detail);
        let bodies = request_bodies(f);
        assert!(bodies[0].contains(quoted), "{path}: {bodies:?}");
        // A made-up account, never a tenant's: no test account's email or password.
        for body in &bodies {
            assert!(body.contains("prnouser"), "{body}");
            assert!(emails.iter().all(|e| !body.contains(e.as_str())), "{body}");
        }
        assert_eq!(f.evidence[0].response.as_ref().map(|r| r.status), Some(500));
    }
    let text = serde_json::to_string(&report).unwrap();
    for p in &passwords {
        assert!(
            !text.contains(p.as_str()),
            "a tenant password is in the report"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_only_search_form_gets_form_bodies_and_the_hardened_app_leaks_nothing() {
    for flaws in ["sql-error", "none"] {
        let server = common::app(flaws).await;
        let report = common::scan(common::config(&server)).await;
        let searches = server
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path_and_query == "/app/projects/search")
            .count();
        server.shutdown().await;
        assert!(searches >= 2, "{flaws}: {searches} search form posts");
        let found = body_field_findings(&report, "/app/projects/search");
        if flaws == "none" {
            let any: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| f.probe == BODY_FIELD)
                .collect();
            assert!(any.is_empty(), "hardened: {any:#?}");
            let errors = report.probes.iter().find(|p| p.probe == "errors").unwrap();
            assert!(
                errors.notes.iter().any(|n| n.contains("body variants")),
                "{:?}",
                errors.notes
            );
            continue;
        }
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = found[0];
        assert!(f.detail.contains("`q`"), "{}", f.detail);
        let body = request_bodies(f)[0];
        // Form-encoded, with the page's CSRF token (redacted) fetched for the session.
        assert!(body.contains("q=prodready%27"), "{body}");
        assert!(body.contains("csrf_token=[REDACTED]"), "{body}");
    }
}
