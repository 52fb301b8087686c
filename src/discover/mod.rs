//! Discovery: crawl as each identity, read scripts and the OpenAPI document, add seeds,
//! and sweep the API so the inventory knows who reached what.

pub mod html;
pub mod inventory;
pub mod openapi;
pub mod refs;
pub mod scripts;

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, LazyLock};

use futures_util::StreamExt;
use regex::Regex;
use serde_json::Value;
use url::Url;

pub use inventory::{AppNames, Endpoint, Inventory, Markers, Observation, Origin, Param, SeenForm};
pub use refs::{ObjectRef, RefSource};

use crate::auth::{Identities, Identity};
use crate::config::ScanConfig;
use crate::http::{HttpLayer, Request, Response};
use crate::model::IdentityId;

/// Links a crawler must not follow with GET: they end sessions or destroy things.
static UNSAFE_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(log-?out|sign-?out|log-?off|/exit\b|/destroy|/delete|/remove|/revoke|/unsubscribe|/reset)")
        .expect("valid regex")
});

/// Whether requesting `path` could end a session or destroy something (logout,
/// delete, revoke, reset...): such routes are never crawled nor probed with junk.
pub fn is_unsafe_path(path: &str) -> bool {
    UNSAFE_LINK.is_match(path)
}

/// Requests in flight per identity during the crawl (the HTTP layer caps the total).
const CRAWL_PARALLEL: usize = 4;
/// Concrete URLs swept per endpoint pattern and identity.
const SWEEP_PER_PATTERN: usize = 2;

struct Crawl<'a> {
    http: &'a HttpLayer,
    config: &'a ScanConfig,
    inventory: Inventory,
    scripts_seen: HashSet<Url>,
    /// Ids a collection endpoint listed, per identity: (identity, collection path) -> ids.
    listed: BTreeMap<(IdentityId, String), Vec<String>>,
    /// Marker values an anonymous answer showed: public, so no identity's private data.
    public_markers: BTreeSet<String>,
}

/// Runs discovery and returns the inventory.
pub async fn discover(http: &HttpLayer, identities: &Identities, config: &ScanConfig) -> Inventory {
    let mut crawl = Crawl {
        http,
        config,
        inventory: Inventory::default(),
        scripts_seen: HashSet::new(),
        listed: BTreeMap::new(),
        public_markers: BTreeSet::new(),
    };
    crawl.learn_markers(identities);
    crawl.profiles_seen_anonymously(identities).await;
    crawl.learn_session_refs(identities);
    for identity in identities.all() {
        crawl.crawl_as(identity).await;
    }
    crawl.find_openapi(identities).await;
    for seed in &config.seeds {
        crawl.inventory.add(&seed.method, &seed.url, Origin::Seed);
    }
    crawl.sweep(identities).await;
    crawl.drop_public_markers();
    crawl.inventory
}

