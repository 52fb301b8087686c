//! Firebase backends (checklist items 1 and 5): what the security rules let anyone,
//! and another signed-in user, read and write.
//!
//! The app's bundle carries its web config (`initializeApp({apiKey, projectId,
//! databaseURL, storageBucket})`), public by design: the catalog's
//! `secrets.google-api-key` signature reports the key as info, never as a leak. From the
//! bundle this family also learns the Firestore collections the app uses
//! (`collection(db, "notes")`, `.collection("notes")`, `doc(db, "profiles", uid)`) and
//! the Realtime Database paths (`ref(db, "notes/" + user.uid)`), then asks the REST APIs
//! directly, as a script would:
//!
//! - anonymously: the database root and each path (`GET /path.json?shallow=true`, keys
//!   only), each collection (`GET .../documents/{c}?pageSize=N`), the bucket's listing
//!   (`GET /v0/b/{bucket}/o`): data coming back is item 5;
//! - as tenant b: tenant a's nodes and documents (keyed by a's uid), and a canary tenant a
//!   creates (a node under a's own path, a document carrying a's uid in the owner fields
//!   the bundle queries by); read, updated or deleted by b (or by anyone) is item 1,
//!   unless anyone could read it anyway (then item 5 already says so).
//!
//! Writes touch only canaries (`prodready-canary-...`) the scan created, and tenant a
//! deletes each at the end and checks it is gone. Requests are bounded: at most
//! [`MAX_TARGETS`] collections and paths, [`PAGE`] entries per read.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use futures_util::future::BoxFuture;
use regex::Regex;
use serde_json::{Value, json};
use url::Url;

use super::detect;
use crate::auth::Identity;
use crate::engine::canaries::new_marker;
use crate::engine::{Context, Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::{
    Confidence, IdentityId, Item, Location, ProbeRun, RunState, Severity, TableCheck, TableRead,
    TableWrite,
};

/// Collections and paths checked at most, each.
const MAX_TARGETS: usize = 20;
/// Entries asked for per read (`pageSize`, `maxResults`).
const PAGE: u32 = 20;
/// What the `firebase` family is.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "firebase",
    items: &[Item::TenantIsolation, Item::ServerSideFiltering],
    ids: &[
        "firebase.rtdb-public-read",
        "firebase.firestore-public-read",
        "firebase.storage-public-list",
        "firebase.rtdb-cross-tenant-read",
        "firebase.firestore-cross-tenant-read",
        "firebase.rtdb-foreign-write",
        "firebase.firestore-foreign-write",
    ],
    runs_last: false,
};

/// The `firebase` family.
pub struct FirebaseFamily;

impl Family for FirebaseFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(run(ctx))
    }
}

// ---------------------------------------------------------------------------------
// What the client uses (the web config itself is found by [`super::detect`])

