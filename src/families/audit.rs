//! Item 10: sensitive actions leave audit records with who, what, when and from where.
//! The probe performs a failed login (for an account that does not exist), creates and
//! deletes its own object, then reads the declared feed within a bounded wait.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::auth::Identity;
use crate::config::{AuditFeed, Login};
use crate::engine::Context;
use crate::engine::canaries::{self, new_marker};
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::RunState;
use crate::model::{Confidence, Finding, Location, Severity};

/// The first pause between polls of the feed; each pause doubles, up to `audit.wait_secs`.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// Field names per part of a record, as the common logging conventions spell them.
const ACTOR: &[&str] = &[
    "actor",
    "user",
    "user_id",
    "userid",
    "by",
    "principal",
    "email",
    "who",
    "subject",
    "username",
    "actor_id",
];
const TIME: &[&str] = &[
    "at",
    "time",
    "timestamp",
    "ts",
    "created_at",
    "occurred_at",
    "date",
    "when",
    "logged_at",
];
const SOURCE: &[&str] = &[
    "ip",
    "source",
    "ip_address",
    "remote_addr",
    "source_ip",
    "client_ip",
    "origin",
    "remote_ip",
    "address",
];

/// What the `audit` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "audit",
    items: &[Item::AuditLogging],
    ids: &["audit.incomplete-record", "audit.missing-record"],
    runs_last: false,
};

/// The `audit` family.
pub struct AuditFamily;

impl Family for AuditFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { run(ctx).await.map(|r| vec![r]) })
    }
}

/// One action the probe performed and how to recognise its record.
struct Expected {
    what: String,
    /// A value the record must contain (as a whole token).
    token: String,
    /// Words one of the record's values must contain (any).
    verbs: &'static [&'static str],
    evidence: Option<Response>,
}

/// What polling the feed saw: per expected action its record, if one showed up.
struct Sightings {
    found: Vec<Option<Value>>,
    /// The feed's last answer, shown as evidence when a record is missing.
    last: Option<Response>,
    polls: u32,
}

async fn run(ctx: &Context) -> Result<ProbeRun, String> {
    let Some(feed) = &ctx.config.audit else {
        return Ok(ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::AuditLogging,
            "no audit feed is declared",
            Some("audit.feed"),
        ));
    };
    let reader = ctx
        .identities
        .get(feed.identity)
        .ok_or_else(|| format!("identity {} is not logged in", feed.identity))?;
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::AuditLogging);
    let mut expected: Vec<Expected> = Vec::new();
    match fail_login(ctx, reader).await? {
        Some(action) => {
            run.checks += 1;
            expected.push(action);
        }
        None => run.notes.push(
            "no JSON login of the feed's tenant is configured, so no failed login was performed"
                .into(),
        ),
    }
    for action in create_and_delete(ctx, reader).await {
        run.checks += 1;
        expected.push(action);
    }
    if expected.is_empty() {
        return Ok(ProbeRun {
            state: RunState::Inconclusive {
                reason:
                    "no sensitive action could be performed (no JSON login, no creatable object)"
                        .into(),
            },
            ..run
        });
    }
    let seen = poll_feed(ctx, feed, reader, &expected).await?;
    run.checks += seen.polls;
    run.findings.extend(judge(ctx, feed, &expected, &seen));
    run.notes.push(format!(
        "{} sensitive actions performed, {} found in the feed",
        expected.len(),
        seen.found.iter().filter(|f| f.is_some()).count()
    ));
    Ok(run)
}

/// One failed login (a wrong password) for a test account of the feed's tenant: the
/// record then belongs to that tenant, and one attempt locks nobody out. `None` when no
/// JSON login of that tenant is configured.
async fn fail_login(ctx: &Context, reader: &Identity) -> Result<Option<Expected>, String> {
    let tenant = reader.tenant();
    let json_login = ctx
        .config
        .identities
        .iter()
        .filter(|i| i.id == reader.id || (tenant.is_some() && i.tenant == tenant))
        .find_map(|i| match &i.login {
            Login::Json {
                url,
                username,
                username_field,
                password_field,
                ..
            } => Some((
                url.clone(),
                username.clone(),
                username_field.clone(),
                password_field.clone(),
            )),
            _ => None,
        });
    let Some((url, username, user_field, pass_field)) = json_login else {
        return Ok(None);
    };
    let wrong = format!("prodready-wrong-{:08x}", rand::random::<u32>());
    let body = serde_json::json!({ user_field: username, pass_field: wrong });
    let resp = ctx
        .identities
        .anonymous()
        .send(&ctx.http, Request::new("POST", url).json(&body))
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(Expected {
        what: "a failed login".into(),
        token: username,
        verbs: &[
            "fail",
            "denied",
            "invalid",
            "reject",
            "wrong",
            "unsuccessful",
            "error",
        ],
        evidence: Some(resp),
    }))
}

