//! Passive signatures: patterns applied to every response the scanner receives.
//!
//! Body signatures share one [`RegexSet`] prefilter, so a response that matches
//! nothing costs a single pass over its body (at most [`pattern::MAX_SCAN_TOTAL`],
//! in windows of [`MAX_SCAN_BYTES`]); only the
//! signatures the set reports are then run alone to extract an excerpt. Header
//! signatures name one header and run against each of its values.

use std::fmt;

use regex::bytes::RegexSet;
use serde::Deserialize;

use crate::catalog::CatalogError;
use crate::catalog::pattern::{self, Pattern};
use crate::catalog::secret;
use crate::http::Response;
use crate::model::Item;
use crate::model::{Confidence, Severity};

pub use crate::catalog::pattern::MAX_SCAN_BYTES;

/// Where a signature looks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// The response body (or any text given to [`SignatureSet::scan_text`]).
    Body,
    /// Every value of the named header; the name is lower-case.
    Header(String),
}

/// Which responses a signature judges (`responses` in the catalog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Responses {
    /// Every response.
    Any,
    /// What the server computed for this request: not static scripts, stylesheets,
    /// source maps, fonts or images (a tutorial string inside a bundle is no error).
    /// The default of error-handling signatures.
    Dynamic,
    /// What ships to the client or lies around as a file: scripts, pages, text files,
    /// source maps; not JSON API answers (a password hash in API data is item 5's).
    Client,
}

impl Responses {
    fn parse(text: &str) -> Option<Responses> {
        match text {
            "any" => Some(Responses::Any),
            "dynamic" => Some(Responses::Dynamic),
            "client" => Some(Responses::Client),
            _ => None,
        }
    }

    /// Whether a response of this media type at this path is one to judge.
    pub fn admits(self, media_type: Option<&str>, path: &str) -> bool {
        let media = media_type.unwrap_or("").to_ascii_lowercase();
        let path = path.to_ascii_lowercase();
        let ext = |e: &[&str]| e.iter().any(|x| path.ends_with(x));
        match self {
            Responses::Any => true,
            Responses::Dynamic => {
                let static_media = media.contains("javascript")
                    || media.contains("ecmascript")
                    || media == "text/css"
                    || media.starts_with("image/")
                    || media.starts_with("font/");
                !static_media && !ext(&[".js", ".mjs", ".cjs", ".css", ".map", ".woff2", ".svg"])
            }
            Responses::Client => !media.contains("json") || ext(&[".json", ".map"]),
        }
    }
}

impl Target {
    /// Parses `body` or `header:NAME` (the name is case-insensitive).
    pub fn parse(text: &str) -> Option<Target> {
        if text == "body" {
            return Some(Target::Body);
        }
        let name = text.strip_prefix("header:")?.trim();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        valid.then(|| Target::Header(name.to_ascii_lowercase()))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Body => f.write_str("body"),
            Target::Header(name) => write!(f, "header:{name}"),
        }
    }
}

/// The examples a signature carries; tests and `prodready probes check` run them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureExamples {
    /// Texts (a body, or a header value for header signatures) that must match.
    #[serde(default)]
    pub matches: Vec<String>,
    /// Texts that must not match: near-misses such as prose or safe error bodies.
    #[serde(default)]
    pub no_match: Vec<String>,
}

/// One passive signature, loaded from a `[[signature]]` table.
#[derive(Debug, Clone)]
pub struct Signature {
    /// Dotted `family.check` id, stable forever; used as the finding's probe id.
    pub id: String,
    /// The checklist item a match counts against.
    pub item: Item,
    /// What was found: `stack-trace`, `debug-page`, `sql-error`, `database-error`,
    /// `internal-path`, `version-banner` (free-form, `[a-z0-9-]+`).
    pub kind: String,
    pub title: String,
    /// Why it matters, one or two sentences, for the finding's detail.
    pub detail: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub target: Target,
    pub pattern: Pattern,
    pub remediation: String,
    pub examples: SignatureExamples,
    /// The catalog file the signature came from (`probes/...` for built-ins).
    pub source: String,
    /// Least Shannon entropy (bits per character) of the `secret` group, or of the
    /// whole match when there is none; lower-entropy matches (placeholders) are skipped.
    pub min_entropy: Option<f64>,
    /// Which responses it judges.
    pub responses: Responses,
}

