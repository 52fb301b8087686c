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
}

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
            if let Ok(u) = url.join(&cap[1])
                && !facts.chunks.contains(&u)
                && u != *url
            {
                facts.chunks.push(u);
            }
        }
    }
    facts
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
