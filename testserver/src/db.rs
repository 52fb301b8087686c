//! The in-memory SQLite schema and the seed data every fresh process starts with.

use rusqlite::{Connection, params};

/// Tables of the app. Every tenant-owned row carries `org_id`.
const SCHEMA: &str = r#"
PRAGMA foreign_keys = ON;

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    plan        TEXT NOT NULL DEFAULT 'starter',
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations(id),
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    -- Ledgerline's own support staff (the platform operator's people; none seeded).
    staff          INTEGER NOT NULL DEFAULT 0 CHECK (staff IN (0, 1)),
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

CREATE TABLE projects (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_by   INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX projects_org ON projects(org_id);

CREATE TABLE invoices (
    id            TEXT PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations(id),
    number        TEXT NOT NULL,
    customer      TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    memo          TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'paid', 'void')),
    issued_on     TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX invoices_org ON invoices(org_id);

CREATE TABLE documents (
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    slug        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_by  INTEGER REFERENCES users(id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, slug)
);

CREATE TABLE products (
    sku          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    price_cents  INTEGER NOT NULL,
    currency     TEXT NOT NULL
);

CREATE TABLE orders (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    status       TEXT NOT NULL DEFAULT 'placed',
    total_cents  INTEGER NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL,
    note         TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX orders_org ON orders(org_id);

CREATE TABLE order_items (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id          INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    sku               TEXT NOT NULL REFERENCES products(sku),
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents  INTEGER NOT NULL
);

CREATE TABLE notes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    author_id    INTEGER NOT NULL REFERENCES users(id),
    heading      TEXT NOT NULL,
    entry        TEXT NOT NULL DEFAULT '',
    visibility   TEXT NOT NULL DEFAULT 'team'
);
CREATE INDEX notes_org ON notes(org_id);

CREATE TABLE carts (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL UNIQUE REFERENCES users(id),
    items        TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE coupons (
    code         TEXT PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    percent_off  INTEGER NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
    created_at   TEXT NOT NULL,
    redeemed_at  TEXT,
    redeemed_by  INTEGER REFERENCES users(id)
);

CREATE TABLE password_resets (
    token_sha256  TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    expires_at    INTEGER NOT NULL,
    used          INTEGER NOT NULL DEFAULT 0
);

-- Mail the app has "sent": the reset links end up here instead of an SMTP relay.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id  INTEGER REFERENCES organizations(id),
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    at      TEXT NOT NULL,
    ip      TEXT NOT NULL
);
CREATE INDEX audit_org ON audit_events(org_id, id);
"#;

/// A seeded organisation.
pub(crate) struct SeedOrg {
    pub id: i64,
    pub name: &'static str,
    pub slug: &'static str,
    pub plan: &'static str,
    pub coupon: &'static str,
}

/// A seeded user; `account` is set for the four users handed to the scanner.
pub(crate) struct SeedUser {
    pub account: Option<&'static str>,
    pub org_id: i64,
    pub email: &'static str,
    pub name: &'static str,
    pub role: &'static str,
}

pub(crate) const ORGS: &[SeedOrg] = &[
    SeedOrg {
        id: 1,
        name: "Acme Analytics",
        slug: "acme",
        plan: "business",
        coupon: "ACME-WELCOME-20",
    },
    SeedOrg {
        id: 2,
        name: "Globex Logistics",
        slug: "globex",
        plan: "starter",
        coupon: "GLOBEX-WELCOME-20",
    },
];

