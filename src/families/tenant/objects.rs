//! Replays of the objects a tenant legitimately saw, beyond the scanner's canaries:
//! ids from its login answer, token claims, profile, `Location` headers, JSON answers
//! and links, placed into the app's `{id}` routes they fit.
//!
//! The owner asks first: only a route that gives the owner an answer carrying the id
//! is the owner's object. An answer the anonymous visitor gets too is public and left
//! alone. Then the other tenant asks, and (with `safety.noop_writes`) sends the object
//! back exactly as the owner read it; the owner's read-back proves nothing changed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use url::Url;

use super::{Pair, Tally, Verdict, classify, read_finding};
use crate::discover::refs::fit;
use crate::discover::{ObjectRef, RefSource};
use crate::engine::Context;
use crate::families::similarity::similarity;
use crate::families::with_query_param;
use crate::http::{Request, Response};
use crate::model::{Confidence, EndpointKey, Finding, Item, Location, Severity, path_segment};

/// Owner requests spent looking for the owner's objects, per identity pair.
const MAX_OWNER_PROBES: usize = 16;
/// Objects sent back unchanged by the other tenant, per identity pair.
const MAX_NOOP_WRITES: usize = 4;
/// Keys a server may bump on any write, so a read-back may differ in them alone.
const VOLATILE_KEYS: &[&str] = &[
    "updated_at",
    "updatedat",
    "modified",
    "modified_at",
    "last_modified",
    "lastmodified",
    "version",
    "etag",
    "_rev",
    "mtime",
];

/// An object of the owner, found by an id the owner saw.
struct Found<'a> {
    url: Url,
    pattern: String,
    reference: &'a ObjectRef,
    owner: Response,
}

/// What this step did for one pair, for the run's notes.
#[derive(Default)]
pub(super) struct Counts {
    pub reads: u32,
    pub noop_writes: u32,
    /// Where the replayed ids came from: source -> objects.
    pub sources: BTreeMap<RefSource, u32>,
    pub public: u32,
}

/// Where an object id goes in a route.
enum Fill {
    /// The one `{id}` of the pattern.
    Path,
    /// A query parameter of a known example (`/experiments/get?experiment_id=1`).
    Query { example: Url, param: String },
}

/// A readable route that takes one object id, and the name the id must fit
/// (`/api/carts/{id}` -> `carts`; `?experiment_id=` -> `experiment_id`).
struct Slot {
    pattern: String,
    name: String,
    fill: Fill,
}

impl Slot {
    fn url(&self, ctx: &Context, value: &str) -> Option<Url> {
        match &self.fill {
            Fill::Path => ctx
                .config
                .target
                .join(&self.pattern.replacen("{id}", &path_segment(value), 1))
                .ok(),
            Fill::Query { example, param } => Some(with_query_param(example, param, param, value)),
        }
    }
}

/// Whether a query parameter names an object id (`id`, `experiment_id`, `projectId`).
fn is_id_param(name: &str) -> bool {
    matches!(name.to_ascii_lowercase().as_str(), "id" | "uuid" | "slug")
        || crate::discover::refs::names_an_id(name)
}

/// GET routes that take one object id: a `{id}` path, or an id-named query parameter of
/// an example the inventory holds.
fn object_routes(ctx: &Context) -> Vec<Slot> {
    let mut slots = Vec::new();
    for e in ctx.inventory.endpoints().filter(|e| e.method == "GET") {
        match e.pattern.matches("{id}").count() {
            1 => {
                if let Some(name) = e
                    .pattern
                    .strip_suffix("/{id}")
                    .and_then(|prefix| prefix.rsplit('/').next())
                {
                    slots.push(Slot {
                        pattern: e.pattern.clone(),
                        name: name.to_string(),
                        fill: Fill::Path,
                    });
                }
            }
            0 => {
                let Some(example) = e.examples.first() else {
                    continue;
                };
                for (param, _) in example.query_pairs().filter(|(k, _)| is_id_param(k)) {
                    let name =
                        if matches!(param.to_ascii_lowercase().as_str(), "id" | "uuid" | "slug") {
                            crate::discover::refs::collection_of(example)
                        } else {
                            param.to_string()
                        };
                    slots.push(Slot {
                        pattern: e.pattern.clone(),
                        name,
                        fill: Fill::Query {
                            example: example.clone(),
                            param: param.into_owned(),
                        },
                    });
                }
            }
            _ => {}
        }
    }
    slots
}

