//! Item 3: roles are enforced on the server. Requests only the admin should make are
//! replayed as the member of the same tenant: reads must be refused (a 2xx with the
//! admin's content fails), and admin writes are replayed only as no-ops on the member's
//! own account (its own current values), so nothing changes even when they succeed.

use std::collections::BTreeSet;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use url::Url;

use crate::auth::Identity;
use crate::discover::Endpoint;
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::families::similarity::similarity;
use crate::http::Request;
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::RunState;
use crate::model::{Confidence, Finding, Location, Severity};

/// Path segments that name administration areas in most frameworks.
const ADMIN_WORDS: &[&str] = &[
    "admin",
    "admins",
    "administration",
    "manage",
    "management",
    "staff",
    "superuser",
    "backoffice",
    "internal",
    "console",
    "roles",
    "permissions",
];
const MAX_READS: usize = 20;
const MAX_WRITES: usize = 6;

/// What the `roles` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "roles",
    items: &[Item::Authorization],
    ids: &["roles.member-admin-write", "roles.member-reads-admin"],
    runs_last: false,
};

/// The `roles` family.
pub struct RolesFamily;

impl Family for RolesFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await]) })
    }
}

fn admin_looking(pattern: &str) -> bool {
    pattern
        .split('/')
        .any(|seg| ADMIN_WORDS.contains(&seg.to_ascii_lowercase().as_str()))
}

fn status_of(ep: &Endpoint, identity: IdentityId) -> Option<u16> {
    ep.observations
        .iter()
        .find(|o| o.identity == identity)
        .map(|o| o.status)
}

/// What replaying one admin request as the member showed.
enum Replay {
    /// The member was refused: the role is enforced there.
    Refused,
    /// The member got what only the admin should.
    Granted(Finding),
    /// Neither; why, as the run's reason when nothing else decides.
    Undecided(String),
}

async fn run(ctx: &Context) -> ProbeRun {
    let (Some(admin), Some(member)) = (
        ctx.identities.get(IdentityId::Admin),
        ctx.identities.get(IdentityId::Member),
    ) else {
        let missing = if ctx.identities.get(IdentityId::Admin).is_none() {
            "identities.admin"
        } else {
            "identities.member"
        };
        return ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::Authorization,
            "role checks need an admin and a member of one tenant",
            Some(missing),
        );
    };
    let hidden = hidden_links(ctx);
    let mut replays = Vec::new();
    for url in admin_reads(ctx, &hidden) {
        let linked_only_for_admin = is_hidden(&hidden, &url);
        replays.extend(replay_read(ctx, admin, member, url, linked_only_for_admin).await);
    }
    // Admin writes, replayed as no-ops on the member's own account.
    if let Some(profile) = member.profile() {
        for ep in admin_writes(ctx) {
            replays.extend(replay_write(ctx, member, ep, &profile).await);
        }
    }
    conclude(replays, hidden.len())
}

/// Links the admin's pages show and the member's do not: a UI that hides them. Empty
/// when the member's pages showed no links at all (nothing to compare).
fn hidden_links(ctx: &Context) -> BTreeSet<String> {
    let links = |who: IdentityId| {
        ctx.inventory
            .links_seen
            .get(&who)
            .cloned()
            .unwrap_or_default()
    };
    let (admin_links, member_links) = (links(IdentityId::Admin), links(IdentityId::Member));
    if member_links.is_empty() {
        return BTreeSet::new();
    }
    admin_links.difference(&member_links).cloned().collect()
}

fn is_hidden(hidden: &BTreeSet<String>, u: &Url) -> bool {
    hidden.iter().any(|h| h.as_str() == u.as_str())
}

