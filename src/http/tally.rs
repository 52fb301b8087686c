//! Requests counted per probe family, so a scan can say what each family cost.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

tokio::task_local! {
    static LABEL: &'static str;
}

/// Runs `future` with every request it sends counted under `label`.
pub async fn labelled<F: Future>(label: &'static str, future: F) -> F::Output {
    LABEL.scope(label, future).await
}

/// Request counts per label; requests outside any label count as "engine".
#[derive(Default)]
pub(crate) struct Tally(Mutex<BTreeMap<&'static str, u64>>);

impl Tally {
    /// Counts one request under the current label and returns the label.
    pub(crate) fn count(&self) -> &'static str {
        let label = LABEL.try_with(|l| *l).unwrap_or("engine");
        *self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(label)
            .or_default() += 1;
        label
    }

    pub(crate) fn snapshot(&self) -> BTreeMap<&'static str, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
