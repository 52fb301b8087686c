//! `prodready init`: a commented starting config for a target, every key explained.

use url::Url;

use super::ConfigError;

/// The template, with `{url}` for the target.
const TEMPLATE: &str = r#"# prodready scan config for {url}
# Run: prodready scan --config THIS_FILE
# Secrets never go in this file: use ${ENV_VAR} or file:/path/to/secret.

[target]
url = "{url}"
start = ["/"]                 # where the crawl starts (paths or in-scope URLs)
# origins = ["https://api.example.com"]       # more in-scope origins
# exclude = ["/billing/cancel"]              # path prefixes never requested
# trusted_origins = ["https://app.example.com"]   # CORS origins you allow on purpose

# A staging deploy on an internal CA or a client-certificate (mTLS) gate.
# Paths are PEM files, relative to the directory you run prodready from.
# [target.tls]
# ca = "certs/staging-ca.pem"         # CA bundle trusted besides the system roots
# client_cert = "certs/scanner.pem"   # mTLS: both client_cert and client_key, or neither
# client_key = "certs/scanner-key.pem"
# insecure = true                     # accept ANY certificate; throwaway boxes only,
#                                     # printed on the scorecard and in the report

[limits]
rate = 10                     # requests per second per host; never exceeded
concurrency = 4
timeout_secs = 10
# burst = 1
# body_cap_kib = 1024
# script_cap_kib = 8192       # scripts, chunks and source maps: read whole up to this
# max_pages = 200

[safety]
safe_mode = true              # writes and deletes only on objects the scanner created
noop_writes = true            # B sends A's objects back unchanged to test write checks

# Two test tenants make items 1 (tenant isolation) and 5 (server-side filtering)
# testable. Use dedicated test accounts, never real users.
[identities.a]
check = { url = "/api/me" }   # a request that succeeds only while logged in
[identities.a.login]
kind = "json"                 # json | form | basic | token | cookie
url = "/api/auth/login"
username = "${PRODREADY_A_EMAIL}"
password = "${PRODREADY_A_PASSWORD}"
token = "/access_token"       # JSON pointer to the token; omit for cookie sessions

[identities.b]
check = { url = "/api/me" }
[identities.b.login]
kind = "form"                 # an HTML login form; CSRF fields are handled
page = "/login"
username = "${PRODREADY_B_EMAIL}"
password = "${PRODREADY_B_PASSWORD}"

# An admin and a member of tenant a make item 3 (roles) testable.
# [identities.admin]
# tenant = "a"
# [identities.admin.login]
# kind = "token"
# token = "${PRODREADY_ADMIN_TOKEN}"
# [identities.member]
# tenant = "a"
# [identities.member.login]
# kind = "cookie"
# name = "session"
# value = "file:/run/secrets/member_session"

# How to create the scanner's own objects; found in OpenAPI when omitted.
# [[canaries]]
# create = "/api/projects"
# body = { name = "{canary}" }

# Item 9: a multi-step write and a single-use action.
# [transactions.atomic]
# request = "POST /api/orders"
# valid = { note = "{unique}", items = [{ sku = "A", quantity = 1 }] }
# partial = { note = "{unique}", items = [{ sku = "A", quantity = 1 }, { sku = "NO-SUCH", quantity = 1 }] }
# effect = "/api/orders"
# [transactions.single_use]
# action = "POST /api/invites/accept"
# body = { token = "{token}" }
# setup = { request = "POST /api/invites", body = { email = "{unique}@example.invalid" }, token = "/token" }

# Item 10: where audit records can be read.
# [audit]
# feed = "/api/audit"
# identity = "admin"
# wait_secs = 3          # how long records may take to appear

# Item 12 cannot be observed from outside; an attestation is reported as such.
# [attestation]
# attested_by = "CTO"
# repository = "git.example.com/acme/app"
"#;

/// The commented config for `url`, which must be an http(s) URL with a host.
pub fn render(url: &str) -> Result<String, ConfigError> {
    let parsed = Url::parse(url).map_err(|e| ConfigError::Invalid {
        key: "URL".into(),
        problem: format!("`{url}` is not a URL ({e}); write it like https://staging.example.com"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ConfigError::Invalid {
            key: "URL".into(),
            problem: format!("`{url}` must be an http:// or https:// URL with a host"),
        });
    }
    let base = parsed.as_str().trim_end_matches('/');
    Ok(TEMPLATE.replace("{url}", base))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::config::{MapSource, Overrides, Source, from_text};

    struct NoFiles;
    impl Source for NoFiles {
        fn var(&self, _: &str) -> Option<String> {
            None
        }
        fn read_file(&self, _: &Path) -> std::io::Result<String> {
            Err(std::io::Error::new(std::io::ErrorKind::NotFound, "none"))
        }
    }

    #[test]
    fn the_template_is_a_valid_config_once_its_variables_are_set() {
        let text = render("https://staging.example.com/").unwrap();
        let vars: HashMap<String, String> = ["A_EMAIL", "A_PASSWORD", "B_EMAIL", "B_PASSWORD"]
            .iter()
            .map(|k| (format!("PRODREADY_{k}"), "x-value".to_string()))
            .collect();
        let config = from_text(
            &text,
            "init",
            &MapSource {
                vars: vars.clone(),
                fallback: &NoFiles,
            },
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(config.target.as_str(), "https://staging.example.com/");
        assert_eq!(config.identities.len(), 2);
        assert!(!config.tls.insecure);
        // The commented TLS example names real keys: uncommented, it reads its files.
        let tls = text
            .replace("# [target.tls]", "[target.tls]")
            .replace("# ca = ", "ca = ")
            .replace("# insecure = true", "insecure = true");
        let err = from_text(
            &tls,
            "init",
            &MapSource {
                vars,
                fallback: &NoFiles,
            },
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`target.tls.ca`: certs/staging-ca.pem"),
            "{err}"
        );
        assert!(render("staging.example.com").is_err());
    }
}
