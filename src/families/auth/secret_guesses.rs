//! The secrets the JWT weak-secret check guesses offline, in the order it tries them:
//! framework placeholders, common weak secrets, words taken from the app itself, and
//! English words. App and dictionary words are mutated (case, years, digits, affixes
//! such as `-secret` or `jwt-`) within fixed bounds, so a search costs at most
//! [`MAX_GUESSES`] HMACs whatever the app shows.

use std::collections::HashMap;
use std::io::Read as _;
use std::ops::ControlFlow;

/// Placeholders from frameworks' example configurations and documentation.
pub const FRAMEWORK_PLACEHOLDERS: &str =
    include_str!("../../../probes/data/jwt-framework-secrets.txt");
/// Common weak secrets: framework defaults, tutorial examples, common passwords.
pub const COMMON_WEAK: &str = include_str!("../../../probes/data/jwt-secrets.txt");
/// English words (SCOWL via Debian's `wamerican`; licence in `jwt-words.LICENSE`),
/// lower case, one per line, gzip-compressed: 660 KB of text in 200 KB of binary.
const DICTIONARY_GZ: &[u8] = include_bytes!("../../../probes/data/jwt-words.txt.gz");

/// No search tries more guesses than this, whatever the lists and the app hold.
pub const MAX_GUESSES: usize = 500_000;
/// Words taken from the app, strongest first; each yields a few thousand guesses.
pub const MAX_APP_WORDS: usize = 20;

/// Years appended to app words (with no separator, `-` or `_`).
const YEARS: std::ops::RangeInclusive<u16> = 2015..=2027;
/// Other endings appended to app words.
const TAILS: &[&str] = &[
    "1", "12", "123", "1234", "12345", "!", "1!", "123!", "@123", "#1", "01", "007",
];
/// Put before an app word (one at a time, never with a suffix).
const PREFIXES: &[&str] = &[
    "secret-", "secret_", "jwt-", "jwt_", "jwt", "my", "my-", "my_",
];
/// Put after an app word (before its ending).
const SUFFIXES: &[&str] = &[
    "-secret",
    "_secret",
    "secret",
    "Secret",
    ".secret",
    "-key",
    "_key",
    "key",
    "Key",
    "-jwt",
    "_jwt",
    "jwt",
    "-jwt-secret",
    "_jwt_secret",
    "-secret-key",
    "_secret_key",
    "-token",
    "_token",
    "-auth",
    "-api",
];
/// Endings of a dictionary word in lower case (capitalised and upper case, it is
/// tried bare).
const DICTIONARY_TAILS: &[&str] = &["", "1", "123"];

/// Which kind of guess matched: said in the finding, which never shows the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuessKind {
    /// A placeholder from a framework's example configuration or documentation.
    FrameworkPlaceholder,
    /// An entry of the built-in list of common weak secrets.
    CommonWeak,
    /// A word taken from the app itself (its name, host, page titles, bundle
    /// identifiers, the token's issuer or audience), possibly mutated.
    AppDerived,
    /// An English dictionary word, possibly mutated.
    DictionaryWord,
}

impl GuessKind {
    /// How the finding names the kind of secret.
    pub fn describe(self) -> &'static str {
        match self {
            GuessKind::FrameworkPlaceholder => {
                "a placeholder from a framework's example configuration or documentation"
            }
            GuessKind::CommonWeak => "an entry of the public list of common weak secrets",
            GuessKind::AppDerived => {
                "a word taken from the app itself (its name, host, page titles or scripts, \
                 or the token's issuer), with a common mutation"
            }
            GuessKind::DictionaryWord => "an ordinary English word, with a common mutation",
        }
    }
}

/// The non-comment lines of a built-in list.
pub fn list_entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The built-in English word list, decompressed (about 73,000 words): made once per
/// scan and shared by every token's search.
#[derive(Debug)]
pub struct Dictionary {
    text: String,
}

impl Dictionary {
    /// Decompresses the built-in list (a few milliseconds).
    pub fn builtin() -> Dictionary {
        let mut text = String::with_capacity(700 * 1024);
        // The data is ours and a unit test decompresses it: failing here is a build bug.
        flate2::read::GzDecoder::new(DICTIONARY_GZ)
            .read_to_string(&mut text)
            .expect("the built-in word list is valid gzip'd UTF-8");
        Dictionary { text }
    }

    /// A list made from `text` (one word per line, `#` comments), for tests.
    pub fn from_text(text: &str) -> Dictionary {
        Dictionary {
            text: text.to_string(),
        }
    }

    pub fn words(&self) -> impl Iterator<Item = &str> {
        list_entries(&self.text)
    }
}

