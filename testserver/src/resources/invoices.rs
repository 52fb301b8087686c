//! Invoices: random UUID ids, scoped to the caller's organisation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ListParams, OrgQuery};
use crate::audit;
use crate::auth::CurrentUser;
use crate::errors::ApiError;
use crate::extract::{ApiQuery, MAX_TEXT, ResourceJson, check_text};
use crate::flaws::Flaw;
use crate::state::{AppState, SharedState, now_rfc3339};

#[derive(Debug, Serialize)]
pub(crate) struct Invoice {
    pub id: String,
    pub number: String,
    pub customer: String,
    pub amount_cents: i64,
    pub currency: String,
    pub memo: String,
    pub status: String,
    pub issued_on: String,
    pub created_at: String,
}

const COLUMNS: &str =
    "id, number, customer, amount_cents, currency, memo, status, issued_on, created_at";
const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY"];
const STATUSES: &[&str] = &["draft", "sent", "paid", "void"];
/// Ten million in the major unit: larger invoices are a typo.
const MAX_AMOUNT_CENTS: i64 = 1_000_000_000;

impl Invoice {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Invoice> {
        Ok(Invoice {
            id: row.get(0)?,
            number: row.get(1)?,
            customer: row.get(2)?,
            amount_cents: row.get(3)?,
            currency: row.get(4)?,
            memo: row.get(5)?,
            status: row.get(6)?,
            issued_on: row.get(7)?,
            created_at: row.get(8)?,
        })
    }
}

const QUERY: OrgQuery<'static> = OrgQuery {
    select: "SELECT id, number, customer, amount_cents, currency, memo, status, issued_on, created_at \
             FROM invoices WHERE org_id = ?1",
    text_columns: &["customer", "memo", "number"],
    order_by: "issued_on DESC, number DESC",
};

/// The caller's invoices, for the API and the HTML page.
pub(crate) fn list_for(
    state: &AppState,
    conn: &Connection,
    org_id: i64,
    params: &ListParams,
) -> Result<Vec<Invoice>, ApiError> {
    QUERY.run(state, conn, org_id, params, Invoice::from_row)
}

#[derive(Serialize)]
pub(crate) struct InvoiceList {
    invoices: Vec<Invoice>,
}

/// `GET /api/invoices?limit=&offset=&q=`
pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<InvoiceList>, ApiError> {
    let conn = state.db();
    let invoices = list_for(&state, &conn, caller.user.org_id, &params)?;
    Ok(Json(InvoiceList { invoices }))
}

/// One invoice for reading; under `idor-read` the organisation is not checked.
fn fetch_readable(
    state: &AppState,
    conn: &Connection,
    org_id: i64,
    id: &Uuid,
) -> rusqlite::Result<Option<Invoice>> {
    if state.flaw(Flaw::IdorRead) {
        return conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM invoices WHERE id = ?1"),
                params![id.to_string()],
                Invoice::from_row,
            )
            .optional();
    }
    fetch(conn, org_id, id)
}

fn fetch(conn: &Connection, org_id: i64, id: &Uuid) -> rusqlite::Result<Option<Invoice>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM invoices WHERE id = ?1 AND org_id = ?2"),
        params![id.to_string(), org_id],
        Invoice::from_row,
    )
    .optional()
}

/// The invoice id of a request. The hardened app validates it; the
/// `stack-trace` flaw `expect`s a UUID, so a bad id panics and the panic page
/// shows the message, the location and the backtrace.
fn invoice_id(state: &AppState, raw: &str) -> Result<Uuid, ApiError> {
    if state.flaw(Flaw::StackTrace) {
        return Ok(Uuid::parse_str(raw).expect("invoice id is a valid UUID"));
    }
    Uuid::parse_str(raw).map_err(|_| ApiError::bad_request("invalid invoice id"))
}

