//! The probe catalog: declarative probes and passive signatures read from TOML,
//! the built-in `probes/` folder plus any folder given with `--probes DIR`.
//!
//! Loading fails fast on anything that would make a probe meaningless (syntax,
//! unknown keys, unknown items, bad regexes, duplicate ids). [`ProbeCatalog::check`]
//! then lints behaviour: id shape and every example, which is how each built-in
//! signature's examples run in the test suite.

pub mod declarative;
pub mod passive;
pub mod pattern;
pub mod run;
pub mod safe_corpus;
pub mod secret;
pub mod signatures;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::catalog::declarative::{DeclarativeProbe, Expect, RawProbe};
use crate::catalog::safe_corpus::{COMMON_SAFE_HEADERS, COMMON_SAFE_RESPONSES};
use crate::catalog::signatures::{RawSignature, Signature, SignatureSet, Target};
use crate::model::Item;

// The built-in catalog files (`BUILTIN`), every `probes/**/*.toml` embedded with
// `include_str!` by build.rs, so edits rebuild the binary and new files need no list.
include!(concat!(env!("OUT_DIR"), "/builtin_probes.rs"));

/// Why a catalog could not be loaded. Every variant names the file, and the probe
/// or signature id where it is known.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A file or folder could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `--probes` folder holds no `*.toml` file, which is almost always a wrong path.
    #[error("{}: no *.toml probe files found", dir.display())]
    NoFiles { dir: PathBuf },
    /// TOML syntax error, or a value of the wrong type.
    #[error("{file}:{line}:{column}: {}{message}", id_prefix(.id))]
    Parse {
        file: String,
        line: usize,
        column: usize,
        id: Option<String>,
        message: String,
    },
    /// A key the format does not know (often a typo).
    #[error("{file}:{line}: {}unknown key `{key}`{}", id_prefix(.id), expected_suffix(.expected))]
    UnknownKey {
        file: String,
        line: usize,
        id: Option<String>,
        key: String,
        /// The keys allowed at that place, as serde lists them.
        expected: String,
    },
    /// `item` is not one of the 12 checklist keys.
    #[error("{file}: {id}: unknown item `{key}`; valid items: {valid}")]
    UnknownItem {
        file: String,
        id: String,
        key: String,
        valid: String,
    },
    /// A pattern does not compile.
    #[error("{file}: {id}: {field} is not a valid regex: {message}")]
    Regex {
        file: String,
        id: String,
        field: String,
        message: String,
    },
    /// The id is already used by a built-in or earlier signature or probe.
    #[error("{file}: {id}: duplicate id, already defined in {first}")]
    DuplicateId {
        file: String,
        id: String,
        first: String,
    },
    /// A value that parses but cannot work (bad target, method, path, kind, or a
    /// probe that only looks at the status).
    #[error("{file}: {id}: {message}")]
    Invalid {
        file: String,
        id: String,
        message: String,
    },
    /// The combined body-signature prefilter exceeds the regex size limits.
    #[error("the signatures together exceed the regex size limit: {message}")]
    SignatureSet { message: String },
}

fn id_prefix(id: &Option<String>) -> String {
    id.as_ref().map(|id| format!("{id}: ")).unwrap_or_default()
}

fn expected_suffix(expected: &str) -> String {
    if expected.is_empty() {
        String::new()
    } else {
        format!(", {expected}")
    }
}

impl CatalogError {
    pub(crate) fn regex(file: &str, id: &str, field: &str, err: &regex::Error) -> CatalogError {
        CatalogError::Regex {
            file: file.to_string(),
            id: id.to_string(),
            field: field.to_string(),
            message: err.to_string(),
        }
    }

