//! Which backend-as-a-service the app's client talks to, read from what the client
//! ships: bundles, lazily loaded chunks, inline scripts and runtime config files.
//!
//! AI app builders wire a single-page front end straight to Supabase or Firebase, and
//! the client must carry what it needs to reach them:
//!
//! - Supabase: the project URL (`https://<ref>.supabase.co`, or a self-hosted origin)
//!   and a client key, either a JWT whose `role` claim is `anon` (legacy) or an
//!   `sb_publishable_...` key. Both are public by design; a key whose `role` is
//!   `service_role`, or an `sb_secret_...` key, bypasses every row policy and must
//!   never reach a browser.
//! - Firebase: the web config object passed to `initializeApp` (`apiKey`,
//!   `projectId`, `authDomain`, `databaseURL`, `storageBucket`, `appId`), public by
//!   design too.
//!
//! The patterns follow what the official clients document (`createClient(url, key)`
//! in supabase-js, `initializeApp({...})` in the Firebase JS SDK) and the environment
//! names frameworks expose to the client (`VITE_SUPABASE_URL`,
//! `NEXT_PUBLIC_SUPABASE_ANON_KEY`, `REACT_APP_FIREBASE_API_KEY`...), and survive
//! minification (constants stay quoted strings next to each other).
//!
//! [`detect`] reads one text; [`Detector`] watches every response of a scan (it is an
//! HTTP-layer observer) and keeps what the app's own origins served. Backend origins
//! enter the scan's scope only through [`crate::http::HttpLayer::admit_backend`], after
//! detection or when the config names them.

use std::collections::BTreeSet;
use std::sync::{LazyLock, Mutex};

use regex::Regex;
use serde_json::Value;
use url::Url;

use crate::auth::token;
use crate::http::{Observer, Response};

/// A backend the app's client is wired to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Supabase(SupabaseProject),
    Firebase(FirebaseProject),
}

impl Backend {
    /// `supabase` or `firebase`.
    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Supabase(_) => "supabase",
            Backend::Firebase(_) => "firebase",
        }
    }

    /// Where the client showed it (a script or page URL, or `config`).
    pub fn found_in(&self) -> &str {
        match self {
            Backend::Supabase(p) => &p.found_in,
            Backend::Firebase(p) => &p.found_in,
        }
    }
}

/// A Supabase project as the client names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupabaseProject {
    /// The project URL (`https://<ref>.supabase.co` or a self-hosted origin); REST is
    /// under `/rest/v1/`, Auth under `/auth/v1/`, Storage under `/storage/v1/`.
    pub url: Url,
    /// The key the client sends as `apikey`; `None` when only the URL was found.
    pub key: Option<SupabaseKey>,
    pub found_in: String,
}

/// A Supabase API key and what it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupabaseKey {
    pub value: String,
    pub kind: KeyKind,
}

/// What a Supabase key is, from its format or its JWT `role` claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    /// A legacy JWT key with `role: anon`: public by design.
    Anon,
    /// `sb_publishable_...`: public by design.
    Publishable,
    /// A legacy JWT key with `role: service_role`: bypasses Row Level Security.
    ServiceRole,
    /// `sb_secret_...`: bypasses Row Level Security.
    Secret,
}

impl KeyKind {
    /// Whether the key may be in a browser (the anon and publishable keys).
    pub fn is_public(&self) -> bool {
        matches!(self, KeyKind::Anon | KeyKind::Publishable)
    }

    /// How reports name it.
    pub fn label(&self) -> &'static str {
        match self {
            KeyKind::Anon => "anon key (JWT, role anon)",
            KeyKind::Publishable => "publishable key (sb_publishable_)",
            KeyKind::ServiceRole => "service_role key (JWT, role service_role)",
            KeyKind::Secret => "secret key (sb_secret_)",
        }
    }
}

