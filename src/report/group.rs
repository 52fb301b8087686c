//! One finding per problem, not per route: the instances of a probe on many routes (a
//! header missing from every response, a CORS trick every API route answers) become one
//! finding that lists its routes, each with the id it had alone.
//!
//! Ids stay stable: a grouped finding's id hashes the probe and its discriminator
//! ([`group_id`]), never a route, and each listed route keeps its per-route id, which is
//! what suppressions and baselines written before grouping name.

use std::collections::HashMap;

use crate::checklist::weight;
use crate::model::{Evidence, Finding, Occurrence, ProbeRun, Status, family_of, group_id};

/// How many routes a grouped finding lists; the rest are counted in `more_locations`.
pub const MAX_LOCATIONS: usize = 50;

/// How many evidence entries a finding keeps when duplicates of it are merged in.
pub const MAX_MERGED_EVIDENCE: usize = 5;

/// How a probe's findings on several routes are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One finding per route: each route is a flaw of its own, proven on that route,
    /// fixed and retested there.
    PerRoute,
    /// One finding per probe and discriminator (a header check, a cookie's name, a kind
    /// of malformed body): one cause, usually one fix, seen on many routes.
    ByKind,
    /// One finding per probe: the discriminator only repeats the route (passive
    /// signatures key their findings by route pattern).
    ByProbe,
}

/// How findings of `probe` are grouped, decided per family.
pub fn grouping(probe: &str) -> Grouping {
    match probe {
        // The error probe sends one route's own body fields an error-triggering value:
        // each finding is that handler's input path, named by its field.
        "errors.body-field-leak" => Grouping::PerRoute,
        _ => match family_of(probe) {
            // Response headers, CORS answers and cookie flags come from one place in the
            // app (a middleware, a proxy, the session config); a missing body validation
            // of one kind is the same gap on every route. The one-per-route noise.
            "headers" | "cors" | "cookies" | "bundle" | "input" => Grouping::ByKind,
            // Signatures of error pages and secrets, and the catalog's known paths: a
            // stack trace on 28 routes is one debug setting; a key is one key wherever it
            // shows.
            "errors" | "secrets" | "debug" | "exposed" => Grouping::ByProbe,
            // Tenant and role replays, filtering, authentication, JWT, mass assignment,
            // rate limits, transactions and audit records: each route (or action) is its
            // own proven flaw with its own evidence, and there are few of them.
            _ => Grouping::PerRoute,
        },
    }
}

/// Turns each finding of a grouped probe into a group of one: the group's id, and its
/// route listed under the id it had alone. Discriminators are consumed here.
pub(super) fn regroup(runs: &mut [ProbeRun]) {
    for f in runs.iter_mut().flat_map(|r| r.findings.iter_mut()) {
        let discriminator = std::mem::take(&mut f.discriminator);
        let key = match grouping(&f.probe) {
            Grouping::PerRoute => continue,
            Grouping::ByKind => discriminator,
            Grouping::ByProbe => String::new(),
        };
        if f.is_grouped() {
            continue;
        }
        f.locations = f.occurrences();
        f.id = group_id(&f.probe, &key);
    }
}

/// Folds findings with the same id into the first one seen and returns them in
/// first-seen order. A group gathers its routes (the heaviest leads: its rating, title,
/// detail and location); the same route seen twice, or a finding of one route seen by
/// two runs, only adds evidence, up to [`MAX_MERGED_EVIDENCE`]. Each run keeps the
/// findings it reported first, folded, so scoring counts each finding once.
pub(super) fn fold(runs: &mut [ProbeRun]) -> Vec<Finding> {
    let mut kept: Vec<Finding> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut firsts: Vec<Vec<usize>> = Vec::with_capacity(runs.len());
    for run in runs.iter_mut() {
        let mut mine = Vec::new();
        for finding in std::mem::take(&mut run.findings) {
            match index.get(&finding.id) {
                Some(&at) => merge(&mut kept[at], finding),
                None => {
                    index.insert(finding.id.clone(), kept.len());
                    mine.push(kept.len());
                    kept.push(finding);
                }
            }
        }
        firsts.push(mine);
    }
    for f in &mut kept {
        // Heaviest first; the lead is the first of the heaviest, so a stable sort keeps
        // it in front.
        f.locations
            .sort_by_key(|o| std::cmp::Reverse(heft(o.severity, o.confidence)));
    }
    for (run, mine) in runs.iter_mut().zip(firsts) {
        run.findings = mine.into_iter().map(|at| kept[at].clone()).collect();
    }
    kept
}

