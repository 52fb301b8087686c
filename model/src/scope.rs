//! The scope guard: the scanner never sends a request outside the configured origins.

use url::Url;

/// The origins the scanner may talk to, and path prefixes it must never request.
///
/// The app's own origins come from the config; a backend the app's client talks to
/// (a Supabase project, a Firebase database) joins as a *backend* origin when it is
/// detected, unless the config forbids it. Backend origins are reachable, but they are
/// not the app: probes that sweep "every origin of the app" use [`Scope::origins`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    origins: Vec<url::Origin>,
    exclude: Vec<String>,
    backends: Vec<url::Origin>,
    forbidden: Vec<url::Origin>,
}

/// Why a URL is out of scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("{url} is outside the configured origins ({allowed})")]
    OtherOrigin { url: String, allowed: String },
    #[error("{url} matches the excluded path prefix {prefix}")]
    Excluded { url: String, prefix: String },
    #[error("{url} has unsupported scheme {scheme} (only http and https are scanned)")]
    Scheme { url: String, scheme: String },
    #[error("{url} is on an origin the config forbids (target.forbid_origins)")]
    Forbidden { url: String },
}

impl ScopeError {
    /// What makes the URL reachable, worded for the config key that named it: each
    /// reason has its own fix (an excluded path is not fixed by adding an origin).
    pub fn fix(&self) -> String {
        match self {
            ScopeError::OtherOrigin { .. } => {
                "add its origin to target.origins, or use a URL on the target's origin".into()
            }
            ScopeError::Excluded { prefix, .. } => {
                format!("remove {prefix} from target.exclude, or use a URL outside that prefix")
            }
            ScopeError::Scheme { .. } => "use an http:// or https:// URL".into(),
            ScopeError::Forbidden { .. } => {
                "remove its origin from target.forbid_origins if the scan may reach it".into()
            }
        }
    }
}

impl Scope {
    /// `origins` are URLs whose scheme, host and port are in scope; `exclude` are path
    /// prefixes (a trailing `*` is ignored).
    pub fn new(origins: &[Url], exclude: &[String]) -> Scope {
        let mut list: Vec<url::Origin> = Vec::new();
        for o in origins.iter().map(Url::origin) {
            if !list.contains(&o) {
                list.push(o);
            }
        }
        let exclude = exclude
            .iter()
            .map(|p| p.trim_end_matches('*').to_string())
            .filter(|p| !p.is_empty())
            .collect();
        Scope {
            origins: list,
            exclude,
            backends: Vec::new(),
            forbidden: Vec::new(),
        }
    }

    /// The same scope, never reaching `forbidden` origins (`target.forbid_origins`):
    /// not as app origins, not as backends, whoever names them.
    pub fn forbidding(mut self, forbidden: &[Url]) -> Scope {
        for o in forbidden.iter().map(Url::origin) {
            if !self.forbidden.contains(&o) {
                self.forbidden.push(o);
            }
        }
        self
    }

