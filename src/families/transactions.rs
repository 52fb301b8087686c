//! Item 9: multi-step writes are atomic and single-use actions succeed once.
//!
//! Both need declarations (`[transactions.atomic]`, `[transactions.single_use]`): a black
//! box cannot know which writes are multi-step or which actions are single-use. Every
//! record a probe causes is the scanner's own and is removed at the end.

use std::collections::BTreeSet;

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::auth::Identity;
use crate::config::{AtomicWrite, SingleUse};
use crate::discover::listed_items;
use crate::engine::Context;
use crate::engine::canaries::{item_url_of, replace_in_strings};
use crate::engine::object_id;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::RunState;
use crate::model::{Confidence, Finding, Location, Severity};

/// What the `transactions` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "transactions",
    items: &[Item::TransactionIntegrity],
    ids: &["transactions.double-use", "transactions.partial-write"],
    runs_last: false,
};

/// The `transactions` family.
pub struct TransactionsFamily;

impl Family for TransactionsFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await]) })
    }
}

async fn run(ctx: &Context) -> ProbeRun {
    let cfg = &ctx.config;
    if cfg.atomic.is_none() && cfg.single_use.is_none() {
        return ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::TransactionIntegrity,
            "no multi-step write or single-use action is declared",
            Some("transactions.atomic"),
        );
    }
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::TransactionIntegrity);
    let mut undecided = Vec::new();
    if let Some(atomic) = &cfg.atomic {
        if let Err(why) = check_atomic(ctx, atomic, &mut run).await {
            undecided.push(format!("atomic write: {why}"));
        }
    } else {
        run.notes
            .push("no multi-step write declared (transactions.atomic)".into());
    }
    if let Some(single) = &cfg.single_use {
        if let Err(why) = check_single_use(ctx, single, &mut run).await {
            undecided.push(format!("single-use action: {why}"));
        }
    } else {
        run.notes
            .push("no single-use action declared (transactions.single_use)".into());
    }
    if run.findings.is_empty() && !undecided.is_empty() {
        run.state = RunState::Inconclusive {
            reason: undecided.join("; "),
        };
    }
    run
}

fn identity(ctx: &Context, name: IdentityId) -> Result<&std::sync::Arc<Identity>, String> {
    ctx.identities
        .get(name)
        .ok_or_else(|| format!("identity {name} is not logged in"))
}

async fn ids_in(
    ctx: &Context,
    who: &Identity,
    effect: &url::Url,
) -> Result<(BTreeSet<String>, Response), String> {
    let resp = who
        .send(
            &ctx.http,
            Request::get(effect.clone()).header("Accept", "application/json"),
        )
        .await
        .map_err(|e| e.to_string())?;
    let json = resp.json().ok_or_else(|| {
        format!(
            "the effect request {} did not answer JSON (status {})",
            effect.path(),
            resp.status
        )
    })?;
    Ok((listed_record_ids(&json, effect), resp))
}

/// The ids of the records a listing shows, by the conventions canaries use too: an
/// order keyed by `code`, an answer keyed by `<resource>_id`, not only `id`.
fn listed_record_ids(listing: &Value, effect: &url::Url) -> BTreeSet<String> {
    let resource = object_id::resource_of(effect.path());
    listed_items(listing)
        .into_iter()
        .filter_map(|item| object_id::find(item, resource.as_deref()))
        .map(|f| f.value)
        .collect()
}

/// The placeholder in `transactions.atomic` bodies that becomes a fresh marker.
const UNIQUE: &str = "{unique}";

/// `body` with `{unique}` replaced by a fresh marker, and the marker (None when the
/// body has no placeholder).
fn marked(body: &Value) -> (Value, Option<String>) {
    if !body.to_string().contains(UNIQUE) {
        return (body.clone(), None);
    }
    let marker = format!("prodready-{:016x}", rand::random::<u64>());
    (replace_in_strings(body, UNIQUE, &marker), Some(marker))
}

