//! Backend modes: the app as AI app builders make it, a single-page front end on its
//! own origin whose bundle wires a backend-as-a-service client, and the backend on a
//! second origin (a second loopback port), so the scanner's scope is real.
//!
//! [`Kind::Supabase`]: "Notable", notes and attachments on a Supabase-compatible
//! backend ([`supabase`]); the bundle calls `createClient(URL, ANON_KEY)` the way
//! generated Vite apps do, and the browser talks to the backend directly.
//!
//! [`Kind::Firebase`]: "Jotter", notes on Firebase Auth, the Realtime Database,
//! Firestore and Storage ([`firebase`]); the bundle calls `initializeApp(firebaseConfig)`
//! and the backend answers Google's REST paths (Auth at the emulator's path).

pub(crate) mod firebase;
pub(crate) mod supabase;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::flaws::{Flaw, FlawSet};
use crate::recorder::Recorder;
use crate::{Account, Options, Server};

/// Which backend a mode puts behind the front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Supabase,
    Firebase,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[Kind::Supabase, Kind::Firebase];

    /// `supabase` or `firebase`, as `prodready demo --backend` names it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Supabase => "supabase",
            Kind::Firebase => "firebase",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// The backend listener of a running backend mode.
pub(crate) struct Running {
    pub kind: Kind,
    pub addr: SocketAddr,
    pub recorder: Arc<Recorder>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The Supabase project, for tests that look at its rows and keys directly.
    pub supabase: Option<Arc<supabase::Project>>,
    /// The Firebase project, for tests that look at its data directly.
    pub firebase: Option<Arc<firebase::Project>>,
}

/// The front end's file names, hashed like a Vite build's.
const BUNDLE_PATH: &str = "/assets/index-4f9c2b7e.js";

struct Front {
    flaws: FlawSet,
    backend_url: String,
    anon_key: String,
    service_key: String,
}

/// Starts a backend mode: the backend on one loopback port, the front end on another.
pub(crate) async fn spawn(kind: Kind, opts: &Options) -> anyhow::Result<Server> {
    match kind {
        Kind::Supabase => spawn_supabase(opts).await,
        Kind::Firebase => firebase::spawn(opts).await,
    }
}

/// The backend's listener: `opts.backend_listen`, else a free port on the front end's
/// address.
pub(crate) async fn bind_backend(opts: &Options) -> anyhow::Result<TcpListener> {
    let addr = opts
        .backend_listen
        .unwrap_or_else(|| SocketAddr::new(opts.listen.ip(), 0));
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the backend on {addr}"))
}

async fn serve(
    listener: TcpListener,
    app: Router,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
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
    (stop, task)
}

async fn spawn_supabase(opts: &Options) -> anyhow::Result<Server> {
    let backend_listener = bind_backend(opts).await?;
    let backend_addr = backend_listener.local_addr()?;
    let backend_url = format!("http://{backend_addr}");
    let passwords = [
        crate::auth::password::random_password(20),
        crate::auth::password::random_password(20),
        crate::auth::password::random_password(20),
    ];
    let project = Arc::new(supabase::Project::new(
        opts.flaws,
        backend_url.clone(),
        passwords,
    )?);
    let accounts: Vec<Account> = project
        .users
        .iter()
        .zip(["a-user", "b-user"])
        .map(|(u, key)| Account {
            key,
            email: u.email.clone(),
            password: u.password.clone(),
            role: "member",
            org_slug: u.email.split('@').nth(1).unwrap_or("").to_string(),
        })
        .collect();
    let backend_app = supabase::router(project.clone());
    let front = Arc::new(Front {
        flaws: opts.flaws,
        backend_url,
        anon_key: project.anon_key.clone(),
        service_key: project.service_key.clone(),
    });
    let front_app = Router::new()
        .route("/", get(index))
        .route(BUNDLE_PATH, get(bundle))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .with_state(front.clone())
        .layer(axum::middleware::from_fn_with_state(
            front.clone(),
            front_headers,
        ));
    serve_mode(
        opts,
        Mode {
            kind: Kind::Supabase,
            accounts,
            backend_listener,
            backend_app,
            front_app,
            supabase: Some(project),
            firebase: None,
        },
    )
    .await
}

