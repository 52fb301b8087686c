//! Signing in through the app's own sign-in form (`discovery.browser_sign_in`).
//!
//! Many single-page apps keep their session in memory and renew it from a cookie, so
//! the identity's session handed to the browser does not sign their UI in: the page
//! shows its sign-in form. The browser then types the identity's username and
//! password into that form and submits it. Which of the page's POSTs that lets through
//! is decided here, as data: the request that carries the identity's own password
//! while the scanner is submitting (or goes to the identity's configured login URL),
//! and, once the app accepted it, the renewal of the session it issued. Every other
//! write is still held back.

use url::Url;

use crate::config::{IdentityConfig, Login};

/// What the browser types into the app's sign-in form for one identity.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// Paths the identity's configured login names (the JSON login's URL, the form
    /// login's page): a POST there while submitting is the sign-in.
    pub login_paths: Vec<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .field("login_paths", &self.login_paths)
            .finish()
    }
}

/// The identity's username and password, when it logs in with them through the app
/// (JSON, form, Supabase or Firebase login). HTTP Basic is left out (the layer sends
/// it on every request, so the page is signed in already), and so are token and
/// cookie identities, which have no password to type.
pub fn credentials(cfg: &IdentityConfig) -> Option<Credentials> {
    let (username, password, paths) = match &cfg.login {
        Login::Json {
            url,
            username,
            password,
            ..
        } => (username, password, vec![url.path().to_string()]),
        Login::Form {
            page,
            username,
            password,
            ..
        } => (username, password, vec![page.path().to_string()]),
        Login::Supabase {
            email, password, ..
        }
        | Login::Firebase {
            email, password, ..
        } => (email, password, Vec::new()),
        Login::Basic { .. } | Login::Token { .. } | Login::Cookie { .. } => return None,
    };
    (!username.is_empty() && !password.expose().is_empty()).then(|| Credentials {
        username: username.clone(),
        password: password.expose().to_string(),
        login_paths: paths,
    })
}

/// Where one identity's sign-in stands, as the forwarding decision needs it.
#[derive(Debug, Clone, Copy)]
pub struct SignInRule<'a> {
    pub password: &'a str,
    pub login_paths: &'a [String],
    /// The scanner is submitting the app's sign-in form right now.
    pub submitting: bool,
    /// The app accepted this browser's sign-in: the session is the app's own.
    pub signed_in: bool,
}

/// What a page's POST is to the sign-in, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStep {
    /// The sign-in request itself (it carries the identity's password).
    Credentials,
    /// Renewing the session the app issued to this browser.
    Renewal,
}

/// Whether a POST of the page is part of signing in: the request that carries the
/// identity's own password (or goes to its configured login URL) while the scanner
/// submits the form, or, once the app accepted the sign-in, a renewal of that session
/// (see [`is_renewal`]). A password sent at any other time is a write like any other.
pub fn step(method: &str, url: &Url, body: Option<&[u8]>, rule: &SignInRule) -> Option<SignInStep> {
    if method != "POST" {
        return None;
    }
    let carries = body.is_some_and(|b| carries_password(b, rule.password));
    let to_login = rule.login_paths.iter().any(|p| p == url.path());
    if rule.submitting && (carries || to_login) {
        return Some(SignInStep::Credentials);
    }
    (rule.signed_in && !carries && is_renewal(url, body)).then_some(SignInStep::Renewal)
}

