//! The single-page app: the HTML shell at `/app`, its JavaScript bundle, the
//! lazily loaded admin chunk and the stylesheet. Asset names carry a content
//! hash, as a bundler would emit them.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::auth::PageUser;
use crate::errors::ApiError;
use crate::flaws::{Flaw, FlawSet};
use crate::html::{self, Nav};
use crate::leaks;
use crate::state::SharedState;

/// The publishable Stripe key of the checkout widget. Publishable keys are
/// public by design; secret keys (`sk_...`) never reach the bundle.
const STRIPE_PUBLISHABLE_KEY: &str = "pk_test_51PfR2xKq8Zt4LmN7vW3yB9c";

// The assets' text lives in `testserver/assets/`, readable as the JavaScript and CSS
// they are; only what the flaws change is assembled here.
const STYLESHEET: &str = include_str!("../assets/app.css");
const ADMIN_CHUNK: &str = include_str!("../assets/chunks/admin.js");
/// The reports view, loaded lazily through the bundle's webpack-style chunk map.
const REPORTS_CHUNK: &str = include_str!("../assets/chunks/reports.js");
/// The main bundle, with `{{name}}` placeholders that [`app_bundle`] fills in.
const APP_TEMPLATE: &str = include_str!("../assets/app.js");

/// The app's static assets, named by content hash.
pub(crate) struct Assets {
    pub bundle_name: String,
    pub bundle: String,
    pub chunk_name: String,
    pub chunk: &'static str,
    /// `reports.<hash>.js`, named by the hash of the hardened content.
    pub reports_name: String,
    pub reports: String,
    /// The source map (`source-map-exposed` only).
    pub source_map: Option<String>,
}

fn short_hash(content: &str) -> String {
    Sha256::digest(content.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Assets {
    pub(crate) fn build(flaws: FlawSet) -> Assets {
        let chunk_name = format!("admin.{}.js", short_hash(ADMIN_CHUNK));
        let reports_hash = short_hash(REPORTS_CHUNK);
        let mut bundle = app_bundle(&chunk_name, &reports_hash, flaws);
        if flaws.contains(Flaw::SourceMapExposed) {
            bundle.push_str("//# sourceMappingURL=app.js.map\n");
        }
        let bundle_name = format!("app.{}.js", short_hash(&bundle));
        let mut reports = REPORTS_CHUNK.to_string();
        if flaws.contains(Flaw::SecretInLazyChunk) {
            reports.push_str(&format!(
                "// Summaries are written by the model straight from the browser.\n\
                 export const openai = {{ apiKey: \"{}\", dangerouslyAllowBrowser: true }};\n",
                leaks::OPENAI_API_KEY
            ));
        }
        let source_map = flaws
            .contains(Flaw::SourceMapExposed)
            .then(|| leaks::source_map(&bundle_name));
        Assets {
            bundle_name,
            bundle,
            chunk_name,
            chunk: ADMIN_CHUNK,
            reports_name: format!("reports.{reports_hash}.js"),
            reports,
            source_map,
        }
    }
}

fn app_bundle(chunk_name: &str, reports_hash: &str, flaws: FlawSet) -> String {
    // The secret key sits beside the publishable one, as in the classic mistake.
    let secret = if flaws.contains(Flaw::SecretInBundle) {
        format!("\n    stripeSecretKey: \"{}\",", leaks::STRIPE_SECRET_KEY)
    } else {
        String::new()
    };
    let mut bundle = fill(
        APP_TEMPLATE,
        &[
            ("stripe_key", STRIPE_PUBLISHABLE_KEY),
            ("stripe_secret", &secret),
            ("reports_hash", reports_hash),
            ("admin_chunk", chunk_name),
        ],
    );
    if flaws.contains(Flaw::CredentialsInBundle) {
        // Minified as a bundler leaves it: the smoke test's login, shipped to everyone.
        bundle.push_str(
            "var smoke=function(a){return a.login({email:\"release-check@ledgerline.io\",\
             password:\"Lx7-release-Check\"})};window.__ledgerlineSmoke=smoke;\n",
        );
    }
    bundle
}

/// Replaces each `{{name}}` of `template` with its value.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            let marker = format!("{{{{{name}}}}}");
            debug_assert!(text.contains(&marker), "{marker} missing from the template");
            text.replace(&marker, value)
        })
}

