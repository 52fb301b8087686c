//! Secrets come from the environment (`${VAR}`) or a file (`file:PATH`), never from
//! the config text. The environment is injected so each step is testable alone.

use std::collections::HashMap;
use std::path::Path;

use super::ConfigError;

/// A secret value. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for sending it; never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// Where values come from: environment variables and files.
pub trait Source {
    fn var(&self, name: &str) -> Option<String>;
    fn read_file(&self, path: &Path) -> std::io::Result<String>;
}

/// The real process environment and file system.
pub struct ProcessSource;

impl Source for ProcessSource {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn read_file(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// A fixed map of variables on top of another source (used by `demo` and tests).
pub struct MapSource<'a> {
    pub vars: HashMap<String, String>,
    pub fallback: &'a dyn Source,
}

impl Source for MapSource<'_> {
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .cloned()
            .or_else(|| self.fallback.var(name))
    }

    fn read_file(&self, path: &Path) -> std::io::Result<String> {
        self.fallback.read_file(path)
    }
}

/// A reference as written in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reference<'a> {
    Env(&'a str),
    File(&'a str),
    Literal(&'a str),
}

fn parse_reference(text: &str) -> Reference<'_> {
    let trimmed = text.trim();
    if let Some(name) = trimmed.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Reference::Env(name)
    } else if let Some(path) = trimmed.strip_prefix("file:") {
        Reference::File(path)
    } else {
        Reference::Literal(text)
    }
}

/// Resolves a value that must be secret: a literal is refused.
pub fn resolve_secret(key: &str, text: &str, source: &dyn Source) -> Result<Secret, ConfigError> {
    match parse_reference(text) {
        Reference::Literal(_) => Err(ConfigError::LiteralSecret {
            key: key.to_string(),
        }),
        reference => resolve_reference(key, reference, source).map(Secret),
    }
}

/// Resolves a value that may be written literally or come from the environment or a file.
pub fn resolve_plain(key: &str, text: &str, source: &dyn Source) -> Result<String, ConfigError> {
    resolve_reference(key, parse_reference(text), source)
}

fn resolve_reference(
    key: &str,
    reference: Reference<'_>,
    source: &dyn Source,
) -> Result<String, ConfigError> {
    match reference {
        Reference::Literal(text) => Ok(text.to_string()),
        Reference::Env(name) => {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(ConfigError::Invalid {
                    key: key.to_string(),
                    problem: format!("`${{{name}}}` is not a valid environment variable name"),
                });
            }
            match source.var(name) {
                Some(value) if !value.is_empty() => Ok(value),
                _ => Err(ConfigError::MissingEnv {
                    key: key.to_string(),
                    var: name.to_string(),
                }),
            }
        }
        Reference::File(path) => {
            let value = source
                .read_file(Path::new(path))
                .map_err(|e| ConfigError::SecretFile {
                    key: key.to_string(),
                    path: path.to_string(),
                    reason: e.to_string(),
                })?;
            // A trailing newline from `echo secret > file` is not part of the secret.
            let value = value.trim_end_matches(['\n', '\r']).to_string();
            if value.is_empty() {
                return Err(ConfigError::SecretFile {
                    key: key.to_string(),
                    path: path.to_string(),
                    reason: "the file is empty".into(),
                });
            }
            Ok(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;
    impl Source for Fake {
        fn var(&self, name: &str) -> Option<String> {
            (name == "PW").then(|| "s3cret".to_string())
        }
        fn read_file(&self, path: &Path) -> std::io::Result<String> {
            match path.to_str() {
                Some("/run/pw") => Ok("from-file\n".into()),
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "No such file",
                )),
            }
        }
    }

    #[test]
    fn env_and_file_references_resolve() {
        assert_eq!(
            resolve_secret("k", "${PW}", &Fake).unwrap().expose(),
            "s3cret"
        );
        assert_eq!(
            resolve_secret("k", "file:/run/pw", &Fake).unwrap().expose(),
            "from-file"
        );
        assert_eq!(
            resolve_plain("k", "alice@x.test", &Fake).unwrap(),
            "alice@x.test"
        );
    }

    #[test]
    fn literal_secrets_and_missing_vars_are_named() {
        let e = resolve_secret("identities.a.login.password", "hunter2", &Fake).unwrap_err();
        assert!(e.to_string().contains("identities.a.login.password"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = resolve_secret("identities.a.login.password", "${NOPE}", &Fake).unwrap_err();
        assert!(e.to_string().contains("NOPE"), "{e}");
        let e = resolve_secret("k", "file:/missing", &Fake).unwrap_err();
        assert!(e.to_string().contains("/missing"), "{e}");
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("abc")), "Secret([REDACTED])");
    }
}
