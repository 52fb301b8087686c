//! Item 5: the server returns only what the caller may see. List and search answers to
//! one tenant must not carry another tenant's rows (the "fetch all, filter in the UI"
//! bug), not even with an oversized page or a tenant parameter pointed elsewhere, and no
//! JSON answer may carry secrets the UI hides (password hashes, salts, secret keys).

use futures_util::future::BoxFuture;
use serde_json::Value;
use url::Url;

use crate::auth::Identity;
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::IdentityId;
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::RunState;
use crate::model::{Confidence, Finding, Location, Severity};

const MAX_COLLECTIONS: usize = 15;
/// Query parameters that size a page.
const PAGE_SIZE_PARAMS: &[&str] = &[
    "limit",
    "page_size",
    "pagesize",
    "per_page",
    "perpage",
    "size",
    "count",
    "max",
    "top",
];
/// Query parameters that name a tenant.
const TENANT_PARAMS: &[&str] = &[
    "org",
    "org_id",
    "orgid",
    "organization",
    "organization_id",
    "tenant",
    "tenant_id",
    "tenantid",
    "account_id",
    "team_id",
    "workspace_id",
    "company_id",
];
/// JSON keys (lower-case, without `_` and `-`) that hold secrets no client should get.
const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "passwd",
    "passwordhash",
    "hashedpassword",
    "passworddigest",
    "encryptedpassword",
    "salt",
    "passwordsalt",
    "secret",
    "clientsecret",
    "apisecret",
    "secretkey",
    "privatekey",
    "otpsecret",
    "totpsecret",
    "mfasecret",
    "resettoken",
    "passwordresettoken",
    "refreshtoken",
    "sessiontoken",
    "ssn",
    "cardnumber",
    "cvv",
];

/// What the `filtering` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "filtering",
    items: &[Item::ServerSideFiltering],
    ids: &[
        "filtering.cross-tenant-rows",
        "filtering.anonymous-list-rows",
        "filtering.sensitive-field",
    ],
    runs_last: false,
};

/// The `filtering` family.
pub struct FilteringFamily;

impl Family for FilteringFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { Ok(vec![run(ctx).await]) })
    }
}

/// Whether a JSON object holding a sensitive-named field belongs to someone other than
/// the caller reading it.
pub trait Foreign {
    fn foreign(&self, object: &serde_json::Map<String, Value>) -> bool;
}

/// Nobody else's: only credential-shaped values count (the caller reads its own data).
pub struct OwnData;

impl Foreign for OwnData {
    fn foreign(&self, _: &serde_json::Map<String, Value>) -> bool {
        false
    }
}

/// A JSON key and value that should never reach this client, if `v` has one.
///
/// A value is a credential by shape (a password hash, a hex digest or a random key under
/// a sensitive name) wherever it appears. A sensitive name alone (`secret`, `password`)
/// counts only with a real value in an object that is not the caller's own: masked,
/// empty or placeholder values, and the owner's own content, are no finding.
pub fn sensitive_field(v: &Value, depth: usize, owner: &dyn Foreign) -> Option<(String, String)> {
    if depth > 12 {
        return None;
    }
    match v {
        Value::Object(m) => m.iter().find_map(|(k, val)| {
            let norm: String = k
                .chars()
                .filter(|c| *c != '_' && *c != '-')
                .collect::<String>()
                .to_ascii_lowercase();
            let named = SENSITIVE_KEYS.contains(&norm.as_str());
            match val {
                Value::String(s) if is_password_hash(s) => Some((k.clone(), s.clone())),
                Value::String(s) if named && is_credential_shaped(s) => {
                    Some((k.clone(), s.clone()))
                }
                Value::String(s) if named && !is_masked(s) && owner.foreign(m) => {
                    Some((k.clone(), s.clone()))
                }
                _ => sensitive_field(val, depth + 1, owner),
            }
        }),
        Value::Array(a) => a
            .iter()
            .take(500)
            .find_map(|x| sensitive_field(x, depth + 1, owner)),
        _ => None,
    }
}

