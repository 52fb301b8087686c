//! The Chromium side of browser discovery (feature `browser`): one browser per scan,
//! one fresh context per identity, every request paused and decided in
//! [`super::decide`].

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::browser::{
    SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
};
use chromiumoxide::cdp::browser_protocol::fetch::{
    EventRequestPaused, FailRequestParams, FulfillRequestParams, HeaderEntry,
};
use chromiumoxide::cdp::browser_protocol::network::{
    CookieParam, ErrorReason, ResourceType, SetCookiesParams,
};
use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::page::Page;
use futures_util::StreamExt;
use tokio::time::Instant;
use url::Url;

use super::sign_in::SignInStep;
use super::{
    BrowserSummary, Decision, LoadedScript, Outcome, SURVEY_SCRIPT, Seen, click_script, decide,
    find_chromium, header_matters, init_script,
};
use crate::auth::{Identities, Identity};
use crate::config::ScanConfig;
use crate::http::{HttpLayer, Request, labelled};
use crate::model::IdentityId;

mod sign_in;
use sign_in::SignIn;

/// Requests the browser's API calls keep with their answers (the rest are counted).
const MAX_SEEN: usize = 400;
/// Bytes of the scripts the pages loaded kept for discovery, all together (each is
/// read up to `limits.script_cap_kib`); their number is bounded by `limits.max_scripts`.
const KEPT_SCRIPT_BYTES: usize = 32 << 20;
/// Pages answered as HTML documents remembered per identity.
const MAX_DOCUMENTS: usize = 2000;
/// Bytes of a recorded answer kept for discovery (ids, markers); the page gets it all.
const KEPT_BODY: usize = 256 * 1024;
/// Bytes of a request body kept as the endpoint's example.
const KEPT_REQUEST_BODY: usize = 16 * 1024;
/// Elements clicked per page.
const CLICKS_PER_PAGE: usize = 15;
/// How long a page must be quiet (no request pending) to count as settled, and the
/// longest wait for it.
const QUIET: Duration = Duration::from_millis(200);
const SETTLE_MAX: Duration = Duration::from_secs(4);

/// What every identity's forwarding shares: the layer, the counts and what was seen.
struct Shared {
    http: HttpLayer,
    script_cap: usize,
    forwarded: AtomicU64,
    blocked: AtomicU64,
    held: AtomicU64,
    seen: Mutex<Vec<Seen>>,
    off_scope: Mutex<BTreeSet<String>>,
    max_scripts: usize,
    scripts: Mutex<KeptScripts>,
    /// Page URLs (no fragment) the app answered as an HTML document, per identity.
    documents: Mutex<BTreeMap<IdentityId, BTreeSet<Url>>>,
}

/// The scripts the pages loaded, one per URL and per content, within bounds.
#[derive(Default)]
struct KeptScripts {
    list: Vec<LoadedScript>,
    urls: HashSet<Url>,
    digests: HashSet<u64>,
    bytes: usize,
    /// Scripts left out because a bound was reached.
    dropped: usize,
}