/// `collection(db, "notes")`, `.collection("notes")`, `collectionGroup(db, "x")`.
static COLLECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bcollection(?:Group)?\(\s*(?:[A-Za-z_$][\w$]*\s*,\s*)?["'`]([A-Za-z0-9_\-]{1,100})["'`]"#)
        .expect("valid regex")
});
/// `doc(db, "profiles", user.uid)`: the collection, and what keys its documents.
static DOC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bdoc\(\s*[A-Za-z_$][\w$]*\s*,\s*["'`]([A-Za-z0-9_\-]{1,100})["'`]\s*,\s*([^,()]{1,80})\)"#)
        .expect("valid regex")
});
/// `where("owner", "==", user.uid)`: the fields a collection is owned by.
static OWNER_WHERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bwhere\(\s*["'`]([A-Za-z0-9_]{1,64})["'`]\s*,\s*["'`]==["'`]\s*,\s*[^,()]*\b(?:uid|userId|user_id)\b"#)
        .expect("valid regex")
});
/// `ref(db, "notes/" + user.uid)`, `` ref(rtdb, `notes/${uid}`) ``, `.ref("notes")`,
/// `child(ref, "x")`: the argument text up to the closing parenthesis.
static RTDB_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(?:ref|refFromURL|child)\(\s*(?:[A-Za-z_$][\w$]*\s*,\s*)?((?:["'`][^"'`]{0,200}["'`])(?:\s*\+\s*[^,()]{1,80})?)\)"#)
        .expect("valid regex")
});
static TEMPLATE_EXPR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{([^}]{1,80})\}").expect("valid regex"));

/// What the bundle says the app reads and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Firestore collections.
    pub collections: BTreeSet<String>,
    /// Collections whose documents are keyed by the user's uid (`doc(db, "c", user.uid)`).
    pub uid_keyed: BTreeSet<String>,
    /// Fields a query compares with the user's uid (`where("owner", "==", uid)`).
    pub owner_fields: BTreeSet<String>,
    /// Realtime Database paths, `{uid}` where the user's uid goes.
    pub paths: BTreeSet<String>,
}

impl Usage {
    /// Adds what another text uses, each set bounded by `max`.
    pub fn extend(&mut self, other: Usage, max: usize) {
        for (mine, theirs) in [
            (&mut self.collections, other.collections),
            (&mut self.uid_keyed, other.uid_keyed),
            (&mut self.owner_fields, other.owner_fields),
            (&mut self.paths, other.paths),
        ] {
            for name in theirs {
                if mine.len() >= max {
                    break;
                }
                mine.insert(name);
            }
        }
    }
}

/// Reads what the app uses of Firebase from its code.
pub fn usage(text: &str) -> Usage {
    let mut u = Usage::default();
    for cap in COLLECTION.captures_iter(text) {
        u.collections.insert(cap[1].to_string());
    }
    for cap in DOC.captures_iter(text) {
        u.collections.insert(cap[1].to_string());
        if mentions_uid(&cap[2]) {
            u.uid_keyed.insert(cap[1].to_string());
        }
    }
    for cap in OWNER_WHERE.captures_iter(text) {
        u.owner_fields.insert(cap[1].to_string());
    }
    for cap in RTDB_REF.captures_iter(text) {
        if let Some(p) = rtdb_path(&cap[1]) {
            u.paths.insert(p);
        }
    }
    u
}

/// `.../v1/projects/{p}/databases/(default)/documents/{collection}...` in a URL the
/// browser requested (REST clients; the web SDK's own channel names no collection).
static FIRESTORE_REST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/v1/projects/([A-Za-z0-9_\-]{1,100})/databases/(?:\(default\)|%28default%29)/documents/([A-Za-z0-9_\-]{1,100})")
        .expect("valid regex")
});

/// What the browser's requests (discovery's endpoint examples) say: a project and the
/// Firestore collections asked for over REST.
fn usage_from_requests(urls: &[&Url], usage: &mut Usage, project_id: &mut Option<String>) {
    for url in urls {
        if let Some(cap) = FIRESTORE_REST.captures(url.path()) {
            project_id.get_or_insert_with(|| cap[1].to_string());
            usage.collections.insert(cap[2].to_string());
        }
    }
}

fn mentions_uid(expr: &str) -> bool {
    let e = expr.to_ascii_lowercase();
    e.contains("uid") || e.contains("userid") || e.contains("user_id")
}

/// The path a `ref()` argument names: literals kept, the user's uid as `{uid}`, cut at
/// the first other expression (a value the scanner cannot know).
fn rtdb_path(arg: &str) -> Option<String> {
    let mut out = String::new();
    for piece in arg.split('+').map(str::trim) {
        let quoted = piece.len() >= 2
            && matches!(piece.as_bytes()[0], b'"' | b'\'' | b'`')
            && piece.as_bytes()[piece.len() - 1] == piece.as_bytes()[0];
        if quoted {
            let inner = &piece[1..piece.len() - 1];
            let mut cut = false;
            let replaced = TEMPLATE_EXPR.replace_all(inner, |c: &regex::Captures| {
                if mentions_uid(&c[1]) {
                    "{uid}".to_string()
                } else {
                    cut = true;
                    "\u{0}".to_string()
                }
            });
            match replaced.split_once('\u{0}') {
                Some((before, _)) => {
                    out.push_str(before);
                    break;
                }
                None => out.push_str(&replaced),
            }
            if cut {
                break;
            }
        } else if mentions_uid(piece) {
            out.push_str("{uid}");
        } else {
            break;
        }
    }
    // Up to the uid's segment: what lies below belongs to the same owner.
    let mut segments: Vec<&str> = Vec::new();
    for s in out.split('/').filter(|s| !s.is_empty()) {
        if s.contains('{') && s != "{uid}" {
            break;
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '{' | '}'))
        {
            return None;
        }
        segments.push(s);
        if s == "{uid}" {
            break;
        }
    }
    (!segments.is_empty()).then(|| segments.join("/"))
}

// ---------------------------------------------------------------------------------
// The scan

/// What the family learned of one Realtime Database path, Firestore collection or
/// Storage bucket; the report gets it as a [`TableCheck`].
#[derive(Debug, Clone, Default)]
struct FirebaseTarget {
    /// `realtime-database`, `firestore` or `storage`.
    service: String,
    /// The path (`notes/{uid}`), collection (`notes`) or bucket.
    name: String,
    reads: Vec<FirebaseRead>,
    /// Writes tried on the scanner's canary, in order.
    writes: Vec<FirebaseWrite>,
    /// What became of the canary.
    cleanup: Option<String>,
}

/// One read of a target.
#[derive(Debug, Clone)]
struct FirebaseRead {
    identity: IdentityId,
    /// `list` (the collection or the parent node), `a's data` or `canary`.
    of: String,
    /// `denied`, `empty`, `readable` or `error`.
    outcome: String,
    /// Entries it returned (documents, child keys, objects).
    entries: u32,
    /// Whether the scanner's canary (owned by `a`) was among them.
    canary_seen: bool,
}

/// One write tried on a canary.
#[derive(Debug, Clone)]
struct FirebaseWrite {
    identity: IdentityId,
    /// `create`, `update` or `delete`.
    action: String,
    status: u16,
    accepted: bool,
}

impl FirebaseTarget {
    /// The report's shape: per identity the entries it read (`None`: every read refused),
    /// those of another user (everything, read anonymously; a's, read as b), the writes
    /// and the cleanup.
    fn into_table(self) -> TableCheck {
        let mut reads: Vec<TableRead> = Vec::new();
        for r in &self.reads {
            let answered = matches!(r.outcome.as_str(), "readable" | "empty");
            let others = match r.identity {
                IdentityId::Anonymous => r.entries,
                IdentityId::A => 0,
                _ if r.of == "list" => 0,
                _ => r.entries,
            };
            match reads.iter_mut().find(|t| t.identity == r.identity) {
                Some(t) => {
                    if answered {
                        t.rows = Some(t.rows.unwrap_or(0) + r.entries);
                    }
                    t.others += others;
                }
                None => reads.push(TableRead {
                    identity: r.identity,
                    rows: answered.then_some(r.entries),
                    others,
                }),
            }
        }
        TableCheck {
            kind: match self.service.as_str() {
                "realtime-database" => "database path",
                "firestore" => "collection",
                _ => "bucket",
            }
            .to_string(),
            name: self.name,
            reads,
            writes: self
                .writes
                .into_iter()
                .map(|w| TableWrite {
                    identity: w.identity,
                    action: w.action,
                    changed: w.accepted,
                    outcome: if w.accepted {
                        format!("accepted ({})", w.status)
                    } else if w.status == 0 {
                        "failed".to_string()
                    } else {
                        format!("refused ({})", w.status)
                    },
                })
                .collect(),
            cleanup: self.cleanup.into_iter().collect(),
        }
    }
}

/// The backend as this scan reaches it.
struct Backend {
    project_id: Option<String>,
    storage_bucket: Option<String>,
    database: Option<Url>,
    firestore: Option<Url>,
    storage: Option<Url>,
    usage: Usage,
    notes: Vec<String>,
}

/// A tenant signed in through Firebase Auth: its uid and ID token.
struct Tenant<'a> {
    identity: &'a Identity,
    uid: String,
    token: String,
}

fn tenant(ctx: &Context, id: IdentityId) -> Option<Tenant<'_>> {
    let identity = ctx.identities.get(id)?;
    let answer = identity.login_answer()?;
    Some(Tenant {
        identity,
        uid: answer.get("localId")?.as_str()?.to_string(),
        token: answer.get("idToken")?.as_str()?.to_string(),
    })
}

/// The two runs and what they share.
struct Runs {
    tenant: ProbeRun,
    filtering: ProbeRun,
}

impl Runs {
    fn item(&mut self, item: Item) -> &mut ProbeRun {
        match item {
            Item::TenantIsolation => &mut self.tenant,
            _ => &mut self.filtering,
        }
    }
}

