//! Request extractors that turn malformed input into safe 4xx errors.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::errors::{ApiError, Cause};
use crate::flaws::Flaw;
use crate::state::SharedState;

/// Longest string any text field accepts.
pub(crate) const MAX_TEXT: usize = 10_000;

/// A JSON request body: `Content-Type: application/json`, well-formed, of the
/// right shape (request types use `deny_unknown_fields`).
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = body_bytes(req, state).await?;
        decode_json(&bytes).map(ApiJson)
    }
}

/// A resource body (projects, invoices, documents) and the raw JSON it came from.
///
/// In the hardened app it is exactly [`ApiJson`]. Under `no-input-validation` the
/// content type is ignored and a body that does not decode is an internal error (a
/// 500 with the usual safe message); under `mass-assignment` unknown fields are
/// dropped instead of refused, and the handler may read more from the raw JSON.
pub(crate) struct ResourceJson<T>(pub T, pub serde_json::Value);

impl<T> FromRequest<SharedState> for ResourceJson<T>
where
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &SharedState) -> Result<Self, Self::Rejection> {
        let lenient_types = state.flaw(Flaw::NoInputValidation);
        let lenient_fields = state.flaw(Flaw::MassAssignment);
        if !lenient_types && !lenient_fields {
            let ApiJson(value) = ApiJson::<serde_json::Value>::from_request(req, state).await?;
            let typed = decode_json(value.to_string().as_bytes())?;
            return Ok(ResourceJson(typed, value));
        }
        if !lenient_types && !is_json(&req) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = body_bytes(req, state).await?;
        let crash = |e: serde_json::Error| ApiError::Internal(Cause::of("serde_json::Error", &e));
        let mut value: serde_json::Value = if lenient_types {
            serde_json::from_slice(&bytes).map_err(crash)?
        } else {
            decode_json(&bytes)?
        };
        let original = value.clone();
        // Drop unknown fields one by one until the body binds (bounded by its size).
        for _ in 0..64 {
            match serde_json::from_value::<T>(value.clone()) {
                Ok(typed) => return Ok(ResourceJson(typed, original)),
                Err(e) if lenient_fields && e.to_string().starts_with("unknown field `") => {
                    let name = quoted_after(&e.to_string(), "unknown field `").unwrap_or_default();
                    let removed = value.as_object_mut().and_then(|map| map.remove(&name));
                    if removed.is_none() {
                        return Err(crash(e));
                    }
                }
                Err(e) if lenient_types => return Err(crash(e)),
                Err(_) => {
                    return decode_json(value.to_string().as_bytes())
                        .map(|t| ResourceJson(t, value));
                }
            }
        }
        Err(ApiError::bad_request("too many unknown fields"))
    }
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        })
}

pub(crate) async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::bad_request("could not read the request body")
        }
    })
}

/// Decode a JSON body, naming the offending field in the error.
#[track_caller]
pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end()
        .map_err(|e| malformed(Cause::of("serde_json::Error", &e)))?;
    Ok(value)
}

fn malformed(cause: Cause) -> ApiError {
    ApiError::BadRequest {
        message: "malformed JSON body".to_string(),
        field: None,
        cause: Some(cause),
    }
}

#[track_caller]
fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let cause = Cause::of("serde_json::Error", err.inner());
    if !err.inner().is_data() {
        return malformed(cause);
    }
    let path = err.path().to_string();
    let text = strip_position(&err.inner().to_string());
    let (message, field) = if let Some(name) = quoted_after(&text, "unknown field `") {
        let field = join_path(&path, &name);
        (format!("unknown field '{field}'"), field)
    } else if let Some(name) = quoted_after(&text, "missing field `") {
        let field = join_path(&path, &name);
        (format!("missing field '{field}'"), field)
    } else if path == "." || path.starts_with('[') {
        // Every body of the API is an object (serde would also accept an array).
        (
            "request body must be a JSON object".to_string(),
            ".".to_string(),
        )
    } else {
        (format!("invalid value for field '{path}'"), path)
    };
    ApiError::Unprocessable {
        message,
        field: Some(field),
        cause: Some(cause),
    }
}

