//! An MDN HTTP Observatory-compatible score and letter grade for one page.
//!
//! Modifiers, the extra-credit rule (bonuses count only when the score without them is
//! at least 90) and the grade bands follow the Observatory's published score table
//! (`src/grader/charts.js` of mdn/mdn-http-observatory). Deviations, on purpose:
//! - Over plain http on a loopback host (a test deploy) HSTS and the http->https
//!   redirection cannot be shown, so they are not judged (modifier 0, said in the
//!   grade's notes) where the Observatory charges -20 each. Over http on any other
//!   host they are charged as the Observatory does.
//! - Over https the http->https redirection is not judged: the http origin is out of
//!   the scan's scope. HSTS preloading (+5) is never checked (it needs the preload list).
//! - A report-only CSP is graded like a missing one (-25).
//! - A script nonce seen unchanged on a second response is graded like
//!   `'unsafe-inline'` (-20): the Observatory fetches the page once and cannot tell.
//! - `frame-ancestors` that lets any site frame the page (`*`, a bare scheme) is graded
//!   as no framing protection (-20), even beside `X-Frame-Options: DENY`: browsers
//!   ignore X-Frame-Options once a policy has frame-ancestors. The Observatory counts
//!   any frame-ancestors as protection (+5).
//! - Cookies are graded from the start page's `Set-Cookie` headers only.
//!
//! As the Observatory does, the CORS test reads the answer to a preflight (`OPTIONS`
//! with `Access-Control-Request-Method: GET` and an `Origin`), the referrer policy
//! counts `<meta name="referrer">` after the header, and the CSP counts `<meta>` policies.

use url::Url;

use crate::families::headers::csp::{Evaluation, Weakness};
use crate::http::Response;

/// One graded test: the Observatory test name, its result and the modifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modifier {
    pub test: &'static str,
    pub result: &'static str,
    pub modifier: i32,
}

/// The score, grade and the modifiers that made them.
#[derive(Debug, Clone)]
pub struct Grade {
    pub score: i32,
    pub grade: &'static str,
    pub modifiers: Vec<Modifier>,
    /// What could not be judged, and why.
    pub not_judged: Vec<String>,
}

/// Grade bands, highest first: (lowest score of the band, grade).
const BANDS: &[(i32, &str)] = &[
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
];
const MINIMUM_SCORE_FOR_EXTRA_CREDIT: i32 = 90;

/// The letter grade of a score (floored to a multiple of five, capped at 100).
pub fn letter(score: i32) -> &'static str {
    let s = score.max(0);
    let s = (s - s % 5).min(100);
    BANDS
        .iter()
        .find(|(min, _)| s >= *min)
        .map_or("F", |(_, g)| g)
}

/// What the grader needs beyond the response itself.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The target is plain http on a loopback host: HSTS and redirection not judged.
    pub loopback_http: bool,
    /// For an http target: the start URL answered with a redirect whose first hop is
    /// https on the same host (`Some(true)`), elsewhere (`Some(false)`), or no redirect (`None`).
    pub http_redirect: Option<bool>,
    /// The grading request sent this `Origin` (to see whether it is reflected).
    pub origin_sent: Option<String>,
    /// The headers of the answer to the CORS preflight sent with `origin_sent`, when
    /// one came; without it the graded response's own headers are read.
    pub preflight: Option<Vec<(String, String)>>,
}

fn m(test: &'static str, result: &'static str, modifier: i32) -> Modifier {
    Modifier {
        test,
        result,
        modifier,
    }
}

