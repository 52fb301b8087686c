//! Mass assignment (checklist item 8): privileged fields (`role`, `is_admin`, the other
//! tenant's `org_id`, `owner_id`, `verified`, `balance`...) added to the bodies that
//! sign up a fresh account, update the test identity's own profile, and create and
//! update the scanner's own objects must not stick. A field that reads back with the
//! injected value is a confirmed failure.
//!
//! Besides a built-in list, field names are learned from the app's own answers (see
//! [`privilege`]). Only the scanner's objects and accounts are written: creates go to
//! collections it can delete from (whatever they create is adopted and removed at
//! cleanup), updates only to objects this probe created, a profile change is restored
//! at once, and accounts made through signup are listed as leftovers ([`signup`]).

mod privilege;
mod signup;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use url::Url;

use crate::auth::Identity;
use crate::engine::Context;
use crate::engine::canaries::{self, OwnedObject};
use crate::engine::{Descriptor, Family};
use crate::families::input::{sources, update_methods};
use crate::http::{Request, Response};
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::RunState;
use crate::model::path_pattern;
use crate::model::{Confidence, Finding, Location, Severity};
use privilege::{Field, OtherIds};

/// Collections tried (each costs about three writes).
const MAX_SOURCES: usize = 3;

/// What the `mass` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "mass",
    items: &[Item::InputValidation],
    ids: &[
        "mass.privileged-field-accepted",
        "mass.tenant-field-accepted",
    ],
    runs_last: false,
};

/// The `mass` family.
pub struct MassFamily;

impl Family for MassFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { run(ctx).await.map(|r| vec![r]) })
    }
}

/// A scalar id found under one of `keys` at the top of `v` or one level down
/// (`{"organization": {"id": 7}}`).
fn id_under(v: &Value, keys: &[&str], nested: &[&str]) -> Option<Value> {
    let obj = v.as_object()?;
    let scalar = |x: &Value| matches!(x, Value::String(_) | Value::Number(_)).then(|| x.clone());
    keys.iter()
        .find_map(|k| obj.get(*k).and_then(scalar))
        .or_else(|| {
            nested
                .iter()
                .find_map(|n| obj.get(*n).and_then(|o| o.get("id")).and_then(scalar))
        })
}

/// The other tenant's organisation and user ids from its profile; stand-ins that no
/// real row is likely to have when the profile does not say.
pub(crate) fn other_ids(profile: Option<&Value>) -> OtherIds {
    let org = profile.and_then(|p| {
        id_under(
            p,
            &[
                "org_id",
                "tenant_id",
                "organization_id",
                "account_id",
                "team_id",
            ],
            &["organization", "org", "tenant", "account", "team"],
        )
    });
    let user = profile.and_then(|p| id_under(p, &["id", "user_id", "uid"], &["user"]));
    OtherIds {
        org: org.unwrap_or(Value::from(987_654_321)),
        user: user.unwrap_or(Value::from(987_654_322)),
    }
}

/// The fields tried on the scanner's objects and the values they are set to.
fn object_fields(other: &OtherIds) -> Vec<Field> {
    let f = |name: &str, value: Value| Field {
        name: name.to_string(),
        value,
        learned: None,
    };
    vec![
        f("role", Value::from("admin")),
        f("is_admin", Value::from(true)),
        f("admin", Value::from(true)),
        f("tenant_id", other.org.clone()),
        f("org_id", other.org.clone()),
        f("organization_id", other.org.clone()),
        f("owner_id", other.user.clone()),
        f("user_id", other.user.clone()),
        f("verified", Value::from(true)),
        f("balance", Value::from(1_000_000)),
    ]
}

/// What the app answered an identity about itself, labelled for notes: its profile,
/// its login answer, its token's claims.
fn answers_of(who: &Identity) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(p) = who.profile() {
        out.push((format!("{}'s profile", who.id), p));
    }
    if let Some(l) = who.login_answer() {
        out.push((format!("{}'s login answer", who.id), l));
    }
    for c in who.token_claims() {
        out.push((format!("{}'s token claims", who.id), c));
    }
    out
}

