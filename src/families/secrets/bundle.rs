//! The client bundle beyond what discovery reads (checklist item 7): source maps of
//! every script (with their embedded original sources), runtime config files, and
//! backup or editor copies of served scripts.
//!
//! Discovery already fetched every script of every crawled page and the chunks they
//! load lazily (`src/discover/scripts.rs`); every response the scanner receives,
//! these included, passes the `secrets.*` signatures in the passive scanner, which
//! reports (redacted) any key it finds. This family fetches what discovery does not:
//! the files a bundle points to for debugging and configuration.

use std::sync::LazyLock;

use futures_util::future::BoxFuture;
use regex::Regex;
use url::Url;

use crate::auth::Identity;
use crate::engine::Context;
use crate::engine::{Descriptor, Family};
use crate::http::{Request, Response};
use crate::model::Item;
use crate::model::ProbeRun;
use crate::model::RunState;
use crate::model::{Confidence, Finding, Location, Severity};

/// Scripts whose source maps and backups are looked for.
const MAX_SCRIPTS: usize = 40;
/// Scripts whose backup copies are tried (each costs several requests).
const MAX_BACKUP_SCRIPTS: usize = 3;
/// Bytes this family reads in all, so a huge bundle cannot exhaust memory or time.
const MAX_TOTAL_BYTES: usize = 32 << 20;

/// Where apps commonly load configuration at run time (`window.__ENV__ = {...}` in
/// `env.js`, `fetch("/config.json")`), relative to the site root.
const RUNTIME_CONFIG: &[&str] = &[
    "/config.json",
    "/env.js",
    "/env-config.js",
    "/runtime-config.js",
    "/config.js",
    "/app-config.json",
    "/assets/config.json",
    "/assets/env.js",
    "/__env.js",
];

/// `//# sourceMappingURL=app.js.map` (or the legacy `//@`), and the CSS-comment form.
static SOURCE_MAP_COMMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)[#@]\s*sourceMappingURL\s*=\s*([^\s'\x22*]+)").expect("valid regex")
});

/// What the `bundle` family is: its name (every probe id it reports starts with it),
/// the items it scores and the probe ids it may report.
pub const DESCRIPTOR: Descriptor = Descriptor {
    name: "bundle",
    items: &[Item::Secrets],
    ids: &["bundle.script-backup", "bundle.source-map-exposed"],
    runs_last: false,
};

/// The `bundle` family.
pub struct BundleFamily;

impl Family for BundleFamily {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>> {
        Box::pin(async move { run(ctx).await.map(split_signature_matches) })
    }
}

/// Keys matched inside embedded original sources are the catalog's `secrets.*`
/// signatures: they are reported in a run of that family, not of this one.
fn split_signature_matches(mut run: ProbeRun) -> Vec<ProbeRun> {
    let (mine, matched): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut run.findings)
        .into_iter()
        .partition(|f| f.family() == DESCRIPTOR.name);
    run.findings = mine;
    let mut out = vec![run];
    let families: std::collections::BTreeSet<String> =
        matched.iter().map(|f| f.family().to_string()).collect();
    for family in families {
        let mut signatures = ProbeRun::new(&family, Item::Secrets);
        signatures.findings = matched
            .iter()
            .filter(|f| f.family() == family)
            .cloned()
            .collect();
        signatures.checks = signatures.findings.len() as u32;
        signatures
            .notes
            .push("matched in the original sources of inline source maps".to_string());
        out.push(signatures);
    }
    out
}

struct Budget {
    bytes: usize,
}

impl Budget {
    fn take(&mut self, resp: &Response) -> bool {
        self.bytes = self.bytes.saturating_add(resp.body.len());
        self.bytes <= MAX_TOTAL_BYTES
    }
}

