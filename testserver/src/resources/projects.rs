//! Projects: sequential integer ids, scoped to the caller's organisation.

use anyhow::Context;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{ListParams, OrgQuery};
use crate::audit;
use crate::auth::CurrentUser;
use crate::errors::ApiError;
use crate::extract::{ApiQuery, MAX_TEXT, ResourceJson, check_text};
use crate::flaws::Flaw;
use crate::state::{AppState, SharedState, now_rfc3339};

#[derive(Debug, Serialize)]
pub(crate) struct Project {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub status: String,
    /// The user who created it.
    pub owner_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, description, status, created_at, updated_at, created_by";

impl Project {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Project> {
        Ok(Project {
            id: row.get(0)?,
            name: row.get(1)?,
            description: row.get(2)?,
            status: row.get(3)?,
            created_at: row.get(4)?,
            updated_at: row.get(5)?,
            owner_id: row.get(6)?,
        })
    }
}

const QUERY: OrgQuery<'static> = OrgQuery {
    select: "SELECT id, name, description, status, created_at, updated_at, created_by FROM projects WHERE org_id = ?1",
    text_columns: &["name", "description"],
    order_by: "id",
};

/// The caller's projects, for the API and the HTML page.
pub(crate) fn list_for(
    state: &AppState,
    conn: &Connection,
    org_id: i64,
    params: &ListParams,
) -> Result<Vec<Project>, ApiError> {
    QUERY.run(state, conn, org_id, params, Project::from_row)
}

#[derive(Serialize)]
pub(crate) struct ProjectList {
    projects: Vec<Project>,
}

/// `GET /api/projects?limit=&offset=&q=`
pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ProjectList>, ApiError> {
    let conn = state.db();
    let projects = list_for(&state, &conn, caller.user.org_id, &params)?;
    Ok(Json(ProjectList { projects }))
}

#[derive(Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
    limit: Option<u32>,
}

#[derive(Serialize)]
pub(crate) struct SearchResult {
    query: String,
    projects: Vec<Project>,
}

/// `GET /api/projects/search?q=TEXT`
pub(crate) async fn search(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiQuery(search): ApiQuery<SearchParams>,
) -> Result<Json<SearchResult>, ApiError> {
    let q = search.q.unwrap_or_default();
    check_text("q", &q, true, 200)?;
    let params = ListParams {
        limit: search.limit,
        offset: None,
        q: Some(q.clone()),
    };
    let conn = state.db();
    let projects = list_for(&state, &conn, caller.user.org_id, &params)?;
    Ok(Json(SearchResult { query: q, projects }))
}

