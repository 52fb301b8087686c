//! Item 3: roles are enforced on the server. Requests only the admin should make are
//! replayed as the member of the same tenant: reads must be refused, and admin writes are
//! replayed only as no-ops on the member's own account (its own current values), so
//! nothing changes even when they succeed.
//!
//! Where a candidate comes from (refused to the member in discovery, an admin-looking
//! path, a link only the admin's pages show) is no evidence on its own, and neither is
//! body similarity: per-caller pages and SPA shells look alike by construction. A read
//! fails only when the member's answer carries the admin's private data, or when the
//! config declares the route admin-only; never when the anonymous visitor gets the same
//! answer, and never on a page that shows the member its own data.

use std::collections::BTreeSet;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use url::Url;

use crate::auth::Identity;
use crate::discover::{Endpoint, Markers};
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
    /// The member got what only the admin should (boxed: a finding is large).
    Granted(Box<Finding>),
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
        replays.extend(replay_read(ctx, admin, member, url, &hidden).await);
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

/// Whether the config's role matrix (`roles.admin_only`) covers `method url`.
fn declared(ctx: &Context, method: &str, url: &Url) -> bool {
    ctx.config
        .admin_only
        .iter()
        .any(|r| r.matches(method, url.path()))
}

/// Candidate reads: those the admin reached that were refused to the member during
/// discovery, are admin-looking, or linked only from the admin's pages, and those the
/// config declares admin-only. Declared ones come first.
fn admin_reads(ctx: &Context, hidden: &BTreeSet<String>) -> Vec<Url> {
    let admin_url = |e: &Endpoint| {
        e.observations
            .iter()
            .find(|o| o.identity == IdentityId::Admin && (200..300).contains(&o.status))
            .and_then(|o| Url::parse(&o.url).ok())
    };
    let gets = || ctx.inventory.endpoints().filter(|e| e.method == "GET");
    let declared_reads = gets().filter_map(|e| {
        let url = admin_url(e).or_else(|| e.examples.first().cloned())?;
        declared(ctx, "GET", &url).then_some(url)
    });
    let suspected = gets()
        .filter(|e| {
            admin_looking(&e.pattern)
                || status_of(e, IdentityId::Member).is_some_and(|s| s == 401 || s == 403)
                || e.examples.iter().any(|u| is_hidden(hidden, u))
        })
        .filter_map(admin_url);
    let mut urls: Vec<Url> = Vec::new();
    for url in declared_reads.chain(suspected) {
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls.truncate(MAX_READS);
    urls
}

/// What the member's answer to an admin read shows.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// It carries this private marker of the admin's, one the member does not have.
    AdminData(String),
    /// The config declares the route admin-only and nothing shows it is public or the
    /// member's own.
    Declared,
    /// Only the admin's own UI links it, and the member gets the admin's view of it:
    /// evidence that it is meant for the admin, not proof (a warning).
    AdminUi,
    /// Only the admin's own UI links it, but the member's copy is rendered for the
    /// member's role (it leaves out links only the admin is shown): the server knew the
    /// caller's role there and served the page anyway, which is as likely a permission
    /// the app grants as a check it forgot.
    RoleRendered,
    /// The anonymous visitor gets the same answer.
    Public,
    /// It shows the member its own data and none of the admin's.
    PerCaller,
    /// Nothing in it is the admin's alone.
    NoEvidence,
}

/// The member's successful answers to one admin read, and what is known of the route.
struct Answers<'a> {
    member: &'a str,
    /// The anonymous visitor's body, when it got a 2xx.
    anonymous: Option<&'a str>,
    admin_markers: &'a Markers,
    member_markers: &'a Markers,
    declared: bool,
    /// The admin's answer, when only the admin's pages link the route.
    admin_ui: Option<&'a str>,
    /// The member's copy leaves out links that the admin's copy shows and the member's
    /// pages never do: a page rendered per role.
    rendered_for_role: bool,
}