/// Who fetches: scripts behind a login need a session, so the first tenant when there
/// is one, else anonymous.
fn reader(ctx: &Context) -> &Identity {
    ctx.identities
        .authenticated()
        .next()
        .map(|i| &**i)
        .unwrap_or_else(|| ctx.identities.anonymous())
}

/// A script, source map or backup copy, read up to `limits.script_cap_kib` (one at a
/// time, so the memory they take stays bounded).
async fn get(ctx: &Context, who: &Identity, url: &Url) -> Option<Response> {
    if !ctx.http.scope().contains(url) {
        return None;
    }
    let req = Request::get(url.clone())
        .header("Accept", "*/*")
        .body_cap(ctx.config.limits.script_cap);
    who.send(&ctx.http, req).await.ok()
}

async fn run(ctx: &Context) -> Result<ProbeRun, String> {
    let mut run = ProbeRun::new(DESCRIPTOR.name, Item::Secrets);
    let who = reader(ctx);
    let mut budget = Budget { bytes: 0 };
    let scripts: Vec<Url> = ctx
        .inventory
        .scripts
        .iter()
        .filter_map(|s| Url::parse(s).ok())
        .take(MAX_SCRIPTS)
        .collect();
    let (mut maps, mut backups_tried) = (0usize, 0usize);
    // Scripts read only in part (body cap or deadline): a key past the cut goes unseen.
    let mut cut: Vec<String> = Vec::new();
    for (n, script) in scripts.iter().enumerate() {
        let Some(resp) = get(ctx, who, script).await else {
            continue;
        };
        if !budget.take(&resp) {
            run.notes
                .push(format!("stopped reading at {MAX_TOTAL_BYTES} bytes"));
            break;
        }
        run.checks += 1;
        if !resp.is_success() {
            continue;
        }
        if resp.truncated {
            cut.push(ctx.http.redactor().url(&resp.url));
        }
        if let Some(sources) = inline_sources(&resp) {
            maps += 1;
            run.checks += 1;
            run.findings.extend(inline_findings(ctx, &resp, &sources));
        }
        for map_url in source_map_candidates(&resp) {
            let Some(map) = get(ctx, who, &map_url).await else {
                continue;
            };
            run.checks += 1;
            if !budget.take(&map) {
                break;
            }
            if let Some(with_sources) = source_map_kind(&map) {
                maps += 1;
                run.findings
                    .push(source_map_finding(ctx, &map, with_sources));
                break;
            }
        }
        // A content-hashed name (`app.3f2a9c1d.js`) is written by the build, never
        // edited in place: no editor or admin leaves a backup of it.
        if n < MAX_BACKUP_SCRIPTS && !content_hashed(script) {
            for candidate in backup_candidates(script) {
                let Some(copy) = get(ctx, who, &candidate).await else {
                    continue;
                };
                backups_tried += 1;
                run.checks += 1;
                if copy.is_success() && looks_like_script_copy(&copy) {
                    run.findings.push(backup_finding(ctx, &copy));
                }
            }
        }
    }
    let mut configs = 0usize;
    for path in RUNTIME_CONFIG {
        let Ok(url) = ctx.config.target.join(path) else {
            continue;
        };
        // Anonymous: a config file that needs no login is what every visitor gets.
        if let Some(resp) = get(ctx, ctx.identities.anonymous(), &url).await {
            run.checks += 1;
            if resp.is_success() && !resp.is_html() {
                configs += 1;
            }
        }
    }
    run.notes.push(format!(
        "re-read {} scripts for source maps ({maps} exposed), tried {backups_tried} backup names, \
         {configs} of {} runtime config paths answered; their contents pass the secrets.* signatures",
        scripts.len(),
        RUNTIME_CONFIG.len()
    ));
    if !cut.is_empty() {
        let limits = &ctx.config.limits;
        run.state = RunState::Inconclusive {
            reason: format!(
                "{} script(s) were read only in part ({}): they are larger than limits.script_cap_kib = {} \
                 (or limits.body_cap_kib, whichever is larger) or slower than limits.timeout_secs = {}, \
                 so a key past the cut would go unseen; raise those limits to scan them whole",
                cut.len(),
                cut.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                limits.script_cap / 1024,
                limits.timeout.as_secs_f64()
            ),
        };
    }
    Ok(run)
}

