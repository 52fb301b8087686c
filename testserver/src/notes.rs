//! Notes: a resource of the web app that exists only as server-rendered pages and
//! HTML forms (no JSON API), in the style of a Rails or Django app: a list page, a
//! "new" form posting form-encoded fields with a hidden `authenticity_token`, a
//! redirect to the created note, and edit and delete forms on the note's page.
//!
//! With `Options::method_override_forms` the edit and delete forms are Rails' and
//! Laravel's: both post to the note's own URL, a hidden `_method` (`patch`, `delete`)
//! saying which they are.
//!
//! Under `idor-form` the note's page and its edit and delete forms look the note up
//! by id alone, so any signed-in user of another organisation reads, changes and
//! deletes it; hardened, a note of another organisation does not exist (404).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;

use crate::auth::PageUser;
use crate::errors::ApiError;
use crate::flaws::Flaw;
use crate::html::{self, Nav};
use crate::state::SharedState;

/// The fields the note forms post.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NoteForm {
    authenticity_token: String,
    heading: String,
    entry: String,
    visibility: String,
    /// The method a Rails or Laravel form means (`patch`, `delete`).
    #[serde(rename = "_method")]
    method: String,
}

struct Note {
    id: i64,
    heading: String,
    entry: String,
    visibility: String,
}

fn read_form(body: &Bytes) -> Result<NoteForm, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|_| ApiError::bad_request("malformed form"))
}

fn page(me: &PageUser, title: &str, main: &str) -> Html<String> {
    let nav = Nav::App {
        user: &me.user,
        csrf: &me.csrf,
    };
    Html(html::page(title, nav, "", main))
}

/// The note `id` as `me` may see it: their organisation's only, unless `idor-form`.
fn find(state: &SharedState, me: &PageUser, id: i64) -> Result<Option<Note>, ApiError> {
    let any_org = state.flaw(Flaw::IdorForm);
    let conn = state.db();
    let note = conn
        .query_row(
            "SELECT id, heading, entry, visibility FROM notes WHERE id = ?1 AND (?2 OR org_id = ?3)",
            params![id, any_org, me.user.org_id],
            |r| {
                Ok(Note {
                    id: r.get(0)?,
                    heading: r.get(1)?,
                    entry: r.get(2)?,
                    visibility: r.get(3)?,
                })
            },
        )
        .optional()?;
    Ok(note)
}

fn validate(form: &NoteForm) -> Result<(), ApiError> {
    if form.heading.trim().is_empty() || form.heading.len() > 200 || form.entry.len() > 10_000 {
        return Err(ApiError::invalid(
            "heading",
            "a note needs a heading of at most 200 characters",
        ));
    }
    if !matches!(form.visibility.as_str(), "team" | "private") {
        return Err(ApiError::invalid(
            "visibility",
            "visibility is team or private",
        ));
    }
    Ok(())
}

