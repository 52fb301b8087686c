//! The report model: the one structure every renderer reads, and the JSON report
//! `prodready.report/v1` as it is serialised (field order here is output order).

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::checklist;
use crate::model::Finding;
use crate::model::IdentityId;
use crate::model::RunState;
use crate::model::{Attestation, Item, Status};
use crate::model::{PairReplay, ProbeRun};

/// The schema id every v1 report carries in its `schema` field.
pub const SCHEMA_ID: &str = "prodready.report/v1";

/// A finished scan: verdicts, findings, what ran and whether the gate passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA_ID`].
    pub schema: String,
    /// The tool and version that wrote the report.
    pub tool: Tool,
    /// The base URL that was scanned.
    pub target: String,
    /// When the scan started, UTC, serialised as RFC 3339.
    #[serde(with = "rfc3339_utc")]
    pub started_at: OffsetDateTime,
    /// How long the scan took, in milliseconds.
    pub duration_ms: u64,
    /// Requests that actually went out, counted by the HTTP layer.
    pub requests_sent: u64,
    /// True when the scan accepted any TLS certificate (`target.tls.insecure`); absent
    /// otherwise, so reports of verified scans are unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls_insecure: bool,
    /// Whether the scan passes as a release gate; decides the exit code.
    pub gate: Gate,
    /// Who the scanner acted as, and whether each login worked.
    pub identities: Vec<IdentitySummary>,
    /// What discovery found to probe.
    pub inventory: InventoryCounts,
    /// Backends-as-a-service the app's client talks to (Supabase, Firebase), and
    /// whether the scan reached them; absent when none was detected or configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<BackendSummary>,
    /// Exactly 12, in checklist order.
    pub items: Vec<ItemReport>,
    /// One per problem: a probe's instances on many routes grouped where its family
    /// allows (see `report::group`), de-duplicated by id, sorted by item then severity
    /// (highest first).
    pub findings: Vec<Finding>,
    /// One per probe run, in the order the scanner reported them.
    pub probes: Vec<ProbeReport>,
    /// Probe errors, one line each; a non-empty list fails the gate.
    pub errors: Vec<String>,
    /// What the scan itself noticed (refused off-scope requests, canaries left behind,
    /// discovery bounds reached); informational, not part of the gate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// How the findings compare with a baseline report (`--baseline`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineReport>,
    /// Every suppression the gate was given (`--suppressions`) and whether it applied,
    /// had expired, or matched no finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionReport>,
}

/// Where a finding stands against a baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineState {
    /// In this scan, not in the baseline.
    New,
    /// In both.
    Unchanged,
    /// In the baseline only: the flaw is gone.
    Fixed,
}

impl BaselineState {
    /// The stable lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Fixed => "fixed",
        }
    }
}

/// A scan compared with an earlier one, finding ids in report order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineReport {
    /// When the baseline scan started (RFC 3339), to tell which run it was.
    pub started_at: String,
    /// Findings seen now and not in the baseline.
    pub new: Vec<String>,
    /// Findings seen in both.
    pub unchanged: Vec<String>,
    /// Baseline findings no longer seen; kept whole enough to say what was fixed.
    pub fixed: Vec<FixedFinding>,
}

/// A baseline finding that this scan no longer sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedFinding {
    /// The stable finding id.
    pub id: String,
    /// The item it belonged to.
    pub item: Item,
    /// The dotted probe id.
    pub probe: String,
    /// Its severity in the baseline.
    pub severity: crate::model::Severity,
    /// Its title in the baseline.
    pub title: String,
}

/// Whether a suppression applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionState {
    /// It matched a finding and has not expired: the finding does not count for the gate.
    Active,
    /// Its expiry date has passed: the finding counts again.
    Expired,
    /// No finding of this scan has its id.
    Unmatched,
}

impl SuppressionState {
    /// The stable lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionState::Active => "active",
            SuppressionState::Expired => "expired",
            SuppressionState::Unmatched => "unmatched",
        }
    }
}

