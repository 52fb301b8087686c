//! Probes: declarative ones loaded from `probes/`, stateful ones in Rust.
//!
//! Every probe reports a [`ProbeRun`] per checklist item it scores. A finding is not
//! an error: a probe that errors is recorded as [`RunState::Errored`] and the scan
//! goes on.

pub mod audit_trail;
pub mod auth_checks;
pub mod bundle;
pub mod catalog;
pub mod cookies;
pub mod cors;
pub mod declarative;
pub mod declarative_run;
pub mod error_leak;
pub mod filtering;
pub mod headers;
pub mod input_validation;
pub mod jwt;
pub mod login_attempt;
pub mod mass_assignment;
pub mod owned;
pub mod passive;
pub mod pattern;
pub mod rate_limit;
pub mod roles;
pub mod safe_corpus;
pub mod secret;
pub mod signatures;
pub mod similarity;
pub mod tenant_replay;
pub mod transactions;

use std::sync::Arc;

use crate::auth::Identities;
use crate::config::ScanConfig;
use crate::discover::Inventory;
use crate::http::HttpLayer;
use crate::model::Item;
pub use crate::model::{ProbeRun, RunState};
use futures_util::future::BoxFuture;

pub use catalog::ProbeCatalog;

/// What every probe may use: the one HTTP layer, the logged-in identities, the
/// inventory discovery built, the config and the catalog.
#[derive(Clone)]
pub struct Context {
    pub http: HttpLayer,
    pub identities: Arc<Identities>,
    pub inventory: Arc<Inventory>,
    pub config: Arc<ScanConfig>,
    pub catalog: Arc<ProbeCatalog>,
    /// The objects the scanner created; the only ones a probe may change or delete.
    pub owned: Arc<owned::OwnedObjects>,
}

/// A probe family. `run` returns one [`ProbeRun`] per item it scored; an `Err` is
/// recorded as an errored run for each of `items()` and the scan goes on.
pub trait Probe: Send + Sync {
    /// The family name, the first part of its probe ids (`errors`, `tenant`...).
    fn family(&self) -> &'static str;
    /// The items it scores (used to record its failure when it errors).
    fn items(&self) -> &'static [Item];
    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>>;
    /// Families that disturb the app (bursts that trip its limiters) run after all
    /// others have finished.
    fn runs_last(&self) -> bool {
        false
    }
}

/// The built-in probe families, in the order they run.
pub fn families() -> Vec<Box<dyn Probe>> {
    vec![
        Box::new(declarative_run::DeclarativeProbes),
        Box::new(error_leak::ErrorLeakProbe),
        Box::new(tenant_replay::TenantReplay),
        Box::new(filtering::ServerSideFiltering),
        Box::new(roles::RoleEnforcement),
        Box::new(transactions::TransactionIntegrity),
        Box::new(audit_trail::AuditTrail),
        Box::new(headers::HeadersProbe),
        Box::new(cors::CorsProbe),
        Box::new(cookies::SessionCookieProbe),
        Box::new(auth_checks::AuthChecksProbe),
        Box::new(jwt::JwtProbe),
        Box::new(rate_limit::RateLimitProbe),
        Box::new(bundle::BundleProbe),
        Box::new(input_validation::InputValidationProbe),
        Box::new(mass_assignment::MassAssignmentProbe),
    ]
}

/// The items some probe of this build (families, declarative probes, signatures) scores.
pub fn probed_items(catalog: &ProbeCatalog) -> Vec<Item> {
    let mut items: Vec<Item> = families()
        .iter()
        .flat_map(|f| f.items().iter().copied())
        .collect();
    items.extend(catalog.probes.iter().map(|p| p.item));
    items.extend(catalog.signatures.signatures().iter().map(|s| s.item));
    items.sort();
    items.dedup();
    items
}

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
