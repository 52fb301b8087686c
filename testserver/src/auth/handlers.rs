//! Login, logout, signup and password reset, for the JSON API and the HTML forms.

use std::net::IpAddr;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::session::{CsrfScope, random_token};
use super::{
    AuthVia, CurrentUser, PRE_SESSION_COOKIE, SESSION_COOKIE, came_over_https, cookie, set_cookie,
};
use crate::audit;
use crate::errors::ApiError;
use crate::extract::{ApiJson, ClientIp, check_text, decode_json};
use crate::flaws::Flaw;
use crate::hardening::retry_after_secs;
use crate::html::{self, Nav};
use crate::state::{SharedState, now_rfc3339, now_unix};
use crate::tenants::{self, Organization, User};

/// The one answer for an unknown email and a wrong password alike.
pub(crate) const INVALID_LOGIN: &str = "invalid email or password";
/// What the `user-enumeration` flaw answers for an email without an account.
pub(crate) const UNKNOWN_ACCOUNT: &str = "no account is registered with this email";
const RESET_MESSAGE: &str =
    "If an account exists for that email, we sent a link to reset the password.";
/// Reset links are valid for 30 minutes.
const RESET_TTL_SECS: i64 = 30 * 60;
/// Sessions cookies live as long as the server-side session at most.
const SESSION_MAX_AGE: u64 = 12 * 60 * 60;

pub(crate) enum LoginFailure {
    Invalid,
    /// Only under the `user-enumeration` flaw: the email has no account.
    UnknownAccount,
    Limited(Duration),
    Error(ApiError),
}

impl From<rusqlite::Error> for LoginFailure {
    #[track_caller]
    fn from(e: rusqlite::Error) -> Self {
        LoginFailure::Error(e.into())
    }
}

fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// How a password reaches the app.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// A login (JSON or form) that starts a session.
    Login,
    /// HTTP Basic credentials on a request of their own.
    Basic,
}

/// Check a password login, with rate limits and an audit record either way.
async fn authenticate(
    state: &SharedState,
    ip: IpAddr,
    email: &str,
    password: &str,
) -> Result<User, LoginFailure> {
    authenticate_via(state, ip, email, password, Via::Login).await
}

