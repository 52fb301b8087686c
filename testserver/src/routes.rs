//! The route table and the middleware stack.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{MethodRouter, get, post};
use tower_http::catch_panic::CatchPanicLayer;

use crate::errors::{self, PanicResponder};
use crate::flaws::{Flaw, FlawSet};
use crate::state::{AppState, SharedState};
use crate::{
    admin, audit, auth::handlers as authh, bundle, debug, desk, hardening, internal, leaks, notes,
    openapi, orders, pages, recorder, resources, scale, spa, tenants,
};

/// One row of the route table (shown by the debug pages).
#[derive(Debug, Clone)]
pub(crate) struct RouteInfo {
    pub methods: &'static str,
    pub path: &'static str,
    pub handler: &'static str,
}

/// Builds the router and its table side by side, so the table is the truth.
struct Routes {
    router: Router<SharedState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    fn new() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn at(
        mut self,
        methods: &'static str,
        path: &'static str,
        handler: &'static str,
        route: MethodRouter<SharedState>,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.table.push(RouteInfo {
            methods,
            path,
            handler,
        });
        self
    }

    /// `--spa`: the workspace shell, its bundle and the API only its script calls.
    fn single_page_app(self, on: bool) -> Self {
        if !on {
            return self;
        }
        self.at("GET", "/work", "spa::shell", get(spa::shell))
            .at("GET", "/work/{*route}", "spa::shell", get(spa::shell))
            .at(
                "GET",
                "/static/workspace.js",
                "spa::bundle",
                get(spa::bundle),
            )
            .at(
                "GET",
                "/api/workspace/session",
                "spa::session",
                get(spa::session),
            )
            .at(
                "GET",
                "/api/workspace/summary",
                "spa::summary",
                get(spa::summary),
            )
            .at(
                "GET",
                "/api/workspace/projects",
                "spa::projects",
                get(spa::projects),
            )
            .at(
                "GET",
                "/api/workspace/projects/{id}/activity",
                "spa::activity",
                get(spa::activity),
            )
            .at(
                "POST",
                "/api/workspace/projects/{id}/star",
                "spa::star",
                post(spa::star),
            )
            .at(
                "GET",
                "/api/workspace/preferences",
                "spa::preferences",
                get(spa::preferences),
            )
            .at(
                "GET",
                "/api/workspace/members",
                "spa::members",
                get(spa::members),
            )
            .at(
                "GET",
                "/static/workspace/{name}",
                "spa::chunk",
                get(spa::chunk),
            )
            .at(
                "GET",
                "/api/workspace/exports",
                "spa::exports",
                get(spa::exports),
            )
    }

    /// `--spa-memory-session`: the help desk shell, its bundle, its sign-in and renewal,
    /// and the API only its signed-in script calls.
    fn memory_session_app(self, on: bool) -> Self {
        if !on {
            return self;
        }
        self.at("GET", "/desk", "desk::shell", get(desk::shell))
            .at("GET", "/desk/{*route}", "desk::shell", get(desk::shell))
            .at("GET", "/static/desk.js", "desk::bundle", get(desk::bundle))
            .at(
                "POST",
                "/api/desk/auth/sign-in",
                "desk::sign_in",
                post(desk::sign_in),
            )
            .at(
                "POST",
                "/api/desk/auth/refresh",
                "desk::refresh",
                post(desk::refresh),
            )
            .at("GET", "/api/desk/inbox", "desk::inbox", get(desk::inbox))
            .at(
                "POST",
                "/api/desk/inbox/read",
                "desk::mark_read",
                post(desk::mark_read),
            )
            .at(
                "GET",
                "/api/desk/tickets",
                "desk::tickets",
                get(desk::tickets),
            )
            .at(
                "GET",
                "/api/desk/tickets/{id}",
                "desk::ticket",
                get(desk::ticket),
            )
            .at(
                "GET",
                "/api/desk/reports",
                "desk::reports",
                get(desk::reports),
            )
    }

    /// The public site: marketing pages, robots.txt, health, the partner link, the API description.
    fn site(self) -> Self {
        self.at("GET", "/", "pages::landing", get(pages::landing))
            .at("GET", "/pricing", "pages::pricing", get(pages::pricing))
            .at("GET", "/docs", "pages::docs", get(pages::docs))
            .at(
                "GET",
                "/admin/help",
                "pages::admin_help",
                get(pages::admin_help),
            )
            .at(
                "GET",
                "/community",
                "pages::community",
                get(pages::community),
            )
            .at(
                "GET",
                "/catalog",
                "pages::catalog_page",
                get(pages::catalog_page),
            )
            .at("GET", "/robots.txt", "pages::robots", get(pages::robots))
            .at("GET", "/healthz", "pages::healthz", get(pages::healthz))
            .at(
                "GET",
                "/go/partner",
                "pages::go_partner",
                get(pages::go_partner),
            )
            .at(
                "GET",
                "/openapi.json",
                "openapi::serve",
                get(openapi::serve),
            )
    }

