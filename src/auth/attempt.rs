//! One login attempt with chosen credentials, following an identity's configured flow
//! (JSON or HTML form), returning the app's answer whatever it is. Enumeration checks,
//! session fixation and login bursts need the response, not just success or failure.

use serde_json::{Map, Value};
use url::Url;

use crate::config::{IdentityConfig, Login};
use crate::html;
use crate::http::{HttpError, HttpLayer, Request, Response, Session};

/// A login flow ready to take credentials: the form page is fetched once (its CSRF
/// token and pre-session cookie are reused), so a burst of N attempts is N requests.
#[derive(Debug, Clone)]
pub enum Prepared {
    Json {
        url: Url,
        base: Map<String, Value>,
        username_field: String,
        password_field: String,
    },
    Form {
        page: Url,
        method: String,
        action: Url,
        fields: Vec<(String, String)>,
        username_field: String,
        password_field: String,
    },
}

impl Prepared {
    /// Where credentials are submitted.
    pub fn url(&self) -> &Url {
        match self {
            Prepared::Json { url, .. } => url,
            Prepared::Form { action, .. } => action,
        }
    }

    pub fn method(&self) -> &str {
        match self {
            Prepared::Json { .. } => "POST",
            Prepared::Form { method, .. } => method,
        }
    }
}

/// Whether an identity logs in with a username and password (the flows that can be attempted).
pub fn has_password_flow(cfg: &IdentityConfig) -> bool {
    matches!(cfg.login, Login::Json { .. } | Login::Form { .. })
}

/// The configured username of a password flow.
pub fn username(cfg: &IdentityConfig) -> Option<&str> {
    match &cfg.login {
        Login::Json { username, .. } | Login::Form { username, .. } => Some(username),
        _ => None,
    }
}

/// The configured password of a password flow.
pub fn password(cfg: &IdentityConfig) -> Option<&str> {
    match &cfg.login {
        Login::Json { password, .. } | Login::Form { password, .. } => Some(password.expose()),
        _ => None,
    }
}

/// Readies the identity's login flow in `session` (form flows fetch the page once).
pub async fn prepare(
    http: &HttpLayer,
    session: &Session,
    cfg: &IdentityConfig,
) -> Result<Prepared, String> {
    match &cfg.login {
        Login::Json {
            url,
            username_field,
            password_field,
            extra,
            ..
        } => Ok(Prepared::Json {
            url: url.clone(),
            base: extra.clone(),
            username_field: username_field.clone(),
            password_field: password_field.clone(),
        }),
        Login::Form {
            page,
            username_field,
            password_field,
            selector,
            ..
        } => {
            let resp = http
                .send(session, Request::get(page.clone()))
                .await
                .map_err(|e| e.to_string())?;
            let form = html::login_form(&resp.url, &resp.text(), selector.as_deref())
                .map_err(|e| format!("login page {}: {e}", http.redactor().url(&resp.url)))?;
            let crate::auth::login::FormFields { user, pass, fields } =
                crate::auth::login::form_fields(
                    &form,
                    username_field.as_deref(),
                    password_field.as_deref(),
                )
                .map_err(|m| match m {
                    crate::auth::login::MissingField::Username => {
                        "cannot tell the username field of the login form"
                    }
                    crate::auth::login::MissingField::Password => {
                        "the login form has no password field"
                    }
                })?;
            Ok(Prepared::Form {
                page: page.clone(),
                method: form.method.clone(),
                action: form.action.clone(),
                fields,
                username_field: user,
                password_field: pass,
            })
        }
        _ => Err("the identity does not log in with a password".to_string()),
    }
}

/// The request that submits `username` and `password` through a prepared flow.
pub fn request(prepared: &Prepared, username: &str, password: &str) -> Request {
    match prepared {
        Prepared::Json {
            url,
            base,
            username_field,
            password_field,
        } => {
            let mut body = base.clone();
            body.insert(username_field.clone(), Value::String(username.to_string()));
            body.insert(password_field.clone(), Value::String(password.to_string()));
            Request::new("POST", url.clone())
                .json(&Value::Object(body))
                .header("Accept", "application/json")
        }
        Prepared::Form {
            page,
            method,
            action,
            fields,
            username_field,
            password_field,
        } => {
            let mut fields = fields.clone();
            fields.push((username_field.clone(), username.to_string()));
            fields.push((password_field.clone(), password.to_string()));
            let req = if method == "GET" {
                let mut u = action.clone();
                u.query_pairs_mut().extend_pairs(&fields);
                Request::get(u)
            } else {
                Request::new(method, action.clone()).form(&fields)
            };
            req.header("Referer", page.as_str()).no_redirects()
        }
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

/// A username that exists nowhere, shaped like `like` (an email when `like` is one).
pub fn unknown_username(like: &str) -> String {
    let tag: u64 = rand::random::<u64>() % 1_000_000_000;
    if like.contains('@') {
        // `.invalid` is reserved (RFC 2606): no such account or mailbox can exist.
        format!("prodready-nouser-{tag}@example.invalid")
    } else {
        format!("prodready-nouser-{tag}")
    }
}

/// A password no account has.
pub fn wrong_password() -> String {
    format!("prodready-wrong-{}", rand::random::<u64>())
}
