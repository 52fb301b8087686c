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

const STYLESHEET: &str = r#"body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2433;background:#f7f8fa}
header nav{display:flex;gap:1rem;align-items:center;padding:.75rem 2rem;background:#14213d}
header nav a,header nav button{color:#fff;text-decoration:none;background:none;border:0;font:inherit;cursor:pointer}
header nav .brand{font-weight:700;margin-right:auto}
header nav .button{background:#fca311;color:#14213d;padding:.35rem .8rem;border-radius:4px}
form.inline{display:inline;margin:0}
main{max-width:960px;margin:2rem auto;padding:0 1rem}
label{display:block;margin:.75rem 0}
input{display:block;padding:.4rem;width:20rem;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid #e3e6ec}
.error{color:#b00020}
pre{background:#fff;padding:1rem;overflow:auto;font-size:.8rem}
footer{max-width:960px;margin:3rem auto;padding:0 1rem;color:#667}
"#;

const ADMIN_CHUNK: &str = r#"// Admin console, loaded on demand for users with the admin role.
export function mountAdmin(root, api) {
  if (!root) return;
  root.hidden = false;
  const table = document.createElement("table");
  root.appendChild(table);
  function row(user) {
    const tr = document.createElement("tr");
    for (const value of [user.id, user.name, user.email, user.role]) {
      const td = document.createElement("td");
      td.textContent = String(value);
      tr.appendChild(td);
    }
    const td = document.createElement("td");
    const toggle = document.createElement("button");
    const next = user.role === "admin" ? "member" : "admin";
    toggle.textContent = "Make " + next;
    toggle.addEventListener("click", () => changeRole(user.id, next));
    td.appendChild(toggle);
    tr.appendChild(td);
    return tr;
  }
  function load() {
    return api("GET", "/api/admin/users").then((data) => {
      table.replaceChildren(...data.users.map(row));
    });
  }
  function changeRole(id, role) {
    return api("POST", "/api/admin/users/" + encodeURIComponent(id) + "/role", { role: role }).then(load);
  }
  function loadAudit() {
    return api("GET", "/api/audit?limit=20").then((data) => {
      const list = document.createElement("ul");
      for (const e of data.events) {
        const li = document.createElement("li");
        li.textContent = e.at + " " + e.actor + " " + e.action + " " + e.target + " from " + e.ip;
        list.appendChild(li);
      }
      root.appendChild(list);
    });
  }
  load().then(loadAudit);
}
"#;

/// The reports view, loaded lazily through the bundle's webpack-style chunk map.
const REPORTS_CHUNK: &str = r#"// Reports, loaded on demand from the dashboard.
export function mountReports(root, api) {
  if (!root) return;
  return api("GET", "/api/invoices").then((data) => {
    const total = data.invoices.reduce((sum, i) => sum + i.amount_cents, 0);
    root.textContent = "Invoiced: " + (total / 100).toFixed(2);
  });
}
"#;

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
    format!(
        r#"/*! Ledgerline web app 2.14.0 | (c) Ledgerline Inc. */
(function () {{
  "use strict";
  var config = {{
    apiBase: "",
    stripeKey: "{STRIPE_PUBLISHABLE_KEY}",{secret}
    release: "2.14.0"
  }};
  var __webpack_require__ = {{}};
  __webpack_require__.p = "/static/";
  __webpack_require__.u = function (chunkId) {{
    return "chunks/" + chunkId + "." + {{"reports":"{reports_hash}"}}[chunkId] + ".js";
  }};
  function loadChunk(chunkId) {{
    return import(__webpack_require__.p + __webpack_require__.u(chunkId));
  }}
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute("content") : "";

  function api(method, path, body) {{
    var init = {{ method: method, credentials: "same-origin", headers: {{ Accept: "application/json" }} }};
    if (body !== undefined) {{
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }}
    if (method !== "GET") {{
      init.headers["X-CSRF-Token"] = csrfToken;
    }}
    return fetch(config.apiBase + path, init).then(function (res) {{
      if (res.status === 401) {{
        window.location.assign("/login");
        throw new Error("signed out");
      }}
      if (!res.ok) {{
        return res.json().then(function (e) {{ throw new Error(e.error || res.statusText); }});
      }}
      return res.status === 204 ? null : res.json();
    }});
  }}

  var Api = {{
    me: function () {{ return api("GET", "/api/me"); }},
    updateProfile: function (name) {{ return api("PATCH", "/api/me", {{ name: name }}); }},
    catalog: function () {{ return api("GET", "/api/catalog"); }},
    projects: function (q) {{ return api("GET", "/api/projects" + (q ? "?q=" + encodeURIComponent(q) : "")); }},
    searchProjects: function (q) {{ return api("GET", "/api/projects/search?q=" + encodeURIComponent(q)); }},
    project: function (id) {{ return api("GET", "/api/projects/" + id); }},
    createProject: function (name, description) {{ return api("POST", "/api/projects", {{ name: name, description: description }}); }},
    renameProject: function (id, name) {{ return api("PATCH", "/api/projects/" + id, {{ name: name }}); }},
    deleteProject: function (id) {{ return api("DELETE", "/api/projects/" + id); }},
    invoices: function () {{ return api("GET", "/api/invoices"); }},
    invoice: function (id) {{ return api("GET", "/api/invoices/" + id); }},
    createInvoice: function (inv) {{ return api("POST", "/api/invoices", inv); }},
    deleteInvoice: function (id) {{ return api("DELETE", "/api/invoices/" + id); }},
    documents: function () {{ return api("GET", "/api/documents"); }},
    document: function (slug) {{ return api("POST", "/api/documents/lookup", {{ slug: slug }}); }},
    createDocument: function (title, body) {{ return api("POST", "/api/documents", {{ title: title, body: body }}); }},
    orders: function () {{ return api("GET", "/api/orders"); }},
    placeOrder: function (items) {{ return api("POST", "/api/orders", {{ items: items }}); }},
    coupons: function () {{ return api("GET", "/api/coupons"); }},
    redeemCoupon: function (code) {{ return api("POST", "/api/coupons/redeem", {{ code: code }}); }},
    logout: function () {{ return api("POST", "/api/auth/logout"); }}
  }};

  function list(el, items, label) {{
    if (!el) return;
    el.replaceChildren();
    items.forEach(function (item) {{
      var li = document.createElement("li");
      li.textContent = label(item);
      el.appendChild(li);
    }});
  }}

  function money(cents, currency) {{
    return (cents / 100).toLocaleString(undefined, {{ minimumFractionDigits: 2 }}) + " " + currency;
  }}

  function start() {{
    Api.me().then(function (me) {{
      var greeting = document.getElementById("greeting");
      if (greeting) greeting.textContent = "Welcome back, " + me.name + " (" + me.organization.name + ")";
      if (me.role === "admin") {{
        import("./chunks/{chunk_name}").then(function (mod) {{
          mod.mountAdmin(document.getElementById("admin-panel"), api);
        }});
      }}
    }});
    Api.projects().then(function (data) {{
      list(document.getElementById("recent-projects"), data.projects.slice(0, 5), function (p) {{
        return p.name + " - " + p.status;
      }});
    }});
    Api.invoices().then(function (data) {{
      list(document.getElementById("open-invoices"), data.invoices.filter(function (i) {{
        return i.status !== "paid";
      }}), function (i) {{
        return i.number + " " + i.customer + " " + money(i.amount_cents, i.currency);
      }});
    }});
    var reports = document.getElementById("reports");
    if (reports) {{
      loadChunk("reports").then(function (mod) {{ mod.mountReports(reports, api); }});
    }}
    var search = document.getElementById("project-search");
    if (search) {{
      search.addEventListener("change", function () {{
        Api.searchProjects(search.value).then(function (data) {{
          list(document.getElementById("recent-projects"), data.projects, function (p) {{ return p.name; }});
        }});
      }});
    }}
  }}

  window.Ledgerline = {{ api: Api, config: config }};
  if (document.readyState === "loading") {{
    document.addEventListener("DOMContentLoaded", start);
  }} else {{
    start();
  }}
}})();
"#
    )
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
        Ok(asset(
            "text/javascript; charset=utf-8",
            state.assets.bundle.clone(),
        ))
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
        Ok(asset(
            "text/javascript; charset=utf-8",
            state.assets.chunk.to_string(),
        ))
    } else if name == state.assets.reports_name {
        Ok(asset(
            "text/javascript; charset=utf-8",
            state.assets.reports.clone(),
        ))
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