/// Candidate URLs for the owner's ids, best fit first: a name that fits the route, then
/// ids from the owner's own session (login answer, token) on any `{id}` route.
fn candidates<'a>(
    ctx: &Context,
    pair: &Pair<'_>,
    refs: &'a [ObjectRef],
) -> Vec<(Url, String, &'a ObjectRef)> {
    let caller_refs = ctx.inventory.refs_of(pair.caller.id);
    let canaries: BTreeSet<String> = ctx
        .owned
        .of(pair.owner.id)
        .into_iter()
        .map(|o| o.url.to_string())
        .collect();
    let mut scored: Vec<(u8, Url, String, &ObjectRef)> = Vec::new();
    for slot in object_routes(ctx) {
        for r in refs {
            // An id the other tenant saw too, as the same kind of object, is shared, not
            // the owner's (a bare `1` under another name is some other object).
            if caller_refs.iter().any(|c| {
                c.value == r.value && (c.field == r.field || fit(&c.field, &slot.name) > 0)
            }) {
                continue;
            }
            let own_session = matches!(r.source, RefSource::Login | RefSource::Token);
            let score = match fit(&r.field, &slot.name) {
                0 if own_session && matches!(slot.fill, Fill::Path) => 1,
                0 => continue,
                n => n + 1,
            };
            let Some(url) = slot.url(ctx, &r.value) else {
                continue;
            };
            if canaries.contains(url.as_str()) || !ctx.http.scope().contains(&url) {
                continue;
            }
            scored.push((score, url, slot.pattern.clone(), r));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.3.source.cmp(&b.3.source)));
    let mut seen = BTreeSet::new();
    scored
        .into_iter()
        .filter(|(_, url, _, _)| seen.insert(url.to_string()))
        .take(MAX_OWNER_PROBES)
        .map(|(_, url, pattern, r)| (url, pattern, r))
        .collect()
}

/// Whether `json` holds `value` as an id anywhere (a string or a number).
fn holds_id(json: &Value, value: &str, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    match json {
        Value::String(s) => s == value,
        Value::Number(n) => n.to_string() == value,
        Value::Object(map) => map.values().any(|v| holds_id(v, value, depth + 1)),
        Value::Array(items) => items
            .iter()
            .take(200)
            .any(|v| holds_id(v, value, depth + 1)),
        _ => false,
    }
}

/// Whether an answer carries the object `value` names: the id in its JSON, or the
/// owner's markers on a page.
fn carries(resp: &Response, value: &str, pair_markers: &crate::discover::Markers) -> bool {
    match resp.json() {
        Some(json) => holds_id(&json, value, 0),
        None => resp.is_html() && pair_markers.found_in(&resp.text()).is_some(),
    }
}

fn get(url: &Url) -> Request {
    Request::get(url.clone()).header("Accept", "application/json, text/html;q=0.9")
}

/// Finds the owner's objects among the candidates: the owner reads the id back, and the
/// anonymous visitor does not get the same answer.
async fn find_objects<'a>(
    ctx: &Context,
    pair: &Pair<'_>,
    candidates: Vec<(Url, String, &'a ObjectRef)>,
    counts: &mut Counts,
) -> Vec<Found<'a>> {
    let mut found = Vec::new();
    for (url, pattern, reference) in candidates {
        // What discovery's sweep asked as the owner (or the visitor) is its answer here.
        let Ok(owner) = ctx.answer(pair.owner, get(&url)).await else {
            continue;
        };
        if !owner.is_success() || !carries(&owner, &reference.value, &pair.owner_markers) {
            continue;
        }
        let anonymous = ctx.answer(ctx.identities.anonymous(), get(&url)).await;
        if let Ok(anon) = anonymous
            && anon.is_success()
            && similarity(&owner.text(), &anon.text()) >= 0.9
        {
            counts.public += 1;
            continue;
        }
        found.push(Found {
            url,
            pattern,
            reference,
            owner,
        });
    }
    found
}

