//! The internal tools API: the same users and tenant data as `/api`, behind HTTP Basic
//! instead of a login (as internal dashboards and staging gates are). Read-only.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::auth::basic::BasicUser;
use crate::errors::ApiError;
use crate::resources::ListParams;
use crate::resources::projects::{self, Project};
use crate::state::SharedState;
use crate::tenants::{self, Me};

/// `GET /internal/api/whoami`: the caller's account and organisation.
pub(crate) async fn whoami(
    State(state): State<SharedState>,
    BasicUser(user): BasicUser,
) -> Result<Json<Me>, ApiError> {
    let conn = state.db();
    Ok(Json(tenants::me_of(&conn, &user)?))
}

#[derive(Serialize)]
pub(crate) struct Projects {
    projects: Vec<Project>,
}

/// `GET /internal/api/projects`: the caller's organisation's projects.
pub(crate) async fn projects(
    State(state): State<SharedState>,
    BasicUser(user): BasicUser,
) -> Result<Json<Projects>, ApiError> {
    let conn = state.db();
    let projects = projects::list_for(&state, &conn, user.org_id, &ListParams::default())?;
    Ok(Json(Projects { projects }))
}
