//! Reading JavaScript bundles for API paths, page routes, GraphQL operations and lazily
//! loaded chunks.
//!
//! Every pattern is a bounded regex (the `regex` crate never backtracks, and each
//! repetition has an upper bound), and every loop over matches takes a bounded number:
//! a bundle may be several MiB (`limits.script_cap_kib`).

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
    /// Page routes of a client-side router (React Router, Vue Router, Angular): pages
    /// to visit, not API endpoints; `{id}` where the route takes a parameter.
    pub pages: Vec<String>,
    /// GraphQL operations the bundle sends (at most [`MAX_OPERATIONS`]).
    pub graphql: Vec<GraphqlOperation>,
}

/// A GraphQL operation named in a bundle, with the endpoint the bundle sends it to
/// (a quoted path ending in `graphql`), when the bundle names one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct GraphqlOperation {
    /// `query`, `mutation` or `subscription`.
    pub kind: String,
    pub name: String,
    pub endpoint: Option<String>,
}

/// GraphQL operations kept per script, page routes per script.
const MAX_OPERATIONS: usize = 100;
const MAX_PAGES: usize = 200;

/// A template literal that starts with an interpolated base: `${API}/users/${id}`.
static BASE_TEMPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"`\$\{\s*([A-Za-z_$][\w$]{0,40}(?:\.[A-Za-z_$][\w$]{0,40}){0,3})\s*\}(/[A-Za-z0-9_\-./~%:${}]{0,200})`"#)
        .expect("valid base template regex")
});
/// A name bound to a URL or an absolute path: `const API = "/api/v1"`,
/// `baseURL: "http://localhost:8000/api"`, `API_URL="https://app.example/api"`.
static BASE_CONSTANT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["']?\b([A-Za-z_$][\w$]{0,40})["']?\s*[:=]\s*["'`]((?:https?://[A-Za-z0-9.\-\[\]:]{1,100})?/?[A-Za-z0-9_\-./~%]{0,100})["'`]"#)
        .expect("valid base constant regex")
});
/// What comes right before a quoted path that a call sends: `axios.post(`,
/// `this.http.put<Item>(`, `$http.delete(`, `api.get(`.
static CALL_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_$][\w$]{0,40})\s*\.\s*(get|post|put|patch|delete|head)\s*(?:<[^<>()]{0,80}>)?\s*\(\s*$"#)
        .expect("valid call regex")
});
/// Receivers that are HTTP clients, whatever their method (a `Set` has `delete` too).
static HTTP_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(axios|http|api|client|request|fetch|ajax|instance|service|ky|agent|rest)"#)
        .expect("valid client regex")
});
/// A router's route entry: `path: "/projects/:id"` (React Router objects and compiled
/// JSX, Vue Router), `path: 'projects'` (Angular), `<Route path="/x"` in source.
static ROUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bpath\s*[:=]\s*\{?\s*["'`]([A-Za-z0-9_\-./:]{0,120})["'`]"#)
        .expect("valid route regex")
});
/// A GraphQL operation definition inside a string: `query Projects(` / `mutation AddNote {`.
static GRAPHQL_OP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]{0,60})\s*[({]"#)
        .expect("valid graphql regex")
});
/// A quoted path (or URL) of a GraphQL endpoint.
static GRAPHQL_ENDPOINT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"["'`]((?:https?://[A-Za-z0-9.\-:]{1,100})?/[A-Za-z0-9_\-./]{0,80}graphql)/?["'`]"#,
    )
    .expect("valid graphql endpoint regex")
});

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
    Regex::new(r#"(?:__webpack_require__|\b[A-Za-z_$])\.p\s*=\s*["']([^"']*)["']"#)
        .expect("valid public path regex")
});
/// Chunks that webpack's map names at most, so a huge map cannot flood the crawl.
const MAX_MAPPED_CHUNKS: usize = 200;

/// `method: "POST"` near a path, as in `fetch(url, { method: "POST" })`.
static METHOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:method|type)\s*:\s*["'`](GET|POST|PUT|PATCH|DELETE)["'`]"#)
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
        let start = cap.get(0).map_or(0, |m| m.start());
        let method = call_method(source, start)
            .or_else(|| METHOD.captures(window).map(|c| c[1].to_ascii_uppercase()));
        let entry = (method, path);
        if !facts.paths.contains(&entry) {
            facts.paths.push(entry);
        }
    }
    for entry in based_templates(source) {
        if !facts.paths.contains(&entry) {
            facts.paths.push(entry);
        }
    }
    facts.pages = router_pages(source);
    facts.graphql = graphql_operations(source);
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

