//! Input validation (checklist item 8): malformed, mistyped, missing, null, oversized
//! and unknown values sent to the app's write endpoints must be refused with a 4xx,
//! never crash it into a 5xx.
//!
//! Safe by construction: creates go only to collections the scanner can delete from
//! again (a DELETE route beside them), and anything a create accepts is adopted as the
//! scanner's own object and removed at cleanup; updates go only to objects this probe
//! created itself. Writes are bounded per identity, because apps rate-limit writes
//! per user and the other probes need that budget too.

pub mod mass;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use url::Url;

use crate::auth::Identity;
use crate::engine::Context;
use crate::engine::canaries::{self, CanarySource, OwnedObject};
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::RunState;
use crate::model::path_pattern;
use crate::model::{Confidence, Finding, Location, Severity};

/// Collections probed; each also gets one object of the probe's own for updates.
const MAX_SOURCES: usize = 4;
/// Writes one identity sends for this probe (creates, then updates). Apps often allow
/// about 60 writes a minute per user; the other probes share that.
const WRITE_BUDGET: usize = 12;
/// Fields that get their own wrong-type and null variants.
const MAX_FIELDS: usize = 2;
/// An oversized string: far above any sane text limit, well below body limits.
const HUGE_STRING: usize = 20_000;

/// What the `input` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "input",
    items: &[Item::InputValidation],
    ids: &["input.server-error"],
    runs_last: false,
};

/// The `input` family.
pub struct InputFamily;

impl Family for InputFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { run(ctx).await.map(|r| vec![r]) })
    }
}

/// One malformed request body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mutation {
    /// Stable short name, part of the finding id (`malformed-json`, `wrong-type:name`).
    pub kind: String,
    /// What was wrong with it, for a reader.
    pub label: String,
    pub content_type: &'static str,
    pub body: String,
}

fn mutation(kind: String, label: String, body: String) -> Mutation {
    Mutation {
        kind,
        label,
        content_type: "application/json",
        body,
    }
}

/// A value of a different JSON type than `v`.
fn wrong_type(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::from(123456789),
        Value::Number(_) => Value::from("not-a-number"),
        Value::Bool(_) => Value::from("maybe"),
        Value::Array(_) => Value::from("not-a-list"),
        Value::Object(_) => Value::from(42),
        Value::Null => Value::Array(vec![]),
    }
}

/// The mutations of a valid `template` body, most telling first, so that a small budget
/// still covers the classic crashes (unparsable JSON, a type the code did not expect).
pub(crate) fn mutations(template: &Map<String, Value>) -> Vec<Mutation> {
    let text = |m: &Map<String, Value>| Value::Object(m.clone()).to_string();
    let mut out = Vec::new();
    let full = text(template);
    let cut = full.len() / 2;
    let cut = (0..=cut)
        .rev()
        .find(|i| full.is_char_boundary(*i))
        .unwrap_or(0);
    out.push(mutation(
        "malformed-json".into(),
        "truncated JSON".into(),
        full[..cut].to_string(),
    ));
    // Text fields first: they are what templates and code most often assume are strings.
    let mut fields: Vec<(&String, &Value)> = template.iter().collect();
    fields.sort_by_key(|(_, v)| !v.is_string());
    let mut per_field = Vec::new();
    for (name, value) in fields.iter().take(MAX_FIELDS) {
        let mut m = template.clone();
        m.insert((*name).clone(), wrong_type(value));
        per_field.push(mutation(
            format!("wrong-type:{name}"),
            format!("`{name}` of the wrong JSON type"),
            text(&m),
        ));
        let mut m = template.clone();
        m.insert((*name).clone(), Value::Null);
        per_field.push(mutation(
            format!("null:{name}"),
            format!("`{name}` set to null"),
            text(&m),
        ));
    }
    let mut rest = per_field.into_iter();
    out.extend(rest.next());
    out.push(mutation(
        "not-an-object".into(),
        "a JSON array instead of an object".into(),
        format!("[{full}]"),
    ));
    out.push(mutation(
        "missing-fields".into(),
        "an empty object (required fields missing)".into(),
        "{}".into(),
    ));
    if let Some((name, _)) = template.iter().find(|(_, v)| v.is_string()) {
        let mut m = template.clone();
        m.insert(name.clone(), Value::from("A".repeat(HUGE_STRING)));
        out.push(mutation(
            format!("oversized:{name}"),
            format!("`{name}` of {HUGE_STRING} characters"),
            text(&m),
        ));
    }
    // A number beyond every integer type (kept as raw JSON text, not a float).
    let huge = "1".to_string() + &"0".repeat(40);
    let number_field = template
        .iter()
        .find(|(_, v)| v.is_number())
        .or_else(|| template.iter().next())
        .map(|(k, _)| k.clone());
    if let Some(name) = number_field {
        let mut m = template.clone();
        m.insert(name.clone(), Value::from("__HUGE__"));
        out.push(mutation(
            format!("huge-number:{name}"),
            format!("`{name}` = 10^40"),
            text(&m).replace("\"__HUGE__\"", &huge),
        ));
    }
    out.extend(rest);
    let mut m = template.clone();
    m.insert("prodready_unknown_field".into(), Value::from("x"));
    out.push(mutation(
        "unknown-field".into(),
        "an unknown field".into(),
        text(&m),
    ));
    out.push(Mutation {
        kind: "wrong-content-type".into(),
        label: "a valid body sent as text/plain".into(),
        content_type: "text/plain",
        body: full,
    });
    out
}