/// One entry of the suppressions file, as the gate applied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionReport {
    /// The finding id it names.
    pub id: String,
    /// Why the team accepted the finding.
    pub reason: String,
    /// The last day it applies, `YYYY-MM-DD`.
    pub expires: String,
    /// Whether it applied.
    pub state: SuppressionState,
}

/// The tool that wrote the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `prodready`.
    pub name: String,
    /// The crate version that produced the report.
    pub version: String,
}

impl Tool {
    /// This build of prodready.
    pub fn current() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The verdict on one checklist item, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemReport {
    /// The 1-based checklist number.
    pub id: u8,
    /// The stable item key, e.g. `tenant-isolation`.
    pub key: Item,
    /// The item's human title, e.g. "Tenant isolation".
    pub title: String,
    /// The verdict.
    pub status: Status,
    /// Why the item has its status, in a sentence.
    pub summary: String,
    /// Ids of the findings behind the verdict, in report order.
    pub findings: Vec<String>,
    /// The worst finding of a failed or warned item (the one that weighs most, then the
    /// most severe); absent for other verdicts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<String>,
    /// How many routes (method and route pattern) the findings that failed or warned
    /// the item were seen on; absent (0) for other verdicts.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub routes: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What one probe run did, so a reader can tell a real pass from a probe that never ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// The probe family, e.g. `tenant` or `headers`.
    pub probe: String,
    /// The checklist item the run scored.
    pub item: Item,
    /// Whether the run could do its work.
    pub state: ProbeState,
    /// How many checks executed.
    pub checks: u32,
    /// Why the run was inconclusive or did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The error that stopped the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The config key that would let a not-run probe run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_key: Option<String>,
    /// Facts that back a pass, e.g. "replayed 14 routes from a to b".
    pub notes: Vec<String>,
    /// Ids of the findings this run reported (including ones another run reported first).
    pub findings: Vec<String>,
    /// Per ordered pair of identities, what the run replayed of the owner's objects
    /// and where their ids came from (tenant isolation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replays: Vec<PairReplay>,
    /// Per table or collection of a backend-as-a-service: rows read as each identity,
    /// writes tried on canaries, and what was cleaned up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<crate::model::TableCheck>,
}

/// Whether a probe run could do its work; [`RunState`] without its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeState {
    /// The checks ran; the findings are the result.
    Ran,
    /// The checks ran but could not decide.
    Inconclusive,
    /// The probe failed with an error and the scan went on without it.
    Errored,
    /// The probe could not run, usually for want of config.
    NotRun,
}

impl ProbeState {
    /// The stable lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeState::Ran => "ran",
            ProbeState::Inconclusive => "inconclusive",
            ProbeState::Errored => "errored",
            ProbeState::NotRun => "not-run",
        }
    }
}

/// One identity the scanner used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySummary {
    /// The identity's name in the config: `anonymous`, `a`, `b`, `admin`, `member`.
    pub name: IdentityId,
    /// How it logs in: `json`, `form`, `static`, `none`...
    pub login: String,
    /// How the login went: `logged-in`, `anonymous`...
    pub status: String,
}

/// A backend the app's client talks to, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendSummary {
    /// `supabase` or `firebase`.
    pub kind: String,
    /// The backend's origin (`https://abcd.supabase.co`).
    pub origin: String,
    /// Where it was found: a script or page URL, or `config`.
    pub found_in: String,
    /// The client key's kind (`anon key (JWT, role anon)`), never its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Whether the scan sent requests to it.
    pub in_scope: bool,
    /// Why not, when it stayed out of scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl BackendSummary {
    /// Whether the scan reached it, for people: `scanned` or `not scanned: why`.
    pub fn reach(&self) -> String {
        if self.in_scope {
            "scanned".to_string()
        } else {
            format!(
                "not scanned: {}",
                self.note.as_deref().unwrap_or("out of scope")
            )
        }
    }
}

/// Counts of what discovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryCounts {
    /// HTML pages crawled.
    pub pages: u64,
    /// Distinct API endpoints (method and path template).
    pub endpoints: u64,
    /// Scripts and chunks fetched.
    pub scripts: u64,
    /// How discovery through a real browser went, when `discovery.browser` asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<crate::model::BrowserSummary>,
}