/// Reads the admin reached: refused to the member during discovery, admin-looking, or
/// linked only from the admin's pages.
fn admin_reads(ctx: &Context, hidden: &BTreeSet<String>) -> Vec<Url> {
    ctx.inventory
        .endpoints()
        .filter(|e| e.method == "GET")
        .filter(|e| status_of(e, IdentityId::Admin).is_some_and(|s| (200..300).contains(&s)))
        .filter(|e| {
            admin_looking(&e.pattern)
                || status_of(e, IdentityId::Member).is_some_and(|s| s == 401 || s == 403)
                || e.examples.iter().any(|u| is_hidden(hidden, u))
        })
        .filter_map(|e| {
            e.observations
                .iter()
                .find(|o| o.identity == IdentityId::Admin)
                .and_then(|o| Url::parse(&o.url).ok())
        })
        .take(MAX_READS)
        .collect()
}

/// Sends one admin read as the admin and as the member. A member's 2xx with the admin's
/// content fails; `None` when either got no response.
async fn replay_read(
    ctx: &Context,
    admin: &Identity,
    member: &Identity,
    url: Url,
    linked_only_for_admin: bool,
) -> Option<Replay> {
    let req = Request::get(url.clone()).header("Accept", "application/json, text/html;q=0.9");
    let (Ok(as_admin), Ok(as_member)) = (
        admin.send(&ctx.http, req.clone()).await,
        member.send(&ctx.http, req).await,
    ) else {
        return None;
    };
    if !as_admin.is_success() {
        return Some(Replay::Undecided(format!(
            "{} no longer answers the admin",
            url.path()
        )));
    }
    if matches!(as_member.status, 401 | 403 | 404) || as_member.is_redirect() {
        return Some(Replay::Refused);
    }
    let alike = similarity(&as_admin.text(), &as_member.text());
    if !(as_member.is_success() && alike >= 0.8) {
        return Some(Replay::Undecided(format!(
            "{} answered the member {} with different content",
            url.path(),
            as_member.status
        )));
    }
    let location = Location {
        method: "GET".into(),
        url: ctx.http.redactor().url(&url),
    };
    let ui_hides = if linked_only_for_admin {
        " The admin's pages link to it and the member's do not: \
         the UI hides it, the server does not refuse it."
    } else {
        ""
    };
    let detail = format!(
        "{} answers the member {} with the admin's content ({:.0}% alike); \
         the admin role is not enforced on the server.{ui_hides}",
        location.url,
        as_member.status,
        alike * 100.0,
    );
    let f = Finding::builder(Item::Authorization, "roles.member-reads-admin")
        .rated(Severity::High, Confidence::Firm)
        .title("A member reads an admin-only resource")
        .detail(detail)
        .at(location)
        .evidence(ctx.http.evidence("the admin's request", &as_admin, None))
        .evidence(ctx.http.evidence("the member replays it", &as_member, None))
        .remediation(
            "Check the caller's role on the server for every admin route (middleware or a \
             policy per handler), not only by hiding links in the UI.",
        )
        .build();
    Some(Replay::Granted(f))
}

/// Admin-looking writes on one object, the member's own account standing in for it.
fn admin_writes(ctx: &Context) -> Vec<&Endpoint> {
    ctx.inventory
        .endpoints()
        .filter(|e| {
            e.is_write() && admin_looking(&e.pattern) && e.pattern.matches("{id}").count() == 1
        })
        .take(MAX_WRITES)
        .collect()
}

