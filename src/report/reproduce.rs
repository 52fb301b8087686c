//! A `curl` command that replays a piece of evidence, with every redacted secret replaced
//! by a shell variable the reader fills in: `$PRODREADY_TOKEN` (bearer token or API key),
//! `$SESSION_COOKIE` (the whole Cookie header), `$CSRF_TOKEN`, `$PRODREADY_SECRET`
//! (anything else that was redacted).
//!
//! It works from the redacted evidence only, so it can never print a real credential.

use crate::model::RequestExcerpt;

/// Headers curl sets itself or that only describe the transfer.
const SKIPPED_HEADERS: &[&str] = &["host", "content-length", "connection", "accept-encoding"];

/// The shell command that sends `request` again, one line.
pub(crate) fn curl(request: &RequestExcerpt) -> String {
    let mut parts = vec!["curl".to_string(), "-i".to_string()];
    if request.method != "GET" || request.body.is_some() {
        parts.push("-X".into());
        parts.push(request.method.clone());
    }
    parts.push(quote(&request.url, Placeholder::Url));
    for (name, value) in &request.headers {
        if SKIPPED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "authorization" | "proxy-authorization" => Placeholder::Token,
            n if n.contains("csrf") || n.contains("xsrf") => Placeholder::Csrf,
            n if n.contains("api-key") || n.contains("apikey") || n.ends_with("-token") => {
                Placeholder::Token
            }
            "cookie" => Placeholder::Cookie,
            _ => Placeholder::Secret,
        };
        parts.push("-H".into());
        if kind == Placeholder::Cookie && value.contains("[REDACTED") {
            // A cookie value was redacted; the variable holds the whole Cookie header
            // of a logged-in session, which is what a reader can copy from a browser.
            parts.push(format!("\"{name}: ${{SESSION_COOKIE}}\""));
            continue;
        }
        parts.push(quote(&format!("{name}: {value}"), kind));
    }
    if let Some(body) = &request.body {
        parts.push("--data-raw".into());
        parts.push(quote(body, Placeholder::Secret));
    }
    parts.join(" ")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    Token,
    Cookie,
    Csrf,
    Secret,
    Url,
}

/// Quotes `s` for a POSIX shell. Text without redaction marks goes in single quotes
/// (nothing expands); text with marks goes in double quotes with `"`, `\`, `$` and
/// backquotes escaped, and each mark becomes a variable.
fn quote(s: &str, kind: Placeholder) -> String {
    const MARKS: [&str; 3] = ["[REDACTED-JWT]", "[REDACTED]", "REDACTED"];
    let has_mark = match kind {
        Placeholder::Url => s.contains("[REDACTED]") || s.contains(":REDACTED@"),
        _ => s.contains("[REDACTED"),
    };
    if !has_mark {
        return format!("'{}'", s.replace('\'', r"'\''"));
    }
    let mut escaped = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    let var = match kind {
        Placeholder::Token => "${PRODREADY_TOKEN}",
        Placeholder::Cookie => "${SESSION_COOKIE}",
        Placeholder::Csrf => "${CSRF_TOKEN}",
        Placeholder::Secret | Placeholder::Url => "${PRODREADY_SECRET}",
    };
    let mut out = escaped;
    for mark in MARKS {
        // The bare `REDACTED` only stands for a URL password (`user:REDACTED@`).
        if mark == "REDACTED" {
            out = out.replace(":REDACTED@", &format!(":{var}@"));
        } else {
            out = out.replace(mark, var);
        }
    }
    format!("\"{out}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IdentityId;

    fn req(headers: &[(&str, &str)], body: Option<&str>) -> RequestExcerpt {
        RequestExcerpt {
            identity: IdentityId::B,
            method: if body.is_some() { "POST" } else { "GET" }.into(),
            url: "http://127.0.0.1:4000/api/notes?q=it's".into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.map(str::to_string),
        }
    }

    #[test]
    fn secrets_become_variables_and_the_rest_is_quoted() {
        let line = curl(&req(
            &[
                ("authorization", "Bearer [REDACTED]"),
                ("cookie", "sid=[REDACTED]; theme=dark"),
                ("content-type", "application/json"),
                ("X-CSRF-Token", "[REDACTED]"),
                ("content-length", "12"),
            ],
            Some(r#"{"password":"[REDACTED]","note":"$HOME"}"#),
        ));
        assert!(
            line.starts_with("curl -i -X POST 'http://127.0.0.1:4000/api/notes?q=it'\\''s'"),
            "{line}"
        );
        assert!(
            line.contains(r#"-H "authorization: Bearer ${PRODREADY_TOKEN}""#),
            "{line}"
        );
        assert!(line.contains(r#"-H "cookie: ${SESSION_COOKIE}""#), "{line}");
        assert!(
            line.contains("-H 'content-type: application/json'"),
            "{line}"
        );
        assert!(
            line.contains(r#"-H "X-CSRF-Token: ${CSRF_TOKEN}""#),
            "{line}"
        );
        assert!(!line.contains("content-length"));
        assert!(
            line.contains(
                r#"--data-raw "{\"password\":\"${PRODREADY_SECRET}\",\"note\":\"\$HOME\"}""#
            ),
            "{line}"
        );
        assert!(!line.contains("[REDACTED"));
    }

    #[test]
    fn jwt_marks_and_url_passwords_are_placeholders_too() {
        let line = curl(&req(&[("authorization", "Bearer [REDACTED-JWT]")], None));
        assert!(
            line.contains("${PRODREADY_TOKEN}") && !line.contains("-X"),
            "{line}"
        );
        let mut r = req(&[], None);
        r.url = "http://u:REDACTED@127.0.0.1/".into();
        assert_eq!(
            curl(&r),
            "curl -i \"http://u:${PRODREADY_SECRET}@127.0.0.1/\""
        );
    }
}
