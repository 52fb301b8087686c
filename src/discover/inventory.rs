//! The inventory: endpoints with methods and parameters, who reached them with what
//! status, object references, and each identity's private markers.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::refs::ObjectRef;
use super::scripts::GraphqlOperation;
use crate::model::{EndpointKey, IdentityId, has_placeholder, path_pattern};
use serde_json::Value;
use url::Url;

/// Where an endpoint was learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Crawl,
    Form,
    Script,
    OpenApi,
    Seed,
    Json,
    /// An XHR, fetch or WebSocket call the app's page made in a real browser.
    Browser,
}

/// One identity's visit to a concrete URL.
#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    pub identity: IdentityId,
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub bytes: usize,
    /// Which identities' private markers the response carried.
    pub markers_of: Vec<IdentityId>,
}

/// A parameter of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Param {
    pub name: String,
    /// `path`, `query`, `body` or `form`.
    pub location: String,
    pub required: bool,
}

/// A method and path pattern the app answers.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub method: String,
    pub pattern: String,
    pub origins: BTreeSet<Origin>,
    /// Concrete URLs known for it (bounded).
    pub examples: Vec<Url>,
    pub params: Vec<Param>,
    /// An example JSON body (from OpenAPI or an observed request).
    pub body_example: Option<Value>,
    /// The operation needs credentials according to the OpenAPI document.
    pub requires_auth: Option<bool>,
    pub observations: Vec<Observation>,
    /// How the app's own HTML form sends this method, where HTML can only POST: a POST
    /// whose `_method` field names it (Rails, Laravel). `None`: sent as itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_as: Option<MethodOverride>,
}

/// A method sent the way a framework's method override expects: `method` (POST) with
/// the real one in the form field `field`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodOverride {
    pub method: String,
    pub field: String,
}

impl Endpoint {
    /// Whether this endpoint writes (changes state) when called.
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    /// A write of `body` to `url` the way this endpoint takes it: JSON with its method,
    /// or, for a method only a form override reaches (`_method=patch`), a POST form of
    /// the body's top-level values with the override field. Nested values have no form
    /// field to go in and are left out.
    pub fn write_request(&self, url: Url, body: &Value) -> crate::http::Request {
        use crate::http::Request;
        let req = match &self.sent_as {
            None => Request::new(&self.method, url).json(body),
            Some(o) => {
                let mut fields: Vec<(String, String)> = body
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| **k != o.field)
                    .filter_map(|(k, v)| {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            Value::Number(n) => n.to_string(),
                            Value::Bool(b) => b.to_string(),
                            Value::Null => String::new(),
                            _ => return None,
                        };
                        Some((k.clone(), text))
                    })
                    .collect();
                fields.push((o.field.clone(), self.method.to_ascii_lowercase()));
                Request::new(&o.method, url).form(&fields)
            }
        };
        req.header("Accept", "application/json")
    }

    pub fn has_path_id(&self) -> bool {
        self.pattern.contains("{id}")
    }
}

/// An HTML form the crawl found: the page that showed it, who saw it, and its inputs as
/// that page set them. Probes that submit it fetch the page again as that identity, so
/// hidden values (CSRF tokens) are fresh and belong to the sending session.
#[derive(Debug, Clone)]
pub struct SeenForm {
    pub page: Url,
    pub identity: IdentityId,
    pub form: crate::html::Form,
}

impl SeenForm {
    /// The route it submits to, as a pattern (`POST /app/projects/search`), under the
    /// method the form means (a POST carrying `_method=delete` is `DELETE`).
    pub fn key(&self) -> EndpointKey {
        EndpointKey::new(
            &self.form.effective_method(),
            path_pattern(self.form.action.path()),
        )
    }
}

/// Values that belong to one identity and must never reach another.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Markers {
    pub values: BTreeSet<String>,
}

impl Markers {
    /// Adds a marker if it is distinctive enough not to appear by chance.
    pub fn add(&mut self, value: &str) {
        let v = value.trim();
        let distinctive = v.len() >= 6 || (v.contains('@') && v.len() >= 5);
        if distinctive && v.len() <= 256 {
            self.values.insert(v.to_string());
        }
    }