/// bcrypt, argon2, scrypt, PBKDF2 (Django) and crypt-style hashes.
fn is_password_hash(s: &str) -> bool {
    s.starts_with("$2a$")
        || s.starts_with("$2b$")
        || s.starts_with("$2y$")
        || s.starts_with("$argon2")
        || s.starts_with("$scrypt$")
        || s.starts_with("pbkdf2_sha256$")
        || s.starts_with("pbkdf2_sha1$")
        || s.starts_with("$pbkdf2")
        || s.starts_with("$6$")
        || s.starts_with("$5$")
        || s.starts_with("$1$")
}

/// A hex digest (MD5 to SHA-512) or a random key or token: long, no spaces, and with
/// the entropy of random text rather than of words.
fn is_credential_shaped(s: &str) -> bool {
    let hex = s.chars().all(|c| c.is_ascii_hexdigit());
    if hex && [32, 40, 56, 64, 96, 128].contains(&s.len()) {
        return true;
    }
    s.len() >= 20
        && !s.chars().any(char::is_whitespace)
        && !crate::catalog::secret::looks_like_placeholder(s)
        && crate::catalog::secret::entropy(s) >= 3.5
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars().any(|c| c.is_ascii_alphabetic())
}

/// Empty, masked (`********`, `xxxx`, `•••`) or placeholder values hide the secret.
fn is_masked(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return true;
    }
    let mut chars = t.chars();
    let first = chars.next().unwrap_or('*');
    let one_char = chars.all(|c| c == first);
    (one_char && (!first.is_alphanumeric() || t.len() >= 4))
        || t.eq_ignore_ascii_case("null")
        || t.eq_ignore_ascii_case("hidden")
        || t.eq_ignore_ascii_case("[hidden]")
        || crate::catalog::secret::looks_like_placeholder(t)
}

/// Objects of other identities (they carry one of their private markers and none of the
/// caller's) or of other named users (an `email`/`username` that is not the caller's).
struct OtherOwners<'a> {
    caller: Option<&'a str>,
    mine: Option<&'a crate::discover::Markers>,
    others: Vec<&'a crate::discover::Markers>,
}

impl Foreign for OtherOwners<'_> {
    fn foreign(&self, object: &serde_json::Map<String, Value>) -> bool {
        let text = Value::Object(object.clone()).to_string();
        if self.mine.is_some_and(|m| m.found_in(&text).is_some()) {
            return false;
        }
        if self.others.iter().any(|m| m.found_in(&text).is_some()) {
            return true;
        }
        let Some(caller) = self.caller else {
            return false;
        };
        ["email", "username", "login", "user_name"]
            .iter()
            .filter_map(|k| object.get(*k).and_then(Value::as_str))
            .any(|name| !name.eq_ignore_ascii_case(caller))
    }
}

/// A tenant id of `identity` from its profile: `org_id`, `organization.id`, `tenant_id`...
fn tenant_id(profile: &Value) -> Option<String> {
    let scalar = |v: &Value| match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let o = profile.as_object()?;
    for k in [
        "org_id",
        "organization_id",
        "tenant_id",
        "account_id",
        "team_id",
        "workspace_id",
        "company_id",
    ] {
        if let Some(v) = o.get(k).and_then(scalar) {
            return Some(v);
        }
    }
    [
        "organization",
        "org",
        "tenant",
        "account",
        "team",
        "workspace",
        "company",
    ]
    .iter()
    .find_map(|k| o.get(*k).and_then(|x| x.get("id")).and_then(scalar))
}

async fn run(ctx: &Context) -> ProbeRun {
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::ServerSideFiltering);
    let tenants: Vec<&Identity> = [IdentityId::A, IdentityId::B]
        .iter()
        .filter_map(|n| ctx.identities.get(*n))
        .map(|i| i.as_ref())
        .collect();
    if tenants.len() < 2 {
        let missing = if ctx.identities.get(IdentityId::A).is_none() {
            "identities.a"
        } else {
            "identities.b"
        };
        return ProbeRun::not_run(
            DESCRIPTOR.name,
            Item::ServerSideFiltering,
            "server-side filtering needs two tenants",
            Some(missing),
        );
    }
    let leaks = check_lists(ctx, &tenants, &mut run).await;
    check_own_objects(ctx, &mut run).await;
    run.notes.push(format!(
        "{} list and object requests checked across tenants, {leaks} leaking",
        run.checks
    ));
    if run.checks == 0 {
        run.state = RunState::NotRun {
            reason: "no JSON list endpoint was found".into(),
            config_key: Some("seeds.endpoints".into()),
        };
    }
    run
}

