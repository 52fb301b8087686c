//! Discovery's own answers to plain GETs, kept so a family that would ask the very
//! same again before anything changed (a page's headers, whether a page is public)
//! reads them instead of sending another request.
//!
//! Only the first answer per identity and requested URL is kept, and only what a
//! request with the identity's session and an `Accept` header got: no throttled answer
//! (429), no refusal of a session that may have lapsed (401, 419, 440; an anonymous
//! visitor's refusal is kept), no server error, no cut body.
//! Bodies up to [`MAX_BODY`], [`MAX_BYTES`] in all. They stay in memory: the request
//! they record carries the session's headers.

use std::collections::HashMap;

use url::Url;

use crate::http::{Request, Response};
use crate::model::IdentityId;

/// The largest body kept.
pub const MAX_BODY: usize = 512 * 1024;
/// All bodies kept, together.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Answers {
    by: HashMap<(IdentityId, String), Response>,
    bytes: usize,
}

impl Answers {
    /// Keeps `resp`, discovery's answer to a plain GET of `url` as `identity` (after
    /// the redirects it followed), within the bounds.
    pub fn keep(&mut self, identity: IdentityId, url: &Url, resp: &Response) {
        let len = resp.body.len();
        let kept = resp.sent.method == "GET"
            && !resp.truncated
            && resp.status < 500
            && resp.status != 429
            // A refusal is the answer to a visitor; to a session it may be a lapse.
            && (identity == IdentityId::Anonymous || !matches!(resp.status, 401 | 419 | 440))
            && len <= MAX_BODY
            && self.bytes + len <= MAX_BYTES;
        if !kept {
            return;
        }
        let key = (identity, url.to_string());
        if let std::collections::hash_map::Entry::Vacant(e) = self.by.entry(key) {
            self.bytes += len;
            e.insert(resp.clone());
        }
    }

    /// Discovery's answer to `req` as `identity`, when `req` asks what that answer
    /// asked: a GET with the identity's own credentials (or an anonymous visitor's),
    /// redirects followed as by default (or not, when none came), no header but an
    /// `Accept` that wants the same kind of body first (`text/html`,
    /// `application/json`) or the kind the answer is, no other body cap.
    pub fn answer(&self, identity: IdentityId, req: &Request) -> Option<&Response> {
        let plain = req.method == "GET"
            && req.body.is_none()
            && req.body_cap.is_none()
            && (!req.without_credentials || identity == IdentityId::Anonymous)
            && req
                .headers
                .iter()
                .all(|(n, _)| n.eq_ignore_ascii_case("accept"));
        if !plain {
            return None;
        }
        let resp = self.by.get(&(identity, req.url.to_string()))?;
        // Without redirects followed, only an answer that was no redirect is the same.
        if !req.follow_redirects && (!resp.redirects.is_empty() || resp.is_redirect()) {
            return None;
        }
        let wanted = req.header_value("accept").map(first_type);
        // The same kind of body first, or the body the wanted kind is anyway: an app
        // that answered JSON where a page came first has no page to negotiate.
        let same = wanted == resp.sent.header("accept").map(first_type)
            || wanted
                .as_deref()
                .zip(resp.media_type())
                .is_some_and(|(w, got)| {
                    let kind = |t: &str| ["json", "html"].into_iter().find(|k| t.contains(k));
                    kind(w).is_some() && kind(w) == kind(&got)
                });
        same.then_some(resp)
    }

    pub fn len(&self) -> usize {
        self.by.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by.is_empty()
    }
}

