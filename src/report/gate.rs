//! The release gate as policy: which findings fail a build, which only warn, which are
//! set aside, and what changed since a baseline.
//!
//! [`evaluate`] is a pure function of a report, a [`GatePolicy`] and today's date. The
//! checklist verdicts stay what the scan measured; the gate is what the team's policy
//! makes of them, and the report says both.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use time::Date;

use super::model::{
    BaselineReport, FixedFinding, Gate, Report, SuppressionReport, SuppressionState,
};
use crate::model::Item;
use crate::model::{Confidence, Finding, Severity};

/// The threshold at which a finding fails the gate (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// A finding that fails its checklist item (medium or worse, firm or confirmed).
    #[default]
    FailingItems,
    /// Any finding that fails or warns its item (low or worse, any confidence).
    Warn,
    /// Any finding at or above this severity, whatever its confidence.
    Severity(Severity),
}

impl FailOn {
    /// Parses `--fail-on`: a severity name or `warn`.
    pub fn parse(text: &str) -> Result<FailOn, GateError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "warn" => Ok(FailOn::Warn),
            "fail" => Ok(FailOn::FailingItems),
            "critical" => Ok(FailOn::Severity(Severity::Critical)),
            "high" => Ok(FailOn::Severity(Severity::High)),
            "medium" => Ok(FailOn::Severity(Severity::Medium)),
            "low" => Ok(FailOn::Severity(Severity::Low)),
            "info" => Ok(FailOn::Severity(Severity::Info)),
            other => Err(GateError::FailOn(other.to_string())),
        }
    }

    fn counts(self, severity: Severity, confidence: Confidence) -> bool {
        match self {
            FailOn::FailingItems => severity >= Severity::Medium && confidence >= Confidence::Firm,
            FailOn::Warn => severity >= Severity::Low,
            FailOn::Severity(s) => severity >= s,
        }
    }

    fn describe(self) -> String {
        match self {
            FailOn::FailingItems => "failing its item".to_string(),
            FailOn::Warn => "at warn or worse".to_string(),
            FailOn::Severity(s) => format!("at {} or worse", s.as_str()),
        }
    }
}

/// What a policy file says about an item or a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Any finding of low severity or worse fails the gate, whatever `--fail-on` says;
    /// a probe error fails it too.
    Fail,
    /// Findings and probe errors are listed in the gate's notes but never fail it.
    Warn,
    /// Findings and probe errors are left out of the gate entirely.
    Ignore,
}

/// A policy file (`--policy FILE`):
///
/// ```toml
/// fail_on = "high"                     # optional; --fail-on overrides it
/// [rules]
/// "security-headers" = "warn"          # an item key
/// "headers" = "warn"                   # a probe family
/// "headers.hsts-missing" = "ignore"    # a dotted probe id
/// "tenant.read-replay" = "fail"
/// ```
///
/// The most specific rule wins: probe id, then family, then item; without one the
/// finding counts per `--fail-on`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// The threshold for findings without a rule, as `--fail-on` takes it; the flag wins.
    #[serde(default)]
    pub fail_on: Option<String>,
    /// Item keys, probe families or dotted probe ids, each to `fail`, `warn` or `ignore`.
    #[serde(default)]
    pub rules: BTreeMap<String, Action>,
}

/// One accepted finding (`--suppressions FILE`, `[[suppress]]` tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The stable finding id, `PR-` and 12 hex digits.
    pub id: String,
    /// Why it is accepted; required so the next reader knows.
    pub reason: String,
    /// The last day the suppression applies.
    pub expires: Date,
}

/// Everything the gate decides with.
#[derive(Debug, Clone, Default)]
pub struct GatePolicy {
    /// The threshold for findings without a policy rule.
    pub fail_on: FailOn,
    /// Per item, family or probe rules.
    pub policy: PolicyFile,
    /// Accepted findings, each until its expiry date.
    pub suppressions: Vec<Suppression>,
    /// An earlier report to compare with.
    pub baseline: Option<Report>,
    /// Only findings new since the baseline fail the gate.
    pub fail_on_new: bool,
}

