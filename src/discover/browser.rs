//! Discovery through a real browser: a headless Chromium, driven over the DevTools
//! protocol, loads the app as each identity so the API its script calls (single-page
//! apps build their routes and requests at run time) lands in the inventory.
//!
//! The browser never reaches the network itself. Every request it makes is paused
//! (Fetch domain) and either forwarded through the scanner's own HTTP layer as the
//! identity (scope guard, rate budget, body cap, request count) and fulfilled with the
//! answer, or failed: off-scope, unsafe (logout, delete) and writes are never sent.
//! A proxy that does not exist catches anything that would slip past the pause.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use url::Url;

use crate::auth::Identities;
use crate::config::ScanConfig;
use crate::model::{EndpointKey, IdentityId};

/// What the browser saw one identity's page ask for.
#[derive(Debug, Clone)]
pub struct Seen {
    pub identity: IdentityId,
    pub method: String,
    pub url: Url,
    /// `xhr`, `fetch`, `eventsource`, `websocket`, `document`.
    pub kind: &'static str,
    /// The request body the page sent, when small (its shape becomes the example).
    pub body: Option<Bytes>,
    /// Names of the request headers the app set itself that matter to replays
    /// (`authorization`, `x-csrf-token`...), never their values.
    pub headers: Vec<String>,
    /// The answer, when the request was forwarded (a held-back write has none).
    pub response: Option<crate::http::Response>,
}

pub use crate::model::BrowserSummary;

/// A script a page loaded (the bundle, a lazy chunk, a dynamic import), as the HTTP
/// layer read it for the browser (up to `limits.script_cap_kib`).
#[derive(Debug, Clone)]
pub struct LoadedScript {
    /// The first identity whose page loaded it.
    pub identity: IdentityId,
    pub url: Url,
    pub body: Bytes,
    /// Digest of the body, which tells one script served under two URLs.
    pub digest: u64,
}

/// What [`explore`] hands back to discovery.
#[derive(Debug, Default)]
pub struct Outcome {
    pub summary: BrowserSummary,
    pub seen: Vec<Seen>,
    /// Pages (documents and client-side routes) each identity's browser showed.
    pub pages: BTreeMap<IdentityId, BTreeSet<Url>>,
    /// Page URLs (without fragment) the app answered with an HTML document, per
    /// identity: the pages among [`Outcome::pages`] a plain GET fetches too.
    pub documents: BTreeMap<IdentityId, BTreeSet<Url>>,
    /// In-scope scripts the pages loaded, one per URL and per content (bounded).
    pub scripts: Vec<LoadedScript>,
    /// Scripts left out at the bounds (`limits.max_scripts`, bytes kept).
    pub scripts_dropped: usize,
    /// Off-scope origins the page tried to reach (redacted, a few).
    pub off_scope: BTreeSet<String>,
}

/// The pages the browser showed that the app serves as documents: per identity, each
/// page without its fragment (a `#/route` is the same document to the server), kept
/// when that identity's browser got it as an HTML document, once across identities.
pub fn served_pages(
    pages: &BTreeMap<IdentityId, BTreeSet<Url>>,
    documents: &BTreeMap<IdentityId, BTreeSet<Url>>,
) -> BTreeSet<Url> {
    let mut out = BTreeSet::new();
    for (id, shown) in pages {
        let Some(served) = documents.get(id) else {
            continue;
        };
        for page in shown {
            let mut u = page.clone();
            u.set_fragment(None);
            if served.contains(&u) {
                out.insert(u);
            }
        }
    }
    out
}

/// Executable names searched on PATH, in order.
pub const EXECUTABLES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The Chromium to run: the configured path, or the first of [`EXECUTABLES`] on
/// `path_var` (the `PATH` value). The error says what was looked for and the fix.
pub fn find_chromium(configured: Option<&Path>, path_var: Option<&str>) -> Result<PathBuf, String> {
    if let Some(p) = configured {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(format!(
                "discovery.browser_path {} is not a file; point it at the Chromium executable",
                p.display()
            ))
        };
    }
    let dirs: Vec<PathBuf> = path_var
        .map(|v| std::env::split_paths(v).collect())
        .unwrap_or_default();
    for name in EXECUTABLES {
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "no Chromium found on PATH (looked for {}); install it (Debian: apt-get install chromium) or set discovery.browser_path",
        EXECUTABLES.join(", ")
    ))
}

