//! The single-page app of `--spa` mode: a workspace whose pages and API calls exist
//! only in script.
//!
//! The served HTML is an empty shell and one bundle. The bundle builds every API path
//! at run time from pieces (no string in it is a path a static reader could take), its
//! navigation is buttons driving a history-API router (no `<a href>` names a route),
//! and the admin's navigation has one more view than a member's. Only a real browser,
//! logged in, finds the workspace API; the link crawl and the bundle reader cannot.
//! The preferences view loads a chunk of its own when shown (a fresh `?v=` each time,
//! as cache-busting loaders do), whose URL the bundle also builds from pieces.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse};
use serde_json::{Value, json};

use crate::auth::{AdminUser, CurrentUser};
use crate::errors::ApiError;
use crate::state::SharedState;

const INDEX: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Ledgerline workspace</title></head>
<body>
<main id="root">Loading…</main>
<script src="/static/workspace.js"></script>
</body>
</html>
"#;

/// The bundle. The API base is joined from fragments and every resource name from
/// pieces, as minifiers and runtime config produce them; the router pushes history
/// entries itself.
const BUNDLE: &str = r#"(function () {
  "use strict";
  var parts = ["ap", "i", "work", "space"];
  var base = "/" + parts[0] + parts[1] + "/" + parts[2] + parts[3];
  var shell = "/" + ["wo", "rk"].join("");
  var root = document.getElementById("root");
  var me = null;

  function headers() {
    var h = { "Accept": "application/json" };
    var t = window.localStorage && localStorage.getItem("token");
    if (t) { h["Authorization"] = "Bearer " + t; }
    return h;
  }
  function api(path, method) {
    return fetch(base + path, { method: method || "GET", headers: headers(), credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); });
  }
  function lazy(name) {
    return new Promise(function (done, fail) {
      var s = document.createElement("script");
      s.src = "/static/" + ["work", "space"].join("") + "/" + name + ".js?v=" + Date.now();
      s.onload = function () { done(window.workspaceChunks && window.workspaceChunks[name]); };
      s.onerror = fail;
      document.head.appendChild(s);
    });
  }
  function el(tag, text) { var e = document.createElement(tag); if (text) { e.textContent = text; } return e; }
  function go(view) { history.pushState({}, "", shell + "/" + view); render(); }
  function button(label, onclick) { var b = el("button", label); b.type = "button"; b.addEventListener("click", onclick); return b; }

  function nav() {
    var n = el("nav");
    n.appendChild(button("Overview", function () { go(["sum", "mary"].join("")); }));
    n.appendChild(button("Projects", function () { go(["pro", "jects"].join("")); }));
    n.appendChild(button("Preferences", function () { go(["prefer", "ences"].join("")); }));
    if (me && me.role === "admin") {
      n.appendChild(button("Members", function () { go(["mem", "bers"].join("")); }));
    }
    return n;
  }
  function show(title, data) {
    root.textContent = "";
    root.appendChild(nav());
    root.appendChild(el("h1", title));
    root.appendChild(el("pre", JSON.stringify(data, null, 2)));
  }
  function views(path) {
    var seg = path.replace(shell, "").split("/").filter(Boolean);
    var view = seg[0] || ["sum", "mary"].join("");
    if (view === ["pro", "jects"].join("") && seg[1]) {
      return api("/" + view + "/" + seg[1] + "/" + ["acti", "vity"].join("")).then(function (d) {
        show("Activity", d);
        root.appendChild(button("Star", function () { api("/" + view + "/" + seg[1] + "/" + "st" + "ar", "POST"); }));
      });
    }
    return api("/" + view).then(function (d) {
      show(view, d);
      if (view === ["prefer", "ences"].join("")) {
        lazy(["pre", "fs"].join("")).then(function (prefs) { if (prefs) { prefs(root, headers); } });
      }
      if (view === ["pro", "jects"].join("")) {
        (d.projects || []).forEach(function (p) {
          root.appendChild(button("Open " + p.name, function () { go(view + "/" + p.id); }));
        });
      }
    });
  }
  function render() {
    views(location.pathname).catch(function (e) { root.textContent = "Sign in first (" + e.message + ")"; });
  }
  window.addEventListener("popstate", render);
  api("/" + ["sess", "ion"].join("")).then(function (m) { me = m; render(); })
    .catch(function () { root.textContent = "Sign in first"; });
})();
"#;

