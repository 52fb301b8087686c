//! Requests the scanner sends and responses it keeps, independent of the client library.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use url::Url;

use crate::model::IdentityId;

/// A request a probe wants sent. The HTTP layer adds the identity's credentials.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub url: Url,
    /// Extra headers; a header named here replaces the identity's header of the same name.
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
    /// Follow in-scope redirects (off-scope hops are never followed).
    pub follow_redirects: bool,
    /// Send without the identity's auth header and cookies.
    pub without_credentials: bool,
    /// Bytes of the response body read at most, instead of `limits.body_cap_kib`
    /// (scripts get `limits.script_cap_kib`).
    pub body_cap: Option<usize>,
}

/// A request body with its content type.
#[derive(Debug, Clone)]
pub struct Body {
    pub content_type: String,
    pub bytes: Bytes,
}

impl Request {
    pub fn new(method: &str, url: Url) -> Request {
        Request {
            method: method.to_ascii_uppercase(),
            url,
            headers: Vec::new(),
            body: None,
            follow_redirects: true,
            without_credentials: false,
            body_cap: None,
        }
    }

    pub fn get(url: Url) -> Request {
        Request::new("GET", url)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn json(mut self, value: &serde_json::Value) -> Request {
        self.body = Some(Body {
            content_type: "application/json".into(),
            bytes: Bytes::from(value.to_string()),
        });
        self
    }

    pub fn raw_body(mut self, content_type: &str, bytes: impl Into<Bytes>) -> Request {
        self.body = Some(Body {
            content_type: content_type.into(),
            bytes: bytes.into(),
        });
        self
    }

    pub fn form(mut self, fields: &[(String, String)]) -> Request {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        self.body = Some(Body {
            content_type: "application/x-www-form-urlencoded".into(),
            bytes: Bytes::from(encoded),
        });
        self
    }

    pub fn no_redirects(mut self) -> Request {
        self.follow_redirects = false;
        self
    }

    /// Reads at most `bytes` of the response body (still bounded: one cap per request).
    pub fn body_cap(mut self, bytes: usize) -> Request {
        self.body_cap = Some(bytes);
        self
    }

    pub fn anonymous(mut self) -> Request {
        self.without_credentials = true;
        self
    }

    /// The value of an explicitly set header, case-insensitively.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response as the scanner kept it: the body is capped, headers keep their order.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names are lower-case; repeated headers appear once per value.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The body was cut at the configured cap (or the time budget) and is incomplete.
    pub truncated: bool,
    /// The URL of the final response, after in-scope redirects.
    pub url: Url,
    pub elapsed: Duration,
    /// Each redirect hop that was followed, in order.
    pub redirects: Vec<Url>,
    /// A redirect to an out-of-scope location that was not followed.
    pub blocked_redirect: Option<Url>,
    /// The request as it went on the wire (unredacted; redact before showing it).
    pub sent: SentRequest,
}

/// The request that produced a response, with the credentials the HTTP layer added.
#[derive(Debug, Clone)]
pub struct SentRequest {
    /// The identity whose session sent it.
    pub identity: IdentityId,
    /// The purpose of a probe's scratch session, when it was not the identity's own.
    pub purpose: Option<&'static str>,
    pub method: String,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
}

impl SentRequest {
    /// The value of a header the request carried, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Response {
    /// A response that was not received over the network (probe examples, tests):
    /// a GET from `anonymous` to `url`.
    pub fn synthetic(
        url: Url,
        status: u16,
        headers: Vec<(String, String)>,
        body: impl Into<Bytes>,
    ) -> Response {
        Response {
            status,
            headers: headers
                .into_iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v))
                .collect(),
            body: body.into(),
            truncated: false,
            url: url.clone(),
            elapsed: Duration::ZERO,
            redirects: Vec::new(),
            blocked_redirect: None,
            sent: SentRequest {
                identity: IdentityId::Anonymous,
                purpose: None,
                method: "GET".into(),
                url,
                headers: Vec::new(),
                body: None,
            },
        }
    }

    /// The first value of a header, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, invalid UTF-8 replaced.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The media type without parameters, lower-case (`text/html`).
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    pub fn is_html(&self) -> bool {
        self.media_type()
            .is_some_and(|m| m == "text/html" || m == "application/xhtml+xml")
    }

    pub fn is_json(&self) -> bool {
        self.media_type()
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
    }

    pub fn is_javascript(&self) -> bool {
        self.media_type().is_some_and(|m| {
            m == "application/javascript"
                || m == "text/javascript"
                || m == "application/x-javascript"
        })
    }

    /// The body parsed as JSON, when it is JSON and complete.
    pub fn json(&self) -> Option<serde_json::Value> {
        if self.truncated {
            return None;
        }
        serde_json::from_slice(&self.body).ok()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }
}
