//! Both login styles work, and a lapsed session is renewed by logging in again.

use std::sync::Arc;

use prodready::auth::Identities;
use prodready::http::{HttpLayer, HttpSettings, Redactor, Request};
use prodready::model::IdentityId;
use url::Url;

use crate::common;

fn layer(config: &prodready::config::ScanConfig) -> HttpLayer {
    HttpLayer::new(
        HttpSettings::from(&config.limits),
        config.scope.clone(),
        Redactor::new(),
    )
    .expect("client")
}

#[tokio::test]
async fn json_bearer_and_form_csrf_cookie_logins_both_work_and_renew_after_logout() {
    let server = common::app("none").await;
    let config = common::config(&server);
    let http = layer(&config);
    let ids = Arc::new(Identities::from_config(&config));
    ids.login_all(&http).await.expect("every identity logs in");
    let me = Url::parse(&format!("{}/api/me", server.base_url())).unwrap();

    // a logs in with JSON and a bearer token; b with the HTML form, CSRF and a cookie.
    let a = ids.get(IdentityId::A).unwrap();
    let b = ids.get(IdentityId::B).unwrap();
    assert_eq!(a.login_kind(), "json");
    assert_eq!(b.login_kind(), "form");
    assert!(
        a.session
            .headers()
            .iter()
            .any(|(n, v)| n == "Authorization" && v.starts_with("Bearer "))
    );
    assert!(b.session.with_jar(|j| !j.cookies().is_empty()));
    let email_a = &server.account("a-member").unwrap().email;
    let email_b = &server.account("b-member").unwrap().email;
    let resp = a.send(&http, Request::get(me.clone())).await.unwrap();
    assert!(resp.text().contains(email_a.as_str()), "{}", resp.text());
    let resp = b.send(&http, Request::get(me.clone())).await.unwrap();
    assert!(resp.text().contains(email_b.as_str()), "{}", resp.text());

    // Revoke both sessions behind the scanner's back: the next request must re-login.
    let logout_a = Request::new(
        "POST",
        Url::parse(&format!("{}/api/auth/logout", server.base_url())).unwrap(),
    );
    assert!(http.send(&a.session, logout_a).await.unwrap().is_success());
    let logout_b = Request::new(
        "POST",
        Url::parse(&format!("{}/logout", server.base_url())).unwrap(),
    )
    .form(&[]);
    let resp = http.send(&b.session, logout_b).await.unwrap();
    assert!(resp.status < 400, "form logout answered {}", resp.status);
    let stale = http
        .send(&a.session, Request::get(me.clone()))
        .await
        .unwrap();
    assert_eq!(
        stale.status, 401,
        "the revoked bearer token must be refused"
    );

    let resp = a.send(&http, Request::get(me.clone())).await.unwrap();
    assert!(
        resp.is_success() && resp.text().contains(email_a.as_str()),
        "a after re-login: {}",
        resp.status
    );
    let resp = b.send(&http, Request::get(me)).await.unwrap();
    assert!(
        resp.is_success() && resp.text().contains(email_b.as_str()),
        "b after re-login: {}",
        resp.status
    );
    assert_eq!(a.relogins(), 1);
    assert_eq!(b.relogins(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_fails_login_naming_the_identity_without_the_password() {
    let server = common::app("none").await;
    let mut vars = prodready::demo::env_for(&server);
    vars.insert(
        "PRODREADY_A_MEMBER_PASSWORD".into(),
        "wrong-password-123".into(),
    );
    let mut raw = prodready::config::parse(prodready::demo::CONFIG, "scan.toml").unwrap();
    raw.target.url = server.base_url();
    let source = prodready::config::MapSource {
        vars,
        fallback: &prodready::config::ProcessSource,
    };
    let config = prodready::config::resolve(&raw, &source).unwrap();
    let err = match prodready::engine::scan(config, None).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a scan with a wrong password must not run"),
    };
    assert!(err.contains("identity `a`") && err.contains("401"), "{err}");
    assert!(!err.contains("wrong-password-123"), "{err}");
    server.shutdown().await;
}