/// Which of `ids` the listing shows carrying `marker`, and which it shows without it
/// (a listing may summarise records; those are looked up one by one).
fn marked_in_listing(
    listing: &Value,
    effect: &url::Url,
    ids: &BTreeSet<String>,
    marker: &str,
) -> (BTreeSet<String>, BTreeSet<String>) {
    fn walk(
        v: &Value,
        resource: Option<&str>,
        ids: &BTreeSet<String>,
        marker: &str,
        out: &mut BTreeSet<String>,
        depth: usize,
    ) {
        if depth > 8 {
            return;
        }
        match v {
            Value::Object(o) => {
                let id = object_id::find(v, resource).map(|f| f.value);
                if let Some(id) = id.filter(|id| ids.contains(id))
                    && v.to_string().contains(marker)
                {
                    out.insert(id);
                }
                o.values()
                    .for_each(|x| walk(x, resource, ids, marker, out, depth + 1));
            }
            Value::Array(a) => a
                .iter()
                .for_each(|x| walk(x, resource, ids, marker, out, depth + 1)),
            _ => {}
        }
    }
    let resource = object_id::resource_of(effect.path());
    let mut marked = BTreeSet::new();
    walk(listing, resource.as_deref(), ids, marker, &mut marked, 0);
    let unseen = ids.difference(&marked).cloned().collect();
    (marked, unseen)
}

/// At most this many new records are fetched one by one to look for a marker.
const MAX_LOOKUPS: usize = 10;

/// The URL of record `id` under the effect list (its trailing slash kept).
fn record_url(effect: &url::Url, id: &str) -> Option<url::Url> {
    Some(item_url_of(effect, id))
}

/// The records among `new` that carry `marker`: in the listing, or else in the record
/// itself. Records without it were made by someone else (another identity's canary, a
/// real user) in the meantime, whatever the listing shows.
async fn carrying(
    ctx: &Context,
    who: &Identity,
    effect: &url::Url,
    listing: &Response,
    new: &BTreeSet<String>,
    marker: &str,
) -> BTreeSet<String> {
    let json = listing.json().unwrap_or(Value::Null);
    let (mut mine, unseen) = marked_in_listing(&json, effect, new, marker);
    for id in unseen.iter().take(MAX_LOOKUPS) {
        let Some(url) = record_url(effect, id) else {
            continue;
        };
        if let Ok(r) = who
            .send(
                &ctx.http,
                Request::get(url).header("Accept", "application/json"),
            )
            .await
            && r.is_success()
            && r.text().contains(marker)
        {
            mine.insert(id.clone());
        }
    }
    mine
}

