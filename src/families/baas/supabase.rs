//! The `supabase` family: a Supabase project the app's client talks to, tested as
//! anonymous, tenant A and tenant B (checklist items 1, 2, 5 and 7).
//!
//! Supabase puts Postgres behind PostgREST; Row Level Security is the only thing
//! between the public anon key (in every bundle, by design) and every row. The family
//! asks the questions RLS must answer:
//!
//! - **Keys (item 7).** The anon/publishable key in the client is `info`; a
//!   `service_role` or `sb_secret_` key there bypasses RLS and is critical. The scanner
//!   never uses such a key.
//! - **Tables (item 1).** Tables and views come from PostgREST's OpenAPI root
//!   (`GET /rest/v1/`; hosted projects now refuse it to the anon key) and from the
//!   names the client queries (`.from("notes")`). Per table, each tenant reads its own
//!   rows (bounded: `limit`, `Prefer: count=exact`), which tells which columns hold
//!   the owner's user id (`auth.uid()`); then B and the anon key read A's rows by that
//!   column and by A's canary row. A inserts a canary row (`Prefer:
//!   return=representation`); B and the anon key try to update and delete it, and A
//!   reads it back: PostgREST answers 200/204 with no rows when RLS filters a write
//!   out, so only the read-back decides. B also tries to insert a row in A's name.
//!   Only the scanner's own rows are ever written, and A deletes them at the end.
//! - **Functions (item 1).** `rpc/` functions are called anonymously, with no
//!   arguments and only with GET: PostgREST runs GET in a read-only transaction, so a
//!   function that writes fails instead of writing. A result carrying a tenant's id or
//!   private values is a leak.
//! - **Storage (item 5).** A uploads a canary object under its own folder; B and the
//!   anon key list the folder and download the object; A deletes it.
//! - **Signup (item 2).** `GET /auth/v1/settings` says whether anyone may sign up; an
//!   open signup on a project whose client never signs users up is a warning.

use std::collections::BTreeSet;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use url::Url;

use super::KnownBackend;
use super::detect::{Backend, SupabaseProject};
use crate::auth::Identity;
use crate::engine::{Context, Descriptor, Family};
use crate::http::{Request, Response, Session};
use crate::model::{
    Confidence, Finding, IdentityId, Item, Location, ProbeRun, RunState, Severity, TableCheck,
    TableRead, TableWrite,
};

/// What the `supabase` family is.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "supabase",
    items: &[
        Item::TenantIsolation,
        Item::Authentication,
        Item::ServerSideFiltering,
        Item::Secrets,
    ],
    ids: &[
        "supabase.anon-key-in-client",
        "supabase.service-key-in-client",
        "supabase.rows-readable-across-tenants",
        "supabase.rows-readable-anonymously",
        "supabase.canary-writable-across-tenants",
        "supabase.rows-writable-in-another-users-name",
        "supabase.rpc-leaks-user-data",
        "supabase.storage-readable-across-tenants",
        "supabase.signup-open",
    ],
    runs_last: false,
};

/// Tables checked at most per project.
const MAX_TABLES: usize = 20;
/// Functions called at most.
const MAX_FUNCTIONS: usize = 10;
/// Buckets checked at most.
const MAX_BUCKETS: usize = 5;
/// Rows read per request: enough to learn the owner columns, never a table dump.
const READ_LIMIT: usize = 25;

/// The `supabase` family.
pub struct SupabaseFamily;

impl Family for SupabaseFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(run(ctx))
    }
}

/// The projects the client names that joined the scope, each with its keys.
fn projects(ctx: &Context) -> Vec<(Url, Vec<(SupabaseProject, bool)>)> {
    let mut out: Vec<(Url, Vec<(SupabaseProject, bool)>)> = Vec::new();
    for KnownBackend {
        backend, in_scope, ..
    } in &ctx.backends.known
    {
        let Backend::Supabase(p) = backend else {
            continue;
        };
        match out.iter_mut().find(|(u, _)| *u == p.url) {
            Some((_, list)) => list.push((p.clone(), *in_scope)),
            None => out.push((p.url.clone(), vec![(p.clone(), *in_scope)])),
        }
    }
    out
}

