//! The pure scoring function: probe runs in, twelve verdicts out.

use serde::Serialize;

use crate::model::{Attestation, Confidence, Finding, Item, ProbeRun, RunState, Severity, Status};

/// The verdict for one checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemVerdict {
    pub item: Item,
    pub status: Status,
    pub summary: String,
    /// Ids of the findings behind the verdict.
    pub findings: Vec<String>,
}

/// Whether a finding fails its item, only warns, or is informational.
fn weight(f: &Finding) -> Status {
    match (f.severity, f.confidence) {
        (Severity::Info, _) => Status::Pass,
        (Severity::Low, _) | (_, Confidence::Tentative) => Status::Warn,
        _ => Status::Fail,
    }
}

/// Scores every item from the probe runs. An item passes only when a probe for it ran
/// checks and none of them failed, errored or stayed undecided.
pub fn score(runs: &[ProbeRun], attestation: Option<&Attestation>) -> Vec<ItemVerdict> {
    Item::ALL
        .iter()
        .map(|&item| score_item(item, runs, attestation))
        .collect()
}

fn score_item(item: Item, runs: &[ProbeRun], attestation: Option<&Attestation>) -> ItemVerdict {
    let mine: Vec<&ProbeRun> = runs.iter().filter(|r| r.item == item).collect();
    let findings: Vec<&Finding> = mine.iter().flat_map(|r| &r.findings).collect();
    let ids = findings.iter().map(|f| f.id.clone()).collect();
    // Headlines (e.g. a header grade) lead the summary whatever the verdict.
    let headlines: Vec<&str> = mine.iter().filter_map(|r| r.headline.as_deref()).collect();
    let verdict = |status, summary: String| ItemVerdict {
        item,
        status,
        summary: if headlines.is_empty() {
            summary
        } else {
            format!("{}; {summary}", headlines.join("; "))
        },
        findings: ids,
    };

    if item == Item::CodeOwnership {
        let summary = match attestation {
            Some(a) => format!(
                "attested by {} (code at {}); not observable from outside, so not measured",
                a.attested_by, a.repository
            ),
            None => "not observable from outside; attest it with [attestation] in the config"
                .to_string(),
        };
        return verdict(Status::Manual, summary);
    }

    let failing: Vec<&&Finding> = findings
        .iter()
        .filter(|f| weight(f) == Status::Fail)
        .collect();
    if !failing.is_empty() {
        return verdict(Status::Fail, count_summary("failing", &failing));
    }
    let errors: Vec<String> = mine
        .iter()
        .filter_map(|r| match &r.state {
            RunState::Errored { error } => Some(format!("probe {} errored: {error}", r.probe)),
            _ => None,
        })
        .collect();
    if !errors.is_empty() {
        return verdict(Status::Inconclusive, errors.join("; "));
    }
    let warning: Vec<&&Finding> = findings
        .iter()
        .filter(|f| weight(f) == Status::Warn)
        .collect();
    if !warning.is_empty() {
        return verdict(Status::Warn, count_summary("weakness", &warning));
    }
    let undecided: Vec<String> = mine
        .iter()
        .filter_map(|r| match &r.state {
            RunState::Inconclusive { reason } => Some(format!("{}: {reason}", r.probe)),
            _ => None,
        })
        .collect();
    if !undecided.is_empty() {
        return verdict(Status::Inconclusive, undecided.join("; "));
    }
    let ran: Vec<&&ProbeRun> = mine
        .iter()
        .filter(|r| r.state == RunState::Ran && r.checks > 0)
        .collect();
    let not_run: Vec<String> = mine
        .iter()
        .filter_map(|r| match &r.state {
            RunState::NotRun { reason, config_key } => Some(match config_key {
                Some(key) => format!("{reason} (set `{key}`)"),
                None => reason.clone(),
            }),
            _ => None,
        })
        .collect();
    if !ran.is_empty() {
        let checks: u32 = ran.iter().map(|r| r.checks).sum();
        let mut summary = format!("{checks} checks ran, no issue found");
        let notes: Vec<&str> = ran
            .iter()
            .flat_map(|r| r.notes.iter().map(String::as_str))
            .collect();
        if !notes.is_empty() {
            summary.push_str(&format!(" ({})", notes.join("; ")));
        }
        if !not_run.is_empty() {
            summary.push_str(&format!("; not tested: {}", not_run.join("; ")));
        }
        return verdict(Status::Pass, summary);
    }
    if !not_run.is_empty() {
        return verdict(Status::NotTested, not_run.join("; "));
    }
    if mine.is_empty() {
        return verdict(
            Status::NotTested,
            "no probe for this item in this version of prodready".to_string(),
        );
    }
    verdict(
        Status::Inconclusive,
        "probes ran but executed no check".to_string(),
    )
}

