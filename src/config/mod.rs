//! The scan config: file -> environment -> command-line overrides, each a small step.

mod file;
pub mod firebase;
mod secrets;
pub mod template;
mod tls;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

pub use file::{RawConfig, RawDiscovery, RawLogin, parse};
pub use firebase::FirebaseSettings;
pub use secrets::{MapSource, ProcessSource, Secret, Source, resolve_plain, resolve_secret};
pub use tls::TlsConfig;

use crate::model::{Attestation, IdentityId, Scope, Tenant};

/// A config problem, named precisely enough to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("config {source_name}{place}: {message}")]
    Parse {
        source_name: String,
        place: String,
        message: String,
    },
    #[error("`{key}`: {problem}")]
    Invalid { key: String, problem: String },
    #[error(
        "`{key}`: environment variable {var} is not set (export it, or point `{key}` at a file with file:PATH)"
    )]
    MissingEnv { key: String, var: String },
    #[error("`{key}`: cannot read secret file {path}: {reason}")]
    SecretFile {
        key: String,
        path: String,
        reason: String,
    },
    #[error("`{key}`: secrets may not be written in the config; use ${{ENV_VAR}} or file:PATH")]
    LiteralSecret { key: String },
}

/// A validated scan config.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// The base URL; relative URLs in the config resolve against it.
    pub target: Url,
    pub scope: Scope,
    pub start: Vec<Url>,
    pub limits: Limits,
    pub safe_mode: bool,
    /// B sends A's objects back exactly as A read them (`safety.noop_writes`).
    pub noop_writes: bool,
    pub identities: Vec<IdentityConfig>,
    pub seeds: Vec<SeedEndpoint>,
    pub canaries: Vec<CanaryConfig>,
    pub atomic: Option<AtomicWrite>,
    pub single_use: Option<SingleUse>,
    pub audit: Option<AuditFeed>,
    pub attestation: Option<Attestation>,
    /// Extra declarative probes and signatures (`--probes DIR`).
    pub probes_dir: Option<PathBuf>,
    /// Origins (`scheme://host[:port]`) the app trusts for CORS (`target.trusted_origins`).
    pub trusted_origins: Vec<String>,
    pub auth_checks: AuthChecks,
    pub rate_limit: RateLimitConfig,
    /// Requests only the admin may make (`roles.admin_only`).
    pub admin_only: Vec<RoutePattern>,
    /// Extra trusted CAs, the mTLS client certificate, or no verification (`[target.tls]`).
    pub tls: TlsConfig,
    /// A Firebase backend's web config and API hosts (`[firebase]`).
    pub firebase: FirebaseSettings,
    /// Discovery through a real browser (`[discovery]`, `--browser`).
    pub browser: BrowserDiscovery,
}

/// Discovery through a headless Chromium (`discovery.browser*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserDiscovery {
    pub enabled: bool,
    /// The executable to run; `None`: looked up on PATH.
    pub path: Option<PathBuf>,
    /// Pages and client-side routes visited per identity.
    pub max_pages: usize,
    /// The whole browser phase, all identities.
    pub max_time: Duration,
    /// `localStorage` keys that receive a token identity's token.
    pub token_keys: Vec<String>,
    /// Sign in through the app's own sign-in form when a page shows one, as each
    /// identity with a username and password (`discovery.browser_sign_in`).
    pub sign_in: bool,
}

impl Default for BrowserDiscovery {
    fn default() -> Self {
        BrowserDiscovery {
            enabled: false,
            path: None,
            max_pages: 20,
            max_time: Duration::from_secs(120),
            token_keys: [
                "token",
                "access_token",
                "accessToken",
                "authToken",
                "auth_token",
                "jwt",
            ]
            .map(String::from)
            .to_vec(),
            sign_in: true,
        }
    }
}

/// Item 2 settings (`[auth]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthChecks {
    /// Access tokens living longer than this are reported.
    pub max_token_lifetime: Duration,
}

impl Default for AuthChecks {
    fn default() -> Self {
        AuthChecks {
            max_token_lifetime: Duration::from_secs(3600),
        }
    }
}

/// Item 4 settings (`[rate_limit]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Requests per burst.
    pub burst: u32,
    /// Longest `Retry-After` of a tripped login limit waited out after the bursts, so
    /// the test accounts can log in again when the scan returns.
    pub max_wait: Duration,
    pub login: Option<SeedEndpoint>,
    pub signup: Option<SeedEndpoint>,
    pub reset: Option<SeedEndpoint>,
    pub write: Option<SeedEndpoint>,
    pub login_username: Option<String>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            burst: 30,
            max_wait: Duration::from_secs(60),
            login: None,
            signup: None,
            reset: None,
            write: None,
            login_username: None,
        }
    }
}

/// A method and path pattern from the role matrix: `GET /api/admin/*`. `*` in the path
/// matches any run of characters (slashes included); no method means any method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    /// Upper case; `None` for any method.
    pub method: Option<String>,
    pub path: String,
}

impl RoutePattern {
    /// Whether `method path` is covered. The path is matched without its query.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob(&self.path, path)
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // No `*`: an exact match.
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Politeness and resource bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Requests per second per host.
    pub rate: NonZeroU32,
    /// Requests that may be sent at once above the steady rate.
    pub burst: NonZeroU32,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub timeout: Duration,
    /// Bytes of a response body the scanner reads at most.
    pub body_cap: usize,
    /// Bytes of a script, chunk or source map read at most: bundles are often several
    /// MiB, and a key past the cut goes unseen. Never below `body_cap`.
    pub script_cap: usize,
    pub max_pages: usize,
    pub max_depth: usize,
    pub max_scripts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rate: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::MIN,
            concurrency: 8,
            timeout: Duration::from_secs(10),
            body_cap: 1024 * 1024,
            script_cap: 8 * 1024 * 1024,
            max_pages: 200,
            max_depth: 4,
            max_scripts: 50,
        }
    }
}

/// One configured identity.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    pub id: IdentityId,
    /// The tenant it belongs to.
    pub tenant: Option<Tenant>,
    pub role: Option<String>,
    pub login: Login,
    pub check: Option<ConfigRequest>,
    pub logout: Option<ConfigRequest>,
    pub csrf: Option<CsrfSource>,
}

/// A login flow with its secrets resolved.
#[derive(Debug, Clone)]
pub enum Login {
    Json {
        url: Url,
        username: String,
        password: Secret,
        username_field: String,
        password_field: String,
        extra: serde_json::Map<String, serde_json::Value>,
        token_pointer: Option<String>,
        send: TokenPlacement,
    },
    Form {
        page: Url,
        username: String,
        password: Secret,
        username_field: Option<String>,
        password_field: Option<String>,
        selector: Option<String>,
    },
    /// HTTP Basic credentials sent on every request; `url` (with `method`) asks for
    /// them, so a wrong password there is answered 401.
    Basic {
        method: String,
        url: Url,
        username: String,
        password: Secret,
    },
    Token {
        token: Secret,
        send: TokenPlacement,
    },
    Cookie {
        name: String,
        value: Secret,
    },
    /// Supabase Auth's password grant; `project` and `anon_key` come from the app's
    /// client when the config leaves them out (the engine fills them in before login).
    Supabase {
        email: String,
        password: Secret,
        project: Option<Url>,
        anon_key: Option<String>,
    },
    /// Firebase Auth: `POST {auth_url}/v1/accounts:signInWithPassword?key={api_key}`
    /// with the email and password; the ID token it answers is the session.
    Firebase {
        email: String,
        password: Secret,
        send: TokenPlacement,
        /// From `firebase.api_key`.
        api_key: String,
        /// From `firebase.auth_url`.
        auth_url: Url,
    },
}

/// The `Authorization` value of HTTP Basic credentials.
pub fn basic_authorization(username: &str, password: &str) -> String {
    use base64::Engine;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

impl Login {
    pub fn kind(&self) -> &'static str {
        match self {
            Login::Json { .. } => "json",
            Login::Form { .. } => "form",
            Login::Basic { .. } => "basic",
            Login::Token { .. } => "token",
            Login::Cookie { .. } => "cookie",
            Login::Supabase { .. } => "supabase",
            Login::Firebase { .. } => "firebase",
        }
    }

    /// Every secret value of the flow, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Login::Json { password, .. } | Login::Form { password, .. } => {
                vec![password.expose().to_string()]
            }
            Login::Basic {
                username, password, ..
            } => {
                let header = basic_authorization(username, password.expose());
                let encoded = header.trim_start_matches("Basic ").to_string();
                vec![password.expose().to_string(), encoded]
            }
            Login::Token { token, .. } => vec![token.expose().to_string()],
            Login::Cookie { value, .. } => vec![value.expose().to_string()],
            // The anon key is public by design, but no report needs to show it either.
            Login::Supabase {
                password, anon_key, ..
            } => std::iter::once(password.expose().to_string())
                .chain(anon_key.clone())
                .collect(),
            Login::Firebase {
                password, api_key, ..
            } => vec![password.expose().to_string(), api_key.clone()],
        }
    }
}

