//! The JSON report `prodready.report/v1`: the model, pretty-printed, fields in model order.

use super::Report;

/// Renders the report as pretty JSON followed by a newline.
pub(super) fn render(report: &Report) -> String {
    // Only `started_at` can fail to serialise (a year outside 0..=9999), which no clock
    // this side of the year 10000 produces and `Report::from_json` cannot read back.
    let mut text = serde_json::to_string_pretty(report)
        .expect("a report with a four-digit-year start time always serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::model::Item;
    use crate::report::fixture;

    const SCHEMA: &str = include_str!("../../schema/report-v1.json");

    fn validator() -> jsonschema::Validator {
        let schema: Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the schema is a valid draft 2020-12 schema")
    }

    fn errors(instance: &Value) -> Vec<String> {
        let validator = validator();
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    fn rendered() -> Value {
        let report = Report::new(fixture::input());
        serde_json::from_str(&render(&report)).expect("the renderer writes JSON")
    }

    #[test]
    fn the_rendered_report_validates_against_the_committed_schema() {
        let value = rendered();
        let statuses: Vec<&str> = value["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["status"].as_str().unwrap())
            .collect();
        for status in [
            "pass",
            "warn",
            "fail",
            "inconclusive",
            "not-tested",
            "manual",
        ] {
            assert!(statuses.contains(&status), "fixture lacks {status}");
        }
        assert_eq!(errors(&value), Vec::<String>::new());
    }

    #[test]
    fn insecure_tls_is_recorded_only_when_on_and_reads_back() {
        let mut report = Report::new(fixture::input());
        assert!(!render(&report).contains("tls_insecure"));
        report.tls_insecure = true;
        let text = render(&report);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["tls_insecure"], true);
        assert_eq!(errors(&value), Vec::<String>::new());
        assert!(Report::from_json(&text).unwrap().tls_insecure);
    }

    #[test]
    fn the_schema_rejects_what_breaks_the_contract() {
        let mut missing_item = rendered();
        missing_item["items"].as_array_mut().unwrap().pop();
        assert!(!errors(&missing_item).is_empty());

        let mut swapped = rendered();
        swapped["items"].as_array_mut().unwrap().swap(2, 3);
        assert!(!errors(&swapped).is_empty());

        let mut bad_status = rendered();
        bad_status["items"][0]["status"] = "ok".into();
        assert!(!errors(&bad_status).is_empty());

        let mut bad_id = rendered();
        bad_id["findings"][0]["id"] = "PR-XYZ".into();
        assert!(!errors(&bad_id).is_empty());

        let mut undotted_probe = rendered();
        undotted_probe["findings"][0]["probe"] = "tenant".into();
        assert!(!errors(&undotted_probe).is_empty());

        let mut extra = rendered();
        extra["findings"][0]["score"] = 9.into();
        assert!(!errors(&extra).is_empty());

        // A grouped finding lists its routes under per-route ids, with their ratings.
        let grouped = |value: &mut Value| -> usize {
            let findings = value["findings"].as_array().unwrap();
            findings
                .iter()
                .position(|f| f.get("locations").is_some())
                .expect("the fixture has a grouped finding")
        };
        let mut bad_route_id = rendered();
        let at = grouped(&mut bad_route_id);
        bad_route_id["findings"][at]["locations"][0]["id"] = "route-1".into();
        assert!(!errors(&bad_route_id).is_empty());
        let mut unrated_route = rendered();
        let at = grouped(&mut unrated_route);
        unrated_route["findings"][at]["locations"][0]
            .as_object_mut()
            .unwrap()
            .remove("severity");
        assert!(!errors(&unrated_route).is_empty());
        let mut no_more = rendered();
        let at = grouped(&mut no_more);
        no_more["findings"][at]["more_locations"] = 0.into();
        assert!(!errors(&no_more).is_empty());

        let mut wrong_schema = rendered();
        wrong_schema["schema"] = "prodready.report/v2".into();
        assert!(!errors(&wrong_schema).is_empty());

        let mut errored_without_error = rendered();
        let probes = errored_without_error["probes"].as_array_mut().unwrap();
        let errored = probes.iter_mut().find(|p| p["state"] == "errored").unwrap();
        errored.as_object_mut().unwrap().remove("error");
        assert!(!errors(&errored_without_error).is_empty());
    }

    #[test]
    fn baseline_suppressions_and_gate_notes_validate_and_are_checked() {
        use crate::report::gate::{self, GatePolicy, Suppression};
        let report = Report::new(fixture::input());
        let mut old = report.clone();
        old.findings.remove(0);
        let policy = GatePolicy {
            suppressions: vec![Suppression {
                id: report.findings[1].id.clone(),
                reason: "accepted".into(),
                expires: time::macros::date!(2020 - 01 - 01),
            }],
            baseline: Some(old),
            ..GatePolicy::default()
        };
        let applied = gate::apply(report, &policy, time::macros::date!(2026 - 11 - 29));
        let value: Value = serde_json::from_str(&render(&applied)).unwrap();
        assert!(
            value["baseline"]["new"]
                .as_array()
                .is_some_and(|n| n.len() == 1)
        );
        assert_eq!(value["suppressions"][0]["state"], "expired");
        assert!(
            value["gate"]["notes"]
                .as_array()
                .is_some_and(|n| !n.is_empty())
        );
        assert_eq!(errors(&value), Vec::<String>::new());
        assert_eq!(Report::from_json(&render(&applied)).unwrap(), applied);

        let mut bad_state = value.clone();
        bad_state["suppressions"][0]["state"] = "maybe".into();
        assert!(!errors(&bad_state).is_empty());
        let mut bad_date = value.clone();
        bad_date["suppressions"][0]["expires"] = "soon".into();
        assert!(!errors(&bad_date).is_empty());
        let mut bad_new = value;
        bad_new["baseline"]["new"][0] = "not-an-id".into();
        assert!(!errors(&bad_new).is_empty());
    }

    #[test]
    fn fields_come_out_in_contract_order_and_read_back() {
        let report = Report::new(fixture::input());
        let text = render(&report);
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&text)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        // serde_json's Map is sorted unless preserve_order is on, so read positions instead.
        let position = |k: &str| text.find(&format!("\n  \"{k}\":")).unwrap();
        let order = [
            "schema",
            "tool",
            "target",
            "started_at",
            "duration_ms",
            "requests_sent",
            "gate",
            "identities",
            "inventory",
            "items",
            "findings",
            "probes",
            "errors",
            "warnings",
        ];
        assert_eq!(keys.len(), order.len());
        assert!(order.windows(2).all(|w| position(w[0]) < position(w[1])));
        assert!(text.ends_with("}\n"));

        let back = Report::from_json(&text).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.items[0].key, Item::TenantIsolation);
    }
}
