//! `GET /openapi.json`: the OpenAPI 3.0 description of the JSON API.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use crate::state::SharedState;

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn path_param(name: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": schema })
}

fn query_param(name: &str, required: bool, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": required, "schema": schema })
}

fn list_params() -> Vec<Value> {
    vec![
        query_param(
            "limit",
            false,
            json!({ "type": "integer", "minimum": 1, "maximum": 100, "default": 50 }),
        ),
        query_param("offset", false, json!({ "type": "integer", "minimum": 0 })),
        query_param("q", false, json!({ "type": "string", "maxLength": 200 })),
    ]
}

/// One operation. `public` operations need no authentication.
struct Op {
    summary: &'static str,
    tag: &'static str,
    params: Vec<Value>,
    body: Option<&'static str>,
    ok_status: &'static str,
    ok_schema: Option<Value>,
    public: bool,
}

impl Op {
    fn new(tag: &'static str, summary: &'static str) -> Op {
        Op {
            summary,
            tag,
            params: Vec::new(),
            body: None,
            ok_status: "200",
            ok_schema: None,
            public: false,
        }
    }
    fn params(mut self, params: Vec<Value>) -> Op {
        self.params = params;
        self
    }
    fn body(mut self, schema: &'static str) -> Op {
        self.body = Some(schema);
        self
    }
    fn ok(mut self, status: &'static str, schema: Option<Value>) -> Op {
        self.ok_status = status;
        self.ok_schema = schema;
        self
    }
    fn public(mut self) -> Op {
        self.public = true;
        self
    }

    fn render(self) -> Value {
        let mut responses = Map::new();
        let mut ok = json!({ "description": "Success" });
        if let Some(schema) = self.ok_schema {
            ok["content"] = json_content(schema);
        }
        responses.insert(self.ok_status.to_string(), ok);
        let error = |description: &str| json!({ "description": description, "content": json_content(schema_ref("Error")) });
        if self.body.is_some() || !self.params.is_empty() {
            responses.insert("400".into(), error("Malformed request"));
        }
        if self.body.is_some() {
            responses.insert("422".into(), error("Invalid field value"));
        }
        if !self.public {
            responses.insert("401".into(), error("Not authenticated"));
            responses.insert("404".into(), error("Not found in your organisation"));
        }
        responses.insert("429".into(), error("Rate limited; see Retry-After"));
        let mut op = json!({
            "summary": self.summary,
            "tags": [self.tag],
            "responses": responses,
        });
        if !self.params.is_empty() {
            op["parameters"] = Value::Array(self.params);
        }
        if let Some(body) = self.body {
            op["requestBody"] =
                json!({ "required": true, "content": json_content(schema_ref(body)) });
        }
        if self.public {
            op["security"] = json!([]);
        }
        op
    }
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

fn text(max: usize) -> Value {
    json!({ "type": "string", "maxLength": max })
}

/// The components' schemas, grouped by concern like the paths.
fn schemas() -> Value {
    merged([
        account_schemas(),
        resource_schemas(),
        order_schemas(),
        admin_schemas(),
    ])
}

/// The members of every group in one object, group after group: the document keeps
/// its key order whether or not serde_json preserves insertion order.
fn merged<const N: usize>(groups: [Value; N]) -> Value {
    let mut all = Map::new();
    for group in groups {
        let Value::Object(members) = group else {
            unreachable!("every group is an object literal")
        };
        all.extend(members);
    }
    Value::Object(all)
}

/// Errors, sign-in, signup, password reset and the caller's account.
fn account_schemas() -> Value {
    json!({
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": { "error": { "type": "string" }, "field": { "type": "string" } }
        },
        "LoginRequest": object(&["email", "password"], json!({
            "email": { "type": "string", "format": "email" },
            "password": { "type": "string", "format": "password" }
        })),
        "TokenResponse": {
            "type": "object",
            "properties": {
                "access_token": { "type": "string" },
                "token_type": { "type": "string", "enum": ["Bearer"] },
                "expires_in": { "type": "integer" },
                "role": { "type": "string" }, "staff": { "type": "boolean" }
            }
        },
        "SignupRequest": object(&["organization", "name", "email", "password"], json!({
            "organization": text(100),
            "name": text(200),
            "email": { "type": "string", "format": "email", "maxLength": 254 },
            "password": { "type": "string", "format": "password", "minLength": 12, "maxLength": 128 }
        })),
        "PasswordResetRequest": object(&["email"], json!({ "email": { "type": "string", "format": "email" } })),
        "PasswordResetConfirm": object(&["token", "password"], json!({
            "token": text(100),
            "password": { "type": "string", "format": "password", "minLength": 12, "maxLength": 128 }
        })),
        "Organization": {
            "type": "object",
            "properties": { "id": { "type": "integer" }, "name": { "type": "string" }, "slug": { "type": "string" } }
        },
        "User": {
            "type": "object",
            "properties": {
                "id": { "type": "integer" }, "email": { "type": "string" }, "name": { "type": "string" },
                "role": { "type": "string", "enum": ["admin", "member"] }, "staff": { "type": "boolean" },
                "created_at": { "type": "string", "format": "date-time" }
            }
        },
        "Me": {
            "type": "object",
            "properties": {
                "id": { "type": "integer" }, "email": { "type": "string" }, "name": { "type": "string" },
                "role": { "type": "string" }, "staff": { "type": "boolean" },
                "organization": schema_ref("Organization")
            }
        },
        "ProfileUpdate": object(&["name"], json!({ "name": text(200) }))
    })
}

