//! Declarative HTTP probes: a request or a few, matchers on the response, the item
//! they score, and vulnerable/safe example responses.
//!
//! This module only describes what to send and judges what came back; the engine
//! sends the requests through the HTTP layer and builds the findings.

use bytes::Bytes;
use serde::Deserialize;
use url::Url;

use crate::catalog::CatalogError;
use crate::catalog::pattern::{self, Pattern};
use crate::http::{Request, Response};
use crate::model::Item;
use crate::model::{Confidence, Severity};

/// Which identities send a probe's requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityMode {
    /// Only the anonymous identity (no cookies, no auth header).
    #[default]
    Anonymous,
    /// Every configured identity, one request each.
    Each,
}

/// One request a probe sends, relative to a target origin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeRequest {
    /// Upper-case HTTP method; `GET` when omitted.
    #[serde(default = "default_method")]
    pub method: String,
    /// Absolute path (with an optional query) resolved against the origin.
    pub path: String,
    /// Extra headers, as `[name, value]` pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Request body, sent as is; set its `content-type` in `headers`.
    #[serde(default)]
    pub body: Option<String>,
    /// Follow in-scope redirects; off by default so a redirect to a login page is
    /// judged as the redirect, not as the login page.
    #[serde(default)]
    pub follow_redirects: bool,
}

fn default_method() -> String {
    "GET".to_string()
}

impl ProbeRequest {
    /// The request to send to `origin` (`scheme://host:port`); the path replaces
    /// any path the origin URL carries.
    pub fn to_request(&self, origin: &Url) -> Result<Request, url::ParseError> {
        let mut req = Request::new(&self.method, origin.join(&self.path)?);
        req.follow_redirects = self.follow_redirects;
        for (name, value) in &self.headers {
            req = req.header(name, value.clone());
        }
        if let Some(body) = &self.body {
            let content_type = self
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                .map_or("text/plain", |(_, v)| v.as_str());
            req = req.raw_body(content_type, Bytes::from(body.clone()));
        }
        Ok(req)
    }
}

/// A header condition: some value of header `name` matches `pattern`.
#[derive(Debug, Clone)]
pub struct HeaderMatcher {
    /// Lower-case header name.
    pub name: String,
    pub pattern: Pattern,
}

/// The conditions a response must meet for a probe to report it. All present
/// conditions must hold; at least one condition looks at content.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    /// Allowed statuses; empty means any.
    pub status: Vec<u16>,
    /// At least one must match the body (when non-empty).
    pub body_any: Vec<Pattern>,
    /// All must match the body.
    pub body_all: Vec<Pattern>,
    /// None may match the body.
    pub body_none: Vec<Pattern>,
    /// All must hold.
    pub headers: Vec<HeaderMatcher>,
}

impl Matcher {
    /// Whether the matcher looks at content, not only at the status.
    pub fn inspects_content(&self) -> bool {
        !(self.body_any.is_empty() && self.body_all.is_empty() && self.headers.is_empty())
    }

    /// The excerpt that decided a match, or `None` when the response does not match.
    pub fn evaluate(&self, resp: &Response) -> Option<String> {
        if !self.status.is_empty() && !self.status.contains(&resp.status) {
            return None;
        }
        let body = pattern::cap(&resp.body);
        if self.body_none.iter().any(|p| p.is_match(body)) {
            return None;
        }
        let mut header_excerpt = None;
        for h in &self.headers {
            let value = resp
                .headers_named(&h.name)
                .find(|v| h.pattern.is_match(v.as_bytes()))?;
            header_excerpt.get_or_insert_with(|| format!("{}: {value}", h.name));
        }
        let mut all_excerpt = None;
        for p in &self.body_all {
            let found = p.find(body)?;
            all_excerpt.get_or_insert(found);
        }
        let any_excerpt = if self.body_any.is_empty() {
            None
        } else {
            Some(self.body_any.iter().find_map(|p| p.find(body))?)
        };
        any_excerpt
            .or(all_excerpt)
            .or_else(|| header_excerpt.map(|e| pattern::excerpt(e.as_bytes())))
    }
}

