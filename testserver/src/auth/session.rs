//! Server-side sessions for the HTML app and CSRF tokens bound to them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A session ends after this long without requests...
const IDLE: Duration = Duration::from_secs(2 * 60 * 60);
/// ...and at the latest this long after login.
const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);

#[derive(Clone, Copy)]
struct Session {
    user_id: i64,
    created: Instant,
    last_seen: Instant,
}

#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Start a session for `user_id` under a fresh random id.
    pub(crate) fn create(&self, user_id: i64) -> String {
        let id = random_token();
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, s| live(s, now));
        }
        map.insert(
            id.clone(),
            Session {
                user_id,
                created: now,
                last_seen: now,
            },
        );
        id
    }

    /// The user of a live session, refreshing its idle timer.
    pub(crate) fn user(&self, id: &str) -> Option<i64> {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let session = map.get_mut(id)?;
        if !live(session, now) {
            map.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(session.user_id)
    }

    pub(crate) fn revoke(&self, id: &str) -> bool {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(id).is_some()
    }

    /// End every session of a user (after a password reset).
    pub(crate) fn revoke_user(&self, user_id: i64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.user_id != user_id);
    }

    pub(crate) fn active(&self) -> usize {
        let now = Instant::now();
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.values().filter(|s| live(s, now)).count()
    }
}

fn live(s: &Session, now: Instant) -> bool {
    now.duration_since(s.last_seen) < IDLE && now.duration_since(s.created) < ABSOLUTE
}

/// 32 random bytes, base64url.
pub(crate) fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// CSRF tokens are an HMAC of the (pre-)session id, so they need no storage
/// and are only valid together with the cookie they were issued for.
pub(crate) struct CsrfKey {
    key: [u8; 32],
}

/// What a CSRF token is bound to.
#[derive(Clone, Copy)]
pub(crate) enum CsrfScope {
    /// The pre-session cookie of the login and signup forms.
    PreSession,
    /// A logged-in session.
    Session,
}

impl CsrfKey {
    pub(crate) fn new(key: [u8; 32]) -> Self {
        CsrfKey { key }
    }

    pub(crate) fn token(&self, scope: CsrfScope, id: &str) -> String {
        let label = match scope {
            CsrfScope::PreSession => "pre-session",
            CsrfScope::Session => "session",
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(label.as_bytes());
        mac.update(b"|");
        mac.update(id.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub(crate) fn verify(&self, scope: CsrfScope, id: &str, given: &str) -> bool {
        let expected = self.token(scope, id);
        expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_random_and_revocable() {
        let sessions = Sessions::default();
        let a = sessions.create(1);
        let b = sessions.create(1);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(sessions.user(&a), Some(1));
        assert!(sessions.revoke(&a));
        assert_eq!(sessions.user(&a), None);
        sessions.revoke_user(1);
        assert_eq!(sessions.user(&b), None);
    }

    #[test]
    fn csrf_tokens_bind_to_scope_and_id() {
        let key = CsrfKey::new([1; 32]);
        let t = key.token(CsrfScope::Session, "abc");
        assert!(key.verify(CsrfScope::Session, "abc", &t));
        assert!(!key.verify(CsrfScope::Session, "abd", &t));
        assert!(!key.verify(CsrfScope::PreSession, "abc", &t));
        assert!(!key.verify(CsrfScope::Session, "abc", ""));
    }
}
