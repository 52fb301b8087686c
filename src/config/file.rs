//! The config file as written: TOML mapped onto strict serde types.
//!
//! Every table rejects unknown keys so a typo is named instead of silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ConfigError;

/// The whole file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub target: RawTarget,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub safety: RawSafety,
    #[serde(default)]
    pub identities: BTreeMap<String, RawIdentity>,
    #[serde(default)]
    pub seeds: RawSeeds,
    /// How to create the scanner's own objects (canaries); discovered when absent.
    #[serde(default)]
    pub canaries: Vec<RawCanary>,
    #[serde(default)]
    pub transactions: RawTransactions,
    pub audit: Option<RawAudit>,
    pub attestation: Option<RawAttestation>,
    #[serde(default)]
    pub auth: RawAuthChecks,
    #[serde(default)]
    pub rate_limit: RawRateLimit,
    #[serde(default)]
    pub roles: RawRoles,
    #[serde(default)]
    pub discovery: RawDiscovery,
    /// A Firebase backend (issue 16): what the bundle does not say, and where Google's
    /// APIs are reached.
    pub firebase: Option<RawFirebase>,
}

/// How discovery explores the app beyond its links.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDiscovery {
    /// Drive a headless Chromium per identity (default false; `--browser` sets it).
    pub browser: Option<bool>,
    /// The Chromium executable (default: `chromium`, `chromium-browser`, `google-chrome`
    /// or `google-chrome-stable` on PATH).
    pub browser_path: Option<String>,
    /// Pages and client-side routes the browser visits per identity (default 20).
    pub browser_max_pages: Option<u32>,
    /// Seconds the whole browser phase may take (default 120).
    pub browser_max_secs: Option<u64>,
    /// `localStorage` keys of the app's origin that receive a token identity's token
    /// before the app's script runs (default `token`, `access_token`, `accessToken`,
    /// `authToken`, `auth_token`, `jwt`; `[]` for none).
    pub browser_token_keys: Option<Vec<String>>,
    /// Sign in through the app's own sign-in form when an identity's page shows one and
    /// the identity logs in with a username and password (default true).
    /// Read as any value so a wrong type is named by its key (`resolve_browser`).
    pub browser_sign_in: Option<toml::Value>,
}

/// `[firebase]`: the web config the app's bundle carries (detected when absent) and the
/// hosts of Google's APIs (production by default; the Emulator Suite or a proxy else).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFirebase {
    /// The web `apiKey` (public by design); needed by `kind = "firebase"` logins.
    pub api_key: Option<String>,
    pub project_id: Option<String>,
    /// The Realtime Database URL (`https://<db>.firebaseio.com`).
    pub database_url: Option<String>,
    pub storage_bucket: Option<String>,
    /// Identity Toolkit base (default `https://identitytoolkit.googleapis.com`).
    pub auth_url: Option<String>,
    /// Firestore REST base (default `https://firestore.googleapis.com`).
    pub firestore_url: Option<String>,
    /// Storage REST base (default `https://firebasestorage.googleapis.com`).
    pub storage_url: Option<String>,
    /// Firestore collections checked besides those the bundle names.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Realtime Database paths checked besides those the bundle names (`{uid}` = the caller's uid).
    #[serde(default)]
    pub paths: Vec<String>,
}

/// Item 3's role matrix: what only the admin may call.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRoles {
    /// `GET /api/admin/*`, `/admin/*` (any method); `*` matches any run of characters.
    #[serde(default)]
    pub admin_only: Vec<String>,
}

/// Item 2 settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawAuthChecks {
    /// Longest acceptable access-token lifetime in seconds (default 3600).
    pub max_token_lifetime_secs: Option<u64>,
}

/// Item 4 settings: the bounded bursts and the endpoints they target.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRateLimit {
    /// Requests per burst (default 30).
    pub burst: Option<u32>,
    /// Longest `Retry-After` of a tripped login limit the scan waits out at its end, so
    /// the test accounts can log in again when it returns (default 60 seconds).
    pub max_wait_secs: Option<u64>,
    /// `METHOD /path` of each kind, when discovery cannot find it.
    pub login: Option<String>,
    pub signup: Option<String>,
    pub reset: Option<String>,
    pub write: Option<String>,
    /// A sacrificial account the login burst may use (default: a random address that does not exist).
    pub login_username: Option<String>,
}

/// Item 9's declarations.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTransactions {
    pub atomic: Option<RawAtomic>,
    pub single_use: Option<RawSingleUse>,
}