/// Where a token goes on each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenPlacement {
    Bearer,
    Header(String),
    Cookie(String),
}

/// Where a cookie session's CSRF token comes from and which header carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfSource {
    pub header: String,
    pub from: CsrfOrigin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrfOrigin {
    Meta(String),
    Cookie(String),
}

/// A request the config names (check, logout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRequest {
    pub method: String,
    pub url: Url,
    pub expect_status: Vec<u16>,
}

/// An endpoint the config declares for discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedEndpoint {
    pub method: String,
    pub url: Url,
}

/// A declared way to create canaries.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryConfig {
    /// The collection to POST to, or with `form`, the page holding the create form.
    pub create: Url,
    pub body: serde_json::Value,
    /// JSON pointer to the new object's id in the create answer (`canaries[].id`).
    pub id_pointer: Option<String>,
    /// The URL reading one object, with an `{id}` placeholder (`canaries[].read`).
    pub read: Option<Url>,
    /// The request deleting one object, with `{id}` in its URL or body (`canaries[].delete`).
    pub delete: Option<RequestTemplate>,
    /// Created through the HTML form on the `create` page (the one `selector` picks).
    pub form: bool,
    pub selector: Option<String>,
}

/// A request with an `{id}` placeholder in its URL or JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestTemplate {
    pub method: String,
    pub url: Url,
    pub body: Option<serde_json::Value>,
}

/// The placeholder of object templates.
pub const ID_PLACEHOLDER: &str = "{id}";

/// Whether a URL (as text, possibly percent-encoded) holds `{id}`.
fn url_has_id(url: &Url) -> bool {
    let s = url.as_str().to_ascii_lowercase();
    s.contains(ID_PLACEHOLDER) || s.contains("%7bid%7d")
}

/// A method and URL the config names (`POST /api/orders`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: String,
    pub url: Url,
}

/// Item 9: a multi-step write that must be all or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct AtomicWrite {
    pub request: Endpoint,
    pub valid: serde_json::Value,
    pub partial: serde_json::Value,
    pub effect: Url,
    pub identity: IdentityId,
}

/// Item 9: an action that must succeed once however often it is sent at once.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleUse {
    pub setup: Option<(Endpoint, serde_json::Value, String)>,
    pub action: Endpoint,
    pub body: serde_json::Value,
    pub identity: IdentityId,
    pub attempts: u32,
}

/// Item 10: the audit feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFeed {
    pub url: Url,
    pub identity: IdentityId,
    pub records: Option<String>,
    /// How long the feed is polled for the scan's own actions.
    pub wait: Duration,
}

/// Command-line values that override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub rate: Option<u32>,
    pub concurrency: Option<u32>,
    pub probes_dir: Option<PathBuf>,
    /// A CA bundle trusted instead of `target.tls.ca` (`--ca-cert`).
    pub ca_cert: Option<PathBuf>,
    /// Accept any server certificate (`--insecure`), as `target.tls.insecure = true`.
    pub insecure: bool,
    /// Discover through a headless Chromium (`--browser`), as `discovery.browser = true`.
    pub browser: bool,
}

/// Reads and resolves a config file.
pub fn load(
    path: &Path,
    source: &dyn Source,
    overrides: &Overrides,
) -> Result<ScanConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    from_text(&text, &path.display().to_string(), source, overrides)
}

/// Parses, resolves and overrides config text.
pub fn from_text(
    text: &str,
    name: &str,
    source: &dyn Source,
    overrides: &Overrides,
) -> Result<ScanConfig, ConfigError> {
    let raw = parse(text, name)?;
    let config = resolve(&raw, source)?;
    override_with(config, overrides, source)
}

/// The config for `prodready scan URL`: anonymous checks only.
pub fn for_url(url: &str, overrides: &Overrides) -> Result<ScanConfig, ConfigError> {
    let raw = RawConfig {
        target: file::RawTarget {
            url: url.to_string(),
            ..Default::default()
        },
        ..Default::default()
    };
    apply_overrides(resolve(&raw, &ProcessSource)?, overrides)
}

fn invalid(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        problem: problem.into(),
    }
}

fn parse_target(url: &str) -> Result<Url, ConfigError> {
    let parsed = Url::parse(url).map_err(|e| {
        invalid(
            "target.url",
            format!("`{url}` is not a URL ({e}); write it like https://staging.example.com"),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(invalid(
            "target.url",
            format!("`{url}` must be an http:// or https:// URL with a host"),
        ));
    }
    Ok(parsed)
}

/// Resolves a config URL: relative to the target, or absolute (then it must be in scope).
fn resolve_url(key: &str, base: &Url, scope: &Scope, text: &str) -> Result<Url, ConfigError> {
    let url = base
        .join(text)
        .map_err(|e| invalid(key, format!("`{text}` is not a URL or path ({e})")))?;
    scope
        .check(&url)
        .map_err(|e| invalid(key, format!("{e}; {}", e.fix())))?;
    Ok(url)
}

/// The target's origin plus `target.origins`, less `target.exclude`, never reaching
/// `target.forbid_origins`.
fn resolve_scope(raw: &RawConfig, target: &Url) -> Result<Scope, ConfigError> {
    let mut origins = vec![target.clone()];
    for (i, o) in raw.target.origins.iter().enumerate() {
        let url = Url::parse(o).map_err(|e| {
            invalid(
                &format!("target.origins[{i}]"),
                format!("`{o}` is not a URL ({e})"),
            )
        })?;
        origins.push(url);
    }
    let mut forbidden = Vec::new();
    for (i, o) in raw.target.forbid_origins.iter().enumerate() {
        let key = format!("target.forbid_origins[{i}]");
        let url = Url::parse(o.trim())
            .ok()
            .filter(|u| u.origin().is_tuple())
            .ok_or_else(|| {
                invalid(
                    &key,
                    format!("`{o}` is not an origin like `https://abcd.supabase.co`"),
                )
            })?;
        if let Some(clash) = origins.iter().find(|u| u.origin() == url.origin()) {
            return Err(invalid(
                &key,
                format!(
                    "`{o}` is also the target or in target.origins ({clash}); an origin is either scanned or forbidden"
                ),
            ));
        }
        forbidden.push(url);
    }
    Ok(Scope::new(&origins, &raw.target.exclude).forbidding(&forbidden))
}

/// What the config's URLs and identity names are resolved against.
struct Base<'a> {
    raw: &'a RawConfig,
    target: &'a Url,
    scope: &'a Scope,
}

impl Base<'_> {
    fn url(&self, key: &str, text: &str) -> Result<Url, ConfigError> {
        resolve_url(key, self.target, self.scope, text)
    }

    /// `METHOD /path` (the method is required).
    fn endpoint(&self, key: &str, text: &str) -> Result<Endpoint, ConfigError> {
        let (method, path) = method_and_path(key, text)?;
        Ok(Endpoint {
            method,
            url: self.url(key, path)?,
        })
    }

    /// The identity `name` (or `default`), which must be configured.
    fn identity(
        &self,
        key: &str,
        name: Option<&String>,
        default: IdentityId,
    ) -> Result<IdentityId, ConfigError> {
        let name = name.map_or(default.as_str(), String::as_str);
        IdentityId::from_name(name)
            .filter(|_| self.raw.identities.contains_key(name))
            .ok_or_else(|| {
                invalid(
                    key,
                    format!(
                        "`{name}` is not a configured identity; add [identities.{name}] or name another"
                    ),
                )
            })
    }
}

/// A TOML table as the JSON body it stands for.
fn table(key: &str, t: &toml::Table) -> Result<serde_json::Value, ConfigError> {
    serde_json::to_value(t).map_err(|e| invalid(key, e.to_string()))
}

fn resolve_identities(
    base: &Base<'_>,
    source: &dyn Source,
) -> Result<Vec<IdentityConfig>, ConfigError> {
    let mut identities = Vec::new();
    for (name, ri) in &base.raw.identities {
        let id = IdentityId::from_name(name)
            .filter(|id| IdentityId::CONFIGURABLE.contains(id))
            .ok_or_else(|| {
                let names: Vec<&str> = IdentityId::CONFIGURABLE
                    .iter()
                    .map(|i| i.as_str())
                    .collect();
                invalid(
                    &format!("identities.{name}"),
                    format!("unknown identity; use {}", names.join(", ")),
                )
            })?;
        identities.push(resolve_identity(id, ri, base.target, base.scope, source)?);
    }
    identities.sort_by_key(|i| i.id);
    Ok(identities)
}

