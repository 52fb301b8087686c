//! The data flows one way: config -> identities (auth) -> discovery -> probes ->
//! findings -> score -> report. Each top-level module may use only the layers before
//! it; this test reads `use crate::...` paths in the sources and names any back-edge.

use std::collections::BTreeSet;
use std::path::Path;

/// What each module may import (besides the leaf `model` and itself). The engine and
/// the probe modules (families, catalog) know each other by design: the engine holds
/// the registry of families and hands each a context.
const ALLOWED: &[(&str, &[&str])] = &[
    ("html", &[]),
    ("config", &[]),
    ("http", &["config"]),
    ("auth", &["config", "http", "html"]),
    ("discover", &["config", "http", "html", "auth"]),
    ("catalog", &["config", "http", "auth", "discover", "engine"]),
    (
        "families",
        &[
            "config", "http", "html", "auth", "discover", "catalog", "engine",
        ],
    ),
    (
        "engine",
        &[
            "config",
            "http",
            "html",
            "auth",
            "discover",
            "catalog",
            "families",
            "checklist",
            "report",
        ],
    ),
    ("checklist", &[]),
    ("report", &["checklist"]),
];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("readable source folder")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn imports(module: &str) -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let folder = root.join(module);
    if folder.is_dir() {
        sources(&folder, &mut files);
    }
    let single = root.join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    assert!(!files.is_empty(), "no source for module {module}");
    let mut used = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        // Tests may reach anywhere (fixtures); only the shipped code is layered.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != module && name != "model" {
                used.insert(name);
            }
        }
    }
    used
}

#[test]
fn no_module_imports_a_later_layer() {
    let mut problems = Vec::new();
    for (module, allowed) in ALLOWED {
        for used in imports(module) {
            if !allowed.contains(&used.as_str()) {
                problems.push(format!("{module} imports crate::{used}"));
            }
        }
    }
    assert!(problems.is_empty(), "back-edges: {problems:#?}");
}
