//! `prodready demo`: the bundled flawed app, started in-process, scanned with its config.

use std::collections::HashMap;

use crate::config::{self, ConfigError, MapSource, Overrides, ProcessSource, ScanConfig};

/// The scan config bundled with the test app.
pub const CONFIG: &str = include_str!("../testserver/scan.toml");

/// Starts the test app on an ephemeral loopback port; with `spa`, also its
/// single-page workspace (`/work`), which only browser discovery finds.
pub async fn start(flaws: testserver::FlawSet, spa: bool) -> anyhow::Result<testserver::Server> {
    testserver::spawn(testserver::Options {
        flaws,
        spa,
        // The demo app checks the origin of cookie-session writes, as Django does over
        // HTTPS; the scanner sends what a browser sends.
        require_origin: true,
        ..Default::default()
    })
    .await
}

/// The environment variables the bundled config reads, as the test app prints them.
pub fn env_for(server: &testserver::Server) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for account in server.accounts() {
        let key = account.key.to_ascii_uppercase().replace('-', "_");
        vars.insert(format!("PRODREADY_{key}_EMAIL"), account.email.clone());
        vars.insert(
            format!("PRODREADY_{key}_PASSWORD"),
            account.password.clone(),
        );
    }
    vars
}

/// The bundled config pointed at `server`, with its credentials injected.
pub fn config(
    server: &testserver::Server,
    overrides: &Overrides,
) -> Result<ScanConfig, ConfigError> {
    let mut raw = config::parse(CONFIG, "testserver/scan.toml")?;
    raw.target.url = server.base_url();
    if overrides.browser {
        // `demo --browser` starts the app with its single-page workspace: show it.
        raw.target.start.push("/work".into());
    }
    let source = MapSource {
        vars: env_for(server),
        fallback: &ProcessSource,
    };
    config::apply_overrides(config::resolve(&raw, &source)?, overrides)
}
