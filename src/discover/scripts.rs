//! Reading JavaScript bundles for API paths and lazily loaded chunks.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// What a script reveals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptFacts {
    /// Same-origin paths that look like API or page routes, `{id}` where the script
    /// concatenates or interpolates a value.
    pub paths: Vec<(Option<String>, String)>,
    /// Further scripts it loads (dynamic imports, chunk names).
    pub chunks: Vec<Url>,
    /// What the bundle calls the app: reverse-DNS bundle ids (`com.acme.notes`) and
    /// the values of `appName`-like keys (at most [`MAX_NAMES`]).
    pub names: Vec<String>,
}

/// App names kept per script.
const MAX_NAMES: usize = 8;

/// A quoted reverse-DNS identifier, as mobile and desktop bundles name their app.
static BUNDLE_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["'`]((?:com|io|org|net|app|dev|co)\.[a-z][a-z0-9-]{1,30}(?:\.[a-z][a-z0-9-]{1,30}){1,3})["'`]"#)
        .expect("valid bundle id regex")
});

/// `appName: "Acme Notes"`, `APP_NAME="acme"`, `"siteName":"Acme"` and the like.
static APP_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)["']?\b(?:app_?name|application_?name|site_?name|product_?name)["']?\s*[:=]\s*["'`]([A-Za-z][A-Za-z0-9 ._-]{1,40})["'`]"#,
    )
    .expect("valid app name regex")
});

/// A quoted string starting with `/`, optionally followed by `+` (concatenation).
static QUOTED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["'`](/[A-Za-z0-9_\-./~%:${}]*)["'`](\s*\+)?"#).expect("valid path regex")
});
/// `import("./x.js")`, `import('/assets/x.mjs')`.
static DYNAMIC_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"import\(\s*["'`]([^"'`\s]+\.m?js)["'`]\s*\)"#).expect("valid import regex")
});
/// Chunk file names bundlers emit as plain strings (`"chunks/admin.3f2a.js"`, `"123.abc.chunk.js"`).
static CHUNK_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"["']((?:\.{0,2}/)?[A-Za-z0-9_\-./]*(?:chunk|chunks|assets)[A-Za-z0-9_\-./]*\.m?js)["']"#,
    )
    .expect("valid chunk regex")
});
/// A webpack chunk-URL function: `"static/js/" + id + "." + {179:"a1b2c3",...}[id] + ".chunk.js"`
/// (`__webpack_require__.u` and its minified forms).
static WEBPACK_CHUNK_MAP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"["']([A-Za-z0-9_\-./]*)["']\s*\+\s*\(?\s*[A-Za-z_$][\w$]*\s*\)?\s*\+\s*["']([.\-])["']\s*\+\s*\{([^{}]+)\}\s*\[\s*[A-Za-z_$][\w$]*\s*\]\s*\+\s*["']([A-Za-z0-9_\-.]*\.m?js)["']"#,
    )
    .expect("valid webpack chunk map regex")
});
/// One `id: "hash"` entry of a webpack chunk map.
static CHUNK_MAP_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:["']([A-Za-z0-9_\-./]+)["']|([0-9]+))\s*:\s*["']([A-Za-z0-9_\-]+)["']"#)
        .expect("valid chunk map entry regex")
});
/// webpack's public path: `__webpack_require__.p = "/"` (minified `r.p="/assets/"`).
static WEBPACK_PUBLIC_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:__webpack_require__|[A-Za-z_$])\.p\s*=\s*["']([^"']*)["']"#)
        .expect("valid public path regex")
});
/// Chunks that webpack's map names at most, so a huge map cannot flood the crawl.
const MAX_MAPPED_CHUNKS: usize = 200;

/// `method: "POST"` near a path, as in `fetch(url, { method: "POST" })`.
static METHOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)method\s*:\s*["'`](GET|POST|PUT|PATCH|DELETE)["'`]"#)
        .expect("valid method regex")
});

const STATIC_EXT: &[&str] = &[
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".css", ".woff", ".woff2", ".ttf", ".map",
    ".webp", ".mp4", ".txt",
];

