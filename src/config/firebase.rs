//! `[firebase]`: a Firebase backend's web config and the hosts of Google's APIs
//! (issue 16, the Firebase half).
//!
//! Every value is optional: the scan reads the web config from the app's bundle
//! (`families::baas::detect`). The hosts here are no app origins: the project's
//! services join the scope as backend origins when the client or this table names the
//! project, and Auth's when an identity signs in through it (`families::baas`), unless
//! `target.forbid_origins` names them.

use url::Url;

use super::file::{RawConfig, RawFirebase, RawLogin};
use super::{ConfigError, IdentityConfig, Login, Source, invalid, resolve_plain};

/// Google's production hosts.
pub const DEFAULT_AUTH_URL: &str = "https://identitytoolkit.googleapis.com";
pub const DEFAULT_FIRESTORE_URL: &str = "https://firestore.googleapis.com";
pub const DEFAULT_STORAGE_URL: &str = "https://firebasestorage.googleapis.com";

/// The resolved `[firebase]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirebaseSettings {
    /// The web `apiKey` (public by design, still redacted in reports).
    pub api_key: Option<String>,
    pub project_id: Option<String>,
    pub database_url: Option<Url>,
    pub storage_bucket: Option<String>,
    /// Identity Toolkit base: requests go to `{auth_url}/v1/accounts:...`.
    pub auth_url: Url,
    /// Firestore base: `{firestore_url}/v1/projects/...`.
    pub firestore_url: Url,
    /// Storage base: `{storage_url}/v0/b/{bucket}/o`.
    pub storage_url: Url,
    pub collections: Vec<String>,
    pub paths: Vec<String>,
}

impl Default for FirebaseSettings {
    fn default() -> Self {
        FirebaseSettings {
            api_key: None,
            project_id: None,
            database_url: None,
            storage_bucket: None,
            auth_url: Url::parse(DEFAULT_AUTH_URL).expect("valid URL"),
            firestore_url: Url::parse(DEFAULT_FIRESTORE_URL).expect("valid URL"),
            storage_url: Url::parse(DEFAULT_STORAGE_URL).expect("valid URL"),
            collections: Vec::new(),
            paths: Vec::new(),
        }
    }
}

