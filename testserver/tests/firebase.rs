//! The Firebase-style app's REST surfaces, pinned to the behaviour the public docs
//! describe (the pages are cited in `testserver/src/baas/firebase.rs`).

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testserver::firebase::{PROJECT_ID, STORAGE_BUCKET};
use testserver::{Backend, FlawSet, Options, Server, spawn};

async fn start(flaws: &str) -> (Server, reqwest::Client) {
    let server = spawn(Options {
        flaws: FlawSet::parse(flaws).unwrap(),
        backend: Some(Backend::Firebase),
        ..Default::default()
    })
    .await
    .unwrap();
    (server, reqwest::Client::new())
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http.request(method, url);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Signs `key` (`a` or `b`) in: (uid, ID token).
async fn sign_in(server: &Server, http: &reqwest::Client, key: &str) -> (String, String) {
    let account = server.accounts().iter().find(|a| a.key == key).unwrap();
    let url = format!(
        "{}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key={}",
        server.backend_url().unwrap(),
        server.firebase_api_key().unwrap()
    );
    let (status, body) = call(
        http,
        reqwest::Method::POST,
        &url,
        None,
        Some(json!({ "email": account.email, "password": account.password, "returnSecureToken": true })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["localId"].as_str().unwrap().to_string(),
        body["idToken"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn identity_toolkit_signs_in_with_a_valid_key_and_password_only() {
    let (server, http) = start("none").await;
    let account = &server.accounts()[0];
    let base = format!(
        "{}/identitytoolkit.googleapis.com/v1",
        server.backend_url().unwrap()
    );
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!("{base}/accounts:signInWithPassword?key=AIzaWrong"),
        None,
        Some(json!({ "email": account.email, "password": account.password })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "API key not valid. Please pass a valid API key."
    );
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!(
            "{base}/accounts:signInWithPassword?key={}",
            server.firebase_api_key().unwrap()
        ),
        None,
        Some(json!({ "email": account.email, "password": "nope" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["message"], "INVALID_LOGIN_CREDENTIALS");

    let (uid, token) = sign_in(&server, &http, "a").await;
    assert_eq!(server.firebase_uid("a").as_deref(), Some(uid.as_str()));
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["user_id"], uid.as_str());
    assert_eq!(claims["sub"], uid.as_str());
    assert_eq!(claims["aud"], PROJECT_ID);
    assert_eq!(
        claims["iss"],
        format!("https://securetoken.google.com/{PROJECT_ID}")
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
}

#[tokio::test]
async fn realtime_database_rules_shallow_reads_and_writes() {
    let (server, http) = start("none").await;
    let db = server.backend_url().unwrap();
    let (uid_a, token_a) = sign_in(&server, &http, "a").await;
    let (_, token_b) = sign_in(&server, &http, "b").await;
    let get = reqwest::Method::GET;
    // Locked root: 401 with the documented body.
    let (status, body) = call(
        &http,
        get.clone(),
        &format!("{db}/.json?shallow=true"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "error": "Permission denied" }));
    // The owner reads its node; shallow gives keys with `true`.
    let own = format!("{db}/notes/{uid_a}.json?shallow=true&auth={token_a}");
    let (status, body) = call(&http, get.clone(), &own, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "n0": true }));
    let (status, _) = call(
        &http,
        get.clone(),
        &format!("{db}/notes/{uid_a}.json?auth={token_b}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // PUT answers the data written; PATCH by another user is refused; DELETE answers null.
    let node = format!("{db}/notes/{uid_a}/c1.json");
    let (status, body) = call(
        &http,
        reqwest::Method::PUT,
        &format!("{node}?auth={token_a}"),
        None,
        Some(json!({ "x": 1 })),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "x": 1 })));
    let (status, _) = call(
        &http,
        reqwest::Method::PATCH,
        &format!("{node}?auth={token_b}"),
        None,
        Some(json!({ "y": 2 })),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = call(
        &http,
        reqwest::Method::DELETE,
        &format!("{node}?auth={token_a}"),
        None,
        None,
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, Value::Null));
    let (_, body) = call(
        &http,
        get.clone(),
        &format!("{node}?auth={token_a}"),
        None,
        None,
    )
    .await;
    assert_eq!(body, Value::Null);
    // A token that does not verify is its own error.
    let (status, body) = call(
        &http,
        get,
        &format!("{db}/notes.json?auth=garbage"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "Could not parse auth token.");

    // `rtdb-open`: anyone reads the root.
    let (open, http) = start("rtdb-open").await;
    let (status, body) = call(
        &http,
        reqwest::Method::GET,
        &format!("{}/.json?shallow=true", open.backend_url().unwrap()),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "notes": true, "profiles": true }));
}

#[tokio::test]
async fn firestore_documents_errors_preconditions_and_paging() {
    let (server, http) = start("none").await;
    let docs = format!(
        "{}/v1/projects/{PROJECT_ID}/databases/(default)/documents",
        server.backend_url().unwrap()
    );
    let (uid_a, token_a) = sign_in(&server, &http, "a").await;
    let (_, token_b) = sign_in(&server, &http, "b").await;
    // Rules are not filters: an unfiltered list is refused, with Google's error shape.
    let (status, body) = call(
        &http,
        reqwest::Method::GET,
        &format!("{docs}/notes?pageSize=5"),
        Some(&token_a),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(body["error"]["code"], 403);
    // Create with a chosen id; typed fields come back with name and times.
    let fields =
        json!({ "fields": { "owner": { "stringValue": uid_a }, "n": { "integerValue": "3" } } });
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!("{docs}/notes?documentId=c1"),
        Some(&token_a),
        Some(fields.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["name"],
        format!("projects/{PROJECT_ID}/databases/(default)/documents/notes/c1")
    );
    assert_eq!(body["fields"]["n"], json!({ "integerValue": "3" }));
    assert!(body["createTime"].is_string() && body["updateTime"].is_string());
    let (status, _) = call(
        &http,
        reqwest::Method::POST,
        &format!("{docs}/notes?documentId=c1"),
        Some(&token_a),
        Some(fields),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Another user: refused; a missing document with the exists precondition: 404.
    let (status, _) = call(
        &http,
        reqwest::Method::GET,
        &format!("{docs}/notes/c1"),
        Some(&token_b),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let patch = json!({ "fields": { "t": { "stringValue": "x" } } });
    let (status, _) = call(
        &http,
        reqwest::Method::PATCH,
        &format!("{docs}/notes/c1?updateMask.fieldPaths=t"),
        Some(&token_b),
        Some(patch.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        &http,
        reqwest::Method::PATCH,
        &format!("{docs}/notes/missing?currentDocument.exists=true"),
        Some(&token_a),
        Some(patch.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["status"], "NOT_FOUND");
    // The owner's masked update keeps the other fields.
    let (status, body) = call(
        &http,
        reqwest::Method::PATCH,
        &format!("{docs}/notes/c1?updateMask.fieldPaths=t&currentDocument.exists=true"),
        Some(&token_a),
        Some(patch),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["fields"]["n"], json!({ "integerValue": "3" }));
    assert_eq!(body["fields"]["t"], json!({ "stringValue": "x" }));
    let (status, _) = call(
        &http,
        reqwest::Method::DELETE,
        &format!("{docs}/notes/c1?currentDocument.exists=true"),
        Some(&token_a),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // An ID token that does not verify: 401 UNAUTHENTICATED.
    let (status, body) = call(
        &http,
        reqwest::Method::GET,
        &format!("{docs}/notes/c1"),
        Some("garbage"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");

    // `firestore-open-notes`: pages of pageSize with nextPageToken until the end.
    let (open, http) = start("firestore-open-notes").await;
    let docs = format!(
        "{}/v1/projects/{PROJECT_ID}/databases/(default)/documents",
        open.backend_url().unwrap()
    );
    let (status, first) = call(
        &http,
        reqwest::Method::GET,
        &format!("{docs}/notes?pageSize=1"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["documents"].as_array().unwrap().len(), 1);
    let token = first["nextPageToken"].as_str().unwrap();
    let (_, second) = call(
        &http,
        reqwest::Method::GET,
        &format!("{docs}/notes?pageSize=1&pageToken={token}"),
        None,
        None,
    )
    .await;
    assert_eq!(second["documents"].as_array().unwrap().len(), 1);
    assert!(second.get("nextPageToken").is_none());
    assert_ne!(
        first["documents"][0]["name"],
        second["documents"][0]["name"]
    );
}

#[tokio::test]
async fn storage_lists_only_when_the_rules_allow() {
    let (server, http) = start("none").await;
    let list = format!(
        "{}/v0/b/{STORAGE_BUCKET}/o?prefix=&delimiter=/",
        server.backend_url().unwrap()
    );
    let (status, body) = call(&http, reqwest::Method::GET, &list, None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], 403);
    let (open, http) = start("firebase-public-storage").await;
    let list = format!(
        "{}/v0/b/{STORAGE_BUCKET}/o?prefix=&delimiter=/",
        open.backend_url().unwrap()
    );
    let (status, body) = call(&http, reqwest::Method::GET, &list, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "prefixes": ["users/"], "items": [] }));
}

#[tokio::test]
async fn the_front_end_wires_the_web_config_as_builders_do() {
    let (server, http) = start("none").await;
    let page = http.get(server.base_url()).send().await.unwrap();
    assert!(page.headers().contains_key("content-security-policy"));
    let bundle = http
        .get(format!("{}/assets/app.js", server.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bundle.contains("initializeApp(firebaseConfig)"));
    assert!(bundle.contains(&format!(
        "apiKey: \"{}\"",
        server.firebase_api_key().unwrap()
    )));
    assert!(bundle.contains(&format!(
        "databaseURL: \"{}\"",
        server.backend_url().unwrap()
    )));
    assert!(bundle.contains("collection(db, \"notes\")"));
}
