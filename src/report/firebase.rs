//! The `firebase` family's per-target evidence, summed up in one line per target for
//! the Markdown and HTML reports (the JSON report carries it whole).

use super::Report;
use crate::model::{FirebaseTarget, IdentityId};

/// One row: service, name, reads, writes tried, cleanup.
pub(super) struct Row {
    pub service: String,
    pub name: String,
    pub reads: String,
    pub writes: String,
    pub cleanup: String,
}

/// Every Firebase target of every run, in report order.
pub(super) fn rows(report: &Report) -> Vec<Row> {
    report
        .probes
        .iter()
        .flat_map(|p| &p.firebase)
        .map(row)
        .collect()
}

fn row(t: &FirebaseTarget) -> Row {
    let reads = [IdentityId::Anonymous, IdentityId::A, IdentityId::B]
        .iter()
        .filter_map(|who| {
            let mine: Vec<String> = t
                .reads
                .iter()
                .filter(|r| r.identity == *who)
                .map(|r| format!("{} {}", r.of, r.outcome))
                .collect();
            (!mine.is_empty()).then(|| format!("{who}: {}", mine.join(", ")))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let writes = t
        .writes
        .iter()
        .map(|w| {
            format!(
                "{} {} {}",
                w.identity,
                w.action,
                if w.accepted { "accepted" } else { "refused" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    Row {
        service: t.service.clone(),
        name: t.name.clone(),
        reads,
        writes: if writes.is_empty() {
            "none".into()
        } else {
            writes
        },
        cleanup: t.cleanup.clone().unwrap_or_else(|| "-".into()),
    }
}
