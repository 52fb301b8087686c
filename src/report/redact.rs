//! The last line of defence against leaked credentials: scrub known secret strings from
//! every free-text field of a report before any renderer sees it.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::Report;

/// What a secret is replaced with.
const MARK: &str = "[REDACTED]";

/// Fields whose values the scanner makes up from closed vocabularies or hashes (keys,
/// statuses, ids, the timestamp, its own name and version). No credential can be in them, and rewriting them would
/// make the report unreadable, so they are left alone.
const SCANNER_MADE: &[&str] = &[
    "schema",
    "tool",
    "started_at",
    "key",
    "item",
    "status",
    "severity",
    "confidence",
    "state",
    "id",
    "worst",
    "identity",
];

impl Report {
    /// Returns a copy of the report in which every occurrence of each secret, also in its
    /// percent-encoded, form-encoded and JSON-escaped spellings, is replaced with
    /// `[REDACTED]` in every free-text field. Empty secrets are ignored.
    ///
    /// The HTTP layer already redacts evidence; the scanner calls this with every
    /// credential it used so that nothing a probe copied into a title, a detail or a
    /// note can leak either.
    pub fn redact_with(&self, secrets: &[String]) -> Report {
        let needles = spellings(secrets);
        if needles.is_empty() {
            return self.clone();
        }
        // Serialising and walking the JSON tree covers every string field, including ones
        // added to the model later.
        let mut value = serde_json::to_value(self)
            .expect("a report with a four-digit-year start time always serialises");
        scrub(&mut value, &needles);
        serde_json::from_value(value)
            .expect("only free-text strings were rewritten, so the report reads back")
    }
}

/// Every spelling of every secret, longest first so a secret that contains another is
/// replaced whole.
fn spellings(secrets: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let json = serde_json::to_string(secret).unwrap_or_default();
        let candidates = [
            secret.clone(),
            utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
            json.trim_matches('"').to_string(),
        ];
        for c in candidates {
            if !c.is_empty() && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

fn scrub(value: &mut Value, needles: &[String]) {
    match value {
        Value::String(s) => {
            for needle in needles {
                if s.contains(needle.as_str()) {
                    *s = s.replace(needle.as_str(), MARK);
                }
            }
        }
        Value::Array(values) => values.iter_mut().for_each(|v| scrub(v, needles)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), &v) {
                    (k, _) if SCANNER_MADE.contains(&k) => {}
                    // Lists of finding ids are scanner-made too; the top-level findings
                    // list holds objects and is scrubbed.
                    ("findings", Value::Array(list)) if list.iter().all(Value::is_string) => {}
                    // Identity names are the config's fixed names (`a`, `admin`...).
                    ("identities", _) => scrub_except(v, "name", needles),
                    _ => scrub(v, needles),
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Scrubs the objects of a list, leaving the field `keep` of each as it is.
fn scrub_except(list: &mut Value, keep: &str, needles: &[String]) {
    let Value::Array(list) = list else {
        return scrub(list, needles);
    };
    for item in list {
        match item {
            Value::Object(map) => map
                .iter_mut()
                .filter(|(k, _)| k.as_str() != keep)
                .for_each(|(_, v)| scrub(v, needles)),
            other => scrub(other, needles),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn report_leaking(secret: &str) -> Report {
        let mut report = Report::new(fixture::input());
        let f = &mut report.findings[0];
        f.title = format!("token {secret} accepted");
        f.detail = format!("sent Bearer {secret}");
        f.evidence[0]
            .request
            .headers
            .push(("authorization".into(), format!("Bearer {secret}")));
        f.evidence[0].request.body = Some(format!(
            "password={}&x=1",
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()
        ));
        if let Some(r) = f.evidence[0].response.as_mut() {
            r.body = serde_json::json!({ "echo": secret }).to_string();
        }
        report.probes[0]
            .notes
            .push(format!("logged in with {secret}"));
        report.errors.push(format!("login failed for {secret}"));
        report.identities[1].login = format!("json-{secret}");
        report.target = format!("http://127.0.0.1:4000/?key={secret}");
        report
    }

    #[test]
    fn secrets_disappear_from_every_field_in_every_spelling() {
        let secret = "s3cr\"et p@ss/word";
        let other = "eyJhbGciOiJIUzI1NiJ9.payload.sig";
        let mut report = report_leaking(secret);
        report.findings[1].remediation = format!("rotate {other}");
        let before = serde_json::to_string(&report).unwrap();
        assert!(before.contains("p@ss") && before.contains(other));

        let clean = report.redact_with(&[secret.to_string(), other.to_string(), String::new()]);
        let after = serde_json::to_string_pretty(&clean).unwrap();
        for needle in ["p@ss", "p%40ss", "s3cr", other] {
            assert!(!after.contains(needle), "{needle} leaked:\n{after}");
        }
        assert_eq!(clean.findings[0].detail, "sent Bearer [REDACTED]");
        assert_eq!(clean.findings[1].remediation, "rotate [REDACTED]");
        assert_eq!(
            clean.findings[0].evidence[0].request.body.as_deref(),
            Some("password=[REDACTED]&x=1")
        );
        assert!(
            crate::report::render(&clean, crate::report::Format::Table, &Default::default())
                .contains("[REDACTED]")
        );
        // Nothing else changed.
        assert_eq!(clean.items, report.items);
        assert_eq!(clean.findings.len(), report.findings.len());
    }

    #[test]
    fn secrets_that_look_like_vocabulary_leave_the_report_readable() {
        let report = Report::new(fixture::input());
        let words = [
            "pass",
            "fail",
            "high",
            "tenant-isolation",
            "ran",
            "2026",
            "PR-",
            "a",
        ];
        let secrets: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let clean = report.redact_with(&secrets);
        assert_eq!(
            clean.items.iter().map(|i| i.status).collect::<Vec<_>>(),
            report.items.iter().map(|i| i.status).collect::<Vec<_>>()
        );
        assert_eq!(clean.started_at, report.started_at);
        assert_eq!(
            clean.findings.iter().map(|f| &f.id).collect::<Vec<_>>(),
            report.findings.iter().map(|f| &f.id).collect::<Vec<_>>()
        );
        assert_eq!(clean.items[0].findings, report.items[0].findings);
        // An item's worst finding and a grouped finding's routes keep their ids too.
        assert_eq!(
            clean.items.iter().map(|i| &i.worst).collect::<Vec<_>>(),
            report.items.iter().map(|i| &i.worst).collect::<Vec<_>>()
        );
        let route_ids = |r: &Report| -> Vec<String> {
            r.findings
                .iter()
                .flat_map(|f| f.locations.iter().map(|o| o.id.clone()))
                .collect()
        };
        assert!(!route_ids(&report).is_empty());
        assert_eq!(route_ids(&clean), route_ids(&report));
        let json = crate::report::render(&clean, crate::report::Format::Json, &Default::default());
        assert!(Report::from_json(&json).is_ok());
    }

    #[test]
    fn no_secrets_no_change() {
        let report = Report::new(fixture::input());
        assert_eq!(report.redact_with(&[]), report);
        assert_eq!(report.redact_with(&[String::new()]), report);
    }
}