fn base_url(key: &str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text.trim_end_matches('/')).map_err(|e| {
        invalid(
            key,
            format!("`{text}` is not a URL ({e}); write it like https://firestore.googleapis.com"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(key, format!("`{text}` is not an http(s) URL")));
    }
    Ok(url)
}

/// Whether some identity logs in through Firebase Auth.
pub fn has_firebase_login(raw: &RawConfig) -> bool {
    raw.identities
        .values()
        .any(|i| matches!(i.login, RawLogin::Firebase { .. }))
}

/// Resolves `[firebase]`; absent, the defaults.
pub fn resolve(raw: &RawConfig, source: &dyn Source) -> Result<FirebaseSettings, ConfigError> {
    let d = FirebaseSettings::default();
    let Some(f) = &raw.firebase else {
        if has_firebase_login(raw) {
            return Err(missing_api_key());
        }
        return Ok(d);
    };
    let RawFirebase {
        api_key,
        project_id,
        database_url,
        storage_bucket,
        auth_url,
        firestore_url,
        storage_url,
        collections,
        paths,
    } = f;
    let api_key = api_key
        .as_deref()
        .map(|k| resolve_plain("firebase.api_key", k, source))
        .transpose()?;
    if api_key.is_none() && has_firebase_login(raw) {
        return Err(missing_api_key());
    }
    for (i, c) in collections.iter().enumerate() {
        if c.is_empty() || c.contains('/') {
            return Err(invalid(
                &format!("firebase.collections[{i}]"),
                format!("`{c}` is not a top-level collection id (no slashes)"),
            ));
        }
    }
    Ok(FirebaseSettings {
        api_key,
        project_id: project_id.clone(),
        database_url: database_url
            .as_deref()
            .map(|u| base_url("firebase.database_url", u))
            .transpose()?,
        storage_bucket: storage_bucket.clone(),
        auth_url: match auth_url {
            Some(u) => base_url("firebase.auth_url", u)?,
            None => d.auth_url,
        },
        firestore_url: match firestore_url {
            Some(u) => base_url("firebase.firestore_url", u)?,
            None => d.firestore_url,
        },
        storage_url: match storage_url {
            Some(u) => base_url("firebase.storage_url", u)?,
            None => d.storage_url,
        },
        collections: collections.clone(),
        paths: paths
            .iter()
            .map(|p| p.trim_matches('/').to_string())
            .collect(),
    })
}

fn missing_api_key() -> ConfigError {
    invalid(
        "firebase.api_key",
        "a kind = \"firebase\" login needs the app's web API key: set firebase.api_key to the \
         apiKey of the firebaseConfig in the app's bundle (public by design; ${ENV_VAR} works too)",
    )
}

/// Gives every `kind = "firebase"` login the project's API key and Auth host.
pub fn attach(identities: &mut [IdentityConfig], settings: &FirebaseSettings) {
    for identity in identities {
        if let Login::Firebase {
            api_key, auth_url, ..
        } = &mut identity.login
        {
            *api_key = settings.api_key.clone().unwrap_or_default();
            *auth_url = settings.auth_url.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MapSource, ProcessSource, parse};

    fn resolve_text(text: &str) -> Result<crate::config::ScanConfig, ConfigError> {
        let raw = parse(text, "t")?;
        let source = MapSource {
            vars: [("PW".to_string(), "pw-long-enough".to_string())]
                .into_iter()
                .collect(),
            fallback: &ProcessSource,
        };
        crate::config::resolve(&raw, &source)
    }

    const LOGIN: &str =
        "[identities.a.login]\nkind = \"firebase\"\nemail = \"a@x.test\"\npassword = \"${PW}\"\n";

    #[test]
    fn a_firebase_login_gets_the_key_and_auths_host_which_is_no_app_origin() {
        let text = format!(
            "[target]\nurl = \"https://app.example\"\n[firebase]\napi_key = \"AIzaKey\"\n{LOGIN}"
        );
        let c = resolve_text(&text).unwrap();
        let auth =
            Url::parse("https://identitytoolkit.googleapis.com/v1/accounts:signInWithPassword")
                .unwrap();
        // Backend hosts join the scope during the scan (`Scope::admit_backend`), never as
        // the app's own origins.
        assert!(!c.scope.contains(&auth));
        assert!(
            !c.scope
                .contains(&Url::parse("https://firestore.googleapis.com/v1/x").unwrap())
        );
        match &c.identities[0].login {
            Login::Firebase {
                api_key, auth_url, ..
            } => {
                assert_eq!(api_key, "AIzaKey");
                assert_eq!(auth_url.as_str(), "https://identitytoolkit.googleapis.com/");
            }
            other => panic!("{other:?}"),
        }
        assert!(c.secrets().iter().any(|s| s == "AIzaKey"));
    }

    #[test]
    fn configured_hosts_resolve_and_bad_values_name_their_key() {
        let text = "[target]\nurl = \"https://app.example\"\n[firebase]\nfirestore_url = \"http://127.0.0.1:8080\"\ndatabase_url = \"http://127.0.0.1:9000\"\n";
        let c = resolve_text(text).unwrap();
        assert_eq!(c.firebase.firestore_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(
            c.firebase.database_url.as_ref().map(Url::as_str),
            Some("http://127.0.0.1:9000/")
        );
        assert_eq!(c.scope.backend_origins(), Vec::<String>::new());
        let err = resolve_text(
            "[target]\nurl = \"https://app.example\"\n[firebase]\ndatabase_url = \"nope\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("firebase.database_url"), "{err}");
        let err = resolve_text(
            "[target]\nurl = \"https://app.example\"\n[firebase]\ncollections = [\"a/b\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("firebase.collections[0]"), "{err}");
    }
}
