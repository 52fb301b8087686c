//! Item 1: tenant B replays tenant A's object requests (and the reverse) and must never
//! see A's data. Reads use A's canaries and every object route whose answer carried A's
//! private markers; sequential ids are walked to their neighbours; ids inside request
//! bodies are replayed once A's own request proves the lookup works. Writes and deletes
//! are replayed only against A's canaries, then A reads them back.

mod forms;
mod objects;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use url::Url;

use crate::auth::Identity;
use crate::discover::Markers;
use crate::engine::Context;
use crate::engine::canaries::{OwnedObject, new_marker};
use crate::engine::{Descriptor, Family};
use crate::families::similarity::similarity;
use crate::http::{Request, Response};
use crate::model::EndpointKey;
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::RunState;
use crate::model::{Confidence, Finding, Location, Severity};
use crate::model::{IdKind, id_kind};
use crate::model::{PairReplay, ProbeRun};

/// Bounds per identity pair.
const MAX_READ_TARGETS: usize = 40;
const MAX_NEIGHBOUR_OBJECTS: usize = 3;
const NEIGHBOUR_SPAN: i64 = 3;
const MAX_BODY_LOOKUPS: usize = 4;
const MAX_WRITE_OBJECTS: usize = 3;
/// Last path segments of RPC-style read endpoints that take an id in the body.
const READ_VERBS: &[&str] = &[
    "lookup", "search", "find", "get", "query", "fetch", "read", "show", "view", "resolve",
    "details",
];

/// What the `tenant` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "tenant",
    items: &[Item::TenantIsolation],
    ids: &[
        "tenant.body-id-replay",
        "tenant.delete-replay",
        "tenant.neighbour-id",
        "tenant.noop-write-replay",
        "tenant.read-replay",
        "tenant.read-replay-similar",
        "tenant.write-replay",
    ],
    runs_last: false,
};

/// The `tenant` family.
pub struct TenantFamily;

impl Family for TenantFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await]) })
    }
}

/// What one replay showed.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The other tenant's marker came back: proof.
    Leak(String),
    /// A 2xx body nearly identical to the owner's and unlike the caller's own data.
    Similar,
    /// Refused, not found, or the caller's own data.
    Enforced,
    /// Neither proof nor refusal.
    Undecided(String),
}

/// Judges a replay of `owner`'s request by `caller`.
pub fn classify(
    owner_markers: &Markers,
    caller_markers: &Markers,
    owner_body: Option<&str>,
    resp: &Response,
) -> Verdict {
    let text = resp.text();
    if let Some(m) = owner_markers.found_in(&text) {
        return Verdict::Leak(m.to_string());
    }
    if matches!(resp.status, 401 | 403 | 404 | 410) || resp.is_redirect() {
        return Verdict::Enforced;
    }
    if resp.is_success() && caller_markers.found_in(&text).is_some() {
        return Verdict::Enforced;
    }
    if resp.is_success()
        && let Some(owner_body) = owner_body
        && text.len() > 40
        && similarity(owner_body, &text) >= 0.9
    {
        return Verdict::Similar;
    }
    if resp.is_success() {
        return Verdict::Undecided(format!(
            "{} answered {} without either tenant's data",
            resp.url.path(),
            resp.status
        ));
    }
    Verdict::Undecided(format!("{} answered {}", resp.url.path(), resp.status))
}

struct Pair<'a> {
    owner: &'a Arc<Identity>,
    caller: &'a Arc<Identity>,
    owner_markers: Markers,
    caller_markers: Markers,
}

#[derive(Default)]
struct Tally {
    replayed: u32,
    enforced: u32,
    undecided: Vec<String>,
    findings: Vec<Finding>,
    notes: Vec<String>,
    replays: Vec<PairReplay>,
}

