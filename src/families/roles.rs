//! Item 3: roles are enforced on the server. Requests only the admin should make are
//! replayed as the member of the same tenant: reads must be refused (a 2xx with the
//! admin's content fails), and admin writes are replayed only as no-ops on the member's
//! own account (its own current values), so nothing changes even when they succeed.

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use url::Url;

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
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::Authorization);
    let mut enforced = 0;
    let mut undecided: Vec<String> = Vec::new();

    // Links the admin's pages show and the member's do not: a UI that hides them.
    let links = |who: IdentityId| {
        ctx.inventory
            .links_seen
            .get(&who)
            .cloned()
            .unwrap_or_default()
    };
    let (admin_links, member_links) = (links(IdentityId::Admin), links(IdentityId::Member));
    let hidden: std::collections::BTreeSet<&String> = if member_links.is_empty() {
        Default::default()
    } else {
        admin_links.difference(&member_links).collect()
    };
    let is_hidden = |u: &Url| hidden.iter().any(|h| h.as_str() == u.as_str());

    // Reads the admin reached: refused to the member during discovery, admin-looking, or
    // linked only from the admin's pages.
    let reads: Vec<Url> = ctx
        .inventory
        .endpoints()
        .filter(|e| e.method == "GET")
        .filter(|e| status_of(e, IdentityId::Admin).is_some_and(|s| (200..300).contains(&s)))
        .filter(|e| {
            admin_looking(&e.pattern)
                || status_of(e, IdentityId::Member).is_some_and(|s| s == 401 || s == 403)
                || e.examples.iter().any(&is_hidden)
        })
        .filter_map(|e| {
            e.observations
                .iter()
                .find(|o| o.identity == IdentityId::Admin)
                .and_then(|o| Url::parse(&o.url).ok())
        })
        .take(MAX_READS)
        .collect();
    for url in reads {
        let req = Request::get(url.clone()).header("Accept", "application/json, text/html;q=0.9");
        let (Ok(as_admin), Ok(as_member)) = (
            admin.send(&ctx.http, req.clone()).await,
            member.send(&ctx.http, req).await,
        ) else {
            continue;
        };
        run.checks += 1;
        if !as_admin.is_success() {
            undecided.push(format!("{} no longer answers the admin", url.path()));
            continue;
        }
        if matches!(as_member.status, 401 | 403 | 404) || as_member.is_redirect() {
            enforced += 1;
            continue;
        }
        let alike = similarity(&as_admin.text(), &as_member.text());
        if as_member.is_success() && alike >= 0.8 {
            let location = Location {
                method: "GET".into(),
                url: ctx.http.redactor().url(&url),
            };
            let f = Finding::builder(Item::Authorization, "roles.member-reads-admin")
                    .rated(Severity::High, Confidence::Firm)
                    .title("A member reads an admin-only resource")
                    .detail(format!(
                    "{} answers the member {} with the admin's content ({:.0}% alike); the admin role is not enforced on the server.{}",
                    location.url,
                    as_member.status,
                    alike * 100.0,
                    if is_hidden(&url) {
                        " The admin's pages link to it and the member's do not: the UI hides it, the server does not refuse it."
                    } else {
                        ""
                    }
                ))
                    .at(location)
                    .build()
            .with_evidence(ctx.http.evidence("the admin's request", &as_admin, None))
            .with_evidence(ctx.http.evidence("the member replays it", &as_member, None))
            .with_remediation("Check the caller's role on the server for every admin route (middleware or a policy per handler), not only by hiding links in the UI.");
            run.findings.push(f);
        } else {
            undecided.push(format!(
                "{} answered the member {} with different content",
                url.path(),
                as_member.status
            ));
        }
    }

    // Admin writes, replayed as no-ops on the member's own account.
    if let Some(profile) = member.profile() {
        let writes: Vec<&Endpoint> = ctx
            .inventory
            .endpoints()
            .filter(|e| {
                e.is_write() && admin_looking(&e.pattern) && e.pattern.matches("{id}").count() == 1
            })
            .take(MAX_WRITES)
            .collect();
        for ep in writes {
            let Some(body) = no_op_body(ep, &profile) else {
                continue;
            };
            let Some(id) = profile.get("id").and_then(|v| {
                v.as_i64()
                    .map(|n| n.to_string())
                    .or_else(|| v.as_str().map(str::to_string))
            }) else {
                continue;
            };
            let Ok(url) = ctx.config.target.join(&ep.pattern.replace("{id}", &id)) else {
                continue;
            };
            if ep.method == "DELETE" || !ctx.http.scope().contains(&url) {
                continue; // A delete is never a no-op.
            }
            let Ok(resp) = member
                .send(
                    &ctx.http,
                    Request::new(&ep.method, url.clone())
                        .json(&body)
                        .header("Accept", "application/json"),
                )
                .await
            else {
                continue;
            };
            run.checks += 1;
            if resp.is_success() {
                let location = Location {
                    method: ep.method.clone(),
                    url: ctx.http.redactor().url(&url),
                };
                let f = Finding::builder(Item::Authorization, "roles.member-admin-write")
                        .rated(Severity::High, Confidence::Confirmed)
                        .title("A member can call an admin-only write")
                        .detail(format!("The member sent {} {} (setting its own account to the values it already has) and got {}; the admin role is not checked.", ep.method, location.url, resp.status))
                        .at(location)
                        .build()
                .with_evidence(ctx.http.evidence("the member's no-op admin write", &resp, None))
                .with_remediation("Check the caller's role on the server for every admin action.");
                run.findings.push(f);
            } else if matches!(resp.status, 401 | 403 | 404) {
                enforced += 1;
            } else {
                undecided.push(format!(
                    "{} {} answered the member {}",
                    ep.method,
                    url.path(),
                    resp.status
                ));
            }
        }
    }
    run.notes.push(format!(
        "{} admin requests replayed as the member, {enforced} refused",
        run.checks
    ));
    if !hidden.is_empty() {
        run.notes.push(format!(
            "{} links appear only in the admin's pages",
            hidden.len()
        ));
    }
    if run.findings.is_empty() && enforced == 0 {
        run.state = match undecided.first() {
            Some(why) => RunState::Inconclusive { reason: why.clone() },
            None => RunState::NotRun {
                reason: "no admin-only request was found (none refused to the member, none under an admin path)".into(),
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