/// What one signature found in one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The excerpt, with the secret (if any) in its redacted form.
    pub excerpt: String,
    /// The raw value of the `secret` group: only for scrubbing, never for output.
    pub secret: Option<String>,
}

impl Signature {
    /// The excerpt of the first match in `text`, if any (secrets redacted).
    pub fn find(&self, text: &[u8]) -> Option<String> {
        self.find_match(text).map(|f| f.excerpt)
    }

    /// Whether the pattern marks a credential with a `secret` group.
    pub fn has_secret(&self) -> bool {
        self.pattern
            .regex()
            .capture_names()
            .flatten()
            .any(|n| n == secret::SECRET_GROUP)
    }

    /// The first match in `text` whose secret passes `min_entropy`.
    pub fn find_match(&self, text: &[u8]) -> Option<Found> {
        let has_secret = self.has_secret();
        if !has_secret && self.min_entropy.is_none() {
            return self.pattern.find(text).map(|excerpt| Found {
                excerpt,
                secret: None,
            });
        }
        let text = pattern::cap(text);
        // Bounded: a body full of placeholders must not cost a scan per placeholder.
        for caps in self.pattern.regex().captures_iter(text).take(64) {
            let whole = caps.get(0)?;
            let measured = if has_secret {
                match caps.name(secret::SECRET_GROUP) {
                    Some(m) => m,
                    None => continue,
                }
            } else {
                whole
            };
            let raw = String::from_utf8_lossy(measured.as_bytes()).into_owned();
            let too_plain = self
                .min_entropy
                .is_some_and(|min| secret::entropy(&raw) < min);
            if too_plain || (has_secret && secret::looks_like_placeholder(&raw)) {
                continue;
            }
            let shown = caps.name(pattern::EXCERPT_GROUP).unwrap_or(whole);
            let shown = String::from_utf8_lossy(shown.as_bytes());
            if !has_secret {
                return Some(Found {
                    excerpt: pattern::excerpt(shown.as_bytes()),
                    secret: None,
                });
            }
            let redacted = secret::scrub(&shown, std::slice::from_ref(&raw));
            return Some(Found {
                excerpt: pattern::excerpt(redacted.as_bytes()),
                secret: Some(raw),
            });
        }
        None
    }
}

/// A signature that matched, with the matched text.
#[derive(Debug, Clone)]
pub struct SignatureMatch<'a> {
    pub signature: &'a Signature,
    /// The matched text, at most about 200 characters, valid UTF-8 (lossy), with a
    /// secret in its redacted form. Header matches read `name: value`.
    pub excerpt: String,
    /// The raw secret of a secret signature, so callers can scrub it from what they keep.
    pub secret: Option<String>,
}

/// All passive signatures, ready to scan responses.
#[derive(Debug, Clone, Default)]
pub struct SignatureSet {
    signatures: Vec<Signature>,
    /// Prefilter over the body signatures; `None` when there are none.
    body_set: Option<RegexSet>,
    /// `body_set` pattern index -> index into `signatures`.
    body_index: Vec<usize>,
}

impl SignatureSet {
    /// Builds the set and its prefilter. Fails only if the combined set exceeds the
    /// regex size limits.
    pub fn new(signatures: Vec<Signature>) -> Result<SignatureSet, regex::Error> {
        let body_index: Vec<usize> = signatures
            .iter()
            .enumerate()
            .filter(|(_, s)| s.target == Target::Body)
            .map(|(i, _)| i)
            .collect();
        let body_set = if body_index.is_empty() {
            None
        } else {
            Some(pattern::build_set(
                body_index.iter().map(|&i| signatures[i].pattern.as_str()),
            )?)
        };
        Ok(SignatureSet {
            signatures,
            body_set,
            body_index,
        })
    }

