//! Entry points for the fuzz targets in `fuzz/` and for the regression-corpus test.
//!
//! Each function feeds untrusted text through the same code the scanner runs on what
//! a target sends it (CSP and `Set-Cookie` headers, JWTs) or on what a user hands it
//! (a config file, a probe catalog file). None of them may panic, whatever the input;
//! the few invariants they assert are ones the scanner relies on.

use std::path::Path;

use url::Url;

use crate::catalog::ProbeCatalog;
use crate::catalog::{CatalogError, CheckReport};
use crate::config::{self, ConfigError, Overrides, ScanConfig, Source};
use crate::families::auth::cookies::{Role, judge, role_of};
use crate::families::auth::jwt::{self, Jwt, Lifetime};
use crate::families::headers::{self, csp, grade};
use crate::http::{CookieJar, Response};

/// An https HTML page carrying `headers`, graded the way the header probe grades pages.
fn graded_page(url: &str, headers: Vec<(String, String)>) -> csp::Evaluation {
    let url = Url::parse(url).expect("static URL");
    let resp = Response::synthetic(
        url,
        200,
        [("content-type".to_string(), "text/html".to_string())]
            .into_iter()
            .chain(headers)
            .collect(),
        "<!doctype html><title>fuzz</title>",
    );
    let ev = headers::csp_of(&resp);
    headers::judge(&resp, true);
    grade::grade(&resp, &ev, &grade::Context::default());
    ev
}

/// A `Content-Security-Policy` value: parsed and evaluated as a header, a report-only
/// header and a `<meta>` policy, then graded on a page that sends it. Returns the
/// evaluation of the enforcing header.
pub fn csp(value: &str) -> csp::Evaluation {
    let metas = [value.to_string()];
    for ev in [
        csp::evaluate(&csp::collect(&[], &[value], &[]), true),
        csp::evaluate(&csp::collect(&[], &[], &metas), false),
    ] {
        for w in &ev.weaknesses {
            w.describe();
        }
    }
    let ev = graded_page(
        "https://app.example.test/",
        vec![("content-security-policy".into(), value.to_string())],
    );
    for w in &ev.weaknesses {
        w.describe();
    }
    ev
}

/// `Set-Cookie` values, one per line: each parsed and judged by the cookie probe,
/// stored in an identity's cookie jar and replayed from it, and all graded together on
/// a page. Returns the cookies the probe's parser accepted.
pub fn set_cookie(lines: &str) -> Vec<grade::SetCookie> {
    let https = Url::parse("https://app.example.test/account/login").expect("static URL");
    let http = Url::parse("http://127.0.0.1:8080/login").expect("static URL");
    let mut jar = CookieJar::default();
    let mut parsed = Vec::new();
    for line in lines.lines() {
        if let Some(c) = grade::parse_set_cookie(line) {
            for submit in [false, true] {
                let role = role_of(&c, submit);
                for url in [&https, &http] {
                    judge(&c, role.unwrap_or(Role::Session), url);
                }
            }
            parsed.push(c);
        }
        jar.store(&https, line);
        jar.store(&http, line);
    }
    for url in [&https, &http] {
        jar.header_for(url);
    }
    graded_page(
        "https://app.example.test/",
        lines
            .lines()
            .map(|l| ("set-cookie".to_string(), l.to_string()))
            .collect(),
    );
    parsed
}

/// A token as the JWT probe sees it in a session: decoded, its lifetime judged, the
/// three forgeries built (each must decode again, or the probe would send garbage),
/// and its signature tested against the weak-secret list.
pub fn jwt(token: &str) -> Option<Jwt> {
    let decoded = Jwt::decode(token)?;
    decoded.alg();
    let _: Lifetime = jwt::lifetime(&decoded, 1_700_000_000, 3600);
    for forged in [
        decoded.with_alg_none("none"),
        decoded.stripped(),
        decoded.tampered(),
    ] {
        assert!(
            Jwt::decode(&forged).is_some(),
            "forgery {forged:?} of {token:?} does not decode"
        );
    }
    if let Some(secret) = decoded.crack(jwt::weak_secrets()) {
        jwt::mask(secret);
    }
    Some(decoded)
}

/// Variables resolve to a fixed value derived from their name; files never resolve.
/// So a fuzzed config never reads the real environment or file system.
struct FixedSource;

impl Source for FixedSource {
    fn var(&self, name: &str) -> Option<String> {
        (!name.starts_with("UNSET")).then(|| format!("value-of-{name}"))
    }

    fn read_file(&self, path: &Path) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is not read while fuzzing", path.display()),
        ))
    }
}

/// A config file's text: parsed, resolved (environment variables from a fixed map,
/// secret files refused) and overridden, as `prodready scan --config` does. An error
/// is formatted the way the CLI prints it.
pub fn config(text: &str) -> Result<ScanConfig, ConfigError> {
    let result = config::from_text(text, "fuzz.toml", &FixedSource, &Overrides::default());
    match &result {
        Ok(cfg) => {
            cfg.secrets();
        }
        Err(e) => {
            e.to_string();
        }
    }
    result
}

/// A probe catalog file's text (`[[probe]]` and `[[signature]]` tables): loaded as
/// `--probes DIR` loads each file, then linted as `prodready probes check` does (which
/// runs every declared example through the matchers), and its signatures run over the
/// text itself.
pub fn probes(text: &str) -> Result<CheckReport, CatalogError> {
    let catalog = ProbeCatalog::default()
        .load_str("fuzz.toml", text)
        .inspect_err(|e| {
            e.to_string();
        })?;
    catalog.signatures.scan_text(text.as_bytes());
    let report = catalog.check();
    report.to_string();
    Ok(report)
}
