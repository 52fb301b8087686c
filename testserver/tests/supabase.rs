//! The Supabase mode, pinned to the documented behaviour of the services it imitates
//! (the module docs of `testserver::baas::supabase` cite the pages): PostgREST's query
//! syntax, counting and error shapes, Row Level Security as Postgres applies it,
//! Supabase Auth's password grant and JWTs, and Storage's list and object endpoints.

use std::time::Duration;

use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use testserver::{Backend, FlawSet, Options, Server};

struct Project {
    server: Server,
    http: reqwest::Client,
    url: String,
    anon: String,
    service: String,
}

async fn start(flaws: &str) -> Project {
    let server = testserver::spawn(Options {
        flaws: FlawSet::parse(flaws).unwrap(),
        backend: Some(Backend::Supabase),
        ..Options::default()
    })
    .await
    .unwrap();
    let (anon, service) = server.supabase_keys().unwrap();
    Project {
        url: server.backend_url().unwrap(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        server,
        anon,
        service,
    }
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Project {
    /// A request with the anon key as `apikey` and `bearer` (a user token, or the key).
    async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("apikey", &self.anon)
            .header(
                "Authorization",
                format!("Bearer {}", bearer.unwrap_or(&self.anon)),
            );
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        Reply {
            status: resp.status(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        self.call(Method::GET, path, bearer, &[], None).await
    }

    /// Signs `account` (`a-user`, `b-user`) in; returns its access token and user id.
    async fn login(&self, account: &str) -> (String, String) {
        let acc = self.server.account(account).unwrap();
        let r = self
            .call(
                Method::POST,
                "/auth/v1/token?grant_type=password",
                None,
                &[],
                Some(json!({"email": acc.email, "password": acc.password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        (
            j["access_token"].as_str().unwrap().to_string(),
            j["user"]["id"].as_str().unwrap().to_string(),
        )
    }
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn keys_and_user_tokens_are_hs256_jwts_with_role_and_sub() {
    let p = start("none").await;
    assert_eq!(claims(&p.anon)["role"], "anon");
    assert_eq!(claims(&p.service)["role"], "service_role");
    let header = p.anon.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");
    let (token, uid) = p.login("a-user").await;
    let c = claims(&token);
    assert_eq!(c["role"], "authenticated");
    assert_eq!(c["sub"], uid.as_str());
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());
    // Wrong password: 400 invalid_credentials, as Supabase Auth answers.
    let r = p
        .call(
            Method::POST,
            "/auth/v1/token?grant_type=password",
            None,
            &[],
            Some(json!({"email": "ada@acme-notes.test", "password": "wrong"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error_code"], "invalid_credentials");
    // No apikey: the gateway refuses before any service runs.
    let r = p
        .http
        .get(format!("{}/rest/v1/notes", p.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A tampered token: PGRST301.
    let r = p.get("/rest/v1/notes", Some(&format!("{token}x"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], "PGRST301");
    let settings = p.get("/auth/v1/settings", None).await.json();
    assert_eq!(settings["disable_signup"], true);
    let r = p
        .call(
            Method::POST,
            "/auth/v1/signup",
            None,
            &[],
            Some(json!({"email": "x@y.test", "password": "pw123456"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error_code"], "signup_disabled");
    p.server.shutdown().await;
}

#[tokio::test]
async fn postgrest_selects_filters_orders_pages_and_counts() {
    let p = start("none").await;
    let (token, uid) = p.login("a-user").await;
    // select, eq., order, limit; Content-Range without a count ends in `/*`.
    let r = p
        .get(
            &format!("/rest/v1/notes?select=id,title&user_id=eq.{uid}&order=id.desc&limit=1"),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = r.json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(
        rows[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "title"]
    );
    assert_eq!(r.header("content-range"), Some("0-0/*"));
    // Range with Prefer: count=exact: 206 and the total.
    let r = p
        .call(
            Method::GET,
            "/rest/v1/notes?select=*",
            Some(&token),
            &[("Range", "0-0"), ("Prefer", "count=exact")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.header("content-range"), Some("0-0/2"));
    // Unknown table and column: PostgREST's codes and shapes.
    let r = p.get("/rest/v1/nope?select=*", Some(&token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["code"], "PGRST205");
    let r = p.get("/rest/v1/notes?select=nope", Some(&token)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let j = r.json();
    assert_eq!(j["code"], "42703");
    assert!(j.get("details").is_some() && j.get("hint").is_some());
    let r = p.get("/rest/v1/notes?title=zz.x", Some(&token)).await;
    assert_eq!(r.json()["code"], "PGRST100");
    // The OpenAPI root: Swagger 2.0 with tables, definitions and rpc paths.
    let doc = p.get("/rest/v1/", None).await.json();
    assert_eq!(doc["swagger"], "2.0");
    assert!(doc["paths"]["/notes"]["post"].is_object());
    assert!(doc["paths"]["/rpc/my_note_count"].is_object());
    assert!(
        doc["definitions"]["notes"]["properties"]["id"]["description"]
            .as_str()
            .unwrap()
            .contains("<pk/>")
    );
    p.server.shutdown().await;
}

#[tokio::test]
async fn row_level_security_filters_reads_and_writes_to_the_owner() {
    let p = start("none").await;
    let (a, a_uid) = p.login("a-user").await;
    let (b, _) = p.login("b-user").await;
    // Anon sees no row; each user sees its own.
    assert_eq!(
        p.get("/rest/v1/notes?select=*", None).await.json(),
        json!([])
    );
    let own = p.get("/rest/v1/notes?select=*", Some(&a)).await.json();
    assert_eq!(own.as_array().unwrap().len(), 2);
    assert!(
        own.as_array()
            .unwrap()
            .iter()
            .all(|r| r["user_id"] == a_uid.as_str())
    );
    // Insert with return=representation: 201 and the row; as anon: 42501 answered 401.
    let r = p
        .call(
            Method::POST,
            "/rest/v1/notes",
            Some(&a),
            &[("Prefer", "return=representation")],
            Some(json!({"title": "t1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()[0]["id"].clone();
    assert_eq!(r.json()[0]["user_id"], a_uid.as_str());
    let r = p
        .call(
            Method::POST,
            "/rest/v1/notes",
            None,
            &[],
            Some(json!({"title": "t"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], "42501");
    // B inserting in A's name: 42501 answered 403 (signed in).
    let r = p
        .call(
            Method::POST,
            "/rest/v1/notes",
            Some(&b),
            &[],
            Some(json!({"title": "t", "user_id": a_uid})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // B's update of A's row: 200 with no rows (filtered by RLS), and the row unchanged.
    let r = p
        .call(
            Method::PATCH,
            &format!("/rest/v1/notes?id=eq.{id}"),
            Some(&b),
            &[("Prefer", "return=representation")],
            Some(json!({"title": "b was here"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!([]));
    let r = p
        .call(
            Method::DELETE,
            &format!("/rest/v1/notes?id=eq.{id}"),
            Some(&b),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let row = p
        .get(&format!("/rest/v1/notes?id=eq.{id}"), Some(&a))
        .await
        .json();
    assert_eq!(row[0]["title"], "t1");
    p.server.shutdown().await;
}

#[tokio::test]
async fn flaws_switch_single_policies_off() {
    // rls-off-notes: the anon key alone reads and changes every note.
    let p = start("rls-off-notes").await;
    let all = p.get("/rest/v1/notes?select=*", None).await.json();
    assert_eq!(all.as_array().unwrap().len(), 6);
    p.server.shutdown().await;

    // rls-owner-only-on-select: reads stay private, but B writes a row in A's name.
    let p = start("rls-owner-only-on-select").await;
    let (a, a_uid) = p.login("a-user").await;
    let (b, _) = p.login("b-user").await;
    let r = p
        .call(
            Method::POST,
            "/rest/v1/notes",
            Some(&b),
            &[],
            Some(json!({"title": "forged", "user_id": a_uid})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let mine = p
        .get("/rest/v1/notes?title=eq.forged", Some(&a))
        .await
        .json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    // RETURNING needs the SELECT policy: the same insert with representation fails.
    let r = p
        .call(
            Method::POST,
            "/rest/v1/notes",
            Some(&b),
            &[("Prefer", "return=representation")],
            Some(json!({"title": "forged", "user_id": a_uid})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        p.get("/rest/v1/notes?select=*", None).await.json(),
        json!([])
    );
    p.server.shutdown().await;
}

#[tokio::test]
async fn storage_lists_folders_and_objects_under_the_object_policies() {
    let p = start("none").await;
    let (a, a_uid) = p.login("a-user").await;
    let (b, _) = p.login("b-user").await;
    let list = |bearer: Option<String>, prefix: String| {
        let p = &p;
        async move {
            p.call(
                Method::POST,
                "/storage/v1/object/list/attachments",
                bearer.as_deref(),
                &[],
                Some(json!({"prefix": prefix, "limit": 100, "offset": 0})),
            )
            .await
            .json()
        }
    };
    // The root lists A's folder (id null) to A only.
    let root = list(Some(a.clone()), String::new()).await;
    assert_eq!(root[0]["name"], a_uid.as_str());
    assert!(root[0]["id"].is_null());
    let files = list(Some(a.clone()), format!("{a_uid}/")).await;
    assert_eq!(files[0]["name"], "welcome.txt");
    assert_eq!(list(Some(b.clone()), format!("{a_uid}/")).await, json!([]));
    assert_eq!(list(None, format!("{a_uid}/")).await, json!([]));
    let r = p
        .get(
            &format!("/storage/v1/object/attachments/{a_uid}/welcome.txt"),
            Some(&b),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["statusCode"], "404");
    assert_eq!(
        p.get(
            &format!("/storage/v1/object/attachments/{a_uid}/welcome.txt"),
            Some(&a)
        )
        .await
        .status,
        StatusCode::OK
    );
    p.server.shutdown().await;

    // public-bucket: everyone lists and reads every folder.
    let p = start("public-bucket").await;
    let (_, a_uid) = p.login("a-user").await;
    let r = p
        .call(
            Method::POST,
            "/storage/v1/object/list/attachments",
            None,
            &[],
            Some(json!({"prefix": format!("{a_uid}/")})),
        )
        .await;
    assert_eq!(r.json()[0]["name"], "welcome.txt");
    p.server.shutdown().await;
}

#[tokio::test]
async fn the_front_end_wires_the_client_the_way_generated_apps_do() {
    let p = start("none").await;
    let page = reqwest::get(p.server.base_url()).await.unwrap();
    let csp = page
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains(&p.url), "connect-src names the backend: {csp}");
    let html = page.text().await.unwrap();
    let src = html
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let js = reqwest::get(format!("{}{src}", p.server.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(js.contains(&p.url) && js.contains(&p.anon));
    assert!(!js.contains(&p.service));
    assert!(js.contains(".from(\"notes\")"));
    p.server.shutdown().await;
    let p = start("service-role-key-in-bundle").await;
    let html = reqwest::get(p.server.base_url())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let src = html
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let js = reqwest::get(format!("{}{src}", p.server.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(js.contains(&p.service));
    p.server.shutdown().await;
}