/// One write target: a method and URL with a template body.
struct Target {
    method: String,
    url: Url,
    template: Map<String, Value>,
    /// A create: an accepted body made an object, which must be adopted.
    create: bool,
    marker: String,
}

/// Counts writes per identity against [`WRITE_BUDGET`].
struct Sender<'a> {
    ctx: &'a Context,
    identity: &'a Identity,
    sent: usize,
}

impl Sender<'_> {
    fn has_room(&self) -> bool {
        self.sent < WRITE_BUDGET
    }

    async fn send(&mut self, req: Request) -> Result<Response, String> {
        self.sent += 1;
        self.identity
            .send(&self.ctx.http, req)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The identities used: creates as the first tenant, updates as the second (each on
/// objects it owns), so neither uses up one user's write allowance.
fn tenants(ctx: &Context) -> (Option<&Identity>, Option<&Identity>) {
    let a = ctx.identities.get(IdentityId::A).map(|i| &**i);
    let b = ctx.identities.get(IdentityId::B).map(|i| &**i);
    (a, b.or(a))
}

/// PUT/PATCH endpoints of the inventory that address `object`.
pub(crate) fn update_methods(ctx: &Context, object: &Url) -> Vec<(String, Option<Value>)> {
    let pattern = path_pattern(object.path());
    ctx.inventory
        .endpoints()
        .filter(|e| (e.method == "PUT" || e.method == "PATCH") && e.pattern == pattern)
        .map(|e| (e.method.clone(), e.body_example.clone()))
        .collect()
}

/// Create sources: declared canaries, else collections with a DELETE route beside them.
pub(crate) fn sources(ctx: &Context) -> Vec<CanarySource> {
    canaries::canary_sources(&ctx.inventory, &ctx.config.canaries, MAX_SOURCES)
}

async fn run(ctx: &Context) -> Result<ProbeRun, String> {
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::InputValidation);
    let sources = sources(ctx);
    let (Some(creator), Some(updater)) = tenants(ctx) else {
        return Ok(ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::InputValidation,
            "no tenant identity to send writes as",
            Some("identities.a"),
        ));
    };
    if sources.is_empty() {
        return Ok(ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::InputValidation,
            "no write endpoint with a JSON body and a DELETE route to clean up after it \
             (declare one under [[canaries]])",
            Some("canaries"),
        ));
    }
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut updater_sender = Sender {
        ctx,
        identity: updater,
        sent: 0,
    };
    for source in &sources {
        let marker = canaries::new_marker();
        let Some(Value::Object(template)) = source.body_for(&marker) else {
            continue;
        };
        creates.push(Target {
            method: "POST".into(),
            url: source.create.clone(),
            template: template.clone(),
            create: true,
            marker: marker.clone(),
        });
        // Updates only on an object made for this probe, so no other probe's canary
        // changes under its feet.
        if !updater_sender.has_room() {
            continue;
        }
        let methods = update_methods(ctx, &canaries::item_url_of(&source.create, "1"));
        if methods.is_empty() {
            continue;
        }
        updater_sender.sent += 1;
        match ctx
            .owned
            .create(
                &ctx.http,
                updater,
                source,
                Value::Object(template.clone()),
                &marker,
            )
            .await
        {
            Ok(object) => {
                for (method, example) in update_methods(ctx, &object.url) {
                    updates.push(update_target(&object, method, example, &template));
                }
            }
            Err(why) => run.notes.push(format!(
                "no object of its own to update through {}: {why}",
                source.create.path()
            )),
        }
    }
    let mut creator_sender = Sender {
        ctx,
        identity: creator,
        sent: 0,
    };
    let mut errors = Vec::new();
    probe_targets(&mut creator_sender, &creates, &mut run, &mut errors).await;
    probe_targets(&mut updater_sender, &updates, &mut run, &mut errors).await;
    if run.checks == 0 && !errors.is_empty() {
        return Err(format!("no write got an answer, e.g. {}", errors[0]));
    }
    run.notes.push(format!(
        "{} malformed write requests to {} create and {} update endpoints ({} as {}, {} as {}); \
         {} answered 5xx",
        run.checks,
        creates.len(),
        updates.len(),
        creator_sender.sent,
        creator.id,
        updater_sender.sent,
        updater.id,
        run.findings.len()
    ));
    if run.checks == 0 {
        run.state = RunState::Inconclusive {
            reason: "no malformed write could be sent within the write budget".into(),
        };
    }
    Ok(run)
}

