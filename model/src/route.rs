//! Route patterns: concrete paths with their object ids replaced by `{id}`, so one
//! endpoint is one pattern whatever objects were requested.

use serde::Serialize;

/// The kind of an id value, which decides how neighbours are guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdKind {
    Integer,
    Uuid,
    Hex,
    Slug,
}

/// Classifies one path segment or value as an object id, if it looks like one.
pub fn id_kind(segment: &str) -> Option<IdKind> {
    let s = segment;
    if s.is_empty() || s.len() > 128 {
        return None;
    }
    if s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(IdKind::Integer);
    }
    if s.len() == 36 && uuid_like(s) {
        return Some(IdKind::Uuid);
    }
    if s.len() >= 16 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(IdKind::Hex);
    }
    // Opaque ids (nanoid, cuid, ObjectId-like) mix digits and letters without separators.
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    if s.len() >= 12
        && digits >= 2
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !s.contains("--")
    {
        return Some(IdKind::Hex);
    }
    None
}

fn uuid_like(s: &str) -> bool {
    s.bytes().enumerate().all(|(i, b)| {
        if [8, 13, 18, 23].contains(&i) {
            b == b'-'
        } else {
            b.is_ascii_hexdigit()
        }
    })
}

/// Turns `/api/projects/42/tasks/7` into `/api/projects/{id}/tasks/{id}`.
pub fn path_pattern(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if id_kind(seg).is_some() || is_placeholder(seg) {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `id` as one path segment: unreserved characters (letters, digits, `-._~`) as they
/// are, everything else percent-encoded, so a UUID stays a UUID in the URL (and in its
/// route pattern).
pub fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a URL still holds a template placeholder (`/carts/{id}`, `?id={id}`), so it
/// must be filled in before it is requested.
pub fn has_placeholder(url: &url::Url) -> bool {
    url.path().split('/').any(is_placeholder) || url.query_pairs().any(|(_, v)| is_placeholder(&v))
}

/// `{id}` as written in a template, or percent-encoded in a URL.
fn is_placeholder(seg: &str) -> bool {
    let lower = seg.to_ascii_lowercase();
    (seg.starts_with('{') && seg.ends_with('}'))
        || (lower.starts_with("%7b") && lower.ends_with("%7d"))
}

/// An endpoint: a method and a route pattern (`GET /api/projects/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EndpointKey {
    /// Upper case, as sent.
    pub method: String,
    pub pattern: String,
}

impl EndpointKey {
    pub fn new(method: &str, pattern: impl Into<String>) -> EndpointKey {
        EndpointKey {
            method: method.to_ascii_uppercase(),
            pattern: pattern.into(),
        }
    }
}

impl std::fmt::Display for EndpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.pattern)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_keep_unreserved_characters() {
        assert_eq!(
            super::path_segment("3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b"),
            "3f2b8c1e-9a4d-4e1f-8b2a-1c3d4e5f6a7b"
        );
        assert_eq!(super::path_segment("a/b c"), "a%2Fb%20c");
    }
}
