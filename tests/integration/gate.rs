//! The gate end to end through the binary: a baseline marks fixed and new findings, an
//! expired suppression is reported as expired and stops suppressing, and the exit codes
//! follow the policy (`--fail-on-new`, `--policy`, `prodready diff`).

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use crate::common;

fn prodready() -> Command {
    let mut cmd = Command::cargo_bin("prodready").expect("binary built");
    cmd.env("NO_COLOR", "1").env_remove("PRODREADY_LOG");
    cmd
}

/// Runs `demo --flaws FLAWS --format json -o OUT -q` plus `extra`; returns the exit code
/// and the report.
fn demo(flaws: &str, out: &Path, extra: &[&str]) -> (i32, Value) {
    let run = prodready()
        .args(["demo", "--flaws", flaws, "--format", "json", "-q", "-o"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let code = run.status.code().expect("exit code");
    assert!(
        code == 0 || code == 1,
        "demo exited {code}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(out).expect("report written");
    (code, serde_json::from_str(&text).expect("JSON report"))
}

/// Ids of the findings that fail `item`: medium or worse, firm or confirmed.
fn ids_of(report: &Value, item: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["item"] == item)
        .filter(|f| !["info", "low"].contains(&f["severity"].as_str().unwrap()))
        .filter(|f| f["confidence"] != "tentative")
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn baseline_suppressions_and_policy_decide_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let old_path = dir.path().join("old.json");
    let new_path = dir.path().join("new.json");
    let fixed_path = dir.path().join("fixed.json");

    // Night 1: a stack trace and an IDOR.
    let (code, old) = demo("stack-trace,idor-read", &old_path, &[]);
    assert_eq!(code, 1);
    let stack = ids_of(&old, "error-handling");
    let idor = ids_of(&old, "tenant-isolation");
    assert!(!stack.is_empty() && !idor.is_empty(), "{old:#}");

    // Suppress the IDOR findings, one entry long expired: it must say so and count again.
    let suppressions = dir.path().join("suppressions.toml");
    let mut text = String::new();
    for (n, id) in idor.iter().enumerate() {
        let expires = if n == 0 { "2020-01-31" } else { "2999-12-31" };
        text.push_str(&format!(
            "[[suppress]]\nid = \"{id}\"\nreason = \"tracked in TICKET-{n}\"\nexpires = {expires}\n"
        ));
    }
    std::fs::write(&suppressions, text).unwrap();

    // Night 2: the stack trace is fixed, a missing role check is new, the IDOR stays.
    let (code, new) = demo(
        "idor-read,missing-role-check",
        &new_path,
        &[
            "--baseline",
            old_path.to_str().unwrap(),
            "--suppressions",
            suppressions.to_str().unwrap(),
            "--fail-on-new",
        ],
    );
    assert_eq!(code, 1, "a new failing finding fails --fail-on-new");
    // The additions (baseline, suppressions, gate notes) stay within schema v1.
    let errors = common::schema_errors(&new);
    assert!(errors.is_empty(), "{errors:#?}");
    let baseline = &new["baseline"];
    let fixed: Vec<String> = baseline["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    for id in &stack {
        assert!(fixed.contains(id), "{id} should be fixed: {baseline:#}");
    }
    let new_ids = strings(&baseline["new"]);
    let role_item = ids_of(&new, "authorization");
    assert!(!role_item.is_empty(), "the role check flaw gave findings");
    for id in &role_item {
        assert!(new_ids.contains(id), "{id} should be new: {baseline:#}");
    }
    let unchanged = strings(&baseline["unchanged"]);
    for id in &idor {
        assert!(unchanged.contains(id), "{id} should be unchanged");
    }
    let states: Vec<(String, String)> = new["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(states[0], (idor[0].clone(), "expired".to_string()));
    assert!(states[1..].iter().all(|(_, s)| s == "active"), "{states:?}");
    let notes = strings(&new["gate"]["notes"]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&idor[0]) && n.contains("expired")),
        "{notes:?}"
    );
    // Only the new authorization findings fail the gate, not the unchanged IDOR.
    let reasons = strings(&new["gate"]["reasons"]);
    assert!(
        reasons.iter().all(|r| r.contains("authorization")),
        "{reasons:?}"
    );

    // The reports the formats show carry the same states.
    let md = prodready()
        .args(["demo", "--flaws", "idor-read", "--format", "markdown", "-q"])
        .arg("--baseline")
        .arg(&old_path)
        .arg("--suppressions")
        .arg(&suppressions)
        .arg("--fail-on-new")
        .output()
        .unwrap();
    // Night 3: only the old IDOR is left; nothing new, so --fail-on-new passes.
    assert_eq!(
        md.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&md.stderr)
    );
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("**0 new**") && md.contains("fixed `"), "{md}");
    assert!(
        md.contains("Expired suppressions") && md.contains(&idor[0]),
        "{md}"
    );

    // Without --fail-on-new the expired suppression lets the IDOR fail the gate again.
    let (code, report) = demo(
        "idor-read",
        &fixed_path,
        &["--suppressions", suppressions.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    let reasons = strings(&report["gate"]["reasons"]);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains(&idor[0]), "{reasons:?}");
    // The same findings, all suppressed and unexpired: the gate passes.
    let active = dir.path().join("active.toml");
    let text: String = idor
        .iter()
        .map(|id| {
            format!("[[suppress]]\nid = \"{id}\"\nreason = \"accepted\"\nexpires = 2999-12-31\n")
        })
        .collect();
    std::fs::write(&active, text).unwrap();
    let (code, report) = demo(
        "idor-read",
        &fixed_path,
        &["--suppressions", active.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{:#}", report["gate"]);
    // A policy that ignores the item passes it.
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[rules]\n\"tenant-isolation\" = \"ignore\"\n").unwrap();
    let (code, report) = demo(
        "idor-read",
        &fixed_path,
        &["--policy", policy.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{:#}", report["gate"]);
    assert_eq!(
        report["items"][0]["status"], "fail",
        "the verdict stays measured"
    );

    // `prodready diff`: exit 1 when anything is new, 0 otherwise.
    let out = prodready()
        .arg("diff")
        .arg(&old_path)
        .arg(&new_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("new (") && text.contains(&stack[0]), "{text}");
    prodready()
        .arg("diff")
        .arg(&old_path)
        .arg(&old_path)
        .assert()
        .code(0);
}

/// Writes a suppressions file naming `ids`, unexpired.
fn suppressions_of(path: &Path, ids: &[String]) {
    let text: String = ids
        .iter()
        .map(|id| {
            format!("[[suppress]]\nid = \"{id}\"\nreason = \"accepted\"\nexpires = 2999-12-31\n")
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

/// Suppressions written before findings were grouped name one route's finding each;
/// the report keeps those ids per route, so they still match, route by route.
#[test]
fn suppressions_of_per_route_ids_keep_working_on_grouped_findings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    // A CORS flaw every API route shares (the routes are the same from run to run).
    let flaw = "cors-null-origin";
    let (code, report) = demo(flaw, &out, &[]);
    assert_eq!(code, 1);
    let grouped: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["item"] == "security-headers")
        .collect();
    assert!(!grouped.is_empty(), "{report:#}");
    let mut routes: Vec<String> = Vec::new();
    for f in &grouped {
        let locations = f["locations"].as_array().unwrap_or_else(|| {
            panic!("CORS findings are grouped across routes: {f:#}");
        });
        assert!(f.get("more_locations").is_none(), "{f:#}");
        routes.extend(
            locations
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_string()),
        );
    }
    assert!(
        routes.len() > grouped.len(),
        "a trace on several routes: {routes:?}"
    );

    // Every route's own id: the grouped findings are set aside, the gate passes.
    let file = dir.path().join("routes.toml");
    suppressions_of(&file, &routes);
    let (code, again) = demo(flaw, &out, &["--suppressions", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{:#}", again["gate"]);
    let states: Vec<String> = again["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect();
    assert!(states.iter().all(|s| s == "active"), "{states:?}");

    // One route's id: it matches, but the other routes still fail the gate, and say so.
    suppressions_of(&file, &routes[..1]);
    let (code, again) = demo(flaw, &out, &["--suppressions", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(again["suppressions"][0]["state"], "active");
    let notes = strings(&again["gate"]["notes"]);
    assert!(notes.iter().any(|n| n.contains("routes of")), "{notes:?}");
}

#[test]
fn bad_gate_input_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("s.toml");
    std::fs::write(
        &bad,
        "[[suppress]]\nid = \"nope\"\nreason = \"r\"\nexpires = 2027-01-01\n",
    )
    .unwrap();
    let out = prodready()
        .args(["demo", "--suppressions"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--suppressions") && err.contains("suppress[0].id"),
        "{err}"
    );

    let out = prodready()
        .args(["demo", "--fail-on", "severe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fail-on"));

    prodready().args(["demo", "--fail-on-new"]).assert().code(2);
    prodready()
        .args(["diff", "/nonexistent/a.json", "/nonexistent/b.json"])
        .assert()
        .code(2);
}

#[test]
fn a_policy_file_threshold_applies_and_the_flag_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "fail_on = \"critical\"\n").unwrap();
    // The hardened app has no critical finding, and neither does a stack trace.
    let out = dir.path().join("r.json");
    let (code, _) = demo("stack-trace", &out, &["--policy", policy.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (code, _) = demo(
        "stack-trace",
        &out,
        &["--policy", policy.to_str().unwrap(), "--fail-on", "medium"],
    );
    assert_eq!(code, 1);
}