    /// Lets requests reach a backend the app's client talks to. `Ok(true)` when it is
    /// new, `Ok(false)` when already in scope, an error when the config forbids it.
    pub fn admit_backend(&mut self, url: &Url) -> Result<bool, ScopeError> {
        let origin = url.origin();
        if self.forbidden.contains(&origin) {
            return Err(ScopeError::Forbidden {
                url: origin.ascii_serialization(),
            });
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ScopeError::Scheme {
                url: url.to_string(),
                scheme: url.scheme().to_string(),
            });
        }
        if self.origins.contains(&origin) || self.backends.contains(&origin) {
            return Ok(false);
        }
        self.backends.push(origin);
        Ok(true)
    }

    /// Whether `url` is on a backend origin (admitted, not one of the app's own).
    pub fn is_backend(&self, url: &Url) -> bool {
        self.backends.contains(&url.origin())
    }

    /// Whether the config forbids `url`'s origin.
    pub fn is_forbidden(&self, url: &Url) -> bool {
        self.forbidden.contains(&url.origin())
    }

    /// Checks one URL; every request and every redirect hop goes through here.
    pub fn check(&self, url: &Url) -> Result<(), ScopeError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ScopeError::Scheme {
                url: url.to_string(),
                scheme: url.scheme().to_string(),
            });
        }
        if self.forbidden.contains(&url.origin()) {
            return Err(ScopeError::Forbidden {
                url: url.to_string(),
            });
        }
        if !self.origins.contains(&url.origin()) && !self.backends.contains(&url.origin()) {
            return Err(ScopeError::OtherOrigin {
                url: url.to_string(),
                allowed: self
                    .origins
                    .iter()
                    .map(|o| o.ascii_serialization())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if let Some(prefix) = self
            .exclude
            .iter()
            .find(|p| url.path().starts_with(p.as_str()))
        {
            return Err(ScopeError::Excluded {
                url: url.to_string(),
                prefix: prefix.clone(),
            });
        }
        Ok(())
    }

    pub fn contains(&self, url: &Url) -> bool {
        self.check(url).is_ok()
    }

    /// The app's own in-scope origins, serialised (`https://app.example`).
    pub fn origins(&self) -> Vec<String> {
        self.origins
            .iter()
            .map(|o| o.ascii_serialization())
            .collect()
    }

    /// The backend origins admitted so far, serialised.
    pub fn backend_origins(&self) -> Vec<String> {
        self.backends
            .iter()
            .map(|o| o.ascii_serialization())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn origin_scheme_port_and_exclusions_are_enforced() {
        let scope = Scope::new(&[u("http://127.0.0.1:8080/app")], &["/logout*".into()]);
        assert!(scope.contains(&u("http://127.0.0.1:8080/api/x?y=1")));
        assert!(!scope.contains(&u("http://127.0.0.2:8080/api/x")));
        assert!(!scope.contains(&u("http://127.0.0.1:8081/")));
        assert!(!scope.contains(&u("https://127.0.0.1:8080/")));
        assert!(!scope.contains(&u("http://127.0.0.1:8080/logout")));
        // Userinfo tricks do not change the host.
        assert!(!scope.contains(&u("http://127.0.0.1:8080@127.0.0.2:8080/")));
        assert!(matches!(
            scope.check(&u("ftp://127.0.0.1:8080/")),
            Err(ScopeError::Scheme { .. })
        ));
    }

    #[test]
    fn backends_join_only_when_admitted_and_never_when_forbidden() {
        let mut scope = Scope::new(&[u("http://127.0.0.1:8080/")], &[])
            .forbidding(&[u("http://127.0.0.3:9000/")]);
        let backend = u("http://127.0.0.2:9000/rest/v1/");
        assert!(!scope.contains(&backend));
        assert_eq!(scope.admit_backend(&backend), Ok(true));
        assert_eq!(scope.admit_backend(&backend), Ok(false));
        assert!(scope.contains(&backend) && scope.is_backend(&backend));
        assert_eq!(scope.origins(), vec!["http://127.0.0.1:8080".to_string()]);
        assert_eq!(
            scope.backend_origins(),
            vec!["http://127.0.0.2:9000".to_string()]
        );
        let forbidden = u("http://127.0.0.3:9000/rest/v1/");
        assert!(matches!(
            scope.admit_backend(&forbidden),
            Err(ScopeError::Forbidden { .. })
        ));
        let err = scope.check(&forbidden).unwrap_err();
        assert!(err.fix().contains("target.forbid_origins"), "{}", err.fix());
    }

    #[test]
    fn each_reason_names_its_own_fix() {
        let scope = Scope::new(&[u("http://127.0.0.1:8080/")], &["/logout".into()]);
        let excluded = scope.check(&u("http://127.0.0.1:8080/logout")).unwrap_err();
        assert!(
            excluded
                .fix()
                .contains("remove /logout from target.exclude")
        );
        assert!(!excluded.fix().contains("target.origins"));
        let other = scope.check(&u("http://127.0.0.2:8080/")).unwrap_err();
        assert!(other.fix().contains("target.origins"));
        let scheme = scope.check(&u("ftp://127.0.0.1:8080/")).unwrap_err();
        assert!(scheme.fix().contains("http://"));
    }
}
