//! What an HTML page exposes: links (anchors, page and API `<link>`s, `data-href`,
//! navigation in `onclick`), forms (and the other targets their buttons name with
//! `formaction`), scripts and meta tags, parsed with scraper.

use std::sync::LazyLock;

use regex::Regex;
use scraper::Html;
use url::Url;

use crate::html::{Form, base_of, parse_form, selector};

/// Bounds per page, so a hostile page with 100,000 links costs little.
const MAX_LINKS: usize = 2000;
const MAX_FORMS: usize = 100;
const MAX_SCRIPTS: usize = 200;
const MAX_INLINE_BYTES: usize = 512 * 1024;
/// HTML bytes turned into a DOM at most: a tree costs tens of times its source, so a
/// hostile megabyte of tiny elements would cost more than every other bound allows.
pub const MAX_PARSE_BYTES: usize = 256 * 1024;

/// Parses at most the first [`MAX_PARSE_BYTES`] of `html` (cut at a character
/// boundary); says whether the rest was left out.
pub fn parse_bounded(html: &str) -> (Html, bool) {
    let mut end = html.len().min(MAX_PARSE_BYTES);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let text = &html[..end];
    // The parser keeps one error per NUL (a zip bomb of zeros is all NULs); U+FFFD is
    // what the HTML spec turns a NUL into anyway.
    let doc = if text.contains('\0') {
        Html::parse_document(&text.replace('\0', "\u{FFFD}"))
    } else {
        Html::parse_document(text)
    };
    (doc, end < html.len())
}

/// The parts of a page discovery cares about.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub title: Option<String>,
    pub links: Vec<Url>,
    pub forms: Vec<Form>,
    pub scripts: Vec<Url>,
    pub inline_scripts: Vec<String>,
    /// `<meta name=... content=...>` pairs.
    pub metas: Vec<(String, String)>,
    /// The page listed more links than were kept.
    pub links_truncated: bool,
    /// The page was longer than [`MAX_PARSE_BYTES`]; only its start was read.
    pub parse_truncated: bool,
}

fn join(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut u = base.join(href).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.set_fragment(None);
    Some(u)
}

/// Navigation in an event handler: `location.href='/x'`, `window.location = "/x"`,
/// `location.assign('/x')`, `window.open("/x")`.
static HANDLER_NAVIGATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:location(?:\.href)?\s*=|location\.(?:assign|replace)\s*\(|window\.open\s*\()\s*["']([^"'\s]{1,300})["']"#)
        .expect("valid navigation regex")
});

/// `<link rel>` values that name a page or an API description, not a stylesheet or an
/// icon.
const PAGE_RELS: &[&str] = &[
    "alternate",
    "manifest",
    "next",
    "prev",
    "canonical",
    "help",
    "service-desc",
    "service-doc",
    "describedby",
];

/// Parses a page fetched from `url`.
pub fn parse_page(url: &Url, html: &str) -> Page {
    let (doc, parse_truncated) = parse_bounded(html);
    let base = base_of(&doc, url);
    let mut page = Page {
        parse_truncated,
        title: doc
            .select(&selector("title"))
            .next()
            .map(|t| t.text().collect::<String>().trim().to_string()),
        ..Page::default()
    };
    for el in doc.select(&selector(
        "a[href], area[href], link[href], iframe[src], frame[src]",
    )) {
        let attr = el
            .value()
            .attr("href")
            .or_else(|| el.value().attr("src"))
            .unwrap_or("");
        let rel = el.value().attr("rel").unwrap_or("").to_ascii_lowercase();
        let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
        let fetched_as = el.value().attr("as").unwrap_or("").to_ascii_lowercase();
        // A preload is worth reading when it loads a script, a document or an API answer.
        let preload = rels.iter().any(|r| *r == "preload" || *r == "prefetch")
            && matches!(fetched_as.as_str(), "script" | "fetch" | "document" | "");
        if el.value().name() == "link"
            && !(rels.contains(&"modulepreload")
                || preload
                || rels.iter().any(|r| PAGE_RELS.contains(r)))
        {
            continue;
        }
        if let Some(u) = join(&base, attr) {
            if rels.contains(&"modulepreload") || fetched_as == "script" {
                push_unique(&mut page.scripts, u, MAX_SCRIPTS);
            } else if page.links.len() < MAX_LINKS {
                push_unique(&mut page.links, u, MAX_LINKS);
            } else {
                page.links_truncated = true;
            }
        }
    }
    let mut inline_bytes = 0;
    for el in doc.select(&selector("script")) {
        if let Some(src) = el.value().attr("src") {
            if let Some(u) = join(&base, src) {
                push_unique(&mut page.scripts, u, MAX_SCRIPTS);
            }
        } else {
            let text: String = el.text().collect();
            if !text.trim().is_empty() && inline_bytes + text.len() <= MAX_INLINE_BYTES {
                inline_bytes += text.len();
                page.inline_scripts.push(text);
            }
        }
    }
    for el in doc.select(&selector("meta[name][content], meta[property][content]")) {
        let v = el.value();
        let name = v.attr("name").or_else(|| v.attr("property")).unwrap_or("");
        page.metas.push((
            name.to_string(),
            v.attr("content").unwrap_or("").to_string(),
        ));
    }
    for el in doc.select(&selector("[data-href], [data-url], [data-link], [onclick]")) {
        let v = el.value();
        let mut targets: Vec<&str> = ["data-href", "data-url", "data-link"]
            .iter()
            .filter_map(|a| v.attr(a))
            .collect();
        if let Some(handler) = v.attr("onclick") {
            targets.extend(
                HANDLER_NAVIGATION
                    .captures_iter(handler)
                    .take(4)
                    .filter_map(|c| c.get(1).map(|m| m.as_str())),
            );
        }
        for t in targets {
            if let Some(u) = join(&base, t) {
                if page.links.len() < MAX_LINKS {
                    push_unique(&mut page.links, u, MAX_LINKS);
                } else {
                    page.links_truncated = true;
                }
            }
        }
    }
    for form in doc.select(&selector("form")).take(MAX_FORMS) {
        let parsed = parse_form(&base, url, form);
        // A button's `formaction`/`formmethod` sends the same inputs elsewhere.
        for button in form.select(&selector(
            "button[formaction], input[formaction], button[formmethod], input[formmethod]",
        )) {
            let b = button.value();
            let mut other = parsed.clone();
            if let Some(action) = b.attr("formaction").and_then(|a| join(&base, a)) {
                other.action = action;
            }
            if let Some(method) = b.attr("formmethod") {
                other.method = method.trim().to_ascii_uppercase();
            }
            if page.forms.len() < MAX_FORMS && other != parsed && !page.forms.contains(&other) {
                page.forms.push(other);
            }
        }
        if page.forms.len() < MAX_FORMS && !page.forms.contains(&parsed) {
            page.forms.push(parsed);
        }
    }
    page
}

