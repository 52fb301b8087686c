//! Byte patterns shared by signatures and declarative probes.
//!
//! Every pattern is compiled the same way so authors learn one dialect: byte mode
//! with Unicode off (`.`, `\w`, `\d`, `\s` and `(?i)` are ASCII, and `.` also
//! matches bytes that are not valid UTF-8), CRLF-aware `(?m)^`/`$`. A pattern may
//! turn Unicode back on locally with `(?u)`.

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// How much of a body one pass scans: bodies are scanned in windows of this size.
pub const MAX_SCAN_BYTES: usize = 1 << 20;

/// How much of a body is scanned in all (the largest script cap); the rest is ignored,
/// so a hostile body costs at most this many bytes of scanning.
pub const MAX_SCAN_TOTAL: usize = 64 << 20;

/// Consecutive windows overlap by this much, so a match across a boundary (a key,
/// a stack-trace line) is whole in one of them.
const WINDOW_OVERLAP: usize = 4096;

/// The longest excerpt kept from a match, in characters.
pub const MAX_EXCERPT_CHARS: usize = 200;

/// The name of the capture group that, when present, selects the excerpt.
pub const EXCERPT_GROUP: &str = "excerpt";

const SIZE_LIMIT: usize = 16 << 20;
const SET_SIZE_LIMIT: usize = 64 << 20;
const SET_DFA_LIMIT: usize = 64 << 20;

/// A compiled pattern that remembers its source text.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

impl Pattern {
    /// Compiles `source` in the catalog's dialect.
    pub fn new(source: &str) -> Result<Pattern, regex::Error> {
        let regex = RegexBuilder::new(source)
            .unicode(false)
            .crlf(true)
            .size_limit(SIZE_LIMIT)
            .build()?;
        Ok(Pattern {
            source: source.to_string(),
            regex,
        })
    }

    /// The pattern as written in the catalog.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled regex.
    pub fn regex(&self) -> &Regex {
        &self.regex
    }

    /// Whether the pattern matches anywhere in `haystack` (capped at [`MAX_SCAN_BYTES`]).
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.regex.is_match(cap(haystack))
    }

    /// The excerpt of the first match in `haystack` (capped at [`MAX_SCAN_BYTES`]):
    /// the `excerpt` group when the pattern has one, else the whole match.
    pub fn find(&self, haystack: &[u8]) -> Option<String> {
        let haystack = cap(haystack);
        if self
            .regex
            .capture_names()
            .flatten()
            .any(|n| n == EXCERPT_GROUP)
        {
            let caps = self.regex.captures(haystack)?;
            let m = caps.name(EXCERPT_GROUP).or_else(|| caps.get(0))?;
            Some(excerpt(m.as_bytes()))
        } else {
            self.regex.find(haystack).map(|m| excerpt(m.as_bytes()))
        }
    }
}

/// Builds a set with the same dialect as [`Pattern::new`], for prefiltering.
pub(crate) fn build_set<'a>(
    sources: impl IntoIterator<Item = &'a str>,
) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(sources)
        .unicode(false)
        .crlf(true)
        .size_limit(SET_SIZE_LIMIT)
        .dfa_size_limit(SET_DFA_LIMIT)
        .build()
}

/// The part of a body that is scanned.
pub(crate) fn cap(haystack: &[u8]) -> &[u8] {
    &haystack[..haystack.len().min(MAX_SCAN_BYTES)]
}

/// The first [`MAX_SCAN_TOTAL`] bytes of a body as windows of at most
/// [`MAX_SCAN_BYTES`], each overlapping the one before by [`WINDOW_OVERLAP`].
pub(crate) fn windows(haystack: &[u8]) -> impl Iterator<Item = &[u8]> {
    let haystack = &haystack[..haystack.len().min(MAX_SCAN_TOTAL)];
    let step = MAX_SCAN_BYTES - WINDOW_OVERLAP;
    let count = if haystack.len() <= MAX_SCAN_BYTES {
        1
    } else {
        (haystack.len() - WINDOW_OVERLAP).div_ceil(step)
    };
    (0..count).map(move |i| {
        let start = i * step;
        &haystack[start..(start + MAX_SCAN_BYTES).min(haystack.len())]
    })
}

/// Matched bytes as a short, valid UTF-8 string with surrounding whitespace trimmed.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.chars().count() <= MAX_EXCERPT_CHARS {
        return text.to_string();
    }
    let mut out: String = text.chars().take(MAX_EXCERPT_CHARS).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_invalid_utf8_and_classes_are_ascii() {
        let p = Pattern::new(r"a.b").unwrap();
        assert!(p.is_match(b"xx a\xffb yy"));
        let w = Pattern::new(r"^\w+$").unwrap();
        assert!(!w.is_match("é".as_bytes()));
    }

    #[test]
    fn non_ascii_literals_still_match_their_utf8_encoding() {
        let p = Pattern::new("You’re seeing").unwrap();
        assert!(p.is_match("<p>You’re seeing this</p>".as_bytes()));
    }

    #[test]
    fn crlf_line_anchors() {
        let p = Pattern::new(r"(?m)^panic: boom$").unwrap();
        assert!(p.is_match(b"x\r\npanic: boom\r\nnext"));
    }

    #[test]
    fn excerpt_group_selects_the_reported_text() {
        let p = Pattern::new(r#"[\s"'](?P<excerpt>/var/www/\S+)"#).unwrap();
        assert_eq!(
            p.find(b"in \"/var/www/app/x.php").as_deref(),
            Some("/var/www/app/x.php")
        );
    }

    #[test]
    fn excerpts_are_short_and_valid_utf8() {
        let long = vec![b'a'; 1000];
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), MAX_EXCERPT_CHARS + 1);
        assert_eq!(excerpt(b"  ok\xff "), "ok\u{fffd}");
    }

    #[test]
    fn matching_ignores_bytes_past_the_cap() {
        let p = Pattern::new("NEEDLE").unwrap();
        let mut body = vec![b' '; MAX_SCAN_BYTES];
        body.extend_from_slice(b"NEEDLE");
        assert!(!p.is_match(&body));
        assert!(p.is_match(&body[MAX_SCAN_BYTES - 10..]));
    }
}
