//! One login attempt with chosen credentials, through an identity's configured flow
//! (the shared [`flow`](super::flow)), returning the app's answer whatever it is.
//! Enumeration checks, session fixation and login bursts need the response, not just
//! success or failure.

use super::flow::{self, MissingField, PageCheck, PrepareError, Prepared};
use crate::config::IdentityConfig;
use crate::http::{HttpError, HttpLayer, Request, Response, Session};

/// Readies the identity's login flow in `session` (form flows fetch the page once).
pub async fn prepare(
    http: &HttpLayer,
    session: &Session,
    cfg: &IdentityConfig,
) -> Result<Prepared, String> {
    flow::prepare(http, session, cfg, PageCheck::AnyStatus)
        .await
        .map_err(|e| match e {
            PrepareError::NoPasswordFlow => {
                "the identity does not log in with a password".to_string()
            }
            PrepareError::Http(e) => e.to_string(),
            // Not raised under `PageCheck::AnyStatus`; worded like a missing form.
            PrepareError::PageStatus(resp) => format!(
                "login page {}: answered {}",
                http.redactor().url(&resp.url),
                resp.status
            ),
            PrepareError::NoForm { url, reason } => {
                format!("login page {}: {reason}", http.redactor().url(&url))
            }
            PrepareError::Missing(MissingField::Username) => {
                "cannot tell the username field of the login form".to_string()
            }
            PrepareError::Missing(MissingField::Password) => {
                "the login form has no password field".to_string()
            }
        })
}

/// The request that submits `username` and `password` through a prepared flow.
pub fn request(prepared: &Prepared, username: &str, password: &str) -> Request {
    let req = prepared.request(username, password);
    match prepared {
        // The form's own answer (its status and Set-Cookie) is what probes judge, not
        // the page it redirects to.
        Prepared::Form { .. } | Prepared::Basic { .. } => req.no_redirects(),
        Prepared::Json { .. } => req,
    }
}

/// Submits one login attempt in `session`.
pub async fn attempt(
    http: &HttpLayer,
    session: &Session,
    prepared: &Prepared,
    username: &str,
    password: &str,
) -> Result<Response, HttpError> {
    http.send(session, request(prepared, username, password))
        .await
}

/// A username that exists nowhere, shaped like `like` so that the app judges both the
/// same way: an email at `like`'s own domain (apps reject reserved or odd domains as
/// malformed before any lookup), a plain lower-case alphanumeric name otherwise.
pub fn unknown_username(like: &str) -> String {
    let tag: u64 = rand::random::<u64>() % 1_000_000_000;
    let local = format!("prnouser{tag}");
    match like.rsplit_once('@') {
        Some((_, domain)) if !domain.is_empty() => format!("{local}@{domain}"),
        Some(_) => format!("{local}@example.com"),
        None => local,
    }
}

/// A password no account has.
pub fn wrong_password() -> String {
    format!("prodready-wrong-{}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    #[test]
    fn probes_keep_a_form_logins_own_answer_while_identities_follow_it() {
        let page = Url::parse("http://127.0.0.1:1/login").unwrap();
        let form = Prepared::Form {
            page: page.clone(),
            method: "POST".into(),
            action: page.join("/session").unwrap(),
            fields: vec![("csrf".into(), "c1".into())],
            username_field: "email".into(),
            password_field: "password".into(),
        };
        let login = form.request("u@x", "pw");
        assert!(login.follow_redirects);
        assert_eq!(login.header_value("referer"), Some(page.as_str()));
        let body = login.body.as_ref().unwrap();
        assert_eq!(&body.bytes[..], b"csrf=c1&email=u%40x&password=pw");
        let probe = request(&form, "u@x", "pw");
        assert!(!probe.follow_redirects);
        assert_eq!(probe.body.unwrap().bytes, body.bytes);

        let json = Prepared::Json {
            url: page.join("/api/login").unwrap(),
            base: serde_json::Map::new(),
            username_field: "email".into(),
            password_field: "password".into(),
        };
        assert!(request(&json, "u@x", "pw").follow_redirects);

        let basic = Prepared::Basic {
            method: "GET".into(),
            url: page.join("/internal/whoami").unwrap(),
        };
        let wrong = request(&basic, "u@x", "wrong");
        assert_eq!(
            wrong.header_value("authorization"),
            Some("Basic dUB4Ondyb25n")
        );
        assert!(wrong.body.is_none() && !wrong.follow_redirects);
    }

    #[test]
    fn unknown_usernames_take_the_known_accounts_shape() {
        let email = unknown_username("alice@corp.example.org");
        let (local, domain) = email.split_once('@').unwrap();
        assert_eq!(domain, "corp.example.org");
        assert!(local.chars().all(|c| c.is_ascii_alphanumeric()), "{email}");
        assert_ne!(email, unknown_username("alice@corp.example.org"));

        let plain = unknown_username("alice");
        assert!(!plain.contains('@'));
        assert!(plain.chars().all(|c| c.is_ascii_alphanumeric()), "{plain}");
        assert!(plain.len() <= 20, "{plain}");
    }
}
