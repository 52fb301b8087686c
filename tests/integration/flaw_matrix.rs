//! Every flaw of the test app makes exactly its own item fail; the hardened app fails none.

use prodready::model::{Item, Status};

use crate::common;

/// Items that some probe of this version scores; flaws of other items are skipped.
fn probed() -> Vec<Item> {
    let catalog = prodready::catalog::ProbeCatalog::builtin().expect("catalog loads");
    prodready::engine::probed_items(&catalog)
}

fn failing(report: &prodready::report::Report) -> Vec<Item> {
    report
        .items
        .iter()
        .filter(|i| i.status == Status::Fail)
        .map(|i| i.key)
        .collect()
}

/// Flaws only one probe can see, and that probe: a failure from anything else would
/// not prove the probe works.
const CAUGHT_BY: &[(&str, &str)] = &[
    ("login-sql-error", "errors.body-field-leak"),
    ("credentials-in-bundle", "secrets.hardcoded-credentials"),
    (
        "cors-suffix-match",
        "cors.reflected-origin-with-credentials",
    ),
    ("static-csp-nonce", "headers.csp-static-nonce"),
    ("rolling-session-cookie", "cookies.session-without-httponly"),
    ("rls-off-notes", "supabase.canary-writable-across-tenants"),
    (
        "rls-owner-only-on-select",
        "supabase.rows-writable-in-another-users-name",
    ),
    ("public-bucket", "supabase.storage-readable-across-tenants"),
    (
        "service-role-key-in-bundle",
        "supabase.service-key-in-client",
    ),
];

/// Scans running at once: each has its own app, so they do not disturb each other.
const PARALLEL_SCANS: usize = 3;

/// Flaws that share their item's probe ids with other flaws: the finding (probe id and
/// a phrase of its detail) that must be among those failing the item.
const FINDING_OF: &[(&str, &str, &str)] = &[
    (
        "signup-role",
        "mass.privileged-field-accepted",
        "signed up a new account",
    ),
    // Only an origin derived from the trusted origin gets through a suffix match.
    (
        "cors-suffix-match",
        "cors.reflected-origin-with-credentials",
        "suffix match of https://app.ledgerline.example",
    ),
];