    /// The first marker found in `text`.
    pub fn found_in(&self, text: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|m| text.contains(m.as_str()))
            .map(String::as_str)
    }
}

/// Everything discovery learned.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    pub endpoints: BTreeMap<EndpointKey, Endpoint>,
    pub pages: BTreeSet<String>,
    pub scripts: BTreeSet<String>,
    pub openapi: Option<String>,
    /// Private markers per identity name.
    pub markers: BTreeMap<IdentityId, Markers>,
    /// Object ids each identity saw, with where it saw them.
    pub object_refs: BTreeMap<IdentityId, Vec<ObjectRef>>,
    /// Discovery stopped at a bound somewhere (pages, scripts, links).
    pub truncated: Vec<String>,
    /// Same-origin links each identity's pages showed (bounded), to tell links a UI
    /// merely hides from one role.
    pub links_seen: BTreeMap<IdentityId, BTreeSet<String>>,
    /// Pages holding a form that creates an object (see `Form::is_create_form`), with
    /// the identities that saw it there (bounded): canaries of form-only apps.
    pub create_forms: BTreeMap<Url, BTreeSet<IdentityId>>,
    /// Forms the crawl found, one per route they submit to (bounded). Not serialized:
    /// their hidden values may be session tokens.
    #[serde(skip)]
    pub forms: Vec<SeenForm>,
    /// What the app calls itself, for the JWT check's guesses at its signing secret.
    pub app_names: AppNames,
    /// GraphQL operations the app's scripts send, with their endpoint (bounded).
    pub graphql: Vec<GraphqlOperation>,
    /// What the browser phase learned beyond endpoints (`discovery.browser`).
    pub browser: BrowserFacts,
    /// Discovery's answers to plain GETs (bounded), read by families instead of asking
    /// the same again. Not serialized: they carry session headers.
    #[serde(skip)]
    pub answers: super::answers::Answers,
}

/// What a real browser showed beyond endpoints: the request headers the app's own
/// script sets on its calls, WebSocket URLs, and the pages and client-side routes each
/// identity's browser reached.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BrowserFacts {
    /// Per endpoint, header names (never values) the page set: `authorization`,
    /// `x-csrf-token`, `x-api-key`..., which a replay may need too.
    pub headers: BTreeMap<EndpointKey, BTreeSet<String>>,
    /// WebSocket URLs each identity's page opened (recorded, never connected).
    pub websockets: BTreeMap<IdentityId, BTreeSet<String>>,
    /// Pages and client-side routes each identity's browser showed.
    pub pages: BTreeMap<IdentityId, BTreeSet<String>>,
    /// How the browser phase went; `None` when it was not asked for.
    pub summary: Option<super::browser::BrowserSummary>,
}

/// What the app calls itself (bounded): the words the JWT weak-secret check derives
/// its app-specific guesses from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AppNames {
    /// `<meta name=application-name>`, `og:site_name`, `apple-mobile-web-app-title`,
    /// a web manifest's `name` and `short_name`.
    pub declared: BTreeSet<String>,
    /// Distinct page titles.
    pub titles: BTreeSet<String>,
    /// Identifiers in client scripts: reverse-DNS bundle ids, `appName`-like values.
    pub bundle: BTreeSet<String>,
}

const MAX_DECLARED_NAMES: usize = 20;
const MAX_TITLES: usize = 200;
const MAX_BUNDLE_NAMES: usize = 50;
/// Characters kept of one name or title.
const MAX_NAME_CHARS: usize = 200;

impl AppNames {
    /// The `<meta>` names that declare the app's name.
    pub const NAME_METAS: &[&str] = &[
        "application-name",
        "apple-mobile-web-app-title",
        "og:site_name",
    ];

    pub fn add_declared(&mut self, name: &str) {
        bounded_insert(&mut self.declared, name, MAX_DECLARED_NAMES);
    }

    pub fn add_title(&mut self, title: &str) {
        bounded_insert(&mut self.titles, title, MAX_TITLES);
    }

