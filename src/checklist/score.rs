//! The pure scoring function: probe runs in, twelve verdicts out.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::{
    Attestation, Confidence, EndpointKey, Finding, Item, ProbeRun, RunState, Severity, Status,
    path_pattern,
};

/// The verdict for one checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemVerdict {
    pub item: Item,
    pub status: Status,
    pub summary: String,
    /// Ids of the findings behind the verdict.
    pub findings: Vec<String>,
    /// The worst finding of a failed or warned item: the one that weighs most, then the
    /// most severe and sure (the smallest id on a tie, so reruns agree).
    pub worst: Option<String>,
    /// How many routes (method and route pattern) the findings that decided a failed or
    /// warned item were seen on: the failing ones of a failed item, the warning ones of
    /// a warned one. Zero for other verdicts.
    pub routes: u32,
}

/// Whether a rating fails its item, only warns, or is informational.
pub fn weight(severity: Severity, confidence: Confidence) -> Status {
    match (severity, confidence) {
        (Severity::Info, _) => Status::Pass,
        (Severity::Low, _) | (_, Confidence::Tentative) => Status::Warn,
        _ => Status::Fail,
    }
}

/// How much a status weighs in scoring: fail over warn over anything else.
fn rank(status: Status) -> u8 {
    match status {
        Status::Fail => 2,
        Status::Warn => 1,
        _ => 0,
    }
}

/// What a finding weighs: its heaviest occurrence, so grouping routes into one finding
/// never changes a verdict.
fn finding_weight(f: &Finding) -> Status {
    f.occurrences()
        .iter()
        .map(|o| weight(o.severity, o.confidence))
        .max_by_key(|s| rank(*s))
        .unwrap_or(Status::Pass)
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
    let ids: Vec<String> = findings.iter().map(|f| f.id.clone()).collect();
    // Headlines (e.g. a header grade) lead the summary, except where findings failed or
    // warned the item: then the findings, their routes and the worst of them come first,
    // so a scorecard that cuts long summaries still shows them.
    let headlines: Vec<&str> = mine.iter().filter_map(|r| r.headline.as_deref()).collect();
    let verdict = |status, summary: String| ItemVerdict {
        item,
        status,
        summary: if headlines.is_empty() {
            summary
        } else {
            format!("{}; {summary}", headlines.join("; "))
        },
        findings: ids.clone(),
        worst: None,
        routes: 0,
    };
    let decided_verdict = |status, d: Decided| ItemVerdict {
        item,
        status,
        summary: if headlines.is_empty() {
            d.summary
        } else {
            format!("{}; {}", d.summary, headlines.join("; "))
        },
        findings: ids.clone(),
        worst: Some(d.worst),
        routes: d.routes,
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

    let failing: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| finding_weight(f) == Status::Fail)
        .collect();
    if !failing.is_empty() {
        return decided_verdict(Status::Fail, decided("failing", &failing));
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
    let warning: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| finding_weight(f) == Status::Warn)
        .collect();
    if !warning.is_empty() {
        return decided_verdict(Status::Warn, decided("weakness", &warning));
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

/// What the findings that failed or warned an item say together.
struct Decided {
    /// How many there are, on how many routes, and the worst of them.
    summary: String,
    worst: String,
    routes: u32,
}

fn decided(kind: &str, findings: &[&Finding]) -> Decided {
    let worst = findings
        .iter()
        .copied()
        .max_by(|a, b| {
            let key = |f: &Finding| (rank(finding_weight(f)), f.severity, f.confidence);
            key(a).cmp(&key(b)).then_with(|| b.id.cmp(&a.id))
        })
        .expect("a verdict is decided by at least one finding");
    let routes: BTreeSet<EndpointKey> = findings
        .iter()
        .flat_map(|f| f.occurrences())
        .map(|o| route_of(&o.method, &o.url))
        .collect();
    // Routes beyond a grouped finding's listed ones are counted but cannot be told
    // apart from listed ones of other findings: count them as distinct.
    let unlisted: usize = findings.iter().map(|f| f.more_locations as usize).sum();
    let routes = u32::try_from(routes.len() + unlisted).unwrap_or(u32::MAX);
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let on = plural(routes as usize, "route", "routes");
    let summary = match findings.len() {
        1 => format!("1 {kind} finding on {on}: {}", worst.title),
        n => format!("{n} {kind} findings on {on}, worst: {}", worst.title),
    };
    Decided {
        summary,
        worst: worst.id.clone(),
        routes,
    }
}

/// A route as the scorecard counts it: the method and the route pattern of the path.
fn route_of(method: &str, url: &str) -> EndpointKey {
    let path = url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.path().to_string());
    EndpointKey::new(method, path_pattern(&path))
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
    fn a_failed_item_leads_with_its_findings_and_a_passed_one_with_its_headline() {
        let h = Item::SecurityHeaders;
        let graded = |findings| ProbeRun {
            headline: Some("grade F".into()),
            ..ran(h, 3, findings)
        };
        let v = score(
            &[graded(vec![finding(h, Severity::High, Confidence::Firm)])],
            None,
        );
        let v = &v[5];
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.summary, "1 failing finding on 1 route: title; grade F");
        assert_eq!(v.routes, 1);
        assert!(v.worst.is_some());
        let v = score(&[graded(vec![])], None);
        assert!(
            v[5].summary.starts_with("grade F; 3 checks ran"),
            "{}",
            v[5].summary
        );
        assert_eq!((v[5].worst.as_ref(), v[5].routes), (None, 0));
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