/// Why gate input is unusable; each message names the flag or key to fix.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("--fail-on `{0}`: expected critical, high, medium, low, info or warn")]
    FailOn(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{flag} {path}: {message}")]
    Parse {
        flag: &'static str,
        path: String,
        message: String,
    },
    #[error("--baseline {path}: {source}")]
    Baseline {
        path: String,
        source: super::ReportError,
    },
    #[error("--fail-on-new needs --baseline PREVIOUS.json to tell new findings from old ones")]
    NewWithoutBaseline,
}

impl PolicyFile {
    /// Parses and checks a policy file's text: every key must be an item key, a probe
    /// family or a dotted probe id.
    pub fn parse(text: &str) -> Result<PolicyFile, String> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(f) = &file.fail_on {
            FailOn::parse(f).map_err(|_| {
                format!("fail_on `{f}`: expected critical, high, medium, low, info or warn")
            })?;
        }
        for key in file.rules.keys() {
            let well_formed = !key.is_empty()
                && key.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                });
            if !well_formed {
                return Err(format!(
                    "rules.\"{key}\": expected an item key (e.g. `security-headers`), a probe \
                     family (`headers`) or a dotted probe id (`headers.hsts-missing`)"
                ));
            }
        }
        Ok(file)
    }

    /// The rule for a finding of `probe` on `item`: probe id, then family, then item.
    fn rule(&self, item: Item, probe: &str) -> Option<Action> {
        let family = probe.split('.').next().unwrap_or(probe);
        self.rules
            .get(probe)
            .or_else(|| self.rules.get(family))
            .or_else(|| self.rules.get(item.key()))
            .copied()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressionsFile {
    #[serde(default)]
    suppress: Vec<RawSuppression>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    id: String,
    reason: String,
    expires: toml::value::Datetime,
}

/// Parses a suppressions file:
///
/// ```toml
/// [[suppress]]
/// id = "PR-0123456789ab"
/// reason = "staging only; fixed by the CDN config in prod"
/// expires = 2027-01-31
/// ```
pub fn parse_suppressions(text: &str) -> Result<Vec<Suppression>, String> {
    let file: SuppressionsFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(file.suppress.len());
    for (n, raw) in file.suppress.into_iter().enumerate() {
        let at = format!("suppress[{n}]");
        let id_ok = raw.id.len() == 15
            && raw.id.starts_with("PR-")
            && raw.id[3..]
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        if !id_ok {
            return Err(format!(
                "{at}.id `{}`: expected a finding id like PR-0123456789ab (see the report's findings[].id)",
                raw.id
            ));
        }
        if raw.reason.trim().is_empty() {
            return Err(format!("{at}.reason: say why {} is accepted", raw.id));
        }
        let expires = match (raw.expires.date, raw.expires.time) {
            (Some(d), None) => Date::from_calendar_date(
                i32::from(d.year),
                time::Month::try_from(d.month).map_err(|e| format!("{at}.expires: {e}"))?,
                d.day,
            )
            .map_err(|e| format!("{at}.expires: {e}"))?,
            _ => {
                return Err(format!(
                    "{at}.expires: expected a date like 2027-01-31 (no time, no quotes)"
                ));
            }
        };
        out.push(Suppression {
            id: raw.id,
            reason: raw.reason,
            expires,
        });
    }
    Ok(out)
}

impl GatePolicy {
    /// Reads the files behind the gate flags; errors name the flag and the file.
    pub fn load(
        fail_on: Option<&str>,
        policy: Option<&Path>,
        suppressions: Option<&Path>,
        baseline: Option<&Path>,
        fail_on_new: bool,
    ) -> Result<GatePolicy, GateError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| GateError::Read {
                path: p.display().to_string(),
                source,
            })
        };
        let flag = fail_on.map(FailOn::parse).transpose()?;
        let policy = match policy {
            Some(p) => PolicyFile::parse(&read(p)?).map_err(|message| GateError::Parse {
                flag: "--policy",
                path: p.display().to_string(),
                message,
            })?,
            None => PolicyFile::default(),
        };
        let suppressions = match suppressions {
            Some(p) => parse_suppressions(&read(p)?).map_err(|message| GateError::Parse {
                flag: "--suppressions",
                path: p.display().to_string(),
                message,
            })?,
            None => Vec::new(),
        };
        let baseline = match baseline {
            Some(p) => {
                Some(
                    Report::from_json(&read(p)?).map_err(|source| GateError::Baseline {
                        path: p.display().to_string(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        // Checked when the file was parsed, so only the flag's error can surface here.
        let from_file = policy.fail_on.as_deref().map(FailOn::parse).transpose()?;
        let fail_on = flag.or(from_file).unwrap_or_default();
        if fail_on_new && baseline.is_none() {
            return Err(GateError::NewWithoutBaseline);
        }
        Ok(GatePolicy {
            fail_on,
            policy,
            suppressions,
            baseline,
            fail_on_new,
        })
    }
}

/// Compares a scan with an earlier one by stable finding id. A finding is known to the
/// other report by its id or by the per-route id of any route it lists, so a report of
/// grouped findings compares with one written before grouping (one finding per route):
/// a group whose routes the old report had one by one is unchanged, and an old route's
/// finding is fixed only when no group of the new report lists it.
pub fn diff(old: &Report, new: &Report) -> BaselineReport {
    let before: HashSet<&str> = old.findings.iter().flat_map(Finding::ids).collect();
    let now: HashSet<&str> = new.findings.iter().flat_map(Finding::ids).collect();
    let (unchanged, added): (Vec<&Finding>, Vec<&Finding>) = new
        .findings
        .iter()
        .partition(|f| f.ids().any(|id| before.contains(id)));
    BaselineReport {
        started_at: old
            .started_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        new: added.iter().map(|f| f.id.clone()).collect(),
        unchanged: unchanged.iter().map(|f| f.id.clone()).collect(),
        fixed: old
            .findings
            .iter()
            .filter(|f| !f.ids().any(|id| now.contains(id)))
            .map(|f| FixedFinding {
                id: f.id.clone(),
                item: f.item,
                probe: f.probe.clone(),
                severity: f.severity,
                title: f.title.clone(),
            })
            .collect(),
    }
}

/// The outcome of [`evaluate`]: the gate and what the report records about the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub gate: Gate,
    pub baseline: Option<BaselineReport>,
    pub suppressions: Vec<SuppressionReport>,
}

/// Decides the gate for `report` under `policy` on `today`. Pure.
///
/// A finding fails the gate when its rule is `fail` (low or worse), or it has no rule and
/// meets `--fail-on`; unless an unexpired suppression names it, or `--fail-on-new` is set
/// and the baseline already had it. A probe error fails the gate unless its family or
/// item is set to `warn` or `ignore`: a scan that lost a probe did not look everywhere.
pub fn evaluate(report: &Report, policy: &GatePolicy, today: Date) -> Evaluation {
    let baseline = policy.baseline.as_ref().map(|old| diff(old, report));
    let suppressions: Vec<SuppressionReport> = policy
        .suppressions
        .iter()
        .map(|s| SuppressionReport {
            id: s.id.clone(),
            reason: s.reason.clone(),
            expires: format_date(s.expires),
            state: if today > s.expires {
                SuppressionState::Expired
            } else if !report.findings.iter().any(|f| f.ids().any(|id| id == s.id)) {
                SuppressionState::Unmatched
            } else {
                SuppressionState::Active
            },
        })
        .collect();
    let active: HashSet<&str> = suppressions
        .iter()
        .filter(|s| s.state == SuppressionState::Active)
        .map(|s| s.id.as_str())
        .collect();

    let mut reasons = Vec::new();
    let mut notes = Vec::new();
    for s in &suppressions {
        if s.state == SuppressionState::Expired {
            notes.push(format!(
                "suppression of {} expired on {} ({}); the finding counts again",
                s.id, s.expires, s.reason
            ));
        }
    }

    // Failing findings grouped per item, in checklist order.
    let mut failing: BTreeMap<u8, (Item, Vec<&str>)> = BTreeMap::new();
    for f in &report.findings {
        // A suppression of the finding's id covers every route; one of a route's own id
        // (written before findings were grouped) covers that route only.
        if active.contains(f.id.as_str()) {
            continue;
        }
        let occurrences = f.occurrences();
        let open: Vec<_> = occurrences
            .iter()
            .filter(|o| !active.contains(o.id.as_str()))
            .collect();
        // Routes beyond the listed ones are unknown by id, so never suppressed.
        if open.is_empty() && f.more_locations == 0 {
            continue;
        }
        if open.len() < occurrences.len() {
            notes.push(format!(
                "suppressions cover {} of the {} routes of {} {}; the other routes count",
                occurrences.len() - open.len(),
                f.route_count(),
                f.id,
                f.probe
            ));
        }
        if policy.fail_on_new
            && baseline
                .as_ref()
                .is_some_and(|b| !b.new.iter().any(|n| n == &f.id))
        {
            continue;
        }
        // The worst severity among the routes it still stands for.
        let severity = open
            .iter()
            .map(|o| o.severity)
            .chain((f.more_locations > 0).then_some(f.severity))
            .max()
            .unwrap_or(f.severity);
        let counts = match policy.policy.rule(f.item, &f.probe) {
            Some(Action::Ignore) => false,
            Some(Action::Fail) => severity >= Severity::Low,
            Some(Action::Warn) => {
                if severity >= Severity::Low {
                    notes.push(format!(
                        "{} {} ({}) is warn-only by policy: {}",
                        f.id,
                        f.probe,
                        f.severity.as_str(),
                        f.title
                    ));
                }
                false
            }
            // A grouped finding counts when a route it still stands for does; an unlisted
            // route is taken to be as bad as the finding's own rating.
            None => {
                open.iter()
                    .any(|o| policy.fail_on.counts(o.severity, o.confidence))
                    || (f.more_locations > 0 && policy.fail_on.counts(f.severity, f.confidence))
            }
        };
        if counts {
            failing
                .entry(f.item.id())
                .or_insert((f.item, Vec::new()))
                .1
                .push(&f.id);
        }
    }
    for (id, (item, ids)) in &failing {
        let why = match (policy.fail_on, policy.fail_on_new) {
            (FailOn::FailingItems, false) => "failed".to_string(),
            (FailOn::FailingItems, true) => "has new failing findings".to_string(),
            (other, true) => format!("has new findings {}", other.describe()),
            (other, false) => format!("has findings {}", other.describe()),
        };
        reasons.push(format!("item {id} {item} {why}: {}", id_list(ids)));
    }

    for p in report
        .probes
        .iter()
        .filter(|p| p.state == super::ProbeState::Errored)
    {
        // The error itself is in the report's `errors`; the gate line names the probe.
        let line = format!("probe {} ({}) errored", p.probe, p.item);
        match policy.policy.rule(p.item, &p.probe) {
            Some(Action::Ignore) => {}
            Some(Action::Warn) => notes.push(line),
            Some(Action::Fail) | None => reasons.push(line),
        }
    }

    Evaluation {
        gate: Gate {
            passed: reasons.is_empty(),
            reasons,
            notes,
        },
        baseline,
        suppressions,
    }
}

/// Applies [`evaluate`] to the report: sets its gate, baseline and suppressions.
pub fn apply(mut report: Report, policy: &GatePolicy, today: Date) -> Report {
    let Evaluation {
        gate,
        baseline,
        suppressions,
    } = evaluate(&report, policy, today);
    report.gate = gate;
    report.baseline = baseline;
    report.suppressions = suppressions;
    report
}

/// The first few ids and how many more, so a gate line stays readable.
fn id_list(ids: &[&str]) -> String {
    const SHOWN: usize = 3;
    if ids.len() <= SHOWN {
        ids.join(", ")
    } else {
        format!("{} and {} more", ids[..SHOWN].join(", "), ids.len() - SHOWN)
    }
}

fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Prints `diff` for `prodready diff`: new, fixed and unchanged findings, one per line.
pub fn render_diff(old: &Report, new: &Report, diff: &BaselineReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let line = |out: &mut String, id: &str, f: Option<&Finding>| {
        let _ = match f {
            Some(f) => writeln!(
                out,
                "  {id}  {:<8}  {}  {} ({} {}{})",
                f.severity.as_str(),
                f.probe,
                f.title,
                f.location.method,
                f.location.url,
                match f.route_count() {
                    0 | 1 => String::new(),
                    n => format!(" and {} more routes", n - 1),
                }
            ),
            None => writeln!(out, "  {id}"),
        };
    };
    let _ = writeln!(out, "new ({}):", diff.new.len());
    for id in &diff.new {
        line(&mut out, id, new.finding(id));
    }
    let _ = writeln!(out, "fixed ({}):", diff.fixed.len());
    for f in &diff.fixed {
        line(&mut out, &f.id, old.finding(&f.id));
    }
    let _ = writeln!(out, "unchanged ({}):", diff.unchanged.len());
    for id in &diff.unchanged {
        line(&mut out, id, new.finding(id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;
    use crate::model::ProbeRun;
    use crate::report::BaselineState;
    use crate::report::{InventoryCounts, ReportInput};

    fn finding(item: Item, probe: &str, path: &str, sev: Severity, conf: Confidence) -> Finding {
        Finding::builder(item, probe)
            .rated(sev, conf)
            .title(format!("{probe} at {path}"))
            .detail("detail")
            .at(Location {
                method: "GET".into(),
                url: format!("http://127.0.0.1:4000{path}"),
            })
            .build()
    }

    fn report(runs: Vec<ProbeRun>) -> Report {
        Report::new(ReportInput {
            target: "http://127.0.0.1:4000/".into(),
            started_at: time::macros::datetime!(2026-11-03 11:00:00 UTC),
            duration: std::time::Duration::from_millis(10),
            requests_sent: 1,
            runs,
            attestation: None,
            identities: vec![],
            inventory: InventoryCounts::default(),
            backends: vec![],
            warnings: vec![],
        })
    }

    fn ran(item: Item, findings: Vec<Finding>) -> ProbeRun {
        ProbeRun {
            checks: 1,
            findings,
            ..ProbeRun::new("fam", item)
        }
    }

    const TODAY: Date = time::macros::date!(2026 - 11 - 29);

    /// The id the report gives the finding of `probe`.
    fn id_of(report: &Report, probe: &str) -> String {
        report
            .findings
            .iter()
            .find(|f| f.probe == probe)
            .map(|f| f.id.clone())
            .unwrap_or_else(|| panic!("no {probe} finding"))
    }

    fn headers_low() -> Finding {
        finding(
            Item::SecurityHeaders,
            "headers.hsts-missing",
            "/",
            Severity::Low,
            Confidence::Firm,
        )
    }

    fn tenant_high() -> Finding {
        finding(
            Item::TenantIsolation,
            "tenant.read-replay",
            "/api/notes/1",
            Severity::High,
            Confidence::Confirmed,
        )
    }

    #[test]
    fn default_policy_agrees_with_the_scored_gate() {
        let clean = report(vec![ran(Item::SecurityHeaders, vec![headers_low()])]);
        let e = evaluate(&clean, &GatePolicy::default(), TODAY);
        assert_eq!(e.gate.passed, clean.gate.passed);
        assert!(e.gate.passed);

        let bad = report(vec![ran(Item::TenantIsolation, vec![tenant_high()])]);
        let e = evaluate(&bad, &GatePolicy::default(), TODAY);
        assert!(!e.gate.passed && !bad.gate.passed);
        assert!(e.gate.reasons[0].starts_with("item 1 tenant-isolation failed: PR-"));

        let errored = report(vec![ProbeRun::errored("jwt", Item::Authentication, "boom")]);
        let e = evaluate(&errored, &GatePolicy::default(), TODAY);
        assert!(!e.gate.passed);
        assert_eq!(e.gate.reasons, vec!["probe jwt (authentication) errored"]);
    }

    #[test]
    fn fail_on_moves_the_threshold() {
        let r = report(vec![ran(Item::SecurityHeaders, vec![headers_low()])]);
        let with = |fail_on| GatePolicy {
            fail_on,
            ..GatePolicy::default()
        };
        assert!(evaluate(&r, &with(FailOn::FailingItems), TODAY).gate.passed);
        assert!(!evaluate(&r, &with(FailOn::Warn), TODAY).gate.passed);
        assert!(
            !evaluate(&r, &with(FailOn::Severity(Severity::Low)), TODAY)
                .gate
                .passed
        );
        let r = report(vec![ran(Item::TenantIsolation, vec![tenant_high()])]);
        assert!(
            evaluate(&r, &with(FailOn::Severity(Severity::Critical)), TODAY)
                .gate
                .passed
        );
        assert_eq!(
            FailOn::parse("HIGH").unwrap(),
            FailOn::Severity(Severity::High)
        );
        assert!(
            FailOn::parse("severe")
                .unwrap_err()
                .to_string()
                .contains("--fail-on")
        );
    }

    #[test]
    fn policy_rules_most_specific_wins() {
        let policy = PolicyFile::parse(
            "[rules]\n\"tenant-isolation\" = \"ignore\"\n\"tenant.read-replay\" = \"warn\"\n\"headers\" = \"fail\"\n",
        )
        .unwrap();
        let r = report(vec![
            ran(Item::TenantIsolation, vec![tenant_high()]),
            ran(Item::SecurityHeaders, vec![headers_low()]),
        ]);
        let e = evaluate(
            &r,
            &GatePolicy {
                policy: policy.clone(),
                ..GatePolicy::default()
            },
            TODAY,
        );
        // The probe rule (warn) beats the item rule (ignore); the family rule makes a
        // low finding fail.
        assert!(!e.gate.passed);
        assert_eq!(e.gate.reasons.len(), 1);
        assert!(
            e.gate.reasons[0].starts_with("item 6 security-headers"),
            "{:?}",
            e.gate.reasons
        );
        assert!(e.gate.notes[0].contains("tenant.read-replay"));

        let errored = report(vec![ProbeRun::errored(
            "tenant",
            Item::TenantIsolation,
            "boom",
        )]);
        let e = evaluate(
            &errored,
            &GatePolicy {
                policy,
                ..GatePolicy::default()
            },
            TODAY,
        );
        assert!(e.gate.passed, "an ignored item's errors do not fail");

        let with_threshold = PolicyFile::parse("fail_on = \"low\"\n[rules]\n").unwrap();
        assert_eq!(with_threshold.fail_on.as_deref(), Some("low"));
        assert!(
            PolicyFile::parse("fail_on = \"sometimes\"\n")
                .unwrap_err()
                .contains("fail_on `sometimes`")
        );
        let err = PolicyFile::parse("[rules]\n\"Headers!\" = \"warn\"\n").unwrap_err();
        assert!(err.contains("rules.\"Headers!\""), "{err}");
        assert!(PolicyFile::parse("[rules]\nheaders = \"maybe\"\n").is_err());
        assert!(PolicyFile::parse("[rulez]\n").is_err());
    }

    #[test]
    fn suppressions_apply_until_they_expire_and_say_so() {
        let t = tenant_high();
        let r = report(vec![ran(Item::TenantIsolation, vec![t.clone()])]);
        let text = format!(
            "[[suppress]]\nid = \"{}\"\nreason = \"accepted\"\nexpires = 2026-11-29\n\
             [[suppress]]\nid = \"PR-000000000000\"\nreason = \"gone\"\nexpires = 2027-01-01\n",
            t.id
        );
        let suppressions = parse_suppressions(&text).unwrap();
        let policy = GatePolicy {
            suppressions,
            ..GatePolicy::default()
        };
        let e = evaluate(&r, &policy, TODAY);
        assert!(e.gate.passed, "{:?}", e.gate);
        assert_eq!(e.suppressions[0].state, SuppressionState::Active);
        assert_eq!(e.suppressions[0].expires, "2026-11-29");
        assert_eq!(e.suppressions[1].state, SuppressionState::Unmatched);

        let tomorrow = TODAY.next_day().unwrap();
        let e = evaluate(&r, &policy, tomorrow);
        assert!(!e.gate.passed);
        assert_eq!(e.suppressions[0].state, SuppressionState::Expired);
        assert!(
            e.gate.notes[0].contains("expired on 2026-11-29"),
            "{:?}",
            e.gate.notes
        );

        assert!(
            parse_suppressions("[[suppress]]\nid = \"x\"\nreason = \"r\"\nexpires = 2027-01-01\n")
                .unwrap_err()
                .contains("suppress[0].id")
        );
        assert!(
            parse_suppressions(&format!(
                "[[suppress]]\nid = \"{}\"\nreason = \" \"\nexpires = 2027-01-01\n",
                t.id
            ))
            .unwrap_err()
            .contains("reason")
        );
        assert!(
            parse_suppressions(&format!(
                "[[suppress]]\nid = \"{}\"\nreason = \"r\"\nexpires = \"soon\"\n",
                t.id
            ))
            .is_err()
        );
    }

    #[test]
    fn baseline_marks_new_unchanged_fixed_and_fail_on_new_gates_only_new() {
        let old = report(vec![
            ran(Item::TenantIsolation, vec![tenant_high()]),
            ran(Item::SecurityHeaders, vec![headers_low()]),
        ]);
        let err = finding(
            Item::ErrorHandling,
            "errors.stack-trace",
            "/boom",
            Severity::Medium,
            Confidence::Firm,
        );
        let new = report(vec![
            ran(Item::TenantIsolation, vec![tenant_high()]),
            ran(Item::ErrorHandling, vec![err.clone()]),
        ]);
        // Headers and error signatures are grouped: the report knows them by group id.
        let err_id = id_of(&new, "errors.stack-trace");
        let headers_id = id_of(&old, "headers.hsts-missing");
        assert_ne!(err_id, err.id);
        let d = diff(&old, &new);
        assert_eq!(d.new, vec![err_id.clone()]);
        assert_eq!(d.unchanged, vec![tenant_high().id]);
        assert_eq!(d.fixed.len(), 1);
        assert_eq!(d.fixed[0].id, headers_id);

        let policy = GatePolicy {
            baseline: Some(old.clone()),
            fail_on_new: true,
            ..GatePolicy::default()
        };
        let e = evaluate(&new, &policy, TODAY);
        assert!(!e.gate.passed);
        assert_eq!(e.gate.reasons.len(), 1, "{:?}", e.gate.reasons);
        assert!(e.gate.reasons[0].contains(&err_id));
        let applied = apply(new.clone(), &policy, TODAY);
        assert_eq!(applied.baseline_state(&err_id), Some(BaselineState::New));
        assert_eq!(
            applied.baseline_state(&headers_id),
            Some(BaselineState::Fixed)
        );

        // Only unchanged findings left: --fail-on-new passes, the plain gate does not.
        let same = report(vec![ran(Item::TenantIsolation, vec![tenant_high()])]);
        assert!(evaluate(&same, &policy, TODAY).gate.passed);
        let plain = GatePolicy {
            baseline: Some(old),
            ..GatePolicy::default()
        };
        assert!(!evaluate(&same, &plain, TODAY).gate.passed);
    }

    fn cors_on(path: &str) -> Finding {
        finding(
            Item::SecurityHeaders,
            "cors.null-origin-with-credentials",
            path,
            Severity::High,
            Confidence::Firm,
        )
    }

    fn suppress(ids: &[&str]) -> Vec<Suppression> {
        ids.iter()
            .map(|id| Suppression {
                id: id.to_string(),
                reason: "accepted".into(),
                expires: time::macros::date!(2027 - 01 - 31),
            })
            .collect()
    }

    #[test]
    fn suppressions_of_per_route_ids_still_match_grouped_findings() {
        let a = cors_on("/api/a");
        let b = cors_on("/api/b");
        let r = report(vec![ran(Item::SecurityHeaders, vec![a.clone(), b.clone()])]);
        assert_eq!(r.findings.len(), 1);
        let group = r.findings[0].id.clone();
        assert!(r.findings[0].ids().any(|id| id == a.id));
        let with = |ids: &[&str]| GatePolicy {
            suppressions: suppress(ids),
            ..GatePolicy::default()
        };

        // One route's old id: it matches, sets that route aside, and the other still fails.
        let e = evaluate(&r, &with(&[&a.id]), TODAY);
        assert_eq!(e.suppressions[0].state, SuppressionState::Active);
        assert!(!e.gate.passed, "{:?}", e.gate);
        assert!(e.gate.reasons[0].contains(&group), "{:?}", e.gate.reasons);
        assert!(
            e.gate
                .notes
                .iter()
                .any(|n| n.contains("cover 1 of the 2 routes")),
            "{:?}",
            e.gate.notes
        );
        let applied = apply(r.clone(), &with(&[&a.id]), TODAY);
        assert!(applied.suppression_of(&applied.findings[0]).is_none());
        assert!(applied.suppression(&a.id).is_some());

        // Every route's old id, or the group's id: the finding is set aside whole.
        for ids in [vec![a.id.as_str(), b.id.as_str()], vec![group.as_str()]] {
            let e = evaluate(&r, &with(&ids), TODAY);
            assert!(e.gate.passed, "{ids:?}: {:?}", e.gate);
            assert!(
                e.suppressions
                    .iter()
                    .all(|s| s.state == SuppressionState::Active)
            );
            let applied = apply(r.clone(), &with(&ids), TODAY);
            assert!(applied.suppression_of(&applied.findings[0]).is_some());
        }
    }

    #[test]
    fn a_grouped_report_compares_with_one_written_per_route() {
        let (a, b, c) = (cors_on("/api/a"), cors_on("/api/b"), cors_on("/api/c"));
        // A report from before grouping: one finding per route, under per-route ids.
        let mut old = report(vec![ran(
            Item::SecurityHeaders,
            vec![a.clone(), b.clone(), c.clone()],
        )]);
        old.findings = vec![a.clone(), b.clone(), c.clone()]
            .into_iter()
            .map(|mut f| {
                f.discriminator.clear();
                f
            })
            .collect();
        // Now /api/c is fixed and /api/d is new, in one group.
        let d_route = cors_on("/api/d");
        let new = report(vec![ran(
            Item::SecurityHeaders,
            vec![a.clone(), b.clone(), d_route],
        )]);
        let group = new.findings[0].id.clone();
        let d = diff(&old, &new);
        assert_eq!(d.unchanged, vec![group.clone()]);
        assert!(d.new.is_empty());
        let fixed: Vec<&str> = d.fixed.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(fixed, vec![c.id.as_str()]);
        // Grouped against grouped: the group id matches.
        let again = diff(&new, &new);
        assert_eq!(again.unchanged, vec![group]);
        assert!(again.new.is_empty() && again.fixed.is_empty());
    }
}
