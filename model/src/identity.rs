//! Who the scanner acts as: the anonymous visitor, two tenants, and optionally an
//! admin and a low-privilege member. A closed set, so a misspelt name cannot compile.

use serde::{Deserialize, Serialize};

/// One identity of a scan, named as in the config's `[identities.NAME]` tables.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityId {
    /// No credentials at all.
    #[default]
    Anonymous,
    /// Tenant A, the first test tenant.
    #[serde(rename = "a")]
    A,
    /// Tenant B, the second test tenant.
    #[serde(rename = "b")]
    B,
    /// An administrator (of tenant A unless the config says otherwise).
    Admin,
    /// A low-privilege member of the admin's tenant.
    Member,
}

impl IdentityId {
    /// The identities a config may declare, in the order they log in.
    pub const CONFIGURABLE: [IdentityId; 4] = [
        IdentityId::A,
        IdentityId::B,
        IdentityId::Admin,
        IdentityId::Member,
    ];

    /// The name used in configs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityId::Anonymous => "anonymous",
            IdentityId::A => "a",
            IdentityId::B => "b",
            IdentityId::Admin => "admin",
            IdentityId::Member => "member",
        }
    }

    /// Parses a config or report name.
    pub fn from_name(name: &str) -> Option<IdentityId> {
        [IdentityId::Anonymous]
            .into_iter()
            .chain(IdentityId::CONFIGURABLE)
            .find(|i| i.as_str() == name)
    }

    /// The tenant this identity is by its name: `a` and `b` are their own tenants.
    pub fn own_tenant(self) -> Option<Tenant> {
        match self {
            IdentityId::A => Some(Tenant::A),
            IdentityId::B => Some(Tenant::B),
            _ => None,
        }
    }

    /// The role this identity plays in the checklist's probes.
    pub fn role(self) -> Role {
        match self {
            IdentityId::Anonymous => Role::Anonymous,
            IdentityId::A | IdentityId::B => Role::Tenant,
            IdentityId::Admin => Role::Admin,
            IdentityId::Member => Role::Member,
        }
    }

    /// The other test tenant, for `a` and `b`.
    pub fn other_tenant(self) -> Option<IdentityId> {
        match self {
            IdentityId::A => Some(IdentityId::B),
            IdentityId::B => Some(IdentityId::A),
            _ => None,
        }
    }
}

impl std::fmt::Display for IdentityId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the two test tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tenant {
    #[serde(rename = "a")]
    A,
    #[serde(rename = "b")]
    B,
}

impl Tenant {
    pub fn as_str(self) -> &'static str {
        match self {
            Tenant::A => "a",
            Tenant::B => "b",
        }
    }

    /// Parses `a` or `b`.
    pub fn from_name(name: &str) -> Option<Tenant> {
        match name {
            "a" => Some(Tenant::A),
            "b" => Some(Tenant::B),
            _ => None,
        }
    }
}

impl std::fmt::Display for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an identity stands for in the probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Anonymous,
    Tenant,
    Admin,
    Member,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for id in [IdentityId::Anonymous]
            .into_iter()
            .chain(IdentityId::CONFIGURABLE)
        {
            assert_eq!(IdentityId::from_name(id.as_str()), Some(id));
            let json = serde_json::to_string(&id).expect("serializes");
            assert_eq!(json, format!("\"{}\"", id.as_str()));
            assert_eq!(serde_json::from_str::<IdentityId>(&json).ok(), Some(id));
        }
        assert_eq!(IdentityId::from_name("c"), None);
        assert_eq!(IdentityId::A.other_tenant(), Some(IdentityId::B));
        assert_eq!(IdentityId::Admin.own_tenant(), None);
    }
}