impl Crawl<'_> {
    /// Each identity's private markers: its login name and the values of its own profile,
    /// minus anything an identity of another tenant also has (an org name every tenant
    /// sees is not private). Identities of one tenant may share markers.
    fn learn_markers(&mut self, identities: &Identities) {
        let mut per: BTreeMap<IdentityId, (String, Markers)> = BTreeMap::new();
        for id in identities.authenticated() {
            let mut m = Markers::default();
            if let Some(cfg) = &id.config
                && let crate::config::Login::Json { username, .. }
                | crate::config::Login::Form { username, .. }
                | crate::config::Login::Basic { username, .. }
                | crate::config::Login::Supabase {
                    email: username, ..
                } = &cfg.login
            {
                m.add(username);
            }
            if let Some(profile) = id.profile() {
                profile_strings(&profile, &mut m, 0);
            }
            let tenant = id.tenant().map_or(id.id.to_string(), |t| t.to_string());
            per.insert(id.id, (tenant, m));
        }
        let mut tenants_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (tenant, m) in per.values() {
            for v in &m.values {
                tenants_of
                    .entry(v.clone())
                    .or_default()
                    .insert(tenant.clone());
            }
        }
        self.inventory.markers = per
            .into_iter()
            .map(|(name, (_, mut m))| {
                m.values
                    .retain(|v| tenants_of.get(v).is_some_and(|t| t.len() == 1));
                (name, m)
            })
            .collect();
    }

    /// A profile value is private only if the profile's own URL, requested without
    /// credentials, does not show it too (a check URL that is a public page).
    async fn profiles_seen_anonymously(&mut self, identities: &Identities) {
        let anonymous = identities.anonymous();
        for identity in identities.authenticated() {
            let Some(check) = identity.config.as_ref().and_then(|c| c.check.as_ref()) else {
                continue;
            };
            let Some(markers) = self.inventory.markers.get(&identity.id) else {
                continue;
            };
            let req = Request::get(check.url.clone()).anonymous();
            let Ok(resp) = anonymous.send(self.http, req).await else {
                continue;
            };
            if resp.is_success() {
                let text = resp.text();
                self.public_markers.extend(
                    markers
                        .values
                        .iter()
                        .filter(|v| text.contains(v.as_str()))
                        .cloned(),
                );
            }
        }
    }

    /// Drops from every identity's markers the values an anonymous answer showed (a
    /// public list of user names, a name on a public page), and says so.
    fn drop_public_markers(&mut self) {
        if self.public_markers.is_empty() {
            return;
        }
        for m in self.inventory.markers.values_mut() {
            m.values.retain(|v| !self.public_markers.contains(v));
        }
        self.inventory.truncated.push(format!(
            "{} profile value(s) were shown to anonymous visitors too, so they do not count as private data",
            self.public_markers.len()
        ));
    }

    /// The ids each identity's own session hands it: its profile (the check answer),
    /// its login answer and its token's claims.
    fn learn_session_refs(&mut self, identities: &Identities) {
        for identity in identities.authenticated() {
            let mut found = Vec::new();
            if let Some(profile) = identity.profile() {
                found.extend(refs::refs_in_json(&profile, "user", RefSource::Profile));
            }
            if let Some(answer) = identity.login_answer() {
                found.extend(refs::refs_in_json(&answer, "user", RefSource::Login));
            }
            for claims in identity.token_claims() {
                found.extend(refs::refs_in_json(&claims, "", RefSource::Token));
            }
            self.inventory.add_refs(identity.id, found);
        }
    }

    fn allowed(&self, url: &Url, identity: &Identity) -> bool {
        if !self.http.scope().contains(url) || UNSAFE_LINK.is_match(url.path()) {
            return false;
        }
        let logout = identity.config.as_ref().and_then(|c| c.logout.as_ref());
        logout.is_none_or(|l| l.url.path() != url.path())
    }

    async fn fetch(
        &self,
        identity: &Identity,
        url: &Url,
        accept: &str,
    ) -> Result<Response, String> {
        self.fetch_with(identity, Request::get(url.clone()).header("Accept", accept))
            .await
    }

    /// A script or chunk, read up to `limits.script_cap_kib`: bundles are often several
    /// MiB, and a key past a 1 MiB cut would go unseen.
    async fn fetch_script(&self, identity: &Identity, url: &Url) -> Result<Response, String> {
        let req = Request::get(url.clone())
            .header("Accept", "*/*")
            .body_cap(self.config.limits.script_cap);
        self.fetch_with(identity, req).await
    }

    async fn fetch_with(&self, identity: &Identity, req: Request) -> Result<Response, String> {
        identity.send(self.http, req).await.map_err(|e| {
            tracing::debug!(identity = %identity.id, error = %e, "discovery request failed");
            e.to_string()
        })
    }

    /// Keeps a discovery request that got no response (a broken or oversized answer)
    /// or only part of one, so the report says which pages went unread; once per
    /// line, a bounded number.
    fn failed(&mut self, error: String) {
        const MAX_FAILURES: usize = 30;
        let line = format!("discovery: {error}");
        let failures = self
            .inventory
            .truncated
            .iter()
            .filter(|l| l.starts_with("discovery: "))
            .count();
        if failures < MAX_FAILURES && !self.inventory.truncated.contains(&line) {
            self.inventory.truncated.push(line);
        }
    }

    fn record(
        &mut self,
        identity: &Identity,
        method: &str,
        url: &Url,
        origin: Origin,
        resp: &Response,
    ) {
        let key = self.inventory.add(method, url, origin);
        if let Some(created) = resp.header("location").and_then(|l| url.join(l).ok())
            && let Some(r) = refs::ref_in_path(&created, RefSource::Location)
        {
            self.inventory.add_refs(identity.id, [r]);
        }
        let text = resp.text();
        if identity.is_anonymous()
            && resp.is_success()
            && resp.media_type().is_some_and(|t| t.contains("html"))
        {
            // What any visitor's page shows (a public member list) is no identity's
            // private data. A JSON answer is not taken as such: an API that hands out
            // a user's fields without a session is the leak item 2 looks for.
            for m in self.inventory.markers.values() {
                self.public_markers.extend(
                    m.values
                        .iter()
                        .filter(|v| text.contains(v.as_str()))
                        .cloned(),
                );
            }
        }
        let obs = Observation {
            identity: identity.id,
            url: url.to_string(),
            status: resp.status,
            content_type: resp.media_type(),
            bytes: resp.body.len(),
            markers_of: self.inventory.markers_in(&text),
        };
        self.inventory.observe(&key, obs);
        if resp.truncated {
            let limits = &self.config.limits;
            let why = if resp.body.len() >= limits.body_cap {
                format!("at limits.body_cap_kib = {}", limits.body_cap / 1024)
            } else {
                format!(
                    "by limits.timeout_secs = {} or a broken connection",
                    limits.timeout.as_secs_f64()
                )
            };
            let url = self.http.redactor().url(url);
            self.failed(format!("{method} {url}: body cut {why}, the rest unread"));
        }
        if resp.is_success()
            && let Some(json) = resp.json()
        {
            let root = refs::collection_of(url);
            self.inventory.add_refs(
                identity.id,
                refs::refs_in_json(&json, &root, RefSource::Response),
            );
            let ids = listed_ids(&json);
            if !ids.is_empty() {
                self.listed.insert(
                    (identity.id, url.path().trim_end_matches('/').to_string()),
                    ids,
                );
            }
        }
    }

    /// Records an in-scope form as an endpoint with its fields as parameters, and the
    /// form itself with the page that showed it to `identity`.
    fn add_form(&mut self, identity: IdentityId, page: &Url, form: &crate::html::Form) {
        if !self.http.scope().contains(&form.action) {
            return;
        }
        self.inventory.saw_form(identity, page, form);
        let key = self.inventory.add(&form.method, &form.action, Origin::Form);
        if let Some(ep) = self.inventory.endpoints.get_mut(&key) {
            for input in &form.inputs {
                let p = Param {
                    name: input.name.clone(),
                    location: "form".into(),
                    required: false,
                };
                if !ep.params.contains(&p) {
                    ep.params.push(p);
                }
            }
        }
    }

    /// Breadth-first crawl of HTML pages as one identity, bounded in pages and depth.
    async fn crawl_as(&mut self, identity: &Arc<Identity>) {
        let limits = &self.config.limits;
        let mut queue: VecDeque<(Url, usize)> =
            self.config.start.iter().map(|u| (u.clone(), 0)).collect();
        if let Some(check) = identity.config.as_ref().and_then(|c| c.check.as_ref()) {
            queue.push_back((check.url.clone(), 0));
        }
        let mut seen: HashSet<Url> = HashSet::new();
        let mut fetched = 0usize;
        let mut scripts: Vec<Url> = Vec::new();
        // Links to other origins are never followed; a few are named in the report.
        let mut off_scope: BTreeSet<String> = BTreeSet::new();
        while !queue.is_empty() && fetched < limits.max_pages {
            let room = limits.max_pages - fetched;
            let batch: Vec<(Url, usize)> = std::iter::from_fn(|| queue.pop_front())
                .filter(|(u, _)| seen.insert(u.clone()) && self.allowed(u, identity))
                .take(room.min(CRAWL_PARALLEL * 4))
                .collect();
            if batch.is_empty() {
                continue;
            }
            fetched += batch.len();
            let this = &*self;
            let results: Vec<((Url, usize), Result<Response, String>)> =
                futures_util::stream::iter(batch)
                    .map(|(u, depth)| async move {
                        let r = this
                            .fetch(
                                identity,
                                &u,
                                "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
                            )
                            .await;
                        ((u, depth), r)
                    })
                    .buffer_unordered(CRAWL_PARALLEL)
                    .collect()
                    .await;
            for ((url, depth), resp) in results {
                let resp = match resp {
                    Ok(r) => r,
                    Err(e) => {
                        self.failed(e);
                        continue;
                    }
                };
                self.record(identity, "GET", &url, Origin::Crawl, &resp);
                if resp.is_html() && resp.is_success() {
                    self.inventory.pages.insert(url.to_string());
                    let page = html::parse_page(&resp.url, &resp.text());
                    self.add_page_names(&page);
                    if page.parse_truncated {
                        self.inventory.truncated.push(format!(
                            "{url}: only the first {} KiB of the page were parsed",
                            html::MAX_PARSE_BYTES / 1024
                        ));
                    }
                    if page.links_truncated {
                        self.inventory.truncated.push(format!(
                            "{url}: links beyond {} were not followed",
                            page.links.len()
                        ));
                    }
                    for link in page.links {
                        if self.http.scope().contains(&link) {
                            self.inventory.saw_link(identity.id, &link);
                            if let Some(r) = refs::ref_in_path(&link, RefSource::Link) {
                                self.inventory.add_refs(identity.id, [r]);
                            }
                        } else if off_scope.len() < 5 {
                            off_scope.insert(self.http.redactor().url(&link));
                        }
                        if depth < limits.max_depth && self.http.scope().contains(&link) {
                            queue.push_back((link, depth + 1));
                        }
                    }
                    for form in &page.forms {
                        self.add_form(identity.id, &resp.url, form);
                        if form.is_create_form(&resp.url) {
                            self.inventory.saw_create_form(identity.id, &resp.url);
                        }
                    }
                    scripts.extend(page.scripts);
                    for inline in &page.inline_scripts {
                        self.add_script_facts(&resp.url, inline);
                    }
                } else if resp.is_success()
                    && let Some(json) = resp.json()
                {
                    for name in manifest_names(&json) {
                        self.inventory.app_names.add_declared(name);
                    }
                    for link in json_links(&resp.url, &json) {
                        if self.http.scope().contains(&link) {
                            self.inventory.add("GET", &link, Origin::Json);
                        }
                    }
                }
            }
        }
        if !off_scope.is_empty() {
            let names: Vec<String> = off_scope.into_iter().collect();
            self.inventory.truncated.push(format!(
                "crawl as {}: links to other origins recorded, not followed: {}",
                identity.id,
                names.join(", ")
            ));
        }
        if !queue.is_empty() {
            self.inventory.truncated.push(format!(
                "crawl as {} stopped at limits.max_pages = {}",
                identity.id, limits.max_pages
            ));
        }
        self.read_scripts(identity, scripts).await;
    }

    fn add_script_facts(&mut self, base: &Url, source: &str) -> Vec<Url> {
        let facts = scripts::read_script(base, source);
        for name in &facts.names {
            self.inventory.app_names.add_bundle(name);
        }
        for (method, path) in facts.paths {
            if let Ok(u) = base.join(&path)
                && self.http.scope().contains(&u)
            {
                self.inventory
                    .add(method.as_deref().unwrap_or("GET"), &u, Origin::Script);
            }
        }
        facts.chunks
    }

    /// What a page calls the app: its title and name-declaring `<meta>` tags.
    fn add_page_names(&mut self, page: &html::Page) {
        let names = &mut self.inventory.app_names;
        if let Some(title) = &page.title {
            names.add_title(title);
        }
        for (name, content) in &page.metas {
            if AppNames::NAME_METAS.contains(&name.to_ascii_lowercase().as_str()) {
                names.add_declared(content);
            }
        }
    }

    /// Fetches scripts and the chunks they load, bounded by `limits.max_scripts`, one at
    /// a time, each up to `limits.script_cap_kib`.
    async fn read_scripts(&mut self, identity: &Identity, mut pending: Vec<Url>) {
        while let Some(url) = pending.pop() {
            if self.scripts_seen.len() >= self.config.limits.max_scripts {
                self.inventory.truncated.push(format!(
                    "scripts beyond limits.max_scripts = {} were not read",
                    self.config.limits.max_scripts
                ));
                return;
            }
            if !self.http.scope().contains(&url) || !self.scripts_seen.insert(url.clone()) {
                continue;
            }
            let resp = match self.fetch_script(identity, &url).await {
                Ok(r) => r,
                Err(e) => {
                    self.failed(e);
                    continue;
                }
            };
            if !resp.is_success() {
                continue;
            }
            self.inventory.scripts.insert(url.to_string());
            let chunks = self.add_script_facts(&resp.url, &resp.text());
            pending.extend(chunks);
        }
    }

    /// Loads the API description from a well-known path (or a link the crawl found).
    async fn find_openapi(&mut self, identities: &Identities) {
        let mut candidates: Vec<Url> = self
            .inventory
            .endpoints()
            .filter(|e| {
                e.method == "GET"
                    && (e.pattern.contains("openapi")
                        || e.pattern.contains("swagger")
                        || e.pattern.contains("api-docs"))
            })
            .flat_map(|e| e.examples.clone())
            .collect();
        for path in openapi::WELL_KNOWN {
            if let Ok(u) = self.config.target.join(path) {
                candidates.push(u);
            }
        }
        let mut tried = HashSet::new();
        let who: Vec<Arc<Identity>> = identities.all().iter().take(2).cloned().collect();
        for url in candidates {
            if !tried.insert(url.clone()) || !self.http.scope().contains(&url) {
                continue;
            }
            for identity in &who {
                let Ok(resp) = self.fetch(identity, &url, "application/json").await else {
                    continue;
                };
                if resp.status == 401 || resp.status == 403 {
                    continue; // Maybe the next identity may read it.
                }
                let Some(doc) = resp.json().filter(openapi::is_openapi) else {
                    break;
                };
                for op in openapi::operations(&resp.url, &doc) {
                    if !self.http.scope().contains(&op.url) {
                        continue;
                    }
                    let key = self.inventory.add(&op.method, &op.url, Origin::OpenApi);
                    if let Some(ep) = self.inventory.endpoints.get_mut(&key) {
                        for p in op.params {
                            if !ep.params.contains(&p) {
                                ep.params.push(p);
                            }
                        }
                        ep.body_example = ep.body_example.take().or(op.body_example);
                        ep.requires_auth = op.requires_auth;
                    }
                }
                self.inventory.openapi = Some(resp.url.to_string());
                return;
            }
        }
    }

    /// Requests every safe (GET) endpoint as every identity, filling `{id}` with ids the
    /// identity itself saw listed, so the inventory knows who reached what.
    async fn sweep(&mut self, identities: &Identities) {
        for pass in 0..2 {
            let mut work: Vec<(Arc<Identity>, Url, (String, String))> = Vec::new();
            for ep in self.inventory.endpoints.values() {
                if ep.method != "GET" || ep.origins.iter().all(|o| *o == Origin::Crawl) {
                    continue;
                }
                for identity in identities.all() {
                    let visited: BTreeSet<&str> = ep
                        .observations
                        .iter()
                        .filter(|o| o.identity == identity.id)
                        .map(|o| o.url.as_str())
                        .collect();
                    let urls: Vec<Url> = if pass == 0 && !ep.has_path_id() {
                        ep.examples
                            .iter()
                            .take(SWEEP_PER_PATTERN)
                            .cloned()
                            .collect()
                    } else if pass == 1 && ep.has_path_id() {
                        self.instantiate(&ep.pattern, identity.id)
                    } else {
                        Vec::new()
                    };
                    for u in urls {
                        if !visited.contains(u.as_str()) && self.allowed(&u, identity) {
                            work.push((
                                Arc::clone(identity),
                                u,
                                (ep.method.clone(), ep.pattern.clone()),
                            ));
                        }
                    }
                }
            }
            let http = self.http;
            let results: Vec<_> = futures_util::stream::iter(work)
                .map(|(identity, url, _key)| async move {
                    let req =
                        Request::get(url.clone()).header("Accept", "application/json, */*;q=0.5");
                    let resp = identity.send(http, req).await.ok();
                    (identity, url, resp)
                })
                .buffer_unordered(CRAWL_PARALLEL * 2)
                .collect()
                .await;
            for (identity, url, resp) in results {
                if let Some(resp) = resp {
                    self.record(&identity, "GET", &url, Origin::Crawl, &resp);
                }
            }
        }
    }

    /// Concrete URLs for a pattern with one `{id}` at the end, from ids that `identity`
    /// saw in the matching collection, or else ids it saw under a name that fits the
    /// collection (`cartId` for `/carts/{id}`).
    fn instantiate(&self, pattern: &str, identity: IdentityId) -> Vec<Url> {
        let Some(prefix) = pattern.strip_suffix("/{id}") else {
            return Vec::new();
        };
        if prefix.contains("{id}") {
            return Vec::new();
        }
        let collection = prefix.rsplit('/').next().unwrap_or_default();
        let ids: Vec<&str> = match self.listed.get(&(identity, prefix.to_string())) {
            Some(ids) => ids.iter().map(String::as_str).collect(),
            None => self
                .inventory
                .refs_of(identity)
                .iter()
                .filter(|r| refs::fit(&r.field, collection) > 0)
                .map(|r| r.value.as_str())
                .collect(),
        };
        ids.into_iter()
            .take(SWEEP_PER_PATTERN)
            .filter_map(|id| {
                self.config
                    .target
                    .join(&format!("{prefix}/{}", crate::model::path_segment(id)))
                    .ok()
            })
            .collect()
    }
}

