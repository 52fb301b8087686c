//! Discovery: crawl as each identity, read scripts and the OpenAPI document, add seeds,
//! and sweep the API so the inventory knows who reached what.

mod answers;
pub mod browser;
pub mod html;
pub mod inventory;
pub mod openapi;
pub mod refs;
pub mod scripts;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use futures_util::StreamExt;
use regex::Regex;
use serde_json::Value;
use url::Url;

pub use answers::Answers;
pub use inventory::{
    AppNames, BrowserFacts, Endpoint, Inventory, Markers, MethodOverride, Observation, Origin,
    Param, SeenForm,
};
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
/// Client-side routes kept for the crawl (each identity visits them).
const MAX_SCRIPT_PAGES: usize = 100;
/// Concrete URLs swept per endpoint pattern and identity.
const SWEEP_PER_PATTERN: usize = 2;

struct Crawl<'a> {
    http: &'a HttpLayer,
    config: &'a ScanConfig,
    inventory: Inventory,
    scripts_seen: HashSet<Url>,
    /// Digests of the scripts read, so one script under two URLs is read once.
    script_digests: HashSet<u64>,
    /// Ids a collection endpoint listed, per identity: (identity, collection path) -> ids.
    listed: BTreeMap<(IdentityId, String), Vec<String>>,
    /// Marker values an anonymous answer showed: public, so no identity's private data.
    public_markers: BTreeSet<String>,
    /// Concrete page routes of client-side routers, visited by every identity's crawl.
    script_pages: BTreeSet<Url>,
    /// The economy of requests: what one identity's answers prove for the others.
    shared: Shared,
}

/// What discovery learns once for every identity, so it is not fetched five times.
///
/// A URL is public when anonymous and tenant A got the same answer, byte for byte (a
/// page, a redirect, a 404; not a refusal): it does not depend on the session. Identities that hold no more than A
/// (tenant B, the same role in another tenant; the low-privilege member) then skip it
/// and take the links it showed; the admin, who may see more, still fetches it.
/// Pages with a password form, as an anonymous visitor sees them, are sign-in and
/// sign-up pages: a logged-in identity learns nothing there. The API description is
/// read once.
#[derive(Default)]
struct Shared {
    /// (status, body digest) of anonymous and of tenant A, per URL.
    anonymous: HashMap<Url, (u16, u64)>,
    tenant_a: HashMap<Url, (u16, u64)>,
    /// Same-origin links (and scripts) of pages proven public.
    public_links: HashMap<Url, Vec<Url>>,
    sign_in_pages: HashSet<Url>,
    /// The API description the crawl came across, with the URL that served it.
    openapi: Option<(Url, Value)>,
    /// Requests left out because another identity's answer decided them.
    skipped: usize,
    /// Concrete URLs the API description's own examples fill in, per route pattern:
    /// the only ones swept as identities that saw no id of their own.
    documented: HashMap<String, Vec<Url>>,
}

impl Shared {
    fn digest(resp: &Response) -> (u16, u64) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        resp.body.hash(&mut h);
        (resp.status, h.finish())
    }

    fn is_public(&self, url: &Url) -> bool {
        match (self.anonymous.get(url), self.tenant_a.get(url)) {
            // A refusal (401, 403) or a throttled or broken answer says nothing of others.
            (Some(anon), Some(a)) => {
                anon == a && anon.0 < 500 && !matches!(anon.0, 401 | 403 | 407 | 429)
            }
            _ => false,
        }
    }

    /// Whether `identity` may skip `url` because others' answers decided it.
    fn decided_for(&self, identity: IdentityId, url: &Url) -> bool {
        let holds_no_more_than_a = matches!(identity, IdentityId::B | IdentityId::Member);
        (identity != IdentityId::Anonymous && self.sign_in_pages.contains(url))
            || (holds_no_more_than_a && self.is_public(url))
            || self.openapi.as_ref().is_some_and(|(u, _)| u == url)
    }
}

/// The `Accept` header of the crawl's page requests: a page first, JSON next.
pub const PAGE_ACCEPT: &str = "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8";

