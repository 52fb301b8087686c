//! Objects the scanner creates (canaries) and may therefore change and delete.
//!
//! Safe mode means every write or delete a probe sends targets one of these, never an
//! object of the app's real users. Each carries a unique marker string, so a probe can
//! prove that the object (and not merely "some 200") reached another identity.

use std::sync::Mutex;

use serde_json::{Map, Value};
use url::Url;

use crate::auth::{Identities, Identity};
use crate::config::{CanaryConfig, ScanConfig};
use crate::discover::{Endpoint, Inventory, Origin};
use crate::http::{HttpLayer, Request, Response};
use crate::model::{EndpointKey, IdentityId};

/// Field names whose value is free text the app stores and shows back: the marker goes here.
const TEXT_FIELDS: &[&str] = &[
    "name",
    "title",
    "description",
    "memo",
    "note",
    "notes",
    "comment",
    "label",
    "summary",
    "subject",
    "body",
    "content",
    "text",
    "customer",
    "display_name",
    "message",
];

/// One object the scanner created.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedObject {
    /// The identity that created (and owns) it.
    pub owner: IdentityId,
    /// The collection it was created in, as a route pattern (`/api/projects`).
    pub collection: String,
    /// Where the object lives (`/api/projects/42`).
    pub url: Url,
    pub id: String,
    /// The unique string it carries.
    pub marker: String,
    /// The body it was created with.
    pub body: Value,
}

/// Every object the scanner created in this scan, and what became of it.
#[derive(Debug, Default)]
pub struct OwnedObjects {
    objects: Mutex<Vec<OwnedObject>>,
    /// Objects a probe already deleted (e.g. a write-replay that succeeded).
    gone: Mutex<Vec<Url>>,
    /// What probes made that the scan has no way to delete (an account made through
    /// signup), with why: listed with the cleanup's leftovers.
    left: Mutex<Vec<(String, String)>>,
}

/// A fresh marker: distinctive, lower-case, safe in slugs, URLs and JSON.
pub fn new_marker() -> String {
    format!(
        "prodready-canary-{:012x}",
        rand::random::<u64>() & 0xffff_ffff_ffff
    )
}

impl OwnedObjects {
    pub fn new() -> OwnedObjects {
        OwnedObjects::default()
    }

    pub fn all(&self) -> Vec<OwnedObject> {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn of(&self, owner: IdentityId) -> Vec<OwnedObject> {
        self.all()
            .into_iter()
            .filter(|o| o.owner == owner)
            .collect()
    }

    /// Whether `url` is (or is inside) an object the scanner created: the guard every
    /// destructive request of every probe goes through.
    pub fn owns(&self, url: &Url) -> bool {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|o| {
                o.url.origin() == url.origin()
                    && (url.path() == o.url.path()
                        || url
                            .path()
                            .starts_with(&format!("{}/", o.url.path().trim_end_matches('/'))))
            })
    }

    /// Records that a probe deleted the object at `url` (so cleanup does not retry it).
    pub fn mark_gone(&self, url: &Url) {
        self.gone
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(url.clone());
    }

    /// Records something a probe made that the scan cannot delete (`what`, e.g. "account
    /// x@example.com (...)", and `why`), so the report's warnings and the scorecard list
    /// it among the leftovers to remove by hand.
    pub fn left_behind(&self, what: impl Into<String>, why: impl Into<String>) {
        self.left
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((what.into(), why.into()));
    }

    /// Takes over an object a probe caused to exist (e.g. a partial record left by a
    /// failed multi-step write), so cleanup removes it. `marker` may be empty.
    pub fn adopt_url(&self, owner: IdentityId, collection: &str, url: Url, id: &str, marker: &str) {
        self.push(OwnedObject {
            owner,
            collection: collection.to_string(),
            url,
            id: id.to_string(),
            marker: marker.to_string(),
            body: Value::Null,
        });
    }

    fn push(&self, object: OwnedObject) {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(object);
    }