/// Collections: GET routes without an object id that answered JSON, each with an
/// example URL and its query parameters (lower-case). The API description is a JSON
/// document of the app, not a collection of anybody's rows: it is not listed.
fn json_collections(ctx: &Context) -> Vec<(Url, Vec<String>)> {
    let description = ctx
        .inventory
        .openapi
        .as_deref()
        .and_then(|u| Url::parse(u).ok());
    ctx.inventory
        .endpoints()
        .filter(|e| e.method == "GET" && !e.has_path_id())
        .filter(|e| {
            description
                .as_ref()
                .is_none_or(|d| !e.examples.iter().any(|u| u.path() == d.path()))
        })
        .filter(|e| {
            e.observations.iter().any(|o| {
                (200..300).contains(&o.status)
                    && o.content_type
                        .as_deref()
                        .is_some_and(|c| c.contains("json"))
            })
        })
        .filter_map(|e| {
            Some((
                e.examples.first()?.clone(),
                e.params
                    .iter()
                    .filter(|p| p.location == "query")
                    .map(|p| p.name.to_ascii_lowercase())
                    .collect(),
            ))
        })
        .take(MAX_COLLECTIONS)
        .collect()
}

/// Lists every collection as each tenant, as listed and in the variants that widen it,
/// and looks for the other tenants' markers (and secrets) in the answers. Returns how
/// many answers leaked another tenant's rows.
async fn check_lists(ctx: &Context, tenants: &[&Identity], run: &mut ProbeRun) -> usize {
    let collections = json_collections(ctx);
    let mut leaks = 0;
    for caller in tenants {
        let others: Vec<&Identity> = tenants
            .iter()
            .filter(|t| t.id != caller.id)
            .copied()
            .collect();
        for (url, params) in &collections {
            if refused_in_discovery(ctx, caller.id, url) {
                continue;
            }
            for (u, how) in list_variants(url, params, &others) {
                let Ok(resp) = caller
                    .send(
                        &ctx.http,
                        Request::get(u.clone()).header("Accept", "application/json"),
                    )
                    .await
                else {
                    continue;
                };
                run.checks += 1;
                check_sensitive(ctx, &resp, &other_owners(ctx, caller), run);
                for other in &others {
                    if let Some(f) = cross_tenant_rows(ctx, caller, other, &u, how, &resp) {
                        leaks += 1;
                        run.findings.push(f);
                    }
                }
            }
        }
    }
    for (url, _) in &collections {
        if refused_in_discovery(ctx, IdentityId::Anonymous, url) {
            continue;
        }
        if let Some(f) = anonymous_rows(ctx, tenants, url).await {
            leaks += 1;
            run.findings.push(f);
        }
        run.checks += 1;
    }
    leaks
}

/// Whether discovery's own requests for `url` as `who` were all refused (401, 403): a
/// list that refuses the caller shows it nobody's rows, whatever was created since.
/// (A refusal to a logged-in identity came after the HTTP layer logged it in again.)
fn refused_in_discovery(ctx: &Context, who: IdentityId, url: &Url) -> bool {
    let key = crate::model::EndpointKey::new("GET", crate::model::path_pattern(url.path()));
    let Some(ep) = ctx.inventory.endpoints.get(&key) else {
        return false;
    };
    let mut statuses = ep
        .observations
        .iter()
        .filter(|o| o.identity == who && o.url == url.as_str())
        .map(|o| o.status)
        .peekable();
    statuses.peek().is_some() && statuses.all(|s| matches!(s, 401 | 403))
}

