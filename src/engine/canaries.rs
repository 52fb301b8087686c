//! Objects the scanner creates (canaries) and may therefore change and delete.
//!
//! Safe mode means every write or delete a probe sends targets one of these, never an
//! object of the app's real users. Each carries a unique marker string, so a probe can
//! prove that the object (and not merely "some 200") reached another identity.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use url::Url;

use super::object_id;
use crate::auth::{Identities, Identity};
use crate::config::{CanaryConfig, ID_PLACEHOLDER, RequestTemplate, ScanConfig};
use crate::discover::{Endpoint, Inventory, Origin};
use crate::http::{HttpLayer, Request, Response};
use crate::model::{EndpointKey, IdentityId};

use super::form_objects::{self, ObjectForms};

/// Field names whose value is free text the app stores and shows back: the marker goes here.
pub(super) const TEXT_FIELDS: &[&str] = &[
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
    /// For an object made through an HTML form: the forms that edit and delete it.
    pub forms: Option<ObjectForms>,
    /// The declared request that deletes it (`canaries[].delete`), id filled in; `None`
    /// means `DELETE` on `url`.
    pub delete: Option<RequestTemplate>,
}

impl OwnedObject {
    /// The request that deletes the object: the declared one, else `DELETE` on its URL
    /// (the path exactly as created or derived, trailing slash included).
    pub fn delete_request(&self) -> Request {
        match &self.delete {
            Some(t) => {
                let req = Request::new(&t.method, t.url.clone());
                match &t.body {
                    Some(b) => req.json(b).header("Accept", "application/json"),
                    None => req,
                }
            }
            None => Request::new("DELETE", self.url.clone()),
        }
    }
}

/// `template` with `{id}` replaced by `id` in its URL and body.
pub fn fill(template: &RequestTemplate, id: &str) -> RequestTemplate {
    RequestTemplate {
        method: template.method.clone(),
        url: fill_url(&template.url, id),
        body: template
            .body
            .as_ref()
            .map(|b| replace_in_strings(b, ID_PLACEHOLDER, id)),
    }
}