async fn run(ctx: &Context) -> Result<Vec<ProbeRun>, String> {
    let projects = projects(ctx);
    // Keys that bypass RLS with no project URL beside them are reported on their own.
    let stray: Vec<SupabaseProject> = ctx
        .backends
        .secret_keys
        .iter()
        .filter(|(k, _)| {
            !projects
                .iter()
                .flat_map(|(_, keys)| keys)
                .any(|(p, _)| p.key.as_ref() == Some(k))
        })
        .filter_map(|(k, found_in)| {
            Some(SupabaseProject {
                url: Url::parse(found_in).ok()?,
                key: Some(k.clone()),
                found_in: found_in.clone(),
            })
        })
        .collect();
    if projects.is_empty() && stray.is_empty() {
        // Not a Supabase app: nothing to say about any item.
        return Ok(Vec::new());
    }
    let mut secrets = ProbeRun::new(DESCRIPTOR.name, Item::Secrets);
    let mut tenants = ProbeRun::new(DESCRIPTOR.name, Item::TenantIsolation);
    let mut storage = ProbeRun::new(DESCRIPTOR.name, Item::ServerSideFiltering);
    let mut auth = ProbeRun::new(DESCRIPTOR.name, Item::Authentication);
    for key in stray {
        keys_in_client(ctx, None, &[(key, false)], &mut secrets).await;
    }
    for (url, keys) in &projects {
        keys_in_client(ctx, Some(url), keys, &mut secrets).await;
        let public = keys
            .iter()
            .find(|(p, in_scope)| *in_scope && p.key.as_ref().is_some_and(|k| k.kind.is_public()));
        let Some((project, _)) = public else {
            let why = if keys.iter().any(|(_, s)| *s) {
                format!("{url}: the client carries no anon or publishable key to call it with")
            } else {
                format!("{url} stayed out of scope (see the report's backends)")
            };
            for run in [&mut tenants, &mut storage, &mut auth] {
                run.notes.push(why.clone());
            }
            continue;
        };
        let key = project
            .key
            .as_ref()
            .map(|k| k.value.clone())
            .unwrap_or_default();
        let api = Api {
            ctx,
            url: url.clone(),
            key,
            anon: Session::scratch(IdentityId::Anonymous, "supabase anon key"),
        };
        signup(&api, &mut auth).await;
        let (a, b) = match tenants_of(ctx) {
            Ok(pair) => pair,
            Err(reason) => {
                tenants.state = RunState::NotRun {
                    reason: reason.clone(),
                    config_key: Some("identities.a.login.kind".to_string()),
                };
                storage.state = tenants.state.clone();
                continue;
            }
        };
        let pair = Pair { a, b };
        tables(&api, &pair, &mut tenants).await;
        buckets(&api, &pair, &mut storage).await;
    }
    let mut runs = vec![secrets];
    for run in [tenants, storage, auth] {
        if run.checks > 0 || run.state != RunState::Ran {
            runs.push(run);
        } else if !run.notes.is_empty() {
            let mut r = run;
            r.state = RunState::Inconclusive {
                reason: r.notes.join("; "),
            };
            runs.push(r);
        }
    }
    Ok(runs)
}

/// A tenant as the project knows it: its identity and its user id (`auth.uid()`).
struct Tenant<'a> {
    identity: &'a Identity,
    uid: String,
}

struct Pair<'a> {
    a: Tenant<'a>,
    b: Tenant<'a>,
}

/// Tenants A and B with a Supabase session: a bearer JWT whose `role` is
/// `authenticated` and whose `sub` is the user id.
fn tenants_of(ctx: &Context) -> Result<(Tenant<'_>, Tenant<'_>), String> {
    let tenant = |id: IdentityId| -> Result<Tenant<'_>, String> {
        let identity = ctx.identities.get(id).ok_or_else(|| {
            format!(
                "no identity {id}: configure identities a and b with kind = \"supabase\" logins"
            )
        })?;
        let uid = identity
            .token_claims()
            .into_iter()
            .find(|c| c.get("role").and_then(Value::as_str) == Some("authenticated"))
            .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_string))
            .ok_or_else(|| {
                format!("identity {id} carries no Supabase session (a bearer JWT with role authenticated); log it in with kind = \"supabase\"")
            })?;
        Ok(Tenant { identity, uid })
    };
    let a = tenant(IdentityId::A)?;
    let b = tenant(IdentityId::B)?;
    if a.uid == b.uid {
        return Err("identities a and b are the same Supabase user; give them two users".into());
    }
    Ok((a, b))
}

/// The project's REST, Auth and Storage APIs, called with its public key.
struct Api<'a> {
    ctx: &'a Context,
    url: Url,
    key: String,
    anon: Session,
}

/// Who sends a request: the anon key alone, or a tenant's session (plus the key).
#[derive(Clone, Copy)]
enum As<'a> {
    Anon,
    Tenant(&'a Tenant<'a>),
}

impl As<'_> {
    fn id(&self) -> IdentityId {
        match self {
            As::Anon => IdentityId::Anonymous,
            As::Tenant(t) => t.identity.id,
        }
    }
}

impl Api<'_> {
    fn endpoint(&self, path: &str) -> Option<Url> {
        self.url.join(path).ok()
    }

    async fn send(&self, who: As<'_>, req: Request) -> Option<Response> {
        let req = req.header("apikey", self.key.as_str());
        let resp = match who {
            // What supabase-js sends signed out: the key as the bearer too.
            As::Anon => {
                let req = req
                    .header("Authorization", format!("Bearer {}", self.key))
                    .anonymous();
                self.ctx.http.send(&self.anon, req).await
            }
            As::Tenant(t) => t.identity.send(&self.ctx.http, req).await,
        };
        resp.ok()
    }

    async fn get(&self, who: As<'_>, path: &str) -> Option<Response> {
        let url = self.endpoint(path)?;
        self.send(who, Request::get(url).header("Accept", "application/json"))
            .await
    }

    fn evidence(
        &self,
        label: &str,
        resp: &Response,
        matched: Option<&str>,
    ) -> crate::model::Evidence {
        self.ctx.http.evidence(label, resp, matched)
    }
}

fn location(resp: &Response) -> Location {
    let mut url = resp.url.clone();
    url.set_query(None);
    Location {
        method: resp.sent.method.clone(),
        url: url.to_string(),
    }
}