/// Check a password, however it came. HTTP Basic carries the password on every
/// request, so only its failures count against the limits (and only they are audited):
/// counting every request would lock the API's own users out.
pub(crate) async fn authenticate_via(
    state: &SharedState,
    ip: IpAddr,
    email: &str,
    password: &str,
    via: Via,
) -> Result<User, LoginFailure> {
    let email = normalize_email(email);
    let ip_key = ip.to_string();
    let limits = &state.limits;
    let throttled = !state.flaw(Flaw::NoLoginRateLimit);
    if throttled {
        if via == Via::Login {
            limits
                .login_ip
                .hit(&ip_key)
                .map_err(LoginFailure::Limited)?;
        }
        check_failure_limits(limits, &ip_key, &email)?;
    }

    let plausible = email.len() <= 320 && password.len() <= 1024;
    let found = if !plausible {
        None
    } else if state.flaw(Flaw::LoginSqlError) {
        let conn = state.db();
        tenants::user_with_hash_concatenated(&conn, &email).map_err(LoginFailure::Error)?
    } else {
        let conn = state.db();
        tenants::user_with_hash(&conn, &email)?
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let verifier = state.clone();
    let candidate = password.chars().take(1024).collect::<String>();
    // Argon2 is CPU-heavy: keep it off the async workers. Unknown emails are
    // checked against a dummy hash so both failures take the same time.
    let ok =
        tokio::task::spawn_blocking(move || verifier.passwords.verify(&candidate, hash.as_deref()))
            .await
            .map_err(|e| LoginFailure::Error(anyhow::Error::new(e).into()))?;

    let conn = state.db();
    match user {
        Some(user) if ok && via == Via::Basic => Ok(user),
        Some(user) if ok => {
            audit::record(
                &conn,
                Some(user.org_id),
                &user.email,
                "auth.login",
                &format!("user:{}", user.id),
                ip,
            )?;
            Ok(user)
        }
        user => {
            if throttled {
                let _ = limits.login_failures_ip.hit(&ip_key);
                let _ = limits.login_failures_account.hit(&email);
            }
            let (org, target) = match &user {
                Some(u) => (Some(u.org_id), format!("user:{}", u.id)),
                None => (None, "unknown account".to_string()),
            };
            audit::record(&conn, org, &email, "auth.login_failed", &target, ip)?;
            if user.is_none() && state.flaw(Flaw::UserEnumeration) {
                return Err(LoginFailure::UnknownAccount);
            }
            Err(LoginFailure::Invalid)
        }
    }
}

/// Failures so far per IP and per account are checked.
fn check_failure_limits(
    limits: &crate::hardening::Limits,
    ip_key: &str,
    email: &str,
) -> Result<(), LoginFailure> {
    limits
        .login_failures_ip
        .peek(ip_key)
        .map_err(LoginFailure::Limited)?;
    limits
        .login_failures_account
        .peek(email)
        .map_err(LoginFailure::Limited)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Serialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    /// The user's cart, whose id appears nowhere else.
    cart_id: i64,
    /// What the UI shows and hides by.
    role: String,
    staff: bool,
}

/// `POST /api/auth/login`
pub(crate) async fn api_login(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, Response> {
    // Like validators that refuse special-use domains (RFC 6761) before any lookup:
    // an `.invalid` address is malformed here, not unknown.
    if special_use_domain(&body.email) {
        return Err(
            ApiError::invalid("email", "'email' is not a deliverable address").into_response(),
        );
    }
    match authenticate(&state, ip, &body.email, &body.password).await {
        Ok(user) => {
            let token = state
                .jwt
                .issue(user.id, user.org_id, &user.role, user.staff)
                .map_err(|e| ApiError::from(e).into_response())?;
            let cart_id = crate::resources::carts::cart_of(&state.db(), user.id)
                .map_err(|e| ApiError::from(e).into_response())?;
            Ok(Json(TokenResponse {
                access_token: token,
                token_type: "Bearer",
                expires_in: state.jwt.ttl(),
                cart_id,
                role: user.role,
                staff: user.staff,
            }))
        }
        Err(LoginFailure::Invalid) => Err((
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "error": INVALID_LOGIN })),
        )
            .into_response()),
        Err(LoginFailure::UnknownAccount) => Err((
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": UNKNOWN_ACCOUNT })),
        )
            .into_response()),
        Err(LoginFailure::Limited(wait)) => Err(ApiError::RateLimited(wait).into_response()),
        Err(LoginFailure::Error(e)) => Err(e.into_response()),
    }
}

/// Whether `email`'s domain is one RFC 6761 reserves as never resolving.
fn special_use_domain(email: &str) -> bool {
    email.rsplit_once('@').is_some_and(|(_, domain)| {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        domain == "invalid" || domain.ends_with(".invalid")
    })
}

/// `POST /api/auth/logout`: revoke the bearer token (or the session) used.
pub(crate) async fn api_logout(
    State(state): State<SharedState>,
    caller: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let revoke = !state.flaw(Flaw::NoLogoutRevocation);
    match &caller.via {
        AuthVia::Bearer(claims) => {
            if revoke {
                state.jwt.revoke(claims);
            }
        }
        AuthVia::Session(id) => {
            if revoke {
                state.sessions.revoke(id);
            }
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, "", Some(0), came_over_https(&headers)),
            );
        }
    }
    let conn = state.db();
    audit::record(
        &conn,
        Some(caller.user.org_id),
        &caller.user.email,
        "auth.logout",
        &format!("user:{}", caller.user.id),
        caller.ip,
    )?;
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignupRequest {
    organization: String,
    name: String,
    email: String,
    password: String,
}

/// What the `signup-role` flaw binds from a signup body besides the account itself
/// (unknown fields are ignored rather than refused).
#[derive(Deserialize)]
pub(crate) struct LenientSignup {
    organization: String,
    name: String,
    email: String,
    password: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    staff: Option<bool>,
}

/// The privileges a signup body set on the new user (only under `signup-role`).
#[derive(Default)]
pub(crate) struct Bound {
    role: Option<String>,
    staff: Option<bool>,
}

