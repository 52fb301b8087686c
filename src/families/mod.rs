//! The stateful probe families, grouped by the checklist item they score.
//!
//! | item | module |
//! |---|---|
//! | 1 tenant isolation | [`tenant`] |
//! | 2 authentication | [`auth`] (sessions, logout, enumeration), [`auth::jwt`], [`auth::cookies`] |
//! | 3 authorization | [`roles`] |
//! | 4 rate limiting | [`ratelimit`] |
//! | 5 server-side filtering | [`filtering`] |
//! | 6 security headers | [`headers`], [`headers::cors`] |
//! | 7 secrets | [`secrets::bundle`] (and the catalog's `secrets` signatures) |
//! | 8 input validation | [`input`], [`input::mass`] |
//! | 9 transaction integrity | [`transactions`] |
//! | 10 audit logging | [`audit`] |
//! | 11 error handling | [`errors`] (and the catalog's `errors` signatures) |
//! | 1, 2, 5, 7 on a backend-as-a-service | [`baas`] (Supabase, Firebase) |
//!
//! Each family declares a `DESCRIPTOR` (see [`crate::engine::Descriptor`]).

pub mod audit;
pub mod auth;
pub mod baas;
pub mod errors;
pub mod filtering;
pub mod headers;
pub mod input;
pub mod ratelimit;
pub mod roles;
pub mod secrets;
pub mod similarity;
pub mod tenant;
pub mod transactions;

/// `url` with the query parameter `replaced` dropped and `name=value` appended (the
/// other parameters kept in order).
pub(crate) fn with_query_param(
    url: &url::Url,
    replaced: &str,
    name: &str,
    value: &str,
) -> url::Url {
    let mut u = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != replaced)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
    u
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_query_param_is_replaced_and_the_others_kept() {
        let u = url::Url::parse("http://127.0.0.1/api/items?page=2&q=x&sort=name").unwrap();
        let same = super::with_query_param(&u, "q", "q", "'\"");
        assert_eq!(same.query(), Some("page=2&sort=name&q=%27%22"));
        let renamed = super::with_query_param(&u, "q", "q[]", "1");
        assert_eq!(renamed.query(), Some("page=2&sort=name&q%5B%5D=1"));
    }
}
