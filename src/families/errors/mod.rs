//! Item 11: requests that make apps fail (unknown routes, unknown methods, malformed
//! ids, quotes and type confusion in parameters, oversized values, malformed bodies,
//! and error-triggering values in the fields of login, form and JSON bodies).
//! The leak itself is judged by the passive signatures on each response; this probe
//! makes sure error paths are exercised, and never changes data: ids it sends do not
//! exist, bodies it sends cannot be parsed, and [`bodies`] says where its valid-looking
//! bodies go.

pub mod bodies;

use std::collections::BTreeSet;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use url::Url;

use crate::discover::Endpoint;
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::Request;
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;

/// Values that break naive id parsing and query building. None can name a real object.
const BAD_IDS: &[&str] = &[
    "'",
    "%22%3E%3C",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "null",
    "%ff%fe",
    "..%2f..%2fetc",
];
/// Bounds: how many endpoints of each kind are probed.
const MAX_ID_ENDPOINTS: usize = 8;
/// Bad ids sent to each id endpoint: the quote, and values that rotate across endpoints
/// (error handling is mostly app-wide: every value is tried somewhere).
const IDS_PER_ENDPOINT: usize = 3;
/// Query parameters probed per endpoint, and bad values per parameter (rotating too).
const QUERY_PARAMS_PER_ENDPOINT: usize = 2;
const VALUES_PER_PARAM: usize = 2;
const MAX_QUERY_ENDPOINTS: usize = 6;
const MAX_BODY_ENDPOINTS: usize = 6;
const OVERSIZED: usize = 8 * 1024;

/// What the `errors` family is. Its probe ids are the catalog's `errors.*`
/// signatures, which judge every response this family provokes (and every other), and
/// the body-field leak, which names the field and value that provoked one.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "errors",
    items: &[Item::ErrorHandling],
    ids: &[bodies::BODY_FIELD_ID],
    runs_last: false,
};

/// The `errors` family.
pub struct ErrorsFamily;

impl Family for ErrorsFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await?]) })
    }
}

/// Picks who sends a request to an endpoint: the first identity that reached it with a
/// non-error status, else the first authenticated identity, else anonymous.
fn sender<'a>(ctx: &'a Context, ep: &Endpoint) -> &'a std::sync::Arc<crate::auth::Identity> {
    ep.observations
        .iter()
        .find(|o| o.status < 400)
        .and_then(|o| ctx.identities.get(o.identity))
        .or_else(|| ctx.identities.authenticated().next())
        .unwrap_or_else(|| ctx.identities.anonymous())
}

/// Replaces the last `{id}` of a pattern with `value`.
fn with_id(base: &Url, pattern: &str, value: &str) -> Option<Url> {
    let i = pattern.rfind("{id}")?;
    // Other ids stay as some concrete value so the route still matches.
    let path = format!("{}{}{}", &pattern[..i], value, &pattern[i + 4..]).replace("{id}", "1");
    let mut u = base.clone();
    u.set_path(&path);
    // `set_path` percent-encodes quotes; keep the raw bytes the probe means to send.
    Url::parse(&u.as_str().replace("%27", "'")).ok()
}

/// A request to send, and who sends it.
type Planned = (IdentityId, Request);

fn plan(ctx: &Context) -> Vec<Planned> {
    let endpoints: Vec<&Endpoint> = ctx.inventory.endpoints().collect();
    let mut out = unknown_routes(ctx);
    out.extend(unknown_methods(ctx, &endpoints));
    out.extend(bad_ids(ctx, &endpoints));
    out.extend(bad_query_values(ctx, &endpoints));
    out.extend(malformed_bodies(ctx, &endpoints));
    out
}

/// Routes that cannot exist (a random token, as a page, an API path, a script and a
/// traversal), anonymously as HTML and as an identity as JSON, and an unknown method on
/// the origin.
fn unknown_routes(ctx: &Context) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    let token = format!("prodready-{:08x}", rand::random::<u32>());
    let mut origins: BTreeSet<String> = BTreeSet::new();
    origins.insert(ctx.config.target.origin().ascii_serialization());
    for o in &origins {
        if let Ok(base) = Url::parse(o) {
            for path in [
                format!("/{token}"),
                format!("/api/{token}"),
                format!("/{token}.php"),
                format!("/{token}/%2e%2e/%00"),
            ] {
                if let Ok(u) = base.join(&path) {
                    out.push((
                        IdentityId::Anonymous,
                        Request::get(u.clone()).header("Accept", "text/html"),
                    ));
                    if let Some(id) = ctx.identities.authenticated().next() {
                        out.push((id.id, Request::get(u).header("Accept", "application/json")));
                    }
                }
            }
            out.push((
                IdentityId::Anonymous,
                Request::new("PRODREADY", base.clone()),
            ));
        }
    }
    out
}

