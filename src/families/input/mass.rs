//! Mass assignment (checklist item 8): privileged fields (`role`, `is_admin`, the other
//! tenant's `org_id`, `owner_id`, `verified`, `balance`...) added to the bodies that
//! create and update the scanner's own objects, and its own account, must not stick.
//! A field that reads back with the injected value is a confirmed failure.
//!
//! Only the scanner's objects are written: creates go to collections it can delete
//! from (whatever they create is adopted and removed at cleanup), updates only to
//! objects this probe created, and an account change is restored at once.

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

/// Ids of the other tenant, the values a cross-tenant field is set to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OtherIds {
    pub org: Value,
    pub user: Value,
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

/// The privileged fields and the values they are set to.
pub(crate) fn privileged_fields(other: &OtherIds) -> Vec<(&'static str, Value)> {
    vec![
        ("role", Value::from("admin")),
        ("is_admin", Value::from(true)),
        ("admin", Value::from(true)),
        ("tenant_id", other.org.clone()),
        ("org_id", other.org.clone()),
        ("organization_id", other.org.clone()),
        ("owner_id", other.user.clone()),
        ("user_id", other.user.clone()),
        ("verified", Value::from(true)),
        ("balance", Value::from(1_000_000)),
    ]
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::String(y)) | (Value::String(y), Value::Number(x)) => {
            x.to_string() == *y
        }
        _ => a == b,
    }
}