fn validate(customer: &str, amount_cents: i64, currency: &str, memo: &str) -> Result<(), ApiError> {
    check_text("customer", customer, true, 200)?;
    check_text("memo", memo, false, MAX_TEXT)?;
    if !(0..=MAX_AMOUNT_CENTS).contains(&amount_cents) {
        return Err(ApiError::invalid(
            "amount_cents",
            format!("'amount_cents' must be between 0 and {MAX_AMOUNT_CENTS}"),
        ));
    }
    if !CURRENCIES.contains(&currency) {
        return Err(ApiError::invalid(
            "currency",
            format!("'currency' must be one of {}", CURRENCIES.join(", ")),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInvoice {
    customer: String,
    amount_cents: i64,
    currency: String,
    #[serde(default)]
    memo: String,
}

/// `POST /api/invoices`
pub(crate) async fn create(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ResourceJson(body, _): ResourceJson<CreateInvoice>,
) -> Result<Response, ApiError> {
    validate(
        &body.customer,
        body.amount_cents,
        &body.currency,
        &body.memo,
    )?;
    let id = Uuid::new_v4();
    let now = now_rfc3339();
    let org_id = caller.user.org_id;
    let conn = state.db();
    let next: i64 = conn.query_row(
        "SELECT COALESCE(MAX(CAST(SUBSTR(number, 5) AS INTEGER)), 1000) + 1 FROM invoices WHERE org_id = ?1",
        [org_id],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO invoices (id, org_id, number, customer, amount_cents, currency, memo, issued_on, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id.to_string(),
            org_id,
            format!("INV-{next}"),
            body.customer.trim(),
            body.amount_cents,
            body.currency,
            body.memo,
            &now[..10],
            now
        ],
    )?;
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "invoice.create",
        &format!("invoice:{id}"),
        caller.ip,
    )?;
    let invoice = fetch(&conn, org_id, &id)?.ok_or(ApiError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/invoices/{id}"))],
        Json(invoice),
    )
        .into_response())
}

/// `GET /api/invoices/{id}`
pub(crate) async fn get(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<Invoice>, ApiError> {
    let id = invoice_id(&state, &raw)?;
    let conn = state.db();
    fetch_readable(&state, &conn, caller.user.org_id, &id)?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize)]
pub(crate) struct LegacyParams {
    id: Option<String>,
}

/// `GET /api/invoice?id=UUID`: the id-in-query route the first mobile app used.
pub(crate) async fn get_legacy(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiQuery(params): ApiQuery<LegacyParams>,
) -> Result<Json<Invoice>, ApiError> {
    let raw = params
        .id
        .ok_or_else(|| ApiError::bad_request("missing query parameter 'id'"))?;
    let id = invoice_id(&state, &raw)?;
    let conn = state.db();
    fetch_readable(&state, &conn, caller.user.org_id, &id)?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplaceInvoice {
    customer: String,
    amount_cents: i64,
    currency: String,
    #[serde(default)]
    memo: String,
    #[serde(default)]
    status: Option<String>,
}

/// `PUT /api/invoices/{id}`
pub(crate) async fn replace(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
    ResourceJson(body, _): ResourceJson<ReplaceInvoice>,
) -> Result<Json<Invoice>, ApiError> {
    let id = invoice_id(&state, &raw)?;
    validate(
        &body.customer,
        body.amount_cents,
        &body.currency,
        &body.memo,
    )?;
    let status = body.status.unwrap_or_else(|| "draft".to_string());
    if !STATUSES.contains(&status.as_str()) {
        return Err(ApiError::invalid(
            "status",
            format!("'status' must be one of {}", STATUSES.join(", ")),
        ));
    }
    let org_id = caller.user.org_id;
    let conn = state.db();
    let changed = conn.execute(
        "UPDATE invoices SET customer = ?1, amount_cents = ?2, currency = ?3, memo = ?4, status = ?5
         WHERE id = ?6 AND org_id = ?7",
        params![
            body.customer.trim(),
            body.amount_cents,
            body.currency,
            body.memo,
            status,
            id.to_string(),
            org_id
        ],
    )?;
    if changed == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "invoice.update",
        &format!("invoice:{id}"),
        caller.ip,
    )?;
    fetch(&conn, org_id, &id)?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `DELETE /api/invoices/{id}`
pub(crate) async fn delete(
    State(state): State<SharedState>,
    caller: CurrentUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = invoice_id(&state, &raw)?;
    let org_id = caller.user.org_id;
    let conn = state.db();
    let deleted = conn.execute(
        "DELETE FROM invoices WHERE id = ?1 AND org_id = ?2",
        params![id.to_string(), org_id],
    )?;
    if deleted == 0 {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &conn,
        Some(org_id),
        &caller.user.email,
        "invoice.delete",
        &format!("invoice:{id}"),
        caller.ip,
    )?;
    Ok(StatusCode::NO_CONTENT)
}