/// A multi-step write: a valid body, a body whose later part is invalid, and a GET
/// that lists what the write creates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAtomic {
    /// `POST /api/orders`
    pub request: String,
    /// A write that succeeds; `{unique}` in a string becomes a fresh marker.
    pub valid: toml::Table,
    /// A write invalid in a later part; `{unique}` in a string becomes a fresh marker,
    /// by which the scanner tells its own records from anyone else's.
    pub partial: toml::Table,
    /// The list that shows the write's records, e.g. `/api/orders`.
    pub effect: String,
    pub identity: Option<String>,
}

/// A single-use action (redeem a coupon, accept an invite), fired concurrently.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSingleUse {
    /// Creates a fresh single-use token the scanner owns (optional).
    pub setup: Option<RawSetup>,
    /// `POST /api/coupons/redeem`
    pub action: String,
    /// The action's body; `{token}` is the setup's token.
    pub body: toml::Table,
    pub identity: Option<String>,
    /// Concurrent identical requests (default 10, at most 50).
    pub attempts: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSetup {
    /// `POST /api/coupons`; `{unique}` in the body becomes a fresh value.
    pub request: String,
    pub body: toml::Table,
    /// JSON pointer to the token in the setup's response, e.g. `/code`.
    pub token: String,
}

/// Item 10: where audit records can be read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub feed: String,
    /// The identity allowed to read it (default `admin`).
    pub identity: Option<String>,
    /// JSON pointer to the array of records (found when omitted).
    pub records: Option<String>,
    /// How long records may take to appear in the feed, in seconds (default 3).
    pub wait_secs: Option<f64>,
}

/// A create request for canaries: `POST create` with `body`, where `{canary}` is
/// replaced by a unique marker string.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCanary {
    /// `POST` URL of a JSON API collection (with `body`).
    pub create: Option<String>,
    pub body: Option<toml::Table>,
    /// Where the new object's id is in the create answer: a key (`experiment_id`), a key
    /// path (`data.id`) or a JSON pointer (`/data/id`); found by convention when absent.
    pub id: Option<String>,
    /// The URL that reads one object, with `{id}` (`/api/x/get?x_id={id}`), when it is
    /// neither the create answer's `Location` nor `create/{id}`.
    pub read: Option<String>,
    /// `METHOD /path` that deletes one object (`POST /api/x/delete`), when it is not
    /// `DELETE` on the object's URL; `{id}` goes in the path or in `delete_body`.
    pub delete: Option<String>,
    /// The JSON body of `delete`, with `{id}` where the id goes.
    pub delete_body: Option<toml::Table>,
    /// Instead of `create`: the page holding the HTML form that creates an object
    /// (`/notes/new`), for apps without a JSON API.
    pub form: Option<String>,
    /// Which form of the `form` page (a CSS selector); the first create form when absent.
    pub selector: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// Base URL of the app; its origin is in scope.
    pub url: String,
    /// More in-scope origins, e.g. an API on its own host.
    #[serde(default)]
    pub origins: Vec<String>,
    /// Where the crawl starts: paths relative to `url`, or absolute in-scope URLs.
    #[serde(default)]
    pub start: Vec<String>,
    /// Path prefixes never requested (a trailing `*` is allowed and ignored).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Origins never requested, even when the app's client names them (a Supabase
    /// project or Firebase database detected in the bundle joins the scope otherwise).
    #[serde(default)]
    pub forbid_origins: Vec<String>,
    /// Origins the app deliberately lets call it cross-origin (CORS); never reported.
    #[serde(default)]
    pub trusted_origins: Vec<String>,
    /// How to trust a staging server's certificate (and present a client one).
    pub tls: Option<RawTls>,
}

/// `[target.tls]`: file paths, read when the config resolves.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    /// A PEM bundle of CA certificates trusted besides the platform's roots.
    pub ca: Option<String>,
    /// A PEM client certificate (chain) for servers that require mTLS.
    pub client_cert: Option<String>,
    /// The PEM private key of `client_cert`.
    pub client_key: Option<String>,
    /// Accept any server certificate; for throwaway staging boxes only.
    #[serde(default)]
    pub insecure: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub rate: Option<u32>,
    pub burst: Option<u32>,
    pub concurrency: Option<u32>,
    pub timeout_secs: Option<f64>,
    pub body_cap_kib: Option<u64>,
    /// Bytes of a script, chunk or source map read at most, in KiB (default 8192).
    pub script_cap_kib: Option<u64>,
    pub max_pages: Option<u32>,
    pub max_depth: Option<u32>,
    pub max_scripts: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSafety {
    /// Writes and deletes only on objects the scanner created (default true).
    pub safe_mode: Option<bool>,
    /// Tenant B sends tenant A's objects back unchanged (PUT/PATCH) to prove a missing
    /// write check (default true).
    pub noop_writes: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    /// Which tenant this identity belongs to (`a` or `b`); defaults to its own name for a and b.
    pub tenant: Option<String>,
    /// Its role in the app, free text (`admin`, `member`).
    pub role: Option<String>,
    pub login: RawLogin,
    pub check: Option<RawRequest>,
    pub logout: Option<RawRequest>,
    /// Header carrying the CSRF token on unsafe requests of a cookie session.
    pub csrf: Option<RawCsrf>,
}