fn update_target(
    object: &OwnedObject,
    method: String,
    example: Option<Value>,
    create_template: &Map<String, Value>,
) -> Target {
    // The example body of the update when the API describes one, else the create body.
    let template = match example.and_then(|e| canaries::body_with_marker(&e, &object.marker)) {
        Some(Value::Object(m)) => m,
        _ => create_template.clone(),
    };
    Target {
        method,
        url: object.url.clone(),
        template,
        create: false,
        marker: object.marker.clone(),
    }
}

/// Sends the mutations round-robin over the targets (the first mutation to every
/// target, then the second...), until the sender's budget is spent.
async fn probe_targets(
    sender: &mut Sender<'_>,
    targets: &[Target],
    run: &mut ProbeRun,
    errors: &mut Vec<String>,
) {
    let ctx = sender.ctx;
    let lists: Vec<Vec<Mutation>> = targets.iter().map(|t| mutations(&t.template)).collect();
    let rounds = lists.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..rounds {
        for (target, list) in targets.iter().zip(&lists) {
            let Some(m) = list.get(round) else { continue };
            if !sender.has_room() {
                run.notes.push(format!(
                    "stopped at {WRITE_BUDGET} writes as {}",
                    sender.identity.id
                ));
                return;
            }
            // The guard every update passes: only the scanner's own objects change.
            if !target.create && !ctx.owned.owns(&target.url) {
                continue;
            }
            let req = Request::new(&target.method, target.url.clone())
                .raw_body(m.content_type, m.body.clone())
                .header("Accept", "application/json");
            let resp = match sender.send(req).await {
                Ok(r) => r,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            run.checks += 1;
            if target.create && resp.is_success() {
                let body = serde_json::from_str(&m.body).unwrap_or(Value::Null);
                let adopted = ctx.owned.adopt(
                    &ctx.http,
                    sender.identity,
                    &target.url,
                    &resp,
                    body,
                    &target.marker,
                );
                if adopted.is_none() {
                    run.notes.push(format!(
                        "{} {} accepted {} but its new object could not be located for cleanup",
                        target.method,
                        target.url.path(),
                        m.label
                    ));
                }
            }
            if resp.status >= 500 {
                run.findings.push(server_error(ctx, target, m, &resp));
            }
        }
    }
}

fn server_error(ctx: &Context, target: &Target, m: &Mutation, resp: &Response) -> Finding {
    let location = Location {
        method: target.method.clone(),
        url: ctx.http.redactor().url(&target.url),
    };
    let kind = m.kind.split(':').next().unwrap_or(&m.kind);
    Finding::builder(Item::InputValidation, "input.server-error")
        .rated(Severity::Medium, Confidence::Firm)
        .title("Invalid request body crashes the endpoint (5xx)")
        .detail(format!(
            "{} {} with {} answered {} instead of a 4xx: the body reaches code that does not \
             validate it, which is where injection and crashes live.",
            target.method, location.url, m.label, resp.status
        ))
        .at(location)
        .discriminator(kind)
        .build()
        .with_evidence(ctx.http.evidence(&m.label, resp, None))
        .with_remediation(
            "Validate every request body against a schema before use (content type, JSON syntax, \
         types, required fields, lengths, ranges; reject unknown fields) and answer 400/422 with \
         a message that names the field.",
        )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn mutations_cover_every_kind_and_stay_bounded() {
        let t = json!({"name": "prodready-canary-1", "amount_cents": 100, "paid": false});
        let list = mutations(t.as_object().unwrap());
        let kinds: Vec<&str> = list.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds[0], "malformed-json");
        assert_eq!(kinds[1], "wrong-type:name");
        for k in [
            "null:name",
            "missing-fields",
            "oversized:name",
            "huge-number:amount_cents",
            "unknown-field",
            "wrong-content-type",
            "not-an-object",
        ] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
        assert!(serde_json::from_str::<Value>(&list[0].body).is_err());
        let huge = list.iter().find(|m| m.kind.starts_with("huge")).unwrap();
        assert!(
            huge.body
                .contains("10000000000000000000000000000000000000000")
        );
        let wrong: Value = serde_json::from_str(&list[1].body).unwrap();
        assert!(wrong["name"].is_number());
        assert!(list.len() <= 12);
        assert!(list.iter().all(|m| m.body.len() < 64 * 1024));
    }
}
