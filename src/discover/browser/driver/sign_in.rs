//! The browser side of signing in through the app's own sign-in form: the state one
//! identity's forwarding shares with its walk, and typing into and submitting the
//! form over the DevTools protocol. What the sign-in lets through is decided in
//! [`super::super::sign_in::step`].

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, InsertTextParams,
};
use chromiumoxide::page::Page;

use super::super::sign_in::{
    Credentials, FIND_FORM_SCRIPT, SUBMIT_SCRIPT, SignInRule, SignInStep, credentials,
    focus_script, set_value_script, typed_script,
};
use super::{AsIdentity, eval};
use crate::auth::Identity;
use crate::http::Session;

/// Sign-ins per identity the app may accept (an app that forgets its session at every
/// page load is signed in again, up to this).
const MAX_SIGN_INS: u32 = 5;

/// One identity's sign-in through the app's form, shared by its walk (which submits)
/// and its forwarding (which decides and sends the page's requests).
pub(super) struct SignIn {
    /// `None`: this identity does not sign in (switched off, or no password).
    credentials: Option<Credentials>,
    state: Mutex<Signing>,
}

#[derive(Default)]
struct Signing {
    /// The scanner is submitting the form now: the window for the sign-in request.
    submitting: bool,
    /// The session the app issues this browser, made at the first submission from
    /// the cookies the identity's browser holds (a CSRF cookie the form needs). Never
    /// the identity's own: the app's cookies and the app's `Authorization` stay in it,
    /// so nothing of the sign-in leaks into the identity's session or another's.
    session: Option<Arc<Session>>,
    /// The app accepted a sign-in: every request of the page goes out in `session`.
    active: bool,
    /// Statuses the app answered this submission's sign-in requests with.
    answers: Vec<u16>,
    attempts: u32,
    accepted: u32,
    /// A submission failed: not tried again (a wrong password would only add failed
    /// logins, and lock-outs).
    failed: bool,
}

