//! A per-identity cookie jar. Kept by hand (not reqwest's store) because probes need
//! to read, replay, drop and inspect cookies and their attributes per identity.

use std::time::{Duration, Instant};

use url::Url;

/// A cookie as the server set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCookie {
    pub name: String,
    pub value: String,
    /// The host it was set by, or the `Domain` attribute (without a leading dot).
    pub domain: String,
    /// `Domain` was given: subdomains receive it too.
    pub domain_wide: bool,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    expires: Option<Instant>,
}

/// The cookies of one identity.
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    cookies: Vec<StoredCookie>,
}

/// Browsers treat loopback as a secure context, so `Secure` cookies flow over plain http there.
fn is_trustworthy(url: &Url) -> bool {
    url.scheme() == "https"
        || match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

fn default_path(url: &Url) -> String {
    let path = url.path();
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path[..i].to_string(),
    }
}

impl CookieJar {
    /// Stores the cookie of one `Set-Cookie` header received from `url`.
    pub fn store(&mut self, url: &Url, header: &str) {
        let Ok(parsed) = cookie::Cookie::parse(header.to_string()) else {
            return;
        };
        let Some(host) = url.host_str() else { return };
        let (domain, domain_wide) = match parsed.domain() {
            Some(d) => {
                let d = d.trim_start_matches('.').to_ascii_lowercase();
                // A server may only set cookies for its own domain or a parent of it.
                if host == d || host.ends_with(&format!(".{d}")) {
                    (d, true)
                } else {
                    return;
                }
            }
            None => (host.to_ascii_lowercase(), false),
        };
        let path = parsed
            .path()
            .filter(|p| p.starts_with('/'))
            .map_or_else(|| default_path(url), str::to_string);
        // A lifetime past what the clock can hold (a hostile Max-Age) is no expiry.
        let after = |secs: i64| Instant::now().checked_add(Duration::from_secs(secs.max(0) as u64));
        let expires = match (parsed.max_age(), parsed.expires_datetime()) {
            (Some(age), _) => after(age.whole_seconds()),
            (None, Some(at)) => after((at - time::OffsetDateTime::now_utc()).whole_seconds()),
            (None, None) => None,
        };
        let name = parsed.name().to_string();
        self.cookies
            .retain(|c| !(c.name == name && c.domain == domain && c.path == path));
        if expires.is_some_and(|e| e <= Instant::now()) {
            return; // An expired cookie is the server deleting it.
        }
        self.cookies.push(StoredCookie {
            name,
            value: parsed.value().to_string(),
            domain,
            domain_wide,
            path,
            secure: parsed.secure().unwrap_or(false),
            http_only: parsed.http_only().unwrap_or(false),
            expires,
        });
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let host = url.host_str()?.to_ascii_lowercase();
        let now = Instant::now();
        let secure_ok = is_trustworthy(url);
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .filter(|c| {
                host == c.domain || (c.domain_wide && host.ends_with(&format!(".{}", c.domain)))
            })
            .filter(|c| path_matches(url.path(), &c.path))
            .filter(|c| !c.secure || secure_ok)
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Sets a cookie by hand (a configured static session cookie).
    pub fn insert(&mut self, url: &Url, name: &str, value: &str) {
        self.store(url, &format!("{name}={value}; Path=/"));
    }

    pub fn get(&self, name: &str) -> Option<&StoredCookie> {
        self.cookies.iter().find(|c| c.name == name)
    }

    pub fn cookies(&self) -> &[StoredCookie] {
        &self.cookies
    }

    pub fn clear(&mut self) {
        self.cookies.clear();
    }
}

fn path_matches(request: &str, cookie: &str) -> bool {
    request == cookie
        || (request.starts_with(cookie)
            && (cookie.ends_with('/') || request[cookie.len()..].starts_with('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn a_lifetime_past_the_clock_is_no_expiry_not_a_panic() {
        // Found by the set_cookie fuzz target (tests/fuzz_corpus/set_cookie/crash-max-age).
        let origin = u("http://127.0.0.1:8080/");
        for header in [
            "sid=34alth=/; Max-Age=;\0",
            "sid=1; Max-Age=9223372036854775807",
            "sid=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            let mut jar = CookieJar::default();
            jar.store(&origin, header);
            assert_eq!(
                jar.header_for(&origin).as_deref().map(|c| &c[..4]),
                Some("sid=")
            );
        }
    }

    #[test]
    fn cookies_follow_host_path_expiry_and_secure_rules() {
        let mut jar = CookieJar::default();
        let origin = u("http://127.0.0.1:8080/login");
        jar.store(&origin, "session=abc; Path=/; HttpOnly");
        jar.store(&origin, "scoped=1; Path=/app");
        jar.store(&origin, "evil=1; Domain=example.com");
        assert_eq!(
            jar.header_for(&u("http://127.0.0.1:8080/api")).as_deref(),
            Some("session=abc")
        );
        assert_eq!(
            jar.header_for(&u("http://127.0.0.1:8080/app/x")).as_deref(),
            Some("session=abc; scoped=1")
        );
        assert_eq!(
            jar.header_for(&u("http://127.0.0.1:8080/application"))
                .as_deref(),
            Some("session=abc")
        );
        assert_eq!(jar.header_for(&u("http://127.0.0.2:8080/api")), None);
        assert!(jar.get("session").unwrap().http_only);
        jar.store(&origin, "session=; Max-Age=0");
        assert_eq!(jar.header_for(&u("http://127.0.0.1:8080/api")), None);

        let mut jar = CookieJar::default();
        jar.store(&u("http://app.example/"), "s=1; Secure");
        assert_eq!(jar.header_for(&u("http://app.example/")), None);
        assert_eq!(
            jar.header_for(&u("https://app.example/")).as_deref(),
            Some("s=1")
        );
        jar.store(&u("http://127.0.0.1/"), "t=2; Secure");
        assert_eq!(
            jar.header_for(&u("http://127.0.0.1/")).as_deref(),
            Some("t=2")
        );
    }
}