/// `GET /app/notes`
pub(crate) async fn list(
    State(state): State<SharedState>,
    me: PageUser,
) -> Result<Html<String>, ApiError> {
    let rows: Vec<(i64, String)> = {
        let conn = state.db();
        let mut stmt =
            conn.prepare("SELECT id, heading FROM notes WHERE org_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([me.user.org_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let items: String = rows
        .iter()
        .map(|(id, heading)| {
            format!(
                "<li><span class=\"heading\">{}</span> · <a href=\"/app/notes/{id}\">open</a></li>\n",
                html::esc(heading)
            )
        })
        .collect();
    let main = format!(
        "<h1>Notes</h1>\n<p><a href=\"/app/notes/new\">Write a note</a></p>\n<ul class=\"notes\">\n{items}</ul>\n"
    );
    Ok(page(&me, "Notes", &main))
}

/// `GET /app/notes/new`
pub(crate) async fn new_form(me: PageUser) -> Html<String> {
    let main = format!(
        "<h1>New note</h1>\n<form method=\"post\" action=\"/app/notes\">\n\
         <input type=\"hidden\" name=\"authenticity_token\" value=\"{}\">\n\
         <label>Heading <input type=\"text\" name=\"heading\" required></label>\n\
         <label>Text <textarea name=\"entry\"></textarea></label>\n\
         <label>Visible to <select name=\"visibility\"><option value=\"team\">my team</option>\
         <option value=\"private\">only me</option></select></label>\n\
         <button type=\"submit\">Save note</button>\n</form>\n",
        html::esc(&me.csrf)
    );
    page(&me, "New note", &main)
}

/// `POST /app/notes`: creates a note and redirects to it.
pub(crate) async fn create(
    State(state): State<SharedState>,
    me: PageUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = read_form(&body)?;
    me.check_form_post(&state, &headers, &form.authenticity_token)?;
    validate(&form)?;
    let id = {
        let conn = state.db();
        conn.execute(
            "INSERT INTO notes (org_id, author_id, heading, entry, visibility) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![me.user.org_id, me.user.id, form.heading, form.entry, form.visibility],
        )?;
        conn.last_insert_rowid()
    };
    Ok(Redirect::to(&format!("/app/notes/{id}")).into_response())
}

/// `GET /app/notes/{id}`: the note, with its edit and delete forms.
pub(crate) async fn show(
    State(state): State<SharedState>,
    me: PageUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let Some(note) = find(&state, &me, id)? else {
        return Err(ApiError::NotFound);
    };
    let token = html::esc(&me.csrf);
    let selected = |v: &str| {
        if note.visibility == v {
            " selected"
        } else {
            ""
        }
    };
    // Rails and Laravel: both forms post to the note itself and say what they mean.
    let (patch, delete_action, delete) = if state.method_override_forms {
        (
            "<input type=\"hidden\" name=\"_method\" value=\"patch\">\n",
            format!("/app/notes/{}", note.id),
            "<input type=\"hidden\" name=\"_method\" value=\"delete\">\n",
        )
    } else {
        ("", format!("/app/notes/{}/delete", note.id), "")
    };
    let main = format!(
        "<h1>{heading}</h1>\n<article>{entry}</article>\n\
         <h2>Edit</h2>\n<form method=\"post\" action=\"/app/notes/{id}\">\n{patch}\
         <input type=\"hidden\" name=\"authenticity_token\" value=\"{token}\">\n\
         <input type=\"text\" name=\"heading\" value=\"{heading}\">\n\
         <textarea name=\"entry\">{entry}</textarea>\n\
         <select name=\"visibility\"><option value=\"team\"{team}>my team</option>\
         <option value=\"private\"{private}>only me</option></select>\n\
         <button type=\"submit\">Save</button>\n</form>\n\
         <form method=\"post\" action=\"{delete_action}\">\n{delete}\
         <input type=\"hidden\" name=\"authenticity_token\" value=\"{token}\">\n\
         <button type=\"submit\">Delete this note</button>\n</form>\n",
        id = note.id,
        heading = html::esc(&note.heading),
        entry = html::esc(&note.entry),
        team = selected("team"),
        private = selected("private"),
    );
    Ok(page(&me, "Note", &main).into_response())
}

/// `POST /app/notes/{id}`: saves the edit form; with `method_override_forms`, the
/// delete form's `_method=delete` deletes instead.
pub(crate) async fn update(
    State(state): State<SharedState>,
    me: PageUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = read_form(&body)?;
    if state.method_override_forms && form.method.eq_ignore_ascii_case("delete") {
        return remove(&state, &me, id, &headers, &form);
    }
    me.check_form_post(&state, &headers, &form.authenticity_token)?;
    validate(&form)?;
    if find(&state, &me, id)?.is_none() {
        return Err(ApiError::NotFound);
    }
    state.db().execute(
        "UPDATE notes SET heading = ?1, entry = ?2, visibility = ?3 WHERE id = ?4",
        params![form.heading, form.entry, form.visibility, id],
    )?;
    Ok(Redirect::to(&format!("/app/notes/{id}")).into_response())
}

/// `POST /app/notes/{id}/delete`
pub(crate) async fn delete(
    State(state): State<SharedState>,
    me: PageUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = read_form(&body)?;
    remove(&state, &me, id, &headers, &form)
}

fn remove(
    state: &SharedState,
    me: &PageUser,
    id: i64,
    headers: &HeaderMap,
    form: &NoteForm,
) -> Result<Response, ApiError> {
    me.check_form_post(state, headers, &form.authenticity_token)?;
    if find(state, me, id)?.is_none() {
        return Err(ApiError::NotFound);
    }
    state
        .db()
        .execute("DELETE FROM notes WHERE id = ?1", [id])?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/app/notes")]).into_response())
}