/// Creates and deletes the scanner's own object as the feed's identity (same tenant);
/// the actions that succeeded, in order. A failure here only means fewer actions.
async fn create_and_delete(ctx: &Context, reader: &Identity) -> Vec<Expected> {
    let mut actions = Vec::new();
    let Some(source) = canaries::canary_sources(&ctx.inventory, &ctx.config.canaries, 1)
        .into_iter()
        .next()
    else {
        return actions;
    };
    let marker = new_marker();
    let Some(body) = source.body_for(&marker) else {
        return actions;
    };
    let Ok(object) = ctx
        .owned
        .create(&ctx.http, reader, &source, body, &marker)
        .await
    else {
        return actions;
    };
    actions.push(Expected {
        what: format!("creating {}", object.url.path()),
        token: object.id.clone(),
        verbs: &["creat", "add", "new", "insert", "post"],
        evidence: None,
    });
    if let Ok(resp) = reader.send(&ctx.http, object.delete_request()).await
        && resp.is_success()
    {
        ctx.owned.mark_gone(&object.url);
        actions.push(Expected {
            what: format!("deleting {}", object.url.path()),
            token: object.id.clone(),
            verbs: &["delet", "remov", "destroy", "trash"],
            evidence: Some(resp),
        });
    }
    actions
}

/// Polls the feed until every action shows up or the wait is over.
async fn poll_feed(
    ctx: &Context,
    feed: &AuditFeed,
    reader: &Identity,
    expected: &[Expected],
) -> Result<Sightings, String> {
    let mut seen = Sightings {
        found: vec![None; expected.len()],
        last: None,
        polls: 0,
    };
    let deadline = tokio::time::Instant::now() + feed.wait;
    let mut pause = FIRST_PAUSE;
    for attempt in 0.. {
        if attempt > 0 {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                break;
            }
            // The last pause ends at the deadline, so the last poll sees the whole wait.
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause *= 2;
        }
        let resp = reader
            .send(
                &ctx.http,
                Request::get(feed.url.clone()).header("Accept", "application/json"),
            )
            .await
            .map_err(|e| e.to_string())?;
        seen.polls += 1;
        let records = feed_records(feed, reader, &resp)?;
        for (slot, exp) in seen.found.iter_mut().zip(expected) {
            if slot.is_none() {
                *slot = records.iter().find(|r| matches(r, exp)).cloned();
            }
        }
        seen.last = Some(resp);
        if seen.found.iter().all(Option::is_some) {
            break;
        }
    }
    Ok(seen)
}

/// The records of one answer of the feed: at `audit.records` when declared, else the
/// first array found.
fn feed_records(
    feed: &AuditFeed,
    reader: &Identity,
    resp: &Response,
) -> Result<Vec<Value>, String> {
    if !resp.is_success() {
        return Err(format!(
            "the audit feed {} answered {} to {}",
            feed.url.path(),
            resp.status,
            reader.id
        ));
    }
    let json = resp
        .json()
        .ok_or_else(|| format!("the audit feed {} is not JSON", feed.url.path()))?;
    match &feed.records {
        Some(p) => json
            .pointer(p)
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| format!("no array at {p} in the feed (audit.records)")),
        None => Ok(first_array(&json).unwrap_or_default()),
    }
}

/// A finding per action without a record, or whose record lacks a part.
fn judge(ctx: &Context, feed: &AuditFeed, expected: &[Expected], seen: &Sightings) -> Vec<Finding> {
    let location = Location {
        method: "GET".into(),
        url: ctx.http.redactor().url(&feed.url),
    };
    expected
        .iter()
        .zip(&seen.found)
        .filter_map(|(exp, record)| match record {
            None => Some(missing_record(
                ctx,
                feed,
                &location,
                exp,
                seen.last.as_ref(),
            )),
            Some(rec) => incomplete_record(ctx, &location, exp, rec),
        })
        .collect()
}