async fn run(ctx: &Context) -> Result<Vec<ProbeRun>, String> {
    let Some(mut backend) = find_backend(ctx) else {
        // Not a Firebase app (or its config is nowhere to be read): nothing to say.
        return Ok(Vec::new());
    };
    let mut runs = Runs {
        tenant: ProbeRun::new(DESCRIPTOR.name, Item::TenantIsolation),
        filtering: ProbeRun::new(DESCRIPTOR.name, Item::ServerSideFiltering),
    };
    let notes = std::mem::take(&mut backend.notes);
    runs.filtering.notes.extend(notes);
    let a = tenant(ctx, IdentityId::A);
    let b = tenant(ctx, IdentityId::B);
    let mut targets = Vec::new();
    if let Some(db) = backend.database.clone() {
        targets.extend(check_database(ctx, &backend, &db, a.as_ref(), b.as_ref(), &mut runs).await);
    }
    if let Some(fs) = backend.firestore.clone() {
        targets
            .extend(check_firestore(ctx, &backend, &fs, a.as_ref(), b.as_ref(), &mut runs).await);
    }
    if let Some(st) = backend.storage.clone() {
        targets.extend(check_storage(ctx, &backend, &st, &mut runs).await);
    }
    let pair_checked = targets
        .iter()
        .filter(|t| t.reads.iter().any(|r| r.identity == IdentityId::B))
        .count();
    match (&a, &b) {
        (Some(_), Some(_)) if pair_checked > 0 => {
            runs.tenant.notes.push(format!(
                "checked {pair_checked} Firebase collections and paths from a to b"
            ));
        }
        (Some(_), Some(_)) => {
            runs.tenant.state = RunState::Inconclusive {
                reason:
                    "no Firestore collection or Realtime Database path of tenant a was found to \
                         try as b (name them in firebase.collections or firebase.paths)"
                        .into(),
            };
        }
        _ => {
            runs.tenant.state = RunState::NotRun {
                reason: "tenants a and b must sign in through Firebase Auth to be tried against \
                         each other's data"
                    .into(),
                config_key: Some("identities.a.login.kind".into()),
            };
        }
    }
    if runs.filtering.checks == 0 && runs.filtering.state == RunState::Ran {
        runs.filtering.state = RunState::Inconclusive {
            reason: "the Firebase backend was found, but no read could be tried".into(),
        };
    }
    let tables = targets
        .into_iter()
        .map(FirebaseTarget::into_table)
        .collect();
    if a.is_some() && b.is_some() {
        runs.tenant.tables = tables;
    } else {
        runs.filtering.tables = tables;
    }
    Ok(vec![runs.tenant, runs.filtering])
}

/// The Firebase project the client names (found by the detector watching discovery) or
/// `[firebase]` names, what the client uses of it, and which of its services the scope
/// reaches (`baas::admit` admitted them, unless `target.forbid_origins` names them).
fn find_backend(ctx: &Context) -> Option<Backend> {
    let settings = &ctx.config.firebase;
    let known = ctx.backends.known.iter().find_map(|k| match &k.backend {
        detect::Backend::Firebase(p) => Some((p, k.note.as_deref())),
        detect::Backend::Supabase(_) => None,
    });
    let mut usage = ctx.backends.names.firebase.clone();
    usage
        .collections
        .extend(settings.collections.iter().cloned());
    usage.paths.extend(settings.paths.iter().cloned());
    let mut project_id = known.and_then(|(p, _)| p.project_id.clone());
    // Collections the browser asked Firestore for over REST name the project too.
    let requested: Vec<&Url> = ctx
        .inventory
        .endpoints
        .values()
        .flat_map(|e| e.examples.iter())
        .collect();
    usage_from_requests(&requested, &mut usage, &mut project_id);
    if known.is_none() && project_id.is_none() {
        return None;
    }
    let mut notes = Vec::new();
    match known {
        Some((p, _)) if p.found_in == "config" => {
            notes.push("Firebase web config from [firebase] in the scan config".into())
        }
        Some((p, _)) => notes.push(format!(
            "Firebase web config found in {} (project {}): public by design, reported as info",
            ctx.http.redactor().text(&p.found_in),
            p.project_id.as_deref().unwrap_or("unnamed")
        )),
        None => notes.push(format!(
            "Firestore project {} named by the client's requests",
            project_id.as_deref().unwrap_or_default()
        )),
    }
    let why_out = known.and_then(|(_, note)| note);
    let database = known
        .and_then(|(p, _)| p.database_url.as_ref())
        .and_then(|u| reach(ctx, u, "databaseURL", why_out, &mut notes));
    let firestore = project_id.as_ref().and_then(|_| {
        (!usage.collections.is_empty())
            .then(|| {
                reach(
                    ctx,
                    &settings.firestore_url,
                    "Firestore",
                    why_out,
                    &mut notes,
                )
            })
            .flatten()
    });
    let storage_bucket = known.and_then(|(p, _)| p.storage_bucket.clone());
    let storage = storage_bucket
        .as_ref()
        .and_then(|_| reach(ctx, &settings.storage_url, "Storage", why_out, &mut notes));
    Some(Backend {
        project_id,
        storage_bucket,
        database,
        firestore,
        storage,
        usage,
        notes,
    })
}

/// A service's base URL when the scope reaches it; else a note on why it was not checked.
fn reach(
    ctx: &Context,
    url: &Url,
    what: &str,
    why_out: Option<&str>,
    notes: &mut Vec<String>,
) -> Option<Url> {
    if ctx.http.scope().contains(url) {
        return Some(url.clone());
    }
    let shown = ctx.http.redactor().url(url);
    notes.push(format!(
        "{what} at {shown} is out of scope: not checked ({})",
        why_out.unwrap_or("the Firebase project joined no scope")
    ));
    None
}

// ---------------------------------------------------------------------------------
// Requests and outcomes

/// A read's outcome from its answer: `denied` (401/403), `empty`, `readable`, `error`.
fn read_outcome(
    identity: IdentityId,
    of: &str,
    resp: &Result<Response, String>,
    entries: impl Fn(&Value) -> u32,
    marker: Option<&str>,
) -> FirebaseRead {
    match resp {
        Err(_) => FirebaseRead {
            identity,
            of: of.into(),
            outcome: "error".into(),
            entries: 0,
            canary_seen: false,
        },
        Ok(r) => {
            let json = r.json();
            let n = json.as_ref().map(&entries).unwrap_or(0);
            let outcome = match r.status {
                401 | 403 => "denied",
                s if (200..300).contains(&s) && n > 0 => "readable",
                s if (200..300).contains(&s) => "empty",
                404 => "empty",
                _ => "error",
            };
            FirebaseRead {
                identity,
                of: of.into(),
                outcome: outcome.into(),
                entries: if outcome == "readable" { n } else { 0 },
                canary_seen: outcome == "readable" && marker.is_some_and(|m| r.text().contains(m)),
            }
        }
    }
}

/// Children of a Realtime Database answer (`shallow=true` gives `{key: true}`).
fn rtdb_entries(v: &Value) -> u32 {
    match v {
        Value::Null => 0,
        Value::Object(m) => m.len() as u32,
        _ => 1,
    }
}

fn firestore_entries(v: &Value) -> u32 {
    if let Some(docs) = v.get("documents").and_then(Value::as_array) {
        return docs.len() as u32;
    }
    u32::from(v.get("fields").is_some() || v.get("name").is_some())
}

fn storage_entries(v: &Value) -> u32 {
    let n = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .map_or(0, |a| a.len() as u32)
    };
    n("items") + n("prefixes")
}

async fn send(ctx: &Context, who: &Identity, req: Request) -> Result<Response, String> {
    who.send(&ctx.http, req).await.map_err(|e| e.to_string())
}

