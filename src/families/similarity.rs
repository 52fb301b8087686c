//! How alike two response bodies are, for replay probes that must tell "the same
//! object" from "a different page that also answered 200".

use std::collections::HashSet;

/// At most this much of each body is compared.
const MAX_COMPARE: usize = 64 * 1024;

fn tokens(text: &str) -> HashSet<&str> {
    let end = text.floor_char_boundary(MAX_COMPARE.min(text.len()));
    text[..end]
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '-' && c != '_' && c != '.')
        .filter(|t| !t.is_empty())
        .collect()
}

/// Jaccard similarity of the two bodies' word sets, 0.0 (nothing shared) to 1.0.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (ta, tb) = (tokens(a), tokens(b));
    if ta.is_empty() && tb.is_empty() {
        return 1.0;
    }
    let shared = ta.intersection(&tb).count() as f64;
    let union = ta.union(&tb).count() as f64;
    shared / union
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_object_is_alike_and_other_pages_are_not() {
        let a = r#"{"id":7,"name":"Q3 roadmap","owner":"alice@acme.test","status":"open"}"#;
        assert!((similarity(a, a) - 1.0).abs() < 1e-9);
        let denied = r#"{"error":"not found"}"#;
        assert!(similarity(a, denied) < 0.2);
        let b = r#"{"id":7,"name":"Q3 roadmap","owner":"alice@acme.test","status":"closed"}"#;
        assert!(similarity(a, b) > 0.7);
    }
}