/// The catalogue and the tenant-scoped resources: projects, invoices, documents.
fn resource_schemas() -> Value {
    json!({
        "Product": {
            "type": "object",
            "properties": {
                "sku": { "type": "string" }, "name": { "type": "string" }, "description": { "type": "string" },
                "price_cents": { "type": "integer" }, "currency": { "type": "string" }
            }
        },
        "Project": {
            "type": "object",
            "properties": {
                "id": { "type": "integer" }, "name": { "type": "string" }, "description": { "type": "string" },
                "status": { "type": "string", "enum": ["active", "archived"] },
                "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" }
            }
        },
        "ProjectCreate": object(&["name"], json!({ "name": text(200), "description": text(10000) })),
        "ProjectReplace": object(&["name", "description"], json!({
            "name": text(200), "description": text(10000), "status": { "type": "string", "enum": ["active", "archived"] }
        })),
        "ProjectPatch": object(&[], json!({
            "name": text(200), "description": text(10000), "status": { "type": "string", "enum": ["active", "archived"] }
        })),
        "Invoice": {
            "type": "object",
            "properties": {
                "id": { "type": "string", "format": "uuid" }, "number": { "type": "string" },
                "customer": { "type": "string" }, "amount_cents": { "type": "integer" }, "currency": { "type": "string" },
                "memo": { "type": "string" }, "status": { "type": "string", "enum": ["draft", "sent", "paid", "void"] },
                "issued_on": { "type": "string", "format": "date" }, "created_at": { "type": "string", "format": "date-time" }
            }
        },
        "InvoiceCreate": object(&["customer", "amount_cents", "currency"], json!({
            "customer": text(200),
            "amount_cents": { "type": "integer", "minimum": 0, "maximum": 1_000_000_000 },
            "currency": { "type": "string", "enum": ["USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY"] },
            "memo": text(10000)
        })),
        "InvoiceReplace": object(&["customer", "amount_cents", "currency"], json!({
            "customer": text(200),
            "amount_cents": { "type": "integer", "minimum": 0, "maximum": 1_000_000_000 },
            "currency": { "type": "string", "enum": ["USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY"] },
            "memo": text(10000),
            "status": { "type": "string", "enum": ["draft", "sent", "paid", "void"] }
        })),
        "Document": {
            "type": "object",
            "properties": {
                "slug": { "type": "string" }, "title": { "type": "string" }, "body": { "type": "string" },
                "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" }
            }
        },
        "DocumentCreate": object(&["title", "body"], json!({ "title": text(200), "body": text(10000) })),
        "DocumentLookup": object(&["slug"], json!({ "slug": text(200) }))
    })
}

/// Orders and coupons.
fn order_schemas() -> Value {
    json!({
        "Order": {
            "type": "object",
            "properties": {
                "id": { "type": "integer" }, "status": { "type": "string" }, "total_cents": { "type": "integer" },
                "currency": { "type": "string" }, "created_at": { "type": "string", "format": "date-time" },
                "items": { "type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "sku": { "type": "string" }, "name": { "type": "string" },
                        "quantity": { "type": "integer" }, "unit_price_cents": { "type": "integer" }
                    }
                } }
            }
        },
        "OrderCreate": object(&["items"], json!({
            "items": {
                "type": "array", "minItems": 1, "maxItems": 50,
                "items": object(&["sku", "quantity"], json!({
                    "sku": text(64), "quantity": { "type": "integer", "minimum": 1, "maximum": 1000 }
                }))
            }
        })),
        "Coupon": {
            "type": "object",
            "properties": {
                "code": { "type": "string" }, "percent_off": { "type": "integer" },
                "created_at": { "type": "string", "format": "date-time" },
                "redeemed_at": { "type": "string", "format": "date-time", "nullable": true }
            }
        },
        "CouponCreate": object(&["code", "percent_off"], json!({
            "code": { "type": "string", "maxLength": 40, "pattern": "^[A-Za-z0-9-]+$" },
            "percent_off": { "type": "integer", "minimum": 1, "maximum": 100 }
        })),
        "CouponRedeem": object(&["code"], json!({ "code": text(40) }))
    })
}

