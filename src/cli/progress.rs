//! The progress bar on stderr, fed by scan events (only on a terminal).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::engine::Event;

/// Shows progress until the scan drops its event sender.
pub async fn show(mut events: UnboundedReceiver<Event>) {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {elapsed:>3} {wide_msg} [{pos}/{len} probe families]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut phase = "starting";
    let mut requests = 0;
    while let Some(event) = events.recv().await {
        match event {
            Event::Phase(p) => phase = p,
            Event::ProbesPlanned(n) => bar.set_length(n as u64),
            Event::ProbeFinished(_) => bar.inc(1),
            Event::Requests(n) => requests = n,
        }
        bar.set_message(format!("{phase} · {requests} requests"));
    }
    bar.finish_and_clear();
}