/// Where the replayed ids came from: the sources of the ids found in answers, and the
/// routes (concrete URLs, canaries, neighbours) the owner's own requests named.
fn id_sources(objects: &objects::Counts, reads: u32) -> BTreeMap<String, u32> {
    let mut sources: BTreeMap<String, u32> = objects
        .sources
        .iter()
        .map(|(source, n)| (source.describe().to_string(), *n))
        .collect();
    let by_route = reads.saturating_sub(objects.reads);
    if by_route > 0 {
        sources.insert("owner's requests".to_string(), by_route);
    }
    sources
}

async fn run(ctx: &Context) -> ProbeRun {
    let (Some(a), Some(b)) = (
        ctx.identities.get(IdentityId::A),
        ctx.identities.get(IdentityId::B),
    ) else {
        let missing = if ctx.identities.get(IdentityId::A).is_none() {
            "identities.a"
        } else {
            "identities.b"
        };
        return ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::TenantIsolation,
            "tenant isolation needs two tenants",
            Some(missing),
        );
    };
    let markers = |id: IdentityId| ctx.inventory.markers.get(&id).cloned().unwrap_or_default();
    let mut tally = Tally::default();
    for (owner, caller) in [(a, b), (b, a)] {
        let pair = Pair {
            owner,
            caller,
            owner_markers: markers(owner.id),
            caller_markers: markers(caller.id),
        };
        let before = tally.replayed;
        if pair.owner_markers.values.is_empty() {
            tally.undecided.push(format!(
                "no private marker of {} is known (no profile, no canary)",
                owner.id
            ));
        } else {
            read_replay(ctx, &pair, &mut tally).await;
            neighbours(ctx, &pair, &mut tally).await;
            body_ids(ctx, &pair, &mut tally).await;
            query_ids(ctx, &pair, &mut tally).await;
        }
        let objects = objects::replay(ctx, &pair, &mut tally).await;
        let reads = tally.replayed - before - objects.noop_writes;
        let writes = if ctx.config.safe_mode && !pair.owner_markers.values.is_empty() {
            write_replay(ctx, &pair, &mut tally).await
        } else {
            0
        };
        let mut id_sources = id_sources(&objects, reads);
        let by_form = forms::replay(ctx, owner, caller, &mut tally).await;
        if by_form.reads > 0 {
            id_sources.insert("form canary".to_string(), by_form.reads);
        }
        let (reads, writes) = (reads + by_form.reads, writes + by_form.writes);
        if by_form.reads > 0 {
            tally.notes.push(format!(
                "{} of {}'s objects made through HTML forms were replayed through their pages and forms ({} form writes)",
                by_form.reads, owner.id, by_form.writes
            ));
        }
        let sources: Vec<String> = objects
            .sources
            .iter()
            .map(|(source, n)| format!("{} {n}", source.describe()))
            .collect();
        tally.replays.push(PairReplay {
            owner: owner.id,
            caller: caller.id,
            reads,
            noop_writes: objects.noop_writes,
            canary_writes: writes,
            public_skipped: objects.public,
            id_sources,
        });
        tally.notes.push(format!(
            "{} replayed {reads} reads of {}'s objects ({} found by ids {} saw{}), {} no-op writes and {writes} canary writes",
            caller.id,
            owner.id,
            objects.reads,
            owner.id,
            if sources.is_empty() {
                String::new()
            } else {
                format!(": {}", sources.join(", "))
            },
            objects.noop_writes,
        ));
        if objects.public > 0 {
            tally.notes.push(format!(
                "{} of {}'s objects were readable anonymously too (public), not replayed",
                objects.public, owner.id
            ));
        }
    }
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::TenantIsolation);
    run.checks = tally.replayed;
    // One finding per probe and route: more objects of one route are more of the same.
    let mut ids = std::collections::BTreeSet::new();
    run.findings = tally
        .findings
        .into_iter()
        .filter(|f| ids.insert(f.id.clone()))
        .collect();
    run.notes = tally.notes;
    run.replays = tally.replays;
    if !tally.undecided.is_empty() {
        run.notes.push(format!(
            "{} replays undecided, e.g. {}",
            tally.undecided.len(),
            tally.undecided[0]
        ));
    }
    if run.findings.is_empty() && tally.enforced == 0 {
        run.state = if tally.replayed == 0 {
            RunState::NotRun {
                reason: "no object of either tenant was found to replay".into(),
                config_key: Some("canaries".into()),
            }
        } else {
            RunState::Inconclusive {
                reason: tally
                    .undecided
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no replay was refused or leaked".into()),
            }
        };
    }
    run
}