/// Whether `body` carries `password`: as typed, JSON-escaped, or form- or
/// URI-encoded.
pub fn carries_password(body: &[u8], password: &str) -> bool {
    if password.is_empty() {
        return false;
    }
    let json = serde_json::to_string(password).unwrap_or_default();
    let json = json.trim_matches('"');
    let form: String = url::form_urlencoded::byte_serialize(password.as_bytes()).collect();
    let uri = form.replace('+', "%20");
    [password, json, form.as_str(), uri.as_str()]
        .iter()
        .any(|needle| contains(body, needle.as_bytes()))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether a POST renews a session rather than writes: its path names a refresh or
/// renewal of a session (`/auth/refresh`, `/session/renew`, `/api/token/refresh`:
/// the word next to one of auth, session, token, jwt, oauth, login; a
/// `/subscriptions/renew` or `/reports/refresh` is a write) or it asks for a
/// `refresh_token` grant (OAuth token endpoints), and its body is empty or a few
/// scalar fields (the refresh token, a mode), nothing that could be a record.
pub fn is_renewal(url: &Url, body: Option<&[u8]>) -> bool {
    let path = url.path().to_ascii_lowercase();
    let session_word = ["auth", "session", "token", "jwt", "oauth", "login"]
        .iter()
        .any(|w| path.contains(w));
    let names_renewal = session_word
        && path
            .split('/')
            .any(|seg| seg.contains("refresh") || seg.contains("renew"));
    let grant = |k: &str, v: &str| k == "grant_type" && v == "refresh_token";
    let query_grant = url.query_pairs().any(|(k, v)| grant(&k, &v));
    let Some(fields) = scalar_fields(body.unwrap_or_default()) else {
        return false;
    };
    let body_grant = fields.iter().any(|(k, v)| grant(k, v));
    names_renewal || query_grant || body_grant
}

/// The fields of a small body of scalars (at most four: a JSON object of strings,
/// numbers, booleans and nulls, or a form), as text; `None` for anything else.
fn scalar_fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    const MAX_FIELDS: usize = 4;
    const MAX_VALUE: usize = 4096;
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() {
        return Some(Vec::new());
    }
    if text.starts_with('{') {
        let serde_json::Value::Object(map) = serde_json::from_str(text).ok()? else {
            return None;
        };
        if map.len() > MAX_FIELDS {
            return None;
        }
        return map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) if s.len() <= MAX_VALUE => Some((k, s)),
                serde_json::Value::Bool(_)
                | serde_json::Value::Number(_)
                | serde_json::Value::Null => Some((k, v.to_string())),
                _ => None,
            })
            .collect();
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let plain = pairs
        .iter()
        .all(|(k, v)| v.len() <= MAX_VALUE && !k.is_empty() && text.contains('='));
    (pairs.len() <= MAX_FIELDS && plain).then_some(pairs)
}

/// Finds the sign-in form the page shows and marks its fields: a visible password
/// input (the only one of its form or box, not a new password) with one or two
/// visible text, email or tel inputs beside it, the closest one before the password
/// being the user field. Forms that read as signing up or resetting are left alone.
/// Marks the submit control when there is one.
pub const FIND_FORM_SCRIPT: &str = r#"(function () {
  var mark = "data-prodready-signin";
  document.querySelectorAll("[" + mark + "]").forEach(function (e) { e.removeAttribute(mark); });
  function visible(e) {
    if (!e || e.disabled || e.readOnly) { return false; }
    var s = window.getComputedStyle(e), r = e.getBoundingClientRect();
    return s.visibility !== "hidden" && s.display !== "none" && r.width > 0 && r.height > 0;
  }
  function textual(e) {
    var t = (e.getAttribute("type") || "text").toLowerCase();
    return e.tagName === "INPUT" && ["text", "email", "tel", ""].indexOf(t) >= 0;
  }
  function users(box) {
    return Array.prototype.filter.call(box.querySelectorAll("input"), function (e) { return textual(e) && visible(e); });
  }
  var joining = /(sign ?up|register|create (an |your )?account|join now|get started|reset|forgot|new password)/i;
  var signing = /(sign ?in|log ?in|login|log on|anmelden|connexion|iniciar)/i;
  var passwords = Array.prototype.filter.call(document.querySelectorAll("input[type=password]"), visible);
  for (var i = 0; i < passwords.length; i++) {
    var pw = passwords[i];
    if ((pw.getAttribute("autocomplete") || "").toLowerCase() === "new-password") { continue; }
    var box = pw.form || pw.parentElement, depth = 0;
    while (box && !pw.form && users(box).length === 0 && depth < 6 && box !== document.body) { box = box.parentElement; depth += 1; }
    if (!box) { continue; }
    var found = users(box);
    var others = Array.prototype.filter.call(box.querySelectorAll("input[type=password]"), visible);
    if (found.length === 0 || found.length > 2 || others.length !== 1) { continue; }
    var buttons = Array.prototype.filter.call(box.querySelectorAll("button, input[type=submit], [role=button]"), visible);
    var words = (box.innerText || "") + " " + buttons.map(function (b) { return b.value || ""; }).join(" ");
    if (joining.test(words) && !signing.test(words)) { continue; }
    var user = null;
    found.forEach(function (u) {
      if (u.compareDocumentPosition(pw) & Node.DOCUMENT_POSITION_FOLLOWING) { user = u; }
    });
    user = user || found[0];
    // The control labelled as signing in, else the form's declared submit button,
    // else one labelled as going on; never a provider's, a toggle or a way out.
    var submit = null, rank = 0;
    buttons.forEach(function (b) {
      var label = (b.innerText || b.value || b.getAttribute("aria-label") || b.getAttribute("title") || "");
      if (/(google|github|microsoft|apple|facebook|sso|saml|oauth|forgot|sign ?up|register|show|hide|cancel|back)/i.test(label)) { return; }
      var declared = (b.getAttribute("type") || "").toLowerCase() === "submit";
      var r = signing.test(label) ? 3 : (pw.form && declared) ? 2 : /(continue|submit|next|enter)\b/i.test(label) ? 1 : 0;
      if (r > rank) { submit = b; rank = r; }
    });
    user.setAttribute(mark, "user");
    pw.setAttribute(mark, "password");
    if (submit) { submit.setAttribute(mark, "submit"); }
    return { found: true, submit: !!submit, form: !!pw.form };
  }
  return { found: false, submit: false, form: false };
})()"#;

