//! No credential leaves the scanner: one full scan of the all-flaws app by the real
//! binary with the most verbose logging, its report rendered in every format, and every
//! output (reports, stdout, stderr log) grepped for every credential involved: the
//! passwords the app handed out, every Authorization, Cookie and other credential header
//! value the scanner actually sent (as the app recorded them), the weak JWT secret the
//! scanner cracks, and the secrets planted in the app's bundle and files.

use std::path::Path;
use std::process::{Command, Output};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use prodready::families::auth::jwt::{Jwt, weak_secrets};
use prodready::http::is_sensitive_header;
use testserver::RecordedRequest;

use super::common;

/// Values shorter than this are not credentials worth grepping for (`1`, `true`, `en`):
/// they would match ordinary report text.
const MIN_LEN: usize = 8;

/// Every way a report or log could spell `secret`: as is, percent- and form-encoded,
/// JSON- and HTML-escaped.
fn spellings(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).expect("a string serialises");
    let mut out = vec![
        secret.to_string(),
        utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        json[1..json.len() - 1].to_string(),
        secret
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;"),
    ];
    out.sort();
    out.dedup();
    out
}

/// The first secret found in `text`, in any spelling, with a little context.
fn leak_in(text: &str, secrets: &[String]) -> Option<String> {
    secrets.iter().find_map(|secret| {
        spellings(secret).into_iter().find_map(|s| {
            text.find(&s).map(|at| {
                let mut start = at.saturating_sub(80);
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (at + s.len() + 80).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                format!("`{secret}` found in: …{}…", &text[start..end])
            })
        })
    })
}

/// Every credential value the scanner sent, read from the requests the app received.
fn sent_credentials(requests: &[RecordedRequest]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in requests.iter().flat_map(|r| &r.headers) {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            out.extend(
                value
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(_, v)| v.trim().to_string()),
            );
        } else if name == "authorization" || name == "proxy-authorization" {
            // `Bearer TOKEN`: the token alone is the secret (and the whole value).
            out.push(value.clone());
            if let Some((_, token)) = value.split_once(' ') {
                out.push(token.trim().to_string());
            }
        } else if is_sensitive_header(&name) {
            out.push(value.clone());
        }
    }
    out.retain(|v| v.len() >= MIN_LEN);
    out.sort();
    out.dedup();
    out
}

/// The HMAC secrets of the JWTs among `credentials`, as the scanner's JWT probe cracks them.
fn cracked_jwt_secrets(credentials: &[String]) -> Vec<String> {
    let mut out: Vec<String> = credentials
        .iter()
        .filter_map(|c| Jwt::decode(c))
        .filter_map(|jwt| jwt.crack(weak_secrets()).map(str::to_string))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn prodready() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prodready"));
    cmd.env("NO_COLOR", "1");
    cmd
}