/// Item 7: the keys the client ships.
async fn keys_in_client(
    ctx: &Context,
    url: Option<&Url>,
    keys: &[(SupabaseProject, bool)],
    run: &mut ProbeRun,
) {
    let url = url.map_or(
        "a Supabase project the client does not name".to_string(),
        |u| format!("the Supabase project {u}"),
    );
    for (project, _) in keys {
        let Some(key) = &project.key else { continue };
        run.checks += 1;
        let public = key.kind.is_public();
        // The script that carries it, as evidence (the key itself is redacted).
        let script = match Url::parse(&project.found_in) {
            Ok(u) if ctx.http.scope().contains(&u) => {
                let req = Request::get(u).body_cap(ctx.config.limits.script_cap);
                ctx.identities.anonymous().send(&ctx.http, req).await.ok()
            }
            _ => None,
        };
        let at = Location {
            method: "GET".into(),
            url: project.found_in.clone(),
        };
        let mut f = if public {
            Finding::builder(Item::Secrets, "supabase.anon-key-in-client")
                .rated(Severity::Info, Confidence::Confirmed)
                .title(format!("Supabase {} in the client (public by design)", key.kind.label()))
                .detail(format!(
                    "The client talks to {url} with its {}. This key is meant for browsers: what it can reach is decided by Row Level Security, which the supabase checks of items 1 and 5 test.",
                    key.kind.label()
                ))
                .remediation("None for the key itself; keep RLS enabled with policies on every table and bucket the key can reach.")
        } else {
            Finding::builder(Item::Secrets, "supabase.service-key-in-client")
                .rated(Severity::Critical, Confidence::Confirmed)
                .title(format!("Supabase {} shipped to the browser", key.kind.label()))
                .detail(format!(
                    "The client carries the {} of {url}. It bypasses Row Level Security: anyone who opens the bundle can read, change and delete every row and file of the project. The scanner did not use it.",
                    key.kind.label()
                ))
                .remediation("Rotate the key now (Project Settings > API keys), keep service_role and sb_secret_ keys on the server (edge functions, your API), and make the client use the anon or publishable key with RLS policies.")
        }
        .at(at)
        .discriminator(key.kind.label())
        .build();
        if let Some(resp) = script.as_ref().filter(|r| r.is_success()) {
            f = f.with_evidence(ctx.http.evidence(
                "the script that carries the key",
                resp,
                Some(&key.value),
            ));
        }
        run.findings.push(f);
    }
}

/// Item 2: an open signup the client never uses.
async fn signup(api: &Api<'_>, run: &mut ProbeRun) {
    let Some(resp) = api.get(As::Anon, "auth/v1/settings").await else {
        return;
    };
    let Some(settings) = resp.json().filter(|_| resp.is_success()) else {
        run.notes
            .push(format!("auth settings unreadable ({})", resp.status));
        return;
    };
    run.checks += 1;
    let open = settings.get("disable_signup") == Some(&Value::Bool(false));
    let signs_up = api.ctx.backends.names.signs_up;
    if !open {
        run.notes
            .push("Supabase Auth refuses signups (disable_signup)".into());
    } else if signs_up {
        run.notes
            .push("Supabase Auth takes signups, and the client signs users up".into());
    } else {
        run.findings.push(
            Finding::builder(Item::Authentication, "supabase.signup-open")
                .rated(Severity::Medium, Confidence::Tentative)
                .title("Anyone can sign up to the Supabase project, though the app has no signup")
                .detail("GET /auth/v1/settings says disable_signup = false, and the client never calls auth.signUp. Anyone with the public key can create an account and read what the `authenticated` role may read.")
                .at(location(&resp))
                .build()
                .with_evidence(api.evidence("the auth settings", &resp, Some("disable_signup")))
                .with_remediation("Turn off \"Allow new users to sign up\" (Authentication > Sign In / Providers), or write RLS policies that grant nothing to a user merely for being `authenticated`."),
        );
    }
}

/// What PostgREST tells about one table.
#[derive(Debug, Clone, Default)]
struct TableInfo {
    name: String,
    kind: &'static str,
    columns: Vec<(String, String)>,
    primary_key: Option<String>,
}

/// Tables, views and functions from the OpenAPI root, when the key may read it.
async fn openapi(api: &Api<'_>, run: &mut ProbeRun) -> (Vec<TableInfo>, Vec<String>) {
    let Some(resp) = api.get(As::Anon, "rest/v1/").await else {
        return (Vec::new(), Vec::new());
    };
    let Some(doc) = resp.json().filter(|_| resp.is_success()) else {
        run.notes.push(format!(
            "the OpenAPI root (GET /rest/v1/) answered {} to the public key; tables come from the client's queries",
            resp.status
        ));
        return (Vec::new(), Vec::new());
    };
    let mut tables = Vec::new();
    let mut functions = Vec::new();
    let paths = doc.get("paths").and_then(Value::as_object);
    for (path, ops) in paths.into_iter().flatten() {
        if let Some(f) = path.strip_prefix("/rpc/") {
            functions.push(f.to_string());
            continue;
        }
        let name = path.trim_start_matches('/');
        if name.is_empty() || name.contains('/') {
            continue;
        }
        let writable = ops.get("post").is_some() || ops.get("patch").is_some();
        let def = doc.pointer(&format!(
            "/definitions/{}/properties",
            name.replace('~', "~0").replace('/', "~1")
        ));
        let mut info = TableInfo {
            name: name.to_string(),
            kind: if writable { "table" } else { "view" },
            ..Default::default()
        };
        for (col, prop) in def.and_then(Value::as_object).into_iter().flatten() {
            let format = prop
                .get("format")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if prop
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| d.contains("<pk/>"))
            {
                info.primary_key = Some(col.clone());
            }
            info.columns.push((col.clone(), format));
        }
        tables.push(info);
    }
    (tables, functions)
}

