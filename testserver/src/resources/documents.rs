//! Documents: slug ids derived from the title, unique within an organisation.

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
use crate::extract::{ApiJson, ApiQuery, MAX_TEXT, ResourceJson, check_text};
use crate::flaws::Flaw;
use crate::state::{SharedState, now_rfc3339};
use crate::tenants::slugify;

#[derive(Debug, Serialize)]
pub(crate) struct Document {
    pub slug: String,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "slug, title, body, created_at, updated_at";

impl Document {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Document> {
        Ok(Document {
            slug: row.get(0)?,
            title: row.get(1)?,
            body: row.get(2)?,
            created_at: row.get(3)?,
            updated_at: row.get(4)?,
        })
    }
}

const QUERY: OrgQuery<'static> = OrgQuery {
    select: "SELECT slug, title, body, created_at, updated_at FROM documents WHERE org_id = ?1",
    text_columns: &["title", "body"],
    order_by: "created_at DESC, slug",
};

#[derive(Serialize)]
pub(crate) struct DocumentList {
    documents: Vec<Document>,
}

/// `GET /api/documents?limit=&offset=&q=`
pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<DocumentList>, ApiError> {
    let conn = state.db();
    let documents = QUERY.run(
        &state,
        &conn,
        caller.user.org_id,
        &params,
        Document::from_row,
    )?;
    Ok(Json(DocumentList { documents }))
}

fn fetch(conn: &Connection, org_id: i64, slug: &str) -> rusqlite::Result<Option<Document>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM documents WHERE org_id = ?1 AND slug = ?2"),
        params![org_id, slug],
        Document::from_row,
    )
    .optional()
}

/// A slug for `title` not yet used in the organisation: `title`, `title-2`, ...
fn unique_slug(conn: &Connection, org_id: i64, title: &str) -> rusqlite::Result<String> {
    let base = match slugify(title, 60) {
        s if s.is_empty() => "document".to_string(),
        s => s,
    };
    let mut slug = base.clone();
    let mut n = 2;
    while fetch(conn, org_id, &slug)?.is_some() {
        slug = format!("{base}-{n}");
        n += 1;
    }
    Ok(slug)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDocument {
    title: String,
    body: String,
}

/// `POST /api/documents`
pub(crate) async fn create(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ResourceJson(body, _): ResourceJson<CreateDocument>,
) -> Result<Response, ApiError> {
    check_text("title", &body.title, true, 200)?;
    check_text("body", &body.body, false, MAX_TEXT)?;
    let org_id = caller.user.org_id;
    let now = now_rfc3339();
    let conn = state.db();
    let slug = unique_slug(&conn, org_id, &body.title)?;
    conn.execute(
        "INSERT INTO documents (org_id, slug, title, body, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            org_id,
            slug,
            body.title.trim(),
            body.body,
            caller.user.id,
            now
        ],
    )?;
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "document.create",
        &format!("document:{slug}"),
        caller.ip,
    )?;
    let document = fetch(&conn, org_id, &slug)?.ok_or(ApiError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/documents/{slug}"))],
        Json(document),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Lookup {
    slug: String,
}

/// `POST /api/documents/lookup` with `{"slug": ...}`
pub(crate) async fn lookup(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiJson(body): ApiJson<Lookup>,
) -> Result<Json<Document>, ApiError> {
    check_text("slug", &body.slug, true, 200)?;
    let conn = state.db();
    let found = if state.flaw(Flaw::IdorRead) {
        // The bug: the slug alone picks the document, whichever organisation owns it.
        conn.query_row(
            &format!(
                "SELECT {COLUMNS} FROM documents WHERE slug = ?1 ORDER BY org_id != ?2, org_id"
            ),
            params![body.slug, caller.user.org_id],
            Document::from_row,
        )
        .optional()?
    } else {
        fetch(&conn, caller.user.org_id, &body.slug)?
    };
    found.map(Json).ok_or(ApiError::NotFound)
}

/// `GET /api/documents/{slug}`
pub(crate) async fn get(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Document>, ApiError> {
    let conn = state.db();
    fetch(&conn, caller.user.org_id, &slug)?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `DELETE /api/documents/{slug}`
pub(crate) async fn delete(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    let org_id = caller.user.org_id;
    let conn = state.db();
    let deleted = conn.execute(
        "DELETE FROM documents WHERE org_id = ?1 AND slug = ?2",
        params![org_id, slug],
    )?;
    if deleted == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "document.delete",
        &format!("document:{slug}"),
        caller.ip,
    )?;
    Ok(StatusCode::NO_CONTENT)
}