/// The fields tried on accounts: names learned from the ordinary identities' answers
/// (and the admin's, for the value a privilege has), then the built-in list.
fn account_fields(ctx: &Context) -> Vec<Field> {
    let (admin, ordinary): (Vec<_>, Vec<_>) = ctx
        .identities
        .authenticated()
        .partition(|i| i.id == IdentityId::Admin);
    let own: Vec<(String, Value)> = ordinary.iter().flat_map(|i| answers_of(i)).collect();
    let admin: Vec<(String, Value)> = admin.iter().flat_map(|i| answers_of(i)).collect();
    privilege::merged(
        privilege::learn_from_answers(&own, &admin),
        privilege::builtin_account(),
    )
}

/// The object a read-back shows: the JSON itself, or the object inside a wrapper
/// (`{"data": {...}}`, `{"project": {...}}`).
fn object_of(json: &Value) -> Option<Map<String, Value>> {
    let obj = json.as_object()?;
    if obj.contains_key("id") || obj.values().all(|v| !v.is_object()) {
        return Some(obj.clone());
    }
    obj.values()
        .find_map(|v| v.as_object().filter(|o| o.contains_key("id")).cloned())
        .or_else(|| Some(obj.clone()))
}

async fn read(ctx: &Context, who: &Identity, url: &Url) -> Option<(Response, Map<String, Value>)> {
    let resp = who
        .send(
            &ctx.http,
            Request::get(url.clone()).header("Accept", "application/json"),
        )
        .await
        .ok()?;
    if !resp.is_success() {
        return None;
    }
    let obj = object_of(&resp.json()?)?;
    Some((resp, obj))
}

fn with_fields(base: &Map<String, Value>, fields: &[Field]) -> Value {
    let mut m = base.clone();
    for f in fields {
        m.insert(f.name.clone(), f.value.clone());
    }
    Value::Object(m)
}

/// Fields tried one by one when a body with all of them is refused as invalid without
/// naming a field (besides those learned from the object itself).
const SINGLE_FIELDS: &[&str] = &["role", "is_admin", "owner_id", "org_id"];
/// Retries of a write refused for naming fields, each without the fields named.
const NAMED_RETRIES: usize = 3;

struct Outcome {
    /// The single-field retry runs once per scan, to bound writes.
    tried_single_fields: bool,
    checks: u32,
    findings: Vec<Finding>,
    notes: Vec<String>,
}

async fn run(ctx: &Context) -> Result<ProbeRun, String> {
    let who = ctx
        .identities
        .get(IdentityId::A)
        .or_else(|| ctx.identities.get(IdentityId::B));
    let Some(who) = who.map(|i| &**i) else {
        return Ok(ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::InputValidation,
            "no tenant identity to write as",
            Some("identities.a"),
        ));
    };
    let other = ctx
        .identities
        .authenticated()
        .find(|i| i.id != who.id && (i.id == IdentityId::B || i.id == IdentityId::A))
        .cloned();
    let ids = other_ids(other.as_ref().and_then(|o| o.profile()).as_ref());
    let fields = object_fields(&ids);
    let accounts = account_fields(ctx);
    let mut out = Outcome {
        tried_single_fields: false,
        checks: 0,
        findings: Vec::new(),
        notes: Vec::new(),
    };
    if let Some(learned) = privilege::learned_note(&accounts) {
        out.notes
            .push(format!("learned from the app's answers: {learned}"));
    }
    // Collections that can also be updated first: they allow both checks.
    let mut sources = sources(ctx);
    sources.sort_by_key(|s| update_methods(ctx, &canaries::item_url_of(&s.create, "1")).is_empty());
    for source in sources.iter().take(MAX_SOURCES) {
        objects(ctx, who, other.as_deref(), source, &fields, &ids, &mut out).await;
    }
    if let Some(account_owner) = other.as_deref().or(Some(who)) {
        account(ctx, account_owner, &accounts, &mut out).await;
    }
    signup::check(ctx, &accounts, &mut out).await;
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::InputValidation);
    run.checks = out.checks;
    run.findings = out.findings;
    run.notes = out.notes;
    run.notes.push(format!(
        "{} privileged-field writes judged (objects: {}; accounts: {})",
        run.checks,
        privilege::names(&fields),
        privilege::names(&accounts)
    ));
    if run.checks == 0 {
        run.state = if sources.is_empty() {
            RunState::NotRun {
                reason: "no collection to create objects in, no profile update endpoint and no \
                         signup endpoint"
                    .into(),
                config_key: Some("canaries".into()),
            }
        } else {
            RunState::Inconclusive {
                reason: "no privileged-field write could be read back".into(),
            }
        };
    }
    Ok(run)
}