/// Item 1 over every table, view and function.
async fn tables(api: &Api<'_>, pair: &Pair<'_>, run: &mut ProbeRun) {
    let (mut list, mut functions) = openapi(api, run).await;
    let names = &api.ctx.backends.names;
    for t in &names.tables {
        if !list.iter().any(|i| &i.name == t) {
            list.push(TableInfo {
                name: t.clone(),
                kind: "table",
                ..Default::default()
            });
        }
    }
    for f in &names.functions {
        if !functions.contains(f) {
            functions.push(f.clone());
        }
    }
    if list.len() > MAX_TABLES {
        run.notes.push(format!(
            "{} tables; the first {MAX_TABLES} were checked",
            list.len()
        ));
        list.truncate(MAX_TABLES);
    }
    if list.is_empty() {
        run.notes.push(
            "no table found: the OpenAPI root was refused and the client queries none by name"
                .into(),
        );
    }
    for info in &list {
        if let Some(check) = table(api, pair, info, run).await {
            run.tables.push(check);
        }
    }
    for f in functions.iter().take(MAX_FUNCTIONS) {
        function(api, pair, f, run).await;
    }
    let checked = run.tables.len();
    if checked > 0 {
        run.notes.push(format!(
            "{checked} Supabase table(s) read as anonymous, a and b; rows of a looked for as b and anonymous"
        ));
    }
}

fn rows_of(resp: &Response) -> Option<Vec<Value>> {
    if !resp.is_success() {
        return None;
    }
    match resp.json()? {
        Value::Array(rows) => Some(rows),
        _ => None,
    }
}

/// Columns whose value is the tenant's own user id in every row it reads.
fn owner_columns(rows: &[Value], uid: &str) -> Vec<String> {
    let mut cols: BTreeSet<String> = BTreeSet::new();
    for (i, row) in rows.iter().enumerate() {
        let here: BTreeSet<String> = row
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| v.as_str() == Some(uid))
            .map(|(k, _)| k.clone())
            .collect();
        cols = if i == 0 {
            here
        } else {
            cols.intersection(&here).cloned().collect()
        };
    }
    cols.into_iter().collect()
}

/// Rows in `rows` that carry `uid` in one of `owner` (or anywhere, with no owner known).
fn rows_owned_by(rows: &[Value], owner: &[String], uid: &str) -> usize {
    rows.iter()
        .filter(|r| match owner.is_empty() {
            true => r
                .as_object()
                .into_iter()
                .flatten()
                .any(|(_, v)| v.as_str() == Some(uid)),
            false => owner
                .iter()
                .any(|c| r.get(c).and_then(Value::as_str) == Some(uid)),
        })
        .count()
}

fn filter(column: &str, value: &str) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!("{}=eq.{}", enc(column), enc(value))
}

/// A bounded read (`limit` in the path) that asks for the exact count too.
async fn read(api: &Api<'_>, who: As<'_>, path: String) -> Option<Response> {
    let url = api.endpoint(&path)?;
    let req = Request::get(url)
        .header("Accept", "application/json")
        .header("Prefer", "count=exact");
    api.send(who, req).await
}

