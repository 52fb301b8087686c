//! "Jotter": a notes app built the way AI app builders build on Firebase: a static
//! single-page front end whose bundle calls `initializeApp({apiKey, authDomain,
//! projectId, databaseURL, storageBucket})` and talks straight to the backend, which
//! security rules alone protect.
//!
//! The backend runs on its own listener (its own origin, like Google's hosts), with
//! the REST surfaces a Firebase project exposes, written from their public
//! documentation:
//!
//! - Identity Toolkit (Firebase Auth), at the path the Auth emulator uses
//!   (`/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=API_KEY`,
//!   `accounts:signUp`): <https://firebase.google.com/docs/reference/rest/auth>. ID
//!   tokens are JWTs with `iss` `https://securetoken.google.com/<project>`, `aud` the
//!   project, `sub` and `user_id` the uid, one hour of life (HS256 here: Google signs
//!   with RS256, which changes nothing a client can observe without the key).
//! - Realtime Database REST: any path plus `.json`, `GET`/`PUT`/`PATCH`/`POST`/`DELETE`,
//!   `shallow=true`, the ID token as `?auth=`, and `401 {"error" : "Permission denied"}`
//!   when the rules refuse: <https://firebase.google.com/docs/reference/rest/database>,
//!   <https://firebase.google.com/docs/database/rest/retrieve-data>,
//!   <https://firebase.google.com/docs/database/rest/auth>.
//! - Cloud Firestore REST v1: `/v1/projects/{p}/databases/(default)/documents/{collection}`
//!   (list with `pageSize`/`pageToken` answering `documents` and `nextPageToken`; create
//!   with `POST ...?documentId=`), `.../{collection}/{id}` (get, `PATCH` with
//!   `updateMask.fieldPaths` and `currentDocument.exists`, `DELETE`), documents as
//!   `name`/`fields` (typed values: `{"stringValue": ..}`)/`createTime`/`updateTime`,
//!   the ID token as `Authorization: Bearer`, and Google's error shape
//!   (`{"error": {"code": 403, "message": ..., "status": "PERMISSION_DENIED"}}`):
//!   <https://firebase.google.com/docs/firestore/use-rest-api>,
//!   <https://cloud.google.com/firestore/docs/reference/rest/v1/projects.databases.documents>.
//!   As in Firestore, rules are not filters: a list the rules cannot prove safe for
//!   every document is refused whole.
//! - Cloud Storage for Firebase, the list call the web SDK makes
//!   (`GET /v0/b/{bucket}/o?prefix=&delimiter=/`, `prefixes` and `items`):
//!   <https://firebase.google.com/docs/storage/web/list-files>.
//!
//! The hardened rules let each user reach only their own data (`notes/{uid}` and
//! `profiles/{uid}` in the Realtime Database, `notes` documents whose `owner` is the
//! caller and `profiles/{uid}` in Firestore, `users/{uid}/` in Storage). Each Firebase
//! [`Flaw`] loosens one rule, as a hurried rules file does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::password::random_password;
use crate::flaws::{Flaw, FlawSet};
use crate::state::{now_rfc3339, now_unix};
use crate::{Account, Options, Server};

/// The Firebase project the app is wired to.
pub const PROJECT_ID: &str = "jotter-demo";
/// Where the bundle says files live.
pub const STORAGE_BUCKET: &str = "jotter-demo.appspot.com";
/// ID tokens live an hour, as Firebase's do.
const ID_TOKEN_TTL: i64 = 3600;
/// Documents a list answers at most per page when `pageSize` is absent or larger.
const MAX_PAGE: usize = 300;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct User {
    uid: String,
    email: String,
    password: String,
}

#[derive(Clone)]
struct Doc {
    fields: serde_json::Map<String, Value>,
    create_time: String,
    update_time: String,
}

struct Data {
    rtdb: Value,
    firestore: BTreeMap<String, BTreeMap<String, Doc>>,
    /// Object names in the bucket.
    storage: Vec<String>,
}

/// The backend: its users, data and rules (the flaws).
pub(crate) struct Project {
    flaws: FlawSet,
    /// The web API key of the bundle's `firebaseConfig` (public by design).
    pub api_key: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    users: Mutex<Vec<User>>,
    data: Mutex<Data>,
}

impl Project {
    /// The whole Realtime Database tree.
    pub fn rtdb_tree(&self) -> Value {
        lock(&self.data).rtdb.clone()
    }