/// `url` with its `{id}` placeholder (written or percent-encoded) replaced by `id`,
/// percent-encoded as one path segment.
pub fn fill_url(url: &Url, id: &str) -> Url {
    let seg = crate::model::path_segment(id);
    let text = url.as_str();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.len() >= 8 && rest[..8].eq_ignore_ascii_case("%7bid%7d") {
            out.push_str(&seg);
            rest = &rest[8..];
        } else if rest.starts_with(ID_PLACEHOLDER) {
            out.push_str(&seg);
            rest = &rest[ID_PLACEHOLDER.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Url::parse(&out).unwrap_or_else(|_| url.clone())
}

/// Every object the scanner created in this scan, and what became of it.
#[derive(Debug, Default)]
pub struct OwnedObjects {
    objects: Mutex<Vec<OwnedObject>>,
    /// Objects a probe already deleted (e.g. a write-replay that succeeded).
    gone: Mutex<Vec<Url>>,
    /// Things a probe made that the scanner has no way to delete (an account a signup
    /// took), each with why: listed with the cleanup's leftovers.
    stranded: Mutex<Vec<String>>,
    /// Markers of objects a probe tried to place by force (tenant or owner fields in the
    /// body): wherever they show up, they are the scanner's doing, no evidence of a leak.
    forced: Mutex<Vec<String>>,
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
                // An object read by query (`/get?x_id=7`) is that query only; an object
                // with a path of its own also owns what lies under it.
                let same = match o.url.query() {
                    Some(q) => url.path() == o.url.path() && url.query() == Some(q),
                    None => {
                        url.path() == o.url.path()
                            || url
                                .path()
                                .starts_with(&format!("{}/", o.url.path().trim_end_matches('/')))
                    }
                };
                o.url.origin() == url.origin() && same
            })
    }

    /// Records that a probe deleted the object at `url` (so cleanup does not retry it).
    pub fn mark_gone(&self, url: &Url) {
        self.gone
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(url.clone());
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
            forms: None,
            delete: None,
        });
    }

    /// Records something a probe made and cannot remove (`what`, e.g. "account x created
    /// by the signup burst"), so the report lists it for removal by hand.
    pub fn strand(&self, what: &str, why: &str) {
        self.stranded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("{what} was not removed: {why}"));
    }

    /// Everything recorded by [`OwnedObjects::strand`], one line each.
    pub fn stranded(&self) -> Vec<String> {
        self.stranded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records, before the request goes out, that the object with `marker` may land
    /// wherever its privileged fields put it (see [`OwnedObjects::forced_markers`]).
    pub fn forcing(&self, marker: &str) {
        self.forced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(marker.to_string());
    }

    /// Markers of objects placed by force: rows carrying one are the scanner's own.
    pub fn forced_markers(&self) -> Vec<String> {
        self.forced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn push(&self, object: OwnedObject) {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(object);
    }

    /// Creates one object as `identity` through `source` (a collection POST). Returns
    /// why not when the app refuses or the new object cannot be found again.
    pub async fn create(
        &self,
        http: &HttpLayer,
        identity: &Identity,
        source: &CanarySource,
        body: Value,
        marker: &str,
    ) -> Result<OwnedObject, String> {
        let create = &source.create;
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
        let (id, url) = self.locate(http, identity, source, &resp, marker).await?;
        let delete = source
            .delete
            .as_ref()
            .map(|t| fill(t, &id))
            .or_else(|| rpc_delete(&source.create, source.id_pointer.as_deref(), &resp, &id));
        let object = OwnedObject {
            owner: identity.id,
            collection: crate::model::path_pattern(create.path()),
            url: url.clone(),
            id,
            marker: marker.to_string(),
            body,
            delete,
            forms: None,
        };
        // Prove the object is where we think: its owner reads it back with the marker.
        let check = identity
            .send(
                http,
                Request::get(url.clone()).header("Accept", "application/json"),
            )
            .await
            .map_err(|e| e.to_string())?;
        if check.is_success() && !check.text().contains(marker) {
            // The URL shows something else: perhaps another object, so it is not
            // deleted at cleanup. The canary stays behind; say so.
            return Err(format!(
                "created {marker}, but GET {} answered {} without it, so the id {} may name another object and it is not deleted at cleanup; remove {marker} by hand and set {} (or {})",
                http.redactor().url(&url),
                check.status,
                object.id,
                source.fix_key("id"),
                source.fix_key("read")
            ));
        }
        if !check.is_success() {
            // Register it anyway so cleanup can try; the object exists.
            self.push(object);
            return Err(format!(
                "created, but GET {} did not show it back (status {}); set {}",
                http.redactor().url(&url),
                check.status,
                source.fix_key("read")
            ));
        }
        self.push(object.clone());
        Ok(object)
    }

    /// The new object's id and the URL that reads it: the declared id place, else the
    /// conventions of [`object_id`]; the declared read URL, else the `Location` header,
    /// else `create/{id}`; failing all, the marker in the collection's listing.
    async fn locate(
        &self,
        http: &HttpLayer,
        identity: &Identity,
        source: &CanarySource,
        resp: &Response,
        marker: &str,
    ) -> Result<(String, Url), String> {
        let create = &source.create;
        let json = resp.json();
        let resource = object_id::resource_of(create.path());
        let id = match (&source.id_pointer, &json) {
            (Some(p), Some(j)) => object_id::at(j, p),
            (None, Some(j)) => object_id::find(j, resource.as_deref()).map(|f| f.value),
            (_, None) => None,
        };
        if let (Some(p), None) = (&source.id_pointer, &id) {
            return Err(format!(
                "created through POST {}, but its answer (status {}) has no id at {p}: it holds {}; set {} to the key of the new object's id",
                create.path(),
                resp.status,
                json.as_ref().map_or("no JSON".into(), object_id::keys_of),
                source.fix_key("id")
            ));
        }
        let location = resp
            .header("location")
            .and_then(|l| resp.url.join(l).ok())
            .filter(|u| http.scope().contains(u));
        let id = id.or_else(|| location.as_ref().and_then(last_segment));
        if let Some(id) = id {
            let rpc = rpc_key(create, source.id_pointer.as_deref(), resp)
                .and_then(|key| rpc_sibling(create, "get", &key, &id));
            let url = match (&source.read, location, rpc) {
                (Some(read), _, _) => fill_url(read, &id),
                (None, Some(u), _) => u,
                (None, None, Some(get)) => get,
                (None, None, None) => item_url(create, &id),
            };
            return Ok((id, url));
        }
        if let Some((id, url)) = self.find_in_list(http, identity, source, marker).await {
            return Ok((id, url));
        }
        Err(format!(
            "created through POST {}, but found no id: its answer (status {}) holds {}; looked for the keys {} at its top level and one level down (data.id, ...), for a Location header, and for the marker in GET {}; set {} to the key of the new object's id in the create answer (a key, a key path like data.id, or a JSON pointer)",
            create.path(),
            resp.status,
            json.as_ref().map_or("no JSON".into(), object_id::keys_of),
            object_id::keys_tried(resource.as_deref()).join(", "),
            create.path(),
            source.fix_key("id")
        ))
    }

    /// Creates one object as `identity` through the HTML create form on `source.create`
    /// and finds it again by its marker (see [`form_objects`]).
    pub async fn create_by_form(
        &self,
        http: &HttpLayer,
        identity: &Identity,
        source: &CanarySource,
        marker: &str,
    ) -> Result<OwnedObject, String> {
        let page = &source.create;
        let shown = identity
            .send(http, Request::get(page.clone()))
            .await
            .map_err(|e| e.to_string())?;
        if !shown.is_success() {
            return Err(format!("GET {} answered {}", page.path(), shown.status));
        }
        let form =
            form_objects::create_form(&shown.url, &shown.text(), source.selector.as_deref())?;
        let fields = form_objects::fill(&form, marker)
            .ok_or_else(|| format!("the form on {} has no text input to mark", page.path()))?;
        let landed = form_objects::submit(http, identity, &form, &fields, &shown.url).await?;
        if !landed.is_success() {
            return Err(format!(
                "{} {} answered {}",
                form.method,
                form.action.path(),
                landed.status
            ));
        }
        let url = form_objects::locate(http, identity, page, &landed, marker)
            .await
            .ok_or_else(|| {
                format!(
                    "submitted the form on {} but found the new object neither where it led nor next to its marker on the list page",
                    page.path()
                )
            })?;
        let check = identity
            .send(http, Request::get(url.clone()))
            .await
            .map_err(|e| e.to_string())?;
        let text = check.text();
        let (edit, delete) = form_objects::object_forms(&check.url, &text, marker);
        let body = Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        );
        let mut object = OwnedObject {
            owner: identity.id,
            collection: crate::model::path_pattern(form.action.path()),
            id: last_segment(&url).unwrap_or_default(),
            url,
            marker: marker.to_string(),
            body,
            delete: None,
            forms: Some(ObjectForms {
                source: page.clone(),
                edit,
                delete,
            }),
        };
        self.push(object.clone());
        if !check.is_success() || !text.contains(marker) {
            object.forms = None;
            return Err(format!(
                "created, but GET {} did not show it back (status {})",
                object.url.path(),
                check.status
            ));
        }
        Ok(object)
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
        let resource = object_id::resource_of(create.path());
        // No read-back here: only an unmistakable id, since cleanup deletes it.
        let id = json
            .as_ref()
            .and_then(|j| object_id::find_strong(j, resource.as_deref()))
            .map(|f| f.value);
        let location = resp
            .header("location")
            .and_then(|l| resp.url.join(l).ok())
            .filter(|u| http.scope().contains(u));
        // An RPC-style create (`.../create`): its `get` and `delete` siblings.
        let rpc = id.as_ref().and_then(|id| {
            let key = rpc_key(create, None, resp)?;
            Some((
                rpc_sibling(create, "get", &key, id)?,
                rpc_delete(create, None, resp, id)?,
            ))
        });
        let url = location
            .or_else(|| rpc.as_ref().map(|(get, _)| get.clone()))
            .or_else(|| id.as_ref().map(|id| item_url(create, id)))?;
        let id = id.or_else(|| last_segment(&url)).unwrap_or_default();
        let object = OwnedObject {
            owner: identity.id,
            collection: crate::model::path_pattern(create.path()),
            url,
            id,
            marker: marker.to_string(),
            body,
            forms: None,
            delete: rpc.map(|(_, delete)| delete),
        };
        self.push(object.clone());
        Some(object)
    }

    /// Finds a freshly created object by its marker in the collection listing.
    pub async fn find_in_list(
        &self,
        http: &HttpLayer,
        identity: &Identity,
        source: &CanarySource,
        marker: &str,
    ) -> Option<(String, Url)> {
        let create = &source.create;
        let resp = identity
            .send(
                http,
                Request::get(create.clone()).header("Accept", "application/json"),
            )
            .await
            .ok()?;
        let json = resp.json()?;
        let item = find_object_with(&json, marker, 0)?;
        let resource = object_id::resource_of(create.path());
        let id = object_id::find(item, resource.as_deref())?.value;
        let url = match &source.read {
            Some(read) => fill_url(read, &id),
            None => item_url(create, &id),
        };
        Some((id, url))
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
            let deleted = match &object.forms {
                Some(_) => form_objects::delete(http, owner, &object).await,
                None => owner
                    .send(http, object.delete_request())
                    .await
                    .map_err(|e| e.to_string()),
            };
            let verdict = match deleted {
                Err(e) => Err(e),
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
                                    && !after.text().contains(&object.marker))
                                || after.json().is_some_and(|j| soft_deleted(&j, 0)) =>
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
        leftovers
    }
}

