//! A Supabase-compatible backend ("Notable": users keep notes and attachments), served
//! on its own origin, written from the public documentation of the services a
//! Supabase project exposes:
//!
//! - PostgREST (`/rest/v1/`): tables and views
//!   (<https://docs.postgrest.org/en/stable/references/api/tables_views.html>:
//!   `select`, `eq.`/`neq.`/`is.`/`in.` filters, `order`, `limit`, `offset`), pagination
//!   and counting (<https://docs.postgrest.org/en/stable/references/api/pagination_count.html>:
//!   `Range`, `Content-Range`, `Prefer: count=exact`), preferences
//!   (<https://docs.postgrest.org/en/stable/references/api/preferences.html>:
//!   `Prefer: return=representation|minimal`), the OpenAPI root
//!   (<https://docs.postgrest.org/en/stable/references/api/openapi.html>, Swagger 2.0),
//!   functions (<https://docs.postgrest.org/en/stable/references/api/functions.html>: GET
//!   runs in a read-only transaction), and errors
//!   (<https://docs.postgrest.org/en/stable/references/errors.html>: `PGRST...` codes,
//!   SQLSTATE `42501` answered 401 to anonymous callers and 403 to signed-in ones).
//! - Row Level Security as Postgres applies it
//!   (<https://www.postgresql.org/docs/current/sql-createpolicy.html>: USING filters
//!   existing rows, WITH CHECK judges new ones, and an UPDATE or DELETE whose WHERE
//!   reads the table sees only rows its SELECT policies pass) and as Supabase
//!   documents it (<https://supabase.com/docs/guides/database/postgres/row-level-security>:
//!   `auth.uid()` is the JWT's `sub`).
//! - Supabase Auth (`/auth/v1/`, <https://github.com/supabase/auth> README:
//!   `POST /token?grant_type=password`, `POST /signup`, `GET /settings`, `GET /user`),
//!   issuing HS256 JWTs with `sub`, `role: authenticated`, `aud`, `exp`; the API keys
//!   are JWTs with `role: anon` and `role: service_role`
//!   (<https://supabase.com/docs/guides/api/api-keys>), sent as the `apikey` header.
//! - Supabase Storage (`/storage/v1/`, <https://supabase.com/docs/guides/storage/security/access-control>):
//!   buckets, `POST /object/list/{bucket}` with `prefix`/`limit`/`offset` (folders as
//!   entries with a null `id`), `GET`/`POST /object/{bucket}/{path}`, `DELETE
//!   /object/{bucket}` with `prefixes`; object policies key on the first folder of the
//!   path (`(storage.foldername(name))[1] = auth.uid()::text`).
//!
//! Policies: every table row and every object belongs to the user in its owner
//! column (`profiles.id`, `notes.user_id`) or first folder; the hardened project lets
//! a user see and change only its own. The flaws switch single policies off.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

use crate::flaws::{Flaw, FlawSet};
use crate::state::now_unix;

/// A user of the project.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub email: String,
    pub password: String,
}

/// The project's state: its keys, users, tables and stored objects.
pub(crate) struct Project {
    flaws: FlawSet,
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub anon_key: String,
    pub service_key: String,
    /// `http://127.0.0.1:PORT`: the `iss` of user tokens is `{url}/auth/v1`.
    url: String,
    pub users: Vec<User>,
    tables: Mutex<BTreeMap<&'static str, Vec<Map<String, Value>>>>,
    next_id: Mutex<u64>,
    objects: Mutex<Vec<StoredObject>>,
}

#[derive(Debug, Clone)]
struct StoredObject {
    bucket: String,
    name: String,
    id: String,
    body: Bytes,
    created_at: String,
}

pub(crate) type Shared = Arc<Project>;

/// A table as PostgREST describes it.
struct TableDef {
    name: &'static str,
    /// The column holding the owner's user id (the policies' `auth.uid() = ...`).
    owner: &'static str,
    /// (name, Postgres type, OpenAPI format)
    columns: &'static [(&'static str, &'static str, &'static str)],
    required: &'static [&'static str],
}

const TABLES: &[TableDef] = &[
    TableDef {
        name: "profiles",
        owner: "id",
        columns: &[
            ("id", "string", "uuid"),
            ("email", "string", "text"),
            ("display_name", "string", "text"),
        ],
        required: &["id"],
    },
    TableDef {
        name: "notes",
        owner: "user_id",
        columns: &[
            ("id", "integer", "bigint"),
            ("user_id", "string", "uuid"),
            ("title", "string", "text"),
            ("body", "string", "text"),
            ("created_at", "string", "timestamp with time zone"),
        ],
        required: &["id", "user_id", "title"],
    },
];

/// The project's one bucket (private: reads go through the object policies).
pub(crate) const BUCKET: &str = "attachments";
/// The one function: how many notes the caller owns (STABLE, SECURITY INVOKER).
const RPC_NOTE_COUNT: &str = "my_note_count";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Caller {
    Anon,
    User(String),
    Service,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    iat: i64,
    exp: i64,
}

/// User access tokens live an hour, as Supabase Auth's default `jwt_expiry`.
const TOKEN_TTL: i64 = 3600;