/// Sends the partially invalid write, looks for records it left (told apart by the
/// marker it carries), then proves with the valid write that the effect request would
/// show a record at all.
async fn check_atomic(
    ctx: &Context,
    atomic: &AtomicWrite,
    run: &mut ProbeRun,
) -> Result<(), String> {
    let who = identity(ctx, atomic.identity)?;
    let send = |body: &Value| {
        Request::new(&atomic.request.method, atomic.request.url.clone())
            .json(body)
            .header("Accept", "application/json")
    };
    // Only records the probe can prove its own are adopted (and removed at cleanup).
    let adopt = |ids: &BTreeSet<String>| {
        for id in ids {
            if let Some(url) = record_url(&atomic.effect, id) {
                ctx.owned
                    .adopt_url(who.id, atomic.effect.path(), url, id, "");
            }
        }
    };
    let (partial_body, partial_marker) = marked(&atomic.partial);
    let (before, _) = ids_in(ctx, who, &atomic.effect).await?;
    let partial = who
        .send(&ctx.http, send(&partial_body))
        .await
        .map_err(|e| e.to_string())?;
    let (after_partial, listing) = ids_in(ctx, who, &atomic.effect).await?;
    run.checks += 2;
    let appeared: BTreeSet<String> = after_partial.difference(&before).cloned().collect();
    let left = match &partial_marker {
        Some(m) => carrying(ctx, who, &atomic.effect, &listing, &appeared, m).await,
        None => BTreeSet::new(),
    };
    adopt(&left);
    if partial.is_success() {
        return Err(format!(
            "the app accepted the partially invalid write ({}); make `transactions.atomic.partial` invalid in a later part",
            partial.status
        ));
    }
    if partial_marker.is_none() && !appeared.is_empty() {
        return Err(format!(
            "{} new record(s) appeared in {} after the failed write, but nothing tells them from records others made meanwhile; put `{UNIQUE}` in a text field of `transactions.atomic.partial`",
            appeared.len(),
            atomic.effect.path()
        ));
    }
    if !left.is_empty() {
        let location = Location {
            method: atomic.request.method.clone(),
            url: ctx.http.redactor().url(&atomic.request.url),
        };
        let ids = left.iter().cloned().collect::<Vec<_>>().join(", ");
        let f = Finding::builder(Item::TransactionIntegrity, "transactions.partial-write")
                .rated(Severity::High, Confidence::Confirmed)
                .title("A failed multi-step write leaves a partial record")
                .detail(format!("The write failed with {} on its invalid later part, yet {} now lists a record carrying the write's own marker ({ids}): the steps before the failure were committed.", partial.status, atomic.effect.path()))
                .at(location)
                .build()
        .with_evidence(ctx.http.evidence("the partially invalid write", &partial, None))
        .with_evidence(ctx.http.evidence("the listing afterwards", &listing, partial_marker.as_deref()))
        .with_remediation("Run every step of the write in one database transaction (or a saga with compensation) so a failure rolls all of it back.");
        run.findings.push(f);
        return Ok(());
    }
    if appeared.len() > left.len() {
        run.notes.push(format!(
            "{} record(s) others made meanwhile in {} were not counted (they lack the write's marker)",
            appeared.len() - left.len(),
            atomic.effect.path()
        ));
    }
    // The control: a valid write must show up, or the check above proved nothing.
    let (valid_body, valid_marker) = marked(&atomic.valid);
    let valid = who
        .send(&ctx.http, send(&valid_body))
        .await
        .map_err(|e| e.to_string())?;
    let (after_valid, valid_listing) = ids_in(ctx, who, &atomic.effect).await?;
    run.checks += 1;
    let appeared: BTreeSet<String> = after_valid.difference(&after_partial).cloned().collect();
    // With a marker in the partial write, the control must show its marker too: that
    // proves a partial record would have been recognised.
    let created = match &valid_marker {
        Some(m) => carrying(ctx, who, &atomic.effect, &valid_listing, &appeared, m).await,
        None if partial_marker.is_some() => BTreeSet::new(),
        None => appeared,
    };
    adopt(&created);
    if !valid.is_success() {
        return Err(format!(
            "the valid write answered {}; fix `transactions.atomic.valid`",
            valid.status
        ));
    }
    if created.is_empty() {
        let why = if partial_marker.is_some() {
            format!(
                "{} did not show the valid write's record with its marker (put `{UNIQUE}` in a text field of `transactions.atomic.valid` that the record keeps), so it cannot show a partial one",
                atomic.effect.path()
            )
        } else {
            format!(
                "{} did not show the valid write's record, so it cannot show a partial one",
                atomic.effect.path()
            )
        };
        return Err(why);
    }
    run.notes.push(format!(
        "a partially invalid write left nothing in {}; the control write showed up",
        atomic.effect.path()
    ));
    Ok(())
}

