//! Session tokens as the scanner holds them.

use base64::Engine as _;
use serde_json::Value;

/// The claims of a JWT, when `token` is one (the signature is not checked: these are
/// the scanner's own session's claims, read for the ids they carry).
pub fn claims(token: &str) -> Option<Value> {
    let mut parts = token.trim().split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.len() > 16 * 1024 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.is_object().then_some(claims)
}