/// String values of an identity's own profile that can identify it.
fn profile_strings(v: &Value, m: &mut Markers, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                let k = k.to_ascii_lowercase();
                match val {
                    Value::String(s)
                        if !matches!(
                            k.as_str(),
                            "role" | "roles" | "type" | "status" | "plan" | "locale" | "timezone"
                        ) =>
                    {
                        m.add(s)
                    }
                    Value::Object(_) | Value::Array(_) => profile_strings(val, m, depth + 1),
                    _ => {}
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .take(20)
            .for_each(|i| profile_strings(i, m, depth + 1)),
        _ => {}
    }
}

/// Ids of the objects a collection response lists, in order.
pub fn listed_ids(json: &Value) -> Vec<String> {
    listed_items(json)
        .into_iter()
        .filter_map(|item| {
            let o = item.as_object()?;
            ["id", "uuid", "slug", "key"]
                .iter()
                .find_map(|k| match o.get(*k)? {
                    Value::String(s) if !s.is_empty() && s.len() <= 128 => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
        })
        .collect()
}

/// The rows of a listing (at most 50): the answer itself when it is an array, else the
/// array under a conventional key (`data`, `items`, `results`...) or the first one.
pub fn listed_items(json: &Value) -> Vec<&Value> {
    let items = match json {
        Value::Array(a) => Some(a),
        Value::Object(o) => [
            "data", "items", "results", "records", "rows", "list", "entries",
        ]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_array))
        .or_else(|| o.values().find_map(Value::as_array)),
        _ => None,
    };
    items.map_or_else(Vec::new, |a| a.iter().take(50).collect())
}