fn looks_like_route(path: &str) -> bool {
    path.len() > 1
        && path.len() <= 200
        && !path.starts_with("//")
        && path.chars().any(|c| c.is_ascii_alphabetic())
        && !STATIC_EXT
            .iter()
            .any(|e| path.to_ascii_lowercase().ends_with(e))
        && !path.ends_with(".js")
        && !path.contains("/*")
}

/// Reads one script fetched from `url`. Bounded by the caller's body cap.
pub fn read_script(url: &Url, source: &str) -> ScriptFacts {
    let mut facts = ScriptFacts::default();
    for cap in QUOTED_PATH.captures_iter(source).take(5000) {
        let m = cap.get(1).map_or("", |m| m.as_str());
        let concatenated = cap.get(2).is_some();
        // `${id}` in a template literal is an interpolated value.
        let mut path = interpolation_to_id(m);
        if concatenated {
            path = format!("{}{{id}}", path.trim_end_matches('/').to_string() + "/");
        }
        if !looks_like_route(&path) {
            continue;
        }
        // A method named within the next 200 characters belongs to this call.
        let end = cap.get(0).map_or(0, |m| m.end());
        let window_end = (end + 200).min(source.len());
        let window = source.get(end..window_end).unwrap_or("");
        // The call ends at the statement's end or where the next path starts.
        let stop = [";", "fetch(", "axios", "$.ajax"]
            .iter()
            .filter_map(|t| window.find(t))
            .min()
            .unwrap_or(window.len());
        let window = &window[..stop];
        let method = METHOD.captures(window).map(|c| c[1].to_ascii_uppercase());
        let entry = (method, path);
        if !facts.paths.contains(&entry) {
            facts.paths.push(entry);
        }
    }
    for re in [&*DYNAMIC_IMPORT, &*CHUNK_NAME] {
        for cap in re.captures_iter(source).take(500) {
            for u in chunk_urls(url, &cap[1]) {
                if !facts.chunks.contains(&u) && u != *url {
                    facts.chunks.push(u);
                }
            }
        }
    }
    for u in webpack_chunks(url, source) {
        if !facts.chunks.contains(&u) && u != *url {
            facts.chunks.push(u);
        }
    }
    facts.names = app_names(source);
    facts
}

