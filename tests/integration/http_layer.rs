//! The HTTP layer's promises, measured at the server: rate, scope, body cap.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use prodready::http::{HttpLayer, HttpSettings, Redactor, Request, Scope, Session};
use prodready::model::IdentityId;
use url::Url;

use crate::common;

/// The highest number of requests the server received in any one-second window.
fn peak_per_second(times: &[std::time::Instant]) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end].duration_since(sorted[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_scan_never_exceeds_the_configured_rate() {
    let server = common::app("all").await;
    let mut config = common::config(&server);
    config.limits.rate = std::num::NonZeroU32::new(40).unwrap();
    config.limits.concurrency = 16;
    let report = common::scan(config).await;
    let times: Vec<_> = server.requests().iter().map(|r| r.at).collect();
    server.shutdown().await;
    assert!(
        report.requests_sent >= 80,
        "the scan should last a few seconds, sent {}",
        report.requests_sent
    );
    assert_eq!(
        times.len() as u64,
        report.requests_sent,
        "the server saw every request the scanner counted"
    );
    // One extra request of slack for arrival jitter at the window edge.
    let peak = peak_per_second(&times);
    assert!(peak <= 41, "{peak} requests in one second with a cap of 40");
}

/// A tiny server on 127.0.0.2 that counts every request: the "other host".
async fn other_host() -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(move || {
        let c = counter.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            "other host"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0")
        .await
        .expect("bind 127.0.0.2");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_leaves_scope_when_the_app_links_and_redirects_elsewhere() {
    let (addr, hits) = other_host().await;
    let partner = format!("http://{addr}/welcome");
    let server = testserver::spawn(testserver::Options {
        partner_url: partner.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let config = common::config(&server);
    let result = prodready::engine::scan(config.clone(), None)
        .await
        .expect("scan runs");

    // The redirect itself, followed on purpose: reported, not fetched.
    let http = HttpLayer::new(
        HttpSettings::from(&config.limits),
        config.scope.clone(),
        Redactor::new(),
    )
    .unwrap();
    let go = Url::parse(&format!("{}/go/partner", server.base_url())).unwrap();
    let resp = http
        .send(&Session::new(IdentityId::Anonymous), Request::get(go))
        .await
        .unwrap();
    server.shutdown().await;
    assert!(resp.is_redirect());
    assert_eq!(
        resp.blocked_redirect.as_ref().map(Url::as_str),
        Some(partner.as_str())
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a request reached the other host"
    );
    assert!(!http.refused().is_empty());
    assert!(
        result.refused.iter().any(|r| r.contains(&addr.to_string())),
        "{:?}",
        result.refused
    );
}

#[tokio::test]
async fn bodies_over_the_cap_are_cut_and_marked() {
    let big = "x".repeat(3 * 1024 * 1024);
    let app = Router::new().route("/big", get(move || async move { big }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let base = Url::parse(&format!("http://{addr}/")).unwrap();
    let settings = HttpSettings {
        body_cap: 64 * 1024,
        ..HttpSettings::from(&prodready::config::Limits::default())
    };
    let http = HttpLayer::new(
        settings,
        Scope::new(std::slice::from_ref(&base), &[]),
        Redactor::new(),
    )
    .unwrap();
    let resp = http
        .send(
            &Session::new(IdentityId::Anonymous),
            Request::get(base.join("/big").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp.truncated);
    assert_eq!(resp.body.len(), 64 * 1024);

    // A request with a cap of its own (scripts) reads up to that cap instead.
    let whole = http
        .send(
            &Session::new(IdentityId::Anonymous),
            Request::get(base.join("/big").unwrap()).body_cap(4 << 20),
        )
        .await
        .unwrap();
    assert!(!whole.truncated);
    assert_eq!(whole.body.len(), 3 * 1024 * 1024);
    let cut = http
        .send(
            &Session::new(IdentityId::Anonymous),
            Request::get(base.join("/big").unwrap()).body_cap(1 << 20),
        )
        .await
        .unwrap();
    assert!(cut.truncated);
    assert_eq!(cut.body.len(), 1 << 20);

    // And a request to another origin is refused before it is sent, naming the fix.
    let other = Url::parse("http://127.0.0.2:9/").unwrap();
    let err = http
        .send(&Session::new(IdentityId::Anonymous), Request::get(other))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("outside the configured origins"),
        "{err}"
    );
    assert!(err.to_string().contains("target.origins"), "{err}");
    assert_eq!(http.requests_sent(), 3);

    // An excluded path names target.exclude, not target.origins.
    let excluding = HttpLayer::new(
        HttpSettings::from(&prodready::config::Limits::default()),
        Scope::new(std::slice::from_ref(&base), &["/logout".to_string()]),
        Redactor::new(),
    )
    .unwrap();
    let err = excluding
        .send(
            &Session::new(IdentityId::Anonymous),
            Request::get(base.join("/logout").unwrap()),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("remove /logout from target.exclude"), "{err}");
    assert!(!err.contains("target.origins"), "{err}");
    assert_eq!(excluding.requests_sent(), 0);
}
