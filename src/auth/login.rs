//! The login flows: JSON with a token or cookie, an HTML form with CSRF, static credentials.

use serde_json::Value;
use url::Url;

use super::AuthError;
use crate::config::{CsrfOrigin, CsrfSource, IdentityConfig, Login, TokenPlacement};
use crate::html;
use crate::http::{HttpLayer, Request, Response, Session};

/// Header names frameworks expect a CSRF token in, keyed by where the token comes from.
const CSRF_COOKIES: &[(&str, &str)] = &[
    ("XSRF-TOKEN", "X-XSRF-TOKEN"), // Angular, Laravel
    ("csrftoken", "X-CSRFToken"),   // Django
    ("csrf_token", "X-CSRF-Token"), // Flask-WTF, many others
    ("_csrf", "X-CSRF-Token"),
];
const CSRF_METAS: &[&str] = &["csrf-token", "csrf_token", "_csrf", "csrf"];

/// Establishes a session for `identity` in `session`. Returns the response that proved it.
pub async fn login(
    http: &HttpLayer,
    session: &Session,
    identity: &IdentityConfig,
) -> Result<Option<Response>, AuthError> {
    session.reset();
    let fail = |detail: String| AuthError::LoginFailed {
        identity: identity.id,
        detail,
    };
    let landing = match &identity.login {
        Login::Token { token, send } => {
            http.redactor().add(token.expose());
            place_token(session, send, token.expose(), &identity.login_url_base());
            None
        }
        Login::Cookie { name, value } => {
            http.redactor().add(value.expose());
            session.with_jar(|j| j.insert(&identity.login_url_base(), name, value.expose()));
            None
        }
        Login::Json {
            url,
            username,
            password,
            username_field,
            password_field,
            extra,
            token_pointer,
            send,
        } => {
            let mut body = extra.clone();
            body.insert(username_field.clone(), Value::String(username.clone()));
            body.insert(
                password_field.clone(),
                Value::String(password.expose().to_string()),
            );
            let req = Request::new("POST", url.clone())
                .json(&Value::Object(body))
                .header("Accept", "application/json");
            let resp = http
                .send(session, req)
                .await
                .map_err(|e| fail(e.to_string()))?;
            if !resp.is_success() {
                return Err(fail(describe(http, &resp)));
            }
            match token_pointer {
                Some(pointer) => {
                    let json = resp.json().ok_or_else(|| {
                        fail(format!(
                            "the response is not JSON; {}",
                            describe(http, &resp)
                        ))
                    })?;
                    let token = json.pointer(pointer).and_then(Value::as_str).ok_or_else(|| {
                        fail(format!("no string at JSON pointer {pointer} (set identities.{}.login.token); {}", identity.id, describe(http, &resp)))
                    })?;
                    http.redactor().add(token);
                    place_token(session, send, token, url);
                }
                None if session.with_jar(|j| j.cookies().is_empty()) => {
                    return Err(fail(format!(
                        "login answered {} but set no cookie and no token pointer is configured (set identities.{}.login.token)",
                        resp.status, identity.id
                    )));
                }
                None => {}
            }
            Some(resp)
        }
        Login::Form {
            page,
            username,
            password,
            username_field,
            password_field,
            selector,
        } => {
            let resp = http
                .send(session, Request::get(page.clone()))
                .await
                .map_err(|e| fail(e.to_string()))?;
            if !resp.is_success() {
                return Err(fail(format!("login page: {}", describe(http, &resp))));
            }
            let form =
                html::login_form(&resp.url, &resp.text(), selector.as_deref()).map_err(|e| {
                    fail(format!(
                        "login page {}: {e} (set identities.{}.login.selector)",
                        resp.url, identity.id
                    ))
                })?;
            let FormFields { user: user_field, pass: pass_field, mut fields } =
                form_fields(&form, username_field.as_deref(), password_field.as_deref()).map_err(|missing| {
                    fail(match missing {
                        MissingField::Username => format!(
                            "cannot tell the username field of the form; set identities.{}.login.username_field",
                            identity.id
                        ),
                        MissingField::Password => {
                            format!("no password field; set identities.{}.login.password_field", identity.id)
                        }
                    })
                })?;
            fields.push((user_field, username.clone()));
            fields.push((pass_field, password.expose().to_string()));
            let req = if form.method == "GET" {
                let mut u = form.action.clone();
                u.query_pairs_mut().extend_pairs(&fields);
                Request::get(u)
            } else {
                Request::new(&form.method, form.action.clone()).form(&fields)
            };
            let resp = http
                .send(session, req.header("Referer", page.as_str()))
                .await
                .map_err(|e| fail(e.to_string()))?;
            if resp.status >= 400 {
                return Err(fail(describe(http, &resp)));
            }
            if resp.is_html()
                && html::login_form(&resp.url, &resp.text(), selector.as_deref()).is_ok()
                && identity.check.is_none()
            {
                return Err(fail(format!(
                    "the login form came back after submitting it (wrong credentials?); {}",
                    describe(http, &resp)
                )));
            }
            Some(resp)
        }
    };
    for c in session.with_jar(|j| j.cookies().to_vec()) {
        http.redactor().add(&c.value);
    }
    if let Some(resp) = &landing {
        setup_csrf(session, identity.csrf.as_ref(), resp);
    }
    Ok(landing)
}

