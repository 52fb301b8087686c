//! Privileged fields: what a request body may try to set that only the server should (a
//! role, an admin flag, an owner or tenant id), with the value that would mean the
//! client got to set it.
//!
//! Besides a built-in list of common names, names are learned from the app's own
//! answers: keys of the identities' profiles, login answers and token claims whose
//! values look like a role or a privilege flag (and, where an admin identity is
//! configured, the admin's value for a key the others hold differently), and fields a
//! read of an object shows that its create did not take.

use serde_json::{Map, Value};

use crate::discover::refs::names_an_id;

/// One field a request body tries to set, and the value it is set to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub name: String,
    pub value: Value,
    /// Where the name was learned (`profile`, `the admin's token claims`); `None` for
    /// the built-in list.
    pub learned: Option<String>,
}

impl Field {
    fn builtin(name: &str, value: Value) -> Field {
        Field {
            name: name.to_string(),
            value,
            learned: None,
        }
    }
}

/// Learned fields tried at most, per place they are learned for.
const MAX_LEARNED: usize = 6;

/// Words that make a key name a privilege: `is_admin`, `staff`, `user_role`...
const PRIVILEGE_WORDS: &[&str] = &[
    "admin",
    "staff",
    "super",
    "root",
    "role",
    "privilege",
    "permission",
    "moderator",
    "manager",
    "owner",
    "elevated",
    "trusted",
    "verified",
    "approved",
    "premium",
    "internal",
    "sudo",
    "operator",
];

/// Words that make a key name a role or access level whose value is a word.
const ROLE_WORDS: &[&str] = &[
    "role",
    "group",
    "level",
    "tier",
    "access",
    "permission",
    "scope",
    "usertype",
    "accounttype",
];

/// Values a role field holds for an ordinary user.
const LOW_ROLES: &[&str] = &[
    "user",
    "member",
    "customer",
    "client",
    "viewer",
    "reader",
    "guest",
    "basic",
    "standard",
    "regular",
    "default",
    "subscriber",
    "student",
    "employee",
    "contributor",
    "free",
];

/// Keys that never carry a privilege: standard token claims, identity and secrets.
fn is_plain_key(name: &str) -> bool {
    let n = normalized(name);
    matches!(
        n.as_str(),
        "sub"
            | "iat"
            | "exp"
            | "nbf"
            | "iss"
            | "aud"
            | "jti"
            | "azp"
            | "id"
            | "uuid"
            | "pk"
            | "email"
            | "name"
            | "username"
            | "displayname"
            | "firstname"
            | "lastname"
    ) || n.contains("token")
        || n.contains("password")
        || n.contains("secret")
        || n.contains("csrf")
        || n.ends_with("createdat")
        || n.ends_with("updatedat")
        || n.ends_with("expiresat")
}

/// A key name without case, `_` and `-`: `is_admin`, `isAdmin` and `IsAdmin` are one.
pub(crate) fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn has_word(name: &str, words: &[&str]) -> bool {
    let n = normalized(name);
    words.iter().any(|w| n.contains(w))
}

/// The fields tried on an account (signup, profile update): roles and admin flags.
pub(crate) fn builtin_account() -> Vec<Field> {
    vec![
        Field::builtin("role", Value::from("admin")),
        Field::builtin("roles", Value::from(vec!["admin"])),
        Field::builtin("is_admin", Value::from(true)),
        Field::builtin("isAdmin", Value::from(true)),
        Field::builtin("admin", Value::from(true)),
        Field::builtin("is_staff", Value::from(true)),
        Field::builtin("is_superuser", Value::from(true)),
        Field::builtin("permissions", Value::from(vec!["*"])),
        Field::builtin("verified", Value::from(true)),
        Field::builtin("email_verified", Value::from(true)),
    ]
}

/// `base` with `extra` added, one field per name (the first of a name wins, so list
/// learned fields first: the app's own names and values beat the built-in guesses).
pub(crate) fn merged(first: Vec<Field>, then: Vec<Field>) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    for f in first.into_iter().chain(then) {
        if !out.iter().any(|o| o.name == f.name) {
            out.push(f);
        }
    }
    out
}