    /// Every signature, in load order.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty()
    }

    /// The signature with this id.
    pub fn get(&self, id: &str) -> Option<&Signature> {
        self.signatures.iter().find(|s| s.id == id)
    }

    pub(crate) fn into_vec(self) -> Vec<Signature> {
        self.signatures
    }

    /// Applies every signature to a response: header signatures to their header's
    /// values, body signatures to the body (see [`SignatureSet::scan_text`]). Each
    /// signature is reported at most once per response.
    pub fn scan(&self, resp: &Response) -> Vec<SignatureMatch<'_>> {
        let media = resp.media_type();
        let admits = |sig: &Signature| sig.responses.admits(media.as_deref(), resp.url.path());
        let mut out = Vec::new();
        for sig in &self.signatures {
            let Target::Header(name) = &sig.target else {
                continue;
            };
            if !admits(sig) {
                continue;
            }
            let hit = resp
                .headers_named(name)
                .find_map(|value| sig.find(value.as_bytes()).map(|_| value));
            if let Some(value) = hit {
                out.push(SignatureMatch {
                    signature: sig,
                    excerpt: pattern::excerpt(format!("{name}: {value}").as_bytes()),
                    secret: None,
                });
            }
        }
        out.extend(
            self.scan_text(&resp.body)
                .into_iter()
                .filter(|m| admits(m.signature)),
        );
        out
    }

    /// [`SignatureSet::scan_text`] for text taken from `resp` (its decoded JSON
    /// strings), keeping only the signatures that judge such a response.
    pub fn scan_text_of(&self, resp: &Response, text: &[u8]) -> Vec<SignatureMatch<'_>> {
        let media = resp.media_type();
        self.scan_text(text)
            .into_iter()
            .filter(|m| {
                m.signature
                    .responses
                    .admits(media.as_deref(), resp.url.path())
            })
            .collect()
    }

    /// Applies the body signatures to any text (a response body, a script, a
    /// source map): its first [`pattern::MAX_SCAN_TOTAL`] bytes, in windows of
    /// [`MAX_SCAN_BYTES`]. Each signature is reported once, from its first window.
    pub fn scan_text(&self, text: &[u8]) -> Vec<SignatureMatch<'_>> {
        let Some(set) = &self.body_set else {
            return Vec::new();
        };
        let mut found: Vec<(usize, SignatureMatch<'_>)> = Vec::new();
        for window in pattern::windows(text) {
            for set_index in set.matches(window).iter() {
                if found.iter().any(|(i, _)| *i == set_index) {
                    continue;
                }
                let signature = &self.signatures[self.body_index[set_index]];
                if let Some(f) = signature.find_match(window) {
                    let m = SignatureMatch {
                        signature,
                        excerpt: f.excerpt,
                        secret: f.secret,
                    };
                    found.push((set_index, m));
                }
            }
        }
        found.sort_by_key(|(i, _)| *i);
        found.into_iter().map(|(_, m)| m).collect()
    }

    /// Applies the signatures that target header `name` to one value.
    pub fn scan_header(&self, name: &str, value: &str) -> Vec<SignatureMatch<'_>> {
        let name = name.to_ascii_lowercase();
        self.signatures
            .iter()
            .filter(|s| matches!(&s.target, Target::Header(n) if *n == name))
            .filter(|s| s.find(value.as_bytes()).is_some())
            .map(|signature| SignatureMatch {
                signature,
                excerpt: pattern::excerpt(format!("{name}: {value}").as_bytes()),
                secret: None,
            })
            .collect()
    }
}

/// A `[[signature]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSignature {
    id: String,
    item: String,
    kind: String,
    title: String,
    detail: String,
    severity: Severity,
    confidence: Confidence,
    #[serde(default = "default_target")]
    target: String,
    pattern: String,
    remediation: String,
    examples: SignatureExamples,
    #[serde(default)]
    min_entropy: Option<f64>,
    /// `any`, `dynamic` or `client`; error-handling signatures default to `dynamic`.
    #[serde(default)]
    responses: Option<String>,
}

fn default_target() -> String {
    "body".to_string()
}

