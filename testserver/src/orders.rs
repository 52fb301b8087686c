//! Orders (a multi-step write: the order, then one row per line item, in one
//! transaction) and single-use coupons (an atomic check-and-set).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::auth::{AdminUser, CurrentUser};
use crate::errors::ApiError;
use crate::extract::{ApiJson, check_text};
use crate::flaws::Flaw;
use crate::state::{AppState, SharedState, now_rfc3339};

const MAX_ITEMS: usize = 50;
const MAX_QUANTITY: i64 = 1_000;

#[derive(Debug, Serialize)]
pub(crate) struct OrderItem {
    sku: String,
    name: String,
    quantity: i64,
    unit_price_cents: i64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Order {
    id: i64,
    status: String,
    total_cents: i64,
    currency: String,
    /// The customer's own reference for the order (a PO number, a note).
    note: Option<String>,
    created_at: String,
    items: Vec<OrderItem>,
}

fn fetch(conn: &Connection, org_id: i64, id: i64) -> rusqlite::Result<Option<Order>> {
    let head = conn
        .query_row(
            "SELECT id, status, total_cents, currency, note, created_at FROM orders WHERE id = ?1 AND org_id = ?2",
            params![id, org_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    let Some((id, status, total_cents, currency, note, created_at)) = head else {
        return Ok(None);
    };
    let mut stmt = conn.prepare(
        "SELECT i.sku, p.name, i.quantity, i.unit_price_cents
         FROM order_items i JOIN products p ON p.sku = i.sku
         WHERE i.order_id = ?1 ORDER BY i.id",
    )?;
    let items = stmt
        .query_map([id], |r| {
            Ok(OrderItem {
                sku: r.get(0)?,
                name: r.get(1)?,
                quantity: r.get(2)?,
                unit_price_cents: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(Order {
        id,
        status,
        total_cents,
        currency,
        note,
        created_at,
        items,
    }))
}

#[derive(Serialize)]
pub(crate) struct OrderList {
    orders: Vec<Order>,
}

/// `GET /api/orders`
pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: CurrentUser,
) -> Result<Json<OrderList>, ApiError> {
    let conn = state.db();
    let ids = conn
        .prepare("SELECT id FROM orders WHERE org_id = ?1 ORDER BY id DESC LIMIT 100")?
        .query_map([caller.user.org_id], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut orders = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(order) = fetch(&conn, caller.user.org_id, id)? {
            orders.push(order);
        }
    }
    Ok(Json(OrderList { orders }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewItem {
    sku: String,
    quantity: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOrder {
    items: Vec<NewItem>,
    #[serde(default)]
    note: Option<String>,
}

/// Insert the order, then its items one by one; the first bad item stops the
/// write with an error. Callers run this inside a transaction.
fn place(conn: &Connection, caller: &CurrentUser, order: &NewOrder) -> Result<i64, ApiError> {
    let items = &order.items;
    conn.execute(
        "INSERT INTO orders (org_id, user_id, status, currency, note, created_at) VALUES (?1, ?2, 'placed', 'USD', ?3, ?4)",
        params![caller.user.org_id, caller.user.id, order.note, now_rfc3339()],
    )?;
    let order_id = conn.last_insert_rowid();
    let mut total: i64 = 0;
    for (n, item) in items.iter().enumerate() {
        let price: Option<i64> = conn
            .query_row(
                "SELECT price_cents FROM products WHERE sku = ?1",
                [&item.sku],
                |r| r.get(0),
            )
            .optional()?;
        let Some(price) = price else {
            return Err(ApiError::invalid(
                &format!("items[{n}].sku"),
                format!("unknown sku in items[{n}]"),
            ));
        };
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(ApiError::invalid(
                &format!("items[{n}].quantity"),
                format!("'items[{n}].quantity' must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        conn.execute(
            "INSERT INTO order_items (order_id, sku, quantity, unit_price_cents) VALUES (?1, ?2, ?3, ?4)",
            params![order_id, item.sku, item.quantity, price],
        )?;
        total += price * item.quantity;
    }
    conn.execute(
        "UPDATE orders SET total_cents = ?1 WHERE id = ?2",
        params![total, order_id],
    )?;
    Ok(order_id)
}

/// `POST /api/orders`: all items or nothing.
pub(crate) async fn create(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiJson(body): ApiJson<NewOrder>,
) -> Result<Response, ApiError> {
    if body.items.is_empty() || body.items.len() > MAX_ITEMS {
        return Err(ApiError::invalid(
            "items",
            format!("'items' must hold 1 to {MAX_ITEMS} entries"),
        ));
    }
    for (n, item) in body.items.iter().enumerate() {
        check_text(&format!("items[{n}].sku"), &item.sku, true, 64)?;
    }
    if let Some(note) = &body.note {
        check_text("note", note, false, 200)?;
    }
    let org_id = caller.user.org_id;
    let mut conn = state.db();
    let order_id = if state.flaw(Flaw::NonAtomicOrder) {
        // The bug: each statement commits on its own, so an error leaves what came before.
        let order_id = place(&conn, &caller, &body)?;
        audit::record(
            &conn,
            Some(org_id),
            &caller.user.email,
            "order.place",
            &format!("order:{order_id}"),
            caller.ip,
        )?;
        order_id
    } else {
        let tx = conn.transaction()?;
        // Dropping `tx` on the error path rolls the order and its items back.
        let order_id = place(&tx, &caller, &body)?;
        audit::record(
            &tx,
            Some(org_id),
            &caller.user.email,
            "order.place",
            &format!("order:{order_id}"),
            caller.ip,
        )?;
        tx.commit()?;
        order_id
    };
    let order = fetch(&conn, org_id, order_id)?.ok_or(ApiError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/orders/{order_id}"))],
        Json(order),
    )
        .into_response())
}

fn order_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::bad_request("invalid order id"))
}

/// `GET /api/orders/{id}`
pub(crate) async fn get(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<Order>, ApiError> {
    let id = order_id(&raw)?;
    let conn = state.db();
    fetch(&conn, caller.user.org_id, id)?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `DELETE /api/orders/{id}`: cancel and remove an order with its items.
pub(crate) async fn delete(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = order_id(&raw)?;
    let org_id = caller.user.org_id;
    let conn = state.db();
    let deleted = conn.execute(
        "DELETE FROM orders WHERE id = ?1 AND org_id = ?2",
        params![id, org_id],
    )?;
    if deleted == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "order.cancel",
        &format!("order:{id}"),
        caller.ip,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
pub(crate) struct Coupon {
    code: String,
    percent_off: i64,
    created_at: String,
    redeemed_at: Option<String>,
}

fn coupon(conn: &Connection, org_id: i64, code: &str) -> rusqlite::Result<Option<Coupon>> {
    conn.query_row(
        "SELECT code, percent_off, created_at, redeemed_at FROM coupons WHERE code = ?1 AND org_id = ?2",
        params![code, org_id],
        |r| {
            Ok(Coupon {
                code: r.get(0)?,
                percent_off: r.get(1)?,
                created_at: r.get(2)?,
                redeemed_at: r.get(3)?,
            })
        },
    )
    .optional()
}

#[derive(Serialize)]
pub(crate) struct CouponList {
    coupons: Vec<Coupon>,
}

/// `GET /api/coupons`: the organisation's coupons.
pub(crate) async fn list_coupons(
    State(state): State<SharedState>,
    caller: CurrentUser,
) -> Result<Json<CouponList>, ApiError> {
    let conn = state.db();
    let mut stmt = conn.prepare(
        "SELECT code, percent_off, created_at, redeemed_at FROM coupons WHERE org_id = ?1 ORDER BY created_at, code",
    )?;
    let coupons = stmt
        .query_map([caller.user.org_id], |r| {
            Ok(Coupon {
                code: r.get(0)?,
                percent_off: r.get(1)?,
                created_at: r.get(2)?,
                redeemed_at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Json(CouponList { coupons }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCoupon {
    code: String,
    percent_off: i64,
}

/// `POST /api/coupons`: an admin issues a new single-use coupon.
pub(crate) async fn create_coupon(
    State(state): State<SharedState>,
    AdminUser(caller): AdminUser,
    ApiJson(body): ApiJson<NewCoupon>,
) -> Result<Response, ApiError> {
    let code = body.code.trim().to_uppercase();
    check_text("code", &code, true, 40)?;
    if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ApiError::invalid(
            "code",
            "'code' may only hold letters, digits and dashes",
        ));
    }
    if !(1..=100).contains(&body.percent_off) {
        return Err(ApiError::invalid(
            "percent_off",
            "'percent_off' must be between 1 and 100",
        ));
    }
    let org_id = caller.user.org_id;
    let conn = state.db();
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO coupons (code, org_id, percent_off, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![code, org_id, body.percent_off, now_rfc3339()],
    )?;
    if inserted == 0 {
        return Err(ApiError::Conflict(
            "a coupon with this code already exists".to_string(),
        ));
    }
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "coupon.create",
        &format!("coupon:{code}"),
        caller.ip,
    )?;
    let created = coupon(&conn, org_id, &code)?.ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Redeem {
    code: String,
}

/// `POST /api/coupons/redeem`: succeeds once per coupon; later attempts get 409.
pub(crate) async fn redeem(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiJson(body): ApiJson<Redeem>,
) -> Result<Json<Coupon>, ApiError> {
    check_text("code", &body.code, true, 40)?;
    let code = body.code.trim().to_uppercase();
    let org_id = caller.user.org_id;
    if state.flaw(Flaw::DoubleRedeem) {
        return redeem_check_then_set(&state, &caller, &code).await;
    }
    let conn = state.db();
    // Check and set in one statement: only one caller can flip `redeemed_at`.
    let claimed = conn.execute(
        "UPDATE coupons SET redeemed_at = ?1, redeemed_by = ?2
         WHERE code = ?3 AND org_id = ?4 AND redeemed_at IS NULL",
        params![now_rfc3339(), caller.user.id, code, org_id],
    )?;
    let current = coupon(&conn, org_id, &code)?.ok_or(ApiError::NotFound)?;
    if claimed == 0 {
        return Err(ApiError::Conflict("coupon already redeemed".to_string()));
    }
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "coupon.redeem",
        &format!("coupon:{code}"),
        caller.ip,
    )?;
    Ok(Json(current))
}

/// The `double-redeem` flaw: read, do something slow (a payment provider call in a
/// real app), then write unconditionally. Concurrent requests all pass the check.
async fn redeem_check_then_set(
    state: &AppState,
    caller: &CurrentUser,
    code: &str,
) -> Result<Json<Coupon>, ApiError> {
    let org_id = caller.user.org_id;
    let unredeemed = {
        let conn = state.db();
        let current = coupon(&conn, org_id, code)?.ok_or(ApiError::NotFound)?;
        current.redeemed_at.is_none()
    };
    if !unredeemed {
        return Err(ApiError::Conflict("coupon already redeemed".to_string()));
    }
    // Wide enough that a scan's simultaneous attempts overlap even when its other
    // families hold most of its connections (50 ms missed one demo run in ten).
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let conn = state.db();
    conn.execute(
        "UPDATE coupons SET redeemed_at = ?1, redeemed_by = ?2 WHERE code = ?3 AND org_id = ?4",
        params![now_rfc3339(), caller.user.id, code, org_id],
    )?;
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "coupon.redeem",
        &format!("coupon:{code}"),
        caller.ip,
    )?;
    let current = coupon(&conn, org_id, code)?.ok_or(ApiError::NotFound)?;
    Ok(Json(current))
}
