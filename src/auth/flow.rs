//! The one password login flow (JSON, HTML form or HTTP Basic), shared by identities
//! logging in and by probes trying chosen credentials: the flow is readied once (a form
//! page is fetched and its form read and filled), then any credentials go out through
//! the same request. With HTTP Basic "a login" is a request to a URL that asks for the
//! credentials, carrying them in its `Authorization` header.

use serde_json::{Map, Value};
use url::Url;

use crate::config::{IdentityConfig, Login, basic_authorization};
use crate::html::{self, Form};
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
    /// A request to a URL behind HTTP Basic; the credentials go in its header.
    Basic { method: String, url: Url },
}

impl Prepared {
    /// Where credentials are submitted.
    pub fn url(&self) -> &Url {
        match self {
            Prepared::Json { url, .. } | Prepared::Basic { url, .. } => url,
            Prepared::Form { action, .. } => action,
        }
    }

    pub fn method(&self) -> &str {
        match self {
            Prepared::Json { .. } => "POST",
            Prepared::Form { method, .. } | Prepared::Basic { method, .. } => method,
        }
    }

    /// The request that submits `username` and `password`, as a browser would send it.
    pub fn request(&self, username: &str, password: &str) -> Request {
        match self {
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
                req.header("Referer", page.as_str())
            }
            Prepared::Basic { method, url } => Request::new(method, url.clone())
                .header("Authorization", basic_authorization(username, password))
                .header("Accept", "application/json, text/html;q=0.9"),
        }
    }
}

/// What a login page must answer before its form is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCheck {
    /// An identity's login: a login page that is not 2xx means the login failed.
    MustSucceed,
    /// A probe's attempt: the form is read from whatever the page answered.
    AnyStatus,
}

/// Why a login flow could not be readied; each caller words it for its own reader.
#[derive(Debug, Clone)]
pub enum PrepareError {
    /// The identity logs in with a static token or cookie, not a password.
    NoPasswordFlow,
    /// The login page could not be fetched.
    Http(HttpError),
    /// The login page answered with an error status (under [`PageCheck::MustSucceed`]).
    PageStatus(Box<Response>),
    /// The login page holds no form to log in with.
    NoForm { url: Url, reason: String },
    /// The login form has no input the username or the password can go into.
    Missing(MissingField),
}

/// The form input a login could not place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingField {
    Username,
    Password,
}

/// Whether an identity logs in with a username and password (the flows that can be attempted).
pub fn has_password_flow(cfg: &IdentityConfig) -> bool {
    matches!(
        cfg.login,
        Login::Json { .. } | Login::Form { .. } | Login::Basic { .. }
    )
}

/// The configured username of a password flow.
pub fn username(cfg: &IdentityConfig) -> Option<&str> {
    match &cfg.login {
        Login::Json { username, .. }
        | Login::Form { username, .. }
        | Login::Basic { username, .. } => Some(username),
        _ => None,
    }
}

/// The configured password of a password flow.
pub fn password(cfg: &IdentityConfig) -> Option<&str> {
    match &cfg.login {
        Login::Json { password, .. }
        | Login::Form { password, .. }
        | Login::Basic { password, .. } => Some(password.expose()),
        _ => None,
    }
}

/// Readies the identity's login flow in `session`: form flows fetch the login page and
/// read its form once.
pub async fn prepare(
    http: &HttpLayer,
    session: &Session,
    cfg: &IdentityConfig,
    check: PageCheck,
) -> Result<Prepared, PrepareError> {
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
                .map_err(PrepareError::Http)?;
            if check == PageCheck::MustSucceed && !resp.is_success() {
                return Err(PrepareError::PageStatus(Box::new(resp)));
            }
            let form = html::login_form(&resp.url, &resp.text(), selector.as_deref()).map_err(
                |reason| PrepareError::NoForm {
                    url: resp.url.clone(),
                    reason,
                },
            )?;
            let FormFields { user, pass, fields } =
                form_fields(&form, username_field.as_deref(), password_field.as_deref())
                    .map_err(PrepareError::Missing)?;
            Ok(Prepared::Form {
                page: page.clone(),
                method: form.method.clone(),
                action: form.action.clone(),
                fields,
                username_field: user,
                password_field: pass,
            })
        }
        Login::Basic { method, url, .. } => Ok(Prepared::Basic {
            method: method.clone(),
            url: url.clone(),
        }),
        // Supabase and Firebase Auth are the backend's own endpoints, not flows of the app's.
        Login::Token { .. }
        | Login::Cookie { .. }
        | Login::Supabase { .. }
        | Login::Firebase { .. } => Err(PrepareError::NoPasswordFlow),
    }
}

/// The inputs of a login form: which take the username and the password, and every
/// other field (hidden CSRF tokens included) as the page set it.
struct FormFields {
    user: String,
    pass: String,
    fields: Vec<(String, String)>,
}

/// Resolves a login form's fields: the configured names, else the form's email or
/// username-like input and its password input.
fn form_fields(
    form: &Form,
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

fn guess_username_field(form: &Form) -> Option<String> {
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