/// The release gate: passed unless an item failed or a probe errored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// True when no item failed and no probe errored.
    pub passed: bool,
    /// Why the gate failed, one line per cause; empty when it passed.
    pub reasons: Vec<String>,
    /// What the policy set aside without failing: findings it only warns about,
    /// suppressions that expired. Informational.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Everything [`Report::new`] needs from a finished scan.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// The base URL that was scanned.
    pub target: String,
    /// When the scan started, in any offset; the report stores UTC.
    pub started_at: OffsetDateTime,
    /// How long the scan took.
    pub duration: Duration,
    /// Requests counted by the HTTP layer.
    pub requests_sent: u64,
    /// Every probe run, in the order the scanner finished them.
    pub runs: Vec<ProbeRun>,
    /// The config's attestation for item 12, if any.
    pub attestation: Option<Attestation>,
    /// The identities the scan used and how their logins went.
    pub identities: Vec<IdentitySummary>,
    /// What discovery found.
    pub inventory: InventoryCounts,
    /// Backends the app's client talks to.
    pub backends: Vec<BackendSummary>,
    /// Scan-level notices for the report's `warnings`.
    pub warnings: Vec<String>,
}

/// Why a JSON text is not a usable v1 report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The text is not JSON of the report's shape.
    #[error("not a prodready report: {0}")]
    Json(#[from] serde_json::Error),
    /// The report declares another schema.
    #[error("unsupported report schema `{found}`, expected `{SCHEMA_ID}`")]
    UnsupportedSchema {
        /// The `schema` value found, empty when there was none.
        found: String,
    },
    /// The items are not the 12 checklist items in order.
    #[error("the report's items are not the 12 checklist items in order: {reason}")]
    Items { reason: String },
}

impl Report {
    /// Builds the report: scores the runs, de-duplicates and sorts the findings, and
    /// decides the gate.
    pub fn new(input: ReportInput) -> Report {
        let ReportInput {
            target,
            started_at,
            duration,
            requests_sent,
            mut runs,
            attestation,
            identities,
            inventory,
            backends,
            warnings,
        } = input;

        super::group::regroup(&mut runs);
        // Probe reports list what each run saw, before duplicates are folded away.
        let probes: Vec<ProbeReport> = runs.iter().map(probe_report).collect();
        let mut findings = super::group::fold(&mut runs);
        // Scoring sees every route of a group; the report lists a bounded number.
        super::group::bound(&mut findings);
        findings.sort_by(|a, b| {
            (a.item, b.severity, b.confidence, &a.probe, &a.id).cmp(&(
                b.item,
                a.severity,
                a.confidence,
                &b.probe,
                &b.id,
            ))
        });
        let rank: HashMap<&str, usize> = findings
            .iter()
            .enumerate()
            .map(|(n, f)| (f.id.as_str(), n))
            .collect();

        let items: Vec<ItemReport> = checklist::score(&runs, attestation.as_ref())
            .into_iter()
            .map(|v| {
                let mut ids = v.findings;
                ids.sort_by_key(|id| rank.get(id.as_str()).copied().unwrap_or(usize::MAX));
                ids.dedup();
                ItemReport {
                    id: v.item.id(),
                    key: v.item,
                    title: v.item.title().to_string(),
                    status: v.status,
                    summary: v.summary,
                    findings: ids,
                    worst: v.worst,
                    routes: v.routes,
                }
            })
            .collect();

        let errors: Vec<String> = runs
            .iter()
            .filter_map(|r| match &r.state {
                RunState::Errored { error } => Some(format!("{} ({}): {error}", r.probe, r.item)),
                _ => None,
            })
            .collect();

        let mut report = Report {
            schema: SCHEMA_ID.to_string(),
            tool: Tool::current(),
            target,
            started_at: normalise_time(started_at),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            requests_sent,
            tls_insecure: false,
            gate: Gate {
                passed: true,
                reasons: Vec::new(),
                notes: Vec::new(),
            },
            identities,
            inventory,
            backends,
            items,
            findings,
            probes,
            errors,
            warnings,
            baseline: None,
            suppressions: Vec::new(),
        };
        // The default policy: one gate function for every caller, with or without flags.
        let today = report.started_at.date();
        report.gate =
            super::gate::evaluate(&report, &super::gate::GatePolicy::default(), today).gate;
        report
    }

