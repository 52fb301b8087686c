//! Redaction: no credential, token, cookie or configured secret leaves the scanner.

use std::sync::{Arc, LazyLock, RwLock};

use regex::Regex;

pub const REDACTED: &str = "[REDACTED]";

/// Replaces known secrets and credential-shaped values in text meant for reports and logs.
/// Shared by every identity: a token learned at login is added as soon as it is seen.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
        .expect("valid JWT regex")
});

/// `"password": "x"`, `password=x`, `api_key: x`... in JSON, forms and query strings.
static SECRET_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)((?:"|\b)(?:password|passwd|pass|pwd|secret|client_secret|token|access_token|refresh_token|id_token|api_key|apikey|session|sessionid|csrf_token|authenticity_token|_csrf|csrfmiddlewaretoken)"?\s*[:=]\s*"?)([^"&\s,;}]+)"#,
    )
    .expect("valid secret-field regex")
});

/// `Basic <base64>` in free text (an echoed header, a curl line); redacted when the
/// base64 decodes to `user:password`, so "basic authentication" stays readable.
static BASIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})").expect("valid Basic regex")
});

/// Whether `encoded` is base64 of `user:password`.
fn is_basic_credential(encoded: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .is_some_and(|text| text.contains(':'))
}

/// Headers whose whole value is a credential.
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || n.contains("token")
        || n.contains("secret")
        || n.contains("api-key")
        || n.contains("apikey")
        || n.contains("csrf")
        || n.contains("xsrf")
        || n == "x-auth"
        || n == "x-session-id"
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Remembers a secret so every later excerpt hides it. Short values are ignored
    /// because redacting them would shred ordinary text.
    pub fn add(&self, secret: &str) {
        let secret = secret.trim();
        if secret.len() < 4 {
            return;
        }
        let mut list = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if !list.iter().any(|s| s == secret) {
            list.push(secret.to_string());
            // Longest first, so a secret that contains another is hidden whole.
            list.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Every secret registered so far (for the report's last line of defence).
    pub fn secrets(&self) -> Vec<String> {
        self.secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Hides registered secrets, JWTs and secret-named fields.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self
            .secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        let out = BASIC.replace_all(&out, |c: &regex::Captures<'_>| {
            if is_basic_credential(&c[3]) {
                format!("{}{}{REDACTED}", &c[1], &c[2])
            } else {
                c[0].to_string()
            }
        });
        let out = JWT.replace_all(&out, "[REDACTED-JWT]");
        SECRET_FIELD
            .replace_all(&out, format!("${{1}}{REDACTED}"))
            .into_owned()
    }

    /// Redacts a header value: credentials entirely (keeping the auth scheme and cookie
    /// names and attributes so the evidence still reads), everything else as text.
    pub fn header(&self, name: &str, value: &str) -> String {
        let n = name.to_ascii_lowercase();
        match n.as_str() {
            "authorization" | "proxy-authorization" => match value.split_once(' ') {
                Some((scheme, _)) => format!("{scheme} {REDACTED}"),
                None => REDACTED.to_string(),
            },
            "cookie" => value
                .split(';')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) => format!("{}={REDACTED}", k.trim()),
                    None => REDACTED.to_string(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            "set-cookie" => {
                let mut parts = value.splitn(2, ';');
                let first = parts.next().unwrap_or("");
                let attrs = parts.next().map(|a| format!(";{a}")).unwrap_or_default();
                match first.split_once('=') {
                    Some((k, _)) => format!("{}={REDACTED}{}", k.trim(), self.text(&attrs)),
                    None => REDACTED.to_string(),
                }
            }
            _ if is_sensitive_header(&n) => REDACTED.to_string(),
            _ => self.text(value),
        }
    }

    /// Redacts a URL's secret-looking query parameters and any registered secret in it.
    pub fn url(&self, url: &url::Url) -> String {
        let mut u = url.clone();
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    // `auth` is how the Firebase Realtime Database takes an ID token.
                    let hide = SECRET_FIELD.is_match(&format!("{k}=x")) || k == "auth";
                    (
                        k.into_owned(),
                        if hide {
                            REDACTED.to_string()
                        } else {
                            v.into_owned()
                        },
                    )
                })
                .collect();
            u.query_pairs_mut().clear().extend_pairs(pairs);
        }
        if u.password().is_some() {
            let _ = u.set_password(Some("REDACTED"));
        }
        self.text(u.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_jwts_and_fields_are_hidden() {
        let r = Redactor::new();
        r.add("hunter2-long");
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl";
        let text =
            format!(r#"{{"password":"abc123","token":"{jwt}","note":"hunter2-long is here"}}"#);
        let out = r.text(&text);
        assert!(!out.contains("abc123"), "{out}");
        assert!(!out.contains(jwt), "{out}");
        assert!(!out.contains("hunter2-long"), "{out}");
        assert!(out.contains("note"));
        assert_eq!(
            r.text("email=a@x.test&password=pw99"),
            "email=a@x.test&password=[REDACTED]"
        );
    }

    #[test]
    fn a_firebase_auth_parameter_is_hidden_in_urls() {
        let r = Redactor::new();
        let u = url::Url::parse(
            "https://x.firebaseio.com/notes.json?shallow=true&auth=opaque-id-token",
        )
        .unwrap();
        let out = r.url(&u);
        assert!(!out.contains("opaque-id-token"), "{out}");
        assert!(out.contains("shallow=true"), "{out}");
    }

    #[test]
    fn basic_credentials_are_hidden_in_text_and_headers() {
        let r = Redactor::new();
        // base64("alice@acme.test:s3cret")
        let line = "curl -H 'Authorization: Basic YWxpY2VAYWNtZS50ZXN0OnMzY3JldA==' /x";
        let out = r.text(line);
        assert!(!out.contains("YWxpY2VAYWNtZS50ZXN0OnMzY3JldA"), "{out}");
        assert!(out.contains("Basic [REDACTED]"), "{out}");
        assert_eq!(
            r.header("Authorization", "Basic YWxpY2VAYWNtZS50ZXN0OnMzY3JldA=="),
            "Basic [REDACTED]"
        );
        let prose = "This route needs basic authentication over HTTPS";
        assert_eq!(r.text(prose), prose);
    }

    #[test]
    fn headers_keep_their_shape() {
        let r = Redactor::new();
        assert_eq!(
            r.header("Authorization", "Bearer abc.def"),
            "Bearer [REDACTED]"
        );
        assert_eq!(r.header("cookie", "a=1; b=2"), "a=[REDACTED]; b=[REDACTED]");
        assert_eq!(
            r.header("set-cookie", "sid=xyz; HttpOnly; Path=/"),
            "sid=[REDACTED]; HttpOnly; Path=/"
        );
        assert_eq!(r.header("X-CSRF-Token", "t0k"), "[REDACTED]");
        assert_eq!(r.header("content-type", "text/html"), "text/html");
    }

    #[test]
    fn urls_lose_secret_params() {
        let r = Redactor::new();
        let u = url::Url::parse("http://u:pw@127.0.0.1/x?q=ok&api_key=k123&token=t").unwrap();
        let out = r.url(&u);
        assert!(
            !out.contains("k123") && !out.contains(":pw@") && out.contains("q=ok"),
            "{out}"
        );
    }
}