fn is_object_route(url: &Url, pattern: &str) -> bool {
    pattern.contains("{id}")
        || url.query_pairs().any(|(k, v)| {
            let k = k.to_ascii_lowercase();
            (k == "id" || k.ends_with("_id") || k.ends_with("id") || k == "uuid" || k == "slug")
                && !v.is_empty()
        })
}

/// Replays GETs of the owner's objects as the caller, comparing with the owner's answer.
async fn read_replay(ctx: &Context, pair: &Pair<'_>, tally: &mut Tally) {
    let mut targets: Vec<Url> = ctx
        .owned
        .of(pair.owner.id)
        .into_iter()
        // Objects of HTML forms are replayed by `forms`, as an identity their pages accept.
        .filter(|o| o.forms.is_none())
        .map(|o| o.url)
        .collect();
    for ep in ctx.inventory.endpoints().filter(|e| e.method == "GET") {
        for obs in &ep.observations {
            if obs.identity == pair.owner.id
                && (200..300).contains(&obs.status)
                && obs.markers_of.contains(&pair.owner.id)
                && let Ok(u) = Url::parse(&obs.url)
                && is_object_route(&u, &ep.pattern)
                && !targets.contains(&u)
            {
                targets.push(u);
            }
        }
    }
    targets.truncate(MAX_READ_TARGETS);
    let results: Vec<_> = futures_util::stream::iter(targets)
        .map(|url| async move {
            let req =
                Request::get(url.clone()).header("Accept", "application/json, text/html;q=0.9");
            let owner = pair.owner.send(&ctx.http, req.clone()).await.ok();
            let caller = pair.caller.send(&ctx.http, req).await.ok();
            (url, owner, caller)
        })
        .buffer_unordered(ctx.http.settings().concurrency.max(1))
        .collect()
        .await;
    for (url, owner, caller) in results {
        let Some(caller) = caller else { continue };
        tally.replayed += 1;
        let owner_text = owner
            .as_ref()
            .filter(|o| o.is_success())
            .map(|o| o.text().into_owned());
        match classify(
            &pair.owner_markers,
            &pair.caller_markers,
            owner_text.as_deref(),
            &caller,
        ) {
            Verdict::Leak(marker) => tally.findings.push(read_finding(
                ctx,
                pair,
                &url,
                owner.as_ref(),
                &caller,
                Some(&marker),
            )),
            Verdict::Similar => {
                tally
                    .findings
                    .push(read_finding(ctx, pair, &url, owner.as_ref(), &caller, None))
            }
            Verdict::Enforced => tally.enforced += 1,
            Verdict::Undecided(why) => tally.undecided.push(why),
        }
    }
}

/// How a finding names an identity: its tenant, and the session used when that is not
/// the tenant's own identity (`a (member)`).
fn tenant_label(identity: &Identity) -> String {
    match (identity.id.own_tenant(), identity.tenant()) {
        (None, Some(t)) => format!("{} ({})", t.as_str(), identity.id),
        _ => identity.id.to_string(),
    }
}