    /// A TOML error, with its line and column, turned into `Parse` or `UnknownKey`.
    fn toml(file: &str, text: &str, id: Option<&str>, err: &toml::de::Error) -> CatalogError {
        let (line, column) = err
            .span()
            .map_or((0, 0), |span| line_column(text, span.start));
        let message = err.message().trim().to_string();
        let id = id.map(str::to_string);
        // serde words it "unknown field `x`, expected one of `a`, `b`".
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((key, expected)) = rest.split_once('`')
        {
            return CatalogError::UnknownKey {
                file: file.to_string(),
                line,
                id,
                key: key.to_string(),
                expected: expected.trim_start_matches(',').trim().to_string(),
            };
        }
        CatalogError::Parse {
            file: file.to_string(),
            line,
            column,
            id,
            message,
        }
    }
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Parses a checklist key, naming the valid keys when it is unknown.
pub(crate) fn parse_item(file: &str, id: &str, key: &str) -> Result<Item, CatalogError> {
    Item::from_key(key).ok_or_else(|| CatalogError::UnknownItem {
        file: file.to_string(),
        id: id.to_string(),
        key: key.to_string(),
        valid: Item::ALL.map(Item::key).join(", "),
    })
}

/// Declarative probes and passive signatures, ready for the engine.
#[derive(Debug, Clone, Default)]
pub struct ProbeCatalog {
    pub probes: Vec<DeclarativeProbe>,
    pub signatures: SignatureSet,
}

impl ProbeCatalog {
    /// The catalog built into the binary from the `probes/` folder.
    pub fn builtin() -> Result<ProbeCatalog, CatalogError> {
        let mut loader = Loader::new(ProbeCatalog::default());
        for (file, text) in BUILTIN {
            loader.add_file(file, text)?;
        }
        loader.finish()
    }

    /// Adds every `*.toml` file under `dir` (recursively, in path order). A file may
    /// hold `[[signature]]` tables, `[[probe]]` tables, or both. Ids must not repeat
    /// any id already in the catalog.
    pub fn load_dir(self, dir: &Path) -> Result<ProbeCatalog, CatalogError> {
        let mut files = Vec::new();
        collect_toml_files(dir, &mut files)?;
        if files.is_empty() {
            return Err(CatalogError::NoFiles {
                dir: dir.to_path_buf(),
            });
        }
        files.sort();
        let mut loader = Loader::new(self);
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Io {
                path: path.clone(),
                source,
            })?;
            loader.add_file(&path.display().to_string(), &text)?;
        }
        loader.finish()
    }

    /// Adds the tables of one TOML text; `file` names it in errors and reports.
    pub fn load_str(self, file: &str, text: &str) -> Result<ProbeCatalog, CatalogError> {
        let mut loader = Loader::new(self);
        loader.add_file(file, text)?;
        loader.finish()
    }

    /// The probe with this id.
    pub fn probe(&self, id: &str) -> Option<&DeclarativeProbe> {
        self.probes.iter().find(|p| p.id == id)
    }

    /// Lints the catalog: id shape and uniqueness, examples present on both sides,
    /// every example behaving as declared, and no probe or signature matching the
    /// common safe responses (SPA shells, plain error JSON, prose).
    pub fn check(&self) -> CheckReport {
        let mut report = CheckReport {
            probes: self.probes.len(),
            signatures: self.signatures.len(),
            examples: 0,
            problems: Vec::new(),
        };
        let mut seen: HashMap<&str, &str> = HashMap::new();
        let ids = self
            .signatures
            .signatures()
            .iter()
            .map(|s| (s.id.as_str(), s.source.as_str()))
            .chain(
                self.probes
                    .iter()
                    .map(|p| (p.id.as_str(), p.source.as_str())),
            );
        for (id, file) in ids {
            if !is_valid_id(id) {
                report.problem(
                    file,
                    id,
                    "id must be `family.check`: two parts of lower-case letters, digits and `-`",
                );
            }
            if let Some(first) = seen.insert(id, file) {
                report.problem(file, id, format!("duplicate id, also defined in {first}"));
            }
        }
        for sig in self.signatures.signatures() {
            check_signature(sig, &mut report);
        }
        for probe in &self.probes {
            check_probe(probe, &mut report);
        }
        report
    }
}

fn is_valid_id(id: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with('-')
            && !p.ends_with('-')
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    matches!(id.split_once('.'), Some((family, check)) if part(family) && part(check))
}