/// A signup body: strict in the hardened app, bound leniently under `signup-role`.
fn signup_request(
    state: &SharedState,
    raw: &serde_json::Value,
) -> Result<(SignupRequest, Bound), ApiError> {
    let bytes = raw.to_string();
    if !state.flaw(Flaw::SignupRole) {
        return Ok((decode_json(bytes.as_bytes())?, Bound::default()));
    }
    let lenient: LenientSignup = decode_json(bytes.as_bytes())?;
    if let Some(role) = &lenient.role
        && role != "admin"
        && role != "member"
    {
        return Err(ApiError::invalid("role", "'role' must be admin or member"));
    }
    Ok((
        SignupRequest {
            organization: lenient.organization,
            name: lenient.name,
            email: lenient.email,
            password: lenient.password,
        },
        Bound {
            role: lenient.role,
            staff: lenient.staff,
        },
    ))
}

#[derive(Serialize)]
pub(crate) struct SignupResponse {
    user: User,
    organization: Organization,
}

fn validate_signup(body: &SignupRequest) -> Result<(), ApiError> {
    check_text("organization", &body.organization, true, 100)?;
    check_text("name", &body.name, true, 200)?;
    check_text("email", &body.email, true, 254)?;
    if !plausible_email(body.email.trim()) {
        return Err(ApiError::invalid(
            "email",
            "'email' is not a valid email address",
        ));
    }
    let len = body.password.chars().count();
    if !(12..=128).contains(&len) {
        return Err(ApiError::invalid(
            "password",
            "'password' must be 12 to 128 characters long",
        ));
    }
    Ok(())
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>')
        && !domain.contains('@')
}

/// Create an organisation and its admin: shared by the API and the form.
async fn signup(
    state: &SharedState,
    ip: IpAddr,
    body: &SignupRequest,
    bound: Bound,
) -> Result<(Organization, User), ApiError> {
    if !state.flaw(Flaw::NoSignupRateLimit) {
        state
            .limits
            .signup_ip
            .hit(&ip.to_string())
            .map_err(ApiError::RateLimited)?;
    }
    validate_signup(body)?;
    let hasher = state.clone();
    let password = body.password.clone();
    let hash = tokio::task::spawn_blocking(move || hasher.passwords.hash(&password))
        .await
        .map_err(anyhow::Error::new)??;
    let email = normalize_email(&body.email);
    let mut conn = state.db();
    let (org, user) = tenants::create_org_with_admin(
        &mut conn,
        body.organization.trim(),
        body.name.trim(),
        &email,
        &hash,
        &now_rfc3339(),
    )?
    .ok_or_else(|| ApiError::Conflict("an account with this email already exists".to_string()))?;
    // The `signup-role` flaw: whatever privileges the body named are stored.
    let user = if bound.role.is_some() || bound.staff.is_some() {
        conn.execute(
            "UPDATE users SET role = COALESCE(?1, role), staff = COALESCE(?2, staff) WHERE id = ?3",
            params![bound.role, bound.staff, user.id],
        )?;
        tenants::user_by_id(&conn, user.id)?.ok_or(ApiError::NotFound)?
    } else {
        user
    };
    audit::record(
        &conn,
        Some(org.id),
        &user.email,
        "auth.signup",
        &format!("organization:{}", org.id),
        ip,
    )?;
    Ok((org, user))
}

/// `POST /api/auth/signup`
pub(crate) async fn api_signup(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    ApiJson(raw): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    let (body, bound) = signup_request(&state, &raw)?;
    let (organization, user) = signup(&state, ip, &body, bound).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, "/api/me")],
        Json(SignupResponse { user, organization }),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetRequest {
    email: String,
}

