//! The help desk of `--spa-memory-session` mode: a single-page app that keeps its
//! session in memory, as many single-page apps (and the apps AI tools build on JWT
//! backends) do.
//!
//! Its shell renders a sign-in form from script (email and password inputs and a
//! button, no `<form action>` a crawler could post), whose state follows the inputs'
//! `input` events as framework bindings do. Signing in is a JSON `fetch` POST; the
//! token it answers lives in a script variable only (never `localStorage`), and an
//! HttpOnly refresh cookie lets a reloaded page renew it with an empty POST. Only a
//! signed-in page calls the desk API, whose paths the bundle builds from pieces: a
//! browser finds it only by signing in through the form, and reaches the reports
//! view (a plain link, so a page load) only when renewing works.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{self, HeaderMap};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::handlers::{Via, authenticate_via};
use crate::auth::{CurrentUser, came_over_https, cookie, set_cookie};
use crate::errors::ApiError;
use crate::extract::{ApiJson, ClientIp};
use crate::state::SharedState;
use crate::tenants;

/// The HttpOnly cookie that renews a desk session (sent only to the desk's auth API).
const REFRESH_COOKIE: &str = "desk_refresh";

const INDEX: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Ledgerline help desk</title></head>
<body>
<main id="root">Loading…</main>
<script src="/static/desk.js"></script>
</body>
</html>
"#;

/// The bundle: API paths joined from pieces, the token in a variable.
const BUNDLE: &str = r#"(function () {
  "use strict";
  var base = "/" + ["ap", "i"].join("") + "/" + ["de", "sk"].join("");
  var shell = "/" + ["de", "sk"].join("");
  var root = document.getElementById("root");
  var token = null;
  var form = { email: "", password: "" };

  function el(tag, text) { var e = document.createElement(tag); if (text) { e.textContent = text; } return e; }
  function button(label, onclick) { var b = el("button", label); b.type = "button"; b.addEventListener("click", onclick); return b; }
  function call(path, method, body) {
    var h = { "Accept": "application/json" };
    if (token) { h["Authorization"] = "Bearer " + token; }
    var init = { method: method || "GET", headers: h, credentials: "same-origin" };
    if (body !== undefined) { h["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(base + path, init).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    });
  }
  function field(label, type, key) {
    var wrap = el("label", label + " ");
    var input = document.createElement("input");
    input.type = type;
    input.autocomplete = type === "password" ? "current-password" : "username";
    // Like a framework's binding: the state follows input events, not the DOM value.
    input.addEventListener("input", function (e) { form[key] = e.target.value; });
    wrap.appendChild(input);
    return { wrap: wrap, input: input };
  }
  function signInForm(message) {
    root.textContent = "";
    root.appendChild(el("h1", "Help desk"));
    if (message) { var p = el("p", message); p.setAttribute("role", "alert"); root.appendChild(p); }
    var box = el("div");
    var email = field("Email", "email", "email");
    var pw = field("Password", "password", "password");
    function submit() {
      call("/" + ["au", "th"].join("") + "/" + ["sign", "in"].join("-"), "POST", { email: form.email, password: form.password })
        .then(function (d) { token = d.access_token; render(); })
        .catch(function () { signInForm("Wrong email or password"); });
    }
    pw.input.addEventListener("keydown", function (e) { if (e.key === "Enter") { submit(); } });
    box.appendChild(email.wrap);
    box.appendChild(pw.wrap);
    box.appendChild(button("Sign in", submit));
    root.appendChild(box);
  }
  function go(view) { history.pushState({}, "", shell + "/" + view); render(); }
  function nav() {
    var n = el("nav");
    n.appendChild(button("Inbox", function () { go(["in", "box"].join("")); }));
    n.appendChild(button("Tickets", function () { go(["tick", "ets"].join("")); }));
    var reports = el("a", "Reports");
    reports.href = shell + "/" + ["rep", "orts"].join("");
    n.appendChild(reports);
    return n;
  }
  function show(title, data) {
    root.textContent = "";
    root.appendChild(nav());
    root.appendChild(el("h1", title));
    root.appendChild(el("pre", JSON.stringify(data, null, 2)));
  }
  function render() {
    var seg = location.pathname.replace(shell, "").split("/").filter(Boolean);
    var view = seg[0] || ["in", "box"].join("");
    var path = "/" + view + (seg[1] ? "/" + seg[1] : "");
    call(path).then(function (d) {
      show(view, d);
      (d.tickets || []).forEach(function (t) {
        root.appendChild(button("Open #" + t.id, function () { go(view + "/" + t.id); }));
      });
      if (view === ["in", "box"].join("")) {
        root.appendChild(button("Mark all read", function () { call("/" + ["in", "box"].join("") + "/read", "POST", {}); }));
      }
    }).catch(function (e) { root.textContent = "Not found (" + e.message + ")"; });
  }
  window.addEventListener("popstate", function () { if (token) { render(); } });
  // A reloaded page renews its session from the HttpOnly cookie, or asks to sign in.
  call("/" + ["au", "th"].join("") + "/" + ["ref", "resh"].join(""), "POST")
    .then(function (d) { token = d.access_token; render(); })
    .catch(function () { signInForm(); });
})();
"#;

