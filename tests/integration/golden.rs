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
