//! SARIF 2.1.0: one rule per probe id, one result per finding (a grouped finding's
//! routes as its `locations`), with the HTTP exchange as `webRequest`/`webResponse`.
//! Shaped for GitHub code scanning: `ruleId`, rule `shortDescription`/`help`,
//! `properties.security-severity`, and `partialFingerprints` from the stable finding id
//! so alerts follow a finding across scans.
//!
//! Written with `serde_json::json!` rather than serde-sarif's generated types: the
//! output uses a small part of the spec, the JSON reads like the spec's examples, and a
//! test validates it against the vendored 2.1.0 schema, which is what actually matters.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{BaselineState, Report};
use crate::model::{Evidence, Finding, Severity};

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key under `partialFingerprints`; versioned so a future id scheme can coexist.
pub(crate) const FINGERPRINT_KEY: &str = "prodreadyFindingId/v1";

/// Renders the report as pretty SARIF JSON followed by a newline.
pub(super) fn render(report: &Report) -> String {
    let mut text =
        serde_json::to_string_pretty(&sarif(report)).expect("JSON values always serialise");
    text.push('\n');
    text
}

fn sarif(report: &Report) -> Value {
    // One rule per probe id, in id order; the rule takes its level from the worst finding.
    let mut by_probe: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_probe.entry(f.probe.as_str()).or_default().push(f);
    }
    let index: BTreeMap<&str, usize> = by_probe.keys().enumerate().map(|(n, k)| (*k, n)).collect();
    let rules: Vec<Value> = by_probe.iter().map(|(probe, fs)| rule(probe, fs)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(report, f, index[f.probe.as_str()]))
        .collect();

    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "level": "error", "message": { "text": e } }))
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "informationUri": "https://crates.io/crates/prodready",
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "startTimeUtc": report
                    .started_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                "toolExecutionNotifications": notifications,
            }],
            "automationDetails": { "id": "prodready/" },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "target": report.target,
                "gatePassed": report.gate.passed,
                "gateReasons": report.gate.reasons,
            }
        }]
    })
}

fn rule(probe: &str, findings: &[&Finding]) -> Value {
    let worst = findings
        .iter()
        .max_by_key(|f| f.severity)
        .expect("a rule exists only for probes with findings");
    let item = worst.item;
    let remediation = findings
        .iter()
        .map(|f| f.remediation.as_str())
        .find(|r| !r.is_empty())
        .unwrap_or("");
    let help_text = format!(
        "{}\n\nChecklist item {} ({}): {}",
        if remediation.is_empty() {
            worst.detail.as_str()
        } else {
            remediation
        },
        item.id(),
        item.title(),
        item.requirement()
    );
    json!({
        "id": probe,
        "name": rule_name(probe),
        "shortDescription": { "text": worst.title },
        "fullDescription": { "text": format!("{}: {}", item.title(), item.requirement()) },
        "help": { "text": help_text, "markdown": help_text },
        "defaultConfiguration": { "level": level(worst.severity) },
        "properties": {
            "tags": ["security", item.key()],
            "security-severity": security_severity(worst.severity),
            "precision": "high",
            "problem.severity": problem_severity(worst.severity),
        }
    })
}

fn result(report: &Report, f: &Finding, rule_index: usize) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(f.probe));
    result.insert("ruleIndex".into(), json!(rule_index));
    result.insert("level".into(), json!(level(f.severity)));
    let mut text = if f.detail.is_empty() {
        f.title.clone()
    } else {
        format!("{}: {}", f.title, f.detail)
    };
    if f.is_grouped() {
        text.push_str(&format!(" (seen on {} routes)", f.route_count()));
    }
    result.insert("message".into(), json!({ "text": text }));
    // One location per route of a grouped finding, each with the id it had alone.
    let locations: Vec<Value> = f
        .occurrences()
        .iter()
        .map(|o| {
            json!({
                "physicalLocation": { "artifactLocation": { "uri": o.url } },
                "message": { "text": format!("{} {}", o.method, o.url) },
                "properties": {
                    "findingId": o.id,
                    "severity": o.severity.as_str(),
                    "confidence": o.confidence.as_str(),
                }
            })
        })
        .collect();
    result.insert("locations".into(), json!(locations));
    result.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: f.id }),
    );
    if let Some(e) = f.evidence.first() {
        result.insert("webRequest".into(), web_request(e));
        if let Some(r) = web_response(e) {
            result.insert("webResponse".into(), r);
        }
    }
    match report.baseline_state(&f.id) {
        Some(BaselineState::New) => {
            result.insert("baselineState".into(), json!("new"));
        }
        Some(BaselineState::Unchanged) => {
            result.insert("baselineState".into(), json!("unchanged"));
        }
        _ => {}
    }
    if let Some(s) = report.suppression_of(f) {
        result.insert(
            "suppressions".into(),
            json!([{
                "kind": "external",
                "status": "accepted",
                "justification": format!("{} (until {})", s.reason, s.expires),
            }]),
        );
    }
    result.insert(
        "properties".into(),
        json!({
            "findingId": f.id,
            "item": f.item.key(),
            "severity": f.severity.as_str(),
            "confidence": f.confidence.as_str(),
            "remediation": f.remediation,
            "routes": f.route_count(),
        }),
    );
    Value::Object(result)
}