/// The fields that stuck: present in `after` with the injected value, and not already
/// that value in `before` (a default of `verified: true` is no finding).
pub(crate) fn stuck(
    fields: &[(&'static str, Value)],
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Vec<&'static str> {
    fields
        .iter()
        .filter(|(name, value)| {
            after.get(*name).is_some_and(|v| same(v, value))
                && !before.get(*name).is_some_and(|v| same(v, value))
        })
        .map(|(name, _)| *name)
        .collect()
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

fn with_fields(base: &Map<String, Value>, fields: &[(&'static str, Value)]) -> Value {
    let mut m = base.clone();
    for (k, v) in fields {
        m.insert((*k).to_string(), v.clone());
    }
    Value::Object(m)
}

/// Fields tried one by one when a body with all of them is refused as invalid.
const SINGLE_FIELDS: &[&str] = &["role", "is_admin", "owner_id", "org_id"];

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
    let fields = privileged_fields(&ids);
    let mut out = Outcome {
        tried_single_fields: false,
        checks: 0,
        findings: Vec::new(),
        notes: Vec::new(),
    };
    // Collections that can also be updated first: they allow both checks.
    let mut sources = sources(ctx);
    sources.sort_by_key(|s| update_methods(ctx, &canaries::item_url_of(&s.create, "1")).is_empty());
    for source in sources.iter().take(MAX_SOURCES) {
        objects(ctx, who, other.as_deref(), source, &fields, &mut out).await;
    }
    if let Some(account_owner) = other.as_deref().or(Some(who)) {
        account(ctx, account_owner, &fields, &mut out).await;
    }
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::InputValidation);
    run.checks = out.checks;
    run.findings = out.findings;
    run.notes = out.notes;
    run.notes.push(format!(
        "{} privileged-field writes read back ({})",
        run.checks,
        fields
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if run.checks == 0 {
        run.state = if sources.is_empty() {
            RunState::NotRun {
                reason: "no collection to create objects in and no profile update endpoint".into(),
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
async fn objects(
    ctx: &Context,
    who: &Identity,
    other: Option<&Identity>,
    source: &canaries::CanarySource,
    fields: &[(&'static str, Value)],
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
    // Create with the fields.
    let marker2 = canaries::new_marker();
    if let Some(Value::Object(t2)) = source.body_for(&marker2) {
        let body = with_fields(&t2, fields);
        let req = Request::new("POST", source.create.clone())
            .json(&body)
            .header("Accept", "application/json");
        if let Ok(resp) = who.send(&ctx.http, req).await {
            if resp.is_success() {
                judge_created(
                    ctx, who, other, source, &resp, body, &marker2, &before, fields, out,
                )
                .await;
            } else {
                out.checks += 1;
            }
        }
    }
    // Update the clean object with the fields.
    let Some((method, _)) = update_methods(ctx, &clean.url).into_iter().next() else {
        return;
    };
    let base = if method == "PATCH" {
        Map::new()
    } else {
        template.clone()
    };
    // All fields at once; when that is refused as invalid (a strict field rejects the
    // whole body), the riskiest fields alone, once per scan.
    let mut attempts: Vec<Vec<(&'static str, Value)>> = vec![fields.to_vec()];
    let mut hits: Vec<&'static str> = Vec::new();
    let mut last_readback = None;
    let mut n = 0;
    while n < attempts.len() {
        let set = attempts[n].clone();
        n += 1;
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
            if n == 1 && matches!(resp.status, 400 | 422) && !out.tried_single_fields {
                out.tried_single_fields = true;
                attempts.extend(
                    fields
                        .iter()
                        .filter(|(k, _)| SINGLE_FIELDS.contains(k))
                        .map(|f| vec![f.clone()]),
                );
            }
            continue;
        }
        if let Some((after_resp, after)) = read(ctx, who, &clean.url).await {
            for h in stuck(&set, &before, &after) {
                if !hits.contains(&h) {
                    hits.push(h);
                }
            }
            last_readback = Some(after_resp);
        } else if let Some(o) = other
            && read(ctx, o, &clean.url).await.is_some()
        {
            // The object moved to the other tenant: a tenant field stuck.
            move_owner(ctx, &clean, o);
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

#[allow(clippy::too_many_arguments)]
async fn judge_created(
    ctx: &Context,
    who: &Identity,
    other: Option<&Identity>,
    source: &canaries::CanarySource,
    resp: &Response,
    body: Value,
    marker: &str,
    before: &Map<String, Value>,
    fields: &[(&'static str, Value)],
    out: &mut Outcome,
) {
    let Some(object) = ctx
        .owned
        .adopt(&ctx.http, who, &source.create, resp, body, marker)
    else {
        out.notes.push(format!(
            "POST {} accepted privileged fields; the new object could not be located",
            source.create.path()
        ));
        return;
    };
    out.checks += 1;
    if let Some((after_resp, after)) = read(ctx, who, &object.url).await {
        let hits = stuck(fields, before, &after);
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
        out.findings.push(moved(ctx, "POST", &source.create, resp));
    }
}

/// An object now in the other tenant is deleted as that tenant at cleanup.
fn move_owner(ctx: &Context, object: &OwnedObject, to: &Identity) {
    ctx.owned.reassign(&object.url, to);
}

/// Privileged fields on the identity's own profile; anything that changed is restored.
async fn account(
    ctx: &Context,
    who: &Identity,
    fields: &[(&'static str, Value)],
    out: &mut Outcome,
) {
    let Some(check) = who.config.as_ref().and_then(|c| c.check.as_ref()) else {
        return;
    };
    let url = check.url.clone();
    let pattern = path_pattern(url.path());
    let Some(endpoint) = ctx
        .inventory
        .endpoints()
        .find(|e| (e.method == "PATCH" || e.method == "PUT") && e.pattern == pattern)
    else {
        out.notes
            .push("no update endpoint for the identity's own profile".into());
        return;
    };
    let method = endpoint.method.clone();
    let Some((_, before)) = read(ctx, who, &url).await else {
        return;
    };
    // Keep the fields the API expects, with their current values, so only the
    // privileged ones are new.
    let mut base = Map::new();
    if let Some(Value::Object(example)) = &endpoint.body_example {
        for k in example.keys() {
            if let Some(v) = before.get(k) {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    // Only the user's own fields, never the tenant's: a profile move across tenants
    // could not be undone by the user.
    let own: Vec<(&'static str, Value)> = fields
        .iter()
        .filter(|(k, _)| !matches!(*k, "tenant_id" | "org_id" | "organization_id"))
        .cloned()
        .collect();
    let req = Request::new(&method, url.clone())
        .json(&with_fields(&base, &own))
        .header("Accept", "application/json");
    let Ok(resp) = who.send(&ctx.http, req).await else {
        return;
    };
    out.checks += 1;
    if !resp.is_success() {
        return;
    }
    let Some((after_resp, after)) = read(ctx, who, &url).await else {
        return;
    };
    let hits = stuck(&own, &before, &after);
    if hits.is_empty() {
        return;
    }
    out.findings
        .push(finding(ctx, &method, &url, &hits, &after_resp, "account"));
    let mut restore = base;
    for k in &hits {
        restore.insert(
            (*k).to_string(),
            before.get(*k).cloned().unwrap_or(Value::Null),
        );
    }
    let undo = Request::new(&method, url.clone())
        .json(&Value::Object(restore))
        .header("Accept", "application/json");
    let restored = matches!(who.send(&ctx.http, undo).await, Ok(r) if r.is_success());
    out.notes.push(if restored {
        format!("restored {} on {}'s account", hits.join(", "), who.id)
    } else {
        format!(
            "could NOT restore {} on {}'s account: reset it by hand",
            hits.join(", "),
            who.id
        )
    });
}

fn finding(
    ctx: &Context,
    method: &str,
    url: &Url,
    hits: &[&str],
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
            hits.join(", ")
        ))
        .at(location)
        .discriminator(what)
        .build()
        .with_evidence(ctx.http.evidence(
            "the read-back after the write",
            readback,
            hits.first().copied(),
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
    fn only_fields_that_changed_to_the_injected_value_stuck() {
        let fields = privileged_fields(&OtherIds {
            org: json!(3),
            user: json!(12),
        });
        let before = json!({"id": 1, "verified": true, "owner_id": 5});
        let after = json!({"id": 1, "verified": true, "owner_id": "12", "role": "member"});
        let hits = stuck(
            &fields,
            before.as_object().unwrap(),
            after.as_object().unwrap(),
        );
        assert_eq!(hits, vec!["owner_id"]);
    }

    #[test]
    fn read_backs_are_unwrapped() {
        let o = object_of(&json!({"project": {"id": 1, "owner_id": 2}})).unwrap();
        assert_eq!(o["owner_id"], 2);
        let o = object_of(&json!({"id": 1, "meta": {"x": 1}})).unwrap();
        assert_eq!(o["id"], 1);
    }
}