/// Create with privileged fields, and update a clean object with them; read both back.
/// Fields the clean object shows but its create did not take are tried too.
async fn objects(
    ctx: &Context,
    who: &Identity,
    other: Option<&Identity>,
    source: &canaries::CanarySource,
    fields: &[Field],
    ids: &OtherIds,
    out: &mut Outcome,
) {
    let marker = canaries::new_marker();
    let Some(Value::Object(template)) = source.body_for(&marker) else {
        return;
    };
    // A clean object: the baseline of every field, and the target of the update check.
    let clean = match ctx
        .owned
        .create(
            &ctx.http,
            who,
            source,
            Value::Object(template.clone()),
            &marker,
        )
        .await
    {
        Ok(o) => o,
        Err(why) => {
            out.notes.push(format!(
                "no clean object in {}: {why}",
                source.create.path()
            ));
            return;
        }
    };
    let Some((_, before)) = read(ctx, who, &clean.url).await else {
        return;
    };
    let theirs = other_object(ctx, other, &clean).await;
    let learned = privilege::learn_from_object(&before, &template, theirs.as_ref(), ids);
    if !learned.is_empty() {
        out.notes.push(format!(
            "{}: learned {} (shown on a read, not taken by the create)",
            source.create.path(),
            privilege::names(&learned)
        ));
    }
    let fields = privilege::merged(learned, fields.to_vec());
    // Create with the fields.
    let marker2 = canaries::new_marker();
    if let Some(Value::Object(t2)) = source.body_for(&marker2) {
        let body = with_fields(&t2, &fields);
        ctx.owned.forcing(&marker2);
        let req = Request::new("POST", source.create.clone())
            .json(&body)
            .header("Accept", "application/json");
        if let Ok(resp) = who.send(&ctx.http, req).await {
            if resp.is_success() {
                let created = Created {
                    resp: &resp,
                    body,
                    marker: &marker2,
                };
                judge_created(ctx, who, other, source, created, &before, &fields, out).await;
            } else {
                out.checks += 1;
            }
        }
    }
    update_object(ctx, who, other, &clean, &template, &before, &fields, out).await;
}

/// The other tenant's own object in the same collection, read as that tenant: the
/// values its ownership and tenant fields hold.
async fn other_object(
    ctx: &Context,
    other: Option<&Identity>,
    mine: &OwnedObject,
) -> Option<Map<String, Value>> {
    let other = other?;
    let theirs = ctx
        .owned
        .of(other.id)
        .into_iter()
        .find(|o| o.collection == mine.collection)?;
    read(ctx, other, &theirs.url).await.map(|(_, o)| o)
}