/// `POST /api/auth/password-reset`: always the same 202, whether the account exists or not.
pub(crate) async fn api_password_reset(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<Response, ApiError> {
    check_text("email", &body.email, true, 320)?;
    let email = normalize_email(&body.email);
    state
        .limits
        .reset_ip
        .hit(&ip.to_string())
        .map_err(ApiError::RateLimited)?;
    state
        .limits
        .reset_account
        .hit(&email)
        .map_err(ApiError::RateLimited)?;
    let conn = state.db();
    if let Some((user, _)) = tenants::user_with_hash(&conn, &email)? {
        let token = random_token();
        conn.execute(
            "INSERT INTO password_resets (token_sha256, user_id, expires_at) VALUES (?1, ?2, ?3)",
            params![sha256_hex(&token), user.id, now_unix() + RESET_TTL_SECS],
        )?;
        conn.execute(
            "INSERT INTO outbox (recipient, subject, body, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                user.email,
                "Reset your Ledgerline password",
                format!(
                    "Hi {},\n\nUse this link within 30 minutes to choose a new password:\n\
                     https://app.ledgerline.example/reset-password?token={token}\n",
                    user.name
                ),
                now_rfc3339()
            ],
        )?;
        audit::record(
            &conn,
            Some(user.org_id),
            &user.email,
            "auth.password_reset_requested",
            &format!("user:{}", user.id),
            ip,
        )?;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "message": RESET_MESSAGE })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetConfirm {
    token: String,
    password: String,
}

/// `POST /api/auth/password-reset/confirm`: set a new password with an emailed token.
pub(crate) async fn api_password_reset_confirm(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> Result<StatusCode, ApiError> {
    state
        .limits
        .reset_ip
        .hit(&ip.to_string())
        .map_err(ApiError::RateLimited)?;
    check_text("token", &body.token, true, 100)?;
    let len = body.password.chars().count();
    if !(12..=128).contains(&len) {
        return Err(ApiError::invalid(
            "password",
            "'password' must be 12 to 128 characters long",
        ));
    }
    let digest = sha256_hex(&body.token);
    let user_id: Option<i64> = state
        .db()
        .query_row(
            "SELECT user_id FROM password_resets WHERE token_sha256 = ?1 AND used = 0 AND expires_at > ?2",
            params![digest, now_unix()],
            |r| r.get(0),
        )
        .optional()?;
    let user_id = user_id.ok_or_else(|| ApiError::bad_request("invalid or expired reset token"))?;
    let hasher = state.clone();
    let password = body.password.clone();
    let hash = tokio::task::spawn_blocking(move || hasher.passwords.hash(&password))
        .await
        .map_err(anyhow::Error::new)??;
    let conn = state.db();
    let used = conn.execute(
        "UPDATE password_resets SET used = 1 WHERE token_sha256 = ?1 AND used = 0",
        [&digest],
    )?;
    if used != 1 {
        return Err(ApiError::bad_request("invalid or expired reset token"));
    }
    conn.execute(
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        params![hash, user_id],
    )?;
    state.sessions.revoke_user(user_id);
    if let Some(user) = tenants::user_by_id(&conn, user_id)? {
        audit::record(
            &conn,
            Some(user.org_id),
            &user.email,
            "auth.password_reset",
            &format!("user:{}", user.id),
            ip,
        )?;
    }
    Ok(StatusCode::NO_CONTENT)
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---- HTML forms ---------------------------------------------------------

/// The pre-session id of this browser, or a fresh one to set.
fn pre_session(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PRE_SESSION_COOKIE) {
        Some(id) if id.len() == 43 => (id, false),
        _ => (random_token(), true),
    }
}

struct FormPage<'a> {
    status: StatusCode,
    headers: &'a HeaderMap,
    notice: Option<String>,
    email: &'a str,
    retry_after: Option<Duration>,
}

