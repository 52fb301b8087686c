//! Logging an identity in: static credentials placed as configured, or its password sent
//! through the shared [`flow`](super::flow) and the answer checked (token, cookie, CSRF).

use serde_json::Value;
use url::Url;

use super::AuthError;
use super::flow::{self, MissingField, PageCheck, PrepareError};
use crate::config::{CsrfOrigin, CsrfSource, IdentityConfig, Login, TokenPlacement};
use crate::html;
use crate::http::{HttpLayer, Response, Session};

/// Header names frameworks expect a CSRF token in, keyed by where the token comes from.
const CSRF_COOKIES: &[(&str, &str)] = &[
    ("XSRF-TOKEN", "X-XSRF-TOKEN"), // Angular, Laravel
    ("csrftoken", "X-CSRFToken"),   // Django
    ("__Host-csrftoken", "X-CSRFToken"),
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
        Login::Supabase {
            email,
            password,
            project,
            anon_key,
        } => Some(
            supabase_login(
                http,
                session,
                identity,
                email,
                password.expose(),
                project,
                anon_key,
            )
            .await
            .map_err(|detail| AuthError::LoginFailed {
                identity: identity.id,
                detail,
            })?,
        ),
        Login::Firebase {
            email,
            password,
            send,
            api_key,
            auth_url,
        } => Some(
            firebase_login(
                http,
                session,
                identity,
                email,
                password.expose(),
                api_key,
                auth_url,
                send,
            )
            .await
            .map_err(|detail| AuthError::LoginFailed {
                identity: identity.id,
                detail,
            })?,
        ),
        Login::Json {
            username, password, ..
        }
        | Login::Form {
            username, password, ..
        }
        | Login::Basic {
            username, password, ..
        } => Some(
            password_login(http, session, identity, username, password.expose())
                .await
                .map_err(|detail| AuthError::LoginFailed {
                    identity: identity.id,
                    detail,
                })?,
        ),
    };
    for c in session.with_jar(|j| j.cookies().to_vec()) {
        http.redactor().add(&c.value);
    }
    // A token read from the page is sent on every unsafe request and shown in pages:
    // a credential like the cookie.
    if let Some(resp) = &landing
        && let Some(token) = setup_csrf(session, identity.csrf.as_ref(), resp)
    {
        http.redactor().add(&token);
    }
    Ok(landing)
}

/// Sends the identity's own credentials through the flow probes use too, then checks
/// that the app took them (and places the token a JSON login answered with).
async fn password_login(
    http: &HttpLayer,
    session: &Session,
    identity: &IdentityConfig,
    username: &str,
    password: &str,
) -> Result<Response, String> {
    let prepared = flow::prepare(http, session, identity, PageCheck::MustSucceed)
        .await
        .map_err(|e| prepare_failure(http, identity, e))?;
    let resp = http
        .send(session, prepared.request(username, password))
        .await
        .map_err(|e| e.to_string())?;
    match &identity.login {
        Login::Json {
            url,
            token_pointer,
            send,
            ..
        } => accept_json(
            http,
            session,
            identity,
            &resp,
            url,
            token_pointer.as_deref(),
            send,
        )?,
        Login::Form { selector, .. } => {
            accept_form(http, identity, &resp, selector.as_deref())?;
        }
        Login::Basic { .. } => accept_basic(http, session, identity, &resp, username, password)?,
        Login::Token { .. }
        | Login::Cookie { .. }
        | Login::Supabase { .. }
        | Login::Firebase { .. } => {}
    }
    Ok(resp)
}

/// The Identity Toolkit endpoint that signs a user in with a password, under `auth_url`
/// (`https://identitytoolkit.googleapis.com`, or the Auth emulator's
/// `http://HOST:PORT/identitytoolkit.googleapis.com`).
pub fn firebase_sign_in_url(auth_url: &Url, api_key: &str) -> Result<Url, String> {
    let mut url = Url::parse(&format!(
        "{}/v1/accounts:signInWithPassword",
        auth_url.as_str().trim_end_matches('/')
    ))
    .map_err(|e| format!("firebase.auth_url does not make a URL: {e}"))?;
    url.query_pairs_mut().append_pair("key", api_key);
    Ok(url)
}