/// A backend mode ready to serve: its routers, and the project tests look into.
pub(crate) struct Mode {
    pub kind: Kind,
    pub accounts: Vec<Account>,
    pub backend_listener: TcpListener,
    pub backend_app: Router,
    pub front_app: Router,
    pub supabase: Option<Arc<supabase::Project>>,
    pub firebase: Option<Arc<firebase::Project>>,
}

/// Serves a backend mode: the backend on its listener, the front end on `opts.listen`,
/// each recording what it receives.
pub(crate) async fn serve_mode(opts: &Options, mode: Mode) -> anyhow::Result<Server> {
    let recorded = |app: Router| {
        let recorder = Arc::new(Recorder::new());
        let app = app.layer(axum::middleware::from_fn_with_state(
            recorder.clone(),
            crate::recorder::record_into,
        ));
        (app, recorder)
    };
    let backend_addr = mode.backend_listener.local_addr()?;
    let (backend_app, backend_recorder) = recorded(mode.backend_app);
    let (backend_stop, backend_task) = serve(mode.backend_listener, backend_app).await;
    let (front_app, recorder) = recorded(mode.front_app);
    let listener = TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding {}", opts.listen))?;
    let addr = listener.local_addr()?;
    let (stop, task) = serve(listener, front_app).await;
    Ok(Server {
        addr,
        accounts: mode.accounts,
        recorder,
        stop: Some(stop),
        task: Some(task),
        backend: Some(Running {
            kind: mode.kind,
            addr: backend_addr,
            recorder: backend_recorder,
            stop: Some(backend_stop),
            task: Some(backend_task),
            supabase: mode.supabase,
            firebase: mode.firebase,
        }),
    })
}

/// A front end's headers: a strict CSP whose `connect-src` names the backend, and the
/// rest of the hardened app's set (every backend mode's front end sends them).
pub(crate) fn harden_front(h: &mut axum::http::HeaderMap, backend_url: &str) {
    let csp = format!(
        "default-src 'self'; script-src 'self'; connect-src 'self' {backend_url}; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    for (name, value) in [
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("cache-control", "no-cache"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// The Supabase front end's headers (see [`harden_front`]).
async fn front_headers(
    State(front): State<Arc<Front>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut resp = next.run(req).await;
    harden_front(resp.headers_mut(), &front.backend_url);
    resp
}

async fn index() -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Notable</title>\n<meta name=\"application-name\" content=\"Notable\">\n\
         <script type=\"module\" crossorigin src=\"{BUNDLE_PATH}\"></script>\n</head>\n\
         <body><div id=\"root\"></div></body>\n</html>\n"
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// The main chunk of a generated app: the client is made once from two constants, and
/// screens call `.from(table)`, `.storage.from(bucket)` and `.rpc(name)` on it.
async fn bundle(State(front): State<Arc<Front>>) -> Response {
    let mut js = format!(
        "const Ls=window.supabase.createClient;\
         const Xe=\"{url}\",Ye=\"{key}\";\
         const sb=Ls(Xe,Ye,{{auth:{{storage:localStorage,persistSession:!0,autoRefreshToken:!0}}}});\
         async function login(e,t){{return sb.auth.signInWithPassword({{email:e,password:t}})}}\
         async function notes(){{const{{data:e}}=await sb.from(\"notes\").select(\"*\").order(\"created_at\",{{ascending:!1}});return e}}\
         async function addNote(e){{return sb.from(\"notes\").insert({{title:e.title,body:e.body}}).select()}}\
         async function profile(e){{return sb.from(\"profiles\").select(\"id,email,display_name\").eq(\"id\",e).single()}}\
         async function files(e){{return sb.storage.from(\"attachments\").list(e+\"/\")}}\
         async function count(){{return sb.rpc(\"my_note_count\")}}",
        url = front.backend_url,
        key = front.anon_key,
    );
    if front.flaws.contains(Flaw::ServiceRoleKeyInBundle) {
        // The admin screen a builder generated "to manage users".
        js.push_str(&format!(
            "const Ze=\"{key}\";const adminSb=Ls(Xe,Ze);\
             async function allUsers(){{return adminSb.from(\"profiles\").select(\"*\")}}",
            key = front.service_key
        ));
    }
    js.push_str("export{login,notes,addNote,profile,files,count};\n");
    crate::bundle::javascript(js)
}