/// The preferences chunk: its API path is a plain literal, as in any chunk, but only a
/// page that shows the preferences view loads it.
const PREFS_CHUNK: &str = r#"(window.workspaceChunks = window.workspaceChunks || {}).prefs = function (root, headers) {
  var b = document.createElement("button");
  b.type = "button";
  b.textContent = "Export preferences";
  b.addEventListener("click", function () {
    fetch("/api/workspace/exports", { headers: headers(), credentials: "same-origin" });
  });
  root.appendChild(b);
};
"#;

/// `GET /work` and every route under it: the shell (the router runs in the browser).
pub(crate) async fn shell() -> Html<&'static str> {
    Html(INDEX)
}

/// `GET /static/workspace.js`.
pub(crate) async fn bundle() -> impl IntoResponse {
    crate::bundle::javascript(BUNDLE)
}

/// `GET /static/workspace/{name}`: the lazily loaded chunks.
pub(crate) async fn chunk(Path(name): Path<String>) -> Result<impl IntoResponse, ApiError> {
    if name != "prefs.js" {
        return Err(ApiError::NotFound);
    }
    Ok(crate::bundle::javascript(PREFS_CHUNK))
}

/// `GET /api/workspace/exports`: the caller's preference exports.
pub(crate) async fn exports(caller: CurrentUser) -> Json<Value> {
    Json(json!({"exports": [], "user": caller.user.id}))
}

fn projects_of(state: &SharedState, org_id: i64) -> Result<Vec<Value>, ApiError> {
    let conn = state.db();
    let mut stmt = conn.prepare("SELECT id, name FROM projects WHERE org_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([org_id], |r| {
        Ok(json!({"id": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?}))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `GET /api/workspace/session`: who the browser is.
pub(crate) async fn session(caller: CurrentUser) -> Json<Value> {
    Json(json!({"email": caller.user.email, "role": caller.user.role}))
}

/// `GET /api/workspace/summary`.
pub(crate) async fn summary(
    State(state): State<SharedState>,
    caller: CurrentUser,
) -> Result<Json<Value>, ApiError> {
    let projects = projects_of(&state, caller.user.org_id)?.len();
    Ok(Json(
        json!({"projects": projects, "user": caller.user.name}),
    ))
}

/// `GET /api/workspace/projects`: the caller's organisation's projects.
pub(crate) async fn projects(
    State(state): State<SharedState>,
    caller: CurrentUser,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"projects": projects_of(&state, caller.user.org_id)?}),
    ))
}

/// `GET /api/workspace/projects/{id}/activity`, for a project of the caller's organisation.
pub(crate) async fn activity(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let own = projects_of(&state, caller.user.org_id)?
        .iter()
        .any(|p| p["id"] == id);
    if !own {
        return Err(ApiError::NotFound);
    }
    Ok(Json(json!({"project": id, "events": []})))
}

/// `POST /api/workspace/projects/{id}/star`: a write the browser's click triggers.
pub(crate) async fn star(caller: CurrentUser, Path(id): Path<i64>) -> Json<Value> {
    Json(json!({"project": id, "starred_by": caller.user.id}))
}

/// `GET /api/workspace/preferences`.
pub(crate) async fn preferences(caller: CurrentUser) -> Json<Value> {
    Json(json!({"locale": "en", "user": caller.user.id}))
}

/// `GET /api/workspace/members`: admins only.
pub(crate) async fn members(
    State(state): State<SharedState>,
    AdminUser(caller): AdminUser,
) -> Result<Json<Value>, ApiError> {
    let conn = state.db();
    let mut stmt = conn.prepare("SELECT email FROM users WHERE org_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([caller.user.org_id], |r| r.get::<_, String>(0))?;
    let emails: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
    Ok(Json(json!({"members": emails})))
}