fn read_finding(
    ctx: &Context,
    pair: &Pair<'_>,
    url: &Url,
    owner: Option<&Response>,
    caller: &Response,
    marker: Option<&str>,
) -> Finding {
    let (o, c) = (tenant_label(pair.owner), tenant_label(pair.caller));
    let location = Location {
        method: "GET".into(),
        url: ctx.http.redactor().url(url),
    };
    let (probe, confidence, detail) = match marker {
        Some(m) => (
            "tenant.read-replay",
            Confidence::Confirmed,
            format!(
                "Identity {c} requested {o}'s object and the answer carries {o}'s private marker `{m}`: the route does not check the caller's tenant."
            ),
        ),
        None => (
            "tenant.read-replay-similar",
            Confidence::Firm,
            format!(
                "Identity {c} requested {o}'s object and got {} with a body nearly identical to what {o} sees, and none of {c}'s own data.",
                caller.status
            ),
        ),
    };
    let mut f = Finding::builder(Item::TenantIsolation, probe)
            .rated(Severity::Critical, confidence)
            .title(format!("Tenant {c} can read tenant {o}'s object"))
            .detail(detail)
            .at(location)
            .build()
        .with_remediation("Scope every object lookup to the caller's tenant on the server (e.g. `WHERE id = ? AND tenant_id = ?`), and answer 404 for objects of other tenants.");
    if let Some(owner) = owner {
        f = f.with_evidence(ctx.http.evidence(
            &format!("{o} (the owner) reads its object"),
            owner,
            marker,
        ));
    }
    f.with_evidence(
        ctx.http
            .evidence(&format!("{c} replays the same request"), caller, marker),
    )
}

/// Walks sequential ids next to the caller's own canaries: any answer carrying the
/// owner's marker is proof; a mere 200 on someone's object is not reported.
async fn neighbours(ctx: &Context, pair: &Pair<'_>, tally: &mut Tally) {
    let mine: Vec<OwnedObject> = ctx
        .owned
        .of(pair.caller.id)
        .into_iter()
        .filter(|o| id_kind(&o.id) == Some(IdKind::Integer))
        .take(MAX_NEIGHBOUR_OBJECTS)
        .collect();
    let own_urls: Vec<String> = mine.iter().map(|o| o.url.path().to_string()).collect();
    for object in &mine {
        let Ok(id) = object.id.parse::<i64>() else {
            continue;
        };
        // Only objects whose URL ends in their id (not `/get?x_id=7`) have neighbours
        // one path segment away.
        let last = object.url.path().trim_end_matches('/').rsplit('/').next();
        if last != Some(object.id.as_str()) || object.url.query().is_some() {
            continue;
        }
        // Sequential ids start at 1: nothing below is another tenant's object.
        for delta in (-NEIGHBOUR_SPAN..=NEIGHBOUR_SPAN).filter(|d| *d != 0 && id + d >= 1) {
            let mut url = object.url.clone();
            let path = object.url.path();
            let parent = path
                .trim_end_matches('/')
                .rsplit_once('/')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default();
            // Keep the trailing slash of `/things/7/` routes (Django, DRF).
            let slash = if path.ends_with('/') { "/" } else { "" };
            url.set_path(&format!("{parent}/{}{slash}", id + delta));
            if own_urls.iter().any(|own| *own == url.path()) {
                continue; // The caller's own canary: no neighbour of another tenant.
            }
            let Ok(resp) = pair
                .caller
                .send(
                    &ctx.http,
                    Request::get(url.clone()).header("Accept", "application/json"),
                )
                .await
            else {
                continue;
            };
            tally.replayed += 1;
            if let Some(m) = pair.owner_markers.found_in(&resp.text()) {
                let location = Location {
                    method: "GET".into(),
                    url: ctx.http.redactor().url(&url),
                };
                let f = Finding::builder(Item::TenantIsolation, "tenant.neighbour-id")
                        .rated(Severity::Critical, Confidence::Confirmed)
                        .title(format!("Tenant {} reaches tenant {}'s objects by guessing sequential ids", pair.caller.id, pair.owner.id))
                        .detail(format!("Starting from its own object id {id}, {} requested id {} and got {}'s private marker `{m}`.", pair.caller.id, id + delta, pair.owner.id))
                        .at(location)
                        .build()
                .with_evidence(ctx.http.evidence("neighbouring id requested by the other tenant", &resp, Some(m)))
                .with_remediation("Check the caller's tenant on every lookup; opaque ids only slow guessing, they do not authorise.");
                tally.findings.push(f);
            } else if matches!(resp.status, 401 | 403 | 404 | 410)
                || pair.caller_markers.found_in(&resp.text()).is_some()
            {
                tally.enforced += 1;
            }
        }
    }
}