impl Project {
    /// A project with three users (`users[0]` and `users[1]` are the scanner's tenants
    /// A and B, the third is someone else), each with a profile, two notes and a file.
    pub(crate) fn new(
        flaws: FlawSet,
        url: String,
        passwords: [String; 3],
    ) -> anyhow::Result<Project> {
        let secret: [u8; 32] = rand::random();
        let encoding = EncodingKey::from_secret(&secret)?;
        let decoding = DecodingKey::from_secret(&secret)?;
        let key = |role: &str| {
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &Claims {
                    sub: None,
                    role: role.to_string(),
                    iss: Some("supabase".to_string()),
                    aud: None,
                    email: None,
                    iat: now_unix(),
                    exp: now_unix() + 10 * 365 * 24 * 3600,
                },
                &encoding,
            )
        };
        let anon_key = key("anon")?;
        let service_key = key("service_role")?;
        let [pa, pb, pc] = passwords;
        let users: Vec<User> = [
            ("ada@acme-notes.test", pa),
            ("bo@globex-notes.test", pb),
            ("cy@initech-notes.test", pc),
        ]
        .into_iter()
        .map(|(email, password)| User {
            id: uuid::Uuid::new_v4().to_string(),
            email: email.to_string(),
            password,
        })
        .collect();
        let mut tables: BTreeMap<&'static str, Vec<Map<String, Value>>> = BTreeMap::new();
        let mut next = 1u64;
        let mut objects = Vec::new();
        let now = crate::state::now_rfc3339();
        for (i, u) in users.iter().enumerate() {
            let name = u.email.split('@').next().unwrap_or("user");
            tables.entry("profiles").or_default().push(row(json!({
                "id": u.id, "email": u.email, "display_name": name,
            })));
            for title in ["Groceries", "Quarterly plan"] {
                tables.entry("notes").or_default().push(row(json!({
                    "id": next, "user_id": u.id, "title": format!("{title} ({name})"),
                    "body": format!("private note {i}-{next} of {name}"), "created_at": now,
                })));
                next += 1;
            }
            objects.push(StoredObject {
                bucket: BUCKET.to_string(),
                name: format!("{}/welcome.txt", u.id),
                id: uuid::Uuid::new_v4().to_string(),
                body: Bytes::from(format!("welcome, {name}")),
                created_at: now.clone(),
            });
        }
        Ok(Project {
            flaws,
            encoding,
            decoding,
            anon_key,
            service_key,
            url,
            users,
            tables: Mutex::new(tables),
            next_id: Mutex::new(next),
            objects: Mutex::new(objects),
        })
    }

    /// Every row of `table` as stored, policies aside (for tests).
    pub(crate) fn rows(&self, table: &str) -> Vec<Value> {
        self.tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(table)
            .into_iter()
            .flatten()
            .map(|r| Value::Object(r.clone()))
            .collect()
    }

    /// Every stored object's bucket and path (for tests).
    pub(crate) fn object_names(&self) -> Vec<String> {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|o| format!("{}/{}", o.bucket, o.name))
            .collect()
    }

    fn flaw(&self, f: Flaw) -> bool {
        self.flaws.contains(f)
    }

    fn issue(&self, user: &User) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                sub: Some(user.id.clone()),
                role: "authenticated".into(),
                iss: Some(format!("{}/auth/v1", self.url)),
                aud: Some("authenticated".into()),
                email: Some(user.email.clone()),
                iat: now_unix(),
                exp: now_unix() + TOKEN_TTL,
            },
            &self.encoding,
        )
    }

    /// Who calls, from the `apikey` header (required, one of the project's keys) and the
    /// bearer token (a user's, or a key again); errors as the gateway and PostgREST answer.
    // An early answer of a handler is a whole response; these run once per request.
    #[allow(clippy::result_large_err)]
    fn caller(&self, headers: &HeaderMap, query_key: Option<&str>) -> Result<Caller, Response> {
        let apikey = headers
            .get("apikey")
            .and_then(|v| v.to_str().ok())
            .or(query_key);
        let Some(apikey) = apikey else {
            return Err(json_error(
                StatusCode::UNAUTHORIZED,
                json!({"message": "No API key found in request", "hint": "No `apikey` request header or url param was found."}),
            ));
        };
        if apikey != self.anon_key && apikey != self.service_key {
            return Err(json_error(
                StatusCode::UNAUTHORIZED,
                json!({"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."}),
            ));
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let token = bearer.unwrap_or(apikey);
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 0;
        let claims = match jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation) {
            Ok(data) => data.claims,
            Err(e) => {
                let (code, message) = match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        ("PGRST303", "JWT expired")
                    }
                    _ => ("PGRST301", "JWSError JWSInvalidSignature"),
                };
                return Err(pgrst_error(StatusCode::UNAUTHORIZED, code, message, None));
            }
        };
        match (claims.role.as_str(), claims.sub) {
            ("service_role", _) => Ok(Caller::Service),
            ("authenticated", Some(sub)) if self.users.iter().any(|u| u.id == sub) => {
                Ok(Caller::User(sub))
            }
            ("anon", _) => Ok(Caller::Anon),
            (role, _) => Err(pgrst_error(
                StatusCode::UNAUTHORIZED,
                "PGRST301",
                &format!("role \"{role}\" does not exist"),
                None,
            )),
        }
    }

    /// The USING / WITH CHECK expressions of `table`'s policies for `command`.
    fn policy(
        &self,
        table: &TableDef,
        command: Command,
        caller: &Caller,
        row: &Map<String, Value>,
    ) -> bool {
        let owner_is_caller = match caller {
            Caller::Service => return true, // service_role bypasses RLS
            Caller::User(uid) => row.get(table.owner).and_then(Value::as_str) == Some(uid),
            Caller::Anon => false,
        };
        if table.name == "notes" {
            if self.flaw(Flaw::RlsOffNotes) {
                return true;
            }
            if self.flaw(Flaw::RlsOwnerOnlyOnSelect)
                && matches!(
                    command,
                    Command::Insert | Command::UpdateCheck | Command::UpdateUsing
                )
            {
                // `to authenticated with check (true)` / `using (true)`
                return matches!(caller, Caller::User(_));
            }
        }
        owner_is_caller
    }

    fn object_policy(&self, command: Command, caller: &Caller, name: &str) -> bool {
        let folder = name.split('/').next().unwrap_or("");
        match caller {
            Caller::Service => true,
            _ if command == Command::Select && self.flaw(Flaw::PublicBucket) => true,
            Caller::User(uid) => folder == uid,
            Caller::Anon => false,
        }
    }
}