/// Cuts each grouped finding's routes to [`MAX_LOCATIONS`], counting the rest.
pub(super) fn bound(findings: &mut [Finding]) {
    for f in findings {
        if f.locations.len() > MAX_LOCATIONS {
            let rest = f.locations.len() - MAX_LOCATIONS;
            f.more_locations += u32::try_from(rest).unwrap_or(u32::MAX);
            f.locations.truncate(MAX_LOCATIONS);
        }
    }
}

/// What a rating weighs: whether it fails or warns its item, then severity, confidence.
fn heft(
    severity: crate::model::Severity,
    confidence: crate::model::Confidence,
) -> (u8, crate::model::Severity, crate::model::Confidence) {
    let rank = match weight(severity, confidence) {
        Status::Fail => 2,
        Status::Warn => 1,
        _ => 0,
    };
    (rank, severity, confidence)
}

fn merge(into: &mut Finding, more: Finding) {
    if !into.is_grouped() {
        merge_evidence(&mut into.evidence, more.evidence);
        return;
    }
    let mut new_routes: Vec<Occurrence> = Vec::new();
    for o in more.locations.iter() {
        if !into.locations.iter().any(|k| k.id == o.id) && !new_routes.contains(o) {
            new_routes.push(o.clone());
        }
    }
    let heavier = new_routes
        .iter()
        .any(|o| heft(o.severity, o.confidence) > heft(into.severity, into.confidence));
    into.locations.extend(new_routes);
    if heavier {
        // The heavier route leads: its words and its evidence come first.
        let Finding {
            severity,
            confidence,
            title,
            detail,
            location,
            evidence,
            remediation,
            ..
        } = more;
        let older = std::mem::take(&mut into.evidence);
        into.severity = severity;
        into.confidence = confidence;
        into.title = title;
        into.detail = detail;
        into.location = location;
        if !remediation.is_empty() {
            into.remediation = remediation;
        }
        merge_evidence(&mut into.evidence, evidence);
        merge_evidence(&mut into.evidence, older);
    } else {
        merge_evidence(&mut into.evidence, more.evidence);
    }
}