    /// The ids of a Firestore collection's documents.
    pub fn document_ids(&self, collection: &str) -> Vec<String> {
        lock(&self.data)
            .firestore
            .get(collection)
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The uid of the user signed up with `email`.
    pub fn uid_of(&self, email: &str) -> Option<String> {
        lock(&self.users)
            .iter()
            .find(|u| u.email == email)
            .map(|u| u.uid.clone())
    }
}

#[derive(Serialize, Deserialize)]
struct IdClaims {
    iss: String,
    aud: String,
    auth_time: i64,
    user_id: String,
    sub: String,
    iat: i64,
    exp: i64,
    email: String,
    email_verified: bool,
    firebase: Value,
}

/// A random web API key in Google's format (`AIza` and 35 more characters).
fn new_api_key() -> String {
    format!("AIza{}", random_password(35))
}

fn new_uid() -> String {
    random_password(28)
}

/// Starts the backend on its own loopback port and the front end on `opts.listen`.
pub(crate) async fn spawn(opts: &Options) -> anyhow::Result<Server> {
    let secret: [u8; 32] = rand::random();
    let api_key = new_api_key();
    let users: Vec<User> = ["a", "b"]
        .iter()
        .map(|k| User {
            uid: new_uid(),
            email: format!("{k}@jotter.test"),
            password: random_password(20),
        })
        .collect();
    let accounts = users
        .iter()
        .zip(["a", "b"])
        .map(|(u, key)| Account {
            key,
            email: u.email.clone(),
            password: u.password.clone(),
            role: "member",
            org_slug: key.to_string(),
        })
        .collect();
    let data = seed(&users);
    let project = Arc::new(Project {
        flaws: opts.flaws,
        api_key: api_key.clone(),
        encoding: EncodingKey::from_secret(&secret)?,
        decoding: DecodingKey::from_secret(&secret)?,
        users: Mutex::new(users),
        data: Mutex::new(data),
    });

    let backend_listener = super::bind_backend(opts).await?;
    let backend_addr = backend_listener.local_addr()?;
    let backend_url = format!("http://{backend_addr}");
    let backend_app = Router::new()
        .fallback(backend_handler)
        .with_state(project.clone());
    let front = Arc::new(Front {
        bundle: bundle(&api_key, &backend_url),
        backend: backend_url,
    });
    let front_app = Router::new().fallback(front_handler).with_state(front);
    super::serve_mode(
        opts,
        super::Mode {
            kind: super::Kind::Firebase,
            accounts,
            backend_listener,
            backend_app,
            front_app,
            supabase: None,
            firebase: Some(project),
        },
    )
    .await
}

/// Each user's notes and profile, in both databases, and a file each in the bucket.
fn seed(users: &[User]) -> Data {
    let now = now_rfc3339();
    let mut notes_tree = serde_json::Map::new();
    let mut profiles_tree = serde_json::Map::new();
    let mut notes = BTreeMap::new();
    let mut profiles = BTreeMap::new();
    let mut storage = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let text = format!("{}'s private note {i}", u.email);
        notes_tree.insert(
            u.uid.clone(),
            json!({ format!("n{i}"): { "owner": u.uid, "text": text } }),
        );
        profiles_tree.insert(
            u.uid.clone(),
            json!({ "email": u.email, "lastSeen": 1_700_000_000 + i }),
        );
        let mut fields = serde_json::Map::new();
        fields.insert("owner".into(), json!({ "stringValue": u.uid }));
        fields.insert("text".into(), json!({ "stringValue": text }));
        notes.insert(
            random_password(20),
            Doc {
                fields,
                create_time: now.clone(),
                update_time: now.clone(),
            },
        );
        let mut profile = serde_json::Map::new();
        profile.insert("email".into(), json!({ "stringValue": u.email }));
        profiles.insert(
            u.uid.clone(),
            Doc {
                fields: profile,
                create_time: now.clone(),
                update_time: now.clone(),
            },
        );
        storage.push(format!("users/{}/avatar.png", u.uid));
    }
    let mut firestore = BTreeMap::new();
    firestore.insert("notes".to_string(), notes);
    firestore.insert("profiles".to_string(), profiles);
    Data {
        rtdb: json!({ "notes": notes_tree, "profiles": profiles_tree }),
        firestore,
        storage,
    }
}

// ---------------------------------------------------------------------------------
// The front end

struct Front {
    bundle: String,
    backend: String,
}