/// Whether an answer describes an object its app keeps but marks deleted (a soft
/// delete: `"deleted": true`, `"deleted_at": "..."`, `"lifecycle_stage": "deleted"`),
/// at its top level or one level down (`{"experiment": {...}}`).
pub fn soft_deleted(json: &Value, depth: usize) -> bool {
    let Some(map) = json.as_object() else {
        return false;
    };
    map.iter().any(|(k, v)| {
        let k = k.to_ascii_lowercase().replace(['_', '-'], "");
        let flag = matches!(
            k.as_str(),
            "deleted" | "isdeleted" | "trashed" | "istrashed"
        ) && v.as_bool() == Some(true);
        let stamp = matches!(k.as_str(), "deletedat" | "deletedon" | "trashedat")
            && v.as_str().is_some_and(|s| !s.is_empty());
        let state = (k.ends_with("status") || k.ends_with("state") || k.ends_with("stage"))
            && v.as_str().is_some_and(|s| {
                matches!(
                    s.to_ascii_lowercase().as_str(),
                    "deleted" | "trashed" | "removed"
                )
            });
        flag || stamp || state || (depth == 0 && soft_deleted(v, 1))
    })
}

/// The RPC verbs a create route of an RPC-style API ends in (`.../experiments/create`).
const RPC_CREATE: &[&str] = &["create", "add", "insert", "new"];