fn login_form(state: &SharedState, page: FormPage<'_>) -> Response {
    let (pre, fresh) = pre_session(page.headers);
    let csrf = state.csrf.token(CsrfScope::PreSession, &pre);
    let notice = page
        .notice
        .map(|n| format!("<p class=\"error\" role=\"alert\">{}</p>\n", html::esc(&n)))
        .unwrap_or_default();
    let main = format!(
        "<h1>Log in to Ledgerline</h1>\n{notice}\
         <form method=\"post\" action=\"/login\">\n\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
         <label>Email <input type=\"email\" name=\"email\" value=\"{}\" autocomplete=\"username\" required></label>\n\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\n\
         <button type=\"submit\">Log in</button>\n</form>\n\
         <p><a href=\"/signup\">Create an account</a> · <a href=\"/docs#password-reset\">Forgot your password?</a></p>\n",
        html::esc(page.email)
    );
    let mut resp = (
        page.status,
        Html(html::page("Log in", Nav::Public, "", &main)),
    )
        .into_response();
    if fresh {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                PRE_SESSION_COOKIE,
                &pre,
                None,
                came_over_https(page.headers),
            ),
        );
    }
    let retry_after = page
        .retry_after
        .and_then(|wait| HeaderValue::from_str(&retry_after_secs(wait).to_string()).ok());
    if let Some(value) = retry_after {
        resp.headers_mut().insert(header::RETRY_AFTER, value);
    }
    resp
}

/// `GET /login`
pub(crate) async fn login_page(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    login_form(
        &state,
        FormPage {
            status: StatusCode::OK,
            headers: &headers,
            notice: None,
            email: "",
            retry_after: None,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct LoginForm {
    email: String,
    password: String,
    csrf_token: String,
}

fn pre_session_csrf_ok(state: &SharedState, headers: &HeaderMap, given: &str) -> bool {
    cookie(headers, PRE_SESSION_COOKIE)
        .is_some_and(|pre| state.csrf.verify(CsrfScope::PreSession, &pre, given))
}

/// `POST /login`: form login. Issues a new session id on success.
pub(crate) async fn login_submit(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: LoginForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut page = FormPage {
        status: StatusCode::FORBIDDEN,
        headers: &headers,
        notice: None,
        email: &form.email,
        retry_after: None,
    };
    if !pre_session_csrf_ok(&state, &headers, &form.csrf_token) {
        page.notice = Some("Your login form expired. Please try again.".to_string());
        return login_form(&state, page);
    }
    match authenticate(&state, ip, &form.email, &form.password).await {
        Ok(user) => start_session(&state, &headers, user.id),
        Err(LoginFailure::Invalid) => {
            page.status = StatusCode::UNAUTHORIZED;
            page.notice = Some("Invalid email or password.".to_string());
            login_form(&state, page)
        }
        Err(LoginFailure::UnknownAccount) => {
            page.status = StatusCode::NOT_FOUND;
            page.notice = Some(UNKNOWN_ACCOUNT.to_string());
            login_form(&state, page)
        }
        Err(LoginFailure::Limited(wait)) => {
            page.status = StatusCode::TOO_MANY_REQUESTS;
            page.notice = Some(format!(
                "Too many login attempts. Try again in {} seconds.",
                retry_after_secs(wait)
            ));
            page.retry_after = Some(wait);
            login_form(&state, page)
        }
        Err(LoginFailure::Error(e)) => e.into_response(),
    }
}

/// Replace whatever session the browser had with a new one and go to the app.
fn start_session(state: &SharedState, headers: &HeaderMap, user_id: i64) -> Response {
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        state.sessions.revoke(&old);
    }
    let sid = state.sessions.create(user_id);
    let secure = came_over_https(headers);
    let mut resp = Redirect::to("/app").into_response();
    let session = if state.flaw(Flaw::InsecureSessionCookie) {
        // Readable by any script on the page and sent on cross-site requests.
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={sid}; SameSite=None; Path=/; Max-Age={SESSION_MAX_AGE}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
    } else {
        set_cookie(SESSION_COOKIE, &sid, Some(SESSION_MAX_AGE), secure)
    };
    resp.headers_mut().append(header::SET_COOKIE, session);
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(PRE_SESSION_COOKIE, "", Some(0), secure),
    );
    resp
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct LogoutForm {
    csrf_token: String,
}

/// `POST /logout`: end the session server-side and clear the cookie.
pub(crate) async fn logout_submit(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(sid) = cookie(&headers, SESSION_COOKIE) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let form: LogoutForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let given = if form.csrf_token.is_empty() {
        headers
            .get(super::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    } else {
        form.csrf_token
    };
    if !state.csrf.verify(CsrfScope::Session, &sid, &given) {
        return Err(ApiError::Forbidden("missing or invalid CSRF token"));
    }
    if let Some(user_id) = state.sessions.user(&sid) {
        if !state.flaw(Flaw::NoLogoutRevocation) {
            state.sessions.revoke(&sid);
        }
        let conn = state.db();
        if let Some(user) = tenants::user_by_id(&conn, user_id)? {
            audit::record(
                &conn,
                Some(user.org_id),
                &user.email,
                "auth.logout",
                &format!("user:{}", user.id),
                ip,
            )?;
        }
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), came_over_https(&headers)),
    );
    Ok(resp)
}

struct SignupPage<'a> {
    status: StatusCode,
    headers: &'a HeaderMap,
    notice: Option<String>,
    organization: &'a str,
    name: &'a str,
    email: &'a str,
}

