//! Helpers shared by the integration tests.

use prodready::auth::Identities;
use prodready::config::{Overrides, ScanConfig};
use prodready::http::{HttpLayer, HttpSettings, Redactor};
use prodready::report::Report;
use testserver::{FlawSet, Options, Server};

/// An HTTP layer for `config` and its identities, every one logged in.
pub async fn logged_in(config: &ScanConfig) -> (HttpLayer, Identities) {
    let http = HttpLayer::new(
        HttpSettings::from(&config.limits),
        config.scope.clone(),
        Redactor::new(),
    )
    .expect("client");
    let identities = Identities::from_config(config);
    identities.login_all(&http).await.expect("logins");
    (http, identities)
}

/// Starts the test app with the named flaws on 127.0.0.1:0.
pub async fn app(flaws: &str) -> Server {
    testserver::spawn(options(flaws))
        .await
        .expect("test app starts")
}

/// Starts the test app like [`app`], its API tokens signed with `jwt_secret`.
pub async fn app_with_jwt_secret(flaws: &str, jwt_secret: &[u8]) -> Server {
    testserver::spawn(Options {
        jwt_secret: Some(jwt_secret.to_vec()),
        ..options(flaws)
    })
    .await
    .expect("test app starts")
}

/// Starts the test app in a backend mode (`Backend::Supabase`...) with the named flaws.
pub async fn app_in(backend: Option<testserver::Backend>, flaws: &str) -> Server {
    testserver::spawn(Options {
        backend,
        ..options(flaws)
    })
    .await
    .expect("test app starts")
}

fn options(flaws: &str) -> Options {
    Options {
        flaws: FlawSet::parse(flaws).expect("valid flaw list"),
        // Short limiter windows, so a scan can wait out the limits its bursts trip.
        limit_window: std::time::Duration::from_secs(3),
        // Cookie sessions must write the way a browser does (Origin or Referer).
        require_origin: true,
        ..Default::default()
    }
}

/// The bundled demo config pointed at `server`.
pub fn config(server: &Server) -> ScanConfig {
    prodready::demo::config(server, &Overrides::default()).expect("bundled config resolves")
}

/// Runs a full scan and returns its report.
pub async fn scan(config: ScanConfig) -> Report {
    prodready::engine::scan(config, None)
        .await
        .expect("scan runs")
        .report
}

/// Every credential the test app handed out.
pub fn passwords(server: &Server) -> Vec<String> {
    server
        .accounts()
        .iter()
        .map(|a| a.password.clone())
        .collect()
}

/// Where a JSON report breaks the committed schema (`schema/report-v1.json`), one line
/// per error; empty when it validates.
pub fn schema_errors(instance: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/report-v1.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}