/// Grades one page response the way the Observatory grades a site's start page.
pub fn grade(resp: &Response, csp: &Evaluation, ctx: &Context) -> Grade {
    let https = resp.url.scheme() == "https";
    let mut mods = Vec::new();
    let mut not_judged = Vec::new();
    mods.push(csp_modifier(csp));
    mods.push(cookies_modifier(
        resp,
        https,
        ctx.loopback_http,
        &mut not_judged,
    ));
    mods.push(cors_modifier(resp, ctx));
    // Redirection.
    if https {
        not_judged.push("http->https redirection (the http origin is out of scope)".into());
        mods.push(m("redirection", "not-judged", 0));
    } else if ctx.loopback_http {
        not_judged.push("http->https redirection (plain http on loopback)".into());
        mods.push(m("redirection", "not-judged", 0));
    } else {
        mods.push(match ctx.http_redirect {
            Some(true) => m("redirection", "redirection-to-https", 0),
            Some(false) => m("redirection", "redirection-not-to-https", -20),
            None => m("redirection", "redirection-missing", -20),
        });
    }
    mods.push(referrer_modifier(resp));
    // HSTS.
    if https {
        mods.push(match resp.header("strict-transport-security") {
            None => m("strict-transport-security", "hsts-not-implemented", -20),
            Some(v) => match hsts_max_age(v) {
                None => m("strict-transport-security", "hsts-header-invalid", -20),
                Some(age) if age >= 15_768_000 => m(
                    "strict-transport-security",
                    "hsts-implemented-max-age-at-least-six-months",
                    0,
                ),
                Some(_) => m(
                    "strict-transport-security",
                    "hsts-implemented-max-age-less-than-six-months",
                    -10,
                ),
            },
        });
    } else if ctx.loopback_http {
        not_judged.push("HSTS (plain http on loopback; browsers ignore HSTS over http)".into());
        mods.push(m("strict-transport-security", "not-judged", 0));
    } else {
        mods.push(m(
            "strict-transport-security",
            "hsts-not-implemented-no-https",
            -20,
        ));
    }
    mods.push(sri_modifier(resp));
    mods.push(match resp.header("x-content-type-options").map(str::trim) {
        None => m(
            "x-content-type-options",
            "x-content-type-options-not-implemented",
            -5,
        ),
        Some(v) if v.eq_ignore_ascii_case("nosniff") => m(
            "x-content-type-options",
            "x-content-type-options-nosniff",
            0,
        ),
        Some(_) => m(
            "x-content-type-options",
            "x-content-type-options-header-invalid",
            -5,
        ),
    });
    mods.push(xfo_modifier(resp, csp));
    mods.push(
        match resp
            .header("cross-origin-resource-policy")
            .map(|v| v.trim().to_ascii_lowercase())
        {
            None => m("cross-origin-resource-policy", "corp-not-implemented", 0),
            Some(v) if v == "same-origin" => m(
                "cross-origin-resource-policy",
                "corp-implemented-with-same-origin",
                10,
            ),
            Some(v) if v == "same-site" => m(
                "cross-origin-resource-policy",
                "corp-implemented-with-same-site",
                10,
            ),
            Some(v) if v == "cross-origin" => m(
                "cross-origin-resource-policy",
                "corp-implemented-with-cross-origin",
                0,
            ),
            Some(_) => m("cross-origin-resource-policy", "corp-header-invalid", -5),
        },
    );
    let uncurved: i32 = 100 + mods.iter().map(|x| x.modifier.min(0)).sum::<i32>();
    let full: i32 = 100 + mods.iter().map(|x| x.modifier).sum::<i32>();
    let score = if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT {
        full
    } else {
        uncurved
    }
    .max(0);
    Grade {
        score,
        grade: letter(score),
        modifiers: mods,
        not_judged,
    }
}

fn csp_modifier(csp: &Evaluation) -> Modifier {
    let has = |f: &dyn Fn(&Weakness) -> bool| csp.weaknesses.iter().any(f);
    const T: &str = "content-security-policy";
    if has(&|w| matches!(w, Weakness::Missing { .. })) {
        return m(T, "csp-not-implemented", -25);
    }
    if has(&|w| {
        matches!(
            w,
            Weakness::Invalid(_) | Weakness::StrictDynamicWithoutNonce
        )
    }) {
        return m(T, "csp-header-invalid", -25);
    }
    if has(&|w| {
        matches!(
            w,
            Weakness::UnsafeInline(_)
                | Weakness::StaticNonce(_)
                | Weakness::BroadScriptSource(_)
                | Weakness::ObjectSrcUnrestricted
        )
    }) {
        return m(T, "csp-implemented-with-unsafe-inline", -20);
    }
    if has(&|w| matches!(w, Weakness::InsecureScheme(_))) {
        return m(T, "csp-implemented-with-insecure-scheme", -20);
    }
    if has(&|w| matches!(w, Weakness::UnsafeEval)) {
        return m(T, "csp-implemented-with-unsafe-eval", -10);
    }
    if csp.insecure_passive {
        return m(
            T,
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            -10,
        );
    }
    if csp.unsafe_style {
        return m(T, "csp-implemented-with-unsafe-inline-in-style-src-only", 0);
    }
    if csp.default_none {
        return m(T, "csp-implemented-with-no-unsafe-default-src-none", 10);
    }
    m(T, "csp-implemented-with-no-unsafe", 5)
}

/// The `max-age` of an HSTS value, `None` when it is missing or malformed.
pub fn hsts_max_age(value: &str) -> Option<u64> {
    value.split(';').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse().ok())
            .flatten()
    })
}

const SAFE_REFERRER: &[&str] = &[
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
];
const UNSAFE_REFERRER: &[&str] = &[
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
];

/// The effective Referrer-Policy: the last recognised token of all values, headers
/// first and then `<meta name="referrer">` (which the document applies last).
pub fn referrer_policy(resp: &Response) -> Option<Result<String, String>> {
    let mut values: Vec<String> = resp
        .headers_named("referrer-policy")
        .map(str::to_string)
        .collect();
    values.extend(meta_referrers(resp));
    if values.is_empty() {
        return None;
    }
    let tokens: Vec<String> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let known = tokens
        .iter()
        .rev()
        .find(|t| SAFE_REFERRER.contains(&t.as_str()) || UNSAFE_REFERRER.contains(&t.as_str()));
    Some(known.cloned().ok_or_else(|| values.join(", ")))
}