pub mod sign_in;

/// What happens to one request the page makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Sent through the HTTP layer as the identity, and the answer handed back.
    Forward,
    /// Part of signing in through the app's own form ([`sign_in::step`]): sent through
    /// the HTTP layer in the browser's own session, the answer handed back.
    SignIn(sign_in::SignInStep),
    /// Another origin, or not http(s): refused and counted.
    OffScope,
    /// A route that could end the session or destroy something (logout, delete).
    Unsafe,
    /// A write: recorded in the inventory, never sent.
    Hold,
}

/// Whether a body is a GraphQL read (`{"query": "query ..."}` or `{ ... }`), which is
/// POSTed but changes nothing.
pub fn is_graphql_read(body: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let read = |op: &serde_json::Value| {
        op.get("query")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|q| {
                let q = q.trim_start();
                q.starts_with('{') || q.starts_with("query")
            })
    };
    match &v {
        serde_json::Value::Array(ops) => !ops.is_empty() && ops.iter().all(read),
        op => read(op),
    }
}

/// Decides what to do with a request: `in_scope` is the scope guard's verdict,
/// `logout` the identity's configured logout path, `sign_in` where the identity's
/// sign-in through the app's form stands (`None`: it does not sign in). Scope and
/// logout come first: no sign-in lets an off-scope or logout request through.
pub fn decide(
    method: &str,
    url: &Url,
    in_scope: bool,
    logout: Option<&str>,
    body: Option<&[u8]>,
    sign_in: Option<&sign_in::SignInRule>,
) -> Decision {
    if !matches!(url.scheme(), "http" | "https") || !in_scope {
        return Decision::OffScope;
    }
    if super::is_unsafe_path(url.path()) || logout.is_some_and(|l| l == url.path()) {
        return Decision::Unsafe;
    }
    let safe = matches!(method, "GET" | "HEAD" | "OPTIONS");
    let graphql_read = method == "POST" && body.is_some_and(is_graphql_read);
    if safe || graphql_read {
        return Decision::Forward;
    }
    match sign_in.and_then(|rule| sign_in::step(method, url, body, rule)) {
        Some(step) => Decision::SignIn(step),
        None => Decision::Hold,
    }
}

/// Header names worth recording on an endpoint: what the app adds to its API calls.
pub fn header_matters(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization"
        || n == "content-type"
        || n.starts_with("x-")
        || n.contains("csrf")
        || n.contains("xsrf")
        || n.contains("api-key")
        || n.contains("apikey")
}

/// The script every document of the identity's context runs first: hands a token
/// session's token to the app where SPAs keep it (`localStorage`, only in the scan's
/// own origins), notes client-side route changes, records WebSocket URLs instead of
/// connecting (a socket cannot pass through the HTTP layer), and answers dialogs and
/// pop-ups so no page blocks.
pub fn init_script(origins: &[String], token: Option<&str>, keys: &[String]) -> String {
    let origins = serde_json::to_string(origins).unwrap_or_else(|_| "[]".into());
    let token = serde_json::to_string(&token).unwrap_or_else(|_| "null".into());
    let keys = serde_json::to_string(keys).unwrap_or_else(|_| "[]".into());
    format!(
        r#"(function () {{
  var origins = {origins}, token = {token}, keys = {keys};
  if (token && origins.indexOf(location.origin) >= 0) {{
    keys.forEach(function (k) {{
      try {{ if (localStorage.getItem(k) === null) {{ localStorage.setItem(k, token); }} }} catch (e) {{}}
    }});
  }}
  var seen = {{ routes: [], sockets: [] }};
  Object.defineProperty(window, "__prodready", {{ value: seen, enumerable: false }});
  function note(list, u) {{
    try {{ if (u != null && list.length < 500) {{ list.push(String(new URL(String(u), location.href))); }} }} catch (e) {{}}
  }}
  ["pushState", "replaceState"].forEach(function (name) {{
    var original = history[name];
    history[name] = function (state, title, u) {{ note(seen.routes, u); return original.apply(this, arguments); }};
  }});
  function Socket(u) {{
    note(seen.sockets, u);
    var self = this;
    self.url = String(u); self.readyState = 3; self.protocol = ""; self.extensions = ""; self.bufferedAmount = 0;
    self.send = function () {{}}; self.close = function () {{}};
    self.addEventListener = function () {{}}; self.removeEventListener = function () {{}};
    setTimeout(function () {{
      if (typeof self.onerror === "function") {{ self.onerror(new Event("error")); }}
      if (typeof self.onclose === "function") {{ self.onclose(new Event("close")); }}
    }}, 0);
  }}
  Socket.CONNECTING = 0; Socket.OPEN = 1; Socket.CLOSING = 2; Socket.CLOSED = 3;
  window.WebSocket = Socket;
  window.alert = function () {{}};
  window.confirm = function () {{ return false; }};
  window.prompt = function () {{ return null; }};
  window.print = function () {{}};
  window.open = function () {{ return null; }};
}})();"#
    )
}

