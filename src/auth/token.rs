//! Session tokens as the scanner holds them.

use base64::Engine as _;
use serde_json::Value;

use crate::http::Session;

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

/// The claims of every JWT a session carries (its bearer token, its cookies).
pub fn session_claims(session: &Session) -> Vec<Value> {
    let mut tokens: Vec<String> = session
        .headers()
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .filter_map(|(_, v)| v.split_once(' ').map(|(_, t)| t.to_string()))
        .collect();
    session.with_jar(|jar| {
        tokens.extend(jar.cookies().iter().map(|c| c.value.clone()));
    });
    tokens.iter().filter_map(|t| claims(t)).collect()
}