    pub fn add_bundle(&mut self, name: &str) {
        bounded_insert(&mut self.bundle, name, MAX_BUNDLE_NAMES);
    }
}

fn bounded_insert(set: &mut BTreeSet<String>, value: &str, max: usize) {
    let value: String = value.trim().chars().take(MAX_NAME_CHARS).collect();
    if !value.is_empty() && set.len() < max {
        set.insert(value);
    }
}

const MAX_EXAMPLES: usize = 5;
const MAX_OBSERVATIONS: usize = 40;
const MAX_LINKS_SEEN: usize = 2000;
const MAX_REFS: usize = 500;
const MAX_CREATE_FORMS: usize = 20;
const MAX_FORMS: usize = 100;
const MAX_GRAPHQL: usize = 200;

impl Inventory {
    /// Records that `identity` saw a create form on `page`.
    pub fn saw_create_form(&mut self, identity: IdentityId, page: &Url) {
        if self.create_forms.len() < MAX_CREATE_FORMS || self.create_forms.contains_key(page) {
            self.create_forms
                .entry(page.clone())
                .or_default()
                .insert(identity);
        }
    }

    /// Records that `method url` exists, learned from `origin`. Returns its key.
    pub fn add(&mut self, method: &str, url: &Url, origin: Origin) -> EndpointKey {
        let pattern = path_pattern(url.path());
        let key = EndpointKey::new(method, pattern.clone());
        let ep = self
            .endpoints
            .entry(key.clone())
            .or_insert_with(|| Endpoint {
                method: method.to_ascii_uppercase(),
                pattern,
                origins: BTreeSet::new(),
                examples: Vec::new(),
                params: Vec::new(),
                body_example: None,
                requires_auth: None,
                observations: Vec::new(),
                sent_as: None,
            });
        ep.origins.insert(origin);
        // A template (`/carts/{id}`) is filled from ids an identity saw, never sent as is.
        let concrete = !has_placeholder(url);
        if concrete && ep.examples.len() < MAX_EXAMPLES && !ep.examples.contains(url) {
            ep.examples.push(url.clone());
        }
        for (name, _) in url.query_pairs() {
            let p = Param {
                name: name.into_owned(),
                location: "query".into(),
                required: false,
            };
            if !ep.params.contains(&p) {
                ep.params.push(p);
            }
        }
        key
    }

    /// Adds a concrete URL of the endpoint `key` that its pattern alone would not give
    /// (an API description's example `/reports/daily` for `/reports/{kind}`).
    pub fn add_example(&mut self, key: &EndpointKey, url: Url) {
        if let Some(ep) = self.endpoints.get_mut(key)
            && !has_placeholder(&url)
            && ep.examples.len() < MAX_EXAMPLES
            && !ep.examples.contains(&url)
        {
            ep.examples.push(url);
        }
    }

    /// Remembers a GraphQL operation a script sends (once, bounded).
    pub fn add_graphql(&mut self, op: GraphqlOperation) {
        if self.graphql.len() < MAX_GRAPHQL && !self.graphql.contains(&op) {
            self.graphql.push(op);
        }
    }

    pub fn observe(&mut self, key: &EndpointKey, obs: Observation) {
        if let Some(ep) = self.endpoints.get_mut(key)
            && ep.observations.len() < MAX_OBSERVATIONS
        {
            ep.observations.push(obs);
        }
    }

    /// Which identities' markers `text` carries.
    pub fn markers_in(&self, text: &str) -> Vec<IdentityId> {
        self.markers
            .iter()
            .filter(|(_, m)| m.found_in(text).is_some())
            .map(|(n, _)| *n)
            .collect()
    }

    /// Remembers object ids `identity` saw (one per value and field, bounded).
    pub fn add_refs(&mut self, identity: IdentityId, refs: impl IntoIterator<Item = ObjectRef>) {
        let known = self.object_refs.entry(identity).or_default();
        for r in refs {
            if known.len() >= MAX_REFS {
                return;
            }
            if !known
                .iter()
                .any(|k| k.value == r.value && k.field == r.field)
            {
                known.push(r);
            }
        }
    }