/// For a create route of an RPC-style API (`POST .../things/create` answering
/// `{"thing_id": "7"}`), the top-level key that held the new id: its siblings `get`
/// and `delete` take the id under the same key, by that API style's convention.
fn rpc_key(create: &Url, id_pointer: Option<&str>, resp: &Response) -> Option<String> {
    let last = create.path_segments()?.rfind(|s| !s.is_empty())?;
    if !RPC_CREATE.contains(&last.to_ascii_lowercase().as_str()) {
        return None;
    }
    let json = resp.json()?;
    let resource = object_id::resource_of(create.path());
    let pointer = match id_pointer {
        Some(p) => p.to_string(),
        None => object_id::find_strong(&json, resource.as_deref())?.pointer,
    };
    let key = pointer.strip_prefix('/')?;
    (!key.is_empty() && !key.contains('/')).then(|| key.to_string())
}

/// The sibling RPC route `verb` of a create route, reading one object by `key=id`.
fn rpc_sibling(create: &Url, verb: &str, key: &str, id: &str) -> Option<Url> {
    let mut url = create.clone();
    url.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .pop()
        .push(verb);
    url.set_query(None);
    url.query_pairs_mut().append_pair(key, id);
    Some(url)
}

/// The sibling `POST .../delete` with `{key: id}` of an RPC-style create route, when
/// nothing declared how to delete.
fn rpc_delete(
    create: &Url,
    id_pointer: Option<&str>,
    resp: &Response,
    id: &str,
) -> Option<RequestTemplate> {
    let key = rpc_key(create, id_pointer, resp)?;
    let mut url = rpc_sibling(create, "delete", &key, id)?;
    url.set_query(None);
    let mut body = Map::new();
    body.insert(key, Value::String(id.to_string()));
    Some(RequestTemplate {
        method: "POST".into(),
        url,
        body: Some(Value::Object(body)),
    })
}