fn resolve_canaries(base: &Base<'_>) -> Result<Vec<CanaryConfig>, ConfigError> {
    let mut canaries = Vec::new();
    for (i, c) in base.raw.canaries.iter().enumerate() {
        let key = |k: &str| format!("canaries[{i}].{k}");
        if let Some(page) = &c.form {
            if c.create.is_some()
                || c.body.is_some()
                || c.id.is_some()
                || c.read.is_some()
                || c.delete.is_some()
                || c.delete_body.is_some()
            {
                return Err(invalid(
                    &key("form"),
                    "a form canary is made by filling the page's form: drop `create`, `body`, `id`, `read` and `delete`, or drop `form` for a JSON API",
                ));
            }
            if let Some(css) = &c.selector
                && scraper::Selector::parse(css).is_err()
            {
                return Err(invalid(
                    &key("selector"),
                    format!("`{css}` is not a CSS selector; write it like form#new-note"),
                ));
            }
            canaries.push(CanaryConfig {
                create: base.url(&key("form"), page)?,
                body: serde_json::Value::Null,
                id_pointer: None,
                read: None,
                delete: None,
                form: true,
                selector: c.selector.clone(),
            });
            continue;
        }
        let (Some(create), Some(body)) = (&c.create, &c.body) else {
            return Err(invalid(
                &key("create"),
                "a canary needs `create` (the collection URL to POST to) and `body`, or `form` (the page of an HTML create form)",
            ));
        };
        if c.selector.is_some() {
            return Err(invalid(
                &key("selector"),
                "`selector` picks a form of a `form` page; it has no meaning with `create`",
            ));
        }
        let body = serde_json::to_value(body).map_err(|e| invalid(&key("body"), e.to_string()))?;
        if !body.to_string().contains("{canary}") {
            return Err(invalid(
                &key("body"),
                "put {canary} in a text field (e.g. name = \"{canary}\") so the object can be recognised",
            ));
        }
        if let Some(p) = &c.id
            && (p.trim().is_empty() || p.trim() == "/")
        {
            return Err(invalid(
                &key("id"),
                format!(
                    "`{p}` names no key; write the key of the new object's id in the create answer, like \"id\", \"data.id\" or \"/data/id\""
                ),
            ));
        }
        canaries.push(CanaryConfig {
            create: base.url(&key("create"), create)?,
            body,
            id_pointer: c.id.as_deref().map(|p| pointer_of(p.trim())),
            read: resolve_canary_read(base, &key("read"), c.read.as_deref())?,
            delete: resolve_canary_delete(base, &key, c)?,
            form: false,
            selector: None,
        });
    }
    Ok(canaries)
}

/// A config's id place as a JSON pointer: `/data/id` as written, `data.id` and
/// `experiment_id` as key paths.
fn pointer_of(written: &str) -> String {
    if written.starts_with('/') {
        return written.to_string();
    }
    written
        .split('.')
        .map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// `canaries[].read`: a GET URL of one object, `{id}` in it.
fn resolve_canary_read(
    base: &Base<'_>,
    key: &str,
    read: Option<&str>,
) -> Result<Option<Url>, ConfigError> {
    let Some(text) = read else {
        return Ok(None);
    };
    let (method, path) = method_and_path(key, text)?;
    if method != "GET" {
        return Err(invalid(
            key,
            format!("`{text}` must be a GET (the URL that reads one object)"),
        ));
    }
    let url = base.url(key, path)?;
    if !url_has_id(&url) {
        return Err(invalid(
            key,
            format!(
                "`{text}` has no {ID_PLACEHOLDER}; put it where the object's id goes, like /api/items/get?id={ID_PLACEHOLDER}"
            ),
        ));
    }
    Ok(Some(url))
}

/// `canaries[].delete` and `delete_body`: the request deleting one object, `{id}` in it.
fn resolve_canary_delete(
    base: &Base<'_>,
    key: &dyn Fn(&str) -> String,
    c: &file::RawCanary,
) -> Result<Option<RequestTemplate>, ConfigError> {
    let body = c
        .delete_body
        .as_ref()
        .map(|b| table(&key("delete_body"), b))
        .transpose()?;
    let Some(text) = &c.delete else {
        if body.is_some() {
            return Err(invalid(
                &key("delete_body"),
                "a body needs its request; set delete = \"POST /path\" beside it",
            ));
        }
        return Ok(None);
    };
    let text = text.trim();
    let (method, path) = if text.contains(char::is_whitespace) {
        method_and_path(&key("delete"), text)?
    } else {
        ("DELETE".to_string(), text)
    };
    let url = base.url(&key("delete"), path)?;
    let in_body = body
        .as_ref()
        .is_some_and(|b| b.to_string().contains(ID_PLACEHOLDER));
    if !url_has_id(&url) && !in_body {
        return Err(invalid(
            &key("delete"),
            format!(
                "`{text}` has no {ID_PLACEHOLDER} in its path or in delete_body; put it where the object's id goes"
            ),
        ));
    }
    Ok(Some(RequestTemplate { method, url, body }))
}

fn resolve_atomic(base: &Base<'_>) -> Result<Option<AtomicWrite>, ConfigError> {
    let Some(a) = &base.raw.transactions.atomic else {
        return Ok(None);
    };
    Ok(Some(AtomicWrite {
        request: base.endpoint("transactions.atomic.request", &a.request)?,
        valid: table("transactions.atomic.valid", &a.valid)?,
        partial: table("transactions.atomic.partial", &a.partial)?,
        effect: base.url("transactions.atomic.effect", &a.effect)?,
        identity: base.identity(
            "transactions.atomic.identity",
            a.identity.as_ref(),
            IdentityId::A,
        )?,
    }))
}

fn resolve_single_use(base: &Base<'_>) -> Result<Option<SingleUse>, ConfigError> {
    let Some(s) = &base.raw.transactions.single_use else {
        return Ok(None);
    };
    let setup = match &s.setup {
        None => None,
        Some(setup) => {
            if !setup.token.starts_with('/') {
                return Err(invalid(
                    "transactions.single_use.setup.token",
                    format!(
                        "`{}` is not a JSON pointer; write it like /code",
                        setup.token
                    ),
                ));
            }
            Some((
                base.endpoint("transactions.single_use.setup.request", &setup.request)?,
                table("transactions.single_use.setup.body", &setup.body)?,
                setup.token.clone(),
            ))
        }
    };
    let attempts = s.attempts.unwrap_or(10);
    if !(2..=50).contains(&attempts) {
        return Err(invalid(
            "transactions.single_use.attempts",
            "must be between 2 and 50",
        ));
    }
    Ok(Some(SingleUse {
        setup,
        action: base.endpoint("transactions.single_use.action", &s.action)?,
        body: table("transactions.single_use.body", &s.body)?,
        identity: base.identity(
            "transactions.single_use.identity",
            s.identity.as_ref(),
            IdentityId::A,
        )?,
        attempts,
    }))
}

fn resolve_audit(base: &Base<'_>) -> Result<Option<AuditFeed>, ConfigError> {
    let Some(a) = &base.raw.audit else {
        return Ok(None);
    };
    let wait = match a.wait_secs {
        None => Duration::from_secs(3),
        Some(w) if w.is_finite() && (0.0..=60.0).contains(&w) => Duration::from_secs_f64(w),
        Some(_) => {
            return Err(invalid(
                "audit.wait_secs",
                "must be between 0 and 60 seconds",
            ));
        }
    };
    Ok(Some(AuditFeed {
        url: base.url("audit.feed", &a.feed)?,
        identity: base.identity("audit.identity", a.identity.as_ref(), IdentityId::Admin)?,
        records: a.records.clone(),
        wait,
    }))
}

/// Step 2: the raw file with secrets resolved and every value validated.
pub fn resolve(raw: &RawConfig, source: &dyn Source) -> Result<ScanConfig, ConfigError> {
    let target = parse_target(&raw.target.url)?;
    let scope = resolve_scope(raw, &target)?;
    let base = Base {
        raw,
        target: &target,
        scope: &scope,
    };
    let mut start = Vec::new();
    for (i, s) in raw.target.start.iter().enumerate() {
        start.push(base.url(&format!("target.start[{i}]"), s)?);
    }
    if start.is_empty() {
        start.push(target.clone());
    }
    let limits = resolve_limits(&raw.limits)?;
    let firebase = firebase::resolve(raw, source)?;
    let mut identities = resolve_identities(&base, source)?;
    firebase::attach(&mut identities, &firebase);
    let mut seeds = Vec::new();
    for (i, s) in raw.seeds.endpoints.iter().enumerate() {
        let key = format!("seeds.endpoints[{i}]");
        seeds.push(resolve_endpoint(&key, &target, &scope, s, "GET")?);
    }
    let auth_checks = resolve_auth_checks(&raw.auth)?;
    let rate_limit = resolve_rate_limit(&raw.rate_limit, &target, &scope)?;
    let admin_only = resolve_admin_only(&raw.roles)?;
    let canaries = resolve_canaries(&base)?;
    let atomic = resolve_atomic(&base)?;
    let single_use = resolve_single_use(&base)?;
    let audit = resolve_audit(&base)?;
    let trusted_origins = resolve_trusted_origins(&raw.target.trusted_origins)?;
    let tls = tls::resolve(raw.target.tls.as_ref(), source)?;
    let browser = resolve_browser(&raw.discovery)?;
    let attestation = raw.attestation.as_ref().map(|a| Attestation {
        attested_by: a.attested_by.clone(),
        repository: a.repository.clone(),
    });
    Ok(ScanConfig {
        target,
        scope,
        start,
        limits,
        safe_mode: raw.safety.safe_mode.unwrap_or(true),
        noop_writes: raw.safety.noop_writes.unwrap_or(true),
        identities,
        seeds,
        canaries,
        atomic,
        single_use,
        audit,
        attestation,
        probes_dir: None,
        trusted_origins,
        auth_checks,
        rate_limit,
        admin_only,
        tls,
        browser,
        firebase,
    })
}

/// `[discovery]`: the browser's switches and bounds.
fn resolve_browser(raw: &RawDiscovery) -> Result<BrowserDiscovery, ConfigError> {
    let mut b = BrowserDiscovery {
        enabled: raw.browser.unwrap_or(false),
        ..BrowserDiscovery::default()
    };
    match &raw.browser_sign_in {
        None => {}
        Some(toml::Value::Boolean(on)) => b.sign_in = *on,
        Some(other) => {
            return Err(invalid(
                "discovery.browser_sign_in",
                format!(
                    "must be true or false, not the {} `{other}`",
                    other.type_str()
                ),
            ));
        }
    }
    if let Some(path) = &raw.browser_path {
        if path.trim().is_empty() {
            return Err(invalid(
                "discovery.browser_path",
                "is empty; name the Chromium executable (e.g. /usr/bin/chromium) or leave the key out to search PATH",
            ));
        }
        b.path = Some(PathBuf::from(path.trim()));
    }
    if let Some(n) = raw.browser_max_pages {
        if !(1..=500).contains(&n) {
            return Err(invalid(
                "discovery.browser_max_pages",
                "must be between 1 and 500",
            ));
        }
        b.max_pages = n as usize;
    }
    if let Some(secs) = raw.browser_max_secs {
        if !(1..=3600).contains(&secs) {
            return Err(invalid(
                "discovery.browser_max_secs",
                "must be between 1 and 3600 seconds",
            ));
        }
        b.max_time = Duration::from_secs(secs);
    }
    if let Some(keys) = &raw.browser_token_keys {
        let bad = keys
            .iter()
            .find(|k| k.is_empty() || k.len() > 100 || k.chars().any(char::is_control));
        if let Some(k) = bad {
            return Err(invalid(
                "discovery.browser_token_keys",
                format!("`{k}` is not a usable localStorage key (1 to 100 printable characters)"),
            ));
        }
        b.token_keys = keys.clone();
    }
    Ok(b)
}

/// `POST /api/items` or `/api/items` (GET).
fn method_and_path<'t>(key: &str, text: &'t str) -> Result<(String, &'t str), ConfigError> {
    let (method, path) = match text.trim().split_once(char::is_whitespace) {
        Some((m, p)) => (m.to_ascii_uppercase(), p.trim()),
        None => ("GET".to_string(), text.trim()),
    };
    if !method.chars().all(|c| c.is_ascii_uppercase()) || method.is_empty() {
        return Err(invalid(
            key,
            format!("`{text}` should look like `POST /api/items`"),
        ));
    }
    Ok((method, path))
}