    /// Remembers a form `identity` saw on `page`: the first one seen per route it
    /// submits to (the same form shown to several identities is one form).
    pub fn saw_form(&mut self, identity: IdentityId, page: &Url, form: &crate::html::Form) {
        let seen = SeenForm {
            page: page.clone(),
            identity,
            form: form.clone(),
        };
        let key = seen.key();
        if self.forms.len() < MAX_FORMS && !self.forms.iter().any(|f| f.key() == key) {
            self.forms.push(seen);
        }
    }

    /// The object ids `identity` saw.
    pub fn refs_of(&self, identity: IdentityId) -> &[ObjectRef] {
        self.object_refs.get(&identity).map_or(&[], Vec::as_slice)
    }

    /// Remembers that `identity`'s pages link to `url`.
    pub fn saw_link(&mut self, identity: IdentityId, url: &Url) {
        let links = self.links_seen.entry(identity).or_default();
        if links.len() < MAX_LINKS_SEEN {
            links.insert(url.to_string());
        }
    }

    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.values()
    }

    /// How many endpoints each identity was answered with a 2xx.
    pub fn reached_by_identity(&self) -> BTreeMap<IdentityId, u64> {
        let mut counts = BTreeMap::new();
        for ep in self.endpoints() {
            let reached: BTreeSet<IdentityId> = ep
                .observations
                .iter()
                .filter(|o| (200..300).contains(&o.status))
                .map(|o| o.identity)
                .collect();
            for id in reached {
                *counts.entry(id).or_default() += 1;
            }
        }
        counts
    }

    /// How many endpoints each source revealed, by the source's report name.
    pub fn endpoints_by_source(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for origin in self.endpoints().flat_map(|ep| ep.origins.iter()) {
            let name = serde_json::to_value(origin)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            *counts.entry(name).or_default() += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IdKind, id_kind};

    #[test]
    fn app_names_are_trimmed_deduplicated_and_bounded() {
        let mut names = AppNames::default();
        for n in 0..MAX_TITLES + 50 {
            names.add_title(&format!("  Page {n} · Acme  "));
        }
        names.add_declared(" Acme Notes ");
        names.add_declared("Acme Notes");
        names.add_declared("   ");
        names.add_bundle(&"x".repeat(1000));
        assert_eq!(names.titles.len(), MAX_TITLES);
        assert!(names.titles.contains("Page 0 · Acme"));
        assert_eq!(names.declared.len(), 1);
        assert_eq!(
            names.bundle.first().map(|b| b.chars().count()),
            Some(MAX_NAME_CHARS)
        );
    }

    #[test]
    fn a_write_goes_the_way_its_endpoint_takes_it() {
        let url = Url::parse("http://127.0.0.1:1/notes/4").unwrap();
        let mut inv = Inventory::default();
        let key = inv.add("PATCH", &url, Origin::Form);
        let body = serde_json::json!({"note[title]": "Mine", "n": 3, "tags": ["x"]});
        let ep = inv.endpoints.get_mut(&key).unwrap();
        let json = ep.write_request(url.clone(), &body);
        assert_eq!(json.method, "PATCH");
        assert!(json.body.as_ref().unwrap().content_type.contains("json"));
        ep.sent_as = Some(MethodOverride {
            method: "POST".into(),
            field: "_method".into(),
        });
        let form = ep.write_request(url, &body);
        assert_eq!(form.method, "POST");
        let sent = String::from_utf8(form.body.unwrap().bytes.to_vec()).unwrap();
        assert_eq!(sent, "n=3&note%5Btitle%5D=Mine&_method=patch");
    }

    #[test]
    fn ids_are_classified_and_templated() {
        assert_eq!(id_kind("42"), Some(IdKind::Integer));
        assert_eq!(
            id_kind("3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b"),
            Some(IdKind::Uuid)
        );
        assert_eq!(id_kind("507f1f77bcf86cd799439011"), Some(IdKind::Hex));
        assert_eq!(id_kind("projects"), None);
        assert_eq!(id_kind("settings-page"), None);
        assert_eq!(
            path_pattern("/api/projects/42/tasks/7"),
            "/api/projects/{id}/tasks/{id}"
        );
        assert_eq!(path_pattern("/api/v2/users"), "/api/v2/users");
        assert_eq!(path_pattern("/api/items/%7BitemId%7D"), "/api/items/{id}");
    }

    #[test]
    fn a_form_is_kept_once_per_route_with_the_page_that_showed_it() {
        let page = Url::parse("http://127.0.0.1:1/app/projects").unwrap();
        let html = r#"<form method="post" action="/app/projects/search">
            <input type="hidden" name="csrf_token" value="t1"><input type="search" name="q"></form>"#;
        let form = crate::html::login_form(&page, html, Some("form")).unwrap();
        let mut inv = Inventory::default();
        inv.saw_form(IdentityId::B, &page, &form);
        inv.saw_form(IdentityId::Admin, &page, &form);
        assert_eq!(inv.forms.len(), 1);
        assert_eq!(inv.forms[0].identity, IdentityId::B);
        assert_eq!(inv.forms[0].page, page);
        assert_eq!(
            inv.forms[0].key(),
            EndpointKey::new("POST", "/app/projects/search".to_string())
        );
    }

    #[test]
    fn a_method_field_names_the_forms_method_only_on_a_post() {
        let page = Url::parse("http://127.0.0.1:1/notes/7").unwrap();
        let form = |html: &str| crate::html::login_form(&page, html, Some("form")).unwrap();
        let delete = form(
            r#"<form method="post" action="/notes/7"><input type="hidden" name="_method" value="delete"></form>"#,
        );
        assert_eq!(delete.effective_method(), "DELETE");
        let patch = form(
            r#"<form method="post" action="/notes/7"><input type="hidden" name="_method" value="Patch"><input name="title" value="x"></form>"#,
        );
        assert_eq!(patch.effective_method(), "PATCH");
        // Only PUT, PATCH and DELETE; a GET form's field changes nothing.
        let other = form(
            r#"<form method="post" action="/notes"><input type="hidden" name="_method" value="get"><textarea name="entry"></textarea></form>"#,
        );
        assert_eq!(other.effective_method(), "POST");
        let get = form(
            r#"<form method="get" action="/notes"><input type="hidden" name="_method" value="delete"></form>"#,
        );
        assert_eq!(get.effective_method(), "GET");
        let seen = SeenForm {
            page: page.clone(),
            identity: IdentityId::A,
            form: delete,
        };
        assert_eq!(
            seen.key(),
            EndpointKey::new("DELETE", "/notes/{id}".to_string())
        );
        // An overriding form on a "new" page is not a create form.
        let new_page = Url::parse("http://127.0.0.1:1/notes/new").unwrap();
        let put = crate::html::login_form(
            &new_page,
            r#"<form method="post" action="/notes"><input type="hidden" name="_method" value="put"><textarea name="entry"></textarea></form>"#,
            Some("form"),
        )
        .unwrap();
        assert!(!put.is_create_form(&new_page));
    }

    #[test]
    fn markers_need_to_be_distinctive() {
        let mut m = Markers::default();
        m.add("1");
        m.add("alice@acme.test");
        assert_eq!(m.values.len(), 1);
        assert_eq!(
            m.found_in("owner: alice@acme.test"),
            Some("alice@acme.test")
        );
    }

    #[test]
    fn ids_are_collected_from_json_with_their_fields() {
        let mut inv = Inventory::default();
        let json = serde_json::json!({"items":[{"id":7,"name":"x"},{"invoice_id":"3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b","slug":"q3-plan"}]});
        let refs = super::super::refs::refs_in_json(
            &json,
            "invoices",
            super::super::refs::RefSource::Response,
        );
        inv.add_refs(IdentityId::A, refs.clone());
        inv.add_refs(IdentityId::A, refs);
        let seen: Vec<(&str, &str)> = inv
            .refs_of(IdentityId::A)
            .iter()
            .map(|r| (r.field.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("invoices", "7"),
                ("invoice_id", "3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b"),
                ("invoices", "q3-plan")
            ]
        );
    }
}