/// What an example response should make the probe say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// The probe must match.
    Vulnerable,
    /// The probe must not match.
    Safe,
}

/// An example response that tests and `prodready probes check` run the probe on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeExample {
    pub expect: Expect,
    /// 200 when omitted.
    #[serde(default = "default_status")]
    pub status: u16,
    /// `[name, value]` pairs; names are compared case-insensitively.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: String,
}

fn default_status() -> u16 {
    200
}

impl ProbeExample {
    /// The example as a response received from `url`.
    pub fn to_response(&self, url: Url) -> Response {
        Response::synthetic(
            url,
            self.status,
            self.headers.clone(),
            Bytes::from(self.body.clone()),
        )
    }
}

/// One declarative probe, loaded from a `[[probe]]` table.
#[derive(Debug, Clone)]
pub struct DeclarativeProbe {
    /// Dotted `family.check` id, stable forever; used as the finding's probe id.
    pub id: String,
    pub item: Item,
    pub severity: Severity,
    pub confidence: Confidence,
    pub title: String,
    pub detail: String,
    pub remediation: String,
    pub identity: IdentityMode,
    /// Alternatives: each is sent and judged on its own.
    pub requests: Vec<ProbeRequest>,
    pub matcher: Matcher,
    pub examples: Vec<ProbeExample>,
    /// The catalog file the probe came from (`probes/...` for built-ins).
    pub source: String,
}

impl DeclarativeProbe {
    /// The requests to send; each response is judged alone with [`Self::evaluate`].
    pub fn requests(&self) -> &[ProbeRequest] {
        &self.requests
    }

    /// The matched excerpt when `resp` shows the weakness, else `None`.
    pub fn evaluate(&self, resp: &Response) -> Option<String> {
        self.matcher.evaluate(resp)
    }
}