/// Replays reads (and no-op writes) of the objects the owner saw as the caller.
pub(super) async fn replay(ctx: &Context, pair: &Pair<'_>, tally: &mut Tally) -> Counts {
    let mut counts = Counts::default();
    let refs = ctx.inventory.refs_of(pair.owner.id);
    if refs.is_empty() {
        return counts;
    }
    let candidates = candidates(ctx, pair, refs);
    let found = find_objects(ctx, pair, candidates, &mut counts).await;
    for object in &found {
        let Ok(caller) = pair.caller.send(&ctx.http, get(&object.url)).await else {
            continue;
        };
        tally.replayed += 1;
        counts.reads += 1;
        *counts.sources.entry(object.reference.source).or_default() += 1;
        let owner_text = object.owner.text();
        let verdict = match classify(
            &pair.owner_markers,
            &pair.caller_markers,
            Some(&owner_text),
            &caller,
        ) {
            // Without a marker, the caller's answer must be this very object.
            Verdict::Similar if !carries(&caller, &object.reference.value, &pair.owner_markers) => {
                Verdict::Undecided(format!(
                    "{} answered {} without the object's id",
                    caller.url.path(),
                    caller.status
                ))
            }
            v => v,
        };
        let provenance = format!(
            " The id `{}` came from {}'s {} (`{}`).",
            object.reference.value,
            pair.owner.id,
            object.reference.source.describe(),
            object.reference.field
        );
        match verdict {
            Verdict::Leak(marker) => {
                let f = read_finding(
                    ctx,
                    pair,
                    &object.url,
                    Some(&object.owner),
                    &caller,
                    Some(&marker),
                );
                tally.findings.push(with_provenance(f, &provenance));
            }
            Verdict::Similar => {
                let f = read_finding(ctx, pair, &object.url, Some(&object.owner), &caller, None);
                tally.findings.push(with_provenance(f, &provenance));
            }
            Verdict::Enforced => tally.enforced += 1,
            Verdict::Undecided(why) => tally.undecided.push(why),
        }
    }
    if ctx.config.noop_writes {
        for object in found.iter().take(MAX_NOOP_WRITES) {
            if noop_write(ctx, pair, object, tally).await {
                counts.noop_writes += 1;
            }
        }
    }
    counts
}

fn with_provenance(mut f: Finding, provenance: &str) -> Finding {
    f.detail.push_str(provenance);
    f
}

/// The object as a client would send it back: the payload of a one-key envelope
/// (`{"data": {...}}`), or the answer itself.
fn representation(json: &Value) -> Option<Value> {
    let map = json.as_object()?;
    if map.len() == 1
        && let Some(inner) = map.values().next()
        && inner.is_object()
    {
        return Some(inner.clone());
    }
    Some(json.clone())
}

