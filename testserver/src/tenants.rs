//! Organisations and users: lookups shared by auth and admin, and `/api/me`.

use axum::Json;
use axum::extract::State;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::auth::CurrentUser;
use crate::errors::{ApiError, Cause};
use crate::extract::{ApiJson, check_text};
use crate::state::SharedState;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Organization {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

/// A user as the app sees it; the password hash is loaded separately and
/// never leaves the auth module.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    /// The platform operator's support staff (never set by the hardened app).
    pub staff: bool,
    #[serde(skip)]
    pub org_id: i64,
    pub created_at: String,
}

impl User {
    pub(crate) fn is_admin(&self) -> bool {
        self.role == "admin"
    }

    fn from_row(row: &Row<'_>) -> rusqlite::Result<User> {
        Ok(User {
            id: row.get("id")?,
            email: row.get("email")?,
            name: row.get("name")?,
            role: row.get("role")?,
            staff: row.get("staff")?,
            org_id: row.get("org_id")?,
            created_at: row.get("created_at")?,
        })
    }
}

const USER_COLUMNS: &str = "id, email, name, role, staff, org_id, created_at";

pub(crate) fn user_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<User>> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        [id],
        User::from_row,
    )
    .optional()
}

/// A user and their password hash, by email (case-insensitive).
pub(crate) fn user_with_hash(
    conn: &Connection,
    email: &str,
) -> rusqlite::Result<Option<(User, String)>> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?1"),
        [email],
        |row| Ok((User::from_row(row)?, row.get("password_hash")?)),
    )
    .optional()
}

/// The `login-sql-error` flaw's lookup: the email pasted into the statement, as a
/// hand-rolled query builder would. A statement the email breaks fails with its text
/// and, as a handler forwarding the whole error would show it, the backtrace.
pub(crate) fn user_with_hash_concatenated(
    conn: &Connection,
    email: &str,
) -> Result<Option<(User, String)>, ApiError> {
    let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = '{email}'");
    conn.query_row(&sql, [], |row| {
        Ok((User::from_row(row)?, row.get("password_hash")?))
    })
    .optional()
    .map_err(|e| ApiError::Sql {
        cause: Cause::of("rusqlite::Error", &e),
        query: sql.clone(),
        with_trace: true,
    })
}

pub(crate) fn users_of_org(conn: &Connection, org_id: i64) -> rusqlite::Result<Vec<User>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 ORDER BY id"
    ))?;
    let users = stmt
        .query_map([org_id], User::from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(users)
}

pub(crate) fn organization(conn: &Connection, id: i64) -> rusqlite::Result<Organization> {
    conn.query_row(
        "SELECT id, name, slug FROM organizations WHERE id = ?1",
        [id],
        |row| {
            Ok(Organization {
                id: row.get(0)?,
                name: row.get(1)?,
                slug: row.get(2)?,
            })
        },
    )
}

/// A URL slug: lowercase ASCII letters and digits joined by single dashes.
pub(crate) fn slugify(text: &str, max: usize) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= max {
            break;
        }
    }
    slug.trim_matches('-').to_string()
}

/// Create an organisation with a unique slug and its first (admin) user.
pub(crate) fn create_org_with_admin(
    conn: &mut Connection,
    org_name: &str,
    user_name: &str,
    email: &str,
    password_hash: &str,
    now: &str,
) -> rusqlite::Result<Option<(Organization, User)>> {
    let tx = conn.transaction()?;
    let taken: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM users WHERE email = ?1)",
        [email],
        |r| r.get(0),
    )?;
    if taken {
        return Ok(None);
    }
    let base = match slugify(org_name, 40) {
        s if s.is_empty() => "org".to_string(),
        s => s,
    };
    let mut slug = base.clone();
    let mut n = 2;
    while tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM organizations WHERE slug = ?1)",
        [&slug],
        |r| r.get::<_, bool>(0),
    )? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    tx.execute(
        "INSERT INTO organizations (name, slug, plan, created_at) VALUES (?1, ?2, 'trial', ?3)",
        params![org_name, slug, now],
    )?;
    let org_id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO users (org_id, email, name, role, password_hash, created_at)
         VALUES (?1, ?2, ?3, 'admin', ?4, ?5)",
        params![org_id, email, user_name, password_hash, now],
    )?;
    let user_id = tx.last_insert_rowid();
    let org = organization(&tx, org_id)?;
    let user = user_by_id(&tx, user_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    tx.commit()?;
    Ok(Some((org, user)))
}

#[derive(Serialize)]
pub(crate) struct Me {
    id: i64,
    email: String,
    name: String,
    role: String,
    staff: bool,
    organization: Organization,
    /// Only under the `sensitive-fields` flaw: the stored hash, which no UI shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
}

pub(crate) fn me_of(conn: &Connection, user: &User) -> Result<Me, ApiError> {
    Ok(Me {
        id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role.clone(),
        staff: user.staff,
        organization: organization(conn, user.org_id)?,
        password_hash: None,
    })
}

/// `GET /api/me`
pub(crate) async fn me(
    State(state): State<SharedState>,
    caller: CurrentUser,
) -> Result<Json<Me>, ApiError> {
    let conn = state.db();
    let mut me = me_of(&conn, &caller.user)?;
    if state.flaw(crate::flaws::Flaw::SensitiveFields) {
        // The bug: the whole user row is serialised, hash included.
        me.password_hash = Some(conn.query_row(
            "SELECT password_hash FROM users WHERE id = ?1",
            [caller.user.id],
            |r| r.get(0),
        )?);
    }
    Ok(Json(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateMe {
    name: String,
}

/// `PATCH /api/me`: users may change their display name, nothing else.
pub(crate) async fn update_me(
    State(state): State<SharedState>,
    caller: CurrentUser,
    ApiJson(body): ApiJson<UpdateMe>,
) -> Result<Json<Me>, ApiError> {
    check_text("name", &body.name, true, 200)?;
    let conn = state.db();
    conn.execute(
        "UPDATE users SET name = ?1 WHERE id = ?2",
        params![body.name.trim(), caller.user.id],
    )?;
    audit::record(
        &conn,
        Some(caller.user.org_id),
        &caller.user.email,
        "user.update_profile",
        &format!("user:{}", caller.user.id),
        caller.ip,
    )?;
    let user = user_by_id(&conn, caller.user.id)?.ok_or(ApiError::NotFound)?;
    Ok(Json(me_of(&conn, &user)?))
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Q3 Roadmap", 60), "q3-roadmap");
        assert_eq!(
            slugify("  Incident review — 2024/06/12 ", 60),
            "incident-review-2024-06-12"
        );
        assert_eq!(slugify("!!!", 60), "");
        assert_eq!(slugify("Ünïcode Tïtle", 60), "n-code-t-tle");
    }
}