/// `GET /app`: the app shell. Needs a session; the CSRF token for API writes is in a meta tag.
pub(crate) async fn app_shell(State(state): State<SharedState>, me: PageUser) -> Html<String> {
    let head = format!(
        "<meta name=\"csrf-token\" content=\"{}\">\n<script src=\"/static/{}\" defer></script>\n",
        html::esc(&me.csrf),
        state.assets.bundle_name
    );
    let admin = if me.user.is_admin() {
        "<section id=\"admin-panel\" hidden>\n<h2>Team</h2>\n<p><a href=\"/admin\">Open the admin console</a></p>\n</section>\n"
    } else {
        ""
    };
    let main = format!(
        "<h1 id=\"greeting\">Welcome back, {}</h1>\n\
         <label>Search projects <input id=\"project-search\" type=\"search\"></label>\n\
         <section>\n<h2><a href=\"/app/projects\">Projects</a></h2>\n<ul id=\"recent-projects\"></ul>\n</section>\n\
         <section>\n<h2><a href=\"/app/invoices\">Open invoices</a></h2>\n<ul id=\"open-invoices\"></ul>\n</section>\n\
         <section>\n<h2><a href=\"/app/settings\">Settings</a></h2>\n<p>Profile, organisation and sign-out.</p>\n</section>\n{admin}",
        html::esc(&me.user.name)
    );
    let nav = Nav::App {
        user: &me.user,
        csrf: &me.csrf,
    };
    Html(html::page("Dashboard", nav, &head, &main))
}

/// A script answered as JavaScript, without caching headers (the shells' bundles and
/// the backends' client scripts).
pub(crate) fn javascript(body: impl IntoResponse) -> Response {
    ([(header::CONTENT_TYPE, JAVASCRIPT)], body).into_response()
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

fn asset(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

/// `GET /static/{name}`: the bundle and the stylesheet.
pub(crate) async fn static_file(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    if name == state.assets.bundle_name {
        Ok(asset(JAVASCRIPT, state.assets.bundle.clone()))
    } else if name == "app.js.map"
        && let Some(map) = &state.assets.source_map
    {
        Ok(asset("application/json", map.clone()))
    } else if name == "app.css" {
        Ok((
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            STYLESHEET,
        )
            .into_response())
    } else {
        Err(ApiError::NotFound)
    }
}

/// `GET /static/chunks/{name}`: lazily loaded chunks.
pub(crate) async fn chunk_file(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    if name == state.assets.chunk_name {
        Ok(asset(JAVASCRIPT, state.assets.chunk.to_string()))
    } else if name == state.assets.reports_name {
        Ok(asset(JAVASCRIPT, state.assets.reports.clone()))
    } else {
        Err(ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_references_the_chunk_and_the_api() {
        let assets = Assets::build(FlawSet::none());
        assert!(assets.bundle.contains(&format!(
            "{{\"reports\":\"{}\"}}[chunkId]",
            assets.reports_name.trim_start_matches("reports.").trim_end_matches(".js")
        )));
        assert!(!assets.bundle.contains("sk_live_") && !assets.reports.contains("sk-proj-"));
        assert!(assets.source_map.is_none());
        assert!(
            !assets.bundle.contains("{{"),
            "a placeholder is left unfilled"
        );
        let flawed = Assets::build(FlawSet::all());
        assert!(flawed.bundle.contains(leaks::STRIPE_SECRET_KEY));
        assert!(flawed.reports.contains(leaks::OPENAI_API_KEY));
        assert_eq!(flawed.reports_name, assets.reports_name);
        assert!(flawed.source_map.unwrap().contains(leaks::GITLAB_TOKEN));
        assert!(
            assets
                .bundle
                .contains(&format!("import(\"./chunks/{}\")", assets.chunk_name))
        );
        for path in [
            "\"/api/projects\"",
            "\"/api/invoices/\" + id",
            "\"/api/me\"",
        ] {
            assert!(assets.bundle.contains(path), "{path}");
        }
        assert!(assets.chunk.contains("/api/admin/users"));
        assert!(assets.chunk.contains("/role"));
        let key = STRIPE_PUBLISHABLE_KEY.strip_prefix("pk_test_").unwrap();
        assert_eq!(key.len(), 24);
        assert!(
            assets.bundle_name.starts_with("app.")
                && assets.bundle_name.len() == "app.12345678.js".len()
        );
    }
}
