//! Every `prodready ...` command in the CI recipes parses with the real CLI.

use clap::Parser;
use prodready::cli::Cli;

/// The `prodready` invocations of a recipe: shell lines and Kubernetes `args` arrays.
fn commands(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(args) = line.strip_prefix("args:") {
            let args: Vec<String> =
                serde_json::from_str(args.trim()).expect("args is a JSON-style array");
            out.push(
                std::iter::once("prodready".to_string())
                    .chain(args)
                    .collect(),
            );
            continue;
        }
        // Comments and YAML names mention the tool without running it.
        if line.starts_with('#') || line.trim_start_matches("- ").starts_with("name:") {
            continue;
        }
        for (i, _) in line.match_indices("prodready ") {
            let before = line[..i].chars().last();
            if before.is_some_and(|c| {
                c.is_alphanumeric() || c == '-' || c == '/' || c == '_' || c == ':'
            }) {
                continue; // part of another word (an image name, a job name)
            }
            let rest = &line[i..];
            let end = [";", "&&", "||", " fi"]
                .iter()
                .filter_map(|t| rest.find(t))
                .min()
                .unwrap_or(rest.len());
            let words: Vec<String> = rest[..end]
                .split_whitespace()
                .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
                .collect();
            // `cargo install ... prodready` names the crate, not a command.
            if words.len() > 1 && !line[..i].contains("cargo install") {
                out.push(words);
            }
        }
    }
    out
}

#[test]
fn every_recipe_command_parses() {
    let mut checked = 0;
    for entry in
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci")).expect("docs/ci exists")
    {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let found = commands(&text);
        assert!(
            !found.is_empty(),
            "{} has no prodready command",
            path.display()
        );
        for args in found {
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!(
                    "{}: `{}` does not parse:\n{e}",
                    path.display(),
                    args.join(" ")
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} commands checked");
}
