//! Short-lived HS256 access tokens for the JSON API, with server-side revocation.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::state::now_unix;

/// Access tokens live 15 minutes.
pub(crate) const TOKEN_TTL_SECS: i64 = 900;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// The user id, as a string (RFC 7519 `sub`).
    pub sub: String,
    /// The organisation id.
    pub org: i64,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

pub(crate) struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Revoked token ids with their expiry; expired entries are pruned.
    revoked: Mutex<HashMap<String, i64>>,
}

impl Jwt {
    /// Keys from a per-process random secret.
    pub(crate) fn new(secret: &[u8; 32]) -> anyhow::Result<Jwt> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = 5;
        Ok(Jwt {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            revoked: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn issue(&self, user_id: i64, org_id: i64, role: &str) -> anyhow::Result<String> {
        let now = now_unix();
        let claims = Claims {
            sub: user_id.to_string(),
            org: org_id,
            role: role.to_string(),
            iat: now,
            exp: now + TOKEN_TTL_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired, unrevoked token.
    pub(crate) fn verify(&self, token: &str) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let claims = data.claims;
        if claims.iat > now_unix() + 60 {
            return None;
        }
        let revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
        (!revoked.contains_key(&claims.jti)).then_some(claims)
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
        let jwt = Jwt::new(&[7u8; 32]).unwrap();
        let token = jwt.issue(3, 1, "admin").unwrap();
        let claims = jwt.verify(&token).unwrap();
        assert_eq!(claims.sub, "3");
        assert_eq!(claims.org, 1);
        assert_eq!(claims.exp - claims.iat, TOKEN_TTL_SECS);
        jwt.revoke(&claims);
        assert!(jwt.verify(&token).is_none());
    }

    #[test]
    fn other_secrets_and_tampering_fail() {
        let jwt = Jwt::new(&[7u8; 32]).unwrap();
        let other = Jwt::new(&[8u8; 32]).unwrap();
        let token = other.issue(3, 1, "admin").unwrap();
        assert!(jwt.verify(&token).is_none());
        let good = jwt.issue(3, 1, "member").unwrap();
        let mut parts: Vec<&str> = good.split('.').collect();
        parts[2] = "AAAA";
        assert!(jwt.verify(&parts.join(".")).is_none());
        // alg none
        let unsigned = format!("{}.{}.", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", parts[1]);
        assert!(jwt.verify(&unsigned).is_none());
    }
}