/// RPC-style reads with the id in a JSON body (`POST /documents/lookup {"slug": ...}`).
async fn body_ids(ctx: &Context, pair: &Pair<'_>, tally: &mut Tally) {
    let lookups: Vec<_> = ctx
        .inventory
        .endpoints()
        .filter(|e| e.method == "POST" && !e.has_path_id())
        .filter(|e| {
            e.pattern
                .rsplit('/')
                .next()
                .is_some_and(|last| READ_VERBS.contains(&last.to_ascii_lowercase().as_str()))
        })
        .filter(|e| !e.examples.is_empty())
        .take(MAX_BODY_LOOKUPS)
        .collect();
    for ep in lookups {
        let Some(url) = ep.examples.first() else {
            continue;
        };
        let fields: Vec<&str> = ep
            .params
            .iter()
            .filter(|p| p.location == "body")
            .map(|p| p.name.as_str())
            .collect();
        let id_fields: Vec<&str> = fields.iter().copied().filter(|f| is_id_name(f)).collect();
        for field in id_fields {
            for object in objects_for_lookup(&ep.pattern, ctx.owned.of(pair.owner.id)) {
                let value = match object.id.parse::<i64>() {
                    Ok(n) if field != "slug" => Value::from(n),
                    _ => Value::String(object.id.clone()),
                };
                let body = serde_json::json!({ field: value });
                let req = Request::new("POST", url.clone())
                    .json(&body)
                    .header("Accept", "application/json");
                let Some((own, replayed)) = owner_then_caller(ctx, pair, req, &object.marker).await
                else {
                    continue;
                };
                judge(ctx, pair, tally, url, &own, &replayed, Some(field));
            }
        }
    }
}

/// Sends `req` as the owner, and as the caller only when the owner's answer carries
/// the canary's `marker` (otherwise the id does not select the owner's object).
async fn owner_then_caller(
    ctx: &Context,
    pair: &Pair<'_>,
    req: Request,
    marker: &str,
) -> Option<(Response, Response)> {
    let own = pair.owner.send(&ctx.http, req.clone()).await.ok()?;
    if !own.text().contains(marker) {
        return None;
    }
    let replayed = pair.caller.send(&ctx.http, req).await.ok()?;
    Some((own, replayed))
}

/// Records the verdict on a replay whose owner request (`own`) proved the id selects the
/// owner's canary. `body_field` names the JSON field when the id travelled in a body.
fn judge(
    ctx: &Context,
    pair: &Pair<'_>,
    tally: &mut Tally,
    url: &Url,
    own: &Response,
    replayed: &Response,
    body_field: Option<&str>,
) {
    tally.replayed += 1;
    let finding = match classify(
        &pair.owner_markers,
        &pair.caller_markers,
        Some(&own.text()),
        replayed,
    ) {
        Verdict::Leak(m) => read_finding(ctx, pair, url, Some(own), replayed, Some(&m)),
        Verdict::Similar => read_finding(ctx, pair, url, Some(own), replayed, None),
        Verdict::Enforced => {
            tally.enforced += 1;
            return;
        }
        Verdict::Undecided(why) => {
            tally.undecided.push(why);
            return;
        }
    };
    let finding = match body_field {
        None => finding,
        Some(field) => {
            let location = Location {
                method: replayed.sent.method.clone(),
                url: finding.location.url.clone(),
            };
            let id = Finding::builder(Item::TenantIsolation, "tenant.body-id-replay")
                .rated(finding.severity, finding.confidence)
                .title("")
                .detail("")
                .at(location.clone())
                .discriminator(field)
                .build()
                .id;
            Finding {
                id,
                probe: "tenant.body-id-replay".into(),
                location,
                ..finding
            }
        }
    };
    tally.findings.push(finding);
}