fn merge_evidence(into: &mut Vec<Evidence>, more: Vec<Evidence>) {
    for e in more {
        if into.len() >= MAX_MERGED_EVIDENCE {
            break;
        }
        if !into.contains(&e) {
            into.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{
        Confidence, IdentityId, Item, Location, RequestExcerpt, Severity, Status, group_id,
    };
    use crate::report::{InventoryCounts, Report, ReportInput};

    fn at(method: &str, path: &str) -> Location {
        Location {
            method: method.into(),
            url: format!("http://127.0.0.1:4000{path}"),
        }
    }

    fn evidence(path: &str) -> Evidence {
        Evidence {
            label: format!("answer of {path}"),
            request: RequestExcerpt {
                identity: IdentityId::Anonymous,
                method: "GET".into(),
                url: format!("http://127.0.0.1:4000{path}"),
                headers: vec![],
                body: None,
            },
            response: None,
            matched: None,
        }
    }

    fn finding(
        item: Item,
        probe: &str,
        path: &str,
        discriminator: &str,
        rating: (Severity, Confidence),
    ) -> Finding {
        Finding::builder(item, probe)
            .rated(rating.0, rating.1)
            .title(format!("{probe} on {path}"))
            .detail("detail")
            .at(at("GET", path))
            .discriminator(discriminator)
            .evidence(evidence(path))
            .build()
    }

    fn nosniff(path: &str) -> Finding {
        let p = "headers.nosniff-missing";
        finding(
            Item::SecurityHeaders,
            p,
            path,
            p,
            (Severity::Low, Confidence::Firm),
        )
    }

    fn report(runs: Vec<ProbeRun>) -> Report {
        Report::new(ReportInput {
            target: "http://127.0.0.1:4000/".into(),
            started_at: time::macros::datetime!(2026-11-03 11:00:00 UTC),
            duration: Duration::from_millis(10),
            requests_sent: 1,
            runs,
            attestation: None,
            identities: vec![],
            inventory: InventoryCounts::default(),
            backends: vec![],
            warnings: vec![],
        })
    }

    fn ran(probe: &str, item: Item, findings: Vec<Finding>) -> ProbeRun {
        ProbeRun {
            checks: 1,
            findings,
            ..ProbeRun::new(probe, item)
        }
    }

    #[test]
    fn one_header_check_on_many_routes_is_one_finding_listing_them() {
        let routes = ["/", "/api/a", "/api/items/7", "/api/items/9?x=1"];
        let per_route: Vec<Finding> = routes.iter().map(|p| nosniff(p)).collect();
        let r = report(vec![ran(
            "headers",
            Item::SecurityHeaders,
            per_route.clone(),
        )]);
        assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
        let f = &r.findings[0];
        assert_eq!(
            f.id,
            group_id("headers.nosniff-missing", "headers.nosniff-missing")
        );
        // Each route keeps the id it had alone, in first-seen order at equal weight.
        let listed: Vec<&str> = f.locations.iter().map(|o| o.id.as_str()).collect();
        let alone: Vec<&str> = per_route.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(listed, alone);
        assert_eq!(f.location, per_route[0].location);
        assert_eq!(f.evidence.len(), 4);
        assert_eq!(f.more_locations, 0);
        assert!(f.discriminator.is_empty());
        let item = r.item(Item::SecurityHeaders).unwrap();
        assert_eq!(item.status, Status::Warn);
        assert_eq!(item.worst.as_deref(), Some(f.id.as_str()));
        // Routes are method and route pattern: /api/items/7 and /api/items/9?x=1 are one.
        assert_eq!(item.routes, 3);
        assert!(
            item.summary.starts_with("1 weakness finding on 3 routes: "),
            "{}",
            item.summary
        );
        assert_eq!(r.probes[0].findings, vec![f.id.clone()]);
    }

    #[test]
    fn group_ids_do_not_depend_on_hosts_object_ids_or_order() {
        let first = report(vec![ran(
            "headers",
            Item::SecurityHeaders,
            vec![nosniff("/api/items/7"), nosniff("/")],
        )]);
        let mut other = nosniff("/api/items/123");
        other.location.url = "http://127.0.0.1:5000/api/items/123".into();
        let second = report(vec![ran(
            "headers",
            Item::SecurityHeaders,
            vec![nosniff("/"), other],
        )]);
        assert_eq!(first.findings[0].id, second.findings[0].id);
        let ids = |r: &Report| {
            let mut ids: Vec<String> = r.findings[0]
                .locations
                .iter()
                .map(|o| o.id.clone())
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(&first), ids(&second));
    }

    #[test]
    fn each_family_groups_by_its_rule() {
        let pair = (Severity::Critical, Confidence::Confirmed);
        let tenant = vec![
            finding(
                Item::TenantIsolation,
                "tenant.read-replay",
                "/api/a/1",
                "",
                pair,
            ),
            finding(
                Item::TenantIsolation,
                "tenant.read-replay",
                "/api/b/1",
                "",
                pair,
            ),
        ];
        let low = (Severity::Medium, Confidence::Firm);
        let cookies = vec![
            finding(
                Item::Authentication,
                "cookies.without-secure",
                "/login",
                "c:sid",
                low,
            ),
            finding(
                Item::Authentication,
                "cookies.without-secure",
                "/api/login",
                "c:sid",
                low,
            ),
            finding(
                Item::Authentication,
                "cookies.without-secure",
                "/login",
                "c:csrf",
                low,
            ),
        ];
        // Passive signatures use the route pattern as discriminator.
        let traces = vec![
            finding(
                Item::ErrorHandling,
                "errors.stack-trace-rust",
                "/a",
                "/a",
                low,
            ),
            finding(
                Item::ErrorHandling,
                "errors.stack-trace-rust",
                "/b",
                "/b",
                low,
            ),
            finding(
                Item::ErrorHandling,
                "errors.body-field-leak",
                "/a",
                "email",
                low,
            ),
            finding(
                Item::ErrorHandling,
                "errors.body-field-leak",
                "/b",
                "email",
                low,
            ),
        ];
        let r = report(vec![
            ran("tenant", Item::TenantIsolation, tenant.clone()),
            ran("cookies", Item::Authentication, cookies),
            ran("errors", Item::ErrorHandling, traces),
        ]);
        let count = |probe: &str| r.findings.iter().filter(|f| f.probe == probe).count();
        assert_eq!(count("tenant.read-replay"), 2);
        assert_eq!(count("cookies.without-secure"), 2, "one per cookie");
        assert_eq!(count("errors.stack-trace-rust"), 1);
        assert_eq!(count("errors.body-field-leak"), 2);
        // Findings of one route keep their shape and id.
        let t = r.finding(&tenant[0].id).expect("per-route id kept");
        assert!(!t.is_grouped() && t.locations.is_empty());
        assert_eq!(grouping("headers.csp-missing"), Grouping::ByKind);
        assert_eq!(
            grouping("secrets.stripe-live-secret-key"),
            Grouping::ByProbe
        );
        assert_eq!(grouping("roles.member-reads-admin"), Grouping::PerRoute);
        let errors = r.item(Item::ErrorHandling).unwrap();
        assert_eq!(errors.routes, 2);
        assert_eq!(errors.findings.len(), 3);
    }

    #[test]
    fn the_heaviest_route_leads_and_decides_the_verdict() {
        let p = "headers.csp-missing";
        let h = Item::SecurityHeaders;
        let tentative = finding(h, p, "/a", p, (Severity::High, Confidence::Tentative));
        let firm = finding(h, p, "/b", p, (Severity::Medium, Confidence::Firm));
        let low = finding(h, p, "/c", p, (Severity::Low, Confidence::Confirmed));
        let r = report(vec![ran(
            "headers",
            h,
            vec![tentative.clone(), low, firm.clone()],
        )]);
        assert_eq!(r.findings.len(), 1);
        let f = &r.findings[0];
        // Medium and firm fails the item; high but tentative only warns.
        assert_eq!(
            (f.severity, f.confidence),
            (Severity::Medium, Confidence::Firm)
        );
        assert_eq!(f.title, firm.title);
        assert_eq!(f.location, firm.location);
        assert_eq!(f.evidence[0], firm.evidence[0]);
        assert_eq!(f.locations[0].id, firm.id);
        assert_eq!(f.locations[1].id, tentative.id);
        assert_eq!(r.item(h).unwrap().status, Status::Fail);
        // Grouping never changes a verdict: the same finding alone fails too.
        let alone = report(vec![ran("headers", h, vec![firm])]);
        assert_eq!(alone.item(h).unwrap().status, Status::Fail);
    }

    #[test]
    fn routes_past_the_bound_are_counted_not_listed() {
        let many: Vec<Finding> = (0..MAX_LOCATIONS + 10)
            .map(|n| nosniff(&format!("/page-{n}")))
            .collect();
        let r = report(vec![ran("headers", Item::SecurityHeaders, many)]);
        let f = &r.findings[0];
        assert_eq!(f.locations.len(), MAX_LOCATIONS);
        assert_eq!(f.more_locations, 10);
        assert_eq!(f.route_count(), MAX_LOCATIONS + 10);
        assert_eq!(f.evidence.len(), MAX_MERGED_EVIDENCE);
        assert_eq!(
            r.item(Item::SecurityHeaders).unwrap().routes,
            u32::try_from(MAX_LOCATIONS + 10).unwrap()
        );
    }

    #[test]
    fn a_route_two_runs_saw_is_listed_once() {
        let r = report(vec![
            ran(
                "headers",
                Item::SecurityHeaders,
                vec![nosniff("/"), nosniff("/a")],
            ),
            ran("headers", Item::SecurityHeaders, vec![nosniff("/a")]),
        ]);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].locations.len(), 2);
        // Both runs say they saw it; scoring counts it once.
        assert!(
            r.probes
                .iter()
                .all(|p| p.findings == vec![r.findings[0].id.clone()])
        );
        assert_eq!(r.item(Item::SecurityHeaders).unwrap().findings.len(), 1);
    }
}