/// Names the most severe finding, so the summary leads with what matters most.
fn count_summary(kind: &str, findings: &[&&Finding]) -> String {
    let Some(first) = findings.iter().max_by_key(|f| (f.severity, f.confidence)) else {
        return format!("no {kind} finding");
    };
    match findings.len() {
        1 => format!("1 {kind} finding: {}", first.title),
        n => format!("{n} {kind} findings, e.g. {}", first.title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    fn finding(item: Item, severity: Severity, confidence: Confidence) -> Finding {
        let loc = Location {
            method: "GET".into(),
            url: "http://127.0.0.1/x".into(),
        };
        Finding::builder(item, "t.x")
            .rated(severity, confidence)
            .title("title")
            .detail("detail")
            .at(loc)
            .build()
    }

    fn ran(item: Item, checks: u32, findings: Vec<Finding>) -> ProbeRun {
        ProbeRun {
            checks,
            findings,
            ..ProbeRun::new("t", item)
        }
    }

    fn status_of(runs: &[ProbeRun], item: Item) -> Status {
        score(runs, None)
            .into_iter()
            .find(|v| v.item == item)
            .unwrap()
            .status
    }

    #[test]
    fn twelve_verdicts_in_order_and_unprobed_items_are_not_tested() {
        let verdicts = score(&[], None);
        assert_eq!(verdicts.len(), 12);
        assert!(verdicts.iter().zip(Item::ALL).all(|(v, i)| v.item == i));
        assert_eq!(verdicts[0].status, Status::NotTested);
        assert_eq!(verdicts[11].status, Status::Manual);
    }

    #[test]
    fn no_pass_without_checks() {
        assert_eq!(
            status_of(&[ran(Item::ErrorHandling, 0, vec![])], Item::ErrorHandling),
            Status::Inconclusive
        );
        assert_eq!(
            status_of(&[ran(Item::ErrorHandling, 3, vec![])], Item::ErrorHandling),
            Status::Pass
        );
    }

    #[test]
    fn severity_and_confidence_decide_fail_or_warn() {
        let e = Item::ErrorHandling;
        let high = finding(e, Severity::High, Confidence::Confirmed);
        let tentative = finding(e, Severity::High, Confidence::Tentative);
        let info = finding(e, Severity::Info, Confidence::Confirmed);
        assert_eq!(status_of(&[ran(e, 1, vec![high])], e), Status::Fail);
        assert_eq!(status_of(&[ran(e, 1, vec![tentative])], e), Status::Warn);
        assert_eq!(status_of(&[ran(e, 1, vec![info])], e), Status::Pass);
    }

    #[test]
    fn an_errored_probe_makes_the_item_inconclusive_unless_something_failed() {
        let e = Item::ErrorHandling;
        let errored = ProbeRun::errored("x", e, "connection reset");
        assert_eq!(
            status_of(&[ran(e, 5, vec![]), errored.clone()], e),
            Status::Inconclusive
        );
        let high = finding(e, Severity::High, Confidence::Firm);
        assert_eq!(
            status_of(&[ran(e, 5, vec![high]), errored], e),
            Status::Fail
        );
    }

    #[test]
    fn not_run_names_the_config_key() {
        let run = ProbeRun::not_run(
            "tenant",
            Item::TenantIsolation,
            "needs two tenants",
            Some("identities.b"),
        );
        let v = score(&[run], None);
        assert_eq!(v[0].status, Status::NotTested);
        assert!(v[0].summary.contains("identities.b"), "{}", v[0].summary);
    }

    #[test]
    fn ownership_is_manual_even_when_attested() {
        let a = Attestation {
            attested_by: "CTO".into(),
            repository: "git.example/app".into(),
        };
        let v = score(&[], Some(&a));
        assert_eq!(v[11].status, Status::Manual);
        assert!(v[11].summary.contains("attested by CTO"));
    }
}
