//! Every flaw of the test app makes exactly its own item fail; the hardened app fails none.

use prodready::checklist::{Item, Status};

use crate::common;

/// Items that some probe of this version scores; flaws of other items are skipped.
fn probed() -> Vec<Item> {
    let catalog = prodready::probe::ProbeCatalog::builtin().expect("catalog loads");
    prodready::probe::probed_items(&catalog)
}

fn failing(report: &prodready::report::Report) -> Vec<Item> {
    report
        .items
        .iter()
        .filter(|i| i.status == Status::Fail)
        .map(|i| i.key)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_flaw_fails_exactly_its_item() {
    let probed = probed();
    let mut checked = 0;
    for flaw in testserver::Flaw::ALL {
        let item = Item::from_key(flaw.item_key()).expect("flaw names a checklist item");
        if !probed.contains(&item) {
            eprintln!(
                "skipping flaw {}: no probe scores {} yet",
                flaw.name(),
                item.key()
            );
            continue;
        }
        let server = common::app(flaw.name()).await;
        let report = common::scan(common::config(&server)).await;
        server.shutdown().await;
        assert_eq!(
            failing(&report),
            vec![item],
            "flaw {} should fail only {}",
            flaw.name(),
            item.key()
        );
        let item_report = report.item(item).expect("item present");
        let evidence = item_report
            .findings
            .iter()
            .filter_map(|id| report.finding(id))
            .flat_map(|f| &f.evidence)
            .count();
        assert!(
            evidence > 0,
            "flaw {} failed {} without evidence",
            flaw.name(),
            item.key()
        );
        assert!(!report.gate.passed);
        checked += 1;
    }
    assert!(checked > 0, "no flaw was checked");
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
}