    /// Where finding `id` stands against the baseline, when there is one.
    pub fn baseline_state(&self, id: &str) -> Option<BaselineState> {
        let b = self.baseline.as_ref()?;
        if b.new.iter().any(|n| n == id) {
            Some(BaselineState::New)
        } else if b.unchanged.iter().any(|n| n == id) {
            Some(BaselineState::Unchanged)
        } else if b.fixed.iter().any(|f| f.id == id) {
            Some(BaselineState::Fixed)
        } else {
            None
        }
    }

    /// The active suppression of finding `id` (or of one route's id), if any.
    pub fn suppression(&self, id: &str) -> Option<&SuppressionReport> {
        self.suppressions
            .iter()
            .find(|s| s.id == id && s.state == SuppressionState::Active)
    }

    /// The active suppression that sets `finding` aside as a whole: one of its own id,
    /// or, when every route it lists is suppressed by its per-route id and none went
    /// unlisted, the first of those. A group with some routes suppressed still counts.
    pub fn suppression_of(&self, finding: &Finding) -> Option<&SuppressionReport> {
        if let Some(s) = self.suppression(&finding.id) {
            return Some(s);
        }
        if !finding.is_grouped() || finding.more_locations > 0 {
            return None;
        }
        let mut first = None;
        for o in &finding.locations {
            let s = self.suppression(&o.id)?;
            first.get_or_insert(s);
        }
        first
    }

    /// Reads a v1 report back, e.g. a baseline to compare a new scan with.
    pub fn from_json(text: &str) -> Result<Report, ReportError> {
        // Check the schema id first so a v2 report gets a clear error, not a field error.
        let value: serde_json::Value = serde_json::from_str(text)?;
        let found = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
        if found != SCHEMA_ID {
            return Err(ReportError::UnsupportedSchema {
                found: found.to_string(),
            });
        }
        let report: Report = serde_json::from_value(value)?;
        if report.items.len() != Item::ALL.len() {
            return Err(ReportError::Items {
                reason: format!("found {} items", report.items.len()),
            });
        }
        for (got, want) in report.items.iter().zip(Item::ALL) {
            if got.key != want || got.id != want.id() {
                return Err(ReportError::Items {
                    reason: format!(
                        "item {} is `{}`, expected {} `{}`",
                        got.id,
                        got.key,
                        want.id(),
                        want
                    ),
                });
            }
        }
        Ok(report)
    }

    /// The verdict for `item`.
    pub fn item(&self, item: Item) -> Option<&ItemReport> {
        self.items.iter().find(|i| i.key == item)
    }

    /// The finding with `id`.
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }

    /// The scan's duration.
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.duration_ms)
    }
}

fn probe_report(run: &ProbeRun) -> ProbeReport {
    let (state, reason, error, config_key) = match &run.state {
        RunState::Ran => (ProbeState::Ran, None, None, None),
        RunState::Inconclusive { reason } => {
            (ProbeState::Inconclusive, Some(reason.clone()), None, None)
        }
        RunState::Errored { error } => (ProbeState::Errored, None, Some(error.clone()), None),
        RunState::NotRun { reason, config_key } => (
            ProbeState::NotRun,
            Some(reason.clone()),
            None,
            config_key.clone(),
        ),
    };
    let mut findings: Vec<String> = Vec::new();
    for f in &run.findings {
        if !findings.contains(&f.id) {
            findings.push(f.id.clone());
        }
    }
    ProbeReport {
        probe: run.probe.clone(),
        item: run.item,
        state,
        checks: run.checks,
        reason,
        error,
        config_key,
        notes: run.notes.clone(),
        findings,
        replays: run.replays.clone(),
        tables: run.tables.clone(),
    }
}