/// Trusted CORS origins, normalised to their ASCII serialisation (`https://a.example`).
fn resolve_trusted_origins(list: &[String]) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for (i, o) in list.iter().enumerate() {
        let key = format!("target.trusted_origins[{i}]");
        let url = Url::parse(o.trim()).map_err(|e| {
            invalid(
                &key,
                format!("`{o}` is not an origin like `https://app.example.com` ({e})"),
            )
        })?;
        let origin = url.origin();
        let path_ok = url.path() == "/" || url.path().is_empty();
        if !origin.is_tuple() || !path_ok || url.query().is_some() {
            return Err(invalid(
                &key,
                format!(
                    "`{o}` should be an origin only: scheme, host and optional port, like `https://app.example.com`"
                ),
            ));
        }
        out.push(origin.ascii_serialization());
    }
    Ok(out)
}

/// `METHOD /path` (or `/path`, meaning `default_method`) resolved against the target.
fn resolve_endpoint(
    key: &str,
    target: &Url,
    scope: &Scope,
    text: &str,
    default_method: &str,
) -> Result<SeedEndpoint, ConfigError> {
    let (method, path) = match text.trim().split_once(char::is_whitespace) {
        Some((m, p)) => (m.to_ascii_uppercase(), p.trim()),
        None => (default_method.to_string(), text.trim()),
    };
    if !method.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(invalid(
            key,
            format!("`{text}` should look like `POST /api/items`"),
        ));
    }
    Ok(SeedEndpoint {
        method,
        url: resolve_url(key, target, scope, path)?,
    })
}

/// `roles.admin_only`: `METHOD /path*` or `/path*` (any method), paths absolute.
fn resolve_admin_only(raw: &file::RawRoles) -> Result<Vec<RoutePattern>, ConfigError> {
    raw.admin_only
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let key = format!("roles.admin_only[{i}]");
            let (method, path) = match text.trim().split_once(char::is_whitespace) {
                Some((m, p)) => (Some(m.to_ascii_uppercase()), p.trim()),
                None => (None, text.trim()),
            };
            let method_ok = method
                .as_deref()
                .is_none_or(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_uppercase()));
            if !method_ok || !path.starts_with('/') {
                return Err(invalid(
                    &key,
                    format!("`{text}` should look like `GET /api/admin/*` or `/admin/*`"),
                ));
            }
            Ok(RoutePattern {
                method,
                path: path.to_string(),
            })
        })
        .collect()
}

fn resolve_auth_checks(raw: &file::RawAuthChecks) -> Result<AuthChecks, ConfigError> {
    let mut c = AuthChecks::default();
    if let Some(secs) = raw.max_token_lifetime_secs {
        if secs == 0 {
            return Err(invalid(
                "auth.max_token_lifetime_secs",
                "must be at least 1",
            ));
        }
        c.max_token_lifetime = Duration::from_secs(secs);
    }
    Ok(c)
}

/// Bursts stay small: they are sent at a live app.
const MAX_BURST: u32 = 200;

fn resolve_rate_limit(
    raw: &file::RawRateLimit,
    target: &Url,
    scope: &Scope,
) -> Result<RateLimitConfig, ConfigError> {
    let mut c = RateLimitConfig::default();
    if let Some(b) = raw.burst {
        if !(2..=MAX_BURST).contains(&b) {
            return Err(invalid(
                "rate_limit.burst",
                format!("must be between 2 and {MAX_BURST} requests"),
            ));
        }
        c.burst = b;
    }
    if let Some(w) = raw.max_wait_secs {
        if w > 600 {
            return Err(invalid("rate_limit.max_wait_secs", "at most 600 seconds"));
        }
        c.max_wait = Duration::from_secs(w);
    }
    let endpoint = |name: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| resolve_endpoint(&format!("rate_limit.{name}"), target, scope, t, "POST"))
            .transpose()
    };
    c.login = endpoint("login", &raw.login)?;
    c.signup = endpoint("signup", &raw.signup)?;
    c.reset = endpoint("reset", &raw.reset)?;
    c.write = endpoint("write", &raw.write)?;
    c.login_username = raw.login_username.clone();
    Ok(c)
}

/// The largest script cap: scripts are read one at a time, so this bounds the memory
/// they take (and the signature scan covers all of it).
const MAX_SCRIPT_CAP_KIB: u64 = 64 * 1024;

