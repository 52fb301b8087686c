//! Probes: declarative ones loaded from `probes/`, stateful ones in Rust.
//!
//! Every probe reports a [`ProbeRun`] per checklist item it scores. A finding is not
//! an error: a probe that errors is recorded as [`RunState::Errored`] and the scan
//! goes on.

pub mod catalog;
pub mod declarative;
pub mod pattern;
pub mod safe_corpus;
pub mod signatures;

use serde::Serialize;

use crate::checklist::Item;
use crate::finding::Finding;

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

    pub fn errored(probe: &str, item: Item, error: impl Into<String>) -> Self {
        ProbeRun {
            state: RunState::Errored {
                error: error.into(),
            },
            ..ProbeRun::new(probe, item)
        }
    }
}
