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

use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::auth::Identities;
use crate::checklist::Item;
use crate::config::ScanConfig;
use crate::discover::Inventory;
use crate::finding::Finding;
use crate::http::HttpLayer;

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

/// What one probe family did for one checklist item.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeRun {
    /// The probe family, e.g. `errors` or `tenant`.
    pub probe: String,
    pub item: Item,
    /// How many checks actually executed (requests evaluated, tokens tested...).
    pub checks: u32,
    pub state: RunState,
    pub findings: Vec<Finding>,
    /// Facts a reader needs to trust a pass, e.g. "replayed 14 routes from a to b".
    pub notes: Vec<String>,
    /// A one-line result the item's summary leads with whatever the verdict, e.g. a grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
}

/// Whether a probe could do its work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum RunState {
    /// The probe ran its checks; its findings (possibly none) are the result.
    Ran,
    /// The probe ran but could not decide.
    Inconclusive { reason: String },
    /// The probe failed with an error; the scan went on without it.
    Errored { error: String },
    /// The probe could not run; `config_key` names what would enable it.
    NotRun {
        reason: String,
        config_key: Option<String>,
    },
}

impl ProbeRun {
    pub fn new(probe: &str, item: Item) -> ProbeRun {
        ProbeRun {
            probe: probe.to_string(),
            item,
            checks: 0,
            state: RunState::Ran,
            findings: Vec::new(),
            notes: Vec::new(),
            headline: None,
        }
    }

    pub fn not_run(probe: &str, item: Item, reason: impl Into<String>, key: Option<&str>) -> Self {
        ProbeRun {
            state: RunState::NotRun {
                reason: reason.into(),
                config_key: key.map(str::to_string),
            },
            ..ProbeRun::new(probe, item)
        }
    }

    /// Folds a run of the same probe and item (a part done concurrently) into this one:
    /// checks add up, findings and notes join, and a part that could not decide or
    /// failed makes the whole run so.
    pub fn absorb(&mut self, part: ProbeRun) {
        self.checks += part.checks;
        self.findings.extend(part.findings);
        self.notes.extend(part.notes);
        self.headline = self.headline.take().or(part.headline);
        if self.state == RunState::Ran {
            self.state = part.state;
        }
    }

    pub fn errored(probe: &str, item: Item, error: impl Into<String>) -> Self {
        ProbeRun {
            state: RunState::Errored {
                error: error.into(),
            },
            ..ProbeRun::new(probe, item)
        }
    }
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