/// The policies of the `<meta name="referrer">` tags of an HTML page, in document order
/// (each valid one replaces the one before), legacy keywords mapped as browsers map
/// them (`never`, `always`, `default`, `origin-when-crossorigin`).
pub fn meta_referrers(resp: &Response) -> Vec<String> {
    if !resp.is_html() {
        return Vec::new();
    }
    let (doc, _) = crate::discover::html::parse_bounded(&resp.text());
    let Ok(sel) = scraper::Selector::parse("meta[name][content]") else {
        return Vec::new();
    };
    doc.select(&sel)
        .filter(|e| {
            e.value()
                .attr("name")
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("referrer"))
        })
        .filter_map(|e| e.value().attr("content"))
        .map(|c| {
            let c = c.trim().to_ascii_lowercase();
            match c.as_str() {
                "never" => "no-referrer".to_string(),
                "always" => "unsafe-url".to_string(),
                "default" => "strict-origin-when-cross-origin".to_string(),
                "origin-when-crossorigin" => "origin-when-cross-origin".to_string(),
                _ => c,
            }
        })
        .filter(|c| !c.is_empty())
        .collect()
}

fn referrer_modifier(resp: &Response) -> Modifier {
    const T: &str = "referrer-policy";
    match referrer_policy(resp) {
        None => m(T, "referrer-policy-not-implemented", 0),
        Some(Err(_)) => m(T, "referrer-policy-header-invalid", -5),
        Some(Ok(p)) if SAFE_REFERRER.contains(&p.as_str()) => m(T, "referrer-policy-private", 5),
        Some(Ok(_)) => m(T, "referrer-policy-unsafe", -5),
    }
}

fn xfo_modifier(resp: &Response, csp: &Evaluation) -> Modifier {
    const T: &str = "x-frame-options";
    if csp.frame_ancestors_protect {
        return m(T, "x-frame-options-implemented-via-csp", 5);
    }
    if csp.frame_ancestors_set {
        // Browsers ignore X-Frame-Options beside frame-ancestors, which allows anyone.
        return m(T, "x-frame-options-not-implemented", -20);
    }
    match resp
        .header("x-frame-options")
        .map(|v| v.trim().to_ascii_uppercase())
    {
        None => m(T, "x-frame-options-not-implemented", -20),
        Some(v) if v == "DENY" || v == "SAMEORIGIN" => {
            m(T, "x-frame-options-sameorigin-or-deny", 0)
        }
        Some(v) if v.starts_with("ALLOW-FROM") => m(T, "x-frame-options-allow-from-origin", 0),
        Some(_) => m(T, "x-frame-options-header-invalid", -20),
    }
}

fn cors_modifier(resp: &Response, ctx: &Context) -> Modifier {
    const T: &str = "cross-origin-resource-sharing";
    let headers = ctx.preflight.as_deref().unwrap_or(&resp.headers);
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.trim())
    };
    let Some(acao) = get("access-control-allow-origin") else {
        return m(T, "cross-origin-resource-sharing-not-implemented", 0);
    };
    let creds =
        get("access-control-allow-credentials").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if acao == "*" {
        return m(
            T,
            "cross-origin-resource-sharing-implemented-with-public-access",
            0,
        );
    }
    if creds && ctx.origin_sent.as_deref() == Some(acao) {
        return m(
            T,
            "cross-origin-resource-sharing-implemented-with-universal-access",
            -50,
        );
    }
    m(
        T,
        "cross-origin-resource-sharing-implemented-with-restricted-access",
        0,
    )
}

/// A `Set-Cookie` header, parsed far enough to grade and judge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    pub name: String,
    pub value_len: usize,
    /// The value has the shape of a session whatever the name: a JWT or a framework's
    /// signed session (`eyJ...`, `.eJ...`, express `s:...`, Rails `...--digest`).
    pub session_value: bool,
    pub secure: bool,
    pub http_only: bool,
    /// The `SameSite` value as sent (lower-case), if any.
    pub same_site: Option<String>,
    pub domain: Option<String>,
    pub path: Option<String>,
    pub max_age: Option<i64>,
    pub expires: Option<String>,
}

impl SetCookie {
    /// Whether this `Set-Cookie` removes the cookie rather than sets one: an empty
    /// value, `Max-Age` zero or less, or an `Expires` in a past year (`deleted;
    /// expires=Thu, 01-Jan-1970` is how PHP and others clear a cookie).
    pub fn clears(&self) -> bool {
        let past_year = self.expires.as_deref().is_some_and(|e| {
            e.split(|c: char| !c.is_ascii_digit())
                .filter(|t| t.len() == 4)
                .filter_map(|t| t.parse::<i32>().ok())
                .any(|y| y < time::OffsetDateTime::now_utc().year())
        });
        self.value_len == 0 || self.max_age.is_some_and(|a| a <= 0) || past_year
    }
}