/// A Realtime Database URL: `{db}/{path}.json` with the query, `auth=` when signed in.
fn rtdb_url(db: &Url, path: &str, token: Option<&str>, shallow: bool) -> Option<Url> {
    let base = db.as_str().trim_end_matches('/');
    let path = path.trim_matches('/');
    let mut url = Url::parse(&format!("{base}/{path}.json")).ok()?;
    {
        let mut q = url.query_pairs_mut();
        if shallow {
            q.append_pair("shallow", "true");
        }
        if let Some(t) = token {
            q.append_pair("auth", t);
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    Some(url)
}

/// The Realtime Database as `who`: anonymous when `tenant` is `None`. The ID token goes
/// in `?auth=`, never in a header (the database takes OAuth tokens there).
async fn rtdb_send(
    ctx: &Context,
    tenant: Option<&Tenant<'_>>,
    method: &str,
    url: Url,
    body: Option<&Value>,
) -> Result<Response, String> {
    let who = tenant.map_or_else(|| &**ctx.identities.anonymous(), |t| t.identity);
    let mut req = Request::new(method, url)
        .header("Accept", "application/json")
        .anonymous();
    if let Some(b) = body {
        req = req.json(b);
    }
    send(ctx, who, req).await
}

fn location(ctx: &Context, method: &str, url: &Url) -> Location {
    Location {
        method: method.into(),
        url: ctx.http.redactor().url(url),
    }
}

// ---------------------------------------------------------------------------------
// Realtime Database

async fn check_database(
    ctx: &Context,
    backend: &Backend,
    db: &Url,
    a: Option<&Tenant<'_>>,
    b: Option<&Tenant<'_>>,
    runs: &mut Runs,
) -> Vec<FirebaseTarget> {
    let mut out = Vec::new();
    // The root first: `.read` granted there opens everything.
    let mut paths: Vec<String> = vec![String::new()];
    paths.extend(backend.usage.paths.iter().take(MAX_TARGETS).cloned());
    for path in paths {
        let mut target = FirebaseTarget {
            service: "realtime-database".into(),
            name: if path.is_empty() {
                "/".into()
            } else {
                path.clone()
            },
            ..Default::default()
        };
        let owned = path.contains("{uid}");
        // The node's parent (`notes` of `notes/{uid}`) lists every owner's node.
        let list_path = path.split("/{uid}").next().unwrap_or_default().to_string();
        // Anyone: the parent's keys.
        if let Some(url) = rtdb_url(db, &list_path, None, true) {
            let resp = rtdb_send(ctx, None, "GET", url.clone(), None).await;
            let read = read_outcome(IdentityId::Anonymous, "list", &resp, rtdb_entries, None);
            runs.filtering.checks += 1;
            if read.outcome == "readable"
                && let Ok(r) = &resp
            {
                // The root, or the parent of per-user nodes, is users' data; another path
                // may be public by design (a leaderboard).
                let users_data = list_path.is_empty() || owned;
                public_read(
                    ctx,
                    runs,
                    "firebase.rtdb-public-read",
                    &url,
                    r,
                    users_data,
                    &format!(
                        "anyone can read {} of the Realtime Database without signing in ({} entries at that level)",
                        if list_path.is_empty() {
                            "the root".to_string()
                        } else {
                            format!("/{list_path}")
                        },
                        read.entries
                    ),
                    RTDB_READ_FIX,
                );
            }
            target.reads.push(read);
        }
        // Per-user nodes only: a shared path may be meant for every user.
        if !owned {
            out.push(target);
            continue;
        }
        let (Some(a), Some(b)) = (a, b) else {
            out.push(target);
            continue;
        };
        let anon_public = target
            .reads
            .first()
            .is_some_and(|r| r.outcome == "readable");
        // a's own node, as a (baseline), as b, and anonymously.
        let a_path = path.replace("{uid}", &a.uid);
        let marker = new_marker();
        let canary_path = format!("{a_path}/{marker}");
        let created = match rtdb_url(db, &canary_path, Some(&a.token), false) {
            Some(url) => {
                let resp = rtdb_send(
                    ctx,
                    Some(a),
                    "PUT",
                    url,
                    Some(&json!({ "prodready": marker })),
                )
                .await;
                let status = resp.as_ref().map_or(0, |r| r.status);
                let accepted = (200..300).contains(&status);
                target.writes.push(FirebaseWrite {
                    identity: IdentityId::A,
                    action: "create".into(),
                    status,
                    accepted,
                });
                accepted
            }
            None => false,
        };
        for (who, tenant) in [
            (IdentityId::A, Some(a)),
            (IdentityId::B, Some(b)),
            (IdentityId::Anonymous, None),
        ] {
            let Some(url) = rtdb_url(db, &a_path, tenant.map(|t| t.token.as_str()), true) else {
                continue;
            };
            let resp = rtdb_send(ctx, tenant, "GET", url.clone(), None).await;
            let read = read_outcome(who, "a's data", &resp, rtdb_entries, Some(&marker));
            let readable = read.outcome == "readable";
            target.reads.push(read);
            if who == IdentityId::A {
                continue;
            }
            runs.tenant.checks += 1;
            let seen_by_anyone = anon_public || (who == IdentityId::Anonymous && readable);
            if readable && let Ok(r) = &resp {
                if who == IdentityId::Anonymous {
                    public_read(
                        ctx,
                        runs,
                        "firebase.rtdb-public-read",
                        &url,
                        r,
                        true,
                        &format!(
                            "anyone can read tenant a's node /{} without signing in",
                            owner_path(&path)
                        ),
                        RTDB_READ_FIX,
                    );
                } else if !seen_by_anyone && !public_node(ctx, db, &a_path).await {
                    cross_tenant(
                        ctx,
                        runs,
                        "firebase.rtdb-cross-tenant-read",
                        "GET",
                        &url,
                        r,
                        &format!(
                            "tenant b read tenant a's node /{} of the Realtime Database (the rules let any signed-in user read it)",
                            owner_path(&path)
                        ),
                        RTDB_READ_FIX,
                    );
                }
            }
        }
        // Tenant b's list of the parent: does a's node show?
        if !list_path.is_empty()
            && let Some(url) = rtdb_url(db, &list_path, Some(&b.token), true)
        {
            let resp = rtdb_send(ctx, Some(b), "GET", url.clone(), None).await;
            runs.tenant.checks += 1;
            target.reads.push(read_outcome(
                IdentityId::B,
                "list",
                &resp,
                rtdb_entries,
                None,
            ));
            if let Ok(r) = &resp
                && r.is_success()
                && !anon_public
                && r.json().is_some_and(|j| j.get(&a.uid).is_some())
            {
                cross_tenant(
                    ctx,
                    runs,
                    "firebase.rtdb-cross-tenant-read",
                    "GET",
                    &url,
                    r,
                    &format!(
                        "tenant b lists /{list_path} of the Realtime Database and sees tenant a's node among its keys"
                    ),
                    RTDB_READ_FIX,
                );
            }
        }
        if created {
            rtdb_canary_writes(ctx, db, a, b, &canary_path, &marker, &mut target, runs).await;
        } else {
            target.cleanup = Some("none created (a's write was refused)".into());
        }
        out.push(target);
    }
    out
}

/// Whether a node is readable without signing in (so reading it as b proves nothing).
async fn public_node(ctx: &Context, db: &Url, path: &str) -> bool {
    let Some(url) = rtdb_url(db, path, None, true) else {
        return false;
    };
    rtdb_send(ctx, None, "GET", url, None)
        .await
        .is_ok_and(|r| r.is_success() && r.json().is_some_and(|j| !j.is_null()))
}

fn owner_path(path: &str) -> String {
    path.replace("{uid}", "<a's uid>")
}

/// Anonymous and b's update and delete of a's canary node, then a's cleanup.
#[allow(clippy::too_many_arguments)]
async fn rtdb_canary_writes(
    ctx: &Context,
    db: &Url,
    a: &Tenant<'_>,
    b: &Tenant<'_>,
    canary_path: &str,
    marker: &str,
    target: &mut FirebaseTarget,
    runs: &mut Runs,
) {
    let mut deleted_by = None;
    for (action, method) in [("update", "PATCH"), ("delete", "DELETE")] {
        for (who, tenant) in [(IdentityId::Anonymous, None), (IdentityId::B, Some(b))] {
            if deleted_by.is_some() {
                break;
            }
            let Some(url) = rtdb_url(db, canary_path, tenant.map(|t| t.token.as_str()), false)
            else {
                continue;
            };
            let body = json!({ "prodready_touch": marker });
            let resp = rtdb_send(
                ctx,
                tenant,
                method,
                url.clone(),
                (method == "PATCH").then_some(&body),
            )
            .await;
            let write = ForeignWrite {
                probe: "firebase.rtdb-foreign-write",
                object: "canary node in the Realtime Database",
                fix: RTDB_WRITE_FIX,
                who,
                action,
                method,
            };
            if write.record(ctx, runs, target, &url, &resp) && action == "delete" {
                deleted_by = Some(who);
            }
        }
    }
    // a removes its canary (even one b deleted: a PATCH may have re-created it).
    let Some(url) = rtdb_url(db, canary_path, Some(&a.token), false) else {
        return;
    };
    let resp = rtdb_send(ctx, Some(a), "DELETE", url, None).await;
    let removed = resp.as_ref().is_ok_and(|r| r.is_success());
    let gone = match rtdb_url(db, canary_path, Some(&a.token), false) {
        Some(u) => rtdb_send(ctx, Some(a), "GET", u, None)
            .await
            .is_ok_and(|r| r.is_success() && r.json().is_some_and(|j| j.is_null())),
        None => false,
    };
    target.cleanup = Some(cleanup_line(removed && gone, deleted_by));
    if !(removed && gone) {
        ctx.owned.strand(
            &format!(
                "Realtime Database canary {}",
                ctx.http.redactor().text(canary_path)
            ),
            "a's DELETE did not remove it",
        );
    }
}

/// One update or delete of tenant a's canary, sent as anonymous or as tenant b.
struct ForeignWrite<'a> {
    probe: &'static str,
    /// What was written, as the finding names it ("canary node in the Realtime Database").
    object: &'a str,
    fix: &'static str,
    who: IdentityId,
    action: &'static str,
    method: &'static str,
}

impl ForeignWrite<'_> {
    /// Records the attempt on the target's writes and, when it was accepted, the
    /// cross-tenant finding. Returns whether it was accepted.
    fn record(
        &self,
        ctx: &Context,
        runs: &mut Runs,
        target: &mut FirebaseTarget,
        url: &Url,
        resp: &Result<Response, String>,
    ) -> bool {
        let status = resp.as_ref().map_or(0, |r| r.status);
        let accepted = (200..300).contains(&status);
        runs.tenant.checks += 1;
        target.writes.push(FirebaseWrite {
            identity: self.who,
            action: self.action.into(),
            status,
            accepted,
        });
        if accepted && let Ok(r) = resp {
            let writer = if self.who == IdentityId::B {
                "tenant b"
            } else {
                "anyone, without signing in,"
            };
            cross_tenant(
                ctx,
                runs,
                self.probe,
                self.method,
                url,
                r,
                &format!("{writer} could {} tenant a's {}", self.action, self.object),
                self.fix,
            );
        }
        accepted
    }
}