/// One table: reads as each identity, A's rows as B and anonymous, writes on A's canary.
async fn table(
    api: &Api<'_>,
    pair: &Pair<'_>,
    info: &TableInfo,
    run: &mut ProbeRun,
) -> Option<TableCheck> {
    let t = &info.name;
    let list = format!("rest/v1/{t}?select=*&limit={READ_LIMIT}");
    let a_resp = read(api, As::Tenant(&pair.a), list.clone()).await?;
    if a_resp.status == 404 {
        run.notes
            .push(format!("{t}: not found ({})", a_resp.status));
        return None;
    }
    run.checks += 1;
    let a_rows = rows_of(&a_resp);
    let b_rows = match read(api, As::Tenant(&pair.b), list.clone()).await {
        Some(r) => rows_of(&r),
        None => None,
    };
    let anon_resp = read(api, As::Anon, list.clone()).await;
    let anon_rows = anon_resp.as_ref().and_then(rows_of);
    let mut owner = owner_columns(a_rows.as_deref().unwrap_or(&[]), &pair.a.uid);
    if owner.is_empty() {
        owner = owner_columns(b_rows.as_deref().unwrap_or(&[]), &pair.b.uid);
    }
    let mut check = TableCheck {
        kind: info.kind.to_string(),
        name: t.clone(),
        ..Default::default()
    };
    let count = |rows: &Option<Vec<Value>>| rows.as_ref().map(|r| r.len() as u32);
    check.reads.push(TableRead {
        identity: IdentityId::Anonymous,
        rows: count(&anon_rows),
        others: anon_rows.as_deref().map_or(0, |r| {
            (rows_owned_by(r, &owner, &pair.a.uid) + rows_owned_by(r, &owner, &pair.b.uid)) as u32
        }),
    });
    check.reads.push(TableRead {
        identity: pair.a.identity.id,
        rows: count(&a_rows),
        others: a_rows
            .as_deref()
            .map_or(0, |r| rows_owned_by(r, &owner, &pair.b.uid) as u32),
    });
    check.reads.push(TableRead {
        identity: pair.b.identity.id,
        rows: count(&b_rows),
        others: b_rows
            .as_deref()
            .map_or(0, |r| rows_owned_by(r, &owner, &pair.a.uid) as u32),
    });

    // A's canary row, the one object every later check may touch.
    let marker = crate::engine::canaries::new_marker();
    let canary = insert_canary(
        api,
        pair,
        info,
        &owner,
        a_rows.as_deref().unwrap_or(&[]),
        &marker,
        &mut check,
    )
    .await;

    // A's rows as B and as the anon key: by each owner column, and by the canary.
    let mut probes: Vec<(String, &'static str)> = owner
        .iter()
        .map(|c| (filter(c, &pair.a.uid), "a's user id"))
        .collect();
    if let Some(c) = &canary {
        probes.push((filter(&c.key, &c.id), "a's canary row"));
    }
    let markers = api.ctx.inventory.markers.get(&pair.a.identity.id);
    for (cond, what) in &probes {
        let path = format!("rest/v1/{t}?select=*&{cond}&limit={READ_LIMIT}");
        let anon = read(api, As::Anon, path.clone()).await;
        let by_b = read(api, As::Tenant(&pair.b), path).await;
        run.checks += 2;
        let anon_n = anon.as_ref().and_then(rows_of).map_or(0, |r| r.len());
        let b_n = by_b.as_ref().and_then(rows_of).map_or(0, |r| r.len());
        if anon_n > 0
            && let Some(resp) = &anon
        {
            let text = resp.text();
            let private = markers.and_then(|m| m.found_in(&text)).map(str::to_string);
            let (severity, confidence, why) = match &private {
                Some(_) => (
                    Severity::Critical,
                    Confidence::Confirmed,
                    "including a's private values",
                ),
                None => (
                    Severity::High,
                    Confidence::Tentative,
                    "which is a leak unless this table is public by design",
                ),
            };
            run.findings.push(
                Finding::builder(Item::TenantIsolation, "supabase.rows-readable-anonymously")
                    .rated(severity, confidence)
                    .title(format!("Rows of a user of `{t}` readable with the public key alone"))
                    .detail(format!("GET /rest/v1/{t} filtered by {what}, sent with the anon/publishable key and no session, returned {anon_n} row(s) belonging to tenant a, {why}. Anyone who opens the app's bundle has that key."))
                    .at(location(resp))
                    .discriminator(format!("{t} {what}"))
                    .build()
                    .with_evidence(api.evidence("the anonymous read", resp, private.as_deref()))
                    .with_remediation(rls_read_fix(t, &owner)),
            );
        } else if b_n > 0
            && let Some(resp) = &by_b
        {
            run.findings.push(
                Finding::builder(Item::TenantIsolation, "supabase.rows-readable-across-tenants")
                    .rated(Severity::Critical, Confidence::Confirmed)
                    .title(format!("Tenant b reads tenant a's rows of `{t}`"))
                    .detail(format!("GET /rest/v1/{t} filtered by {what}, sent with tenant b's session, returned {b_n} row(s) of tenant a (the anon key alone got none): the SELECT policy admits any signed-in user."))
                    .at(location(resp))
                    .discriminator(format!("{t} {what}"))
                    .build()
                    .with_evidence(api.evidence("b's read of a's rows", resp, Some(&pair.a.uid)))
                    .with_remediation(rls_read_fix(t, &owner)),
            );
        }
    }

    if let Some(c) = &canary {
        writes(api, pair, info, c, &marker, &mut check, run).await;
        if let Some(col) = owner.first() {
            insert_in_name_of_a(api, pair, info, col, &mut check, run).await;
        }
        cleanup(api, pair, t, c, &mut check).await;
    } else if check.cleanup.is_empty() {
        check.cleanup.push("nothing created".into());
    }
    Some(check)
}

fn rls_read_fix(t: &str, owner: &[String]) -> String {
    let col = owner.first().map_or("user_id", String::as_str);
    format!(
        "Enable RLS and let each user read only their rows: `alter table public.{t} enable row level security; create policy \"own rows\" on public.{t} for select to authenticated using ((select auth.uid()) = {col});` (drop any policy `using (true)` or granted `to anon`)."
    )
}

/// The scanner's row in a table: where its key is, and its text column.
struct Canary {
    key: String,
    id: String,
    text_column: String,
}

/// Columns a canary can be written with: text columns that are neither the key nor
/// an owner column nor a timestamp, from the OpenAPI definitions or A's own rows.
fn text_columns(info: &TableInfo, owner: &[String], sample: &[Value]) -> Vec<String> {
    let skip = |c: &str| {
        owner.iter().any(|o| o == c) || Some(c) == info.primary_key.as_deref() || c == "id"
    };
    if !info.columns.is_empty() {
        return info
            .columns
            .iter()
            .filter(|(c, f)| !skip(c) && (f == "text" || f.starts_with("character")))
            .map(|(c, _)| c.clone())
            .collect();
    }
    let Some(row) = sample.first().and_then(Value::as_object) else {
        return Vec::new();
    };
    row.iter()
        .filter(|(c, v)| {
            !skip(c)
                && v.as_str().is_some_and(|s| {
                    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                        .is_err()
                        && uuid_like(s).not()
                })
        })
        .map(|(c, _)| c.clone())
        .collect()
}

use std::ops::Not;

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.bytes().filter(|b| *b == b'-').count() == 4
}