/// A `[[probe]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProbe {
    id: String,
    item: String,
    severity: Severity,
    confidence: Confidence,
    title: String,
    detail: String,
    remediation: String,
    #[serde(default)]
    identity: IdentityMode,
    request: Vec<ProbeRequest>,
    #[serde(rename = "match")]
    matcher: RawMatcher,
    #[serde(default)]
    example: Vec<ProbeExample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatcher {
    #[serde(default)]
    status: Vec<u16>,
    #[serde(default)]
    body_any: Vec<String>,
    #[serde(default)]
    body_all: Vec<String>,
    #[serde(default)]
    body_none: Vec<String>,
    #[serde(default)]
    headers: Vec<RawHeaderMatcher>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeaderMatcher {
    name: String,
    pattern: String,
}

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

impl RawProbe {
    /// Validates and compiles a probe read from `file`.
    pub(crate) fn compile(self, file: &str) -> Result<DeclarativeProbe, CatalogError> {
        let id = self.id;
        let item = crate::catalog::parse_item(file, &id, &self.item)?;
        let invalid = |message: String| CatalogError::Invalid {
            file: file.to_string(),
            id: id.clone(),
            message,
        };
        if self.request.is_empty() {
            return Err(invalid(
                "a probe needs at least one [[probe.request]]".into(),
            ));
        }
        let mut requests = self.request;
        for req in &mut requests {
            req.method = req.method.to_ascii_uppercase();
            if !METHODS.contains(&req.method.as_str()) {
                return Err(invalid(format!(
                    "method `{}` is not one of {}",
                    req.method,
                    METHODS.join(", ")
                )));
            }
            if !req.path.starts_with('/') || req.path.starts_with("//") {
                return Err(invalid(format!(
                    "path `{}` must start with a single `/` (it is resolved against each origin)",
                    req.path
                )));
            }
        }
        let compile_all = |field: &str, sources: Vec<String>| {
            sources
                .iter()
                .map(|s| Pattern::new(s).map_err(|e| CatalogError::regex(file, &id, field, &e)))
                .collect::<Result<Vec<_>, _>>()
        };
        let m = self.matcher;
        let matcher = Matcher {
            status: m.status,
            body_any: compile_all("match.body_any", m.body_any)?,
            body_all: compile_all("match.body_all", m.body_all)?,
            body_none: compile_all("match.body_none", m.body_none)?,
            headers: m
                .headers
                .into_iter()
                .map(|h| {
                    let pattern = Pattern::new(&h.pattern).map_err(|e| {
                        CatalogError::regex(file, &id, &format!("match.headers[{}]", h.name), &e)
                    })?;
                    Ok(HeaderMatcher {
                        name: h.name.to_ascii_lowercase(),
                        pattern,
                    })
                })
                .collect::<Result<Vec<_>, CatalogError>>()?,
        };
        if !matcher.inspects_content() {
            return Err(invalid(
                "[probe.match] needs body_any, body_all or headers: a status alone cannot tell \
                 a real endpoint from an app that answers 200 for every path"
                    .into(),
            ));
        }
        Ok(DeclarativeProbe {
            id,
            item,
            severity: self.severity,
            confidence: self.confidence,
            title: self.title,
            detail: self.detail,
            remediation: self.remediation,
            identity: self.identity,
            requests,
            matcher,
            examples: self.example,
            source: file.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pattern {
        Pattern::new(s).unwrap()
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        ProbeExample {
            expect: Expect::Safe,
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        }
        .to_response("http://127.0.0.1/x".parse().unwrap())
    }

    fn matcher() -> Matcher {
        Matcher {
            status: vec![200],
            body_any: vec![p(r#""activeProfiles""#), p(r#""propertySources""#)],
            body_all: vec![p(r"\{")],
            body_none: vec![p(r"(?i)<!doctype html")],
            headers: vec![HeaderMatcher {
                name: "content-type".into(),
                pattern: p("json"),
            }],
        }
    }

    #[test]
    fn every_condition_must_hold() {
        let m = matcher();
        let json = [("Content-Type", "application/json")];
        let body = r#"{"activeProfiles":[],"propertySources":[]}"#;
        assert_eq!(
            m.evaluate(&resp(200, &json, body)).as_deref(),
            Some(r#""activeProfiles""#)
        );
        assert_eq!(m.evaluate(&resp(404, &json, body)), None);
        assert_eq!(m.evaluate(&resp(200, &[], body)), None);
        assert_eq!(m.evaluate(&resp(200, &json, r#"{"status":"UP"}"#)), None);
        let html = format!("<!DOCTYPE html>{body}");
        assert_eq!(m.evaluate(&resp(200, &json, &html)), None);
    }

    #[test]
    fn header_only_matchers_report_the_header() {
        let m = Matcher {
            headers: vec![HeaderMatcher {
                name: "content-type".into(),
                pattern: p("octet-stream"),
            }],
            ..Matcher::default()
        };
        assert!(m.inspects_content());
        assert_eq!(
            m.evaluate(&resp(
                200,
                &[("content-type", "application/octet-stream")],
                ""
            ))
            .as_deref(),
            Some("content-type: application/octet-stream")
        );
        let status_only = Matcher {
            status: vec![200],
            ..Matcher::default()
        };
        assert!(!status_only.inspects_content());
    }

    #[test]
    fn requests_resolve_against_the_origin() {
        let req = ProbeRequest {
            method: "POST".into(),
            path: "/debug/vars?x=1".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some("{}".into()),
            follow_redirects: false,
        };
        let origin: Url = "https://app.example.test:8443/base/".parse().unwrap();
        let built = req.to_request(&origin).unwrap();
        assert_eq!(
            built.url.as_str(),
            "https://app.example.test:8443/debug/vars?x=1"
        );
        assert_eq!(built.method, "POST");
        assert!(!built.follow_redirects);
        let body = built.body.unwrap();
        assert_eq!(body.content_type, "application/json");
        assert_eq!(&body.bytes[..], b"{}");
    }
}