/// The source maps a script points to (comment or `SourceMap` header), else `<script>.map`.
fn source_map_candidates(script: &Response) -> Vec<Url> {
    let mut out = Vec::new();
    let header = script
        .header("sourcemap")
        .or_else(|| script.header("x-sourcemap"));
    let text = script.text();
    // The comment is at the end of the file; look only there.
    let tail_start = text.len().saturating_sub(4096);
    let tail = text.get(tail_start..).unwrap_or(&text);
    let comment = SOURCE_MAP_COMMENT
        .captures_iter(tail)
        .last()
        .map(|c| c[1].to_string());
    for reference in header.map(str::to_string).into_iter().chain(comment) {
        if reference.starts_with("data:") {
            continue; // An inline map is part of the script itself, already scanned.
        }
        if let Ok(u) = script.url.join(&reference)
            && !out.contains(&u)
        {
            out.push(u);
        }
    }
    if out.is_empty() {
        let mut beside = script.url.clone();
        beside.set_query(None);
        beside.set_path(&format!("{}.map", script.url.path()));
        out.push(beside);
    }
    out
}

/// Decoded inline maps larger than this are skipped.
const MAX_INLINE_MAP: usize = 8 << 20;

/// The embedded sources of an inline source map (`sourceMappingURL=data:...;base64,`),
/// joined by newlines: the passive scanner never sees them, they are base64 in the script.
fn inline_sources(script: &Response) -> Option<String> {
    use base64::Engine;
    let text = script.text();
    let tail_start = text.len().saturating_sub(MAX_INLINE_MAP);
    let tail = text.get(tail_start..).unwrap_or(&text);
    let reference = SOURCE_MAP_COMMENT.captures_iter(tail).last()?[1].to_string();
    let data = reference.strip_prefix("data:")?;
    let (meta, payload) = data.split_once(',')?;
    let bytes = if meta.ends_with(";base64") {
        base64::engine::general_purpose::STANDARD
            .decode(payload.trim())
            .ok()?
    } else {
        percent_encoding::percent_decode_str(payload).collect()
    };
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let sources: Vec<&str> = json
        .get("sourcesContent")?
        .as_array()?
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    (!sources.is_empty()).then(|| sources.join("\n"))
}

/// Findings for an inline source map: the map itself, and every signature match in the
/// sources it embeds (redacted; the script's body stays out of the evidence because
/// the sources are in it, base64-encoded).
fn inline_findings(ctx: &Context, script: &Response, sources: &str) -> Vec<Finding> {
    let loc = location(ctx, script);
    let evidence = |label: &str, matched: Option<String>| {
        let mut ev = ctx.http.evidence(label, script, None);
        if let Some(resp) = ev.response.as_mut() {
            resp.body = "[script with an inline source map; body withheld]".into();
            resp.truncated = true;
        }
        ev.matched = matched;
        ev
    };
    let mut out = vec![
        Finding::builder(Item::Secrets, "bundle.source-map-exposed")
            .rated(Severity::Low, Confidence::Firm)
            .title("Source map of a production script is public")
            .detail(format!(
                "{} carries an inline source map with the original source files                  (sourcesContent).",
                loc.url
            ))
            .at(loc.clone())
            .discriminator("inline")
            .build()
        .with_evidence(evidence("the script with its inline source map", None))
        .with_remediation("Build production bundles without inline source maps."),
    ];
    for m in ctx.catalog.signatures.scan_text(sources.as_bytes()) {
        if let Some(raw) = &m.secret {
            ctx.http.redactor().add(raw);
        }
        let sig = m.signature;
        out.push(
            Finding::builder(sig.item, &sig.id)
                .rated(sig.severity, sig.confidence)
                .title(&sig.title)
                .detail(format!(
                    "{} Found in the original sources embedded in the inline source map of {}: {}",
                    sig.detail,
                    loc.url,
                    ctx.http.redactor().text(&m.excerpt)
                ))
                .at(loc.clone())
                .discriminator("inline-source-map")
                .build()
                .with_evidence(evidence(
                    &format!("inline source map matched {}", sig.id),
                    Some(ctx.http.redactor().text(&m.excerpt)),
                ))
                .with_remediation(&sig.remediation),
        );
    }
    out
}