/// An unknown method on known routes exercises method-not-allowed handling safely.
fn unknown_methods(ctx: &Context, endpoints: &[&Endpoint]) -> Vec<Planned> {
    endpoints
        .iter()
        .filter(|e| e.method == "GET" && !e.has_path_id())
        .take(3)
        .filter_map(|ep| {
            let u = ep.examples.first()?;
            Some((sender(ctx, ep).id, Request::new("PRODREADY", u.clone())))
        })
        .collect()
}

/// Ids no object can have, in the path of GET routes with an id.
fn bad_ids(ctx: &Context, endpoints: &[&Endpoint]) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    let mut turn = 0;
    for ep in endpoints
        .iter()
        .filter(|e| e.method == "GET" && e.has_path_id())
        .take(MAX_ID_ENDPOINTS)
    {
        let who = sender(ctx, ep).id;
        // The quote always: SQL is built per route, so each id route gets it.
        let picks = std::iter::once(&BAD_IDS[0]).chain(rotation(
            &BAD_IDS[1..],
            &mut turn,
            IDS_PER_ENDPOINT - 1,
        ));
        for bad in picks {
            if let Some(u) = with_id(&ctx.config.target, &ep.pattern, bad) {
                out.push((who, Request::get(u).header("Accept", "application/json")));
            }
        }
    }
    out
}

/// Quotes, an oversized value and type confusion (`name[]`, `name[$ne]`) in the query
/// parameters of GET routes.
fn bad_query_values(ctx: &Context, endpoints: &[&Endpoint]) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    let with_query = endpoints
        .iter()
        .filter(|e| e.method == "GET" && e.params.iter().any(|p| p.location == "query"));
    let long = "A".repeat(OVERSIZED);
    let query_values = [
        ("", "'\""),
        ("", long.as_str()),
        ("[]", "1"),
        ("[$ne]", "1"),
    ];
    let mut turn = 0;
    for ep in with_query.take(MAX_QUERY_ENDPOINTS) {
        let Some(example) = ep.examples.first() else {
            continue;
        };
        let who = sender(ctx, ep).id;
        let names: Vec<&str> = ep
            .params
            .iter()
            .filter(|p| p.location == "query")
            .map(|p| p.name.as_str())
            .take(QUERY_PARAMS_PER_ENDPOINT)
            .collect();
        for name in names {
            // The quotes always (SQL is built per route), the other values in turn.
            let picks = std::iter::once(&query_values[0]).chain(rotation(
                &query_values[1..],
                &mut turn,
                VALUES_PER_PARAM - 1,
            ));
            for &(suffix, value) in picks {
                let u = crate::families::with_query_param(
                    example,
                    name,
                    &format!("{name}{suffix}"),
                    value,
                );
                out.push((who, Request::get(u).header("Accept", "application/json")));
            }
        }
    }
    out
}

/// Malformed JSON to create endpoints (collections): a body no parser accepts cannot
/// create anything.
fn malformed_bodies(ctx: &Context, endpoints: &[&Endpoint]) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    // Never a logout or other session-ending route: a junk body there still ends the
    // sender's session (the handler need not read the body).
    let logouts: Vec<&str> = ctx
        .config
        .identities
        .iter()
        .filter_map(|i| i.logout.as_ref().map(|l| l.url.path()))
        .collect();
    let writers = endpoints.iter().filter(|e| {
        e.method == "POST"
            && !e.has_path_id()
            && (e.body_example.is_some() || e.pattern.contains("api"))
            && !crate::discover::is_unsafe_path(&e.pattern)
            && !logouts.contains(&e.pattern.as_str())
    });
    for ep in writers.take(MAX_BODY_ENDPOINTS) {
        let Some(u) = ep
            .examples
            .first()
            .cloned()
            .or_else(|| ctx.config.target.join(&ep.pattern).ok())
        else {
            continue;
        };
        let who = sender(ctx, ep).id;
        let broken = Request::new("POST", u.clone())
            .raw_body("application/json", r#"{"name": "prodready", "#.to_string());
        let wrong_type =
            Request::new("POST", u).raw_body("application/json", "[[[[\"prodready\"".to_string());
        out.push((who, broken.header("Accept", "application/json")));
        out.push((who, wrong_type.header("Accept", "application/json")));
    }
    out
}