/// How an identity gets its session.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum RawLogin {
    /// POST a JSON body; read a token from the response or keep its cookies.
    Json {
        url: String,
        username: String,
        password: String,
        #[serde(default = "default_username_field")]
        username_field: String,
        #[serde(default = "default_password_field")]
        password_field: String,
        /// More body fields, sent as written (no secrets here).
        #[serde(default)]
        extra: BTreeMap<String, toml::Value>,
        /// JSON pointer to the token in the response (`/access_token`); none = cookie session.
        token: Option<String>,
        /// `bearer` (default with a token), `header:NAME`, or `cookie:NAME`.
        send: Option<String>,
        /// As `identities.X.csrf` (either place, not both).
        csrf: Option<RawCsrf>,
    },
    /// GET a login page, fill its form (hidden fields such as CSRF tokens included), submit it.
    Form {
        page: String,
        username: String,
        password: String,
        /// Input names; found from the form's `type=email`/`type=password` inputs when omitted.
        username_field: Option<String>,
        password_field: Option<String>,
        /// CSS selector of the form when the page has several.
        selector: Option<String>,
        /// As `identities.X.csrf` (either place, not both).
        csrf: Option<RawCsrf>,
    },
    /// HTTP Basic: every request carries `Authorization: Basic base64(username:password)`.
    Basic {
        username: String,
        password: String,
        /// A URL that asks for the credentials (answers 401 without them), where wrong
        /// passwords are tried; the identity's `check` when omitted.
        url: Option<String>,
        /// As `identities.X.csrf` (either place, not both).
        csrf: Option<RawCsrf>,
    },
    /// A token obtained out of band.
    Token {
        token: String,
        /// `bearer` (default), `header:NAME` or `cookie:NAME`.
        send: Option<String>,
        /// As `identities.X.csrf` (either place, not both).
        csrf: Option<RawCsrf>,
    },
    /// Firebase Auth: email and password through the Identity Toolkit REST API
    /// (`accounts:signInWithPassword`, with `firebase.api_key`); the ID token it answers
    /// is the session.
    Firebase {
        email: String,
        password: String,
        /// `bearer` (default), `header:NAME` or `cookie:NAME`: how the app's own API
        /// takes the ID token. Firestore gets it as a bearer token, the Realtime
        /// Database as `?auth=`, whatever this says.
        send: Option<String>,
        /// As `identities.X.csrf` (either place, not both).
        csrf: Option<RawCsrf>,
    },
    /// A session cookie obtained out of band.
    Cookie {
        name: String,
        value: String,
        /// As `identities.X.csrf` (either place, not both).
        csrf: Option<RawCsrf>,
    },
    /// Supabase Auth: email and password through `POST {project}/auth/v1/token?grant_type=password`;
    /// requests then carry `Authorization: Bearer <access_token>` and the `apikey` header.
    Supabase {
        email: String,
        password: String,
        /// The project URL (`https://<ref>.supabase.co`); detected from the app's
        /// client when omitted.
        project: Option<String>,
        /// The project's anon or publishable key (public by design; `${ENV}` works too);
        /// detected from the app's client when omitted.
        anon_key: Option<String>,
    },
}

impl RawLogin {
    /// The CSRF source written under `[identities.X.login]`.
    pub fn csrf(&self) -> Option<&RawCsrf> {
        match self {
            RawLogin::Json { csrf, .. }
            | RawLogin::Form { csrf, .. }
            | RawLogin::Basic { csrf, .. }
            | RawLogin::Token { csrf, .. }
            | RawLogin::Firebase { csrf, .. }
            | RawLogin::Cookie { csrf, .. } => csrf.as_ref(),
            // A bearer session: no cookie, so no CSRF token to echo.
            RawLogin::Supabase { .. } => None,
        }
    }
}

fn default_username_field() -> String {
    "email".into()
}

fn default_password_field() -> String {
    "password".into()
}

/// A request named in the config, e.g. an identity's check or logout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    #[serde(default = "default_method")]
    pub method: String,
    pub url: String,
    /// Statuses that count as success (default: any 2xx).
    #[serde(default)]
    pub expect_status: Vec<u16>,
}