/// Updates the clean object with the fields: all at once; without the fields a refusal
/// names; when refused as invalid without a name, the riskiest fields alone (once per
/// scan). Reads it back after each accepted write.
#[allow(clippy::too_many_arguments)]
async fn update_object(
    ctx: &Context,
    who: &Identity,
    other: Option<&Identity>,
    clean: &OwnedObject,
    template: &Map<String, Value>,
    before: &Map<String, Value>,
    fields: &[Field],
    out: &mut Outcome,
) {
    let Some((method, _)) = update_methods(ctx, &clean.url).into_iter().next() else {
        return;
    };
    let base = if method == "PATCH" {
        Map::new()
    } else {
        template.clone()
    };
    let ordinary: Vec<String> = base.keys().cloned().collect();
    // Tenant fields may move the object: it is the scanner's doing wherever it shows up.
    ctx.owned.forcing(&clean.marker);
    let mut attempts: Vec<Vec<Field>> = vec![fields.to_vec()];
    let mut named_retries = 0;
    let mut hits: Vec<Field> = Vec::new();
    let mut last_readback = None;
    let mut n = 0;
    while n < attempts.len() {
        let set = attempts[n].clone();
        n += 1;
        // The guard every update passes: only the scanner's own objects change.
        if !ctx.owned.owns(&clean.url) {
            break;
        }
        let req = Request::new(&method, clean.url.clone())
            .json(&with_fields(&base, &set))
            .header("Accept", "application/json");
        let Ok(resp) = who.send(&ctx.http, req).await else {
            continue;
        };
        out.checks += 1;
        if !resp.is_success() {
            if matches!(resp.status, 400 | 422) {
                let named = privilege::named_in_refusal(&resp.text(), &set, &ordinary);
                if !named.is_empty() && named_retries < NAMED_RETRIES {
                    named_retries += 1;
                    let rest: Vec<Field> =
                        set.iter().filter(|f| !named.contains(f)).cloned().collect();
                    if !rest.is_empty() {
                        attempts.push(rest);
                    }
                } else if named.is_empty() && n == 1 && !out.tried_single_fields {
                    out.tried_single_fields = true;
                    attempts.extend(
                        fields
                            .iter()
                            .filter(|f| f.learned.is_some() || SINGLE_FIELDS.contains(&&*f.name))
                            .map(|f| vec![f.clone()]),
                    );
                }
            }
            continue;
        }
        if let Some((after_resp, after)) = read(ctx, who, &clean.url).await {
            for h in privilege::stuck(&set, before, &after) {
                if !hits.contains(h) {
                    hits.push(h.clone());
                }
            }
            last_readback = Some(after_resp);
        } else if let Some(o) = other
            && read(ctx, o, &clean.url).await.is_some()
        {
            // The object moved to the other tenant: a tenant field stuck.
            move_owner(ctx, clean, o);
            out.findings.push(moved(ctx, &method, &clean.url, &resp));
            break;
        }
    }
    if let (false, Some(readback)) = (hits.is_empty(), last_readback) {
        out.findings.push(finding(
            ctx, &method, &clean.url, &hits, &readback, "update",
        ));
    }
}

/// A create with privileged fields the app accepted.
struct Created<'a> {
    resp: &'a Response,
    body: Value,
    marker: &'a str,
}

#[allow(clippy::too_many_arguments)]
async fn judge_created(
    ctx: &Context,
    who: &Identity,
    other: Option<&Identity>,
    source: &canaries::CanarySource,
    created: Created<'_>,
    before: &Map<String, Value>,
    fields: &[Field],
    out: &mut Outcome,
) {
    let Some(object) = ctx.owned.adopt(
        &ctx.http,
        who,
        &source.create,
        created.resp,
        created.body,
        created.marker,
    ) else {
        // Not where its creator can see it: a tenant field may have put it elsewhere.
        if let Some(o) = other
            && let Some((id, url)) = ctx
                .owned
                .find_in_list(&ctx.http, o, source, created.marker)
                .await
        {
            ctx.owned.adopt_url(
                o.id,
                &crate::model::path_pattern(source.create.path()),
                url,
                &id,
                created.marker,
            );
            out.checks += 1;
            out.findings
                .push(moved(ctx, "POST", &source.create, created.resp));
            return;
        }
        out.notes.push(format!(
            "POST {} accepted privileged fields; the new object could not be located",
            source.create.path()
        ));
        return;
    };
    out.checks += 1;
    if let Some((after_resp, after)) = read(ctx, who, &object.url).await {
        let hits: Vec<Field> = privilege::stuck(fields, before, &after)
            .into_iter()
            .cloned()
            .collect();
        if !hits.is_empty() {
            out.findings.push(finding(
                ctx,
                "POST",
                &source.create,
                &hits,
                &after_resp,
                "create",
            ));
        }
    } else if let Some(o) = other
        && read(ctx, o, &object.url).await.is_some()
    {
        move_owner(ctx, &object, o);
        out.findings
            .push(moved(ctx, "POST", &source.create, created.resp));
    }
}

/// An object now in the other tenant is deleted as that tenant at cleanup.
fn move_owner(ctx: &Context, object: &OwnedObject, to: &Identity) {
    ctx.owned.reassign(&object.url, to);
}