/// Every `(key, value)` pair of `v` down to a small depth, lists of objects skipped
/// (a profile's own fields, not the rows it embeds).
pub(crate) fn leaves(v: &Value) -> Vec<(String, Value)> {
    fn walk(v: &Value, depth: usize, out: &mut Vec<(String, Value)>) {
        let Some(obj) = v.as_object() else { return };
        for (k, x) in obj {
            match x {
                Value::Object(_) if depth < 3 => walk(x, depth + 1, out),
                Value::Object(_) => {}
                Value::Array(items) if items.iter().any(Value::is_object) => {}
                _ => out.push((k.clone(), x.clone())),
            }
        }
    }
    let mut out = Vec::new();
    walk(v, 0, &mut out);
    out
}

/// The privileged value for a key that an ordinary identity holds as `value`, when
/// its name and value say it is a privilege flag or a role.
fn escalated(name: &str, value: &Value) -> Option<Value> {
    match value {
        Value::Bool(false) if has_word(name, PRIVILEGE_WORDS) => Some(Value::from(true)),
        Value::String(s)
            if has_word(name, ROLE_WORDS)
                && LOW_ROLES.iter().any(|r| s.eq_ignore_ascii_case(r)) =>
        {
            Some(Value::from("admin"))
        }
        Value::Array(items)
            if has_word(name, ROLE_WORDS)
                && items.iter().all(Value::is_string)
                && !items.iter().any(|i| i.as_str() == Some("admin")) =>
        {
            let mut more = items.clone();
            more.push(Value::from("admin"));
            Some(Value::Array(more))
        }
        _ => None,
    }
}

/// Whether a value can be sent back as a field's value (a scalar or a list of them).
fn sendable(v: &Value) -> bool {
    match v {
        Value::Null | Value::Object(_) => false,
        Value::Array(items) => items.iter().all(|i| !i.is_object() && !i.is_array()),
        _ => true,
    }
}

/// Fields learned from what the app answered an ordinary identity (`own`: its profile,
/// login answer, token claims, each with a label) and, when configured, an admin
/// (`admin`): a key the admin holds with another value than the ordinary identity is
/// tried with the admin's value; a key whose name and value look like a privilege flag
/// or a role is tried with the privileged value.
pub(crate) fn learn_from_answers(own: &[(String, Value)], admin: &[(String, Value)]) -> Vec<Field> {
    let admin_leaves: Vec<(String, Value, &str)> = admin
        .iter()
        .flat_map(|(label, v)| {
            leaves(v)
                .into_iter()
                .map(move |(k, x)| (k, x, label.as_str()))
        })
        .collect();
    let mut out: Vec<Field> = Vec::new();
    let push = |out: &mut Vec<Field>, name: &str, value: Value, from: String| {
        if out.len() < MAX_LEARNED && !out.iter().any(|f| f.name == name) {
            out.push(Field {
                name: name.to_string(),
                value,
                learned: Some(from),
            });
        }
    };
    let own_leaves: Vec<(String, Value, &str)> = own
        .iter()
        .flat_map(|(label, v)| {
            leaves(v)
                .into_iter()
                .map(move |(k, x)| (k, x, label.as_str()))
        })
        .collect();
    // The admin's value first: it is the app's own word for the privilege.
    for (k, v, label) in &own_leaves {
        if is_plain_key(k) || names_an_id(k) || !(v.is_boolean() || has_word(k, PRIVILEGE_WORDS)) {
            continue;
        }
        if let Some((_, a, alabel)) = admin_leaves
            .iter()
            .find(|(ak, a, _)| ak == k && a != v && sendable(a))
        {
            push(&mut out, k, a.clone(), format!("{alabel}, not {label}"));
        }
    }
    // Keys only the admin has, holding `true` or a privilege-named value.
    for (k, a, alabel) in &admin_leaves {
        let privileged = *a == Value::Bool(true)
            || (has_word(k, PRIVILEGE_WORDS) && sendable(a) && !a.is_boolean());
        if privileged
            && !is_plain_key(k)
            && !names_an_id(k)
            && !own_leaves.iter().any(|(ok, _, _)| ok == k)
        {
            push(&mut out, k, a.clone(), alabel.to_string());
        }
    }
    for (k, v, label) in &own_leaves {
        if is_plain_key(k) || names_an_id(k) {
            continue;
        }
        if let Some(value) = escalated(k, v) {
            push(&mut out, k, value, label.to_string());
        }
    }
    out
}