/// Where a word about the app was seen: how strongly it names the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordSource {
    /// `<meta name=application-name>`, `og:site_name`, a web manifest's name.
    DeclaredName,
    /// The token's own `iss` or `aud` claim.
    TokenClaim,
    /// A label of the target's or an in-scope origin's host name.
    Host,
    /// A page title (each distinct title counts once, so the app's name, on every
    /// page, outranks a page's own subject).
    Title,
    /// An identifier in the client bundle (a reverse-DNS bundle id, an `appName`) or a
    /// script's file name.
    Bundle,
}

impl WordSource {
    fn weight(self) -> u32 {
        match self {
            WordSource::DeclaredName => 100,
            WordSource::TokenClaim => 80,
            WordSource::Host => 40,
            WordSource::Title => 10,
            WordSource::Bundle => 5,
        }
    }
}

/// Words seen about the app, ranked by where and how often they were seen.
#[derive(Debug, Clone, Default)]
pub struct AppWords {
    /// Word (lower-cased unless its case is mixed) -> (weight, first-seen order, the
    /// word as first seen).
    seen: HashMap<String, (u32, usize, String)>,
}

/// Generic words of host names, titles and script names that name no app.
const STOP_WORDS: &[&str] = &[
    "www",
    "com",
    "org",
    "net",
    "html",
    "http",
    "https",
    "css",
    "min",
    "static",
    "assets",
    "chunk",
    "chunks",
    "index",
    "main",
    "vendor",
    "vendors",
    "runtime",
    "bundle",
    "polyfills",
    "the",
    "and",
    "for",
    "with",
    "from",
    "localhost",
    "localdomain",
    "example",
];

impl AppWords {
    /// Adds the words of `text` (a title, a name, a host, an identifier): each word,
    /// and for a name of two or three words its compounds (`acmenotes`, `acme-notes`,
    /// `acme_notes`, `AcmeNotes`).
    pub fn add(&mut self, text: &str, source: WordSource) {
        if source == WordSource::Host {
            if text.parse::<std::net::IpAddr>().is_ok() {
                return;
            }
            for label in text.split('.') {
                self.add_phrase(label, source);
            }
            return;
        }
        let text: String = text.chars().take(200).collect();
        for segment in text.split([
            '·', '|', '—', '–', ':', '/', '•', '(', ')', ',', ';', '"', '\'',
        ]) {
            for part in segment.split(" - ") {
                self.add_phrase(part, source);
            }
        }
    }

    fn add_phrase(&mut self, phrase: &str, source: WordSource) {
        let words: Vec<&str> = phrase
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let useful: Vec<&str> = words.iter().copied().filter(|w| is_useful(w)).collect();
        for w in &useful {
            self.bump(w, source);
        }
        if (2..=3).contains(&words.len()) && words.len() == useful.len() {
            let camel: String = words.iter().map(|w| capitalized(w)).collect();
            for joined in [words.concat(), words.join("-"), words.join("_"), camel] {
                self.bump(&joined, source);
            }
        }
    }

    fn bump(&mut self, word: &str, source: WordSource) {
        // `acme`, `Acme` and `ACME` are one word (each is guessed in all three forms);
        // a mixed-case word such as `AcmeNotes` is a form of its own.
        let lower = word.to_ascii_lowercase();
        let key = if word == lower || word == capitalized(word) || word == word.to_ascii_uppercase()
        {
            lower
        } else {
            word.to_string()
        };
        let order = self.seen.len();
        let entry = self
            .seen
            .entry(key)
            .or_insert_with(|| (0, order, word.to_string()));
        entry.0 = entry.0.saturating_add(source.weight());
    }

    /// The [`MAX_APP_WORDS`] strongest words, strongest first.
    pub fn ranked(&self) -> Vec<String> {
        let mut all: Vec<&(u32, usize, String)> = self.seen.values().collect();
        all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        all.into_iter()
            .take(MAX_APP_WORDS)
            .map(|(_, _, w)| w.clone())
            .collect()
    }
}

/// A word worth guessing: 3 to 32 characters, not a number, not a hash or build id,
/// not a generic web word.
fn is_useful(word: &str) -> bool {
    let has_digit = word.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = word.bytes().any(|b| b.is_ascii_alphabetic());
    (3..=32).contains(&word.len())
        && has_alpha
        && !(has_digit && word.len() >= 6)
        && !STOP_WORDS.contains(&word.to_ascii_lowercase().as_str())
}