/// The URL of the object with `id` in the collection `create` (`/api/projects` + `7`).
pub fn item_url_of(create: &Url, id: &str) -> Url {
    item_url(create, id)
}

fn item_url(create: &Url, id: &str) -> Url {
    let mut u = create.clone();
    let base = create.path();
    // `/api/things/` (Django, DRF) routes its objects as `/api/things/7/`: the slash
    // the collection was written with is kept, since a DELETE is not redirected.
    let slash = if base.len() > 1 && base.ends_with('/') {
        "/"
    } else {
        ""
    };
    let path = format!(
        "{}/{}{slash}",
        base.trim_end_matches('/'),
        crate::model::path_segment(id)
    );
    u.set_path(&path);
    u.set_query(None);
    u
}

/// The last non-empty path segment of a URL (an id in a `Location` header).
fn last_segment(url: &Url) -> Option<String> {
    url.path_segments()?
        .rev()
        .find(|s| !s.is_empty())
        .map(str::to_string)
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
    /// `canaries[N]` when declared, for errors that name the key to set.
    declared: Option<usize>,
    pub id_pointer: Option<String>,
    /// Made through the HTML form on the `create` page (the one `selector` picks).
    pub form: bool,
    pub selector: Option<String>,
    /// Who saw a create form there (discovered form pages only; empty: anyone may try).
    pub seen_by: Vec<IdentityId>,
    /// The URL reading one object, with `{id}` (`canaries[].read`).
    pub read: Option<Url>,
    /// The request deleting one object, with `{id}` (`canaries[].delete`).
    pub delete: Option<RequestTemplate>,
}

impl CanarySource {
    /// The body carrying `marker`.
    pub fn body_for(&self, marker: &str) -> Option<Value> {
        if self.declared.is_some() {
            Some(replace_in_strings(&self.template, "{canary}", marker))
        } else {
            body_with_marker(&self.template, marker)
        }
    }