/// Parses one `Set-Cookie` value (attributes are case-insensitive).
pub fn parse_set_cookie(header: &str) -> Option<SetCookie> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let mut c = SetCookie {
        name: name.trim().to_string(),
        value_len: value.trim().len(),
        session_value: is_session_value(value.trim().trim_matches('"')),
        secure: false,
        http_only: false,
        same_site: None,
        domain: None,
        path: None,
        max_age: None,
        expires: None,
    };
    if c.name.is_empty() {
        return None;
    }
    for attr in parts {
        let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "secure" => c.secure = true,
            "httponly" => c.http_only = true,
            "samesite" => c.same_site = Some(v.to_ascii_lowercase()),
            "domain" => c.domain = Some(v.trim_start_matches('.').to_ascii_lowercase()),
            "path" => c.path = Some(v.to_string()),
            "max-age" => c.max_age = v.parse().ok(),
            "expires" => c.expires = Some(v.to_string()),
            _ => {}
        }
    }
    Some(c)
}

/// Words that make a session-sounding name something else: where to go after login,
/// when it happened, a preference (`login_redirect`, `session_expires_at`,
/// `last_login_at`, `next-auth.callback-url`, `remember_lang`).
const NOT_A_SESSION: &[&str] = &[
    "redirect", "return", "url", "hint", "method", "time", "last", "date", "expires", "expiry",
    "pref", "prefs", "lang", "locale", "theme", "consent", "banner", "seen", "count",
];

/// Names that say a cookie carries a session: the Observatory's `sess` and `login`
/// anywhere in the name, and whole words such as `sid`, `auth`, `token`, `jwt`,
/// `remember`, `identity` (`connect.sid`, `authToken`, `remember_web_1`), so that
/// `sidebar` or `author_view` are not sessions; nor is a name that says it holds a
/// URL, a time or a preference.
pub fn is_session_name(name: &str) -> bool {
    if is_csrf_name(name) {
        return false;
    }
    if names_something_else(name) {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    if ["sess", "login", "jwt"].iter().any(|s| lower.contains(s)) {
        return true;
    }
    name_words(name).iter().any(|w| {
        matches!(
            w.as_str(),
            "sid" | "ssid" | "auth" | "authn" | "remember" | "identity" | "logged"
        ) || w.ends_with("token")
            || (w.starts_with("auth") && !w.starts_with("author"))
            || w.starts_with("authoriz")
    })
}

/// Whether a cookie's name says it holds a URL, a time or a preference (see
/// [`NOT_A_SESSION`]): such a cookie is not a session whatever its value looks like.
pub fn names_something_else(name: &str) -> bool {
    name_words(name)
        .iter()
        .any(|w| NOT_A_SESSION.contains(&w.as_str()))
}

/// The lower-case words of a cookie name: split at non-alphanumerics and camelCase.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut word = String::new();
        let mut prev_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c.to_ascii_lowercase());
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

/// Whether a cookie value has the shape of a session token (see [`SetCookie::session_value`]).
pub fn is_session_value(value: &str) -> bool {
    let b64 = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '=' | '+' | '/'))
    };
    let parts: Vec<&str> = value.split('.').collect();
    // A JWT or an itsdangerous-signed (Flask, Django signing) JSON payload.
    let signed_json = (value.starts_with("eyJ") || value.starts_with(".eJ"))
        && value.len() >= 24
        && parts.iter().filter(|p| b64(p)).count() >= 2;
    // express-session: `s:` + id + `.` + signature, usually URL-encoded.
    let express = (value.starts_with("s%3A") || value.starts_with("s:"))
        && value.contains('.')
        && value.len() >= 24;
    // Rails: signed `payload--hexdigest`, encrypted `payload--iv--tag` (URL-encoded).
    let value = value
        .replace("%3D", "=")
        .replace("%2F", "/")
        .replace("%2B", "+");
    let rails_parts: Vec<&str> = value.split("--").collect();
    let rails_signed = rails_parts.len() == 2
        && rails_parts[0].len() >= 16
        && b64(rails_parts[0])
        && rails_parts[1].len() >= 40
        && rails_parts[1].chars().all(|c| c.is_ascii_hexdigit());
    let rails_encrypted =
        rails_parts.len() == 3 && value.len() >= 40 && rails_parts.iter().all(|p| b64(p));
    signed_json || express || rails_signed || rails_encrypted
}

/// Names that say a cookie carries an anti-CSRF token.
pub fn is_csrf_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("csrf") || n.contains("xsrf")
}