/// A Firebase web config as the client names it. Every field is optional: a bundle
/// may split the config, and `databaseURL` and `storageBucket` only exist when the
/// project uses those products.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirebaseProject {
    pub api_key: Option<String>,
    pub project_id: Option<String>,
    pub auth_domain: Option<String>,
    /// The Realtime Database URL (`https://<db>.firebaseio.com` or
    /// `https://<db>.<region>.firebasedatabase.app`).
    pub database_url: Option<Url>,
    pub storage_bucket: Option<String>,
    pub app_id: Option<String>,
    pub found_in: String,
}

/// Backends found in one text (a script, a page, a JSON config) served at `found_in`.
pub fn detect(text: &str, found_in: &Url) -> Vec<Backend> {
    let mut out: Vec<Backend> = supabase_in(text, found_in)
        .into_iter()
        .map(Backend::Supabase)
        .collect();
    out.extend(
        firebase_in(text, found_in)
            .into_iter()
            .map(Backend::Firebase),
    );
    out
}

/// `createClient("https://x.supabase.co", "eyJ...")` and its `new SupabaseClient(...)` form.
static CREATE_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:createClient|SupabaseClient)\s*\(\s*["'`](https?://[^"'`\s]{3,200})["'`]\s*,\s*["'`]([A-Za-z0-9_.\-]{20,2000})["'`]"#)
        .expect("valid createClient regex")
});
/// A hosted project URL anywhere in the text.
static HOSTED_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bhttps://[a-z0-9]{15,30}\.supabase\.(?:co|in)\b").expect("valid URL regex")
});
/// `supabaseUrl: "..."`, `VITE_SUPABASE_URL="..."`, `"NEXT_PUBLIC_SUPABASE_URL":"..."`.
static NAMED_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)supabase_?url\\?["']?\s*[:=]\s*\\?["'`](https?://[^"'`\s\\]{3,200})\\?["'`]"#)
        .expect("valid named URL regex")
});
/// A JWT, or a new-format Supabase key.
static KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}|sb_(?:publishable|secret)_[A-Za-z0-9_\-]{20,})")
        .expect("valid key regex")
});
/// Any quoted absolute URL (the self-hosted project URL of a minified bundle).
static QUOTED_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["'`](https?://[A-Za-z0-9.\-]+(?::\d{1,5})?)/?["'`]"#).expect("valid URL regex")
});
/// How far from a key a bare quoted URL may be to count as its project URL: in
/// minified bundles the two constants sit side by side.
const NEAR: usize = 400;

/// What a key is, or `None` when it is no Supabase API key (a user's session JWT
/// has `role: authenticated`; other JWTs lack Supabase's claims).
pub fn classify_key(key: &str) -> Option<KeyKind> {
    if key.starts_with("sb_publishable_") {
        return Some(KeyKind::Publishable);
    }
    if key.starts_with("sb_secret_") {
        return Some(KeyKind::Secret);
    }
    let claims = token::claims(key)?;
    let role = claims.get("role").and_then(Value::as_str)?;
    let issuer = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    // Supabase's keys carry `iss: supabase` (hosted) or `supabase-demo` (self-hosted
    // defaults) and, hosted, the project `ref`.
    let supabase = issuer.starts_with("supabase") || claims.get("ref").is_some();
    match role {
        "anon" if supabase => Some(KeyKind::Anon),
        "service_role" if supabase || issuer.is_empty() => Some(KeyKind::ServiceRole),
        _ => None,
    }
}

/// The hosted project URL a legacy key names through its `ref` claim.
fn url_of_ref(key: &str) -> Option<Url> {
    let claims = token::claims(key)?;
    let r = claims.get("ref").and_then(Value::as_str)?;
    if r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Url::parse(&format!("https://{r}.supabase.co")).ok()
}

fn project_url(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim_end_matches('/')).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    // The project is its origin; the client appends /rest/v1, /auth/v1...
    Url::parse(&url.origin().ascii_serialization()).ok()
}