fn headers(pairs: &[(String, String)]) -> Value {
    // SARIF headers are an object; repeated names are joined the way HTTP allows.
    let mut out: BTreeMap<&str, String> = BTreeMap::new();
    for (n, v) in pairs {
        out.entry(n.as_str())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(v);
            })
            .or_insert_with(|| v.clone());
    }
    json!(out)
}

fn web_request(e: &Evidence) -> Value {
    let r = &e.request;
    let mut out = Map::new();
    out.insert("protocol".into(), json!("HTTP"));
    out.insert("target".into(), json!(r.url));
    out.insert("method".into(), json!(r.method));
    out.insert("headers".into(), headers(&r.headers));
    if let Some(body) = &r.body {
        out.insert("body".into(), json!({ "text": body }));
    }
    Value::Object(out)
}

fn web_response(e: &Evidence) -> Option<Value> {
    let r = e.response.as_ref()?;
    Some(json!({
        "protocol": "HTTP",
        "statusCode": r.status,
        "headers": headers(&r.headers),
        "body": { "text": r.body },
    }))
}

/// SARIF levels: GitHub shows `error` and `warning` as alerts and `note` as a note.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub maps this CVSS-like score to its critical/high/medium/low labels.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "recommendation",
    }
}

/// `tenant.read-replay` -> `TenantReadReplay`, the rule's readable name.
fn rule_name(probe: &str) -> String {
    probe
        .split(['.', '-'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    const SARIF_SCHEMA: &str = include_str!("../../tests/data/sarif-schema-2.1.0.json");

    fn errors(instance: &Value) -> Vec<String> {
        let mut schema: Value = serde_json::from_str(SARIF_SCHEMA).unwrap();
        assert_eq!(fix_language_patterns(&mut schema), 2);
        let validator = jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the vendored SARIF schema compiles");
        validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect()
    }

    /// The official schema's `language` patterns have a stray `]` (an upstream bug) that
    /// fails the meta-schema's `regex` format check; use the pattern the spec describes.
    /// Nothing prodready writes has a `language`.
    fn fix_language_patterns(schema: &mut Value) -> usize {
        const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
        match schema {
            Value::String(s) if s == BROKEN => {
                *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
                1
            }
            Value::Array(a) => a.iter_mut().map(fix_language_patterns).sum(),
            Value::Object(o) => o.values_mut().map(fix_language_patterns).sum(),
            _ => 0,
        }
    }

    #[test]
    fn fixture_sarif_validates_and_has_one_rule_per_probe() {
        let report = Report::new(fixture::input());
        let value: Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(errors(&value), Vec::<String>::new());
        let run = &value["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let mut probes: Vec<&str> = report.findings.iter().map(|f| f.probe.as_str()).collect();
        probes.sort();
        probes.dedup();
        assert_eq!(rules.len(), probes.len());
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), report.findings.len());
        let mut grouped = 0;
        for (r, f) in results.iter().zip(&report.findings) {
            let locations = r["locations"].as_array().unwrap();
            assert_eq!(locations.len(), f.occurrences().len());
            if f.is_grouped() {
                grouped += 1;
                for (l, o) in locations.iter().zip(&f.locations) {
                    assert_eq!(l["properties"]["findingId"], o.id.as_str());
                    assert_eq!(
                        l["physicalLocation"]["artifactLocation"]["uri"],
                        o.url.as_str()
                    );
                }
            }
            assert_eq!(r["ruleId"], f.probe);
            assert_eq!(r["partialFingerprints"][FINGERPRINT_KEY], f.id);
            let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], f.probe);
            assert!(rule["properties"]["security-severity"].is_string());
            assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        }
        assert!(grouped > 0, "the fixture has grouped findings");
        assert!(
            results
                .iter()
                .any(|r| r["locations"].as_array().unwrap().len() > 1)
        );
    }

    #[test]
    fn the_schema_catches_a_broken_result() {
        let report = Report::new(fixture::input());
        let mut value: Value = serde_json::from_str(&render(&report)).unwrap();
        value["runs"][0]["results"][0]["level"] = "fatal".into();
        assert!(!errors(&value).is_empty());
    }

    #[test]
    fn rule_names_are_camel_case() {
        assert_eq!(rule_name("tenant.read-replay"), "TenantReadReplay");
    }
}
