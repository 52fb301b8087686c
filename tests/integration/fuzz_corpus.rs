//! The fuzz targets' regression corpus (`tests/fuzz_corpus/<target>/`), run on stable
//! through the same entry points as `fuzz/fuzz_targets/*.rs`: no input may panic, and
//! the hand-written seeds (`seed-*`) still mean what they were written to mean.

use std::path::Path;

use prodready::config::ConfigError;
use prodready::families::auth::jwt;
use prodready::families::headers::csp::Weakness;
use prodready::fuzzing;

/// Every file of one target's corpus as (file name, text); non-UTF-8 files are skipped,
/// as the fuzz targets skip them.
fn corpus(target: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let bytes = std::fs::read(&path).expect("corpus file reads");
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, String::from_utf8(bytes).ok())
        })
        .filter_map(|(name, text)| text.map(|t| (name, t)))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the {target} corpus is nearly empty");
    files
}

/// The text of one seed.
fn seed<'c>(files: &'c [(String, String)], name: &str) -> &'c str {
    &files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("seed {name} is missing"))
        .1
}

#[test]
fn csp_corpus() {
    let files = corpus("csp");
    for (_, text) in &files {
        fuzzing::csp(text);
    }
    let strict = fuzzing::csp(seed(&files, "seed-strict.txt"));
    assert!(strict.weaknesses.is_empty(), "{:?}", strict.weaknesses);
    assert!(strict.strict_dynamic && strict.frame_ancestors_protect);
    let lax = fuzzing::csp(seed(&files, "seed-unsafe-inline.txt"));
    assert!(
        lax.weaknesses
            .iter()
            .any(|w| matches!(w, Weakness::UnsafeInline(_)))
    );
    let empty = fuzzing::csp(seed(&files, "seed-empty.txt"));
    assert_eq!(
        empty.weaknesses,
        vec![Weakness::Missing { report_only: false }]
    );
}

#[test]
fn set_cookie_corpus() {
    let files = corpus("set_cookie");
    for (_, text) in &files {
        fuzzing::set_cookie(text);
    }
    let hardened = fuzzing::set_cookie(seed(&files, "seed-hardened.txt"));
    assert_eq!(hardened.len(), 1);
    assert!(hardened[0].secure && hardened[0].http_only);
    assert_eq!(hardened[0].same_site.as_deref(), Some("lax"));
    assert_eq!(
        fuzzing::set_cookie(seed(&files, "seed-several.txt")).len(),
        3
    );
    assert!(fuzzing::set_cookie(seed(&files, "seed-no-value.txt")).is_empty());
}

#[test]
fn jwt_corpus() {
    let files = corpus("jwt");
    for (_, text) in &files {
        fuzzing::jwt(text);
    }
    let weak = fuzzing::jwt(seed(&files, "seed-hs256-weak.txt")).expect("decodes");
    assert_eq!(weak.alg(), "HS256");
    assert_eq!(weak.crack(jwt::weak_secrets()), Some("secret"));
    let strong = fuzzing::jwt(seed(&files, "seed-hs512-strong.txt")).expect("decodes");
    assert_eq!(strong.crack(jwt::weak_secrets()), None);
    assert!(fuzzing::jwt(seed(&files, "seed-not-json.txt")).is_none());
    assert!(fuzzing::jwt(seed(&files, "seed-four-parts.txt")).is_none());
}

#[test]
fn config_corpus() {
    let files = corpus("config");
    for (_, text) in &files {
        let _ = fuzzing::config(text);
    }
    let demo = fuzzing::config(seed(&files, "seed-testserver-scan.toml")).expect("resolves");
    assert_eq!(demo.identities.len(), 4);
    fuzzing::config(seed(&files, "seed-init-template.toml")).expect("the init template resolves");
    assert!(matches!(
        fuzzing::config(seed(&files, "seed-literal-secret.toml")),
        Err(ConfigError::LiteralSecret { .. })
    ));
    assert!(matches!(
        fuzzing::config(seed(&files, "seed-unset-env.toml")),
        Err(ConfigError::MissingEnv { .. })
    ));
    let unknown = fuzzing::config(seed(&files, "seed-unknown-key.toml")).unwrap_err();
    assert!(unknown.to_string().contains("rat"), "{unknown}");
}

#[test]
fn probes_corpus() {
    let files = corpus("probes");
    for (_, text) in &files {
        let _ = fuzzing::probes(text);
    }
    // Each seed is one table cut from a built-in catalog file: it loads and lints clean.
    for (name, text) in files.iter().filter(|(n, _)| n.starts_with("seed-")) {
        let report = fuzzing::probes(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.is_ok(), "{name}: {report}");
        assert_eq!(report.probes + report.signatures, 1, "{name}");
    }
}