/// Ids of the other tenant, the values ownership and tenant fields are set to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OtherIds {
    pub org: Value,
    pub user: Value,
}

/// Words of a key naming the tenant an object belongs to.
const TENANT_WORDS: &[&str] = &[
    "tenant",
    "org",
    "organization",
    "organisation",
    "account",
    "team",
    "company",
    "workspace",
];
/// Words of a key naming the user an object belongs to.
const OWNER_WORDS: &[&str] = &["owner", "user", "creator", "author", "createdby"];

/// Whether a key names a timestamp (`created_at`, `updatedAt`, `date_joined`).
fn is_time_key(name: &str) -> bool {
    let n = normalized(name);
    let stamped = n.contains("created") || n.contains("updated") || n.contains("deleted");
    (n.ends_with("at") && stamped) || n.contains("date") || n.contains("time")
}

/// Fields a read of the scanner's object (`read`) shows that its create body (`sent`)
/// did not take: set by the server, so a client must not be able to set them. An
/// ownership or tenant field is tried with the other tenant's value for the same key
/// (from `other`, the other tenant's object in the same collection) or its ids; a
/// privilege flag or a role with the privileged value.
pub(crate) fn learn_from_object(
    read: &Map<String, Value>,
    sent: &Map<String, Value>,
    other: Option<&Map<String, Value>>,
    ids: &OtherIds,
) -> Vec<Field> {
    let mut out = Vec::new();
    for (k, v) in read {
        if out.len() >= MAX_LEARNED
            || sent.contains_key(k)
            || is_plain_key(k)
            || is_time_key(k)
            || matches!(normalized(k).as_str(), "slug" | "key" | "url" | "href")
        {
            continue;
        }
        let theirs = other
            .and_then(|o| o.get(k))
            .filter(|o| *o != v && matches!(o, Value::String(_) | Value::Number(_)));
        let ownership = names_an_id(k) || has_word(k, TENANT_WORDS) || has_word(k, OWNER_WORDS);
        let value = if ownership && matches!(v, Value::String(_) | Value::Number(_)) {
            theirs.cloned().or_else(|| {
                Some(if has_word(k, TENANT_WORDS) {
                    ids.org.clone()
                } else {
                    ids.user.clone()
                })
            })
        } else {
            escalated(k, v)
        };
        if let Some(value) = value.filter(|x| x != v) {
            out.push(Field {
                name: k.clone(),
                value,
                learned: Some("the object's own fields".to_string()),
            });
        }
    }
    out
}

/// Whether `found` holds the injected `value`: equal (a number and its string alike,
/// words without case), or a list holding every injected item.
pub(crate) fn holds(found: &Value, value: &Value) -> bool {
    match (found, value) {
        (Value::Number(x), Value::String(y)) | (Value::String(y), Value::Number(x)) => {
            x.to_string() == *y
        }
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Array(items), Value::Array(wanted)) => {
            !wanted.is_empty() && wanted.iter().all(|w| items.iter().any(|i| holds(i, w)))
        }
        (Value::Array(items), v) => items.iter().any(|i| holds(i, v)),
        _ => found == value,
    }
}

/// Whether some key of `answer` named like `field` (case, `_` and `-` aside) holds
/// its injected value, anywhere in the answer's own fields.
pub(crate) fn shows(answer: &Value, field: &Field) -> bool {
    let want = normalized(&field.name);
    leaves(answer)
        .iter()
        .any(|(k, v)| normalized(k) == want && holds(v, &field.value))
}

/// Whether some key of `answer` is named like `name` (case, `_` and `-` aside).
pub(crate) fn names_key(answer: &Value, name: &str) -> bool {
    let want = normalized(name);
    leaves(answer).iter().any(|(k, _)| normalized(k) == want)
}