fn supabase_in(text: &str, found_in: &Url) -> Vec<SupabaseProject> {
    let quick = text.contains("supabase")
        || text.contains("Supabase")
        || text.contains("SUPABASE")
        || text.contains("sb_publishable_")
        || text.contains("sb_secret_");
    if !quick && !text.contains("eyJ") {
        return Vec::new();
    }
    let mut out: Vec<SupabaseProject> = Vec::new();
    let push = |out: &mut Vec<SupabaseProject>, url: Url, key: Option<SupabaseKey>| {
        if let Some(existing) = out.iter_mut().find(|p| p.url == url) {
            if existing.key.is_none() {
                existing.key = key;
                return;
            }
            if key.is_none() || existing.key == key {
                return;
            }
        }
        out.push(SupabaseProject {
            url,
            key,
            found_in: found_in.to_string(),
        });
    };
    for c in CREATE_CLIENT.captures_iter(text) {
        if let (Some(url), Some(kind)) = (project_url(&c[1]), classify_key(&c[2])) {
            push(
                &mut out,
                url,
                Some(SupabaseKey {
                    value: c[2].to_string(),
                    kind,
                }),
            );
        }
    }
    let urls: Vec<(usize, Url)> = HOSTED_URL
        .find_iter(text)
        .filter_map(|m| Some((m.start(), project_url(m.as_str())?)))
        .chain(
            NAMED_URL
                .captures_iter(text)
                .filter_map(|c| Some((c.get(1)?.start(), project_url(&c[1])?))),
        )
        .collect();
    let keys: Vec<(usize, SupabaseKey)> = KEY
        .find_iter(text)
        .filter_map(|m| {
            let kind = classify_key(m.as_str())?;
            Some((
                m.start(),
                SupabaseKey {
                    value: m.as_str().to_string(),
                    kind,
                },
            ))
        })
        .collect();
    let mut unplaced: Vec<SupabaseKey> = Vec::new();
    for (at, key) in &keys {
        // The nearest named or hosted URL; else the key's own `ref`; else a bare
        // quoted URL right next to it (a self-hosted project in a minified bundle).
        let nearest = urls
            .iter()
            .min_by_key(|(u, _)| u.abs_diff(*at))
            .map(|(_, u)| u.clone());
        let url = nearest.or_else(|| url_of_ref(&key.value)).or_else(|| {
            let from = floor(text, at.saturating_sub(NEAR));
            let to = floor(text, (at + key.value.len() + NEAR).min(text.len()));
            QUOTED_URL
                .captures_iter(&text[from..to])
                .filter_map(|c| Some((from + c.get(1)?.start(), project_url(&c[1])?)))
                .min_by_key(|(u, _)| u.abs_diff(*at))
                .map(|(_, u)| u)
        });
        match url {
            Some(url) => push(&mut out, url, Some(key.clone())),
            None => unplaced.push(key.clone()),
        }
    }
    // A key far from any URL (an admin client made further down the bundle) belongs
    // to the project the same text names elsewhere.
    let first_url = out.first().map(|p| p.url.clone());
    if let Some(url) = first_url {
        for key in unplaced {
            push(&mut out, url.clone(), Some(key));
        }
    }
    if keys.is_empty() && quick {
        for (_, url) in urls {
            push(&mut out, url, None);
        }
    }
    out
}

/// The keys in `text` that bypass Row Level Security (`service_role`, `sb_secret_`).
pub fn secret_keys(text: &str) -> Vec<SupabaseKey> {
    if !text.contains("eyJ") && !text.contains("sb_secret_") {
        return Vec::new();
    }
    KEY.find_iter(text)
        .filter_map(|m| {
            let kind = classify_key(m.as_str())?;
            (!kind.is_public()).then(|| SupabaseKey {
                value: m.as_str().to_string(),
                kind,
            })
        })
        .collect()
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One field of a Firebase web config: `apiKey: "..."`, `"projectId":"..."`, or the
/// environment form `VITE_FIREBASE_PROJECT_ID="..."`.
static FIREBASE_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\\?["']?\b(apiKey|authDomain|databaseURL|projectId|storageBucket|appId|(?:[A-Z_]*_)?FIREBASE_(?:API_KEY|AUTH_DOMAIN|DATABASE_URL|PROJECT_ID|STORAGE_BUCKET|APP_ID))\\?["']?\s*[:=]\s*\\?["'`]([^"'`\s\\]{1,300})\\?["'`]"#)
        .expect("valid Firebase field regex")
});
/// How far apart the fields of one config object may be.
const CONFIG_SPAN: usize = 1200;

