//! The 12-point production-readiness checklist: its items and their verdicts.

use serde::{Deserialize, Serialize};

/// One item of the checklist, in checklist order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Item {
    TenantIsolation,
    Authentication,
    Authorization,
    RateLimiting,
    ServerSideFiltering,
    SecurityHeaders,
    Secrets,
    InputValidation,
    TransactionIntegrity,
    AuditLogging,
    ErrorHandling,
    CodeOwnership,
}

impl Item {
    /// All items in checklist order.
    pub const ALL: [Item; 12] = [
        Item::TenantIsolation,
        Item::Authentication,
        Item::Authorization,
        Item::RateLimiting,
        Item::ServerSideFiltering,
        Item::SecurityHeaders,
        Item::Secrets,
        Item::InputValidation,
        Item::TransactionIntegrity,
        Item::AuditLogging,
        Item::ErrorHandling,
        Item::CodeOwnership,
    ];

    /// The 1-based checklist number.
    pub fn id(self) -> u8 {
        Item::ALL
            .iter()
            .position(|i| *i == self)
            .map_or(0, |p| p as u8 + 1)
    }

    /// The stable key used in reports, policies and the test app's flaw list.
    pub fn key(self) -> &'static str {
        match self {
            Item::TenantIsolation => "tenant-isolation",
            Item::Authentication => "authentication",
            Item::Authorization => "authorization",
            Item::RateLimiting => "rate-limiting",
            Item::ServerSideFiltering => "server-side-filtering",
            Item::SecurityHeaders => "security-headers",
            Item::Secrets => "secrets",
            Item::InputValidation => "input-validation",
            Item::TransactionIntegrity => "transaction-integrity",
            Item::AuditLogging => "audit-logging",
            Item::ErrorHandling => "error-handling",
            Item::CodeOwnership => "code-ownership",
        }
    }

    /// A short human title.
    pub fn title(self) -> &'static str {
        match self {
            Item::TenantIsolation => "Tenant isolation",
            Item::Authentication => "Authentication",
            Item::Authorization => "Authorization (roles)",
            Item::RateLimiting => "Rate limiting",
            Item::ServerSideFiltering => "Server-side filtering",
            Item::SecurityHeaders => "Security headers and CORS",
            Item::Secrets => "Secrets kept server-side",
            Item::InputValidation => "Input validation",
            Item::TransactionIntegrity => "Transaction integrity",
            Item::AuditLogging => "Audit logging",
            Item::ErrorHandling => "Error handling",
            Item::CodeOwnership => "Code ownership",
        }
    }

    /// What "ready" means for this item, one line.
    pub fn requirement(self) -> &'static str {
        match self {
            Item::TenantIsolation => "every read and write is scoped to the caller's tenant",
            Item::Authentication => {
                "server-verified sessions, hashed credentials, short-lived tokens"
            }
            Item::Authorization => "roles enforced on the server for every action",
            Item::RateLimiting => "login, signup, password reset and writes are throttled",
            Item::ServerSideFiltering => "the server returns only what the caller may see",
            Item::SecurityHeaders => "CORS locked to known origins; CSP, HSTS and friends",
            Item::Secrets => "API keys live on the server, never in the client bundle",
            Item::InputValidation => "every request body is validated and typed",
            Item::TransactionIntegrity => "multi-step writes are atomic",
            Item::AuditLogging => "sensitive actions recorded with who/what/when",
            Item::ErrorHandling => "safe messages, no stack traces",
            Item::CodeOwnership => "the code can be exported and self-hosted",
        }
    }

    /// Parses a checklist key such as `error-handling`.
    pub fn from_key(key: &str) -> Option<Item> {
        Item::ALL.into_iter().find(|i| i.key() == key)
    }
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// The verdict of one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Probes ran and found nothing wrong.
    Pass,
    /// Probes found weaknesses that do not fail the item.
    Warn,
    /// Probes found a failure.
    Fail,
    /// Probes ran but could not decide.
    Inconclusive,
    /// Probes could not run; the summary names the config that would enable them.
    NotTested,
    /// Not observable from outside.
    Manual,
}

impl Status {
    /// The stable lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Inconclusive => "inconclusive",
            Status::NotTested => "not-tested",
            Status::Manual => "manual",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who vouches for item 12, which no black box can observe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attestation {
    pub attested_by: String,
    pub repository: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_checklist_order_and_keys_round_trip() {
        for (n, item) in Item::ALL.iter().enumerate() {
            assert_eq!(item.id() as usize, n + 1);
            assert_eq!(Item::from_key(item.key()), Some(*item));
        }
        assert_eq!(Item::from_key("nope"), None);
    }
}