impl SignIn {
    pub(super) fn new(identity: &Identity, enabled: bool) -> SignIn {
        SignIn {
            credentials: identity
                .config
                .as_ref()
                .filter(|_| enabled)
                .and_then(credentials),
            state: Mutex::new(Signing::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Signing> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the sign-in stands, for [`super::super::decide`].
    pub(super) fn rule(&self) -> Option<SignInRule<'_>> {
        let c = self.credentials.as_ref()?;
        let s = self.lock();
        Some(SignInRule {
            password: &c.password,
            login_paths: &c.login_paths,
            submitting: s.submitting,
            signed_in: s.active,
        })
    }

    /// The session a request goes out in: the sign-in's own for the sign-in's
    /// requests and, once the app accepted it, for everything; `None`: the identity's.
    pub(super) fn session_for(&self, step: Option<SignInStep>) -> Option<Arc<Session>> {
        let s = self.lock();
        match step {
            Some(SignInStep::Credentials) => s.session.clone(),
            _ if s.active => s.session.clone(),
            _ => None,
        }
    }

    /// The app answered a sign-in request of this submission with `status`.
    pub(super) fn answered(&self, status: u16) {
        let mut s = self.lock();
        s.answers.push(status);
        if status < 400 {
            // What the page asks next (the redirect, its API calls) is the signed-in
            // app's; the walk takes it back if the form stays.
            s.active = true;
        }
    }

    /// Whether `body` carries this identity's password.
    pub(super) fn carries_password(&self, body: &[u8]) -> bool {
        self.credentials
            .as_ref()
            .is_some_and(|c| super::super::sign_in::carries_password(body, &c.password))
    }

    /// Sign-ins the app accepted.
    pub(super) fn accepted(&self) -> u32 {
        self.lock().accepted
    }

    fn wanted(&self) -> bool {
        let s = self.lock();
        self.credentials.is_some() && !s.failed && s.accepted < MAX_SIGN_INS
    }

    fn begin(&self, identity: &Identity) {
        let mut s = self.lock();
        if s.session.is_none() {
            let own = Session::scratch(identity.id, "browser sign-in");
            let cookies = identity.session.with_jar(|j| j.clone());
            own.with_jar(|j| *j = cookies);
            s.session = Some(Arc::new(own));
        }
        s.submitting = true;
        s.answers.clear();
        s.attempts += 1;
    }

    fn answers(&self) -> Vec<u16> {
        self.lock().answers.clone()
    }

    fn end(&self, signed_in: bool) {
        let mut s = self.lock();
        s.submitting = false;
        if signed_in {
            s.accepted += 1;
            s.active = true;
        } else {
            s.failed = true;
            s.active = false;
            s.session = None;
        }
    }
}

/// What [`FIND_FORM_SCRIPT`] found.
#[derive(Debug, Default, serde::Deserialize)]
struct FormFound {
    found: bool,
}

impl AsIdentity<'_> {
    /// Signs in through the sign-in form the page shows, when this identity signs in
    /// and the form is there. Returns why it failed, for the browser summary; the walk
    /// carries on either way (as the identity's own session after a failure).
    pub(super) async fn sign_in_if_shown(
        &self,
        page: &Page,
        pending: &AtomicUsize,
    ) -> Option<String> {
        if !self.sign_in.wanted() {
            return None;
        }
        let creds = self.sign_in.credentials.clone()?;
        let form: FormFound = eval(page, FIND_FORM_SCRIPT.to_string()).await?;
        if !form.found {
            return None;
        }
        self.sign_in.begin(self.identity);
        let typed = type_into(page, "user", &creds.username).await
            && type_into(page, "password", &creds.password).await;
        let id = self.identity.id;
        if !typed {
            self.sign_in.end(false);
            return Some(format!(
                "browser as {id}: the app's sign-in form did not take the username and password"
            ));
        }
        if !eval::<bool>(page, SUBMIT_SCRIPT.to_string())
            .await
            .unwrap_or(false)
        {
            press_enter(page).await;
        }
        self.settle(pending).await;
        if self.sign_in.answers().is_empty() && self.form_shown(page).await {
            // A form whose button did nothing may still submit on Enter.
            let _ = eval::<bool>(page, focus_script("password")).await;
            press_enter(page).await;
            self.settle(pending).await;
        }
        // The app may route to its signed-in view and load it.
        self.settle(pending).await;
        let answers = self.sign_in.answers();
        let shown = self.form_shown(page).await;
        let ok = answers.iter().any(|s| *s < 400) && !shown;
        self.sign_in.end(ok);
        tracing::debug!(identity = %id, ok, ?answers, "browser: signed in through the app's form");
        if ok {
            return None;
        }
        let why = match answers.last() {
            None => "no request of the page carried the password after submitting".to_string(),
            Some(s) if *s >= 400 => format!("the app answered the sign-in with {s}"),
            Some(_) => "the sign-in form was still shown after the app answered".to_string(),
        };
        Some(format!(
            "browser as {id}: signing in through the app's sign-in form failed ({why}); carried on with the identity's own session"
        ))
    }

    async fn form_shown(&self, page: &Page) -> bool {
        eval::<FormFound>(page, FIND_FORM_SCRIPT.to_string())
            .await
            .is_some_and(|f| f.found)
    }
}

/// Types `text` into the marked field as a user does (focus, then text input, which
/// fires the `input` events frameworks bind to); a field that did not take it gets
/// its value set with `input` and `change` fired. Says whether it holds the text now.
async fn type_into(page: &Page, field: &str, text: &str) -> bool {
    let want = text.encode_utf16().count() as i64;
    if eval::<bool>(page, focus_script(field))
        .await
        .unwrap_or(false)
        && page.execute(InsertTextParams::new(text)).await.is_ok()
        && eval::<i64>(page, typed_script(field)).await == Some(want)
    {
        return true;
    }
    eval::<i64>(page, set_value_script(field, text)).await == Some(want)
}

/// Presses Enter in the focused field (implicit submission, or the app's key handler).
async fn press_enter(page: &Page) {
    for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
        let mut key = DispatchKeyEventParams::new(kind.clone());
        key.key = Some("Enter".into());
        key.code = Some("Enter".into());
        key.windows_virtual_key_code = Some(13);
        key.native_virtual_key_code = Some(13);
        if matches!(kind, DispatchKeyEventType::KeyDown) {
            key.text = Some("\r".into());
        }
        let _ = page.execute(key).await;
    }
}