/// Judges a member's 2xx to an admin read: the admin's private data (markers the member
/// does not share) is a leak; a public answer or a page of the member's own data is not;
/// without either, only the config's declaration decides.
fn judge(a: &Answers) -> Verdict {
    if let Some(anon) = a.anonymous
        && (anon == a.member || similarity(anon, a.member) >= 0.9)
    {
        return Verdict::Public;
    }
    // Values both share (an org name) tell neither caller apart.
    let only = |of: &Markers, minus: &Markers| Markers {
        values: of.values.difference(&minus.values).cloned().collect(),
    };
    if let Some(m) = only(a.admin_markers, a.member_markers).found_in(a.member) {
        // A public answer would have shown it to the anonymous visitor too.
        if a.anonymous.is_none_or(|anon| !anon.contains(m)) {
            return Verdict::AdminData(m.to_string());
        }
        return Verdict::Public;
    }
    if only(a.member_markers, a.admin_markers)
        .found_in(a.member)
        .is_some()
    {
        return Verdict::PerCaller;
    }
    if a.declared {
        return Verdict::Declared;
    }
    // A route only the admin's UI offers, served to the member as the admin sees it.
    if let Some(admin) = a.admin_ui
        && similarity(admin, a.member) >= 0.9
    {
        if a.rendered_for_role {
            return Verdict::RoleRendered;
        }
        return Verdict::AdminUi;
    }
    Verdict::NoEvidence
}

/// Whether the member's copy of an HTML page leaves out links that the admin's copy
/// of it shows and that only the admin's pages link (`hidden`): the page's navigation
/// is rendered per role.
fn drops_admin_links(url: &Url, admin: &str, member: &str, hidden: &BTreeSet<String>) -> bool {
    let hidden_links_in = |body: &str| -> BTreeSet<String> {
        crate::discover::html::parse_page(url, body)
            .links
            .into_iter()
            .map(|l| l.to_string())
            .filter(|l| hidden.contains(l))
            .collect()
    };
    let (admins, members) = (hidden_links_in(admin), hidden_links_in(member));
    admins.difference(&members).next().is_some()
}