/// Makes a fresh token (when a setup is declared), then fires identical requests at
/// once; more than one success fails.
async fn check_single_use(
    ctx: &Context,
    single: &SingleUse,
    run: &mut ProbeRun,
) -> Result<(), String> {
    let who = identity(ctx, single.identity)?;
    let mut body = single.body.clone();
    if let Some((setup, setup_body, pointer)) = &single.setup {
        let unique = format!("prodready-{:08x}", rand::random::<u32>());
        let req = Request::new(&setup.method, setup.url.clone())
            .json(&replace_in_strings(setup_body, "{unique}", &unique))
            .header("Accept", "application/json");
        let resp = who.send(&ctx.http, req).await.map_err(|e| e.to_string())?;
        run.checks += 1;
        let token = resp
            .json()
            .and_then(|j| j.pointer(pointer).cloned())
            .and_then(|t| match t {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        let Some(token) = token else {
            return Err(format!(
                "the setup answered {} without a token at {pointer}",
                resp.status
            ));
        };
        body = replace_in_strings(&body, "{token}", &token);
    }
    let request = Request::new(&single.action.method, single.action.url.clone())
        .json(&body)
        .header("Accept", "application/json");
    let attempts = (0..single.attempts).map(|_| who.send(&ctx.http, request.clone()));
    let results = futures_util::future::join_all(attempts).await;
    let responses: Vec<Response> = results.into_iter().filter_map(Result::ok).collect();
    run.checks += responses.len() as u32;
    let wins: Vec<&Response> = responses.iter().filter(|r| r.is_success()).collect();
    let statuses: Vec<String> = responses.iter().map(|r| r.status.to_string()).collect();
    match wins.len() {
        0 => Err(format!(
            "none of {} attempts succeeded (statuses {})",
            responses.len(),
            statuses.join(", ")
        )),
        1 => {
            run.notes.push(format!(
                "{} simultaneous attempts of a single-use action, one succeeded",
                responses.len()
            ));
            Ok(())
        }
        n => {
            let location = Location {
                method: single.action.method.clone(),
                url: ctx.http.redactor().url(&single.action.url),
            };
            let mut f = Finding::builder(Item::TransactionIntegrity, "transactions.double-use")
                    .rated(Severity::High, Confidence::Confirmed)
                    .title("A single-use action succeeded more than once")
                    .detail(format!("{} identical requests sent at once: {n} succeeded (statuses {}). The check and the update are not atomic.", responses.len(), statuses.join(", ")))
                    .at(location)
                    .build()
            .with_remediation("Make the check and the state change one atomic step: a conditional UPDATE (`... WHERE redeemed_at IS NULL`) and check the affected row count, or a unique constraint.");
            for w in wins.iter().take(2) {
                f = f.with_evidence(ctx.http.evidence("an attempt that succeeded", w, None));
            }
            run.findings.push(f);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_get_a_fresh_marker_only_where_they_ask_for_one() {
        let (body, marker) = marked(&json!({"note": "{unique}", "items": [{"sku": "A"}]}));
        let marker = marker.expect("a marker");
        assert_eq!(body["note"], Value::String(marker.clone()));
        assert_ne!(
            marked(&json!({"note": "{unique}"})).1,
            Some(marker),
            "each write has its own marker"
        );
        let plain = json!({"items": [{"sku": "A"}]});
        assert_eq!(marked(&plain), (plain.clone(), None));
    }

    #[test]
    fn records_others_made_meanwhile_are_not_the_probes() {
        // Two records appeared while the failed write ran: another identity's canary
        // and nothing of the probe's own.
        let listing = json!({"data": [
            {"id": 7, "title": "prodready-canary-b created by prodready"},
            {"id": 8, "title": "someone else's", "note": null},
            {"id": 3, "title": "older"},
        ]});
        let new: BTreeSet<String> = ["7".to_string(), "8".to_string()].into();
        let effect = url::Url::parse("http://127.0.0.1:1/api/orders").unwrap();
        let (mine, unseen) =
            marked_in_listing(&listing, &effect, &new, "prodready-00ff00ff00ff00ff");
        assert!(mine.is_empty());
        assert_eq!(unseen, new);

        // The probe's own partial record is recognised by its marker.
        let listing = json!({"orders": [
            {"id": 9, "note": "prodready-00ff00ff00ff00ff", "items": []},
            {"id": 7, "title": "prodready-canary-b created by prodready"},
        ]});
        let new: BTreeSet<String> = ["7".to_string(), "9".to_string()].into();
        let (mine, unseen) =
            marked_in_listing(&listing, &effect, &new, "prodready-00ff00ff00ff00ff");
        assert_eq!(mine, BTreeSet::from(["9".to_string()]));
        assert_eq!(unseen, BTreeSet::from(["7".to_string()]));
    }

    #[test]
    fn records_keyed_by_a_code_are_found_and_told_apart() {
        let effect = url::Url::parse("http://127.0.0.1:1/shop/orders/").unwrap();
        let listing = json!({"orders": [
            {"code": "ORD-0001", "note": "older", "org_id": 1},
            {"code": "ORD-0002", "note": "prodready-00ff00ff00ff00ff", "org_id": 1},
        ]});
        let ids = listed_record_ids(&listing, &effect);
        assert_eq!(
            ids,
            BTreeSet::from(["ORD-0001".to_string(), "ORD-0002".to_string()])
        );
        let (mine, _) = marked_in_listing(&listing, &effect, &ids, "prodready-00ff00ff00ff00ff");
        assert_eq!(mine, BTreeSet::from(["ORD-0002".to_string()]));
        assert_eq!(
            record_url(&effect, "ORD-0002").unwrap().path(),
            "/shop/orders/ORD-0002/"
        );
        let answers = json!([{"experiment_id": "4", "name": "x"}]);
        let rpc = url::Url::parse("http://127.0.0.1:1/api/experiments/search").unwrap();
        assert_eq!(
            listed_record_ids(&answers, &rpc),
            BTreeSet::from(["4".to_string()])
        );
    }
}