/// The method of the client call whose first argument starts at `at`: `axios.post(`
/// gives POST. `delete` counts only on a receiver named like an HTTP client.
fn call_method(source: &str, at: usize) -> Option<String> {
    let mut from = at.saturating_sub(120);
    while !source.is_char_boundary(from) {
        from += 1;
    }
    let cap = CALL_BEFORE.captures(source.get(from..at)?)?;
    let method = cap[2].to_ascii_uppercase();
    if method == "DELETE" && !HTTP_CLIENT.is_match(&cap[1]) {
        return None;
    }
    Some(method)
}

/// Paths of template literals built on a base the bundle defines itself:
/// `${API}/users/${id}` with `const API = "/api/v1"` gives `/api/v1/users/{id}`. A base
/// that is a URL keeps its origin (the scope decides); one not defined in the bundle
/// is left alone, as where it points is unknown.
fn based_templates(source: &str) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut bases: Option<std::collections::HashMap<String, String>> = None;
    for cap in BASE_TEMPLATE.captures_iter(source).take(2000) {
        let bases = bases.get_or_insert_with(|| {
            let mut m = std::collections::HashMap::new();
            for c in BASE_CONSTANT.captures_iter(source).take(20_000) {
                m.entry(c[1].to_string())
                    .or_insert_with(|| c[2].to_string());
            }
            m
        });
        // `${config.apiBase}` is looked up by its last name.
        let name = cap[1].rsplit('.').next().unwrap_or("");
        let Some(base) = bases.get(name) else {
            continue;
        };
        let base = base.trim_end_matches('/');
        let path = format!("{base}{}", interpolation_to_id(&cap[2]));
        let route = match Url::parse(&path) {
            Ok(u) => u.path().to_string(),
            Err(_) => path.clone(),
        };
        if !looks_like_route(&route) || !(path.starts_with('/') || path.starts_with("http")) {
            continue;
        }
        let end = cap.get(0).map_or(0, |m| m.end());
        let window = source.get(end..(end + 200).min(source.len())).unwrap_or("");
        let start = cap.get(0).map_or(0, |m| m.start());
        let method = call_method(source, start)
            .or_else(|| METHOD.captures(window).map(|c| c[1].to_ascii_uppercase()));
        let entry = (method, path);
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// Page routes of a client-side router: `:param` becomes `{id}`, Angular's relative
/// `projects` becomes `/projects`; catch-alls (`*`, `**`) and empty paths are left out.
fn router_pages(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cap in ROUTE.captures_iter(source).take(5000) {
        let raw = &cap[1];
        if raw.is_empty() || raw.contains('*') || raw.contains("://") || raw.starts_with("//") {
            continue;
        }
        let page: String = format!("/{}", raw.trim_start_matches('/'))
            .split('/')
            .map(|seg| if seg.starts_with(':') { "{id}" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        if !looks_like_route(&page) || page.contains('.') {
            continue;
        }
        if out.len() < MAX_PAGES && !out.contains(&page) {
            out.push(page);
        }
    }
    out
}

/// The GraphQL operations a bundle defines, each with the bundle's GraphQL endpoint.
fn graphql_operations(source: &str) -> Vec<GraphqlOperation> {
    let mut out: Vec<GraphqlOperation> = Vec::new();
    // Prose says "query" and "subscription" too; a GraphQL client names its protocol.
    if !source.contains("graphql") && !source.contains("gql`") && !source.contains("GraphQL") {
        return out;
    }
    let mut found = GRAPHQL_OP.captures_iter(source).take(1000).peekable();
    if found.peek().is_none() {
        return out;
    }
    let endpoint = GRAPHQL_ENDPOINT.captures(source).map(|c| c[1].to_string());
    for cap in found {
        let op = GraphqlOperation {
            kind: cap[1].to_string(),
            name: cap[2].to_string(),
            endpoint: endpoint.clone(),
        };
        if out.len() < MAX_OPERATIONS && !out.contains(&op) {
            out.push(op);
        }
    }
    out
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
    fn template_literals_on_a_defined_base_resolve_against_it() {
        let url = Url::parse("http://127.0.0.1:1/assets/index.js").unwrap();
        let js = r#"const API="/api/v2";var cfg={apiBase:"http://localhost:8000/svc"};
            fetch(`${API}/users/${u.id}`);
            n.post(`${cfg.apiBase}/orders`,{items:t});
            fetch(`${UNKNOWN_BASE}/secret/${x}`);"#;
        let f = read_script(&url, js);
        assert!(
            f.paths.contains(&(None, "/api/v2/users/{id}".into())),
            "{:?}",
            f.paths
        );
        assert!(
            f.paths.contains(&(
                Some("POST".into()),
                "http://localhost:8000/svc/orders".into()
            )),
            "{:?}",
            f.paths
        );
        assert!(
            !f.paths.iter().any(|(_, p)| p.contains("secret")),
            "{:?}",
            f.paths
        );
    }

    #[test]
    fn client_call_sites_name_their_method() {
        let url = Url::parse("http://127.0.0.1:1/main.js").unwrap();
        let js = r#"axios.put("/api/profile", body);
            this.http.patch<Project>('/api/projects/' + id, p);
            $http.delete("/api/sessions/current");
            seen.delete("/api/not-a-call");
            $.ajax({url: "/api/legacy", type: "POST"});
            e.get("/api/ping");"#;
        let f = read_script(&url, js);
        for (method, path) in [
            ("PUT", "/api/profile"),
            ("PATCH", "/api/projects/{id}"),
            ("DELETE", "/api/sessions/current"),
            ("POST", "/api/legacy"),
            ("GET", "/api/ping"),
        ] {
            assert!(
                f.paths.contains(&(Some(method.into()), path.into())),
                "{method} {path}: {:?}",
                f.paths
            );
        }
        assert!(
            f.paths.contains(&(None, "/api/not-a-call".into())),
            "{:?}",
            f.paths
        );
    }

    #[test]
    fn router_tables_give_pages_to_visit() {
        let url = Url::parse("http://127.0.0.1:1/main.js").unwrap();
        let js = r#"createBrowserRouter([{path:"/",element:a},{path:"/projects/:projectId",element:b},{path:"*",element:c}]);
            const routes = [{ path: 'settings/billing', component: BillingComponent }, { path: '**', redirectTo: '' }];
            new VueRouter({routes:[{path:"/reports",component:R}]});
            jsx(Route, { path: "/team" });"#;
        assert_eq!(
            read_script(&url, js).pages,
            ["/projects/{id}", "/settings/billing", "/reports", "/team"]
        );
    }

    #[test]
    fn graphql_operations_are_recorded_with_their_endpoint() {
        let url = Url::parse("http://127.0.0.1:1/main.js").unwrap();
        let js = r#"const client=new ApolloClient({uri:"/api/graphql"});
            const Q=gql`query ProjectList($first: Int) { projects { id } }`;
            const M="mutation AddNote{addNote(text:"x"){id}}";"#;
        let f = read_script(&url, js);
        let ops: Vec<(&str, &str, Option<&str>)> = f
            .graphql
            .iter()
            .map(|o| (o.kind.as_str(), o.name.as_str(), o.endpoint.as_deref()))
            .collect();
        assert_eq!(
            ops,
            [
                ("query", "ProjectList", Some("/api/graphql")),
                ("mutation", "AddNote", Some("/api/graphql"))
            ]
        );
        let prose = "Your subscription Pro (monthly) renews; query Results {see docs}";
        assert!(read_script(&url, prose).graphql.is_empty());
    }

    #[test]
    fn hostile_scripts_are_read_in_bounded_time() {
        let url = Url::parse("http://127.0.0.1:1/main.js").unwrap();
        let started = std::time::Instant::now();
        let junk = "`${a".repeat(400_000) + &"path:\"".repeat(200_000) + &"x.get(".repeat(200_000);
        let _ = read_script(&url, &junk);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
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
