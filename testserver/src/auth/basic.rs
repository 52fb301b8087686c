//! HTTP Basic, as internal tools and staging gates use it: the existing users' email and
//! password on every request of the internal API (`/internal/api/*`).
//!
//! The password is checked like a login (the same limits on failures, the same audit
//! record of a failure, the same answer for an unknown email and a wrong password), so
//! the `no-login-rate-limit` and `user-enumeration` flaws reach it too.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::handlers::{INVALID_LOGIN, LoginFailure, UNKNOWN_ACCOUNT, Via, authenticate_via};
use crate::errors::ApiError;
use crate::extract::ClientIp;
use crate::state::SharedState;
use crate::tenants::User;

/// The realm the challenge names.
const REALM: &str = "Basic realm=\"Ledgerline internal\", charset=\"UTF-8\"";

/// A caller of the internal API, authenticated by HTTP Basic.
#[derive(Debug, Clone)]
pub(crate) struct BasicUser(pub User);

impl FromRequestParts<SharedState> for BasicUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let Some((email, password)) = credentials(&parts.headers) else {
            return Err(challenge(INVALID_LOGIN));
        };
        match authenticate_via(state, ip, &email, &password, Via::Basic).await {
            Ok(user) => Ok(BasicUser(user)),
            Err(LoginFailure::Invalid) => Err(challenge(INVALID_LOGIN)),
            Err(LoginFailure::UnknownAccount) => Err((
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({ "error": UNKNOWN_ACCOUNT })),
            )
                .into_response()),
            Err(LoginFailure::Limited(wait)) => Err(ApiError::RateLimited(wait).into_response()),
            Err(LoginFailure::Error(e)) => Err(e.into_response()),
        }
    }
}

/// 401 with the challenge that makes clients send Basic credentials.
fn challenge(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, REALM)],
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

/// The email and password of an `Authorization: Basic` header.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (email, password) = text.split_once(':')?;
    Some((email.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_credentials_parse() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YUB4LnRlc3Q6cDpzcw=="),
        );
        assert_eq!(
            credentials(&headers),
            Some(("a@x.test".into(), "p:ss".into()))
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(credentials(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!"));
        assert_eq!(credentials(&headers), None);
    }
}