fn check_signature(sig: &Signature, report: &mut CheckReport) {
    let (file, id) = (sig.source.as_str(), sig.id.as_str());
    if sig.pattern.is_match(b"") {
        report.problem(file, id, "pattern matches the empty string");
    }
    if sig.item == Item::Secrets && !sig.has_secret() {
        report.problem(
            file,
            id,
            "a `secrets` signature needs a `(?P<secret>...)` group, so reports show the match redacted",
        );
    }
    if sig.examples.matches.is_empty() {
        report.problem(file, id, "no positive example (examples.matches)");
    }
    if sig.examples.no_match.is_empty() {
        report.problem(file, id, "no negative example (examples.no_match)");
    }
    for (n, text) in sig.examples.matches.iter().enumerate() {
        report.examples += 1;
        if sig.find(text.as_bytes()).is_none() {
            report.problem(
                file,
                id,
                format!("examples.matches[{n}] does not match: {}", snippet(text)),
            );
        }
    }
    for (n, text) in sig.examples.no_match.iter().enumerate() {
        report.examples += 1;
        if let Some(found) = sig.find(text.as_bytes()) {
            report.problem(
                file,
                id,
                format!("examples.no_match[{n}] matches: {}", snippet(&found)),
            );
        }
    }
    match &sig.target {
        Target::Body => {
            for safe in COMMON_SAFE_RESPONSES {
                if let Some(found) = sig.find(safe.body.as_bytes()) {
                    report.problem(
                        file,
                        id,
                        format!(
                            "matches the common safe response `{}`: {}",
                            safe.name,
                            snippet(&found)
                        ),
                    );
                }
            }
        }
        Target::Header(name) => {
            for (header, value) in COMMON_SAFE_HEADERS {
                if header == name && sig.find(value.as_bytes()).is_some() {
                    report.problem(
                        file,
                        id,
                        format!("matches the common safe header `{header}: {value}`"),
                    );
                }
            }
        }
    }
}

fn check_probe(probe: &DeclarativeProbe, report: &mut CheckReport) {
    let (file, id) = (probe.source.as_str(), probe.id.as_str());
    let m = &probe.matcher;
    let patterns = m
        .body_any
        .iter()
        .chain(&m.body_all)
        .chain(m.headers.iter().map(|h| &h.pattern));
    for p in patterns {
        if p.is_match(b"") {
            report.problem(
                file,
                id,
                format!("pattern `{}` matches the empty string", p.as_str()),
            );
        }
    }
    for (expect, what) in [(Expect::Vulnerable, "vulnerable"), (Expect::Safe, "safe")] {
        if !probe.examples.iter().any(|e| e.expect == expect) {
            report.problem(file, id, format!("no {what} example"));
        }
    }
    let url = example_url(probe);
    for (n, example) in probe.examples.iter().enumerate() {
        report.examples += 1;
        let verdict = probe.evaluate(&example.to_response(url.clone()));
        match (example.expect, verdict) {
            (Expect::Vulnerable, None) => {
                report.problem(
                    file,
                    id,
                    format!("example[{n}] (vulnerable) does not match"),
                );
            }
            (Expect::Safe, Some(found)) => report.problem(
                file,
                id,
                format!("example[{n}] (safe) matches: {}", snippet(&found)),
            ),
            _ => {}
        }
    }
    for safe in COMMON_SAFE_RESPONSES {
        if let Some(found) = probe.evaluate(&safe.to_response(url.clone())) {
            report.problem(
                file,
                id,
                format!(
                    "matches the common safe response `{}`: {}",
                    safe.name,
                    snippet(&found)
                ),
            );
        }
    }
}

fn example_url(probe: &DeclarativeProbe) -> url::Url {
    let origin: url::Url = "http://127.0.0.1/".parse().expect("a constant URL parses");
    probe
        .requests
        .first()
        .and_then(|r| origin.join(&r.path).ok())
        .unwrap_or(origin)
}