/// The bundle an AI builder generates: the web config inline, Firestore for notes,
/// the Realtime Database for presence, Storage for avatars.
fn bundle(api_key: &str, backend: &str) -> String {
    format!(
        r#""use strict";
import {{ initializeApp }} from "./vendor/firebase-app.js";
import {{ getAuth, signInWithEmailAndPassword, onAuthStateChanged }} from "./vendor/firebase-auth.js";
import {{ getFirestore, collection, doc, getDoc, addDoc, query, where, limit, getDocs }} from "./vendor/firebase-firestore.js";
import {{ getDatabase, ref, onValue, set }} from "./vendor/firebase-database.js";
import {{ getStorage, ref as fileRef, uploadBytes }} from "./vendor/firebase-storage.js";

const firebaseConfig = {{
  apiKey: "{api_key}",
  authDomain: "{PROJECT_ID}.firebaseapp.com",
  projectId: "{PROJECT_ID}",
  databaseURL: "{backend}",
  storageBucket: "{STORAGE_BUCKET}",
  messagingSenderId: "730114962270",
  appId: "1:730114962270:web:4f1c2a9b7d3e5a6c"
}};

const app = initializeApp(firebaseConfig);
const auth = getAuth(app);
const db = getFirestore(app);
const rtdb = getDatabase(app);
const storage = getStorage(app);

export async function login(email, password) {{
  return signInWithEmailAndPassword(auth, email, password);
}}

export async function loadNotes(user) {{
  const q = query(collection(db, "notes"), where("owner", "==", user.uid), limit(50));
  return (await getDocs(q)).docs.map((d) => ({{ id: d.id, ...d.data() }}));
}}

export async function saveNote(user, text) {{
  return addDoc(collection(db, "notes"), {{ owner: user.uid, text }});
}}

export async function loadProfile(user) {{
  return (await getDoc(doc(db, "profiles", user.uid))).data();
}}

export function watchNotes(user, render) {{
  onValue(ref(rtdb, `notes/${{user.uid}}`), (snap) => render(snap.val()));
  set(ref(rtdb, "profiles/" + user.uid + "/lastSeen"), Date.now());
}}

export async function uploadAvatar(user, file) {{
  return uploadBytes(fileRef(storage, `users/${{user.uid}}/avatar.png`), file);
}}

onAuthStateChanged(auth, (user) => {{
  document.getElementById("app").textContent = user ? "Your notes" : "Sign in to see your notes";
}});
"#
    )
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Jotter</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<div id="app">Loading</div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
"#;

async fn front_handler(State(front): State<Arc<Front>>, method: Method, uri: Uri) -> Response {
    let mut resp = match (method.clone(), uri.path()) {
        (Method::GET | Method::HEAD, "/" | "/index.html") => {
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
        }
        (Method::GET | Method::HEAD, "/assets/app.js") => {
            crate::bundle::javascript(front.bundle.clone())
        }
        (Method::GET | Method::HEAD, _) => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Not Found",
        )
            .into_response(),
        _ => (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Method Not Allowed",
        )
            .into_response(),
    };
    // A static host with the headers a careful deploy sets; the page calls the backend.
    super::harden_front(resp.headers_mut(), &front.backend);
    resp
}

// ---------------------------------------------------------------------------------
// The backend: one handler dispatching on the path, as Google's front ends do per host

async fn backend_handler(
    State(b): State<Arc<Project>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = query_pairs(&uri);
    let mut resp = if let Some(rest) = path.strip_prefix("/identitytoolkit.googleapis.com/v1/") {
        b.identity(&method, rest, &query, &body)
    } else if let Some(rest) = path.strip_prefix("/v1/projects/") {
        b.firestore(&method, rest, &query, &headers, &body)
    } else if let Some(rest) = path.strip_prefix("/v0/b/") {
        b.storage(&method, rest, &query, &headers)
    } else if path.ends_with(".json") {
        b.rtdb(&method, &path, &query, &body)
    } else {
        google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found")
    };
    // Google's APIs answer browsers from any origin; the rules are the only boundary.
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

/// Google's API error shape.
fn google_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({ "error": { "code": status.as_u16(), "message": message, "status": code } }),
    )
}

/// Why a request's token was refused.
enum TokenProblem {
    Invalid,
}

impl Project {
    fn flaw(&self, f: Flaw) -> bool {
        self.flaws.contains(f)
    }