/// serde_json appends " at line L column C"; the public message leaves it out.
fn strip_position(text: &str) -> String {
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text.to_string(),
    }
}

fn quoted_after(text: &str, prefix: &str) -> Option<String> {
    let rest = text.strip_prefix(prefix)?;
    rest.split('`').next().map(str::to_string)
}

/// serde_path_to_error reports the path of the enclosing value for unknown and
/// missing fields; append the field itself.
fn join_path(path: &str, name: &str) -> String {
    if path == "." || path.is_empty() || path.ends_with(name) {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Query-string parameters, decoded with the same safe errors as bodies.
pub(crate) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let field = err.path().to_string();
                ApiError::BadRequest {
                    message: format!("invalid query parameter '{field}'"),
                    field: Some(field),
                    cause: Some(Cause::of("serde_urlencoded::de::Error", err.inner())),
                }
            })
    }
}

/// The TCP peer's address, the key of the per-IP rate limiters. Forwarding headers
/// are deliberately not trusted (the `rate-limit-xff-bypass` flaw trusts them).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientIp(pub IpAddr);

impl FromRequestParts<SharedState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        if state.flaw(Flaw::RateLimitXffBypass)
            && let Some(ip) = forwarded_ip(&parts.headers)
        {
            return Ok(ClientIp(ip));
        }
        Ok(ClientIp(peer_ip(parts)))
    }
}

/// The client address a proxy header claims: the first `X-Forwarded-For` entry or `X-Real-IP`.
fn forwarded_ip(headers: &header::HeaderMap) -> Option<IpAddr> {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    };
    first("x-forwarded-for").or_else(|| first("x-real-ip"))
}

pub(crate) fn peer_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Reject strings that are empty (when required) or longer than `max` characters.
pub(crate) fn check_text(
    field: &str,
    value: &str,
    required: bool,
    max: usize,
) -> Result<(), ApiError> {
    if required && value.trim().is_empty() {
        return Err(ApiError::invalid(
            field,
            format!("'{field}' must not be empty"),
        ));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("'{field}' is too long (at most {max} characters)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        sku: String,
        quantity: i64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Item>,
    }

    fn err_of(body: &str) -> (u16, String, Option<String>) {
        use axum::response::IntoResponse;
        let err = decode_json::<Order>(body.as_bytes()).unwrap_err();
        let field = match &err {
            ApiError::BadRequest { field, .. } | ApiError::Unprocessable { field, .. } => {
                field.clone()
            }
            _ => None,
        };
        let status = err.into_response().status().as_u16();
        let message = match decode_json::<Order>(body.as_bytes()).unwrap_err() {
            ApiError::BadRequest { message, .. } | ApiError::Unprocessable { message, .. } => {
                message
            }
            other => format!("{other:?}"),
        };
        (status, message, field)
    }

    #[test]
    fn errors_name_the_field_without_internals() {
        assert_eq!(err_of("{").0, 400);
        assert_eq!(err_of(r#"{"items":[]} x"#).0, 400);
        let (status, message, field) = err_of(r#"{"items":[{"sku":"A","quantity":"2"}]}"#);
        assert_eq!(status, 422);
        assert_eq!(field.as_deref(), Some("items[0].quantity"));
        assert!(message.contains("items[0].quantity"), "{message}");
        let (status, message, field) = err_of(r#"{"items":[],"role":"admin"}"#);
        assert_eq!(status, 422);
        assert_eq!(field.as_deref(), Some("role"));
        assert_eq!(message, "unknown field 'role'");
        let (_, message, _) = err_of(r#"{"items":[{"sku":"A"}]}"#);
        assert!(message.starts_with("missing field"), "{message}");
        assert!(message.contains("quantity"), "{message}");
        assert_eq!(err_of("1").1, "request body must be a JSON object");
        let (status, message, _) = err_of("[1]");
        assert_eq!(status, 422);
        assert_eq!(message, "request body must be a JSON object");
    }

    #[test]
    fn text_limits() {
        assert!(check_text("name", "ok", true, 10).is_ok());
        assert!(check_text("name", "  ", true, 10).is_err());
        assert!(check_text("memo", "", false, 10).is_ok());
        assert!(check_text("memo", &"x".repeat(11), false, 10).is_err());
    }
}