fn cookies_modifier(
    resp: &Response,
    https: bool,
    loopback_http: bool,
    not_judged: &mut Vec<String>,
) -> Modifier {
    const T: &str = "cookies";
    let cookies: Vec<SetCookie> = resp
        .headers_named("set-cookie")
        .filter_map(parse_set_cookie)
        // Cookies being cleared carry nothing.
        .filter(|c| !c.clears())
        .collect();
    if cookies.is_empty() {
        return m(T, "cookies-not-found", 0);
    }
    let secure_judged = https || !loopback_http;
    if !secure_judged {
        not_judged.push("the cookies' Secure flag (plain http on loopback)".into());
    }
    let session = |c: &&SetCookie| is_session_name(&c.name);
    if cookies.iter().any(|c| {
        c.same_site
            .as_deref()
            .is_some_and(|s| !["strict", "lax", "none"].contains(&s))
    }) {
        return m(T, "cookies-samesite-flag-invalid", -20);
    }
    if secure_judged && cookies.iter().filter(session).any(|c| !c.secure) {
        return m(T, "cookies-session-without-secure-flag", -40);
    }
    if cookies.iter().filter(session).any(|c| !c.http_only) {
        return m(T, "cookies-session-without-httponly-flag", -30);
    }
    if cookies
        .iter()
        .any(|c| is_csrf_name(&c.name) && c.same_site.is_none())
    {
        return m(T, "cookies-anticsrf-without-samesite-flag", -20);
    }
    if secure_judged && cookies.iter().any(|c| !c.secure) {
        return m(T, "cookies-without-secure-flag", -20);
    }
    if cookies.iter().all(|c| c.same_site.is_some()) {
        m(T, "cookies-secure-with-httponly-sessions-and-samesite", 5)
    } else {
        m(T, "cookies-secure-with-httponly-sessions", 0)
    }
}

/// `<script src>` URLs of an HTML page with whether they carry `integrity`.
fn scripts(resp: &Response) -> Vec<(String, bool)> {
    // The head (meta tags, scripts) comes first; a bounded prefix keeps hostile pages cheap.
    let (doc, _) = crate::discover::html::parse_bounded(&resp.text());
    let Ok(sel) = scraper::Selector::parse("script[src]") else {
        return Vec::new();
    };
    doc.select(&sel)
        .filter_map(|e| {
            let src = e.value().attr("src")?.to_string();
            Some((src, e.value().attr("integrity").is_some()))
        })
        .collect()
}

fn sri_modifier(resp: &Response) -> Modifier {
    const T: &str = "subresource-integrity";
    if !resp.is_html() {
        return m(T, "sri-not-implemented-response-not-html", 0);
    }
    let list = scripts(resp);
    if list.is_empty() {
        return m(T, "sri-not-implemented-but-no-scripts-loaded", 0);
    }
    let mut external_insecure = false;
    let mut external = false;
    let mut all_sri = true;
    for (src, sri) in &list {
        all_sri &= *sri;
        let protocol_relative = src.starts_with("//");
        let Ok(u) = resp.url.join(src) else { continue };
        if u.origin() == resp.url.origin() && !protocol_relative {
            continue;
        }
        if same_site(&u, &resp.url) && u.scheme() == "https" && !protocol_relative {
            continue;
        }
        external = true;
        if u.scheme() != "https" || protocol_relative {
            external_insecure = true;
        }
    }
    match (external, external_insecure, all_sri) {
        (_, true, true) => m(
            T,
            "sri-implemented-but-external-scripts-not-loaded-securely",
            -20,
        ),
        (_, true, false) => m(
            T,
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
            -50,
        ),
        (true, false, true) => m(T, "sri-implemented-and-external-scripts-loaded-securely", 5),
        (true, false, false) => m(
            T,
            "sri-not-implemented-but-external-scripts-loaded-securely",
            -5,
        ),
        (false, _, true) => m(T, "sri-implemented-and-all-scripts-loaded-securely", 5),
        (false, _, false) => m(
            T,
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
            0,
        ),
    }
}

