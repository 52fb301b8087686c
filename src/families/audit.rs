//! Item 10: sensitive actions leave audit records with who, what, when and from where.
//! The probe performs a failed login (for an account that does not exist), creates and
//! deletes its own object, then reads the declared feed within a bounded wait.
//!
//! The feed may be JSON (records are objects) or an HTML or text activity log (records
//! are table rows, list items or lines). A feed that cannot be read makes the item
//! `inconclusive` with the reason, never a probe error.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::auth::Identity;
use crate::auth::flow::Prepared;
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
    /// The scanner's marker of the object acted on: a record showing it (an activity log
    /// names objects, not ids) counts like one showing the token.
    marker: Option<String>,
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
    /// The feed is an HTML or text log: its records are strings.
    text: bool,
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
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::AuditLogging);
    // Whatever keeps the feed from being read leaves the item undecided, with the reason.
    if let Err(reason) = check_feed(ctx, feed, &mut run).await {
        run.state = RunState::Inconclusive { reason };
    }
    Ok(run)
}

/// Performs the sensitive actions and looks for their records in the feed.
async fn check_feed(ctx: &Context, feed: &AuditFeed, run: &mut ProbeRun) -> Result<(), String> {
    let reader = ctx.identities.get(feed.identity).ok_or_else(|| {
        format!(
            "identity {} (audit.identity) is not logged in, so the feed was not read",
            feed.identity
        )
    })?;
    let mut expected: Vec<Expected> = Vec::new();
    match fail_login(ctx, reader).await? {
        Some(action) => {
            run.checks += 1;
            expected.push(action);
        }
        None => run.notes.push(
            "no JSON or HTTP Basic login of the feed's tenant is configured, so no failed login was performed"
                .into(),
        ),
    }
    for action in create_and_delete(ctx, reader).await {
        run.checks += 1;
        expected.push(action);
    }
    if expected.is_empty() {
        return Err(
            "no sensitive action could be performed (no JSON login, no creatable object)".into(),
        );
    }
    let seen = poll_feed(ctx, feed, reader, &expected).await?;
    run.checks += seen.polls;
    run.findings.extend(judge(ctx, feed, &expected, &seen));
    run.notes.push(format!(
        "{} sensitive actions performed, {} found in the {} feed",
        expected.len(),
        seen.found.iter().filter(|f| f.is_some()).count(),
        if seen.text { "text" } else { "JSON" }
    ));
    Ok(())
}