/// The identity's own profile and how to update it: its check request's URL, with the
/// PATCH or PUT discovery found for it, else a PATCH (which changes nothing where the
/// route does not take it).
fn profile_update(ctx: &Context, who: &Identity) -> Option<(Url, String, Option<Value>)> {
    let url = who.config.as_ref()?.check.as_ref()?.url.clone();
    let pattern = path_pattern(url.path());
    let mut updates: Vec<_> = ctx
        .inventory
        .endpoints()
        .filter(|e| (e.method == "PATCH" || e.method == "PUT") && e.pattern == pattern)
        .collect();
    updates.sort_by_key(|e| e.method != "PATCH");
    match updates.first() {
        Some(e) => Some((url, e.method.clone(), e.body_example.clone())),
        None => Some((url, "PATCH".to_string(), None)),
    }
}

/// The body an update of the profile sends back unchanged: for a PUT every plain
/// field of the profile, for a PATCH the fields its example names.
fn profile_base(
    method: &str,
    example: Option<&Value>,
    before: &Map<String, Value>,
    fields: &[Field],
) -> Map<String, Value> {
    let mut base = Map::new();
    match (method, example) {
        (_, Some(Value::Object(example))) => {
            for k in example.keys() {
                if let Some(v) = before.get(k) {
                    base.insert(k.clone(), v.clone());
                }
            }
        }
        ("PUT", _) => {
            for (k, v) in before {
                let plain = !v.is_object() && !v.is_array() && k != "id";
                if plain && !fields.iter().any(|f| f.name == *k) {
                    base.insert(k.clone(), v.clone());
                }
            }
        }
        _ => {}
    }
    base
}

/// Privileged fields on the identity's own profile (its check request's answer), sent
/// with the profile's own values so nothing else changes; a field that sticks is
/// restored at once.
async fn account(ctx: &Context, who: &Identity, fields: &[Field], out: &mut Outcome) {
    let Some((url, method, example)) = profile_update(ctx, who) else {
        out.notes
            .push("no profile (check request) to update for the identity".into());
        return;
    };
    let Some((_, before)) = read(ctx, who, &url).await else {
        return;
    };
    let base = profile_base(&method, example.as_ref(), &before, fields);
    let ordinary: Vec<String> = base.keys().cloned().collect();
    let mut sending: Vec<Field> = fields.to_vec();
    let mut refused: Vec<Field> = Vec::new();
    for _ in 0..=NAMED_RETRIES {
        let req = Request::new(&method, url.clone())
            .json(&with_fields(&base, &sending))
            .header("Accept", "application/json");
        let Ok(resp) = who.send(&ctx.http, req).await else {
            return;
        };
        if resp.is_success() {
            out.checks += 1;
            judge_profile(ctx, who, (&method, &url), &base, &before, &sending, out).await;
            return;
        }
        let named = if matches!(resp.status, 400 | 422) {
            privilege::named_in_refusal(&resp.text(), &sending, &ordinary)
        } else {
            Vec::new()
        };
        if named.is_empty() {
            out.notes.push(format!(
                "profile update {method} {} answered {}",
                url.path(),
                resp.status
            ));
            return;
        }
        refused.extend(named.iter().map(|f| (*f).clone()));
        sending.retain(|f| !refused.contains(f));
        if sending.is_empty() {
            break;
        }
    }
    out.checks += 1;
    out.notes.push(format!(
        "profile update {method} {}: refused the privileged fields by name ({})",
        url.path(),
        privilege::names(&refused)
    ));
}

/// Reads the profile back after an accepted update; restores what stuck.
async fn judge_profile(
    ctx: &Context,
    who: &Identity,
    (method, url): (&str, &Url),
    base: &Map<String, Value>,
    before: &Map<String, Value>,
    sent: &[Field],
    out: &mut Outcome,
) {
    let Some((after_resp, after)) = read(ctx, who, url).await else {
        return;
    };
    let hits: Vec<Field> = privilege::stuck(sent, before, &after)
        .into_iter()
        .cloned()
        .collect();
    if hits.is_empty() {
        return;
    }
    let mut restore = base.clone();
    for f in &hits {
        restore.insert(
            f.name.clone(),
            before.get(&f.name).cloned().unwrap_or(Value::Null),
        );
    }
    let undo = Request::new(method, url.clone())
        .json(&Value::Object(restore))
        .header("Accept", "application/json");
    let restored = matches!(who.send(&ctx.http, undo).await, Ok(r) if r.is_success());
    let said = if restored {
        format!(
            "restored {} on {}'s account",
            privilege::names(&hits),
            who.id
        )
    } else {
        format!(
            "could NOT restore {} on {}'s account: reset it by hand",
            privilege::names(&hits),
            who.id
        )
    };
    let mut f = finding(ctx, method, url, &hits, &after_resp, "account");
    f.detail.push_str(&format!(" The scan {said}."));
    out.findings.push(f);
    out.notes.push(said);
}

