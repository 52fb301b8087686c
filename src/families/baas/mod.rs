//! Backends-as-a-service the app's client talks to directly (Supabase, Firebase),
//! tested as two tenants.
//!
//! Apps built by AI app builders are mostly a single-page front end on a backend
//! whose only tenant boundary is its row policies (Supabase's Row Level Security) or
//! security rules (Firebase). The client must ship the backend's URL and public key,
//! so [`detect`] finds them there; the backend's origin then joins the scan's scope
//! (unless `target.forbid_origins` names it) and the report names it.
//!
//! | file | what |
//! |---|---|
//! | [`detect`] | the backend from the client: Supabase URL and key, Firebase web config |
//! | [`supabase`] | the `supabase` family: tables, rows and writes as anon, A and B; RPC; storage; signup |
//! | [`firebase`] | the `firebase` family: Realtime Database paths, Firestore collections and the Storage bucket as anon, A and B; canary writes |
//!
//! Each backend is its own family (its own probe-id prefix), so they can grow apart.

pub mod detect;
pub mod firebase;
pub mod supabase;

use url::Url;

use crate::config::{FirebaseSettings, Login, ScanConfig};
use crate::http::{HttpLayer, Request, Session};
use crate::model::IdentityId;
use detect::{Backend, Detector, FirebaseProject, KeyKind, SupabaseKey, SupabaseProject};

/// The backends the app's client talks to, and what it asks them for (the engine
/// hands them to the families in their context).
#[derive(Debug, Clone, Default)]
pub struct Backends {
    pub known: Vec<KnownBackend>,
    /// Tables, functions and buckets the client's code names.
    pub names: detect::ClientNames,
    /// Keys that bypass RLS found in the client, with the URL that served each.
    pub secret_keys: Vec<(SupabaseKey, String)>,
}

/// A backend the scan knows of, and whether it joined the scope.
#[derive(Debug, Clone)]
pub struct KnownBackend {
    pub backend: Backend,
    /// Where its requests go (see [`origins_of`]); the first names it in the report.
    pub origins: Vec<Url>,
    /// Whether its origins joined the scope (any of them, for Firebase).
    pub in_scope: bool,
    /// Why it stayed out of scope.
    pub note: Option<String>,
}

/// The origins requests to a backend go to: the Supabase project; a Firebase project's
/// Realtime Database, and the Firestore and Storage hosts (`[firebase]`, Google's by
/// default) when its web config names a project and a bucket.
pub fn origins_of(backend: &Backend, firebase: &FirebaseSettings) -> Vec<Url> {
    match backend {
        Backend::Supabase(p) => vec![p.url.clone()],
        Backend::Firebase(p) => {
            let mut out: Vec<Url> = p.database_url.iter().cloned().collect();
            if p.project_id.is_some() {
                out.push(firebase.firestore_url.clone());
            }
            if p.storage_bucket.is_some() {
                out.push(firebase.storage_url.clone());
            }
            out
        }
    }
}

/// Scripts read at most before login to find the project a Supabase login needs.
const MAX_EARLY_SCRIPTS: usize = 12;

/// Before login: a `kind = "supabase"` login that leaves `project` or `anon_key` out
/// takes them from the app's client (its start page, scripts and their chunks), and
/// the project's origin joins the scope. A configured project joins it too: the
/// config names it; so does Firebase Auth's host for a `kind = "firebase"` login.
/// Errors name the config keys that fix them.
pub async fn ready_logins(
    http: &HttpLayer,
    config: &mut ScanConfig,
    detector: &Detector,
) -> Result<(), String> {
    let needs = |c: &ScanConfig| {
        c.identities.iter().any(|i| {
            matches!(&i.login, Login::Supabase { project, anon_key, .. } if project.is_none() || anon_key.is_none())
        })
    };
    if needs(config) && supabase_projects(detector).is_empty() {
        read_client(http, config, detector).await;
    }
    let found = supabase_projects(detector);
    for identity in &mut config.identities {
        let id = identity.id;
        let Login::Supabase {
            project, anon_key, ..
        } = &mut identity.login
        else {
            continue;
        };
        let pick = found
            .iter()
            .find(|p| project.as_ref().is_none_or(|u| *u == p.url));
        if project.is_none() {
            *project = pick.map(|p| p.url.clone());
        }
        if anon_key.is_none() {
            *anon_key = pick
                .and_then(|p| p.key.as_ref())
                .filter(|k| k.kind.is_public())
                .map(|k| k.value.clone());
        }
        let Some(url) = project.clone() else {
            return Err(format!(
                "identities.{id} logs in with kind = \"supabase\", but no Supabase project was found in the app's client; set identities.{id}.login.project (and anon_key)"
            ));
        };
        if anon_key.is_none() {
            return Err(format!(
                "identities.{id}: no anon or publishable key for {url} was found in the app's client; set identities.{id}.login.anon_key"
            ));
        }
        http.admit_backend(&url).map_err(|e| {
            format!(
                "identities.{id} logs in at the Supabase project {url}, but {e}; {}",
                e.fix()
            )
        })?;
    }
    // Firebase Auth's host (Identity Toolkit, `firebase.auth_url`) is where a
    // `kind = "firebase"` login signs in: the config names it by naming the login.
    for identity in &config.identities {
        let id = identity.id;
        if let Login::Firebase { auth_url, .. } = &identity.login {
            http.admit_backend(auth_url).map_err(|e| {
                format!(
                    "identities.{id} signs in through Firebase Auth at {auth_url}, but {e}; {}",
                    e.fix()
                )
            })?;
        }
    }
    Ok(())
}

