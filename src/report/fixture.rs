//! A fixed, realistic scan for report tests: several probe runs, findings with evidence,
//! a duplicate finding, findings grouped across routes, and every item status represented.

use std::time::Duration;

use super::{IdentitySummary, InventoryCounts, ReportInput};
use crate::model::IdentityId;
use crate::model::ProbeRun;
use crate::model::{Attestation, Item};
use crate::model::{
    Confidence, Evidence, Finding, Location, RequestExcerpt, ResponseExcerpt, Severity,
};

const BASE: &str = "http://127.0.0.1:4000";

fn at(method: &str, path: &str) -> Location {
    Location {
        method: method.into(),
        url: format!("{BASE}{path}"),
    }
}

fn request(identity: IdentityId, method: &str, path: &str) -> RequestExcerpt {
    RequestExcerpt {
        identity,
        method: method.into(),
        url: format!("{BASE}{path}"),
        headers: vec![("cookie".into(), "session=[REDACTED]".into())],
        body: None,
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> ResponseExcerpt {
    ResponseExcerpt {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
        truncated: false,
    }
}

fn run(probe: &str, item: Item, checks: u32, findings: Vec<Finding>, notes: &[&str]) -> ProbeRun {
    ProbeRun {
        checks,
        findings,
        notes: notes.iter().map(|n| n.to_string()).collect(),
        ..ProbeRun::new(probe, item)
    }
}

fn tenant_read() -> Finding {
    Finding::builder(Item::TenantIsolation, "tenant.read-replay")
        .rated(Severity::Critical, Confidence::Confirmed)
        .title("Tenant B can read tenant A's invoice")
        .detail("Replaying tenant A's request as tenant B returned A's canary invoice.")
        .at(at("GET", "/api/invoices/41"))
        .build()
        .with_evidence(Evidence {
            label: "b reads a's canary".into(),
            request: request(IdentityId::B, "GET", "/api/invoices/41"),
            response: Some(response(
                200,
                &[("content-type", "application/json")],
                r#"{"id":41,"tenant":"a","memo":"prodready-canary-7f3a"}"#,
            )),
            matched: Some("prodready-canary-7f3a".into()),
        })
        .with_remediation("Scope every query by the caller's tenant id on the server.")
}

fn cors(path: &str) -> Finding {
    Finding::builder(
        Item::SecurityHeaders,
        "cors.reflected-origin-with-credentials",
    )
    .rated(Severity::High, Confidence::Firm)
    .title("CORS reflects any origin with credentials")
    .detail(
        "An arbitrary Origin was echoed in Access-Control-Allow-Origin with credentials allowed.",
    )
    .at(at("GET", path))
    .discriminator("https://evil.example")
    .build()
    .with_evidence(Evidence {
        label: "arbitrary origin reflected".into(),
        request: RequestExcerpt {
            headers: vec![("origin".into(), "https://evil.example".into())],
            ..request(IdentityId::A, "GET", path)
        },
        response: Some(response(
            200,
            &[
                ("access-control-allow-origin", "https://evil.example"),
                ("access-control-allow-credentials", "true"),
            ],
            r#"{"email":"a@example.test"}"#,
        )),
        matched: None,
    })
    .with_remediation("Allow only the app's own origins; never reflect Origin.")
}

fn csp() -> Finding {
    Finding::builder(Item::SecurityHeaders, "headers.csp-unsafe-inline")
        .rated(Severity::Medium, Confidence::Confirmed)
        .title("CSP allows 'unsafe-inline' scripts")
        .detail("script-src contains 'unsafe-inline', so an injected script runs.")
        .at(at("GET", "/"))
        .build()
        .with_evidence(Evidence {
            label: "CSP header".into(),
            request: request(IdentityId::Anonymous, "GET", "/"),
            response: Some(ResponseExcerpt {
                truncated: true,
                ..response(
                    200,
                    &[(
                        "content-security-policy",
                        "default-src 'self'; script-src 'self' 'unsafe-inline'",
                    )],
                    "<!doctype html><html><head>",
                )
            }),
            matched: Some("'unsafe-inline'".into()),
        })
        .with_remediation("Drop 'unsafe-inline'; use nonces or hashes.")
}

fn hsts(path: &str) -> Finding {
    Finding::builder(Item::SecurityHeaders, "headers.hsts-missing")
        .rated(Severity::Low, Confidence::Confirmed)
        .title("No Strict-Transport-Security header")
        .detail("Responses carry no HSTS header.")
        .at(at("GET", path))
        .build()
        .with_remediation("Send Strict-Transport-Security: max-age=31536000; includeSubDomains.")
}

fn xff_bypass() -> Finding {
    Finding::builder(Item::RateLimiting, "ratelimit.xff-reset")
        .rated(Severity::Medium, Confidence::Tentative)
        .title("Login limit resets when X-Forwarded-For changes")
        .detail("After 429, a new X-Forwarded-For value got 401 instead of 429.")
        .at(at("POST", "/api/login"))
        .build()
        .with_evidence(Evidence {
            label: "limit lifted by a new X-Forwarded-For".into(),
            request: RequestExcerpt {
                headers: vec![("x-forwarded-for".into(), "203.0.113.9".into())],
                body: Some(r#"{"email":"ratelimit@example.test","password":"[REDACTED]"}"#.into()),
                ..request(IdentityId::Anonymous, "POST", "/api/login")
            },
            response: Some(response(401, &[], r#"{"error":"bad credentials"}"#)),
            matched: None,
        })
        .with_remediation("Key the limiter on the real client address, not a client header.")
}

fn version_leak() -> Finding {
    Finding::builder(Item::ErrorHandling, "errors.version-disclosure")
        .rated(Severity::Low, Confidence::Firm)
        .title("Server version in error responses")
        .detail("A 404 page names the framework and its version.")
        .at(at("GET", "/does-not-exist"))
        .build()
        .with_evidence(Evidence {
            label: "404 body".into(),
            request: request(IdentityId::Anonymous, "GET", "/does-not-exist"),
            response: Some(response(404, &[], "Not Found - express 4.17.1")),
            matched: Some("express 4.17.1".into()),
        })
        .with_remediation("Serve a generic error page without versions.")
}

/// A scan with every status: fail (1, 6), inconclusive (2 errored, 8 undecided),
/// not-tested (3, 9 by config, 10 without a probe), warn (4, 11), pass (5, 7) and
/// manual (12, attested).
pub(crate) fn input() -> ReportInput {
    let runs = vec![
        run(
            "tenant",
            Item::TenantIsolation,
            28,
            vec![tenant_read()],
            &["replayed 14 routes from a to b"],
        ),
        run(
            "session",
            Item::Authentication,
            6,
            vec![],
            &["logout revokes the session"],
        ),
        ProbeRun::errored(
            "jwt",
            Item::Authentication,
            "request timed out after 10s: POST /api/token",
        ),
        ProbeRun::not_run(
            "rbac",
            Item::Authorization,
            "needs an admin and a member identity",
            Some("identities.admin"),
        ),
        run(
            "ratelimit",
            Item::RateLimiting,
            3,
            vec![xff_bypass()],
            &["burst of 30 against /api/login"],
        ),
        run(
            "filtering",
            Item::ServerSideFiltering,
            12,
            vec![],
            &["searched 4 list endpoints for a's canary"],
        ),
        run(
            "headers",
            Item::SecurityHeaders,
            40,
            // One check on three routes: grouped into one finding.
            vec![csp(), hsts("/"), hsts("/api/me"), hsts("/api/invoices/41")],
            &[],
        ),
        run(
            "cors",
            Item::SecurityHeaders,
            18,
            vec![cors("/api/me"), cors("/api/projects")],
            &[],
        ),
        run(
            "secrets",
            Item::Secrets,
            9,
            vec![],
            &["scanned 6 scripts and 2 source maps"],
        ),
        ProbeRun {
            checks: 4,
            state: crate::model::RunState::Inconclusive {
                reason: "every malformed body got 404; no writable endpoint found".into(),
            },
            ..ProbeRun::new("validation", Item::InputValidation)
        },
        ProbeRun::not_run(
            "transactions",
            Item::TransactionIntegrity,
            "no multi-step write declared",
            Some("transactions"),
        ),
        run("errors", Item::ErrorHandling, 15, vec![version_leak()], &[]),
        // A second probe seeing the same leak: folded into the first finding.
        run(
            "errors-debug",
            Item::ErrorHandling,
            2,
            vec![version_leak()],
            &[],
        ),
    ];
    ReportInput {
        target: format!("{BASE}/"),
        started_at: time::macros::datetime!(2026-11-03 10:00:00 UTC),
        duration: Duration::from_millis(42_517),
        requests_sent: 1234,
        runs,
        attestation: Some(Attestation {
            attested_by: "CTO".into(),
            repository: "git.example/acme/app".into(),
        }),
        identities: vec![
            IdentitySummary {
                name: IdentityId::Anonymous,
                login: "none".into(),
                status: "anonymous".into(),
            },
            IdentitySummary {
                name: IdentityId::A,
                login: "json".into(),
                status: "logged-in".into(),
            },
            IdentitySummary {
                name: IdentityId::B,
                login: "form".into(),
                status: "logged-in".into(),
            },
        ],
        inventory: InventoryCounts {
            pages: 14,
            endpoints: 37,
            scripts: 6,
            ..InventoryCounts::default()
        },
        backends: vec![],
        warnings: vec![
            "scope guard refused: https://partner.example/ is outside the configured origins"
                .into(),
        ],
    }
}
