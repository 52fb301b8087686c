//! The demo scan's verdicts and the set of probe ids it reports, pinned: a refactor
//! that changes either shows up here (update the files only for an intended change).

use crate::common;

/// `item KEY STATUS` per checklist item, then `probe ID` per distinct probe id found.
fn summary(report: &prodready::report::Report) -> String {
    let mut lines: Vec<String> = report
        .items
        .iter()
        .map(|i| format!("item {} {}", i.key.key(), i.status.as_str()))
        .collect();
    let mut probes: Vec<&str> = report.findings.iter().map(|f| f.probe.as_str()).collect();
    probes.sort();
    probes.dedup();
    lines.extend(probes.iter().map(|p| format!("probe {p}")));
    lines.join("\n") + "\n"
}

async fn check(flaws: &str, golden: &str) {
    let server = common::app(flaws).await;
    let report = common::scan(common::config(&server)).await;
    server.shutdown().await;
    let catalog = prodready::catalog::ProbeCatalog::builtin().expect("catalog loads");
    let families = prodready::engine::family_infos(&catalog);
    for f in &report.findings {
        let family = families.iter().find(|i| i.name == f.family());
        assert!(
            family.is_some_and(|i| i.ids.contains(&f.probe) && i.items.contains(&f.item)),
            "{} ({}) is not declared by a family that scores {}",
            f.probe,
            f.title,
            f.item
        );
    }
    for run in &report.probes {
        for id in &run.findings {
            let f = report.findings.iter().find(|f| &f.id == id);
            assert!(
                f.is_none_or(|f| f.family() == run.probe),
                "the {} run reports {id}, a finding of another family",
                run.probe
            );
        }
    }
    let expected = std::fs::read_to_string(golden).expect("golden file");
    assert_eq!(
        summary(&report),
        expected,
        "the demo scan with flaws `{flaws}` no longer matches {golden}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_with_every_flaw_matches_its_golden_summary() {
    check("all", "tests/data/golden/demo-all.txt").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_demo_matches_its_golden_summary() {
    check("none", "tests/data/golden/demo-none.txt").await;
}
