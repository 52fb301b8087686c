//! Short-lived HS256 access tokens for the JSON API, with server-side revocation.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::state::now_unix;

/// Access tokens live 15 minutes.
pub(crate) const TOKEN_TTL_SECS: i64 = 900;
/// What the `long-lived-token` flaw issues: 30 days.
pub(crate) const LONG_TTL_SECS: i64 = 30 * 24 * 60 * 60;
/// The `weak-jwt-secret` flaw's key: jwt.io's example secret, on every weak-secret list.
pub(crate) const WEAK_SECRET: &[u8] = b"your-256-bit-secret";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// The user id, as a string (RFC 7519 `sub`).
    pub sub: String,
    /// The organisation id.
    pub org: i64,
    pub role: String,
    /// The platform staff flag.
    #[serde(default)]
    pub staff: bool,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

pub(crate) struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: i64,
    /// The `jwt-alg-none` flaw: unsigned tokens are believed.
    accept_none: bool,
    /// Revoked token ids with their expiry; expired entries are pruned.
    revoked: Mutex<HashMap<String, i64>>,
}

impl Jwt {
    /// Keys from `secret` (per-process random unless a flaw says otherwise); tokens live `ttl` seconds.
    pub(crate) fn new(secret: &[u8], ttl: i64, accept_none: bool) -> anyhow::Result<Jwt> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = 5;
        Ok(Jwt {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            ttl,
            accept_none,
            revoked: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn issue(
        &self,
        user_id: i64,
        org_id: i64,
        role: &str,
        staff: bool,
    ) -> anyhow::Result<String> {
        let now = now_unix();
        let claims = Claims {
            sub: user_id.to_string(),
            org: org_id,
            role: role.to_string(),
            staff,
            iat: now,
            exp: now + self.ttl,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// How long issued tokens live, in seconds.
    pub(crate) fn ttl(&self) -> i64 {
        self.ttl
    }

    /// The claims of a valid, unexpired, unrevoked token.
    pub(crate) fn verify(&self, token: &str) -> Option<Claims> {
        let claims = match self.unsigned_claims(token) {
            Some(claims) => claims,
            None => {
                jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
                    .ok()?
                    .claims
            }
        };
        if claims.exp < now_unix() {
            return None;
        }
        if claims.iat > now_unix() + 60 {
            return None;
        }
        let revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        (!revoked.contains_key(&claims.jti)).then_some(claims)
    }

    /// Under the `jwt-alg-none` flaw, the claims of a token whose header says `none`.
    fn unsigned_claims(&self, token: &str) -> Option<Claims> {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        if !self.accept_none {
            return None;
        }
        let mut parts = token.split('.');
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
        if !header["alg"].as_str()?.eq_ignore_ascii_case("none") {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()
    }

    pub(crate) fn revoke(&self, claims: &Claims) {
        let now = now_unix();
        let mut revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        revoked.retain(|_, exp| *exp + 60 > now);
        revoked.insert(claims.jti.clone(), claims.exp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_revoke() {
        let jwt = Jwt::new(&[7u8; 32], TOKEN_TTL_SECS, false).unwrap();
        let token = jwt.issue(3, 1, "admin", false).unwrap();
        let claims = jwt.verify(&token).unwrap();
        assert_eq!(claims.sub, "3");
        assert_eq!(claims.org, 1);
        assert_eq!(claims.exp - claims.iat, TOKEN_TTL_SECS);
        jwt.revoke(&claims);
        assert!(jwt.verify(&token).is_none());
    }

    #[test]
    fn other_secrets_and_tampering_fail() {
        let jwt = Jwt::new(&[7u8; 32], TOKEN_TTL_SECS, false).unwrap();
        let other = Jwt::new(&[8u8; 32], TOKEN_TTL_SECS, false).unwrap();
        let token = other.issue(3, 1, "admin", false).unwrap();
        assert!(jwt.verify(&token).is_none());
        let good = jwt.issue(3, 1, "member", false).unwrap();
        let mut parts: Vec<&str> = good.split('.').collect();
        parts[2] = "AAAA";
        assert!(jwt.verify(&parts.join(".")).is_none());
        // alg none
        let unsigned = format!("{}.{}.", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", parts[1]);
        assert!(jwt.verify(&unsigned).is_none());
        let lax = Jwt::new(&[7u8; 32], TOKEN_TTL_SECS, true).unwrap();
        assert_eq!(lax.verify(&unsigned).unwrap().sub, "3");
    }
}