/// UTC, millisecond precision: what the report prints.
fn normalise_time(t: OffsetDateTime) -> OffsetDateTime {
    let utc = t.to_offset(time::UtcOffset::UTC);
    utc.replace_millisecond(utc.millisecond()).unwrap_or(utc)
}

/// Serde for `started_at`: RFC 3339 in UTC.
mod rfc3339_utc {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        let text = t
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Confidence, Evidence, Location, RequestExcerpt, Severity};
    use crate::report::MAX_MERGED_EVIDENCE;
    use crate::report::fixture;

    fn finding(item: Item, probe: &str, path: &str, severity: Severity) -> Finding {
        let location = Location {
            method: "GET".into(),
            url: format!("http://127.0.0.1:4000{path}"),
        };
        Finding::builder(item, probe)
            .rated(severity, Confidence::Firm)
            .title(format!("{probe} at {path}"))
            .detail("detail")
            .at(location)
            .build()
    }

    fn evidence(label: &str) -> Evidence {
        Evidence {
            label: label.into(),
            request: RequestExcerpt {
                identity: IdentityId::B,
                method: "GET".into(),
                url: "http://127.0.0.1:4000/x".into(),
                headers: vec![],
                body: None,
            },
            response: None,
            matched: None,
        }
    }

    fn input(runs: Vec<ProbeRun>) -> ReportInput {
        ReportInput {
            target: "http://127.0.0.1:4000/".into(),
            started_at: time::macros::datetime!(2026-11-03 11:00:00.123456 +01:00),
            duration: Duration::from_millis(1500),
            requests_sent: 10,
            runs,
            attestation: None,
            identities: vec![],
            inventory: InventoryCounts::default(),
            backends: vec![],
            warnings: vec![],
        }
    }

    fn ran(probe: &str, item: Item, findings: Vec<Finding>) -> ProbeRun {
        ProbeRun {
            checks: 3,
            findings,
            ..ProbeRun::new(probe, item)
        }
    }

    #[test]
    fn duplicates_keep_the_first_and_merge_evidence_up_to_the_bound() {
        let e = Item::ErrorHandling;
        // A probe reported per route, so the two are the same finding of one route.
        let first = finding(e, "errors.body-field-leak", "/a", Severity::Medium)
            .with_evidence(evidence("one"))
            .with_remediation("first");
        let mut again = finding(e, "errors.body-field-leak", "/a", Severity::Critical)
            .with_evidence(evidence("one"))
            .with_remediation("second");
        for n in 0..10 {
            again = again.with_evidence(evidence(&format!("more {n}")));
        }
        let report = Report::new(input(vec![
            ran("errors", e, vec![first.clone()]),
            ran("errors-debug", e, vec![again]),
        ]));

        assert_eq!(report.findings.len(), 1);
        let kept = &report.findings[0];
        assert_eq!(kept.remediation, "first");
        assert_eq!(kept.severity, Severity::Medium);
        assert_eq!(kept.evidence.len(), MAX_MERGED_EVIDENCE);
        assert_eq!(kept.evidence[0].label, "one");
        assert_eq!(kept.evidence[1].label, "more 0");
        // Scored once, listed once, but both runs say they saw it.
        let item = report.item(e).unwrap();
        assert_eq!(item.findings, vec![first.id.clone()]);
        assert!(
            item.summary.starts_with("1 failing finding"),
            "{}",
            item.summary
        );
        assert!(
            report
                .probes
                .iter()
                .all(|p| p.findings == vec![first.id.clone()])
        );
    }

    #[test]
    fn findings_sort_by_item_then_severity_and_items_follow_that_order() {
        let h = Item::SecurityHeaders;
        let t = Item::TenantIsolation;
        let low = finding(h, "headers.hsts-missing", "/", Severity::Low);
        let high = finding(h, "cors.reflected-origin", "/api", Severity::High);
        let tenant = finding(t, "tenant.read-replay", "/api/x", Severity::Medium);
        let report = Report::new(input(vec![
            ran("headers", h, vec![low.clone(), high.clone()]),
            ran("tenant", t, vec![tenant.clone()]),
        ]));
        let order: Vec<&str> = report.findings.iter().map(|f| f.probe.as_str()).collect();
        assert_eq!(order, vec![&tenant.probe, &high.probe, &low.probe]);
        let ids: Vec<String> = report.findings.iter().map(|f| f.id.clone()).collect();
        assert_eq!(ids[0], tenant.id, "tenant findings stay per route");
        assert_eq!(report.item(h).unwrap().findings, ids[1..].to_vec());
    }

    #[test]
    fn the_gate_fails_on_a_failed_item_or_an_errored_probe_and_passes_otherwise() {
        let e = Item::ErrorHandling;
        let clean = Report::new(input(vec![ran("errors", e, vec![])]));
        assert!(clean.gate.passed, "{:?}", clean.gate);
        assert!(clean.gate.reasons.is_empty() && clean.errors.is_empty());

        let failed = Report::new(input(vec![ran(
            "errors",
            e,
            vec![finding(e, "errors.stack-trace", "/", Severity::High)],
        )]));
        assert!(!failed.gate.passed);
        assert_eq!(failed.gate.reasons.len(), 1);
        assert!(
            failed.gate.reasons[0].starts_with("item 11 error-handling failed: PR-"),
            "{:?}",
            failed.gate.reasons
        );

        let errored = Report::new(input(vec![
            ran("errors", e, vec![]),
            ProbeRun::errored("jwt", Item::Authentication, "connection reset"),
        ]));
        assert!(!errored.gate.passed);
        assert_eq!(
            errored.errors,
            vec!["jwt (authentication): connection reset"]
        );
        assert_eq!(
            errored.gate.reasons,
            vec!["probe jwt (authentication) errored"]
        );
        assert_eq!(errored.items[1].status, Status::Inconclusive);
    }

    #[test]
    fn started_at_is_utc_to_the_millisecond_and_round_trips() {
        let report = Report::new(input(vec![]));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["started_at"], "2026-11-03T10:00:00.123Z");
        assert_eq!(json["duration_ms"], 1500);
        assert_eq!(json["schema"], SCHEMA_ID);
        assert_eq!(json["tool"]["version"], env!("CARGO_PKG_VERSION"));
        let back = Report::from_json(&json.to_string()).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn probe_reports_carry_why_a_probe_did_not_decide() {
        let report = Report::new(fixture::input());
        let by_state = |s: ProbeState| report.probes.iter().find(|p| p.state == s).unwrap();
        assert!(by_state(ProbeState::Errored).error.is_some());
        assert!(by_state(ProbeState::Inconclusive).reason.is_some());
        let not_run = by_state(ProbeState::NotRun);
        assert!(not_run.reason.is_some() && not_run.config_key.is_some());
        let json = serde_json::to_value(by_state(ProbeState::Ran)).unwrap();
        assert!(json.get("reason").is_none() && json.get("error").is_none());
    }

    #[test]
    fn every_item_finding_id_points_at_a_finding() {
        let report = Report::new(fixture::input());
        for item in &report.items {
            for id in &item.findings {
                assert!(report.finding(id).is_some(), "{id} of {}", item.key);
            }
        }
        let listed: usize = report.items.iter().map(|i| i.findings.len()).sum();
        assert_eq!(listed, report.findings.len());
    }

    #[test]
    fn from_json_rejects_other_schemas_and_wrong_items() {
        let report = Report::new(fixture::input());
        let mut value = serde_json::to_value(&report).unwrap();
        value["schema"] = "prodready.report/v2".into();
        assert!(matches!(
            Report::from_json(&value.to_string()),
            Err(ReportError::UnsupportedSchema { .. })
        ));

        let mut value = serde_json::to_value(&report).unwrap();
        value["items"].as_array_mut().unwrap().swap(0, 1);
        assert!(matches!(
            Report::from_json(&value.to_string()),
            Err(ReportError::Items { .. })
        ));

        let mut value = serde_json::to_value(&report).unwrap();
        value["items"].as_array_mut().unwrap().pop();
        assert!(matches!(
            Report::from_json(&value.to_string()),
            Err(ReportError::Items { .. })
        ));

        assert!(matches!(Report::from_json("{"), Err(ReportError::Json(_))));
    }
}