/// `Some(true)` for a source map with embedded sources, `Some(false)` without, `None`
/// when the response is not a source map (an SPA shell, a 404 page).
fn source_map_kind(resp: &Response) -> Option<bool> {
    if !resp.is_success() {
        return None;
    }
    let json = resp.json()?;
    let obj = json.as_object()?;
    let version = obj.get("version").and_then(|v| v.as_u64())?;
    if version != 3 || !(obj.contains_key("mappings") || obj.contains_key("sections")) {
        return None;
    }
    Some(
        obj.get("sourcesContent")
            .and_then(|v| v.as_array())
            .is_some_and(|a| a.iter().any(|s| s.as_str().is_some_and(|s| !s.is_empty()))),
    )
}

fn location(ctx: &Context, resp: &Response) -> Location {
    Location {
        method: resp.sent.method.clone(),
        url: ctx.http.redactor().url(&resp.url),
    }
}

fn source_map_finding(ctx: &Context, map: &Response, with_sources: bool) -> Finding {
    let loc = location(ctx, map);
    let (severity, detail) = if with_sources {
        (
            Severity::Low,
            format!(
                "The source map {} is public and embeds the original source files \
                 (sourcesContent): comments, internal names and anything a minifier removed \
                 are readable. Keys found inside are reported separately by the secrets.* signatures.",
                loc.url
            ),
        )
    } else {
        (
            Severity::Info,
            format!(
                "The source map {} is public (without embedded sources): it maps the bundle \
                 back to file names and lines.",
                loc.url
            ),
        )
    };
    Finding::builder(Item::Secrets, "bundle.source-map-exposed")
        .rated(severity, Confidence::Firm)
        .title("Source map of a production script is public")
        .detail(detail)
        .at(loc)
        .build()
        .with_evidence(map_evidence(ctx, map))
        .with_remediation(
            "Do not deploy .map files (or upload them to your error tracker only), and drop the \
         sourceMappingURL comment from production builds.",
        )
}