fn default_method() -> String {
    "GET".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCsrf {
    /// Header to send the token in, e.g. `X-CSRF-Token`.
    pub header: String,
    /// `meta:NAME` (a `<meta name=NAME content=...>` of the app page) or `cookie:NAME`.
    pub from: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSeeds {
    /// Endpoints the crawl may not find, as `METHOD /path` or `/path` (GET).
    #[serde(default)]
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttestation {
    /// Item 12: who vouches that the code can be exported and self-hosted.
    pub attested_by: String,
    /// Where the code lives.
    pub repository: String,
}

/// Parses the file text; errors carry the file name, line and column in one line.
pub fn parse(text: &str, source: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let place = e.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(" line {line}, column {col}")
        });
        ConfigError::Parse {
            source_name: source.to_string(),
            place: place.unwrap_or_default(),
            message: e.message().trim().replace('\n', " "),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let text = "[target]\nurl = \"http://127.0.0.1:1\"\n[limits]\nrate = 5\nrat = 6\n";
        let err = parse(text, "scan.toml").unwrap_err().to_string();
        assert!(err.contains("scan.toml line 5"), "{err}");
        assert!(err.contains("rat"), "{err}");
    }

    /// The keys a table accepts, read from serde's own error for an unknown key placed
    /// where `{BOGUS}` is (so a key added to a type shows up here without a list to keep).
    fn accepted(text: &str) -> Vec<String> {
        let err = parse(&text.replace("{BOGUS}", "prodready_no_such_key = 1"), "t")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let Some((_, expected)) = err.split_once("expected") else {
            panic!("no list of accepted keys in: {err}\n{text}");
        };
        expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_accepted_key_is_in_the_readme() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let t = "[target]\nurl = \"http://127.0.0.1:1\"\n";
        let login = |kind: &str| format!("{t}[identities.a.login]\nkind = \"{kind}\"\n{{BOGUS}}\n");
        let mut tables: Vec<(String, String)> = vec![
            ("top level".into(), format!("{{BOGUS}}\n{t}")),
            ("target".into(), format!("{t}{{BOGUS}}\n")),
            (
                "identities.a".into(),
                format!("{t}[identities.a]\n{{BOGUS}}\n"),
            ),
            (
                "identities.a.check".into(),
                format!("{t}[identities.a.check]\nurl = \"/\"\n{{BOGUS}}\n"),
            ),
            (
                "identities.a.csrf".into(),
                format!("{t}[identities.a.csrf]\nheader = \"h\"\n{{BOGUS}}\n"),
            ),
            ("canaries".into(), format!("{t}[[canaries]]\n{{BOGUS}}\n")),
        ];
        for table in [
            "target.tls",
            "limits",
            "safety",
            "seeds",
            "transactions",
            "transactions.atomic",
            "transactions.single_use",
            "transactions.single_use.setup",
            "audit",
            "attestation",
            "auth",
            "rate_limit",
            "roles",
            "discovery",
            "firebase",
        ] {
            tables.push((table.into(), format!("{t}[{table}]\n{{BOGUS}}\n")));
        }
        let kinds = accepted(&login("prodready_no_such_kind").replace("{BOGUS}", ""));
        assert!(kinds.contains(&"basic".to_string()), "{kinds:?}");
        for kind in &kinds {
            assert!(
                readme.contains(&format!("kind = \"{kind}\"")),
                "README.md shows no login of kind = \"{kind}\""
            );
            tables.push((format!("identities.a.login (kind {kind})"), login(kind)));
        }
        let mut missing = Vec::new();
        for (table, text) in &tables {
            for key in accepted(text) {
                let shown = [
                    format!("{key} ="),
                    format!("`{key}`"),
                    format!(".{key}"),
                    format!("[{key}"),
                ]
                .iter()
                .any(|form| readme.contains(form.as_str()));
                if !shown {
                    missing.push(format!("{table}.{key}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from README.md: {missing:?}"
        );
    }

    #[test]
    fn login_kinds_parse() {
        let text = r#"
            [target]
            url = "http://127.0.0.1:1"
            [identities.a.login]
            kind = "json"
            url = "/login"
            username = "a@x.test"
            password = "${A_PW}"
            token = "/token"
            [identities.b.login]
            kind = "form"
            page = "/login"
            username = "b@x.test"
            password = "file:/run/b"
        "#;
        let raw = parse(text, "t").unwrap();
        assert!(matches!(raw.identities["a"].login, RawLogin::Json { .. }));
        assert!(matches!(raw.identities["b"].login, RawLogin::Form { .. }));
    }
}
