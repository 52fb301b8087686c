//! Matched secrets: how random they look (Shannon entropy) and the redacted form that
//! is the only way a report ever shows them.
//!
//! A signature marks the credential inside its match with the named group `secret`.
//! Everything the scanner records about such a match (excerpt, finding detail,
//! evidence bodies) carries [`redact`]'s form instead of the value itself.

use sha2::{Digest, Sha256};

/// The capture group that holds the credential of a secret signature.
pub const SECRET_GROUP: &str = "secret";

/// Shannon entropy of `text` in bits per character (0 for an empty text).
pub fn entropy(text: &str) -> f64 {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Words that mark a value as a placeholder in docs, templates and sample configs.
const PLACEHOLDER_WORDS: &[&str] = &[
    "your",
    "change",
    "example",
    "placeholder",
    "replace",
    "dummy",
    "sample",
    "xxxx",
    "redacted",
    "<",
    ">",
    "${",
    "{{",
    "process.env",
    "here",
];

/// Whether a short value reads as a placeholder (`your-secret-here`, `CHANGE_ME`,
/// `${DB_PASSWORD}`, AWS's documented `...EXAMPLE` keys) rather than a credential.
/// Long values (key material) are not judged: random text contains any word by chance.
pub fn looks_like_placeholder(value: &str) -> bool {
    if value.len() > 64 {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
}

/// The redacted form of a secret: a short, non-secret prefix (a vendor prefix such as
/// `sk_live_` when the secret has one) and the first 8 hex digits of its SHA-256, so
/// two findings of the same secret can be told apart without showing it.
pub fn redact(secret: &str) -> String {
    let hash: String = Sha256::digest(secret.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}…[redacted sha256:{hash}]", prefix(secret))
}

/// The part of a secret shown before the hash: up to the last `_` or `-` within its
/// first 12 characters (`sk_live_`, `ghp_`, `xoxb-`), else its first 4 characters;
/// nothing for secrets shorter than 16 characters, where 4 characters are too much.
fn prefix(secret: &str) -> &str {
    if secret.chars().count() < 16 || !secret.is_ascii() {
        return "";
    }
    let head = &secret[..12];
    match head.rfind(['_', '-']) {
        Some(i) if i >= 2 => &secret[..=i],
        _ => &secret[..4],
    }
}

/// The forms a secret takes in a response body: as is, and JSON-escaped (source maps
/// and JSON configs carry `\n`, `\"` and `\/`).
pub fn encodings(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    for form in [json.clone(), json.replace('/', "\\/")] {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// `text` with every form of every secret replaced by its redacted form.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        let redacted = redact(s);
        for form in encodings(s) {
            if form.len() >= 4 && out.contains(&form) {
                out = out.replace(&form, &redacted);
            }
        }
    }
    out
}

/// Whether any recognisable piece of a secret is still in `text` (its middle 8
/// characters), the check a scrubbed excerpt must pass before it is kept.
pub fn still_shows(text: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return text.contains(secret);
    }
    let mid = chars.len() / 2;
    let piece: String = chars[mid - 4..mid + 4].iter().collect();
    text.contains(&piece)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_separates_keys_from_placeholders() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaaaaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(entropy("xxxxxxxxxxxxxxxxxxxxxxxx") < 1.0);
        assert!(entropy("4eC39HqLyjWDarjtT1zdp7dc") > 4.0);
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "your-secret-here",
            "CHANGE_ME_IN_PRODUCTION",
            "${DB_PASSWORD}",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ] {
            assert!(looks_like_placeholder(p), "{p}");
        }
        for s in ["xiRGHOY32nfr5p", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"] {
            assert!(!looks_like_placeholder(s), "{s}");
        }
    }

    #[test]
    fn redaction_keeps_a_vendor_prefix_and_a_hash_only() {
        let key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
        let r = redact(key);
        assert!(r.starts_with("sk_live_…[redacted sha256:"), "{r}");
        assert!(!r.contains("4eC39"));
        assert_eq!(r, redact(key));
        assert_ne!(r, redact("sk_live_4eC39HqLyjWDarjtT1zdp7dX"));
        assert!(redact("hunter2hunter2").starts_with("…[redacted"));
        assert!(redact("AKIAIOSFODNN7EXAMPLE").starts_with("AKIA…"));
    }

    #[test]
    fn scrubbing_covers_json_escaped_forms() {
        let secret = "ab/cd\nef\"gh1234567890";
        let body = serde_json::to_string(&serde_json::json!({ "s": secret })).unwrap();
        let escaped_slash = body.replace('/', "\\/");
        for text in [body, escaped_slash] {
            let out = scrub(&text, &[secret.to_string()]);
            assert!(!still_shows(&out, secret), "{out}");
            assert!(out.contains("[redacted sha256:"), "{out}");
        }
    }
}
