//! Object references: the ids each identity legitimately sees, with where it saw them.
//!
//! Real apps hand out object ids in login answers (`{"cartId": 6}`), token claims,
//! `/me`-style answers, `Location` headers, lists and links, often without any page
//! that lists them. The tenant family replays those ids as the other tenant; the field
//! that named an id (`cartId`, `projects`) tells which routes it fits.

use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::model::{IdKind, id_kind};

/// Where an identity saw an object id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefSource {
    /// The answer to its login request.
    Login,
    /// A claim of its session token (a JWT).
    Token,
    /// Its check request's answer (`/me`).
    Profile,
    /// A `Location` header (an object it created, or was sent to).
    Location,
    /// A JSON answer (a list or an object).
    Response,
    /// A link on one of its pages.
    Link,
}

impl RefSource {
    /// How a report names the source.
    pub fn describe(self) -> &'static str {
        match self {
            RefSource::Login => "login answer",
            RefSource::Token => "token claim",
            RefSource::Profile => "profile",
            RefSource::Location => "Location header",
            RefSource::Response => "JSON answer",
            RefSource::Link => "page link",
        }
    }
}

/// An object id one identity saw, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    pub value: String,
    pub kind: IdKind,
    /// The key, claim or path segment that named the id (`cartId`, `user`, `projects`);
    /// empty when nothing named it.
    pub field: String,
    pub source: RefSource,
}

/// Keys that wrap a payload without naming it.
const ENVELOPES: &[&str] = &[
    "data", "items", "results", "records", "rows", "list", "entries", "result", "payload",
    "content", "value", "values", "response",
];

/// The collection a URL's answer belongs to: the last path segment that is not an id
/// (`/api/projects/42` -> `projects`).
pub fn collection_of(url: &Url) -> String {
    url.path()
        .split('/')
        .rfind(|s| !s.is_empty() && id_kind(s).is_none())
        .unwrap_or_default()
        .to_string()
}

/// Keys whose value is an object's own id.
fn is_own_id_key(k: &str) -> bool {
    matches!(k, "id" | "uuid" | "slug" | "_id" | "pk" | "key")
}

/// Whether a key names another object's id: `cart_id`, `cartId`, `owner-uuid`, and
/// the short `bid`/`uid` forms; not words that merely end in "id" (`valid`, `paid`).
pub fn names_an_id(k: &str) -> bool {
    let lower = k.to_ascii_lowercase();
    k.len() <= 24
        && (lower.ends_with("_id")
            || lower.ends_with("-id")
            || lower.ends_with("uuid")
            || (k.len() > 2 && k.ends_with("Id"))
            || (lower.len() == 3 && lower.ends_with("id")))
}

/// Claims and keys that carry the caller's own user id.
fn is_user_key(k: &str) -> bool {
    matches!(
        k.to_ascii_lowercase().as_str(),
        "sub" | "uid" | "user_id" | "userid" | "account_id" | "accountid"
    )
}

/// The id a JSON scalar holds, if it looks like one.
fn id_of(v: &Value, key: &str) -> Option<(String, IdKind)> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string(),
        _ => return None,
    };
    let kind = id_kind(&text).or_else(|| {
        (key == "slug" && !text.is_empty() && text.len() <= 128).then_some(IdKind::Slug)
    })?;
    Some((text, kind))
}

/// Every id in a JSON answer with the field that names it. `root_field` names the
/// object at the top (`user` for a profile or a login answer, whose own id is the
/// user's).
pub fn refs_in_json(json: &Value, root_field: &str, source: RefSource) -> Vec<ObjectRef> {
    let mut out = Vec::new();
    walk(json, root_field, source, &mut out, 0);
    out
}