/// The owner's objects a lookup route is tried with: those of the collection the route
/// names (`/invoice?id=` and `/invoices/lookup` name the objects of `/invoices`), else
/// all of them. The owner's own request decides whether an id selects its object, so
/// the ids of collections the route does not name would only cost requests.
fn objects_for_lookup(route: &str, objects: Vec<OwnedObject>) -> Vec<OwnedObject> {
    let words: Vec<String> = static_segments(route).map(singular).collect();
    let named: Vec<OwnedObject> = objects
        .iter()
        .filter(|o| {
            static_segments(&o.collection)
                .last()
                .is_some_and(|c| words.contains(&singular(c)))
        })
        .cloned()
        .collect();
    if named.is_empty() { objects } else { named }
}

fn static_segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{') && !s.starts_with(':'))
}

/// A resource name's singular, enough to tell `invoices` and `invoice` the same.
fn singular(word: &str) -> String {
    let w = word.to_ascii_lowercase();
    if let Some(stem) = w.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for plural in ["sses", "xes", "ches", "shes"] {
        if w.ends_with(plural) {
            return w[..w.len() - 2].to_string();
        }
    }
    match w.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') && !stem.is_empty() => stem.to_string(),
        _ => w,
    }
}

fn is_id_name(name: &str) -> bool {
    let f = name.to_ascii_lowercase();
    f == "id" || f == "slug" || f == "uuid" || f == "key" || f.ends_with("_id") || f.ends_with("id")
}

/// GET routes with the id in the query (`/invoice?id=...`): the owner's own request with
/// its canary's id must show the canary before the caller replays it.
async fn query_ids(ctx: &Context, pair: &Pair<'_>, tally: &mut Tally) {
    let routes: Vec<(Url, String, String)> = ctx
        .inventory
        .endpoints()
        .filter(|e| e.method == "GET" && !e.has_path_id())
        .filter_map(|e| {
            let p = e
                .params
                .iter()
                .find(|p| p.location == "query" && is_id_name(&p.name))?;
            let base = e
                .examples
                .first()
                .cloned()
                .or_else(|| ctx.config.target.join(&e.pattern).ok())?;
            Some((base, p.name.clone(), e.pattern.clone()))
        })
        .take(MAX_BODY_LOOKUPS)
        .collect();
    for (base, param, pattern) in routes {
        for object in objects_for_lookup(&pattern, ctx.owned.of(pair.owner.id)) {
            let mut url = base.clone();
            url.query_pairs_mut()
                .clear()
                .append_pair(&param, &object.id);
            let req = Request::get(url.clone()).header("Accept", "application/json");
            let Some((own, replayed)) = owner_then_caller(ctx, pair, req, &object.marker).await
            else {
                continue;
            };
            judge(ctx, pair, tally, &url, &own, &replayed, None);
        }
    }
}