fn supabase_projects(detector: &Detector) -> Vec<SupabaseProject> {
    detector
        .backends()
        .into_iter()
        .filter_map(|b| match b {
            Backend::Supabase(p) if p.key.as_ref().is_some_and(|k| k.kind.is_public()) => Some(p),
            _ => None,
        })
        .collect()
}

/// Reads the start pages and the scripts they load (and their chunks), anonymously and
/// bounded; the detector watching the HTTP layer does the rest.
async fn read_client(http: &HttpLayer, config: &ScanConfig, detector: &Detector) {
    let session = Session::new(IdentityId::Anonymous);
    let mut scripts: Vec<Url> = Vec::new();
    for page in config.start.iter().take(3) {
        let Ok(resp) = http.send(&session, Request::get(page.clone())).await else {
            continue;
        };
        if resp.is_html() {
            let parsed = crate::discover::html::parse_page(&resp.url, &resp.text());
            scripts.extend(parsed.scripts);
        }
    }
    let mut read = 0;
    let mut seen = std::collections::HashSet::new();
    while let Some(url) = scripts.pop() {
        if read >= MAX_EARLY_SCRIPTS || !supabase_projects(detector).is_empty() {
            break;
        }
        if !http.scope().contains(&url) || !seen.insert(url.clone()) {
            continue;
        }
        read += 1;
        let req = Request::get(url.clone())
            .header("Accept", "*/*")
            .body_cap(config.limits.script_cap);
        if let Ok(resp) = http.send(&session, req).await
            && resp.is_success()
        {
            scripts.extend(crate::discover::scripts::read_script(&resp.url, &resp.text()).chunks);
        }
    }
}

/// After discovery: every backend the client named, every Supabase project a login
/// uses, and the Firebase project `[firebase]` names, joins the scope unless
/// `target.forbid_origins` names it.
pub fn admit(http: &HttpLayer, config: &ScanConfig, detector: &Detector) -> Backends {
    Backends {
        known: admit_known(http, config, detector),
        names: detector.client_names(),
        secret_keys: detector.secret_keys(),
    }
}

fn admit_known(http: &HttpLayer, config: &ScanConfig, detector: &Detector) -> Vec<KnownBackend> {
    let mut backends = detector.backends();
    for identity in &config.identities {
        if let Login::Supabase {
            project: Some(url),
            anon_key,
            ..
        } = &identity.login
            && !backends
                .iter()
                .any(|b| matches!(b, Backend::Supabase(p) if p.url == *url))
        {
            backends.push(Backend::Supabase(SupabaseProject {
                url: url.clone(),
                key: anon_key.as_ref().map(|k| SupabaseKey {
                    value: k.clone(),
                    kind: detect::classify_key(k).unwrap_or(KeyKind::Anon),
                }),
                found_in: "config".to_string(),
            }));
        }
    }
    if let Some(p) = configured_firebase(&config.firebase) {
        match backends.iter_mut().find_map(|b| match b {
            Backend::Firebase(f) if f.project_id == p.project_id || p.project_id.is_none() => {
                Some(f)
            }
            _ => None,
        }) {
            // The config's word wins; the client's fills the rest.
            Some(found) => {
                found.api_key = p.api_key.or(found.api_key.take());
                found.database_url = p.database_url.or(found.database_url.take());
                found.storage_bucket = p.storage_bucket.or(found.storage_bucket.take());
            }
            None => backends.push(Backend::Firebase(p)),
        }
    }
    backends
        .into_iter()
        .map(|backend| {
            // Public by design or not, no report needs to show a key's value.
            match &backend {
                Backend::Supabase(p) => {
                    if let Some(k) = &p.key {
                        http.redactor().add(&k.value);
                    }
                }
                Backend::Firebase(p) => {
                    if let Some(k) = &p.api_key {
                        http.redactor().add(k);
                    }
                }
            }
            let origins = origins_of(&backend, &config.firebase);
            if origins.is_empty() {
                return KnownBackend {
                    backend,
                    origins,
                    in_scope: false,
                    note: Some("no origin to reach it by".to_string()),
                };
            }
            let mut in_scope = false;
            let mut refused = Vec::new();
            for url in &origins {
                match http.admit_backend(url) {
                    Ok(_) => in_scope = true,
                    Err(e) => refused.push(format!("{e}; {}", e.fix())),
                }
            }
            KnownBackend {
                backend,
                origins,
                in_scope,
                note: (!refused.is_empty()).then(|| refused.join("; ")),
            }
        })
        .collect()
}

/// The Firebase project `[firebase]` names (a project id or a database URL), if any.
fn configured_firebase(settings: &FirebaseSettings) -> Option<FirebaseProject> {
    if settings.project_id.is_none() && settings.database_url.is_none() {
        return None;
    }
    Some(FirebaseProject {
        api_key: settings.api_key.clone(),
        project_id: settings.project_id.clone(),
        database_url: settings.database_url.clone(),
        storage_bucket: settings.storage_bucket.clone(),
        found_in: "config".to_string(),
        ..FirebaseProject::default()
    })
}