/// One failed login (a wrong password) for a test account of the feed's tenant: the
/// record then belongs to that tenant, and one attempt locks nobody out. `None` when no
/// JSON or HTTP Basic login of that tenant is configured.
async fn fail_login(ctx: &Context, reader: &Identity) -> Result<Option<Expected>, String> {
    let tenant = reader.tenant();
    let login = ctx
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
                Prepared::Json {
                    url: url.clone(),
                    base: serde_json::Map::new(),
                    username_field: username_field.clone(),
                    password_field: password_field.clone(),
                },
                username.clone(),
            )),
            Login::Basic {
                method,
                url,
                username,
                ..
            } => Some((
                Prepared::Basic {
                    method: method.clone(),
                    url: url.clone(),
                },
                username.clone(),
            )),
            _ => None,
        });
    let Some((prepared, username)) = login else {
        return Ok(None);
    };
    let wrong = format!("prodready-wrong-{:08x}", rand::random::<u32>());
    let resp = ctx
        .identities
        .anonymous()
        .send(&ctx.http, prepared.request(&username, &wrong))
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(Expected {
        what: "a failed login".into(),
        token: username,
        marker: None,
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
        marker: Some(object.marker.clone()),
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
            marker: Some(object.marker.clone()),
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
        text: false,
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
                Request::get(feed.url.clone()).header(
                    "Accept",
                    "application/json, text/html;q=0.9, text/plain;q=0.8",
                ),
            )
            .await
            .map_err(|e| format!("the audit feed could not be read: {e}"))?;
        seen.polls += 1;
        let (records, text) = feed_records(feed, reader, &resp)?;
        seen.text = text;
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

/// The records of one answer of the feed, and whether they are text: JSON records at
/// `audit.records` when declared, else the first array; an HTML or text log's rows.
fn feed_records(
    feed: &AuditFeed,
    reader: &Identity,
    resp: &Response,
) -> Result<(Vec<Value>, bool), String> {
    if !resp.is_success() {
        return Err(format!(
            "the audit feed {} answered {} to {} (check audit.feed and audit.identity)",
            feed.url.path(),
            resp.status,
            reader.id
        ));
    }
    let Some(json) = resp.json() else {
        let rows = text_records(resp);
        if rows.is_empty() {
            return Err(format!(
                "the audit feed {} is neither JSON nor a page with rows of text ({})",
                feed.url.path(),
                resp.media_type()
                    .unwrap_or_else(|| "no content type".into())
            ));
        }
        return Ok((rows, true));
    };
    match &feed.records {
        Some(p) => json
            .pointer(p)
            .and_then(Value::as_array)
            .cloned()
            .map(|r| (r, false))
            .ok_or_else(|| format!("no array at {p} in the feed (audit.records)")),
        None => Ok((first_array(&json).unwrap_or_default(), false)),
    }
}

/// HTML bytes read as an activity log at most (a DOM costs tens of times its source).
const MAX_LOG_HTML: usize = 512 * 1024;
/// Rows of a text log kept at most.
const MAX_LOG_ROWS: usize = 2000;

/// The rows of an HTML or text activity log, each as one string: an HTML page's table
/// rows and list items (its text lines when it has neither), a text body's lines.
fn text_records(resp: &Response) -> Vec<Value> {
    let text = resp.text();
    let rows: Vec<String> = if resp.is_html() || text.trim_start().starts_with('<') {
        let mut end = text.len().min(MAX_LOG_HTML);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let doc = scraper::Html::parse_document(&text[..end]);
        let rows: Vec<String> = doc
            .select(&crate::html::selector("tr, li"))
            .take(MAX_LOG_ROWS)
            .map(|el| el.text().collect::<Vec<_>>().join(" "))
            .collect();
        if rows.is_empty() {
            doc.root_element()
                .text()
                .flat_map(str::lines)
                .map(str::to_string)
                .take(MAX_LOG_ROWS)
                .collect()
        } else {
            rows
        }
    } else {
        text.lines()
            .take(MAX_LOG_ROWS)
            .map(str::to_string)
            .collect()
    };
    rows.into_iter()
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|r| !r.is_empty())
        .map(Value::String)
        .collect()
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
    let missing: Vec<&str> = match rec.as_str() {
        // A log line has no field names: its time and address are judged by their shape;
        // the actor is often a display name the scanner cannot know, so it is not judged.
        Some(line) => [
            ("time", TIME_TEXT.is_match(line)),
            ("source address", IP_TEXT.is_match(line)),
        ]
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(part, _)| part)
        .collect(),
        None => [("actor", ACTOR), ("time", TIME), ("source address", SOURCE)]
            .into_iter()
            .filter(|(_, names)| !has_field(rec, names))
            .map(|(part, _)| part)
            .collect(),
    };
    if missing.is_empty() {
        return None;
    }
    let record = ctx
        .http
        .redactor()
        .text(&rec.as_str().map_or_else(|| rec.to_string(), str::to_string));
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

/// A date or a time of day, as logs print them (`2026-12-01`, `01/12/2026`, `10:00`).
static TIME_TEXT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}:\d{2})")
        .expect("valid time regex")
});
/// An IPv4 or IPv6 address.
static IP_TEXT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b(\d{1,3}(\.\d{1,3}){3}\b|[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7})")
        .expect("valid address regex")
});

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
    let has_marker = exp
        .marker
        .as_deref()
        .is_some_and(|m| values.iter().any(|v| v.contains(m)));
    let has_verb = values
        .iter()
        .any(|v| exp.verbs.iter().any(|verb| v.contains(verb)));
    (has_token || has_marker) && has_verb
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
            marker: Some("prodready-canary-1".into()),
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
        // A log line naming the object by its marker.
        assert!(matches(
            &json!("alice created experiment prodready-canary-1"),
            &exp
        ));
        assert!(!matches(&json!("alice created experiment other"), &exp));
    }

    fn html(body: &str, content_type: &str) -> Response {
        Response::synthetic(
            url::Url::parse("http://127.0.0.1:1/activity").unwrap(),
            200,
            vec![("content-type".into(), content_type.into())],
            body.to_string(),
        )
    }

    #[test]
    fn html_and_text_logs_become_rows() {
        let page = html(
            "<html><body><table><tr><th>When</th><th>What</th></tr>\n<tr><td>2026-12-01 10:00</td>\n<td>alice created <b>x</b></td></tr></table></body></html>",
            "text/html",
        );
        let rows = text_records(&page);
        assert_eq!(rows[1], json!("2026-12-01 10:00 alice created x"));
        let lines = html("a 1\n\nb 2\n", "text/plain");
        assert_eq!(text_records(&lines), [json!("a 1"), json!("b 2")]);
        assert!(TIME_TEXT.is_match("2026-12-01 10:00 x"));
        assert!(IP_TEXT.is_match("from 127.0.0.1"));
        assert!(!IP_TEXT.is_match("created experiment 42"));
    }
}
