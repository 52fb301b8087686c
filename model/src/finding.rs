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

/// One route a grouped finding was seen on: where, how bad it was there, and the id the
/// finding had on that route alone (what suppressions and baselines written before
/// findings were grouped name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The per-route id: the probe, the method, the route pattern and the discriminator.
    pub id: String,
    pub method: String,
    pub url: String,
    pub severity: Severity,
    pub confidence: Confidence,
}

/// A weakness a probe observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across runs: derived from the probe, the method, the route pattern and a
    /// discriminator; for a grouped finding ([`Finding::locations`]), from the probe and
    /// the discriminator alone (see [`group_id`]).
    pub id: String,
    pub item: Item,
    /// Dotted `family.check` probe id, stable across releases.
    pub probe: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub title: String,
    pub detail: String,
    /// Where it was seen; for a grouped finding, its worst occurrence.
    pub location: Location,
    /// Every route a grouped finding was seen on, worst first, at most a bound the report
    /// sets; empty for a finding of one route.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Occurrence>,
    /// Occurrences left out of `locations` by its bound.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_locations: u32,
    pub evidence: Vec<Evidence>,
    pub remediation: String,
    /// What tells this finding apart from others of its probe on the same route (a
    /// header check, a cookie name, a body field): part of its id, and of the key the
    /// report groups routes by. Not serialised: the report consumes it when it groups.
    #[serde(skip)]
    pub discriminator: String,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
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

    /// Whether it stands for several routes' instances of one problem ([`Finding::locations`]).
    pub fn is_grouped(&self) -> bool {
        !self.locations.is_empty()
    }

    /// Every route it was seen on, as listed: its occurrences, or for a finding of one
    /// route that route under the finding's own id.
    pub fn occurrences(&self) -> Vec<Occurrence> {
        if self.is_grouped() {
            return self.locations.clone();
        }
        vec![Occurrence {
            id: self.id.clone(),
            method: self.location.method.clone(),
            url: self.location.url.clone(),
            severity: self.severity,
            confidence: self.confidence,
        }]
    }

    /// How many routes it was seen on, listed or not.
    pub fn route_count(&self) -> usize {
        if self.is_grouped() {
            self.locations.len() + self.more_locations as usize
        } else {
            1
        }
    }

    /// Its id and the per-route ids of its listed occurrences: every id a suppression or
    /// an earlier report may know it by.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.locations.iter().map(|o| o.id.as_str()))
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
            locations: Vec::new(),
            more_locations: 0,
            evidence: self.evidence,
            remediation: self.remediation,
            discriminator: self.discriminator,
        }
    }
}

/// The id of the finding that groups every route's instance of `probe` with
/// `discriminator`: route, host and run play no part, so it is as stable as the probe id.
pub fn group_id(probe: &str, discriminator: &str) -> String {
    // A part no method can be keeps these ids apart from per-route ids.
    hashed_id(&[probe, "*group*", discriminator])
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
    hashed_id(&[probe, &location.method, &path, discriminator])
}

fn hashed_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
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

    #[test]
    fn group_ids_depend_on_probe_and_discriminator_only() {
        let g = group_id("headers.nosniff-missing", "headers.nosniff-missing");
        assert_eq!(
            g,
            group_id("headers.nosniff-missing", "headers.nosniff-missing")
        );
        assert_ne!(g, group_id("headers.nosniff-missing", ""));
        assert_ne!(g, group_id("headers.corp", "headers.nosniff-missing"));
        assert!(g.starts_with("PR-") && g.len() == 15);
        let route = finding_id("p.x", &loc("http://127.0.0.1:4000/"), "");
        assert_ne!(group_id("p.x", ""), route);
    }

    #[test]
    fn a_lone_finding_is_its_own_occurrence_and_ids_list_every_route() {
        let f = Finding::builder(Item::SecurityHeaders, "headers.corp")
            .rated(Severity::Low, Confidence::Firm)
            .at(loc("http://127.0.0.1:4000/a"))
            .discriminator("headers.corp")
            .build();
        assert!(!f.is_grouped());
        assert_eq!(f.route_count(), 1);
        let occ = f.occurrences();
        assert_eq!(occ.len(), 1);
        assert_eq!(occ[0].id, f.id);
        assert_eq!(f.ids().collect::<Vec<_>>(), vec![f.id.as_str()]);
        assert_eq!(f.discriminator, "headers.corp");
        // The discriminator is an input to ids and grouping, not part of the report.
        let json = serde_json::to_value(&f).unwrap();
        assert!(json.get("discriminator").is_none() && json.get("locations").is_none());
    }
}