fn checked(out: Output, what: &str) -> Output {
    // 0 or 1 (the gate fails on the flawed app); 2 and 3 mean it did not run.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{what} exited {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `prodready -vv scan --config` against `base_url`, JSON to `dir/report.json`,
/// then renders the other formats from it. Returns every output as (what, text).
fn scan_and_render(dir: &Path, base_url: &str, env: &[(String, String)]) -> Vec<(String, String)> {
    let config = dir.join("scan.toml");
    let text = prodready::demo::CONFIG.replace("http://127.0.0.1:8080", base_url);
    assert!(
        text.contains(base_url),
        "the bundled config names its target"
    );
    std::fs::write(&config, text).expect("config written");
    let json = dir.join("report.json");
    let inventory = dir.join("inventory.json");
    let scan = checked(
        prodready()
            .args(["-vv", "scan", "--format", "json", "--output"])
            .arg(&json)
            .arg("--inventory")
            .arg(&inventory)
            .arg("--config")
            .arg(&config)
            // Everything the scanner itself logs, at every level, and its libraries at debug.
            .env("PRODREADY_LOG", "prodready=trace,debug")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("prodready runs"),
        "scan",
    );
    let mut outputs = vec![
        (
            "scan stdout".to_string(),
            String::from_utf8_lossy(&scan.stdout).into_owned(),
        ),
        (
            "scan log (stderr)".to_string(),
            String::from_utf8_lossy(&scan.stderr).into_owned(),
        ),
    ];
    for format in ["json", "sarif", "junit", "markdown", "html", "table"] {
        let out = checked(
            prodready()
                .arg("render")
                .arg(&json)
                .args(["--format", format])
                .output()
                .expect("prodready render runs"),
            "render",
        );
        outputs.push((
            format!("{format} report"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
    }
    outputs.push((
        "report.json as written by scan".to_string(),
        std::fs::read_to_string(&json).expect("report written"),
    ));
    let endpoints = std::fs::read_to_string(&inventory).expect("inventory written");
    let list: Vec<serde_json::Value> = serde_json::from_str(&endpoints).expect("inventory JSON");
    // Every identity that logged in was answered somewhere, and says how.
    for who in ["a", "b"] {
        assert!(
            list.iter()
                .any(|e| e["statuses"][who].as_u64().is_some_and(|s| s < 300)),
            "no endpoint answered {who} in {endpoints}"
        );
    }
    outputs.push(("inventory.json".to_string(), endpoints));
    outputs
}

#[test]
fn the_grep_finds_an_unredacted_secret_in_every_spelling() {
    let secrets = vec!["p&ss w<rd\"+/é".to_string()];
    for spelling in spellings(&secrets[0]) {
        let text = format!("{{\"detail\": \"sent {spelling} to the app\"}}");
        assert!(leak_in(&text, &secrets).is_some(), "{spelling} not found");
    }
    assert!(leak_in("[REDACTED] and p&ss… (13 characters)", &secrets).is_none());
    let recorded = RecordedRequest {
        at: std::time::Instant::now(),
        method: "GET".into(),
        path_and_query: "/".into(),
        headers: vec![
            ("authorization".into(), "Bearer abcdefghijkl".into()),
            ("cookie".into(), "sid=0123456789ab; lang=en".into()),
            ("x-csrf-token".into(), "csrf-token-value".into()),
            ("accept".into(), "application/json-and-more".into()),
        ],
        peer: "127.0.0.1:1".parse().unwrap(),
    };
    assert_eq!(
        sent_credentials(&[recorded]),
        [
            "0123456789ab",
            "Bearer abcdefghijkl",
            "abcdefghijkl",
            "csrf-token-value"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_report_format_nor_the_log_shows_a_credential() {
    let server = common::app("all").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let env: Vec<(String, String)> = prodready::demo::env_for(&server).into_iter().collect();
    let base_url = server.base_url();
    let path = dir.path().to_path_buf();
    let outputs = tokio::task::spawn_blocking(move || scan_and_render(&path, &base_url, &env))
        .await
        .expect("scan thread");

    let passwords = common::passwords(&server);
    let sent = sent_credentials(&server.requests());
    let jwt_secrets = cracked_jwt_secrets(&sent);
    let planted: Vec<String> = testserver::planted_secrets()
        .into_iter()
        .map(str::to_string)
        .collect();
    // The test proves something only if it has credentials of every kind to look for.
    assert_eq!(passwords.len(), 4, "{passwords:?}");
    assert!(
        sent.iter().any(|c| c.starts_with("Bearer ")),
        "no bearer token was sent"
    );
    assert!(
        sent.iter()
            .any(|c| !c.contains(' ') && Jwt::decode(c).is_none()),
        "no session cookie was sent"
    );
    assert_eq!(
        jwt_secrets.len(),
        1,
        "the weak-jwt-secret flaw signs with one crackable secret"
    );
    // The scan really ran and found things, so its outputs are worth grepping.
    let json = &outputs.iter().find(|(w, _)| w == "json report").unwrap().1;
    assert!(json.contains("\"findings\""), "{json}");

    let secrets: Vec<String> = passwords
        .into_iter()
        .chain(sent)
        .chain(jwt_secrets)
        .chain(planted)
        .collect();
    let leaks: Vec<String> = outputs
        .iter()
        .filter_map(|(what, text)| leak_in(text, &secrets).map(|l| format!("{what}: {l}")))
        .collect();
    assert!(
        leaks.is_empty(),
        "credentials leaked:\n{}",
        leaks.join("\n")
    );
}