/// Same-origin links inside JSON (`"href": "/api/x/1"`, `"url": "..."`).
/// A web app manifest's `name` and `short_name` (a JSON object with `start_url` or
/// `icons` beside them).
fn manifest_names(v: &Value) -> Vec<&str> {
    let is_manifest = v.get("start_url").is_some() || v.get("icons").is_some();
    if !is_manifest {
        return Vec::new();
    }
    ["name", "short_name"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_str))
        .collect()
}

fn json_links(base: &Url, v: &Value) -> Vec<Url> {
    let mut out = Vec::new();
    fn walk(base: &Url, v: &Value, out: &mut Vec<Url>, depth: usize) {
        if depth > 6 || out.len() > 200 {
            return;
        }
        match v {
            Value::Object(m) => {
                for (k, val) in m {
                    if let Value::String(s) = val
                        && matches!(k.as_str(), "href" | "url" | "self" | "link" | "next")
                        && (s.starts_with('/') || s.starts_with("http"))
                        && let Ok(u) = base.join(s)
                    {
                        out.push(u);
                    } else {
                        walk(base, val, out, depth + 1);
                    }
                }
            }
            Value::Array(a) => a
                .iter()
                .take(100)
                .for_each(|i| walk(base, i, out, depth + 1)),
            _ => {}
        }
    }
    walk(base, v, &mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_web_manifest_declares_the_apps_name() {
        let manifest = serde_json::json!({
            "name": "Acme Notes", "short_name": "Acme", "start_url": "/", "icons": []
        });
        assert_eq!(manifest_names(&manifest), ["Acme Notes", "Acme"]);
        let api = serde_json::json!({"name": "a project", "id": 4});
        assert!(manifest_names(&api).is_empty());
    }
}