    /// Creates one object as `identity` through `create` (a collection POST). Returns why not
    /// when the app refuses or the new object cannot be found again.
    pub async fn create(
        &self,
        http: &HttpLayer,
        identity: &Identity,
        create: &Url,
        body: Value,
        marker: &str,
        id_pointer: Option<&str>,
    ) -> Result<OwnedObject, String> {
        let req = Request::new("POST", create.clone())
            .json(&body)
            .header("Accept", "application/json");
        let resp = identity.send(http, req).await.map_err(|e| e.to_string())?;
        if !resp.is_success() {
            return Err(format!(
                "POST {} answered {}",
                http.redactor().url(create),
                resp.status
            ));
        }
        let json = resp.json();
        let id = id_pointer
            .and_then(|p| json.as_ref().and_then(|j| j.pointer(p)))
            .and_then(scalar)
            .or_else(|| json.as_ref().and_then(find_id));
        let location = resp
            .header("location")
            .and_then(|l| resp.url.join(l).ok())
            .filter(|u| http.scope().contains(u));
        let url = match (location, &id) {
            (Some(u), _) => u,
            (None, Some(id)) => item_url(create, id),
            (None, None) => match self.find_in_list(http, identity, create, marker).await {
                Some((id, url)) => {
                    let object = self.record(identity, create, url, id, marker, body);
                    return Ok(object);
                }
                None => {
                    return Err(format!(
                        "created through {} but found no id, Location or listing of it",
                        create.path()
                    ));
                }
            },
        };
        let id = id.unwrap_or_else(|| {
            url.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
                .unwrap_or_default()
        });
        // Prove the object is where we think: its owner reads it back with the marker.
        let check = identity
            .send(
                http,
                Request::get(url.clone()).header("Accept", "application/json"),
            )
            .await
            .map_err(|e| e.to_string())?;
        if !check.is_success() || !check.text().contains(marker) {
            // Register it anyway so cleanup can try; the object exists.
            self.record(identity, create, url.clone(), id, marker, body);
            return Err(format!(
                "created, but GET {} did not show it back (status {})",
                url.path(),
                check.status
            ));
        }
        Ok(self.record(identity, create, url, id, marker, body))
    }

    /// Records that the object at `url` now belongs to `owner` (a probe proved a write
    /// moved it to another tenant), so cleanup deletes it as that identity.
    pub fn reassign(&self, url: &Url, owner: &Identity) {
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        for o in objects.iter_mut().filter(|o| o.url == *url) {
            o.owner = owner.id;
        }
    }

    /// Registers an object that a probe's create request made anyway (a malformed or
    /// privileged body the app accepted), so cleanup deletes it. Returns it when the
    /// response says where it lives (a `Location` header or an id in the JSON body).
    pub fn adopt(
        &self,
        http: &HttpLayer,
        identity: &Identity,
        create: &Url,
        resp: &Response,
        body: Value,
        marker: &str,
    ) -> Option<OwnedObject> {
        let json = resp.json();
        let id = json.as_ref().and_then(find_id);
        let location = resp
            .header("location")
            .and_then(|l| resp.url.join(l).ok())
            .filter(|u| http.scope().contains(u));
        let url = location.or_else(|| id.as_ref().map(|id| item_url(create, id)))?;
        let id = id.unwrap_or_else(|| {
            url.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
                .unwrap_or_default()
        });
        Some(self.record(identity, create, url, id, marker, body))
    }

    fn record(
        &self,
        identity: &Identity,
        create: &Url,
        url: Url,
        id: String,
        marker: &str,
        body: Value,
    ) -> OwnedObject {
        let object = OwnedObject {
            owner: identity.id,
            collection: crate::model::path_pattern(create.path()),
            url,
            id,
            marker: marker.to_string(),
            body,
        };
        self.push(object.clone());
        object
    }

    /// Finds a freshly created object by its marker in the collection listing.
    async fn find_in_list(
        &self,
        http: &HttpLayer,
        identity: &Identity,
        create: &Url,
        marker: &str,
    ) -> Option<(String, Url)> {
        let resp = identity
            .send(
                http,
                Request::get(create.clone()).header("Accept", "application/json"),
            )
            .await
            .ok()?;
        let json = resp.json()?;
        let item = find_object_with(&json, marker, 0)?;
        let id = find_id(item)?;
        Some((id.clone(), item_url(create, &id)))
    }