fn firebase_in(text: &str, found_in: &Url) -> Vec<FirebaseProject> {
    let lower_hint = text.contains("projectId")
        || text.contains("PROJECT_ID")
        || text.contains("firebase")
        || text.contains("FIREBASE");
    if !lower_hint {
        return Vec::new();
    }
    let fields: Vec<(usize, &'static str, String)> = FIREBASE_FIELD
        .captures_iter(text)
        .filter_map(|c| {
            let name = c.get(1)?.as_str();
            Some((c.get(0)?.start(), firebase_field(name)?, c[2].to_string()))
        })
        .collect();
    let mut out: Vec<FirebaseProject> = Vec::new();
    let mut used = vec![false; fields.len()];
    for i in 0..fields.len() {
        if used[i] || fields[i].1 != "projectId" {
            continue;
        }
        let anchor = fields[i].0;
        let mut p = FirebaseProject {
            found_in: found_in.to_string(),
            ..Default::default()
        };
        for (j, (at, name, value)) in fields.iter().enumerate() {
            if used[j] || at.abs_diff(anchor) > CONFIG_SPAN {
                continue;
            }
            let slot = match *name {
                "apiKey" => &mut p.api_key,
                "projectId" => &mut p.project_id,
                "authDomain" => &mut p.auth_domain,
                "storageBucket" => &mut p.storage_bucket,
                "appId" => &mut p.app_id,
                "databaseURL" => {
                    if p.database_url.is_none() {
                        p.database_url = Url::parse(value).ok();
                        used[j] = p.database_url.is_some();
                    }
                    continue;
                }
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.clone());
                used[j] = true;
            }
        }
        // `initializeApp` needs both; a lone `projectId` is something else.
        if p.api_key.is_some() && p.project_id.is_some() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The config key a matched field stands for.
fn firebase_field(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    Some(
        match upper
            .rsplit_once("FIREBASE_")
            .map_or(upper.as_str(), |(_, s)| s)
        {
            "APIKEY" | "API_KEY" => "apiKey",
            "AUTHDOMAIN" | "AUTH_DOMAIN" => "authDomain",
            "DATABASEURL" | "DATABASE_URL" => "databaseURL",
            "PROJECTID" | "PROJECT_ID" => "projectId",
            "STORAGEBUCKET" | "STORAGE_BUCKET" => "storageBucket",
            "APPID" | "APP_ID" => "appId",
            _ => return None,
        },
    )
}

/// What the client asks a Supabase project for: the tables and views it reads
/// (`.from("notes")`), the functions it calls (`.rpc("fn")`), the storage buckets it
/// uses (`.storage.from("avatars")`), and whether it signs users up (`auth.signUp`);
/// and what it asks Firebase for (`collection(db, "notes")`, `ref(db, "notes/" + uid)`).
/// These names survive minification: they are strings the client sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientNames {
    pub tables: BTreeSet<String>,
    pub functions: BTreeSet<String>,
    pub buckets: BTreeSet<String>,
    pub signs_up: bool,
    /// What the client asks Firebase for: Firestore collections, Realtime Database paths.
    pub firebase: super::firebase::Usage,
}

/// `<receiver>.from("name")`: the receiver tells supabase-js calls from `Array.from`.
static FROM_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z0-9_$]+)\s*\.\s*from\(\s*["'`]([A-Za-z_][A-Za-z0-9_]{0,62})["'`]\s*[,)]"#)
        .expect("valid from regex")
});
static RPC_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\.rpc\(\s*["'`]([A-Za-z_][A-Za-z0-9_]{0,62})["'`]"#).expect("valid rpc regex")
});
/// A PostgREST URL the client builds by hand (`/rest/v1/notes?select=*`).
static REST_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"/rest/v1/(rpc/)?([A-Za-z_][A-Za-z0-9_]{0,62})\b"#).expect("valid REST path regex")
});
/// Names kept per kind, so a hostile bundle cannot grow them without bound.
const MAX_NAMES: usize = 64;
/// Receivers whose `.from("x")` is no Supabase query.
const NOT_SUPABASE: &[&str] = &[
    "Array",
    "Buffer",
    "Uint8Array",
    "Object",
    "Set",
    "Map",
    "Promise",
    "Observable",
    "String",
];