fn row(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Select,
    Insert,
    UpdateUsing,
    UpdateCheck,
    Delete,
}

fn json_error(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// PostgREST's error shape.
fn pgrst_error(status: StatusCode, code: &str, message: &str, hint: Option<&str>) -> Response {
    json_error(
        status,
        json!({"code": code, "details": null, "hint": hint, "message": message}),
    )
}

/// SQLSTATE 42501 as PostgREST answers it: 401 to the anon role, 403 to a signed-in one.
fn rls_violation(caller: &Caller, table: &str) -> Response {
    let status = if *caller == Caller::Anon {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::FORBIDDEN
    };
    pgrst_error(
        status,
        "42501",
        &format!("new row violates row-level security policy for table \"{table}\""),
        None,
    )
}

/// The backend's routes.
pub(crate) fn router(project: Shared) -> Router {
    Router::new()
        .route("/rest/v1/", get(openapi))
        .route("/rest/v1/rpc/{function}", get(rpc).post(rpc))
        .route(
            "/rest/v1/{table}",
            get(table_request)
                .post(table_request)
                .patch(table_request)
                .delete(table_request),
        )
        .route("/auth/v1/token", post(token))
        .route("/auth/v1/signup", post(signup))
        .route("/auth/v1/settings", get(settings))
        .route("/auth/v1/user", get(user))
        .route("/storage/v1/bucket", get(buckets))
        .route("/storage/v1/object/list/{bucket}", post(list_objects))
        .route(
            "/storage/v1/object/{bucket}",
            axum::routing::delete(delete_objects),
        )
        .route(
            "/storage/v1/object/{bucket}/{*path}",
            get(read_object).post(upload_object),
        )
        .fallback(|| async {
            json_error(
                StatusCode::NOT_FOUND,
                json!({"message": "no Route matched with those values"}),
            )
        })
        .layer(axum::middleware::from_fn(cors))
        .with_state(project)
}

/// Supabase's gateway lets any origin call the APIs: the keys, not the origin, decide.
async fn cors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let preflight = req.method() == Method::OPTIONS;
    let mut resp = if preflight {
        StatusCode::OK.into_response()
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    if preflight {
        h.insert(
            "access-control-allow-headers",
            HeaderValue::from_static(
                "authorization, apikey, content-type, prefer, range, x-client-info",
            ),
        );
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"),
        );
    }
    resp
}

fn table_def(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().find(|t| t.name == name)
}

