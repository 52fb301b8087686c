//! `--size N`: generated resource families for the scaling benchmark.
//!
//! With size N the app serves N/2 families `r0`, `r1`, ... each with two endpoints,
//! `GET /api/t/r{k}/items` (the caller's organisation's items of that family) and
//! `GET /api/t/r{k}/items/{id}`, all listed in the OpenAPI document, so a scanner
//! discovers about N more (method, pattern) pairs. Items are computed, not stored:
//! every organisation owns [`ITEMS_PER_ORG`] items per family, and an id encodes its
//! family and owner, so reads stay tenant-scoped (another organisation's id is a 404).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::db::ORGS;
use crate::errors::ApiError;
use crate::state::SharedState;

/// Items each organisation owns in each family.
pub(crate) const ITEMS_PER_ORG: i64 = 2;

/// The number of families for a size (two endpoints each).
pub(crate) fn families(size: usize) -> usize {
    size.div_ceil(2)
}

/// `r17` -> 17, if the family exists at this size.
fn family_index(state: &SharedState, family: &str) -> Option<i64> {
    let k: usize = family.strip_prefix('r')?.parse().ok()?;
    (k < families(state.size) && family == format!("r{k}")).then_some(k as i64)
}

/// The id of item `j` of organisation `org_id` in family `k`.
fn item_id(k: i64, org_id: i64, j: i64) -> i64 {
    let orgs = ORGS.len() as i64;
    1000 + (k * orgs + (org_id - 1)) * ITEMS_PER_ORG + j
}

/// (family, organisation) an id belongs to, if any.
fn owner_of(id: i64) -> Option<(i64, i64)> {
    if id < 1000 {
        return None; // Below the first id (and negative ids, which would decode as family 0).
    }
    let n = id - 1000;
    let orgs = ORGS.len() as i64;
    let slot = n / ITEMS_PER_ORG;
    Some((slot / orgs, slot % orgs + 1))
}

fn item(k: i64, org_id: i64, j: i64) -> Value {
    let slug = ORGS
        .iter()
        .find(|o| o.id == org_id)
        .map_or("unknown", |o| o.slug);
    json!({
        "id": item_id(k, org_id, j),
        "family": format!("r{k}"),
        "name": format!("{slug} r{k} item {j}"),
        "status": "active",
    })
}

/// `GET /api/t/{family}/items`
pub(crate) async fn list(
    State(state): State<SharedState>,
    user: CurrentUser,
    Path(family): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let k = family_index(&state, &family).ok_or(ApiError::NotFound)?;
    let org = user.user.org_id;
    let items: Vec<Value> = (0..ITEMS_PER_ORG).map(|j| item(k, org, j)).collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/t/{family}/items/{id}`
pub(crate) async fn get(
    State(state): State<SharedState>,
    user: CurrentUser,
    Path((family, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let k = family_index(&state, &family).ok_or(ApiError::NotFound)?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    match owner_of(id) {
        Some((fk, org)) if fk == k && org == user.user.org_id => {
            Ok(Json(item(k, org, (id - 1000) % ITEMS_PER_ORG)))
        }
        _ => Err(ApiError::NotFound),
    }
}

/// The OpenAPI paths of the generated families.
pub(crate) fn openapi_paths(size: usize) -> serde_json::Map<String, Value> {
    let mut paths = serde_json::Map::new();
    let id_param =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    for k in 0..families(size) {
        paths.insert(
            format!("/api/t/r{k}/items"),
            json!({ "get": { "summary": format!("List family r{k} items"), "tags": ["generated"],
                             "responses": { "200": { "description": "Success" } } } }),
        );
        paths.insert(
            format!("/api/t/r{k}/items/{{id}}"),
            json!({ "get": { "summary": format!("Get a family r{k} item"), "tags": ["generated"],
                             "parameters": [id_param.clone()],
                             "responses": { "200": { "description": "Success" } } } }),
        );
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_encode_family_and_owner() {
        for k in [0, 1, 17, 4999] {
            for org in 1..=ORGS.len() as i64 {
                for j in 0..ITEMS_PER_ORG {
                    assert_eq!(owner_of(item_id(k, org, j)), Some((k, org)));
                }
            }
        }
        assert_eq!(owner_of(999), None);
        assert_eq!(families(1000), 500);
        assert_eq!(openapi_paths(10).len(), 10);
    }
}
