//! Authentication: who is calling, by bearer token or session cookie.
//!
//! Every `/api/*` route other than the catalogue and the auth endpoints takes a
//! [`CurrentUser`] (or [`AdminUser`]); HTML pages of the app take a [`PageUser`].

pub(crate) mod handlers;
pub(crate) mod jwt;
pub(crate) mod password;
pub(crate) mod session;

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use crate::errors::ApiError;
use crate::extract::peer_ip;
use crate::state::SharedState;
use crate::tenants::{self, User};
use session::CsrfScope;

/// Cookie holding the session id of the HTML app.
pub(crate) const SESSION_COOKIE: &str = "session";
/// Cookie binding the CSRF token of the login and signup forms.
pub(crate) const PRE_SESSION_COOKIE: &str = "presession";
/// Header carrying the CSRF token on cookie-authenticated API writes.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// How a request authenticated.
#[derive(Debug, Clone)]
pub(crate) enum AuthVia {
    Bearer(jwt::Claims),
    Session(String),
}

/// The authenticated caller of an API route, loaded fresh from the database
/// (so role changes apply at once, whatever a token claims).
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser {
    pub user: User,
    pub via: AuthVia,
    pub ip: IpAddr,
}

impl FromRequestParts<SharedState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let ip = peer_ip(parts);
        let unsafe_method = !parts.method.is_safe();
        let (user_id, via) = if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(bearer_token)
                .ok_or(ApiError::Unauthorized)?;
            let claims = state.jwt.verify(token).ok_or(ApiError::Unauthorized)?;
            let user_id: i64 = claims.sub.parse().map_err(|_| ApiError::Unauthorized)?;
            (user_id, AuthVia::Bearer(claims))
        } else if let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) {
            let user_id = state.sessions.user(&sid).ok_or(ApiError::Unauthorized)?;
            if unsafe_method {
                same_origin_write(&parts.headers, state.require_origin)?;
                let given = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !state.csrf.verify(CsrfScope::Session, &sid, given) {
                    return Err(ApiError::Forbidden("missing or invalid CSRF token"));
                }
            }
            (user_id, AuthVia::Session(sid))
        } else {
            return Err(ApiError::Unauthorized);
        };
        let user = {
            let conn = state.db();
            tenants::user_by_id(&conn, user_id)?
        }
        .ok_or(ApiError::Unauthorized)?;
        // A token minted before the user moved organisation is no longer valid.
        if matches!(&via, AuthVia::Bearer(claims) if claims.org != user.org_id) {
            return Err(ApiError::Unauthorized);
        }
        if unsafe_method {
            let key = format!("user:{}", user.id);
            let limiter = &state.limits.writes_user;
            let hit = limiter.hit(&key);
            if let Some(slot) = parts.extensions.get::<crate::hardening::WriteQuota>() {
                let (limit, remaining, reset) = limiter.quota(&key);
                *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(crate::hardening::Quota {
                    limit,
                    remaining,
                    reset,
                    window: limiter.window(),
                });
            }
            hit.map_err(ApiError::RateLimited)?;
        }
        Ok(CurrentUser { user, via, ip })
    }
}

/// A caller with the admin role; members get 403.
#[derive(Debug, Clone)]
pub(crate) struct AdminUser(pub CurrentUser);

impl FromRequestParts<SharedState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let caller = CurrentUser::from_request_parts(parts, state).await?;
        // Under `missing-role-check` being logged in is enough.
        if !caller.user.is_admin() && !state.flaw(crate::flaws::Flaw::MissingRoleCheck) {
            return Err(ApiError::Forbidden("admin role required"));
        }
        Ok(AdminUser(caller))
    }
}

/// The logged-in user of an HTML page; anyone else is sent to the login form.
#[derive(Debug, Clone)]
pub(crate) struct PageUser {
    pub user: User,
    /// The CSRF token of this session, for forms and the app shell.
    pub csrf: String,
}

impl FromRequestParts<SharedState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/login").into_response();
        let sid = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(to_login)?;
        let user_id = state.sessions.user(&sid).ok_or_else(to_login)?;
        let user = {
            let conn = state.db();
            tenants::user_by_id(&conn, user_id).map_err(|e| ApiError::from(e).into_response())?
        }
        .ok_or_else(to_login)?;
        Ok(PageUser {
            csrf: state.csrf.token(CsrfScope::Session, &sid),
            user,
        })
    }
}

fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The value of cookie `name`, if the request sent it.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether the request reached us over HTTPS, as a TLS-terminating proxy says.
pub(crate) fn came_over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for an HttpOnly, SameSite=Lax cookie; `max_age` 0 clears it.
pub(crate) fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<u64>,
    secure: bool,
) -> HeaderValue {
    let mut cookie = format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie)
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A cookie-authenticated write must come from this site: an `Origin` naming another
/// site is refused, and with `require_origin` so is a write that names no origin at all
/// (neither `Origin` nor `Referer`), the way Django checks writes over HTTPS.
pub(crate) fn same_origin_write(headers: &HeaderMap, require_origin: bool) -> Result<(), ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let own = |url: &str| {
        url.split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default() == host)
            .unwrap_or(false)
    };
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) if !own(&origin) => Err(ApiError::Forbidden("Origin checking failed")),
        (None, Some(referer)) if !own(&referer) => {
            Err(ApiError::Forbidden("Referer checking failed"))
        }
        (None, None) if require_origin => {
            Err(ApiError::Forbidden("Referer checking failed - no Referer"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_bearer_tokens_parse() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, "session").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
        assert_eq!(bearer_token("Bearer x.y.z"), Some("x.y.z"));
        assert_eq!(bearer_token("bearer  t "), Some("t"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }

    #[test]
    fn cookie_flags() {
        let plain = set_cookie("session", "x", None, false);
        assert_eq!(plain, "session=x; HttpOnly; SameSite=Lax; Path=/");
        let cleared = set_cookie("session", "", Some(0), true);
        assert_eq!(
            cleared,
            "session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Secure"
        );
    }
}
