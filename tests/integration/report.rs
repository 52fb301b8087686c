//! The JSON report of a real scan validates against the committed schema and
//! carries no credential.

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_json_validates_and_contains_no_secret() {
    let server = common::app("all").await;
    let config = common::config(&server);
    let result = prodready::engine::scan(config, None)
        .await
        .expect("scan runs");
    let passwords = common::passwords(&server);
    server.shutdown().await;
    let json = prodready::report::render(
        &result.report,
        prodready::report::Format::Json,
        &prodready::report::Style::plain(),
    );

    let instance: serde_json::Value = serde_json::from_str(&json).expect("report is JSON");
    let errors = common::schema_errors(&instance);
    assert!(
        errors.is_empty(),
        "report does not match the schema: {errors:#?}"
    );
    assert_eq!(instance["items"].as_array().map(Vec::len), Some(12));

    for p in passwords {
        assert!(!json.contains(&p), "a password leaked into the report");
    }
    // Bearer tokens of this app are JWTs; none may appear, not even in evidence.
    assert!(!json.contains("eyJ"), "a JWT leaked into the report");
    assert!(
        !json.contains("Bearer ey"),
        "an Authorization header leaked"
    );
}