/// The media type an `Accept` header lists first, lower-case.
fn first_type(accept: &str) -> String {
    accept
        .split(',')
        .next()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn answer(url: &str, accept: &str, status: u16, body: &str) -> Response {
        let mut r = Response::synthetic(Url::parse(url).unwrap(), status, vec![], body.to_string());
        r.sent.headers = vec![
            ("Accept".into(), accept.into()),
            ("Cookie".into(), "sid=1".into()),
        ];
        r
    }

    #[test]
    fn a_plain_get_of_the_same_kind_reads_discoverys_answer() {
        let mut book = Answers::default();
        let page = "http://127.0.0.1:1/app";
        book.keep(
            IdentityId::A,
            &u(page),
            &answer(page, "text/html,*/*;q=0.8", 200, "<p>hi</p>"),
        );
        let at = u(page);
        let html = Request::get(at.clone()).header("Accept", "text/html,application/xhtml+xml");
        assert!(book.answer(IdentityId::A, &html).is_some());
        // Another identity, another kind of body, another header, no redirects: sent.
        assert!(book.answer(IdentityId::B, &html).is_none());
        let json = Request::get(at.clone()).header("Accept", "application/json");
        assert!(book.answer(IdentityId::A, &json).is_none());
        // An answer that is JSON where a page was asked first is the JSON answer too.
        let api = "http://127.0.0.1:1/api/me";
        let mut profile = answer(api, "text/html,*/*;q=0.8", 200, "{}");
        profile.headers = vec![("content-type".into(), "application/json".into())];
        book.keep(IdentityId::A, &u(api), &profile);
        let asked = Request::get(u(api)).header("Accept", "application/json");
        assert!(book.answer(IdentityId::A, &asked).is_some());
        let origin = html.clone().header("Origin", "https://x.example");
        assert!(book.answer(IdentityId::A, &origin).is_none());
        assert!(
            book.answer(IdentityId::A, &html.clone().no_redirects())
                .is_some(),
            "no redirect came, so not following one changes nothing"
        );
        let moved = u("http://127.0.0.1:1/old");
        let mut landed = answer("http://127.0.0.1:1/new", "text/html", 200, "<p>new</p>");
        landed.redirects = vec![u("http://127.0.0.1:1/new")];
        book.keep(IdentityId::A, &moved, &landed);
        let again = Request::get(moved).header("Accept", "text/html");
        assert!(book.answer(IdentityId::A, &again).is_some());
        assert!(book.answer(IdentityId::A, &again.no_redirects()).is_none());
        assert!(
            book.answer(IdentityId::A, &html.clone().anonymous())
                .is_none()
        );
        assert!(
            book.answer(IdentityId::A, &Request::new("POST", at))
                .is_none(),
            "only GETs"
        );
    }

    #[test]
    fn lapsed_throttled_broken_and_large_answers_are_not_kept() {
        let mut book = Answers::default();
        for (i, status) in [401u16, 429, 440, 500, 503].into_iter().enumerate() {
            let url = format!("http://127.0.0.1:1/r{i}");
            book.keep(
                IdentityId::A,
                &u(&url),
                &answer(&url, "text/html", status, "x"),
            );
        }
        let mut cut = answer("http://127.0.0.1:1/cut", "text/html", 200, "x");
        cut.truncated = true;
        book.keep(IdentityId::A, &u("http://127.0.0.1:1/cut"), &cut);
        let big = "x".repeat(MAX_BODY + 1);
        book.keep(
            IdentityId::A,
            &u("http://127.0.0.1:1/big"),
            &answer("http://127.0.0.1:1/big", "text/html", 200, &big),
        );
        assert!(book.is_empty());
        // A visitor's refusal is an answer like any other.
        let refused = u("http://127.0.0.1:1/admin");
        book.keep(
            IdentityId::Anonymous,
            &refused,
            &answer(refused.as_str(), "text/html", 401, ""),
        );
        let asked = Request::get(refused).header("Accept", "text/html");
        assert!(book.answer(IdentityId::Anonymous, &asked).is_some());
        let mut book = Answers::default();
        // The bound on all bodies holds.
        let part = "y".repeat(MAX_BODY);
        for i in 0..(MAX_BYTES / MAX_BODY + 3) {
            let url = format!("http://127.0.0.1:1/p{i}");
            book.keep(
                IdentityId::A,
                &u(&url),
                &answer(&url, "text/html", 200, &part),
            );
        }
        assert_eq!(book.len(), MAX_BYTES / MAX_BODY);
        assert!(book.bytes <= MAX_BYTES);
    }
}