/// Lists what the page offers to follow: in-page links (their URLs) and the number of
/// elements that may navigate when clicked. Clickables are marked with an index
/// attribute; those that look destructive, submit a form or download are skipped.
pub const SURVEY_SCRIPT: &str = r#"(function () {
  var risky = /(delete|remove|destroy|erase|wipe|purge|\bpay\b|pay now|payment|purchase|\bbuy\b|checkout|log ?out|sign ?out|log ?off|unsubscribe|cancel|revoke|reset|transfer|submit|confirm|approve|deactivate|terminate|close account|upload)/i;
  var links = [];
  document.querySelectorAll("a[href], area[href], [data-href], [routerlink], [ng-reflect-router-link]").forEach(function (a) {
    var h = a.getAttribute("href") || a.getAttribute("data-href") || a.getAttribute("routerlink") || a.getAttribute("ng-reflect-router-link");
    if (!h || /^(javascript:|mailto:|tel:|#)/i.test(h) || a.hasAttribute("download")) { return; }
    try { links.push(String(new URL(h, location.href))); } catch (e) {}
  });
  var n = 0, labels = [];
  document.querySelectorAll("[data-prodready-click]").forEach(function (e) { e.removeAttribute("data-prodready-click"); });
  document.querySelectorAll("button, [role=button], [role=link], [role=menuitem], [role=tab], [onclick], a[href='#'], a[href^='javascript:'], a:not([href])").forEach(function (e) {
    if (n >= 40) { return; }
    var label = [e.textContent, e.getAttribute("aria-label"), e.getAttribute("title"), e.id, e.className, e.getAttribute("name"), e.getAttribute("value")].join(" ");
    var submits = e.closest("form") || (e.tagName === "BUTTON" && (e.getAttribute("type") || "").toLowerCase() === "submit" && e.form);
    if (submits || e.disabled || risky.test(label) || e.offsetParent === null) { return; }
    e.setAttribute("data-prodready-click", String(n));
    labels.push((e.tagName + " " + (e.textContent || e.getAttribute("aria-label") || e.getAttribute("title") || "")).replace(/\s+/g, " ").trim().slice(0, 80));
    n += 1;
  });
  return { links: links.slice(0, 500), clickables: n, labels: labels, href: location.href };
})()"#;

/// Clicks the marked element `index`; says whether it was still there.
pub fn click_script(index: usize) -> String {
    format!(
        r#"(function () {{
  var e = document.querySelector('[data-prodready-click="{index}"]');
  if (!e) {{ return false; }}
  window.__prodreadyDocument = window.__prodreadyDocument || String(Math.random());
  e.click();
  return true;
}})()"#
    )
}

/// Where an identity's browser starts, and URLs it need not load.
pub type Starts = (Vec<Url>, Vec<String>);

/// An identity's browser starts at the configured start pages (the app's own links,
/// clicks and router take it from there) and skips what the crawl read as another
/// kind of document (JSON, files): there is no script to run there.
fn starts_for(inventory: &super::Inventory, config: &ScanConfig, id: IdentityId) -> Starts {
    let mut skip = Vec::new();
    for ep in inventory.endpoints() {
        for o in &ep.observations {
            let page = o.content_type.as_deref().is_none_or(|t| t.contains("html"));
            if o.identity == id && !page && skip.len() < 2000 {
                skip.push(o.url.clone());
            }
        }
    }
    (config.start.clone(), skip)
}