async fn insert_canary(
    api: &Api<'_>,
    pair: &Pair<'_>,
    info: &TableInfo,
    owner: &[String],
    sample: &[Value],
    marker: &str,
    check: &mut TableCheck,
) -> Option<Canary> {
    if info.kind == "view" {
        check.cleanup.push("a view: no canary written".into());
        return None;
    }
    let texts = text_columns(info, owner, sample);
    let Some(text_column) = texts.first().cloned() else {
        check
            .cleanup
            .push("no text column to mark a canary row with: none written".into());
        return None;
    };
    let mut body = serde_json::Map::new();
    for c in &texts {
        body.insert(c.clone(), json!(marker));
    }
    for c in owner {
        body.insert(c.clone(), json!(pair.a.uid));
    }
    let url = api.endpoint(&format!("rest/v1/{}", info.name))?;
    let req = Request::new("POST", url)
        .header("Prefer", "return=representation")
        .header("Accept", "application/json")
        .json(&Value::Object(body));
    let resp = api.send(As::Tenant(&pair.a), req).await?;
    let row = rows_of(&resp).and_then(|r| r.into_iter().next());
    let Some(row) = row else {
        check.writes.push(TableWrite {
            identity: pair.a.identity.id,
            action: "insert".into(),
            changed: false,
            outcome: format!("canary refused ({}{})", resp.status, pgrst_code(&resp)),
        });
        return None;
    };
    let key = info
        .primary_key
        .clone()
        .filter(|k| row.get(k).is_some())
        .or_else(|| row.get("id").map(|_| "id".to_string()))
        .unwrap_or_else(|| text_column.clone());
    let id = match row.get(&key) {
        Some(Value::String(s)) => s.clone(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => marker.to_string(),
    };
    check.writes.push(TableWrite {
        identity: pair.a.identity.id,
        action: "insert".into(),
        changed: true,
        outcome: format!("canary row {key}={id} created"),
    });
    Some(Canary {
        key,
        id,
        text_column,
    })
}

fn pgrst_code(resp: &Response) -> String {
    resp.json()
        .and_then(|v| {
            v.get("code")
                .map(|c| c.to_string().trim_matches('"').to_string())
        })
        .map(|c| format!(", {c}"))
        .unwrap_or_default()
}

/// A's canary row as A reads it now (`None` when gone).
async fn read_back(api: &Api<'_>, pair: &Pair<'_>, t: &str, c: &Canary) -> Option<Value> {
    let path = format!("rest/v1/{t}?select=*&{}", filter(&c.key, &c.id));
    let resp = api.get(As::Tenant(&pair.a), &path).await?;
    rows_of(&resp)?.into_iter().next()
}

/// B and the anon key update, then delete A's canary; A reads it back after each.
async fn writes(
    api: &Api<'_>,
    pair: &Pair<'_>,
    info: &TableInfo,
    c: &Canary,
    marker: &str,
    check: &mut TableCheck,
    run: &mut ProbeRun,
) {
    let t = &info.name;
    let row_url = match api.endpoint(&format!("rest/v1/{t}?{}", filter(&c.key, &c.id))) {
        Some(u) => u,
        None => return,
    };
    for who in [As::Tenant(&pair.b), As::Anon] {
        for action in ["update", "delete"] {
            let changed_to = format!("{marker}-{}", who.id());
            let req = match action {
                "update" => Request::new("PATCH", row_url.clone())
                    .json(&json!({ c.text_column.as_str(): changed_to })),
                _ => Request::new("DELETE", row_url.clone()),
            }
            .header("Prefer", "return=representation")
            .header("Accept", "application/json");
            let Some(resp) = api.send(who, req).await else {
                continue;
            };
            run.checks += 1;
            let after = read_back(api, pair, t, c).await;
            let changed = match action {
                "update" => {
                    after
                        .as_ref()
                        .and_then(|r| r.get(&c.text_column))
                        .and_then(Value::as_str)
                        == Some(changed_to.as_str())
                }
                _ => after.is_none(),
            };
            let answered = match rows_of(&resp) {
                Some(rows) => format!("{} answered with {} row(s)", resp.status, rows.len()),
                None => format!("refused ({}{})", resp.status, pgrst_code(&resp)),
            };
            check.writes.push(TableWrite {
                identity: who.id(),
                action: action.into(),
                changed,
                outcome: if changed {
                    format!(
                        "{answered}; the canary {}",
                        if action == "update" {
                            "changed"
                        } else {
                            "is gone"
                        }
                    )
                } else {
                    format!("{answered}; the canary is unchanged")
                },
            });
            if changed {
                let whom = match who {
                    As::Anon => "the public key alone (no session)",
                    As::Tenant(_) => "tenant b's session",
                };
                let policy = if action == "update" {
                    "UPDATE"
                } else {
                    "DELETE"
                };
                run.findings.push(
                    Finding::builder(Item::TenantIsolation, "supabase.canary-writable-across-tenants")
                        .rated(Severity::Critical, Confidence::Confirmed)
                        .title(format!("Tenant a's rows of `{t}` can be {}d by {}", action, match who { As::Anon => "anyone", As::Tenant(_) => "another tenant" }))
                        .detail(format!("{} /rest/v1/{t}?{}=eq.… with {whom} {}d the scanner's canary row that tenant a created; a's read-back confirms it.", resp.sent.method, c.key, action))
                        .at(location(&resp))
                        .discriminator(format!("{t} {action} {}", who.id()))
                        .build()
                        .with_evidence(api.evidence(&format!("the {action} of a's canary"), &resp, None))
                        .with_remediation(format!("Enable RLS on public.{t} and restrict {policy} to the owner: `create policy \"own rows\" on public.{t} for {} to authenticated using ((select auth.uid()) = user_id){};` (use the table's owner column).", policy.to_ascii_lowercase(), if action == "update" { " with check ((select auth.uid()) = user_id)" } else { "" })),
                );
            }
            if action == "delete" && changed {
                check
                    .cleanup
                    .push("the canary was deleted by the write test itself".into());
                return;
            }
        }
    }
}

/// B inserts a row that names A as its owner; A looks for it. The row is the
/// scanner's own, so A deletes it afterwards.
async fn insert_in_name_of_a(
    api: &Api<'_>,
    pair: &Pair<'_>,
    info: &TableInfo,
    owner_column: &str,
    check: &mut TableCheck,
    run: &mut ProbeRun,
) {
    let t = &info.name;
    let marker = crate::engine::canaries::new_marker();
    let texts = text_columns(info, &[owner_column.to_string()], &[]);
    let Some(text_column) = texts.first().cloned() else {
        return;
    };
    let mut body = serde_json::Map::new();
    for c in &texts {
        body.insert(c.clone(), json!(marker));
    }
    body.insert(owner_column.to_string(), json!(pair.a.uid));
    let Some(url) = api.endpoint(&format!("rest/v1/{t}")) else {
        return;
    };
    // `return=minimal`: RETURNING would need b to pass the SELECT policy on a's row.
    let req = Request::new("POST", url)
        .header("Prefer", "return=minimal")
        .json(&Value::Object(body));
    let Some(resp) = api.send(As::Tenant(&pair.b), req).await else {
        return;
    };
    run.checks += 1;
    let path = format!("rest/v1/{t}?select=*&{}", filter(&text_column, &marker));
    let found = match api.get(As::Tenant(&pair.a), &path).await {
        Some(r) => rows_of(&r).map_or(0, |rows| rows.len()),
        None => 0,
    };
    check.writes.push(TableWrite {
        identity: pair.b.identity.id,
        action: "insert as a".into(),
        changed: found > 0,
        outcome: if found > 0 {
            format!("{} answered; a now owns a row b wrote", resp.status)
        } else {
            format!(
                "refused ({}{}); no row appeared for a",
                resp.status,
                pgrst_code(&resp)
            )
        },
    });
    if found == 0 {
        return;
    }
    run.findings.push(
        Finding::builder(Item::TenantIsolation, "supabase.rows-writable-in-another-users-name")
            .rated(Severity::Critical, Confidence::Confirmed)
            .title(format!("Tenant b writes rows of `{t}` in tenant a's name"))
            .detail(format!("POST /rest/v1/{t} with tenant b's session and {owner_column} = a's user id was accepted, and the row shows up in a's own reads: the INSERT policy's WITH CHECK does not tie {owner_column} to the caller."))
            .at(location(&resp))
            .discriminator(t.clone())
            .build()
            .with_evidence(api.evidence("b's insert in a's name", &resp, None))
            .with_remediation(format!("Check the owner on every write: `create policy \"insert own\" on public.{t} for insert to authenticated with check ((select auth.uid()) = {owner_column});` and the same WITH CHECK on UPDATE.")),
    );
    // The row is the scanner's; a (its owner now) removes it.
    if let Some(del) = api.endpoint(&format!("rest/v1/{t}?{}", filter(&text_column, &marker))) {
        let req = Request::new("DELETE", del).header("Prefer", "return=representation");
        let gone = api
            .send(As::Tenant(&pair.a), req)
            .await
            .and_then(|r| rows_of(&r))
            .map_or(0, |r| r.len());
        check
            .cleanup
            .push(format!("b's row in a's name: {gone} row(s) deleted by a"));
    }
}

/// A deletes its canary row and reads it back.
async fn cleanup(api: &Api<'_>, pair: &Pair<'_>, t: &str, c: &Canary, check: &mut TableCheck) {
    if read_back(api, pair, t, c).await.is_none() {
        if check.cleanup.is_empty() {
            check.cleanup.push("the canary row was already gone".into());
        }
        return;
    }
    let Some(url) = api.endpoint(&format!("rest/v1/{t}?{}", filter(&c.key, &c.id))) else {
        return;
    };
    let req = Request::new("DELETE", url).header("Prefer", "return=representation");
    let _ = api.send(As::Tenant(&pair.a), req).await;
    let left = read_back(api, pair, t, c).await.is_some();
    check.cleanup.push(if left {
        format!(
            "canary row {}={} could NOT be deleted by a: remove it by hand",
            c.key, c.id
        )
    } else {
        format!("canary row {}={} deleted by a", c.key, c.id)
    });
    if left {
        api.ctx.owned.strand(
            &format!("Supabase canary row {}={} in table {t}", c.key, c.id),
            "a could not delete it",
        );
    }
}

/// A function called anonymously with GET and no arguments (read-only on PostgREST).
async fn function(api: &Api<'_>, pair: &Pair<'_>, name: &str, run: &mut ProbeRun) {
    let Some(resp) = api.get(As::Anon, &format!("rest/v1/rpc/{name}")).await else {
        return;
    };
    run.checks += 1;
    if !resp.is_success() {
        run.notes
            .push(format!("rpc/{name}: {} to the public key", resp.status));
        return;
    }
    let text = resp.text();
    let markers: Vec<&str> = [&pair.a, &pair.b]
        .iter()
        .flat_map(|t| {
            api.ctx
                .inventory
                .markers
                .get(&t.identity.id)
                .map(|m| m.values.iter().map(String::as_str).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain([t.uid.as_str()])
        })
        .collect();
    let Some(hit) = markers.iter().find(|m| text.contains(**m)).copied() else {
        run.notes.push(format!(
            "rpc/{name}: callable with the public key; its answer shows no tenant's data"
        ));
        return;
    };
    run.findings.push(
        Finding::builder(Item::TenantIsolation, "supabase.rpc-leaks-user-data")
            .rated(Severity::Critical, Confidence::Confirmed)
            .title(format!("The function rpc/{name} hands users' data to anyone"))
            .detail(format!("GET /rest/v1/rpc/{name} with the public key and no session answered with a tenant's id or private values. Functions declared SECURITY DEFINER run with their owner's rights and skip RLS."))
            .at(location(&resp))
            .discriminator(name.to_string())
            .build()
            .with_evidence(api.evidence("the anonymous call", &resp, Some(hit)))
            .with_remediation(format!("`revoke execute on function public.{name} from anon, public;` and make it `security invoker`, or filter by `auth.uid()` inside it.")),
    );
}

/// Item 5 over the buckets the client uses: A's canary object as B and anonymous.
async fn buckets(api: &Api<'_>, pair: &Pair<'_>, run: &mut ProbeRun) {
    let mut names: BTreeSet<String> = api.ctx.backends.names.buckets.clone();
    if let Some(resp) = api.get(As::Tenant(&pair.a), "storage/v1/bucket").await
        && let Some(list) = rows_of(&resp)
    {
        names.extend(
            list.iter()
                .filter_map(|b| b.get("name").or_else(|| b.get("id")))
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
    }
    if names.is_empty() {
        run.notes
            .push("no storage bucket named by the client or listed to tenant a".into());
        return;
    }
    for bucket in names.iter().take(MAX_BUCKETS) {
        let check = bucket_check(api, pair, bucket, run).await;
        run.tables.push(check);
    }
    run.notes.push(format!(
        "{} bucket(s): a's canary object looked for as b and anonymous",
        run.tables.len()
    ));
}

fn list_request(api: &Api<'_>, bucket: &str, prefix: &str) -> Option<Request> {
    let url = api.endpoint(&format!("storage/v1/object/list/{bucket}"))?;
    Some(Request::new("POST", url).json(&json!({"prefix": prefix, "limit": 100, "offset": 0, "sortBy": {"column": "name", "order": "asc"}})))
}

fn listed_names(resp: &Response) -> Option<Vec<String>> {
    Some(
        rows_of(resp)?
            .iter()
            .filter_map(|o| o.get("name").and_then(Value::as_str).map(str::to_string))
            .collect(),
    )
}

async fn bucket_check(
    api: &Api<'_>,
    pair: &Pair<'_>,
    bucket: &str,
    run: &mut ProbeRun,
) -> TableCheck {
    let mut check = TableCheck {
        kind: "bucket".into(),
        name: bucket.to_string(),
        ..Default::default()
    };
    let marker = crate::engine::canaries::new_marker();
    let file = format!("{marker}.txt");
    let path = format!("{}/{file}", pair.a.uid);
    let folder = format!("{}/", pair.a.uid);
    let uploaded = match api.endpoint(&format!("storage/v1/object/{bucket}/{path}")) {
        Some(url) => {
            let req = Request::new("POST", url).raw_body("text/plain", marker.clone().into_bytes());
            api.send(As::Tenant(&pair.a), req).await
        }
        None => None,
    };
    let uploaded_ok = uploaded.as_ref().is_some_and(Response::is_success);
    check.writes.push(TableWrite {
        identity: pair.a.identity.id,
        action: "upload".into(),
        changed: uploaded_ok,
        outcome: match &uploaded {
            Some(r) if r.is_success() => format!("canary object {file} uploaded to a's folder"),
            Some(r) => format!("canary upload refused ({})", r.status),
            None => "canary upload not sent".into(),
        },
    });
    let a_list = match list_request(api, bucket, &folder) {
        Some(req) => api.send(As::Tenant(&pair.a), req).await,
        None => None,
    };
    let a_names = a_list.as_ref().and_then(listed_names).unwrap_or_default();
    check.reads.push(TableRead {
        identity: pair.a.identity.id,
        rows: a_list
            .as_ref()
            .and_then(listed_names)
            .map(|n| n.len() as u32),
        others: 0,
    });
    for who in [As::Anon, As::Tenant(&pair.b)] {
        let Some(req) = list_request(api, bucket, &folder) else {
            continue;
        };
        let Some(listed) = api.send(who, req).await else {
            continue;
        };
        run.checks += 1;
        let names = listed_names(&listed);
        let seen: Vec<&String> = names
            .iter()
            .flatten()
            .filter(|n| a_names.contains(n))
            .collect();
        let read = if uploaded_ok {
            run.checks += 1;
            api.get(who, &format!("storage/v1/object/{bucket}/{path}"))
                .await
                .filter(|r| r.is_success() && r.text().contains(&marker))
        } else {
            None
        };
        check.reads.push(TableRead {
            identity: who.id(),
            rows: names.as_ref().map(|n| n.len() as u32),
            others: seen.len() as u32 + u32::from(read.is_some()),
        });
        if seen.is_empty() && read.is_none() {
            continue;
        }
        let whom = match who {
            As::Anon => "the public key alone",
            As::Tenant(_) => "tenant b",
        };
        let evidence_resp = read.as_ref().unwrap_or(&listed);
        run.findings.push(
            Finding::builder(Item::ServerSideFiltering, "supabase.storage-readable-across-tenants")
                .rated(Severity::Critical, Confidence::Confirmed)
                .title(format!("Tenant a's files in bucket `{bucket}` are visible to {whom}"))
                .detail(format!(
                    "Listing a's folder in `{bucket}` as {whom} showed {} of a's object(s){}.",
                    seen.len(),
                    if read.is_some() { ", and the canary object downloaded" } else { "" }
                ))
                .at(location(evidence_resp))
                .discriminator(format!("{bucket} {}", who.id()))
                .build()
                .with_evidence(api.evidence("the cross-tenant listing or download", evidence_resp, None))
                .with_remediation(format!("Scope the bucket's object policies to the owner's folder: `create policy \"own files\" on storage.objects for select to authenticated using (bucket_id = '{bucket}' and (storage.foldername(name))[1] = (select auth.uid())::text);` and drop policies `using (true)`.")),
        );
    }
    if uploaded_ok {
        let gone = match api.endpoint(&format!("storage/v1/object/{bucket}")) {
            Some(url) => {
                let req = Request::new("DELETE", url).json(&json!({"prefixes": [path]}));
                api.send(As::Tenant(&pair.a), req)
                    .await
                    .and_then(|r| rows_of(&r))
                    .is_some_and(|r| !r.is_empty())
            }
            None => false,
        };
        check.cleanup.push(if gone {
            format!("canary object {file} deleted by a")
        } else {
            format!("canary object {file} could NOT be deleted: remove it from a's folder")
        });
        if !gone {
            api.ctx.owned.strand(
                &format!("Supabase canary object {bucket}/{file}"),
                "a could not delete it",
            );
        }
    }
    check
}