/// The names a bundle gives its app (see [`ScriptFacts::names`]).
fn app_names(source: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let found = BUNDLE_ID
        .captures_iter(source)
        .chain(APP_NAME.captures_iter(source))
        .take(200);
    for cap in found {
        let name = cap[1].to_string();
        if names.len() < MAX_NAMES && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Where a chunk name points. Bundlers write names relative to the script (`./x.js`)
/// or to the site's base (Vite's `assets/x.js` inside `/assets/index.js`): when the
/// name starts with a folder the script already sits in, the base reading is added.
fn chunk_urls(script: &Url, name: &str) -> Vec<Url> {
    let mut out: Vec<Url> = script.join(name).into_iter().collect();
    let first = name.split('/').next().unwrap_or("");
    let relative = !name.starts_with('/') && !name.starts_with('.') && name.contains('/');
    if relative
        && script.path().split('/').any(|seg| seg == first)
        && let Ok(u) = script.join(&format!("/{name}"))
        && !out.contains(&u)
    {
        out.push(u);
    }
    out
}

/// Chunk URLs named by webpack chunk maps in `source`.
pub fn webpack_chunks(script: &Url, source: &str) -> Vec<Url> {
    let public = WEBPACK_PUBLIC_PATH
        .captures(source)
        .map(|c| c[1].to_string())
        .filter(|p| p != "auto" && !p.is_empty())
        .unwrap_or_else(|| "/".to_string());
    let mut out = Vec::new();
    for cap in WEBPACK_CHUNK_MAP.captures_iter(source).take(20) {
        let (prefix, sep, map, suffix) = (&cap[1], &cap[2], &cap[3], &cap[4]);
        for entry in CHUNK_MAP_ENTRY.captures_iter(map) {
            if out.len() >= MAX_MAPPED_CHUNKS {
                return out;
            }
            let id = entry
                .get(1)
                .or_else(|| entry.get(2))
                .map_or("", |m| m.as_str());
            let hash = &entry[3];
            let path = format!("{public}{prefix}{id}{sep}{hash}{suffix}");
            if let Ok(u) = script.join(&path)
                && !out.contains(&u)
            {
                out.push(u);
            }
        }
    }
    out
}

fn interpolation_to_id(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push_str("{id}");
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webpack_chunk_maps_name_every_lazy_chunk() {
        let url = Url::parse("http://127.0.0.1:1/static/js/main.1a2b.js").unwrap();
        let js =
            r#"r.p="/",r.u=e=>"static/js/"+e+"."+{179:"a1b2c3d4",216:"9f8e7d6c"}[e]+".chunk.js""#;
        let f = read_script(&url, js);
        assert!(
            f.chunks.contains(
                &Url::parse("http://127.0.0.1:1/static/js/179.a1b2c3d4.chunk.js").unwrap()
            )
        );
        assert!(
            f.chunks.contains(
                &Url::parse("http://127.0.0.1:1/static/js/216.9f8e7d6c.chunk.js").unwrap()
            )
        );
        let named = r#"__webpack_require__.p = "/app/";
            __webpack_require__.u = function(chunkId) { return "chunks/" + chunkId + "-" + {"reports":"5e6f7a8b"}[chunkId] + ".js"; };"#;
        assert_eq!(
            webpack_chunks(&url, named),
            [Url::parse("http://127.0.0.1:1/app/chunks/reports-5e6f7a8b.js").unwrap()]
        );
    }

    #[test]
    fn vite_dependency_lists_resolve_against_the_base() {
        let url = Url::parse("http://127.0.0.1:1/assets/index-4f3a.js").unwrap();
        let js = r#"const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/Admin-9c1d.js","assets/Admin-77aa.css"])))=>i.map(i=>d[i]);
            __vitePreload(()=>import("./Admin-9c1d.js"),__vite__mapDeps([0,1]))"#;
        let f = read_script(&url, js);
        assert!(
            f.chunks
                .contains(&Url::parse("http://127.0.0.1:1/assets/Admin-9c1d.js").unwrap()),
            "{:?}",
            f.chunks
        );
    }

    #[test]
    fn bundles_yield_the_names_they_give_the_app() {
        let source = r#"const cfg={appName:"Acme Notes",bundle:"com.acmecorp.notes"};
            window.APP_NAME = 'acme'; x.siteName="Acme"; "org.w3"; "com.example""#;
        assert_eq!(
            app_names(source),
            ["com.acmecorp.notes", "Acme Notes", "acme", "Acme"]
        );
    }

    #[test]
    fn bundles_yield_paths_methods_and_chunks() {
        let url = Url::parse("http://127.0.0.1:1/static/app.js").unwrap();
        let js = r#"
            fetch("/api/projects").then(r => r.json());
            fetch("/api/invoices/" + id);
            fetch(`/api/orders/${order.id}/items`, { method: "POST", body });
            const logo = "/img/logo.svg"; const x = "/";
            import("./chunks/admin.3f2a.js");
        "#;
        let f = read_script(&url, js);
        assert!(
            f.paths.contains(&(None, "/api/projects".into())),
            "{:?}",
            f.paths
        );
        assert!(
            f.paths.contains(&(None, "/api/invoices/{id}".into())),
            "{:?}",
            f.paths
        );
        assert!(
            f.paths
                .contains(&(Some("POST".into()), "/api/orders/{id}/items".into())),
            "{:?}",
            f.paths
        );
        assert!(!f.paths.iter().any(|(_, p)| p.ends_with(".svg") || p == "/"));
        assert_eq!(
            f.chunks,
            [Url::parse("http://127.0.0.1:1/static/chunks/admin.3f2a.js").unwrap()]
        );
    }
}