impl super::Crawl<'_> {
    /// `discovery.browser`: drives Chromium as every identity and adds what the pages
    /// called to the inventory, marked [`Origin::Browser`](super::Origin::Browser).
    pub(super) async fn browse(&mut self, identities: &Identities) {
        if !self.config.browser.enabled {
            return;
        }
        let starts: BTreeMap<IdentityId, Starts> = identities
            .all()
            .iter()
            .map(|i| (i.id, starts_for(&self.inventory, self.config, i.id)))
            .collect();
        let outcome = explore(self.http, identities, self.config, &starts).await;
        let mut calls: BTreeMap<IdentityId, BTreeSet<EndpointKey>> = BTreeMap::new();
        for seen in outcome.seen {
            let Some(identity) = identities.get(seen.identity).cloned() else {
                continue;
            };
            if seen.kind == "websocket" {
                let sockets = self.inventory.browser.websockets.entry(seen.identity);
                sockets.or_default().insert(seen.url.to_string());
                calls
                    .entry(seen.identity)
                    .or_default()
                    .insert(EndpointKey::new(
                        "GET",
                        crate::model::path_pattern(seen.url.path()),
                    ));
                continue;
            }
            let key = match &seen.response {
                Some(resp) => {
                    self.record(
                        &identity,
                        &seen.method,
                        &seen.url,
                        super::Origin::Browser,
                        resp,
                    );
                    EndpointKey::new(&seen.method, crate::model::path_pattern(seen.url.path()))
                }
                None => self
                    .inventory
                    .add(&seen.method, &seen.url, super::Origin::Browser),
            };
            let body = seen
                .body
                .as_deref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
            if let Some(ep) = self.inventory.endpoints.get_mut(&key)
                && ep.body_example.is_none()
            {
                ep.body_example = body;
            }
            if !seen.headers.is_empty() {
                let names = self.inventory.browser.headers.entry(key.clone());
                names.or_default().extend(seen.headers);
            }
            calls.entry(seen.identity).or_default().insert(key);
        }
        // The pages the browser reached are pages of the app for the families that
        // work on pages (headers, cookies), as the crawl's are.
        for page in served_pages(&outcome.pages, &outcome.documents) {
            if self.http.scope().contains(&page) && !super::is_unsafe_path(page.path()) {
                self.inventory.pages.insert(page.to_string());
            }
        }
        for (id, pages) in outcome.pages {
            self.inventory
                .browser
                .pages
                .insert(id, pages.iter().take(500).map(Url::to_string).collect());
        }
        self.read_loaded_scripts(identities, outcome.scripts, outcome.scripts_dropped)
            .await;
        let mut summary = outcome.summary;
        summary.api_calls = calls
            .into_iter()
            .map(|(id, keys)| (id, keys.len() as u64))
            .collect();
        if !outcome.off_scope.is_empty() {
            let names: Vec<String> = outcome.off_scope.into_iter().collect();
            self.inventory.truncated.push(format!(
                "browser: requests to other origins refused, not sent: {}",
                names.join(", ")
            ));
        }
        match (summary.status.as_str(), &summary.reason) {
            ("ran", Some(why)) => self.inventory.truncated.push(format!("browser: {why}")),
            ("ran", None) => {}
            (_, why) => self.inventory.truncated.push(format!(
                "browser discovery was off: {}",
                why.as_deref().unwrap_or("no reason given")
            )),
        }
        if summary.held_writes > 0 {
            self.inventory.truncated.push(format!(
                "browser: {} write(s) the pages made were recorded, not sent",
                summary.held_writes
            ));
        }
        self.inventory.browser.summary = Some(summary);
    }

    /// The scripts the pages loaded that the crawl did not read (chunks a route or a
    /// click loads, dynamic imports) are read like the crawl's: their endpoints, routes
    /// and names into the inventory, their URLs into `inventory.scripts` for the bundle
    /// scan (source maps, backups). Their bodies already passed the passive `secrets.*`
    /// signatures in the HTTP layer when the browser's request was forwarded.
    async fn read_loaded_scripts(
        &mut self,
        identities: &Identities,
        scripts: Vec<LoadedScript>,
        dropped: usize,
    ) {
        let mut chunks: BTreeMap<IdentityId, Vec<Url>> = BTreeMap::new();
        let mut skipped = dropped;
        for script in scripts {
            if self.scripts_seen.contains(&script.url)
                || self.script_digests.contains(&script.digest)
                || !self.http.scope().contains(&script.url)
            {
                continue;
            }
            if self.scripts_seen.len() >= self.config.limits.max_scripts {
                skipped += 1;
                continue;
            }
            self.scripts_seen.insert(script.url.clone());
            self.script_digests.insert(script.digest);
            self.inventory.scripts.insert(script.url.to_string());
            let text = String::from_utf8_lossy(&script.body);
            let found = self.add_script_facts(&script.url, &text);
            chunks.entry(script.identity).or_default().extend(found);
        }
        if skipped > 0 {
            self.inventory.truncated.push(format!(
                "browser: {skipped} script(s) the pages loaded were not read (limits.max_scripts = {})",
                self.config.limits.max_scripts
            ));
        }
        // Chunks those scripts name but no page loaded are fetched as the crawl does.
        for (id, urls) in chunks {
            if let Some(identity) = identities.get(id).cloned() {
                self.read_scripts(&identity, urls).await;
            }
        }
    }
}

