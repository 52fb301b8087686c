//! `prodready demo`: the bundled flawed app, started in-process, scanned with its config.

use std::collections::HashMap;

use crate::config::{self, ConfigError, MapSource, Overrides, ProcessSource, ScanConfig};

/// The scan config bundled with the test app.
pub const CONFIG: &str = include_str!("../testserver/scan.toml");

/// Starts the test app on an ephemeral loopback port.
pub async fn start(flaws: testserver::FlawSet) -> anyhow::Result<testserver::Server> {
    testserver::spawn(testserver::Options {
        flaws,
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
    let source = MapSource {
        vars: env_for(server),
        fallback: &ProcessSource,
    };
    config::apply_overrides(config::resolve(&raw, &source)?, overrides)
}

// MERGE NOTE (issue 16): the Firebase-style demo app (`prodready demo --backend firebase`).

/// The scan config bundled with the Firebase-style app.
pub const FIREBASE_CONFIG: &str = include_str!("../testserver/firebase.toml");

/// Starts the Firebase-style app (front end and backend) on ephemeral loopback ports.
pub async fn start_firebase(
    flaws: testserver::FlawSet,
) -> anyhow::Result<testserver::baas::firebase::FirebaseServer> {
    testserver::baas::firebase::spawn(testserver::baas::firebase::FirebaseOptions {
        flaws,
        ..Default::default()
    })
    .await
}

/// The environment variables the bundled Firebase config reads.
pub fn firebase_env_for(
    server: &testserver::baas::firebase::FirebaseServer,
) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for account in server.accounts() {
        let key = account.key.to_ascii_uppercase();
        vars.insert(format!("PRODREADY_{key}_EMAIL"), account.email.clone());
        vars.insert(
            format!("PRODREADY_{key}_PASSWORD"),
            account.password.clone(),
        );
    }
    vars.insert(
        "PRODREADY_FIREBASE_API_KEY".into(),
        server.api_key().to_string(),
    );
    vars
}

/// The bundled Firebase config pointed at `server` (front end and backend).
pub fn firebase_config(
    server: &testserver::baas::firebase::FirebaseServer,
    overrides: &Overrides,
) -> Result<ScanConfig, ConfigError> {
    let mut raw = config::parse(FIREBASE_CONFIG, "testserver/firebase.toml")?;
    raw.target.url = server.base_url();
    let backend = server.backend_url();
    let firebase = raw.firebase.get_or_insert_with(Default::default);
    firebase.auth_url = Some(format!("{backend}/identitytoolkit.googleapis.com"));
    firebase.firestore_url = Some(backend.clone());
    firebase.storage_url = Some(backend);
    let source = MapSource {
        vars: firebase_env_for(server),
        fallback: &ProcessSource,
    };
    config::apply_overrides(config::resolve(&raw, &source)?, overrides)
}

/// Which app a demo runs: the flaws of the other app are refused by name.
pub fn check_flaws_fit(
    flaws: testserver::FlawSet,
    backend: Option<testserver::Backend>,
) -> Result<(), String> {
    for flaw in flaws.iter() {
        if flaw.backend() != backend {
            return Err(match flaw.backend() {
                Some(testserver::Backend::Firebase) => format!(
                    "flaw `{flaw}` belongs to the Firebase-style app: add --backend firebase"
                ),
                None => format!("flaw `{flaw}` belongs to the main app, not to the --backend app"),
            });
        }
    }
    Ok(())
}

/// `all` for one app: the flaws of that app only.
pub fn flaws_of(
    flaws: testserver::FlawSet,
    backend: Option<testserver::Backend>,
) -> testserver::FlawSet {
    flaws.iter().filter(|f| f.backend() == backend).collect()
}