/// Same registrable-ish site: the last two labels of the host agree.
fn same_site(a: &Url, b: &Url) -> bool {
    let tail = |u: &Url| {
        let h = u.host_str().unwrap_or("").to_string();
        let labels: Vec<&str> = h.rsplitn(3, '.').collect();
        labels.into_iter().take(2).collect::<Vec<_>>().join(".")
    };
    tail(a) == tail(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::headers::csp;

    const HARDENED: &[(&str, &str)] = &[
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ];

    fn page(url: &str, headers: &[(&str, &str)], body: &str) -> Response {
        let mut h: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        h.push(("content-type".into(), "text/html; charset=utf-8".into()));
        Response::synthetic(Url::parse(url).unwrap(), 200, h, body.to_string())
    }

    fn graded(url: &str, headers: &[(&str, &str)], body: &str, ctx: &Context) -> Grade {
        let r = page(url, headers, body);
        let csp_h: Vec<&str> = r.headers_named("content-security-policy").collect();
        let ev = csp::evaluate(&csp::collect(&csp_h, &[], &[]), url.starts_with("https"));
        grade(&r, &ev, ctx)
    }

    fn result_of(g: &Grade, test: &str) -> (&'static str, i32) {
        let x = g.modifiers.iter().find(|x| x.test == test).unwrap();
        (x.result, x.modifier)
    }

    #[test]
    fn bands() {
        for (score, g) in [
            (135, "A+"),
            (100, "A+"),
            (99, "A"),
            (90, "A"),
            (89, "A-"),
            (80, "B+"),
            (79, "B"),
            (65, "B-"),
            (60, "C+"),
            (50, "C"),
            (45, "C-"),
            (40, "D+"),
            (30, "D"),
            (25, "D-"),
            (24, "F"),
            (-10, "F"),
        ] {
            assert_eq!(letter(score), g, "{score}");
        }
    }

    /// Response headers, the Observatory test, its expected result and modifier.
    type Vector<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str, i32);

    /// Header vectors and the modifier each test must give them.
    #[test]
    fn header_vectors() {
        let https = Context::default();
        let table: &[Vector] = &[
            (&[], "content-security-policy", "csp-not-implemented", -25),
            (
                &[("content-security-policy", "default-src 'none'")],
                "content-security-policy",
                "csp-implemented-with-no-unsafe-default-src-none",
                10,
            ),
            (
                &[(
                    "content-security-policy",
                    "default-src 'self'; object-src 'none'; base-uri 'none'",
                )],
                "content-security-policy",
                "csp-implemented-with-no-unsafe",
                5,
            ),
            (
                &[(
                    "content-security-policy",
                    "default-src 'self' 'unsafe-inline'",
                )],
                "content-security-policy",
                "csp-implemented-with-unsafe-inline",
                -20,
            ),
            (
                &[(
                    "content-security-policy",
                    "default-src 'self' 'unsafe-eval'; object-src 'none'",
                )],
                "content-security-policy",
                "csp-implemented-with-unsafe-eval",
                -10,
            ),
            (
                &[(
                    "content-security-policy",
                    "default-src 'self'; style-src 'unsafe-inline'",
                )],
                "content-security-policy",
                "csp-implemented-with-unsafe-inline-in-style-src-only",
                0,
            ),
            (
                &[(
                    "content-security-policy",
                    "script-src 'strict-dynamic'; object-src 'none'",
                )],
                "content-security-policy",
                "csp-header-invalid",
                -25,
            ),
            (
                &[(
                    "content-security-policy",
                    "default-src 'self'; img-src http:",
                )],
                "content-security-policy",
                "csp-implemented-with-insecure-scheme-in-passive-content-only",
                -10,
            ),
            (
                &[],
                "strict-transport-security",
                "hsts-not-implemented",
                -20,
            ),
            (
                &[("strict-transport-security", "max-age=300")],
                "strict-transport-security",
                "hsts-implemented-max-age-less-than-six-months",
                -10,
            ),
            (
                &[("strict-transport-security", "max-age=15768000")],
                "strict-transport-security",
                "hsts-implemented-max-age-at-least-six-months",
                0,
            ),
            (
                &[("strict-transport-security", "maxage=1")],
                "strict-transport-security",
                "hsts-header-invalid",
                -20,
            ),
            (
                &[],
                "x-content-type-options",
                "x-content-type-options-not-implemented",
                -5,
            ),
            (
                &[("x-content-type-options", "nosniff")],
                "x-content-type-options",
                "x-content-type-options-nosniff",
                0,
            ),
            (
                &[("x-content-type-options", "sniff")],
                "x-content-type-options",
                "x-content-type-options-header-invalid",
                -5,
            ),
            (
                &[],
                "x-frame-options",
                "x-frame-options-not-implemented",
                -20,
            ),
            (
                &[("x-frame-options", "sameorigin")],
                "x-frame-options",
                "x-frame-options-sameorigin-or-deny",
                0,
            ),
            (
                &[("x-frame-options", "allow-all")],
                "x-frame-options",
                "x-frame-options-header-invalid",
                -20,
            ),
            (
                &[("content-security-policy", "frame-ancestors 'self'")],
                "x-frame-options",
                "x-frame-options-implemented-via-csp",
                5,
            ),
            (
                &[("content-security-policy", "frame-ancestors *")],
                "x-frame-options",
                "x-frame-options-not-implemented",
                -20,
            ),
            (&[], "referrer-policy", "referrer-policy-not-implemented", 0),
            (
                &[("referrer-policy", "no-referrer")],
                "referrer-policy",
                "referrer-policy-private",
                5,
            ),
            (
                &[("referrer-policy", "unsafe-url")],
                "referrer-policy",
                "referrer-policy-unsafe",
                -5,
            ),
            (
                &[("referrer-policy", "unsafe-url, strict-origin")],
                "referrer-policy",
                "referrer-policy-private",
                5,
            ),
            (
                &[("referrer-policy", "nope")],
                "referrer-policy",
                "referrer-policy-header-invalid",
                -5,
            ),
            (
                &[("cross-origin-resource-policy", "same-site")],
                "cross-origin-resource-policy",
                "corp-implemented-with-same-site",
                10,
            ),
            (
                &[("cross-origin-resource-policy", "cross-origin")],
                "cross-origin-resource-policy",
                "corp-implemented-with-cross-origin",
                0,
            ),
            (
                &[("cross-origin-resource-policy", "everyone")],
                "cross-origin-resource-policy",
                "corp-header-invalid",
                -5,
            ),
            (
                &[("set-cookie", "sessionid=abc; HttpOnly; SameSite=Lax")],
                "cookies",
                "cookies-session-without-secure-flag",
                -40,
            ),
            (
                &[("set-cookie", "sessionid=abc; Secure; SameSite=Lax")],
                "cookies",
                "cookies-session-without-httponly-flag",
                -30,
            ),
            (
                &[("set-cookie", "csrftoken=abc; Secure")],
                "cookies",
                "cookies-anticsrf-without-samesite-flag",
                -20,
            ),
            (
                &[(
                    "set-cookie",
                    "sessionid=abc; Secure; HttpOnly; SameSite=Lax",
                )],
                "cookies",
                "cookies-secure-with-httponly-sessions-and-samesite",
                5,
            ),
            (
                &[(
                    "set-cookie",
                    "sessionid=abc; Secure; HttpOnly; SameSite=Weird",
                )],
                "cookies",
                "cookies-samesite-flag-invalid",
                -20,
            ),
            (
                &[("access-control-allow-origin", "*")],
                "cross-origin-resource-sharing",
                "cross-origin-resource-sharing-implemented-with-public-access",
                0,
            ),
        ];
        for (headers, test, result, modifier) in table {
            let g = graded("https://app.example/", headers, "", &https);
            assert_eq!(result_of(&g, test), (*result, *modifier), "{headers:?}");
        }
        let reflect = Context {
            origin_sent: Some("https://observer.example".into()),
            ..Context::default()
        };
        let g = graded(
            "https://app.example/",
            &[
                ("access-control-allow-origin", "https://observer.example"),
                ("access-control-allow-credentials", "true"),
            ],
            "",
            &reflect,
        );
        assert_eq!(result_of(&g, "cross-origin-resource-sharing").1, -50);
    }

    #[test]
    fn cors_is_graded_from_the_preflight_when_there_is_one() {
        let origin = "https://observer.example";
        let echo = vec![
            (
                "access-control-allow-origin".to_string(),
                origin.to_string(),
            ),
            (
                "access-control-allow-credentials".to_string(),
                "true".to_string(),
            ),
        ];
        let ctx = |preflight: Option<Vec<(String, String)>>| Context {
            origin_sent: Some(origin.into()),
            preflight,
            ..Context::default()
        };
        // The page itself sends no CORS headers; its preflight echoes any origin.
        let g = graded("https://app.example/", &[], "", &ctx(Some(echo.clone())));
        assert_eq!(
            result_of(&g, "cross-origin-resource-sharing"),
            (
                "cross-origin-resource-sharing-implemented-with-universal-access",
                -50
            )
        );
        let g = graded("https://app.example/", &[], "", &ctx(Some(Vec::new())));
        assert_eq!(result_of(&g, "cross-origin-resource-sharing").1, 0);
    }

    #[test]
    fn frame_ancestors_star_overrides_x_frame_options() {
        let g = graded(
            "https://app.example/",
            &[
                ("x-frame-options", "DENY"),
                (
                    "content-security-policy",
                    "default-src 'self'; frame-ancestors *",
                ),
            ],
            "",
            &Context::default(),
        );
        assert_eq!(
            result_of(&g, "x-frame-options"),
            ("x-frame-options-not-implemented", -20)
        );
        let g = graded(
            "https://app.example/",
            &[("x-frame-options", "DENY")],
            "",
            &Context::default(),
        );
        assert_eq!(result_of(&g, "x-frame-options").1, 0);
    }

    #[test]
    fn meta_referrer_comes_after_the_header() {
        let with = |headers: &[(&str, &str)], meta: &str| {
            let body =
                format!("<html><head><meta name=\"referrer\" content=\"{meta}\"></head></html>");
            let g = graded("https://app.example/", headers, &body, &Context::default());
            result_of(&g, "referrer-policy")
        };
        assert_eq!(
            with(&[("referrer-policy", "no-referrer")], "unsafe-url"),
            ("referrer-policy-unsafe", -5)
        );
        assert_eq!(with(&[], "no-referrer"), ("referrer-policy-private", 5));
        // Legacy keywords map as browsers map them.
        assert_eq!(with(&[], "never"), ("referrer-policy-private", 5));
        assert_eq!(with(&[], "always"), ("referrer-policy-unsafe", -5));
        // An unknown meta value leaves the header's policy in force.
        assert_eq!(
            with(&[("referrer-policy", "same-origin")], "bogus"),
            ("referrer-policy-private", 5)
        );
    }

    #[test]
    fn session_cookies_by_name_words_and_value_shape() {
        for name in [
            "sessionid",
            "PHPSESSID",
            "JSESSIONID",
            "connect.sid",
            "laravel_session",
            "authToken",
            "access_token",
            "__Host-next-auth.session-token",
            "remember_web_59ba36",
            ".AspNetCore.Identity.Application",
            "wordpress_logged_in_abc",
            "SID",
        ] {
            assert!(is_session_name(name), "{name}");
        }
        for name in [
            "sidebar",
            "side_nav",
            "author_view",
            "lang",
            "theme",
            "_ga",
            "csrftoken",
            "XSRF-TOKEN",
            "consider_banner",
            "login_redirect",
            "session_expires_at",
            "next-auth.callback-url",
            "last_login_time",
        ] {
            assert!(!is_session_name(name), "{name}");
        }
        for value in [
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            ".eJyrVkrNS8tMLS4tSVUqzs9JUbIqSkxJTEpVqgUAi3UJ9A.ZmFrZQ.c2lnbmF0dXJl",
            "s%3AbR4nd0mS3ss10nId.c2lnbmF0dXJlc2lnbmF0dXJl",
            "BAh7BkkiD3Nlc3Npb25faWQGOgZFVA--0123456789abcdef0123456789abcdef01234567",
            "aGVsbG8gd29ybGQgaGVsbG8%3D--aXZpdml2aXZpdg%3D%3D--dGFndGFndGFn",
        ] {
            assert!(is_session_value(value), "{value}");
        }
        for value in [
            "en",
            "dark",
            "1",
            "GA1.1.123456789.1700000000",
            "a--b",
            "eyJ",
        ] {
            assert!(!is_session_value(value), "{value}");
        }
    }

    #[test]
    fn sri_vectors() {
        let c = Context::default();
        for (body, result, modifier) in [
            ("<p>hi</p>", "sri-not-implemented-but-no-scripts-loaded", 0),
            (
                "<script src=\"/app.js\"></script>",
                "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
                0,
            ),
            (
                "<script src=\"https://cdn.other.example/x.js\"></script>",
                "sri-not-implemented-but-external-scripts-loaded-securely",
                -5,
            ),
            (
                "<script src=\"https://cdn.other.example/x.js\" integrity=\"sha384-x\"></script>",
                "sri-implemented-and-external-scripts-loaded-securely",
                5,
            ),
            (
                "<script src=\"http://cdn.other.example/x.js\"></script>",
                "sri-not-implemented-and-external-scripts-not-loaded-securely",
                -50,
            ),
        ] {
            let g = graded("https://app.example/", &[], body, &c);
            assert_eq!(
                result_of(&g, "subresource-integrity"),
                (result, modifier),
                "{body}"
            );
        }
    }

    #[test]
    fn hardened_over_https_is_a_plus_and_bonuses_need_ninety() {
        let g = graded("https://app.example/", HARDENED, "", &Context::default());
        // 100 + CSP 5 + referrer 5 + frame-ancestors 5 + CORP 10.
        assert_eq!((g.score, g.grade), (125, "A+"), "{:?}", g.modifiers);
        // Without HSTS and XFO the penalties (-20, -20) drop it below 90: no bonuses.
        let g = graded(
            "https://app.example/",
            &[
                ("content-security-policy", "default-src 'self'"),
                ("cross-origin-resource-policy", "same-origin"),
            ],
            "",
            &Context::default(),
        );
        // CSP without object-src/base-uri still grades: default-src covers object-src.
        assert_eq!(g.score, 100 - 20 - 5 - 20, "{:?}", g.modifiers);
        assert_eq!(g.grade, "C");
    }

    #[test]
    fn http_on_loopback_is_not_judged_but_http_elsewhere_is() {
        let loopback = Context {
            loopback_http: true,
            ..Context::default()
        };
        let g = graded("http://127.0.0.1:8080/", HARDENED, "", &loopback);
        assert_eq!(g.grade, "A+");
        assert_eq!(g.not_judged.len(), 2, "{:?}", g.not_judged);
        let g = graded("http://app.example/", HARDENED, "", &Context::default());
        assert_eq!(result_of(&g, "redirection"), ("redirection-missing", -20));
        assert_eq!(
            result_of(&g, "strict-transport-security"),
            ("hsts-not-implemented-no-https", -20)
        );
        assert_eq!(g.score, 60);
    }
}
