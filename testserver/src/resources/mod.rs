//! Tenant-owned resources: projects, invoices and documents. Every query here
//! is scoped by the caller's `org_id`.

pub(crate) mod carts;
pub(crate) mod documents;
pub(crate) mod invoices;
pub(crate) mod projects;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Row};
use serde::Deserialize;

use crate::errors::{ApiError, Cause};
use crate::flaws::Flaw;
use crate::state::AppState;

/// `?limit=&offset=&q=` of the list endpoints.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub q: Option<String>,
}

/// Longest accepted search text.
const MAX_QUERY: usize = 200;
/// Page size when none is asked for, and the most a page may hold.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 100;

/// A query over one tenant's rows, with optional free-text search.
pub(crate) struct OrgQuery<'a> {
    /// `SELECT ... FROM table WHERE org_id = ?1`; more conditions are appended.
    pub select: &'a str,
    /// Columns the free text is matched against.
    pub text_columns: &'a [&'a str],
    pub order_by: &'a str,
}

impl OrgQuery<'_> {
    /// Run the query for `org_id`. The search text goes in as a bound
    /// parameter, except under the `sql-error` flaw, where it is pasted into
    /// the SQL and a failing statement is reported with its text.
    pub(crate) fn run<T>(
        &self,
        state: &AppState,
        conn: &Connection,
        org_id: i64,
        params: &ListParams,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, ApiError> {
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let offset = params.offset.unwrap_or(0);
        let mut sql = self.select.to_string();
        if state.flaw(Flaw::ListAllTenants) {
            // The bug: the tenant condition is gone (the parameter stays bound, unused).
            sql = sql.replace("WHERE org_id = ?1", "WHERE ?1 IS NOT NULL");
        }
        let mut values: Vec<SqlValue> = vec![SqlValue::Integer(org_id)];
        let text = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let concatenated = state.flaw(Flaw::SqlError);
        if let Some(q) = text {
            if q.chars().count() > MAX_QUERY {
                return Err(ApiError::invalid(
                    "q",
                    format!("'q' is too long (at most {MAX_QUERY} characters)"),
                ));
            }
            let conditions: Vec<String> = if concatenated {
                self.text_columns
                    .iter()
                    .map(|c| format!("{c} LIKE '%{q}%'"))
                    .collect()
            } else {
                values.push(SqlValue::Text(like_pattern(q)));
                self.text_columns
                    .iter()
                    .map(|c| format!("{c} LIKE ?2 ESCAPE '\\'"))
                    .collect()
            };
            sql.push_str(&format!(" AND ({})", conditions.join(" OR ")));
        }
        let n = values.len();
        sql.push_str(&format!(
            " ORDER BY {} LIMIT ?{} OFFSET ?{}",
            self.order_by,
            n + 1,
            n + 2
        ));
        values.push(SqlValue::Integer(i64::from(limit)));
        values.push(SqlValue::Integer(i64::from(offset)));

        let result = (|| {
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(values.iter()), map)?;
            rows.collect::<rusqlite::Result<Vec<T>>>()
        })();
        match result {
            Ok(rows) => Ok(rows),
            Err(e) if concatenated => Err(ApiError::Sql {
                cause: Cause::of("rusqlite::Error", &e),
                query: sql,
                with_trace: false,
            }),
            Err(e) => Err(e.into()),
        }
    }
}

/// `%text%` with LIKE's wildcards escaped, for `LIKE ? ESCAPE '\'`.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
