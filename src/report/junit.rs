//! JUnit XML: one test case per checklist item, so a CI test reporter shows the 12 items.
//!
//! `fail` is a `<failure>` listing its findings, a probe error is an `<error>`,
//! `not-tested`, `manual` and `inconclusive` are `<skipped>` with the reason; `pass` and
//! `warn` pass (warnings go to `<system-out>`). Written by hand: the format is a few
//! elements, and the escaper below also drops characters XML 1.0 cannot carry, which
//! response excerpts can contain.

use std::fmt::Write as _;

use super::{ProbeState, Report};
use crate::model::Status;

/// Renders the report as a JUnit XML document followed by a newline.
pub(super) fn render(report: &Report) -> String {
    let cases: Vec<Case> = report.items.iter().map(|i| case(report, i)).collect();
    let count = |k: Kind| cases.iter().filter(|c| c.kind == k).count();
    let (failures, errors, skipped) = (
        count(Kind::Failure),
        count(Kind::Error),
        count(Kind::Skipped),
    );
    let time = report.duration_ms as f64 / 1000.0;
    let timestamp = report
        .started_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"prodready\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
        cases.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\" timestamp=\"{}\">",
        attr(&format!("prodready checklist: {}", report.target)),
        cases.len(),
        attr(&timestamp)
    );
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("target", report.target.clone()),
        ("tool.version", report.tool.version.clone()),
        ("gate.passed", report.gate.passed.to_string()),
        ("requests_sent", report.requests_sent.to_string()),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            attr(name),
            attr(&value)
        );
    }
    out.push_str("    </properties>\n");
    for c in &cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"prodready.checklist.{}\" time=\"0\"",
            attr(&c.name),
            attr(&c.classname)
        );
        match c.kind {
            Kind::Pass if c.body.is_empty() => out.push_str("/>\n"),
            Kind::Pass => {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    text(&c.body)
                );
            }
            Kind::Failure | Kind::Error => {
                let tag = if c.kind == Kind::Failure {
                    "failure"
                } else {
                    "error"
                };
                let _ = writeln!(
                    out,
                    ">\n      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n    </testcase>",
                    attr(&c.message),
                    attr(&c.status),
                    text(&c.body)
                );
            }
            Kind::Skipped => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    attr(&format!("{}: {}", c.status, c.message))
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pass,
    Failure,
    Error,
    Skipped,
}

struct Case {
    name: String,
    classname: String,
    kind: Kind,
    status: String,
    message: String,
    body: String,
}

fn case(report: &Report, item: &super::ItemReport) -> Case {
    let errored: Vec<String> = report
        .probes
        .iter()
        .filter(|p| p.item == item.key && p.state == ProbeState::Errored)
        .map(|p| {
            format!(
                "probe {} errored: {}",
                p.probe,
                p.error.as_deref().unwrap_or("")
            )
        })
        .collect();
    let kind = match item.status {
        Status::Fail => Kind::Failure,
        _ if !errored.is_empty() => Kind::Error,
        Status::Pass | Status::Warn => Kind::Pass,
        Status::Inconclusive | Status::NotTested | Status::Manual => Kind::Skipped,
    };
    let mut body = String::new();
    for id in &item.findings {
        if let Some(f) = report.finding(id) {
            let _ = writeln!(
                body,
                "{} [{} {}] {} ({} {})\n  probe: {}\n  {}",
                f.id,
                f.severity.as_str(),
                f.confidence.as_str(),
                f.title,
                f.location.method,
                f.location.url,
                f.probe,
                f.detail
            );
            if f.is_grouped() {
                let _ = writeln!(body, "  on {} routes:", f.route_count());
                for o in &f.locations {
                    let suppressed = if report.suppression(&o.id).is_some() {
                        " (suppressed)"
                    } else {
                        ""
                    };
                    let _ = writeln!(
                        body,
                        "    {} {} [{} {}] {}{suppressed}",
                        o.method,
                        o.url,
                        o.severity.as_str(),
                        o.confidence.as_str(),
                        o.id
                    );
                }
                if f.more_locations > 0 {
                    let _ = writeln!(body, "    and {} more", f.more_locations);
                }
            }
            if let Some(state) = report.baseline_state(id) {
                let _ = writeln!(body, "  baseline: {}", state.as_str());
            }
            if let Some(s) = report.suppression_of(f) {
                let _ = writeln!(body, "  suppressed until {}: {}", s.expires, s.reason);
            }
            if !f.remediation.is_empty() {
                let _ = writeln!(body, "  fix: {}", f.remediation);
            }
        }
    }
    for e in &errored {
        let _ = writeln!(body, "{e}");
    }
    Case {
        name: format!("{:02} {}: {}", item.id, item.key, item.title),
        classname: item.key.key().to_string(),
        kind,
        status: item.status.as_str().to_string(),
        message: item.summary.clone(),
        body,
    }
}

/// Escapes element text; drops characters XML 1.0 forbids (most C0 controls).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value (double-quoted); newlines are kept as character references.
fn attr(s: &str) -> String {
    text(s)
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn twelve_cases_with_failure_error_and_skipped_where_due() {
        let report = Report::new(fixture::input());
        let xml = render(&report);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let cases: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 12);
        for (case, item) in cases.iter().zip(&report.items) {
            let child = |tag: &str| case.children().any(|c| c.has_tag_name(tag));
            match item.status {
                Status::Fail => assert!(child("failure"), "{}", item.key),
                Status::NotTested | Status::Manual => assert!(child("skipped"), "{}", item.key),
                _ => {}
            }
        }
        let suites = doc.root_element();
        assert_eq!(suites.attribute("tests"), Some("12"));
        assert!(xml.contains("<error "), "the fixture has an errored probe");
        // A grouped finding's failure lists every route under the id it had alone.
        let grouped = report.findings.iter().find(|f| f.is_grouped()).unwrap();
        assert!(xml.contains(&format!("on {} routes:", grouped.route_count())));
        for o in &grouped.locations {
            assert!(xml.contains(&o.id), "{}", o.id);
        }
    }

    #[test]
    fn escaping_keeps_the_document_well_formed() {
        let nasty = "<script>&\"'\u{1}\u{0}]]>";
        let xml = format!("<a b=\"{}\">{}</a>", attr(nasty), text(nasty));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert!(doc.root_element().text().unwrap().contains("<script>&"));
        assert!(doc.root_element().attribute("b").unwrap().contains("\"'"));
    }
}