/// Whether `report` holds the finding [`FINDING_OF`] names for `flaw` (any, if none).
fn has_expected_finding(flaw: &str, report: &prodready::report::Report) -> bool {
    FINDING_OF
        .iter()
        .filter(|(f, _, _)| *f == flaw)
        .all(|(_, probe, phrase)| {
            report
                .findings
                .iter()
                .any(|f| f.probe == *probe && f.detail.contains(phrase))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_flaw_fails_exactly_its_item() {
    let probed = probed();
    for (name, _) in CAUGHT_BY {
        assert!(
            testserver::Flaw::from_name(name).is_some(),
            "no flaw {name}"
        );
    }
    let mut flaws = Vec::new();
    for flaw in testserver::Flaw::ALL {
        let item = flaw.item();
        if probed.contains(&item) {
            flaws.push((*flaw, item));
        } else {
            eprintln!(
                "skipping flaw {}: no probe scores {} yet",
                flaw.name(),
                item.key()
            );
        }
    }
    assert!(!flaws.is_empty(), "no flaw was checked");
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL_SCANS));
    let mut scans = tokio::task::JoinSet::new();
    for (flaw, item) in flaws {
        let semaphore = semaphore.clone();
        scans.spawn(async move {
            let _slot = semaphore.acquire_owned().await.expect("semaphore open");
            // A flaw of a backend mode lives in that mode of the app.
            let server = common::app_in(flaw.backend(), flaw.name()).await;
            let report = common::scan(common::config(&server)).await;
            server.shutdown().await;
            (flaw, item, report)
        });
    }
    let mut problems = Vec::new();
    while let Some(joined) = scans.join_next().await {
        let (flaw, item, report) = joined.expect("scan task");
        let failing = failing(&report);
        if failing != vec![item] {
            problems.push(format!(
                "flaw {} should fail only {}, failed {failing:?}",
                flaw.name(),
                item.key()
            ));
            continue;
        }
        let evidence = report
            .item(item)
            .expect("item present")
            .findings
            .iter()
            .filter_map(|id| report.finding(id))
            .flat_map(|f| &f.evidence)
            .count();
        if evidence == 0 {
            problems.push(format!(
                "flaw {} failed {} without evidence",
                flaw.name(),
                item.key()
            ));
        }
        let probes: Vec<&str> = report.findings.iter().map(|f| f.probe.as_str()).collect();
        for (_, probe) in CAUGHT_BY.iter().filter(|(name, _)| *name == flaw.name()) {
            if !probes.contains(probe) {
                problems.push(format!(
                    "flaw {} failed {} but not through {probe}: {probes:?}",
                    flaw.name(),
                    item.key()
                ));
            }
        }
        if report.gate.passed {
            problems.push(format!("flaw {}: the gate passed", flaw.name()));
        }
        if !has_expected_finding(flaw.name(), &report) {
            problems.push(format!(
                "flaw {} failed {} without its own finding",
                flaw.name(),
                item.key()
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_app_fails_nothing_and_passes_probed_items() {
    let server = common::app("none").await;
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    assert_eq!(
        failing(&report),
        Vec::<Item>::new(),
        "hardened app: {:#?}",
        report.items
    );
    for item in probed() {
        assert_eq!(
            report.item(item).map(|i| i.status),
            Some(Status::Pass),
            "{item} on the hardened app: {:?}",
            report.item(item)
        );
    }
    assert_eq!(
        report.item(Item::CodeOwnership).map(|i| i.status),
        Some(Status::Manual)
    );
    assert!(report.gate.passed, "{:?}", report.gate);
    // A signup that refuses privileged fields is judged without making an account.
    assert!(
        !report
            .warnings
            .iter()
            .any(|w| w.contains("was not removed")),
        "{:?}",
        report.warnings
    );
}

/// Each backend mode, hardened, fails nothing and checks tables for the tenant pair.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_backend_modes_fail_nothing_and_check_tables() {
    for backend in testserver::Backend::ALL {
        let server = common::app_in(Some(*backend), "none").await;
        let report = common::scan(common::config(&server)).await;
        server.shutdown().await;
        assert_eq!(
            failing(&report),
            Vec::<Item>::new(),
            "hardened {} mode: {:#?}",
            backend.name(),
            report.items
        );
        let tables: Vec<_> = report
            .probes
            .iter()
            .filter(|p| p.item == Item::TenantIsolation)
            .flat_map(|p| &p.tables)
            .filter(|t| t.reads.iter().any(|r| r.rows.is_some()))
            .collect();
        assert!(
            !tables.is_empty(),
            "{}: no table checked for the tenant pair: {:#?}",
            backend.name(),
            report.probes
        );
        assert_eq!(
            report.item(Item::TenantIsolation).map(|i| i.status),
            Some(Status::Pass),
            "{}",
            backend.name()
        );
        assert!(report.gate.passed, "{}: {:?}", backend.name(), report.gate);
        assert!(
            report.backends.iter().any(|b| b.in_scope),
            "{:?}",
            report.backends
        );
        if *backend == testserver::Backend::Firebase {
            firebase_checks_collections_per_tenant_pair(&report);
        }
    }
}

/// The Firebase mode, hardened: both of its items pass, the pair tried collections and
/// paths, and every canary went away.
fn firebase_checks_collections_per_tenant_pair(report: &prodready::report::Report) {
    for item in [Item::TenantIsolation, Item::ServerSideFiltering] {
        assert_eq!(
            report.item(item).map(|i| i.status),
            Some(Status::Pass),
            "{item}: {:?}",
            report.item(item)
        );
    }
    let run = report
        .probes
        .iter()
        .find(|p| p.probe == "firebase" && p.item == Item::TenantIsolation)
        .expect("the firebase family scored tenant isolation");
    let pair_checked: Vec<&str> = run
        .tables
        .iter()
        .filter(|t| {
            t.reads
                .iter()
                .any(|r| r.identity == prodready::model::IdentityId::B)
        })
        .map(|t| t.name.as_str())
        .collect();
    assert!(
        pair_checked.contains(&"notes") && pair_checked.len() >= 3,
        "collections and paths tried from a to b: {pair_checked:?}"
    );
    assert!(
        run.notes
            .iter()
            .any(|n| n.contains("Firebase collections and paths from a to b")),
        "{:?}",
        run.notes
    );
    for t in &run.tables {
        if t.writes.iter().any(|w| w.action == "create" && w.changed) {
            assert_eq!(t.cleanup, ["removed by a, verified gone"], "{t:?}");
        }
    }
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}