fn cleanup_line(gone: bool, deleted_by: Option<IdentityId>) -> String {
    match (gone, deleted_by) {
        (true, Some(who)) => {
            format!("removed ({who} deleted it; a verified it gone)")
        }
        (true, None) => "removed by a, verified gone".into(),
        (false, _) => "left behind: a's DELETE did not remove it".into(),
    }
}

// ---------------------------------------------------------------------------------
// Cloud Firestore

/// `{base}/v1/projects/{p}/databases/(default)/documents/{rest}` with the query.
fn firestore_url(base: &Url, project: &str, rest: &str, query: &[(&str, &str)]) -> Option<Url> {
    let mut url = Url::parse(&format!(
        "{}/v1/projects/{project}/databases/(default)/documents/{rest}",
        base.as_str().trim_end_matches('/')
    ))
    .ok()?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Some(url)
}

/// Firestore as `who` (its session sends the ID token as a bearer token).
async fn firestore_send(
    ctx: &Context,
    who: &Identity,
    method: &str,
    url: Url,
    body: Option<&Value>,
) -> Result<Response, String> {
    let mut req = Request::new(method, url).header("Accept", "application/json");
    if who.is_anonymous() {
        req = req.anonymous();
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    send(ctx, who, req).await
}

/// The canary document's fields: the marker, and a's uid in every field the bundle
/// queries by (or the usual owner fields when it names none).
fn canary_fields(usage: &Usage, uid: &str, marker: &str) -> Value {
    let mut fields = serde_json::Map::new();
    let owners: Vec<String> = if usage.owner_fields.is_empty() {
        ["owner", "ownerId", "uid", "userId", "user_id", "createdBy"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        usage.owner_fields.iter().cloned().collect()
    };
    for f in owners {
        fields.insert(f, json!({ "stringValue": uid }));
    }
    fields.insert("prodready".into(), json!({ "stringValue": marker }));
    json!({ "fields": fields })
}

async fn check_firestore(
    ctx: &Context,
    backend: &Backend,
    base: &Url,
    a: Option<&Tenant<'_>>,
    b: Option<&Tenant<'_>>,
    runs: &mut Runs,
) -> Vec<FirebaseTarget> {
    let Some(project) = backend.project_id.as_deref() else {
        return Vec::new();
    };
    let anon = ctx.identities.anonymous();
    let page = PAGE.to_string();
    let mut out = Vec::new();
    for collection in backend.usage.collections.iter().take(MAX_TARGETS) {
        let mut target = FirebaseTarget {
            service: "firestore".into(),
            name: collection.clone(),
            ..Default::default()
        };
        let Some(list) = firestore_url(base, project, collection, &[("pageSize", &page)]) else {
            continue;
        };
        let resp = firestore_send(ctx, anon, "GET", list.clone(), None).await;
        let read = read_outcome(
            IdentityId::Anonymous,
            "list",
            &resp,
            firestore_entries,
            None,
        );
        runs.filtering.checks += 1;
        let anon_lists = read.outcome == "readable";
        if anon_lists && let Ok(r) = &resp {
            let owned = owned_documents(&backend.usage, r);
            public_read(
                ctx,
                runs,
                "firebase.firestore-public-read",
                &list,
                r,
                owned,
                &format!(
                    "anyone can list the Firestore collection `{collection}` without signing in ({} documents in the first page)",
                    read.entries
                ),
                FIRESTORE_READ_FIX,
            );
        }
        target.reads.push(read);
        let (Some(a), Some(b)) = (a, b) else {
            out.push(target);
            continue;
        };
        if backend.usage.uid_keyed.contains(collection) {
            // Documents keyed by the uid: a's own, read as b and anonymously (reads only).
            check_uid_doc(
                ctx,
                base,
                project,
                collection,
                a,
                b,
                anon_lists,
                &mut target,
                runs,
            )
            .await;
            target.cleanup =
                Some("none created (documents keyed by the user's uid: reads only)".into());
            out.push(target);
            continue;
        }
        let marker = new_marker();
        let Some(create) = firestore_url(base, project, collection, &[("documentId", &marker)])
        else {
            continue;
        };
        let resp = firestore_send(
            ctx,
            a.identity,
            "POST",
            create,
            Some(&canary_fields(&backend.usage, &a.uid, &marker)),
        )
        .await;
        let status = resp.as_ref().map_or(0, |r| r.status);
        let created = (200..300).contains(&status);
        target.writes.push(FirebaseWrite {
            identity: IdentityId::A,
            action: "create".into(),
            status,
            accepted: created,
        });
        if !created {
            target.cleanup = Some("none created (a's create was refused)".into());
            out.push(target);
            continue;
        }
        let doc_path = format!("{collection}/{marker}");
        // Reads of the canary: a (baseline), b, anonymous; then b's list.
        let mut anon_reads_canary = anon_lists;
        for who in [IdentityId::A, IdentityId::Anonymous, IdentityId::B] {
            let identity = if who == IdentityId::A {
                a.identity
            } else if who == IdentityId::B {
                b.identity
            } else {
                &**anon
            };
            let Some(url) = firestore_url(base, project, &doc_path, &[]) else {
                continue;
            };
            let resp = firestore_send(ctx, identity, "GET", url.clone(), None).await;
            let read = read_outcome(who, "canary", &resp, firestore_entries, Some(&marker));
            let readable = read.outcome == "readable";
            target.reads.push(read);
            if who == IdentityId::A {
                continue;
            }
            runs.tenant.checks += 1;
            if who == IdentityId::Anonymous && readable {
                anon_reads_canary = true;
                if let Ok(r) = &resp
                    && !anon_lists
                {
                    public_read(
                        ctx,
                        runs,
                        "firebase.firestore-public-read",
                        &url,
                        r,
                        true,
                        &format!(
                            "anyone can read a document of `{collection}` by its id without signing in (tenant a's canary)"
                        ),
                        FIRESTORE_READ_FIX,
                    );
                }
            }
            if who == IdentityId::B
                && readable
                && !anon_reads_canary
                && let Ok(r) = &resp
            {
                cross_tenant(
                    ctx,
                    runs,
                    "firebase.firestore-cross-tenant-read",
                    "GET",
                    &url,
                    r,
                    &format!("tenant b read tenant a's canary document in `{collection}`"),
                    FIRESTORE_READ_FIX,
                );
            }
        }
        if let Some(url) = firestore_url(base, project, collection, &[("pageSize", &page)]) {
            let resp = firestore_send(ctx, b.identity, "GET", url.clone(), None).await;
            let read = read_outcome(
                IdentityId::B,
                "list",
                &resp,
                firestore_entries,
                Some(&marker),
            );
            runs.tenant.checks += 1;
            let seen = read.canary_seen;
            target.reads.push(read);
            if seen
                && !anon_reads_canary
                && let Ok(r) = &resp
            {
                cross_tenant(
                    ctx,
                    runs,
                    "firebase.firestore-cross-tenant-read",
                    "GET",
                    &url,
                    r,
                    &format!("tenant b lists `{collection}` and gets tenant a's canary document"),
                    FIRESTORE_READ_FIX,
                );
            }
        }
        firestore_canary_writes(
            ctx,
            base,
            project,
            &doc_path,
            a,
            b,
            &marker,
            &mut target,
            runs,
        )
        .await;
        out.push(target);
    }
    out
}

/// `collection/{a's uid}` as b and anonymously.
#[allow(clippy::too_many_arguments)]
async fn check_uid_doc(
    ctx: &Context,
    base: &Url,
    project: &str,
    collection: &str,
    a: &Tenant<'_>,
    b: &Tenant<'_>,
    anon_lists: bool,
    target: &mut FirebaseTarget,
    runs: &mut Runs,
) {
    let Some(url) = firestore_url(base, project, &format!("{collection}/{}", a.uid), &[]) else {
        return;
    };
    let anon = ctx.identities.anonymous();
    let mut anon_reads = anon_lists;
    for (who, identity) in [
        (IdentityId::A, a.identity),
        (IdentityId::Anonymous, &**anon),
        (IdentityId::B, b.identity),
    ] {
        let resp = firestore_send(ctx, identity, "GET", url.clone(), None).await;
        let read = read_outcome(who, "a's data", &resp, firestore_entries, None);
        let readable = read.outcome == "readable";
        target.reads.push(read);
        if who == IdentityId::A {
            continue;
        }
        runs.tenant.checks += 1;
        let Ok(r) = &resp else { continue };
        if who == IdentityId::Anonymous && readable {
            anon_reads = true;
            if !anon_lists {
                public_read(
                    ctx,
                    runs,
                    "firebase.firestore-public-read",
                    &url,
                    r,
                    true,
                    &format!(
                        "anyone can read tenant a's document `{collection}/<a's uid>` without signing in"
                    ),
                    FIRESTORE_READ_FIX,
                );
            }
        }
        if who == IdentityId::B && readable && !anon_reads {
            cross_tenant(
                ctx,
                runs,
                "firebase.firestore-cross-tenant-read",
                "GET",
                &url,
                r,
                &format!("tenant b read tenant a's document `{collection}/<a's uid>`"),
                FIRESTORE_READ_FIX,
            );
        }
    }
}

/// Anonymous and b's update and delete of a's canary document, then a's cleanup. Each
/// write carries `currentDocument.exists=true`, so none can create a document.
#[allow(clippy::too_many_arguments)]
async fn firestore_canary_writes(
    ctx: &Context,
    base: &Url,
    project: &str,
    doc_path: &str,
    a: &Tenant<'_>,
    b: &Tenant<'_>,
    marker: &str,
    target: &mut FirebaseTarget,
    runs: &mut Runs,
) {
    let anon = ctx.identities.anonymous();
    let mut deleted_by = None;
    for action in ["update", "delete"] {
        for (who, identity) in [
            (IdentityId::Anonymous, &**anon),
            (IdentityId::B, b.identity),
        ] {
            if deleted_by.is_some() {
                break;
            }
            let (method, url, body) = if action == "update" {
                (
                    "PATCH",
                    firestore_url(
                        base,
                        project,
                        doc_path,
                        &[
                            ("updateMask.fieldPaths", "prodready_touch"),
                            ("currentDocument.exists", "true"),
                        ],
                    ),
                    Some(json!({ "fields": { "prodready_touch": { "stringValue": marker } } })),
                )
            } else {
                (
                    "DELETE",
                    firestore_url(
                        base,
                        project,
                        doc_path,
                        &[("currentDocument.exists", "true")],
                    ),
                    None,
                )
            };
            let Some(url) = url else { continue };
            let resp = firestore_send(ctx, identity, method, url.clone(), body.as_ref()).await;
            let write = ForeignWrite {
                probe: "firebase.firestore-foreign-write",
                object: &format!(
                    "canary document `{}`",
                    doc_path.split('/').next().unwrap_or_default()
                ),
                fix: FIRESTORE_WRITE_FIX,
                who,
                action,
                method,
            };
            if write.record(ctx, runs, target, &url, &resp) && action == "delete" {
                deleted_by = Some(who);
            }
        }
    }
    let gone_already = deleted_by.is_some();
    let removed = gone_already
        || match firestore_url(
            base,
            project,
            doc_path,
            &[("currentDocument.exists", "true")],
        ) {
            Some(url) => firestore_send(ctx, a.identity, "DELETE", url, None)
                .await
                .is_ok_and(|r| r.is_success()),
            None => false,
        };
    // Gone: 404, or refused once a's precondition-checked DELETE went through (rules
    // that read `resource.data` deny a get of a missing document).
    let gone = match firestore_url(base, project, doc_path, &[]) {
        Some(url) => firestore_send(ctx, a.identity, "GET", url, None)
            .await
            .is_ok_and(|r| r.status == 404 || (removed && r.status == 403)),
        None => false,
    };
    target.cleanup = Some(cleanup_line(removed && gone, deleted_by));
    if !(removed && gone) {
        ctx.owned.strand(
            &format!("Firestore canary {doc_path}"),
            "a's DELETE did not remove it",
        );
    }
}

// ---------------------------------------------------------------------------------
// Cloud Storage for Firebase

async fn check_storage(
    ctx: &Context,
    backend: &Backend,
    base: &Url,
    runs: &mut Runs,
) -> Vec<FirebaseTarget> {
    let Some(bucket) = backend.storage_bucket.as_deref() else {
        return Vec::new();
    };
    let bucket = bucket.trim_start_matches("gs://");
    let Ok(mut url) = Url::parse(&format!(
        "{}/v0/b/{bucket}/o",
        base.as_str().trim_end_matches('/')
    )) else {
        return Vec::new();
    };
    url.query_pairs_mut()
        .append_pair("prefix", "")
        .append_pair("delimiter", "/")
        .append_pair("maxResults", &PAGE.to_string());
    let anon = ctx.identities.anonymous();
    let resp = send(
        ctx,
        anon,
        Request::get(url.clone())
            .header("Accept", "application/json")
            .anonymous(),
    )
    .await;
    let read = read_outcome(IdentityId::Anonymous, "list", &resp, storage_entries, None);
    runs.filtering.checks += 1;
    if read.outcome == "readable"
        && let Ok(r) = &resp
    {
        let f = crate::model::Finding::builder(Item::ServerSideFiltering, "firebase.storage-public-list")
            .rated(Severity::High, Confidence::Firm)
            .title("Firebase Storage bucket listable by anyone")
            .detail(format!(
                "anyone can list the files of bucket {bucket} without signing in ({} folders and files at its root)",
                read.entries
            ))
            .at(location(ctx, "GET", &url))
            .evidence(ctx.http.evidence("anonymous list of the bucket", r, None))
            .remediation(STORAGE_FIX)
            .build();
        runs.filtering.findings.push(f);
    }
    vec![FirebaseTarget {
        service: "storage".into(),
        name: bucket.to_string(),
        reads: vec![read],
        ..Default::default()
    }]
}

// ---------------------------------------------------------------------------------
// Findings

const RTDB_READ_FIX: &str = "Grant `.read` only where the data is the caller's: no `\".read\": true` or \
     `\"auth != null\"` at the root or a parent, e.g. `{\"rules\": {\"notes\": {\"$uid\": {\".read\": \
     \"auth != null && auth.uid === $uid\"}}}}` (rules cascade down: a grant on a parent cannot be \
     taken back below it).";
const RTDB_WRITE_FIX: &str = "Grant `.write` only on the caller's own node: `{\"rules\": {\"notes\": \
     {\"$uid\": {\".write\": \"auth != null && auth.uid === $uid\"}}}}`.";
const FIRESTORE_READ_FIX: &str = "Allow reads only of the caller's documents: `match /notes/{id} { allow \
     read: if request.auth != null && resource.data.owner == request.auth.uid; }` (and query with \
     where(\"owner\", \"==\", uid): rules are not filters).";
const FIRESTORE_WRITE_FIX: &str = "Check the owner on update and delete too, not only on create: `allow \
     update, delete: if request.auth != null && resource.data.owner == request.auth.uid;` and keep \
     the owner unchanged (`request.resource.data.owner == resource.data.owner`).";
const STORAGE_FIX: &str = "Allow listing and reads only under the caller's folder: `match /users/{uid}/{file=**} \
     { allow read, write: if request.auth != null && request.auth.uid == uid; }` and no `allow read: \
     if true` on the bucket.";

/// Whether listed documents carry an owner field (the bundle's, or a usual one): users'
/// data, not content meant for everyone.
fn owned_documents(usage: &Usage, resp: &Response) -> bool {
    let defaults = ["owner", "ownerId", "uid", "userId", "user_id", "createdBy"];
    let Some(json) = resp.json() else {
        return false;
    };
    json.get("documents")
        .and_then(Value::as_array)
        .is_some_and(|docs| {
            docs.iter().any(|d| {
                d.get("fields").and_then(Value::as_object).is_some_and(|f| {
                    f.keys()
                        .any(|k| usage.owner_fields.contains(k) || defaults.contains(&k.as_str()))
                })
            })
        })
}

/// An anonymous read that returned data: users' data fails item 5; data that may be
/// public by design (no owner to be seen) only warns, for a human to judge.
#[allow(clippy::too_many_arguments)]
fn public_read(
    ctx: &Context,
    runs: &mut Runs,
    probe: &str,
    url: &Url,
    resp: &Response,
    users_data: bool,
    detail: &str,
    fix: &str,
) {
    let run = runs.item(Item::ServerSideFiltering);
    let (severity, confidence, detail) = if users_data {
        (Severity::High, Confidence::Confirmed, detail.to_string())
    } else {
        (
            Severity::Medium,
            Confidence::Tentative,
            format!("{detail}; no owner field shows, so it may be public by design: check it is"),
        )
    };
    let f = crate::model::Finding::builder(Item::ServerSideFiltering, probe)
        .rated(severity, confidence)
        .title(if probe.contains("rtdb") {
            "Realtime Database readable without signing in"
        } else {
            "Firestore documents readable without signing in"
        })
        .discriminator(detail.split(" (").next().unwrap_or(&detail).to_string())
        .detail(detail.clone())
        .at(location(ctx, "GET", url))
        .evidence(ctx.http.evidence("anonymous read", resp, None))
        .remediation(fix)
        .build();
    run.findings.push(f);
}

#[allow(clippy::too_many_arguments)]
fn cross_tenant(
    ctx: &Context,
    runs: &mut Runs,
    probe: &str,
    method: &str,
    url: &Url,
    resp: &Response,
    detail: &str,
    fix: &str,
) {
    let run = runs.item(Item::TenantIsolation);
    let title = match probe {
        "firebase.rtdb-cross-tenant-read" => "Another user's Realtime Database data readable",
        "firebase.firestore-cross-tenant-read" => "Another user's Firestore documents readable",
        "firebase.rtdb-foreign-write" => "Another user's Realtime Database data writable",
        _ => "Another user's Firestore documents writable",
    };
    let f = crate::model::Finding::builder(Item::TenantIsolation, probe)
        .rated(Severity::Critical, Confidence::Confirmed)
        .title(title)
        .detail(detail)
        .at(location(ctx, method, url))
        .discriminator(detail)
        .evidence(ctx.http.evidence("request as another identity", resp, None))
        .remediation(fix)
        .build();
    run.findings.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLE: &str = r#"
const firebaseConfig = {
  apiKey: "AIzaSyB1x2y3z4a5b6c7d8e9f0g1h2i3j4k5l6m",
  authDomain: "acme-notes.firebaseapp.com",
  projectId: "acme-notes",
  databaseURL: "https://acme-notes-default-rtdb.firebaseio.com",
  storageBucket: "acme-notes.appspot.com",
};
const app = initializeApp(firebaseConfig);
const q = query(collection(db, "tasks"), where("ownerId", "==", user.uid));
db.collection("comments").get();
getDoc(doc(db, "users", auth.currentUser.uid));
getDoc(doc(db, "settings", "global"));
onValue(ref(rtdb, `presence/${user.uid}`), cb);
set(ref(db, "chats/" + user.uid + "/last"), 1);
push(ref(db, "rooms/" + roomId));
firebase.database().ref("leaderboard").once("value");
"#;

    /// The shared detector reads this family's web config in object literals and JSON.
    #[test]
    fn the_web_config_is_read_from_object_literals_and_json() {
        let at = Url::parse("http://127.0.0.1:1/assets/app.js").unwrap();
        let project = |text: &str| {
            detect::detect(text, &at).into_iter().find_map(|b| match b {
                detect::Backend::Firebase(p) => Some(p),
                detect::Backend::Supabase(_) => None,
            })
        };
        let c = project(BUNDLE).expect("config");
        assert_eq!(c.project_id.as_deref(), Some("acme-notes"));
        assert_eq!(
            c.database_url.as_ref().map(Url::as_str),
            Some("https://acme-notes-default-rtdb.firebaseio.com/")
        );
        assert_eq!(c.storage_bucket.as_deref(), Some("acme-notes.appspot.com"));
        let json = r#"{"apiKey":"AIzaSyB1x2y3z4a5b6c7d8e9f0g1h2i3j4k5l6m","projectId":"p1"}"#;
        assert_eq!(
            project(json).and_then(|c| c.project_id).as_deref(),
            Some("p1")
        );
        // A Maps key alone is no Firebase app.
        assert!(project(r#"{apiKey: "AIzaSyB1x2y3z4a5b6c7d8e9f0g1h2i3j4k5l6m"}"#).is_none());
    }

    #[test]
    fn collections_paths_and_owner_fields_come_from_the_sdk_calls() {
        let u = usage(BUNDLE);
        let names: Vec<&str> = u.collections.iter().map(String::as_str).collect();
        assert_eq!(names, ["comments", "settings", "tasks", "users"]);
        assert_eq!(u.uid_keyed.iter().collect::<Vec<_>>(), ["users"]);
        assert_eq!(u.owner_fields.iter().collect::<Vec<_>>(), ["ownerId"]);
        let paths: Vec<&str> = u.paths.iter().map(String::as_str).collect();
        assert_eq!(
            paths,
            ["chats/{uid}", "leaderboard", "presence/{uid}", "rooms"]
        );
    }

    #[test]
    fn collections_asked_for_over_rest_are_learned_from_requests() {
        let mut u = Usage::default();
        let mut project = None;
        let seen = Url::parse("https://firestore.googleapis.com/v1/projects/p9/databases/(default)/documents/orders/x1").unwrap();
        usage_from_requests(&[&seen], &mut u, &mut project);
        assert_eq!(project.as_deref(), Some("p9"));
        assert!(u.collections.contains("orders"));
    }

    /// The web config's key is public by design and a service-account key is not: the
    /// catalog's signatures, which report keys wherever they are served, agree.
    #[test]
    fn the_catalog_rates_a_web_api_key_info_and_a_service_account_key_critical() {
        let catalog = crate::catalog::ProbeCatalog::builtin().expect("catalog loads");
        let found = catalog.signatures.scan_text(BUNDLE.as_bytes());
        let key = found
            .iter()
            .find(|m| m.signature.id == "secrets.google-api-key")
            .expect("the web apiKey is matched");
        assert_eq!(key.signature.severity, Severity::Info);
        let account = r#"{"type": "service_account", "project_id": "acme-notes", "private_key_id": "967a64cb14028d512c9791e558e08baa7196b50a"}"#;
        let found = catalog.signatures.scan_text(account.as_bytes());
        assert!(
            found
                .iter()
                .any(|m| m.signature.id == "secrets.gcp-service-account"
                    && m.signature.severity == Severity::Critical),
            "{:?}",
            found.iter().map(|m| &m.signature.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn database_urls_carry_the_token_as_auth_and_shallow_reads() {
        let db = Url::parse("https://x.firebaseio.com").unwrap();
        let u = rtdb_url(&db, "notes/u1", Some("tok"), true).unwrap();
        assert_eq!(
            u.as_str(),
            "https://x.firebaseio.com/notes/u1.json?shallow=true&auth=tok"
        );
        assert_eq!(
            rtdb_url(&db, "", None, false).unwrap().as_str(),
            "https://x.firebaseio.com/.json"
        );
    }
}