fn validate_status(status: &str) -> Result<(), ApiError> {
    match status {
        "active" | "archived" => Ok(()),
        _ => Err(ApiError::invalid(
            "status",
            "'status' must be \"active\" or \"archived\"",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateProject {
    name: String,
    #[serde(default)]
    description: String,
}

/// `POST /api/projects`
pub(crate) async fn create(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ResourceJson(body, json): ResourceJson<CreateProject>,
) -> Result<Response, ApiError> {
    let owner = assigned_owner(&state, &json).unwrap_or(caller.user.id);
    check_text("name", &body.name, true, 200)?;
    check_text("description", &body.description, false, MAX_TEXT)?;
    let now = now_rfc3339();
    let conn = state.db();
    conn.execute(
        "INSERT INTO projects (org_id, name, description, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![
            caller.user.org_id,
            body.name.trim(),
            body.description,
            owner,
            now
        ],
    )?;
    let id = conn.last_insert_rowid();
    audit::record(
        &conn,
        Some(caller.user.org_id),
        &caller.user.email,
        "project.create",
        &format!("project:{id}"),
        caller.ip,
    )?;
    let project = fetch(&conn, caller.user.org_id, id)?.ok_or(ApiError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/projects/{id}"))],
        Json(project),
    )
        .into_response())
}

/// The `mass-assignment` flaw: an `owner_id` from the client is bound to the row.
fn assigned_owner(state: &AppState, raw: &serde_json::Value) -> Option<i64> {
    if !state.flaw(Flaw::MassAssignment) {
        return None;
    }
    raw.get("owner_id").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

fn fetch(conn: &Connection, org_id: i64, id: i64) -> rusqlite::Result<Option<Project>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM projects WHERE id = ?1 AND org_id = ?2"),
        params![id, org_id],
        Project::from_row,
    )
    .optional()
}

/// The project id in a path. The hardened app validates it; the `stack-trace`
/// flaw trusts the router and lets a bad id surface as a 500 with its trace.
fn project_id(state: &AppState, raw: &str) -> Result<i64, ApiError> {
    if state.flaw(Flaw::StackTrace) {
        let id = raw
            .parse::<i64>()
            .with_context(|| format!("parsing project id {raw:?} from the request path"))?;
        return Ok(id);
    }
    raw.parse::<i64>()
        .map_err(|_| ApiError::bad_request("invalid project id"))
}

/// `GET /api/projects/{id}`
pub(crate) async fn get(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<Project>, ApiError> {
    let id = project_id(&state, &raw)?;
    let conn = state.db();
    fetch(&conn, caller.user.org_id, id)?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplaceProject {
    name: String,
    description: String,
    #[serde(default)]
    status: Option<String>,
}

/// `PUT /api/projects/{id}`
pub(crate) async fn replace(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
    ResourceJson(body, json): ResourceJson<ReplaceProject>,
) -> Result<Json<Project>, ApiError> {
    let id = project_id(&state, &raw)?;
    check_text("name", &body.name, true, 200)?;
    check_text("description", &body.description, false, MAX_TEXT)?;
    let status = body.status.unwrap_or_else(|| "active".to_string());
    validate_status(&status)?;
    update(
        &state,
        &caller,
        id,
        Some(body.name.trim()),
        Some(&body.description),
        Some(&status),
        assigned_owner(&state, &json),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchProject {
    name: Option<String>,
    description: Option<String>,
    status: Option<String>,
}

/// `PATCH /api/projects/{id}`
pub(crate) async fn patch(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
    ResourceJson(body, json): ResourceJson<PatchProject>,
) -> Result<Json<Project>, ApiError> {
    let id = project_id(&state, &raw)?;
    if let Some(name) = &body.name {
        check_text("name", name, true, 200)?;
    }
    if let Some(description) = &body.description {
        check_text("description", description, false, MAX_TEXT)?;
    }
    if let Some(status) = &body.status {
        validate_status(status)?;
    }
    update(
        &state,
        &caller,
        id,
        body.name.as_deref().map(str::trim),
        body.description.as_deref(),
        body.status.as_deref(),
        assigned_owner(&state, &json),
    )
}

#[allow(clippy::too_many_arguments)]
fn update(
    state: &AppState,
    caller: &CurrentUser,
    id: i64,
    name: Option<&str>,
    description: Option<&str>,
    status: Option<&str>,
    owner: Option<i64>,
) -> Result<Json<Project>, ApiError> {
    let conn = state.db();
    // Under `idor-write` the organisation condition is missing from the write.
    let scope = if state.flaw(Flaw::IdorWrite) {
        "?6 IS NOT NULL"
    } else {
        "org_id = ?6"
    };
    let changed = conn.execute(
        &format!(
            "UPDATE projects SET name = COALESCE(?1, name), description = COALESCE(?2, description),
             status = COALESCE(?3, status), updated_at = ?4, created_by = COALESCE(?7, created_by)
         WHERE id = ?5 AND {scope}"
        ),
        params![
            name,
            description,
            status,
            now_rfc3339(),
            id,
            caller.user.org_id,
            owner
        ],
    )?;
    if changed == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &conn,
        Some(caller.user.org_id),
        &caller.user.email,
        "project.update",
        &format!("project:{id}"),
        caller.ip,
    )?;
    fetch(&conn, caller.user.org_id, id)?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `DELETE /api/projects/{id}`
pub(crate) async fn delete(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = project_id(&state, &raw)?;
    let conn = state.db();
    let scope = if state.flaw(Flaw::IdorWrite) {
        "?2 IS NOT NULL"
    } else {
        "org_id = ?2"
    };
    let deleted = conn.execute(
        &format!("DELETE FROM projects WHERE id = ?1 AND {scope}"),
        params![id, caller.user.org_id],
    )?;
    if deleted == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &conn,
        Some(caller.user.org_id),
        &caller.user.email,
        "project.delete",
        &format!("project:{id}"),
        caller.ip,
    )?;
    Ok(StatusCode::NO_CONTENT)
}
