//! Organisation administration: users and roles (admins only).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Html;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::auth::{AdminUser, PageUser};
use crate::errors::ApiError;
use crate::extract::ApiJson;
use crate::html::{self, Nav};
use crate::state::SharedState;
use crate::tenants::{self, User};

#[derive(Serialize)]
pub(crate) struct UserList {
    users: Vec<User>,
}

/// `GET /api/admin/users`: the caller's organisation's users.
pub(crate) async fn list_users(
    State(state): State<SharedState>,
    AdminUser(caller): AdminUser,
) -> Result<Json<UserList>, ApiError> {
    let conn = state.db();
    let users = tenants::users_of_org(&conn, caller.user.org_id)?;
    Ok(Json(UserList { users }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleChange {
    role: String,
}

/// `POST /api/admin/users/{id}/role`
pub(crate) async fn set_role(
    State(state): State<SharedState>,
    AdminUser(caller): AdminUser,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<Json<User>, ApiError> {
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::bad_request("invalid user id"))?;
    if body.role != "admin" && body.role != "member" {
        return Err(ApiError::invalid(
            "role",
            "'role' must be \"admin\" or \"member\"",
        ));
    }
    let org_id = caller.user.org_id;
    let mut conn = state.db();
    let tx = conn.transaction()?;
    let target = tenants::user_by_id(&tx, id)?
        .filter(|u| u.org_id == org_id)
        .ok_or(ApiError::NotFound)?;
    if target.role == "admin" && body.role == "member" {
        let admins: i64 = tx.query_row(
            "SELECT COUNT(*) FROM users WHERE org_id = ?1 AND role = 'admin'",
            [org_id],
            |r| r.get(0),
        )?;
        if admins <= 1 {
            return Err(ApiError::Conflict(
                "an organisation needs at least one admin".to_string(),
            ));
        }
    }
    tx.execute(
        "UPDATE users SET role = ?1 WHERE id = ?2 AND org_id = ?3",
        params![body.role, id, org_id],
    )?;
    audit::record(
        &tx,
        Some(org_id),
        &caller.user.email,
        "user.role_change",
        &format!("user:{id} {} -> {}", target.role, body.role),
        caller.ip,
    )?;
    let updated = tenants::user_by_id(&tx, id)?.ok_or(ApiError::NotFound)?;
    tx.commit()?;
    Ok(Json(updated))
}

/// `GET /admin`: the admin console page. Members get a 403 page.
pub(crate) async fn page(
    State(state): State<SharedState>,
    me: PageUser,
) -> Result<(axum::http::StatusCode, Html<String>), ApiError> {
    let nav = Nav::App {
        user: &me.user,
        csrf: &me.csrf,
    };
    if !me.user.is_admin() {
        let main = "<h1>Admins only</h1>\n<p>Ask an admin of your organisation for access.</p>\n";
        return Ok((
            axum::http::StatusCode::FORBIDDEN,
            Html(html::page("Forbidden", nav, "", main)),
        ));
    }
    let users = {
        let conn = state.db();
        tenants::users_of_org(&conn, me.user.org_id)?
    };
    let rows: String = users
        .iter()
        .map(|u| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                u.id,
                html::esc(&u.name),
                html::esc(&u.email),
                html::esc(&u.role)
            )
        })
        .collect();
    let main = format!(
        "<h1>Admin console</h1>\n<h2>Users</h2>\n<table>\n<thead><tr><th>ID</th><th>Name</th><th>Email</th><th>Role</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n<p>Change roles and read the audit trail from the <a href=\"/app\">app</a> \
         (<code>/api/admin/users</code>, <code>/api/audit</code>).</p>\n"
    );
    Ok((
        axum::http::StatusCode::OK,
        Html(html::page("Admin", nav, "", &main)),
    ))
}