/// Safe mode: the caller tries to change and delete the owner's canaries; the owner reads
/// them back. Returns how many write requests were sent.
async fn write_replay(ctx: &Context, pair: &Pair<'_>, tally: &mut Tally) -> u32 {
    let mut sent = 0;
    for object in ctx
        .owned
        .of(pair.owner.id)
        .into_iter()
        .take(MAX_WRITE_OBJECTS)
    {
        if !ctx.owned.owns(&object.url) || object.forms.is_some() {
            // Never a write to anything the scanner did not create; form objects are
            // written through their forms (`forms`).
            continue;
        }
        let pattern = crate::model::path_pattern(object.url.path());
        let has = |m: &str| {
            ctx.inventory
                .endpoints
                .contains_key(&EndpointKey::new(m, pattern.clone()))
        };
        let read_back = |obj: &OwnedObject| {
            let req = Request::get(obj.url.clone()).header("Accept", "application/json");
            async move { pair.owner.send(&ctx.http, req).await.ok() }
        };
        // The scanner's own object: PATCH is tried even where no route declared it.
        let methods: Vec<&str> = ["PATCH", "PUT"].into_iter().filter(|m| has(m)).collect();
        let guessed = methods.is_empty();
        for method in if guessed { vec!["PATCH"] } else { methods } {
            let tamper = new_marker().replace("canary", "tamper");
            let body =
                crate::engine::canaries::replace_in_strings(&object.body, &object.marker, &tamper);
            let req = Request::new(method, object.url.clone())
                .json(&body)
                .header("Accept", "application/json");
            let Ok(attempt) = pair.caller.send(&ctx.http, req).await else {
                continue;
            };
            if matches!(attempt.status, 405 | 501) || (guessed && attempt.status == 404) {
                continue; // No such method on this route: nothing was decided.
            }
            sent += 1;
            tally.replayed += 1;
            let Some(after) = read_back(&object).await else {
                continue;
            };
            if after.text().contains(&tamper) {
                tally.findings.push(write_finding(
                    ctx, pair, &object, method, &attempt, &after, &tamper,
                ));
                // Put the owner's object back as it was, as the owner.
                let restore = Request::new(method, object.url.clone()).json(&object.body);
                let _ = pair.owner.send(&ctx.http, restore).await;
            } else {
                tally.enforced += 1;
            }
            break;
        }
        // Its own object again: its declared delete request (RPC-style APIs), else DELETE
        // on its URL, whether or not a route declared it.
        {
            let declared = object.delete.is_some() || has("DELETE");
            let Ok(attempt) = pair.caller.send(&ctx.http, object.delete_request()).await else {
                continue;
            };
            if matches!(attempt.status, 405 | 501) || (!declared && attempt.status == 404) {
                continue;
            }
            sent += 1;
            tally.replayed += 1;
            let Some(after) = read_back(&object).await else {
                continue;
            };
            judge_delete(ctx, pair, &object, &attempt, &after, tally);
        }
    }
    sent
}

/// The owner's read-back after the caller's delete attempt: gone is proof (and the
/// object is marked gone for the cleanup), still there is enforcement.
fn judge_delete(
    ctx: &Context,
    pair: &Pair<'_>,
    object: &OwnedObject,
    attempt: &Response,
    after: &Response,
    tally: &mut Tally,
) {
    if matches!(after.status, 404 | 410) && !after.text().contains(&object.marker) {
        ctx.owned.mark_gone(&object.url);
        tally.findings.push(write_finding(
            ctx,
            pair,
            object,
            "DELETE",
            attempt,
            after,
            &object.marker,
        ));
    } else {
        tally.enforced += 1;
    }
}