/// `GET /rest/v1/`: the Swagger 2.0 description PostgREST generates from the schema.
async fn openapi(
    State(p): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = p.caller(&headers, q.get("apikey").map(String::as_str)) {
        return r;
    }
    let mut paths = Map::new();
    paths.insert("/".into(), json!({"get": {"tags": ["Introspection"], "summary": "OpenAPI description (this document)", "produces": ["application/openapi+json", "application/json"], "responses": {"200": {"description": "OK"}}}}));
    let mut definitions = Map::new();
    for t in TABLES {
        let params: Vec<Value> = t
            .columns
            .iter()
            .map(|(c, _, _)| json!({"$ref": format!("#/parameters/rowFilter.{}.{c}", t.name)}))
            .chain(
                [
                    "select",
                    "order",
                    "range",
                    "rangeUnit",
                    "offset",
                    "limit",
                    "preferCount",
                ]
                .iter()
                .map(|p| json!({"$ref": format!("#/parameters/{p}")})),
            )
            .collect();
        paths.insert(
            format!("/{}", t.name),
            json!({
                "get": {"tags": [t.name], "parameters": params, "responses": {"200": {"description": "OK", "schema": {"items": {"$ref": format!("#/definitions/{}", t.name)}, "type": "array"}}, "206": {"description": "Partial Content"}}},
                "post": {"tags": [t.name], "parameters": [{"$ref": format!("#/parameters/body.{}", t.name)}, {"$ref": "#/parameters/select"}, {"$ref": "#/parameters/preferPost"}], "responses": {"201": {"description": "Created"}}},
                "patch": {"tags": [t.name], "parameters": [{"$ref": format!("#/parameters/body.{}", t.name)}, {"$ref": "#/parameters/preferReturn"}], "responses": {"204": {"description": "No Content"}}},
                "delete": {"tags": [t.name], "parameters": [{"$ref": "#/parameters/preferReturn"}], "responses": {"204": {"description": "No Content"}}},
            }),
        );
        let mut props = Map::new();
        for (c, ty, format) in t.columns {
            let mut prop = json!({"format": format, "type": ty});
            if *c == "id" {
                prop["description"] = json!("Note:\nThis is a Primary Key.<pk/>");
            }
            props.insert((*c).to_string(), prop);
        }
        definitions.insert(
            t.name.to_string(),
            json!({"required": t.required, "properties": props, "type": "object"}),
        );
    }
    paths.insert(
        format!("/rpc/{RPC_NOTE_COUNT}"),
        json!({
            "get": {"tags": ["(rpc) my_note_count"], "summary": "How many notes the caller owns", "responses": {"200": {"description": "OK"}}},
            "post": {"tags": ["(rpc) my_note_count"], "parameters": [{"in": "body", "name": "args", "required": true, "schema": {"type": "object", "properties": {}}}], "responses": {"200": {"description": "OK"}}},
        }),
    );
    let host = p.url.trim_start_matches("http://").to_string();
    let doc = json!({
        "swagger": "2.0",
        "info": {"description": "", "title": "standard public schema", "version": "12.2.12"},
        "host": host,
        "basePath": "/",
        "schemes": ["http"],
        "consumes": ["application/json", "application/vnd.pgrst.object+json;nulls=stripped", "application/vnd.pgrst.object+json", "text/csv"],
        "produces": ["application/json", "application/vnd.pgrst.object+json;nulls=stripped", "application/vnd.pgrst.object+json", "text/csv"],
        "paths": paths,
        "definitions": definitions,
    });
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openapi+json; charset=utf-8",
        )],
        doc.to_string(),
    )
        .into_response()
}

/// One `column=op.value` filter.
struct Filter {
    column: String,
    negate: bool,
    op: String,
    value: String,
}

impl Filter {
    fn matches(&self, row: &Map<String, Value>) -> bool {
        let v = row.get(&self.column).unwrap_or(&Value::Null);
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => "null".to_string(),
            other => other.to_string(),
        };
        let hit = match self.op.as_str() {
            "eq" => !v.is_null() && text == self.value,
            "neq" => !v.is_null() && text != self.value,
            "is" => match self.value.as_str() {
                "null" => v.is_null(),
                "true" => v == &Value::Bool(true),
                "false" => v == &Value::Bool(false),
                _ => false,
            },
            "in" => self
                .value
                .trim_start_matches('(')
                .trim_end_matches(')')
                .split(',')
                .any(|x| x.trim_matches('"') == text),
            "gt" | "gte" | "lt" | "lte" => {
                let ord = match (text.parse::<f64>(), self.value.parse::<f64>()) {
                    (Ok(a), Ok(b)) => a.partial_cmp(&b),
                    _ => Some(text.as_str().cmp(self.value.as_str())),
                };
                matches!(
                    (self.op.as_str(), ord),
                    ("gt", Some(std::cmp::Ordering::Greater))
                        | (
                            "gte",
                            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                        )
                        | ("lt", Some(std::cmp::Ordering::Less))
                        | (
                            "lte",
                            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                        )
                )
            }
            _ => false,
        };
        hit != self.negate
    }
}

/// The parsed query of a table request.
struct TableQuery {
    select: Option<Vec<String>>,
    filters: Vec<Filter>,
    order: Option<(String, bool)>,
    limit: Option<usize>,
    offset: usize,
}

const OPERATORS: &[&str] = &["eq", "neq", "gt", "gte", "lt", "lte", "is", "in"];