/// Firebase Auth's email/password sign-in (Identity Toolkit REST API): the answer's
/// `idToken` becomes the session, placed as `send` says.
#[allow(clippy::too_many_arguments)]
async fn firebase_login(
    http: &HttpLayer,
    session: &Session,
    identity: &IdentityConfig,
    email: &str,
    password: &str,
    api_key: &str,
    auth_url: &Url,
    send: &TokenPlacement,
) -> Result<Response, String> {
    let id = identity.id;
    let url = firebase_sign_in_url(auth_url, api_key)?;
    let body = serde_json::json!({
        "email": email,
        "password": password,
        "returnSecureToken": true,
    });
    let resp = http
        .send(
            session,
            crate::http::Request::new("POST", url.clone()).json(&body),
        )
        .await
        .map_err(|e| e.to_string())?;
    if !resp.is_success() {
        // Identity Toolkit names the problem in error.message (`INVALID_LOGIN_CREDENTIALS`,
        // `EMAIL_NOT_FOUND`, `API key not valid...`).
        let message = resp
            .json()
            .and_then(|j| {
                j.pointer("/error/message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let hint = if message.contains("API key") || message.contains("API_KEY") {
            " (set firebase.api_key to the apiKey of the app's firebaseConfig)".to_string()
        } else if message.contains("CREDENTIALS")
            || message.contains("PASSWORD")
            || message.contains("EMAIL")
        {
            format!(" (check identities.{id}.login.email and .password)")
        } else if resp.status == 404 {
            " (is firebase.auth_url the Identity Toolkit base, e.g. https://identitytoolkit.googleapis.com?)"
                .to_string()
        } else {
            String::new()
        };
        return Err(format!("{}{hint}", describe(http, &resp)));
    }
    let token = resp
        .json()
        .and_then(|j| j.get("idToken").and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| format!("the answer carries no idToken; {}", describe(http, &resp)))?;
    http.redactor().add(&token);
    if let Some(refresh) = resp.json().and_then(|j| {
        j.get("refreshToken")
            .and_then(Value::as_str)
            .map(str::to_string)
    }) {
        http.redactor().add(&refresh);
    }
    // The answer (`idToken`, `localId`) stays the identity's login answer, where the
    // `firebase` family reads the token it sends itself (`?auth=` for the database).
    place_token(session, send, &token, &url);
    Ok(resp)
}

/// Supabase Auth's password grant (`POST /auth/v1/token?grant_type=password` with the
/// project's `apikey`, as supabase-js `signInWithPassword` sends it). The session then
/// carries the access token as a bearer and the key as `apikey`, as the client does.
async fn supabase_login(
    http: &HttpLayer,
    session: &Session,
    identity: &IdentityConfig,
    email: &str,
    password: &str,
    project: &Option<Url>,
    anon_key: &Option<String>,
) -> Result<Response, String> {
    let id = identity.id;
    let (Some(project), Some(key)) = (project, anon_key) else {
        return Err(format!(
            "the Supabase project URL and anon key were neither configured nor found in the app's client; set identities.{id}.login.project and identities.{id}.login.anon_key"
        ));
    };
    http.redactor().add(key);
    let url = project
        .join("auth/v1/token?grant_type=password")
        .map_err(|e| e.to_string())?;
    let request = crate::http::Request::new("POST", url)
        .header("apikey", key.as_str())
        .header("Authorization", format!("Bearer {key}"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .anonymous();
    let resp = http
        .send(session, request)
        .await
        .map_err(|e| e.to_string())?;
    if !resp.is_success() {
        let hint = if resp.status == 400 {
            format!(
                " (wrong email or password? check identities.{id}.login.email and .password; an unconfirmed email is refused too)"
            )
        } else {
            String::new()
        };
        return Err(format!("{}{hint}", describe(http, &resp)));
    }
    let answer = resp
        .json()
        .ok_or_else(|| format!("the answer is not JSON; {}", describe(http, &resp)))?;
    let token = answer
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no access_token in the answer; {}", describe(http, &resp)))?;
    http.redactor().add(token);
    if let Some(refresh) = answer.get("refresh_token").and_then(Value::as_str) {
        http.redactor().add(refresh);
    }
    session.set_header("apikey", key);
    session.set_header("Authorization", &format!("Bearer {token}"));
    Ok(resp)
}

/// HTTP Basic took the credentials when the URL that asks for them answered 2xx; the
/// session then sends them on every request.
fn accept_basic(
    http: &HttpLayer,
    session: &Session,
    identity: &IdentityConfig,
    resp: &Response,
    username: &str,
    password: &str,
) -> Result<(), String> {
    if !resp.is_success() {
        let hint = if resp.status == 401 {
            format!(
                " (wrong username or password? check identities.{}.login.username and .password)",
                identity.id
            )
        } else {
            String::new()
        };
        return Err(format!("{}{hint}", describe(http, resp)));
    }
    let header = crate::config::basic_authorization(username, password);
    http.redactor().add(header.trim_start_matches("Basic "));
    session.set_header("Authorization", &header);
    Ok(())
}

/// Why the flow could not be readied, with the config key that fixes it.
fn prepare_failure(http: &HttpLayer, identity: &IdentityConfig, e: PrepareError) -> String {
    let id = identity.id;
    match e {
        PrepareError::NoPasswordFlow => "the identity does not log in with a password".to_string(),
        PrepareError::Http(e) => e.to_string(),
        PrepareError::PageStatus(resp) => format!("login page: {}", describe(http, &resp)),
        PrepareError::NoForm { url, reason } => {
            format!("login page {url}: {reason} (set identities.{id}.login.selector)")
        }
        PrepareError::Missing(MissingField::Username) => format!(
            "cannot tell the username field of the form; set identities.{id}.login.username_field"
        ),
        PrepareError::Missing(MissingField::Password) => {
            format!("no password field; set identities.{id}.login.password_field")
        }
    }
}

/// A JSON login took the credentials when it answered 2xx with the configured token (which
/// is then placed) or, without a token pointer, set a cookie.
fn accept_json(
    http: &HttpLayer,
    session: &Session,
    identity: &IdentityConfig,
    resp: &Response,
    url: &Url,
    token_pointer: Option<&str>,
    send: &TokenPlacement,
) -> Result<(), String> {
    if !resp.is_success() {
        return Err(describe(http, resp));
    }
    match token_pointer {
        Some(pointer) => {
            let json = resp
                .json()
                .ok_or_else(|| format!("the response is not JSON; {}", describe(http, resp)))?;
            let token = json
                .pointer(pointer)
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    format!(
                        "no string at JSON pointer {pointer} (set identities.{}.login.token); {}",
                        identity.id,
                        describe(http, resp)
                    )
                })?;
            http.redactor().add(token);
            place_token(session, send, token, url);
        }
        None if session.with_jar(|j| j.cookies().is_empty()) => {
            return Err(format!(
                "login answered {} but set no cookie and no token pointer is configured (set identities.{}.login.token)",
                resp.status, identity.id
            ));
        }
        None => {}
    }
    Ok(())
}

/// A form login took the credentials unless it answered an error or, with no check
/// request to judge by, showed the login form again.
fn accept_form(
    http: &HttpLayer,
    identity: &IdentityConfig,
    resp: &Response,
    selector: Option<&str>,
) -> Result<(), String> {
    if resp.status >= 400 {
        return Err(describe(http, resp));
    }
    if resp.is_html()
        && html::login_form(&resp.url, &resp.text(), selector).is_ok()
        && identity.check.is_none()
    {
        return Err(format!(
            "the login form came back after submitting it (wrong credentials?); {}",
            describe(http, resp)
        ));
    }
    Ok(())
}

impl IdentityConfig {
    fn login_url_base(&self) -> Url {
        match &self.login {
            Login::Json { url, .. } | Login::Basic { url, .. } => url.clone(),
            Login::Form { page, .. } => page.clone(),
            _ => self
                .check
                .as_ref()
                .map(|c| c.url.clone())
                .unwrap_or_else(|| Url::parse("http://localhost/").expect("valid URL")),
        }
    }
}

fn place_token(session: &Session, send: &TokenPlacement, token: &str, url: &Url) {
    match send {
        TokenPlacement::Bearer => session.set_header("Authorization", &format!("Bearer {token}")),
        TokenPlacement::Header(name) => session.set_header(name, token),
        TokenPlacement::Cookie(name) => session.with_jar(|j| j.insert(url, name, token)),
    }
}

/// Finds the CSRF token a cookie session must echo on unsafe requests: from the config,
/// else from well-known meta tags of the landing page or well-known cookies. Returns a
/// token read from the page (a cookie's is in the jar, registered as a secret anyway).
fn setup_csrf(
    session: &Session,
    configured: Option<&CsrfSource>,
    landing: &Response,
) -> Option<String> {
    let text = if landing.is_html() {
        landing.text().into_owned()
    } else {
        String::new()
    };
    if let Some(c) = configured {
        let token = match &c.from {
            CsrfOrigin::Meta(name) => html::meta_content(&text, name),
            CsrfOrigin::Cookie(name) => {
                session.set_csrf_cookie(&c.header, name);
                return None;
            }
        };
        if let Some(t) = &token {
            session.set_csrf(&c.header, t);
        }
        return token;
    }
    for name in CSRF_METAS {
        if let Some(t) = html::meta_content(&text, name) {
            session.set_csrf("X-CSRF-Token", &t);
            return Some(t);
        }
    }
    for (cookie, header) in CSRF_COOKIES {
        if session.with_jar(|j| j.get(cookie).is_some()) {
            session.set_csrf_cookie(header, cookie);
            return None;
        }
    }
    None
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