fn walk(v: &Value, parent: &str, source: RefSource, out: &mut Vec<ObjectRef>, depth: usize) {
    const MAX: usize = 300;
    if depth > 8 || out.len() >= MAX {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                let lower = k.to_ascii_lowercase();
                let field = if is_own_id_key(&lower) {
                    Some(parent.to_string())
                } else if is_user_key(k) {
                    Some("user".to_string())
                } else if names_an_id(k) {
                    Some(k.clone())
                } else {
                    None
                };
                if let Some(field) = field
                    && let Some((value, kind)) = id_of(val, &lower)
                {
                    out.push(ObjectRef {
                        value,
                        kind,
                        field,
                        source,
                    });
                }
                if val.is_object() || val.is_array() {
                    // Envelopes (`{"data": [...]}`) name nothing: their items keep the
                    // name of what holds them.
                    let name = if ENVELOPES.contains(&lower.as_str()) {
                        parent
                    } else {
                        k.as_str()
                    };
                    walk(val, name, source, out, depth + 1);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .take(100)
            .for_each(|i| walk(i, parent, source, out, depth + 1)),
        _ => {}
    }
}

/// The object id at the end of a path (`/api/projects/42/` -> `projects`, `42`), or
/// before a last verb-like segment (`/projects/42/edit`).
pub fn ref_in_path(url: &Url, source: RefSource) -> Option<ObjectRef> {
    let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    for at in (1..segments.len()).rev().take(2) {
        let seg = segments[at];
        if let Some(kind) = id_kind(seg) {
            return Some(ObjectRef {
                value: seg.to_string(),
                kind,
                field: segments[at - 1].to_string(),
                source,
            });
        }
    }
    None
}

/// The noun a field or route segment names, for matching ids to routes: `cartId`,
/// `cart_id`, `carts` and `cart` all give `cart`; `bid` gives `b`.
pub fn stem(name: &str) -> String {
    let mut s = name.to_ascii_lowercase();
    for suffix in ["_uuid", "uuid", "_id", "-id", "id", "_pk"] {
        if s.len() > suffix.len()
            && let Some(rest) = s.strip_suffix(suffix)
        {
            s = rest.to_string();
            break;
        }
    }
    let s = s.trim_end_matches(['_', '-']).to_string();
    if let Some(rest) = s.strip_suffix("ies")
        && rest.len() >= 2
    {
        return format!("{rest}y");
    }
    if let Some(rest) = s.strip_suffix("ses")
        && rest.len() >= 2
    {
        return format!("{rest}s");
    }
    match s.strip_suffix('s') {
        Some(rest) if rest.len() >= 2 && !rest.ends_with(['s', 'u']) => rest.to_string(),
        _ => s,
    }
}

/// How well an id named `field` fits the collection segment before a route's `{id}`:
/// 2 for the same noun (`cartId` on `/carts/{id}`), 1 for an abbreviation
/// (`bid` on `/basket/{id}`), 0 for no evidence.
pub fn fit(field: &str, segment: &str) -> u8 {
    let (f, s) = (stem(field), stem(segment));
    if f.is_empty() || s.is_empty() {
        return 0;
    }
    if f == s {
        return 2;
    }
    let lower = field.to_ascii_lowercase();
    // `bid`, `pid`: one letter before `id` abbreviates the noun.
    let abbreviation = f.len() == 1 && lower.len() == 3 && s.starts_with(&f);
    let prefix = f.len() >= 3 && s.len() >= 3 && (s.starts_with(&f) || f.starts_with(&s));
    u8::from(abbreviation || prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use serde_json::json;

    #[test]
    fn ids_in_a_login_answer_are_named_by_their_keys() {
        let answer = json!({"authentication": {"token": "x", "bid": 6, "umail": "a@x.test"},
                            "user": {"id": 17, "orgId": "3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b"}});
        let refs = refs_in_json(&answer, "user", RefSource::Login);
        let by_field = |f: &str| refs.iter().find(|r| r.field == f).map(|r| r.value.as_str());
        assert_eq!(by_field("bid"), Some("6"));
        assert_eq!(by_field("user"), Some("17"));
        assert_eq!(
            by_field("orgId"),
            Some("3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b")
        );
        assert!(refs.iter().all(|r| r.source == RefSource::Login));
    }

    #[test]
    fn a_profile_s_own_id_is_the_user_s_and_sub_claims_too() {
        let refs = refs_in_json(
            &json!({"id": 5, "email": "a@x.test"}),
            "user",
            RefSource::Profile,
        );
        assert_eq!(refs[0].field, "user");
        let token = format!(
            "e30.{}.sig",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"42","exp":1}"#)
        );
        let claims = crate::auth::token::claims(&token).unwrap();
        let refs = refs_in_json(&claims, "", RefSource::Token);
        assert_eq!(refs.len(), 1);
        assert_eq!(
            (refs[0].field.as_str(), refs[0].value.as_str()),
            ("user", "42")
        );
        assert!(crate::auth::token::claims("not.a.jwt.at-all").is_none());
    }

    #[test]
    fn list_items_are_named_by_the_collection_not_the_envelope() {
        let u = Url::parse("http://127.0.0.1/api/projects?page=1").unwrap();
        let json = json!({"data": [{"id": 3}, {"id": 4, "owner": {"id": 9}}]});
        let refs = refs_in_json(&json, &collection_of(&u), RefSource::Response);
        let named: Vec<(&str, &str)> = refs
            .iter()
            .map(|r| (r.field.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(
            named,
            [("projects", "3"), ("projects", "4"), ("owner", "9")]
        );
    }

    #[test]
    fn path_ids_take_the_segment_before_them_as_field() {
        let u = Url::parse("http://127.0.0.1/api/carts/6/items").unwrap();
        let r = ref_in_path(&u, RefSource::Location).unwrap();
        assert_eq!((r.field.as_str(), r.value.as_str()), ("carts", "6"));
        assert!(
            ref_in_path(
                &Url::parse("http://127.0.0.1/api/carts").unwrap(),
                RefSource::Link
            )
            .is_none()
        );
    }

    #[test]
    fn fields_fit_routes_by_noun() {
        assert_eq!(fit("cartId", "carts"), 2);
        assert_eq!(fit("cart_id", "cart"), 2);
        assert_eq!(fit("user", "users"), 2);
        assert_eq!(fit("categoryId", "categories"), 2);
        assert_eq!(fit("bid", "basket"), 1);
        assert_eq!(fit("projId", "projects"), 1);
        assert_eq!(fit("orgId", "carts"), 0);
        assert_eq!(fit("", "carts"), 0);
        assert_eq!(stem("addresses"), "address");
        assert_eq!(stem("status"), "status");
    }
}
