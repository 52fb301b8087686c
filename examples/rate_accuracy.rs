//! Benchmark (3): rate accuracy. For each cap, many concurrent tasks push requests
//! through `HttpLayer::send` (far more demand than the cap) for a fixed time; the test
//! app records when each request arrived, and the highest count in any one-second
//! window (sliding over the arrival times) is compared with the cap.
//!
//! Usage: `rate_accuracy [--secs S] [--tasks N] [CAP...]` (defaults 10 s, 64 tasks,
//! caps 10 50 200). Prints one row per cap. `scripts/bench-rate.sh` runs it.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prodready::config::Limits;
use prodready::http::{HttpLayer, HttpSettings, Redactor, Request, Scope, Session};
use prodready::model::IdentityId;
use url::Url;

/// The most arrivals within any window of length `window` (sorted input).
fn max_in_window(times: &[Instant], window: Duration) -> usize {
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].duration_since(times[start]) >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut secs = 10.0;
    let mut tasks = 64;
    let mut caps: Vec<u32> = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--secs" => secs = it.next().unwrap_or_default().parse()?,
            "--tasks" => tasks = it.next().unwrap_or_default().parse()?,
            cap => caps.push(cap.parse()?),
        }
    }
    if caps.is_empty() {
        caps = vec![10, 50, 200];
    }
    println!(
        "{:>5} {:>6} {:>9} {:>12} {:>10} {:>9}",
        "cap", "secs", "requests", "mean_per_s", "max_1s_win", "over_cap"
    );
    for cap in caps {
        let server = testserver::spawn(testserver::Options::default()).await?;
        let url = Url::parse(&format!("{}/robots.txt", server.base_url()))?;
        // The user's settings for this cap: `limits.rate = cap`, everything else default.
        let limits = Limits {
            rate: NonZeroU32::new(cap).ok_or_else(|| anyhow::anyhow!("cap must be > 0"))?,
            concurrency: tasks,
            ..Limits::default()
        };
        let http = HttpLayer::new(
            HttpSettings::from(&limits),
            Scope::new(std::slice::from_ref(&url), &[]),
            Redactor::new(),
        )?;
        let session = Arc::new(Session::new(IdentityId::Anonymous));
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(secs);
        let workers: Vec<_> = (0..tasks)
            .map(|_| {
                let (http, session, url) = (http.clone(), session.clone(), url.clone());
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let _ = http.send(&session, Request::get(url.clone())).await;
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.await;
        }
        let mut times: Vec<Instant> = server
            .requests()
            .into_iter()
            .filter(|r| r.path_and_query == "/robots.txt")
            .map(|r| r.at)
            .collect();
        times.sort();
        let span = match (times.first(), times.last()) {
            (Some(a), Some(b)) => b.duration_since(*a).as_secs_f64(),
            _ => 0.0,
        };
        let max = max_in_window(&times, Duration::from_secs(1));
        println!(
            "{cap:>5} {span:>6.2} {:>9} {:>12.1} {max:>10} {:>8.1}%",
            times.len(),
            times.len().saturating_sub(1) as f64 / span.max(f64::EPSILON),
            100.0 * (max as f64 - cap as f64) / cap as f64
        );
        server.shutdown().await;
    }
    Ok(())
}