fn resolve_limits(raw: &file::RawLimits) -> Result<Limits, ConfigError> {
    let d = Limits::default();
    let nonzero = |key: &str, v: Option<u32>, default: NonZeroU32| match v {
        None => Ok(default),
        Some(n) => NonZeroU32::new(n).ok_or_else(|| invalid(key, "must be at least 1")),
    };
    let rate = nonzero("limits.rate", raw.rate, d.rate)?;
    if rate.get() > 10_000 {
        return Err(invalid("limits.rate", "at most 10000 requests per second"));
    }
    let burst = nonzero("limits.burst", raw.burst, d.burst)?;
    let concurrency = nonzero(
        "limits.concurrency",
        raw.concurrency,
        NonZeroU32::new(d.concurrency as u32).unwrap_or(NonZeroU32::MIN),
    )?;
    let timeout = match raw.timeout_secs {
        None => d.timeout,
        Some(s) if s.is_finite() && s > 0.0 && s <= 600.0 => Duration::from_secs_f64(s),
        Some(_) => {
            return Err(invalid(
                "limits.timeout_secs",
                "must be between 0 and 600 seconds",
            ));
        }
    };
    let body_cap = match raw.body_cap_kib {
        None => d.body_cap,
        Some(k) if (1..=1024 * 1024).contains(&k) => k as usize * 1024,
        Some(_) => {
            return Err(invalid(
                "limits.body_cap_kib",
                "must be between 1 and 1048576 KiB",
            ));
        }
    };
    let script_cap = match raw.script_cap_kib {
        None => d.script_cap,
        Some(k) if (1..=MAX_SCRIPT_CAP_KIB).contains(&k) => k as usize * 1024,
        Some(_) => {
            return Err(invalid(
                "limits.script_cap_kib",
                format!(
                    "must be between 1 and {MAX_SCRIPT_CAP_KIB} KiB (scripts are read one at a time, whole)"
                ),
            ));
        }
    };
    Ok(Limits {
        rate,
        burst,
        concurrency: concurrency.get() as usize,
        timeout,
        body_cap,
        // A larger body cap applies to scripts too.
        script_cap: script_cap.max(body_cap),
        max_pages: raw.max_pages.map_or(d.max_pages, |n| n as usize),
        max_depth: raw.max_depth.map_or(d.max_depth, |n| n as usize),
        max_scripts: raw.max_scripts.map_or(d.max_scripts, |n| n as usize),
    })
}

/// The identity's login flow with its secrets resolved.
fn resolve_login(
    id: IdentityId,
    raw: &file::RawIdentity,
    base: &Url,
    scope: &Scope,
    source: &dyn Source,
) -> Result<Login, ConfigError> {
    let key = |k: &str| format!("identities.{id}.{k}");
    Ok(match &raw.login {
        RawLogin::Json {
            url,
            username,
            password,
            username_field,
            password_field,
            extra,
            token,
            send,
            ..
        } => {
            let extra = extra
                .iter()
                .map(|(k, v)| serde_json::to_value(v).map(|v| (k.clone(), v)))
                .collect::<Result<_, _>>()
                .map_err(|e| invalid(&key("login.extra"), e.to_string()))?;
            if let Some(t) = token
                && !t.starts_with('/')
            {
                return Err(invalid(
                    &key("login.token"),
                    format!("`{t}` is not a JSON pointer; write it like /access_token"),
                ));
            }
            Login::Json {
                url: resolve_url(&key("login.url"), base, scope, url)?,
                username: resolve_plain(&key("login.username"), username, source)?,
                password: resolve_secret(&key("login.password"), password, source)?,
                username_field: username_field.clone(),
                password_field: password_field.clone(),
                extra,
                token_pointer: token.clone(),
                send: parse_placement(&key("login.send"), send.as_deref())?,
            }
        }
        RawLogin::Form {
            page,
            username,
            password,
            username_field,
            password_field,
            selector,
            ..
        } => Login::Form {
            page: resolve_url(&key("login.page"), base, scope, page)?,
            username: resolve_plain(&key("login.username"), username, source)?,
            password: resolve_secret(&key("login.password"), password, source)?,
            username_field: username_field.clone(),
            password_field: password_field.clone(),
            selector: selector.clone(),
        },
        RawLogin::Basic {
            username,
            password,
            url,
            ..
        } => {
            let (method, url) = match (url, &raw.check) {
                (Some(u), _) => (
                    "GET".to_string(),
                    resolve_url(&key("login.url"), base, scope, u)?,
                ),
                (None, Some(check)) => (
                    check.method.to_ascii_uppercase(),
                    resolve_url(&key("check.url"), base, scope, &check.url)?,
                ),
                (None, None) => {
                    return Err(invalid(
                        &key("login.url"),
                        format!(
                            "a basic login needs a URL that asks for the credentials (answers 401 without them): set identities.{id}.login.url or identities.{id}.check"
                        ),
                    ));
                }
            };
            let username = resolve_plain(&key("login.username"), username, source)?;
            if username.contains(':') {
                return Err(invalid(
                    &key("login.username"),
                    "HTTP Basic usernames cannot contain `:`",
                ));
            }
            Login::Basic {
                method,
                url,
                username,
                password: resolve_secret(&key("login.password"), password, source)?,
            }
        }
        RawLogin::Token { token, send, .. } => Login::Token {
            token: resolve_secret(&key("login.token"), token, source)?,
            send: parse_placement(&key("login.send"), send.as_deref())?,
        },
        // `api_key` and `auth_url` come from `[firebase]`: see `firebase::attach`.
        RawLogin::Firebase {
            email,
            password,
            send,
            ..
        } => Login::Firebase {
            email: resolve_plain(&key("login.email"), email, source)?,
            password: resolve_secret(&key("login.password"), password, source)?,
            send: parse_placement(&key("login.send"), send.as_deref())?,
            api_key: String::new(),
            auth_url: FirebaseSettings::default().auth_url,
        },
        RawLogin::Cookie {
            name: cookie,
            value,
            ..
        } => Login::Cookie {
            name: cookie.clone(),
            value: resolve_secret(&key("login.value"), value, source)?,
        },
        RawLogin::Supabase {
            email,
            password,
            project,
            anon_key,
        } => resolve_supabase_login(
            &key,
            (email, password, project.as_deref(), anon_key.as_deref()),
            source,
        )?,
    })
}

/// `kind = "supabase"`: the project is named by its URL (origin only), and the key
/// must be one a browser may hold: a service_role or secret key is refused here.
fn resolve_supabase_login(
    key: &dyn Fn(&str) -> String,
    (email, password, project, anon_key): (&str, &str, Option<&str>, Option<&str>),
    source: &dyn Source,
) -> Result<Login, ConfigError> {
    let project = match project {
        None => None,
        Some(text) => {
            let text = resolve_plain(&key("login.project"), text, source)?;
            let url = Url::parse(text.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| {
                    invalid(
                        &key("login.project"),
                        format!("`{text}` is not a project URL like https://abcdefghijklmnop.supabase.co"),
                    )
                })?;
            Some(
                Url::parse(&url.origin().ascii_serialization())
                    .map_err(|e| invalid(&key("login.project"), e.to_string()))?,
            )
        }
    };
    let anon_key = match anon_key {
        None => None,
        Some(text) => {
            let value = resolve_plain(&key("login.anon_key"), text, source)?;
            let value = value.trim().to_string();
            if let Some(kind) = rls_bypassing_key(&value) {
                return Err(invalid(
                    &key("login.anon_key"),
                    format!(
                        "this is the project's {kind}, which bypasses every row policy; give the anon or publishable key the app's client uses"
                    ),
                ));
            }
            Some(value)
        }
    };
    Ok(Login::Supabase {
        email: resolve_plain(&key("login.email"), email, source)?,
        password: resolve_secret(&key("login.password"), password, source)?,
        project,
        anon_key,
    })
}

/// What a Supabase key is when it bypasses Row Level Security: an `sb_secret_` key or a
/// JWT whose `role` claim is `service_role` (`families::baas::detect` classifies keys
/// fully; the config, the first layer, only refuses these).
fn rls_bypassing_key(key: &str) -> Option<&'static str> {
    use base64::Engine;
    if key.starts_with("sb_secret_") {
        return Some("secret key (sb_secret_)");
    }
    let payload = key.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    (claims.get("role").and_then(serde_json::Value::as_str) == Some("service_role"))
        .then_some("service_role key (JWT, role service_role)")
}

