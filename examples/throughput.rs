//! Benchmark (2): requests per second on one cheap endpoint, through the scanner's
//! `HttpLayer::send` with the rate cap out of the way, or through a bare reqwest loop,
//! at the same concurrency. `scripts/bench-throughput.sh` runs both beside `wrk`.
//!
//! Usage: `throughput --mode layer|bare --url URL [--concurrency N] [--secs S]`
//! Prints one line: `MODE REQUESTS SECONDS REQ_PER_SEC ERRORS`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use prodready::http::{HttpLayer, HttpSettings, Redactor, Request, Scope, Session};
use prodready::model::IdentityId;
use url::Url;

struct Args {
    mode: String,
    url: Url,
    concurrency: usize,
    secs: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut mode = None;
    let mut url = None;
    let mut concurrency = 8;
    let mut secs = 5.0;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--mode" => mode = Some(value),
            "--url" => url = Some(Url::parse(&value).map_err(|e| format!("--url: {e}"))?),
            "--concurrency" => {
                concurrency = value.parse().map_err(|e| format!("--concurrency: {e}"))?
            }
            "--secs" => secs = value.parse().map_err(|e| format!("--secs: {e}"))?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(Args {
        mode: mode.ok_or("--mode layer|bare is required")?,
        url: url.ok_or("--url is required")?,
        concurrency,
        secs,
    })
}

/// Runs `concurrency` workers calling `one` until the deadline; counts successes and errors.
async fn drive<F, Fut>(concurrency: usize, secs: f64, one: F) -> (u64, u64, f64)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let one = Arc::new(one);
    let ok = Arc::new(AtomicU64::new(0));
    let err = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (one, ok, err) = (one.clone(), ok.clone(), err.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    if one().await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        err.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    (
        ok.load(Ordering::Relaxed),
        err.load(Ordering::Relaxed),
        elapsed,
    )
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("throughput: {e}");
            std::process::exit(2);
        }
    };
    let (ok, err, elapsed) = match args.mode.as_str() {
        "bare" => {
            // The same client options the HttpLayer uses, minus the layer.
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(args.concurrency)
                .build()
                .expect("reqwest client");
            let url = args.url.clone();
            drive(args.concurrency, args.secs, move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    match client.get(url).send().await {
                        Ok(r) => r.bytes().await.is_ok(),
                        Err(_) => false,
                    }
                }
            })
            .await
        }
        "layer" => {
            // Rate cap out of the way: the highest rate governor can express, with a
            // matching burst. Users cannot configure this (limits.rate is at most 10000).
            let settings = HttpSettings {
                rate: NonZeroU32::MAX,
                burst: NonZeroU32::MAX,
                concurrency: args.concurrency,
                timeout: Duration::from_secs(10),
                body_cap: 4 * 1024 * 1024,
                retries: 0,
                tls: Default::default(),
            };
            let scope = Scope::new(std::slice::from_ref(&args.url), &[]);
            let http = HttpLayer::new(settings, scope, Redactor::new()).expect("http layer");
            let session = Arc::new(Session::new(IdentityId::Anonymous));
            let url = args.url.clone();
            drive(args.concurrency, args.secs, move || {
                let (http, session, url) = (http.clone(), session.clone(), url.clone());
                async move { http.send(&session, Request::get(url)).await.is_ok() }
            })
            .await
        }
        other => {
            eprintln!("throughput: unknown --mode {other} (layer or bare)");
            std::process::exit(2);
        }
    };
    println!(
        "{} {ok} {elapsed:.2} {:.0} {err}",
        args.mode,
        ok as f64 / elapsed
    );
}