/// Sends one admin write as the member, on its own account with the values it already
/// has. `None` when it cannot be made a no-op, is out of scope, or got no response.
async fn replay_write(
    ctx: &Context,
    member: &Identity,
    ep: &Endpoint,
    profile: &Value,
) -> Option<Replay> {
    let body = no_op_body(ep, profile)?;
    let id = profile.get("id").and_then(|v| {
        v.as_i64()
            .map(|n| n.to_string())
            .or_else(|| v.as_str().map(str::to_string))
    })?;
    let url = ctx
        .config
        .target
        .join(&ep.pattern.replace("{id}", &id))
        .ok()?;
    if ep.method == "DELETE" || !ctx.http.scope().contains(&url) {
        return None; // A delete is never a no-op.
    }
    let resp = member
        .send(
            &ctx.http,
            Request::new(&ep.method, url.clone())
                .json(&body)
                .header("Accept", "application/json"),
        )
        .await
        .ok()?;
    if matches!(resp.status, 401 | 403 | 404) {
        return Some(Replay::Refused);
    }
    if !resp.is_success() {
        return Some(Replay::Undecided(format!(
            "{} {} answered the member {}",
            ep.method,
            url.path(),
            resp.status
        )));
    }
    let location = Location {
        method: ep.method.clone(),
        url: ctx.http.redactor().url(&url),
    };
    let detail = format!(
        "The member sent {} {} (setting its own account to the values it already has) \
         and got {}; the admin role is not checked.",
        ep.method, location.url, resp.status
    );
    let f = Finding::builder(Item::Authorization, "roles.member-admin-write")
        .rated(Severity::High, Confidence::Confirmed)
        .title("A member can call an admin-only write")
        .detail(detail)
        .at(location)
        .evidence(
            ctx.http
                .evidence("the member's no-op admin write", &resp, None),
        )
        .remediation("Check the caller's role on the server for every admin action.")
        .build();
    Some(Replay::Granted(f))
}

/// The run from the replays, one check each; when none found a flaw or a refusal, the
/// first undecided reason (or that nothing was admin-only) becomes its state.
fn conclude(replays: Vec<Replay>, hidden: usize) -> ProbeRun {
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::Authorization);
    let mut enforced = 0;
    let mut undecided: Vec<String> = Vec::new();
    for replay in replays {
        run.checks += 1;
        match replay {
            Replay::Refused => enforced += 1,
            Replay::Granted(f) => run.findings.push(f),
            Replay::Undecided(why) => undecided.push(why),
        }
    }
    run.notes.push(format!(
        "{} admin requests replayed as the member, {enforced} refused",
        run.checks
    ));
    if hidden > 0 {
        run.notes
            .push(format!("{hidden} links appear only in the admin's pages"));
    }
    if run.findings.is_empty() && enforced == 0 {
        run.state = match undecided.first() {
            Some(why) => RunState::Inconclusive {
                reason: why.clone(),
            },
            None => RunState::NotRun {
                reason: "no admin-only request was found \
                         (none refused to the member, none under an admin path)"
                    .into(),
                config_key: Some("seeds.endpoints".into()),
            },
        };
    }
    run
}

/// A body whose every field is the member's own current value (from its profile), so the
/// write changes nothing even if the server wrongly accepts it.
fn no_op_body(ep: &Endpoint, profile: &Value) -> Option<Value> {
    let fields: Vec<&str> = match &ep.body_example {
        Some(Value::Object(m)) => m.keys().map(String::as_str).collect(),
        _ => ep
            .params
            .iter()
            .filter(|p| p.location == "body")
            .map(|p| p.name.as_str())
            .collect(),
    };
    if fields.is_empty() {
        return None;
    }
    let mut body = Map::new();
    for f in fields {
        body.insert(f.to_string(), profile.get(f)?.clone());
    }
    Some(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn admin_paths_and_no_op_bodies() {
        assert!(admin_looking("/api/admin/users"));
        assert!(admin_looking("/Manage/roles"));
        assert!(!admin_looking("/api/administrative-reports"));
        let ep = Endpoint {
            method: "POST".into(),
            pattern: "/api/admin/users/{id}/role".into(),
            origins: Default::default(),
            examples: vec![],
            params: vec![],
            body_example: Some(json!({"role": "admin"})),
            requires_auth: None,
            observations: vec![],
        };
        assert_eq!(
            no_op_body(&ep, &json!({"id": 3, "role": "member"})),
            Some(json!({"role": "member"}))
        );
        assert_eq!(no_op_body(&ep, &json!({"id": 3})), None);
    }
}