    /// Deletes every object not already gone, as its owner, and verifies it is gone.
    /// Returns one line per object that could not be removed.
    pub async fn cleanup(
        &self,
        http: &HttpLayer,
        identities: &crate::auth::Identities,
    ) -> Vec<String> {
        let gone = self.gone.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut leftovers = Vec::new();
        for object in self.all() {
            if gone.contains(&object.url) {
                continue;
            }
            let Some(owner) = identities.get(object.owner) else {
                continue;
            };
            let deleted = owner
                .send(http, Request::new("DELETE", object.url.clone()))
                .await;
            let verdict = match deleted {
                Err(e) => Err(e.to_string()),
                Ok(r) if r.is_success() || r.status == 404 || r.status == 410 => {
                    match owner
                        .send(
                            http,
                            Request::get(object.url.clone()).header("Accept", "application/json"),
                        )
                        .await
                    {
                        Ok(after)
                            if after.status == 404
                                || after.status == 410
                                || (!object.marker.is_empty()
                                    && !after.text().contains(&object.marker)) =>
                        {
                            Ok(())
                        }
                        Ok(after) => Err(format!(
                            "still readable after DELETE (status {})",
                            after.status
                        )),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Ok(r) => Err(format!("DELETE answered {}", r.status)),
            };
            if let Err(why) = verdict {
                leftovers.push(format!(
                    "canary {} ({}) was not removed: {why}",
                    http.redactor().url(&object.url),
                    object.marker
                ));
            }
        }
        let left = self.left.lock().unwrap_or_else(|e| e.into_inner()).clone();
        leftovers.extend(left.into_iter().map(|(what, why)| {
            http.redactor()
                .text(&format!("{what} was not removed: {why}"))
        }));
        leftovers
    }
}

/// The URL of the object with `id` in the collection `create` (`/api/projects` + `7`).
pub fn item_url_of(create: &Url, id: &str) -> Url {
    item_url(create, id)
}

fn item_url(create: &Url, id: &str) -> Url {
    let mut u = create.clone();
    let path = format!(
        "{}/{}",
        create.path().trim_end_matches('/'),
        crate::model::path_segment(id)
    );
    u.set_path(&path);
    u.set_query(None);
    u
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The id of a created object: `id`, `uuid`, `slug`, `key` at the top or one level down
/// (`{"data": {...}}`, `{"project": {...}}`).
fn find_id(v: &Value) -> Option<String> {
    let obj = v.as_object()?;
    for key in ["id", "uuid", "slug", "key", "_id"] {
        if let Some(id) = obj.get(key).and_then(scalar) {
            return Some(id);
        }
    }
    obj.values().filter(|x| x.is_object()).find_map(|inner| {
        let o = inner.as_object()?;
        ["id", "uuid", "slug", "key", "_id"]
            .iter()
            .find_map(|k| o.get(*k).and_then(scalar))
    })
}

fn find_object_with<'a>(v: &'a Value, marker: &str, depth: usize) -> Option<&'a Value> {
    if depth > 6 {
        return None;
    }
    match v {
        Value::Object(m) => {
            if m.values()
                .any(|x| x.as_str().is_some_and(|s| s.contains(marker)))
            {
                return Some(v);
            }
            m.values()
                .find_map(|x| find_object_with(x, marker, depth + 1))
        }
        Value::Array(a) => a
            .iter()
            .find_map(|x| find_object_with(x, marker, depth + 1)),
        _ => None,
    }
}

/// A create body from an example: the marker goes into the free-text field (a name or
/// title first), every other field keeps its example value so validation passes.
pub fn body_with_marker(example: &Value, marker: &str) -> Option<Value> {
    let Value::Object(fields) = example else {
        return None;
    };
    let mut body: Map<String, Value> = fields.clone();
    let key = TEXT_FIELDS
        .iter()
        .find(|k| body.get(**k).is_some_and(Value::is_string))
        .map(|k| k.to_string())
        .or_else(|| {
            body.iter()
                .find(|(_, v)| v.is_string())
                .map(|(k, _)| k.clone())
        })?;
    body.insert(key, Value::String(marker.to_string()));
    // A second free-text field carries it too, so partial views still show it.
    if let Some(second) = TEXT_FIELDS.iter().find(|k| {
        body.get(**k)
            .is_some_and(|v| v.is_string() && v.as_str() != Some(marker))
    }) {
        body.insert(
            second.to_string(),
            Value::String(format!("{marker} created by prodready")),
        );
    }
    Some(Value::Object(body))
}

/// `v` with every occurrence of `from` in its string values replaced by `to` (markers,
/// `{canary}`/`{token}`/`{unique}` placeholders).
pub fn replace_in_strings(v: &Value, from: &str, to: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(from, to)),
        Value::Array(a) => {
            Value::Array(a.iter().map(|x| replace_in_strings(x, from, to)).collect())
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), replace_in_strings(x, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A way to create canaries: a collection to POST to and how to build the body.
#[derive(Debug, Clone, PartialEq)]
pub struct CanarySource {
    pub create: Url,
    /// The config's body with `{canary}` placeholders, or an example body from discovery.
    template: Value,
    declared: bool,
    pub id_pointer: Option<String>,
}

impl CanarySource {
    /// The body carrying `marker`.
    pub fn body_for(&self, marker: &str) -> Option<Value> {
        if self.declared {
            Some(replace_in_strings(&self.template, "{canary}", marker))
        } else {
            body_with_marker(&self.template, marker)
        }
    }
}

/// Where canaries can be created: the config's declarations, else collection POST
/// endpoints of the inventory with a JSON body example and a DELETE route beside them
/// (an object the scanner cannot delete again is not created at all).
pub fn canary_sources(
    inventory: &Inventory,
    declared: &[CanaryConfig],
    limit: usize,
) -> Vec<CanarySource> {
    if !declared.is_empty() {
        return declared
            .iter()
            .map(|c| CanarySource {
                create: c.create.clone(),
                template: c.body.clone(),
                declared: true,
                id_pointer: c.id_pointer.clone(),
            })
            .collect();
    }
    let creatable = |e: &&Endpoint| {
        e.method == "POST"
            && !e.pattern.contains("{id}")
            && e.body_example
                .as_ref()
                .is_some_and(|b| body_with_marker(b, "x").is_some())
            && inventory.endpoints.contains_key(&EndpointKey::new(
                "DELETE",
                format!("{}/{{id}}", e.pattern.trim_end_matches('/')),
            ))
    };
    inventory
        .endpoints()
        .filter(creatable)
        .take(limit)
        .filter_map(|ep| {
            Some(CanarySource {
                create: ep.examples.first()?.clone(),
                template: ep.body_example.clone()?,
                declared: false,
                id_pointer: None,
            })
        })
        .collect()
}

/// Whether a response shows `marker` (for probes judging replays).
pub fn shows(resp: &Response, marker: &str) -> bool {
    resp.text().contains(marker)
}

/// Canary sources tried per scan, so a large API does not get hundreds of writes.
const MAX_CANARY_SOURCES: usize = 4;

/// Creates one canary per source for each tenant identity; their markers join the
/// identity's private markers. Returns warnings for sources that did not work.
pub async fn create(
    http: &HttpLayer,
    identities: &Identities,
    config: &ScanConfig,
    inventory: &mut Inventory,
    owned: &OwnedObjects,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let sources = canary_sources(inventory, &config.canaries, MAX_CANARY_SOURCES);
    let tenants: Vec<_> = identities
        .authenticated()
        .filter(|i| i.id.own_tenant().is_some())
        .cloned()
        .collect();
    for source in &sources {
        for identity in &tenants {
            let marker = new_marker();
            let Some(body) = source.body_for(&marker) else {
                continue;
            };
            match owned
                .create(
                    http,
                    identity,
                    &source.create,
                    body,
                    &marker,
                    source.id_pointer.as_deref(),
                )
                .await
            {
                Ok(object) => {
                    inventory
                        .markers
                        .entry(identity.id)
                        .or_default()
                        .add(&object.marker);
                    inventory.add("GET", &object.url, Origin::Seed);
                }
                Err(why) => warnings.push(format!(
                    "canary as {} through {}: {why}",
                    identity.id,
                    source.create.path()
                )),
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_marker_goes_into_free_text_and_keeps_other_fields() {
        let ex =
            json!({"customer": "prodready", "amount_cents": 1, "currency": "EUR", "memo": "x"});
        let b = body_with_marker(&ex, "prodready-canary-1").unwrap();
        assert_eq!(b["currency"], "EUR");
        assert_eq!(b["amount_cents"], 1);
        assert_eq!(b["memo"], "prodready-canary-1");
        assert!(
            b["customer"]
                .as_str()
                .unwrap()
                .contains("prodready-canary-1")
        );
        assert!(body_with_marker(&json!({"qty": 1}), "m").is_none());
    }

    #[test]
    fn ids_are_found_in_common_shapes() {
        assert_eq!(find_id(&json!({"id": 7})), Some("7".into()));
        assert_eq!(
            find_id(&json!({"data": {"uuid": "u-1"}})),
            Some("u-1".into())
        );
        assert_eq!(find_id(&json!({"slug": "q3"})), Some("q3".into()));
        let list =
            json!({"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "prodready-canary-x"}]});
        assert_eq!(
            find_object_with(&list, "prodready-canary-x", 0).and_then(find_id),
            Some("2".into())
        );
    }

    #[test]
    fn ownership_covers_the_object_and_its_sub_resources_only() {
        let owned = OwnedObjects::new();
        let u = Url::parse("http://127.0.0.1:1/api/projects/42").unwrap();
        owned.push(OwnedObject {
            owner: IdentityId::A,
            collection: "/api/projects".into(),
            url: u.clone(),
            id: "42".into(),
            marker: "m".into(),
            body: json!({}),
        });
        assert!(owned.owns(&u));
        assert!(owned.owns(&Url::parse("http://127.0.0.1:1/api/projects/42/tasks").unwrap()));
        assert!(!owned.owns(&Url::parse("http://127.0.0.1:1/api/projects/421").unwrap()));
        assert!(!owned.owns(&Url::parse("http://127.0.0.1:1/api/projects/4").unwrap()));
    }
}
