//! Public pages (landing, pricing, docs, catalogue) and the server-rendered
//! pages of the app (projects, invoices, settings).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::auth::PageUser;
use crate::errors::ApiError;
use crate::html::{self, Nav, money};
use crate::resources::{ListParams, invoices, projects};
use crate::state::SharedState;
use crate::tenants;

/// `GET /`. It remembers the visitor's language in a cookie scripts read (no HttpOnly):
/// a preference, not a session, so nothing a scanner should fail.
pub(crate) async fn landing(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let partner = html::esc(&state.partner_url);
    let main = format!(
        "<h1>Projects, invoices and documents for growing teams</h1>\n\
         <p>Ledgerline keeps your client work in one place: plan projects, send invoices, \
         share documents, and see what is overdue at a glance.</p>\n\
         <p><a class=\"button\" href=\"/signup\">Start a free trial</a> or <a href=\"/login\">log in</a>.</p>\n\
         <ul>\n<li><a href=\"/pricing\">Pricing</a></li>\n<li><a href=\"/catalog\">Add-on catalog</a></li>\n\
         <li><a href=\"/docs\">API documentation</a></li>\n<li><a href=\"/community\">Community</a></li>\n</ul>\n\
         <p>Card payments are processed by our partner \
         <a href=\"{partner}\" rel=\"noopener noreferrer\">Northpay</a> \
         (<a href=\"/go/partner\">learn more</a>).</p>\n"
    );
    let secure = if crate::auth::came_over_https(&headers) {
        "; Secure"
    } else {
        ""
    };
    let lang = format!("lang=en; Path=/; SameSite=Lax; Max-Age=31536000{secure}");
    let mut resp = Html(html::page("Home", Nav::Public, "", &main)).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&lang) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /pricing`
pub(crate) async fn pricing() -> Html<String> {
    let main = "<h1>Pricing</h1>\n<table>\n<thead><tr><th>Plan</th><th>Price</th><th>Includes</th></tr></thead>\n<tbody>\n\
         <tr><td>Starter</td><td>15 USD per seat per month</td><td>Projects, invoices, 5 GB documents</td></tr>\n\
         <tr><td>Business</td><td>39 USD per seat per month</td><td>Everything in Starter, API access, audit log</td></tr>\n\
         <tr><td>Enterprise</td><td>Talk to us</td><td>SAML SSO, SIEM export, priority support</td></tr>\n\
         </tbody>\n</table>\n<p>See the <a href=\"/catalog\">add-on catalog</a> for extras.</p>\n";
    Html(html::page("Pricing", Nav::Public, "", main))
}

/// `GET /docs`
pub(crate) async fn docs() -> Html<String> {
    let main = "<h1>Developer documentation</h1>\n\
         <p>The JSON API is described by an OpenAPI document at <a href=\"/openapi.json\">/openapi.json</a>.</p>\n\
         <h2 id=\"authentication\">Authentication</h2>\n\
         <p>Send <code>POST /api/auth/login</code> with <code>{\"email\", \"password\"}</code> to get a \
         bearer token valid for 15 minutes, and pass it as <code>Authorization: Bearer TOKEN</code>. \
         <code>POST /api/auth/logout</code> revokes it. Browser sessions use the <code>session</code> cookie \
         and must send the <code>X-CSRF-Token</code> header (from the page's <code>csrf-token</code> meta tag) on writes.</p>\n\
         <h2 id=\"resources\">Resources</h2>\n<ul>\n\
         <li><code>/api/projects</code>: projects, with <code>?q=</code> search and <code>?limit=</code> (at most 100)</li>\n\
         <li><code>/api/invoices</code>: invoices, identified by UUID</li>\n\
         <li><code>/api/documents</code>: documents, identified by slug</li>\n\
         <li><code>/api/orders</code> and <code>/api/coupons</code>: orders of catalog items and single-use coupons</li>\n\
         <li><code>/api/audit</code>: the audit trail (admins)</li>\n</ul>\n\
         <p>Organization admins: see the <a href=\"/admin/help\">administrator guide</a>.</p>\n\
         <h2 id=\"password-reset\">Password reset</h2>\n\
         <p><code>POST /api/auth/password-reset</code> with your email sends a link valid for 30 minutes.</p>\n\
         <h2 id=\"limits\">Rate limits</h2>\n\
         <p>Logins, signups, password resets and writes are rate limited; a <code>429</code> response \
         says in <code>Retry-After</code> when to try again.</p>\n";
    Html(html::page("Docs", Nav::Public, "", main))
}

/// `GET /admin/help`: the administrator's guide, public like the rest of the docs
/// (a page under an admin-looking path that everyone may read).
pub(crate) async fn admin_help() -> Response {
    let main = "<h1>Administrator guide</h1>\n\
         <p>Admins of an organization invite members, change their roles and read the \
         audit trail. Open <strong>Admin</strong> in the app's menu; members do not see it.</p>\n\
         <h2>Roles</h2>\n<ul>\n<li><strong>Admin</strong>: everything members do, plus users, \
         roles and the audit trail.</li>\n<li><strong>Member</strong>: projects, invoices, documents \
         and notes of the organization.</li>\n</ul>\n";
    // Documentation is the same for everyone: shared caches may keep it.
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Html(html::page("Administrator guide", Nav::Public, "", main)),
    )
        .into_response()
}

/// `GET /community`: the public directory of people and their organizations, the same
/// for everyone (names a profile also shows are no private data here).
pub(crate) async fn community(State(state): State<SharedState>) -> Result<Response, ApiError> {
    let people: Vec<(String, String)> = {
        let conn = state.db();
        let mut stmt = conn.prepare(
            "SELECT users.name, organizations.name FROM users \
             JOIN organizations ON organizations.id = users.org_id ORDER BY users.id LIMIT 50",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let rows: String = people
        .iter()
        .map(|(name, org)| format!("<li>{} ({})</li>\n", html::esc(name), html::esc(org)))
        .collect();
    let main = format!(
        "<h1>Community</h1>\n<p>People who build with Ledgerline.</p>\n<ul>\n{rows}</ul>\n"
    );
    // The same for everyone, so shared caches may keep it.
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Html(html::page("Community", Nav::Public, "", &main)),
    )
        .into_response())
}

/// `GET /robots.txt`
pub(crate) async fn robots() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "User-agent: *\nDisallow: /app\nDisallow: /admin\nDisallow: /api/\n",
    )
        .into_response()
}

/// `GET /healthz`
pub(crate) async fn healthz(
    State(state): State<SharedState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let ok: i64 = state.db().query_row("SELECT 1", [], |r| r.get(0))?;
    Ok(Json(
        serde_json::json!({ "status": if ok == 1 { "ok" } else { "degraded" } }),
    ))
}

/// `GET /go/partner`: the tracked outbound link to the payment partner.
pub(crate) async fn go_partner(State(state): State<SharedState>) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, state.partner_url.clone())],
    )
        .into_response()
}

#[derive(Debug, Serialize)]
pub(crate) struct Product {
    sku: String,
    name: String,
    description: String,
    price_cents: i64,
    currency: String,
}

fn products(conn: &Connection) -> rusqlite::Result<Vec<Product>> {
    let mut stmt =
        conn.prepare("SELECT sku, name, description, price_cents, currency FROM products ORDER BY price_cents, sku")?;
    let rows = stmt.query_map([], |r| {
        Ok(Product {
            sku: r.get(0)?,
            name: r.get(1)?,
            description: r.get(2)?,
            price_cents: r.get(3)?,
            currency: r.get(4)?,
        })
    })?;
    rows.collect()
}

#[derive(Serialize)]
pub(crate) struct Catalog {
    products: Vec<Product>,
}

/// `GET /api/catalog`: public, the same for every caller.
pub(crate) async fn catalog_json(
    State(state): State<SharedState>,
) -> Result<Json<Catalog>, ApiError> {
    let products = products(&state.db())?;
    Ok(Json(Catalog { products }))
}

/// `GET /catalog`
pub(crate) async fn catalog_page(
    State(state): State<SharedState>,
) -> Result<Html<String>, ApiError> {
    let products = products(&state.db())?;
    let rows: String = products
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                html::esc(&p.sku),
                html::esc(&p.name),
                html::esc(&p.description),
                money(p.price_cents, &p.currency)
            )
        })
        .collect();
    let main = format!(
        "<h1>Add-on catalog</h1>\n<table>\n<thead><tr><th>SKU</th><th>Item</th><th>Description</th><th>Price</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n<p>Order add-ons from the app or with <code>POST /api/orders</code>.</p>\n"
    );
    Ok(Html(html::page("Catalog", Nav::Public, "", &main)))
}

/// `GET /app/projects`
pub(crate) async fn app_projects(
    State(state): State<SharedState>,
    me: PageUser,
) -> Result<Html<String>, ApiError> {
    let projects = {
        let conn = state.db();
        projects::list_for(&state, &conn, me.user.org_id, &ListParams::default())?
    };
    Ok(projects_page(&me, &projects, ""))
}

/// The projects search form's fields.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ProjectSearchForm {
    q: String,
    csrf_token: String,
}

/// `POST /app/projects/search`: the projects page's search form. It takes a browser's
/// form post only (form-encoded, this session's CSRF token, from this site) and lists
/// the matching projects; the search text goes through the same query as the API's.
pub(crate) async fn app_projects_search(
    State(state): State<SharedState>,
    me: PageUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form_post = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form_post {
        return Ok((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected a form post (application/x-www-form-urlencoded)",
        )
            .into_response());
    }
    crate::auth::same_origin_write(&headers, state.require_origin)?;
    let form: ProjectSearchForm = serde_urlencoded::from_bytes(&body)
        .map_err(|_| ApiError::bad_request("the search form could not be read"))?;
    if form.csrf_token != me.csrf {
        return Err(ApiError::Forbidden("missing or invalid CSRF token"));
    }
    let params = ListParams {
        q: Some(form.q.clone()),
        ..ListParams::default()
    };
    let projects = {
        let conn = state.db();
        projects::list_for(&state, &conn, me.user.org_id, &params)?
    };
    Ok(projects_page(&me, &projects, &form.q).into_response())
}

/// The projects page: its search form and the projects it lists.
fn projects_page(me: &PageUser, projects: &[projects::Project], query: &str) -> Html<String> {
    let rows: String = projects
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                p.id,
                html::esc(&p.name),
                html::esc(&p.description),
                html::esc(&p.status)
            )
        })
        .collect();
    let main = format!(
        "<h1>Projects</h1>\n\
         <form method=\"post\" action=\"/app/projects/search\" role=\"search\">\n\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\n\
         <label>Find a project <input type=\"search\" name=\"q\" value=\"{}\"></label>\n\
         <button type=\"submit\">Search</button>\n</form>\n\
         <table>\n<thead><tr><th>ID</th><th>Name</th><th>Description</th><th>Status</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n",
        html::esc(&me.csrf),
        html::esc(query)
    );
    let nav = Nav::App {
        user: &me.user,
        csrf: &me.csrf,
    };
    Html(html::page("Projects", nav, "", &main))
}

/// `GET /app/invoices`
pub(crate) async fn app_invoices(
    State(state): State<SharedState>,
    me: PageUser,
) -> Result<Html<String>, ApiError> {
    let invoices = {
        let conn = state.db();
        invoices::list_for(&state, &conn, me.user.org_id, &ListParams::default())?
    };
    let rows: String = invoices
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                html::esc(&i.number),
                html::esc(&i.customer),
                money(i.amount_cents, &i.currency),
                html::esc(&i.status),
                html::esc(&i.issued_on)
            )
        })
        .collect();
    let main = format!(
        "<h1>Invoices</h1>\n<table>\n<thead><tr><th>Number</th><th>Customer</th><th>Amount</th><th>Status</th><th>Issued</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n"
    );
    let nav = Nav::App {
        user: &me.user,
        csrf: &me.csrf,
    };
    Ok(Html(html::page("Invoices", nav, "", &main)))
}

/// `GET /app/settings`
pub(crate) async fn app_settings(
    State(state): State<SharedState>,
    me: PageUser,
) -> Result<Html<String>, ApiError> {
    let org = tenants::organization(&state.db(), me.user.org_id)?;
    let main = format!(
        "<h1>Settings</h1>\n<h2>Profile</h2>\n<dl>\n<dt>Name</dt><dd>{}</dd>\n<dt>Email</dt><dd>{}</dd>\n<dt>Role</dt><dd>{}</dd>\n</dl>\n\
         <h2>Organisation</h2>\n<dl>\n<dt>Name</dt><dd>{}</dd>\n<dt>Slug</dt><dd>{}</dd>\n</dl>\n\
         <h2>Session</h2>\n<form method=\"post\" action=\"/logout\">\n<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\n\
         <button type=\"submit\">Sign out of this browser</button>\n</form>\n",
        html::esc(&me.user.name),
        html::esc(&me.user.email),
        html::esc(&me.user.role),
        html::esc(&org.name),
        html::esc(&org.slug),
        html::esc(&me.csrf)
    );
    let nav = Nav::App {
        user: &me.user,
        csrf: &me.csrf,
    };
    Ok(Html(html::page("Settings", nav, "", &main)))
}