/// Runs discovery and returns the inventory.
pub async fn discover(http: &HttpLayer, identities: &Identities, config: &ScanConfig) -> Inventory {
    let mut crawl = Crawl {
        http,
        config,
        inventory: Inventory::default(),
        scripts_seen: HashSet::new(),
        script_digests: HashSet::new(),
        listed: BTreeMap::new(),
        public_markers: BTreeSet::new(),
        script_pages: BTreeSet::new(),
        shared: Shared::default(),
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
    crawl.browse(identities).await;
    crawl.sweep(identities).await;
    crawl.drop_public_markers();
    tracing::debug!(
        skipped = crawl.shared.skipped,
        "discovery requests another identity's answer decided"
    );
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
        let mut answers: HashMap<Url, Option<String>> = HashMap::new();
        for identity in identities.authenticated() {
            let Some(check) = identity.config.as_ref().and_then(|c| c.check.as_ref()) else {
                continue;
            };
            let Some(markers) = self.inventory.markers.get(&identity.id) else {
                continue;
            };
            // Identities that share a check URL share its anonymous answer.
            if !answers.contains_key(&check.url) {
                let req = Request::get(check.url.clone()).anonymous();
                let text = match anonymous.send(self.http, req).await {
                    Ok(resp) if resp.is_success() => Some(resp.text().into_owned()),
                    _ => None,
                };
                answers.insert(check.url.clone(), text);
            }
            if let Some(Some(text)) = answers.get(&check.url) {
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
        if method == "GET" && origin != Origin::Browser {
            self.inventory.answers.keep(identity.id, url, resp);
        }
        if method == "GET" {
            match identity.id {
                IdentityId::Anonymous => {
                    self.shared
                        .anonymous
                        .insert(url.clone(), Shared::digest(resp));
                }
                IdentityId::A => {
                    self.shared
                        .tenant_a
                        .insert(url.clone(), Shared::digest(resp));
                }
                _ => {}
            }
        }
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
    /// form itself with the page that showed it to `identity`. A POST form carrying
    /// `_method` (Rails, Laravel) is recorded as the method it means, with how it is
    /// sent: a `_method=delete` form is a delete, for the families' rules on deletes.
    fn add_form(&mut self, identity: IdentityId, page: &Url, form: &crate::html::Form) {
        if !self.http.scope().contains(&form.action) {
            return;
        }
        self.inventory.saw_form(identity, page, form);
        let overridden = form.overridden_method();
        let method = overridden.clone().unwrap_or_else(|| form.method.clone());
        let key = self.inventory.add(&method, &form.action, Origin::Form);
        if let Some(ep) = self.inventory.endpoints.get_mut(&key) {
            if overridden.is_some() && ep.sent_as.is_none() {
                ep.sent_as = Some(inventory::MethodOverride {
                    method: form.method.clone(),
                    field: crate::html::METHOD_FIELD.to_string(),
                });
            }
            for input in form
                .inputs
                .iter()
                .filter(|i| overridden.is_none() || i.name != crate::html::METHOD_FIELD)
            {
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
        // Seeded pages are visited like start pages, so what they link to is found too.
        queue.extend(
            self.config
                .seeds
                .iter()
                .filter(|s| s.method == "GET" && !crate::model::has_placeholder(&s.url))
                .map(|s| (s.url.clone(), 0)),
        );
        if let Some(check) = identity.config.as_ref().and_then(|c| c.check.as_ref()) {
            queue.push_back((check.url.clone(), 0));
        }
        let mut seen: HashSet<Url> = HashSet::new();
        let mut fetched = 0usize;
        let mut scripts: Vec<Url> = Vec::new();
        // Links to other origins are never followed; a few are named in the report.
        let mut off_scope: BTreeSet<String> = BTreeSet::new();
        // Scripts are read after the pages that load them; the client-side routes they
        // name are then visited too (once more at most: routes are found in scripts).
        for round in 0..2 {
            while !queue.is_empty() && fetched < limits.max_pages {
                let room = limits.max_pages - fetched;
                let mut batch: Vec<(Url, usize)> = Vec::new();
                while batch.len() < room.min(CRAWL_PARALLEL * 4)
                    && let Some((u, depth)) = queue.pop_front()
                {
                    if !seen.insert(u.clone()) || !self.allowed(&u, identity) {
                        continue;
                    }
                    if self.shared.decided_for(identity.id, &u) {
                        self.shared.skipped += 1;
                        // A public page's links are this identity's links too.
                        for link in self
                            .shared
                            .public_links
                            .get(&u)
                            .cloned()
                            .unwrap_or_default()
                        {
                            self.inventory.saw_link(identity.id, &link);
                            if depth < limits.max_depth {
                                queue.push_back((link, depth + 1));
                            }
                        }
                        continue;
                    }
                    batch.push((u, depth));
                }
                if batch.is_empty() {
                    continue;
                }
                fetched += batch.len();
                let this = &*self;
                let results: Vec<((Url, usize), Result<Response, String>)> =
                    futures_util::stream::iter(batch)
                        .map(|(u, depth)| async move {
                            let r = this.fetch(identity, &u, PAGE_ACCEPT).await;
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
                    // The page a redirect landed on (`/app` -> `/login`) was fetched too:
                    // it is recorded as such and not asked again.
                    if resp.url != url
                        && self.http.scope().contains(&resp.url)
                        && seen.insert(resp.url.clone())
                    {
                        let mut landed = resp.clone();
                        landed.redirects.clear();
                        self.record(identity, "GET", &resp.url, Origin::Crawl, &landed);
                    }
                    if resp.is_html() && resp.is_success() {
                        self.inventory.pages.insert(url.to_string());
                        let page = html::parse_page(&resp.url, &resp.text());
                        // Where a visitor was sent (`/app` -> `/login`), not what it asked for.
                        if identity.is_anonymous() && page.forms.iter().any(|f| f.has_password()) {
                            self.shared.sign_in_pages.insert(resp.url.clone());
                        }
                        if self.shared.is_public(&url) {
                            let links = page
                                .links
                                .iter()
                                .filter(|l| self.http.scope().contains(l))
                                .cloned()
                                .collect();
                            self.shared.public_links.insert(url.clone(), links);
                        }
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
                        if openapi::is_openapi(&json) {
                            self.shared.openapi.get_or_insert((resp.url.clone(), json));
                            continue;
                        }
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
            self.read_scripts(identity, std::mem::take(&mut scripts))
                .await;
            let routes: Vec<Url> = self
                .script_pages
                .iter()
                .filter(|u| !seen.contains(*u))
                .cloned()
                .collect();
            if round == 1 || routes.is_empty() {
                break;
            }
            queue.extend(routes.into_iter().map(|u| (u, 1)));
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
    }

    fn add_script_facts(&mut self, base: &Url, source: &str) -> Vec<Url> {
        let facts = scripts::read_script(base, source);
        for name in &facts.names {
            self.inventory.app_names.add_bundle(name);
        }
        for page in &facts.pages {
            if let Ok(u) = base.join(page)
                && self.http.scope().contains(&u)
                && !crate::model::has_placeholder(&u)
                && self.script_pages.len() < MAX_SCRIPT_PAGES
            {
                self.script_pages.insert(u);
            }
        }
        for op in facts.graphql {
            if let Some(endpoint) = op.endpoint.as_deref().and_then(|e| base.join(e).ok())
                && self.http.scope().contains(&endpoint)
            {
                self.inventory.add("POST", &endpoint, Origin::Script);
            }
            self.inventory.add_graphql(op);
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
            self.script_digests.insert(content_digest(&resp.body));
            let chunks = self.add_script_facts(&resp.url, &resp.text());
            pending.extend(chunks);
        }
    }

    /// Loads the API description: the one the crawl came across, else from a link the
    /// crawl found or a well-known path, read once (by the first identity allowed to).
    async fn find_openapi(&mut self, identities: &Identities) {
        if let Some((url, doc)) = self.shared.openapi.take() {
            self.add_operations(&url, &doc);
            self.shared.openapi = Some((url, doc));
            return;
        }
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
                self.add_operations(&resp.url, &doc);
                self.shared.openapi = Some((resp.url.clone(), doc));
                return;
            }
        }
    }

    /// The operations of an API description, each with the concrete URL its examples
    /// fill in (a placeholder nothing fills stays a pattern, never requested as is).
    fn add_operations(&mut self, doc_url: &Url, doc: &Value) {
        let mut off_scope = 0usize;
        for op in openapi::operations(doc_url, doc) {
            if !self.http.scope().contains(&op.url) {
                off_scope += 1;
                continue;
            }
            let key = self.inventory.add(&op.method, &op.url, Origin::OpenApi);
            if let Some(example) = op.example_url.filter(|u| self.http.scope().contains(u)) {
                self.inventory.add_example(&key, example.clone());
                let known = self
                    .shared
                    .documented
                    .entry(key.pattern.clone())
                    .or_default();
                if known.len() < SWEEP_PER_PATTERN && !known.contains(&example) {
                    known.push(example);
                }
            }
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
        if off_scope > 0 {
            self.inventory.truncated.push(format!(
                "{off_scope} operation(s) of the API description at {} name a server outside the scope; add its origin to target.origins to test them",
                self.http.redactor().url(doc_url)
            ));
        }
        self.inventory.openapi = Some(doc_url.to_string());
    }

    /// Requests every safe (GET) endpoint as every identity, filling `{id}` with ids the
    /// identity itself saw listed, so the inventory knows who reached what.
    /// Identities that hold no more than tenant A go last, so what anonymous and A
    /// answered alike (see [`Shared`]) is not asked again.
    async fn sweep(&mut self, identities: &Identities) {
        let mut first: Vec<Arc<Identity>> = Vec::new();
        let mut last: Vec<Arc<Identity>> = Vec::new();
        for identity in identities.all() {
            if matches!(identity.id, IdentityId::B | IdentityId::Member) {
                last.push(Arc::clone(identity));
            } else {
                first.push(Arc::clone(identity));
            }
        }
        for step in 0..4 {
            let pass = step / 2;
            let stage = if step % 2 == 0 { &first } else { &last };
            let mut work: Vec<(Arc<Identity>, Url, (String, String))> = Vec::new();
            for ep in self.inventory.endpoints.values() {
                if ep.method != "GET" || ep.origins.iter().all(|o| *o == Origin::Crawl) {
                    continue;
                }
                for identity in stage {
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
                        // Ids the identity saw first; else the API description's examples.
                        let urls = self.instantiate(&ep.pattern, identity.id);
                        if urls.is_empty() {
                            self.shared
                                .documented
                                .get(&ep.pattern)
                                .cloned()
                                .unwrap_or_default()
                        } else {
                            urls
                        }
                    } else {
                        Vec::new()
                    };
                    for u in urls {
                        if visited.contains(u.as_str()) || !self.allowed(&u, identity) {
                            continue;
                        }
                        if self.shared.decided_for(identity.id, &u) {
                            self.shared.skipped += 1;
                        } else {
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

/// A digest of a body, to tell the same content under two URLs.
fn content_digest(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
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
