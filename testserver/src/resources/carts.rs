//! Shopping carts: one per user, created at its first API login. The cart's id is
//! handed out only in the login answer (`cart_id`), as single-page shops do; no list
//! or page shows it, so a scanner must take it from there.

use axum::Json;
use axum::extract::{Path, State};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::errors::ApiError;
use crate::extract::ApiJson;
use crate::flaws::Flaw;
use crate::state::{SharedState, now_rfc3339};

/// One line of a cart.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Line {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Debug, Serialize)]
pub(crate) struct Cart {
    pub id: i64,
    pub currency: &'static str,
    pub items: Vec<Line>,
    pub updated_at: String,
}

/// A cart as a client sends it back (`PUT`): its lines; the id must be the path's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CartUpdate {
    pub id: Option<i64>,
    /// Read-only fields a client may send back as it read them; ignored.
    #[serde(rename = "currency")]
    _currency: Option<String>,
    pub items: Vec<Line>,
    #[serde(rename = "updated_at")]
    _updated_at: Option<String>,
}

/// The user's cart id, created with one starter line at the first login.
pub(crate) fn cart_of(conn: &Connection, user_id: i64) -> rusqlite::Result<i64> {
    if let Some(id) = conn
        .query_row("SELECT id FROM carts WHERE user_id = ?1", [user_id], |r| {
            r.get(0)
        })
        .optional()?
    {
        return Ok(id);
    }
    let starter = r#"[{"sku":"SEAT-STD","quantity":1}]"#;
    conn.execute(
        "INSERT INTO carts (user_id, items, updated_at) VALUES (?1, ?2, ?3)",
        params![user_id, starter, now_rfc3339()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The cart `id` as `caller` may see it: its own only, unless `idor-cart` is on.
fn readable(
    state: &SharedState,
    conn: &Connection,
    caller: &CurrentUser,
    id: i64,
) -> Result<Cart, ApiError> {
    let row: Option<(i64, String, String)> = conn
        .query_row(
            "SELECT user_id, items, updated_at FROM carts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((owner, items, updated_at)) = row else {
        return Err(ApiError::NotFound);
    };
    if owner != caller.user.id && !state.flaw(Flaw::IdorCart) {
        return Err(ApiError::NotFound);
    }
    Ok(Cart {
        id,
        currency: "EUR",
        items: serde_json::from_str(&items).unwrap_or_default(),
        updated_at,
    })
}

/// `GET /api/carts/{id}`
pub(crate) async fn get(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Cart>, ApiError> {
    let conn = state.db();
    readable(&state, &conn, &caller, id).map(Json)
}

/// `PUT /api/carts/{id}`: replaces the lines.
pub(crate) async fn replace(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CartUpdate>,
) -> Result<Json<Cart>, ApiError> {
    if body.id.is_some_and(|b| b != id) {
        return Err(ApiError::bad_request("the body's id is not the path's"));
    }
    if body.items.len() > 50
        || body
            .items
            .iter()
            .any(|l| l.quantity > 99 || l.sku.len() > 40)
    {
        return Err(ApiError::bad_request("too many items or an invalid line"));
    }
    let conn = state.db();
    readable(&state, &conn, &caller, id)?;
    let items =
        serde_json::to_string(&body.items).map_err(|e| ApiError::bad_request(e.to_string()))?;
    conn.execute(
        "UPDATE carts SET items = ?1, updated_at = ?2 WHERE id = ?3",
        params![items, now_rfc3339(), id],
    )?;
    readable(&state, &conn, &caller, id).map(Json)
}