impl IdentityConfig {
    fn login_url_base(&self) -> Url {
        match &self.login {
            Login::Json { url, .. } => url.clone(),
            Login::Form { page, .. } => page.clone(),
            _ => self
                .check
                .as_ref()
                .map(|c| c.url.clone())
                .unwrap_or_else(|| Url::parse("http://localhost/").expect("valid URL")),
        }
    }
}

/// The inputs of a login form: which take the username and the password, and every
/// other field (hidden CSRF tokens included) as the page set it.
pub struct FormFields {
    pub user: String,
    pub pass: String,
    pub fields: Vec<(String, String)>,
}

/// The form input a login could not place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingField {
    Username,
    Password,
}

/// Resolves a login form's fields: the configured names, else the form's email or
/// username-like input and its password input.
pub fn form_fields(
    form: &html::Form,
    username_field: Option<&str>,
    password_field: Option<&str>,
) -> Result<FormFields, MissingField> {
    let user = username_field
        .map(str::to_string)
        .or_else(|| guess_username_field(form))
        .ok_or(MissingField::Username)?;
    let pass = password_field
        .map(str::to_string)
        .or_else(|| {
            form.inputs
                .iter()
                .find(|i| i.kind == "password")
                .map(|i| i.name.clone())
        })
        .ok_or(MissingField::Password)?;
    let fields = form
        .inputs
        .iter()
        .filter(|i| i.name != user && i.name != pass)
        .map(|i| (i.name.clone(), i.value.clone()))
        .collect();
    Ok(FormFields { user, pass, fields })
}

fn place_token(session: &Session, send: &TokenPlacement, token: &str, url: &Url) {
    match send {
        TokenPlacement::Bearer => session.set_header("Authorization", &format!("Bearer {token}")),
        TokenPlacement::Header(name) => session.set_header(name, token),
        TokenPlacement::Cookie(name) => session.with_jar(|j| j.insert(url, name, token)),
    }
}

fn guess_username_field(form: &html::Form) -> Option<String> {
    let by_kind = form.inputs.iter().find(|i| i.kind == "email");
    let by_name = || {
        form.inputs.iter().find(|i| {
            let n = i.name.to_ascii_lowercase();
            matches!(i.kind.as_str(), "text" | "email" | "tel")
                && ["user", "email", "login", "account", "name"]
                    .iter()
                    .any(|k| n.contains(k))
        })
    };
    let first_text = || form.inputs.iter().find(|i| i.kind == "text");
    by_kind
        .or_else(by_name)
        .or_else(first_text)
        .map(|i| i.name.clone())
}

/// Finds the CSRF token a cookie session must echo on unsafe requests: from the config,
/// else from well-known meta tags of the landing page or well-known cookies.
fn setup_csrf(session: &Session, configured: Option<&CsrfSource>, landing: &Response) {
    let text = if landing.is_html() {
        landing.text().into_owned()
    } else {
        String::new()
    };
    if let Some(c) = configured {
        let token = match &c.from {
            CsrfOrigin::Meta(name) => html::meta_content(&text, name),
            CsrfOrigin::Cookie(name) => session.with_jar(|j| j.get(name).map(|c| c.value.clone())),
        };
        if let Some(t) = token {
            session.set_csrf(&c.header, &t);
        }
        return;
    }
    for name in CSRF_METAS {
        if let Some(t) = html::meta_content(&text, name) {
            session.set_csrf("X-CSRF-Token", &t);
            return;
        }
    }
    for (cookie, header) in CSRF_COOKIES {
        if let Some(t) = session.with_jar(|j| j.get(cookie).map(|c| c.value.clone())) {
            session.set_csrf(header, &t);
            return;
        }
    }
}

/// `POST /path answered 401: <redacted excerpt>` for error messages.
pub fn describe(http: &HttpLayer, resp: &Response) -> String {
    let text = resp.text();
    let mut excerpt: String = text.chars().take(200).collect();
    excerpt = excerpt.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "{} {} answered {}: {}",
        resp.sent.method,
        http.redactor().url(&resp.url),
        resp.status,
        if excerpt.is_empty() {
            "(empty body)".to_string()
        } else {
            http.redactor().text(&excerpt)
        }
    )
}
