//! `prodready demo`: the bundled flawed app, started in-process, scanned with its config.

use std::collections::HashMap;

use crate::config::{self, ConfigError, MapSource, Overrides, ProcessSource, ScanConfig};

/// The scan config bundled with the test app.
pub const CONFIG: &str = include_str!("../testserver/scan.toml");

/// The scan config of the test app's Supabase mode (`--backend supabase`).
pub const SUPABASE_CONFIG: &str = include_str!("../testserver/scan-supabase.toml");

/// The scan config of the test app's Firebase mode (`--backend firebase`).
pub const FIREBASE_CONFIG: &str = include_str!("../testserver/scan-firebase.toml");

/// The bundled config of a backend mode (or of the Ledgerline app), with its file name.
pub fn config_text(backend: Option<testserver::Backend>) -> (&'static str, &'static str) {
    match backend {
        None => (CONFIG, "testserver/scan.toml"),
        Some(testserver::Backend::Supabase) => (SUPABASE_CONFIG, "testserver/scan-supabase.toml"),
        Some(testserver::Backend::Firebase) => (FIREBASE_CONFIG, "testserver/scan-firebase.toml"),
    }
}

/// Starts the test app on an ephemeral loopback port.
pub async fn start(flaws: testserver::FlawSet) -> anyhow::Result<testserver::Server> {
    start_with(flaws, None, false).await
}

/// Starts the test app, in a backend mode when `backend` names one; with `spa`, also
/// its single-page workspace (`/work`), which only browser discovery finds.
pub async fn start_with(
    flaws: testserver::FlawSet,
    backend: Option<testserver::Backend>,
    spa: bool,
) -> anyhow::Result<testserver::Server> {
    testserver::spawn(testserver::Options {
        flaws,
        backend,
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
    if let Some(key) = server.firebase_api_key() {
        vars.insert("PRODREADY_FIREBASE_API_KEY".into(), key);
    }
    vars
}

/// The bundled config pointed at `server`, with its credentials injected.
pub fn config(
    server: &testserver::Server,
    overrides: &Overrides,
) -> Result<ScanConfig, ConfigError> {
    let (text, name) = config_text(server.backend());
    let mut raw = config::parse(text, name)?;
    raw.target.url = server.base_url();
    if server.backend() == Some(testserver::Backend::Firebase)
        && let Some(backend) = server.backend_url()
    {
        // Google's API hosts, here the one loopback backend in the emulators' URL layout.
        let firebase = raw.firebase.get_or_insert_with(Default::default);
        firebase.auth_url = Some(format!("{backend}/identitytoolkit.googleapis.com"));
        firebase.firestore_url = Some(backend.clone());
        firebase.storage_url = Some(backend);
    }
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

/// `all` for one app: that app's flaws only (the Ledgerline app's when `backend` is `None`).
pub fn flaws_of(
    flaws: testserver::FlawSet,
    backend: Option<testserver::Backend>,
) -> testserver::FlawSet {
    flaws.iter().filter(|f| f.backend() == backend).collect()
}

/// Refuses a flaw of another app than the one the demo runs, naming the flag that fits.
pub fn check_flaws_fit(
    flaws: testserver::FlawSet,
    backend: Option<testserver::Backend>,
) -> Result<(), String> {
    match flaws.iter().find(|f| f.backend() != backend) {
        None => Ok(()),
        Some(flaw) => Err(match flaw.backend() {
            Some(b) => format!(
                "flaw `{flaw}` belongs to the {} mode: add --backend {}",
                b.name(),
                b.name()
            ),
            None => format!("flaw `{flaw}` belongs to the main app, not to the --backend mode"),
        }),
    }
}
