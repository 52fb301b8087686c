//! `testserver`: a small multi-tenant SaaS app ("Ledgerline": organisations
//! with projects, invoices, documents, orders and coupons) that prodready is
//! demoed and tested against.
//!
//! With no flaws it is a hardened app on which every observable checklist
//! item passes; each [`Flaw`] switches on one realistic weakness that makes
//! exactly one item fail. [`spawn`] starts it in-process on a loopback port.

mod admin;
mod audit;
mod auth;
mod baas;
mod bundle;
mod db;
mod debug;
mod desk;
mod errors;
mod extract;
mod flaws;
mod hardening;
mod html;
mod internal;
mod leaks;
mod notes;
mod openapi;
mod orders;
mod pages;
mod recorder;
mod resources;
mod routes;
mod scale;
mod spa;
mod state;
mod tenants;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use baas::Kind as Backend;

/// The Firebase mode's fixed names (what its bundle's `firebaseConfig` says).
pub mod firebase {
    pub use crate::baas::firebase::{PROJECT_ID, STORAGE_BUCKET};
}
pub use flaws::{Flaw, FlawSet, UnknownFlaw};
pub use leaks::planted_secrets;

use auth::jwt::Jwt;
use auth::password::{Passwords, random_password};
use auth::session::CsrfKey;
use recorder::Recorder;
use state::{AppState, StateParts};

/// How to start the app.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The deliberate flaws to switch on.
    pub flaws: FlawSet,
    /// The off-site partner link of the landing page and the target of
    /// `/go/partner`.
    pub partner_url: String,
    /// The base window of the rate limiters (login 30 per window, signup 10 per ten
    /// windows...). A minute by default; tests shorten it so a scan can wait a limit out.
    pub limit_window: Duration,
    /// Generated endpoints for the scaling benchmark (`--size N`): about N more
    /// (method, pattern) pairs, tenant-scoped and listed in the OpenAPI document. 0 = none.
    pub size: usize,
    /// Refuse a cookie-authenticated write that carries neither `Origin` nor `Referer`,
    /// as Django does over HTTPS ("Referer checking failed - no Referer"). A write whose
    /// `Origin` names another site is refused either way.
    pub require_origin: bool,
    /// The HMAC secret the API's tokens are signed with, when a test names one (a
    /// guessable secret that is on no short list: a word, the app's name and a year).
    /// `None`: a random secret, or the `weak-jwt-secret` flaw's.
    pub jwt_secret: Option<Vec<u8>>,
    /// Also serve the workspace single-page app (`/work`): an HTML shell and a bundle
    /// whose router and API calls (`/api/workspace/...`) exist only in script, so only
    /// a browser discovers them.
    pub spa: bool,
    /// Also serve the help desk single-page app (`/desk`), which keeps its session in
    /// memory: it renders its own sign-in form from script, holds the token in a
    /// variable and renews it from an HttpOnly cookie, and calls its API
    /// (`/api/desk/...`) only once signed in, so only a browser that signs in through
    /// that form discovers it.
    pub spa_memory_session: bool,
    /// Notes the way Rails (`form_with`, `button_to`) and Laravel (`@method`) write
    /// them: the edit and delete forms post to the note's own URL with a hidden
    /// `_method` of `patch` or `delete`, and each organisation starts with a pinned note.
    pub method_override_forms: bool,
    /// A backend mode instead of the Ledgerline app: a single-page front end on
    /// `listen` whose client talks to a backend-as-a-service on a second loopback port.
    pub backend: Option<Backend>,
    /// Where a backend mode's backend listens; `None`: a free port on `listen`'s address.
    pub backend_listen: Option<SocketAddr>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0),
            flaws: FlawSet::none(),
            partner_url: "https://partner.example.com/".to_string(),
            limit_window: Duration::from_secs(60),
            size: 0,
            require_origin: false,
            jwt_secret: None,
            spa: false,
            spa_memory_session: false,
            method_override_forms: false,
            backend: None,
            backend_listen: None,
        }
    }
}