impl ClientNames {
    /// Adds the names one client text uses.
    pub fn read(&mut self, text: &str) {
        if text.contains(".from(") {
            for c in FROM_CALL.captures_iter(text) {
                let set = if &c[1] == "storage" {
                    &mut self.buckets
                } else if NOT_SUPABASE.contains(&&c[1]) {
                    continue;
                } else {
                    &mut self.tables
                };
                if set.len() < MAX_NAMES {
                    set.insert(c[2].to_string());
                }
            }
        }
        if text.contains(".rpc(") {
            for c in RPC_CALL.captures_iter(text) {
                if self.functions.len() < MAX_NAMES {
                    self.functions.insert(c[1].to_string());
                }
            }
        }
        if text.contains("/rest/v1/") {
            for c in REST_PATH.captures_iter(text) {
                let set = if c.get(1).is_some() {
                    &mut self.functions
                } else {
                    &mut self.tables
                };
                if set.len() < MAX_NAMES {
                    set.insert(c[2].to_string());
                }
            }
        }
        self.signs_up |= text.contains(".signUp(") || text.contains("/auth/v1/signup");
        self.firebase
            .extend(super::firebase::usage(text), MAX_NAMES);
    }
}

/// Anything a client wired to Supabase or Firebase carries: one pass over each response
/// decides whether the slower per-backend reads run at all.
static CLIENT_HINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)supabase|sb_publishable_|sb_secret_|eyJ|projectId|project_id|firebase|\.from\(|\.rpc\(|/rest/v1/|\.signUp\(|\bcollection(?:Group)?\(")
        .expect("valid hint regex")
});

/// Backends kept at most, so a hostile app cannot grow the list without bound.
const MAX_BACKENDS: usize = 16;

/// Watches every response of a scan and keeps the backends the app's own origins
/// served (scripts, pages, runtime config); a backend's own answers are not read.
pub struct Detector {
    /// Origins whose responses are the client (`target.url`, `target.origins`).
    client_origins: BTreeSet<String>,
    found: Mutex<Vec<Backend>>,
    names: Mutex<ClientNames>,
    /// Keys that bypass RLS, wherever they appear, with where (a project URL or not).
    secret_keys: Mutex<Vec<(SupabaseKey, String)>>,
}

impl Detector {
    pub fn new(client_origins: impl IntoIterator<Item = String>) -> Detector {
        Detector {
            client_origins: client_origins.into_iter().collect(),
            found: Mutex::new(Vec::new()),
            names: Mutex::new(ClientNames::default()),
            secret_keys: Mutex::new(Vec::new()),
        }
    }

    /// Reads one response (also what [`Observer::observe`] does).
    pub fn read(&self, response: &Response) {
        if !self
            .client_origins
            .contains(&response.url.origin().ascii_serialization())
            || !response.is_success()
        {
            return;
        }
        let readable = response.is_html()
            || response.is_javascript()
            || response.is_json()
            || response.media_type().is_none_or(|m| m.starts_with("text/"));
        if !readable {
            return;
        }
        let text = response.text();
        if !CLIENT_HINT.is_match(&text) {
            return;
        }
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read(&text);
        let secret = secret_keys(&text);
        if !secret.is_empty() {
            let mut list = self.secret_keys.lock().unwrap_or_else(|e| e.into_inner());
            for key in secret {
                if list.len() < MAX_BACKENDS && !list.iter().any(|(k, _)| *k == key) {
                    list.push((key, response.url.to_string()));
                }
            }
        }
        let found = detect(&text, &response.url);
        if found.is_empty() {
            return;
        }
        let mut list = self.found.lock().unwrap_or_else(|e| e.into_inner());
        for b in found {
            merge(&mut list, b);
        }
    }

    /// Every `service_role` or `sb_secret_` key the client carries, with the URL that
    /// served it, whether or not a project URL came with it.
    pub fn secret_keys(&self) -> Vec<(SupabaseKey, String)> {
        self.secret_keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The tables, functions and buckets the client's code names so far.
    pub fn client_names(&self) -> ClientNames {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What was found so far, in the order it was first seen.
    pub fn backends(&self) -> Vec<Backend> {
        self.found.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Adds `b` unless the list already knows it (a Supabase URL without a key takes the
/// key found later).
fn merge(list: &mut Vec<Backend>, b: Backend) {
    match &b {
        Backend::Supabase(new) => {
            if let Some(Backend::Supabase(old)) = list.iter_mut().find(
                |x| matches!(x, Backend::Supabase(o) if o.url == new.url && (o.key.is_none() || o.key == new.key)),
            ) {
                if old.key.is_none() {
                    old.key = new.key.clone();
                }
                return;
            }
            // A URL alone adds nothing to a project already known with its key.
            if new.key.is_none()
                && list
                    .iter()
                    .any(|x| matches!(x, Backend::Supabase(o) if o.url == new.url))
            {
                return;
            }
        }
        Backend::Firebase(new) => {
            if list.iter().any(|x| matches!(x, Backend::Firebase(o) if o.project_id == new.project_id && o.api_key == new.api_key)) {
                return;
            }
        }
    }
    if list.len() < MAX_BACKENDS {
        list.push(b);
    }
}

impl Observer for Detector {
    fn observe(&self, response: &Response) {
        self.read(response);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::Engine as _;

    /// An unsigned JWT with `claims` (detection never checks signatures).
    pub(crate) fn jwt(claims: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.{}",
            e(r#"{"alg":"HS256","typ":"JWT"}"#),
            e(claims),
            "c2lnbmF0dXJlLW5vdC1jaGVja2VkLWhlcmU"
        )
    }

    fn at() -> Url {
        Url::parse("http://127.0.0.1:1/assets/index-3f2a.js").unwrap()
    }

    fn supabase(text: &str) -> Vec<SupabaseProject> {
        detect(text, &at())
            .into_iter()
            .filter_map(|b| match b {
                Backend::Supabase(p) => Some(p),
                Backend::Firebase(_) => None,
            })
            .collect()
    }

    #[test]
    fn create_client_with_an_anon_key_is_found() {
        let key = jwt(r#"{"iss":"supabase","ref":"abcdefghijklmnopqrst","role":"anon"}"#);
        let text = format!(
            r#"export const supabase = createClient("https://abcdefghijklmnopqrst.supabase.co", "{key}", {{auth: {{persistSession: true}}}});"#
        );
        let found = supabase(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].url.as_str(),
            "https://abcdefghijklmnopqrst.supabase.co/"
        );
        assert_eq!(found[0].key.as_ref().unwrap().kind, KeyKind::Anon);
        assert!(found[0].key.as_ref().unwrap().kind.is_public());
    }

    #[test]
    fn minified_constants_of_a_hosted_project_pair_up() {
        // What Vite leaves of `const SUPABASE_URL = ...; createClient(SUPABASE_URL, KEY)`.
        let key = jwt(
            r#"{"iss":"supabase","ref":"zyxwvutsrqponmlkjihg","role":"anon","exp":1999999999}"#,
        );
        let text = format!(
            r#"const Xe="https://zyxwvutsrqponmlkjihg.supabase.co",Ye="{key}",Ze=Ls(Xe,Ye,{{auth:{{storage:localStorage}}}});"#
        );
        let found = supabase(&text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].url.host_str(),
            Some("zyxwvutsrqponmlkjihg.supabase.co")
        );
    }

    #[test]
    fn a_self_hosted_project_is_found_by_its_env_name_or_next_to_its_key() {
        let key = jwt(r#"{"iss":"supabase-demo","role":"anon"}"#);
        let named = format!(
            r#"{{"VITE_SUPABASE_URL":"https://db.example.org","VITE_SUPABASE_ANON_KEY":"{key}"}}"#
        );
        assert_eq!(supabase(&named)[0].url.as_str(), "https://db.example.org/");
        let bare = format!(r#"var a="https://api.example.net",b="{key}";"#);
        assert_eq!(supabase(&bare)[0].url.as_str(), "https://api.example.net/");
    }

    #[test]
    fn a_second_key_far_from_the_url_joins_the_project_of_the_text() {
        let anon = jwt(r#"{"iss":"supabase","role":"anon"}"#);
        let service = jwt(r#"{"iss":"supabase","role":"service_role"}"#);
        let filler = "x".repeat(2 * NEAR);
        let text =
            format!(r#"const a="http://127.0.0.1:9",b="{anon}";/*{filler}*/const c="{service}";"#);
        let found = supabase(&text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .all(|p| p.url.as_str() == "http://127.0.0.1:9/")
        );
        assert!(
            found
                .iter()
                .any(|p| p.key.as_ref().unwrap().kind == KeyKind::ServiceRole)
        );
    }

    #[test]
    fn client_names_come_from_supabase_calls_only() {
        let mut names = ClientNames::default();
        names.read(r#"sb.from("notes").select("*");e.storage.from("avatars").list();Array.from("abc");Buffer.from("x",'base64');sb.rpc("my_note_count");fetch(u+"/rest/v1/invoices?select=*")"#);
        assert_eq!(
            names.tables.iter().collect::<Vec<_>>(),
            ["invoices", "notes"]
        );
        assert_eq!(names.buckets.iter().collect::<Vec<_>>(), ["avatars"]);
        assert_eq!(
            names.functions.iter().collect::<Vec<_>>(),
            ["my_note_count"]
        );
        assert!(!names.signs_up);
        names.read("sb.auth.signUp({email:e,password:t})");
        assert!(names.signs_up);
    }

    #[test]
    fn a_secret_key_is_found_without_any_project_url() {
        let text = r#"const adminKey = "sb_secret_Ab12Cd34Ef56Gh78Ij90Kl";"#;
        assert!(supabase(text).is_empty());
        let keys = secret_keys(text);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kind, KeyKind::Secret);
        let anon = jwt(r#"{"iss":"supabase","role":"anon"}"#);
        assert!(secret_keys(&format!("k=\"{anon}\"")).is_empty());
    }

    #[test]
    fn key_formats_and_roles_are_told_apart() {
        let service =
            jwt(r#"{"iss":"supabase","ref":"abcdefghijklmnopqrst","role":"service_role"}"#);
        assert_eq!(classify_key(&service), Some(KeyKind::ServiceRole));
        assert!(!KeyKind::ServiceRole.is_public());
        assert_eq!(
            classify_key("sb_publishable_Ab12Cd34Ef56Gh78Ij90Kl"),
            Some(KeyKind::Publishable)
        );
        assert_eq!(
            classify_key("sb_secret_Ab12Cd34Ef56Gh78Ij90Kl"),
            Some(KeyKind::Secret)
        );
        // A user's session token and unrelated JWTs are no project key.
        let session =
            jwt(r#"{"iss":"https://x.supabase.co/auth/v1","sub":"u1","role":"authenticated"}"#);
        assert_eq!(classify_key(&session), None);
        assert_eq!(classify_key(&jwt(r#"{"sub":"u1","role":"anon"}"#)), None);
    }

    #[test]
    fn a_secret_key_in_a_bundle_is_found_with_its_project() {
        let text = r#"const c = createClient("https://abcdefghijklmnopqrst.supabase.co", "sb_secret_Ab12Cd34Ef56Gh78Ij90Kl");"#;
        let found = supabase(text);
        assert_eq!(found[0].key.as_ref().unwrap().kind, KeyKind::Secret);
    }

    #[test]
    fn text_without_a_project_finds_nothing() {
        assert!(supabase("fetch('/api/notes').then(r => r.json())").is_empty());
        // A session JWT in a login answer is not a project key.
        let answer = format!(
            r#"{{"access_token":"{}"}}"#,
            jwt(r#"{"role":"authenticated","sub":"x"}"#)
        );
        assert!(detect(&answer, &at()).is_empty());
    }

    #[test]
    fn a_firebase_web_config_is_found_in_object_and_env_forms() {
        let text = r#"const firebaseConfig={apiKey:"AIzaSyD-not-a-real-key-0123456789abcde",authDomain:"ledger-7.firebaseapp.com",databaseURL:"https://ledger-7-default-rtdb.firebaseio.com",projectId:"ledger-7",storageBucket:"ledger-7.appspot.com",messagingSenderId:"123",appId:"1:123:web:abc"};initializeApp(firebaseConfig);"#;
        let found = detect(text, &at());
        let Some(Backend::Firebase(p)) = found.first() else {
            panic!("{found:?}")
        };
        assert_eq!(p.project_id.as_deref(), Some("ledger-7"));
        assert_eq!(
            p.api_key.as_deref(),
            Some("AIzaSyD-not-a-real-key-0123456789abcde")
        );
        assert_eq!(p.auth_domain.as_deref(), Some("ledger-7.firebaseapp.com"));
        assert_eq!(
            p.database_url.as_ref().map(Url::as_str),
            Some("https://ledger-7-default-rtdb.firebaseio.com/")
        );
        assert_eq!(p.storage_bucket.as_deref(), Some("ledger-7.appspot.com"));
        let env = r#"window.__ENV__={"VITE_FIREBASE_API_KEY":"AIzaSyD-not-a-real-key-0123456789abcde","VITE_FIREBASE_PROJECT_ID":"ledger-7"}"#;
        let Some(Backend::Firebase(p)) = detect(env, &at()).into_iter().next() else {
            panic!("env form not found")
        };
        assert_eq!(p.project_id.as_deref(), Some("ledger-7"));
        // A project id alone is not a Firebase config.
        assert!(detect(r#"{projectId:"x"}"#, &at()).is_empty());
    }

    #[test]
    fn the_detector_reads_the_client_origins_only_and_merges() {
        let key = jwt(r#"{"iss":"supabase","role":"anon"}"#);
        let js = format!(r#"createClient("http://127.0.0.1:2", "{key}")"#);
        let detector = Detector::new(["http://127.0.0.1:1".to_string()]);
        let script = |url: &str| {
            Response::synthetic(
                Url::parse(url).unwrap(),
                200,
                vec![("content-type".into(), "text/javascript".into())],
                js.clone(),
            )
        };
        detector.read(&script("http://127.0.0.1:2/rest/v1/"));
        assert!(
            detector.backends().is_empty(),
            "a backend's answer is not the client"
        );
        detector.read(&script("http://127.0.0.1:1/a.js"));
        detector.read(&script("http://127.0.0.1:1/b.js"));
        let found = detector.backends();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind(), "supabase");
        assert_eq!(found[0].found_in(), "http://127.0.0.1:1/a.js");
    }
}
