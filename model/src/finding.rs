//! Findings: what a probe observed, with redacted evidence. A finding is not an error.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checklist::Item;
use crate::identity::IdentityId;
use crate::route::path_pattern;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// How sure the probe is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Tentative,
    Firm,
    Confirmed,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Tentative => "tentative",
            Confidence::Firm => "firm",
            Confidence::Confirmed => "confirmed",
        }
    }
}

/// Where a finding was observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub method: String,
    pub url: String,
}

/// A redacted excerpt of a request as it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestExcerpt {
    /// Which identity sent it (`anonymous`, `a`, `b`, `admin`, `member`).
    pub identity: IdentityId,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A redacted excerpt of a response as it was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseExcerpt {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The excerpt is shorter than the body the scanner read.
    pub truncated: bool,
}

/// One exchange that supports a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What this exchange shows, in a few words.
    pub label: String,
    pub request: RequestExcerpt,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseExcerpt>,
    /// The text that matched, redacted, when a pattern decided the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
}

/// A weakness a probe observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across runs: derived from the probe, the method, the route pattern and a discriminator.
    pub id: String,
    pub item: Item,
    /// Dotted `family.check` probe id, stable across releases.
    pub probe: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub title: String,
    pub detail: String,
    pub location: Location,
    pub evidence: Vec<Evidence>,
    pub remediation: String,
}

/// The family of a dotted probe id: `tenant` for `tenant.read-replay`.
pub fn family_of(probe: &str) -> &str {
    probe.split_once('.').map_or(probe, |(family, _)| family)
}

impl Finding {
    /// The family that reported it, the first part of its probe id.
    pub fn family(&self) -> &str {
        family_of(&self.probe)
    }

    /// Starts a finding of `probe` (a dotted `family.check` id) on `item`; rate it
    /// with [`FindingBuilder::rated`] and place it with [`FindingBuilder::at`].
    pub fn builder(item: Item, probe: &str) -> FindingBuilder {
        FindingBuilder {
            item,
            probe: probe.to_string(),
            severity: Severity::Info,
            confidence: Confidence::Tentative,
            title: String::new(),
            detail: String::new(),
            location: Location {
                method: String::new(),
                url: String::new(),
            },
            discriminator: String::new(),
            evidence: Vec::new(),
            remediation: String::new(),
        }
    }

    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }

    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = remediation.into();
        self
    }
}

/// A finding under construction; [`FindingBuilder::build`] derives its stable id from
/// the probe, the location's method and route pattern, and the discriminator.
#[derive(Debug, Clone)]
#[must_use]
pub struct FindingBuilder {
    item: Item,
    probe: String,
    severity: Severity,
    confidence: Confidence,
    title: String,
    detail: String,
    location: Location,
    discriminator: String,
    evidence: Vec<Evidence>,
    remediation: String,
}

impl FindingBuilder {
    /// How bad and how sure (unrated findings are `info`/`tentative`).
    pub fn rated(mut self, severity: Severity, confidence: Confidence) -> Self {
        self.severity = severity;
        self.confidence = confidence;
        self
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// Where it was observed.
    pub fn at(mut self, location: Location) -> Self {
        self.location = location;
        self
    }

    /// Tells apart findings of one probe on one route (a parameter, a header...).
    pub fn discriminator(mut self, discriminator: impl Into<String>) -> Self {
        self.discriminator = discriminator.into();
        self
    }

    pub fn evidence(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }

    pub fn remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = remediation.into();
        self
    }

    pub fn build(self) -> Finding {
        Finding {
            id: finding_id(&self.probe, &self.location, &self.discriminator),
            item: self.item,
            probe: self.probe,
            severity: self.severity,
            confidence: self.confidence,
            title: self.title,
            detail: self.detail,
            location: self.location,
            evidence: self.evidence,
            remediation: self.remediation,
        }
    }
}

/// Ids hash the route pattern and query parameter names, not object ids, host or port,
/// which change between runs (canaries get new ids every scan).
fn finding_id(probe: &str, location: &Location, discriminator: &str) -> String {
    let path = url::Url::parse(&location.url)
        .map(|u| {
            let mut names: Vec<String> = u.query_pairs().map(|(k, _)| k.into_owned()).collect();
            names.sort();
            names.dedup();
            format!("{}?{}", path_pattern(u.path()), names.join("&"))
        })
        .unwrap_or_else(|_| location.url.clone());
    let mut h = Sha256::new();
    for part in [probe, &location.method, &path, discriminator] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("PR-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(url: &str) -> Location {
        Location {
            method: "GET".into(),
            url: url.into(),
        }
    }

    #[test]
    fn finding_ids_ignore_host_port_and_object_ids_but_not_route_or_probe() {
        let a = finding_id("p.x", &loc("http://127.0.0.1:4000/a?x=1"), "");
        let b = finding_id("p.x", &loc("http://127.0.0.1:5000/a?x=1"), "");
        let c = finding_id("p.x", &loc("http://127.0.0.1:5000/b?x=1"), "");
        let d = finding_id("p.y", &loc("http://127.0.0.1:5000/a?x=1"), "");
        let e = finding_id("p.x", &loc("http://127.0.0.1:5000/a?x=2"), "");
        let f = finding_id("p.x", &loc("http://127.0.0.1:5000/items/41"), "");
        let g = finding_id("p.x", &loc("http://127.0.0.1:5000/items/97"), "");
        assert_eq!(a, b);
        assert_eq!(a, e);
        assert_eq!(f, g);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert!(a.starts_with("PR-") && a.len() == 15);
    }
}