/// The first line of a text, shortened for a one-line report.
fn snippet(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("");
    let mut out: String = line.chars().take(80).collect();
    if out.len() < line.len() || text.trim().lines().nth(1).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

fn collect_toml_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CatalogError> {
    let io = |source| CatalogError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        // Directory symlinks are not followed, so a link loop cannot recurse forever.
        if entry.file_type().map_err(io)?.is_dir() {
            collect_toml_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Accumulates files, then builds the signature prefilter once.
struct Loader {
    probes: Vec<DeclarativeProbe>,
    signatures: Vec<Signature>,
    /// id -> file that defined it.
    seen: HashMap<String, String>,
}

impl Loader {
    fn new(catalog: ProbeCatalog) -> Loader {
        let signatures = catalog.signatures.into_vec();
        let seen = signatures
            .iter()
            .map(|s| (s.id.clone(), s.source.clone()))
            .chain(
                catalog
                    .probes
                    .iter()
                    .map(|p| (p.id.clone(), p.source.clone())),
            )
            .collect();
        Loader {
            probes: catalog.probes,
            signatures,
            seen,
        }
    }

    fn add_file(&mut self, file: &str, text: &str) -> Result<(), CatalogError> {
        let doc = DeTable::parse(text).map_err(|e| CatalogError::toml(file, text, None, &e))?;
        for (key, value) in doc.get_ref() {
            let tables = match key.get_ref().as_ref() {
                name @ ("signature" | "probe") => value
                    .get_ref()
                    .as_array()
                    .filter(|a| a.iter().all(|v| v.get_ref().is_table()))
                    .ok_or_else(|| CatalogError::Parse {
                        file: file.to_string(),
                        line: line_column(text, value.span().start).0,
                        column: line_column(text, value.span().start).1,
                        id: None,
                        message: format!("`{name}` must be an array of tables: [[{name}]]"),
                    })?,
                other => {
                    return Err(CatalogError::UnknownKey {
                        file: file.to_string(),
                        line: line_column(text, key.span().start).0,
                        id: None,
                        key: other.to_string(),
                        expected: "expected `signature` or `probe`".into(),
                    });
                }
            };
            for table in tables.iter() {
                let id = table
                    .get_ref()
                    .get("id")
                    .and_then(|v| v.get_ref().as_str())
                    .map(str::to_string);
                let parse_err =
                    |e: toml::de::Error| CatalogError::toml(file, text, id.as_deref(), &e);
                if key.get_ref() == "signature" {
                    let raw =
                        RawSignature::deserialize(value_deserializer(table)).map_err(parse_err)?;
                    let sig = raw.compile(file)?;
                    self.claim(file, &sig.id)?;
                    self.signatures.push(sig);
                } else {
                    let raw =
                        RawProbe::deserialize(value_deserializer(table)).map_err(parse_err)?;
                    let probe = raw.compile(file)?;
                    self.claim(file, &probe.id)?;
                    self.probes.push(probe);
                }
            }
        }
        Ok(())
    }

    fn claim(&mut self, file: &str, id: &str) -> Result<(), CatalogError> {
        if let Some(first) = self.seen.get(id) {
            return Err(CatalogError::DuplicateId {
                file: file.to_string(),
                id: id.to_string(),
                first: first.clone(),
            });
        }
        self.seen.insert(id.to_string(), file.to_string());
        Ok(())
    }

    fn finish(self) -> Result<ProbeCatalog, CatalogError> {
        let signatures =
            SignatureSet::new(self.signatures).map_err(|e| CatalogError::SignatureSet {
                message: e.to_string(),
            })?;
        Ok(ProbeCatalog {
            probes: self.probes,
            signatures,
        })
    }
}

fn value_deserializer<'i>(table: &toml::Spanned<DeValue<'i>>) -> ValueDeserializer<'i> {
    ValueDeserializer::from(table.clone())
}

/// One problem `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The catalog file.
    pub file: String,
    /// The probe or signature id.
    pub id: String,
    pub message: String,
}