/// A seeded user whose credentials are handed to the scanner.
#[derive(Debug, Clone)]
pub struct Account {
    /// `a-admin`, `a-member`, `b-admin` or `b-member`.
    pub key: &'static str,
    pub email: String,
    /// Random per spawn.
    pub password: String,
    /// `admin` or `member`.
    pub role: &'static str,
    /// The organisation's slug: `acme` (tenant A) or `globex` (tenant B).
    pub org_slug: String,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub at: Instant,
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub peer: SocketAddr,
}

/// A running app. Dropping it stops the server too; [`Server::shutdown`]
/// also waits until the listener is closed.
pub struct Server {
    addr: SocketAddr,
    accounts: Vec<Account>,
    recorder: Arc<Recorder>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    /// The backend listener of a backend mode.
    backend: Option<baas::Running>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field(
                "accounts",
                &self.accounts.iter().map(|a| a.key).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The token signer: a random secret and short lifetime unless a flaw says otherwise.
fn jwt_for(flaws: FlawSet, chosen: Option<&[u8]>) -> anyhow::Result<Jwt> {
    let random = rand::random::<[u8; 32]>();
    let secret: &[u8] = match chosen {
        Some(secret) => secret,
        None if flaws.contains(Flaw::WeakJwtSecret) => auth::jwt::WEAK_SECRET,
        None => &random,
    };
    let ttl = if flaws.contains(Flaw::LongLivedToken) {
        auth::jwt::LONG_TTL_SECS
    } else {
        auth::jwt::TOKEN_TTL_SECS
    };
    Jwt::new(secret, ttl, flaws.contains(Flaw::JwtAlgNone))
}

/// How long a graceful shutdown may wait for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl Server {
    /// `http://IP:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The four seeded accounts: `a-admin`, `a-member`, `b-admin`, `b-member`.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn account(&self, key: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.key == key)
    }

    /// Every request received so far, in arrival order (at most 1,000,000).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.recorder.snapshot()
    }

    /// The backend mode this server runs, if any.
    pub fn backend(&self) -> Option<Backend> {
        self.backend.as_ref().map(|b| b.kind)
    }

    /// `http://IP:PORT` of the backend of a backend mode.
    pub fn backend_url(&self) -> Option<String> {
        self.backend.as_ref().map(|b| format!("http://{}", b.addr))
    }

    /// The Supabase mode's keys: `(anon, service_role)`.
    pub fn supabase_keys(&self) -> Option<(String, String)> {
        let p = self.backend.as_ref()?.supabase.as_ref()?;
        Some((p.anon_key.clone(), p.service_key.clone()))
    }

    /// Every row of a Supabase mode's table as stored, whatever its policies say.
    pub fn supabase_rows(&self, table: &str) -> Vec<serde_json::Value> {
        self.backend
            .as_ref()
            .and_then(|b| b.supabase.as_ref())
            .map(|p| p.rows(table))
            .unwrap_or_default()
    }

    /// `bucket/path` of every object a Supabase mode's storage holds.
    pub fn supabase_objects(&self) -> Vec<String> {
        self.backend
            .as_ref()
            .and_then(|b| b.supabase.as_ref())
            .map(|p| p.object_names())
            .unwrap_or_default()
    }

    /// The Firebase mode's web API key (public by design, in its bundle).
    pub fn firebase_api_key(&self) -> Option<String> {
        Some(self.firebase()?.api_key.clone())
    }

    /// The Firebase mode's whole Realtime Database tree, whatever its rules say.
    pub fn firebase_rtdb(&self) -> serde_json::Value {
        self.firebase().map(|p| p.rtdb_tree()).unwrap_or_default()
    }

    /// The ids of a Firebase mode's Firestore collection's documents.
    pub fn firebase_ids(&self, collection: &str) -> Vec<String> {
        self.firebase()
            .map(|p| p.document_ids(collection))
            .unwrap_or_default()
    }

    /// The Firebase uid of account `key` (`a` or `b`).
    pub fn firebase_uid(&self, key: &str) -> Option<String> {
        self.firebase()?.uid_of(&self.account(key)?.email)
    }

    fn firebase(&self) -> Option<&baas::firebase::Project> {
        self.backend.as_ref()?.firebase.as_deref()
    }

    /// Every request the backend of a backend mode received, in arrival order.
    pub fn backend_requests(&self) -> Vec<RecordedRequest> {
        self.backend
            .as_ref()
            .map(|b| b.recorder.snapshot())
            .unwrap_or_default()
    }

    /// Stop accepting connections, let in-flight requests finish (for at
    /// most a few seconds), and return once the listener is closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(backend) = self.backend.as_mut() {
            if let Some(stop) = backend.stop.take() {
                let _ = stop.send(());
            }
            if let Some(task) = backend.task.take() {
                let _ = tokio::time::timeout(SHUTDOWN_GRACE, task).await;
            }
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(stop) = self.backend.as_mut().and_then(|b| b.stop.take()) {
            let _ = stop.send(());
        }
    }
}