    /// The config key that fixes a problem with this source: `canaries[N].KEY`, or for
    /// a discovered collection, a declaration of it with that key.
    fn fix_key(&self, key: &str) -> String {
        match self.declared {
            Some(i) => format!("`canaries[{i}].{key}`"),
            None => format!(
                "`{key}` in a [[canaries]] entry with create = \"{}\"",
                self.create.path()
            ),
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
            .enumerate()
            .map(|(i, c)| CanarySource {
                create: c.create.clone(),
                template: c.body.clone(),
                declared: Some(i),
                id_pointer: c.id_pointer.clone(),
                form: c.form,
                selector: c.selector.clone(),
                seen_by: Vec::new(),
                read: c.read.clone(),
                delete: c.delete.clone(),
            })
            .collect();
    }
    let deletable = |pattern: &str| {
        let item = format!("{}/{{id}}", pattern.trim_end_matches('/'));
        [item.clone(), format!("{item}/")].into_iter().any(|p| {
            inventory
                .endpoints
                .contains_key(&EndpointKey::new("DELETE", p))
        })
    };
    let creatable = |e: &&Endpoint| {
        e.method == "POST"
            && !e.pattern.contains("{id}")
            && e.body_example
                .as_ref()
                .is_some_and(|b| body_with_marker(b, "x").is_some())
            && deletable(&e.pattern)
    };
    let json = inventory.endpoints().filter(creatable).filter_map(|ep| {
        Some(CanarySource {
            create: ep.examples.first()?.clone(),
            template: ep.body_example.clone()?,
            declared: None,
            id_pointer: None,
            read: None,
            delete: None,
            form: false,
            selector: None,
            seen_by: Vec::new(),
        })
    });
    // Then the create forms of server-rendered pages.
    let forms = inventory
        .create_forms
        .iter()
        .map(|(page, seen_by)| CanarySource {
            create: page.clone(),
            template: Value::Null,
            declared: None,
            id_pointer: None,
            read: None,
            delete: None,
            form: true,
            selector: None,
            seen_by: seen_by.iter().copied().collect(),
        });
    json.chain(forms).take(limit).collect()
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
        if source.form {
            for t in &tenants {
                let made = by_form(http, identities, t, source, owned).await;
                record(inventory, &mut warnings, t, &source.create, made);
            }
            continue;
        }
        for identity in &tenants {
            let marker = new_marker();
            let Some(body) = source.body_for(&marker) else {
                continue;
            };
            let made = owned.create(http, identity, source, body, &marker).await;
            record(inventory, &mut warnings, identity, &source.create, made);
        }
    }
    warnings
}

/// Makes the object's marker private to its owner and its page known to the probes,
/// or says why the canary could not be made.
fn record(
    inventory: &mut Inventory,
    warnings: &mut Vec<String>,
    tenant: &Identity,
    source: &Url,
    made: Result<OwnedObject, String>,
) {
    match made {
        Ok(object) => {
            inventory
                .markers
                .entry(object.owner)
                .or_default()
                .add(&object.marker);
            inventory.add("GET", &object.url, Origin::Seed);
        }
        Err(why) => warnings.push(format!(
            "canary as {} through {}: {why}",
            tenant.id,
            source.path()
        )),
    }
}

/// Creates a form canary for `tenant`'s organisation: as the tenant identity, or when
/// its session cannot use the page (a bearer token on a cookie-only app), as another
/// identity of the same tenant that can (its member, then its admin).
async fn by_form(
    http: &HttpLayer,
    identities: &Identities,
    tenant: &Identity,
    source: &CanarySource,
    owned: &OwnedObjects,
) -> Result<OwnedObject, String> {
    let mut tried = Vec::new();
    for identity in same_tenant(identities, tenant) {
        if !source.seen_by.is_empty() && !source.seen_by.contains(&identity.id) {
            continue;
        }
        match owned
            .create_by_form(http, identity, source, &new_marker())
            .await
        {
            Ok(object) => return Ok(object),
            Err(why) => tried.push(format!("as {}: {why}", identity.id)),
        }
    }
    if tried.is_empty() {
        return Err("no identity of this tenant saw the form".to_string());
    }
    Err(tried.join("; "))
}