/// The CSRF source, written under `[identities.X]` or `[identities.X.login]`.
fn resolve_csrf(
    id: IdentityId,
    raw: &file::RawIdentity,
) -> Result<Option<CsrfSource>, ConfigError> {
    let key = |k: &str| format!("identities.{id}.{k}");
    // Accepted under [identities.X] and under [identities.X.login]: both are where
    // users look for it, but one identity has one CSRF source.
    let (raw_csrf, csrf_key) = match (&raw.csrf, raw.login.csrf()) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                &key("login.csrf"),
                format!(
                    "set csrf once: under [identities.{id}] or under [identities.{id}.login], not both"
                ),
            ));
        }
        (Some(c), None) => (Some(c), key("csrf.from")),
        (None, c) => (c, key("login.csrf.from")),
    };
    Ok(match raw_csrf {
        None => None,
        Some(c) => Some(CsrfSource {
            header: c.header.clone(),
            from: match c.from.split_once(':') {
                Some(("meta", n)) => CsrfOrigin::Meta(n.to_string()),
                Some(("cookie", n)) => CsrfOrigin::Cookie(n.to_string()),
                _ => {
                    return Err(invalid(
                        &csrf_key,
                        format!("`{}` should be meta:NAME or cookie:NAME", c.from),
                    ));
                }
            },
        }),
    })
}

fn resolve_identity(
    id: IdentityId,
    raw: &file::RawIdentity,
    base: &Url,
    scope: &Scope,
    source: &dyn Source,
) -> Result<IdentityConfig, ConfigError> {
    let key = |k: &str| format!("identities.{id}.{k}");
    let login = resolve_login(id, raw, base, scope, source)?;
    let request = |k: &str, r: &file::RawRequest| -> Result<ConfigRequest, ConfigError> {
        Ok(ConfigRequest {
            method: r.method.to_ascii_uppercase(),
            url: resolve_url(&key(&format!("{k}.url")), base, scope, &r.url)?,
            expect_status: r.expect_status.clone(),
        })
    };
    let csrf = resolve_csrf(id, raw)?;
    let tenant = match &raw.tenant {
        Some(t) => Some(
            Tenant::from_name(t)
                .ok_or_else(|| invalid(&key("tenant"), format!("`{t}` should be a or b")))?,
        ),
        None => id.own_tenant(),
    };
    Ok(IdentityConfig {
        id,
        tenant,
        role: raw.role.clone(),
        login,
        check: raw
            .check
            .as_ref()
            .map(|r| request("check", r))
            .transpose()?,
        logout: raw
            .logout
            .as_ref()
            .map(|r| request("logout", r))
            .transpose()?,
        csrf,
    })
}

fn parse_placement(key: &str, send: Option<&str>) -> Result<TokenPlacement, ConfigError> {
    match send {
        None | Some("bearer") => Ok(TokenPlacement::Bearer),
        Some(s) => match s.split_once(':') {
            Some(("header", n)) if !n.is_empty() => Ok(TokenPlacement::Header(n.to_string())),
            Some(("cookie", n)) if !n.is_empty() => Ok(TokenPlacement::Cookie(n.to_string())),
            _ => Err(invalid(
                key,
                format!("`{s}` should be bearer, header:NAME or cookie:NAME"),
            )),
        },
    }
}

/// Step 3: command-line values win over the file.
pub fn apply_overrides(
    config: ScanConfig,
    overrides: &Overrides,
) -> Result<ScanConfig, ConfigError> {
    override_with(config, overrides, &ProcessSource)
}

/// [`apply_overrides`] reading the files the flags name through `source`.
fn override_with(
    mut config: ScanConfig,
    overrides: &Overrides,
    source: &dyn Source,
) -> Result<ScanConfig, ConfigError> {
    if let Some(rate) = overrides.rate {
        config.limits.rate =
            NonZeroU32::new(rate).ok_or_else(|| invalid("--rate", "must be at least 1"))?;
    }
    if let Some(c) = overrides.concurrency {
        if c == 0 {
            return Err(invalid("--concurrency", "must be at least 1"));
        }
        config.limits.concurrency = c as usize;
    }
    if let Some(dir) = &overrides.probes_dir {
        config.probes_dir = Some(dir.clone());
    }
    if let Some(path) = &overrides.ca_cert {
        config.tls.extra_roots = tls::read_ca("--ca-cert", &path.to_string_lossy(), source)?;
    }
    // The flag can switch verification off, never back on over the file's explicit choice.
    config.tls.insecure |= overrides.insecure;
    config.browser.enabled |= overrides.browser;
    Ok(config)
}

impl ScanConfig {
    pub fn identity(&self, id: IdentityId) -> Option<&IdentityConfig> {
        self.identities.iter().find(|i| i.id == id)
    }