/// Role changes and audit events.
fn admin_schemas() -> Value {
    json!({
        "RoleChange": object(&["role"], json!({ "role": { "type": "string", "enum": ["admin", "member"] } })),
        "AuditEvent": {
            "type": "object",
            "properties": {
                "id": { "type": "integer" }, "actor": { "type": "string" }, "action": { "type": "string" },
                "target": { "type": "string" }, "at": { "type": "string", "format": "date-time" }, "ip": { "type": "string" }
            }
        }
    })
}

fn wrapped(key: &str, item: &str) -> Value {
    json!({ "type": "object", "properties": { key: { "type": "array", "items": schema_ref(item) } } })
}

/// Sign-in, signup, password reset, the public catalogue and the caller's account.
fn account_paths() -> Value {
    json!({
        "/api/auth/login": { "post": Op::new("auth", "Exchange email and password for a 15-minute access token")
            .body("LoginRequest").ok("200", Some(schema_ref("TokenResponse"))).public().render() },
        "/api/auth/logout": { "post": Op::new("auth", "Revoke the access token used (or end the session)")
            .ok("204", None).render() },
        "/api/auth/signup": { "post": Op::new("auth", "Create an organisation and its first admin")
            .body("SignupRequest").ok("201", None).public().render() },
        "/api/auth/password-reset": { "post": Op::new("auth", "Email a password reset link if the account exists")
            .body("PasswordResetRequest").ok("202", None).public().render() },
        "/api/auth/password-reset/confirm": { "post": Op::new("auth", "Set a new password with a reset token")
            .body("PasswordResetConfirm").ok("204", None).public().render() },
        "/api/catalog": { "get": Op::new("catalog", "Public product catalogue")
            .ok("200", Some(wrapped("products", "Product"))).public().render() },
        "/api/me": {
            "get": Op::new("account", "The caller, with their role and organisation").ok("200", Some(schema_ref("Me"))).render(),
            "patch": Op::new("account", "Change the caller's display name").body("ProfileUpdate").ok("200", Some(schema_ref("Me"))).render()
        }
    })
}

/// The tenant-scoped resources: projects, invoices, documents.
fn resource_paths() -> Value {
    let project_id = || path_param("id", json!({ "type": "integer", "format": "int64" }));
    let invoice_id = || path_param("id", json!({ "type": "string", "format": "uuid" }));
    let slug = || path_param("slug", json!({ "type": "string" }));
    json!({
        "/api/projects": {
            "get": Op::new("projects", "List the organisation's projects").params(list_params())
                .ok("200", Some(wrapped("projects", "Project"))).render(),
            "post": Op::new("projects", "Create a project").body("ProjectCreate").ok("201", Some(schema_ref("Project"))).render()
        },
        "/api/projects/search": {
            "get": Op::new("projects", "Full-text search over project names and descriptions")
                .params(vec![query_param("q", true, json!({ "type": "string", "maxLength": 200 })),
                             query_param("limit", false, json!({ "type": "integer", "minimum": 1, "maximum": 100 }))])
                .ok("200", Some(wrapped("projects", "Project"))).render()
        },
        "/api/projects/{id}": {
            "get": Op::new("projects", "Get a project").params(vec![project_id()]).ok("200", Some(schema_ref("Project"))).render(),
            "put": Op::new("projects", "Replace a project").params(vec![project_id()]).body("ProjectReplace")
                .ok("200", Some(schema_ref("Project"))).render(),
            "patch": Op::new("projects", "Update fields of a project").params(vec![project_id()]).body("ProjectPatch")
                .ok("200", Some(schema_ref("Project"))).render(),
            "delete": Op::new("projects", "Delete a project").params(vec![project_id()]).ok("204", None).render()
        },
        "/api/invoices": {
            "get": Op::new("invoices", "List the organisation's invoices").params(list_params())
                .ok("200", Some(wrapped("invoices", "Invoice"))).render(),
            "post": Op::new("invoices", "Create a draft invoice").body("InvoiceCreate").ok("201", Some(schema_ref("Invoice"))).render()
        },
        "/api/invoices/{id}": {
            "get": Op::new("invoices", "Get an invoice").params(vec![invoice_id()]).ok("200", Some(schema_ref("Invoice"))).render(),
            "put": Op::new("invoices", "Replace an invoice").params(vec![invoice_id()]).body("InvoiceReplace")
                .ok("200", Some(schema_ref("Invoice"))).render(),
            "delete": Op::new("invoices", "Delete an invoice").params(vec![invoice_id()]).ok("204", None).render()
        },
        "/api/carts/{id}": {
            "get": Op::new("carts", "Get a cart (its id is the login answer's cart_id)")
                .params(vec![path_param("id", json!({ "type": "integer" }))]).ok("200", None).render(),
            "put": Op::new("carts", "Replace a cart's lines")
                .params(vec![path_param("id", json!({ "type": "integer" }))]).ok("200", None).render()
        },
        "/api/invoice": {
            "get": Op::new("invoices", "Get an invoice by id (legacy query-string form)")
                .params(vec![query_param("id", true, json!({ "type": "string", "format": "uuid" }))])
                .ok("200", Some(schema_ref("Invoice"))).render()
        },
        "/api/documents": {
            "get": Op::new("documents", "List the organisation's documents").params(list_params())
                .ok("200", Some(wrapped("documents", "Document"))).render(),
            "post": Op::new("documents", "Create a document; its slug derives from the title").body("DocumentCreate")
                .ok("201", Some(schema_ref("Document"))).render()
        },
        "/api/documents/lookup": {
            "post": Op::new("documents", "Get a document by slug").body("DocumentLookup").ok("200", Some(schema_ref("Document"))).render()
        },
        "/api/documents/{slug}": {
            "get": Op::new("documents", "Get a document").params(vec![slug()]).ok("200", Some(schema_ref("Document"))).render(),
            "delete": Op::new("documents", "Delete a document").params(vec![slug()]).ok("204", None).render()
        }
    })
}