pub(crate) const USERS: &[SeedUser] = &[
    SeedUser {
        account: Some("a-admin"),
        org_id: 1,
        email: "ada.okafor@acme.example",
        name: "Ada Okafor",
        role: "admin",
    },
    SeedUser {
        account: Some("a-member"),
        org_id: 1,
        email: "mateo.ruiz@acme.example",
        name: "Mateo Ruiz",
        role: "member",
    },
    SeedUser {
        account: None,
        org_id: 1,
        email: "priya.nair@acme.example",
        name: "Priya Nair",
        role: "member",
    },
    SeedUser {
        account: Some("b-admin"),
        org_id: 2,
        email: "grace.lindqvist@globex.example",
        name: "Grace Lindqvist",
        role: "admin",
    },
    SeedUser {
        account: Some("b-member"),
        org_id: 2,
        email: "tom.becker@globex.example",
        name: "Tom Becker",
        role: "member",
    },
    SeedUser {
        account: None,
        org_id: 2,
        email: "hana.sato@globex.example",
        name: "Hana Sato",
        role: "member",
    },
];

const PRODUCTS: &[(&str, &str, &str, i64)] = &[
    (
        "SEAT-STD",
        "Standard seat",
        "One named user with dashboards, projects and invoicing.",
        1_500,
    ),
    (
        "SEAT-PRO",
        "Pro seat",
        "Standard seat plus forecasting, API access and unlimited documents.",
        3_900,
    ),
    (
        "ADDON-SSO",
        "SAML single sign-on",
        "Connect Okta, Entra ID or Google Workspace.",
        9_900,
    ),
    (
        "ADDON-AUDIT",
        "Audit log export",
        "Stream the audit feed to your SIEM.",
        4_900,
    ),
    (
        "STORAGE-100",
        "Extra storage, 100 GB",
        "Additional document and attachment storage.",
        1_000,
    ),
    (
        "SUPPORT-PRIORITY",
        "Priority support",
        "Four-hour first response, named support engineer.",
        19_900,
    ),
];

/// (org, name, description, status)
const PROJECTS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "Q3 churn dashboard",
        "Weekly churn and expansion revenue by cohort for the leadership review.",
        "active",
    ),
    (
        1,
        "Warehouse ETL migration",
        "Move the nightly Snowflake loads from cron scripts to the new scheduler.",
        "active",
    ),
    (
        1,
        "Customer health score",
        "Combine product usage, support tickets and NPS into one account score.",
        "archived",
    ),
    (
        2,
        "Fleet route optimizer",
        "Cut empty miles on the Benelux routes by batching pickups per depot.",
        "active",
    ),
    (
        2,
        "Port of Rotterdam integration",
        "EDI feed for container arrival notices and customs holds.",
        "active",
    ),
    (
        2,
        "Cold-chain telemetry",
        "Alert dispatch when reefer temperatures drift outside the contract band.",
        "active",
    ),
];

/// A seeded invoice.
struct SeedInvoice {
    org_id: i64,
    number: &'static str,
    customer: &'static str,
    amount_cents: i64,
    currency: &'static str,
    memo: &'static str,
    status: &'static str,
    issued_on: &'static str,
}

const INVOICES: &[SeedInvoice] = &[
    SeedInvoice {
        org_id: 1,
        number: "INV-1001",
        customer: "Initech LLC",
        amount_cents: 480_000,
        currency: "USD",
        memo: "Annual analytics subscription, 40 seats",
        status: "paid",
        issued_on: "2024-04-02",
    },
    SeedInvoice {
        org_id: 1,
        number: "INV-1002",
        customer: "Umbrella Health",
        amount_cents: 125_050,
        currency: "USD",
        memo: "Dashboard implementation, phase 1",
        status: "sent",
        issued_on: "2024-06-18",
    },
    SeedInvoice {
        org_id: 1,
        number: "INV-1003",
        customer: "Stark Retail GmbH",
        amount_cents: 96_000,
        currency: "EUR",
        memo: "Quarterly data quality review",
        status: "draft",
        issued_on: "2024-07-01",
    },
    SeedInvoice {
        org_id: 2,
        number: "INV-1001",
        customer: "Soylent Foods BV",
        amount_cents: 2_315_000,
        currency: "EUR",
        memo: "Refrigerated freight, Rotterdam to Milan, June",
        status: "paid",
        issued_on: "2024-06-30",
    },
    SeedInvoice {
        org_id: 2,
        number: "INV-1002",
        customer: "Hooli Hardware",
        amount_cents: 742_500,
        currency: "USD",
        memo: "Expedited air freight, 3 pallets",
        status: "sent",
        issued_on: "2024-07-08",
    },
];