/// Focuses the marked field (`user` or `password`) and selects what it holds, so the
/// typed text replaces it. Says whether it is focused.
pub fn focus_script(field: &str) -> String {
    format!(
        r#"(function () {{
  var e = document.querySelector('[data-prodready-signin="{field}"]');
  if (!e) {{ return false; }}
  e.focus();
  try {{ e.select(); }} catch (err) {{}}
  return document.activeElement === e;
}})()"#
    )
}

/// The marked field's length after typing, with `change` fired as leaving the field
/// does (frameworks' lazy bindings listen to it); -1 when the field is gone.
pub fn typed_script(field: &str) -> String {
    format!(
        r#"(function () {{
  var e = document.querySelector('[data-prodready-signin="{field}"]');
  if (!e) {{ return -1; }}
  e.dispatchEvent(new Event("change", {{ bubbles: true }}));
  return e.value.length;
}})()"#
    )
}

/// Sets the marked field's value the way frameworks notice (the native setter, then
/// `input` and `change`), for fields that did not take typed text.
pub fn set_value_script(field: &str, value: &str) -> String {
    let value = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into());
    format!(
        r#"(function () {{
  var e = document.querySelector('[data-prodready-signin="{field}"]');
  if (!e) {{ return -1; }}
  var setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
  setter.call(e, {value});
  e.dispatchEvent(new Event("input", {{ bubbles: true }}));
  e.dispatchEvent(new Event("change", {{ bubbles: true }}));
  return e.value.length;
}})()"#
    )
}