fn push_unique(list: &mut Vec<Url>, u: Url, max: usize) {
    if list.len() < max && !list.contains(&u) {
        list.push(u);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::{login_form, meta_content};

    #[test]
    fn big_pages_are_parsed_from_a_bounded_prefix() {
        let url = Url::parse("http://127.0.0.1:1/").unwrap();
        let links: String = (0..20_000)
            .map(|n| format!("<a href=\"/l/{n}\">é</a>"))
            .collect();
        let page = parse_page(&url, &format!("<html><body>{links}</body></html>"));
        assert!(page.parse_truncated && page.links_truncated);
        assert_eq!(page.links.len(), MAX_LINKS);
        // NULs (a bomb of zeros) and invalid UTF-8 decoded lossily parse without trouble.
        let (doc, cut) = parse_bounded(&"\0".repeat(MAX_PARSE_BYTES + 1));
        assert!(cut && doc.errors.len() < 10);
        let lossy = String::from_utf8_lossy(b"<title>\xff\xfe</title><a href=\"/x\xc3\x28\">x</a>");
        assert_eq!(parse_page(&url, &lossy).links.len(), 1);
    }

    #[test]
    fn pages_yield_navigation_beyond_anchors() {
        let url = Url::parse("http://127.0.0.1:1/app/").unwrap();
        let html = r#"<html><head>
            <link rel="stylesheet" href="/style.css"><link rel="icon" href="/favicon.ico">
            <link rel="preload" href="/font.woff2" as="font"><link rel="preload" href="/api/boot" as="fetch">
            <link rel="service-desc" href="/api/spec.json"><link rel="next" href="?page=2">
            </head><body>
            <button onclick="location.href='/app/reports/weekly'">Reports</button>
            <p onclick="window.location = &quot;team&quot;"></p>
            <span onclick="doSomething(); window.open('/app/print', '_blank')">p</span>
            <div data-href="/app/board"></div><li data-url="settings/profile"></li>
            <form method="post" action="/app/notes"><input name="text">
              <button type="submit">Save</button>
              <button formaction="/app/notes/export" formmethod="get">Export</button>
              <button formaction="/app/notes/archive">Archive</button></form>
            </body></html>"#;
        let page = parse_page(&url, html);
        let links: Vec<&str> = page.links.iter().map(Url::path).collect();
        assert_eq!(
            links,
            [
                "/api/boot",
                "/api/spec.json",
                "/app/",
                "/app/reports/weekly",
                "/app/team",
                "/app/print",
                "/app/board",
                "/app/settings/profile"
            ]
        );
        let forms: Vec<(&str, &str)> = page
            .forms
            .iter()
            .map(|f| (f.method.as_str(), f.action.path()))
            .collect();
        assert_eq!(
            forms,
            [
                ("GET", "/app/notes/export"),
                ("POST", "/app/notes/archive"),
                ("POST", "/app/notes")
            ]
        );
    }

    #[test]
    fn pages_yield_links_forms_scripts_and_metas() {
        let url = Url::parse("http://127.0.0.1:1/app/index").unwrap();
        let html = r#"<html><head><title> App </title><meta name="csrf-token" content="tok">
            <script src="/static/app.js"></script><link rel="modulepreload" href="chunk.js">
            <script>window.x = "/api/inline";</script></head><body>
            <a href="/a#frag">a</a><a href="b?x=1">b</a><a href="mailto:x@y">m</a><a href="javascript:void(0)">j</a>
            <form method="post" action="/login"><input type="hidden" name="csrf_token" value="c1">
            <input type="email" name="email"><input type="password" name="password">
            <input type="checkbox" name="remember"><button name="go" type="submit">Go</button></form>
            </body></html>"#;
        let page = parse_page(&url, html);
        assert_eq!(page.title.as_deref(), Some("App"));
        let links: Vec<String> = page.links.iter().map(Url::to_string).collect();
        assert_eq!(
            links,
            ["http://127.0.0.1:1/a", "http://127.0.0.1:1/app/b?x=1"]
        );
        assert_eq!(page.scripts.len(), 2);
        assert_eq!(page.inline_scripts.len(), 1);
        assert_eq!(page.forms[0].method, "POST");
        let names: Vec<&str> = page.forms[0]
            .inputs
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(names, ["csrf_token", "email", "password"]);
        assert_eq!(meta_content(html, "csrf-token").as_deref(), Some("tok"));
        let form = login_form(&url, html, None).unwrap();
        assert_eq!(form.action.as_str(), "http://127.0.0.1:1/login");
        assert!(login_form(&url, "<form><input name=q></form>", None).is_err());
    }
}