/// Evidence for a source map: the exchange with the body reduced to the names of the
/// files it embeds; the sources themselves may hold secrets and stay out of the report.
fn map_evidence(ctx: &Context, map: &Response) -> crate::model::Evidence {
    let mut ev = ctx.http.evidence("the source map as served", map, None);
    let sources: Vec<String> = map
        .json()
        .and_then(|j| j.get("sources").and_then(|s| s.as_array()).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .take(20)
        .collect();
    if let Some(resp) = ev.response.as_mut() {
        resp.body = format!(
            "source map v3 embedding {} sources: {}",
            sources.len(),
            ctx.http.redactor().text(&sources.join(", "))
        );
        resp.truncated = true;
    }
    ev
}

/// Whether a script's file name carries a build's content hash: a part of at least
/// eight hex digits, letters and digits both (`main.3f2a9c1d.js`, `index-4f3a9e0b.js`).
fn content_hashed(script: &Url) -> bool {
    let name = script.path().rsplit('/').next().unwrap_or("");
    name.split(['.', '-', '_']).any(|part| {
        part.len() >= 8
            && part.bytes().all(|b| b.is_ascii_hexdigit())
            && part.bytes().any(|b| b.is_ascii_digit())
            && part.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

/// Names editors and admins leave beside a file: `app.js~`, `app.js.bak`, `.app.js.swp`...
fn backup_candidates(script: &Url) -> Vec<Url> {
    let path = script.path();
    let Some((dir, name)) = path.rsplit_once('/') else {
        return Vec::new();
    };
    if name.is_empty() {
        return Vec::new();
    }
    let mut paths = vec![
        format!("{path}~"),
        format!("{path}.bak"),
        format!("{path}.old"),
        format!("{path}.orig"),
        format!("{dir}/.{name}.swp"),
    ];
    paths.dedup();
    paths
        .into_iter()
        .map(|p| {
            let mut u = script.clone();
            u.set_query(None);
            u.set_path(&p);
            u
        })
        .collect()
}

/// Whether a response is a copy of a script (or a vim swap file), not the HTML shell or
/// a JSON error that many apps answer for any path.
fn looks_like_script_copy(resp: &Response) -> bool {
    if resp.body.starts_with(b"b0VIM") {
        return true;
    }
    if resp.is_html() || resp.is_json() {
        return false;
    }
    let text = resp.text();
    let head: &str = text.get(..text.len().min(4096)).unwrap_or("");
    let lower = head.trim_start().to_ascii_lowercase();
    if lower.starts_with('<') || lower.starts_with('{') || lower.starts_with('[') {
        return false;
    }
    [
        "function", "=>", "var ", "const ", "let ", "import ", "export ",
    ]
    .iter()
    .filter(|w| head.contains(*w))
    .count()
        >= 2
}

fn backup_finding(ctx: &Context, copy: &Response) -> Finding {
    let loc = location(ctx, copy);
    Finding::builder(Item::Secrets, "bundle.script-backup")
        .rated(Severity::Low, Confidence::Firm)
        .title("Backup or editor copy of a script is served")
        .detail(format!(
            "{} is a backup or editor copy of a served script: the server publishes stray files \
             from its folder, and old copies often hold code or keys since removed.",
            loc.url
        ))
        .at(loc)
        .build()
    .with_evidence(ctx.http.evidence("the copy as served", copy, None))
    .with_remediation(
        "Deploy only build output, and deny backup and swap names (*~, *.bak, *.swp, *.old) in the web server.",
    )
}

#[cfg(test)]
mod tests {
    use crate::model::IdentityId;
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;

    fn resp(url: &str, headers: &[(&str, &str)], body: &str) -> Response {
        let url: Url = url.parse().unwrap();
        Response {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Bytes::copy_from_slice(body.as_bytes()),
            truncated: false,
            url: url.clone(),
            elapsed: Duration::ZERO,
            redirects: Vec::new(),
            blocked_redirect: None,
            sent: crate::http::SentRequest {
                identity: IdentityId::A,
                purpose: None,
                method: "GET".into(),
                url,
                headers: Vec::new(),
                body: None,
            },
        }
    }

    #[test]
    fn source_maps_come_from_the_comment_the_header_or_beside_the_script() {
        let js = resp(
            "http://127.0.0.1:1/static/app.js?v=2",
            &[],
            "var a=1;\n//# sourceMappingURL=maps/app.js.map\n",
        );
        assert_eq!(
            source_map_candidates(&js),
            [Url::parse("http://127.0.0.1:1/static/maps/app.js.map").unwrap()]
        );
        let header = resp(
            "http://127.0.0.1:1/static/app.js",
            &[("sourcemap", "/m/app.map")],
            "var a=1;",
        );
        assert_eq!(
            source_map_candidates(&header),
            [Url::parse("http://127.0.0.1:1/m/app.map").unwrap()]
        );
        let bare = resp("http://127.0.0.1:1/static/app.js?v=2", &[], "var a=1;");
        assert_eq!(
            source_map_candidates(&bare),
            [Url::parse("http://127.0.0.1:1/static/app.js.map").unwrap()]
        );
        let inline = resp(
            "http://127.0.0.1:1/a.js",
            &[],
            "x\n//# sourceMappingURL=data:application/json;base64,eyJ2IjozfQ==",
        );
        assert_eq!(
            source_map_candidates(&inline),
            [Url::parse("http://127.0.0.1:1/a.js.map").unwrap()]
        );
    }

    #[test]
    fn inline_source_maps_are_decoded() {
        use base64::Engine;
        let map = r#"{"version":3,"sources":["a.ts"],"sourcesContent":["const k = 1;"],"mappings":"AAAA"}"#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(map);
        let js = resp(
            "http://127.0.0.1:1/a.js",
            &[],
            &format!(
                "var k=1;\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,{b64}\n"
            ),
        );
        assert_eq!(inline_sources(&js).as_deref(), Some("const k = 1;"));
        let plain = resp("http://127.0.0.1:1/a.js", &[], "var k=1;");
        assert_eq!(inline_sources(&plain), None);
    }

    #[test]
    fn only_real_source_maps_count() {
        let json = [("content-type", "application/json")];
        let with = resp(
            "http://127.0.0.1:1/a.js.map",
            &json,
            r#"{"version":3,"sources":["src/a.ts"],"sourcesContent":["export const a = 1;"],"mappings":"AAAA"}"#,
        );
        assert_eq!(source_map_kind(&with), Some(true));
        let without = resp(
            "http://127.0.0.1:1/a.js.map",
            &json,
            r#"{"version":3,"sources":["src/a.ts"],"mappings":"AAAA"}"#,
        );
        assert_eq!(source_map_kind(&without), Some(false));
        let shell = resp(
            "http://127.0.0.1:1/a.js.map",
            &[("content-type", "text/html")],
            "<!doctype html><div id=root></div>",
        );
        assert_eq!(source_map_kind(&shell), None);
        let error = resp(
            "http://127.0.0.1:1/a.js.map",
            &json,
            r#"{"error":"not found","version":3}"#,
        );
        assert_eq!(source_map_kind(&error), None);
    }

    #[test]
    fn hashed_build_names_get_no_backup_guesses() {
        let hashed =
            |p: &str| content_hashed(&Url::parse(&format!("http://127.0.0.1:1{p}")).unwrap());
        assert!(hashed("/static/app.abb9494d.js"));
        assert!(hashed("/assets/index-4f3a9e0b.js"));
        assert!(!hashed("/static/app.js"));
        assert!(
            !hashed("/js/deadbeef.js"),
            "letters only: a word, not a hash"
        );
        assert!(!hashed("/js/20260101.js"), "digits only: a date");
    }

    #[test]
    fn backups_are_judged_on_content() {
        let names: Vec<String> =
            backup_candidates(&Url::parse("http://127.0.0.1:1/static/app.js?v=1").unwrap())
                .iter()
                .map(|u| u.path().to_string())
                .collect();
        assert!(names.contains(&"/static/app.js~".to_string()));
        assert!(names.contains(&"/static/.app.js.swp".to_string()));
        let js = [("content-type", "application/octet-stream")];
        assert!(looks_like_script_copy(&resp(
            "http://127.0.0.1:1/app.js.bak",
            &js,
            "(function(){ var a = 1; function f(){ return a; } })();"
        )));
        assert!(looks_like_script_copy(&resp(
            "http://127.0.0.1:1/.app.js.swp",
            &js,
            "b0VIM 9.0\u{0}\u{0}"
        )));
        assert!(!looks_like_script_copy(&resp(
            "http://127.0.0.1:1/app.js.bak",
            &[("content-type", "text/html")],
            "<!doctype html><script>var a = function(){}</script>"
        )));
        assert!(!looks_like_script_copy(&resp(
            "http://127.0.0.1:1/app.js.bak",
            &[("content-type", "text/plain")],
            "Not Found"
        )));
    }
}