#[cfg(feature = "browser")]
mod driver;
#[cfg(feature = "browser")]
pub use driver::explore;

/// Without the `browser` feature the phase reports why it did not run.
#[cfg(not(feature = "browser"))]
pub async fn explore(
    _http: &crate::http::HttpLayer,
    _identities: &Identities,
    _config: &ScanConfig,
    _starts: &BTreeMap<IdentityId, Starts>,
) -> Outcome {
    Outcome {
        summary: BrowserSummary::off(
            "this build has no browser support (built without the `browser` cargo feature)",
        ),
        ..Outcome::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_safe_in_scope_requests_are_forwarded() {
        let api = u("http://127.0.0.1:1/api/items");
        assert_eq!(
            decide("GET", &api, true, None, None, None),
            Decision::Forward
        );
        assert_eq!(
            decide("GET", &api, false, None, None, None),
            Decision::OffScope
        );
        assert_eq!(
            decide("GET", &u("ws://127.0.0.1:1/x"), true, None, None, None),
            Decision::OffScope
        );
        assert_eq!(
            decide("POST", &api, true, None, Some(b"{}"), None),
            Decision::Hold
        );
        assert_eq!(
            decide("DELETE", &api, true, None, None, None),
            Decision::Hold
        );
        let logout = u("http://127.0.0.1:1/api/session/end");
        assert_eq!(
            decide("GET", &logout, true, Some("/api/session/end"), None, None),
            Decision::Unsafe
        );
        assert_eq!(
            decide(
                "GET",
                &u("http://127.0.0.1:1/logout"),
                true,
                None,
                None,
                None
            ),
            Decision::Unsafe
        );
        let gql = u("http://127.0.0.1:1/graphql");
        let read = br#"{"query":"query Me { me { id } }"}"#;
        let write = br#"{"query":"mutation { deleteAll }"}"#;
        assert_eq!(
            decide("POST", &gql, true, None, Some(read), None),
            Decision::Forward
        );
        assert_eq!(
            decide("POST", &gql, true, None, Some(write), None),
            Decision::Hold
        );
    }

    #[test]
    fn signing_in_lets_through_only_its_own_posts_and_never_past_scope_or_logout() {
        let paths = vec!["/api/auth/login".to_string()];
        let rule = |submitting, signed_in| sign_in::SignInRule {
            password: "pw-123456",
            login_paths: &paths,
            submitting,
            signed_in,
        };
        let login = u("http://127.0.0.1:1/api/session");
        let creds = br#"{"email":"a@x.test","password":"pw-123456"}"#;
        let submitting = rule(true, false);
        assert_eq!(
            decide("POST", &login, true, None, Some(creds), Some(&submitting)),
            Decision::SignIn(sign_in::SignInStep::Credentials)
        );
        // Without the sign-in (switched off, or no password) it is a held write.
        assert_eq!(
            decide("POST", &login, true, None, Some(creds), None),
            Decision::Hold
        );
        // Scope and logout rules come first.
        assert_eq!(
            decide("POST", &login, false, None, Some(creds), Some(&submitting)),
            Decision::OffScope
        );
        assert_eq!(
            decide(
                "POST",
                &login,
                true,
                Some("/api/session"),
                Some(creds),
                Some(&submitting)
            ),
            Decision::Unsafe
        );
        // Other writes while signing in or signed in stay held.
        let star = u("http://127.0.0.1:1/api/projects/1/star");
        for r in [rule(true, false), rule(false, true)] {
            assert_eq!(
                decide("POST", &star, true, None, Some(b"{}"), Some(&r)),
                Decision::Hold
            );
            assert_eq!(
                decide("PATCH", &star, true, None, Some(b"{}"), Some(&r)),
                Decision::Hold
            );
        }
        let refresh = u("http://127.0.0.1:1/auth/refresh");
        assert_eq!(
            decide("POST", &refresh, true, None, None, Some(&rule(false, true))),
            Decision::SignIn(sign_in::SignInStep::Renewal)
        );
        assert_eq!(
            decide(
                "POST",
                &refresh,
                true,
                None,
                None,
                Some(&rule(false, false))
            ),
            Decision::Hold
        );
    }

    #[test]
    fn pages_served_as_documents_are_kept_once_without_fragments() {
        let shell = u("http://127.0.0.1:1/work/projects");
        let routed = u("http://127.0.0.1:1/#/settings");
        let never_served = u("http://127.0.0.1:1/work/members");
        let pages = BTreeMap::from([
            (
                IdentityId::A,
                BTreeSet::from([shell.clone(), routed, never_served.clone()]),
            ),
            (IdentityId::B, BTreeSet::from([shell.clone()])),
            // Shown to the member, but only the admin's browser got it as a document.
            (IdentityId::Member, BTreeSet::from([never_served.clone()])),
        ]);
        let documents = BTreeMap::from([
            (
                IdentityId::A,
                BTreeSet::from([shell.clone(), u("http://127.0.0.1:1/")]),
            ),
            (IdentityId::B, BTreeSet::from([shell.clone()])),
            (IdentityId::Admin, BTreeSet::from([never_served])),
        ]);
        let served: Vec<String> = served_pages(&pages, &documents)
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            served,
            ["http://127.0.0.1:1/", "http://127.0.0.1:1/work/projects"]
        );
    }

    #[test]
    fn chromium_is_found_on_path_or_named_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("chromium-browser");
        std::fs::write(&exe, "").unwrap();
        let path = std::env::join_paths([dir.path()]).unwrap();
        let found = find_chromium(None, path.to_str()).unwrap();
        assert_eq!(found, exe);
        let err = find_chromium(None, Some("/nonexistent")).unwrap_err();
        assert!(err.contains("apt-get install chromium"), "{err}");
        assert!(err.contains("discovery.browser_path"), "{err}");
        let err = find_chromium(Some(Path::new("/nonexistent/chrome")), None).unwrap_err();
        assert!(err.contains("discovery.browser_path"), "{err}");
    }

    #[test]
    fn the_init_script_hands_the_token_only_to_the_scans_origins() {
        let s = init_script(
            &["http://127.0.0.1:1".into()],
            Some("tok\"en"),
            &["token".into()],
        );
        assert!(s.contains(r#"origins = ["http://127.0.0.1:1"]"#));
        assert!(s.contains(r#"token = "tok\"en""#), "quoted as JSON");
        assert!(s.contains("origins.indexOf(location.origin) >= 0"));
        let none = init_script(&[], None, &[]);
        assert!(none.contains("token = null"));
    }

    #[test]
    fn only_headers_a_replay_needs_are_noted() {
        assert!(header_matters("Authorization"));
        assert!(header_matters("X-CSRF-Token"));
        assert!(header_matters("x-api-key"));
        assert!(!header_matters("accept-language"));
        assert!(!header_matters("sec-ch-ua"));
    }
}
