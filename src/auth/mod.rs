//! Identities and their sessions: login, proof of a live session, re-login when it lapses.

pub mod attempt;
pub mod flow;
pub mod login;
pub mod token;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use serde_json::Value;

pub use login::describe;

use crate::config::{ConfigRequest, IdentityConfig, ScanConfig};
use crate::http::{HttpError, HttpLayer, Request, Response, Session};
use crate::model::{IdentityId, Tenant};

/// A login problem: the scan cannot run as configured.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("login for identity `{identity}` failed: {detail}")]
    LoginFailed {
        identity: IdentityId,
        detail: String,
    },
    #[error("identity `{identity}` logged in, but its check request failed: {detail}")]
    CheckFailed {
        identity: IdentityId,
        detail: String,
    },
}

/// At most this many re-logins per identity per scan, so a broken session cannot
/// turn the scan into a login flood.
const MAX_RELOGINS: u32 = 5;

/// One identity the scanner acts as.
pub struct Identity {
    pub id: IdentityId,
    /// `None` for the anonymous identity.
    pub config: Option<IdentityConfig>,
    pub session: Session,
    /// Bumped at every (re-)login, so concurrent requests re-login once, not each.
    generation: AtomicU64,
    relogins: AtomicU32,
    relogin_lock: tokio::sync::Mutex<()>,
    /// What the check request answered: the identity's own profile (`/me`).
    profile: Mutex<Option<Value>>,
    /// What the login request answered, when it was JSON (ids such as `cartId` live
    /// there). Never reported: it holds the session's token.
    login_answer: Mutex<Option<Value>>,
}

impl Identity {
    pub fn anonymous() -> Identity {
        Identity::new(IdentityId::Anonymous, None)
    }

    fn new(id: IdentityId, config: Option<IdentityConfig>) -> Identity {
        Identity {
            id,
            config,
            session: Session::new(id),
            generation: AtomicU64::new(0),
            relogins: AtomicU32::new(0),
            relogin_lock: tokio::sync::Mutex::new(()),
            profile: Mutex::new(None),
            login_answer: Mutex::new(None),
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.config.is_none()
    }

    pub fn tenant(&self) -> Option<Tenant> {
        self.config.as_ref().and_then(|c| c.tenant)
    }

    pub fn login_kind(&self) -> &'static str {
        self.config.as_ref().map_or("none", |c| c.login.kind())
    }

    pub fn relogins(&self) -> u32 {
        self.relogins.load(Ordering::Relaxed)
    }

    /// The JSON the check request answered, when it was JSON.
    pub fn profile(&self) -> Option<Value> {
        self.profile
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The JSON the login request answered.
    pub fn login_answer(&self) -> Option<Value> {
        self.login_answer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The claims of every JWT the session carries (its bearer token, its cookies).
    pub fn token_claims(&self) -> Vec<Value> {
        token::session_claims(&self.session)
    }

    /// Logs in and proves the session with the check request.
    pub async fn login(&self, http: &HttpLayer) -> Result<(), AuthError> {
        let Some(config) = &self.config else {
            return Ok(());
        };
        let landing = login::login(http, &self.session, config).await?;
        if let Some(answer) = landing.as_ref().and_then(Response::json) {
            *self.login_answer.lock().unwrap_or_else(|e| e.into_inner()) = Some(answer);
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(check) = &config.check {
            let resp = http
                .send(&self.session, check_request(check))
                .await
                .map_err(|e| AuthError::CheckFailed {
                    identity: self.id,
                    detail: e.to_string(),
                })?;
            if !check_passed(check, &resp) {
                return Err(AuthError::CheckFailed {
                    identity: self.id,
                    detail: describe(http, &resp),
                });
            }
            *self.profile.lock().unwrap_or_else(|e| e.into_inner()) = resp.json();
        }
        Ok(())
    }

    /// Sends a request as this identity. When a request that used the session's own
    /// credentials comes back 401 (or a configured check now fails), the identity logs
    /// in again once and the request is retried.
    pub async fn send(&self, http: &HttpLayer, request: Request) -> Result<Response, HttpError> {
        let generation = self.generation.load(Ordering::SeqCst);
        let resp = http.send(&self.session, request.clone()).await?;
        let uses_session = !request.without_credentials
            && request.header_value("authorization").is_none()
            && request.header_value("cookie").is_none();
        if self.config.is_none() || !uses_session || !self.lapsed(http, &resp).await {
            return Ok(resp);
        }
        let _guard = self.relogin_lock.lock().await;
        if self.generation.load(Ordering::SeqCst) == generation {
            if self.relogins.fetch_add(1, Ordering::SeqCst) >= MAX_RELOGINS {
                return Ok(resp);
            }
            tracing::info!(identity = %self.id, "session lapsed; logging in again");
            if let Err(e) = self.login(http).await {
                tracing::warn!(identity = %self.id, error = %http.redactor().text(&e.to_string()), "re-login failed");
                return Ok(resp);
            }
        }
        drop(_guard);
        http.send(&self.session, request).await
    }

    /// Whether a response means the session is gone (not merely that access was denied).
    async fn lapsed(&self, http: &HttpLayer, resp: &Response) -> bool {
        if resp.status != 401 && resp.status != 419 && resp.status != 440 {
            return false;
        }
        // With a check request, only a failing check proves the session lapsed.
        match self.config.as_ref().and_then(|c| c.check.as_ref()) {
            Some(check) => match http.send(&self.session, check_request(check)).await {
                Ok(r) => !check_passed(check, &r),
                Err(_) => false,
            },
            None => true,
        }
    }
}

fn check_request(check: &ConfigRequest) -> Request {
    Request::new(&check.method, check.url.clone())
        .header("Accept", "application/json, text/html;q=0.9")
}

fn check_passed(check: &ConfigRequest, resp: &Response) -> bool {
    if check.expect_status.is_empty() {
        // A redirect to a login page is not a live session.
        resp.is_success()
    } else {
        check.expect_status.contains(&resp.status)
    }
}

/// Every identity of a scan: anonymous first, then a, b, admin, member as configured.
pub struct Identities {
    list: Vec<Arc<Identity>>,
}

impl Identities {
    pub fn from_config(config: &ScanConfig) -> Identities {
        let mut list = vec![Arc::new(Identity::anonymous())];
        list.extend(
            config
                .identities
                .iter()
                .map(|c| Arc::new(Identity::new(c.id, Some(c.clone())))),
        );
        Identities { list }
    }

    /// Logs every identity in, concurrently; the first failure is returned.
    pub async fn login_all(&self, http: &HttpLayer) -> Result<(), AuthError> {
        let tasks = self.list.iter().map(|i| {
            let i = Arc::clone(i);
            let http = http.clone();
            async move { i.login(&http).await }
        });
        for result in futures_util::future::join_all(tasks).await {
            result?;
        }
        Ok(())
    }

    pub fn all(&self) -> &[Arc<Identity>] {
        &self.list
    }

    pub fn get(&self, id: IdentityId) -> Option<&Arc<Identity>> {
        self.list.iter().find(|i| i.id == id)
    }

    pub fn anonymous(&self) -> &Arc<Identity> {
        &self.list[0]
    }

    /// The authenticated identities.
    pub fn authenticated(&self) -> impl Iterator<Item = &Arc<Identity>> {
        self.list.iter().filter(|i| !i.is_anonymous())
    }
}