fn signup_form(state: &SharedState, page: SignupPage<'_>) -> Response {
    let (pre, fresh) = pre_session(page.headers);
    let csrf = state.csrf.token(CsrfScope::PreSession, &pre);
    let notice = page
        .notice
        .map(|n| format!("<p class=\"error\" role=\"alert\">{}</p>\n", html::esc(&n)))
        .unwrap_or_default();
    let main = format!(
        "<h1>Start your free trial</h1>\n<p>14 days, no credit card. You become the admin of your new organisation.</p>\n{notice}\
         <form method=\"post\" action=\"/signup\">\n\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
         <label>Company <input name=\"organization\" value=\"{}\" required></label>\n\
         <label>Your name <input name=\"name\" value=\"{}\" autocomplete=\"name\" required></label>\n\
         <label>Work email <input type=\"email\" name=\"email\" value=\"{}\" autocomplete=\"email\" required></label>\n\
         <label>Password <input type=\"password\" name=\"password\" minlength=\"12\" autocomplete=\"new-password\" required></label>\n\
         <button type=\"submit\">Create account</button>\n</form>\n",
        html::esc(page.organization),
        html::esc(page.name),
        html::esc(page.email)
    );
    let mut resp = (
        page.status,
        Html(html::page("Sign up", Nav::Public, "", &main)),
    )
        .into_response();
    if fresh {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                PRE_SESSION_COOKIE,
                &pre,
                None,
                came_over_https(page.headers),
            ),
        );
    }
    resp
}

/// `GET /signup`
pub(crate) async fn signup_page(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    signup_form(
        &state,
        SignupPage {
            status: StatusCode::OK,
            headers: &headers,
            notice: None,
            organization: "",
            name: "",
            email: "",
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SignupForm {
    organization: String,
    name: String,
    email: String,
    password: String,
    csrf_token: String,
}

/// `POST /signup`: the form twin of `POST /api/auth/signup`, logging the new admin in.
pub(crate) async fn signup_submit(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: SignupForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut page = SignupPage {
        status: StatusCode::FORBIDDEN,
        headers: &headers,
        notice: None,
        organization: &form.organization,
        name: &form.name,
        email: &form.email,
    };
    if !pre_session_csrf_ok(&state, &headers, &form.csrf_token) {
        page.notice = Some("Your signup form expired. Please try again.".to_string());
        return signup_form(&state, page);
    }
    let request = SignupRequest {
        organization: form.organization.clone(),
        name: form.name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
    };
    match signup(&state, ip, &request, Bound::default()).await {
        Ok((_, user)) => start_session(&state, &headers, user.id),
        Err(ApiError::Unprocessable { message, .. }) => {
            page.status = StatusCode::UNPROCESSABLE_ENTITY;
            page.notice = Some(message);
            signup_form(&state, page)
        }
        Err(ApiError::Conflict(message)) => {
            page.status = StatusCode::CONFLICT;
            page.notice = Some(message);
            signup_form(&state, page)
        }
        Err(other) => other.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_plausibility() {
        assert!(plausible_email("a@b.example"));
        assert!(!plausible_email("a@b"));
        assert!(!plausible_email("@b.example"));
        assert!(!plausible_email("a b@c.example"));
        assert!(!plausible_email("a@b@c.example"));
    }

    #[test]
    fn reset_tokens_are_stored_hashed() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