/// Submits the marked form: clicks its submit control, else asks its `<form>` to
/// submit. Says `false` when neither exists (the caller presses Enter instead).
pub const SUBMIT_SCRIPT: &str = r#"(function () {
  var b = document.querySelector('[data-prodready-signin="submit"]');
  if (b) { b.click(); return true; }
  var pw = document.querySelector('[data-prodready-signin="password"]');
  if (pw && pw.form) {
    if (typeof pw.form.requestSubmit === "function") { pw.form.requestSubmit(); } else { pw.form.submit(); }
    return true;
  }
  return false;
})()"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const PW: &str = "s3cret pass&word\"é";

    fn rule(submitting: bool, signed_in: bool) -> SignInRule<'static> {
        static PATHS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        SignInRule {
            password: PW,
            login_paths: PATHS.get_or_init(|| vec!["/api/auth/login".to_string()]),
            submitting,
            signed_in,
        }
    }

    #[test]
    fn the_password_is_found_however_the_page_encodes_it() {
        let json = serde_json::json!({"email": "a@x.test", "password": PW}).to_string();
        assert!(carries_password(json.as_bytes(), PW));
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("email", "a@x.test")
            .append_pair("password", PW)
            .finish();
        assert!(carries_password(form.as_bytes(), PW));
        let uri = format!(
            "password={}",
            form.split("password=").nth(1).unwrap().replace('+', "%20")
        );
        assert!(carries_password(uri.as_bytes(), PW));
        assert!(carries_password(PW.as_bytes(), PW));
        assert!(!carries_password(br#"{"password":"other"}"#, PW));
        assert!(!carries_password(b"anything", ""));
    }

    #[test]
    fn only_the_post_carrying_the_password_while_submitting_is_the_sign_in() {
        let sign_in = u("http://127.0.0.1:1/api/desk/auth/sign-in");
        let body = serde_json::json!({"email": "a@x.test", "password": PW}).to_string();
        let body = Some(body.as_bytes());
        assert_eq!(
            step("POST", &sign_in, body, &rule(true, false)),
            Some(SignInStep::Credentials)
        );
        // The same request outside the scanner's submission is a write.
        assert_eq!(step("POST", &sign_in, body, &rule(false, false)), None);
        assert_eq!(step("POST", &sign_in, body, &rule(false, true)), None);
        // Not a POST, or another body while submitting: not the sign-in.
        assert_eq!(step("PUT", &sign_in, body, &rule(true, false)), None);
        let other = Some(&br#"{"title":"note"}"#[..]);
        let notes = u("http://127.0.0.1:1/api/notes");
        assert_eq!(step("POST", &notes, other, &rule(true, false)), None);
        // The configured login URL is the sign-in while submitting, whatever its body.
        let login = u("http://127.0.0.1:1/api/auth/login");
        assert_eq!(
            step("POST", &login, other, &rule(true, false)),
            Some(SignInStep::Credentials)
        );
        assert_eq!(step("POST", &login, other, &rule(false, false)), None);
    }

    #[test]
    fn only_a_small_renewal_of_an_accepted_sign_in_is_forwarded() {
        let refresh = u("http://127.0.0.1:1/auth/refresh");
        for body in [None, Some(&b""[..]), Some(&br#"{"mode":"session"}"#[..])] {
            assert_eq!(
                step("POST", &refresh, body, &rule(false, true)),
                Some(SignInStep::Renewal),
                "{body:?}"
            );
            // Before the app accepted a sign-in of this browser it is held.
            assert_eq!(step("POST", &refresh, body, &rule(false, false)), None);
        }
        let token = u("http://127.0.0.1:1/auth/v1/token?grant_type=refresh_token");
        let body = Some(&br#"{"refresh_token":"abc"}"#[..]);
        assert_eq!(
            step("POST", &token, body, &rule(false, true)),
            Some(SignInStep::Renewal)
        );
        let oauth = u("http://127.0.0.1:1/oauth/token");
        let form = Some(&b"grant_type=refresh_token&refresh_token=abc"[..]);
        assert_eq!(
            step("POST", &oauth, form, &rule(false, true)),
            Some(SignInStep::Renewal)
        );
        // Writes stay writes: another path, a record-like body, a token created.
        let tokens = u("http://127.0.0.1:1/api/tokens");
        let named = Some(&br#"{"name":"ci"}"#[..]);
        assert_eq!(step("POST", &tokens, named, &rule(false, true)), None);
        // Renewing or refreshing something else is a write a click may trigger.
        for other in ["/api/subscriptions/renew", "/reports/refresh"] {
            let url = u(&format!("http://127.0.0.1:1{other}"));
            assert_eq!(
                step("POST", &url, None, &rule(false, true)),
                None,
                "{other}"
            );
        }
        let nested = Some(&br#"{"refresh":{"items":[1,2]}}"#[..]);
        assert_eq!(step("POST", &refresh, nested, &rule(false, true)), None);
        let wide = Some(&br#"{"a":1,"b":2,"c":3,"d":4,"e":5}"#[..]);
        assert_eq!(step("POST", &refresh, wide, &rule(false, true)), None);
        assert_eq!(step("DELETE", &refresh, None, &rule(false, true)), None);
        // A renewal never carries the password.
        let with_pw = serde_json::json!({ "password": PW }).to_string();
        assert_eq!(
            step(
                "POST",
                &refresh,
                Some(with_pw.as_bytes()),
                &rule(false, true)
            ),
            None
        );
    }

    fn identity(login: Login) -> IdentityConfig {
        IdentityConfig {
            id: crate::model::IdentityId::A,
            tenant: None,
            role: None,
            login,
            check: None,
            logout: None,
            csrf: None,
        }
    }

    #[test]
    fn only_identities_with_a_password_sign_in() {
        use crate::config::{Secret, TokenPlacement};
        let json = identity(Login::Json {
            url: u("http://127.0.0.1:1/api/auth/login"),
            username: "a@x.test".into(),
            password: Secret::new("pw"),
            username_field: "email".into(),
            password_field: "password".into(),
            extra: Default::default(),
            token_pointer: None,
            send: TokenPlacement::Bearer,
        });
        let c = credentials(&json).expect("json login signs in");
        assert_eq!(c.username, "a@x.test");
        assert_eq!(c.login_paths, ["/api/auth/login"]);
        assert!(!format!("{c:?}").contains("pw\""), "{c:?}");
        let token = identity(Login::Token {
            token: Secret::new("tok"),
            send: TokenPlacement::Bearer,
        });
        assert!(credentials(&token).is_none());
        let cookie = identity(Login::Cookie {
            name: "sid".into(),
            value: Secret::new("v"),
        });
        assert!(credentials(&cookie).is_none());
        let basic = identity(Login::Basic {
            method: "GET".into(),
            url: u("http://127.0.0.1:1/"),
            username: "u".into(),
            password: Secret::new("pw"),
        });
        assert!(credentials(&basic).is_none());
    }
}
