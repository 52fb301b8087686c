//! The audit trail: who did what to which object, when, from where.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::auth::AdminUser;
use crate::errors::ApiError;
use crate::extract::ApiQuery;
use crate::state::{SharedState, now_rfc3339};

/// Record one event. `org_id` is `None` for events no tenant owns (a failed
/// login for an unknown email).
pub(crate) fn record(
    conn: &Connection,
    org_id: Option<i64>,
    actor: &str,
    action: &str,
    target: &str,
    ip: IpAddr,
) -> rusqlite::Result<()> {
    // The app's own setting; the `no-audit-trail` flaw switches it off.
    let enabled: Option<bool> = conn
        .query_row(
            "SELECT value = '1' FROM app_settings WHERE key = 'audit_enabled'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if enabled == Some(false) {
        return Ok(());
    }
    let actor: String = actor.chars().take(200).collect();
    conn.execute(
        "INSERT INTO audit_events (org_id, actor, action, target, at, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![org_id, actor, action, target, now_rfc3339(), ip.to_string()],
    )?;
    Ok(())
}

#[derive(Serialize)]
pub(crate) struct Event {
    id: i64,
    actor: String,
    action: String,
    target: String,
    at: String,
    ip: String,
}

#[derive(Serialize)]
pub(crate) struct Feed {
    events: Vec<Event>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedQuery {
    limit: Option<u32>,
    action: Option<String>,
}

/// `GET /api/audit`: the caller's organisation's events, newest first (admins only).
pub(crate) async fn feed(
    State(state): State<SharedState>,
    AdminUser(caller): AdminUser,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Json<Feed>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let conn = state.db();
    let mut stmt = conn.prepare(
        "SELECT id, actor, action, target, at, ip FROM audit_events
         WHERE org_id = ?1 AND (?2 IS NULL OR action = ?2)
         ORDER BY id DESC LIMIT ?3",
    )?;
    let events = stmt
        .query_map(params![caller.user.org_id, q.action, limit], |row| {
            Ok(Event {
                id: row.get(0)?,
                actor: row.get(1)?,
                action: row.get(2)?,
                target: row.get(3)?,
                at: row.get(4)?,
                ip: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Json(Feed { events }))
}