/// The next `n` values of `all`, starting where the last call stopped.
fn rotation<'a, T>(all: &'a [T], turn: &mut usize, n: usize) -> impl Iterator<Item = &'a T> {
    let start = *turn;
    *turn += n;
    all.iter()
        .cycle()
        .skip(start % all.len().max(1))
        .take(n.min(all.len()))
}

/// Sends the planned requests without following redirects, then follows each distinct
/// redirect once per sender: many bad values of many routes send a visitor to one
/// sign-in or error page, which one request shows as well as twenty.
async fn send_all(ctx: &Context, planned: Vec<Planned>) -> Vec<Result<u16, String>> {
    let parallel = ctx.http.settings().concurrency.max(1);
    let send = |(who, req): Planned| async move {
        let identity = ctx
            .identities
            .get(who)
            .unwrap_or_else(|| ctx.identities.anonymous());
        let resp = identity.send(&ctx.http, req).await;
        (who, resp)
    };
    let first: Vec<_> = futures_util::stream::iter(
        planned
            .into_iter()
            .map(|(who, req)| (who, req.no_redirects())),
    )
    .map(send)
    .buffer_unordered(parallel)
    .collect()
    .await;
    let mut targets: BTreeSet<(IdentityId, Url)> = BTreeSet::new();
    for (who, resp) in &first {
        if let Ok(r) = resp
            && r.is_redirect()
            && r.blocked_redirect.is_none()
            && let Some(next) = r.header("location").and_then(|l| r.url.join(l).ok())
            && !crate::discover::is_unsafe_path(next.path())
        {
            targets.insert((*who, next));
        }
    }
    let followed: Vec<_> = futures_util::stream::iter(targets)
        .map(|(who, url)| send((who, Request::get(url).header("Accept", "text/html"))))
        .buffer_unordered(parallel)
        .collect()
        .await;
    first
        .into_iter()
        .chain(followed)
        .map(|(_, r)| r.map(|r| r.status).map_err(|e| e.to_string()))
        .collect()
}

async fn run(ctx: &Context) -> Result<ProbeRun, String> {
    let planned = plan(ctx);
    let (results, body) = futures_util::join!(send_all(ctx, planned), bodies::probe(ctx));
    let failed: Vec<&String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .chain(&body.errors)
        .collect();
    let first_answered = results.iter().filter(|r| r.is_ok()).count();
    let answered = first_answered + body.answered as usize;
    if answered == 0 && !failed.is_empty() {
        return Err(format!(
            "all {} error-triggering requests failed, e.g. {}",
            failed.len(),
            failed[0]
        ));
    }
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::ErrorHandling);
    run.checks = answered as u32;
    let server_errors = results
        .iter()
        .filter(|r| matches!(r, Ok(s) if *s >= 500))
        .count();
    run.notes.push(format!(
        "{first_answered} error-triggering requests sent, {server_errors} answered 5xx"
    ));
    run.notes.extend(body.notes);
    run.findings.extend(body.findings);
    if !failed.is_empty() {
        run.notes
            .push(format!("{} requests got no response", failed.len()));
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_replaced_in_the_last_slot() {
        let base = Url::parse("http://127.0.0.1:1/").unwrap();
        let u = with_id(&base, "/api/orgs/{id}/items/{id}", "'").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:1/api/orgs/1/items/'");
        assert!(with_id(&base, "/api/items", "1").is_none());
    }

    #[test]
    fn rotation_spreads_every_value_across_calls() {
        let mut turn = 0;
        let picked: Vec<Vec<&str>> = (0..3)
            .map(|_| {
                rotation(BAD_IDS, &mut turn, IDS_PER_ENDPOINT)
                    .copied()
                    .collect()
            })
            .collect();
        assert_eq!(picked[0], ["'", "%22%3E%3C", "-1"]);
        assert_eq!(picked[2][2], BAD_IDS[0], "wraps around");
        let seen: BTreeSet<&str> = picked.into_iter().flatten().collect();
        assert_eq!(seen.len(), BAD_IDS.len(), "every value is tried somewhere");
    }
}