/// What [`ProbeCatalog::check`] found; `Display` prints a line per problem and a
/// summary line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub probes: usize,
    pub signatures: usize,
    /// Declared examples that were run.
    pub examples: usize,
    pub problems: Vec<Problem>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, file: &str, id: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_string(),
            id: id.to_string(),
            message: message.into(),
        });
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{}: {}: {}", p.file, p.id, p.message)?;
        }
        write!(
            f,
            "{} probes, {} signatures, {} examples checked, {} problems",
            self.probes,
            self.signatures,
            self.examples,
            self.problems.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    const SIGNATURE: &str = r#"
[[signature]]
id = "errors.test-trace"
item = "error-handling"
kind = "stack-trace"
title = "Test trace"
detail = "d"
severity = "medium"
confidence = "firm"
pattern = '''goroutine \d+ \[running\]:'''
remediation = "r"
[signature.examples]
matches = ["goroutine 1 [running]:"]
no_match = ["a goroutine dump"]
"#;

    const PROBE: &str = r#"
[[probe]]
id = "debug.test-vars"
item = "error-handling"
severity = "medium"
confidence = "firm"
title = "t"
detail = "d"
remediation = "r"
[[probe.request]]
path = "/debug/vars"
[probe.match]
status = [200]
body_all = ['''"cmdline"''']
[[probe.example]]
expect = "vulnerable"
body = '''{"cmdline":["x"]}'''
[[probe.example]]
expect = "safe"
body = '''<!doctype html><div id="root"></div>'''
"#;

    fn load(text: &str) -> Result<ProbeCatalog, CatalogError> {
        ProbeCatalog::default().load_str("user/extra.toml", text)
    }

    #[test]
    fn builtin_catalog_loads_and_every_example_behaves() {
        let catalog = ProbeCatalog::builtin().unwrap();
        let report = catalog.check();
        assert!(report.is_ok(), "{report}");
        assert!(
            catalog.probes.len() >= 20,
            "{} probes",
            catalog.probes.len()
        );
        assert!(catalog.signatures.len() >= 35);
        assert!(report.examples > 200);
        assert!(report.to_string().ends_with(" 0 problems"));
    }

    #[test]
    fn every_probe_file_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = Vec::new();
        collect_toml_files(&root.join("probes"), &mut on_disk).unwrap();
        let mut on_disk: Vec<String> = on_disk
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = BUILTIN.iter().map(|(f, _)| f.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk, "build.rs embeds every probes/**/*.toml");
    }

    #[test]
    fn builtin_ids_follow_the_naming_rules_of_their_kind() {
        let catalog = ProbeCatalog::builtin().unwrap();
        for sig in catalog.signatures.signatures() {
            let family_item = match sig.id.split_once('.').map(|(f, _)| f) {
                Some("errors") => Item::ErrorHandling,
                Some("secrets") => Item::Secrets,
                _ => panic!("unknown signature family: {}", sig.id),
            };
            assert_eq!(sig.item, family_item, "{}", sig.id);
        }
        for probe in &catalog.probes {
            assert!(
                probe.id.starts_with("debug.") || probe.id.starts_with("exposed."),
                "{}",
                probe.id
            );
            let has_shell = probe.examples.iter().any(|e| {
                e.expect == Expect::Safe && e.status == 200 && e.body.contains("<div id=\"root\">")
            });
            assert!(
                has_shell,
                "{} needs an SPA shell among its safe examples",
                probe.id
            );
        }
    }

    fn secret_signature(pattern: &str, min_entropy: &str) -> String {
        format!(
            r#"
[[signature]]
id = "secrets.test-key"
item = "secrets"
kind = "secret"
title = "t"
detail = "d"
severity = "high"
confidence = "firm"
pattern = '''{pattern}'''
{min_entropy}
remediation = "r"
[signature.examples]
matches = ["key=tk_Q8vL2mX9pR4wZ7nK"]
no_match = ["key=tk_aaaaaaaaaaaaaaaa"]
"#
        )
    }

    #[test]
    fn secret_signatures_need_a_secret_group_and_a_sane_entropy() {
        let ok = load(&secret_signature(
            r"(?P<secret>tk_[A-Za-z0-9]{16})",
            "min_entropy = 3.0",
        ))
        .unwrap();
        let report = ok.check();
        assert!(report.problems.is_empty(), "{report}");
        let sig = ok.signatures.get("secrets.test-key").unwrap();
        let found = sig.find(b"key=tk_Q8vL2mX9pR4wZ7nK").unwrap();
        assert!(!found.contains("Q8vL2"), "{found}");

        let no_group = load(&secret_signature(r"tk_[A-Za-z0-9]{16}", "")).unwrap();
        let report = no_group.check().to_string();
        assert!(report.contains("(?P<secret>"), "{report}");

        let err = load(&secret_signature(
            r"(?P<secret>tk_[A-Za-z0-9]{16})",
            "min_entropy = 9.5",
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("min_entropy"), "{err}");
    }

    #[test]
    fn a_user_file_extends_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("nested")).unwrap();
        std::fs::write(dir.path().join("sigs.toml"), SIGNATURE).unwrap();
        std::fs::write(dir.path().join("nested/probes.toml"), PROBE).unwrap();
        std::fs::write(dir.path().join("README.md"), "not a probe").unwrap();
        let builtin = ProbeCatalog::builtin().unwrap();
        let (probes, sigs) = (builtin.probes.len(), builtin.signatures.len());
        let catalog = builtin.load_dir(dir.path()).unwrap();
        assert_eq!(catalog.probes.len(), probes + 1);
        assert_eq!(catalog.signatures.len(), sigs + 1);
        assert!(catalog.check().is_ok(), "{}", catalog.check());
        let hits = catalog.signatures.scan_text(b"goroutine 9 [running]:");
        assert!(hits.iter().any(|m| m.signature.id == "errors.test-trace"));
        let probe = catalog.probe("debug.test-vars").unwrap();
        assert_eq!(probe.requests()[0].method, "GET");
        assert!(probe.source.ends_with("probes.toml"));
    }

    #[test]
    fn an_empty_or_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = ProbeCatalog::default().load_dir(dir.path()).unwrap_err();
        assert!(matches!(err, CatalogError::NoFiles { .. }), "{err}");
        let err = ProbeCatalog::default()
            .load_dir(&dir.path().join("missing"))
            .unwrap_err();
        assert!(matches!(err, CatalogError::Io { .. }), "{err}");
    }

    #[test]
    fn toml_syntax_errors_name_file_and_line() {
        let err = load("[[signature]]\nid = \"errors.x\"\nitem = \n").unwrap_err();
        let CatalogError::Parse { file, line, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(file, "user/extra.toml");
        assert_eq!(*line, 3);
        assert!(err.to_string().starts_with("user/extra.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_keys_are_rejected_with_id_and_line() {
        let text = SIGNATURE.replace(
            "remediation = \"r\"",
            "remediation = \"r\"\nseverty = \"low\"",
        );
        let err = load(&text).unwrap_err();
        let CatalogError::UnknownKey { key, id, line, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(key, "severty");
        assert_eq!(id.as_deref(), Some("errors.test-trace"));
        assert_eq!(*line, 12);
        let msg = err.to_string();
        assert!(
            msg.contains("user/extra.toml:12: errors.test-trace: unknown key `severty`"),
            "{msg}"
        );

        let err =
            load(&PROBE.replace("status = [200]", "status = [200]\nbody_some = []")).unwrap_err();
        assert!(
            matches!(&err, CatalogError::UnknownKey { key, .. } if key == "body_some"),
            "{err}"
        );

        let err = load("[[signatures]]\nid = \"x.y\"\n").unwrap_err();
        assert!(
            matches!(&err, CatalogError::UnknownKey { key, .. } if key == "signatures"),
            "{err}"
        );
    }

    #[test]
    fn unknown_items_list_the_valid_keys() {
        let err = load(&SIGNATURE.replace("\"error-handling\"", "\"errors\"")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, CatalogError::UnknownItem { .. }));
        assert!(
            msg.starts_with("user/extra.toml: errors.test-trace: unknown item `errors`"),
            "{msg}"
        );
        assert!(
            msg.contains("tenant-isolation") && msg.contains("error-handling"),
            "{msg}"
        );
    }

    #[test]
    fn bad_regexes_name_file_id_and_field() {
        let err = load(&SIGNATURE.replace(r"goroutine \d+", r"goroutine (\d+")).unwrap_err();
        let CatalogError::Regex {
            file, id, field, ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(
            (file.as_str(), id.as_str(), field.as_str()),
            ("user/extra.toml", "errors.test-trace", "pattern")
        );

        let err = load(&PROBE.replace(r#"'''"cmdline"'''"#, "'''[z-a]'''")).unwrap_err();
        assert!(
            matches!(&err, CatalogError::Regex { id, field, .. } if id == "debug.test-vars" && field == "match.body_all"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_ids_are_rejected_across_files_and_kinds() {
        let err = ProbeCatalog::builtin()
            .unwrap()
            .load_str(
                "user/extra.toml",
                &SIGNATURE.replace("errors.test-trace", "errors.stack-trace-python"),
            )
            .unwrap_err();
        let CatalogError::DuplicateId { file, id, first } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(file, "user/extra.toml");
        assert_eq!(id, "errors.stack-trace-python");
        assert_eq!(first, "probes/signatures/errors-stack-traces.toml");

        let both = format!(
            "{SIGNATURE}\n{}",
            PROBE.replace("debug.test-vars", "errors.test-trace")
        );
        let err = load(&both).unwrap_err();
        assert!(matches!(err, CatalogError::DuplicateId { .. }), "{err}");
    }

    #[test]
    fn invalid_shapes_are_rejected_at_load() {
        let status_only = PROBE.replace(r#"body_all = ['''"cmdline"''']"#, "");
        let err = load(&status_only).unwrap_err();
        assert!(
            matches!(&err, CatalogError::Invalid { id, .. } if id == "debug.test-vars"),
            "{err}"
        );
        assert!(err.to_string().contains("status alone"), "{err}");

        let relative = PROBE.replace("path = \"/debug/vars\"", "path = \"debug/vars\"");
        assert!(matches!(
            load(&relative).unwrap_err(),
            CatalogError::Invalid { .. }
        ));

        let bad_target = SIGNATURE.replace(
            "remediation = \"r\"",
            "remediation = \"r\"\ntarget = \"headers\"",
        );
        assert!(matches!(
            load(&bad_target).unwrap_err(),
            CatalogError::Invalid { .. }
        ));

        let bad_method = PROBE.replace(
            "path = \"/debug/vars\"",
            "method = \"FETCH\"\npath = \"/debug/vars\"",
        );
        assert!(matches!(
            load(&bad_method).unwrap_err(),
            CatalogError::Invalid { .. }
        ));
    }

    #[test]
    fn check_reports_failing_and_missing_examples_with_file_and_id() {
        let failing = SIGNATURE.replace(
            r#"no_match = ["a goroutine dump"]"#,
            r#"no_match = ["goroutine 2 [running]:"]"#,
        );
        let catalog = load(&failing).unwrap();
        let report = catalog.check();
        assert!(!report.is_ok());
        assert_eq!(report.problems.len(), 1, "{report}");
        let p = &report.problems[0];
        assert_eq!(
            (p.file.as_str(), p.id.as_str()),
            ("user/extra.toml", "errors.test-trace")
        );
        assert!(p.message.contains("no_match[0] matches"), "{}", p.message);
        let text = report.to_string();
        assert!(
            text.starts_with("user/extra.toml: errors.test-trace: examples.no_match[0] matches"),
            "{text}"
        );
        assert!(
            text.ends_with("0 probes, 1 signatures, 2 examples checked, 1 problems"),
            "{text}"
        );

        let no_safe = PROBE.replace("expect = \"safe\"", "expect = \"vulnerable\"");
        let report = load(&no_safe).unwrap().check();
        let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages.contains(&"no safe example"), "{report}");
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("example[1] (vulnerable) does not match")),
            "{report}"
        );
    }

    #[test]
    fn check_reports_bad_ids_and_matches_on_common_safe_responses() {
        let text = SIGNATURE
            .replace("errors.test-trace", "Errors.Trace")
            .replace(
                r"goroutine \d+ \[running\]:",
                "(?i)<!doctype html>|goroutine 1 \\[running\\]:",
            );
        let report = load(&text).unwrap().check();
        let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.starts_with("id must be")),
            "{report}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("matches the common safe response `react-spa-shell`")),
            "{report}"
        );
    }

    #[test]
    fn check_rejects_patterns_that_match_everything() {
        let text = SIGNATURE.replace(r"goroutine \d+ \[running\]:", "x*");
        let report = load(&text).unwrap().check();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.message == "pattern matches the empty string"),
            "{report}"
        );
    }

    #[test]
    fn id_shape() {
        for ok in ["errors.stack-trace-python", "debug.go-pprof", "a1.b2"] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in [
            "errors", "errors.", ".x", "Errors.x", "a.b.c", "a_b.c", "a.-b", "a.b-",
        ] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn scanning_a_large_body_with_the_builtin_set_is_quick() {
        let catalog = ProbeCatalog::builtin().unwrap();
        let chunk = "<div class=\"row\"><a href=\"/orders/42\">Order 42</a> at 10:30 (shipped) \
                     error: none; path /home/about, SQL-free prose about exceptions.</div>\n";
        let body: Vec<u8> = chunk.bytes().cycle().take(10 << 20).collect();
        let start = Instant::now();
        let hits = catalog.signatures.scan_text(&body);
        let elapsed = start.elapsed();
        assert!(
            hits.is_empty(),
            "{:?}",
            hits.iter().map(|h| &h.signature.id).collect::<Vec<_>>()
        );
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