/// `json` without the keys a server bumps on every write.
fn stable(json: &Value) -> Value {
    match json {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !VOLATILE_KEYS.contains(&k.to_ascii_lowercase().as_str()))
                .map(|(k, v)| (k.clone(), stable(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(stable).collect()),
        other => other.clone(),
    }
}

/// The caller sends the owner's object back unchanged with the route's PATCH or PUT.
/// Returns whether a write was sent.
async fn noop_write(ctx: &Context, pair: &Pair<'_>, object: &Found<'_>, tally: &mut Tally) -> bool {
    // A known PATCH or PUT route; else PATCH, the partial update that changes nothing
    // when sent the current values (a PUT of a read representation could clear
    // fields the read does not show, so it is sent only where the app declares it).
    let known = ["PATCH", "PUT"].into_iter().find(|m| {
        ctx.inventory
            .endpoints
            .contains_key(&EndpointKey::new(m, object.pattern.clone()))
    });
    let method = known.unwrap_or("PATCH");
    let Some(before) = object.owner.json() else {
        return false;
    };
    let Some(body) = representation(&before) else {
        return false;
    };
    // Sent the way the route takes it (a `_method` form where only a form reaches it).
    let req = match ctx
        .inventory
        .endpoints
        .get(&EndpointKey::new(method, object.pattern.clone()))
    {
        Some(ep) => ep.write_request(object.url.clone(), &body),
        None => Request::new(method, object.url.clone())
            .json(&body)
            .header("Accept", "application/json"),
    };
    let Ok(resp) = pair.caller.send(&ctx.http, req).await else {
        return false;
    };
    tally.replayed += 1;
    match resp.status {
        // On a route nobody declared, 404 may only mean "no such method here".
        404 if known.is_none() => return false,
        401 | 403 | 404 | 410 => tally.enforced += 1,
        405 | 501 => return false,
        s if (200..300).contains(&s) => {
            let after = pair.owner.send(&ctx.http, get(&object.url)).await.ok();
            let unchanged = after
                .as_ref()
                .and_then(Response::json)
                .is_some_and(|a| stable(&a) == stable(&before));
            tally.findings.push(noop_finding(
                ctx,
                pair,
                method,
                object,
                &resp,
                after.as_ref(),
                unchanged,
            ));
        }
        s => tally.undecided.push(format!(
            "{method} {} of {}'s object unchanged answered {s}",
            object.url.path(),
            pair.owner.id
        )),
    }
    true
}

fn noop_finding(
    ctx: &Context,
    pair: &Pair<'_>,
    method: &str,
    object: &Found<'_>,
    resp: &Response,
    after: Option<&Response>,
    unchanged: bool,
) -> Finding {
    let (o, c) = (pair.owner.id, pair.caller.id);
    let readback = if unchanged {
        format!("{o} read the object back unchanged, so the scan changed nothing.")
    } else {
        format!(
            "{o}'s read-back differs from what it read before (see evidence): the server \
             rewrote fields even though the same values were sent."
        )
    };
    let mut f = Finding::builder(Item::TenantIsolation, "tenant.noop-write-replay")
        .rated(Severity::High, Confidence::Firm)
        .title(format!("Tenant {c} can write tenant {o}'s object"))
        .detail(format!(
            "Identity {c} sent {o}'s object back exactly as {o} read it ({method}) and the \
             server accepted it with {}: the write route does not check the caller's \
             tenant. {readback} The id `{}` came from {o}'s {}.",
            resp.status,
            object.reference.value,
            object.reference.source.describe()
        ))
        .at(Location {
            method: method.to_string(),
            url: ctx.http.redactor().url(&object.url),
        })
        .remediation(
            "Scope every update to the caller's tenant on the server (load the object \
             with the caller's tenant in the query, answer 404 otherwise).",
        )
        .evidence(ctx.http.evidence(
            &format!("{o} (the owner) reads its object"),
            &object.owner,
            None,
        ))
        .evidence(
            ctx.http
                .evidence(&format!("{c} sends it back unchanged"), resp, None),
        )
        .build();
    if let Some(after) = after {
        f = f.with_evidence(
            ctx.http
                .evidence(&format!("{o} reads it back"), after, None),
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn id_named_query_parameters_take_object_ids() {
        for name in ["id", "experiment_id", "projectId", "uuid"] {
            assert!(is_id_param(name), "{name}");
        }
        for name in ["page", "valid", "q", "sort"] {
            assert!(!is_id_param(name), "{name}");
        }
    }

    #[test]
    fn ids_are_found_as_strings_or_numbers_at_any_depth() {
        let j = json!({"data": {"id": 6, "owner": {"uuid": "ab-12"}}, "items": [1, "x"]});
        assert!(holds_id(&j, "6", 0));
        assert!(holds_id(&j, "ab-12", 0));
        assert!(!holds_id(&j, "7", 0));
    }

    #[test]
    fn an_envelope_is_unwrapped_and_volatile_keys_ignored() {
        let j = json!({"data": {"id": 6, "name": "x"}});
        assert_eq!(representation(&j), Some(json!({"id": 6, "name": "x"})));
        let plain = json!({"id": 6, "name": "x"});
        assert_eq!(representation(&plain), Some(plain.clone()));
        assert_eq!(
            stable(&json!({"id": 1, "updatedAt": "t1"})),
            stable(&json!({"id": 1, "updatedAt": "t2"}))
        );
    }
}
