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
    /// Per Firebase collection, database path or bucket: who could read it, which
    /// canary writes were tried, what was cleaned up (the `firebase` family's evidence).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub firebase: Vec<FirebaseTarget>,
}

/// What the `firebase` family learned of one Realtime Database path, Firestore
/// collection or Storage bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirebaseTarget {
    /// `realtime-database`, `firestore` or `storage`.
    pub service: String,
    /// The path (`notes/{uid}`), collection (`notes`) or bucket.
    pub name: String,
    /// The read as each identity, `anonymous`, `a` and `b` (the identities that tried).
    pub reads: Vec<FirebaseRead>,
    /// Writes tried on the scanner's canary, in order.
    pub writes: Vec<FirebaseWrite>,
    /// What became of the canary: `removed`, `removed by b` (a cross-tenant delete
    /// that went through), `none created` or why it stayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<String>,
}

/// One read of a Firebase target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirebaseRead {
    pub identity: IdentityId,
    /// What was read: `list` (the collection or the parent node), `a's data` (a node or
    /// document keyed by a's uid) or `canary`.
    pub of: String,
    /// The HTTP status (0: the request failed).
    pub status: u16,
    /// `denied`, `empty`, `readable` or `error`.
    pub outcome: String,
    /// Entries it returned (documents, child keys, objects).
    pub entries: u32,
    /// Whether the scanner's canary (owned by `a`) was among them.
    pub canary_seen: bool,
}

/// One write tried on a canary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirebaseWrite {
    pub identity: IdentityId,
    /// `create`, `update` or `delete`.
    pub action: String,
    pub status: u16,
    /// The backend accepted it.
    pub accepted: bool,
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
            firebase: Vec::new(),
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
        self.firebase.extend(part.firebase);
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