/// Start the app: seed a fresh in-memory database with random passwords,
/// bind `opts.listen`, and serve until [`Server::shutdown`].
pub async fn spawn(opts: Options) -> anyhow::Result<Server> {
    let partner = opts.partner_url.trim().to_string();
    anyhow::ensure!(
        (partner.starts_with("http://") || partner.starts_with("https://"))
            && axum::http::HeaderValue::from_str(&partner).is_ok(),
        "partner URL must be an absolute http(s) URL, got {partner:?}"
    );
    errors::install_panic_hook();
    if let Some(kind) = opts.backend {
        return baas::spawn(kind, &opts).await;
    }

    let passwords: Vec<String> = db::USERS.iter().map(|_| random_password(20)).collect();
    let (hasher, hashes) = {
        let passwords = passwords.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<(Passwords, Vec<String>)> {
            let hasher = Passwords::new()?;
            let hashes = passwords
                .iter()
                .map(|p| hasher.hash(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok((hasher, hashes))
        })
        .await
        .context("hashing seed passwords")??
    };
    let invoice_ids: Vec<String> = (0..db::seeded_invoice_count())
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let conn = db::open_seeded(&hashes, &invoice_ids, &state::now_rfc3339())
        .context("seeding the database")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS app_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    )?;
    if opts.method_override_forms {
        conn.execute(
            "INSERT INTO notes (org_id, author_id, heading, entry, visibility)
             SELECT o.id, (SELECT MIN(u.id) FROM users u WHERE u.org_id = o.id),
                    'Pinned: how we work', 'Read this first.', 'team'
             FROM organizations o",
            [],
        )?;
    }
    let audit_enabled = if opts.flaws.contains(Flaw::NoAuditTrail) {
        "0"
    } else {
        "1"
    };
    conn.execute(
        "INSERT OR REPLACE INTO app_settings (key, value) VALUES ('audit_enabled', ?1)",
        [audit_enabled],
    )?;

    let accounts = db::USERS
        .iter()
        .zip(&passwords)
        .filter_map(|(user, password)| {
            let key = user.account?;
            let org = db::ORGS.iter().find(|o| o.id == user.org_id)?;
            Some(Account {
                key,
                email: user.email.to_string(),
                password: password.clone(),
                role: user.role,
                org_slug: org.slug.to_string(),
            })
        })
        .collect();

    let recorder = Arc::new(Recorder::new());
    let (router, table) = routes::table(opts.flaws, opts.size, opts.spa, opts.spa_memory_session);
    let state = Arc::new(AppState::new(StateParts {
        flaws: opts.flaws,
        partner_url: partner,
        db: conn,
        passwords: hasher,
        jwt: jwt_for(opts.flaws, opts.jwt_secret.as_deref())?,
        limit_window: opts.limit_window,
        csrf: CsrfKey::new(rand::random()),
        routes: table,
        recorder: recorder.clone(),
        size: opts.size,
        require_origin: opts.require_origin,
        method_override_forms: opts.method_override_forms,
    }));
    let app = routes::app(router, state);

    let listener = TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding {}", opts.listen))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });
    Ok(Server {
        addr,
        accounts,
        recorder,
        stop: Some(stop),
        task: Some(task),
        backend: None,
    })
}
