//! Embeds every `probes/**/*.toml` file in the binary, found by walking the folder, so
//! adding a probe file needs no edit to a hand-kept list.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let probes = root.join("probes");
    println!("cargo:rerun-if-changed=probes");
    let mut files = Vec::new();
    collect(&probes, &mut files);
    files.sort();
    let mut out =
        String::from("/// Every built-in catalog file: (path from the repository root, text).\n");
    out.push_str("pub const BUILTIN: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file
            .strip_prefix(&root)
            .expect("under the manifest dir")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("writing to a String");
        // Folders are watched for new files; each file for edits.
        println!("cargo:rerun-if-changed={}", file.display());
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("builtin_probes.rs");
    std::fs::write(&dest, out).expect("OUT_DIR is writable");
}

/// The `*.toml` files under `dir`, at any depth, watching every folder on the way.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}