    fn issue(&self, user: &User) -> anyhow::Result<String> {
        let now = now_unix();
        let claims = IdClaims {
            iss: format!("https://securetoken.google.com/{PROJECT_ID}"),
            aud: PROJECT_ID.to_string(),
            auth_time: now,
            user_id: user.uid.clone(),
            sub: user.uid.clone(),
            iat: now,
            exp: now + ID_TOKEN_TTL,
            email: user.email.clone(),
            email_verified: false,
            firebase: json!({ "identities": { "email": [user.email] }, "sign_in_provider": "password" }),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The uid of a valid ID token.
    fn verify(&self, token: &str) -> Result<String, TokenProblem> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[PROJECT_ID]);
        v.set_issuer(&[format!("https://securetoken.google.com/{PROJECT_ID}")]);
        jsonwebtoken::decode::<IdClaims>(token, &self.decoding, &v)
            .map(|d| d.claims.user_id)
            .map_err(|_| TokenProblem::Invalid)
    }

    // --- Identity Toolkit -----------------------------------------------------------

    fn identity(
        &self,
        method: &Method,
        rest: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> Response {
        if method != Method::POST {
            return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found");
        }
        if param(query, "key") != Some(self.api_key.as_str()) {
            return google_error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
            );
        }
        let Ok(req) = serde_json::from_slice::<Value>(body) else {
            return google_error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received.",
            );
        };
        let email = req["email"].as_str().unwrap_or_default().to_string();
        let password = req["password"].as_str().unwrap_or_default().to_string();
        let mut users = lock(&self.users);
        let user = match rest {
            "accounts:signInWithPassword" => {
                match users
                    .iter()
                    .find(|u| u.email == email && u.password == password)
                {
                    Some(u) => u,
                    None => {
                        return google_error(
                            StatusCode::BAD_REQUEST,
                            "INVALID_ARGUMENT",
                            "INVALID_LOGIN_CREDENTIALS",
                        );
                    }
                }
            }
            "accounts:signUp" => {
                if users.iter().any(|u| u.email == email) {
                    return google_error(
                        StatusCode::BAD_REQUEST,
                        "INVALID_ARGUMENT",
                        "EMAIL_EXISTS",
                    );
                }
                if password.len() < 6 {
                    return google_error(
                        StatusCode::BAD_REQUEST,
                        "INVALID_ARGUMENT",
                        "WEAK_PASSWORD : Password should be at least 6 characters",
                    );
                }
                users.push(User {
                    uid: new_uid(),
                    email: email.clone(),
                    password,
                });
                users.last().expect("just pushed")
            }
            _ => return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found"),
        };
        let Ok(token) = self.issue(user) else {
            return google_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Internal error",
            );
        };
        json_response(
            StatusCode::OK,
            &json!({
                "kind": "identitytoolkit#VerifyPasswordResponse",
                "localId": user.uid,
                "email": user.email,
                "displayName": "",
                "idToken": token,
                "registered": true,
                "refreshToken": random_password(40),
                "expiresIn": ID_TOKEN_TTL.to_string(),
            }),
        )
    }

    // --- Realtime Database ----------------------------------------------------------

    fn rtdb_can_read(&self, path: &[String], uid: Option<&str>) -> bool {
        self.flaw(Flaw::RtdbOpen)
            || (self.flaw(Flaw::RtdbAnyUserReads) && uid.is_some())
            || owns(path, uid)
    }

    fn rtdb(
        &self,
        method: &Method,
        path: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> Response {
        let denied = || {
            json_response(
                StatusCode::UNAUTHORIZED,
                &json!({ "error": "Permission denied" }),
            )
        };
        let uid = match param(query, "auth") {
            None => None,
            Some(t) => match self.verify(t) {
                Ok(uid) => Some(uid),
                Err(TokenProblem::Invalid) => {
                    return json_response(
                        StatusCode::UNAUTHORIZED,
                        &json!({ "error": "Could not parse auth token." }),
                    );
                }
            },
        };
        let segments: Vec<String> = path
            .trim_end_matches(".json")
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let mut data = lock(&self.data);
        match *method {
            Method::GET => {
                if !self.rtdb_can_read(&segments, uid.as_deref()) {
                    return denied();
                }
                let value = node(&data.rtdb, &segments).cloned().unwrap_or(Value::Null);
                let shallow = param(query, "shallow") == Some("true");
                let value = match value {
                    Value::Object(map) if shallow => {
                        Value::Object(map.keys().map(|k| (k.clone(), Value::Bool(true))).collect())
                    }
                    v => v,
                };
                json_response(StatusCode::OK, &value)
            }
            Method::PUT | Method::PATCH | Method::POST | Method::DELETE => {
                if !owns(&segments, uid.as_deref()) {
                    return denied();
                }
                let value: Value = if *method == Method::DELETE {
                    Value::Null
                } else {
                    match serde_json::from_slice(body) {
                        Ok(v) => v,
                        Err(_) => {
                            return json_response(
                                StatusCode::BAD_REQUEST,
                                &json!({ "error": "Invalid data; couldn't parse JSON object, array, or value." }),
                            );
                        }
                    }
                };
                match *method {
                    Method::PUT | Method::DELETE => {
                        set_node(&mut data.rtdb, &segments, value.clone());
                        json_response(StatusCode::OK, &value)
                    }
                    Method::PATCH => {
                        let Value::Object(children) = &value else {
                            return json_response(
                                StatusCode::BAD_REQUEST,
                                &json!({ "error": "Invalid data; couldn't parse JSON object." }),
                            );
                        };
                        for (k, v) in children {
                            let mut p = segments.clone();
                            p.push(k.clone());
                            set_node(&mut data.rtdb, &p, v.clone());
                        }
                        json_response(StatusCode::OK, &value)
                    }
                    _ => {
                        let name = format!("-N{}", random_password(18));
                        let mut p = segments.clone();
                        p.push(name.clone());
                        set_node(&mut data.rtdb, &p, value);
                        json_response(StatusCode::OK, &json!({ "name": name }))
                    }
                }
            }
            _ => json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({ "error": "Method not allowed" }),
            ),
        }
    }

    // --- Cloud Firestore ------------------------------------------------------------

    fn fs_can_get(&self, collection: &str, id: &str, doc: Option<&Doc>, uid: Option<&str>) -> bool {
        match collection {
            "notes" => {
                self.flaw(Flaw::FirestoreOpenNotes)
                    || (uid.is_some() && doc.and_then(owner_of) == uid)
            }
            "profiles" => uid == Some(id),
            _ => false,
        }
    }

    fn fs_can_change(&self, collection: &str, id: &str, doc: &Doc, uid: Option<&str>) -> bool {
        match collection {
            "notes" => {
                uid.is_some() && (self.flaw(Flaw::FirestoreAnyUserWrites) || owner_of(doc) == uid)
            }
            "profiles" => uid == Some(id),
            _ => false,
        }
    }

    fn fs_can_create(
        &self,
        collection: &str,
        id: &str,
        fields: &serde_json::Map<String, Value>,
        uid: Option<&str>,
    ) -> bool {
        match collection {
            "notes" => {
                uid.is_some() && fields.get("owner").and_then(|o| o["stringValue"].as_str()) == uid
            }
            "profiles" => uid == Some(id),
            _ => false,
        }
    }

    fn firestore(
        &self,
        method: &Method,
        rest: &str,
        query: &[(String, String)],
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let denied = || {
            google_error(
                StatusCode::FORBIDDEN,
                "PERMISSION_DENIED",
                "Missing or insufficient permissions.",
            )
        };
        let decoded = percent_decode(rest);
        let prefix = format!("{PROJECT_ID}/databases/(default)/documents/");
        let Some(doc_path) = decoded.strip_prefix(&prefix) else {
            return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found");
        };
        let uid = match bearer(headers) {
            None => None,
            Some(t) => match self.verify(t) {
                Ok(uid) => Some(uid),
                Err(TokenProblem::Invalid) => {
                    return google_error(
                        StatusCode::UNAUTHORIZED,
                        "UNAUTHENTICATED",
                        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                    );
                }
            },
        };
        let uid = uid.as_deref();
        let parts: Vec<&str> = doc_path.split('/').filter(|s| !s.is_empty()).collect();
        let mut data = lock(&self.data);
        let now = now_rfc3339();
        match (parts.as_slice(), method.clone()) {
            ([collection], Method::GET) => {
                if !(*collection == "notes" && self.flaw(Flaw::FirestoreOpenNotes)) {
                    return denied();
                }
                let size = param(query, "pageSize")
                    .and_then(|s| s.parse::<usize>().ok())
                    .filter(|n| *n > 0)
                    .map_or(MAX_PAGE, |n| n.min(MAX_PAGE));
                let start = param(query, "pageToken")
                    .and_then(|t| t.parse::<usize>().ok())
                    .unwrap_or(0);
                let docs = data.firestore.get(*collection);
                let all: Vec<(&String, &Doc)> =
                    docs.map(|d| d.iter().collect()).unwrap_or_default();
                let page: Vec<Value> = all
                    .iter()
                    .skip(start)
                    .take(size)
                    .map(|(id, d)| doc_json(collection, id, d))
                    .collect();
                let mut answer = serde_json::Map::new();
                if !page.is_empty() {
                    answer.insert("documents".into(), Value::Array(page));
                }
                if start + size < all.len() {
                    answer.insert("nextPageToken".into(), json!((start + size).to_string()));
                }
                json_response(StatusCode::OK, &Value::Object(answer))
            }
            ([collection], Method::POST) => {
                let fields = match fields_of(body) {
                    Ok(f) => f,
                    Err(r) => return *r,
                };
                let id = param(query, "documentId")
                    .map(str::to_string)
                    .unwrap_or_else(|| random_password(20));
                if !self.fs_can_create(collection, &id, &fields, uid) {
                    return denied();
                }
                let col = data.firestore.entry(collection.to_string()).or_default();
                if col.contains_key(&id) {
                    return google_error(
                        StatusCode::CONFLICT,
                        "ALREADY_EXISTS",
                        &format!(
                            "Document already exists: projects/{PROJECT_ID}/databases/(default)/documents/{collection}/{id}"
                        ),
                    );
                }
                let doc = Doc {
                    fields,
                    create_time: now.clone(),
                    update_time: now,
                };
                let answer = doc_json(collection, &id, &doc);
                col.insert(id, doc);
                json_response(StatusCode::OK, &answer)
            }
            ([collection, id], m) => {
                let existing = data
                    .firestore
                    .get(*collection)
                    .and_then(|c| c.get(*id))
                    .cloned();
                let must_exist = param(query, "currentDocument.exists") == Some("true");
                let not_found = || {
                    google_error(
                        StatusCode::NOT_FOUND,
                        "NOT_FOUND",
                        &format!(
                            "No document to update: projects/{PROJECT_ID}/databases/(default)/documents/{collection}/{id}"
                        ),
                    )
                };
                match m {
                    Method::GET => {
                        if !self.fs_can_get(collection, id, existing.as_ref(), uid) {
                            return denied();
                        }
                        match existing {
                            Some(d) => json_response(StatusCode::OK, &doc_json(collection, id, &d)),
                            None => google_error(
                                StatusCode::NOT_FOUND,
                                "NOT_FOUND",
                                &format!(
                                    "Document \"projects/{PROJECT_ID}/databases/(default)/documents/{collection}/{id}\" not found."
                                ),
                            ),
                        }
                    }
                    Method::PATCH => {
                        let fields = match fields_of(body) {
                            Ok(f) => f,
                            Err(r) => return *r,
                        };
                        let mask: Vec<&str> = query
                            .iter()
                            .filter(|(k, _)| k == "updateMask.fieldPaths")
                            .map(|(_, v)| v.as_str())
                            .collect();
                        let updated = match existing {
                            None if must_exist => return not_found(),
                            None => {
                                if !self.fs_can_create(collection, id, &fields, uid) {
                                    return denied();
                                }
                                Doc {
                                    fields,
                                    create_time: now.clone(),
                                    update_time: now,
                                }
                            }
                            Some(mut d) => {
                                if !self.fs_can_change(collection, id, &d, uid) {
                                    return denied();
                                }
                                if mask.is_empty() {
                                    d.fields = fields;
                                } else {
                                    for name in mask {
                                        match fields.get(name) {
                                            Some(v) => {
                                                d.fields.insert(name.to_string(), v.clone());
                                            }
                                            None => {
                                                d.fields.remove(name);
                                            }
                                        }
                                    }
                                }
                                d.update_time = now;
                                d
                            }
                        };
                        let answer = doc_json(collection, id, &updated);
                        data.firestore
                            .entry(collection.to_string())
                            .or_default()
                            .insert(id.to_string(), updated);
                        json_response(StatusCode::OK, &answer)
                    }
                    Method::DELETE => match existing {
                        None if must_exist => not_found(),
                        // Deleting nothing succeeds, as in Firestore.
                        None => json_response(StatusCode::OK, &json!({})),
                        Some(d) => {
                            if !self.fs_can_change(collection, id, &d, uid) {
                                return denied();
                            }
                            if let Some(c) = data.firestore.get_mut(*collection) {
                                c.remove(*id);
                            }
                            json_response(StatusCode::OK, &json!({}))
                        }
                    },
                    _ => google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found"),
                }
            }
            _ => google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found"),
        }
    }

    // --- Cloud Storage for Firebase -------------------------------------------------

    fn storage(
        &self,
        method: &Method,
        rest: &str,
        query: &[(String, String)],
        headers: &HeaderMap,
    ) -> Response {
        let denied = || {
            json_response(
                StatusCode::FORBIDDEN,
                &json!({ "error": { "code": 403, "message": "Permission denied." } }),
            )
        };
        let Some(bucket) = rest.strip_suffix("/o") else {
            return json_response(
                StatusCode::NOT_FOUND,
                &json!({ "error": { "code": 404, "message": "Not Found." } }),
            );
        };
        if *method != Method::GET || percent_decode(bucket) != STORAGE_BUCKET {
            return json_response(
                StatusCode::NOT_FOUND,
                &json!({ "error": { "code": 404, "message": "Not Found." } }),
            );
        }
        let uid = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Firebase ")
                    .or_else(|| v.strip_prefix("Bearer "))
            })
            .and_then(|t| self.verify(t).ok());
        let prefix = param(query, "prefix").unwrap_or("");
        let own = uid
            .as_ref()
            .is_some_and(|u| prefix.starts_with(&format!("users/{u}/")));
        if !(self.flaw(Flaw::FirebasePublicStorage) || own) {
            return denied();
        }
        let data = lock(&self.data);
        let delimiter = param(query, "delimiter");
        let mut prefixes: Vec<String> = Vec::new();
        let mut items = Vec::new();
        for name in data.storage.iter().filter(|n| n.starts_with(prefix)) {
            let rest = &name[prefix.len()..];
            match delimiter.and_then(|d| rest.find(d).map(|at| at + d.len())) {
                Some(end) => {
                    let p = format!("{prefix}{}", &rest[..end]);
                    if !prefixes.contains(&p) {
                        prefixes.push(p);
                    }
                }
                None => items.push(json!({ "name": name, "bucket": STORAGE_BUCKET })),
            }
        }
        json_response(
            StatusCode::OK,
            &json!({ "prefixes": prefixes, "items": items }),
        )
    }
}