impl RawSignature {
    /// Validates and compiles a signature read from `file`.
    pub(crate) fn compile(self, file: &str) -> Result<Signature, CatalogError> {
        let id = self.id;
        let item = crate::catalog::parse_item(file, &id, &self.item)?;
        let invalid = |message: String| CatalogError::Invalid {
            file: file.to_string(),
            id: id.clone(),
            message,
        };
        if self.kind.is_empty()
            || !self
                .kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(format!(
                "kind `{}` must be lower-case letters, digits and `-`",
                self.kind
            )));
        }
        let target = Target::parse(&self.target).ok_or_else(|| {
            invalid(format!(
                "target `{}` must be `body` or `header:NAME`",
                self.target
            ))
        })?;
        let pattern = Pattern::new(&self.pattern)
            .map_err(|e| CatalogError::regex(file, &id, "pattern", &e))?;
        if let Some(min) = self.min_entropy
            && !(0.0..=8.0).contains(&min)
        {
            return Err(invalid(format!(
                "min_entropy {min} must be between 0 and 8 bits per character"
            )));
        }
        if self.min_entropy.is_some() && target != Target::Body {
            return Err(invalid(
                "min_entropy applies to body signatures only".into(),
            ));
        }
        let responses = match &self.responses {
            Some(r) => Responses::parse(r).ok_or_else(|| {
                invalid(format!(
                    "responses `{r}` must be `any`, `dynamic` or `client`"
                ))
            })?,
            None if item == Item::ErrorHandling => Responses::Dynamic,
            None => Responses::Any,
        };
        Ok(Signature {
            responses,
            id,
            item,
            kind: self.kind,
            title: self.title,
            detail: self.detail,
            severity: self.severity,
            confidence: self.confidence,
            target,
            pattern,
            remediation: self.remediation,
            examples: self.examples,
            source: file.to_string(),
            min_entropy: self.min_entropy,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::IdentityId;
    use std::time::{Duration, Instant};

    use bytes::Bytes;

    use super::*;

    fn sig(id: &str, target: Target, pattern: &str) -> Signature {
        Signature {
            id: id.into(),
            item: Item::ErrorHandling,
            kind: "stack-trace".into(),
            title: id.into(),
            detail: String::new(),
            severity: Severity::Medium,
            confidence: Confidence::Firm,
            target,
            pattern: Pattern::new(pattern).unwrap(),
            remediation: String::new(),
            examples: SignatureExamples::default(),
            source: "test.toml".into(),
            min_entropy: None,
            responses: Responses::Dynamic,
        }
    }

    fn response(headers: &[(&str, &str)], body: &[u8]) -> Response {
        Response {
            status: 500,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Bytes::copy_from_slice(body),
            truncated: false,
            url: "http://127.0.0.1/x".parse().unwrap(),
            elapsed: Duration::ZERO,
            redirects: Vec::new(),
            blocked_redirect: None,
            sent: crate::http::SentRequest {
                identity: IdentityId::Anonymous,
                purpose: None,
                method: "GET".into(),
                url: "http://127.0.0.1/x".parse().expect("valid URL"),
                headers: Vec::new(),
                body: None,
            },
        }
    }

    fn set() -> SignatureSet {
        SignatureSet::new(vec![
            sig(
                "t.python",
                Target::Body,
                r"Traceback \(most recent call last\):",
            ),
            sig("t.go", Target::Body, r"goroutine \d+ \[running\]:"),
            sig(
                "t.server",
                Target::Header("server".into()),
                r"[A-Za-z]+/\d+\.\d+",
            ),
        ])
        .unwrap()
    }

    #[test]
    fn target_parses_body_and_named_headers() {
        assert_eq!(Target::parse("body"), Some(Target::Body));
        assert_eq!(
            Target::parse("header:X-Powered-By"),
            Some(Target::Header("x-powered-by".into()))
        );
        assert_eq!(Target::parse("header:"), None);
        assert_eq!(Target::parse("headers"), None);
        assert_eq!(Target::Header("server".into()).to_string(), "header:server");
    }

    #[test]
    fn scan_reports_body_and_header_matches_once_each() {
        let set = set();
        let resp = response(
            &[("server", "nginx"), ("server", "Apache/2.4.41 (Ubuntu)")],
            b"\xff\xfeTraceback (most recent call last):\n Traceback (most recent call last):",
        );
        let found: Vec<(&str, String)> = set
            .scan(&resp)
            .into_iter()
            .map(|m| (m.signature.id.as_str(), m.excerpt))
            .collect();
        assert_eq!(
            found,
            vec![
                ("t.server", "server: Apache/2.4.41 (Ubuntu)".to_string()),
                ("t.python", "Traceback (most recent call last):".to_string()),
            ]
        );
    }

    #[test]
    fn header_signatures_ignore_other_headers_and_the_body() {
        let set = set();
        let resp = response(&[("x-server", "Apache/2.4.41")], b"Apache/2.4.41");
        assert!(set.scan(&resp).is_empty());
        assert_eq!(set.scan_header("Server", "Apache/2.4.41").len(), 1);
    }

    #[test]
    fn scan_text_only_runs_body_signatures() {
        let set = set();
        let hits = set.scan_text(b"goroutine 1 [running]:\nmain.main()\nApache/2.4.41");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].signature.id, "t.go");
    }

    #[test]
    fn secret_groups_are_entropy_checked_and_redacted() {
        let mut s = sig(
            "t.key",
            Target::Body,
            r#"["'](?P<secret>sk_live_[0-9a-zA-Z]{24,})["']"#,
        );
        s.item = Item::Secrets;
        s.min_entropy = Some(3.5);
        let set = SignatureSet::new(vec![s]).unwrap();
        let body =
            br#"a = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"; b = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";"#;
        let hits = set.scan_text(body);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].secret.as_deref(),
            Some("sk_live_4eC39HqLyjWDarjtT1zdp7dc")
        );
        assert!(!hits[0].excerpt.contains("4eC39"), "{}", hits[0].excerpt);
        assert!(hits[0].excerpt.contains("sk_live_…[redacted sha256:"));
        assert!(
            set.scan_text(br#"x = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx""#)
                .is_empty()
        );
    }

    #[test]
    fn an_empty_set_scans_nothing() {
        let set = SignatureSet::default();
        assert!(set.scan(&response(&[], b"Traceback")).is_empty());
    }

    #[test]
    fn matches_past_the_first_window_are_found_and_past_the_total_ignored() {
        let set = set();
        // Past the first window, and across the boundary of the second.
        for offset in [MAX_SCAN_BYTES, 2 * MAX_SCAN_BYTES - 4096 - 10] {
            let mut body = vec![b'x'; offset];
            body.extend_from_slice(b"\ngoroutine 1 [running]:\n");
            let hits = set.scan_text(&body);
            assert_eq!(hits.len(), 1, "offset {offset}");
            assert_eq!(hits[0].signature.id, "t.go");
        }
        let mut body = vec![b'x'; pattern::MAX_SCAN_TOTAL];
        body.extend_from_slice(b"goroutine 1 [running]:");
        assert!(set.scan_text(&body).is_empty());
    }

    #[test]
    fn windows_cover_the_body_with_overlap() {
        let body = vec![0u8; 3 * MAX_SCAN_BYTES + 17];
        let w: Vec<&[u8]> = pattern::windows(&body).collect();
        assert_eq!(w.len(), 4);
        assert!(w.iter().all(|x| x.len() <= MAX_SCAN_BYTES));
        let covered: usize = w.iter().map(|x| x.len()).sum::<usize>() - 3 * 4096;
        assert_eq!(covered, body.len());
        assert_eq!(pattern::windows(b"abc").count(), 1);
        assert_eq!(pattern::windows(b"").count(), 1);
    }

    #[test]
    fn scanning_a_large_body_without_matches_is_quick() {
        let set = set();
        let body: Vec<u8> = b"lorem ipsum dolor sit amet, <div class=\"row\">42</div>\n"
            .iter()
            .copied()
            .cycle()
            .take(10 << 20)
            .collect();
        let start = Instant::now();
        assert!(set.scan(&response(&[], &body)).is_empty());
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn signatures_judge_only_their_kind_of_response() {
        let js = Some("application/javascript");
        assert!(!Responses::Dynamic.admits(js, "/static/app.js"));
        assert!(!Responses::Dynamic.admits(None, "/static/app.3f2a.js"));
        assert!(Responses::Dynamic.admits(Some("text/html"), "/orders"));
        assert!(Responses::Dynamic.admits(Some("application/json"), "/api/orders"));
        assert!(!Responses::Client.admits(Some("application/json"), "/api/users"));
        assert!(Responses::Client.admits(js, "/static/app.js"));
        assert!(Responses::Client.admits(Some("application/json"), "/config.json"));
        assert!(Responses::Any.admits(Some("application/json"), "/api/users"));
    }
}