/// Drives Chromium as every identity from its start pages and collects what the pages
/// asked for. Never fails: a browser that cannot start or breaks is reported.
pub async fn explore(
    http: &HttpLayer,
    identities: &Identities,
    config: &ScanConfig,
    starts: &BTreeMap<IdentityId, super::Starts>,
) -> Outcome {
    let settings = &config.browser;
    let executable = match find_chromium(
        settings.path.as_deref(),
        std::env::var("PATH").ok().as_deref(),
    ) {
        Ok(p) => p,
        Err(why) => return off(why),
    };
    let profile = match tempfile::Builder::new()
        .prefix("prodready-chromium-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => return off(format!("cannot make a browser profile directory: {e}")),
    };
    let launch = BrowserConfig::builder()
        .chrome_executable(&executable)
        .user_data_dir(profile.path())
        .enable_request_intercept()
        .disable_cache()
        .request_timeout(config.limits.timeout + Duration::from_secs(5))
        .launch_timeout(Duration::from_secs(20))
        .args(hardening_args());
    let launch = if running_as_root() {
        // Chromium refuses to start as root with its sandbox (containers, CI).
        launch.no_sandbox()
    } else {
        launch
    };
    let launch = match launch.build() {
        Ok(c) => c,
        Err(e) => return off(format!("cannot configure Chromium: {e}")),
    };
    let (browser, mut handler) = match Browser::launch(launch).await {
        Ok(b) => b,
        Err(e) => {
            return failed(format!(
                "Chromium ({}) did not start: {e}",
                executable.display()
            ));
        }
    };
    let mut launched = Launched {
        browser,
        profile: Some(profile),
    };
    let browser = &launched.browser;
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });

    let shared = Arc::new(Shared {
        http: http.clone(),
        script_cap: config.limits.script_cap,
        forwarded: AtomicU64::new(0),
        blocked: AtomicU64::new(0),
        held: AtomicU64::new(0),
        seen: Mutex::new(Vec::new()),
        off_scope: Mutex::new(BTreeSet::new()),
        max_scripts: config.limits.max_scripts,
        scripts: Mutex::new(KeptScripts::default()),
        documents: Mutex::new(BTreeMap::new()),
    });
    let mut outcome = Outcome::default();
    let mut problems = Vec::new();
    let mut signed_in = Vec::new();
    let all = identities.all();
    let phase_end = Instant::now() + settings.max_time;
    for (i, identity) in all.iter().enumerate() {
        // Each identity gets an equal share of what time is left.
        let left = phase_end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            problems.push(format!(
                "discovery.browser_max_secs = {} ran out before {}",
                settings.max_time.as_secs(),
                identity.id
            ));
            break;
        }
        let share = left / (all.len() - i) as u32;
        let (start, skip) = starts.get(&identity.id).cloned().unwrap_or_default();
        let visit = AsIdentity {
            browser,
            shared: &shared,
            identity,
            config,
            deadline: Instant::now() + share,
            skip: skip.into_iter().collect(),
            sign_in: Arc::new(SignIn::new(identity, settings.sign_in)),
        };
        match labelled("browser", visit.run(start)).await {
            Ok((pages, stopped)) => {
                outcome.pages.insert(identity.id, pages);
                problems.extend(stopped);
            }
            Err(e) => problems.push(format!("browser as {}: {e}", identity.id)),
        }
        if visit.sign_in.accepted() > 0 {
            signed_in.push(identity.id);
        }
    }
    // Chromium and its profile go now, whatever happened above (`Launched` also
    // sees to it when the scan is dropped half-way: an error, Ctrl-C).
    let browser = &mut launched.browser;
    let _ = tokio::time::timeout(Duration::from_secs(5), browser.close()).await;
    if tokio::time::timeout(Duration::from_secs(5), browser.wait())
        .await
        .is_err()
    {
        let _ = browser.kill().await;
    }
    events.abort();
    drop(launched);

    outcome.summary = BrowserSummary {
        status: "ran".into(),
        reason: (!problems.is_empty()).then(|| problems.join("; ")),
        pages: outcome.pages.values().map(|p| p.len() as u64).sum(),
        forwarded: shared.forwarded.load(Ordering::Relaxed),
        blocked: shared.blocked.load(Ordering::Relaxed),
        held_writes: shared.held.load(Ordering::Relaxed),
        api_calls: BTreeMap::new(),
        signed_in,
    };
    outcome.seen = std::mem::take(&mut *shared.seen.lock().unwrap_or_else(|e| e.into_inner()));
    outcome.off_scope =
        std::mem::take(&mut *shared.off_scope.lock().unwrap_or_else(|e| e.into_inner()));
    outcome.documents =
        std::mem::take(&mut *shared.documents.lock().unwrap_or_else(|e| e.into_inner()));
    let scripts = std::mem::take(&mut *shared.scripts.lock().unwrap_or_else(|e| e.into_inner()));
    outcome.scripts = scripts.list;
    outcome.scripts_dropped = scripts.dropped;
    outcome
}