    /// Sign-in, sign-out and sign-up for the web app (HTML forms).
    fn sign_in_pages(self) -> Self {
        self.at(
            "GET POST",
            "/login",
            "auth::login_page / auth::login_submit",
            get(authh::login_page).post(authh::login_submit),
        )
        .at(
            "POST",
            "/logout",
            "auth::logout_submit",
            post(authh::logout_submit),
        )
        .at(
            "GET POST",
            "/signup",
            "auth::signup_page / auth::signup_submit",
            get(authh::signup_page).post(authh::signup_submit),
        )
    }

    /// The signed-in web app: its pages, the admin console and the bundle's assets.
    fn app_pages(self) -> Self {
        self.at("GET", "/app", "bundle::app_shell", get(bundle::app_shell))
            .at(
                "GET",
                "/app/projects",
                "pages::app_projects",
                get(pages::app_projects),
            )
            .at(
                "POST",
                "/app/projects/search",
                "pages::app_projects_search",
                post(pages::app_projects_search),
            )
            .at(
                "GET",
                "/app/invoices",
                "pages::app_invoices",
                get(pages::app_invoices),
            )
            .at(
                "GET",
                "/app/settings",
                "pages::app_settings",
                get(pages::app_settings),
            )
            .at("GET", "/app/notes", "notes::list", get(notes::list))
            .at(
                "GET",
                "/app/notes/new",
                "notes::new_form",
                get(notes::new_form),
            )
            .at("POST", "/app/notes", "notes::create", post(notes::create))
            .at(
                "GET POST",
                "/app/notes/{id}",
                "notes::show / notes::update",
                get(notes::show).post(notes::update),
            )
            .at(
                "POST",
                "/app/notes/{id}/delete",
                "notes::delete",
                post(notes::delete),
            )
            .at("GET", "/admin", "admin::page", get(admin::page))
            .at(
                "GET",
                "/static/{name}",
                "bundle::static_file",
                get(bundle::static_file),
            )
            .at(
                "GET",
                "/static/chunks/{name}",
                "bundle::chunk_file",
                get(bundle::chunk_file),
            )
    }

    /// The public JSON catalogue, then login, logout, signup and password reset for API clients.
    fn auth_api(self) -> Self {
        self.at(
            "GET",
            "/api/catalog",
            "pages::catalog_json",
            get(pages::catalog_json),
        )
        .at(
            "POST",
            "/api/auth/login",
            "auth::api_login",
            post(authh::api_login),
        )
        .at(
            "POST",
            "/api/auth/logout",
            "auth::api_logout",
            post(authh::api_logout),
        )
        .at(
            "POST",
            "/api/auth/signup",
            "auth::api_signup",
            post(authh::api_signup),
        )
        .at(
            "POST",
            "/api/auth/password-reset",
            "auth::api_password_reset",
            post(authh::api_password_reset),
        )
        .at(
            "POST",
            "/api/auth/password-reset/confirm",
            "auth::api_password_reset_confirm",
            post(authh::api_password_reset_confirm),
        )
    }

    /// The caller's account and the tenant-scoped resources: projects, invoices, documents.
    fn tenant_api(self) -> Self {
        self.at(
            "GET PATCH",
            "/api/me",
            "tenants::me / tenants::update_me",
            get(tenants::me).patch(tenants::update_me),
        )
        .at(
            "GET POST",
            "/api/projects",
            "projects::list / projects::create",
            get(resources::projects::list).post(resources::projects::create),
        )
        .at(
            "GET",
            "/api/projects/search",
            "projects::search",
            get(resources::projects::search),
        )
        .at(
            "GET PUT PATCH DELETE",
            "/api/projects/{id}",
            "projects::get / replace / patch / delete",
            get(resources::projects::get)
                .put(resources::projects::replace)
                .patch(resources::projects::patch)
                .delete(resources::projects::delete),
        )
        .at(
            "GET PUT",
            "/api/carts/{id}",
            "carts::get / replace",
            get(resources::carts::get).put(resources::carts::replace),
        )
        .at(
            "GET POST",
            "/api/invoices",
            "invoices::list / invoices::create",
            get(resources::invoices::list).post(resources::invoices::create),
        )
        .at(
            "GET PUT DELETE",
            "/api/invoices/{id}",
            "invoices::get / replace / delete",
            get(resources::invoices::get)
                .put(resources::invoices::replace)
                .delete(resources::invoices::delete),
        )
        .at(
            "GET",
            "/api/invoice",
            "invoices::get_legacy",
            get(resources::invoices::get_legacy),
        )
        .at(
            "GET POST",
            "/api/documents",
            "documents::list / documents::create",
            get(resources::documents::list).post(resources::documents::create),
        )
        .at(
            "POST",
            "/api/documents/lookup",
            "documents::lookup",
            post(resources::documents::lookup),
        )
        .at(
            "GET DELETE",
            "/api/documents/{slug}",
            "documents::get / documents::delete",
            get(resources::documents::get).delete(resources::documents::delete),
        )
    }