/// A finding for an action the feed never showed, with the action's answer and the feed.
fn missing_record(
    ctx: &Context,
    feed: &AuditFeed,
    location: &Location,
    exp: &Expected,
    last_feed: Option<&Response>,
) -> Finding {
    let mut f = Finding::builder(Item::AuditLogging, "audit.missing-record")
        .rated(Severity::Medium, Confidence::Firm)
        .title(format!("No audit record for {}", exp.what))
        .detail(format!(
            "After {}, the audit feed showed no matching record within {:.1}s.",
            exp.what,
            feed.wait.as_secs_f64()
        ))
        .at(location.clone())
        .discriminator(&exp.what)
        .remediation(concat!(
            "Record every sensitive action (logins, failed logins, creates, deletes, ",
            "role changes) with actor, action, time and source address."
        ))
        .build();
    if let Some(ev) = &exp.evidence {
        f = f.with_evidence(
            ctx.http
                .evidence(&format!("the action: {}", exp.what), ev, None),
        );
    }
    if let Some(feed_resp) = last_feed {
        f = f.with_evidence(
            ctx.http
                .evidence("the audit feed afterwards", feed_resp, None),
        );
    }
    f
}

/// A finding when the action's record lacks the actor, the time or the source address.
fn incomplete_record(
    ctx: &Context,
    location: &Location,
    exp: &Expected,
    rec: &Value,
) -> Option<Finding> {
    let missing: Vec<&str> = [("actor", ACTOR), ("time", TIME), ("source address", SOURCE)]
        .into_iter()
        .filter(|(_, names)| !has_field(rec, names))
        .map(|(part, _)| part)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let record = ctx.http.redactor().text(&rec.to_string());
    Some(
        Finding::builder(Item::AuditLogging, "audit.incomplete-record")
            .rated(Severity::Low, Confidence::Firm)
            .title(format!(
                "The audit record of {} lacks {}",
                exp.what,
                missing.join(", ")
            ))
            .detail(format!("Record found: {record}"))
            .at(location.clone())
            .discriminator(&exp.what)
            .remediation(concat!(
                "Give every audit record the actor, the action, a timestamp and the source ",
                "address."
            ))
            .build(),
    )
}

fn first_array(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(a) => Some(a.clone()),
        Value::Object(m) => m.values().find_map(|x| x.as_array().cloned()),
        _ => None,
    }
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.to_ascii_lowercase()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// A record matches when one value holds the action's token as a whole token and one
/// value names the action.
fn matches(record: &Value, exp: &Expected) -> bool {
    let mut values = Vec::new();
    strings(record, &mut values);
    let token = exp.token.to_ascii_lowercase();
    let has_token = values.iter().any(|v| {
        v == &token
            || v.split(|c: char| {
                !c.is_ascii_alphanumeric() && c != '-' && c != '@' && c != '.' && c != '_'
            })
            .any(|t| t == token)
    });
    let has_verb = values
        .iter()
        .any(|v| exp.verbs.iter().any(|verb| v.contains(verb)));
    has_token && has_verb
}

fn has_field(record: &Value, names: &[&str]) -> bool {
    record.as_object().is_some_and(|m| {
        m.iter().any(|(k, v)| {
            names.contains(&k.to_ascii_lowercase().as_str())
                && !v.is_null()
                && v.as_str() != Some("")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_match_on_token_and_verb() {
        let exp = Expected {
            what: "x".into(),
            token: "42".into(),
            verbs: &["creat"],
            evidence: None,
        };
        assert!(matches(
            &json!({"action": "project.create", "target": "project:42"}),
            &exp
        ));
        assert!(!matches(
            &json!({"action": "project.create", "target": "project:421"}),
            &exp
        ));
        assert!(!matches(
            &json!({"action": "project.delete", "target": "project:42"}),
            &exp
        ));
        let rec = json!({"actor": "a@x", "at": "2026-01-01T00:00:00Z", "ip": "127.0.0.1"});
        assert!(has_field(&rec, ACTOR) && has_field(&rec, TIME) && has_field(&rec, SOURCE));
        assert!(!has_field(&json!({"actor": ""}), ACTOR));
    }
}