/// Orders and coupons.
fn order_paths() -> Value {
    let order_id = || path_param("id", json!({ "type": "integer", "format": "int64" }));
    json!({
        "/api/orders": {
            "get": Op::new("orders", "List the organisation's orders").ok("200", Some(wrapped("orders", "Order"))).render(),
            "post": Op::new("orders", "Place an order with its line items (all or nothing)").body("OrderCreate")
                .ok("201", Some(schema_ref("Order"))).render()
        },
        "/api/orders/{id}": {
            "get": Op::new("orders", "Get an order").params(vec![order_id()]).ok("200", Some(schema_ref("Order"))).render(),
            "delete": Op::new("orders", "Cancel an order").params(vec![order_id()]).ok("204", None).render()
        },
        "/api/coupons": {
            "get": Op::new("coupons", "List the organisation's coupons").ok("200", Some(wrapped("coupons", "Coupon"))).render(),
            "post": Op::new("coupons", "Issue a single-use coupon (admins)").body("CouponCreate").ok("201", Some(schema_ref("Coupon"))).render()
        },
        "/api/coupons/redeem": {
            "post": Op::new("coupons", "Redeem a single-use coupon; 409 once used").body("CouponRedeem")
                .ok("200", Some(schema_ref("Coupon"))).render()
        }
    })
}

/// Role changes and the audit trail (admins).
fn admin_paths() -> Value {
    let user_id = || path_param("id", json!({ "type": "integer", "format": "int64" }));
    json!({
        "/api/admin/users": {
            "get": Op::new("admin", "List the organisation's users (admins)").ok("200", Some(wrapped("users", "User"))).render()
        },
        "/api/admin/users/{id}/role": {
            "post": Op::new("admin", "Change a user's role (admins)").params(vec![user_id()]).body("RoleChange")
                .ok("200", Some(schema_ref("User"))).render()
        },
        "/api/audit": {
            "get": Op::new("admin", "The organisation's audit trail, newest first (admins)")
                .params(vec![query_param("limit", false, json!({ "type": "integer", "minimum": 1, "maximum": 500 })),
                             query_param("action", false, json!({ "type": "string" }))])
                .ok("200", Some(wrapped("events", "AuditEvent"))).render()
        }
    })
}

/// The whole document.
pub(crate) fn document() -> Value {
    let paths = merged([
        account_paths(),
        resource_paths(),
        order_paths(),
        admin_paths(),
    ]);

    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Ledgerline API",
            "version": "2.14.0",
            "description": "Projects, invoices, documents and orders of your organisation. \
                            Authenticate with a bearer token from /api/auth/login, or with the session \
                            cookie of the web app plus the X-CSRF-Token header on writes."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearerAuth": [] }, { "cookieAuth": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
                "cookieAuth": { "type": "apiKey", "in": "cookie", "name": "session" }
            },
            "schemas": schemas()
        }
    })
}

/// `GET /openapi.json`
pub(crate) async fn serve(State(state): State<SharedState>) -> Json<Value> {
    let mut doc = document();
    if state.size > 0
        && let Some(paths) = doc["paths"].as_object_mut()
    {
        paths.extend(crate::scale::openapi_paths(state.size));
    }
    Json(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ref_resolves_and_bodies_declare_required_fields() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(schemas.contains_key(&name), "dangling $ref {name}");
        }
        assert_eq!(
            doc["components"]["schemas"]["InvoiceCreate"]["required"],
            json!(["customer", "amount_cents", "currency"])
        );
        assert!(doc["paths"]["/api/projects/{id}"]["delete"].is_object());
    }
}