    /// Orders and single-use coupons.
    fn orders_api(self) -> Self {
        self.at(
            "GET POST",
            "/api/orders",
            "orders::list / orders::create",
            get(orders::list).post(orders::create),
        )
        .at(
            "GET DELETE",
            "/api/orders/{id}",
            "orders::get / orders::delete",
            get(orders::get).delete(orders::delete),
        )
        .at(
            "GET POST",
            "/api/coupons",
            "orders::list_coupons / orders::create_coupon",
            get(orders::list_coupons).post(orders::create_coupon),
        )
        .at(
            "POST",
            "/api/coupons/redeem",
            "orders::redeem",
            post(orders::redeem),
        )
    }

    /// Role management and the audit trail (admins).
    fn admin_api(self) -> Self {
        self.at(
            "GET",
            "/api/admin/users",
            "admin::list_users",
            get(admin::list_users),
        )
        .at(
            "POST",
            "/api/admin/users/{id}/role",
            "admin::set_role",
            post(admin::set_role),
        )
        .at("GET", "/api/audit", "audit::feed", get(audit::feed))
    }

    /// The internal tools API, behind HTTP Basic.
    fn internal_api(self) -> Self {
        self.at(
            "GET",
            "/internal/api/whoami",
            "internal::whoami",
            get(internal::whoami),
        )
        .at(
            "GET",
            "/internal/api/projects",
            "internal::projects",
            get(internal::projects),
        )
    }

    /// Routes that exist only with their flaw: the leaked `.env` and the debug pages.
    fn flawed(self, flaws: FlawSet) -> Self {
        let r = if flaws.contains(Flaw::DotenvExposed) {
            self.at("GET", "/.env", "leaks::dotenv", get(leaks::dotenv))
        } else {
            self
        };
        if flaws.contains(Flaw::DebugPage) {
            r.at("GET", "/debug/vars", "debug::vars", get(debug::vars))
                .at("GET", "/debug/routes", "debug::routes", get(debug::routes))
        } else {
            r
        }
    }

    /// The scaling benchmark's generated endpoints (`--size N`), none by default.
    fn generated(self, size: usize) -> Self {
        if size == 0 {
            return self;
        }
        self.at(
            "GET",
            "/api/t/{family}/items",
            "scale::list",
            get(scale::list),
        )
        .at(
            "GET",
            "/api/t/{family}/items/{id}",
            "scale::get",
            get(scale::get),
        )
    }
}

/// Request bodies above this size are refused with 413.
const BODY_LIMIT: usize = 64 * 1024;

/// The application's routes (without state) and their table, in the order the debug
/// pages list them.
pub(crate) fn table(
    flaws: FlawSet,
    size: usize,
    spa: bool,
    memory_session: bool,
) -> (Router<SharedState>, Vec<RouteInfo>) {
    let r = Routes::new()
        .site()
        .sign_in_pages()
        .app_pages()
        .auth_api()
        .tenant_api()
        .orders_api()
        .admin_api()
        .internal_api()
        .flawed(flaws)
        .generated(size)
        .single_page_app(spa)
        .memory_session_app(memory_session);
    (r.router, r.table)
}

/// The finished app: routes plus the middleware stack, outermost last.
pub(crate) fn app(router: Router<SharedState>, state: Arc<AppState>) -> Router {
    router
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(PanicResponder))
        .layer(from_fn(errors::panic_scope))
        .layer(from_fn_with_state(state.clone(), errors::render_errors))
        .layer(from_fn(hardening::write_quota))
        .layer(from_fn_with_state(state.clone(), hardening::cors))
        .layer(from_fn_with_state(
            state.clone(),
            hardening::security_headers,
        ))
        .layer(from_fn_with_state(state.clone(), recorder::record))
        .with_state(state)
}
