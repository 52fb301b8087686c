//! The CLI contract: exit codes 0/1/2/3 and one clear error line.

use assert_cmd::Command;
use predicates::prelude::*;

fn prodready() -> Command {
    let mut cmd = Command::cargo_bin("prodready").expect("binary built");
    cmd.env("NO_COLOR", "1").env_remove("PRODREADY_LOG");
    cmd
}

/// stderr must be exactly one line starting with `error:`.
fn one_error_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {text}");
    assert!(lines[0].starts_with("error: "), "{text}");
    text
}

#[test]
fn unreachable_target_exits_3_with_one_line() {
    // Port 1 on loopback: nothing listens there.
    let out = prodready()
        .args(["scan", "http://127.0.0.1:1/", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = one_error_line(&out.stderr);
    assert!(
        err.contains("unreachable") && err.contains("127.0.0.1:1"),
        "{err}"
    );
}

#[test]
fn bad_config_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.toml");
    std::fs::write(
        &path,
        "[target]\nurl = \"http://127.0.0.1:1\"\n[limits]\nrps = 5\n",
    )
    .unwrap();
    let out = prodready()
        .arg("scan")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out.stderr);
    assert!(err.contains("rps") && err.contains("line 4"), "{err}");

    std::fs::write(
        &path,
        "[target]\nurl = \"http://127.0.0.1:1\"\n[identities.a.login]\nkind = \"token\"\ntoken = \"${PRODREADY_TEST_UNSET_TOKEN}\"\n",
    )
    .unwrap();
    let out = prodready()
        .arg("scan")
        .arg("--config")
        .arg(&path)
        .env_remove("PRODREADY_TEST_UNSET_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out.stderr);
    assert!(
        err.contains("PRODREADY_TEST_UNSET_TOKEN") && err.contains("identities.a.login.token"),
        "{err}"
    );

    let out = prodready()
        .args(["scan", "--config", "/nonexistent/scan.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    one_error_line(&out.stderr);
}

#[test]
fn unknown_flaw_and_bad_flags_exit_2() {
    let out = prodready()
        .args(["demo", "--flaws", "no-such-flaw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = one_error_line(&out.stderr);
    assert!(err.contains("no-such-flaw"), "{err}");
    prodready()
        .args(["scan", "--format", "yaml", "http://127.0.0.1:1"])
        .assert()
        .code(2);
}

#[test]
fn demo_exits_1_on_the_flawed_app_and_0_on_the_hardened_one() {
    prodready()
        .args(["demo"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Error handling").and(predicate::str::contains("fail")));
    let out = prodready()
        .args(["demo", "--flaws", "none", "--format", "json", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["schema"], "prodready.report/v1");
    assert!(
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] != "fail")
    );

    // One scan, many outputs: the saved report renders in another format.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    prodready()
        .arg("render")
        .arg(&saved)
        .args(["--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Tenant isolation"));
    prodready()
        .args(["render", "/nonexistent/report.json", "--format", "html"])
        .assert()
        .code(2);
}

#[test]
fn probes_check_passes_on_the_builtin_catalog() {
    prodready()
        .args(["probes", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 problems"));
}

#[test]
fn init_writes_a_commented_config_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.toml");
    prodready()
        .arg("init")
        .arg("https://staging.example.com")
        .arg("-o")
        .arg(&path)
        .assert()
        .success();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("url = \"https://staging.example.com\"")
            && text.contains("${PRODREADY_A_PASSWORD}")
    );
    // A second run does not clobber the file, and says how not to.
    let out = prodready()
        .arg("init")
        .arg("https://staging.example.com")
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out.stderr).contains("--force"));
    prodready()
        .args(["init", "not a url", "-o"])
        .arg(dir.path().join("x.toml"))
        .assert()
        .code(2);
}