/// (org, slug, title, body)
const DOCUMENTS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "q3-roadmap",
        "Q3 Roadmap",
        "Themes for Q3: self-serve onboarding, the forecasting beta and SOC 2 evidence collection.",
    ),
    (
        1,
        "incident-review-2024-06-12",
        "Incident review 2024-06-12",
        "Dashboard exports timed out for 47 minutes after the warehouse resize. Action items inside.",
    ),
    (
        2,
        "carrier-onboarding-checklist",
        "Carrier onboarding checklist",
        "Insurance certificate, W-9 or VAT number, ELD provider, dispatch contact, rate confirmation.",
    ),
    (
        2,
        "security-questionnaire-answers",
        "Security questionnaire answers",
        "Standard answers for customer security reviews: encryption at rest, SSO, data retention.",
    ),
];

/// Create the schema and insert the seed data. `password_hashes` lines up with `USERS`.
pub(crate) fn open_seeded(
    password_hashes: &[String],
    invoice_ids: &[String],
    now: &str,
) -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    for org in ORGS {
        conn.execute(
            "INSERT INTO organizations (id, name, slug, plan, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![org.id, org.name, org.slug, org.plan, now],
        )?;
        conn.execute(
            "INSERT INTO coupons (code, org_id, percent_off, created_at) VALUES (?1, ?2, 20, ?3)",
            params![org.coupon, org.id, now],
        )?;
    }
    for (user, hash) in USERS.iter().zip(password_hashes) {
        conn.execute(
            "INSERT INTO users (org_id, email, name, role, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![user.org_id, user.email, user.name, user.role, hash, now],
        )?;
    }
    for (sku, name, description, price) in PRODUCTS {
        conn.execute(
            "INSERT INTO products (sku, name, description, price_cents, currency) VALUES (?1, ?2, ?3, ?4, 'USD')",
            params![sku, name, description, price],
        )?;
    }
    for (org, name, description, status) in PROJECTS {
        conn.execute(
            "INSERT INTO projects (org_id, name, description, status, created_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, (SELECT MIN(id) FROM users WHERE org_id = ?1), ?5, ?5)",
            params![org, name, description, status, now],
        )?;
    }
    for (inv, id) in INVOICES.iter().zip(invoice_ids) {
        conn.execute(
            "INSERT INTO invoices (id, org_id, number, customer, amount_cents, currency, memo, status, issued_on, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                inv.org_id,
                inv.number,
                inv.customer,
                inv.amount_cents,
                inv.currency,
                inv.memo,
                inv.status,
                inv.issued_on,
                now
            ],
        )?;
    }
    for (org, slug, title, body) in DOCUMENTS {
        conn.execute(
            "INSERT INTO documents (org_id, slug, title, body, created_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, (SELECT MIN(id) FROM users WHERE org_id = ?1), ?5, ?5)",
            params![org, slug, title, body, now],
        )?;
    }
    Ok(conn)
}

/// How many invoices the seed inserts (each needs a fresh UUID).
pub(crate) fn seeded_invoice_count() -> usize {
    INVOICES.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_loads_and_scopes_rows_per_org() {
        let hashes: Vec<String> = USERS.iter().map(|u| format!("hash-{}", u.email)).collect();
        let ids: Vec<String> = (0..seeded_invoice_count())
            .map(|n| format!("00000000-0000-4000-8000-{n:012}"))
            .collect();
        let conn = open_seeded(&hashes, &ids, "2024-07-01T00:00:00Z").unwrap();
        for org in ORGS {
            let projects: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM projects WHERE org_id = ?1",
                    [org.id],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(projects >= 3);
            let admins: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM users WHERE org_id = ?1 AND role = 'admin'",
                    [org.id],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(admins, 1);
        }
    }
}