/// The fields that stuck on an object: present in `after` with the injected value, and
/// not already that value in `before` (a default of `verified: true` is no finding).
pub(crate) fn stuck<'f>(
    fields: &'f [Field],
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Vec<&'f Field> {
    fields
        .iter()
        .filter(|f| {
            after.get(&f.name).is_some_and(|v| holds(v, &f.value))
                && !before.get(&f.name).is_some_and(|v| holds(v, &f.value))
        })
        .collect()
}

/// The fields a refusal names (`unknown field 'role'`, `{"field": "is_admin"}`), so a
/// retry can leave them out. A refusal that names every field sent, the ordinary ones
/// included, merely echoes the body and names none.
pub(crate) fn named_in_refusal<'f>(
    text: &str,
    fields: &'f [Field],
    ordinary: &[String],
) -> Vec<&'f Field> {
    let text: String = text.chars().take(8 * 1024).collect();
    let named: Vec<&Field> = fields
        .iter()
        .filter(|f| names_word(&text, &f.name))
        .collect();
    let echoes = named.len() == fields.len()
        && !ordinary.is_empty()
        && ordinary.iter().all(|o| names_word(&text, o));
    if echoes { Vec::new() } else { named }
}

/// Whether `word` occurs in `text` as a whole identifier.
fn names_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The names of `fields`, for notes and findings.
pub(crate) fn names<'f>(fields: impl IntoIterator<Item = &'f Field>) -> String {
    fields
        .into_iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where learned fields came from, for the run's notes (`staff (profile)`).
pub(crate) fn learned_note(fields: &[Field]) -> Option<String> {
    let learned: Vec<String> = fields
        .iter()
        .filter_map(|f| f.learned.as_ref().map(|l| format!("{} ({l})", f.name)))
        .collect();
    (!learned.is_empty()).then(|| learned.join(", "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(name: &str, value: Value) -> Field {
        Field::builtin(name, value)
    }

    #[test]
    fn privilege_flags_and_roles_are_learned_from_an_ordinary_profile() {
        let me = json!({"data": {"id": 4, "email": "m@x.test", "role": "member",
            "staff": false, "active": false, "is_reviewer": false, "groups": ["users"],
            "organization": {"id": 2, "name": "Acme"}}});
        let claims = json!({"sub": "4", "exp": 1, "scope_level": "basic"});
        let learned = learn_from_answers(
            &[("profile".into(), me), ("token claims".into(), claims)],
            &[],
        );
        let got: Vec<(&str, &Value)> = learned
            .iter()
            .map(|f| (f.name.as_str(), &f.value))
            .collect();
        assert!(got.contains(&("role", &json!("admin"))), "{got:?}");
        assert!(got.contains(&("staff", &json!(true))), "{got:?}");
        assert!(
            got.contains(&("groups", &json!(["users", "admin"]))),
            "{got:?}"
        );
        assert!(got.contains(&("scope_level", &json!("admin"))), "{got:?}");
        // Not privileges: a plain flag, an id, the identity's own name.
        for not in ["active", "is_reviewer", "id", "email", "name", "sub", "exp"] {
            assert!(!got.iter().any(|(n, _)| *n == not), "{not} in {got:?}");
        }
        assert_eq!(learned[1].learned.as_deref(), Some("profile"));
    }

    #[test]
    fn the_admins_own_value_beats_a_guess() {
        let member = json!({"role": "9f1c-member-uuid", "name": "Mia", "is_manager": false});
        let admin = json!({"role": "0a2b-admin-uuid", "name": "Ada", "is_manager": true,
            "admin_access": true, "app_access": true, "theme": "dark"});
        let learned = learn_from_answers(
            &[("b's profile".into(), member)],
            &[("admin's profile".into(), admin)],
        );
        let got: Vec<(&str, &Value)> = learned
            .iter()
            .map(|f| (f.name.as_str(), &f.value))
            .collect();
        assert!(
            got.contains(&("role", &json!("0a2b-admin-uuid"))),
            "{got:?}"
        );
        assert!(got.contains(&("is_manager", &json!(true))), "{got:?}");
        assert!(got.contains(&("admin_access", &json!(true))), "{got:?}");
        assert!(got.contains(&("app_access", &json!(true))), "{got:?}");
        assert!(
            !got.iter().any(|(n, _)| *n == "name" || *n == "theme"),
            "{got:?}"
        );
        assert!(learned.len() <= MAX_LEARNED);
        assert_eq!(
            learned[0].learned.as_deref(),
            Some("admin's profile, not b's profile")
        );
    }

    #[test]
    fn fields_an_object_shows_but_its_create_did_not_take_are_learned() {
        let sent = json!({"name": "prodready-canary-1", "description": "x"});
        let read = json!({"id": 7, "name": "prodready-canary-1", "description": "x",
            "tenant": 3, "user_created": "u-a", "approved": false, "archived": false,
            "created_at": "2026-01-01", "slug": "p-7"});
        let other = json!({"id": 9, "tenant": 5, "user_created": "u-b"});
        let ids = OtherIds {
            org: json!(987),
            user: json!(988),
        };
        let learned = learn_from_object(
            read.as_object().unwrap(),
            sent.as_object().unwrap(),
            other.as_object(),
            &ids,
        );
        let got: Vec<(&str, &Value)> = learned
            .iter()
            .map(|f| (f.name.as_str(), &f.value))
            .collect();
        assert!(got.contains(&("tenant", &json!(5))), "{got:?}");
        assert!(got.contains(&("user_created", &json!("u-b"))), "{got:?}");
        assert!(got.contains(&("approved", &json!(true))), "{got:?}");
        for not in ["id", "name", "archived", "created_at", "slug"] {
            assert!(!got.iter().any(|(n, _)| *n == not), "{not} in {got:?}");
        }
        // Without the other tenant's object, its ids stand in.
        let alone = learn_from_object(
            read.as_object().unwrap(),
            sent.as_object().unwrap(),
            None,
            &ids,
        );
        assert!(
            alone
                .iter()
                .any(|f| f.name == "tenant" && f.value == json!(987))
        );
        assert!(
            alone
                .iter()
                .any(|f| f.name == "user_created" && f.value == json!(988))
        );
    }

    #[test]
    fn injected_values_are_found_nested_and_in_any_spelling() {
        let login =
            json!({"access_token": "t", "user": {"isAdmin": true, "roles": ["user", "admin"]}});
        assert!(shows(&login, &field("is_admin", json!(true))));
        assert!(shows(&login, &field("roles", json!(["admin"]))));
        assert!(!shows(&login, &field("role", json!("admin"))));
        assert!(shows(
            &json!({"role": "Admin"}),
            &field("role", json!("admin"))
        ));
        assert!(shows(
            &json!({"owner_id": "12"}),
            &field("owner_id", json!(12))
        ));
        assert!(!shows(
            &json!({"is_admin": false}),
            &field("is_admin", json!(true))
        ));
    }

    #[test]
    fn only_fields_that_changed_to_the_injected_value_stuck() {
        let fields = vec![
            field("verified", json!(true)),
            field("owner_id", json!(12)),
            field("role", json!("admin")),
        ];
        let before = json!({"id": 1, "verified": true, "owner_id": 5});
        let after = json!({"id": 1, "verified": true, "owner_id": "12", "role": "member"});
        let hits = stuck(
            &fields,
            before.as_object().unwrap(),
            after.as_object().unwrap(),
        );
        assert_eq!(names(hits), "owner_id");
    }

    #[test]
    fn a_refusal_names_the_fields_it_refused_unless_it_echoes_the_body() {
        let fields = vec![field("role", json!("admin")), field("admin", json!(true))];
        let ordinary = vec!["email".to_string(), "password".to_string()];
        let named = named_in_refusal(
            r#"{"error":"unknown field 'role'","field":"role"}"#,
            &fields,
            &ordinary,
        );
        assert_eq!(names(named), "role");
        // "Administrator" is not the field `admin`.
        assert!(named_in_refusal("Administrator approval needed", &fields, &ordinary).is_empty());
        let echo =
            r#"{"detail":"bad","input":{"email":"x","password":"y","role":"admin","admin":true}}"#;
        assert!(named_in_refusal(echo, &fields, &ordinary).is_empty());
    }
}
