//! The inventory: endpoints with methods and parameters, who reached them with what
//! status, object references, and each identity's private markers.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{EndpointKey, IdKind, IdentityId, id_kind, path_pattern};
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
}

impl Endpoint {
    /// Whether this endpoint writes (changes state) when called.
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    pub fn has_path_id(&self) -> bool {
        self.pattern.contains("{id}")
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
    /// Object ids seen per identity: (id kind, value).
    pub object_ids: BTreeMap<IdentityId, BTreeSet<(IdKind, String)>>,
    /// Discovery stopped at a bound somewhere (pages, scripts, links).
    pub truncated: Vec<String>,
    /// Same-origin links each identity's pages showed (bounded), to tell links a UI
    /// merely hides from one role.
    pub links_seen: BTreeMap<IdentityId, BTreeSet<String>>,
}

const MAX_EXAMPLES: usize = 5;
const MAX_OBSERVATIONS: usize = 40;
const MAX_LINKS_SEEN: usize = 2000;

impl Inventory {
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
            });
        ep.origins.insert(origin);
        let concrete = !url.path().contains('{');
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

    /// Remembers ids found in a JSON response as belonging to `identity`.
    pub fn collect_ids(&mut self, identity: IdentityId, json: &Value) {
        let ids = self.object_ids.entry(identity).or_default();
        collect_ids_into(json, ids, 0);
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
}

fn collect_ids_into(v: &Value, out: &mut BTreeSet<(IdKind, String)>, depth: usize) {
    if depth > 8 || out.len() > 500 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                let k = k.to_ascii_lowercase();
                let id_key = k == "id"
                    || k == "uuid"
                    || k == "slug"
                    || k.ends_with("_id")
                    || k.ends_with("id") && k.len() <= 12;
                if id_key {
                    let text = match val {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    if let Some(t) = text {
                        let kind = id_kind(&t).or((k == "slug" && !t.is_empty() && t.len() <= 128)
                            .then_some(IdKind::Slug));
                        if let Some(kind) = kind {
                            out.insert((kind, t));
                        }
                    }
                }
                collect_ids_into(val, out, depth + 1);
            }
        }
        Value::Array(items) => items
            .iter()
            .take(200)
            .for_each(|i| collect_ids_into(i, out, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn ids_are_collected_from_json() {
        let mut inv = Inventory::default();
        let json = serde_json::json!({"items":[{"id":7,"name":"x"},{"invoice_id":"3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b","slug":"q3-plan"}]});
        inv.collect_ids(IdentityId::A, &json);
        let ids = &inv.object_ids[&IdentityId::A];
        assert!(ids.contains(&(IdKind::Integer, "7".into())));
        assert!(ids.contains(&(IdKind::Uuid, "3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b".into())));
        assert!(ids.contains(&(IdKind::Slug, "q3-plan".into())));
    }
}