/// `tenant` first, then the other signed-in identities of its tenant, least privileged first.
pub fn same_tenant<'a>(identities: &'a Identities, tenant: &'a Identity) -> Vec<&'a Arc<Identity>> {
    let mut out: Vec<&Arc<Identity>> = identities
        .authenticated()
        .filter(|i| i.id == tenant.id || (i.tenant().is_some() && i.tenant() == tenant.tenant()))
        .collect();
    out.sort_by_key(|i| (i.id != tenant.id, i.id.role() == crate::model::Role::Admin));
    out
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
    fn objects_in_a_listing_are_found_by_their_marker() {
        let list =
            json!({"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "prodready-canary-x"}]});
        let item = find_object_with(&list, "prodready-canary-x", 0).unwrap();
        assert_eq!(object_id::find(item, Some("item")).unwrap().value, "2");
    }

    #[test]
    fn derived_item_urls_keep_the_collections_trailing_slash() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            item_url_of(&u("http://127.0.0.1:1/api/things/"), "7").path(),
            "/api/things/7/"
        );
        assert_eq!(
            item_url_of(&u("http://127.0.0.1:1/api/things?page=2"), "a b").as_str(),
            "http://127.0.0.1:1/api/things/a%20b"
        );
        let object = OwnedObject {
            owner: IdentityId::A,
            collection: "/api/things/".into(),
            url: item_url_of(&u("http://127.0.0.1:1/api/things/"), "7"),
            id: "7".into(),
            marker: "m".into(),
            body: json!({}),
            delete: None,
            forms: None,
        };
        let req = object.delete_request();
        assert_eq!(
            (req.method.as_str(), req.url.path()),
            ("DELETE", "/api/things/7/")
        );
    }

    #[test]
    fn declared_templates_are_filled_in_url_and_body() {
        let read = Url::parse("http://127.0.0.1:1/api/x/get?x_id={id}").unwrap();
        assert_eq!(fill_url(&read, "1 2").query(), Some("x_id=1%202"));
        let path = Url::parse("http://127.0.0.1:1/api/x/{id}/").unwrap();
        assert_eq!(fill_url(&path, "9").path(), "/api/x/9/");
        let delete = RequestTemplate {
            method: "POST".into(),
            url: Url::parse("http://127.0.0.1:1/api/x/delete").unwrap(),
            body: Some(json!({"x_id": "{id}"})),
        };
        let filled = fill(&delete, "9");
        assert_eq!(filled.body, Some(json!({"x_id": "9"})));
        let object = OwnedObject {
            owner: IdentityId::A,
            collection: "/api/x/create".into(),
            url: fill_url(&read, "9"),
            id: "9".into(),
            marker: "m".into(),
            body: json!({}),
            delete: Some(filled),
            forms: None,
        };
        let req = object.delete_request();
        assert_eq!(
            (req.method.as_str(), req.url.path()),
            ("POST", "/api/x/delete")
        );
        assert_eq!(&req.body.unwrap().bytes[..], br#"{"x_id":"9"}"#);
        // An object read by query owns that query only.
        let owned = OwnedObjects::new();
        owned.push(object);
        assert!(owned.owns(&fill_url(&read, "9")));
        assert!(!owned.owns(&fill_url(&read, "10")));
        assert!(!owned.owns(&Url::parse("http://127.0.0.1:1/api/x/get").unwrap()));
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
            forms: None,
            delete: None,
        });
        assert!(owned.owns(&u));
        assert!(owned.owns(&Url::parse("http://127.0.0.1:1/api/projects/42/tasks").unwrap()));
        assert!(!owned.owns(&Url::parse("http://127.0.0.1:1/api/projects/421").unwrap()));
        assert!(!owned.owns(&Url::parse("http://127.0.0.1:1/api/projects/4").unwrap()));
    }

    #[test]
    fn soft_deletes_are_recognised() {
        assert!(soft_deleted(
            &json!({"experiment": {"name": "x", "lifecycle_stage": "deleted"}}),
            0
        ));
        assert!(soft_deleted(
            &json!({"id": 1, "deleted_at": "2026-12-03T10:00:00Z"}),
            0
        ));
        assert!(soft_deleted(&json!({"isDeleted": true}), 0));
        assert!(!soft_deleted(
            &json!({"lifecycle_stage": "active", "deleted_at": null}),
            0
        ));
        assert!(!soft_deleted(
            &json!({"deleted": false, "status": "open"}),
            0
        ));
    }

    #[test]
    fn an_rpc_create_route_gets_its_get_and_delete_siblings() {
        let create = Url::parse("http://127.0.0.1:1/api/2.0/x/experiments/create").unwrap();
        let get = rpc_sibling(&create, "get", "experiment_id", "37").unwrap();
        assert_eq!(
            get.as_str(),
            "http://127.0.0.1:1/api/2.0/x/experiments/get?experiment_id=37"
        );
    }
}