#[allow(clippy::result_large_err)] // an early answer is a whole response
fn parse_query(t: &TableDef, pairs: &[(String, String)]) -> Result<TableQuery, Response> {
    let known = |c: &str| t.columns.iter().any(|(n, _, _)| *n == c);
    let missing = |c: &str| {
        pgrst_error(
            StatusCode::BAD_REQUEST,
            "42703",
            &format!("column {}.{c} does not exist", t.name),
            None,
        )
    };
    let mut q = TableQuery {
        select: None,
        filters: Vec::new(),
        order: None,
        limit: None,
        offset: 0,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "select" => {
                if v.trim() != "*" {
                    let cols: Vec<String> = v.split(',').map(|c| c.trim().to_string()).collect();
                    if let Some(c) = cols.iter().find(|c| !known(c)) {
                        return Err(missing(c));
                    }
                    q.select = Some(cols);
                }
            }
            "order" => {
                let (c, dir) = v.split_once('.').unwrap_or((v.as_str(), "asc"));
                if !known(c) {
                    return Err(missing(c));
                }
                q.order = Some((c.to_string(), dir.starts_with("desc")));
            }
            "limit" | "offset" => {
                let n: usize = v.parse().map_err(|_| {
                    pgrst_error(
                        StatusCode::BAD_REQUEST,
                        "PGRST102",
                        &format!("\"{v}\" is not a valid {k}"),
                        None,
                    )
                })?;
                if k == "limit" {
                    q.limit = Some(n);
                } else {
                    q.offset = n;
                }
            }
            "apikey" | "columns" | "on_conflict" => {}
            column => {
                if !known(column) {
                    return Err(missing(column));
                }
                let (negate, rest) = match v.strip_prefix("not.") {
                    Some(r) => (true, r),
                    None => (false, v.as_str()),
                };
                let Some((op, value)) = rest
                    .split_once('.')
                    .filter(|(op, _)| OPERATORS.contains(op))
                else {
                    return Err(pgrst_error(
                        StatusCode::BAD_REQUEST,
                        "PGRST100",
                        &format!("\"failed to parse filter ({v})\" (line 1, column 1)"),
                        None,
                    ));
                };
                q.filters.push(Filter {
                    column: column.to_string(),
                    negate,
                    op: op.to_string(),
                    value: value.to_string(),
                });
            }
        }
    }
    Ok(q)
}

/// `Range: 0-9` (items).
fn range_header(headers: &HeaderMap) -> Option<(usize, Option<usize>)> {
    let v = headers.get(header::RANGE)?.to_str().ok()?;
    let v = v.trim().trim_start_matches("items=");
    let (a, b) = v.split_once('-')?;
    let start = a.trim().parse().ok()?;
    let end = b.trim().parse().ok();
    Some((start, end))
}

fn prefer(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn project_row(row: &Map<String, Value>, select: &Option<Vec<String>>) -> Value {
    match select {
        None => Value::Object(row.clone()),
        Some(cols) => Value::Object(
            cols.iter()
                .map(|c| (c.clone(), row.get(c).cloned().unwrap_or(Value::Null)))
                .collect(),
        ),
    }
}

fn json_rows(
    status: StatusCode,
    rows: Vec<Value>,
    extra: Option<(&'static str, String)>,
) -> Response {
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        Value::Array(rows).to_string(),
    )
        .into_response();
    if let Some((name, value)) = extra
        && let Ok(v) = HeaderValue::from_str(&value)
    {
        resp.headers_mut().insert(name, v);
    }
    resp
}

/// `GET|POST|PATCH|DELETE /rest/v1/{table}` under the table's row policies.
async fn table_request(
    State(p): State<Shared>,
    method: Method,
    Path(table): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query_key = pairs
        .iter()
        .find(|(k, _)| k == "apikey")
        .map(|(_, v)| v.as_str());
    let caller = match p.caller(&headers, query_key) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(t) = table_def(&table) else {
        return pgrst_error(
            StatusCode::NOT_FOUND,
            "PGRST205",
            &format!("Could not find the table 'public.{table}' in the schema cache"),
            Some("Perhaps you meant the table 'public.notes'"),
        );
    };
    let q = match parse_query(t, &pairs) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let representation = prefer(&headers, "return").as_deref() == Some("representation");
    match method {
        Method::GET => select_rows(&p, t, &caller, &q, &headers),
        Method::POST => insert_rows(&p, t, &caller, &q, &body, representation),
        Method::PATCH => update_rows(&p, t, &caller, &q, &body, representation),
        Method::DELETE => delete_rows(&p, t, &caller, &q, representation),
        _ => pgrst_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "PGRST117",
            "Unsupported HTTP method",
            None,
        ),
    }
}