/// A collection listed with no credentials at all: when the answer carries private
/// markers of every tenant, the server filters nothing by caller. (One tenant's marker
/// alone may be a public profile, and the missing session check is item 2's finding.)
async fn anonymous_rows(ctx: &Context, tenants: &[&Identity], url: &Url) -> Option<Finding> {
    let resp = ctx
        .identities
        .anonymous()
        .send(
            &ctx.http,
            Request::get(url.clone()).header("Accept", "application/json"),
        )
        .await
        .ok()
        .filter(|r| r.is_success())?;
    let text = without_forced_rows(&resp.text(), &ctx.owned.forced_markers());
    let mut shown: Vec<(IdentityId, String)> = Vec::new();
    for t in tenants {
        let markers = ctx
            .inventory
            .markers
            .get(&t.id)
            .cloned()
            .unwrap_or_default();
        shown.push((t.id, markers.found_in(&text)?.to_string()));
    }
    let location = Location {
        method: "GET".into(),
        url: ctx.http.redactor().url(url),
    };
    let which: Vec<String> = shown
        .iter()
        .map(|(id, m)| format!("{id}'s `{m}`"))
        .collect();
    let detail = format!(
        "{} listed with no credentials carries the private markers of every tenant ({}): \
         the server returns all tenants' rows to anyone and filters nothing by caller.",
        location.url,
        which.join(", ")
    );
    let first = shown.first().map(|(_, m)| m.clone());
    let f = Finding::builder(Item::ServerSideFiltering, "filtering.anonymous-list-rows")
        .rated(Severity::Critical, Confidence::Confirmed)
        .title("A list shows every tenant's rows to anonymous visitors")
        .detail(detail)
        .at(location)
        .evidence(
            ctx.http
                .evidence("the anonymous visitor lists it", &resp, first.as_deref()),
        )
        .remediation(
            "Require a session on the list and filter its query by the caller's tenant on \
             the server (in a policy or row-level security, not only in the UI).",
        )
        .build();
    Some(f)
}

/// The collection as listed, with an oversized page when it takes a page size, and with
/// each other tenant's id when it takes a tenant parameter.
fn list_variants(url: &Url, params: &[String], others: &[&Identity]) -> Vec<(Url, &'static str)> {
    let mut variants = vec![(url.clone(), "as listed")];
    if let Some(p) = params
        .iter()
        .find(|p| PAGE_SIZE_PARAMS.contains(&p.as_str()))
    {
        variants.push((
            crate::families::with_query_param(url, p, p, "1000"),
            "with an oversized page",
        ));
    }
    if let Some(p) = params.iter().find(|p| TENANT_PARAMS.contains(&p.as_str())) {
        for other in others {
            if let Some(id) = other.profile().as_ref().and_then(tenant_id) {
                variants.push((
                    crate::families::with_query_param(url, p, p, &id),
                    "with the other tenant's id in the tenant parameter",
                ));
            }
        }
    }
    variants
}

/// A finding when `caller`'s list answer carries one of `other`'s private markers.
fn cross_tenant_rows(
    ctx: &Context,
    caller: &Identity,
    other: &Identity,
    url: &Url,
    how: &str,
    resp: &Response,
) -> Option<Finding> {
    let markers = ctx
        .inventory
        .markers
        .get(&other.id)
        .cloned()
        .unwrap_or_default();
    let text = without_forced_rows(&resp.text(), &ctx.owned.forced_markers());
    let m = markers.found_in(&text)?;
    let location = Location {
        method: "GET".into(),
        url: ctx.http.redactor().url(url),
    };
    let detail = format!(
        "{} listed {} {how} and the answer carries {}'s private marker `{m}`: \
         the server returns rows of other tenants and leaves filtering to the client.",
        caller.id, location.url, other.id
    );
    let f = Finding::builder(Item::ServerSideFiltering, "filtering.cross-tenant-rows")
        .rated(Severity::Critical, Confidence::Confirmed)
        .title(format!(
            "A list shows tenant {}'s rows to tenant {}",
            other.id, caller.id
        ))
        .detail(detail)
        .at(location)
        .discriminator(how)
        .evidence(
            ctx.http
                .evidence(&format!("{} lists {how}", caller.id), resp, Some(m)),
        )
        .remediation(
            "Filter every list and search query by the caller's tenant on the server; \
             never rely on the UI to hide rows, and cap page sizes.",
        )
        .build();
    Some(f)
}