    /// Every secret in the config, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        self.identities
            .iter()
            .flat_map(|i| i.login.secrets())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> MapSource<'static> {
        MapSource {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
            fallback: &NoSource,
        }
    }

    struct NoSource;
    impl Source for NoSource {
        fn var(&self, _: &str) -> Option<String> {
            None
        }
        fn read_file(&self, _: &Path) -> std::io::Result<String> {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not found",
            ))
        }
    }

    const GOOD: &str = r#"
        [target]
        url = "http://127.0.0.1:9000"
        start = ["/", "/app"]
        exclude = ["/logout"]
        [limits]
        rate = 5
        [identities.b.login]
        kind = "token"
        token = "${B_TOKEN}"
        [identities.a]
        check = { url = "/api/me" }
        [identities.a.login]
        kind = "json"
        url = "/api/auth/login"
        username = "alice@acme.test"
        password = "${A_PW}"
        token = "/access_token"
        [seeds]
        endpoints = ["POST /api/items", "/api/health"]
    "#;

    #[test]
    fn a_good_config_resolves() {
        let c = from_text(
            GOOD,
            "t",
            &env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.limits.rate.get(), 5);
        assert_eq!(c.start.len(), 2);
        assert_eq!(
            c.identities
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(c.identities[0].tenant, Some(crate::model::Tenant::A));
        assert_eq!(c.seeds[0].method, "POST");
        assert_eq!(c.seeds[1].method, "GET");
        assert!(c.safe_mode);
        let mut s = c.secrets();
        s.sort();
        assert_eq!(s, ["pw", "tok"]);
    }

    #[test]
    fn supabase_logins_resolve_and_refuse_a_key_that_bypasses_rls() {
        use base64::Engine as _;
        let jwt = |claims: &str| {
            let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            format!("{}.{}.c2lnbmF0dXJl", e(r#"{"alg":"HS256"}"#), e(claims))
        };
        let anon = jwt(r#"{"iss":"supabase","role":"anon"}"#);
        let service = jwt(r#"{"iss":"supabase","role":"service_role"}"#);
        let text = |key: &str| {
            format!(
                "[target]\nurl = \"http://127.0.0.1:9000\"\n[identities.a.login]\nkind = \"supabase\"\nemail = \"a@x.test\"\npassword = \"${{A_PW}}\"\nproject = \"https://abcdefghijklmnop.supabase.co/rest/v1/\"\nanon_key = \"{key}\"\n"
            )
        };
        let e = env(&[("A_PW", "pw")]);
        let c = from_text(&text(&anon), "t", &e, &Overrides::default()).unwrap();
        let Login::Supabase {
            project, anon_key, ..
        } = &c.identities[0].login
        else {
            panic!("not a supabase login")
        };
        assert_eq!(
            project.as_ref().map(Url::as_str),
            Some("https://abcdefghijklmnop.supabase.co/")
        );
        assert_eq!(anon_key.as_deref(), Some(anon.as_str()));
        // The key and the password are redacted like any credential.
        assert!(c.secrets().contains(&anon));
        let err = from_text(&text(&service), "t", &e, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("identities.a.login.anon_key"), "{err}");
        assert!(err.contains("service_role"), "{err}");
        // Project and key may be left to detection.
        let bare = "[target]\nurl = \"http://127.0.0.1:9000\"\n[identities.a.login]\nkind = \"supabase\"\nemail = \"a@x.test\"\npassword = \"${A_PW}\"\n";
        let c = from_text(bare, "t", &e, &Overrides::default()).unwrap();
        assert!(matches!(
            &c.identities[0].login,
            Login::Supabase {
                project: None,
                anon_key: None,
                ..
            }
        ));
    }

    #[test]
    fn forbidden_origins_stay_out_and_cannot_also_be_scanned() {
        let text = "[target]\nurl = \"http://127.0.0.1:9000\"\nforbid_origins = [\"http://127.0.0.2:7000\"]\n";
        let c = from_text(text, "t", &env(&[]), &Overrides::default()).unwrap();
        let mut scope = c.scope.clone();
        let backend = Url::parse("http://127.0.0.2:7000/rest/v1/").unwrap();
        assert!(scope.admit_backend(&backend).is_err());
        assert!(!scope.contains(&backend));
        let clash = "[target]\nurl = \"http://127.0.0.1:9000\"\norigins = [\"http://127.0.0.2:7000\"]\nforbid_origins = [\"http://127.0.0.2:7000/\"]\n";
        let err = from_text(clash, "t", &env(&[]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("target.forbid_origins[0]"), "{err}");
        let bad = text.replace("http://127.0.0.2:7000", "not an origin");
        let err = from_text(&bad, "t", &env(&[]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("target.forbid_origins[0]"), "{err}");
    }

    #[test]
    fn script_cap_defaults_to_8_mib_and_never_drops_below_the_body_cap() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let c = from_text(GOOD, "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.limits.script_cap, 8 << 20);
        let text = GOOD.replace("rate = 5", "rate = 5\nscript_cap_kib = 2048");
        let c = from_text(&text, "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.limits.script_cap, 2 << 20);
        let text = GOOD.replace("rate = 5", "rate = 5\nbody_cap_kib = 16384");
        let c = from_text(&text, "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.limits.script_cap, 16 << 20);
        let text = GOOD.replace("rate = 5", "rate = 5\nscript_cap_kib = 0");
        let err = from_text(&text, "t", &e, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("limits.script_cap_kib"), "{err}");
    }

    #[test]
    fn basic_logins_resolve_with_their_url_or_check() {
        let e = env(&[("A_PW", "pw-a"), ("B_TOKEN", "tok")]);
        let basic = |extra: &str| {
            GOOD.replace(
                "kind = \"json\"\n        url = \"/api/auth/login\"",
                &format!("kind = \"basic\"\n{extra}"),
            )
            .replace("token = \"/access_token\"", "")
        };
        let c = from_text(&basic(""), "t", &e, &Overrides::default()).unwrap();
        let a = c.identity(IdentityId::A).unwrap();
        assert_eq!(a.login.kind(), "basic");
        match &a.login {
            Login::Basic { method, url, .. } => {
                assert_eq!((method.as_str(), url.path()), ("GET", "/api/me"));
            }
            other => panic!("{other:?}"),
        }
        // The header's encoded value is a secret too (redacted everywhere).
        assert!(
            c.secrets()
                .contains(&"YWxpY2VAYWNtZS50ZXN0OnB3LWE=".to_string())
        );
        assert_eq!(
            basic_authorization("alice@acme.test", "pw-a"),
            "Basic YWxpY2VAYWNtZS50ZXN0OnB3LWE="
        );
        let c = from_text(
            &basic("url = \"/internal/whoami\""),
            "t",
            &e,
            &Overrides::default(),
        )
        .unwrap();
        match &c.identity(IdentityId::A).unwrap().login {
            Login::Basic { url, .. } => assert_eq!(url.path(), "/internal/whoami"),
            other => panic!("{other:?}"),
        }
        let no_url = basic("").replace("check = { url = \"/api/me\" }", "");
        let err = from_text(&no_url, "t", &e, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("identities.a.login.url"), "{err}");
        let literal = basic("").replace("${A_PW}", "hunter2");
        let err = from_text(&literal, "t", &e, &Overrides::default()).unwrap_err();
        assert!(
            err.to_string().contains("identities.a.login.password"),
            "{err}"
        );
    }

    #[test]
    fn csrf_is_accepted_under_the_identity_or_its_login_but_not_both() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let csrf = "csrf = { header = \"X-CSRFToken\", from = \"cookie:csrftoken\" }";
        let under_login = GOOD.replace(
            "token = \"/access_token\"",
            &format!("token = \"/access_token\"\n{csrf}"),
        );
        let c = from_text(&under_login, "t", &e, &Overrides::default()).unwrap();
        let expected = Some(CsrfSource {
            header: "X-CSRFToken".into(),
            from: CsrfOrigin::Cookie("csrftoken".into()),
        });
        assert_eq!(c.identity(IdentityId::A).unwrap().csrf, expected);
        let under_identity = GOOD.replace(
            "check = { url = \"/api/me\" }",
            &format!("check = {{ url = \"/api/me\" }}\n{csrf}"),
        );
        let c = from_text(&under_identity, "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.identity(IdentityId::A).unwrap().csrf, expected);
        let both = under_identity.replace(
            "token = \"/access_token\"",
            &format!("token = \"/access_token\"\n{csrf}"),
        );
        let err = from_text(&both, "t", &e, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("set csrf once"), "{err}");
        let bad = under_login.replace("cookie:csrftoken", "header:x");
        let err = from_text(&bad, "t", &e, &Overrides::default()).unwrap_err();
        assert!(
            err.to_string().contains("identities.a.login.csrf.from"),
            "{err}"
        );
    }

    /// Every environment variable and secret file resolves to a placeholder.
    struct AnySecret;
    impl Source for AnySecret {
        fn var(&self, _: &str) -> Option<String> {
            Some("from-the-environment".into())
        }
        fn read_file(&self, _: &Path) -> std::io::Result<String> {
            Ok("from-a-file".into())
        }
    }

    #[test]
    fn the_readme_config_example_is_a_valid_config() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let start = readme
            .find("```toml\n[target]")
            .expect("the README's config example");
        let text = &readme[start + "```toml\n".len()..];
        let text = &text[..text.find("```").expect("the example's end")];
        let c = from_text(text, "README.md", &AnySecret, &Overrides::default())
            .unwrap_or_else(|e| panic!("the README's config example: {e}"));
        assert_eq!(c.identities.len(), 4);
        assert_eq!(c.canaries.len(), 3);
        assert!(c.canaries[1].form);
        assert!(c.canaries[2].delete.is_some());
        assert!(c.rate_limit.write.is_some());
        assert!(c.identity(IdentityId::B).unwrap().csrf.is_some());
    }

    #[test]
    fn overrides_win() {
        let o = Overrides {
            rate: Some(50),
            ..Default::default()
        };
        let c = from_text(GOOD, "t", &env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]), &o).unwrap();
        assert_eq!(c.limits.rate.get(), 50);
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (GOOD.replace("rate = 5", "rate = 0"), "limits.rate"),
            (
                GOOD.replace("\"/app\"", "\"http://127.0.0.2/app\""),
                "target.start[1]",
            ),
            (
                GOOD.replace("[identities.b.login]", "[identities.c.login]"),
                "identities.c",
            ),
            (
                GOOD.replace("${A_PW}", "hunter2"),
                "identities.a.login.password",
            ),
            (
                GOOD.replace("http://127.0.0.1:9000", "127.0.0.1:9000"),
                "target.url",
            ),
        ];
        for (text, key) in cases {
            let err = from_text(
                &text,
                "t",
                &env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]),
                &Overrides::default(),
            )
            .unwrap_err();
            assert!(err.to_string().contains(key), "expected {key} in: {err}");
        }
        let err = from_text(GOOD, "t", &env(&[("A_PW", "pw")]), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("B_TOKEN"), "{err}");
    }

    #[test]
    fn canary_id_read_and_delete_keys_resolve_and_validate() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let with = |extra: &str| {
            format!(
                "{GOOD}\n[[canaries]]\ncreate = \"/api/2.0/x/experiments/create\"\nbody = {{ name = \"{{canary}}\" }}\n{extra}\n"
            )
        };
        let c = from_text(
            &with(
                "id = \"experiment_id\"\nread = \"/api/2.0/x/experiments/get?experiment_id={id}\"\ndelete = \"POST /api/2.0/x/experiments/delete\"\ndelete_body = { experiment_id = \"{id}\" }",
            ),
            "t",
            &e,
            &Overrides::default(),
        )
        .unwrap();
        let canary = &c.canaries[0];
        assert_eq!(canary.id_pointer.as_deref(), Some("/experiment_id"));
        assert!(
            canary
                .read
                .as_ref()
                .unwrap()
                .as_str()
                .ends_with("experiment_id={id}")
        );
        let delete = canary.delete.as_ref().unwrap();
        assert_eq!(delete.method, "POST");
        assert_eq!(
            delete.body,
            Some(serde_json::json!({"experiment_id": "{id}"}))
        );
        for (written, pointer) in [("data.id", "/data/id"), ("/data/id", "/data/id")] {
            let c = from_text(
                &with(&format!("id = \"{written}\"")),
                "t",
                &e,
                &Overrides::default(),
            )
            .unwrap();
            assert_eq!(c.canaries[0].id_pointer.as_deref(), Some(pointer));
        }
        let c = from_text(
            &with("delete = \"/api/things/{id}/\""),
            "t",
            &e,
            &Overrides::default(),
        )
        .unwrap();
        let delete = c.canaries[0].delete.as_ref().unwrap();
        assert_eq!(
            (delete.method.as_str(), delete.url.path()),
            ("DELETE", "/api/things/%7Bid%7D/")
        );
        for (bad, key) in [
            ("id = \"\"", "canaries[0].id"),
            ("read = \"/api/x/get\"", "canaries[0].read"),
            ("read = \"POST /api/x/get?id={id}\"", "canaries[0].read"),
            ("delete = \"POST /api/x/delete\"", "canaries[0].delete"),
            ("delete_body = { id = \"{id}\" }", "canaries[0].delete_body"),
        ] {
            let err = from_text(&with(bad), "t", &e, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains(key), "expected {key} in: {err}");
        }
    }

    #[test]
    fn an_excluded_url_names_target_exclude_not_target_origins() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let text = GOOD.replace(
            "check = { url = \"/api/me\" }",
            "check = { url = \"/api/me\" }\nlogout = { method = \"POST\", url = \"/logout\" }",
        );
        let err = from_text(&text, "t", &e, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("identities.a.logout.url"), "{err}");
        assert!(err.contains("remove /logout from target.exclude"), "{err}");
        assert!(!err.contains("target.origins"), "{err}");
        let other = GOOD.replace("\"/app\"", "\"http://127.0.0.2:9000/app\"");
        let err = from_text(&other, "t", &e, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("add its origin to target.origins"), "{err}");
    }

    #[test]
    fn trusted_origins_are_normalised_and_checked() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let text = GOOD.replace(
            "exclude = [\"/logout\"]",
            "exclude = [\"/logout\"]\ntrusted_origins = [\"HTTPS://App.Example.com:443\", \"http://x.test:8080/\"]",
        );
        let c = from_text(&text, "t", &e, &Overrides::default()).unwrap();
        assert_eq!(
            c.trusted_origins,
            ["https://app.example.com", "http://x.test:8080"]
        );
        let bad = GOOD.replace(
            "exclude = [\"/logout\"]",
            "exclude = [\"/logout\"]\ntrusted_origins = [\"https://a.example/path\"]",
        );
        let err = from_text(&bad, "t", &e, &Overrides::default()).unwrap_err();
        assert!(
            err.to_string().contains("target.trusted_origins[0]"),
            "{err}"
        );
    }

    #[test]
    fn audit_wait_defaults_and_validates() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let with = |extra: &str| {
            format!("{GOOD}\n[audit]\nfeed = \"/api/audit\"\nidentity = \"a\"\n{extra}")
        };
        let c = from_text(&with(""), "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.audit.unwrap().wait, Duration::from_secs(3));
        let c = from_text(&with("wait_secs = 0.5"), "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.audit.unwrap().wait, Duration::from_millis(500));
        let err = from_text(&with("wait_secs = -1"), "t", &e, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("audit.wait_secs"), "{err}");
    }

    #[test]
    fn browser_discovery_keys_resolve_validate_and_the_flag_turns_it_on() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let c = from_text(GOOD, "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.browser, BrowserDiscovery::default());
        assert!(!c.browser.enabled);
        let flag = Overrides {
            browser: true,
            ..Default::default()
        };
        assert!(from_text(GOOD, "t", &e, &flag).unwrap().browser.enabled);
        let with = |extra: &str| format!("{GOOD}\n[discovery]\n{extra}");
        let c = from_text(
            &with("browser = true\nbrowser_path = \"/opt/chrome\"\nbrowser_max_pages = 5\nbrowser_max_secs = 30\nbrowser_token_keys = []"),
            "t",
            &e,
            &Overrides::default(),
        )
        .unwrap();
        assert!(c.browser.enabled);
        assert_eq!(c.browser.path, Some(PathBuf::from("/opt/chrome")));
        assert_eq!(c.browser.max_pages, 5);
        assert_eq!(c.browser.max_time, Duration::from_secs(30));
        assert!(c.browser.token_keys.is_empty());
        assert!(
            c.browser.sign_in,
            "signing in through the app's form is on by default"
        );
        let c = from_text(
            &with("browser_sign_in = false"),
            "t",
            &e,
            &Overrides::default(),
        )
        .unwrap();
        assert!(!c.browser.sign_in);
        for (bad, key) in [
            ("browser_sign_in = \"no\"", "browser_sign_in"),
            ("browser_sign_in = 0", "browser_sign_in"),
            ("browser_path = \" \"", "discovery.browser_path"),
            ("browser_max_pages = 0", "discovery.browser_max_pages"),
            ("browser_max_secs = 0", "discovery.browser_max_secs"),
            (
                "browser_token_keys = [\"\"]",
                "discovery.browser_token_keys",
            ),
            ("browsr = true", "browsr"),
        ] {
            let err = from_text(&with(bad), "t", &e, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn auth_and_rate_limit_keys_resolve_and_validate() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let c = from_text(GOOD, "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.rate_limit.burst, 30);
        assert_eq!(c.auth_checks.max_token_lifetime, Duration::from_secs(3600));
        assert!(c.rate_limit.login.is_none());
        let text = format!(
            "{GOOD}\n[auth]\nmax_token_lifetime_secs = 600\n[rate_limit]\nburst = 12\nmax_wait_secs = 5\nsignup = \"/api/register\"\nwrite = \"PUT /api/items/1\"\n"
        );
        let c = from_text(&text, "t", &e, &Overrides::default()).unwrap();
        assert_eq!(c.auth_checks.max_token_lifetime, Duration::from_secs(600));
        assert_eq!(c.rate_limit.burst, 12);
        assert_eq!(c.rate_limit.max_wait, Duration::from_secs(5));
        let signup = c.rate_limit.signup.unwrap();
        assert_eq!(
            (signup.method.as_str(), signup.url.path()),
            ("POST", "/api/register")
        );
        assert_eq!(c.rate_limit.write.unwrap().method, "PUT");
        for (bad, key) in [
            ("[rate_limit]\nburst = 5000", "rate_limit.burst"),
            (
                "[rate_limit]\nlogin = \"http://127.0.0.2/x\"",
                "rate_limit.login",
            ),
            ("[rate_limit]\nbursts = 5", "bursts"),
            (
                "[auth]\nmax_token_lifetime_secs = 0",
                "auth.max_token_lifetime_secs",
            ),
        ] {
            let err =
                from_text(&format!("{GOOD}\n{bad}\n"), "t", &e, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains(key), "expected {key} in: {err}");
        }
    }

    #[test]
    fn role_matrix_resolves_and_matches() {
        let e = env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]);
        let c = from_text(GOOD, "t", &e, &Overrides::default()).unwrap();
        assert!(c.admin_only.is_empty());
        let text = format!(
            "{GOOD}\n[roles]\nadmin_only = [\"GET /api/admin/*\", \"/settings/*/danger\"]\n"
        );
        let c = from_text(&text, "t", &e, &Overrides::default()).unwrap();
        let (get_admin, any_danger) = (&c.admin_only[0], &c.admin_only[1]);
        assert!(get_admin.matches("GET", "/api/admin/users"));
        assert!(get_admin.matches("get", "/api/admin/users/3/role"));
        assert!(!get_admin.matches("POST", "/api/admin/users"));
        assert!(!get_admin.matches("GET", "/api/administrators"));
        assert!(any_danger.matches("DELETE", "/settings/org/danger"));
        assert!(!any_danger.matches("GET", "/settings/org/danger/x"));
        for bad in ["admin_only = [\"api/admin\"]", "admin_only = [\"G3T /x\"]"] {
            let err = from_text(
                &format!("{GOOD}\n[roles]\n{bad}\n"),
                "t",
                &e,
                &Overrides::default(),
            )
            .unwrap_err();
            assert!(err.to_string().contains("roles.admin_only[0]"), "{err}");
        }
    }
    #[test]
    fn form_canaries_name_a_page_and_refuse_json_keys() {
        let c = from_text(
            &format!("{GOOD}\n[[canaries]]\nform = \"/notes/new\"\nselector = \"form.new\"\n"),
            "t.toml",
            &env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]),
            &Overrides::default(),
        )
        .unwrap();
        assert!(c.canaries[0].form);
        assert_eq!(c.canaries[0].create.path(), "/notes/new");
        for (extra, key) in [
            (
                "form = \"/notes/new\"\ncreate = \"/api/notes\"",
                "canaries[0].form",
            ),
            (
                "form = \"/notes/new\"\nselector = \"[[\"",
                "canaries[0].selector",
            ),
            ("create = \"/api/notes\"", "canaries[0].create"),
        ] {
            let err = from_text(
                &format!("{GOOD}\n[[canaries]]\n{extra}\n"),
                "t.toml",
                &env(&[("A_PW", "pw"), ("B_TOKEN", "tok")]),
                &Overrides::default(),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains(key), "{extra}: {err}");
        }
    }
}