fn finding(
    ctx: &Context,
    method: &str,
    url: &Url,
    hits: &[Field],
    readback: &Response,
    what: &str,
) -> Finding {
    let location = Location {
        method: method.to_string(),
        url: ctx.http.redactor().url(url),
    };
    Finding::builder(Item::InputValidation, "mass.privileged-field-accepted")
        .rated(Severity::High, Confidence::Confirmed)
        .title("Privileged fields in a request body are stored (mass assignment)")
        .detail(format!(
            "{method} {} ({what}) accepted {} from the client and the read-back shows the \
             injected value: the server binds the body to its model without an allowlist.",
            location.url,
            privilege::names(hits)
        ))
        .at(location)
        .discriminator(what)
        .build()
        .with_evidence(ctx.http.evidence(
            "the read-back after the write",
            readback,
            hits.first().map(|f| f.name.as_str()),
        ))
        .with_remediation(
            "Bind request bodies to an explicit allowlist of client-settable fields (a DTO, strong \
         parameters, a serializer with read-only fields) and set ownership, tenant and role \
         fields on the server from the session.",
        )
}

fn moved(ctx: &Context, method: &str, url: &Url, resp: &Response) -> Finding {
    let location = Location {
        method: method.to_string(),
        url: ctx.http.redactor().url(url),
    };
    Finding::builder(Item::InputValidation, "mass.tenant-field-accepted")
        .rated(Severity::Critical, Confidence::Confirmed)
        .title("A tenant field in a request body moves the object to another tenant")
        .detail(format!(
            "{method} {} with the other tenant's id in tenant fields made the object readable by \
             the other tenant and no longer by its creator.",
            location.url
        ))
        .at(location)
        .build()
        .with_evidence(ctx.http.evidence("the write", resp, None))
        .with_remediation(
            "Never take tenant or owner ids from the request body; derive them from the session.",
        )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn other_ids_come_from_common_profile_shapes() {
        let p = json!({"id": 12, "email": "b@x", "organization": {"id": 3, "name": "B"}});
        assert_eq!(
            other_ids(Some(&p)),
            OtherIds {
                org: json!(3),
                user: json!(12)
            }
        );
        let p = json!({"user_id": "u-9", "tenant_id": "t-2"});
        assert_eq!(other_ids(Some(&p)).org, json!("t-2"));
        assert_eq!(other_ids(None).org, json!(987_654_321));
    }

    #[test]
    fn read_backs_are_unwrapped() {
        let o = object_of(&json!({"project": {"id": 1, "owner_id": 2}})).unwrap();
        assert_eq!(o["owner_id"], 2);
        let o = object_of(&json!({"id": 1, "meta": {"x": 1}})).unwrap();
        assert_eq!(o["id"], 1);
    }

    #[test]
    fn a_profile_is_sent_back_unchanged_but_for_the_privileged_fields() {
        let before = json!({"id": 4, "name": "Bo", "email": "b@x", "role": "member",
            "organization": {"id": 2}});
        let before = before.as_object().unwrap();
        let fields = privilege::builtin_account();
        let put = profile_base("PUT", None, before, &fields);
        assert_eq!(
            put,
            *json!({"name": "Bo", "email": "b@x"}).as_object().unwrap()
        );
        let patch = profile_base("PATCH", Some(&json!({"name": "x"})), before, &fields);
        assert_eq!(patch, *json!({"name": "Bo"}).as_object().unwrap());
        assert!(profile_base("PATCH", None, before, &fields).is_empty());
    }
}
