//! The leaf of prodready: the types every layer shares (checklist items and verdicts,
//! findings and their evidence, probe runs, identities, route patterns, the scope). It imports
//! nothing else of the scanner, so the test app can name checklist items by type too.

pub mod checklist;
pub mod finding;
pub mod identity;
pub mod route;
pub mod run;
pub mod scope;

pub use checklist::{Attestation, Item, Status};
pub use finding::{
    Confidence, Evidence, Finding, FindingBuilder, Location, Occurrence, RequestExcerpt,
    ResponseExcerpt, Severity, family_of, group_id,
};
pub use identity::{IdentityId, Role, Tenant};
pub use route::{EndpointKey, IdKind, has_placeholder, id_kind, path_pattern, path_segment};
pub use run::{BrowserSummary, PairReplay, ProbeRun, RunState, TableCheck, TableRead, TableWrite};
pub use scope::{Scope, ScopeError};