fn write_finding(
    ctx: &Context,
    pair: &Pair<'_>,
    object: &OwnedObject,
    method: &str,
    attempt: &Response,
    after: &Response,
    shown: &str,
) -> Finding {
    let (o, c) = (tenant_label(pair.owner), tenant_label(pair.caller));
    let (probe, title, detail) = if method == "DELETE" {
        (
            "tenant.delete-replay",
            format!("Tenant {c} can delete tenant {o}'s objects"),
            format!(
                "{c} sent DELETE for {o}'s canary object ({}); {o} then got {} for it.",
                object.marker, after.status
            ),
        )
    } else {
        (
            "tenant.write-replay",
            format!("Tenant {c} can change tenant {o}'s objects"),
            format!(
                "{c} sent {method} with `{shown}` to {o}'s canary object; {o} then read `{shown}` back."
            ),
        )
    };
    let location = Location {
        method: method.into(),
        url: ctx.http.redactor().url(&object.url),
    };
    Finding::builder(Item::TenantIsolation, probe)
        .rated(Severity::Critical, Confidence::Confirmed)
        .title(title)
        .detail(detail)
        .at(location)
        .build()
        .with_evidence(ctx.http.evidence(&format!("{c} writes {o}'s object"), attempt, None))
        .with_evidence(ctx.http.evidence(&format!("{o} reads it back"), after, Some(shown)))
        .with_remediation("Scope every update and delete to the caller's tenant (the WHERE clause of the write, not only of the read).")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> Response {
        Response::synthetic(
            Url::parse("http://127.0.0.1:1/api/x/1").unwrap(),
            status,
            vec![],
            body.to_string(),
        )
    }

    fn markers(v: &[&str]) -> Markers {
        let mut m = Markers::default();
        v.iter().for_each(|x| m.add(x));
        m
    }

    #[test]
    fn replays_are_classified_with_proof_first() {
        let a = markers(&["prodready-canary-aaaa", "alice@acme.test"]);
        let b = markers(&["prodready-canary-bbbb"]);
        let owner = r#"{"id":1,"name":"prodready-canary-aaaa","owner":"alice@acme.test","status":"open","notes":"a long enough body"}"#;
        assert_eq!(
            classify(&a, &b, Some(owner), &resp(200, owner)),
            Verdict::Leak("alice@acme.test".into())
        );
        assert_eq!(
            classify(&a, &b, Some(owner), &resp(404, r#"{"error":"not found"}"#)),
            Verdict::Enforced
        );
        assert_eq!(
            classify(
                &a,
                &b,
                Some(owner),
                &resp(200, r#"{"name":"prodready-canary-bbbb"}"#)
            ),
            Verdict::Enforced
        );
        let stripped = owner
            .replace("prodready-canary-aaaa", "x")
            .replace("alice@acme.test", "y");
        assert!(matches!(
            classify(&a, &b, Some(&stripped), &resp(200, &stripped)),
            Verdict::Similar
        ));
        assert!(matches!(
            classify(&a, &b, Some(owner), &resp(500, "oops")),
            Verdict::Undecided(_)
        ));
    }

    #[test]
    fn lookups_are_tried_with_the_objects_of_the_collection_they_name() {
        let obj = |collection: &str, id: &str| OwnedObject {
            owner: IdentityId::A,
            collection: collection.into(),
            url: Url::parse(&format!("http://127.0.0.1:1{collection}/{id}")).unwrap(),
            id: id.into(),
            marker: format!("m-{id}"),
            body: Value::Null,
            forms: None,
            delete: None,
        };
        let all = vec![
            obj("/api/invoices", "inv"),
            obj("/api/projects", "7"),
            obj("/app/categories", "cat"),
            obj("/api/boxes", "box"),
        ];
        let ids = |route: &str| -> Vec<String> {
            objects_for_lookup(route, all.clone())
                .into_iter()
                .map(|o| o.id)
                .collect()
        };
        assert_eq!(ids("/api/invoice"), ["inv"]);
        assert_eq!(ids("/api/projects/lookup"), ["7"]);
        assert_eq!(ids("/category/find"), ["cat"]);
        assert_eq!(ids("/rpc/box"), ["box"]);
        // A route that names none of them is tried with every object.
        assert_eq!(ids("/api/lookup").len(), 4);
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("class"), "class");
    }

    #[test]
    fn object_routes_have_ids_in_path_or_query() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(is_object_route(&u("http://h/api/p/7"), "/api/p/{id}"));
        assert!(is_object_route(
            &u("http://h/api/invoice?id=abc"),
            "/api/invoice"
        ));
        assert!(!is_object_route(
            &u("http://h/api/projects?limit=5"),
            "/api/projects"
        ));
    }
}