fn select_rows(
    p: &Project,
    t: &TableDef,
    caller: &Caller,
    q: &TableQuery,
    headers: &HeaderMap,
) -> Response {
    let tables = p.tables.lock().unwrap_or_else(|e| e.into_inner());
    let mut rows: Vec<&Map<String, Value>> = tables
        .get(t.name)
        .into_iter()
        .flatten()
        .filter(|r| p.policy(t, Command::Select, caller, r))
        .filter(|r| q.filters.iter().all(|f| f.matches(r)))
        .collect();
    if let Some((col, desc)) = &q.order {
        rows.sort_by(|a, b| {
            let key = |r: &Map<String, Value>| r.get(col).map(Value::to_string).unwrap_or_default();
            let o = key(a).cmp(&key(b));
            if *desc { o.reverse() } else { o }
        });
    }
    let total = rows.len();
    let (mut start, mut end) = (q.offset, q.limit.map(|l| q.offset + l));
    let ranged = range_header(headers);
    if let Some((s, e)) = ranged {
        start = start.max(s);
        end = match (end, e.map(|e| e + 1)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    if start > total && total > 0 {
        return pgrst_error(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "PGRST103",
            "Requested range not satisfiable",
            None,
        );
    }
    let page: Vec<Value> = rows
        .iter()
        .skip(start)
        .take(end.map_or(usize::MAX, |e| e.saturating_sub(start)))
        .map(|r| project_row(r, &q.select))
        .collect();
    let exact = prefer(headers, "count").as_deref() == Some("exact");
    let total_text = if exact {
        total.to_string()
    } else {
        "*".to_string()
    };
    let content_range = if page.is_empty() {
        format!("*/{total_text}")
    } else {
        format!("{start}-{}/{total_text}", start + page.len() - 1)
    };
    let status = if exact && ranged.is_some() && page.len() < total {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    json_rows(status, page, Some(("content-range", content_range)))
}

#[allow(clippy::result_large_err)] // an early answer is a whole response
fn body_rows(t: &TableDef, body: &[u8]) -> Result<Vec<Map<String, Value>>, Response> {
    let parsed: Value = serde_json::from_slice(body).map_err(|e| {
        pgrst_error(
            StatusCode::BAD_REQUEST,
            "PGRST102",
            &format!("Empty or invalid json: {e}"),
            None,
        )
    })?;
    let rows = match parsed {
        Value::Array(a) => a,
        v @ Value::Object(_) => vec![v],
        _ => {
            return Err(pgrst_error(
                StatusCode::BAD_REQUEST,
                "PGRST102",
                "All object keys must match",
                None,
            ));
        }
    };
    let mut out = Vec::new();
    for r in rows {
        let Value::Object(m) = r else {
            return Err(pgrst_error(
                StatusCode::BAD_REQUEST,
                "PGRST102",
                "All object keys must match",
                None,
            ));
        };
        if let Some(c) = m.keys().find(|c| !t.columns.iter().any(|(n, _, _)| n == c)) {
            return Err(pgrst_error(
                StatusCode::BAD_REQUEST,
                "PGRST204",
                &format!(
                    "Could not find the '{c}' column of '{}' in the schema cache",
                    t.name
                ),
                None,
            ));
        }
        out.push(m);
    }
    Ok(out)
}

fn insert_rows(
    p: &Project,
    t: &TableDef,
    caller: &Caller,
    q: &TableQuery,
    body: &[u8],
    representation: bool,
) -> Response {
    let new = match body_rows(t, body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let uid = match caller {
        Caller::User(u) => Value::String(u.clone()),
        _ => Value::Null,
    };
    let mut made = Vec::new();
    {
        let mut next = p.next_id.lock().unwrap_or_else(|e| e.into_inner());
        for mut r in new {
            if t.name == "notes" {
                r.entry("id").or_insert_with(|| {
                    *next += 1;
                    json!(*next - 1)
                });
                r.entry("user_id").or_insert(uid.clone());
                r.entry("created_at")
                    .or_insert_with(|| Value::String(crate::state::now_rfc3339()));
            }
            for (c, _, _) in t.columns {
                r.entry(*c).or_insert(Value::Null);
            }
            // Postgres checks the RLS WITH CHECK before the table's constraints.
            if !p.policy(t, Command::Insert, caller, &r) {
                return rls_violation(caller, t.name);
            }
            if t.required
                .iter()
                .any(|c| r.get(*c).is_none_or(Value::is_null))
            {
                let c = t
                    .required
                    .iter()
                    .find(|c| r.get(**c).is_none_or(Value::is_null))
                    .copied()
                    .unwrap_or("id");
                return pgrst_error(
                    StatusCode::BAD_REQUEST,
                    "23502",
                    &format!(
                        "null value in column {c} of relation {} violates not-null constraint",
                        t.name
                    ),
                    None,
                );
            }
            // RETURNING needs the new row to pass the SELECT policies too.
            if representation && !p.policy(t, Command::Select, caller, &r) {
                return rls_violation(caller, t.name);
            }
            made.push(r);
        }
    }
    let mut tables = p.tables.lock().unwrap_or_else(|e| e.into_inner());
    let rows = tables.entry(t.name).or_default();
    for r in &made {
        if rows.iter().any(|x| x.get("id") == r.get("id")) {
            return pgrst_error(
                StatusCode::CONFLICT,
                "23505",
                &format!(
                    "duplicate key value violates unique constraint {}_pkey",
                    t.name
                ),
                None,
            );
        }
    }
    rows.extend(made.iter().cloned());
    if representation {
        json_rows(
            StatusCode::CREATED,
            made.iter().map(|r| project_row(r, &q.select)).collect(),
            None,
        )
    } else {
        StatusCode::CREATED.into_response()
    }
}

fn update_rows(
    p: &Project,
    t: &TableDef,
    caller: &Caller,
    q: &TableQuery,
    body: &[u8],
    representation: bool,
) -> Response {
    let patch = match body_rows(t, body) {
        Ok(mut r) if r.len() == 1 => r.remove(0),
        Ok(_) => {
            return pgrst_error(
                StatusCode::BAD_REQUEST,
                "PGRST102",
                "Empty or invalid json",
                None,
            );
        }
        Err(r) => return r,
    };
    let mut tables = p.tables.lock().unwrap_or_else(|e| e.into_inner());
    let rows = tables.entry(t.name).or_default();
    let mut changed = Vec::new();
    for r in rows.iter_mut() {
        // A WHERE that reads the table sees only the rows the SELECT policies pass.
        let visible = q.filters.is_empty() || p.policy(t, Command::Select, caller, r);
        if !visible
            || !q.filters.iter().all(|f| f.matches(r))
            || !p.policy(t, Command::UpdateUsing, caller, r)
        {
            continue;
        }
        let mut next = r.clone();
        for (k, v) in &patch {
            next.insert(k.clone(), v.clone());
        }
        if !p.policy(t, Command::UpdateCheck, caller, &next) {
            return rls_violation(caller, t.name);
        }
        *r = next;
        changed.push(project_row(r, &q.select));
    }
    if representation {
        json_rows(StatusCode::OK, changed, None)
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

fn delete_rows(
    p: &Project,
    t: &TableDef,
    caller: &Caller,
    q: &TableQuery,
    representation: bool,
) -> Response {
    let mut tables = p.tables.lock().unwrap_or_else(|e| e.into_inner());
    let rows = tables.entry(t.name).or_default();
    let mut gone = Vec::new();
    rows.retain(|r| {
        let visible = q.filters.is_empty() || p.policy(t, Command::Select, caller, r);
        let hit = visible
            && q.filters.iter().all(|f| f.matches(r))
            && p.policy(t, Command::Delete, caller, r);
        if hit {
            gone.push(project_row(r, &q.select));
        }
        !hit
    });
    if representation {
        json_rows(StatusCode::OK, gone, None)
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// `/rest/v1/rpc/my_note_count`: STABLE, so GET may call it (in a read-only transaction).
async fn rpc(
    State(p): State<Shared>,
    Path(function): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let caller = match p.caller(&headers, q.get("apikey").map(String::as_str)) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if function != RPC_NOTE_COUNT {
        return pgrst_error(
            StatusCode::NOT_FOUND,
            "PGRST202",
            &format!(
                "Could not find the function public.{function} without parameters in the schema cache"
            ),
            Some("Perhaps you meant to call the function public.my_note_count"),
        );
    }
    let notes = table_def("notes").expect("notes is defined");
    let count = p
        .tables
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get("notes")
        .into_iter()
        .flatten()
        .filter(|r| p.policy(notes, Command::Select, &caller, r))
        .filter(|r| matches!(&caller, Caller::User(u) if r.get("user_id").and_then(Value::as_str) == Some(u)))
        .count();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        count.to_string(),
    )
        .into_response()
}

/// `POST /auth/v1/token?grant_type=password`.
async fn token(
    State(p): State<Shared>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = p.caller(&headers, None) {
        return r;
    }
    if q.get("grant_type").map(String::as_str) != Some("password") {
        return json_error(
            StatusCode::BAD_REQUEST,
            json!({"code": 400, "error_code": "validation_failed", "msg": "unsupported_grant_type"}),
        );
    }
    let creds: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let email = creds.get("email").and_then(Value::as_str).unwrap_or("");
    let password = creds.get("password").and_then(Value::as_str).unwrap_or("");
    let user = p.users.iter().find(|u| {
        u.email.eq_ignore_ascii_case(email)
            && subtle::ConstantTimeEq::ct_eq(u.password.as_bytes(), password.as_bytes()).into()
    });
    let Some(user) = user else {
        return json_error(
            StatusCode::BAD_REQUEST,
            json!({"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"}),
        );
    };
    let Ok(access) = p.issue(user) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let refresh: String = (0..12)
        .map(|_| format!("{:x}", rand::random::<u8>() % 16))
        .collect();
    let answer = json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": TOKEN_TTL,
        "expires_at": now_unix() + TOKEN_TTL,
        "refresh_token": refresh,
        "user": user_json(user),
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        answer.to_string(),
    )
        .into_response()
}

fn user_json(u: &User) -> Value {
    json!({"id": u.id, "aud": "authenticated", "role": "authenticated", "email": u.email,
           "email_confirmed_at": "2026-01-01T00:00:00Z", "app_metadata": {"provider": "email", "providers": ["email"]},
           "user_metadata": {}})
}

/// `POST /auth/v1/signup`: the project takes no new users (the app invites them).
async fn signup(State(p): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = p.caller(&headers, None) {
        return r;
    }
    json_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"code": 422, "error_code": "signup_disabled", "msg": "Signups not allowed for this instance"}),
    )
}

/// `GET /auth/v1/settings`: the public auth settings.
async fn settings(State(p): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = p.caller(&headers, None) {
        return r;
    }
    let body = json!({
        "external": {"email": true, "phone": false, "google": false, "github": false, "anonymous_users": false},
        "disable_signup": true,
        "mailer_autoconfirm": false,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /auth/v1/user`: the caller's own user.
async fn user(State(p): State<Shared>, headers: HeaderMap) -> Response {
    match p.caller(&headers, None) {
        Ok(Caller::User(uid)) => match p.users.iter().find(|u| u.id == uid) {
            Some(u) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                user_json(u).to_string(),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Ok(_) => json_error(
            StatusCode::FORBIDDEN,
            json!({"code": 403, "error_code": "bad_jwt", "msg": "invalid claim: missing sub claim"}),
        ),
        Err(r) => r,
    }
}

fn storage_error(status: &str, error: &str, message: &str) -> Response {
    json_error(
        StatusCode::BAD_REQUEST,
        json!({"statusCode": status, "error": error, "message": message}),
    )
}

/// `GET /storage/v1/bucket`: buckets the caller may see (none for anon).
async fn buckets(State(p): State<Shared>, headers: HeaderMap) -> Response {
    let caller = match p.caller(&headers, None) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let list = if caller == Caller::Anon {
        json!([])
    } else {
        json!([{"id": BUCKET, "name": BUCKET, "owner": "", "public": false, "file_size_limit": null,
                "allowed_mime_types": null, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}])
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        list.to_string(),
    )
        .into_response()
}

/// `POST /storage/v1/object/list/{bucket}` `{"prefix": "...", "limit": 100, "offset": 0}`:
/// the objects and folders right under the prefix that the caller's policies let it see.
async fn list_objects(
    State(p): State<Shared>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match p.caller(&headers, None) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if bucket != BUCKET {
        return storage_error("404", "Bucket not found", "Bucket not found");
    }
    let opts: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let Some(prefix) = opts.get("prefix").and_then(Value::as_str) else {
        return storage_error("400", "Error", "body must have required property 'prefix'");
    };
    let limit = opts.get("limit").and_then(Value::as_u64).unwrap_or(100) as usize;
    let offset = opts.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let dir = if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    };
    let objects = p.objects.lock().unwrap_or_else(|e| e.into_inner());
    let mut folders = BTreeSet::new();
    let mut entries = Vec::new();
    for o in objects.iter().filter(|o| o.bucket == bucket) {
        if !p.object_policy(Command::Select, &caller, &o.name) {
            continue;
        }
        let Some(rest) = o.name.strip_prefix(&dir) else {
            continue;
        };
        match rest.split_once('/') {
            Some((folder, _)) => {
                if folders.insert(folder.to_string()) {
                    entries.push(json!({"name": folder, "id": null, "updated_at": null, "created_at": null, "last_accessed_at": null, "metadata": null}));
                }
            }
            None => entries.push(json!({
                "name": rest, "id": o.id, "updated_at": o.created_at, "created_at": o.created_at,
                "last_accessed_at": o.created_at,
                "metadata": {"size": o.body.len(), "mimetype": "text/plain", "cacheControl": "max-age=3600"},
            })),
        }
    }
    let page: Vec<Value> = entries.into_iter().skip(offset).take(limit).collect();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Value::Array(page).to_string(),
    )
        .into_response()
}

async fn read_object(
    State(p): State<Shared>,
    Path((bucket, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let caller = match p.caller(&headers, None) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let path = path.trim_start_matches("authenticated/").to_string();
    let objects = p.objects.lock().unwrap_or_else(|e| e.into_inner());
    match objects
        .iter()
        .find(|o| o.bucket == bucket && o.name == path)
    {
        Some(o) if p.object_policy(Command::Select, &caller, &o.name) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain")],
            o.body.clone(),
        )
            .into_response(),
        _ => storage_error("404", "not_found", "Object not found"),
    }
}

async fn upload_object(
    State(p): State<Shared>,
    Path((bucket, path)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match p.caller(&headers, None) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if bucket != BUCKET {
        return storage_error("404", "Bucket not found", "Bucket not found");
    }
    if !p.object_policy(Command::Insert, &caller, &path) {
        return storage_error(
            "403",
            "Unauthorized",
            "new row violates row-level security policy",
        );
    }
    let mut objects = p.objects.lock().unwrap_or_else(|e| e.into_inner());
    if objects.iter().any(|o| o.bucket == bucket && o.name == path) {
        return storage_error("409", "Duplicate", "The resource already exists");
    }
    let id = uuid::Uuid::new_v4().to_string();
    objects.push(StoredObject {
        bucket: bucket.clone(),
        name: path.clone(),
        id: id.clone(),
        body: body.slice(..body.len().min(64 * 1024)),
        created_at: crate::state::now_rfc3339(),
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"Key": format!("{bucket}/{path}"), "Id": id}).to_string(),
    )
        .into_response()
}

/// `DELETE /storage/v1/object/{bucket}` `{"prefixes": [paths]}`: deletes what the
/// caller's delete policy allows, and answers with the deleted objects.
async fn delete_objects(
    State(p): State<Shared>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match p.caller(&headers, None) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let opts: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let names: Vec<String> = opts
        .get("prefixes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut objects = p.objects.lock().unwrap_or_else(|e| e.into_inner());
    let mut gone = Vec::new();
    objects.retain(|o| {
        let hit = o.bucket == bucket
            && names.contains(&o.name)
            && p.object_policy(Command::Select, &caller, &o.name)
            && p.object_policy(Command::Delete, &caller, &o.name);
        if hit {
            gone.push(json!({"name": o.name, "bucket_id": o.bucket, "id": o.id}));
        }
        !hit
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Value::Array(gone).to_string(),
    )
        .into_response()
}