/// `GET /desk` and every route under it: the shell.
pub(crate) async fn shell() -> Html<&'static str> {
    Html(INDEX)
}

/// `GET /static/desk.js`.
pub(crate) async fn bundle() -> impl IntoResponse {
    crate::bundle::javascript(BUNDLE)
}

#[derive(Deserialize)]
pub(crate) struct SignIn {
    email: String,
    password: String,
}

/// An access token for `user_id`, with the refresh cookie when `refresh` names one.
fn token_answer(
    state: &SharedState,
    headers: &HeaderMap,
    user_id: i64,
    refresh: Option<&str>,
) -> Result<Response, ApiError> {
    let user = tenants::user_by_id(&state.db(), user_id)?.ok_or(ApiError::Unauthorized)?;
    let token = state
        .jwt
        .issue(user.id, user.org_id, &user.role, user.staff)?;
    let mut resp = Json(json!({ "access_token": token, "token_type": "Bearer" })).into_response();
    if let Some(sid) = refresh {
        let value = set_cookie(REFRESH_COOKIE, sid, None, came_over_https(headers));
        // Only the desk's auth API receives it.
        let scoped = value
            .to_str()
            .map(|v| v.replace("Path=/", "Path=/api/desk/auth"))
            .ok()
            .and_then(|v| HeaderValue::from_str(&v).ok())
            .unwrap_or(value);
        resp.headers_mut().append(header::SET_COOKIE, scoped);
    }
    Ok(resp)
}

/// `POST /api/desk/auth/sign-in`: email and password; the token in the answer, the
/// refresh cookie beside it.
pub(crate) async fn sign_in(
    State(state): State<SharedState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    match authenticate_via(&state, ip, &body.email, &body.password, Via::Login).await {
        Ok(user) => {
            let sid = state.sessions.create(user.id);
            token_answer(&state, &headers, user.id, Some(&sid))
        }
        Err(_) => Ok((
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "wrong email or password"})),
        )
            .into_response()),
    }
}

/// `POST /api/desk/auth/refresh`: a fresh access token for the refresh cookie.
pub(crate) async fn refresh(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user_id = cookie(&headers, REFRESH_COOKIE)
        .and_then(|sid| state.sessions.user(&sid))
        .ok_or(ApiError::Unauthorized)?;
    token_answer(&state, &headers, user_id, None)
}

/// Tickets of the caller's organisation (made up from its id).
fn tickets_of(org_id: i64) -> Vec<Value> {
    (1..=2)
        .map(|n| json!({"id": org_id * 100 + n, "subject": format!("Question {n}")}))
        .collect()
}

/// `GET /api/desk/inbox`.
pub(crate) async fn inbox(caller: CurrentUser) -> Json<Value> {
    Json(json!({"messages": [], "user": caller.user.email}))
}

/// `POST /api/desk/inbox/read`: a write the page's button makes.
pub(crate) async fn mark_read(caller: CurrentUser) -> Json<Value> {
    Json(json!({"read": true, "user": caller.user.id}))
}

/// `GET /api/desk/tickets`.
pub(crate) async fn tickets(caller: CurrentUser) -> Json<Value> {
    Json(json!({"tickets": tickets_of(caller.user.org_id)}))
}

/// `GET /api/desk/tickets/{id}`, for a ticket of the caller's organisation.
pub(crate) async fn ticket(
    caller: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    tickets_of(caller.user.org_id)
        .into_iter()
        .find(|t| t["id"] == id)
        .map(|t| Json(json!({"ticket": t, "thread": []})))
        .ok_or(ApiError::NotFound)
}

/// `GET /api/desk/reports`: only the reports view (a page load) calls it.
pub(crate) async fn reports(caller: CurrentUser) -> Json<Value> {
    Json(json!({"reports": [], "org": caller.user.org_id}))
}