/// Sends one admin read as the admin, the member and the anonymous visitor. A member's
/// 2xx fails only with evidence (see [`judge`]); `None` when admin or member got no
/// response.
async fn replay_read(
    ctx: &Context,
    admin: &Identity,
    member: &Identity,
    url: Url,
    hidden: &BTreeSet<String>,
) -> Option<Replay> {
    let linked_only_for_admin = is_hidden(hidden, &url);
    // A page is asked for as a page, an API route for JSON, as discovery asked them:
    // its answers are then the replay, not sent again.
    let accept = if ctx.inventory.pages.contains(url.as_str()) {
        crate::discover::PAGE_ACCEPT
    } else {
        "application/json, text/html;q=0.9"
    };
    let req = Request::get(url.clone()).header("Accept", accept);
    let (Ok(as_admin), Ok(as_member)) = (
        ctx.answer(admin, req.clone()).await,
        ctx.answer(member, req.clone()).await,
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
    if !as_member.is_success() {
        return Some(Replay::Undecided(format!(
            "{} answered the member {}",
            url.path(),
            as_member.status
        )));
    }
    let as_anonymous = ctx
        .answer(ctx.identities.anonymous(), req)
        .await
        .ok()
        .filter(|r| r.is_success());
    let markers = |id: IdentityId| ctx.inventory.markers.get(&id).cloned().unwrap_or_default();
    let (admin_markers, member_markers) = (markers(IdentityId::Admin), markers(IdentityId::Member));
    let (member_text, anonymous_text) = (as_member.text(), as_anonymous.as_ref().map(|r| r.text()));
    let admin_text = as_admin.text();
    let rendered_for_role =
        linked_only_for_admin && drops_admin_links(&url, &admin_text, &member_text, hidden);
    let verdict = judge(&Answers {
        member: &member_text,
        anonymous: anonymous_text.as_deref(),
        admin_markers: &admin_markers,
        member_markers: &member_markers,
        declared: declared(ctx, "GET", &url),
        admin_ui: linked_only_for_admin.then_some(&admin_text),
        rendered_for_role,
    });
    let path = url.path();
    let (why, confidence, marker) = match verdict {
        Verdict::AdminData(m) => (
            "with the admin's private data (a value of the admin's own account the member \
             does not share)",
            Confidence::Confirmed,
            Some(m),
        ),
        Verdict::Declared => (
            "although the config declares it admin-only (`roles.admin_only`)",
            Confidence::Firm,
            None,
        ),
        Verdict::AdminUi => (
            "as the admin sees it, although only the admin's pages link to it (a warning: \
             declare the route in roles.admin_only to make it a failure, or allow it)",
            Confidence::Tentative,
            None,
        ),
        Verdict::Public => {
            return Some(Replay::Undecided(format!(
                "{path} gives the anonymous visitor the member's answer: public, not admin-only"
            )));
        }
        Verdict::RoleRendered => {
            return Some(Replay::Undecided(format!(
                "{path} is linked only from the admin's pages, but the member's copy is \
                 rendered for the member's role (without the admin's links): a permission \
                 the app may grant (declare it in roles.admin_only if it is admin-only)"
            )));
        }
        Verdict::PerCaller => {
            return Some(Replay::Undecided(format!(
                "{path} shows the member its own data and none of the admin's: a per-caller page"
            )));
        }
        Verdict::NoEvidence => {
            return Some(Replay::Undecided(format!(
                "{path} answered the member {} with nothing only the admin's view has \
                 (declare admin-only routes in roles.admin_only)",
                as_member.status
            )));
        }
    };
    let location = Location {
        method: "GET".into(),
        url: ctx.http.redactor().url(&url),
    };
    let enforcement = if confidence == Confidence::Tentative {
        "the admin role may not be enforced on the server"
    } else {
        "the admin role is not enforced on the server"
    };
    let ui_hides = if linked_only_for_admin {
        " The admin's pages link to it and the member's do not: \
         the UI hides it, the server does not refuse it."
    } else {
        ""
    };
    let detail = format!(
        "{} answers the member {} {why}; {enforcement}.{ui_hides}",
        location.url, as_member.status,
    );
    let f = Finding::builder(Item::Authorization, "roles.member-reads-admin")
        .rated(Severity::High, confidence)
        .title("A member reads an admin-only resource")
        .detail(detail)
        .at(location)
        .evidence(
            ctx.http
                .evidence("the admin's request", &as_admin, marker.as_deref()),
        )
        .evidence(
            ctx.http
                .evidence("the member replays it", &as_member, marker.as_deref()),
        )
        .remediation(
            "Check the caller's role on the server for every admin route (middleware or a \
             policy per handler), not only by hiding links in the UI.",
        )
        .build();
    Some(Replay::Granted(Box::new(f)))
}

/// Admin-looking or declared admin-only writes on one object, the member's own account
/// standing in for it.
fn admin_writes(ctx: &Context) -> Vec<&Endpoint> {
    let declared_write = |e: &Endpoint| {
        ctx.config
            .admin_only
            .iter()
            .any(|r| r.matches(&e.method, &e.pattern))
    };
    ctx.inventory
        .endpoints()
        .filter(|e| {
            e.is_write()
                && (admin_looking(&e.pattern) || declared_write(e))
                && e.pattern.matches("{id}").count() == 1
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
        .send(&ctx.http, ep.write_request(url.clone(), &body))
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
    Some(Replay::Granted(Box::new(f)))
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
            Replay::Granted(f) => run.findings.push(*f),
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
    // Undecided replays are said, so a pass that rests on few refusals shows it.
    if !undecided.is_empty() {
        let shown: Vec<&str> = undecided.iter().take(3).map(String::as_str).collect();
        run.notes.push(format!(
            "{} undecided: {}",
            undecided.len(),
            shown.join("; ")
        ));
    }
    if run.findings.is_empty() && enforced == 0 {
        run.state = match undecided.first() {
            Some(why) => RunState::Inconclusive {
                reason: why.clone(),
            },
            None => RunState::NotRun {
                reason: "no admin-only request was found (none refused to the member, \
                         none under an admin path, none declared)"
                    .into(),
                config_key: Some("roles.admin_only".into()),
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
            sent_as: None,
        };
        assert_eq!(
            no_op_body(&ep, &json!({"id": 3, "role": "member"})),
            Some(json!({"role": "member"}))
        );
        assert_eq!(no_op_body(&ep, &json!({"id": 3})), None);
    }

    fn markers(values: &[&str]) -> Markers {
        let mut m = Markers::default();
        for v in values {
            m.add(v);
        }
        m
    }

    #[test]
    fn only_the_admins_own_data_or_a_declaration_makes_a_finding() {
        let admin = markers(&["admina", "admina@acme.test", "Acme Inc"]);
        let member = markers(&["membera", "membera@acme.test", "Acme Inc"]);
        let answers = |member_body: &'static str, anonymous: Option<&'static str>| Answers {
            member: member_body,
            anonymous,
            admin_markers: &admin,
            member_markers: &member,
            declared: false,
            admin_ui: None,
            rendered_for_role: false,
        };
        // Every user's own home page: alike by construction, the member's own data.
        let home = answers("<h1>Acme Inc</h1><p>Notes of membera</p>", None);
        assert_eq!(judge(&home), Verdict::PerCaller);
        // `/users/me`, declared or not, shows the caller itself.
        let me = Answers {
            declared: true,
            ..answers(
                r#"{"email":"membera@acme.test","role":"member"}"#,
                Some("{}"),
            )
        };
        assert_eq!(judge(&me), Verdict::PerCaller);
        // A SPA shell or a public route under /admin: the anonymous visitor gets it too.
        let shell = "<html><div id=app></div><script src=/admin/app.js></script></html>";
        assert_eq!(judge(&answers(shell, Some(shell))), Verdict::Public);
        let declared_shell = Answers {
            declared: true,
            ..answers(shell, Some(shell))
        };
        assert_eq!(judge(&declared_shell), Verdict::Public);
        // Alike to the admin's answer but nothing of the admin's: undecided.
        assert_eq!(judge(&answers(shell, None)), Verdict::NoEvidence);
        // A shared value (the org name) is not the admin's alone.
        assert_eq!(
            judge(&answers("<h1>Acme Inc settings</h1>", None)),
            Verdict::NoEvidence
        );
        // A list of all users: the admin's email reaches the member (its own row too).
        let users = r#"{"users":[{"email":"admina@acme.test","role":"admin"},
            {"email":"membera@acme.test","role":"member"}]}"#;
        assert!(matches!(
            judge(&answers(users, None)),
            Verdict::AdminData(m) if m.starts_with("admina")
        ));
        // Declared admin-only and neither public nor per-caller.
        let stats = Answers {
            declared: true,
            ..answers(r#"{"revenue": 1234}"#, None)
        };
        assert_eq!(judge(&stats), Verdict::Declared);
        // Only the admin's UI links it and the member gets the admin's view: a warning.
        let report = r#"{"quarter":"Q3","signups":412,"churn":0.04}"#;
        let ui_only = Answers {
            admin_ui: Some(report),
            ..answers(report, None)
        };
        assert_eq!(judge(&ui_only), Verdict::AdminUi);
        // ...but not when the member's view differs (a trimmed page of its own), nor
        // when anonymous visitors get it too.
        let trimmed = Answers {
            admin_ui: Some(report),
            ..answers(r#"{"message":"Ask your admin for reports"}"#, None)
        };
        assert_eq!(judge(&trimmed), Verdict::NoEvidence);
        let public = Answers {
            admin_ui: Some(report),
            ..answers(report, Some(report))
        };
        assert_eq!(judge(&public), Verdict::Public);
        // ...nor when the member's copy is rendered for its role (its navigation leaves
        // out the admin's links): undecided, not a warning.
        let per_role = Answers {
            admin_ui: Some(report),
            rendered_for_role: true,
            ..answers(report, None)
        };
        assert_eq!(judge(&per_role), Verdict::RoleRendered);
    }

    #[test]
    fn a_page_whose_navigation_leaves_out_the_admins_links_is_rendered_per_role() {
        let url = Url::parse("http://app.test/rules").unwrap();
        let hidden: BTreeSet<String> = ["http://app.test/rules", "http://app.test/settings"]
            .into_iter()
            .map(String::from)
            .collect();
        let admin = r#"<nav><a href="/orders">Orders</a><a href="/rules">Rules</a>
            <a href="/settings">Settings</a></nav><table><tr><td>rule 1</td></tr></table>"#;
        let member = r#"<nav><a href="/orders">Orders</a></nav>
            <table><tr><td>rule 1</td></tr></table>"#;
        assert!(drops_admin_links(&url, admin, member, &hidden));
        // The member shown the admin's navigation: the admin's view, not a per-role one.
        assert!(!drops_admin_links(&url, admin, admin, &hidden));
        // JSON has no navigation to compare.
        assert!(!drops_admin_links(&url, "{\"a\":1}", "{\"a\":1}", &hidden));
    }

    #[test]
    fn undecided_replays_are_never_findings() {
        let run = conclude(vec![Replay::Undecided("/ is a per-caller page".into())], 0);
        assert!(run.findings.is_empty());
        assert!(matches!(
            &run.state,
            RunState::Inconclusive { reason } if reason.contains("per-caller")
        ));
        let run = conclude(
            vec![
                Replay::Refused,
                Replay::Undecided("/admin/ is public".into()),
            ],
            0,
        );
        assert!(run.findings.is_empty());
        assert!(
            run.notes
                .iter()
                .any(|n| n == "1 undecided: /admin/ is public")
        );
    }
}