/// `text` without the rows of objects the scanner placed by force (their markers in
/// `forced`): a row a mass-assignment probe put into another tenant lists there by
/// the probe's doing, not the server's. JSON rows are array elements; other text loses
/// the lines that carry such a marker.
fn without_forced_rows(text: &str, forced: &[String]) -> String {
    let carries = |t: &str| forced.iter().any(|m| t.contains(m.as_str()));
    if !carries(text) {
        return text.to_string();
    }
    fn prune(v: &mut Value, carries: &dyn Fn(&str) -> bool, depth: usize) {
        if depth > 12 {
            return;
        }
        match v {
            Value::Array(rows) => {
                rows.retain(|r| !carries(&r.to_string()));
                rows.iter_mut().for_each(|r| prune(r, carries, depth + 1));
            }
            Value::Object(m) => m.values_mut().for_each(|r| prune(r, carries, depth + 1)),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(text) {
        Ok(mut json) => {
            prune(&mut json, &carries, 0);
            json.to_string()
        }
        Err(_) => text
            .lines()
            .filter(|l| !carries(l))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Each identity's own profile and its canaries are JSON the UI renders too: checked
/// for secrets.
async fn check_own_objects(ctx: &Context, run: &mut ProbeRun) {
    for identity in ctx.identities.authenticated() {
        let mut urls: Vec<Url> = ctx
            .owned
            .of(identity.id)
            .into_iter()
            .map(|o| o.url)
            .take(3)
            .collect();
        if let Some(check) = identity.config.as_ref().and_then(|c| c.check.as_ref()) {
            urls.push(check.url.clone());
        }
        for u in urls {
            // The profile as discovery read it: canaries do not change it.
            if let Ok(resp) = ctx
                .answer(
                    identity,
                    Request::get(u).header("Accept", "application/json"),
                )
                .await
            {
                run.checks += 1;
                check_sensitive(ctx, &resp, &OwnData, run);
            }
        }
    }
}

/// Who owns what `caller` reads: the other identities (by their markers) and other
/// named users.
fn other_owners<'a>(ctx: &'a Context, caller: &'a Identity) -> OtherOwners<'a> {
    OtherOwners {
        caller: caller
            .config
            .as_ref()
            .and_then(|c| crate::auth::flow::username(c)),
        mine: ctx.inventory.markers.get(&caller.id),
        others: ctx
            .identities
            .authenticated()
            .filter(|i| i.id != caller.id)
            .filter_map(|i| ctx.inventory.markers.get(&i.id))
            .collect(),
    }
}

fn check_sensitive(ctx: &Context, resp: &Response, owner: &dyn Foreign, run: &mut ProbeRun) {
    let Some(json) = resp.json() else { return };
    let Some((key, value)) = sensitive_field(&json, 0, owner) else {
        return;
    };
    let pattern = crate::model::path_pattern(resp.url.path());
    if run.findings.iter().any(|f| {
        f.probe == "filtering.sensitive-field"
            && f.detail.contains(&format!("`{key}`"))
            && f.location.url.contains(&pattern)
    }) {
        return;
    }
    // Show the key and a short prefix only: the value is the secret.
    let shown: String = value.chars().take(6).collect();
    let location = Location {
        method: resp.sent.method.clone(),
        url: ctx.http.redactor().url(&resp.url),
    };
    let mut ev = ctx
        .http
        .evidence("the answer with the field", resp, Some(&key));
    if let Some(r) = ev.response.as_mut() {
        r.body = r.body.replace(&value, "[REDACTED]");
    }
    let detail = format!(
        "The answer to {} {} includes `{key}` (value starting `{shown}…`), \
         which no client needs.",
        location.method, location.url
    );
    let f = Finding::builder(Item::ServerSideFiltering, "filtering.sensitive-field")
        .rated(Severity::High, Confidence::Firm)
        .title(format!("JSON answer carries the sensitive field `{key}`"))
        .detail(detail)
        .at(location)
        .discriminator(&key)
        .evidence(ev)
        .remediation(
            "Serialise explicit response types (allow-lists of fields) instead of whole \
             database rows; never send hashes, salts or secret keys.",
        )
        .build();
    run.findings.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every object belongs to someone else.
    struct Everyone;
    impl Foreign for Everyone {
        fn foreign(&self, _: &serde_json::Map<String, Value>) -> bool {
            true
        }
    }

    #[test]
    fn rows_the_scanner_placed_by_force_are_not_evidence() {
        let forced = vec!["prodready-canary-00000000abcd".to_string()];
        let list = json!({"data": [
            {"id": 1, "title": "B's own", "user_created": "u-b"},
            {"id": 2, "title": "prodready-canary-00000000abcd", "user_created": "u-a"}
        ]})
        .to_string();
        let kept = without_forced_rows(&list, &forced);
        assert!(kept.contains("u-b") && !kept.contains("u-a"), "{kept}");
        // Nothing forced, or no forced row: unchanged.
        assert_eq!(without_forced_rows(&list, &[]), list);
        let html = "<li>B's own u-b</li>\n<li>prodready-canary-00000000abcd u-a</li>";
        assert_eq!(without_forced_rows(html, &forced), "<li>B's own u-b</li>");
    }

    #[test]
    fn sensitive_keys_and_hash_values_are_found() {
        let found = |v: Value| sensitive_field(&v, 0, &OwnData).is_some();
        assert!(found(
            json!({"user": {"password_hash": "$argon2id$v=19$x"}})
        ));
        assert!(found(json!([{"name": "a", "pwd": "$2b$12$abc"}])));
        assert!(found(json!({"salt": "5f4dcc3b5aa765d61d8327deb882cf99"})));
        assert!(found(
            json!({"client_secret": "sk_9fQ2xLr7Tb4mWz8KpV3nHc6Yd1"})
        ));
        assert!(!found(json!({"password": ""})));
        assert!(!found(
            json!({"name": "x", "has_password": true, "token_type": "Bearer"})
        ));
    }

    #[test]
    fn a_sensitive_name_alone_needs_a_real_value_that_reaches_another_owner() {
        let own = |v: Value| sensitive_field(&v, 0, &OwnData).is_some();
        let others = |v: Value| sensitive_field(&v, 0, &Everyone).is_some();
        // Masks, empty and placeholder values hide the secret, whoever reads them.
        for masked in [
            "**********",
            "********",
            "",
            "•••••",
            "xxxxxxxx",
            "your-secret-here",
        ] {
            assert!(!others(json!({"password": masked})), "{masked}");
        }
        assert!(!others(json!({"password": null, "token": null})));
        // The owner reading its own object's content field named `secret`.
        assert!(!own(
            json!({"id": 3, "title": "note", "secret": "my locker code is behind the door"})
        ));
        assert!(!own(json!({"passwordSalt": "abc"})));
        // The same plain value reaching someone else is a finding.
        assert!(others(json!({"email": "b@x.test", "password": "hunter2!"})));
    }

    #[test]
    fn other_users_objects_are_told_apart_from_the_callers() {
        let mut mine = crate::discover::Markers::default();
        mine.add("alice@corp.test");
        let mut theirs = crate::discover::Markers::default();
        theirs.add("bob@corp.test");
        let owners = OtherOwners {
            caller: Some("alice@corp.test"),
            mine: Some(&mine),
            others: vec![&theirs],
        };
        let found = |v: Value| sensitive_field(&v, 0, &owners).is_some();
        assert!(!found(
            json!([{"email": "alice@corp.test", "secret": "my own text"}])
        ));
        assert!(found(
            json!([{"email": "bob@corp.test", "secret": "bob's plain text"}])
        ));
        assert!(found(
            json!([{"username": "carol", "password": "plain-pw"}])
        ));
        assert!(!found(json!([{"title": "a note", "secret": "content"}])));
    }

    #[test]
    fn tenant_ids_come_from_common_profile_shapes() {
        assert_eq!(
            tenant_id(&json!({"organization": {"id": 2}})),
            Some("2".into())
        );
        assert_eq!(tenant_id(&json!({"tenant_id": "t-9"})), Some("t-9".into()));
        assert_eq!(tenant_id(&json!({"name": "x"})), None);
    }
}
