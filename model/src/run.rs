//! What a probe family did for one checklist item: its checks, its state, its findings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checklist::Item;
use crate::finding::Finding;
use crate::identity::IdentityId;

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
    /// Per ordered pair of identities, what was replayed (the tenant family's evidence
    /// that a pass was earned).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replays: Vec<PairReplay>,
    /// Per table, view, bucket or collection of a backend-as-a-service: what each
    /// identity read, the writes tried on canaries, and what was cleaned up.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableCheck>,
}

/// What a backend family did with one table (or view, bucket, collection).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCheck {
    /// `table`, `view`, `bucket`, `collection`...
    pub kind: String,
    pub name: String,
    /// Rows (or objects) each identity read.
    pub reads: Vec<TableRead>,
    /// Writes tried on the scanner's own canary rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<TableWrite>,
    /// What the scanner created here and removed again (or could not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cleanup: Vec<String>,
}

/// One identity's read of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRead {
    pub identity: IdentityId,
    /// Rows returned (bounded by the request's limit); `None` when the read was refused.
    pub rows: Option<u32>,
    /// Of those, rows belonging to another user (another tenant's, or any user's when
    /// read anonymously).
    pub others: u32,
}

/// One write tried on a canary row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableWrite {
    pub identity: IdentityId,
    /// `insert`, `update` or `delete`.
    pub action: String,
    /// Whether it changed the row (read back, not taken from the status).
    pub changed: bool,
    /// What the backend answered, in words.
    pub outcome: String,
}

/// What one identity replayed of another's objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairReplay {
    /// Whose objects (the identity that saw or made them).
    pub owner: IdentityId,
    /// Who replayed them.
    pub caller: IdentityId,
    /// Reads of the owner's objects and routes as the caller.
    pub reads: u32,
    /// The owner's objects sent back unchanged by the caller (PUT/PATCH of what the owner read).
    pub noop_writes: u32,
    /// Writes by the caller to the owner's canaries (objects the scan created).
    pub canary_writes: u32,
    /// Objects of the owner readable anonymously too: public, so not replayed.
    pub public_skipped: u32,
    /// Where the ids of the replayed objects came from (`login answer`, `token claims`,
    /// `canary`...) and how many objects each gave.
    pub id_sources: BTreeMap<String, u32>,
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
            replays: Vec::new(),
            tables: Vec::new(),
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
        self.replays.extend(part.replays);
        self.tables.extend(part.tables);
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

/// How the browser phase went, for the report's discovery section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserSummary {
    /// `ran`, `off` (not available) or `failed`.
    pub status: String,
    /// Why the browser did not run or stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Pages and client-side routes visited, all identities.
    pub pages: u64,
    /// Requests of the browser forwarded through the scanner's HTTP layer.
    pub forwarded: u64,
    /// Requests refused: to other origins, or to routes that end sessions or delete.
    pub blocked: u64,
    /// Writes (POST, PUT, PATCH, DELETE) the page made: recorded, never sent.
    pub held_writes: u64,
    /// API calls (XHR, fetch, EventSource, WebSocket) seen per identity, distinct
    /// method and path pattern.
    pub api_calls: BTreeMap<IdentityId, u64>,
    /// Identities whose browser signed in through the app's own sign-in form
    /// (`discovery.browser_sign_in`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signed_in: Vec<IdentityId>,
}

impl BrowserSummary {
    /// The browser did not run, and why.
    pub fn off(reason: impl Into<String>) -> BrowserSummary {
        BrowserSummary {
            status: "off".into(),
            reason: Some(reason.into()),
            ..BrowserSummary::default()
        }
    }
}