/// The running Chromium and its profile directory: dropped, it kills the process,
/// waits a moment for it to go and removes the profile.
struct Launched {
    browser: Browser,
    profile: Option<tempfile::TempDir>,
}

impl Drop for Launched {
    fn drop(&mut self) {
        if let Some(child) = self.browser.get_mut_child() {
            let _ = child.inner.start_kill();
            for _ in 0..50 {
                if matches!(child.try_wait(), Ok(Some(_)) | Err(_)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if let Some(profile) = self.profile.take() {
            // Its helper processes may still be writing for a moment after it exits.
            for _ in 0..10 {
                if std::fs::remove_dir_all(profile.path()).is_ok() || !profile.path().exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn off(reason: String) -> Outcome {
    Outcome {
        summary: BrowserSummary::off(reason),
        ..Outcome::default()
    }
}

fn failed(reason: String) -> Outcome {
    Outcome {
        summary: BrowserSummary {
            status: "failed".into(),
            reason: Some(reason),
            ..BrowserSummary::default()
        },
        ..Outcome::default()
    }
}

/// Chromium switches that keep it from reaching the network on its own: a proxy that
/// does not exist (loopback included) behind the Fetch pause, no DNS of its own, no
/// background services, no service workers that would answer from their own cache.
fn hardening_args() -> Vec<String> {
    [
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--dns-prefetch-disable",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-domain-reliability",
        "--disable-features=ServiceWorker,Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--no-pings",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-gpu",
        "--window-size=1280,900",
    ]
    .map(String::from)
    .to_vec()
}

/// Whether this process runs as root: `/proc/self` belongs to the process's user.
fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// One identity's visit.
struct AsIdentity<'a> {
    browser: &'a Browser,
    shared: &'a Arc<Shared>,
    identity: &'a Arc<Identity>,
    config: &'a ScanConfig,
    deadline: Instant,
    /// URLs the crawl already read as something other than a page (JSON, files):
    /// nothing for a browser to run there.
    skip: HashSet<String>,
    /// Signing in through the app's own sign-in form, shared with the forwarding.
    sign_in: Arc<SignIn>,
}

type Visit = (BTreeSet<Url>, Vec<String>);

impl AsIdentity<'_> {
    async fn run(&self, start: Vec<Url>) -> Result<Visit, String> {
        let context = self
            .browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .map_err(|e| format!("cannot make a browser context: {e}"))?;
        let target = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context.clone())
            .build()
            .map_err(|e| e.to_string())?;
        let page = self
            .browser
            .new_page(target)
            .await
            .map_err(|e| format!("cannot open a page: {e}"))?;
        let pending = Arc::new(AtomicUsize::new(0));
        let forwarding = self.forward(&page, &pending).await;
        let result = match forwarding {
            Ok(task) => {
                let r = self.prepare(&page, &context).await;
                let r = match r {
                    Ok(()) => Ok(self.walk(&page, &pending, start).await),
                    Err(e) => Err(e),
                };
                task.abort();
                r
            }
            Err(e) => Err(e),
        };
        let _ = tokio::time::timeout(Duration::from_secs(3), page.close()).await;
        let _ = tokio::time::timeout(
            Duration::from_secs(3),
            self.browser.dispose_browser_context(context),
        )
        .await;
        result
    }

    /// Starts answering the page's paused requests.
    async fn forward(
        &self,
        page: &Page,
        pending: &Arc<AtomicUsize>,
    ) -> Result<tokio::task::JoinHandle<()>, String> {
        let mut paused = page
            .event_listener::<EventRequestPaused>()
            .await
            .map_err(|e| format!("cannot intercept the page's requests: {e}"))?;
        let page = page.clone();
        let shared = Arc::clone(self.shared);
        let identity = Arc::clone(self.identity);
        let logout = identity
            .config
            .as_ref()
            .and_then(|c| c.logout.as_ref())
            .map(|l| l.url.path().to_string());
        let pending = Arc::clone(pending);
        let sign_in = Arc::clone(&self.sign_in);
        Ok(tokio::spawn(async move {
            let mut running = tokio::task::JoinSet::new();
            while let Some(event) = paused.next().await {
                // Answered requests are reaped as they go, so the set stays small.
                while running.try_join_next().is_some() {}
                pending.fetch_add(1, Ordering::SeqCst);
                let job = Job {
                    page: page.clone(),
                    shared: Arc::clone(&shared),
                    identity: Arc::clone(&identity),
                    logout: logout.clone(),
                    sign_in: Arc::clone(&sign_in),
                };
                let pending = Arc::clone(&pending);
                running.spawn(labelled("browser", async move {
                    job.answer(&event).await;
                    pending.fetch_sub(1, Ordering::SeqCst);
                }));
            }
        }))
    }

    /// Downloads off, the init script in, the identity's cookies in the context.
    async fn prepare(
        &self,
        page: &Page,
        context: &chromiumoxide::cdp::browser_protocol::browser::BrowserContextId,
    ) -> Result<(), String> {
        let deny = SetDownloadBehaviorParams::builder()
            .behavior(SetDownloadBehaviorBehavior::Deny)
            .browser_context_id(context.clone())
            .build()
            .map_err(|e| e.to_string())?;
        self.browser
            .execute(deny)
            .await
            .map_err(|e| format!("cannot turn downloads off: {e}"))?;
        let origins = self.shared.http.scope().origins();
        let token = bearer_token(self.identity);
        let script = init_script(&origins, token.as_deref(), &self.config.browser.token_keys);
        page.execute(AddScriptToEvaluateOnNewDocumentParams::new(script))
            .await
            .map_err(|e| format!("cannot install the page script: {e}"))?;
        let cookies: Vec<CookieParam> = self.identity.session.with_jar(|jar| {
            jar.cookies()
                .iter()
                .map(|c| {
                    let url = format!("{}://{}{}", self.config.target.scheme(), c.domain, c.path);
                    let mut p = CookieParam::new(c.name.clone(), c.value.clone());
                    p.url = Some(url);
                    if c.domain_wide {
                        p.domain = Some(format!(".{}", c.domain));
                    }
                    p.path = Some(c.path.clone());
                    p.secure = Some(c.secure);
                    p.http_only = Some(c.http_only);
                    p
                })
                .collect()
        });
        if !cookies.is_empty() {
            page.execute(SetCookiesParams::new(cookies))
                .await
                .map_err(|e| format!("cannot hand the session cookies to the browser: {e}"))?;
        }
        Ok(())
    }

    /// Visits the start pages and whatever their links, clicks and router reveal,
    /// bounded by `discovery.browser_max_pages` and the identity's deadline.
    async fn walk(&self, page: &Page, pending: &AtomicUsize, start: Vec<Url>) -> Visit {
        let scope = self.shared.http.scope();
        let mut queue: VecDeque<Url> = start.into_iter().collect();
        let mut queued: HashSet<String> = queue.iter().map(page_key).collect();
        let mut shown: BTreeSet<Url> = BTreeSet::new();
        let mut stopped = Vec::new();
        let mut visits = 0usize;
        let mut clicked_labels: HashSet<String> = HashSet::new();
        // Links go to the back of the queue; client-side routes (what the app's router
        // showed after a click) to the front: they are what only a browser finds.
        let mut enqueue = |u: Url, queue: &mut VecDeque<Url>, route: bool| {
            if scope.contains(&u)
                && !super::super::is_unsafe_path(u.path())
                && !self.skip.contains(u.as_str())
                && queued.len() < 2000
                && queued.insert(page_key(&u))
            {
                if route {
                    queue.push_front(u);
                } else {
                    queue.push_back(u);
                }
            }
        };
        while let Some(url) = queue.pop_front() {
            if let Some(why) = self.out_of_bounds(visits) {
                stopped.push(why);
                break;
            }
            visits += 1;
            if !self.goto(page, pending, &url).await {
                continue;
            }
            if let Some(failed) = self.sign_in_if_shown(page, pending).await {
                stopped.push(failed);
            }
            let Some(survey) = self.survey(page).await else {
                continue;
            };
            if let Ok(here) = Url::parse(&survey.href)
                && scope.contains(&here)
            {
                shown.insert(here);
            }
            for link in survey.links.iter().filter_map(|l| Url::parse(l).ok()) {
                enqueue(link, &mut queue, false);
            }
            let here = survey.href.clone();
            let mut clickables = survey.clickables.min(CLICKS_PER_PAGE);
            let mut labels = survey.labels;
            let mut index = 0;
            while index < clickables && Instant::now() < self.deadline {
                // A control clicked once (the same navigation on every view) is not
                // clicked again on the next page.
                let label = labels.get(index).cloned().unwrap_or_default();
                let first = label.is_empty() || clicked_labels.insert(label);
                let clicked = first && eval(page, click_script(index)).await.unwrap_or(false);
                index += 1;
                if !clicked {
                    continue;
                }
                self.settle(pending).await;
                for r in self.routes(page).await {
                    if let Ok(u) = Url::parse(&r) {
                        if scope.contains(&u) {
                            shown.insert(u.clone());
                        }
                        enqueue(u, &mut queue, true);
                    }
                }
                let now: Option<String> = eval(page, "location.href".to_string()).await;
                if now.as_deref() != Some(here.as_str()) {
                    if let Some(u) = now.as_deref().and_then(|n| Url::parse(n).ok()) {
                        enqueue(u, &mut queue, true);
                    }
                    // Back to the page the next click belongs to: through history when
                    // the click stayed in the document (a client-side route), else
                    // loaded again.
                    let same_document: bool =
                        eval(page, "!!window.__prodreadyDocument".to_string())
                            .await
                            .unwrap_or(false);
                    if same_document {
                        let _ = eval::<bool>(page, "history.back(), true".to_string()).await;
                        self.settle(pending).await;
                    }
                    let returned: Option<String> = eval(page, "location.href".to_string()).await;
                    if returned.as_deref() != Some(here.as_str()) {
                        let Ok(u) = Url::parse(&here) else { break };
                        if !self.goto(page, pending, &u).await {
                            break;
                        }
                    }
                }
                // The page may have re-rendered: mark its clickables again (same order)
                // and take the links it shows now.
                let Some(again) = self.survey(page).await else {
                    break;
                };
                if again.href != here {
                    break;
                }
                for link in again.links.iter().filter_map(|l| Url::parse(l).ok()) {
                    enqueue(link, &mut queue, false);
                }
                clickables = again.clickables.min(CLICKS_PER_PAGE);
                labels = again.labels;
            }
        }
        let sockets: Vec<String> = eval(page, SOCKETS.to_string()).await.unwrap_or_default();
        self.record_sockets(sockets);
        (shown, stopped)
    }

    /// Why the walk stops before its next page, if it does: the identity's pages or
    /// its share of the time are spent.
    fn out_of_bounds(&self, visits: usize) -> Option<String> {
        let id = self.identity.id;
        let max_pages = self.config.browser.max_pages;
        if visits >= max_pages {
            return Some(format!(
                "browser as {id} stopped at discovery.browser_max_pages = {max_pages}"
            ));
        }
        (Instant::now() >= self.deadline).then(|| {
            format!(
                "browser as {id} ran out of its share of discovery.browser_max_secs = {}",
                self.config.browser.max_time.as_secs()
            )
        })
    }

    /// Loads `url` and waits until its requests are answered (bounded).
    async fn goto(&self, page: &Page, pending: &AtomicUsize, url: &Url) -> bool {
        let limit = self.config.limits.timeout + Duration::from_secs(5);
        let began = Instant::now();
        let loaded = tokio::time::timeout(limit, page.goto(url.as_str())).await;
        let ok = matches!(loaded, Ok(Ok(_)));
        let load_ms = began.elapsed().as_millis() as u64;
        self.settle(pending).await;
        tracing::debug!(
            identity = %self.identity.id,
            url = %self.shared.http.redactor().url(url),
            ok,
            load_ms,
            settled_ms = began.elapsed().as_millis() as u64,
            "browser: page"
        );
        ok
    }

    /// Waits until no request of the page is pending for a moment, at most a few seconds.
    async fn settle(&self, pending: &AtomicUsize) {
        let end = (Instant::now() + SETTLE_MAX).min(self.deadline);
        let mut quiet_since = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = Instant::now();
            if pending.load(Ordering::SeqCst) > 0 {
                quiet_since = now;
            } else if now - quiet_since >= QUIET {
                return;
            }
            if now >= end {
                return;
            }
        }
    }

    async fn survey(&self, page: &Page) -> Option<Survey> {
        eval(page, SURVEY_SCRIPT.to_string()).await
    }

    /// Client-side routes the page pushed since the last look (and forgets them).
    async fn routes(&self, page: &Page) -> Vec<String> {
        eval(page, ROUTES.to_string()).await.unwrap_or_default()
    }

    fn record_sockets(&self, sockets: Vec<String>) {
        let mut seen = self.shared.seen.lock().unwrap_or_else(|e| e.into_inner());
        for s in sockets {
            let Ok(mut u) = Url::parse(&s) else { continue };
            let http = match u.scheme() {
                "ws" => "http",
                "wss" => "https",
                _ => continue,
            };
            if u.set_scheme(http).is_err() || !self.shared.http.scope().contains(&u) {
                continue;
            }
            if seen.len() < MAX_SEEN {
                seen.push(Seen {
                    identity: self.identity.id,
                    method: "GET".into(),
                    url: u,
                    kind: "websocket",
                    body: None,
                    headers: Vec::new(),
                    response: None,
                });
            }
        }
    }
}

const ROUTES: &str = "(function () { var r = window.__prodready ? window.__prodready.routes.splice(0) : []; return r; })()";
const SOCKETS: &str = "(function () { return window.__prodready ? window.__prodready.sockets.slice(0, 100) : []; })()";

#[derive(Debug, serde::Deserialize)]
struct Survey {
    links: Vec<String>,
    clickables: usize,
    /// Tag and text of each marked clickable, in index order.
    labels: Vec<String>,
    href: String,
}

/// Evaluates `script` in the page and reads its value, or `None` if it threw, the page
/// went away or the value has another shape.
async fn eval<T: serde::de::DeserializeOwned>(page: &Page, script: String) -> Option<T> {
    let r = tokio::time::timeout(Duration::from_secs(5), page.evaluate(script))
        .await
        .ok()?
        .ok()?;
    r.into_value().ok()
}

/// The identity's bearer token, for apps that keep theirs in `localStorage`.
fn bearer_token(identity: &Identity) -> Option<String> {
    identity.session.headers().into_iter().find_map(|(n, v)| {
        (n.eq_ignore_ascii_case("authorization"))
            .then(|| v.strip_prefix("Bearer ").map(str::to_string))
            .flatten()
    })
}

/// A page without its fragment: `#/route` apps are told apart by the fragment, so it
/// stays when it looks like a route.
fn page_key(u: &Url) -> String {
    let mut u = u.clone();
    if !u
        .fragment()
        .is_some_and(|f| f.starts_with('/') || f.starts_with("!/"))
    {
        u.set_fragment(None);
    }
    u.to_string()
}

/// One paused request and what it needs to be answered.
struct Job {
    page: Page,
    shared: Arc<Shared>,
    identity: Arc<Identity>,
    logout: Option<String>,
    sign_in: Arc<SignIn>,
}

impl Job {
    async fn answer(&self, event: &EventRequestPaused) {
        let req = &event.request;
        let method = req.method.to_ascii_uppercase();
        let url = match Url::parse(&req.url) {
            Ok(u) => u,
            Err(_) => return self.fail(event, ErrorReason::BlockedByClient).await,
        };
        let body = request_body(event);
        let in_scope = self.shared.http.scope().contains(&url);
        let kind = kind_of(&event.resource_type);
        let decision = decide(
            &method,
            &url,
            in_scope,
            self.logout.as_deref(),
            body.as_deref(),
            self.sign_in.rule().as_ref(),
        );
        match decision {
            Decision::OffScope => {
                self.shared.blocked.fetch_add(1, Ordering::Relaxed);
                {
                    let mut off = self
                        .shared
                        .off_scope
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    if off.len() < 10 {
                        let origin = url.origin().ascii_serialization();
                        off.insert(self.shared.http.redactor().text(&origin));
                    }
                }
                self.fail(event, ErrorReason::BlockedByClient).await;
            }
            Decision::Unsafe => {
                self.shared.blocked.fetch_add(1, Ordering::Relaxed);
                self.fail(event, ErrorReason::BlockedByClient).await;
            }
            Decision::Hold => {
                self.shared.held.fetch_add(1, Ordering::Relaxed);
                // A password sent outside the sign-in (late, or typed by the app
                // itself) is held like any write, and never kept as an example.
                let body = body.filter(|b| !self.sign_in.carries_password(b));
                if let Some(kind) = kind {
                    self.keep(event, kind, &method, url, body, None);
                }
                self.fail(event, ErrorReason::BlockedByClient).await;
            }
            Decision::Forward => self.send_on(event, &method, url, body, None).await,
            Decision::SignIn(step) => self.send_on(event, &method, url, body, Some(step)).await,
        }
    }

    /// Sends a request of the page through the HTTP layer and hands the answer back:
    /// as the identity, or in the browser's own session once it signed in through the
    /// app's form (and for the sign-in's requests). A body that is part of signing in
    /// (the password, a refresh token) is never kept.
    async fn send_on(
        &self,
        event: &EventRequestPaused,
        method: &str,
        url: Url,
        body: Option<bytes::Bytes>,
        step: Option<SignInStep>,
    ) {
        let mut request = Request::new(method, url.clone()).no_redirects();
        for (name, value) in page_headers(event) {
            request = request.header(&name, value);
        }
        if let Some(b) = &body {
            let content_type = page_headers(event)
                .into_iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                .map_or_else(|| "application/octet-stream".to_string(), |(_, v)| v);
            request.body = Some(crate::http::Body {
                content_type,
                bytes: b.clone(),
            });
        }
        if matches!(event.resource_type, ResourceType::Script) {
            request = request.body_cap(self.shared.script_cap);
        }
        let sent = match self.sign_in.session_for(step) {
            Some(own) => self.shared.http.send(&own, request).await,
            None => self.identity.send(&self.shared.http, request).await,
        };
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) => {
                tracing::debug!(error = %e, "browser request failed");
                self.fail(event, ErrorReason::Failed).await;
                return;
            }
        };
        if step == Some(SignInStep::Credentials) {
            self.sign_in.answered(resp.status);
        }
        self.shared.forwarded.fetch_add(1, Ordering::Relaxed);
        self.fulfil(event, &resp).await;
        match event.resource_type {
            ResourceType::Script => self.keep_script(&url, &resp),
            ResourceType::Document => self.keep_document(&url, &resp),
            _ => {}
        }
        let body = if step.is_some() { None } else { body };
        if let Some(kind) = kind_of(&event.resource_type) {
            self.keep(event, kind, method, url, body, Some(resp));
        }
    }

    /// Keeps an API call for the inventory (bounded, its answer cut to what discovery
    /// reads).
    fn keep(
        &self,
        event: &EventRequestPaused,
        kind: &'static str,
        method: &str,
        url: Url,
        body: Option<bytes::Bytes>,
        response: Option<crate::http::Response>,
    ) {
        let mut seen = self.shared.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_SEEN {
            return;
        }
        let response = response.map(|mut r| {
            if r.body.len() > KEPT_BODY {
                r.body = r.body.slice(..KEPT_BODY);
                r.truncated = true;
            }
            r
        });
        seen.push(Seen {
            identity: self.identity.id,
            method: method.to_string(),
            url,
            kind,
            body: body.filter(|b| b.len() <= KEPT_REQUEST_BODY),
            headers: page_headers(event)
                .into_iter()
                .map(|(n, _)| n.to_ascii_lowercase())
                .filter(|n| header_matters(n))
                .collect(),
            response,
        });
    }

    /// Keeps a script the page loaded (a lazy chunk, a dynamic import) for the script
    /// reader and the bundle scan: once per URL and per content, within bounds.
    fn keep_script(&self, url: &Url, resp: &crate::http::Response) {
        if !resp.is_success() || resp.body.is_empty() {
            return;
        }
        let mut kept = self
            .shared
            .scripts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let digest = super::super::content_digest(&resp.body);
        if kept.urls.contains(url) || kept.digests.contains(&digest) {
            return;
        }
        if kept.list.len() >= self.shared.max_scripts
            || kept.bytes + resp.body.len() > KEPT_SCRIPT_BYTES
        {
            kept.dropped += 1;
            return;
        }
        kept.urls.insert(url.clone());
        kept.digests.insert(digest);
        kept.bytes += resp.body.len();
        kept.list.push(LoadedScript {
            identity: self.identity.id,
            url: url.clone(),
            body: resp.body.clone(),
            digest,
        });
    }

    /// Remembers that `url` is a page the app serves this identity (an HTML document).
    fn keep_document(&self, url: &Url, resp: &crate::http::Response) {
        if !resp.is_success() || !resp.is_html() {
            return;
        }
        let mut page = url.clone();
        page.set_fragment(None);
        let mut documents = self
            .shared
            .documents
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mine = documents.entry(self.identity.id).or_default();
        if mine.len() < MAX_DOCUMENTS {
            mine.insert(page);
        }
    }

    async fn fulfil(&self, event: &EventRequestPaused, resp: &crate::http::Response) {
        let headers: Vec<HeaderEntry> = resp
            .headers
            .iter()
            .filter(|(n, _)| {
                !matches!(
                    n.as_str(),
                    "content-encoding" | "content-length" | "transfer-encoding" | "connection"
                )
            })
            .map(|(n, v)| HeaderEntry::new(n.clone(), v.clone()))
            .collect();
        let body = base64::engine::general_purpose::STANDARD.encode(&resp.body);
        let mut params = FulfillRequestParams::new(event.request_id.clone(), resp.status as i64);
        params.response_headers = Some(headers);
        params.body = Some(body.into());
        if let Err(e) = self.page.execute(params).await {
            tracing::debug!(error = %e, "browser: could not hand an answer to the page");
        }
    }

    async fn fail(&self, event: &EventRequestPaused, reason: ErrorReason) {
        let _ = self
            .page
            .execute(FailRequestParams::new(event.request_id.clone(), reason))
            .await;
    }
}

/// Request headers of the page that are the browser's business, not the app's: the
/// HTTP layer sets its own (cookies from the identity's jar, its user agent, length).
const DROPPED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "cookie",
    "accept-encoding",
    "user-agent",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
    "proxy-connection",
];

/// The page's request headers the HTTP layer should send on.
fn page_headers(event: &EventRequestPaused) -> Vec<(String, String)> {
    let Some(map) = event.request.headers.inner().as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            !DROPPED_HEADERS.contains(&n.as_str()) && !n.starts_with("sec-")
        })
        .filter_map(|(n, v)| Some((n.clone(), v.as_str()?.to_string())))
        .collect()
}

/// The request body the page sent, when Chromium handed it over.
fn request_body(event: &EventRequestPaused) -> Option<bytes::Bytes> {
    let entries = event.request.post_data_entries.as_ref()?;
    let mut out = Vec::new();
    for e in entries {
        let b64: &str = e.bytes.as_ref()?.as_ref();
        out.extend(base64::engine::general_purpose::STANDARD.decode(b64).ok()?);
    }
    Some(bytes::Bytes::from(out))
}

/// The kinds of request recorded as API calls; `None` for documents, scripts, images...
fn kind_of(t: &ResourceType) -> Option<&'static str> {
    match t {
        ResourceType::Xhr => Some("xhr"),
        ResourceType::Fetch => Some("fetch"),
        ResourceType::EventSource => Some("eventsource"),
        ResourceType::WebSocket => Some("websocket"),
        _ => None,
    }
}