/// Whether `path` is under the caller's own `notes/{uid}` or `profiles/{uid}`.
fn owns(path: &[String], uid: Option<&str>) -> bool {
    match (path, uid) {
        ([top, owner, ..], Some(uid)) => (top == "notes" || top == "profiles") && owner == uid,
        _ => false,
    }
}

fn owner_of(doc: &Doc) -> Option<&str> {
    doc.fields
        .get("owner")
        .and_then(|o| o["stringValue"].as_str())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn fields_of(body: &[u8]) -> Result<serde_json::Map<String, Value>, Box<Response>> {
    let invalid = || {
        Box::new(google_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "Invalid JSON payload received.",
        ))
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid())?;
    match value.get("fields") {
        None => Ok(serde_json::Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(invalid()),
    }
}

fn doc_json(collection: &str, id: &str, doc: &Doc) -> Value {
    json!({
        "name": format!("projects/{PROJECT_ID}/databases/(default)/documents/{collection}/{id}"),
        "fields": doc.fields,
        "createTime": doc.create_time,
        "updateTime": doc.update_time,
    })
}

fn node<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(root, |v, k| v.get(k))
}

/// Writes `value` at `path`; `null` removes the node and the parents it leaves empty,
/// as the Realtime Database keeps no empty nodes.
fn set_node(root: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        *root = if value.is_null() { json!({}) } else { value };
        return;
    };
    if !root.is_object() {
        *root = json!({});
    }
    let Value::Object(map) = root else { return };
    if parents.is_empty() {
        if value.is_null() {
            map.remove(last);
        } else {
            map.insert(last.clone(), value);
        }
        return;
    }
    let child = map.entry(parents[0].clone()).or_insert_with(|| json!({}));
    let mut rest = parents[1..].to_vec();
    rest.push(last.clone());
    set_node(child, &rest, value);
    if child.as_object().is_some_and(|m| m.is_empty()) {
        map.remove(&parents[0]);
    }
}