fn capitalized(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A word as seen, in lower case, capitalised and in upper case (duplicates dropped).
fn case_forms(word: &str) -> Vec<String> {
    let mut forms = vec![word.to_string()];
    for form in [
        word.to_ascii_lowercase(),
        capitalized(word),
        word.to_ascii_uppercase(),
    ] {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// Every guess against one token, in order, counted against [`MAX_GUESSES`].
#[derive(Debug)]
pub struct Guesses<'a> {
    dictionary: &'a Dictionary,
    app_words: Vec<String>,
    endings: Vec<String>,
}

impl<'a> Guesses<'a> {
    /// The built-in lists, then `app_words` (strongest first, at most
    /// [`MAX_APP_WORDS`]), then `dictionary`.
    pub fn new(dictionary: &'a Dictionary, mut app_words: Vec<String>) -> Guesses<'a> {
        app_words.truncate(MAX_APP_WORDS);
        let mut endings = vec![String::new()];
        for year in YEARS {
            for sep in ["", "-", "_"] {
                endings.push(format!("{sep}{year}"));
            }
        }
        endings.extend(TAILS.iter().map(|t| t.to_string()));
        Guesses {
            dictionary,
            app_words,
            endings,
        }
    }

    /// Calls `f` with each guess until it breaks or [`MAX_GUESSES`] were made; returns
    /// whether it broke and how many guesses it was given. One buffer serves every
    /// mutation, so the loop does not allocate.
    pub fn for_each(
        &self,
        mut f: impl FnMut(GuessKind, &[u8]) -> ControlFlow<()>,
    ) -> (ControlFlow<()>, usize) {
        let mut count = 0usize;
        let mut give = |kind: GuessKind, guess: &[u8]| {
            if count >= MAX_GUESSES {
                return ControlFlow::Break(());
            }
            count += 1;
            f(kind, guess)
        };
        let flow = self.each_guess(&mut give);
        (flow, count)
    }

    fn each_guess(
        &self,
        give: &mut impl FnMut(GuessKind, &[u8]) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        for s in list_entries(FRAMEWORK_PLACEHOLDERS) {
            give(GuessKind::FrameworkPlaceholder, s.as_bytes())?;
        }
        for s in list_entries(COMMON_WEAK) {
            give(GuessKind::CommonWeak, s.as_bytes())?;
        }
        let mut buf = Vec::with_capacity(64);
        for word in &self.app_words {
            self.app_word_guesses(word, &mut buf, give)?;
        }
        for word in self.dictionary.words() {
            dictionary_word_guesses(word, &mut buf, give)?;
        }
        ControlFlow::Continue(())
    }

    /// Each case form of `word`, bare or with one prefix or one suffix, each with every
    /// ending (a year, digits, `!`).
    fn app_word_guesses(
        &self,
        word: &str,
        buf: &mut Vec<u8>,
        give: &mut impl FnMut(GuessKind, &[u8]) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let affixes = std::iter::once(("", ""))
            .chain(PREFIXES.iter().map(|p| (*p, "")))
            .chain(SUFFIXES.iter().map(|s| ("", *s)));
        let forms = case_forms(word);
        for (prefix, suffix) in affixes {
            for form in &forms {
                for ending in &self.endings {
                    buf.clear();
                    buf.extend_from_slice(prefix.as_bytes());
                    buf.extend_from_slice(form.as_bytes());
                    buf.extend_from_slice(suffix.as_bytes());
                    buf.extend_from_slice(ending.as_bytes());
                    give(GuessKind::AppDerived, buf)?;
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// How many guesses a search that finds nothing makes (for notes and benchmarks).
    pub fn total(&self) -> usize {
        self.for_each(|_, _| ControlFlow::Continue(())).1
    }
}

/// A dictionary word (lower case in the list) bare, with `1` and `123`, capitalised,
/// and in upper case.
fn dictionary_word_guesses(
    word: &str,
    buf: &mut Vec<u8>,
    give: &mut impl FnMut(GuessKind, &[u8]) -> ControlFlow<()>,
) -> ControlFlow<()> {
    for tail in DICTIONARY_TAILS {
        buf.clear();
        buf.extend_from_slice(word.as_bytes());
        buf.extend_from_slice(tail.as_bytes());
        give(GuessKind::DictionaryWord, buf)?;
    }
    buf.clear();
    buf.extend_from_slice(word.as_bytes());
    if let Some(first) = buf.first_mut() {
        first.make_ascii_uppercase();
    }
    give(GuessKind::DictionaryWord, buf)?;
    buf.make_ascii_uppercase();
    give(GuessKind::DictionaryWord, buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(guesses: &Guesses<'_>) -> Vec<(GuessKind, String)> {
        let mut out = Vec::new();
        let (flow, _) = guesses.for_each(|kind, g| {
            out.push((kind, String::from_utf8(g.to_vec()).unwrap()));
            ControlFlow::Continue(())
        });
        assert!(flow.is_continue());
        out
    }

    #[test]
    fn the_builtin_dictionary_is_tens_of_thousands_of_plain_words() {
        let dictionary = Dictionary::builtin();
        let words: Vec<&str> = dictionary.words().collect();
        assert!(words.len() > 60_000, "{}", words.len());
        assert!(
            words
                .iter()
                .all(|w| w.bytes().all(|b| b.is_ascii_lowercase()))
        );
        for w in ["tangerine", "sunflower", "password", "monkey"] {
            assert!(words.binary_search(&w).is_ok(), "{w}");
        }
    }

    #[test]
    fn the_full_search_stays_under_its_bound_and_covers_the_dictionary() {
        let dictionary = Dictionary::builtin();
        let words = dictionary.words().count();
        let app: Vec<String> = (0..MAX_APP_WORDS + 5)
            .map(|i| format!("Word{i}x"))
            .collect();
        let guesses = Guesses::new(&dictionary, app);
        let total = guesses.total();
        // Every dictionary word is tried (5 forms each): the bound is never what stops it.
        assert!(total < MAX_GUESSES, "{total}");
        assert!(total > words * 5, "{total}");
        let none = Guesses::new(&dictionary, Vec::new()).total();
        assert!(none >= 300_000 && none < total, "{none}");
    }

    #[test]
    fn tiers_come_in_order_with_their_kinds() {
        let dictionary = Dictionary::from_text("# a comment\napple\n");
        let guesses = all(&Guesses::new(&dictionary, vec!["Ledgerline".into()]));
        let kinds: Vec<GuessKind> = guesses.iter().map(|(k, _)| *k).collect();
        let first = |k| kinds.iter().position(|x| *x == k).unwrap();
        assert_eq!(first(GuessKind::FrameworkPlaceholder), 0);
        assert!(first(GuessKind::CommonWeak) < first(GuessKind::AppDerived));
        assert!(first(GuessKind::AppDerived) < first(GuessKind::DictionaryWord));
        let of = |k| -> Vec<&str> {
            guesses
                .iter()
                .filter(|(x, _)| *x == k)
                .map(|(_, g)| g.as_str())
                .collect()
        };
        assert_eq!(
            of(GuessKind::DictionaryWord),
            ["apple", "apple1", "apple123", "Apple", "APPLE"]
        );
        let app = of(GuessKind::AppDerived);
        for expected in [
            "Ledgerline",
            "ledgerline2024",
            "Ledgerline-2027",
            "LEDGERLINE_2015",
            "ledgerline123!",
            "jwt-ledgerline",
            "secret_Ledgerline2026",
            "ledgerline-secret",
            "Ledgerline_jwt_secret2025",
            "ledgerline-secret-key",
            "ledgerlineSecret!",
        ] {
            assert!(app.contains(&expected), "{expected} is not guessed");
        }
        // Three case forms, 29 affix choices, 52 endings.
        assert_eq!(app.len(), 3 * 29 * 52);
    }

    #[test]
    fn app_words_rank_the_apps_name_above_a_pages_subject() {
        let mut words = AppWords::default();
        words.add("staging.acme-notes.example.com", WordSource::Host);
        words.add("127.0.0.1", WordSource::Host);
        for title in [
            "Projects · Ledgerline",
            "Invoices · Ledgerline",
            "Invoice 17 | Ledgerline",
        ] {
            words.add(title, WordSource::Title);
        }
        words.add("ACME", WordSource::Bundle);
        words.add("main.3f9a2c1b.js", WordSource::Bundle);
        words.add("com.acmecorp.notes", WordSource::Bundle);
        let ranked = words.ranked();
        let rank = |w: &str| ranked.iter().position(|x| x == w);
        for w in [
            "acme",
            "notes",
            "acmenotes",
            "acme-notes",
            "acme_notes",
            "AcmeNotes",
        ] {
            assert!(rank(w).is_some(), "{w} missing from {ranked:?}");
        }
        assert!(rank("Ledgerline") < rank("Projects"), "{ranked:?}");
        assert!(rank("acmecorp").is_some(), "{ranked:?}");
        assert!(
            rank("ACME").is_none(),
            "one word in any of its cases: {ranked:?}"
        );
        // Numbers, hashes, TLDs, generic script names and IP addresses name nothing.
        for w in ["127", "17", "3f9a2c1b", "com", "main", "js", "example"] {
            assert!(rank(w).is_none(), "{w} in {ranked:?}");
        }
        assert!(ranked.len() <= MAX_APP_WORDS);
    }
}
